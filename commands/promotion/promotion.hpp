#pragma once
// One /promote request as a sans-IO state machine, in the style of the
// Socket Mode session: the promotion service feeds it what happened (a gate
// answered, someone pressed a button, a step ended, time passed, the process
// restarted) together with the time and the actor's roles, and carries out
// the actions it answers with (run the gates, run a step, take or release the
// deploy lock, record, refuse, note in the thread). The request's message is
// rendered from the request itself after every transition (promotion_view).
//
// Every rule of the runbook's checklist lives here, so each is testable with
// a fixed clock: gates (unknown blocks like fail), sign-offs by a second
// person bound to the version and Change Records and expiring, the emergency
// override during a freeze (VP + on-call present + rollback plan, three
// different people), deploy permission per environment, gates re-run before
// the first step, one deploy per environment, exactly-once steps, and a deploy
// interrupted by a crash never re-run silently.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/access/roles.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/message/message.hpp"
#include "commands/promotion/gate.hpp"

namespace promotebot::commands {

using sys_seconds = std::chrono::sys_seconds;

// Runbook Option A (Terraform, then the application) or Option B (application only).
enum class deploy_option { app, infra };
std::string_view to_string(deploy_option o);  // "app" / "infra"

// What a deployment step is, for the steps whose outcome the bot interprets.
enum class step_kind {
    command,         // runs; exit 0 is success
    push,            // `docker push`: its output names the digest of the pushed tag
    check_digest,    // the registry's digest of the tag must still be the pushed one
    set_image,       // `kubectl set image`: the change itself
    start_job,       // `kubectl create job --from=cronjob/…`: start the next run now
    verify_jobs,     // follow the cronjob's Jobs until the first one after the change ends
    terraform_plan,  // `terraform plan -out=tfplan`: the plan waits for a Release Manager's Apply
    terraform_apply, // `terraform apply tfplan`
};
std::string_view to_string(step_kind k);
std::optional<step_kind> step_kind_named(std::string_view s);

// The shape of one step as configured; the service expands its argv.
struct step_plan {
    std::string name;  // "docker push"
    step_kind kind = step_kind::command;
};

enum class signoff_kind {
    technical,     // Data Engineering: technical correctness
    data_quality,  // business stakeholder: data quality
    emergency,     // VP approval of an emergency during a freeze
    on_call,       // an on-call engineer confirms they are present
};
std::string_view to_string(signoff_kind k);
std::optional<signoff_kind> signoff_kind_named(std::string_view s);
std::string_view display_name(signoff_kind k);  // "Technical sign-off (Data Engineering)"
action action_of(signoff_kind k);

// The rules one environment's requests follow (from the configuration).
struct promotion_policy {
    std::vector<std::string> gates;             // gate IDs, in checklist order
    std::map<std::string, std::string> gate_titles;
    std::vector<signoff_kind> signoffs;         // required sign-offs (prod: technical and data quality)
    bool rollback_plan_required = false;        // prod: yes
    std::set<std::string> emergency_overrides;  // gates an emergency may override besides the freeze
    std::chrono::seconds approval_ttl{std::chrono::hours(24)};
    std::chrono::seconds request_ttl{std::chrono::days(7)};  // an open request expires after this
    std::vector<step_plan> app_steps;    // Option B
    std::vector<step_plan> infra_steps;  // Option A (Terraform steps, then usually the app steps)
    action deploy_action = action::deploy_prod;
    permission_table permissions = permission_table::runbook();
    // Release Managers to @-mention when the request is ready to deploy.
    std::vector<mention> release_managers;
};

// One approval, bound to exactly what was approved.
struct approval {
    std::string user;
    sys_seconds at{};
    std::string version;
    std::vector<std::string> change_records;
    std::string digest;  // the image digest when one was known at the time
    bool operator==(const approval&) const = default;
};

struct step_run {
    std::string name;
    step_kind kind = step_kind::command;
    line_state state = line_state::pending;
    std::optional<sys_seconds> started;
    std::optional<sys_seconds> ended;
    std::string summary;             // "exit 1", "digest sha256:…", "Plan: 1 to add, 0 to change, 0 to destroy."
    std::vector<std::string> tail;   // last lines of output (redacted), for the message on failure
    bool operator==(const step_run&) const = default;
};

enum class phase {
    open,            // gates and sign-offs; see status_of for the finer state
    pre_deploy,      // Deploy pressed: the gates run once more before the first step
    deploying,       // steps running
    awaiting_apply,  // Option A: the Terraform plan waits for a Release Manager's Apply
    done,
    failed,
    cancelled,
    expired,
    interrupted,     // the process stopped while steps ran: never re-run silently
};
std::string_view to_string(phase p);
std::optional<phase> phase_named(std::string_view s);
bool is_terminal(phase p);

// The request.
struct promotion {
    std::int64_t id = 0;
    std::string version;
    environment env = environment::prod;
    std::string requester;
    std::string channel;
    std::vector<std::string> change_records;
    std::string rollback_plan;
    deploy_option option = deploy_option::app;
    bool emergency = false;
    std::string emergency_reason;
    sys_seconds created_at{};

