#!/usr/bin/env bash
# Runs the load driver's standard matrix (uncontended 1/16/64, handoff 8/64) against servers that
# are already running, appending to one results file, then renders the report.
#   bench/load-sweep.sh [--out results.jsonl] [--duration 5s] [--repeat 1] [--systems "layerlock-ws layerlock-http etcd redis"]
# Endpoints: LAYERLOCK (default 127.0.0.1:18090), ETCD (127.0.0.1:12379), REDIS (127.0.0.1:16379).
set -euo pipefail

out=results.jsonl duration=5s repeat=1 systems="layerlock-ws layerlock-http etcd redis"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    *) echo "load-sweep: unknown flag $1 (valid: --out, --duration, --repeat, --systems)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
driver="$root/bench/LayerLock.LoadDriver/bin/Release/net10.0/LayerLock.LoadDriver.dll"
[ -f "$driver" ] || dotnet build "$root/bench/LayerLock.LoadDriver" -c Release >/dev/null

endpoint() {
  case "$1" in
    layerlock-*) echo "${LAYERLOCK:-127.0.0.1:18090}" ;;
    etcd) echo "${ETCD:-127.0.0.1:12379}" ;;
    redis) echo "${REDIS:-127.0.0.1:16379}" ;;
  esac
}

for ((r = 1; r <= repeat; r++)); do
  for system in $systems; do
    for clients in 1 16 64; do
      dotnet "$driver" run --system "$system" --endpoint "$(endpoint "$system")" --workload uncontended \
        --clients "$clients" --duration "$duration" --out "$out"
    done
    for clients in 8 64; do
      dotnet "$driver" run --system "$system" --endpoint "$(endpoint "$system")" --workload handoff \
        --clients "$clients" --duration "$duration" --out "$out"
    done
  done
done
dotnet "$driver" report --in "$out" --out "${out%.jsonl}.md"
