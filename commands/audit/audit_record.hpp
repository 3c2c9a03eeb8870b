#pragma once
// What the audit log holds: who did what, to what, with which outcome, and
// the hash chain that links each record to the one before it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// How a record's hash was made: plain SHA-256, or HMAC-SHA256 with the key
// from PROMOTEBOT_AUDIT_KEY. A log started without a key and continued with
// one holds both kinds, plain records first.
inline constexpr std::string_view audit_mac_sha256 = "sha256";
inline constexpr std::string_view audit_mac_hmac_sha256 = "hmac-sha256";

struct audit_record {
    std::int64_t seq = 0;
    sys_seconds at;
    audit_entry entry;
    std::string prev_hash;  // hash of the previous record ("" for the first)
    std::string hash;       // hex digest over prev_hash and this record's fields
    std::string mac = std::string(audit_mac_sha256);  // which digest `hash` is
};

// The secret that keys the audit hashes. Only the composition root makes one
// (from the environment); it has no stream operator so it cannot be printed
// by accident.
struct audit_key {
    std::string bytes;
};

// The head of the log as it was at some moment, kept outside the database:
// record `seq` existed with exactly `hash`. seq 0 with an empty hash is the
// empty log.
struct audit_anchor {
    std::int64_t seq = 0;
    std::string hash;
    friend bool operator==(const audit_anchor&, const audit_anchor&) = default;
};

struct audit_verification {
    bool ok = true;
    std::int64_t records = 0;
    std::optional<std::int64_t> first_broken_seq;
    std::string problem;  // what did not match
    audit_anchor head;    // the last record read (seq 0 for an empty log)
    std::int64_t keyed_records = 0;  // records hashed with HMAC-SHA256
};

}  // namespace promotebot::commands
