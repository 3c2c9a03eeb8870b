// The rules of the ServiceNow and Dynatrace gates, on facts made here.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "commands/promotion/external_gates.hpp"

using namespace promotebot::commands;
using namespace std::chrono_literals;

namespace {

// 2026-11-28 UTC at the given hour and minute.
sys_seconds at(int hour, int minute = 0) {
    return std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + std::chrono::hours{hour} +
           std::chrono::minutes{minute};
}

change_request approved_cr(std::string number = "CHG0012345") {
    change_request cr;
    cr.number = std::move(number);
    cr.sys_id = "0123456789abcdef0123456789abcdef";
    cr.type = "normal";
    cr.approval = "approved";
    cr.state = "-1";
    cr.start = at(10);
    cr.end = at(14);
    cr.link = "https://example.service-now.com/nav_to.do?uri=change_request.do?sys_id=" + cr.sys_id;
    return cr;
}

}  // namespace

TEST_CASE("the change record gate passes when the CR is approved, in Implement and inside its window") {
    const auto cr = approved_cr();
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(11, 30), false);
    CHECK(r.id == "change_record");
    CHECK(r.title == "Change Record approved");
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "CHG0012345: approved, Implement, window 2026-11-28 10:00–14:00 UTC");
    CHECK(r.link == cr.link);
}

TEST_CASE("the change record gate passes for a Scheduled CR at the edges of its window") {
    auto cr = approved_cr();
    cr.state = "-2";
    CHECK(change_record_verdict({"CHG0012345"}, {cr}, at(10), false).state == gate_state::pass);
    CHECK(change_record_verdict({"CHG0012345"}, {cr}, at(14), false).state == gate_state::pass);
    CHECK(change_record_verdict({"CHG0012345"}, {cr}, at(10), false).evidence ==
          "CHG0012345: approved, Scheduled, window 2026-11-28 10:00–14:00 UTC");
}

TEST_CASE("the change record gate fails when no Change Record was given") {
    const gate_result r = change_record_verdict({}, {}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "no Change Record given");
}

TEST_CASE("the change record gate fails when the CR was rejected") {
    auto cr = approved_cr();
    cr.approval = "rejected";
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "CHG0012345: rejected, Implement, window 2026-11-28 10:00–14:00 UTC — not approved");
}

TEST_CASE("the change record gate fails when the CR still awaits approval") {
    auto cr = approved_cr();
    cr.approval = "requested";
    cr.state = "-3";
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "CHG0012345: requested, Authorize, window 2026-11-28 10:00–14:00 UTC — not approved, "
                        "needs state Scheduled or Implement");
}

TEST_CASE("the change record gate fails when the CR is approved but still in Assess") {
    auto cr = approved_cr();
    cr.state = "-4";
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence ==
          "CHG0012345: approved, Assess, window 2026-11-28 10:00–14:00 UTC — needs state Scheduled or Implement");
}

TEST_CASE("the change record gate fails when the CR is approved but its window has closed") {
    const gate_result r = change_record_verdict({"CHG0012345"}, {approved_cr()}, at(14, 1), false);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence ==
          "CHG0012345: approved, Implement, window 2026-11-28 10:00–14:00 UTC — window closed 2026-11-28 14:00 UTC");
}

TEST_CASE("the change record gate fails when the CR is approved but its window has not opened") {
    const gate_result r = change_record_verdict({"CHG0012345"}, {approved_cr()}, at(9, 59), false);
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::EndsWith("— window opens 2026-11-28 10:00 UTC"));
}

TEST_CASE("the change record gate fails when the CR has no planned window") {
    auto cr = approved_cr();
    cr.start.reset();
    cr.end.reset();
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "CHG0012345: approved, Implement, no planned window — no complete planned window");
}

TEST_CASE("the change record gate shows a window across midnight with both dates") {
    auto cr = approved_cr();
    cr.start = at(22);
    cr.end = at(26);
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(23), false);
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "CHG0012345: approved, Implement, window 2026-11-28 22:00–2026-11-29 02:00 UTC");
}

TEST_CASE("the change record gate fails naming a requested CR that ServiceNow does not have") {
    const auto cr = approved_cr();
    const gate_result r = change_record_verdict({"CHG0012345", "CHG0099999"}, {cr}, at(11), false);
    CHECK(r.state == gate_state::fail);
    // The missing one is named first, then the one that is fine.
    CHECK(r.evidence == "CHG0099999: not found in ServiceNow; "
                        "CHG0012345: approved, Implement, window 2026-11-28 10:00–14:00 UTC");
    CHECK(r.link.empty());
}

TEST_CASE("the change record gate needs every requested CR to pass and links the one that does not") {
    auto good = approved_cr("CHG0012345");
    auto bad = approved_cr("CHG0012346");
    bad.state = "3";
    bad.link = "https://example.service-now.com/bad";
    const gate_result r = change_record_verdict({"CHG0012345", "CHG0012346"}, {good, bad}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::StartsWith("CHG0012346: approved, Closed,"));
    CHECK(r.link == bad.link);

    bad.state = "-2";
    const gate_result both = change_record_verdict({"CHG0012345", "CHG0012346"}, {good, bad}, at(11), false);
    CHECK(both.state == gate_state::pass);
    CHECK(both.evidence == "CHG0012345: approved, Implement, window 2026-11-28 10:00–14:00 UTC; "
                           "CHG0012346: approved, Scheduled, window 2026-11-28 10:00–14:00 UTC");
}

