/*  ps_db - SQLite opened the one way every owner service needs.

    WAL mode (readers never block the writer), synchronous=NORMAL (a power
    cut may lose the last transactions, never corrupt), a busy timeout so
    two connections of one owner wait instead of failing, and schema
    migrations keyed by PRAGMA user_version: migration i (0-based) moves
    the database from version i to i+1 inside one transaction, so a crash
    mid-migration leaves the old version intact.                           */
#ifndef PS_DB_H_INCLUDED
#define PS_DB_H_INCLUDED

#include <sqlite3.h>
#include <stddef.h>

/* Opens (creating) the database at path and applies the migrations the
   file has not seen yet. Returns the connection, or NULL with the reason
   in err. The caller closes it with sqlite3_close_v2. */
sqlite3 *ps_db_open(const char *path, const char *const *migrations,
                    size_t count, char *err, size_t errlen);

/* Runs SQL without results. Returns 0, or -1 with the reason in err. */
int ps_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

/* Creates a directory and its parents (mode 0750). Returns 0, or -1. */
int ps_db_mkdirs(const char *path);

#endif
