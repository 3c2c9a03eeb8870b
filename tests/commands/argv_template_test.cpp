#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands/promotion/argv_template.hpp"

using namespace promotebot::commands;

namespace {

using argv = std::vector<std::string>;

const argv set_image = {"kubectl", "set", "image", "-n", "markets", "cronjob/markets-pipeline",
                        "orchestrator=gcr.io/{project_id}/markets-orchestrator:{version}"};

const std::map<std::string, std::string> good_values = {
    {"version", "v1.2.3"},
    {"project_id", "markets-int-4821"},
    {"environment", "int"},
    {"image", "gcr.io/markets-int-4821/markets-orchestrator:v1.2.3"},
    {"digest", "sha256:4f1e3a9d8c2b7e6f5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f"},
    {"since", "2026-11-27T10:00:00Z"},
    {"promotion_id", "42"},
    {"change_record", "CHG0012345"},
    {"kube_context", "gke_markets-int-4821_europe-west1_markets"},
    {"job_name", "markets-pipeline-29931000"},
    {"model", "fct_trades"},
    {"ref", "HEAD~1"},
};

std::set<std::string> all_names() {
    std::set<std::string> names;
    for (const auto& rule : known_placeholders()) names.emplace(rule.name);
    return names;
}

std::string expansion_error(const argv& tmpl, const std::string& name, const std::string& value) {
    auto values = good_values;
    values[name] = value;
    const auto out = expand_argv(tmpl, values);
    REQUIRE_FALSE(out.ok());
    CHECK(out.argv.empty());
    return out.error;
}

}  // namespace

TEST_CASE("placeholders inside an argument are replaced, arguments stay as they are") {
    const auto out = expand_argv(set_image, good_values);
    REQUIRE(out.ok());
    CHECK(out.argv == argv{"kubectl", "set", "image", "-n", "markets", "cronjob/markets-pipeline",
                           "orchestrator=gcr.io/markets-int-4821/markets-orchestrator:v1.2.3"});
    const auto several = expand_argv({"gcloud", "container", "images", "list-tags",
                                      "gcr.io/{project_id}/markets-orchestrator", "--filter=tags:{version}",
                                      "--format=json", "--context={kube_context}", "{since}{promotion_id}"},
                                     good_values);
    REQUIRE(several.ok());
    CHECK(several.argv[4] == "gcr.io/markets-int-4821/markets-orchestrator");
    CHECK(several.argv[5] == "--filter=tags:v1.2.3");
    CHECK(several.argv[7] == "--context=gke_markets-int-4821_europe-west1_markets");
    CHECK(several.argv[8] == "2026-11-27T10:00:00Z42");
    CHECK(several.argv.size() == 9);
}

TEST_CASE("doubled braces are literal braces") {
    const argv bq = {"bq", "query", "--use_legacy_sql=false", "--format=json",
                     "SELECT COUNT(*) FROM `{project_id}.markets.cycles` WHERE s = '{{ok}}' AND t >= '{since}'"};
    const auto out = expand_argv(bq, good_values);
    REQUIRE(out.ok());
    CHECK(out.argv[4] ==
          "SELECT COUNT(*) FROM `markets-int-4821.markets.cycles` WHERE s = '{ok}' AND t >= '2026-11-27T10:00:00Z'");
    const auto jsonpath = expand_argv(
        {"kubectl", "get", "job", "{job_name}", "-o", "jsonpath={{.status.conditions[0].type}}", "{{{version}}}"},
        good_values);
    REQUIRE(jsonpath.ok());
    CHECK(jsonpath.argv[5] == "jsonpath={.status.conditions[0].type}");
    CHECK(jsonpath.argv[6] == "{v1.2.3}");
    CHECK(template_problems({"kubectl", "jsonpath={{.items[*].metadata.name}}"}, {}).empty());
}

