// The fake itself, exercised with a plain Beast client: later tests trust it.
#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include "tests/fake_slack/fake_slack.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;
using promotebot::testing::canned_response;
using promotebot::testing::fake_slack;

std::string port_of(const std::string& url) {
    auto u = boost::urls::parse_uri(url);
    REQUIRE(u.has_value());
    return std::string(u->port());
}

std::string target_of(const std::string& url) {
    auto u = boost::urls::parse_uri(url);
    REQUIRE(u.has_value());
    return std::string(u->encoded_target());
}

// One verified TLS connection to the fake, used synchronously from the test.
struct tls_client {
    asio::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
    beast::flat_buffer buffer;

    explicit tls_client(const fake_slack& fake) {
        ctx.load_verify_file(fake.ca_file());
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
        tcp::resolver resolver(ioc);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        beast::get_lowest_layer(stream).connect(resolver.resolve("127.0.0.1", port_of(fake.api_url())));
        stream.handshake(ssl::stream_base::client);
    }

    http::response<http::string_body> post(const std::string& target, const std::string& body,
                                           const std::string& authorization,
                                           const std::string& content_type = "application/json; charset=utf-8") {
        http::request<http::string_body> req{http::verb::post, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::content_type, content_type);
        if (!authorization.empty()) req.set(http::field::authorization, authorization);
        req.body() = body;
        req.prepare_payload();
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        return res;
    }
};

json post_json(tls_client& client, const std::string& method, const json& body, const std::string& token) {
    auto res = client.post("/api/" + method, body.dump(), token.empty() ? std::string{} : "Bearer " + token);
    REQUIRE(res.result_int() == 200);
    return json::parse(res.body());
}

// A Socket Mode link over TLS to a ticket URL the fake handed out.
struct ws_client {
    asio::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws{ioc, ctx};
    beast::flat_buffer buffer;

    ws_client(const fake_slack& fake, const std::string& url, websocket::response_type& res) {
        ctx.load_verify_file(fake.ca_file());
        ws.next_layer().set_verify_mode(ssl::verify_peer);
        ws.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
        tcp::resolver resolver(ioc);
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
        beast::get_lowest_layer(ws).connect(resolver.resolve("127.0.0.1", port_of(url)));
        ws.next_layer().handshake(ssl::stream_base::client);
        beast::get_lowest_layer(ws).expires_never();
        ws.handshake(res, "127.0.0.1", target_of(url));
    }

    json read() {
        buffer.consume(buffer.size());
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
        ws.read(buffer);
        return json::parse(beast::buffers_to_string(buffer.data()));
    }
};

std::string open_link_url(const fake_slack& fake) {
    tls_client client(fake);
    const json opened = post_json(client, "apps.connections.open", json::object(), fake.options().app_token);
    REQUIRE(opened["ok"] == true);
    return opened["url"].get<std::string>();
}

}  // namespace

TEST_CASE("the fake serves the Web API over TLS with a certificate its CA file verifies") {
    fake_slack fake;
    REQUIRE(fake.api_url().starts_with("https://127.0.0.1:"));
    tls_client client(fake);
    const json body = post_json(client, "auth.test", json::object(), fake.options().bot_token);
    CHECK(body["ok"] == true);
    CHECK(body["user_id"] == "UBOT00001");

    const auto calls = fake.calls("auth.test");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].authorization == "Bearer " + fake.options().bot_token);
    CHECK(calls[0].path == "/api/auth.test");
}

TEST_CASE("the fake refuses a wrong token with invalid_auth and a missing one with not_authed") {
    fake_slack fake;
    tls_client client(fake);
    CHECK(post_json(client, "auth.test", json::object(), "xoxb-wrong")["error"] == "invalid_auth");
    CHECK(post_json(client, "auth.test", json::object(), "")["error"] == "not_authed");
    // The app token opens links only; the bot token is not accepted there.
    CHECK(post_json(client, "apps.connections.open", json::object(), fake.options().bot_token)["error"] ==
          "invalid_auth");
    CHECK(post_json(client, "no.such.method", json::object(), fake.options().bot_token)["error"] ==
          "unknown_method");
}

TEST_CASE("the fake keeps a client's connection alive across requests") {
    fake_slack fake;
    tls_client client(fake);
    for (int i = 0; i < 3; ++i) {
        const json posted = post_json(client, "chat.postMessage", {{"channel", "C1"}, {"text", "hi"}},
                                      fake.options().bot_token);
        CHECK(posted["ok"] == true);
    }
    const auto posts = fake.calls("chat.postMessage");
    REQUIRE(posts.size() == 3);
    CHECK(fake.tcp_connections_accepted() == 1);
}

