# shellcheck shell=bash
# scripts/lib/packages.sh — the one list of Debian packages LayerLock's tests, scenarios and CI
# need beside the .NET SDK, and the one function that installs the missing ones. Sourced by
# scripts/test.sh, .ci/run and scripts/lib/scenario-env.sh (so run-scenarios.sh, bench/e2e.sh
# and scripts/try-scenario-env.sh); it only defines functions (and no variables).
#
#   ll_missing_packages   print the packages to install, one per line (nothing if none)
#   ll_install_missing    apt-get install them, as root or through sudo; quiet if nothing is missing
#
# Tunables (environment, all optional):
#   LL_WITH_BUSYBOX 0 = never install busybox-static (the test images then use random bytes)
#   LL_WITH_BROWSER 1 = also chromium and chromium-driver (the specs need them; the scenarios,
#                   benchmarks and demo do not)
#   LL_DRY_RUN      1 = only show what would be installed: apt-get install --simulate, which
#                   changes nothing and needs no root

# command:package — a package is wanted when its command is not on PATH.
#   containerd, ctr      the nodes the specs and scenarios pull into
#   docker-registry      the local registry the scenarios and benchmarks pull from
#   skopeo, umoci        build the test images offline
#   ip (iproute2)        network namespaces of the silent-network-cut specs
#   jq, curl, openssl    the scenario and benchmark scripts
#   chromium, chromedriver  the headless browser (and its WebDriver) of the live page's spec;
#                        only with LL_WITH_BROWSER=1 (scripts/test.sh and .ci/run set it)
ll__package_commands() {
  printf '%s\n' containerd:containerd ctr:containerd docker-registry:docker-registry \
    skopeo:skopeo umoci:umoci ip:iproute2 jq:jq curl:curl openssl:openssl
  if [[ "${LL_WITH_BROWSER:-0}" == 1 ]]; then
    printf '%s\n' chromium:chromium chromedriver:chromium-driver
  fi
}

ll__packages_msg() { printf '[packages] %s\n' "$*" >&2; }

ll_missing_packages() {
  local pair cmd pkg
  local -a pkgs=()
  while IFS= read -r pair; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1; then
      case " ${pkgs[*]-} " in *" $pkg "*) ;; *) pkgs+=("$pkg") ;; esac
    fi
  done < <(ll__package_commands)
  # busybox-static puts a real /bin/busybox in the test images; best effort (only if apt knows it).
  if [[ "${LL_WITH_BUSYBOX:-1}" != 0 && ! -x /bin/busybox ]] &&
     ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
    local candidate
    candidate=$(apt-cache policy busybox-static 2>/dev/null | awk '/Candidate:/ {print $2}') || true
    if [[ -n "$candidate" && "$candidate" != "(none)" ]]; then pkgs+=(busybox-static); fi
  fi
  [[ ${#pkgs[@]} -eq 0 ]] || printf '%s\n' "${pkgs[@]}"
}

# True when apt has package lists to install from (a fresh container or debootstrap has none
# until its first apt-get update).
ll__apt_has_lists() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

ll_install_missing() {
  local -a pkgs sudo=()
  mapfile -t pkgs < <(ll_missing_packages)
  [[ ${#pkgs[@]} -eq 0 ]] && return 0
  if [[ "${LL_DRY_RUN:-0}" == 1 ]]; then
    ll__packages_msg "would install: ${pkgs[*]}"
    if ! ll__apt_has_lists; then
      ll__packages_msg "apt has no package lists yet: a real run runs apt-get update first (and may add busybox-static)"
      return 0
    fi
    apt-get install --simulate --no-install-recommends "${pkgs[@]}" >&2 ||
      { ll__packages_msg "ERROR: apt-get cannot install ${pkgs[*]}"; return 1; }
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 ||
      { ll__packages_msg "ERROR: missing packages (${pkgs[*]}): run as root, or install sudo"; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
    { ll__packages_msg "ERROR: apt-get update failed"; return 1; }
  # Asked again now that apt knows what it can install (busybox-static is offered only then).
  mapfile -t pkgs < <(ll_missing_packages)
  ll__packages_msg "installing: ${pkgs[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null ||
    { ll__packages_msg "ERROR: apt-get install ${pkgs[*]} failed"; return 1; }
  local pair
  while IFS= read -r pair; do
    command -v "${pair%%:*}" >/dev/null 2>&1 ||
      { ll__packages_msg "ERROR: ${pair%%:*} still missing after installing ${pair#*:}"; return 1; }
  done < <(ll__package_commands)
}
