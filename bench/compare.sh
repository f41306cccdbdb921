#!/usr/bin/env bash
# LayerLock side by side with etcd and Redis, every workload, one machine, one run.
#
#   sudo bench/compare.sh [--duration 5s] [--reps 3] [--quick] [--no-e2e] [--no-build]
#                         [--only WORKLOADS] [--systems SYSTEMS] [--workdir DIR] [--keep] [--results FILE]
#
#   --duration D  measured time of each throughput/handoff run (default 5s, 1s warm-up extra)
#   --reps N      repetitions of each run; the table shows medians (default 3)
#   --quick       --duration 2s --reps 1, smaller scale and kill counts: a smoke run, not a result
#   --no-e2e      skip the 3-node containerd pull (workload e)
#   --only LIST   comma-separated subset of: uncontended,handoff,kill,scale,e2e
#   --systems L   comma-separated subset of: layerlock-remote,layerlock-http,etcd,redis (default all;
#                 etcd and Redis are installed and started only when listed)
#   --results F   where the markdown report goes (default bench/RESULTS.md; raw runs beside it as .jsonl)
#
# Installs etcd-server and redis-server from Debian when missing, starts them and the
# Coordinator on 127.0.0.1 only (etcd 12479/12480, Redis 16479, Coordinator 18280 + Akka.Remote 18281), runs the
# load driver (bench/LayerLock.LoadDriver) against all of them, and stops only what it started,
# by PID.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

duration=5s reps=3 quick=0 e2e=1 build=1 only="" systems_list="" workdir="" keep=0 results="$here/RESULTS.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=${2:?--duration needs a value like 5s}; shift 2 ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --quick) quick=1; duration=2s; reps=1; shift ;;
    --no-e2e) e2e=0; shift ;;
    --no-build) build=0; shift ;;
    --only) only=${2:?--only needs a list}; shift 2 ;;
    --systems) systems_list=${2:?--systems needs a list}; shift 2 ;;
    --workdir) workdir=${2:?--workdir needs a directory}; shift 2 ;;
    --keep) keep=1; shift ;;
    --results) results=${2:?--results needs a file}; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "compare: --reps must be a positive number" >&2; exit 2; }
[[ "$duration" =~ ^[0-9]+(ms|s)$ ]] || { echo "compare: --duration must look like 5s or 500ms" >&2; exit 2; }
warmup_duration=10s; [ "$quick" -eq 1 ] && warmup_duration=3s
[ "$(id -u)" -eq 0 ] || { echo "compare: run as root (apt and containerd need it): sudo $0" >&2; exit 2; }
wants() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }
all_systems=(layerlock-remote layerlock-http etcd redis)
systems=()
for system in "${all_systems[@]}"; do
  [ -z "$systems_list" ] || [[ ",$systems_list," == *",$system,"* ]] && systems+=("$system")
