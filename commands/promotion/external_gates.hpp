#pragma once
// The rules of the three gates that outside systems answer: the Change Record
// (ServiceNow), open P1/P2 incidents (ServiceNow) and performance (Dynatrace).
// Pure: the adapters fetch the facts and pass the time in; these functions
// only judge them and word the evidence a person reads before a prod deploy.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/promotion/gate.hpp"

namespace promotebot::commands {

using sys_seconds = std::chrono::sys_seconds;

// The titles the checklist shows for these gates.
namespace gate_titles {
inline constexpr std::string_view change_record = "Change Record approved";
inline constexpr std::string_view incidents = "No open P1/P2 incident";
inline constexpr std::string_view performance = "Performance stable";
}  // namespace gate_titles

// ServiceNow change_request states, as the numeric codes it stores (display values off).
namespace change_states {
inline constexpr std::string_view new_ = "-5";
inline constexpr std::string_view assess = "-4";
inline constexpr std::string_view authorize = "-3";
inline constexpr std::string_view scheduled = "-2";
inline constexpr std::string_view implement = "-1";
inline constexpr std::string_view review = "0";
inline constexpr std::string_view closed = "3";
inline constexpr std::string_view canceled = "4";
}  // namespace change_states

// "Implement" for "-1"; an unknown code is shown as "state <code>".
[[nodiscard]] std::string change_state_name(std::string_view code);

struct change_request {
    std::string number;    // "CHG0012345"
    std::string sys_id;
    std::string type;      // normal | standard | emergency
    std::string approval;  // approved | requested | rejected | not requested
    std::string state;     // numeric code as text, see change_states
    std::optional<sys_seconds> start;  // planned window, UTC
    std::optional<sys_seconds> end;
    std::string link;      // the record in ServiceNow's UI
    bool operator==(const change_request&) const = default;
};

// Passes only when every requested CR was found and each is
//  - approved, in state Scheduled or Implement, with now inside [start, end]; or
//  - for an emergency request: of type emergency, approved and in state
//    Implement, whatever its planned window (see the .cpp for why).
// No CR requested, a CR not found, or any CR not passing: fail, naming it.
// The evidence lists approval, state and window of every CR; the link is the
// first failing CR's (or the first CR's when all pass).
[[nodiscard]] gate_result change_record_verdict(const std::vector<std::string>& requested_numbers,
                                                const std::vector<change_request>& found, sys_seconds now,
                                                bool emergency);

struct incident {
    std::string number;    // "INC0010001"
    std::string priority;  // "1".."5"
    std::string state;     // numeric code as text
    std::string short_description;
    std::string link;
    bool operator==(const incident&) const = default;
};

// Fails when any incident of priority 1 or 2 is in the list (the list is the
// open ones); the evidence counts them and names the first few.
[[nodiscard]] gate_result incident_verdict(const std::vector<incident>& open_incidents);

struct dynatrace_problem {
    std::string id;          // "-1234567890123456789_1700000000000V2"
    std::string display_id;  // "P-2611123"
    std::string title;
    std::string status;      // OPEN | CLOSED
    std::string severity;    // AVAILABILITY | ERROR | PERFORMANCE | RESOURCE_CONTENTION | CUSTOM_ALERT | ...
    std::optional<sys_seconds> start;
    bool operator==(const dynatrace_problem&) const = default;
};

// Fails when any problem is open (the list is what the configured scope
// returned as open); the evidence counts them and names the first few.
// `total_open`: the count when the list is one page of more (0: the list's size).
[[nodiscard]] gate_result performance_verdict(const std::vector<dynatrace_problem>& open, std::string link,
                                              std::size_t total_open = 0);

}  // namespace promotebot::commands
