#pragma once
// Delivers the outbox: the messages that committed transactions asked for.
//
// Rows go out one at a time, oldest first; rows of one message key (a post
// and its updates) strictly in order, an update only once its post has a ts.
// The newest pending update of a message stands for the older ones. A post
// whose answer was lost (timeout, dropped connection, crash) is "in doubt":
// before it is posted again, the channel is searched for the outbox ID the
// post carries, so it appears exactly once. Failures are retried with backoff
// (never before Slack's Retry-After) until `give_up_after`; a refusal that
// cannot change (unknown channel, invalid payload) fails the row at once.
// Pending rows of an earlier run are delivered after a restart. Several
// replicas may share one store: each attempt first claims its row (see
// outbox_repository::outbox_attempt), so a row goes out from one replica,
// and a replica that dies mid-attempt leaves the row to the others.
// chat.update calls are paced at least `update_interval` apart (Slack allows
// about 50 a minute per workspace): an update due sooner is rescheduled to its
// turn (not an attempt) while other rows go out, and meanwhile newer updates
// of its message replace it, so a message updated every second shows its
// newest state within about one interval and its last state always arrives.
// The pacing is per process: replicas sharing a store each keep to it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/ports/chat_port.hpp"
#include "bot/ports/store.hpp"

namespace promotebot::bot {

struct outbox_options {
    // The delay before attempt n + 1 after n failed attempts (n >= 1).
    std::function<std::chrono::milliseconds(int attempts)> backoff;
    std::chrono::seconds give_up_after{std::chrono::hours(24)};
    int batch = 32;  // rows read per store round trip
    // How long a row claimed for an attempt stays this replica's: longer than
    // any Slack call takes. Another replica takes it over when that passes.
    std::chrono::milliseconds claim{std::chrono::seconds(60)};
    // The longest sleep: rows committed by other replicas (which notify only
    // their own dispatcher) are found at the latest this much later.
    std::chrono::milliseconds poll{std::chrono::seconds(5)};
    // This process ("replica/run") and the prefix of this replica's earlier
    // runs, whose claims run() releases at its start: a restarted replica
    // does not wait for its own dead run's claims to end.
    std::string holder = "promotebot/run";
    std::string earlier_runs{};
    // The least time between two chat.update calls: Slack's Tier 3, 50 a minute. 0: not paced.
    std::chrono::milliseconds update_interval{1200};
};

class outbox_dispatcher {
public:
    using clock = std::function<std::chrono::system_clock::time_point()>;

    outbox_dispatcher(boost::asio::any_io_executor ex, store& st, chat_port& chat, clock now, outbox_options options);

    // Delivers until stop(); sleeps while nothing is due.
    boost::asio::awaitable<void> run();
    // New rows were committed: look again now.
    void notify();
    // Ends run() after the row in flight.
    void stop();
    // Delivers every row due now, once; returns how many rows were handled.
    boost::asio::awaitable<int> deliver_due();

    [[nodiscard]] std::uint64_t delivered() const { return delivered_; }
    [[nodiscard]] std::uint64_t failed() const { return failed_; }
    [[nodiscard]] std::uint64_t reconciled() const { return reconciled_; }

private:
    using millis = std::chrono::sys_time<std::chrono::milliseconds>;
    boost::asio::awaitable<void> deliver(const outbox_row& row);
    // Claims the row for one attempt; false when another replica has it.
    boost::asio::awaitable<bool> claim(const outbox_row& row, bool in_doubt);
    boost::asio::awaitable<void> settle(const outbox_row& row, const delivery_result& r, bool in_doubt_if_unsent);
    [[nodiscard]] millis now_ms() const;
    [[nodiscard]] sys_seconds now_s() const;

    store& store_;
    chat_port& chat_;
    clock clock_;
    outbox_options options_;
    boost::asio::steady_timer wake_;
    bool stopping_ = false;
    bool notified_ = false;
    std::optional<millis> last_update_;  // when the last chat.update was sent
    std::optional<millis> update_turn_;
    bool batch_full_ = false;  // the last deliver_due read a whole batch: more rows may be due  // set by deliver_due when an update waits for its turn
    std::uint64_t delivered_ = 0;
    std::uint64_t failed_ = 0;
    std::uint64_t reconciled_ = 0;
    std::uint64_t skipped_ = 0;

public:
    // Rows found due but claimed by another replica first.
    [[nodiscard]] std::uint64_t skipped() const { return skipped_; }
};

}  // namespace promotebot::bot
