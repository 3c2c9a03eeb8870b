#!/bin/sh
# Side by side: promotebot, Bolt for JavaScript and slack-go acking the same
# Socket Mode load from one generator (build/tests/bench_side_by_side), one
# table. Builds promotebot and the generator, installs Bolt with `npm ci`
# and builds the slack-go peer offline, all under the build directory.
#
# Usage: tests/bench/side_by_side.sh [--tls] [--scale F] [--only "paced events,burst mix"] [--log-dir DIR]
# Needs: node and npm (Bolt), golang-go and golang-github-slack-go-slack-dev
# (slack-go); a peer whose toolchain is missing is left out with a warning.
# BUILD_DIR overrides the build directory (default: build).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
peers=$build/bench-peers
mkdir -p "$peers"

if [ ! -f "$build/build.ninja" ]; then
  (cd "$root" && nice -n 15 cmake --preset default >/dev/null)
fi
if ! nice -n 15 cmake --build "$build" --target promotebot bench_side_by_side -j 2 >"$peers/build.log" 2>&1; then
  cat "$peers/build.log" >&2
  exit 1
fi

# promotebot: the example configuration, one Socket Mode link as the peers
# open, no health listener; the store is relative, so each run gets a fresh
# one in the working directory the generator gives it.
mkdir -p "$peers/promotebot"
sed -e 's|^  connections: 2$|  connections: 1|' -e 's|^  listen: 127.0.0.1:9090$|  listen: "off"|' \
  "$root/deploy/promotebot.example.yaml" > "$peers/promotebot/promotebot.yaml"
grep -q '^  connections: 1$' "$peers/promotebot/promotebot.yaml"
grep -q '^  listen: "off"$' "$peers/promotebot/promotebot.yaml"
rm -rf "$peers/promotebot/holidays"
cp -r "$root/deploy/holidays" "$peers/promotebot/holidays"
set -- "$@" "promotebot=$build/bot/promotebot --config $peers/promotebot/promotebot.yaml"

if command -v npm >/dev/null && command -v node >/dev/null; then
  mkdir -p "$peers/bolt"
  cp "$root/tests/bench/peers/bolt/package.json" "$root/tests/bench/peers/bolt/package-lock.json" \
    "$root/tests/bench/peers/bolt/app.js" "$peers/bolt/"
  (cd "$peers/bolt" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  set -- "$@" "bolt=node $peers/bolt/app.js"
else
  echo "side_by_side: node or npm missing: Bolt left out" >&2
fi

if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/slack-go/slack/socketmode ]; then
  mkdir -p "$peers/slackgo"
  (cd "$root/tests/bench/peers/slackgo" &&
    GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$peers/slackgo/cache" GOFLAGS= \
      nice -n 15 go build -o "$peers/slackgo/slackgo_peer" main.go)
  set -- "$@" "slack-go=$peers/slackgo/slackgo_peer"
else
  echo "side_by_side: golang-go or golang-github-slack-go-slack-dev missing: slack-go left out" >&2
fi

exec "$build/tests/bench_side_by_side" "$@"
