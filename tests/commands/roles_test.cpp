#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "commands/access/roles.hpp"

using namespace promotebot::commands;

namespace {

constexpr std::array all_actions{action::view,
                                 action::deploy_int,
                                 action::deploy_prod,
                                 action::signoff_technical,
                                 action::signoff_data_quality,
                                 action::approve_emergency,
                                 action::confirm_on_call_presence,
                                 action::manage_freeze,
                                 action::rollback};

const permission_table runbook = permission_table::runbook();

// The runbook's permission table, written out: which single role may do what.
// Columns: engineer, release_manager, vp, on_call, data_engineering, business_stakeholder.
const std::map<action, std::array<bool, 6>> expected_table{
    {action::view, {true, true, true, true, true, true}},
    {action::deploy_int, {true, false, false, false, false, false}},
    {action::deploy_prod, {false, true, false, false, false, false}},
    {action::signoff_technical, {false, false, false, false, true, false}},
    {action::signoff_data_quality, {false, false, false, false, false, true}},
    {action::approve_emergency, {false, false, true, false, false, false}},
    {action::confirm_on_call_presence, {false, false, false, true, false, false}},
    {action::manage_freeze, {false, true, false, false, false, false}},
    {action::rollback, {false, true, false, true, false, false}},
};

}  // namespace

TEST_CASE("the permission table grants each action to exactly the runbook's roles") {
    REQUIRE(expected_table.size() == all_actions.size());
    for (const action a : all_actions) {
        for (std::size_t i = 0; i < all_roles.size(); ++i) {
            const role r = all_roles[i];
            INFO(to_string(a) << " by " << to_string(r));
            const auto d = authorize(runbook, a, role_set{r}, "U_ACTOR", "U_REQUESTER");
            CHECK(d.allowed == expected_table.at(a)[i]);
            if (d.allowed) {
                CHECK(d.reason.empty());
            } else {
                CHECK(d.reason.find("Only ") == 0);
            }
        }
    }
}

TEST_CASE("each row of the table lists its roles, and only viewing is open to everyone") {
    for (const action a : all_actions) {
        INFO(to_string(a));
        std::vector<role> expected;
        const bool everyone = a == action::view;
        for (std::size_t i = 0; i < all_roles.size(); ++i)
            if (!everyone && expected_table.at(a)[i]) expected.push_back(all_roles[i]);
        CHECK(runbook.row(a).everyone == everyone);
        CHECK(runbook.row(a).roles == expected);
        CHECK(authorize(runbook, a, role_set{}, "U1").needed == expected);
    }
}

TEST_CASE("any engineer may deploy to int, and a Release Manager who is not an engineer may not") {
    CHECK(authorize(runbook, action::deploy_int, role_set{role::engineer}, "U1").allowed);
    const auto rm = authorize(runbook, action::deploy_int, role_set{role::release_manager}, "U1");
    CHECK_FALSE(rm.allowed);
    CHECK(rm.reason == "Only an Engineer can deploy to int.");
}

TEST_CASE("a table whose int row names only Release Managers refuses an engineer on int") {
    auto table = permission_table::runbook();
    table.allow(action::deploy_int, {role::release_manager});
    const auto engineer = authorize(table, action::deploy_int, role_set{role::engineer}, "U1");
    CHECK_FALSE(engineer.allowed);
    CHECK(engineer.needed == std::vector<role>{role::release_manager});
    CHECK(engineer.reason == "Only a Release Manager can deploy to int.");
    CHECK(authorize(table, action::deploy_int, role_set{role::release_manager}, "U1").allowed);
    // The other rows stay as they were.
    for (const action a : all_actions) {
        if (a == action::deploy_int) continue;
        INFO(to_string(a));
        CHECK(table.row(a) == runbook.row(a));
    }
}

TEST_CASE("an action without a row in the table is refused to everyone") {
    const permission_table empty;
    const role_set everything(all_roles.begin(), all_roles.end());
    for (const action a : all_actions) {
        INFO(to_string(a));
        const auto d = authorize(empty, a, everything, "U1");
        CHECK_FALSE(d.allowed);
        CHECK(d.needed.empty());
        CHECK(d.reason.find("Nobody can ") == 0);
    }
    auto open = permission_table{};
    open.allow_everyone(action::deploy_int);
    CHECK(authorize(open, action::deploy_int, role_set{}, "U1").allowed);
}

TEST_CASE("anyone, even without a role, may view") {
    const auto d = authorize(runbook, action::view, role_set{}, "U_NOBODY");
    CHECK(d.allowed);
}

