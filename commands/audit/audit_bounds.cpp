// What the audit log keeps of a text field: bounded, so a hostile or
// careless input (a 1 MB reason) costs the log 4 KiB, not a megabyte.
#include <string>

#include "commands/audit/audit_chain.hpp"

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

// Cut at a UTF-8 character boundary at or before `limit` bytes.
std::size_t utf8_boundary(const std::string& s, std::size_t limit) {
    std::size_t at = limit;
    while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
    return at;
}

void bound_text(std::string& s, std::size_t limit) {
    if (s.size() <= limit) return;
    const auto total = s.size();
    s.resize(utf8_boundary(s, limit));
    s += "… [cut: " + std::to_string(total) + " bytes in all]";
}

void bound_detail(json& j, int depth) {
    if (j.is_string()) {
        bound_text(j.get_ref<std::string&>(), audit_text_limit);
    } else if (j.is_structured()) {
        if (depth > 16) {  // our own details are flat; deeper is not worth keeping
            j = "… [cut: nested too deep]";
            return;
        }
        for (auto& item : j) bound_detail(item, depth + 1);
    }
}

}  // namespace

audit_entry bounded_audit_entry(audit_entry e) {
    for (auto* field : {&e.actor, &e.action, &e.subject, &e.outcome}) bound_text(*field, audit_text_limit);
    bound_detail(e.detail, 0);
    const auto size = e.detail.dump(-1, ' ', false, json::error_handler_t::replace).size();
    if (size > audit_detail_limit)
        e.detail = json{{"cut", "detail of " + std::to_string(size) + " bytes not recorded"}};
    return e;
}

}  // namespace promotebot::commands