    phase ph = phase::open;
    int gate_round = 0;
    std::vector<gate_result> gates;  // in policy order
    std::map<signoff_kind, approval> approvals;
    bool release_managers_notified = false;
    std::string deployer;
    std::vector<step_run> steps;
    std::string pushed_digest;
    std::string plan_summary;          // Option A: the plan waiting for Apply
    std::string apply_approved_by;
    bool freeze_began_during_deploy = false;
    std::string outcome;               // why it ended: "cancelled by U…", "step 3 failed"
    std::optional<sys_seconds> ended_at;

    bool operator==(const promotion&) const = default;
};

// The finer state shown to people and stored for queries: checking, blocked,
// awaiting_signoffs, ready (for open requests), else the phase's name.
std::string status_of(const promotion& p, const promotion_policy& policy, sys_seconds now);

// ---- what can happen -------------------------------------------------------

namespace event {
// The request was just opened: check the gates.
struct opened {};
// A gate of round `round` answered (answers of an older round are ignored).
struct gate_answered {
    int round = 0;
    gate_result result;
};
// Someone pressed a button of the request.
struct pressed {
    enum class what { signoff, deploy, apply, cancel, recheck } button = what::deploy;
    signoff_kind signoff = signoff_kind::technical;  // for what::signoff
    std::string user;
    role_set roles;
    // For deploy: who holds the environment's deploy lock, when it is not this request.
    std::optional<std::string> lock_held_by;
    std::int64_t lock_held_for = 0;  // the promotion holding it
};
// The request's details were edited (Change Records, rollback plan).
struct details_changed {
    std::string user;
    std::vector<std::string> change_records;
    std::string rollback_plan;
};
// A step ended (the one the last run_step named).
struct step_ended {
    int index = 0;
    bool succeeded = false;
    std::string summary;
    std::vector<std::string> tail;
    std::string digest;    // push: the digest `docker push` reported
    bool frozen = false;   // a freeze is in force now
};
// Time passed: approvals and open requests expire.
struct tick {};
// A rollback of the environment was confirmed while this request deploys:
// the rollback takes over (its confirm dialog said this request is cancelled).
struct taken_over {
    std::int64_t rollback_id = 0;
    std::string user;  // who confirmed the rollback
};
// The process started again: whatever was running did not finish.
struct restarted {};
}  // namespace event

using promotion_event = std::variant<event::opened, event::gate_answered, event::pressed, event::details_changed,
                                     event::step_ended, event::tick, event::restarted, event::taken_over>;

// ---- what to do about it ---------------------------------------------------

namespace effect {
struct run_gates { int round = 0; };
struct run_step { int index = 0; };
struct take_lock { std::string holder; };
struct release_lock {};
// The deployment record: starts with the first step, ends with the last.
struct start_record {};
struct finish_record { std::string result; };  // succeeded, failed, interrupted, cancelled
// An audit record about this request.
struct record {
    std::string actor;
    std::string action;   // "promotion.signoff"
    std::string outcome;  // "ok", "refused", "voided", …
    nlohmann::json detail = nlohmann::json::object();
};
// Tell only the person who acted (a refusal or an acknowledgement).
struct tell { std::string user; rich_text text; };
// A note in the request's thread (visible to the channel).
struct note { rich_text text; };
// Kill the running step's process group: a rollback took over (a Cancel
// pressed during a deploy is refused; stopping halfway is the rollback's call).
struct cancel_running {};
}  // namespace effect

using promotion_effect = std::variant<effect::run_gates, effect::run_step, effect::take_lock, effect::release_lock,
                                      effect::start_record, effect::finish_record, effect::record, effect::tell,
                                      effect::note, effect::cancel_running>;

struct transition {
    std::vector<promotion_effect> effects;
    bool changed = false;  // the request changed: save it and update its message
};

// A new request in phase open, with every gate of the policy "checking".
promotion new_promotion(std::int64_t id, const promote_request& r, std::string requester, std::string channel,
                        std::vector<std::string> change_records, std::string rollback_plan, deploy_option option,
                        std::string emergency_reason, const promotion_policy& policy, sys_seconds now);

// Feeds one event. Refusals leave the request unchanged and answer with tell + record.
transition on(promotion& p, const promotion_event& e, const promotion_policy& policy, sys_seconds now);

// ---- questions the view and the service ask ------------------------------

// The freeze gate failed: prod is frozen now.
bool frozen(const promotion& p);
// An emergency request during a freeze: the override's requirements apply.
bool emergency_active(const promotion& p);
// VP approval, on-call presence and a rollback plan are all there.
bool emergency_complete(const promotion& p, const promotion_policy& policy, sys_seconds now);
// Whether a gate's answer lets the request go on (pass, or overridden by a complete emergency).
bool gate_ok(const promotion& p, const gate_result& g, const promotion_policy& policy, sys_seconds now);
bool gate_overridden(const promotion& p, const gate_result& g, const promotion_policy& policy, sys_seconds now);
// An approval still stands: same version, same Change Records, same digest, not expired.
bool approval_valid(const promotion& p, const approval& a, const promotion_policy& policy, sys_seconds now);
// Everything needed before Deploy may be pressed; empty when ready.
std::vector<std::string> missing_for_deploy(const promotion& p, const promotion_policy& policy, sys_seconds now);
const std::vector<step_plan>& steps_of(const promotion& p, const promotion_policy& policy);
// The index of the step running now, -1 when none (promotions and rollbacks).
int running_step(const std::vector<step_run>& steps);

}  // namespace promotebot::commands
