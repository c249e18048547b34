/*  test_gw_store - the authority's state machine (services/api-gateway).

    Claims, decisions, releases, applying, staff reviews and "decided
    elsewhere" against a real moderation.db in a temporary directory: the
    rules that keep a request from being judged or applied twice.         */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char path[128];
    gw_store_t *store;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_gw_store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/moderation.db", f->dir);
    char err[256];
    f->store = gw_store_open(f->path, err, sizeof(err));
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    gw_store_destroy(&f->store);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static ps_work_t *
s_decision(int64_t id, ps_outcome_t outcome)
{
    ps_work_t *w = ps_work_new("decision");
    w->request_id = id;
    w->outcome = outcome;
    ps_work_set_str(&w->media_type, "movie");
    w->tmdb_id = 1000 + id;
    ps_work_set_str(&w->title, "The Matrix");
    ps_work_set_str(&w->user_name, "kim");
    ps_work_set_str(&w->user_email, "kim@example.net");
    ps_work_set_str(&w->source, "rule");
    ps_work_set_str(&w->rule, "allowed_genre");
    ps_work_set_str(&w->explanation, "Genre Animation is always allowed");
    ps_work_add_param(w, "genre", "Animation");
    return w;
}

static void
s_claim(gw_store_t *store, int64_t id, int64_t now, size_t expect)
{
    int64_t granted[1];
    size_t count = 99;
    assert_int_equal(
        gw_store_claim(store, &id, 1, now, 60000, "poller@t", granted, &count),
        0);
    assert_int_equal(count, expect);
}

static void
s_assert_state(gw_store_t *store, int64_t id, const char *expect)
{
    char state[32];
    assert_int_equal(gw_store_state(store, id, state, sizeof(state)), 0);
    assert_string_equal(state, expect);
}

static void
test_gw_store_claim_grants_once(void **state)
{
    fixture_t *f = *state;
    int64_t ids[] = {5, 6, 7};
    int64_t granted[3];
    size_t count = 0;
    assert_int_equal(
        gw_store_claim(f->store, ids, 3, 1000, 60000, "p", granted, &count), 0);
    assert_int_equal(count, 3);
    /* A second scan while they are in flight gets nothing. */
    assert_int_equal(
        gw_store_claim(f->store, ids, 3, 2000, 60000, "p", granted, &count), 0);
    assert_int_equal(count, 0);
    /* After the lease expires, they are granted again. */
    assert_int_equal(gw_store_claim(f->store, ids, 3, 1000 + 60001, 60000, "p",
                                    granted, &count),
                     0);
    assert_int_equal(count, 3);
    s_assert_state(f->store, 5, "in_flight");
}

static void
test_gw_store_decision_recorded_once(void **state)
{
    fixture_t *f = *state;
    s_claim(f->store, 9, 1000, 1);
    ps_work_t *w = s_decision(9, PS_OUTCOME_APPROVE);
    assert_int_equal(gw_store_record_decision(f->store, w, 2000), GW_RECORD_OK);
    assert_int_equal(gw_store_record_decision(f->store, w, 2001),
                     GW_RECORD_DUPLICATE);
    w->request_id = 10;
    assert_int_equal(gw_store_record_decision(f->store, w, 2002),
                     GW_RECORD_UNKNOWN);
    ps_work_destroy(&w);
    s_assert_state(f->store, 9, "decided");
    /* Decided requests are never granted again, even after a lease. */
    s_claim(f->store, 9, 10000000, 0);

    bool found = false;
    json_t *doc = gw_store_request_json(f->store, 9, &found);
    assert_true(found);
    json_t *history = json_object_get(doc, "decisions");
    assert_int_equal(json_array_size(history), 1);
    json_t *inputs = json_object_get(json_array_get(history, 0), "inputs");
    assert_string_equal(json_string_value(json_object_get(inputs, "title")),
                        "The Matrix");
    /* The email never reaches the inputs snapshot. */
    char *text = json_dumps(doc, 0);
    assert_null(strstr(text, "kim@example.net"));
    free(text);
    json_decref(doc);
}

