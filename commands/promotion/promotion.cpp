#include "commands/promotion/promotion.hpp"

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

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string duration_text(std::chrono::seconds d) {
    const auto h = std::chrono::duration_cast<std::chrono::hours>(d).count();
    const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count() % 60;
    if (h >= 48) return plural(h / 24, "day", "days");
    if (h > 0) return std::to_string(h) + " h" + (m ? " " + std::to_string(m) + " min" : "");
    return plural(std::max<std::int64_t>(m, 0), "minute", "minutes");
}

void refuse(transition& t, const std::string& user, const std::string& action, rich_text why,
            nlohmann::json detail = nlohmann::json::object()) {
    detail["reason"] = why.readable();
    t.effects.push_back(effect::record{user, action, "refused", std::move(detail)});
    t.effects.push_back(effect::tell{user, std::move(why)});
}

gate_result* find_gate(promotion& p, const std::string& id) {
    for (auto& g : p.gates)
        if (g.id == id) return &g;
    return nullptr;
}

// A new round of gate checks: every gate "checking" again.
void recheck(promotion& p, transition& t) {
    ++p.gate_round;
    for (auto& g : p.gates) {
        g.state = gate_state::checking;
        g.evidence.clear();
        g.link.clear();
    }
    t.effects.push_back(effect::run_gates{p.gate_round});
    t.changed = true;
}

bool all_answered(const promotion& p) {
    return std::none_of(p.gates.begin(), p.gates.end(),
                        [](const gate_result& g) { return g.state == gate_state::checking; });
}

void start_step(promotion& p, transition& t, int index, sys_seconds now) {
    auto& s = p.steps[static_cast<std::size_t>(index)];
    s.state = line_state::running;
    s.started = now;
    t.effects.push_back(effect::run_step{index});
    t.changed = true;
}

void finish(promotion& p, transition& t, phase ph, std::string outcome, const std::string& record_result,
            sys_seconds now) {
    p.ph = ph;
    p.outcome = std::move(outcome);
    p.ended_at = now;
    t.effects.push_back(effect::release_lock{});
    if (!record_result.empty()) t.effects.push_back(effect::finish_record{record_result});
    t.changed = true;
}

// Everyone mentioned when the request becomes ready to deploy.
rich_text ready_note(const promotion& p, const promotion_policy& policy) {
    rich_text t{"Ready to deploy " + p.version + " to " + std::string(to_string(p.env)) + ". "};
    if (policy.release_managers.empty()) return t.append("Release Managers: press Deploy.");
    t.append("Release Manager notified: ");
    for (std::size_t i = 0; i < policy.release_managers.size(); ++i) {
        if (i > 0) t.append(" ");
        t.append(policy.release_managers[i]);
    }
    return t;
}

void maybe_notify_ready(promotion& p, transition& t, const promotion_policy& policy, sys_seconds now) {
    if (p.ph != phase::open || p.release_managers_notified || !all_answered(p)) return;
    if (!missing_for_deploy(p, policy, now).empty()) return;
    p.release_managers_notified = true;
    t.effects.push_back(effect::note{ready_note(p, policy)});
    nlohmann::json who = nlohmann::json::array();
    for (const auto& m : policy.release_managers) who.push_back(m.id);
    t.effects.push_back(effect::record{"system", "promotion.ready", "notified", {{"release_managers", who}}});
    t.changed = true;
}

bool bound_to_request(const promotion& p, const approval& a) {
    return a.version == p.version && a.change_records == p.change_records &&
           (a.digest.empty() || p.pushed_digest.empty() || a.digest == p.pushed_digest);
}

