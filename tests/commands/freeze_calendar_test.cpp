#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands/freeze/freeze_calendar.hpp"

using promotebot::commands::dated_window;
using promotebot::commands::freeze_calendar;
using promotebot::commands::freeze_rules;
using promotebot::commands::freeze_status;
using promotebot::commands::freeze_window;
using promotebot::commands::holiday;
using promotebot::commands::sys_seconds;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

using names = std::vector<std::string>;

date::year_month_day ymd(int y, unsigned m, unsigned d) {
    return date::year{y} / date::month{m} / date::day{d};
}

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return sys_seconds{date::sys_days{ymd(y, m, d)}} + hours{h} + minutes{min};
}

date::local_seconds wall(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return date::local_seconds{date::local_days{ymd(y, m, d)}} + hours{h} + minutes{min};
}

const date::time_zone* london() { return date::locate_zone("Europe/London"); }

// Only for wall-clock times that occur exactly once in the zone.
sys_seconds at(const date::time_zone* zone, int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return zone->to_sys(wall(y, m, d, h, min));
}

std::vector<holiday> england_and_wales() {
    return {
        {ymd(2026, 1, 1), "New Year’s Day"},
        {ymd(2026, 4, 3), "Good Friday"},
        {ymd(2026, 4, 6), "Easter Monday"},
        {ymd(2026, 5, 4), "Early May bank holiday"},
        {ymd(2026, 5, 25), "Spring bank holiday"},
        {ymd(2026, 8, 31), "Summer bank holiday"},
        {ymd(2026, 12, 25), "Christmas Day"},
        {ymd(2026, 12, 28), "Boxing Day (substitute day)"},
        {ymd(2027, 1, 1), "New Year’s Day"},
        {ymd(2027, 3, 26), "Good Friday"},
        {ymd(2027, 3, 29), "Easter Monday"},
        {ymd(2027, 5, 3), "Early May bank holiday"},
        {ymd(2027, 5, 31), "Spring bank holiday"},
        {ymd(2027, 8, 30), "Summer bank holiday"},
        {ymd(2027, 12, 27), "Christmas Day (substitute day)"},
        {ymd(2027, 12, 28), "Boxing Day (substitute day)"},
    };
}

freeze_rules runbook_rules() {
    freeze_rules rules;
    rules.bank_holidays = england_and_wales();
    return rules;
}

freeze_calendar runbook_calendar() { return freeze_calendar{london(), runbook_rules()}; }

// The oracle: an independent reading of the runbook rules for one local day.
struct day_oracle {
    std::vector<holiday> holidays;
    int month_end_days = 3;

    const holiday* holiday_on(date::year_month_day d) const {
        for (const auto& h : holidays) {
            if (h.day == d) return &h;
        }
        return nullptr;
    }

    bool business(date::year_month_day d) const {
        const unsigned iso = date::weekday{date::sys_days{d}}.iso_encoding();
        return iso <= 5 && holiday_on(d) == nullptr;
    }

    // Lists the month's business days from the 1st onwards and keeps the last
    // ones; the close runs from the first kept day to the last, every day
    // between them (weekends, holidays) included.
    bool in_month_end(date::year_month_day d) const {
        std::vector<unsigned> business_days;
        const unsigned last = static_cast<unsigned>((d.year() / d.month() / date::last).day());
        for (unsigned day = 1; day <= last; ++day) {
            if (business(d.year() / d.month() / date::day{day})) business_days.push_back(day);
        }
        const auto keep = std::min<std::size_t>(business_days.size(), static_cast<std::size_t>(month_end_days));
        if (keep == 0) return false;
        const unsigned first_kept = business_days[business_days.size() - keep];
        const unsigned last_kept = business_days.back();
        const auto day = static_cast<unsigned>(d.day());
        return first_kept <= day && day <= last_kept;
    }

    names rules_on(date::year_month_day d) const {
        names out;
        const unsigned m = static_cast<unsigned>(d.month());
        const unsigned day = static_cast<unsigned>(d.day());
        if ((m == 12 && day >= 20) || (m == 1 && day <= 5)) out.push_back("year-end close");
        if (in_month_end(d)) out.push_back("month-end close");
        if (const auto* h = holiday_on(d)) out.push_back("bank holiday: " + h->name);
        std::sort(out.begin(), out.end());
        return out;
    }

    bool frozen(date::year_month_day d) const { return !rules_on(d).empty(); }
};

date::year_month_day next_day(date::year_month_day d) { return date::sys_days{d} + date::days{1}; }

}  // namespace

TEST_CASE("prod is frozen on the last 3 business days of the month") {
    const auto calendar = runbook_calendar();
    // January 2026 ends on Saturday the 31st, so the close is Wednesday 28 to Friday 30.
    CHECK_FALSE(calendar.status_at(at(london(), 2026, 1, 27, 23, 59)).frozen);
    const auto wednesday = calendar.status_at(at(london(), 2026, 1, 28, 0, 0));
    CHECK(wednesday.frozen);
    CHECK(wednesday.rules == names{"month-end close"});
    REQUIRE(wednesday.until);
    CHECK(*wednesday.until == utc(2026, 1, 31));
    CHECK(calendar.status_at(at(london(), 2026, 1, 30, 23, 59)).frozen);
    CHECK_FALSE(calendar.status_at(at(london(), 2026, 1, 31, 12)).frozen);

    const auto january = calendar.windows_between(utc(2026, 1, 10), utc(2026, 2, 1));
    REQUIRE(january.size() == 1);
    CHECK(january[0].start == utc(2026, 1, 28));
    CHECK(january[0].end == utc(2026, 1, 31));
    CHECK(january[0].rules == names{"month-end close"});
}

