#include "tests/fake_services/fake_servicenow.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>

namespace promotebot::testing {

using nlohmann::json;

namespace {

std::string failure_body(const std::string& message, const json& detail = nullptr) {
    return json{{"error", {{"message", message}, {"detail", detail}}}, {"status", "failure"}}.dump();
}

std::string error_body_for(unsigned status) {
    if (status == 401) return failure_body("User Not Authenticated", "Required to provide Auth information");
    if (status == 403) return failure_body("Operation Failed", "ACL Exception Insert Failed due to security constraints");
    if (status == 404) return failure_body("No Record found", "Record doesn't exist or ACL restricts the record retrieval");
    if (status >= 500) return failure_body("Internal Server Error");
    return failure_body("Bad Request");
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (;;) {
        const auto next = s.find(sep, at);
        out.push_back(s.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) return out;
        at = next + 1;
    }
}

// One encoded-query condition: field, operator, value.
struct condition {
    std::string field;
    enum class op { equals, not_equals, in } what = op::equals;
    std::string value;
};

bool field_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

std::optional<condition> parse_condition(const std::string& text) {
    std::size_t n = 0;
    while (n < text.size() && field_char(text[n])) ++n;
    if (n == 0) return std::nullopt;
    condition c;
    c.field = text.substr(0, n);
    const std::string rest = text.substr(n);
    if (rest.starts_with("!=")) {
        c.what = condition::op::not_equals;
        c.value = rest.substr(2);
    } else if (rest.starts_with("=")) {
        c.what = condition::op::equals;
        c.value = rest.substr(1);
    } else if (rest.starts_with("IN")) {
        c.what = condition::op::in;
        c.value = rest.substr(2);
    } else {
        return std::nullopt;
    }
    return c;
}

std::string field_of(const json& row, const std::string& field) {
    auto it = row.find(field);
    return it != row.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool matches(const json& row, const condition& c) {
    const std::string have = field_of(row, c.field);
    switch (c.what) {
    case condition::op::equals: return have == c.value;
    case condition::op::not_equals: return have != c.value;
    case condition::op::in: {
        const auto values = split(c.value, ',');
        return std::find(values.begin(), values.end(), have) != values.end();
    }
    }
    return false;
}

}  // namespace

struct fake_servicenow::impl {
    fake_servicenow_options options;
    mutable std::mutex mutex;
    std::map<std::string, std::vector<json>> tables{{"change_request", {}}, {"incident", {}}};
    int next_sys_id = 1;
    std::unique_ptr<https_server> server;  // last: stopped before the tables go

    http_reply handle(const recorded_request& r) {
        if (r.method != "GET") return {405, failure_body("Method not Supported"), {}};
        const std::string prefix = "/api/now/table/";
        if (!r.path.starts_with(prefix)) return {400, failure_body("Requested URI does not represent any resource"), {}};
        const std::string table = r.path.substr(prefix.size());

        const bool basic = r.authorization == basic_authorization(options.username, options.password);
        const bool bearer = !options.token.empty() && r.authorization == "Bearer " + options.token;
        if (!basic && !bearer) return {401, error_body_for(401), {}};

        std::vector<condition> conditions;
        if (auto q = r.params.find("sysparm_query"); q != r.params.end() && !q->second.empty()) {
            for (const auto& part : split(q->second, '^')) {
                auto c = parse_condition(part);
                if (!c) return {400, failure_body("fake ServiceNow does not understand the condition", part), {}};
                conditions.push_back(std::move(*c));
            }
        }
        std::vector<std::string> fields;
        if (auto f = r.params.find("sysparm_fields"); f != r.params.end() && !f->second.empty()) {
            fields = split(f->second, ',');
        }
        std::size_t limit = 10000;
        if (auto l = r.params.find("sysparm_limit"); l != r.params.end()) {
            if (l->second.empty() || l->second.size() > 6 ||
                !std::all_of(l->second.begin(), l->second.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                return {400, failure_body("Invalid sysparm_limit"), {}};
            }
            limit = std::stoul(l->second);
        }

        std::lock_guard lock(mutex);
        auto rows = tables.find(table);
        if (rows == tables.end()) return {400, failure_body("Invalid table " + table), {}};
        json result = json::array();
        std::size_t total = 0;
        for (const auto& row : rows->second) {
            if (!std::all_of(conditions.begin(), conditions.end(), [&](const condition& c) { return matches(row, c); }))
                continue;
            ++total;
            if (result.size() >= limit) continue;
            if (fields.empty()) {
                result.push_back(row);
                continue;
            }
            json picked = json::object();
            for (const auto& f : fields) {
                if (row.contains(f)) picked[f] = row[f];
            }
            result.push_back(std::move(picked));
        }
        return {200, json{{"result", result}}.dump(), {{"X-Total-Count", std::to_string(total)}}};
    }
};

fake_servicenow::fake_servicenow(fake_servicenow_options options) : impl_(std::make_unique<impl>()) {
    impl_->options = std::move(options);
    auto* s = impl_.get();
    impl_->server = std::make_unique<https_server>([s](const recorded_request& r) { return s->handle(r); },
                                                   error_body_for);
}

fake_servicenow::~fake_servicenow() { impl_->server.reset(); }

std::string fake_servicenow::url() const { return impl_->server->url(); }
std::string fake_servicenow::ca_file() const { return impl_->server->ca_file(); }
const fake_servicenow_options& fake_servicenow::options() const { return impl_->options; }

void fake_servicenow::add_record(const std::string& table, nlohmann::json row) {
    std::lock_guard lock(impl_->mutex);
    if (!row.contains("sys_id")) {
        char id[33];
        std::snprintf(id, sizeof id, "%032x", impl_->next_sys_id++);
        row["sys_id"] = id;
    }
    impl_->tables[table].push_back(std::move(row));
}

void fake_servicenow::clear_records(const std::string& table) {
    std::lock_guard lock(impl_->mutex);
    impl_->tables[table].clear();
}

void fake_servicenow::set_failure(failure_mode f) { impl_->server->set_failure(f); }
std::vector<recorded_request> fake_servicenow::requests() const { return impl_->server->requests(); }
bool fake_servicenow::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->server->wait_for_requests(n, timeout);
}

}  // namespace promotebot::testing
