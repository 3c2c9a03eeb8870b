#pragma once
// One /rollback request as a sans-IO state machine, in the style of the
// promotion one: the rollback service proposes it (with the target chosen by
// previous_good or checked by explicit_target from the deployment history and
// the registry's tags it read), feeds it what happened (Roll back confirmed,
// Apply or Cancel pressed, a step ended, time passed, the process restarted)
// with the time and the actor's roles, and carries out the effects it answers
// with (take the deploy lock, cancel a promotion mid-deploy, run a step, open
// and close the deployment record, mark the version rolled back from as bad,
// record, tell, note). The message is rendered from the rollback itself
// (rollback_view) after every transition.
//
// The rules live here so each is testable with a fixed clock: who may
// confirm (action::rollback), a freeze lets through only a rollback to a
// version that ran in the environment before (else the emergency override is
// named as what is needed), a promotion mid-deploy is cancelled only after
// the confirm whose dialog said so, a second confirm runs nothing, a proposal
// expires, an Option A revert waits for a Release Manager's Apply, a restart
// while steps run ends the rollback as interrupted and never re-runs a step.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <date/tz.h>

#include "commands/access/roles.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/promotion/argv_template.hpp"
#include "commands/promotion/promotion.hpp"

namespace promotebot::commands {

using rollback_kind = rollback_request::kind;
std::string_view to_string(rollback_kind k);  // "image" / "dbt" / "infra"
std::optional<rollback_kind> rollback_kind_named(std::string_view s);

// ---- choosing the target of an image rollback ------------------------------

// One deployment of the environment, as the deployment records keep it.
struct deployment_entry {
    std::string version;
    std::optional<sys_seconds> ended_at;
    std::string deployer;  // user ID of who deployed it (or confirmed the rollback to it)
    std::string result;    // "succeeded", "failed", "interrupted", "cancelled"
};

// One tag of the image in the registry.
struct registry_tag {
    std::string version;
    std::optional<sys_seconds> uploaded;
};

struct rollback_target {
    std::string version;
    // Why this one, for people: "v1.2.2, deployed by @U0RM00001 on 09 Nov 14:02" or
    // "v1.2.2, the newest image before v1.2.3 in the registry; never deployed by promotebot".
    std::string why;
    // It ran successfully in this environment before (the freeze's "known good").
    bool known_good = false;
    std::string deployed_by;                  // when known_good: who deployed it last
    std::optional<sys_seconds> deployed_at;   // when known_good: when that deployment ended
};

// The target, or why there is none (refusal, for the person who asked).
struct target_choice {
    std::optional<rollback_target> target;
    std::string refusal;
};

// The previous good version of an environment running `current`:
//  1. the newest successful deployment in `history` (newest first) whose
//     version differs from `current` and is not in `bad`, passing over the
//     current version's own records;
//  2. when history has none, the newest tag in `registry_tags` (newest first)
//     that is a version, not `current`, not in `bad` and not a version whose
//     deployment failed or was interrupted in `history`.
// `zone` formats the time in `why` (nullptr: UTC).
target_choice previous_good(std::string_view current, const std::vector<deployment_entry>& history,
                            const std::vector<registry_tag>& registry_tags, const std::set<std::string>& bad = {},
                            const date::time_zone* zone = nullptr);

// An explicit `to <version>`: it must be a tag in the registry or a version
// in the history ("no image v9.9.9 in the registry"), not the current one,
// and not marked bad (that needs /promote … override-bad).
target_choice explicit_target(std::string_view current, std::string_view wanted,
                              const std::vector<deployment_entry>& history,
                              const std::vector<registry_tag>& registry_tags, const std::set<std::string>& bad = {},
                              const date::time_zone* zone = nullptr);

// ---- the plans ---------------------------------------------------------------

// One configured step of a rollback: its shape and its argv template. The dbt
// template may hold an argument that is exactly "{models}": it becomes one
// argument per model. The infra templates take {ref}.
struct rollback_step_plan {
    std::string name;
    step_kind kind = step_kind::command;
    std::vector<std::string> argv;
};

inline constexpr std::string_view models_placeholder = "{models}";
inline constexpr std::string_view default_infra_ref = "HEAD~1";

// The runbook's Rollback Procedure, verbatim.
std::vector<rollback_step_plan> runbook_image_rollback_steps();  // kubectl set image, then verify the next run
std::vector<rollback_step_plan> runbook_dbt_rollback_steps();    // kubectl exec … dbt run --select … --full-refresh
std::vector<rollback_step_plan> runbook_infra_rollback_steps();  // git checkout <ref> -- ., plan, apply

// The rules one environment's rollbacks follow (from the configuration).
struct rollback_policy {
    std::chrono::seconds proposal_ttl{std::chrono::minutes(30)};  // a proposal not confirmed expires
    // During a freeze, a rollback to a version that ran here before goes
    // ahead (and is recorded as such); anything else needs the emergency override.
    bool allow_known_good_during_freeze = true;
    permission_table permissions = permission_table::runbook();
    // Who may press Apply on an Option A revert's plan (Release Managers on prod).
    action apply_action = action::deploy_prod;
    std::vector<rollback_step_plan> image_steps = runbook_image_rollback_steps();
    std::vector<rollback_step_plan> dbt_steps = runbook_dbt_rollback_steps();
    std::vector<rollback_step_plan> infra_steps = runbook_infra_rollback_steps();
};

const std::vector<rollback_step_plan>& steps_of(rollback_kind k, const rollback_policy& policy);

// Problems of one rollback step's template for config validation (see
// template_problems); `{models}` is allowed as a whole argument of dbt steps.
std::vector<std::string> rollback_template_problems(rollback_kind k, const std::vector<std::string>& argv_template,
                                                    const std::set<std::string>& allowed);

// ---- the rollback --------------------------------------------------------------

enum class rollback_phase {
    proposed,        // the message shows what will happen; waits for Roll back
    running,         // steps running
    awaiting_apply,  // infra: the Terraform plan waits for a Release Manager's Apply
    done,
    failed,
    cancelled,
    expired,         // not confirmed within the policy's proposal_ttl
    interrupted,     // the process stopped while steps ran: never re-run
};
std::string_view to_string(rollback_phase p);
std::optional<rollback_phase> rollback_phase_named(std::string_view s);
bool is_terminal(rollback_phase p);

struct rollback {
    std::int64_t id = 0;
    rollback_kind what = rollback_kind::image;
    environment env = environment::prod;
    std::string requester;
    std::string channel;
    sys_seconds created_at{};

