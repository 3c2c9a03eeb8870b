// Fault injection: the real bot (Socket Mode client, Web API client, router,
// outbox, SQLite store) against the in-process fake Slack over TLS, while
// Slack misbehaves. For each fault: the bot stays up, no envelope is lost
// (every envelope with an ID is acked once a link is healthy, every command
// is answered once), the final message of a workflow reaches Slack, and the
// fault is logged once, not in a loop.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <date/date.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "bot/config/config.hpp"
#include "bot/main/slack_app.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/effects.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;

namespace {

const std::string engineer = "U0ENG00001";
const std::string release_manager = "U0RM00001";

// "add <day> <next day> <reason>" for a window 40 days ahead, whatever today is.
std::string freeze_add(const std::string& reason) {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const auto day = [&](int n) { return date::format("%F", date::sys_days{today.time_since_epoch()} + date::days{n}); };
    return "add " + day(40) + " " + day(41) + " " + reason;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// Every line the bot logs while it is alive, formatted as the operator sees it.
class line_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t out;
        formatter_->format(msg, out);
        lines_.emplace_back(out.data(), out.size());
    }
    void flush_() override {}

private:
    std::vector<std::string> lines_;
};

struct captured_log {
    captured_log() : previous(spdlog::default_logger()), sink(std::make_shared<line_sink>()) {
        auto logger = std::make_shared<spdlog::logger>("fault", sink);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(logger);
    }
    ~captured_log() { spdlog::set_default_logger(previous); }

    // Lines holding every one of `parts`.
    std::size_t count(std::initializer_list<std::string_view> parts) {
        std::size_t n = 0;
        for (const auto& l : sink->lines())
            if (std::all_of(parts.begin(), parts.end(), [&](std::string_view p) { return l.find(p) != std::string::npos; }))
                ++n;
        return n;
    }
    std::string all() {
        std::string s;
        for (const auto& l : sink->lines()) s += l;
        return s;
    }

    std::shared_ptr<spdlog::logger> previous;
    std::shared_ptr<line_sink> sink;
};

// The bot as deployed, on its own thread, talking to the fake. `tune` adjusts
// the configuration before it starts; `prepare` writes to its store first.
struct running_bot {
    running_bot(testing::fake_slack& fake, const std::function<void(bot::config&)>& tune = {},
                const std::function<void(sqlite::sqlite_store&)>& prepare = {})
        : fake(fake) {
        cfg = bot::embedded_default_config();
        cfg.store = dir.file();
        cfg.slack.connections = 1;
        cfg.http.port = 0;
        if (tune) tune(cfg);
        st = sqlite::open_sqlite_store(cfg.store);
        if (prepare) prepare(*st);
        bot::slack_environment env;
        env.app_token = fake.options().app_token;
        env.bot_token = fake.options().bot_token;
        env.api_url = fake.api_url();
        env.ca_file = fake.ca_file();
        app = std::make_unique<bot::slack_app>(cfg, *st, env);
        thread = std::thread([this] { exit_code = app->run(false); });
    }
    ~running_bot() {
        app->stop();
        if (thread.joinable()) thread.join();
        st.reset();
    }

    // A slash command on `link` (or any live link) answering through its own
    // response_url; returns that URL's path.
    std::string command(const std::string& user, const std::string& text, std::optional<int> link = {}) {
        const auto url = fake.make_response_url();
        fake.send_envelope("slash_commands",
                           {{"command", "/freeze"},
                            {"text", text},
                            {"user_id", user},
                            {"channel_id", cfg.slack.release_channel},
                            {"response_url", url},
                            {"trigger_id", "fault-" + std::to_string(++triggers)}},
                           false, link);
        return url.substr(url.find("/response/"));
    }

    bool wait_for_outbox_delivered(std::chrono::milliseconds timeout = 10s) {
        return eventually([&] { return st->outbox_pending() == 0; }, timeout);
    }

    testing::fake_slack& fake;
    testing::temp_dir dir;
    bot::config cfg;
    std::unique_ptr<sqlite::sqlite_store> st;
    std::unique_ptr<bot::slack_app> app;
    std::thread thread;
    int exit_code = -1;
    int triggers = 0;
};

std::size_t answers_to(const testing::fake_slack& fake, const std::string& path) {
    std::size_t n = 0;
    for (const auto& c : fake.calls("response_url"))
        if (c.path == path) ++n;
    return n;
}

