#pragma once
// A small HTTP/1.1 client for Slack: keep-alive connections pooled per
// (scheme, host, port), TLS with peer and host name verification, and a
// timeout on every step. A request is sent at most once: a failure says
// whether it may have reached the server, and the caller decides on a retry.
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
#include <boost/system/system_error.hpp>

#include "integrations/net/resolve.hpp"

namespace promotebot::net {

struct http_response {
    unsigned status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
};

struct http_client_options {
    std::string ca_file;                       // extra trust anchors besides the system's
    // One deadline for resolve + connect + TLS handshake; then one each for writing and reading.
    std::chrono::milliseconds timeout{10000};
    std::size_t max_idle_per_origin = 4;
    std::size_t max_response_bytes = 16 * 1024 * 1024;
    resolver_function resolver;  // empty: the system resolver (DNS)
};

// Whether a request that failed may have reached the server.
enum class request_sent {
    no,     // provably never left: resolve, connect or TLS failed, or not one byte was written
    maybe,  // written (or partly written), then no complete answer: it may have been processed
};

// A transport failure of http_client::request.
class request_error : public boost::system::system_error {
public:
    request_error(boost::system::error_code ec, const std::string& what, request_sent sent)
        : boost::system::system_error(ec, what), sent_(sent) {}
    [[nodiscard]] request_sent sent() const noexcept { return sent_; }

private:
    request_sent sent_;
};

// Not thread-safe: use it from one thread (or strand) at a time; concurrent
// coroutines on that thread each get their own connection.
class http_client {
public:
    http_client(boost::asio::any_io_executor ex, http_client_options options);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // Sends one request to an http:// or https:// URL, never twice. A pooled
    // connection the server closed (seen before writing, or refusing the
    // first byte) is replaced by a fresh one; nothing else is resent. Throws
    // request_error on a transport failure (with whether the request may have
    // left) and boost::system::system_error on a malformed URL; the message
    // names the origin only, never the path (response URLs are secrets) or
    // any header.
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
