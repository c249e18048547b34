/*  ps_service - what every service's main() does before its loop, and the
    watch on the configuration file that makes reloads automatic.

    Parses the common arguments (--config PATH, --log-level LEVEL,
    --version, --help), loads the configuration and prints each error as
    "file:line:column: key: message", sets the log ident and level, and
    installs the signal handling. Reload goes through the same loader: an
    invalid new file keeps the old configuration running.

    A reload is asked for in two ways, and every service loop already
    handles both through ps_signals_take_reload(): SIGHUP, and a change of
    the file given with --config. ps_service_start starts watching that
    file; ps_signals_take_reload() polls the watch. Polling (one stat(2)
    at most once a second, on the monotonic clock) rather than inotify
    keeps it portable, thread-free and indifferent to how the file was
    changed: written in place, replaced by rename (editors, sed -i,
    Kubernetes ConfigMaps), or deleted and created again. The watch
    compares device, inode, size, mtime and ctime (nanoseconds); a file
    that changed less than PS_WATCH_SETTLE_MS ago is left for the next
    check, so a half-written file is not loaded. A missing file is not a
    change: the running configuration stays until the file is back.

    The process-wide watch belongs to the thread running the service loop
    (the one calling ps_signals_take_reload); ps_watch_t objects are not
    thread-safe.                                                          */
#ifndef PS_SERVICE_H_INCLUDED
#define PS_SERVICE_H_INCLUDED

#include "ps_config.h"

#include <stdbool.h>
#include <stdint.h>

#define PS_WATCH_INTERVAL_MS 1000 /* at most one stat(2) per interval */
#define PS_WATCH_SETTLE_MS 200    /* a younger change waits a check */

/* Prepares a service named `name` from its arguments. Returns 0 and sets
   *config and *config_path (pointing into argv, may be NULL), and starts
   watching *config_path (see ps_service_config_changed); returns 1 after
   --help/--version (exit 0), 2 on bad arguments or config (exit 2),
   after printing why to stderr. */
int ps_service_start(const char *name, int argc, char **argv,
                     ps_config_t **config, const char **config_path);

/* Loads `path` again. On success replaces *config (destroying the old one)
   and returns 0; on failure logs every error, keeps *config and returns
   -1. The first error's text ("file:line:column: key: message") is copied
   to err (may be NULL). */
int ps_service_reload(const char *path, ps_config_t **config, char *err,
                      size_t errlen);

/* Watches `path` from now on, replacing any earlier watch; NULL stops
   watching. ps_service_start calls it. The path is copied. Returns 0, or
   -1 when out of memory (then nothing is watched). */
int ps_service_watch(const char *path);

/* True once per change of the watched file (false when nothing is
   watched, between checks, or while the file is missing or settling).
   ps_signals_take_reload calls it; call it from one thread only. */
bool ps_service_config_changed(void);

/* Takes the watched file as it is now as loaded, so a reload asked for
   another way (SIGHUP) is not followed by a second one for the same
   change. */
void ps_service_config_seen(void);


/*  ps_watch - one watched file: the mechanics behind ps_service_watch,
    with the clocks passed in so tests need not sleep.                   */
typedef struct ps_watch ps_watch_t;

/* Starts watching `path` (copied), taking the file as it is now as seen;
   the first check is due PS_WATCH_INTERVAL_MS after `mono_ms`. A file
   that does not exist yet is fine: its appearance is a change. Returns
   NULL when out of memory. The caller owns the watch. */
ps_watch_t *ps_watch_new(const char *path, int64_t mono_ms);

/* Frees a watch; accepts NULL and sets *self_p to NULL. */
void ps_watch_destroy(ps_watch_t **self_p);

/* Checks the file when a check is due at monotonic time `mono_ms`
   (milliseconds); `real_ms` is the wall clock (ms since the epoch) that
   file times are compared with for settling. Returns true once when the
   file differs from the one last seen and has settled; false otherwise,
   including while it is missing. */
bool ps_watch_check(ps_watch_t *self, int64_t mono_ms, int64_t real_ms);

/* Records the file as it is now as seen (see ps_service_config_seen). */
void ps_watch_sync(ps_watch_t *self);

/* The watched path. */
const char *ps_watch_path(const ps_watch_t *self);

#endif
