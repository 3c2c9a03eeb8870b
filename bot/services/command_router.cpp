#include "bot/services/command_router.hpp"

#include "commands/freeze/freeze_view.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/grammar/request_view.hpp"
#include "commands/promotion/promotion_view.hpp"
#include "commands/rollback/rollback_view.hpp"

#include <spdlog/spdlog.h>

namespace promotebot::bot {

namespace asio = boost::asio;
using commands::reply;
using commands::in_channel;
using commands::privately;

namespace {


std::string command_line(const commands::slash_command& c) {
    return c.text.empty() ? c.command : c.command + " " + c.text;
}

}  // namespace

command_router::command_router(const config& cfg, store& st, role_resolver& roles, freeze_service& freeze,
                               wall_clock now)
    : cfg_(cfg), permissions_(permissions_of(cfg)), store_(st), roles_(roles), freeze_(freeze), clock_(std::move(now)) {}

sys_seconds command_router::now() const { return std::chrono::time_point_cast<std::chrono::seconds>(clock_()); }

std::optional<reply> command_router::immediate_reply(const commands::slash_command& c) {
    auto parsed = commands::parse_command(c.command, c.text);
    if (auto* e = std::get_if<commands::parse_error>(&parsed))
        return privately(commands::error_message(e->message, e->usage));
    if (auto* h = std::get_if<commands::help_request>(&parsed)) return privately(commands::help_message(*h));
    return std::nullopt;
}

asio::awaitable<bool> command_router::allowed(action_context& ctx, commands::action a) {
    const auto held = co_await roles_.roles_of(ctx.who.user_id);
    const auto d = commands::authorize(permissions_, a, held, ctx.who.user_id);
    if (d.allowed) co_return true;
    nlohmann::json needed = nlohmann::json::array();
    for (auto r : d.needed) needed.push_back(std::string{commands::to_string(r)});
    ctx.fx.record(ctx.who.user_id, std::string{commands::to_string(a)}, ctx.subject, "refused",
                  {{"needed", needed}, {"reason", d.reason}});
    ctx.fx.answer(ctx.who, privately(commands::refusal_message(d.reason)));
    co_return false;
}

commands::message command_router::failure_message() {
    commands::message m;
    m.text = commands::rich_text{"promotebot could not record this; nothing was changed. Try again in a minute."};
    return m;
}

asio::awaitable<void> command_router::answer_failure(const reply_target& who, const std::string& what,
                                                     const std::string& why) {
    // Its inbox entry stays unfinished: a restart within 30 minutes handles it again.
    spdlog::error("could not handle {} from {}: {}", what, who.user_id, why);
    if (!direct_) co_return;
    try {
        const auto m = failure_message();
        delivery_result result;
        if (who.response_url.empty())
            result = co_await direct_->ephemeral(who.channel_id, who.user_id, m);
        else
            result = co_await direct_->respond(who.response_url, who.channel_id, who.user_id, false, m);
        if (result.what != delivery_result::outcome::delivered)
            spdlog::warn("could not tell {} that {} failed: {}", who.user_id, what, result.error);
    } catch (const std::exception& e) {
        spdlog::warn("could not tell {} that {} failed: {}", who.user_id, what, e.what());
    }
}

asio::awaitable<void> command_router::on_command(commands::slash_command c, std::string inbox_key,
                                                 bool answered_in_ack) {
    const reply_target who{c.user_id, c.channel_id, c.response_url};
    const std::string what = command_line(c);
    std::string failure;
    try {
        co_await handle_command(std::move(c), std::move(inbox_key), answered_in_ack);
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "unknown error";
    }
    if (!failure.empty()) co_await answer_failure(who, what, failure);
}

asio::awaitable<void> command_router::on_button(commands::button_press b, std::string inbox_key) {
    const reply_target who{b.user_id, b.channel_id, b.response_url};
    const std::string what = "button " + b.action_id + " " + b.value;
    std::string failure;
    try {
        co_await handle_button(std::move(b), std::move(inbox_key));
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "unknown error";
    }
    if (!failure.empty()) co_await answer_failure(who, what, failure);
}

asio::awaitable<void> command_router::on_form(commands::form_submission s, std::string inbox_key) {
    // A submission has no channel: the user's ID as the channel is their direct messages with the app.
    const reply_target who{s.user_id, s.user_id, ""};
    const std::string what = "form " + s.callback_id;
    std::string failure;
    try {
        co_await handle_form(std::move(s), std::move(inbox_key));
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "unknown error";
    }
    if (!failure.empty()) co_await answer_failure(who, what, failure);
}

std::optional<commands::form_errors> command_router::validate_form(const commands::form_submission& s) const {
    if ((s.callback_id == "promote.request" || s.callback_id == "promote.edit") && promotions_)
        return promotion_service::validate(s, cfg_);
    return std::nullopt;
}

asio::awaitable<void> command_router::handle_command(commands::slash_command c, std::string inbox_key,
                                                     bool answered_in_ack) {
    action_context ctx;
    ctx.who = {c.user_id, c.channel_id, c.response_url};
    ctx.subject = command_line(c);
    ctx.inbox_key = std::move(inbox_key);
    ctx.source_key = c.trigger_id.empty() ? std::string{} : "trigger:" + c.trigger_id;
    auto parsed = commands::parse_command(c.command, c.text);

    if (auto* e = std::get_if<commands::parse_error>(&parsed)) {
        ctx.fx.record(c.user_id, "command", ctx.subject, "rejected", {{"error", e->message}});
        if (!answered_in_ack) ctx.fx.answer(ctx.who, privately(commands::error_message(e->message, e->usage)));
        co_await commit(store_, ctx, now());
        co_return;
    }
    if (auto* h = std::get_if<commands::help_request>(&parsed)) {
        ctx.fx.record(c.user_id, "command", ctx.subject, "ok");
        if (!answered_in_ack) ctx.fx.answer(ctx.who, privately(commands::help_message(*h)));
        co_await commit(store_, ctx, now());
        co_return;
    }
    if (auto* p = std::get_if<commands::promote_request>(&parsed); p && promotions_) {
        co_await promotions_->request(std::move(ctx), *p, c.trigger_id, *forms_);
        co_return;
    }
    if (auto* p = std::get_if<commands::promote_request>(&parsed)) {
        ctx.fx.record(c.user_id, "command", ctx.subject, "not_available");
        ctx.fx.answer(ctx.who, privately(commands::describe_request(*p)));
        co_await commit(store_, ctx, now());
        co_return;
    }
    if (auto* r = std::get_if<commands::rollback_request>(&parsed); r && rollbacks_) {
        co_await rollbacks_->propose(std::move(ctx), *r);
        co_return;
    }
    if (auto* r = std::get_if<commands::rollback_request>(&parsed)) {
        ctx.fx.record(c.user_id, "command", ctx.subject, "not_available");
        ctx.fx.answer(ctx.who, privately(commands::describe_request(*r)));
        co_await commit(store_, ctx, now());
        co_return;
    }
    const auto& f = std::get<commands::freeze_request>(parsed);
    switch (f.what) {
    case commands::freeze_request::kind::status:
        co_await freeze_.status(std::move(ctx));
        break;
    case commands::freeze_request::kind::list:
        co_await freeze_.list(std::move(ctx), f.days);
        break;
    case commands::freeze_request::kind::calendar:
        co_await freeze_.month(std::move(ctx), f.month);
        break;
    case commands::freeze_request::kind::add:
        if (co_await allowed(ctx, commands::action::manage_freeze))
            co_await freeze_.add(std::move(ctx), f.from, f.to, f.reason);
        else
            co_await commit(store_, ctx, now());
        break;
    case commands::freeze_request::kind::remove:
        if (co_await allowed(ctx, commands::action::manage_freeze))
            co_await freeze_.remove(std::move(ctx), f.id);
        else
            co_await commit(store_, ctx, now());
        break;
    }
}

asio::awaitable<void> command_router::handle_button(commands::button_press b, std::string inbox_key) {
    action_context ctx;
    ctx.who = {b.user_id, b.channel_id, b.response_url};
    ctx.subject = b.action_id + " " + b.value;
    ctx.inbox_key = std::move(inbox_key);
    if (commands::is_promotion_action(b.action_id) && promotions_) {
        const auto decoded = commands::promotion_button_of(b.action_id, b.value);
        if (!decoded) {
            ctx.fx.record(b.user_id, "button", ctx.subject, "rejected", {{"error", "not a promotion button"}});
            ctx.fx.answer(ctx.who, privately(commands::error_message("That button carries no valid promotion.", "")));
            co_await commit(store_, ctx, now());
            co_return;
        }
        ctx.fx.record(b.user_id, "button", ctx.subject, "pressed");
        if (decoded->rollback && rollbacks_) {
            // A failed promotion's Roll back proposes the rollback; confirming it checks the role.
            co_await rollbacks_->propose_after(std::move(ctx), decoded->promotion_id);
            co_return;
        }
        // Roles are looked up on every press: a role taken away yesterday no longer counts.
        auto held = co_await roles_.roles_of(b.user_id);
        co_await promotions_->press(std::move(ctx), *decoded, std::move(held), b.trigger_id, *forms_);
        co_return;
    }
    if (commands::is_rollback_action(b.action_id) && rollbacks_) {
        const auto decoded = commands::rollback_button_of(b.action_id, b.value);
        if (!decoded) {
            ctx.fx.record(b.user_id, "button", ctx.subject, "rejected", {{"error", "not a rollback button"}});
            ctx.fx.answer(ctx.who, privately(commands::error_message("That button carries no valid rollback.", "")));
            co_await commit(store_, ctx, now());
            co_return;
        }
        ctx.fx.record(b.user_id, "button", ctx.subject, "pressed");
        auto held = co_await roles_.roles_of(b.user_id);
        co_await rollbacks_->press(std::move(ctx), *decoded, std::move(held));
        co_return;
    }
    if (b.action_id == "freeze.remove") {
        std::int64_t id = 0;
        const bool numeric = !b.value.empty() && b.value.size() < 19 &&
                             b.value.find_first_not_of("0123456789") == std::string::npos;
        if (numeric) id = std::stoll(b.value);
        if (!numeric || id <= 0) {
            ctx.fx.record(b.user_id, "button", ctx.subject, "rejected", {{"error", "bad window id"}});
            ctx.fx.answer(ctx.who, privately(commands::error_message("That button carries no valid window ID.", "")));
            co_await commit(store_, ctx, now());
            co_return;
        }
        ctx.fx.record(b.user_id, "button", ctx.subject, "pressed");
        if (co_await allowed(ctx, commands::action::manage_freeze))
            co_await freeze_.remove(std::move(ctx), id);
        else
            co_await commit(store_, ctx, now());
        co_return;
    }
    ctx.fx.record(b.user_id, "button", ctx.subject, "rejected", {{"error", "unknown action"}});
    ctx.fx.answer(ctx.who, privately(commands::error_message("This button is not handled (any more).", "")));
    co_await commit(store_, ctx, now());
}

asio::awaitable<void> command_router::handle_form(commands::form_submission s, std::string inbox_key) {
    action_context ctx;
    ctx.who = {s.user_id, s.user_id, ""};
    ctx.subject = "form " + s.callback_id;
    ctx.inbox_key = std::move(inbox_key);
    // Each submission has its own trigger (a view resubmitted after errors keeps its view ID).
    ctx.source_key = s.trigger_id.empty() ? std::string{} : "trigger:" + s.trigger_id;
    if (s.callback_id == "promote.request" && promotions_) {
        co_await promotions_->submit(std::move(ctx), std::move(s));
        co_return;
    }
    if (s.callback_id == "promote.edit" && promotions_) {
        co_await promotions_->submit_edit(std::move(ctx), std::move(s));
        co_return;
    }
    ctx.fx.record(s.user_id, "form", ctx.subject, "rejected", {{"error", "unknown form"}, {"view_id", s.view_id}});
    // A direct message: chat.postEphemeral needs a channel the person is in.
    ctx.fx.post(s.user_id, commands::error_message("This form is not handled (any more).", ""));
    co_await commit(store_, ctx, now());
}

}  // namespace promotebot::bot
