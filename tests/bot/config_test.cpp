#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <unistd.h>

#include "bot/config/config.hpp"

using namespace promotebot;
using namespace promotebot::bot;

namespace {

const std::string example_path = std::string{PROMOTEBOT_SOURCE_DIR} + "/deploy/promotebot.example.yaml";

date::year_month_day ymd(int y, unsigned m, unsigned d) {
    return date::year_month_day{date::year{y}, date::month{m}, date::day{d}};
}

date::local_seconds local(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
    return date::local_days{ymd(y, m, d)} + std::chrono::hours{hh} + std::chrono::minutes{mm};
}

file_reader files(std::map<std::string, std::string> by_path) {
    return [by_path = std::move(by_path)](const std::string& path) -> std::optional<std::string> {
        const auto it = by_path.find(path);
        if (it == by_path.end()) return std::nullopt;
        return it->second;
    };
}

// The smallest valid configuration; lines 1-7.
const std::string minimal =
    "slack:\n"
    "  release_channel: C0RELEASE01\n"
    "environments:\n"
    "  int:\n"
    "    project_id: markets-int-12345\n"
    "  prod:\n"
    "    project_id: markets-prod-12345\n";

// Parses text that must be refused and returns the error.
config_error refusal(const std::string& yaml, const file_reader& reader = files({})) {
    try {
        parse_config(yaml, "test.yaml", reader);
    } catch (const config_error& e) {
        return e;
    }
    FAIL("the configuration was accepted");
    throw std::logic_error("unreachable");
}

const config_problem* problem_at(const config_error& e, const std::string& path) {
    for (const auto& p : e.problems())
        if (p.path == path) return &p;
    return nullptr;
}

std::string read_text(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

const std::vector<date::year_month_day> england_and_wales_2026_2027 = {
    ymd(2026, 1, 1),  ymd(2026, 4, 3),   ymd(2026, 4, 6),   ymd(2026, 5, 4),  ymd(2026, 5, 25), ymd(2026, 8, 31),
    ymd(2026, 12, 25), ymd(2026, 12, 28), ymd(2027, 1, 1),   ymd(2027, 3, 26), ymd(2027, 3, 29), ymd(2027, 5, 3),
    ymd(2027, 5, 31), ymd(2027, 8, 30),  ymd(2027, 12, 27), ymd(2027, 12, 28)};

std::vector<date::year_month_day> days_of(const std::vector<commands::holiday>& holidays) {
    std::vector<date::year_month_day> out;
    for (const auto& h : holidays) out.push_back(h.day);
    return out;
}

void check_example(const config& c) {
    CHECK(c.slack.release_channel == "C0RELEASE01");
    CHECK(c.slack.connections == 2);
    CHECK(c.slack.ping_interval == std::chrono::milliseconds{5000});
    CHECK(c.slack.dead_after == std::chrono::milliseconds{15000});
    CHECK(c.slack.group_cache_ttl == std::chrono::seconds{300});
    CHECK(c.timezone == "Europe/London");
    CHECK(c.store == "promotebot.db");
    CHECK(c.audit.channel.empty());

    REQUIRE(c.environments.count("int") == 1);
    REQUIRE(c.environments.count("prod") == 1);
    CHECK(c.environments.at("int").project_id == "markets-int-12345");
    CHECK(c.environments.at("int").deployers == std::vector{commands::role::engineer});
    CHECK(c.environments.at("prod").project_id == "markets-prod-12345");
    CHECK(c.environments.at("prod").deployers == std::vector{commands::role::release_manager});

    for (const auto r : commands::all_roles) REQUIRE(c.roles.count(r) == 1);
    CHECK(c.roles.at(commands::role::release_manager).users.front() == "U0RM00001");
    // Sign-offs need someone other than the requester.
    for (const auto r : {commands::role::release_manager, commands::role::on_call, commands::role::data_engineering,
                         commands::role::business_stakeholder, commands::role::engineer})
        CHECK(c.roles.at(r).users.size() >= 2);
    CHECK(c.roles.at(commands::role::vp).users.size() == 1);

    const auto& rules = c.freeze.rules;
    CHECK(rules.month_end_enabled);
    CHECK(rules.month_end_business_days == 3);
    CHECK(rules.year_end_enabled);
    CHECK(rules.year_end_start == date::December / date::day{20});
    CHECK(rules.year_end_end == date::January / date::day{5});
    CHECK(rules.bank_holidays_enabled);
    REQUIRE(rules.regulatory.size() == 1);
    CHECK(rules.regulatory[0].start == local(2027, 4, 12));
    CHECK(rules.regulatory[0].end == local(2027, 4, 17));
    CHECK(days_of(rules.bank_holidays) == england_and_wales_2026_2027);
    CHECK(rules.bank_holidays.front().name == "New Year’s Day");
}

}  // namespace

TEST_CASE("the compiled-in example configuration is valid and complete") {
    const auto c = embedded_default_config();
    check_example(c);
    CHECK(c.source_name == "<embedded>");
}

TEST_CASE("the example configuration file loads from disk with its holiday file") {
    const auto c = load_config_file(example_path);
    check_example(c);
    CHECK(c.source_name == example_path);
    REQUIRE(c.freeze.holidays.size() == 1);
    CHECK(c.freeze.holidays[0].file == "holidays/england-and-wales-2026-2027.json");
    CHECK(c.freeze.holidays[0].division == "england-and-wales");
}

TEST_CASE("the compiled-in configuration is the example file as it is on disk") {
    CHECK(embedded_default_config_text() == read_text(example_path));
}

TEST_CASE("omitted optional keys take the runbook's defaults") {
    const auto c = parse_config(minimal, "minimal.yaml", files({}));
    CHECK(c.slack.connections == 2);
    CHECK(c.slack.ca_file.empty());
    CHECK(c.timezone == "Europe/London");
    CHECK(c.store == "promotebot.db");
    CHECK(c.roles.empty());
    CHECK(c.environments.at("int").deployers == std::vector{commands::role::engineer});
    CHECK(c.environments.at("prod").deployers == std::vector{commands::role::release_manager});
    CHECK(c.freeze.rules.month_end_business_days == 3);
    CHECK(c.freeze.rules.bank_holidays.empty());
    CHECK(c.source_name == "minimal.yaml");
}

TEST_CASE("by default any engineer may deploy to int and only Release Managers to prod") {
    using commands::action;
    using commands::role;
    for (const auto& c : {parse_config(minimal, "minimal.yaml", files({})), embedded_default_config()}) {
        INFO(c.source_name);
        const auto table = permissions_of(c);
        const auto engineer = commands::role_set{role::engineer};
        const auto release_manager = commands::role_set{role::release_manager};
        CHECK(commands::authorize(table, action::deploy_int, engineer, "U1").allowed);
        CHECK_FALSE(commands::authorize(table, action::deploy_prod, engineer, "U1").allowed);
        CHECK(commands::authorize(table, action::deploy_prod, release_manager, "U1").allowed);
        const auto vp_on_prod = commands::authorize(table, action::deploy_prod, commands::role_set{role::vp}, "U1");
        CHECK_FALSE(vp_on_prod.allowed);
        CHECK(vp_on_prod.reason == "Only a Release Manager can deploy to prod.");
        CHECK(table.row(action::deploy_int).roles == std::vector{role::engineer});
        CHECK(table.row(action::deploy_prod).roles == std::vector{role::release_manager});
    }
}

TEST_CASE("environments.<env>.deployers decides who may deploy there") {
    using commands::action;
    using commands::role;
    const auto c = parse_config(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "environments:\n"
        "  int:\n"
        "    project_id: markets-int-12345\n"
        "    deployers: [release_manager]\n"
        "  prod:\n"
        "    project_id: markets-prod-12345\n"
        "    deployers: [release_manager, vp]\n",
        "strict.yaml", files({}));
    const auto table = permissions_of(c);
    const auto engineer = commands::authorize(table, action::deploy_int, commands::role_set{role::engineer}, "U1");
    CHECK_FALSE(engineer.allowed);
    CHECK(engineer.reason == "Only a Release Manager can deploy to int.");
    CHECK(commands::authorize(table, action::deploy_int, commands::role_set{role::release_manager}, "U1").allowed);
    CHECK(commands::authorize(table, action::deploy_prod, commands::role_set{role::vp}, "U1").allowed);
    // The rows the configuration does not name keep the runbook's roles.
    CHECK_FALSE(commands::authorize(table, action::manage_freeze, commands::role_set{role::vp}, "U1").allowed);
    CHECK(table.row(action::approve_emergency) == commands::permission_table::runbook().row(action::approve_emergency));
}

TEST_CASE("a misspelt nested key is refused with its path, line and a suggestion") {
    const auto e = refusal(minimal + "slack_extra: 1\n" + "freeze:\n  month_end:\n    buisness_days: 2\n");
    const auto* top = problem_at(e, "slack_extra");
    REQUIRE(top != nullptr);
    CHECK(top->line == 8);
    const auto* nested = problem_at(e, "freeze.month_end.buisness_days");
    REQUIRE(nested != nullptr);
    CHECK(nested->line == 11);
    CHECK_THAT(nested->message, Catch::Contains("did you mean \"business_days\""));

    const auto e2 = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "  conections: 3\n"
        "environments: {int: {project_id: markets-int-12345}, prod: {project_id: markets-prod-12345}}\n");
    const auto* typo = problem_at(e2, "slack.conections");
    REQUIRE(typo != nullptr);
    CHECK(typo->line == 3);
    CHECK_THAT(typo->message, Catch::Contains("unknown key") && Catch::Contains("did you mean \"connections\""));
    CHECK_THAT(std::string{e2.what()}, Catch::Contains("test.yaml:3: slack.conections: unknown key"));
}

