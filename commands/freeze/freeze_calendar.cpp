#include "commands/freeze/freeze_calendar.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace promotebot::commands {

namespace {

using std::chrono::days;

// One rule's stretch of frozen time before merging.
struct rule_window {
    sys_seconds start;
    sys_seconds end;  // exclusive
    std::string rule;
};

// The rule windows of a stretch of local days, and those windows merged.
struct window_set {
    std::vector<rule_window> raw;
    std::vector<freeze_window> merged;
};

constexpr int max_month_end_business_days = 23;
// Month-end and year-end close recur at least once a year, so a window
// beyond this horizon can only come from a listed day or dated window.
constexpr days periodic_horizon{400};
constexpr days next_search_step{45};
// A chain of frozen time longer than this on either side of a query is
// reported cut at that distance rather than searched for its end.
constexpr days longest_chain{3660};

// The date as written, e.g. "2026-02-30", even when it is not a valid date.
std::string written_date(date::year_month_day d) {
    std::ostringstream out;
    out << static_cast<int>(d.year()) << '-' << std::setfill('0') << std::setw(2)
        << static_cast<unsigned>(d.month()) << '-' << std::setw(2) << static_cast<unsigned>(d.day());
    return out.str();
}

bool is_weekday(date::local_days d) {
    const date::weekday wd{d};
    return wd != date::Saturday && wd != date::Sunday;
}

std::string ad_hoc_rule_name(const dated_window& w) {
    if (w.id) return "ad-hoc #" + std::to_string(*w.id) + ": " + w.name;
    return "ad-hoc: " + w.name;
}

void sort_unique(std::vector<std::string>& names) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
}

// Merges overlapping and adjacent windows transitively; `raw` must be sorted by start.
std::vector<freeze_window> merge(const std::vector<rule_window>& raw) {
    std::vector<freeze_window> merged;
    for (const auto& w : raw) {
        if (!merged.empty() && w.start <= merged.back().end) {
            merged.back().end = std::max(merged.back().end, w.end);
            merged.back().rules.push_back(w.rule);
        } else {
            merged.push_back(freeze_window{w.start, w.end, {w.rule}});
        }
    }
    for (auto& m : merged) sort_unique(m.rules);
    return merged;
}

bool intersects(const freeze_window& w, sys_seconds from, sys_seconds to) {
    return w.start <= to && w.end >= from;
}

}  // namespace

date::local_seconds calendar_begin() {
    return date::local_days{date::year{first_calendar_year} / date::January / 1};
}
date::local_seconds calendar_end() {
    return date::local_days{date::year{last_calendar_year + 1} / date::January / 1};
}

namespace {

std::string calendar_years() {
    return std::to_string(first_calendar_year) + " to " + std::to_string(last_calendar_year);
}

std::string written_month_day(date::month_day d) {
    std::ostringstream out;
    out << std::setfill('0') << std::setw(2) << static_cast<unsigned>(d.month()) << '-' << std::setw(2)
        << static_cast<unsigned>(d.day());
    return out.str();
}

bool within_calendar(date::local_seconds t) { return t >= calendar_begin() && t <= calendar_end(); }

}  // namespace

std::optional<std::string> month_end_days_problem(int business_days) {
    if (business_days >= 0 && business_days <= max_month_end_business_days) return std::nullopt;
    return "must be between 0 and " + std::to_string(max_month_end_business_days) + ", got " +
           std::to_string(business_days);
}

std::optional<std::string> yearly_day_problem(date::month_day day) {
    // The close recurs yearly, so 29 February (missing three years in four) is refused.
    if ((date::year{2001} / day).ok()) return std::nullopt;
    return "must be a month and day that exists every year, got " + written_month_day(day);
}

