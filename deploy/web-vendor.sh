#!/usr/bin/env bash
# web-vendor.sh - installs the pinned front-end libraries (package-lock.json)
# and copies the files the dashboard loads into web/vendor/, so the gateway
# serves them itself: the dashboard works on a LAN with no internet.
# `npm ci` runs only when node_modules is missing or older than the lockfile.
# Install scripts never run (swagger-ui-dist's analytics hook included).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    touch node_modules
fi

vendor=web/vendor
mkdir -p "$vendor"
# source file -> name served under /vendor/
files=(
    node_modules/swagger-ui-dist/swagger-ui-bundle.js:swagger-ui-bundle.js
    node_modules/swagger-ui-dist/swagger-ui.css:swagger-ui.css
    node_modules/chart.js/dist/chart.umd.min.js:chart.umd.min.js
)
for pair in "${files[@]}"; do
    source="${pair%%:*}"
    target="$vendor/${pair##*:}"
    if [[ ! -f "$target" || "$source" -nt "$target" ]]; then
        cp "$source" "$target"
    fi
done
