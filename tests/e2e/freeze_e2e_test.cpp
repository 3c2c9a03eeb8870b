// /freeze end to end: the real bot (Socket Mode client, Web API client,
// router, SQLite store, audit log) against the in-process fake Slack over TLS.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <thread>

#include <date/date.h>
#include <sqlite3.h>

#include "bot/config/config.hpp"
#include "bot/services/freeze_source.hpp"
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


// The bot as deployed, on its own thread, talking to the fake.
struct running_bot {
    explicit running_bot(testing::fake_slack& fake, std::string app_token = {}, std::string store_path = {})
        : fake(fake) {
        cfg = bot::embedded_default_config();
        cfg.store = store_path.empty() ? dir.file() : store_path;
        cfg.slack.connections = 1;
        cfg.http.port = 0;  // tests run side by side: the OS picks a free port
        st = sqlite::open_sqlite_store(cfg.store);
        bot::slack_environment env;
        env.app_token = app_token.empty() ? fake.options().app_token : app_token;
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

    // Types a slash command in the release channel; returns the response_url used.
    std::string command(const std::string& user, const std::string& command, const std::string& text,
                        bool accepts_response_payload = false) {
        auto url = fake.make_response_url();
        fake.send_envelope("slash_commands",
                           {{"command", command},
                            {"text", text},
                            {"user_id", user},
                            {"channel_id", cfg.slack.release_channel},
                            {"response_url", url},
                            {"trigger_id", "trig-" + std::to_string(++triggers)}},
                           accepts_response_payload);
        return url;
    }

    void click(const std::string& user, const std::string& action_id, const std::string& value) {
        fake.send_envelope("interactive",
                           {{"type", "block_actions"},
                            {"user", {{"id", user}}},
                            {"channel", {{"id", cfg.slack.release_channel}}},
                            {"message", {{"ts", "1700000000.000100"}}},
                            {"response_url", fake.make_response_url()},
                            {"trigger_id", "trig-" + std::to_string(++triggers)},
                            {"actions", {{{"action_id", action_id}, {"value", value}, {"type", "button"}}}}});
    }

    // Waits until a command with this text was handled (its audit record is written).
    bool wait_for_audit(const std::string& subject, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            for (const auto& r : st->audit_since(std::chrono::sys_seconds{}))
                if (r.entry.subject == subject) return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

    // Waits until every outbox row was delivered (the answer reached Slack and was recorded).
    bool wait_for_outbox_delivered(std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (st->outbox_pending() != 0) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

    // The next answer through a response_url.
    nlohmann::json next_response() {
        ++responses;
        REQUIRE(fake.wait_for_calls("response_url", responses, 10s));
        return fake.calls("response_url").at(responses - 1).body;
    }

    testing::fake_slack& fake;
    testing::temp_dir dir;
    bot::config cfg;
    std::unique_ptr<sqlite::sqlite_store> st;
    std::unique_ptr<bot::slack_app> app;
    std::thread thread;
    int exit_code = -1;
    int triggers = 0;
    std::size_t responses = 0;
};

std::string all_text(const nlohmann::json& body) { return body.dump(); }

// A date `n` days from today, YYYY-MM-DD, so the tests never fall behind the calendar.
std::string day_from_now(int n) {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    return date::format("%F", date::sys_days{today.time_since_epoch()} + date::days{n});
}

}  // namespace

TEST_CASE("/freeze answers in the channel whether production is frozen, by which rules, until when") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));

    bot.command(engineer, "/freeze", "");
    auto body = bot.next_response();
    CHECK(body["response_type"] == "in_channel");
    REQUIRE(body["blocks"].is_array());
    CHECK(body["blocks"][0]["type"] == "header");
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto expected = bot::build_calendar(bot.cfg, *bot.st).status_at(now);
    CHECK_THAT(all_text(body), Catch::Contains(expected.frozen ? "Production is frozen" : "Production is not frozen"));
    CHECK_THAT(all_text(body), Catch::Contains("Next freeze"));

    bot.command(engineer, "/freeze", "status");
    CHECK(bot.next_response()["response_type"] == "in_channel");
}

