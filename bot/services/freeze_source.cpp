#include "bot/services/freeze_source.hpp"

namespace promotebot::bot {

sys_seconds to_instant(date::local_seconds t, const date::time_zone* zone) {
    return zone->to_sys(t, date::choose::earliest);
}

commands::freeze_calendar build_calendar(const config& cfg, const freeze_window_repository& st) {
    const auto* zone = date::locate_zone(cfg.timezone);
    std::vector<commands::dated_window> ad_hoc;
    for (const auto& w : st.freeze_windows()) {
        ad_hoc.push_back({w.reason, date::local_seconds{zone->to_local(w.start).time_since_epoch()},
                          date::local_seconds{zone->to_local(w.end).time_since_epoch()}, w.id});
    }
    return commands::freeze_calendar(zone, cfg.freeze.rules, std::move(ad_hoc));
}

std::vector<commands::removable_window> ad_hoc_windows(const freeze_window_repository& st) {
    std::vector<commands::removable_window> out;
    for (const auto& w : st.freeze_windows()) out.push_back({w.id, w.reason, w.start, w.end});
    return out;
}

}  // namespace promotebot::bot
