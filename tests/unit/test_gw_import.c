/*  test_gw_import - importing the prototype's moderation.db
    (services/api-gateway/gw_import) and its vocabulary (proto/ps_legacy).

    The fixture is built from the schema in contracts/prototype.md: several
    rows per request, staff changing their mind (the last manual_staff row
    wins), local and UTC timestamps, reviews pending, approved, rejected
    and stale, one without any decision, French genres and a title with
    quotes and markup. The import must keep every row, leave the original
    file byte for byte, and never run twice.                              */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_import.h"
#include "gw_store.h"
#include "ps_legacy.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TITLE_3 "L'\"Exorciste\" <b>2</b>"
#define TITLE_3_SQL "L''\"Exorciste\" <b>2</b>"

static const char s_prototype_sql[] =
    "CREATE TABLE decisions (id INTEGER PRIMARY KEY, request_id INTEGER,"
    " title TEXT, username TEXT, media_type TEXT, decision TEXT, reason TEXT,"
    " confidence REAL, rule_matched TEXT, request_data JSON,"
    " timestamp DATETIME);"
    "CREATE TABLE pending_reviews (id INTEGER PRIMARY KEY,"
    " request_id INTEGER UNIQUE, title TEXT, username TEXT, media_type TEXT,"
    " request_data JSON, ai_decision TEXT, ai_reason TEXT,"
    " ai_confidence REAL, status TEXT, created_at DATETIME);"
    /* 1: the AI sent it to review; staff approved, then rejected. */
    "INSERT INTO decisions VALUES (1, 1, 'Saw', 'alice', 'movie',"
    " 'NEEDS_REVIEW', 'Violent horror', 0.6, 'openai',"
    " '{\"title\":\"Saw\",\"media_type\":\"movie\",\"requested_by\":"
    "\"alice\",\"user_id\":4,\"genres\":[\"Horreur\",\"Thriller\"],"
    "\"rating\":6.5,\"popularity\":40.2,\"year\":2004}',"
    " '2024-01-15T10:00:00');"
    "INSERT INTO decisions VALUES (2, 1, 'Saw', 'alice', 'movie',"
    " 'APPROVED', 'ok for adults', 1.0, 'manual_staff', NULL,"
    " '2024-01-15 12:00:00');"
    "INSERT INTO decisions VALUES (3, 1, 'Saw', 'alice', 'movie',"
    " 'REJECTED', 'changed my mind', 1.0, 'manual_staff', NULL,"
    " '2024-01-15T14:30:00.123456');"
    /* 2: a rule declined it; no review. */
    "INSERT INTO decisions VALUES (4, 2, 'Bad Movie', 'bob', 'movie',"
    " 'REJECTED', 'Rating 2.1 too low', 0.95, 'low_rating',"
    " '{\"title\":\"Bad Movie\",\"rating\":\"2.1\",\"year\":\"1999\"}',"
    " '2024-01-16 08:00:00');"
    /* 3: in review, with quotes, markup and French genres. */
    "INSERT INTO decisions VALUES (5, 3, '" TITLE_3_SQL "', 'chloé',"
    " 'movie', 'NEEDS_REVIEW', 'Horreur: à vérifier', 0.55, 'ai_decision',"
    " '{\"title\":\"L''\\\"Exorciste\\\" <b>2</b>\",\"genres\":"
    "[\"Horreur\",\"Comédie\"],\"season_count\":2,\"episode_count\":20}',"
    " '2024-02-01T09:15:00');"
    /* 5: in review once, gone stale. */
    "INSERT INTO decisions VALUES (6, 5, 'Old Show', 'dan', 'tv',"
    " 'NEEDS_REVIEW', 'upcoming', 0.8, 'upcoming', NULL,"
    " '2024-02-02 10:00:00');"
    /* 7: a word outside the mapping. */
    "INSERT INTO decisions VALUES (7, 7, 'Odd', 'eve', 'movie', 'ERROR',"
    " 'LLM failed', NULL, NULL, NULL, 'not a date');"
    /* 8: the AI approved it. */
    "INSERT INTO decisions VALUES (8, 8, 'Coco', 'fay', 'movie',"
    " 'APPROVED', 'Family film', 0.9, 'openai', NULL,"
    " '2024-03-01T20:00:00+01:00');"
    "INSERT INTO pending_reviews VALUES (1, 1, 'Saw', 'alice', 'movie',"
    " NULL, 'NEEDS_REVIEW', 'Violent horror', 0.6, 'rejected',"
    " '2024-01-15T10:00:00');"
    "INSERT INTO pending_reviews VALUES (2, 3, '" TITLE_3_SQL "', 'chloé',"
    " 'movie', NULL, 'NEEDS_REVIEW', 'Horreur: à vérifier', 0.55,"
    " 'pending', '2024-02-01T09:15:00');"
    /* 4: a review the prototype wrote no decision for. */
    "INSERT INTO pending_reviews VALUES (3, 4, 'Nouvelle Vague', 'gus',"
    " 'tv', '{\"genres\":[\"Drame\"],\"year\":2025}', 'NEEDS_REVIEW',"
    " 'Série à venir', 0.7, 'pending', '2024-02-03 07:00:00');"
    "INSERT INTO pending_reviews VALUES (4, 5, 'Old Show', 'dan', 'tv',"
    " NULL, 'NEEDS_REVIEW', 'upcoming', 0.8, 'stale',"
    " '2024-02-02 10:00:00');"
    /* 6: approved in the queue, no manual_staff row. */
    "INSERT INTO pending_reviews VALUES (5, 6, 'Up', 'hal', 'movie', NULL,"
    " 'NEEDS_REVIEW', 'unsure', 0.5, 'approved', '2024-02-04 07:00:00');";

