#include <catch2/catch.hpp>

#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/services/role_resolver.hpp"

using namespace promotebot;
using commands::role;

namespace {

template <class T>
T run_sync(boost::asio::awaitable<T> task) {
    boost::asio::io_context io;
    std::optional<T> result;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
        if (e) std::rethrow_exception(e);
        result = std::move(value);
    });
    io.run();
    return *result;
}

// The time the resolver sees; moves only when a test moves it.
struct manual_clock {
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    bot::role_resolver::clock reader() {
        return [this] { return now; };
    }
};

using lookup_result = boost::asio::awaitable<std::optional<std::vector<std::string>>>;

bot::config config_with_groups() {
    bot::config cfg;
    cfg.slack.group_cache_ttl = std::chrono::seconds(300);
    cfg.roles[role::release_manager].users = {"U0RM00001"};
    cfg.roles[role::on_call].groups = {"S0ONCALL"};
    cfg.roles[role::engineer].groups = {"S0ENG"};
    return cfg;
}

}  // namespace

TEST_CASE("a role resolver is always given its clock") {
    STATIC_REQUIRE_FALSE(std::is_constructible_v<bot::role_resolver, const bot::config&, bot::group_lookup>);
    STATIC_REQUIRE(
        std::is_constructible_v<bot::role_resolver, const bot::config&, bot::group_lookup, bot::role_resolver::clock>);
}

TEST_CASE("roles come from configured users and from user-group members") {
    std::map<std::string, std::vector<std::string>> groups{{"S0ONCALL", {"U0ONC00001"}}, {"S0ENG", {"U0ONC00001", "U0ENG1"}}};
    int lookups = 0;
    manual_clock clock;
    bot::role_resolver resolver(
        config_with_groups(),
        [&](std::string g) -> lookup_result {
            ++lookups;
            co_return groups.at(g);
        },
        clock.reader());
    CHECK(run_sync(resolver.roles_of("U0RM00001")) == commands::role_set{role::release_manager});
    CHECK(run_sync(resolver.roles_of("U0ONC00001")) == commands::role_set{role::engineer, role::on_call});
    CHECK(run_sync(resolver.roles_of("U0ENG1")) == commands::role_set{role::engineer});
    CHECK(run_sync(resolver.roles_of("UNOBODY")).empty());
    CHECK(lookups == 2);  // one refresh for both groups, then the cache
}

TEST_CASE("group membership is cached for the TTL and refreshed after it") {
    manual_clock clock;
    std::vector<std::string> on_call{"U0A"};
    int lookups = 0;
    bot::role_resolver resolver(
        config_with_groups(),
        [&](std::string g) -> lookup_result {
            ++lookups;
            co_return g == "S0ONCALL" ? on_call : std::vector<std::string>{};
        },
        clock.reader());
    CHECK(run_sync(resolver.roles_of("U0A")).count(role::on_call));
    on_call = {"U0B"};  // the rota moved on
    clock.now += std::chrono::seconds(299);
    CHECK(run_sync(resolver.roles_of("U0A")).count(role::on_call));  // still cached
    clock.now += std::chrono::seconds(1);
    CHECK_FALSE(run_sync(resolver.roles_of("U0A")).count(role::on_call));
    CHECK(run_sync(resolver.roles_of("U0B")).count(role::on_call));
    CHECK(lookups == 4);
}

TEST_CASE("when Slack cannot be asked the last known membership is used") {
    manual_clock clock;
    bool slack_up = true;
    int lookups = 0;
    bot::role_resolver resolver(
        config_with_groups(),
        [&](std::string) -> lookup_result {
            ++lookups;
            if (!slack_up) co_return std::nullopt;
            co_return std::vector<std::string>{"U0A"};
        },
        clock.reader());
    CHECK(run_sync(resolver.roles_of("U0A")).count(role::on_call));
    slack_up = false;
    clock.now += std::chrono::hours(2);
    CHECK(run_sync(resolver.roles_of("U0A")).count(role::on_call));
    CHECK(lookups == 4);  // the refresh after the TTL did ask, and failed
}

TEST_CASE("a group never fetched grants nothing") {
    manual_clock clock;
    bot::role_resolver resolver(
        config_with_groups(), [&](std::string) -> lookup_result { co_return std::nullopt; }, clock.reader());
    CHECK(run_sync(resolver.roles_of("U0A")).empty());
    CHECK(run_sync(resolver.roles_of("U0RM00001")) == commands::role_set{role::release_manager});
}
