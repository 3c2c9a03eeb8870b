#include "commands/grammar/grammar.hpp"

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/message/text.hpp"
#include "commands/message/utf8.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

namespace promotebot::commands {

std::string_view to_string(environment e) {
    return e == environment::int_ ? "int" : "prod";
}

namespace {

constexpr std::size_t max_quoted_chars = 40;
constexpr std::size_t max_version_chars = 64;
constexpr std::size_t max_reason_chars = 200;
constexpr int max_list_days = 366;

constexpr std::string_view promote_usage =
    "/promote <version> [to int|prod] [change CHG…] [infra] [emergency] [override-bad <reason…>]";
constexpr std::string_view rollback_usage =
    "/rollback [prod|int] [to <version>] | /rollback dbt <model> [<model>…] | /rollback infra [prod|int]";
constexpr std::string_view freeze_usage =
    "/freeze [status] | /freeze calendar [YYYY-MM] | /freeze list [days] | /freeze add <from> <to> <reason…> | "
    "/freeze remove <id>";

constexpr std::string_view promote_help =
    "*/promote* deploys a released version through the runbook's gates.\n"
    "• `/promote <version>` promotes to prod (the default target), e.g. `/promote v1.4.2`\n"
    "• `to int|prod` chooses the environment, e.g. `/promote v1.4.2-rc.1 to int`\n"
    "• `change CHG…` links one or more change records, e.g. `/promote v1.4.2 change CHG0012345 CHG0012346`\n"
    "• `infra` says the release includes Terraform changes, e.g. `/promote v1.4.2 infra`\n"
    "• `emergency` asks for the emergency path during a freeze (VP approval and on-call presence), "
    "e.g. `/promote v1.4.3 change CHG0012399 emergency`\n"
    "• `override-bad <reason…>` promotes a version that was rolled back from (marked bad) all the same; the "
    "rest of the text is the reason (at most 300 characters), e.g. `/promote v1.4.2 override-bad fixed by the "
    "new config`\n"
    "A version looks like v<major>.<minor>.<patch> with an optional pre-release, e.g. v2.0.0-rc.1.";

constexpr std::string_view rollback_help =
    "*/rollback* restores a previous state.\n"
    "• `/rollback` rolls prod back to the previous good version\n"
    "• `/rollback int` does the same on int\n"
    "• `/rollback prod to <version>` restores a named version, e.g. `/rollback prod to v1.4.1`\n"
    "• `/rollback dbt <model> [<model>…]` rebuilds dbt models with --full-refresh (at most 20), "
    "e.g. `/rollback dbt fct_orders dim_customers`\n"
    "• `/rollback infra [prod|int]` restores the previous commit's Terraform code and plans; a Release Manager "
    "applies the plan, e.g. `/rollback infra prod`\n"
    "Each proposes first: nothing changes until on-call or a Release Manager presses Roll back.";

constexpr std::string_view freeze_help =
    "*/freeze* shows and manages change-freeze windows.\n"
    "• `/freeze` or `/freeze status` says whether deployments are frozen now and until when\n"
    "• `/freeze calendar [YYYY-MM]` shows a month as a grid with the frozen days marked and the rules behind "
    "them (default: this month, at most 24 months away), e.g. `/freeze calendar 2026-12`\n"
    "• `/freeze list [days]` lists the windows in the next days (1 to 366, default 60), e.g. `/freeze list 90`\n"
    "• `/freeze add <from> <to> <reason…>` adds a window; dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM in local "
    "time, a bare end date includes that whole day, e.g. `/freeze add 2026-12-01 2026-12-03 Annual audit`\n"
    "• `/freeze remove <id>` removes an added window, e.g. `/freeze remove 7`";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) ++i;
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i])) ++i;
        if (i > start) words.push_back(text.substr(start, i - start));
    }
    return words;
}

