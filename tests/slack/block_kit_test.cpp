#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "integrations/slack/block_kit.hpp"

using namespace promotebot;
using commands::button;
using commands::button_style;
using commands::checklist_line;
using commands::line_state;
using commands::message;
using nlohmann::json;

namespace {

// Characters as Slack counts them: code points.
std::size_t chars(const std::string& s) {
    std::size_t n = 0;
    for (const char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

// Every limit of Block Kit that the renderer promises, checked on the output.
void check_within_limits(const json& blocks) {
    REQUIRE(blocks.is_array());
    CHECK(blocks.size() <= 50);
    std::set<std::string> block_ids;
    for (const auto& b : blocks) {
        const std::string type = b.at("type");
        if (b.contains("block_id")) {
            CHECK(chars(b["block_id"]) <= 255);
            CHECK(block_ids.insert(b["block_id"].get<std::string>()).second);
        }
        if (type == "header") {
            CHECK(b["text"]["type"] == "plain_text");
            CHECK(chars(b["text"]["text"]) <= 150);
        } else if (type == "section") {
            if (b.contains("text")) {
                CHECK(chars(b["text"]["text"]) <= 3000);
                CHECK_FALSE(b["text"]["text"].get<std::string>().empty());
            }
            if (b.contains("fields")) {
                CHECK(b["fields"].size() <= 10);
                for (const auto& f : b["fields"]) CHECK(chars(f["text"]) <= 2000);
            }
            CHECK((b.contains("text") || b.contains("fields")));
        } else if (type == "actions") {
            CHECK(b["elements"].size() <= 25);
            CHECK_FALSE(b["elements"].empty());
            std::set<std::string> ids;
            for (const auto& e : b["elements"]) {
                CHECK(e["type"] == "button");
                CHECK(chars(e["text"]["text"]) <= 75);
                if (e.contains("value")) CHECK(chars(e["value"]) <= 2000);
                if (e.contains("action_id")) {
                    CHECK(chars(e["action_id"]) <= 255);
                    CHECK(ids.insert(e["action_id"].get<std::string>()).second);
                }
            }
        } else if (type == "context") {
            CHECK(b["elements"].size() <= 10);
            for (const auto& e : b["elements"]) CHECK(chars(e["text"]) <= 3000);
        } else {
            FAIL("unexpected block type " << type);
        }
    }
}

std::string all_section_text(const json& blocks) {
    std::string out;
    for (const auto& b : blocks)
        if (b["type"] == "section" && b.contains("text")) out += b["text"]["text"].get<std::string>() + "\n";
    return out;
}

}  // namespace

TEST_CASE("a message renders as header, body, fields, checklist, buttons and context in Block Kit shape") {
    message msg;
    msg.header = "Promote v1.4.2 to prod";
    msg.text = commands::rich_text("Requested by ") + commands::user_mention("U0RM00001") + " & approved";
    msg.fields = {{"Version", "v1.4.2"}, {"Target", "prod"}};
    msg.checklist = {{line_state::passed, "CI green on main", "run 812"},
                     {line_state::failed, "dbt tests", "3 failures"},
                     {line_state::pending, "Technical sign-off", ""}};
    button approve{"Approve", "promote.approve", "42", button_style::primary, std::nullopt};
    button reject{"Reject", "promote.reject", "42", button_style::danger,
                  commands::confirm_dialog{"Reject?", "This cancels the promotion.", "Reject it", "Keep"}};
    button details{"Details", "promote.details", "42", button_style::normal, std::nullopt};
    msg.buttons = {approve, reject, details};
    msg.context = {"Freeze: none until 2026-12-20"};

    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 6);

    CHECK(blocks[0] == json{{"type", "header"},
                            {"text", {{"type", "plain_text"}, {"text", "Promote v1.4.2 to prod"}, {"emoji", true}}}});
    CHECK(blocks[1] == json{{"type", "section"},
                            {"text", {{"type", "mrkdwn"}, {"text", "Requested by <@U0RM00001> &amp; approved"}}}});
    CHECK(blocks[2]["fields"] == json::array({{{"type", "mrkdwn"}, {"text", "*Version*\nv1.4.2"}},
                                              {{"type", "mrkdwn"}, {"text", "*Target*\nprod"}}}));
    CHECK(blocks[3]["text"]["text"] ==
          ":white_check_mark: CI green on main — _run 812_\n:x: dbt tests — _3 failures_\n:white_circle: Technical sign-off");

    const json& actions = blocks[4];
    CHECK(actions["type"] == "actions");
    REQUIRE(actions["elements"].size() == 3);
    CHECK(actions["elements"][0] == json{{"type", "button"},
                                         {"text", {{"type", "plain_text"}, {"text", "Approve"}, {"emoji", true}}},
                                         {"action_id", "promote.approve"},
                                         {"value", "42"},
                                         {"style", "primary"}});
    const json& danger = actions["elements"][1];
    CHECK(danger["style"] == "danger");
    CHECK(danger["confirm"]["title"] == json{{"type", "plain_text"}, {"text", "Reject?"}, {"emoji", true}});
    CHECK(danger["confirm"]["text"]["text"] == "This cancels the promotion.");
    CHECK(danger["confirm"]["confirm"]["text"] == "Reject it");
    CHECK(danger["confirm"]["deny"]["text"] == "Keep");
    CHECK_FALSE(actions["elements"][2].contains("style"));
    CHECK_FALSE(actions["elements"][2].contains("confirm"));

    CHECK(blocks[5] == json{{"type", "context"},
                            {"elements", json::array({{{"type", "mrkdwn"}, {"text", "Freeze: none until 2026-12-20"}}})}});
}

TEST_CASE("every checklist state has its emoji") {
    CHECK(slack::state_emoji(line_state::pending) == ":white_circle:");
    CHECK(slack::state_emoji(line_state::running) == ":hourglass_flowing_sand:");
    CHECK(slack::state_emoji(line_state::passed) == ":white_check_mark:");
    CHECK(slack::state_emoji(line_state::failed) == ":x:");
    CHECK(slack::state_emoji(line_state::unknown) == ":grey_question:");
    CHECK(slack::state_emoji(line_state::skipped) == ":heavy_minus_sign:");
}

TEST_CASE("user text in checklist, fields and context is escaped for mrkdwn") {
    message msg;
    msg.checklist = {{line_state::running, "deploy <!channel>", "a&b"}};
    msg.fields = {{"Reason", "<script>"}};
    msg.context = {"by <@U2>"};
    const std::string dumped = slack::to_blocks(msg).dump();
    CHECK(dumped.find("<!channel>") == std::string::npos);
    CHECK(dumped.find("&lt;!channel&gt;") != std::string::npos);
    CHECK(dumped.find("_a&amp;b_") != std::string::npos);
    CHECK(dumped.find("&lt;script&gt;") != std::string::npos);
    CHECK(dumped.find("by &lt;@U2&gt;") != std::string::npos);
    CHECK(slack::to_mrkdwn("a<b>&c") == "a&lt;b&gt;&amp;c");
}

TEST_CASE("60 checklist lines stay within the limits and all are shown") {
    message msg;
    msg.header = "Gates";
    for (int i = 0; i < 60; ++i) msg.checklist.push_back({line_state::passed, "gate " + std::to_string(i), "ok"});
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    const std::string text = all_section_text(blocks);
    CHECK(text.find("gate 0 ") != std::string::npos);
    CHECK(text.find("gate 59 ") != std::string::npos);
}

TEST_CASE("more than 50 blocks keep the header and buttons and say how many lines were left out") {
    message msg;
    msg.header = "Huge";
    for (int i = 0; i < 60; ++i)
        msg.checklist.push_back({line_state::pending, "line " + std::to_string(i) + " " + std::string(2500, 'x'), ""});
    msg.buttons = {{"Approve", "a", "1", button_style::primary, std::nullopt}};
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 50);
    CHECK(blocks.front()["type"] == "header");
    const json& last = blocks.back();
    CHECK(last["type"] == "context");
    // Header, 47 checklist sections, the buttons and the notice: 13 lines did not fit.
    CHECK(last["elements"][0]["text"].get<std::string>().find("13 more lines were left out") == 0);
    CHECK(blocks[blocks.size() - 2]["type"] == "actions");
    CHECK(all_section_text(blocks).find("line 46 ") != std::string::npos);
    CHECK(all_section_text(blocks).find("line 47 ") == std::string::npos);
}