    // image: from current to target; target_why says why that one.
    std::string current_version;
    std::string target_version;
    std::string target_why;
    bool target_known_good = false;
    std::string target_deployed_by;
    std::optional<sys_seconds> target_deployed_at;
    std::vector<std::string> dbt_models;  // dbt
    std::string infra_ref;                // infra: what `git checkout <ref> -- .` restores

    // The promotion of this environment that was mid-deploy when the rollback
    // was proposed (or when a confirm found one): the confirm dialog says it
    // will be cancelled. 0 when none.
    std::int64_t cancels_promotion = 0;
    // dbt: the promotion that last changed the environment, whose model code
    // the team reverts in a pull request (the runbook's first step). 0 when none.
    std::int64_t last_promotion = 0;
    std::string last_promotion_version;
    std::int64_t deployment_id = 0;  // the deployment record this rollback keeps, once confirmed

    // A freeze that lets this rollback through only with the emergency
    // override: once a confirm met it, the message offers the override's
    // buttons. The VP and the on-call engineer are two different people.
    bool override_needed = false;
    std::string emergency_approved_by;  // the VP
    std::string on_call_present;        // the on-call engineer

    rollback_phase ph = rollback_phase::proposed;
    std::string confirmed_by;
    std::optional<sys_seconds> confirmed_at;
    bool frozen_at_confirm = false;  // confirmed during a freeze (a known-good version)
    std::vector<step_run> steps;
    std::string plan_summary;        // infra: the plan waiting for Apply
    std::string apply_approved_by;
    std::string outcome;             // "rolled back", "cancelled by U…", "step 2 (…) failed"
    std::optional<sys_seconds> ended_at;

