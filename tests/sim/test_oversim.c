/*  test_oversim - unit tests of the Overseerr simulator's store.

    Drives oversim_store_api / oversim_store_control directly (no sockets)
    with a fixed clock, so every run sees the same generated instance.   */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "overseerr_sim_store.h"

#include <stdlib.h>
#include <string.h>

#define NOW_MS 1750000000000LL /* 2025-06-15T15:06:40Z */
#define DAY_MS 86400000LL

static json_t *
s_get(oversim_store_t *store, const char *path, const char *query, int expect)
{
    json_t *response = NULL;
    int status =
        oversim_store_api(store, "GET", path, query, NOW_MS, &response, NULL);
    assert_int_equal(status, expect);
    assert_non_null(response);
    return response;
}

static int
s_post(oversim_store_t *store, const char *path, json_t *webhooks,
       json_t **response)
{
    return oversim_store_api(store, "POST", path, NULL, NOW_MS + 1000, response,
                             webhooks);
}

static void
s_assert_keys(json_t *object, const char *const *keys, size_t count)
{
    assert_true(json_is_object(object));
    assert_int_equal(json_object_size(object), count);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value)
    {
        (void)value;
        assert_string_equal(key, keys[i]);
        i++;
    }
}

static void
test_oversim_destroy_null(void **state)
{
    (void)state;
    oversim_store_destroy(NULL);
    oversim_store_t *store = NULL;
    oversim_store_destroy(&store);
    store = oversim_store_new(1, 3, NOW_MS);
    assert_non_null(store);
    oversim_store_destroy(&store);
    assert_null(store);
    oversim_store_destroy(&store);
}

static void
test_oversim_generation_is_deterministic(void **state)
{
    (void)state;
    oversim_store_t *a = oversim_store_new(42, 60, NOW_MS);
    oversim_store_t *b = oversim_store_new(42, 60, NOW_MS);
    oversim_store_t *c = oversim_store_new(43, 60, NOW_MS);
    json_t *ja = s_get(a, "/request", "take=100", 200);
    json_t *jb = s_get(b, "/request", "take=100", 200);
    json_t *jc = s_get(c, "/request", "take=100", 200);
    assert_true(json_equal(ja, jb));
    assert_false(json_equal(ja, jc));
    /* Runtime additions continue the same stream. */
    json_t *ids_a = json_array();
    json_t *ids_b = json_array();
    assert_int_equal(oversim_store_add_random(a, 5, NOW_MS, ids_a, NULL), 0);
    assert_int_equal(oversim_store_add_random(b, 5, NOW_MS, ids_b, NULL), 0);
    json_t *sa = NULL;
    json_t *sb = NULL;
    assert_int_equal(
        oversim_store_control(a, "GET", "/state", NULL, 0, NOW_MS, &sa, NULL),
        200);
    assert_int_equal(
        oversim_store_control(b, "GET", "/state", NULL, 0, NOW_MS, &sb, NULL),
        200);
    assert_true(json_equal(sa, sb));
    assert_true(json_equal(ids_a, ids_b));
    json_decref(sa);
    json_decref(sb);
    json_decref(ids_a);
    json_decref(ids_b);
    json_decref(ja);
    json_decref(jb);
    json_decref(jc);
    oversim_store_destroy(&a);
    oversim_store_destroy(&b);
    oversim_store_destroy(&c);
}

static bool
s_in(int value, const int *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (list[i] == value)
            return true;
    return false;
}

