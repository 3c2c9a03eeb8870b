// The Web API client against the fake Slack over TLS on a loopback port.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include <boost/asio.hpp>

#include "integrations/slack/web_api.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"

namespace {

namespace asio = boost::asio;
using nlohmann::json;
using promotebot::slack::api_result;
using promotebot::slack::delivery;
using promotebot::slack::slack_errc;
using promotebot::slack::token_kind;
using promotebot::slack::web_api;
using promotebot::slack::web_api_options;
using promotebot::testing::canned_response;
using promotebot::testing::fake_slack;


template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto result = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    return result.get();
}

// A loopback port with nothing listening on it: connecting is refused.
unsigned short closed_port(asio::io_context& ioc) {
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    return port;
}

// A resolver that answers 127.0.0.1 with the port of its script, one entry
// per resolution (the last one repeats), and counts the resolutions.
struct scripted_resolver {
    std::shared_ptr<std::vector<unsigned short>> ports = std::make_shared<std::vector<unsigned short>>();
    std::shared_ptr<int> count = std::make_shared<int>(0);

    promotebot::net::resolver_function function() const {
        return [ports = ports, count = count](const std::string& host, const std::string& service,
                                              promotebot::net::resolve_callback done) {
            const auto i = std::min<std::size_t>(static_cast<std::size_t>((*count)++), ports->size() - 1);
            const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), (*ports)[i]);
            done({}, asio::ip::tcp::resolver::results_type::create(ep, host, service));
        };
    }
};

unsigned short port_of(const std::string& url) {
    const auto colon = url.find(':', url.find("//") + 2);
    return static_cast<unsigned short>(std::stoi(url.substr(colon + 1)));
}

}  // namespace

TEST_CASE("a Web API call posts JSON with the bot token and returns Slack's answer") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "deploying"}}));
    REQUIRE(r.ok());
    CHECK(r.http_status == 200);
    CHECK(r.body["channel"] == "C1");
    CHECK_FALSE(r.body["ts"].get<std::string>().empty());

    const auto calls = fake.calls("chat.postMessage");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].body == json{{"channel", "C1"}, {"text", "deploying"}});
    CHECK(calls[0].authorization == "Bearer " + fake.options().bot_token);
    CHECK(calls[0].content_type == "application/json; charset=utf-8");
}

TEST_CASE("apps.connections.open is called with the app token") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call_once("apps.connections.open", json::object(), token_kind::app));
    REQUIRE(r.ok());
    CHECK(r.body["url"].get<std::string>().starts_with("wss://127.0.0.1:"));
    CHECK(fake.calls("apps.connections.open").at(0).authorization == "Bearer " + fake.options().app_token);
}

TEST_CASE("a 429 is honoured: the call waits Retry-After and then succeeds") {
    fake_slack fake;
    fake.queue_response("chat.postMessage",
                        canned_response{429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "1"}}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const auto start = std::chrono::steady_clock::now();
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(r.ok());
    CHECK(waited >= std::chrono::milliseconds(950));
    CHECK(fake.calls("chat.postMessage").size() == 2);
    CHECK(r.delivered == delivery::answered);
    CHECK(r.attempts == 2);
}

TEST_CASE("ok:false ratelimited is a refusal too: even chat.postMessage is sent again") {
    fake_slack fake;
    fake.queue_response("chat.postMessage",
                        canned_response{200, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "0"}}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    REQUIRE(r.ok());
    CHECK(fake.calls("chat.postMessage").size() == 2);
}

TEST_CASE("a chat.postMessage whose answer is lost is sent exactly once and reported maybe_sent") {
    fake_slack fake;
    canned_response late;
    late.delay = std::chrono::seconds(3);
    fake.queue_response("chat.postMessage", late);
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.timeout = std::chrono::milliseconds(300);
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "deploying"}}));
    CHECK_FALSE(r.ok());
    CHECK(r.ec == boost::beast::error::timeout);
    CHECK(r.delivered == delivery::maybe_sent);
    CHECK(r.attempts == 1);
    CHECK(fake.calls("chat.postMessage").size() == 1);
}

