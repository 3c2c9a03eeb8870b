#pragma once
// The freeze calendar as configured plus the ad-hoc windows in the store.
#include "bot/config/config.hpp"
#include "bot/ports/store.hpp"
#include "commands/freeze/freeze_calendar.hpp"
#include "commands/freeze/freeze_view.hpp"

namespace promotebot::bot {

commands::freeze_calendar build_calendar(const config& cfg, const freeze_window_repository& st);
std::vector<commands::removable_window> ad_hoc_windows(const freeze_window_repository& st);
// Local wall-clock time in the configured zone to an instant (the earliest
// instant for an ambiguous time, the end of the gap for a skipped one).
sys_seconds to_instant(date::local_seconds t, const date::time_zone* zone);

}  // namespace promotebot::bot
