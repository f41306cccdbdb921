# shellcheck shell=bash
# scripts/lib/scenario-env.sh — environment helpers for the LayerLock end-to-end
# scenario runner: a local docker-registry, offline test images, one containerd per
# node, and cleanup. Source it; it only defines functions (and no variables).
#
#   ll_install_missing                  apt-get install what is missing (quiet if nothing; packages.sh)
#   ll_start_registry WORKDIR PORT [ADDR [NETNS]]
#                                       docker-registry on ADDR:PORT (default 127.0.0.1), inside network
#                                       namespace NETNS if given; log WORKDIR/logs/registry.log
#   ll_build_images WORKDIR REGISTRY    build+push layerlock/{busybox,app-one,app-two}:latest,
#                                       layer digests -> WORKDIR/images.json
#   ll_build_random_image WORKDIR REGISTRY REPO LAYERS BYTES SEED MANIFEST
#                                       build+push REGISTRY/REPO:latest with LAYERS layers of
#                                       BYTES random bytes each; its manifest -> MANIFEST
#   ll_start_containerd WORKDIR NAME    containerd for node NAME; prints its socket path
#   ll_containerd_sock WORKDIR NAME     socket path of node NAME (no side effects)
#   ll_pull_direct SOCK REF             ctr images pull --plain-http REF (sanity check)
#   ll_stop_all WORKDIR                 stop everything recorded in WORKDIR/pids, unmount, clean /run dirs
#
# Tunables (environment, all optional):
#   LL_RUN_PREFIX   prefix of per-node state dirs (default /run/containerd- => /run/containerd-a)
#   LL_WAIT_SECS    bound for "is it up" loops (default 20)
#   LL_PULL_TIMEOUT bound for ll_pull_direct (default 180 s)
#   LL_WITH_BUSYBOX 0 = never put Debian's /bin/busybox in the busybox image (random bytes instead)
#
# Records: WORKDIR/pids has one line per started process: "PID STARTTIME KIND NAME"
# (STARTTIME = field 22 of /proc/PID/stat, guards against PID reuse);
# WORKDIR/rundirs lists the /run/containerd-NAME dirs this library created.
# Status messages go to stderr; stdout carries only data (socket path).

ll__msg() { printf '[scenario-env] %s\n' "$*" >&2; }
ll__die() { printf '[scenario-env] ERROR: %s\n' "$*" >&2; return 1; }

# ---------------------------------------------------------------------------
# packages: ll_install_missing and the one package list live in packages.sh
# ---------------------------------------------------------------------------

# shellcheck source=scripts/lib/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

# ---------------------------------------------------------------------------
# process bookkeeping
# ---------------------------------------------------------------------------

# ll__starttime PID -> field 22 of /proc/PID/stat (empty if gone)
ll__starttime() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }          # drop "pid (comm) "
  # remaining fields start at field 3 (state); starttime is field 22 -> index 20
  awk '{print $20}' <<<"$s"
}

