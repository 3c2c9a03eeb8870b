#include "integrations/store/sqlite/sqlite_store.hpp"
#include "integrations/store/common/store_rules.hpp"
#include "commands/audit/audit_chain.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

#include "commands/audit/sha256.hpp"
#include "commands/message/message_json.hpp"

namespace promotebot::sqlite {

using namespace bot;

namespace {

using json = nlohmann::json;

// Each migration runs once, in its own transaction, in order. Never edit a
// migration that has shipped: add the next one.
struct migration {
    int version;
    const char* sql;
};

constexpr std::array migrations{
    migration{1, R"sql(
        CREATE TABLE freeze_windows (
            id          INTEGER PRIMARY KEY,
            start_utc   INTEGER NOT NULL,
            end_utc     INTEGER NOT NULL,
            reason      TEXT    NOT NULL,
            created_by  TEXT    NOT NULL,
            created_at  INTEGER NOT NULL,
            removed_by  TEXT,
            removed_at  INTEGER,
            CHECK (end_utc > start_utc)
        );
        CREATE TABLE promotion_requests (
            id          INTEGER PRIMARY KEY,
            version     TEXT    NOT NULL,
            target      TEXT    NOT NULL,
            requester   TEXT    NOT NULL,
            state       TEXT    NOT NULL,
            row_version INTEGER NOT NULL,
            detail      TEXT    NOT NULL DEFAULT '{}',
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE TABLE request_transitions (
            id          INTEGER PRIMARY KEY,
            request_id  INTEGER NOT NULL REFERENCES promotion_requests(id),
            from_state  TEXT,
            to_state    TEXT    NOT NULL,
            actor       TEXT    NOT NULL,
            detail      TEXT    NOT NULL DEFAULT '{}',
            at          INTEGER NOT NULL
        );
        CREATE TABLE approvals (
            request_id  INTEGER NOT NULL REFERENCES promotion_requests(id),
            kind        TEXT    NOT NULL,
            "user"      TEXT    NOT NULL,
            at          INTEGER NOT NULL,
            UNIQUE (request_id, kind, "user")
        );
        CREATE TABLE deployments (
            id          INTEGER PRIMARY KEY,
            request_id  INTEGER REFERENCES promotion_requests(id),
            env         TEXT    NOT NULL,
            version     TEXT    NOT NULL,
            image       TEXT    NOT NULL,
            who         TEXT    NOT NULL,
            result      TEXT    NOT NULL,
            at          INTEGER NOT NULL,
            finished_at INTEGER
        );
        CREATE TABLE audit_log (
            seq         INTEGER PRIMARY KEY,
            at          INTEGER NOT NULL,
            actor       TEXT    NOT NULL,
            action      TEXT    NOT NULL,
            subject     TEXT    NOT NULL,
            outcome     TEXT    NOT NULL,
            detail      TEXT    NOT NULL,
            prev_hash   TEXT    NOT NULL,
            hash        TEXT    NOT NULL
        );
    )sql"},
    migration{2, R"sql(
        CREATE INDEX freeze_windows_active_by_start ON freeze_windows(start_utc) WHERE removed_at IS NULL;
        CREATE INDEX promotion_requests_by_state ON promotion_requests(state);
        CREATE INDEX request_transitions_by_request ON request_transitions(request_id);
        CREATE INDEX deployments_by_env_and_start ON deployments(env, at);
        CREATE INDEX audit_log_by_time ON audit_log(at);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    )sql"},
    migration{3, R"sql(
        CREATE TABLE inbox (
            key         TEXT    PRIMARY KEY,
            type        TEXT    NOT NULL,
            payload     TEXT    NOT NULL,
            received_at INTEGER NOT NULL,
            done_at     INTEGER
        );
        CREATE INDEX inbox_unfinished ON inbox(received_at) WHERE done_at IS NULL;
    )sql"},
    migration{4, R"sql(
        ALTER TABLE freeze_windows ADD COLUMN source_key TEXT;
        CREATE UNIQUE INDEX freeze_windows_by_source ON freeze_windows(source_key) WHERE source_key IS NOT NULL;
    )sql"},
    // Which digest each audit record's hash is: 'sha256' (every record written
    // before this migration) or 'hmac-sha256' (written with PROMOTEBOT_AUDIT_KEY).
    migration{5, R"sql(
        ALTER TABLE audit_log ADD COLUMN mac TEXT NOT NULL DEFAULT 'sha256';
    )sql"},
    migration{6, R"sql(
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY,
            message_key     TEXT    NOT NULL,
            kind            TEXT    NOT NULL CHECK (kind IN ('post', 'update', 'ephemeral', 'response_url')),
            channel         TEXT    NOT NULL,
            user_id         TEXT    NOT NULL,
            response_url    TEXT    NOT NULL,
            in_channel      INTEGER NOT NULL,
            body            TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            in_doubt        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,  -- Unix milliseconds
            last_error      TEXT,
            ts              TEXT,
            finished_at     INTEGER
        );
        CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE state = 'pending';
        CREATE INDEX outbox_by_key ON outbox(message_key, id);
    )sql"},
    // Promotions, deploy locks, deployment records and step output. The
    // request tables of migration 1 were never written by any promotebot and
    // `deployments` needs their name back: they are dropped, but only when
    // empty (the guard's CHECK fails the migration, which changes nothing, if
    // someone put rows there by hand). Times are Unix seconds like everywhere
    // else; JSON columns hold text. No foreign keys: a rollback's deployment
    // and its lock belong to no promotion (promotion_id 0).
    migration{7, R"sql(
        CREATE TEMP TABLE migration_7_guard (
            n INTEGER NOT NULL CONSTRAINT unused_request_tables_of_migration_1_must_be_empty CHECK (n = 0)
        );
        INSERT INTO migration_7_guard (n)
            SELECT (SELECT COUNT(*) FROM request_transitions) + (SELECT COUNT(*) FROM approvals) +
                   (SELECT COUNT(*) FROM deployments) + (SELECT COUNT(*) FROM promotion_requests);
        DROP TABLE temp.migration_7_guard;
        DROP TABLE request_transitions;
        DROP TABLE approvals;
        DROP TABLE deployments;
        DROP TABLE promotion_requests;

        CREATE TABLE promotions (
            id           INTEGER PRIMARY KEY,
            environment  TEXT    NOT NULL,
            version      TEXT    NOT NULL,
            state        TEXT    NOT NULL,
            requested_by TEXT    NOT NULL,
            source_key   TEXT,   -- NULL when none
            row_version  INTEGER NOT NULL CHECK (row_version >= 1),
            doc          TEXT    NOT NULL,
            created_at   INTEGER NOT NULL,
            updated_at   INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX promotions_by_source ON promotions(source_key) WHERE source_key IS NOT NULL;
        CREATE INDEX promotions_by_state ON promotions(state, id);
        CREATE INDEX promotions_by_environment ON promotions(environment, id);

        CREATE TABLE deploy_locks (
            environment  TEXT    PRIMARY KEY,
            promotion_id INTEGER NOT NULL,
            holder       TEXT    NOT NULL,
            acquired_at  INTEGER NOT NULL
        );

        CREATE TABLE deployments (
            id             INTEGER PRIMARY KEY,
            promotion_id   INTEGER NOT NULL,  -- 0: not made by a promotion
            environment    TEXT    NOT NULL,
            version        TEXT    NOT NULL,
            image_digest   TEXT    NOT NULL,
            option         TEXT    NOT NULL,
            requested_by   TEXT    NOT NULL,
            approved_by    TEXT    NOT NULL,  -- JSON array of user IDs
            change_records TEXT    NOT NULL,  -- JSON array
            gates          TEXT    NOT NULL,  -- JSON
            started_at     INTEGER NOT NULL,
            ended_at       INTEGER,
            result         TEXT    NOT NULL
                CHECK (result IN ('running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
            detail         TEXT    NOT NULL   -- JSON object
        );
        CREATE INDEX deployments_by_environment_and_result ON deployments(environment, result, id);
        CREATE INDEX deployments_by_environment ON deployments(environment, id);
        CREATE INDEX deployments_by_promotion ON deployments(promotion_id, id);

        CREATE TABLE step_output (
            promotion_id INTEGER NOT NULL,
            seq          INTEGER NOT NULL,  -- 1, 2, … per promotion; a cut leaves a gap
            step         INTEGER NOT NULL CHECK (step >= 0),
            stream       TEXT    NOT NULL CHECK (stream IN ('out', 'err')),
            text         TEXT    NOT NULL,
            at           INTEGER NOT NULL,
            PRIMARY KEY (promotion_id, seq)
        ) WITHOUT ROWID;
        -- Thread replies join the outbox's kinds (SQLite changes a CHECK only by rebuilding the table).
        CREATE TABLE outbox_next (
            id              INTEGER PRIMARY KEY,
            message_key     TEXT    NOT NULL,
            kind            TEXT    NOT NULL CHECK (kind IN ('post', 'update', 'ephemeral', 'response_url', 'reply')),
            channel         TEXT    NOT NULL,
            user_id         TEXT    NOT NULL,
            response_url    TEXT    NOT NULL,
            in_channel      INTEGER NOT NULL,
            body            TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            in_doubt        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,  -- Unix milliseconds
            last_error      TEXT,
            ts              TEXT,
            finished_at     INTEGER
        );
        INSERT INTO outbox_next SELECT id, message_key, kind, channel, user_id, response_url, in_channel, body,
            created_at, state, attempts, in_doubt, next_attempt_at, last_error, ts, finished_at FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_next RENAME TO outbox;
        CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE state = 'pending';
        CREATE INDEX outbox_by_key ON outbox(message_key, id);
    )sql"},
    // Rollbacks, kept like promotions, and the versions each environment was
    // rolled back from (the first mark of a version stays).
    migration{8, R"sql(
        CREATE TABLE rollbacks (
            id           INTEGER PRIMARY KEY,
            environment  TEXT    NOT NULL,
            kind         TEXT    NOT NULL,
            state        TEXT    NOT NULL,
            requested_by TEXT    NOT NULL,
            source_key   TEXT,   -- NULL when none
            row_version  INTEGER NOT NULL CHECK (row_version >= 1),
            doc          TEXT    NOT NULL,
            created_at   INTEGER NOT NULL,
            updated_at   INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX rollbacks_by_source ON rollbacks(source_key) WHERE source_key IS NOT NULL;
        CREATE INDEX rollbacks_by_state ON rollbacks(state, id);

        CREATE TABLE bad_versions (
            environment  TEXT    NOT NULL,
            version      TEXT    NOT NULL,
            marked_by    TEXT    NOT NULL,
            rollback_id  INTEGER NOT NULL,
            marked_at    INTEGER NOT NULL,
            PRIMARY KEY (environment, version)
        );
        CREATE INDEX bad_versions_by_environment ON bad_versions(environment, marked_at);
    )sql"},
    // Several replicas on one store: who handles an inbox entry and until
    // when, who claimed an outbox row, and the leases of work running in one
    // replica's process. And the pending rows of one message key, found
    // without reading its delivered ones: a progress message updated every
    // second for hours has tens of thousands of rows, and the outbox's "first
    // pending row of the key" and "every older pending update" look it up on
    // every delivery.
    migration{9, R"sql(
        ALTER TABLE inbox ADD COLUMN holder TEXT NOT NULL DEFAULT '';
        ALTER TABLE inbox ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;  -- Unix milliseconds
        ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
        CREATE TABLE leases (
            name   TEXT    PRIMARY KEY,
            holder TEXT    NOT NULL,
            until  INTEGER NOT NULL  -- Unix milliseconds
        );
        CREATE INDEX leases_by_holder ON leases(holder);
        CREATE INDEX outbox_pending_by_key ON outbox(message_key, id) WHERE state = 'pending';
    )sql"},
};

constexpr std::array<std::pair<inbound_kind, std::string_view>, 3> inbound_kinds{{
    {inbound_kind::slash_command, "slash_commands"},
    {inbound_kind::interactive, "interactive"},
    {inbound_kind::event, "events_api"},
}};
constexpr std::array<std::pair<outbox_kind, std::string_view>, 5> outbox_kinds{{
    {outbox_kind::post, "post"},
    {outbox_kind::update, "update"},
    {outbox_kind::ephemeral, "ephemeral"},
    {outbox_kind::response_url, "response_url"},
    {outbox_kind::reply, "reply"},
}};
constexpr std::array<std::pair<outbox_state, std::string_view>, 3> outbox_states{{
    {outbox_state::pending, "pending"},
    {outbox_state::delivered, "delivered"},
    {outbox_state::failed, "failed"},
}};

// Enums are stored as the words above; a word this binary does not know is an error, not a default.
template <typename Enum, std::size_t N>
std::string_view word_of(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
    for (const auto& [e, w] : table)
        if (e == value) return w;
    throw std::logic_error("store: enum value without a stored name");
}
template <typename Enum, std::size_t N>
std::optional<Enum> enum_of(const std::array<std::pair<Enum, std::string_view>, N>& table, std::string_view word) {
    for (const auto& [e, w] : table)
        if (w == word) return e;
    return std::nullopt;
}
std::string_view to_text(inbound_kind k) { return word_of(inbound_kinds, k); }
std::optional<inbound_kind> inbound_kind_from(std::string_view w) { return enum_of(inbound_kinds, w); }

std::int64_t to_unix(sys_seconds t) { return t.time_since_epoch().count(); }
std::int64_t millis_of(sys_millis t) { return t.time_since_epoch().count(); }
sys_seconds from_unix(std::int64_t s) { return sys_seconds{std::chrono::seconds{s}}; }

struct db_closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_handle = std::unique_ptr<sqlite3, db_closer>;

struct statement_finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using statement_handle = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

// A constraint the schema enforces was violated (unknown foreign key, CHECK, ...).
class constraint_violation : public std::runtime_error {
public:
    constraint_violation(const std::string& what, int extended_code)
        : std::runtime_error(what), extended_code(extended_code) {}
    int extended_code;
};

// The file was written by a newer promotebot; its message stands on its own.
class schema_too_new : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A read-only open refused the file (not a promotebot store, or an older
// schema it may not migrate); its message stands on its own.
class refused_read_only : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_sqlite(sqlite3* db, int rc, const std::string& doing) {
    std::string message = "store: " + doing + " failed: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    if ((rc & 0xff) == SQLITE_CONSTRAINT) throw constraint_violation(message, sqlite3_extended_errcode(db));
    throw std::runtime_error(message);
}

// One use of a cached prepared statement; resets it (and drops bindings)
// when the use ends so the next caller starts clean.
class statement {
public:
    statement(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }

    template <typename... Values>
    statement& bind(const Values&... values) {
        int index = 0;
        (bind_one(++index, values), ...);
        return *this;
    }

    // true while a row is available; false once the statement is done.
    bool step() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw_sqlite(db_, rc, std::string("running \"") + sqlite3_sql(s_) + "\"");
    }
    void run() {
        while (step()) {
        }
    }

    std::int64_t integer(int column) const { return sqlite3_column_int64(s_, column); }
    bool is_null(int column) const { return sqlite3_column_type(s_, column) == SQLITE_NULL; }
    std::string text(int column) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, column));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, column))) : std::string();
    }

private:
    void check_bind(int rc) {
        if (rc != SQLITE_OK) throw_sqlite(db_, rc, std::string("binding a value for \"") + sqlite3_sql(s_) + "\"");
    }
    void bind_one(int i, std::int64_t v) { check_bind(sqlite3_bind_int64(s_, i, v)); }
    void bind_one(int i, int v) { check_bind(sqlite3_bind_int64(s_, i, v)); }
    void bind_one(int i, sys_seconds t) { bind_one(i, to_unix(t)); }
    void bind_one(int i, const std::string& v) {
        check_bind(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    void bind_one(int i, std::nullptr_t) { check_bind(sqlite3_bind_null(s_, i)); }
    void bind_one(int i, const std::optional<std::int64_t>& v) {
        if (v) bind_one(i, *v);
        else bind_one(i, nullptr);
    }
    void bind_one(int i, const std::optional<std::string>& v) {
        if (v) bind_one(i, *v);
        else bind_one(i, nullptr);
    }

    sqlite3* db_;
    sqlite3_stmt* s_;
};

void exec(sqlite3* db, const char* sql, const std::string& doing) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = "store: " + doing + " failed: " + (error ? error : sqlite3_errstr(rc));
        sqlite3_free(error);
        throw std::runtime_error(message);
    }
}

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write
// (last audit hash, current row_version) cannot interleave with another writer.
// Inside another transaction it is a savepoint, so a repository call that
// needs its own transaction composes into a caller's unit of work.
class write_transaction {
public:
    explicit write_transaction(sqlite3* db, const char* begin = "BEGIN IMMEDIATE")
        : db_(db), nested_(sqlite3_get_autocommit(db) == 0) {
        exec(db_, nested_ ? "SAVEPOINT nested" : begin, "starting a transaction");
    }
    write_transaction(const write_transaction&) = delete;
    write_transaction& operator=(const write_transaction&) = delete;
    ~write_transaction() {
        if (done_) return;
        if (nested_) {
            sqlite3_exec(db_, "ROLLBACK TO nested", nullptr, nullptr, nullptr);
            sqlite3_exec(db_, "RELEASE nested", nullptr, nullptr, nullptr);
        } else {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    void commit() {
        exec(db_, nested_ ? "RELEASE nested" : "COMMIT", "committing a transaction");
        done_ = true;
    }

private:
    sqlite3* db_;
    bool nested_;
    bool done_ = false;
};

using storage::bounded_output_line;
using storage::json_text;
using storage::object_detail;
using storage::parse_stored_json;
using storage::require_deployment_result;
using storage::require_non_empty;
using storage::stored_strings;
using storage::valid_utf8;

class sqlite_store_impl final : public sqlite_store {
public:
    sqlite_store_impl(const std::string& path, std::optional<audit_key> key, open_mode mode)
        : audit_key_(std::move(key)) {
        try {
            if (mode == open_mode::read_only) {
                open_read_only(path);
                check_schema_read_only(path);
            } else {
                open(path);
                migrate();
            }
        } catch (const schema_too_new&) {
            throw;
        } catch (const refused_read_only&) {
            throw;
        } catch (const std::runtime_error& e) {
            std::string reason = e.what();
            if (reason.rfind("store: ", 0) == 0) reason.erase(0, 7);
            throw std::runtime_error("cannot open store \"" + path + "\": " + reason);
        }
    }

    std::int64_t add_freeze_window(sys_seconds start, sys_seconds end, const std::string& reason,
                                   const std::string& created_by, sys_seconds now,
                                   const std::string& source_key) override {
        if (end <= start) throw std::invalid_argument("freeze window must end after it starts");
        require_non_empty(reason, "freeze window reason");
        require_non_empty(created_by, "freeze window creator");
        std::lock_guard lock(mutex_);
        prepare("INSERT INTO freeze_windows (start_utc, end_utc, reason, created_by, created_at, source_key) "
                "VALUES (?, ?, ?, ?, ?, ?)")
            .bind(start, end, reason, created_by, now,
                  source_key.empty() ? std::optional<std::string>{} : std::optional<std::string>{source_key})
            .run();
        return sqlite3_last_insert_rowid(db());
    }

    std::optional<stored_freeze_window> freeze_window_from_source(const std::string& source_key) const override {
        if (source_key.empty()) return std::nullopt;
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, start_utc, end_utc, reason, created_by, created_at FROM freeze_windows "
                         "WHERE source_key = ?");
        q.bind(source_key);
        if (!q.step()) return std::nullopt;
        return read_freeze_window(q);
    }

    bool journal_inbound(const inbox_entry& e) override {
        require_non_empty(e.key, "inbox key");
        std::lock_guard lock(mutex_);
        prepare("INSERT OR IGNORE INTO inbox (key, type, payload, received_at, holder, claim_until) "
                "VALUES (?, ?, ?, ?, ?, ?)")
            .bind(e.key, std::string{to_text(e.kind)}, e.payload.dump(-1, ' ', false, json::error_handler_t::replace),
                  e.received_at, e.holder, millis_of(e.claim_until))
            .run();
        return sqlite3_changes(db()) == 1;
    }

    void mark_inbound_done(const std::string& key, sys_seconds now) override {
        std::lock_guard lock(mutex_);
        prepare("UPDATE inbox SET done_at = ? WHERE key = ? AND done_at IS NULL").bind(now, key).run();
    }

    std::vector<inbox_entry> unfinished_inbound() const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT key, type, payload, received_at, holder, claim_until FROM inbox "
                         "WHERE done_at IS NULL ORDER BY received_at, rowid");
        std::vector<inbox_entry> out;
        while (q.step()) out.push_back(read_inbox_entry(q));
        return out;
    }

    static inbox_entry read_inbox_entry(statement& q) {
        auto payload = json::parse(q.text(2), nullptr, false);
        auto kind = inbound_kind_from(q.text(1));
        if (!kind) throw std::runtime_error("store: inbox entry " + q.text(0) + " has unknown type " + q.text(1));
        return {q.text(0), *kind, payload.is_discarded() ? json::object() : payload, from_unix(q.integer(3)),
                q.text(4), sys_millis{std::chrono::milliseconds{q.integer(5)}}};
    }

    std::vector<inbox_entry> claim_unfinished_inbound(const std::string& holder, const std::string& earlier_runs,
                                                      sys_millis now, sys_millis until, int limit) override {
        require_non_empty(holder, "inbox holder");
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        auto q = prepare("SELECT key, type, payload, received_at, holder, claim_until FROM inbox WHERE "
                         "done_at IS NULL AND (claim_until <= ? OR (? <> '' AND substr(holder, 1, length(?)) = ? "
                         "AND holder <> ?)) ORDER BY received_at, rowid LIMIT ?");
        q.bind(millis_of(now), earlier_runs, earlier_runs, earlier_runs, holder, limit);
        std::vector<inbox_entry> out;
        while (q.step()) {
            out.push_back(read_inbox_entry(q));
            out.back().holder = holder;
            out.back().claim_until = until;
        }
        for (const auto& e : out)
            prepare("UPDATE inbox SET holder = ?, claim_until = ? WHERE key = ?")
                .bind(holder, millis_of(until), e.key)
                .run();
        tx.commit();
        return out;
    }

    std::int64_t prune_inbound(sys_seconds before) override {
        std::lock_guard lock(mutex_);
        prepare("DELETE FROM inbox WHERE done_at IS NOT NULL AND received_at < ?").bind(before).run();
        return sqlite3_changes(db());
    }

    bool remove_freeze_window(std::int64_t id, const std::string& removed_by, sys_seconds now) override {
        require_non_empty(removed_by, "freeze window remover");
        std::lock_guard lock(mutex_);
        prepare("UPDATE freeze_windows SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL")
            .bind(removed_by, now, id)
            .run();
        return sqlite3_changes(db()) == 1;
    }

    std::vector<stored_freeze_window> freeze_windows() const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, start_utc, end_utc, reason, created_by, created_at FROM freeze_windows "
                         "WHERE removed_at IS NULL ORDER BY start_utc, id");
        std::vector<stored_freeze_window> out;
        while (q.step()) out.push_back(read_freeze_window(q));
        return out;
    }

    std::optional<stored_freeze_window> freeze_window(std::int64_t id) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, start_utc, end_utc, reason, created_by, created_at FROM freeze_windows "
                         "WHERE id = ? AND removed_at IS NULL");
        q.bind(id);
        if (!q.step()) return std::nullopt;
        return read_freeze_window(q);
    }

    // ---- outbox ----

    std::int64_t enqueue_outbox(const outbox_message& m, sys_seconds now) override {
        const std::string body = commands::to_json(m.body).dump(-1, ' ', false, json::error_handler_t::replace);
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        prepare("INSERT INTO outbox (message_key, kind, channel, user_id, response_url, in_channel, body, created_at, "
                "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(m.message_key, std::string{word_of(outbox_kinds, m.kind)}, m.channel, m.user, m.response_url,
                  m.in_channel ? 1 : 0, body, now,
                  std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count())
            .run();
        const std::int64_t id = sqlite3_last_insert_rowid(db());
        if (m.message_key.empty())
            prepare("UPDATE outbox SET message_key = ? WHERE id = ?").bind("outbox:" + std::to_string(id), id).run();
        tx.commit();
        return id;
    }

    std::vector<outbox_row> due_outbox(sys_millis now, int limit) const override {
        std::lock_guard lock(mutex_);
        write_transaction tx(db(), "BEGIN");
        // The first pending row of each key, when it is due.
        auto q = prepare(
            "SELECT o.id, o.message_key, o.kind, o.channel, o.user_id, o.response_url, o.in_channel, o.body, "
            "o.created_at, o.attempts, o.in_doubt FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.message_key = o.message_key AND p.state = 'pending' "
            "AND p.id < o.id) ORDER BY o.id LIMIT ?");
        q.bind(now.time_since_epoch().count(), limit);
        std::vector<outbox_row> out;
        while (q.step()) out.push_back(read_outbox_row(q));
        for (auto& row : out) {
            if (row.message.kind != outbox_kind::update && row.message.kind != outbox_kind::reply) continue;
            {
                auto post = prepare("SELECT ts FROM outbox WHERE message_key = ? AND kind = 'post' AND "
                                    "state = 'delivered' AND ts IS NOT NULL ORDER BY id LIMIT 1");
                post.bind(row.message.message_key);
                if (post.step()) row.post_ts = post.text(0);
            }
            if (row.message.kind == outbox_kind::reply) continue;
            // The newest pending update of the key replaces the older ones.
            auto newest = prepare("SELECT id, body FROM outbox WHERE message_key = ? AND kind = 'update' AND "
                                  "state = 'pending' AND id > ? ORDER BY id DESC LIMIT 1");
            newest.bind(row.message.message_key, row.id);
            if (newest.step()) {
                row.covers_up_to = newest.integer(0);
                if (auto body = commands::message_from_json(json::parse(newest.text(1), nullptr, false)))
                    row.message.body = std::move(*body);
            } else {
                row.covers_up_to = row.id;
            }
        }
        tx.commit();
        return out;
    }

    std::optional<sys_millis> next_outbox_due() const override {
        std::lock_guard lock(mutex_);
        // Only the first pending row of a key can be due: a newer update behind a row that waits
        // (a Retry-After) is not, and must not wake the dispatcher before that row.
        auto q = prepare("SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.state = 'pending' AND NOT EXISTS "
                         "(SELECT 1 FROM outbox p WHERE p.message_key = o.message_key AND p.state = 'pending' "
                         "AND p.id < o.id)");
        if (!q.step() || q.is_null(0)) return std::nullopt;
        return sys_millis{std::chrono::milliseconds{q.integer(0)}};
    }

    bool outbox_attempt(std::int64_t id, bool in_doubt, sys_millis now, sys_millis claim_until,
                        const std::string& holder) override {
        std::lock_guard lock(mutex_);
        prepare("UPDATE outbox SET attempts = attempts + 1, in_doubt = MAX(in_doubt, ?), next_attempt_at = ?, "
                "claimed_by = ? WHERE id = ? AND state = 'pending' AND next_attempt_at <= ?")
            .bind(in_doubt ? 1 : 0, millis_of(claim_until), holder, id, millis_of(now))
            .run();
        return sqlite3_changes(db()) == 1;
    }

    std::int64_t release_outbox_claims(const std::string& earlier_runs, const std::string& holder,
                                       sys_millis now) override {
        if (earlier_runs.empty()) return 0;
        std::lock_guard lock(mutex_);
        prepare("UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ? AND "
                "substr(claimed_by, 1, length(?)) = ? AND claimed_by <> ?")
            .bind(millis_of(now), millis_of(now), earlier_runs, earlier_runs, holder)
            .run();
        return sqlite3_changes(db());
    }

    void outbox_delivered(std::int64_t id, const std::string& ts, sys_seconds now) override {
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        std::string key;
        std::string kind;
        {
            auto q = prepare("SELECT message_key, kind FROM outbox WHERE id = ? AND state = 'pending'");
            q.bind(id);
            if (!q.step()) throw std::invalid_argument("no pending outbox row " + std::to_string(id));
            key = q.text(0);
            kind = q.text(1);
        }
        if (kind == "update") {
            // The update that went out stood for every older pending update of its key.
            prepare("UPDATE outbox SET state = 'delivered', in_doubt = 0, finished_at = ? WHERE message_key = ? AND "
                    "kind = 'update' AND state = 'pending' AND id <= ?")
                .bind(now, key, id)
                .run();
        }
        prepare("UPDATE outbox SET state = 'delivered', in_doubt = 0, ts = ?, finished_at = ? WHERE id = ?")
            .bind(ts.empty() ? std::optional<std::string>{} : std::optional<std::string>{ts}, now, id)
            .run();
        tx.commit();
    }

    void outbox_retry(std::int64_t id, sys_millis next_attempt, const std::string& error, bool in_doubt) override {
        std::lock_guard lock(mutex_);
        prepare("UPDATE outbox SET next_attempt_at = ?, last_error = ?, in_doubt = ? WHERE id = ? AND "
                "state = 'pending'")
            .bind(next_attempt.time_since_epoch().count(), bounded(error), in_doubt ? 1 : 0, id)
            .run();
        require_outbox_change(id);
    }

    void outbox_failed(std::int64_t id, const std::string& error, sys_seconds now) override {
        std::lock_guard lock(mutex_);
        prepare("UPDATE outbox SET state = 'failed', last_error = ?, finished_at = ? WHERE id = ? AND "
                "state = 'pending'")
            .bind(bounded(error), now, id)
            .run();
        require_outbox_change(id);
    }

    std::optional<outbox_state> outbox_state_of(std::int64_t id) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT state FROM outbox WHERE id = ?");
        q.bind(id);
        if (!q.step()) return std::nullopt;
        auto state = enum_of(outbox_states, q.text(0));
        if (!state) throw std::runtime_error("store: outbox row " + std::to_string(id) + " has unknown state");
        return state;
    }

    std::int64_t outbox_pending() const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
        q.step();
        return q.integer(0);
    }

    std::optional<sys_seconds> last_outbox_written(const std::string& prefix) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT MAX(created_at) FROM outbox WHERE substr(message_key, 1, length(?)) = ?");
        q.bind(prefix, prefix);
        if (!q.step() || q.is_null(0)) return std::nullopt;
        return from_unix(q.integer(0));
    }

    // ---- promotions ----

    std::int64_t insert_promotion(const stored_promotion& p, sys_seconds now) override {
        require_non_empty(p.version, "promotion version");
        return insert_document(promotions_table, p.environment, p.version, p.state, p.requested_by, p.source_key,
                               object_detail(p.doc, "promotion doc").dump(), now);
    }

    std::optional<stored_promotion> promotion(std::int64_t id) const override {
        return one_document<stored_promotion, &stored_promotion::version>(promotions_table, "id", id);
    }

    std::optional<stored_promotion> promotion_from_source(const std::string& source_key) const override {
        if (source_key.empty()) return std::nullopt;
        return one_document<stored_promotion, &stored_promotion::version>(promotions_table, "source_key", source_key);
    }

    bool save_promotion(const stored_promotion& p, std::int64_t expected_version, sys_seconds now) override {
        require_non_empty(p.version, "promotion version");
        require_non_empty(p.state, "promotion state");
        const std::string doc = object_detail(p.doc, "promotion doc").dump();
        std::lock_guard lock(mutex_);
        prepare("UPDATE promotions SET state = ?, version = ?, doc = ?, row_version = row_version + 1, "
                "updated_at = ? WHERE id = ? AND row_version = ?")
            .bind(p.state, p.version, doc, now, p.id, expected_version)
            .run();
        return sqlite3_changes(db()) == 1;
    }

    std::vector<stored_promotion> promotions_in_states(const std::vector<std::string>& states) const override {
        return documents_in_states<stored_promotion, &stored_promotion::version>(promotions_table, states);
    }

    std::vector<stored_promotion> recent_promotions(int limit) const override {
        if (limit <= 0) return {};
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, environment, version, state, requested_by, source_key, row_version, doc, "
                         "created_at, updated_at FROM promotions ORDER BY id DESC LIMIT ?");
        q.bind(limit);
        std::vector<stored_promotion> out;
        while (q.step()) out.push_back(read_document<stored_promotion, &stored_promotion::version>(q, "promotion"));
        return out;
    }

    // ---- deploy locks ----

    bool acquire_deploy_lock(const std::string& environment, std::int64_t promotion_id, const std::string& holder,
                             sys_seconds now) override {
        require_non_empty(environment, "deploy lock environment");
        require_non_empty(holder, "deploy lock holder");
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        // A lock already held (by anyone) keeps its holder and the time it was taken.
        prepare("INSERT INTO deploy_locks (environment, promotion_id, holder, acquired_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (environment) DO NOTHING")
            .bind(environment, promotion_id, holder, now)
            .run();
        bool ours = false;
        {
            auto q = prepare("SELECT promotion_id FROM deploy_locks WHERE environment = ?");
            q.bind(environment);
            ours = q.step() && q.integer(0) == promotion_id;
        }
        tx.commit();
        return ours;
    }

    void release_deploy_lock(const std::string& environment, std::int64_t promotion_id) override {
        std::lock_guard lock(mutex_);
        prepare("DELETE FROM deploy_locks WHERE environment = ? AND promotion_id = ?")
            .bind(environment, promotion_id)
            .run();
    }

    std::optional<deploy_lock> deploy_lock_of(const std::string& environment) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT environment, promotion_id, holder, acquired_at FROM deploy_locks "
                         "WHERE environment = ?");
        q.bind(environment);
        if (!q.step()) return std::nullopt;
        return deploy_lock{q.text(0), q.integer(1), q.text(2), from_unix(q.integer(3))};
    }

    std::vector<deploy_lock> deploy_locks() const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT environment, promotion_id, holder, acquired_at FROM deploy_locks "
                         "ORDER BY environment");
        std::vector<deploy_lock> out;
        while (q.step()) out.push_back({q.text(0), q.integer(1), q.text(2), from_unix(q.integer(3))});
        return out;
    }

    // ---- rollbacks ----

    std::int64_t insert_rollback(const stored_rollback& r, sys_seconds now) override {
        require_non_empty(r.kind, "rollback kind");
        return insert_document(rollbacks_table, r.environment, r.kind, r.state, r.requested_by, r.source_key,
                               rollback_doc(r.doc), now);
    }

    std::optional<stored_rollback> rollback(std::int64_t id) const override {
        return one_document<stored_rollback, &stored_rollback::kind>(rollbacks_table, "id", id);
    }

    // The environment, kind, requester and source stay as inserted.
    bool save_rollback(const stored_rollback& r, std::int64_t expected_version, sys_seconds now) override {
        require_non_empty(r.state, "rollback state");
        const std::string doc = rollback_doc(r.doc);
        std::lock_guard lock(mutex_);
        prepare("UPDATE rollbacks SET state = ?, doc = ?, row_version = row_version + 1, updated_at = ? "
                "WHERE id = ? AND row_version = ?")
            .bind(r.state, doc, now, r.id, expected_version)
            .run();
        return sqlite3_changes(db()) == 1;
    }

    std::vector<stored_rollback> rollbacks_in_states(const std::vector<std::string>& states) const override {
        return documents_in_states<stored_rollback, &stored_rollback::kind>(rollbacks_table, states);
    }

    // ---- metrics ----

    // ---- leases ----

    void hold_lease(const std::string& name, const std::string& holder, sys_millis until) override {
        require_non_empty(name, "lease name");
        require_non_empty(holder, "lease holder");
        std::lock_guard lock(mutex_);
        prepare("INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until")
            .bind(name, holder, millis_of(until))
            .run();
    }

    bool take_lease(const std::string& name, const std::string& holder, const std::string& earlier_runs,
                    sys_millis now, sys_millis until) override {
        require_non_empty(name, "lease name");
        require_non_empty(holder, "lease holder");
        std::lock_guard lock(mutex_);
        prepare("INSERT INTO leases (name, holder, until) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until "
                "WHERE leases.until <= ? OR (? <> '' AND substr(leases.holder, 1, length(?)) = ? AND "
                "leases.holder <> excluded.holder)")
            .bind(name, holder, millis_of(until), millis_of(now), earlier_runs, earlier_runs, earlier_runs)
            .run();
        return sqlite3_changes(db()) == 1;
    }

    std::vector<std::string> renew_leases(const std::string& holder, sys_millis until) override {
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        prepare("UPDATE leases SET until = ? WHERE holder = ?").bind(millis_of(until), holder).run();
        auto q = prepare("SELECT name FROM leases WHERE holder = ? ORDER BY name");
        q.bind(holder);
        std::vector<std::string> out;
        while (q.step()) out.push_back(q.text(0));
        tx.commit();
        return out;
    }

    void release_lease(const std::string& name) override {
        std::lock_guard lock(mutex_);
        prepare("DELETE FROM leases WHERE name = ?").bind(name).run();
    }

    std::optional<work_lease> lease(const std::string& name) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT name, holder, until FROM leases WHERE name = ?");
        q.bind(name);
        if (!q.step()) return std::nullopt;
        return work_lease{q.text(0), q.text(1), sys_millis{std::chrono::milliseconds{q.integer(2)}}};
    }

    outbox_summary outbox_summary_now() const override {
        std::lock_guard lock(mutex_);
        // Both answered from the partial index of pending rows.
        auto q = prepare("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'");
        q.step();
        outbox_summary out;
        out.pending = q.integer(0);
        if (!q.is_null(1)) out.oldest_pending = from_unix(q.integer(1));
        return out;
    }

    std::vector<grouped_count> deployment_counts() const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT environment, result, COUNT(*) FROM deployments GROUP BY environment, result "
                         "ORDER BY environment, result");
        std::vector<grouped_count> out;
        while (q.step()) out.push_back({q.text(0), q.text(1), q.integer(2)});
        return out;
    }

    std::vector<grouped_count> gate_answer_counts(std::int64_t after_seq, std::int64_t limit,
                                                  std::int64_t& last_seq) const override {
        std::lock_guard lock(mutex_);
        last_seq = after_seq;
        if (limit <= 0) return {};
        {
            auto q = prepare("SELECT MAX(seq) FROM (SELECT seq FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?)");
            q.bind(after_seq, limit);
            if (!q.step() || q.is_null(0)) return {};
            last_seq = q.integer(0);
        }
        // A detail that is not JSON (never written so, but the file is not ours alone) counts with no gate.
        auto q = prepare(
            "SELECT substr(CASE WHEN json_valid(detail) THEN coalesce(json_extract(detail, '$.gate'), '') "
            "ELSE '' END, 1, 64) AS gate, substr(outcome, 1, 64), COUNT(*) FROM audit_log "
            "WHERE seq > ? AND seq <= ? AND action = 'promotion.gate' GROUP BY 1, 2 ORDER BY 1, 2");
        q.bind(after_seq, last_seq);
        std::vector<grouped_count> out;
        while (q.step()) out.push_back({q.text(0), q.text(1), q.integer(2)});
        return out;
    }

    // ---- versions rolled back from ----

    void mark_bad_version(const bad_version& b) override {
        require_non_empty(b.environment, "bad version environment");
        require_non_empty(b.version, "bad version");
        require_non_empty(b.marked_by, "bad version marker");
        std::lock_guard lock(mutex_);
        prepare("INSERT INTO bad_versions (environment, version, marked_by, rollback_id, marked_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (environment, version) DO NOTHING")
            .bind(b.environment, b.version, b.marked_by, b.rollback_id, b.marked_at)
            .run();
    }

    std::optional<bad_version> bad_version_of(const std::string& environment,
                                              const std::string& version) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT environment, version, marked_by, rollback_id, marked_at FROM bad_versions "
                         "WHERE environment = ? AND version = ?");
        q.bind(environment, version);
        if (!q.step()) return std::nullopt;
        return read_bad_version(q);
    }

    // Newest first; marks of one second by insertion, newest first too.
    std::vector<bad_version> bad_versions(const std::string& environment) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT environment, version, marked_by, rollback_id, marked_at FROM bad_versions "
                         "WHERE environment = ? ORDER BY marked_at DESC, rowid DESC");
        q.bind(environment);
        std::vector<bad_version> out;
        while (q.step()) out.push_back(read_bad_version(q));
        return out;
    }

    // ---- deployment records ----

    std::int64_t start_deployment(const deployment_record& d) override {
        require_non_empty(d.environment, "deployment environment");
        require_non_empty(d.version, "deployment version");
        require_non_empty(d.option, "deployment option");
        require_non_empty(d.requested_by, "deployment requester");
        require_deployment_result(d.result);
        const std::string approved_by = json_text(json(d.approved_by));
        const std::string change_records = json_text(json(d.change_records));
        const std::string gates = json_text(d.gates.is_null() ? json::array() : d.gates);
        const std::string detail = object_detail(d.detail, "deployment detail").dump();
        std::lock_guard lock(mutex_);
        prepare("INSERT INTO deployments (promotion_id, environment, version, image_digest, option, requested_by, "
                "approved_by, change_records, gates, started_at, ended_at, result, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(d.promotion_id, d.environment, d.version, d.image_digest, d.option, d.requested_by, approved_by,
                  change_records, gates, d.started_at,
                  d.ended_at ? std::optional<std::int64_t>{to_unix(*d.ended_at)} : std::nullopt, d.result, detail)
            .run();
        return sqlite3_last_insert_rowid(db());
    }

    // Only a running deployment is finished: a finished record is what the
    // runbook keeps and is never rewritten. An empty digest keeps the one
    // recorded at the start.
    void finish_deployment(std::int64_t id, const std::string& result, const std::string& image_digest,
                           sys_seconds ended_at, const nlohmann::json& detail) override {
        require_deployment_result(result);
        if (result == "running") throw std::invalid_argument("a deployment cannot finish as running");
        const std::string detail_text = object_detail(detail, "deployment detail").dump();
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        prepare("UPDATE deployments SET result = ?, image_digest = CASE WHEN ? = '' THEN image_digest ELSE ? END, "
                "ended_at = ?, detail = ? WHERE id = ? AND result = 'running'")
            .bind(result, image_digest, image_digest, ended_at, detail_text, id)
            .run();
        if (sqlite3_changes(db()) != 1) {
            auto q = prepare("SELECT result FROM deployments WHERE id = ?");
            q.bind(id);
            if (!q.step()) throw std::invalid_argument("no deployment " + std::to_string(id));
            throw std::invalid_argument("deployment " + std::to_string(id) + " already finished (" + q.text(0) + ")");
        }
        tx.commit();
    }

    std::optional<deployment_record> deployment(std::int64_t id) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, promotion_id, environment, version, image_digest, option, requested_by, "
                         "approved_by, change_records, gates, started_at, ended_at, result, detail "
                         "FROM deployments WHERE id = ?");
        q.bind(id);
        if (!q.step()) return std::nullopt;
        return read_deployment(q);
    }

    // The newest, should a promotion have run its steps more than once.
    std::optional<deployment_record> deployment_of_promotion(std::int64_t promotion_id) const override {
        if (promotion_id == 0) return std::nullopt;
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, promotion_id, environment, version, image_digest, option, requested_by, "
                         "approved_by, change_records, gates, started_at, ended_at, result, detail "
                         "FROM deployments WHERE promotion_id = ? ORDER BY id DESC LIMIT 1");
        q.bind(promotion_id);
        if (!q.step()) return std::nullopt;
        return read_deployment(q);
    }

    std::vector<deployment_record> deployments(const std::string& environment, int limit) const override {
        if (limit <= 0) return {};
        std::lock_guard lock(mutex_);
        std::vector<deployment_record> out;
        if (environment.empty()) {
            auto q = prepare("SELECT id, promotion_id, environment, version, image_digest, option, requested_by, "
                             "approved_by, change_records, gates, started_at, ended_at, result, detail "
                             "FROM deployments ORDER BY id DESC LIMIT ?");
            q.bind(limit);
            while (q.step()) out.push_back(read_deployment(q));
        } else {
            auto q = prepare("SELECT id, promotion_id, environment, version, image_digest, option, requested_by, "
                             "approved_by, change_records, gates, started_at, ended_at, result, detail "
                             "FROM deployments WHERE environment = ? ORDER BY id DESC LIMIT ?");
            q.bind(environment, limit);
            while (q.step()) out.push_back(read_deployment(q));
        }
        return out;
    }

    // Newest by ID: the deploy lock runs one deployment per environment at a
    // time, so for one environment ID order is start order.
    std::optional<deployment_record> last_successful_deployment(const std::string& environment,
                                                                const std::string& version) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, promotion_id, environment, version, image_digest, option, requested_by, "
                         "approved_by, change_records, gates, started_at, ended_at, result, detail "
                         "FROM deployments WHERE environment = ? AND result = 'succeeded' AND (? = '' OR version = ?) "
                         "ORDER BY id DESC LIMIT 1");
        q.bind(environment, version, version);
        if (!q.step()) return std::nullopt;
        return read_deployment(q);
    }

    // ---- step output ----

    // See step_output_head_lines in the header for what is kept. Lines that
    // would be dropped at once are never written.
    void append_step_output(std::int64_t promotion_id, const std::vector<step_output_line>& lines,
                            sys_seconds now) override {
        for (const auto& line : lines) {
            if (line.step < 0) throw std::invalid_argument("a step output line needs a step >= 0");
            if (line.stream != "out" && line.stream != "err")
                throw std::invalid_argument("a step output line's stream is \"out\" or \"err\"");
        }
        if (lines.empty()) return;
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        std::int64_t last = 0;  // the newest line's seq so far; every seq up to it was handed out
        {
            auto q = prepare("SELECT COALESCE(MAX(seq), 0) FROM step_output WHERE promotion_id = ?");
            q.bind(promotion_id);
            q.step();
            last = q.integer(0);
        }
        const auto count = static_cast<std::int64_t>(lines.size());
        // Lines with seq in (head, cut_to] are not kept; the marker takes seq cut_to.
        const std::int64_t cut_to = last + count - step_output_tail_lines;
        for (std::int64_t i = 0; i < count; ++i) {
            const std::int64_t seq = last + 1 + i;
            if (seq > step_output_head_lines && seq <= cut_to) continue;
            const auto& line = lines[static_cast<std::size_t>(i)];
            prepare("INSERT INTO step_output (promotion_id, seq, step, stream, text, at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(promotion_id, seq, line.step, line.stream, bounded_output_line(line.text), now)
                .run();
        }
        if (cut_to > step_output_head_lines) {
            int marker_step = lines.front().step;
            if (cut_to > last) {
                marker_step = lines[static_cast<std::size_t>(cut_to - last - 1)].step;
            } else {
                auto q = prepare("SELECT step FROM step_output WHERE promotion_id = ? AND seq = ?");
                q.bind(promotion_id, cut_to);
                if (q.step()) marker_step = static_cast<int>(q.integer(0));
            }
            // Also removes the marker of an earlier cut, which sat below cut_to.
            prepare("DELETE FROM step_output WHERE promotion_id = ? AND seq > ? AND seq <= ?")
                .bind(promotion_id, step_output_head_lines, cut_to)
                .run();
            prepare("INSERT INTO step_output (promotion_id, seq, step, stream, text, at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(promotion_id, cut_to, marker_step, std::string{"err"},
                      storage::output_truncated_marker(cut_to - step_output_head_lines),
                      now)
                .run();
        }
        tx.commit();
    }

    std::vector<step_output_line> step_output(std::int64_t promotion_id, int step) const override {
        std::lock_guard lock(mutex_);
        std::vector<step_output_line> out;
        if (step < 0) {
            auto q = prepare("SELECT step, stream, text FROM step_output WHERE promotion_id = ? ORDER BY seq");
            q.bind(promotion_id);
            while (q.step()) out.push_back({static_cast<int>(q.integer(0)), q.text(1), q.text(2)});
        } else {
            auto q = prepare("SELECT step, stream, text FROM step_output WHERE promotion_id = ? AND step = ? "
                             "ORDER BY seq");
            q.bind(promotion_id, step);
            while (q.step()) out.push_back({static_cast<int>(q.integer(0)), q.text(1), q.text(2)});
        }
        return out;
    }

    // ---- units of work ----

    void transaction(const std::function<void(bot::store_session&)>& work) override {
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        work(*this);
        tx.commit();
    }

    void snapshot(const std::function<void(const bot::store_session&)>& work) const override {
        std::lock_guard lock(mutex_);
        write_transaction tx(db(), "BEGIN");
        work(*this);
        tx.commit();
    }

    audit_record append_audit(const audit_entry& given, sys_seconds now) override {
        const audit_entry e = bounded_audit_entry(given);
        audit_record r;
        r.at = now;
        r.entry.actor = valid_utf8(e.actor);
        r.entry.action = valid_utf8(e.action);
        r.entry.subject = valid_utf8(e.subject);
        r.entry.outcome = valid_utf8(e.outcome);
        r.entry.detail = object_detail(e.detail, "audit detail");
        require_non_empty(r.entry.actor, "audit actor");
        require_non_empty(r.entry.action, "audit action");
        require_non_empty(r.entry.outcome, "audit outcome");
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        {
            auto last = prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
            if (last.step()) {
                r.seq = last.integer(0) + 1;
                r.prev_hash = last.text(1);
            } else {
                r.seq = 1;
            }
        }
        seal_audit_record(r, audit_key_);
        prepare("INSERT INTO audit_log (seq, at, actor, action, subject, outcome, detail, prev_hash, hash, mac) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(r.seq, r.at, r.entry.actor, r.entry.action, r.entry.subject, r.entry.outcome,
                  r.entry.detail.dump(), r.prev_hash, r.hash, r.mac)
            .run();
        tx.commit();
        return r;
    }

    std::vector<audit_record> audit_since(sys_seconds since) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT seq, at, actor, action, subject, outcome, detail, prev_hash, hash, mac "
                         "FROM audit_log WHERE at >= ? ORDER BY seq");
        q.bind(since);
        std::vector<audit_record> out;
        while (q.step()) {
            audit_record r = read_audit_columns(q);
            r.entry.detail = parse_stored_json(q.text(6), "audit record " + std::to_string(r.seq) + " detail");
            out.push_back(std::move(r));
        }
        return out;
    }

    audit_verification verify_audit(const std::optional<audit_anchor>& anchor) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT seq, at, actor, action, subject, outcome, detail, prev_hash, hash, mac "
                         "FROM audit_log ORDER BY seq");
        commands::audit_chain_verifier verifier(audit_key_, anchor);
        while (q.step()) {
            audit_record r = read_audit_columns(q);
            r.entry.detail = json::parse(q.text(6), nullptr, false);  // discarded when it does not parse
            verifier.add(r);
        }
        return verifier.result();
    }

