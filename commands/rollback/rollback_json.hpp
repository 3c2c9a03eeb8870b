#pragma once
// A rollback as the JSON document the store keeps. Reading checks every
// field's type: a document that does not fit throws std::runtime_error
// naming the field, and the rollback is reported as unreadable, never guessed.
#include <nlohmann/json.hpp>

#include "commands/rollback/rollback.hpp"

namespace promotebot::commands {

nlohmann::json to_json(const rollback& r);
rollback rollback_from_json(const nlohmann::json& j);

}  // namespace promotebot::commands
