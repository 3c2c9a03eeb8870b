// The Socket Mode client against the in-process fake Slack, over real
// TLS websockets on loopback.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "integrations/slack/socket_mode_client.hpp"
#include "integrations/slack/web_api.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"

using namespace promotebot;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

// A running client on its own io_context thread, recording what it delivers.
class client_under_test {
public:
    explicit client_under_test(testing::fake_slack& fake, int connections = 2,
                               std::chrono::milliseconds ping = 1000ms, std::chrono::milliseconds dead = 5000ms,
                               const std::function<void(slack::socket_mode_client_options&)>& adjust = {})
        : api_(io_.get_executor(), testing::web_api_options_for(fake)) {
        slack::socket_mode_client_options o;
        o.session.connections = connections;
        o.session.ping_interval = ping;
        o.session.dead_after = dead;
        o.session.backoff_base = 100ms;
        o.session.backoff_max = 2s;
        o.ca_file = fake.ca_file();
        // Every ack written and every delivery get the next number of one sequence.
        o.frame_written = [this](slack::link_id, std::string_view text) {
            const auto frame = nlohmann::json::parse(text, nullptr, false);
            if (!frame.is_object() || !frame.contains("envelope_id")) return;
            std::lock_guard lock(mutex_);
            ack_written_at_.emplace(frame["envelope_id"].get<std::string>(), ++sequence_);
        };
        if (adjust) adjust(o);
        slack::socket_mode_handlers h;
        h.ack_payload = [](const slack::envelope& e) -> std::optional<nlohmann::json> {
            if (e.type != "slash_commands") return std::nullopt;
            return nlohmann::json{{"response_type", "ephemeral"}, {"text", "got " + e.payload.value("text", "")}};
        };
        h.on_envelope = [this](slack::envelope e) {
            std::lock_guard lock(mutex_);
            delivered_at_.emplace(e.envelope_id, ++sequence_);
            delivered_.push_back(std::move(e));
        };
        client_ = std::make_unique<slack::socket_mode_client>(io_.get_executor(), api_, o, h);
        asio::co_spawn(io_, client_->run(), [this](std::exception_ptr e, slack::socket_mode_result r) {
            if (e) r = {true, "exception", "the client threw"};
            result_.set_value(r);
        });
        thread_ = std::thread([this] { io_.run(); });
    }

    ~client_under_test() {
        if (thread_.joinable()) {
            stop();
            thread_.join();
        }
    }

    void stop() {
        asio::post(io_, [this] { client_->stop(); });
    }

    // Waits for run() to return.
    std::optional<slack::socket_mode_result> finished(std::chrono::milliseconds timeout) {
        auto f = result_.get_future();
        if (f.wait_for(timeout) != std::future_status::ready) return std::nullopt;
        auto r = f.get();
        thread_.join();
        return r;
    }

    int links_up() {
        std::promise<int> p;
        asio::post(io_, [&] { p.set_value(client_->links_up()); });
        return p.get_future().get();
    }

    std::vector<slack::envelope> delivered() {
        std::lock_guard lock(mutex_);
        return delivered_;
    }

    // Sequence numbers: when the ack of an envelope was written, when it was delivered.
    std::map<std::string, std::uint64_t> ack_written_at() {
        std::lock_guard lock(mutex_);
        return ack_written_at_;
    }
    std::map<std::string, std::uint64_t> delivered_at() {
        std::lock_guard lock(mutex_);
        return delivered_at_;
    }

    bool wait_for_deliveries(std::size_t n, std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (delivered().size() >= n) return true;
            std::this_thread::sleep_for(5ms);
        }
        return delivered().size() >= n;
    }

private:

    asio::io_context io_;
    slack::web_api api_;
    std::unique_ptr<slack::socket_mode_client> client_;
    std::promise<slack::socket_mode_result> result_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<slack::envelope> delivered_;
    std::uint64_t sequence_ = 0;
    std::map<std::string, std::uint64_t> ack_written_at_;
    std::map<std::string, std::uint64_t> delivered_at_;
};

