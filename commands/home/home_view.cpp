#include "commands/home/home_view.hpp"

#include <algorithm>

#include "commands/freeze/freeze_view.hpp"
#include "commands/message/text.hpp"
#include "commands/message/utf8.hpp"

namespace promotebot::commands {

namespace {

// At most `max` characters of `s`, cut on a character boundary and marked;
// stored text (gate evidence, reasons) can be long.
std::string clip(std::string_view s, std::size_t max) {
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_length(s, i);
        if (chars == max) {
            out += "…";
            break;
        }
        if (n == 0) {
            out += '?';
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
        ++chars;
    }
    return out;
}

std::string_view gate_emoji(gate_state s) {
    switch (s) {
    case gate_state::pass: return ":white_check_mark:";
    case gate_state::fail: return ":x:";
    case gate_state::unknown: return ":grey_question:";
    case gate_state::checking: return ":hourglass_flowing_sand:";
    }
    return ":grey_question:";
}

std::string_view result_emoji(std::string_view result) {
    if (result == "succeeded") return ":white_check_mark:";
    if (result == "failed") return ":x:";
    if (result == "running") return ":hourglass_flowing_sand:";
    if (result == "interrupted") return ":warning:";
    return ":heavy_minus_sign:";
}

// "(and 3 more)" when some were left out.
std::string more_text(std::size_t total, std::size_t shown, std::string_view what) {
    if (total <= shown) return {};
    return "…and " + std::to_string(total - shown) + " more " + std::string(what) + "\n";
}

void freeze_part(rich_text& t, const freeze_status& f, const date::time_zone* zone) {
    t += "*Change freeze*\n";
    if (f.frozen) {
        t += ":no_entry: Production is frozen now (" + join(f.rules, "; ") + ")";
        if (f.until) t += " until " + format_local(*f.until, zone);
        t += ".\n";
    } else {
        t += ":large_green_circle: Production is not frozen now.\n";
    }
    if (f.next)
        t += "Next freeze: " + format_local(f.next->start, zone) + " → " + format_local(f.next->end, zone) + " (" +
             join(f.next->rules, "; ") + ")\n";
    else
        t += "Next freeze: none in the coming year\n";
}

void requests_part(rich_text& t, const std::vector<home_request>& requests, const date::time_zone* zone) {
    t += "\n*Open promotion requests*\n";
    if (requests.empty()) {
        t += "None open. `/promote <version>` opens one.\n";
        return;
    }
    const auto shown = std::min(requests.size(), max_home_requests);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& r = requests[i];
        t += "• *#" + std::to_string(r.id) + " " + clip(r.version, 64) + " → " + clip(r.environment, 16) + "*: " +
             clip(r.status, 32) + ", requested by ";
        t += user_mention(r.requested_by);
        t += " on " + format_local(r.created_at, zone) + "\n";
        if (!r.gates) {
            t += "      :grey_question: its stored record could not be read\n";
            continue;
        }
        const auto gates_shown = std::min(r.gates->size(), max_home_gates);
        for (std::size_t g = 0; g < gates_shown; ++g) {
            const auto& gate = (*r.gates)[g];
            t += "      " + std::string(gate_emoji(gate.state)) + " " +
                 clip(gate.title.empty() ? gate.id : gate.title, 80);
            if (!gate.evidence.empty()) t += " — " + clip(gate.evidence, max_home_evidence_chars);
            t += "\n";
        }
        if (r.gates->size() > gates_shown) t += "      " + more_text(r.gates->size(), gates_shown, "gates");
    }
    t += more_text(requests.size(), shown, "requests");
}

void deployments_part(rich_text& t, const std::vector<home_environment>& environments, const date::time_zone* zone) {
    t += "\n*Recent deployments*\n";
    for (const auto& env : environments) {
        t += "_" + clip(env.name, 16) + "_\n";
        if (env.deployments.empty()) {
            t += "• none yet\n";
            continue;
        }
        const auto shown = std::min(env.deployments.size(), max_home_deployments);
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& d = env.deployments[i];
            t += "• " + std::string(result_emoji(d.result)) + " " + clip(d.version, 64) + " " + clip(d.result, 16) +
                 ", " + format_local(d.ended_at.value_or(d.started_at), zone) + ", by ";
            t += user_mention(d.requested_by);
            t += "\n";
        }
    }
}

void locks_part(rich_text& t, const std::vector<home_lock>& locks, const date::time_zone* zone) {
    t += "\n*Deploy locks*\n";
    if (locks.empty()) {
        t += "None held: no deployment is running.\n";
        return;
    }
    // At most one per environment, so the list is short.
    for (const auto& l : locks) {
        t += ":lock: " + clip(l.environment, 16) + ": held by ";
        t += user_mention(l.holder);
        t += " for request #" + std::to_string(l.promotion_id) + " since " + format_local(l.acquired_at, zone) + "\n";
    }
}

}  // namespace

const std::vector<std::string>& open_request_states() {
    static const std::vector<std::string> states{"checking",   "blocked",   "awaiting_signoffs", "ready",
                                                 "pre_deploy", "deploying", "verifying",         "awaiting_apply"};
    return states;
}

message home_message(const home_overview& o, sys_seconds now, const date::time_zone* zone) {
    message m;
    m.header = ":rocket: promotebot: releases at a glance";
    rich_text t;
    freeze_part(t, o.freeze, zone);
    requests_part(t, o.open_requests, zone);
    deployments_part(t, o.environments, zone);
    locks_part(t, o.locks, zone);
    m.text = std::move(t);
    m.context.push_back("As of " + format_local(now, zone) + " (" + zone->name() +
                        "). Open the Home tab again to refresh it.");
    return m;
}

}  // namespace promotebot::commands
