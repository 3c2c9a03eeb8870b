#include "commands/promotion/gate.hpp"

namespace promotebot::commands {

std::string_view to_string(gate_state s) {
    switch (s) {
    case gate_state::checking: return "checking";
    case gate_state::pass: return "pass";
    case gate_state::fail: return "fail";
    case gate_state::unknown: return "unknown";
    }
    return "unknown";
}

std::optional<gate_state> gate_state_named(std::string_view s) {
    for (auto g : {gate_state::checking, gate_state::pass, gate_state::fail, gate_state::unknown})
        if (to_string(g) == s) return g;
    return std::nullopt;
}

}  // namespace promotebot::commands
