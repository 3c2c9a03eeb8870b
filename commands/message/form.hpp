#pragma once
// A platform-neutral form: what a command asks a person to fill in before it
// acts (a Slack modal, prompts on the console). The form's owner builds it,
// an adapter shows it, and the answers come back as a form_submission with
// the same callback_id and private_metadata, one value per field ID.
//
// Contract for owners:
// - field IDs are unique and non-empty; they key the submitted values and the
//   errors. Every field of the form is in the submission's values (an empty
//   string for an optional field left empty or a choice left unselected).
// - choice values are the option values (the first of each pair), never labels.
// - private_metadata is returned verbatim: keep in it what the submission
//   needs to be understood (e.g. the channel the form was opened from: a
//   Slack view_submission carries no channel). It is stored by Slack, so it
//   is as trustworthy as any inbound text: check it before use.
// - a submission is hostile input like any other: its owner validates every
//   value (required, length, choice among the options) and answers with
//   form_errors; the adapters' checks only spare the person a round trip.
// - form_defect() names what would make a form impossible to show as built;
//   the adapters refuse such a form instead of showing something else.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/message/message.hpp"

namespace promotebot::commands {

// What every platform can carry (Slack's limits, the tightest).
struct form_limits {
    static constexpr std::size_t max_id = 255;                 // bytes of a field ID or callback_id
    static constexpr std::size_t max_private_metadata = 3000;  // characters (code points)
    static constexpr std::size_t max_fields = 100;             // Slack's blocks per modal
    static constexpr std::size_t max_options = 100;            // choices of one field
    static constexpr std::size_t max_option_value = 150;       // characters of an option's value
    static constexpr std::size_t max_text_length = 3000;       // characters a text field takes at most
};

struct form_field {
    std::string id{};     // unique in the form: keys the value and the error
    std::string label{};  // shown above the input
    enum class kind { text, multiline, choice } kind = kind::text;
    std::string initial{};  // pre-filled text, or the value of the pre-selected option
    bool required = false;
    std::string hint{};  // small print under the input; may be empty
    std::vector<std::pair<std::string, std::string>> options{};  // choice only: (value, label), in order
    std::size_t max_length = 0;  // characters; 0: form_limits::max_text_length
    bool operator==(const form_field&) const = default;
};

struct form {
    std::string title{};        // short: Slack shows 24 characters
    std::string callback_id{};  // routes the submission to its owner, e.g. "promote.request"
    // Opaque, returned verbatim; at most form_limits::max_private_metadata characters.
    std::string private_metadata{};
    std::string submit_label = "Submit";
    std::string close_label = "Cancel";
    std::vector<form_field> fields{};
    std::vector<rich_text> intro{};  // prose shown above the fields
    bool operator==(const form&) const = default;
};

struct form_submission {
    std::string callback_id{};
    std::string private_metadata{};
    std::string user_id{};                        // who submitted it
    std::map<std::string, std::string> values{};  // field ID -> text, or the chosen option's value
    std::string view_id{};                        // the platform's ID of the shown form
    std::string trigger_id{};  // Slack: opens a follow-up modal within 3 s; empty in the console
    bool operator==(const form_submission&) const = default;
};

// Per field ID, what is wrong with its value; shown next to the field (Slack
// keeps the modal open) or with the field's prompt (console).
struct form_errors {
    std::map<std::string, std::string> by_field{};
    [[nodiscard]] bool empty() const { return by_field.empty(); }
    bool operator==(const form_errors&) const = default;
};

// The effective length limit of a text field.
inline std::size_t max_length_of(const form_field& f) {
    return f.max_length == 0 || f.max_length > form_limits::max_text_length ? form_limits::max_text_length
                                                                            : f.max_length;
}

// The label of a choice's option with this value; nullptr when there is none.
const std::string* option_label(const form_field& f, const std::string& value);

// Why the form cannot be shown as built (an empty, repeated or overlong ID,
// metadata too long or not UTF-8, a choice without options or with a
// pre-selection that is not one of them, too many fields or options), or
// nullopt when it can. A form with a defect is a programming error.
std::optional<std::string> form_defect(const form& f);

// Characters (code points) of valid UTF-8; nullopt when it is not UTF-8.
std::optional<std::size_t> utf8_chars(std::string_view s);

}  // namespace promotebot::commands
