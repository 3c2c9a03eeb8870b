#include <catch2/catch.hpp>

#include <map>

#include "integrations/slack/socket_mode_session.hpp"

using namespace promotebot::slack;
using namespace std::chrono_literals;

namespace {

template <class T>
std::vector<T> all_of(const actions& out) {
    std::vector<T> found;
    for (const auto& a : out)
        if (const auto* t = std::get_if<T>(&a)) found.push_back(*t);
    return found;
}

template <class T>
bool has(const actions& out) {
    return !all_of<T>(out).empty();
}

socket_mode_options test_options(int connections = 2) {
    socket_mode_options o;
    o.connections = connections;
    o.ping_interval = 5s;
    o.dead_after = 15s;
    o.hello_timeout = 10s;
    o.backoff_base = 500ms;
    o.backoff_max = 30s;
    o.random_seed = 42;
    return o;
}

const std::string hello = R"({"type":"hello","num_connections":1,"debug_info":{"approximate_connection_time":18060}})";

std::string envelope_frame(const std::string& id, const std::string& type, const nlohmann::json& payload,
                           bool accepts = false, int retry = 0) {
    nlohmann::json f{{"envelope_id", id}, {"type", type}, {"payload", payload}, {"accepts_response_payload", accepts}};
    if (retry > 0) {
        f["retry_attempt"] = retry;
        f["retry_reason"] = "timeout";
    }
    return f.dump();
}

// Brings `count` links up and returns their IDs.
std::vector<link_id> bring_up(socket_mode_session& s, steady_time now) {
    std::vector<link_id> ids;
    for (const auto& o : all_of<action::open_link>(s.on_start(now))) ids.push_back(o.id);
    for (auto id : ids) {
        s.on_link_opened(id, now);
        s.on_frame(id, hello, now);
    }
    return ids;
}

}  // namespace

TEST_CASE("the session opens the configured number of links at start") {
    const auto t0 = steady_time{} + 1h;
    for (int n : {1, 2, 10}) {
        socket_mode_session s(test_options(n));
        auto out = s.on_start(t0);
        CHECK(all_of<action::open_link>(out).size() == static_cast<std::size_t>(n));
    }
    socket_mode_session capped(test_options(25));
    CHECK(all_of<action::open_link>(capped.on_start(t0)).size() == 10);
}

TEST_CASE("a link counts as up only after Slack's hello") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = all_of<action::open_link>(s.on_start(t0)).at(0).id;
    s.on_link_opened(id, t0);
    CHECK(s.links_up() == 0);
    CHECK(s.state_of(id) == socket_mode_session::link_state::awaiting_hello);
    s.on_frame(id, hello, t0 + 10ms);
    CHECK(s.links_up() == 1);
}

TEST_CASE("every envelope is acked with its envelope_id before it is delivered") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = bring_up(s, t0).at(0);
    for (const std::string type : {"slash_commands", "interactive", "events_api"}) {
        const std::string eid = "env-" + type;
        nlohmann::json payload{{"trigger_id", "trig-" + type}, {"event_id", "Ev-" + type}};
        auto out = s.on_frame(id, envelope_frame(eid, type, payload), t0);
        REQUIRE(out.size() >= 2);
        auto* ack = std::get_if<action::send_text>(&out[0]);
        REQUIRE(ack != nullptr);
        CHECK(ack->id == id);
        CHECK(nlohmann::json::parse(ack->text) == nlohmann::json{{"envelope_id", eid}});
        auto delivered = all_of<action::deliver>(out);
        REQUIRE(delivered.size() == 1);
        CHECK(delivered[0].env.type == type);
        CHECK(delivered[0].env.envelope_id == eid);
    }
    CHECK(s.delivered() == 3);
}

