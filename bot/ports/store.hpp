#pragma once
// The durable store: freeze windows, promotion requests and their
// transitions, approvals, deployments, and the append-only audit log.
// One interface, so a PostgreSQL implementation can stand beside SQLite.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/audit/audit_record.hpp"

namespace promotebot::bot {

using sys_seconds = std::chrono::sys_seconds;
using commands::audit_anchor;
using commands::audit_entry;
using commands::audit_key;
using commands::audit_record;
using commands::audit_verification;

struct stored_freeze_window {
    std::int64_t id = 0;
    sys_seconds start;  // UTC instants, half-open [start, end)
    sys_seconds end;
    std::string reason;
    std::string created_by;
    sys_seconds created_at;
};

// Promotion requests and deployments: the rows later workflows write.
struct promotion_row {
    std::int64_t id = 0;
    std::string version;
    std::string target;     // "int" / "prod"
    std::string requester;
    std::string state;      // the state machine's state name
    std::int64_t row_version = 0;  // compare-and-set guard
    nlohmann::json detail = nlohmann::json::object();
    sys_seconds created_at;
    sys_seconds updated_at;
};

struct deployment_row {
    std::int64_t id = 0;
    std::optional<std::int64_t> request_id;
    std::string env;
    std::string version;
    std::string image;
    std::string who;
    std::string result;  // "succeeded" / "failed" / "interrupted" / "running"
    sys_seconds at;
};

// An inbound event (a slash command, a button press) written down before it
// is acknowledged, so a crash between the ack and the work loses nothing and
// a redelivery after a restart is recognised.
struct inbox_entry {
    std::string key;      // the payload's identity: "trigger:…", "event:…" or "envelope:…"
    std::string type;     // slash_commands | interactive | events_api
    nlohmann::json payload;
    sys_seconds received_at;
};

class store {
public:
    virtual ~store() = default;

    // Inbox: false when the key was journaled before (a redelivery).
    virtual bool journal_inbound(const inbox_entry& e) = 0;
    virtual void mark_inbound_done(const std::string& key, sys_seconds now) = 0;
    // Entries journaled but never marked done (the process stopped in between), oldest first.
    virtual std::vector<inbox_entry> unfinished_inbound() const = 0;
    // Forgets finished entries received before `before`; returns how many.
    virtual std::int64_t prune_inbound(sys_seconds before) = 0;

    // Freeze windows (ad-hoc, added at run time).
    // `source_key` names the inbound event that asked for it (its inbox key),
    // so a replay after a crash finds the window instead of adding a second one.
    virtual std::int64_t add_freeze_window(sys_seconds start, sys_seconds end, const std::string& reason,
                                           const std::string& created_by, sys_seconds now,
                                           const std::string& source_key = {}) = 0;
    // The window added for `source_key`, removed or not.
    virtual std::optional<stored_freeze_window> freeze_window_from_source(const std::string& source_key) const = 0;
    // false when no such (active) window exists.
    virtual bool remove_freeze_window(std::int64_t id, const std::string& removed_by, sys_seconds now) = 0;
    virtual std::vector<stored_freeze_window> freeze_windows() const = 0;  // active ones, by start
    virtual std::optional<stored_freeze_window> freeze_window(std::int64_t id) const = 0;

    // Promotion requests: create, read, compare-and-set transition (records the transition).
    virtual std::int64_t create_request(const promotion_row& r, sys_seconds now) = 0;
    virtual std::optional<promotion_row> request(std::int64_t id) const = 0;
    // Moves the request to `to` only if its row_version still equals `expected_version`.
    virtual bool transition_request(std::int64_t id, std::int64_t expected_version, const std::string& to,
                                    const std::string& actor, const nlohmann::json& detail, sys_seconds now) = 0;
    virtual std::vector<promotion_row> requests_in_states(const std::vector<std::string>& states) const = 0;

    // Approvals (sign-offs, emergency approval, on-call presence).
    virtual void add_approval(std::int64_t request_id, const std::string& kind, const std::string& user,
                              sys_seconds now) = 0;
    virtual std::vector<std::pair<std::string, std::string>> approvals(std::int64_t request_id) const = 0;  // (kind, user)

    // Deployments.
    virtual std::int64_t record_deployment(const deployment_row& d) = 0;
    virtual void finish_deployment(std::int64_t id, const std::string& result) = 0;
    virtual std::vector<deployment_row> deployments(const std::string& env, int limit) const = 0;  // newest first

    // Audit log: append-only, hash-chained.
    virtual audit_record append_audit(const audit_entry& e, sys_seconds now) = 0;
    virtual std::vector<audit_record> audit_since(sys_seconds since) const = 0;
    // The first break in the chain, if any; with an anchor, also a break
    // unless record anchor->seq still has exactly anchor->hash.
    virtual audit_verification verify_audit(const std::optional<audit_anchor>& anchor = std::nullopt) const = 0;
};



}  // namespace promotebot::bot