std::optional<std::string> year_end_problem(date::month_day start, date::month_day end) {
    const date::year common_year{2001};
    if (!(common_year / start).ok() || !(common_year / end).ok() || !(end < start)) return std::nullopt;
    const date::year_month_day day_after_end{date::sys_days{common_year / end} + days{1}};
    if (day_after_end.month() / day_after_end.day() != start) return std::nullopt;
    return "year-end close from year_end_start " + written_month_day(start) + " to year_end_end " +
           written_month_day(end) + " covers the whole year";
}

std::optional<std::string> holiday_problem(const holiday& h) {
    if (!h.day.ok()) return "bank holiday '" + h.name + "' has an invalid date " + written_date(h.day);
    if (h.name.empty()) return "bank holiday on " + written_date(h.day) + " has an empty name";
    const int year = static_cast<int>(h.day.year());
    if (year < first_calendar_year || year > last_calendar_year)
        return "bank holiday '" + h.name + "' on " + written_date(h.day) + " is outside the years " +
               calendar_years() + " the calendar covers";
    return std::nullopt;
}

std::optional<std::string> dated_window_problem(const dated_window& w) {
    if (w.name.empty()) return "window has an empty name";
    const std::string span = " (start " + date::format("%F %T", w.start) + ", end " + date::format("%F %T", w.end) + ")";
    if (!within_calendar(w.start) || !within_calendar(w.end))
        return "window '" + w.name + "' must lie within the years " + calendar_years() + span;
    if (w.end <= w.start) return "window '" + w.name + "' must end after it starts" + span;
    return std::nullopt;
}

freeze_calendar::freeze_calendar(const date::time_zone* zone, freeze_rules rules,
                                 std::vector<dated_window> ad_hoc)
    : zone_(zone), rules_(std::move(rules)), ad_hoc_(std::move(ad_hoc)) {
    if (zone_ == nullptr) throw std::invalid_argument("freeze calendar needs a time zone");
    if (auto p = month_end_days_problem(rules_.month_end_business_days))
        throw std::invalid_argument("month_end_business_days " + *p);
    if (auto p = yearly_day_problem(rules_.year_end_start)) throw std::invalid_argument("year_end_start " + *p);
    if (auto p = yearly_day_problem(rules_.year_end_end)) throw std::invalid_argument("year_end_end " + *p);
    if (rules_.year_end_enabled)
        if (auto p = year_end_problem(rules_.year_end_start, rules_.year_end_end)) throw std::invalid_argument(*p);
    for (const auto& h : rules_.bank_holidays)
        if (auto p = holiday_problem(h)) throw std::invalid_argument(*p);
    for (const auto& w : rules_.regulatory)
        if (auto p = dated_window_problem(w)) throw std::invalid_argument("regulatory filing " + *p);
    for (const auto& w : ad_hoc_)
        if (auto p = dated_window_problem(w)) throw std::invalid_argument("ad-hoc freeze " + *p);
}

bool freeze_calendar::is_business_day(date::year_month_day d) const {
    if (!d.ok()) throw std::invalid_argument("is_business_day: " + written_date(d) + " is not a valid date");
    if (!is_weekday(date::local_days{d})) return false;
    return std::none_of(rules_.bank_holidays.begin(), rules_.bank_holidays.end(),
                        [&](const holiday& h) { return h.day == d; });
}