TEST_CASE("an ack carries the responder's payload when the envelope accepts one") {
    const auto t0 = steady_time{} + 1h;
    int calls = 0;
    socket_mode_session s(test_options(1), [&](const envelope& e) -> std::optional<nlohmann::json> {
        ++calls;
        return nlohmann::json{{"text", "working on " + e.payload.value("text", "")}};
    });
    auto id = bring_up(s, t0).at(0);
    auto out = s.on_frame(id, envelope_frame("e1", "slash_commands", {{"text", "v1.2.3"}, {"trigger_id", "t1"}}, true), t0);
    auto acks = all_of<action::send_text>(out);
    REQUIRE(acks.size() == 1);
    CHECK(nlohmann::json::parse(acks[0].text)["payload"]["text"] == "working on v1.2.3");

    // Without accepts_response_payload the responder is not consulted.
    out = s.on_frame(id, envelope_frame("e2", "slash_commands", {{"text", "x"}, {"trigger_id", "t2"}}, false), t0);
    CHECK_FALSE(nlohmann::json::parse(all_of<action::send_text>(out).at(0).text).contains("payload"));
    CHECK(calls == 1);
}

TEST_CASE("a redelivered envelope is acked again but never handled twice") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(2));
    auto ids = bring_up(s, t0);
    nlohmann::json payload{{"trigger_id", "123.456.abc"}, {"command", "/freeze"}};

    auto first = s.on_frame(ids[0], envelope_frame("e1", "slash_commands", payload), t0);
    CHECK(all_of<action::deliver>(first).size() == 1);

    SECTION("same envelope_id again") {
        auto again = s.on_frame(ids[0], envelope_frame("e1", "slash_commands", payload), t0 + 1s);
        CHECK(all_of<action::send_text>(again).size() == 1);
        CHECK(all_of<action::deliver>(again).empty());
    }
    SECTION("Slack's retry: new envelope_id, same trigger_id, on another link") {
        auto retry = s.on_frame(ids[1], envelope_frame("e1-retry", "slash_commands", payload, false, 1), t0 + 3s);
        auto acks = all_of<action::send_text>(retry);
        REQUIRE(acks.size() == 1);
        CHECK(acks[0].id == ids[1]);
        CHECK(nlohmann::json::parse(acks[0].text)["envelope_id"] == "e1-retry");
        CHECK(all_of<action::deliver>(retry).empty());
    }
    SECTION("events are de-duplicated on event_id") {
        nlohmann::json event{{"event_id", "Ev01"}, {"event", {{"type", "app_home_opened"}}}};
        CHECK(all_of<action::deliver>(s.on_frame(ids[0], envelope_frame("x1", "events_api", event), t0)).size() == 1);
        CHECK(all_of<action::deliver>(s.on_frame(ids[1], envelope_frame("x2", "events_api", event, false, 2), t0)).empty());
    }
    CHECK(s.delivered() >= 1);
    CHECK(s.duplicates() >= 1);
}

TEST_CASE("a retry's ack repeats the first ack's payload") {
    const auto t0 = steady_time{} + 1h;
    int n = 0;
    socket_mode_session s(test_options(1), [&](const envelope&) -> std::optional<nlohmann::json> {
        return nlohmann::json{{"text", "answer " + std::to_string(++n)}};
    });
    auto id = bring_up(s, t0).at(0);
    nlohmann::json payload{{"trigger_id", "t-1"}};
    s.on_frame(id, envelope_frame("a", "slash_commands", payload, true), t0);
    auto retry = s.on_frame(id, envelope_frame("b", "slash_commands", payload, true, 1), t0);
    CHECK(nlohmann::json::parse(all_of<action::send_text>(retry).at(0).text)["payload"]["text"] == "answer 1");
    CHECK(n == 1);
}

TEST_CASE("refresh_requested opens the replacement first and closes the old link only when the new one is up") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto old_id = bring_up(s, t0).at(0);

    auto out = s.on_frame(old_id, R"({"type":"disconnect","reason":"refresh_requested"})", t0 + 1s);
    auto opens = all_of<action::open_link>(out);
    REQUIRE(opens.size() == 1);
    CHECK(all_of<action::close_link>(out).empty());
    CHECK(s.state_of(old_id) == socket_mode_session::link_state::retiring);

    // The old link still acks and delivers while the replacement comes up.
    auto during = s.on_frame(old_id, envelope_frame("e-during", "interactive", {{"trigger_id", "td"}}), t0 + 2s);
    CHECK(all_of<action::deliver>(during).size() == 1);

    const auto new_id = opens[0].id;
    s.on_link_opened(new_id, t0 + 2s);
    auto up = s.on_frame(new_id, hello, t0 + 3s);
    auto closes = all_of<action::close_link>(up);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].id == old_id);
    CHECK(closes[0].graceful);

    // Nothing new is opened when the old link finally closes.
    auto closed = s.on_link_closed(old_id, "closed by us", t0 + 4s);
    CHECK(all_of<action::open_link>(closed).empty());
    CHECK(s.links_up() == 1);
}

