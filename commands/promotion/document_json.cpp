#include "commands/promotion/document_json.hpp"

#include <stdexcept>

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

sys_seconds at_seconds(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }

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

}  // namespace

void document_reader::bad(const std::string& what) const { throw std::runtime_error(document_ + ": " + what); }

const json& document_reader::member(const json& j, const char* key) const {
    if (!j.is_object()) bad(std::string("an entry holding ") + key + " is not an object");
    const auto it = j.find(key);
    if (it == j.end()) bad(std::string("missing ") + key);
    return *it;
}

std::string document_reader::text(const json& j, const char* key) const {
    const auto& v = member(j, key);
    if (!v.is_string()) bad(std::string(key) + " is not text");
    return v.get<std::string>();
}

std::string document_reader::text_or(const json& j, const char* key) const {
    if (!j.is_object()) bad(std::string("an entry holding ") + key + " is not an object");
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string()) bad(std::string(key) + " is not text");
    return it->get<std::string>();
}

std::int64_t document_reader::number(const json& j, const char* key) const {
    const auto& v = member(j, key);
    if (!v.is_number_integer()) bad(std::string(key) + " is not a number");
    return v.get<std::int64_t>();
}

bool document_reader::flag(const json& j, const char* key) const {
    if (!j.is_object()) bad(std::string("an entry holding ") + key + " is not an object");
    const auto it = j.find(key);
    if (it == j.end()) return false;
    if (!it->is_boolean()) bad(std::string(key) + " is not true/false");
    return it->get<bool>();
}

std::vector<std::string> document_reader::texts(const json& j, const char* key) const {
    if (!j.is_object()) bad(std::string("an entry holding ") + key + " is not an object");
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

sys_seconds document_reader::time(const json& j, const char* key) const { return at_seconds(number(j, key)); }

std::optional<sys_seconds> document_reader::optional_time(const json& j, const char* key) const {
    if (!j.is_object()) bad(std::string("an entry holding ") + key + " is not an object");
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer()) bad(std::string(key) + " is not a time");
    return at_seconds(it->get<std::int64_t>());
}

environment document_reader::environment_of(const json& j, const char* key) const {
    const auto env = text(j, key);
    if (env == "int") return environment::int_;
    if (env == "prod") return environment::prod;
    bad("unknown environment " + env.substr(0, 40));
}

std::vector<step_run> document_reader::steps(const json& j, const char* key) const {
    const auto& list = member(j, key);
    if (!list.is_array()) bad(std::string(key) + " is not a list");
    std::vector<step_run> out;
    for (const auto& s : list) {
        step_run run;
        run.name = text(s, "name");
        const auto kind = step_kind_named(text(s, "kind"));
        if (!kind) bad("unknown step kind");
        run.kind = *kind;
        const auto state = text(s, "state");
        bool known = false;
        for (auto v : {line_state::pending, line_state::running, line_state::passed, line_state::failed,
                       line_state::unknown, line_state::skipped})
            if (line_state_name(v) == state) {
                run.state = v;
                known = true;
            }
        if (!known) bad("unknown step state " + state.substr(0, 40));
        run.started = optional_time(s, "started");
        run.ended = optional_time(s, "ended");
        run.summary = text_or(s, "summary");
        run.tail = texts(s, "tail");
        out.push_back(std::move(run));
    }
    return out;
}

std::int64_t seconds_of(sys_seconds t) { return t.time_since_epoch().count(); }

json optional_time_json(const std::optional<sys_seconds>& t) { return t ? json(seconds_of(*t)) : json(nullptr); }

json steps_json(const std::vector<step_run>& steps) {
    json out = json::array();
    for (const auto& s : steps)
        out.push_back({{"name", s.name},
                       {"kind", std::string(to_string(s.kind))},
                       {"state", std::string(line_state_name(s.state))},
                       {"started", optional_time_json(s.started)},
                       {"ended", optional_time_json(s.ended)},
                       {"summary", s.summary},
                       {"tail", s.tail}});
    return out;
}

}  // namespace promotebot::commands
