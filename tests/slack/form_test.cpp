// Forms as Slack modals: the views.open view, the errors ack, and the
// decoding of view_submission payloads (realistic and hostile).
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "integrations/slack/block_kit.hpp"
#include "integrations/slack/inbound.hpp"

using namespace promotebot;
using commands::form;
using commands::form_field;
using nlohmann::json;

namespace {

std::size_t chars(const std::string& s) {
    std::size_t n = 0;
    for (const char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

// The form /promote v1.2.3 will ask for, pre-filled from the command text.
form promote_form() {
    form f;
    f.title = "Promote v1.2.3";
    f.callback_id = "promote.request";
    f.private_metadata = R"({"channel":"C0RELEASE01","version":"v1.2.3","target":"prod"})";
    f.submit_label = "Request";
    f.intro = {commands::rich_text("Promote *v1.2.3* to prod for ") + commands::user_mention("U0RM00001")};
    f.fields = {
        {.id = "change", .label = "Change Record number(s)", .kind = form_field::kind::text, .initial = "CHG0012345",
         .required = true, .hint = "Comma-separated, e.g. CHG0012345, CHG0012346", .max_length = 200},
        {.id = "rollback", .label = "Rollback plan", .kind = form_field::kind::multiline, .required = true,
         .hint = "Text or a link to the plan"},
        {.id = "option", .label = "Deployment", .kind = form_field::kind::choice, .initial = "B", .required = true,
         .options = {{"A", "Option A: Terraform"}, {"B", "Option B: application only"}}},
    };
    return f;
}

// Slack's documented view_submission payload, as promotebot's modal would produce it.
json realistic_submission() {
    return json::parse(R"({
      "type": "view_submission",
      "team": {"id": "T0123ABCD", "domain": "example"},
      "user": {"id": "U0RM00001", "username": "rm", "name": "rm", "team_id": "T0123ABCD"},
      "api_app_id": "A0123ABCD",
      "token": "unused",
      "trigger_id": "1234567890123.1234567890.0123456789abcdef0123456789abcdef",
      "view": {
        "id": "V0123ABCDEF",
        "team_id": "T0123ABCD",
        "type": "modal",
        "blocks": [],
        "private_metadata": "{\"channel\":\"C0RELEASE01\"}",
        "callback_id": "promote.request",
        "state": {"values": {
          "change": {"change": {"type": "plain_text_input", "value": "CHG0012345, CHG0012346"}},
          "rollback": {"rollback": {"type": "plain_text_input", "value": "Redeploy v1.2.2\nhttps://wiki/rollback"}},
          "option": {"option": {"type": "radio_buttons",
                                "selected_option": {"text": {"type": "plain_text", "text": "Option A", "emoji": true},
                                                    "value": "A"}}},
          "notes": {"notes": {"type": "plain_text_input", "value": null}}
        }},
        "hash": "1577472424.4e8e9be3",
        "title": {"type": "plain_text", "text": "Promote v1.2.3", "emoji": true},
        "clear_on_close": false, "notify_on_close": false,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": true},
        "submit": {"type": "plain_text", "text": "Request", "emoji": true},
        "previous_view_id": null, "root_view_id": "V0123ABCDEF", "app_id": "A0123ABCD",
        "external_id": "", "app_installed_team_id": "T0123ABCD", "bot_id": "B0123ABCD"
      },
      "response_urls": [],
      "is_enterprise_install": false,
      "enterprise": null
    })");
}

}  // namespace

TEST_CASE("a form renders as a modal with its intro then one input block per field keyed by the field ID") {
    const json view = slack::modal_view(promote_form());
    CHECK(view["type"] == "modal");
    CHECK(view["callback_id"] == "promote.request");
    CHECK(view["private_metadata"] == R"({"channel":"C0RELEASE01","version":"v1.2.3","target":"prod"})");
    CHECK(view["title"] == json{{"type", "plain_text"}, {"text", "Promote v1.2.3"}, {"emoji", true}});
    CHECK(view["submit"]["text"] == "Request");
    CHECK(view["close"]["text"] == "Cancel");

    const json& blocks = view["blocks"];
    REQUIRE(blocks.size() == 4);
    CHECK(blocks[0] == json{{"type", "section"},
                            {"text", {{"type", "mrkdwn"}, {"text", "Promote *v1.2.3* to prod for <@U0RM00001>"}}}});

    CHECK(blocks[1] ==
          json{{"type", "input"},
               {"block_id", "change"},
               {"label", {{"type", "plain_text"}, {"text", "Change Record number(s)"}, {"emoji", true}}},
               {"optional", false},
               {"hint", {{"type", "plain_text"}, {"text", "Comma-separated, e.g. CHG0012345, CHG0012346"}, {"emoji", true}}},
               {"element",
                {{"type", "plain_text_input"},
                 {"action_id", "change"},
                 {"multiline", false},
                 {"max_length", 200},
                 {"initial_value", "CHG0012345"}}}});

    const json& rollback = blocks[2];
    CHECK(rollback["block_id"] == "rollback");
    CHECK(rollback["element"]["multiline"] == true);
    CHECK(rollback["element"]["max_length"] == 3000);  // no limit given: Slack's
    CHECK_FALSE(rollback["element"].contains("initial_value"));

    const json& option = blocks[3];
    CHECK(option["block_id"] == "option");
    const json& radios = option["element"];
    CHECK(radios["type"] == "radio_buttons");
    CHECK(radios["action_id"] == "option");
    REQUIRE(radios["options"].size() == 2);
    CHECK(radios["options"][0] ==
          json{{"text", {{"type", "plain_text"}, {"text", "Option A: Terraform"}, {"emoji", true}}}, {"value", "A"}});
    // Slack requires the initial option to equal one of the options exactly.
    CHECK(radios["initial_option"] == radios["options"][1]);
}

TEST_CASE("an optional field without a hint and a choice of more than 10 options become a plain input and a select") {
    form f;
    f.title = "t";
    f.callback_id = "c";
    form_field notes{.id = "notes", .label = "Notes"};
    form_field env{.id = "env", .label = "Environment", .kind = form_field::kind::choice};
    for (int i = 1; i <= 12; ++i) env.options.emplace_back("e" + std::to_string(i), "Env " + std::to_string(i));
    f.fields = {notes, env};
    const json view = slack::modal_view(f);
    const json& blocks = view["blocks"];
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[0]["optional"] == true);
    CHECK_FALSE(blocks[0].contains("hint"));
    CHECK_FALSE(view.contains("private_metadata"));
    CHECK(blocks[1]["element"]["type"] == "static_select");
    CHECK(blocks[1]["element"]["options"].size() == 12);
    CHECK(blocks[1]["element"].contains("placeholder"));
    CHECK_FALSE(blocks[1]["element"].contains("initial_option"));
}

