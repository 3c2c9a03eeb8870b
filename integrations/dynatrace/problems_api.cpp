#include "integrations/dynatrace/problems_api.hpp"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "integrations/net/bounded_json.hpp"
#include "integrations/net/service_call.hpp"

namespace promotebot::dynatrace {

using net::field_says;
using nlohmann::json;

namespace {

// A problem carries lists of entities and zones: a few levels, never many.
const net::json_limits answer_limits{16, 8 * 1024 * 1024};
constexpr std::size_t max_field_bytes = 4096;
// Milliseconds since the epoch up to the year 5000: anything larger is not a time.
constexpr double max_epoch_ms = 95617584000000.0;

}  // namespace

bool valid_problem_selector(std::string_view s) {
    if (s.size() > 512) return false;
    if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7F; })) return false;
    // A status criterion of its own would contradict (or duplicate) status("open").
    return s.find("status(") == std::string_view::npos;
}

std::optional<std::string> normalized_environment_url(std::string_view url) {
    return net::normalized_https_url(url);
}

std::string problems_url(const std::string& environment_url, const std::string& selector) {
    if (!valid_problem_selector(selector)) throw std::invalid_argument("not a usable problem selector");
    std::string problem_selector = "status(\"open\")";
    if (!selector.empty()) problem_selector += "," + selector;
    return environment_url + "/api/v2/problems?problemSelector=" + net::percent_encoded(problem_selector) +
           "&pageSize=" + std::to_string(page_size);
}

std::string problems_link(const std::string& environment_url) { return environment_url + "/#problems"; }

open_problems parse_problems(std::string_view body) {
    open_problems out;
    const auto parsed = net::parse_bounded(body, answer_limits);
    if (!parsed.ok()) {
        out.error = "the answer is " + parsed.why(answer_limits);
        return out;
    }
    const json& root = parsed.value;
    if (!root.is_object()) {
        out.error = "the answer is not a JSON object";
        return out;
    }
    auto total = root.find("totalCount");
    if (total == root.end() || !total->is_number_integer() || total->get<long long>() < 0) {
        out.error = "the answer has no \"totalCount\"";
        return out;
    }
    auto list = root.find("problems");
    if (list == root.end() || !list->is_array()) {
        out.error = "the answer has no \"problems\" list";
        return out;
    }
    if (list->size() > page_size) {
        out.error = "the answer lists " + std::to_string(list->size()) + " problems, more than the " +
                    std::to_string(page_size) + " asked for";
        return out;
    }
    out.total = static_cast<std::size_t>(total->get<long long>());

    std::string error;
    auto fail = [&](std::size_t i, const std::string& what) {
        if (error.empty()) error = "problem " + std::to_string(i + 1) + " " + what;
    };
    auto text = [&](const json& p, std::size_t i, const char* key, bool required) -> std::string {
        auto it = p.find(key);
        if (it == p.end() || it->is_null()) {
            if (required) fail(i, std::string("has no ") + field_says(key, ""));
            return {};
        }
        if (!it->is_string()) {
            fail(i, field_says(key, " is not a string"));
            return {};
        }
        const auto& s = it->get_ref<const std::string&>();
        if (s.size() > max_field_bytes) {
            fail(i, field_says(key, " is too long"));
            return {};
        }
        return s;
    };

    std::size_t closed = 0;
    for (std::size_t i = 0; i < list->size() && error.empty(); ++i) {
        const json& p = (*list)[i];
        if (!p.is_object()) {
            fail(i, "is not an object");
            break;
        }
        commands::dynatrace_problem problem;
        problem.id = text(p, i, "problemId", true);
        problem.display_id = text(p, i, "displayId", false);
        problem.title = text(p, i, "title", true);
        problem.status = text(p, i, "status", true);
        problem.severity = text(p, i, "severityLevel", false);
        if (auto start = p.find("startTime"); start != p.end() && !start->is_null()) {
            if (!start->is_number()) {
                fail(i, "\"startTime\" is not a number");
            } else {
                const double ms = start->get<double>();
                if (ms > 0 && ms < max_epoch_ms) {
                    problem.start = std::chrono::sys_seconds{std::chrono::seconds{static_cast<long long>(ms / 1000)}};
                }
            }
        }
        if (!error.empty()) break;
        // The selector asked for open ones; a closed one that comes anyway is not counted.
        if (problem.status == "CLOSED") {
            ++closed;
            continue;
        }
        out.problems.push_back(std::move(problem));
    }
    if (!error.empty()) {
        out.problems.clear();
        out.total = 0;
        out.error = error;
        return out;
    }
    out.total = out.total >= closed ? out.total - closed : 0;
    return out;
}

}  // namespace promotebot::dynatrace
