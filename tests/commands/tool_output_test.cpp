#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "commands/promotion/tool_output.hpp"

using namespace promotebot::commands;
using namespace std::chrono_literals;

namespace {

std::chrono::sys_seconds utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
    return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}} +
           std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss};
}

// kubectl get jobs -n markets -o json, as kubectl 1.31 prints it (trimmed of
// the pod template): one finished, one failed, one running, one started by
// hand and one not owned by the CronJob.
const std::string jobs_json = R"({
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "annotations": {
                    "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-11-28T08:00:00Z"
                },
                "creationTimestamp": "2026-11-28T08:00:00Z",
                "generation": 1,
                "labels": {
                    "batch.kubernetes.io/controller-uid": "0b6c3c8e-8f4e-4f0e-9c61-7d1c2b8f6a10",
                    "batch.kubernetes.io/job-name": "markets-pipeline-29930880",
                    "controller-uid": "0b6c3c8e-8f4e-4f0e-9c61-7d1c2b8f6a10",
                    "job-name": "markets-pipeline-29930880"
                },
                "name": "markets-pipeline-29930880",
                "namespace": "markets",
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "CronJob",
                        "name": "markets-pipeline",
                        "uid": "4d1f0a52-2a0e-4c3b-8f5e-1b2c3d4e5f60"
                    }
                ],
                "resourceVersion": "48213377",
                "uid": "0b6c3c8e-8f4e-4f0e-9c61-7d1c2b8f6a10"
            },
            "spec": {
                "backoffLimit": 2,
                "completionMode": "NonIndexed",
                "completions": 1,
                "manualSelector": false,
                "parallelism": 1,
                "podReplacementPolicy": "TerminatingOrFailed",
                "suspend": false
            },
            "status": {
                "completionTime": "2026-11-28T08:07:41Z",
                "conditions": [
                    {
                        "lastProbeTime": "2026-11-28T08:07:41Z",
                        "lastTransitionTime": "2026-11-28T08:07:41Z",
                        "message": "Reached expected number of succeeded pods",
                        "reason": "CompletionsReached",
                        "status": "True",
                        "type": "SuccessCriteriaMet"
                    },
                    {
                        "lastProbeTime": "2026-11-28T08:07:41Z",
                        "lastTransitionTime": "2026-11-28T08:07:41Z",
                        "message": "Reached expected number of succeeded pods",
                        "reason": "CompletionsReached",
                        "status": "True",
                        "type": "Complete"
                    }
                ],
                "ready": 0,
                "startTime": "2026-11-28T08:00:00Z",
                "succeeded": 1,
                "terminating": 0,
                "uncountedTerminatedPods": {}
            }
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "creationTimestamp": "2026-11-28T10:00:00Z",
                "name": "markets-pipeline-29931000",
                "namespace": "markets",
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "CronJob",
                        "name": "markets-pipeline",
                        "uid": "4d1f0a52-2a0e-4c3b-8f5e-1b2c3d4e5f60"
                    }
                ]
            },
            "status": {
                "conditions": [
                    {
                        "lastProbeTime": "2026-11-28T10:04:12Z",
                        "lastTransitionTime": "2026-11-28T10:04:12Z",
                        "message": "Job has reached the specified backoff limit",
                        "reason": "BackoffLimitExceeded",
                        "status": "True",
                        "type": "FailureTarget"
                    },
                    {
                        "lastProbeTime": "2026-11-28T10:04:12Z",
                        "lastTransitionTime": "2026-11-28T10:04:12Z",
                        "message": "Job has reached the specified backoff limit",
                        "reason": "BackoffLimitExceeded",
                        "status": "True",
                        "type": "Failed"
                    }
                ],
                "failed": 3,
                "ready": 0,
                "startTime": "2026-11-28T10:00:01Z",
                "terminating": 0,
                "uncountedTerminatedPods": {}
            }
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "creationTimestamp": "2026-11-28T10:31:05Z",
                "name": "markets-pipeline-manual-7x2kq",
                "namespace": "markets",
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "controller": true,
                        "kind": "CronJob",
                        "name": "markets-pipeline",
                        "uid": "4d1f0a52-2a0e-4c3b-8f5e-1b2c3d4e5f60"
                    }
                ]
            },
            "status": {
                "active": 1,
                "failed": 1,
                "ready": 1,
                "startTime": "2026-11-28T10:31:05Z",
                "terminating": 0,
                "uncountedTerminatedPods": {}
            }
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "creationTimestamp": "2026-11-28T10:15:00Z",
                "name": "dbt-docs-29930955",
                "namespace": "markets",
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "CronJob",
                        "name": "dbt-docs",
                        "uid": "77e1d0c2-aaaa-bbbb-cccc-111122223333"
                    }
                ]
            },
            "status": {
                "active": 1,
                "startTime": "2026-11-28T10:15:00Z"
            }
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "creationTimestamp": "2026-11-28T10:20:00Z",
                "name": "one-off-backfill",
                "namespace": "markets"
            },
            "status": {}
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
})";