TEST_CASE("a modal keeps every text within Slack's limits and shows user text as typed") {
    form f;
    f.title = "Promote a very long version name v1.2.3-rc.4";
    f.submit_label = "Request the promotion now please";
    f.close_label = "";
    f.callback_id = "promote.request";
    f.private_metadata = std::string(3100, 'm');
    f.intro = {std::string(7000, 'i')};
    const std::string hostile = "<!channel> & <@U0RM00001> \x1b[31mred\x07";
    form_field text{.id = "change", .label = hostile + std::string(2100, 'l'), .initial = "line one\nline two" + std::string(300, 'x'),
                    .hint = std::string(2100, 'h'), .max_length = 100};
    form_field multi{.id = "rollback", .label = "Rollback plan", .kind = form_field::kind::multiline,
                     .initial = "step 1\nstep 2\t<b>", .max_length = 99999};
    form_field choice{.id = "option", .label = "Option", .kind = form_field::kind::choice,
                      .options = {{"A", std::string(100, 'a')}, {"B", ""}}};
    f.fields = {text, multi, choice};

    const json view = slack::modal_view(f);
    CHECK(chars(view["title"]["text"]) == 24);
    CHECK(chars(view["submit"]["text"]) <= 24);
    CHECK(view["close"]["text"] == "Cancel");
    CHECK(chars(view["private_metadata"]) == 3000);
    CHECK(view["blocks"].size() == 3 + 3);  // the intro split into three sections
    for (const auto& b : view["blocks"]) {
        if (b["type"] == "section") {
            CHECK(chars(b["text"]["text"]) <= 3000);
            continue;
        }
        CHECK(chars(b["label"]["text"]) <= 2000);
        if (b.contains("hint")) CHECK(chars(b["hint"]["text"]) <= 2000);
        CHECK(chars(b["block_id"]) <= 255);
    }
    const json& input = view["blocks"][3];
    // plain_text is shown as typed by Slack: no mrkdwn escaping, but no control characters either.
    CHECK(input["label"]["text"].get<std::string>().starts_with("<!channel> & <@U0RM00001> [31mred"));
    CHECK(input["element"]["initial_value"] == "line one line two" + std::string(83, 'x'));
    CHECK(chars(input["element"]["initial_value"]) == 100);
    const json& rollback = view["blocks"][4]["element"];
    CHECK(rollback["max_length"] == 3000);
    CHECK(rollback["initial_value"] == "step 1\nstep 2 <b>");
    const json& options = view["blocks"][5]["element"]["options"];
    CHECK(chars(options[0]["text"]["text"]) == 75);
    CHECK(options[1]["text"]["text"] == "B");  // an option without a label shows its value
    CHECK(view.dump().find("\\u001b") == std::string::npos);
}