// C0, DEL and C1 controls: never echoed and never stored.
bool is_control_at(std::string_view s, std::size_t i, std::size_t len) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (len == 1) return c < 0x20 || c == 0x7F;
    if (len == 2 && c == 0xC2) {
        const auto c2 = static_cast<unsigned char>(s[i + 1]);
        return c2 >= 0x80 && c2 <= 0x9F;
    }
    return false;
}

// User input quoted back in a message: bounded, printable, and unable to
// break out of the surrounding `code` span.
std::string quote(std::string_view word) {
    std::string out = "`";
    std::size_t chars = 0;
    std::size_t i = 0;
    while (i < word.size()) {
        if (chars == max_quoted_chars) {
            out += "…";
            break;
        }
        const std::size_t len = utf8_length(word, i);
        if (len == 0) {
            out += '?';
            ++i;
        } else if (is_control_at(word, i, len)) {
            out += '?';
            i += len;
        } else if (word[i] == '`') {
            out += '\'';
            ++i;
        } else {
            out.append(word.substr(i, len));
            i += len;
        }
        ++chars;
    }
    out += '`';
    return out;
}

parse_error error(std::string message, std::string_view usage) {
    return parse_error{std::move(message), std::string(usage)};
}

std::string version_problem(std::string_view word) {
    if (word.size() > max_version_chars)
        return quote(word) + " is not a version: a version has at most 64 characters";
    std::string message =
        quote(word) + " is not a version: expected v<major>.<minor>.<patch>[-<pre-release>], e.g. v1.4.2 or v1.4.2-rc.1";
    std::string prefixed = "v" + std::string(word.substr(!word.empty() && word[0] == 'V' ? 1 : 0));
    if (is_valid_version(prefixed)) message += " (did you mean " + quote(prefixed) + "?)";
    return message;
}

std::optional<environment> parse_environment(std::string_view word) {
    if (iequals(word, "prod")) return environment::prod;
    if (iequals(word, "int")) return environment::int_;
    return std::nullopt;
}

// A positive decimal number without sign or leading zeros beyond "0"; nullopt
// when it does not fit.
std::optional<std::int64_t> parse_positive(std::string_view word) {
    if (word.empty() || word.size() > 18 || !std::all_of(word.begin(), word.end(), is_digit)) return std::nullopt;
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc{} || ptr != word.data() + word.size()) return std::nullopt;
    return value;
}

// Free text people give as a reason (the words from `first` on, joined by
// one space): valid UTF-8, no control characters, at most `max_chars`
// characters. Empty `problem` when fine.
struct reason_text {
    std::string text;
    std::string problem;
};

reason_text reason_from(const std::vector<std::string_view>& words, std::size_t first, std::size_t max_chars) {
    reason_text r;
    for (std::size_t i = first; i < words.size(); ++i) {
        if (!r.text.empty()) r.text += ' ';
        r.text.append(words[i]);
    }
    std::size_t chars = 0;
    for (std::size_t i = 0; i < r.text.size();) {
        const std::size_t len = utf8_length(r.text, i);
        if (len == 0) {
            r.problem = "the reason is not valid UTF-8 text";
            return r;
        }
        if (is_control_at(r.text, i, len)) {
            r.problem = "the reason contains a control character";
            return r;
        }
        i += len;
        ++chars;
    }
    if (chars > max_chars)
        r.problem = "the reason is " + std::to_string(chars) + " characters long: at most " +
                    std::to_string(max_chars) + " are allowed";
    return r;
}

// ---- /promote -------------------------------------------------------------

bool is_promote_keyword(std::string_view w) {
    return iequals(w, "to") || iequals(w, "change") || iequals(w, "infra") || iequals(w, "emergency") ||
           iequals(w, "override-bad");
}

