#!/usr/bin/env bash
# make demo: onboarding, a converged rerun, a secret rotation and the status report, against the
# Graph emulator and simulated UCServer hosts in two tenants (tests/demo.py tells the story).
# The emulator runs as its own process (python -m tests.emulator) and is stopped by its PID when
# this script ends, also on error or Ctrl-C.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
python=${PYTHON:-python}
work=$(mktemp -d "${TMPDIR:-/tmp}/procall-msteams-demo.XXXXXX")
emulator_pid=""
cleanup() {
  if [[ -n "$emulator_pid" ]] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if [[ -z "${DEMO_KEEP:-}" ]]; then rm -rf "$work"; else echo "demo files kept in $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# No --state-dir: the demo needs no restart of the emulator, and its state file is written by
# concurrent requests (kept in memory instead). Its temp dir (CA, keys) goes under $work.
mkdir -p "$work/emulator"
TMPDIR="$work/emulator" "$python" -m tests.emulator --host 127.0.0.1 --port "$port" >"$work/emulator.json" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 150); do
  [[ -s "$work/emulator.json" ]] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    echo "The Graph emulator did not start:" >&2
    cat "$work/emulator.log" >&2
    exit 1
  fi
  sleep 0.2
done
[[ -s "$work/emulator.json" ]] || { echo "The Graph emulator did not answer within 30 s." >&2; exit 1; }

"$python" -m tests.demo --emulator "$work/emulator.json" --workdir "$work/world" "$@"