// Sends an envelope on every live link and waits for all their acks. A
// link acks in order, so an ack for anything sent earlier on a link has
// arrived once its sentinel's ack has.
bool acked_up_to_sentinels(testing::fake_slack& fake, const std::string& name, std::chrono::milliseconds timeout) {
    std::set<std::string> sentinels;
    for (int link : fake.connections()) {
        sentinels.insert(fake.send_envelope("events_api", {{"event_id", name + std::to_string(link)}}, false, link));
    }
    return eventually(
        [&] {
            std::size_t seen = 0;
            for (const auto& a : fake.acks()) seen += sentinels.count(a.envelope_id);
            return seen == sentinels.size();
        },
        timeout);
}


}  // namespace

TEST_CASE("the client holds two TLS Socket Mode links and closes them cleanly on stop") {
    testing::fake_slack fake;
    client_under_test client(fake);
    REQUIRE(fake.wait_for_connections(2, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 2; }, 5s));
    // Every link was opened with its own apps.connections.open call and the app token.
    const auto opens = fake.calls("apps.connections.open");
    REQUIRE(opens.size() == 2);
    for (const auto& c : opens) CHECK(c.authorization == "Bearer " + fake.options().app_token);

    const auto links = fake.connections();
    client.stop();
    auto result = client.finished(10s);
    REQUIRE(result);
    CHECK_FALSE(result->fatal);
    // The fake notes the close frame on its own thread, just after answering it.
    for (int id : links) CHECK(fake.wait_for_clean_close(id, 2s));
}

TEST_CASE("every envelope type is acked exactly once and delivered after its ack") {
    testing::fake_slack fake;
    client_under_test client(fake);
    REQUIRE(fake.wait_for_connections(2, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 2; }, 5s));

    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) {
        const auto n = std::to_string(i);
        ids.push_back(fake.send_envelope("slash_commands",
                                         {{"command", "/freeze"}, {"text", n}, {"trigger_id", "trig-s" + n},
                                          {"user_id", "U1"}, {"channel_id", "C1"}},
                                         true));
        ids.push_back(fake.send_envelope("interactive", {{"type", "block_actions"}, {"trigger_id", "trig-i" + n}}));
        ids.push_back(fake.send_envelope("events_api", {{"event_id", "Ev" + n}, {"event", {{"type", "app_mention"}}}}));
    }
    REQUIRE(fake.wait_for_acks(ids.size(), 10s));
    REQUIRE(client.wait_for_deliveries(ids.size(), 10s));
    REQUIRE(acked_up_to_sentinels(fake, "EvSentinel", 5s));

    std::map<std::string, int> acked;
    for (const auto& a : fake.acks()) {
        ++acked[a.envelope_id];
        if (a.payload.is_object()) CHECK_THAT(a.payload.value("text", ""), Catch::StartsWith("got "));
    }
    for (const auto& id : ids) CHECK(acked[id] == 1);
    CHECK(acked.size() == ids.size() + 2);  // and the two sentinels

    // Ack first, work after: each delivery came after its ack was written.
    const auto ack_written_at = client.ack_written_at();
    const auto delivered_at = client.delivered_at();
    for (const auto& id : ids) {
        REQUIRE(ack_written_at.count(id) == 1);
        REQUIRE(delivered_at.count(id) == 1);
        CHECK(ack_written_at.at(id) < delivered_at.at(id));
    }
    const std::set<std::string> sent(ids.begin(), ids.end());
    std::map<std::string, int> by_type;
    for (const auto& e : client.delivered()) {
        if (sent.count(e.envelope_id)) ++by_type[e.type];
    }
    CHECK(by_type["slash_commands"] == 30);
    CHECK(by_type["interactive"] == 30);
    CHECK(by_type["events_api"] == 30);
}

