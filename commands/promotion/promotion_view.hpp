#pragma once
// How a promotion request is shown: the one channel message (updated in
// place) with the live checklist and the buttons that fit its state, and the
// button identities the service decodes.
#include <optional>
#include <string>
#include <string_view>

#include <date/tz.h>

#include "commands/message/message.hpp"
#include "commands/promotion/promotion.hpp"

namespace promotebot::commands {

// Buttons of a request message. The value of each is "<promotion id>".
namespace promotion_buttons {
inline constexpr std::string_view signoff_technical = "promotion.signoff.technical";
inline constexpr std::string_view signoff_data_quality = "promotion.signoff.data_quality";
inline constexpr std::string_view approve_emergency = "promotion.signoff.emergency";
inline constexpr std::string_view on_call_present = "promotion.signoff.on_call";
inline constexpr std::string_view deploy = "promotion.deploy";
inline constexpr std::string_view apply = "promotion.apply";
inline constexpr std::string_view recheck = "promotion.recheck";
inline constexpr std::string_view cancel = "promotion.cancel";
inline constexpr std::string_view rollback = "promotion.rollback";
inline constexpr std::string_view edit = "promotion.edit";
}  // namespace promotion_buttons

// A decoded press of one of the buttons above.
struct promotion_button {
    event::pressed::what what = event::pressed::what::deploy;
    signoff_kind signoff = signoff_kind::technical;
    std::int64_t promotion_id = 0;
    bool rollback = false;  // the Rollback button of a failed or interrupted request
    bool edit = false;      // Edit details: the requester changes the Change Records or the rollback plan
};
// nullopt when the action is not a promotion button or the value is no ID.
std::optional<promotion_button> promotion_button_of(std::string_view action_id, std::string_view value);
bool is_promotion_action(std::string_view action_id);

message promotion_message(const promotion& p, const promotion_policy& policy, sys_seconds now,
                          const date::time_zone* zone);

// "4 min 12 s", "1 h 3 min"
std::string elapsed_text(std::chrono::seconds d);
// A workflow's steps as checklist lines (state, duration, summary); when it
// `ended_badly`, the last output lines of the step that failed or was cut short.
void add_step_lines(message& m, const std::vector<step_run>& steps, sys_seconds now, bool ended_badly);

}  // namespace promotebot::commands
