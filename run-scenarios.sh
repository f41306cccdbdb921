#!/usr/bin/env bash
# The seed's five scenarios, plus four of ours, end to end on real containerd:
# a local registry, N containerd instances, the Coordinator and one NodeAgent per node.
#
#   sudo ./run-scenarios.sh [--nodes N] [--workdir DIR] [--keep] [--no-build] [--bin DIR]
#
#   --nodes N     containerd nodes for scenarios 1-5 (default 2); scenarios 6-9 use max(N, 3)
#   --workdir DIR where registry data, node state and logs go (default: a new /tmp dir)
#   --keep        keep the workdir afterwards (logs are always kept on failure)
#   --no-build    use existing binaries; --bin DIR names the folder holding Coordinator.dll
#                 and NodeAgent.dll (default: each project's bin/Release/net10.0)
#
# Logs are laid out as in the seed: WORKDIR/logs/server.log, containerd-a.log, plugin-a.log, ...
# (plus .jsonl twins for machines, and registry.log). Every process started here is stopped by
# PID on exit. Exits non-zero if any scenario fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/scenario-env.sh
source "$here/scripts/lib/scenario-env.sh"

nodes=2 workdir="" keep=0 build=1 bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=${2:?--nodes needs a number}; shift 2 ;;
    --workdir) workdir=${2:?--workdir needs a directory}; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-build) build=0; shift ;;
    --bin) bin=${2:?--bin needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run-scenarios: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$nodes" =~ ^[0-9]+$ ]] && [ "$nodes" -ge 2 ] && [ "$nodes" -le 8 ] || { echo "run-scenarios: --nodes must be 2 to 8" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run-scenarios: run as root (containerd needs it): sudo $0" >&2; exit 2; }

say() { printf '\n==> %s\n' "$*"; }
evidence() { printf '    %s\n' "$@"; }

ll_install_missing
command -v dotnet >/dev/null || { echo "run-scenarios: the .NET SDK (dotnet) is required" >&2; exit 2; }
if [ "$build" -eq 1 ]; then
  say "building (dotnet build -c Release)"
  dotnet build "$here/LayerLock.slnx" -c Release -nologo -v quiet >/dev/null
fi
coordinator_dll=${bin:+$bin/Coordinator.dll}; coordinator_dll=${coordinator_dll:-$here/Coordinator/bin/Release/net10.0/Coordinator.dll}
agent_dll=${bin:+$bin/NodeAgent.dll}; agent_dll=${agent_dll:-$here/NodeAgent/bin/Release/net10.0/NodeAgent.dll}
[ -f "$coordinator_dll" ] && [ -f "$agent_dll" ] || { echo "run-scenarios: binaries not found ($coordinator_dll, $agent_dll)" >&2; exit 2; }

