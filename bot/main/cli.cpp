#include "bot/main/cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "bot/config/config.hpp"
#include "bot/main/console_mode.hpp"
#include "bot/services/freeze_source.hpp"
#include "bot/main/logging.hpp"
#include "bot/main/slack_app.hpp"
#include "bot/ports/store.hpp"
#include "commands/audit/audit_anchor.hpp"
#include "commands/audit/audit_chain.hpp"
#include "bot/main/store_selection.hpp"
#include "commands/freeze/freeze_view.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "commands/promotion/promotion_view.hpp"
#include "integrations/console/console_render.hpp"
#include <limits>

namespace promotebot::bot {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_fail = 1;
constexpr int exit_usage = 2;

const char* environment_text =
    "Each command has its own --help, e.g. `promotebot freeze status --help`.\n"
    "\n"
    "Environment: SLACK_APP_TOKEN (xapp-), SLACK_BOT_TOKEN (xoxb-), SLACK_API_URL (default\n"
    "https://slack.com/api/), SSL_CERT_FILE (extra CA bundle), PROMOTEBOT_AUDIT_KEY (keys the audit\n"
    "hashes with HMAC-SHA256). Dates are YYYY-MM-DD; date-times are\n"
    "YYYY-MM-DDTHH:MM[:SS] in the configured time zone, or with Z / +HH:MM.\n"
    "Exit codes: 0 ok (freeze status: not frozen), 1 frozen / audit log broken / runtime error,\n"
    "2 usage or configuration error.\n";

// Every value the command line takes, as given; the validators declared with
// each option have checked its shape by the time a command runs.
struct arguments {
    std::string config;
    bool console = false;
    std::string user;
    std::string log_format = "text";
    std::string log_level = "info";
    std::string at;
    bool json = false;
    bool no_store = false;
    std::string from, to;
    std::string since;
    std::string format = "jsonl";
    std::string anchor;
    std::int64_t promotion = 0;
    int limit = 20;
    bool dry_run = false;
};

// A usage problem found after parsing (a store that is not there, dates in the
// wrong order): exit 2 with the message.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Real offsets run from -12:00 to +14:00.
constexpr std::chrono::minutes max_utc_offset{14 * 60};

std::optional<commands::typed_moment> checked_moment(const std::string& text) {
    auto moment = commands::parse_moment(text);
    if (moment && moment->utc_offset &&
        (*moment->utc_offset > max_utc_offset || *moment->utc_offset < -std::chrono::minutes{12 * 60}))
        return std::nullopt;
    return moment;
}

// Validators name the value; CLI11 puts the option's name in front.
CLI::Validator date_time_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (checked_moment(text)) return {};
            return "'" + text +
                   "' is not a date-time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], offsets -12:00 to +14:00)";
        },
        "", "date-time");
}

CLI::Validator date_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto moment = checked_moment(text);
            if (moment && moment->date_only) return {};
            return "'" + text + "' is not a date (YYYY-MM-DD)";
        },
        "", "date");
}

CLI::Validator one_of(std::vector<std::string> words) {
    std::string list;
    for (const auto& w : words) list += (list.empty() ? "" : "|") + w;
    return CLI::Validator(
        [words, list](std::string& text) -> std::string {
            if (std::find(words.begin(), words.end(), text) != words.end()) return {};
            return "'" + text + "' is not one of " + list;
        },
        "", "one of");
}

CLI::Validator anchor_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            if (commands::parse_audit_anchor(text)) return {};
            return "'" + text +
                   "' is not SEQ:HASH (a record number, a colon and its 64 hex digits; 0: for the empty log)";
        },
        "", "anchor");
}

// Options given once at most; flags too (CLI11 lets a flag repeat by default).
CLI::Option* once(CLI::Option* option) { return option->multi_option_policy(CLI::MultiOptionPolicy::Throw); }

