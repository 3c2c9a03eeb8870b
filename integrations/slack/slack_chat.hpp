#pragma once
// The chat port on Slack: the outbox's deliveries as Web API calls and
// response_url posts, each reporting what is known about whether it arrived;
// forms as modals (views.open, never sent twice: a repeat would open a second
// modal, or fail on the used trigger); the Home tab with views.publish.
#include "bot/ports/chat_port.hpp"
#include "integrations/slack/web_api.hpp"

namespace promotebot::slack {

// The metadata event type that marks a post with its outbox row's ID.
inline constexpr const char* outbox_event_type = "promotebot_outbox";

class slack_chat : public bot::chat_port {
public:
    explicit slack_chat(web_api& api) : api_(api) {}

    boost::asio::awaitable<bot::delivery_result> post(const std::string& channel, const commands::message& m,
                                                      std::int64_t outbox_id) override;
    boost::asio::awaitable<bot::lookup_result> find_post(const std::string& channel, std::int64_t outbox_id,
                                                         std::chrono::sys_seconds since) override;
    boost::asio::awaitable<bot::delivery_result> reply(const std::string& channel, const std::string& thread_ts,
                                                       const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> update(const std::string& channel, const std::string& ts,
                                                        const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> ephemeral(const std::string& channel, const std::string& user,
                                                           const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> respond(const std::string& response_url, const std::string& channel,
                                                         const std::string& user, bool in_channel,
                                                         const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> open_form(const std::string& trigger_id,
                                                           const commands::form& f) override;
    // views.publish with the message as a home view (at most 100 blocks).
    boost::asio::awaitable<bot::delivery_result> publish_home(const std::string& user_id,
                                                              const commands::message& m) override;

private:
    web_api& api_;
};

// A response_url / ack payload body for an answer: {"text", "blocks", "response_type"}.
nlohmann::json response_body(const commands::reply& r);

// How a Web API answer maps onto the outbox's outcomes.
bot::delivery_result delivery_of(const api_result& r);

}  // namespace promotebot::slack