TEST_CASE("chat.postMessage answers increasing timestamps for the channel it was given") {
    fake_slack fake;
    tls_client client(fake);
    const json first = post_json(client, "chat.postMessage", {{"channel", "C1"}, {"text", "a"}},
                                 fake.options().bot_token);
    const json second = post_json(client, "chat.postMessage", {{"channel", "C1"}, {"text", "b"}},
                                  fake.options().bot_token);
    CHECK(first["channel"] == "C1");
    CHECK(std::stod(first["ts"].get<std::string>()) < std::stod(second["ts"].get<std::string>()));
    CHECK(second["message"]["text"] == "b");
}

TEST_CASE("a form-encoded body is recorded as an object") {
    fake_slack fake;
    tls_client client(fake);
    auto res = client.post("/api/users.info", "user=U123&note=a+b%21", "Bearer " + fake.options().bot_token,
                           "application/x-www-form-urlencoded");
    const json body = json::parse(res.body());
    CHECK(body["user"]["id"] == "U123");
    const auto calls = fake.calls("users.info");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].body == json{{"user", "U123"}, {"note", "a b!"}});
}

TEST_CASE("usergroup members come from set_usergroup and an unknown group is no_such_subteam") {
    fake_slack fake;
    fake.set_usergroup("S1", {"U1", "U2"});
    tls_client client(fake);
    const json known = post_json(client, "usergroups.users.list", {{"usergroup", "S1"}}, fake.options().bot_token);
    CHECK(known["users"] == json::array({"U1", "U2"}));
    const json unknown =
        post_json(client, "usergroups.users.list", {{"usergroup", "S9"}}, fake.options().bot_token);
    CHECK(unknown["ok"] == false);
    CHECK(unknown["error"] == "no_such_subteam");
}

TEST_CASE("a canned 429 goes out with its Retry-After header before the default behaviour") {
    fake_slack fake;
    fake.queue_response("chat.postMessage",
                        canned_response{429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "1"}}});
    tls_client client(fake);
    const std::string auth = "Bearer " + fake.options().bot_token;
    auto limited = client.post("/api/chat.postMessage", json{{"channel", "C1"}, {"text", "x"}}.dump(), auth);
    CHECK(limited.result_int() == 429);
    CHECK(limited[http::field::retry_after] == "1");
    CHECK(json::parse(limited.body())["error"] == "ratelimited");
    auto ok = client.post("/api/chat.postMessage", json{{"channel", "C1"}, {"text", "x"}}.dump(), auth);
    CHECK(ok.result_int() == 200);
    CHECK(json::parse(ok.body())["ok"] == true);
}

TEST_CASE("a response URL records what is posted to it") {
    fake_slack fake;
    const std::string url = fake.make_response_url();
    tls_client client(fake);
    auto res = client.post(target_of(url), json{{"text", "done"}}.dump(), "");
    CHECK(json::parse(res.body())["ok"] == true);
    const auto calls = fake.calls("response_url");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].body["text"] == "done");
    CHECK(calls[0].authorization.empty());
}

TEST_CASE("a Socket Mode link says hello, delivers envelopes and records acks") {
    fake_slack fake;
    const std::string url = open_link_url(fake);
    CHECK(url.starts_with("wss://127.0.0.1:"));
    websocket::response_type res;
    ws_client link(fake, url, res);
    const json hello = link.read();
    CHECK(hello["type"] == "hello");
    CHECK(hello["num_connections"] == 1);
    REQUIRE(fake.wait_for_connections(1, std::chrono::seconds(5)));
    CHECK(fake.connections() == std::vector<int>{1});

    const std::string id = fake.send_envelope("slash_commands", {{"command", "/promote"}}, true);
    const json envelope = link.read();
    CHECK(envelope["envelope_id"] == id);
    CHECK(envelope["type"] == "slash_commands");
    CHECK(envelope["payload"]["command"] == "/promote");
    CHECK(envelope["accepts_response_payload"] == true);
    CHECK_FALSE(envelope.contains("retry_attempt"));

    link.ws.write(asio::buffer(json{{"envelope_id", id}, {"payload", {{"text", "ok"}}}}.dump()));
    REQUIRE(fake.wait_for_acks(1, std::chrono::seconds(5)));
    const auto acks = fake.acks();
    CHECK(acks[0].connection == 1);
    CHECK(acks[0].envelope_id == id);
    CHECK(acks[0].payload["text"] == "ok");

    link.ws.close(websocket::close_code::normal);
    CHECK(fake.wait_for_clean_close(1, std::chrono::seconds(5)));
    CHECK(fake.connections().empty());
}

