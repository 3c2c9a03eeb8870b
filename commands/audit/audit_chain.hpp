#pragma once
// How an audit record is hashed into the chain, and how the log is written
// out for auditors. Every store implementation shares these rules.
#include <iosfwd>
#include <string>
#include <vector>

#include "commands/audit/audit_record.hpp"

namespace promotebot::commands {

// The canonical bytes an audit record's hash covers: the compact JSON array
// [seq, at (Unix seconds), actor, action, subject, outcome, detail, prev_hash].
// JSON escaping means no field can forge a separator, and nlohmann::json
// dumps object keys sorted, so equal details always serialize the same way.
std::string audit_hash_input(const audit_record& r);

// Hex SHA-256 of audit_hash_input(r).
std::string audit_record_hash(const audit_record& r);

// Writes audit records for auditors: "jsonl" or "csv".
void export_audit(const std::vector<audit_record>& records, const std::string& format, std::ostream& out);

}  // namespace promotebot::commands