static void
test_gw_store_events_are_sequenced(void **state)
{
    fixture_t *f = *state;
    s_claim(f->store, 1, 1000, 1);
    s_claim(f->store, 2, 1000, 1);
    ps_work_t *a = s_decision(1, PS_OUTCOME_APPROVE);
    ps_work_t *b = s_decision(2, PS_OUTCOME_REVIEW);
    assert_int_equal(gw_store_record_decision(f->store, a, 2000), GW_RECORD_OK);
    assert_int_equal(gw_store_record_decision(f->store, b, 2001), GW_RECORD_OK);
    ps_work_destroy(&a);
    ps_work_destroy(&b);
    assert_int_equal(gw_store_last_seq(f->store), 2);
    ps_event_t **events = NULL;
    size_t count = 0;
    assert_int_equal(gw_store_events_since(f->store, 1, 100, &events, &count),
                     0);
    assert_int_equal(count, 1);
    assert_int_equal(events[0]->seq, 2);
    assert_int_equal(events[0]->request_id, 2);
    assert_string_equal(events[0]->kind, "decision");
    assert_string_equal(events[0]->outcome, "review");
    assert_string_equal(events[0]->title, "The Matrix");
    ps_event_destroy(&events[0]);
    free(events);
    s_assert_state(f->store, 2, "in_review");
}

static void
test_gw_store_apply_paths(void **state)
{
    fixture_t *f = *state;
    for (int64_t id = 1; id <= 3; id++) {
        s_claim(f->store, id, 1000, 1);
        ps_work_t *w = s_decision(id, PS_OUTCOME_DECLINE);
        assert_int_equal(gw_store_record_decision(f->store, w, 2000),
                         GW_RECORD_OK);
        ps_work_destroy(&w);
    }
    int64_t id = 0;
    ps_outcome_t outcome = PS_OUTCOME_NONE;
    assert_int_equal(gw_store_next_to_apply(f->store, 3000, &id, &outcome), 1);
    assert_int_equal(outcome, PS_OUTCOME_DECLINE);
    assert_int_equal(
        gw_store_apply_result(f->store, 1, GW_APPLY_DONE, 3, NULL, 3000, 0), 0);
    assert_int_equal(gw_store_apply_result(f->store, 2, GW_APPLY_ELSEWHERE, 2,
                                           "approved in Overseerr", 3000, 0),
                     0);
    assert_int_equal(gw_store_apply_result(f->store, 3, GW_APPLY_RETRY, -1,
                                           "HTTP 503", 3000, 9000),
                     0);
    s_assert_state(f->store, 1, "applied");
    s_assert_state(f->store, 2, "decided_elsewhere");
    s_assert_state(f->store, 3, "decided");
    /* The retry waits until its time. */
    assert_int_equal(gw_store_next_to_apply(f->store, 8999, &id, &outcome), 0);
    assert_int_equal(gw_store_next_to_apply(f->store, 9000, &id, &outcome), 1);
    assert_int_equal(id, 3);
}

