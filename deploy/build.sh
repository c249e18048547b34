#!/usr/bin/env bash
# build.sh - configure and build everything with CMake, on every core.
#   deploy/build.sh              -> build/       (RelWithDebInfo)
#   deploy/build.sh --sanitize   -> build-asan/  (AddressSanitizer + UBSan)
#   deploy/build.sh --release    -> Release flags
#   deploy/build.sh --werror     -> warnings are errors (implied by CI=true)
#   deploy/build.sh --build-dir DIR  build somewhere else
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_type=RelWithDebInfo
werror=OFF
dir=""
if [[ "${CI:-}" == true ]]; then
    werror=ON
fi
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sanitize) sanitize=ON ;;
        --release) build_type=Release ;;
        --werror) werror=ON ;;
        --build-dir)
            [[ $# -ge 2 ]] || { echo "build.sh: --build-dir needs a value" >&2; exit 2; }
            dir="$2"
            shift
            ;;
        -h | --help)
            sed -n '2,7s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            echo "build.sh: unknown option $1" >&2
            exit 2
            ;;
    esac
    shift
done
if [[ -z "$dir" ]]; then
    if [[ "$sanitize" == ON ]]; then dir=build-asan; else dir=build; fi
fi

# The dashboard's front-end libraries (npm, pinned) into web/vendor.
./deploy/web-vendor.sh

# Every option is passed explicitly, so a cached value from an earlier
# run never changes what this run builds.
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$build_type" \
    -DPS_SANITIZE="$sanitize" -DPS_WERROR="$werror" >/dev/null
cmake --build "$dir" -j "$(nproc)"
