#include "tests/fake_services/fake_dynatrace.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>

namespace promotebot::testing {

using nlohmann::json;

namespace {

std::string error_body(unsigned status, const std::string& message) {
    return json{{"error", {{"code", status}, {"message", message}}}}.dump();
}

std::string error_body_for(unsigned status) {
    if (status == 401) return error_body(401, "Token Authentication failed");
    if (status == 403) return error_body(403, "Token is missing required scope. Use one of: problems.read");
    if (status >= 500) return error_body(status, "Internal Server Error");
    return error_body(status, "Bad Request");
}

std::string constraint_violation(const std::string& message) {
    return json{{"error",
                 {{"code", 400},
                  {"message", "Constraints violated."},
                  {"constraintViolations",
                   json::array({{{"path", "problemSelector"},
                                 {"message", message},
                                 {"parameterLocation", "QUERY"},
                                 {"location", nullptr}}})}}}}
        .dump();
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

struct criterion {
    std::string name;
    std::vector<std::string> values;
};

// status("open"),managementZones("a","b"): values in double quotes, ~ escapes.
std::optional<std::vector<criterion>> parse_selector(const std::string& s) {
    std::vector<criterion> out;
    std::size_t i = 0;
    while (i < s.size()) {
        criterion c;
        while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) c.name += s[i++];
        if (c.name.empty() || i >= s.size() || s[i++] != '(') return std::nullopt;
        for (;;) {
            if (i >= s.size() || s[i++] != '"') return std::nullopt;
            std::string value;
            for (;;) {
                if (i >= s.size()) return std::nullopt;
                const char ch = s[i++];
                if (ch == '~') {
                    if (i >= s.size()) return std::nullopt;
                    value += s[i++];
                } else if (ch == '"') {
                    break;
                } else {
                    value += ch;
                }
            }
            c.values.push_back(std::move(value));
            if (i < s.size() && s[i] == ',') {
                ++i;
                continue;
            }
            if (i >= s.size() || s[i++] != ')') return std::nullopt;
            break;
        }
        out.push_back(std::move(c));
        if (i < s.size()) {
            if (s[i] != ',') return std::nullopt;
            ++i;
        }
    }
    return out;
}

std::string string_of(const json& p, const char* key) {
    auto it = p.find(key);
    return it != p.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool any_of_values(const std::vector<std::string>& values, const std::string& have, bool ignore_case) {
    return std::any_of(values.begin(), values.end(), [&](const std::string& v) {
        return ignore_case ? lower(v) == lower(have) : v == have;
    });
}

bool zone_matches(const json& p, const std::vector<std::string>& values, const char* key) {
    auto zones = p.find("managementZones");
    if (zones == p.end() || !zones->is_array()) return false;
    return std::any_of(zones->begin(), zones->end(),
                       [&](const json& z) { return z.is_object() && any_of_values(values, string_of(z, key), false); });
}

bool matches(const json& p, const criterion& c) {
    if (c.name == "status") return any_of_values(c.values, string_of(p, "status"), true);
    if (c.name == "severityLevel") return any_of_values(c.values, string_of(p, "severityLevel"), true);
    if (c.name == "impactLevel") return any_of_values(c.values, string_of(p, "impactLevel"), true);
    if (c.name == "displayId") return any_of_values(c.values, string_of(p, "displayId"), false);
    if (c.name == "problemId") return any_of_values(c.values, string_of(p, "problemId"), false);
    if (c.name == "managementZones") return zone_matches(p, c.values, "name");
    if (c.name == "managementZoneIds") return zone_matches(p, c.values, "id");
    return false;
}

constexpr const char* known_criteria[] = {"status",      "severityLevel", "impactLevel",      "displayId",
                                          "problemId",   "managementZones", "managementZoneIds"};

}  // namespace

struct fake_dynatrace::impl {
    fake_dynatrace_options options;
    mutable std::mutex mutex;
    std::vector<json> problems;
    long long next_id = 1;
    std::unique_ptr<https_server> server;  // last: stopped before the problems go

