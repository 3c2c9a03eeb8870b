#pragma once
// Direct access to a store file, as an operator with the sqlite3 shell would
// have: for tests that look under the store or change its file behind its back.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <sqlite3.h>

namespace promotebot::testing {

struct raw_db {
    sqlite3* db = nullptr;
    explicit raw_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
            sqlite3_close(db);
            throw std::runtime_error("cannot open " + path);
        }
    }
    ~raw_db() { sqlite3_close(db); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "unknown error";
            sqlite3_free(error);
            throw std::runtime_error(message);
        }
    }
    // The first column of the first row; empty when there is none or it is NULL.
    std::string text(const std::string& sql) {
        sqlite3_stmt* s = prepare(sql);
        std::string out;
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        return out;
    }
    std::int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }
    // Every row, its columns joined by '|' (NULL shown as "NULL").
    std::vector<std::string> rows(const std::string& sql) {
        sqlite3_stmt* s = prepare(sql);
        std::vector<std::string> out;
        while (sqlite3_step(s) == SQLITE_ROW) {
            std::string row;
            for (int c = 0; c < sqlite3_column_count(s); ++c) {
                if (c) row += '|';
                const auto* t = sqlite3_column_text(s, c);
                row += t ? reinterpret_cast<const char*>(t) : "NULL";
            }
            out.push_back(row);
        }
        sqlite3_finalize(s);
        return out;
    }

private:
    sqlite3_stmt* prepare(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
            std::string message = sqlite3_errmsg(db);
            sqlite3_finalize(s);
            throw std::runtime_error("cannot prepare \"" + sql + "\": " + message);
        }
        return s;
    }
};

}  // namespace promotebot::testing
