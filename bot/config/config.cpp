// Loads and validates the bot's YAML configuration, collecting every problem.
#include "bot/config/config.hpp"

#include "commands/freeze/holiday_sources.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/message/message.hpp"
#include "commands/message/text.hpp"
#include "commands/promotion/argv_template.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include <date/tz.h>
#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace promotebot::bot {

// The example configuration and its holiday files, compiled in by bot/CMakeLists.txt.
namespace embedded {
std::string_view config_yaml();
std::optional<std::string_view> file(std::string_view path);
}  // namespace embedded

namespace {

using commands::role;

using commands::role_named;

// The roles' config names (the allow-list for roles.<name> and deployers), for messages.
std::string role_list() {
    std::string out;
    for (const role r : commands::all_roles) out += (out.empty() ? "" : ", ") + std::string{commands::to_string(r)};
    return out;
}

// Deploying to `environment_name` is this action of the permission table.
commands::action deploy_action(std::string_view environment_name) {
    return environment_name == "prod" ? commands::action::deploy_prod : commands::action::deploy_int;
}

// A value quoted back in a problem: at most this many bytes of it, so that a
// 30,000-character ID makes a one-line message; control bytes show as '?'.
constexpr std::size_t max_quoted = 64;

std::string quote(std::string_view s) {
    std::string out = "\"";
    std::size_t n = std::min(s.size(), max_quoted);
    // Cut at a character boundary: back off UTF-8 continuation bytes.
    while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        out += c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c);
    }
    out += '"';
    if (n < s.size()) out += " (cut, " + std::to_string(s.size()) + " characters in all)";
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string unknown_role(std::string_view name) {
    std::string message = "unknown role \"" + std::string{name} + "\"";
    std::optional<std::string_view> guess;
    std::size_t best = 3;  // more than two edits away is a different word
    for (const role r : commands::all_roles) {
        const auto text = commands::to_string(r);
        const auto d = edit_distance(name, text);
        if (d < best && d * 2 < std::max(name.size(), text.size())) {
            guess = text;
            best = d;
        }
    }
    if (guess) message += " (did you mean \"" + std::string{*guess} + "\"?)";
    return message + "; roles are: " + role_list();
}

std::optional<std::string_view> closest(std::string_view key, std::initializer_list<std::string_view> known) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 3;  // more than two edits away is a different word
    for (const auto known_key : known) {
        const auto d = edit_distance(key, known_key);
        if (d < best_distance && d * 2 < std::max(key.size(), known_key.size())) {
            best = known_key;
            best_distance = d;
        }
    }
    return best;
}

std::string join_keys(std::initializer_list<std::string_view> known) {
    std::string out;
    for (const auto k : known) out += (out.empty() ? "" : ", ") + std::string{k};
    return out;
}

int line_of(const YAML::Node& node) {
    const auto mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return "nothing";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Scalar: return node.Tag() == "?" ? quote(node.Scalar()) : "the text " + quote(node.Scalar());
        default: return "nothing";
    }
}

// Hand-written validators: linear in the input, bounded in length, no regex
// (std::regex recurses per character and overflows the stack on long input).
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A GCP project ID: 6 to 30 lower-case letters, digits or hyphens, starting
// with a letter and not ending with a hyphen.
bool is_project_id(std::string_view v) {
    if (v.size() < 6 || v.size() > 30) return false;
    if (!(v.front() >= 'a' && v.front() <= 'z') || v.back() == '-') return false;
    return std::all_of(v.begin(), v.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

// An IANA zone name's shape ("Europe/London", "Etc/GMT+1"): parts of letters,
// digits, '_', '+' or '-', separated by single slashes. The longest in the
// database is 32 characters.
bool is_zone_name(std::string_view v) {
    if (v.empty() || v.size() > 64 || v.front() == '/' || v.back() == '/') return false;
    char previous = '/';
    for (const char c : v) {
        const bool part_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                               c == '_' || c == '+' || c == '-';
        if (!part_char && !(c == '/' && previous != '/')) return false;
        previous = c;
    }
    return true;
}

// A gov.uk division ("england-and-wales"): a lower-case letter, then
// lower-case letters and hyphens.
bool is_division_name(std::string_view v) {
    if (v.empty() || v.size() > 64 || !(v.front() >= 'a' && v.front() <= 'z')) return false;
    return std::all_of(v.begin(), v.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

std::string not_a_slack_id(std::string_view v, commands::mention_kind kind) {
    const std::string_view what = kind == commands::mention_kind::user      ? "user"
                                  : kind == commands::mention_kind::channel ? "channel"
                                                                            : "user-group";
    return quote(v) + " is not a Slack " + std::string{what} + " ID (" + std::string{commands::slack_id_shape(kind)} +
           ")";
}

std::optional<int> digits(std::string_view s) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
        return std::nullopt;
    int value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
}

std::optional<date::month_day> parse_month_day(std::string_view s) {
    if (s.size() != 5 || s[2] != '-') return std::nullopt;
    const auto m = digits(s.substr(0, 2));
    const auto d = digits(s.substr(3, 2));
    if (!m || !d) return std::nullopt;
    const date::month_day md{date::month{static_cast<unsigned>(*m)}, date::day{static_cast<unsigned>(*d)}};
    if (!md.ok()) return std::nullopt;
    return md;
}

bool ends_with_ics(std::string_view file) { return commands::iends_with(file, ".ics"); }

// "127.0.0.1:9090", "[::1]:9090": an IP literal (no host name: nothing is
// resolved at start) and a port 0..65535.
std::optional<http_settings> parse_listen_address(std::string_view v) {
    if (v.size() > 64) return std::nullopt;
    std::string_view host;
    std::string_view port;
    bool v6 = false;
    if (v.starts_with('[')) {
        const auto close = v.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = v.substr(1, close - 1);
        port = v.substr(close + 2);
        v6 = true;
    } else {
        const auto colon = v.rfind(':');
        if (colon == std::string_view::npos || v.find(':') != colon) return std::nullopt;
        host = v.substr(0, colon);
        port = v.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
        return std::nullopt;
    int number = 0;
    std::from_chars(port.data(), port.data() + port.size(), number);
    if (number > 65535) return std::nullopt;
    const std::string address{host};
    unsigned char buffer[sizeof(in6_addr)];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), buffer) != 1) return std::nullopt;
    return http_settings{true, address, number};
}

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string{key} : parent + "." + std::string{key};
}

std::string index_path(const std::string& parent, std::size_t i) {
    return parent + "[" + std::to_string(i) + "]";
}

class config_parser {
public:
    config_parser(std::string source_name, const file_reader& read_file, std::string base_dir)
        : read_file_(read_file), base_dir_(std::move(base_dir)) {
        config_.source_name = std::move(source_name);
        config_.base_dir = base_dir_;
        apply_promotion_defaults(config_.promotion);
        apply_rollback_defaults(config_.rollback);
    }

    // The runbook's sources for the soak, cycle and quarantine gates.
    static void apply_rollback_defaults(rollback_settings& r) {
        r.registry_tags = {"gcloud", "container", "images", "list-tags", "gcr.io/{project_id}/markets-orchestrator",
                           "--sort-by=~TIMESTAMP", "--format=json"};
    }

