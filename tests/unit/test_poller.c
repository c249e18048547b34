/*  test_poller - the poller's pure parts: MediaRequest JSON -> ps_work_t
    on the contract fixtures, and the pager against a simulated pending
    list that shifts while decisions are applied (DESIGN.md "Things that
    bite"). No sockets, no HTTP: the pager takes a page-fetch callback.   */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "poller.h"
#include "ps_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *
s_fixture(const char *name)
{
    const char *dir = getenv("PS_FIXTURES");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", name);
    json_error_t error;
    json_t *json = json_load_file(path, 0, &error);
    if (!json)
        fail_msg("cannot load %s: %s", path, error.text);
    return json;
}

static void
test_poller_convert_list_fixture(void **state)
{
    (void)state;
    json_t *list = s_fixture("request_list_pending.json");
    json_t *results = json_object_get(list, "results");
    assert_int_equal(json_array_size(results), 3);
    char err[256];
    ps_work_t *work = NULL;

    assert_int_equal(poller_request_from_json(json_array_get(results, 0),
                                              "scan", &work, err, sizeof(err)),
                     0);
    assert_string_equal(work->type, "request");
    assert_int_equal(work->request_id, 148);
    assert_string_equal(work->media_type, "movie");
    assert_int_equal(work->tmdb_id, 693134);
    assert_true(work->is4k);
    assert_null(work->seasons);
    assert_string_equal(work->trigger, "scan");
    assert_int_equal(work->user_id, 7);
    assert_string_equal(work->user_name, "kimnguyen");
    assert_null(work->user_username);
    assert_string_equal(work->user_plex, "kimnguyen");
    assert_string_equal(work->user_email, "k.nguyen@example.net");
    assert_int_equal(work->user_requests, 41);
    int64_t ms = 0;
    assert_int_equal(ps_time_parse_iso("2023-08-21T10:15:00.000Z", &ms), 0);
    assert_int_equal(work->user_created_at, ms);
    assert_int_equal(ps_time_parse_iso("2025-06-14T18:40:02.000Z", &ms), 0);
    assert_int_equal(work->requested_at, ms);
    ps_work_destroy(&work);

    assert_int_equal(poller_request_from_json(json_array_get(results, 1),
                                              "scan", &work, err, sizeof(err)),
                     0);
    assert_int_equal(work->request_id, 147);
    assert_string_equal(work->media_type, "tv");
    assert_int_equal(work->tmdb_id, 1399);
    assert_false(work->is4k);
    assert_int_equal(work->season_count, 2);
    assert_int_equal(work->seasons[0], 1);
    assert_int_equal(work->seasons[1], 2);
    ps_work_destroy(&work);
    json_decref(list);
}

static void
test_poller_convert_single_fixture(void **state)
{
    (void)state;
    json_t *request = s_fixture("request_movie.json");
    char err[256];
    ps_work_t *work = NULL;
    assert_int_equal(
        poller_request_from_json(request, "webhook", &work, err, sizeof(err)),
        0);
    assert_int_equal(work->request_id, 146);
    assert_string_equal(work->media_type, "movie");
    assert_int_equal(work->tmdb_id, 603);
    assert_string_equal(work->trigger, "webhook");
    assert_int_equal(work->user_id, 3);
    assert_string_equal(work->user_name, "mariedubois");
    assert_string_equal(work->user_plex, "mariedubois");
    assert_int_equal(work->user_requests, 12);
    assert_true(work->user_created_at > 0);
    /* It survives the wire. */
    zmsg_t *msg = ps_work_encode(work);
    assert_non_null(msg);
    ps_work_t *copy = NULL;
    assert_int_equal(ps_work_decode(zmsg_first(msg), &copy, err, sizeof(err)),
                     0);
    assert_int_equal(copy->tmdb_id, 603);
    assert_string_equal(copy->user_email, work->user_email);
    ps_work_destroy(&copy);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
    json_decref(request);
}

static void
s_expect_error(const char *text, const char *field)
{
    json_error_t error;
    json_t *json = json_loads(text, 0, &error);
    assert_non_null(json);
    char err[256] = "";
    ps_work_t *work = NULL;
    assert_int_equal(
        poller_request_from_json(json, "scan", &work, err, sizeof(err)), -1);
    assert_null(work);
    if (!strstr(err, field))
        fail_msg("error \"%s\" does not name %s", err, field);
    json_decref(json);
}

