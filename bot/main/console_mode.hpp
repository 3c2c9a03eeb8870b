#pragma once
// `promotebot --console`: the whole bot on stdin/stdout, no Slack needed.
// Lines starting with `/` are slash commands; `click N` presses button N;
// `as <user>` switches identity so one person can play every role. A form a
// command opens is asked for field by field (integrations/console/console_form.hpp).
#include <iosfwd>
#include <string>

#include "bot/config/config.hpp"
#include "integrations/store/common/synchronous_store.hpp"

namespace promotebot::bot {

struct console_options {
    std::string user;  // initial identity; empty: the first configured Release Manager
    bool banner = true;
    bool dry_run = false;  // steps print their argv (always so in the demonstration profile)
};

// Returns the process exit code.
int run_console(const config& cfg, storage::synchronous_store& db, std::istream& in, std::ostream& out, const console_options& options);

}  // namespace promotebot::bot