const std::string cronjob_json = R"({
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {
        "creationTimestamp": "2026-03-02T09:12:44Z",
        "generation": 41,
        "name": "markets-pipeline",
        "namespace": "markets",
        "resourceVersion": "48213012",
        "uid": "4d1f0a52-2a0e-4c3b-8f5e-1b2c3d4e5f60"
    },
    "spec": {
        "concurrencyPolicy": "Forbid",
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {
                "creationTimestamp": null
            },
            "spec": {
                "backoffLimit": 2,
                "template": {
                    "metadata": {
                        "creationTimestamp": null
                    },
                    "spec": {
                        "containers": [
                            {
                                "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
                                "imagePullPolicy": "IfNotPresent",
                                "name": "cloud-sql-proxy",
                                "resources": {},
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File"
                            },
                            {
                                "args": ["run", "--target", "int"],
                                "image": "gcr.io/markets-int-4821/markets-orchestrator:v1.2.3",
                                "imagePullPolicy": "IfNotPresent",
                                "name": "orchestrator",
                                "resources": {},
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File"
                            }
                        ],
                        "dnsPolicy": "ClusterFirst",
                        "restartPolicy": "OnFailure",
                        "schedulerName": "default-scheduler",
                        "securityContext": {},
                        "serviceAccountName": "markets-pipeline",
                        "terminationGracePeriodSeconds": 30
                    }
                }
            }
        },
        "schedule": "0 */2 * * *",
        "successfulJobsHistoryLimit": 3,
        "suspend": false
    },
    "status": {
        "lastScheduleTime": "2026-11-28T10:00:00Z",
        "lastSuccessfulTime": "2026-11-28T08:07:41Z"
    }
})";

const std::string digest_a = "sha256:4f1e3a9d8c2b7e6f5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f";
const std::string digest_b = "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

const std::string list_tags_json = R"([
  {
    "digest": ")" + digest_a + R"(",
    "tags": [
      "v1.2.3"
    ],
    "timestamp": {
      "datetime": "2026-11-27 10:00:00+00:00",
      "day": 27,
      "fold": 0,
      "hour": 10,
      "microsecond": 0,
      "minute": 0,
      "month": 11,
      "second": 0,
      "year": 2026
    }
  },
  {
    "digest": ")" + digest_b + R"(",
    "tags": [
      "latest",
      "v1.2.2"
    ],
    "timestamp": {
      "datetime": "2026-11-20 16:45:12.250000-05:00",
      "day": 20,
      "fold": 0,
      "hour": 16,
      "microsecond": 250000,
      "minute": 45,
      "month": 11,
      "second": 12,
      "year": 2026
    }
  }
]
)";

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("RFC 3339 times as Kubernetes prints them, with fractions and offsets") {
    CHECK(parse_rfc3339("2026-11-28T10:00:00Z") == utc(2026, 11, 28, 10));
    CHECK(parse_rfc3339("2026-11-28T10:00:00.123456Z") == utc(2026, 11, 28, 10));
    CHECK(parse_rfc3339("2026-11-28T11:30:00+01:30") == utc(2026, 11, 28, 10));
    CHECK(parse_rfc3339("2026-11-28T05:00:00-05:00") == utc(2026, 11, 28, 10));
    CHECK(format_rfc3339(utc(2026, 11, 28, 10, 5, 9)) == "2026-11-28T10:05:09Z");
    for (const char* bad : {"", "2026-11-28", "2026-11-28 10:00:00Z", "2026-02-30T10:00:00Z", "2026-11-28T24:00:00Z",
                            "2026-11-28T10:00:00", "2026-11-28T10:00:00+0100", "2026-11-28T10:00:00.Z",
                            "2026-11-28T10:00:00Zjunk", "２026-11-28T10:00:00Z"})
        CHECK_FALSE(parse_rfc3339(bad));
    CHECK(parse_gcloud_datetime("2026-11-27 10:00:00+00:00") == utc(2026, 11, 27, 10));
    CHECK(parse_gcloud_datetime("2026-11-20 16:45:12.250000-05:00") == utc(2026, 11, 20, 21, 45, 12));
    CHECK_FALSE(parse_gcloud_datetime("2026-11-27T10:00:00+00:00"));
}

