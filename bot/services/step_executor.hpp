#pragma once
// Runs one deployment step, for promotions and rollbacks alike: the command
// (argv, no shell) with its deadline, then what its kind asks for — the
// pushed digest read from docker push, the registry digest compared with it,
// the Terraform plan's summary, or the cronjob's Jobs followed until the
// first run after the change succeeds, fails (with its logs' tail) or times
// out. Output is redacted before anything keeps it. A cancellation kills the
// step's process group and ends the step as failed ("cancelled").
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/process_runner.hpp"
#include "commands/promotion/promotion.hpp"
#include "commands/promotion/redactor.hpp"

namespace promotebot::bot {

struct step_job {
    std::string environment;
    std::string name;
    commands::step_kind kind = commands::step_kind::command;
    std::vector<std::string> argv;  // expanded and validated
    std::chrono::seconds timeout{600};
    std::string dir;                // working directory; empty: command_spec's default
    std::string version;            // push and check_digest: the tag
    std::string pushed_digest;      // check_digest: what docker push reported, empty when nothing was pushed
    std::chrono::sys_seconds since{};  // verify_jobs: the first run that counts began after this
    std::shared_ptr<process_cancellation> cancel;  // may be null
};

struct step_done {
    // false when the bot stopped while following the Jobs: nothing is
    // reported, the next start marks the step interrupted.
    bool finished = true;
    bool succeeded = false;
    std::string summary;  // redacted, one line
    std::string digest;   // push: the pushed digest
    std::vector<std::string> tail;     // redacted, for the thread
    std::vector<process_line> lines;   // redacted, for the store
};

class step_executor {
public:
    // `dry_run`: commands are printed by the runner instead of run, and
    // every step succeeds without reading tool output.
    step_executor(boost::asio::any_io_executor ex, const config& cfg, process_runner& runner,
                  const commands::redactor& redact, bool dry_run);

    boost::asio::awaitable<step_done> run(const step_job& job);
    // Steps following Jobs give up at their next poll (finished = false).
    void stop() { stopping_ = true; }

private:
    boost::asio::awaitable<step_done> follow_jobs(const step_job& job);

    boost::asio::any_io_executor ex_;
    const config& cfg_;
    process_runner& runner_;
    const commands::redactor& redactor_;
    bool dry_run_;
    bool stopping_ = false;
};

// A thread message: the title, then the output's tail as a code block.
commands::message code_tail(const std::string& title, const std::vector<std::string>& lines);

}  // namespace promotebot::bot