    http_reply handle(const recorded_request& r) {
        if (r.method != "GET") return {405, error_body(405, "Method Not Allowed"), {}};
        if (r.path != "/api/v2/problems") return {404, error_body(404, "Not Found"), {}};
        if (r.authorization.empty()) return {401, error_body(401, "Missing authorization parameter."), {}};
        if (r.authorization != "Api-Token " + options.api_token) return {401, error_body_for(401), {}};

        std::vector<criterion> criteria;
        if (auto s = r.params.find("problemSelector"); s != r.params.end() && !s->second.empty()) {
            auto parsed = parse_selector(s->second);
            if (!parsed) return {400, constraint_violation("Invalid problem selector: " + s->second), {}};
            for (const auto& c : *parsed) {
                if (std::find(std::begin(known_criteria), std::end(known_criteria), c.name) == std::end(known_criteria))
                    return {400, constraint_violation("Unknown problem selector criterion: " + c.name), {}};
            }
            criteria = std::move(*parsed);
        }
        std::size_t page_size = 50;
        if (auto p = r.params.find("pageSize"); p != r.params.end()) {
            if (p->second.empty() || p->second.size() > 4 ||
                !std::all_of(p->second.begin(), p->second.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return {400, error_body(400, "pageSize must be a number"), {}};
            page_size = std::stoul(p->second);
            if (page_size < 1 || page_size > 500) return {400, error_body(400, "pageSize must be between 1 and 500"), {}};
        }

        std::lock_guard lock(mutex);
        json list = json::array();
        std::size_t total = 0;
        for (const auto& p : problems) {
            if (!std::all_of(criteria.begin(), criteria.end(), [&](const criterion& c) { return matches(p, c); }))
                continue;
            ++total;
            if (list.size() < page_size) list.push_back(p);
        }
        json body = {{"totalCount", total}, {"pageSize", page_size}, {"problems", list}};
        if (total > list.size()) body["nextPageKey"] = "fake-next-page";
        return {200, body.dump(), {}};
    }
};

fake_dynatrace::fake_dynatrace(fake_dynatrace_options options) : impl_(std::make_unique<impl>()) {
    impl_->options = std::move(options);
    auto* s = impl_.get();
    impl_->server = std::make_unique<https_server>([s](const recorded_request& r) { return s->handle(r); },
                                                   error_body_for);
}

fake_dynatrace::~fake_dynatrace() { impl_->server.reset(); }

std::string fake_dynatrace::url() const { return impl_->server->url(); }
std::string fake_dynatrace::ca_file() const { return impl_->server->ca_file(); }
const fake_dynatrace_options& fake_dynatrace::options() const { return impl_->options; }

void fake_dynatrace::add_problem(nlohmann::json problem) {
    std::lock_guard lock(impl_->mutex);
    const long long n = impl_->next_id++;
    if (!problem.contains("problemId")) problem["problemId"] = "-" + std::to_string(4000000000000000000LL + n) + "_1700000000000V2";
    if (!problem.contains("displayId")) problem["displayId"] = "P-" + std::to_string(2611000 + n);
    if (!problem.contains("startTime")) problem["startTime"] = 1700000000000LL + n * 60000;
    if (!problem.contains("endTime")) problem["endTime"] = -1;
    if (!problem.contains("impactLevel")) problem["impactLevel"] = "SERVICES";
    if (!problem.contains("managementZones")) problem["managementZones"] = json::array();
    impl_->problems.push_back(std::move(problem));
}

void fake_dynatrace::clear_problems() {
    std::lock_guard lock(impl_->mutex);
    impl_->problems.clear();
}

void fake_dynatrace::set_failure(failure_mode f) { impl_->server->set_failure(f); }
std::vector<recorded_request> fake_dynatrace::requests() const { return impl_->server->requests(); }
bool fake_dynatrace::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->server->wait_for_requests(n, timeout);
}

}  // namespace promotebot::testing
