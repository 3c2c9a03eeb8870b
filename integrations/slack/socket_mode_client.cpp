#include "integrations/slack/socket_mode_client.hpp"

#include <deque>
#include <map>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "integrations/net/tls_context.hpp"
#include "integrations/slack/web_api.hpp"

namespace promotebot::slack {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

steady_time now() { return std::chrono::steady_clock::now(); }

void log_at(int level, const std::string& text) {
    switch (level) {
    case 1: spdlog::debug("socket mode: {}", text); break;
    case 2: spdlog::info("socket mode: {}", text); break;
    case 3: spdlog::warn("socket mode: {}", text); break;
    default: spdlog::error("socket mode: {}", text); break;
    }
}

struct link_endpoint {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
    // The Host header: the port only when it is not the scheme's default.
    std::string host_header() const {
        const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        return port == (tls ? "443" : "80") ? name : name + ":" + port;
    }
};

link_endpoint parse_link_url(const std::string& url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) throw std::runtime_error("apps.connections.open returned an unparsable URL");
    link_endpoint ep;
    const auto scheme = std::string(parsed->scheme());
    if (scheme == "wss") ep.tls = true;
    else if (scheme != "ws") throw std::runtime_error("apps.connections.open returned a URL with scheme " + scheme);
    ep.host = std::string(parsed->host_address());
    ep.port = parsed->has_port() ? std::string(parsed->port()) : (ep.tls ? "443" : "80");
    ep.target = std::string(parsed->encoded_path());
    if (ep.target.empty()) ep.target = "/";
    if (parsed->has_query()) ep.target += "?" + std::string(parsed->encoded_query());
    return ep;
}

// What an ack carries to the metrics: the envelope's type and when its frame
// was read (the epoch for text that is not an ack).
struct ack_stamp {
    bot::envelope_type type = bot::envelope_type::other;
    steady_time received{};
};

// What the client needs of an open link, whatever its stream type.
struct link_io {
    virtual ~link_io() = default;
    virtual void send(std::string text, ack_stamp stamp) = 0;
    virtual void ping() = 0;
    virtual void close(bool graceful) = 0;
    // Runs `work` once the frames queued so far were written (or at once
    // when the link can write no more).
    virtual void after_writes(std::function<void()> work) = 0;
};

}  // namespace

struct socket_mode_client::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, web_api& api, socket_mode_client_options options, socket_mode_handlers handlers)
        : ex(ex),
          api(api),
          options(options),
          handlers(std::move(handlers)),
          metrics(options.session.metrics ? *options.session.metrics : bot::no_metrics()),
          session(options.session, this->handlers.ack_payload),
          wake(ex),
          tls(net::make_client_tls_context(options.ca_file)) {}

    asio::any_io_executor ex;
    web_api& api;
    socket_mode_client_options options;
    socket_mode_handlers handlers;
    bot::metrics_sink& metrics;
    socket_mode_session session;
    asio::steady_timer wake;
    std::shared_ptr<asio::ssl::context> tls;
    std::map<link_id, std::shared_ptr<link_io>> links;
    bool done = false;
    socket_mode_result result;

    template <class Stream>
    struct ws_link;

    void apply(actions out);
    void poke() { wake.cancel(); }
    asio::awaitable<void> open_link(link_id id);
    template <class Stream>
    asio::awaitable<void> run_link(link_id id, std::shared_ptr<ws_link<Stream>> link);
    template <class Stream>
    asio::awaitable<void> handshake_and_run(link_id id, std::shared_ptr<ws_link<Stream>> link,
                                            const link_endpoint& ep);
    // The bot began stopping while this link was being opened.
    void abandon(link_id id, link_io& link) {
        link.close(false);
        open_failure f;
        f.detail = "stopping";
        apply(session.on_open_failed(id, f, now()));
    }
    void send_ack(link_id id, const std::string& text, ack_stamp stamp);
    void deliver_now(envelope env);
    void journal_then_deliver(link_id id, std::string ack, ack_stamp stamp, envelope env);
    std::uint64_t acks_before_journal = 0;

    // A link given up on is always torn down, whatever ended it: a socket
    // left open would keep receiving envelopes that nobody acks.
    void link_closed(link_id id, const std::string& why) {
        if (auto it = links.find(id); it != links.end()) {
            it->second->close(false);
            links.erase(it);
        }
        apply(session.on_link_closed(id, why, now()));
    }
};

// One websocket link: one reader (run_link) and one writer draining a queue,
// because Beast allows a single outstanding write per stream.
template <class Stream>
struct socket_mode_client::impl::ws_link : link_io, std::enable_shared_from_this<ws_link<Stream>> {
    struct outgoing {
        enum class kind { text, ping, close, after } what;
        std::string text;
        std::function<void()> work;  // kind::after
        ack_stamp stamp{};           // kind::text
    };

