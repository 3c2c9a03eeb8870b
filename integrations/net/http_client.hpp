#pragma once
// A small HTTP/1.1 client for Slack: keep-alive connections pooled per
// (scheme, host, port), TLS with peer and host name verification, and a
// timeout on every step.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

namespace promotebot::net {

struct http_response {
    unsigned status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
};

struct http_client_options {
    std::string ca_file;                       // extra trust anchors besides the system's
    std::chrono::milliseconds timeout{10000};  // for each of connect, handshake, write and read
    std::size_t max_idle_per_origin = 4;
    std::size_t max_response_bytes = 16 * 1024 * 1024;
};

// Not thread-safe: use it from one thread (or strand) at a time; concurrent
// coroutines on that thread each get their own connection.
class http_client {
public:
    http_client(boost::asio::any_io_executor ex, http_client_options options);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // Sends one request to an http:// or https:// URL. A request that fails
    // on a reused connection before any byte of the response arrived is sent
    // once more on a fresh connection. Throws boost::system::system_error on
    // transport failure or a malformed URL; the message names the origin only,
    // never the path (response URLs are secrets) or any header.
    boost::asio::awaitable<http_response> request(boost::beast::http::verb method, std::string url,
                                                  std::string body,
                                                  std::vector<std::pair<std::string, std::string>> headers);

    [[nodiscard]] std::size_t idle_connections() const;
    [[nodiscard]] std::size_t connections_opened() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::net
