/*  test_enricher - the enricher's pure parts on the contract fixtures:
    JSON -> enrichment mapping (movie_603.json, tv_1399.json), US
    certification, requested episodes without specials, overview trimming
    on UTF-8 boundaries, and the details cache's TTL and eviction.        */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "enricher.h"

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

static json_t *
s_json(const char *text)
{
    json_error_t error;
    json_t *json = json_loads(text, 0, &error);
    if (!json)
        fail_msg("bad test JSON: %s", error.text);
    return json;
}

static void
test_enricher_movie_fixture(void **state)
{
    (void)state;
    json_t *details = s_fixture("movie_603.json");
    char err[256];
    enricher_media_t *media = NULL;
    assert_int_equal(
        enricher_media_from_json(details, "movie", &media, err, sizeof(err)),
        0);
    ps_work_t *work = ps_work_new("request");
    work->request_id = 146;
    work->tmdb_id = 603;
    ps_work_set_str(&work->media_type, "movie");
    assert_int_equal(enricher_media_apply(media, "movie", work), 0);
    assert_string_equal(work->title, "The Matrix");
    assert_int_equal(work->year, 1999);
    assert_string_equal(work->release_date, "1999-03-30");
    assert_int_equal(work->genre_count, 2);
    assert_string_equal(work->genres[0], "Action");
    assert_int_equal(work->genre_ids[0], 28);
    assert_string_equal(work->genres[1], "Science Fiction");
    assert_int_equal(work->genre_ids[1], 878);
    assert_float_equal(work->rating, 8.222, 1e-9);
    assert_int_equal(work->votes, 26481);
    assert_float_equal(work->popularity, 21.347, 1e-9);
    assert_string_equal(work->media_status, "Released");
    assert_string_equal(work->certification, "R");
    assert_string_equal(work->language, "en");
    assert_int_equal(work->runtime, 136);
    assert_false(work->adult);
    assert_int_equal(work->total_seasons, 0);
    assert_int_equal(work->requested_episodes, 0);
    assert_string_equal(work->poster_path, "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg");
    assert_non_null(strstr(work->overview, "Neo"));
    assert_true(strlen(work->overview) <= ENRICHER_OVERVIEW_MAX);

    /* The enriched record survives the wire. */
    ps_work_set_type(work, "enriched");
    zmsg_t *msg = ps_work_encode(work);
    ps_work_t *copy = NULL;
    assert_int_equal(ps_work_decode(zmsg_first(msg), &copy, err, sizeof(err)),
                     0);
    assert_string_equal(copy->genres[1], "Science Fiction");
    assert_string_equal(copy->certification, "R");
    ps_work_destroy(&copy);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
    enricher_media_destroy(&media);
    enricher_media_destroy(&media);
    enricher_media_destroy(NULL);
    json_decref(details);
}

static void
test_enricher_tv_fixture(void **state)
{
    (void)state;
    json_t *details = s_fixture("tv_1399.json");
    char err[256];
    enricher_media_t *media = NULL;
    assert_int_equal(
        enricher_media_from_json(details, "tv", &media, err, sizeof(err)), 0);
    ps_work_t *work = ps_work_new("request");
    ps_work_set_str(&work->media_type, "tv");
    work->seasons = calloc(3, sizeof(*work->seasons));
    work->seasons[0] = 0; /* specials requested: never counted */
    work->seasons[1] = 1;
    work->seasons[2] = 2;
    work->season_count = 3;
    assert_int_equal(enricher_media_apply(media, "tv", work), 0);
    assert_string_equal(work->title, "Game of Thrones");
    assert_int_equal(work->year, 2011);
    assert_string_equal(work->release_date, "2011-04-17");
    assert_int_equal(work->genre_count, 3);
    assert_string_equal(work->genres[0], "Sci-Fi & Fantasy");
    assert_int_equal(work->genre_ids[2], 10759);
    assert_string_equal(work->media_status, "Ended");
    assert_string_equal(work->certification, "TV-MA");
    assert_int_equal(work->runtime, 0); /* episodeRunTime is [] */
    assert_int_equal(work->total_seasons, 8);
    assert_int_equal(work->requested_episodes, 20);
    assert_false(work->adult);
    ps_work_destroy(&work);

    /* No season requested: every season but the specials (73 - 0). */
    assert_int_equal(enricher_requested_episodes(media, NULL, 0), 73);
    int64_t last[] = {7, 8};
    assert_int_equal(enricher_requested_episodes(media, last, 2), 13);
    int64_t specials[] = {0};
    assert_int_equal(enricher_requested_episodes(media, specials, 1), 0);
    enricher_media_destroy(&media);
    json_decref(details);
}