TEST_CASE("a disconnect warning is handled like a refresh") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(2));
    auto ids = bring_up(s, t0);
    auto out = s.on_frame(ids[0], R"({"type":"disconnect","reason":"warning"})", t0);
    CHECK(all_of<action::open_link>(out).size() == 1);
    CHECK(all_of<action::close_link>(out).empty());
}

TEST_CASE("link_disabled stops reconnecting and is fatal with a clear message") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(2));
    auto ids = bring_up(s, t0);
    auto out = s.on_frame(ids[0], R"({"type":"disconnect","reason":"link_disabled"})", t0);
    auto fatal = all_of<action::fatal>(out);
    REQUIRE(fatal.size() == 1);
    CHECK(fatal[0].reason == "link_disabled");
    CHECK_THAT(fatal[0].text, Catch::Contains("Socket Mode"));
    CHECK(all_of<action::open_link>(out).empty());
    CHECK(all_of<action::close_link>(out).size() == 2);
    for (auto id : ids) s.on_link_closed(id, "closed", t0);
    CHECK(all_of<action::open_link>(s.on_timer(t0 + 1min)).empty());
}

TEST_CASE("the session pings every link on its interval") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(2));
    auto ids = bring_up(s, t0);
    CHECK(s.next_deadline() == t0 + 5s);
    CHECK(all_of<action::send_ping>(s.on_timer(t0 + 4s)).empty());
    CHECK(all_of<action::send_ping>(s.on_timer(t0 + 5s)).size() == 2);
    s.on_pong(ids[0], t0 + 5s + 2ms);
    s.on_pong(ids[1], t0 + 5s + 2ms);
    CHECK(all_of<action::send_ping>(s.on_timer(t0 + 10s)).size() == 2);
}

TEST_CASE("a link silent for longer than the bound is replaced even without a close frame") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(2));
    auto ids = bring_up(s, t0);
    // Link 2 keeps answering pings; link 1 has gone silent.
    for (auto t = t0 + 5s; t < t0 + 15s; t += 5s) {
        s.on_timer(t);
        s.on_pong(ids[1], t + 1ms);
    }
    auto out = s.on_timer(t0 + 15s);
    auto closes = all_of<action::close_link>(out);
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].id == ids[0]);
    CHECK_FALSE(closes[0].graceful);
    CHECK(all_of<action::open_link>(out).size() == 1);
    CHECK(s.next_deadline() <= t0 + 20s);
}

TEST_CASE("a link that never says hello is replaced after the hello timeout") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = all_of<action::open_link>(s.on_start(t0)).at(0).id;
    s.on_link_opened(id, t0);
    // Pings keep it "heard", but without hello it never counts.
    s.on_pong(id, t0 + 9s);
    auto out = s.on_timer(t0 + 10s);
    CHECK(all_of<action::close_link>(out).size() == 1);
}

TEST_CASE("reconnects back off exponentially with jitter and honour Retry-After") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = all_of<action::open_link>(s.on_start(t0)).at(0).id;

    // Rate limited with Retry-After: 7 s: no attempt before then.
    auto out = s.on_open_failed(id, classify_open_failure("ratelimited", 429, 7s), t0);
    CHECK(all_of<action::open_link>(out).empty());
    CHECK(s.next_deadline() >= t0 + 7s);
    CHECK(all_of<action::open_link>(s.on_timer(t0 + 6s)).empty());
    auto now = s.next_deadline();
    auto retry = all_of<action::open_link>(s.on_timer(now));
    REQUIRE(retry.size() == 1);

    // Then 5xx failures: the delays grow and stay within the cap.
    std::vector<std::chrono::milliseconds> delays;
    link_id current = retry[0].id;
    for (int i = 0; i < 8; ++i) {
        s.on_open_failed(current, classify_open_failure("", 503, 0s), now);
        auto next = s.next_deadline();
        delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(next - now));
        auto opened = all_of<action::open_link>(s.on_timer(next));
        REQUIRE(opened.size() == 1);
        current = opened[0].id;
        now = next;
    }
    CHECK(delays.front() < delays.back());
    for (auto d : delays) CHECK(d <= 30s);
    CHECK(delays.back() >= 15s);  // half of the cap at least, with equal jitter

    // Success resets the backoff.
    s.on_link_opened(current, now);
    s.on_frame(current, hello, now);
    auto dropped = s.on_link_closed(current, "eof", now + 1s);
    CHECK(all_of<action::open_link>(dropped).size() == 1);
}

