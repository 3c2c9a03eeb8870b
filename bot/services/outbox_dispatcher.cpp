#include "bot/services/outbox_dispatcher.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace promotebot::bot {

namespace asio = boost::asio;
using outcome = delivery_result::outcome;

namespace {

// A post may have landed in the channel a little before the row's clock said.
constexpr std::chrono::minutes lookup_slack{2};

const char* kind_name(outbox_kind k) {
    switch (k) {
    case outbox_kind::post: return "post";
    case outbox_kind::update: return "update";
    case outbox_kind::ephemeral: return "ephemeral";
    case outbox_kind::response_url: return "response";
    case outbox_kind::reply: return "thread reply";
    }
    return "message";
}

}  // namespace

outbox_dispatcher::outbox_dispatcher(asio::any_io_executor ex, store& st, chat_port& chat, clock now,
                                     outbox_options options)
    : store_(st), chat_(chat), clock_(std::move(now)), options_(std::move(options)), wake_(ex) {
    if (!options_.backoff) throw std::invalid_argument("outbox: a backoff policy is required");
}

outbox_dispatcher::millis outbox_dispatcher::now_ms() const {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
}

sys_seconds outbox_dispatcher::now_s() const { return std::chrono::time_point_cast<std::chrono::seconds>(clock_()); }

void outbox_dispatcher::notify() {
    notified_ = true;
    wake_.cancel();
}

void outbox_dispatcher::stop() {
    stopping_ = true;
    wake_.cancel();
}

