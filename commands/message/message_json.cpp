#include "commands/message/message_json.hpp"

#include <array>
#include <initializer_list>
#include <string_view>
#include <type_traits>

#include "commands/message/utf8.hpp"

namespace promotebot::commands {

namespace {

using json = nlohmann::json;
using limits = message_json_limits;

constexpr std::array<std::string_view, 6> state_names{"pending", "running", "passed", "failed", "unknown", "skipped"};
constexpr std::array<line_state, 6> states{line_state::pending, line_state::running, line_state::passed,
                                           line_state::failed,  line_state::unknown, line_state::skipped};
constexpr std::array<std::string_view, 3> style_names{"normal", "primary", "danger"};
constexpr std::array<button_style, 3> styles{button_style::normal, button_style::primary, button_style::danger};
constexpr std::array<std::string_view, 3> kind_names{"user", "channel", "user_group"};
constexpr std::array<mention_kind, 3> kinds{mention_kind::user, mention_kind::channel, mention_kind::user_group};
constexpr std::array<std::string_view, 2> visibility_names{"ephemeral", "in_channel"};
constexpr std::array<visibility, 2> visibilities{visibility::ephemeral, visibility::in_channel};

template <typename E, std::size_t N>
std::string name_of(E value, const std::array<E, N>& values, const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        if (values[i] == value) return std::string(names[i]);
    return std::string(names[0]);
}

// Malformed UTF-8 becomes U+FFFD: nlohmann::json refuses to serialise it.
std::string valid_utf8(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    return out;
}

json texts_to_json(const std::vector<rich_text>& lines) {
    json out = json::array();
    for (const auto& l : lines) out.push_back(to_json(l));
    return out;
}

// Reads with checked types and a budget for the bytes of all strings together.
class reader {
public:
    const std::string* string(const json& j, std::size_t max = limits::max_string) {
        if (!j.is_string()) return nullptr;
        const auto& s = j.get_ref<const std::string&>();
        if (s.size() > max || s.size() > budget_) return nullptr;
        budget_ -= s.size();
        return &s;
    }

    template <typename E, std::size_t N>
    std::optional<E> name(const json& j, const std::array<E, N>& values, const std::array<std::string_view, N>& names) {
        const auto* s = string(j, 32);
        if (s == nullptr) return std::nullopt;
        for (std::size_t i = 0; i < N; ++i)
            if (names[i] == *s) return values[i];
        return std::nullopt;
    }

    std::optional<rich_text> rich(const json& j) {
        if (!j.is_array() || j.size() > limits::max_spans) return std::nullopt;
        rich_text out;
        for (const auto& span : j) {
            if (span.is_string()) {
                const auto* s = string(span);
                if (s == nullptr) return std::nullopt;
                out.append(*s);
                continue;
            }
            if (!span.is_object() || span.size() != 1) return std::nullopt;
            const auto kind = name(json(span.begin().key()), kinds, kind_names);
            const auto* id = string(span.begin().value(), limits::max_stored_mention_id);
            if (!kind || id == nullptr) return std::nullopt;
            out.append(mention{*kind, *id});
        }
        return out;
    }

    std::optional<confirm_dialog> confirm(const json& j) {
        if (!exactly(j, {"title", "text", "confirm_label", "deny_label"})) return std::nullopt;
        const auto* title = string(j["title"]);
        const auto* text = string(j["text"]);
        const auto* yes = string(j["confirm_label"]);
        const auto* no = string(j["deny_label"]);
        if (!title || !text || !yes || !no) return std::nullopt;
        return confirm_dialog{*title, *text, *yes, *no};
    }

    std::optional<button> button_of(const json& j) {
        const bool with_confirm = j.is_object() && j.contains("confirm");
        if (!exactly(j, {"label", "action_id", "value", "style"}, with_confirm ? 1 : 0)) return std::nullopt;
        const auto* label = string(j["label"]);
        const auto* action = string(j["action_id"]);
        const auto* value = string(j["value"]);
        const auto style = name(j["style"], styles, style_names);
        if (!label || !action || !value || !style) return std::nullopt;
        button b{*label, *action, *value, *style, std::nullopt};
        if (with_confirm) {
            b.confirm = confirm(j["confirm"]);
            if (!b.confirm) return std::nullopt;
        }
        return b;
    }

    std::optional<field> field_of(const json& j) {
        if (!exactly(j, {"label", "value"})) return std::nullopt;
        const auto* label = string(j["label"]);
        auto value = rich(j["value"]);
        if (!label || !value) return std::nullopt;
        return field{*label, std::move(*value)};
    }

