/*  test_learner - feedback.db storage and catch-up (services/learner).

    Each case gets a fresh database file in a temporary directory; the
    catch-up replies are built with the same proto functions the gateway
    uses, so no socket is needed.                                          */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learner.h"
#include "ps_control.h"
#include "ps_fact.h"

typedef struct {
    char dir[64];   /* temporary directory */
    char path[128]; /* feedback.db inside it */
} s_fixture_t;

static int
s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_learner_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/feedback.db", f->dir);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fixture_t *f = *state;
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[160];
        snprintf(path, sizeof(path), "%s%s", f->path, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static ps_event_t *
s_event(int64_t seq, const char *kind)
{
    ps_event_t *event = ps_event_new();
    event->seq = seq;
    event->kind = strdup(kind);
    event->request_id = 100 + seq;
    event->at = 1764000000000LL + seq;
    event->outcome = strdup("approve");
    event->source = strdup(strcmp(kind, "staff") == 0 ? "staff" : "ai");
    event->has_score = true;
    event->score = 0.62;
    event->inputs = strdup("{\"title\":\"Dune\"}");
    return event;
}

static int
s_store(learner_store_t *store, int64_t seq, const char *kind, bool catchup)
{
    char err[256];
    ps_event_t *event = s_event(seq, kind);
    int rc = learner_store_event(store, event, catchup, err, sizeof(err));
    ps_event_destroy(&event);
    return rc;
}

/* A catch-up reply holding the given sequence numbers (kind decision). */
static zmsg_t *
s_reply(const int64_t *seqs, size_t count, int64_t header_count)
{
    zmsg_t *reply =
        ps_catchup_reply_new(header_count, count ? seqs[count - 1] : 0);
    for (size_t i = 0; i < count; i++) {
        ps_event_t *event = s_event(seqs[i], "decision");
        zframe_t *frame = ps_event_encode(event);
        zmsg_append(reply, &frame);
        ps_event_destroy(&event);
    }
    return reply;
}

static void
test_learner_in_order_and_duplicates(void **state)
{
    s_fixture_t *f = *state;
    char err[256];
    learner_store_t *store = learner_store_new(f->path, err, sizeof(err));
    assert_non_null(store);
    assert_int_equal(learner_store_last_seq(store), 0);
    assert_int_equal(s_store(store, 1, "decision", false), 0);
    assert_int_equal(s_store(store, 2, "applied", false), 0);
    assert_int_equal(s_store(store, 3, "staff", false), 0);
    assert_int_equal(s_store(store, 4, "elsewhere", false), 0);
    assert_int_equal(learner_store_last_seq(store), 4);
    /* "applied" advances last_seq but is not feedback. */
    assert_int_equal(learner_store_count(store), 3);
    assert_int_equal(s_store(store, 3, "staff", false), 0);
    assert_int_equal(s_store(store, 1, "decision", true), 0);
    assert_int_equal(learner_store_count(store), 3);
    learner_store_destroy(&store);
    learner_store_destroy(&store);
    learner_store_destroy(NULL);
}

static void
test_learner_gap_not_advanced(void **state)
{
    s_fixture_t *f = *state;
    char err[256];
    learner_store_t *store = learner_store_new(f->path, err, sizeof(err));
    assert_int_equal(s_store(store, 1, "decision", false), 0);
    assert_int_equal(s_store(store, 3, "staff", false), LEARNER_GAP);
    assert_int_equal(learner_store_last_seq(store), 1);
    assert_int_equal(learner_store_count(store), 1);
    /* The next in-order event still goes in while the gap is pending. */
    assert_int_equal(s_store(store, 2, "decision", false), 0);
    assert_int_equal(s_store(store, 3, "staff", false), 0);
    assert_int_equal(learner_store_last_seq(store), 3);
    learner_store_destroy(&store);
}

static void
test_learner_restart_keeps_state(void **state)
{
    s_fixture_t *f = *state;
    char err[256];
    learner_store_t *store = learner_store_new(f->path, err, sizeof(err));
    for (int64_t seq = 1; seq <= 5; seq++)
        assert_int_equal(s_store(store, seq, "decision", false), 0);
    learner_store_destroy(&store);
    store = learner_store_new(f->path, err, sizeof(err));
    assert_non_null(store);
    assert_int_equal(learner_store_last_seq(store), 5);
    /* A replayed catch-up after the restart stores nothing twice. */
    int64_t seqs[] = {3, 4, 5, 6};
    zmsg_t *reply = s_reply(seqs, 4, 4);
    int64_t count = 0;
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), 0);
    zmsg_destroy(&reply);
    assert_int_equal(count, 4);
    assert_int_equal(learner_store_last_seq(store), 6);
    assert_int_equal(learner_store_count(store), 6);
    learner_store_destroy(&store);
}

