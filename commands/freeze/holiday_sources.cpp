// Bank holiday sources: gov.uk's bank-holidays.json and iCalendar files.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/freeze/freeze_calendar.hpp"

namespace promotebot::commands {
namespace {

// Longest multi-day event accepted; a longer one is a broken file, not a holiday.
constexpr int max_event_days = 31;

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

int to_int(std::string_view digits) {
    int value = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return value;
}

std::optional<date::year_month_day> make_day(std::string_view y, std::string_view m, std::string_view d) {
    if (!all_digits(y) || !all_digits(m) || !all_digits(d)) return std::nullopt;
    const date::year_month_day day{date::year{to_int(y)}, date::month{static_cast<unsigned>(to_int(m))},
                                   date::day{static_cast<unsigned>(to_int(d))}};
    if (!day.ok()) return std::nullopt;
    return day;
}

// "2026-12-25"
std::optional<date::year_month_day> parse_iso_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    return make_day(s.substr(0, 4), s.substr(5, 2), s.substr(8, 2));
}

// "20261225"
std::optional<date::year_month_day> parse_basic_date(std::string_view s) {
    if (s.size() != 8) return std::nullopt;
    return make_day(s.substr(0, 4), s.substr(4, 2), s.substr(6, 2));
}

void sort_by_day(std::vector<holiday>& days) {
    std::stable_sort(days.begin(), days.end(),
                     [](const holiday& a, const holiday& b) { return a.day < b.day; });
}

std::string quote(std::string_view s) { return "\"" + std::string{s} + "\""; }

std::string upper(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// RFC 5545 TEXT values escape backslash, comma, semicolon and newline.
std::string unescape_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        const char next = s[++i];
        switch (next) {
            case 'n':
            case 'N': out += '\n'; break;
            case ',':
            case ';':
            case '\\': out += next; break;
            default:
                out += '\\';
                out += next;
        }
    }
    return out;
}

struct content_line {
    int number = 0;  // line in the file where the (unfolded) line starts
    std::string name;    // upper-cased, e.g. "DTSTART"
    std::string params;  // upper-cased, after the first ';', e.g. "VALUE=DATE"
    std::string value;
};

// Splits text into logical lines: CRLF or LF, folded continuation lines joined.
std::vector<std::pair<int, std::string>> unfold(std::string_view text) {
    std::vector<std::pair<int, std::string>> lines;
    int number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view raw = text.substr(pos, end - pos);
        pos = end + 1;
        ++number;
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t') && !lines.empty()) {
            lines.back().second.append(raw.substr(1));
            continue;
        }
        if (raw.empty()) continue;
        lines.emplace_back(number, std::string{raw});
    }
    return lines;
}

content_line split_content_line(int number, const std::string& line) {
    // The value starts after the first colon outside a quoted parameter value.
    bool in_quotes = false;
    std::size_t colon = std::string::npos;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '"') in_quotes = !in_quotes;
        if (line[i] == ':' && !in_quotes) {
            colon = i;
            break;
        }
    }
    if (colon == std::string::npos)
        throw std::invalid_argument("iCalendar line " + std::to_string(number) + " has no ':' separating name and value: " +
                                    quote(line.substr(0, 60)));
    const std::string head = line.substr(0, colon);
    const std::size_t semi = head.find(';');
    content_line out;
    out.number = number;
    out.name = upper(head.substr(0, semi));
    out.params = semi == std::string::npos ? std::string{} : upper(head.substr(semi + 1));
    out.value = line.substr(colon + 1);
    return out;
}

struct pending_event {
    int begin_line = 0;
    int index = 0;  // 1-based among the file's events
    std::optional<content_line> dtstart;
    std::optional<content_line> dtend;
    std::string summary;
};

std::string describe(const pending_event& e) {
    std::string s = "event " + std::to_string(e.index);
    if (!e.summary.empty()) s += " (" + quote(e.summary) + ")";
    s += " at line " + std::to_string(e.begin_line);
    return s;
}

date::year_month_day event_date(const pending_event& e, const content_line& prop) {
    const bool date_only_param = prop.params.find("VALUE=DATE") != std::string::npos &&
                                 prop.params.find("VALUE=DATE-TIME") == std::string::npos;
    if (!date_only_param && prop.value.find('T') != std::string::npos)
        throw std::invalid_argument(describe(e) + ": " + prop.name + " " + quote(prop.value) +
                                    " is a date-time; only whole-day events (YYYYMMDD) are supported");
    const auto day = parse_basic_date(prop.value);
    if (!day)
        throw std::invalid_argument(describe(e) + ": " + prop.name + " " + quote(prop.value) +
                                    " is not a valid YYYYMMDD date");
    return *day;
}