TEST_CASE("kubectl get jobs: every field the gates use is read") {
    const auto parsed = parse_kubectl_jobs(jobs_json);
    REQUIRE(parsed.ok());
    const auto& jobs = *parsed.value;
    REQUIRE(jobs.size() == 5);

    const auto& done = jobs[0];
    CHECK(done.name == "markets-pipeline-29930880");
    CHECK(done.created == utc(2026, 11, 28, 8));
    CHECK(done.started == utc(2026, 11, 28, 8));
    CHECK(done.completed == utc(2026, 11, 28, 8, 7, 41));
    CHECK(done.succeeded == 1);
    CHECK(done.failed == 0);
    CHECK(done.complete);
    CHECK_FALSE(done.failed_condition);
    CHECK(done.owner_cronjob == "markets-pipeline");
    CHECK(job_outcome(done) == job_state::succeeded);

    const auto& failed = jobs[1];
    CHECK(failed.failed == 3);
    CHECK_FALSE(failed.completed);
    CHECK(job_outcome(failed) == job_state::failed);

    // One pod failed and is being retried: the job still runs.
    const auto& retrying = jobs[2];
    CHECK(retrying.active == 1);
    CHECK(retrying.failed == 1);
    CHECK(job_outcome(retrying) == job_state::running);
    CHECK(to_string(job_outcome(retrying)) == "running");

    CHECK(jobs[3].owner_cronjob == "dbt-docs");
    CHECK(jobs[4].owner_cronjob.empty());
    CHECK_FALSE(jobs[4].started);
}

TEST_CASE("the first job of a CronJob at or after a time") {
    const auto jobs = *parse_kubectl_jobs(jobs_json).value;
    const auto* first = first_job_after(jobs, "markets-pipeline", utc(2026, 11, 28, 9));
    REQUIRE(first != nullptr);
    CHECK(first->name == "markets-pipeline-29931000");  // started 10:00:01, the manual one at 10:31
    // At exactly the start time the job counts.
    first = first_job_after(jobs, "markets-pipeline", utc(2026, 11, 28, 8));
    REQUIRE(first != nullptr);
    CHECK(first->name == "markets-pipeline-29930880");
    first = first_job_after(jobs, "markets-pipeline", utc(2026, 11, 28, 10, 0, 2));
    REQUIRE(first != nullptr);
    CHECK(first->name == "markets-pipeline-manual-7x2kq");
    CHECK(first_job_after(jobs, "markets-pipeline", utc(2026, 11, 28, 11)) == nullptr);
    // Another CronJob's jobs and jobs without owner never count.
    CHECK(first_job_after(jobs, "dbt-docs", utc(2026, 11, 28, 9))->name == "dbt-docs-29930955");
    CHECK(first_job_after(jobs, "", utc(2026, 11, 28, 9)) == nullptr);
    CHECK(first_job_after(jobs, "markets", utc(2026, 11, 28, 0)) == nullptr);
}

