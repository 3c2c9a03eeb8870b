// The App Home tab end to end: the real bot (Socket Mode, SQLite store,
// Web API client) receives the fake Slack's app_home_opened event and
// publishes the tab with views.publish for the person who opened it.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "bot/config/config.hpp"
#include "bot/main/slack_app.hpp"
#include "bot/services/freeze_source.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;

namespace {

const std::string engineer = "U0ENG00001";
const std::string release_manager = "U0RM00001";

struct running_bot {
    explicit running_bot(testing::fake_slack& fake) {
        cfg = bot::embedded_default_config();
        cfg.store = dir.file();
        cfg.slack.connections = 1;
        st = sqlite::open_sqlite_store(cfg.store);
        bot::slack_environment env;
        env.app_token = fake.options().app_token;
        env.bot_token = fake.options().bot_token;
        env.api_url = fake.api_url();
        env.ca_file = fake.ca_file();
        app = std::make_unique<bot::slack_app>(cfg, *st, env);
        thread = std::thread([this] { app->run(false); });
    }
    ~running_bot() {
        app->stop();
        if (thread.joinable()) thread.join();
        st.reset();
    }

    testing::temp_dir dir;
    bot::config cfg;
    std::unique_ptr<sqlite::sqlite_store> st;
    std::unique_ptr<bot::slack_app> app;
    std::thread thread;
};

std::chrono::sys_seconds seconds_now() { return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()); }

// An open prod request waiting for sign-offs, its gates answered.
std::int64_t open_request(sqlite::sqlite_store& st) {
    const auto now = seconds_now();
    commands::promotion p;
    p.version = "v1.4.2";
    p.env = commands::environment::prod;
    p.requester = engineer;
    p.channel = "C0RELEASE01";
    p.change_records = {"CHG0012345"};
    p.created_at = now;
    p.gates = {commands::gate_answer("soak", "Soaked on int for 24 h", commands::gate_state::pass, "26 h on int"),
               commands::gate_answer("change_record", "Change Record approved", commands::gate_state::fail,
                                     "CHG0012345: not approved yet")};
    bot::stored_promotion row;
    row.environment = "prod";
    row.version = p.version;
    row.state = "awaiting_signoffs";
    row.requested_by = engineer;
    row.doc = commands::to_json(p);
    return st.insert_promotion(row, now);
}

void finished_deployment(sqlite::sqlite_store& st) {
    bot::deployment_record d;
    d.environment = "prod";
    d.version = "v1.4.1";
    d.option = "app";
    d.requested_by = release_manager;
    d.started_at = seconds_now() - std::chrono::hours(3);
    const auto id = st.start_deployment(d);
    st.finish_deployment(id, "succeeded", "sha256:0123", d.started_at + std::chrono::minutes(12),
                         nlohmann::json::object());
}

std::string view_text(const nlohmann::json& view) { return view.dump(); }

}  // namespace

TEST_CASE("opening the Home tab publishes the freeze status, the open requests with gates and the deployments") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    // Written once the bot is up, so its start (which picks open requests up again) leaves them as they are.
    const auto id = open_request(*bot.st);
    finished_deployment(*bot.st);

    // The Messages tab publishes nothing; sent first on the same link, it is handled before the Home tab.
    fake.open_app_home(engineer, "messages");
    const auto now = seconds_now();
    fake.open_app_home(engineer, "home");
    REQUIRE(fake.wait_for_calls("views.publish", 1, 10s));
    const auto calls = fake.calls("views.publish");
    REQUIRE(calls.size() == 1);
    const auto& call = calls[0];
    CHECK(call.authorization == "Bearer " + fake.options().bot_token);
    CHECK(call.body["user_id"] == engineer);
    const auto& view = call.body["view"];
    CHECK(view["type"] == "home");
    REQUIRE(view["blocks"].is_array());
    CHECK(view["blocks"].size() <= 100);
    CHECK(view["blocks"][0]["type"] == "header");

    const auto text = view_text(view);
    INFO(view.dump(2));
    // The freeze as the calendar has it (unless it changed in the second between).
    const auto status = bot::build_calendar(bot.cfg, *bot.st).status_at(now);
    CHECK_THAT(text, Catch::Contains(status.frozen ? "Production is frozen now" : "Production is not frozen now"));
    CHECK_THAT(text, Catch::Contains("Next freeze"));
    CHECK_THAT(text, Catch::Contains("#" + std::to_string(id) + " v1.4.2 → prod*: awaiting_signoffs"));
    CHECK_THAT(text, Catch::Contains("<@" + engineer + ">"));
    CHECK_THAT(text, Catch::Contains(":white_check_mark: Soaked on int for 24 h — 26 h on int"));
    CHECK_THAT(text, Catch::Contains(":x: Change Record approved — CHG0012345: not approved yet"));
    CHECK_THAT(text, Catch::Contains(":white_check_mark: v1.4.1 succeeded"));
    CHECK_THAT(text, Catch::Contains("by <@" + release_manager + ">"));
    CHECK_THAT(text, Catch::Contains("None held"));
}

TEST_CASE("a refused views.publish is only logged and the next opening publishes again") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));
    testing::canned_response refused;
    refused.body = {{"ok", false}, {"error", "not_enabled"}};
    fake.queue_response("views.publish", refused);
    fake.open_app_home(engineer);
    REQUIRE(fake.wait_for_calls("views.publish", 1, 10s));
    fake.open_app_home(engineer);
    REQUIRE(fake.wait_for_calls("views.publish", 2, 10s));
    CHECK(fake.calls("views.publish").at(1).body["user_id"] == engineer);
    // Nothing went through the outbox.
    CHECK(bot.st->outbox_pending() == 0);
}
