#include "commands/access/roles.hpp"

#include <algorithm>

namespace promotebot::commands {

namespace {

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower(x) == to_lower(y); });
}

// How a refusal names a role inside a sentence.
std::string_view role_phrase(role r) {
    switch (r) {
        case role::engineer: return "an Engineer";
        case role::release_manager: return "a Release Manager";
        case role::vp: return "a VP";
        case role::on_call: return "the On-call engineer";
        case role::data_engineering: return "Data Engineering";
        case role::business_stakeholder: return "a Business stakeholder";
    }
    return "?";
}

// What the action is, completing "Only <roles> can …".
std::string_view action_phrase(action a) {
    switch (a) {
        case action::view: return "view this";
        case action::deploy_int: return "deploy to int";
        case action::deploy_prod: return "deploy to prod";
        case action::signoff_technical: return "give the technical sign-off";
        case action::signoff_data_quality: return "give the data quality sign-off";
        case action::approve_emergency: return "approve an emergency deployment during a freeze";
        case action::confirm_on_call_presence: return "confirm on-call presence for an emergency deployment";
        case action::manage_freeze: return "add or remove freeze windows";
        case action::rollback: return "roll back";
    }
    return "do this";
}

// Sign-offs and approvals need a second person: the requester cannot give them.
bool needs_second_person(action a) {
    return a == action::signoff_technical || a == action::signoff_data_quality || a == action::approve_emergency ||
           a == action::confirm_on_call_presence;
}

}  // namespace

std::string_view to_string(role r) {
    switch (r) {
        case role::engineer: return "engineer";
        case role::release_manager: return "release_manager";
        case role::vp: return "vp";
        case role::on_call: return "on_call";
        case role::data_engineering: return "data_engineering";
        case role::business_stakeholder: return "business_stakeholder";
    }
    return "unknown";
}

std::string_view display_name(role r) {
    switch (r) {
        case role::engineer: return "Engineer";
        case role::release_manager: return "Release Manager";
        case role::vp: return "VP";
        case role::on_call: return "On-call engineer";
        case role::data_engineering: return "Data Engineering";
        case role::business_stakeholder: return "Business stakeholder";
    }
    return "Unknown";
}

std::optional<role> parse_role(std::string_view name) {
    for (const role r : all_roles) {
        if (iequals(name, to_string(r)) || iequals(name, display_name(r))) return r;
    }
    return std::nullopt;
}

std::string_view to_string(action a) {
    switch (a) {
        case action::view: return "view";
        case action::deploy_int: return "deploy_int";
        case action::deploy_prod: return "deploy_prod";
        case action::signoff_technical: return "signoff_technical";
        case action::signoff_data_quality: return "signoff_data_quality";
        case action::approve_emergency: return "approve_emergency";
        case action::confirm_on_call_presence: return "confirm_on_call_presence";
        case action::manage_freeze: return "manage_freeze";
        case action::rollback: return "rollback";
    }
    return "unknown";
}

role_set role_directory::roles_of(std::string_view user_id) const {
    role_set held;
    if (user_id.empty()) return held;
    for (const auto& [r, users] : members) {
        if (std::any_of(users.begin(), users.end(), [&](const std::string& u) { return u == user_id; }))
            held.insert(r);
    }
    return held;
}

std::vector<role> roles_allowed(action a) {
    switch (a) {
        case action::view: return {};
        case action::deploy_int: return {role::engineer, role::release_manager};
        case action::deploy_prod: return {role::release_manager};
        case action::signoff_technical: return {role::data_engineering};
        case action::signoff_data_quality: return {role::business_stakeholder};
        case action::approve_emergency: return {role::vp};
        case action::confirm_on_call_presence: return {role::on_call};
        case action::manage_freeze: return {role::release_manager};
        case action::rollback: return {role::release_manager, role::on_call};
    }
    return {role::release_manager};
}

decision authorize(action a, const role_set& held, std::string_view actor, std::string_view requester) {
    decision d;
    d.needed = roles_allowed(a);
    const bool open_to_all = d.needed.empty();
    const bool has_role =
        open_to_all || std::any_of(d.needed.begin(), d.needed.end(), [&](role r) { return held.count(r) > 0; });
    if (!has_role) {
        std::string who;
        for (std::size_t i = 0; i < d.needed.size(); ++i) {
            if (i > 0) who += " or ";
            who += role_phrase(d.needed[i]);
        }
        d.reason = "Only " + who + " can " + std::string(action_phrase(a)) + ".";
        return d;
    }
    if (needs_second_person(a) && !requester.empty() && actor == requester) {
        d.reason = "you cannot sign off your own request";
        return d;
    }
    d.allowed = true;
    return d;
}

}  // namespace promotebot::commands
