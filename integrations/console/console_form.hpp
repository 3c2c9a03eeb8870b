#pragma once
// A form on the terminal: the intro, then one prompt per field (label, hint,
// the default in brackets, choices numbered), one answer read per field.
//
// - An empty answer takes the default (the field's initial value).
// - A multiline field reads lines until a line holding only "."; the prompt
//   says so. No line before the "." takes the default.
// - A choice takes the option's number or its value (ASCII case ignored).
// - A required field left empty, an answer over the field's max_length or a
//   choice that is not offered is asked again, at most `max_tries` times in
//   all; then the form is abandoned with a message. So is the end of input.
// - With a validator, its errors are shown and only those fields asked
//   again (as many rounds as `max_tries`): the console's equivalent of a
//   Slack modal that stays open with errors under its fields.
// Everything shown is sanitized for the terminal (no control characters).
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "commands/message/form.hpp"
#include "integrations/console/console_chat.hpp"

namespace promotebot::console {

using form_validator = std::function<std::optional<commands::form_errors>(const commands::form_submission&)>;

struct form_prompt_options {
    int max_tries = 3;
    form_validator validate;  // empty: the answers are taken as they are
};

// The answers as a submission of `user` (view_id, callback_id and
// private_metadata from the pending form); nullopt when abandoned.
std::optional<commands::form_submission> prompt_form(const pending_form& pending, const std::string& user,
                                                     std::istream& in, std::ostream& out,
                                                     const form_prompt_options& options = {});

}  // namespace promotebot::console