static void
test_oversim_generation_is_realistic(void **state)
{
    (void)state;
    static const int movie_genres[] = {28,   12,    16,  35, 80,    99,
                                       18,   10751, 14,  36, 27,    10402,
                                       9648, 10749, 878, 53, 10752, 37};
    static const int tv_genres[] = {10759, 16,    35,    80,    99,    18,
                                    10751, 10762, 9648,  10763, 10764, 10765,
                                    10766, 10767, 10768, 37};
    oversim_store_t *store = oversim_store_new(7, 300, NOW_MS);
    json_t *list = s_get(store, "/request", "take=1000&filter=pending", 200);
    json_t *results = json_object_get(list, "results");
    assert_int_equal(json_array_size(results), 300);
    int movies = 0, tv = 0, is4k = 0, upcoming = 0, specials = 0;
    int with_cert = 0, low = 0, high = 0;
    json_int_t min_age = INT64_MAX, max_age = 0;
    json_int_t tmdb_seen[300];
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r)
    {
        const char *type = json_string_value(json_object_get(r, "type"));
        json_t *media = json_object_get(r, "media");
        json_int_t tmdb = json_integer_value(json_object_get(media, "tmdbId"));
        for (size_t j = 0; j < i; j++)
            assert_true(tmdb_seen[j] != tmdb);
        tmdb_seen[i] = tmdb;
        assert_string_equal(
            json_string_value(json_object_get(media, "mediaType")), type);
        assert_int_equal(json_integer_value(json_object_get(r, "status")), 1);
        json_t *user = json_object_get(r, "requestedBy");
        assert_non_null(json_object_get(user, "settings"));
        if (json_is_true(json_object_get(r, "is4k"))) {
            is4k++;
            assert_true(json_integer_value(json_object_get(user, "permissions"))
                        & 1024);
            assert_int_equal(
                json_integer_value(json_object_get(media, "status4k")), 2);
        } else {
            assert_int_equal(
                json_integer_value(json_object_get(media, "status")), 2);
        }
        bool is_tv = strcmp(type, "tv") == 0;
        char path[64];
        snprintf(path, sizeof(path), "/%s/%lld", type, (long long)tmdb);
        json_t *d = s_get(store, path, "language=en", 200);
        double vote = json_number_value(json_object_get(d, "voteAverage"));
        json_int_t votes = json_integer_value(json_object_get(d, "voteCount"));
        const char *status = json_string_value(json_object_get(d, "status"));
        if (votes == 0 && vote == 0) {
            upcoming++;
            assert_true(strcmp(status, "Planned") == 0
                        || strcmp(status, "In Production") == 0);
        } else {
            assert_true(vote >= 2.0 && vote <= 9.3);
            assert_true(votes >= 0 && votes <= 30000);
            low += vote < 5.0;
            high += vote >= 7.5;
        }
        json_t *genres = json_object_get(d, "genres");
        assert_true(json_array_size(genres) >= 1);
        size_t g;
        json_t *genre;
        json_array_foreach(genres, g, genre)
        {
            int id = (int)json_integer_value(json_object_get(genre, "id"));
            if (is_tv)
                assert_true(s_in(id, tv_genres, 16));
            else
                assert_true(s_in(id, movie_genres, 18));
        }
        if (is_tv) {
            tv++;
            assert_null(json_object_get(d, "adult"));
            json_t *seasons = json_object_get(d, "seasons");
            json_int_t n =
                json_integer_value(json_object_get(d, "numberOfSeasons"));
            if (json_integer_value(
                    json_object_get(json_array_get(seasons, 0), "seasonNumber"))
                == 0)
                specials++;
            /* Requested seasons exist and are never the specials. */
            json_t *req_seasons = json_object_get(r, "seasons");
            assert_true(json_array_size(req_seasons) >= 1);
            assert_int_equal(
                json_array_size(req_seasons),
                json_integer_value(json_object_get(r, "seasonCount")));
            size_t s;
            json_t *season;
            json_array_foreach(req_seasons, s, season)
            {
                json_int_t number =
                    json_integer_value(json_object_get(season, "seasonNumber"));
                assert_true(number >= 1 && number <= n);
            }
            json_t *rating = json_array_get(
                json_object_get(json_object_get(d, "contentRatings"),
                                "results"),
                0);
            if (rating) {
                with_cert++;
                assert_memory_equal(
                    json_string_value(json_object_get(rating, "rating")), "TV-",
                    3);
            }
        } else {
            movies++;
            assert_true(json_is_false(json_object_get(d, "adult")));
            assert_true(json_integer_value(json_object_get(d, "runtime")) > 0);
            json_t *us = json_array_get(
                json_object_get(json_object_get(d, "releases"), "results"), 0);
            const char *cert = json_string_value(json_object_get(
                json_array_get(json_object_get(us, "release_dates"), 0),
                "certification"));
            if (cert && *cert) {
                with_cert++;
                assert_true(strcmp(cert, "G") == 0 || strcmp(cert, "PG") == 0
                            || strcmp(cert, "PG-13") == 0
                            || strcmp(cert, "R") == 0
                            || strcmp(cert, "NC-17") == 0);
            }
        }
        json_decref(d);
    }
    json_decref(list);
    assert_false(oversim_store_has_poster(store, "/not-a-poster.jpg"));
    /* Users: about 12, accounts from days to years old. */
    json_t *users = s_get(store, "/user", "take=100", 200);
    assert_int_equal(json_array_size(json_object_get(users, "results")), 12);
    json_array_foreach(json_object_get(users, "results"), i, r)
    {
        char path[32];
        snprintf(path, sizeof(path), "/user/%d", (int)i + 1);
        json_t *u = s_get(store, path, NULL, 200);
        assert_int_equal(json_integer_value(json_object_get(u, "id")),
                         (json_int_t)i + 1);
        json_decref(u);
        const char *created =
            json_string_value(json_object_get(r, "createdAt"));
        /* Compare by year and month only: enough to see the spread. */
        json_int_t year = strtol(created, NULL, 10);
        json_int_t age = 2025 - year;
        min_age = age < min_age ? age : min_age;
        max_age = age > max_age ? age : max_age;
    }
    json_decref(users);
    assert_true(min_age == 0);
    assert_true(max_age >= 5);
    assert_true(movies >= 150 && movies <= 210);
    assert_true(tv >= 90);
    assert_true(is4k >= 10 && is4k <= 55);
    assert_true(upcoming >= 5 && upcoming <= 50);
    assert_true(specials >= 5);
    assert_true(with_cert >= 200);
    assert_true(low >= 10);
    assert_true(high >= 10);
    oversim_store_destroy(&store);
}

