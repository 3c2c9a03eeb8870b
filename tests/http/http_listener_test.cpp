// The health and metrics listener over real sockets on loopback: the real
// Socket Mode client against the fake Slack, a real SQLite store, and the
// exposition checked by promtool.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bot/config/config.hpp"
#include "bot/main/http_wiring.hpp"
#include "bot/services/health_service.hpp"
#include "bot/services/metrics_registry.hpp"
#include "integrations/http/http_listener.hpp"
#include "integrations/slack/socket_mode_client.hpp"
#include "integrations/slack/web_api.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

// ctest reads this exit code as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
constexpr int skip_exit_code = 77;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

// Runs `work` on the loop's thread and waits for it.
template <typename F>
auto on_loop(asio::io_context& io, F work) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
}

// One client connection with raw bytes out and parsed responses in, every
// wait bounded by its own io_context.
class connection {
public:
    explicit connection(const tcp::endpoint& at) : stream_(io_) { stream_.socket().connect(at); }

    void send(const std::string& raw) { asio::write(stream_.socket(), asio::buffer(raw)); }

    // The next response, or nullopt when none came within `timeout` (or the server closed).
    std::optional<bhttp::response<bhttp::string_body>> response(bool head = false,
                                                                 std::chrono::milliseconds timeout = 5s) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.skip(head);
        parser.body_limit(4 * 1024 * 1024);
        boost::system::error_code result = asio::error::timed_out;
        bhttp::async_read(stream_, buffer_, parser,
                          [&](boost::system::error_code ec, std::size_t) { result = ec; });
        io_.restart();
        io_.run_for(timeout);
        if (!io_.stopped()) {
            stream_.socket().cancel();
            io_.restart();
            io_.run();
            return std::nullopt;
        }
        if (result) return std::nullopt;
        return parser.release();
    }

    // true when the server closes the connection within `timeout`.
    bool closed_by_server(std::chrono::milliseconds timeout) {
        bool closed = false;
        char byte = 0;
        stream_.socket().async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t n) {
            closed = ec && n == 0;
        });
        io_.restart();
        io_.run_for(timeout);
        if (!io_.stopped()) {
            stream_.socket().cancel();
            io_.restart();
            io_.run();
            return false;
        }
        return closed;
    }

private:
    asio::io_context io_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
};

std::string get_request(const std::string& path, const std::string& method = "GET", bool keep_alive = true) {
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           (keep_alive ? std::string{} : std::string{"Connection: close\r\n"}) + "\r\n";
}

// The smallest valid configuration, with its gates (for the gate labels).
bot::config test_config() {
    auto cfg = bot::parse_config(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "environments:\n"
        "  int:\n"
        "    project_id: markets-int-12345\n"
        "  prod:\n"
        "    project_id: markets-prod-12345\n",
        "test.yaml", [](const std::string&) { return std::nullopt; });
    cfg.http.port = 0;
    return cfg;
}

// The bot's observable parts on one loop thread: the Web API and Socket Mode
// client against the fake Slack (counting into the registry), the store, and
// the listener the composition root starts.
class served_bot {
public:
    explicit served_bot(bool with_links = true, http::http_listener_options listener = {})
        : db_(sqlite::open_sqlite_store(dir_.file())),
          st_(sqlite::threaded_store(*db_)),
          api_(io_.get_executor(), api_options()),
          client_(io_.get_executor(), api_, client_options(), {}) {
        auto links = with_links ? std::function<int()>{[this] { return client_.links_up(); }} : std::function<int()>{};
        health_ = std::make_shared<bot::health_service>(cfg_, *st_, metrics_, std::move(links),
                                                        [] { return std::chrono::system_clock::now(); });
        listener.address = "127.0.0.1";
        listener.port = 0;
        listener_ = std::make_unique<http::http_listener>(io_.get_executor(), listener, bot::http_routes(health_));
        listener_->start();
        loop_ = std::thread([this] { io_.run(); });
    }
    ~served_bot() {
        if (client_running_) asio::post(io_, [this] { client_.stop(); });
        asio::post(io_, [this] { listener_->stop(); });
        work_.reset();
        loop_.join();
    }
    served_bot(const served_bot&) = delete;
    served_bot& operator=(const served_bot&) = delete;

