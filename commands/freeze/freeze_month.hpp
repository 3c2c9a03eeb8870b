#pragma once
// /freeze calendar: one month of the freeze calendar as a grid people can
// scan (weeks Monday to Sunday), each day marked frozen all day, frozen part
// of the day or open, today marked, and under it a legend of the rules that
// freeze days of the month. Pure: the calendar and the time are passed in.
#include <optional>
#include <string>
#include <vector>

#include <date/date.h>
#include <date/tz.h>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/message/message.hpp"

namespace promotebot::commands {

enum class day_freeze {
    open,
    part_of_day,  // some of the day's hours are frozen
    all_day,      // frozen from its local midnight to the next
};

// One line of the legend: a rule and the days it freezes, each window whole
// even where it reaches into the next or the previous month.
struct legend_entry {
    std::string rule;  // "month-end close", "bank holidays", "ad-hoc #7: Annual audit"
    std::string days;  // "25–30 Nov", "25 Dec (Christmas Day), 28 Dec (Boxing Day)"
    bool operator==(const legend_entry&) const = default;
};

struct freeze_month {
    date::year_month month;
    std::vector<day_freeze> days;  // [0] is the 1st
    std::optional<date::day> today;  // when the time asked at falls in the month
    std::vector<legend_entry> legend;
    // The first window starting after the month (one running on past its end is in the legend).
    std::optional<freeze_window> next_after;
};

// How far /freeze calendar looks back or ahead of the current month.
inline constexpr int max_calendar_months_away = 24;

// The month `t` falls in, in the zone.
date::year_month month_of(sys_seconds t, const date::time_zone* zone);
// Why `month` is refused, or nullopt when it is at most
// max_calendar_months_away months from `current`.
std::optional<std::string> calendar_month_problem(date::year_month month, date::year_month current);
// "November 2026".
std::string month_title(date::year_month month);

// The month as the calendar has it, with today marked when `now` is in it.
freeze_month compute_freeze_month(const freeze_calendar& calendar, date::year_month month, sys_seconds now);

// The grid as monospace lines: a weekday header, one line per week, cells
// like " 25*" (frozen all day), " 25~" (part of the day), ">25 " (today),
// then a line explaining the marks. No trailing spaces.
std::string month_grid(const freeze_month& m);

// The grid as the preformatted part, the legend as fields, the next freeze
// after the month as small print.
message freeze_calendar_message(const freeze_month& m, const date::time_zone* zone);

}  // namespace promotebot::commands