TEST_CASE("a modal never has more than 100 blocks: the intro gives way to the fields") {
    form f;
    f.title = "Many";
    f.callback_id = "many";
    for (int i = 0; i < 10; ++i) f.intro.push_back("paragraph " + std::to_string(i));
    for (int i = 0; i < 95; ++i) f.fields.push_back({.id = "f" + std::to_string(i), .label = "Field"});
    const json blocks = slack::modal_view(f)["blocks"];
    CHECK(blocks.size() == 100);
    CHECK(blocks[4]["type"] == "section");
    CHECK(blocks[5]["block_id"] == "f0");
    CHECK(blocks[99]["block_id"] == "f94");
}

TEST_CASE("field errors become a response_action errors ack keyed by block ID and no errors no payload") {
    commands::form_errors errors;
    errors.by_field = {{"change", "CHG0012345 is not an approved Change Record."}, {"rollback", ""}};
    CHECK(slack::form_errors_ack(errors) ==
          json{{"response_action", "errors"},
               {"errors", {{"change", "CHG0012345 is not an approved Change Record."},
                           {"rollback", "Please check this field."}}}});
    CHECK(slack::form_errors_ack({}).is_null());
}

TEST_CASE("a view_submission decodes into who submitted which form with one value per block") {
    const auto s = slack::form_submission_of(realistic_submission());
    REQUIRE(s);
    CHECK(s->callback_id == "promote.request");
    CHECK(s->private_metadata == R"({"channel":"C0RELEASE01"})");
    CHECK(s->user_id == "U0RM00001");
    CHECK(s->view_id == "V0123ABCDEF");
    CHECK(s->trigger_id == "1234567890123.1234567890.0123456789abcdef0123456789abcdef");
    CHECK(s->values == std::map<std::string, std::string>{{"change", "CHG0012345, CHG0012346"},
                                                          {"rollback", "Redeploy v1.2.2\nhttps://wiki/rollback"},
                                                          {"option", "A"},
                                                          {"notes", ""}});
    // Not a submission: other interactive payloads and slash commands.
    CHECK_FALSE(slack::form_submission_of(json{{"type", "block_actions"}}));
    CHECK_FALSE(slack::form_submission_of(json{{"command", "/promote"}, {"user_id", "U1"}}));
    CHECK(slack::button_presses_of(realistic_submission()).empty());
}