TEST_CASE("a job without startTime is placed by its creation time") {
    const auto parsed = parse_kubectl_jobs(R"({"apiVersion":"v1","kind":"List","items":[
        {"kind":"Job","metadata":{"name":"markets-pipeline-29931120","creationTimestamp":"2026-11-28T12:00:00Z",
         "ownerReferences":[{"kind":"CronJob","name":"markets-pipeline"}]},"status":{}}]})");
    REQUIRE(parsed.ok());
    const auto* first = first_job_after(*parsed.value, "markets-pipeline", utc(2026, 11, 28, 12));
    REQUIRE(first != nullptr);
    CHECK(job_outcome(*first) == job_state::running);
}

TEST_CASE("kubectl get job of one job and an empty list") {
    const auto one = parse_kubectl_jobs(
        R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"markets-pipeline-29931000"},"status":{"succeeded":1,"conditions":[{"type":"Complete","status":"True"}]}})");
    REQUIRE(one.ok());
    REQUIRE(one.value->size() == 1);
    CHECK(job_outcome(one.value->front()) == job_state::succeeded);
    const auto none = parse_kubectl_jobs(R"({"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}})");
    REQUIRE(none.ok());
    CHECK(none.value->empty());
    // A condition that is not "True" does not finish the job.
    const auto pending = parse_kubectl_jobs(
        R"({"kind":"Job","metadata":{"name":"j"},"status":{"conditions":[{"type":"Failed","status":"False"}]}})");
    REQUIRE(pending.ok());
    CHECK(job_outcome(pending.value->front()) == job_state::running);
}

TEST_CASE("kubectl get jobs refuses wrong types with the field named") {
    auto error_of = [](const std::string& text) {
        const auto r = parse_kubectl_jobs(text);
        REQUIRE_FALSE(r.ok());
        return r.error;
    };
    CHECK(error_of("") == "kubectl get jobs printed no valid JSON");
    CHECK(error_of("error: the server doesn't have a resource type \"jobz\"") == "kubectl get jobs printed no valid JSON");
    CHECK(error_of("[]") == "kubectl get jobs printed no object");
    CHECK(error_of(R"({"kind":"Pod"})") == "kubectl get jobs printed no List of jobs");
    CHECK(error_of(R"({"kind":"List","items":{}})") == "items is not an array");
    CHECK(error_of(R"({"kind":"List","items":[7]})") == "items[0] is not an object");
    CHECK(error_of(R"({"kind":"List","items":[{"kind":"Pod","metadata":{"name":"x"}}]})") == "items[0] is not a Job");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{}}]})") == "items[0].metadata.name is missing");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":5}}]})") == "items[0].metadata.name is not a string");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j","creationTimestamp":"yesterday"}}]})") ==
          "items[0].metadata.creationTimestamp is not an RFC 3339 time");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":{"succeeded":"1"}}]})") ==
          "items[0].status.succeeded is not a whole number");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":{"failed":-1}}]})") ==
          "items[0].status.failed is negative");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":{"active":1.5}}]})") ==
          "items[0].status.active is not a whole number");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":{"active":99999999999}}]})") ==
          "items[0].status.active is too large");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":{"conditions":{}}}]})") ==
          "items[0].status.conditions is not an array");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":{"conditions":[{"type":1}]}}]})") ==
          "items[0].status.conditions[0].type is not a string");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j","ownerReferences":[{"kind":"CronJob","name":[]}]}}]})") ==
          "items[0].metadata.ownerReferences[0].name is not a string");
    CHECK(error_of(R"({"kind":"List","items":[{"metadata":{"name":"j"},"status":"Complete"}]})") ==
          "items[0].status is not an object");
}

