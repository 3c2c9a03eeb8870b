#pragma once
// A small HTTP/1.1 server for operators' probes and scrapers: fixed paths,
// GET and HEAD only, on the bot's event loop. Whoever reaches the port is
// not trusted: a request's header is bounded (431 past the limit), a request
// with a body is refused (413), anything but GET/HEAD gets 405, an unknown
// path 404, a client that does not send a whole request within the read
// timeout is dropped, and at most max_connections are served at once (more
// are closed on accept). Keep-alive is honoured. No TLS: bind it to loopback
// or a private interface.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace promotebot::http {

struct http_answer {
    unsigned status = 200;
    std::string body;
    std::string content_type = "text/plain; charset=utf-8";
};

// Answers a GET (a HEAD gets the same headers without the body). An exception is a 500.
using http_route = std::function<boost::asio::awaitable<http_answer>()>;

struct http_listener_options {
    std::string address = "127.0.0.1";  // an IP literal
    std::uint16_t port = 9090;          // 0: the OS chooses (see local_endpoint())
    std::size_t header_limit = 8 * 1024;
    std::chrono::milliseconds read_timeout{10000};   // a whole request, and the idle time between requests
    std::chrono::milliseconds write_timeout{10000};
    std::size_t max_connections = 32;
};

class http_listener {
public:
    // Binds and listens at once: throws boost::system::system_error naming
    // the address when it cannot (the port is taken). Serves after start().
    http_listener(boost::asio::any_io_executor ex, http_listener_options options,
                  std::map<std::string, http_route> routes);
    ~http_listener();
    http_listener(const http_listener&) = delete;
    http_listener& operator=(const http_listener&) = delete;

    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;
    // Call on the executor's thread.
    void start();
    // Closes the listening socket and every connection. Call on the executor's thread.
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace promotebot::http
