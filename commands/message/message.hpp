#pragma once
// The platform-neutral message model that every command renders to.
// integrations/slack turns it into Block Kit, the console adapter into text.
#include <optional>
#include <string>
#include <vector>

namespace promotebot::commands {

enum class line_state { pending, running, passed, failed, unknown, skipped };
enum class button_style { normal, primary, danger };

// A confirmation dialog shown before a dangerous button's action runs.
struct confirm_dialog {
    std::string title;
    std::string text;
    std::string confirm_label = "Confirm";
    std::string deny_label = "Cancel";
};

struct button {
    std::string label;      // shown on the button
    std::string action_id;  // which handler receives the press, e.g. "freeze.remove"
    std::string value;      // opaque argument of the action, e.g. a window ID
    button_style style = button_style::normal;
    std::optional<confirm_dialog> confirm;
};

struct field {
    std::string label;
    std::string value;
};

// One line of a live checklist: a gate, a sign-off or a deployment step.
struct checklist_line {
    line_state state = line_state::pending;
    std::string text;
    std::string evidence;  // a number, a link or a time backing the state
};

struct message {
    std::string header;                     // one short title line
    std::string text;                       // body, light markdown (*bold*, `code`)
    std::vector<field> fields;              // label/value pairs
    std::vector<checklist_line> checklist;  // live state lines
    std::vector<button> buttons;            // actions, in order
    std::vector<std::string> context;       // small print lines
    // A one-line plain-text summary for notifications and fallbacks.
    [[nodiscard]] std::string summary() const { return header.empty() ? text : header; }
};

enum class visibility { ephemeral, in_channel };

// What a handler answers to the person who acted.
struct reply {
    message body;
    visibility audience = visibility::ephemeral;
};

}  // namespace promotebot::commands
