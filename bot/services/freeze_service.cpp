#include "bot/services/freeze_service.hpp"

#include <spdlog/spdlog.h>

#include "bot/services/freeze_source.hpp"
#include "commands/freeze/freeze_month.hpp"
#include "commands/freeze/freeze_view.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;
using commands::reply;
using commands::in_channel;
using commands::privately;

asio::awaitable<void> commit(store& st, const action_context& ctx, sys_seconds now) {
    co_await write(st, [&](store_session& s) { ctx.fx.apply(s, now, ctx.inbox_key); });
}

freeze_service::freeze_service(const config& cfg, store& st, wall_clock now)
    : cfg_(cfg), store_(st), clock_(std::move(now)), zone_(date::locate_zone(cfg.timezone)) {}

sys_seconds freeze_service::now() const { return std::chrono::time_point_cast<std::chrono::seconds>(clock_()); }

asio::awaitable<commands::freeze_calendar> freeze_service::calendar() {
    co_return co_await read(store_, [this](const store_session& s) { return build_calendar(cfg_, s); });
}

asio::awaitable<void> freeze_service::status(action_context ctx) {
    const auto t = now();
    const auto cal = co_await calendar();
    ctx.fx.record(ctx.who.user_id, "command", ctx.subject, "ok");
    ctx.fx.answer(ctx.who, in_channel(commands::freeze_status_message(cal.status_at(t), t, zone_)));
    co_await commit(store_, ctx, t);
}

asio::awaitable<void> freeze_service::list(action_context ctx, int days) {
    const auto t = now();
    std::vector<commands::removable_window> removable;
    auto cal = co_await read(store_, [&](const store_session& s) {
        for (const auto& w : ad_hoc_windows(s))
            if (w.end > t) removable.push_back(w);
        return build_calendar(cfg_, s);
    });
    const auto windows = cal.windows_between(t, t + std::chrono::days{days});
    ctx.fx.record(ctx.who.user_id, "command", ctx.subject, "ok");
    ctx.fx.answer(ctx.who, in_channel(commands::freeze_list_message(windows, removable, t, days, zone_)));
    co_await commit(store_, ctx, t);
}

asio::awaitable<void> freeze_service::month(action_context ctx, std::optional<date::year_month> month) {
    const auto t = now();
    const auto current = commands::month_of(t, zone_);
    const auto shown = month.value_or(current);
    if (auto problem = commands::calendar_month_problem(shown, current)) {
        ctx.fx.record(ctx.who.user_id, "command", ctx.subject, "rejected", {{"error", *problem}});
        ctx.fx.answer(ctx.who, privately(commands::error_message(*problem, "/freeze calendar [YYYY-MM]")));
        co_await commit(store_, ctx, t);
        co_return;
    }
    const auto cal = co_await calendar();
    ctx.fx.record(ctx.who.user_id, "command", ctx.subject, "ok");
    ctx.fx.answer(ctx.who,
                  in_channel(commands::freeze_calendar_message(commands::compute_freeze_month(cal, shown, t), zone_)));
    co_await commit(store_, ctx, t);
}

asio::awaitable<void> freeze_service::add(action_context ctx, date::local_seconds from, date::local_seconds to,
                                          std::string reason) {
    const auto start = to_instant(from, zone_);
    const auto end = to_instant(to, zone_);
    const auto t = now();
    if (end <= t) {
        ctx.fx.record(ctx.who.user_id, "freeze.add", ctx.subject, "rejected", {{"error", "window ends in the past"}});
        ctx.fx.answer(ctx.who, privately(commands::error_message("That window ends in the past (" +
                                                                     commands::format_local(end, zone_) +
                                                                     "); nothing was added.",
                                                                 "/freeze add <from> <to> <reason>")));
        co_await commit(store_, ctx, t);
        co_return;
    }
    const auto& release_channel = cfg_.slack.release_channel;
    const auto id = co_await write(store_, [&](store_session& s) -> std::int64_t {
        // A replay of a request whose window was stored before: report it, add nothing.
        if (auto earlier = s.freeze_window_from_source(ctx.source_key)) {
            ctx.fx.record(ctx.who.user_id, "freeze.add", ctx.subject, "duplicate", {{"id", earlier->id}});
            ctx.fx.answer(ctx.who, privately(commands::error_message(
                                       "This request was already handled: it added freeze window #" +
                                           std::to_string(earlier->id) + ".",
                                       "")));
            ctx.fx.apply(s, t, ctx.inbox_key);
            return 0;
        }
        const auto added = s.add_freeze_window(start, end, reason, ctx.who.user_id, t, ctx.source_key);
        const commands::removable_window w{added, reason, start, end};
        ctx.fx.record(ctx.who.user_id, "freeze.add", ctx.subject, "ok",
                      {{"id", added},
                       {"start", commands::format_iso(start, zone_)},
                       {"end", commands::format_iso(end, zone_)},
                       {"reason", reason}});
        auto announcement = commands::freeze_added_message(w, ctx.who.user_id, zone_);
        ctx.fx.post(release_channel, announcement);
        if (ctx.who.channel_id != release_channel) ctx.fx.answer(ctx.who, privately(std::move(announcement)));
        ctx.fx.apply(s, t, ctx.inbox_key);
        return added;
    });
    if (id != 0) spdlog::info("freeze window #{} added by {}", id, ctx.who.user_id);
}

asio::awaitable<void> freeze_service::remove(action_context ctx, std::int64_t id) {
    const auto t = now();
    const auto& release_channel = cfg_.slack.release_channel;
    const bool removed = co_await write(store_, [&](store_session& s) {
        const auto existing = s.freeze_window(id);
        if (!existing || !s.remove_freeze_window(id, ctx.who.user_id, t)) {
            ctx.fx.record(ctx.who.user_id, "freeze.remove", ctx.subject, "rejected",
                          {{"id", id}, {"error", "no such window"}});
            ctx.fx.answer(ctx.who, privately(commands::error_message(
                                       "There is no active freeze window #" + std::to_string(id) +
                                           "; nothing was removed. `/freeze list` shows the windows.",
                                       "/freeze remove <id>")));
            ctx.fx.apply(s, t, ctx.inbox_key);
            return false;
        }
        const commands::removable_window w{existing->id, existing->reason, existing->start, existing->end};
        ctx.fx.record(ctx.who.user_id, "freeze.remove", ctx.subject, "ok", {{"id", id}, {"reason", existing->reason}});
        auto announcement = commands::freeze_removed_message(w, ctx.who.user_id, zone_);
        ctx.fx.post(release_channel, announcement);
        if (ctx.who.channel_id != release_channel) ctx.fx.answer(ctx.who, privately(std::move(announcement)));
        ctx.fx.apply(s, t, ctx.inbox_key);
        return true;
    });
    if (removed) spdlog::info("freeze window #{} removed by {}", id, ctx.who.user_id);
}

}  // namespace promotebot::bot
