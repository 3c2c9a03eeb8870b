#include "bot/services/home_service.hpp"

#include <spdlog/spdlog.h>

#include "bot/services/freeze_source.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/home/home_view.hpp"
#include "commands/promotion/promotion_json.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;

namespace {

commands::home_request request_of(const stored_promotion& row) {
    commands::home_request r{row.id, row.environment, row.version, row.state, row.requested_by, row.created_at, {}};
    try {
        r.gates = commands::promotion_from_json(row.doc).gates;
    } catch (const std::exception& e) {
        // Shown as unreadable; the request's own message says more.
        spdlog::warn("home: promotion #{} has an unreadable document: {}", row.id, e.what());
    }
    return r;
}

commands::home_deployment deployment_of(const deployment_record& d) {
    return {d.id, d.version, d.result, d.requested_by, d.started_at, d.ended_at};
}

}  // namespace

home_service::home_service(const config& cfg, store& st, chat_port& chat, wall_clock now)
    : cfg_(cfg), store_(st), chat_(chat), clock_(std::move(now)), zone_(date::locate_zone(cfg.timezone)) {}

sys_seconds home_service::now() const { return std::chrono::time_point_cast<std::chrono::seconds>(clock_()); }

asio::awaitable<commands::message> home_service::view() {
    const auto t = now();
    auto overview_at = [this, t](const store_session& s) {
        commands::home_overview o;
        o.freeze = build_calendar(cfg_, s).status_at(t);
        for (const auto& row : s.promotions_in_states(commands::open_request_states()))
            o.open_requests.push_back(request_of(row));
        for (const auto env : {commands::environment::prod, commands::environment::int_}) {
            commands::home_environment e{std::string(commands::to_string(env)), {}};
            for (const auto& d : s.deployments(e.name, static_cast<int>(commands::max_home_deployments)))
                e.deployments.push_back(deployment_of(d));
            o.environments.push_back(std::move(e));
        }
        for (const auto& l : s.deploy_locks())
            o.locks.push_back({l.environment, l.promotion_id, l.holder, l.acquired_at});
        return o;
    };
    const auto overview = co_await read(store_, overview_at);
    co_return commands::home_message(overview, t, zone_);
}

asio::awaitable<void> home_service::opened(commands::home_opened e) {
    std::string failure;
    try {
        const auto m = co_await view();
        const auto result = co_await chat_.publish_home(e.user_id, m);
        if (!result.ok()) failure = result.error.empty() ? "not delivered" : result.error;
    } catch (const std::exception& x) {
        failure = x.what();
    }
    // The next opening of the tab publishes it again.
    if (!failure.empty()) spdlog::warn("home: could not publish the Home tab of {}: {}", e.user_id, failure);
}

}  // namespace promotebot::bot