TEST_CASE("a chat.postMessage whose connection closes after the request is not sent again") {
    fake_slack fake;
    canned_response hang_up;
    hang_up.hang_up = true;
    fake.queue_response("chat.postMessage", hang_up);
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "deploying"}}));
    CHECK_FALSE(r.ok());
    CHECK(r.delivered == delivery::maybe_sent);
    CHECK(fake.calls("chat.postMessage").size() == 1);
}

TEST_CASE("a chat.update whose answer is lost is sent again: updating twice is harmless") {
    fake_slack fake;
    canned_response late;
    late.delay = std::chrono::seconds(3);
    fake.queue_response("chat.update", late);
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.timeout = std::chrono::milliseconds(300);
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("chat.update", {{"channel", "C1"}, {"ts", "1.2"}, {"text", "x"}}));
    REQUIRE(r.ok());
    CHECK(r.delivered == delivery::answered);
    CHECK(r.attempts == 2);
    CHECK(fake.calls("chat.update").size() == 2);
}

TEST_CASE("a 5xx to chat.postMessage is not sent again and is reported maybe_sent") {
    fake_slack fake;
    fake.queue_response("chat.postMessage", canned_response{503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    CHECK(r.ec == slack_errc::server_error);
    CHECK(r.http_status == 503);
    CHECK(r.delivered == delivery::maybe_sent);
    CHECK(fake.calls("chat.postMessage").size() == 1);
}

TEST_CASE("a refused connection never sent anything: it is retried and reported not_sent") {
    asio::io_context ioc;
    scripted_resolver resolver;
    resolver.ports->push_back(closed_port(ioc));
    web_api_options o;
    o.base_url = "http://slack.invalid/api/";
    o.bot_token = "xoxb-t";
    o.max_attempts = 3;
    o.backoff_base = std::chrono::milliseconds(5);
    o.resolver = resolver.function();
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    CHECK(r.ec == asio::error::connection_refused);
    CHECK(r.delivered == delivery::not_sent);
    CHECK(r.attempts == 3);
    CHECK(*resolver.count == 3);
}

TEST_CASE("a chat.postMessage refused at connect and then accepted is posted exactly once") {
    fake_slack fake;
    asio::io_context ioc;
    scripted_resolver resolver;
    resolver.ports->push_back(closed_port(ioc));
    resolver.ports->push_back(port_of(fake.api_url()));
    auto o = promotebot::testing::web_api_options_for(fake);
    o.resolver = resolver.function();
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    REQUIRE(r.ok());
    CHECK(r.delivered == delivery::answered);
    CHECK(r.attempts == 2);
    CHECK(fake.calls("chat.postMessage").size() == 1);
}

TEST_CASE("a send that may have been processed keeps the result maybe_sent when a later send never leaves") {
    fake_slack fake;
    canned_response late;
    late.delay = std::chrono::seconds(3);
    fake.queue_response("chat.update", late);
    asio::io_context ioc;
    scripted_resolver resolver;
    resolver.ports->push_back(port_of(fake.api_url()));
    resolver.ports->push_back(closed_port(ioc));
    auto o = promotebot::testing::web_api_options_for(fake);
    o.timeout = std::chrono::milliseconds(300);
    o.max_attempts = 2;
    o.resolver = resolver.function();
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("chat.update", {{"channel", "C1"}, {"ts", "1.2"}, {"text", "x"}}));
    CHECK(r.ec == asio::error::connection_refused);
    CHECK(r.delivered == delivery::maybe_sent);
    CHECK(fake.calls("chat.update").size() == 1);
}

TEST_CASE("a resolver that never answers fails at the connect deadline and the call is not_sent") {
    asio::io_context ioc;
    auto pending = std::make_shared<std::vector<promotebot::net::resolve_callback>>();
    web_api_options o;
    o.base_url = "https://slack.invalid/api/";
    o.bot_token = "xoxb-t";
    o.max_attempts = 2;
    o.backoff_base = std::chrono::milliseconds(5);
    o.timeout = std::chrono::milliseconds(200);
    o.resolver = [pending](const std::string&, const std::string&, promotebot::net::resolve_callback done) {
        pending->push_back(std::move(done));  // never called: a DNS server that does not answer
    };
    web_api api(ioc.get_executor(), o);
    const auto start = std::chrono::steady_clock::now();
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.ec == asio::error::timed_out);
    CHECK(r.delivered == delivery::not_sent);
    CHECK(pending->size() == 2);
    CHECK(took >= std::chrono::milliseconds(400));
    CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("a response_url POST whose answer is lost is not sent again") {
    fake_slack fake;
    canned_response late;
    late.delay = std::chrono::seconds(3);
    fake.queue_response("response_url", late);
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.timeout = std::chrono::milliseconds(300);
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.post_response_url(fake.make_response_url(), {{"text", "promoted"}}));
    CHECK_FALSE(r.ok());
    CHECK(r.delivered == delivery::maybe_sent);
    CHECK(fake.calls("response_url").size() == 1);
}

