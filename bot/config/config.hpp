#pragma once
// The bot's configuration: one YAML file, secrets only from the environment.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/access/roles.hpp"

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

struct environment_settings {
    std::string name;        // "int" / "prod"
    std::string project_id;  // environments.<name>.project_id, e.g. markets-prod-12345
    std::vector<commands::role> deployers;  // environments.<name>.deployers: roles that may deploy
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

struct config {
    slack_settings slack;
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
config parse_config(const std::string& yaml_text, const std::string& source_name,
                    const file_reader& read_file);
config load_config_file(const std::string& path);
// The permission table this configuration grants: the runbook's table with
// the deploy rows taken from environments.<env>.deployers.
commands::permission_table permissions_of(const config& cfg);

// The configuration compiled into the binary (deploy/promotebot.example.yaml).
config embedded_default_config();
const std::string& embedded_default_config_text();

}  // namespace promotebot::bot
