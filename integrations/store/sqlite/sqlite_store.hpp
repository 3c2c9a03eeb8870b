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

namespace promotebot::sqlite {

// Synchronous: used by the command line, by tests, and (through
// threaded_store) by the bot, always from one thread at a time. Each
// repository call outside transaction() is a transaction of its own.
class sqlite_store : public bot::store_session {
public:
    // One write transaction (BEGIN IMMEDIATE): commits when `work` returns,
    // rolls back and rethrows when it throws. Calls nest as savepoints.
    virtual void transaction(const std::function<void(bot::store_session&)>& work) = 0;
    // One read transaction: a consistent snapshot.
    virtual void snapshot(const std::function<void(const bot::store_session&)>& work) const = 0;
    // What is missing of the audit log's protection (its table, its
    // append-only triggers); empty when intact.
    virtual std::vector<std::string> audit_protection_problems() const = 0;
    // How long a write waits for another connection's lock before failing
    // (5 s by default).
    virtual void set_busy_timeout(std::chrono::milliseconds timeout) = 0;
};

// What one promotion's step output may hold, so a chatty tool cannot fill the
// disk. A line longer than step_output_line_bytes is cut at a UTF-8 boundary
// and ends in "…" (invalid UTF-8 becomes U+FFFD first). Of all the lines a
// promotion's steps ever printed, the first step_output_head_lines and the
// newest step_output_tail_lines are kept: the start shows what ran, the end
// shows how it failed. The lines between them are replaced by one marker line
// "… output truncated: N lines dropped" (stream "err", the step of the last
// line dropped), which moves along as more lines arrive. So a promotion holds
// at most head + tail + 1 lines.
inline constexpr std::size_t step_output_line_bytes = 8 * 1024;
inline constexpr std::int64_t step_output_head_lines = 10'000;
inline constexpr std::int64_t step_output_tail_lines = 10'000;

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

// The awaitable store port over a synchronous store: every unit of work runs
// on one worker thread owned by the returned object, in submission order; the
// awaiting coroutine resumes on its own executor. Destroying it finishes the
// queued work first.
std::unique_ptr<bot::store> threaded_store(sqlite_store& db);

}  // namespace promotebot::sqlite