TEST_CASE("only updates by key and reads are safe to send twice") {
    using promotebot::slack::safe_to_repeat;
    for (const char* m : {"chat.update", "views.update", "views.publish", "auth.test", "apps.connections.open",
                          "conversations.history", "conversations.replies", "usergroups.users.list", "users.info"}) {
        CHECK(safe_to_repeat(m));
    }
    for (const char* m : {"chat.postMessage", "chat.postEphemeral", "views.open", "chat.delete", "reactions.add", ""}) {
        CHECK_FALSE(safe_to_repeat(m));
    }
}

TEST_CASE("a single attempt reports a 429 with its Retry-After instead of waiting") {
    fake_slack fake;
    fake.queue_response("apps.connections.open",
                        canned_response{429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "7"}}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call_once("apps.connections.open", json::object(), token_kind::app));
    CHECK(r.ec == slack_errc::rate_limited);
    CHECK(r.http_status == 429);
    CHECK(r.retry_after == std::chrono::seconds(7));
    CHECK(r.delivered == delivery::answered);
    CHECK(fake.calls("apps.connections.open").size() == 1);
}

TEST_CASE("a Retry-After beyond the configured bound is cut to the bound") {
    fake_slack fake;
    fake.queue_response("chat.postMessage",
                        canned_response{429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "3600"}}});
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.max_retry_after = std::chrono::seconds(1);
    web_api api(ioc.get_executor(), o);
    const auto start = std::chrono::steady_clock::now();
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    CHECK(r.ok());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("5xx answers are retried with backoff until Slack recovers") {
    fake_slack fake;
    fake.queue_response("chat.update", canned_response{500, {{"ok", false}, {"error", "internal_error"}}, {}});
    fake.queue_response("chat.update", canned_response{503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.update", {{"channel", "C1"}, {"ts", "1.2"}, {"text", "x"}}));
    REQUIRE(r.ok());
    CHECK(fake.calls("chat.update").size() == 3);
}

TEST_CASE("5xx answers that outlast the attempts end as server_error") {
    fake_slack fake;
    for (int i = 0; i < 3; ++i) {
        fake.queue_response("chat.update", canned_response{502, {{"ok", false}, {"error", "bad_gateway"}}, {}});
    }
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.max_attempts = 3;
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("chat.update", {{"channel", "C1"}, {"ts", "1.2"}, {"text", "x"}}));
    CHECK(r.ec == slack_errc::server_error);
    CHECK(r.http_status == 502);
    CHECK(r.delivered == delivery::maybe_sent);
    CHECK(fake.calls("chat.update").size() == 3);
}

TEST_CASE("ok:false carries Slack's error string and is not retried") {
    fake_slack fake;
    fake.queue_response("chat.postMessage", canned_response{200, {{"ok", false}, {"error", "channel_not_found"}}, {}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C404"}, {"text", "x"}}));
    CHECK(r.ec == slack_errc::ok_false);
    CHECK(r.error == "channel_not_found");
    CHECK(r.body["ok"] == false);
    CHECK(fake.calls("chat.postMessage").size() == 1);
}

TEST_CASE("a refused token is fatal_auth and the token appears in no message") {
    fake_slack fake;
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.bot_token = "xoxb-not-the-right-token";
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("auth.test", json::object()));
    CHECK(r.ec == slack_errc::fatal_auth);
    CHECK(r.error == "invalid_auth");
    CHECK(r.error.find(o.bot_token) == std::string::npos);
    CHECK(r.ec.message().find(o.bot_token) == std::string::npos);
    CHECK(fake.calls("auth.test").size() == 1);
}

TEST_CASE("an answer that is not a Slack JSON object is bad_response") {
    fake_slack fake;
    fake.queue_response("auth.test", canned_response{200, "maintenance", {}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("auth.test", json::object()));
    CHECK(r.ec == slack_errc::bad_response);
    CHECK(fake.calls("auth.test").size() == 1);
}

TEST_CASE("sequential calls reuse one kept-alive connection") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    for (int i = 0; i < 5; ++i) {
        const api_result r = run(ioc, api.call("chat.postMessage", {{"channel", "C1"}, {"text", std::to_string(i)}}));
        REQUIRE(r.ok());
    }
    CHECK(fake.calls("chat.postMessage").size() == 5);
    CHECK(fake.tcp_connections_accepted() == 1);
}

TEST_CASE("a response URL gets the JSON without any token") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r =
        run(ioc, api.post_response_url(fake.make_response_url(), {{"text", "promoted"}, {"replace_original", true}}));
    REQUIRE(r.ok());
    const auto calls = fake.calls("response_url");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].body["text"] == "promoted");
    CHECK(calls[0].authorization.empty());
    CHECK(calls[0].path.starts_with("/response/"));
}

