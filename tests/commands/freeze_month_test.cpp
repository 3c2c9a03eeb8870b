// /freeze calendar's month grid and legend on a fixed calendar: November 2026
// in London with the month-end close, a bank holiday and an ad-hoc window
// that freezes part of two days.
#include <catch2/catch.hpp>

#include <string>

#include "commands/freeze/freeze_month.hpp"

using namespace promotebot::commands;
using std::chrono::hours;

namespace {

date::year_month_day ymd(int y, unsigned m, unsigned d) { return date::year{y} / date::month{m} / date::day{d}; }

date::local_seconds wall(int y, unsigned m, unsigned d, int h = 0) {
    return date::local_seconds{date::local_days{ymd(y, m, d)}} + hours{h};
}

const date::time_zone* london() { return date::locate_zone("Europe/London"); }

freeze_calendar november_calendar() {
    freeze_rules rules;
    rules.bank_holidays = {{ymd(2026, 11, 12), "Company founding day"}};
    std::vector<dated_window> ad_hoc{{"Annual audit", wall(2026, 11, 3, 18), wall(2026, 11, 4, 9), 7}};
    return freeze_calendar(london(), rules, ad_hoc);
}

sys_seconds nov_19_at_ten() { return london()->to_sys(wall(2026, 11, 19, 10)); }

}  // namespace

TEST_CASE("the month grid marks days frozen all day, part of the day, and today, weeks from Monday") {
    const auto cal = november_calendar();
    const auto m = compute_freeze_month(cal, date::year{2026} / date::November, nov_19_at_ten());
    REQUIRE(m.days.size() == 30);
    CHECK(m.days[2] == day_freeze::part_of_day);  // 3 Nov from 18:00
    CHECK(m.days[3] == day_freeze::part_of_day);  // 4 Nov until 09:00
    CHECK(m.days[11] == day_freeze::all_day);     // the bank holiday
    CHECK(m.days[24] == day_freeze::open);
    for (unsigned d = 26; d <= 30; ++d) CHECK(m.days[d - 1] == day_freeze::all_day);  // the close and its weekend
    REQUIRE(m.today.has_value());
    CHECK(*m.today == date::day{19});

    const std::string expected =
        " Mo   Tu   We   Th   Fr   Sa   Su\n"
        "                                1\n"
        "  2    3~   4~   5    6    7    8\n"
        "  9   10   11   12*  13   14   15\n"
        " 16   17   18  >19   20   21   22\n"
        " 23   24   25   26*  27*  28*  29*\n"
        " 30*\n"
        "* frozen all day   ~ frozen part of the day   > today";
    CHECK(month_grid(m) == expected);
}

TEST_CASE("the legend names each rule that freezes a day of the month with its days") {
    const auto cal = november_calendar();
    const auto m = compute_freeze_month(cal, date::year{2026} / date::November, nov_19_at_ten());
    const std::vector<legend_entry> expected{
        {"ad-hoc #7: Annual audit", "3 Nov 18:00 – 4 Nov 09:00"},
        {"bank holidays", "12 Nov (Company founding day)"},
        {"month-end close", "26–30 Nov"},
    };
    CHECK(m.legend == expected);
    // The close ends at midnight starting December; the next freeze after November is the year-end close.
    REQUIRE(m.next_after.has_value());
    CHECK(m.next_after->start == london()->to_sys(wall(2026, 12, 20)));
}

TEST_CASE("a window reaching into the next year is shown whole with both years") {
    const auto cal = november_calendar();
    const auto m = compute_freeze_month(cal, date::year{2026} / date::December, nov_19_at_ten());
    CHECK_FALSE(m.today.has_value());
    bool year_end = false;
    for (const auto& e : m.legend)
        if (e.rule == "year-end close") {
            year_end = true;
            CHECK(e.days == "20 Dec 2026 – 5 Jan 2027");
        }
    CHECK(year_end);
    CHECK(month_grid(m).find('>') == month_grid(m).rfind('>'));  // only the key's "> today"
}

TEST_CASE("the calendar message holds the grid as preformatted text and the legend as fields") {
    const auto cal = november_calendar();
    const auto m = compute_freeze_month(cal, date::year{2026} / date::November, nov_19_at_ten());
    const auto msg = freeze_calendar_message(m, london());
    CHECK(msg.header == ":calendar: Freeze calendar: November 2026");
    CHECK(msg.text.readable() == "6 of 30 days frozen all day, 2 frozen part of the day.");
    CHECK(msg.preformatted == month_grid(m));
    REQUIRE(msg.fields.size() == 3);
    CHECK(msg.fields[2].label == "month-end close");
    CHECK(msg.fields[2].value.readable() == "26–30 Nov");
    REQUIRE_FALSE(msg.context.empty());
    CHECK(msg.context.front().readable().find("Next freeze after November 2026: Sun 20 Dec 2026 00:00 GMT") == 0);
}

TEST_CASE("a month without freezes says so and the grid has no marks") {
    freeze_rules rules;
    rules.month_end_enabled = false;
    rules.year_end_enabled = false;
    const freeze_calendar cal(london(), rules);
    const auto m = compute_freeze_month(cal, date::year{2026} / date::February, nov_19_at_ten());
    CHECK(m.legend.empty());
    CHECK_FALSE(m.next_after.has_value());
    const auto grid = month_grid(m);
    CHECK(grid.find('*') == grid.rfind('*'));  // only in the key
    CHECK(grid.find("\n 23   24   25   26   27   28\n") != std::string::npos);  // 1 Feb 2026 is a Sunday
    CHECK(freeze_calendar_message(m, london()).text.readable() == "No day of February 2026 is frozen.");
}

TEST_CASE("months more than 24 months from the current one are refused") {
    const auto now = date::year{2026} / date::November;
    CHECK_FALSE(calendar_month_problem(now, now).has_value());
    CHECK_FALSE(calendar_month_problem(date::year{2028} / date::November, now).has_value());
    CHECK_FALSE(calendar_month_problem(date::year{2024} / date::November, now).has_value());
    const auto far = calendar_month_problem(date::year{2028} / date::December, now);
    REQUIRE(far.has_value());
    CHECK(*far == "2028-12 is more than 24 months away: the calendar shows 2024-11 to 2028-11");
    CHECK(calendar_month_problem(date::year{2024} / date::October, now).has_value());
}

TEST_CASE("the month of an instant is taken in the calendar's zone") {
    // 23:30 UTC on 31 Oct 2026 is already November in Auckland.
    const auto t = date::sys_days{ymd(2026, 10, 31)} + hours{23} + std::chrono::minutes{30};
    CHECK(month_of(t, london()) == date::year{2026} / date::October);
    CHECK(month_of(t, date::locate_zone("Pacific/Auckland")) == date::year{2026} / date::November);
}
