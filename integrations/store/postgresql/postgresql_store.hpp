#pragma once
// The PostgreSQL store: every repository of bot/ports/store.hpp on one libpq
// connection, with the SQLite store's semantics (validation, step output caps,
// the audit hash chain, outbox coalescing, idempotent source keys). Several
// processes may share one database: schema migrations run once under an
// advisory lock, audit appends are serialised by another, deploy locks and
// compare-and-set saves are single conditional statements, and a unit of work
// that fails with a serialization failure or a deadlock (SQLSTATE 40001,
// 40P01) is rolled back and run again, at most postgresql_attempts times —
// so a unit of work must not have effects outside the store it cannot repeat.
// Text values travel as parameters only; text that is not valid UTF-8, or
// holds NUL bytes (which PostgreSQL text cannot), is stored with U+FFFD in
// their place.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/ports/store.hpp"
#include "integrations/store/common/store_rules.hpp"
#include "integrations/store/common/synchronous_store.hpp"

namespace promotebot::postgresql {

inline constexpr int postgresql_attempts = 5;

class postgresql_store : public storage::synchronous_store {
public:
    // What is missing of the audit log's protection (its table, its
    // append-only triggers); empty when intact.
    virtual std::vector<std::string> audit_protection_problems() const = 0;
};

enum class open_mode {
    // Applies the migrations (once, whoever starts first): the bot.
    read_write,
    // The commands that only read: never migrates, refuses a database that is
    // not a promotebot store at this binary's schema version, and the session
    // is read-only (default_transaction_read_only), so writes through it fail.
    read_only,
};

// Opens the store at `connection` (a libpq connection string or a
// postgresql:// URI; libpq's environment variables such as PGPASSWORD fill in
// what it leaves out). Throws std::runtime_error naming the redacted
// connection when it cannot connect, when libpq cannot be loaded (the first
// store opened loads it: libpq_library.hpp), or when the schema is newer than
// this binary knows. With `key`, new audit records are HMAC-SHA256 under it.
std::unique_ptr<postgresql_store> open_postgresql_store(const std::string& connection,
                                                        std::optional<commands::audit_key> key = std::nullopt,
                                                        open_mode mode = open_mode::read_write);
int postgresql_schema_version_known();

// open_postgresql_store() for the bot: also refuses a database whose audit
// table or append-only triggers are gone.
std::unique_ptr<postgresql_store> open_postgresql_store_for_bot(const std::string& connection,
                                                                std::optional<commands::audit_key> key = std::nullopt);

// Loads libpq now rather than at the first store opened, for a check before
// start-up; throws std::runtime_error naming libpq.so.5 and the Debian
// package libpq5 when it cannot be loaded.
void require_libpq();

// true for "postgresql://…" and "postgres://…": the config's `store` names a
// PostgreSQL database rather than a SQLite file.
bool is_postgresql_uri(std::string_view store);

// The connection as it may be logged: the URI's password (user:password@) and
// any password= parameter (URI query or key=value form) become "***".
std::string redacted_connection(std::string_view connection);

}  // namespace promotebot::postgresql
