#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/freeze/holiday_sources.hpp"

using namespace promotebot::commands;

namespace {

date::year_month_day ymd(int y, unsigned m, unsigned d) {
    return date::year_month_day{date::year{y}, date::month{m}, date::day{d}};
}

std::string failure_of(auto&& parse) {
    try {
        parse();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no error)";
}

const std::string govuk_text = R"({
  "england-and-wales": {"division": "england-and-wales", "events": [
    {"title": "Christmas Day", "date": "2026-12-25", "notes": "", "bunting": true},
    {"title": "New Year’s Day", "date": "2026-01-01", "notes": "", "bunting": true}
  ]},
  "scotland": {"division": "scotland", "events": [
    {"title": "St Andrew’s Day", "date": "2026-11-30", "notes": "", "bunting": true}
  ]}
})";

}  // namespace

TEST_CASE("gov.uk bank holidays are read for the configured division, in date order") {
    const auto days = parse_govuk_bank_holidays(govuk_text, "england-and-wales");
    REQUIRE(days.size() == 2);
    CHECK(days[0].day == ymd(2026, 1, 1));
    CHECK(days[0].name == "New Year’s Day");
    CHECK(days[1].day == ymd(2026, 12, 25));
    CHECK(days[1].name == "Christmas Day");

    const auto scottish = parse_govuk_bank_holidays(govuk_text, "scotland");
    REQUIRE(scottish.size() == 1);
    CHECK(scottish[0].day == ymd(2026, 11, 30));
}

TEST_CASE("a missing gov.uk division is refused, naming the divisions in the file") {
    const auto message = failure_of([] { parse_govuk_bank_holidays(govuk_text, "northern-ireland"); });
    CHECK_THAT(message, Catch::Contains("\"northern-ireland\""));
    CHECK_THAT(message, Catch::Contains("england-and-wales, scotland"));
}

TEST_CASE("a gov.uk event with an impossible date is refused, naming the event") {
    const std::string text =
        R"({"england-and-wales": {"events": [{"title": "Christmas Day", "date": "2026-12-25"},
                                            {"title": "Leap Day", "date": "2026-02-29"}]}})";
    const auto message = failure_of([&] { parse_govuk_bank_holidays(text, "england-and-wales"); });
    CHECK_THAT(message, Catch::Contains("event 2"));
    CHECK_THAT(message, Catch::Contains("Leap Day"));
    CHECK_THAT(message, Catch::Contains("2026-02-29"));
}

TEST_CASE("gov.uk input that is not the bank-holidays shape is refused with what is wrong") {
    CHECK_THAT(failure_of([] { parse_govuk_bank_holidays("{not json", "england-and-wales"); }),
               Catch::Contains("not valid JSON"));
    CHECK_THAT(failure_of([] { parse_govuk_bank_holidays("[]", "england-and-wales"); }),
               Catch::Contains("JSON object"));
    CHECK_THAT(failure_of([] { parse_govuk_bank_holidays(R"({"england-and-wales": {}})", "england-and-wales"); }),
               Catch::Contains("\"events\""));
    CHECK_THAT(failure_of([] {
                   parse_govuk_bank_holidays(R"({"england-and-wales": {"events": [{"date": "2026-12-25"}]}})",
                                             "england-and-wales");
               }),
               Catch::Contains("\"title\""));
    CHECK_THAT(failure_of([] {
                   parse_govuk_bank_holidays(R"({"england-and-wales": {"events": [{"title": "X", "date": "25/12/2026"}]}})",
                                             "england-and-wales");
               }),
               Catch::Contains("25/12/2026"));
}

TEST_CASE("iCalendar holidays: folded lines are joined and escaped text is unescaped") {
    const std::string text =
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "BEGIN:VEVENT\r\n"
        "DTSTART;VALUE=DATE:20261225\r\n"
        "SUMMARY:Christmas Day\\, the office\\; closed \\\\ all\\nday and a very long\r\n"
        "  summary that was folded\r\n"
        "\tacross lines\r\n"
        "END:VEVENT\r\n"
        "BEGIN:VEVENT\n"
        "DTSTART:20260101\n"
        "SUMMARY:New Year\n"
        "END:VEVENT\n"
        "END:VCALENDAR\n";
    const auto days = parse_ics_holidays(text);
    REQUIRE(days.size() == 2);
    CHECK(days[0].day == ymd(2026, 1, 1));
    CHECK(days[0].name == "New Year");
    CHECK(days[1].day == ymd(2026, 12, 25));
    CHECK(days[1].name ==
          "Christmas Day, the office; closed \\ all\nday and a very long summary that was foldedacross lines");
}

TEST_CASE("iCalendar multi-day events cover every day up to the exclusive DTEND") {
    const std::string text =
        "BEGIN:VCALENDAR\n"
        "BEGIN:VEVENT\n"
        "SUMMARY:Office move\n"
        "DTSTART;VALUE=DATE:20261230\n"
        "DTEND;VALUE=DATE:20270102\n"
        "END:VEVENT\n"
        "END:VCALENDAR\n";
    const auto days = parse_ics_holidays(text);
    REQUIRE(days.size() == 3);
    CHECK(days[0].day == ymd(2026, 12, 30));
    CHECK(days[1].day == ymd(2026, 12, 31));
    CHECK(days[2].day == ymd(2027, 1, 1));
    CHECK(days[2].name == "Office move");
}