static void
test_oversim_paging_shifts_when_deciding(void **state)
{
    (void)state;
    oversim_store_t *store = oversim_store_new(3, 25, NOW_MS);
    json_t *page = s_get(store, "/request", "filter=pending&take=10", 200);
    json_t *info = json_object_get(page, "pageInfo");
    static const char *info_keys[] = {"pages", "pageSize", "results", "page"};
    s_assert_keys(info, info_keys, 4);
    assert_int_equal(json_integer_value(json_object_get(info, "pages")), 3);
    assert_int_equal(json_integer_value(json_object_get(info, "results")), 25);
    assert_int_equal(json_integer_value(json_object_get(info, "page")), 1);
    json_t *results = json_object_get(page, "results");
    assert_int_equal(json_array_size(results), 10);
    json_int_t newest =
        json_integer_value(json_object_get(json_array_get(results, 0), "id"));
    json_int_t second =
        json_integer_value(json_object_get(json_array_get(results, 1), "id"));
    assert_true(newest > second);
    json_decref(page);

    page = s_get(store, "/request", "filter=pending&take=10&skip=20", 200);
    assert_int_equal(json_array_size(json_object_get(page, "results")), 5);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(page, "pageInfo"), "page")),
                     3);
    json_decref(page);

    char path[64];
    json_t *response = NULL;
    snprintf(path, sizeof(path), "/request/%lld/approve", (long long)newest);
    assert_int_equal(s_post(store, path, NULL, &response), 200);
    json_decref(response);

    page = s_get(store, "/request", "filter=pending&take=10", 200);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(page, "pageInfo"), "results")),
                     24);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(page, "results"), 0), "id")),
        second);
    json_decref(page);

    page = s_get(store, "/request", "filter=approved", 200);
    assert_int_equal(json_array_size(json_object_get(page, "results")), 1);
    json_decref(page);
    page = s_get(store, "/request", "filter=processing", 200);
    assert_int_equal(json_array_size(json_object_get(page, "results")), 1);
    json_decref(page);
    page = s_get(store, "/request", "filter=failed", 200);
    assert_int_equal(json_array_size(json_object_get(page, "results")), 0);
    json_decref(page);
    /* sort=modified puts the request just decided first. */
    page = s_get(store, "/request", "sort=modified&take=1", 200);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(page, "results"), 0), "id")),
        newest);
    json_decref(page);

    json_t *bad = s_get(store, "/request", "filter=declined", 400);
    assert_non_null(
        strstr(json_string_value(json_object_get(bad, "message")), "filter"));
    json_decref(bad);
    bad = s_get(store, "/request", "take=abc", 400);
    json_decref(bad);
    bad = s_get(store, "/request", "take=0", 400);
    json_decref(bad);
    bad = s_get(store, "/request", "sort=random", 400);
    json_decref(bad);

    json_t *count = s_get(store, "/request/count", NULL, 200);
    static const char *count_keys[] = {"total",      "movie",    "tv",
                                       "pending",    "approved", "declined",
                                       "processing", "available"};
    s_assert_keys(count, count_keys, 8);
    assert_int_equal(json_integer_value(json_object_get(count, "pending")), 24);
    json_decref(count);
    oversim_store_destroy(&store);
}

