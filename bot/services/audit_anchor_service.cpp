#include "bot/services/audit_anchor_service.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "bot/services/effects.hpp"
#include "commands/audit/audit_anchor.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;

namespace {

// Outbox rows of the daily post share this key prefix; the newest says when it last went out.
const std::string key_prefix = "audit.anchor:";

}  // namespace

audit_anchor_service::audit_anchor_service(const config& cfg, store& st, wall_clock now)
    : cfg_(cfg), store_(st), clock_(std::move(now)) {}

asio::awaitable<bool> audit_anchor_service::post_if_due() {
    if (cfg_.audit.channel.empty()) co_return false;
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(clock_());
    const auto& channel = cfg_.audit.channel;
    const bool queued = co_await write(store_, [&](store_session& s) {
        // Replicas sharing a store check at the same moment: writing this row
        // first makes the second wait for the first's commit, and then see its post.
        s.hold_lease("audit.anchor", "audit anchor", sys_millis{now});
        if (!commands::anchor_post_due(s.last_outbox_written(key_prefix), now)) return false;
        const auto v = s.verify_audit();
        effects fx;
        if (v.ok) {
            fx.post(channel, commands::anchor_message(v.head, v.records, now),
                    key_prefix + std::to_string(v.head.seq));
            fx.record("system", "audit.anchor", commands::to_string(v.head), "posted", {{"channel", channel}});
        } else {
            commands::message alert;
            alert.header = "Audit log broken";
            alert.text = "The audit log does not verify at record " +
                         (v.first_broken_seq ? std::to_string(*v.first_broken_seq) : std::string{"?"}) + ": " +
                         v.problem + ". No anchor was taken; check the store and its backups.";
            fx.post(channel, std::move(alert), key_prefix + "broken:" + std::to_string(now.time_since_epoch().count()));
            fx.record("system", "audit.anchor", "audit log", "broken", {{"problem", v.problem}});
        }
        fx.apply(s, now);
        return true;
    });
    if (queued) spdlog::info("audit: the log's head is posted to {}", channel);
    co_return queued;
}

asio::awaitable<void> audit_anchor_service::run(std::chrono::minutes every) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        try {
            co_await post_if_due();
        } catch (const std::exception& e) {
            spdlog::error("audit: could not post the log's head: {}", e.what());
        }
        timer.expires_after(every);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

}  // namespace promotebot::bot