#define PROTO_DECISIONS 8
#define PROTO_REVIEWS 5

typedef struct {
    char dir[64];
    char ours[128];
    char original[128];
} fixture_t;

static char *
s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return data;
}

static int
setup(void **state)
{
    /* The prototype wrote local times: read them in Paris. */
    setenv("TZ", "Europe/Paris", 1);
    tzset();
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_gw_import.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ours, sizeof(f->ours), "%s/moderation.db", f->dir);
    snprintf(f->original, sizeof(f->original), "%s/" GW_IMPORT_ORIGINAL,
             f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->ours, &db), SQLITE_OK);
    char *message = NULL;
    int rc = sqlite3_exec(db, s_prototype_sql, NULL, NULL, &message);
    if (rc != SQLITE_OK)
        fail_msg("fixture: %s", message);
    sqlite3_close(db);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int64_t
s_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

/* "state outcome source" of a request's row and deciding decision. */
static void
s_request(sqlite3 *db, int64_t id, char *buf, size_t len)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT r.state || ' ' || r.outcome || ' ' ||"
                           " d.source FROM requests r JOIN decisions d"
                           " ON d.id = r.decision_id WHERE r.request_id = ?1",
                           -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, id);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    snprintf(buf, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
}

static void
s_expect_request(sqlite3 *db, int64_t id, const char *expected)
{
    char got[96];
    s_request(db, id, got, sizeof(got));
    assert_string_equal(got, expected);
}

