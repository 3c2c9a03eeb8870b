#!/bin/sh
# Renders a kustomization with kubectl's kustomize and checks the result with
# the deploy tests' hidden case (kustomize's rendering of deploy/k8s ...).
#   render_with_kubectl.sh KUSTOMIZATION_DIR TEST_DEPLOY_BINARY
# Exit 77 (ctest: skipped) when kubectl is missing or its kustomize is older
# than v5 (Debian 12's kubernetes-client 1.20 ships v2, which cannot read the
# namespace transformer); 1 when rendering or a check fails.
set -eu
dir=$1
binary=$2

if ! command -v kubectl >/dev/null 2>&1; then
  echo "SKIPPED: kubectl is not on PATH; install kubectl 1.27 or later (kustomize v5) to render $dir." \
       "The manifest files themselves are still checked by test_deploy."
  exit 77
fi
version=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\).*/\1/p')
if [ -z "$version" ] || [ "$version" -lt 5 ]; then
  echo "SKIPPED: $(command -v kubectl) has no kustomize v5 or later ($(kubectl version --client 2>&1 | head -n 1));" \
       "install kubectl 1.27 or later to render $dir."
  exit 77
fi

rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
if ! kubectl kustomize "$dir" >"$rendered"; then
  echo "FAILED: kubectl kustomize $dir"
  exit 1
fi
PROMOTEBOT_RENDERED_MANIFESTS=$rendered "$binary" "kustomize's rendering of deploy/k8s passes the production checks"