done
for system in ${systems_list//,/ }; do
  [[ " ${all_systems[*]} " == *" $system "* ]] || { echo "compare: unknown system '$system'; valid: ${all_systems[*]}" >&2; exit 2; }
done
[ ${#systems[@]} -gt 0 ] || { echo "compare: --systems selected none of: ${all_systems[*]}" >&2; exit 2; }
uses() { [[ " ${systems[*]} " == *" $1 "* ]]; }
uses_layerlock() { uses layerlock-remote || uses layerlock-http; }

say() { printf '\n==> %s\n' "$*" >&2; }

# --- packages -------------------------------------------------------------------------------
missing=()
uses etcd && ! command -v etcd >/dev/null && missing+=(etcd-server)
uses redis && ! command -v redis-server >/dev/null && missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  # The packages' own services must not start: we run our own instances on our own ports.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "compare: the .NET SDK (dotnet) is required" >&2; exit 2; }
if [ "$build" -eq 1 ]; then
  say "building (dotnet build -c Release)"
  dotnet build "$root/LayerLock.slnx" -c Release -nologo -v quiet >/dev/null
fi
driver_dll=$root/bench/LayerLock.LoadDriver/bin/Release/net10.0/LayerLock.LoadDriver.dll
coordinator_dll=$root/Coordinator/bin/Release/net10.0/Coordinator.dll
[ -f "$driver_dll" ] && [ -f "$coordinator_dll" ] || { echo "compare: binaries missing; run without --no-build" >&2; exit 2; }

# 10,000 sessions need 10,000 sockets on each side.
ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

workdir=${workdir:-$(mktemp -d /tmp/layerlock-bench.XXXXXX)}
mkdir -p "$workdir"
jsonl=$workdir/results.jsonl
: >"$jsonl"

# --- processes we start, stopped by PID -------------------------------------------------------
declare -A pids=()
stop() { # NAME
  local pid=${pids[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "pids[$1]"
}
cleanup() {
  local status=$?
  for name in "${!pids[@]}"; do stop "$name"; done
  if [ "$keep" -eq 1 ] || [ "$status" -ne 0 ]; then echo "compare: work dir kept: $workdir" >&2; else rm -rf "$workdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() { # WHAT COMMAND...
  local what=$1; shift
  for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "compare: $what did not come up; see $workdir" >&2; return 1
}

etcd_url=http://127.0.0.1:12479
redis_ep=127.0.0.1:16479
coordinator_url=http://127.0.0.1:18280
coordinator_remote_port=18281  # Akka.Remote: the agents' link (found through GET /v1/agent-link)

start_etcd() { # default|aggressive
  local extra=()
  # Aggressive: the shortest raft timing etcd accepts on loopback; the lease TTL floor follows it.
  [ "$1" = aggressive ] && extra=(--heartbeat-interval 10 --election-timeout 100)
  rm -rf "$workdir/etcd" && mkdir -p "$workdir/etcd"
  etcd --name bench --data-dir "$workdir/etcd/data" \
    --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
    --listen-peer-urls http://127.0.0.1:12480 --initial-advertise-peer-urls http://127.0.0.1:12480 \
    --initial-cluster bench=http://127.0.0.1:12480 "${extra[@]}" >"$workdir/etcd-$1.log" 2>&1 &
  pids[etcd]=$!
  wait_for etcd curl -fsS "$etcd_url/health"
}

start_redis() {
  redis-server --bind 127.0.0.1 --port "${redis_ep##*:}" --save '' --appendonly no --daemonize no \
    --maxclients 20000 >"$workdir/redis.log" 2>&1 &
  pids[redis]=$!
  wait_for redis bash -c "exec 3<>/dev/tcp/127.0.0.1/${redis_ep##*:} && printf 'PING\r\n' >&3 && head -c5 <&3 | grep -q PONG"
}

start_coordinator() { # default|aggressive
  # Same settings for both profiles: a SIGKILLed holder's process exit is an Akka.Remote
  # disassociation, which the Coordinator acts on at once; its watch failure detector (for silent
  # network cuts) plays no part in these workloads.
  rm -rf "$workdir/coordinator" && mkdir -p "$workdir/coordinator"
  (cd "$root" && exec dotnet "$coordinator_dll" --addr "${coordinator_url#http://}" \
    --akka:remote:dot-netty:tcp:port="$coordinator_remote_port" \
    --state-dir "$workdir/coordinator/state" --log-dir "$workdir/coordinator/logs") \
    >"$workdir/coordinator/stdout.log" 2>&1 &
  pids[coordinator]=$!
  wait_for coordinator curl -fsS "$coordinator_url/healthz"
}

endpoint_of() { # SYSTEM
  case "$1" in
    layerlock-remote|layerlock-http) echo "$coordinator_url" ;;
    etcd) echo "$etcd_url" ;;
    redis) echo "$redis_ep" ;;
  esac
}
server_pid_of() { # SYSTEM
  case "$1" in
    layerlock-*) echo "${pids[coordinator]}" ;;
    etcd) echo "${pids[etcd]}" ;;
    redis) echo "${pids[redis]}" ;;
  esac
}

driver() { # SYSTEM WORKLOAD ARGS...  (appends to $out, default the results)
  local system=$1 workload=$2; shift 2
  (cd "$root" && dotnet "$driver_dll" run --system "$system" --endpoint "$(endpoint_of "$system")" \
    --workload "$workload" --server-pid "$(server_pid_of "$system")" --out "${out:-$jsonl}" "$@") >&2
}

# A server is measured warm, as it runs in production: one discarded run per system first. The
# Coordinator is a .NET process whose tiered JIT, on two busy cores, needs several seconds of load
# before its hot paths are optimized; its first 64-client run was measured at half its later rate.
# etcd and Redis get the same run.
warm_up() { # SYSTEM
  say "warming $1 up (discarded run)"
  out="$workdir/warmup.jsonl" driver "$1" uncontended --clients 64 --duration "$warmup_duration" --warmup 2s
}

# Only the servers the selected systems need.
start_servers() { # default|aggressive
  if uses etcd; then start_etcd "$1"; fi
  if uses redis; then start_redis; fi
  if uses_layerlock; then start_coordinator "$1"; fi
}