asio::awaitable<void> outbox_dispatcher::run() {
    try {
        const auto now = now_ms();
        const auto released = co_await write(store_, [&](store_session& s) {
            return s.release_outbox_claims(options_.earlier_runs, options_.holder, now);
        });
        if (released > 0) spdlog::info("outbox: {} messages an earlier run was sending are due again", released);
    } catch (const std::exception& e) {
        spdlog::error("outbox: {}", e.what());
    }
    while (!stopping_) {
        notified_ = false;
        int handled = 0;
        bool store_failed = false;
        try {
            handled = co_await deliver_due();
        } catch (const std::exception& e) {
            spdlog::error("outbox: {}", e.what());
            store_failed = true;
        }
        if (store_failed) {
            // The store could not be read or written: wait a moment and try again.
            wake_.expires_after(options_.backoff(1));
            boost::system::error_code ignored;
            co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            continue;
        }
        if (handled >= options_.batch) continue;  // more may be due right away
        if (notified_ || stopping_) continue;
        auto next = co_await read(store_, [](const store_session& s) { return s.next_outbox_due(); });
        if (notified_ || stopping_) continue;
        auto wait = options_.poll;
        if (next) wait = std::clamp(*next - now_ms(), std::chrono::milliseconds{0}, options_.poll);
        wake_.expires_after(wait);
        boost::system::error_code ignored;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
}

asio::awaitable<int> outbox_dispatcher::deliver_due() {
    const auto now = now_ms();
    const auto due = co_await read(store_, [&](const store_session& s) { return s.due_outbox(now, options_.batch); });
    for (const auto& row : due) {
        if (stopping_) break;
        co_await deliver(row);
    }
    co_return static_cast<int>(due.size());
}

asio::awaitable<bool> outbox_dispatcher::claim(const outbox_row& row, bool in_doubt) {
    const auto id = row.id;
    const auto now = now_ms();
    const auto until = now + options_.claim;
    const auto& holder = options_.holder;
    const bool claimed = co_await write(
        store_, [&](store_session& s) { return s.outbox_attempt(id, in_doubt, now, until, holder); });
    if (!claimed) {
        ++skipped_;
        spdlog::debug("outbox: #{} is being delivered by another replica", id);
    }
    co_return claimed;
}

asio::awaitable<void> outbox_dispatcher::deliver(const outbox_row& row) {
    const auto& m = row.message;
    const auto id = row.id;
    if (m.kind == outbox_kind::update && options_.update_interval.count() > 0 && last_update_) {
        const auto turn = *last_update_ + options_.update_interval;
        if (now_ms() < turn) {
            // Rescheduled, not attempted: rows behind it go out meanwhile, and newer updates
            // of the message replace it before its turn.
            co_await write(store_, [&](store_session& s) {
                s.outbox_retry(id, turn, "waiting for its turn under chat.update's rate limit", false);
            });
            co_return;
        }
    }
    // Written before anything leaves: a post is in doubt from here until its
    // answer is recorded, and no other replica sends the row meanwhile.
    if (!co_await claim(row, m.kind == outbox_kind::post)) co_return;
    if (now_s() - row.created_at > options_.give_up_after) {
        spdlog::error("outbox: giving up on {} #{} to {} after {} attempts", kind_name(m.kind), id, m.channel,
                      row.attempts);
        ++failed_;
        const auto now = now_s();
        co_await write(store_, [&](store_session& s) { s.outbox_failed(id, "not delivered in time", now); });
        co_return;
    }
    switch (m.kind) {
    case outbox_kind::post: {
        if (row.in_doubt) {
            // The last attempt's answer was lost: is the post in the channel already?
            const auto found = co_await chat_.find_post(m.channel, id, row.created_at - lookup_slack);
            if (found.what == lookup_result::outcome::found) {
                ++reconciled_;
                spdlog::info("outbox: post #{} was delivered before (ts {}); not posted again", id, found.ts);
                const delivery_result was_posted{outcome::delivered, found.ts, {}, {}};
                co_await settle(row, was_posted, false);
                co_return;
            }
            if (found.what == lookup_result::outcome::unknown) {
                const delivery_result unknown{outcome::not_sent, {}, "lookup failed: " + found.error, {}};
                co_await settle(row, unknown, true);
                co_return;
            }
        }
        const auto result = co_await chat_.post(m.channel, m.body, id);
        co_await settle(row, result, false);
        co_return;
    }
    case outbox_kind::update: {
        if (!row.post_ts) {
            spdlog::error("outbox: update #{} of {} has no post to update", id, m.message_key);
            ++failed_;
            const auto now = now_s();
            co_await write(store_,
                           [&](store_session& s) { s.outbox_failed(id, "the message it updates was never posted", now); });
            co_return;
        }
        last_update_ = now_ms();
        const auto result = co_await chat_.update(m.channel, *row.post_ts, m.body);
        co_await settle(row, result, false);
        co_return;
    }
    case outbox_kind::reply: {
        if (!row.post_ts) {
            spdlog::error("outbox: thread reply #{} of {} has no post to reply to", id, m.message_key);
            ++failed_;
            const auto now = now_s();
            co_await write(store_,
                           [&](store_session& s) { s.outbox_failed(id, "the message it replies to was never posted", now); });
            co_return;
        }
        const auto result = co_await chat_.reply(m.channel, *row.post_ts, m.body);
        co_await settle(row, result, false);
        co_return;
    }
    case outbox_kind::ephemeral: {
        const auto result = co_await chat_.ephemeral(m.channel, m.user, m.body);
        co_await settle(row, result, false);
        co_return;
    }
    case outbox_kind::response_url: {
        const auto result = co_await chat_.respond(m.response_url, m.channel, m.user, m.in_channel, m.body);
        co_await settle(row, result, false);
        co_return;
    }
    }
}

asio::awaitable<void> outbox_dispatcher::settle(const outbox_row& row, const delivery_result& r,
                                                bool in_doubt_if_unsent) {
    const auto id = row.id;
    const auto& m = row.message;
    const auto attempts = row.attempts + 1;
    auto retry_at = [&] {
        auto delay = options_.backoff(attempts);
        if (r.retry_after) delay = std::max<std::chrono::milliseconds>(delay, *r.retry_after);
        return now_ms() + delay;
    };
    switch (r.what) {
    case outcome::delivered: {
        ++delivered_;
        const auto settled = m.kind == outbox_kind::update ? row.covers_up_to : id;
        const auto now = now_s();
        co_await write(store_, [&](store_session& s) { s.outbox_delivered(settled, r.ts, now); });
        co_return;
    }
    case outcome::not_sent: {
        spdlog::warn("outbox: {} #{} not delivered ({}); retrying", kind_name(m.kind), id, r.error);
        const auto at = retry_at();
        co_await write(store_, [&](store_session& s) { s.outbox_retry(id, at, r.error, in_doubt_if_unsent); });
        co_return;
    }
    case outcome::maybe_sent: {
        if (m.kind == outbox_kind::post || m.kind == outbox_kind::update) {
            // A post is looked up before it is sent again; an update may simply be repeated.
            spdlog::warn("outbox: {} #{} may not have been delivered ({}); checking before retrying",
                         kind_name(m.kind), id, r.error);
            const auto at = retry_at();
            const bool post = m.kind == outbox_kind::post;
            co_await write(store_, [&](store_session& s) { s.outbox_retry(id, at, r.error, post); });
            co_return;
        }
        // An ephemeral answer or a thread note is not looked up: sent at most once rather than twice.
        spdlog::warn("outbox: {} #{} may or may not have reached {} ({}); not repeated", kind_name(m.kind), id,
                     m.user, r.error);
        ++delivered_;
        const auto now = now_s();
        co_await write(store_, [&](store_session& s) { s.outbox_delivered(id, {}, now); });
        co_return;
    }
    case outcome::rejected: {
        spdlog::error("outbox: {} #{} to {} refused: {}", kind_name(m.kind), id, m.channel, r.error);
        ++failed_;
        const auto now = now_s();
        co_await write(store_, [&](store_session& s) { s.outbox_failed(id, r.error, now); });
        co_return;
    }
    }
}

}  // namespace promotebot::bot