workdir=${workdir:-$(mktemp -d /tmp/layerlock-scenarios.XXXXXX)}
mkdir -p "$workdir/logs"
logs="$workdir/logs"
failed=0
cleanup() {
  local status=$?
  ll_stop_all "$workdir" || true
  if [ "$keep" -eq 1 ] || [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then
    echo "run-scenarios: logs kept in $logs"
  else
    rm -rf "$workdir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

registry_port=15055 coordinator_port=18080 coordinator_remote_port=18081
registry="127.0.0.1:$registry_port"
all_nodes=$(( nodes > 3 ? nodes : 3 ))
names=(a b c d e f g h)

say "registry, test images, $all_nodes containerd nodes, Coordinator, agents (workdir $workdir)"
ll_start_registry "$workdir" "$registry_port"
ll_build_images "$workdir" "$registry"
busybox="$registry/layerlock/busybox:latest"
app_one="$registry/layerlock/app-one:latest"
app_two="$registry/layerlock/app-two:latest"
bb=$(jq -r '.busybox[0]' "$workdir/images.json")
shared=($(jq -r '.["app-one"][0:2][]' "$workdir/images.json"))

declare -A sock agent_pid
for ((i = 0; i < all_nodes; i++)); do
  n=${names[$i]}
  ll_start_containerd "$workdir" "$n" >/dev/null
  sock[$n]=$(ll_containerd_sock "$workdir" "$n")
done

start_coordinator() {
  dotnet "$coordinator_dll" --addr "127.0.0.1:$coordinator_port" --akka:remote:dot-netty:tcp:port="$coordinator_remote_port" \
    --state-dir "$workdir/coordinator" --log-dir "$logs" \
    >>"$logs/server.console" 2>&1 </dev/null &
  coordinator_pid=$!
  ll__record_pid "$workdir" $! coordinator server
  local i
  for ((i = 0; i < 100; i++)); do curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$coordinator_port/healthz" 2>/dev/null && return 0; sleep 0.2; done
  echo "run-scenarios: the Coordinator did not come up" >&2
  return 1
}
start_coordinator
say "live page: http://127.0.0.1:$coordinator_port/ (open it in a browser to watch the locks and queues as the scenarios run)"

agent_port() { echo $((19101 + $(printf '%d' "'$1") - 97)); }
mirror_port() { echo $((19201 + $(printf '%d' "'$1") - 97)); }
peer_port() { echo $((19301 + $(printf '%d' "'$1") - 97)); }

# start_agent NODE [extra settings...]: one agent per node; logs plugin-NODE.log / .jsonl
start_agent() {
  local n=$1; shift
  dotnet "$agent_dll" run --node "node-$n" --coordinator "http://127.0.0.1:$coordinator_port" \
    --containerd "${sock[$n]}" --state-dir "$workdir/agent-$n" \
    --listen "127.0.0.1:$(agent_port "$n")" --mirror "127.0.0.1:$(mirror_port "$n")" \
    --plain-http "$registry" --log-dir "$logs" \
    --layerlock:log:file="plugin-$n.log" --layerlock:log:json-file="plugin-$n.jsonl" \
    --layerlock:agent:fault:hold-layer="$bb" --layerlock:agent:fault:hold-ms=1500 \
    "$@" >>"$logs/plugin-$n.console" 2>&1 </dev/null &
  agent_pid[$n]=$!
  ll__record_pid "$workdir" $! agent "node-$n"
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$(agent_port "$n")/healthz" 2>/dev/null && return 0
    kill -0 "${agent_pid[$n]}" 2>/dev/null || { tail -n 5 "$logs/plugin-$n.console" >&2; return 1; }
    sleep 0.2
  done
  echo "run-scenarios: agent node-$n did not come up" >&2
  return 1
}
stop_agent() { # NODE [SIGNAL]
  local n=$1 signal=${2:-TERM}
  kill "-$signal" "${agent_pid[$n]}" 2>/dev/null || true
  wait "${agent_pid[$n]}" 2>/dev/null || true
}
pull() { dotnet "$agent_dll" pull "$2" --agent "127.0.0.1:$(agent_port "$1")"; }
remove() { dotnet "$agent_dll" rm "$2" --agent "127.0.0.1:$(agent_port "$1")" >/dev/null 2>&1 || true; }
# (Read the list first: with pipefail, grep -q closing the pipe early would fail the check.)
has_image() { local list; list=$(ctr --address "${sock[$1]}" images ls -q) && grep -qx "$2" <<<"$list"; }

# Log windows: each scenario reads only what its logs gained since its mark.
mark() { wc -l <"$1" 2>/dev/null || echo 0; }
since() { tail -n +"$(($2 + 1))" "$1" 2>/dev/null || true; }
# events FILE MARK TEMPLATE-PREFIX [jq filter]: JSON events since MARK whose template starts so
server_events() { since "$logs/server.jsonl" "$1" | jq -c --arg p "$2" 'select(.MessageTemplate | startswith($p)) | .Properties + {msg: .RenderedMessage, at: .Timestamp}'; }
show() { jq -r '.msg' | tr -d '"' | sed 's/^/    /'; }
# agent_events NODE MARK PREFIX: the agent's own lock lines for the busybox layer since MARK (the
# seed's plan reads plugin-a.log / plugin-b.log for each Lock/Unlock call's timing and parameters).
agent_events() { since "$logs/plugin-$1.jsonl" "$2" | jq -c --arg p "$3" --arg k "$bb" 'select(.MessageTemplate | startswith($p)) | select(.Properties.Key == $k) | .Properties + {msg: .RenderedMessage}'; }
# agent_count NODE MARK PREFIX FILTER: how many of those lines match the jq FILTER.
agent_count() { agent_events "$1" "$2" "$3" | jq -s "map(select($4)) | length"; }
show_agent() { agent_events "$1" "$2" "lock." | jq -r --arg n "$1" '"plugin-\($n): \(.msg)"' | tr -d '"' | sed 's/^/    /'; }

declare -a results
verdict() { # NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then results+=("PASS $1"); echo "PASS $1"; else results+=("FAIL $1"); echo "FAIL $1"; failed=1; fi
}
forget() { # REF NODES...: remove REF from nodes (image, then its blobs are collected)
  local ref=$1; shift
  local n
  for n in "$@"; do remove "$n" "$ref"; done
}

for ((i = 0; i < all_nodes; i++)); do start_agent "${names[$i]}"; done

# ---------------------------------------------------------------- scenario 1
say "scenario 1: serial pulls of $busybox on node-a, then node-b"
m=$(mark "$logs/server.jsonl")
ok=0
pull a "$busybox" || ok=1
pull b "$busybox" || ok=1
acquired=$(server_events "$m" "lock.acquired" | jq -r --arg k "$bb" 'select(.Key == $k) | .Node' | tr '\n' ' ')
queued=$(server_events "$m" "lock.queued" | jq -r --arg k "$bb" 'select(.Key == $k) | .Node' | wc -l)
released=$(server_events "$m" "lock.released" | jq -r --arg k "$bb" 'select(.Key == $k and .Success == true) | .Node' | tr '\n' ' ')
server_events "$m" "lock." | jq -c --arg k "$bb" 'select(.Key == $k)' | show
[ "$acquired" = "node-a node-b " ] && [ "$released" = "node-a node-b " ] && [ "$queued" -eq 0 ] || ok=1
has_image a "$busybox" && has_image b "$busybox" || ok=1
evidence "acquired by: $acquired; released by: $released; queued: $queued; image on node-a and node-b: $(has_image a "$busybox" && has_image b "$busybox" && echo yes || echo no)"
verdict "1 serial pulls" $ok

# ---------------------------------------------------------------- scenario 2
say "scenario 2: node-a and node-b pull $busybox at the same time"
forget "$busybox" a b
m=$(mark "$logs/server.jsonl"); ma=$(mark "$logs/plugin-a.jsonl"); mb=$(mark "$logs/plugin-b.jsonl")
ok=0
pull a "$busybox" & pa=$!
pull b "$busybox" & pb=$!
wait $pa || ok=1
wait $pb || ok=1
server_events "$m" "lock." | jq -c --arg k "$bb" 'select(.Key == $k)' | show
show_agent a "$ma"; show_agent b "$mb"
# Each agent logged its own request, grant (with token) and release; one of them was queued behind the other.
for n in a b; do
  mn=$([ "$n" = a ] && echo "$ma" || echo "$mb")
  [ "$(agent_count "$n" "$mn" "lock.requested" 'true')" -ge 1 ] && [ "$(agent_count "$n" "$mn" "lock.acquired" '.Token > 0')" -ge 1 ] \
    && [ "$(agent_count "$n" "$mn" "lock.released" '.Success == true')" -ge 1 ] || { ok=1; evidence "plugin-$n lacks its lock.requested / lock.acquired / lock.released lines"; }
done
[ $(( $(agent_count a "$ma" "lock.queued" '.Position >= 1 and .Holder != null') + $(agent_count b "$mb" "lock.queued" '.Position >= 1 and .Holder != null') )) -ge 1 ] \
  || { ok=1; evidence "neither agent logged lock.queued with its position and holder"; }
# One holder at a time: acquired and released strictly alternate; one node queued, then dequeued.
sequence=$(server_events "$m" "lock." | jq -r --arg k "$bb" 'select(.Key == $k) | .msg | split(" ")[0]' | grep -E '^lock\.(acquired|released|failover)$' | tr '\n' ' ')
[ "$sequence" = "lock.acquired lock.released lock.acquired lock.released " ] || ok=1
[ "$(server_events "$m" "lock.queued" | jq -r --arg k "$bb" 'select(.Key == $k) | .Node' | wc -l)" -ge 1 ] || ok=1
[ "$(server_events "$m" "lock.dequeued" | jq -r --arg k "$bb" 'select(.Key == $k) | .Node' | wc -l)" -ge 1 ] || ok=1
evidence "transitions: $sequence"
verdict "2 concurrent pulls, one holder at a time" $ok

# ---------------------------------------------------------------- scenario 3
say "scenario 3: business skip on node-b (preset refcounts), node-a pulls under the lock"
stop_agent b
printf '{\n  "%s": 5\n}\n' "$bb" >"$workdir/agent-b/refcounts.json"
start_agent b
forget "$busybox" a
m=$(mark "$logs/server.jsonl"); mb=$(mark "$logs/plugin-b.jsonl")
ok=0
pull a "$busybox" & pa=$!
pull b "$busybox" & pb=$!
wait $pa || ok=1
wait $pb || ok=1
skip=$(since "$logs/plugin-b.jsonl" "$mb" | jq -r --arg k "$bb" 'select(.MessageTemplate | startswith("skip.decision")) | select(.Properties.Layer == $k and .Properties.Skip == true) | .RenderedMessage' | head -n 1)
b_requests=$(server_events "$m" "lock.requested" | jq -r 'select(.Node == "node-b") | .Key' | wc -l)
a_acquired=$(server_events "$m" "lock.acquired" | jq -r --arg k "$bb" 'select(.Key == $k and .Node == "node-a") | .Node' | wc -l)
evidence "plugin-b: ${skip:-<no skip.decision>}" "lock.requested from node-b: $b_requests; node-a acquired: $a_acquired"
[ -n "$skip" ] && [ "$b_requests" -eq 0 ] && [ "$a_acquired" -ge 1 ] || ok=1
verdict "3 business skip" $ok

# ---------------------------------------------------------------- scenario 4
say "scenario 4: node-a's transfer fails while holding; node-b waits, then gets the lock"
forget "$busybox" a b
stop_agent a
# node-a holds the lock 5 s before its transfer fails, so node-b is queued behind it even when a
# loaded machine takes seconds to start node-b's pull.
start_agent a --layerlock:agent:fault:fail-layer="$bb" --layerlock:agent:fault:fail-after-bytes=1048576 --layerlock:agent:fault:hold-ms=5000
m=$(mark "$logs/server.jsonl"); ma=$(mark "$logs/plugin-a.jsonl"); mb=$(mark "$logs/plugin-b.jsonl")
ok=0
pull a "$busybox" >"$workdir/pull-a.out" 2>&1 & pa=$!
for ((i = 0; i < 100; i++)); do
  [ -n "$(server_events "$m" "lock.acquired" | jq -r --arg k "$bb" 'select(.Key == $k and .Node == "node-a")')" ] && break; sleep 0.1
done
pull b "$busybox" & pb=$!
wait $pb || ok=1
wait $pa || true
failure=$(server_events "$m" "lock.released" | jq -c --arg k "$bb" 'select(.Key == $k and .Node == "node-a" and .Success == false)' | head -n 1)
b_after=$(server_events "$m" "lock." | jq -r --arg k "$bb" 'select(.Key == $k) | "\(.msg | split(" ")[0]) \(.Node)"' | sed -n '/lock.released node-a/,$p' | grep -c "lock.acquired node-b" || true)
server_events "$m" "lock." | jq -c --arg k "$bb" 'select(.Key == $k)' | show
evidence "node-a's pull: $(tail -n 1 "$workdir/pull-a.out")"
show_agent a "$ma"; show_agent b "$mb"
# The agents' side: node-a released with success=false and the error; node-b waited, then got it.
[ "$(agent_count a "$ma" "lock.released" '.Success == false and (.Error // "" | contains("fault injection"))')" -ge 1 ] \
  || { ok=1; evidence "plugin-a lacks lock.released success=false with the error"; }
[ "$(agent_count b "$mb" "lock.queued" '.Holder == "node-a"')" -ge 1 ] && [ "$(agent_count b "$mb" "lock.acquired" '.Token > 0')" -ge 1 ] \
  || { ok=1; evidence "plugin-b lacks lock.queued behind node-a and lock.acquired"; }
[ -n "$failure" ] && [[ "$failure" == *"fault injection"* ]] && [ "$b_after" -ge 1 ] && has_image b "$busybox" || ok=1
verdict "4 holder failure releases on the failure path" $ok
stop_agent a
start_agent a

# ---------------------------------------------------------------- scenario 5
say "scenario 5: node-a's agent is killed (SIGKILL) while it holds the lock; node-b takes over"
forget "$busybox" a b
stop_agent a
start_agent a --layerlock:agent:fault:hold-ms=30000
m=$(mark "$logs/server.jsonl"); ma=$(mark "$logs/plugin-a.jsonl"); mb=$(mark "$logs/plugin-b.jsonl")
ok=0
pull a "$busybox" >"$workdir/pull-a.out" 2>&1 & pa=$!
for ((i = 0; i < 100; i++)); do
  [ -n "$(server_events "$m" "lock.acquired" | jq -r --arg k "$bb" 'select(.Key == $k and .Node == "node-a")')" ] && break; sleep 0.1
done
pull b "$busybox" & pb=$!
for ((i = 0; i < 100; i++)); do
  [ -n "$(server_events "$m" "lock.queued" | jq -r --arg k "$bb" 'select(.Key == $k and .Node == "node-b")')" ] && break; sleep 0.1
done
stop_agent a KILL
wait $pb || ok=1
wait $pa || true
server_events "$m" "lock." | jq -c --arg k "$bb" 'select(.Key == $k)' | show
failover=$(server_events "$m" "lock.failover" | jq -c --arg k "$bb" 'select(.Key == $k and .Node == "node-a")' | head -n 1)
b_granted=$(server_events "$m" "lock.acquired" | jq -r --arg k "$bb" 'select(.Key == $k and .Node == "node-b")' | wc -l)
show_agent a "$ma"; show_agent b "$mb"
# The agents' side: node-a got the lock and never released it (it was killed); node-b waited behind it, then got it.
[ "$(agent_count a "$ma" "lock.acquired" '.Token > 0')" -ge 1 ] && [ "$(agent_count a "$ma" "lock.released" 'true')" -eq 0 ] \
  || { ok=1; evidence "plugin-a should show lock.acquired and no lock.released"; }
[ "$(agent_count b "$mb" "lock.queued" '.Holder == "node-a"')" -ge 1 ] && [ "$(agent_count b "$mb" "lock.acquired" '.Token > 0')" -ge 1 ] \
  || { ok=1; evidence "plugin-b lacks lock.queued behind node-a and lock.acquired"; }
[ -n "$failover" ] && [ "$b_granted" -ge 1 ] && has_image b "$busybox" || ok=1
verdict "5 holder connection loss fails over" $ok
start_agent a

# ---------------------------------------------------------------- scenario 6
nodes6=("${names[@]:0:$all_nodes}")
say "scenario 6: ${#nodes6[@]} nodes pull app-one and app-two (shared base layers) at the same time"
for n in "${nodes6[@]}"; do forget "$app_one" "$n"; forget "$app_two" "$n"; done
mr=$(mark "$logs/registry.log")
declare -A mp
for n in "${nodes6[@]}"; do mp[$n]=$(mark "$logs/plugin-$n.jsonl"); done
ok=0
pids=()
for n in "${nodes6[@]}"; do
  pull "$n" "$app_one" >/dev/null & pids+=($!)
  pull "$n" "$app_two" >/dev/null & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || ok=1; done
for n in "${nodes6[@]}"; do has_image "$n" "$app_one" && has_image "$n" "$app_two" || { ok=1; evidence "node-$n lacks an image"; }; done
# The registry's own access log: every blob GET came from an agent (no way around the lock).
blob_gets=$(since "$logs/registry.log" "$mr" | grep -E '"GET /v2/[^ ]+/blobs/sha256:' || true)
bypass=$(grep -v 'layerlock-agent/' <<<"$blob_gets" | grep -c . || true)
evidence "registry blob GETs: $(grep -c . <<<"$blob_gets" || true), without the agent's User-Agent: $bypass"
[ "$bypass" -eq 0 ] || ok=1
for layer in "${shared[@]}"; do
  # One node at a time per shared layer: the agents' transfer intervals never overlap.
  intervals=$(for n in "${nodes6[@]}"; do
    since "$logs/plugin-$n.jsonl" "${mp[$n]}" | jq -r --arg k "$layer" --arg n "node-$n" '
      select(.MessageTemplate | startswith("layer.transfer")) | select(.Properties.Layer == $k and .Properties.Success == true)
      | (.Timestamp | capture("(?<s>^.{19})(?<f>\\.[0-9]+)?") | ((.s + "Z" | fromdateiso8601) + ((.f // "0") | tonumber))) as $finish
      | "\($finish - (.Properties.Ms / 1000)) \($finish) \($n)"'
  done | sort -n)
  from_registry=$(grep -F "$layer" <<<"$blob_gets" | grep -o 'node=node-[a-z]' | sort | uniq -c | tr -s ' ' | tr '\n' ',' || true)
  overlap=$(awk 'NR > 1 && $1 < prev_end - 0.002 { bad++ } { prev_end = $2 } END { print bad + 0 }' <<<"$intervals")
  evidence "${layer:0:19}: downloads per node (registry log):${from_registry%,}; overlapping transfers: $overlap"
  [ "$overlap" -eq 0 ] && [ "$(grep -c . <<<"$intervals")" -ge "${#nodes6[@]}" ] || ok=1
done
verdict "6 shared layers downloaded one node at a time" $ok

# ---------------------------------------------------------------- scenario 7
say "scenario 7: the Coordinator is SIGKILLed while ${#nodes6[@]} nodes pull, and restarted"
for n in "${nodes6[@]}"; do forget "$app_one" "$n"; forget "$app_two" "$n"; done
# Every agent holds the first shared layer 8 s before transferring, so the crash finds it held and
# the holder still holds it when the Coordinator is back: a restart slowed by a loaded machine takes
# seconds, not the ~1 s of a quiet one, and a holder that finished first would have nothing to
# reclaim. The agents keep believing in their locks for 20 s without a Coordinator and retry at
# least every second, so they reclaim within the recovery grace, which starts when it is up.
for n in "${nodes6[@]}"; do
  stop_agent "$n"
  start_agent "$n" --layerlock:agent:fault:hold-layer="${shared[0]}" --layerlock:agent:fault:hold-ms=8000 \
    --layerlock:agent:lease-grace=20s --layerlock:agent:reconnect:max=1s
done
m=$(mark "$logs/server.jsonl")
ok=0
pids=()
for n in "${nodes6[@]}"; do
  pull "$n" "$app_one" >/dev/null & pids+=($!)
  pull "$n" "$app_two" >/dev/null & pids+=($!)
done
for ((i = 0; i < 150; i++)); do
  [ -n "$(server_events "$m" "lock.acquired" | jq -r --arg k "${shared[0]}" 'select(.Key == $k)')" ] && break; sleep 0.1
done
kill -KILL "$coordinator_pid"; wait "$coordinator_pid" 2>/dev/null || true
evidence "SIGKILLed the Coordinator (pid $coordinator_pid) while $(server_events "$m" "lock.acquired" | jq -r --arg k "${shared[0]}" 'select(.Key == $k) | .Node' | tail -n 1) held ${shared[0]:0:19}"
start_coordinator
for p in "${pids[@]}"; do wait "$p" || ok=1; done
for n in "${nodes6[@]}"; do has_image "$n" "$app_one" && has_image "$n" "$app_two" || { ok=1; evidence "node-$n lacks an image"; }; done
# Replay both runs' events: within a run no key ever has two holders; holders at the crash
# reclaim their locks; every token after the restart is above every token before it.
verdict7=$(since "$logs/server.jsonl" "$m" | jq -s -r '
  reduce .[] as $e ({holders: {}, bad: [], run: 1, max: [0, 0], reclaimed: 0};
    ($e.MessageTemplate | split(" ")[0]) as $name | ($e.Properties // {}) as $p |
    if $name == "process.started" then .run += 1
    elif $name == "lock.acquired" then
      (if .holders[$p.Key] and (.holders[$p.Key].run == .run) then .bad += ["\($p.Key[0:19]) acquired by \($p.Node) while \(.holders[$p.Key].node) held it"] else . end)
      | .holders[$p.Key] = {node: $p.Node, token: $p.Token, run: .run}
      | .max[.run - 1] = ([.max[.run - 1], $p.Token] | max)
    elif $name == "lock.claimed" then .holders[$p.Key] = {node: $p.Node, token: $p.Token, run: .run} | .reclaimed += 1
    elif ($name == "lock.released" or $name == "lock.failover") then del(.holders[$p.Key])
    else . end)
  | "\(.bad | length) \(.reclaimed) \(.max[0]) \(.max[1] // 0) \(.bad | join("; "))"')
read -r overlaps reclaimed before after rest <<<"$verdict7"
evidence "holders overlapping within a run: $overlaps ${rest}" "locks reclaimed after the restart: $reclaimed" "highest token before the crash: $before, after: $after"
[ "$overlaps" -eq 0 ] && [ "$reclaimed" -ge 1 ] && [ "$after" -gt "$before" ] || ok=1
verdict "7 coordinator crash under load" $ok

# ---------------------------------------------------------------- scenario 8
say "scenario 8: ${#nodes6[@]} nodes serving peers pull a cold 4-layer image at the same time: each layer leaves the registry once"
ll_build_random_image "$workdir" "$registry" layerlock/fanout 4 $((8 * 1048576)) scenario-fanout "$workdir/fanout.json"
fanout="$registry/layerlock/fanout:latest"
mapfile -t fan_layers < <(jq -r '.layers[].digest' "$workdir/fanout.json")
for n in "${nodes6[@]}"; do
  stop_agent "$n"
  start_agent "$n" --peer-listen "127.0.0.1:$(peer_port "$n")"
done
# peer_evidence MARKS-ARRAY-NAME: per node, where each layer came from; sets peer_total
peer_evidence() {
  local -n marks=$1
  local n from
  peer_total=0
  for n in "${nodes6[@]}"; do
    from=$(since "$logs/plugin-$n.jsonl" "${marks[$n]}" | jq -r '
      select(.MessageTemplate | startswith("layer.peer-transfer") or startswith("layer.transfer"))
      | select(.Properties.Success == true)
      | if (.MessageTemplate | startswith("layer.peer-transfer")) then "peer \(.Properties.Source)" else "upstream" end' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
    peer_total=$((peer_total + $(since "$logs/plugin-$n.jsonl" "${marks[$n]}" | jq -s 'map(select((.MessageTemplate | startswith("layer.peer-transfer")) and .Properties.Success == true)) | length')))
    evidence "node-$n: layers from${from%,}"
  done
}
# fan_start TAG: marks the logs (mr, m, mp), then every node pulls $fanout at once (output
# WORKDIR/TAG-NODE.out, PIDs in pids); fan_finish TAG waits for them: ok=1 unless every pull
# succeeded and every node has the image.
fan_start() {
  local n
  mr=$(mark "$logs/registry.log"); m=$(mark "$logs/server.jsonl")
  for n in "${nodes6[@]}"; do mp[$n]=$(mark "$logs/plugin-$n.jsonl"); done
  ok=0
  pids=()
  for n in "${nodes6[@]}"; do pull "$n" "$fanout" >"$workdir/$1-$n.out" 2>&1 & pids+=($!); done
}
fan_finish() {
  local n p
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  for n in "${nodes6[@]}"; do has_image "$n" "$fanout" || { ok=1; evidence "node-$n lacks $fanout: $(tail -n 1 "$workdir/$1-$n.out")"; }; done
}
fan_start pull8
fan_finish pull8
blob_gets=$(since "$logs/registry.log" "$mr" | grep -E '"GET /v2/[^ ]+/blobs/sha256:' || true)
for layer in "${fan_layers[@]}"; do
  gets=$(grep -cF "$layer" <<<"$blob_gets" || true)
  evidence "${layer:0:19}: blob GETs in the registry's access log: $gets"
  [ "$gets" -eq 1 ] || ok=1
done
peer_evidence mp
granted=$(server_events "$m" "peer.granted" | wc -l)
evidence "peer grants (server.log): $granted; peer transfers that succeeded (plugin logs): $peer_total of $(( (${#nodes6[@]} - 1) * ${#fan_layers[@]} ))"
grep -h ' done .* from peer ' "$workdir"/pull8-*.out | head -n 2 | sed 's/^/    pull: /' || true
[ "$peer_total" -eq $(( (${#nodes6[@]} - 1) * ${#fan_layers[@]} )) ] || ok=1
verdict "8 each layer from the registry once, the rest from peers" $ok

# ---------------------------------------------------------------- scenario 9
say "scenario 9: the Coordinator is SIGKILLed mid-fan-out, and restarted"
for n in "${nodes6[@]}"; do forget "$fanout" "$n"; done
# Every agent holds the first layer 6 s before its upstream transfer, so the crash comes while one
# node holds it, the others wait for it, and the other layers are on their way between peers.
for n in "${nodes6[@]}"; do
  stop_agent "$n"
  start_agent "$n" --peer-listen "127.0.0.1:$(peer_port "$n")" \
    --layerlock:agent:fault:hold-layer="${fan_layers[0]}" --layerlock:agent:fault:hold-ms=6000 \
    --layerlock:agent:lease-grace=20s --layerlock:agent:reconnect:max=1s
done
fan_start pull9
for ((i = 0; i < 150; i++)); do
  [ -n "$(server_events "$m" "peer.granted")" ] && [ -n "$(server_events "$m" "lock.acquired" | jq -r --arg k "${fan_layers[0]}" 'select(.Key == $k)')" ] && break
  sleep 0.1
done
kill -KILL "$coordinator_pid"; wait "$coordinator_pid" 2>/dev/null || true
evidence "SIGKILLed the Coordinator (pid $coordinator_pid) after $(server_events "$m" "peer.granted" | wc -l) peer grants, while $(server_events "$m" "lock.acquired" | jq -r --arg k "${fan_layers[0]}" 'select(.Key == $k) | .Node' | tail -n 1) held ${fan_layers[0]:0:19}"
start_coordinator
fan_finish pull9
blob_gets=$(since "$logs/registry.log" "$mr" | grep -E '"GET /v2/[^ ]+/blobs/sha256:' || true)
evidence "blob GETs per layer in the registry's access log: $(for layer in "${fan_layers[@]}"; do printf '%s ' "$(grep -cF "$layer" <<<"$blob_gets" || true)"; done)"
peer_evidence mp
verdict "9 coordinator crash mid-fan-out loses no pull" $ok

say "summary"
printf '%s\n' "${results[@]}"
exit "$failed"
