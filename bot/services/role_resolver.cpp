#include "bot/services/role_resolver.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace promotebot::bot {

role_resolver::role_resolver(const config& cfg, group_lookup lookup, clock now)
    : ttl_(cfg.slack.group_cache_ttl), lookup_(std::move(lookup)), now_(std::move(now)) {
    for (const auto& [r, members] : cfg.roles) {
        for (const auto& u : members.users) users_[r].insert(u);
        for (const auto& g : members.groups) group_roles_[g].push_back(r);
    }
}

commands::role_directory role_resolver::directory() const {
    commands::role_directory d;
    d.members = users_;
    for (const auto& [group, roles] : group_roles_) {
        auto it = members_.find(group);
        if (it == members_.end()) continue;
        for (auto r : roles)
            for (const auto& u : it->second) d.members[r].insert(u);
    }
    return d;
}

boost::asio::awaitable<void> role_resolver::refresh() {
    last_refresh_ = now_();
    if (!lookup_) co_return;
    for (const auto& [group, roles] : group_roles_) {
        auto members = co_await lookup_(group);
        if (members) {
            members_[group] = std::move(*members);
            fetched_at_[group] = now_();
            continue;
        }
        auto at = fetched_at_.find(group);
        if (at == fetched_at_.end()) {
            spdlog::warn("roles: members of user group {} unknown (Slack could not be asked); nobody holds its roles "
                         "through it yet", group);
        } else {
            const auto age = std::chrono::duration_cast<std::chrono::seconds>(now_() - at->second).count();
            spdlog::warn("roles: using the last known members of user group {} ({} s old): Slack could not be asked",
                         group, age);
        }
    }
}

boost::asio::awaitable<commands::role_set> role_resolver::roles_of(std::string user_id) {
    if (!group_roles_.empty() && (!last_refresh_ || now_() - *last_refresh_ >= ttl_)) co_await refresh();
    co_return directory().roles_of(user_id);
}

boost::asio::awaitable<void> role_resolver::refresh_forever() {
    auto ex = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer(ex);
    for (;;) {
        co_await refresh();
        timer.expires_after(ttl_);
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
}

}  // namespace promotebot::bot
