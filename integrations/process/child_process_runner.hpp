#pragma once
// Runs a runbook command as a real child process (Boost.Process v2 on the
// caller's executor, no extra threads). argv goes to execve as given, never
// through a shell. The child runs in its own process group with stdin from
// /dev/null, the bot's environment plus spec.env, and spec.working_dir.
//
// Ending a run: at the deadline, on cancel(), or when on_line throws, the
// whole group gets SIGTERM, and SIGKILL once `kill_grace` has passed (tools
// like terraform release their locks on SIGTERM). Once the main process has
// exited, whatever is left of a killed group gets SIGKILL at once. After a
// normal exit, descendants still holding stdout or stderr open get
// `drain_after_exit` to let go; then the group is killed and the pipes are
// closed, so a background daemon cannot hold run() forever. A descendant that
// left the group (setsid) and kept the pipes is not killed, only cut off.
// A deadline or cancel() that comes after the main process exited only ends
// that wait: the outcome stays its exit. Descendants that closed their output
// are left running after a normal exit (nohup-style daemons are the tool's
// business); after a kill, none are.
//
// The bot must not set SIGCHLD to SIG_IGN (children would be reaped
// behind the runner's back; such a run ends as `killed` with an error).
//
// A tool name without '/' is looked up on the PATH of spec.env if it sets one,
// else the bot's own PATH; relative and empty PATH entries are skipped. A
// relative path with '/' ("./deploy.sh") is relative to spec.working_dir.
//
// cancel() on the run's process_cancellation must be called on the same
// executor (thread) as run(). If the awaiting coroutine itself is cancelled or
// destroyed, the group is killed with SIGKILL and the exception goes on.
#include <chrono>

#include "bot/ports/process_runner.hpp"

namespace promotebot::process {

struct child_process_options {
    std::chrono::milliseconds kill_grace{2000};
    std::chrono::milliseconds drain_after_exit{2000};
};

class child_process_runner final : public bot::process_runner {
public:
    explicit child_process_runner(child_process_options options = {}) : options_(options) {}

    // Never throws for a failure of the command itself (that is the outcome);
    // rethrows what on_line threw, once the process is gone.
    boost::asio::awaitable<bot::process_outcome> run(const bot::process_spec& spec,
                                                     std::function<void(const bot::process_line&)> on_line,
                                                     std::shared_ptr<bot::process_cancellation> cancel) override;

private:
    child_process_options options_;
};

}  // namespace promotebot::process