TEST_CASE("month-end close is one window from the first of the last 3 business days to the end of the last, weekend included") {
    const auto calendar = runbook_calendar();
    // November 2026's last three business days are Thursday 26, Friday 27 and Monday 30.
    const auto saturday = calendar.status_at(at(london(), 2026, 11, 28, 12));
    CHECK(saturday.frozen);
    CHECK(saturday.rules == names{"month-end close"});
    REQUIRE(saturday.until);
    CHECK(*saturday.until == at(london(), 2026, 12, 1));
    CHECK(calendar.status_at(at(london(), 2026, 11, 29, 23, 59)).rules == names{"month-end close"});
    CHECK_FALSE(calendar.status_at(at(london(), 2026, 11, 25, 23, 59)).frozen);
    CHECK_FALSE(calendar.status_at(at(london(), 2026, 12, 1, 0, 0)).frozen);

    const auto november = calendar.windows_between(utc(2026, 11, 10), utc(2026, 12, 10));
    REQUIRE(november.size() == 1);
    CHECK(november[0].start == at(london(), 2026, 11, 26));
    CHECK(november[0].end == at(london(), 2026, 12, 1));
    CHECK(november[0].rules == names{"month-end close"});

    const auto before = calendar.status_at(at(london(), 2026, 11, 20, 12));
    REQUIRE(before.next);
    CHECK(before.next->start == at(london(), 2026, 11, 26));
    CHECK(before.next->end == at(london(), 2026, 12, 1));
}

TEST_CASE("a bank holiday inside month-end close is frozen by the close, even when bank holidays do not freeze") {
    // August 2027: Thursday 26, Friday 27, then the Summer bank holiday on Monday 30, then Tuesday 31.
    const auto calendar = runbook_calendar();
    const auto august = calendar.windows_between(utc(2027, 8, 20), utc(2027, 9, 10));
    REQUIRE(august.size() == 1);
    CHECK(august[0].start == at(london(), 2027, 8, 26));
    CHECK(august[0].end == at(london(), 2027, 9, 1));
    CHECK(august[0].rules == names{"bank holiday: Summer bank holiday", "month-end close"});
    CHECK(calendar.status_at(at(london(), 2027, 8, 28, 12)).rules == names{"month-end close"});
    CHECK(calendar.status_at(at(london(), 2027, 8, 30, 12)).rules ==
          names{"bank holiday: Summer bank holiday", "month-end close"});

    auto rules = runbook_rules();
    rules.bank_holidays_enabled = false;
    const freeze_calendar without_holidays{london(), rules};
    const auto holiday = without_holidays.status_at(at(london(), 2027, 8, 30, 12));
    CHECK(holiday.rules == names{"month-end close"});
    REQUIRE(holiday.until);
    CHECK(*holiday.until == at(london(), 2027, 9, 1));
    const auto close = without_holidays.windows_between(utc(2027, 8, 20), utc(2027, 9, 10));
    REQUIRE(close.size() == 1);
    CHECK(close[0].start == at(london(), 2027, 8, 26));
    CHECK(close[0].end == at(london(), 2027, 9, 1));
}

TEST_CASE("every day of 2026 and 2027 is frozen exactly when and by the rules the runbook names") {
    const auto calendar = runbook_calendar();
    const day_oracle oracle{england_and_wales()};
    auto local_midnight = [](date::year_month_day d) { return london()->to_sys(date::local_days{d}); };
    int frozen_days = 0;
    for (auto d = ymd(2026, 1, 1); d <= ymd(2027, 12, 31); d = next_day(d)) {
        INFO("local day " << d);
        const auto status = calendar.status_at(local_midnight(d) + hours{12});
        const auto expected = oracle.rules_on(d);
        CHECK(status.frozen == !expected.empty());
        CHECK(status.rules == expected);

        // The merged window runs to the first following day no rule freezes.
        auto after = d;
        if (!expected.empty()) {
            ++frozen_days;
            while (oracle.frozen(after)) after = next_day(after);
            REQUIRE(status.until);
            CHECK(*status.until == local_midnight(after));
        } else {
            CHECK_FALSE(status.until);
        }
        // The next window starts on the first frozen day after that.
        auto next_start = after;
        while (!oracle.frozen(next_start)) next_start = next_day(next_start);
        auto next_end = next_start;
        names next_rules;
        while (oracle.frozen(next_end)) {
            for (auto& r : oracle.rules_on(next_end)) next_rules.push_back(r);
            next_end = next_day(next_end);
        }
        std::sort(next_rules.begin(), next_rules.end());
        next_rules.erase(std::unique(next_rules.begin(), next_rules.end()), next_rules.end());
        REQUIRE(status.next);
        CHECK(status.next->start == local_midnight(next_start));
        CHECK(status.next->end == local_midnight(next_end));
        CHECK(status.next->rules == next_rules);
    }
    // 2 x (year-end 17 days + 12 months x 3 + holidays outside both) keeps the loop honest.
    CHECK(frozen_days > 100);
}