TEST_CASE("a server certificate from an untrusted CA is refused") {
    fake_slack fake;
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.ca_file.clear();
    o.max_attempts = 1;
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("auth.test", json::object()));
    CHECK_FALSE(r.ok());
    CHECK(r.ec.category() != promotebot::slack::slack_category());
    CHECK(fake.calls().empty());
}

TEST_CASE("an unreachable Slack is a transport error after the attempts, without the token in it") {
    asio::io_context ioc;
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    web_api_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/api/";
    o.bot_token = "xoxb-secret-token";
    o.max_attempts = 2;
    o.backoff_base = std::chrono::milliseconds(10);
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call("auth.test", json::object()));
    CHECK(r.ec == asio::error::connection_refused);
    CHECK(r.delivered == delivery::not_sent);
    CHECK(r.error.find("xoxb-secret-token") == std::string::npos);
}

TEST_CASE("a method name outside the allowed characters is refused before any request") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("chat.postMessage?x=1", json::object()));
    CHECK_FALSE(r.ok());
    CHECK(r.error == "invalid Slack method name");
    CHECK(fake.calls().empty());
}

TEST_CASE("a pooled connection the server closed is replaced without failing the request") {
    namespace beast = boost::beast;
    namespace http = beast::http;
    using tcp = asio::ip::tcp;
    // A server that answers one request per connection while claiming keep-alive.
    asio::io_context server_ioc;
    tcp::acceptor acceptor(server_ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    std::promise<void> first_closed;
    asio::co_spawn(
        server_ioc,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 2; ++i) {
                tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
                beast::flat_buffer buffer;
                http::request<http::string_body> req;
                co_await http::async_read(socket, buffer, req, asio::use_awaitable);
                http::response<http::string_body> res{http::status::ok, 11};
                res.set(http::field::content_type, "application/json");
                res.keep_alive(true);
                res.body() = R"({"ok":true,"n":)" + std::to_string(i) + "}";
                res.prepare_payload();
                co_await http::async_write(socket, res, asio::use_awaitable);
                socket.shutdown(tcp::socket::shutdown_both);
                socket.close();
                if (i == 0) first_closed.set_value();
            }
        },
        asio::detached);
    std::thread server([&] { server_ioc.run(); });

    asio::io_context ioc;
    web_api_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/api/";
    o.bot_token = "xoxb-t";
    o.max_attempts = 1;  // the replacement is the client's own, not a retry
    web_api api(ioc.get_executor(), o);
    const api_result first = run(ioc, api.call("auth.test", json::object()));
    // The server has closed the pooled connection before the second request.
    REQUIRE(first_closed.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    const api_result second = run(ioc, api.call("auth.test", json::object()));
    server_ioc.stop();
    server.join();
    CHECK(first.ok());
    CHECK(first.body["n"] == 0);
    REQUIRE(second.ok());
    CHECK(second.body["n"] == 1);
    CHECK(second.attempts == 1);
}

