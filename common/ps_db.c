/*  ps_db - see ps_db.h.                                                   */
#include "ps_db.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int
ps_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) == SQLITE_OK)
        return 0;
    snprintf(err, errlen, "%s", message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return -1;
}

static int
s_user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL)
            == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW) {
        *version = sqlite3_column_int(stmt, 0);
        rc = 0;
    }
    sqlite3_finalize(stmt);
    return rc;
}

sqlite3 *
ps_db_open(const char *path, const char *const *migrations, size_t count,
           char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            | SQLITE_OPEN_NOMUTEX,
                        NULL)
        != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(db, 5000);
    if (ps_db_exec(db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "PRAGMA foreign_keys=ON;",
                   err, errlen)
        != 0)
        goto fail;
    int version = 0;
    if (s_user_version(db, &version) != 0) {
        snprintf(err, errlen, "cannot read the schema version of %s: %s", path,
                 sqlite3_errmsg(db));
        goto fail;
    }
    if ((size_t)version > count) {
        snprintf(err, errlen,
                 "%s has schema version %d, newer than this program's %zu: "
                 "refusing to touch it",
                 path, version, count);
        goto fail;
    }
    for (size_t i = (size_t)version; i < count; i++) {
        char sql[64];
        char why[256];
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%zu; COMMIT;", i + 1);
        if (ps_db_exec(db, "BEGIN IMMEDIATE", why, sizeof(why)) != 0
            || ps_db_exec(db, migrations[i], why, sizeof(why)) != 0
            || ps_db_exec(db, sql, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "migration %zu of %s failed: %s", i + 1, path,
                     why);
            ps_db_exec(db, "ROLLBACK", why, sizeof(why));
            goto fail;
        }
    }
    return db;
fail:
    sqlite3_close_v2(db);
    return NULL;
}

int
ps_db_mkdirs(const char *path)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(buf, 0750) == 0 || errno == EEXIST) ? 0 : -1;
}
