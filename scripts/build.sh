#!/usr/bin/env bash
# Configure and build. BUILD_TYPE=Release (default) or Sanitize (ASan+UBSan);
# BUILD_DIR defaults to build/ (build-sanitize/ for Sanitize). Warnings are
# errors when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

type=${BUILD_TYPE:-Release}
dir=${BUILD_DIR:-build}
[[ "$type" == Sanitize && -z "${BUILD_DIR:-}" ]] && dir=build-sanitize
werror=OFF
[[ -n "${CI:-}" ]] && werror=ON

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DPS_WERROR="$werror" >/dev/null
cmake --build "$dir" -j "$(nproc)"
