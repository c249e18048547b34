#!/bin/sh
# Container entrypoint: on first start, copy the default config.yaml into
# the /config volume (as the prototype did, and as `plexstaffai up` does
# with its data directory), then run the given service.
# Several services start at once: copy to a temporary name, then link it
# into place. link(2) fails when config.yaml exists, so a user's file (or
# another container's copy) is never overwritten, and nobody reads a
# half-written file. Mode 0640, like the launcher's copy. Services reload
# the file when it changes, so edits need no restart.
set -eu
dest=/config/config.yaml
if [ ! -e "$dest" ] && [ -w /config ]; then
    tmp="/config/.config.yaml.$$"
    cp /usr/share/plexstaffai/config.yaml "$tmp"
    chmod 0640 "$tmp"
    # Filesystems without hard links: mv -n never overwrites either (it
    # only has a tiny window between its check and the rename).
    ln "$tmp" "$dest" 2>/dev/null || [ -e "$dest" ] || mv -n "$tmp" "$dest"
    rm -f "$tmp"
fi
exec "$@"
