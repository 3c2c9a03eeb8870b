#pragma once
// The bot's configuration: one YAML file, secrets only from the environment.
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/access/roles.hpp"
#include "commands/promotion/promotion.hpp"
#include "commands/rollback/rollback.hpp"

namespace promotebot::bot {

struct slack_settings {
    std::string release_channel;                  // slack.release_channel: channel ID, e.g. C0123456789
    std::string ca_file;                          // slack.ca_file: extra CA bundle (SSL_CERT_FILE also works)
    int connections = 2;                          // slack.connections: concurrent Socket Mode links, 1..10
    std::chrono::milliseconds ping_interval{5000};  // slack.ping_interval_ms
    std::chrono::milliseconds dead_after{15000};    // slack.dead_link_ms: silent longer than this = dead
    std::chrono::seconds group_cache_ttl{300};    // slack.group_cache_ttl_s: user-group membership cache
};

struct role_members {
    std::vector<std::string> users;   // Slack user IDs (U…/W…)
    std::vector<std::string> groups;  // Slack user-group IDs (S…)
};

// One deployment step: an argv template run without a shell.
struct step_settings {
    std::string name;                     // "docker push"
    commands::step_kind kind = commands::step_kind::command;
    std::vector<std::string> argv;        // placeholders {version}, {project_id}, … (see the README)
    std::string dir;                      // working directory; relative to the config file's folder
    std::chrono::seconds timeout{600};
};

struct environment_settings {
    std::string name;        // "int" / "prod"
    std::string project_id;  // environments.<name>.project_id, e.g. markets-prod-12345
    std::vector<commands::role> deployers;  // environments.<name>.deployers: roles that may deploy
    std::string kube_context;   // environments.<name>.kube_context: every kubectl call carries --context <it>
    std::string terraform_dir;  // environments.<name>.terraform_dir: Option A's working copy (resolved)
    std::vector<std::string> gates;                   // environments.<name>.gates, in checklist order
    std::vector<commands::signoff_kind> signoffs;     // environments.<name>.signoffs
    bool rollback_plan_required = false;              // environments.<name>.rollback_plan_required
    std::vector<step_settings> app_steps;             // environments.<name>.steps.app (Option B)
    std::vector<step_settings> infra_steps;           // environments.<name>.steps.infra (Option A)
};

// A gate answered by a command: exit 0 pass, 1 fail, anything else unknown.
struct check_settings {
    std::string id;
    std::string title;
    std::vector<std::string> argv;
    std::string environment = "prod";  // whose project_id and kube_context the placeholders take
    std::chrono::seconds timeout{120};
};

struct soak_settings {
    std::chrono::hours hours{24};
    // The int cronjob (kubectl … -o json, run against int's kube_context).
    std::vector<std::string> running_image;
    std::string container = "orchestrator";
    // The int image tag's upload time, when the bot did not deploy int itself.
    std::vector<std::string> tag_time;
};

struct cycles_settings {
    int minimum = 2;
    std::vector<std::string> argv;  // a query whose first column of the first row is the count
};

struct servicenow_settings {
    std::string url;             // servicenow.url; empty: the ServiceNow gates answer unknown
    std::string incident_query;  // servicenow.incident_query: extra encoded query, e.g. cmdb_ci=…
    std::chrono::seconds timeout{10};
};

struct dynatrace_settings {
    std::string url;               // dynatrace.url
    std::string problem_selector;  // dynatrace.problem_selector, e.g. managementZones("markets-prod")
    std::chrono::seconds timeout{10};
};

struct promotion_settings {
    std::chrono::seconds approval_ttl{std::chrono::hours(24)};
    std::chrono::seconds request_ttl{std::chrono::hours(24 * 7)};
    std::chrono::seconds gate_timeout{60};
    std::set<std::string> emergency_overrides;  // gates an emergency may override besides the freeze
    std::chrono::seconds verify_timeout{std::chrono::minutes(90)};
    std::chrono::seconds verify_poll{30};
    std::string cronjob = "markets-pipeline";   // whose Jobs verify a deploy
    soak_settings soak;
    cycles_settings cycles;
    std::vector<check_settings> checks;
};

struct holiday_source {
    std::string file;                            // path, relative to the config file's folder
    std::string division = "england-and-wales";  // gov.uk JSON only
};

struct freeze_settings {
    commands::freeze_rules rules;          // month_end, year_end, regulatory (dated windows)
    std::vector<holiday_source> holidays;  // freeze.holidays; loaded into rules.bank_holidays
};

struct audit_settings {
    // audit.channel: the Slack channel ID where the audit log's head (SEQ:HASH)
    // is posted once a day, so a copy lives outside the database; none when empty.
    std::string channel;
};

// /rollback: how proposals behave and where the previous images are listed.
struct rollback_settings {
    std::chrono::seconds proposal_ttl{std::chrono::minutes(30)};  // rollback.proposal_ttl_min
    bool allow_known_good_during_freeze = true;                   // rollback.allow_known_good_during_freeze
    // rollback.registry_tags: the image's tags, newest first (run with the environment's values).
    std::vector<std::string> registry_tags;
    // rollback.confirmers: the roles that may press Roll back.
    std::vector<commands::role> confirmers{commands::role::on_call, commands::role::release_manager};
    // rollback.infra_ref: what `/rollback infra` restores the Terraform code to.
    std::string infra_ref{commands::default_infra_ref};
    // rollback.steps.image|dbt|infra: the commands of each kind of rollback
    // (default: the runbook's Rollback Procedure).
    std::vector<commands::rollback_step_plan> image_steps = commands::runbook_image_rollback_steps();
    std::vector<commands::rollback_step_plan> dbt_steps = commands::runbook_dbt_rollback_steps();
    std::vector<commands::rollback_step_plan> infra_steps = commands::runbook_infra_rollback_steps();
};

// http.listen: where /healthz, /readyz and /metrics answer.
struct http_settings {
    bool enabled = true;            // false for "" or "off"
    std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
    int port = 9090;                // 0: one the OS chooses
};

// replicas: several processes on one (PostgreSQL) store.
struct replica_settings {
    // How long work running in one replica's process (gate checks, a step,
    // an inbound event being handled, a message being sent) stays its own
    // without renewal: a replica that dies is taken over after at most this.
    std::chrono::seconds lease{30};
};

struct config {
    slack_settings slack;
    http_settings http;
    replica_settings replicas;
    rollback_settings rollback;
    servicenow_settings servicenow;
    dynatrace_settings dynatrace;
    promotion_settings promotion;
    std::map<std::string, std::string> tools;  // tools.<name>: a path instead of the name on PATH
    std::string base_dir;                       // the config file's folder (relative paths start here)
    std::string timezone = "Europe/London";
    std::string store = "promotebot.db";  // SQLite file path
    std::map<commands::role, role_members> roles;
    std::map<std::string, environment_settings> environments;
    freeze_settings freeze;
    audit_settings audit;
    std::string source_name;  // file the config came from ("<embedded>" for the defaults)
};

// One problem in a config file: the key's dotted path, its line, what is wrong.
struct config_problem {
    std::string path;  // "slack.connections"
    int line = 0;      // 1-based; 0 when the key is missing altogether
    std::string message;
};

class config_error : public std::runtime_error {
public:
    // what() lists every problem, one a line: "<source>:<line>: <path>: <message>".
    explicit config_error(std::vector<config_problem> problems, std::string source_name = "config");
    [[nodiscard]] const std::vector<config_problem>& problems() const { return problems_; }
    [[nodiscard]] const std::string& source_name() const { return source_name_; }

private:
    std::vector<config_problem> problems_;
    std::string source_name_;
};

// Reads a file's text by path; the embedded defaults serve their own files.
using file_reader = std::function<std::optional<std::string>(const std::string& path)>;

// Parses and validates: unknown keys, wrong types, a bad time zone, a bad role
// name, missing required values, unreadable holiday files. Throws config_error
// listing every problem found.
// `base_dir`: where relative paths (terraform_dir, step dirs) start; empty: the working directory.
config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const file_reader& read_file, const std::string& base_dir = {});
config load_config_file(const std::string& path);
// The permission table this configuration grants: the runbook's table with
// the deploy rows taken from environments.<env>.deployers.
commands::permission_table permissions_of(const config& cfg);
// The rules the environment's promotion requests follow.
commands::promotion_policy promotion_policy_of(const config& cfg, const std::string& environment);
// The rules the environment's rollbacks follow.
commands::rollback_policy rollback_policy_of(const config& cfg, const std::string& environment);
// The titles of the runbook's gates and of the configured checks.
std::string gate_title(const config& cfg, const std::string& gate_id);

// The configuration compiled into the binary (deploy/promotebot.example.yaml).
config embedded_default_config();
const std::string& embedded_default_config_text();

}  // namespace promotebot::bot
