/*  token - `plexstaffai token create`: an API token for scripts and CI.

    Run by the admin on the host that holds the data directory: it opens
    the gateway's moderation.db through the gateway's own store and auth
    modules (SQLite WAL makes that safe next to a running gateway), so a
    token can be made before anyone has logged in. The token is printed
    once; only its keyed hash is stored.                                  */
#ifndef TOKEN_H_INCLUDED
#define TOKEN_H_INCLUDED

#include <stdio.h>

/* Creates a token named `name` with `role` (viewer, staff or admin) in
   data_dir. Prints it to out; problems to errout. Returns the exit code:
   0, 1 on a bad role, 3 when the database cannot be used. */
int token_create(const char *data_dir, const char *name, const char *role,
                 FILE *out, FILE *errout);

#endif