    ws_link(Stream&& s, asio::any_io_executor ex, std::chrono::milliseconds close_timeout)
        : ex(ex), ws(std::move(s)), wake(ex), close_timer(ex), close_timeout(close_timeout) {
        wake.expires_at(asio::steady_timer::time_point::max());
    }

    asio::any_io_executor ex;
    std::function<void(std::string_view, const ack_stamp&)> written;  // after each text frame
    websocket::stream<Stream> ws;
    std::deque<outgoing> queue;
    asio::steady_timer wake;
    asio::steady_timer close_timer;
    std::chrono::milliseconds close_timeout;
    bool closing = false;
    bool torn_down = false;

    void send(std::string text, ack_stamp stamp) override {
        if (closing) return;
        queue.push_back({outgoing::kind::text, std::move(text), {}, stamp});
        wake.cancel();
    }
    void after_writes(std::function<void()> work) override {
        if (closing) {
            asio::post(ex, std::move(work));
            return;
        }
        queue.push_back({outgoing::kind::after, {}, std::move(work), {}});
        wake.cancel();
    }
    // Work waiting behind writes that will never happen still runs.
    void release_waiting_work() {
        for (auto& item : queue) {
            if (item.what == outgoing::kind::after) asio::post(ex, std::move(item.work));
        }
        queue.clear();
    }
    void ping() override {
        if (closing) return;
        queue.push_back({outgoing::kind::ping, {}, {}, {}});
        wake.cancel();
    }
    void close(bool graceful) override {
        if (!graceful) {
            tear_down();
            return;
        }
        if (closing) return;
        closing = true;
        queue.push_back({outgoing::kind::close, {}, {}, {}});
        wake.cancel();
        // A peer that never answers the close frame must not hold us up.
        close_timer.expires_after(close_timeout);
        close_timer.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->tear_down();
        });
    }
    void tear_down() {
        if (torn_down) return;
        torn_down = true;
        closing = true;
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws).close();
        wake.cancel();
        close_timer.cancel();
    }

    asio::awaitable<void> writer() {
        auto self = this->shared_from_this();
        try {
            while (!torn_down) {
                if (queue.empty()) {
                    boost::system::error_code ec;
                    co_await wake.async_wait(asio::redirect_error(use_awaitable, ec));
                    wake.expires_at(asio::steady_timer::time_point::max());
                    continue;
                }
                auto next = std::move(queue.front());
                queue.pop_front();
                switch (next.what) {
                case outgoing::kind::text:
                    ws.text(true);
                    co_await ws.async_write(asio::buffer(next.text), use_awaitable);
                    if (written) written(next.text, next.stamp);
                    break;
                case outgoing::kind::ping:
                    co_await ws.async_ping({}, use_awaitable);
                    break;
                case outgoing::kind::after:
                    asio::post(ex, std::move(next.work));
                    break;
                case outgoing::kind::close:
                    release_waiting_work();
                    co_await ws.async_close(websocket::close_code::normal, use_awaitable);
                    close_timer.cancel();
                    co_return;
                }
            }
        } catch (const boost::system::system_error& e) {
            spdlog::debug("socket mode: write ended: {}", e.code().message());
            tear_down();
        }
        release_waiting_work();
    }
};

template <class Stream>
asio::awaitable<void> socket_mode_client::impl::run_link(link_id id, std::shared_ptr<ws_link<Stream>> link) {
    auto self = shared_from_this();
    links[id] = link;
    std::weak_ptr<impl> weak = self;
    link->ws.control_callback([weak, id](websocket::frame_type kind, beast::string_view) {
        if (kind != websocket::frame_type::pong) return;
        if (auto s = weak.lock()) s->apply(s->session.on_pong(id, now()));
    });
    link->written = [weak, id](std::string_view text, const ack_stamp& stamp) {
        auto s = weak.lock();
        if (!s) return;
        if (stamp.received != steady_time{}) s->metrics.envelope_acked(stamp.type, now() - stamp.received);
        if (s->options.frame_written) s->options.frame_written(id, text);
    };
    apply(session.on_link_opened(id, now()));
    asio::co_spawn(ex, link->writer(), asio::detached);

    std::string why = "closed";
    beast::flat_buffer buffer;
    for (;;) {
        boost::system::error_code ec;
        co_await link->ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            why = ec == websocket::error::closed ? "closed by Slack" : ec.message();
            break;
        }
        auto text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        try {
            apply(session.on_frame(id, text, now()));
        } catch (const std::exception& e) {
            // The session drops what it cannot read; this is a last resort that closes the link.
            why = std::string{"handling a frame failed: "} + e.what();
            break;
        }
    }
    link->tear_down();
    link_closed(id, why);
}

