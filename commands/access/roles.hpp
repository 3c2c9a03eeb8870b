#pragma once
// Who may do what: the runbook's roles and the one permission table.
#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace promotebot::commands {

enum class role { engineer, release_manager, vp, on_call, data_engineering, business_stakeholder };
inline constexpr std::array all_roles{role::engineer,         role::release_manager,
                                      role::vp,               role::on_call,
                                      role::data_engineering, role::business_stakeholder};

// What a person can attempt. Every button press and command maps to one.
enum class action {
    view,                      // /freeze status, /freeze list, help
    deploy_int,                // deploy to int (all engineers)
    deploy_prod,               // deploy to prod (Release Manager only)
    signoff_technical,         // technical sign-off (Data Engineering)
    signoff_data_quality,      // data quality sign-off (business stakeholder)
    approve_emergency,         // emergency approval during a freeze (VP)
    confirm_on_call_presence,  // "I am present" for an emergency (on-call)
    manage_freeze,             // add / remove freeze windows (Release Managers)
    rollback,                  // restore a previous version (on-call or Release Manager)
};

std::string_view to_string(role r);           // "release_manager"
std::string_view display_name(role r);        // "Release Manager"
std::optional<role> parse_role(std::string_view name);
std::string_view to_string(action a);         // "deploy_prod"

using role_set = std::set<role>;

// Configured membership after user groups were resolved to user IDs.
struct role_directory {
    std::map<role, std::set<std::string>> members;
    [[nodiscard]] role_set roles_of(std::string_view user_id) const;
};

struct decision {
    bool allowed = false;
    std::vector<role> needed;  // the roles that would allow it (any one suffices)
    std::string reason;        // for the person refused: what is needed and why
};

// The permission table. `requester` is the user who opened the request being
// acted on (for sign-offs: nobody signs off their own request); empty when
// the action is not about someone's request.
decision authorize(action a, const role_set& held, std::string_view actor,
                   std::string_view requester = {});

// The roles that allow an action (the table's row), for help texts and tests.
std::vector<role> roles_allowed(action a);

}  // namespace promotebot::commands
