#!/usr/bin/env bash
# Install every Debian package Plainsight needs to build and test, and only
# those missing. Idempotent: a second run installs nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libpcap-dev libhyperscan-dev libhtp-dev libical-dev libjansson-dev libpcre2-dev
  zlib1g-dev libhiredis-dev libjemalloc-dev libcriterion-dev
  python3 python3-jsonschema tshark tcpdump tcpreplay iproute2 time redis-server
  clang libclang-rt-14-dev  # libFuzzer (scripts/fuzz.sh); the runtime is only a Recommends of clang
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Hyperscan exists only for x86-64; Vectorscan provides the same libhs elsewhere.
if [[ "$(dpkg --print-architecture)" != "amd64" ]]; then
  for i in "${!missing[@]}"; do
    [[ "${missing[$i]}" == libhyperscan-dev ]] && missing[$i]=libvectorscan-dev
  done
fi

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
