#include "commands/promotion/promotion_json.hpp"

#include <stdexcept>

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

std::int64_t seconds_of(sys_seconds t) { return t.time_since_epoch().count(); }
sys_seconds at_seconds(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }

const json& member(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end()) throw std::runtime_error(std::string("promotion document: missing ") + key);
    return *it;
}

std::string text(const json& j, const char* key) {
    const auto& v = member(j, key);
    if (!v.is_string()) throw std::runtime_error(std::string("promotion document: ") + key + " is not text");
    return v.get<std::string>();
}

std::string text_or(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::int64_t number(const json& j, const char* key) {
    const auto& v = member(j, key);
    if (!v.is_number_integer()) throw std::runtime_error(std::string("promotion document: ") + key + " is not a number");
    return v.get<std::int64_t>();
}

bool flag(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end()) return false;
    if (!it->is_boolean()) throw std::runtime_error(std::string("promotion document: ") + key + " is not true/false");
    return it->get<bool>();
}

std::vector<std::string> texts(const json& j, const char* key) {
    std::vector<std::string> out;
    const auto it = j.find(key);
    if (it == j.end()) return out;
    if (!it->is_array()) throw std::runtime_error(std::string("promotion document: ") + key + " is not a list");
    for (const auto& v : *it) {
        if (!v.is_string()) throw std::runtime_error(std::string("promotion document: ") + key + " holds a non-text");
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::optional<sys_seconds> optional_time(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer()) throw std::runtime_error(std::string("promotion document: ") + key + " is not a time");
    return at_seconds(it->get<std::int64_t>());
}

json optional_time_json(const std::optional<sys_seconds>& t) { return t ? json(seconds_of(*t)) : json(nullptr); }

std::string_view line_state_name(line_state s) {
    switch (s) {
    case line_state::pending: return "pending";
    case line_state::running: return "running";
    case line_state::passed: return "passed";
    case line_state::failed: return "failed";
    case line_state::unknown: return "unknown";
    case line_state::skipped: return "skipped";
    }
    return "pending";
}

line_state line_state_of(const std::string& s) {
    for (auto v : {line_state::pending, line_state::running, line_state::passed, line_state::failed,
                   line_state::unknown, line_state::skipped})
        if (line_state_name(v) == s) return v;
    throw std::runtime_error("promotion document: unknown step state " + s);
}

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
    json steps = json::array();
    for (const auto& s : p.steps)
        steps.push_back({{"name", s.name},
                         {"kind", std::string(to_string(s.kind))},
                         {"state", std::string(line_state_name(s.state))},
                         {"started", optional_time_json(s.started)},
                         {"ended", optional_time_json(s.ended)},
                         {"summary", s.summary},
                         {"tail", s.tail}});
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
            {"steps", steps},
            {"pushed_digest", p.pushed_digest},
            {"plan_summary", p.plan_summary},
            {"apply_approved_by", p.apply_approved_by},
            {"freeze_began_during_deploy", p.freeze_began_during_deploy},
            {"outcome", p.outcome},
            {"ended_at", optional_time_json(p.ended_at)}};
}

promotion promotion_from_json(const json& j) {
    if (!j.is_object()) throw std::runtime_error("promotion document: not an object");
    promotion p;
    p.id = number(j, "id");
    p.version = text(j, "version");
    const auto env = text(j, "environment");
    if (env == "int") p.env = environment::int_;
    else if (env == "prod") p.env = environment::prod;
    else throw std::runtime_error("promotion document: unknown environment " + env);
    p.requester = text(j, "requester");
    p.channel = text(j, "channel");
    p.change_records = texts(j, "change_records");
    p.rollback_plan = text_or(j, "rollback_plan");
    p.option = text(j, "option") == "infra" ? deploy_option::infra : deploy_option::app;
    p.emergency = flag(j, "emergency");
    p.emergency_reason = text_or(j, "emergency_reason");
    p.created_at = at_seconds(number(j, "created_at"));
    const auto ph = phase_named(text(j, "phase"));
    if (!ph) throw std::runtime_error("promotion document: unknown phase");
    p.ph = *ph;
    p.gate_round = static_cast<int>(number(j, "gate_round"));
    const auto& gates = member(j, "gates");
    if (!gates.is_array()) throw std::runtime_error("promotion document: gates is not a list");
    for (const auto& g : gates) {
        gate_result r;
        r.id = text(g, "id");
        r.title = text(g, "title");
        const auto st = gate_state_named(text(g, "state"));
        if (!st) throw std::runtime_error("promotion document: unknown gate state");
        r.state = *st;
        r.evidence = text_or(g, "evidence");
        r.link = text_or(g, "link");
        r.checked_at = at_seconds(number(g, "checked_at"));
        p.gates.push_back(std::move(r));
    }
    const auto& approvals = member(j, "approvals");
    if (!approvals.is_object()) throw std::runtime_error("promotion document: approvals is not an object");
    for (const auto& [k, a] : approvals.items()) {
        const auto kind = signoff_kind_named(k);
        if (!kind) throw std::runtime_error("promotion document: unknown sign-off " + k);
        p.approvals[*kind] = approval{text(a, "user"), at_seconds(number(a, "at")), text(a, "version"),
                                      texts(a, "change_records"), text_or(a, "digest")};
    }
    p.release_managers_notified = flag(j, "release_managers_notified");
    p.deployer = text_or(j, "deployer");
    const auto& steps = member(j, "steps");
    if (!steps.is_array()) throw std::runtime_error("promotion document: steps is not a list");
    for (const auto& s : steps) {
        step_run r;
        r.name = text(s, "name");
        const auto kind = step_kind_named(text(s, "kind"));
        if (!kind) throw std::runtime_error("promotion document: unknown step kind");
        r.kind = *kind;
        r.state = line_state_of(text(s, "state"));
        r.started = optional_time(s, "started");
        r.ended = optional_time(s, "ended");
        r.summary = text_or(s, "summary");
        r.tail = texts(s, "tail");
        p.steps.push_back(std::move(r));
    }
    p.pushed_digest = text_or(j, "pushed_digest");
    p.plan_summary = text_or(j, "plan_summary");
    p.apply_approved_by = text_or(j, "apply_approved_by");
    p.freeze_began_during_deploy = flag(j, "freeze_began_during_deploy");
    p.outcome = text_or(j, "outcome");
    p.ended_at = optional_time(j, "ended_at");
    return p;
}

}  // namespace promotebot::commands
