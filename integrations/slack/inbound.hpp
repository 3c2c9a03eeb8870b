#pragma once
// Slack's inbound payloads (slash commands, block actions, view submissions,
// the Home tab opened) decoded into the domain's platform-neutral inbound
// types. Fields are type-checked; a payload without the fields an action
// needs decodes to nothing. Payloads come from parse_bounded (nesting is
// bounded); the decoders walk a fixed depth and never recurse on input.
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/message/form.hpp"
#include "commands/message/inbound.hpp"

namespace promotebot::slack {

std::optional<commands::slash_command> slash_command_of(const nlohmann::json& payload);
// Every button of a block_actions payload, in order; empty for anything else.
std::vector<commands::button_press> button_presses_of(const nlohmann::json& payload);

// What form_submission_of accepts at most; anything larger is not a
// submission of a form promotebot built.
struct form_submission_limits {
    static constexpr std::size_t max_id = 255;                   // bytes: callback_id, block and action IDs, view ID, user ID, trigger ID
    static constexpr std::size_t max_private_metadata = 12000;   // bytes: 3000 characters of up to 4 bytes
    static constexpr std::size_t max_values = 100;               // input blocks of a modal
    static constexpr std::size_t max_value = 12000;              // bytes of one value: 3000 characters
};

// A `view_submission` interactive payload: who submitted which view
// (callback_id, private_metadata, view.id) with one value per input block,
// keyed by block_id: `.value` of a text input, `.selected_option.value` of
// radio buttons or a select (empty when nothing was entered or chosen).
// A block holding several elements gives the one whose action_id is the
// block_id. nullopt for any other payload, a missing user, view or
// callback_id, a field of the wrong type, or anything over the limits.
std::optional<commands::form_submission> form_submission_of(const nlohmann::json& payload);

// An `events_api` envelope's payload of someone opening the app's Home tab:
// {"type": "event_callback", "event": {"type": "app_home_opened", "user":
// "U…", "tab": "home"}}. nullopt for any other event, for the Messages tab
// (`tab: "messages"`), and for a user that is not a Slack user ID.
std::optional<commands::home_opened> home_opened_of(const nlohmann::json& payload);

}  // namespace promotebot::slack