TEST_CASE("a number given as text is refused with its path and line") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "  connections: \"two\"\n"
        "environments: {int: {project_id: markets-int-12345}, prod: {project_id: markets-prod-12345}}\n");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].path == "slack.connections");
    CHECK(e.problems()[0].line == 3);
    CHECK_THAT(e.problems()[0].message, Catch::Contains("whole number") && Catch::Contains("\"two\""));
}

TEST_CASE("a number out of its range is refused with the range") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "  connections: 11\n"
        "environments: {int: {project_id: markets-int-12345}, prod: {project_id: markets-prod-12345}}\n");
    const auto* p = problem_at(e, "slack.connections");
    REQUIRE(p != nullptr);
    CHECK(p->line == 3);
    CHECK_THAT(p->message, Catch::Contains("between 1 and 10") && Catch::Contains("11"));
}

TEST_CASE("an out-of-range dead-link timeout is reported once") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "  ping_interval_ms: 20000\n"
        "  dead_link_ms: 500000\n"
        "environments: {int: {project_id: markets-int-12345}, prod: {project_id: markets-prod-12345}}\n");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].path == "slack.dead_link_ms");
    CHECK_THAT(e.problems()[0].message, Catch::Contains("between 1 and 120000"));
}

TEST_CASE("a dead-link timeout not longer than the ping interval is refused") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "  ping_interval_ms: 20000\n"
        "  dead_link_ms: 20000\n"
        "environments: {int: {project_id: markets-int-12345}, prod: {project_id: markets-prod-12345}}\n");
    const auto* p = problem_at(e, "slack.dead_link_ms");
    REQUIRE(p != nullptr);
    CHECK(p->line == 4);
    CHECK_THAT(p->message, Catch::Contains("ping_interval_ms"));
}

TEST_CASE("an unknown time zone is refused") {
    const auto e = refusal(minimal + "timezone: Europe/Lundon\n");
    const auto* p = problem_at(e, "timezone");
    REQUIRE(p != nullptr);
    CHECK(p->line == 8);
    CHECK_THAT(p->message, Catch::Contains("Europe/Lundon"));

    const auto traversal = refusal(minimal + "timezone: ../../etc/passwd\n");
    CHECK(problem_at(traversal, "timezone") != nullptr);
    CHECK(parse_config(minimal + "timezone: America/New_York\n", "t", files({})).timezone == "America/New_York");
}