    void connect_to_slack() {
        client_running_ = true;
        asio::co_spawn(io_, client_.run(), [](std::exception_ptr, slack::socket_mode_result) {});
    }
    [[nodiscard]] int links_up() { return on_loop(io_, [this] { return client_.links_up(); }); }
    [[nodiscard]] tcp::endpoint endpoint() const { return listener_->local_endpoint(); }
    sqlite::sqlite_store& db() { return *db_; }
    testing::fake_slack& fake() { return fake_; }
    const bot::metrics_registry& metrics() const { return metrics_; }

private:
    slack::web_api_options api_options() {
        auto o = testing::web_api_options_for(fake_);
        o.metrics = &metrics_;
        return o;
    }
    slack::socket_mode_client_options client_options() {
        slack::socket_mode_client_options o;
        o.session.connections = 1;
        o.session.metrics = &metrics_;
        o.ca_file = fake_.ca_file();
        return o;
    }

    testing::fake_slack fake_;
    testing::temp_dir dir_;
    bot::config cfg_ = test_config();
    std::unique_ptr<sqlite::sqlite_store> db_;
    std::unique_ptr<bot::store> st_;
    bot::metrics_registry metrics_;
    asio::io_context io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
    slack::web_api api_;
    slack::socket_mode_client client_;
    std::shared_ptr<bot::health_service> health_;
    std::unique_ptr<http::http_listener> listener_;
    bool client_running_ = false;
    std::thread loop_;
};

std::optional<bhttp::response<bhttp::string_body>> fetch(const tcp::endpoint& at, const std::string& path,
                                                         const std::string& method = "GET") {
    connection c(at);
    c.send(get_request(path, method, false));
    return c.response(method == "HEAD");
}

// The value of the sample written exactly as `series` ("name{labels}"), or nullopt.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
            return std::stod(line.substr(series.size() + 1));
    }
    return std::nullopt;
}

bool promtool_available() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

// promtool's verdict on an exposition: its exit status and what it printed.
std::pair<int, std::string> promtool_check(const std::string& exposition, const testing::temp_dir& dir) {
    const auto input = dir.file("metrics.txt");
    const auto output = dir.file("promtool.out");
    std::ofstream(input, std::ios::binary) << exposition;
    const auto command = "promtool check metrics < '" + input + "' > '" + output + "' 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream in(output);
    std::stringstream said;
    said << in.rdbuf();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, said.str()};
}

}  // namespace

TEST_CASE("healthz answers ok from the event loop") {
    served_bot bot(false);
    const auto res = fetch(bot.endpoint(), "/healthz");
    REQUIRE(res);
    CHECK(res->result_int() == 200);
    CHECK(res->body() == "ok\n");
    CHECK(res->at(bhttp::field::content_type) == "text/plain; charset=utf-8");
    CHECK(res->at(bhttp::field::cache_control) == "no-store");
}

TEST_CASE("readyz is 503 until a Socket Mode link is up, then 200") {
    served_bot bot;
    const auto before = fetch(bot.endpoint(), "/readyz");
    REQUIRE(before);
    CHECK(before->result_int() == 503);
    CHECK(before->body() == "not ready: no Socket Mode link is up\n");

    bot.connect_to_slack();
    REQUIRE(bot.fake().wait_for_connections(1, 10s));
    REQUIRE(eventually([&] { return bot.links_up() == 1; }, 10s));
    const auto after = fetch(bot.endpoint(), "/readyz");
    REQUIRE(after);
    CHECK(after->result_int() == 200);
    CHECK(after->body() == "ready\n");

    // The link drops: not ready again until the client's replacement says hello.
    bot.fake().drop(bot.fake().connections().at(0));
    REQUIRE(eventually(
        [&] {
            const auto r = fetch(bot.endpoint(), "/readyz");
            return r && r->result_int() == 200 && bot.fake().connections_opened() == 2;
        },
        10s));
    CHECK(bot.metrics().reconnects(bot::reconnect_reason::closed) == 1);
}

TEST_CASE("readyz without Socket Mode links is the store alone") {
    served_bot bot(false);
    const auto res = fetch(bot.endpoint(), "/readyz");
    REQUIRE(res);
    CHECK(res->result_int() == 200);
}

TEST_CASE("an unknown path is 404 and a method other than GET or HEAD is 405") {
    served_bot bot(false);
    const auto missing = fetch(bot.endpoint(), "/nothing-here");
    REQUIRE(missing);
    CHECK(missing->result_int() == 404);
    const auto with_query = fetch(bot.endpoint(), "/healthz?verbose=1");
    REQUIRE(with_query);
    CHECK(with_query->result_int() == 200);
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
        INFO(method);
        const auto refused = fetch(bot.endpoint(), "/metrics", method);
        REQUIRE(refused);
        CHECK(refused->result_int() == 405);
        CHECK(refused->at(bhttp::field::allow) == "GET, HEAD");
    }
}

