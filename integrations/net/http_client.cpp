#include "integrations/net/http_client.hpp"
#include "integrations/net/tls_context.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace promotebot::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct target_url {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
    std::string origin() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

[[noreturn]] void throw_error(boost::system::error_code ec, const std::string& what) {
    // Without the source location Asio attaches: the message is for operators.
    throw boost::system::system_error(boost::system::error_code(ec.value(), ec.category()), what);
}

[[noreturn]] void throw_request_error(boost::system::error_code ec, const std::string& what, request_sent sent) {
    throw request_error(boost::system::error_code(ec.value(), ec.category()), what, sent);
}

target_url parse_url(const std::string& url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) throw_error(parsed.error(), "invalid URL");
    const boost::urls::url_view u = *parsed;
    target_url t;
    const std::string scheme(u.scheme());
    if (scheme == "https") {
        t.tls = true;
    } else if (scheme != "http") {
        throw_error(make_error_code(boost::system::errc::protocol_not_supported),
                    "URL scheme must be http or https");
    }
    t.host = std::string(u.encoded_host());
    if (t.host.empty()) throw_error(make_error_code(boost::system::errc::invalid_argument), "URL has no host");
    t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
    t.target = std::string(u.encoded_target());
    if (t.target.empty()) t.target = "/";
    if (t.target.front() != '/') t.target.insert(t.target.begin(), '/');
    return t;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

struct connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;

    beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

struct exchange_result {
    boost::system::error_code ec;
    std::size_t bytes_written = 0;
    http::response<http::string_body> response;
};

// An idle pooled connection must have nothing to read: end of stream, a reset
// or any byte (a TLS close_notify, say) means the server is done with it.
bool closed_by_peer(connection& c) {
    if (c.buffer.size() > 0) return true;
    auto& socket = c.tcp().socket();
    if (!socket.is_open()) return true;
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return true;
    char byte = 0;
    socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    boost::system::error_code ignored;
    socket.non_blocking(false, ignored);
    return ec != asio::error::would_block;
}

template <class Stream>
asio::awaitable<exchange_result> exchange(Stream& stream, beast::flat_buffer& buffer, beast::tcp_stream& tcp,
                                          const http::request<http::string_body>& req,
                                          std::chrono::milliseconds timeout, std::size_t limit) {
    exchange_result out;
    tcp.expires_after(timeout);
    out.bytes_written =
        co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, out.ec));
    if (out.ec) co_return out;
    http::response_parser<http::string_body> parser;
    parser.body_limit(limit);
    tcp.expires_after(timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, out.ec));
    if (!out.ec) out.response = parser.release();
    tcp.expires_never();
    co_return out;
}

}  // namespace

struct http_client::impl {
    asio::any_io_executor ex;
    http_client_options options;
    std::shared_ptr<ssl::context> tls_context;
    ssl::context& tls;
    std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;
    std::size_t opened = 0;

    impl(asio::any_io_executor e, http_client_options o)
        : ex(std::move(e)),
          options(std::move(o)),
          tls_context(make_client_tls_context(options.ca_file)),
          tls(*tls_context) {}

    std::unique_ptr<connection> take_idle(const std::string& origin) {
        auto it = idle.find(origin);
        if (it == idle.end() || it->second.empty()) return nullptr;
        auto c = std::move(it->second.back());
        it->second.pop_back();
        return c;
    }

    void give_back(const std::string& origin, std::unique_ptr<connection> c) {
        auto& list = idle[origin];
        if (list.size() < options.max_idle_per_origin) list.push_back(std::move(c));
    }

    // A pooled connection the server has not closed, or none.
    std::unique_ptr<connection> take_live_idle(const std::string& origin) {
        while (auto c = take_idle(origin)) {
            if (!closed_by_peer(*c)) return c;
        }
        return nullptr;
    }