TEST_CASE("an unknown role name is refused, listing the roles") {
    const auto e = refusal(minimal +
                           "roles:\n"
                           "  release_manager:\n"
                           "    users: [U0RM00001]\n"
                           "  release_manger:\n"
                           "    users: [U0RM00002]\n");
    const auto* p = problem_at(e, "roles.release_manger");
    REQUIRE(p != nullptr);
    CHECK(p->line == 11);
    CHECK_THAT(p->message, Catch::Contains("unknown role") && Catch::Contains("did you mean \"release_manager\"") &&
                               Catch::Contains("release_manager, vp"));
}

TEST_CASE("user and group IDs must look like Slack IDs") {
    const auto e = refusal(minimal +
                           "roles:\n"
                           "  vp:\n"
                           "    users: [U0VP00001, \"@helen\"]\n"
                           "    groups:\n"
                           "      - U0NOTAGROUP\n");
    const auto* user = problem_at(e, "roles.vp.users[1]");
    REQUIRE(user != nullptr);
    CHECK(user->line == 10);
    const auto* group = problem_at(e, "roles.vp.groups[0]");
    REQUIRE(group != nullptr);
    CHECK(group->line == 12);
    CHECK_THAT(group->message, Catch::Contains("user-group ID"));
}

TEST_CASE("a missing prod project is refused at the environment's line") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "environments:\n"
        "  int:\n"
        "    project_id: markets-int-12345\n"
        "  prod:\n"
        "    deployers: [release_manager]\n");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].path == "environments.prod.project_id");
    CHECK(e.problems()[0].line == 6);
    CHECK_THAT(e.problems()[0].message, Catch::Contains("required"));
}

TEST_CASE("missing required sections are reported at line 0") {
    const auto e = refusal("store: bot.db\n");
    const auto* channel = problem_at(e, "slack.release_channel");
    REQUIRE(channel != nullptr);
    CHECK(channel->line == 0);
    CHECK(problem_at(e, "environments.int") != nullptr);
    CHECK(problem_at(e, "environments.prod") != nullptr);
}

TEST_CASE("channel and project IDs are checked against their patterns") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: \"#releases\"\n"
        "environments:\n"
        "  int:\n"
        "    project_id: Markets_Int\n"
        "  prod:\n"
        "    project_id: markets-prod-12345\n"
        "    deployers: [release_manager, deity]\n");
    CHECK(problem_at(e, "slack.release_channel") != nullptr);
    CHECK(problem_at(e, "environments.int.project_id") != nullptr);
    const auto* deployer = problem_at(e, "environments.prod.deployers[1]");
    REQUIRE(deployer != nullptr);
    CHECK(deployer->line == 8);
}

TEST_CASE("audit.channel names where the audit log's head is posted daily, and is optional") {
    CHECK(parse_config(minimal, "t", files({})).audit.channel.empty());
    CHECK(parse_config(minimal + "audit:\n  channel: \"\"\n", "t", files({})).audit.channel.empty());
    CHECK(parse_config(minimal + "audit:\n  channel: C0AUDIT0001\n", "t", files({})).audit.channel == "C0AUDIT0001");
    const auto e = refusal(minimal + "audit:\n  channel: \"#audit\"\n  chanel: C0AUDIT0001\n");
    const auto* channel = problem_at(e, "audit.channel");
    REQUIRE(channel != nullptr);
    CHECK(channel->line == 9);
    CHECK_THAT(channel->message, Catch::Contains("not a Slack channel ID"));
    CHECK(problem_at(e, "audit.chanel") != nullptr);
}

TEST_CASE("http.listen is an address and port, 127.0.0.1:9090 by default, and may be off") {
    const auto defaults = parse_config(minimal, "t", files({}));
    CHECK(defaults.http.enabled);
    CHECK(defaults.http.address == "127.0.0.1");
    CHECK(defaults.http.port == 9090);
    const auto example = embedded_default_config();
    CHECK(example.http.enabled);
    CHECK(example.http.address == "127.0.0.1");
    CHECK(example.http.port == 9090);

    const auto any = parse_config(minimal + "http:\n  listen: 0.0.0.0:0\n", "t", files({}));
    CHECK(any.http.enabled);
    CHECK(any.http.address == "0.0.0.0");
    CHECK(any.http.port == 0);
    const auto v6 = parse_config(minimal + "http:\n  listen: \"[::1]:9100\"\n", "t", files({}));
    CHECK(v6.http.address == "::1");
    CHECK(v6.http.port == 9100);
    CHECK_FALSE(parse_config(minimal + "http:\n  listen: \"off\"\n", "t", files({})).http.enabled);
    CHECK_FALSE(parse_config(minimal + "http:\n  listen: off\n", "t", files({})).http.enabled);
    CHECK_FALSE(parse_config(minimal + "http:\n  listen: \"\"\n", "t", files({})).http.enabled);

    for (const char* bad : {"9090", "localhost:9090", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:9090",
                            "[::1]9090", "300.1.1.1:80", "127.0.0.1:80x"}) {
        INFO(bad);
        const auto e = refusal(minimal + "http:\n  listen: \"" + bad + "\"\n");
        const auto* listen = problem_at(e, "http.listen");
        REQUIRE(listen != nullptr);
        CHECK(listen->line == 9);
        CHECK_THAT(listen->message, Catch::Contains("is not an address and port to listen on"));
        CHECK_THAT(e.what(), Catch::Contains("test.yaml:9: http.listen: "));
    }
    const auto typo = refusal(minimal + "http:\n  listn: 127.0.0.1:9090\n");
    CHECK(problem_at(typo, "http.listn") != nullptr);
    const auto list = refusal(minimal + "http:\n  listen: [127.0.0.1, 9090]\n");
    CHECK(problem_at(list, "http.listen") != nullptr);
}