    static void apply_promotion_defaults(promotion_settings& p) {
        p.emergency_overrides = {"soak", "pipeline_cycles"};
        p.soak.running_image = {"kubectl", "get", "cronjob", "markets-pipeline", "-n", "markets", "-o", "json"};
        p.soak.tag_time = {"gcloud", "container", "images", "list-tags", "gcr.io/{project_id}/markets-orchestrator",
                           "--filter=tags:{version}", "--format=json"};
        p.cycles.argv = {"bq", "query", "--use_legacy_sql=false", "--format=json",
                         "--parameter=version:STRING:{version}", "--parameter=since:TIMESTAMP:{since}",
                         "SELECT COUNT(DISTINCT run_id) AS cycles FROM control.dbt_runs "
                         "WHERE version = @version AND run_timestamp >= @since AND status = 'success'"};
        check_settings quarantine;
        quarantine.id = "quarantine";
        quarantine.title = "No increase in quarantined rows";
        quarantine.argv = {"bq", "query", "--use_legacy_sql=false", "--format=json",
                           "SELECT IF(today > yesterday, ERROR(FORMAT('quarantined rows rose from %d to %d', "
                           "yesterday, today)), FORMAT('%d quarantined rows today, %d yesterday', today, yesterday)) "
                           "AS summary FROM (SELECT COUNTIF(DATE(quarantined_at) = CURRENT_DATE()) AS today, "
                           "COUNTIF(DATE(quarantined_at) = CURRENT_DATE() - 1) AS yesterday FROM control.quarantine)"};
        p.checks = {quarantine};
    }

    config parse(const std::string& yaml_text) {
        YAML::Node root;
        try {
            root = YAML::Load(yaml_text);
        } catch (const YAML::Exception& e) {
            problem("", e.mark.is_null() ? 0 : e.mark.line + 1, "not valid YAML: " + e.msg);
            throw config_error(std::move(problems_), config_.source_name);
        }
        if (!root.IsMap() && !root.IsNull()) {
            problem("", line_of(root), "the configuration must be a mapping of keys, got " + describe(root));
        } else {
            parse_root(root);
            load_regulatory_calendars();
        }
        if (problems_.empty()) check_calendar_accepts();
        if (!problems_.empty()) throw config_error(std::move(problems_), config_.source_name);
        return std::move(config_);
    }

private:
    // The checks above report each rule at its key; this is the net under
    // them: a configuration the freeze calendar would refuse at start is
    // refused here, so check-config never passes what the bot rejects later.
    void check_calendar_accepts() {
        try {
            const commands::freeze_calendar calendar{date::locate_zone(config_.timezone), config_.freeze.rules};
        } catch (const std::exception& e) {
            problem("freeze", 0, std::string{"the freeze calendar refuses these rules: "} + e.what());
        }
    }

    void problem(std::string path, int line, std::string message) {
        problems_.push_back(config_problem{std::move(path), line, std::move(message)});
    }

    // Visits each entry of a mapping; unknown and repeated keys are problems.
    template <class Handle>
    void each_entry(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> known,
                    Handle&& handle) {
        std::set<std::string> seen;
        for (const auto& entry : map) {
            const auto key_node = entry.first;
            const int line = line_of(key_node);
            if (!key_node.IsScalar()) {
                problem(path, line, "keys must be plain names, got " + describe(key_node));
                continue;
            }
            const std::string key = key_node.Scalar();
            const std::string key_path = join_path(path, key);
            if (!seen.insert(key).second) {
                problem(key_path, line, "is given more than once");
                continue;
            }
            if (known.size() != 0 && std::find(known.begin(), known.end(), key) == known.end()) {
                std::string message = "unknown key " + quote(key);
                if (const auto guess = closest(key, known)) message += " (did you mean " + quote(*guess) + "?)";
                else message += "; known keys: " + join_keys(known);
                problem(key_path, line, message);
                continue;
            }
            handle(key, entry.second, key_path, line);
        }
    }

    bool expect_map(const YAML::Node& node, const std::string& path, int line) {
        if (node.IsMap()) return true;
        problem(path, line, "expected a mapping of keys, got " + describe(node));
        return false;
    }

    std::optional<std::string> text(const YAML::Node& node, const std::string& path, int line) {
        if (node.IsScalar()) return node.Scalar();
        problem(path, line, "expected text, got " + describe(node));
        return std::nullopt;
    }

    std::optional<std::string> non_empty_text(const YAML::Node& node, const std::string& path, int line) {
        auto value = text(node, path, line);
        if (value && value->empty()) {
            problem(path, line, "must not be empty");
            return std::nullopt;
        }
        return value;
    }

    // Quoted numbers are text, not numbers: "two" and "2" are both refused.
    std::optional<int> whole_number(const YAML::Node& node, const std::string& path, int line, int min, int max) {
        std::optional<int> value;
        if (node.IsScalar() && node.Tag() == "?") {
            const std::string& s = node.Scalar();
            int parsed = 0;
            const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
            if (ec == std::errc{} && end == s.data() + s.size()) value = parsed;
            else if (ec == std::errc::result_out_of_range) {
                problem(path, line, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                        ", got " + s);
                return std::nullopt;
            }
        }
        if (!value) {
            problem(path, line, "expected a whole number, got " + describe(node));
            return std::nullopt;
        }
        if (*value < min || *value > max) {
            problem(path, line, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                    ", got " + std::to_string(*value));
            return std::nullopt;
        }
        return value;
    }

    std::optional<bool> boolean(const YAML::Node& node, const std::string& path, int line) {
        if (node.IsScalar() && node.Tag() == "?") {
            if (node.Scalar() == "true") return true;
            if (node.Scalar() == "false") return false;
        }
        problem(path, line, "expected true or false, got " + describe(node));
        return std::nullopt;
    }

    struct list_item {
        std::string text;
        int line = 0;
        std::size_t index = 0;  // position in the list as written
    };

    // A list of text items; an empty value counts as an empty list. An item
    // that is not text is a problem and left out; the others are returned so
    // that their own checks report them too.
    std::optional<std::vector<list_item>> text_list(const YAML::Node& node, const std::string& path, int line) {
        std::vector<list_item> out;
        if (node.IsNull()) return out;
        if (!node.IsSequence()) {
            problem(path, line, "expected a list, got " + describe(node));
            return std::nullopt;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            const auto item = node[i];
            const int item_line = line_of(item);
            if (!item.IsScalar()) {
                problem(index_path(path, i), item_line, "expected text, got " + describe(item));
                continue;
            }
            out.push_back(list_item{item.Scalar(), item_line, i});
        }
        return out;
    }