static void
test_oversim_approve_and_decline(void **state)
{
    (void)state;
    oversim_store_t *store = oversim_store_new(5, 4, NOW_MS);
    json_t *hooks = json_array();
    json_t *r = NULL;
    assert_int_equal(s_post(store, "/request/101/approve", hooks, &r), 200);
    static const char *keys[] = {"id",          "status",
                                 "createdAt",   "updatedAt",
                                 "type",        "is4k",
                                 "serverId",    "profileId",
                                 "rootFolder",  "languageProfileId",
                                 "tags",        "isAutoRequest",
                                 "requestedBy", "modifiedBy",
                                 "media",       "seasons",
                                 "seasonCount"};
    s_assert_keys(r, keys, 17);
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "modifiedBy"), "id")),
                     1);
    json_t *media = json_object_get(r, "media");
    int relevant =
        json_is_true(json_object_get(r, "is4k"))
            ? (int)json_integer_value(json_object_get(media, "status4k"))
            : (int)json_integer_value(json_object_get(media, "status"));
    assert_true(relevant == 3 || relevant == 5);
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(hooks, 0), "notification_type")),
                        "MEDIA_APPROVED");

    /* Overseerr overwrites a decided request with 200. */
    assert_int_equal(s_post(store, "/request/101/decline", hooks, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 3);
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 2);

    assert_int_equal(s_post(store, "/request/101/frob", hooks, &r), 400);
    json_decref(r);
    assert_int_equal(s_post(store, "/request/999/approve", hooks, &r), 404);
    assert_string_equal(json_string_value(json_object_get(r, "message")),
                        "Request not found.");
    json_decref(r);
    json_t *missing = s_get(store, "/request/999", NULL, 404);
    json_decref(missing);

    /* Seerr answers 409 and still counts the call. */
    oversim_store_set_seerr(store, true);
    assert_int_equal(s_post(store, "/request/101/approve", hooks, &r), 409);
    assert_string_equal(json_string_value(json_object_get(r, "message")),
                        "Only pending requests can be approved or declined.");
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 2);
    assert_int_equal(s_post(store, "/request/102/decline", hooks, &r), 200);
    json_decref(r);

    json_t *st = NULL;
    assert_int_equal(oversim_store_control(store, "GET", "/state", NULL, 0,
                                           NOW_MS, &st, NULL),
                     200);
    json_t *totals = json_object_get(st, "totals");
    assert_int_equal(json_integer_value(json_object_get(totals, "pending")), 2);
    assert_int_equal(json_integer_value(json_object_get(totals, "declined")),
                     2);
    assert_int_equal(
        json_integer_value(json_object_get(totals, "approve_calls")), 2);
    assert_int_equal(
        json_integer_value(json_object_get(totals, "decline_calls")), 2);
    json_t *first = json_array_get(json_object_get(st, "requests"), 0);
    assert_int_equal(json_integer_value(json_object_get(first, "id")), 101);
    assert_int_equal(
        json_integer_value(json_object_get(first, "approve_calls")), 2);
    json_decref(st);
    json_decref(hooks);
    assert_int_equal(oversim_store_count(store, 1), 2);
    assert_int_equal(oversim_store_count(store, 0), 4);
    oversim_store_destroy(&store);
}