TEST_CASE("hostile values are refused by their placeholder's validator") {
    CHECK(expansion_error(set_image, "version", "v1.2.3; rm -rf /") == "{version}: the value is not a version like v1.2.3");
    CHECK(expansion_error(set_image, "version", "v1.2.3 --all") == "{version}: the value is not a version like v1.2.3");
    CHECK(expansion_error(set_image, "version", "$(reboot)") == "{version}: the value is not a version like v1.2.3");
    CHECK(expansion_error(set_image, "project_id", "evil/../x") == "{project_id}: the value is not a GCP project ID");
    CHECK(expansion_error(set_image, "project_id", "Markets-int") == "{project_id}: the value is not a GCP project ID");
    const argv with_context = {"kubectl", "{kube_context}", "--context={kube_context}"};
    CHECK(expansion_error(with_context, "kube_context", "--context=evil") ==
          "{kube_context}: the value is not a kubectl context name");
    CHECK(expansion_error(with_context, "kube_context", "ctx evil") ==
          "{kube_context}: the value is not a kubectl context name");
    CHECK(expansion_error({"x", "{environment}"}, "environment", "staging") == "{environment}: the value is not int or prod");
    CHECK(expansion_error({"x", "{image}"}, "image", "-oyaml") == "{image}: the value is not an image reference");
    CHECK(expansion_error({"x", "{image}"}, "image", "gcr.io/p/x:v1 ; id") == "{image}: the value is not an image reference");
    CHECK(expansion_error({"x", "{digest}"}, "digest", "sha256:abc") == "{digest}: the value is not a sha256 digest");
    CHECK(expansion_error({"x", "{since}"}, "since", "2026-11-27 10:00:00") ==
          "{since}: the value is not a UTC time like 2026-11-28T10:00:00Z");
    CHECK(expansion_error({"x", "{since}"}, "since", "2026-02-30T10:00:00Z") ==
          "{since}: the value is not a UTC time like 2026-11-28T10:00:00Z");
    CHECK(expansion_error({"x", "{promotion_id}"}, "promotion_id", "-1") == "{promotion_id}: the value is not a promotion number");
    CHECK(expansion_error({"x", "{change_record}"}, "change_record", "CHG12") ==
          "{change_record}: the value is not a change record like CHG0012345");
    CHECK(expansion_error({"x", "{job_name}"}, "job_name", "Job_1") == "{job_name}: the value is not a Kubernetes job name");
    CHECK(expansion_error({"x", "{job_name}"}, "job_name", std::string(64, 'a')) ==
          "{job_name}: the value is not a Kubernetes job name");
    CHECK(expansion_error({"x", "{model}"}, "model", "fct_trades --full-refresh") == "{model}: the value is not a dbt model name");
    CHECK(expansion_error({"x", "{version}"}, "version", "") == "{version}: the value is not a version like v1.2.3");
    CHECK(expansion_error({"x", "{version}"}, "version", std::string("v1.2.3\0x", 8)) ==
          "{version}: the value is not a version like v1.2.3");
}

TEST_CASE("every known placeholder accepts its ordinary value") {
    for (const auto& rule : known_placeholders()) {
        INFO(std::string(rule.name));
        REQUIRE(good_values.count(std::string(rule.name)) == 1);
        CHECK(rule.valid(good_values.at(std::string(rule.name))));
        CHECK(find_placeholder(rule.name) == &rule);
        // No validator lets a value begin with '-', where it would become an option.
        CHECK_FALSE(rule.valid("-" + good_values.at(std::string(rule.name))));
    }
    CHECK(find_placeholder("shell") == nullptr);
    CHECK(is_valid_project_id("abcdef"));
    CHECK_FALSE(is_valid_project_id("abcde"));
    CHECK_FALSE(is_valid_project_id("markets-int-"));
    CHECK(is_valid_project_id(std::string(30, 'a')));
    CHECK_FALSE(is_valid_project_id(std::string(31, 'a')));
    CHECK(is_valid_job_name("a"));
    CHECK_FALSE(is_valid_job_name("a-"));
    CHECK(is_valid_image_reference("gcr.io/p/x:v1.2.3@sha256:4f1e"));
    CHECK(is_valid_kube_context("arn:aws:eks:eu-west-1:123:cluster/markets"));
    CHECK_FALSE(is_valid_kube_context(std::string(254, 'a')));
    CHECK_FALSE(is_valid_promotion_id("1234567890123456789"));
}

