#include "bot/main/cli.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bot/config/config.hpp"
#include "bot/main/console_mode.hpp"
#include "bot/services/freeze_source.hpp"
#include "bot/main/logging.hpp"
#include "bot/main/slack_app.hpp"
#include "bot/ports/store.hpp"
#include "commands/audit/audit_anchor.hpp"
#include "commands/audit/audit_chain.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "commands/freeze/freeze_view.hpp"
#include "commands/grammar/grammar.hpp"

namespace promotebot::bot {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_fail = 1;
constexpr int exit_usage = 2;

const char* usage_text =
    "promotebot " PROMOTEBOT_VERSION " — the release runbook as a Slack bot\n"
    "\n"
    "Usage:\n"
    "  promotebot [--config FILE] [--console] [--user ID] [--log-format text|json] [--log-level LEVEL]\n"
    "      Runs the bot. With SLACK_APP_TOKEN and SLACK_BOT_TOKEN set it connects to Slack (Socket Mode);\n"
    "      without SLACK_APP_TOKEN, or with --console, it runs on this terminal. Without --config it uses\n"
    "      the embedded example configuration.\n"
    "  promotebot check-config --config FILE\n"
    "      Validates FILE without connecting; exit 2 and one line per problem when it is wrong.\n"
    "  promotebot freeze status [--config FILE] [--at DATE-TIME] [--json]\n"
    "      Is production frozen (now, or at DATE-TIME)? Exit 0 not frozen, 1 frozen, 2 error.\n"
    "  promotebot freeze list [--config FILE] --from DATE --to DATE [--json]\n"
    "      The merged freeze windows that touch DATE..DATE (both inclusive).\n"
    "  promotebot audit verify [--config FILE] [--anchor SEQ:HASH]\n"
    "      Recomputes the audit log's hash chain; exit 1 and the first broken record when tampered.\n"
    "      With --anchor, also exit 1 unless record SEQ still has exactly HASH.\n"
    "  promotebot audit anchor [--config FILE]\n"
    "      Verifies the chain and prints its head as SEQ:HASH (0: for an empty log); keep it elsewhere.\n"
    "  promotebot audit export [--config FILE] --since DATE [--format jsonl|csv]\n"
    "      Writes the audit records since DATE to standard output.\n"
    "  promotebot --help | --version\n"
    "\n"
    "Environment: SLACK_APP_TOKEN (xapp-), SLACK_BOT_TOKEN (xoxb-), SLACK_API_URL (default\n"
    "https://slack.com/api/), SSL_CERT_FILE (extra CA bundle), PROMOTEBOT_AUDIT_KEY (keys the audit\n"
    "hashes with HMAC-SHA256). Dates are YYYY-MM-DD; date-times are\n"
    "YYYY-MM-DDTHH:MM[:SS] in the configured time zone, or with Z / +HH:MM.\n";

struct arguments {
    std::vector<std::string> positional;
    std::map<std::string, std::string> values;  // --key value
    std::set<std::string> flags;                // --flag
};

const std::set<std::string> value_options{"--config", "--log-format", "--log-level", "--at", "--from", "--to",
                                          "--since", "--format", "--user", "--anchor"};
const std::set<std::string> flag_options{"--console", "--json", "--help", "--version"};

std::optional<arguments> parse_arguments(int argc, const char* const* argv, std::ostream& err) {
    arguments a;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        std::string value;
        bool has_inline = false;
        if (auto eq = word.find('='); word.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = word.substr(eq + 1);
            word = word.substr(0, eq);
            has_inline = true;
        }
        if (word == "-h") word = "--help";
        if (value_options.count(word)) {
            if (!has_inline) {
                if (i + 1 >= argc) {
                    err << "promotebot: " << word << " needs a value\n";
                    return std::nullopt;
                }
                value = argv[++i];
            }
            a.values[word] = value;
        } else if (flag_options.count(word) && !has_inline) {
            a.flags.insert(word);
        } else if (word.rfind("-", 0) == 0) {
            err << "promotebot: unknown option " << word << " (see --help)\n";
            return std::nullopt;
        } else {
            a.positional.push_back(word);
        }
    }
    return a;
}

std::string value_of(const arguments& a, const std::string& key, const std::string& fallback = {}) {
    auto it = a.values.find(key);
    return it == a.values.end() ? fallback : it->second;
}

void print_problems(const config_error& e, std::ostream& err) {
    err << "promotebot: the configuration is not valid:\n" << e.what() << "\n";
}

// The audit key comes from the environment only, and is redacted from every
// log line and error from here on.
std::optional<commands::audit_key> audit_key_from_env() {
    const char* value = std::getenv("PROMOTEBOT_AUDIT_KEY");
    if (value == nullptr) return std::nullopt;
    if (*value == '\0')
        throw std::invalid_argument("PROMOTEBOT_AUDIT_KEY is set but empty; unset it or give it a secret value");
    register_secret(value);
    return commands::audit_key{value};
}

config load(const arguments& a) {
    const auto path = value_of(a, "--config");
    return path.empty() ? embedded_default_config() : load_config_file(path);
}

