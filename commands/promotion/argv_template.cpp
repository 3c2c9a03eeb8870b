#include "commands/promotion/argv_template.hpp"

#include <algorithm>

#include "commands/grammar/grammar.hpp"
#include "commands/promotion/tool_output.hpp"

namespace promotebot::commands {

namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

bool is_valid_version_value(std::string_view v) { return is_valid_version(v); }
bool is_valid_change_record_value(std::string_view v) { return is_valid_change_record(v); }
bool is_valid_model_value(std::string_view v) { return is_valid_dbt_model(v); }

// One argument of a template: literal text and placeholders, in order.
struct piece {
    bool placeholder = false;
    std::string text;  // the literal, or the placeholder's name
};

bool is_name_char(char c) { return is_lower(c) || is_digit(c) || c == '_'; }

// nullopt with `problem` set when the braces do not pair up.
std::optional<std::vector<piece>> split(std::string_view arg, std::string& problem) {
    std::vector<piece> pieces;
    std::string literal;
    for (std::size_t i = 0; i < arg.size(); ++i) {
        const char c = arg[i];
        if (c == '{' && i + 1 < arg.size() && arg[i + 1] == '{') {
            literal += '{';
            ++i;
        } else if (c == '}' && i + 1 < arg.size() && arg[i + 1] == '}') {
            literal += '}';
            ++i;
        } else if (c == '}') {
            problem = "has a `}` without its `{` (write `}}` for a literal brace)";
            return std::nullopt;
        } else if (c == '{') {
            const auto close = arg.find_first_of("{}", i + 1);
            if (close == std::string_view::npos || arg[close] != '}') {
                problem = "has a `{` without its `}` (write `{{` for a literal brace)";
                return std::nullopt;
            }
            const auto name = arg.substr(i + 1, close - i - 1);
            if (name.empty() || name.size() > 32 || !std::all_of(name.begin(), name.end(), is_name_char)) {
                problem = "has braces around something that is no placeholder name (write `{{` and `}}` for literal braces)";
                return std::nullopt;
            }
            if (!literal.empty()) pieces.push_back({false, std::move(literal)});
            literal.clear();
            pieces.push_back({true, std::string(name)});
            i = close;
        } else {
            literal += c;
        }
    }
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    return pieces;
}

std::string where(std::size_t index) { return "argv[" + std::to_string(index) + "]"; }

std::string names_of(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

}  // namespace

bool is_valid_project_id(std::string_view v) {
    if (v.size() < 6 || v.size() > 30 || !is_lower(v.front())) return false;
    if (!(is_lower(v.back()) || is_digit(v.back()))) return false;
    return std::all_of(v.begin(), v.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '-'; });
}

bool is_valid_environment_name(std::string_view v) { return v == "int" || v == "prod"; }

bool is_valid_image_reference(std::string_view v) {
    if (v.empty() || v.size() > 512 || !(is_lower(v.front()) || is_upper(v.front()) || is_digit(v.front())))
        return false;
    return std::all_of(v.begin(), v.end(), [](char c) {
        return is_lower(c) || is_upper(c) || is_digit(c) || c == '.' || c == '_' || c == '/' || c == ':' || c == '@' ||
               c == '-';
    });
}

