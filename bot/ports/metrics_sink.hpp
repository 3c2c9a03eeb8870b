#pragma once
// Where the adapters report what they count (Socket Mode envelopes and acks,
// link replacements, Web API calls), so they need no metrics library and no
// service. Every label value is one of the fixed lists below: a name from the
// wire that is not on a list counts as `other`, so no input can grow the
// number of series. The calls sit on the ack path: an implementation must be
// cheap (no allocation, no lock) and must not throw. The default sink drops
// everything.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace promotebot::bot {

// Socket Mode envelope types.
enum class envelope_type : std::uint8_t { slash_commands, interactive, events_api, other };
inline constexpr std::array<std::string_view, 4> envelope_type_names{"slash_commands", "interactive", "events_api",
                                                                      "other"};

// Why a Socket Mode link was replaced or opened again.
enum class reconnect_reason : std::uint8_t {
    slack_disconnect,  // Slack sent `disconnect` (refresh, warning): replaced make-before-break
    closed,            // the link closed or failed unexpectedly
    silent,            // no frame and no pong within the dead-link timeout
    no_hello,          // the link came up but Slack sent no hello in time
    open_failed,       // apps.connections.open or the connection set-up failed
    rate_limited,      // apps.connections.open was rate limited
};
inline constexpr std::array<std::string_view, 6> reconnect_reason_names{
    "slack_disconnect", "closed", "silent", "no_hello", "open_failed", "rate_limited"};

// The Web API methods the bot calls; `response_url` stands for POSTs to a response URL.
enum class web_api_method : std::uint8_t {
    apps_connections_open,
    auth_test,
    chat_post_message,
    chat_post_ephemeral,
    chat_update,
    conversations_history,
    conversations_replies,
    usergroups_users_list,
    users_info,
    views_open,
    views_publish,
    views_update,
    response_url,
    other,
};
inline constexpr std::array<std::string_view, 14> web_api_method_names{
    "apps.connections.open", "auth.test",    "chat.postMessage", "chat.postEphemeral", "chat.update",
    "conversations.history", "conversations.replies", "usergroups.users.list", "users.info", "views.open",
    "views.publish",         "views.update", "response_url",     "other"};

constexpr std::string_view name_of(envelope_type t) { return envelope_type_names[static_cast<std::size_t>(t)]; }
constexpr std::string_view name_of(reconnect_reason r) { return reconnect_reason_names[static_cast<std::size_t>(r)]; }
constexpr std::string_view name_of(web_api_method m) { return web_api_method_names[static_cast<std::size_t>(m)]; }

constexpr envelope_type envelope_type_of(std::string_view type) {
    for (std::size_t i = 0; i + 1 < envelope_type_names.size(); ++i)
        if (envelope_type_names[i] == type) return static_cast<envelope_type>(i);
    return envelope_type::other;
}

constexpr web_api_method web_api_method_of(std::string_view method) {
    for (std::size_t i = 0; i + 1 < web_api_method_names.size(); ++i)
        if (web_api_method_names[i] == method) return static_cast<web_api_method>(i);
    return web_api_method::other;
}

class metrics_sink {
public:
    virtual ~metrics_sink() = default;
    // A Socket Mode envelope arrived (a redelivery too).
    virtual void envelope_received(envelope_type) noexcept {}
    // Its ack was written to the link, `latency` after the frame was read.
    virtual void envelope_acked(envelope_type, std::chrono::nanoseconds latency) noexcept {}
    // A link is being replaced or opened again.
    virtual void link_reconnect(reconnect_reason) noexcept {}
    // One HTTP request of a Web API call was sent; `rate_limited` when Slack
    // answered HTTP 429 (or ok:false ratelimited).
    virtual void web_api_request(web_api_method, bool rate_limited) noexcept {}
};

// The sink that counts nothing: what the adapters use unless given another.
inline metrics_sink& no_metrics() {
    static metrics_sink none;
    return none;
}

}  // namespace promotebot::bot
