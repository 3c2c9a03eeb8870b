#include "commands/promotion/tool_output.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

namespace promotebot::commands {

namespace {

using std::chrono::sys_seconds;

// ---- bounded JSON -------------------------------------------------------------

// The deepest nesting of arrays and objects outside strings, counting no
// further than stop_at. The parser accepts no document this scan counted
// differently, so a value it builds stays within the bound (nlohmann copies
// and destroys recursively: a deep document would overflow the stack).
std::size_t json_depth(std::string_view text, std::size_t stop_at) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest && (deepest = depth) >= stop_at) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

template <typename Json>
tool_result<Json> parse_json(std::string_view text, std::string_view what) {
    if (text.size() > max_tool_output_bytes)
        return tool_result<Json>::failure(std::string(what) + " printed more than " +
                                          std::to_string(max_tool_output_bytes / (1024 * 1024)) + " MiB");
    if (json_depth(text, max_tool_json_depth + 1) > max_tool_json_depth)
        return tool_result<Json>::failure(std::string(what) + " printed JSON nested deeper than " +
                                          std::to_string(max_tool_json_depth) + " levels");
    auto value = Json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded()) return tool_result<Json>::failure(std::string(what) + " printed no valid JSON");
    return tool_result<Json>::success(std::move(value));
}

using json = nlohmann::json;

// A member of an object, or nullptr when `j` is no object, the member is
// missing or null (Kubernetes omits unset fields, or prints null).
const json* member(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    return &*it;
}

// Field readers: true when absent or read; false (with `error` set) when the
// field is there with the wrong type or shape.
struct field_reader {
    std::string error;

    bool fail(const std::string& path, std::string_view problem) {
        error = path + " " + std::string(problem);
        return false;
    }

    bool string(const json& obj, const char* key, const std::string& path, std::string& out) {
        const json* v = member(obj, key);
        if (v == nullptr) return true;
        if (!v->is_string()) return fail(path + "." + key, "is not a string");
        out = v->get_ref<const std::string&>();
        return true;
    }

    bool time(const json& obj, const char* key, const std::string& path, std::optional<sys_seconds>& out) {
        const json* v = member(obj, key);
        if (v == nullptr) return true;
        if (!v->is_string()) return fail(path + "." + key, "is not a string");
        out = parse_rfc3339(v->get_ref<const std::string&>());
        if (!out) return fail(path + "." + key, "is not an RFC 3339 time");
        return true;
    }