parsed_command parse_promote(const std::vector<std::string_view>& words) {
    if (words.empty()) return error("a version is required, e.g. `/promote v1.4.2`", promote_usage);
    promote_request req;
    if (!is_valid_version(words[0])) return error(version_problem(words[0]), promote_usage);
    req.version = std::string(words[0]);

    bool seen_to = false;
    for (std::size_t i = 1; i < words.size(); ++i) {
        const auto w = words[i];
        if (iequals(w, "to")) {
            if (seen_to) return error("`to` is given twice: choose one environment", promote_usage);
            seen_to = true;
            if (i + 1 >= words.size()) return error("`to` needs an environment: int or prod", promote_usage);
            const auto env = parse_environment(words[++i]);
            if (!env) return error(quote(words[i]) + " is not an environment: expected int or prod", promote_usage);
            req.target = *env;
        } else if (iequals(w, "change")) {
            std::size_t taken = 0;
            while (i + 1 < words.size() && !is_promote_keyword(words[i + 1])) {
                const auto raw = words[++i];
                std::string record = to_upper(raw);
                if (!is_valid_change_record(record))
                    return error(quote(raw) + " is not a change record: expected CHG followed by 7 to 10 digits, e.g. CHG0012345",
                                 promote_usage);
                if (std::find(req.change_records.begin(), req.change_records.end(), record) != req.change_records.end())
                    return error("change record " + quote(record) + " is given twice", promote_usage);
                req.change_records.push_back(std::move(record));
                ++taken;
            }
            if (taken == 0)
                return error("`change` needs at least one change record, e.g. `change CHG0012345`", promote_usage);
        } else if (iequals(w, "infra")) {
            if (req.infra) return error("`infra` is given twice", promote_usage);
            req.infra = true;
        } else if (iequals(w, "emergency")) {
            if (req.emergency) return error("`emergency` is given twice", promote_usage);
            req.emergency = true;
        } else if (iequals(w, "override-bad")) {
            // The reason is free text, so it takes the rest of the line: keywords after it are words of the reason.
            if (i + 1 >= words.size())
                return error("`override-bad` needs a reason: why promote a version that was rolled back from, e.g. "
                             "`override-bad the cause was the config, fixed in CHG0012399`",
                             promote_usage);
            auto reason = reason_from(words, i + 1, max_override_bad_reason_chars);
            if (!reason.problem.empty()) return error(reason.problem, promote_usage);
            req.override_bad_reason = std::move(reason.text);
            break;
        } else if (is_valid_change_record(to_upper(w))) {
            return error("put `change` before the change record " + quote(w) + ", e.g. `change " + to_upper(w) + "`",
                         promote_usage);
        } else if (is_valid_version(w)) {
            return error("only one version can be promoted at a time; " + quote(w) + " is a second one", promote_usage);
        } else {
            return error("unexpected " + quote(w) +
                             ": after the version expected `to`, `change`, `infra`, `emergency` or `override-bad`",
                         promote_usage);
        }
    }
    return req;
}

// ---- /rollback ------------------------------------------------------------

parsed_command parse_rollback(const std::vector<std::string_view>& words) {
    rollback_request req;
    if (words.empty()) return req;

    if (iequals(words[0], "dbt")) {
        req.what = rollback_request::kind::dbt;
        if (words.size() < 2) return error("`dbt` needs a model name, e.g. `/rollback dbt fct_orders`", rollback_usage);
        for (std::size_t i = 1; i < words.size(); ++i) {
            if (!is_valid_dbt_model(words[i]))
                return error(quote(words[i]) +
                                 " is not a dbt model name: expected a letter or _ followed by letters, digits or _ "
                                 "(at most 128 characters)",
                             rollback_usage);
            // Naming a model twice rebuilds it once.
            if (std::find(req.dbt_models.begin(), req.dbt_models.end(), words[i]) != req.dbt_models.end()) continue;
            if (req.dbt_models.size() == max_rollback_dbt_models)
                return error("at most " + std::to_string(max_rollback_dbt_models) +
                                 " dbt models can be rebuilt at once: split the rollback",
                             rollback_usage);
            req.dbt_models.emplace_back(words[i]);
        }
        return req;
    }

    if (iequals(words[0], "infra")) {
        req.what = rollback_request::kind::infra;
        if (words.size() >= 2) {
            const auto env = parse_environment(words[1]);
            if (!env) return error(quote(words[1]) + " is not an environment: expected int or prod", rollback_usage);
            req.target = *env;
        }
        if (words.size() > 2) return error("unexpected " + quote(words[2]) + " after `infra " +
                                               std::string(to_string(req.target)) + "`",
                                           rollback_usage);
        return req;
    }

    bool seen_env = false;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto w = words[i];
        if (const auto env = parse_environment(w)) {
            if (seen_env) return error("the environment is given twice: choose int or prod", rollback_usage);
            seen_env = true;
            req.target = *env;
        } else if (iequals(w, "to")) {
            if (req.to_version) return error("`to` is given twice: choose one version", rollback_usage);
            if (i + 1 >= words.size()) return error("`to` needs a version, e.g. `/rollback prod to v1.4.1`", rollback_usage);
            const auto v = words[++i];
            if (!is_valid_version(v)) return error(version_problem(v), rollback_usage);
            req.to_version = std::string(v);
        } else {
            return error("unexpected " + quote(w) + ": expected `prod`, `int`, `to <version>`, `dbt <model>` or `infra`",
                         rollback_usage);
        }
    }
    return req;
}