// Every command answered exactly once. A last command, answered after the
// others, shows that no late second answer was on its way.
void require_answered_once(running_bot& bot, const std::vector<std::string>& paths) {
    REQUIRE(eventually([&] {
        return std::all_of(paths.begin(), paths.end(), [&](const auto& p) { return answers_to(bot.fake, p) >= 1; });
    }));
    const auto last = bot.command(engineer, "");
    REQUIRE(eventually([&] { return answers_to(bot.fake, last) == 1; }));
    for (const auto& p : paths) CHECK(answers_to(bot.fake, p) == 1);
}

}  // namespace

TEST_CASE("a link dropped without a close frame in a burst of envelopes loses none of them") {
    testing::fake_slack fake;
    captured_log log;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    const int link = fake.connections().at(0);

    std::vector<std::string> paths;
    for (int i = 0; i < 12; ++i) {
        // Half the burst goes out before the drop, half into the dead link.
        if (i == 6) fake.drop(link);
        paths.push_back(bot.command(engineer, "", link));
    }
    REQUIRE(eventually([&] { return fake.connections_opened() == 2 && fake.connections().size() == 1; }));
    // Slack redelivers what was not acked; the bot acks each and answers it once.
    CHECK(fake.redeliver_unacked() >= 6);
    REQUIRE(eventually([&] { return fake.unacked_envelopes().empty(); }));
    require_answered_once(bot, paths);
    CHECK(log.count({"link 1 closed unexpectedly"}) == 1);
    CHECK(log.count({"closed unexpectedly"}) == 1);
    CHECK(fake.connections_opened() == 2);
}

TEST_CASE("a link on which Slack stops answering pings is replaced and its envelopes are redelivered") {
    testing::fake_slack fake;
    captured_log log;
    running_bot running(fake, [](bot::config& c) {
        c.slack.ping_interval = 100ms;
        c.slack.dead_after = 600ms;
    });
    REQUIRE(fake.wait_for_connections(1, 10s));
    const int link = fake.connections().at(0);
    fake.go_silent(link);
    std::vector<std::string> paths;
    for (int i = 0; i < 3; ++i) paths.push_back(running.command(engineer, "", link));  // into the silence

    REQUIRE(eventually([&] { return fake.connections_opened() == 2 && fake.connections().size() == 1; }));
    CHECK(fake.redeliver_unacked() == 3);
    REQUIRE(eventually([&] { return fake.unacked_envelopes().empty(); }));
    require_answered_once(running, paths);
    CHECK(log.count({"link 1", "replacing it"}) == 1);
    CHECK(fake.connections_opened() == 2);
}

