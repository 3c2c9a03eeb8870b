# Shared by the stub tools: where they keep their state, and the call log.
# PROMOTEBOT_STUB_DIR is set by the test; every call is appended to calls.log
# as "<tool> [arg] [arg] …" so tests can assert the exact argv.
dir="${PROMOTEBOT_STUB_DIR:?PROMOTEBOT_STUB_DIR is not set}"
tool="$(basename "$0")"
{
  printf '%s' "$tool"
  for a in "$@"; do printf ' [%s]' "$a"; done
  printf '\n'
} >> "$dir/calls.log"
state() { if [ -f "$dir/$1" ]; then cat "$dir/$1"; else printf '%s' "$2"; fi; }
finish() { code="$(state "$1" 0)"; exit "$code"; }