// ---- /freeze --------------------------------------------------------------

bool two_digits(std::string_view s, std::size_t pos, unsigned& out) {
    if (pos + 2 > s.size()) return false;
    if (!is_digit(s[pos]) || !is_digit(s[pos + 1])) return false;
    out = static_cast<unsigned>((s[pos] - '0') * 10 + (s[pos + 1] - '0'));
    return true;
}

std::string moment_problem(std::string_view what, std::string_view word) {
    if (const auto year = year_outside_calendar(word))
        return quote(word) + " is not a valid " + std::string(what) + ": the year " + std::to_string(*year) +
               " is outside the freeze calendar's years, " + calendar_years_text();
    return quote(word) + " is not a valid " + std::string(what) +
           ": expected a real date as YYYY-MM-DD or YYYY-MM-DDTHH:MM, e.g. 2026-12-01 or 2026-12-01T18:00";
}

parsed_command parse_freeze(const std::vector<std::string_view>& words) {
    freeze_request req;
    if (words.empty()) return req;
    const auto sub = words[0];

    if (iequals(sub, "status")) {
        if (words.size() > 1) return error("unexpected " + quote(words[1]) + ": `status` takes no arguments", freeze_usage);
        return req;
    }

    if (iequals(sub, "calendar")) {
        req.what = freeze_request::kind::calendar;
        if (words.size() >= 2) {
            if (const auto year = year_outside_calendar(words[1]); year && words[1].size() == 7)
                return error(quote(words[1]) + " is outside the freeze calendar's years, " + calendar_years_text(),
                             freeze_usage);
            req.month = parse_year_month(words[1]);
            if (!req.month)
                return error(quote(words[1]) + " is not a month: expected YYYY-MM, e.g. 2026-12", freeze_usage);
        }
        if (words.size() > 2)
            return error("unexpected " + quote(words[2]) + ": `calendar` takes at most a month (YYYY-MM)",
                         freeze_usage);
        return req;
    }

    if (iequals(sub, "list")) {
        req.what = freeze_request::kind::list;
        if (words.size() >= 2) {
            const auto days = parse_positive(words[1]);
            if (!days || *days < 1 || *days > max_list_days)
                return error(quote(words[1]) + " is not a number of days: expected a whole number from 1 to 366",
                             freeze_usage);
            req.days = static_cast<int>(*days);
        }
        if (words.size() > 2) return error("unexpected " + quote(words[2]) + ": `list` takes at most a number of days",
                                           freeze_usage);
        return req;
    }

    if (iequals(sub, "add")) {
        req.what = freeze_request::kind::add;
        if (words.size() < 4)
            return error("`add` needs a start, an end and a reason, e.g. `/freeze add 2026-12-01 2026-12-03 Annual audit`",
                         freeze_usage);
        const auto from = parse_local_moment(words[1]);
        if (!from) return error(moment_problem("start", words[1]), freeze_usage);
        const auto to = parse_local_moment(words[2]);
        if (!to) return error(moment_problem("end", words[2]), freeze_usage);
        req.from = from->at;
        // A bare end date includes the whole day, so the window ends at the next midnight.
        req.to = to->date_only ? to->at + date::days{1} : to->at;
        if (req.to <= req.from)
            return error("the end " + quote(words[2]) + " must be after the start " + quote(words[1]), freeze_usage);

        auto reason = reason_from(words, 3, max_reason_chars);
        if (!reason.problem.empty()) return error(reason.problem, freeze_usage);
        req.reason = std::move(reason.text);
        return req;
    }

    if (iequals(sub, "remove")) {
        req.what = freeze_request::kind::remove;
        if (words.size() < 2) return error("`remove` needs the ID of a window, e.g. `/freeze remove 7`", freeze_usage);
        const auto id = parse_positive(words[1]);
        if (!id || *id < 1)
            return error(quote(words[1]) + " is not a window ID: expected a positive whole number", freeze_usage);
        if (words.size() > 2) return error("unexpected " + quote(words[2]) + " after the window ID", freeze_usage);
        req.id = *id;
        return req;
    }

    return error("unexpected " + quote(sub) + ": expected `status`, `calendar`, `list`, `add`, `remove` or `help`",
                 freeze_usage);
}

