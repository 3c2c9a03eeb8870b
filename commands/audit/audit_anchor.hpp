#pragma once
// The audit log's head kept outside the database: written as SEQ:HASH, posted
// to a Slack channel once a day, and checked by `promotebot audit verify
// --anchor SEQ:HASH`. Whoever can write the database file can drop the
// triggers and recompute every hash; they cannot change a copy of the head
// that already left the machine.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commands/audit/audit_record.hpp"
#include "commands/message/message.hpp"

namespace promotebot::commands {

// "SEQ:HASH", e.g. "42:9f86d0...": the empty log is "0:".
std::string to_string(const audit_anchor& a);

// Reads "SEQ:HASH": SEQ is a decimal record number, HASH its 64 hex digits
// (upper case is read as lower case); "0:" is the empty log. Anything else
// (a missing colon, a sign, a short hash, "0:" with a hash) is nullopt.
std::optional<audit_anchor> parse_audit_anchor(std::string_view text);

// How often the head is posted.
inline constexpr std::chrono::hours anchor_post_interval{24};

// Whether the daily anchor post is due: never posted, a day or more since the
// last post, or the last post lies in the future (the clock was set back: post
// rather than fall silent until it catches up).
bool anchor_post_due(std::optional<sys_seconds> last_posted, sys_seconds now);

// The daily post: the head as SEQ:HASH, how many records the log holds, when
// it was taken, and the command that checks the log against it.
message anchor_message(const audit_anchor& head, std::int64_t records, sys_seconds at);

}  // namespace promotebot::commands
