#pragma once
// What someone with write access to the database file (but not the audit key)
// can do to the audit log: open it directly, drop the append-only triggers,
// change records and recompute every plain SHA-256 hash after them.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "commands/audit/audit_chain.hpp"

namespace promotebot::testing {

class audit_tamperer {
public:
    explicit audit_tamperer(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
        exec("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete");
    }
    ~audit_tamperer() { sqlite3_close(db_); }
    audit_tamperer(const audit_tamperer&) = delete;
    audit_tamperer& operator=(const audit_tamperer&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        const std::string message = error ? error : "";
        sqlite3_free(error);
        if (rc != SQLITE_OK) throw std::runtime_error(message);
    }

    // Changes record `seq`'s outcome, then recomputes prev_hash and a plain
    // SHA-256 hash for it and every later record, so the chain links again.
    void rewrite_outcome_and_rehash(std::int64_t seq, const std::string& outcome) {
        exec("UPDATE audit_log SET outcome = '" + outcome + "' WHERE seq = " + std::to_string(seq));
        rehash_from(seq);
    }

    // Recomputes prev_hash and a plain SHA-256 hash from record `seq` on.
    void rehash_from(std::int64_t seq) {
        auto records = read();
        std::string prev;
        for (auto& r : records) {
            if (r.seq >= seq) {
                r.prev_hash = prev;
                r.hash = commands::audit_record_hash(r);
                exec("UPDATE audit_log SET prev_hash = '" + r.prev_hash + "', hash = '" + r.hash +
                     "', mac = 'sha256' WHERE seq = " + std::to_string(r.seq));
            }
            prev = r.hash;
        }
    }

private:
    std::vector<commands::audit_record> read() {
        std::vector<commands::audit_record> out;
        sqlite3_stmt* q = nullptr;
        sqlite3_prepare_v2(db_,
                           "SELECT seq, at, actor, action, subject, outcome, detail, prev_hash, hash FROM audit_log "
                           "ORDER BY seq",
                           -1, &q, nullptr);
        auto text = [q](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, i))); };
        while (sqlite3_step(q) == SQLITE_ROW) {
            commands::audit_record r;
            r.seq = sqlite3_column_int64(q, 0);
            r.at = commands::sys_seconds{std::chrono::seconds{sqlite3_column_int64(q, 1)}};
            r.entry = {text(2), text(3), text(4), text(5), nlohmann::json::parse(text(6))};
            r.prev_hash = text(7);
            r.hash = text(8);
            out.push_back(std::move(r));
        }
        sqlite3_finalize(q);
        return out;
    }

    sqlite3* db_ = nullptr;
};

}  // namespace promotebot::testing
