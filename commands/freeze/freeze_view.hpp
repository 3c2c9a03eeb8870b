#pragma once
// How the freeze calendar is shown: Slack/console messages and the JSON
// answered to scripts (`promotebot freeze status|list --json`).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/message/message.hpp"

namespace promotebot::commands {

// "Mon 28 Dec 2026 00:00 GMT" in the zone.
std::string format_local(sys_seconds t, const date::time_zone* zone);
// ISO 8601 with the zone's offset: "2026-12-28T00:00:00+00:00".
std::string format_iso(sys_seconds t, const date::time_zone* zone);

// /freeze status: frozen or not, by which rules, until when, and the next window.
message freeze_status_message(const freeze_status& status, sys_seconds now, const date::time_zone* zone);

// An ad-hoc window that Release Managers may remove from the list view.
struct removable_window {
    std::int64_t id = 0;
    std::string reason;
    sys_seconds start;
    sys_seconds end;
};

// /freeze list [days]: the merged windows ahead, with rule names, and the
// ad-hoc windows with a Remove button each.
message freeze_list_message(const std::vector<freeze_window>& windows, const std::vector<removable_window>& ad_hoc,
                            sys_seconds from, int days, const date::time_zone* zone);

message freeze_added_message(const removable_window& w, const std::string& user_id, const date::time_zone* zone);
message freeze_removed_message(const removable_window& w, const std::string& user_id, const date::time_zone* zone);

// The public JSON shapes of `promotebot freeze status|list --json`.
// {"frozen": bool, "rules": [names], "until": ISO or null, "next": {"start","end","rules"} or null}
nlohmann::json freeze_status_json(const freeze_status& status, const date::time_zone* zone);
// {"windows": [{"start","end","rules":[names]}]}
nlohmann::json freeze_list_json(const std::vector<freeze_window>& windows, const date::time_zone* zone);

// A short text error for the person who typed something wrong.
message error_message(const std::string& what, const std::string& usage);

}  // namespace promotebot::commands
