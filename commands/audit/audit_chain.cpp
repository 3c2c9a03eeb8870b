#include "commands/audit/audit_chain.hpp"

#include "commands/audit/sha256.hpp"

namespace promotebot::commands {

using json = nlohmann::json;

std::string audit_hash_input(const audit_record& r) {
    const json fields = json::array({r.seq, r.at.time_since_epoch().count(), r.entry.actor, r.entry.action, r.entry.subject,
                                     r.entry.outcome, r.entry.detail, r.prev_hash});
    return fields.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string audit_record_hash(const audit_record& r) { return sha256_hex(audit_hash_input(r)); }

}  // namespace promotebot::commands
