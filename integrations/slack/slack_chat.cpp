#include "integrations/slack/slack_chat.hpp"

#include <array>
#include <string_view>

#include "integrations/slack/block_kit.hpp"

namespace promotebot::slack {

namespace asio = boost::asio;
using json = nlohmann::json;
using bot::delivery_result;
using outcome = delivery_result::outcome;

namespace {

// Slack's ok:false errors that say "not now" rather than "never".
constexpr std::array<std::string_view, 4> transient_errors{"internal_error", "fatal_error", "service_unavailable",
                                                           "request_timeout"};

// Pages of channel history searched for a post in doubt; Slack returns up to 200 messages a page.
constexpr int max_history_pages = 5;

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

json response_body(const commands::reply& r) {
    auto body = to_chat_payload(r.body);
    body["response_type"] = r.audience == commands::visibility::ephemeral ? "ephemeral" : "in_channel";
    return body;
}

delivery_result delivery_of(const api_result& r) {
    delivery_result d;
    d.error = r.error;
    d.retry_after = r.retry_after;
    if (r.ok()) {
        d.what = outcome::delivered;
        d.ts = r.body.is_object() ? text_of(r.body, "ts") : std::string{};
        return d;
    }
    switch (r.delivered) {
    case delivery::not_sent: d.what = outcome::not_sent; return d;
    case delivery::maybe_sent: d.what = outcome::maybe_sent; return d;
    case delivery::answered: break;
    }
    if (r.retry_after || r.error == "ratelimited") {
        d.what = outcome::not_sent;  // Slack refused it for now: it did not take effect
        return d;
    }
    for (auto e : transient_errors)
        if (r.error == e) {
            d.what = outcome::maybe_sent;
            return d;
        }
    d.what = outcome::rejected;
    return d;
}

asio::awaitable<delivery_result> slack_chat::post(const std::string& channel, const commands::message& m,
                                                  std::int64_t outbox_id) {
    auto payload = to_chat_payload(m);
    payload["channel"] = channel;
    payload["metadata"] = {{"event_type", outbox_event_type}, {"event_payload", {{"outbox_id", outbox_id}}}};
    co_return delivery_of(co_await api_.call("chat.postMessage", std::move(payload)));
}

asio::awaitable<bot::lookup_result> slack_chat::find_post(const std::string& channel, std::int64_t outbox_id,
                                                          std::chrono::sys_seconds since) {
    std::string cursor;
    for (int page = 0; page < max_history_pages; ++page) {
        json args = {{"channel", channel},
                     {"oldest", std::to_string(since.time_since_epoch().count())},
                     {"include_all_metadata", true},
                     {"limit", 200}};
        if (!cursor.empty()) args["cursor"] = cursor;
        auto r = co_await api_.call("conversations.history", std::move(args));
        if (!r.ok()) co_return bot::lookup_result{bot::lookup_result::outcome::unknown, {}, r.error};
        const auto messages = r.body.find("messages");
        if (messages == r.body.end() || !messages->is_array())
            co_return bot::lookup_result{bot::lookup_result::outcome::unknown, {}, "history without messages"};
        for (const auto& msg : *messages) {
            if (!msg.is_object()) continue;
            const auto meta = msg.find("metadata");
            if (meta == msg.end() || !meta->is_object() || text_of(*meta, "event_type") != outbox_event_type) continue;
            const auto payload = meta->find("event_payload");
            if (payload == meta->end() || !payload->is_object()) continue;
            const auto id = payload->find("outbox_id");
            if (id != payload->end() && id->is_number_integer() && id->get<std::int64_t>() == outbox_id)
                co_return bot::lookup_result{bot::lookup_result::outcome::found, text_of(msg, "ts"), {}};
        }
        const auto meta = r.body.find("response_metadata");
        cursor = meta != r.body.end() && meta->is_object() ? text_of(*meta, "next_cursor") : std::string{};
        if (cursor.empty()) co_return bot::lookup_result{bot::lookup_result::outcome::absent, {}, {}};
    }
    co_return bot::lookup_result{bot::lookup_result::outcome::unknown, {}, "too much history to search"};
}

asio::awaitable<delivery_result> slack_chat::update(const std::string& channel, const std::string& ts,
                                                    const commands::message& m) {
    auto payload = to_chat_payload(m);
    payload["channel"] = channel;
    payload["ts"] = ts;
    co_return delivery_of(co_await api_.call("chat.update", std::move(payload)));
}

asio::awaitable<delivery_result> slack_chat::reply(const std::string& channel, const std::string& thread_ts,
                                                   const commands::message& m) {
    auto payload = to_chat_payload(m);
    payload["channel"] = channel;
    payload["thread_ts"] = thread_ts;
    co_return delivery_of(co_await api_.call("chat.postMessage", std::move(payload)));
}

asio::awaitable<delivery_result> slack_chat::ephemeral(const std::string& channel, const std::string& user,
                                                       const commands::message& m) {
    auto payload = to_chat_payload(m);
    payload["channel"] = channel;
    payload["user"] = user;
    co_return delivery_of(co_await api_.call("chat.postEphemeral", std::move(payload)));
}

asio::awaitable<delivery_result> slack_chat::respond(const std::string& response_url, const std::string& channel,
                                                     const std::string& user, bool in_channel,
                                                     const commands::message& m) {
    auto body = response_body({m, in_channel ? commands::visibility::in_channel : commands::visibility::ephemeral});
    auto r = delivery_of(co_await api_.post_response_url(response_url, std::move(body)));
    // An expired or refused URL: the Web API reaches the person instead.
    if (r.what != outcome::rejected) co_return r;
    if (!in_channel) co_return co_await ephemeral(channel, user, m);
    auto payload = to_chat_payload(m);
    payload["channel"] = channel;
    co_return delivery_of(co_await api_.call("chat.postMessage", std::move(payload)));
}

asio::awaitable<delivery_result> slack_chat::open_form(const std::string& trigger_id, const commands::form& f) {
    if (auto defect = commands::form_defect(f))
        co_return delivery_result{outcome::rejected, {}, "form " + f.callback_id + ": " + *defect, {}};
    if (trigger_id.empty()) co_return delivery_result{outcome::rejected, {}, "no trigger_id to open a form with", {}};
    json args = {{"trigger_id", trigger_id}, {"view", modal_view(f)}};
    // One send: views.open is not safe to repeat (web_api's safe_to_repeat
    // table), and a retry after a backoff or a Retry-After would only meet
    // an expired trigger, late.
    auto r = co_await api_.call_once("views.open", std::move(args));
    auto d = delivery_of(r);
    if (d.ok()) {
        const auto view = r.body.is_object() ? r.body.find("view") : r.body.end();
        d.ts = view != r.body.end() && view->is_object() ? text_of(*view, "id") : std::string{};
    }
    co_return d;
}

asio::awaitable<delivery_result> slack_chat::publish_home(const std::string& user_id, const commands::message& m) {
    if (!commands::is_slack_id(commands::mention_kind::user, user_id))
        co_return delivery_result{outcome::rejected, {}, "no user ID to publish a Home tab for", {}};
    json args = {{"user_id", user_id}, {"view", home_view(m)}};
    co_return delivery_of(co_await api_.call("views.publish", std::move(args)));
}

}  // namespace promotebot::slack
