#include "integrations/servicenow/table_api.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "integrations/net/bounded_json.hpp"
#include "integrations/net/service_call.hpp"

namespace promotebot::servicenow {

using net::field_says;
using nlohmann::json;

namespace {

// A Table API answer is {"result":[{field: string}]}: three levels deep.
const net::json_limits answer_limits{8, 4 * 1024 * 1024};
constexpr std::size_t max_field_bytes = 4096;  // short_description is 160 in ServiceNow; names far less

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool valid_sys_id(std::string_view s) {
    return s.size() == 32 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// The common parameters: raw values (display values off), references as
// plain sys_ids, only the fields read, a bounded list.
std::string table_url(const std::string& instance_url, std::string_view table, const std::string& query,
                      std::string_view fields) {
    return instance_url + "/api/now/table/" + std::string(table) + "?sysparm_query=" + net::percent_encoded(query) +
           "&sysparm_display_value=false&sysparm_exclude_reference_link=true&sysparm_fields=" +
           net::percent_encoded(fields) + "&sysparm_limit=" + std::to_string(max_records);
}

// Reads the "result" array of an answer, or says why it cannot.
const json* result_array(const net::bounded_json& parsed, std::string& error) {
    if (!parsed.ok()) {
        error = "the answer is " + parsed.why(answer_limits);
        return nullptr;
    }
    if (!parsed.value.is_object()) {
        error = "the answer is not a JSON object";
        return nullptr;
    }
    auto it = parsed.value.find("result");
    if (it == parsed.value.end() || !it->is_array()) {
        error = "the answer has no \"result\" list";
        return nullptr;
    }
    if (it->size() > max_records) {
        error = "the answer has " + std::to_string(it->size()) + " records, more than the " +
                std::to_string(max_records) + " asked for";
        return nullptr;
    }
    return &*it;
}

// Reads string fields of one record; the first problem is kept in `error`.
class record_reader {
public:
    record_reader(const json& row, std::size_t index, std::string& error) : row_(row), index_(index), error_(error) {
        if (!row_.is_object()) fail("is not an object");
    }

    std::string text(const char* key, bool required = true) {
        if (!error_.empty()) return {};
        auto it = row_.find(key);
        if (it == row_.end() || it->is_null()) {
            if (required) fail(std::string("has no ") + field_says(key, ""));
            return {};
        }
        if (!it->is_string()) {
            fail(field_says(key, " is not a string"));
            return {};
        }
        const std::string& s = it->get_ref<const std::string&>();
        if (s.size() > max_field_bytes) {
            fail(field_says(key, " is longer than ") + std::to_string(max_field_bytes) + " bytes");
            return {};
        }
        return s;
    }

    std::optional<std::chrono::sys_seconds> date_time(const char* key) {
        const std::string s = text(key, false);
        if (!error_.empty() || s.empty()) return std::nullopt;
        auto t = parse_date_time(s);
        if (!t) fail(field_says(key, " is not a date and time"));
        return t;
    }

    std::string sys_id() {
        std::string s = text("sys_id");
        if (error_.empty() && !valid_sys_id(s)) fail("has no valid \"sys_id\"");
        return s;
    }

private:
    void fail(const std::string& what) {
        if (error_.empty()) error_ = "record " + std::to_string(index_ + 1) + " " + what;
    }

    const json& row_;
    std::size_t index_;
    std::string& error_;
};

}  // namespace

bool valid_change_number(std::string_view s) {
    return s.size() >= 10 && s.size() <= 13 && s.starts_with("CHG") && all_digits(s.substr(3));
}

bool valid_incident_query(std::string_view s) {
    if (s.size() > 512) return false;
    if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7F; })) return false;
    if (s.starts_with("^")) return false;
    // ^OR binds to the condition before it: placed after priorityIN1,2 it would
    // let other priorities in. ^NQ starts a second query OR'ed with the first.
    if (s.starts_with("OR") && !s.starts_with("ORDERBY")) return false;
    if (s.starts_with("NQ") || s.find("^NQ") != std::string_view::npos) return false;
    return true;
}

std::optional<std::string> normalized_instance_url(std::string_view url) {
    return net::normalized_https_url(url);
}

std::string change_requests_url(const std::string& instance_url, const std::vector<std::string>& numbers) {
    std::string list;
    for (const auto& n : numbers) {
        if (!valid_change_number(n)) throw std::invalid_argument("not a Change Record number");
        if (!list.empty()) list += ',';
        list += n;
    }
    return table_url(instance_url, "change_request", "numberIN" + list,
                     "number,sys_id,type,approval,state,start_date,end_date");
}

std::string open_incidents_url(const std::string& instance_url, const std::string& extra_query) {
    if (!valid_incident_query(extra_query)) throw std::invalid_argument("not a usable incident query");
    std::string query = "active=true^priorityIN1,2";
    if (!extra_query.empty()) query += "^" + extra_query;
    return table_url(instance_url, "incident", query, "number,priority,state,short_description,sys_id");
}

std::string record_link(const std::string& instance_url, std::string_view table, std::string_view sys_id) {
    return instance_url + "/nav_to.do?uri=" + std::string(table) + ".do?sys_id=" + std::string(sys_id);
}

std::optional<std::chrono::sys_seconds> parse_date_time(std::string_view s) {
    // YYYY-MM-DD HH:MM:SS
    if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    auto number = [&](std::size_t at, std::size_t len) -> std::optional<int> {
        const std::string_view part = s.substr(at, len);
        if (!all_digits(part)) return std::nullopt;
        int v = 0;
        for (char c : part) v = v * 10 + (c - '0');
        return v;
    };
    const auto y = number(0, 4), mo = number(5, 2), d = number(8, 2), h = number(11, 2), mi = number(14, 2),
               se = number(17, 2);
    if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok() || *h > 23 || *mi > 59 || *se > 59) return std::nullopt;
    return std::chrono::sys_days{ymd} + std::chrono::hours{*h} + std::chrono::minutes{*mi} +
           std::chrono::seconds{*se};
}

table_rows<commands::change_request> parse_change_requests(std::string_view body, const std::string& instance_url) {
    table_rows<commands::change_request> out;
    const auto parsed = net::parse_bounded(body, answer_limits);
    const json* rows = result_array(parsed, out.error);
    if (!rows) return out;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        record_reader r((*rows)[i], i, out.error);
        commands::change_request cr;
        cr.number = r.text("number");
        cr.sys_id = r.sys_id();
        cr.type = r.text("type");
        cr.approval = r.text("approval");
        cr.state = r.text("state");
        cr.start = r.date_time("start_date");
        cr.end = r.date_time("end_date");
        if (!out.error.empty()) {
            out.rows.clear();
            return out;
        }
        cr.link = record_link(instance_url, "change_request", cr.sys_id);
        out.rows.push_back(std::move(cr));
    }
    return out;
}

table_rows<commands::incident> parse_incidents(std::string_view body, const std::string& instance_url) {
    table_rows<commands::incident> out;
    const auto parsed = net::parse_bounded(body, answer_limits);
    const json* rows = result_array(parsed, out.error);
    if (!rows) return out;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        record_reader r((*rows)[i], i, out.error);
        commands::incident inc;
        inc.number = r.text("number");
        inc.priority = r.text("priority");
        inc.state = r.text("state");
        inc.short_description = r.text("short_description", false);
        const std::string sys_id = r.sys_id();
        if (!out.error.empty()) {
            out.rows.clear();
            return out;
        }
        inc.link = record_link(instance_url, "incident", sys_id);
        out.rows.push_back(std::move(inc));
    }
    return out;
}

}  // namespace promotebot::servicenow