    bool count(const json& obj, const char* key, const std::string& path, int& out) {
        const json* v = member(obj, key);
        if (v == nullptr) return true;
        if (v->is_number_unsigned()) {
            const auto n = v->get<std::uint64_t>();
            if (n > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
                return fail(path + "." + key, "is too large");
            out = static_cast<int>(n);
            return true;
        }
        if (v->is_number_integer()) return fail(path + "." + key, "is negative");
        return fail(path + "." + key, "is not a whole number");
    }
};

std::string indexed(std::string_view path, std::size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
}

std::optional<kube_job> read_job(const json& item, const std::string& path, std::string& error) {
    field_reader r;
    if (!item.is_object()) {
        error = path + " is not an object";
        return std::nullopt;
    }
    kube_job job;
    const json* metadata = member(item, "metadata");
    if (metadata == nullptr || !metadata->is_object()) {
        error = path + ".metadata is missing";
        return std::nullopt;
    }
    const std::string meta_path = path + ".metadata";
    if (!r.string(*metadata, "name", meta_path, job.name) || !r.time(*metadata, "creationTimestamp", meta_path, job.created)) {
        error = r.error;
        return std::nullopt;
    }
    if (job.name.empty()) {
        error = meta_path + ".name is missing";
        return std::nullopt;
    }
    if (const json* owners = member(*metadata, "ownerReferences")) {
        if (!owners->is_array()) {
            error = meta_path + ".ownerReferences is not an array";
            return std::nullopt;
        }
        for (std::size_t i = 0; i < owners->size(); ++i) {
            const std::string owner_path = indexed(meta_path + ".ownerReferences", i);
            const json& owner = (*owners)[i];
            if (!owner.is_object()) {
                error = owner_path + " is not an object";
                return std::nullopt;
            }
            std::string kind;
            std::string name;
            if (!r.string(owner, "kind", owner_path, kind) || !r.string(owner, "name", owner_path, name)) {
                error = r.error;
                return std::nullopt;
            }
            if (kind == "CronJob" && job.owner_cronjob.empty()) job.owner_cronjob = name;
        }
    }
    if (const json* status = member(item, "status")) {
        const std::string status_path = path + ".status";
        if (!status->is_object()) {
            error = status_path + " is not an object";
            return std::nullopt;
        }
        if (!r.time(*status, "startTime", status_path, job.started) ||
            !r.time(*status, "completionTime", status_path, job.completed) ||
            !r.count(*status, "succeeded", status_path, job.succeeded) ||
            !r.count(*status, "failed", status_path, job.failed) ||
            !r.count(*status, "active", status_path, job.active)) {
            error = r.error;
            return std::nullopt;
        }
        if (const json* conditions = member(*status, "conditions")) {
            if (!conditions->is_array()) {
                error = status_path + ".conditions is not an array";
                return std::nullopt;
            }
            for (std::size_t i = 0; i < conditions->size(); ++i) {
                const std::string condition_path = indexed(status_path + ".conditions", i);
                const json& condition = (*conditions)[i];
                if (!condition.is_object()) {
                    error = condition_path + " is not an object";
                    return std::nullopt;
                }
                std::string type;
                std::string state;
                if (!r.string(condition, "type", condition_path, type) ||
                    !r.string(condition, "status", condition_path, state)) {
                    error = r.error;
                    return std::nullopt;
                }
                if (state != "True") continue;
                if (type == "Complete") job.complete = true;
                if (type == "Failed") job.failed_condition = true;
            }
        }
    }
    return job;
}

// ---- text -----------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// Digits at s[pos, pos+n) as a number; nullopt unless all are digits.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i])) return std::nullopt;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

// YYYY-MM-DD<sep>HH:MM:SS[.fraction](Z|±HH:MM)
std::optional<sys_seconds> parse_timestamp(std::string_view s, bool rfc3339) {
    if (s.size() < 20 || s.size() > 64) return std::nullopt;
    const auto y = digits(s, 0, 4);
    const auto mo = digits(s, 5, 2);
    const auto d = digits(s, 8, 2);
    const auto h = digits(s, 11, 2);
    const auto mi = digits(s, 14, 2);
    const auto sec = digits(s, 17, 2);
    const char sep = s[10];
    const bool sep_ok = rfc3339 ? (sep == 'T' || sep == 't') : sep == ' ';
    if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' || !sep_ok || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    if (*h > 23 || *mi > 59 || *sec > 60) return std::nullopt;  // 60: a leap second, folded below
    const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && is_digit(s[pos])) ++pos;
        if (pos == start) return std::nullopt;
    }
    std::chrono::minutes offset{0};
    const auto zone = s.substr(pos);
    if (zone == "Z" || (rfc3339 && zone == "z")) {
        // UTC
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        const auto oh = digits(zone, 1, 2);
        const auto om = digits(zone, 4, 2);
        if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
        offset = std::chrono::hours{*oh} + std::chrono::minutes{*om};
        if (zone[0] == '-') offset = -offset;
    } else {
        return std::nullopt;
    }
    const auto local = std::chrono::sys_days{ymd} + std::chrono::hours{*h} + std::chrono::minutes{*mi} +
                       std::chrono::seconds{std::min(*sec, 59)};
    return std::chrono::time_point_cast<std::chrono::seconds>(local - offset);
}

std::string two(unsigned v) {
    std::string out(2, '0');
    out[0] = static_cast<char>('0' + v / 10 % 10);
    out[1] = static_cast<char>('0' + v % 10);
    return out;
}

bool has_time(const kube_job& job) { return job.started || job.created; }
sys_seconds began(const kube_job& job) { return job.started ? *job.started : *job.created; }

