#include "commands/message/form.hpp"

#include <set>

#include "commands/message/utf8.hpp"

namespace promotebot::commands {

std::optional<std::size_t> utf8_chars(std::string_view s) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_length(s, i);
        if (n == 0) return std::nullopt;
        i += n;
        ++chars;
    }
    return chars;
}

const std::string* option_label(const form_field& f, const std::string& value) {
    for (const auto& [v, label] : f.options)
        if (v == value) return &label;
    return nullptr;
}

std::optional<std::string> form_defect(const form& f) {
    auto id_defect = [](const std::string& id, const std::string& what) -> std::optional<std::string> {
        if (id.empty()) return what + " is empty";
        if (id.size() > form_limits::max_id) return what + " is longer than 255 bytes";
        if (!utf8_chars(id)) return what + " is not UTF-8";
        for (const char c : id)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return what + " holds a control character";
        return std::nullopt;
    };
    if (auto d = id_defect(f.callback_id, "the callback_id")) return d;
    const auto metadata = utf8_chars(f.private_metadata);
    if (!metadata) return std::string{"the private_metadata is not UTF-8"};
    if (*metadata > form_limits::max_private_metadata)
        return "the private_metadata is longer than " + std::to_string(form_limits::max_private_metadata) +
               " characters";
    if (f.fields.empty()) return std::string{"the form has no fields"};
    if (f.fields.size() > form_limits::max_fields)
        return "the form has more than " + std::to_string(form_limits::max_fields) + " fields";
    std::set<std::string> ids;
    for (const auto& field : f.fields) {
        if (auto d = id_defect(field.id, "a field ID")) return d;
        if (!ids.insert(field.id).second) return "the field ID '" + field.id + "' is used twice";
        if (field.kind != form_field::kind::choice) continue;
        if (field.options.empty()) return "the choice '" + field.id + "' has no options";
        if (field.options.size() > form_limits::max_options)
            return "the choice '" + field.id + "' has more than " + std::to_string(form_limits::max_options) +
                   " options";
        std::set<std::string> values;
        for (const auto& [value, label] : field.options) {
            if (auto d = id_defect(value, "an option value of '" + field.id + "'")) return d;
            if (*utf8_chars(value) > form_limits::max_option_value)
                return "an option value of '" + field.id + "' is longer than " +
                       std::to_string(form_limits::max_option_value) + " characters";
            if (!values.insert(value).second) return "the choice '" + field.id + "' offers '" + value + "' twice";
        }
        if (!field.initial.empty() && !values.count(field.initial))
            return "the choice '" + field.id + "' pre-selects '" + field.initial + "', which it does not offer";
    }
    return std::nullopt;
}

}  // namespace promotebot::commands
