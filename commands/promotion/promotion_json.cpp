#include "commands/promotion/promotion_json.hpp"

#include <stdexcept>

#include "commands/promotion/document_json.hpp"

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

const document_reader rd{"promotion document"};

json gate_json(const gate_result& g) {
    return {{"id", g.id},
            {"title", g.title},
            {"state", std::string(to_string(g.state))},
            {"evidence", g.evidence},
            {"link", g.link},
            {"checked_at", seconds_of(g.checked_at)}};
}
}  // namespace

json gates_json(const std::vector<gate_result>& gates) {
    json out = json::array();
    for (const auto& g : gates) out.push_back(gate_json(g));
    return out;
}

json to_json(const promotion& p) {
    json approvals = json::object();
    for (const auto& [k, a] : p.approvals)
        approvals[std::string(to_string(k))] = {{"user", a.user},
                                                {"at", seconds_of(a.at)},
                                                {"version", a.version},
                                                {"change_records", a.change_records},
                                                {"digest", a.digest}};
    return {{"id", p.id},
            {"version", p.version},
            {"environment", std::string(to_string(p.env))},
            {"requester", p.requester},
            {"channel", p.channel},
            {"change_records", p.change_records},
            {"rollback_plan", p.rollback_plan},
            {"option", std::string(to_string(p.option))},
            {"emergency", p.emergency},
            {"emergency_reason", p.emergency_reason},
            {"created_at", seconds_of(p.created_at)},
            {"phase", std::string(to_string(p.ph))},
            {"gate_round", p.gate_round},
            {"gates", gates_json(p.gates)},
            {"approvals", approvals},
            {"release_managers_notified", p.release_managers_notified},
            {"deployer", p.deployer},
            {"steps", steps_json(p.steps)},
            {"pushed_digest", p.pushed_digest},
            {"plan_summary", p.plan_summary},
            {"apply_approved_by", p.apply_approved_by},
            {"freeze_began_during_deploy", p.freeze_began_during_deploy},
            {"outcome", p.outcome},
            {"ended_at", optional_time_json(p.ended_at)}};
}

promotion promotion_from_json(const json& j) {
    if (!j.is_object()) rd.bad("not an object");
    promotion p;
    p.id = rd.number(j, "id");
    p.version = rd.text(j, "version");
    p.env = rd.environment_of(j, "environment");
    p.requester = rd.text(j, "requester");
    p.channel = rd.text(j, "channel");
    p.change_records = rd.texts(j, "change_records");
    p.rollback_plan = rd.text_or(j, "rollback_plan");
    p.option = rd.text(j, "option") == "infra" ? deploy_option::infra : deploy_option::app;
    p.emergency = rd.flag(j, "emergency");
    p.emergency_reason = rd.text_or(j, "emergency_reason");
    p.created_at = rd.time(j, "created_at");
    const auto ph = phase_named(rd.text(j, "phase"));
    if (!ph) rd.bad("unknown phase");
    p.ph = *ph;
    p.gate_round = static_cast<int>(rd.number(j, "gate_round"));
    const auto& gates = rd.member(j, "gates");
    if (!gates.is_array()) rd.bad("gates is not a list");
    for (const auto& g : gates) {
        gate_result r;
        r.id = rd.text(g, "id");
        r.title = rd.text(g, "title");
        const auto st = gate_state_named(rd.text(g, "state"));
        if (!st) rd.bad("unknown gate state");
        r.state = *st;
        r.evidence = rd.text_or(g, "evidence");
        r.link = rd.text_or(g, "link");
        r.checked_at = rd.time(g, "checked_at");
        p.gates.push_back(std::move(r));
    }
    const auto& approvals = rd.member(j, "approvals");
    if (!approvals.is_object()) rd.bad("approvals is not an object");
    for (const auto& [k, a] : approvals.items()) {
        const auto kind = signoff_kind_named(k);
        if (!kind) rd.bad("unknown sign-off " + k.substr(0, 40));
        p.approvals[*kind] = approval{rd.text(a, "user"), rd.time(a, "at"), rd.text(a, "version"),
                                      rd.texts(a, "change_records"), rd.text_or(a, "digest")};
    }
    p.release_managers_notified = rd.flag(j, "release_managers_notified");
    p.deployer = rd.text_or(j, "deployer");
    p.steps = rd.steps(j, "steps");
    p.pushed_digest = rd.text_or(j, "pushed_digest");
    p.plan_summary = rd.text_or(j, "plan_summary");
    p.apply_approved_by = rd.text_or(j, "apply_approved_by");
    p.freeze_began_during_deploy = rd.flag(j, "freeze_began_during_deploy");
    p.outcome = rd.text_or(j, "outcome");
    p.ended_at = rd.optional_time(j, "ended_at");
    return p;
}

}  // namespace promotebot::commands
