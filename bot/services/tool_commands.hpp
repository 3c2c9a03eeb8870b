#pragma once
// How the runbook's commands are built for one environment: the values their
// argv templates may use, the configured tool paths, kubectl's --context, the
// working directory; and running one to capture its output.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/process_runner.hpp"
#include "commands/promotion/redactor.hpp"

namespace promotebot::bot {

// A redactor that knows the secrets in the bot's environment (Slack tokens,
// ServiceNow and Dynatrace credentials), so no tool output shows them.
commands::redactor known_secrets_redactor();

// project_id, environment, kube_context of the environment (those that are set).
std::map<std::string, std::string> environment_values(const config& cfg, const std::string& environment);

// The process for an expanded argv: argv[0] replaced by tools.<name> when the
// config gives a path; kubectl gets `--context <kube_context>` of the
// environment right after the program; terraform runs in the environment's
// terraform_dir unless `dir` names another.
process_spec command_spec(const config& cfg, const std::string& environment, std::vector<std::string> argv,
                          std::chrono::seconds timeout, const std::string& dir = {});

// How a run ended, for messages: "exit 1", "timed out", "kubectl: not found on PATH".
std::string ended_text(const process_outcome& o);

// What a command printed, redacted, and how it ended.
struct captured_output {
    process_outcome outcome;
    std::string out;                // stdout, lines joined with \n, bounded
    std::vector<std::string> tail;  // the last lines of stdout and stderr together
    std::string first_line;         // the first stdout line
    std::vector<process_line> lines;  // every line (bounded), for the store
};

inline constexpr std::size_t max_captured_lines = 20000;
inline constexpr std::size_t tail_lines = 15;

// `cancel` (may be null) lets the caller end the run early.
boost::asio::awaitable<captured_output> run_capture(process_runner& runner, const process_spec& spec,
                                                    const commands::redactor& redact,
                                                    std::shared_ptr<process_cancellation> cancel = nullptr);

}  // namespace promotebot::bot
