#pragma once
// Runs the runbook's commands as child processes: argv only, never a shell.
// Output arrives line by line while the process runs; a deadline ends it.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace promotebot::bot {

struct process_spec {
    // argv[0] is a tool name looked up on PATH ("kubectl") or a path ("/usr/bin/kubectl").
    std::vector<std::string> argv;
    std::string working_dir;                   // empty: the bot's own
    std::map<std::string, std::string> env;    // added to (or replacing in) the bot's environment
    std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

enum class output_stream { out, err };

struct process_line {
    output_stream stream = output_stream::out;
    std::string text;  // without the newline; a very long line arrives cut at max_line_bytes
};

inline constexpr std::size_t max_line_bytes = 8 * 1024;

struct process_outcome {
    enum class how {
        exited,           // exit_code is valid
        killed,           // ended by a signal it did not ask for (signal is valid)
        timed_out,        // the deadline passed: its process group was killed
        cancelled,        // cancel() was called: its process group was killed
        failed_to_start,  // not found, not executable, bad working dir: `error` says which
    };
    how ended = how::exited;
    int exit_code = -1;
    int signal = 0;
    std::string error;
    std::chrono::milliseconds duration{0};
    [[nodiscard]] bool succeeded() const { return ended == how::exited && exit_code == 0; }
};

// Lets the one who started a run end it early (a rollback cancelling a deploy).
// Call cancel() on the executor the run runs on. A run whose cancellation was
// requested before it started starts nothing and ends as cancelled.
class process_cancellation {
public:
    void cancel() {
        cancelled_ = true;
        if (on_cancel_) on_cancel_();
    }
    [[nodiscard]] bool cancelled() const { return cancelled_; }
    // Set by the runner while the process runs; cleared before run() returns.
    std::function<void()> on_cancel_;

private:
    bool cancelled_ = false;
};

class process_runner {
public:
    virtual ~process_runner() = default;
    // Runs to the end; `on_line` is called on the caller's executor for every
    // line of stdout and stderr, in the order each stream produced them (the
    // two streams interleave as they arrive). Lines are raw bytes, not
    // necessarily UTF-8. `on_line` runs inline and should not block: reading
    // waits for it. `cancel` may be null. `spec` must outlive the run.
    virtual boost::asio::awaitable<process_outcome> run(const process_spec& spec,
                                                        std::function<void(const process_line&)> on_line,
                                                        std::shared_ptr<process_cancellation> cancel) = 0;
};

}  // namespace promotebot::bot
