#pragma once
// Resolves who holds which role: configured user IDs plus the members of
// configured Slack user groups, cached with a TTL and refreshed in the
// background. When Slack cannot be asked, the last known membership is used.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "commands/access/roles.hpp"

namespace promotebot::bot {

// Fetches a user group's members; nullopt when Slack could not be asked.
using group_lookup = std::function<boost::asio::awaitable<std::optional<std::vector<std::string>>>(std::string group_id)>;

class role_resolver {
public:
    // Reads the time that cache ages are measured in; the composition root
    // passes the steady clock, tests a manual one.
    using clock = std::function<std::chrono::steady_clock::time_point()>;

    role_resolver(const config& cfg, group_lookup lookup, clock now);

    // The roles a user holds now; refreshes group membership first when it is older than the TTL.
    boost::asio::awaitable<commands::role_set> roles_of(std::string user_id);
    // Fetches every configured group; keeps the last known members of a group that fails.
    boost::asio::awaitable<void> refresh();
    // Refreshes every TTL until the executor stops.
    boost::asio::awaitable<void> refresh_forever();

    [[nodiscard]] commands::role_directory directory() const;
    [[nodiscard]] bool has_groups() const { return !group_roles_.empty(); }

private:
    std::map<commands::role, std::set<std::string>> users_;
    std::map<std::string, std::vector<commands::role>> group_roles_;  // group ID -> roles it grants
    std::map<std::string, std::vector<std::string>> members_;         // last known members
    std::map<std::string, std::chrono::steady_clock::time_point> fetched_at_;
    std::chrono::seconds ttl_;
    group_lookup lookup_;
    clock now_;
    std::optional<std::chrono::steady_clock::time_point> last_refresh_;
};

}  // namespace promotebot::bot
