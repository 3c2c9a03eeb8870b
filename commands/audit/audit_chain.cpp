#include "commands/audit/audit_chain.hpp"

#include <utility>

#include "commands/audit/sha256.hpp"

namespace promotebot::commands {

using json = nlohmann::json;

std::string audit_hash_input(const audit_record& r) {
    const json fields = json::array({r.seq, r.at.time_since_epoch().count(), r.entry.actor, r.entry.action, r.entry.subject,
                                     r.entry.outcome, r.entry.detail, r.prev_hash});
    return fields.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string audit_record_hash(const audit_record& r) { return sha256_hex(audit_hash_input(r)); }

std::string audit_record_hmac(const audit_record& r, const audit_key& key) {
    return hmac_sha256_hex(key.bytes, audit_hash_input(r));
}

void seal_audit_record(audit_record& r, const std::optional<audit_key>& key) {
    if (key) {
        r.mac = std::string(audit_mac_hmac_sha256);
        r.hash = audit_record_hmac(r, *key);
    } else {
        r.mac = std::string(audit_mac_sha256);
        r.hash = audit_record_hash(r);
    }
}

audit_chain_verifier::audit_chain_verifier(std::optional<audit_key> key, std::optional<audit_anchor> anchor)
    : key_(std::move(key)), anchor_(std::move(anchor)) {}

void audit_chain_verifier::broken(std::int64_t seq, std::string problem) {
    if (!v_.ok) return;  // only the first break is reported
    v_.ok = false;
    v_.first_broken_seq = seq;
    v_.problem = std::move(problem);
}

void audit_chain_verifier::check_digest(const audit_record& r) {
    const std::string seq_text = std::to_string(r.seq);
    if (r.mac == audit_mac_sha256) {
        if (first_keyed_seq_) {
            broken(r.seq, "record " + seq_text + " has a plain SHA-256 hash after keyed record " +
                              std::to_string(*first_keyed_seq_) +
                              ": a keyed log never goes back to plain hashes (rewritten without the key?)");
            return;
        }
        const std::string recomputed = audit_record_hash(r);
        if (recomputed != r.hash)
            broken(r.seq, "hash mismatch at record " + seq_text + ": stored " + r.hash + ", recomputed " + recomputed);
    } else if (r.mac == audit_mac_hmac_sha256) {
        if (!key_) {
            broken(r.seq, "record " + seq_text +
                              " is keyed (HMAC-SHA256) and cannot be verified without PROMOTEBOT_AUDIT_KEY");
            return;
        }
        if (audit_record_hmac(r, *key_) != r.hash)
            broken(r.seq, "HMAC mismatch at record " + seq_text +
                              ": the record was changed, or PROMOTEBOT_AUDIT_KEY is not the key it was written with");
    } else {
        broken(r.seq, "record " + seq_text + " names an unknown hash kind \"" + r.mac + "\"");
    }
}

void audit_chain_verifier::add(const audit_record& r) {
    ++v_.records;
    if (r.mac == audit_mac_hmac_sha256) ++v_.keyed_records;
    const std::string seq_text = std::to_string(r.seq);
    if (r.seq != expected_seq_) {
        broken(r.seq, "gap in seq numbers: expected record " + std::to_string(expected_seq_) +
                          " but the next record is " + seq_text + " (" +
                          (r.seq > expected_seq_ ? "records " + std::to_string(expected_seq_) + ".." +
                                                       std::to_string(r.seq - 1) + " are missing"
                                                 : std::string("numbers went backwards")) +
                          ")");
    } else if (r.prev_hash != previous_hash_) {
        broken(r.seq, "prev_hash link broken at record " + seq_text + ": it names " +
                          (r.prev_hash.empty() ? std::string("no previous record") : r.prev_hash) +
                          " but the previous record's hash is " +
                          (previous_hash_.empty() ? std::string("absent") : previous_hash_));
    } else if (r.entry.detail.is_discarded()) {
        broken(r.seq, "detail of record " + seq_text + " is not valid JSON");
    } else {
        check_digest(r);
    }
    if (anchor_ && r.seq == anchor_->seq) {
        anchor_seen_ = true;
        if (r.hash != anchor_->hash)
            broken(r.seq, "record " + seq_text + " does not match the anchor: its hash is " + r.hash +
                              " but the anchor says " + anchor_->hash +
                              " (the log was rewritten up to the anchor)");
    }
    if (r.mac == audit_mac_hmac_sha256 && !first_keyed_seq_) first_keyed_seq_ = r.seq;
    expected_seq_ = r.seq + 1;
    previous_hash_ = r.hash;
    v_.head = {r.seq, r.hash};
}

audit_verification audit_chain_verifier::result() const {
    audit_verification v = v_;
    if (v.ok && anchor_ && anchor_->seq > 0 && !anchor_seen_) {
        v.ok = false;
        v.first_broken_seq = v.head.seq + 1;
        v.problem = "the anchor names record " + std::to_string(anchor_->seq) + " but the log " +
                    (v.records == 0 ? std::string("is empty") : "ends at record " + std::to_string(v.head.seq)) +
                    ": records up to the anchor were deleted";
    }
    return v;
}

}  // namespace promotebot::commands