static void
s_assert_all_strings(json_t *object)
{
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value)
    {
        (void)key;
        assert_true(json_is_string(value));
    }
}

static void
test_oversim_webhook_shape(void **state)
{
    (void)state;
    oversim_store_t *store = oversim_store_new(11, 80, NOW_MS);
    static const char *top[] = {
        "notification_type", "event", "subject", "message", "image", "media",
        "request",           "issue", "comment", "extra"};
    static const char *media_keys[] = {"media_type", "tmdbId", "tvdbId",
                                       "status", "status4k"};
    static const char *request_keys[] = {"request_id",
                                         "requestedBy_email",
                                         "requestedBy_username",
                                         "requestedBy_avatar",
                                         "requestedBy_settings_discordId",
                                         "requestedBy_settings_telegramChatId"};
    bool saw_tv = false, saw_movie = false, saw_4k = false;
    for (int id = 101; id < 181; id++) {
        json_t *hook = oversim_store_webhook(store, id, "MEDIA_PENDING");
        assert_non_null(hook);
        s_assert_keys(hook, top, 10);
        s_assert_keys(json_object_get(hook, "media"), media_keys, 5);
        s_assert_keys(json_object_get(hook, "request"), request_keys, 6);
        s_assert_all_strings(json_object_get(hook, "media"));
        s_assert_all_strings(json_object_get(hook, "request"));
        assert_true(json_is_null(json_object_get(hook, "issue")));
        assert_true(json_is_null(json_object_get(hook, "comment")));
        char expect_id[16];
        snprintf(expect_id, sizeof(expect_id), "%d", id);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(hook, "request"),
                                              "request_id")),
            expect_id);
        const char *type = json_string_value(
            json_object_get(json_object_get(hook, "media"), "media_type"));
        const char *event = json_string_value(json_object_get(hook, "event"));
        json_t *extra = json_object_get(hook, "extra");
        bool k4 = strstr(event, "4K") != NULL;
        saw_4k = saw_4k || k4;
        if (strcmp(type, "tv") == 0) {
            saw_tv = true;
            assert_string_equal(event, k4 ? "New 4K Series Request"
                                          : "New Series Request");
            assert_int_equal(json_array_size(extra), 1);
            assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(extra, 0), "name")),
                                "Requested Seasons");
            assert_true(*json_string_value(
                json_object_get(json_array_get(extra, 0), "value")));
            assert_true(*json_string_value(
                json_object_get(json_object_get(hook, "media"), "tvdbId")));
        } else {
            saw_movie = true;
            assert_string_equal(event, k4 ? "New 4K Movie Request"
                                          : "New Movie Request");
            assert_int_equal(json_array_size(extra), 0);
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(hook, "media"), "tvdbId")),
                                "");
        }
        const char *status4k = json_string_value(
            json_object_get(json_object_get(hook, "media"), "status4k"));
        assert_string_equal(status4k, k4 ? "PENDING" : "UNKNOWN");
        const char *subject =
            json_string_value(json_object_get(hook, "subject"));
        size_t len = strlen(subject);
        assert_true(len > 7 && subject[len - 1] == ')'
                    && subject[len - 6] == '(');
        assert_memory_equal(json_string_value(json_object_get(hook, "image")),
                            "https://image.tmdb.org/t/p/", 27);
        json_decref(hook);
    }
    assert_true(saw_tv && saw_movie && saw_4k);
    assert_null(oversim_store_webhook(store, 5000, "MEDIA_PENDING"));
    json_t *approved = oversim_store_webhook(store, 101, "MEDIA_DECLINED");
    assert_non_null(
        strstr(json_string_value(json_object_get(approved, "event")),
               "Request Declined"));
    json_decref(approved);
    oversim_store_destroy(&store);
}

