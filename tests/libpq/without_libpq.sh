#!/bin/sh
# The bot without libpq: a configuration whose store is a postgresql:// URI
# is refused by check-config, by a read-only command and at start-up, each
# naming the store (password redacted), libpq.so.5 and the Debian package
# libpq5, and exits 2 (never a crash); the same configuration with a SQLite
# store is valid and the bot runs on it. With libpq present, check-config
# accepts the PostgreSQL store. libpq is hidden from the real binary by
# mounting /dev/null over it in a private mount namespace (unshare), so
# nothing on the machine changes. Exit 77 (skipped) where user namespaces
# are not allowed.
# Usage: without_libpq.sh PROMOTEBOT ROOT
set -eu
bot=$1
root=$2
lib=$(ldconfig -p | awk '$1 == "libpq.so.5" {print $NF; exit}')
[ -n "$lib" ] || { echo "libpq.so.5 is not installed" >&2; exit 1; }
lib=$(readlink -f "$lib")
if ! unshare -rm true 2>/dev/null; then
  echo "unshare -rm is not allowed here: skipped" >&2
  exit 77
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp -r "$root/deploy/holidays" "$dir/holidays"
# Console mode, and no listener that could collide with another test's.
sed -e "s|^store: promotebot.db\$|store: $dir/bot.db|" -e 's|^  listen: 127.0.0.1:9090$|  listen: 127.0.0.1:0|' \
  "$root/deploy/promotebot.example.yaml" > "$dir/sqlite.yaml"
grep -q "^store: $dir/bot.db\$" "$dir/sqlite.yaml"
sed "s|^store: .*\$|store: \"postgresql://bot:hunter2@127.0.0.1:1/promotebot?connect_timeout=5\"|" \
  "$dir/sqlite.yaml" > "$dir/postgresql.yaml"
grep -q '^store: "postgresql://' "$dir/postgresql.yaml"

hidden() {
  unshare -rm sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$lib" \
    env -u SLACK_APP_TOKEN -u SLACK_BOT_TOKEN "$bot" "$@" </dev/null
}
fail() { cat "$dir/out" >&2; echo "FAIL: $1" >&2; exit 1; }

hidden check-config --config "$dir/sqlite.yaml" >"$dir/out" 2>&1 || fail "check-config refuses the SQLite store"
hidden --console --config "$dir/sqlite.yaml" >"$dir/out" 2>&1 || fail "the bot does not run on the SQLite store"
"$bot" check-config --config "$dir/postgresql.yaml" >"$dir/out" 2>&1 \
  || fail "with libpq present, check-config refuses the PostgreSQL store"

# What each refusal must say: the store without its password, the library,
# the package.
refused() {
  rc=0
  hidden "$@" >"$dir/out" 2>&1 || rc=$?
  cat "$dir/out"
  [ "$rc" -eq 2 ] || fail "$*: exit $rc, expected 2"
  grep -q 'store "postgresql://bot:\*\*\*@127.0.0.1:1/promotebot?connect_timeout=5": PostgreSQL stores are reached with libpq, which cannot be loaded: .*libpq.so.5.* (install the Debian package libpq5)' "$dir/out" \
    || fail "$*: the message does not name the store, libpq.so.5 and libpq5"
  ! grep -q hunter2 "$dir/out" || fail "$*: the password is in the message"
}
refused check-config --config "$dir/postgresql.yaml"
refused freeze status --config "$dir/postgresql.yaml"
refused --console --config "$dir/postgresql.yaml"
echo "ok"
