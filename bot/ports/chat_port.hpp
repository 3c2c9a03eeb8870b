#pragma once
// Where the bot's answers go: Slack (Web API + response_url) or the console.
#include <string>

#include <boost/asio/awaitable.hpp>

#include "commands/message/message.hpp"

namespace promotebot::bot {

// The person who acted, and how to answer them.
struct reply_target {
    std::string user_id;
    std::string channel_id;
    std::string response_url;  // Slack only
};

class chat_port {
public:
    virtual ~chat_port() = default;
    // Answers the person who acted: privately (ephemeral) or visibly in their channel.
    virtual boost::asio::awaitable<void> reply(const reply_target& to, const commands::reply& r) = 0;
    // Posts a message to a channel; returns its timestamp (its ID), empty on failure.
    virtual boost::asio::awaitable<std::string> post(const std::string& channel, const commands::message& m) = 0;
    // Replaces a posted message (coalesced by the Slack adapter).
    virtual boost::asio::awaitable<void> update(const std::string& channel, const std::string& ts,
                                                const commands::message& m) = 0;
};

}  // namespace promotebot::bot