TEST_CASE("regulatory windows: whole days include the last day, local times are exact") {
    const auto c = parse_config(minimal +
                                    "freeze:\n"
                                    "  regulatory:\n"
                                    "    - name: Q3 filing\n"
                                    "      from: 2026-10-12\n"
                                    "      to: 2026-10-14\n"
                                    "    - name: FCA return\n"
                                    "      from: 2026-11-02T09:00\n"
                                    "      to: 2026-11-02T17:30\n",
                                "t", files({}));
    const auto& windows = c.freeze.rules.regulatory;
    REQUIRE(windows.size() == 2);
    CHECK(windows[0].name == "Q3 filing");
    CHECK(windows[0].start == local(2026, 10, 12));
    CHECK(windows[0].end == local(2026, 10, 15));
    CHECK(windows[1].start == local(2026, 11, 2, 9, 0));
    CHECK(windows[1].end == local(2026, 11, 2, 17, 30));
    CHECK_FALSE(windows[0].id.has_value());
}

TEST_CASE("freeze.regulatory reads the team's .ics calendar: recurring filings and timed events in the zone") {
    const std::string filings =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\nUID:q@team\r\nSUMMARY:Quarterly filing\r\nDTSTART;VALUE=DATE:20270115\r\n"
        "RRULE:FREQ=MONTHLY;INTERVAL=3;COUNT=4\r\nEXDATE;VALUE=DATE:20270415\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:sec@team\r\nSUMMARY:SEC call\r\n"
        "DTSTART;TZID=America/New_York:20270315T090000\r\nDURATION:PT2H\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n";
    const auto c = parse_config(minimal +
                                    "freeze:\n"
                                    "  regulatory:\n"
                                    "    - name: FCA return\n"
                                    "      from: 2026-11-02T09:00\n"
                                    "      to: 2026-11-02T17:30\n"
                                    "    - file: calendars/filings.ics\n"
                                    "timezone: Europe/Paris\n",
                                "t", files({{"calendars/filings.ics", filings}}));
    const auto& windows = c.freeze.rules.regulatory;
    REQUIRE(windows.size() == 5);  // the dated window, three filings (one excepted), the call
    CHECK(windows[0].name == "FCA return");
    CHECK(windows[1].name == "Quarterly filing");
    CHECK(windows[1].start == local(2027, 1, 15));
    CHECK(windows[1].end == local(2027, 1, 16));
    CHECK(windows[2].name == "SEC call");
    // 09:00 New York (EDT) is 13:00 UTC, 14:00 in Paris (CET until 28 March).
    CHECK(windows[2].start == local(2027, 3, 15, 14, 0));
    CHECK(windows[2].end == local(2027, 3, 15, 16, 0));
    CHECK(windows[3].start == local(2027, 7, 15));
    CHECK(windows[4].start == local(2027, 10, 15));
}

TEST_CASE("a regulatory calendar with an event that cannot be expanded is refused naming the event") {
    const std::string broken =
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x-17\r\nSUMMARY:Annual return\r\n"
        "DTSTART;VALUE=DATE:20270115\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    const auto e = refusal(minimal +
                               "freeze:\n"
                               "  regulatory:\n"
                               "    - file: filings.ics\n"
                               "    - file: missing.ics\n"
                               "    - file: filings.json\n",
                           files({{"filings.ics", broken}}));
    const auto* bad = problem_at(e, "freeze.regulatory[0].file");
    REQUIRE(bad != nullptr);
    CHECK(bad->line == 10);
    CHECK_THAT(bad->message, Catch::Contains("\"Annual return\"") && Catch::Contains("x-17") &&
                                 Catch::Contains("10000 occurrences"));
    const auto* missing = problem_at(e, "freeze.regulatory[1].file");
    REQUIRE(missing != nullptr);
    CHECK_THAT(missing->message, Catch::Contains("cannot read calendar file"));
    const auto* not_ics = problem_at(e, "freeze.regulatory[2].file");
    REQUIRE(not_ics != nullptr);
    CHECK_THAT(not_ics->message, Catch::Contains(".ics"));
}

TEST_CASE("a regulatory window with an impossible date is refused") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  regulatory:\n"
                           "    - name: Q1 filing\n"
                           "      from: 2027-02-30\n"
                           "      to: 2027-03-02\n"
                           "    - name: backwards\n"
                           "      from: 2027-05-10\n"
                           "      to: 2027-05-09\n"
                           "    - from: 2027-06-01\n"
                           "      to: 2027-06-01\n");
    const auto* bad_date = problem_at(e, "freeze.regulatory[0].from");
    REQUIRE(bad_date != nullptr);
    CHECK(bad_date->line == 11);
    CHECK_THAT(bad_date->message, Catch::Contains("2027-02-30"));
    const auto* backwards = problem_at(e, "freeze.regulatory[1].to");
    REQUIRE(backwards != nullptr);
    CHECK(backwards->line == 15);
    CHECK(problem_at(e, "freeze.regulatory[2].name") != nullptr);
}

TEST_CASE("year-end days and switches are checked") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  year_end:\n"
                           "    enabled: perhaps\n"
                           "    start: \"12-32\"\n");
    CHECK(problem_at(e, "freeze.year_end.enabled") != nullptr);
    CHECK(problem_at(e, "freeze.year_end.start") != nullptr);

    const auto c = parse_config(minimal +
                                    "freeze:\n"
                                    "  year_end: {enabled: false, start: \"12-18\", end: \"01-02\"}\n"
                                    "  month_end: {enabled: false, business_days: 0}\n"
                                    "  bank_holidays: {enabled: false}\n",
                                "t", files({}));
    CHECK_FALSE(c.freeze.rules.year_end_enabled);
    CHECK(c.freeze.rules.year_end_start == date::December / date::day{18});
    CHECK(c.freeze.rules.year_end_end == date::January / date::day{2});
    CHECK_FALSE(c.freeze.rules.month_end_enabled);
    CHECK(c.freeze.rules.month_end_business_days == 0);
    CHECK_FALSE(c.freeze.rules.bank_holidays_enabled);
}

