#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "commands/promotion/command_gates.hpp"

using namespace promotebot::commands;
using namespace std::chrono_literals;

namespace {

std::chrono::sys_seconds utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
    return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}} +
           std::chrono::hours{hh} + std::chrono::minutes{mm};
}

const auto now = utc(2026, 11, 28, 15, 12);

}  // namespace

TEST_CASE("soak passes once int has run the exact version long enough") {
    const auto r = soak_verdict("v1.2.3", std::string_view("v1.2.3"), utc(2026, 11, 27, 9, 7), 24h, now);
    CHECK(r.id == "soak");
    CHECK(r.title == "Soaked on int");
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "int has run v1.2.3 since 2026-11-27 09:07 UTC (30 h 5 min)");
    CHECK(r.checked_at == now);
    // Exactly the soak time is enough.
    CHECK(soak_verdict("v1.2.3", std::string_view("v1.2.3"), now - 24h, 24h, now).state == gate_state::pass);
}

TEST_CASE("soak fails while int runs another version or not long enough") {
    const auto other = soak_verdict("v1.2.3", std::string_view("v1.2.2"), utc(2026, 11, 20), 24h, now);
    CHECK(other.state == gate_state::fail);
    CHECK(other.evidence == "int runs v1.2.2, not v1.2.3");
    const auto rc = soak_verdict("v1.2.3", std::string_view("v1.2.3-rc.1"), utc(2026, 11, 20), 24h, now);
    CHECK(rc.state == gate_state::fail);
    const auto young = soak_verdict("v1.2.3", std::string_view("v1.2.3"), utc(2026, 11, 28, 10), 24h, now);
    CHECK(young.state == gate_state::fail);
    CHECK(young.evidence == "int has run v1.2.3 for 5 h 12 min of the 24 h required");
    // A start in the future (clock skew) has soaked nothing.
    const auto future = soak_verdict("v1.2.3", std::string_view("v1.2.3"), now + 1h, 24h, now);
    CHECK(future.state == gate_state::fail);
    CHECK(future.evidence == "int has run v1.2.3 for 0 min of the 24 h required");
}

TEST_CASE("soak is unknown without the running version or its start") {
    const auto no_tag = soak_verdict("v1.2.3", std::nullopt, utc(2026, 11, 20), 24h, now);
    CHECK(no_tag.state == gate_state::unknown);
    CHECK(no_tag.evidence == "the version int runs could not be read");
    const auto no_since = soak_verdict("v1.2.3", std::string_view("v1.2.3"), std::nullopt, 24h, now);
    CHECK(no_since.state == gate_state::unknown);
    CHECK(no_since.evidence ==
          "int runs v1.2.3, but since when is not known (no deployment record, no registry upload time)");
    // What the cluster reports is cleaned before it reaches a message.
    const auto hostile = soak_verdict("v1.2.3", std::string_view("v1.2.2\n<!channel>\x1b[2J"), now, 24h, now);
    CHECK(hostile.evidence == "int runs v1.2.2<!channel>[2J, not v1.2.3");
}

TEST_CASE("pipeline cycles pass at the minimum and fail below it") {
    const auto since = utc(2026, 11, 27, 10);
    const auto three = cycles_verdict(std::string_view("3"), 3, since, now);
    CHECK(three.id == "pipeline_cycles");
    CHECK(three.state == gate_state::pass);
    CHECK(three.evidence == "3 successful pipeline cycles since 2026-11-27 10:00 UTC");
    CHECK(three.checked_at == now);
    CHECK(cycles_verdict(std::string_view(" 12\n"), 3, since, now).state == gate_state::pass);
    const auto one = cycles_verdict(std::string_view("1"), 3, since, now);
    CHECK(one.state == gate_state::fail);
    CHECK(one.evidence == "1 successful pipeline cycle since 2026-11-27 10:00 UTC, 3 required");
    CHECK(cycles_verdict(std::string_view("0"), 3, since, now).state == gate_state::fail);
}

