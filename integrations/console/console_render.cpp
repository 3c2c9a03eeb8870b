#include "integrations/console/console_render.hpp"

#include <type_traits>
#include <variant>

#include "commands/message/utf8.hpp"

namespace promotebot::console {

namespace {

// Valid UTF-8 with C0, DEL and C1 controls removed, so that text from users
// cannot move the cursor or recolour the terminal. Tabs become spaces;
// newlines are kept only where a block may span lines.
std::string sanitize(std::string_view s, bool keep_newlines) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = commands::utf8_length(s, i);
        if (n == 0) {
            out += '?';
            ++i;
            continue;
        }
        if (n == 1 && (c < 0x20 || c == 0x7F)) {
            if (c == '\n' && keep_newlines) out += '\n';
            else if (c == '\t' || c == '\n') out += ' ';
        } else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
            // C1 control: dropped.
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

// Mentions read as @U123, #C123 and @S123; the text around them is
// sanitized, so nothing a user typed is taken for anything but text.
std::string sanitize_rich(const commands::rich_text& text, bool keep_newlines) {
    std::string out;
    for (const auto& span : text.spans())
        std::visit(
            [&](const auto& v) {
                if constexpr (std::is_same_v<std::decay_t<decltype(v)>, commands::mention>)
                    out += sanitize(commands::readable(v), false);
                else
                    out += sanitize(v, keep_newlines);
            },
            span);
    return out;
}

void add_block(std::string& out, std::string_view text) {
    if (text.empty()) return;
    out += text;
    if (out.back() != '\n') out += '\n';
}

}  // namespace

std::string terminal_text(std::string_view text, bool keep_newlines) { return sanitize(text, keep_newlines); }
std::string terminal_rich_text(const commands::rich_text& text, bool keep_newlines) {
    return sanitize_rich(text, keep_newlines);
}

std::string_view state_marker(commands::line_state state) {
    switch (state) {
        case commands::line_state::pending: return "[  ]";
        case commands::line_state::running: return "[..]";
        case commands::line_state::passed: return "[ok]";
        case commands::line_state::failed: return "[FAIL]";
        case commands::line_state::unknown: return "[ ?]";
        case commands::line_state::skipped: return "[ -]";
    }
    return "[ ?]";
}

std::string render_text(const commands::message& msg, int first_button_number, bool ephemeral) {
    std::string out;
    if (ephemeral) out += "(only you can see this)\n";
    add_block(out, sanitize(msg.header, false));
    add_block(out, sanitize_rich(msg.text, true));
    add_block(out, sanitize(msg.preformatted, true));
    for (const auto& f : msg.fields) {
        // A value of several lines (a list of rules) keeps them, indented under its label.
        std::string value = sanitize_rich(f.value, true);
        for (auto at = value.find('\n'); at != std::string::npos; at = value.find('\n', at + 3))
            value.replace(at, 1, "\n  ");
        add_block(out, sanitize(f.label, false) + ": " + value);
    }
    for (const auto& line : msg.checklist) {
        std::string text(state_marker(line.state));
        text += ' ';
        text += sanitize_rich(line.text, false);
        if (!line.evidence.empty()) text += " (" + sanitize_rich(line.evidence, false) + ")";
        add_block(out, text);
    }
    std::string buttons;
    int number = first_button_number;
    for (const auto& b : msg.buttons) {
        if (!buttons.empty()) buttons += "  ";
        buttons += "[" + std::to_string(number++) + "] " + sanitize(b.label, false);
    }
    add_block(out, buttons);
    for (const auto& c : msg.context) add_block(out, sanitize_rich(c, true));
    return out;
}

}  // namespace promotebot::console
