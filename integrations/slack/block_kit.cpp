#include "integrations/slack/block_kit.hpp"
#include "commands/message/utf8.hpp"

#include <algorithm>
#include <set>
#include <type_traits>
#include <variant>
#include <vector>

namespace promotebot::slack {

namespace {

using commands::button_style;
using commands::line_state;
using commands::utf8_length;
using json = nlohmann::json;
using limits = block_kit_limits;

constexpr std::string_view ellipsis = "…";
// "```\n" before a code block's text and "\n```" after it.
constexpr std::size_t code_fence_chars = 8;

// One displayed character of rendered text: a code point, or a whole
// escape entity so that truncation never cuts one in half.
struct glyph {
    std::string text;
    std::size_t chars = 1;
};

// The one mrkdwn escaper: the three characters Slack's mrkdwn treats as
// control characters, as entities; empty for every other character.
std::string_view mrkdwn_entity(char c) {
    switch (c) {
        case '&': return "&amp;";
        case '<': return "&lt;";
        case '>': return "&gt;";
        default: return {};
    }
}

// Valid UTF-8 without control characters (newlines kept only when asked),
// escaped for mrkdwn when asked, as glyphs.
void append_glyphs(std::vector<glyph>& out, std::string_view raw, bool escape, bool keep_newlines) {
    for (std::size_t i = 0; i < raw.size();) {
        const std::size_t len = utf8_length(raw, i);
        if (len == 0) {
            out.push_back({"\xEF\xBF\xBD", 1});  // U+FFFD for a malformed byte
            ++i;
            continue;
        }
        const char c = raw[i];
        if (len == 1 && (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)) {
            if (c == '\n' && keep_newlines) out.push_back({"\n", 1});
            else if (c == '\n' || c == '\t' || c == '\r') out.push_back({" ", 1});
            i += len;
            continue;
        }
        const auto entity = escape ? mrkdwn_entity(c) : std::string_view{};
        if (!entity.empty()) out.push_back({std::string(entity), entity.size()});
        else out.push_back({std::string(raw.substr(i, len)), 1});
        i += len;
    }
}

std::vector<glyph> glyphs_of(std::string_view raw, bool escape, bool keep_newlines) {
    std::vector<glyph> out;
    out.reserve(raw.size());
    append_glyphs(out, raw, escape, keep_newlines);
    return out;
}

// Slack's markup for a mention whose ID has Slack's shape.
std::string mention_markup(const commands::mention& m) {
    switch (m.kind) {
        case commands::mention_kind::user: return "<@" + m.id + ">";
        case commands::mention_kind::channel: return "<#" + m.id + ">";
        case commands::mention_kind::user_group: return "<!subteam^" + m.id + ">";
    }
    return {};
}

// Rich text as mrkdwn glyphs: plain spans escaped, each valid mention one
// glyph (never cut in half), an invalid one as escaped plain text.
std::vector<glyph> glyphs_of(const commands::rich_text& text, bool keep_newlines) {
    std::vector<glyph> out;
    for (const auto& span : text.spans())
        std::visit(
            [&](const auto& v) {
                if constexpr (std::is_same_v<std::decay_t<decltype(v)>, commands::mention>) {
                    if (commands::is_valid(v)) {
                        std::string markup = mention_markup(v);
                        const std::size_t n = markup.size();
                        out.push_back({std::move(markup), n});
                    } else {
                        append_glyphs(out, commands::readable(v), true, false);
                    }
                } else {
                    append_glyphs(out, v, true, keep_newlines);
                }
            },
            span);
    return out;
}

std::size_t count_chars(const std::vector<glyph>& g) {
    std::size_t n = 0;
    for (const auto& x : g) n += x.chars;
    return n;
}

// At most `limit` characters; an ellipsis marks a cut when `mark` is set.
std::string fit(const std::vector<glyph>& g, std::size_t limit, bool mark = true) {
    std::string out;
    if (count_chars(g) <= limit) {
        for (const auto& x : g) out += x.text;
        return out;
    }
    const std::size_t budget = mark ? limit - 1 : limit;
    std::size_t used = 0;
    for (const auto& x : g) {
        if (used + x.chars > budget) break;
        out += x.text;
        used += x.chars;
    }
    if (mark) out += ellipsis;
    return out;
}

std::string plain(std::string_view raw, std::size_t limit, bool mark = true) {
    return fit(glyphs_of(raw, false, false), limit, mark);
}

std::string mrkdwn(const commands::rich_text& text, std::size_t limit) { return fit(glyphs_of(text, true), limit); }

// Splits text into pieces of at most `limit` characters, at line breaks
// where possible.
std::vector<std::string> split_mrkdwn(const commands::rich_text& text, std::size_t limit) {
    const auto all = glyphs_of(text, true);
    std::vector<std::string> pieces;
    std::string current;
    std::size_t current_chars = 0;
    auto flush = [&] {
        if (!current.empty()) pieces.push_back(std::move(current));
        current.clear();
        current_chars = 0;
    };
    auto start = all.begin();
    while (true) {
        const auto end = std::find_if(start, all.end(), [](const glyph& g) { return g.text == "\n"; });
        std::size_t line_chars = 0;
        for (auto it = start; it != end; ++it) line_chars += it->chars;
        const std::size_t joined = current_chars + (current_chars > 0 ? 1 : 0) + line_chars;
        if (joined <= limit) {
            if (current_chars > 0 || !current.empty()) current += '\n';
            for (auto it = start; it != end; ++it) current += it->text;
            current_chars = joined;
        } else {
            flush();
            // A single line longer than a section is cut into section-sized parts.
            std::size_t used = 0;
            for (auto it = start; it != end; ++it) {
                if (used + it->chars > limit) {
                    flush();
                    used = 0;
                }
                current += it->text;
                used += it->chars;
            }
            current_chars = used;
        }
        if (end == all.end()) break;
        start = end + 1;
    }
    flush();
    // Slack rejects sections whose text is only whitespace.
    pieces.erase(std::remove_if(pieces.begin(), pieces.end(),
                                [](const std::string& p) {
                                    return p.find_first_not_of(" \n") == std::string::npos;
                                }),
                 pieces.end());
    return pieces;
}

json plain_text(std::string text) { return {{"type", "plain_text"}, {"text", std::move(text)}, {"emoji", true}}; }
json mrkdwn_text(std::string text) { return {{"type", "mrkdwn"}, {"text", std::move(text)}}; }
json section(std::string text) { return {{"type", "section"}, {"text", mrkdwn_text(std::move(text))}}; }

// How readily a block is given up when a message has too many: context
// first, then the body from its end, then buttons; the header never.
enum class keep_priority { context = 0, body = 1, actions = 2, header = 3 };

struct built_block {
    json block;
    std::size_t lines = 0;  // content lines it shows, for the "left out" count
    keep_priority priority = keep_priority::body;
};

std::string checklist_line(const commands::checklist_line& line) {
    std::string out(state_emoji(line.state));
    out += ' ';
    out += mrkdwn(line.text, 2000);
    if (!line.evidence.empty()) {
        out += " — _";
        out += mrkdwn(line.evidence, 900);
        out += '_';
    }
    return out;
}

std::string char_count_prefix(std::string_view s, std::size_t limit) {
    // IDs are opaque: cut at a character boundary without a marker.
    return plain(s, limit, false);
}

json button_element(const commands::button& b) {
    std::string label = plain(b.label, limits::max_button_text);
    if (label.empty()) label = "(no label)";
    json el = {{"type", "button"}, {"text", plain_text(std::move(label))}};
    if (!b.action_id.empty()) el["action_id"] = char_count_prefix(b.action_id, limits::max_id);
    if (!b.value.empty()) el["value"] = char_count_prefix(b.value, limits::max_button_value);
    if (b.style == button_style::primary) el["style"] = "primary";
    if (b.style == button_style::danger) el["style"] = "danger";
    if (b.confirm) {
        std::string title = plain(b.confirm->title, limits::max_confirm_title);
        std::string text = plain(b.confirm->text, limits::max_confirm_text);
        std::string yes = plain(b.confirm->confirm_label, limits::max_confirm_button);
        std::string no = plain(b.confirm->deny_label, limits::max_confirm_button);
        json confirm = {
            {"title", plain_text(title.empty() ? "Are you sure?" : std::move(title))},
            {"text", plain_text(text.empty() ? "Are you sure?" : std::move(text))},
            {"confirm", plain_text(yes.empty() ? "Confirm" : std::move(yes))},
            {"deny", plain_text(no.empty() ? "Cancel" : std::move(no))},
        };
        if (b.style == button_style::danger) confirm["style"] = "danger";
        el["confirm"] = std::move(confirm);
    }
    return el;
}

std::vector<built_block> build(const commands::message& msg) {
    std::vector<built_block> blocks;

    const std::string header = plain(msg.header, limits::max_header_text);
    if (header.find_first_not_of(' ') != std::string::npos)
        blocks.push_back({{{"type", "header"}, {"text", plain_text(header)}}, 1, keep_priority::header});

    for (auto& piece : split_mrkdwn(msg.text, limits::max_section_text)) {
        const auto lines = static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n')) + 1;
        blocks.push_back({section(std::move(piece)), lines, keep_priority::body});
    }

    // A code block keeps its columns; a backtick inside would end it, so it reads as a quote.
    if (!msg.preformatted.empty()) {
        std::string pre = msg.preformatted;
        std::replace(pre.begin(), pre.end(), '`', '\'');
        while (!pre.empty() && pre.back() == '\n') pre.pop_back();
        for (auto& piece : split_mrkdwn(pre, limits::max_section_text - code_fence_chars)) {
            const auto lines = static_cast<std::size_t>(std::count(piece.begin(), piece.end(), '\n')) + 1;
            blocks.push_back({section("```\n" + piece + "\n```"), lines, keep_priority::body});
        }
    }

    json fields = json::array();
    auto flush_fields = [&] {
        if (fields.empty()) return;
        const std::size_t n = fields.size();
        blocks.push_back({{{"type", "section"}, {"fields", std::move(fields)}}, n, keep_priority::body});
        fields = json::array();
    };
    for (const auto& f : msg.fields) {
        std::string label = fit(glyphs_of(f.label, true, false), 200);
        std::string text = label.empty() ? std::string{} : "*" + label + "*\n";
        const std::size_t label_chars = count_chars(glyphs_of(text, false, true));
        text += mrkdwn(f.value, limits::max_field_text - label_chars);
        if (text.find_first_not_of(" \n*") == std::string::npos) continue;
        fields.push_back(mrkdwn_text(std::move(text)));
        if (fields.size() == limits::max_fields) flush_fields();
    }
    flush_fields();

    std::string lines;
    std::size_t lines_chars = 0;
    std::size_t line_count = 0;
    auto flush_lines = [&] {
        if (line_count == 0) return;
        blocks.push_back({section(std::move(lines)), line_count, keep_priority::body});
        lines.clear();
        lines_chars = 0;
        line_count = 0;
    };
    for (const auto& item : msg.checklist) {
        const std::string line = checklist_line(item);
        const std::size_t chars = count_chars(glyphs_of(line, false, true));
        if (line_count > 0 && lines_chars + 1 + chars > limits::max_section_text) flush_lines();
        if (line_count > 0) {
            lines += '\n';
            ++lines_chars;
        }
        lines += line;
        lines_chars += chars;
        ++line_count;
    }
    flush_lines();

    json elements = json::array();
    std::set<std::string> ids_in_block;
    std::size_t actions_blocks = 0;
    auto flush_actions = [&] {
        if (elements.empty()) return;
        const std::size_t n = elements.size();
        json block = {{"type", "actions"}, {"elements", std::move(elements)}};
        block["block_id"] = "actions_" + std::to_string(++actions_blocks);
        blocks.push_back({std::move(block), n, keep_priority::actions});
        elements = json::array();
        ids_in_block.clear();
    };
    for (const auto& b : msg.buttons) {
        json el = button_element(b);
        // Slack requires action_ids to be unique within a block; a repeated one
        // starts a new block rather than being renamed, so handlers still match.
        const std::string id = el.value("action_id", "");
        if (elements.size() == limits::max_actions_elements || (!id.empty() && ids_in_block.count(id) > 0))
            flush_actions();
        if (!id.empty()) ids_in_block.insert(id);
        elements.push_back(std::move(el));
    }
    flush_actions();

    json context = json::array();
    auto flush_context = [&] {
        if (context.empty()) return;
        const std::size_t n = context.size();
        blocks.push_back({{{"type", "context"}, {"elements", std::move(context)}}, n, keep_priority::context});
        context = json::array();
    };
    for (const auto& c : msg.context) {
        std::string text = mrkdwn(c, limits::max_section_text);
        if (text.find_first_not_of(" \n") == std::string::npos) continue;
        context.push_back(mrkdwn_text(std::move(text)));
        if (context.size() == limits::max_context_elements) flush_context();
    }
    flush_context();
    return blocks;
}

// Opaque text (private_metadata): unchanged but for malformed UTF-8 (U+FFFD,
// or the JSON would not serialise) and a cut at `limit` characters.
std::string opaque(std::string_view raw, std::size_t limit) {
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < raw.size() && chars < limit; ++chars) {
        const std::size_t len = utf8_length(raw, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(raw.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string non_empty(std::string text, std::string_view fallback) {
    return text.find_first_not_of(' ') == std::string::npos ? std::string(fallback) : text;
}

json option_object(const std::string& value, const std::string& label) {
    return {{"text", plain_text(non_empty(plain(label, limits::max_option_text), value))},
            {"value", char_count_prefix(value, limits::max_option_value)}};
}

json input_element(const commands::form_field& f) {
    const std::string action_id = char_count_prefix(f.id, limits::max_id);
    if (f.kind == commands::form_field::kind::choice) {
        const bool radio = f.options.size() <= limits::max_radio_options;
        json options = json::array();
        json initial;
        for (const auto& [value, label] : f.options) {
            if (options.size() == limits::max_select_options) break;
            options.push_back(option_object(value, label));
            if (!f.initial.empty() && value == f.initial) initial = options.back();
        }
        json el = {{"type", radio ? "radio_buttons" : "static_select"},
                   {"action_id", action_id},
                   {"options", std::move(options)}};
        if (!radio) el["placeholder"] = plain_text("Choose one");
        if (!initial.is_null()) el["initial_option"] = std::move(initial);
        return el;
    }
    const bool multiline = f.kind == commands::form_field::kind::multiline;
    const std::size_t max_length = std::min(commands::max_length_of(f), limits::max_text_input);
    json el = {{"type", "plain_text_input"},
               {"action_id", action_id},
               {"multiline", multiline},
               {"max_length", max_length}};
    // Pre-filled text is a value, not prose: cut without a marker.
    std::string initial = fit(glyphs_of(f.initial, false, multiline), max_length, false);
    if (!initial.empty()) el["initial_value"] = std::move(initial);
    return el;
}

json input_block(const commands::form_field& f) {
    json block = {{"type", "input"},
                  {"block_id", char_count_prefix(f.id, limits::max_id)},
                  {"label", plain_text(non_empty(plain(f.label, limits::max_input_label), "(no label)"))},
                  {"optional", !f.required},
                  {"element", input_element(f)}};
    std::string hint = plain(f.hint, limits::max_input_hint);
    if (hint.find_first_not_of(' ') != std::string::npos) block["hint"] = plain_text(std::move(hint));
    return block;
}

}  // namespace

std::string to_mrkdwn(const commands::rich_text& text) {
    std::string out;
    for (const auto& g : glyphs_of(text, true)) out += g.text;
    return out;
}

std::string_view state_emoji(line_state state) {
    switch (state) {
        case line_state::pending: return ":white_circle:";
        case line_state::running: return ":hourglass_flowing_sand:";
        case line_state::passed: return ":white_check_mark:";
        case line_state::failed: return ":x:";
        case line_state::unknown: return ":grey_question:";
        case line_state::skipped: return ":heavy_minus_sign:";
    }
    return ":grey_question:";
}

namespace {

// The blocks of a message, at most `max_blocks` of them; `where` names the
// surface in the notice that says what was left out ("in a message").
json blocks_within(const commands::message& msg, std::size_t max_blocks, std::string_view where) {
    auto blocks = build(msg);

    if (blocks.size() > max_blocks) {
        // Keep room for the notice that says what was left out.
        std::size_t left_out = 0;
        for (int p = static_cast<int>(keep_priority::context); p < static_cast<int>(keep_priority::header); ++p) {
            for (std::size_t i = blocks.size(); i-- > 0 && blocks.size() > max_blocks - 1;) {
                if (static_cast<int>(blocks[i].priority) != p) continue;
                left_out += blocks[i].lines;
                blocks.erase(blocks.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
        const std::string notice = std::to_string(left_out) + (left_out == 1 ? " more line was" : " more lines were") +
                                   " left out: Slack shows at most " + std::to_string(max_blocks) + " blocks " +
                                   std::string(where) + ".";
        blocks.push_back({{{"type", "context"}, {"elements", json::array({mrkdwn_text(notice)})}}, 0,
                          keep_priority::context});
    }

    json out = json::array();
    for (auto& b : blocks) out.push_back(std::move(b.block));
    return out;
}

}  // namespace

nlohmann::json to_blocks(const commands::message& msg) {
    return blocks_within(msg, limits::max_blocks, "in a message");
}

nlohmann::json home_view(const commands::message& msg) {
    return {{"type", "home"}, {"blocks", blocks_within(msg, limits::max_view_blocks, "in the Home tab")}};
}

nlohmann::json modal_view(const commands::form& f) {
    json inputs = json::array();
    for (const auto& field : f.fields) {
        if (inputs.size() == limits::max_view_blocks) break;
        inputs.push_back(input_block(field));
    }
    // Every field must reach the person; the intro gives way when there is no room.
    json blocks = json::array();
    const std::size_t room = limits::max_view_blocks - inputs.size();
    for (const auto& paragraph : f.intro)
        for (auto& piece : split_mrkdwn(paragraph, limits::max_section_text))
            if (blocks.size() < room) blocks.push_back(section(std::move(piece)));
    for (auto& b : inputs) blocks.push_back(std::move(b));

    json view = {{"type", "modal"},
                 {"callback_id", char_count_prefix(f.callback_id, limits::max_callback_id)},
                 {"title", plain_text(non_empty(plain(f.title, limits::max_view_title), "promotebot"))},
                 {"submit", plain_text(non_empty(plain(f.submit_label, limits::max_view_title), "Submit"))},
                 {"close", plain_text(non_empty(plain(f.close_label, limits::max_view_title), "Cancel"))},
                 {"blocks", std::move(blocks)}};
    if (!f.private_metadata.empty())
        view["private_metadata"] = opaque(f.private_metadata, limits::max_private_metadata);
    return view;
}

nlohmann::json form_errors_ack(const commands::form_errors& errors) {
    if (errors.empty()) return nullptr;
    json by_block = json::object();
    for (const auto& [id, message] : errors.by_field) {
        if (by_block.size() == limits::max_view_blocks) break;
        by_block[char_count_prefix(id, limits::max_id)] =
            non_empty(plain(message, limits::max_error_text), "Please check this field.");
    }
    return {{"response_action", "errors"}, {"errors", std::move(by_block)}};
}

nlohmann::json to_chat_payload(const commands::message& msg) {
    std::string text = mrkdwn(msg.summary(), limits::max_fallback_text);
    if (text.empty() && !msg.checklist.empty()) text = mrkdwn(msg.checklist.front().text, limits::max_fallback_text);
    if (text.empty()) text = "promotebot";
    return {{"text", std::move(text)}, {"blocks", to_blocks(msg)}};
}

}  // namespace promotebot::slack
