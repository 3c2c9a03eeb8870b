#include "commands/audit/audit_anchor.hpp"

#include <charconv>

#include "commands/audit/audit_chain.hpp"

namespace promotebot::commands {

std::string to_string(const audit_anchor& a) { return std::to_string(a.seq) + ":" + a.hash; }

std::optional<audit_anchor> parse_audit_anchor(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view seq_text = text.substr(0, colon);
    const std::string_view hash_text = text.substr(colon + 1);
    for (const char c : seq_text)
        if (c < '0' || c > '9') return std::nullopt;
    audit_anchor a;
    const auto [end, error] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), a.seq);
    if (error != std::errc{} || end != seq_text.data() + seq_text.size()) return std::nullopt;
    if (a.seq == 0) {
        if (!hash_text.empty()) return std::nullopt;
        return a;
    }
    if (hash_text.size() != 64) return std::nullopt;
    for (char c : hash_text) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
        a.hash.push_back(c);
    }
    return a;
}

bool anchor_post_due(std::optional<sys_seconds> last_posted, sys_seconds now) {
    if (!last_posted) return true;
    if (*last_posted > now) return true;
    return now - *last_posted >= anchor_post_interval;
}

message anchor_message(const audit_anchor& head, std::int64_t records, sys_seconds at) {
    const std::string anchor = to_string(head);
    message m;
    m.header = "Audit log anchor";
    m.text = "The audit log's head is `" + anchor + "`.\nKeep this message: `promotebot audit verify --anchor " +
             anchor + "` fails if any record up to it was changed or deleted, even with every hash recomputed.";
    m.fields = {{"Records", std::to_string(records)}, {"Taken at", iso8601_utc(at)}};
    m.context = {"Posted once a day."};
    return m;
}

}  // namespace promotebot::commands
