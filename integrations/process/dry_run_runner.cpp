#include "integrations/process/dry_run_runner.hpp"

#include <chrono>
#include <cstdio>

namespace promotebot::process {

namespace {

bool is_bare_safe(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '@' ||
           c == '%' || c == '+' || c == '=' || c == ':' || c == ',' || c == '.' || c == '/' || c == '-';
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

void append_ansi_c_quoted(std::string& out, const std::string& word) {
    out += "$'";
    for (const char ch : word) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        case '\'': out += "\\'"; break;
        default:
            if (is_control(c)) {
                char hex[5];
                std::snprintf(hex, sizeof hex, "\\x%02x", c);
                out += hex;
            } else {
                out += ch;
            }
        }
    }
    out += '\'';
}

void append_word(std::string& out, const std::string& word) {
    bool bare = !word.empty();
    bool control = false;
    for (const char ch : word) {
        const auto c = static_cast<unsigned char>(ch);
        bare = bare && is_bare_safe(c);
        control = control || is_control(c);
    }
    if (bare) {
        out += word;
    } else if (control) {
        append_ansi_c_quoted(out, word);
    } else {
        out += '\'';
        for (const char ch : word) {
            if (ch == '\'') out += "'\\''";
            else out += ch;
        }
        out += '\'';
    }
}

}  // namespace

std::string display_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& word : argv) {
        if (!out.empty()) out += ' ';
        append_word(out, word);
    }
    return out;
}

boost::asio::awaitable<bot::process_outcome> dry_run_runner::run(
    const bot::process_spec& spec, std::function<void(const bot::process_line&)> on_line,
    std::shared_ptr<bot::process_cancellation> cancel) {
    bot::process_outcome outcome;
    if (cancel && cancel->cancelled()) {
        outcome.ended = bot::process_outcome::how::cancelled;
        co_return outcome;
    }
    if (sink_) sink_(spec.argv);
    bot::process_line line{bot::output_stream::out, "dry run: " + display_command(spec.argv)};
    // The same promise as a real run: no line is longer than max_line_bytes.
    if (line.text.size() > bot::max_line_bytes) line.text.resize(bot::max_line_bytes);
    if (on_line) on_line(line);
    outcome.ended = bot::process_outcome::how::exited;
    outcome.exit_code = 0;
    co_return outcome;
}

}  // namespace promotebot::process
