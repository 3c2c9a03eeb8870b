#include "commands/promotion/command_gates.hpp"

#include <algorithm>

#include "commands/message/utf8.hpp"

namespace promotebot::commands {

namespace {

std::string two(long v) {
    std::string out = std::to_string(v);
    if (out.size() < 2) out.insert(out.begin(), '0');
    return out;
}

gate_result answered(std::string_view id, std::string_view title, gate_state state, std::string evidence,
                     std::chrono::sys_seconds now) {
    auto r = gate_answer(std::string(id), std::string(title), state, std::move(evidence));
    r.checked_at = now;
    return r;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::string ended_text(const command_exit& exit) {
    switch (exit.ended) {
    case command_exit::how::exited: return "exited with code " + std::to_string(exit.exit_code);
    case command_exit::how::killed: return "was killed by a signal";
    case command_exit::how::timed_out: return "timed out";
    case command_exit::how::cancelled: return "was cancelled";
    case command_exit::how::failed_to_start: return "could not be started";
    }
    return "ended in an unknown way";
}

}  // namespace

std::string hours_minutes_text(std::chrono::seconds d) {
    if (d < std::chrono::seconds{0}) d = std::chrono::seconds{0};
    const auto h = std::chrono::duration_cast<std::chrono::hours>(d).count();
    const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count() % 60;
    if (h == 0) return std::to_string(m) + " min";
    if (m == 0) return std::to_string(h) + " h";
    return std::to_string(h) + " h " + std::to_string(m) + " min";
}

std::string utc_minute_text(std::chrono::sys_seconds t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    return std::to_string(static_cast<int>(ymd.year())) + "-" + two(static_cast<unsigned>(ymd.month())) + "-" +
           two(static_cast<unsigned>(ymd.day())) + " " + two(hms.hours().count()) + ":" +
           two(hms.minutes().count()) + " UTC";
}

gate_result soak_verdict(std::string_view version, std::optional<std::string_view> int_running_tag,
                         std::optional<std::chrono::sys_seconds> running_since, std::chrono::hours soak,
                         std::chrono::sys_seconds now) {
    const auto id = gate_ids::soak;
    const auto title = gate_titles::soak;
    if (!int_running_tag)
        return answered(id, title, gate_state::unknown, "the version int runs could not be read", now);
    const auto running = evidence_text(*int_running_tag, 64);
    if (*int_running_tag != version)
        return answered(id, title, gate_state::fail,
                        "int runs " + running + ", not " + std::string(version), now);
    if (!running_since)
        return answered(id, title, gate_state::unknown,
                        "int runs " + running + ", but since when is not known (no deployment record, no registry upload time)",
                        now);
    const auto elapsed = now - *running_since;
    if (elapsed < soak)
        return answered(id, title, gate_state::fail,
                        "int has run " + running + " for " + hours_minutes_text(elapsed) + " of the " +
                            hours_minutes_text(soak) + " required",
                        now);
    return answered(id, title, gate_state::pass,
                    "int has run " + running + " since " + utc_minute_text(*running_since) + " (" +
                        hours_minutes_text(elapsed) + ")",
                    now);
}

gate_result cycles_verdict(std::optional<std::string_view> count_text, int minimum, std::chrono::sys_seconds since,
                           std::chrono::sys_seconds now) {
    const auto id = gate_ids::pipeline_cycles;
    const auto title = gate_titles::pipeline_cycles;
    if (!count_text) return answered(id, title, gate_state::unknown, "the pipeline cycles could not be counted", now);
    const auto text = trim(*count_text);
    if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return answered(id, title, gate_state::unknown, "the count of pipeline cycles is not a number", now);
    long count = 0;
    for (const char c : text) count = count * 10 + (c - '0');
    const std::string counted = std::to_string(count) + (count == 1 ? " successful pipeline cycle" : " successful pipeline cycles") +
                                " since " + utc_minute_text(since);
    if (count >= minimum) return answered(id, title, gate_state::pass, counted, now);
    return answered(id, title, gate_state::fail, counted + ", " + std::to_string(minimum) + " required", now);
}

gate_result command_check_verdict(std::string id, std::string title, const command_exit& exit,
                                  std::string_view first_stdout_line) {
    gate_state state = gate_state::unknown;
    if (exit.ended == command_exit::how::exited && exit.exit_code == 0) state = gate_state::pass;
    if (exit.ended == command_exit::how::exited && exit.exit_code == 1) state = gate_state::fail;
    std::string evidence = evidence_text(first_stdout_line);
    const bool clear = exit.ended == command_exit::how::exited && (exit.exit_code == 0 || exit.exit_code == 1);
    if (evidence.empty()) evidence = "the check " + ended_text(exit);
    else if (!clear) evidence = "the check " + ended_text(exit) + ": " + evidence;
    if (evidence.size() > max_evidence_bytes + 64) evidence = evidence_text(evidence, max_evidence_bytes + 64);
    return gate_answer(std::move(id), std::move(title), state, std::move(evidence));
}

std::string evidence_text(std::string_view line, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < line.size();) {
        const auto c = static_cast<unsigned char>(line[i]);
        const auto n = utf8_length(line, i);
        if (n == 0) {
            ++i;  // not UTF-8: dropped
            continue;
        }
        bool keep = true;
        if (n == 1 && (c < 0x20 || c == 0x7F)) keep = false;
        if (n == 2 && c == 0xC2 && static_cast<unsigned char>(line[i + 1]) <= 0x9F) keep = false;  // C1 controls
        if (c == '\t') {
            keep = false;
            if (!out.empty() && out.back() != ' ' && out.size() < max_bytes) out += ' ';
        }
        if (keep) {
            if (out.size() + n > max_bytes) break;
            out.append(line.substr(i, n));
        }
        i += n;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::size_t lead = 0;
    while (lead < out.size() && out[lead] == ' ') ++lead;
    return out.substr(lead);
}

}  // namespace promotebot::commands