TEST_CASE("a bank holiday on the last business day moves month-end close earlier and the weekend stays open") {
    const auto calendar = runbook_calendar();
    // Monday 31 August 2026 is the Summer bank holiday: the close is Wednesday 26 to Friday 28.
    CHECK_FALSE(calendar.is_business_day(ymd(2026, 8, 31)));
    const auto windows = calendar.windows_between(utc(2026, 8, 20), utc(2026, 9, 10));
    REQUIRE(windows.size() == 2);
    CHECK(windows[0].start == at(london(), 2026, 8, 26));
    CHECK(windows[0].end == at(london(), 2026, 8, 29));
    CHECK(windows[0].rules == names{"month-end close"});
    CHECK(windows[1].start == at(london(), 2026, 8, 31));
    CHECK(windows[1].end == at(london(), 2026, 9, 1));
    CHECK(windows[1].rules == names{"bank holiday: Summer bank holiday"});

    const auto saturday = calendar.status_at(at(london(), 2026, 8, 29, 10));
    CHECK_FALSE(saturday.frozen);
    REQUIRE(saturday.next);
    CHECK(saturday.next->start == at(london(), 2026, 8, 31));
}

TEST_CASE("year-end close runs from 20 December to 5 January as one window with month-end close and the Christmas bank holidays") {
    const auto calendar = runbook_calendar();
    const names expected{"bank holiday: Boxing Day (substitute day)", "bank holiday: Christmas Day",
                         "bank holiday: New Year’s Day", "month-end close", "year-end close"};
    const auto windows = calendar.windows_between(utc(2026, 12, 1), utc(2027, 2, 1));
    REQUIRE(windows.size() == 2);
    CHECK(windows[0].start == at(london(), 2026, 12, 20));
    CHECK(windows[0].end == at(london(), 2027, 1, 6));
    CHECK(windows[0].rules == expected);
    // January 2027 ends on a Sunday: Wednesday 27 to Friday 29.
    CHECK(windows[1].start == at(london(), 2027, 1, 27));
    CHECK(windows[1].end == at(london(), 2027, 1, 30));

    const auto christmas_eve = calendar.status_at(at(london(), 2026, 12, 24, 15));
    CHECK(christmas_eve.frozen);
    CHECK(christmas_eve.rules == names{"year-end close"});
    REQUIRE(christmas_eve.until);
    CHECK(*christmas_eve.until == at(london(), 2027, 1, 6));
    REQUIRE(christmas_eve.next);
    CHECK(christmas_eve.next->start == at(london(), 2027, 1, 27));

    const auto new_years_eve = calendar.status_at(at(london(), 2026, 12, 31, 23, 30));
    CHECK(new_years_eve.rules == names{"month-end close", "year-end close"});
    const auto new_years_day = calendar.status_at(at(london(), 2027, 1, 1, 0, 30));
    CHECK(new_years_day.rules == names{"bank holiday: New Year’s Day", "year-end close"});
    CHECK(*new_years_day.until == at(london(), 2027, 1, 6));
    CHECK_FALSE(calendar.status_at(at(london(), 2027, 1, 6, 0, 0)).frozen);
    CHECK_FALSE(calendar.status_at(at(london(), 2026, 12, 19, 23, 59)).frozen);
}

TEST_CASE("month-end close in leap-year February 2028 runs from Friday 25 to the end of Tuesday 29") {
    const auto calendar = runbook_calendar();
    const auto windows = calendar.windows_between(utc(2028, 2, 1), utc(2028, 3, 1));
    REQUIRE(windows.size() == 1);
    CHECK(windows[0].start == utc(2028, 2, 25));
    CHECK(windows[0].end == utc(2028, 3, 1));
    CHECK(calendar.status_at(utc(2028, 2, 26, 12)).frozen);
    CHECK(calendar.status_at(utc(2028, 2, 29, 12)).frozen);
    CHECK_FALSE(calendar.status_at(utc(2028, 3, 1, 12)).frozen);
    const auto thursday = calendar.status_at(utc(2028, 2, 24, 12));
    CHECK_FALSE(thursday.frozen);
    REQUIRE(thursday.next);
    CHECK(thursday.next->start == utc(2028, 2, 25));
}

TEST_CASE("frozen days on the London clock changes last 23 and 25 hours") {
    auto rules = runbook_rules();
    rules.bank_holidays.push_back({ymd(2026, 3, 29), "Clocks go forward"});
    rules.bank_holidays.push_back({ymd(2026, 10, 25), "Clocks go back"});
    const freeze_calendar calendar{london(), rules};

    const auto spring = calendar.windows_between(utc(2026, 3, 29, 12), utc(2026, 3, 29, 13));
    REQUIRE(spring.size() == 1);
    // Month-end close runs from Friday 27 (GMT) to the end of Tuesday 31 (BST), the Sunday inside.
    CHECK(spring[0].start == utc(2026, 3, 27, 0));
    CHECK(spring[0].end == utc(2026, 3, 31, 23));
    CHECK(spring[0].end - spring[0].start == hours{5 * 24 - 1});
    CHECK(spring[0].rules == names{"bank holiday: Clocks go forward", "month-end close"});
    // Without month-end close the Sunday alone lasts 23 hours.
    auto no_close = rules;
    no_close.month_end_enabled = false;
    const auto sunday = freeze_calendar{london(), no_close}.windows_between(utc(2026, 3, 29, 12), utc(2026, 3, 29, 13));
    REQUIRE(sunday.size() == 1);
    CHECK(sunday[0].start == utc(2026, 3, 29, 0));
    CHECK(sunday[0].end == utc(2026, 3, 29, 23));

    const auto autumn = calendar.status_at(utc(2026, 10, 25, 12));
    CHECK(autumn.frozen);
    CHECK(autumn.rules == names{"bank holiday: Clocks go back"});
    REQUIRE(autumn.until);
    CHECK(*autumn.until == utc(2026, 10, 26, 0));
    const auto autumn_window = calendar.windows_between(utc(2026, 10, 25, 12), utc(2026, 10, 25, 13));
    REQUIRE(autumn_window.size() == 1);
    CHECK(autumn_window[0].start == utc(2026, 10, 24, 23));
    CHECK(autumn_window[0].end - autumn_window[0].start == hours{25});
    // The repeated hour 01:00-02:00 local is frozen on both passes.
    CHECK(calendar.status_at(utc(2026, 10, 25, 0, 30)).frozen);
    CHECK(calendar.status_at(utc(2026, 10, 25, 1, 30)).frozen);
    CHECK_FALSE(calendar.status_at(utc(2026, 10, 24, 22, 59)).frozen);
}

