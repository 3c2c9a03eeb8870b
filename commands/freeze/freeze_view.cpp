#include "commands/freeze/freeze_view.hpp"

#include <sstream>

#include "commands/message/text.hpp"

namespace promotebot::commands {

namespace {

std::string duration_text(std::chrono::seconds d) {
    using namespace std::chrono;
    const auto total_minutes = duration_cast<minutes>(d).count();
    const auto days = total_minutes / (24 * 60);
    const auto hours = (total_minutes / 60) % 24;
    const auto mins = total_minutes % 60;
    std::string out;
    if (days > 0) out += std::to_string(days) + "d ";
    if (days > 0 || hours > 0) out += std::to_string(hours) + "h ";
    out += std::to_string(mins) + "m";
    return out;
}

nlohmann::json window_json(const freeze_window& w, const date::time_zone* zone) {
    return {{"start", format_iso(w.start, zone)}, {"end", format_iso(w.end, zone)}, {"rules", w.rules}};
}

}  // namespace

std::string format_local(sys_seconds t, const date::time_zone* zone) {
    const auto zoned = date::make_zoned(zone, t);
    return date::format("%a %d %b %Y %H:%M %Z", zoned);
}

std::string format_iso(sys_seconds t, const date::time_zone* zone) {
    const auto zoned = date::make_zoned(zone, t);
    auto text = date::format("%Y-%m-%dT%H:%M:%S%z", zoned);  // +0000
    // ISO 8601 extended offset: +00:00.
    if (text.size() >= 5) text.insert(text.size() - 2, ":");
    return text;
}

message freeze_status_message(const freeze_status& status, sys_seconds now, const date::time_zone* zone) {
    message m;
    if (status.frozen) {
        m.header = ":no_entry: Production is frozen";
        m.text = "No production deployments now. Emergency fixes need VP approval, an on-call engineer present "
                 "and a documented rollback plan.";
        m.fields.push_back({"Rules in force", join(status.rules, "\n")});
        if (status.until) {
            m.fields.push_back({"Until", format_local(*status.until, zone)});
            m.fields.push_back({"Time left", duration_text(*status.until - now)});
        }
    } else {
        m.header = ":large_green_circle: Production is not frozen";
        m.text = "Production deployments are allowed by the freeze calendar (every other gate still applies).";
    }
    if (status.next) {
        m.fields.push_back({"Next freeze", format_local(status.next->start, zone) + " → " +
                                               format_local(status.next->end, zone)});
        m.fields.push_back({"Next freeze rules", join(status.next->rules, "\n")});
    } else {
        m.fields.push_back({"Next freeze", "none in the coming year"});
    }
    m.context.push_back("As of " + format_local(now, zone) + " (" + zone->name() + ")");
    return m;
}

message freeze_list_message(const std::vector<freeze_window>& windows, const std::vector<removable_window>& ad_hoc,
                            sys_seconds from, int days, const date::time_zone* zone) {
    message m;
    m.header = ":calendar: Change freezes in the next " + std::to_string(days) + " days";
    if (windows.empty()) {
        m.text = "No freeze windows between " + format_local(from, zone) + " and " +
                 format_local(from + std::chrono::days{days}, zone) + ".";
    } else {
        std::ostringstream text;
        for (const auto& w : windows) {
            text << "• *" << format_local(w.start, zone) << " → " << format_local(w.end, zone) << "*\n    "
                 << join(w.rules, "; ") << "\n";
        }
        m.text = text.str();
    }
    for (const auto& a : ad_hoc) {
        m.buttons.push_back(button{"Remove #" + std::to_string(a.id), "freeze.remove", std::to_string(a.id),
                                   button_style::danger,
                                   confirm_dialog{"Remove freeze window #" + std::to_string(a.id) + "?",
                                                  a.reason + " (" + format_local(a.start, zone) + " → " +
                                                      format_local(a.end, zone) + ")",
                                                  "Remove", "Keep"}});
    }
    m.context.push_back("Times in " + zone->name() + ". Release Managers add windows with `/freeze add <from> <to> "
                        "<reason>` and remove them with `/freeze remove <id>`.");
    return m;
}

message freeze_added_message(const removable_window& w, const std::string& user_id, const date::time_zone* zone) {
    message m;
    m.header = ":lock: Freeze window #" + std::to_string(w.id) + " added";
    m.fields.push_back({"From", format_local(w.start, zone)});
    m.fields.push_back({"To", format_local(w.end, zone)});
    m.fields.push_back({"Reason", w.reason});
    m.fields.push_back({"Added by", user_mention(user_id)});
    m.context.push_back("Remove it with `/freeze remove " + std::to_string(w.id) + "`.");
    return m;
}

message freeze_removed_message(const removable_window& w, const std::string& user_id, const date::time_zone* zone) {
    message m;
    m.header = ":unlock: Freeze window #" + std::to_string(w.id) + " removed";
    m.fields.push_back({"Was", format_local(w.start, zone) + " → " + format_local(w.end, zone)});
    m.fields.push_back({"Reason", w.reason});
    m.fields.push_back({"Removed by", user_mention(user_id)});
    return m;
}

nlohmann::json freeze_status_json(const freeze_status& status, const date::time_zone* zone) {
    nlohmann::json j{{"frozen", status.frozen}, {"rules", status.rules}};
    j["until"] = status.until ? nlohmann::json(format_iso(*status.until, zone)) : nlohmann::json(nullptr);
    j["next"] = status.next ? window_json(*status.next, zone) : nlohmann::json(nullptr);
    return j;
}

nlohmann::json freeze_list_json(const std::vector<freeze_window>& windows, const date::time_zone* zone) {
    auto list = nlohmann::json::array();
    for (const auto& w : windows) list.push_back(window_json(w, zone));
    return {{"windows", list}};
}

message error_message(const std::string& what, const std::string& usage) {
    message m;
    m.header = ":warning: " + what;
    if (!usage.empty()) m.text = "Usage: `" + usage + "`";
    return m;
}

}  // namespace promotebot::commands
