#include "bot/services/lease_keeper.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace promotebot::bot {

namespace asio = boost::asio;

std::string default_replica_name() {
    if (const char* v = std::getenv("PROMOTEBOT_REPLICA_ID"); v && *v) return v;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
    return "promotebot";
}

replica_identity make_replica_identity(std::string replica) {
    if (replica.empty()) replica = default_replica_name();
    // It comes from the environment and goes into logs and the store: letters,
    // digits, '.', '-' and '_' only (a pod's name is made of those), and no
    // '/', which separates it from the run in a holder's name.
    for (auto& c : replica) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '-' || c == '_';
        if (!plain) c = '_';
    }
    if (replica.size() > 128) replica.resize(128);
    std::random_device rd;
    std::uniform_int_distribution<unsigned> hex(0, 15);
    std::string run;
    for (int i = 0; i < 12; ++i) run += "0123456789abcdef"[hex(rd)];
    return {replica, run};
}

lease_keeper::lease_keeper(asio::any_io_executor ex, store& st, replica_identity id, std::chrono::seconds lease,
                           wall_clock now)
    : store_(st), id_(std::move(id)), lease_(lease), clock_(std::move(now)), timer_(ex) {
    if (lease_ < std::chrono::seconds(3)) throw std::invalid_argument("a lease must last at least 3 s");
}

sys_millis lease_keeper::now_ms() const { return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_()); }

void lease_keeper::settle(store_session& s, const std::string& name, bool starts_work, bool was_in_process,
                          bool in_process) const {
    if (starts_work) {
        s.hold_lease(name, id_.holder(), now_ms() + lease_);
    } else if (was_in_process && !in_process) {
        s.release_lease(name);
    }
}

bool lease_keeper::take(store_session& s, const std::string& name) const {
    const auto now = now_ms();
    return s.take_lease(name, id_.holder(), id_.earlier_runs(), now, now + lease_);
}

asio::awaitable<void> lease_keeper::take_over(
    const std::vector<std::int64_t>& ids, const std::function<std::string(std::int64_t)>& lease_of,
    const std::function<asio::awaitable<bool>(std::int64_t, std::function<bool(store_session&)>)>& restart) {
    for (const auto id : ids) {
        const auto name = lease_of(id);
        if (watching(name)) continue;  // running here
        try {
            // The lease is taken in the transition's own unit of work: of two replicas sweeping, one acts.
            std::function<bool(store_session&)> take = [this, name](store_session& s) { return this->take(s, name); };
            if (co_await restart(id, std::move(take)))
                spdlog::warn("{}: its work was left by a replica that stopped; taken over", name);
        } catch (const std::exception& x) {
            spdlog::error("{}: {}", name, x.what());
        }
    }
}

void lease_keeper::watch(const std::string& name, std::function<void()> lost) { watched_[name] = std::move(lost); }

void lease_keeper::add_sweeper(std::function<asio::awaitable<void>()> sweep) { sweepers_.push_back(std::move(sweep)); }

asio::awaitable<int> lease_keeper::renew() {
    const auto holder = id_.holder();
    const auto until = now_ms() + lease_;
    auto renewed = co_await write(store_, [&](store_session& s) { return s.renew_leases(holder, until); });
    const std::set<std::string> held(renewed.begin(), renewed.end());
    std::vector<std::function<void()>> lost;
    for (auto it = watched_.begin(); it != watched_.end();) {
        if (held.count(it->first)) {
            ++it;
            continue;
        }
        lost.push_back(std::move(it->second));
        it = watched_.erase(it);
    }
    for (auto& f : lost)
        if (f) f();
    co_return static_cast<int>(lost.size());
}

asio::awaitable<void> lease_keeper::sweep() {
    for (auto& s : sweepers_) {
        if (stopping_) break;
        try {
            co_await s();
        } catch (const std::exception& e) {
            spdlog::error("replicas: taking over left work failed: {}", e.what());
        }
    }
}

asio::awaitable<void> lease_keeper::run() {
    const auto renew_every = std::chrono::duration_cast<std::chrono::milliseconds>(lease_) / 3;
    const auto sweep_every = std::chrono::duration_cast<std::chrono::milliseconds>(lease_) / 2;
    auto next_renew = std::chrono::steady_clock::now() + renew_every;
    auto next_sweep = std::chrono::steady_clock::now() + sweep_every;
    bool failing = false;
    while (!stopping_) {
        timer_.expires_at(std::min(next_renew, next_sweep));
        boost::system::error_code ignored;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (stopping_) break;
        const auto now = std::chrono::steady_clock::now();
        try {
            if (now >= next_renew) {
                next_renew = now + renew_every;
                co_await renew();
            }
            if (now >= next_sweep) {
                next_sweep = now + sweep_every;
                co_await sweep();
            }
            if (failing) spdlog::info("replicas: the store answers again; leases renewed");
            failing = false;
        } catch (const std::exception& e) {
            // Logged once per outage, not once per round.
            if (!failing) spdlog::error("replicas: cannot renew leases: {}", e.what());
            failing = true;
        }
    }
}

void lease_keeper::stop() {
    stopping_ = true;
    timer_.cancel();
}

}  // namespace promotebot::bot
