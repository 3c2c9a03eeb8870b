#pragma once
// The gates answered by running commands: the soak in int (the int cronjob's
// image, and since when it runs), the pipeline cycles since then (a query
// with the version and the time as parameters), and the team's own checks
// (exit 0 pass, 1 fail, anything else unknown). Each never throws for a
// tool's failure: it answers unknown with the reason.
#include <memory>

#include "bot/config/config.hpp"
#include "bot/ports/gate_checker.hpp"
#include "bot/ports/process_runner.hpp"
#include "commands/promotion/redactor.hpp"

namespace promotebot::bot {

std::shared_ptr<gate_checker> make_soak_gate(const config& cfg, process_runner& runner,
                                             const commands::redactor& redact);
std::shared_ptr<gate_checker> make_cycles_gate(const config& cfg, process_runner& runner,
                                               const commands::redactor& redact);
std::shared_ptr<gate_checker> make_command_check(const config& cfg, const check_settings& check,
                                                 process_runner& runner, const commands::redactor& redact);

// A gate whose source is not configured: it always answers unknown, saying which key is missing.
std::shared_ptr<gate_checker> make_unconfigured_gate(std::string id, std::string title, std::string why);

}  // namespace promotebot::bot