TEST_CASE("bad iCalendar input is refused, naming the event and what is wrong") {
    const auto wrap = [](const std::string& event) {
        return "BEGIN:VCALENDAR\nBEGIN:VEVENT\n" + event + "END:VEVENT\nEND:VCALENDAR\n";
    };
    CHECK_THAT(failure_of([&] { parse_ics_holidays(wrap("SUMMARY:Bad day\nDTSTART;VALUE=DATE:20261332\n")); }),
               Catch::Contains("event 1 (\"Bad day\")") && Catch::Contains("20261332"));
    CHECK_THAT(failure_of([&] { parse_ics_holidays(wrap("SUMMARY:No start\n")); }),
               Catch::Contains("has no DTSTART"));
    CHECK_THAT(failure_of([&] { parse_ics_holidays(wrap("DTSTART:20261225T090000Z\n")); }),
               Catch::Contains("whole-day"));
    CHECK_THAT(failure_of([&] {
                   parse_ics_holidays(wrap("DTSTART;VALUE=DATE:20261225\nDTEND;VALUE=DATE:20261225\n"));
               }),
               Catch::Contains("not after DTSTART"));
    CHECK_THAT(failure_of([] { parse_ics_holidays("{\"england-and-wales\": {}}"); }),
               Catch::Contains("BEGIN:VCALENDAR"));
    CHECK_THAT(failure_of([] { parse_ics_holidays("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261225\n"); }),
               Catch::Contains("truncated"));
    CHECK_THAT(failure_of([] { parse_ics_holidays("BEGIN:VCALENDAR\nnonsense line\nEND:VCALENDAR\n"); }),
               Catch::Contains("nonsense line"));
}

TEST_CASE("an iCalendar file without events has no holidays") {
    CHECK(parse_ics_holidays("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n").empty());
}

namespace {

std::string calendar(const std::string& events) {
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//team//filings//EN\r\n" + events + "END:VCALENDAR\r\n";
}

const date::time_zone* london() { return date::locate_zone("Europe/London"); }

date::local_seconds local_midnight(int y, unsigned m, unsigned d) { return date::local_days{ymd(y, m, d)}; }

sys_seconds utc(int y, unsigned m, unsigned d, int h, int min = 0) {
    return date::sys_days{ymd(y, m, d)} + std::chrono::hours{h} + std::chrono::minutes{min};
}

const std::string quarterly_filing =
    "BEGIN:VEVENT\r\n"
    "UID:filing-1@example.com\r\n"
    "SUMMARY:Quarterly filing\r\n"
    "DTSTART;VALUE=DATE:20270115\r\n"
    "DTEND;VALUE=DATE:20270117\r\n"
    "RRULE:FREQ=MONTHLY;INTERVAL=3;COUNT=4\r\n"
    "END:VEVENT\r\n";

}  // namespace

TEST_CASE("a quarterly filing repeated with RRULE yields every occurrence as a whole-day window") {
    const auto windows = ics_dated_windows(calendar(quarterly_filing), london());
    REQUIRE(windows.size() == 4);
    const unsigned months[] = {1, 4, 7, 10};
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(windows[i].name == "Quarterly filing");
        CHECK(windows[i].start == local_midnight(2027, months[i], 15));
        CHECK(windows[i].end == local_midnight(2027, months[i], 17));
    }
}

TEST_CASE("EXDATE removes one occurrence of a recurring filing and RDATE adds one") {
    const std::string event =
        "BEGIN:VEVENT\r\nUID:filing-2\r\nSUMMARY:Quarterly filing\r\nDTSTART;VALUE=DATE:20270115\r\n"
        "RRULE:FREQ=MONTHLY;INTERVAL=3;COUNT=4\r\nEXDATE;VALUE=DATE:20270715\r\n"
        "RDATE;VALUE=DATE:20271201\r\nEND:VEVENT\r\n";
    const auto windows = ics_dated_windows(calendar(event), london());
    REQUIRE(windows.size() == 4);
    CHECK(windows[0].start == local_midnight(2027, 1, 15));
    CHECK(windows[1].start == local_midnight(2027, 4, 15));
    CHECK(windows[2].start == local_midnight(2027, 10, 15));
    CHECK(windows[3].start == local_midnight(2027, 12, 1));
    CHECK(windows[3].end == local_midnight(2027, 12, 2));
}