    bool operator==(const rollback&) const = default;
};

// A rollback proposal. `deploying_promotion` is the promotion of this
// environment mid-deploy now (0 when none). Fields that do not belong to the
// request's kind are left empty.
struct rollback_proposal {
    std::int64_t id = 0;
    rollback_request request;
    std::string requester;
    std::string channel;
    std::string current_version;             // image: what runs now
    std::optional<rollback_target> target;   // image: from previous_good / explicit_target
    std::string infra_ref = std::string(default_infra_ref);
    std::int64_t deploying_promotion = 0;
    std::int64_t last_promotion = 0;         // dbt: the last promotion that changed the environment
    std::string last_promotion_version;
};

// A new rollback in phase proposed with its steps pending, or the refusal
// (an image rollback without a target or current version, a dbt model name
// or an infra ref that fails its validator, no steps configured).
struct proposal_result {
    std::optional<rollback> value;
    std::string refusal;
};
proposal_result new_rollback(const rollback_proposal& p, const rollback_policy& policy, sys_seconds now);

// ---- what can happen ---------------------------------------------------------

namespace rollback_events {
// Roll back pressed and its dialog confirmed.
struct confirmed {
    std::string user;
    role_set roles;
    bool frozen = false;                        // a change freeze is in force now
    std::optional<std::string> lock_holder;     // who holds the environment's deploy lock, when someone does
    std::int64_t lock_promotion = 0;            // the promotion holding it, 0 when the holder is no promotion
    std::optional<phase> running_promotion_phase;  // that promotion's phase
};
struct apply_pressed {
    std::string user;
    role_set roles;
};
struct cancel_pressed {
    std::string user;
    role_set roles;
};
// The emergency override's two halves, for a rollback a freeze holds back.
struct emergency_approved {
    std::string user;
    role_set roles;
};
struct on_call_present {
    std::string user;
    role_set roles;
};
using event::restarted;   // the process started again
using event::step_ended;  // {index, succeeded, summary, tail}; digest and frozen are not used
using event::tick;        // time passed: a proposal expires
}  // namespace rollback_events

using rollback_event =
    std::variant<rollback_events::confirmed, rollback_events::apply_pressed, rollback_events::cancel_pressed,
                 rollback_events::emergency_approved, rollback_events::on_call_present, rollback_events::step_ended,
                 rollback_events::tick, rollback_events::restarted>;

// ---- what to do about it -----------------------------------------------------

namespace rollback_effects {
// Cancel the promotion mid-deploy that this rollback takes over from: stop
// its running step, end it as cancelled, release its lock. Comes before take_lock.
struct cancel_promotion {
    std::int64_t promotion_id = 0;
};
// Mark the version rolled back from as bad: previous_good passes over it,
// and promoting it again needs /promote … override-bad <reason>.
struct mark_bad {
    std::string version;
};
using effect::finish_record;  // the deployment record (promotion_id 0) ends: succeeded, failed, …
using effect::note;           // in the rollback's thread
using effect::record;         // audit
using effect::release_lock;
using effect::run_step;
using effect::start_record;   // the deployment record (promotion_id 0) starts with the first step
using effect::take_lock;
using effect::tell;           // only to the person who acted
}  // namespace rollback_effects

using rollback_effect =
    std::variant<rollback_effects::take_lock, rollback_effects::release_lock, rollback_effects::cancel_promotion,
                 rollback_effects::run_step, rollback_effects::start_record, rollback_effects::finish_record,
                 rollback_effects::mark_bad, rollback_effects::record, rollback_effects::tell,
                 rollback_effects::note>;

struct rollback_transition {
    std::vector<rollback_effect> effects;
    bool changed = false;  // the rollback changed: save it and update its message
};

// Feeds one event. Refusals leave the rollback unchanged and answer with tell + record.
rollback_transition on(rollback& r, const rollback_event& e, const rollback_policy& policy, sys_seconds now);

// ---- questions the view and the service ask ----------------------------------

// "prod v1.2.3 → v1.2.2", "prod dbt fct_orders, dim_customers", "prod Terraform → HEAD~1"
std::string rollback_title(const rollback& r);
// What pressing Roll back will do, in full sentences (the confirm dialog's text).
std::string confirm_text(const rollback& r);
// The argv of step `index`: the template with {version} (the target),
// {environment}, {ref} and {models} filled in besides `values` (project_id,
// kube_context, …), every value checked by its validator.
expanded_argv rollback_argv(const rollback& r, int index, const rollback_policy& policy,
                            std::map<std::string, std::string> values);
// The names of the steps that completed, in order (for the note on the state
// an infra revert left the working copy in).
std::vector<std::string> completed_steps(const rollback& r);

}  // namespace promotebot::commands