struct command_entry {
    std::string_view name;
    std::string_view help;
    parsed_command (*parse)(const std::vector<std::string_view>&);
};

constexpr std::array command_table{
    command_entry{"/promote", promote_help, parse_promote},
    command_entry{"/rollback", rollback_help, parse_rollback},
    command_entry{"/freeze", freeze_help, parse_freeze},
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<typed_moment> parse_moment(std::string_view w) {
    if (w.size() < 10) return std::nullopt;
    unsigned y_hi = 0, y_lo = 0, m = 0, d = 0;
    if (!two_digits(w, 0, y_hi) || !two_digits(w, 2, y_lo) || w[4] != '-' || !two_digits(w, 5, m) || w[7] != '-' ||
        !two_digits(w, 8, d))
        return std::nullopt;
    const int year = static_cast<int>(y_hi * 100 + y_lo);
    if (year < first_calendar_year || year > last_calendar_year) return std::nullopt;
    const date::year_month_day ymd{date::year{year}, date::month{m}, date::day{d}};
    if (!ymd.ok()) return std::nullopt;
    typed_moment result;
    result.at = date::local_days{ymd};
    if (w.size() == 10) {
        result.date_only = true;
        return result;
    }
    // THH:MM, then :SS, then Z or ±HH:MM.
    unsigned hh = 0, mm = 0;
    if (w.size() < 16 || (w[10] != 'T' && w[10] != 't') || !two_digits(w, 11, hh) || w[13] != ':' ||
        !two_digits(w, 14, mm) || hh > 23 || mm > 59)
        return std::nullopt;
    result.at += std::chrono::hours{hh} + std::chrono::minutes{mm};
    auto rest = w.substr(16);
    if (!rest.empty() && rest[0] == ':') {
        unsigned ss = 0;
        if (!two_digits(rest, 1, ss) || ss > 59) return std::nullopt;
        result.at += std::chrono::seconds{ss};
        result.with_seconds = true;
        rest.remove_prefix(3);
    }
    if (rest.empty()) return result;
    if (rest == "Z" || rest == "z") {
        result.utc_offset = std::chrono::minutes{0};
        return result;
    }
    unsigned oh = 0, om = 0;
    if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || !two_digits(rest, 1, oh) || rest[3] != ':' ||
        !two_digits(rest, 4, om) || oh > 23 || om > 59)
        return std::nullopt;
    const std::chrono::minutes offset = std::chrono::hours{oh} + std::chrono::minutes{om};
    result.utc_offset = rest[0] == '-' ? -offset : offset;
    return result;
}

