#pragma once
// The change-freeze calendar of the runbook, evaluated in the configured zone.
// Pure: the time and the rules are passed in.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <date/date.h>
#include <date/tz.h>

namespace promotebot::commands {

using sys_seconds = std::chrono::sys_seconds;

struct holiday {
    date::year_month_day day;
    std::string name;  // "Christmas Day"
};

// A dated window from configuration (a regulatory filing) or from people at
// run time (ad-hoc). Local wall-clock times in the calendar's zone,
// half-open [start, end).
struct dated_window {
    std::string name;              // "Q3 regulatory filing", or the ad-hoc reason
    date::local_seconds start;
    date::local_seconds end;
    std::optional<std::int64_t> id;  // the store ID of an ad-hoc window
};

struct freeze_rules {
    bool month_end_enabled = true;
    int month_end_business_days = 3;  // the last N business days of each month
    bool year_end_enabled = true;
    date::month_day year_end_start = date::month_day{date::December, date::day{20}};  // inclusive
    date::month_day year_end_end = date::month_day{date::January, date::day{5}};      // inclusive
    bool bank_holidays_enabled = true;
    std::vector<holiday> bank_holidays;
    std::vector<dated_window> regulatory;  // dated regulatory filing windows
};

// One stretch of frozen time, merged across overlapping and adjacent rules.
struct freeze_window {
    sys_seconds start;
    sys_seconds end;                 // exclusive
    std::vector<std::string> rules;  // names of every rule inside, e.g. "month-end close"
};

struct freeze_status {
    bool frozen = false;
    std::vector<std::string> rules;        // rules in force at the queried time
    std::optional<sys_seconds> until;      // end of the merged window containing the time
    std::optional<freeze_window> next;     // the next window starting after the time (or after `until`)
};

// The years the calendar covers. Dates typed in commands, configured windows
// and holidays outside them are refused: a year-10000 end is a typo, and
// before 1847 London's time is its local mean time (-00:01:15).
inline constexpr int first_calendar_year = 2000;
inline constexpr int last_calendar_year = 2200;
// Midnight starting first_calendar_year and midnight after last_calendar_year.
date::local_seconds calendar_begin();
date::local_seconds calendar_end();

// The calendar's rules on its inputs, one check each. The constructor throws
// the first problem found; check-config reports every one. Each returns what
// is wrong, or nullopt when the value is acceptable.
std::optional<std::string> month_end_days_problem(int business_days);
// A yearly day (the year-end close's start or end) must exist every year.
std::optional<std::string> yearly_day_problem(date::month_day day);
// The year-end close must leave at least one day of the year open.
std::optional<std::string> year_end_problem(date::month_day start, date::month_day end);
std::optional<std::string> holiday_problem(const holiday& h);
// A name, an end after the start, both within the calendar's years.
std::optional<std::string> dated_window_problem(const dated_window& w);

class freeze_calendar {
public:
    freeze_calendar(const date::time_zone* zone, freeze_rules rules,
                    std::vector<dated_window> ad_hoc = {});

    [[nodiscard]] freeze_status status_at(sys_seconds t) const;
    // Merged windows that intersect [from, to), sorted; each is reported whole.
    [[nodiscard]] std::vector<freeze_window> windows_between(sys_seconds from, sys_seconds to) const;
    // Each rule's own windows, not merged, that intersect [from, to), each
    // whole and naming its one rule, sorted by start: what froze which days.
    [[nodiscard]] std::vector<freeze_window> rule_windows_between(sys_seconds from, sys_seconds to) const;
    // A business day is a weekday that is not a configured bank holiday.
    [[nodiscard]] bool is_business_day(date::year_month_day d) const;

    [[nodiscard]] const date::time_zone* zone() const { return zone_; }
    [[nodiscard]] const freeze_rules& rules() const { return rules_; }

private:
    const date::time_zone* zone_;
    freeze_rules rules_;
    std::vector<dated_window> ad_hoc_;
};

// Bank holiday sources. Both throw std::invalid_argument with a message that
// says what is wrong with the text.
// gov.uk's bank-holidays.json: {"england-and-wales": {"events": [{"title","date"}]}}.
std::vector<holiday> parse_govuk_bank_holidays(std::string_view json_text, std::string_view division);
// iCalendar: VEVENTs with DTSTART;VALUE=DATE:YYYYMMDD and SUMMARY.
std::vector<holiday> parse_ics_holidays(std::string_view ics_text);

}  // namespace promotebot::commands
