#include "commands/access/roles.hpp"

#include <algorithm>

#include "commands/message/text.hpp"

namespace promotebot::commands {

namespace {

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

std::optional<role> role_named(std::string_view name) {
    for (const role r : all_roles) {
        if (name == to_string(r)) return r;
    }
    return std::nullopt;
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

permission_table permission_table::runbook() {
    permission_table t;
    t.allow_everyone(action::view)
        .allow(action::deploy_int, {role::engineer})
        .allow(action::deploy_prod, {role::release_manager})
        .allow(action::signoff_technical, {role::data_engineering})
        .allow(action::signoff_data_quality, {role::business_stakeholder})
        .allow(action::approve_emergency, {role::vp})
        .allow(action::confirm_on_call_presence, {role::on_call})
        .allow(action::manage_freeze, {role::release_manager})
        .allow(action::rollback, {role::release_manager, role::on_call});
    return t;
}

permission_table& permission_table::allow(action a, std::vector<role> roles) {
    rows_[a] = permission_row{false, std::move(roles)};
    return *this;
}

permission_table& permission_table::allow_everyone(action a) {
    rows_[a] = permission_row{true, {}};
    return *this;
}

permission_row permission_table::row(action a) const {
    const auto it = rows_.find(a);
    return it == rows_.end() ? permission_row{} : it->second;
}

decision authorize(const permission_table& table, action a, const role_set& held, std::string_view actor,
                   std::string_view requester) {
    decision d;
    const auto row = table.row(a);
    d.needed = row.roles;
    const bool has_role =
        row.everyone || std::any_of(d.needed.begin(), d.needed.end(), [&](role r) { return held.count(r) > 0; });
    if (!has_role) {
        if (d.needed.empty()) {
            d.reason = "Nobody can " + std::string(action_phrase(a)) + ".";
            return d;
        }
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
