#pragma once
// How a rollback is shown: the one channel message (updated in place) with
// what will change, the steps as they run and the buttons that fit its
// phase, and the button identities the service decodes. Short sentences:
// whoever reads it may have been woken up for it.
#include <cstdint>
#include <optional>
#include <string_view>

#include <date/tz.h>

#include "commands/message/message.hpp"
#include "commands/rollback/rollback.hpp"

namespace promotebot::commands {

// Buttons of a rollback message. The value of each is "<rollback id>".
namespace rollback_buttons {
inline constexpr std::string_view confirm = "rollback.confirm";
inline constexpr std::string_view apply = "rollback.apply";
inline constexpr std::string_view cancel = "rollback.cancel";
inline constexpr std::string_view emergency = "rollback.emergency";  // the VP's half of the override
inline constexpr std::string_view on_call = "rollback.on_call";      // the on-call engineer's half
}  // namespace rollback_buttons

struct rollback_button {
    enum class what { confirm, apply, cancel, emergency, on_call } button = what::confirm;
    std::int64_t rollback_id = 0;
    bool operator==(const rollback_button&) const = default;
};
// nullopt when the action is not a rollback button or the value is no ID.
std::optional<rollback_button> rollback_button_of(std::string_view action_id, std::string_view value);
bool is_rollback_action(std::string_view action_id);

// `zone` formats times (nullptr: UTC).
message rollback_message(const rollback& r, const rollback_policy& policy, sys_seconds now,
                         const date::time_zone* zone);

}  // namespace promotebot::commands
