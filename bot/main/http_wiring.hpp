#pragma once
// The operators' HTTP endpoints, wired: /healthz answers "ok" from the event
// loop (that it answers at all is the check), /readyz and /metrics come from
// the health service. The listener is where config.http says, or nowhere when
// it is off. Console mode opens none: its loop runs only between lines typed
// at the terminal, so a probe would hang while it waits.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/health_service.hpp"
#include "bot/services/metrics_registry.hpp"
#include "integrations/http/http_listener.hpp"

namespace promotebot::bot {

// The health service and the listener serving it; stops listening when
// destroyed. A request still waiting for the store keeps the service alive.
struct http_endpoints {
    std::shared_ptr<health_service> health;
    std::unique_ptr<http::http_listener> listener;
    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const { return listener->local_endpoint(); }
};

// The routes a listener serves, for `health`.
std::map<std::string, http::http_route> http_routes(std::shared_ptr<health_service> health);

// Binds cfg.http.listen and starts serving (throws boost::system::system_error
// when the address cannot be bound); null when the listener is off.
// links_up: how many Socket Mode links are up (empty: ready is the store alone).
// Call on the executor's thread.
std::unique_ptr<http_endpoints> start_http_listener(boost::asio::any_io_executor ex, const config& cfg, store& st,
                                                    const metrics_registry& metrics, std::function<int()> links_up);

}  // namespace promotebot::bot
