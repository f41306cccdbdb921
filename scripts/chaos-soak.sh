#!/usr/bin/env bash
# Chaos soak: Akka.Remote session clients, HTTP clients and agent processes (NodeAgent lock) lock and
# unlock random keys while sessions drop, agent processes are SIGKILLed and restarted and the Coordinator is SIGKILLed and restarted.
# The checker replays the Coordinator's JSON event log: zero overlapping holders, tokens only
# grow across restarts, no waiter or holder left behind, every request answered, and every lock held at
# the end held by a node that believes it holds it. Needs no root (loopback only).
#
#   scripts/chaos-soak.sh [--minutes N] [--no-build]      (default 5 minutes)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=5 build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "chaos-soak: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -ge 1 ] && [ "$minutes" -le 600 ] || { echo "chaos-soak: --minutes must be 1 to 600" >&2; exit 2; }
if [ "$build" -eq 1 ]; then
  dotnet build "$here/LayerLock.slnx" -c Release -nologo -v quiet >/dev/null
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
LAYERLOCK_SOAK_SECONDS=$((minutes * 60)) dotnet test "$here/Specs/Specs.csproj" -c Release --no-build \
  --filter "FullyQualifiedName~ChaosSoakSpecs" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
grep -E '^\s*seed ' "$log" | head -n 1 | sed 's/^ */chaos-soak: /'
grep -E '^soak: ' "$log" | sed 's/^soak: /chaos-soak: /' || { tail -n 40 "$log"; }
[ "$status" -eq 0 ] && echo "chaos-soak: PASS" || { grep -E 'Error Message' -A4 "$log" | head -n 20; echo "chaos-soak: FAIL"; }
exit "$status"
