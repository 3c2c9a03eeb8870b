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

std::string_view to_string(role r);           // "release_manager": the name in the config file
std::string_view display_name(role r);        // "Release Manager"
// The role whose config name is exactly `name` ("release_manager").
std::optional<role> role_named(std::string_view name);
// Lenient, for people: the config name or the display name, any case.
std::optional<role> parse_role(std::string_view name);
std::string_view to_string(action a);         // "deploy_prod"

using role_set = std::set<role>;

// Configured membership after user groups were resolved to user IDs.
struct role_directory {
    std::map<role, std::set<std::string>> members;
    [[nodiscard]] role_set roles_of(std::string_view user_id) const;
};

// Who may take one action: everyone, or anyone holding one of `roles`.
struct permission_row {
    bool everyone = false;
    std::vector<role> roles;
    friend bool operator==(const permission_row&, const permission_row&) = default;
};

// The permission table: one row per action. The deploy rows come from the
// configuration (environments.<env>.deployers); an action without a row is
// refused to everyone.
class permission_table {
public:
    // The runbook's table: int = all engineers, prod = Release Manager only,
    // sign-offs by Data Engineering and a business stakeholder, emergency
    // approval by the VP with on-call present, freeze windows and rollbacks
    // as the runbook assigns them; viewing is open to everyone.
    static permission_table runbook();

    // Replaces the action's row: only holders of one of `roles` may take it.
    permission_table& allow(action a, std::vector<role> roles);
    // Replaces the action's row: everyone may take it.
    permission_table& allow_everyone(action a);

    [[nodiscard]] permission_row row(action a) const;

private:
    std::map<action, permission_row> rows_;
};

struct decision {
    bool allowed = false;
    std::vector<role> needed;  // the roles that would allow it (any one suffices); empty when open to everyone
    std::string reason;        // for the person refused: what is needed and why
};

// Checks one action against the table. `requester` is the user who opened
// the request being acted on (for sign-offs: nobody signs off their own
// request); empty when the action is not about someone's request.
decision authorize(const permission_table& table, action a, const role_set& held, std::string_view actor,
                   std::string_view requester = {});

}  // namespace promotebot::commands
