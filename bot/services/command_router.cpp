#include "bot/services/command_router.hpp"

#include <spdlog/spdlog.h>

#include "bot/services/freeze_source.hpp"
#include "commands/freeze/freeze_view.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/grammar/request_view.hpp"

namespace promotebot::bot {

using commands::reply;
using commands::visibility;

namespace {

reply_target target_of(const commands::slash_command& c) { return {c.user_id, c.channel_id, c.response_url}; }
reply_target target_of(const commands::button_press& b) { return {b.user_id, b.channel_id, b.response_url}; }

reply privately(commands::message m) { return {std::move(m), visibility::ephemeral}; }
reply in_channel(commands::message m) { return {std::move(m), visibility::in_channel}; }

std::string command_line(const commands::slash_command& c) {
    return c.text.empty() ? c.command : c.command + " " + c.text;
}

}  // namespace

command_router::command_router(const config& cfg, store& st, role_resolver& roles, chat_port& chat, wall_clock now)
    : cfg_(cfg), permissions_(permissions_of(cfg)), store_(st), roles_(roles), chat_(chat), clock_(std::move(now)), zone_(date::locate_zone(cfg.timezone)) {}

std::chrono::sys_seconds command_router::now() const {
    return std::chrono::time_point_cast<std::chrono::seconds>(clock_());
}

commands::freeze_calendar command_router::calendar() const { return build_calendar(cfg_, store_); }

std::optional<reply> command_router::immediate_reply(const commands::slash_command& c) {
    auto parsed = commands::parse_command(c.command, c.text);
    if (auto* e = std::get_if<commands::parse_error>(&parsed))
        return privately(commands::error_message(e->message, e->usage));
    if (auto* h = std::get_if<commands::help_request>(&parsed)) return privately(commands::help_message(*h));
    return std::nullopt;
}

void command_router::audit(const std::string& actor, const std::string& action, const std::string& subject,
                           const std::string& outcome, nlohmann::json detail) {
    try {
        store_.append_audit({actor, action, subject, outcome, std::move(detail)}, now());
    } catch (const std::exception& e) {
        // The audit log is the record auditors rely on: a failure is loud.
        spdlog::error("audit: could not record {} {} by {}: {}", action, subject, actor, e.what());
    }
}

boost::asio::awaitable<bool> command_router::allowed(const reply_target& who, commands::action a,
                                                     const std::string& what) {
    const auto held = co_await roles_.roles_of(who.user_id);
    const auto d = commands::authorize(permissions_, a, held, who.user_id);
    if (d.allowed) co_return true;
    nlohmann::json needed = nlohmann::json::array();
    for (auto r : d.needed) needed.push_back(std::string{commands::to_string(r)});
    audit(who.user_id, std::string{commands::to_string(a)}, what, "refused", {{"needed", needed}, {"reason", d.reason}});
    co_await chat_.reply(who, privately(commands::refusal_message(d.reason)));
    co_return false;
}

boost::asio::awaitable<void> command_router::on_command(commands::slash_command c, bool answered_in_ack) {
    const auto who = target_of(c);
    const auto line = command_line(c);
    auto parsed = commands::parse_command(c.command, c.text);

    if (auto* e = std::get_if<commands::parse_error>(&parsed)) {
        audit(c.user_id, "command", line, "rejected", {{"error", e->message}});
        if (!answered_in_ack) co_await chat_.reply(who, privately(commands::error_message(e->message, e->usage)));
        co_return;
    }
    if (auto* h = std::get_if<commands::help_request>(&parsed)) {
        audit(c.user_id, "command", line, "ok");
        if (!answered_in_ack) co_await chat_.reply(who, privately(commands::help_message(*h)));
        co_return;
    }
    if (auto* p = std::get_if<commands::promote_request>(&parsed)) {
        audit(c.user_id, "command", line, "not_available");
        co_await chat_.reply(who, privately(commands::describe_request(*p)));
        co_return;
    }
    if (auto* r = std::get_if<commands::rollback_request>(&parsed)) {
        audit(c.user_id, "command", line, "not_available");
        co_await chat_.reply(who, privately(commands::describe_request(*r)));
        co_return;
    }
    const auto& f = std::get<commands::freeze_request>(parsed);
    switch (f.what) {
    case commands::freeze_request::kind::status: {
        const auto t = now();
        audit(c.user_id, "command", line, "ok");
        co_await chat_.reply(who, in_channel(commands::freeze_status_message(calendar().status_at(t), t, zone_)));
        break;
    }
    case commands::freeze_request::kind::list: {
        const auto t = now();
        const auto windows = calendar().windows_between(t, t + std::chrono::days{f.days});
        std::vector<commands::removable_window> removable;
        for (const auto& w : ad_hoc_windows(store_))
            if (w.end > t) removable.push_back(w);
        audit(c.user_id, "command", line, "ok");
        co_await chat_.reply(who, in_channel(commands::freeze_list_message(windows, removable, t, f.days, zone_)));
        break;
    }
    case commands::freeze_request::kind::add:
        if (co_await allowed(who, commands::action::manage_freeze, line)) co_await freeze_add(c, f.from, f.to, f.reason);
        break;
    case commands::freeze_request::kind::remove:
        if (co_await allowed(who, commands::action::manage_freeze, line)) co_await freeze_remove(who, f.id, line);
        break;
    }
}

boost::asio::awaitable<void> command_router::freeze_add(const commands::slash_command& c, date::local_seconds from,
                                                        date::local_seconds to, const std::string& reason) {
    const auto who = target_of(c);
    const auto line = command_line(c);
    const auto start = to_instant(from, zone_);
    const auto end = to_instant(to, zone_);
    const auto t = now();
    if (end <= t) {
        audit(c.user_id, "freeze.add", line, "rejected", {{"error", "window ends in the past"}});
        co_await chat_.reply(who, privately(commands::error_message(
                                      "That window ends in the past (" + commands::format_local(end, zone_) +
                                          "); nothing was added.",
                                      "/freeze add <from> <to> <reason>")));
        co_return;
    }
    // A replay of a command whose window was stored before a crash: report it, add nothing.
    const auto source = c.trigger_id.empty() ? std::string{} : "trigger:" + c.trigger_id;
    if (auto earlier = store_.freeze_window_from_source(source)) {
        audit(c.user_id, "freeze.add", line, "duplicate", {{"id", earlier->id}});
        co_await chat_.reply(who, privately(commands::error_message(
                                      "This request was already handled: it added freeze window #" +
                                          std::to_string(earlier->id) + ".",
                                      "")));
        co_return;
    }
    const auto id = store_.add_freeze_window(start, end, reason, c.user_id, t, source);
    const commands::removable_window w{id, reason, start, end};
    audit(c.user_id, "freeze.add", line, "ok",
          {{"id", id}, {"start", commands::format_iso(start, zone_)}, {"end", commands::format_iso(end, zone_)},
           {"reason", reason}});
    spdlog::info("freeze window #{} added by {}", id, c.user_id);
    auto announcement = commands::freeze_added_message(w, c.user_id, zone_);
    co_await chat_.post(cfg_.slack.release_channel, announcement);
    if (c.channel_id != cfg_.slack.release_channel) co_await chat_.reply(who, privately(announcement));
}

boost::asio::awaitable<void> command_router::freeze_remove(const reply_target& who, std::int64_t id,
                                                           const std::string& via) {
    const auto existing = store_.freeze_window(id);
    if (!existing || !store_.remove_freeze_window(id, who.user_id, now())) {
        audit(who.user_id, "freeze.remove", via, "rejected", {{"id", id}, {"error", "no such window"}});
        co_await chat_.reply(who, privately(commands::error_message(
                                      "There is no active freeze window #" + std::to_string(id) +
                                          "; nothing was removed. `/freeze list` shows the windows.",
                                      "/freeze remove <id>")));
        co_return;
    }
    const commands::removable_window w{existing->id, existing->reason, existing->start, existing->end};
    audit(who.user_id, "freeze.remove", via, "ok", {{"id", id}, {"reason", existing->reason}});
    spdlog::info("freeze window #{} removed by {}", id, who.user_id);
    auto announcement = commands::freeze_removed_message(w, who.user_id, zone_);
    co_await chat_.post(cfg_.slack.release_channel, announcement);
    if (who.channel_id != cfg_.slack.release_channel) co_await chat_.reply(who, privately(announcement));
}

boost::asio::awaitable<void> command_router::on_button(commands::button_press b) {
    const auto who = target_of(b);
    const auto subject = b.action_id + " " + b.value;
    if (b.action_id == "freeze.remove") {
        std::int64_t id = 0;
        const bool numeric = !b.value.empty() && b.value.size() < 19 &&
                             b.value.find_first_not_of("0123456789") == std::string::npos;
        if (numeric) id = std::stoll(b.value);
        if (!numeric || id <= 0) {
            audit(b.user_id, "button", subject, "rejected", {{"error", "bad window id"}});
            co_await chat_.reply(who, privately(commands::error_message("That button carries no valid window ID.", "")));
            co_return;
        }
        audit(b.user_id, "button", subject, "pressed");
        if (co_await allowed(who, commands::action::manage_freeze, subject)) co_await freeze_remove(who, id, subject);
        co_return;
    }
    audit(b.user_id, "button", subject, "rejected", {{"error", "unknown action"}});
    co_await chat_.reply(who, privately(commands::error_message("This button is not handled (any more).", "")));
}

}  // namespace promotebot::bot
