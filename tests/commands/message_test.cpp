#include <catch2/catch.hpp>

#include <string>

#include "commands/freeze/freeze_view.hpp"
#include "commands/message/message.hpp"

using namespace promotebot::commands;

TEST_CASE("rich text is plain spans and typed mentions, adjacent plain spans merged") {
    const rich_text t = rich_text("Added ") + "by " + user_mention("U1") + "" + " in " + channel_mention("C1");
    REQUIRE(t.spans().size() == 4);
    CHECK(std::get<std::string>(t.spans()[0]) == "Added by ");
    CHECK(std::get<mention>(t.spans()[1]) == mention{mention_kind::user, "U1"});
    CHECK(std::get<std::string>(t.spans()[2]) == " in ");
    CHECK(std::get<mention>(t.spans()[3]) == mention{mention_kind::channel, "C1"});
    CHECK(t.readable() == "Added by @U1 in #C1");
    CHECK(rich_text("").empty());
    CHECK(rich_text("ab") == rich_text("a") + "b");
    CHECK_FALSE(rich_text("@U1") == rich_text(user_mention("U1")));
}

TEST_CASE("a mention ID has Slack's shape: a prefix that fits the kind, uppercase letters and digits, at most 21") {
    CHECK(is_valid(user_mention("U0RM00001")));
    CHECK(is_valid(user_mention("W0ENTERPRISE1")));
    CHECK(is_valid(channel_mention("C0RELEASE01")));
    CHECK(is_valid(channel_mention("G0PRIVATE1")));
    CHECK(is_valid(group_mention("S0DATAENG1")));
    CHECK(is_valid(user_mention("U" + std::string(20, '9'))));
    CHECK_FALSE(is_valid(user_mention("U" + std::string(21, '9'))));
    CHECK_FALSE(is_valid(user_mention("U")));
    CHECK_FALSE(is_valid(user_mention("")));
    CHECK_FALSE(is_valid(user_mention("u0rm00001")));
    CHECK_FALSE(is_valid(user_mention("U0RM 0001")));
    CHECK_FALSE(is_valid(user_mention("U1>")));
    CHECK_FALSE(is_valid(user_mention("C0RELEASE01")));
    CHECK_FALSE(is_valid(channel_mention("U0RM00001")));
    CHECK_FALSE(is_valid(group_mention("U0RM00001")));
    CHECK(readable(group_mention("S1")) == "@S1");
}

TEST_CASE("mentions and the config share one Slack ID validator of 9 to 21 characters") {
    CHECK(is_slack_id(mention_kind::user, "U0123ABCD"));
    CHECK_FALSE(is_slack_id(mention_kind::user, "U0123ABC"));
    CHECK(is_slack_id(mention_kind::channel, "D0123ABCD"));
    CHECK_FALSE(is_valid(user_mention("U123ABC")));
    CHECK_FALSE(is_slack_id(mention_kind::channel, "C" + std::string(29999, 'A')));
}

TEST_CASE("freeze announcements mention who added or removed the window") {
    const auto* zone = date::locate_zone("Europe/London");
    const removable_window w{7, "warehouse <!channel> migration", sys_seconds{std::chrono::seconds{1800000000}},
                             sys_seconds{std::chrono::seconds{1800086400}}};
    const auto added = freeze_added_message(w, "U0RM00001", zone);
    REQUIRE(added.fields.size() == 4);
    CHECK(added.fields[2] == field{"Reason", "warehouse <!channel> migration"});
    CHECK(added.fields[3] == field{"Added by", user_mention("U0RM00001")});
    const auto removed = freeze_removed_message(w, "U0RM00001", zone);
    REQUIRE(removed.fields.size() == 3);
    CHECK(removed.fields[2] == field{"Removed by", user_mention("U0RM00001")});
}
