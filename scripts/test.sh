#!/usr/bin/env bash
# The test command: installs the Debian packages the specs need when they are missing
# (scripts/lib/packages.sh: containerd, docker-registry, skopeo, umoci, iproute2, …), then runs
# `dotnet test LayerLock.slnx -c Release` with any further arguments passed on. Run it as root
# (containerd and network namespaces need it), on Debian 12 with the .NET 10 SDK:
#
#   sudo scripts/test.sh [--dry-run] [dotnet test arguments…]
#
#   --dry-run   show what would be installed (apt-get --simulate) and the dotnet test command;
#               change nothing, run nothing
#
# Exits with dotnet test's status; 2 if the .NET SDK is missing, 1 if installing failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/packages.sh
source "$root/scripts/lib/packages.sh"

dry_run=0
arguments=()
for argument in "$@"; do
  if [ "$argument" = "--dry-run" ]; then dry_run=1; else arguments+=("$argument"); fi
done

command -v dotnet >/dev/null 2>&1 || {
  echo "test: the .NET 10 SDK (dotnet) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 2
}
LL_WITH_BROWSER=1 LL_DRY_RUN=$dry_run ll_install_missing || { echo "test: installing the missing packages failed (see above)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || echo "test: not root: the specs that start containerd or network namespaces will fail; run sudo $0" >&2

command=(dotnet test "$root/LayerLock.slnx" -c Release "${arguments[@]}")
if [ "$dry_run" -eq 1 ]; then
  echo "test: would run: $(printf '%q ' "${command[@]}")"
  exit 0
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
exec "${command[@]}"
