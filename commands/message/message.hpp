#pragma once
// The platform-neutral message model that every command renders to.
// integrations/slack turns it into Block Kit, the console adapter into text.
//
// Prose is `rich_text`: plain text spans and typed mentions. Plain text is
// always shown as typed (a renderer escapes it), so text that came from a
// user can never become a mention, a broadcast (@channel, @here) or a link;
// only a `mention` built in code can notify someone.
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace promotebot::commands {

enum class line_state { pending, running, passed, failed, unknown, skipped };
enum class button_style { normal, primary, danger };

enum class mention_kind { user, channel, user_group };

// Someone or somewhere to notify, by chat-platform ID ("U0RM00001").
struct mention {
    mention_kind kind = mention_kind::user;
    std::string id;
    bool operator==(const mention&) const = default;
};

inline mention user_mention(std::string id) { return {mention_kind::user, std::move(id)}; }
inline mention channel_mention(std::string id) { return {mention_kind::channel, std::move(id)}; }
inline mention group_mention(std::string id) { return {mention_kind::user_group, std::move(id)}; }

// Slack's IDs are 9 or 11 characters today (U0123ABCD, C0123456789); the
// bounds leave room to grow while refusing anything that cannot be an ID.
inline constexpr std::size_t min_slack_id = 9;
inline constexpr std::size_t max_slack_id = 21;
inline constexpr std::size_t max_mention_id = max_slack_id;

// The one validator of Slack IDs, for mentions and for configuration: a
// prefix letter that fits the kind (U or W for a user, C, G or D for a
// channel, S for a user group), then capital letters and digits,
// min_slack_id to max_slack_id characters in all. Linear, no backtracking.
inline bool is_slack_id(mention_kind kind, std::string_view id) {
    if (id.size() < min_slack_id || id.size() > max_slack_id) return false;
    const char p = id.front();
    switch (kind) {
        case mention_kind::user:
            if (p != 'U' && p != 'W') return false;
            break;
        case mention_kind::channel:
            if (p != 'C' && p != 'G' && p != 'D') return false;
            break;
        case mention_kind::user_group:
            if (p != 'S') return false;
            break;
    }
    for (const char c : id)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

// What a Slack ID of this kind looks like, for messages that refuse one.
inline std::string_view slack_id_shape(mention_kind kind) {
    switch (kind) {
        case mention_kind::user: return "U or W then capital letters or digits, 9 to 21 characters, e.g. U0123ABCD";
        case mention_kind::channel:
            return "C, G or D then capital letters or digits, 9 to 21 characters, e.g. C0123456789; not the #name";
        case mention_kind::user_group: return "S then capital letters or digits, 9 to 21 characters, e.g. S0123ABCD";
    }
    return "";
}

// Renderers show a mention whose ID is not of Slack's shape as plain text.
inline bool is_valid(const mention& m) { return is_slack_id(m.kind, m.id); }

// How a mention reads without markup: "@U0RM00001", "#C0RELEASE1", "@S0RM".
inline std::string readable(const mention& m) {
    return (m.kind == mention_kind::channel ? "#" : "@") + m.id;
}

// Text with mentions: a sequence of plain text spans and mention spans.
// Adjacent plain spans are merged and empty ones dropped, so two texts that
// read the same compare equal.
class rich_text {
public:
    using span = std::variant<std::string, mention>;

    rich_text() = default;
    // Plain text, shown as typed: implicit, so a string is a rich_text without mentions.
    rich_text(std::string plain) { append(std::move(plain)); }       // NOLINT(google-explicit-constructor)
    rich_text(const char* plain) { append(std::string(plain)); }     // NOLINT(google-explicit-constructor)
    rich_text(std::string_view plain) { append(std::string(plain)); }  // NOLINT(google-explicit-constructor)
    rich_text(mention m) { append(std::move(m)); }                     // NOLINT(google-explicit-constructor)

    rich_text& append(std::string plain) {
        if (plain.empty()) return *this;
        if (!spans_.empty())
            if (auto* last = std::get_if<std::string>(&spans_.back())) {
                *last += plain;
                return *this;
            }
        spans_.emplace_back(std::move(plain));
        return *this;
    }
    rich_text& append(const char* plain) { return append(std::string(plain)); }
    rich_text& append(mention m) {
        spans_.emplace_back(std::move(m));
        return *this;
    }
    rich_text& append(const rich_text& more) {
        for (const auto& s : more.spans_) std::visit([this](const auto& v) { append(v); }, s);
        return *this;
    }
    rich_text& operator+=(const rich_text& more) { return append(more); }

    [[nodiscard]] const std::vector<span>& spans() const { return spans_; }
    [[nodiscard]] bool empty() const { return spans_.empty(); }
    // The text with every mention in its readable form ("Added by @U0RM00001").
    [[nodiscard]] std::string readable() const {
        std::string out;
        for (const auto& s : spans_)
            std::visit(
                [&out](const auto& v) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, mention>) out += commands::readable(v);
                    else out += v;
                },
                s);
        return out;
    }
    bool operator==(const rich_text&) const = default;

private:
    std::vector<span> spans_;
};

// "Added by " + user_mention(id)
inline rich_text operator+(rich_text a, const rich_text& b) { return std::move(a.append(b)); }

// A confirmation dialog shown before a dangerous button's action runs.
struct confirm_dialog {
    std::string title;
    std::string text;
    std::string confirm_label = "Confirm";
    std::string deny_label = "Cancel";
    bool operator==(const confirm_dialog&) const = default;
};

struct button {
    std::string label;      // shown on the button
    std::string action_id;  // which handler receives the press, e.g. "freeze.remove"
    std::string value;      // opaque argument of the action, e.g. a window ID
    button_style style = button_style::normal;
    std::optional<confirm_dialog> confirm;
    bool operator==(const button&) const = default;
};

struct field {
    std::string label;
    rich_text value;
    bool operator==(const field&) const = default;
};

// One line of a live checklist: a gate, a sign-off or a deployment step.
struct checklist_line {
    line_state state = line_state::pending;
    rich_text text;
    rich_text evidence;  // a number, a link or a time backing the state
    bool operator==(const checklist_line&) const = default;
};

struct message {
    std::string header;                     // one short title line, no mentions
    rich_text text;                         // body, light markdown (*bold*, `code`)
    // Monospace lines shown exactly as written, after the body: a grid or a
    // table whose columns must line up. Slack shows it as a code block, the
    // console as plain lines; it carries no markup and no mentions.
    std::string preformatted;
    std::vector<field> fields;              // label/value pairs
    std::vector<checklist_line> checklist;  // live state lines
    std::vector<button> buttons;            // actions, in order
    std::vector<rich_text> context;         // small print lines
    // A one-line summary for notifications and fallbacks.
    [[nodiscard]] rich_text summary() const { return header.empty() ? text : rich_text(header); }
    bool operator==(const message&) const = default;
};

enum class visibility { ephemeral, in_channel };

// What a handler answers to the person who acted.
struct reply {
    message body;
    visibility audience = visibility::ephemeral;
    bool operator==(const reply&) const = default;
};

// An answer only the person who acted sees.
inline reply privately(message m) { return {std::move(m), visibility::ephemeral}; }
// An answer the whole channel sees.
inline reply in_channel(message m) { return {std::move(m), visibility::in_channel}; }

}  // namespace promotebot::commands
