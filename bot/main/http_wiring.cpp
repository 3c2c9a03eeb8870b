#include "bot/main/http_wiring.hpp"

#include <spdlog/spdlog.h>

namespace promotebot::bot {

std::map<std::string, http::http_route> http_routes(std::shared_ptr<health_service> health) {
    std::map<std::string, http::http_route> routes;
    routes["/healthz"] = []() -> boost::asio::awaitable<http::http_answer> {
        co_return http::http_answer{200, "ok\n"};
    };
    routes["/readyz"] = [health]() -> boost::asio::awaitable<http::http_answer> {
        const auto keep = health;
        const auto r = co_await keep->ready();
        co_return r.ready ? http::http_answer{200, "ready\n"} : http::http_answer{503, "not ready: " + r.reason + "\n"};
    };
    routes["/metrics"] = [health]() -> boost::asio::awaitable<http::http_answer> {
        const auto keep = health;
        auto text = co_await keep->metrics_text();
        co_return http::http_answer{200, std::move(text), "text/plain; version=0.0.4; charset=utf-8"};
    };
    return routes;
}

std::unique_ptr<http_endpoints> start_http_listener(boost::asio::any_io_executor ex, const config& cfg, store& st,
                                                    const metrics_registry& metrics, std::function<int()> links_up) {
    if (!cfg.http.enabled) {
        spdlog::info("http: the health and metrics listener is off (http.listen)");
        return nullptr;
    }
    auto out = std::make_unique<http_endpoints>();
    out->health = std::make_shared<health_service>(cfg, st, metrics, std::move(links_up),
                                                   [] { return std::chrono::system_clock::now(); });
    http::http_listener_options options;
    options.address = cfg.http.address;
    options.port = static_cast<std::uint16_t>(cfg.http.port);
    out->listener = std::make_unique<http::http_listener>(ex, options, http_routes(out->health));
    out->listener->start();
    const auto at = out->listener->local_endpoint();
    spdlog::info("http: /healthz, /readyz and /metrics on {}:{}", at.address().to_string(), at.port());
    return out;
}

}  // namespace promotebot::bot