    void parse_root(const YAML::Node& root) {
        bool saw_slack = false;
        bool saw_environments = false;
        if (root.IsMap()) {
            each_entry(root, "", {"slack", "timezone", "store", "roles", "environments", "freeze", "audit", "servicenow",
                                  "dynatrace", "promotion", "tools", "rollback", "http", "replicas"},
                       [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                           if (key == "slack") {
                               saw_slack = true;
                               parse_slack(value, path, line);
                           } else if (key == "timezone") {
                               parse_timezone(value, path, line);
                           } else if (key == "store") {
                               if (auto s = non_empty_text(value, path, line)) config_.store = *s;
                           } else if (key == "roles") {
                               parse_roles(value, path, line);
                           } else if (key == "environments") {
                               saw_environments = true;
                               parse_environments(value, path, line);
                           } else if (key == "freeze") {
                               parse_freeze(value, path, line);
                           } else if (key == "audit") {
                               parse_audit(value, path, line);
                           } else if (key == "servicenow") {
                               auto& sn = config_.servicenow;
                               parse_http_source(value, path, line, "incident_query", sn.url, sn.incident_query,
                                                 sn.timeout);
                           } else if (key == "dynatrace") {
                               auto& dt = config_.dynatrace;
                               parse_http_source(value, path, line, "problem_selector", dt.url, dt.problem_selector,
                                                 dt.timeout);
                           } else if (key == "promotion") {
                               parse_promotion(value, path, line);
                           } else if (key == "tools") {
                               parse_tools(value, path, line);
                           } else if (key == "rollback") {
                               parse_rollback(value, path, line);
                           } else if (key == "http") {
                               parse_http(value, path, line);
                           } else if (key == "replicas") {
                               parse_replicas(value, path, line);
                           }
                       });
        }
        if (!saw_slack) problem("slack.release_channel", 0, "is required (the release channel's ID, e.g. C0123456789)");
        if (!saw_environments) {
            problem("environments.int", 0, "is required (with project_id)");
            problem("environments.prod", 0, "is required (with project_id)");
        }
        check_gate_names();
    }