static void
test_learner_catchup_fills_gap(void **state)
{
    s_fixture_t *f = *state;
    char err[256];
    learner_store_t *store = learner_store_new(f->path, err, sizeof(err));
    assert_int_equal(s_store(store, 1, "decision", false), 0);
    assert_int_equal(s_store(store, 4, "decision", false), LEARNER_GAP);
    /* The gateway's answer is authoritative: seq 3 never existed. */
    int64_t seqs[] = {2, 4, 5};
    zmsg_t *reply = s_reply(seqs, 3, 3);
    int64_t count = 0;
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), 0);
    zmsg_destroy(&reply);
    assert_int_equal(count, 3);
    assert_int_equal(learner_store_last_seq(store), 5);
    assert_int_equal(learner_store_count(store), 4);
    /* An empty page changes nothing. */
    reply = s_reply(NULL, 0, 0);
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), 0);
    zmsg_destroy(&reply);
    assert_int_equal(count, 0);
    assert_int_equal(learner_store_last_seq(store), 5);
    learner_store_destroy(&store);
}

static void
test_learner_catchup_bad_reply(void **state)
{
    s_fixture_t *f = *state;
    char err[256];
    learner_store_t *store = learner_store_new(f->path, err, sizeof(err));
    int64_t count = 0;
    /* Announces 3, carries 2: nothing is kept. */
    int64_t seqs[] = {1, 2};
    zmsg_t *reply = s_reply(seqs, 2, 3);
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "announced 3"));
    zmsg_destroy(&reply);
    assert_int_equal(learner_store_last_seq(store), 0);
    assert_int_equal(learner_store_count(store), 0);
    /* Garbage instead of an event frame. */
    reply = ps_catchup_reply_new(1, 1);
    zmsg_addmem(reply, "\x81\xa1t\xa3xyz", 7);
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), -1);
    zmsg_destroy(&reply);
    /* Wrong header. */
    reply = ps_catchup_encode(0, 500);
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), -1);
    zmsg_destroy(&reply);
    reply = zmsg_new();
    assert_int_equal(
        learner_catchup_apply(store, reply, &count, err, sizeof(err)), -1);
    zmsg_destroy(&reply);
    assert_int_equal(learner_store_last_seq(store), 0);
    assert_int_equal(s_store(store, 1, "decision", false), 0);
    learner_store_destroy(&store);
}

static void
test_learner_open_errors(void **state)
{
    (void)state;
    char err[256] = "";
    learner_store_t *store =
        learner_store_new("/nonexistent/dir/feedback.db", err, sizeof(err));
    assert_null(store);
    assert_true(strlen(err) > 0);
    assert_true(learner_kind_is_feedback("staff"));
    assert_false(learner_kind_is_feedback("applied"));
    assert_false(learner_kind_is_feedback(NULL));
}

/* A prototype feedback.db under our name is moved aside untouched, and
   ours is created; a second start finds ours and leaves it. */
static void
test_learner_keeps_prototype_aside(void **state)
{
    s_fixture_t *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE human_feedback (id INTEGER PRIMARY KEY,"
                     " request_id INTEGER, ai_decision TEXT, ai_confidence"
                     " REAL, ai_reason TEXT, human_decision TEXT,"
                     " human_reason TEXT, staff_username TEXT, request_data"
                     " JSON, timestamp DATETIME, learning_applied BOOLEAN);"
                     "INSERT INTO human_feedback (request_id, human_decision)"
                     " VALUES (7, 'APPROVED');"
                     "CREATE TABLE learned_patterns (id INTEGER PRIMARY KEY,"
                     " pattern TEXT);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    char aside[160];
    snprintf(aside, sizeof(aside), "%s/feedback.prototype.db", f->dir);
    char err[512] = "";
    assert_int_equal(learner_keep_prototype(f->path, err, sizeof(err)), 1);
    learner_store_t *store = learner_store_new(f->path, err, sizeof(err));
    assert_non_null(store);
    assert_int_equal(learner_store_count(store), 0);
    learner_store_destroy(&store);
    assert_int_equal(learner_keep_prototype(f->path, err, sizeof(err)), 0);

    /* The original still holds its row and no table of ours. */
    assert_int_equal(sqlite3_open_v2(aside, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT (SELECT COUNT(*) FROM"
                                        " human_feedback), (SELECT COUNT(*)"
                                        " FROM sqlite_master WHERE name ="
                                        " 'feedback')",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 1);
    assert_int_equal(sqlite3_column_int(stmt, 1), 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);

    /* A second prototype file with the aside name taken is refused. */
    rename(aside, f->path);
    assert_int_equal(sqlite3_open(aside, &db), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(learner_keep_prototype(f->path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "move one of them"));
    unlink(aside);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_learner_in_order_and_duplicates,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_learner_gap_not_advanced, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_learner_restart_keeps_state,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_learner_catchup_fills_gap, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_learner_catchup_bad_reply, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_learner_open_errors),
        cmocka_unit_test_setup_teardown(test_learner_keeps_prototype_aside,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
