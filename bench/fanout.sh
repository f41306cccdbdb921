#!/usr/bin/env bash
# Fan-out pull benchmark (issue 12): N containerd nodes pull one cold multi-layer image from a
# docker-registry behind ONE shared, rate-limited uplink, in three ways, beside one node alone:
#
#   layerlock-peers    Coordinator + N NodeAgents with --peer-listen; `NodeAgent pull` on all N at
#                      once: each layer should leave the registry once, the rest come from peers
#   layerlock-serial   Coordinator + N NodeAgents without --peer-listen (the lock serializes nodes)
#   ctr-concurrent     `ctr images pull --plain-http` on all N at once, no LayerLock
#   single             one node alone, `ctr images pull` (the baseline "one node's pull alone")
#   single-layerlock   one node alone through its NodeAgent (for reference: LayerLock's own cost)
#
#   sudo bench/fanout.sh [--nodes-list 3,6] [--layers 4] [--layer-mib 16] [--uplink-mbit 200]
#                        [--reps 1] [--out FILE.jsonl] [--no-build] [--bin DIR] [--keep] [--workdir DIR]
#
#   --nodes-list L   comma-separated node counts, each 2 to 8 (default 3,6)
#   --layers N       layers in the benchmark image (default 4)
#   --layer-mib N    random MiB per layer (default 16; random data does not compress)
#   --uplink-mbit R  the registry's uplink, Mbit/s (tc tbf; default 200)
#   --reps N         measured runs of every way (default 1); the ways rotate order each repetition
#   --ways L         which of the N-node ways to run (default layerlock-peers,layerlock-serial,ctr-concurrent);
#                    single and single-layerlock always run (the baselines)
#   --out FILE       append one JSON line per (N, way) (workload/system/label/params/metrics/checks/notes)
#   --no-build       use existing Release binaries (otherwise dotnet build -c Release first);
#                    --bin DIR names the folder holding Coordinator.dll and NodeAgent.dll
#   --keep           keep the work dir (logs, per-run records); containerd roots are always removed
#   --report-only    with --workdir DIR of a kept run: print its table and targets again (and append
#                    to --out) from DIR/runs.jsonl, running nothing
#   --workdir DIR    where everything goes (default: a new /tmp/layerlock-fanout.XXXXXX, removed
#                    afterwards unless --keep or a failure; a DIR you name is never removed)
#
# The uplink: the registry runs inside network namespace llfan-up, reached over a veth pair
# (host llfan-h 10.213.0.1/30, namespace llfan-n 10.213.0.2/30) whose namespace end sends through
# `tc qdisc tbf rate R`: every byte the registry serves, to any node, shares that one link.
# Registry bytes: the llfan-n tx_bytes delta over the timed pulls (IP and TCP headers included),
# and the blob GETs in the registry's own log (count per layer, body bytes).
# Every way starts cold: fresh containerd roots (and fresh Coordinator/agent state), checked to
# hold none of the image's blobs. Before the timed pulls the nodes pull a small, unrelated warm-up
# image the same way, all at once (not timed); LayerLock ways also hand a lock over twice first.
# Wall time: from the start of the first pull to the end of the last (the last node has the image).
# Ports: registry 10.213.0.2:15255 (in the namespace); on 127.0.0.1: Coordinator 18380 (HTTP) and
# 18381 (Akka.Remote), agents 19501-1950N, mirrors 19601-1960N, peer endpoints 19701-1970N;
# containerd state dirs /run/containerd-llfan-<way><N><node> (e.g. p6a, s6a, c6a, 1a, L1a).
# Everything started here is stopped by PID on exit, then the namespace and veth are deleted.
# Bounded: every wait and every pull has a timeout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib/scenario-env.sh
source "$here/scripts/lib/scenario-env.sh"
# shellcheck source=lib/bench-common.sh
source "$here/bench/lib/bench-common.sh"

nodes_list=3,6 layers=4 layer_mib=16 uplink_mbit=200 reps=1 out="" build=1 bin="" keep=0 workdir="" report_only=0
ways_list=layerlock-peers,layerlock-serial,ctr-concurrent
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes-list) nodes_list=${2:?--nodes-list needs a list}; shift 2 ;;
    --layers) layers=${2:?--layers needs a number}; shift 2 ;;
    --layer-mib) layer_mib=${2:?--layer-mib needs a number}; shift 2 ;;
    --uplink-mbit) uplink_mbit=${2:?--uplink-mbit needs a number}; shift 2 ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --ways) ways_list=${2:?--ways needs a list}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --no-build) build=0; shift ;;
    --bin) bin=${2:?--bin needs a directory}; shift 2 ;;
    --keep) keep=1; shift ;;
    --report-only) report_only=1; shift ;;
    --workdir) workdir=${2:?--workdir needs a directory}; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "fanout: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in reps layers layer_mib uplink_mbit; do
  [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || { echo "fanout: --${v//_/-} must be a positive integer" >&2; exit 2; }
done
[ "$layers" -le 32 ] && [ "$layer_mib" -le 512 ] || { echo "fanout: at most 32 layers of 512 MiB" >&2; exit 2; }
[ "$uplink_mbit" -le 10000 ] || { echo "fanout: --uplink-mbit at most 10000" >&2; exit 2; }
IFS=, read -r -a counts <<<"$nodes_list"
[ "${#counts[@]}" -ge 1 ] || { echo "fanout: --nodes-list is empty" >&2; exit 2; }
max_nodes=0
for c in "${counts[@]}"; do
  [[ "$c" =~ ^[0-9]+$ ]] && [ "$c" -ge 2 ] && [ "$c" -le 8 ] || { echo "fanout: --nodes-list entries must be 2 to 8 (got '$c')" >&2; exit 2; }
  [ "$c" -gt "$max_nodes" ] && max_nodes=$c
done
IFS=, read -r -a ways <<<"$ways_list"
[ "${#ways[@]}" -ge 1 ] || { echo "fanout: --ways is empty" >&2; exit 2; }
for w in "${ways[@]}"; do
  case "$w" in layerlock-peers|layerlock-serial|ctr-concurrent) ;; *) echo "fanout: unknown way '$w' (--ways)" >&2; exit 2 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "fanout: run as root (containerd and ip netns need it): sudo $0" >&2; exit 2; }
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"; out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
fi

