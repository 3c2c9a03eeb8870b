#pragma once
// How parsed /promote and /rollback requests are shown back to their author.
#include "commands/grammar/grammar.hpp"
#include "commands/message/message.hpp"

namespace promotebot::commands {

message describe_request(const promote_request& r);
message describe_request(const rollback_request& r);
message help_message(const help_request& h);
// The person is refused: what they tried and which role it needs.
message refusal_message(const std::string& reason);

}  // namespace promotebot::commands
