#!/bin/sh
# The bot without libical: a configuration with an .ics holiday file is
# refused, naming the file, the library and the Debian package, and exits 2
# (never a crash); the same configuration without the .ics file is valid.
# libical is hidden from the real binary by mounting /dev/null over it in a
# private mount namespace (unshare), so nothing on the machine changes.
# Exit 77 (skipped) where user namespaces are not allowed.
# Usage: without_libical.sh PROMOTEBOT ROOT
set -eu
bot=$1
root=$2
lib=$(ldconfig -p | awk '$1 == "libical.so.3" {print $NF; exit}')
[ -n "$lib" ] || { echo "libical.so.3 is not installed" >&2; exit 1; }
lib=$(readlink -f "$lib")
if ! unshare -rm true 2>/dev/null; then
  echo "unshare -rm is not allowed here: skipped" >&2
  exit 77
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp -r "$root/deploy/holidays" "$dir/holidays"
cp "$root/deploy/promotebot.example.yaml" "$dir/without_ics.yaml"
sed 's|^    - file: holidays/england-and-wales-2026-2027.json$|&\n    - file: holidays/example.ics|' \
  "$root/deploy/promotebot.example.yaml" > "$dir/with_ics.yaml"
grep -q '^    - file: holidays/example.ics$' "$dir/with_ics.yaml"

hidden() {
  unshare -rm sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$lib" "$bot" check-config --config "$@"
}

hidden "$dir/without_ics.yaml" >"$dir/out" 2>&1 || { cat "$dir/out" >&2; echo "FAIL: valid without an .ics file" >&2; exit 1; }

rc=0
hidden "$dir/with_ics.yaml" >"$dir/out" 2>&1 || rc=$?
cat "$dir/out"
[ "$rc" -eq 2 ] || { echo "FAIL: exit $rc, expected 2" >&2; exit 1; }
grep -q 'holiday file "holidays/example.ics": iCalendar files are read with libical, which cannot be loaded: .*libical.so.3.* (install the Debian package libical3)' "$dir/out" \
  || { echo "FAIL: the message does not name the file, libical.so.3 and libical3" >&2; exit 1; }
echo "ok"