TEST_CASE("the calendar follows local midnight in New York and Sydney") {
    const freeze_calendar new_york{date::locate_zone("America/New_York"), freeze_rules{}};
    const auto january = new_york.windows_between(utc(2026, 1, 20), utc(2026, 2, 1));
    REQUIRE(january.size() == 1);
    CHECK(january[0].start == utc(2026, 1, 28, 5));
    CHECK(january[0].end == utc(2026, 1, 31, 5));
    // On 30 March 2026 New York is on EDT.
    const auto march = new_york.windows_between(utc(2026, 3, 20), utc(2026, 4, 1));
    REQUIRE(march.size() == 1);
    CHECK(march[0].start == utc(2026, 3, 27, 4));
    CHECK(march[0].end == utc(2026, 4, 1, 4));
    CHECK(new_york.status_at(utc(2026, 1, 28, 4, 59)).frozen == false);
    CHECK(new_york.status_at(utc(2026, 1, 28, 5, 0)).frozen);

    freeze_rules sydney_rules;
    sydney_rules.bank_holidays = {{ymd(2026, 4, 5), "Daylight saving ends"}};
    const freeze_calendar sydney{date::locate_zone("Australia/Sydney"), sydney_rules};
    // AEDT (+11): month-end close of March 2026 runs from Friday 27 to the end of Tuesday 31.
    const auto sydney_march = sydney.windows_between(utc(2026, 3, 26, 13), utc(2026, 3, 26, 14));
    REQUIRE(sydney_march.size() == 1);
    CHECK(sydney_march[0].start == utc(2026, 3, 26, 13));
    CHECK(sydney_march[0].end == utc(2026, 3, 31, 13));
    const auto clocks_back = sydney.windows_between(utc(2026, 4, 5, 0), utc(2026, 4, 5, 1));
    REQUIRE(clocks_back.size() == 1);
    CHECK(clocks_back[0].start == utc(2026, 4, 4, 13));
    CHECK(clocks_back[0].end == utc(2026, 4, 5, 14));
}

TEST_CASE("a frozen day whose midnight does not exist or happens twice starts at the right instant") {
    // Santiago skips from 00:00 to 01:00 on 6 September 2026 (04:00 UTC).
    freeze_rules santiago_rules;
    santiago_rules.month_end_enabled = false;
    santiago_rules.year_end_enabled = false;
    santiago_rules.bank_holidays = {{ymd(2026, 9, 6), "Skipped midnight"}};
    const freeze_calendar santiago{date::locate_zone("America/Santiago"), santiago_rules};
    const auto skipped = santiago.windows_between(utc(2026, 9, 6, 12), utc(2026, 9, 6, 13));
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].start == utc(2026, 9, 6, 4));
    CHECK(skipped[0].end == utc(2026, 9, 7, 3));
    CHECK_FALSE(santiago.status_at(utc(2026, 9, 6, 3, 59)).frozen);

    // Havana turns 01:00 back to 00:00 on 1 November 2026: the first midnight (04:00 UTC) counts.
    freeze_rules havana_rules = santiago_rules;
    havana_rules.bank_holidays = {{ymd(2026, 11, 1), "Repeated midnight"}};
    const freeze_calendar havana{date::locate_zone("America/Havana"), havana_rules};
    const auto repeated = havana.windows_between(utc(2026, 11, 1, 12), utc(2026, 11, 1, 13));
    REQUIRE(repeated.size() == 1);
    CHECK(repeated[0].start == utc(2026, 11, 1, 4));
    CHECK(repeated[0].end == utc(2026, 11, 2, 5));
}