// Splits on \n and \r (docker draws progress with \r).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '\n' || text[i] == '\r') {
            if (i > start) f(text.substr(start, i - start));
            start = i + 1;
        }
    }
}

// "<tag>: digest: sha256:<64 hex> size: <n>" -> the digest.
std::optional<std::string> digest_of_push_line(std::string_view line, std::string_view tag) {
    line = trim(line);
    const std::string prefix = std::string(tag) + ": digest: ";
    if (tag.empty() || line.substr(0, prefix.size()) != prefix) return std::nullopt;
    const auto rest = line.substr(prefix.size());
    constexpr std::string_view algo = "sha256:";
    if (rest.size() < algo.size() + 64 || rest.substr(0, algo.size()) != algo) return std::nullopt;
    const auto hex = rest.substr(algo.size(), 64);
    if (!std::all_of(hex.begin(), hex.end(), is_hex)) return std::nullopt;
    const auto tail = rest.substr(algo.size() + 64);
    if (!tail.empty() && tail.substr(0, 7) != " size: ") return std::nullopt;
    return std::string(rest.substr(0, algo.size() + 64));
}

// A non-negative count as terraform prints it ("12").
std::optional<int> count_at(std::string_view s, std::size_t& pos) {
    const std::size_t start = pos;
    while (pos < s.size() && is_digit(s[pos]) && pos - start < 9) ++pos;
    if (pos == start || (pos < s.size() && is_digit(s[pos]))) return std::nullopt;
    int v = 0;
    std::from_chars(s.data() + start, s.data() + pos, v);
    return v;
}

bool consume(std::string_view s, std::size_t& pos, std::string_view word) {
    if (s.substr(pos, word.size()) != word) return false;
    pos += word.size();
    return true;
}

// "Plan: 1 to add, 2 to change, 3 to destroy." Terraform 1.5+ puts
// "N to import, " first; removed blocks add ", N to forget". Every part is
// "<count> to <word>"; add, change and destroy must all be there.
bool read_plan_line(std::string_view line, plan_summary& out) {
    std::size_t pos = 0;
    if (!consume(line, pos, "Plan: ")) return false;
    std::optional<int> add;
    std::optional<int> change;
    std::optional<int> destroy;
    for (int part = 0; part < 8; ++part) {
        const auto n = count_at(line, pos);
        if (!n || !consume(line, pos, " to ")) return false;
        const auto word_end = line.find_first_of(",.", pos);
        if (word_end == std::string_view::npos) return false;
        const auto word = line.substr(pos, word_end - pos);
        if (word == "add") add = n;
        else if (word == "change") change = n;
        else if (word == "destroy") destroy = n;
        pos = word_end;
        if (consume(line, pos, ".")) {
            if (!add || !change || !destroy || pos != line.size()) return false;
            out.add = *add;
            out.change = *change;
            out.destroy = *destroy;
            return true;
        }
        if (!consume(line, pos, ", ")) return false;
    }
    return false;
}

// "  # terraform_data.x will be created" -> "terraform_data.x will be created".
std::optional<std::string> resource_line(std::string_view line) {
    const auto t = trim(line);
    if (t.size() < 3 || t.substr(0, 2) != "# ") return std::nullopt;
    const auto rest = t.substr(2);
    // The address may hold spaces (a quoted key, "(deposed object …)"), so
    // the line is known by its action wherever it stands.
    constexpr std::string_view actions[] = {
        " will be created", " will be destroyed", " will be updated in-place", " must be replaced",
        " will be replaced", " will be read during apply", " has moved to ", " will be imported",
        " will no longer be managed by Terraform", " will be forgotten",
    };
    for (const auto action : actions)
        if (rest.find(action) != std::string_view::npos) return std::string(rest);
    return std::nullopt;
}

}  // namespace

// ---- time ---------------------------------------------------------------------

std::optional<sys_seconds> parse_rfc3339(std::string_view text) { return parse_timestamp(text, true); }
std::optional<sys_seconds> parse_gcloud_datetime(std::string_view text) { return parse_timestamp(text, false); }