# --- a. uncontended, b. handoff ---------------------------------------------------------------
if wants uncontended || wants handoff; then
  say "servers, default settings"
  start_servers default
  for system in "${systems[@]}"; do warm_up "$system"; done
  for rep in $(seq 1 "$reps"); do
    for system in "${systems[@]}"; do
      if wants uncontended; then
        for clients in 1 16 64; do
          driver "$system" uncontended --clients "$clients" --duration "$duration"
        done
      fi
      if wants handoff; then
        for waiters in 8 64; do
          driver "$system" handoff --clients "$waiters" --duration "$duration"
        done
      fi
    done
  done
  stop coordinator; stop redis; stop etcd
fi

# --- c. holder SIGKILL -> next waiter granted -------------------------------------------------
if wants kill; then
  kills=20; [ "$quick" -eq 1 ] && kills=5
  for profile in default aggressive; do
    say "holder SIGKILL, $profile settings"
    start_servers "$profile"
    for system in "${systems[@]}"; do
      driver "$system" kill --profile "$profile" --kills "$kills"
    done
    stop coordinator; stop redis; stop etcd
  done
fi

# --- d. scale: 10,000 sessions holding 100,000 keys ------------------------------------------
# layerlock-remote: as many Akka.Remote agents as this machine could run as separate ActorSystems
# (one agent process is about 85 MiB and a few % of a core here, 2 cores: 50), each holding
# 1,000 keys as link clients in the driver's one ActorSystem; HTTP leases hold the rest.
if wants scale; then
  sessions=10000 keys=100000 link_clients=50 link_keys_each=1000
  [ "$quick" -eq 1 ] && sessions=1000 keys=10000 link_keys_each=100
  for system in "${systems[@]}"; do
    shape=(--sessions "$sessions" --keys "$keys")
    [ "$system" = layerlock-remote ] && shape=(--sessions "$link_clients" --keys "$keys" --keys-per-session "$link_keys_each")
    say "scale: $system, ${shape[*]} (fresh server)"
    case "$system" in
      layerlock-*) start_coordinator default ;;
      etcd) start_etcd default ;;
      redis) start_redis ;;
    esac
    driver "$system" scale "${shape[@]}"
    stop coordinator; stop redis; stop etcd
  done
fi

# --- e. 3-node containerd pull ----------------------------------------------------------------
if [ "$e2e" -eq 1 ] && wants e2e; then
  say "end to end: 3 nodes pull one cold image"
  e2e_reps=$reps; [ "$quick" -eq 1 ] && e2e_reps=1
  "$here/e2e.sh" --no-build --reps "$e2e_reps" --out "$workdir/e2e.jsonl" >&2
  cat "$workdir/e2e.jsonl" >>"$jsonl"
fi

# --- report -----------------------------------------------------------------------------------
say "report"
command_line="sudo bench/compare.sh"
[ "$quick" -eq 1 ] && command_line+=" --quick"
[ "$duration" != 5s ] && [ "$quick" -eq 0 ] && command_line+=" --duration $duration"
[ "$reps" != 3 ] && [ "$quick" -eq 0 ] && command_line+=" --reps $reps"
[ -n "$only" ] && command_line+=" --only $only"
[ -n "$systems_list" ] && command_line+=" --systems $systems_list"
[ "$e2e" -eq 0 ] && command_line+=" --no-e2e"
(cd "$root" && dotnet "$driver_dll" report --in "$jsonl" --out "$workdir/report.md") >&2
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
{
  echo "# LayerLock beside etcd and Redis: results"
  echo
  echo "Generated by \`$command_line\` (commit $commit, $(date -u +%Y-%m-%d), $(( SECONDS / 60 )) min)."
  echo "How to read it, and what was found where a target is missed: [README.md](README.md)."
  echo
  echo "| machine | |"
  echo "| --- | --- |"
  echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores |"
  echo "| memory | $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) |"
  echo "| OS | $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r) |"
  echo "| .NET | $(dotnet --version) |"
  echo "| etcd | $(etcd --version 2>/dev/null | head -1 | awk '{print $3}') (Debian etcd-server) |"
  echo "| Redis | $(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p') (Debian redis-server) |"
  echo "| containerd | $(containerd --version 2>/dev/null | awk '{print $3}') |"
  echo
  echo "Everything ran on 127.0.0.1 on this one machine: the servers, the load driver and (for e2e)"
  echo "the registry, three containerd and the agents share its cores."
  echo
  sed '1d' "$workdir/report.md"
} >"$results"
cp "$jsonl" "${results%.md}.jsonl"
echo "compare: report written to $results (raw runs: ${results%.md}.jsonl)" >&2