TEST_CASE("a timed event with a TZID lands at its UTC instant and becomes a timed window") {
    // 09:00 in New York on 15 March 2027 (EDT since the 14th) is 13:00 UTC,
    // 13:00 in London (still GMT).
    const std::string event =
        "BEGIN:VEVENT\r\nUID:sec-call\r\nSUMMARY:SEC filing call\r\n"
        "DTSTART;TZID=America/New_York:20270315T090000\r\nDURATION:PT2H30M\r\nEND:VEVENT\r\n";
    const auto occurrences = read_ics_calendar(calendar(event), london());
    REQUIRE(occurrences.size() == 1);
    CHECK_FALSE(occurrences[0].all_day);
    CHECK(occurrences[0].start == utc(2027, 3, 15, 13));
    CHECK(occurrences[0].end == utc(2027, 3, 15, 15, 30));

    freeze_rules rules;
    rules.month_end_enabled = false;
    rules.year_end_enabled = false;
    rules.regulatory = ics_dated_windows(calendar(event), london());
    const freeze_calendar cal{london(), rules};
    const auto windows = cal.windows_between(utc(2027, 3, 1, 0), utc(2027, 4, 1, 0));
    REQUIRE(windows.size() == 1);
    CHECK(windows[0].start == utc(2027, 3, 15, 13));
    CHECK(windows[0].end == utc(2027, 3, 15, 15, 30));
    CHECK(windows[0].rules == std::vector<std::string>{"regulatory filing: SEC filing call"});
}

TEST_CASE("a weekly timed event with a TZID keeps its wall-clock time across DST") {
    // 10:00 Berlin: 09:00 UTC in winter, 08:00 UTC after 28 March 2027.
    const std::string event =
        "BEGIN:VEVENT\r\nUID:w\r\nSUMMARY:Weekly cut-off\r\n"
        "DTSTART;TZID=Europe/Berlin:20270322T100000\r\nDTEND;TZID=Europe/Berlin:20270322T110000\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\n";
    const auto occurrences = read_ics_calendar(calendar(event), london());
    REQUIRE(occurrences.size() == 2);
    CHECK(occurrences[0].start == utc(2027, 3, 22, 9));
    CHECK(occurrences[1].start == utc(2027, 3, 29, 8));
    CHECK(occurrences[1].end == utc(2027, 3, 29, 9));
}

TEST_CASE("a moved occurrence replaces the original and a cancelled one removes it") {
    const std::string events =
        quarterly_filing +
        "BEGIN:VEVENT\r\nUID:filing-1@example.com\r\nSUMMARY:Quarterly filing (moved)\r\n"
        "RECURRENCE-ID;VALUE=DATE:20270415\r\nDTSTART;VALUE=DATE:20270420\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:filing-1@example.com\r\nSUMMARY:Quarterly filing\r\nSTATUS:CANCELLED\r\n"
        "RECURRENCE-ID;VALUE=DATE:20271015\r\nDTSTART;VALUE=DATE:20271015\r\nEND:VEVENT\r\n";
    const auto windows = ics_dated_windows(calendar(events), london());
    REQUIRE(windows.size() == 3);
    CHECK(windows[0].start == local_midnight(2027, 1, 15));
    CHECK(windows[1].start == local_midnight(2027, 4, 20));
    CHECK(windows[1].name == "Quarterly filing (moved)");
    CHECK(windows[2].start == local_midnight(2027, 7, 15));
}

TEST_CASE("an iCalendar event that cannot be expanded is an error naming it and never skipped") {
    const auto event = [](const std::string& lines) {
        return calendar("BEGIN:VEVENT\r\nUID:bad-1\r\nSUMMARY:Broken filing\r\n" + lines + "END:VEVENT\r\n");
    };
    const auto zone = london();
    // The message names the event (SUMMARY and UID) and says what is wrong.
    const auto refused = [&](const std::string& lines, const std::string& what) {
        const auto message = failure_of([&] { ics_dated_windows(event(lines), zone); });
        CHECK_THAT(message, Catch::Contains("\"Broken filing\"") && Catch::Contains("bad-1") && Catch::Contains(what));
    };
    // A rule libical cannot read.
    refused("DTSTART;VALUE=DATE:20270115\r\nRRULE:FREQ=FORTNIGHTLY\r\n", "FORTNIGHTLY");
    // Unsupported recurrence parts.
    refused("DTSTART;VALUE=DATE:20270115\r\nEXRULE:FREQ=YEARLY\r\n", "EXRULE");
    // Unbounded: more than 10,000 occurrences between 2000 and 2200.
    refused("DTSTART;VALUE=DATE:20270115\r\nRRULE:FREQ=DAILY\r\n", "10000 occurrences");
    // An unknown zone, and a timed event with no end.
    refused("DTSTART;TZID=Mars/Olympus:20270115T090000\r\nDURATION:PT1H\r\n", "Mars/Olympus");
    refused("DTSTART:20270115T090000Z\r\n", "without DTEND or DURATION");
    refused("DTSTART;VALUE=DATE:20271332\r\n", "20271332");
}

TEST_CASE("a yearly iCalendar holiday recurs on every year of the range") {
    const std::string event =
        "BEGIN:VEVENT\r\nUID:xmas\r\nSUMMARY:Christmas Day\r\nDTSTART;VALUE=DATE:20261225\r\n"
        "RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n";
    const auto days = parse_ics_holidays(calendar(event));
    REQUIRE(days.size() == 2200 - 2026);
    CHECK(days.front().day == ymd(2026, 12, 25));
    CHECK(days[1].day == ymd(2027, 12, 25));
    CHECK(days.back().day == ymd(2199, 12, 25));
}
