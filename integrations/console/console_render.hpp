#pragma once
// Renders the platform-neutral message model as plain terminal text for the
// console adapter.
#include <string>
#include <string_view>

#include "commands/message/message.hpp"

namespace promotebot::console {

// The marker that shows a checklist line's state: "[ok]", "[FAIL]", "[ ?]", "[..]", "[ -]", "[  ]".
std::string_view state_marker(commands::line_state state);

// Header, body, preformatted lines as they are, fields as "label: value", checklist lines with markers and
// evidence, numbered buttons ("[1] Approve  [2] Reject", counting from
// first_button_number), then context lines. An ephemeral reply starts with
// "(only you can see this)". Control characters in the message never reach
// the terminal. Every line ends with '\n'.
std::string render_text(const commands::message& msg, int first_button_number, bool ephemeral);

// Text safe for a terminal: valid UTF-8 (malformed bytes as '?') without C0,
// DEL or C1 controls; tabs become spaces, newlines are kept when asked.
// Mentions read as @U123, #C123, @S123.
std::string terminal_text(std::string_view text, bool keep_newlines);
std::string terminal_rich_text(const commands::rich_text& text, bool keep_newlines);

}  // namespace promotebot::console
