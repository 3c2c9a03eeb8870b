#pragma once
// Hex SHA-256, the digest that links audit records into a chain.
#include <string>
#include <string_view>

namespace promotebot::commands {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace promotebot::commands