TEST_CASE("a view_submission with an unselected choice, an element under another action ID or no inputs decodes") {
    auto p = realistic_submission();
    p["view"]["state"]["values"]["option"]["option"]["selected_option"] = nullptr;
    p["view"]["state"]["values"]["change"] = {{"other_id", {{"type", "plain_text_input"}, {"value", "CHG1"}}}};
    p["view"]["private_metadata"] = "";
    auto s = slack::form_submission_of(p);
    REQUIRE(s);
    CHECK(s->values.at("option").empty());
    CHECK(s->values.at("change") == "CHG1");
    CHECK(s->private_metadata.empty());

    p["view"]["state"]["values"] = json::object();
    s = slack::form_submission_of(p);
    REQUIRE(s);
    CHECK(s->values.empty());
}

TEST_CASE("hostile view_submission payloads decode to nothing and never throw") {
    const auto base = realistic_submission();
    auto variant = [&](auto change) {
        json p = base;
        change(p);
        return p;
    };
    const std::vector<json> hostile = {
        json(nullptr),
        json::array({base}),
        json("view_submission"),
        variant([](json& p) { p.erase("user"); }),
        variant([](json& p) { p["user"] = "U0RM00001"; }),
        variant([](json& p) { p["user"]["id"] = 42; }),
        variant([](json& p) { p["user"]["id"] = ""; }),
        variant([](json& p) { p["user"]["id"] = std::string(300, 'U'); }),
        variant([](json& p) { p.erase("view"); }),
        variant([](json& p) { p["view"] = json::array(); }),
        variant([](json& p) { p["view"].erase("callback_id"); }),
        variant([](json& p) { p["view"]["callback_id"] = json::object(); }),
        variant([](json& p) { p["view"]["callback_id"] = std::string(256, 'c'); }),
        variant([](json& p) { p["view"]["id"] = nullptr; }),
        variant([](json& p) { p["view"]["private_metadata"] = std::string(12001, 'm'); }),
        variant([](json& p) { p["view"]["private_metadata"] = 7; }),
        variant([](json& p) { p["trigger_id"] = json::array(); }),
        variant([](json& p) { p["view"].erase("state"); }),
        variant([](json& p) { p["view"]["state"]["values"] = "x"; }),
        variant([](json& p) { p["view"]["state"]["values"]["change"] = "CHG1"; }),
        variant([](json& p) { p["view"]["state"]["values"]["change"] = json::object(); }),
        variant([](json& p) { p["view"]["state"]["values"]["change"]["change"] = json::array(); }),
        variant([](json& p) { p["view"]["state"]["values"]["change"]["change"]["value"] = 12; }),
        variant([](json& p) { p["view"]["state"]["values"]["change"]["change"]["value"] = std::string(12001, 'v'); }),
        variant([](json& p) { p["view"]["state"]["values"]["option"]["option"]["selected_option"] = "A"; }),
        variant([](json& p) { p["view"]["state"]["values"]["option"]["option"]["selected_option"]["value"] = true; }),
        variant([](json& p) { p["view"]["state"]["values"]["option"]["option"]["type"] = 3; }),
        variant([](json& p) { p["view"]["state"]["values"][std::string(256, 'b')] = p["view"]["state"]["values"]["change"]; }),
        variant([](json& p) {
            // Two elements, neither named after the block: which one is the field's is unknown.
            p["view"]["state"]["values"]["change"] = {{"a", {{"type", "plain_text_input"}, {"value", "1"}}},
                                                      {"b", {{"type", "plain_text_input"}, {"value", "2"}}}};
        }),
        variant([](json& p) {
            for (int i = 0; i < 101; ++i)
                p["view"]["state"]["values"]["b" + std::to_string(i)] = {{"x", {{"type", "plain_text_input"}, {"value", "1"}}}};
        }),
    };
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        INFO("variant " << i);
        CHECK_NOTHROW(slack::form_submission_of(hostile[i]));
        CHECK_FALSE(slack::form_submission_of(hostile[i]));
    }
}
