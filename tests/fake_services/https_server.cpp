#include "tests/fake_services/https_server.hpp"

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>

#include "tests/fake_slack/test_certificate.hpp"

namespace promotebot::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::map<std::string, std::string> query_params(const std::string& query) {
    std::map<std::string, std::string> out;
    std::size_t at = 0;
    while (at <= query.size() && !query.empty()) {
        const auto amp = query.find('&', at);
        const std::string pair = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            const std::string key = percent_decode(pair.substr(0, eq), true);
            out[key] = eq == std::string::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
        }
        if (amp == std::string::npos) break;
        at = amp + 1;
    }
    return out;
}

}  // namespace

std::string percent_decode(const std::string& s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (plus_is_space && s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string basic_authorization(const std::string& user, const std::string& password) {
    const std::string plain = user + ":" + password;
    std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
    encoded.resize(static_cast<std::size_t>(n));
    return "Basic " + encoded;
}

struct https_server::impl {
    handler handle;
    error_body errors;
    std::string ca_path;
    std::unique_ptr<ssl::context> tls;  // outlives the io_context: streams refer to it
    asio::io_context ioc{1};
    std::optional<tcp::acceptor> acceptor;
    unsigned short port = 0;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::vector<recorded_request> requests;
    failure_mode failure;

    recorded_request record(const http::request<http::string_body>& req) {
        recorded_request r;
        r.method = std::string(req.method_string());
        const std::string target(req.target());
        const auto q = target.find('?');
        r.path = percent_decode(target.substr(0, q), false);
        r.query = q == std::string::npos ? std::string{} : target.substr(q + 1);
        r.params = query_params(r.query);
        r.authorization = std::string(req[http::field::authorization]);
        r.accept = std::string(req[http::field::accept]);
        std::lock_guard lock(mutex);
        requests.push_back(r);
        changed.notify_all();
        return r;
    }

    // The answer, and how long to hold it back.
    std::pair<http_reply, std::chrono::milliseconds> answer(const http::request<http::string_body>& req) {
        const recorded_request r = record(req);
        failure_mode f;
        {
            std::lock_guard lock(mutex);
            f = failure;
        }
        http_reply reply;
        if (f.status != 0) {
            reply.status = f.status;
            reply.body = errors(f.status);
        } else {
            reply = handle(r);
            if (f.malformed_body) {
                reply.status = 200;
                if (reply.body.size() < 4) reply.body = "{\"result\": [";
                reply.body.resize(reply.body.size() / 2);
            }
        }
        return {std::move(reply), f.delay};
    }

    asio::awaitable<void> session(beast::ssl_stream<beast::tcp_stream> stream) {
        beast::error_code ec;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
        co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        beast::flat_buffer buf;
        for (;;) {
            beast::get_lowest_layer(stream).expires_never();
            http::request_parser<http::string_body> parser;
            parser.body_limit(1024 * 1024);
            co_await http::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            const http::request<http::string_body> req = parser.release();
            auto [reply, delay] = answer(req);
            if (delay.count() > 0) {
                asio::steady_timer late(ioc, delay);
                co_await late.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
            res.set(http::field::content_type, "application/json;charset=UTF-8");
            for (const auto& [name, value] : reply.headers) res.set(name, value);
            res.keep_alive(req.keep_alive());
            res.body() = std::move(reply.body);
            res.prepare_payload();
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !res.keep_alive()) break;
        }
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            beast::error_code ec;
            tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
            if (ec) continue;
            socket.set_option(tcp::no_delay(true), ec);
            asio::co_spawn(ioc, session(beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls)),
                           asio::detached);
        }
    }
};

https_server::https_server(handler h, error_body errors) : impl_(std::make_unique<impl>()) {
    auto& s = *impl_;
    s.handle = std::move(h);
    s.errors = std::move(errors);
    const test_certificate cert = make_test_certificate();
    std::string path = (std::filesystem::temp_directory_path() / "fake_service_ca_XXXXXX.pem").string();
    const int fd = ::mkstemps(path.data(), 4);
    if (fd < 0) throw std::runtime_error("https_server: cannot create a temporary CA file");
    ::close(fd);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << cert.ca_cert_pem;
    s.ca_path = path;
    s.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    s.tls->use_certificate_chain(asio::buffer(cert.server_cert_pem));
    s.tls->use_private_key(asio::buffer(cert.server_key_pem), ssl::context::pem);
    s.acceptor.emplace(s.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    s.port = s.acceptor->local_endpoint().port();
    asio::co_spawn(s.ioc, s.accept_loop(), asio::detached);
    s.thread = std::thread([&s] {
        // A failing handler must not take the test process down with it.
        for (;;) {
            try {
                s.ioc.run();
                return;
            } catch (const std::exception&) {
            }
        }
    });
}

https_server::~https_server() {
    auto& s = *impl_;
    asio::post(s.ioc, [&s] {
        beast::error_code ignored;
        s.acceptor->close(ignored);
        s.ioc.stop();
    });
    s.thread.join();
    s.acceptor.reset();
    std::error_code ignored;
    std::filesystem::remove(s.ca_path, ignored);
}

std::string https_server::url() const { return "https://127.0.0.1:" + std::to_string(impl_->port); }
std::string https_server::ca_file() const { return impl_->ca_path; }

void https_server::set_failure(failure_mode f) {
    std::lock_guard lock(impl_->mutex);
    impl_->failure = f;
}

std::vector<recorded_request> https_server::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

bool https_server::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

}  // namespace promotebot::testing
