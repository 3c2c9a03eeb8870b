// chat.update coalescing: bursts collapse, limits hold, and the final state
// of every message always arrives. Timing is checked on a manual clock; one
// test goes through the Web API against the fake Slack.
#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <vector>

#include <boost/asio.hpp>

#include "integrations/slack/update_coalescer.hpp"
#include "integrations/slack/web_api.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"
#include "tests/support/manual_clock.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using promotebot::slack::api_result;
using promotebot::slack::slack_errc;
using promotebot::slack::update_coalescer;
using promotebot::slack::web_api;
using promotebot::testing::fake_slack;
using promotebot::testing::manual_clock;

// A sender that answers at once from a script (ok when the script is empty)
// and notes what it was sent and when, by the manual clock.
struct scripted_sender {
    manual_clock& clock;
    std::deque<api_result> script;
    std::vector<std::pair<manual_clock::time_point, json>> sent;

    update_coalescer::sender function() {
        return [this](json args) -> asio::awaitable<api_result> {
            sent.emplace_back(clock.now(), std::move(args));
            api_result r;
            if (!script.empty()) {
                r = std::move(script.front());
                script.pop_front();
            }
            co_return r;
        };
    }
};

api_result rate_limited(std::chrono::seconds retry_after) {
    api_result r;
    r.ec = slack_errc::rate_limited;
    r.error = "ratelimited";
    r.http_status = 429;
    r.retry_after = retry_after;
    return r;
}

// Runs everything that is ready; time stands still.
void settle(asio::io_context& ioc) {
    ioc.restart();
    ioc.poll();
}

// Flushes the coalescer, moving the clock from alarm to alarm; fails the
// test when the coalescer waits for an alarm it never set.
void flush_on(asio::io_context& ioc, manual_clock& clock, update_coalescer& coalescer) {
    bool done = false;
    asio::co_spawn(ioc, coalescer.flush(), [&](std::exception_ptr) { done = true; });
    settle(ioc);
    while (!done) {
        REQUIRE(clock.advance_to_next_alarm());
        settle(ioc);
    }
}

}  // namespace

TEST_CASE("a burst of 100 progress updates to one message becomes 2 chat.update calls a window apart") {
    asio::io_context ioc;
    manual_clock clock;
    scripted_sender sender{clock, {}, {}};
    update_coalescer coalescer(ioc.get_executor(), sender.function(), 1000ms, 1200ms, clock.coalescer_clock());
    const auto start = clock.now();

    for (int i = 1; i <= 100; ++i) {
        coalescer.update("C1", "1700000000.000100", {{"text", "step " + std::to_string(i)}});
        if (i % 10 == 0) {
            settle(ioc);
            clock.advance(20ms);
        }
    }
    flush_on(ioc, clock, coalescer);

    REQUIRE(sender.sent.size() == 2);
    CHECK(sender.sent[0].first == start);
    CHECK(sender.sent[0].second["text"] == "step 10");
    // The second waits for the minimum interval (1200 ms), the longer of the two limits.
    CHECK(sender.sent[1].first - sender.sent[0].first == 1200ms);
    CHECK(sender.sent[1].second == json{{"channel", "C1"}, {"ts", "1700000000.000100"}, {"text", "step 100"}});
    CHECK(coalescer.pending() == 0);
}

TEST_CASE("updates to three messages each deliver their final state, spaced by the minimum interval") {
    asio::io_context ioc;
    manual_clock clock;
    scripted_sender sender{clock, {}, {}};
    update_coalescer coalescer(ioc.get_executor(), sender.function(), 300ms, 100ms, clock.coalescer_clock());
    const std::vector<std::string> messages{"1.000100", "1.000200", "1.000300"};

    for (int round = 1; round <= 5; ++round) {
        for (const auto& ts : messages) coalescer.update("C7", ts, {{"text", ts + " round " + std::to_string(round)}});
        settle(ioc);
        clock.advance(30ms);
    }
    flush_on(ioc, clock, coalescer);

    for (const auto& ts : messages) {
        json last;
        for (const auto& [at, args] : sender.sent) {
            if (args["ts"] == ts) last = args;
        }
        CHECK(last["text"] == ts + " round 5");
    }
    CHECK(sender.sent.size() < 15);
    for (std::size_t i = 1; i < sender.sent.size(); ++i) CHECK(sender.sent[i].first - sender.sent[i - 1].first >= 100ms);
    // The per-message window holds for each message.
    for (const auto& ts : messages) {
        std::vector<manual_clock::time_point> times;
        for (const auto& [at, args] : sender.sent) {
            if (args["ts"] == ts) times.push_back(at);
        }
        for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] >= 300ms);
    }
}

