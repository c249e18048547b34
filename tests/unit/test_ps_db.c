/*  test_ps_db - SQLite opening, WAL and user_version migrations.          */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[256];  /* mkdtemp directory */
    char path[300]; /* database file inside it */
} s_fixture_t;

static int
s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_ps_db.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fixture_t *f = *state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int
s_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int value = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

static void
s_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
}

static const char *const s_migrations[] = {
    "CREATE TABLE decisions (id INTEGER PRIMARY KEY, outcome TEXT);",
    "ALTER TABLE decisions ADD COLUMN score REAL;"
    "INSERT INTO decisions (outcome, score) VALUES ('approve', 0.9);",
    "CREATE TABLE usage (id INTEGER PRIMARY KEY, tokens INTEGER);",
};

static void
test_ps_db_migrations_apply_in_order_once(void **state)
{
    s_fixture_t *f = *state;
    char err[512] = "";
    sqlite3 *db = ps_db_open(f->path, s_migrations, 2, err, sizeof(err));
    assert_non_null(db);
    assert_string_equal(err, "");
    assert_int_equal(s_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(s_int(db, "SELECT count(*) FROM decisions"), 1);
    sqlite3_close_v2(db);

    /* Reopening applies nothing again (a second run of migration 2 would
       add a duplicate column and fail). */
    db = ps_db_open(f->path, s_migrations, 2, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(s_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(s_int(db, "SELECT count(*) FROM decisions"), 1);
    sqlite3_close_v2(db);

    /* A newer program applies only the new one. */
    db = ps_db_open(f->path, s_migrations, 3, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(s_int(db, "PRAGMA user_version"), 3);
    assert_int_equal(s_int(db, "SELECT count(*) FROM decisions"), 1);
    assert_int_equal(s_int(db, "SELECT count(*) FROM usage"), 0);
    sqlite3_close_v2(db);
}

static void
test_ps_db_wal_and_settings(void **state)
{
    s_fixture_t *f = *state;
    char err[512] = "";
    sqlite3 *db = ps_db_open(f->path, s_migrations, 1, err, sizeof(err));
    assert_non_null(db);
    char mode[32];
    s_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
    assert_string_equal(mode, "wal");
    assert_int_equal(s_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(s_int(db, "PRAGMA foreign_keys"), 1);
    sqlite3_close_v2(db);
}

static void
test_ps_db_failing_migration_rolls_back(void **state)
{
    s_fixture_t *f = *state;
    static const char *const broken[] = {
        "CREATE TABLE decisions (id INTEGER PRIMARY KEY);",
        "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);",
    };
    char err[512] = "";
    sqlite3 *db = ps_db_open(f->path, broken, 2, err, sizeof(err));
    assert_null(db);
    char want[600];
    snprintf(want, sizeof(want),
             "migration 2 of %s failed: no such table: nowhere", f->path);
    assert_string_equal(err, want);

    /* Migration 1 committed, migration 2 left nothing behind. */
    db = ps_db_open(f->path, broken, 1, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(s_int(db, "PRAGMA user_version"), 1);
    assert_int_equal(
        s_int(db, "SELECT count(*) FROM sqlite_master WHERE name='half'"), 0);
    assert_int_equal(
        s_int(db, "SELECT count(*) FROM sqlite_master WHERE name='decisions'"),
        1);
    sqlite3_close_v2(db);
}

static void
test_ps_db_refuses_newer_schema(void **state)
{
    s_fixture_t *f = *state;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(raw, "PRAGMA user_version=5", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);
    char err[512] = "";
    assert_null(ps_db_open(f->path, s_migrations, 2, err, sizeof(err)));
    char want[600];
    snprintf(want, sizeof(want),
             "%s has schema version 5, newer than this program's 2: "
             "refusing to touch it",
             f->path);
    assert_string_equal(err, want);
    /* Untouched. */
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(s_int(raw, "PRAGMA user_version"), 5);
    assert_int_equal(
        s_int(raw, "SELECT count(*) FROM sqlite_master WHERE type='table'"), 0);
    sqlite3_close(raw);
}

static void
test_ps_db_open_failure_names_path(void **state)
{
    s_fixture_t *f = *state;
    char path[400];
    snprintf(path, sizeof(path), "%s/missing/dir/test.db", f->dir);
    char err[512] = "";
    assert_null(ps_db_open(path, s_migrations, 1, err, sizeof(err)));
    char want[450];
    snprintf(want, sizeof(want), "cannot open %s: ", path);
    assert_memory_equal(err, want, strlen(want));
}

static void
test_ps_db_exec_reports_error(void **state)
{
    s_fixture_t *f = *state;
    char err[512] = "";
    sqlite3 *db = ps_db_open(f->path, NULL, 0, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(ps_db_exec(db, "CREATE TABLE t (x)", err, sizeof(err)), 0);
    assert_int_equal(
        ps_db_exec(db, "INSERT INTO t VALUES (1)", err, sizeof(err)), 0);
    assert_int_equal(ps_db_exec(db, "SELEKT 1", err, sizeof(err)), -1);
    assert_string_equal(err, "near \"SELEKT\": syntax error");
    assert_int_equal(s_int(db, "SELECT x FROM t"), 1);
    sqlite3_close_v2(db);
}

static void
test_ps_db_mkdirs(void **state)
{
    s_fixture_t *f = *state;
    char path[400];
    snprintf(path, sizeof(path), "%s/a/b/c", f->dir);
    mode_t old_mask = umask(022);
    assert_int_equal(ps_db_mkdirs(path), 0);
    umask(old_mask);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0750);
    /* Existing is fine. */
    assert_int_equal(ps_db_mkdirs(path), 0);
    /* A file in the way is not. */
    char file[450];
    snprintf(file, sizeof(file), "%s/plain", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/plain/sub", f->dir);
    assert_int_equal(ps_db_mkdirs(path), -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ps_db_migrations_apply_in_order_once),
        T(test_ps_db_wal_and_settings),
        T(test_ps_db_failing_migration_rolls_back),
        T(test_ps_db_refuses_newer_schema),
        T(test_ps_db_open_failure_names_path),
        T(test_ps_db_exec_reports_error),
        T(test_ps_db_mkdirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