TEST_CASE("a holiday file that cannot be read is refused with its path") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  holidays:\n"
                           "    - file: holidays/missing.json\n");
    const auto* p = problem_at(e, "freeze.holidays[0].file");
    REQUIRE(p != nullptr);
    CHECK(p->line == 10);
    CHECK_THAT(p->message, Catch::Contains("holidays/missing.json"));
}

TEST_CASE("an invalid holiday file is refused with the parser's reason") {
    const auto e = refusal(minimal +
                               "freeze:\n"
                               "  holidays:\n"
                               "    - file: bank-holidays.json\n"
                               "      division: scotland\n",
                           files({{"bank-holidays.json", R"({"england-and-wales": {"events": []}})"}}));
    const auto* p = problem_at(e, "freeze.holidays[0].file");
    REQUIRE(p != nullptr);
    CHECK_THAT(p->message, Catch::Contains("scotland") && Catch::Contains("england-and-wales"));
}

TEST_CASE("holidays from gov.uk JSON and iCalendar files are merged, sorted and de-duplicated") {
    const auto c = parse_config(
        minimal +
            "freeze:\n"
            "  holidays:\n"
            "    - file: company.ics\n"
            "    - file: bank-holidays.json\n",
        "t",
        files({{"company.ics",
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n"
                "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260619\r\nSUMMARY:Company day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
               {"bank-holidays.json",
                R"({"england-and-wales": {"events": [{"title": "Christmas Day", "date": "2026-12-25"},
                                                     {"title": "Boxing Day", "date": "2026-12-28"}]}})"}}));
    CHECK(days_of(c.freeze.rules.bank_holidays) == std::vector{ymd(2026, 6, 19), ymd(2026, 12, 25), ymd(2026, 12, 28)});
    REQUIRE(c.freeze.holidays.size() == 2);
    CHECK(c.freeze.holidays[1].division == "england-and-wales");
}

TEST_CASE("the shipped iCalendar example reads as whole-day holidays") {
    const std::string ics = std::string{PROMOTEBOT_SOURCE_DIR} + "/deploy/holidays/example.ics";
    const auto c = parse_config(minimal + "freeze:\n  holidays:\n    - file: " + ics + "\n", "t",
                                [&](const std::string& path) -> std::optional<std::string> {
                                    if (path != ics) return std::nullopt;
                                    return read_text(path);
                                });
    const auto& days = c.freeze.rules.bank_holidays;
    CHECK(days_of(days) == std::vector{ymd(2026, 6, 19), ymd(2026, 10, 8), ymd(2026, 10, 9)});
    REQUIRE(days.size() == 3);
    CHECK(days[0].name == "Company day, offices closed");
    CHECK(days[1].name == "Office move (two days; no deployments without the on-call engineer)");
}

TEST_CASE("every problem in a configuration is reported together, one a line") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "  connections: 0\n"
        "timezone: Mars/Olympus\n"
        "environments:\n"
        "  int:\n"
        "    project_id: markets-int-12345\n");
    CHECK(e.problems().size() == 3);
    CHECK(e.source_name() == "test.yaml");
    const std::string text = e.what();
    CHECK_THAT(text, Catch::Contains("test.yaml:3: slack.connections: must be between 1 and 10, got 0\n"));
    CHECK_THAT(text, Catch::Contains("test.yaml:4: timezone: unknown time zone \"Mars/Olympus\""));
    CHECK_THAT(text, Catch::Contains("test.yaml:5: environments.prod: is required"));
}

TEST_CASE("YAML that does not parse is refused with its line") {
    const auto e = refusal("slack:\n  release_channel: [C0RELEASE01\nstore: x\n");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].line >= 2);
    CHECK_THAT(e.problems()[0].message, Catch::Contains("not valid YAML"));
}

TEST_CASE("a repeated key is refused") {
    const auto e = refusal(minimal + "store: a.db\nstore: b.db\n");
    const auto* p = problem_at(e, "store");
    REQUIRE(p != nullptr);
    CHECK(p->line == 9);
}