TEST_CASE("the number of month-end business days is configurable") {
    auto one = runbook_rules();
    one.month_end_business_days = 1;
    const auto last_day_only = freeze_calendar{london(), one}.windows_between(utc(2026, 1, 10), utc(2026, 2, 1));
    REQUIRE(last_day_only.size() == 1);
    CHECK(last_day_only[0].start == utc(2026, 1, 30));
    CHECK(last_day_only[0].end == utc(2026, 1, 31));

    auto five = runbook_rules();
    five.month_end_business_days = 5;
    const freeze_calendar five_days{london(), five};
    const auto whole_week = five_days.windows_between(utc(2026, 1, 10), utc(2026, 2, 1));
    REQUIRE(whole_week.size() == 1);
    CHECK(whole_week[0].start == utc(2026, 1, 26));
    CHECK(whole_week[0].end == utc(2026, 1, 31));

    // November 2026 ends on Monday 30: one day is that Monday alone; five
    // days start on Tuesday 24 and take the weekend in.
    const auto november_one = freeze_calendar{london(), one}.windows_between(utc(2026, 11, 10), utc(2026, 12, 10));
    REQUIRE(november_one.size() == 1);
    CHECK(november_one[0].start == utc(2026, 11, 30));
    CHECK(november_one[0].end == utc(2026, 12, 1));
    CHECK_FALSE(freeze_calendar{london(), one}.status_at(utc(2026, 11, 28, 12)).frozen);
    const auto november_five = five_days.windows_between(utc(2026, 11, 10), utc(2026, 12, 10));
    REQUIRE(november_five.size() == 1);
    CHECK(november_five[0].start == utc(2026, 11, 24));
    CHECK(november_five[0].end == utc(2026, 12, 1));
    CHECK(five_days.status_at(utc(2026, 11, 29, 12)).rules == names{"month-end close"});

    // The property holds for other lengths too.
    const day_oracle oracle{england_and_wales(), 5};
    for (auto d = ymd(2026, 1, 1); d <= ymd(2026, 12, 31); d = next_day(d)) {
        INFO("local day " << d);
        const auto status = five_days.status_at(london()->to_sys(date::local_days{d} + hours{12}));
        CHECK(status.rules == oracle.rules_on(d));
    }
}

TEST_CASE("each freeze rule can be switched off") {
    SECTION("month-end close off, or zero days") {
        auto rules = runbook_rules();
        rules.month_end_enabled = false;
        CHECK_FALSE(freeze_calendar(london(), rules).status_at(utc(2026, 1, 29, 12)).frozen);
        rules = runbook_rules();
        rules.month_end_business_days = 0;
        CHECK_FALSE(freeze_calendar(london(), rules).status_at(utc(2026, 1, 29, 12)).frozen);
        CHECK(runbook_calendar().status_at(utc(2026, 1, 29, 12)).frozen);
    }
    SECTION("year-end close off") {
        auto rules = runbook_rules();
        rules.year_end_enabled = false;
        const freeze_calendar calendar{london(), rules};
        CHECK_FALSE(calendar.status_at(utc(2026, 12, 22, 12)).frozen);
        // The weekend of 26-27 December is open without year-end close.
        const auto windows = calendar.windows_between(utc(2026, 12, 1), utc(2027, 1, 10));
        REQUIRE(windows.size() == 2);
        CHECK(windows[0].start == utc(2026, 12, 25));
        CHECK(windows[0].end == utc(2026, 12, 26));
        CHECK(windows[0].rules == names{"bank holiday: Christmas Day"});
        CHECK(windows[1].start == utc(2026, 12, 28));
        CHECK(windows[1].end == utc(2027, 1, 2));
        CHECK(windows[1].rules == names{"bank holiday: Boxing Day (substitute day)",
                                        "bank holiday: New Year’s Day", "month-end close"});
    }
    SECTION("bank holidays off still keep them out of business days") {
        auto rules = runbook_rules();
        rules.bank_holidays_enabled = false;
        const freeze_calendar calendar{london(), rules};
        CHECK_FALSE(calendar.status_at(utc(2026, 8, 31, 12)).frozen);
        CHECK_FALSE(calendar.is_business_day(ymd(2026, 8, 31)));
        const auto windows = calendar.windows_between(utc(2026, 8, 20), utc(2026, 9, 10));
        REQUIRE(windows.size() == 1);
        CHECK(windows[0].start == at(london(), 2026, 8, 26));
        CHECK(windows[0].end == at(london(), 2026, 8, 29));
    }
}

TEST_CASE("adjacent ad-hoc freezes merge into one window") {
    const freeze_calendar calendar{london(), runbook_rules(),
                                   {{"warehouse migration", wall(2026, 6, 10, 9), wall(2026, 6, 10, 12), 1},
                                    {"vendor outage", wall(2026, 6, 10, 12), wall(2026, 6, 10, 15), 2},
                                    {"board demo", wall(2026, 6, 10, 15), wall(2026, 6, 10, 16), std::nullopt}}};
    const auto morning = calendar.status_at(utc(2026, 6, 10, 10));  // 11:00 BST
    CHECK(morning.frozen);
    CHECK(morning.rules == names{"ad-hoc #1: warehouse migration"});
    REQUIRE(morning.until);
    CHECK(*morning.until == utc(2026, 6, 10, 15));
    const auto noon = calendar.status_at(utc(2026, 6, 10, 11));  // 12:00 BST, the boundary
    CHECK(noon.rules == names{"ad-hoc #2: vendor outage"});

    const auto windows = calendar.windows_between(utc(2026, 6, 10), utc(2026, 6, 11));
    REQUIRE(windows.size() == 1);
    CHECK(windows[0].start == utc(2026, 6, 10, 8));
    CHECK(windows[0].end == utc(2026, 6, 10, 15));
    CHECK(windows[0].rules ==
          names{"ad-hoc #1: warehouse migration", "ad-hoc #2: vendor outage", "ad-hoc: board demo"});
    CHECK_FALSE(calendar.status_at(utc(2026, 6, 10, 15)).frozen);
}