namespace {

// Local midnight of `d` as an instant. Midnight can fall in a DST gap (the
// first instant after the gap is used) or repeat (the earlier is used).
sys_seconds local_midnight(const date::time_zone* zone, date::local_days d) {
    return zone->to_sys(date::local_seconds{d}, date::choose::earliest);
}

// Generates every rule window touching the local days [first, last) (some
// extend beyond them) and merges them.
window_set generate(const date::time_zone* zone, const freeze_rules& rules,
                    const std::vector<dated_window>& ad_hoc, date::local_days first, date::local_days last) {
    window_set out;
    const auto lo_edge = local_midnight(zone, first);
    const auto hi_edge = local_midnight(zone, last);
    auto add_days = [&](date::local_days from, date::local_days to, std::string rule) {
        if (to <= first || from >= last) return;
        out.raw.push_back(rule_window{local_midnight(zone, from), local_midnight(zone, to), std::move(rule)});
    };

    std::vector<date::local_days> holidays;
    holidays.reserve(rules.bank_holidays.size());
    for (const auto& h : rules.bank_holidays) holidays.emplace_back(h.day);
    std::sort(holidays.begin(), holidays.end());
    auto business = [&](date::local_days d) {
        return is_weekday(d) && !std::binary_search(holidays.begin(), holidays.end(), d);
    };

    const date::year_month_day first_ymd{first};
    const date::year_month_day last_ymd{last};

    // Month-end close is one window, from the first of the month's last N
    // business days to the end of the last one: the weekends and holidays
    // between them are frozen too, since the close is still running.
    if (rules.month_end_enabled && rules.month_end_business_days > 0) {
        const auto end_month = last_ymd.year() / last_ymd.month();
        for (auto ym = first_ymd.year() / first_ymd.month(); ym <= end_month; ym += date::months{1}) {
            const date::local_days month_first{ym / 1};
            std::optional<date::local_days> first_close_day;
            std::optional<date::local_days> last_close_day;
            int found = 0;
            for (date::local_days d{ym / date::last};
                 d >= month_first && found < rules.month_end_business_days; d -= days{1}) {
                if (!business(d)) continue;
                ++found;
                if (!last_close_day) last_close_day = d;
                first_close_day = d;
            }
            if (first_close_day) add_days(*first_close_day, *last_close_day + days{1}, "month-end close");
        }
    }

    if (rules.year_end_enabled) {
        // A start later in the year than the end crosses into the next year.
        const bool crosses = rules.year_end_end < rules.year_end_start;
        for (auto y = first_ymd.year() - date::years{1}; y <= last_ymd.year(); ++y) {
            const date::local_days start{y / rules.year_end_start};
            const auto end_year = crosses ? y + date::years{1} : y;
            const date::local_days end{end_year / rules.year_end_end};
            add_days(start, end + days{1}, "year-end close");
        }
    }

    if (rules.bank_holidays_enabled) {
        for (const auto& h : rules.bank_holidays) {
            const date::local_days d{h.day};
            add_days(d, d + days{1}, "bank holiday: " + h.name);
        }
    }

    auto add_dated = [&](const dated_window& w, std::string rule) {
        const auto start = zone->to_sys(w.start, date::choose::earliest);
        const auto end = zone->to_sys(w.end, date::choose::earliest);
        if (end <= start || start > hi_edge || end < lo_edge) return;
        out.raw.push_back(rule_window{start, end, std::move(rule)});
    };
    for (const auto& w : rules.regulatory) add_dated(w, "regulatory filing: " + w.name);
    for (const auto& w : ad_hoc) add_dated(w, ad_hoc_rule_name(w));

    std::sort(out.raw.begin(), out.raw.end(), [](const rule_window& a, const rule_window& b) {
        return std::tie(a.start, a.end, a.rule) < std::tie(b.start, b.end, b.rule);
    });
    out.merged = merge(out.raw);
    return out;
}

date::local_days local_day_of(const date::time_zone* zone, sys_seconds t) {
    return date::floor<days>(zone->to_local(t));
}

// Every window intersecting [from, to], each complete: the generated days
// grow until no merged window touching the query reaches their edges.
window_set windows_around(const date::time_zone* zone, const freeze_rules& rules,
                          const std::vector<dated_window>& ad_hoc, sys_seconds from, sys_seconds to) {
    auto first = local_day_of(zone, from) - days{2};
    auto last = local_day_of(zone, to) + days{2};
    const auto earliest_first = first - longest_chain;
    const auto latest_last = last + longest_chain;
    for (;;) {
        auto set = generate(zone, rules, ad_hoc, first, last);
        const auto lo_edge = local_midnight(zone, first);
        const auto hi_edge = local_midnight(zone, last);
        bool grown = false;
        for (const auto& w : set.merged) {
            if (!intersects(w, from, to)) continue;
            if (w.start <= lo_edge && first > earliest_first) {
                first = std::max(earliest_first, local_day_of(zone, w.start) - days{2});
                grown = true;
            }
            if (w.end >= hi_edge && last < latest_last) {
                last = std::min(latest_last, local_day_of(zone, w.end) + days{2});
                grown = true;
            }
        }
        // Open days between months break recurring chains and dated windows are bounded, so
        // growing stops long before the cap in any real configuration.
        if (!grown) return set;
    }
}

std::optional<sys_seconds> earliest_listed_start_at_or_after(const date::time_zone* zone, const freeze_rules& rules,
                                                             const std::vector<dated_window>& ad_hoc,
                                                             sys_seconds t) {
    std::optional<sys_seconds> best;
    auto consider = [&](sys_seconds s) {
        if (s >= t && (!best || s < *best)) best = s;
    };
    if (rules.bank_holidays_enabled) {
        for (const auto& h : rules.bank_holidays) consider(local_midnight(zone, date::local_days{h.day}));
    }
    for (const auto& w : rules.regulatory) consider(zone->to_sys(w.start, date::choose::earliest));
    for (const auto& w : ad_hoc) consider(zone->to_sys(w.start, date::choose::earliest));
    return best;
}

}  // namespace

