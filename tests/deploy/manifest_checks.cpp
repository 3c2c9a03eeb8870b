#include "tests/deploy/manifest_checks.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace promotebot::deploy_checks {

namespace {

// The namespace of the cronjob the bot deploys to (the runbook's `-n markets`).
const std::string markets = "markets";

// Environment variables the code reads as secrets (getenv in bot/ and
// integrations/, and libpq's PGPASSWORD for the store): each must come from a
// Secret, never a literal value. `true`: the bot cannot serve without it.
const std::map<std::string, bool> secret_variables{
    {"SLACK_APP_TOKEN", true},      {"SLACK_BOT_TOKEN", true},     {"SERVICENOW_USERNAME", false},
    {"SERVICENOW_PASSWORD", false}, {"SERVICENOW_TOKEN", false},   {"DYNATRACE_API_TOKEN", false},
    {"PROMOTEBOT_AUDIT_KEY", false}, {"PGPASSWORD", true},
};

// Where the image's ENTRYPOINT reads the configuration.
const std::string config_file = "/etc/promotebot/promotebot.yaml";

// The sslmodes under which libpq never falls back to an unencrypted connection.
const std::set<std::string> encrypted_sslmodes{"require", "verify-ca", "verify-full"};

// One grant: API group, resource, resource name ("*": any), verb.
using grant = std::tuple<std::string, std::string, std::string, std::string>;

// Exactly what the runbook's kubectl calls need in `markets` (deploy/k8s/rbac.yaml
// says which call needs which); one more or one fewer is a problem.
const std::set<grant> expected_grants{
    {"batch", "cronjobs", "markets-pipeline", "get"},
    {"batch", "cronjobs", "markets-pipeline", "patch"},
    {"batch", "jobs", "*", "get"},
    {"batch", "jobs", "*", "list"},
    {"batch", "jobs", "*", "watch"},
    {"batch", "jobs", "*", "create"},
    {"apps", "deployments", "markets-pipeline", "get"},
    {"", "pods", "*", "get"},
    {"", "pods", "*", "list"},
    {"", "pods/log", "*", "get"},
    {"", "pods/log", "*", "list"},
    {"", "pods/exec", "*", "create"},
};

std::string describe(const grant& g) {
    const auto& [group, resource, name, verb] = g;
    return verb + " " + (group.empty() ? "" : group + "/") + resource + (name == "*" ? "" : "/" + name);
}

std::string name_of(const YAML::Node& doc) { return text(path(doc, {"metadata", "name"})); }
std::string namespace_of(const YAML::Node& doc) { return text(path(doc, {"metadata", "namespace"})); }
std::string id_of(const YAML::Node& doc) {
    const auto kind = text(child(doc, "kind"));
    const auto name = name_of(doc);
    return (kind.empty() ? std::string{"(no kind)"} : kind) + "/" + (name.empty() ? std::string{"(no name)"} : name);
}

std::vector<std::string> texts(const YAML::Node& seq) {
    std::vector<std::string> out;
    if (!seq.IsSequence()) return out;
    for (const auto& item : seq) out.push_back(text(item));
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// A small non-negative integer scalar (replicas, budgets); nothing for
// anything else, percentages included.
std::optional<int> count_of(const YAML::Node& node) {
    const auto t = text(node);
    if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return std::stoi(t);
}

// What is wrong with the store setting for several replicas; empty: a
// PostgreSQL URI with no password and an encrypted connection. The value is
// never quoted back: it may hold the very password it must not.
std::vector<std::string> store_uri_problems(const std::string& store) {
    std::vector<std::string> out;
    std::string rest;
    for (const std::string scheme : {"postgresql://", "postgres://"})
        if (store.rfind(scheme, 0) == 0) rest = store.substr(scheme.size());
    if (rest.empty()) {
        out.push_back("store must be a postgresql:// URI: the replicas share one database, and a SQLite file "
                      "cannot be shared between pods");
        return out;
    }
    const auto query_at = rest.find('?');
    const auto authority = rest.substr(0, std::min(rest.find('/'), query_at));
    const auto at = authority.rfind('@');
    bool password = at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
    std::optional<std::string> sslmode;
    if (query_at != std::string::npos) {
        std::istringstream query(rest.substr(query_at + 1, rest.find('#') - query_at - 1));
        for (std::string item; std::getline(query, item, '&');) {
            const auto eq = item.find('=');
            const auto key = item.substr(0, eq);
            if (key == "password") password = true;
            if (key == "sslmode") sslmode = eq == std::string::npos ? std::string{} : item.substr(eq + 1);
        }
    }
    if (password)
        out.push_back("the store's URI carries a password: leave it out and give PGPASSWORD from the Secret");
    if (!sslmode)
        out.push_back("the store's URI sets no sslmode: add sslmode=verify-full (or verify-ca, require) so the "
                      "connection is always encrypted");
    else if (!encrypted_sslmodes.count(*sslmode))
        out.push_back("the store's URI has sslmode=" + *sslmode +
                      ", which may connect unencrypted: use verify-full (or verify-ca, require)");
    return out;
}

class checker {
public:
    explicit checker(const std::vector<YAML::Node>& documents) : docs_(documents) {}

    std::vector<std::string> run() {
        for (std::size_t i = 0; i < docs_.size(); ++i) check_identity(docs_[i], i);
        check_deployment();
        check_disruption_budget();
        check_rbac();
        check_service();
        check_namespaces();
        return std::move(problems_);
    }

private:
    const std::vector<YAML::Node>& docs_;
    std::vector<std::string> problems_;

    void problem(const std::string& where, const std::string& what) { problems_.push_back(where + ": " + what); }

    std::vector<YAML::Node> all_of_kind(const std::string& kind) const {
        std::vector<YAML::Node> out;
        for (const auto& d : docs_)
            if (text(child(d, "kind")) == kind) out.push_back(d);
        return out;
    }

    void check_identity(const YAML::Node& doc, std::size_t index) {
        const std::string where = "document " + std::to_string(index + 1) + " (" + id_of(doc) + ")";
        if (!doc.IsMap()) {
            problem(where, "is not a map");
            return;
        }
        if (text(child(doc, "apiVersion")).empty()) problem(where, "has no apiVersion");
        if (text(child(doc, "kind")).empty()) problem(where, "has no kind");
        if (name_of(doc).empty()) problem(where, "has no metadata.name");
        const auto kind = text(child(doc, "kind"));
        // Nothing cluster-wide: the bot's rights end at the markets namespace.
        if (kind == "ClusterRole" || kind == "ClusterRoleBinding")
            problem(where, "grants cluster-wide rights; the bot needs a Role in " + markets + " only");
    }

    void check_deployment() {
        const auto deployments = all_of_kind("Deployment");
        if (deployments.size() != 1) {
            problem("Deployment", "expected exactly one, found " + std::to_string(deployments.size()));
            return;
        }
        const auto& d = deployments.front();
        const std::string where = id_of(d);
        const auto spec = child(d, "spec");
        // Several replicas on the shared store: see deploy/k8s/deployment.yaml.
        if (const auto replicas = count_of(child(spec, "replicas")); !replicas || *replicas < 2)
            problem(where, "spec.replicas must be at least 2 (one pod serves while the other is lost, drained or "
                           "replaced)");
        if (text(path(spec, {"strategy", "type"})) != "RollingUpdate" ||
            text(path(spec, {"strategy", "rollingUpdate", "maxUnavailable"})) != "0")
            problem(where, "spec.strategy must be a RollingUpdate with rollingUpdate.maxUnavailable 0 (a rollout "
                           "starts a new pod before it stops an old one)");

        const auto pod = path(spec, {"template", "spec"});
        const auto pod_labels = path(spec, {"template", "metadata", "labels"});
        const auto selector = path(spec, {"selector", "matchLabels"});
        if (!selector.IsMap() || selector.size() == 0) problem(where, "spec.selector.matchLabels is empty");
        else
            for (const auto& kv : selector)
                if (text(child(pod_labels, text(kv.first))) != text(kv.second))
                    problem(where, "the pod template lacks the selector's label " + text(kv.first));
        check_anti_affinity(where, pod, pod_labels);

        const auto sa = text(child(pod, "serviceAccountName"));
        if (sa.empty()) problem(where, "spec.template.spec.serviceAccountName is not set");
        else if (!find_object(docs_, "ServiceAccount", sa).IsDefined())
            problem(where, "ServiceAccount " + sa + " is not among the manifests");

        const auto pod_security = child(pod, "securityContext");
        if (text(path(pod_security, {"seccompProfile", "type"})) != "RuntimeDefault")
            problem(where, "the pod's securityContext.seccompProfile.type must be RuntimeDefault");
        const bool pod_non_root = text(child(pod_security, "runAsNonRoot")) == "true";

        std::map<std::string, YAML::Node> volumes;
        for (const auto& v : child(pod, "volumes")) volumes.emplace(text(child(v, "name")), static_cast<const YAML::Node&>(v));
        check_volume_sources(where, volumes);

        const auto containers = child(pod, "containers");
        if (!containers.IsSequence() || containers.size() == 0) {
            problem(where, "has no containers");
            return;
        }
        // Init containers (the Terraform checkout) run the same image with
        // the same confinement, but serve nothing: no probes, no bot secrets.
        for (const auto& c : child(pod, "initContainers")) {
            const auto cwhere = where + " init container " + text(child(c, "name"));
            check_confinement(cwhere, c, pod_non_root);
            check_mounts(cwhere, c, volumes);
            check_config_map_refs(cwhere, c);
        }
        for (const auto& c : containers) check_container(where + " container " + text(child(c, "name")), c, volumes,
                                                         pod_non_root);
    }

    // True when `selector` (a LabelSelector) names labels, all carried by the pods.
    static bool selects(const YAML::Node& selector, const YAML::Node& pod_labels) {
        const auto labels = child(selector, "matchLabels");
        if (!labels.IsMap() || labels.size() == 0 || child(selector, "matchExpressions").IsDefined()) return false;
        for (const auto& kv : labels)
            if (text(child(pod_labels, text(kv.first))) != text(kv.second)) return false;
        return true;
    }

    // Replicas on one node all go when it does: the pods must repel each other
    // by host name (preferred is enough; required would also do).
    void check_anti_affinity(const std::string& where, const YAML::Node& pod, const YAML::Node& pod_labels) {
        const auto anti = path(pod, {"affinity", "podAntiAffinity"});
        const auto spreads = [&](const YAML::Node& term) {
            return text(child(term, "topologyKey")) == "kubernetes.io/hostname" &&
                   selects(child(term, "labelSelector"), pod_labels);
        };
        bool spread = false;
        for (const auto& term : child(anti, "requiredDuringSchedulingIgnoredDuringExecution"))
            if (spreads(term)) spread = true;
        for (const auto& weighted : child(anti, "preferredDuringSchedulingIgnoredDuringExecution"))
            if (spreads(child(weighted, "podAffinityTerm"))) spread = true;
        if (!spread)
            problem(where, "has no podAntiAffinity term with topologyKey kubernetes.io/hostname selecting its own pods "
                           "(the replicas may share a node, and go down with it)");
    }

    void check_volume_sources(const std::string& where, const std::map<std::string, YAML::Node>& volumes) {
        for (const auto& [name, v] : volumes) {
            if (const auto cm = text(path(v, {"configMap", "name"})); !cm.empty() &&
                                                                       !find_object(docs_, "ConfigMap", cm).IsDefined())
                problem(where, "volume " + name + " names ConfigMap " + cm + ", which is not among the manifests");
            // A ReadWriteOnce claim keeps the second replica off every other
            // node, and nothing needs one: the store is PostgreSQL.
            if (child(v, "persistentVolumeClaim").IsDefined())
                problem(where, "volume " + name +
                                   " is a PersistentVolumeClaim: the replicas keep nothing on disk beyond the pod's "
                                   "life (the store is PostgreSQL)");
        }
    }

    void check_disruption_budget() {
        const auto budgets = all_of_kind("PodDisruptionBudget");
        if (budgets.size() != 1) {
            problem("PodDisruptionBudget", "expected exactly one, found " + std::to_string(budgets.size()) +
                                               " (a node drain could stop every replica at once)");
            return;
        }
        const auto& b = budgets.front();
        const auto where = id_of(b);
        const auto deployments = all_of_kind("Deployment");
        if (deployments.size() != 1) return;  // reported by check_deployment
        const auto spec = child(deployments.front(), "spec");
        if (!selects(path(b, {"spec", "selector"}), path(spec, {"template", "metadata", "labels"})))
            problem(where, "spec.selector.matchLabels must select the Deployment's pods");
        const auto replicas = count_of(child(spec, "replicas"));
        if (!replicas) return;
        // At least one pod kept through a drain, and at least one allowed to
        // go (else no drain of its node ever finishes).
        const auto min_available = path(b, {"spec", "minAvailable"});
        const auto max_unavailable = path(b, {"spec", "maxUnavailable"});
        const auto in_range = [&](const YAML::Node& n) {
            const auto v = count_of(n);
            return v && *v >= 1 && *v < *replicas;
        };
        if (min_available.IsDefined() ? !in_range(min_available)
                                       : !max_unavailable.IsDefined() || !in_range(max_unavailable))
            problem(where, "spec.minAvailable (or maxUnavailable) must be a number from 1 to " +
                               std::to_string(*replicas - 1) + ", below the Deployment's " +
                               std::to_string(*replicas) + " replicas (0 protects nothing, all of them blocks every "
                               "drain)");
    }

    void check_probe(const std::string& where, const YAML::Node& c, const std::string& probe,
                     const std::string& expected_path) {
        const auto get = path(c, {probe, "httpGet"});
        if (text(child(get, "path")) != expected_path || text(child(get, "port")) != "http")
            problem(where, probe + " must be an httpGet of " + expected_path + " on the port named http");
    }

    void check_container(const std::string& where, const YAML::Node& c, const std::map<std::string, YAML::Node>& volumes,
                         bool pod_non_root) {
        check_probe(where, c, "livenessProbe", "/healthz");
        check_probe(where, c, "readinessProbe", "/readyz");
        bool http_port = false;
        for (const auto& p : child(c, "ports"))
            if (text(child(p, "name")) == "http" && text(child(p, "containerPort")) == "8080") http_port = true;
        if (!http_port) problem(where, "has no port named http on 8080");

        check_confinement(where, c, pod_non_root);
        const auto mounts = check_mounts(where, c, volumes);
        // A read-only root needs somewhere to write: /tmp in memory or on the
        // node. Nothing else outlives the pod: see check_volume_sources.
        const auto tmp = mounts.find("/tmp");
        if (tmp == mounts.end() || !volumes.count(tmp->second) ||
            !child(volumes.at(tmp->second), "emptyDir").IsDefined())
            problem(where, "/tmp is not an emptyDir volume");

        check_environment(where, c);
        check_config_map_refs(where, c);
        check_store(where, c, volumes);
    }

    // The security context and the resource bounds, for every container, init containers included.
    void check_confinement(const std::string& where, const YAML::Node& c, bool pod_non_root) {
        const auto sc = child(c, "securityContext");
        // The container's own setting, when given, wins over the pod's.
        const auto non_root = text(child(sc, "runAsNonRoot"));
        if (non_root == "false" || (non_root.empty() && !pod_non_root)) problem(where, "runAsNonRoot is not true");
        if (text(child(sc, "readOnlyRootFilesystem")) != "true") problem(where, "readOnlyRootFilesystem is not true");
        if (text(child(sc, "allowPrivilegeEscalation")) != "false")
            problem(where, "allowPrivilegeEscalation is not false");
        if (text(child(sc, "privileged")) == "true") problem(where, "is privileged");
        if (!contains(texts(path(sc, {"capabilities", "drop"})), "ALL")) problem(where, "does not drop ALL capabilities");
        if (child(path(sc, {"capabilities"}), "add").IsDefined() && path(sc, {"capabilities", "add"}).size() > 0)
            problem(where, "adds capabilities");

        for (const auto* key : {"requests", "limits"})
            for (const auto* resource : {"cpu", "memory"})
                if (text(path(c, {"resources", key, resource})).empty())
                    problem(where, std::string{"resources."} + key + "." + resource + " is not set");
    }

    // mountPath -> volume name, each checked against the pod's volumes.
    std::map<std::string, std::string> check_mounts(const std::string& where, const YAML::Node& c,
                                                    const std::map<std::string, YAML::Node>& volumes) {
        std::map<std::string, std::string> mounts;
        for (const auto& m : child(c, "volumeMounts")) {
            const auto volume = text(child(m, "name"));
            if (!volumes.count(volume)) problem(where, "mounts volume " + volume + ", which the pod does not declare");
            mounts[text(child(m, "mountPath"))] = volume;
            const auto sub_path = text(child(m, "subPath"));
            const auto cm = volumes.count(volume) ? text(path(volumes.at(volume), {"configMap", "name"})) : std::string{};
            if (!sub_path.empty() && !cm.empty()) {
                const auto map = find_object(docs_, "ConfigMap", cm);
                if (map.IsDefined() && !child(child(map, "data"), sub_path).IsDefined())
                    problem(where, "mounts " + sub_path + " of ConfigMap " + cm + ", which has no such key");
            }
        }
        return mounts;
    }

    // The configuration mounted at config_file: its `store` must be a
    // PostgreSQL database the replicas can share, reached without a password
    // in the ConfigMap and never in clear.
    void check_store(const std::string& where, const YAML::Node& c, const std::map<std::string, YAML::Node>& volumes) {
        YAML::Node mount(YAML::NodeType::Undefined);
        for (const auto& m : child(c, "volumeMounts"))
            if (text(child(m, "mountPath")) == config_file) mount.reset(m);
        const auto volume = text(child(mount, "name"));
        const auto cm_name = volumes.count(volume) ? text(path(volumes.at(volume), {"configMap", "name"})) : "";
        if (cm_name.empty()) {
            problem(where, "mounts no ConfigMap at " + config_file);
            return;
        }
        const auto cm = find_object(docs_, "ConfigMap", cm_name);
        const auto key = text(child(mount, "subPath"));
        if (!cm.IsDefined() || key.empty()) return;  // reported with the volumes and mounts
        const auto cwhere = id_of(cm) + " " + key;
        YAML::Node config;
        try {
            config = YAML::Load(text(child(child(cm, "data"), key)));
        } catch (const YAML::Exception& e) {
            problem(cwhere, "is not YAML: " + e.msg);
            return;
        }
        for (const auto& p : store_uri_problems(text(child(config, "store")))) problem(cwhere, p);
    }

    // Every configMapKeyRef resolves, so no pod waits on a missing key.
    void check_config_map_refs(const std::string& where, const YAML::Node& c) {
        for (const auto& e : child(c, "env")) {
            const auto ref = path(e, {"valueFrom", "configMapKeyRef"});
            if (!ref.IsDefined() || text(child(ref, "optional")) == "true") continue;
            const auto cm = text(child(ref, "name"));
            const auto key = text(child(ref, "key"));
            const auto map = find_object(docs_, "ConfigMap", cm);
            if (!map.IsDefined())
                problem(where, text(child(e, "name")) + " names ConfigMap " + cm + ", which is not among the manifests");
            else if (!child(child(map, "data"), key).IsDefined())
                problem(where, text(child(e, "name")) + " names key " + key + " of ConfigMap " + cm +
                                   ", which has no such key");
        }
    }

    void check_environment(const std::string& where, const YAML::Node& c) {
        std::set<std::string> seen;
        bool replica_id = false;
        for (const auto& e : child(c, "env")) {
            const auto name = text(child(e, "name"));
            // The replica's name in the store: distinct per pod, and the same
            // when its container restarts (it then resumes what it held).
            if (name == "PROMOTEBOT_REPLICA_ID") {
                replica_id = true;
                if (child(e, "value").IsDefined() ||
                    text(path(e, {"valueFrom", "fieldRef", "fieldPath"})) != "metadata.name")
                    problem(where, "PROMOTEBOT_REPLICA_ID must come from the downward API, valueFrom.fieldRef.fieldPath "
                                   "metadata.name (one name per pod, kept across its restarts)");
            }
            const auto it = secret_variables.find(name);
            if (it == secret_variables.end()) continue;
            seen.insert(name);
            const auto ref = path(e, {"valueFrom", "secretKeyRef"});
            if (child(e, "value").IsDefined() || text(child(ref, "name")).empty() || text(child(ref, "key")).empty()) {
                problem(where, name + " must come from a secretKeyRef, never a literal value");
                continue;
            }
            const bool optional = text(child(ref, "optional")) == "true";
            if (it->second && optional) problem(where, name + " is required: its secretKeyRef must not be optional");
        }
        for (const auto& [name, required] : secret_variables)
            if (!seen.count(name)) problem(where, name + " is not taken from the Secret");
        if (!replica_id)
            problem(where, "PROMOTEBOT_REPLICA_ID is not set: take it from the downward API, metadata.name, rather "
                           "than rely on the host name");
    }

    void check_rbac() {
        const auto roles = all_of_kind("Role");
        if (roles.size() != 1) {
            problem("Role", "expected exactly one, found " + std::to_string(roles.size()));
            return;
        }
        const auto& role = roles.front();
        const auto where = id_of(role);
        if (namespace_of(role) != markets) problem(where, "must be in namespace " + markets);
        std::set<grant> granted;
        for (const auto& rule : child(role, "rules")) {
            auto groups = texts(child(rule, "apiGroups"));
            auto resources = texts(child(rule, "resources"));
            auto names = texts(child(rule, "resourceNames"));
            const auto verbs = texts(child(rule, "verbs"));
            if (names.empty()) names.push_back("*");
            if (child(rule, "nonResourceURLs").IsDefined()) problem(where, "a Role has no nonResourceURLs");
            for (const auto& g : groups)
                for (const auto& r : resources)
                    for (const auto& n : names)
                        for (const auto& v : verbs) granted.insert({g, r, n, v});
        }
        for (const auto& g : granted)
            if (!expected_grants.count(g)) problem(where, "grants " + describe(g) + ", which no runbook call needs");
        for (const auto& g : expected_grants)
            if (!granted.count(g)) problem(where, "does not grant " + describe(g));

        const auto bindings = all_of_kind("RoleBinding");
        if (bindings.size() != 1) {
            problem("RoleBinding", "expected exactly one, found " + std::to_string(bindings.size()));
            return;
        }
        const auto& b = bindings.front();
        const auto bwhere = id_of(b);
        if (namespace_of(b) != markets) problem(bwhere, "must be in namespace " + markets);
        if (text(path(b, {"roleRef", "kind"})) != "Role" || text(path(b, {"roleRef", "name"})) != name_of(role))
            problem(bwhere, "must bind Role " + name_of(role));
        const auto subjects = child(b, "subjects");
        const auto deployment = all_of_kind("Deployment");
        const auto sa = deployment.empty()
                            ? std::string{}
                            : text(path(deployment.front(), {"spec", "template", "spec", "serviceAccountName"}));
        const auto bot_namespace = deployment.empty() ? std::string{} : namespace_of(deployment.front());
        if (!subjects.IsSequence() || subjects.size() != 1 || text(child(subjects[0], "kind")) != "ServiceAccount" ||
            text(child(subjects[0], "name")) != sa || text(child(subjects[0], "namespace")) != bot_namespace)
            problem(bwhere, "its one subject must be the bot's ServiceAccount " + sa + " in the bot's namespace (" +
                                (bot_namespace.empty() ? std::string{"unset before kustomize"} : bot_namespace) + ")");
    }

    // The bot's own objects live together (one namespace, kustomize's to set);
    // only the Role and its binding sit in markets.
    void check_namespaces() {
        const auto deployments = all_of_kind("Deployment");
        if (deployments.empty()) return;
        const auto bot_namespace = namespace_of(deployments.front());
        if (bot_namespace == markets) problem(id_of(deployments.front()), "must not run in " + markets);
        for (const auto& d : docs_) {
            const auto kind = text(child(d, "kind"));
            if (kind == "Role" || kind == "RoleBinding") continue;
            if (namespace_of(d) != bot_namespace)
                problem(id_of(d), "is in namespace '" + namespace_of(d) + "', the Deployment in '" + bot_namespace + "'");
        }
    }

    void check_service() {
        const auto services = all_of_kind("Service");
        if (services.size() != 1) {
            problem("Service", "expected exactly one, found " + std::to_string(services.size()));
            return;
        }
        const auto& s = services.front();
        const auto where = id_of(s);
        const auto type = text(path(s, {"spec", "type"}));
        if (!type.empty() && type != "ClusterIP") problem(where, "must be ClusterIP (nothing is exposed outside)");
        const auto annotations = path(s, {"metadata", "annotations"});
        if (text(child(annotations, "prometheus.io/scrape")) != "true" ||
            text(child(annotations, "prometheus.io/port")) != "8080")
            problem(where, "lacks the prometheus.io/scrape and prometheus.io/port annotations");
        bool http = false;
        for (const auto& p : path(s, {"spec", "ports"}))
            if (text(child(p, "targetPort")) == "http") http = true;
        if (!http) problem(where, "has no port targeting the container port named http");
        const auto deployments = all_of_kind("Deployment");
        if (deployments.empty()) return;
        const auto labels = path(deployments.front(), {"spec", "template", "metadata", "labels"});
        const auto selector = path(s, {"spec", "selector"});
        if (!selector.IsMap() || selector.size() == 0) problem(where, "has no selector");
        else
            for (const auto& kv : selector)
                if (text(child(labels, text(kv.first))) != text(kv.second))
                    problem(where, "selects " + text(kv.first) + "=" + text(kv.second) + ", which the pods do not carry");
    }
};

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file.string() + ": cannot be read");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<YAML::Node> load_all(const std::filesystem::path& file) {
    try {
        std::vector<YAML::Node> out;
        for (auto& doc : YAML::LoadAll(read_text(file)))
            if (!doc.IsNull()) out.push_back(doc);
        return out;
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
}

}  // namespace

YAML::Node child(const YAML::Node& node, const std::string& key) {
    if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    for (auto it = node.begin(); it != node.end(); ++it)
        if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
    return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node path(const YAML::Node& node, const std::vector<std::string>& keys) {
    // reset(), not operator=: assigning a YAML::Node writes into the node it refers to.
    YAML::Node at = node;
    for (const auto& k : keys) at.reset(child(at, k));
    return at;
}

std::string text(const YAML::Node& node) { return node.IsDefined() && node.IsScalar() ? node.Scalar() : std::string{}; }

YAML::Node find_object(const std::vector<YAML::Node>& documents, const std::string& kind, const std::string& name) {
    for (const auto& d : documents)
        if (text(child(d, "kind")) == kind && name_of(d) == name) return d;
    return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> manifest_problems(const std::vector<YAML::Node>& documents) {
    return checker(documents).run();
}

std::vector<YAML::Node> kustomization_documents(const std::filesystem::path& dir) {
    const auto kustomization = load_all(dir / "kustomization.yaml");
    if (kustomization.size() != 1) throw std::runtime_error((dir / "kustomization.yaml").string() + ": not one document");
    std::vector<YAML::Node> out;
    for (const auto& resource : texts(child(kustomization[0], "resources")))
        for (auto& doc : load_all(dir / resource)) out.push_back(doc);
    for (const auto& generator : child(kustomization[0], "configMapGenerator")) {
        YAML::Node cm;
        cm["apiVersion"] = "v1";
        cm["kind"] = "ConfigMap";
        cm["metadata"]["name"] = text(child(generator, "name"));
        for (const auto& file : texts(child(generator, "files")))
            cm["data"][std::filesystem::path(file).filename().string()] = read_text(dir / file);
        for (const auto& literal : texts(child(generator, "literals"))) {
            const auto eq = literal.find('=');
            if (eq == std::string::npos || eq == 0)
                throw std::runtime_error((dir / "kustomization.yaml").string() + ": literal without KEY=: " + literal);
            cm["data"][literal.substr(0, eq)] = literal.substr(eq + 1);
        }
        out.push_back(cm);
    }
    return out;
}

}  // namespace promotebot::deploy_checks