TEST_CASE("an emergency request passes with an approved emergency CR in Implement outside its planned window") {
    auto cr = approved_cr();
    cr.type = "emergency";
    const gate_result r = change_record_verdict({"CHG0012345"}, {cr}, at(16), true);
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "CHG0012345: approved, Implement, window 2026-11-28 10:00–14:00 UTC, emergency");
}

TEST_CASE("an emergency request fails with an emergency CR that is only Scheduled or not approved") {
    auto cr = approved_cr();
    cr.type = "emergency";
    cr.state = "-2";
    const gate_result scheduled = change_record_verdict({"CHG0012345"}, {cr}, at(11), true);
    CHECK(scheduled.state == gate_state::fail);
    CHECK_THAT(scheduled.evidence, Catch::EndsWith("— an emergency CR must be in Implement"));

    cr.state = "-1";
    cr.approval = "requested";
    CHECK(change_record_verdict({"CHG0012345"}, {cr}, at(11), true).state == gate_state::fail);
}

TEST_CASE("an emergency CR outside its window does not pass a normal request") {
    auto cr = approved_cr();
    cr.type = "emergency";
    CHECK(change_record_verdict({"CHG0012345"}, {cr}, at(16), false).state == gate_state::fail);
}

TEST_CASE("an emergency request also passes with a normal CR that is approved and in its window") {
    CHECK(change_record_verdict({"CHG0012345"}, {approved_cr()}, at(11), true).state == gate_state::pass);
}

TEST_CASE("the change record gate shows an unknown state code as it is and bounds the list") {
    auto cr = approved_cr();
    cr.state = "17";
    CHECK_THAT(change_record_verdict({"CHG0012345"}, {cr}, at(11), false).evidence,
               Catch::Contains("approved, state 17,"));

    std::vector<std::string> numbers;
    for (int i = 0; i < 12; ++i) numbers.push_back("CHG00000" + std::to_string(10 + i));
    const gate_result r = change_record_verdict(numbers, {}, at(11), false);
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::EndsWith("; and 4 more"));
}

TEST_CASE("the incident gate fails when a P1 is open, counting and naming it") {
    const std::vector<incident> open{
        {"INC0010001", "1", "2", "Checkout is down", "https://example.service-now.com/inc1"},
        {"INC0010002", "3", "1", "Slow report", "https://example.service-now.com/inc2"},
        {"INC0010003", "2", "1", "Prices stale", "https://example.service-now.com/inc3"},
    };
    const gate_result r = incident_verdict(open);
    CHECK(r.id == "incidents");
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "2 open P1/P2 incidents: INC0010001 (P1, Checkout is down), INC0010003 (P2, Prices stale)");
    CHECK(r.link == "https://example.service-now.com/inc1");
}

TEST_CASE("the incident gate passes when only P3 and lower are open") {
    const gate_result r = incident_verdict({{"INC0010002", "3", "1", "Slow report", ""},
                                            {"INC0010004", "5", "1", "Typo", ""}});
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "0 open P1/P2 incidents");
}

TEST_CASE("the incident gate bounds its evidence") {
    std::vector<incident> open;
    for (int i = 0; i < 9; ++i) open.push_back({"INC00100" + std::to_string(10 + i), "2", "1", std::string(500, 'x'), ""});
    const gate_result r = incident_verdict(open);
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::StartsWith("9 open P1/P2 incidents: INC0010010 (P2, xxx"));
    CHECK_THAT(r.evidence, Catch::EndsWith(" and 4 more"));
    CHECK(r.evidence.size() < 600);
}

TEST_CASE("the performance gate fails while Dynatrace has an open problem, counting and linking it") {
    const std::vector<dynatrace_problem> open{
        {"-1_1V2", "P-2611001", "Response time degradation", "OPEN", "PERFORMANCE", at(9)},
        {"-2_1V2", "P-2611002", "Failure rate increase", "OPEN", "ERROR", at(10)},
    };
    const gate_result r = performance_verdict(open, "https://abc.live.dynatrace.com/#problems");
    CHECK(r.id == "performance");
    CHECK(r.title == "Performance stable");
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "2 open problems: P-2611001 Response time degradation; P-2611002 Failure rate increase");
    CHECK(r.link == "https://abc.live.dynatrace.com/#problems");
}

TEST_CASE("the performance gate passes with no open problem") {
    const gate_result r = performance_verdict({}, "https://abc.live.dynatrace.com/#problems");
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "0 open problems");
    CHECK(r.link == "https://abc.live.dynatrace.com/#problems");
}

TEST_CASE("the performance gate names only the first few problems and cuts long titles on a character boundary") {
    std::vector<dynatrace_problem> open;
    // 'é' is two bytes: a cut in the middle of one would leave invalid UTF-8.
    std::string title;
    for (int i = 0; i < 60; ++i) title += "é";
    for (int i = 0; i < 5; ++i) open.push_back({"id", "P-" + std::to_string(i), title, "OPEN", "ERROR", {}});
    const gate_result r = performance_verdict(open, "");
    CHECK_THAT(r.evidence, Catch::StartsWith("5 open problems: P-0 éé"));
    CHECK_THAT(r.evidence, Catch::Contains("é…; P-1"));
    CHECK_THAT(r.evidence, Catch::EndsWith("; and 2 more"));
}

TEST_CASE("the performance gate counts the open problems beyond the page it was given") {
    const std::vector<dynatrace_problem> page{{"-1_1V2", "P-1", "CPU saturation", "OPEN", "RESOURCE_CONTENTION", {}}};
    const gate_result r = performance_verdict(page, "", 7);
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "7 open problems: P-1 CPU saturation; and 6 more");
    CHECK(performance_verdict({}, "", 2).state == gate_state::fail);
    CHECK(performance_verdict({}, "", 2).evidence == "2 open problems");
}
