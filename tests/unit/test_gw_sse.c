/*  test_gw_sse - the live event stream's pure parts
    (services/api-gateway/gw_sse): how events rows become SSE events, the
    frames on the wire, where a reconnecting client resumes, and the
    progress numbers a running scan shows.                               */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_sse.h"

#include <stdlib.h>
#include <string.h>

static void
test_gw_sse_frame_is_id_event_data(void **state)
{
    (void)state;
    gw_buf_t buf = {0};
    assert_int_equal(gw_sse_frame(&buf, 42, "decision", "{\"a\":1}"), 0);
    assert_string_equal(buf.data,
                        "id: 42\nevent: decision\ndata: {\"a\":1}\n\n");
    free(buf.data);
}

static void
test_gw_sse_frame_splits_line_breaks_into_data_lines(void **state)
{
    (void)state;
    gw_buf_t buf = {0};
    assert_int_equal(gw_sse_frame(&buf, 7, "x", "one\ntwo"), 0);
    assert_string_equal(buf.data, "id: 7\nevent: x\ndata: one\ndata: two\n\n");
    free(buf.data);
}

static void
test_gw_sse_buffer_grows_past_its_first_block(void **state)
{
    (void)state;
    gw_buf_t buf = {0};
    char chunk[1000];
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 50; i++)
        assert_int_equal(gw_buf_add(&buf, chunk, sizeof(chunk)), 0);
    assert_int_equal(buf.len, 50000);
    assert_true(buf.cap > buf.len);
    assert_int_equal(buf.data[buf.len], '\0');
    free(buf.data);
}

static size_t
s_types(const char *kind, const char *outcome, const char *pipeline_was,
        const char *types[2])
{
    gw_sse_event_t e = {.seq = 1,
                        .kind = kind,
                        .outcome = outcome,
                        .pipeline_was = pipeline_was};
    return gw_sse_types(&e, types);
}

static void
test_gw_sse_kinds_map_to_dashboard_events(void **state)
{
    (void)state;
    const char *types[2];
    assert_int_equal(s_types("decision", "approve", NULL, types), 1);
    assert_string_equal(types[0], "decision");
    assert_int_equal(s_types("decision", "review", NULL, types), 2);
    assert_string_equal(types[0], "decision");
    assert_string_equal(types[1], "review");
    assert_int_equal(s_types("staff", "approve", NULL, types), 1);
    assert_string_equal(types[0], "review_done");
    assert_int_equal(s_types("applied", NULL, "decline", types), 1);
    assert_string_equal(types[0], "applied");
}

static void
test_gw_sse_elsewhere_is_review_done_only_for_reviews(void **state)
{
    (void)state;
    const char *types[2];
    assert_int_equal(s_types("elsewhere", "approve", "review", types), 1);
    assert_string_equal(types[0], "review_done");
    assert_int_equal(s_types("elsewhere", "approve", "approve", types), 0);
    assert_int_equal(s_types("elsewhere", NULL, NULL, types), 0);
    assert_int_equal(s_types("something-new", NULL, NULL, types), 0);
}

static void
test_gw_sse_review_done_names_who_closed_it(void **state)
{
    (void)state;
    gw_sse_event_t staff = {.seq = 9,
                            .kind = "staff",
                            .request_id = 101,
                            .outcome = "approve",
                            .actor = "alice",
                            .reason = "fine"};
    json_t *doc = gw_sse_event_json(&staff, "review_done");
    assert_string_equal(json_string_value(json_object_get(doc, "by")), "staff");
    assert_string_equal(json_string_value(json_object_get(doc, "actor")),
                        "alice");
    assert_int_equal(json_integer_value(json_object_get(doc, "request_id")),
                     101);
    json_decref(doc);
    gw_sse_event_t elsewhere = {.seq = 10,
                                .kind = "elsewhere",
                                .request_id = 102,
                                .outcome = "decline",
                                .pipeline_was = "review"};
    doc = gw_sse_event_json(&elsewhere, "review_done");
    assert_string_equal(json_string_value(json_object_get(doc, "by")),
                        "overseerr");
    assert_true(json_is_null(json_object_get(doc, "actor")));
    json_decref(doc);
}

