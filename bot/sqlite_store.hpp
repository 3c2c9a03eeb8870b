#pragma once
// Internals of the SQLite store that tests and other store implementations
// share: how an audit record is hashed into the chain.
#include <string>

#include "bot/store.hpp"

namespace promotebot::bot {

// The canonical bytes an audit record's hash covers: the compact JSON array
// [seq, at (Unix seconds), actor, action, subject, outcome, detail, prev_hash].
// JSON escaping means no field can forge a separator, and nlohmann::json
// dumps object keys sorted, so equal details always serialize the same way.
std::string audit_hash_input(const audit_record& r);

// Hex SHA-256 of audit_hash_input(r).
std::string audit_record_hash(const audit_record& r);

}  // namespace promotebot::bot