static void
test_enricher_certification(void **state)
{
    (void)state;
    char cert[32];
    /* Theatrical (3) preferred over an earlier digital (4) entry. */
    json_t *movie = s_json(
        "{\"releases\":{\"results\":[{\"iso_3166_1\":\"FR\",\"release_dates\":"
        "[{\"certification\":\"12\",\"type\":3}]},{\"iso_3166_1\":\"US\","
        "\"release_dates\":[{\"certification\":\"\",\"type\":1},"
        "{\"certification\":\"NR\",\"type\":4},"
        "{\"certification\":\"PG-13\",\"type\":3}]}]}}");
    assert_int_equal(enricher_certification(movie, "movie", cert, sizeof(cert)),
                     0);
    assert_string_equal(cert, "PG-13");
    json_decref(movie);
    /* No theatrical one: any non-empty one. */
    movie = s_json("{\"releases\":{\"results\":[{\"iso_3166_1\":\"US\","
                   "\"release_dates\":[{\"certification\":\"\",\"type\":3},"
                   "{\"certification\":\"R\",\"type\":5}]}]}}");
    assert_int_equal(enricher_certification(movie, "movie", cert, sizeof(cert)),
                     0);
    assert_string_equal(cert, "R");
    json_decref(movie);
    /* No US entry, or junk: none. */
    movie = s_json("{\"releases\":{\"results\":[{\"iso_3166_1\":\"DE\","
                   "\"release_dates\":[{\"certification\":\"16\"}]},5,null]}}");
    assert_int_equal(enricher_certification(movie, "movie", cert, sizeof(cert)),
                     -1);
    assert_string_equal(cert, "");
    json_decref(movie);
    json_t *tv = s_json("{\"contentRatings\":{\"results\":[{\"iso_3166_1\":"
                        "\"GB\",\"rating\":\"18\"},{\"iso_3166_1\":\"US\","
                        "\"rating\":\"TV-14\"}]}}");
    assert_int_equal(enricher_certification(tv, "tv", cert, sizeof(cert)), 0);
    assert_string_equal(cert, "TV-14");
    json_decref(tv);
    tv = s_json("{\"contentRatings\":null}");
    assert_int_equal(enricher_certification(tv, "tv", cert, sizeof(cert)), -1);
    json_decref(tv);
}

static void
test_enricher_missing_and_mistyped_fields(void **state)
{
    (void)state;
    char err[256];
    enricher_media_t *media = NULL;
    json_t *odd = s_json(
        "{\"title\":5,\"releaseDate\":\"\",\"genres\":[{\"id\":\"x\"},"
        "{\"name\":\"Drama\"},7],\"voteAverage\":\"9\",\"voteCount\":null,"
        "\"popularity\":3,\"runtime\":null,\"adult\":\"yes\","
        "\"releases\":[],\"overview\":null,\"seasons\":\"many\"}");
    assert_int_equal(
        enricher_media_from_json(odd, "movie", &media, err, sizeof(err)), 0);
    assert_string_equal(media->title, "");
    assert_int_equal(media->year, 0);
    assert_string_equal(media->release_date, "");
    assert_int_equal(media->genre_count, 1);
    assert_string_equal(media->genres[0], "Drama");
    assert_int_equal(media->genre_ids[0], 0);
    assert_float_equal(media->rating, 0.0, 0);
    assert_float_equal(media->popularity, 3.0, 1e-9);
    assert_int_equal(media->runtime, 0);
    assert_false(media->adult);
    assert_null(media->certification);
    assert_null(media->overview);
    enricher_media_destroy(&media);
    json_decref(odd);

    json_t *tv = s_json("{\"name\":\"X\",\"episodeRunTime\":[45,50],"
                        "\"seasons\":[{\"seasonNumber\":null},"
                        "{\"seasonNumber\":1}]}");
    assert_int_equal(
        enricher_media_from_json(tv, "tv", &media, err, sizeof(err)), 0);
    assert_int_equal(media->runtime, 45);
    assert_int_equal(media->season_count, 1);
    assert_int_equal(enricher_requested_episodes(media, NULL, 0), 0);
    enricher_media_destroy(&media);
    json_decref(tv);

    json_t *array = s_json("[]");
    assert_int_equal(
        enricher_media_from_json(array, "tv", &media, err, sizeof(err)), -1);
    assert_null(media);
    json_decref(array);
}

