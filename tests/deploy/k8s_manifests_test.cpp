// deploy/k8s: the manifests pass the production checks (manifest_checks.hpp),
// the checks catch a broken manifest, and the configuration in the ConfigMap
// is one the bot itself accepts.
#include <catch2/catch.hpp>

#include <algorithm>
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

YAML::Node pod_spec(std::vector<YAML::Node>& docs) { return mutable_object(docs, "Deployment")["spec"]["template"]["spec"]; }

YAML::Node first_container(std::vector<YAML::Node>& docs) { return pod_spec(docs)["containers"][0]; }

// The bot container's variable `name` (a null node when it has none).
YAML::Node env_entry(std::vector<YAML::Node>& docs, const std::string& name) {
    for (auto e : first_container(docs)["env"])
        if (e["name"].as<std::string>() == name) return e;
    FAIL("the container sets no " << name);
    return {};
}

// Replaces the `store:` line of the configuration in the ConfigMap.
void set_store(std::vector<YAML::Node>& docs, const std::string& value) {
    for (auto& d : docs)
        if (d["kind"].as<std::string>("") == "ConfigMap" && d["data"]["promotebot.yaml"]) {
            std::istringstream in(d["data"]["promotebot.yaml"].as<std::string>());
            std::string out;
            bool replaced = false;
            for (std::string line; std::getline(in, line);) {
                if (line.rfind("store:", 0) == 0) {
                    line = "store: " + value;
                    replaced = true;
                }
                out += line + "\n";
            }
            REQUIRE(replaced);
            d["data"]["promotebot.yaml"] = out;
            return;
        }
    FAIL("no ConfigMap holds promotebot.yaml");
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
    // ServiceAccount, Role, RoleBinding, Deployment, PodDisruptionBudget, Service, two ConfigMaps
    REQUIRE(docs.size() >= 8);
    const auto problems = manifest_problems(docs);
    INFO(joined(problems));
    CHECK(problems.empty());
}

