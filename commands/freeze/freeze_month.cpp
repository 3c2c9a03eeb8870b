#include "commands/freeze/freeze_month.hpp"

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <sstream>
#include <utility>

#include "commands/freeze/freeze_view.hpp"
#include "commands/message/text.hpp"

namespace promotebot::commands {

namespace {

using std::chrono::days;

// Rules beyond this many in one month (a flood of ad-hoc windows) are counted, not listed.
constexpr std::size_t max_legend_entries = 20;

constexpr const char* weekday_header = " Mo   Tu   We   Th   Fr   Sa   Su";
constexpr const char* marks_key = "* frozen all day   ~ frozen part of the day   > today";

sys_seconds local_midnight(const date::time_zone* zone, date::local_days d) {
    // As the calendar does: a midnight in a DST gap is the first instant after it.
    return zone->to_sys(date::local_seconds{d}, date::choose::earliest);
}

std::string two_digit(unsigned n) {
    std::ostringstream out;
    out << std::setfill('0') << std::setw(2) << n;
    return out.str();
}

std::string year_month_text(date::year_month ym) {
    return std::to_string(static_cast<int>(ym.year())) + "-" + two_digit(static_cast<unsigned>(ym.month()));
}

// "25 Dec", with the year when asked.
std::string day_text(date::year_month_day d, bool with_year) {
    std::string out = std::to_string(static_cast<unsigned>(d.day())) + " " + date::format("%b", d.month());
    if (with_year) out += " " + std::to_string(static_cast<int>(d.year()));
    return out;
}

// The local days or times a window covers: "25 Dec", "25–30 Nov", "28 Nov – 2 Dec",
// "20 Dec 2026 – 5 Jan 2027", "1 Dec 18:00 – 3 Dec 09:00".
std::string span_text(const freeze_window& w, const date::time_zone* zone) {
    const auto start = zone->to_local(w.start);
    const auto end = zone->to_local(w.end);
    const auto start_day = date::floor<days>(start);
    const auto end_day = date::floor<days>(end);
    const bool whole_days = start == date::local_seconds{start_day} && end == date::local_seconds{end_day};
    if (whole_days) {
        const date::year_month_day first{start_day};
        const date::year_month_day last{end_day - days{1}};
        if (first == last) return day_text(first, false);
        const bool years_differ = first.year() != last.year();
        if (!years_differ && first.month() == last.month())
            return std::to_string(static_cast<unsigned>(first.day())) + "–" + day_text(last, false);
        return day_text(first, years_differ) + " – " + day_text(last, years_differ);
    }
    const date::year_month_day first{start_day};
    const date::year_month_day last{end_day};
    const bool years_differ = first.year() != last.year();
    return day_text(first, years_differ) + " " + date::format("%H:%M", start) + " – " + day_text(last, years_differ) +
           " " + date::format("%H:%M", end);
}

// The legend's line for a rule, and what tells its windows apart: bank
// holidays and filings share a line, each with its name.
std::pair<std::string, std::string> legend_line_of(const std::string& rule) {
    static const std::pair<std::string_view, std::string_view> grouped[] = {
        {"bank holiday: ", "bank holidays"},
        {"regulatory filing: ", "regulatory filings"},
    };
    for (const auto& [prefix, line] : grouped)
        if (rule.rfind(prefix, 0) == 0) return {std::string(line), rule.substr(prefix.size())};
    return {rule, {}};
}

}  // namespace

date::year_month month_of(sys_seconds t, const date::time_zone* zone) {
    const date::year_month_day d{date::floor<days>(zone->to_local(t))};
    return d.year() / d.month();
}

std::optional<std::string> calendar_month_problem(date::year_month month, date::year_month current) {
    const auto away = (month - current).count();
    if (std::abs(away) <= max_calendar_months_away) return std::nullopt;
    return year_month_text(month) + " is more than " + std::to_string(max_calendar_months_away) +
           " months away: the calendar shows " + year_month_text(current - date::months{max_calendar_months_away}) +
           " to " + year_month_text(current + date::months{max_calendar_months_away});
}

std::string month_title(date::year_month month) {
    return date::format("%B", month.month()) + " " + std::to_string(static_cast<int>(month.year()));
}

freeze_month compute_freeze_month(const freeze_calendar& calendar, date::year_month month, sys_seconds now) {
    const auto* zone = calendar.zone();
    freeze_month out;
    out.month = month;
    const date::local_days first{month / 1};
    const date::local_days after{(month + date::months{1}) / 1};
    const auto from = local_midnight(zone, first);
    const auto to = local_midnight(zone, after);

    // Merged windows never overlap or touch, so a day frozen throughout lies inside one of them.
    const auto windows = calendar.windows_between(from, to);
    for (auto d = first; d < after; d += days{1}) {
        const auto day_start = local_midnight(zone, d);
        const auto day_end = local_midnight(zone, d + days{1});
        auto state = day_freeze::open;
        for (const auto& w : windows) {
            if (w.start <= day_start && w.end >= day_end) {
                state = day_freeze::all_day;
                break;
            }
            if (w.start < day_end && w.end > day_start) state = day_freeze::part_of_day;
        }
        out.days.push_back(state);
    }

    const date::year_month_day today{date::floor<days>(zone->to_local(now))};
    if (today.year() / today.month() == month) out.today = today.day();

    std::vector<std::string> order;
    std::vector<std::vector<std::string>> spans;
    for (const auto& w : calendar.rule_windows_between(from, to)) {
        const auto [line, detail] = legend_line_of(w.rules.front());
        std::string span = span_text(w, zone);
        if (!detail.empty()) span += " (" + detail + ")";
        auto at = std::find(order.begin(), order.end(), line);
        if (at == order.end()) {
            order.push_back(line);
            spans.emplace_back();
            at = order.end() - 1;
        }
        auto& mine = spans[static_cast<std::size_t>(at - order.begin())];
        if (std::find(mine.begin(), mine.end(), span) == mine.end()) mine.push_back(std::move(span));
    }
    for (std::size_t i = 0; i < order.size(); ++i) out.legend.push_back({order[i], join(spans[i], ", ")});

    // Frozen at the month's last second or not, `next` is the first window after that second's stretch.
    out.next_after = calendar.status_at(to - std::chrono::seconds{1}).next;
    return out;
}

std::string month_grid(const freeze_month& m) {
    std::string out = weekday_header;
    out += '\n';
    const date::weekday first_weekday{date::local_days{m.month / 1}};
    const unsigned lead = first_weekday.iso_encoding() - 1;  // Monday is 1
    std::string line(lead * 5, ' ');
    auto flush = [&] {
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line;
        out += '\n';
        line.clear();
    };
    for (unsigned i = 0; i < m.days.size(); ++i) {
        const unsigned day = i + 1;
        const bool is_today = m.today && static_cast<unsigned>(*m.today) == day;
        line += is_today ? '>' : ' ';
        line += day < 10 ? " " + std::to_string(day) : std::to_string(day);
        switch (m.days[i]) {
        case day_freeze::all_day: line += '*'; break;
        case day_freeze::part_of_day: line += '~'; break;
        case day_freeze::open: line += ' '; break;
        }
        line += ' ';
        if ((lead + i + 1) % 7 == 0) flush();
    }
    if (!line.empty()) flush();
    out += marks_key;
    return out;
}

message freeze_calendar_message(const freeze_month& m, const date::time_zone* zone) {
    message msg;
    msg.header = ":calendar: Freeze calendar: " + month_title(m.month);
    const auto all_day = std::count(m.days.begin(), m.days.end(), day_freeze::all_day);
    const auto part = std::count(m.days.begin(), m.days.end(), day_freeze::part_of_day);
    if (all_day == 0 && part == 0) {
        msg.text = "No day of " + month_title(m.month) + " is frozen.";
    } else {
        std::string text = std::to_string(all_day) + " of " + std::to_string(m.days.size()) + " days frozen all day";
        if (part > 0) text += ", " + std::to_string(part) + " frozen part of the day";
        msg.text = text + ".";
    }
    msg.preformatted = month_grid(m);
    const auto listed = std::min(m.legend.size(), max_legend_entries);
    for (std::size_t i = 0; i < listed; ++i) msg.fields.push_back({m.legend[i].rule, m.legend[i].days});
    if (m.legend.size() > listed)
        msg.context.push_back(std::to_string(m.legend.size() - listed) +
                              " more rules freeze days of this month: `/freeze list` shows every window.");
    if (m.next_after) {
        msg.context.push_back("Next freeze after " + month_title(m.month) + ": " +
                              format_local(m.next_after->start, zone) + " → " + format_local(m.next_after->end, zone) +
                              " (" + join(m.next_after->rules, "; ") + ")");
    } else {
        msg.context.push_back("No freeze within a year after " + month_title(m.month) + ".");
    }
    msg.context.push_back("Days in " + zone->name() + ". `/freeze list` gives the hours of each window.");
    return msg;
}

}  // namespace promotebot::commands