TEST_CASE("tool JSON nested too deep or too large is refused before parsing") {
    const auto deep = "{\"kind\":\"List\",\"items\":" + nested(100000) + "}";
    const auto r = parse_kubectl_jobs(deep);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error == "kubectl get jobs printed JSON nested deeper than 64 levels");
    // Brackets inside strings are not nesting.
    const auto in_string = parse_kubectl_jobs(R"({"kind":"List","items":[],"note":")" + std::string(1000, '[') + "\"}");
    CHECK(in_string.ok());
    CHECK_FALSE(parse_gcloud_list_tags(nested(65)).ok());
    CHECK_FALSE(cronjob_container_image(nested(200000), "orchestrator").ok());
    CHECK_FALSE(bq_first_cell(nested(200000)).ok());

    std::string huge = "[" + std::string(max_tool_output_bytes, ' ') + "]";
    const auto big = parse_gcloud_list_tags(huge);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error == "gcloud container images list-tags printed more than 8 MiB");
    CHECK_FALSE(bq_first_cell(huge).ok());
    CHECK_FALSE(parse_terraform_plan(huge).ok());
    CHECK_FALSE(pushed_digest(huge, "v1.2.3").ok());
}

TEST_CASE("kubectl get cronjob: the image of the named container") {
    const auto image = cronjob_container_image(cronjob_json, "orchestrator");
    REQUIRE(image.ok());
    CHECK(*image.value == "gcr.io/markets-int-4821/markets-orchestrator:v1.2.3");
    CHECK(*cronjob_container_image(cronjob_json, "cloud-sql-proxy").value ==
          "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1");
    const auto missing = cronjob_container_image(cronjob_json, "worker");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error == "the CronJob has no container named worker");

    CHECK(cronjob_container_image(R"({"kind":"Job"})", "orchestrator").error == "kubectl get cronjob printed no CronJob");
    CHECK(cronjob_container_image(R"({"kind":"CronJob","spec":{"jobTemplate":[]}})", "orchestrator").error ==
          "spec.jobTemplate is missing");
    CHECK(cronjob_container_image(
              R"({"kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":"x"}}}}}})",
              "orchestrator")
              .error == "spec.jobTemplate.spec.template.spec.containers is missing");
    CHECK(cronjob_container_image(
              R"({"kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"orchestrator","image":7}]}}}}}})",
              "orchestrator")
              .error == "spec.jobTemplate.spec.template.spec.containers[0].image is not a string");
}

TEST_CASE("the tag and the digest of an image reference") {
    CHECK(image_tag("gcr.io/p/markets-orchestrator:v1.2.3") == "v1.2.3");
    CHECK(image_tag("gcr.io/p/markets-orchestrator:v1.2.3@" + digest_a) == "v1.2.3");
    CHECK_FALSE(image_tag("gcr.io/p/markets-orchestrator@" + digest_a));
    CHECK_FALSE(image_tag("gcr.io/p/markets-orchestrator"));
    CHECK_FALSE(image_tag("localhost:5000/markets-orchestrator"));
    CHECK(image_tag("localhost:5000/markets-orchestrator:v2.0.0-rc.1") == "v2.0.0-rc.1");
    CHECK_FALSE(image_tag("gcr.io/p/markets-orchestrator:"));
    CHECK(image_digest("gcr.io/p/markets-orchestrator:v1.2.3@" + digest_a) == digest_a);
    CHECK_FALSE(image_digest("gcr.io/p/markets-orchestrator:v1.2.3"));
    CHECK_FALSE(image_digest("gcr.io/p/markets-orchestrator@sha256:abc"));
}

TEST_CASE("gcloud container images list-tags: digests, tags and upload times") {
    const auto parsed = parse_gcloud_list_tags(list_tags_json);
    REQUIRE(parsed.ok());
    const auto& entries = *parsed.value;
    REQUIRE(entries.size() == 2);
    const auto* v123 = tag_entry(entries, "v1.2.3");
    REQUIRE(v123 != nullptr);
    CHECK(v123->digest == digest_a);
    CHECK(v123->uploaded == utc(2026, 11, 27, 10));
    const auto* v122 = tag_entry(entries, "v1.2.2");
    REQUIRE(v122 != nullptr);
    CHECK(v122->tags == std::vector<std::string>{"latest", "v1.2.2"});
    CHECK(v122->uploaded == utc(2026, 11, 20, 21, 45, 12));
    CHECK(tag_entry(entries, "v9.9.9") == nullptr);
    // --filter matching nothing prints an empty array.
    const auto none = parse_gcloud_list_tags("[]\n");
    REQUIRE(none.ok());
    CHECK(none.value->empty());
    // An untagged image has no tags member.
    const auto untagged = parse_gcloud_list_tags(R"([{"digest":")" + digest_b + R"(","timestamp":null}])");
    REQUIRE(untagged.ok());
    CHECK(untagged.value->front().tags.empty());
    CHECK_FALSE(untagged.value->front().uploaded);
}