TEST_CASE("only a Release Manager can add a freeze window, which is stored, audited and announced") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));

    SECTION("an engineer is refused privately and nothing is stored") {
        bot.command(engineer, "/freeze", "add 2030-03-02 2030-03-03 data centre move");
        auto body = bot.next_response();
        CHECK(body["response_type"] == "ephemeral");
        CHECK_THAT(all_text(body), Catch::Contains("Release Manager"));
        CHECK(bot.st->freeze_windows().empty());
        CHECK(fake.calls("chat.postMessage").empty());
    }
    SECTION("a Release Manager adds it, the channel hears of it, /freeze list shows it") {
        bot.command(release_manager, "/freeze",
                    "add " + day_from_now(40) + " " + day_from_now(41) + " data centre move");
        REQUIRE(fake.wait_for_calls("chat.postMessage", 1, 10s));
        auto post = fake.calls("chat.postMessage").at(0);
        CHECK(post.body["channel"] == bot.cfg.slack.release_channel);
        CHECK_THAT(all_text(post.body), Catch::Contains("Freeze window #1 added"));
        CHECK_THAT(all_text(post.body), Catch::Contains("data centre move"));
        CHECK(post.authorization == "Bearer " + fake.options().bot_token);
        auto windows = bot.st->freeze_windows();
        REQUIRE(windows.size() == 1);
        CHECK(windows[0].created_by == release_manager);
        // Two whole days in London: 48 hours, or one more or less across a DST change.
        const auto length = windows[0].end - windows[0].start;
        CHECK(length >= std::chrono::hours(47));
        CHECK(length <= std::chrono::hours(49));

        bot.command(engineer, "/freeze", "list 60");
        auto list = bot.next_response();
        CHECK_THAT(all_text(list), Catch::Contains("ad-hoc #1: data centre move"));
        CHECK_THAT(all_text(list), Catch::Contains("Remove #1"));

        const auto records = bot.st->audit_since(std::chrono::sys_seconds{});
        bool audited = false;
        for (const auto& r : records)
            if (r.entry.action == "freeze.add" && r.entry.outcome == "ok" && r.entry.actor == release_manager)
                audited = true;
        CHECK(audited);
        CHECK(bot.st->verify_audit().ok);
    }
}

TEST_CASE("removing a freeze window: refused for others, done by a Release Manager's button") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    const auto id = bot.st->add_freeze_window(std::chrono::sys_seconds{std::chrono::hours(24 * 365 * 61)},
                                              std::chrono::sys_seconds{std::chrono::hours(24 * 365 * 61 + 24)},
                                              "migration", release_manager,
                                              std::chrono::sys_seconds{std::chrono::hours(24 * 365 * 56)});

    bot.command(engineer, "/freeze", "remove " + std::to_string(id));
    auto typed = bot.next_response();
    CHECK(typed["response_type"] == "ephemeral");
    CHECK_THAT(all_text(typed), Catch::Contains("Only a Release Manager"));
    CHECK(bot.st->freeze_windows().size() == 1);

    bot.click(engineer, "freeze.remove", std::to_string(id));
    auto refused = bot.next_response();
    CHECK(refused["response_type"] == "ephemeral");
    CHECK_THAT(all_text(refused), Catch::Contains("Release Manager"));
    CHECK(bot.st->freeze_windows().size() == 1);

    bot.click(release_manager, "freeze.remove", std::to_string(id));
    REQUIRE(fake.wait_for_calls("chat.postMessage", 1, 10s));
    CHECK_THAT(all_text(fake.calls("chat.postMessage").at(0).body), Catch::Contains("removed"));
    CHECK(bot.st->freeze_windows().empty());

    bot.command(release_manager, "/freeze", "remove " + std::to_string(id));
    auto again = bot.next_response();
    CHECK(again["response_type"] == "ephemeral");
    CHECK_THAT(all_text(again), Catch::Contains("no active freeze window #" + std::to_string(id)));
}

TEST_CASE("malformed /freeze commands get a precise private error and change nothing") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    for (const auto* text : {"add 2030-02-30 2030-03-01 bad date", "add 2030-03-05 2030-03-01 backwards",
                             "add 2030-03-01 2030-03-02", "remove abc", "list 0", "sideways"}) {
        bot.command(release_manager, "/freeze", text);
        auto body = bot.next_response();
        INFO(text);
        CHECK(body["response_type"] == "ephemeral");
        CHECK_THAT(all_text(body), Catch::Contains("Usage"));
    }
    CHECK(bot.st->freeze_windows().empty());
    CHECK(fake.calls("chat.postMessage").empty());
}