TEST_CASE("holiday files are found relative to the configuration file's folder") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("promotebot-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "holidays");
    {
        std::ofstream{dir / "holidays" / "days.ics"}
            << "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270104\nSUMMARY:Extra day\nEND:VEVENT\nEND:VCALENDAR\n";
        std::ofstream{dir / "bot.yaml"} << minimal << "freeze:\n  holidays:\n    - file: holidays/days.ics\n";
        std::ofstream{dir / "broken.yaml"} << minimal << "freeze:\n  holidays:\n    - file: days.ics\n";
        std::ofstream{dir / "absolute.yaml"} << minimal << "freeze:\n  holidays:\n    - file: " << PROMOTEBOT_SOURCE_DIR
                                             << "/deploy/holidays/example.ics\n";
    }
    CHECK(load_config_file((dir / "absolute.yaml").string()).freeze.rules.bank_holidays.size() == 3);
    const auto c = load_config_file((dir / "bot.yaml").string());
    CHECK(days_of(c.freeze.rules.bank_holidays) == std::vector{ymd(2027, 1, 4)});

    try {
        load_config_file((dir / "broken.yaml").string());
        FAIL("a holiday file outside the configuration's folder was found");
    } catch (const config_error& e) {
        CHECK_THAT(std::string{e.what()}, Catch::Contains("broken.yaml:10: freeze.holidays[0].file"));
    }
    try {
        load_config_file((dir / "absent.yaml").string());
        FAIL("a missing configuration file was accepted");
    } catch (const config_error& e) {
        CHECK_THAT(std::string{e.what()}, Catch::Contains("does not exist"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a 30000-character channel ID is one clear problem and no crash") {
    const std::string huge = "C" + std::string(29999, 'A');
    const auto e = refusal(
        "slack:\n"
        "  release_channel: " + huge + "\n"
        "environments:\n"
        "  int:\n"
        "    project_id: markets-int-12345\n"
        "  prod:\n"
        "    project_id: markets-prod-12345\n");
    REQUIRE(e.problems().size() == 1);
    const std::string text = e.what();
    CHECK(text.rfind("test.yaml:2: slack.release_channel: \"CAAAA", 0) == 0);
    CHECK_THAT(text, Catch::Contains("(cut, 30000 characters in all) is not a Slack channel ID"));
    CHECK(text.size() < 300);
    CHECK(text.find('\n') == std::string::npos);
}

TEST_CASE("30000-character IDs and names anywhere in the config are refused without a crash") {
    const std::string long_tail(29999, 'A');
    const auto e = refusal(minimal +
                           "timezone: Europe/" + std::string(29990, 'L') + "\n"
                           "audit:\n"
                           "  channel: C" + long_tail + "\n"
                           "roles:\n"
                           "  vp:\n"
                           "    users: [U" + long_tail + "]\n"
                           "    groups: [S" + long_tail + "]\n"
                           "freeze:\n"
                           "  holidays:\n"
                           "    - file: h.json\n"
                           "      division: " + std::string(30000, 'e') + "\n");
    for (const char* path : {"timezone", "audit.channel", "roles.vp.users[0]", "roles.vp.groups[0]",
                             "freeze.holidays[0].division"}) {
        INFO(path);
        const auto* p = problem_at(e, path);
        REQUIRE(p != nullptr);
        CHECK(p->message.size() < 300);
    }
    CHECK(e.problems().size() == 5);
}

TEST_CASE("Slack IDs are the kind's letter then 8 to 20 capital letters or digits") {
    const auto channel = [](const std::string& id) {
        return minimal.substr(0, minimal.find("C0RELEASE01")) + "\"" + id + "\"" +
               minimal.substr(minimal.find("C0RELEASE01") + 11);
    };
    const std::vector<std::string> good{"C0123ABCD", "G0123ABCD", "D0123ABCD", "C0123456789", "C" + std::string(20, '9')};
    for (const auto& ok : good) {
        INFO(ok);
        CHECK(parse_config(channel(ok), "t", files({})).slack.release_channel == ok);
    }
    const std::vector<std::string> wrong{"C0123ABC", "C" + std::string(21, '9'), "c0123ABCD", "C0123abcd",
                                         "U0123ABCD", "#releases", ""};
    for (const auto& bad : wrong) {
        INFO(bad);
        const auto e = refusal(channel(bad));
        REQUIRE(e.problems().size() == 1);
        CHECK(e.problems()[0].path == "slack.release_channel");
        CHECK_THAT(e.problems()[0].message, Catch::Contains("9 to 21 characters"));
    }
    const auto c = parse_config(minimal + "roles:\n  vp:\n    users: [U0123ABCD, W0123ABCDEF]\n    groups: [S0123ABCD]\n",
                                "t", files({}));
    CHECK(c.roles.at(commands::role::vp).users == std::vector<std::string>{"U0123ABCD", "W0123ABCDEF"});
    const auto e = refusal(minimal + "roles:\n  vp:\n    users: [U0VP, S0123ABCD]\n    groups: [S0DE]\n");
    CHECK(problem_at(e, "roles.vp.users[0]") != nullptr);
    CHECK(problem_at(e, "roles.vp.users[1]") != nullptr);
    CHECK(problem_at(e, "roles.vp.groups[0]") != nullptr);
}

TEST_CASE("every item of an ID list is checked whatever its type") {
    const auto e = refusal(minimal +
                           "roles:\n"
                           "  vp:\n"
                           "    users: [123, null, \"\"]\n");
    REQUIRE(problem_at(e, "roles.vp.users[0]") != nullptr);
    CHECK_THAT(problem_at(e, "roles.vp.users[0]")->message, Catch::Contains("\"123\" is not a Slack user ID"));
    REQUIRE(problem_at(e, "roles.vp.users[1]") != nullptr);
    CHECK_THAT(problem_at(e, "roles.vp.users[1]")->message, Catch::Contains("expected text, got nothing"));
    REQUIRE(problem_at(e, "roles.vp.users[2]") != nullptr);
    CHECK_THAT(problem_at(e, "roles.vp.users[2]")->message, Catch::Contains("\"\" is not a Slack user ID"));
    CHECK(e.problems().size() == 3);
}

TEST_CASE("deployers that are not text are each reported with the unknown roles beside them") {
    const auto e = refusal(
        "slack:\n"
        "  release_channel: C0RELEASE01\n"
        "environments:\n"
        "  int:\n"
        "    project_id: markets-int-12345\n"
        "  prod:\n"
        "    project_id: markets-prod-12345\n"
        "    deployers: [[vp], deity, {a: b}]\n");
    CHECK(problem_at(e, "environments.prod.deployers[0]") != nullptr);
    CHECK(problem_at(e, "environments.prod.deployers[1]") != nullptr);
    CHECK(problem_at(e, "environments.prod.deployers[2]") != nullptr);
    CHECK(e.problems().size() == 3);
}

TEST_CASE("a year-end day that is not in every year is refused as the calendar refuses it") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  year_end:\n"
                           "    start: \"02-29\"\n"
                           "    end: \"01-05\"\n");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].path == "freeze.year_end.start");
    CHECK(e.problems()[0].line == 10);
    CHECK_THAT(e.problems()[0].message, Catch::Contains("exists every year") && Catch::Contains("02-29"));
}

TEST_CASE("a year-end close that covers the whole year is refused at its end") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  year_end:\n"
                           "    start: \"01-02\"\n"
                           "    end: \"01-01\"\n");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].path == "freeze.year_end.end");
    CHECK(e.problems()[0].line == 11);
    CHECK_THAT(e.problems()[0].message, Catch::Contains("covers the whole year"));
    CHECK_NOTHROW(parse_config(minimal + "freeze:\n  year_end: {enabled: false, start: \"01-02\", end: \"01-01\"}\n",
                               "t", files({})));
}