static void
test_oversim_details_and_users(void **state)
{
    (void)state;
    oversim_store_t *store = oversim_store_new(9, 30, NOW_MS);
    json_t *e = s_get(store, "/movie/1", NULL, 500);
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "Unable to retrieve movie.");
    json_decref(e);
    e = s_get(store, "/tv/1", NULL, 500);
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "Unable to retrieve series.");
    json_decref(e);
    e = s_get(store, "/nothing/here", NULL, 404);
    json_decref(e);

    json_t *me = s_get(store, "/auth/me", NULL, 200);
    static const char *user_keys[] = {
        "permissions",    "id",
        "email",          "plexUsername",
        "username",       "recoveryLinkExpirationDate",
        "userType",       "plexId",
        "avatar",         "movieQuotaLimit",
        "movieQuotaDays", "tvQuotaLimit",
        "tvQuotaDays",    "createdAt",
        "updatedAt",      "settings",
        "requestCount",   "displayName"};
    s_assert_keys(me, user_keys, 18);
    assert_int_equal(json_integer_value(json_object_get(me, "id")), 1);
    assert_int_equal(json_integer_value(json_object_get(me, "permissions")), 2);
    json_decref(me);

    json_t *quota = s_get(store, "/user/1/quota", NULL, 200);
    static const char *quota_keys[] = {"days", "limit", "used", "restricted"};
    s_assert_keys(json_object_get(quota, "movie"), quota_keys, 4);
    s_assert_keys(json_object_get(quota, "tv"), quota_keys, 4);
    json_decref(quota);
    quota = s_get(store, "/user/12/quota", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(quota, "movie"), "limit")),
                     5);
    assert_non_null(
        json_object_get(json_object_get(quota, "movie"), "remaining"));
    json_decref(quota);
    e = s_get(store, "/user/99", NULL, 404);
    json_decref(e);
    json_t *users = s_get(store, "/user", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(users, "results")), 10);
    json_decref(users);
    users = s_get(store, "/user", "sort=requests&take=3", 200);
    assert_int_equal(json_array_size(json_object_get(users, "results")), 3);
    json_decref(users);

    /* Every request's title resolves through /movie or /tv. */
    json_t *list = s_get(store, "/request", "take=30", 200);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(list, "results"), i, r)
    {
        char path[64];
        snprintf(path, sizeof(path), "/%s/%lld",
                 json_string_value(json_object_get(r, "type")),
                 (long long)json_integer_value(
                     json_object_get(json_object_get(r, "media"), "tmdbId")));
        json_t *d = s_get(store, path, NULL, 200);
        json_t *info = json_object_get(d, "mediaInfo");
        assert_int_equal(
            json_integer_value(json_object_get(
                json_array_get(json_object_get(info, "requests"), 0), "id")),
            json_integer_value(json_object_get(r, "id")));
        assert_non_null(json_object_get(d, "keywords"));
        assert_non_null(json_object_get(d, "posterPath"));
        /* The image server (GET /t/p/...) knows each title's poster. */
        assert_true(oversim_store_has_poster(
            store, json_string_value(json_object_get(d, "posterPath"))));
        assert_non_null(json_object_get(d, "originalLanguage"));
        json_decref(d);
        char user_path[64];
        snprintf(user_path, sizeof(user_path), "/user/%lld/requests",
                 (long long)json_integer_value(
                     json_object_get(json_object_get(r, "requestedBy"), "id")));
        json_t *mine = s_get(store, user_path, NULL, 200);
        assert_true(json_array_size(json_object_get(mine, "results")) >= 1);
        json_decref(mine);
    }
    json_decref(list);
    oversim_store_destroy(&store);
}

