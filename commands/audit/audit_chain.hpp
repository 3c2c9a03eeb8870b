#pragma once
// How an audit record is hashed into the chain, how a chain is verified, and
// how the log is written out for auditors. Every store implementation shares
// these rules.
#include <iosfwd>
#include <optional>
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

// Hex HMAC-SHA256 of audit_hash_input(r) under `key`.
std::string audit_record_hmac(const audit_record& r, const audit_key& key);

// Sets r.mac and r.hash for a new record whose other fields are final:
// HMAC-SHA256 when a key is given, plain SHA-256 otherwise.
void seal_audit_record(audit_record& r, const std::optional<audit_key>& key);

// Checks an audit log fed one record at a time, in seq order, and reports the
// first break. What it checks, per record:
// - seq numbers run 1, 2, 3, ... without a gap;
// - prev_hash names the previous record's hash ("" for record 1);
// - the detail was valid JSON (a store passes json value_t::discarded when
//   the stored text did not parse);
// - the hash is recomputed: SHA-256 for "sha256" records, HMAC-SHA256 with
//   the key for "hmac-sha256" records. Without the key a keyed record cannot
//   be verified and counts as a break; a plain record after a keyed one is a
//   break too (a keyed log never goes back to plain hashes);
// - with an anchor SEQ:HASH, record SEQ exists and has exactly HASH, so a
//   rewrite of anything up to the anchor is found even when every hash was
//   recomputed.
// The recomputed HMAC is never reported: it would let whoever reads the
// output forge records one at a time.
class audit_chain_verifier {
public:
    explicit audit_chain_verifier(std::optional<audit_key> key = std::nullopt,
                                  std::optional<audit_anchor> anchor = std::nullopt);

    void add(const audit_record& r);

    // The verdict on every record added so far; records missing up to the
    // anchor are a break here.
    [[nodiscard]] audit_verification result() const;

private:
    void broken(std::int64_t seq, std::string problem);
    void check_digest(const audit_record& r);

    std::optional<audit_key> key_;
    std::optional<audit_anchor> anchor_;
    audit_verification v_;
    std::int64_t expected_seq_ = 1;
    std::string previous_hash_;
    std::optional<std::int64_t> first_keyed_seq_;
    bool anchor_seen_ = false;
};

// What a record keeps: each text field (and each text in the detail) at most
// audit_text_limit bytes, cut at a character boundary and marked
// "… [cut: N bytes in all]"; a detail longer than audit_detail_limit as JSON
// is replaced by a note of its size. The store applies it to every record.
inline constexpr std::size_t audit_text_limit = 4096;
inline constexpr std::size_t audit_detail_limit = 16384;
audit_entry bounded_audit_entry(audit_entry e);

// 2026-11-26T10:00:00Z
std::string iso8601_utc(sys_seconds t);

// Writes audit records for auditors: "jsonl" or "csv".
void export_audit(const std::vector<audit_record>& records, const std::string& format, std::ostream& out);

}  // namespace promotebot::commands