TEST_CASE("the production checks catch a broken manifest") {
    SECTION("a single replica") {
        CHECK_THAT(problems_after([](documents& d) { mutable_object(d, "Deployment")["spec"]["replicas"] = 1; }),
                   Catch::Contains("spec.replicas must be at least 2"));
    }
    SECTION("Recreate, which stops every pod before starting the new ones") {
        CHECK_THAT(problems_after([](documents& d) {
                       mutable_object(d, "Deployment")["spec"]["strategy"] = YAML::Load("{type: Recreate}");
                   }),
                   Catch::Contains("spec.strategy must be a RollingUpdate with rollingUpdate.maxUnavailable 0"));
    }
    SECTION("a rolling update that may stop a pod before its replacement is ready") {
        CHECK_THAT(problems_after([](documents& d) {
                       mutable_object(d, "Deployment")["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = 1;
                   }),
                   Catch::Contains("spec.strategy must be a RollingUpdate with rollingUpdate.maxUnavailable 0"));
    }
    SECTION("no pod anti-affinity") {
        CHECK_THAT(problems_after([](documents& d) { pod_spec(d).remove("affinity"); }),
                   Catch::Contains("has no podAntiAffinity term with topologyKey kubernetes.io/hostname"));
    }
    SECTION("anti-affinity by zone only") {
        CHECK_THAT(problems_after([](documents& d) {
                       pod_spec(d)["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
                                  ["podAffinityTerm"]["topologyKey"] = "topology.kubernetes.io/zone";
                   }),
                   Catch::Contains("has no podAntiAffinity term with topologyKey kubernetes.io/hostname"));
    }
    SECTION("anti-affinity against pods that are not the bot's") {
        CHECK_THAT(problems_after([](documents& d) {
                       pod_spec(d)["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
                                  ["podAffinityTerm"]["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] =
                                      "promote-bot";
                   }),
                   Catch::Contains("selecting its own pods"));
    }
    SECTION("no PodDisruptionBudget") {
        CHECK_THAT(problems_after([](documents& d) {
                       d.erase(std::remove_if(d.begin(), d.end(),
                                              [](const YAML::Node& n) {
                                                  return n["kind"].as<std::string>("") == "PodDisruptionBudget";
                                              }),
                               d.end());
                   }),
                   Catch::Contains("PodDisruptionBudget: expected exactly one, found 0"));
    }
    SECTION("a PodDisruptionBudget selecting other pods") {
        CHECK_THAT(problems_after([](documents& d) {
                       mutable_object(d, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
                                     ["app.kubernetes.io/name"] = "promote-bot";
                   }),
                   Catch::Contains("spec.selector.matchLabels must select the Deployment's pods"));
    }
    SECTION("a PodDisruptionBudget that blocks every drain") {
        CHECK_THAT(problems_after([](documents& d) { mutable_object(d, "PodDisruptionBudget")["spec"]["minAvailable"] = 2; }),
                   Catch::Contains("spec.minAvailable (or maxUnavailable) must be a number from 1 to 1"));
    }
    SECTION("a PodDisruptionBudget that protects nothing") {
        CHECK_THAT(problems_after([](documents& d) { mutable_object(d, "PodDisruptionBudget")["spec"]["minAvailable"] = 0; }),
                   Catch::Contains("spec.minAvailable (or maxUnavailable) must be a number from 1 to 1"));
    }
    SECTION("a SQLite file as the store") {
        CHECK_THAT(problems_after([](documents& d) { set_store(d, "/var/lib/promotebot/promotebot.db"); }),
                   Catch::Contains("store must be a postgresql:// URI"));
    }
    SECTION("a password in the store's URI") {
        const auto p = problems_after([](documents& d) {
            set_store(d, "postgresql://promotebot:hunter2@db.internal:5432/promotebot?sslmode=verify-full");
        });
        CHECK_THAT(p, Catch::Contains("the store's URI carries a password"));
        CHECK_THAT(p, !Catch::Contains("hunter2"));
    }
    SECTION("a password as a parameter of the store's URI") {
        const auto p = problems_after([](documents& d) {
            set_store(d, "postgres://promotebot@db.internal/promotebot?password=hunter2&sslmode=require");
        });
        CHECK_THAT(p, Catch::Contains("the store's URI carries a password"));
        CHECK_THAT(p, !Catch::Contains("hunter2"));
    }
    SECTION("a store connection that may go unencrypted") {
        CHECK_THAT(problems_after([](documents& d) {
                       set_store(d, "postgresql://promotebot@db.internal/promotebot?sslmode=prefer");
                   }),
                   Catch::Contains("sslmode=prefer, which may connect unencrypted"));
        CHECK_THAT(problems_after([](documents& d) { set_store(d, "postgresql://promotebot@db.internal/promotebot"); }),
                   Catch::Contains("the store's URI sets no sslmode"));
    }
    SECTION("PGPASSWORD as a literal value") {
        CHECK_THAT(problems_after([](documents& d) {
                       auto e = env_entry(d, "PGPASSWORD");
                       e.remove("valueFrom");
                       e["value"] = "hunter2";
                   }),
                   Catch::Contains("PGPASSWORD must come from a secretKeyRef"));
    }
    SECTION("PGPASSWORD left out or optional") {
        CHECK_THAT(problems_after([](documents& d) { env_entry(d, "PGPASSWORD")["name"] = "PGPASS"; }),
                   Catch::Contains("PGPASSWORD is not taken from the Secret"));
        CHECK_THAT(problems_after([](documents& d) {
                       env_entry(d, "PGPASSWORD")["valueFrom"]["secretKeyRef"]["optional"] = true;
                   }),
                   Catch::Contains("PGPASSWORD is required"));
    }
    SECTION("one replica id for every pod") {
        CHECK_THAT(problems_after([](documents& d) {
                       auto e = env_entry(d, "PROMOTEBOT_REPLICA_ID");
                       e.remove("valueFrom");
                       e["value"] = "promotebot";
                   }),
                   Catch::Contains("PROMOTEBOT_REPLICA_ID must come from the downward API"));
    }
    SECTION("the replica id from another field of the pod") {
        CHECK_THAT(problems_after([](documents& d) {
                       env_entry(d, "PROMOTEBOT_REPLICA_ID")["valueFrom"]["fieldRef"]["fieldPath"] = "metadata.uid";
                   }),
                   Catch::Contains("PROMOTEBOT_REPLICA_ID must come from the downward API, valueFrom.fieldRef.fieldPath "
                                   "metadata.name"));
    }
    SECTION("no replica id") {
        CHECK_THAT(problems_after([](documents& d) { env_entry(d, "PROMOTEBOT_REPLICA_ID")["name"] = "REPLICA_ID"; }),
                   Catch::Contains("PROMOTEBOT_REPLICA_ID is not set"));
    }
    SECTION("a claim for the store again") {
        CHECK_THAT(problems_after([](documents& d) {
                       pod_spec(d)["volumes"].push_back(
                           YAML::Load("{name: store, persistentVolumeClaim: {claimName: promotebot-store}}"));
                   }),
                   Catch::Contains("volume store is a PersistentVolumeClaim"));
    }
    SECTION("the Terraform checkout with a writable root filesystem") {
        CHECK_THAT(problems_after([](documents& d) {
                       pod_spec(d)["initContainers"][0]["securityContext"]["readOnlyRootFilesystem"] = false;
                   }),
                   Catch::Contains("init container terraform-checkout: readOnlyRootFilesystem is not true"));
    }
    SECTION("the Terraform checkout's repository from a key the ConfigMap lacks") {
        CHECK_THAT(problems_after([](documents& d) {
                       for (auto e : pod_spec(d)["initContainers"][0]["env"])
                           if (e["valueFrom"]["configMapKeyRef"]["key"].as<std::string>("") == "repository")
                               e["valueFrom"]["configMapKeyRef"]["key"] = "url";
                   }),
                   Catch::Contains("names key url of ConfigMap promotebot-terraform, which has no such key"));
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

TEST_CASE("the configuration in the ConfigMap is one the bot accepts, with the Terraform checkout on the pod's own volume") {
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
    // The loader keeps the URI as written: the replicas share this database.
    CHECK(cfg.store.rfind("postgresql://", 0) == 0);

    // prod's Terraform working copy lies in an emptyDir that the bot mounts
    // and the init container, which clones the repository, mounts at the same
    // place: each pod has its own, filled before the bot starts.
    const std::filesystem::path terraform_dir{cfg.environments.at("prod").terraform_dir};
    REQUIRE(terraform_dir.is_absolute());
    const auto pod = path(find_object(docs, "Deployment", "promotebot"), {"spec", "template", "spec"});
    const auto holding_volume = [&](const YAML::Node& container) {
        std::string volume, at;
        for (const auto& m : child(container, "volumeMounts")) {
            const std::string mount_path = text(child(m, "mountPath"));
            const auto rel = terraform_dir.lexically_relative(mount_path);
            if (!rel.empty() && *rel.begin() != ".." && mount_path.size() > at.size()) {
                volume = text(child(m, "name"));
                at = mount_path;
            }
        }
        return std::make_pair(volume, at);
    };
    const auto bot_mount = holding_volume(child(pod, "containers")[0]);
    REQUIRE_FALSE(bot_mount.first.empty());
    bool empty_dir = false;
    for (const auto& v : child(pod, "volumes"))
        if (text(child(v, "name")) == bot_mount.first) empty_dir = child(v, "emptyDir").IsDefined();
    CHECK(empty_dir);
    bool cloned_there = false;
    for (const auto& init : child(pod, "initContainers"))
        if (holding_volume(init) == bot_mount) cloned_there = true;
    CHECK(cloned_there);
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
