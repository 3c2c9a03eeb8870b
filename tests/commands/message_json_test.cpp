#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "commands/message/message_json.hpp"

using namespace promotebot::commands;
using nlohmann::json;

namespace {

message full_message() {
    message m;
    m.header = "Promote v1.4.2 to prod — ✅";
    m.text = rich_text("Requested by ") + user_mention("U0RM00001") + " in " + channel_mention("C0RELEASE01") +
             ", notifying " + group_mention("S0DATAENG1") + ".\n<!channel> & <https://x|y> stay text";
    m.fields = {{"Version", "v1.4.2"}, {"Added by", user_mention("W0ENTERPRISE")}, {"Empty", ""}};
    m.checklist = {{line_state::pending, "Technical sign-off", group_mention("S0DATAENG1")},
                   {line_state::running, "Deploy int", "started 10:02"},
                   {line_state::passed, "CI green", "run 812"},
                   {line_state::failed, "dbt tests", "3 failures"},
                   {line_state::unknown, "Monitoring", ""},
                   {line_state::skipped, rich_text("Terraform by ") + user_mention("not an id <@U1>"), ""}};
    m.buttons = {{"Approve", "promote.approve", "42", button_style::primary, std::nullopt},
                 {"Reject", "promote.reject", "42", button_style::danger,
                  confirm_dialog{"Reject?", "This cancels the promotion.", "Reject it", "Keep"}},
                 {"Details", "", "", button_style::normal, std::nullopt}};
    m.context = {"Freeze: none", rich_text("Asked by ") + user_mention("U2"), ""};
    return m;
}

}  // namespace

TEST_CASE("a message with every part and every kind of mention survives JSON exactly") {
    const message m = full_message();
    const auto back = message_from_json(to_json(m));
    REQUIRE(back.has_value());
    CHECK(*back == m);
    // Through the text the store keeps, too.
    const auto reparsed = message_from_json(json::parse(to_json(m).dump()));
    REQUIRE(reparsed.has_value());
    CHECK(*reparsed == m);
    CHECK(message_from_json(to_json(message{})) == message{});
}

TEST_CASE("preformatted lines survive JSON and are written only when there are some") {
    message m = full_message();
    m.preformatted = " Mo   Tu\n  1*   2~\n`code` & <tags> stay as written";
    const auto j = to_json(m);
    CHECK(j["preformatted"] == m.preformatted);
    CHECK(message_from_json(j) == m);
    // Rows stored before preformatted existed have no such key and still read.
    CHECK_FALSE(to_json(full_message()).contains("preformatted"));
    CHECK(message_from_json(to_json(full_message())) == full_message());
    auto wrong = j;
    wrong["preformatted"] = json::array({"not", "a string"});
    CHECK_FALSE(message_from_json(wrong).has_value());
    wrong["preformatted"] = std::string(message_json_limits::max_string + 1, 'x');
    CHECK_FALSE(message_from_json(wrong).has_value());
}

TEST_CASE("a reply keeps its visibility through JSON") {
    for (const auto audience : {visibility::ephemeral, visibility::in_channel}) {
        const reply r{full_message(), audience};
        const auto back = reply_from_json(json::parse(to_json(r).dump()));
        REQUIRE(back.has_value());
        CHECK(back->audience == audience);
        CHECK(*back == r);
    }
    CHECK(to_json(reply{message{}, visibility::in_channel})["visibility"] == "in_channel");
}

TEST_CASE("rich text is stored as plain strings and typed mention objects") {
    const rich_text t = rich_text("Added by ") + user_mention("U1") + " in " + channel_mention("C1") + " for " +
                        group_mention("S1");
    CHECK(to_json(t) == json::array({"Added by ", {{"user", "U1"}}, " in ", {{"channel", "C1"}}, " for ",
                                     {{"user_group", "S1"}}}));
    // A stored string that looks like Slack markup is read back as plain text, never as a mention.
    const auto inert = rich_text_from_json(json::array({"<@U1> <!channel>"}));
    REQUIRE(inert.has_value());
    REQUIRE(inert->spans().size() == 1);
    CHECK(std::holds_alternative<std::string>(inert->spans()[0]));
    CHECK(to_json(message{})["buttons"] == json::array());
}

