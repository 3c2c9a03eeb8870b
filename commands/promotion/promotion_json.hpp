#pragma once
// A promotion request as the JSON document the store keeps. Reading checks
// every field's type: a document that does not fit throws std::runtime_error
// naming the field, and the request is reported as unreadable, never guessed.
#include <nlohmann/json.hpp>

#include "commands/promotion/promotion.hpp"

namespace promotebot::commands {

nlohmann::json to_json(const promotion& p);
promotion promotion_from_json(const nlohmann::json& j);

// The gate answers as the deployment record and the audit log keep them.
nlohmann::json gates_json(const std::vector<gate_result>& gates);

}  // namespace promotebot::commands