TEST_CASE("gcloud list-tags refuses wrong types with the field named") {
    CHECK(parse_gcloud_list_tags("{}").error == "gcloud container images list-tags printed no array");
    CHECK(parse_gcloud_list_tags("[1]").error == "[0] is not an object");
    CHECK(parse_gcloud_list_tags(R"([{"tags":["v1"]}])").error == "[0].digest is missing");
    CHECK(parse_gcloud_list_tags(R"([{"digest":"sha256:1","tags":"v1"}])").error == "[0].tags is not an array");
    CHECK(parse_gcloud_list_tags(R"([{"digest":"sha256:1","tags":[1]}])").error == "[0].tags[0] is not a string");
    CHECK(parse_gcloud_list_tags(R"([{"digest":"sha256:1","timestamp":"2026-11-27"}])").error ==
          "[0].timestamp is not an object");
    CHECK(parse_gcloud_list_tags(R"([{"digest":"sha256:1","timestamp":{"datetime":"2026-11-27T10:00:00Z"}}])").error ==
          "[0].timestamp.datetime is not a time");
    CHECK(parse_gcloud_list_tags(R"([{"digest":"sha256:1","timestamp":{"datetime":12}}])").error ==
          "[0].timestamp.datetime is not a string");
}

TEST_CASE("docker push: the digest of the pushed tag") {
    const std::string output =
        "The push refers to repository [gcr.io/markets-int-4821/markets-orchestrator]\n"
        "3f4ca61aafcd: Preparing\n"
        "5f70bf18a086: Preparing\n"
        "3f4ca61aafcd: Pushing [==================>                                ]  12.35MB/33.12MB\r"
        "3f4ca61aafcd: Pushed\n"
        "5f70bf18a086: Layer already exists\n"
        "v1.2.3: digest: " + digest_a + " size: 1780\n";
    const auto d = pushed_digest(output, "v1.2.3");
    REQUIRE(d.ok());
    CHECK(*d.value == digest_a);
    CHECK(pushed_digest(std::vector<std::string>{"The push refers to repository [gcr.io/p/x]",
                                                 "v1.2.3: digest: " + digest_b + " size: 528"},
                        "v1.2.3")
              .value == digest_b);
    // Another tag's line, a bad digest or no digest at all is no answer.
    CHECK_FALSE(pushed_digest(output, "v1.2.4").ok());
    CHECK_FALSE(pushed_digest(output, "").ok());
    CHECK_FALSE(pushed_digest("v1.2.3: digest: sha256:xyz size: 1780\n", "v1.2.3").ok());
    CHECK_FALSE(pushed_digest("v1.2.3: digest: " + digest_a + "00 size: 1780\n", "v1.2.3").ok());
    const auto denied = pushed_digest(
        "The push refers to repository [gcr.io/p/x]\nunauthorized: You don't have the needed permissions\n", "v1.2.3");
    REQUIRE_FALSE(denied.ok());
    CHECK(denied.error == "docker push printed no digest for the pushed tag");
}

TEST_CASE("bq query: the first column of the first row, in column order") {
    CHECK(bq_first_cell(R"([{"successful_cycles":"3","since":"2026-11-27 10:00:00"}])").value == "3");
    // Keys keep bq's order, not alphabetical order.
    CHECK(bq_first_cell(R"([{"z_count":"2","a_first":"x"}])").value == "2");
    CHECK(bq_first_cell("[{\"n\":2}]\n").value == "2");
    CHECK(bq_first_cell(R"([{"ok":true}])").value == "true");
    CHECK(bq_first_cell(R"([{"ratio":0.5}])").value == "0.5");
    // Status lines before the JSON are skipped.
    CHECK(bq_first_cell("Waiting on bqjob_r1a2b3c4d5_0000018c_1 ... (0s) Current status: DONE   \n[{\"f0_\":\"7\"}]\n")
              .value == "7");
    CHECK(bq_first_cell("[\n  {\n    \"f0_\": \"4\"\n  }\n]\n").value == "4");
}

