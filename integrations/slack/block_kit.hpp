#pragma once
// Renders the platform-neutral message and form models as Slack Block Kit,
// within Slack's documented limits (oversized content is split or truncated,
// never rejected by Slack).
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "commands/message/form.hpp"
#include "commands/message/message.hpp"

namespace promotebot::slack {

// Block Kit limits that the renderer enforces.
struct block_kit_limits {
    static constexpr std::size_t max_blocks = 50;
    static constexpr std::size_t max_section_text = 3000;
    static constexpr std::size_t max_header_text = 150;
    static constexpr std::size_t max_button_text = 75;
    static constexpr std::size_t max_button_value = 2000;
    static constexpr std::size_t max_id = 255;  // action_id, block_id
    static constexpr std::size_t max_actions_elements = 25;
    static constexpr std::size_t max_fields = 10;
    static constexpr std::size_t max_field_text = 2000;
    static constexpr std::size_t max_context_elements = 10;
    static constexpr std::size_t max_confirm_title = 100;
    static constexpr std::size_t max_confirm_text = 300;
    static constexpr std::size_t max_confirm_button = 30;
    static constexpr std::size_t max_fallback_text = 3000;
    // Modals.
    static constexpr std::size_t max_view_blocks = 100;
    static constexpr std::size_t max_view_title = 24;   // title, submit and close
    static constexpr std::size_t max_callback_id = 255;
    static constexpr std::size_t max_private_metadata = 3000;
    static constexpr std::size_t max_input_label = 2000;
    static constexpr std::size_t max_input_hint = 2000;
    static constexpr std::size_t max_text_input = 3000;  // plain_text_input max_length
    static constexpr std::size_t max_option_text = 75;
    static constexpr std::size_t max_option_value = 150;
    static constexpr std::size_t max_radio_options = 10;  // more become a static_select
    static constexpr std::size_t max_select_options = 100;
    static constexpr std::size_t max_error_text = 2000;  // one field's error in a response_action
};

// Rich text as Slack mrkdwn: plain text with `&`, `<` and `>` escaped (so it
// can never become a mention, a broadcast or a link), mentions as `<@U…>`,
// `<#C…>` and `<!subteam^S…>`, a mention whose ID is not of Slack's shape as
// escaped plain text ("@…"). Control characters are dropped, newlines kept.
std::string to_mrkdwn(const commands::rich_text& text);

// The emoji that shows a checklist line's state.
std::string_view state_emoji(commands::line_state state);

// The `blocks` array of a message: the header, the body, the preformatted
// lines as code blocks (``` … ```), fields, checklist, buttons, context.
nlohmann::json to_blocks(const commands::message& msg);

// The App Home tab's view for views.publish: {"type": "home", "blocks": [...]}
// rendered as to_blocks does, but within a view's 100 blocks.
nlohmann::json home_view(const commands::message& msg);

// A chat.postMessage / chat.update / response_url body: {"text": summary, "blocks": [...]}.
nlohmann::json to_chat_payload(const commands::message& msg);

// A `views.open` view of a form: {"type": "modal", "callback_id",
// "private_metadata", "title", "submit", "close", "blocks"}: the intro as
// sections, then one input block per field with block_id = action_id =
// the field ID (so the submission's state.values[id][id] holds its value);
// text fields as plain_text_input (multiline, initial_value, max_length),
// choices as radio_buttons (up to 10 options) or a static_select, the
// pre-selection as initial_option. Texts are cut to Slack's limits; IDs and
// the metadata are passed unchanged when the form has no form_defect().
nlohmann::json modal_view(const commands::form& f);

// The payload of a view_submission's ack that keeps the modal open with
// each message under its field: {"response_action": "errors", "errors":
// {field ID: message}}. Without errors it is null: an ack without a
// payload closes the modal.
nlohmann::json form_errors_ack(const commands::form_errors& errors);

}  // namespace promotebot::slack
