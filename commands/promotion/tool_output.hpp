#pragma once
// Readers of what the runbook's tools print (kubectl, gcloud, docker, bq,
// terraform), in the formats those tools really use. The output is treated as
// hostile: more than max_tool_output_bytes or JSON nested deeper than
// max_tool_json_depth is refused before parsing, and a field of the wrong type
// is an error naming that field. No reader throws; each answers a value or the
// reason it could not (for a gate's "unknown" evidence). Error texts quote no
// output, so nothing a tool printed (a token in a log line) reaches a message.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace promotebot::commands {

inline constexpr std::size_t max_tool_output_bytes = 8 * 1024 * 1024;
inline constexpr std::size_t max_tool_json_depth = 64;

// A value read from a tool's output, or why it could not be read.
template <typename T>
struct tool_result {
    std::optional<T> value;
    std::string error;  // "items[2].status.startTime is not a time", set when !value

    [[nodiscard]] bool ok() const { return value.has_value(); }
    static tool_result success(T v) { return {std::move(v), {}}; }
    static tool_result failure(std::string why) { return {std::nullopt, std::move(why)}; }
};

// ---- time -------------------------------------------------------------------

// RFC 3339 as Kubernetes and most APIs print it: "2026-11-28T10:00:00Z", also
// with fractional seconds (dropped) or an offset ("+01:00"). nullopt unless a
// real calendar time.
std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view text);
// The same with a space between date and time, as gcloud prints Python
// datetimes: "2026-11-27 10:00:00+00:00", "2026-11-27 10:00:00.123456-07:00".
std::optional<std::chrono::sys_seconds> parse_gcloud_datetime(std::string_view text);
// "2026-11-28T10:00:00Z": the form the `since` placeholder and evidence use.
std::string format_rfc3339(std::chrono::sys_seconds t);

// ---- kubectl get jobs -n <ns> -o json ---------------------------------------

struct kube_job {
    std::string name;                                    // metadata.name
    std::optional<std::chrono::sys_seconds> created;     // metadata.creationTimestamp
    std::optional<std::chrono::sys_seconds> started;     // status.startTime
    std::optional<std::chrono::sys_seconds> completed;   // status.completionTime
    int succeeded = 0;                                   // status.succeeded (pods)
    int failed = 0;                                      // status.failed (pods, retries included)
    int active = 0;                                      // status.active
    bool complete = false;                               // condition Complete is "True"
    bool failed_condition = false;                       // condition Failed is "True"
    std::string owner_cronjob;                           // ownerReferences[kind=CronJob].name, empty when none
};

// A List of batch/v1 Job (`kubectl get jobs -o json`) or one Job
// (`kubectl get job <name> -o json`).
tool_result<std::vector<kube_job>> parse_kubectl_jobs(std::string_view json);

// The first job (by start time, else creation time) owned by `cronjob` that
// began at or after `since`; nullptr when there is none yet.
const kube_job* first_job_after(const std::vector<kube_job>& jobs, std::string_view cronjob,
                                std::chrono::sys_seconds since);

enum class job_state { running, succeeded, failed };
std::string_view to_string(job_state s);  // "running", "succeeded", "failed"
// Finished only by its Complete or Failed condition (the job controller sets
// them once no retry is left); status.failed alone counts retried pods.
job_state job_outcome(const kube_job& job);

// ---- kubectl get cronjob <name> -n <ns> -o json -----------------------------

// The image of the container named `container` in
// spec.jobTemplate.spec.template.spec.containers.
tool_result<std::string> cronjob_container_image(std::string_view json, std::string_view container);

// "gcr.io/p/markets-orchestrator:v1.2.3" -> "v1.2.3", also when the image is
// pinned as ":v1.2.3@sha256:…"; nullopt when the image has no tag (only a
// digest, or neither). A registry port ("localhost:5000/x") is not a tag.
std::optional<std::string> image_tag(std::string_view image);
// "…@sha256:<64 hex>" -> "sha256:<64 hex>"; nullopt when not pinned.
std::optional<std::string> image_digest(std::string_view image);

// ---- gcloud container images list-tags <repo> --format=json -----------------

struct registry_tag_entry {
    std::string digest;                                // "sha256:…"
    std::vector<std::string> tags;                     // ["v1.2.3", "latest"]
    std::optional<std::chrono::sys_seconds> uploaded;  // timestamp.datetime
};

tool_result<std::vector<registry_tag_entry>> parse_gcloud_list_tags(std::string_view json);
// The entry carrying `tag`; nullptr when none does.
const registry_tag_entry* tag_entry(const std::vector<registry_tag_entry>& entries, std::string_view tag);

// ---- docker push <image>:<tag> ----------------------------------------------

// The digest of the line "<tag>: digest: sha256:<64 hex> size: <n>" in the
// output of docker push (stdout as text, lines split on \n or \r).
tool_result<std::string> pushed_digest(std::string_view output, std::string_view tag);
tool_result<std::string> pushed_digest(const std::vector<std::string>& lines, std::string_view tag);

// ---- bq query --use_legacy_sql=false --format=json … -------------------------

// The first column of the first row as text (numbers may arrive as strings:
// "2"; a JSON number or boolean is printed as JSON prints it). Lines bq prints
// before the JSON ("Waiting on bqjob_…") are skipped. No rows, or a null, an
// object or an array in that cell, is an error.
tool_result<std::string> bq_first_cell(std::string_view output);

// ---- terraform plan -out=tfplan ----------------------------------------------

struct plan_summary {
    int add = 0;
    int change = 0;
    int destroy = 0;
    bool no_changes = false;              // "No changes." was printed
    std::vector<std::string> resources;   // "terraform_data.x will be created", in plan order
    bool operator==(const plan_summary&) const = default;
};

// Reads "Plan: X to add, Y to change, Z to destroy." (", N to import" may
// follow) or "No changes.", and the "  # <address> will be …" lines. Colour
// codes are stripped first. Output that says neither is an error. A plan that
// changes only outputs counts as 0/0/0 without no_changes.
tool_result<plan_summary> parse_terraform_plan(std::string_view output);

// The text without ANSI escape sequences (CSI "\x1b[…m", OSC "\x1b]…\x07").
std::string strip_ansi(std::string_view text);

}  // namespace promotebot::commands
