#pragma once
// Dynatrace's problems API v2 as promotebot reads it: the request URL (the
// configured selector validated and percent-encoded into problemSelector)
// and the parser from a response body to the domain's facts. The body is
// hostile: wrong types, missing fields or an oversized list give an error
// text, never a crash or a partial answer. No I/O here.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/promotion/external_gates.hpp"

namespace promotebot::dynatrace {

inline constexpr std::size_t page_size = 100;  // problems asked for; more are counted by totalCount

struct open_problems {
    std::vector<commands::dynatrace_problem> problems;  // those not CLOSED, at most page_size
    std::size_t total = 0;                              // totalCount as Dynatrace gave it
    std::string error;                                  // empty when the answer was read
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// The configured extra selector (`managementZones("markets-prod")`): printable
// ASCII, at most 512 bytes, no status criterion of its own (the gate asks for
// open problems). Empty is valid.
[[nodiscard]] bool valid_problem_selector(std::string_view s);

// An https:// environment URL (https://abc12345.live.dynatrace.com, or a
// Managed one with /e/<id>) without credentials, query or fragment, without
// its trailing slashes; nullopt when it is not one.
[[nodiscard]] std::optional<std::string> normalized_environment_url(std::string_view url);

// GET {url}/api/v2/problems?problemSelector=status("open")[,<selector>]&pageSize=100
// `selector` must be valid_problem_selector (std::invalid_argument otherwise).
[[nodiscard]] std::string problems_url(const std::string& environment_url, const std::string& selector);

// {url}/#problems: the problems page of the environment.
[[nodiscard]] std::string problems_link(const std::string& environment_url);

// {"totalCount":N,"pageSize":P,"problems":[{problemId, displayId, title,
// status, severityLevel, startTime (ms)}]}
[[nodiscard]] open_problems parse_problems(std::string_view body);

}  // namespace promotebot::dynatrace