template <class Stream>
asio::awaitable<void> socket_mode_client::impl::handshake_and_run(link_id id, std::shared_ptr<ws_link<Stream>> link,
                                                                  const link_endpoint& ep) {
    // Still under the connect deadline set on the TCP stream.
    co_await link->ws.async_handshake(ep.host_header(), ep.target, use_awaitable);
    // From here our own pings and deadlines watch the link, not Beast's idle timer.
    beast::get_lowest_layer(link->ws).expires_never();
    link->ws.set_option(
        websocket::stream_base::timeout{options.connect_timeout, websocket::stream_base::none(), false});
    if (session.stopping()) co_return abandon(id, *link);
    co_await run_link(id, link);
}

asio::awaitable<void> socket_mode_client::impl::open_link(link_id id) {
    auto self = shared_from_this();
    // A fresh, single-use URL for every connection.
    auto res = co_await api.call_once("apps.connections.open", nlohmann::json::object(), token_kind::app);
    if (!res.ok()) {
        std::string detail = res.error.empty() ? res.ec.message() : res.error;
        const bool slack_said = res.body.is_object() && res.body.contains("error");
        auto failure = classify_open_failure(slack_said ? detail : std::string{},
                                             res.http_status == 0 ? 503 : res.http_status,
                                             res.retry_after.value_or(std::chrono::seconds{0}));
        if (!slack_said) failure.detail = detail;
        apply(session.on_open_failed(id, failure, now()));
        co_return;
    }
    const auto url_field = res.body.find("url");
    const std::string url =
        url_field != res.body.end() && url_field->is_string() ? url_field->get<std::string>() : std::string{};
    link_endpoint ep;
    try {
        ep = parse_link_url(url);
        // One deadline for the whole set-up: resolve, TCP, TLS and the websocket handshake.
        const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
        boost::system::error_code ec;
        auto endpoints = co_await net::resolve_until(ex, options.resolver, ep.host, ep.port, deadline, ec);
        if (ec) throw boost::system::system_error(ec, "resolving");
        beast::tcp_stream stream(ex);
        stream.expires_at(deadline);
        co_await stream.async_connect(endpoints, use_awaitable);
        // Small frames (acks) must leave at once.
        stream.socket().set_option(tcp::no_delay(true));
        if (ep.tls) {
            beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *tls);
            if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), ep.host.c_str()))
                throw std::runtime_error("cannot set SNI host name");
            tls_stream.set_verify_callback(asio::ssl::host_name_verification(ep.host));
            co_await tls_stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
            co_await handshake_and_run(
                id, std::make_shared<ws_link<beast::ssl_stream<beast::tcp_stream>>>(std::move(tls_stream), ex,
                                                                                    options.close_timeout),
                ep);
        } else {
            co_await handshake_and_run(
                id, std::make_shared<ws_link<beast::tcp_stream>>(std::move(stream), ex, options.close_timeout), ep);
        }
    } catch (const std::exception& e) {
        if (links.count(id)) {
            link_closed(id, e.what());
        } else {
            open_failure failure;
            failure.what = open_failure::kind::transient;
            failure.detail = std::string{"connecting to "} + ep.host + ": " + e.what();
            apply(session.on_open_failed(id, failure, now()));
        }
    }
}

void socket_mode_client::impl::send_ack(link_id id, const std::string& text, ack_stamp stamp) {
    if (auto it = links.find(id); it != links.end()) it->second->send(text, stamp);
    else spdlog::warn("socket mode: link {} is gone; an ack was not sent", id);
}

void socket_mode_client::impl::deliver_now(envelope env) {
    if (!handlers.on_envelope) return;
    const link_id via = env.link;
    std::function<void()> work = [self = shared_from_this(), env = std::move(env)]() mutable {
        try {
            self->handlers.on_envelope(std::move(env));
        } catch (const std::exception& e) {
            spdlog::error("socket mode: envelope handler failed: {}", e.what());
        }
    };
    // Ack first, work after: the handler runs once the ack queued before it is written.
    if (auto it = links.find(via); it != links.end()) {
        it->second->after_writes(std::move(work));
    } else {
        asio::post(ex, std::move(work));
    }
}