static void
test_gw_store_staff_review(void **state)
{
    fixture_t *f = *state;
    s_claim(f->store, 4, 1000, 1);
    ps_work_t *w = s_decision(4, PS_OUTCOME_REVIEW);
    assert_int_equal(gw_store_record_decision(f->store, w, 2000), GW_RECORD_OK);
    ps_work_destroy(&w);
    json_t *reviews = gw_store_reviews_json(f->store);
    assert_int_equal(json_array_size(json_object_get(reviews, "reviews")), 1);
    json_decref(reviews);

    /* Two staff members click at once: only one takes it. */
    assert_int_equal(gw_store_staff_take(f->store, 4), 1);
    assert_int_equal(gw_store_staff_take(f->store, 4), 0);
    /* Overseerr was down: back in review with the error. */
    assert_int_equal(gw_store_staff_finish(f->store, 4, PS_OUTCOME_APPROVE,
                                           "staff", "", GW_APPLY_RETRY, -1,
                                           "timeout", 3000),
                     0);
    s_assert_state(f->store, 4, "in_review");
    assert_int_equal(gw_store_staff_take(f->store, 4), 1);
    assert_int_equal(gw_store_staff_finish(f->store, 4, PS_OUTCOME_APPROVE,
                                           "staff", "family favourite",
                                           GW_APPLY_DONE, 2, NULL, 4000),
                     0);
    s_assert_state(f->store, 4, "applied");
    reviews = gw_store_reviews_json(f->store);
    assert_int_equal(json_array_size(json_object_get(reviews, "reviews")), 0);
    json_decref(reviews);

    bool found = false;
    json_t *doc = gw_store_request_json(f->store, 4, &found);
    json_t *history = json_object_get(doc, "decisions");
    assert_int_equal(json_array_size(history), 2);
    json_t *last = json_array_get(history, 1);
    assert_string_equal(json_string_value(json_object_get(last, "source")),
                        "staff");
    assert_string_equal(json_string_value(json_object_get(last, "reason")),
                        "family favourite");
    json_decref(doc);

    ps_event_t **events = NULL;
    size_t count = 0;
    assert_int_equal(gw_store_events_since(f->store, 1, 10, &events, &count),
                     0);
    assert_int_equal(count, 1);
    assert_string_equal(events[0]->kind, "staff");
    assert_non_null(events[0]->inputs);
    ps_event_destroy(&events[0]);
    free(events);
}

static void
test_gw_store_elsewhere_and_open_not_seen(void **state)
{
    fixture_t *f = *state;
    for (int64_t id = 1; id <= 3; id++) {
        s_claim(f->store, id, 1000, 1);
        ps_work_t *w = s_decision(id, PS_OUTCOME_REVIEW);
        assert_int_equal(gw_store_record_decision(f->store, w, 2000),
                         GW_RECORD_OK);
        ps_work_destroy(&w);
    }
    int64_t seen[] = {2};
    int64_t *open = NULL;
    size_t count = 0;
    assert_int_equal(gw_store_open_not_seen(f->store, seen, 1, &open, &count),
                     0);
    assert_int_equal(count, 2);
    assert_int_equal(open[0], 1);
    assert_int_equal(open[1], 3);
    free(open);
    assert_int_equal(gw_store_mark_elsewhere(f->store, 1, 3, 3000), 1);
    assert_int_equal(gw_store_mark_elsewhere(f->store, 1, 3, 3001), 0);
    s_assert_state(f->store, 1, "decided_elsewhere");
    /* An unknown request is not invented. */
    assert_int_equal(gw_store_mark_elsewhere(f->store, 77, 2, 3002), 0);
    s_assert_state(f->store, 77, "");
}

static void
test_gw_store_own_echo_is_not_elsewhere(void **state)
{
    fixture_t *f = *state;
    /* Decided, about to be applied: Overseerr already shows it approved
       (our own call) and the poller reports it "not pending". */
    s_claim(f->store, 21, 1000, 1);
    ps_work_t *w = s_decision(21, PS_OUTCOME_APPROVE);
    assert_int_equal(gw_store_record_decision(f->store, w, 2000), GW_RECORD_OK);
    ps_work_destroy(&w);
    assert_int_equal(gw_store_mark_elsewhere(f->store, 21, 2, 2100), 0);
    int64_t *open = NULL;
    size_t count = 9;
    assert_int_equal(gw_store_open_not_seen(f->store, NULL, 0, &open, &count),
                     0);
    assert_int_equal(count, 0);
    free(open);
    assert_int_equal(
        gw_store_apply_result(f->store, 21, GW_APPLY_DONE, 2, NULL, 2200, 0),
        0);
    s_assert_state(f->store, 21, "applied");
    /* A request still in the pipeline is closed by the same report. */
    s_claim(f->store, 22, 1000, 1);
    assert_int_equal(gw_store_mark_elsewhere(f->store, 22, 3, 2300), 1);
    s_assert_state(f->store, 22, "decided_elsewhere");
    w = s_decision(22, PS_OUTCOME_APPROVE);
    assert_int_equal(gw_store_record_decision(f->store, w, 2400),
                     GW_RECORD_DUPLICATE);
    ps_work_destroy(&w);
}

