#pragma once
// What production needs from promotebot's Kubernetes objects (deploy/k8s),
// checked on a stream of manifests: kustomize's rendering when kubectl is at
// hand, else the files the kustomization lists. The checks read only: a
// document of the wrong shape is a problem, never an exception. Every problem
// names the object and the field, one a line.
#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace promotebot::deploy_checks {

// Every problem found in the stream; empty: the manifests are fit to apply.
std::vector<std::string> manifest_problems(const std::vector<YAML::Node>& documents);

// The documents of the kustomization in `dir` without kustomize: every file
// under `resources` (each may hold several documents), then one ConfigMap per
// `configMapGenerator` entry with its `files` and `literals` (KEY=value) as
// data. Names keep no hash suffix and objects no namespace; throws
// std::runtime_error naming the file that cannot be read or parsed.
std::vector<YAML::Node> kustomization_documents(const std::filesystem::path& dir);

// The child `key` of a map, or an undefined node (also when `node` is no map).
YAML::Node child(const YAML::Node& node, const std::string& key);
// child() along a path: child(child(node, "spec"), "template")...
YAML::Node path(const YAML::Node& node, const std::vector<std::string>& keys);
// The scalar's text, or empty for anything else.
std::string text(const YAML::Node& node);

// The first document of `kind` named `name`, or an undefined node.
YAML::Node find_object(const std::vector<YAML::Node>& documents, const std::string& kind, const std::string& name);

}  // namespace promotebot::deploy_checks
