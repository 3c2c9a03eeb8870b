#pragma once
// The console's demonstration profile: every gate that would ask an outside
// system (ServiceNow, Dynatrace, the registry, the cluster, BigQuery)
// answers from a fixture the user can flip (`gate soak fail`), so a newcomer
// can walk a whole promotion, a blocked one and an emergency on a laptop.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bot/ports/gate_checker.hpp"

namespace promotebot::bot {

class gate_fixtures {
public:
    struct answer {
        commands::gate_state state = commands::gate_state::pass;
        std::string evidence;
    };
    gate_fixtures();
    // Sets a gate's simulated answer; false for an ID that cannot be a gate's.
    bool set(const std::string& id, commands::gate_state state);
    [[nodiscard]] answer of(const std::string& id) const;
    [[nodiscard]] const std::map<std::string, answer>& all() const { return answers_; }

private:
    std::map<std::string, answer> answers_;
};

std::shared_ptr<gate_checker> make_simulated_gate(std::string id, std::string title,
                                                  std::shared_ptr<gate_fixtures> fixtures);

}  // namespace promotebot::bot