TEST_CASE("HEAD gets the headers of GET and no body") {
    served_bot bot(false);
    const auto got = fetch(bot.endpoint(), "/metrics");
    REQUIRE(got);
    connection c(bot.endpoint());
    c.send(get_request("/metrics", "HEAD"));
    const auto head = c.response(true);
    REQUIRE(head);
    CHECK(head->result_int() == 200);
    CHECK(head->body().empty());
    CHECK(std::stoul(std::string{head->at(bhttp::field::content_length)}) > 0);
    // The connection stays usable: nothing of a body was sent after the headers.
    c.send(get_request("/healthz"));
    const auto next = c.response();
    REQUIRE(next);
    CHECK(next->body() == "ok\n");
}

TEST_CASE("keep-alive serves several requests on one connection") {
    served_bot bot(false);
    connection c(bot.endpoint());
    for (int i = 0; i < 3; ++i) {
        c.send(get_request("/healthz"));
        const auto res = c.response();
        REQUIRE(res);
        CHECK(res->result_int() == 200);
        CHECK(res->keep_alive());
    }
    c.send(get_request("/healthz", "GET", false));
    REQUIRE(c.response());
    CHECK(c.closed_by_server(5s));
}

TEST_CASE("a request header over the limit is refused with 431 and the connection closed") {
    served_bot bot(false);
    connection c(bot.endpoint());
    c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + std::string(9000, 'a') + "\r\n\r\n");
    const auto res = c.response();
    REQUIRE(res);
    CHECK(res->result_int() == 431);
    CHECK(c.closed_by_server(5s));
}

TEST_CASE("a request with a body is refused with 413") {
    served_bot bot(false);
    connection c(bot.endpoint());
    c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello");
    const auto res = c.response();
    REQUIRE(res);
    CHECK(res->result_int() == 413);
    CHECK(c.closed_by_server(5s));
}

TEST_CASE("garbage instead of a request is 400") {
    served_bot bot(false);
    connection c(bot.endpoint());
    c.send("NOT HTTP AT ALL\r\n\r\n");
    const auto res = c.response();
    REQUIRE(res);
    CHECK(res->result_int() == 400);
}

TEST_CASE("a client that sends nothing is dropped after the read timeout") {
    http::http_listener_options options;
    options.read_timeout = 300ms;
    served_bot bot(false, options);
    connection idle(bot.endpoint());
    CHECK(idle.closed_by_server(10s));
    // Half a request line never finishes either.
    connection slow(bot.endpoint());
    slow.send("GET /heal");
    CHECK(slow.closed_by_server(10s));
}

TEST_CASE("connections past the limit are closed at once") {
    http::http_listener_options options;
    options.max_connections = 2;
    served_bot bot(false, options);
    connection a(bot.endpoint());
    connection b(bot.endpoint());
    // Both are being served: each answers, so the server has registered them.
    a.send(get_request("/healthz"));
    REQUIRE(a.response());
    b.send(get_request("/healthz"));
    REQUIRE(b.response());
    connection third(bot.endpoint());
    CHECK(third.closed_by_server(5s));
}

TEST_CASE("binding a port that is taken fails naming the address") {
    asio::io_context io;
    http::http_listener_options any_port;
    any_port.port = 0;
    http::http_listener first(io.get_executor(), any_port, {});
    http::http_listener_options again;
    again.port = first.local_endpoint().port();
    try {
        http::http_listener second(io.get_executor(), again, {});
        FAIL("a taken port was bound");
    } catch (const boost::system::system_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("127.0.0.1:" + std::to_string(again.port)));
    }
}