std::string format_rfc3339(sys_seconds t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    const int year = static_cast<int>(ymd.year());
    std::string y = std::to_string(year < 0 ? 0 : year);
    while (y.size() < 4) y.insert(y.begin(), '0');
    return y + "-" + two(static_cast<unsigned>(ymd.month())) + "-" + two(static_cast<unsigned>(ymd.day())) + "T" +
           two(static_cast<unsigned>(hms.hours().count())) + ":" + two(static_cast<unsigned>(hms.minutes().count())) +
           ":" + two(static_cast<unsigned>(hms.seconds().count())) + "Z";
}

// ---- kubectl --------------------------------------------------------------------

tool_result<std::vector<kube_job>> parse_kubectl_jobs(std::string_view text) {
    using result = tool_result<std::vector<kube_job>>;
    auto parsed = parse_json<json>(text, "kubectl get jobs");
    if (!parsed.ok()) return result::failure(parsed.error);
    const json& doc = *parsed.value;
    if (!doc.is_object()) return result::failure("kubectl get jobs printed no object");
    std::string kind;
    field_reader r;
    if (!r.string(doc, "kind", "", kind)) return result::failure("kind is not a string");
    std::vector<kube_job> jobs;
    std::string error;
    if (kind == "Job") {
        auto job = read_job(doc, "job", error);
        if (!job) return result::failure(error);
        jobs.push_back(std::move(*job));
        return result::success(std::move(jobs));
    }
    if (kind != "List" && kind != "JobList") return result::failure("kubectl get jobs printed no List of jobs");
    const json* items = member(doc, "items");
    if (items == nullptr) return result::success(std::move(jobs));  // an empty list may omit items
    if (!items->is_array()) return result::failure("items is not an array");
    jobs.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
        const json& item = (*items)[i];
        std::string item_kind;
        if (item.is_object() && !r.string(item, "kind", indexed("items", i), item_kind)) return result::failure(r.error);
        if (!item_kind.empty() && item_kind != "Job")
            return result::failure(indexed("items", i) + " is not a Job");
        auto job = read_job(item, indexed("items", i), error);
        if (!job) return result::failure(error);
        jobs.push_back(std::move(*job));
    }
    return result::success(std::move(jobs));
}

const kube_job* first_job_after(const std::vector<kube_job>& jobs, std::string_view cronjob, sys_seconds since) {
    const kube_job* first = nullptr;
    for (const auto& job : jobs) {
        if (job.owner_cronjob != cronjob || cronjob.empty() || !has_time(job) || began(job) < since) continue;
        if (first == nullptr || began(job) < began(*first) || (began(job) == began(*first) && job.name < first->name))
            first = &job;
    }
    return first;
}

std::string_view to_string(job_state s) {
    switch (s) {
    case job_state::running: return "running";
    case job_state::succeeded: return "succeeded";
    case job_state::failed: return "failed";
    }
    return "running";
}

job_state job_outcome(const kube_job& job) {
    if (job.failed_condition) return job_state::failed;
    if (job.complete) return job_state::succeeded;
    return job_state::running;
}

tool_result<std::string> cronjob_container_image(std::string_view text, std::string_view container) {
    using result = tool_result<std::string>;
    auto parsed = parse_json<json>(text, "kubectl get cronjob");
    if (!parsed.ok()) return result::failure(parsed.error);
    const json& doc = *parsed.value;
    std::string kind;
    field_reader r;
    if (!doc.is_object() || !r.string(doc, "kind", "", kind) || kind != "CronJob")
        return result::failure("kubectl get cronjob printed no CronJob");
    const json* node = &doc;
    std::string path;
    for (const char* key : {"spec", "jobTemplate", "spec", "template", "spec"}) {
        path += path.empty() ? key : std::string(".") + key;
        node = member(*node, key);
        if (node == nullptr || !node->is_object()) return result::failure(path + " is missing");
    }
    const json* containers = member(*node, "containers");
    path += ".containers";
    if (containers == nullptr || !containers->is_array()) return result::failure(path + " is missing");
    for (std::size_t i = 0; i < containers->size(); ++i) {
        const json& c = (*containers)[i];
        const std::string c_path = indexed(path, i);
        if (!c.is_object()) return result::failure(c_path + " is not an object");
        std::string name;
        std::string image;
        if (!r.string(c, "name", c_path, name) || !r.string(c, "image", c_path, image)) return result::failure(r.error);
        if (name != container) continue;
        if (image.empty()) return result::failure(c_path + ".image is missing");
        return result::success(std::move(image));
    }
    return result::failure("the CronJob has no container named " + std::string(container.substr(0, 63)));
}