void on_signoff(promotion& p, const event::pressed& e, transition& t, const promotion_policy& policy,
                sys_seconds now) {
    const std::string act = "promotion.signoff." + std::string(to_string(e.signoff));
    const bool emergency_role = e.signoff == signoff_kind::emergency || e.signoff == signoff_kind::on_call;
    if (p.ph != phase::open)
        return refuse(t, e.user, act, "The deploy has already started: sign-offs are closed for this request.");
    if (emergency_role && !p.emergency)
        return refuse(t, e.user, act,
                      "This is not an emergency request: it needs no VP approval or on-call presence.");
    if (!emergency_role &&
        std::find(policy.signoffs.begin(), policy.signoffs.end(), e.signoff) == policy.signoffs.end())
        return refuse(t, e.user, act,
                      std::string(display_name(e.signoff)) + " is not required for " +
                          std::string(to_string(p.env)) + ".");
    const auto d = authorize(policy.permissions, action_of(e.signoff), e.roles, e.user, p.requester);
    if (!d.allowed) {
        std::string why = d.reason;
        if (why == "you cannot sign off your own request") why = "You cannot sign off your own request.";
        return refuse(t, e.user, act, why);
    }
    if (emergency_role) {
        // VP approval, on-call presence and the request: three different people.
        const auto other = e.signoff == signoff_kind::emergency ? signoff_kind::on_call : signoff_kind::emergency;
        const auto it = p.approvals.find(other);
        if (it != p.approvals.end() && it->second.user == e.user)
            return refuse(t, e.user, act,
                          "You already gave the " + std::string(display_name(other)) +
                              " for this request: the emergency needs a different person for each role.");
    }
    const auto mine = p.approvals.find(e.signoff);
    if (mine != p.approvals.end() && mine->second.user == e.user && approval_valid(p, mine->second, policy, now)) {
        t.effects.push_back(effect::tell{e.user, "You already gave the " + std::string(display_name(e.signoff)) +
                                                     " for " + p.version + "."});
        return;
    }
    p.approvals[e.signoff] = approval{e.user, now, p.version, p.change_records, p.pushed_digest};
    t.effects.push_back(effect::record{e.user, act, "ok",
                                       {{"version", p.version}, {"change_records", p.change_records}}});
    t.effects.push_back(effect::note{rich_text{std::string(display_name(e.signoff)) + " given by "}
                                         .append(user_mention(e.user))
                                         .append(" for " + p.version + ".")});
    // Every sign-off runs the gates again: an approval is given on the facts as they are now.
    recheck(p, t);
}

void on_deploy(promotion& p, const event::pressed& e, transition& t, const promotion_policy& policy,
               sys_seconds now) {
    const std::string act = "promotion.deploy";
    const auto d = authorize(policy.permissions, policy.deploy_action, e.roles, e.user);
    if (!d.allowed) return refuse(t, e.user, act, d.reason);
    if (p.ph != phase::open)
        return refuse(t, e.user, act, "This request is already " + std::string(to_string(p.ph)) + ".");
    if (e.lock_held_by)
        return refuse(t, e.user, act,
                      rich_text{std::string(to_string(p.env)) + " is being deployed by "}
                          .append(user_mention(*e.lock_held_by))
                          // A rollback holds the lock under its negated ID.
                          .append((e.lock_held_for < 0 ? " (rollback #" + std::to_string(-e.lock_held_for)
                                                       : " (promotion #" + std::to_string(e.lock_held_for)) +
                                  "). One deployment per environment at a time: press Deploy again when it has "
                                  "finished."),
                      {{"lock_holder", *e.lock_held_by}, {"lock_promotion", e.lock_held_for}});
    const auto missing = missing_for_deploy(p, policy, now);
    if (!missing.empty()) {
        nlohmann::json m = missing;
        return refuse(t, e.user, act, "Not ready to deploy: " + join(missing, "; ") + ".", {{"missing", m}});
    }
    p.ph = phase::pre_deploy;
    p.deployer = e.user;
    p.steps.clear();
    for (const auto& s : steps_of(p, policy)) {
        step_run r;
        r.name = s.name;
        r.kind = s.kind;
        p.steps.push_back(std::move(r));
    }
    t.effects.push_back(effect::take_lock{e.user});
    t.effects.push_back(effect::record{e.user, act, "accepted", {{"version", p.version}}});
    t.effects.push_back(effect::note{rich_text{"Deploy pressed by "}
                                         .append(user_mention(e.user))
                                         .append(": checking every gate once more before the first step.")});
    // The last look before anything changes: a gate red now stops the deploy.
    recheck(p, t);
}

