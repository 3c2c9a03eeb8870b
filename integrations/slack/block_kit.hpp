#pragma once
// Renders the platform-neutral message model as Slack Block Kit, within
// Slack's documented limits (oversized content is split or truncated, never
// rejected by Slack).
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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
};

// Rich text as Slack mrkdwn: plain text with `&`, `<` and `>` escaped (so it
// can never become a mention, a broadcast or a link), mentions as `<@U…>`,
// `<#C…>` and `<!subteam^S…>`, a mention whose ID is not of Slack's shape as
// escaped plain text ("@…"). Control characters are dropped, newlines kept.
std::string to_mrkdwn(const commands::rich_text& text);

// The emoji that shows a checklist line's state.
std::string_view state_emoji(commands::line_state state);

// The `blocks` array of a message.
nlohmann::json to_blocks(const commands::message& msg);

// A chat.postMessage / chat.update / response_url body: {"text": summary, "blocks": [...]}.
nlohmann::json to_chat_payload(const commands::message& msg);

}  // namespace promotebot::slack
