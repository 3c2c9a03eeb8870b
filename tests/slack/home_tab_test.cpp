// The App Home tab and code blocks in Block Kit, and the decoding of
// app_home_opened events (realistic and hostile).
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "integrations/slack/block_kit.hpp"
#include "integrations/slack/inbound.hpp"

using namespace promotebot;
using commands::message;
using nlohmann::json;

namespace {

json home_event(const json& user, const json& tab, const std::string& type = "app_home_opened") {
    return {{"type", "event_callback"},
            {"team_id", "T00000001"},
            {"event", {{"type", type}, {"user", user}, {"channel", "D0APPHOME1"}, {"tab", tab}}},
            {"event_id", "Ev1000001"}};
}

}  // namespace

TEST_CASE("preformatted lines become a code block after the body, escaped, their columns kept") {
    message m;
    m.header = "Freeze calendar: November 2026";
    m.text = "6 of 30 days frozen all day.";
    m.preformatted = " Mo   Tu\n  2    3~\n> today & `tick`";
    m.fields = {{"month-end close", "26–30 Nov"}};
    const auto blocks = slack::to_blocks(m);
    REQUIRE(blocks.size() == 4);
    CHECK(blocks[1]["text"]["text"] == "6 of 30 days frozen all day.");
    CHECK(blocks[2]["type"] == "section");
    CHECK(blocks[2]["text"]["type"] == "mrkdwn");
    // A backtick inside would close the block early: it reads as a quote.
    CHECK(blocks[2]["text"]["text"] == "```\n Mo   Tu\n  2    3~\n&gt; today &amp; 'tick'\n```");
    CHECK(blocks[3].contains("fields"));
}

TEST_CASE("a long preformatted text is split into code blocks each within a section's limit") {
    message m;
    for (int i = 0; i < 400; ++i) m.preformatted += "line " + std::to_string(i) + " of a wide table\n";
    const auto blocks = slack::to_blocks(m);
    REQUIRE(blocks.size() >= 2);
    std::size_t lines = 0;
    for (const auto& b : blocks) {
        const std::string text = b["text"]["text"];
        CHECK(text.size() <= 3000);
        CHECK(text.rfind("```\n", 0) == 0);
        CHECK(text.substr(text.size() - 4) == "\n```");
        for (const char c : text) lines += c == '\n' ? 1 : 0;
        lines -= 1;  // the fences' own line breaks: two per block, one line each side
    }
    CHECK(lines == 400);
}

TEST_CASE("the home view is a home-type view of at most 100 blocks") {
    message m;
    m.header = "promotebot";
    m.text = "*Change freeze*\nnot frozen";
    m.context = {"As of now"};
    auto view = slack::home_view(m);
    CHECK(view["type"] == "home");
    REQUIRE(view["blocks"].is_array());
    CHECK(view["blocks"][0]["type"] == "header");
    CHECK(view["blocks"].size() == 3);

    // More than 100 blocks: the header stays, the rest is counted.
    for (int i = 0; i < 150; ++i) m.fields.push_back({std::string(11, 'f'), std::string(1500, 'v')});
    for (int i = 0; i < 120; ++i) m.text += "\n" + std::string(2900, 't');
    view = slack::home_view(m);
    REQUIRE(view["blocks"].size() == 100);
    CHECK(view["blocks"][0]["type"] == "header");
    const auto& notice = view["blocks"].back();
    CHECK(notice["type"] == "context");
    CHECK(notice["elements"][0]["text"].get<std::string>().find("Slack shows at most 100 blocks in the Home tab") !=
          std::string::npos);
    // A message keeps its own limit of 50.
    CHECK(slack::to_blocks(m).size() == 50);
}

TEST_CASE("app_home_opened on the Home tab decodes to the user who opened it") {
    const auto opened = slack::home_opened_of(home_event("U0ENG00001", "home"));
    REQUIRE(opened.has_value());
    CHECK(opened->user_id == "U0ENG00001");
}

TEST_CASE("the Messages tab, other events and malformed app_home_opened payloads decode to nothing") {
    CHECK_FALSE(slack::home_opened_of(home_event("U0ENG00001", "messages")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event("U0ENG00001", "home", "app_mention")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event("U0ENG00001", nullptr)).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event(42, "home")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event(json::array({"U0ENG00001"}), "home")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event("", "home")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event("C0RELEASE01", "home")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event("U" + std::string(5000, 'A'), "home")).has_value());
    CHECK_FALSE(slack::home_opened_of(home_event("U0ENG<@U1>", "home")).has_value());
    auto no_callback = home_event("U0ENG00001", "home");
    no_callback["type"] = "url_verification";
    CHECK_FALSE(slack::home_opened_of(no_callback).has_value());
    auto event_not_object = home_event("U0ENG00001", "home");
    event_not_object["event"] = "app_home_opened";
    CHECK_FALSE(slack::home_opened_of(event_not_object).has_value());
    CHECK_FALSE(slack::home_opened_of(json()).has_value());
    CHECK_FALSE(slack::home_opened_of(json::array()).has_value());
}