void on_apply(promotion& p, const event::pressed& e, transition& t, const promotion_policy& policy,
              sys_seconds now) {
    const std::string act = "promotion.apply";
    if (p.ph != phase::awaiting_apply)
        return refuse(t, e.user, act, "There is no Terraform plan waiting for approval on this request.");
    const auto d = authorize(policy.permissions, policy.deploy_action, e.roles, e.user);
    if (!d.allowed) return refuse(t, e.user, act, d.reason);
    p.apply_approved_by = e.user;
    p.ph = phase::deploying;
    t.effects.push_back(effect::record{e.user, act, "ok", {{"plan", p.plan_summary}}});
    t.effects.push_back(
        effect::note{rich_text{"Plan approved by "}.append(user_mention(e.user)).append(": applying.")});
    int next = -1;
    for (std::size_t i = 0; i < p.steps.size(); ++i)
        if (p.steps[i].state == line_state::pending) {
            next = static_cast<int>(i);
            break;
        }
    if (next < 0) return finish(p, t, phase::done, "deployed", "succeeded", now);
    start_step(p, t, next, now);
}

void on_cancel(promotion& p, const event::pressed& e, transition& t, const promotion_policy& policy,
               sys_seconds now) {
    const std::string act = "promotion.cancel";
    const bool may = e.user == p.requester ||
                     authorize(policy.permissions, policy.deploy_action, e.roles, e.user).allowed;
    if (!may)
        return refuse(t, e.user, act, "Only the requester or someone who may deploy to " +
                                          std::string(to_string(p.env)) + " can cancel this request.");
    if (p.ph == phase::deploying)
        return refuse(t, e.user, act,
                      "Steps are running: stopping halfway is worse. Wait for the deploy to end, then roll back "
                      "if needed.");
    const bool record_started = p.ph == phase::awaiting_apply;
    t.effects.push_back(effect::record{e.user, act, "ok"});
    t.effects.push_back(effect::note{rich_text{"Cancelled by "}.append(user_mention(e.user)).append(".")});
    finish(p, t, phase::cancelled, "cancelled by " + e.user, record_started ? "cancelled" : "", now);
}

void on_gate(promotion& p, const event::gate_answered& e, transition& t, const promotion_policy& policy,
             sys_seconds now) {
    if (e.round != p.gate_round || (p.ph != phase::open && p.ph != phase::pre_deploy)) return;
    auto* g = find_gate(p, e.result.id);
    if (!g || g->state != gate_state::checking) return;
    const auto title = g->title;
    *g = e.result;
    if (g->title.empty()) g->title = title;
    if (g->checked_at == sys_seconds{}) g->checked_at = now;
    t.changed = true;
    t.effects.push_back(effect::record{"system", "promotion.gate", std::string(to_string(g->state)),
                                       {{"gate", g->id},
                                        {"evidence", g->evidence},
                                        {"link", g->link},
                                        {"round", e.round},
                                        {"overridden", gate_overridden(p, *g, policy, now)}}});
    if (!all_answered(p)) return;
    if (p.ph == phase::open) return maybe_notify_ready(p, t, policy, now);
    // pre_deploy: go, or stop before anything changed.
    const auto missing = missing_for_deploy(p, policy, now);
    if (!missing.empty()) {
        p.ph = phase::open;
        p.steps.clear();
        p.deployer.clear();
        t.effects.push_back(effect::release_lock{});
        t.effects.push_back(effect::record{"system", "promotion.deploy", "stopped", {{"missing", missing}}});
        t.effects.push_back(
            effect::note{rich_text{"Deploy stopped before the first step: " + join(missing, "; ") + "."}});
        return;
    }
    if (p.steps.empty()) return finish(p, t, phase::done, "nothing to run", "", now);
    p.ph = phase::deploying;
    t.effects.push_back(effect::start_record{});
    start_step(p, t, 0, now);
}