static void
test_poller_convert_errors_name_field(void **state)
{
    (void)state;
    s_expect_error("{\"type\":\"movie\",\"media\":{\"tmdbId\":1}}", "`id`");
    s_expect_error("{\"id\":\"x\",\"type\":\"movie\"}", "`id`");
    s_expect_error("{\"id\":5,\"media\":{\"tmdbId\":1}}", "`type`");
    s_expect_error("{\"id\":5,\"type\":\"music\",\"media\":{\"tmdbId\":1}}",
                   "`type`");
    s_expect_error("{\"id\":5,\"type\":\"tv\"}", "`media.tmdbId`");
    s_expect_error("{\"id\":5,\"type\":\"tv\",\"media\":null}",
                   "`media.tmdbId`");
    s_expect_error("[1,2]", "object");
}

static void
test_poller_convert_tolerates_odd_optionals(void **state)
{
    (void)state;
    const char *text =
        "{\"id\":9,\"type\":\"tv\",\"media\":{\"tmdbId\":\"77\"},"
        "\"is4k\":null,\"createdAt\":42,\"seasons\":[{\"x\":1},"
        "{\"seasonNumber\":3},7],\"requestedBy\":{\"id\":\"no\","
        "\"displayName\":null,\"email\":5,\"requestCount\":[]}}";
    json_t *json = json_loads(text, 0, NULL);
    assert_non_null(json);
    char err[256];
    ps_work_t *work = NULL;
    assert_int_equal(
        poller_request_from_json(json, "rejudge", &work, err, sizeof(err)), 0);
    assert_int_equal(work->tmdb_id, 77);
    assert_false(work->is4k);
    assert_int_equal(work->requested_at, 0);
    assert_int_equal(work->season_count, 1);
    assert_int_equal(work->seasons[0], 3);
    assert_int_equal(work->user_id, 0);
    assert_null(work->user_name);
    assert_null(work->user_email);
    ps_work_destroy(&work);
    json_decref(json);
}

/* A pending list that shifts: sorted newest first like sort=added, and
   between two page fetches `decide_per_fetch` requests the pipeline
   already received are decided (they leave the list). */
typedef struct {
    int64_t *pending;     /* ids still pending, newest first */
    size_t pending_count; /* entries in pending */
    int *delivered;       /* times each id reached fresh(), by index */
    int64_t *order;       /* delivered ids in delivery order */
    size_t order_count;   /* entries in order */
    size_t decided_upto;  /* order[] entries already decided */
    int decide_per_fetch; /* shift per fetch */
    int fetches;          /* fetch calls */
    int fail_at_fetch;    /* fetch number that fails, 0 = never */
    int fail_at_fresh;    /* fresh number that fails, 0 = never */
    int freshes;          /* fresh calls */
    int grow_per_fetch;   /* new ids appearing per fetch */
    int64_t next_new_id;  /* next id to appear */
} s_list_t;

#define S_BASE_ID 1000
#define S_MAX_IDS 4096

static void
s_list_init(s_list_t *list, size_t count, int decide_per_fetch)
{
    memset(list, 0, sizeof(*list));
    list->pending = calloc(S_MAX_IDS, sizeof(*list->pending));
    list->delivered = calloc(S_MAX_IDS, sizeof(*list->delivered));
    list->order = calloc(S_MAX_IDS, sizeof(*list->order));
    for (size_t i = 0; i < count; i++)
        list->pending[i] = S_BASE_ID + (int64_t)(count - i);
    list->pending_count = count;
    list->decide_per_fetch = decide_per_fetch;
    list->next_new_id = S_BASE_ID + (int64_t)count + 1;
}

static void
s_list_free(s_list_t *list)
{
    free(list->pending);
    free(list->delivered);
    free(list->order);
}

static void
s_list_remove(s_list_t *list, int64_t id)
{
    for (size_t i = 0; i < list->pending_count; i++) {
        if (list->pending[i] == id) {
            memmove(&list->pending[i], &list->pending[i + 1],
                    (list->pending_count - i - 1) * sizeof(int64_t));
            list->pending_count--;
            return;
        }
    }
}

static int
s_fetch(void *arg, int64_t skip, int64_t take, json_t **page)
{
    s_list_t *list = arg;
    list->fetches++;
    if (list->fail_at_fetch && list->fetches == list->fail_at_fetch)
        return -1;
    /* Decisions land between two fetches. */
    for (int i = 0;
         i < list->decide_per_fetch && list->decided_upto < list->order_count;
         i++)
        s_list_remove(list, list->order[list->decided_upto++]);
    for (int i = 0; i < list->grow_per_fetch; i++) {
        memmove(&list->pending[1], &list->pending[0],
                list->pending_count * sizeof(int64_t));
        list->pending[0] = list->next_new_id++;
        list->pending_count++;
    }
    json_t *results = json_array();
    for (int64_t i = skip; i < skip + take && i < (int64_t)list->pending_count;
         i++) {
        int64_t id = list->pending[i];
        json_array_append_new(results, json_pack("{s:I, s:i, s:s, s:{s:I}}",
                                                 "id", (json_int_t)id, "status",
                                                 1, "type", "movie", "media",
                                                 "tmdbId", (json_int_t)id));
    }
    *page = json_pack("{s:{s:I}, s:o}", "pageInfo", "results",
                      (json_int_t)list->pending_count, "results", results);
    return 0;
}

