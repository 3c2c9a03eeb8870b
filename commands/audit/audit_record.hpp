#pragma once
// What the audit log holds: who did what, to what, with which outcome, and
// the hash chain that links each record to the one before it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace promotebot::commands {

using sys_seconds = std::chrono::sys_seconds;

struct audit_entry {
    std::string actor;    // Slack user ID, "system" or "cli"
    std::string action;   // "command", "button", "gate", "step", "freeze.add", ...
    std::string subject;  // what it was about: "/freeze add ...", "request 12", ...
    std::string outcome;  // "ok", "refused", "failed", "passed", ...
    nlohmann::json detail = nlohmann::json::object();
};

struct audit_record {
    std::int64_t seq = 0;
    sys_seconds at;
    audit_entry entry;
    std::string prev_hash;  // hex SHA-256 of the previous record ("" for the first)
    std::string hash;       // hex SHA-256 over prev_hash and this record's fields
};

struct audit_verification {
    bool ok = true;
    std::int64_t records = 0;
    std::optional<std::int64_t> first_broken_seq;
    std::string problem;  // what did not match
};

}  // namespace promotebot::commands