std::optional<std::string> image_tag(std::string_view image) {
    const auto at = image.find('@');
    if (at != std::string_view::npos) image = image.substr(0, at);
    const auto slash = image.rfind('/');
    const auto colon = image.rfind(':');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) return std::nullopt;
    const auto tag = image.substr(colon + 1);
    if (tag.empty()) return std::nullopt;
    return std::string(tag);
}

std::optional<std::string> image_digest(std::string_view image) {
    const auto at = image.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    const auto digest = image.substr(at + 1);
    constexpr std::string_view algo = "sha256:";
    if (digest.size() != algo.size() + 64 || digest.substr(0, algo.size()) != algo) return std::nullopt;
    const auto hex = digest.substr(algo.size());
    if (!std::all_of(hex.begin(), hex.end(), is_hex)) return std::nullopt;
    return std::string(digest);
}

// ---- gcloud ---------------------------------------------------------------------

tool_result<std::vector<registry_tag_entry>> parse_gcloud_list_tags(std::string_view text) {
    using result = tool_result<std::vector<registry_tag_entry>>;
    auto parsed = parse_json<json>(text, "gcloud container images list-tags");
    if (!parsed.ok()) return result::failure(parsed.error);
    const json& doc = *parsed.value;
    if (!doc.is_array()) return result::failure("gcloud container images list-tags printed no array");
    std::vector<registry_tag_entry> entries;
    entries.reserve(doc.size());
    field_reader r;
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const json& e = doc[i];
        const std::string path = indexed("", i);
        if (!e.is_object()) return result::failure(path + " is not an object");
        registry_tag_entry entry;
        if (!r.string(e, "digest", path, entry.digest)) return result::failure(r.error);
        if (entry.digest.empty()) return result::failure(path + ".digest is missing");
        if (const json* tags = member(e, "tags")) {
            if (!tags->is_array()) return result::failure(path + ".tags is not an array");
            for (std::size_t t = 0; t < tags->size(); ++t) {
                if (!(*tags)[t].is_string()) return result::failure(indexed(path + ".tags", t) + " is not a string");
                entry.tags.push_back((*tags)[t].get<std::string>());
            }
        }
        if (const json* ts = member(e, "timestamp")) {
            if (!ts->is_object()) return result::failure(path + ".timestamp is not an object");
            std::string datetime;
            if (!r.string(*ts, "datetime", path + ".timestamp", datetime)) return result::failure(r.error);
            if (!datetime.empty()) {
                entry.uploaded = parse_gcloud_datetime(datetime);
                if (!entry.uploaded) return result::failure(path + ".timestamp.datetime is not a time");
            }
        }
        entries.push_back(std::move(entry));
    }
    return result::success(std::move(entries));
}

const registry_tag_entry* tag_entry(const std::vector<registry_tag_entry>& entries, std::string_view tag) {
    for (const auto& e : entries)
        if (std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end()) return &e;
    return nullptr;
}

// ---- docker -----------------------------------------------------------------------

tool_result<std::string> pushed_digest(std::string_view output, std::string_view tag) {
    using result = tool_result<std::string>;
    if (output.size() > max_tool_output_bytes) return result::failure("docker push printed too much output");
    std::optional<std::string> found;
    for_each_line(output, [&](std::string_view line) {
        if (!found) found = digest_of_push_line(line, tag);
    });
    if (!found) return result::failure("docker push printed no digest for the pushed tag");
    return result::success(std::move(*found));
}