TEST_CASE("fatal auth errors from apps.connections.open stop the bot") {
    const auto t0 = steady_time{} + 1h;
    for (const char* error : {"invalid_auth", "not_authed", "account_inactive", "token_revoked"}) {
        socket_mode_session s(test_options(2));
        auto opens = all_of<action::open_link>(s.on_start(t0));
        auto out = s.on_open_failed(opens[0].id, classify_open_failure(error, 200, 0s), t0);
        auto fatal = all_of<action::fatal>(out);
        REQUIRE(fatal.size() == 1);
        CHECK_THAT(fatal[0].text, Catch::Contains(error));
        CHECK(s.fatal_stop());
        CHECK(all_of<action::open_link>(s.on_timer(t0 + 1h)).empty());
    }
}

TEST_CASE("stopping closes every link gracefully and leaves new envelopes for redelivery") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(2));
    auto ids = bring_up(s, t0);
    auto out = s.on_stop(t0);
    CHECK(all_of<action::close_link>(out).size() == 2);
    for (const auto& c : all_of<action::close_link>(out)) CHECK(c.graceful);
    auto late = s.on_frame(ids[0], envelope_frame("late", "slash_commands", {{"trigger_id", "z"}}), t0);
    CHECK(all_of<action::send_text>(late).empty());
    CHECK(all_of<action::deliver>(late).empty());
    CHECK(all_of<action::stopped>(s.on_link_closed(ids[0], "closed", t0)).empty());
    CHECK(all_of<action::stopped>(s.on_link_closed(ids[1], "closed", t0)).size() == 1);
}

TEST_CASE("garbage frames are logged and ignored") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = bring_up(s, t0).at(0);
    auto out = s.on_frame(id, "not json {", t0);
    CHECK(has<action::log>(out));
    CHECK_FALSE(has<action::deliver>(out));
    CHECK_FALSE(has<action::send_text>(out));
    out = s.on_frame(id, R"({"envelope_id": 12})", t0);
    CHECK_FALSE(has<action::send_text>(out));
}

TEST_CASE("open failures are classified from Slack's answer") {
    CHECK(classify_open_failure("ratelimited", 200, 0s).what == open_failure::kind::rate_limited);
    CHECK(classify_open_failure("", 429, 3s).retry_after == 3s);
    CHECK(classify_open_failure("invalid_auth", 200, 0s).what == open_failure::kind::fatal_auth);
    CHECK(classify_open_failure("", 502, 0s).what == open_failure::kind::transient);
    CHECK(classify_open_failure("internal_error", 200, 0s).what == open_failure::kind::other_error);
}

namespace {

// `levels` nested arrays inside an envelope's payload.
std::string deeply_nested_envelope(const std::string& id, std::size_t levels) {
    return R"({"envelope_id":")" + id + R"(","type":"events_api","payload":{"deep":)" + std::string(levels, '[') +
           std::string(levels, ']') + "}}";
}

// The link still acks and delivers a good envelope.
void acks_next_envelope(socket_mode_session& s, link_id id, const std::string& envelope_id, steady_time now) {
    auto out = s.on_frame(id, envelope_frame(envelope_id, "events_api", {{"event_id", "Ev-" + envelope_id}}), now);
    const auto acks = all_of<action::send_text>(out);
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].id == id);
    CHECK(nlohmann::json::parse(acks[0].text)["envelope_id"] == envelope_id);
    CHECK(all_of<action::deliver>(out).size() == 1);
}

}  // namespace

TEST_CASE("a frame nested 100000 levels deep is logged once and dropped and the link keeps acking") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = bring_up(s, t0).at(0);
    actions out;
    REQUIRE_NOTHROW(out = s.on_frame(id, deeply_nested_envelope("deep", 100000), t0));
    const auto logs = all_of<action::log>(out);
    REQUIRE(logs.size() == 1);
    CHECK_THAT(logs[0].text, Catch::Contains("deeper than 64"));
    CHECK(out.size() == 1);
    CHECK(s.state_of(id) == socket_mode_session::link_state::up);
    acks_next_envelope(s, id, "after-deep", t0);
    // Slack's own depth passes: 60 levels inside the payload is within the frame's 64.
    out = s.on_frame(id, deeply_nested_envelope("shallow", 60), t0);
    CHECK(all_of<action::deliver>(out).size() == 1);
}

