// libFuzzer target for the configuration loader: whatever the YAML text, the
// loader returns a configuration or throws config_error listing problems;
// never another exception, never a crash. A returned configuration is one
// the rest of the program accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

// The loader is compiled into this target, not taken from the library, so
// that libFuzzer's coverage instrumentation sees its branches.
#include "bot/config/config.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

using namespace promotebot;

void require(bool condition) {
    if (!condition) std::abort();
}

// Holiday files are never found: the fuzzer explores the YAML, not the disk.
std::optional<std::string> no_file(const std::string&) { return std::nullopt; }

void check(const bot::config& c) {
    require(commands::is_slack_id(commands::mention_kind::channel, c.slack.release_channel));
    require(c.audit.channel.empty() || commands::is_slack_id(commands::mention_kind::channel, c.audit.channel));
    for (const auto& [role, members] : c.roles) {
        for (const auto& u : members.users) require(commands::is_slack_id(commands::mention_kind::user, u));
        for (const auto& g : members.groups) require(commands::is_slack_id(commands::mention_kind::user_group, g));
    }
    require(c.environments.count("int") == 1 && c.environments.count("prod") == 1);
    // The calendar the bot builds at start accepts these rules.
    const commands::freeze_calendar calendar{date::locate_zone(c.timezone), c.freeze.rules};
    (void)calendar;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const bot::file_reader reader = no_file;
    try {
        check(bot::parse_config(text, "fuzz.yaml", reader));
    } catch (const bot::config_error& e) {
        require(!e.problems().empty());
    } catch (...) {
        std::abort();
    }
    return 0;
}