void add_config_option(CLI::App& command, arguments& a, bool required) {
    auto* option = command.add_option("--config", a.config,
                                      required ? "the YAML configuration to use"
                                               : "the YAML configuration (default: the embedded example)");
    option->type_name("FILE");
    if (required) option->required();
}

// The innermost command the parser reached, for naming it in an error.
const CLI::App* innermost(const CLI::App& app) {
    const CLI::App* at = &app;
    for (bool deeper = true; deeper;) {
        deeper = false;
        for (const auto* sub : at->get_subcommands([](const CLI::App* s) { return s->parsed(); })) {
            at = sub;
            deeper = true;
            break;
        }
    }
    return at;
}

std::string command_path(const CLI::App& app) {
    std::string path;
    for (const auto* at = &app; at != nullptr; at = at->get_parent())
        path = at->get_name() + (path.empty() ? "" : " " + path);
    return path;
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
    return a.config.empty() ? embedded_default_config() : load_config_file(a.config);
}

// The store as the read-only commands see it: never created, never migrated,
// never written; a missing file is a usage error naming the path and the key.
// (A PostgreSQL database is never created by a connection: nothing to check first.)
std::unique_ptr<storage::synchronous_store> open_store_read_only(const config& cfg,
                                                                 std::optional<commands::audit_key> key,
                                                                 const std::string& without_it = {}) {
    std::error_code ec;
    if (!is_postgresql_store(cfg.store) && !std::filesystem::exists(cfg.store, ec))
        throw usage_error("there is no store at " + cfg.store + " (the config's `store` key)" + without_it);
    return bot::open_store_read_only(cfg.store, std::move(key));
}

// A local date (start of day) or a date-time, local unless it carries Z or an
// offset. The option's validator has already accepted the text.
sys_seconds to_time(const std::string& text, const date::time_zone* zone) {
    const auto moment = checked_moment(text);
    if (!moment) throw usage_error("'" + text + "' is not a date-time");
    if (moment->utc_offset) return sys_seconds{moment->at.time_since_epoch()} - *moment->utc_offset;
    return to_instant(moment->at, zone);
}

date::local_days to_day(const std::string& text) {
    const auto moment = checked_moment(text);
    if (!moment || !moment->date_only) throw usage_error("'" + text + "' is not a date");
    return date::floor<date::days>(moment->at);
}

int check_config(const arguments& a, std::ostream& out, std::ostream& err) {
    try {
        const auto cfg = load_config_file(a.config);
        try {
            require_store_library(cfg.store);
        } catch (const std::runtime_error& e) {
            err << "promotebot: " << a.config << ": store \"" << store_for_log(cfg.store) << "\": " << redact(e.what())
                << "\n";
            return exit_usage;
        }
        out << "configuration OK: " << a.config << " (time zone " << cfg.timezone << ", store " << store_for_log(cfg.store) << ", "
            << cfg.freeze.rules.bank_holidays.size() << " bank holidays)\n";
        return exit_ok;
    } catch (const config_error& e) {
        print_problems(e, err);
        return exit_usage;
    }
}

commands::freeze_calendar freeze_calendar_for(const arguments& a, const config& cfg) {
    const auto* zone = date::locate_zone(cfg.timezone);
    // Without the store the ad-hoc windows are unknown: answering "not frozen"
    // would let a CI gate through, so only --no-store asks for the rules alone.
    if (a.no_store) return commands::freeze_calendar(zone, cfg.freeze.rules);
    const auto st = open_store_read_only(
        cfg, std::nullopt,
        "; ad-hoc freeze windows live there. Pass --no-store to answer from the calendar rules alone");
    return build_calendar(cfg, *st);
}