std::optional<int> year_outside_calendar(std::string_view text) {
    unsigned y_hi = 0, y_lo = 0;
    if (text.size() < 5 || !two_digits(text, 0, y_hi) || !two_digits(text, 2, y_lo) || text[4] != '-')
        return std::nullopt;
    const int year = static_cast<int>(y_hi * 100 + y_lo);
    if (year >= first_calendar_year && year <= last_calendar_year) return std::nullopt;
    return year;
}

std::string calendar_years_text() {
    return "from " + std::to_string(first_calendar_year) + " to " + std::to_string(last_calendar_year);
}

std::optional<local_moment> parse_local_moment(std::string_view w) {
    const auto moment = parse_moment(w);
    if (!moment || moment->with_seconds || moment->utc_offset) return std::nullopt;
    return local_moment{moment->at, moment->date_only};
}

std::optional<date::year_month> parse_year_month(std::string_view w) {
    unsigned y_hi = 0, y_lo = 0, m = 0;
    if (w.size() != 7 || !two_digits(w, 0, y_hi) || !two_digits(w, 2, y_lo) || w[4] != '-' || !two_digits(w, 5, m))
        return std::nullopt;
    const int year = static_cast<int>(y_hi * 100 + y_lo);
    if (year < first_calendar_year || year > last_calendar_year || m < 1 || m > 12) return std::nullopt;
    return date::year{year} / date::month{m};
}

const std::vector<command_usage>& known_commands() {
    static const std::vector<command_usage> commands{
        {"/promote", std::string(promote_usage), "deploy a version to int or prod through the runbook's gates"},
        {"/rollback", std::string(rollback_usage), "restore a previous version, dbt model or Terraform state"},
        {"/freeze", std::string(freeze_usage), "show or manage change-freeze windows"},
    };
    return commands;
}

parsed_command parse_command(std::string_view command, std::string_view text) {
    command = trim(command);
    std::string name = to_lower(command);
    if (!name.empty() && name.front() != '/') name.insert(name.begin(), '/');

    for (const auto& entry : command_table) {
        if (name != entry.name) continue;
        const auto words = split_words(text);
        if (!words.empty() && iequals(words[0], "help"))
            return help_request{std::string(entry.name), std::string(entry.help)};
        return entry.parse(words);
    }

    std::string known;
    std::string usage;
    for (const auto& c : known_commands()) {
        if (!known.empty()) {
            known += ", ";
            usage += '\n';
        }
        known += c.command;
        usage += c.usage;
    }
    return parse_error{quote(command) + " is not a command I know; the commands are " + known, usage};
}

bool is_valid_version(std::string_view v) {
    if (v.size() < 6 || v.size() > max_version_chars || v[0] != 'v') return false;
    std::size_t i = 1;
    // Three numeric identifiers without leading zeros.
    for (int part = 0; part < 3; ++part) {
        if (part > 0) {
            if (i >= v.size() || v[i] != '.') return false;
            ++i;
        }
        const std::size_t start = i;
        while (i < v.size() && is_digit(v[i])) ++i;
        if (i == start) return false;
        if (v[start] == '0' && i - start > 1) return false;
    }
    if (i == v.size()) return true;
    if (v[i] != '-') return false;
    ++i;
    // Dot-separated alphanumeric pre-release identifiers, none empty.
    while (true) {
        const std::size_t start = i;
        while (i < v.size() && is_alnum(v[i])) ++i;
        if (i == start) return false;
        if (i == v.size()) return true;
        if (v[i] != '.') return false;
        ++i;
    }
}

bool is_valid_change_record(std::string_view c) {
    if (c.size() < 10 || c.size() > 13 || c.substr(0, 3) != "CHG") return false;
    return std::all_of(c.begin() + 3, c.end(), is_digit);
}

bool is_valid_dbt_model(std::string_view m) {
    if (m.empty() || m.size() > 128) return false;
    if (!(is_alpha(m[0]) || m[0] == '_')) return false;
    return std::all_of(m.begin() + 1, m.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

}  // namespace promotebot::commands
