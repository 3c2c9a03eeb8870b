#pragma once
// Name resolution bounded by a deadline. getaddrinfo cannot be interrupted,
// and cancelling Asio's resolver only takes effect once it returns, so the
// wait is abandoned at the deadline instead; the late answer is dropped.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace promotebot::net {

using resolve_results = boost::asio::ip::tcp::resolver::results_type;
using resolve_callback = std::function<void(boost::system::error_code, resolve_results)>;
// Starts resolving host and port and calls back once, on the executor's
// thread (or at once, inside the call). Empty: the system resolver (DNS).
using resolver_function = std::function<void(const std::string& host, const std::string& port, resolve_callback)>;

// The system resolver as a resolver_function.
resolver_function system_resolver(boost::asio::any_io_executor ex);

// Resolves with `resolver` (the system's when empty); a resolver that has not
// answered by `deadline` gives boost::asio::error::timed_out in `ec`.
boost::asio::awaitable<resolve_results> resolve_until(boost::asio::any_io_executor ex,
                                                      const resolver_function& resolver, const std::string& host,
                                                      const std::string& port,
                                                      std::chrono::steady_clock::time_point deadline,
                                                      boost::system::error_code& ec);

}  // namespace promotebot::net