static void
test_gw_sse_append_event_writes_one_frame_per_type(void **state)
{
    (void)state;
    gw_buf_t buf = {0};
    gw_sse_event_t e = {.seq = 5,
                        .kind = "decision",
                        .request_id = 3,
                        .outcome = "review",
                        .title = "Line\nbreak <b>",
                        .has_score = true,
                        .score = 0.5};
    assert_int_equal(gw_sse_append_event(&buf, &e), 2);
    assert_non_null(strstr(buf.data, "id: 5\nevent: decision\ndata: {"));
    assert_non_null(strstr(buf.data, "id: 5\nevent: review\ndata: {"));
    /* JSON escapes the title's line break: one data line per frame. */
    assert_non_null(strstr(buf.data, "\"title\":\"Line\\nbreak <b>\""));
    const char *p = buf.data;
    int data_lines = 0;
    while ((p = strstr(p, "data: ")) != NULL) {
        data_lines++;
        p++;
    }
    assert_int_equal(data_lines, 2);
    free(buf.data);
}

static void
test_gw_sse_resume_prefers_the_header(void **state)
{
    (void)state;
    int64_t seq = -1;
    char err[128] = "";
    assert_int_equal(gw_sse_resume(NULL, NULL, &seq, err, sizeof(err)), 0);
    assert_int_equal(gw_sse_resume("12", "3", &seq, err, sizeof(err)), 1);
    assert_int_equal(seq, 12);
    assert_int_equal(gw_sse_resume("", "3", &seq, err, sizeof(err)), 1);
    assert_int_equal(seq, 3);
    assert_int_equal(gw_sse_resume("x1", NULL, &seq, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Last-Event-ID"));
    assert_int_equal(gw_sse_resume(NULL, "-4", &seq, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "since"));
}

static void
test_gw_progress_counts_backlog_rate_and_eta(void **state)
{
    (void)state;
    gw_progress_input_t in = {.scan_running = true,
                              .scan_done = 150,
                              .scan_total = 200,
                              .in_flight = 40,
                              .released = 10,
                              .done = 100,
                              .recent = 50,
                              .window_ms = 10000,
                              .at = 1234};
    gw_progress_t p;
    gw_progress_compute(&in, &p);
    assert_true(p.running);
    assert_int_equal(p.backlog, 40 + 10 + 50);
    assert_int_equal(p.total, 200);
    assert_int_equal(p.done, 100);
    assert_true(p.rate_per_s > 4.99 && p.rate_per_s < 5.01);
    assert_true(p.has_eta);
    assert_int_equal(p.eta_s, 20);
    json_t *doc = gw_progress_json(&p);
    assert_int_equal(json_integer_value(json_object_get(doc, "eta_s")), 20);
    assert_int_equal(json_integer_value(json_object_get(doc, "at")), 1234);
    json_decref(doc);
}

static void
test_gw_progress_idle_has_no_eta(void **state)
{
    (void)state;
    gw_progress_input_t in = {.done = 7, .window_ms = 0, .at = 1};
    gw_progress_t p;
    gw_progress_compute(&in, &p);
    assert_false(p.running);
    assert_int_equal(p.backlog, 0);
    assert_int_equal(p.total, 7);
    assert_false(p.has_eta);
    json_t *doc = gw_progress_json(&p);
    assert_true(json_is_null(json_object_get(doc, "eta_s")));
    json_decref(doc);
    /* Work waiting but nothing decided lately: no rate, no ETA. */
    in.released = 3;
    gw_progress_compute(&in, &p);
    assert_int_equal(p.backlog, 3);
    assert_false(p.has_eta);
}

static void
test_gw_progress_changed_ignores_time(void **state)
{
    (void)state;
    gw_progress_t a = {.running = true, .done = 1, .total = 5, .at = 1};
    gw_progress_t b = a;
    b.at = 99;
    b.rate_per_s = 3;
    assert_false(gw_progress_changed(&a, &b));
    b.done = 2;
    assert_true(gw_progress_changed(&a, &b));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gw_sse_frame_is_id_event_data),
        cmocka_unit_test(test_gw_sse_frame_splits_line_breaks_into_data_lines),
        cmocka_unit_test(test_gw_sse_buffer_grows_past_its_first_block),
        cmocka_unit_test(test_gw_sse_kinds_map_to_dashboard_events),
        cmocka_unit_test(test_gw_sse_elsewhere_is_review_done_only_for_reviews),
        cmocka_unit_test(test_gw_sse_review_done_names_who_closed_it),
        cmocka_unit_test(test_gw_sse_append_event_writes_one_frame_per_type),
        cmocka_unit_test(test_gw_sse_resume_prefers_the_header),
        cmocka_unit_test(test_gw_progress_counts_backlog_rate_and_eta),
        cmocka_unit_test(test_gw_progress_idle_has_no_eta),
        cmocka_unit_test(test_gw_progress_changed_ignores_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
