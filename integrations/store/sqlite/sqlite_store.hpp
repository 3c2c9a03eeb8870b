#pragma once
// The SQLite store: one file in WAL mode, numbered migrations, every
// repository of bot/ports/store.hpp on one connection.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bot/ports/store.hpp"
#include "integrations/store/common/store_rules.hpp"
#include "integrations/store/common/synchronous_store.hpp"

namespace promotebot::sqlite {

// Synchronous: used by the command line, by tests, and (through
// threaded_store) by the bot, always from one thread at a time. Each
// repository call outside transaction() is a transaction of its own.
// transaction() is BEGIN IMMEDIATE; calls nest as savepoints.
class sqlite_store : public storage::synchronous_store {
public:
    // What is missing of the audit log's protection (its table, its
    // append-only triggers); empty when intact.
    virtual std::vector<std::string> audit_protection_problems() const = 0;
    // How long a write waits for another connection's lock before failing
    // (5 s by default).
    virtual void set_busy_timeout(std::chrono::milliseconds timeout) = 0;
};

// The step output limits every backend keeps (see storage::step_output_head_lines).
using storage::step_output_head_lines;
using storage::step_output_line_bytes;
using storage::step_output_tail_lines;

// How a store file is opened.
enum class open_mode {
    // Creates the file if needed, turns WAL on and applies the migrations: the bot.
    read_write,
    // For the commands that only read (freeze status|list, audit verify|export|anchor):
    // SQLITE_OPEN_READONLY, never creates the file, never migrates, never changes
    // the journal mode; refuses a file that is not a promotebot store at this
    // binary's schema version. A WAL-mode copy in a directory we cannot write
    // (a backup) is read as an immutable file. Writes through it fail.
    read_only,
};

// Opens the SQLite store. read_write (the default) creates the file if needed,
// puts it in WAL mode and applies the numbered migrations. Throws
// std::runtime_error when the file's schema is newer than this binary knows,
// when the file cannot be opened, or (read_only) when it is not a promotebot
// store. With `key`, new audit records are hashed with HMAC-SHA256 under it and
// verify_audit() can check keyed records; the caller reads it from the
// environment.
std::unique_ptr<sqlite_store> open_sqlite_store(const std::string& path,
                                                std::optional<commands::audit_key> key = std::nullopt,
                                                open_mode mode = open_mode::read_write);
int sqlite_schema_version_known();

// open_sqlite_store() for the bot, which changes things: also refuses (throws
// std::runtime_error naming what is missing) a store whose audit table or
// append-only triggers are gone, rather than change things unaudited.
std::unique_ptr<sqlite_store> open_sqlite_store_for_bot(const std::string& path,
                                                        std::optional<commands::audit_key> key = std::nullopt);

// storage::threaded_store() over the SQLite store.
std::unique_ptr<bot::store> threaded_store(sqlite_store& db);

}  // namespace promotebot::sqlite
