#include "integrations/slack/inbound.hpp"

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

}  // namespace promotebot::slack
