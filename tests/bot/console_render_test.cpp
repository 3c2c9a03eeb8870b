#include <catch2/catch.hpp>

#include <string>

#include "integrations/console/console_render.hpp"

using namespace promotebot;
using commands::button_style;
using commands::line_state;
using commands::message;

TEST_CASE("a message renders as header, body, fields, checklist, numbered buttons and context") {
    message msg;
    msg.header = "Promote v1.4.2 to prod";
    msg.text = "Requested by alice.\nWaiting for sign-offs.";
    msg.fields = {{"Version", "v1.4.2"}, {"Target", "prod"}};
    msg.checklist = {{line_state::passed, "CI green", "run 812"},
                     {line_state::failed, "dbt tests", "3 failures"},
                     {line_state::unknown, "Monitoring", ""},
                     {line_state::running, "Deploy int", "started 10:02"},
                     {line_state::skipped, "Terraform", "no infra changes"},
                     {line_state::pending, "Technical sign-off", ""}};
    msg.buttons = {{"Approve", "promote.approve", "7", button_style::primary, {}},
                   {"Reject", "promote.reject", "7", button_style::danger, {}}};
    msg.context = {"Freeze: none"};

    CHECK(console::render_text(msg, 1, false) ==
          "Promote v1.4.2 to prod\n"
          "Requested by alice.\n"
          "Waiting for sign-offs.\n"
          "Version: v1.4.2\n"
          "Target: prod\n"
          "[ok] CI green (run 812)\n"
          "[FAIL] dbt tests (3 failures)\n"
          "[ ?] Monitoring\n"
          "[..] Deploy int (started 10:02)\n"
          "[ -] Terraform (no infra changes)\n"
          "[  ] Technical sign-off\n"
          "[1] Approve  [2] Reject\n"
          "Freeze: none\n");
}

TEST_CASE("buttons are numbered from the number given") {
    message msg;
    msg.buttons = {{"Remove", "freeze.remove", "1", {}, {}}, {"Remove", "freeze.remove", "2", {}, {}},
                   {"Keep", "freeze.keep", "", {}, {}}};
    CHECK(console::render_text(msg, 4, false) == "[4] Remove  [5] Remove  [6] Keep\n");
}

TEST_CASE("an ephemeral reply says only the reader can see it") {
    message msg;
    msg.text = "Only a Release Manager can deploy to prod.";
    CHECK(console::render_text(msg, 1, true) == "(only you can see this)\nOnly a Release Manager can deploy to prod.\n");
    CHECK(console::render_text(msg, 1, false) == "Only a Release Manager can deploy to prod.\n");
}

TEST_CASE("empty parts of a message leave no blank lines") {
    message msg;
    msg.header = "Frozen";
    msg.context = {"until 2026-12-21 00:00"};
    CHECK(console::render_text(msg, 1, false) == "Frozen\nuntil 2026-12-21 00:00\n");
    CHECK(console::render_text(message{}, 1, false).empty());
}

TEST_CASE("terminal control sequences in message text never reach the console") {
    message msg;
    msg.header = "evil\x1b[2Jheader";
    msg.text = std::string("body\x07 with\tbell\nsecond \xff line");
    msg.fields = {{"Reason", "a\nb"}};
    msg.checklist = {{line_state::passed, "c\x1b]0;title\x07", "\xc2\x9b" "31m"}};
    const std::string out = console::render_text(msg, 1, false);
    for (const char c : out) {
        const auto u = static_cast<unsigned char>(c);
        CHECK((u >= 0x20 || c == '\n'));
        CHECK(u != 0x7F);
    }
    CHECK(out.find("\xc2\x9b") == std::string::npos);
    CHECK(out == "evil[2Jheader\nbody with bell\nsecond ? line\nReason: a\n  b\n[ok] c]0;title (31m)\n");
}

TEST_CASE("every checklist state has its console marker") {
    CHECK(console::state_marker(line_state::passed) == "[ok]");
    CHECK(console::state_marker(line_state::failed) == "[FAIL]");
    CHECK(console::state_marker(line_state::unknown) == "[ ?]");
    CHECK(console::state_marker(line_state::running) == "[..]");
    CHECK(console::state_marker(line_state::skipped) == "[ -]");
    CHECK(console::state_marker(line_state::pending) == "[  ]");
}

TEST_CASE("the console shows mentions as @user, #channel and @group") {
    using promotebot::commands::channel_mention;
    using promotebot::commands::group_mention;
    using promotebot::commands::rich_text;
    using promotebot::commands::user_mention;
    message m;
    m.header = "Freeze window #1 added";
    m.text = rich_text("Ping ") + group_mention("S0DATAENG1");
    m.fields.push_back({"Added by", rich_text(user_mention("U123ABC")) + " in " + channel_mention("C0RELEASE01")});
    m.checklist = {{line_state::pending, rich_text("Sign-off by ") + user_mention("W0DE00001"), user_mention("U9")}};
    m.context = {rich_text("Posted in ") + channel_mention("G0PRIVATE1")};
    CHECK(console::render_text(m, 1, false) ==
          "Freeze window #1 added\n"
          "Ping @S0DATAENG1\n"
          "Added by: @U123ABC in #C0RELEASE01\n"
          "[  ] Sign-off by @W0DE00001 (@U9)\n"
          "Posted in #G0PRIVATE1\n");
}

TEST_CASE("text typed by a user is shown as typed, never turned into a mention") {
    message m;
    m.fields = {{"Reason", "a <b> c <@U1> <!channel>"}};
    CHECK(console::render_text(m, 1, false) == "Reason: a <b> c <@U1> <!channel>\n");
}

TEST_CASE("a mention cannot smuggle control characters to the terminal") {
    message m;
    m.text = promotebot::commands::rich_text("by ") + promotebot::commands::user_mention("U1\x1b[2J\nX");
    CHECK(console::render_text(m, 1, false) == "by @U1[2J X\n");
}

TEST_CASE("preformatted lines print as they are after the body, without control characters") {
    message msg;
    msg.header = "Freeze calendar: November 2026";
    msg.text = "6 of 30 days frozen all day.";
    msg.preformatted = " Mo   Tu\n  2    3~\n\x1b[31m 30*";
    msg.fields = {{"month-end close", "26–30 Nov"}};
    CHECK(console::render_text(msg, 1, false) ==
          "Freeze calendar: November 2026\n"
          "6 of 30 days frozen all day.\n"
          " Mo   Tu\n"
          "  2    3~\n"
          "[31m 30*\n"
          "month-end close: 26–30 Nov\n");
}
