#pragma once
// One parser for the slash commands' text. Everything that could later reach
// a command line is validated here by an allow-list pattern.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <date/date.h>

namespace promotebot::commands {

enum class environment { int_, prod };
std::string_view to_string(environment e);  // "int" / "prod"

// /promote <version> [to int|prod] [change CHG…] [infra] [emergency] [override-bad <reason…>]
struct promote_request {
    std::string version;                   // "v1.2.3" or "v1.2.3-rc.1"
    environment target = environment::prod;
    std::vector<std::string> change_records;  // "CHG0012345"
    bool infra = false;                    // Terraform changes included (runbook Option A)
    bool emergency = false;                // asks for the freeze-time emergency path
    // Promote a version marked bad (rolled back from) all the same: why. The
    // rest of the text after `override-bad`; empty when not given.
    std::string override_bad_reason;
};

// /rollback [prod|int] [to <version>]  |  /rollback dbt <model> [<model>…]  |  /rollback infra
inline constexpr std::size_t max_rollback_dbt_models = 20;
inline constexpr std::size_t max_override_bad_reason_chars = 300;

struct rollback_request {
    enum class kind { image, dbt, infra };
    kind what = kind::image;
    environment target = environment::prod;
    std::optional<std::string> to_version;  // image: explicit version, else the previous good one
    // dbt: the models to rebuild with --full-refresh, 1 to max_rollback_dbt_models,
    // each valid, duplicates removed (first mention kept).
    std::vector<std::string> dbt_models;
};

// /freeze [status] | calendar [YYYY-MM] | list [days] | add <from> <to> <reason…> | remove <id>
struct freeze_request {
    enum class kind { status, list, add, remove, calendar };
    kind what = kind::status;
    // calendar: the month asked for, in the calendar's years; nullopt: the
    // current month in the configured zone. How far from now is checked
    // where the time is known (calendar_month_problem).
    std::optional<date::year_month> month;
    int days = 60;                    // list: how far ahead (1..366)
    date::local_seconds from{};       // add: local time in the configured zone
    date::local_seconds to{};         // add: exclusive; a bare date means the end of that day
    std::string reason;               // add
    std::int64_t id = 0;              // remove
};

// "/freeze help", "/promote help", ...
struct help_request {
    std::string command;  // "/freeze"
    std::string text;     // the help text for that command
};

struct parse_error {
    std::string message;  // what was wrong, e.g. "`1.2` is not a version: expected v<major>.<minor>.<patch>"
    std::string usage;    // the usage line of the command
};

using parsed_command = std::variant<promote_request, rollback_request, freeze_request, help_request, parse_error>;

// `command` is the slash command including the slash ("/freeze"); `text` is what follows.
// An unknown command yields a parse_error naming the commands that exist.
parsed_command parse_command(std::string_view command, std::string_view text);

// The commands this grammar knows, with their usage lines, in display order.
struct command_usage {
    std::string command;
    std::string usage;
    std::string summary;
};
const std::vector<command_usage>& known_commands();

// A local date or date-time as people type it: YYYY-MM-DD (date_only) or
// YYYY-MM-DDTHH:MM, a real calendar date in the calendar's years
// (first_calendar_year to last_calendar_year); nullopt otherwise.
struct local_moment {
    date::local_seconds at;
    bool date_only = false;
};
std::optional<local_moment> parse_local_moment(std::string_view text);

// A month as people type it: exactly YYYY-MM, a real month in the calendar's
// years; nullopt otherwise.
std::optional<date::year_month> parse_year_month(std::string_view text);

// The one parser of typed dates and times (chat commands, config, command
// line): YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, wall-clock time
// unless followed by Z or ±HH:MM. parse_local_moment takes the subset
// without seconds or an offset.
struct typed_moment {
    date::local_seconds at;  // as written
    bool date_only = false;
    bool with_seconds = false;
    std::optional<std::chrono::minutes> utc_offset;  // Z is zero; nullopt: local in the configured zone
};
std::optional<typed_moment> parse_moment(std::string_view text);
// The year of a typed date ("9999-12-31") when it is outside the calendar's
// years, so that a refusal can say why; nullopt otherwise.
std::optional<int> year_outside_calendar(std::string_view text);
// "from 2000 to 2200": the calendar's years, for messages.
std::string calendar_years_text();

// Allow-list validators, shared by the parser and by anything that builds argv.
bool is_valid_version(std::string_view v);        // v<maj>.<min>.<patch>[-<prerelease>], <= 64 chars
bool is_valid_change_record(std::string_view c);  // CHG followed by 7 to 10 digits
bool is_valid_dbt_model(std::string_view m);      // [A-Za-z_][A-Za-z0-9_]{0,127}

}  // namespace promotebot::commands
