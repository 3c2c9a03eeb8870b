#pragma once
// Coalesces chat.update calls: progress messages change faster than Slack
// allows updates, so only the newest state of each message is sent, at most
// once per window per message and once per minimum interval overall. The last
// state always goes out, also after a failed or rate-limited send.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "integrations/slack/web_api.hpp"

namespace promotebot::slack {

// The coalescer's time: what time it is, and a wake-up call at a time point.
// Empty members: the steady clock and an Asio timer. Tests pass a manual clock.
struct coalescer_clock {
    using time_point = std::chrono::steady_clock::time_point;
    std::function<time_point()> now;
    // Calls `fire` on the executor's thread once `at` has come (by this
    // clock). A call may replace an earlier alarm; a spurious or a late
    // alarm is harmless.
    std::function<void(time_point at, std::function<void()> fire)> alarm;
};

class update_coalescer {
public:
    // Receives the full chat.update arguments (the payload plus channel and ts).
    using sender = std::function<boost::asio::awaitable<api_result>(nlohmann::json)>;

    update_coalescer(boost::asio::any_io_executor ex, sender send,
                     std::chrono::milliseconds per_message_window = std::chrono::milliseconds(1000),
                     std::chrono::milliseconds min_interval = std::chrono::milliseconds(1200),
                     coalescer_clock clock = {});
    ~update_coalescer();
    update_coalescer(const update_coalescer&) = delete;
    update_coalescer& operator=(const update_coalescer&) = delete;

    // Not thread-safe: call from the executor's thread. `message_payload`
    // (text, blocks, ...) replaces any state still pending for (channel, ts).
    void update(std::string channel, std::string ts, nlohmann::json message_payload);
    // Sends everything pending (within the same limits) and returns when nothing is left.
    boost::asio::awaitable<void> flush();

    [[nodiscard]] std::size_t pending() const;

    // A failed send is retried this many times before its state is dropped;
    // ok:false errors other than rate limiting are not retried.
    static constexpr int max_failures = 5;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace promotebot::slack