bool is_valid_digest(std::string_view v) {
    constexpr std::string_view algo = "sha256:";
    if (v.size() != algo.size() + 64 || v.substr(0, algo.size()) != algo) return false;
    const auto hex = v.substr(algo.size());
    return std::all_of(hex.begin(), hex.end(), [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
}

bool is_valid_utc_time(std::string_view v) {
    return v.size() == 20 && v[10] == 'T' && v[19] == 'Z' && parse_rfc3339(v).has_value();
}

bool is_valid_promotion_id(std::string_view v) { return v.size() <= 18 && all_digits(v); }

bool is_valid_kube_context(std::string_view v) {
    if (v.empty() || v.size() > 253 || v.front() == '-') return false;
    return std::all_of(v.begin(), v.end(), [](char c) {
        return is_lower(c) || is_upper(c) || is_digit(c) || c == '_' || c == '.' || c == ':' || c == '@' ||
               c == '/' || c == '-';
    });
}

bool is_valid_job_name(std::string_view v) {
    if (v.empty() || v.size() > 63) return false;
    auto alnum = [](char c) { return is_lower(c) || is_digit(c); };
    if (!alnum(v.front()) || !alnum(v.back())) return false;
    return std::all_of(v.begin(), v.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool is_valid_git_ref(std::string_view v) {
    if (v.empty() || v.size() > 100) return false;
    if (v.substr(0, 5) == "HEAD~") {
        const auto n = v.substr(5);
        return !n.empty() && n.size() <= 3 && all_digits(n) && n.front() != '0';
    }
    const auto alnum = [](char c) { return is_lower(c) || is_upper(c) || is_digit(c); };
    if (!alnum(v.front()) || v.back() == '/' || v.back() == '.') return false;
    if (v.size() >= 5 && v.substr(v.size() - 5) == ".lock") return false;
    if (v.find("..") != std::string_view::npos || v.find("//") != std::string_view::npos ||
        v.find("/.") != std::string_view::npos)
        return false;
    return std::all_of(v.begin(), v.end(),
                       [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '/' || c == '-'; });
}

const std::vector<placeholder_rule>& known_placeholders() {
    static const std::vector<placeholder_rule> rules = {
        {"version", is_valid_version_value, "a version like v1.2.3"},
        {"project_id", is_valid_project_id, "a GCP project ID"},
        {"environment", is_valid_environment_name, "int or prod"},
        {"image", is_valid_image_reference, "an image reference"},
        {"digest", is_valid_digest, "a sha256 digest"},
        {"since", is_valid_utc_time, "a UTC time like 2026-11-28T10:00:00Z"},
        {"promotion_id", is_valid_promotion_id, "a promotion number"},
        {"change_record", is_valid_change_record_value, "a change record like CHG0012345"},
        {"kube_context", is_valid_kube_context, "a kubectl context name"},
        {"job_name", is_valid_job_name, "a Kubernetes job name"},
        {"model", is_valid_model_value, "a dbt model name"},
        {"ref", is_valid_git_ref, "a git revision like HEAD~1, a commit or a branch name"},
    };
    return rules;
}

const placeholder_rule* find_placeholder(std::string_view name) {
    for (const auto& rule : known_placeholders())
        if (rule.name == name) return &rule;
    return nullptr;
}

std::vector<std::string> template_problems(const std::vector<std::string>& argv_template,
                                           const std::set<std::string>& allowed) {
    std::vector<std::string> problems;
    if (argv_template.empty()) {
        problems.emplace_back("the command is empty: it needs at least the program to run");
        return problems;
    }
    if (argv_template.front().empty()) problems.emplace_back("argv[0], the program, is empty");
    std::vector<std::string> available;
    for (const auto& name : allowed)
        if (find_placeholder(name) != nullptr) available.push_back(name);
    for (std::size_t i = 0; i < argv_template.size(); ++i) {
        std::string problem;
        const auto pieces = split(argv_template[i], problem);
        if (!pieces) {
            problems.push_back(where(i) + " " + problem);
            continue;
        }
        for (const auto& p : *pieces) {
            if (!p.placeholder) continue;
            if (i == 0) {
                problems.push_back("argv[0], the program, cannot hold a placeholder");
            } else if (find_placeholder(p.text) == nullptr) {
                problems.push_back(where(i) + ": unknown placeholder {" + p.text + "}; available here: " +
                                   names_of(available));
            } else if (allowed.count(p.text) == 0) {
                problems.push_back(where(i) + ": {" + p.text + "} is not available in this command; available: " +
                                   names_of(available));
            }
        }
    }
    return problems;
}

expanded_argv expand_argv(const std::vector<std::string>& argv_template,
                          const std::map<std::string, std::string>& values) {
    expanded_argv out;
    auto fail = [&out](std::string why) {
        out.argv.clear();
        out.error = std::move(why);
        return out;
    };
    if (argv_template.empty() || argv_template.front().empty()) return fail("the command is empty");
    out.argv.reserve(argv_template.size());
    for (std::size_t i = 0; i < argv_template.size(); ++i) {
        std::string problem;
        const auto pieces = split(argv_template[i], problem);
        if (!pieces) return fail(where(i) + " " + problem);
        std::string arg;
        for (const auto& p : *pieces) {
            if (!p.placeholder) {
                arg += p.text;
                continue;
            }
            if (i == 0) return fail("argv[0], the program, cannot hold a placeholder");
            const auto* rule = find_placeholder(p.text);
            if (rule == nullptr) return fail(where(i) + ": unknown placeholder {" + p.text + "}");
            const auto value = values.find(p.text);
            if (value == values.end()) return fail("{" + p.text + "}: no value is known here");
            if (!rule->valid(value->second))
                return fail("{" + p.text + "}: the value is not " + std::string(rule->shape));
            arg += value->second;
        }
        out.argv.push_back(std::move(arg));
    }
    return out;
}

std::optional<std::vector<std::string>> template_placeholders(const std::vector<std::string>& argv_template) {
    std::vector<std::string> names;
    for (const auto& arg : argv_template) {
        std::string problem;
        const auto pieces = split(arg, problem);
        if (!pieces) return std::nullopt;
        for (const auto& p : *pieces)
            if (p.placeholder && std::find(names.begin(), names.end(), p.text) == names.end()) names.push_back(p.text);
    }
    return names;
}

}  // namespace promotebot::commands
