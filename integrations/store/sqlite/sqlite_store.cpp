#include "integrations/store/sqlite/sqlite_store.hpp"
#include "commands/audit/audit_chain.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

namespace promotebot::bot {

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
};

constexpr std::array<std::string_view, 4> deployment_results{"succeeded", "failed", "interrupted", "running"};

std::int64_t to_unix(sys_seconds t) { return t.time_since_epoch().count(); }
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
class write_transaction {
public:
    explicit write_transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE", "starting a transaction"); }
    write_transaction(const write_transaction&) = delete;
    write_transaction& operator=(const write_transaction&) = delete;
    ~write_transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        exec(db_, "COMMIT", "committing a transaction");
        done_ = true;
    }

private:
    sqlite3* db_;
    bool done_ = false;
};

// Strings stored in the audit log must be valid UTF-8 so that hashing and
// exporting them never fails later; invalid bytes become U+FFFD up front.
std::string valid_utf8(const std::string& s) {
    return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

json valid_utf8(const json& j) {
    return json::parse(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

json object_detail(const json& detail, const char* what) {
    if (detail.is_null()) return json::object();
    if (!detail.is_object())
        throw std::invalid_argument(std::string(what) + " must be a JSON object, not " + detail.type_name());
    return valid_utf8(detail);
}

void require_non_empty(const std::string& value, const char* what) {
    if (value.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
}

json parse_stored_json(const std::string& text, const std::string& where) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("store: " + where + " holds invalid JSON");
    return j;
}

class sqlite_store final : public store {
public:
    sqlite_store(const std::string& path, std::optional<audit_key> key) : audit_key_(std::move(key)) {
        try {
            open(path);
            migrate();
        } catch (const schema_too_new&) {
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
        prepare("INSERT OR IGNORE INTO inbox (key, type, payload, received_at) VALUES (?, ?, ?, ?)")
            .bind(e.key, e.type, e.payload.dump(-1, ' ', false, json::error_handler_t::replace), e.received_at)
            .run();
        return sqlite3_changes(db()) == 1;
    }

    void mark_inbound_done(const std::string& key, sys_seconds now) override {
        std::lock_guard lock(mutex_);
        prepare("UPDATE inbox SET done_at = ? WHERE key = ? AND done_at IS NULL").bind(now, key).run();
    }

    std::vector<inbox_entry> unfinished_inbound() const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT key, type, payload, received_at FROM inbox WHERE done_at IS NULL "
                         "ORDER BY received_at, rowid");
        std::vector<inbox_entry> out;
        while (q.step()) {
            auto payload = json::parse(q.text(2), nullptr, false);
            out.push_back({q.text(0), q.text(1), payload.is_discarded() ? json::object() : payload,
                           from_unix(q.integer(3))});
        }
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

    std::int64_t create_request(const promotion_row& r, sys_seconds now) override {
        require_non_empty(r.version, "request version");
        require_non_empty(r.target, "request target");
        require_non_empty(r.requester, "requester");
        require_non_empty(r.state, "request state");
        const std::string detail = object_detail(r.detail, "request detail").dump();
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        prepare("INSERT INTO promotion_requests "
                "(version, target, requester, state, row_version, detail, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, ?)")
            .bind(r.version, r.target, r.requester, r.state, detail, now, now)
            .run();
        const std::int64_t id = sqlite3_last_insert_rowid(db());
        // The history starts with the state the request was created in.
        prepare("INSERT INTO request_transitions (request_id, from_state, to_state, actor, detail, at) "
                "VALUES (?, NULL, ?, ?, '{}', ?)")
            .bind(id, r.state, r.requester, now)
            .run();
        tx.commit();
        return id;
    }

    std::optional<promotion_row> request(std::int64_t id) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, version, target, requester, state, row_version, detail, created_at, updated_at "
                         "FROM promotion_requests WHERE id = ?");
        q.bind(id);
        if (!q.step()) return std::nullopt;
        return read_request(q);
    }

    bool transition_request(std::int64_t id, std::int64_t expected_version, const std::string& to,
                            const std::string& actor, const nlohmann::json& detail, sys_seconds now) override {
        require_non_empty(to, "target state");
        require_non_empty(actor, "transition actor");
        const std::string detail_text = object_detail(detail, "transition detail").dump();
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        std::string from;
        {
            auto q = prepare("SELECT state FROM promotion_requests WHERE id = ? AND row_version = ?");
            q.bind(id, expected_version);
            if (!q.step()) return false;  // unknown request or stale version: roll back, change nothing
            from = q.text(0);
        }
        prepare("UPDATE promotion_requests SET state = ?, row_version = row_version + 1, updated_at = ? "
                "WHERE id = ? AND row_version = ?")
            .bind(to, now, id, expected_version)
            .run();
        if (sqlite3_changes(db()) != 1) return false;
        prepare("INSERT INTO request_transitions (request_id, from_state, to_state, actor, detail, at) "
                "VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id, from, to, actor, detail_text, now)
            .run();
        tx.commit();
        return true;
    }

    std::vector<promotion_row> requests_in_states(const std::vector<std::string>& states) const override {
        std::vector<std::string> wanted = states;
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        std::lock_guard lock(mutex_);
        std::vector<promotion_row> out;
        for (const auto& state : wanted) {
            auto q = prepare("SELECT id, version, target, requester, state, row_version, detail, created_at, "
                             "updated_at FROM promotion_requests WHERE state = ?");
            q.bind(state);
            while (q.step()) out.push_back(read_request(q));
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        return out;
    }

    void add_approval(std::int64_t request_id, const std::string& kind, const std::string& user,
                      sys_seconds now) override {
        require_non_empty(kind, "approval kind");
        require_non_empty(user, "approving user");
        std::lock_guard lock(mutex_);
        try {
            // Approving twice is not an error: the first approval stands.
            prepare("INSERT INTO approvals (request_id, kind, \"user\", at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (request_id, kind, \"user\") DO NOTHING")
                .bind(request_id, kind, user, now)
                .run();
        } catch (const constraint_violation& e) {
            if (e.extended_code == SQLITE_CONSTRAINT_FOREIGNKEY)
                throw std::invalid_argument("approval for unknown request " + std::to_string(request_id));
            throw;
        }
    }

    std::vector<std::pair<std::string, std::string>> approvals(std::int64_t request_id) const override {
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT kind, \"user\" FROM approvals WHERE request_id = ? ORDER BY at, rowid");
        q.bind(request_id);
        std::vector<std::pair<std::string, std::string>> out;
        while (q.step()) out.emplace_back(q.text(0), q.text(1));
        return out;
    }

    std::int64_t record_deployment(const deployment_row& d) override {
        require_non_empty(d.env, "deployment environment");
        require_non_empty(d.version, "deployment version");
        require_non_empty(d.who, "deployment actor");
        require_result(d.result);
        std::lock_guard lock(mutex_);
        try {
            prepare("INSERT INTO deployments (request_id, env, version, image, who, result, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(d.request_id, d.env, d.version, d.image, d.who, d.result, d.at)
                .run();
        } catch (const constraint_violation& e) {
            if (e.extended_code == SQLITE_CONSTRAINT_FOREIGNKEY)
                throw std::invalid_argument("deployment for unknown request " + std::to_string(*d.request_id));
            throw;
        }
        return sqlite3_last_insert_rowid(db());
    }

    void finish_deployment(std::int64_t id, const std::string& result) override {
        require_result(result);
        if (result == "running") throw std::invalid_argument("a deployment cannot finish as \"running\"");
        const auto finished_at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        std::lock_guard lock(mutex_);
        write_transaction tx(db());
        std::string current;
        {
            auto q = prepare("SELECT result FROM deployments WHERE id = ?");
            q.bind(id);
            if (!q.step()) throw std::invalid_argument("no deployment " + std::to_string(id));
            current = q.text(0);
        }
        // A finished deployment's result is history; it is never overwritten.
        if (current != "running")
            throw std::invalid_argument("deployment " + std::to_string(id) + " already finished as \"" + current +
                                        "\"");
        prepare("UPDATE deployments SET result = ?, finished_at = ? WHERE id = ?")
            .bind(result, sys_seconds{finished_at}, id)
            .run();
        tx.commit();
    }

    std::vector<deployment_row> deployments(const std::string& env, int limit) const override {
        if (limit <= 0) throw std::invalid_argument("deployment limit must be positive, got " + std::to_string(limit));
        std::lock_guard lock(mutex_);
        auto q = prepare("SELECT id, request_id, env, version, image, who, result, at FROM deployments "
                         "WHERE env = ? ORDER BY at DESC, id DESC LIMIT ?");
        q.bind(env, limit);
        std::vector<deployment_row> out;
        while (q.step()) {
            deployment_row d;
            d.id = q.integer(0);
            if (!q.is_null(1)) d.request_id = q.integer(1);
            d.env = q.text(2);
            d.version = q.text(3);
            d.image = q.text(4);
            d.who = q.text(5);
            d.result = q.text(6);
            d.at = from_unix(q.integer(7));
            out.push_back(std::move(d));
        }
        return out;
    }

    audit_record append_audit(const audit_entry& e, sys_seconds now) override {
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

    static void require_result(const std::string& result) {
        if (std::find(deployment_results.begin(), deployment_results.end(), result) == deployment_results.end())
            throw std::invalid_argument("deployment result \"" + result +
                                        "\" is not one of succeeded, failed, interrupted, running");
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

    static promotion_row read_request(const statement& q) {
        promotion_row r;
        r.id = q.integer(0);
        r.version = q.text(1);
        r.target = q.text(2);
        r.requester = q.text(3);
        r.state = q.text(4);
        r.row_version = q.integer(5);
        r.detail = parse_stored_json(q.text(6), "request " + std::to_string(r.id) + " detail");
        r.created_at = from_unix(q.integer(7));
        r.updated_at = from_unix(q.integer(8));
        return r;
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

    void migrate() {
        exec(db(),
             "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
             "creating the schema_migrations table");
        const int known = sqlite_schema_version_known();
        const int found = schema_version();
        if (found > known)
            throw schema_too_new("store schema version " + std::to_string(found) +
                                     " is newer than this promotebot knows (" + std::to_string(known) +
                                     "); upgrade promotebot");
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

    std::optional<audit_key> audit_key_;  // keys new records' hashes and checks keyed ones
    db_handle db_;
    mutable std::mutex mutex_;  // one connection; every call holds it for its whole transaction
    mutable std::unordered_map<std::string_view, statement_handle> statements_;
};

}  // namespace

int sqlite_schema_version_known() { return migrations.back().version; }

std::unique_ptr<store> open_sqlite_store(const std::string& path, std::optional<audit_key> key) {
    return std::make_unique<sqlite_store>(path, std::move(key));
}

}  // namespace promotebot::bot
