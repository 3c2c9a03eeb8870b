#include <catch2/catch.hpp>

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bot/main/logging.hpp"

using namespace promotebot::bot;

namespace {

const std::string bot_token = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx";
const std::string app_token = "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// Captures the default logger's output; the previous logger is back afterwards,
// so no later log line reaches a destroyed stream.
class captured_log {
public:
    captured_log(log_format format, spdlog::level::level_enum level) : previous_(spdlog::default_logger()) {
        setup_logging(format, level, out_);
    }
    ~captured_log() { spdlog::set_default_logger(previous_); }
    captured_log(const captured_log&) = delete;
    captured_log& operator=(const captured_log&) = delete;
    [[nodiscard]] std::string text() const { return out_.str(); }

private:
    std::shared_ptr<spdlog::logger> previous_;
    std::ostringstream out_;
};

}  // namespace

TEST_CASE("text logs never show the bot token or the app token") {
    captured_log out{log_format::text, spdlog::level::info};
    spdlog::info("connecting with {} and {}", bot_token, app_token);
    spdlog::error("Authorization: Bearer {}", bot_token);

    const auto text = out.text();
    CHECK(text.find("xoxb-") == std::string::npos);
    CHECK(text.find("xapp-") == std::string::npos);
    CHECK(text.find("1234567890") == std::string::npos);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 2);
    CHECK(std::regex_match(lines[0], std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info \[promotebot\] )"
                                                R"(connecting with \[redacted\] and \[redacted\])"}));
    CHECK_THAT(lines[1], Catch::Contains("error [promotebot] Authorization: Bearer [redacted]"));
}

TEST_CASE("JSON logs are one object per line and never show the tokens") {
    captured_log out{log_format::json, spdlog::level::debug};
    spdlog::debug("socket mode hello, app token {}", app_token);
    named_logger("slack")->warn("web api call with {}\nfailed", bot_token);

    const auto text = out.text();
    CHECK(text.find("xoxb-") == std::string::npos);
    CHECK(text.find("xapp-") == std::string::npos);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].rfind("{\"ts\":\"", 0) == 0);  // the time first, for people reading raw lines
    const auto first = nlohmann::json::parse(lines[0]);
    CHECK(first.at("level") == "debug");
    CHECK(first.at("logger") == "promotebot");
    CHECK(first.at("msg") == "socket mode hello, app token [redacted]");
    CHECK(std::regex_match(first.at("ts").get<std::string>(),
                           std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"}));
    const auto second = nlohmann::json::parse(lines[1]);
    CHECK(second.at("level") == "warning");
    CHECK(second.at("logger") == "slack");
    CHECK(second.at("msg") == "web api call with [redacted]\nfailed");
}

TEST_CASE("registered secrets are redacted in both formats, even ones JSON would escape") {
    const std::string signing_secret = "s3cr3t\"quote\\slash-0123";
    register_secret(signing_secret);
    register_secret("");  // ignored: it would match everywhere

    for (const auto format : {log_format::text, log_format::json}) {
        captured_log out{format, spdlog::level::info};
        spdlog::info("verifying request with {} done", signing_secret);
        const auto text = out.text();
        CHECK(text.find("s3cr3t") == std::string::npos);
        CHECK_THAT(text, Catch::Contains("verifying request with [redacted] done"));
    }
}

TEST_CASE("messages below the configured level are not written") {
    captured_log out{log_format::text, spdlog::level::warn};
    spdlog::info("routine detail");
    spdlog::warn("link lost");
    const auto lines = lines_of(out.text());
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("link lost"));
}

TEST_CASE("logging to a C stream redacts tokens too") {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    const auto previous = spdlog::default_logger();
    setup_logging(log_format::json, spdlog::level::info, file);
    spdlog::info("token {}", bot_token);
    std::rewind(file);
    std::string text;
    char buffer[512];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
    std::fclose(file);
    // Nothing may write to the closed stream afterwards.
    spdlog::set_default_logger(previous);

    REQUIRE(!text.empty());
    CHECK(nlohmann::json::parse(lines_of(text).at(0)).at("msg") == "token [redacted]");
}

TEST_CASE("every Slack token shape is redacted and ordinary words are left alone") {
    CHECK(redact("a xoxa-2-abc b") == "a [redacted] b");
    CHECK(redact("xoxp-1-2-3,xoxo-4 xoxr-5 xoxs-6") == "[redacted],[redacted] [redacted] [redacted]");
    CHECK(redact("token=xapp-1-A1-22-ff;") == "token=[redacted];");
    CHECK(redact("xoxb- xoxz-123 xapp boxes of xox") == "xoxb- xoxz-123 xapp boxes of xox");
}

TEST_CASE("log formats and levels are read from their names") {
    CHECK(parse_log_format("json") == log_format::json);
    CHECK(parse_log_format("TEXT") == log_format::text);
    CHECK_FALSE(parse_log_format("xml").has_value());
    CHECK(parse_log_level("debug") == spdlog::level::debug);
    CHECK(parse_log_level("warning") == spdlog::level::warn);
    CHECK(parse_log_level("warn") == spdlog::level::warn);
    CHECK(parse_log_level("error") == spdlog::level::err);
    CHECK(parse_log_level("off") == spdlog::level::off);
    CHECK_FALSE(parse_log_level("verbose").has_value());
}

TEST_CASE("JSON log lines that name a promotion carry its ID as a field") {
    captured_log out{log_format::json, spdlog::level::info};
    spdlog::info("promotion #42 changed meanwhile; handling the event again");
    spdlog::error("promotion: step 2 of promotion #7 failed: exit 1");
    spdlog::info("Edit Promotion #9 opened");
    spdlog::info("no promotion here, #5 is an issue and promotion # 3 has a gap");
    spdlog::info("xpromotion #4 is not the word");
    spdlog::info("promotion #12345678901234567890 is too long to be an ID");
    const auto lines = lines_of(out.text());
    REQUIRE(lines.size() == 6);
    CHECK(nlohmann::json::parse(lines[0]).at("promotion_id") == 42);
    CHECK(nlohmann::json::parse(lines[1]).at("promotion_id") == 7);
    CHECK(nlohmann::json::parse(lines[2]).at("promotion_id") == 9);
    for (std::size_t i = 3; i < lines.size(); ++i) {
        INFO(lines[i]);
        CHECK_FALSE(nlohmann::json::parse(lines[i]).contains("promotion_id"));
    }
    // The message itself is unchanged.
    CHECK(nlohmann::json::parse(lines[0]).at("msg") == "promotion #42 changed meanwhile; handling the event again");
}

TEST_CASE("text log lines stay as they were when they name a promotion") {
    captured_log out{log_format::text, spdlog::level::info};
    spdlog::info("promotion #42 done");
    const auto lines = lines_of(out.text());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].ends_with("info [promotebot] promotion #42 done"));
}
