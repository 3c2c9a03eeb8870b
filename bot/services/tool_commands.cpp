#include "bot/services/tool_commands.hpp"

#include <cstdlib>
#include <deque>

#include "commands/promotion/tool_output.hpp"

namespace promotebot::bot {

commands::redactor known_secrets_redactor() {
    commands::redactor r;
    for (const char* name : {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SERVICENOW_PASSWORD", "SERVICENOW_TOKEN",
                             "DYNATRACE_API_TOKEN", "PROMOTEBOT_AUDIT_KEY"})
        if (const char* v = std::getenv(name); v && *v) r.add_secret(v);
    return r;
}

std::map<std::string, std::string> environment_values(const config& cfg, const std::string& environment) {
    std::map<std::string, std::string> v;
    v["environment"] = environment;
    const auto it = cfg.environments.find(environment);
    if (it == cfg.environments.end()) return v;
    if (!it->second.project_id.empty()) v["project_id"] = it->second.project_id;
    if (!it->second.kube_context.empty()) v["kube_context"] = it->second.kube_context;
    return v;
}

process_spec command_spec(const config& cfg, const std::string& environment, std::vector<std::string> argv,
                          std::chrono::seconds timeout, const std::string& dir) {
    process_spec spec;
    spec.timeout = timeout;
    spec.working_dir = dir;
    const auto env = cfg.environments.find(environment);
    if (!argv.empty()) {
        const std::string tool = argv[0];
        if (tool == "kubectl" && env != cfg.environments.end() && !env->second.kube_context.empty())
            argv.insert(argv.begin() + 1, {"--context", env->second.kube_context});
        if (tool == "terraform" && spec.working_dir.empty() && env != cfg.environments.end())
            spec.working_dir = env->second.terraform_dir;
        if (const auto path = cfg.tools.find(tool); path != cfg.tools.end()) argv[0] = path->second;
    }
    spec.argv = std::move(argv);
    return spec;
}

std::string ended_text(const process_outcome& o) {
    switch (o.ended) {
    case process_outcome::how::exited: return "exit " + std::to_string(o.exit_code);
    case process_outcome::how::killed: return "killed by signal " + std::to_string(o.signal);
    case process_outcome::how::timed_out: return "timed out";
    case process_outcome::how::cancelled: return "cancelled";
    case process_outcome::how::failed_to_start: return o.error;
    }
    return "ended";
}

boost::asio::awaitable<captured_output> run_capture(process_runner& runner, const process_spec& spec,
                                                    const commands::redactor& redact,
                                                    std::shared_ptr<process_cancellation> cancel) {
    captured_output c;
    std::deque<std::string> tail;
    bool first = true;
    std::size_t out_bytes = 0;
    auto on_line = [&](const process_line& l) {
        auto text = redact.redact(l.text);
        if (l.stream == output_stream::out) {
            if (first) {
                c.first_line = text;
                first = false;
            }
            // The unredacted text is what parsers read (digests, JSON); only the redacted text is kept.
            if (out_bytes + l.text.size() + 1 <= commands::max_tool_output_bytes) {
                c.out += l.text;
                c.out += '\n';
                out_bytes += l.text.size() + 1;
            }
        }
        tail.push_back(text);
        if (tail.size() > tail_lines) tail.pop_front();
        if (c.lines.size() < max_captured_lines) c.lines.push_back({l.stream, std::move(text)});
    };
    // Named before co_await: g++ 12 mishandles owning temporaries inside a co_await expression.
    std::function<void(const process_line&)> sink = on_line;
    c.outcome = co_await runner.run(spec, sink, cancel);
    c.tail.assign(tail.begin(), tail.end());
    co_return c;
}

}  // namespace promotebot::bot