void on_step(promotion& p, const event::step_ended& e, transition& t, const promotion_policy&, sys_seconds now) {
    if (p.ph != phase::deploying || e.index != running_step(p.steps)) return;
    auto& s = p.steps[static_cast<std::size_t>(e.index)];
    s.state = e.succeeded ? line_state::passed : line_state::failed;
    s.ended = now;
    s.summary = e.summary;
    s.tail = e.tail;
    if (s.kind == step_kind::push && !e.digest.empty()) p.pushed_digest = e.digest;
    t.changed = true;
    t.effects.push_back(effect::record{"system", "promotion.step", e.succeeded ? "ok" : "failed",
                                       {{"step", s.name}, {"index", e.index}, {"summary", e.summary}}});
    if (e.frozen && !p.freeze_began_during_deploy) {
        p.freeze_began_during_deploy = true;
        t.effects.push_back(effect::note{rich_text{
            "A change freeze began during this deploy: the running steps finish, because stopping halfway "
            "is worse."}});
    }
    if (!e.succeeded) {
        t.effects.push_back(effect::note{rich_text{"Step " + std::to_string(e.index + 1) + " (" + s.name +
                                                   ") failed: " + e.summary}});
        return finish(p, t, phase::failed, "step " + std::to_string(e.index + 1) + " (" + s.name + ") failed",
                      "failed", now);
    }
    if (s.kind == step_kind::terraform_plan) {
        p.ph = phase::awaiting_apply;
        p.plan_summary = e.summary;
        t.effects.push_back(effect::note{
            rich_text{"Terraform plan ready: " + e.summary + " A Release Manager reviews it and presses Apply."}});
        return;
    }
    const auto next = static_cast<std::size_t>(e.index) + 1;
    if (next < p.steps.size()) return start_step(p, t, static_cast<int>(next), now);
    t.effects.push_back(effect::note{rich_text{p.version + " is deployed to " + std::string(to_string(p.env)) + "."}});
    finish(p, t, phase::done, "deployed", "succeeded", now);
}

void on_details(promotion& p, const event::details_changed& e, transition& t, const promotion_policy& policy,
                sys_seconds now) {
    const std::string act = "promotion.edit";
    if (p.ph != phase::open)
        return refuse(t, e.user, act, "This request can no longer be edited: it is " +
                                          status_of(p, policy, now) + ".");
    if (e.user != p.requester)
        return refuse(t, e.user, act, "Only the requester can change the request's details.");
    p.change_records = e.change_records;
    p.rollback_plan = e.rollback_plan;
    p.release_managers_notified = false;
    t.effects.push_back(effect::record{e.user, act, "ok",
                                       {{"change_records", p.change_records}, {"rollback_plan", p.rollback_plan}}});
    for (auto it = p.approvals.begin(); it != p.approvals.end();) {
        if (bound_to_request(p, it->second)) {
            ++it;
            continue;
        }
        t.effects.push_back(effect::record{"system", "promotion.signoff." + std::string(to_string(it->first)),
                                           "voided", {{"by", it->second.user}, {"reason", "details changed"}}});
        t.effects.push_back(effect::note{rich_text{std::string(display_name(it->first)) + " by "}
                                             .append(user_mention(it->second.user))
                                             .append(" is void: the Change Records changed. It is needed again.")});
        it = p.approvals.erase(it);
    }
    recheck(p, t);
}

void on_tick(promotion& p, transition& t, const promotion_policy& policy, sys_seconds now) {
    if (p.ph != phase::open) return;
    if (now - p.created_at >= policy.request_ttl) {
        t.effects.push_back(effect::record{"system", "promotion.expire", "expired"});
        t.effects.push_back(effect::note{rich_text{"This request expired after " +
                                                   duration_text(policy.request_ttl) +
                                                   " without a deploy. Open a new one with /promote."}});
        return finish(p, t, phase::expired, "expired", "", now);
    }
    for (auto it = p.approvals.begin(); it != p.approvals.end();) {
        if (now - it->second.at < policy.approval_ttl) {
            ++it;
            continue;
        }
        t.effects.push_back(effect::record{"system", "promotion.signoff." + std::string(to_string(it->first)),
                                           "expired", {{"by", it->second.user}}});
        t.effects.push_back(effect::note{rich_text{std::string(display_name(it->first)) + " by "}
                                             .append(user_mention(it->second.user))
                                             .append(" expired after " + duration_text(policy.approval_ttl) +
                                                     ". It is needed again.")});
        it = p.approvals.erase(it);
        p.release_managers_notified = false;
        t.changed = true;
    }
}

void on_taken_over(promotion& p, const event::taken_over& e, transition& t, sys_seconds now) {
    if (p.ph != phase::pre_deploy && p.ph != phase::deploying && p.ph != phase::awaiting_apply) return;
    const bool record_started = p.ph != phase::pre_deploy;
    std::string stopped;
    for (auto& s : p.steps)
        if (s.state == line_state::running) {
            s.state = line_state::failed;
            s.ended = now;
            s.summary = "stopped: rollback #" + std::to_string(e.rollback_id) + " took over";
            stopped = s.name;
        }
    if (p.ph == phase::deploying) t.effects.push_back(effect::cancel_running{});
    t.effects.push_back(effect::record{e.user, "promotion.cancel", "taken_over",
                                       {{"rollback", e.rollback_id}, {"stopped_step", stopped}}});
    t.effects.push_back(effect::note{rich_text{"Cancelled: rollback #" + std::to_string(e.rollback_id) +
                                               " confirmed by "}
                                         .append(user_mention(e.user))
                                         .append(" takes over" + (stopped.empty() ? std::string{} : " (" + stopped +
                                                                                                     " was stopped)") +
                                                 ".")});
    finish(p, t, phase::cancelled, "cancelled by rollback #" + std::to_string(e.rollback_id),
           record_started ? "cancelled" : "", now);
}

