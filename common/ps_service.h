/*  ps_service - what every service's main() does before its loop.

    Parses the common arguments (--config PATH, --log-level LEVEL,
    --version, --help), loads the configuration and prints each error as
    "file:line:column: key: message", sets the log ident and level, and
    installs the signal handling. Reload (SIGHUP) goes through the same
    loader: an invalid new file keeps the old configuration running.      */
#ifndef PS_SERVICE_H_INCLUDED
#define PS_SERVICE_H_INCLUDED

#include "ps_config.h"

/* Prepares a service named `name` from its arguments. Returns 0 and sets
   *config and *config_path (pointing into argv, may be NULL); returns 1
   after --help/--version (exit 0), 2 on bad arguments or config (exit 2),
   after printing why to stderr. */
int ps_service_start(const char *name, int argc, char **argv,
                     ps_config_t **config, const char **config_path);

/* Loads `path` again. On success replaces *config (destroying the old one)
   and returns 0; on failure logs every error, keeps *config and returns
   -1. The first error's text is copied to err (may be NULL). */
int ps_service_reload(const char *path, ps_config_t **config, char *err,
                      size_t errlen);

#endif