TEST_CASE("a regulatory window with an empty name still has its dates checked") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  regulatory:\n"
                           "    - name: \"\"\n"
                           "      from: 2027-05-10\n"
                           "      to: 2027-05-09\n");
    CHECK(problem_at(e, "freeze.regulatory[0].name") != nullptr);
    const auto* backwards = problem_at(e, "freeze.regulatory[0].to");
    REQUIRE(backwards != nullptr);
    CHECK(backwards->line == 12);
    CHECK(e.problems().size() == 2);
}

TEST_CASE("regulatory dates outside the years 2000 to 2200 are refused naming the value") {
    const auto e = refusal(minimal +
                           "freeze:\n"
                           "  regulatory:\n"
                           "    - name: far\n"
                           "      from: 1999-12-31\n"
                           "      to: 9999-12-31\n");
    const auto* from = problem_at(e, "freeze.regulatory[0].from");
    REQUIRE(from != nullptr);
    CHECK(from->message == "\"1999-12-31\" is outside the freeze calendar's years, from 2000 to 2200");
    const auto* to = problem_at(e, "freeze.regulatory[0].to");
    REQUIRE(to != nullptr);
    CHECK(to->message == "\"9999-12-31\" is outside the freeze calendar's years, from 2000 to 2200");
    const auto c = parse_config(minimal +
                                    "freeze:\n"
                                    "  regulatory:\n"
                                    "    - {name: edges, from: 2000-01-01, to: 2200-12-31}\n",
                                "t", files({}));
    REQUIRE(c.freeze.rules.regulatory.size() == 1);
    CHECK(c.freeze.rules.regulatory[0].end == local(2201, 1, 1));
}

TEST_CASE("a holiday outside the calendar's years is refused with its file") {
    const auto e = refusal(minimal + "freeze:\n  holidays:\n    - file: old.json\n",
                           files({{"old.json", R"({"england-and-wales": {"division": "england-and-wales", "events": [
                                                  {"title": "New Year's Day", "date": "1990-01-01"},
                                                  {"title": "Boxing Day", "date": "2026-12-28"}]}})"}}));
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].path == "freeze.holidays[0].file");
    CHECK_THAT(e.problems()[0].message, Catch::Contains("1990-01-01") && Catch::Contains("2000 to 2200"));
}

// ---- promotions -------------------------------------------------------------

TEST_CASE("without promotion keys prod follows the runbook's checklist and commands") {
    const auto c = parse_config(minimal, "minimal.yaml", files({}));
    const auto& prod = c.environments.at("prod");
    CHECK(prod.gates == std::vector<std::string>{"freeze", "soak", "pipeline_cycles", "incidents", "change_record",
                                                 "performance", "quarantine"});
    CHECK(prod.signoffs.size() == 2);
    CHECK(prod.rollback_plan_required);
    REQUIRE(prod.app_steps.size() == 5);
    CHECK(prod.app_steps[3].argv == std::vector<std::string>{"kubectl", "set", "image", "-n", "markets",
                                                             "cronjob/markets-pipeline",
                                                             "orchestrator=gcr.io/{project_id}/markets-orchestrator:{version}"});
    CHECK(c.environments.at("int").gates.empty());
    const auto policy = promotion_policy_of(c, "prod");
    CHECK(policy.deploy_action == commands::action::deploy_prod);
    CHECK(policy.gate_titles.at("change_record") == "Change Record approved");
}

TEST_CASE("the example configuration holds the runbook's deployment commands verbatim") {
    const auto c = embedded_default_config();
    const auto& prod = c.environments.at("prod");
    CHECK(prod.app_steps[0].argv ==
          std::vector<std::string>{"docker", "build", "-t", "gcr.io/{project_id}/markets-orchestrator:{version}", "."});
    CHECK(prod.app_steps[1].kind == commands::step_kind::push);
    CHECK(prod.infra_steps[1].argv == std::vector<std::string>{"terraform", "plan", "-input=false", "-out=tfplan"});
    CHECK(prod.kube_context == "gke_markets-prod-12345_europe-west2_markets");
    CHECK(c.servicenow.url == "https://example.service-now.com");
    CHECK(c.promotion.checks.at(0).id == "quarantine");
}

TEST_CASE("a step whose argv uses an unknown placeholder is refused with its path") {
    const auto e = refusal(minimal +
                           "    steps:\n"
                           "      app:\n"
                           "        - name: deploy\n"
                           "          argv: [kubectl, apply, -f, \"{manifest}\"]\n");
    const auto* p = problem_at(e, "environments.prod.steps.app[0].argv");
    REQUIRE(p);
    CHECK(p->message.find("manifest") != std::string::npos);
}

TEST_CASE("a gate that does not exist is refused, naming the gates there are") {
    const auto e = refusal(minimal + "    gates: [freeze, sokа]\n");
    const auto* p = problem_at(e, "environments.prod.gates[1]");
    REQUIRE(p);
    CHECK(p->message.find("unknown gate") != std::string::npos);
    CHECK(p->message.find("pipeline_cycles") != std::string::npos);
}

TEST_CASE("a command check adds a gate and may not reuse a built-in gate's ID") {
    const auto ok = parse_config(minimal +
                                     "    gates: [freeze, smoke]\n"
                                     "promotion:\n"
                                     "  checks:\n"
                                     "    - id: smoke\n"
                                     "      title: Smoke tests pass\n"
                                     "      argv: [make, test-source, \"SOURCE={version}\"]\n",
                                 "t.yaml", files({}));
    CHECK(ok.environments.at("prod").gates.back() == "smoke");
    CHECK(gate_title(ok, "smoke") == "Smoke tests pass");
    const auto e = refusal(minimal +
                           "promotion:\n"
                           "  checks:\n"
                           "    - id: soak\n"
                           "      argv: [true]\n");
    REQUIRE(problem_at(e, "promotion.checks[0].id"));
}

TEST_CASE("terraform_dir is relative to the configuration file's folder") {
    const auto c = parse_config(minimal + "    terraform_dir: terraform/prod\n", "t.yaml", files({}), "/etc/promotebot");
    CHECK(c.environments.at("prod").terraform_dir == "/etc/promotebot/terraform/prod");
}

