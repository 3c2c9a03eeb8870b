#include "integrations/slack/inbound.hpp"

#include "commands/message/message.hpp"

namespace promotebot::slack {

namespace {

std::string text_of(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return {};
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

const nlohmann::json& member(const nlohmann::json& j, const char* key) {
    static const nlohmann::json none;
    if (!j.is_object()) return none;
    auto it = j.find(key);
    return it != j.end() ? *it : none;
}

using form_limits = form_submission_limits;

// A string member within `max` bytes: nullopt when present with another type
// or too long; `absent` when missing or null.
std::optional<std::string> bounded_text(const nlohmann::json& j, const char* key, std::size_t max,
                                        const std::string& absent = {}) {
    if (!j.is_object()) return std::nullopt;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return absent;
    if (!it->is_string()) return std::nullopt;
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > max) return std::nullopt;
    return s;
}

// The value one input element holds: `.selected_option.value` (radio
// buttons, selects), else `.value` (text inputs); empty when unset. nullopt
// when either has the wrong type or size.
std::optional<std::string> element_value(const nlohmann::json& el) {
    if (!el.is_object()) return std::nullopt;
    const auto type = bounded_text(el, "type", form_limits::max_id);
    if (!type) return std::nullopt;
    if (el.contains("selected_option")) {
        const auto& option = el["selected_option"];
        if (option.is_null()) return std::string{};
        if (!option.is_object()) return std::nullopt;
        return bounded_text(option, "value", form_limits::max_value);
    }
    if (*type == "radio_buttons" || *type == "static_select") return std::string{};  // nothing chosen
    return bounded_text(el, "value", form_limits::max_value);
}

}  // namespace

std::optional<commands::slash_command> slash_command_of(const nlohmann::json& p) {
    commands::slash_command c{text_of(p, "command"),    text_of(p, "text"),         text_of(p, "user_id"),
                              text_of(p, "channel_id"), text_of(p, "response_url"), text_of(p, "trigger_id")};
    if (c.command.empty() || c.user_id.empty()) return std::nullopt;
    return c;
}

std::vector<commands::button_press> button_presses_of(const nlohmann::json& p) {
    std::vector<commands::button_press> out;
    if (text_of(p, "type") != "block_actions") return out;
    const auto user = text_of(member(p, "user"), "id");
    const auto channel = text_of(member(p, "channel"), "id");
    const auto ts = text_of(member(p, "message"), "ts");
    const auto& actions = member(p, "actions");
    if (user.empty() || !actions.is_array()) return out;
    for (const auto& a : actions) {
        out.push_back({text_of(a, "action_id"), text_of(a, "value"), user, channel, ts, text_of(p, "response_url"),
                       text_of(p, "trigger_id")});
    }
    return out;
}

std::optional<commands::form_submission> form_submission_of(const nlohmann::json& p) {
    if (text_of(p, "type") != "view_submission") return std::nullopt;
    const auto& view = member(p, "view");
    const auto user = bounded_text(member(p, "user"), "id", form_limits::max_id);
    const auto callback_id = bounded_text(view, "callback_id", form_limits::max_id);
    const auto metadata = bounded_text(view, "private_metadata", form_limits::max_private_metadata);
    const auto view_id = bounded_text(view, "id", form_limits::max_id);
    const auto trigger_id = bounded_text(p, "trigger_id", form_limits::max_id);
    if (!user || user->empty() || !callback_id || callback_id->empty() || !metadata || !view_id ||
        view_id->empty() || !trigger_id)
        return std::nullopt;
    commands::form_submission s{*callback_id, *metadata, *user, {}, *view_id, *trigger_id};

    const auto& state = member(view, "state");
    if (!state.is_object()) return std::nullopt;
    const auto& values = member(state, "values");
    if (values.is_null()) return s;  // a form without inputs
    if (!values.is_object() || values.size() > form_limits::max_values) return std::nullopt;
    for (auto block = values.begin(); block != values.end(); ++block) {
        const std::string& block_id = block.key();
        const auto& actions = block.value();
        if (block_id.empty() || block_id.size() > form_limits::max_id) return std::nullopt;
        if (!actions.is_object() || actions.empty() || actions.size() > form_limits::max_values) return std::nullopt;
        auto chosen = actions.find(block_id);
        if (chosen == actions.end()) {
            if (actions.size() != 1) return std::nullopt;  // which of them is the field's is unknown
            chosen = actions.begin();
        }
        if (chosen.key().size() > form_limits::max_id) return std::nullopt;
        auto value = element_value(*chosen);
        if (!value) return std::nullopt;
        s.values.emplace(block_id, std::move(*value));
    }
    return s;
}

std::optional<commands::home_opened> home_opened_of(const nlohmann::json& p) {
    if (text_of(p, "type") != "event_callback") return std::nullopt;
    const auto& event = member(p, "event");
    if (text_of(event, "type") != "app_home_opened" || text_of(event, "tab") != "home") return std::nullopt;
    const auto user = bounded_text(event, "user", commands::max_slack_id);
    if (!user || !commands::is_slack_id(commands::mention_kind::user, *user)) return std::nullopt;
    return commands::home_opened{*user};
}

}  // namespace promotebot::slack