TEST_CASE("30 buttons are split into actions blocks of at most 25") {
    message msg;
    for (int i = 0; i < 30; ++i) msg.buttons.push_back({"B" + std::to_string(i), "act." + std::to_string(i), "", {}, {}});
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[0]["elements"].size() == 25);
    CHECK(blocks[1]["elements"].size() == 5);
    CHECK(blocks[0]["block_id"] != blocks[1]["block_id"]);
    CHECK_FALSE(blocks[0]["elements"][0].contains("value"));
}

TEST_CASE("buttons sharing an action_id go to separate actions blocks, keeping the id") {
    message msg;
    msg.buttons = {{"Remove 1", "freeze.remove", "1", button_style::danger, {}},
                   {"Remove 2", "freeze.remove", "2", button_style::danger, {}}};
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[1]["elements"][0]["action_id"] == "freeze.remove");
    CHECK(blocks[1]["elements"][0]["value"] == "2");
}

TEST_CASE("5000 characters of text are split across sections at line breaks") {
    message msg;
    std::string text;
    for (int i = 0; i < 100; ++i) {
        text.append(49, static_cast<char>('a' + i % 26));
        text.push_back('\n');
    }
    msg.text = text;
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 2);
    const std::string first = blocks[0]["text"]["text"];
    CHECK(first.back() != '\n');
    CHECK(first.size() % 50 == 49);  // whole lines only
    CHECK(all_section_text(blocks).size() >= 4999);
}