static int
s_fresh(void *arg, const json_t *fresh)
{
    s_list_t *list = arg;
    list->freshes++;
    if (list->fail_at_fresh && list->freshes == list->fail_at_fresh)
        return -1;
    size_t index;
    const json_t *item;
    json_array_foreach(fresh, index, item)
    {
        int64_t id = json_integer_value(json_object_get(item, "id"));
        list->delivered[id - S_BASE_ID]++;
        list->order[list->order_count++] = id;
    }
    return 0;
}

static void
test_poller_pager_shifting_list_misses_nothing(void **state)
{
    (void)state;
    s_list_t list;
    s_list_init(&list, 120, 10);
    poller_pager_t *pager = poller_pager_new();
    assert_non_null(pager);
    assert_int_equal(
        poller_pager_run(pager, 20, POLLER_MAX_PASSES, s_fetch, s_fresh, &list),
        0);
    for (int64_t id = S_BASE_ID + 1; id <= S_BASE_ID + 120; id++) {
        if (list.delivered[id - S_BASE_ID] != 1)
            fail_msg("id %lld delivered %d times", (long long)id,
                     list.delivered[id - S_BASE_ID]);
    }
    size_t count = 0;
    poller_pager_ids(pager, &count);
    assert_int_equal(count, 120);
    /* One pass is not enough on a shifting list, and the last pass saw
       nothing new. */
    assert_true(poller_pager_passes(pager) >= 2);
    assert_false(poller_pager_capped(pager));

    /* The simulation really shifts: a single pass misses requests. */
    s_list_t once;
    s_list_init(&once, 120, 10);
    assert_int_equal(poller_pager_run(pager, 20, 1, s_fetch, s_fresh, &once),
                     0);
    assert_true(once.order_count < 120);
    assert_true(poller_pager_capped(pager));
    s_list_free(&once);

    /* A second run starts from an empty seen set. */
    s_list_t again;
    s_list_init(&again, 30, 0);
    assert_int_equal(
        poller_pager_run(pager, 7, POLLER_MAX_PASSES, s_fetch, s_fresh, &again),
        0);
    poller_pager_ids(pager, &count);
    assert_int_equal(count, 30);
    assert_int_equal(poller_pager_passes(pager), 2);
    poller_pager_destroy(&pager);
    poller_pager_destroy(&pager);
    assert_null(pager);
    poller_pager_destroy(NULL);
    s_list_free(&list);
    s_list_free(&again);
}

static void
test_poller_pager_empty_and_failures(void **state)
{
    (void)state;
    poller_pager_t *pager = poller_pager_new();
    s_list_t list;
    s_list_init(&list, 0, 0);
    assert_int_equal(
        poller_pager_run(pager, 20, POLLER_MAX_PASSES, s_fetch, s_fresh, &list),
        0);
    assert_int_equal(poller_pager_passes(pager), 1);
    assert_int_equal(list.freshes, 0);
    s_list_free(&list);

    s_list_init(&list, 50, 0);
    list.fail_at_fetch = 2;
    assert_int_equal(
        poller_pager_run(pager, 20, POLLER_MAX_PASSES, s_fetch, s_fresh, &list),
        -1);
    s_list_free(&list);

    s_list_init(&list, 50, 0);
    list.fail_at_fresh = 1;
    assert_int_equal(
        poller_pager_run(pager, 20, POLLER_MAX_PASSES, s_fetch, s_fresh, &list),
        -1);
    assert_int_equal(list.fetches, 1);
    s_list_free(&list);
    poller_pager_destroy(&pager);
}

static void
test_poller_pager_stops_at_pass_cap(void **state)
{
    (void)state;
    poller_pager_t *pager = poller_pager_new();
    s_list_t list;
    s_list_init(&list, 10, 0);
    list.grow_per_fetch = 3;
    assert_int_equal(poller_pager_run(pager, 5, 4, s_fetch, s_fresh, &list), 0);
    assert_int_equal(poller_pager_passes(pager), 4);
    assert_true(poller_pager_capped(pager));
    s_list_free(&list);
    poller_pager_destroy(&pager);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poller_convert_list_fixture),
        cmocka_unit_test(test_poller_convert_single_fixture),
        cmocka_unit_test(test_poller_convert_errors_name_field),
        cmocka_unit_test(test_poller_convert_tolerates_odd_optionals),
        cmocka_unit_test(test_poller_pager_shifting_list_misses_nothing),
        cmocka_unit_test(test_poller_pager_empty_and_failures),
        cmocka_unit_test(test_poller_pager_stops_at_pass_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
