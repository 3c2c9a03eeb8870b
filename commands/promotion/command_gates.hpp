#pragma once
// Gate answers decided from what the runbook's commands printed: the soak in
// int, the pipeline cycles since, and the team's own command checks. Pure:
// the caller runs the commands, reads their output (tool_output.hpp) and
// passes the time in. The answers carry checked_at = now (or left empty for
// command_check_verdict, which has no clock).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "commands/promotion/gate.hpp"

namespace promotebot::commands {

// "5 h 12 min", "24 h", "0 min": a duration as evidence shows it.
std::string hours_minutes_text(std::chrono::seconds d);
// "2026-11-27 10:00 UTC"
std::string utc_minute_text(std::chrono::sys_seconds t);

// The soak gate: int must run exactly `version`, for at least `soak`.
// int_running_tag: the tag of the image the int CronJob runs (nullopt when it
// could not be read, or the image has no tag). running_since: when that
// version started running in int (the bot's own deployment record, else the
// registry's upload time of the tag); nullopt when neither is known.
//   fail    "int runs v1.2.2, not v1.2.3"
//   fail    "int has run v1.2.3 for 5 h 12 min of the 24 h required"
//   pass    "int has run v1.2.3 since 2026-11-27 10:00 UTC (30 h 5 min)"
//   unknown when the running tag or the start time is not known
gate_result soak_verdict(std::string_view version, std::optional<std::string_view> int_running_tag,
                         std::optional<std::chrono::sys_seconds> running_since, std::chrono::hours soak,
                         std::chrono::sys_seconds now);

// The pipeline cycles gate: count_text is what the count query answered
// (bq_first_cell; nullopt when it could not be run or read). It passes when
// the count, a plain non-negative number ("3", " 3\n"), is at least minimum:
//   "3 successful pipeline cycles since 2026-11-27 10:00 UTC"
// and is unknown when the text is no number.
gate_result cycles_verdict(std::optional<std::string_view> count_text, int minimum, std::chrono::sys_seconds since,
                           std::chrono::sys_seconds now);

// How a check's command ended; mirrors the process runner's outcome.
struct command_exit {
    enum class how { exited, killed, timed_out, cancelled, failed_to_start };
    how ended = how::exited;
    int exit_code = -1;  // valid when exited
};

// A configured command check: exit 0 passes, exit 1 fails, anything else
// (another code, a signal, a timeout, no start) is unknown. The evidence is
// the first line of stdout, control characters removed, at most 200 bytes
// (cut on a UTF-8 boundary); when there is none, how the command ended.
// The caller redacts the line first (redactor.hpp).
inline constexpr std::size_t max_evidence_bytes = 200;
gate_result command_check_verdict(std::string id, std::string title, const command_exit& exit,
                                  std::string_view first_stdout_line);

// `line` without control characters (C0, DEL, C1 and invalid UTF-8 become
// nothing), cut to at most max_bytes without splitting a character.
std::string evidence_text(std::string_view line, std::size_t max_bytes = max_evidence_bytes);

namespace gate_titles {
inline constexpr std::string_view soak = "Soaked on int";
inline constexpr std::string_view pipeline_cycles = "Successful pipeline cycles";
}  // namespace gate_titles

}  // namespace promotebot::commands
