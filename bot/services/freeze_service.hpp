#pragma once
// /freeze: answers whether prod is frozen, shows a month's calendar, lists
// the windows ahead, adds and
// removes ad-hoc windows. Each action commits its change, its audit records,
// its messages and the inbox entry that caused it in one transaction.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <date/tz.h>

#include "bot/config/config.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/effects.hpp"
#include "commands/freeze/freeze_calendar.hpp"

namespace promotebot::bot {

// One action being handled: who, what they typed or pressed, and what it
// leaves behind so far (a refusal check may already have audited something).
struct action_context {
    reply_target who;
    std::string subject;     // "/freeze add …" or "freeze.remove 12"
    std::string inbox_key;   // the inbox entry to mark done with the outcome
    std::string source_key;  // identity of the request across redeliveries ("trigger:…")
    effects fx;
};

using wall_clock = std::function<std::chrono::system_clock::time_point()>;

class freeze_service {
public:
    freeze_service(const config& cfg, store& st, wall_clock now);

    boost::asio::awaitable<void> status(action_context ctx);
    boost::asio::awaitable<void> list(action_context ctx, int days);
    // /freeze calendar: the month's grid (the current month in the configured
    // zone when none is given); a month too far from now is refused privately.
    boost::asio::awaitable<void> month(action_context ctx, std::optional<date::year_month> month);
    boost::asio::awaitable<void> add(action_context ctx, date::local_seconds from, date::local_seconds to,
                                     std::string reason);
    boost::asio::awaitable<void> remove(action_context ctx, std::int64_t id);

    // The configured calendar plus the ad-hoc windows in the store.
    boost::asio::awaitable<commands::freeze_calendar> calendar();

private:
    [[nodiscard]] sys_seconds now() const;

    const config& cfg_;
    store& store_;
    wall_clock clock_;
    const date::time_zone* zone_;
};

// Commits what an action left behind (no state change of its own).
boost::asio::awaitable<void> commit(store& st, const action_context& ctx, sys_seconds now);

}  // namespace promotebot::bot