TEST_CASE("frames with wrong-typed fields are logged once and dropped and the link keeps acking") {
    const auto t0 = steady_time{} + 1h;
    const std::vector<std::string> frames{
        R"({"type":5})",
        R"({"type":"disconnect","reason":{"text":"bye"}})",
        R"({"type":"disconnect","reason":["link_disabled"]})",
        R"({"envelope_id":"e1","type":"slash_commands","accepts_response_payload":"true","payload":{"text":"x"}})",
        R"({"envelope_id":"e2","type":"events_api","retry_attempt":1.5,"payload":{}})",
        R"({"envelope_id":"e3","type":"events_api","retry_attempt":"2","payload":{}})",
        R"({"envelope_id":"e4","type":"events_api","retry_attempt":-1,"payload":{}})",
        R"({"envelope_id":"e5","type":"events_api","retry_attempt":1e300,"payload":{}})",
        R"({"envelope_id":"e6","type":"events_api","retry_reason":{"why":1},"payload":{}})",
        R"({"envelope_id":"e7","type":["interactive"],"payload":{}})",
        R"({"envelope_id":"e8","type":"interactive","payload":"a string"})",
        R"({"envelope_id":"","type":"interactive","payload":{}})",
        R"({"envelope_id":null})",
        R"({"envelope_id":{"id":"e9"}})",
        R"([{"envelope_id":"e10"}])",
        R"("hello")",
        "null",
    };
    for (const auto& frame : frames) {
        CAPTURE(frame);
        socket_mode_session s(test_options(2), [](const envelope&) -> std::optional<nlohmann::json> {
            return nlohmann::json{{"text", "answer"}};
        });
        auto ids = bring_up(s, t0);
        actions out;
        REQUIRE_NOTHROW(out = s.on_frame(ids[0], frame, t0));
        // One log line and nothing else: no ack, no delivery, no new link, no close.
        REQUIRE(out.size() == 1);
        CHECK(all_of<action::log>(out).size() == 1);
        CHECK(s.links_up() == 2);
        CHECK(s.state_of(ids[0]) == socket_mode_session::link_state::up);
        acks_next_envelope(s, ids[0], "good", t0 + 1s);
        CHECK(all_of<action::open_link>(s.on_timer(t0 + 2s)).empty());
    }
}

TEST_CASE("a dropped envelope is handled when Slack sends it again well-formed") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = bring_up(s, t0).at(0);
    s.on_frame(id, R"({"envelope_id":"e1","type":"events_api","retry_attempt":"x","payload":{"event_id":"Ev1"}})",
               t0);
    auto out = s.on_frame(id, R"({"envelope_id":"e1","type":"events_api","payload":{"event_id":"Ev1"}})", t0);
    CHECK(all_of<action::deliver>(out).size() == 1);
}

TEST_CASE("a hello with a wrong-typed connection count still brings the link up") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto id = all_of<action::open_link>(s.on_start(t0)).at(0).id;
    s.on_link_opened(id, t0);
    actions out;
    REQUIRE_NOTHROW(out = s.on_frame(id, R"({"type":"hello","num_connections":"two"})", t0));
    CHECK(s.links_up() == 1);
}

TEST_CASE("refused connections at start are retried with backoff without end") {
    const auto t0 = steady_time{} + 1h;
    socket_mode_session s(test_options(1));
    auto current = all_of<action::open_link>(s.on_start(t0)).at(0).id;
    auto now = t0;
    // 200 refusals in a row (about an hour and a half of the capped backoff).
    for (int i = 0; i < 200; ++i) {
        auto out = s.on_open_failed(current, classify_open_failure("", 503, 0s), now);
        REQUIRE_FALSE(has<action::fatal>(out));
        REQUIRE_FALSE(s.fatal_stop());
        const auto next = s.next_deadline();
        REQUIRE(next > now);
        REQUIRE(next - now <= 30s);
        auto opened = all_of<action::open_link>(s.on_timer(next));
        REQUIRE(opened.size() == 1);
        current = opened[0].id;
        now = next;
    }
    CHECK(now - t0 > 30min);
    s.on_link_opened(current, now);
    s.on_frame(current, hello, now);
    CHECK(s.links_up() == 1);
}

