#pragma once
// The command line: run the bot (Slack or console), check a config, ask the
// freeze calendar, verify or export the audit log.
#include <iosfwd>

namespace promotebot::bot {

// Exit codes: 0 ok (freeze status: not frozen), 1 frozen / audit broken /
// fatal runtime error, 2 usage or configuration error.
int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace promotebot::bot
