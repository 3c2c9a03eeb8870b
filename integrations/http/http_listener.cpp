#include "integrations/http/http_listener.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace promotebot::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

using response = bhttp::response<bhttp::string_body>;

response plain(unsigned status, std::string body, unsigned version, bool keep_alive) {
    response res{static_cast<bhttp::status>(status), version};
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    res.keep_alive(keep_alive);
    return res;
}

}  // namespace

struct http_listener::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, http_listener_options options, std::map<std::string, http_route> routes)
        : ex(ex), options(std::move(options)), routes(std::move(routes)), acceptor(ex) {}

    asio::any_io_executor ex;
    http_listener_options options;
    std::map<std::string, http_route> routes;
    tcp::acceptor acceptor;
    std::map<std::uint64_t, beast::tcp_stream*> connections;
    std::uint64_t next_connection = 0;
    bool stopped = false;

    void listen() {
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(options.address, ec);
        if (ec) throw boost::system::system_error(ec, "http listener: " + options.address + " is not an IP address");
        const tcp::endpoint endpoint{address, options.port};
        const auto where = "http listener on " + options.address + ":" + std::to_string(options.port);
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) throw boost::system::system_error(ec, where);
    }

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        asio::steady_timer pause(ex);
        while (!stopped) {
            boost::system::error_code ec;
            tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
            if (stopped || ec == asio::error::operation_aborted) co_return;
            if (ec) {
                // Out of descriptors, most likely: accepting again at once would spin.
                pause.expires_after(std::chrono::milliseconds(100));
                co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
                continue;
            }
            if (connections.size() >= options.max_connections) {
                socket.close(ec);
                continue;
            }
            asio::co_spawn(ex, serve(std::move(socket)), asio::detached);
        }
    }

    // Tracks a connection while its coroutine lives, so stop() can close it.
    struct registration {
        impl& owner;
        std::uint64_t id;
        registration(impl& owner, beast::tcp_stream& stream) : owner(owner), id(owner.next_connection++) {
            owner.connections.emplace(id, &stream);
        }
        ~registration() { owner.connections.erase(id); }
        registration(const registration&) = delete;
        registration& operator=(const registration&) = delete;
    };

    asio::awaitable<response> answer(const bhttp::request<bhttp::empty_body>& req) {
        const bool keep = req.keep_alive();
        const auto method = req.method();
        if (method != bhttp::verb::get && method != bhttp::verb::head) {
            auto res = plain(405, "method not allowed\n", req.version(), keep);
            res.set(bhttp::field::allow, "GET, HEAD");
            co_return res;
        }
        std::string_view target{req.target().data(), req.target().size()};
        target = target.substr(0, target.find('?'));
        const auto route = routes.find(std::string{target});
        if (route == routes.end()) co_return plain(404, "not found\n", req.version(), keep);
        http_answer a;
        try {
            a = co_await route->second();
        } catch (const std::exception&) {
            // The reason stays in the process: a probe's body is no place for internals.
            a = http_answer{500, "internal error\n", "text/plain; charset=utf-8"};
        }
        response res{static_cast<bhttp::status>(a.status), req.version()};
        res.set(bhttp::field::content_type, a.content_type);
        res.set(bhttp::field::cache_control, "no-store");
        res.keep_alive(keep);
        if (method == bhttp::verb::head) {
            res.content_length(a.body.size());
        } else {
            res.body() = std::move(a.body);
            res.prepare_payload();
        }
        co_return res;
    }

    // After a refusal the client may still be sending what we did not read;
    // closing on unread data would reset the connection and could destroy
    // our answer before the client reads it. So: stop sending, then read and
    // drop what comes (bounded in bytes and time) until the client closes.
    static asio::awaitable<void> linger(beast::tcp_stream& stream) {
        boost::system::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.expires_after(std::chrono::seconds(1));
        char sink[4096];
        for (std::size_t drained = 0; !ec && drained < 64 * 1024;)
            drained += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
    }

    asio::awaitable<void> serve(tcp::socket socket) {
        auto self = shared_from_this();
        beast::tcp_stream stream(std::move(socket));
        registration tracked(*this, stream);
        // Room for one header at the limit; a longer one fails in the parser first.
        beast::flat_buffer buffer(options.header_limit + 1024);
        while (!stopped) {
            bhttp::request_parser<bhttp::empty_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
            parser.body_limit(0);
            stream.expires_after(options.read_timeout);
            boost::system::error_code ec;
            co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
            std::optional<response> refusal;
            if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
                refusal = plain(431, "request header too large\n", 11, false);
            } else if (ec == bhttp::error::body_limit || ec == bhttp::error::unexpected_body) {
                refusal = plain(413, "a request body is not accepted\n", 11, false);
            } else if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
                       ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
                       ec == asio::error::eof) {
                break;
            } else if (ec) {
                refusal = plain(400, "bad request\n", 11, false);
            }
            if (refusal) {
                stream.expires_after(options.write_timeout);
                co_await bhttp::async_write(stream, *refusal, asio::redirect_error(use_awaitable, ec));
                co_await linger(stream);
                break;
            }
            auto res = co_await answer(parser.get());
            const bool keep = res.keep_alive();
            stream.expires_after(options.write_timeout);
            co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
            if (ec || !keep) break;
        }
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.close();
    }
};

http_listener::http_listener(asio::any_io_executor ex, http_listener_options options,
                             std::map<std::string, http_route> routes)
    : impl_(std::make_shared<impl>(ex, std::move(options), std::move(routes))) {
    impl_->listen();
}

http_listener::~http_listener() {
    // Coroutines still suspended hold the impl; closing ends them.
    if (!impl_->stopped) stop();
}

tcp::endpoint http_listener::local_endpoint() const { return impl_->acceptor.local_endpoint(); }

void http_listener::start() { asio::co_spawn(impl_->ex, impl_->accept_loop(), asio::detached); }

void http_listener::stop() {
    auto& s = *impl_;
    s.stopped = true;
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    for (auto& [id, stream] : s.connections) stream->socket().close(ignored);
}

}  // namespace promotebot::http
