#include "commands/promotion/external_gates.hpp"

#include <algorithm>
#include <cstdio>

namespace promotebot::commands {

namespace {

constexpr std::size_t max_listed_change_records = 8;
constexpr std::size_t max_listed_incidents = 5;
constexpr std::size_t max_listed_problems = 3;
constexpr std::size_t max_text_in_evidence = 80;

// At most `max` bytes of `s`, cut on a UTF-8 code point boundary, with an
// ellipsis when cut; control characters become spaces (one line of evidence).
std::string clip(std::string_view s, std::size_t max = max_text_in_evidence) {
    std::string out;
    if (s.size() > max) {
        std::size_t cut = max;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        out.assign(s.substr(0, cut));
        out += "…";
    } else {
        out.assign(s);
    }
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    }
    return out;
}

std::string date_of(sys_seconds t) {
    const std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t)};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

std::string time_of(sys_seconds t) {
    const std::chrono::hh_mm_ss hms{t - std::chrono::floor<std::chrono::days>(t)};
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()));
    return buf;
}

std::string utc(sys_seconds t) { return date_of(t) + " " + time_of(t) + " UTC"; }

// "window 2026-11-28 10:00–14:00 UTC", or across midnight
// "window 2026-11-28 22:00–2026-11-29 02:00 UTC".
std::string window_text(const change_request& cr) {
    if (!cr.start && !cr.end) return "no planned window";
    const std::string from = cr.start ? date_of(*cr.start) + " " + time_of(*cr.start) : "?";
    std::string to = "?";
    if (cr.end) {
        to = cr.start && date_of(*cr.start) == date_of(*cr.end) ? time_of(*cr.end)
                                                                 : date_of(*cr.end) + " " + time_of(*cr.end);
    }
    return "window " + from + "–" + to + " UTC";
}

bool is_emergency_type(const change_request& cr) { return cr.type == "emergency"; }

// Why a CR does not let the promotion through; empty when it does.
std::vector<std::string> change_record_problems(const change_request& cr, sys_seconds now, bool emergency) {
    std::vector<std::string> problems;
    if (cr.approval != "approved") problems.emplace_back("not approved");

    if (emergency && is_emergency_type(cr)) {
        // ServiceNow's emergency change model goes New -> Authorize (the
        // emergency CAB approves, which sets approval to approved) ->
        // Scheduled -> Implement. Its planned dates are filled in at creation
        // and often guessed or back-dated; ServiceNow itself does not hold an
        // emergency change to them. So an emergency request is let through by
        // an approved emergency CR that is in Implement, its window only shown.
        if (cr.state != change_states::implement) problems.emplace_back("an emergency CR must be in Implement");
        return problems;
    }

    if (cr.state != change_states::scheduled && cr.state != change_states::implement) {
        problems.emplace_back("needs state Scheduled or Implement");
    }
    if (!cr.start || !cr.end) {
        problems.emplace_back("no complete planned window");
    } else if (now < *cr.start) {
        problems.emplace_back("window opens " + utc(*cr.start));
    } else if (now > *cr.end) {
        problems.emplace_back("window closed " + utc(*cr.end));
    }
    return problems;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

std::string change_state_name(std::string_view code) {
    using namespace change_states;
    if (code == new_) return "New";
    if (code == assess) return "Assess";
    if (code == authorize) return "Authorize";
    if (code == scheduled) return "Scheduled";
    if (code == implement) return "Implement";
    if (code == review) return "Review";
    if (code == closed) return "Closed";
    if (code == canceled) return "Canceled";
    return "state " + clip(code, 16);
}

gate_result change_record_verdict(const std::vector<std::string>& requested_numbers,
                                  const std::vector<change_request>& found, sys_seconds now, bool emergency) {
    const std::string id(gate_ids::change_record);
    const std::string title(gate_titles::change_record);
    if (requested_numbers.empty()) return gate_answer(id, title, gate_state::fail, "no Change Record given");

    struct entry {
        std::string text;
        std::string link;
        bool failing = false;
    };
    std::vector<entry> entries;
    std::vector<std::string> seen;
    for (const auto& number : requested_numbers) {
        if (std::find(seen.begin(), seen.end(), number) != seen.end()) continue;
        seen.push_back(number);
        const auto cr = std::find_if(found.begin(), found.end(),
                                     [&](const change_request& c) { return c.number == number; });
        if (cr == found.end()) {
            entries.push_back({clip(number, 32) + ": not found in ServiceNow", {}, true});
            continue;
        }
        const auto problems = change_record_problems(*cr, now, emergency);
        std::string text = clip(cr->number, 32) + ": " + clip(cr->approval, 32) + ", " + change_state_name(cr->state) +
                           ", " + window_text(*cr);
        if (emergency && is_emergency_type(*cr)) text += ", emergency";
        if (!problems.empty()) text += " — " + join(problems, ", ");
        entries.push_back({std::move(text), cr->link, !problems.empty()});
    }

    const bool pass = std::none_of(entries.begin(), entries.end(), [](const entry& e) { return e.failing; });
    // What blocks comes first, so that a bounded list never hides it.
    std::stable_partition(entries.begin(), entries.end(), [](const entry& e) { return e.failing; });
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < entries.size() && i < max_listed_change_records; ++i) texts.push_back(entries[i].text);
    std::string evidence = join(texts, "; ");
    if (entries.size() > max_listed_change_records) {
        evidence += "; and " + std::to_string(entries.size() - max_listed_change_records) + " more";
    }
    return gate_answer(id, title, pass ? gate_state::pass : gate_state::fail, std::move(evidence),
                       entries.front().link);
}

