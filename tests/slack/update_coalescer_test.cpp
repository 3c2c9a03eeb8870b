// chat.update coalescing against the fake Slack: bursts collapse, limits
// hold, and the final state of every message always arrives.
#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include <boost/asio.hpp>

#include "integrations/slack/update_coalescer.hpp"
#include "integrations/slack/web_api.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using promotebot::slack::api_result;
using promotebot::slack::update_coalescer;
using promotebot::slack::web_api;
using promotebot::slack::web_api_options;
using promotebot::testing::canned_response;
using promotebot::testing::fake_slack;
using clock_type = std::chrono::steady_clock;


void run(asio::io_context& ioc, asio::awaitable<void> work) {
    auto done = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    done.get();
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

// A sender that goes through the real Web API and notes when each send began.
struct timed_sender {
    web_api& api;
    std::vector<clock_type::time_point>& sent_at;
    asio::awaitable<api_result> operator()(json args) const {
        sent_at.push_back(clock_type::now());
        co_return co_await api.call_once("chat.update", std::move(args));
    }
};

}  // namespace

TEST_CASE("a burst of 100 progress updates to one message becomes at most 2 chat.update calls") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    std::vector<clock_type::time_point> sent_at;
    update_coalescer coalescer(ioc.get_executor(), timed_sender{api, sent_at});

    run(ioc, [&]() -> asio::awaitable<void> {
        for (int i = 1; i <= 100; ++i) {
            coalescer.update("C1", "1700000000.000100", {{"text", "step " + std::to_string(i)}});
            if (i % 10 == 0) co_await sleep_for(20ms);
        }
        co_await coalescer.flush();
    }());

    const auto calls = fake.calls("chat.update");
    REQUIRE(!calls.empty());
    CHECK(calls.size() <= 2);
    CHECK(calls.back().body == json{{"channel", "C1"}, {"ts", "1700000000.000100"}, {"text", "step 100"}});
    CHECK(coalescer.pending() == 0);
    if (sent_at.size() == 2) CHECK(sent_at[1] - sent_at[0] >= 950ms);
}

TEST_CASE("updates to three messages each deliver their final state, spaced by the minimum interval") {
    fake_slack fake;
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    std::vector<clock_type::time_point> sent_at;
    update_coalescer coalescer(ioc.get_executor(), timed_sender{api, sent_at}, 300ms, 100ms);
    const std::vector<std::string> messages{"1.000100", "1.000200", "1.000300"};

    run(ioc, [&]() -> asio::awaitable<void> {
        for (int round = 1; round <= 5; ++round) {
            for (const auto& ts : messages) coalescer.update("C7", ts, {{"text", ts + " round " + std::to_string(round)}});
            co_await sleep_for(30ms);
        }
        co_await coalescer.flush();
    }());

    const auto calls = fake.calls("chat.update");
    for (const auto& ts : messages) {
        const json recorded_last = [&] {
            json last;
            for (const auto& c : calls) {
                if (c.body["ts"] == ts) last = c.body;
            }
            return last;
        }();
        CHECK(recorded_last["text"] == ts + " round 5");
    }
    CHECK(calls.size() < 15);
    REQUIRE(sent_at.size() == calls.size());
    for (std::size_t i = 1; i < sent_at.size(); ++i) CHECK(sent_at[i] - sent_at[i - 1] >= 90ms);
}

TEST_CASE("a rate-limited chat.update is sent again after Retry-After with the final state") {
    fake_slack fake;
    fake.queue_response("chat.update",
                        canned_response{429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "1"}}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    std::vector<clock_type::time_point> sent_at;
    update_coalescer coalescer(ioc.get_executor(), timed_sender{api, sent_at}, 100ms, 50ms);

    run(ioc, [&]() -> asio::awaitable<void> {
        coalescer.update("C1", "2.000100", {{"text", "checks running"}});
        co_await sleep_for(200ms);
        coalescer.update("C1", "2.000100", {{"text", "promoted"}});
        co_await coalescer.flush();
    }());

    const auto calls = fake.calls("chat.update");
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].body["text"] == "checks running");
    CHECK(calls[1].body["text"] == "promoted");
    REQUIRE(sent_at.size() == 2);
    CHECK(sent_at[1] - sent_at[0] >= 950ms);
}

TEST_CASE("a rate-limited chat.update with no newer state resends the same state") {
    fake_slack fake;
    fake.queue_response("chat.update",
                        canned_response{429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "1"}}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    std::vector<clock_type::time_point> sent_at;
    update_coalescer coalescer(ioc.get_executor(), timed_sender{api, sent_at}, 100ms, 50ms);

    run(ioc, [&]() -> asio::awaitable<void> {
        coalescer.update("C1", "3.000100", {{"text", "frozen"}});
        co_await coalescer.flush();
    }());

    const auto calls = fake.calls("chat.update");
    REQUIRE(calls.size() == 2);
    CHECK(calls[1].body["text"] == "frozen");
}

TEST_CASE("an update Slack refuses with ok:false is not repeated") {
    fake_slack fake;
    fake.queue_response("chat.update", canned_response{200, {{"ok", false}, {"error", "message_not_found"}}, {}});
    asio::io_context ioc;
    web_api api(ioc.get_executor(), promotebot::testing::web_api_options_for(fake));
    std::vector<clock_type::time_point> sent_at;
    update_coalescer coalescer(ioc.get_executor(), timed_sender{api, sent_at}, 100ms, 50ms);

    run(ioc, [&]() -> asio::awaitable<void> {
        coalescer.update("C1", "4.000100", {{"text", "gone"}});
        co_await coalescer.flush();
    }());

    CHECK(fake.calls("chat.update").size() == 1);
    CHECK(coalescer.pending() == 0);
}