TEST_CASE("bq query: no rows, nulls and other shapes are errors") {
    CHECK(bq_first_cell("[]").error == "the query returned no rows");
    CHECK(bq_first_cell("").error == "bq printed no JSON array of rows");
    CHECK(bq_first_cell("BigQuery error in query operation: Error processing job").error ==
          "bq printed no JSON array of rows");
    CHECK(bq_first_cell(R"([{"n":null}])").error == "the first column of the first row is null");
    CHECK(bq_first_cell(R"([{"n":{"a":1}}])").error == "the first column of the first row is not a single value");
    CHECK(bq_first_cell(R"([{"n":[1]}])").error == "the first column of the first row is not a single value");
    CHECK(bq_first_cell(R"([[1]])").error == "the first row is not an object");
    CHECK(bq_first_cell(R"([{}])").error == "the first row has no columns");
    CHECK(bq_first_cell("[{\"n\":\"1\"}").error == "bq printed no valid JSON");
}

TEST_CASE("terraform plan with colours: counts and resources") {
    const std::string plan =
        "\x1b[0m\x1b[1mterraform_data.release: Refreshing state... [id=6f1c2d3e-aaaa-bbbb-cccc-0123456789ab]\x1b[0m\n"
        "\n"
        "Terraform used the selected providers to generate the following execution\n"
        "plan. Resource actions are indicated with the following symbols:\n"
        "  \x1b[32m+\x1b[0m create\n"
        "  \x1b[33m~\x1b[0m update in-place\n"
        "\x1b[31m-\x1b[0m/\x1b[32m+\x1b[0m destroy and then create replacement\n"
        "\n"
        "Terraform will perform the following actions:\n"
        "\n"
        "\x1b[1m  # google_bigquery_table.cycles\x1b[0m will be updated in-place\n"
        "\x1b[0m  \x1b[33m~\x1b[0m\x1b[0m resource \"google_bigquery_table\" \"cycles\" {\n"
        "        id = \"projects/markets-int-4821/datasets/markets/tables/cycles\"\n"
        "      \x1b[33m~\x1b[0m\x1b[0m labels = {\n"
        "          \x1b[33m~\x1b[0m\x1b[0m \"version\" = \"v1-2-2\" \x1b[33m->\x1b[0m\x1b[0m \"v1-2-3\"\n"
        "        }\n"
        "    }\n"
        "\n"
        "\x1b[1m  # terraform_data.release\x1b[0m must be \x1b[1m\x1b[31mreplaced\x1b[0m\n"
        "\x1b[0m\x1b[31m-\x1b[0m/\x1b[32m+\x1b[0m\x1b[0m resource \"terraform_data\" \"release\" {\n"
        "      \x1b[33m~\x1b[0m\x1b[0m triggers_replace = \"v1.2.2\" \x1b[33m->\x1b[0m\x1b[0m \"v1.2.3\" \x1b[31m# forces replacement\x1b[0m\x1b[0m\n"
        "    }\n"
        "\n"
        "\x1b[1m  # google_secret_manager_secret_version.token\x1b[0m will be created\n"
        "\x1b[0m  \x1b[32m+\x1b[0m\x1b[0m resource \"google_secret_manager_secret_version\" \"token\" {\n"
        "      \x1b[32m+\x1b[0m\x1b[0m secret_data = (sensitive value)\n"
        "    }\n"
        "\n"
        "\x1b[1m  # module.feeds.google_pubsub_topic.feed[\"eu west\"]\x1b[0m will be \x1b[1m\x1b[31mdestroyed\x1b[0m\n"
        "\x1b[0m\x1b[1mPlan:\x1b[0m 2 to add, 1 to change, 2 to destroy.\n"
        "\x1b[0m\n"
        "─────────────────────────────────────────────────────────────────────────────\n"
        "\n"
        "Saved the plan to: tfplan\n"
        "\n"
        "To perform exactly these actions, run the following command to apply:\n"
        "    terraform apply \"tfplan\"\n";
    const auto parsed = parse_terraform_plan(plan);
    REQUIRE(parsed.ok());
    const auto& p = *parsed.value;
    CHECK(p.add == 2);
    CHECK(p.change == 1);
    CHECK(p.destroy == 2);
    CHECK_FALSE(p.no_changes);
    CHECK(p.resources == std::vector<std::string>{
                             "google_bigquery_table.cycles will be updated in-place",
                             "terraform_data.release must be replaced",
                             "google_secret_manager_secret_version.token will be created",
                             "module.feeds.google_pubsub_topic.feed[\"eu west\"] will be destroyed",
                         });
}

