#!/usr/bin/env bash
# install-deps.sh - install the Debian packages PlexStaffAI needs to build,
# test and run (../shared/TOOLCHAIN.md), but only those that are missing.
# Idempotent and quiet when everything is there. Needs root, or sudo.
# PLEXSTAFFAI_SKIP_DEPS=1 skips it (a machine you manage yourself).
set -euo pipefail

packages=(
    build-essential pkg-config cmake libzmq3-dev libczmq-dev libmsgpack-dev
    libyaml-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev libssl-dev
    libcivetweb-dev civetweb libjansson-dev libsodium-dev libxgboost-dev
    liblinear-dev libcmocka-dev clang libclang-rt-14-dev valgrind wrk
    chromium docker-compose
    python3 curl jq git clang-format # integration tests, scripts, CI checks
)

if [[ "${PLEXSTAFFAI_SKIP_DEPS:-0}" == 1 ]]; then
    exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: not a Debian system; install the equivalent of:" >&2
    echo "  ${packages[*]} nodejs npm" >&2
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done
# Node.js 20 + npm may come from elsewhere (NodeSource): Debian's npm would
# conflict with it, so Debian's are installed only when npm is absent.
if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-deps: missing packages: ${missing[*]}" >&2
        echo "install-deps: run as root (or install sudo) to install them" >&2
        exit 1
    fi
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