/* True when s is well-formed UTF-8. */
static bool
s_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int extra = *p < 0x80             ? 0
                    : (*p & 0xE0) == 0xC0 ? 1
                    : (*p & 0xF0) == 0xE0 ? 2
                    : (*p & 0xF8) == 0xF0 ? 3
                                          : -1;
        if (extra < 0)
            return false;
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return false;
        }
    }
    return true;
}

static bool
s_ends_with_ellipsis(const char *s)
{
    size_t len = strlen(s);
    return len >= 3 && strcmp(s + len - 3, "\xe2\x80\xa6") == 0;
}

static void
test_enricher_overview_trim(void **state)
{
    (void)state;
    /* Short text is kept as is. */
    char *out = enricher_trim_overview("Short.", ENRICHER_OVERVIEW_MAX);
    assert_string_equal(out, "Short.");
    free(out);
    assert_null(enricher_trim_overview(NULL, ENRICHER_OVERVIEW_MAX));

    /* Words of three 3-byte characters after a 3-byte prefix: the room
       (297 bytes) ends inside a character and inside a word; the cut goes
       back to the space, then drops the trailing comma. */
    char text[1200] = "ab ";
    static const char kanji_word[] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, ";
    size_t used = strlen(text);
    while (used < 1000) {
        memcpy(text + used, kanji_word, sizeof(kanji_word));
        used += sizeof(kanji_word) - 1;
    }
    out = enricher_trim_overview(text, ENRICHER_OVERVIEW_MAX);
    assert_non_null(out);
    assert_true(strlen(out) <= ENRICHER_OVERVIEW_MAX);
    assert_true(strlen(out) > ENRICHER_OVERVIEW_MAX - 20);
    assert_true(s_utf8_valid(out));
    assert_true(s_ends_with_ellipsis(out));
    /* It ends at a word end, with the trailing comma and space gone. */
    size_t kept = strlen(out) - 3;
    assert_memory_equal(out, text, kept);
    assert_memory_equal(out + kept - 3, "\xe8\xaa\x9e", 3);
    free(out);

    /* One endless word of 2-byte characters: cut at a character
       boundary (297 is odd, so it backs off one byte). */
    char word[800] = "";
    for (int i = 0; i < 350; i++)
        memcpy(word + 2 * i, "\xc3\xa9", 3);
    out = enricher_trim_overview(word, ENRICHER_OVERVIEW_MAX);
    assert_int_equal(strlen(out), 296 + 3);
    assert_true(s_utf8_valid(out));
    assert_true(s_ends_with_ellipsis(out));
    free(out);

    /* ASCII at exactly the limit stays whole; one byte more is cut. */
    char ascii[400];
    memset(ascii, 'a', sizeof(ascii));
    for (size_t i = 9; i < sizeof(ascii); i += 10)
        ascii[i] = ' ';
    ascii[ENRICHER_OVERVIEW_MAX] = '\0';
    out = enricher_trim_overview(ascii, ENRICHER_OVERVIEW_MAX);
    assert_string_equal(out, ascii);
    free(out);
    ascii[ENRICHER_OVERVIEW_MAX] = 'b';
    ascii[ENRICHER_OVERVIEW_MAX + 1] = '\0';
    out = enricher_trim_overview(ascii, ENRICHER_OVERVIEW_MAX);
    assert_true(strlen(out) <= ENRICHER_OVERVIEW_MAX);
    assert_int_equal(out[strlen(out) - 4], 'a');
    free(out);
}