TEST_CASE("refresh_requested and warning during a stream of envelopes lose and double nothing") {
    testing::fake_slack fake;
    client_under_test client(fake);
    REQUIRE(fake.wait_for_connections(2, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 2; }, 5s));

    // Slack's behaviour: an envelope not acked in time is redelivered with a
    // new envelope_id and the same trigger_id.
    std::map<std::string, std::string> trigger_of;  // envelope_id -> trigger
    auto send = [&](int i, int retry = 0) {
        const auto trigger = "trig-" + std::to_string(i);
        auto id = fake.send_envelope("interactive", {{"type", "block_actions"}, {"trigger_id", trigger}}, false, {},
                                     retry, retry ? "timeout" : "");
        trigger_of[id] = trigger;
    };
    const int total = 300;
    for (int i = 0; i < total; ++i) {
        if (i == 100) fake.send_disconnect(fake.connections().front(), "refresh_requested");
        if (i == 200) fake.send_disconnect(fake.connections().back(), "warning");
        send(i);
        if (i % 20 == 0) std::this_thread::sleep_for(20ms);
    }
    // Redeliver whatever was not acked, as Slack does after its timeout. Once
    // both old links are gone and the new ones acked a sentinel, every ack
    // that will ever come has come.
    REQUIRE(eventually([&] { return fake.connections_opened() == 4 && fake.connections().size() == 2; }, 10s));
    REQUIRE(acked_up_to_sentinels(fake, "EvAfterRefresh", 5s));
    std::set<std::string> acked_triggers;
    for (const auto& a : fake.acks()) acked_triggers.insert(trigger_of[a.envelope_id]);
    int redelivered = 0;
    for (int i = 0; i < total; ++i) {
        if (!acked_triggers.count("trig-" + std::to_string(i))) {
            send(i, 1);
            ++redelivered;
        }
    }
    // Two sentinels were delivered too; a third pair, sent after the
    // redeliveries, is delivered after any duplicate of them would have been.
    REQUIRE(client.wait_for_deliveries(total + 2, 10s));
    REQUIRE(acked_up_to_sentinels(fake, "EvLast", 5s));
    REQUIRE(client.wait_for_deliveries(total + 4, 10s));

    std::map<std::string, int> handled;
    for (const auto& e : client.delivered()) {
        if (e.type == "interactive") ++handled[e.payload.value("trigger_id", "")];
    }
    CHECK(handled.size() == static_cast<std::size_t>(total));
    for (const auto& [trigger, n] : handled) CHECK(n == 1);
    CHECK(redelivered <= 2);  // make-before-break: at most an envelope in flight on a closing link
    // Both asked-to-go links were replaced: four links opened in all, two live now.
    CHECK(fake.connections_opened() == 4);
    CHECK(fake.connections().size() == 2);
}

TEST_CASE("a link that goes silent without a close frame is replaced within the dead-link bound") {
    testing::fake_slack fake;
    client_under_test client(fake, 2, 100ms, 600ms);
    REQUIRE(fake.wait_for_connections(2, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 2; }, 5s));
    const auto silent = fake.connections().front();
    const auto started = std::chrono::steady_clock::now();
    fake.go_silent(silent);
    REQUIRE(eventually([&] { return fake.connections_opened() == 3; }, 5s));
    const auto replaced_after = std::chrono::steady_clock::now() - started;
    // Silence bound (600 ms) plus one ping interval plus connection set-up.
    CHECK(replaced_after < 3s);
    REQUIRE(eventually([&] { return client.links_up() == 2; }, 5s));
    // The replacement works.
    const auto live = fake.connections();
    REQUIRE(std::find(live.begin(), live.end(), silent) == live.end());
    auto id = fake.send_envelope("events_api", {{"event_id", "EvAfterSilence"}}, false, live.back());
    REQUIRE(fake.wait_for_acks(1, 5s));
    CHECK(fake.acks().front().envelope_id == id);
}