int freeze_status(const arguments& a, std::ostream& out) {
    const auto cfg = load(a);
    const auto* zone = date::locate_zone(cfg.timezone);
    const auto at = a.at.empty() ? std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())
                                 : to_time(a.at, zone);
    const auto calendar = freeze_calendar_for(a, cfg);
    const auto status = calendar.status_at(at);
    if (a.json) {
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

int freeze_list(const arguments& a, std::ostream& out) {
    const auto from = to_day(a.from);
    const auto to = to_day(a.to);
    if (to < from) throw usage_error("--to " + a.to + " is before --from " + a.from);
    const auto cfg = load(a);
    const auto* zone = date::locate_zone(cfg.timezone);
    const auto calendar = freeze_calendar_for(a, cfg);
    const auto start = to_instant(date::local_seconds{from}, zone);
    const auto end = to_instant(date::local_seconds{to + date::days{1}}, zone);
    const auto windows = calendar.windows_between(start, end);
    if (a.json) {
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

void print_break(const audit_verification& v, std::ostream& out) {
    out << "audit log BROKEN at record " << (v.first_broken_seq ? std::to_string(*v.first_broken_seq) : "?") << ": "
        << v.problem << "\n";
}

int audit_verify(const arguments& a, std::ostream& out) {
    std::optional<audit_anchor> anchor;
    if (!a.anchor.empty()) anchor = commands::parse_audit_anchor(a.anchor);
    const auto cfg = load(a);
    const auto key = audit_key_from_env();
    const auto st = open_store_read_only(cfg, key);
    const auto v = st->verify_audit(anchor);
    if (!v.ok) {
        print_break(v, out);
        return exit_fail;
    }
    out << "audit log intact: " << v.records << " record(s) in " << store_for_log(cfg.store) << ", head "
        << commands::to_string(v.head) << "\n";
    if (anchor) out << "anchor " << commands::to_string(*anchor) << " holds\n";
    if (v.keyed_records > 0) out << v.keyed_records << " record(s) keyed with HMAC-SHA256 (PROMOTEBOT_AUDIT_KEY)\n";
    if (key && v.keyed_records < v.records)
        out << "records 1.." << v.records - v.keyed_records
            << " have plain SHA-256 hashes (written without the key): only an anchor protects them "
               "against a rewrite\n";
    return exit_ok;
}

int audit_anchor_command(const arguments& a, std::ostream& out, std::ostream& err) {
    const auto cfg = load(a);
    const auto st = open_store_read_only(cfg, audit_key_from_env());
    const auto v = st->verify_audit();
    if (!v.ok) {
        print_break(v, out);
        err << "promotebot: a broken audit log is not anchored\n";
        return exit_fail;
    }
    out << commands::to_string(v.head) << "\n";
    return exit_ok;
}

int audit_export(const arguments& a, std::ostream& out) {
    const auto cfg = load(a);
    const auto since = to_time(a.since, date::locate_zone(cfg.timezone));
    const auto st = open_store_read_only(cfg, audit_key_from_env());
    auto records = st->audit_since(since);
    if (a.promotion > 0) {
        // The whole story of one promotion: every record about it.
        const auto subject = "promotion #" + std::to_string(a.promotion);
        std::erase_if(records, [&](const commands::audit_record& r) {
            const auto& d = r.entry.detail;
            const bool tagged = d.is_object() && d.contains("promotion") && d["promotion"].is_number_integer() &&
                                d["promotion"].get<std::int64_t>() == a.promotion;
            return !tagged && r.entry.subject != subject;
        });
    }
    commands::export_audit(records, a.format, out);
    return exit_ok;
}

nlohmann::json deployment_json(const deployment_record& d) {
    return {{"id", d.id},
            {"promotion", d.promotion_id},
            {"environment", d.environment},
            {"version", d.version},
            {"image_digest", d.image_digest},
            {"option", d.option},
            {"requested_by", d.requested_by},
            {"approved_by", d.approved_by},
            {"change_records", d.change_records},
            {"gates", d.gates},
            {"started_at", d.started_at.time_since_epoch().count()},
            {"ended_at", d.ended_at ? nlohmann::json(d.ended_at->time_since_epoch().count()) : nlohmann::json(nullptr)},
            {"result", d.result},
            {"detail", d.detail}};
}

int promotions_list(const arguments& a, std::ostream& out) {
    const auto cfg = load(a);
    const auto st = open_store_read_only(cfg, audit_key_from_env());
    const auto zone = date::locate_zone(cfg.timezone);
    const auto rows = st->recent_promotions(a.limit);
    if (a.json) {
        auto j = nlohmann::json::array();
        for (const auto& r : rows)
            j.push_back({{"id", r.id},
                         {"environment", r.environment},
                         {"version", r.version},
                         {"state", r.state},
                         {"requested_by", r.requested_by},
                         {"created_at", commands::format_iso(r.created_at, zone)},
                         {"updated_at", commands::format_iso(r.updated_at, zone)}});
        out << j.dump(2) << "\n";
        return exit_ok;
    }
    if (rows.empty()) out << "No promotions yet.\n";
    for (const auto& r : rows)
        out << "#" << r.id << "  " << r.version << " -> " << r.environment << "  " << r.state << "  requested by "
            << r.requested_by << "  " << commands::format_local(r.created_at, zone) << "\n";
    return exit_ok;
}

int promotions_show(const arguments& a, std::ostream& out, std::ostream& err) {
    const auto cfg = load(a);
    const auto st = open_store_read_only(cfg, audit_key_from_env());
    const auto zone = date::locate_zone(cfg.timezone);
    const auto row = st->promotion(a.promotion);
    if (!row) {
        err << "promotebot: there is no promotion #" << a.promotion << "\n";
        return exit_fail;
    }
    const auto deployment = st->deployment_of_promotion(a.promotion);
    const auto output = st->step_output(a.promotion);
    if (a.json) {
        nlohmann::json j{{"id", row->id},
                         {"state", row->state},
                         {"row_version", row->row_version},
                         {"request", row->doc},
                         {"deployment", deployment ? deployment_json(*deployment) : nlohmann::json(nullptr)}};
        auto lines = nlohmann::json::array();
        for (const auto& l : output) lines.push_back({{"step", l.step}, {"stream", l.stream}, {"text", l.text}});
        j["output"] = lines;
        out << j.dump(2) << "\n";
        return exit_ok;
    }
    try {
        const auto p = commands::promotion_from_json(row->doc);
        const auto policy = promotion_policy_of(cfg, row->environment);
        out << console::render_text(commands::promotion_message(p, policy, row->updated_at, zone), 0, false);
    } catch (const std::exception& e) {
        out << "#" << row->id << " " << row->version << " -> " << row->environment << " (" << row->state
            << "): the stored request is unreadable: " << e.what() << "\n";
    }
    if (deployment) {
        out << "\nDeployment record #" << deployment->id << ": " << deployment->result << ", started "
            << commands::format_local(deployment->started_at, zone);
        if (deployment->ended_at) out << ", ended " << commands::format_local(*deployment->ended_at, zone);
        if (!deployment->image_digest.empty()) out << ", image " << deployment->image_digest;
        out << "\n";
    }
    if (!output.empty()) {
        out << "\nOutput:\n";
        int step = -1;
        for (const auto& l : output) {
            if (l.step != step) {
                step = l.step;
                out << "--- step " << step + 1 << "\n";
            }
            out << (l.stream == "err" ? "! " : "  ") << l.text << "\n";
        }
    }
    return exit_ok;
}

int run_bot(const arguments& a, std::istream& in, std::ostream& out, std::ostream& err) {
    const auto cfg = load(a);
    auto env = slack_environment_from_env(cfg);
    if (!env.app_token.empty()) register_secret(env.app_token);
    if (!env.bot_token.empty()) register_secret(env.bot_token);
    auto st = open_store_for_bot(cfg.store, audit_key_from_env());
    if (a.console || env.app_token.empty()) {
        if (!a.console) spdlog::info("SLACK_APP_TOKEN is not set: running in console mode");
        console_options options;
        options.user = a.user;
        options.dry_run = a.dry_run;
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
                 cfg.source_name, store_for_log(cfg.store), cfg.slack.connections);
    env.dry_run = a.dry_run;
    if (a.dry_run) spdlog::warn("--dry-run: deployment steps print their argv and do not run");
    slack_app app(cfg, *st, env);
    return app.run();
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err) {
    arguments a;
    CLI::App app{"promotebot " PROMOTEBOT_VERSION
                 " — the release runbook as a Slack bot.\n"
                 "Without a command it runs the bot: with SLACK_APP_TOKEN and SLACK_BOT_TOKEN set it connects\n"
                 "to Slack (Socket Mode); without SLACK_APP_TOKEN, or with --console, it runs on this terminal.\n"
                 "Scripts ask `promotebot freeze status` whether production is frozen.",
                 "promotebot"};
    app.set_version_flag("--version", "promotebot " PROMOTEBOT_VERSION, "print the version and exit");
    app.require_subcommand(0, 1);
    // Options of running the bot; a command takes its own --config after its name.
    auto* run_config = once(app.add_option("--config", a.config,
                                           "the YAML configuration (default: the embedded example)"));
    run_config->type_name("FILE");
    auto* console = once(app.add_flag("--console", a.console, "run on this terminal even with SLACK_APP_TOKEN set"));
    auto* user = once(app.add_option("--user", a.user, "console mode: the Slack user ID to act as"))->type_name("ID");
    // Logging applies to every command; it may be given after the command's name.
    once(app.add_option("--log-format", a.log_format, "log line format (default text)"))
        ->type_name("text|json")
        ->check(one_of({"text", "json"}));
    once(app.add_option("--log-level", a.log_level, "lowest level logged: trace, debug, info (default), warn, error or critical"))
        ->type_name("LEVEL")  // trace|debug|info|warn|error|critical
        ->check(one_of({"trace", "debug", "info", "warn", "error", "critical"}));

    auto command = [&](CLI::App& parent, const std::string& name, const std::string& description) {
        auto* sub = parent.add_subcommand(name, description);
        sub->fallthrough();  // to the logging options, and to name a misplaced run option
        return sub;
    };
    auto exclude_run_options = [&](CLI::App* sub) {
        sub->excludes(run_config);
        sub->excludes(console);
        sub->excludes(user);
    };

    once(app.add_flag("--dry-run", a.dry_run, "print each deployment step's argv instead of running it"));

    auto* check = command(app, "check-config",
                          "Validates the configuration without connecting; exit 2 and one line per problem when it "
                          "is wrong.");
    add_config_option(*check, a, true);
    exclude_run_options(check);

    auto* freeze = command(app, "freeze", "The freeze calendar (configuration plus the store's ad-hoc windows).");
    freeze->require_subcommand(1, 1);
    exclude_run_options(freeze);
    const std::string no_store_help =
        "answer from the calendar rules alone, without the store's ad-hoc windows (otherwise a missing store is "
        "an error)";
    auto* status = command(*freeze, "status",
                           "Is production frozen (now, or at --at)? Exit 0 not frozen, 1 frozen, 2 error.");
    add_config_option(*status, a, false);
    once(status->add_option("--at", a.at, "the moment to ask about (default now)"))
        ->type_name("DATE-TIME")
        ->check(date_time_value());
    once(status->add_flag("--json", a.json, "answer as JSON"));
    once(status->add_flag("--no-store", a.no_store, no_store_help));
    auto* list = command(*freeze, "list", "The merged freeze windows that touch --from..--to (both inclusive).");
    add_config_option(*list, a, false);
    once(list->add_option("--from", a.from, "first day"))->type_name("DATE")->required()->check(date_value());
    once(list->add_option("--to", a.to, "last day"))->type_name("DATE")->required()->check(date_value());
    once(list->add_flag("--json", a.json, "answer as JSON"));
    once(list->add_flag("--no-store", a.no_store, no_store_help));

    auto* audit = command(app, "audit", "The audit log: verify its hash chain, take its anchor, export it.");
    audit->require_subcommand(1, 1);
    exclude_run_options(audit);
    auto* verify = command(*audit, "verify",
                           "Recomputes the hash chain; exit 1 and the first broken record when tampered. Opens the "
                           "store read-only (a read-only backup works).");
    add_config_option(*verify, a, false);
    once(verify->add_option("--anchor", a.anchor, "also exit 1 unless record SEQ still has exactly HASH"))
        ->type_name("SEQ:HASH")->check(anchor_value());
    auto* anchor = command(*audit, "anchor",
                           "Verifies the chain and prints its head as SEQ:HASH (0: for an empty log); keep it "
                           "elsewhere.");
    add_config_option(*anchor, a, false);
    auto* export_ = command(*audit, "export", "Writes the audit records since --since to standard output.");
    add_config_option(*export_, a, false);
    once(export_->add_option("--since", a.since, "a date, or a date-time"))
        ->type_name("DATE-TIME")
        ->required()
        ->check(date_time_value());
    once(export_->add_option("--format", a.format, "jsonl (default) or csv"))
        ->type_name("jsonl|csv")
        ->check(one_of({"jsonl", "csv"}));

    once(export_->add_option("--promotion", a.promotion, "only the records about this promotion"))
        ->type_name("ID")
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));

    auto* promotions = command(app, "promotions", "Promotion requests and their deployment records (read-only).");
    promotions->require_subcommand(1, 1);
    exclude_run_options(promotions);
    auto* plist = command(*promotions, "list", "The newest promotion requests, newest first.");
    add_config_option(*plist, a, false);
    once(plist->add_option("--limit", a.limit, "how many (default 20)"))->check(CLI::Range(1, 1000));
    once(plist->add_flag("--json", a.json, "answer as JSON"));
    auto* pshow = command(*promotions, "show", "One request: its checklist, deployment record and full output.");
    add_config_option(*pshow, a, false);
    once(pshow->add_option("id", a.promotion, "the promotion's number"))
        ->required()
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
    once(pshow->add_flag("--json", a.json, "answer as JSON"));

    app.footer(environment_text);  // after the commands: they would inherit it
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, out, err) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, out, err) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e, out, err) == 0 ? exit_ok : exit_usage;
    } catch (const CLI::ParseError& e) {
        const auto& where = *innermost(app);
        std::string message = e.what();
        // CLI11 says "freeze excludes --console" for an option of running the bot given to a command.
        if (const auto excludes = message.find(" excludes "); dynamic_cast<const CLI::ExcludesError*>(&e) &&
                                                               excludes != std::string::npos)
            message = message.substr(excludes + 10) +
                      " is an option of running the bot; a command's own options come after its name";
        err << command_path(where) << ": " << message << "\nRun `" << command_path(where)
            << " --help` for its options.\n";
        return exit_usage;
    }

    setup_logging(*parse_log_format(a.log_format), *parse_log_level(a.log_level));
    try {
        if (check->parsed()) return check_config(a, out, err);
        if (status->parsed()) return freeze_status(a, out);
        if (list->parsed()) return freeze_list(a, out);
        if (verify->parsed()) return audit_verify(a, out);
        if (anchor->parsed()) return audit_anchor_command(a, out, err);
        if (export_->parsed()) return audit_export(a, out);
        if (plist->parsed()) return promotions_list(a, out);
        if (pshow->parsed()) return promotions_show(a, out, err);
        return run_bot(a, in, out, err);
    } catch (const config_error& e) {
        print_problems(e, err);
        return exit_usage;
    } catch (const std::exception& e) {
        err << "promotebot: " << redact(e.what()) << "\n";
        return exit_usage;
    }
}

}  // namespace promotebot::bot