TEST_CASE("a ServiceNow URL with credentials or a query in it is refused") {
    const auto e = refusal(minimal + "servicenow:\n  url: https://admin:secret@example.service-now.com\n");
    REQUIRE(problem_at(e, "servicenow.url"));
    CHECK(std::string(e.what()).find("secret") == std::string::npos);  // a password in it is not repeated
}

TEST_CASE("rollback settings: the runbook's registry listing by default, the freeze switch and the proposal lifetime") {
    const auto c = parse_config(minimal, "minimal.yaml", files({}));
    CHECK(c.rollback.registry_tags.front() == "gcloud");
    CHECK(c.rollback.allow_known_good_during_freeze);
    const auto policy = rollback_policy_of(c, "prod");
    CHECK(policy.apply_action == commands::action::deploy_prod);
    CHECK(rollback_policy_of(c, "int").apply_action == commands::action::deploy_int);
    const auto strict = parse_config(minimal +
                                         "rollback:\n"
                                         "  proposal_ttl_min: 10\n"
                                         "  allow_known_good_during_freeze: false\n",
                                     "t.yaml", files({}));
    CHECK_FALSE(rollback_policy_of(strict, "prod").allow_known_good_during_freeze);
    CHECK(rollback_policy_of(strict, "prod").proposal_ttl == std::chrono::minutes(10));
    const auto e = refusal(minimal + "rollback:\n  registry_tags: [gcloud, \"{repository}\"]\n");
    REQUIRE(problem_at(e, "rollback.registry_tags"));
}

TEST_CASE("rollback confirmers and the Terraform ref are configurable, and wrong values name their key") {
    const auto c = parse_config(minimal, "minimal.yaml", files({}));
    CHECK(c.rollback.infra_ref == "HEAD~1");
    const auto deflt = rollback_policy_of(c, "prod").permissions.row(commands::action::rollback).roles;
    CHECK(std::count(deflt.begin(), deflt.end(), commands::role::on_call) == 1);
    CHECK(std::count(deflt.begin(), deflt.end(), commands::role::release_manager) == 1);
    const auto only_rm = parse_config(minimal +
                                          "rollback:\n"
                                          "  confirmers: [release_manager]\n"
                                          "  infra_ref: release-2026-11\n",
                                      "t.yaml", files({}));
    CHECK(rollback_policy_of(only_rm, "prod").permissions.row(commands::action::rollback).roles ==
          std::vector<commands::role>{commands::role::release_manager});
    CHECK(only_rm.rollback.infra_ref == "release-2026-11");
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  confirmers: [janitor]\n"), "rollback.confirmers[0]"));
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  confirmers: []\n"), "rollback.confirmers"));
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  infra_ref: \"--force\"\n"), "rollback.infra_ref"));
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  infra_ref: \"main; rm -rf /\"\n"), "rollback.infra_ref"));
}

TEST_CASE("rollback steps default to the runbook's and can be configured, with {models} and {ref} checked") {
    const auto c = parse_config(minimal, "minimal.yaml", files({}));
    REQUIRE(c.rollback.dbt_steps.size() == 1);
    CHECK(c.rollback.dbt_steps.front().argv[1] == "exec");
    const auto custom = parse_config(minimal +
                                         "rollback:\n"
                                         "  steps:\n"
                                         "    dbt:\n"
                                         "      - name: dbt run\n"
                                         "        argv: [kubectl, exec, -n, pipelines, deploy/dbt, --, dbt, run,\n"
                                         "               --select, \"{models}\", --full-refresh]\n"
                                         "    infra:\n"
                                         "      - {name: restore, argv: [git, checkout, \"{ref}\", --, .]}\n"
                                         "      - {name: plan, kind: terraform_plan, argv: [terraform, plan, -out=r.tfplan]}\n"
                                         "      - {name: apply, kind: terraform_apply, argv: [terraform, apply, r.tfplan]}\n",
                                     "t.yaml", files({}));
    const auto policy = rollback_policy_of(custom, "prod");
    REQUIRE(policy.dbt_steps.size() == 1);
    CHECK(policy.dbt_steps.front().argv[3] == "pipelines");
    REQUIRE(policy.infra_steps.size() == 3);
    CHECK(policy.infra_steps[1].kind == commands::step_kind::terraform_plan);
    CHECK(policy.image_steps.size() == 2);  // untouched: the runbook's
    // {ref} belongs to infra steps only; an unknown placeholder and an empty list are refused.
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  steps:\n    image:\n      - {name: x, argv: [git, \"{ref}\"]}\n"),
                       "rollback.steps.image[0].argv"));
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  steps:\n    dbt:\n      - {name: x, argv: [dbt, \"{model}\"]}\n"),
                       "rollback.steps.dbt[0].argv"));
    REQUIRE(problem_at(refusal(minimal + "rollback:\n  steps:\n    dbt: []\n"), "rollback.steps.dbt"));
}

TEST_CASE("replicas.lease_s is a whole number of seconds from 5 to 600, 30 by default") {
    CHECK(parse_config(minimal, "t", files({})).replicas.lease == std::chrono::seconds(30));
    CHECK(embedded_default_config().replicas.lease == std::chrono::seconds(30));
    CHECK(parse_config(minimal + "replicas:\n  lease_s: 5\n", "t", files({})).replicas.lease == std::chrono::seconds(5));
    for (const char* bad : {"4", "601", "-1", "ten", "1.5"}) {
        INFO(bad);
        const auto e = refusal(minimal + "replicas:\n  lease_s: " + bad + "\n");
        const auto* lease = problem_at(e, "replicas.lease_s");
        REQUIRE(lease != nullptr);
        CHECK(lease->line == 9);
        CHECK_THAT(e.what(), Catch::Contains("test.yaml:9: replicas.lease_s: "));
    }
    CHECK(problem_at(refusal(minimal + "replicas:\n  lease: 30\n"), "replicas.lease") != nullptr);
    CHECK(problem_at(refusal(minimal + "replicas: 2\n"), "replicas") != nullptr);
}