TEST_CASE("help and malformed commands are answered inside the ack when Slack accepts a payload") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    bot.command(engineer, "/deploy", "now", true);
    REQUIRE(fake.wait_for_acks(1, 10s));
    auto ack = fake.acks().at(0);
    REQUIRE(ack.payload.is_object());
    CHECK(ack.payload["response_type"] == "ephemeral");
    CHECK_THAT(ack.payload.dump(), Catch::Contains("/freeze"));
    CHECK_THAT(ack.payload.dump(), Catch::Contains("/promote"));
    // Answered once: the command is handled (and audited) without a response_url call.
    REQUIRE(bot.wait_for_audit("/deploy now"));
    CHECK(fake.calls("response_url").empty());
    CHECK(bot.wait_for_outbox_delivered());
}

TEST_CASE("/promote opens the request form and /rollback posts a rollback proposal") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    bot.command(release_manager, "/promote", "v1.2.3 change CHG0012345");
    REQUIRE(fake.wait_for_calls("views.open", 1, 10s));
    const auto opened = fake.calls("views.open").at(0).body;
    CHECK_THAT(opened.dump(), Catch::Contains("CHG0012345"));
    CHECK_THAT(opened.dump(), Catch::Contains("Rollback plan"));

    const auto posts = fake.calls("chat.postMessage").size();
    bot.command(engineer, "/rollback", "dbt trades_daily");
    REQUIRE(fake.wait_for_calls("chat.postMessage", posts + 1, 10s));
    const auto body = fake.calls("chat.postMessage").back().body.dump();
    CHECK_THAT(body, Catch::Contains("trades_daily"));
    CHECK_THAT(body, Catch::Contains("Roll back"));
}

TEST_CASE("a wrong app token stops the bot with a non-zero exit") {
    testing::fake_slack fake;
    auto bot = std::make_unique<running_bot>(fake, "xapp-1-A000-not-the-right-token");
    bot->thread.join();
    CHECK(bot->exit_code != 0);
    CHECK(fake.connections_opened() == 0);
}

TEST_CASE("/freeze help explains every form privately") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    bot.command(engineer, "/freeze", "help");
    auto body = bot.next_response();
    CHECK(body["response_type"] == "ephemeral");
    for (const auto* form : {"status", "list", "add", "remove"}) CHECK_THAT(all_text(body), Catch::Contains(form));
    // Refusals and help are audited like everything else.
    bool audited = false;
    for (const auto& r : bot.st->audit_since(std::chrono::sys_seconds{}))
        if (r.entry.subject == "/freeze help" && r.entry.actor == engineer) audited = true;
    CHECK(audited);
}

TEST_CASE("a command acked just before a crash is handled when the bot starts again") {
    testing::fake_slack fake;
    testing::temp_dir dir;
    const auto url = fake.make_response_url();
    {
        // What the journal holds when the process died between the ack and the work.
        auto st = sqlite::open_sqlite_store(dir.file());
        const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        REQUIRE(st->journal_inbound({"trigger:crash-1", bot::inbound_kind::slash_command,
                                     {{"command", "/freeze"}, {"text", "status"}, {"user_id", engineer},
                                      {"channel_id", "C0RELEASE01"}, {"response_url", url}, {"trigger_id", "crash-1"}},
                                     now - std::chrono::seconds(20)}));
        REQUIRE(st->journal_inbound({"trigger:ancient", bot::inbound_kind::slash_command,
                                     {{"command", "/freeze"}, {"text", "add 2031-01-01 2031-01-02 stale"},
                                      {"user_id", release_manager}, {"channel_id", "C0RELEASE01"},
                                      {"trigger_id", "ancient"}},
                                     now - std::chrono::hours(3)}));
    }
    running_bot bot(fake, {}, dir.file());
    REQUIRE(fake.wait_for_calls("response_url", 1, 10s));
    CHECK_THAT(all_text(fake.calls("response_url").at(0).body), Catch::Contains("Production is"));
    REQUIRE(fake.wait_for_connections(1, 10s));
    CHECK(bot.st->unfinished_inbound().empty());
    // The three-hour-old command was recorded as expired, not run.
    CHECK(bot.st->freeze_windows().empty());
    bool expired = false;
    for (const auto& r : bot.st->audit_since(std::chrono::sys_seconds{}))
        if (r.entry.action == "inbound.expired" && r.entry.subject == "trigger:ancient") expired = true;
    CHECK(expired);
}

