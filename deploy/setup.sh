#!/usr/bin/env bash
# Developer set-up on Debian 12: installs what is missing, builds, then runs.
#   deploy/setup.sh run [promotebot args]   build and start the bot (console mode without SLACK_APP_TOKEN)
#   deploy/setup.sh test                    build and run the whole test suite through ctest, then
#                                           a short run of every fuzz target (build-fuzz/, clang)
#   deploy/setup.sh test-asan               the same under AddressSanitizer + UBSan
#   deploy/setup.sh build                   only install and build (the development preset, tests included)
#   deploy/setup.sh release                 only install and build the Release binary: build-release/bot/promotebot
#                                           (what deploy/Dockerfile runs)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git tzdata
  libboost1.81-dev libboost-system1.81-dev libboost-url1.81-dev
  libssl-dev nlohmann-json3-dev libspdlog-dev catch2 libyaml-cpp-dev
  libhowardhinnant-date-dev libsqlite3-dev sqlite3 libpq-dev libcli11-dev libical-dev
  # The runtimes of libical and libpq: the bot loads them with dlopen (at the
  # first .ics file it reads, at the first PostgreSQL store it opens) instead
  # of linking them, so they are named here for themselves.
  libical3 libpq5
)
# Only the tests need these: promtool (from prometheus) checks the /metrics output;
# clang and its compiler-rt (libFuzzer, AddressSanitizer) build the fuzz targets;
# postgresql provides the server binaries (/usr/lib/postgresql/15/bin) the
# PostgreSQL store's tests start a private server from (tests/support/postgresql_server.hpp;
# as root they run it as the user nobody, so no extra user is needed). The
# package's own cluster and service are not used.
test_packages=(prometheus clang libclang-rt-14-dev postgresql)
# Not installed: kubectl, which the test deploy_manifests_render_with_kubectl
# uses to render deploy/k8s. Debian 12's kubernetes-client (1.20, kustomize
# v2) cannot read that kustomization; the test is skipped, saying so, unless
# a kubectl 1.27 or later is on PATH. test_deploy checks the files without it.

install_packages() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

build() {
  local preset=$1
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) install_packages; build default ;;
  release) install_packages; build release ;;
  run)   install_packages; build default >&2; exec build/bot/promotebot "$@" ;;
  test)
    install_packages "${test_packages[@]}"; build default; ctest --preset default
    # Each libFuzzer target for PROMOTEBOT_FUZZ_SECONDS (25 s) over its corpus.
    build fuzz; ctest --preset fuzz ;;
  test-asan) install_packages "${test_packages[@]}"; build asan; ctest --preset asan ;;
  *) echo "usage: deploy/setup.sh run|test|test-asan|build|release" >&2; exit 2 ;;
esac
