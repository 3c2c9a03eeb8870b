#pragma once
// Hex SHA-256 and HMAC-SHA256, the digests that link audit records into a chain.
#include <string>
#include <string_view>

namespace promotebot::commands {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key` (64 characters). The key
// must not be empty.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace promotebot::commands