TEST_CASE("prod deployment is Release Manager only and the refusal says so") {
    const auto d = authorize(runbook, action::deploy_prod, role_set{role::engineer, role::on_call}, "U1");
    CHECK_FALSE(d.allowed);
    CHECK(d.needed == std::vector<role>{role::release_manager});
    CHECK(d.reason == "Only a Release Manager can deploy to prod.");
}

TEST_CASE("only a Release Manager can add or remove freeze windows") {
    const auto d = authorize(runbook, action::manage_freeze, role_set{role::vp}, "U1");
    CHECK_FALSE(d.allowed);
    CHECK(d.reason == "Only a Release Manager can add or remove freeze windows.");
}

TEST_CASE("a refusal for an action open to several roles names all of them") {
    const auto d = authorize(runbook, action::rollback, role_set{role::engineer}, "U1");
    CHECK_FALSE(d.allowed);
    CHECK(d.reason.find("On-call engineer") != std::string::npos);
    CHECK(d.reason.find("Release Manager") != std::string::npos);
}

TEST_CASE("a person with several roles may do what any of them allows") {
    const role_set held{role::engineer, role::data_engineering};
    CHECK(authorize(runbook, action::deploy_int, held, "U1").allowed);
    CHECK(authorize(runbook, action::signoff_technical, held, "U1", "U2").allowed);
    CHECK_FALSE(authorize(runbook, action::deploy_prod, held, "U1").allowed);
    CHECK_FALSE(authorize(runbook, action::approve_emergency, held, "U1", "U2").allowed);
}

TEST_CASE("nobody signs off, approves or confirms presence for their own request") {
    const role_set everything(all_roles.begin(), all_roles.end());
    for (const action a : {action::signoff_technical, action::signoff_data_quality, action::approve_emergency,
                           action::confirm_on_call_presence}) {
        INFO(to_string(a));
        const auto own = authorize(runbook, a, everything, "U_SAME", "U_SAME");
        CHECK_FALSE(own.allowed);
        CHECK(own.reason == "you cannot sign off your own request");
        CHECK(authorize(runbook, a, everything, "U_OTHER", "U_SAME").allowed);
        CHECK(authorize(runbook, a, everything, "U_SAME").allowed);
    }
}

TEST_CASE("a requester may still deploy and roll back their own request") {
    const role_set rm{role::release_manager};
    CHECK(authorize(runbook, action::deploy_prod, rm, "U_SAME", "U_SAME").allowed);
    CHECK(authorize(runbook, action::rollback, rm, "U_SAME", "U_SAME").allowed);
}

TEST_CASE("the directory resolves a user's roles and an unknown user has none") {
    role_directory dir;
    dir.members[role::release_manager] = {"U_RM", "U_BOTH"};
    dir.members[role::on_call] = {"U_OC", "U_BOTH"};
    dir.members[role::vp] = {};
    CHECK(dir.roles_of("U_RM") == role_set{role::release_manager});
    CHECK(dir.roles_of("U_BOTH") == role_set{role::release_manager, role::on_call});
    CHECK(dir.roles_of("U_STRANGER").empty());
    CHECK(dir.roles_of("").empty());
    CHECK_FALSE(authorize(runbook, action::deploy_int, dir.roles_of("U_STRANGER"), "U_STRANGER").allowed);
}

TEST_CASE("roles have stable names, display names, and parse back") {
    const std::map<role, std::pair<std::string, std::string>> names{
        {role::engineer, {"engineer", "Engineer"}},
        {role::release_manager, {"release_manager", "Release Manager"}},
        {role::vp, {"vp", "VP"}},
        {role::on_call, {"on_call", "On-call engineer"}},
        {role::data_engineering, {"data_engineering", "Data Engineering"}},
        {role::business_stakeholder, {"business_stakeholder", "Business stakeholder"}},
    };
    for (const role r : all_roles) {
        CHECK(to_string(r) == names.at(r).first);
        CHECK(display_name(r) == names.at(r).second);
        CHECK(parse_role(to_string(r)) == r);
        CHECK(parse_role(display_name(r)) == r);
    }
    CHECK(parse_role("RELEASE_MANAGER") == role::release_manager);
    CHECK_FALSE(parse_role("admin").has_value());
    CHECK_FALSE(parse_role("").has_value());
}

TEST_CASE("a role is named in the configuration by its exact config name only") {
    for (const role r : all_roles) CHECK(role_named(to_string(r)) == r);
    CHECK_FALSE(role_named("Release Manager").has_value());
    CHECK_FALSE(role_named("RELEASE_MANAGER").has_value());
    CHECK_FALSE(role_named("").has_value());
}

TEST_CASE("actions have stable names") {
    CHECK(to_string(action::deploy_prod) == "deploy_prod");
    CHECK(to_string(action::confirm_on_call_presence) == "confirm_on_call_presence");
    CHECK(to_string(action::manage_freeze) == "manage_freeze");
}
