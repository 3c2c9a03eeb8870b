// Redacting log sinks: tokens never reach a log line in either format.
#include "bot/main/logging.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include <date/date.h>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "commands/message/text.hpp"

namespace promotebot::bot {
namespace {

constexpr std::string_view redacted = "[redacted]";

std::mutex secrets_mutex;
std::vector<std::string>& secrets() {
    static std::vector<std::string> list;
    return list;
}

bool token_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; }

// Length of a Slack token starting at `pos`, or 0: xox[abposr]-… or xapp-….
std::size_t token_length_at(std::string_view text, std::size_t pos) {
    std::size_t prefix = 0;
    const auto rest = text.substr(pos);
    if (rest.size() > 4 && rest.substr(0, 3) == "xox" && std::string_view{"abposr"}.find(rest[3]) != std::string_view::npos &&
        rest[4] == '-')
        prefix = 5;
    else if (rest.substr(0, 5) == "xapp-")
        prefix = 5;
    if (prefix == 0) return 0;
    std::size_t end = prefix;
    while (end < rest.size() && token_char(rest[end])) ++end;
    return end > prefix ? end : 0;
}

// The N of the first "promotion #N" (or "Promotion #N") in a message, so one
// promotion's lines can be followed in JSON logs. At most 18 digits: the ID
// always fits in an int64.
std::optional<std::int64_t> promotion_id_in(std::string_view text) {
    static constexpr std::string_view marker = "romotion #";
    for (auto at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + 1)) {
        if (at == 0 || (text[at - 1] != 'p' && text[at - 1] != 'P')) continue;
        if (at >= 2 && std::isalnum(static_cast<unsigned char>(text[at - 2])) != 0) continue;  // "xpromotion #1"
        std::size_t end = at + marker.size();
        std::int64_t id = 0;
        std::size_t digits = 0;
        while (end < text.size() && digits < 19 && std::isdigit(static_cast<unsigned char>(text[end])) != 0) {
            id = id * 10 + (text[end] - '0');
            ++end;
            ++digits;
        }
        if (digits == 0 || digits > 18) continue;
        return id;
    }
    return std::nullopt;
}

std::string utc_timestamp(spdlog::log_clock::time_point t) {
    return date::format("%FT%TZ", std::chrono::floor<std::chrono::milliseconds>(t));
}

class redacting_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    using writer = std::function<void(std::string_view)>;

    redacting_sink(log_format format, writer write) : format_(format), write_(std::move(write)) {
        set_formatter_(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v",
                                                                   spdlog::pattern_time_type::utc, "\n"));
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string line;
        if (format_ == log_format::text) {
            spdlog::memory_buf_t buffer;
            formatter_->format(msg, buffer);
            line = redact(std::string_view{buffer.data(), buffer.size()});
        } else {
            // Redact before escaping, so a secret with quotes or backslashes is still found.
            const auto text = redact(std::string_view{msg.payload.data(), msg.payload.size()});
            nlohmann::ordered_json entry = {
                {"ts", utc_timestamp(msg.time)},
                {"level", std::string{spdlog::level::to_string_view(msg.level).data(),
                                      spdlog::level::to_string_view(msg.level).size()}},
                {"logger", redact(std::string_view{msg.logger_name.data(), msg.logger_name.size()})},
                {"msg", text},
            };
            if (const auto id = promotion_id_in(text)) entry["promotion_id"] = *id;
            line = redact(entry.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)) + "\n";
        }
        write_(line);
    }

    void flush_() override {}

private:
    log_format format_;
    writer write_;
};

void install(std::shared_ptr<spdlog::sinks::sink> sink, spdlog::level::level_enum level) {
    auto logger = std::make_shared<spdlog::logger>("promotebot", std::move(sink));
    logger->set_level(level);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace

std::optional<log_format> parse_log_format(std::string_view name) {
    const auto n = commands::to_lower(name);
    if (n == "text") return log_format::text;
    if (n == "json") return log_format::json;
    return std::nullopt;
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    using spdlog::level::level_enum;
    const auto n = commands::to_lower(name);
    if (n == "trace") return level_enum::trace;
    if (n == "debug") return level_enum::debug;
    if (n == "info") return level_enum::info;
    if (n == "warn" || n == "warning") return level_enum::warn;
    if (n == "error") return level_enum::err;
    if (n == "critical") return level_enum::critical;
    if (n == "off") return level_enum::off;
    return std::nullopt;
}

void register_secret(std::string secret) {
    if (secret.empty()) return;
    std::lock_guard lock{secrets_mutex};
    auto& list = secrets();
    if (std::find(list.begin(), list.end(), secret) != list.end()) return;
    list.push_back(std::move(secret));
    // Longest first, so a secret containing another is replaced whole.
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
    std::lock_guard lock{secrets_mutex};
    const auto& list = secrets();
    std::string out;
    out.reserve(text.size());
    // One pass, so text already replaced is never matched again.
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = 0;
        for (const auto& secret : list) {
            if (text.substr(i, secret.size()) == secret) {
                length = secret.size();
                break;
            }
        }
        if (length == 0 && text[i] == 'x') length = token_length_at(text, i);
        if (length != 0) {
            out += redacted;
            i += length;
        } else {
            out += text[i++];
        }
    }
    return out;
}

std::shared_ptr<spdlog::sinks::sink> make_log_sink(log_format format, std::FILE* out) {
    return std::make_shared<redacting_sink>(format, [out](std::string_view line) {
        std::fwrite(line.data(), 1, line.size(), out);
        std::fflush(out);
    });
}

std::shared_ptr<spdlog::sinks::sink> make_log_sink(log_format format, std::ostream& out) {
    return std::make_shared<redacting_sink>(format, [&out](std::string_view line) {
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
        out.flush();
    });
}

void setup_logging(log_format format, spdlog::level::level_enum level, std::FILE* out) {
    install(make_log_sink(format, out), level);
}

void setup_logging(log_format format, spdlog::level::level_enum level, std::ostream& out) {
    install(make_log_sink(format, out), level);
}

std::shared_ptr<spdlog::logger> named_logger(std::string name) {
    return spdlog::default_logger()->clone(std::move(name));
}

}  // namespace promotebot::bot
