#include "integrations/console/console_form.hpp"

#include <istream>
#include <ostream>
#include <set>

#include "commands/message/text.hpp"
#include "integrations/console/console_render.hpp"

namespace promotebot::console {

namespace {

using commands::form_field;

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// One line of input without the line ending; nullopt at the end of input.
std::optional<std::string> read_line(std::istream& in) {
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

std::size_t chars_of(const std::string& s) {
    // Typed input need not be UTF-8: count bytes then, which never undercounts.
    return commands::utf8_chars(s).value_or(s.size());
}

// Where the field's answer stands after one try.
struct attempt {
    enum class outcome { answered, retry, end_of_input } what = outcome::answered;
    std::string value;
    std::string problem;  // retry: why
};

void show_prompt(const form_field& f, std::ostream& out) {
    out << terminal_text(f.label, false);
    if (f.required) out << " (required)";
    if (f.kind == form_field::kind::multiline) out << " (several lines: end with a line holding only \".\")";
    out << "\n";
    if (!f.hint.empty()) out << "  " << terminal_text(f.hint, false) << "\n";
    if (f.kind == form_field::kind::choice) {
        int n = 0;
        std::string preselected;
        for (const auto& [value, label] : f.options) {
            ++n;
            out << "  " << n << ") " << terminal_text(label.empty() ? value : label, false);
            if (!label.empty() && label != value) out << " (" << terminal_text(value, false) << ")";
            out << "\n";
            if (!f.initial.empty() && value == f.initial) preselected = std::to_string(n);
        }
        out << "  Choose 1-" << n;
        if (!preselected.empty()) out << " [" << preselected << "]";
        out << ": ";
    } else {
        if (!f.initial.empty()) {
            const bool multiline = f.kind == form_field::kind::multiline;
            out << "  [" << terminal_text(f.initial, multiline) << "]" << (multiline ? "\n" : "");
        }
        out << "> ";
    }
    out.flush();
}

attempt read_text(const form_field& f, std::istream& in) {
    const std::size_t max = commands::max_length_of(f);
    std::string value;
    if (f.kind == form_field::kind::multiline) {
        bool any = false;
        while (true) {
            auto line = read_line(in);
            if (!line) return {attempt::outcome::end_of_input, {}, {}};
            if (trim(*line) == ".") break;
            // Past the limit the rest is read (to find the ".") but not kept.
            if (value.size() <= 4 * max) value += (any ? "\n" : "") + *line;
            any = true;
        }
        if (!any || trim(value).empty()) value = f.initial;
    } else {
        auto line = read_line(in);
        if (!line) return {attempt::outcome::end_of_input, {}, {}};
        value = trim(*line);
        if (value.empty()) value = f.initial;
    }
    if (f.required && trim(value).empty()) return {attempt::outcome::retry, {}, "This field is required."};
    if (chars_of(value) > max)
        return {attempt::outcome::retry, {}, "At most " + std::to_string(max) + " characters, please."};
    return {attempt::outcome::answered, std::move(value), {}};
}

attempt read_choice(const form_field& f, std::istream& in) {
    auto line = read_line(in);
    if (!line) return {attempt::outcome::end_of_input, {}, {}};
    const std::string answer = trim(*line);
    const std::string range = "Answer with a number from 1 to " + std::to_string(f.options.size()) + ".";
    if (answer.empty()) {
        if (f.required && f.initial.empty()) return {attempt::outcome::retry, {}, "This field is required. " + range};
        return {attempt::outcome::answered, f.initial, {}};
    }
    if (answer.size() <= 3 && answer.find_first_not_of("0123456789") == std::string::npos) {
        const auto n = static_cast<std::size_t>(std::stoul(answer));
        if (n >= 1 && n <= f.options.size()) return {attempt::outcome::answered, f.options[n - 1].first, {}};
        return {attempt::outcome::retry, {}, range};
    }
    for (const auto& [value, label] : f.options)
        if (commands::iequals(value, answer)) return {attempt::outcome::answered, value, {}};
    return {attempt::outcome::retry, {}, range};
}

// Asks for one field until it is answered; nullopt when abandoned (told why on `out`).
std::optional<std::string> ask(const form_field& f, std::istream& in, std::ostream& out, int max_tries,
                               const std::string& first_problem = {}) {
    if (!first_problem.empty()) out << "  ! " << terminal_text(first_problem, false) << "\n";
    for (int tries = 1;; ++tries) {
        show_prompt(f, out);
        auto a = f.kind == form_field::kind::choice ? read_choice(f, in) : read_text(f, in);
        switch (a.what) {
        case attempt::outcome::answered: return std::move(a.value);
        case attempt::outcome::end_of_input:
            out << "\nForm abandoned: the input ended.\n";
            return std::nullopt;
        case attempt::outcome::retry:
            if (tries >= max_tries) {
                out << "  ! " << a.problem << "\nForm abandoned: \"" << terminal_text(f.label, false)
                    << "\" was not answered after " << max_tries << " tries. Nothing was submitted.\n";
                return std::nullopt;
            }
            out << "  ! " << a.problem << "\n";
            break;
        }
    }
}

}  // namespace

std::optional<commands::form_submission> prompt_form(const pending_form& pending, const std::string& user,
                                                     std::istream& in, std::ostream& out,
                                                     const form_prompt_options& options) {
    const auto& f = pending.form;
    const int max_tries = options.max_tries < 1 ? 1 : options.max_tries;
    out << "── form: " << terminal_text(f.title, false) << " ──\n";
    for (const auto& paragraph : f.intro) {
        auto text = terminal_rich_text(paragraph, true);
        if (text.empty()) continue;
        out << text << (text.back() == '\n' ? "" : "\n");
    }
    out << "(One answer per field; an empty line takes the default shown in [brackets].)\n";

    commands::form_submission s{f.callback_id, f.private_metadata, user, {}, pending.view_id, {}};
    for (const auto& field : f.fields) {
        auto value = ask(field, in, out, max_tries);
        if (!value) return std::nullopt;
        s.values[field.id] = std::move(*value);
    }
    if (!options.validate) return s;
    for (int round = 1;; ++round) {
        auto errors = options.validate(s);
        if (!errors || errors->empty()) return s;
        if (round >= max_tries) {
            out << "Form abandoned: its answers were refused " << max_tries << " times. Nothing was submitted.\n";
            for (const auto& [id, message] : errors->by_field)
                out << "  " << terminal_text(id, false) << ": " << terminal_text(message, false) << "\n";
            return std::nullopt;
        }
        // Only the refused fields are asked again, in the form's order.
        std::set<std::string> asked;
        for (const auto& field : f.fields) {
            auto refused = errors->by_field.find(field.id);
            if (refused == errors->by_field.end()) continue;
            asked.insert(field.id);
            auto value = ask(field, in, out, max_tries, refused->second);
            if (!value) return std::nullopt;
            s.values[field.id] = std::move(*value);
        }
        if (asked.empty()) {
            // Errors that name no field of the form cannot be corrected here.
            out << "Form refused:\n";
            for (const auto& [id, message] : errors->by_field)
                out << "  " << terminal_text(id, false) << ": " << terminal_text(message, false) << "\n";
            return std::nullopt;
        }
    }
}

}  // namespace promotebot::console
