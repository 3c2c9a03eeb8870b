#pragma once
// Several replicas share one store. Work that runs inside one replica's
// process (a workflow's gate checks or deployment step) is held under a lease
// in the store (see lease_repository): the transition that starts the work
// holds the lease in its own unit of work; this keeper renews every lease of
// this process and tells the workflow when another replica took one (its
// work is then stopped); and it sweeps: every half lease it asks each
// workflow to take over work whose lease ended (the replica running it died),
// which reports it interrupted, never re-runs it.
//
// A replica is named by a stable ID (the pod name) and each process by a run
// ID, so a restarted replica takes over its own earlier run's work at once
// instead of waiting for the lease to end.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/ports/store.hpp"
#include "bot/services/freeze_service.hpp"

namespace promotebot::bot {

struct replica_identity {
    std::string replica;  // stable across restarts of one replica (the pod's name)
    std::string run;      // this process
    [[nodiscard]] std::string holder() const { return replica + "/" + run; }
    [[nodiscard]] std::string earlier_runs() const { return replica + "/"; }
};

// `replica` as given (the host name when empty), with a fresh run ID.
replica_identity make_replica_identity(std::string replica);
// PROMOTEBOT_REPLICA_ID, else the host name.
std::string default_replica_name();

class lease_keeper {
public:
    lease_keeper(boost::asio::any_io_executor ex, store& st, replica_identity id, std::chrono::seconds lease,
                 wall_clock now);

    [[nodiscard]] const replica_identity& identity() const { return id_; }
    [[nodiscard]] std::chrono::seconds lease() const { return lease_; }

    // Inside a transition's unit of work: the lease `name` becomes this
    // process's when the transition starts work here (`starts_work`), and is
    // released when the workflow left the states that need a process.
    void settle(store_session& s, const std::string& name, bool starts_work, bool was_in_process,
                bool in_process) const;
    // Inside a unit of work: takes `name` when its lease ended or an earlier
    // run of this replica held it; false when a live replica holds it.
    bool take(store_session& s, const std::string& name) const;

    // Work this process runs under `name`: `lost` runs once when the lease is
    // no longer this process's (another replica took it, or it was released).
    void watch(const std::string& name, std::function<void()> lost);
    [[nodiscard]] bool watching(const std::string& name) const { return watched_.count(name) != 0; }

    // Takes over, one by one, the workflows `ids` whose lease (`lease_of`)
    // ended: `restart(id, take)` feeds the workflow its restart event in a
    // unit of work that runs `take` first and changes nothing when it answers
    // false, and answers whether the workflow was restarted. Workflows running
    // here are passed over; a failure is logged and the next one tried.
    boost::asio::awaitable<void> take_over(
        const std::vector<std::int64_t>& ids, const std::function<std::string(std::int64_t)>& lease_of,
        const std::function<boost::asio::awaitable<bool>(std::int64_t, std::function<bool(store_session&)>)>& restart);

    // Run every half lease (and once at the start of run()) to take over
    // work other replicas left.
    void add_sweeper(std::function<boost::asio::awaitable<void>()> sweep);

    // Renews every third of a lease, sweeps every half; until stop().
    boost::asio::awaitable<void> run();
    // One renewal; answers how many watched leases were lost.
    boost::asio::awaitable<int> renew();
    boost::asio::awaitable<void> sweep();
    void stop();

private:
    [[nodiscard]] sys_millis now_ms() const;

    store& store_;
    replica_identity id_;
    std::chrono::seconds lease_;
    wall_clock clock_;
    std::map<std::string, std::function<void()>> watched_;
    std::vector<std::function<boost::asio::awaitable<void>()>> sweepers_;
    boost::asio::steady_timer timer_;
    bool stopping_ = false;
};

}  // namespace promotebot::bot
