#pragma once
// Which checker answers each gate: the real sources (ServiceNow, Dynatrace,
// commands) for Slack and a configured console, or the demonstration
// profile's fixtures.
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/gate_checker.hpp"
#include "bot/ports/process_runner.hpp"
#include "bot/services/simulated_gates.hpp"
#include "commands/promotion/redactor.hpp"

namespace promotebot::bot {

using gate_checkers = std::map<std::string, std::shared_ptr<gate_checker>>;

// `ca_file`: extra trust anchors for ServiceNow and Dynatrace (tests, inspecting proxies).
gate_checkers real_gate_checkers(boost::asio::any_io_executor ex, const config& cfg, process_runner& runner,
                                 const commands::redactor& redact, const std::string& ca_file);

gate_checkers simulated_gate_checkers(const config& cfg, std::shared_ptr<gate_fixtures> fixtures);

}  // namespace promotebot::bot
