#include "integrations/slack/update_coalescer.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

namespace promotebot::slack {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

namespace {

struct message_state {
    std::optional<json> pending;
    clock_type::time_point next_allowed{};  // the per-message window
    std::uint64_t sequence = 0;             // FIFO among messages that are equally ready
    int failures = 0;
};

bool worth_retrying(const api_result& r) {
    if (r.ec == slack_errc::rate_limited) return true;
    if (r.ec == slack_errc::ok_false || r.ec == slack_errc::fatal_auth || r.ec == slack_errc::bad_response) {
        return false;
    }
    return true;  // 5xx and transport failures
}

}  // namespace

struct update_coalescer::state : std::enable_shared_from_this<update_coalescer::state> {
    asio::any_io_executor ex;
    sender send;
    std::chrono::milliseconds window;
    std::chrono::milliseconds interval;
    std::map<std::pair<std::string, std::string>, message_state> messages;
    clock_type::time_point global_next{};
    std::uint64_t next_sequence = 0;
    bool running = false;
    bool stopped = false;
    asio::steady_timer wake;     // the worker sleeps on it; update() and the clock's alarm cancel it
    asio::steady_timer drained;  // flush() waits on it; the worker cancels it when idle
    asio::steady_timer alarm_timer;  // the default clock's alarm
    coalescer_clock clock;

    state(asio::any_io_executor e, sender s, std::chrono::milliseconds w, std::chrono::milliseconds i,
          coalescer_clock c)
        : ex(e), send(std::move(s)), window(w), interval(i), wake(e), drained(e), alarm_timer(e),
          clock(std::move(c)) {
        drained.expires_at(clock_type::time_point::max());
        if (!clock.now) clock.now = [] { return clock_type::now(); };
        if (!clock.alarm) {
            clock.alarm = [this](clock_type::time_point at, std::function<void()> fire) {
                alarm_timer.expires_at(at);
                alarm_timer.async_wait([fire = std::move(fire)](boost::system::error_code ec) {
                    if (!ec) fire();
                });
            };
        }
    }

    // Sleeps until `due` by the clock, or until update() wakes the worker.
    static asio::awaitable<void> sleep_until(std::shared_ptr<state> self, clock_type::time_point due) {
        self->wake.expires_at(clock_type::time_point::max());
        std::weak_ptr<state> weak = self;
        self->clock.alarm(due, [weak] {
            if (auto s = weak.lock()) s->wake.cancel();
        });
        boost::system::error_code ec;
        co_await self->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }

    std::size_t pending_count() const {
        return static_cast<std::size_t>(std::count_if(messages.begin(), messages.end(),
                                                       [](const auto& m) { return m.second.pending.has_value(); }));
    }

    void start() {
        if (running || stopped) return;
        running = true;
        asio::co_spawn(ex, run(shared_from_this()), asio::detached);
    }

    // The message that may go out first: earliest allowed time, then oldest.
    decltype(messages)::iterator next_message() {
        auto best = messages.end();
        for (auto it = messages.begin(); it != messages.end(); ++it) {
            if (!it->second.pending) continue;
            if (best == messages.end() || it->second.next_allowed < best->second.next_allowed ||
                (it->second.next_allowed == best->second.next_allowed &&
                 it->second.sequence < best->second.sequence)) {
                best = it;
            }
        }
        return best;
    }

    void forget_settled(clock_type::time_point now) {
        std::erase_if(messages, [&](const auto& m) { return !m.second.pending && m.second.next_allowed <= now; });
    }

    static asio::awaitable<void> run(std::shared_ptr<state> self) {
        for (;;) {
            if (self->stopped) break;
            auto it = self->next_message();
            if (it == self->messages.end()) break;
            const auto due = std::max(it->second.next_allowed, self->global_next);
            if (self->clock.now() < due) {
                co_await sleep_until(self, due);
                continue;  // due, or woken early by an update: choose again
            }

            const auto key = it->first;
            json args = std::move(*it->second.pending);
            it->second.pending.reset();
            const json payload = args;
            args["channel"] = key.first;
            args["ts"] = key.second;

            api_result result;
            try {
                result = co_await self->send(std::move(args));
            } catch (const std::exception& e) {
                result.ec = make_error_code(slack_errc::server_error);
                result.error = e.what();
            }
            const auto now = self->clock.now();
            self->global_next = now + self->interval;
            auto& m = self->messages[key];
            m.next_allowed = now + self->window;
            if (!result.ok()) {
                if (result.ec == slack_errc::rate_limited) {
                    const auto wait = std::max<std::chrono::milliseconds>(result.retry_after.value_or(std::chrono::seconds(1)),
                                                                      std::chrono::seconds(1));
                    self->global_next = std::max(self->global_next, now + wait);
                }
                if (worth_retrying(result) && ++m.failures <= max_failures) {
                    // A newer state, if one arrived meanwhile, supersedes the failed one.
                    if (!m.pending) m.pending = payload;
                } else {
                    spdlog::warn("chat.update for {} {} dropped: {}", key.first, key.second, result.error);
                    m.failures = 0;
                }
            } else {
                m.failures = 0;
            }
            self->forget_settled(now);
        }
        self->running = false;
        self->drained.cancel();
    }
};

update_coalescer::update_coalescer(asio::any_io_executor ex, sender send, std::chrono::milliseconds per_message_window,
                                   std::chrono::milliseconds min_interval, coalescer_clock clock)
    : state_(std::make_shared<state>(ex, std::move(send), per_message_window, min_interval, std::move(clock))) {}

update_coalescer::~update_coalescer() {
    state_->stopped = true;
    state_->wake.cancel();
    state_->drained.cancel();
    state_->alarm_timer.cancel();
}

void update_coalescer::update(std::string channel, std::string ts, json message_payload) {
    auto& m = state_->messages[{std::move(channel), std::move(ts)}];
    if (!m.pending) m.sequence = state_->next_sequence++;
    m.pending = std::move(message_payload);
    if (state_->running) {
        state_->wake.cancel();
    } else {
        state_->start();
    }
}

asio::awaitable<void> update_coalescer::flush() {
    auto self = state_;
    while (self->running || (self->pending_count() > 0 && !self->stopped)) {
        if (!self->running) self->start();
        boost::system::error_code ec;
        co_await self->drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        self->drained.expires_at(clock_type::time_point::max());
    }
}

std::size_t update_coalescer::pending() const { return state_->pending_count(); }

}  // namespace promotebot::slack