void on_restart(promotion& p, transition& t, sys_seconds now) {
    switch (p.ph) {
    case phase::open:
        // Answers that were on their way are lost: ask again.
        if (!all_answered(p)) recheck(p, t);
        return;
    case phase::pre_deploy:
        p.ph = phase::open;
        p.steps.clear();
        p.deployer.clear();
        t.effects.push_back(effect::release_lock{});
        t.effects.push_back(effect::record{"system", "promotion.deploy", "stopped", {{"reason", "restart"}}});
        t.effects.push_back(effect::note{rich_text{
            "promotebot restarted before the first deploy step: nothing ran. Press Deploy again to deploy."}});
        recheck(p, t);
        return;
    case phase::deploying: {
        std::vector<std::string> completed;
        std::string running;
        for (auto& s : p.steps) {
            if (s.state == line_state::passed) completed.push_back(s.name);
            if (s.state == line_state::running) {
                s.state = line_state::unknown;
                s.ended = now;
                s.summary = "interrupted: its outcome is unknown";
                running = s.name;
            }
        }
        t.effects.push_back(effect::record{"system", "promotion.interrupted", "interrupted",
                                           {{"completed", completed}, {"running", running}}});
        t.effects.push_back(effect::note{rich_text{
            "promotebot stopped while deploying. Completed: " + (completed.empty() ? "none" : join(completed, ", ")) +
            (running.empty() ? "" : ". Interrupted, outcome unknown: " + running) +
            ". Nothing is re-run automatically: check the environment, then roll back or open a new request."}});
        return finish(p, t, phase::interrupted, "interrupted during " + (running.empty() ? "the deploy" : running),
                      "interrupted", now);
    }
    default:
        return;
    }
}

}  // namespace

int running_step(const std::vector<step_run>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i)
        if (steps[i].state == line_state::running) return static_cast<int>(i);
    return -1;
}

std::string_view to_string(deploy_option o) { return o == deploy_option::infra ? "infra" : "app"; }

std::string_view to_string(step_kind k) {
    switch (k) {
    case step_kind::command: return "command";
    case step_kind::push: return "push";
    case step_kind::check_digest: return "check_digest";
    case step_kind::set_image: return "set_image";
    case step_kind::start_job: return "start_job";
    case step_kind::verify_jobs: return "verify_jobs";
    case step_kind::terraform_plan: return "terraform_plan";
    case step_kind::terraform_apply: return "terraform_apply";
    }
    return "command";
}

