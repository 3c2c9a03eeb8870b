// Bank holiday sources: gov.uk's bank-holidays.json and iCalendar files
// (read with libical), and regulatory windows from iCalendar files. libical
// is called through the table libical_library.hpp loads at the first
// calendar read, so a configuration without .ics files never loads it.
#include "commands/freeze/holiday_sources.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/freeze/libical_library.hpp"

namespace promotebot::commands {
namespace {

using ical::libical;

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

void sort_by_day(std::vector<holiday>& days) {
    std::stable_sort(days.begin(), days.end(),
                     [](const holiday& a, const holiday& b) { return a.day < b.day; });
}

std::string quote(std::string_view s) { return "\"" + std::string{s} + "\""; }

// libical's C handles, freed on every path.
struct component_deleter {
    void operator()(icalcomponent* c) const { libical().icalcomponent_free(c); }
};
using component_ptr = std::unique_ptr<icalcomponent, component_deleter>;

struct iterator_deleter {
    void operator()(icalrecur_iterator* i) const { libical().icalrecur_iterator_free(i); }
};

// Steps of one recurrence rule before an error: bounds the work on a rule
// that starts long before the range or never yields an occurrence.
constexpr int max_rule_steps = 200000;

std::string trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string{s};
}

// Structural checks libical is lenient about (a truncated file parses).
bool starts_as_calendar(std::string_view text) {
    const auto t = trimmed(text);
    std::string up{t};
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return up.rfind("BEGIN:VCALENDAR", 0) == 0;
}

bool ends_as_calendar(std::string_view text) {
    std::string up = trimmed(text);
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const std::string_view tail = "END:VCALENDAR";
    return up.size() >= tail.size() && up.compare(up.size() - tail.size(), tail.size(), tail) == 0;
}

// A time as read: its value, and the TZID parameter of its property.
struct ical_time {
    icaltimetype value;
    std::string tzid;
};

ical_time time_of(icalproperty* p, icaltimetype value) {
    ical_time t{value, {}};
    if (icalparameter* tz = libical().icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER))
        if (const char* id = libical().icalparameter_get_tzid(tz)) t.tzid = id;
    return t;
}

struct event_reader {
    icalcomponent* calendar;
    const date::time_zone* floating_zone;
    const ics_limits& limits;
    icalcomponent* event = nullptr;
    int index = 0;
    std::string summary;
    std::string uid;

    [[noreturn]] void fail(const std::string& what) const {
        std::string s = "event " + std::to_string(index);
        if (!summary.empty()) s += " (" + quote(summary) + ")";
        if (!uid.empty()) s += " UID " + quote(uid);
        throw std::invalid_argument(s + ": " + what);
    }

    date::year_month_day day_of(const icaltimetype& t, const char* what) const {
        const date::year_month_day d{date::year{t.year}, date::month{static_cast<unsigned>(t.month)},
                                     date::day{static_cast<unsigned>(t.day)}};
        if (t.month < 1 || t.day < 1 || !d.ok())
            fail(std::string{what} + " " + quote(libical().icaltime_as_ical_string(t)) + " is not a valid date");
        return d;
    }

    // The wall clock of a timed value as local seconds (zone not applied).
    date::local_seconds wall_clock(const icaltimetype& t, const char* what) const {
        if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 60)
            fail(std::string{what} + " " + quote(libical().icaltime_as_ical_string(t)) + " is not a valid time");
        return date::local_days{day_of(t, what)} + std::chrono::hours{t.hour} + std::chrono::minutes{t.minute} +
               std::chrono::seconds{t.second};
    }

    // The instant of a timed value: UTC, a TZID (tz database first, then
    // the file's VTIMEZONE), or floating in the calendar's zone.
    sys_seconds instant(const ical_time& t, const char* what) const {
        const auto local = wall_clock(t.value, what);
        if (libical().icaltime_is_utc(t.value)) return sys_seconds{local.time_since_epoch()};
        if (!t.tzid.empty()) {
            const date::time_zone* zone = nullptr;
            try {
                zone = date::locate_zone(t.tzid);
            } catch (const std::exception&) {
            }
            if (zone) return zone->to_sys(local, date::choose::earliest);
            if (icaltimezone* own = libical().icalcomponent_get_timezone(calendar, t.tzid.c_str())) {
                icaltimetype floating = t.value;
                floating.zone = nullptr;
                return sys_seconds{std::chrono::seconds{libical().icaltime_as_timet_with_zone(floating, own)}};
            }
            fail(std::string{what} + " has TZID " + quote(t.tzid) +
                 ", which is neither a tz database zone nor a VTIMEZONE in the file");
        }
        if (!floating_zone)
            fail(std::string{what} + " " + quote(libical().icaltime_as_ical_string(t.value)) + " has no time zone");
        return floating_zone->to_sys(local, date::choose::earliest);
    }

    // Occurrences compare by day (whole-day events) or by instant.
    std::int64_t key_of(const ical_time& t, bool all_day, const char* what) const {
        if (all_day) {
            if (!t.value.is_date) fail(std::string{what} + " " + quote(libical().icaltime_as_ical_string(t.value)) +
                                       " is a date-time but the event lasts whole days");
            return date::sys_days{day_of(t.value, what)}.time_since_epoch().count();
        }
        if (t.value.is_date)
            fail(std::string{what} + " " + quote(libical().icaltime_as_ical_string(t.value)) +
                 " is a date but the event is timed");
        return instant(t, what).time_since_epoch().count();
    }
};