    void parse_slack(const YAML::Node& node, const std::string& slack_path, int slack_line) {
        if (!expect_map(node, slack_path, slack_line)) return;
        auto& s = config_.slack;
        bool saw_channel = false;
        int dead_line = 0;
        bool ping_ok = true;
        bool dead_ok = true;
        each_entry(node, slack_path,
                   {"release_channel", "ca_file", "connections", "ping_interval_ms", "dead_link_ms",
                    "group_cache_ttl_s"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key == "release_channel") {
                           saw_channel = true;
                           if (auto v = text(value, path, line)) {
                               if (commands::is_slack_id(commands::mention_kind::channel, *v)) s.release_channel = *v;
                               else problem(path, line, not_a_slack_id(*v, commands::mention_kind::channel));
                           }
                       } else if (key == "ca_file") {
                           if (auto v = text(value, path, line)) s.ca_file = *v;
                       } else if (key == "connections") {
                           if (auto v = whole_number(value, path, line, 1, 10)) s.connections = *v;
                       } else if (key == "ping_interval_ms") {
                           if (auto v = whole_number(value, path, line, 500, 60000)) s.ping_interval = std::chrono::milliseconds{*v};
                           else ping_ok = false;
                       } else if (key == "dead_link_ms") {
                           dead_line = line;
                           if (auto v = whole_number(value, path, line, 1, 120000)) s.dead_after = std::chrono::milliseconds{*v};
                           else dead_ok = false;
                       } else if (key == "group_cache_ttl_s") {
                           if (auto v = whole_number(value, path, line, 10, 86400)) s.group_cache_ttl = std::chrono::seconds{*v};
                       }
                   });
        if (!saw_channel) problem(join_path(slack_path, "release_channel"), slack_line, "is required (the release channel's ID, e.g. C0123456789)");
        if (ping_ok && dead_ok && s.dead_after <= s.ping_interval)
            problem(join_path(slack_path, "dead_link_ms"), dead_line != 0 ? dead_line : slack_line,
                    "must be more than slack.ping_interval_ms (" + std::to_string(s.ping_interval.count()) +
                        "), got " + std::to_string(s.dead_after.count()));
    }

    void parse_audit(const YAML::Node& node, const std::string& audit_path, int audit_line) {
        if (!expect_map(node, audit_path, audit_line)) return;
        each_entry(node, audit_path, {"channel"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key != "channel") return;
                       auto v = text(value, path, line);
                       if (!v || v->empty()) return;  // empty: no daily anchor post
                       if (commands::is_slack_id(commands::mention_kind::channel, *v)) config_.audit.channel = *v;
                       else problem(path, line, not_a_slack_id(*v, commands::mention_kind::channel) + ", or empty for none");
                   });
    }

    void parse_replicas(const YAML::Node& node, const std::string& section_path, int section_line) {
        if (!expect_map(node, section_path, section_line)) return;
        each_entry(node, section_path, {"lease_s"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key != "lease_s") return;
                       if (auto v = whole_number(value, path, line, 5, 600)) config_.replicas.lease = std::chrono::seconds{*v};
                   });
    }

    void parse_http(const YAML::Node& node, const std::string& http_path, int http_line) {
        if (!expect_map(node, http_path, http_line)) return;
        each_entry(node, http_path, {"listen"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key != "listen") return;
                       auto v = text(value, path, line);
                       if (!v) return;
                       if (v->empty() || *v == "off") {
                           config_.http.enabled = false;
                           return;
                       }
                       if (auto listen = parse_listen_address(*v)) {
                           config_.http = *listen;
                       } else {
                           problem(path, line,
                                   quote(*v) + " is not an address and port to listen on (e.g. 127.0.0.1:9090, "
                                               "0.0.0.0:9090 or [::1]:9090), or \"off\"");
                       }
                   });
    }

    void parse_timezone(const YAML::Node& node, const std::string& path, int line) {
        const auto name = non_empty_text(node, path, line);
        if (!name) return;
        // Only plausible zone names reach the tz database lookup.
        bool known = is_zone_name(*name);
        if (known) {
            try {
                (void)date::locate_zone(*name);
            } catch (const std::exception&) {
                known = false;
            }
        }
        if (known) config_.timezone = *name;
        else problem(path, line, "unknown time zone " + quote(*name) + " (expected an IANA name such as Europe/London)");
    }

    void parse_roles(const YAML::Node& node, const std::string& roles_path, int roles_line) {
        if (node.IsNull()) return;
        if (!expect_map(node, roles_path, roles_line)) return;
        each_entry(node, roles_path, {},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       const auto r = role_named(key);
                       if (!r) {
                           problem(path, line, unknown_role(key));
                           return;
                       }
                       role_members members;
                       if (!value.IsNull() && expect_map(value, path, line)) {
                           each_entry(value, path, {"users", "groups"},
                                      [&](const std::string& k, const YAML::Node& v, const std::string& p, int l) {
                                          auto ids = text_list(v, p, l);
                                          if (!ids) return;
                                          const bool users = k == "users";
                                          for (std::size_t i = 0; i < ids->size(); ++i) {
                                              const auto& [id, id_line, index] = (*ids)[i];
                                              const auto kind = users ? commands::mention_kind::user
                                                                      : commands::mention_kind::user_group;
                                              if (commands::is_slack_id(kind, id))
                                                  (users ? members.users : members.groups).push_back(id);
                                              else
                                                  problem(index_path(p, index), id_line, not_a_slack_id(id, kind));
                                          }
                                      });
                       }
                       config_.roles[*r] = std::move(members);
                   });
    }

    void parse_environments(const YAML::Node& node, const std::string& envs_path, int envs_line) {
        if (!expect_map(node, envs_path, envs_line)) return;
        std::set<std::string> seen;
        each_entry(node, envs_path, {"int", "prod"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       seen.insert(key);
                       parse_environment(key, value, path, line);
                   });
        for (const char* name : {"int", "prod"})
            if (!seen.count(name)) problem(join_path(envs_path, name), envs_line, "is required (with project_id)");
    }

    void parse_environment(const std::string& name, const YAML::Node& node, const std::string& env_path, int env_line) {
        environment_settings env;
        env.name = name;
        env.deployers = commands::permission_table::runbook().row(deploy_action(name)).roles;
        if (!expect_map(node, env_path, env_line)) {
            return;
        }
        bool saw_project = false;
        apply_environment_defaults(env);
        each_entry(node, env_path,
                   {"project_id", "deployers", "kube_context", "terraform_dir", "gates", "signoffs",
                    "rollback_plan_required", "steps"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key == "project_id") {
                           saw_project = true;
                           if (auto v = text(value, path, line)) {
                               if (is_project_id(*v)) env.project_id = *v;
                               else
                                   problem(path, line,
                                           quote(*v) + " is not a GCP project ID (6 to 30 lower-case letters, digits "
                                                       "or hyphens, starting with a letter, e.g. markets-prod-12345)");
                           }
                       } else if (key == "deployers") {
                           if (auto roles = role_names(value, path, line)) env.deployers = std::move(*roles);
                       } else {
                           parse_environment_promotion(env, key, value, path, line);
                       }
                   });
        if (!saw_project) problem(join_path(env_path, "project_id"), env_line, "is required (the GCP project ID)");
        config_.environments[name] = std::move(env);
    }

    // ---- promotions ---------------------------------------------------------

    // The runbook's commands, verbatim: what an environment does without a steps key.
    static std::vector<step_settings> runbook_app_steps() {
        const std::string image = "gcr.io/{project_id}/markets-orchestrator:{version}";
        return {
            {"docker build", commands::step_kind::command, {"docker", "build", "-t", image, "."}, "", std::chrono::seconds{1800}},
            {"docker push", commands::step_kind::push, {"docker", "push", image}, "", std::chrono::seconds{1800}},
            {"check the pushed digest", commands::step_kind::check_digest,
             {"gcloud", "container", "images", "list-tags", "gcr.io/{project_id}/markets-orchestrator",
              "--filter=tags:{version}", "--format=json"}, "", std::chrono::seconds{120}},
            {"kubectl set image", commands::step_kind::set_image,
             {"kubectl", "set", "image", "-n", "markets", "cronjob/markets-pipeline", "orchestrator=" + image}, "",
             std::chrono::seconds{120}},
            {"verify the next run", commands::step_kind::verify_jobs,
             {"kubectl", "get", "jobs", "-n", "markets", "-o", "json"}, "", std::chrono::seconds{60}},
        };
    }

    static std::vector<step_settings> runbook_infra_steps() {
        return {
            {"terraform init", commands::step_kind::command, {"terraform", "init", "-input=false"}, "", std::chrono::seconds{600}},
            {"terraform plan", commands::step_kind::terraform_plan,
             {"terraform", "plan", "-input=false", "-out=tfplan"}, "", std::chrono::seconds{1200}},
            {"terraform apply", commands::step_kind::terraform_apply,
             {"terraform", "apply", "-input=false", "tfplan"}, "", std::chrono::seconds{3600}},
        };
    }

    void apply_environment_defaults(environment_settings& env) {
        env.app_steps = runbook_app_steps();
        env.infra_steps = runbook_infra_steps();
        if (env.name == "prod") {
            env.gates = {"freeze", "soak", "pipeline_cycles", "incidents", "change_record", "performance",
                         "quarantine"};
            env.signoffs = {commands::signoff_kind::technical, commands::signoff_kind::data_quality};
            env.rollback_plan_required = true;
        }
    }

    // Placeholders every step and check may use.
    static std::set<std::string> step_placeholders() {
        return {"version", "project_id", "environment", "image", "digest", "promotion_id", "change_record",
                "kube_context", "since", "job_name"};
    }

    std::optional<std::vector<std::string>> argv_template(const YAML::Node& node, const std::string& path, int line) {
        auto items = text_list(node, path, line);
        if (!items) return std::nullopt;
        std::vector<std::string> argv;
        for (const auto& item : *items) argv.push_back(item.text);
        if (argv.size() != node.size()) return std::nullopt;  // a non-text item was reported
        const auto problems = commands::template_problems(argv, step_placeholders());
        for (const auto& p : problems) problem(path, line, p);
        if (!problems.empty()) return std::nullopt;
        return argv;
    }

    std::optional<std::string> relative_dir(const YAML::Node& node, const std::string& path, int line) {
        auto v = text(node, path, line);
        if (!v) return std::nullopt;
        if (v->empty()) return v;
        std::filesystem::path p{*v};
        if (p.is_relative() && !base_dir_.empty()) p = std::filesystem::path{base_dir_} / p;
        return p.lexically_normal().string();
    }

    void parse_steps(std::vector<step_settings>& out, const YAML::Node& node, const std::string& list_path,
                     int list_line) {
        out.clear();
        if (node.IsNull()) return;
        if (!node.IsSequence()) {
            problem(list_path, list_line, "expected a list of steps, got " + describe(node));
            return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            const auto item = node[i];
            const auto item_path = index_path(list_path, i);
            const int item_line = line_of(item);
            if (!expect_map(item, item_path, item_line)) continue;
            step_settings step;
            bool saw_name = false;
            bool saw_argv = false;
            each_entry(item, item_path, {"name", "kind", "argv", "dir", "timeout_s"},
                       [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                           if (key == "name") {
                               if (auto v = non_empty_text(value, path, line)) {
                                   step.name = *v;
                                   saw_name = true;
                               }
                           } else if (key == "kind") {
                               if (auto v = text(value, path, line)) {
                                   if (auto k = commands::step_kind_named(*v)) step.kind = *k;
                                   else
                                       problem(path, line,
                                               "unknown step kind " + quote(*v) +
                                                   "; kinds: command, push, check_digest, set_image, start_job, "
                                                   "verify_jobs, terraform_plan, terraform_apply");
                               }
                           } else if (key == "argv") {
                               saw_argv = true;
                               if (auto a = argv_template(value, path, line)) step.argv = std::move(*a);
                           } else if (key == "dir") {
                               if (auto d = relative_dir(value, path, line)) step.dir = *d;
                           } else if (key == "timeout_s") {
                               if (auto v = whole_number(value, path, line, 1, 86400)) step.timeout = std::chrono::seconds{*v};
                           }
                       });
            if (!saw_name) problem(join_path(item_path, "name"), item_line, "is required");
            if (!saw_argv) problem(join_path(item_path, "argv"), item_line, "is required (the command as a list)");
            out.push_back(std::move(step));
        }
    }

    void parse_environment_promotion(environment_settings& env, const std::string& key, const YAML::Node& value,
                                     const std::string& path, int line) {
        if (key == "kube_context") {
            if (auto v = text(value, path, line)) {
                if (v->empty() || commands::is_valid_kube_context(*v)) env.kube_context = *v;
                else problem(path, line, quote(*v) + " is not a kubectl context name (letters, digits, _ . : @ / -)");
            }
        } else if (key == "terraform_dir") {
            if (auto d = relative_dir(value, path, line)) env.terraform_dir = *d;
        } else if (key == "gates") {
            auto names = text_list(value, path, line);
            if (!names) return;
            env.gates.clear();
            for (const auto& n : *names) {
                gate_refs_.push_back({n.text, index_path(path, n.index), n.line});
                env.gates.push_back(n.text);
            }
        } else if (key == "signoffs") {
            auto names = text_list(value, path, line);
            if (!names) return;
            env.signoffs.clear();
            for (const auto& n : *names) {
                const auto k = commands::signoff_kind_named(n.text);
                if (k && (*k == commands::signoff_kind::technical || *k == commands::signoff_kind::data_quality))
                    env.signoffs.push_back(*k);
                else
                    problem(index_path(path, n.index), n.line,
                            "unknown sign-off " + quote(n.text) + "; sign-offs: technical, data_quality");
            }
        } else if (key == "rollback_plan_required") {
            if (auto b = boolean(value, path, line)) env.rollback_plan_required = *b;
        } else if (key == "steps") {
            if (!expect_map(value, path, line)) return;
            each_entry(value, path, {"app", "infra"},
                       [&](const std::string& k, const YAML::Node& v, const std::string& p, int l) {
                           parse_steps(k == "app" ? env.app_steps : env.infra_steps, v, p, l);
                       });
        }
    }

    std::optional<std::string> https_url(const YAML::Node& node, const std::string& path, int line) {
        auto v = text(node, path, line);
        if (!v || v->empty()) return v;
        const bool ok = (v->rfind("https://", 0) == 0 || v->rfind("http://127.0.0.1", 0) == 0) &&
                        v->find_first_of(" \t\r\n?#@") == std::string::npos && v->size() <= 512;
        if (!ok) {
            // The value is not repeated: it may hold a password.
            problem(path, line, "expected an https:// URL without credentials, query or spaces");
            return std::nullopt;
        }
        while (!v->empty() && v->back() == '/') v->pop_back();
        return v;
    }

    // servicenow and dynatrace: an https URL, one scope line (ServiceNow's
    // encoded incident query, Dynatrace's problem selector) and a timeout.
    void parse_http_source(const YAML::Node& node, const std::string& section, int section_line,
                           std::string_view scope_key, std::string& url, std::string& scope,
                           std::chrono::seconds& timeout) {
        if (node.IsNull() || !expect_map(node, section, section_line)) return;
        each_entry(node, section, {"url", scope_key, "timeout_s"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key == "url") {
                           if (auto v = https_url(value, path, line)) url = *v;
                       } else if (key == "timeout_s") {
                           if (auto v = whole_number(value, path, line, 1, 120)) timeout = std::chrono::seconds{*v};
                       } else if (auto v = text(value, path, line)) {
                           if (v->size() <= 1000 && v->find_first_of("\r\n&#") == std::string::npos) scope = *v;
                           else problem(path, line, "must be one line without & or #, at most 1000 characters");
                       }
                   });
    }

    // A non-empty list of role names, each known, duplicates dropped.
    std::optional<std::vector<role>> role_names(const YAML::Node& value, const std::string& path, int line) {
        auto names = text_list(value, path, line);
        if (!names) return std::nullopt;
        if (names->empty() && value.size() == 0) {
            problem(path, line, "must name at least one role; roles are: " + role_list());
            return std::nullopt;
        }
        std::vector<role> roles;
        bool bad = false;
        for (std::size_t i = 0; i < names->size(); ++i) {
            const auto& [role_name, role_line, index] = (*names)[i];
            if (const auto r = role_named(role_name)) {
                if (std::find(roles.begin(), roles.end(), *r) == roles.end()) roles.push_back(*r);
            } else {
                problem(index_path(path, index), role_line, unknown_role(role_name));
                bad = true;
            }
        }
        if (bad) return std::nullopt;
        return roles;
    }

    void parse_rollback(const YAML::Node& node, const std::string& section, int section_line) {
        if (node.IsNull() || !expect_map(node, section, section_line)) return;
        auto& r = config_.rollback;
        each_entry(node, section,
                   {"proposal_ttl_min", "allow_known_good_during_freeze", "registry_tags", "confirmers", "infra_ref",
                    "steps"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key == "proposal_ttl_min") {
                           if (auto v = whole_number(value, path, line, 1, 24 * 60)) r.proposal_ttl = std::chrono::minutes{*v};
                       } else if (key == "allow_known_good_during_freeze") {
                           if (auto b = boolean(value, path, line)) r.allow_known_good_during_freeze = *b;
                       } else if (key == "confirmers") {
                           if (auto roles = role_names(value, path, line)) r.confirmers = std::move(*roles);
                       } else if (key == "steps") {
                           if (!expect_map(value, path, line)) return;
                           each_entry(value, path, {"image", "dbt", "infra"},
                                      [&](const std::string& k, const YAML::Node& v, const std::string& p, int l) {
                                          const auto kind = *commands::rollback_kind_named(k);
                                          auto& out = kind == commands::rollback_kind::image ? r.image_steps
                                                      : kind == commands::rollback_kind::dbt ? r.dbt_steps
                                                                                            : r.infra_steps;
                                          parse_rollback_steps(kind, out, v, p, l);
                                      });
                       } else if (key == "infra_ref") {
                           if (auto v = non_empty_text(value, path, line)) {
                               if (commands::is_valid_git_ref(*v)) r.infra_ref = *v;
                               else problem(path, line, quote(*v) + " is not HEAD~N, a commit or a plain branch or tag name");
                           }
                       } else if (auto a = argv_template(value, path, line)) {
                           r.registry_tags = std::move(*a);
                       }
                   });
    }

    // A rollback's steps: like an environment's steps, with {ref} (infra) and
    // {models} (dbt, a whole argument) besides the step placeholders.
    void parse_rollback_steps(commands::rollback_kind kind, std::vector<commands::rollback_step_plan>& out,
                              const YAML::Node& node, const std::string& list_path, int list_line) {
        out.clear();
        if (!node.IsSequence() || node.size() == 0) {
            problem(list_path, list_line, "expected a non-empty list of steps, got " + describe(node));
            return;
        }
        auto allowed = step_placeholders();
        if (kind == commands::rollback_kind::infra) allowed.insert("ref");
        for (std::size_t i = 0; i < node.size(); ++i) {
            const auto item = node[i];
            const auto item_path = index_path(list_path, i);
            const int item_line = line_of(item);
            if (!expect_map(item, item_path, item_line)) continue;
            commands::rollback_step_plan step;
            bool saw_name = false;
            bool saw_argv = false;
            each_entry(item, item_path, {"name", "kind", "argv"},
                       [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                           if (key == "name") {
                               if (auto v = non_empty_text(value, path, line)) {
                                   step.name = *v;
                                   saw_name = true;
                               }
                           } else if (key == "kind") {
                               if (auto v = text(value, path, line)) {
                                   if (auto k = commands::step_kind_named(*v)) step.kind = *k;
                                   else problem(path, line, "unknown step kind " + quote(*v));
                               }
                           } else {
                               saw_argv = true;
                               auto items = text_list(value, path, line);
                               if (!items || items->size() != value.size() || items->empty()) {
                                   if (items && items->empty()) problem(path, line, "expected the command as a list");
                                   return;
                               }
                               for (const auto& a : *items) step.argv.push_back(a.text);
                               for (const auto& p : commands::rollback_template_problems(kind, step.argv, allowed))
                                   problem(path, line, p);
                           }
                       });
            if (!saw_name) problem(join_path(item_path, "name"), item_line, "is required");
            if (!saw_argv) problem(join_path(item_path, "argv"), item_line, "is required (the command as a list)");
            out.push_back(std::move(step));
        }
    }

    void parse_tools(const YAML::Node& node, const std::string& section, int section_line) {
        if (node.IsNull() || !expect_map(node, section, section_line)) return;
        each_entry(node, section, {"docker", "kubectl", "gcloud", "bq", "terraform", "git"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       auto v = text(value, path, line);
                       if (!v || v->empty()) return;
                       if (v->find_first_of("\r\n\t ") != std::string::npos || v->front() == '-')
                           problem(path, line, "expected a program name or path, got " + quote(*v));
                       else config_.tools[key] = *v;
                   });
    }

    void parse_promotion(const YAML::Node& node, const std::string& section, int section_line) {
        if (node.IsNull() || !expect_map(node, section, section_line)) return;
        auto& p = config_.promotion;
        each_entry(
            node, section,
            {"approval_ttl_h", "request_ttl_h", "gate_timeout_s", "emergency_overrides", "verify_timeout_min",
             "verify_poll_s", "cronjob", "soak", "pipeline_cycles", "checks"},
            [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                if (key == "approval_ttl_h") {
                    if (auto v = whole_number(value, path, line, 1, 24 * 30)) p.approval_ttl = std::chrono::hours{*v};
                } else if (key == "request_ttl_h") {
                    if (auto v = whole_number(value, path, line, 1, 24 * 90)) p.request_ttl = std::chrono::hours{*v};
                } else if (key == "gate_timeout_s") {
                    if (auto v = whole_number(value, path, line, 1, 3600)) p.gate_timeout = std::chrono::seconds{*v};
                } else if (key == "verify_timeout_min") {
                    if (auto v = whole_number(value, path, line, 1, 24 * 60)) p.verify_timeout = std::chrono::minutes{*v};
                } else if (key == "verify_poll_s") {
                    if (auto v = whole_number(value, path, line, 1, 3600)) p.verify_poll = std::chrono::seconds{*v};
                } else if (key == "cronjob") {
                    if (auto v = non_empty_text(value, path, line)) {
                        if (commands::is_valid_job_name(*v)) p.cronjob = *v;
                        else problem(path, line, quote(*v) + " is not a Kubernetes object name");
                    }
                } else if (key == "emergency_overrides") {
                    auto names = text_list(value, path, line);
                    if (!names) return;
                    for (const auto& n : *names) {
                        gate_refs_.push_back({n.text, index_path(path, n.index), n.line});
                        p.emergency_overrides.insert(n.text);
                    }
                } else if (key == "soak") {
                    if (!expect_map(value, path, line)) return;
                    each_entry(value, path, {"hours", "running_image", "container", "tag_time"},
                               [&](const std::string& k, const YAML::Node& v, const std::string& kp, int l) {
                                   if (k == "hours") {
                                       if (auto h = whole_number(v, kp, l, 0, 24 * 30)) p.soak.hours = std::chrono::hours{*h};
                                   } else if (k == "container") {
                                       if (auto c = non_empty_text(v, kp, l)) p.soak.container = *c;
                                   } else if (auto a = argv_template(v, kp, l)) {
                                       (k == "running_image" ? p.soak.running_image : p.soak.tag_time) = std::move(*a);
                                   }
                               });
                } else if (key == "pipeline_cycles") {
                    if (!expect_map(value, path, line)) return;
                    each_entry(value, path, {"minimum", "argv"},
                               [&](const std::string& k, const YAML::Node& v, const std::string& kp, int l) {
                                   if (k == "minimum") {
                                       if (auto m = whole_number(v, kp, l, 0, 100)) p.cycles.minimum = *m;
                                   } else if (auto a = argv_template(v, kp, l)) {
                                       p.cycles.argv = std::move(*a);
                                   }
                               });
                } else if (key == "checks") {
                    parse_checks(value, path, line);
                }
            });
    }

    void parse_checks(const YAML::Node& node, const std::string& list_path, int list_line) {
        auto& checks = config_.promotion.checks;
        checks.clear();
        if (node.IsNull()) return;
        if (!node.IsSequence()) {
            problem(list_path, list_line, "expected a list of checks, got " + describe(node));
            return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            const auto item = node[i];
            const auto item_path = index_path(list_path, i);
            const int item_line = line_of(item);
            if (!expect_map(item, item_path, item_line)) continue;
            check_settings c;
            each_entry(item, item_path, {"id", "title", "argv", "environment", "timeout_s"},
                       [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                           if (key == "id") {
                               if (auto v = non_empty_text(value, path, line)) {
                                   if (builtin_gate(*v) == "builtin")
                                       problem(path, line, quote(*v) + " is a gate promotebot answers itself; pick another ID");
                                   else if (commands::is_valid_dbt_model(*v) && v->size() <= 64) c.id = *v;
                                   else problem(path, line, quote(*v) + " is not a usable check ID (letters, digits and _, at most 64)");
                               }
                           } else if (key == "title") {
                               if (auto v = non_empty_text(value, path, line)) c.title = *v;
                           } else if (key == "argv") {
                               if (auto a = argv_template(value, path, line)) c.argv = std::move(*a);
                           } else if (key == "environment") {
                               if (auto v = text(value, path, line)) {
                                   if (*v == "int" || *v == "prod") c.environment = *v;
                                   else problem(path, line, "expected int or prod, got " + quote(*v));
                               }
                           } else if (key == "timeout_s") {
                               if (auto v = whole_number(value, path, line, 1, 3600)) c.timeout = std::chrono::seconds{*v};
                           }
                       });
            if (c.id.empty()) problem(join_path(item_path, "id"), item_line, "is required");
            if (c.argv.empty()) problem(join_path(item_path, "argv"), item_line, "is required (the command as a list)");
            if (c.title.empty()) c.title = c.id;
            for (const auto& other : checks)
                if (other.id == c.id && !c.id.empty()) problem(join_path(item_path, "id"), item_line, quote(c.id) + " is used twice");
            checks.push_back(std::move(c));
        }
    }

    // "builtin" for the runbook's gates answered by the bot itself, "check" otherwise.
    static std::string builtin_gate(std::string_view id) {
        for (const char* g : {"freeze", "soak", "pipeline_cycles", "incidents", "change_record", "performance"})
            if (id == g) return "builtin";
        return "check";
    }

    // Every gate named in environments.*.gates and promotion.emergency_overrides exists.
    void check_gate_names() {
        std::set<std::string> known{"freeze", "soak", "pipeline_cycles", "incidents", "change_record", "performance"};
        for (const auto& c : config_.promotion.checks) known.insert(c.id);
        for (const auto& ref : gate_refs_) {
            if (known.count(ref.name)) continue;
            std::string names;
            for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
            problem(ref.path, ref.line, "unknown gate " + quote(ref.name) + "; gates: " + names +
                                            " (a command check is added under promotion.checks)");
        }
    }

    void parse_freeze(const YAML::Node& node, const std::string& freeze_path, int freeze_line) {
        if (node.IsNull()) return;
        if (!expect_map(node, freeze_path, freeze_line)) return;
        auto& rules = config_.freeze.rules;
        each_entry(node, freeze_path, {"month_end", "year_end", "bank_holidays", "regulatory", "holidays"},
                   [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                       if (key == "month_end") {
                           if (!expect_map(value, path, line)) return;
                           each_entry(value, path, {"enabled", "business_days"},
                                      [&](const std::string& k, const YAML::Node& v, const std::string& p, int l) {
                                          if (k == "enabled") {
                                              if (auto b = boolean(v, p, l)) rules.month_end_enabled = *b;
                                          } else if (auto n = whole_number(v, p, l, 0, 10)) {
                                              rules.month_end_business_days = *n;
                                          }
                                      });
                       } else if (key == "year_end") {
                           if (!expect_map(value, path, line)) return;
                           bool days_ok = true;
                           int end_line = line;
                           each_entry(value, path, {"enabled", "start", "end"},
                                      [&](const std::string& k, const YAML::Node& v, const std::string& p, int l) {
                                          if (k == "enabled") {
                                              if (auto b = boolean(v, p, l)) rules.year_end_enabled = *b;
                                              return;
                                          }
                                          if (k == "end") end_line = l;
                                          const auto s = text(v, p, l);
                                          if (!s) {
                                              days_ok = false;
                                              return;
                                          }
                                          const auto md = parse_month_day(*s);
                                          if (!md) {
                                              problem(p, l, quote(*s) + " is not a valid MM-DD day, e.g. \"12-20\"");
                                              days_ok = false;
                                          } else if (const auto why = commands::yearly_day_problem(*md)) {
                                              // The calendar refuses it: the close recurs every year.
                                              problem(p, l, *why + " (the year-end close recurs every year)");
                                              days_ok = false;
                                          } else {
                                              (k == "start" ? rules.year_end_start : rules.year_end_end) = *md;
                                          }
                                      });
                           if (days_ok && rules.year_end_enabled)
                               if (const auto why = commands::year_end_problem(rules.year_end_start, rules.year_end_end))
                                   problem(join_path(path, "end"), end_line, *why);
                       } else if (key == "bank_holidays") {
                           if (!expect_map(value, path, line)) return;
                           each_entry(value, path, {"enabled"},
                                      [&](const std::string&, const YAML::Node& v, const std::string& p, int l) {
                                          if (auto b = boolean(v, p, l)) rules.bank_holidays_enabled = *b;
                                      });
                       } else if (key == "regulatory") {
                           parse_regulatory(value, path, line);
                       } else if (key == "holidays") {
                           parse_holidays(value, path, line);
                       }
                   });
    }

    void parse_regulatory(const YAML::Node& node, const std::string& list_path, int list_line) {
        if (node.IsNull()) return;
        if (!node.IsSequence()) {
            problem(list_path, list_line, "expected a list of {name, from, to} or {file} (an .ics calendar), got " + describe(node));
            return;
        }
        for (std::size_t i = 0; i < node.size(); ++i) {
            const auto item = node[i];
            const std::string item_path = index_path(list_path, i);
            const int item_line = line_of(item);
            if (!expect_map(item, item_path, item_line)) continue;
            std::optional<std::string> name;
            std::optional<commands::local_moment> from;
            std::optional<commands::local_moment> to;
            int to_line = item_line;
            std::set<std::string> seen;
            if (item["file"]) {
                parse_regulatory_calendar(item, item_path, item_line);
                continue;
            }
            each_entry(item, item_path, {"name", "from", "to"},
                       [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                           seen.insert(key);
                           if (key == "name") {
                               name = non_empty_text(value, path, line);
                               return;
                           }
                           const auto s = text(value, path, line);
                           std::optional<commands::local_moment> point;
                           if (s) {
                               point = commands::parse_local_moment(*s);
                               if (!point && commands::year_outside_calendar(*s))
                                   problem(path, line,
                                           quote(*s) + " is outside the freeze calendar's years, " +
                                               commands::calendar_years_text());
                               else if (!point)
                                   problem(path, line,
                                           quote(*s) + " is not a date (YYYY-MM-DD) or local time (YYYY-MM-DDTHH:MM)");
                           }
                           if (key == "from") {
                               from = point;
                           } else {
                               to = point;
                               to_line = line;
                           }
                       });
            for (const char* key : {"name", "from", "to"})
                if (!seen.count(key)) problem(join_path(item_path, key), item_line, "is required");
            // Dates are checked even when the name is missing, so every problem shows at once.
            if (!from || !to) continue;
            // A whole-day "to" includes that day: the window ends at the next midnight.
            const auto end = to->date_only ? to->at + date::days{1} : to->at;
            if (end <= from->at) {
                problem(join_path(item_path, "to"), to_line, "the window ends before it starts");
                continue;
            }
            const commands::dated_window window{name.value_or(""), from->at, end, std::nullopt};
            if (!name) continue;
            if (const auto why = commands::dated_window_problem(window)) {
                problem(item_path, item_line, *why);
                continue;
            }
            config_.freeze.rules.regulatory.push_back(window);
        }
    }

    // {file: calendars/filings.ics}: every event of a calendar the team keeps
    // is a regulatory window, read once the calendar's zone is known.
    void parse_regulatory_calendar(const YAML::Node& item, const std::string& item_path, int item_line) {
        each_entry(item, item_path, {"file"},
                   [&](const std::string&, const YAML::Node& value, const std::string& path, int line) {
                       const auto file = non_empty_text(value, path, line);
                       if (!file) return;
                       if (!ends_with_ics(*file)) {
                           problem(path, line, quote(*file) + " is not an iCalendar file (.ics)");
                           return;
                       }
                       const auto content = read_file_ ? read_file_(*file) : std::nullopt;
                       if (!content) {
                           problem(path, line, "cannot read calendar file " + quote(*file));
                           return;
                       }
                       regulatory_calendars_.push_back({*file, *content, path, line});
                   });
    }

    // After the whole file: the zone may be given after freeze.regulatory.
    void load_regulatory_calendars() {
        if (regulatory_calendars_.empty()) return;
        const date::time_zone* zone = nullptr;
        try {
            zone = date::locate_zone(config_.timezone);
        } catch (const std::exception&) {
            return;  // reported as the timezone's problem
        }
        auto& windows = config_.freeze.rules.regulatory;
        for (const auto& c : regulatory_calendars_) {
            try {
                auto loaded = commands::ics_dated_windows(c.content, zone);
                windows.insert(windows.end(), loaded.begin(), loaded.end());
            } catch (const std::invalid_argument& e) {
                problem(c.path, c.line, "calendar file " + quote(c.file) + ": " + e.what());
            }
        }
    }

    void parse_holidays(const YAML::Node& node, const std::string& list_path, int list_line) {
        if (node.IsNull()) return;
        if (!node.IsSequence()) {
            problem(list_path, list_line, "expected a list of {file, division}, got " + describe(node));
            return;
        }
        std::vector<commands::holiday> days;
        for (std::size_t i = 0; i < node.size(); ++i) {
            const auto item = node[i];
            const std::string item_path = index_path(list_path, i);
            const int item_line = line_of(item);
            if (!expect_map(item, item_path, item_line)) continue;
            holiday_source source;
            int file_line = item_line;
            bool ok = true;
            bool saw_file = false;
            each_entry(item, item_path, {"file", "division"},
                       [&](const std::string& key, const YAML::Node& value, const std::string& path, int line) {
                           if (key == "file") {
                               saw_file = true;
                               file_line = line;
                               if (auto f = non_empty_text(value, path, line)) source.file = *f;
                               else ok = false;
                           } else if (auto d = non_empty_text(value, path, line)) {
                               if (is_division_name(*d)) source.division = *d;
                               else {
                                   problem(path, line, quote(*d) + " is not a gov.uk division name, e.g. england-and-wales");
                                   ok = false;
                               }
                           } else {
                               ok = false;
                           }
                       });
            if (!saw_file) problem(join_path(item_path, "file"), item_line, "is required");
            if (!saw_file || !ok) continue;
            config_.freeze.holidays.push_back(source);
            const std::string file_path = join_path(item_path, "file");
            const auto content = read_file_ ? read_file_(source.file) : std::nullopt;
            if (!content) {
                problem(file_path, file_line, "cannot read holiday file " + quote(source.file));
                continue;
            }
            try {
                auto loaded = ends_with_ics(source.file) ? commands::parse_ics_holidays(*content)
                                                         : commands::parse_govuk_bank_holidays(*content, source.division);
                for (const auto& day : loaded) {
                    if (const auto why = commands::holiday_problem(day))
                        problem(file_path, file_line, "holiday file " + quote(source.file) + ": " + *why);
                    else
                        days.push_back(day);
                }
            } catch (const std::invalid_argument& e) {
                problem(file_path, file_line, "holiday file " + quote(source.file) + ": " + e.what());
            }
        }
        std::stable_sort(days.begin(), days.end(), [](const auto& a, const auto& b) { return a.day < b.day; });
        days.erase(std::unique(days.begin(), days.end(), [](const auto& a, const auto& b) { return a.day == b.day; }),
                   days.end());
        config_.freeze.rules.bank_holidays = std::move(days);
    }

    struct regulatory_calendar {
        std::string file;
        std::string content;
        std::string path;
        int line = 0;
    };

    struct gate_ref {
        std::string name;
        std::string path;
        int line = 0;
    };

    const file_reader& read_file_;
    std::string base_dir_;
    std::vector<gate_ref> gate_refs_;
    std::vector<regulatory_calendar> regulatory_calendars_;
    config config_;
    std::vector<config_problem> problems_;
};

