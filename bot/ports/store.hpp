#pragma once
// What the services need of durable storage, one repository per aggregate:
// the inbox of inbound events, ad-hoc freeze windows, the audit log and the
// outbox of messages. A service never calls a repository from the event loop:
// it hands a unit of work to `store`, which runs it in one transaction on the
// store's own thread and resumes the caller when it committed. So a change,
// its audit records and the messages it causes commit together or not at all,
// and a slow or networked backend never blocks the loop.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "commands/audit/audit_record.hpp"
#include "commands/message/message.hpp"

namespace promotebot::bot {

using sys_seconds = std::chrono::sys_seconds;
using sys_millis = std::chrono::sys_time<std::chrono::milliseconds>;
using commands::audit_anchor;
using commands::audit_entry;
using commands::audit_key;
using commands::audit_record;
using commands::audit_verification;

// ---- inbox ---------------------------------------------------------------

enum class inbound_kind { slash_command, interactive, event };

// An inbound event written down before it is acknowledged, so a crash between
// the ack and the work loses nothing and a redelivery after a restart is
// recognised.
struct inbox_entry {
    std::string key;  // the payload's identity: "trigger:…", "event:…" or "envelope:…"
    inbound_kind kind = inbound_kind::slash_command;
    nlohmann::json payload;
    sys_seconds received_at;
    // The replica handling it ("replica/run") and until when; another replica
    // takes an unfinished entry over only once that has passed.
    std::string holder{};
    sys_millis claim_until{};
};

class inbox_repository {
public:
    virtual ~inbox_repository() = default;
    // false when the key was journaled before (a redelivery).
    virtual bool journal_inbound(const inbox_entry& e) = 0;
    virtual void mark_inbound_done(const std::string& key, sys_seconds now) = 0;
    // Entries journaled but never marked done (the process stopped in between), oldest first.
    [[nodiscard]] virtual std::vector<inbox_entry> unfinished_inbound() const = 0;
    // Takes over at most `limit` unfinished entries, oldest first, whose claim
    // ended at or before `now` or whose holder starts with `earlier_runs` (this
    // replica before a restart): they become `holder`'s until `until`.
    // Entries another replica is taking at the same moment are passed over.
    virtual std::vector<inbox_entry> claim_unfinished_inbound(const std::string& holder,
                                                              const std::string& earlier_runs, sys_millis now,
                                                              sys_millis until, int limit) = 0;
    // Forgets finished entries received before `before`; returns how many.
    virtual std::int64_t prune_inbound(sys_seconds before) = 0;
};

// ---- freeze windows -------------------------------------------------------

struct stored_freeze_window {
    std::int64_t id = 0;
    sys_seconds start;  // UTC instants, half-open [start, end)
    sys_seconds end;
    std::string reason;
    std::string created_by;
    sys_seconds created_at;
};

class freeze_window_repository {
public:
    virtual ~freeze_window_repository() = default;
    // `source_key` names the inbound event that asked for it (its inbox key),
    // so a replay after a crash finds the window instead of adding a second one.
    virtual std::int64_t add_freeze_window(sys_seconds start, sys_seconds end, const std::string& reason,
                                           const std::string& created_by, sys_seconds now,
                                           const std::string& source_key = {}) = 0;
    // The window added for `source_key`, removed or not.
    [[nodiscard]] virtual std::optional<stored_freeze_window> freeze_window_from_source(
        const std::string& source_key) const = 0;
    // false when no such (active) window exists.
    virtual bool remove_freeze_window(std::int64_t id, const std::string& removed_by, sys_seconds now) = 0;
    [[nodiscard]] virtual std::vector<stored_freeze_window> freeze_windows() const = 0;  // active ones, by start
    [[nodiscard]] virtual std::optional<stored_freeze_window> freeze_window(std::int64_t id) const = 0;

};

// ---- audit log ------------------------------------------------------------

class audit_repository {
public:
    virtual ~audit_repository() = default;
    // Appends to the hash chain. Oversized or invalid UTF-8 fields are made safe, never refused.
    virtual audit_record append_audit(const audit_entry& e, sys_seconds now) = 0;
    [[nodiscard]] virtual std::vector<audit_record> audit_since(sys_seconds since) const = 0;
    // The first break in the chain, if any; with an anchor, also a break
    // unless record anchor->seq still has exactly anchor->hash.
    [[nodiscard]] virtual audit_verification verify_audit(
        const std::optional<audit_anchor>& anchor = std::nullopt) const = 0;
};

// ---- outbox ---------------------------------------------------------------

enum class outbox_kind {
    post,          // a channel message (chat.postMessage); its ts is recorded
    update,        // replaces the post with the same message_key (chat.update)
    ephemeral,     // seen by one user in a channel (chat.postEphemeral)
    response_url,  // the answer to the person who acted (Slack's response_url)
    reply,         // a reply in the thread of the post with the same message_key
};

// A message the outbox delivers after the transaction that caused it commits.
struct outbox_message {
    outbox_kind kind = outbox_kind::post;
    // Posts and the updates of that post share a key; rows with one key are
    // delivered in order. Empty: the row's own ID.
    std::string message_key;
    std::string channel;
    std::string user;          // ephemeral and response_url: who sees it
    std::string response_url;  // response_url: where the answer goes (falls back to an ephemeral)
    bool in_channel = false;   // response_url: visible to the whole channel
    commands::message body;
};

enum class outbox_state { pending, delivered, failed };

struct outbox_row {
    std::int64_t id = 0;
    outbox_message message;
    sys_seconds created_at;
    int attempts = 0;
    // A post was sent and its answer never arrived: it may be in the channel.
    // It is looked up before it is posted again.
    bool in_doubt = false;
    // Update and reply rows: the ts of the key's post once that is known. The newest
    // pending update of a key stands for the older ones (`covers_up_to`).
    std::optional<std::string> post_ts;
    std::int64_t covers_up_to = 0;
};

class outbox_repository {
public:
    virtual ~outbox_repository() = default;
    virtual std::int64_t enqueue_outbox(const outbox_message& m, sys_seconds now) = 0;
    // Rows due at `now`, oldest first, at most one per message key (the first
    // pending one of its key), at most `limit`.
    [[nodiscard]] virtual std::vector<outbox_row> due_outbox(sys_millis now, int limit) const = 0;
    // When the next pending row becomes due; nullopt when none is pending.
    [[nodiscard]] virtual std::optional<sys_millis> next_outbox_due() const = 0;
    // Claims a due row for one delivery attempt, before anything is sent:
    // counts the attempt, marks it in doubt when asked (a post: until its
    // answer is recorded, it may be in the channel) and moves its next attempt
    // to `claim_until`, so no other replica sends it meanwhile and, if this one
    // dies, another takes it over then. false when the row is no longer
    // pending or not due at `now` (another replica claimed it).
    // `holder` names the claiming process ("replica/run").
    virtual bool outbox_attempt(std::int64_t id, bool in_doubt, sys_millis now, sys_millis claim_until,
                                const std::string& holder) = 0;
    // At a start: rows an earlier run of this replica (holder starting with
    // `earlier_runs`, other than `holder`) had claimed are due again at `now`
    // instead of when the dead run's claim would have ended. Returns how many.
    virtual std::int64_t release_outbox_claims(const std::string& earlier_runs, const std::string& holder,
                                               sys_millis now) = 0;
    // Delivered (with the ts of a post; an update marks every row it covers).
    virtual void outbox_delivered(std::int64_t id, const std::string& ts, sys_seconds now) = 0;
    virtual void outbox_retry(std::int64_t id, sys_millis next_attempt, const std::string& error, bool in_doubt) = 0;
    virtual void outbox_failed(std::int64_t id, const std::string& error, sys_seconds now) = 0;
    [[nodiscard]] virtual std::optional<outbox_state> outbox_state_of(std::int64_t id) const = 0;
    [[nodiscard]] virtual std::int64_t outbox_pending() const = 0;
    // When the newest row whose message key starts with `prefix` was written.
    [[nodiscard]] virtual std::optional<sys_seconds> last_outbox_written(const std::string& prefix) const = 0;
};

// ---- promotions -----------------------------------------------------------

// One /promote request. The domain serialises the whole request into `doc`;
// the columns beside it are what queries need.
struct stored_promotion {
    std::int64_t id = 0;
    std::string environment;     // "int" / "prod"
    std::string version;         // "v1.2.3"
    std::string state;           // the state machine's state name ("awaiting_signoffs")
    std::string requested_by;    // Slack user ID
    std::string source_key;      // the inbound event that opened it: a replay finds it instead of opening a second
    std::int64_t row_version = 0;  // 1 when inserted, +1 on every save
    nlohmann::json doc = nlohmann::json::object();
    sys_seconds created_at;
    sys_seconds updated_at;
};

class promotion_repository {
public:
    virtual ~promotion_repository() = default;
    // Assigns the ID; row_version becomes 1. A non-empty source_key already
    // used returns the existing promotion's ID and changes nothing.
    virtual std::int64_t insert_promotion(const stored_promotion& p, sys_seconds now) = 0;
    [[nodiscard]] virtual std::optional<stored_promotion> promotion(std::int64_t id) const = 0;
    [[nodiscard]] virtual std::optional<stored_promotion> promotion_from_source(const std::string& source_key) const = 0;
    // Compare-and-set: writes state, version, doc (and bumps row_version)
    // only when the stored row_version is still `expected_version`; false otherwise.
    virtual bool save_promotion(const stored_promotion& p, std::int64_t expected_version, sys_seconds now) = 0;
    // Oldest first.
    [[nodiscard]] virtual std::vector<stored_promotion> promotions_in_states(const std::vector<std::string>& states) const = 0;
    // Newest first.
    [[nodiscard]] virtual std::vector<stored_promotion> recent_promotions(int limit) const = 0;
};

// ---- deploy locks -----------------------------------------------------------

// One deployment per environment at a time.
struct deploy_lock {
    std::string environment;
    std::int64_t promotion_id = 0;
    std::string holder;  // who pressed Deploy (a Slack user ID)
    sys_seconds acquired_at;
};

class deploy_lock_repository {
public:
    virtual ~deploy_lock_repository() = default;
    // true when taken now or already held by this promotion (which keeps the
    // holder and time of the first acquire); false when another holds it.
    virtual bool acquire_deploy_lock(const std::string& environment, std::int64_t promotion_id,
                                     const std::string& holder, sys_seconds now) = 0;
    // Releases it when this promotion holds it; otherwise does nothing.
    virtual void release_deploy_lock(const std::string& environment, std::int64_t promotion_id) = 0;
    [[nodiscard]] virtual std::optional<deploy_lock> deploy_lock_of(const std::string& environment) const = 0;
    [[nodiscard]] virtual std::vector<deploy_lock> deploy_locks() const = 0;
};

// ---- deployment records ---------------------------------------------------

// What one run of the deployment steps did: the record the runbook asks to keep.
struct deployment_record {
    std::int64_t id = 0;
    std::int64_t promotion_id = 0;  // 0 for a deployment not made by a promotion (a rollback)
    std::string environment;
    std::string version;
    std::string image_digest;        // as `docker push` reported it; empty when none was pushed
    std::string option;              // "app" (runbook Option B) or "infra" (Option A)
    std::string requested_by;
    std::vector<std::string> approved_by;   // everyone whose approval it ran on
    std::vector<std::string> change_records;
    nlohmann::json gates = nlohmann::json::array();  // the gate evidence it ran on
    sys_seconds started_at;
    std::optional<sys_seconds> ended_at;
    std::string result = "running";  // running, succeeded, failed, interrupted, cancelled
    nlohmann::json detail = nlohmann::json::object();  // steps and their outcomes
};

class deployment_repository {
public:
    virtual ~deployment_repository() = default;
    virtual std::int64_t start_deployment(const deployment_record& d) = 0;  // assigns the ID
    // Finishes a running deployment (std::invalid_argument for an unknown or
    // already finished one, or for "running"); an empty digest keeps the one
    // recorded at the start.
    virtual void finish_deployment(std::int64_t id, const std::string& result, const std::string& image_digest,
                                   sys_seconds ended_at, const nlohmann::json& detail) = 0;
    [[nodiscard]] virtual std::optional<deployment_record> deployment(std::int64_t id) const = 0;
    [[nodiscard]] virtual std::optional<deployment_record> deployment_of_promotion(std::int64_t promotion_id) const = 0;
    // Newest first; every environment when `environment` is empty.
    [[nodiscard]] virtual std::vector<deployment_record> deployments(const std::string& environment, int limit) const = 0;
    // The newest succeeded deployment to the environment (of that version when given).
    [[nodiscard]] virtual std::optional<deployment_record> last_successful_deployment(
        const std::string& environment, const std::string& version = {}) const = 0;
};

// ---- step output ------------------------------------------------------------

// The full output of a deployment's steps; chat shows only tails of it.
struct step_output_line {
    int step = 0;
    std::string stream;  // "out" or "err"
    std::string text;
};

class step_output_repository {
public:
    virtual ~step_output_repository() = default;
    virtual void append_step_output(std::int64_t promotion_id, const std::vector<step_output_line>& lines,
                                    sys_seconds now) = 0;
    // Every line of the promotion's steps (of one step when step >= 0), in order.
    [[nodiscard]] virtual std::vector<step_output_line> step_output(std::int64_t promotion_id, int step = -1) const = 0;
};

// ---- rollbacks ----------------------------------------------------------------

// One /rollback request; the domain serialises it into `doc` (commands/rollback/rollback_json).
struct stored_rollback {
    std::int64_t id = 0;
    std::string environment;     // "int" / "prod"
    std::string kind;            // "image", "dbt", "infra"
    std::string state;           // the machine's phase name ("proposed", "running", …)
    std::string requested_by;
    std::string source_key;      // the inbound event that asked for it: a replay finds it
    std::int64_t row_version = 0;  // 1 when inserted, +1 on every save
    nlohmann::json doc = nlohmann::json::object();
    sys_seconds created_at;
    sys_seconds updated_at;
};

class rollback_repository {
public:
    virtual ~rollback_repository() = default;
    // Same contract as insert_promotion: a used non-empty source_key returns the existing ID.
    virtual std::int64_t insert_rollback(const stored_rollback& r, sys_seconds now) = 0;
    [[nodiscard]] virtual std::optional<stored_rollback> rollback(std::int64_t id) const = 0;
    // Compare-and-set on row_version, like save_promotion: writes state and doc.
    virtual bool save_rollback(const stored_rollback& r, std::int64_t expected_version, sys_seconds now) = 0;
    [[nodiscard]] virtual std::vector<stored_rollback> rollbacks_in_states(
        const std::vector<std::string>& states) const = 0;  // oldest first
};

// ---- versions rolled back from ------------------------------------------------

// A version an environment was rolled back from: promoting it there again takes override-bad and a reason.
struct bad_version {
    std::string environment;
    std::string version;
    std::string marked_by;       // who confirmed the rollback
    std::int64_t rollback_id = 0;
    sys_seconds marked_at;
};

class bad_version_repository {
public:
    virtual ~bad_version_repository() = default;
    // Idempotent: marking a version again keeps the first mark.
    virtual void mark_bad_version(const bad_version& b) = 0;
    [[nodiscard]] virtual std::optional<bad_version> bad_version_of(const std::string& environment,
                                                                    const std::string& version) const = 0;
    [[nodiscard]] virtual std::vector<bad_version> bad_versions(
        const std::string& environment) const = 0;  // newest first
};

// ---- leases -------------------------------------------------------------------

// Work a replica does in its own process (a workflow's gate checks or
// deployment step) is held under a lease: a named row with its holder
// ("replica/run") and an end. The holder renews it while the work runs; when
// the holder dies the lease ends, and another replica takes the work over in
// the transaction that takes the lease. Whatever a late holder then writes is
// refused by the workflow row's version (the fencing token of every write).
// Names: "promotion:12", "rollback:3".
struct work_lease {
    std::string name;
    std::string holder;
    sys_millis until;
};

class lease_repository {
public:
    virtual ~lease_repository() = default;
    // `holder` holds `name` until `until`, whoever held it before: the caller
    // commits, in the same unit, the transition that makes it the one doing the work.
    virtual void hold_lease(const std::string& name, const std::string& holder, sys_millis until) = 0;
    // Takes `name` for `holder` until `until` when no one holds it, its lease
    // ended at or before `now`, or its holder starts with `earlier_runs`; true when taken.
    virtual bool take_lease(const std::string& name, const std::string& holder, const std::string& earlier_runs,
                            sys_millis now, sys_millis until) = 0;
    // Extends every lease `holder` holds; answers their names.
    virtual std::vector<std::string> renew_leases(const std::string& holder, sys_millis until) = 0;
    virtual void release_lease(const std::string& name) = 0;
    [[nodiscard]] virtual std::optional<work_lease> lease(const std::string& name) const = 0;
};

// ---- metrics ------------------------------------------------------------------

// Read-only summaries for /metrics, each one cheap query.
struct outbox_summary {
    std::int64_t pending = 0;
    std::optional<sys_seconds> oldest_pending;  // created_at of the oldest pending row
};

// A count grouped by two columns.
struct grouped_count {
    std::string first;
    std::string second;
    std::int64_t count = 0;
};

class metrics_repository {
public:
    virtual ~metrics_repository() = default;
    [[nodiscard]] virtual outbox_summary outbox_summary_now() const = 0;
    // Deployment records by (environment, result).
    [[nodiscard]] virtual std::vector<grouped_count> deployment_counts() const = 0;
    // Gate answers recorded in the audit log (action "promotion.gate") by
    // (gate, result), among at most `limit` records after sequence number
    // `after_seq`; `last_seq` becomes the last sequence number looked at, so
    // a caller adds up the log piece by piece instead of reading it whole.
    [[nodiscard]] virtual std::vector<grouped_count> gate_answer_counts(std::int64_t after_seq, std::int64_t limit,
                                                                        std::int64_t& last_seq) const = 0;
};

// ---- the unit of work -----------------------------------------------------

// Every repository, as seen inside one transaction.
class store_session : public inbox_repository,
                      public freeze_window_repository,
                      public audit_repository,
                      public outbox_repository,
                      public promotion_repository,
                      public deploy_lock_repository,
                      public deployment_repository,
                      public step_output_repository,
                      public rollback_repository,
                      public bad_version_repository,
                      public lease_repository,
                      public metrics_repository {};

// Runs units of work off the event loop. `write` is one transaction: it
// commits when `work` returns and rolls back when it throws (the exception
// reaches the awaiting caller). `read` sees one consistent snapshot.
class store {
public:
    virtual ~store() = default;
    virtual boost::asio::awaitable<void> write(std::function<void(store_session&)> work) = 0;
    virtual boost::asio::awaitable<void> read(std::function<void(const store_session&)> work) = 0;
    // A write that goes ahead of the writes already waiting (not of the one
    // running), taking turns with them so that they still progress: the inbox
    // journal, which an envelope's ack waits for. A backend without a queue
    // runs it as write().
    virtual boost::asio::awaitable<void> write_first(std::function<void(store_session&)> work) {
        return write(std::move(work));
    }
    // Called after every committed write (on the awaiting coroutine's
    // executor): the outbox dispatcher wakes up on it.
    std::function<void()> on_commit;
};

// Typed helpers: `auto id = co_await write(st, [&](store_session& s) { return …; });`
template <typename F>
auto write(store& st, F work) -> boost::asio::awaitable<std::invoke_result_t<F, store_session&>> {
    using result = std::invoke_result_t<F, store_session&>;
    if constexpr (std::is_void_v<result>) {
        co_await st.write(std::move(work));
    } else {
        std::optional<result> out;
        co_await st.write([&](store_session& s) { out.emplace(work(s)); });
        co_return std::move(*out);
    }
}

template <typename F>
auto read(store& st, F work) -> boost::asio::awaitable<std::invoke_result_t<F, const store_session&>> {
    using result = std::invoke_result_t<F, const store_session&>;
    std::optional<result> out;
    co_await st.read([&](const store_session& s) { out.emplace(work(s)); });
    co_return std::move(*out);
}

}  // namespace promotebot::bot
