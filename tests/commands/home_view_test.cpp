// The Home tab's content on fixed inputs: what it says and how much it shows.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "commands/home/home_view.hpp"

using namespace promotebot::commands;
using std::chrono::hours;

namespace {

const date::time_zone* london() { return date::locate_zone("Europe/London"); }

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0) {
    return sys_seconds{date::sys_days{date::year{y} / date::month{m} / date::day{d}}} + hours{h};
}

bool has_mention(const rich_text& t, const std::string& id) {
    return std::any_of(t.spans().begin(), t.spans().end(), [&](const rich_text::span& s) {
        const auto* m = std::get_if<mention>(&s);
        return m && m->kind == mention_kind::user && m->id == id;
    });
}

home_overview busy_overview() {
    home_overview o;
    o.freeze.frozen = true;
    o.freeze.rules = {"month-end close"};
    o.freeze.until = utc(2026, 12, 1);
    o.freeze.next = freeze_window{utc(2026, 12, 20), utc(2027, 1, 6), {"year-end close"}};
    home_request r{12, "prod", "v1.4.2", "awaiting_signoffs", "U0ENG00001", utc(2026, 11, 27, 9), {}};
    r.gates = std::vector<gate_result>{
        gate_answer("freeze", "Not in a change freeze", gate_state::fail, "month-end close until 1 Dec"),
        gate_answer("soak", "Soaked 24 h on int", gate_state::pass, std::string(500, 'e')),
        gate_answer("incidents", "No open P1/P2", gate_state::unknown, "ServiceNow unreachable"),
    };
    o.open_requests.push_back(r);
    o.open_requests.push_back({13, "int", "v1.5.0-rc.1", "checking", "U0ENG00002", utc(2026, 11, 28), std::nullopt});
    o.environments = {{"prod", {{5, "v1.4.1", "succeeded", "U0RM00001", utc(2026, 11, 20, 10), utc(2026, 11, 20, 11)}}},
                      {"int", {}}};
    o.locks = {{"prod", 12, "U0RM00001", utc(2026, 11, 27, 10)}};
    return o;
}

}  // namespace

TEST_CASE("the home view shows the freeze, open requests with their gates, deployments and locks") {
    const auto m = home_message(busy_overview(), utc(2026, 11, 27, 12), london());
    const auto text = m.text.readable();
    CHECK(m.header.find("promotebot") != std::string::npos);
    CHECK(text.find("*Change freeze*\n:no_entry: Production is frozen now (month-end close) until Tue 01 Dec 2026 "
                    "00:00 GMT.") == 0);
    CHECK(text.find("Next freeze: Sun 20 Dec 2026 00:00 GMT → Wed 06 Jan 2027 00:00 GMT (year-end close)") !=
          std::string::npos);
    CHECK(text.find("• *#12 v1.4.2 → prod*: awaiting_signoffs, requested by @U0ENG00001") != std::string::npos);
    CHECK(text.find(":x: Not in a change freeze — month-end close until 1 Dec") != std::string::npos);
    CHECK(text.find(":grey_question: No open P1/P2 — ServiceNow unreachable") != std::string::npos);
    // Long evidence is cut.
    CHECK(text.find(":white_check_mark: Soaked 24 h on int — " + std::string(120, 'e') + "…\n") != std::string::npos);
    CHECK(text.find("#13 v1.5.0-rc.1 → int*: checking") != std::string::npos);
    CHECK(text.find("its stored record could not be read") != std::string::npos);
    CHECK(text.find("_prod_\n• :white_check_mark: v1.4.1 succeeded, Fri 20 Nov 2026 11:00 GMT, by @U0RM00001") !=
          std::string::npos);
    CHECK(text.find("_int_\n• none yet") != std::string::npos);
    CHECK(text.find(":lock: prod: held by @U0RM00001 for request #12 since Fri 27 Nov 2026 10:00 GMT") !=
          std::string::npos);
    // People are real mentions, not text that looks like one.
    CHECK(has_mention(m.text, "U0ENG00001"));
    CHECK(has_mention(m.text, "U0RM00001"));
    REQUIRE(m.context.size() == 1);
    CHECK(m.context[0].readable().find("As of Fri 27 Nov 2026 12:00 GMT (Europe/London)") == 0);
}

TEST_CASE("an empty home view says what is not there") {
    home_overview o;
    o.environments = {{"prod", {}}, {"int", {}}};
    const auto text = home_message(o, utc(2026, 11, 27, 12), london()).text.readable();
    CHECK(text.find(":large_green_circle: Production is not frozen now.") != std::string::npos);
    CHECK(text.find("Next freeze: none in the coming year") != std::string::npos);
    CHECK(text.find("None open.") != std::string::npos);
    CHECK(text.find("None held") != std::string::npos);
}

TEST_CASE("the home view lists at most 20 requests, 15 gates each and 10 deployments per environment") {
    home_overview o;
    for (int i = 0; i < 25; ++i) {
        home_request r{i + 1, "prod", "v1.0." + std::to_string(i), "blocked", "U0ENG00001", utc(2026, 11, 1), {}};
        r.gates = std::vector<gate_result>(18, gate_answer("g", "Gate", gate_state::pass, ""));
        o.open_requests.push_back(r);
    }
    home_environment prod{"prod", {}};
    for (int i = 0; i < 12; ++i)
        prod.deployments.push_back({i + 1, "v1.0." + std::to_string(i), "failed", "U0RM00001", utc(2026, 11, 2), {}});
    o.environments = {prod};
    const auto text = home_message(o, utc(2026, 11, 27, 12), london()).text.readable();
    CHECK(text.find("v1.0.19 → prod") != std::string::npos);
    CHECK(text.find("v1.0.20 → prod") == std::string::npos);
    CHECK(text.find("…and 5 more requests") != std::string::npos);
    CHECK(text.find("…and 3 more gates") != std::string::npos);
    CHECK(text.find(":x: v1.0.9 failed") != std::string::npos);
    CHECK(text.find(":x: v1.0.10 failed") == std::string::npos);
}

TEST_CASE("the open request states are the ones status_of gives a request that has not ended") {
    const auto& states = open_request_states();
    for (const std::string s : {"checking", "blocked", "awaiting_signoffs", "ready", "pre_deploy", "deploying",
                                "verifying", "awaiting_apply"})
        CHECK(std::find(states.begin(), states.end(), s) != states.end());
    for (const std::string s : {"done", "failed", "cancelled", "expired", "interrupted"})
        CHECK(std::find(states.begin(), states.end(), s) == states.end());
}