std::string format_problems(const std::vector<config_problem>& problems, const std::string& source_name) {
    std::ostringstream out;
    const std::string source = source_name.empty() ? "config" : source_name;
    for (std::size_t i = 0; i < problems.size(); ++i) {
        const auto& p = problems[i];
        if (i != 0) out << '\n';
        out << source << ':' << p.line << ": ";
        if (!p.path.empty()) out << p.path << ": ";
        out << p.message;
    }
    return out.str();
}

std::optional<std::string> read_whole_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream in{path, std::ios::binary};
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return text.str();
}

}  // namespace

config_error::config_error(std::vector<config_problem> problems, std::string source_name)
    : std::runtime_error(format_problems(problems, source_name)),
      problems_(std::move(problems)),
      source_name_(std::move(source_name)) {}

config parse_config(const std::string& yaml_text, const std::string& source_name, const file_reader& read_file,
                    const std::string& base_dir) {
    return config_parser{source_name, read_file, base_dir}.parse(yaml_text);
}

config load_config_file(const std::string& path) {
    const auto text = read_whole_file(path);
    if (!text) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(path, ec);
        throw config_error({config_problem{"", 0, exists ? "cannot read the configuration file (not a readable file)"
                                                         : "the configuration file does not exist"}},
                           path);
    }
    const auto folder = std::filesystem::path{path}.parent_path();
    const file_reader reader = [folder](const std::string& file) {
        const std::filesystem::path p{file};
        return read_whole_file(p.is_absolute() ? p : folder / p);
    };
    return parse_config(*text, path, reader, folder.empty() ? std::string{"."} : folder.string());
}

