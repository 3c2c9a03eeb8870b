#pragma once
// Runs what people do: parse, check the role, act on the store, audit, answer.
// The same router serves Slack and the console; only the chat_port differs.
#include <chrono>
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "bot/ports/chat_port.hpp"
#include "bot/config/config.hpp"
#include "bot/services/role_resolver.hpp"
#include "bot/ports/store.hpp"
#include "commands/freeze/freeze_calendar.hpp"
#include "commands/message/inbound.hpp"

namespace promotebot::bot {

class command_router {
public:
    using wall_clock = std::function<std::chrono::system_clock::time_point()>;

    command_router(const config& cfg, store& st, role_resolver& roles, chat_port& chat,
                   wall_clock now = std::chrono::system_clock::now);

    // Pure: the answer that can travel in the envelope's ack (help and
    // malformed commands need no I/O), if any.
    static std::optional<commands::reply> immediate_reply(const commands::slash_command& c);

    // `answered_in_ack`: the immediate reply already reached the person.
    boost::asio::awaitable<void> on_command(commands::slash_command c, bool answered_in_ack = false);
    boost::asio::awaitable<void> on_button(commands::button_press b);

    [[nodiscard]] commands::freeze_calendar calendar() const;

private:
    boost::asio::awaitable<void> freeze_add(const commands::slash_command& c, date::local_seconds from,
                                            date::local_seconds to, const std::string& reason);
    boost::asio::awaitable<void> freeze_remove(const reply_target& who, std::int64_t id, const std::string& via);
    boost::asio::awaitable<bool> allowed(const reply_target& who, commands::action a, const std::string& what);
    void audit(const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& outcome, nlohmann::json detail = nlohmann::json::object());
    [[nodiscard]] std::chrono::sys_seconds now() const;

    const config& cfg_;
    commands::permission_table permissions_;
    store& store_;
    role_resolver& roles_;
    chat_port& chat_;
    wall_clock clock_;
    const date::time_zone* zone_;
};

}  // namespace promotebot::bot