TEST_CASE("terraform plan without changes, with imports, and failed") {
    const auto none = parse_terraform_plan(
        "terraform_data.release: Refreshing state... [id=6f1c2d3e-aaaa-bbbb-cccc-0123456789ab]\n\n"
        "No changes. Your infrastructure matches the configuration.\n\n"
        "Terraform has compared your real infrastructure against your configuration\n"
        "and found no differences, so no changes are needed.\n");
    REQUIRE(none.ok());
    CHECK(none.value->no_changes);
    CHECK(none.value->add + none.value->change + none.value->destroy == 0);
    CHECK(none.value->resources.empty());

    const auto imports = parse_terraform_plan(
        "  # google_storage_bucket.raw will be imported\n"
        "    resource \"google_storage_bucket\" \"raw\" {\n    }\n\n"
        "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.\n");
    REQUIRE(imports.ok());
    CHECK(imports.value->add == 0);
    CHECK(imports.value->resources == std::vector<std::string>{"google_storage_bucket.raw will be imported"});
    const auto imports_after = parse_terraform_plan("Plan: 0 to add, 1 to change, 0 to destroy, 2 to import.\n");
    REQUIRE(imports_after.ok());
    CHECK(imports_after.value->change == 1);

    const auto outputs = parse_terraform_plan(
        "Changes to Outputs:\n  ~ release = \"v1.2.2\" -> \"v1.2.3\"\n\n"
        "You can apply this plan to save these new output values to the Terraform\n"
        "state, without changing any real infrastructure.\n");
    REQUIRE(outputs.ok());
    CHECK_FALSE(outputs.value->no_changes);
    CHECK(outputs.value->add == 0);

    const auto failed = parse_terraform_plan(
        "\x1b[31m╷\x1b[0m\x1b[0m\n\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mInvalid reference\x1b[0m\n");
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error == "terraform plan printed neither `Plan:` nor `No changes.`");
    CHECK_FALSE(parse_terraform_plan("Plan: 1 to add, 0 to change, 0 to destroy.\nNo changes.\n").ok());
    CHECK_FALSE(parse_terraform_plan("Plan: x to add, 0 to change, 0 to destroy.\n").ok());
    CHECK_FALSE(parse_terraform_plan("Plan: 99999999999 to add, 0 to change, 0 to destroy.\n").ok());
    CHECK_FALSE(parse_terraform_plan("Plan: 1 to add, 0 to change.\n").ok());
    CHECK_FALSE(parse_terraform_plan("Plan: 1 to add, 0 to change, 0 to destroy\n").ok());
}

TEST_CASE("ANSI escape sequences are stripped, text kept") {
    CHECK(strip_ansi("\x1b[1m\x1b[32mPlan:\x1b[0m 1") == "Plan: 1");
    CHECK(strip_ansi("\x1b]8;;https://x\x07link\x1b]8;;\x1b\\") == "link");
    CHECK(strip_ansi("a\x1b") == "a");
    CHECK(strip_ansi("a\x1b[") == "a");
    CHECK(strip_ansi("a\x1b" "cb") == "ab");
    CHECK(strip_ansi("plain ─ text") == "plain ─ text");
}