const std::string& embedded_default_config_text() {
    static const std::string text{embedded::config_yaml()};
    return text;
}

std::string gate_title(const config& cfg, const std::string& id) {
    if (id == "freeze") return "Not in a change freeze";
    if (id == "soak") return "Soaked " + std::to_string(cfg.promotion.soak.hours.count()) + " h in int, int runs this version";
    if (id == "pipeline_cycles")
        return "At least " + std::to_string(cfg.promotion.cycles.minimum) + " pipeline cycles succeeded in int";
    if (id == "incidents") return "No open P1/P2 incident";
    if (id == "change_record") return "Change Record approved";
    if (id == "performance") return "Performance stable (Dynatrace)";
    for (const auto& c : cfg.promotion.checks)
        if (c.id == id) return c.title;
    return id;
}

commands::promotion_policy promotion_policy_of(const config& cfg, const std::string& environment) {
    commands::promotion_policy p;
    const auto it = cfg.environments.find(environment);
    if (it == cfg.environments.end()) return p;
    const auto& env = it->second;
    p.gates = env.gates;
    for (const auto& g : env.gates) p.gate_titles[g] = gate_title(cfg, g);
    p.signoffs = env.signoffs;
    p.rollback_plan_required = env.rollback_plan_required;
    p.emergency_overrides = cfg.promotion.emergency_overrides;
    p.approval_ttl = cfg.promotion.approval_ttl;
    p.request_ttl = cfg.promotion.request_ttl;
    for (const auto& s : env.app_steps) p.app_steps.push_back({s.name, s.kind});
    for (const auto& s : env.infra_steps) p.infra_steps.push_back({s.name, s.kind});
    p.deploy_action = deploy_action(environment);
    p.permissions = permissions_of(cfg);
    const auto rm = cfg.roles.find(role::release_manager);
    if (rm != cfg.roles.end()) {
        for (const auto& u : rm->second.users) p.release_managers.push_back(commands::user_mention(u));
        for (const auto& g : rm->second.groups) p.release_managers.push_back(commands::group_mention(g));
    }
    return p;
}