static void
test_gw_store_release_and_rejudge(void **state)
{
    fixture_t *f = *state;
    s_claim(f->store, 8, 1000, 1);
    assert_int_equal(gw_store_release(f->store, 8, "enricher: timeout", 1500),
                     0);
    s_assert_state(f->store, 8, "released");
    s_claim(f->store, 8, 1600, 1);
    ps_work_t *w = s_decision(8, PS_OUTCOME_REVIEW);
    assert_int_equal(gw_store_record_decision(f->store, w, 2000), GW_RECORD_OK);
    ps_work_destroy(&w);
    assert_int_equal(gw_store_rejudge(f->store, 8, 3000), 1);
    s_claim(f->store, 8, 3100, 1);
    w = s_decision(8, PS_OUTCOME_APPROVE);
    assert_int_equal(gw_store_record_decision(f->store, w, 3200), GW_RECORD_OK);
    ps_work_destroy(&w);
    bool found = false;
    json_t *doc = gw_store_request_json(f->store, 8, &found);
    assert_int_equal(json_array_size(json_object_get(doc, "decisions")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "attempt")), 3);
    json_decref(doc);
    /* Rejudging something in flight is refused. */
    s_claim(f->store, 12, 1000, 1);
    assert_int_equal(gw_store_rejudge(f->store, 12, 3000), 0);
}

static void
test_gw_store_history_counts_the_user(void **state)
{
    fixture_t *f = *state;
    /* User 7: one approved last month, one declined, one in flight now. */
    s_claim(f->store, 1, 1000, 1);
    ps_work_t *w = s_decision(1, PS_OUTCOME_APPROVE);
    w->user_id = 7;
    assert_int_equal(gw_store_record_decision(f->store, w, 1500), GW_RECORD_OK);
    ps_work_destroy(&w);
    s_claim(f->store, 2, 500000, 1);
    w = s_decision(2, PS_OUTCOME_DECLINE);
    w->user_id = 7;
    assert_int_equal(gw_store_record_decision(f->store, w, 500500),
                     GW_RECORD_OK);
    ps_work_destroy(&w);
    s_claim(f->store, 3, 600000, 1);
    ps_history_t history;
    assert_int_equal(gw_store_history(f->store, 7, 3, 400000, &history), 0);
    assert_int_equal(history.user_id, 7);
    assert_int_equal(history.requests, 2); /* request 2 and this one */
    assert_int_equal(history.approved, 1);
    assert_int_equal(history.declined, 1);
    /* Another user sees none of it. */
    assert_int_equal(gw_store_history(f->store, 8, 99, 0, &history), 0);
    assert_int_equal(history.requests, 0);
    assert_int_equal(history.approved, 0);
}

static void
test_gw_store_survives_reopen(void **state)
{
    fixture_t *f = *state;
    s_claim(f->store, 3, 1000, 1);
    gw_store_destroy(&f->store);
    gw_store_destroy(&f->store);
    char err[256];
    f->store = gw_store_open(f->path, err, sizeof(err));
    assert_non_null(f->store);
    s_assert_state(f->store, 3, "in_flight");
    s_claim(f->store, 3, 2000, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gw_store_claim_grants_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_decision_recorded_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_events_are_sequenced,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_apply_paths, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_staff_review, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_gw_store_elsewhere_and_open_not_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_own_echo_is_not_elsewhere,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_release_and_rejudge,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_history_counts_the_user,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_store_survives_reopen, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