TEST_CASE("metrics pass promtool and count envelopes, acks, API calls and the store") {
    // Not SKIP in CI: a missing promtool there is a missing install step.
    if (!promtool_available()) {
        const char* ci = std::getenv("CI");
        if (ci && std::string{ci} == "true")
            FAIL("promtool is not installed (Debian package prometheus; deploy/setup.sh test installs it)");
        std::printf("SKIPPED: promtool is not installed (apt-get install prometheus)\n");
        std::fflush(stdout);
        std::exit(skip_exit_code);
    }
    served_bot bot;
    bot.connect_to_slack();
    REQUIRE(bot.fake().wait_for_connections(1, 10s));
    REQUIRE(eventually([&] { return bot.links_up() == 1; }, 10s));

    // Three events, one slash command, and one event again (a redelivery: received and acked, not handled).
    for (int i = 0; i < 3; ++i) bot.fake().send_envelope("events_api", {{"event_id", "Ev" + std::to_string(i)}});
    bot.fake().send_envelope("slash_commands", {{"command", "/freeze"}, {"user_id", "U0RM00001"}});
    bot.fake().send_envelope("events_api", {{"event_id", "Ev0"}}, false, {}, 1, "timeout");
    bot.fake().send_envelope("something_new", nlohmann::json::object());
    REQUIRE(bot.fake().wait_for_acks(6, 10s));
    REQUIRE(eventually([&] { return bot.metrics().envelopes_acked(bot::envelope_type::events_api) == 4; }, 10s));

    // What the scrape reads from the store.
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto& db = bot.db();
    db.enqueue_outbox({bot::outbox_kind::post, "", "C0RELEASE01", "", "", false, {}}, now - std::chrono::seconds(90));
    db.enqueue_outbox({bot::outbox_kind::post, "", "C0RELEASE01", "", "", false, {}}, now);
    bot::deployment_record d;
    d.promotion_id = 1;
    d.environment = "prod";
    d.version = "v1.2.3";
    d.option = "app";
    d.requested_by = "U0RM00001";
    d.started_at = now;
    const auto first = db.start_deployment(d);
    db.finish_deployment(first, "succeeded", "", now, nlohmann::json::object());
    db.start_deployment(d);  // still running
    REQUIRE(db.acquire_deploy_lock("prod", 1, "U0RM00001", now));
    db.append_audit({"system", "promotion.gate", "promotion #1", "pass", {{"gate", "soak"}}}, now);
    db.append_audit({"system", "promotion.gate", "promotion #1", "fail", {{"gate", "incidents"}}}, now);
    db.append_audit({"system", "promotion.gate", "promotion #1", "fail", {{"gate", "incidents"}}}, now);
    db.append_audit({"system", "promotion.gate", "promotion #1", "pass", {{"gate", "made-up\"gate"}}}, now);

    const auto res = fetch(bot.endpoint(), "/metrics");
    REQUIRE(res);
    CHECK(res->result_int() == 200);
    CHECK(res->at(bhttp::field::content_type) == "text/plain; version=0.0.4; charset=utf-8");
    const auto text = res->body();
    INFO(text);

    testing::temp_dir dir;
    const auto [status, said] = promtool_check(text, dir);
    INFO("promtool: " << said);
    CHECK(status == 0);

    CHECK(sample(text, "promotebot_envelopes_received_total{type=\"events_api\"}") == 4);
    CHECK(sample(text, "promotebot_envelopes_received_total{type=\"slash_commands\"}") == 1);
    CHECK(sample(text, "promotebot_envelopes_received_total{type=\"other\"}") == 1);
    CHECK(sample(text, "promotebot_envelopes_received_total{type=\"interactive\"}") == 0);
    CHECK(sample(text, "promotebot_envelopes_acked_total{type=\"events_api\"}") == 4);
    CHECK(sample(text, "promotebot_envelopes_acked_total{type=\"slash_commands\"}") == 1);
    CHECK(sample(text, "promotebot_ack_latency_seconds_count{type=\"events_api\"}") == 4);
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"events_api\",le=\"+Inf\"}") == 4);
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"events_api\",le=\"0.0001\"}").has_value());
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"events_api\",le=\"3\"}") == 4);
    CHECK(*sample(text, "promotebot_ack_latency_seconds_sum{type=\"events_api\"}") > 0);
    CHECK(sample(text, "promotebot_slack_api_requests_total{method=\"apps.connections.open\"}") >= 1);
    CHECK(sample(text, "promotebot_slack_api_rate_limited_total{method=\"apps.connections.open\"}") == 0);
    CHECK(sample(text, "promotebot_socket_mode_reconnects_total{reason=\"slack_disconnect\"}") == 0);
    CHECK(sample(text, "promotebot_socket_mode_links_up") == 1);
    CHECK(sample(text, "promotebot_store_up") == 1);
    CHECK(sample(text, "promotebot_outbox_pending") == 2);
    const auto age = sample(text, "promotebot_outbox_oldest_pending_age_seconds");
    REQUIRE(age);
    CHECK(*age >= 90);
    CHECK(*age < 3600);
    CHECK(sample(text, "promotebot_deployments_total{environment=\"prod\",result=\"succeeded\"}") == 1);
    CHECK(sample(text, "promotebot_deployments_total{environment=\"int\",result=\"failed\"}") == 0);
    CHECK(sample(text, "promotebot_deployments_running{environment=\"prod\"}") == 1);
    CHECK(sample(text, "promotebot_deploy_locks_held{environment=\"prod\"}") == 1);
    CHECK(sample(text, "promotebot_deploy_locks_held{environment=\"int\"}") == 0);
    CHECK(sample(text, "promotebot_gate_answers_total{gate=\"soak\",result=\"pass\"}") == 1);
    CHECK(sample(text, "promotebot_gate_answers_total{gate=\"incidents\",result=\"fail\"}") == 2);
    // A gate the configuration does not have is not a series of its own.
    CHECK(text.find("made-up") == std::string::npos);
    CHECK(sample(text, "promotebot_gate_answers_total{gate=\"other\",result=\"pass\"}") == 1);

    // A second scrape adds only what is new to the gate counters.
    db.append_audit({"system", "promotion.gate", "promotion #2", "pass", {{"gate", "soak"}}}, now);
    const auto again = fetch(bot.endpoint(), "/metrics");
    REQUIRE(again);
    CHECK(sample(again->body(), "promotebot_gate_answers_total{gate=\"soak\",result=\"pass\"}") == 2);
    CHECK(sample(again->body(), "promotebot_gate_answers_total{gate=\"incidents\",result=\"fail\"}") == 2);
}