TEST_CASE("a regulatory filing overlapping an ad-hoc freeze is one window") {
    auto rules = runbook_rules();
    rules.regulatory = {{"Q2 regulatory filing", wall(2026, 7, 14), wall(2026, 7, 16), std::nullopt}};
    const freeze_calendar calendar{london(), rules,
                                   {{"ledger rebuild", wall(2026, 7, 15, 12), wall(2026, 7, 17, 9), 7}}};

    const auto both = calendar.status_at(at(london(), 2026, 7, 15, 13));
    CHECK(both.rules == names{"ad-hoc #7: ledger rebuild", "regulatory filing: Q2 regulatory filing"});
    REQUIRE(both.until);
    CHECK(*both.until == at(london(), 2026, 7, 17, 9));
    const auto filing_done = calendar.status_at(at(london(), 2026, 7, 16, 10));
    CHECK(filing_done.rules == names{"ad-hoc #7: ledger rebuild"});
    CHECK(calendar.status_at(at(london(), 2026, 7, 14, 0)).rules == names{"regulatory filing: Q2 regulatory filing"});
    CHECK_FALSE(calendar.status_at(at(london(), 2026, 7, 17, 9)).frozen);

    const auto windows = calendar.windows_between(utc(2026, 7, 1), utc(2026, 8, 1));
    REQUIRE(windows.size() == 2);
    CHECK(windows[0].start == at(london(), 2026, 7, 14));
    CHECK(windows[0].end == at(london(), 2026, 7, 17, 9));
    CHECK(windows[0].rules == names{"ad-hoc #7: ledger rebuild", "regulatory filing: Q2 regulatory filing"});
    // July 2026 ends on a Friday.
    CHECK(windows[1].start == at(london(), 2026, 7, 29));
    CHECK(windows[1].end == at(london(), 2026, 8, 1));
}

TEST_CASE("when prod is open the status names the next freeze") {
    const auto status = runbook_calendar().status_at(at(london(), 2026, 6, 10, 12));
    CHECK_FALSE(status.frozen);
    CHECK(status.rules.empty());
    CHECK_FALSE(status.until);
    // June 2026 ends on a Tuesday: Friday 26 to the end of Tuesday 30, the weekend included.
    REQUIRE(status.next);
    CHECK(status.next->start == at(london(), 2026, 6, 26));
    CHECK(status.next->end == at(london(), 2026, 7, 1));
    CHECK(status.next->rules == names{"month-end close"});
}

TEST_CASE("when prod is frozen the next freeze starts after the current one ends") {
    const auto status = runbook_calendar().status_at(at(london(), 2026, 6, 26, 12));
    CHECK(status.frozen);
    REQUIRE(status.until);
    CHECK(*status.until == at(london(), 2026, 7, 1));
    REQUIRE(status.next);
    CHECK(status.next->start > *status.until);
    // July 2026 ends on a Friday: Wednesday 29 to Friday 31.
    CHECK(status.next->start == at(london(), 2026, 7, 29));
    CHECK(status.next->end == at(london(), 2026, 8, 1));
}

TEST_CASE("the next freeze is found even when it is years away") {
    freeze_rules rules;
    rules.month_end_enabled = false;
    rules.year_end_enabled = false;
    const freeze_calendar nothing{london(), rules};
    const auto open = nothing.status_at(utc(2026, 6, 1));
    CHECK_FALSE(open.frozen);
    CHECK_FALSE(open.next);
    CHECK(nothing.windows_between(utc(2026, 1, 1), utc(2030, 1, 1)).empty());

    const freeze_calendar far{london(), rules, {{"datacentre move", wall(2029, 2, 1), wall(2029, 2, 3), 9}}};
    const auto status = far.status_at(utc(2026, 6, 1));
    REQUIRE(status.next);
    CHECK(status.next->start == utc(2029, 2, 1));
    CHECK(status.next->rules == names{"ad-hoc #9: datacentre move"});
}

TEST_CASE("windows between two instants are sorted, whole, and carry every rule inside") {
    const auto calendar = runbook_calendar();
    const auto year = calendar.windows_between(utc(2026, 1, 1), utc(2027, 1, 1));
    REQUIRE(year.size() > 12);
    for (std::size_t i = 1; i < year.size(); ++i) {
        INFO("window " << i);
        // Sorted, and never touching: adjacent windows would have been merged.
        CHECK(year[i - 1].end < year[i].start);
        CHECK(std::is_sorted(year[i].rules.begin(), year[i].rules.end()));
        CHECK(std::adjacent_find(year[i].rules.begin(), year[i].rules.end()) == year[i].rules.end());
    }
    // The first window started in 2025 and is reported whole.
    CHECK(year.front().start == utc(2025, 12, 20));
    CHECK(year.front().end == utc(2026, 1, 6));
    CHECK(year.front().rules == names{"bank holiday: New Year’s Day", "month-end close", "year-end close"});
    CHECK(year.back().start == utc(2026, 12, 20));
    CHECK(year.back().end == utc(2027, 1, 6));

    // A window is reported whole even when the range only clips it.
    const auto clipped = calendar.windows_between(utc(2026, 12, 24), utc(2026, 12, 24, 1));
    REQUIRE(clipped.size() == 1);
    CHECK(clipped[0].start == utc(2026, 12, 20));
    CHECK(clipped[0].end == utc(2027, 1, 6));
    // Half-open: a range ending where a window starts does not include it.
    CHECK(calendar.windows_between(utc(2026, 12, 19), utc(2026, 12, 20)).empty());
    CHECK(calendar.windows_between(utc(2026, 12, 24), utc(2026, 12, 24)).empty());
}

