#pragma once
// The runbook's commands as the config writes them: argv templates such as
//   ["kubectl", "set", "image", "-n", "markets", "cronjob/markets-pipeline",
//    "orchestrator=gcr.io/{project_id}/markets-orchestrator:{version}"]
// A placeholder {name} inside an argument is replaced by its value; the
// result is still exactly one argument (no shell, no splitting, no joining).
// Every placeholder has an allow-list validator, and every value is checked
// against it at expansion, whoever produced it: no value can begin with '-'
// (become an option) or carry spaces, quotes or shell characters.
// "{{" and "}}" stand for literal braces (bq SQL, kubectl jsonpath).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace promotebot::commands {

struct placeholder_rule {
    std::string_view name;                 // "version"
    bool (*valid)(std::string_view value);
    std::string_view shape;                // "a version like v1.2.3", for messages
};

// version, project_id, environment, image, digest, since, promotion_id,
// change_record, kube_context, job_name, model, ref.
const std::vector<placeholder_rule>& known_placeholders();
const placeholder_rule* find_placeholder(std::string_view name);

// The validators the placeholders use, beside the grammar's.
bool is_valid_project_id(std::string_view v);     // [a-z][a-z0-9-]{4,28}[a-z0-9]
bool is_valid_environment_name(std::string_view v);  // int | prod
bool is_valid_image_reference(std::string_view v);   // registry path characters, <= 512, no leading '-'
bool is_valid_digest(std::string_view v);            // sha256:[0-9a-f]{64}
bool is_valid_utc_time(std::string_view v);          // 2026-11-28T10:00:00Z, a real time
bool is_valid_promotion_id(std::string_view v);      // 1 to 18 digits
bool is_valid_kube_context(std::string_view v);      // [A-Za-z0-9_.:@/-]{1,253}, no leading '-'
bool is_valid_job_name(std::string_view v);          // DNS-1123 label, <= 63
// A git revision `git checkout <ref> -- .` may take: HEAD~N (N 1 to 999), a
// commit of 7 to 40 hex digits, or a branch or tag name of letters, digits
// and . _ / - (at most 100, starting with a letter or digit, no "..", "//",
// "/." and not ending with '/', '.' or ".lock").
bool is_valid_git_ref(std::string_view v);

// Problems of a template for config validation, one sentence each: an empty
// argv or program, a placeholder in the program, unbalanced braces, a
// placeholder that is unknown or not in `allowed` (the ones the command's
// context provides). Empty when the template is usable.
std::vector<std::string> template_problems(const std::vector<std::string>& argv_template,
                                           const std::set<std::string>& allowed);

struct expanded_argv {
    std::vector<std::string> argv;
    std::string error;  // "{version}: the value is not a version like v1.2.3"; empty when ok
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// The template with each placeholder replaced by values[name], each value
// validated by its placeholder's rule. The error names the placeholder (never
// the value, which may be hostile).
expanded_argv expand_argv(const std::vector<std::string>& argv_template,
                          const std::map<std::string, std::string>& values);

// The placeholder names a template uses, in order of first use; nullopt when
// its braces are unbalanced.
std::optional<std::vector<std::string>> template_placeholders(const std::vector<std::string>& argv_template);

}  // namespace promotebot::commands
