// libFuzzer target for what the runbook's tools print and what the bot builds
// from it: every reader of tool output, the redactor and argv expansion.
// Whatever the bytes: no crash, no exception; a reader answers a value that
// satisfies its contract or a non-empty error; redacted text never holds a
// registered secret; an expanded argv keeps the template's shape and never
// turns a placeholder into an option.
//
// The sources under test are compiled into this target with the fuzzer's
// instrumentation (PROMOTEBOT_FUZZ_SOURCES_tool_output_fuzz in
// tests/CMakeLists.txt); the library gives the grammar's validators.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "commands/promotion/argv_template.hpp"
#include "commands/promotion/command_gates.hpp"
#include "commands/promotion/redactor.hpp"
#include "commands/promotion/tool_output.hpp"

namespace {

using namespace promotebot::commands;

void require(bool condition) {
    if (!condition) std::abort();
}

template <typename T>
void require_answer(const tool_result<T>& r) {
    require(r.ok() ? r.error.empty() : !r.error.empty());
}

bool has_control(std::string_view s) {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return true;
    }
    return false;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto at = s.find(sep, start);
        parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return parts;
}

void fuzz_readers(std::string_view text) {
    const auto since = std::chrono::sys_seconds{std::chrono::seconds{1'795'000'000}};
    const auto jobs = parse_kubectl_jobs(text);
    require_answer(jobs);
    if (jobs.ok()) {
        for (const auto& job : *jobs.value) {
            require(!job.name.empty());
            require(job.succeeded >= 0 && job.failed >= 0 && job.active >= 0);
            (void)to_string(job_outcome(job));
        }
        for (const std::string_view owner : {"markets-pipeline", ""}) {
            if (const auto* first = first_job_after(*jobs.value, owner, since)) {
                require(!owner.empty() && first->owner_cronjob == owner);
                require((first->started ? *first->started : *first->created) >= since);
            }
        }
    }

    const auto image = cronjob_container_image(text, "orchestrator");
    require_answer(image);
    if (image.ok()) require(!image.value->empty());

    if (const auto tag = image_tag(text)) {
        require(!tag->empty());
        require(tag->find('/') == std::string::npos && tag->find('@') == std::string::npos);
    }
    if (const auto digest = image_digest(text)) require(is_valid_digest(*digest));

    const auto tags = parse_gcloud_list_tags(text);
    require_answer(tags);
    if (tags.ok()) {
        for (const auto& e : *tags.value) require(!e.digest.empty());
        if (const auto* e = tag_entry(*tags.value, "v1.2.3")) {
            bool carries = false;
            for (const auto& t : e->tags) carries = carries || t == "v1.2.3";
            require(carries);
        }
    }

    for (const std::string_view tag : {"v1.2.3", "latest"}) {
        const auto pushed = pushed_digest(text, tag);
        require_answer(pushed);
        if (pushed.ok()) require(is_valid_digest(*pushed.value));
        const std::vector<std::string> lines{std::string(text)};
        require(pushed_digest(lines, tag).value == pushed.value);
    }

    require_answer(bq_first_cell(text));

    const auto plan = parse_terraform_plan(text);
    require_answer(plan);
    if (plan.ok()) {
        require(plan.value->add >= 0 && plan.value->change >= 0 && plan.value->destroy >= 0);
        for (const auto& r : plan.value->resources) require(!r.empty());
    }

    const auto stripped = strip_ansi(text);
    require(stripped.size() <= text.size());
    require(stripped.find('\x1b') == std::string::npos);

    if (const auto t = parse_rfc3339(text)) require(parse_rfc3339(format_rfc3339(*t)) == t);
    (void)parse_gcloud_datetime(text);

    const auto evidence = evidence_text(text);
    require(evidence.size() <= max_evidence_bytes);
    require(!has_control(evidence));
    const auto check = command_check_verdict("c", "t", {command_exit::how::exited, static_cast<int>(text.size() % 4)}, text);
    require(!check.evidence.empty());
    require(!has_control(check.evidence));
    (void)cycles_verdict(text, 3, since, since);
    (void)soak_verdict("v1.2.3", text, since, std::chrono::hours{24}, since + std::chrono::hours{25});
}

// Input: secrets separated by '\x01', then '\x02', then the line.
void fuzz_redactor(std::string_view input) {
    const auto split_at = input.find('\x02');
    const auto secrets_part = split_at == std::string_view::npos ? std::string_view{} : input.substr(0, split_at);
    const auto line = split_at == std::string_view::npos ? input : input.substr(split_at + 1);
    redactor r;
    std::vector<std::string> registered;
    for (const auto s : split(secrets_part, '\x01')) {
        r.add_secret(std::string(s));
        // What add_secret promises to cover: each line of the value too.
        for (auto part : split(s, '\n')) {
            if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
            if (part.size() >= redactor::min_secret_length && redaction_marker.find(part) == std::string_view::npos)
                registered.emplace_back(part);
        }
        if (s.size() >= redactor::min_secret_length && redaction_marker.find(s) == std::string_view::npos)
            registered.emplace_back(s);
    }
    const auto out = r.redact(line);
    for (const auto& s : registered) require(out.find(s) == std::string::npos);
    // Redaction is stable: what is left holds nothing more to take out.
    if (registered.empty() && out.find(redaction_marker) == std::string::npos) require(out == line);
}

// Input: template arguments separated by '\x01', then '\x02', then values as
// name=value separated by '\x01'.
void fuzz_argv(std::string_view input) {
    const auto split_at = input.find('\x02');
    const auto tmpl_part = input.substr(0, split_at);
    const auto values_part = split_at == std::string_view::npos ? std::string_view{} : input.substr(split_at + 1);
    std::vector<std::string> tmpl;
    for (const auto a : split(tmpl_part, '\x01')) tmpl.emplace_back(a);
    std::map<std::string, std::string> values;
    for (const auto v : split(values_part, '\x01')) {
        const auto eq = v.find('=');
        if (eq != std::string_view::npos) values[std::string(v.substr(0, eq))] = std::string(v.substr(eq + 1));
    }
    std::set<std::string> all;
    for (const auto& rule : known_placeholders()) all.emplace(rule.name);
    const auto problems = template_problems(tmpl, all);
    for (const auto& p : problems) require(!p.empty());

    const auto out = expand_argv(tmpl, values);
    if (!out.ok()) {
        require(out.argv.empty());
        return;
    }
    require(problems.empty());
    require(out.argv.size() == tmpl.size());
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        // An argument that starts with a placeholder cannot start with '-'.
        if (tmpl[i].size() >= 2 && tmpl[i][0] == '{' && tmpl[i][1] != '{') require(out.argv[i].empty() || out.argv[i][0] != '-');
    }
    const auto names = template_placeholders(tmpl);
    require(names.has_value());
    for (const auto& n : *names) {
        const auto* rule = find_placeholder(n);
        require(rule != nullptr && values.count(n) == 1 && rule->valid(values.at(n)));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (input.empty()) return 0;
    const auto rest = input.substr(1);
    switch (static_cast<unsigned char>(input[0]) % 3) {
    case 0: fuzz_readers(rest); break;
    case 1: fuzz_redactor(rest); break;
    default: fuzz_argv(rest); break;
    }
    return 0;
}