gate_result incident_verdict(const std::vector<incident>& open_incidents) {
    std::vector<const incident*> blocking;
    for (const auto& i : open_incidents) {
        if (i.priority == "1" || i.priority == "2") blocking.push_back(&i);
    }
    const std::string id(gate_ids::incidents);
    const std::string title(gate_titles::incidents);
    if (blocking.empty()) return gate_answer(id, title, gate_state::pass, "0 open P1/P2 incidents");

    std::vector<std::string> named;
    for (std::size_t i = 0; i < blocking.size() && i < max_listed_incidents; ++i) {
        const incident& inc = *blocking[i];
        std::string text = clip(inc.number, 32) + " (P" + inc.priority;
        if (!inc.short_description.empty()) text += ", " + clip(inc.short_description, 60);
        named.push_back(text + ")");
    }
    std::string evidence = plural(blocking.size(), "open P1/P2 incident", "open P1/P2 incidents") + ": " +
                           join(named, ", ");
    if (blocking.size() > max_listed_incidents) {
        evidence += " and " + std::to_string(blocking.size() - max_listed_incidents) + " more";
    }
    return gate_answer(id, title, gate_state::fail, std::move(evidence), blocking.front()->link);
}

gate_result performance_verdict(const std::vector<dynatrace_problem>& open, std::string link,
                                std::size_t total_open) {
    const std::string id(gate_ids::performance);
    const std::string title(gate_titles::performance);
    const std::size_t count = std::max(open.size(), total_open);
    if (count == 0) return gate_answer(id, title, gate_state::pass, "0 open problems", std::move(link));

    std::vector<std::string> named;
    for (std::size_t i = 0; i < open.size() && i < max_listed_problems; ++i) {
        const auto& p = open[i];
        std::string text = p.display_id.empty() ? std::string{} : clip(p.display_id, 32) + " ";
        named.push_back(text + clip(p.title));
    }
    std::string evidence = plural(count, "open problem", "open problems");
    if (!named.empty()) {
        evidence += ": " + join(named, "; ");
        if (count > named.size()) evidence += "; and " + std::to_string(count - named.size()) + " more";
    }
    return gate_answer(id, title, gate_state::fail, std::move(evidence), std::move(link));
}

}  // namespace promotebot::commands
