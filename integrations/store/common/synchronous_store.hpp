#pragma once
// A store backend's synchronous side, and the awaitable store port over it.
// A backend (SQLite, PostgreSQL) implements every repository on one
// connection and runs units of work as transactions; threaded_store() moves
// those units off the event loop onto one worker thread, so the loop never
// waits on disk or network I/O of the database.
#include <functional>
#include <memory>

#include "bot/ports/store.hpp"

namespace promotebot::storage {

// Used from one thread at a time (the command line, tests, or the worker of
// threaded_store). Each repository call outside transaction() is a
// transaction of its own.
class synchronous_store : public bot::store_session {
public:
    // One write transaction: commits when `work` returns, rolls back and
    // rethrows when it throws.
    virtual void transaction(const std::function<void(bot::store_session&)>& work) = 0;
    // One read transaction: a consistent snapshot.
    virtual void snapshot(const std::function<void(const bot::store_session&)>& work) const = 0;
};

// The awaitable store port over a synchronous store: every unit of work runs
// on one worker thread owned by the returned object, in submission order; the
// awaiting coroutine resumes on its own executor. Destroying it finishes the
// queued work first. `db` must outlive it.
std::unique_ptr<bot::store> threaded_store(synchronous_store& db);

}  // namespace promotebot::storage
