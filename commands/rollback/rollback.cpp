#include "commands/rollback/rollback.hpp"

#include <algorithm>

#include "commands/message/text.hpp"

namespace promotebot::commands {

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

using rt = rollback_transition;

std::string when_text(sys_seconds t, const date::time_zone* zone) {
    if (zone == nullptr) return date::format("%d %b %Y %H:%M UTC", t);
    return date::format("%d %b %Y %H:%M %Z", date::zoned_time{zone, t});
}

std::string minutes_text(std::chrono::seconds d) {
    const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count();
    if (m >= 120 && m % 60 == 0) return std::to_string(m / 60) + " hours";
    return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

bool is_prerelease(std::string_view v) { return v.find('-') != std::string_view::npos; }

// The newest successful deployment of `version` in `history`, if any.
const deployment_entry* last_success(const std::vector<deployment_entry>& history, std::string_view version) {
    for (const auto& e : history)
        if (e.version == version && e.result == "succeeded") return &e;
    return nullptr;
}

// A version whose last deployment here did not succeed.
bool last_deploy_failed(const std::vector<deployment_entry>& history, std::string_view version) {
    for (const auto& e : history)
        if (e.version == version) return e.result != "succeeded";
    return false;
}

rollback_target known_good_target(const deployment_entry& e, const date::time_zone* zone) {
    rollback_target t;
    t.version = e.version;
    t.known_good = true;
    t.deployed_by = e.deployer;
    t.deployed_at = e.ended_at;
    t.why = e.version + ", deployed by " + (e.deployer.empty() ? std::string{"someone"} : "@" + e.deployer) +
            (e.ended_at ? " on " + when_text(*e.ended_at, zone) : std::string{});
    return t;
}

void refuse(rt& t, const std::string& user, const std::string& action, rich_text why,
            nlohmann::json detail = nlohmann::json::object()) {
    detail["reason"] = why.readable();
    t.effects.push_back(effect::record{user, action, "refused", std::move(detail)});
    t.effects.push_back(effect::tell{user, std::move(why)});
}

void start_step(rollback& r, rt& t, int index, sys_seconds now) {
    auto& s = r.steps[static_cast<std::size_t>(index)];
    s.state = line_state::running;
    s.started = now;
    t.effects.push_back(effect::run_step{index});
    t.changed = true;
}

// Ends the rollback. `held` says whether it held the lock and had opened its
// deployment record (it had once confirmed).
void finish(rollback& r, rt& t, rollback_phase ph, std::string outcome, const std::string& record_result,
            sys_seconds now) {
    const bool held = r.ph == rollback_phase::running || r.ph == rollback_phase::awaiting_apply;
    r.ph = ph;
    r.outcome = std::move(outcome);
    r.ended_at = now;
    if (held) {
        t.effects.push_back(effect::release_lock{});
        if (!record_result.empty()) t.effects.push_back(effect::finish_record{record_result});
    }
    t.changed = true;
}

std::string env_name(const rollback& r) { return std::string(to_string(r.env)); }

// What an unfinished infra revert left behind, so that nobody applies on top of it unknowingly.
void note_working_copy(const rollback& r, rt& t) {
    if (r.what != rollback_kind::infra) return;
    const auto done = completed_steps(r);
    if (done.empty()) return;
    t.effects.push_back(effect::note{rich_text{
        "The Terraform working copy of " + env_name(r) + " is not restored. Completed: " + join(done, ", ") +
        ". Check it (git status) before the next change."}});
}

bool mid_deploy(std::optional<phase> p) {
    // A promotion holds the lock from Deploy to its end; an unknown phase counts as mid-deploy.
    return !p || *p == phase::pre_deploy || *p == phase::deploying || *p == phase::awaiting_apply;
}

std::string done_sentence(const rollback& r) {
    switch (r.what) {
    case rollback_kind::image: return env_name(r) + " runs " + r.target_version + " again.";
    case rollback_kind::dbt: return "The dbt models are rebuilt in " + env_name(r) + ": " + join(r.dbt_models, ", ") + ".";
    case rollback_kind::infra: return "The Terraform of " + env_name(r) + " is back at " + r.infra_ref + ".";
    }
    return "";
}

void on_confirm(rollback& r, const rollback_events::confirmed& e, rt& t, const rollback_policy& policy,
                sys_seconds now) {
    const std::string act = "rollback.confirm";
    const auto id = std::to_string(r.id);
    if (r.ph != rollback_phase::proposed)
        return refuse(t, e.user, act,
                      rich_text{"Rollback #" + id + " is already running (confirmed by "}
                          .append(user_mention(r.confirmed_by))
                          .append("). It runs once."));
    const auto d = authorize(policy.permissions, action::rollback, e.roles, e.user);
    if (!d.allowed) return refuse(t, e.user, act, d.reason);

    bool by_override = false;
    if (e.frozen) {
        const bool known_good = r.what == rollback_kind::image && r.target_known_good;
        const bool overridden = !r.emergency_approved_by.empty() && !r.on_call_present.empty();
        if (overridden && (!known_good || !policy.allow_known_good_during_freeze)) {
            by_override = true;
        } else if (!known_good || !policy.allow_known_good_during_freeze) {
            std::string why = env_name(r) + " is in a change freeze. ";
            if (r.what == rollback_kind::dbt)
                why += "A dbt rebuild";
            else if (r.what == rollback_kind::infra)
                why += "A Terraform revert";
            else if (!known_good)
                why += "Rolling back to " + r.target_version + ", which never ran in " + env_name(r) + ",";
            else
                why += "Rolling back during a freeze (even to " + r.target_version + ", which ran before)";
            why += " needs the emergency override: a VP presses Approve emergency and an on-call engineer presses "
                   "On-call present on the rollback's message, then Roll back again.";
            if (!r.override_needed) {
                r.override_needed = true;  // the message now offers the override's buttons
                t.changed = true;
            }
            return refuse(t, e.user, act, why, {{"needs", "emergency_override"}, {"frozen", true}});
        }
    }

    std::int64_t cancel = 0;
    if (e.lock_holder) {
        if (e.lock_promotion == 0)
            return refuse(t, e.user, act,
                          rich_text{env_name(r) + " is being changed by "}
                              .append(user_mention(*e.lock_holder))
                              .append(": one change per environment at a time. Press Roll back again when it has "
                                      "finished."),
                          {{"lock_holder", *e.lock_holder}});
        if (mid_deploy(e.running_promotion_phase)) {
            if (r.cancels_promotion != e.lock_promotion) {
                // The dialog that was confirmed did not say so: show it, ask again.
                r.cancels_promotion = e.lock_promotion;
                t.changed = true;
                return refuse(t, e.user, act,
                              "Promotion #" + std::to_string(e.lock_promotion) + " started deploying to " +
                                  env_name(r) +
                                  " after this rollback was proposed. Rolling back now cancels it: press Roll back "
                                  "again to go ahead.",
                              {{"lock_promotion", e.lock_promotion}});
            }
            cancel = e.lock_promotion;
        }
    }
    if (cancel == 0 && r.cancels_promotion != 0) {
        t.effects.push_back(effect::note{rich_text{"Promotion #" + std::to_string(r.cancels_promotion) +
                                                   " ended before the confirm: nothing is cancelled."}});
        r.cancels_promotion = 0;
    }

    r.ph = rollback_phase::running;
    r.confirmed_by = e.user;
    r.confirmed_at = now;
    r.frozen_at_confirm = e.frozen;
    t.changed = true;
    if (cancel != 0) t.effects.push_back(rollback_effects::cancel_promotion{cancel});
    t.effects.push_back(effect::take_lock{e.user});
    nlohmann::json detail = {{"kind", std::string(to_string(r.what))},
                             {"environment", env_name(r)},
                             {"during_freeze", e.frozen},
                             {"cancelled_promotion", cancel}};
    if (r.what == rollback_kind::image) {
        detail["from"] = r.current_version;
        detail["to"] = r.target_version;
        detail["known_good"] = r.target_known_good;
    }
    if (e.frozen) detail["rule"] = by_override ? "emergency_override" : "known_good_during_freeze";
    if (by_override) {
        detail["emergency_approved_by"] = r.emergency_approved_by;
        detail["on_call_present"] = r.on_call_present;
    }
    t.effects.push_back(effect::record{e.user, act, "accepted", std::move(detail)});
    if (r.what == rollback_kind::image && !r.current_version.empty())
        t.effects.push_back(rollback_effects::mark_bad{r.current_version});

    rich_text n = rich_text{"Rollback confirmed by "}.append(user_mention(e.user)).append(".");
    if (cancel != 0) n.append(" Promotion #" + std::to_string(cancel) + " is cancelled.");
    if (r.what == rollback_kind::image) n.append(" " + r.current_version + " is marked bad.");
    if (e.frozen && by_override)
        n.append(" A change freeze is in force: the emergency override (approved by ")
            .append(user_mention(r.emergency_approved_by))
            .append(", on-call ")
            .append(user_mention(r.on_call_present))
            .append(" present) lets it through, and it is recorded.");
    else if (e.frozen)
        n.append(" A change freeze is in force: rolling back to " + r.target_version + ", which ran in " +
                 env_name(r) + " before, is allowed and recorded.");
    t.effects.push_back(effect::note{std::move(n)});
    t.effects.push_back(effect::start_record{});
    if (r.steps.empty()) return finish(r, t, rollback_phase::done, "nothing to run", "succeeded", now);
    start_step(r, t, 0, now);
}

void on_apply(rollback& r, const rollback_events::apply_pressed& e, rt& t, const rollback_policy& policy,
              sys_seconds now) {
    const std::string act = "rollback.apply";
    if (r.ph != rollback_phase::awaiting_apply)
        return refuse(t, e.user, act, "There is no Terraform plan waiting for Apply on this rollback.");
    const auto d = authorize(policy.permissions, policy.apply_action, e.roles, e.user);
    if (!d.allowed) return refuse(t, e.user, act, d.reason);
    r.apply_approved_by = e.user;
    r.ph = rollback_phase::running;
    t.changed = true;
    t.effects.push_back(effect::record{e.user, act, "ok", {{"plan", r.plan_summary}}});
    t.effects.push_back(
        effect::note{rich_text{"Plan approved by "}.append(user_mention(e.user)).append(": applying.")});
    for (std::size_t i = 0; i < r.steps.size(); ++i)
        if (r.steps[i].state == line_state::pending) return start_step(r, t, static_cast<int>(i), now);
    t.effects.push_back(effect::note{rich_text{done_sentence(r)}});
    finish(r, t, rollback_phase::done, "rolled back", "succeeded", now);
}

// One half of the emergency override: the VP's approval or the on-call engineer's presence.
void on_override(rollback& r, const std::string& user, const role_set& roles, bool vp, rt& t,
                 const rollback_policy& policy) {
    const std::string act = vp ? "rollback.emergency_approve" : "rollback.on_call_present";
    if (r.ph != rollback_phase::proposed)
        return refuse(t, user, act, "Rollback #" + std::to_string(r.id) + " is already " +
                                        std::string(to_string(r.ph)) + ": the override is for a proposal.");
    const auto d = authorize(policy.permissions, vp ? action::approve_emergency : action::confirm_on_call_presence,
                             roles, user);
    if (!d.allowed) return refuse(t, user, act, d.reason);
    const auto& other = vp ? r.on_call_present : r.emergency_approved_by;
    if (other == user)
        return refuse(t, user, act, "The VP's approval and the on-call engineer's presence come from two different "
                                    "people.");
    auto& mine = vp ? r.emergency_approved_by : r.on_call_present;
    if (mine == user) return refuse(t, user, act, "Already recorded.");
    mine = user;
    t.changed = true;
    t.effects.push_back(effect::record{user, act, "ok"});
    rich_text n = rich_text{vp ? "Emergency override approved by " : "On-call engineer present: "}.append(user_mention(user)).append(".");
    if (!r.emergency_approved_by.empty() && !r.on_call_present.empty())
        n.append(" The override is complete: Roll back goes ahead despite the freeze.");
    t.effects.push_back(effect::note{std::move(n)});
}

void on_cancel(rollback& r, const rollback_events::cancel_pressed& e, rt& t, const rollback_policy& policy,
               sys_seconds now) {
    const std::string act = "rollback.cancel";
    const bool may = e.user == r.requester || authorize(policy.permissions, action::rollback, e.roles, e.user).allowed;
    if (!may)
        return refuse(t, e.user, act, "Only the requester, on-call or a Release Manager can cancel this rollback.");
    if (r.ph == rollback_phase::running)
        return refuse(t, e.user, act,
                      "Steps are running: stopping halfway is worse. Wait for the rollback to end.");
    t.effects.push_back(effect::record{e.user, act, "ok"});
    t.effects.push_back(effect::note{rich_text{"Cancelled by "}
                                         .append(user_mention(e.user))
                                         .append(r.ph == rollback_phase::awaiting_apply ? ": nothing is applied."
                                                                                         : ": nothing was changed.")});
    note_working_copy(r, t);
    finish(r, t, rollback_phase::cancelled, "cancelled by " + e.user, "cancelled", now);
}

void on_step(rollback& r, const rollback_events::step_ended& e, rt& t, sys_seconds now) {
    if (r.ph != rollback_phase::running || e.index != running_step(r.steps)) return;
    auto& s = r.steps[static_cast<std::size_t>(e.index)];
    s.state = e.succeeded ? line_state::passed : line_state::failed;
    s.ended = now;
    s.summary = e.summary;
    s.tail = e.tail;
    t.changed = true;
    t.effects.push_back(effect::record{"system", "rollback.step", e.succeeded ? "ok" : "failed",
                                       {{"step", s.name}, {"index", e.index}, {"summary", e.summary}}});
    const auto label = "step " + std::to_string(e.index + 1) + " (" + s.name + ")";
    if (!e.succeeded) {
        t.effects.push_back(effect::note{rich_text{"Step " + std::to_string(e.index + 1) + " (" + s.name +
                                                   ") failed: " + e.summary + " Check " + env_name(r) + " now."}});
        note_working_copy(r, t);
        return finish(r, t, rollback_phase::failed, label + " failed", "failed", now);
    }
    if (s.kind == step_kind::terraform_plan) {
        r.ph = rollback_phase::awaiting_apply;
        r.plan_summary = e.summary;
        t.effects.push_back(effect::note{
            rich_text{"Terraform plan ready: " + e.summary + " A Release Manager reviews it and presses Apply."}});
        return;
    }
    const auto next = static_cast<std::size_t>(e.index) + 1;
    if (next < r.steps.size()) return start_step(r, t, static_cast<int>(next), now);
    t.effects.push_back(effect::note{rich_text{done_sentence(r)}});
    finish(r, t, rollback_phase::done, "rolled back", "succeeded", now);
}

void on_tick(rollback& r, rt& t, const rollback_policy& policy, sys_seconds now) {
    if (r.ph != rollback_phase::proposed || now - r.created_at < policy.proposal_ttl) return;
    t.effects.push_back(effect::record{"system", "rollback.expire", "expired"});
    t.effects.push_back(effect::note{rich_text{"Not confirmed within " + minutes_text(policy.proposal_ttl) +
                                               ": nothing was changed. Run /rollback again to see the state as it "
                                               "is now."}});
    finish(r, t, rollback_phase::expired, "expired", "", now);
}

void on_restart(rollback& r, rt& t, sys_seconds now) {
    // A proposal and a plan waiting for Apply lose nothing: they wait on.
    if (r.ph != rollback_phase::running) return;
    std::string running;
    for (auto& s : r.steps)
        if (s.state == line_state::running) {
            s.state = line_state::unknown;
            s.ended = now;
            s.summary = "interrupted: its outcome is unknown";
            running = s.name;
        }
    const auto done = completed_steps(r);
    t.effects.push_back(effect::record{"system", "rollback.interrupted", "interrupted",
                                       {{"completed", done}, {"running", running}}});
    t.effects.push_back(effect::note{rich_text{
        "promotebot stopped while rolling back. Completed: " + (done.empty() ? "none" : join(done, ", ")) +
        (running.empty() ? "" : ". Interrupted, outcome unknown: " + running) +
        ". Nothing is re-run automatically: check " + env_name(r) + ", then run /rollback again if needed."}});
    finish(r, t, rollback_phase::interrupted, "interrupted during " + (running.empty() ? "the rollback" : running),
           "interrupted", now);
}

}  // namespace

std::string_view to_string(rollback_kind k) {
    switch (k) {
    case rollback_kind::image: return "image";
    case rollback_kind::dbt: return "dbt";
    case rollback_kind::infra: return "infra";
    }
    return "image";
}

std::optional<rollback_kind> rollback_kind_named(std::string_view s) {
    for (auto k : {rollback_kind::image, rollback_kind::dbt, rollback_kind::infra})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::string_view to_string(rollback_phase p) {
    switch (p) {
    case rollback_phase::proposed: return "proposed";
    case rollback_phase::running: return "running";
    case rollback_phase::awaiting_apply: return "awaiting_apply";
    case rollback_phase::done: return "done";
    case rollback_phase::failed: return "failed";
    case rollback_phase::cancelled: return "cancelled";
    case rollback_phase::expired: return "expired";
    case rollback_phase::interrupted: return "interrupted";
    }
    return "proposed";
}

std::optional<rollback_phase> rollback_phase_named(std::string_view s) {
    for (auto p : {rollback_phase::proposed, rollback_phase::running, rollback_phase::awaiting_apply,
                   rollback_phase::done, rollback_phase::failed, rollback_phase::cancelled, rollback_phase::expired,
                   rollback_phase::interrupted})
        if (to_string(p) == s) return p;
    return std::nullopt;
}

bool is_terminal(rollback_phase p) {
    return p == rollback_phase::done || p == rollback_phase::failed || p == rollback_phase::cancelled ||
           p == rollback_phase::expired || p == rollback_phase::interrupted;
}

target_choice previous_good(std::string_view current, const std::vector<deployment_entry>& history,
                            const std::vector<registry_tag>& registry_tags, const std::set<std::string>& bad,
                            const date::time_zone* zone) {
    // Only what ran before the current deployment counts: anything newer was rolled back from.
    std::size_t from = 0;
    for (std::size_t i = 0; i < history.size(); ++i)
        if (history[i].version == current && history[i].result == "succeeded") {
            from = i + 1;
            break;
        }
    for (std::size_t i = from; i < history.size(); ++i) {
        const auto& e = history[i];
        if (e.result != "succeeded" || e.version == current || bad.count(e.version) > 0) continue;
        return {known_good_target(e, zone), {}};
    }
    // Never deployed by promotebot: the registry's newest image older than the current one. A
    // pre-release is no previous good version of anything.
    std::size_t start = 0;
    for (std::size_t i = 0; i < registry_tags.size(); ++i)
        if (registry_tags[i].version == current) {
            start = i + 1;
            break;
        }
    for (std::size_t i = start; i < registry_tags.size(); ++i) {
        const auto& v = registry_tags[i].version;
        if (!is_valid_version(v) || is_prerelease(v) || v == current || bad.count(v) > 0 ||
            last_deploy_failed(history, v))
            continue;
        rollback_target t;
        t.version = v;
        t.why = v + ", the newest image before " + std::string(current) +
                " in the registry; never deployed by promotebot";
        return {t, {}};
    }
    return {std::nullopt, "no previous good version: nothing in the deployment history or the registry before " +
                              std::string(current) + " that is not marked bad. Name one with `to <version>`."};
}

target_choice explicit_target(std::string_view current, std::string_view wanted,
                              const std::vector<deployment_entry>& history,
                              const std::vector<registry_tag>& registry_tags, const std::set<std::string>& bad,
                              const date::time_zone* zone) {
    const std::string v(wanted);
    if (!is_valid_version(v)) return {std::nullopt, "that is not a version like v1.2.3"};
    if (v == current) return {std::nullopt, v + " is the version running now: there is nothing to roll back."};
    if (bad.count(v) > 0)
        return {std::nullopt, v + " is marked bad (it was rolled back from). To run it again, promote it with "
                                  "`/promote " + v + " override-bad <reason…>`."};
    if (const auto* e = last_success(history, v)) return {known_good_target(*e, zone), {}};
    const bool in_registry = std::any_of(registry_tags.begin(), registry_tags.end(),
                                         [&](const registry_tag& t) { return t.version == v; });
    const bool in_history =
        std::any_of(history.begin(), history.end(), [&](const deployment_entry& e) { return e.version == v; });
    if (!in_registry && !in_history) return {std::nullopt, "no image " + v + " in the registry"};
    rollback_target t;
    t.version = v;
    t.why = v + ", as named; " + (in_history ? "its deployments here did not succeed" : "never deployed by promotebot");
    return {t, {}};
}

std::vector<rollback_step_plan> runbook_image_rollback_steps() {
    return {
        {"kubectl set image", step_kind::set_image,
         {"kubectl", "set", "image", "-n", "markets", "cronjob/markets-pipeline",
          "orchestrator=gcr.io/{project_id}/markets-orchestrator:{version}"}},
        {"verify the next run", step_kind::verify_jobs, {"kubectl", "get", "jobs", "-n", "markets", "-o", "json"}},
    };
}

std::vector<rollback_step_plan> runbook_dbt_rollback_steps() {
    // No -it: nobody is at a terminal, and a TTY would mix stderr into stdout.
    return {
        {"dbt run --full-refresh", step_kind::command,
         {"kubectl", "exec", "-n", "markets", "deploy/markets-pipeline", "--", "dbt", "run", "--select",
          std::string(models_placeholder), "--full-refresh"}},
    };
}

std::vector<rollback_step_plan> runbook_infra_rollback_steps() {
    return {
        {"git checkout", step_kind::command, {"git", "checkout", "{ref}", "--", "."}},
        {"terraform plan", step_kind::terraform_plan, {"terraform", "plan", "-input=false", "-out=rollback.tfplan"}},
        {"terraform apply", step_kind::terraform_apply, {"terraform", "apply", "-input=false", "rollback.tfplan"}},
    };
}

const std::vector<rollback_step_plan>& steps_of(rollback_kind k, const rollback_policy& policy) {
    switch (k) {
    case rollback_kind::dbt: return policy.dbt_steps;
    case rollback_kind::infra: return policy.infra_steps;
    case rollback_kind::image: break;
    }
    return policy.image_steps;
}

std::vector<std::string> rollback_template_problems(rollback_kind k, const std::vector<std::string>& argv_template,
                                                    const std::set<std::string>& allowed) {
    std::vector<std::string> rest;
    int models = 0;
    for (const auto& a : argv_template) {
        if (k == rollback_kind::dbt && a == models_placeholder && !rest.empty()) {
            ++models;
            continue;
        }
        rest.push_back(a);
    }
    auto problems = template_problems(rest, allowed);
    if (models > 1) problems.emplace_back("{models} is given more than once");
    return problems;
}

proposal_result new_rollback(const rollback_proposal& p, const rollback_policy& policy, sys_seconds now) {
    const auto& req = p.request;
    rollback r;
    r.id = p.id;
    r.what = req.what;
    r.env = req.target;
    r.requester = p.requester;
    r.channel = p.channel;
    r.created_at = now;
    r.cancels_promotion = p.deploying_promotion;
    switch (req.what) {
    case rollback_kind::image:
        if (!is_valid_version(p.current_version))
            return {std::nullopt, "the version running in " + std::string(to_string(req.target)) +
                                      " is not known, so there is no previous one to go back to"};
        if (!p.target || !is_valid_version(p.target->version))
            return {std::nullopt, "no version to roll back to"};
        if (p.target->version == p.current_version)
            return {std::nullopt, p.current_version + " is the version running now: there is nothing to roll back."};
        r.current_version = p.current_version;
        r.target_version = p.target->version;
        r.target_why = p.target->why;
        r.target_known_good = p.target->known_good;
        r.target_deployed_by = p.target->deployed_by;
        r.target_deployed_at = p.target->deployed_at;
        break;
    case rollback_kind::dbt:
        if (req.dbt_models.empty() || req.dbt_models.size() > max_rollback_dbt_models)
            return {std::nullopt, "a dbt rollback names 1 to " + std::to_string(max_rollback_dbt_models) + " models"};
        for (const auto& m : req.dbt_models)
            if (!is_valid_dbt_model(m)) return {std::nullopt, "a dbt model name is not valid"};
        r.dbt_models = req.dbt_models;
        r.last_promotion = p.last_promotion;
        if (is_valid_version(p.last_promotion_version)) r.last_promotion_version = p.last_promotion_version;
        break;
    case rollback_kind::infra:
        if (!is_valid_git_ref(p.infra_ref))
            return {std::nullopt, "the revision to restore is not HEAD~N, a commit or a plain branch or tag name"};
        r.infra_ref = p.infra_ref;
        break;
    }
    const auto& plan = steps_of(req.what, policy);
    if (plan.empty())
        return {std::nullopt, "no steps are configured for " + std::string(to_string(req.what)) + " rollbacks"};
    for (const auto& s : plan) {
        step_run run;
        run.name = s.name;
        run.kind = s.kind;
        r.steps.push_back(std::move(run));
    }
    return {std::move(r), {}};
}

rollback_transition on(rollback& r, const rollback_event& e, const rollback_policy& policy, sys_seconds now) {
    rt t;
    const auto terminal_refusal = [&](const std::string& user, const char* act) {
        refuse(t, user, act,
               "Rollback #" + std::to_string(r.id) + " is " + std::string(to_string(r.ph)) +
                   ": its buttons no longer do anything. Run /rollback again if needed.");
    };
    std::visit(overloaded{
                   [&](const rollback_events::confirmed& c) {
                       if (is_terminal(r.ph)) return terminal_refusal(c.user, "rollback.confirm");
                       on_confirm(r, c, t, policy, now);
                   },
                   [&](const rollback_events::apply_pressed& a) {
                       if (is_terminal(r.ph)) return terminal_refusal(a.user, "rollback.apply");
                       on_apply(r, a, t, policy, now);
                   },
                   [&](const rollback_events::cancel_pressed& c) {
                       if (is_terminal(r.ph)) return terminal_refusal(c.user, "rollback.cancel");
                       on_cancel(r, c, t, policy, now);
                   },
                   [&](const rollback_events::emergency_approved& a) {
                       if (is_terminal(r.ph)) return terminal_refusal(a.user, "rollback.emergency_approve");
                       on_override(r, a.user, a.roles, true, t, policy);
                   },
                   [&](const rollback_events::on_call_present& a) {
                       if (is_terminal(r.ph)) return terminal_refusal(a.user, "rollback.on_call_present");
                       on_override(r, a.user, a.roles, false, t, policy);
                   },
                   [&](const rollback_events::step_ended& s) { on_step(r, s, t, now); },
                   [&](const rollback_events::tick&) { on_tick(r, t, policy, now); },
                   [&](const rollback_events::restarted&) { on_restart(r, t, now); },
               },
               e);
    return t;
}

std::string rollback_title(const rollback& r) {
    switch (r.what) {
    case rollback_kind::image: return env_name(r) + " " + r.current_version + " → " + r.target_version;
    case rollback_kind::dbt: return env_name(r) + " dbt " + join(r.dbt_models, ", ") + " (full refresh)";
    case rollback_kind::infra: return env_name(r) + " Terraform → " + r.infra_ref;
    }
    return env_name(r);
}

std::string confirm_text(const rollback& r) {
    std::string s;
    switch (r.what) {
    case rollback_kind::image:
        s = "Roll " + env_name(r) + " back from " + r.current_version + " to " + r.target_version + ", then verify "
            "the next pipeline run. " + r.current_version + " will be marked bad.";
        break;
    case rollback_kind::dbt:
        s = "Rebuild " + join(r.dbt_models, ", ") + " in " + env_name(r) + " with dbt run --full-refresh.";
        break;
    case rollback_kind::infra:
        s = "Restore the Terraform code of " + env_name(r) + " to " + r.infra_ref +
            " and plan. Nothing is applied until a Release Manager presses Apply.";
        break;
    }
    if (r.cancels_promotion != 0)
        s += " Promotion #" + std::to_string(r.cancels_promotion) + " is deploying and will be cancelled.";
    return s;
}

expanded_argv rollback_argv(const rollback& r, int index, const rollback_policy& policy,
                            std::map<std::string, std::string> values) {
    const auto& plan = steps_of(r.what, policy);
    if (index < 0 || static_cast<std::size_t>(index) >= plan.size())
        return {{}, "there is no step " + std::to_string(index + 1)};
    values["environment"] = env_name(r);
    if (!r.target_version.empty()) values["version"] = r.target_version;
    if (!r.infra_ref.empty()) values["ref"] = r.infra_ref;
    // {models} becomes one argument per model: expand the rest, then put them in its place.
    std::vector<std::string> rest;
    std::optional<std::size_t> models_at;
    for (const auto& a : plan[static_cast<std::size_t>(index)].argv) {
        if (r.what == rollback_kind::dbt && a == models_placeholder && !rest.empty() && !models_at) {
            models_at = rest.size();
            continue;
        }
        rest.push_back(a);
    }
    auto out = expand_argv(rest, values);
    if (!out.ok() || !models_at) return out;
    if (r.dbt_models.empty()) return {{}, "{models}: no dbt model is named"};
    for (const auto& m : r.dbt_models)
        if (!is_valid_dbt_model(m)) return {{}, "{models}: a value is not a dbt model name"};
    out.argv.insert(out.argv.begin() + static_cast<std::ptrdiff_t>(*models_at), r.dbt_models.begin(),
                    r.dbt_models.end());
    return out;
}

std::vector<std::string> completed_steps(const rollback& r) {
    std::vector<std::string> out;
    for (const auto& s : r.steps)
        if (s.state == line_state::passed) out.push_back(s.name);
    return out;
}

}  // namespace promotebot::commands