TEST_CASE("one 5000-character line is cut into sections without losing characters") {
    message msg;
    msg.text = std::string(5000, 'z');
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[0]["text"]["text"].get<std::string>().size() == 3000);
    CHECK(blocks[1]["text"]["text"].get<std::string>().size() == 2000);
}

TEST_CASE("escaping never pushes a section over 3000 characters or splits an entity") {
    message msg;
    msg.text = std::string(2000, '&');
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    for (const auto& b : blocks) {
        const std::string t = b["text"]["text"];
        CHECK(t.size() % 5 == 0);
        CHECK(t.rfind("&amp;", 0) == 0);
    }
}

TEST_CASE("a 100-character button label and oversized ids are cut to Slack's limits") {
    message msg;
    msg.header = std::string(200, 'H');
    msg.buttons = {{std::string(100, 'L'), std::string(300, 'i'), std::string(2500, 'v'), button_style::danger,
                    commands::confirm_dialog{std::string(150, 't'), std::string(400, 'x'), std::string(40, 'y'),
                                             std::string(40, 'n')}}};
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    const std::string header = blocks[0]["text"]["text"];
    CHECK(chars(header) == 150);
    CHECK(header.substr(header.size() - 3) == "…");
    const json& el = blocks[1]["elements"][0];
    CHECK(chars(el["text"]["text"]) == 75);
    CHECK(el["action_id"].get<std::string>() == std::string(255, 'i'));
    CHECK(el["value"].get<std::string>().size() == 2000);
    CHECK(chars(el["confirm"]["title"]["text"]) == 100);
    CHECK(chars(el["confirm"]["text"]["text"]) == 300);
    CHECK(chars(el["confirm"]["confirm"]["text"]) == 30);
    CHECK(chars(el["confirm"]["deny"]["text"]) == 30);
}

TEST_CASE("more than 10 fields go to several sections with at most 2000 characters each") {
    message msg;
    for (int i = 0; i < 23; ++i) msg.fields.push_back({"F" + std::to_string(i), std::string(2500, 'v')});
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0]["fields"].size() == 10);
    CHECK(blocks[2]["fields"].size() == 3);
    CHECK(chars(blocks[0]["fields"][0]["text"]) == 2000);
}

TEST_CASE("invalid UTF-8 and control characters do not break the JSON") {
    message msg;
    msg.header = std::string("bad \xff header\x1b[31m");
    msg.text = std::string("line\x01 one\nline two \xc3");
    const json payload = slack::to_chat_payload(msg);
    CHECK_NOTHROW(payload.dump());
    CHECK(payload["blocks"][0]["text"]["text"].get<std::string>().find('\x1b') == std::string::npos);
}

TEST_CASE("the chat payload carries the summary as fallback text") {
    message msg;
    msg.header = "Freeze added";
    msg.text = "From 2026-12-01";
    const json payload = slack::to_chat_payload(msg);
    CHECK(payload["text"] == "Freeze added");
    CHECK(payload["blocks"] == slack::to_blocks(msg));

    message no_header;
    no_header.text = "a < b";
    CHECK(slack::to_chat_payload(no_header)["text"] == "a &lt; b");
}

TEST_CASE("a typed user mention becomes <@U…> in the section text") {
    message msg;
    msg.text = commands::rich_text("Added by ") + commands::user_mention("U0123ABCD");
    const json blocks = slack::to_blocks(msg);
    REQUIRE(blocks.size() == 1);
    CHECK(blocks[0]["text"]["text"] == "Added by <@U0123ABCD>");
}