TEST_CASE("Slack's redelivery after a restart is acked but not handled twice") {
    testing::fake_slack fake;
    testing::temp_dir dir;
    const nlohmann::json payload{{"command", "/freeze"}, {"text", "add 2031-03-01 2031-03-02 once only"},
                                 {"user_id", release_manager}, {"channel_id", "C0RELEASE01"},
                                 {"response_url", fake.make_response_url()}, {"trigger_id", "trig-once"}};
    {
        running_bot first(fake, {}, dir.file());
        REQUIRE(fake.wait_for_connections(1, 10s));
        fake.send_envelope("slash_commands", payload);
        REQUIRE(fake.wait_for_calls("chat.postMessage", 1, 10s));
    }
    running_bot second(fake, {}, dir.file());
    REQUIRE(fake.wait_for_connections(1, 10s));
    const auto acks_before = fake.acks().size();
    fake.send_envelope("slash_commands", payload, false, {}, 1, "timeout");
    REQUIRE(fake.wait_for_acks(acks_before + 1, 10s));
    // A command sent after it is handled after it: by its answer, a second handling would show.
    second.command(engineer, "/freeze", "status");
    REQUIRE(fake.wait_for_calls("response_url", 1, 10s));
    CHECK(fake.calls("chat.postMessage").size() == 1);
    CHECK(second.st->freeze_windows().size() == 1);
    int adds = 0;
    for (const auto& r : second.st->audit_since(std::chrono::sys_seconds{}))
        if (r.entry.action == "freeze.add") ++adds;
    CHECK(adds == 1);
}

TEST_CASE("a /freeze add replayed after a crash adds one window and announces it once") {
    testing::fake_slack fake;
    testing::temp_dir dir;
    const auto url = fake.make_response_url();
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    {
        // Acked and journaled, then the process died before handling it.
        auto st = sqlite::open_sqlite_store(dir.file());
        REQUIRE(st->journal_inbound({"trigger:crash-add", bot::inbound_kind::slash_command,
                                     {{"command", "/freeze"},
                                      {"text", "add " + day_from_now(40) + " " + day_from_now(41) + " crash test"},
                                      {"user_id", release_manager}, {"channel_id", "C0RELEASE01"},
                                      {"response_url", url}, {"trigger_id", "crash-add"}},
                                     now - std::chrono::seconds(5)}));
    }
    {
        running_bot bot(fake, {}, dir.file());
        REQUIRE(fake.wait_for_calls("chat.postMessage", 1, 10s));
        CHECK(bot.st->freeze_windows().size() == 1);
    }
    // Started again: nothing is left to replay or to deliver.
    running_bot again(fake, {}, dir.file());
    REQUIRE(fake.wait_for_connections(1, 10s));
    again.command(engineer, "/freeze", "status");
    REQUIRE(fake.wait_for_calls("response_url", 1, 10s));
    CHECK(fake.calls("chat.postMessage").size() == 1);
    CHECK(again.st->freeze_windows().size() == 1);
    CHECK(again.wait_for_outbox_delivered());
}

TEST_CASE("an announcement committed just before a crash is delivered once after the restart") {
    testing::fake_slack fake;
    testing::temp_dir dir;
    {
        // The change, its record and its message committed; the process died before the post.
        auto st = sqlite::open_sqlite_store(dir.file());
        const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        st->transaction([&](bot::store_session& s) {
            const auto id = s.add_freeze_window(now + std::chrono::days(3), now + std::chrono::days(4), "committed",
                                                release_manager, now);
            bot::effects fx;
            fx.record(release_manager, "freeze.add", "/freeze add …", "ok", {{"id", id}});
            commands::message m;
            m.header = "Freeze window #" + std::to_string(id) + " added";
            fx.post("C0RELEASE01", m);
            fx.apply(s, now);
        });
    }
    running_bot bot(fake, {}, dir.file());
    REQUIRE(fake.wait_for_calls("chat.postMessage", 1, 10s));
    CHECK_THAT(fake.calls("chat.postMessage").at(0).body.dump(), Catch::Contains("Freeze window #1 added"));
    REQUIRE(fake.wait_for_connections(1, 10s));
    bot.command(engineer, "/freeze", "status");
    REQUIRE(fake.wait_for_calls("response_url", 1, 10s));
    CHECK(fake.calls("chat.postMessage").size() == 1);
    CHECK(bot.wait_for_outbox_delivered());
}