static void
test_oversim_control_routes(void **state)
{
    (void)state;
    oversim_store_t *store = oversim_store_new(2, 3, NOW_MS);
    json_t *hooks = json_array();
    json_t *r = NULL;
    const char *xss = "{\"title\":\"<img src=x onerror=alert(1)>\","
                      "\"type\":\"movie\"}";
    assert_int_equal(oversim_store_control(store, "POST", "/requests", xss,
                                           strlen(xss), NOW_MS, &r, hooks),
                     200);
    json_int_t id =
        json_integer_value(json_array_get(json_object_get(r, "ids"), 0));
    assert_int_equal(id, 104);
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 1);
    assert_non_null(strstr(
        json_string_value(json_object_get(json_array_get(hooks, 0), "subject")),
        "<img src=x onerror=alert(1)>"));

    const char *count = "{\"count\":3}";
    assert_int_equal(oversim_store_control(store, "POST", "/requests", count,
                                           strlen(count), NOW_MS, &r, hooks),
                     200);
    assert_int_equal(json_array_size(json_object_get(r, "ids")), 3);
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 4);

    const char *decide = "{\"status\":3,\"webhook\":true}";
    assert_int_equal(oversim_store_control(store, "POST",
                                           "/requests/104/status", decide,
                                           strlen(decide), NOW_MS, &r, hooks),
                     200);
    assert_int_equal(json_integer_value(json_object_get(r, "status")), 3);
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(hooks, 4), "notification_type")),
                        "MEDIA_DECLINED");
    const char *quiet = "{\"status\":2,\"webhook\":false}";
    assert_int_equal(oversim_store_control(store, "POST",
                                           "/requests/101/status", quiet,
                                           strlen(quiet), NOW_MS, &r, hooks),
                     200);
    json_decref(r);
    assert_int_equal(json_array_size(hooks), 5);

    const char *bad = "{\"status\":9}";
    assert_int_equal(oversim_store_control(store, "POST",
                                           "/requests/101/status", bad,
                                           strlen(bad), NOW_MS, &r, hooks),
                     400);
    json_decref(r);
    assert_int_equal(oversim_store_control(store, "POST", "/requests", "[", 1,
                                           NOW_MS, &r, hooks),
                     400);
    json_decref(r);
    assert_int_equal(oversim_store_control(store, "POST",
                                           "/requests/999/status", decide,
                                           strlen(decide), NOW_MS, &r, hooks),
                     404);
    json_decref(r);

    json_t *st = NULL;
    oversim_store_control(store, "GET", "/state", NULL, 0, NOW_MS, &st, NULL);
    json_t *totals = json_object_get(st, "totals");
    assert_int_equal(json_integer_value(json_object_get(totals, "requests")),
                     7);
    assert_int_equal(json_integer_value(json_object_get(totals, "pending")), 5);
    assert_int_equal(
        json_integer_value(json_object_get(totals, "approve_calls")), 0);
    json_t *item = json_array_get(json_object_get(st, "requests"), 3);
    assert_string_equal(json_string_value(json_object_get(item, "title")),
                        "<img src=x onerror=alert(1)>");
    json_decref(st);
    json_decref(hooks);
    oversim_store_destroy(&store);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversim_destroy_null),
        cmocka_unit_test(test_oversim_generation_is_deterministic),
        cmocka_unit_test(test_oversim_generation_is_realistic),
        cmocka_unit_test(test_oversim_paging_shifts_when_deciding),
        cmocka_unit_test(test_oversim_approve_and_decline),
        cmocka_unit_test(test_oversim_webhook_shape),
        cmocka_unit_test(test_oversim_details_and_users),
        cmocka_unit_test(test_oversim_control_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