private:
    sqlite3* db() const { return db_.get(); }

    // Statements are prepared once per connection and reused.
    statement prepare(const char* sql) const {
        auto found = statements_.find(sql);
        if (found == statements_.end()) {
            sqlite3_stmt* raw = nullptr;
            const int rc = sqlite3_prepare_v3(db(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
            statement_handle handle(raw);
            if (rc != SQLITE_OK) throw_sqlite(db(), rc, std::string("preparing \"") + sql + "\"");
            found = statements_.emplace(sql, std::move(handle)).first;
        }
        return statement(db(), found->second.get());
    }

    // SQL built from a table's names (promotions, rollbacks): a handful of
    // texts, kept for the connection's life so the cache can key on them.
    statement prepare(const std::string& sql) const { return prepare(built_sql_.insert(sql).first->c_str()); }

    void require_outbox_change(std::int64_t id) const {
        if (sqlite3_changes(db()) != 1) throw std::invalid_argument("no pending outbox row " + std::to_string(id));
    }

    // Errors come from the network; what is kept of them is bounded.
    static std::string bounded(const std::string& error) { return storage::bounded_error(error); }

    static outbox_row read_outbox_row(const statement& q) {
        outbox_row r;
        r.id = q.integer(0);
        r.message.message_key = q.text(1);
        auto kind = enum_of(outbox_kinds, q.text(2));
        if (!kind) throw std::runtime_error("store: outbox row " + std::to_string(r.id) + " has unknown kind");
        r.message.kind = *kind;
        r.message.channel = q.text(3);
        r.message.user = q.text(4);
        r.message.response_url = q.text(5);
        r.message.in_channel = q.integer(6) != 0;
        auto body = commands::message_from_json(json::parse(q.text(7), nullptr, false));
        if (!body) throw std::runtime_error("store: outbox row " + std::to_string(r.id) + " holds no valid message");
        r.message.body = std::move(*body);
        r.created_at = from_unix(q.integer(8));
        r.attempts = static_cast<int>(q.integer(9));
        r.in_doubt = q.integer(10) != 0;
        return r;
    }

    static std::optional<std::string> optional_text(const std::string& s) {
        return s.empty() ? std::optional<std::string>{} : std::optional<std::string>{s};
    }

    // Promotions and rollbacks are stored alike: a few columns for queries and
    // the domain's JSON document, saved compare-and-set on row_version. Their
    // second column is the promotion's version or the rollback's kind.
    struct document_table {
        const char* table;         // "promotions"
        const char* label_column;  // "version"
        const char* noun;          // "promotion"
    };
    static constexpr document_table promotions_table{"promotions", "version", "promotion"};
    static constexpr document_table rollbacks_table{"rollbacks", "kind", "rollback"};

    static std::string document_columns(const document_table& t) {
        return std::string("id, environment, ") + t.label_column +
               ", state, requested_by, source_key, row_version, doc, created_at, updated_at";
    }

    template <class Stored, std::string Stored::*label>
    static Stored read_document(const statement& q, std::string_view noun) {
        Stored d;
        d.id = q.integer(0);
        d.environment = q.text(1);
        d.*label = q.text(2);
        d.state = q.text(3);
        d.requested_by = q.text(4);
        d.source_key = q.text(5);  // NULL reads as empty
        d.row_version = q.integer(6);
        d.doc = parse_stored_json(q.text(7), std::string(noun) + " " + std::to_string(d.id) + " doc");
        d.created_at = from_unix(q.integer(8));
        d.updated_at = from_unix(q.integer(9));
        return d;
    }

    // A used non-empty source key returns the existing row's ID and changes nothing.
    std::int64_t insert_document(const document_table& t, const std::string& environment, const std::string& label,
                                 const std::string& state, const std::string& requested_by,
                                 const std::string& source_key, const std::string& doc, sys_seconds now) {
        const std::string noun = t.noun;
        require_non_empty(environment, (noun + " environment").c_str());
        require_non_empty(state, (noun + " state").c_str());
        require_non_empty(requested_by, (noun + " requester").c_str());
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        // Only the source key can conflict: the ID is assigned here.
        prepare(std::string("INSERT INTO ") + t.table + " (environment, " + t.label_column +
                ", state, requested_by, source_key, row_version, doc, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(environment, label, state, requested_by, optional_text(source_key), doc, now, now)
            .run();
        std::int64_t id = sqlite3_last_insert_rowid(db());
        if (sqlite3_changes(db()) != 1) {
            auto q = prepare(std::string("SELECT id FROM ") + t.table + " WHERE source_key = ?");
            q.bind(source_key);
            if (!q.step()) throw std::logic_error("store: a " + noun + " insert changed nothing and has no source");
            id = q.integer(0);
        }
        tx.commit();
        return id;
    }

    template <class Stored, std::string Stored::*label, class Key>
    std::optional<Stored> one_document(const document_table& t, const char* key_column, const Key& key) const {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT " + document_columns(t) + " FROM " + t.table + " WHERE " + key_column + " = ?");
        q.bind(key);
        if (!q.step()) return std::nullopt;
        return read_document<Stored, label>(q, t.noun);
    }

    // Oldest first. One cached statement for any number of states: they travel as one JSON array.
    template <class Stored, std::string Stored::*label>
    std::vector<Stored> documents_in_states(const document_table& t, const std::vector<std::string>& states) const {
        if (states.empty()) return {};
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT " + document_columns(t) + " FROM " + t.table +
                         " WHERE state IN (SELECT value FROM json_each(?)) ORDER BY id");
        q.bind(json_text(json(states)));
        std::vector<Stored> out;
        while (q.step()) out.push_back(read_document<Stored, label>(q, t.noun));
        return out;
    }

    // The domain's rollback document is an object; anything else is a bug upstream, not something to store.
    static std::string rollback_doc(const json& doc) {
        if (!doc.is_object())
            throw std::invalid_argument(std::string("rollback doc must be a JSON object, not ") + doc.type_name());
        return object_detail(doc, "rollback doc").dump();
    }

    static bad_version read_bad_version(const statement& q) {
        return bad_version{q.text(0), q.text(1), q.text(2), q.integer(3), from_unix(q.integer(4))};
    }

    static deployment_record read_deployment(const statement& q) {
        deployment_record d;
        d.id = q.integer(0);
        const std::string where = "deployment " + std::to_string(d.id);
        d.promotion_id = q.integer(1);
        d.environment = q.text(2);
        d.version = q.text(3);
        d.image_digest = q.text(4);
        d.option = q.text(5);
        d.requested_by = q.text(6);
        d.approved_by = stored_strings(q.text(7), where + " approvals");
        d.change_records = stored_strings(q.text(8), where + " change records");
        d.gates = parse_stored_json(q.text(9), where + " gates");
        d.started_at = from_unix(q.integer(10));
        if (!q.is_null(11)) d.ended_at = from_unix(q.integer(11));
        d.result = q.text(12);
        d.detail = parse_stored_json(q.text(13), where + " detail");
        return d;
    }

    static stored_freeze_window read_freeze_window(const statement& q) {
        stored_freeze_window w;
        w.id = q.integer(0);
        w.start = from_unix(q.integer(1));
        w.end = from_unix(q.integer(2));
        w.reason = q.text(3);
        w.created_by = q.text(4);
        w.created_at = from_unix(q.integer(5));
        return w;
    }

    // Everything but the detail, which callers parse with their own error handling.
    static audit_record read_audit_columns(const statement& q) {
        audit_record r;
        r.seq = q.integer(0);
        r.at = from_unix(q.integer(1));
        r.entry.actor = q.text(2);
        r.entry.action = q.text(3);
        r.entry.subject = q.text(4);
        r.entry.outcome = q.text(5);
        r.prev_hash = q.text(7);
        r.hash = q.text(8);
        r.mac = q.text(9);
        return r;
    }

    int schema_version() {
        auto q = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        q.step();
        return static_cast<int>(q.integer(0));
    }

    void open(const std::string& path) {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        db_.reset(raw);  // the handle needs closing even when opening failed
        if (rc != SQLITE_OK) throw std::runtime_error(raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
        sqlite3_extended_result_codes(db(), 1);
        sqlite3_busy_timeout(db(), 5000);
        exec(db(), "PRAGMA foreign_keys = ON", "enabling foreign keys");
        {
            auto mode = prepare("PRAGMA journal_mode = WAL");
            const std::string got = mode.step() ? mode.text(0) : std::string();
            // In-memory databases cannot use WAL; any file must.
            if (got != "wal" && !(got == "memory" && (path.empty() || path == ":memory:")))
                throw std::runtime_error("it cannot use WAL journal mode (got \"" + got + "\")");
        }
        exec(db(), "PRAGMA synchronous = NORMAL", "setting synchronous mode");
    }

    // Read-only: no file is created, nothing is written, the journal mode
    // stays as the file has it.
    void open_read_only(const std::string& path) {
        if (path.empty() || path == ":memory:") throw std::runtime_error("a read-only store must be a file");
        open_with_flags(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
        // SQLite opens lazily: the first read is where a WAL-mode file in a
        // directory we cannot write fails (it cannot create the -shm index).
        const int rc = sqlite3_exec(db(), "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) return;
        const int primary = rc & 0xff;
        std::error_code ignored;
        const auto wal = std::filesystem::path(path + "-wal");
        const bool wal_holds_changes =
            std::filesystem::exists(wal, ignored) && std::filesystem::file_size(wal, ignored) > 0;
        if ((primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN) || wal_holds_changes)
            throw_sqlite(db(), rc, "reading the schema");
        // No -wal file with changes and nobody able to write beside it: the
        // file alone is the whole database, so read it as immutable.
        open_with_flags("file:" + uri_path(path) + "?immutable=1",
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI);
    }

    void open_with_flags(const std::string& name, int flags) {
        statements_.clear();
        db_.reset();
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
        db_.reset(raw);  // the handle needs closing even when opening failed
        if (rc != SQLITE_OK) throw std::runtime_error(raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
        sqlite3_extended_result_codes(db(), 1);
        sqlite3_busy_timeout(db(), 5000);
    }

    // A path as the path part of a file: URI (RFC 3986 unreserved characters and '/' kept).
    static std::string uri_path(const std::string& path) {
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string out;
        for (const unsigned char c : path) {
            if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
                out += static_cast<char>(c);
            } else {
                out += '%';
                out += hex[c >> 4];
                out += hex[c & 0xf];
            }
        }
        return out;
    }

    // A read-only command trusts only a promotebot store at exactly this
    // binary's schema: anything else would be read with the wrong queries.
    void check_schema_read_only(const std::string& path) {
        {
            auto q = prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
            q.step();
            if (q.integer(0) == 0)
                throw refused_read_only("\"" + path +
                                     "\" is not a promotebot store (it has no schema_migrations table); check the "
                                     "config's `store` key");
        }
        const int known = sqlite_schema_version_known();
        const int found = schema_version();
        refuse_newer_schema(found);
        if (found < known)
            throw refused_read_only("store \"" + path + "\" has schema version " + std::to_string(found) +
                                 ", older than this promotebot's " + std::to_string(known) +
                                 "; a read-only command does not migrate it: start promotebot on it (or on a "
                                 "copy) once");
    }

    // A file written by a newer promotebot is never read or changed by this one.
    static void refuse_newer_schema(int found) {
        const int known = sqlite_schema_version_known();
        if (found > known)
            throw schema_too_new("store schema version " + std::to_string(found) +
                                 " is newer than this promotebot knows (" + std::to_string(known) +
                                 "); upgrade promotebot");
    }

    void migrate() {
        exec(db(),
             "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
             "creating the schema_migrations table");
        refuse_newer_schema(schema_version());
        for (const auto& m : migrations) {
            write_transaction tx(db());
            // Re-read under the write lock: another process may have migrated meanwhile.
            if (schema_version() >= m.version) continue;
            exec(db(), m.sql, "applying schema migration " + std::to_string(m.version));
            const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
            prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
                .bind(m.version, sys_seconds{now})
                .run();
            tx.commit();
        }
    }

public:
    std::vector<std::string> audit_protection_problems() const override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> problems;
        const auto sql_of = [&](const char* type, const char* name) -> std::optional<std::string> {
            auto q = prepare("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?");
            q.bind(std::string{type}, std::string{name});
            if (!q.step()) return std::nullopt;
            std::string text = q.text(0);
            // Compared without case or spacing: only what the statement does matters.
            std::string squeezed;
            for (const unsigned char c : text)
                if (!std::isspace(c)) squeezed += static_cast<char>(std::toupper(c));
            return squeezed;
        };
        if (!sql_of("table", "audit_log")) {
            problems.push_back("the audit table audit_log is missing");
            return problems;
        }
        for (const auto& [name, guarded] : {std::pair{"audit_log_no_update", "BEFOREUPDATEONAUDIT_LOG"},
                                            std::pair{"audit_log_no_delete", "BEFOREDELETEONAUDIT_LOG"}}) {
            const auto sql = sql_of("trigger", name);
            if (!sql)
                problems.push_back(std::string{"the append-only trigger "} + name + " on audit_log is missing");
            else if (sql->find(guarded) == std::string::npos || sql->find("RAISE(ABORT") == std::string::npos)
                problems.push_back(std::string{"the append-only trigger "} + name +
                                   " on audit_log no longer refuses changes");
        }
        return problems;
    }

    void set_busy_timeout(std::chrono::milliseconds timeout) override {
        std::lock_guard lock(mutex_);
        sqlite3_busy_timeout(db(), static_cast<int>(timeout.count()));
    }

private:
    std::optional<audit_key> audit_key_;  // keys new records' hashes and checks keyed ones
    db_handle db_;
    mutable std::recursive_mutex mutex_;  // one connection; every call holds it for its whole transaction
    mutable std::unordered_map<std::string_view, statement_handle> statements_;
    mutable std::set<std::string> built_sql_;
};

}  // namespace

int sqlite_schema_version_known() { return migrations.back().version; }

std::unique_ptr<sqlite_store> open_sqlite_store_for_bot(const std::string& path, std::optional<audit_key> key) {
    auto store = open_sqlite_store(path, std::move(key));
    const auto problems = store->audit_protection_problems();
    if (problems.empty()) return store;
    std::string message = "refusing to run on store \"" + path + "\": its audit log is not protected: ";
    for (std::size_t i = 0; i < problems.size(); ++i) message += (i == 0 ? "" : "; ") + problems[i];
    message += ". Someone changed the database outside promotebot; restore it from a backup and check it with "
               "`promotebot audit verify`";
    throw std::runtime_error(message);
}


std::unique_ptr<sqlite_store> open_sqlite_store(const std::string& path, std::optional<audit_key> key,
                                                open_mode mode) {
    return std::make_unique<sqlite_store_impl>(path, std::move(key), mode);
}

std::unique_ptr<bot::store> threaded_store(sqlite_store& db) { return storage::threaded_store(db); }

}  // namespace promotebot::sqlite
