#pragma once
// The app's Home tab: when someone opens it, the current state of releases
// (freeze, open requests and their gates, recent deployments, deploy locks)
// is read from the store in one snapshot, rendered (commands/home) and
// published for that person.
//
// Published directly through chat_port::publish_home, not through the outbox:
// the tab is a view of the current state, not an announcement. Nothing is
// lost when a publish fails: it is logged, and the next time the person opens
// the tab it is published again from the state at that time; a queued copy
// would only show a staler state later. Opening the tab changes nothing, so
// it is neither journaled in the inbox nor audited.
#include <string>

#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/chat_port.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/freeze_service.hpp"
#include "commands/message/inbound.hpp"
#include "commands/message/message.hpp"

namespace promotebot::bot {

class home_service {
public:
    home_service(const config& cfg, store& st, chat_port& chat, wall_clock now);

    // Publishes the Home tab for the person who opened it. Never throws: a
    // store or delivery failure is logged.
    boost::asio::awaitable<void> opened(commands::home_opened e);

    // The Home tab as of now.
    boost::asio::awaitable<commands::message> view();

private:
    [[nodiscard]] sys_seconds now() const;

    const config& cfg_;
    store& store_;
    chat_port& chat_;
    wall_clock clock_;
    const date::time_zone* zone_;
};

}  // namespace promotebot::bot