std::optional<step_kind> step_kind_named(std::string_view s) {
    for (auto k : {step_kind::command, step_kind::push, step_kind::check_digest, step_kind::set_image,
                   step_kind::start_job, step_kind::verify_jobs, step_kind::terraform_plan,
                   step_kind::terraform_apply})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::string_view to_string(signoff_kind k) {
    switch (k) {
    case signoff_kind::technical: return "technical";
    case signoff_kind::data_quality: return "data_quality";
    case signoff_kind::emergency: return "emergency";
    case signoff_kind::on_call: return "on_call";
    }
    return "technical";
}

std::optional<signoff_kind> signoff_kind_named(std::string_view s) {
    for (auto k : {signoff_kind::technical, signoff_kind::data_quality, signoff_kind::emergency, signoff_kind::on_call})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::string_view display_name(signoff_kind k) {
    switch (k) {
    case signoff_kind::technical: return "Technical sign-off (Data Engineering)";
    case signoff_kind::data_quality: return "Data quality sign-off (business stakeholder)";
    case signoff_kind::emergency: return "Emergency approval (VP)";
    case signoff_kind::on_call: return "On-call presence";
    }
    return "";
}

action action_of(signoff_kind k) {
    switch (k) {
    case signoff_kind::technical: return action::signoff_technical;
    case signoff_kind::data_quality: return action::signoff_data_quality;
    case signoff_kind::emergency: return action::approve_emergency;
    case signoff_kind::on_call: return action::confirm_on_call_presence;
    }
    return action::signoff_technical;
}

std::string_view to_string(phase p) {
    switch (p) {
    case phase::open: return "open";
    case phase::pre_deploy: return "pre_deploy";
    case phase::deploying: return "deploying";
    case phase::awaiting_apply: return "awaiting_apply";
    case phase::done: return "done";
    case phase::failed: return "failed";
    case phase::cancelled: return "cancelled";
    case phase::expired: return "expired";
    case phase::interrupted: return "interrupted";
    }
    return "open";
}

std::optional<phase> phase_named(std::string_view s) {
    for (auto p : {phase::open, phase::pre_deploy, phase::deploying, phase::awaiting_apply, phase::done, phase::failed,
                   phase::cancelled, phase::expired, phase::interrupted})
        if (to_string(p) == s) return p;
    return std::nullopt;
}

bool is_terminal(phase p) {
    return p == phase::done || p == phase::failed || p == phase::cancelled || p == phase::expired ||
           p == phase::interrupted;
}

bool frozen(const promotion& p) {
    return std::any_of(p.gates.begin(), p.gates.end(), [](const gate_result& g) {
        return g.id == gate_ids::freeze && g.state == gate_state::fail;
    });
}

bool emergency_active(const promotion& p) { return p.emergency && frozen(p); }

bool approval_valid(const promotion& p, const approval& a, const promotion_policy& policy, sys_seconds now) {
    return bound_to_request(p, a) && now - a.at < policy.approval_ttl;
}

namespace {
bool has_valid(const promotion& p, signoff_kind k, const promotion_policy& policy, sys_seconds now) {
    const auto it = p.approvals.find(k);
    return it != p.approvals.end() && approval_valid(p, it->second, policy, now);
}
}  // namespace

bool emergency_complete(const promotion& p, const promotion_policy& policy, sys_seconds now) {
    return has_valid(p, signoff_kind::emergency, policy, now) && has_valid(p, signoff_kind::on_call, policy, now) &&
           !p.rollback_plan.empty() && !p.emergency_reason.empty();
}

bool gate_overridden(const promotion& p, const gate_result& g, const promotion_policy& policy, sys_seconds now) {
    if (g.state == gate_state::pass || g.state == gate_state::checking) return false;
    if (!emergency_active(p) || !emergency_complete(p, policy, now)) return false;
    return g.id == gate_ids::freeze || policy.emergency_overrides.count(g.id) > 0;
}

bool gate_ok(const promotion& p, const gate_result& g, const promotion_policy& policy, sys_seconds now) {
    return g.state == gate_state::pass || gate_overridden(p, g, policy, now);
}

std::vector<std::string> missing_for_deploy(const promotion& p, const promotion_policy& policy, sys_seconds now) {
    std::vector<std::string> out;
    if (!all_answered(p)) out.push_back("the gates are still being checked");
    for (const auto& g : p.gates) {
        if (g.state == gate_state::checking || gate_ok(p, g, policy, now)) continue;
        std::string line = g.title + ": " + std::string(to_string(g.state));
        if (!g.evidence.empty()) line += " (" + g.evidence + ")";
        out.push_back(std::move(line));
    }
    for (auto k : policy.signoffs) {
        const auto it = p.approvals.find(k);
        if (it == p.approvals.end()) out.push_back(std::string(display_name(k)) + " missing");
        else if (!approval_valid(p, it->second, policy, now))
            out.push_back(std::string(display_name(k)) + " no longer valid");
    }
    if (policy.rollback_plan_required && p.rollback_plan.empty()) out.push_back("a documented rollback plan");
    if (emergency_active(p) && !emergency_complete(p, policy, now)) {
        std::vector<std::string> need;
        if (!has_valid(p, signoff_kind::emergency, policy, now)) need.push_back("a VP's approval");
        if (!has_valid(p, signoff_kind::on_call, policy, now)) need.push_back("an on-call engineer present");
        if (p.rollback_plan.empty()) need.push_back("a documented rollback plan");
        if (p.emergency_reason.empty()) need.push_back("a reason");
        out.push_back("the emergency override needs " + join(need, ", "));
    }
    return out;
}

const std::vector<step_plan>& steps_of(const promotion& p, const promotion_policy& policy) {
    return p.option == deploy_option::infra ? policy.infra_steps : policy.app_steps;
}

std::string status_of(const promotion& p, const promotion_policy& policy, sys_seconds now) {
    switch (p.ph) {
    case phase::open: {
        if (!all_answered(p)) return "checking";
        const bool gates_ok = std::all_of(p.gates.begin(), p.gates.end(),
                                          [&](const gate_result& g) { return gate_ok(p, g, policy, now); });
        if (!gates_ok) return "blocked";
        return missing_for_deploy(p, policy, now).empty() ? "ready" : "awaiting_signoffs";
    }
    case phase::deploying: {
        const int i = running_step(p.steps);
        return i >= 0 && p.steps[static_cast<std::size_t>(i)].kind == step_kind::verify_jobs ? "verifying"
                                                                                             : "deploying";
    }
    default: return std::string(to_string(p.ph));
    }
}

promotion new_promotion(std::int64_t id, const promote_request& r, std::string requester, std::string channel,
                        std::vector<std::string> change_records, std::string rollback_plan, deploy_option option,
                        std::string emergency_reason, const promotion_policy& policy, sys_seconds now) {
    promotion p;
    p.id = id;
    p.version = r.version;
    p.env = r.target;
    p.requester = std::move(requester);
    p.channel = std::move(channel);
    p.change_records = std::move(change_records);
    p.rollback_plan = std::move(rollback_plan);
    p.option = option;
    p.emergency = r.emergency;
    p.emergency_reason = std::move(emergency_reason);
    p.created_at = now;
    for (const auto& id_ : policy.gates) {
        gate_result g;
        g.id = id_;
        const auto it = policy.gate_titles.find(id_);
        g.title = it != policy.gate_titles.end() ? it->second : id_;
        p.gates.push_back(std::move(g));
    }
    return p;
}

transition on(promotion& p, const promotion_event& e, const promotion_policy& policy, sys_seconds now) {
    transition t;
    std::visit(overloaded{
                   [&](const event::opened&) {
                       t.effects.push_back(effect::record{p.requester, "promotion.open", "ok",
                                                          {{"version", p.version},
                                                           {"environment", std::string(to_string(p.env))},
                                                           {"change_records", p.change_records},
                                                           {"option", std::string(to_string(p.option))},
                                                           {"emergency", p.emergency}}});
                       recheck(p, t);
                   },
                   [&](const event::gate_answered& g) { on_gate(p, g, t, policy, now); },
                   [&](const event::pressed& b) {
                       if (is_terminal(p.ph)) {
                           const auto status = status_of(p, policy, now);
                           return refuse(t, b.user, "promotion.button",
                                         "Promotion #" + std::to_string(p.id) + " is " + status +
                                             ": its buttons no longer do anything. Open a new request with /promote.");
                       }
                       switch (b.button) {
                       case event::pressed::what::signoff: return on_signoff(p, b, t, policy, now);
                       case event::pressed::what::deploy: return on_deploy(p, b, t, policy, now);
                       case event::pressed::what::apply: return on_apply(p, b, t, policy, now);
                       case event::pressed::what::cancel: return on_cancel(p, b, t, policy, now);
                       case event::pressed::what::recheck:
                           if (p.ph != phase::open)
                               return refuse(t, b.user, "promotion.recheck",
                                             "The gates are re-checked only while the request is open.");
                           // Every round asks ServiceNow, Dynatrace and the cluster: not for anyone passing by.
                           if (b.user != p.requester && b.roles.empty())
                               return refuse(t, b.user, "promotion.recheck",
                                             "Only the requester and people with a role in promotebot's "
                                             "configuration can re-check the gates.");
                           t.effects.push_back(effect::record{b.user, "promotion.recheck", "ok"});
                           return recheck(p, t);
                       }
                   },
                   [&](const event::details_changed& d) { on_details(p, d, t, policy, now); },
                   [&](const event::step_ended& s) { on_step(p, s, t, policy, now); },
                   [&](const event::tick&) { on_tick(p, t, policy, now); },
                   [&](const event::restarted&) { on_restart(p, t, now); },
                   [&](const event::taken_over& o) { on_taken_over(p, o, t, now); },
               },
               e);
    return t;
}

}  // namespace promotebot::commands
