#pragma once
// The store backends the store contract tests run on: each test is a
// TEMPLATE_TEST_CASE over sqlite_backend and postgresql_backend, so each
// backend's run is its own ctest test (the PostgreSQL one skipped, outside CI,
// when PostgreSQL is not installed). A backend object is one store location:
// open() connects to it again and again (a "restart"), integer() and exec()
// look under the store as an operator with a SQL shell would.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "commands/audit/audit_record.hpp"
#include "integrations/store/common/synchronous_store.hpp"
#include "integrations/store/postgresql/postgresql_store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/postgresql_server.hpp"
#include "tests/support/raw_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace promotebot::testing {

// A store file in a fresh directory.
struct sqlite_backend {
    static constexpr bool keeps_nul = true;  // text may hold NUL bytes
    temp_dir dir;
    [[nodiscard]] std::unique_ptr<storage::synchronous_store> open(
        std::optional<commands::audit_key> key = std::nullopt) const {
        return sqlite::open_sqlite_store(dir.file(), std::move(key));
    }
    std::int64_t integer(const std::string& sql) const { return raw_db(dir.file()).integer(sql); }
    void exec(const std::string& sql) const { raw_db(dir.file()).exec(sql); }
    std::vector<std::string> rows(const std::string& sql) const { return raw_db(dir.file()).rows(sql); }
};

// A fresh database on the test binary's PostgreSQL server, dropped at the end.
struct postgresql_backend {
    static constexpr bool keeps_nul = false;  // NUL is stored as U+FFFD
    std::string connection = postgresql_server::instance().create_database();
    postgresql_backend() = default;
    postgresql_backend(const postgresql_backend&) = delete;
    postgresql_backend& operator=(const postgresql_backend&) = delete;
    ~postgresql_backend() { postgresql_server::instance().drop_database(connection); }

    [[nodiscard]] std::unique_ptr<postgresql::postgresql_store> open(
        std::optional<commands::audit_key> key = std::nullopt) const {
        return postgresql::open_postgresql_store(connection, std::move(key));
    }
    // The first column of the first row as a number (0 for NULL or no row).
    std::int64_t integer(const std::string& sql) const {
        const std::string text = first_value(sql);
        return text.empty() ? 0 : std::stoll(text);
    }
    // Throws the server's message (its primary text) when the statement fails.
    void exec(const std::string& sql) const { first_value(sql); }
    // Every row, its columns joined by '|' (NULL shown as "NULL").
    std::vector<std::string> rows(const std::string& sql) const {
        std::vector<std::string> out;
        run(sql, [&](PGresult* r) {
            for (int i = 0; i < PQntuples(r); ++i) {
                std::string row;
                for (int c = 0; c < PQnfields(r); ++c) {
                    if (c) row += '|';
                    row += PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c);
                }
                out.push_back(row);
            }
        });
        return out;
    }

private:
    std::string first_value(const std::string& sql) const {
        std::string out;
        run(sql, [&](PGresult* r) {
            if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0)) out = PQgetvalue(r, 0, 0);
        });
        return out;
    }

    template <typename F>
    void run(const std::string& sql, F&& read) const {
        std::unique_ptr<PGconn, void (*)(PGconn*)> c(PQconnectdb(connection.c_str()), PQfinish);
        if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c.get()));
        std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c.get(), sql.c_str()), PQclear);
        const auto status = PQresultStatus(r.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            const char* primary = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY);
            throw std::runtime_error(primary ? primary : PQerrorMessage(c.get()));
        }
        if (status == PGRES_TUPLES_OK) read(r.get());
    }
};

}  // namespace promotebot::testing
