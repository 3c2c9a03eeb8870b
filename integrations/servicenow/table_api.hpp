#pragma once
// ServiceNow's Table API as promotebot reads it: the request URLs (every
// value validated and percent-encoded into its parameter) and the parsers
// from a response body to the domain's facts. The body is hostile: wrong
// types, missing fields, oversized lists or fields give an error text, never
// a crash or a partial answer. No I/O here.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/promotion/external_gates.hpp"

namespace promotebot::servicenow {

inline constexpr std::size_t max_records = 50;  // sysparm_limit of every query

// Records read from an answer, or why none could be.
template <class T>
struct table_rows {
    std::vector<T> rows;
    std::string error;  // empty when the rows were read
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// "CHG" followed by 7 to 10 digits.
[[nodiscard]] bool valid_change_number(std::string_view s);

// The configured extra incident query ("cmdb_ci=...^assignment_group=..."):
// printable ASCII, at most 512 bytes, and nothing that would widen the
// query instead of narrowing it (a leading OR, a new query ^NQ). Empty is
// valid (no extra condition).
[[nodiscard]] bool valid_incident_query(std::string_view s);

// An https:// instance URL without credentials, query or fragment, without
// its trailing slashes; nullopt when it is not one.
[[nodiscard]] std::optional<std::string> normalized_instance_url(std::string_view url);

// GET {url}/api/now/table/change_request?sysparm_query=numberIN<n1>,<n2>&...
// `numbers` must be valid_change_number (std::invalid_argument otherwise).
[[nodiscard]] std::string change_requests_url(const std::string& instance_url, const std::vector<std::string>& numbers);

// GET {url}/api/now/table/incident?sysparm_query=active=true^priorityIN1,2[^<extra>]&...
// `extra_query` must be valid_incident_query (std::invalid_argument otherwise).
[[nodiscard]] std::string open_incidents_url(const std::string& instance_url, const std::string& extra_query);

// {url}/nav_to.do?uri=<table>.do?sys_id=<sys_id>
[[nodiscard]] std::string record_link(const std::string& instance_url, std::string_view table, std::string_view sys_id);

// "2026-11-28 10:00:00" (UTC, as the API sends date-times with display values off).
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_date_time(std::string_view s);

// {"result":[{number, sys_id, type, approval, state, start_date, end_date}]}
[[nodiscard]] table_rows<commands::change_request> parse_change_requests(std::string_view body,
                                                                        const std::string& instance_url);
// {"result":[{number, priority, state, short_description, sys_id}]}
[[nodiscard]] table_rows<commands::incident> parse_incidents(std::string_view body, const std::string& instance_url);

}  // namespace promotebot::servicenow