struct event_parts {
    std::optional<ical_time> dtstart;
    std::optional<ical_time> dtend;
    std::optional<icaldurationtype> duration;
    std::vector<icalrecurrencetype> rules;
    std::vector<ical_time> rdates;
    std::vector<ical_time> exdates;
    std::optional<ical_time> recurrence_id;
    bool cancelled = false;
};

event_parts read_parts(event_reader& r) {
    event_parts parts;
    for (icalproperty* p = libical().icalcomponent_get_first_property(r.event, ICAL_ANY_PROPERTY); p;
         p = libical().icalcomponent_get_next_property(r.event, ICAL_ANY_PROPERTY)) {
        switch (libical().icalproperty_isa(p)) {
        case ICAL_XLICERROR_PROPERTY:
            r.fail(std::string{"cannot be read: "} + libical().icalproperty_get_xlicerror(p));
        case ICAL_DTSTART_PROPERTY:
            if (parts.dtstart) r.fail("has more than one DTSTART");
            parts.dtstart = time_of(p, libical().icalproperty_get_dtstart(p));
            break;
        case ICAL_DTEND_PROPERTY:
            if (parts.dtend) r.fail("has more than one DTEND");
            parts.dtend = time_of(p, libical().icalproperty_get_dtend(p));
            break;
        case ICAL_DURATION_PROPERTY:
            parts.duration = libical().icalproperty_get_duration(p);
            break;
        case ICAL_RRULE_PROPERTY:
            parts.rules.push_back(libical().icalproperty_get_rrule(p));
            break;
        case ICAL_EXRULE_PROPERTY:
            r.fail("has an EXRULE, which is not supported (use EXDATE)");
        case ICAL_RDATE_PROPERTY: {
            const auto rdate = libical().icalproperty_get_rdate(p);
            if (!libical().icalperiodtype_is_null_period(rdate.period))
                r.fail("has an RDATE period, which is not supported (use dates or date-times)");
            parts.rdates.push_back(time_of(p, rdate.time));
            break;
        }
        case ICAL_EXDATE_PROPERTY:
            parts.exdates.push_back(time_of(p, libical().icalproperty_get_exdate(p)));
            break;
        case ICAL_RECURRENCEID_PROPERTY: {
            if (libical().icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER))
                r.fail("has RECURRENCE-ID with RANGE, which is not supported");
            parts.recurrence_id = time_of(p, libical().icalproperty_get_recurrenceid(p));
            break;
        }
        case ICAL_STATUS_PROPERTY:
            parts.cancelled = libical().icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
            break;
        default:
            break;
        }
    }
    if (!parts.dtstart) r.fail("has no DTSTART");
    if (parts.dtend && parts.duration) r.fail("has both DTEND and DURATION");
    return parts;
}