TEST_CASE("pipeline cycles are unknown when the count is no number") {
    const auto since = utc(2026, 11, 27, 10);
    for (const char* text : {"", "three", "-1", "2.0", "1e3", "12345678901", "3 rows"}) {
        INFO(text);
        const auto r = cycles_verdict(std::string_view(text), 3, since, now);
        CHECK(r.state == gate_state::unknown);
        CHECK(r.evidence == "the count of pipeline cycles is not a number");
    }
    const auto none = cycles_verdict(std::nullopt, 3, since, now);
    CHECK(none.state == gate_state::unknown);
    CHECK(none.evidence == "the pipeline cycles could not be counted");
}

TEST_CASE("a command check passes on 0, fails on 1, is unknown otherwise") {
    using how = command_exit::how;
    const auto pass = command_check_verdict("dbt_tests", "dbt tests green", {how::exited, 0}, "42 tests passed");
    CHECK(pass.id == "dbt_tests");
    CHECK(pass.title == "dbt tests green");
    CHECK(pass.state == gate_state::pass);
    CHECK(pass.evidence == "42 tests passed");
    const auto fail = command_check_verdict("dbt_tests", "dbt tests green", {how::exited, 1}, "2 tests failed");
    CHECK(fail.state == gate_state::fail);
    CHECK(fail.evidence == "2 tests failed");
    const auto two = command_check_verdict("c", "t", {how::exited, 2}, "usage: check [--x]");
    CHECK(two.state == gate_state::unknown);
    CHECK(two.evidence == "the check exited with code 2: usage: check [--x]");
    const auto timed_out = command_check_verdict("c", "t", {how::timed_out, -1}, "");
    CHECK(timed_out.state == gate_state::unknown);
    CHECK(timed_out.evidence == "the check timed out");
    CHECK(command_check_verdict("c", "t", {how::failed_to_start, -1}, "").evidence == "the check could not be started");
    CHECK(command_check_verdict("c", "t", {how::killed, -1}, "").state == gate_state::unknown);
    CHECK(command_check_verdict("c", "t", {how::cancelled, 0}, "").state == gate_state::unknown);
    CHECK(command_check_verdict("c", "t", {how::exited, 0}, "").evidence == "the check exited with code 0");
}

TEST_CASE("command check evidence is one clean bounded line") {
    using how = command_exit::how;
    const auto r = command_check_verdict("c", "t", {how::exited, 0}, "\x1b[32mok\x1b[0m\tall\r\x07 good \xc2\x85!");
    CHECK(r.evidence == "[32mok[0m all good !");
    const std::string long_line(500, 'x');
    CHECK(command_check_verdict("c", "t", {how::exited, 1}, long_line).evidence == std::string(200, 'x'));
    // Cut on a character boundary, never inside a UTF-8 sequence.
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "é";
    const auto cut = evidence_text(accents);
    CHECK(cut.size() == 200);
    CHECK(cut == accents.substr(0, 200));
    CHECK(evidence_text(std::string(199, 'a') + "é") == std::string(199, 'a'));
    CHECK(evidence_text("bad \xff\xfe utf-8") == "bad  utf-8");
    CHECK(evidence_text("  padded  ") == "padded");
    const auto unknown = command_check_verdict("c", "t", {how::exited, 3}, long_line);
    CHECK(unknown.evidence.size() <= max_evidence_bytes + 64);
}

TEST_CASE("durations and times as evidence shows them") {
    CHECK(hours_minutes_text(0s) == "0 min");
    CHECK(hours_minutes_text(59s) == "0 min");
    CHECK(hours_minutes_text(12min) == "12 min");
    CHECK(hours_minutes_text(24h) == "24 h");
    CHECK(hours_minutes_text(5h + 12min + 30s) == "5 h 12 min");
    CHECK(hours_minutes_text(-5min) == "0 min");
    CHECK(utc_minute_text(utc(2026, 1, 2, 3, 4)) == "2026-01-02 03:04 UTC");
}