TEST_CASE("acks never wait on a locked store: they go out in time and the commands are handled once it is free") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    // Another writer (a backup, an operator's sqlite3 shell) holds the write lock.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(bot.cfg.store.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    for (int i = 0; i < 5; ++i) bot.command(engineer, "/freeze", "status");
    // Slack's deadline is 3 s; the journal holds an ack at most 100 ms.
    const bool acked_in_time = fake.wait_for_acks(5, 2500ms);
    const auto answered_while_locked = fake.calls("response_url").size();
    REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    CHECK(acked_in_time);
    CHECK(answered_while_locked == 0);  // the work waited for the store, the acks did not
    REQUIRE(fake.wait_for_calls("response_url", 5, 10s));
    for (const auto& call : fake.calls("response_url")) CHECK_THAT(all_text(call.body), Catch::Contains("Production is"));
}

TEST_CASE("/freeze calendar for December shows the month grid in a code block and the rules under it") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));

    // December of this year: always within 24 months, always with the year-end close.
    const auto zone = date::locate_zone(bot.cfg.timezone);
    const date::year_month_day today{
        date::floor<date::days>(zone->to_local(std::chrono::system_clock::now()))};
    const int year = static_cast<int>(today.year());
    const std::string month = std::to_string(year) + "-12";

    bot.command(engineer, "/freeze", "calendar " + month);
    const auto body = bot.next_response();
    CHECK(body["response_type"] == "in_channel");
    REQUIRE(body["blocks"].is_array());
    CHECK(body["blocks"][0]["text"]["text"] == ":calendar: Freeze calendar: December " + std::to_string(year));
    std::string grid;
    std::string fields;
    for (const auto& b : body["blocks"]) {
        if (b["type"] != "section") continue;
        if (b.contains("text") && b["text"]["text"].get<std::string>().rfind("```\n", 0) == 0)
            grid = b["text"]["text"];
        if (b.contains("fields"))
            for (const auto& f : b["fields"]) fields += f["text"].get<std::string>() + "\n";
    }
    INFO(body.dump(2));
    REQUIRE_FALSE(grid.empty());
    CHECK(grid.substr(grid.size() - 4) == "\n```");
    CHECK_THAT(grid, Catch::Contains(" Mo   Tu   We   Th   Fr   Sa   Su\n"));
    // The year-end close freezes 20 to 31 December whole days, whatever the weekday.
    CHECK_THAT(grid, Catch::Contains(" 20*"));
    CHECK_THAT(grid, Catch::Contains(" 31*"));
    CHECK_THAT(grid, Catch::Contains("* frozen all day   ~ frozen part of the day   &gt; today"));
    CHECK_THAT(fields, Catch::Contains("*year-end close*\n20 Dec " + std::to_string(year) + " – 5 Jan " +
                                       std::to_string(year + 1)));
    CHECK_THAT(fields, Catch::Contains("*month-end close*"));
    if (year == 2026) CHECK_THAT(fields, Catch::Contains("25 Dec (Christmas Day)"));
    CHECK(bot.wait_for_audit("/freeze calendar " + month));
}

TEST_CASE("/freeze calendar without a month shows the current month, a bad or far month is refused privately") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));

    bot.command(engineer, "/freeze", "calendar");
    const auto now = std::chrono::system_clock::now();
    auto body = bot.next_response();
    const auto current = date::format("%B %Y", date::make_zoned(date::locate_zone(bot.cfg.timezone), now));
    // At midnight on the 1st the month may have turned between the command and here.
    const auto earlier = date::format("%B %Y", date::make_zoned(date::locate_zone(bot.cfg.timezone), now - 1min));
    const std::string header = body["blocks"][0]["text"]["text"];
    CHECK((header == ":calendar: Freeze calendar: " + current ||
           header == ":calendar: Freeze calendar: " + earlier));
    CHECK(body["response_type"] == "in_channel");

    bot.command(engineer, "/freeze", "calendar 2026-13");
    body = bot.next_response();
    CHECK(body["response_type"] == "ephemeral");
    CHECK_THAT(all_text(body), Catch::Contains("`2026-13` is not a month: expected YYYY-MM, e.g. 2026-12"));

    bot.command(engineer, "/freeze", "calendar 2199-01");
    body = bot.next_response();
    CHECK(body["response_type"] == "ephemeral");
    CHECK_THAT(all_text(body), Catch::Contains("2199-01 is more than 24 months away"));
}