TEST_CASE("the Web API counts every request and its 429s by method, unknown methods as other") {
    testing::fake_slack fake;
    bot::metrics_registry metrics;
    asio::io_context io;
    auto options = testing::web_api_options_for(fake);
    options.metrics = &metrics;
    slack::web_api api(io.get_executor(), options);
    testing::canned_response limited;
    limited.status = 429;
    limited.body = {{"ok", false}, {"error", "ratelimited"}};
    limited.headers = {{"Retry-After", "0"}};
    fake.queue_response("chat.postMessage", limited);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // Arguments are named before co_await: g++ 12 miscompiles temporaries built inside it.
            nlohmann::json post{{"channel", "C0RELEASE01"}, {"text", "hi"}};
            (void)co_await api.call("chat.postMessage", std::move(post));
            nlohmann::json nothing = nlohmann::json::object();
            (void)co_await api.call("admin.secret.method", std::move(nothing));
        },
        asio::detached);
    io.run();
    CHECK(metrics.web_api_requests(bot::web_api_method::chat_post_message) == 2);
    CHECK(metrics.web_api_rate_limited(bot::web_api_method::chat_post_message) == 1);
    CHECK(metrics.web_api_requests(bot::web_api_method::other) == 1);
}

TEST_CASE("the exposition escapes label values and writes the histogram cumulatively") {
    CHECK(bot::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
    CHECK(bot::format_value(0.00025) == "0.00025");
    CHECK(bot::format_value(3.0) == "3");
    CHECK(bot::format_value(0.0001) == "0.0001");
    CHECK(bot::format_value(1e-9) == "1e-09");
    bot::metrics_registry m;
    m.envelope_acked(bot::envelope_type::interactive, 50us);
    m.envelope_acked(bot::envelope_type::interactive, 700us);
    m.envelope_acked(bot::envelope_type::interactive, 10s);
    bot::prometheus_text out;
    m.write(out);
    const auto& text = out.text();
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"interactive\",le=\"0.0001\"}") == 1);
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"interactive\",le=\"0.0005\"}") == 1);
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"interactive\",le=\"0.001\"}") == 2);
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"interactive\",le=\"3\"}") == 2);
    CHECK(sample(text, "promotebot_ack_latency_seconds_bucket{type=\"interactive\",le=\"+Inf\"}") == 3);
    CHECK(sample(text, "promotebot_ack_latency_seconds_count{type=\"interactive\"}") == 3);
    CHECK(sample(text, "promotebot_ack_latency_seconds_sum{type=\"interactive\"}") == Approx(10.00075));
    bot::prometheus_text help;
    help.family("x_total", "counter", "a \\ b\nc");
    CHECK(help.text() == "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\n");
}
