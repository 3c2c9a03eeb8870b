#pragma once
// Logging for the bot: text or JSON lines, with Slack tokens and registered
// secrets replaced by "[redacted]" before any line is written.
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

namespace promotebot::bot {

enum class log_format {
    text,  // 2026-11-26T09:15:02.125Z info [promotebot] message
    // {"ts":"2026-11-26T09:15:02.125Z","level":"info","logger":"promotebot","msg":"message"}; a message
    // that names "promotion #N" also carries "promotion_id":N, so one promotion can be followed.
    json,
};

std::optional<log_format> parse_log_format(std::string_view name);             // "text", "json"
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);  // "info", "warn", ...

// Every line written afterwards has each occurrence of `secret` redacted
// (the bot token, the app token, signing secrets). Empty strings are ignored.
void register_secret(std::string secret);
// Replaces Slack token shapes (xoxb-…, xoxp-…, xapp-…) and registered secrets.
std::string redact(std::string_view text);

// A sink that formats, redacts and writes one line per message, flushing each.
std::shared_ptr<spdlog::sinks::sink> make_log_sink(log_format format, std::FILE* out);
std::shared_ptr<spdlog::sinks::sink> make_log_sink(log_format format, std::ostream& out);

// Installs a "promotebot" logger writing to `out` as spdlog's default logger,
// so spdlog::info(...) and friends go through redaction.
void setup_logging(log_format format, spdlog::level::level_enum level, std::FILE* out = stderr);
void setup_logging(log_format format, spdlog::level::level_enum level, std::ostream& out);

// A logger named after a component ("slack", "store") sharing the default
// logger's sinks and level.
std::shared_ptr<spdlog::logger> named_logger(std::string name);

}  // namespace promotebot::bot
