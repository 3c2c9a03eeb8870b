#include "integrations/net/resolve.hpp"

#include <memory>
#include <optional>

#include <boost/asio.hpp>

namespace promotebot::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

resolver_function system_resolver(asio::any_io_executor ex) {
    return [ex](const std::string& host, const std::string& port, resolve_callback done) {
        // The resolver lives until its answer, which may come after the caller gave up.
        auto resolver = std::make_shared<tcp::resolver>(ex);
        resolver->async_resolve(host, port,
                                [resolver, done = std::move(done)](boost::system::error_code ec,
                                                                   resolve_results results) { done(ec, results); });
    };
}

asio::awaitable<resolve_results> resolve_until(asio::any_io_executor ex, const resolver_function& resolver,
                                               const std::string& host, const std::string& port,
                                               std::chrono::steady_clock::time_point deadline,
                                               boost::system::error_code& ec) {
    struct race {
        explicit race(asio::any_io_executor e) : timer(std::move(e)) {}
        asio::steady_timer timer;
        bool answered = false;
        bool abandoned = false;
        boost::system::error_code ec;
        resolve_results results;
    };
    auto state = std::make_shared<race>(ex);
    state->timer.expires_at(deadline);
    const resolver_function& resolve = resolver ? resolver : system_resolver(ex);
    resolve(host, port, [state](boost::system::error_code e, resolve_results r) {
        if (state->answered || state->abandoned) return;
        state->answered = true;
        state->ec = e;
        state->results = std::move(r);
        state->timer.cancel();
    });
    while (!state->answered) {
        boost::system::error_code waited;
        co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, waited));
        if (state->answered) break;
        if (!waited || std::chrono::steady_clock::now() >= deadline) {
            state->abandoned = true;
            ec = asio::error::timed_out;
            co_return resolve_results{};
        }
    }
    ec = state->ec;
    co_return std::move(state->results);
}

}  // namespace promotebot::net