TEST_CASE("expansion refuses what the template checks refuse") {
    auto error_of = [](const argv& tmpl) {
        const auto out = expand_argv(tmpl, good_values);
        REQUIRE_FALSE(out.ok());
        return out.error;
    };
    CHECK(error_of({}) == "the command is empty");
    CHECK(error_of({""}) == "the command is empty");
    CHECK(error_of({"{version}"}) == "argv[0], the program, cannot hold a placeholder");
    CHECK(error_of({"x", "{shell}"}) == "argv[1]: unknown placeholder {shell}");
    CHECK(error_of({"x", "{version"}) == "argv[1] has a `{` without its `}` (write `{{` for a literal brace)");
    CHECK(expand_argv({"x", "{since}"}, {{"version", "v1.2.3"}}).error == "{since}: no value is known here");
}

TEST_CASE("template problems for config validation") {
    const auto all = all_names();
    CHECK(template_problems(set_image, all).empty());
    CHECK(template_problems(set_image, {"version", "project_id"}).empty());
    CHECK(template_problems({}, all) == std::vector<std::string>{"the command is empty: it needs at least the program to run"});
    CHECK(template_problems({"", "x"}, all) == std::vector<std::string>{"argv[0], the program, is empty"});
    CHECK(template_problems({"{version}"}, all) == std::vector<std::string>{"argv[0], the program, cannot hold a placeholder"});
    CHECK(template_problems({"kubectl", "{since}"}, {"version"}) ==
          std::vector<std::string>{"argv[1]: {since} is not available in this command; available: version"});
    CHECK(template_problems({"kubectl", "{since}"}, {}) ==
          std::vector<std::string>{"argv[1]: {since} is not available in this command; available: none"});
    const auto unknown = template_problems({"kubectl", "{cmd}"}, {"cmd", "version"});
    REQUIRE(unknown.size() == 1);
    CHECK(unknown[0] == "argv[1]: unknown placeholder {cmd}; available here: version");
    CHECK(template_problems({"x", "a}b"}, all) ==
          std::vector<std::string>{"argv[1] has a `}` without its `{` (write `}}` for a literal brace)"});
    CHECK(template_problems({"x", "{a{b}"}, all) ==
          std::vector<std::string>{"argv[1] has a `{` without its `}` (write `{{` for a literal brace)"});
    CHECK(template_problems({"x", "{}"}, all) ==
          std::vector<std::string>{
              "argv[1] has braces around something that is no placeholder name (write `{{` and `}}` for literal braces)"});
    CHECK(template_problems({"x", "{.items}"}, all).size() == 1);
    CHECK(template_problems({"x", "{version}", "{nope}", "}"}, {"version"}).size() == 2);
}

TEST_CASE("the placeholders a template uses") {
    CHECK(template_placeholders(set_image) == std::vector<std::string>{"project_id", "version"});
    CHECK(template_placeholders({"x", "{version}{version}", "{{literal}}"}) == std::vector<std::string>{"version"});
    CHECK_FALSE(template_placeholders({"x", "{version"}));
}

TEST_CASE("a git ref is HEAD~N, a commit or a plain branch or tag name") {
    for (const char* ok : {"HEAD~1", "HEAD~12", "HEAD~999", "3f2a9c1", "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f",
                           "main", "release/2026-11", "v1.2.3", "feature_x.y"})
        CHECK(is_valid_git_ref(ok));
    for (const char* bad : {"", "HEAD~0", "HEAD~", "HEAD~1000", "HEAD~-1", "HEAD^1", "-p", "--", "a..b", "a//b",
                            "a/.hidden", "branch/", "branch.", "x.lock", "@{-1}", "main~1:path", "a b", "a;rm",
                            ".hidden", "/abs"})
        CHECK_FALSE(is_valid_git_ref(bad));
    CHECK_FALSE(is_valid_git_ref(std::string(101, 'a')));
}