TEST_CASE("user text that looks like a broadcast, a mention or a link stays inert") {
    message msg;
    msg.text = "<!channel> <@U1> <https://x|y> & more";
    msg.fields = {{"Reason", "<!here> <#C1>"}};
    msg.checklist = {{line_state::failed, "<!everyone>", "<!subteam^S1>"}};
    msg.context = {"<@W1|bob>"};
    const json blocks = slack::to_blocks(msg);
    REQUIRE(blocks.size() == 4);
    CHECK(blocks[0]["text"]["text"] == "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; &amp; more");
    CHECK(blocks[1]["fields"][0]["text"] == "*Reason*\n&lt;!here&gt; &lt;#C1&gt;");
    CHECK(blocks[2]["text"]["text"] == ":x: &lt;!everyone&gt; — _&lt;!subteam^S1&gt;_");
    CHECK(blocks[3]["elements"][0]["text"] == "&lt;@W1|bob&gt;");
    CHECK(slack::to_chat_payload(msg)["text"] == "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; &amp; more");
}

TEST_CASE("users, channels and user groups are mentioned in fields, checklist, evidence, context and fallback") {
    using commands::channel_mention;
    using commands::group_mention;
    using commands::rich_text;
    using commands::user_mention;
    message msg;
    msg.text = rich_text("Ping ") + group_mention("S0DATAENG1") + " in " + channel_mention("C0RELEASE01");
    msg.fields = {{"Requested by", user_mention("W0ENTERPRISE1")}};
    msg.checklist = {{line_state::pending, rich_text("Technical sign-off by ") + group_mention("S0DATAENG1"),
                      rich_text("asked ") + user_mention("U0DE00001")}};
    msg.context = {rich_text("Posted in ") + channel_mention("G0PRIVATE1")};
    const json blocks = slack::to_blocks(msg);
    REQUIRE(blocks.size() == 4);
    CHECK(blocks[0]["text"]["text"] == "Ping <!subteam^S0DATAENG1> in <#C0RELEASE01>");
    CHECK(blocks[1]["fields"][0]["text"] == "*Requested by*\n<@W0ENTERPRISE1>");
    CHECK(blocks[2]["text"]["text"] ==
          ":white_circle: Technical sign-off by <!subteam^S0DATAENG1> — _asked <@U0DE00001>_");
    CHECK(blocks[3]["elements"][0]["text"] == "Posted in <#G0PRIVATE1>");
    CHECK(slack::to_chat_payload(msg)["text"] == "Ping <!subteam^S0DATAENG1> in <#C0RELEASE01>");
}

TEST_CASE("a mention whose ID is not of Slack's shape is shown as escaped text") {
    using commands::channel_mention;
    using commands::group_mention;
    using commands::user_mention;
    CHECK(slack::to_mrkdwn(user_mention("U1><!channel")) == "@U1&gt;&lt;!channel");
    CHECK(slack::to_mrkdwn(user_mention("u123abc")) == "@u123abc");
    CHECK(slack::to_mrkdwn(user_mention("C0RELEASE01")) == "@C0RELEASE01");  // a channel ID is no user
    CHECK(slack::to_mrkdwn(channel_mention("U123ABC")) == "#U123ABC");
    CHECK(slack::to_mrkdwn(group_mention("U123ABC")) == "@U123ABC");
    CHECK(slack::to_mrkdwn(user_mention("U")) == "@U");
    CHECK(slack::to_mrkdwn(user_mention("")) == "@");
    const std::string longest = "U" + std::string(20, 'A');
    CHECK(slack::to_mrkdwn(user_mention(longest)) == "<@" + longest + ">");
    CHECK(slack::to_mrkdwn(user_mention(longest + "A")) == "@" + longest + "A");
}

TEST_CASE("splitting and cutting text never breaks a mention in half") {
    using commands::rich_text;
    using commands::user_mention;
    message msg;
    // The mention would straddle the 3000-character boundary of the first section.
    msg.text = rich_text(std::string(2995, 'a')) + user_mention("U0123ABCD") + std::string(10, 'b');
    msg.fields = {{"", rich_text(std::string(1995, 'v')) + user_mention("U0123ABCD")}};
    const json blocks = slack::to_blocks(msg);
    check_within_limits(blocks);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0]["text"]["text"] == std::string(2995, 'a'));
    CHECK(blocks[1]["text"]["text"] == "<@U0123ABCD>" + std::string(10, 'b'));
    const std::string field = blocks[2]["fields"][0]["text"];
    CHECK(field == std::string(1995, 'v') + "…");
}
