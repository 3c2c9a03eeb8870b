// deploy/k8s: the manifests pass the production checks (manifest_checks.hpp),
// the checks catch a broken manifest, and the configuration in the ConfigMap
// is one the bot itself accepts.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "bot/config/config.hpp"
#include "tests/deploy/manifest_checks.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace promotebot::deploy_checks;

namespace {

using documents = std::vector<YAML::Node>;

const std::filesystem::path source_dir{PROMOTEBOT_SOURCE_DIR};
const std::filesystem::path k8s_dir = source_dir / "deploy/k8s";

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

std::vector<YAML::Node> deep_copy(const std::vector<YAML::Node>& docs) {
    std::vector<YAML::Node> out;
    for (const auto& d : docs) out.push_back(YAML::Clone(d));
    return out;
}

// The document of `kind` in a mutable copy (the first one).
YAML::Node mutable_object(std::vector<YAML::Node>& docs, const std::string& kind) {
    for (auto& d : docs)
        if (d["kind"].as<std::string>("") == kind) return d;
    FAIL("no " << kind << " in the manifests");
    return {};
}

YAML::Node first_container(std::vector<YAML::Node>& docs) {
    return mutable_object(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
}

// Applies `breakage` to a copy of the manifests and returns what the checks say.
std::string problems_after(const std::function<void(std::vector<YAML::Node>&)>& breakage) {
    auto docs = deep_copy(kustomization_documents(k8s_dir));
    breakage(docs);
    return joined(manifest_problems(docs));
}

// The checks on kustomize's own rendering: the hashed ConfigMap name is
// referenced, and the bot's objects and the RoleBinding's subject share
// the namespace the kustomization sets.
void check_rendered(const std::vector<YAML::Node>& docs) {
    INFO(joined(manifest_problems(docs)));
    CHECK(manifest_problems(docs).empty());
    const auto deployment = find_object(docs, "Deployment", "promotebot");
    REQUIRE(deployment.IsDefined());
    CHECK_FALSE(text(path(deployment, {"metadata", "namespace"})).empty());
    bool hashed_config = false;
    for (const auto& d : docs)
        if (text(child(d, "kind")) == "ConfigMap" &&
            text(path(d, {"metadata", "name"})).rfind("promotebot-config-", 0) == 0)
            hashed_config = true;
    CHECK(hashed_config);
    // The image is pinned by the kustomization, not left as the bare name.
    const auto image = text(child(path(deployment, {"spec", "template", "spec", "containers"})[0], "image"));
    CHECK(image.find(':') != std::string::npos);
}

}  // namespace

TEST_CASE("the manifests in deploy/k8s pass the production checks") {
    const auto docs = kustomization_documents(k8s_dir);
    REQUIRE(docs.size() >= 7);  // ServiceAccount, Role, RoleBinding, claim, Deployment, Service, ConfigMap
    const auto problems = manifest_problems(docs);
    INFO(joined(problems));
    CHECK(problems.empty());
}

TEST_CASE("the production checks catch a broken manifest") {
    SECTION("a second replica") {
        CHECK_THAT(problems_after([](documents& d) { mutable_object(d, "Deployment")["spec"]["replicas"] = 2; }),
                   Catch::Contains("spec.replicas must be 1"));
    }
    SECTION("a rolling update that would run two pods on the store") {
        CHECK_THAT(problems_after([](documents& d) { mutable_object(d, "Deployment")["spec"]["strategy"]["type"] =
                                                    "RollingUpdate"; }),
                   Catch::Contains("Recreate"));
    }
    SECTION("a liveness probe on the wrong path") {
        CHECK_THAT(problems_after([](documents& d) { first_container(d)["livenessProbe"]["httpGet"]["path"] = "/health"; }),
                   Catch::Contains("livenessProbe must be an httpGet of /healthz"));
    }
    SECTION("a readiness probe on a numbered port") {
        CHECK_THAT(problems_after([](documents& d) { first_container(d)["readinessProbe"]["httpGet"]["port"] = 8080; }),
                   Catch::Contains("readinessProbe must be an httpGet of /readyz on the port named http"));
    }
    SECTION("root allowed") {
        // The container's setting wins over the pod's: both must go.
        CHECK_THAT(problems_after([](documents& d) {
                       mutable_object(d, "Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] =
                           false;
                       first_container(d)["securityContext"].remove("runAsNonRoot");
                   }),
                   Catch::Contains("runAsNonRoot is not true"));
    }
    SECTION("a writable root filesystem and a capability kept") {
        const auto p = problems_after([](documents& d) {
            first_container(d)["securityContext"]["readOnlyRootFilesystem"] = false;
            first_container(d)["securityContext"]["capabilities"]["drop"][0] = "NET_RAW";
        });
        CHECK_THAT(p, Catch::Contains("readOnlyRootFilesystem is not true"));
        CHECK_THAT(p, Catch::Contains("does not drop ALL capabilities"));
    }
    SECTION("a secret as a literal value") {
        CHECK_THAT(problems_after([](documents& d) {
                       for (auto e : first_container(d)["env"])
                           if (e["name"].as<std::string>() == "SLACK_BOT_TOKEN") {
                               e.remove("valueFrom");
                               e["value"] = "xoxb-in-the-manifest";
                           }
                   }),
                   Catch::Contains("SLACK_BOT_TOKEN must come from a secretKeyRef"));
    }
    SECTION("one verb more in the Role") {
        CHECK_THAT(problems_after([](documents& d) {
                       for (auto rule : mutable_object(d, "Role")["rules"])
                           if (rule["resources"][0].as<std::string>() == "pods") rule["verbs"].push_back("delete");
                   }),
                   Catch::Contains("grants delete pods, which no runbook call needs"));
    }
    SECTION("the cronjob's patch right missing") {
        CHECK_THAT(problems_after([](documents& d) {
                       for (auto rule : mutable_object(d, "Role")["rules"])
                           if (rule["resources"][0].as<std::string>() == "cronjobs") rule["verbs"] = YAML::Load("[get]");
                   }),
                   Catch::Contains("does not grant patch batch/cronjobs/markets-pipeline"));
    }
    SECTION("rights on every cronjob instead of markets-pipeline") {
        CHECK_THAT(problems_after([](documents& d) {
                       for (auto rule : mutable_object(d, "Role")["rules"])
                           if (rule["resources"][0].as<std::string>() == "cronjobs") rule.remove("resourceNames");
                   }),
                   Catch::Contains("grants patch batch/cronjobs,"));
    }
    SECTION("a ClusterRole") {
        CHECK_THAT(problems_after([](documents& d) {
                       d.push_back(YAML::Load("{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, "
                                              "metadata: {name: promotebot}, rules: []}"));
                   }),
                   Catch::Contains("grants cluster-wide rights"));
    }
    SECTION("a document without a name") {
        CHECK_THAT(problems_after([](documents& d) { mutable_object(d, "Service")["metadata"].remove("name"); }),
                   Catch::Contains("has no metadata.name"));
    }
    SECTION("a volume naming a ConfigMap that does not exist") {
        CHECK_THAT(problems_after([](documents& d) {
                       for (auto v : mutable_object(d, "Deployment")["spec"]["template"]["spec"]["volumes"])
                           if (v["configMap"]) v["configMap"]["name"] = "promotebot-settings";
                   }),
                   Catch::Contains("names ConfigMap promotebot-settings, which is not among the manifests"));
    }
    SECTION("the Service selecting pods that do not exist") {
        CHECK_THAT(problems_after([](documents& d) {
                       mutable_object(d, "Service")["spec"]["selector"]["app.kubernetes.io/name"] = "promote-bot";
                   }),
                   Catch::Contains("which the pods do not carry"));
    }
}

TEST_CASE("the configuration in the ConfigMap is one the bot accepts, with its store on the claim") {
    const auto docs = kustomization_documents(k8s_dir);
    const auto config_map = find_object(docs, "ConfigMap", "promotebot-config");
    REQUIRE(config_map.IsDefined());
    const auto yaml = text(path(config_map, {"data", "promotebot.yaml"}));
    REQUIRE_FALSE(yaml.empty());

    // The image's layout: the file in /etc/promotebot, the holiday files in
    // /etc/promotebot/holidays (deploy/Dockerfile copies deploy/holidays there).
    testing::temp_dir etc;
    std::filesystem::copy(source_dir / "deploy/holidays", etc.path / "holidays");
    std::ofstream{etc.path / "promotebot.yaml"} << yaml;
    bot::config cfg;
    try {
        cfg = bot::load_config_file((etc.path / "promotebot.yaml").string());
    } catch (const bot::config_error& e) {
        FAIL("deploy/k8s/promotebot.yaml is refused:\n" << e.what());
    }
    CHECK(cfg.slack.connections >= 2);

    // The store is an absolute path on the volume backed by the claim.
    const std::filesystem::path store{cfg.store};
    REQUIRE(store.is_absolute());
    const auto pod = path(find_object(docs, "Deployment", "promotebot"), {"spec", "template", "spec"});
    std::string claim_volume;
    for (const auto& v : child(pod, "volumes"))
        if (child(v, "persistentVolumeClaim").IsDefined()) claim_volume = text(child(v, "name"));
    bool on_claim = false;
    for (const auto& m : child(child(pod, "containers")[0], "volumeMounts"))
        if (text(child(m, "name")) == claim_volume && store.parent_path() == text(child(m, "mountPath")))
            on_claim = true;
    CHECK(on_claim);
}

// Run by tests/deploy/render_with_kubectl.sh (ctest deploy_manifests_render_with_kubectl)
// with kustomize's output in PROMOTEBOT_RENDERED_MANIFESTS; hidden, as it needs kubectl.
TEST_CASE("kustomize's rendering of deploy/k8s passes the production checks", "[.kubectl]") {
    const char* file = std::getenv("PROMOTEBOT_RENDERED_MANIFESTS");
    REQUIRE(file != nullptr);
    std::ifstream in(file);
    REQUIRE(in);
    std::stringstream text_of_file;
    text_of_file << in.rdbuf();
    std::vector<YAML::Node> docs;
    for (const auto& d : YAML::LoadAll(text_of_file.str()))
        if (!d.IsNull()) docs.push_back(d);
    REQUIRE_FALSE(docs.empty());
    check_rendered(docs);
}