TEST_CASE("malformed UTF-8 is stored as U+FFFD so the stored JSON always serialises") {
    message m;
    m.header = std::string("bad \xff header");
    m.text = rich_text(std::string("body \xc3")) + user_mention(std::string("U\xfe"));
    const json j = to_json(m);
    CHECK_NOTHROW(j.dump());
    CHECK(j["header"] == "bad \xEF\xBF\xBD header");
    CHECK(j["text"] == json::array({"body \xEF\xBF\xBD", {{"user", "U\xEF\xBF\xBD"}}}));
}

TEST_CASE("hostile JSON for a message gives nothing and never throws") {
    const json good = to_json(full_message());
    REQUIRE(message_from_json(good).has_value());

    auto with = [&good](const json::json_pointer& at, json value) {
        json j = good;
        j[at] = std::move(value);
        return j;
    };
    auto without = [&good](const std::string& key) {
        json j = good;
        j.erase(key);
        return j;
    };
    using ptr = json::json_pointer;
    const std::string oversize(message_json_limits::max_string + 1, 'x');
    json too_many_fields = good;
    too_many_fields["fields"] = json::array();
    for (std::size_t i = 0; i <= message_json_limits::max_items; ++i)
        too_many_fields["fields"].push_back({{"label", "l"}, {"value", json::array({"v"})}});
    json too_many_spans = json::array();
    for (std::size_t i = 0; i <= message_json_limits::max_spans; ++i) too_many_spans.push_back({{"user", "U1"}});
    json too_much_in_all = good;
    too_much_in_all["context"] = json::array();
    for (int i = 0; i < 20; ++i)
        too_much_in_all["context"].push_back(json::array({std::string(60 * 1024, 'c')}));

    const std::vector<json> hostile = {
        json(),
        json(42),
        json("message"),
        json::array(),
        json::object(),
        json(json::value_t::discarded),
        without("header"),
        without("context"),
        with(ptr("/surprise"), 1),
        with(ptr("/header"), 7),
        with(ptr("/header"), json::array({"a"})),
        with(ptr("/header"), oversize),
        with(ptr("/text"), "plain string instead of spans"),
        with(ptr("/text"), json::array({1})),
        with(ptr("/text"), json::array({json::array({"nested"})})),
        with(ptr("/text"), json::array({{{"everyone", "U1"}}})),
        with(ptr("/text"), json::array({{{"user", "U1"}, {"channel", "C1"}}})),
        with(ptr("/text"), json::array({{{"user", 5}}})),
        with(ptr("/text"), json::array({{{"user", std::string(300, 'U')}}})),
        with(ptr("/text"), too_many_spans),
        with(ptr("/fields"), json::object()),
        with(ptr("/fields/0"), json::array({"Version", "v1"})),
        with(ptr("/fields/0/value"), "v1"),
        with(ptr("/fields/0/extra"), true),
        with(ptr("/checklist/0/state"), "exploded"),
        with(ptr("/checklist/0/state"), 0),
        with(ptr("/checklist/0/evidence"), nullptr),
        with(ptr("/buttons/0/style"), "loud"),
        with(ptr("/buttons/0/value"), 42),
        with(ptr("/buttons/0/confirm"), nullptr),
        with(ptr("/buttons/1/confirm/title"), false),
        with(ptr("/context/0"), "not spans"),
        too_many_fields,
        too_much_in_all,
    };
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        INFO("case " << i << ": " << hostile[i].dump().substr(0, 200));
        std::optional<message> got;
        CHECK_NOTHROW(got = message_from_json(hostile[i]));
        CHECK_FALSE(got.has_value());
        std::optional<reply> as_reply;
        CHECK_NOTHROW(as_reply = reply_from_json({{"visibility", "ephemeral"}, {"message", hostile[i]}}));
        CHECK_FALSE(as_reply.has_value());
    }
    CHECK_FALSE(reply_from_json({{"visibility", "public"}, {"message", good}}).has_value());
    CHECK_FALSE(reply_from_json({{"message", good}}).has_value());
    CHECK_FALSE(reply_from_json(json::array({good})).has_value());
}
