/*  test_ps_work_json - the inputs snapshot (proto/ps_work_json): a full
    record survives the round trip, the email never enters it, and a bad
    snapshot is refused naming the member.                                 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_work_json.h"

#include <stdlib.h>
#include <string.h>

static ps_work_t *
s_full_record(void)
{
    ps_work_t *w = ps_work_new("enriched");
    w->request_id = 147;
    ps_work_set_str(&w->media_type, "tv");
    w->tmdb_id = 1399;
    w->is4k = true;
    w->seasons = calloc(3, sizeof(int64_t));
    w->seasons[0] = 1;
    w->seasons[1] = 2;
    w->season_count = 2;
    w->user_id = 7;
    ps_work_set_str(&w->user_name, "thomas_r");
    ps_work_set_str(&w->user_email, "thomas.r@example.com");
    w->user_created_at = 1700000000000;
    ps_work_set_str(&w->title, "Game of Thrones");
    w->year = 2011;
    w->genre_ids = calloc(2, sizeof(int64_t));
    w->genre_ids[0] = 10765;
    w->genres = calloc(2, sizeof(char *));
    w->genres[0] = strdup("Sci-Fi & Fantasy");
    w->genre_count = 1;
    w->rating = 8.5;
    w->votes = 24618;
    w->keywords = calloc(2, sizeof(char *));
    w->keywords[0] = strdup("dragon");
    w->keyword_count = 1;
    w->certifications = calloc(3, sizeof(char *));
    w->certifications[0] = strdup("US:TV-MA");
    w->certifications[1] = strdup("FR:16");
    w->certification_count = 2;
    w->requested_episodes = 20;
    w->has_quota = true;
    w->quota_tv_limit = 20;
    w->quota_tv_used = 20;
    w->quota_tv_days = 7;
    return w;
}

static void
test_ps_work_json_round_trip(void **state)
{
    (void)state;
    ps_work_t *w = s_full_record();
    json_t *json = ps_work_to_json(w);
    assert_non_null(json);
    char *text = json_dumps(json, 0);
    assert_null(strstr(text, "example.com"));
    assert_null(strstr(text, "user_email"));
    free(text);

    ps_work_t *back = NULL;
    char err[256];
    assert_int_equal(ps_work_from_json(json, &back, err, sizeof(err)), 0);
    assert_string_equal(back->type, "enriched");
    assert_int_equal(back->request_id, 147);
    assert_string_equal(back->media_type, "tv");
    assert_true(back->is4k);
    assert_int_equal(back->season_count, 2);
    assert_int_equal(back->seasons[1], 2);
    assert_int_equal(back->genre_count, 1);
    assert_int_equal(back->genre_ids[0], 10765);
    assert_string_equal(back->genres[0], "Sci-Fi & Fantasy");
    assert_true(back->rating == 8.5);
    assert_int_equal(back->votes, 24618);
    assert_string_equal(back->keywords[0], "dragon");
    assert_int_equal(back->certification_count, 2);
    assert_string_equal(back->certifications[1], "FR:16");
    assert_int_equal(back->requested_episodes, 20);
    assert_true(back->has_quota);
    assert_int_equal(back->quota_tv_used, 20);
    assert_false(back->has_history);
    assert_null(back->user_email);
    ps_work_destroy(&back);
    json_decref(json);
    ps_work_destroy(&w);
}

static void
test_ps_work_json_rejects_bad_members(void **state)
{
    (void)state;
    char err[256];
    ps_work_t *back = NULL;
    json_t *json = json_loads("{\"votes\": \"many\"}", 0, NULL);
    assert_int_equal(ps_work_from_json(json, &back, err, sizeof(err)), -1);
    assert_null(back);
    assert_string_equal(err, "inputs `votes`: expected an integer");
    json_decref(json);
    json = json_loads("{\"genres\": [\"Drama\", 3]}", 0, NULL);
    assert_int_equal(ps_work_from_json(json, &back, err, sizeof(err)), -1);
    assert_string_equal(err, "inputs `genres`[1]: expected a string");
    json_decref(json);
    json = json_loads("[1]", 0, NULL);
    assert_int_equal(ps_work_from_json(json, &back, err, sizeof(err)), -1);
    json_decref(json);
}

static void
test_ps_work_json_old_snapshot_without_ids(void **state)
{
    (void)state;
    char err[256];
    ps_work_t *back = NULL;
    json_t *json = json_loads("{\"title\": \"Up\", \"genres\": [\"Animation\"],"
                              " \"unknown\": 1}",
                              0, NULL);
    assert_int_equal(ps_work_from_json(json, &back, err, sizeof(err)), 0);
    assert_int_equal(back->genre_count, 1);
    assert_int_equal(back->genre_ids[0], 0);
    ps_work_destroy(&back);
    json_decref(json);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_work_json_round_trip),
        cmocka_unit_test(test_ps_work_json_rejects_bad_members),
        cmocka_unit_test(test_ps_work_json_old_snapshot_without_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