    // Resolve, connect and TLS under one deadline. Every failure here is
    // before the request, so it is reported as not sent.
    asio::awaitable<std::unique_ptr<connection>> connect(const target_url& t) {
        const auto deadline = std::chrono::steady_clock::now() + options.timeout;
        boost::system::error_code ec;
        auto endpoints = co_await resolve_until(ex, options.resolver, t.host, t.port, deadline, ec);
        if (ec) throw_request_error(ec, "resolving " + t.origin(), request_sent::no);

        auto c = std::make_unique<connection>();
        if (t.tls) {
            c->secure.emplace(ex, tls);
        } else {
            c->plain.emplace(ex);
        }
        beast::tcp_stream& stream = c->tcp();
        stream.expires_at(deadline);
        co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) throw_request_error(ec, "connecting to " + t.origin(), request_sent::no);
        stream.socket().set_option(tcp::no_delay(true), ec);
        if (t.tls) {
            // SNI carries host names only; certificates for IP literals are
            // still checked by the verification callback.
            if (!is_ip_literal(t.host) && !SSL_set_tlsext_host_name(c->secure->native_handle(), t.host.c_str())) {
                throw_request_error(boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                                              asio::error::get_ssl_category()),
                                    "setting SNI for " + t.origin(), request_sent::no);
            }
            c->secure->set_verify_callback(ssl::host_name_verification(t.host));
            co_await c->secure->async_handshake(ssl::stream_base::client,
                                                asio::redirect_error(asio::use_awaitable, ec));
            if (ec) throw_request_error(ec, "TLS handshake with " + t.origin(), request_sent::no);
        }
        stream.expires_never();
        ++opened;
        co_return c;
    }
};

http_client::http_client(asio::any_io_executor ex, http_client_options options)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(options))) {}

http_client::~http_client() = default;

std::size_t http_client::idle_connections() const {
    std::size_t n = 0;
    for (const auto& [origin, list] : impl_->idle) n += list.size();
    return n;
}

std::size_t http_client::connections_opened() const { return impl_->opened; }

asio::awaitable<http_response> http_client::request(http::verb method, std::string url, std::string body,
                                                    std::vector<std::pair<std::string, std::string>> headers) {
    const target_url t = parse_url(url);
    const std::string origin = t.origin();
    const bool default_port = t.port == (t.tls ? "443" : "80");

    http::request<http::string_body> req{method, t.target, 11};
    req.set(http::field::host, default_port ? t.host : t.host + ":" + t.port);
    req.set(http::field::user_agent, "promotebot");
    for (auto& [name, value] : headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();

    // A pooled connection may fail the first byte of the write when the server
    // closed it meanwhile; that connection is replaced once, by a fresh one.
    for (bool pooled_failed = false;;) {
        std::unique_ptr<connection> c = pooled_failed ? nullptr : impl_->take_live_idle(origin);
        const bool reused = c != nullptr;
        if (!c) c = co_await impl_->connect(t);

        exchange_result r;
        if (c->secure) {
            r = co_await exchange(*c->secure, c->buffer, c->tcp(), req, impl_->options.timeout,
                                  impl_->options.max_response_bytes);
        } else {
            r = co_await exchange(*c->plain, c->buffer, c->tcp(), req, impl_->options.timeout,
                                  impl_->options.max_response_bytes);
        }
        if (r.ec) {
            const std::string what = std::string(http::to_string(method)) + " " + origin;
            // Once a byte left, the server may have acted on the request: never resend it.
            if (r.bytes_written > 0) throw_request_error(r.ec, what, request_sent::maybe);
            if (reused) {
                pooled_failed = true;
                continue;
            }
            throw_request_error(r.ec, what, request_sent::no);
        }

        http_response out;
        out.status = r.response.result_int();
        for (const auto& field : r.response) {
            std::string name(field.name_string());
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            out.headers[name] = std::string(field.value());
        }
        const bool reusable = r.response.keep_alive() && !r.response.need_eof();
        out.body = std::move(r.response.body());
        if (reusable) impl_->give_back(origin, std::move(c));
        co_return out;
    }
}

}  // namespace promotebot::net