TEST_CASE("a rate-limited chat.update is sent again after Retry-After with the final state") {
    asio::io_context ioc;
    manual_clock clock;
    scripted_sender sender{clock, {rate_limited(3s)}, {}};
    update_coalescer coalescer(ioc.get_executor(), sender.function(), 100ms, 50ms, clock.coalescer_clock());

    coalescer.update("C1", "2.000100", {{"text", "checks running"}});
    settle(ioc);
    clock.advance(200ms);
    coalescer.update("C1", "2.000100", {{"text", "promoted"}});
    flush_on(ioc, clock, coalescer);

    REQUIRE(sender.sent.size() == 2);
    CHECK(sender.sent[0].second["text"] == "checks running");
    CHECK(sender.sent[1].second["text"] == "promoted");
    CHECK(sender.sent[1].first - sender.sent[0].first == 3s);
}

TEST_CASE("a rate-limited chat.update with no newer state resends the same state") {
    asio::io_context ioc;
    manual_clock clock;
    scripted_sender sender{clock, {rate_limited(1s)}, {}};
    update_coalescer coalescer(ioc.get_executor(), sender.function(), 100ms, 50ms, clock.coalescer_clock());

    coalescer.update("C1", "3.000100", {{"text", "frozen"}});
    flush_on(ioc, clock, coalescer);

    REQUIRE(sender.sent.size() == 2);
    CHECK(sender.sent[1].second["text"] == "frozen");
    CHECK(sender.sent[1].first - sender.sent[0].first == 1s);
}

TEST_CASE("an update Slack refuses with ok:false is not repeated") {
    asio::io_context ioc;
    manual_clock clock;
    api_result refused;
    refused.ec = slack_errc::ok_false;
    refused.error = "message_not_found";
    scripted_sender sender{clock, {refused}, {}};
    update_coalescer coalescer(ioc.get_executor(), sender.function(), 100ms, 50ms, clock.coalescer_clock());

    coalescer.update("C1", "4.000100", {{"text", "gone"}});
    flush_on(ioc, clock, coalescer);

    CHECK(sender.sent.size() == 1);
    CHECK(coalescer.pending() == 0);
}

TEST_CASE("a failing chat.update is given up after max_failures sends") {
    asio::io_context ioc;
    manual_clock clock;
    api_result failed;
    failed.ec = slack_errc::server_error;
    failed.error = "HTTP 503";
    scripted_sender sender{clock, std::deque<api_result>(10, failed), {}};
    update_coalescer coalescer(ioc.get_executor(), sender.function(), 100ms, 50ms, clock.coalescer_clock());

    coalescer.update("C1", "5.000100", {{"text", "deploying"}});
    flush_on(ioc, clock, coalescer);

    CHECK(sender.sent.size() == static_cast<std::size_t>(update_coalescer::max_failures) + 1);
    CHECK(coalescer.pending() == 0);
}

TEST_CASE("coalesced updates reach the fake Slack through the Web API with the final state") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    update_coalescer coalescer(
        ioc.get_executor(), [&](json args) { return api.call("chat.update", std::move(args)); }, 100ms, 50ms);

    auto done = asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (int i = 1; i <= 20; ++i) coalescer.update("C1", "6.000100", {{"text", "step " + std::to_string(i)}});
            co_await coalescer.flush();
        },
        asio::use_future);
    ioc.run();
    done.get();

    const auto calls = fake.calls("chat.update");
    REQUIRE(!calls.empty());
    CHECK(calls.size() <= 2);
    CHECK(calls.back().body == json{{"channel", "C1"}, {"ts", "6.000100"}, {"text", "step 20"}});
}