TEST_CASE("a Socket Mode ticket is single-use: reusing it is refused with HTTP 401") {
    fake_slack fake;
    const std::string url = open_link_url(fake);
    websocket::response_type first_res;
    ws_client first(fake, url, first_res);
    CHECK(first.read()["type"] == "hello");

    websocket::response_type second_res;
    CHECK_THROWS(ws_client(fake, url, second_res));
    CHECK(second_res.result_int() == 401);
    CHECK(fake.connections_opened() == 1);
}

TEST_CASE("a redelivered envelope and a disconnect warning carry Slack's fields") {
    fake_slack fake;
    websocket::response_type res;
    ws_client link(fake, open_link_url(fake), res);
    CHECK(link.read()["type"] == "hello");
    fake.send_envelope("events_api", {{"event", {{"type", "app_mention"}}}}, false, 1, 2, "timeout");
    const json redelivered = link.read();
    CHECK(redelivered["retry_attempt"] == 2);
    CHECK(redelivered["retry_reason"] == "timeout");
    fake.send_disconnect(1, "refresh_requested");
    const json disconnect = link.read();
    CHECK(disconnect["type"] == "disconnect");
    CHECK(disconnect["reason"] == "refresh_requested");
}

TEST_CASE("link_disabled closes the link after the disconnect frame") {
    fake_slack fake;
    websocket::response_type res;
    ws_client link(fake, open_link_url(fake), res);
    CHECK(link.read()["type"] == "hello");
    fake.send_disconnect(1, "link_disabled");
    CHECK(link.read()["reason"] == "link_disabled");
    beast::error_code ec;
    link.ws.read(link.buffer, ec);
    CHECK(ec == websocket::error::closed);
}

TEST_CASE("a dropped link ends without a close frame") {
    fake_slack fake;
    websocket::response_type res;
    ws_client link(fake, open_link_url(fake), res);
    CHECK(link.read()["type"] == "hello");
    fake.drop(1);
    beast::error_code ec;
    link.ws.read(link.buffer, ec);
    CHECK(ec);
    CHECK(ec != websocket::error::closed);
    CHECK(fake.connections().empty());
    CHECK_FALSE(fake.closed_cleanly(1));
}

TEST_CASE("a silent link neither answers pings nor closes its TCP connection") {
    fake_slack fake;
    websocket::response_type res;
    ws_client link(fake, open_link_url(fake), res);
    CHECK(link.read()["type"] == "hello");
    fake.go_silent(1);
    CHECK(fake.connections().empty());
    bool ponged = false;
    link.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::pong) ponged = true;
    });
    link.ws.ping({});
    // Timeouts of a tcp_stream apply to asynchronous operations only.
    beast::error_code ec;
    beast::get_lowest_layer(link.ws).expires_after(std::chrono::milliseconds(300));
    link.ws.async_read(link.buffer, [&](beast::error_code e, std::size_t) { ec = e; });
    link.ioc.restart();
    link.ioc.run();
    CHECK(ec == beast::error::timeout);
    CHECK_FALSE(ponged);
}

TEST_CASE("without TLS the fake speaks plain HTTP and hands out ws:// links") {
    promotebot::testing::fake_slack_options options;
    options.tls = false;
    fake_slack fake(options);
    CHECK(fake.api_url().starts_with("http://127.0.0.1:"));
    CHECK(fake.ca_file().empty());

    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.connect(resolver.resolve("127.0.0.1", port_of(fake.api_url())));
    http::request<http::string_body> req{http::verb::post, "/api/apps.connections.open", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + fake.options().app_token);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    const std::string url = json::parse(res.body())["url"].get<std::string>();
    CHECK(url.starts_with("ws://127.0.0.1:"));

    websocket::stream<beast::tcp_stream> ws(ioc);
    beast::get_lowest_layer(ws).connect(resolver.resolve("127.0.0.1", port_of(url)));
    ws.handshake("127.0.0.1", target_of(url));
    beast::flat_buffer frame;
    ws.read(frame);
    CHECK(json::parse(beast::buffers_to_string(frame.data()))["type"] == "hello");
    CHECK(fake.wait_for_connections(1, std::chrono::seconds(5)));
}

TEST_CASE("with a ping interval the fake pings its links") {
    promotebot::testing::fake_slack_options options;
    options.server_ping_interval = std::chrono::milliseconds(50);
    fake_slack fake(options);
    websocket::response_type res;
    ws_client link(fake, open_link_url(fake), res);
    CHECK(link.read()["type"] == "hello");
    int pings = 0;
    link.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::ping) ++pings;
    });
    beast::error_code ec;
    beast::get_lowest_layer(link.ws).expires_after(std::chrono::milliseconds(400));
    link.ws.async_read(link.buffer, [&](beast::error_code e, std::size_t) { ec = e; });
    link.ioc.restart();
    link.ioc.run();
    CHECK(ec == beast::error::timeout);
    CHECK(pings >= 2);
}