namespace {

// Counts what the session reports, by label.
struct counting_sink : promotebot::bot::metrics_sink {
    std::map<promotebot::bot::envelope_type, int> received;
    std::map<promotebot::bot::reconnect_reason, int> reconnects;
    void envelope_received(promotebot::bot::envelope_type t) noexcept override { ++received[t]; }
    void link_reconnect(promotebot::bot::reconnect_reason r) noexcept override { ++reconnects[r]; }
};

}  // namespace

TEST_CASE("the session reports envelopes received by type and every link replacement with its reason") {
    using promotebot::bot::envelope_type;
    using promotebot::bot::reconnect_reason;
    const auto t0 = steady_time{} + 1h;
    counting_sink sink;
    auto options = test_options(2);
    options.metrics = &sink;
    socket_mode_session s(options);
    auto ids = bring_up(s, t0);

    auto acked = s.on_frame(ids[0], envelope_frame("e1", "events_api", {{"event_id", "Ev1"}}), t0);
    const auto ack = all_of<action::send_text>(acked).at(0);
    CHECK(ack.type == envelope_type::events_api);
    CHECK(ack.received == t0);
    s.on_frame(ids[0], envelope_frame("e2", "events_api", {{"event_id", "Ev1"}}, false, 1), t0);  // a redelivery
    s.on_frame(ids[1], envelope_frame("e3", "slash_commands", {{"trigger_id", "t3"}}), t0);
    s.on_frame(ids[1], envelope_frame("e4", "block_suggestion", nlohmann::json::object()), t0);
    CHECK(sink.received[envelope_type::events_api] == 2);
    CHECK(sink.received[envelope_type::slash_commands] == 1);
    CHECK(sink.received[envelope_type::other] == 1);
    CHECK(sink.received[envelope_type::interactive] == 0);

    // Slack asks link 1 to reconnect; its replacement fails to open (transient), then is rate limited.
    auto out = s.on_frame(ids[0], R"({"type":"disconnect","reason":"refresh_requested"})", t0 + 1s);
    CHECK(sink.reconnects[reconnect_reason::slack_disconnect] == 1);
    const auto replacement = all_of<action::open_link>(out).at(0).id;
    s.on_open_failed(replacement, {open_failure::kind::transient, "connection refused", 0s}, t0 + 1s);
    CHECK(sink.reconnects[reconnect_reason::open_failed] == 1);
    // Link 2 closes unexpectedly.
    s.on_link_closed(ids[1], "reset", t0 + 2s);
    CHECK(sink.reconnects[reconnect_reason::closed] == 1);
    // A link closed by us (the retiring one, once closing) is no reconnect.
    CHECK(sink.reconnects.count(reconnect_reason::silent) == 0);
    CHECK(sink.reconnects.count(reconnect_reason::no_hello) == 0);
}

TEST_CASE("the session reports a silent link and one without hello with their reasons") {
    using promotebot::bot::reconnect_reason;
    const auto t0 = steady_time{} + 1h;
    counting_sink sink;
    auto options = test_options(1);
    options.metrics = &sink;
    {
        socket_mode_session s(options);
        bring_up(s, t0);
        for (auto t = t0 + 5s; t <= t0 + 15s; t += 5s) s.on_timer(t);
        CHECK(sink.reconnects[reconnect_reason::silent] == 1);
    }
    {
        socket_mode_session s(options);
        auto id = all_of<action::open_link>(s.on_start(t0)).at(0).id;
        s.on_link_opened(id, t0);
        s.on_timer(t0 + 10s);
        CHECK(sink.reconnects[reconnect_reason::no_hello] == 1);
    }
    {
        socket_mode_session s(options);
        auto id = all_of<action::open_link>(s.on_start(t0)).at(0).id;
        s.on_open_failed(id, {open_failure::kind::rate_limited, "ratelimited", 5s}, t0);
        CHECK(sink.reconnects[reconnect_reason::rate_limited] == 1);
    }
}