TEST_CASE("Slack's token errors are the ones no retry can fix") {
    using promotebot::slack::is_fatal_auth_error;
    for (const char* e : {"invalid_auth", "not_authed", "account_inactive", "token_revoked"}) {
        CHECK(is_fatal_auth_error(e));
    }
    CHECK_FALSE(is_fatal_auth_error("channel_not_found"));
    CHECK_FALSE(is_fatal_auth_error("ratelimited"));
    const boost::system::error_code ec = slack_errc::fatal_auth;
    CHECK(ec.category().name() == std::string("slack"));
    CHECK(ec.message() == "Slack refused the token");
}

TEST_CASE("a Web API answer nested 100000 levels deep is bad_response and not a crash") {
    fake_slack fake;
    canned_response deep;
    const std::size_t levels = 100000;
    deep.raw_body = R"({"ok":true,"user_id":)" + std::string(levels, '[') + std::string(levels, ']') + "}";
    fake.queue_response("auth.test", deep);
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call("auth.test", json::object()));
    CHECK(r.ec == slack_errc::bad_response);
    CHECK_THAT(r.error, Catch::Contains("deeper than 64"));
    CHECK(r.body.is_null());
    // The client is fine: the next answer is read as usual.
    CHECK(run(ioc, api.call("auth.test", json::object())).ok());
}

TEST_CASE("a read at start outlasts refused connections and 5xx answers until Slack answers") {
    fake_slack fake;
    for (int i = 0; i < 5; ++i) fake.queue_response("auth.test", {503, {{"ok", false}}, {}});
    asio::io_context ioc;
    scripted_resolver resolver;
    for (int i = 0; i < 6; ++i) resolver.ports->push_back(closed_port(ioc));
    resolver.ports->push_back(port_of(fake.api_url()));
    auto o = promotebot::testing::web_api_options_for(fake);
    o.resolver = resolver.function();
    o.backoff_base = std::chrono::milliseconds(2);
    o.backoff_max = std::chrono::milliseconds(20);
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call_until_answered("auth.test", json::object()));
    REQUIRE(r.ok());
    // 6 refused connections and 5 answers of 503, far beyond max_attempts (4).
    CHECK(r.attempts == 12);
    CHECK(r.attempts > o.max_attempts);
    CHECK(fake.calls("auth.test").size() == 6);
}

TEST_CASE("a read at start stops at Slack's answer that the token is refused") {
    fake_slack fake;
    asio::io_context ioc;
    auto o = promotebot::testing::web_api_options_for(fake);
    o.bot_token = "xoxb-wrong";
    web_api api(ioc.get_executor(), o);
    const api_result r = run(ioc, api.call_until_answered("auth.test", json::object()));
    CHECK(r.ec == slack_errc::fatal_auth);
    CHECK(r.error == "invalid_auth");
    CHECK(r.attempts == 1);
}

TEST_CASE("only a method safe to repeat is sent until answered") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    const api_result r = run(ioc, api.call_until_answered("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}));
    CHECK(r.ec == boost::system::errc::invalid_argument);
    CHECK(r.attempts == 0);
    CHECK(fake.calls("chat.postMessage").empty());
}
