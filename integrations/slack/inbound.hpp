#pragma once
// Slack's inbound payloads (slash commands, block actions) decoded into the
// domain's platform-neutral inbound types. Fields are type-checked; a payload
// without the fields an action needs decodes to nothing.
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/message/inbound.hpp"

namespace promotebot::slack {

std::optional<commands::slash_command> slash_command_of(const nlohmann::json& payload);
// Every button of a block_actions payload, in order; empty for anything else.
std::vector<commands::button_press> button_presses_of(const nlohmann::json& payload);

}  // namespace promotebot::slack
