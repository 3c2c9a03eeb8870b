#include "commands/rollback/rollback_json.hpp"

#include <stdexcept>

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& what) { throw std::runtime_error("rollback document: " + what); }

std::int64_t seconds_of(sys_seconds t) { return t.time_since_epoch().count(); }
sys_seconds at_seconds(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }

const json& member(const json& j, const char* key) {
    if (!j.is_object()) bad(std::string("an entry holding ") + key + " is not an object");
    const auto it = j.find(key);
    if (it == j.end()) bad(std::string("missing ") + key);
    return *it;
}

std::string text(const json& j, const char* key) {
    const auto& v = member(j, key);
    if (!v.is_string()) bad(std::string(key) + " is not text");
    return v.get<std::string>();
}

// Optional text: absent is empty, present must be text.
std::string text_or(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string()) bad(std::string(key) + " is not text");
    return it->get<std::string>();
}

std::int64_t number(const json& j, const char* key) {
    const auto& v = member(j, key);
    if (!v.is_number_integer()) bad(std::string(key) + " is not a number");
    return v.get<std::int64_t>();
}

bool flag(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end()) return false;
    if (!it->is_boolean()) bad(std::string(key) + " is not true/false");
    return it->get<bool>();
}

std::vector<std::string> texts(const json& j, const char* key) {
    std::vector<std::string> out;
    const auto it = j.find(key);
    if (it == j.end()) return out;
    if (!it->is_array()) bad(std::string(key) + " is not a list");
    for (const auto& v : *it) {
        if (!v.is_string()) bad(std::string(key) + " holds a non-text");
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::optional<sys_seconds> optional_time(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer()) bad(std::string(key) + " is not a time");
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
    bad("unknown step state " + s.substr(0, 40));
}

}  // namespace

json to_json(const rollback& r) {
    json steps = json::array();
    for (const auto& s : r.steps)
        steps.push_back({{"name", s.name},
                         {"kind", std::string(to_string(s.kind))},
                         {"state", std::string(line_state_name(s.state))},
                         {"started", optional_time_json(s.started)},
                         {"ended", optional_time_json(s.ended)},
                         {"summary", s.summary},
                         {"tail", s.tail}});
    return {{"id", r.id},
            {"kind", std::string(to_string(r.what))},
            {"environment", std::string(to_string(r.env))},
            {"requester", r.requester},
            {"channel", r.channel},
            {"created_at", seconds_of(r.created_at)},
            {"current_version", r.current_version},
            {"target_version", r.target_version},
            {"target_why", r.target_why},
            {"target_known_good", r.target_known_good},
            {"target_deployed_by", r.target_deployed_by},
            {"target_deployed_at", optional_time_json(r.target_deployed_at)},
            {"dbt_models", r.dbt_models},
            {"infra_ref", r.infra_ref},
            {"cancels_promotion", r.cancels_promotion},
            {"phase", std::string(to_string(r.ph))},
            {"confirmed_by", r.confirmed_by},
            {"confirmed_at", optional_time_json(r.confirmed_at)},
            {"frozen_at_confirm", r.frozen_at_confirm},
            {"steps", steps},
            {"plan_summary", r.plan_summary},
            {"apply_approved_by", r.apply_approved_by},
            {"outcome", r.outcome},
            {"ended_at", optional_time_json(r.ended_at)}};
}

rollback rollback_from_json(const json& j) {
    if (!j.is_object()) bad("not an object");
    rollback r;
    r.id = number(j, "id");
    const auto kind = rollback_kind_named(text(j, "kind"));
    if (!kind) bad("unknown kind");
    r.what = *kind;
    const auto env = text(j, "environment");
    if (env == "int") r.env = environment::int_;
    else if (env == "prod") r.env = environment::prod;
    else bad("unknown environment");
    r.requester = text(j, "requester");
    r.channel = text(j, "channel");
    r.created_at = at_seconds(number(j, "created_at"));
    r.current_version = text_or(j, "current_version");
    r.target_version = text_or(j, "target_version");
    r.target_why = text_or(j, "target_why");
    r.target_known_good = flag(j, "target_known_good");
    r.target_deployed_by = text_or(j, "target_deployed_by");
    r.target_deployed_at = optional_time(j, "target_deployed_at");
    r.dbt_models = texts(j, "dbt_models");
    r.infra_ref = text_or(j, "infra_ref");
    r.cancels_promotion = number(j, "cancels_promotion");
    const auto ph = rollback_phase_named(text(j, "phase"));
    if (!ph) bad("unknown phase");
    r.ph = *ph;
    r.confirmed_by = text_or(j, "confirmed_by");
    r.confirmed_at = optional_time(j, "confirmed_at");
    r.frozen_at_confirm = flag(j, "frozen_at_confirm");
    const auto& steps = member(j, "steps");
    if (!steps.is_array()) bad("steps is not a list");
    for (const auto& s : steps) {
        step_run run;
        run.name = text(s, "name");
        const auto k = step_kind_named(text(s, "kind"));
        if (!k) bad("unknown step kind");
        run.kind = *k;
        run.state = line_state_of(text(s, "state"));
        run.started = optional_time(s, "started");
        run.ended = optional_time(s, "ended");
        run.summary = text_or(s, "summary");
        run.tail = texts(s, "tail");
        r.steps.push_back(std::move(run));
    }
    r.plan_summary = text_or(j, "plan_summary");
    r.apply_approved_by = text_or(j, "apply_approved_by");
    r.outcome = text_or(j, "outcome");
    r.ended_at = optional_time(j, "ended_at");
    return r;
}

}  // namespace promotebot::commands