tool_result<std::string> pushed_digest(const std::vector<std::string>& lines, std::string_view tag) {
    using result = tool_result<std::string>;
    std::size_t total = 0;
    for (const auto& line : lines) {
        total += line.size();
        if (total > max_tool_output_bytes) return result::failure("docker push printed too much output");
        std::optional<std::string> found;
        for_each_line(line, [&](std::string_view part) {
            if (!found) found = digest_of_push_line(part, tag);
        });
        if (found) return result::success(std::move(*found));
    }
    return result::failure("docker push printed no digest for the pushed tag");
}

// ---- bq ---------------------------------------------------------------------------

tool_result<std::string> bq_first_cell(std::string_view output) {
    using result = tool_result<std::string>;
    if (output.size() > max_tool_output_bytes) return result::failure("bq printed more than 8 MiB");
    // Status lines may come first; the JSON starts on the first line that
    // opens an array.
    std::size_t start = std::string_view::npos;
    std::size_t line_start = 0;
    while (line_start < output.size()) {
        const auto t = output.find_first_not_of(" \t", line_start);
        if (t != std::string_view::npos && output[t] == '[') {
            start = t;
            break;
        }
        const auto nl = output.find('\n', line_start);
        if (nl == std::string_view::npos) break;
        line_start = nl + 1;
    }
    if (start == std::string_view::npos) return result::failure("bq printed no JSON array of rows");
    auto parsed = parse_json<nlohmann::ordered_json>(output.substr(start), "bq");
    if (!parsed.ok()) return result::failure(parsed.error);
    const auto& rows = *parsed.value;
    if (!rows.is_array()) return result::failure("bq printed no JSON array of rows");
    if (rows.empty()) return result::failure("the query returned no rows");
    const auto& row = rows[0];
    if (!row.is_object()) return result::failure("the first row is not an object");
    if (row.empty()) return result::failure("the first row has no columns");
    const auto& cell = row.begin().value();
    if (cell.is_string()) return result::success(cell.get<std::string>());
    if (cell.is_number() || cell.is_boolean()) return result::success(cell.dump());
    if (cell.is_null()) return result::failure("the first column of the first row is null");
    return result::failure("the first column of the first row is not a single value");
}

// ---- terraform ----------------------------------------------------------------------

std::string strip_ansi(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\x1b') {
            out += text[i];
            continue;
        }
        if (i + 1 >= text.size()) break;
        const char kind = text[i + 1];
        if (kind == '[') {
            // CSI: parameters and intermediates, then one final byte 0x40-0x7E.
            std::size_t j = i + 2;
            while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7E)) ++j;
            i = j;  // the final byte (or the end) is dropped with the rest
        } else if (kind == ']') {
            // OSC: ends with BEL or ESC '\'.
            std::size_t j = i + 2;
            while (j < text.size() && text[j] != '\x07' && !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\'))
                ++j;
            i = (j < text.size() && text[j] == '\x1b') ? j + 1 : j;
        } else {
            i += 1;  // a two-byte escape
        }
    }
    return out;
}

tool_result<plan_summary> parse_terraform_plan(std::string_view output) {
    using result = tool_result<plan_summary>;
    if (output.size() > max_tool_output_bytes) return result::failure("terraform plan printed more than 8 MiB");
    const std::string text = strip_ansi(output);
    plan_summary plan;
    bool counted = false;
    bool outputs_only = false;
    for_each_line(text, [&](std::string_view raw) {
        const auto line = trim(raw);
        if (!counted && read_plan_line(line, plan)) {
            counted = true;
        } else if (line.substr(0, 11) == "No changes.") {
            plan.no_changes = true;
        } else if (line.find("without changing any real infrastructure") != std::string_view::npos) {
            outputs_only = true;
        } else if (auto resource = resource_line(raw)) {
            if (plan.resources.size() < 10000) plan.resources.push_back(std::move(*resource));
        }
    });
    if (counted && plan.no_changes) return result::failure("terraform plan printed both a plan and `No changes.`");
    if (!counted && !plan.no_changes && !outputs_only)
        return result::failure("terraform plan printed neither `Plan:` nor `No changes.`");
    return result::success(std::move(plan));
}

}  // namespace promotebot::commands
