/*  test_gw_backtest - a draft rule set replayed over recorded decisions
    (services/api-gateway/gw_backtest): raising min_rating flips exactly
    the decisions it should, and agreement with staff is counted.        */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_backtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    gw_store_t *store;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_gw_backtest.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/moderation.db", f->dir);
    char err[256];
    f->store = gw_store_open(path, err, sizeof(err));
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

/* Records a pipeline decision on a released, well-voted drama. */
static void
s_record(gw_store_t *store, int64_t id, double rating, ps_outcome_t outcome,
         const char *source, const char *rule)
{
    int64_t granted[1];
    size_t count = 0;
    assert_int_equal(
        gw_store_claim(store, &id, 1, 1000, 60000, "t", granted, &count), 0);
    assert_int_equal(count, 1);
    ps_work_t *w = ps_work_new("decision");
    w->request_id = id;
    ps_work_set_str(&w->media_type, "movie");
    w->tmdb_id = 500 + id;
    char title[32];
    snprintf(title, sizeof(title), "Film %lld", (long long)id);
    ps_work_set_str(&w->title, title);
    w->year = 2015;
    ps_work_set_str(&w->release_date, "2015-05-01");
    ps_work_set_str(&w->media_status, "Released");
    ps_work_set_str(&w->language, "en");
    w->runtime = 110;
    w->genre_ids = calloc(2, sizeof(int64_t));
    w->genre_ids[0] = 18;
    w->genres = calloc(2, sizeof(char *));
    w->genres[0] = strdup("Drama");
    w->genre_count = 1;
    w->rating = rating;
    w->votes = 1000;
    w->popularity = 40;
    w->outcome = outcome;
    ps_work_set_str(&w->source, source);
    ps_work_set_str(&w->rule, rule);
    assert_int_equal(gw_store_record_decision(store, w, 2000 + id),
                     GW_RECORD_OK);
    ps_work_destroy(&w);
}

static ps_config_t *
s_draft(const char *yaml)
{
    char path[] = "/tmp/test_gw_backtest_draft_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    ps_config_issues_t errors = {0};
    ps_config_t *config = ps_config_load(path, &errors, NULL);
    unlink(path);
    assert_int_equal(errors.count, 0);
    assert_non_null(config);
    return config;
}

static json_t *
s_change(json_t *report, int64_t request_id)
{
    json_t *changes = json_object_get(report, "changes");
    for (size_t i = 0; i < json_array_size(changes); i++) {
        json_t *c = json_array_get(changes, i);
        if (json_integer_value(json_object_get(c, "request_id")) == request_id)
            return c;
    }
    return NULL;
}

static void
test_gw_backtest_raising_min_rating(void **state)
{
    fixture_t *f = *state;
    s_record(f->store, 1, 7.0, PS_OUTCOME_APPROVE, "ai", "");
    s_record(f->store, 2, 5.5, PS_OUTCOME_DECLINE, "ai", "");
    s_record(f->store, 3, 6.5, PS_OUTCOME_REVIEW, "ai", "");
    s_record(f->store, 4, 4.0, PS_OUTCOME_DECLINE, "rule", "rating_below_min");
    s_record(f->store, 5, 6.9, PS_OUTCOME_APPROVE, "ai", "");
    /* Staff approved request 3 from the review queue. */
    assert_int_equal(gw_store_staff_take(f->store, 3), 1);
    assert_int_equal(gw_store_staff_finish(f->store, 3, PS_OUTCOME_APPROVE,
                                           "staff", "", GW_APPLY_DONE, 2, NULL,
                                           9000),
                     0);

    ps_config_t *draft = s_draft("rules:\n  min_rating: 7.0\n");
    char err[256];
    json_t *report = gw_backtest_run(f->store, draft, 100, err, sizeof(err));
    assert_non_null(report);
    assert_int_equal(json_integer_value(json_object_get(report, "total")), 5);
    /* 7.0 passes (the edge), 5.5 and 4.0 were declined already: only 6.5
       (was review) and 6.9 (was approved) flip, both by the raised
       minimum. */
    assert_int_equal(json_integer_value(json_object_get(report, "changed")), 2);
    json_t *c3 = s_change(report, 3);
    json_t *c5 = s_change(report, 5);
    assert_non_null(c3);
    assert_non_null(c5);
    assert_null(s_change(report, 1));
    assert_null(s_change(report, 2));
    assert_null(s_change(report, 4));
    assert_string_equal(json_string_value(json_object_get(c5, "before")),
                        "approve");
    assert_string_equal(json_string_value(json_object_get(c5, "after")),
                        "decline");
    assert_string_equal(json_string_value(json_object_get(c5, "after_rule")),
                        "rating_below_min");
    assert_string_equal(json_string_value(json_object_get(c3, "staff")),
                        "approve");
    json_t *rule =
        json_object_get(json_object_get(report, "by_rule"), "rating_below_min");
    assert_int_equal(json_integer_value(json_object_get(rule, "flips")), 2);
    assert_int_equal(json_integer_value(json_object_get(rule, "decides")), 4);
    json_t *agreement = json_object_get(report, "agreement");
    assert_int_equal(json_integer_value(json_object_get(agreement, "reviewed")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(agreement, "recorded")),
                     0);
    assert_int_equal(json_integer_value(json_object_get(agreement, "draft")),
                     0);
    json_decref(report);

    /* --last limits the replay to the newest decisions. */
    report = gw_backtest_run(f->store, draft, 2, err, sizeof(err));
    assert_int_equal(json_integer_value(json_object_get(report, "total")), 2);
    json_decref(report);
    ps_config_destroy(&draft);
}

static void
test_gw_backtest_lowering_lets_ai_decide(void **state)
{
    fixture_t *f = *state;
    s_record(f->store, 4, 4.0, PS_OUTCOME_DECLINE, "rule", "rating_below_min");
    ps_config_t *draft = s_draft("rules:\n  min_rating: 3.0\n");
    char err[256];
    json_t *report = gw_backtest_run(f->store, draft, 100, err, sizeof(err));
    json_t *c4 = s_change(report, 4);
    assert_non_null(c4);
    assert_string_equal(json_string_value(json_object_get(c4, "after")), "ai");
    json_decref(report);
    ps_config_destroy(&draft);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gw_backtest_raising_min_rating,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_gw_backtest_lowering_lets_ai_decide, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
