#!/usr/bin/env bash
# up.sh - one command to see PlexStaffAI work: installs what is missing,
# builds, and starts the whole stack with `plexstaffai up` (Ctrl-C stops
# it). With no Overseerr configured (OVERSEERR_API_URL or overseerr.url)
# it runs the bundled Overseerr and LLM simulators: demo mode.
# Uses ./config.yaml when present; the databases go to ./data unless
# data_dir or PLEXSTAFFAI_DATA_DIR says otherwise. Arguments are passed to
# `plexstaffai up` (--judges N, --data-dir DIR, --config PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
./deploy/build.sh

args=("$@")
has_config=false
for arg in "$@"; do
    [[ "$arg" == --config ]] && has_config=true
done
if [[ "$has_config" == false && -f config.yaml ]]; then
    args=(--config config.yaml "${args[@]}")
fi
exec build/bin/plexstaffai up "${args[@]}"
