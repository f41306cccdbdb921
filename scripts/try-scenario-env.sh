#!/usr/bin/env bash
# scripts/try-scenario-env.sh — exercises scripts/lib/scenario-env.sh end to end:
# packages, registry (127.0.0.1:5055), offline test images, containerd a/b/c side by
# side, direct pulls into node a, registry access log (blob GETs + User-Agent),
# the hosts-dir mirror routing probe (listener on 127.0.0.1:9299), and cleanup.
# Usage: scripts/try-scenario-env.sh        (LL_KEEP=1 keeps the temp workdir)
# Exit 0 = everything passed. Needs root. Bounded: every wait has a timeout.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/scenario-env.sh
source "$HERE/lib/scenario-env.sh"

REG_PORT=${LL_REG_PORT:-5055}
REG=127.0.0.1:$REG_PORT
PROBE_PORT=${LL_PROBE_PORT:-9299}
LAST=/tmp/ll-try-scenario-env.last-images.json   # layer digests of the previous run

step() { printf '\n== %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

W=$(mktemp -d /tmp/ll-try.XXXXXX)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ll_stop_all "$W" || true
  if [[ "${LL_KEEP:-0}" == 1 ]]; then echo "workdir kept: $W" >&2; else rm -rf -- "$W"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T0=$SECONDS

step "1. packages"
ll_install_missing
echo "ok: containerd $(containerd --version | awk '{print $3}'), $(docker-registry --version | awk '{print $3}'), $(skopeo --version), $(umoci --version)"

step "2. registry on $REG"
ll_start_registry "$W" "$REG_PORT"

step "3. build + push test images"
t=$SECONDS
ll_build_images "$W" "$REG"
echo "build+push took $((SECONDS - t))s"
jq . "$W/images.json"
for n in busybox app-one app-two; do
  printf '%-8s manifest %s\n' "$n" \
    "$(skopeo inspect --tls-verify=false "docker://$REG/layerlock/$n:latest" | jq -r .Digest)"
done
if [[ -f "$LAST" ]]; then
  if cmp -s "$LAST" "$W/images.json"; then echo "layer digests identical to previous run ($LAST)"
  else echo "WARNING: layer digests differ from previous run ($LAST)"; diff "$LAST" "$W/images.json" || true; fi
fi
cp "$W/images.json" "$LAST"

step "4. containerd a, b, c side by side"
# called directly (not in $(...)) so the daemons stay children of this shell
for n in a b c; do ll_start_containerd "$W" "$n" >/dev/null; done
SOCK_A=$(ll_containerd_sock "$W" a)
SOCK_B=$(ll_containerd_sock "$W" b)
SOCK_C=$(ll_containerd_sock "$W" c)
for s in "$SOCK_A" "$SOCK_B" "$SOCK_C"; do
  printf '%s -> %s\n' "$s" "$(timeout 5 ctr --address "$s" version | awk '/^Server:/{f=1} f&&/Version:/{print $2; exit}')"
done
# each instance has its own metadata: the namespace list of b must be empty so far
[[ -z "$(timeout 5 ctr --address "$SOCK_B" images ls -q)" ]] || fail "node b unexpectedly has images"

step "5. direct pulls into node a"
t=$SECONDS
ll_pull_direct "$SOCK_A" "$REG/layerlock/busybox:latest"
ll_pull_direct "$SOCK_A" "$REG/layerlock/app-one:latest"
echo "pulls took $((SECONDS - t))s"
timeout 10 ctr --address "$SOCK_A" images ls
have=$(timeout 10 ctr --address "$SOCK_A" content ls -q)
for d in $(jq -r '.busybox[], .["app-one"][]' "$W/images.json"); do
  grep -qx "$d" <<<"$have" || fail "node a lacks blob $d"
done
echo "node a content store holds every layer of busybox and app-one"
[[ -z "$(timeout 5 ctr --address "$SOCK_B" images ls -q)" ]] || fail "node b sees node a's images"
echo "node b still empty (separate roots)"

step "6. registry access log: blob GETs with User-Agent"
sleep 0.5
for d in $(jq -r '.busybox[], .["app-one"][]' "$W/images.json"); do
  line=$(grep -m1 -E "\"GET /v2/layerlock/[a-z-]+/blobs/$d HTTP/1.1\" 200 [0-9]+ " "$W/logs/registry.log") ||
    fail "no access-log line for GET of $d"
  grep -q '"containerd/' <<<"$line" || fail "access-log line for $d lacks the containerd User-Agent"
  echo "$line"
done
echo "--- matching structured line (stderr of docker-registry, level info):"
d0=$(jq -r '.busybox[0]' "$W/images.json")
awk -v d="/blobs/$d0" 'index($0, "msg=\"response completed\"") && index($0, "http.request.method=GET") && index($0, d) { print; exit }' \
  "$W/logs/registry.log"

step "7. hosts-dir routing probe (listener on 127.0.0.1:$PROBE_PORT)"
if ! command -v socat >/dev/null 2>&1; then
  echo "SKIP: socat not installed (apt-get install socat)"
else
  if (exec 3<>"/dev/tcp/127.0.0.1/$PROBE_PORT") 2>/dev/null; then fail "port $PROBE_PORT busy"; fi
  cat >"$W/probe-responder.sh" <<'EOF'
#!/usr/bin/env bash
# one connection: log request line + headers; answer HEAD with 405 (containerd then
# retries the manifest with GET, so both requests are captured), anything else 404; close
out=$1; first=
{
  echo "--- connection"
  while IFS= read -r -t 5 line; do
    line=${line%$'\r'}
    [[ -z "$first" ]] && first=$line
    [[ -z "$line" ]] && break
    echo "$line"
  done
} >>"$out"
body='{"errors":[{"code":"MANIFEST_UNKNOWN","message":"layerlock probe"}]}'
if [[ "$first" == HEAD* ]]; then
  printf 'HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
else
  printf 'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#body}" "$body"
fi
EOF
  HD="$W/hosts.d"
  mkdir -p "$HD/$REG"
  cat >"$HD/$REG/hosts.toml" <<EOF
server = "http://127.0.0.1:$PROBE_PORT/r/$REG"

[host."http://127.0.0.1:$PROBE_PORT/r/$REG"]
  capabilities = ["pull", "resolve"]
EOF
  : >"$W/probe-requests.txt"
  socat "TCP-LISTEN:$PROBE_PORT,bind=127.0.0.1,reuseaddr,fork" \
    EXEC:"bash $W/probe-responder.sh $W/probe-requests.txt" >>"$W/logs/probe-socat.log" 2>&1 </dev/null &
  echo "$! $(ll__starttime $!) probe $PROBE_PORT" >>"$W/pids"
  for ((i = 0; i < 40; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$PROBE_PORT") 2>/dev/null && break; sleep 0.1; done
  sleep 0.5; : >"$W/probe-requests.txt"   # drop the readiness probe's empty connection
  reg_lines_before=$(wc -l <"$W/logs/registry.log")
  rc=0
  out=$(timeout 30 ctr --address "$SOCK_B" images pull --hosts-dir "$HD" "$REG/layerlock/busybox:latest" 2>&1) || rc=$?
  echo "ctr pull via hosts-dir (expected to fail: the probe answers 405/404): rc=$rc"
  tail -n 2 <<<"$out"
  echo "--- requests received on 127.0.0.1:$PROBE_PORT:"
  cat "$W/probe-requests.txt"
  first=$(grep -m1 -E '^(HEAD|GET) ' "$W/probe-requests.txt" || true)
  # containerd URL-encodes the ns value: ?ns=127.0.0.1%3A5055
  re="^HEAD /r/$REG/v2/layerlock/busybox/manifests/latest\\?ns=${REG%:*}(%3A|:)$REG_PORT HTTP/1.1\$"
  [[ "$first" =~ $re ]] || fail "unexpected first request line: '$first'"
  grep -qE "^GET /r/$REG/v2/layerlock/busybox/manifests/latest\\?ns=" "$W/probe-requests.txt" ||
    fail "no GET of the manifest after the 405 on HEAD"
  sleep 0.3
  new=$(tail -n +"$((reg_lines_before + 1))" "$W/logs/registry.log" | grep -c 'layerlock/busybox' || true)
  [[ "$new" == 0 ]] || fail "containerd bypassed the mirror: $new new registry log lines"
  echo "ok: first request line as expected; the real registry saw no request (no bypass)"
fi

step "8. stop everything and check nothing is left"
ll_stop_all "$W"
left=0
while read -r pid st kind name; do
  if ll__alive "$pid" "$st"; then echo "still running: $pid $kind $name"; left=1; fi
  if [[ -e "/proc/$pid" && "$(ll__starttime "$pid")" == "$st" ]]; then echo "unreaped (zombie): $pid $kind $name"; left=1; fi
done <"$W/pids.stopped"
if ps -eo pid=,args= | grep -F -- "$W" | grep -v grep; then left=1; fi
for s in "$SOCK_A" "$SOCK_B" "$SOCK_C"; do [[ -e "$(dirname "$s")" ]] && { echo "left over: $(dirname "$s")"; left=1; }; done
if grep -F -- "$W" /proc/self/mountinfo; then left=1; fi
(( left == 0 )) || fail "processes, dirs or mounts left behind"
echo "ps: no process of this run left; /run/containerd-{a,b,c} removed; no mounts under $W"
echo
echo "PASS (total $((SECONDS - T0))s)"