// A local date (start of day) or a date-time, local unless it carries Z or an offset.
std::optional<sys_seconds> parse_time(const std::string& text, const date::time_zone* zone) {
    const auto moment = commands::parse_moment(text);
    if (!moment) return std::nullopt;
    if (moment->utc_offset) return sys_seconds{moment->at.time_since_epoch()} - *moment->utc_offset;
    return to_instant(moment->at, zone);
}

std::optional<date::local_days> parse_day(const std::string& text) {
    const auto moment = commands::parse_moment(text);
    if (!moment || !moment->date_only) return std::nullopt;
    return date::floor<date::days>(moment->at);
}

int check_config(const arguments& a, std::ostream& out, std::ostream& err) {
    const auto path = value_of(a, "--config");
    if (path.empty()) {
        err << "promotebot: check-config needs --config FILE\n";
        return exit_usage;
    }
    try {
        const auto cfg = load_config_file(path);
        out << "configuration OK: " << path << " (time zone " << cfg.timezone << ", store " << cfg.store << ", "
            << cfg.freeze.rules.bank_holidays.size() << " bank holidays)\n";
        return exit_ok;
    } catch (const config_error& e) {
        print_problems(e, err);
        return exit_usage;
    }
}

int freeze_command(const arguments& a, std::ostream& out, std::ostream& err) {
    const auto sub = a.positional.size() > 1 ? a.positional[1] : std::string{"status"};
    const auto cfg = load(a);
    const auto* zone = date::locate_zone(cfg.timezone);
    // A query never creates the store: without one there are no ad-hoc windows.
    std::unique_ptr<sqlite::sqlite_store> st;
    if (std::filesystem::exists(cfg.store)) st = sqlite::open_sqlite_store(cfg.store);
    const auto calendar = st ? build_calendar(cfg, *st) : commands::freeze_calendar(zone, cfg.freeze.rules);
    const bool json = a.flags.count("--json") > 0;
    if (sub == "status") {
        auto at = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        if (auto text = value_of(a, "--at"); !text.empty()) {
            auto parsed = parse_time(text, zone);
            if (!parsed) {
                err << "promotebot: --at '" << text << "' is not a date-time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM])\n";
                return exit_usage;
            }
            at = *parsed;
        }
        const auto status = calendar.status_at(at);
        if (json) {
            out << commands::freeze_status_json(status, zone).dump() << "\n";
        } else {
            out << (status.frozen ? "FROZEN" : "not frozen") << " at " << commands::format_local(at, zone) << "\n";
            for (const auto& r : status.rules) out << "  rule: " << r << "\n";
            if (status.until) out << "  until: " << commands::format_local(*status.until, zone) << "\n";
            if (status.next)
                out << "  next: " << commands::format_local(status.next->start, zone) << " → "
                    << commands::format_local(status.next->end, zone) << " (" << status.next->rules.size()
                    << " rule(s))\n";
        }
        return status.frozen ? exit_fail : exit_ok;
    }
    if (sub == "list") {
        const auto from = parse_day(value_of(a, "--from"));
        const auto to = parse_day(value_of(a, "--to"));
        if (!from || !to) {
            err << "promotebot: freeze list needs --from YYYY-MM-DD and --to YYYY-MM-DD\n";
            return exit_usage;
        }
        if (*to < *from) {
            err << "promotebot: --to " << value_of(a, "--to") << " is before --from " << value_of(a, "--from") << "\n";
            return exit_usage;
        }
        const auto start = to_instant(date::local_seconds{*from}, zone);
        const auto end = to_instant(date::local_seconds{*to + date::days{1}}, zone);
        const auto windows = calendar.windows_between(start, end);
        if (json) {
            out << commands::freeze_list_json(windows, zone).dump() << "\n";
        } else {
            if (windows.empty()) out << "no freeze windows\n";
            for (const auto& w : windows) {
                out << commands::format_local(w.start, zone) << " → " << commands::format_local(w.end, zone) << "\n";
                for (const auto& r : w.rules) out << "  " << r << "\n";
            }
        }
        return exit_ok;
    }
    err << "promotebot: unknown freeze command '" << sub << "' (status or list)\n";
    return exit_usage;
}

void print_break(const audit_verification& v, std::ostream& out) {
    out << "audit log BROKEN at record " << (v.first_broken_seq ? std::to_string(*v.first_broken_seq) : "?") << ": "
        << v.problem << "\n";
}