TEST_CASE("business days are weekdays that are not bank holidays") {
    const auto calendar = runbook_calendar();
    CHECK(calendar.is_business_day(ymd(2026, 4, 2)));
    CHECK_FALSE(calendar.is_business_day(ymd(2026, 4, 3)));  // Good Friday
    CHECK_FALSE(calendar.is_business_day(ymd(2026, 4, 4)));  // Saturday
    CHECK_FALSE(calendar.is_business_day(ymd(2026, 4, 5)));  // Sunday
    CHECK_FALSE(calendar.is_business_day(ymd(2026, 4, 6)));  // Easter Monday
    CHECK(calendar.is_business_day(ymd(2026, 4, 7)));
    CHECK_THROWS_WITH(calendar.is_business_day(ymd(2026, 2, 30)), Catch::Contains("2026-02-30"));
}

TEST_CASE("a freeze calendar with bad rules is refused with a precise message") {
    CHECK_THROWS_WITH(freeze_calendar(nullptr, freeze_rules{}), Catch::Contains("time zone"));
    auto negative = runbook_rules();
    negative.month_end_business_days = -1;
    CHECK_THROWS_WITH(freeze_calendar(london(), negative), Catch::Contains("month_end_business_days") &&
                                                                Catch::Contains("got -1"));
    auto bad_holiday = runbook_rules();
    bad_holiday.bank_holidays.push_back({ymd(2026, 2, 30), "Imaginary Day"});
    CHECK_THROWS_WITH(freeze_calendar(london(), bad_holiday), Catch::Contains("Imaginary Day"));
    auto backwards = runbook_rules();
    backwards.regulatory = {{"Q4 filing", wall(2026, 10, 2), wall(2026, 10, 1), std::nullopt}};
    CHECK_THROWS_WITH(freeze_calendar(london(), backwards),
                      Catch::Contains("Q4 filing") && Catch::Contains("must end after it starts"));
    CHECK_THROWS_WITH(freeze_calendar(london(), runbook_rules(), {{"", wall(2026, 1, 1), wall(2026, 1, 2), 3}}),
                      Catch::Contains("empty name"));
    auto leap_day = runbook_rules();
    leap_day.year_end_end = date::February / date::day{29};
    CHECK_THROWS_WITH(freeze_calendar(london(), leap_day), Catch::Contains("year_end_end"));
    auto whole_year = runbook_rules();
    whole_year.year_end_start = date::January / date::day{2};
    whole_year.year_end_end = date::January / date::day{1};
    CHECK_THROWS_WITH(freeze_calendar(london(), whole_year), Catch::Contains("covers the whole year"));
    whole_year.year_end_enabled = false;
    CHECK_NOTHROW(freeze_calendar(london(), whole_year));
    CHECK_THROWS_AS(runbook_calendar().windows_between(utc(2026, 2, 1), utc(2026, 1, 1)), std::invalid_argument);
}

TEST_CASE("random regulatory and ad-hoc windows merge with the day rules exactly as an hourly grid says") {
    // June 2026 in London is all BST, so local hour h of the month is UTC hour h - 1.
    const day_oracle oracle{england_and_wales()};
    const auto month_start = date::local_days{ymd(2026, 6, 1)};
    constexpr int hours_in_month = 30 * 24;
    std::mt19937 random{20260601};
    for (int round = 0; round < 12; ++round) {
        auto rules = runbook_rules();
        std::vector<dated_window> ad_hoc;
        std::vector<std::pair<int, int>> spans;  // local hours of the month, [first, last)
        std::vector<std::string> span_rules;
        // Keep the dated windows off the month's first and last day so every run ends inside the grid.
        std::uniform_int_distribution<int> start_hour{24, hours_in_month - 48};
        std::uniform_int_distribution<int> length{1, 40};
        const int count = 1 + round % 6;
        for (int i = 0; i < count; ++i) {
            const int first = start_hour(random);
            const int last = first + length(random);
            const date::local_seconds start{month_start + hours{first}};
            const date::local_seconds end{month_start + hours{last}};
            spans.emplace_back(first, last);
            if (i % 3 == 0) {
                rules.regulatory.push_back({"filing " + std::to_string(i), start, end, std::nullopt});
                span_rules.push_back("regulatory filing: filing " + std::to_string(i));
            } else if (i % 3 == 1) {
                ad_hoc.push_back({"reason " + std::to_string(i), start, end, 100 + i});
                span_rules.push_back("ad-hoc #" + std::to_string(100 + i) + ": reason " + std::to_string(i));
            } else {
                ad_hoc.push_back({"reason " + std::to_string(i), start, end, std::nullopt});
                span_rules.push_back("ad-hoc: reason " + std::to_string(i));
            }
        }
        const freeze_calendar calendar{london(), rules, ad_hoc};

        std::vector<names> grid(hours_in_month);
        for (int h = 0; h < hours_in_month; ++h) {
            auto& cell = grid[static_cast<std::size_t>(h)];
            cell = oracle.rules_on(date::year_month_day{date::sys_days{ymd(2026, 6, 1)} + date::days{h / 24}});
            for (std::size_t i = 0; i < spans.size(); ++i) {
                if (spans[i].first <= h && h < spans[i].second) cell.push_back(span_rules[i]);
            }
            std::sort(cell.begin(), cell.end());
        }
        auto instant = [](int h) { return utc(2026, 6, 1) + hours{h - 1}; };

        std::vector<freeze_window> expected;
        for (int h = 0; h < hours_in_month; ++h) {
            if (grid[static_cast<std::size_t>(h)].empty()) continue;
            if (expected.empty() || expected.back().end != instant(h)) expected.push_back({instant(h), instant(h), {}});
            expected.back().end = instant(h + 1);
            auto& run = expected.back().rules;
            run.insert(run.end(), grid[static_cast<std::size_t>(h)].begin(), grid[static_cast<std::size_t>(h)].end());
            std::sort(run.begin(), run.end());
            run.erase(std::unique(run.begin(), run.end()), run.end());
        }

        INFO("round " << round);
        const auto windows = calendar.windows_between(instant(0), instant(hours_in_month));
        REQUIRE(windows.size() == expected.size());
        for (std::size_t i = 0; i < windows.size(); ++i) {
            INFO("window " << i);
            CHECK(windows[i].start == expected[i].start);
            CHECK(windows[i].end == expected[i].end);
            CHECK(windows[i].rules == expected[i].rules);
        }
        for (int h = 0; h < hours_in_month; ++h) {
            INFO("local hour " << h);
            const auto status = calendar.status_at(instant(h) + minutes{30});
            CHECK(status.rules == grid[static_cast<std::size_t>(h)]);
            const auto containing = std::find_if(expected.begin(), expected.end(), [&](const freeze_window& w) {
                return w.start <= instant(h) && instant(h) < w.end;
            });
            CHECK(status.frozen == (containing != expected.end()));
            if (containing != expected.end()) {
                REQUIRE(status.until);
                CHECK(*status.until == containing->end);
            }
        }
    }
}