TEST_CASE("apps.connections.open rate-limited, then failing with 5xx, then succeeding") {
    testing::fake_slack fake;
    fake.queue_response("apps.connections.open",
                        {429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "1"}}});
    fake.queue_response("apps.connections.open", {503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    const auto started = std::chrono::steady_clock::now();
    client_under_test client(fake, 1);
    REQUIRE(fake.wait_for_connections(1, 15s));
    REQUIRE(eventually([&] { return client.links_up() == 1; }, 5s));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took >= 1s);  // Retry-After was honoured
    CHECK(fake.calls("apps.connections.open").size() == 3);
}

TEST_CASE("a revoked app token stops the client with a fatal result") {
    testing::fake_slack fake;
    fake.queue_response("apps.connections.open", {200, {{"ok", false}, {"error", "token_revoked"}}, {}});
    client_under_test client(fake, 2);
    auto result = client.finished(10s);
    REQUIRE(result);
    CHECK(result->fatal);
    CHECK(result->reason == "token_revoked");
    CHECK_THAT(result->message, Catch::Contains("SLACK_APP_TOKEN"));
    CHECK_THAT(result->message, !Catch::Contains(fake.options().app_token));
}

TEST_CASE("link_disabled stops the client instead of reconnecting") {
    testing::fake_slack fake;
    client_under_test client(fake, 1);
    REQUIRE(fake.wait_for_connections(1, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 1; }, 5s));
    fake.send_disconnect(fake.connections().front(), "link_disabled");
    auto result = client.finished(10s);
    REQUIRE(result);
    CHECK(result->fatal);
    CHECK(result->reason == "link_disabled");
    CHECK(fake.connections_opened() == 1);
}

TEST_CASE("plain ws:// links work for tests") {
    testing::fake_slack_options options;
    options.tls = false;
    testing::fake_slack fake(options);
    client_under_test client(fake, 1);
    REQUIRE(fake.wait_for_connections(1, 10s));
    auto id = fake.send_envelope("events_api", {{"event_id", "EvPlain"}});
    REQUIRE(fake.wait_for_acks(1, 5s));
    CHECK(fake.acks().front().envelope_id == id);
}

TEST_CASE("the websocket upgrade names a non-default port in its Host header") {
    testing::fake_slack fake;
    client_under_test client(fake, 1);
    REQUIRE(fake.wait_for_connections(1, 10s));
    const auto api = fake.api_url();  // https://127.0.0.1:<port>/api/
    const auto port = api.substr(api.rfind(':') + 1, api.find('/', api.rfind(':')) - api.rfind(':') - 1);
    REQUIRE(fake.websocket_hosts().size() == 1);
    CHECK(fake.websocket_hosts().front() == "127.0.0.1:" + port);
}

TEST_CASE("a link whose TLS handshake never completes is given up at the connect deadline and replaced") {
    testing::fake_slack fake;
    // Listening but never accepting: the kernel completes TCP, nobody speaks TLS.
    asio::io_context blackhole_io;
    asio::ip::tcp::acceptor blackhole(blackhole_io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = std::to_string(blackhole.local_endpoint().port());
    fake.queue_response("apps.connections.open",
                        {200, {{"ok", true}, {"url", "wss://127.0.0.1:" + port + "/link/?ticket=0"}}, {}});
    const auto started = std::chrono::steady_clock::now();
    client_under_test client(fake, 1, 1000ms, 5000ms,
                             [](slack::socket_mode_client_options& o) { o.connect_timeout = 300ms; });
    REQUIRE(fake.wait_for_connections(1, 10s));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took >= 300ms);
    CHECK(took < 5s);
    CHECK(fake.calls("apps.connections.open").size() == 2);
}

