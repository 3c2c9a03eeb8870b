#pragma once
// iCalendar (.ics) calendars, read with libical: recurring events (RRULE,
// RDATE, EXDATE, moved occurrences), whole-day and timed events (UTC, TZID,
// floating), DTEND or DURATION. Pure: the text and the zones are passed in.
// An event that cannot be expanded exactly is an error naming it (its
// SUMMARY and UID), never skipped: a calendar read wrong is a freeze missed.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "commands/freeze/freeze_calendar.hpp"

namespace promotebot::commands {

struct ics_limits {
    // Occurrences are expanded within [first_year, end_year); earlier and
    // later ones cannot matter to the calendar (which refuses other years).
    date::year first_year{2000};
    date::year end_year{2200};
    // Occurrences in one file; an unbounded daily rule is a broken file.
    std::size_t max_occurrences = 10000;
    // Longest single occurrence.
    int max_event_days = 366;
    // Holiday files: a timed event is an error, not a partial day.
    bool whole_days_only = false;
};

// One occurrence of an event.
struct ics_occurrence {
    std::string name;  // SUMMARY, or "unnamed event"
    bool all_day = false;
    date::local_days first_day{};  // all-day: [first_day, end_day) in any zone's wall clock
    date::local_days end_day{};
    sys_seconds start{};  // timed: [start, end), instants
    sys_seconds end{};
};

// Throws std::invalid_argument naming the event and what is wrong, or
// naming libical.so.3 and its Debian package when libical cannot be loaded
// (libical_library.hpp; only a text that looks like a calendar loads it).
// `floating_zone` is the zone of timed events without TZID or Z (the
// calendar's zone); nullptr refuses them. TZIDs are looked up in the tz
// database, then in the file's VTIMEZONE blocks.
std::vector<ics_occurrence> read_ics_calendar(std::string_view ics_text, const date::time_zone* floating_zone,
                                              const ics_limits& limits = {});

// Regulatory windows from a calendar, in `zone`'s wall clock: whole-day
// events cover whole local days, timed events their exact instants.
std::vector<dated_window> ics_dated_windows(std::string_view ics_text, const date::time_zone* zone);

}  // namespace promotebot::commands
