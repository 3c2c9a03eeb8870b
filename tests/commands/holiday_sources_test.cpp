#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "commands/freeze/freeze_calendar.hpp"

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
               Catch::Contains("END:VEVENT"));
    CHECK_THAT(failure_of([] { parse_ics_holidays("BEGIN:VCALENDAR\nnonsense line\nEND:VCALENDAR\n"); }),
               Catch::Contains("line 2"));
}

TEST_CASE("an iCalendar file without events has no holidays") {
    CHECK(parse_ics_holidays("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n").empty());
}