TEST_CASE("the year-end close dates are configurable") {
    auto rules = runbook_rules();
    rules.year_end_start = date::December / date::day{15};
    rules.year_end_end = date::January / date::day{10};
    const freeze_calendar calendar{london(), rules};
    const auto windows = calendar.windows_between(utc(2026, 12, 10), utc(2027, 1, 20));
    REQUIRE(windows.size() == 1);
    CHECK(windows[0].start == utc(2026, 12, 15));
    CHECK(windows[0].end == utc(2027, 1, 11));
    CHECK_FALSE(calendar.status_at(utc(2026, 12, 14, 23, 59)).frozen);
    CHECK(calendar.status_at(utc(2027, 1, 10, 23, 59)).rules == names{"year-end close"});
}

TEST_CASE("the calendar covers the years 2000 to 2200 and refuses windows and holidays outside them") {
    const auto refused = [](const std::vector<dated_window>& ad_hoc) {
        return freeze_calendar(london(), runbook_rules(), ad_hoc);
    };
    CHECK_THROWS_WITH(refused({{"typo", wall(9999, 12, 31), wall(10000, 1, 1), 4}}),
                      Catch::Contains("'typo'") && Catch::Contains("2000 to 2200") && Catch::Contains("9999-12-31"));
    CHECK_THROWS_WITH(refused({{"old", wall(1846, 1, 1), wall(1846, 1, 2), 5}}),
                      Catch::Contains("'old'") && Catch::Contains("2000 to 2200"));
    CHECK_THROWS_WITH(refused({{"late", wall(2200, 12, 31), wall(2201, 1, 1, 0, 1), 6}}), Catch::Contains("'late'"));
    CHECK_NOTHROW(refused({{"edges", wall(2000, 1, 1), wall(2201, 1, 1), 7}}));
    auto regulatory = runbook_rules();
    regulatory.regulatory = {{"Q4 filing", wall(2201, 10, 1), wall(2201, 10, 2), std::nullopt}};
    CHECK_THROWS_WITH(freeze_calendar(london(), regulatory),
                      Catch::Contains("regulatory filing") && Catch::Contains("2000 to 2200"));
    auto old_holiday = runbook_rules();
    old_holiday.bank_holidays.push_back({ymd(1999, 12, 27), "Boxing Day"});
    CHECK_THROWS_WITH(freeze_calendar(london(), old_holiday),
                      Catch::Contains("Boxing Day") && Catch::Contains("1999-12-27") && Catch::Contains("2000 to 2200"));
}

TEST_CASE("the calendar's input checks name what is wrong and pass what it accepts") {
    using namespace promotebot::commands;
    CHECK_FALSE(month_end_days_problem(3));
    CHECK(*month_end_days_problem(24) == "must be between 0 and 23, got 24");
    CHECK_FALSE(yearly_day_problem(date::December / date::day{20}));
    CHECK(*yearly_day_problem(date::February / date::day{29}) ==
          "must be a month and day that exists every year, got 02-29");
    CHECK_FALSE(year_end_problem(date::December / date::day{20}, date::January / date::day{5}));
    CHECK_THAT(*year_end_problem(date::March / date::day{1}, date::February / date::day{28}),
               Catch::Contains("covers the whole year"));
    CHECK_FALSE(holiday_problem({ymd(2026, 12, 25), "Christmas Day"}));
    CHECK_FALSE(dated_window_problem({"Q3 filing", wall(2026, 10, 12), wall(2026, 10, 15), std::nullopt}));
    CHECK(*dated_window_problem({"", wall(2026, 10, 12), wall(2026, 10, 15), std::nullopt}) ==
          "window has an empty name");
}
