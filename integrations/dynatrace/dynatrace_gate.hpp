#pragma once
// The performance gate: Dynatrace has no open problem in the configured
// scope (problems API v2, Api-Token auth). The rule is
// commands/promotion/external_gates.hpp; this only fetches the facts. An
// outside failure (unreachable, timed out, token refused, an error status,
// an unreadable answer) answers gate_state::unknown with a short reason that
// names neither the token nor the query. A GET that failed in transport is
// sent once more, unless it timed out.
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "bot/ports/gate_checker.hpp"
#include "integrations/net/service_call.hpp"

namespace promotebot::dynatrace {

struct dynatrace_options {
    std::string url;               // environment URL: https://abc12345.live.dynatrace.com
    std::string api_token;         // DYNATRACE_API_TOKEN, scope problems.read
    std::string problem_selector;  // narrows the open problems: managementZones("markets-prod")
    std::string ca_file;           // extra trust anchors besides the system's
    std::chrono::milliseconds timeout{10000};  // connect + TLS; then each of write and read
};

// Looks a variable up; empty when unset. The default reads the process environment.
using environment_lookup = net::environment_lookup;
using net::process_environment;

// Fills api_token from DYNATRACE_API_TOKEN when it is set. Returns whether
// the options then hold a token.
bool read_dynatrace_secrets(dynatrace_options& options, const environment_lookup& env = process_environment);

class dynatrace_gate final : public bot::gate_checker {
public:
    // Throws std::invalid_argument when options.url is not an https:// URL
    // without credentials, or the selector is unusable; std::runtime_error
    // when the CA file cannot be loaded.
    dynatrace_gate(boost::asio::any_io_executor ex, dynatrace_options options);
    ~dynatrace_gate() override;
    dynatrace_gate(const dynatrace_gate&) = delete;
    dynatrace_gate& operator=(const dynatrace_gate&) = delete;

    [[nodiscard]] std::string id() const override;     // "performance"
    [[nodiscard]] std::string title() const override;  // "Performance stable"
    boost::asio::awaitable<commands::gate_result> check(const bot::gate_subject& subject) override;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::dynatrace