static void
test_gw_import_keeps_every_row(void **state)
{
    fixture_t *f = *state;
    size_t before_len = 0;
    char *before = s_slurp(f->ours, &before_len);
    assert_true(gw_import_is_prototype(f->ours));

    gw_import_summary_t summary;
    char err[512] = "";
    int64_t now = 1800000000000;
    assert_int_equal(
        gw_import_prototype(f->dir, now, &summary, err, sizeof(err)), 0);
    assert_true(summary.ran);
    assert_int_equal(summary.decisions, PROTO_DECISIONS);
    assert_int_equal(summary.reviews, PROTO_REVIEWS);
    assert_int_equal(summary.pending, 2);
    assert_int_equal(summary.synthesized, 2); /* requests 4 and 6 */
    assert_int_equal(summary.staff, 2);
    assert_int_equal(summary.unknown_words, 1);
    assert_int_equal(summary.undated, 1);
    assert_int_equal(summary.requests, 8);
    assert_int_equal(summary.kept, 0);

    /* The original is kept aside, unchanged; ours took the name. */
    size_t after_len = 0;
    char *after = s_slurp(f->original, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(after);
    free(before);
    assert_false(gw_import_is_prototype(f->ours));
    assert_true(gw_import_is_prototype(f->original));

    gw_store_t *store = gw_store_open(f->ours, err, sizeof(err));
    assert_non_null(store);
    sqlite3 *db = gw_store_sqlite(store);
    assert_int_equal(s_int(db, "SELECT COUNT(*) FROM decisions"),
                     PROTO_DECISIONS + 2);
    assert_int_equal(s_int(db, "SELECT COUNT(*) FROM events"),
                     PROTO_DECISIONS + 2);
    assert_int_equal(s_int(db, "SELECT COUNT(*) FROM requests"), 8);
    assert_int_equal(s_int(db, "SELECT COUNT(*) FROM decisions WHERE"
                               " outcome NOT IN ('approve', 'decline',"
                               " 'review')"),
                     0);

    /* The last manual_staff row is the staff's final word. */
    s_expect_request(db, 1, "applied decline staff");
    assert_int_equal(s_int(db, "SELECT COUNT(*) FROM decisions WHERE"
                               " request_id = 1"),
                     3);
    s_expect_request(db, 2, "applied decline rule");
    s_expect_request(db, 3, "in_review review ai");
    s_expect_request(db, 4, "in_review review ai");
    s_expect_request(db, 5, "decided_elsewhere review rule");
    s_expect_request(db, 6, "applied approve staff");
    s_expect_request(db, 7, "decided_elsewhere review ai");
    s_expect_request(db, 8, "applied approve ai");

    /* Local ISO strings in TZ, CURRENT_TIMESTAMP in UTC, explicit
       offsets as written; an unreadable one gets the import time. */
    assert_int_equal(s_int(db, "SELECT decided_at FROM decisions WHERE"
                               " request_id = 1 ORDER BY id LIMIT 1"),
                     1705309200000); /* 2024-01-15T09:00:00Z */
    assert_int_equal(s_int(db, "SELECT decided_at FROM decisions WHERE"
                               " request_id = 1 ORDER BY id LIMIT 1 OFFSET 1"),
                     1705320000000); /* 2024-01-15T12:00:00Z */
    assert_int_equal(s_int(db, "SELECT decided_at FROM decisions WHERE"
                               " request_id = 1 ORDER BY id DESC LIMIT 1"),
                     1705325400123); /* 13:30:00.123Z */
    assert_int_equal(s_int(db, "SELECT decided_at FROM decisions WHERE"
                               " request_id = 8"),
                     1709319600000); /* 19:00Z */
    assert_int_equal(s_int(db, "SELECT decided_at FROM decisions WHERE"
                               " request_id = 7"),
                     now);
    assert_int_equal(s_int(db, "SELECT created_at FROM requests WHERE"
                               " request_id = 1"),
                     1705309200000);

    /* request_data became our inputs; the rule kept its name. */
    assert_int_equal(s_int(db, "SELECT json_extract(inputs, '$.user_id')"
                               " FROM decisions WHERE id = (SELECT MIN(id)"
                               " FROM decisions)"),
                     4);
    assert_int_equal(s_int(db, "SELECT json_extract(inputs, '$.year') FROM"
                               " decisions WHERE request_id = 2"),
                     1999);
    assert_int_equal(s_int(db, "SELECT rule = 'low_rating' AND"
                               " abs(score - 0.05) < 1e-9 FROM decisions"
                               " WHERE request_id = 2"),
                     1);
    assert_int_equal(s_int(db, "SELECT json_extract(inputs, '$.total_seasons')"
                               " FROM decisions WHERE request_id = 3"),
                     2);

    /* The open reviews are in our queue, title and genres intact. */
    json_t *reviews = gw_store_reviews_json(store);
    assert_non_null(reviews);
    json_t *list = json_object_get(reviews, "reviews");
    assert_int_equal(json_array_size(list), 2);
    bool seen3 = false;
    size_t i;
    json_t *review;
    json_array_foreach(list, i, review)
    {
        if (json_integer_value(json_object_get(review, "request_id")) != 3)
            continue;
        seen3 = true;
        assert_string_equal(json_string_value(json_object_get(review, "title")),
                            TITLE_3);
        json_t *genres =
            json_object_get(json_object_get(review, "inputs"), "genres");
        assert_string_equal(json_string_value(json_array_get(genres, 1)),
                            "Comédie");
        assert_string_equal(
            json_string_value(json_object_get(review, "explanation")),
            "Horreur: à vérifier");
    }
    assert_true(seen3);
    json_decref(reviews);

    /* The prototype's verdict that it may never have applied can be
       judged again; a staff member's word cannot. */
    assert_int_equal(gw_store_rejudge(store, 8, now), 1);
    s_expect_request(db, 8, "released approve ai");
    assert_int_equal(gw_store_rejudge(store, 6, now), 0);
    s_expect_request(db, 6, "applied approve staff");
    gw_store_destroy(&store);

    /* A second start imports nothing. */
    assert_int_equal(
        gw_import_prototype(f->dir, now, &summary, err, sizeof(err)), 0);
    assert_false(summary.ran);
    store = gw_store_open(f->ours, err, sizeof(err));
    assert_non_null(store);
    assert_int_equal(
        s_int(gw_store_sqlite(store), "SELECT COUNT(*) FROM decisions"),
        PROTO_DECISIONS + 2);
    assert_int_equal(
        s_int(gw_store_sqlite(store), "SELECT COUNT(*) FROM imports"), 1);
    gw_store_destroy(&store);
}

static void
test_gw_import_refuses_two_prototypes(void **state)
{
    fixture_t *f = *state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cp %s %s", f->ours, f->original);
    assert_int_equal(system(cmd), 0);
    gw_import_summary_t summary;
    char err[512] = "";
    assert_int_equal(gw_import_prototype(f->dir, 1, &summary, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "move one of them"));
    /* Neither file was touched. */
    assert_true(gw_import_is_prototype(f->ours));
    assert_true(gw_import_is_prototype(f->original));
}

static void
test_gw_import_nothing_to_do(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(unlink(f->ours), 0);
    gw_import_summary_t summary;
    char err[512] = "";
    assert_int_equal(gw_import_prototype(f->dir, 1, &summary, err, sizeof(err)),
                     0);
    assert_false(summary.ran);
    assert_int_equal(access(f->ours, F_OK), -1);
    assert_false(gw_import_is_prototype(f->ours));
}

/* An older prototype without rule_matched and request_data imports,
   those columns read as empty. */
static void
test_gw_import_older_schema(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(unlink(f->ours), 0);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->ours, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE decisions (id INTEGER PRIMARY KEY,"
                     " request_id INTEGER, title TEXT, username TEXT,"
                     " media_type TEXT, decision TEXT, reason TEXT,"
                     " confidence REAL, timestamp DATETIME);"
                     "CREATE TABLE pending_reviews (id INTEGER PRIMARY KEY,"
                     " request_id INTEGER UNIQUE, title TEXT, status TEXT,"
                     " created_at DATETIME);"
                     "INSERT INTO decisions VALUES (1, 9, 'Up', 'kim',"
                     " 'movie', 'APPROVED', 'Pixar', 0.9,"
                     " '2023-05-01 10:00:00');"
                     "INSERT INTO pending_reviews VALUES (1, 10, 'Her',"
                     " 'pending', '2023-05-02 10:00:00');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    gw_import_summary_t summary;
    char err[512] = "";
    assert_int_equal(gw_import_prototype(f->dir, 1, &summary, err, sizeof(err)),
                     0);
    assert_true(summary.ran);
    assert_int_equal(summary.decisions, 1);
    assert_int_equal(summary.reviews, 1);
    assert_int_equal(summary.pending, 1);
    gw_store_t *store = gw_store_open(f->ours, err, sizeof(err));
    assert_non_null(store);
    s_expect_request(gw_store_sqlite(store), 9, "applied approve ai");
    s_expect_request(gw_store_sqlite(store), 10, "in_review review ai");
    gw_store_destroy(&store);
}

static void
test_ps_legacy_words(void **state)
{
    (void)state;
    static const ps_outcome_t all[] = {PS_OUTCOME_APPROVE, PS_OUTCOME_DECLINE,
                                       PS_OUTCOME_REVIEW};
    for (size_t i = 0; i < 3; i++) {
        ps_outcome_t back = PS_OUTCOME_NONE;
        assert_int_equal(ps_legacy_outcome(ps_legacy_word(all[i]), &back), 0);
        assert_int_equal(back, all[i]);
    }
    assert_string_equal(ps_legacy_word(PS_OUTCOME_DECLINE), "REJECTED");
    ps_outcome_t outcome;
    assert_int_equal(ps_legacy_outcome("approved", &outcome), 0);
    assert_int_equal(outcome, PS_OUTCOME_APPROVE);
    assert_int_equal(ps_legacy_outcome("rejected", &outcome), 0);
    assert_int_equal(outcome, PS_OUTCOME_DECLINE);
    assert_int_equal(ps_legacy_outcome("stale", &outcome), -1);
    assert_int_equal(ps_legacy_outcome("decline", &outcome), -1);
    assert_int_equal(ps_legacy_outcome(NULL, &outcome), -1);
}

static void
test_ps_legacy_times(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(ps_legacy_time("2024-07-01 00:00:00", &ms), 0);
    assert_int_equal(ms, 1719792000000);
    assert_int_equal(ps_legacy_time("2024-07-01T02:00:00", &ms), 0);
    assert_int_equal(ms, 1719792000000); /* Paris, summer time */
    assert_int_equal(ps_legacy_time("2024-07-01T00:00:00.5Z", &ms), 0);
    assert_int_equal(ms, 1719792000500);
    assert_int_equal(ps_legacy_time("2024-07-01T01:30:00-01:30", &ms), 0);
    assert_int_equal(ms, 1719802800000);
    assert_int_equal(ps_legacy_time("2024-13-01 00:00:00", &ms), -1);
    assert_int_equal(ps_legacy_time("yesterday", &ms), -1);
    assert_int_equal(ps_legacy_time("2024-07-01 00:00:00 junk", &ms), -1);
    assert_int_equal(ps_legacy_time(NULL, &ms), -1);
}

static void
test_ps_legacy_request_data_round_trip(void **state)
{
    (void)state;
    json_t *data = json_pack(
        "{s:s,s:s,s:s,s:i,s:[s,s],s:f,s:f,s:i,s:i,s:i,s:s,s:s}", "title",
        "Amélie", "media_type", "movie", "requested_by", "zoé", "user_id", 9,
        "genres", "Comédie", "Romance", "rating", 7.9, "popularity", 30.5,
        "year", 2001, "episode_count", 0, "season_count", 0, "overview",
        "<i>Paris</i>", "status", "Released");
    json_t *inputs = ps_legacy_inputs(data, 42);
    assert_int_equal(json_integer_value(json_object_get(inputs, "request_id")),
                     42);
    assert_string_equal(json_string_value(json_object_get(inputs, "user_name")),
                        "zoé");
    json_t *back = ps_legacy_request_data(inputs);
    assert_true(json_equal(back, data));
    json_decref(back);
    json_decref(inputs);
    json_decref(data);
    /* Wrong types are left out, not guessed. */
    data = json_pack("{s:s,s:s,s:[i,{s:s}]}", "year", "soon", "rating", "n/a",
                     "genres", 27, "name", "Horreur");
    inputs = ps_legacy_inputs(data, 1);
    assert_null(json_object_get(inputs, "year"));
    assert_null(json_object_get(inputs, "rating"));
    assert_int_equal(json_array_size(json_object_get(inputs, "genres")), 1);
    json_decref(inputs);
    json_decref(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gw_import_keeps_every_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gw_import_refuses_two_prototypes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_import_nothing_to_do, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gw_import_older_schema, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ps_legacy_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ps_legacy_times, setup, teardown),
        cmocka_unit_test(test_ps_legacy_request_data_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