# ll__alive PID [STARTTIME] -> 0 if running (not a zombie) and, if given, same start time
ll__alive() {
  local pid=$1 want=${2:-} s state
  s=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  s=${s##*) }
  state=${s%% *}
  [[ "$state" == Z || "$state" == X ]] && return 1
  if [[ -n "$want" ]]; then
    [[ "$(awk '{print $20}' <<<"$s")" == "$want" ]] || return 1
  fi
  return 0
}

ll__record_pid() { # WORKDIR PID KIND NAME
  printf '%s %s %s %s\n' "$2" "$(ll__starttime "$2")" "$3" "$4" >>"$1/pids"
}

# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

# ll_start_registry WORKDIR PORT [ADDR [NETNS]]
# ADDR: the address it binds and is checked at (default 127.0.0.1). NETNS: a network namespace
# (ip netns) to run it in, e.g. behind a rate-limited veth; `ip netns exec` execs the registry,
# so the recorded PID is the registry's own.
# Access log: distribution 2.8 writes an Apache "combined" line per request to STDOUT
# (enabled by default; log.accesslog.disabled: false is set explicitly) and, at
# log.level info, a logrus "response completed" line to STDERR with
# http.request.method/uri/useragent, http.response.status/written. Both go to
# WORKDIR/logs/registry.log.
ll_start_registry() {
  local workdir=${1:?usage: ll_start_registry WORKDIR PORT [ADDR [NETNS]]} port=${2:?usage: ll_start_registry WORKDIR PORT [ADDR [NETNS]]}
  local addr=${3:-127.0.0.1} netns=${4:-}
  local dir="$workdir/registry" log="$workdir/logs/registry.log" pid i
  local -a in_netns=()
  [[ -n "$netns" ]] && in_netns=(ip netns exec "$netns")
  mkdir -p "$dir/data" "$workdir/logs"
  if curl -s -o /dev/null --max-time 1 "http://$addr:$port/" 2>/dev/null; then
    ll__die "$addr:$port is already in use"; return 1
  fi
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $addr:$port
  secret: layerlock-scenario-secret
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: false
EOF
  "${in_netns[@]}" docker-registry serve "$dir/config.yml" >>"$log" 2>&1 </dev/null &
  pid=$!
  ll__record_pid "$workdir" "$pid" registry "$port"
  for ((i = 0; i < ${LL_WAIT_SECS:-20} * 4; i++)); do
    if curl -fsS -o /dev/null --max-time 1 "http://$addr:$port/v2/" 2>/dev/null; then
      ll__msg "registry up on $addr:$port${netns:+ in netns $netns} (pid $pid, log $log)"
      return 0
    fi
    ll__alive "$pid" || { tail -n 20 "$log" >&2; ll__die "docker-registry exited"; return 1; }
    sleep 0.25
  done
  tail -n 20 "$log" >&2
  ll__die "registry on $addr:$port not answering after ${LL_WAIT_SECS:-20}s"
}

# ---------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------

# ll__gen SEED BYTES: deterministic pseudo-random bytes on stdout (AES-256-CTR keystream)
ll__gen() {
  local key
  key=$(printf '%s' "$1" | sha256sum | cut -c1-64)
  openssl enc -aes-256-ctr -K "$key" -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
    head -c "$2" || true   # SIGPIPE on openssl is expected
}

# ll__layer OCIDIR TAG BUNDLE FUNC...: unpack TAG, run FUNC ROOTFS, normalise, repack as TAG
ll__layer() {
  local oci=$1 tag=$2 bundle=$3; shift 3
  local epoch=946684800 created=2000-01-01T00:00:00Z
  rm -rf "$bundle"
  umoci unpack --rootless --image "$oci:$tag" "$bundle" >/dev/null || return 1
  "$@" "$bundle/rootfs" || return 1
  # deterministic metadata: fixed modes and mtimes for everything new or touched
  find "$bundle/rootfs" -mindepth 1 -type d -exec chmod 0755 {} +
  find "$bundle/rootfs" -type f -newermt "@$epoch" ! -perm -u+x -exec chmod 0644 {} +
  find "$bundle/rootfs" -exec touch -h -d "@$epoch" {} +
  umoci repack --image "$oci:$tag" --history.created "$created" \
    --history.created_by "layerlock ll_build_images" "$bundle" >/dev/null || return 1
  rm -rf "$bundle"
}

ll__new_image() { # OCIDIR TAG
  umoci new --image "$1:$2" &&
    umoci config --image "$1:$2" --no-history --created 2000-01-01T00:00:00Z \
      --architecture amd64 --os linux --config.cmd /bin/sh --config.workingdir / \
      --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}

ll__fill_busybox() {
  local r=$1 a
  mkdir -p "$r/bin" "$r/etc" "$r/data"
  if [[ "${LL_WITH_BUSYBOX:-1}" != 0 && -x /bin/busybox ]] && ll__is_debian_busybox /bin/busybox; then
    cp /bin/busybox "$r/bin/busybox"
  else
    ll__gen busybox-bin 1048576 >"$r/bin/busybox"
  fi
  chmod 0755 "$r/bin/busybox"
  for a in sh ls cat echo sleep; do ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  printf 'layerlock-busybox\n' >"$r/etc/hostname"
  ll__gen busybox-data 3145728 >"$r/data/blob.bin"
}
# true if PATH belongs to Debian's busybox-static package (a static binary)
ll__is_debian_busybox() { dpkg-query -S "$1" 2>/dev/null | grep -q '^busybox-static:'; }

ll__fill_base1() {
  local r=$1
  mkdir -p "$r/etc" "$r/opt/base1"
  printf 'NAME=layerlock-base\nVERSION_ID=1\n' >"$r/etc/os-release"
  ll__gen base-layer-1 4194304 >"$r/opt/base1/data.bin"
}
ll__fill_base2() {
  local r=$1
  mkdir -p "$r/opt/base2"
  ll__gen base-layer-2 3145728 >"$r/opt/base2/data.bin"
}
ll__fill_app_one() {
  local r=$1
  mkdir -p "$r/app"
  printf 'app-one\n' >"$r/app/NAME"
  ll__gen app-one-top 1572864 >"$r/app/one.bin"
}
ll__fill_app_two() {
  local r=$1
  mkdir -p "$r/app"
  printf 'app-two\n' >"$r/app/NAME"
  ll__gen app-two-top 1048576 >"$r/app/two.bin"
}

# ll_build_images WORKDIR REGISTRY (e.g. 127.0.0.1:5055)
# Builds offline (umoci) and pushes (skopeo, plain http):
#   REGISTRY/layerlock/busybox:latest  1 layer  (~4 MiB: Debian busybox-static + 3 MiB data)
#   REGISTRY/layerlock/app-one:latest  3 layers (base1 4 MiB, base2 3 MiB, top 1.5 MiB)
#   REGISTRY/layerlock/app-two:latest  3 layers (same base1, base2; top 1 MiB)
# Writes WORKDIR/images.json {"busybox":[..],"app-one":[..],"app-two":[..]} (layer digests
# in manifest order) and fails unless app-one/app-two share exactly the first two.
ll_build_images() {
  local workdir=${1:?usage: ll_build_images WORKDIR REGISTRY} reg=${2:?usage: ll_build_images WORKDIR REGISTRY}
  local img="$workdir/images" oci name t0=$SECONDS
  oci="$img/oci"
  rm -rf "$img"; mkdir -p "$img"
  umoci init --layout "$oci" || return 1

  ll__new_image "$oci" busybox || return 1
  ll__layer "$oci" busybox "$img/bundle" ll__fill_busybox || return 1

  ll__new_image "$oci" base || return 1
  ll__layer "$oci" base "$img/bundle" ll__fill_base1 || return 1
  ll__layer "$oci" base "$img/bundle" ll__fill_base2 || return 1
  umoci tag --image "$oci:base" app-one || return 1
  umoci tag --image "$oci:base" app-two || return 1
  ll__layer "$oci" app-one "$img/bundle" ll__fill_app_one || return 1
  ll__layer "$oci" app-two "$img/bundle" ll__fill_app_two || return 1

  for name in busybox app-one app-two; do
    skopeo --insecure-policy copy -q --dest-tls-verify=false \
      "oci:$oci:$name" "docker://$reg/layerlock/$name:latest" >/dev/null || {
      ll__die "skopeo push of $name failed"; return 1; }
  done

  local bb one two
  bb=$(skopeo inspect --tls-verify=false "docker://$reg/layerlock/busybox:latest" | jq -c .Layers) || return 1
  one=$(skopeo inspect --tls-verify=false "docker://$reg/layerlock/app-one:latest" | jq -c .Layers) || return 1
  two=$(skopeo inspect --tls-verify=false "docker://$reg/layerlock/app-two:latest" | jq -c .Layers) || return 1
  jq -n --argjson b "$bb" --argjson o "$one" --argjson t "$two" \
    '{"busybox": $b, "app-one": $o, "app-two": $t}' >"$workdir/images.json" || return 1
  if ! jq -e '(.busybox|length)==1 and (.["app-one"]|length)==3 and (.["app-two"]|length)==3
              and .["app-one"][0:2]==.["app-two"][0:2] and .["app-one"][2]!=.["app-two"][2]' \
       "$workdir/images.json" >/dev/null; then
    cat "$workdir/images.json" >&2
    ll__die "unexpected layer layout (app-one/app-two must share exactly the first two layers)"
    return 1
  fi
  ll__msg "images pushed to $reg in $((SECONDS - t0))s; layer digests in $workdir/images.json"
}

# ll_build_random_image WORKDIR REGISTRY REPO LAYERS BYTES SEED MANIFEST
# An image of LAYERS layers, each one file of BYTES deterministic pseudo-random bytes (seeded by
# SEED and the layer number, so every layer differs and a rebuild gives the same digests), built
# offline with `umoci raw add-layer` (no unpack/repack of the growing rootfs) and pushed to
# REGISTRY/REPO:latest over plain http. Writes the registry's raw manifest (layer digests and
# sizes) to MANIFEST. Scratch space: WORKDIR/images-random (removed afterwards).
ll_build_random_image() {
  local workdir=${1:?usage: ll_build_random_image WORKDIR REGISTRY REPO LAYERS BYTES SEED MANIFEST}
  local reg=${2:?} repo=${3:?} layers=${4:?} bytes=${5:?} seed=${6:?} manifest=${7:?}
  [[ "$layers" =~ ^[0-9]+$ && "$layers" -ge 1 && "$bytes" =~ ^[0-9]+$ && "$bytes" -ge 1 ]] ||
    { ll__die "ll_build_random_image: LAYERS and BYTES must be positive integers"; return 1; }
  local img="$workdir/images-random" oci i t0=$SECONDS
  oci="$img/oci"
  rm -rf "$img"; mkdir -p "$img"
  umoci init --layout "$oci" >/dev/null || return 1
  ll__new_image "$oci" img >/dev/null || return 1
  for ((i = 1; i <= layers; i++)); do
    rm -rf "$img/layer"; mkdir -p "$img/layer/data"
    ll__gen "$seed-layer-$i" "$bytes" >"$img/layer/data/layer-$i.bin"
    tar --sort=name --mtime=@946684800 --owner=0 --group=0 --numeric-owner --mode=go-w \
      -C "$img/layer" -cf "$img/layer.tar" data || return 1
    umoci raw add-layer --image "$oci:img" --history.created 2000-01-01T00:00:00Z \
      --history.created_by "layerlock ll_build_random_image $seed $i" "$img/layer.tar" >/dev/null || return 1
  done
  skopeo --insecure-policy copy -q --dest-tls-verify=false \
    "oci:$oci:img" "docker://$reg/$repo:latest" >/dev/null || { ll__die "skopeo push of $repo failed"; return 1; }
  skopeo inspect --raw --tls-verify=false "docker://$reg/$repo:latest" >"$manifest" || return 1
  jq -e --argjson n "$layers" '(.layers | length) == $n' "$manifest" >/dev/null ||
    { ll__die "$repo: the pushed manifest does not list $layers layers"; return 1; }
  rm -rf "$img"
  ll__msg "$reg/$repo:latest pushed in $((SECONDS - t0))s: $layers layers, $(jq '[.layers[].size] | add' "$manifest") bytes"
}

# ---------------------------------------------------------------------------
# containerd
# ---------------------------------------------------------------------------

# ll_containerd_sock WORKDIR NAME: socket path of node NAME (as recorded by ll_start_containerd)
ll_containerd_sock() {
  local workdir=${1:?usage: ll_containerd_sock WORKDIR NAME} name=${2:?usage: ll_containerd_sock WORKDIR NAME}
  if [[ -f "$workdir/containerd-$name/socket" ]]; then cat "$workdir/containerd-$name/socket"
  else printf '%s%s/containerd.sock\n' "${LL_RUN_PREFIX:-/run/containerd-}" "$name"; fi
}

# ll_start_containerd WORKDIR NAME  -> prints the socket path (e.g. /run/containerd-a/containerd.sock)
# root = WORKDIR/containerd-NAME/root, state = /run/containerd-NAME, CRI disabled,
# log WORKDIR/logs/containerd-NAME.log. Prefer calling it directly (not inside $(...)) and
# reading the path with ll_containerd_sock: then containerd stays a child of your shell
# and ll_stop_all reaps it (from $(...) it is re-parented to PID 1 and reaped there).
ll_start_containerd() {
  local workdir=${1:?usage: ll_start_containerd WORKDIR NAME} name=${2:?usage: ll_start_containerd WORKDIR NAME}
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { ll__die "bad node name '$name'"; return 1; }
  local base="$workdir/containerd-$name" run="${LL_RUN_PREFIX:-/run/containerd-}$name"
  local sock="$run/containerd.sock" log="$workdir/logs/containerd-$name.log" pid i
  if (( ${#sock} + 7 > 104 )); then   # +".ttrpc"; sun_path is 108 bytes
    run="$workdir/run/$name"; sock="$run/containerd.sock"
    (( ${#sock} + 7 <= 104 )) || { ll__die "socket path too long: $sock"; return 1; }
  fi
  if [[ -S "$sock" ]] && timeout 3 ctr --address "$sock" version >/dev/null 2>&1; then
    ll__die "a containerd already answers on $sock (not starting another)"; return 1
  fi
  mkdir -p "$base/root" "$base/opt" "$workdir/logs"
  printf '%s\n' "$sock" >"$base/socket"
  if [[ ! -d "$run" ]]; then
    mkdir -p "$run" && printf '%s\n' "$run" >>"$workdir/rundirs"
  fi
  cat >"$base/config.toml" <<EOF
version = 2
root = "$base/root"
state = "$run"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = "$run/debug.sock"
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$base/opt"
EOF
  containerd --config "$base/config.toml" >>"$log" 2>&1 </dev/null &
  pid=$!
  ll__record_pid "$workdir" "$pid" containerd "$name"
  for ((i = 0; i < ${LL_WAIT_SECS:-20} * 4; i++)); do
    if [[ -S "$sock" ]] &&
       timeout 3 ctr --address "$sock" version 2>/dev/null | grep -q '^Server:'; then
      ll__msg "containerd-$name up (pid $pid, socket $sock, log $log)"
      printf '%s\n' "$sock"
      return 0
    fi
    ll__alive "$pid" || { tail -n 20 "$log" >&2; ll__die "containerd-$name exited"; return 1; }
    sleep 0.25
  done
  tail -n 20 "$log" >&2
  ll__die "containerd-$name not answering on $sock after ${LL_WAIT_SECS:-20}s"
}

# ll_pull_direct SOCK REF: direct pull over plain http (sanity check; bypasses any mirror)
ll_pull_direct() {
  local sock=${1:?usage: ll_pull_direct SOCK REF} ref=${2:?usage: ll_pull_direct SOCK REF} out rc=0
  out=$(timeout "${LL_PULL_TIMEOUT:-180}" ctr --address "$sock" images pull --plain-http "$ref" 2>&1) || rc=$?
  if (( rc != 0 )); then
    printf '%s\n' "$out" | tail -n 20 >&2
    ll__die "pull of $ref via $sock failed (rc=$rc)"; return 1
  fi
  printf '%s\n' "$out" | grep -E '^(done|unpacking|elapsed)' >&2 || true
}

# ---------------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------------

# ll_stop_all WORKDIR: TERM every recorded PID (newest first), KILL after 5 s, reap,
# unmount leftovers under WORKDIR and the node state dirs, remove the state dirs we made.
# Safe to call more than once (e.g. from an EXIT trap).
ll_stop_all() {
  local workdir=${1:?usage: ll_stop_all WORKDIR} pid st kind name i any
  local -a pids=() starts=()
  if [[ -f "$workdir/pids" ]]; then
    while read -r pid st kind name; do
      [[ "$pid" =~ ^[0-9]+$ ]] || continue
      pids=("$pid" "${pids[@]}"); starts=("$st" "${starts[@]}")
    done <"$workdir/pids"
  fi
  for i in "${!pids[@]}"; do
    ll__alive "${pids[$i]}" "${starts[$i]}" && kill -TERM "${pids[$i]}" 2>/dev/null || true
  done
  for ((st = 0; st < 50; st++)); do
    any=0
    for i in "${!pids[@]}"; do ll__alive "${pids[$i]}" "${starts[$i]}" && any=1; done
    (( any )) || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if ll__alive "${pids[$i]}" "${starts[$i]}"; then
      ll__msg "pid ${pids[$i]} ignored TERM; sending KILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  for i in "${!pids[@]}"; do   # reap our own children (no-op for others)
    for ((st = 0; st < 20; st++)); do ll__alive "${pids[$i]}" "${starts[$i]}" || break; sleep 0.1; done
    if ll__alive "${pids[$i]}" "${starts[$i]}"; then
      ll__msg "pid ${pids[$i]} still alive after KILL"
    else
      wait "${pids[$i]}" 2>/dev/null || true
    fi
  done
  [[ -f "$workdir/pids" ]] && mv -f "$workdir/pids" "$workdir/pids.stopped"

  # leftover mounts (deepest first) under WORKDIR and our node state dirs
  local -a roots=("$workdir") mnts=()
  local d m
  if [[ -f "$workdir/rundirs" ]]; then
    while read -r d; do [[ -n "$d" ]] && roots+=("$d"); done <"$workdir/rundirs"
  fi
  for d in "${roots[@]}"; do
    d=$(realpath -m "$d")
    while read -r m; do mnts+=("$m"); done < <(
      awk -v p="$d" '{ gsub(/\\040/, " ", $5); if ($5 == p || index($5, p "/") == 1) print $5 }' \
        /proc/self/mountinfo | sort -r)
  done
  for m in "${mnts[@]}"; do
    ll__msg "unmounting leftover $m"
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || ll__msg "could not unmount $m"
  done
  if [[ -f "$workdir/rundirs" ]]; then
    while read -r d; do
      [[ -n "$d" && -d "$d" ]] && rm -rf -- "$d"
    done <"$workdir/rundirs"
    rm -f "$workdir/rundirs"
  fi
  return 0
}
