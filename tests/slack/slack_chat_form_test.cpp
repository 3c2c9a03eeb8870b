// slack_chat::open_form against the fake Slack over TLS: views.open with a
// trigger the fake issued, its refusals, and never a second send.
#include <catch2/catch.hpp>

#include <chrono>

#include <boost/asio.hpp>

#include "integrations/slack/block_kit.hpp"
#include "integrations/slack/slack_chat.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using promotebot::bot::delivery_result;
using promotebot::commands::form;
using promotebot::commands::form_field;
using promotebot::testing::canned_response;
using promotebot::testing::fake_slack;
using outcome = delivery_result::outcome;

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto result = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    return result.get();
}

form request_form() {
    form f;
    f.title = "Promote v1.2.3";
    f.callback_id = "promote.request";
    f.private_metadata = R"({"channel":"C0RELEASE01"})";
    f.fields = {{.id = "change", .label = "Change Record number(s)", .initial = "CHG0012345", .required = true},
                {.id = "option", .label = "Deployment", .kind = form_field::kind::choice, .initial = "A",
                 .required = true, .options = {{"A", "Terraform"}, {"B", "Application only"}}}};
    return f;
}

struct chat_on_fake {
    fake_slack fake;
    asio::io_context io;
    promotebot::slack::web_api api{io.get_executor(), promotebot::testing::web_api_options_for(fake)};
    promotebot::slack::slack_chat chat{api};

    delivery_result open(const std::string& trigger, const form& f) {
        return run(io, chat.open_form(trigger, f));
    }
};

}  // namespace

TEST_CASE("open_form opens the form as a modal with a fresh trigger and reports the view ID") {
    chat_on_fake t;
    const auto trigger = t.fake.issue_trigger();
    const auto r = t.open(trigger, request_form());
    REQUIRE(r.what == outcome::delivered);
    CHECK(r.ts.starts_with("V"));

    const auto calls = t.fake.calls("views.open");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].authorization == "Bearer " + t.fake.options().bot_token);
    CHECK(calls[0].body["trigger_id"] == trigger);
    CHECK(calls[0].body["view"] == promotebot::slack::modal_view(request_form()));
    const json view = t.fake.view(r.ts);
    CHECK(view["callback_id"] == "promote.request");
    CHECK(view["private_metadata"] == R"({"channel":"C0RELEASE01"})");
}

TEST_CASE("open_form with an expired, used or unknown trigger is rejected with Slack's error") {
    chat_on_fake t;
    SECTION("issued longer ago than a trigger lives") {
        const auto r = t.open(t.fake.issue_trigger(t.fake.options().trigger_lifetime + 1s), request_form());
        CHECK(r.what == outcome::rejected);
        CHECK(r.error == "expired_trigger_id");
        CHECK(t.fake.calls("views.open").size() == 1);
    }
    SECTION("used once already") {
        const auto trigger = t.fake.issue_trigger();
        REQUIRE(t.open(trigger, request_form()).ok());
        const auto again = t.open(trigger, request_form());
        CHECK(again.what == outcome::rejected);
        CHECK(again.error == "expired_trigger_id");
        CHECK(t.fake.calls("views.open").size() == 2);
    }
    SECTION("never issued") {
        const auto r = t.open("123.456.made-up", request_form());
        CHECK(r.what == outcome::rejected);
        CHECK(r.error == "expired_trigger_id");
        CHECK(t.fake.calls("views.open").size() == 1);
    }
}

TEST_CASE("open_form refuses a defective form or a missing trigger without calling Slack") {
    chat_on_fake t;
    auto f = request_form();
    f.fields.push_back(f.fields.front());  // a repeated field ID
    const auto r = t.open(t.fake.issue_trigger(), f);
    CHECK(r.what == outcome::rejected);
    CHECK_THAT(r.error, Catch::Contains("'change' is used twice"));
    const auto no_trigger = t.open("", request_form());
    CHECK(no_trigger.what == outcome::rejected);
    CHECK(t.fake.calls("views.open").empty());
}

TEST_CASE("a views.open whose answer is lost or that met a 5xx is reported maybe_sent and never sent again") {
    chat_on_fake t;
    SECTION("the connection closes after Slack took it") {
        canned_response lost;
        lost.hang_up = true;
        lost.processed = true;
        t.fake.queue_response("views.open", lost);
    }
    SECTION("a gateway's 503") {
        canned_response unavailable;
        unavailable.status = 503;
        unavailable.body = json{{"ok", false}};
        t.fake.queue_response("views.open", unavailable);
    }
    const auto r = t.open(t.fake.issue_trigger(), request_form());
    CHECK(r.what == outcome::maybe_sent);
    CHECK(t.fake.calls("views.open").size() == 1);
}

TEST_CASE("a rate-limited views.open is not waited out: the trigger would expire first") {
    chat_on_fake t;
    canned_response limited;
    limited.status = 429;
    limited.body = json{{"ok", false}, {"error", "ratelimited"}};
    limited.headers = {{"Retry-After", "1"}};
    t.fake.queue_response("views.open", limited);
    const auto r = t.open(t.fake.issue_trigger(), request_form());
    CHECK(r.what == outcome::not_sent);
    CHECK(r.retry_after.has_value());
    CHECK(t.fake.calls("views.open").size() == 1);
}