export LL_RUN_PREFIX=/run/containerd-llfan-
netns=llfan-up veth_host=llfan-h veth_ns=llfan-n host_ip=10.213.0.1 ns_ip=10.213.0.2
registry_port=15255 coordinator_port=18380 coordinator_remote_port=18381
registry="$ns_ip:$registry_port"
letters=(a b c d e f g h)
# ports by node letter (one way runs at a time, so all ways share them)
node_index() { echo $(($(printf '%d' "'${1: -1}") - 97)); }
agent_port() { echo $((19501 + $(node_index "$1"))); }
mirror_port() { echo $((19601 + $(node_index "$1"))); }
peer_port() { echo $((19701 + $(node_index "$1"))); }
say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'fanout: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ report
# report: WORKDIR/runs.jsonl -> WORKDIR/results.jsonl (one record per (N, way), medians over reps,
# targets on the layerlock-peers records; appended to --out), the markdown table and the targets
# on stdout; sets failed=1 unless every check passed. Uses the params of WORKDIR/params.env.
report() {
  jq -s -c --argjson reps "$reps" --argjson layers "$layers" --argjson layer_mib "$layer_mib" \
     --argjson uplink "$uplink_mbit" --argjson image_bytes "$image_bytes" --argjson layer_bytes "$layer_bytes" \
     --arg version "$ctr_version" --arg registry "$registry" '
    def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def r3: if . == null then null else . * 1000 | round / 1000 end;
    . as $runs
    | ($runs | map(select(.way == "single") | .wall_s) | median) as $single
    | {
        "single": "one node alone: ctr images pull",
        "single-layerlock": "one node alone: NodeAgent pull (Coordinator + 1 agent)",
        "layerlock-peers": "LayerLock with peer grants: Coordinator + N agents with --peer-listen, all at once",
        "layerlock-serial": "LayerLock without peers: Coordinator + N agents, all at once (the lock serializes nodes per layer)",
        "ctr-concurrent": "ctr images pull on all N nodes at once, no LayerLock"
      } as $labels
    | $runs | group_by([.nodes, .way])
    | sort_by(.[0].nodes, (.[0].way as $w | ["single", "single-layerlock", "layerlock-peers", "layerlock-serial", "ctr-concurrent"] | index($w)))[]
    | . as $r | $r[0].way as $w | $r[0].nodes as $n
    | ($r | map(.wall_s) | median) as $wall
    | ($r | map(.registry_tx_bytes) | median) as $tx
    | ($r | map(.registry_layer_get_bytes) | median) as $lg
    | {
        workload: "fanout", system: $w, label: $labels[$w],
        params: {nodes: $n, layers: $layers, layer_mib: $layer_mib, image_bytes: $image_bytes, layer_bytes: $layer_bytes,
                 uplink_mbit: $uplink, uplink: "docker-registry at \($registry) in netns llfan-up; tbf rate \($uplink)mbit burst 256kb latency 100ms on its veth egress",
                 reps: $reps, order: "single, single-layerlock, then per N the 3 ways rotated per repetition",
                 cold: "fresh containerd roots (and Coordinator/agent state) per way",
                 warmup: "the nodes pull an unrelated 2 x 1 MiB image at once first (not timed); LayerLock: plus 2 queued HTTP lock hand-offs",
                 containerd: $version},
        metrics: ({
          wall_s: ($wall | r3), wall_s_runs: ($r | map(.wall_s | r3)),
          wall_vs_single: (if $single then ($wall / $single) | r3 else null end),
          registry_tx_bytes: $tx, registry_tx_mib: ($tx / 1048576 | r3),
          registry_tx_x_image: ($tx / $image_bytes | r3),
          registry_get_bytes: ($r | map(.registry_get_bytes) | median),
          registry_layer_get_bytes: $lg, registry_layer_get_x_layers: ($lg / $layer_bytes | r3),
          layer_gets: ($r | map(.layer_gets) | median),
          layer_gets_per_layer_runs: ($r | map(.layer_gets_per_layer)),
          uplink_used_mbit: (if $wall > 0 then ($tx * 8 / $wall / 1000000) | r3 else null end),
          load_before: ($r | map(.load_before) | median),
          machine_cpu_busy_pct: ($r | map(.machine_cpu_busy_pct) | median)
        } + (if ($r[0].analysis | length) > 0 then {
          upstream_transfers: ($r | map(.analysis.upstream_transfers) | median),
          peer_transfers: ($r | map(.analysis.peer_transfers) | median),
          peer_transfers_failed: ($r | map(.analysis.peer_transfers_failed) | add),
          peer_fallbacks: ($r | map(.analysis.peer_fallbacks) | add),
          upstream_transfers_failed: ($r | map(.analysis.upstream_transfers_failed) | add),
          peer_granted: ($r | map(.analysis.peer_granted) | median),
          peer_fetched_ok: ($r | map(.analysis.peer_fetched_ok) | median),
          peer_fetched_failed: ($r | map(.analysis.peer_fetched_failed) | add),
          agent_span_s: ($r | map(.analysis.agent_span_s) | median | r3),
          agent_span_s_runs: ($r | map(.analysis.agent_span_s | r3)),
          agent_span_vs_single: ($r | map(.analysis.agent_span_s) | median | if . != null and $single then (. / $single) | r3 else null end),
          peer_transfer_ms_max: ($r | map(.analysis.peer_transfer_ms_max) | max),
          upstream_transfer_ms_max: ($r | map(.analysis.upstream_transfer_ms_max) | max)
        } else {} end)),
        checks: ($r | map(.checks) | reduce .[] as $c ({}; reduce ($c | to_entries[]) as $e (.; .[$e.key] = (if has($e.key) then .[$e.key] and $e.value else $e.value end)))),
        notes: "wall: first pull start to last pull end (for LayerLock the NodeAgent pull clients, a .NET process start each, included); registry bytes: tx_bytes of the registry-side veth over the timed pulls (IP/TCP headers, manifests and configs included) and blob GET body bytes from the registry log; medians over reps; wall_vs_single: ÷ the single (ctr) median."
      }' "$workdir/runs.jsonl" >"$workdir/results.jsonl"

  # Targets (issue 12), judged on the medians, attached to the layerlock-peers records.
  jq -s -c --argjson layer_bytes "$layer_bytes" '
    (map(select(.system == "ctr-concurrent")) | map({(.params.nodes | tostring): .metrics.wall_s}) | add // {}) as $ctr
    | map(if .system == "layerlock-peers" then
        .metrics.targets = {
          # judged only when every node got the image: a fleet that stalled fetched less, not better
          registry_once: ((.checks | all(.[]; . == true)) and .metrics.registry_layer_get_bytes == $layer_bytes
                          and (.metrics.layer_gets_per_layer_runs | all(all(. == 1))) and .metrics.registry_tx_x_image < 1.1),
          wall_within_1_5x_single: (.metrics.wall_vs_single != null and .metrics.wall_vs_single <= 1.5),
          faster_than_ctr_concurrent: (if $ctr[.params.nodes | tostring] then .metrics.wall_s < $ctr[.params.nodes | tostring] else null end)
        } else . end)[]' "$workdir/results.jsonl" >"$workdir/results.tmp" && mv "$workdir/results.tmp" "$workdir/results.jsonl"
  [ -n "$out" ] && cat "$workdir/results.jsonl" >>"$out"

  printf '\n== fanout: %d rep(s) per way (median), %d layers x %d MiB = image %d bytes (%.1f MiB), registry uplink %d Mbit/s, containerd %s\n\n' \
    "$reps" "$layers" "$layer_mib" "$image_bytes" "$(jq -n "$image_bytes / 1048576")" "$uplink_mbit" "$ctr_version"
  jq -r -s '
    def f($d): if . == null then "–" else (. * pow(10; $d) | round / pow(10; $d) | tostring) end;
    "| N | way | wall s | wall / single | registry MiB | registry bytes / image | layer GETs (per layer) | uplink used Mbit/s | agent span s | from peers | CPU busy % | checks |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    (.[] | .metrics as $m
     | "| \(.params.nodes) | \(.system) | \($m.wall_s | f(2)) | \($m.wall_vs_single | f(2)) | \($m.registry_tx_mib | f(1)) | \($m.registry_tx_x_image | f(3)) | \($m.layer_gets) (\($m.layer_gets_per_layer_runs[0] | map(tostring) | join(","))) | \($m.uplink_used_mbit | f(0)) | \($m.agent_span_s | f(2)) | \(if $m.peer_transfers != null then "\($m.peer_transfers) of \($m.upstream_transfers + $m.peer_transfers)\(if ($m.peer_fallbacks // 0) > 0 then ", \($m.peer_fallbacks) fallbacks" else "" end)" else "–" end) | \($m.machine_cpu_busy_pct | f(0)) | \(if (.checks | all(.[]; . == true)) then "ok" else (.checks | to_entries | map(select(.value != true) | .key) | join(" ")) end) |")' \
    "$workdir/results.jsonl"
  echo
  echo "targets (issue 12; layerlock-peers):"
  jq -e -s 'any(.[]; .system == "layerlock-peers")' "$workdir/results.jsonl" >/dev/null || echo "  not judged: no layerlock-peers way ran (--ways)"
  jq -r -s '
    def mm: if . == true then "met" elif . == false then "MISSED" else "not measured" end;
    def v: if . == null then "–" else tostring end;
    (map(select(.system == "ctr-concurrent")) | map({(.params.nodes | tostring): .metrics.wall_s}) | add // {}) as $ctr
    | (map(select(.system == "single")) | first | .metrics.wall_s) as $single
    | .[] | select(.system == "layerlock-peers") | .metrics as $m | .params.nodes as $n
    | (if (.checks | all(.[]; . == true)) then "" else " [not every node got the image: \(.checks | to_entries | map(select(.value != true) | .key) | join(", ")) false]" end) as $bad
    | "  N = \($n): registry bytes = 1x image: \($m.targets.registry_once | mm) (\($m.registry_tx_x_image)x over the uplink, layer GETs per layer \($m.layer_gets_per_layer_runs[0] | map(tostring) | join(",")))\($bad)",
      "  N = \($n): wall <= 1.5x single: \($m.targets.wall_within_1_5x_single | mm) (\($m.wall_s) s = \($m.wall_vs_single)x single \($single) s; agent span without the pull clients: \($m.agent_span_s | v) s)\($bad)",
      (if $n == 6 or $ctr[$n | tostring] != null then "  N = \($n): layerlock-peers wall < ctr-concurrent wall: \($m.targets.faster_than_ctr_concurrent | mm) (\($m.wall_s) s vs \($ctr[$n | tostring]) s)\(if $n == 6 then " [the target is at N = 6]" else "" end)" else empty end)' \
    "$workdir/results.jsonl"
  echo
  if jq -e -s 'all(.[]; .checks | all(.[]; . == true))' "$workdir/results.jsonl" >/dev/null; then
    echo "fanout: all checks passed (cold start, pulls succeeded, images complete)${out:+; results appended to $out}"
  else
    failed=1
    echo "fanout: SOME CHECKS FAILED${out:+; results appended to $out}"
  fi
}

if [ "$report_only" -eq 1 ]; then
  [ -n "$workdir" ] && [ -f "$workdir/runs.jsonl" ] && [ -f "$workdir/params.env" ] ||
    die "--report-only needs --workdir DIR of a kept run (DIR/runs.jsonl and DIR/params.env)"
  # shellcheck source=/dev/null
  source "$workdir/params.env"
  failed=0
  report
  exit "$failed"
fi

ll_install_missing
for t in ip tc dotnet; do command -v "$t" >/dev/null || die "$t is required"; done
if [ "$build" -eq 1 ]; then
  say "building (dotnet build -c Release)"
  dotnet build "$here/LayerLock.slnx" -c Release -nologo -v quiet >/dev/null
fi
coordinator_dll=${bin:+$bin/Coordinator.dll}; coordinator_dll=${coordinator_dll:-$here/Coordinator/bin/Release/net10.0/Coordinator.dll}
agent_dll=${bin:+$bin/NodeAgent.dll}; agent_dll=${agent_dll:-$here/NodeAgent/bin/Release/net10.0/NodeAgent.dll}
[ -f "$coordinator_dll" ] && [ -f "$agent_dll" ] || die "binaries not found ($coordinator_dll, $agent_dll)"

# Nothing of ours may exist already (a colleague's run, or a leftover of ours): not touching it.
busy_check=()
for ((i = 0; i < max_nodes; i++)); do busy_check+=($((19501 + i)) $((19601 + i)) $((19701 + i))); done
for p in "$coordinator_port" "$coordinator_remote_port" "${busy_check[@]}"; do
  port_busy "$p" && die "127.0.0.1:$p is already in use"
done
# (Read the lists first: with pipefail, grep -q closing the pipe early could fail the check.)
listing=$(ip netns list)
grep -qw "$netns" <<<"$listing" && die "network namespace $netns exists (another run, or a leftover: ip netns del $netns)"
ip link show "$veth_host" >/dev/null 2>&1 && die "link $veth_host exists (another run, or a leftover: ip link del $veth_host)"
listing=$(ip -4 addr show)
grep -q "inet 10\.213\.0\." <<<"$listing" && die "10.213.0.0/30 is already configured on this machine"
compgen -G "${LL_RUN_PREFIX}*" >/dev/null && die "${LL_RUN_PREFIX}* exists (another run, or a leftover): not touching it"

made_workdir=0
[ -n "$workdir" ] || { workdir=$(mktemp -d /tmp/layerlock-fanout.XXXXXX); made_workdir=1; }
mkdir -p "$workdir/logs" "$workdir/runs"
run=""            # the current way's dir while one is up (its processes, pulls included, in run/pids)
made_netns=0 made_veth=0 failed=0
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$run" ] && { ll_stop_all "$run" || true; rm -rf "$run"/containerd-*/root "$run"/containerd-*/opt "$run"/agent-*; }
  ll_stop_all "$workdir" || true   # the registry: the namespace can go once it is gone
  [ "$made_veth" -eq 1 ] && { ip link del "$veth_host" 2>/dev/null || true; }
  [ "$made_netns" -eq 1 ] && { ip netns del "$netns" 2>/dev/null || echo "fanout: could not delete netns $netns" >&2; }
  if [ "$keep" -eq 1 ] || [ "$made_workdir" -eq 0 ] || [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
    echo "fanout: work dir kept: $workdir" >&2
  else
    rm -rf -- "$workdir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the uplink
say "uplink: netns $netns, veth $veth_host ($host_ip) <-> $veth_ns ($ns_ip), tbf ${uplink_mbit} Mbit/s on $veth_ns egress"
ip netns add "$netns"; made_netns=1
ip link add "$veth_host" type veth peer name "$veth_ns" netns "$netns"; made_veth=1
ip addr add "$host_ip/30" dev "$veth_host"
ip link set "$veth_host" up
ip netns exec "$netns" ip link set lo up
ip netns exec "$netns" ip addr add "$ns_ip/30" dev "$veth_ns"
ip netns exec "$netns" ip link set "$veth_ns" up
# burst 256 KiB: above one GSO super-packet (64 KiB), so tbf never drops one for its size
ip netns exec "$netns" tc qdisc add dev "$veth_ns" root tbf rate "${uplink_mbit}mbit" burst 256kb latency 100ms
tx_bytes() { ip netns exec "$netns" cat "/sys/class/net/$veth_ns/statistics/tx_bytes"; }

# ------------------------------------------------------------------ registry and images
bench_repo=layerlock/fanout-bench warm_repo=layerlock/fanout-warm
bench_ref="$registry/$bench_repo:latest" warm_ref="$registry/$warm_repo:latest"
say "registry on $registry in $netns, image $bench_ref: $layers layers x $layer_mib MiB (work dir $workdir)"
ll_start_registry "$workdir" "$registry_port" "$ns_ip" "$netns"
ll_build_random_image "$workdir" "$registry" "$bench_repo" "$layers" $((layer_mib * 1048576)) fanout-bench "$workdir/bench-manifest.json"
ll_build_random_image "$workdir" "$registry" "$warm_repo" 2 1048576 fanout-warm "$workdir/warm-manifest.json"
manifest_bytes=$(stat -c %s "$workdir/bench-manifest.json")
config_bytes=$(jq '.config.size' "$workdir/bench-manifest.json")
layer_bytes=$(jq '[.layers[].size] | add' "$workdir/bench-manifest.json")
image_bytes=$((manifest_bytes + config_bytes + layer_bytes))
mapfile -t bench_layers < <(jq -r '.layers[].digest' "$workdir/bench-manifest.json")
bench_config=$(jq -r '.config.digest' "$workdir/bench-manifest.json")
jq '[.layers[] | {key: .digest, value: .size}] | from_entries' "$workdir/bench-manifest.json" >"$workdir/layer-sizes.json"
# Every way reads the registry's blobs from the page cache: the uplink is the only bottleneck.
cat "$workdir"/registry/data/docker/registry/v2/blobs/sha256/*/*/data >/dev/null
ctr_version=$(ctr --version | awk '{print $3}')
# What --report-only needs to render this work dir's runs again.
declare -p layers layer_mib uplink_mbit reps image_bytes layer_bytes registry ctr_version | sed 's/^declare -- //' >"$workdir/params.env"
# One pull may move at most the whole fleet's bytes over the uplink: bound it generously.
pull_timeout=$((120 + 4 * max_nodes * image_bytes * 8 / (uplink_mbit * 1000000)))

# ------------------------------------------------------------------ helpers
start_coordinator() {
  dotnet "$coordinator_dll" --addr "127.0.0.1:$coordinator_port" \
    --akka:remote:dot-netty:tcp:port="$coordinator_remote_port" --state-dir "$run/coordinator" \
    --log-dir "$run/logs" >>"$run/logs/server.console" 2>&1 </dev/null &
  coordinator_pid=$!
  ll__record_pid "$run" "$coordinator_pid" coordinator server
}
start_agent() { # NODE [extra flags...]: starts it; wait_agent waits for it
  local n=$1; shift
  dotnet "$agent_dll" run --node "node-$n" --coordinator "http://127.0.0.1:$coordinator_port" \
    --containerd "$(node_sock "$n")" --state-dir "$run/agent-$n" \
    --listen "127.0.0.1:$(agent_port "$n")" --mirror "127.0.0.1:$(mirror_port "$n")" \
    --plain-http "$registry" --log-dir "$run/logs" \
    --layerlock:log:file="plugin-$n.log" --layerlock:log:json-file="plugin-$n.jsonl" \
    "$@" >>"$run/logs/plugin-$n.console" 2>&1 </dev/null &
  ll__record_pid "$run" $! agent "node-$n"
  agent_pids[$n]=$!
}
# pull_argv WAY NODE REF: sets argv to the one pull command of a way
pull_argv() {
  case "$1" in
    layerlock-*|single-layerlock) argv=(dotnet "$agent_dll" pull "$3" --agent "127.0.0.1:$(agent_port "$2")") ;;
    *) argv=(ctr --address "$(node_sock "$2")" images pull --plain-http "$3") ;;
  esac
}
# timed_pull WAY NODE REF TAG: the pull under `timeout`, recorded by PID in RUN/pids (so the EXIT
# trap stops it), its start, end and rc in RUN/pull-TAG-NODE.time. Run it in the background.
timed_pull() {
  local t0 t1 rc=0 pid argv=()
  pull_argv "$1" "$2" "$3"
  t0=$EPOCHREALTIME
  timeout "$pull_timeout" "${argv[@]}" >"$run/logs/$4-$2.out" 2>&1 </dev/null &
  pid=$!
  ll__record_pid "$run" "$pid" pull "$4-$2"
  wait "$pid" || rc=$?
  t1=$EPOCHREALTIME
  printf '%s %s %s %s\n' "$2" "$t0" "$t1" "$rc" >"$run/$4-$2.time"
}
# pull_all WAY REF TAG NODE...: one timed_pull per node, all at once; waits for all
pull_all() {
  local way=$1 ref=$2 tag=$3 n p; shift 3
  local -a pids=()
  for n in "$@"; do timed_pull "$way" "$n" "$ref" "$tag" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || true; done
}
# watch_coordinator: while the timed pulls run, every 2 s one line {t, locks, layers, threads}
# (GET /locks; GET /layers: sources and peer transfers under way; the Coordinator's 3 busiest
# threads, CPU seconds so far) -> RUN/coordinator-snapshots.jsonl, for the post-mortem of a pull
# that stalls. Stops itself when RUN/watch.stop appears.
watch_coordinator() {
  local u="http://127.0.0.1:$coordinator_port" i locks layers threads tck
  tck=$(getconf CLK_TCK)
  while [ ! -e "$run/watch.stop" ]; do
    for ((i = 0; i < 4; i++)); do [ -e "$run/watch.stop" ] && return 0; sleep 0.5; done
    locks=$(curl -fsS --max-time 2 "$u/locks" 2>/dev/null) || locks=null
    layers=$(curl -fsS --max-time 2 "$u/layers" 2>/dev/null) || layers=null
    threads=$(for f in /proc/"$coordinator_pid"/task/*/stat; do cat "$f" 2>/dev/null; echo; done |
      awk -v t="$tck" 'NF { n = $0; sub(/^[0-9]+ \(/, "", n); sub(/\) .*/, "", n); r = $0; sub(/^.*\) /, "", r); split(r, f, " ");
                            printf "%s\t%s\t%.2f\n", $1, n, (f[12] + f[13]) / t }' | sort -t$'\t' -k3 -g -r | head -n 3 |
      jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t") | {tid: .[0], name: .[1], cpu_s: (.[2] | tonumber)})') || threads=null
    jq -n -c --arg t "$EPOCHREALTIME" --argjson locks "$locks" --argjson layers "$layers" --argjson threads "${threads:-null}" \
      '{t: ($t | tonumber), locks: $locks, layers: $layers, threads: $threads}' >>"$run/coordinator-snapshots.jsonl" 2>/dev/null || true
  done
}
# cpu_busy: the whole machine's busy and total jiffies so far (/proc/stat), "BUSY TOTAL"
cpu_busy() { awk '$1 == "cpu" { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }

jq_lib=$(bench_jq_events)

# analyse_layerlock NODE...: the bench layers' transfers by source, from the agents' and the
# Coordinator's JSON logs -> RUN/analysis.json
analyse_layerlock() {
  local keys n
  keys=$(printf '%s\n' "${bench_layers[@]}" | jq -R . | jq -s -c .)
  : >"$run/events-agents.jsonl"
  for n in "$@"; do
    [ -f "$run/logs/plugin-$n.jsonl" ] || continue
    jq -c --argjson keys "$keys" --arg node "node-$n" "$jq_lib"'
      ev | select((.name == "layer.transfer" or .name == "layer.peer-transfer" or .name == "peer.fallback")
                  and (.Layer as $l | $keys | index($l)))
      | {name, node: $node, t, layer: .Layer, source: .Source, bytes: .Bytes, ms: .Ms, success: .Success, error: .Error}' \
      "$run/logs/plugin-$n.jsonl" >>"$run/events-agents.jsonl"
    jq -c --arg ref "$bench_ref" --arg node "node-$n" "$jq_lib"'
      ev | select((.name == "pull.started" or .name == "pull.finished") and .Reference == $ref) | {name, node: $node, t, success: .Success}' \
      "$run/logs/plugin-$n.jsonl" >>"$run/events-agents.jsonl"
  done
  if [ -f "$run/logs/server.jsonl" ]; then
    jq -c --argjson keys "$keys" "$jq_lib"'
      ev | select((.name == "peer.granted" or .name == "peer.fetched") and (.Key as $k | $keys | index($k)))
      | {name, t, key: .Key, node: .Node, source: .Source, success: .Success, bytes: .Bytes, error: .Error}' \
      "$run/logs/server.jsonl" >"$run/events-server.jsonl"
  else
    : >"$run/events-server.jsonl"
  fi
  jq -n -c --slurpfile a "$run/events-agents.jsonl" --slurpfile s "$run/events-server.jsonl" --argjson nodes $# '
    {
      upstream_transfers: ($a | map(select(.name == "layer.transfer" and .success == true)) | length),
      upstream_transfers_failed: ($a | map(select(.name == "layer.transfer" and .success != true)) | length),
      peer_transfers: ($a | map(select(.name == "layer.peer-transfer" and .success == true)) | length),
      peer_transfers_failed: ($a | map(select(.name == "layer.peer-transfer" and .success != true)) | length),
      peer_fallbacks: ($a | map(select(.name == "peer.fallback")) | length),
      peer_granted: ($s | map(select(.name == "peer.granted")) | length),
      peer_fetched_ok: ($s | map(select(.name == "peer.fetched" and .success == true)) | length),
      peer_fetched_failed: ($s | map(select(.name == "peer.fetched" and .success != true)) | length),
      peer_transfer_ms_max: ($a | map(select(.name == "layer.peer-transfer" and .success == true) | .ms) | max),
      upstream_transfer_ms_max: ($a | map(select(.name == "layer.transfer" and .success == true) | .ms) | max),
      # the agents first pull.started -> last pull.finished: the wall without the NodeAgent pull clients
      # (null unless every node logged a successful pull.finished)
      agent_span_s: (($a | map(select(.name == "pull.finished" and .success == true))) as $f
                     | ($a | map(select(.name == "pull.started"))) as $st
                     | if ($f | length) == $nodes and ($st | length) == $nodes then ($f | map(.t) | max) - ($st | map(.t) | min) else null end),
      errors: ($a | map(select(.layer != null and (.success == false or .name == "peer.fallback")) | "\(.node) \(.name) \(.layer[7:19]) \(.source // "") \(.error // "")") | .[0:6])
    }' >"$run/analysis.json"
}

# ------------------------------------------------------------------ one measured way
# run_way WAY N REP: fresh containerd nodes (and, for LayerLock ways, Coordinator and agents),
# warm-up pulls, the timed pulls, then checks; appends one JSON object to WORKDIR/runs.jsonl.
run_way() {
  local way=$1 count=$2 rep=$3 prefix i n t_start=$EPOCHREALTIME
  local -A agent_pids=()   # start_agent fills it (bash's dynamic scope)
  case "$way" in
    layerlock-peers) prefix=p$count ;; layerlock-serial) prefix=s$count ;; ctr-concurrent) prefix=c$count ;;
    single) prefix=1 ;; single-layerlock) prefix=L1 ;;
  esac
  local -a nodes=()
  for ((i = 0; i < count; i++)); do nodes+=("$prefix${letters[$i]}"); done
  run="$workdir/runs/$rep-$count-$way"
  mkdir -p "$run/logs"
  say "rep $rep: $way, $count node(s): ${nodes[*]}"
  for n in "${nodes[@]}"; do ll_start_containerd "$run" "$n" >/dev/null; done
  local cold=true present
  for n in "${nodes[@]}"; do
    present=$(node_blobs "$n" | grep -cFx -f <(printf '%s\n' "${bench_layers[@]}" "$bench_config") || true)
    [ "$present" -eq 0 ] || { cold=false; echo "    $n already has $present of the image's blobs" >&2; }
  done
  case "$way" in
    layerlock-*|single-layerlock)
      start_coordinator
      wait_http "http://127.0.0.1:$coordinator_port/healthz" "$coordinator_pid" Coordinator 60
      for n in "${nodes[@]}"; do
        if [ "$way" = layerlock-serial ]; then start_agent "$n"
        else start_agent "$n" --peer-listen "127.0.0.1:$(peer_port "$n")"; fi
      done
      for n in "${nodes[@]}"; do wait_http "http://127.0.0.1:$(agent_port "$n")/healthz" "${agent_pids[$n]}" "agent node-$n" 60; done
      warm_handoff fanout-warmup; warm_handoff fanout-warmup ;;
  esac
  # Warm-up, not timed: all nodes pull the warm-up image at once, as the timed pulls will.
  pull_all "$way" "$warm_ref" warmup "${nodes[@]}"
  for n in "${nodes[@]}"; do
    [ "$(cut -d' ' -f4 "$run/warmup-$n.time")" = 0 ] || die "warm-up pull on $n failed: $(tail -n 3 "$run/logs/warmup-$n.out" | tr '\n' ' ')"
  done

  local mark tx0 tx1 load cpu0 cpu1 watcher=""
  mark=$(wc -l <"$workdir/logs/registry.log")
  load=$(cut -d' ' -f1 /proc/loadavg)
  case "$way" in
    layerlock-*|single-layerlock)
      watch_coordinator & watcher=$!
      ll__record_pid "$run" "$watcher" watcher coordinator ;;
  esac
  cpu0=$(cpu_busy)
  tx0=$(tx_bytes)
  pull_all "$way" "$bench_ref" pull "${nodes[@]}"
  tx1=$(tx_bytes)
  cpu1=$(cpu_busy)
  if [ -n "$watcher" ]; then touch "$run/watch.stop"; wait "$watcher" 2>/dev/null || true; fi
  sleep 0.5   # let the registry flush its last log lines
  registry_gets "$mark" >"$run/registry-gets.jsonl"

  # Each node's image complete: `ctr images check` says complete (k/k), and every blob is there.
  local complete=true status blobs pull_ok=true
  for n in "${nodes[@]}"; do
    [ "$(cut -d' ' -f4 "$run/pull-$n.time" 2>/dev/null || echo x)" = 0 ] ||
      { pull_ok=false; echo "    $n: pull failed: $(tail -n 2 "$run/logs/pull-$n.out" | tr '\n' ' ')" >&2; }
    status=$(timeout 30 ctr --address "$(node_sock "$n")" images check 2>/dev/null | awk -v r="$bench_ref" '$1 == r {print $4, $5}')
    blobs=$(node_blobs "$n" | grep -cFx -f <(printf '%s\n' "${bench_layers[@]}" "$bench_config") || true)
    if ! [[ "$status" =~ ^complete\ \(([0-9]+)/([0-9]+)\)$ && "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ]] ||
       [ "$blobs" -ne $((layers + 1)) ]; then
      complete=false; echo "    $n: image check '$status', $blobs of $((layers + 1)) blobs" >&2
    fi
  done
  case "$way" in
    layerlock-*|single-layerlock) analyse_layerlock "${nodes[@]}" ;;
    *) echo '{}' >"$run/analysis.json" ;;
  esac
  ip netns exec "$netns" tc -s qdisc show dev "$veth_ns" >"$run/qdisc.txt" 2>&1 || true

  jq -n -c --arg way "$way" --argjson nodes "$count" --argjson rep "$rep" --argjson cold "$cold" \
     --argjson complete "$complete" --argjson pull_ok "$pull_ok" --argjson sizes "$(cat "$workdir/layer-sizes.json")" \
     --argjson tx "$((tx1 - tx0))" --argjson load "$load" \
     --argjson cpu_busy "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; printf "%.1f", (t > 0 ? (y[1] - x[1]) * 100 / t : 0) }')" \
     --slurpfile times <(cat "$run"/pull-*.time | jq -R -c 'split(" ") | {node: .[0], start: (.[1] | tonumber), end: (.[2] | tonumber), rc: (.[3] | tonumber)}') \
     --slurpfile gets "$run/registry-gets.jsonl" --slurpfile analysis "$run/analysis.json" '
    ($gets | map(select(.status == 200 or .status == 206))) as $ok
    | ($ok | map(. + {digest: (.uri | capture("/blobs/(?<d>sha256:[0-9a-f]{64})") | .d)}) | map(select($sizes[.digest] != null))) as $layer_gets
    | {
        way: $way, nodes: $nodes, rep: $rep,
        wall_s: (($times | map(.end) | max) - ($times | map(.start) | min)),
        pull_s: ($times | map({(.node): (.end - .start)}) | add),
        load_before: $load,
        # the whole machine (all cores) during the timed pulls, all processes, ours and others
        machine_cpu_busy_pct: $cpu_busy,
        registry_tx_bytes: $tx,
        registry_get_bytes: ($ok | map(.written) | add // 0),
        registry_layer_get_bytes: ($layer_gets | map(.written) | add // 0),
        layer_gets: ($layer_gets | length),
        layer_gets_per_layer: ($sizes | keys_unsorted | map(. as $d | $layer_gets | map(select(.digest == $d)) | length)),
        checks: { cold_start: $cold, pulls_succeeded: $pull_ok, images_complete: $complete },
        analysis: $analysis[0]
      }' >>"$workdir/runs.jsonl"
  jq -r --arg w "$way" --argjson c "$count" --argjson r "$rep" 'select(.rep == $r and .way == $w and .nodes == $c)
    | "    wall \(.wall_s * 1000 | round / 1000) s; uplink carried \(.registry_tx_bytes) bytes; layer GETs per layer \(.layer_gets_per_layer | map(tostring) | join(",")); checks: \(.checks | to_entries | map("\(.key)=\(.value)") | join(" "))"
      + (if (.analysis | length) > 0 then "\n    agents: \(.analysis | del(.errors) | to_entries | map("\(.key)=\(.value)") | join(" "))"
           + (if (.analysis.errors | length) > 0 then "\n    errors: " + (.analysis.errors | join("; ")) else "" end) else "" end)' \
    "$workdir/runs.jsonl" >&2

  ll_stop_all "$run"
  rm -rf "$run"/containerd-*/root "$run"/containerd-*/opt "$run"/agent-*
  run=""
  awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "    (way took %.0f s with setup and teardown)\n", b - a }' >&2
}

for ((rep = 1; rep <= reps; rep++)); do
  run_way single 1 "$rep"
  run_way single-layerlock 1 "$rep"
  for c in "${counts[@]}"; do
    for ((k = 0; k < ${#ways[@]}; k++)); do run_way "${ways[$(((rep - 1 + k) % ${#ways[@]}))]}" "$c" "$rep"; done
  done
done

report
exit "$failed"
