// A submitted modal end to end: the real bot (Socket Mode, router, SQLite
// store, outbox) receives the fake Slack's view_submission for a view opened
// through views.open, acks it without a payload (the modal closes), audits it
// and tells the person in a direct message that no service owns the form.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <boost/asio.hpp>

#include "bot/config/config.hpp"
#include "bot/main/slack_app.hpp"
#include "integrations/slack/slack_chat.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;

namespace {

const std::string release_manager = "U0RM00001";

struct running_bot {
    explicit running_bot(testing::fake_slack& fake) {
        cfg = bot::embedded_default_config();
        cfg.store = dir.file();
        cfg.slack.connections = 1;
        cfg.http.port = 0;  // tests run side by side: the OS picks a free port
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

    std::optional<bot::audit_record> wait_for_audit(const std::string& subject, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            for (const auto& r : st->audit_since(std::chrono::sys_seconds{}))
                if (r.entry.subject == subject) return r;
            std::this_thread::sleep_for(5ms);
        }
        return std::nullopt;
    }

    testing::temp_dir dir;
    bot::config cfg;
    std::unique_ptr<sqlite::sqlite_store> st;
    std::unique_ptr<bot::slack_app> app;
    std::thread thread;
};

// Opens a form the way the promotion service will: slack_chat::open_form with a fresh trigger.
std::string open_view(testing::fake_slack& fake, const commands::form& f) {
    boost::asio::io_context io;
    slack::web_api api(io.get_executor(), testing::web_api_options_for(fake));
    slack::slack_chat chat(api);
    // The coroutine runs in io.run(): the trigger must outlive this statement.
    const auto trigger = fake.issue_trigger();
    auto opened = boost::asio::co_spawn(io, chat.open_form(trigger, f), boost::asio::use_future);
    io.run();
    const auto r = opened.get();
    REQUIRE(r.ok());
    return r.ts;
}

}  // namespace

TEST_CASE("a submitted form nobody owns reaches the router which audits it and answers in a direct message that it is not handled") {
    testing::fake_slack fake;
    running_bot bot(fake);
    REQUIRE(fake.wait_for_connections(1, 10s));

    commands::form f;
    // A form an older version of the bot opened, whose owner is gone.
    f.title = "Promote v1.2.3";
    f.callback_id = "promote.retired";
    f.private_metadata = R"({"channel":"C0RELEASE01"})";
    f.fields = {{.id = "change", .label = "Change Record number(s)", .required = true},
                {.id = "rollback", .label = "Rollback plan", .kind = commands::form_field::kind::multiline,
                 .required = true},
                {.id = "option", .label = "Deployment", .kind = commands::form_field::kind::choice, .required = true,
                 .options = {{"A", "Terraform"}, {"B", "Application only"}}}};
    const auto view_id = open_view(fake, f);

    const auto envelope_id =
        fake.submit_view(view_id, release_manager, {{"change", "CHG0012345"}, {"rollback", "Redeploy v1.2.2"}, {"option", "A"}});

    const auto record = bot.wait_for_audit("form promote.retired");
    REQUIRE(record);
    CHECK(record->entry.actor == release_manager);
    CHECK(record->entry.action == "form");
    CHECK(record->entry.outcome == "rejected");
    CHECK(record->entry.detail["view_id"] == view_id);

    // The ack carried no payload: Slack closes the modal.
    REQUIRE(fake.wait_for_acks(1, 10s));
    bool acked = false;
    for (const auto& a : fake.acks())
        if (a.envelope_id == envelope_id) {
            acked = true;
            CHECK(a.payload.is_null());
        }
    CHECK(acked);

    REQUIRE(fake.wait_for_calls("chat.postMessage", 1, 10s));
    const auto post = fake.calls("chat.postMessage").at(0);
    CHECK(post.body["channel"] == release_manager);
    CHECK_THAT(post.body.dump(), Catch::Contains("This form is not handled (any more)."));
    CHECK(bot.st->verify_audit().ok);
}