    std::optional<checklist_line> line_of(const json& j) {
        if (!exactly(j, {"state", "text", "evidence"})) return std::nullopt;
        const auto state = name(j["state"], states, state_names);
        auto text = rich(j["text"]);
        auto evidence = rich(j["evidence"]);
        if (!state || !text || !evidence) return std::nullopt;
        return checklist_line{*state, std::move(*text), std::move(*evidence)};
    }

    // Reads a bounded array, each item with `one`.
    template <typename T, typename F>
    bool list(const json& j, std::vector<T>& out, F one) {
        if (!j.is_array() || j.size() > limits::max_items) return false;
        out.reserve(j.size());
        for (const auto& item : j) {
            auto v = one(item);
            if (!v) return false;
            out.push_back(std::move(*v));
        }
        return true;
    }

    std::optional<message> message_of(const json& j) {
        const bool with_preformatted = j.is_object() && j.contains("preformatted");
        if (!exactly(j, {"header", "text", "fields", "checklist", "buttons", "context"}, with_preformatted ? 1 : 0))
            return std::nullopt;
        message m;
        if (with_preformatted) {
            const auto* pre = string(j["preformatted"]);
            if (!pre) return std::nullopt;
            m.preformatted = *pre;
        }
        const auto* header = string(j["header"]);
        auto text = rich(j["text"]);
        if (!header || !text) return std::nullopt;
        m.header = *header;
        m.text = std::move(*text);
        if (!list(j["fields"], m.fields, [this](const json& i) { return field_of(i); })) return std::nullopt;
        if (!list(j["checklist"], m.checklist, [this](const json& i) { return line_of(i); })) return std::nullopt;
        if (!list(j["buttons"], m.buttons, [this](const json& i) { return button_of(i); })) return std::nullopt;
        if (!list(j["context"], m.context, [this](const json& i) { return rich(i); })) return std::nullopt;
        return m;
    }

    // An object with every one of `keys` and `extra` more keys of its own
    // (checked by the caller), nothing unknown.
    static bool exactly(const json& j, std::initializer_list<const char*> keys, std::size_t extra = 0) {
        if (!j.is_object() || j.size() != keys.size() + extra) return false;
        for (const char* k : keys)
            if (!j.contains(k)) return false;
        return true;
    }

private:
    std::size_t budget_ = limits::max_total;
};

}  // namespace

json to_json(const rich_text& text) {
    json out = json::array();
    for (const auto& span : text.spans())
        std::visit(
            [&out](const auto& v) {
                if constexpr (std::is_same_v<std::decay_t<decltype(v)>, mention>)
                    out.push_back({{name_of(v.kind, kinds, kind_names), valid_utf8(v.id)}});
                else
                    out.push_back(valid_utf8(v));
            },
            span);
    return out;
}

json to_json(const message& msg) {
    json fields = json::array();
    for (const auto& f : msg.fields) fields.push_back({{"label", valid_utf8(f.label)}, {"value", to_json(f.value)}});
    json checklist = json::array();
    for (const auto& l : msg.checklist)
        checklist.push_back({{"state", name_of(l.state, states, state_names)},
                             {"text", to_json(l.text)},
                             {"evidence", to_json(l.evidence)}});
    json buttons = json::array();
    for (const auto& b : msg.buttons) {
        json el = {{"label", valid_utf8(b.label)},
                   {"action_id", valid_utf8(b.action_id)},
                   {"value", valid_utf8(b.value)},
                   {"style", name_of(b.style, styles, style_names)}};
        if (b.confirm)
            el["confirm"] = {{"title", valid_utf8(b.confirm->title)},
                             {"text", valid_utf8(b.confirm->text)},
                             {"confirm_label", valid_utf8(b.confirm->confirm_label)},
                             {"deny_label", valid_utf8(b.confirm->deny_label)}};
        buttons.push_back(std::move(el));
    }
    json out = {{"header", valid_utf8(msg.header)},  {"text", to_json(msg.text)},
                {"fields", std::move(fields)},       {"checklist", std::move(checklist)},
                {"buttons", std::move(buttons)},     {"context", texts_to_json(msg.context)}};
    if (!msg.preformatted.empty()) out["preformatted"] = valid_utf8(msg.preformatted);
    return out;
}

json to_json(const reply& r) {
    return {{"visibility", name_of(r.audience, visibilities, visibility_names)}, {"message", to_json(r.body)}};
}

std::optional<rich_text> rich_text_from_json(const json& j) { return reader{}.rich(j); }

std::optional<message> message_from_json(const json& j) { return reader{}.message_of(j); }

std::optional<reply> reply_from_json(const json& j) {
    if (!reader::exactly(j, {"visibility", "message"})) return std::nullopt;
    reader r;
    const auto audience = r.name(j["visibility"], visibilities, visibility_names);
    auto body = r.message_of(j["message"]);
    if (!audience || !body) return std::nullopt;
    return reply{std::move(*body), *audience};
}

}  // namespace promotebot::commands
