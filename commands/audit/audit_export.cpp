// Audit export for auditors: JSON Lines or RFC 4180 CSV.
#include <chrono>
#include <cstdio>
#include <ostream>
#include <stdexcept>

#include "commands/audit/audit_chain.hpp"

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

std::string compact(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// RFC 4180: a field holding a comma, quote or line break is quoted, and
// quotes inside it are doubled.
// A text cell that a spreadsheet would run as a formula (=, +, -, @ first)
// gets a leading apostrophe: the export is opened by
// people, and a Slack user chose the text.
// Control characters (but the line feed, which quoting keeps) are written
// as \u00XX: an escape sequence or a NUL in a cell can rewrite a terminal or
// cut a field for the tools that read the export.
std::string escape_controls(const std::string& raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const auto c = static_cast<unsigned char>(raw[i]);
        unsigned code = 0x100;  // none
        if ((c < 0x20 && c != '\n') || c == 0x7F) code = c;
        // C1 controls (U+0080..U+009F) are two bytes in UTF-8: C2 80..C2 9F.
        else if (c == 0xC2 && i + 1 < raw.size() && static_cast<unsigned char>(raw[i + 1]) >= 0x80 &&
                 static_cast<unsigned char>(raw[i + 1]) <= 0x9F)
            code = static_cast<unsigned char>(raw[++i]);
        if (code == 0x100) {
            out += raw[i];
            continue;
        }
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04X", code);
        out += escaped;
    }
    return out;
}

std::string csv_field(const std::string& raw) {
    std::string value = escape_controls(raw);
    if (!value.empty() && std::string_view("=+-@").find(value.front()) != std::string_view::npos)
        value.insert(value.begin(), '\'');
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string quoted = "\"";
    for (const char c : value) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

void write_jsonl(const std::vector<audit_record>& records, std::ostream& out) {
    for (const auto& r : records) {
        json line = json::object();
        line["seq"] = r.seq;
        line["at"] = iso8601_utc(r.at);
        line["actor"] = r.entry.actor;
        line["action"] = r.entry.action;
        line["subject"] = r.entry.subject;
        line["outcome"] = r.entry.outcome;
        line["detail"] = r.entry.detail.is_null() ? json::object() : r.entry.detail;
        line["prev_hash"] = r.prev_hash;
        line["hash"] = r.hash;
        out << compact(line) << '\n';
    }
}

void write_csv(const std::vector<audit_record>& records, std::ostream& out) {
    out << "seq,at,actor,action,subject,outcome,detail,prev_hash,hash\r\n";
    for (const auto& r : records) {
        out << r.seq << ',' << iso8601_utc(r.at) << ',' << csv_field(r.entry.actor) << ','
            << csv_field(r.entry.action) << ',' << csv_field(r.entry.subject) << ',' << csv_field(r.entry.outcome)
            << ',' << csv_field(compact(r.entry.detail.is_null() ? json::object() : r.entry.detail)) << ','
            << csv_field(r.prev_hash) << ',' << csv_field(r.hash) << "\r\n";
    }
}

}  // namespace

// 2026-11-26T10:00:00Z
std::string iso8601_utc(sys_seconds t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return text;
}

void export_audit(const std::vector<audit_record>& records, const std::string& format, std::ostream& out) {
    if (format == "jsonl") write_jsonl(records, out);
    else if (format == "csv") write_csv(records, out);
    else throw std::invalid_argument("unknown audit export format \"" + format + "\"; use jsonl or csv");
    if (!out) throw std::runtime_error("writing the audit export failed");
}

}  // namespace promotebot::commands
