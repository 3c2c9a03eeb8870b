#pragma once
// The message model as JSON, to keep messages in the store (the outbox) and
// read them back exactly.
//
//   message:  {"header": str, "text": rich, "fields": [{"label": str, "value": rich}],
//              "checklist": [{"state": "pending|running|passed|failed|unknown|skipped",
//                             "text": rich, "evidence": rich}],
//              "buttons": [{"label", "action_id", "value": str, "style": "normal|primary|danger",
//                           "confirm"?: {"title", "text", "confirm_label", "deny_label": str}}],
//              "context": [rich], "preformatted"?: str}
//   rich:     [span], a span is a string (plain text) or {"user"|"channel"|"user_group": id}
//   reply:    {"visibility": "ephemeral|in_channel", "message": message}
//
// Reading checks every type and bound: anything else (a wrong type, a
// missing or unknown key, an oversized string or list) gives nullopt, never
// an exception. "preformatted" is written only when not empty, so rows
// stored before it existed read back unchanged. to_json replaces malformed UTF-8 with U+FFFD so that the
// result always serialises; for valid UTF-8 the round trip is exact.
#include <cstddef>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands/message/message.hpp"

namespace promotebot::commands {

// What message_from_json accepts at most.
struct message_json_limits {
    static constexpr std::size_t max_string = 64 * 1024;       // bytes of one string
    static constexpr std::size_t max_spans = 1000;              // spans of one rich text
    static constexpr std::size_t max_items = 500;               // fields, checklist lines, buttons, context lines
    static constexpr std::size_t max_total = 1024 * 1024;       // bytes of all strings together
    static constexpr std::size_t max_stored_mention_id = 255;  // an invalid ID is kept, within this
};

nlohmann::json to_json(const rich_text& text);
nlohmann::json to_json(const message& msg);
nlohmann::json to_json(const reply& r);

std::optional<rich_text> rich_text_from_json(const nlohmann::json& j);
std::optional<message> message_from_json(const nlohmann::json& j);
std::optional<reply> reply_from_json(const nlohmann::json& j);

}  // namespace promotebot::commands