// The length of each occurrence: whole days, or seconds.
std::int64_t length_of(const event_reader& r, const event_parts& parts, bool all_day) {
    const std::int64_t unit = all_day ? 86400 : 1;
    std::int64_t length = all_day ? 1 : 0;
    if (parts.dtend) {
        const auto start = r.key_of(*parts.dtstart, all_day, "DTSTART");
        const auto end = r.key_of(*parts.dtend, all_day, "DTEND");
        if (end <= start)
            r.fail("DTEND " + quote(libical().icaltime_as_ical_string(parts.dtend->value)) +
                   " is not after DTSTART " + quote(libical().icaltime_as_ical_string(parts.dtstart->value)) +
                   " (DTEND is exclusive)");
        length = end - start;  // days or seconds, as the keys
    } else if (parts.duration) {
        const int seconds = libical().icaldurationtype_as_int(*parts.duration);
        if (seconds <= 0 || seconds % unit != 0)
            r.fail("DURATION " + quote(libical().icaldurationtype_as_ical_string(*parts.duration)) +
                   (all_day ? " is not a positive number of whole days" : " is not positive"));
        length = seconds / unit;
    } else if (!all_day) {
        r.fail("is a timed event without DTEND or DURATION");
    }
    if (length * unit > std::int64_t{r.limits.max_event_days} * 86400)
        r.fail("lasts more than " + std::to_string(r.limits.max_event_days) + " days");
    return length;
}

// Start keys (days since epoch, or seconds) of every occurrence in range.
std::set<std::int64_t> occurrence_keys(const event_reader& r, const event_parts& parts, bool all_day) {
    const auto range_start = all_day ? date::sys_days{r.limits.first_year / 1 / 1}.time_since_epoch().count()
                                     : sys_seconds{date::sys_days{r.limits.first_year / 1 / 1}}.time_since_epoch().count();
    const auto range_end = all_day ? date::sys_days{r.limits.end_year / 1 / 1}.time_since_epoch().count()
                                   : sys_seconds{date::sys_days{r.limits.end_year / 1 / 1}}.time_since_epoch().count();
    std::set<std::int64_t> keys;
    const auto add = [&](std::int64_t key) {
        if (key < range_start || key >= range_end) return;
        keys.insert(key);
        if (keys.size() > r.limits.max_occurrences)
            r.fail("has more than " + std::to_string(r.limits.max_occurrences) + " occurrences between " +
                   std::to_string(int{r.limits.first_year}) + " and " + std::to_string(int{r.limits.end_year}));
    };
    add(r.key_of(*parts.dtstart, all_day, "DTSTART"));
    for (const auto& rule : parts.rules) {
        icaltimetype first = parts.dtstart->value;
        const std::unique_ptr<icalrecur_iterator, iterator_deleter> it{libical().icalrecur_iterator_new(rule, first)};
        icalrecurrencetype copy = rule;
        if (!it)
            r.fail(std::string{"has an RRULE that cannot be expanded: "} +
                   libical().icalrecurrencetype_as_string(&copy));
        int steps = 0;
        for (icaltimetype t = libical().icalrecur_iterator_next(it.get()); !libical().icaltime_is_null_time(t);
             t = libical().icalrecur_iterator_next(it.get())) {
            if (++steps > max_rule_steps)
                r.fail("has an RRULE that needs more than " + std::to_string(max_rule_steps) + " steps to expand");
            const auto key = r.key_of(ical_time{t, parts.dtstart->tzid}, all_day, "an occurrence");
            if (key >= range_end) break;
            add(key);
        }
    }
    for (const auto& d : parts.rdates) add(r.key_of(d, all_day, "RDATE"));
    for (const auto& d : parts.exdates) keys.erase(r.key_of(d, all_day, "EXDATE"));
    return keys;
}

