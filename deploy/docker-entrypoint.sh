#!/bin/sh
# Container entrypoint: on first start, copy the default config.yaml into
# the /config volume (as the prototype did), then run the given service.
# Several services start at once: copy to a temporary name and rename, so
# nobody reads a half-written file and nobody overwrites a user's file.
set -eu
if [ ! -e /config/config.yaml ] && [ -w /config ]; then
    tmp="/config/.config.yaml.$$"
    cp /usr/share/plexstaffai/config.yaml "$tmp"
    if [ ! -e /config/config.yaml ]; then
        mv "$tmp" /config/config.yaml
    else
        rm -f "$tmp"
    fi
fi
exec "$@"