int audit_command(const arguments& a, std::ostream& out, std::ostream& err) {
    const auto sub = a.positional.size() > 1 ? a.positional[1] : std::string{};
    std::optional<audit_anchor> anchor;
    if (auto text = a.values.find("--anchor"); text != a.values.end()) {
        if (sub != "verify") {
            err << "promotebot: --anchor belongs to audit verify\n";
            return exit_usage;
        }
        anchor = commands::parse_audit_anchor(text->second);
        if (!anchor) {
            err << "promotebot: --anchor '" << text->second
                << "' is not SEQ:HASH (a record number, a colon and its 64 hex digits; 0: for the empty log)\n";
            return exit_usage;
        }
    }
    const auto cfg = load(a);
    if (!std::filesystem::exists(cfg.store)) {
        err << "promotebot: there is no store at " << cfg.store << " (the config's `store` key)\n";
        return exit_usage;
    }
    const auto key = audit_key_from_env();
    auto st = sqlite::open_sqlite_store(cfg.store, key);
    if (sub == "verify") {
        const auto v = st->verify_audit(anchor);
        if (!v.ok) {
            print_break(v, out);
            return exit_fail;
        }
        out << "audit log intact: " << v.records << " record(s) in " << cfg.store << ", head "
            << commands::to_string(v.head) << "\n";
        if (anchor) out << "anchor " << commands::to_string(*anchor) << " holds\n";
        if (v.keyed_records > 0)
            out << v.keyed_records << " record(s) keyed with HMAC-SHA256 (PROMOTEBOT_AUDIT_KEY)\n";
        if (key && v.keyed_records < v.records)
            out << "records 1.." << v.records - v.keyed_records
                << " have plain SHA-256 hashes (written without the key): only an anchor protects them "
                   "against a rewrite\n";
        return exit_ok;
    }
    if (sub == "anchor") {
        const auto v = st->verify_audit();
        if (!v.ok) {
            print_break(v, out);
            err << "promotebot: a broken audit log is not anchored\n";
            return exit_fail;
        }
        out << commands::to_string(v.head) << "\n";
        return exit_ok;
    }
    if (sub == "export") {
        const auto* zone = date::locate_zone(cfg.timezone);
        const auto since_text = value_of(a, "--since");
        auto since = parse_time(since_text, zone);
        if (!since) {
            err << "promotebot: audit export needs --since YYYY-MM-DD (or a date-time)\n";
            return exit_usage;
        }
        const auto format = value_of(a, "--format", "jsonl");
        if (format != "jsonl" && format != "csv") {
            err << "promotebot: --format must be jsonl or csv, not '" << format << "'\n";
            return exit_usage;
        }
        commands::export_audit(st->audit_since(*since), format, out);
        return exit_ok;
    }
    err << "promotebot: audit needs a command: verify, anchor or export\n";
    return exit_usage;
}

int run_bot(const arguments& a, std::istream& in, std::ostream& out, std::ostream& err) {
    const auto cfg = load(a);
    auto env = slack_environment_from_env(cfg);
    if (!env.app_token.empty()) register_secret(env.app_token);
    if (!env.bot_token.empty()) register_secret(env.bot_token);
    auto st = sqlite::open_sqlite_store_for_bot(cfg.store, audit_key_from_env());
    if (a.flags.count("--console") || env.app_token.empty()) {
        if (!a.flags.count("--console"))
            spdlog::info("SLACK_APP_TOKEN is not set: running in console mode");
        console_options options;
        options.user = value_of(a, "--user");
        return run_console(cfg, *st, in, out, options);
    }
    if (env.app_token.rfind("xapp-", 0) != 0) {
        err << "promotebot: SLACK_APP_TOKEN must be an app-level token (xapp-...)\n";
        return exit_usage;
    }
    if (env.bot_token.rfind("xoxb-", 0) != 0) {
        err << "promotebot: SLACK_BOT_TOKEN must be set to the bot token (xoxb-...)\n";
        return exit_usage;
    }
    spdlog::info("promotebot {} starting: config {}, store {}, {} Socket Mode link(s)", PROMOTEBOT_VERSION,
                 cfg.source_name, cfg.store, cfg.slack.connections);
    slack_app app(cfg, *st, env);
    return app.run();
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err) {
    auto args = parse_arguments(argc, argv, err);
    if (!args) return exit_usage;
    if (args->flags.count("--help")) {
        out << usage_text;
        return exit_ok;
    }
    if (args->flags.count("--version")) {
        out << "promotebot " << PROMOTEBOT_VERSION << "\n";
        return exit_ok;
    }
    const auto format = parse_log_format(value_of(*args, "--log-format", "text"));
    const auto level = parse_log_level(value_of(*args, "--log-level", "info"));
    if (!format || !level) {
        err << "promotebot: --log-format is text or json; --log-level is trace, debug, info, warn, error or "
               "critical\n";
        return exit_usage;
    }
    setup_logging(*format, *level);

    const auto command = args->positional.empty() ? std::string{} : args->positional.front();
    try {
        if (command.empty()) return run_bot(*args, in, out, err);
        if (command == "check-config") return check_config(*args, out, err);
        if (command == "freeze") return freeze_command(*args, out, err);
        if (command == "audit") return audit_command(*args, out, err);
        err << "promotebot: unknown command '" << command << "' (see --help)\n";
        return exit_usage;
    } catch (const config_error& e) {
        print_problems(e, err);
        return exit_usage;
    } catch (const std::exception& e) {
        err << "promotebot: " << redact(e.what()) << "\n";
        return exit_usage;
    }
}

}  // namespace promotebot::bot