void expand_event(const pending_event& e, std::vector<holiday>& out) {
    if (!e.dtstart) throw std::invalid_argument(describe(e) + " has no DTSTART");
    const date::sys_days first{event_date(e, *e.dtstart)};
    date::sys_days end = first + date::days{1};
    if (e.dtend) {
        end = date::sys_days{event_date(e, *e.dtend)};
        if (end <= first)
            throw std::invalid_argument(describe(e) + ": DTEND " + quote(e.dtend->value) +
                                        " is not after DTSTART " + quote(e.dtstart->value) +
                                        " (DTEND is exclusive)");
        if ((end - first).count() > max_event_days)
            throw std::invalid_argument(describe(e) + " lasts " + std::to_string((end - first).count()) +
                                        " days; at most " + std::to_string(max_event_days) + " are accepted");
    }
    const std::string name = e.summary.empty() ? "unnamed holiday" : e.summary;
    for (auto d = first; d < end; d += date::days{1}) out.push_back(holiday{date::year_month_day{d}, name});
}

}  // namespace

std::vector<holiday> parse_govuk_bank_holidays(std::string_view json_text, std::string_view division) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::invalid_argument(std::string{"bank holidays file is not valid JSON: "} + e.what());
    }
    if (!doc.is_object())
        throw std::invalid_argument("bank holidays file must be a JSON object keyed by division");
    const auto it = doc.find(std::string{division});
    if (it == doc.end()) {
        std::string known;
        for (const auto& [key, value] : doc.items()) known += (known.empty() ? "" : ", ") + key;
        throw std::invalid_argument("bank holidays file has no division " + quote(division) +
                                    (known.empty() ? std::string{"; it has no divisions"}
                                                   : "; divisions in the file: " + known));
    }
    const std::string where = "division " + quote(division);
    if (!it->is_object() || !it->contains("events") || !(*it)["events"].is_array())
        throw std::invalid_argument(where + " has no \"events\" list");

    std::vector<holiday> out;
    int index = 0;
    for (const auto& event : (*it)["events"]) {
        ++index;
        const std::string which = where + ", event " + std::to_string(index);
        if (!event.is_object()) throw std::invalid_argument(which + " is not an object");
        const auto title = event.find("title");
        if (title == event.end() || !title->is_string() || title->get<std::string>().empty())
            throw std::invalid_argument(which + " has no \"title\" text");
        const auto name = title->get<std::string>();
        const auto date_field = event.find("date");
        if (date_field == event.end() || !date_field->is_string())
            throw std::invalid_argument(which + " (" + quote(name) + ") has no \"date\" text");
        const auto text = date_field->get<std::string>();
        const auto day = parse_iso_date(text);
        if (!day)
            throw std::invalid_argument(which + " (" + quote(name) + "): date " + quote(text) +
                                        " is not a valid YYYY-MM-DD date");
        out.push_back(holiday{*day, name});
    }
    sort_by_day(out);
    return out;
}

std::vector<holiday> parse_ics_holidays(std::string_view ics_text) {
    const auto lines = unfold(ics_text);
    if (lines.empty() || upper(lines.front().second) != "BEGIN:VCALENDAR")
        throw std::invalid_argument("not an iCalendar file: the first line must be BEGIN:VCALENDAR");

    std::vector<holiday> out;
    std::optional<pending_event> event;
    int events = 0;
    bool calendar_ended = false;
    for (const auto& [number, text] : lines) {
        const auto line = split_content_line(number, text);
        const std::string value = upper(line.value);
        if (line.name == "BEGIN" && value == "VEVENT") {
            if (event)
                throw std::invalid_argument("iCalendar line " + std::to_string(number) + ": BEGIN:VEVENT inside " +
                                            describe(*event) + ", which has no END:VEVENT");
            event = pending_event{number, ++events, {}, {}, {}};
        } else if (line.name == "END" && value == "VEVENT") {
            if (!event)
                throw std::invalid_argument("iCalendar line " + std::to_string(number) +
                                            ": END:VEVENT without BEGIN:VEVENT");
            expand_event(*event, out);
            event.reset();
        } else if (line.name == "END" && value == "VCALENDAR") {
            calendar_ended = true;
        } else if (event) {
            if (line.name == "DTSTART") event->dtstart = line;
            else if (line.name == "DTEND") event->dtend = line;
            else if (line.name == "SUMMARY") event->summary = unescape_text(line.value);
        }
    }
    if (event) throw std::invalid_argument(describe(*event) + " has no END:VEVENT");
    if (!calendar_ended) throw std::invalid_argument("iCalendar file has no END:VCALENDAR (truncated?)");
    sort_by_day(out);
    return out;
}

}  // namespace promotebot::commands