static enricher_media_t *
s_media(const char *title)
{
    char err[64];
    enricher_media_t *media = NULL;
    json_t *json = json_pack("{s:s}", "title", title);
    assert_int_equal(
        enricher_media_from_json(json, "movie", &media, err, sizeof(err)), 0);
    json_decref(json);
    return media;
}

static void
test_enricher_cache_ttl_and_eviction(void **state)
{
    (void)state;
    enricher_cache_t *cache = enricher_cache_new(10, 3);
    assert_non_null(cache);
    enricher_media_t *media = s_media("one");
    assert_int_equal(enricher_cache_put(cache, "movie", 1, &media, 1000), 0);
    assert_null(media);
    media = s_media("tv one");
    assert_int_equal(enricher_cache_put(cache, "tv", 1, &media, 2000), 0);
    /* Same TMDB id, other type: another entry. */
    assert_string_equal(enricher_cache_get(cache, "movie", 1, 2000)->title,
                        "one");
    assert_string_equal(enricher_cache_get(cache, "tv", 1, 2000)->title,
                        "tv one");
    /* TTL: alive at 10.999 s, gone at 11 s. */
    assert_non_null(enricher_cache_get(cache, "movie", 1, 10999));
    assert_null(enricher_cache_get(cache, "movie", 1, 11000));
    assert_int_equal(enricher_cache_size(cache), 1);

    /* Eviction: the oldest goes first when full. */
    media = s_media("two");
    enricher_cache_put(cache, "movie", 2, &media, 3000);
    media = s_media("three");
    enricher_cache_put(cache, "movie", 3, &media, 4000);
    media = s_media("four");
    enricher_cache_put(cache, "movie", 4, &media, 5000);
    assert_int_equal(enricher_cache_size(cache), 3);
    assert_null(enricher_cache_get(cache, "tv", 1, 5000));
    assert_non_null(enricher_cache_get(cache, "movie", 2, 5000));
    /* Replacing a key refreshes it instead of growing. */
    media = s_media("two again");
    enricher_cache_put(cache, "movie", 2, &media, 6000);
    assert_int_equal(enricher_cache_size(cache), 3);
    assert_string_equal(enricher_cache_get(cache, "movie", 2, 6000)->title,
                        "two again");
    media = s_media("five");
    enricher_cache_put(cache, "movie", 5, &media, 7000);
    assert_null(enricher_cache_get(cache, "movie", 3, 7000));
    assert_non_null(enricher_cache_get(cache, "movie", 2, 7000));

    /* A smaller cap on reload evicts down to it. */
    enricher_cache_configure(cache, 10, 1);
    assert_int_equal(enricher_cache_size(cache), 1);
    assert_non_null(enricher_cache_get(cache, "movie", 5, 7000));
    enricher_cache_destroy(&cache);
    enricher_cache_destroy(&cache);
    assert_null(cache);

    /* Disabled caching stores nothing and frees what it is given. */
    cache = enricher_cache_new(0, 100);
    media = s_media("gone");
    assert_int_equal(enricher_cache_put(cache, "movie", 9, &media, 0), 0);
    assert_null(media);
    assert_int_equal(enricher_cache_size(cache), 0);
    enricher_cache_destroy(&cache);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enricher_movie_fixture),
        cmocka_unit_test(test_enricher_tv_fixture),
        cmocka_unit_test(test_enricher_certification),
        cmocka_unit_test(test_enricher_missing_and_mistyped_fields),
        cmocka_unit_test(test_enricher_overview_trim),
        cmocka_unit_test(test_enricher_cache_ttl_and_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