commands::rollback_policy rollback_policy_of(const config& cfg, const std::string& environment) {
    commands::rollback_policy p;
    p.proposal_ttl = cfg.rollback.proposal_ttl;
    p.allow_known_good_during_freeze = cfg.rollback.allow_known_good_during_freeze;
    p.image_steps = cfg.rollback.image_steps;
    p.dbt_steps = cfg.rollback.dbt_steps;
    p.infra_steps = cfg.rollback.infra_steps;
    p.permissions = permissions_of(cfg);
    // An Option A revert's plan is applied by whoever may deploy there.
    p.apply_action = deploy_action(environment);
    return p;
}

commands::permission_table permissions_of(const config& cfg) {
    auto table = commands::permission_table::runbook();
    for (const auto& [name, env] : cfg.environments) table.allow(deploy_action(name), env.deployers);
    table.allow(commands::action::rollback, cfg.rollback.confirmers);
    return table;
}

config embedded_default_config() {
    const file_reader reader = [](const std::string& file) -> std::optional<std::string> {
        std::string_view name{file};
        while (name.substr(0, 2) == "./") name.remove_prefix(2);
        if (const auto content = embedded::file(name)) return std::string{*content};
        return std::nullopt;
    };
    return parse_config(embedded_default_config_text(), "<embedded>", reader);
}

}  // namespace promotebot::bot
