# shellcheck shell=bash
# shellcheck disable=SC2154 # run, workdir and coordinator_port are the sourcing script's (see below)
# Helpers bench/e2e.sh and bench/fanout.sh share. Source after scripts/lib/scenario-env.sh.
# The caller defines die MESSAGE (prints, exits), and sets run (the current run's folder),
# workdir (whose logs/registry.log the registry writes) and coordinator_port.
#
#   port_busy PORT                 true if something listens on 127.0.0.1:PORT
#   node_sock NODE                 the node's containerd socket
#   wait_http URL PID WHAT [SECS]  until URL answers (SECS, default 30); dies if PID exits first
#   warm_handoff KEY               one HTTP lock hand-off on KEY, so the Coordinator's path is compiled
#   node_blobs NODE                digests in the node's content store
#   registry_gets MARK             the registry's GETs since line MARK: {uri, ua, status, written} each
#   bench_jq_events                prints jq defs: ts (ISO time -> epoch s), ev (a JSON log line -> {name, t, …})

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

node_sock() { ll_containerd_sock "$run" "$1"; }

wait_http() { # URL PID WHAT [SECS]
  local i tries=$(( ${4:-30} * 5 ))
  for ((i = 0; i < tries; i++)); do
    curl -fs -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited at start (logs in $run/logs)"
    sleep 0.2
  done
  die "$3 did not answer on $1 within ${4:-30} s"
}

# warm_handoff KEY: warm-1 takes a lock over HTTP, warm-2 queues for it, warm-1 releases, warm-2 is
# granted and releases (KEY: one no timed pull uses).
warm_handoff() {
  local u="http://127.0.0.1:$coordinator_port" k=$1 i tok pid
  tok=$(curl -fsS --max-time 5 -XPOST "$u/lock" -d "{\"key\":\"$k\",\"node\":\"warm-1\",\"wait_ms\":5000}" | jq -er .token) ||
    die "warm-up lock on the Coordinator failed"
  curl -fsS --max-time 10 -XPOST "$u/lock" -d "{\"key\":\"$k\",\"node\":\"warm-2\",\"wait_ms\":8000}" >"$run/warm-2.json" &
  pid=$!
  for ((i = 0; i < 50; i++)); do
    curl -fsS --max-time 2 "$u/locks" | jq -e --arg k "$k" '.locks[] | select(.key == $k) | .waiters | index("warm-2")' >/dev/null && break
    sleep 0.1
  done
  curl -fsS --max-time 5 -XPOST "$u/unlock" -d "{\"key\":\"$k\",\"node\":\"warm-1\",\"token\":$tok}" >/dev/null || die "warm-up unlock failed"
  wait "$pid" || die "warm-up queued lock failed"
  tok=$(jq -er .token "$run/warm-2.json") || die "warm-up queued lock not granted"
  curl -fsS --max-time 5 -XPOST "$u/unlock" -d "{\"key\":\"$k\",\"node\":\"warm-2\",\"token\":$tok}" >/dev/null || die "warm-up unlock failed"
}

node_blobs() { timeout 30 ctr --address "$(node_sock "$1")" content ls -q; }

registry_gets() { # MARK
  tail -n +"$(($1 + 1))" "$workdir/logs/registry.log" | grep -F 'msg="response completed"' | jq -R -c '
    def field($k): (capture(" " + $k + "=(\"(?<q>[^\"]*)\"|(?<p>[^ ]*))") | .q // .p) // null;
    { method: field("http\\.request\\.method"), uri: field("http\\.request\\.uri"),
      ua: field("http\\.request\\.useragent"), status: (field("http\\.response\\.status") | tonumber),
      written: (field("http\\.response\\.written") | tonumber) }
    | select(.method == "GET") | del(.method)' || true
}

bench_jq_events() { printf '%s' '
  def ts: capture("^(?<s>[0-9-]+T[0-9:]+)(?<f>\\.[0-9]+)?(?<z>Z|[+-][0-9][0-9]:[0-9][0-9])$")
    | ((.s + "Z") | fromdateiso8601) + ((.f // "0") | tonumber)
      - (if .z == "Z" then 0 else ((.z[0:1] + "1" | tonumber) * ((.z[1:3] | tonumber) * 3600 + (.z[4:6] | tonumber) * 60)) end);
  def ev: {name: (.MessageTemplate | split(" ")[0]), t: (.Timestamp | ts)} + (.Properties // {});
'; }