freeze_status freeze_calendar::status_at(sys_seconds t) const {
    freeze_status status;
    const auto around = windows_around(zone_, rules_, ad_hoc_, t, t);
    for (const auto& w : around.merged) {
        if (w.start <= t && t < w.end) {
            status.frozen = true;
            status.until = w.end;
        }
    }
    if (status.frozen) {
        for (const auto& r : around.raw) {
            if (r.start <= t && t < r.end) status.rules.push_back(r.rule);
        }
        sort_unique(status.rules);
    }

    const auto after = status.until.value_or(t);
    const auto horizon = after + periodic_horizon;
    for (auto lo = after; lo < horizon && !status.next; lo += next_search_step) {
        const auto hi = std::min<sys_seconds>(lo + next_search_step, horizon);
        for (const auto& w : windows_around(zone_, rules_, ad_hoc_, lo, hi).merged) {
            if (intersects(w, lo, hi) && w.start > after) {
                status.next = w;
                break;
            }
        }
    }
    if (!status.next) {
        if (const auto s = earliest_listed_start_at_or_after(zone_, rules_, ad_hoc_, horizon)) {
            for (const auto& w : windows_around(zone_, rules_, ad_hoc_, *s, *s).merged) {
                if (intersects(w, *s, *s) && w.start > after) {
                    status.next = w;
                    break;
                }
            }
        }
    }
    return status;
}

std::vector<freeze_window> freeze_calendar::windows_between(sys_seconds from, sys_seconds to) const {
    if (to < from) {
        throw std::invalid_argument("windows_between: the end " + date::format("%FT%TZ", to) +
                                    " is before the start " + date::format("%FT%TZ", from));
    }
    std::vector<freeze_window> out;
    if (to == from) return out;
    for (auto& w : windows_around(zone_, rules_, ad_hoc_, from, to).merged) {
        if (w.start < to && w.end > from) out.push_back(std::move(w));
    }
    return out;
}

std::vector<freeze_window> freeze_calendar::rule_windows_between(sys_seconds from, sys_seconds to) const {
    if (to < from) {
        throw std::invalid_argument("rule_windows_between: the end " + date::format("%FT%TZ", to) +
                                    " is before the start " + date::format("%FT%TZ", from));
    }
    std::vector<freeze_window> out;
    if (to == from) return out;
    for (auto& r : windows_around(zone_, rules_, ad_hoc_, from, to).raw) {
        if (r.start < to && r.end > from) out.push_back(freeze_window{r.start, r.end, {std::move(r.rule)}});
    }
    return out;
}

}  // namespace promotebot::commands
