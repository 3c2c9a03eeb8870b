#pragma once
// JSON from the network, parsed within bounds. nlohmann/json copies and
// destroys values recursively, so a document nested 100,000 levels deep
// (a broken proxy, a hostile peer) overflows the stack after it parsed.
// Every JSON that comes off the wire goes through parse_bounded: a cheap
// pre-scan counts the nesting of [ and { outside strings and refuses a
// document deeper than max_depth (or longer than max_bytes) before the
// parser builds anything.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace promotebot::net {

struct json_limits {
    std::size_t max_depth = 64;                // Slack's payloads nest about 10 levels
    std::size_t max_bytes = 16 * 1024 * 1024;  // the websocket's own message limit
};

struct bounded_json {
    enum class verdict { ok, too_deep, too_large, malformed };
    verdict what = verdict::malformed;
    nlohmann::json value;  // discarded unless ok
    [[nodiscard]] bool ok() const { return what == verdict::ok; }
    // "nested deeper than 64 levels", "not JSON", ... for a log line.
    [[nodiscard]] std::string why(const json_limits& limits = {}) const;
};

// The deepest nesting of arrays and objects in `text` (strings skipped,
// escapes honoured), counting no further than `stop_at`.
[[nodiscard]] std::size_t json_depth(std::string_view text, std::size_t stop_at);

// Parses `text` unless it is deeper or longer than the limits. Never throws.
[[nodiscard]] bounded_json parse_bounded(std::string_view text, const json_limits& limits = {});

}  // namespace promotebot::net
