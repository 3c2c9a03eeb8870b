#pragma once
// A runner for rehearsals: it runs nothing. Each run emits one stdout line
// "dry run: <the command as display_command shows it>", hands the argv to the
// optional sink (tests and audit), and ends as exited with code 0; a run whose
// cancellation was already requested ends as cancelled.
#include <functional>
#include <string>
#include <vector>

#include "bot/ports/process_runner.hpp"

namespace promotebot::process {

using dry_run_sink = std::function<void(const std::vector<std::string>& argv)>;

class dry_run_runner final : public bot::process_runner {
public:
    explicit dry_run_runner(dry_run_sink sink = {}) : sink_(std::move(sink)) {}

    boost::asio::awaitable<bot::process_outcome> run(const bot::process_spec& spec,
                                                     std::function<void(const bot::process_line&)> on_line,
                                                     std::shared_ptr<bot::process_cancellation> cancel) override;

private:
    dry_run_sink sink_;
};

// The command as a person reads it in a message: words a POSIX shell would
// take literally stay bare, others are single-quoted ('it'\''s'), and words
// with control characters use $'...' escapes so a newline cannot break the
// message. For display only: the runners never hand this to a shell.
std::string display_command(const std::vector<std::string>& argv);

}  // namespace promotebot::process