TEST_CASE("apps.connections.open failing for a while is retried with backoff until a link opens") {
    testing::fake_slack fake;
    captured_log log;
    // 1.5 s, not Slack's minute: the reconnect backoff (500 ms doubling, capped
    // at 30 s) is not configurable, and three failed attempts show the same.
    fake.fail_for("apps.connections.open", 1500ms, {503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    const auto attempts = fake.calls("apps.connections.open").size();
    const auto failures = attempts - 1;
    CHECK(failures >= 2);
    CHECK(failures <= 4);  // backoff, not a tight loop
    INFO(log.all());
    CHECK(log.count({"opening link", "failed: HTTP 503"}) == failures);
    require_answered_once(bot, {bot.command(engineer, "")});
}

TEST_CASE("a 429 storm on chat.update delays the queued messages, which all arrive, newest text last") {
    testing::fake_slack fake;
    captured_log log;
    for (int i = 0; i < 3; ++i)
        fake.queue_response("chat.update", {429, {{"ok", false}, {"error", "ratelimited"}}, {{"Retry-After", "1"}}});
    const std::string channel = bot::embedded_default_config().slack.release_channel;
    running_bot running(fake, {}, [&](sqlite::sqlite_store& st) {
        // Queued before the bot starts: a post, three updates of it, and another post.
        const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        st.transaction([&](bot::store_session& s) {
            bot::effects fx;
            commands::message m;
            m.header = "Release v9.9.9: started";
            fx.post(channel, m, "release-v9.9.9");
            for (const char* step : {"building", "deploying", "done"}) {
                m.header = std::string{"Release v9.9.9: "} + step;
                fx.update(channel, "release-v9.9.9", m);
            }
            commands::message other;
            other.header = "Unrelated announcement";
            fx.post(channel, other);
            fx.apply(s, now);
        });
    });
    REQUIRE(fake.wait_for_connections(1, 10s));
    // A command during the storm: its announcement joins the queue.
    running.command(release_manager, freeze_add("storm test"));
    REQUIRE(running.wait_for_outbox_delivered(10s));

    const auto updates = fake.calls("chat.update");
    REQUIRE(updates.size() == 4);  // three refused, then the newest text
    CHECK_THAT(updates.back().body.dump(), Catch::Contains("Release v9.9.9: done"));
    std::string posted;
    for (const auto& c : fake.calls("chat.postMessage")) posted += c.body.dump();
    CHECK_THAT(posted, Catch::Contains("Unrelated announcement"));
    CHECK_THAT(posted, Catch::Contains("Freeze window #1 added"));
    CHECK(log.count({"chat.update", "ratelimited"}) == 3);
}

TEST_CASE("5xx answers to chat.postMessage: the announcement is posted once after the storm") {
    testing::fake_slack fake;
    captured_log log;
    for (int i = 0; i < 2; ++i)
        fake.queue_response("chat.postMessage", {503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    bot.command(release_manager, freeze_add("outage test"));
    REQUIRE(eventually([&] { return fake.calls("chat.postMessage").size() == 3; }));
    REQUIRE(bot.wait_for_outbox_delivered(10s));
    const auto history = fake.channel_history(bot.cfg.slack.release_channel);
    REQUIRE(history.size() == 1);
    CHECK_THAT(history.at(0).dump(), Catch::Contains("Freeze window #1 added"));
    CHECK(log.count({"outbox: post #", "may not have been delivered"}) == 2);
}

TEST_CASE("malformed, binary, deeply nested, oversized frames and bad envelopes are dropped, the link stays") {
    testing::fake_slack fake;
    captured_log log;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    const int link = fake.connections().at(0);

    fake.send_text(link, "{\"type\": \"events_api\", \"envelope_id\": ");  // cut short
    fake.send_binary(link, std::string("\x00\x01\xfe\xff{\"envelope_id\":\"bin\"}", 24));
    fake.send_text(link, std::string(100000, '[') + std::string(100000, ']'));
    // Beyond the session's 4 MiB frame limit, within the websocket's message limit.
    fake.send_text(link, R"({"type":"events_api","envelope_id":"huge","payload":{"pad":")" + std::string(5 << 20, 'x') +
                             R"("}})");
    fake.send_envelope("shortcut_v9", {{"callback_id", "x"}});
    fake.send_envelope("slash_commands", {{"text", "status"}});  // no command, no user
    fake.send_envelope("slash_commands", {{"command", 5}, {"user_id", {1, 2}}, {"text", nullptr}});
    fake.send_envelope("interactive", {{"type", "block_actions"}, {"actions", "x"}, {"user", 7}});
    fake.send_envelope("interactive", {{"type", "view_submission"}, {"view", {{"state", 1}}}});
    fake.send_envelope("events_api", {{"type", "event_callback"}, {"event", 7}});
    // An envelope whose own fields are wrong (not its payload's) is left
    // unacked on purpose: Slack's redelivery may be well-formed.
    const auto unreadable = fake.send_envelope("events_api", nlohmann::json::array({1, 2}));
    const bool acked = eventually([&] { return fake.unacked_envelopes().size() == 1; });
    INFO(log.all());
    REQUIRE(acked);
    CHECK(fake.unacked_envelopes().at(0) == unreadable);

    require_answered_once(bot, {bot.command(engineer, "")});
    CHECK(fake.connections_opened() == 1);
    CHECK(log.count({"sent a frame that"}) == 5);
    CHECK(log.count({"sent a frame that", "not JSON"}) == 2);  // the cut-short text and the binary frame
    CHECK(log.count({"sent a frame that", "longer than"}) == 1);
    CHECK(log.count({"sent a frame that", "'payload' is not an object"}) == 1);
    CHECK(log.count({"sent a frame that", "nested deeper"}) == 1);
    CHECK(log.count({"slash command envelope", "without command or user"}) == 2);
    CHECK(log.count({"closed unexpectedly"}) == 0);
    INFO(log.all());
}

TEST_CASE("a frame beyond the websocket's message limit costs the link, not the envelopes behind it") {
    testing::fake_slack fake;
    captured_log log;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    const int link = fake.connections().at(0);
    fake.send_text(link, R"({"type":"events_api","envelope_id":"giant","payload":{"pad":")" + std::string(17 << 20, 'x') +
                             R"("}})");
    std::vector<std::string> paths;
    for (int i = 0; i < 3; ++i) paths.push_back(bot.command(engineer, "", link));
    REQUIRE(eventually([&] { return fake.connections_opened() == 2 && fake.connections().size() == 1; }));
    CHECK(fake.redeliver_unacked() == 3);
    REQUIRE(eventually([&] { return fake.unacked_envelopes().empty(); }));
    require_answered_once(bot, paths);
    CHECK(log.count({"link 1 closed unexpectedly"}) == 1);
    CHECK(fake.connections_opened() == 2);
}