TEST_CASE("a resolver that never answers is given up at the connect deadline and the link is opened again") {
    testing::fake_slack fake;
    auto resolutions = std::make_shared<std::atomic<int>>(0);
    client_under_test client(fake, 1, 1000ms, 5000ms, [&](slack::socket_mode_client_options& o) {
        o.connect_timeout = 300ms;
        // Owned by the client, so the parked answer goes before the client's io_context.
        auto parked = std::make_shared<std::vector<net::resolve_callback>>();
        o.resolver = [resolutions, parked](const std::string& host, const std::string& port,
                                           net::resolve_callback done) {
            if ((*resolutions)++ == 0) {
                parked->push_back(std::move(done));  // a DNS server that never answers
                return;
            }
            asio::ip::tcp::endpoint ep(asio::ip::make_address(host), static_cast<unsigned short>(std::stoi(port)));
            done({}, asio::ip::tcp::resolver::results_type::create(ep, host, port));
        };
    });
    REQUIRE(fake.wait_for_connections(1, 10s));
    CHECK(*resolutions == 2);
    CHECK(fake.calls("apps.connections.open").size() == 2);
}

TEST_CASE("malformed and deeply nested frames are dropped and the same link acks the next envelope") {
    testing::fake_slack fake;
    client_under_test client(fake);
    REQUIRE(fake.wait_for_connections(2, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 2; }, 5s));
    const std::size_t levels = 100000;
    const std::vector<std::string> frames{
        R"({"type":5})",
        R"({"type":"disconnect","reason":{"text":"bye"}})",
        R"({"envelope_id":"bad1","type":"slash_commands","accepts_response_payload":"true","payload":{"text":"x"}})",
        R"({"envelope_id":"bad2","type":"events_api","retry_attempt":"1","payload":{"event_id":"EvBad2"}})",
        R"({"envelope_id":"bad3","type":"events_api","retry_attempt":2.5,"payload":{"event_id":"EvBad3"}})",
        R"({"envelope_id":"bad4","type":"interactive","payload":"text"})",
        R"({"envelope_id":7,"type":"interactive","payload":{}})",
        R"({"envelope_id":"deep","type":"events_api","payload":{"x":)" + std::string(levels, '[') +
            std::string(levels, ']') + "}}",
        "not json",
    };
    const int link = fake.connections().front();
    std::size_t acks = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        CAPTURE(i);
        fake.send_text(link, frames[i]);
        const auto good = fake.send_envelope("events_api", {{"event_id", "EvGood" + std::to_string(i)}}, false, link);
        REQUIRE(fake.wait_for_acks(++acks, 5s));
        const auto last = fake.acks().back();
        CHECK(last.envelope_id == good);
        CHECK(last.connection == link);
    }
    // Only the good envelopes were acked and delivered; no link was given up or added.
    CHECK(fake.acks().size() == frames.size());
    CHECK(client.wait_for_deliveries(frames.size(), 5s));
    CHECK(client.delivered().size() == frames.size());
    CHECK(fake.connections_opened() == 2);
    CHECK(fake.connections().size() == 2);
    CHECK(client.links_up() == 2);
}

TEST_CASE("a connection ticket of the wrong type is an open failure and the link is opened again") {
    testing::fake_slack fake;
    fake.queue_response("apps.connections.open", {200, {{"ok", true}, {"url", 42}}, {}});
    client_under_test client(fake, 1);
    REQUIRE(fake.wait_for_connections(1, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 1; }, 5s));
    CHECK(fake.calls("apps.connections.open").size() == 2);
}

TEST_CASE("apps.connections.open refused many times at start is retried until Slack accepts") {
    testing::fake_slack fake;
    const int refusals = 8;
    for (int i = 0; i < refusals; ++i) fake.queue_response("apps.connections.open", {500, {{"ok", false}}, {}});
    client_under_test client(fake, 1, 1000ms, 5000ms, [](slack::socket_mode_client_options& o) {
        o.session.backoff_base = 5ms;
        o.session.backoff_max = 40ms;
    });
    REQUIRE(fake.wait_for_connections(1, 10s));
    REQUIRE(eventually([&] { return client.links_up() == 1; }, 5s));
    CHECK(fake.calls("apps.connections.open").size() == static_cast<std::size_t>(refusals + 1));
}
