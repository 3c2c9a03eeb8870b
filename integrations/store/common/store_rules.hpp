#pragma once
// What every store backend checks and bounds the same way, so that SQLite and
// PostgreSQL keep one contract: valid UTF-8 in what is hashed or shown, JSON
// objects where objects are promised, non-empty names, the deployment results
// known, and the size limits of step output.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promotebot::storage {

// What one promotion's step output may hold, so a chatty tool cannot fill the
// disk. A line longer than step_output_line_bytes is cut at a UTF-8 boundary
// and ends in "…" (invalid UTF-8 becomes U+FFFD first). Of all the lines a
// promotion's steps ever printed, the first step_output_head_lines and the
// newest step_output_tail_lines are kept: the start shows what ran, the end
// shows how it failed. The lines between them are replaced by one marker line
// "… output truncated: N lines dropped" (stream "err", the step of the last
// line dropped), which moves along as more lines arrive. So a promotion holds
// at most head + tail + 1 lines.
inline constexpr std::size_t step_output_line_bytes = 8 * 1024;
inline constexpr std::int64_t step_output_head_lines = 10'000;
inline constexpr std::int64_t step_output_tail_lines = 10'000;

// Invalid UTF-8 bytes become U+FFFD, so hashing and exporting never fail later.
std::string valid_utf8(const std::string& s);
nlohmann::json valid_utf8(const nlohmann::json& j);
// true when `s` is valid UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(const std::string& s);

// null becomes {}; a non-object throws std::invalid_argument naming `what`.
nlohmann::json object_detail(const nlohmann::json& detail, const char* what);
void require_non_empty(const std::string& value, const char* what);
// Stored JSON text; std::runtime_error naming `where` when it does not parse.
nlohmann::json parse_stored_json(const std::string& text, const std::string& where);
std::string json_text(const nlohmann::json& j);
// A stored JSON array of strings (approvals, change records).
std::vector<std::string> stored_strings(const std::string& text, const std::string& where);

// std::invalid_argument unless one of running, succeeded, failed, interrupted, cancelled.
void require_deployment_result(const std::string& result);

// A tool's output line as stored: valid UTF-8, at most step_output_line_bytes,
// ending in "…" when it was cut.
std::string bounded_output_line(const std::string& text);
// The line that stands for `dropped` lines cut from a promotion's output.
std::string output_truncated_marker(std::int64_t dropped);

// Errors come from the network; what is kept of them is bounded.
std::string bounded_error(const std::string& error);

}  // namespace promotebot::storage