std::string text_property(icalcomponent* c, icalproperty_kind kind) {
    icalproperty* p = libical().icalcomponent_get_first_property(c, kind);
    if (!p) return {};
    const char* v =
        kind == ICAL_SUMMARY_PROPERTY ? libical().icalproperty_get_summary(p) : libical().icalproperty_get_uid(p);
    return v ? std::string{v} : std::string{};
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

std::vector<ics_occurrence> read_ics_calendar(std::string_view ics_text, const date::time_zone* floating_zone,
                                              const ics_limits& limits) {
    if (!starts_as_calendar(ics_text))
        throw std::invalid_argument("not an iCalendar file: the first line must be BEGIN:VCALENDAR");
    if (!ends_as_calendar(ics_text))
        throw std::invalid_argument("iCalendar file has no END:VCALENDAR (truncated?)");
    const std::string text{ics_text};  // libical wants a terminated string
    const component_ptr root{libical().icalparser_parse_string(text.c_str())};
    if (!root || libical().icalcomponent_isa(root.get()) != ICAL_VCALENDAR_COMPONENT)
        throw std::invalid_argument("not an iCalendar file: it holds no VCALENDAR");
    icalcomponent* calendar = root.get();
    for (icalproperty* p = libical().icalcomponent_get_first_property(calendar, ICAL_XLICERROR_PROPERTY); p;
         p = libical().icalcomponent_get_next_property(calendar, ICAL_XLICERROR_PROPERTY))
        throw std::invalid_argument(std::string{"iCalendar file cannot be read: "} +
                                    libical().icalproperty_get_xlicerror(p));

    std::vector<icalcomponent*> events;
    for (icalcomponent* e = libical().icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT); e;
         e = libical().icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT))
        events.push_back(e);

    // Moved or cancelled occurrences (RECURRENCE-ID) replace their original
    // in the event with the same UID.
    struct parsed {
        event_reader reader;
        event_parts parts;
    };
    std::vector<parsed> all;
    std::map<std::string, std::vector<const parsed*>> overrides_by_uid;
    all.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        event_reader r{calendar, floating_zone, limits, events[i], static_cast<int>(i) + 1,
                       text_property(events[i], ICAL_SUMMARY_PROPERTY), text_property(events[i], ICAL_UID_PROPERTY)};
        auto parts = read_parts(r);
        all.push_back(parsed{std::move(r), std::move(parts)});
    }
    for (const auto& e : all) {
        if (!e.parts.recurrence_id) continue;
        if (e.reader.uid.empty()) e.reader.fail("has RECURRENCE-ID but no UID");
        if (!e.parts.rules.empty()) e.reader.fail("has both RECURRENCE-ID and RRULE");
        overrides_by_uid[e.reader.uid].push_back(&e);
    }

    std::vector<ics_occurrence> out;
    for (const auto& e : all) {
        const auto& r = e.reader;
        const bool all_day = e.parts.dtstart->value.is_date != 0;
        if (limits.whole_days_only && !all_day)
            r.fail("DTSTART " + quote(libical().icaltime_as_ical_string(e.parts.dtstart->value)) +
                   " is a date-time; only whole-day events (YYYYMMDD) are supported");
        const auto length = length_of(r, e.parts, all_day);
        auto keys = occurrence_keys(r, e.parts, all_day);
        if (e.parts.recurrence_id) {
            // The override itself: one occurrence at its own DTSTART.
            keys = {r.key_of(*e.parts.dtstart, all_day, "DTSTART")};
        } else if (const auto o = overrides_by_uid.find(r.uid); !r.uid.empty() && o != overrides_by_uid.end()) {
            for (const parsed* moved : o->second)
                keys.erase(r.key_of(*moved->parts.recurrence_id, all_day, "RECURRENCE-ID"));
        }
        if (e.parts.cancelled) continue;
        const std::string name = r.summary.empty() ? "unnamed event" : r.summary;
        for (const auto key : keys) {
            ics_occurrence occurrence;
            occurrence.name = name;
            occurrence.all_day = all_day;
            if (all_day) {
                occurrence.first_day = date::local_days{date::days{key}};
                occurrence.end_day = occurrence.first_day + date::days{length};
            } else {
                occurrence.start = sys_seconds{std::chrono::seconds{key}};
                occurrence.end = occurrence.start + std::chrono::seconds{length};
            }
            out.push_back(std::move(occurrence));
        }
        if (out.size() > limits.max_occurrences)
            throw std::invalid_argument("iCalendar file has more than " + std::to_string(limits.max_occurrences) +
                                        " occurrences between " + std::to_string(int{limits.first_year}) + " and " +
                                        std::to_string(int{limits.end_year}));
    }
    return out;
}

std::vector<dated_window> ics_dated_windows(std::string_view ics_text, const date::time_zone* zone) {
    std::vector<dated_window> out;
    for (const auto& o : read_ics_calendar(ics_text, zone)) {
        if (o.all_day)
            out.push_back(dated_window{o.name, date::local_seconds{o.first_day}, date::local_seconds{o.end_day}, std::nullopt});
        else
            out.push_back(dated_window{o.name, zone->to_local(o.start), zone->to_local(o.end), std::nullopt});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    return out;
}

std::vector<holiday> parse_ics_holidays(std::string_view ics_text) {
    ics_limits limits;
    limits.max_event_days = max_event_days;
    limits.whole_days_only = true;
    std::vector<holiday> out;
    for (const auto& o : read_ics_calendar(ics_text, nullptr, limits)) {
        for (auto d = o.first_day; d < o.end_day; d += date::days{1})
            out.push_back(holiday{date::year_month_day{d}, o.name});
    }
    sort_by_day(out);
    return out;
}

}  // namespace promotebot::commands