void socket_mode_client::impl::journal_then_deliver(link_id id, std::string ack, ack_stamp stamp, envelope env) {
    if (!handlers.journal) {
        send_ack(id, ack, stamp);
        deliver_now(std::move(env));
        return;
    }
    struct held {
        held(link_id id, std::string ack, ack_stamp stamp, asio::any_io_executor ex)
            : id(id), ack(std::move(ack)), stamp(stamp), timer(ex) {}
        link_id id;
        std::string ack;
        ack_stamp stamp;
        asio::steady_timer timer;
        bool acked = false;
    };
    auto h = std::make_shared<held>(id, std::move(ack), stamp, ex);
    auto self = shared_from_this();
    h->timer.expires_after(options.journal_bound);
    h->timer.async_wait([self, h](boost::system::error_code ec) {
        if (ec || h->acked) return;
        // Slack's 3 s deadline matters more than the journal: ack now, journal after.
        h->acked = true;
        if (self->acks_before_journal++ == 0)
            spdlog::warn("socket mode: the store took longer than {} ms to journal an envelope; acking first "
                         "(counted, logged once)",
                         self->options.journal_bound.count());
        self->send_ack(h->id, h->ack, h->stamp);
    });
    // The envelope is read by the journal before the completion takes it over.
    const envelope& seen = env;
    auto done = [self, h, env](bool fresh) mutable {
        if (!h->acked) {
            h->acked = true;
            h->timer.cancel();
            self->send_ack(h->id, h->ack, h->stamp);
        }
        if (!fresh) {
            spdlog::info("socket mode: envelope {} was handled before a restart; acked, not handled again",
                         env.envelope_id);
            return;
        }
        self->deliver_now(std::move(env));
    };
    handlers.journal(seen, std::move(done));
}

void socket_mode_client::impl::apply(actions out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        // An ack directly followed by its delivery waits for the journal (bounded).
        if (i + 1 < out.size() && std::holds_alternative<action::send_text>(out[i]) &&
            std::holds_alternative<action::deliver>(out[i + 1])) {
            auto& ack = std::get<action::send_text>(out[i]);
            journal_then_deliver(ack.id, std::move(ack.text), {ack.type, ack.received},
                                 std::move(std::get<action::deliver>(out[i + 1]).env));
            ++i;
            continue;
        }
        auto& a = out[i];
        std::visit(
            [&](auto& act) {
                using T = std::decay_t<decltype(act)>;
                if constexpr (std::is_same_v<T, action::open_link>) {
                    asio::co_spawn(ex, open_link(act.id), [](std::exception_ptr e) {
                        if (!e) return;
                        try {
                            std::rethrow_exception(e);
                        } catch (const std::exception& x) {
                            spdlog::error("socket mode: link task failed: {}", x.what());
                        }
                    });
                } else if constexpr (std::is_same_v<T, action::send_text>) {
                    if (auto it = links.find(act.id); it != links.end())
                        it->second->send(std::move(act.text), {act.type, act.received});
                    else spdlog::warn("socket mode: link {} is gone; an ack was not sent", act.id);
                } else if constexpr (std::is_same_v<T, action::send_ping>) {
                    if (auto it = links.find(act.id); it != links.end()) it->second->ping();
                } else if constexpr (std::is_same_v<T, action::close_link>) {
                    if (auto it = links.find(act.id); it != links.end()) it->second->close(act.graceful);
                } else if constexpr (std::is_same_v<T, action::deliver>) {
                    deliver_now(std::move(act.env));
                } else if constexpr (std::is_same_v<T, action::log>) {
                    log_at(act.level, act.text);
                } else if constexpr (std::is_same_v<T, action::fatal>) {
                    result.fatal = true;
                    result.reason = act.reason;
                    result.message = act.text;
                    spdlog::critical("socket mode: {}", act.text);
                } else if constexpr (std::is_same_v<T, action::stopped>) {
                    done = true;
                }
            },
            a);
    }
    poke();
}

socket_mode_client::socket_mode_client(asio::any_io_executor ex, web_api& api, socket_mode_client_options options,
                                       socket_mode_handlers handlers)
    : impl_(std::make_shared<impl>(ex, api, std::move(options), std::move(handlers))) {}

socket_mode_client::~socket_mode_client() = default;

asio::awaitable<socket_mode_result> socket_mode_client::run() {
    auto self = impl_;
    self->apply(self->session.on_start(now()));
    while (!self->done) {
        self->wake.expires_at(self->session.next_deadline());
        boost::system::error_code ec;
        co_await self->wake.async_wait(asio::redirect_error(use_awaitable, ec));
        if (self->done) break;
        if (!ec) self->apply(self->session.on_timer(now()));
    }
    co_return self->result;
}

void socket_mode_client::stop() {
    auto& s = *impl_;
    s.apply(s.session.on_stop(now()));
}

int socket_mode_client::links_up() const { return impl_->session.links_up(); }
std::uint64_t socket_mode_client::delivered() const { return impl_->session.delivered(); }
std::uint64_t socket_mode_client::duplicates() const { return impl_->session.duplicates(); }
std::uint64_t socket_mode_client::acks_before_journal() const { return impl_->acks_before_journal; }

}  // namespace promotebot::slack
