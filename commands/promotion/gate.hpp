#pragma once
// What a gate of the runbook's checklist answers: pass, fail or unknown, with
// the evidence that backs it (a number, a time, a link). Unknown (the system
// that knows could not be asked) blocks a promotion exactly like fail.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace promotebot::commands {

enum class gate_state {
    checking,  // asked, no answer yet
    pass,
    fail,
    unknown,   // the source could not answer (unreachable, timed out, unreadable output)
};

std::string_view to_string(gate_state s);  // "checking", "pass", "fail", "unknown"
std::optional<gate_state> gate_state_named(std::string_view s);

// The gates of the runbook, by the IDs the config and the audit log use.
// Command checks configured by the team add their own IDs.
namespace gate_ids {
inline constexpr std::string_view freeze = "freeze";
inline constexpr std::string_view soak = "soak";
inline constexpr std::string_view pipeline_cycles = "pipeline_cycles";
inline constexpr std::string_view incidents = "incidents";
inline constexpr std::string_view change_record = "change_record";
inline constexpr std::string_view performance = "performance";
inline constexpr std::string_view quarantine = "quarantine";
}  // namespace gate_ids

struct gate_result {
    std::string id;        // "change_record"
    std::string title;     // "Change Record approved"
    gate_state state = gate_state::checking;
    std::string evidence;  // "CHG0012345: approved, Implement, window 10:00-14:00 UTC"
    std::string link;      // where a person can look (empty when none)
    std::chrono::sys_seconds checked_at{};
    bool operator==(const gate_result&) const = default;
};

// A finished answer with the given state (checked_at left for the caller).
inline gate_result gate_answer(std::string id, std::string title, gate_state state, std::string evidence,
                               std::string link = {}) {
    return {std::move(id), std::move(title), state, std::move(evidence), std::move(link), {}};
}

}  // namespace promotebot::commands
