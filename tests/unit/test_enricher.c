/*  test_enricher - the enricher's parts on the contract fixtures:
    JSON -> enrichment mapping (movie_603.json, tv_1399.json), US and
    per-country certifications, keywords in every shape, total episodes,
    requested episodes without specials, overview trimming on UTF-8
    boundaries, the details cache's TTL and eviction, the quota body
    (user_quota_1.json and the omitted-field cases), quota lookups against
    a civetweb stand-in for Overseerr (cache, failures that leave
    has_quota false, the pause) and history lookups against an inproc REP
    stand-in for the gateway.                                              */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "enricher.h"
#include "ps_control.h"
#include "ps_mp.h"

#include <civetweb.h>
#include <pthread.h>
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


/* True when list holds text. */
static bool
s_has(char *const *list, size_t count, const char *text)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(list[i], text) == 0)
            return true;
    }
    return false;
}

static void
test_enricher_movie_keywords_certifications(void **state)
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
    assert_int_equal(work->keyword_count, 6);
    assert_string_equal(work->keywords[0], "saving the world");
    assert_true(s_has(work->keywords, 6, "artificial intelligence (a.i.)"));
    assert_true(s_has(work->keywords, 6, "cyberpunk"));
    assert_string_equal(work->keywords[5], "martial arts");
    /* Every country, in the body's order, the US one included. */
    assert_int_equal(work->certification_count, 3);
    assert_string_equal(work->certifications[0], "US:R");
    assert_string_equal(work->certifications[1], "FR:12");
    assert_string_equal(work->certifications[2], "DE:16");
    assert_string_equal(work->certification, "R");
    assert_int_equal(work->total_episodes, 0);

    /* The new fields survive the wire. */
    ps_work_set_type(work, "enriched");
    zmsg_t *msg = ps_work_encode(work);
    ps_work_t *copy = NULL;
    assert_int_equal(ps_work_decode(zmsg_first(msg), &copy, err, sizeof(err)),
                     0);
    assert_int_equal(copy->keyword_count, 6);
    assert_string_equal(copy->keywords[4], "cyberpunk");
    assert_int_equal(copy->certification_count, 3);
    assert_string_equal(copy->certifications[1], "FR:12");
    ps_work_destroy(&copy);
    zmsg_destroy(&msg);

    /* Applying again (a re-judge) replaces, never appends. */
    assert_int_equal(enricher_media_apply(media, "movie", work), 0);
    assert_int_equal(work->keyword_count, 6);
    assert_int_equal(work->certification_count, 3);
    ps_work_destroy(&work);
    enricher_media_destroy(&media);
    json_decref(details);
}

static void
test_enricher_tv_keywords_certifications(void **state)
{
    (void)state;
    json_t *details = s_fixture("tv_1399.json");
    char err[256];
    enricher_media_t *media = NULL;
    assert_int_equal(
        enricher_media_from_json(details, "tv", &media, err, sizeof(err)), 0);
    ps_work_t *work = ps_work_new("request");
    ps_work_set_str(&work->media_type, "tv");
    assert_int_equal(enricher_media_apply(media, "tv", work), 0);
    assert_int_equal(work->keyword_count, 5);
    assert_string_equal(work->keywords[0], "based on novel or book");
    assert_true(s_has(work->keywords, 5, "dragon"));
    assert_int_equal(work->certification_count, 4);
    assert_string_equal(work->certifications[0], "US:TV-MA");
    assert_string_equal(work->certifications[1], "GB:18");
    assert_string_equal(work->certifications[2], "FR:16");
    assert_string_equal(work->certifications[3], "DE:16");
    assert_string_equal(work->certification, "TV-MA");
    assert_int_equal(work->total_seasons, 8);
    assert_int_equal(work->total_episodes, 73);
    ps_work_destroy(&work);
    enricher_media_destroy(&media);
    json_decref(details);
}

static void
test_enricher_keyword_shapes(void **state)
{
    (void)state;
    char **list = NULL;
    size_t count = 0;
    /* TMDB's own movie shape, with junk items skipped. */
    json_t *json =
        s_json("{\"keywords\":{\"keywords\":[{\"id\":1,\"name\":\"heist\"},"
               "{\"id\":2},{\"name\":\"\"},null,5,{\"name\":\"bank\"}]}}");
    assert_int_equal(enricher_keywords(json, &list, &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(list[0], "heist");
    assert_string_equal(list[1], "bank");
    assert_null(list[2]);
    ps_mp_strs_free(&list, &count);
    json_decref(json);
    /* TMDB's tv shape. */
    json =
        s_json("{\"keywords\":{\"results\":[{\"id\":9,\"name\":\"anime\"}]}}");
    assert_int_equal(enricher_keywords(json, &list, &count), 0);
    assert_int_equal(count, 1);
    assert_string_equal(list[0], "anime");
    ps_mp_strs_free(&list, &count);
    json_decref(json);
    /* Plain strings. */
    json = s_json("{\"keywords\":[\"space\",\"robot\"]}");
    assert_int_equal(enricher_keywords(json, &list, &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(list[1], "robot");
    ps_mp_strs_free(&list, &count);
    json_decref(json);
    /* Known to be none: an empty list, not NULL. */
    json = s_json("{\"keywords\":[]}");
    assert_int_equal(enricher_keywords(json, &list, &count), 0);
    assert_non_null(list);
    assert_int_equal(count, 0);
    ps_mp_strs_free(&list, &count);
    json_decref(json);
    /* Absent, null or unusable: unknown. */
    static const char *unknown[] = {"{}", "{\"keywords\":null}",
                                    "{\"keywords\":\"x\"}",
                                    "{\"keywords\":{\"other\":[]}}", "[]"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        json = s_json(unknown[i]);
        assert_int_equal(enricher_keywords(json, &list, &count), 0);
        assert_null(list);
        assert_int_equal(count, 0);
        json_decref(json);
    }
    /* The cap. */
    json = json_pack("{s:[]}", "keywords");
    json_t *array = json_object_get(json, "keywords");
    for (int i = 0; i < ENRICHER_LIST_MAX + 20; i++)
        json_array_append_new(array, json_pack("{s:i,s:s}", "id", i, "name",
                                               i % 2 ? "odd" : "even"));
    assert_int_equal(enricher_keywords(json, &list, &count), 0);
    assert_int_equal(count, ENRICHER_LIST_MAX);
    ps_mp_strs_free(&list, &count);
    json_decref(json);
}

static void
test_enricher_certifications_every_country(void **state)
{
    (void)state;
    char **list = NULL;
    size_t count = 0;
    /* Per country: theatrical preferred, else the first non-empty one;
       countries without one, without a code or seen before are
       skipped. */
    json_t *movie = s_json(
        "{\"releases\":{\"results\":["
        "{\"iso_3166_1\":\"US\",\"release_dates\":[{\"certification\":\"\","
        "\"type\":1},{\"certification\":\"NR\",\"type\":4},"
        "{\"certification\":\"PG-13\",\"type\":3}]},"
        "{\"iso_3166_1\":\"GB\",\"release_dates\":[{\"certification\":\"15\","
        "\"type\":5},{\"certification\":\"18\",\"type\":6}]},"
        "{\"iso_3166_1\":\"JP\",\"release_dates\":[{\"certification\":\"\"}]},"
        "{\"release_dates\":[{\"certification\":\"X\",\"type\":3}]},"
        "{\"iso_3166_1\":\"United States\",\"release_dates\":"
        "[{\"certification\":\"R\",\"type\":3}]},"
        "{\"iso_3166_1\":\"US\",\"release_dates\":[{\"certification\":\"R\","
        "\"type\":3}]},"
        "{\"iso_3166_1\":\"BR\",\"release_dates\":[{\"certification\":"
        "\"0123456789012345678901234567890123456789012345678901234\","
        "\"type\":3}]},"
        "7,null]}}");
    assert_int_equal(enricher_certifications(movie, "movie", &list, &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(list[0], "US:PG-13");
    assert_string_equal(list[1], "GB:15");
    ps_mp_strs_free(&list, &count);
    json_decref(movie);

    json_t *tv = s_json("{\"contentRatings\":{\"results\":["
                        "{\"iso_3166_1\":\"GB\",\"rating\":\"18\"},"
                        "{\"iso_3166_1\":\"US\",\"rating\":\"\"},"
                        "{\"iso_3166_1\":\"KR\",\"rating\":\"19\"}]}}");
    assert_int_equal(enricher_certifications(tv, "tv", &list, &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(list[0], "GB:18");
    assert_string_equal(list[1], "KR:19");
    ps_mp_strs_free(&list, &count);
    /* The movie container is not read for tv, and the other way round. */
    assert_int_equal(enricher_certifications(tv, "movie", &list, &count), 0);
    assert_null(list);
    json_decref(tv);

    /* Present but empty: known to be none. */
    tv = s_json("{\"contentRatings\":{\"results\":[]}}");
    assert_int_equal(enricher_certifications(tv, "tv", &list, &count), 0);
    assert_non_null(list);
    assert_int_equal(count, 0);
    ps_mp_strs_free(&list, &count);
    json_decref(tv);
    tv = s_json("{\"contentRatings\":null}");
    assert_int_equal(enricher_certifications(tv, "tv", &list, &count), 0);
    assert_null(list);
    json_decref(tv);

    /* A media without either stays unknown on the wire. */
    char err[64];
    enricher_media_t *media = NULL;
    json_t *bare = s_json("{\"title\":\"Bare\"}");
    assert_int_equal(
        enricher_media_from_json(bare, "movie", &media, err, sizeof(err)), 0);
    ps_work_t *work = ps_work_new("request");
    assert_int_equal(enricher_media_apply(media, "movie", work), 0);
    assert_null(work->keywords);
    assert_null(work->certifications);
    ps_work_destroy(&work);
    enricher_media_destroy(&media);
    json_decref(bare);
}

/* ---- quota -------------------------------------------------------------- */

static void
test_enricher_quota_fixture(void **state)
{
    (void)state;
    json_t *body = s_fixture("user_quota_1.json");
    enricher_quota_t quota;
    char err[256];
    /* The admin: unlimited (limit 0, so `remaining` is omitted), a 7-day
       window. */
    assert_int_equal(enricher_quota_from_json(body, &quota, err, sizeof(err)),
                     0);
    assert_int_equal(quota.movie_limit, 0);
    assert_int_equal(quota.movie_used, 0);
    assert_int_equal(quota.movie_days, 7);
    assert_int_equal(quota.tv_limit, 0);
    assert_int_equal(quota.tv_used, 0);
    assert_int_equal(quota.tv_days, 7);
    ps_work_t *work = ps_work_new("request");
    enricher_quota_apply(&quota, work);
    assert_true(work->has_quota);
    assert_int_equal(work->quota_movie_days, 7);
    assert_int_equal(work->quota_tv_days, 7);
    enricher_quota_apply(NULL, work);
    assert_false(work->has_quota);
    assert_int_equal(work->quota_movie_days, 0);
    ps_work_destroy(&work);
    json_decref(body);
}

static void
test_enricher_quota_json(void **state)
{
    (void)state;
    enricher_quota_t quota;
    char err[256];
    /* The contract's example (§9.3). */
    json_t *body = s_json(
        "{\"movie\":{\"days\":7,\"limit\":10,\"used\":3,\"remaining\":7,"
        "\"restricted\":false},\"tv\":{\"days\":7,\"limit\":20,\"used\":20,"
        "\"remaining\":0,\"restricted\":true}}");
    assert_int_equal(enricher_quota_from_json(body, &quota, err, sizeof(err)),
                     0);
    assert_int_equal(quota.movie_limit, 10);
    assert_int_equal(quota.movie_used, 3);
    assert_int_equal(quota.movie_days, 7);
    assert_int_equal(quota.tv_limit, 20);
    assert_int_equal(quota.tv_used, 20);
    assert_int_equal(quota.tv_days, 7);
    json_decref(body);

    /* `days` omitted when unset; `remaining` omitted when unlimited;
       a null `limit` or `days` reads as unset. */
    body = s_json("{\"movie\":{\"limit\":5,\"used\":2,\"remaining\":3,"
                  "\"restricted\":false},\"tv\":{\"limit\":0,\"used\":9,"
                  "\"days\":null,\"restricted\":false}}");
    assert_int_equal(enricher_quota_from_json(body, &quota, err, sizeof(err)),
                     0);
    assert_int_equal(quota.movie_limit, 5);
    assert_int_equal(quota.movie_used, 2);
    assert_int_equal(quota.movie_days, 0);
    assert_int_equal(quota.tv_limit, 0);
    assert_int_equal(quota.tv_used, 9);
    assert_int_equal(quota.tv_days, 0);
    json_decref(body);
    body =
        s_json("{\"movie\":{\"used\":1},\"tv\":{\"used\":0,\"limit\":null}}");
    assert_int_equal(enricher_quota_from_json(body, &quota, err, sizeof(err)),
                     0);
    assert_int_equal(quota.movie_limit, 0);
    assert_int_equal(quota.movie_used, 1);
    json_decref(body);

    /* Errors name the field and leave the quota zeroed. */
    static const struct {
        const char *json;
        const char *err;
    } bad[] = {
        {"{\"movie\":{\"limit\":1},\"tv\":{\"used\":0}}",
         "quota field `movie.used`: missing"},
        {"{\"movie\":{\"used\":1},\"tv\":{\"used\":\"4\"}}",
         "quota field `tv.used`: expected a non-negative integer"},
        {"{\"movie\":{\"used\":1,\"limit\":-1},\"tv\":{\"used\":0}}",
         "quota field `movie.limit`: expected a non-negative integer"},
        {"{\"movie\":{\"used\":1,\"days\":7.5},\"tv\":{\"used\":0}}",
         "quota field `movie.days`: expected a non-negative integer"},
        {"{\"movie\":{\"used\":1}}",
         "quota: expected an object with `movie` and `tv` objects"},
        {"{\"status\":403,\"error\":\"You do not have permission\"}",
         "quota: expected an object with `movie` and `tv` objects"},
        {"[]", "quota: expected an object with `movie` and `tv` objects"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        body = s_json(bad[i].json);
        memset(&quota, 0x5a, sizeof(quota));
        assert_int_equal(
            enricher_quota_from_json(body, &quota, err, sizeof(err)), -1);
        assert_string_equal(err, bad[i].err);
        assert_int_equal(quota.movie_used, 0);
        assert_int_equal(quota.tv_limit, 0);
        json_decref(body);
    }
}

/* A civetweb stand-in for Overseerr's quota route. */
typedef struct {
    struct mg_context *ctx; /* the server */
    char base[64];          /* "http://127.0.0.1:<port>" */
} s_server_t;

static pthread_mutex_t s_hits_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_hits[16];        /* quota calls per user id */
static char *s_quota_fixture; /* user_quota_1.json, loaded in setup */

static int
s_quota_hits(int user)
{
    pthread_mutex_lock(&s_hits_lock);
    int hits = s_hits[user];
    pthread_mutex_unlock(&s_hits_lock);
    return hits;
}

static void
s_reply(struct mg_connection *conn, int status, const char *body)
{
    char out[2048];
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                     "Content-Type: application/json\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, strlen(body), body);
    mg_write(conn, out, (size_t)n);
}

/* Users: 1 the fixture, 2 a 403 (key without MANAGE_USERS), 3 a 404,
   4 a 500, 5 a body of the wrong shape, 6 a limited user. */
static int
s_quota_handler(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    const char *uri = mg_get_request_info(conn)->local_uri;
    int user = 0;
    if (sscanf(uri, "/api/v1/user/%d/quota", &user) != 1 || user < 0
        || user > 15) {
        s_reply(conn, 404, "{\"message\":\"Not found\"}");
        return 1;
    }
    pthread_mutex_lock(&s_hits_lock);
    s_hits[user]++;
    pthread_mutex_unlock(&s_hits_lock);
    if (user == 1)
        s_reply(conn, 200, s_quota_fixture);
    else if (user == 2)
        s_reply(conn, 403,
                "{\"status\":403,\"error\":\"You do not have permission to "
                "access this endpoint\"}");
    else if (user == 3)
        s_reply(conn, 404, "{\"message\":\"User not found.\"}");
    else if (user == 4)
        s_reply(conn, 500, "{\"message\":\"Something went wrong.\"}");
    else if (user == 5)
        s_reply(conn, 200, "{\"movie\":7}");
    else
        s_reply(conn, 200,
                "{\"movie\":{\"limit\":5,\"used\":2,\"remaining\":3,"
                "\"restricted\":false},\"tv\":{\"days\":14,\"limit\":4,"
                "\"used\":4,\"remaining\":0,\"restricted\":true}}");
    return 1;
}

static int
s_server_setup(void **state)
{
    s_server_t *server = calloc(1, sizeof(*server));
    if (!server)
        return -1;
    /* Loaded here: a cmocka failure must not happen on a server thread. */
    json_t *fixture = s_fixture("user_quota_1.json");
    s_quota_fixture = json_dumps(fixture, JSON_COMPACT);
    json_decref(fixture);
    const char *options[] = {"listening_ports", "127.0.0.1:0", "num_threads",
                             "2", NULL};
    mg_init_library(0);
    server->ctx = mg_start(NULL, NULL, options);
    *state = server;
    if (!server->ctx)
        return -1;
    mg_set_request_handler(server->ctx, "/", s_quota_handler, NULL);
    struct mg_server_port ports[4];
    memset(ports, 0, sizeof(ports));
    if (mg_get_server_ports(server->ctx, 4, ports) < 1 || ports[0].port <= 0)
        return -1;
    snprintf(server->base, sizeof(server->base), "http://127.0.0.1:%d",
             ports[0].port);
    return 0;
}

/* Per test: the server (started once for the group, since stopping
   civetweb takes a while) and fresh hit counters. */
static int
s_hits_reset(void **state)
{
    (void)state;
    pthread_mutex_lock(&s_hits_lock);
    memset(s_hits, 0, sizeof(s_hits));
    pthread_mutex_unlock(&s_hits_lock);
    return 0;
}

static int
s_server_teardown(void **state)
{
    s_server_t *server = *state;
    if (server && server->ctx)
        mg_stop(server->ctx);
    free(server);
    free(s_quota_fixture);
    s_quota_fixture = NULL;
    mg_exit_library();
    return 0;
}

static bool
s_lookup(enricher_quotas_t *quotas, ps_overseerr_t *client, int64_t user,
         int64_t now_ms, ps_work_t **work_p)
{
    ps_work_destroy(work_p);
    *work_p = ps_work_new("request");
    (*work_p)->request_id = 100 + user;
    (*work_p)->user_id = user;
    bool known = enricher_quotas_lookup(quotas, client, *work_p, now_ms);
    assert_true(known == (*work_p)->has_quota);
    return known;
}

static void
test_enricher_quota_lookup_cached(void **state)
{
    s_server_t *server = *state;
    ps_overseerr_t *client = ps_overseerr_new(server->base, "k", 3000);
    enricher_quotas_t *quotas =
        enricher_quotas_new(ENRICHER_QUOTA_TTL_S, ENRICHER_QUOTA_MAX);
    ps_work_t *work = NULL;
    assert_true(s_lookup(quotas, client, 1, 1000, &work));
    assert_int_equal(work->quota_movie_limit, 0);
    assert_int_equal(work->quota_movie_days, 7);
    assert_int_equal(work->quota_tv_days, 7);
    assert_int_equal(s_quota_hits(1), 1);
    assert_true(s_lookup(quotas, client, 6, 1000, &work));
    assert_int_equal(work->quota_movie_limit, 5);
    assert_int_equal(work->quota_movie_used, 2);
    assert_int_equal(work->quota_movie_days, 0);
    assert_int_equal(work->quota_tv_limit, 4);
    assert_int_equal(work->quota_tv_used, 4);
    assert_int_equal(work->quota_tv_days, 14);
    /* Within the TTL the answer is reused... */
    assert_true(s_lookup(quotas, client, 1, 1000 + 59999, &work));
    assert_int_equal(work->quota_tv_days, 7);
    assert_int_equal(s_quota_hits(1), 1);
    assert_int_equal(enricher_quotas_size(quotas), 2);
    /* ...and read again after it. */
    assert_true(s_lookup(quotas, client, 1, 1000 + 60000, &work));
    assert_int_equal(s_quota_hits(1), 2);
    /* No requester, or no client: nothing asked, nothing known. */
    assert_false(s_lookup(quotas, client, 0, 70000, &work));
    assert_false(s_lookup(quotas, NULL, 7, 70000, &work));
    assert_int_equal(s_quota_hits(0), 0);
    assert_int_equal(s_quota_hits(7), 0);
    /* The record carries it to the rule engine. */
    assert_true(s_lookup(quotas, client, 6, 70000, &work));
    ps_work_set_str(&work->media_type, "tv");
    work->tmdb_id = 1399;
    ps_work_set_type(work, "enriched");
    zmsg_t *msg = ps_work_encode(work);
    ps_work_t *copy = NULL;
    char err[256];
    assert_int_equal(ps_work_decode(zmsg_first(msg), &copy, err, sizeof(err)),
                     0);
    assert_true(copy->has_quota);
    assert_int_equal(copy->quota_tv_limit, 4);
    assert_int_equal(copy->quota_tv_days, 14);
    assert_int_equal(copy->quota_movie_days, 0);
    ps_work_destroy(&copy);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
    enricher_quotas_destroy(&quotas);
    enricher_quotas_destroy(&quotas);
    enricher_quotas_destroy(NULL);
    ps_overseerr_destroy(&client);
}

static void
test_enricher_quota_failures(void **state)
{
    s_server_t *server = *state;
    ps_overseerr_t *client = ps_overseerr_new(server->base, "k", 3000);
    enricher_quotas_t *quotas =
        enricher_quotas_new(ENRICHER_QUOTA_TTL_S, ENRICHER_QUOTA_MAX);
    ps_work_t *work = NULL;
    /* 404, a wrong shape: has_quota false, remembered for the TTL. */
    assert_false(s_lookup(quotas, client, 3, 1000, &work));
    assert_false(s_lookup(quotas, client, 5, 1000, &work));
    assert_false(s_lookup(quotas, client, 3, 2000, &work));
    assert_false(s_lookup(quotas, client, 5, 2000, &work));
    assert_int_equal(s_quota_hits(3), 1);
    assert_int_equal(s_quota_hits(5), 1);
    /* Other users are still asked. */
    assert_true(s_lookup(quotas, client, 6, 2000, &work));

    /* A 403 (the key lacks MANAGE_USERS) pauses every lookup for the
       TTL: user 1 is not asked meanwhile, and is afterwards. */
    assert_false(s_lookup(quotas, client, 2, 3000, &work));
    assert_int_equal(work->quota_movie_limit, 0);
    assert_false(s_lookup(quotas, client, 1, 4000, &work));
    assert_int_equal(s_quota_hits(1), 0);
    assert_true(s_lookup(quotas, client, 1, 63000, &work));
    assert_int_equal(s_quota_hits(1), 1);
    assert_int_equal(s_quota_hits(2), 1);

    /* A 500 pauses too. */
    assert_false(s_lookup(quotas, client, 4, 70000, &work));
    assert_false(s_lookup(quotas, client, 6, 71000, &work));
    assert_int_equal(s_quota_hits(4), 1);
    assert_int_equal(s_quota_hits(6), 1);
    ps_work_destroy(&work);
    enricher_quotas_destroy(&quotas);
    ps_overseerr_destroy(&client);

    /* Nobody listening (a timeout or refused connection): false, and the
       request is not held up beyond the client's timeout. */
    client = ps_overseerr_new("http://127.0.0.1:1", "k", 1000);
    quotas = enricher_quotas_new(ENRICHER_QUOTA_TTL_S, ENRICHER_QUOTA_MAX);
    assert_false(s_lookup(quotas, client, 1, 1000, &work));
    assert_false(work->has_quota);
    ps_work_destroy(&work);
    enricher_quotas_destroy(&quotas);
    ps_overseerr_destroy(&client);

    /* Caching disabled: every lookup asks. */
    client = ps_overseerr_new(server->base, "k", 3000);
    quotas = enricher_quotas_new(0, 0);
    assert_true(s_lookup(quotas, client, 6, 1000, &work));
    assert_true(s_lookup(quotas, client, 6, 1000, &work));
    assert_int_equal(s_quota_hits(6), 3);
    assert_int_equal(enricher_quotas_size(quotas), 0);
    ps_work_destroy(&work);
    enricher_quotas_destroy(&quotas);
    ps_overseerr_destroy(&client);
}

static void
test_enricher_quota_cache_cap(void **state)
{
    s_server_t *server = *state;
    ps_overseerr_t *client = ps_overseerr_new(server->base, "k", 3000);
    enricher_quotas_t *quotas = enricher_quotas_new(60, 2);
    ps_work_t *work = NULL;
    assert_true(s_lookup(quotas, client, 6, 1000, &work));
    assert_true(s_lookup(quotas, client, 7, 1001, &work));
    assert_true(s_lookup(quotas, client, 8, 1002, &work));
    assert_int_equal(enricher_quotas_size(quotas), 2);
    /* The oldest (6) went first. */
    assert_true(s_lookup(quotas, client, 7, 1003, &work));
    assert_int_equal(s_quota_hits(7), 1);
    assert_true(s_lookup(quotas, client, 6, 1004, &work));
    assert_int_equal(s_quota_hits(6), 2);
    ps_work_destroy(&work);
    enricher_quotas_destroy(&quotas);
    ps_overseerr_destroy(&client);
}

/* ---- history ------------------------------------------------------------ */

/* A gateway stand-in on the authority socket: user 7 gets a history
   echoing what was asked (requests = the request id, since as sent),
   user 8 an empty frame (refused), user 9 someone else's history, user 10
   garbage, user 11 no answer at all, user 12 its history 200 ms late. */
static void
s_gateway_actor(zsock_t *pipe, void *args)
{
    zsock_t *rep = zsock_new_rep((const char *)args);
    zsock_signal(pipe, rep ? 0 : 1);
    if (!rep)
        return;
    zpoller_t *poller = zpoller_new(pipe, rep, NULL);
    while (zpoller_wait(poller, -1) == rep) {
        zmsg_t *msg = zmsg_recv(rep);
        int64_t user = 0;
        int64_t request = 0;
        int64_t since = 0;
        char err[256];
        if (!msg
            || ps_history_ask_decode(zmsg_first(msg), &user, &request, &since,
                                     err, sizeof(err))
                   != 0)
            user = 8;
        zmsg_destroy(&msg);
        ps_history_t history = {.user_id = user == 9 ? 1 : user,
                                .since = since,
                                .requests = request,
                                .approved = 12,
                                .declined = 3};
        zmsg_t *reply = NULL;
        if (user == 11)
            continue; /* REP is now stuck; the client gives up */
        if (user == 12)
            zclock_sleep(200);
        if (user == 8) {
            reply = zmsg_new();
            zmsg_addmem(reply, NULL, 0);
        } else if (user == 10) {
            reply = zmsg_new();
            zmsg_addstr(reply, "not msgpack");
        } else
            reply = ps_history_encode(&history);
        zmsg_send(&reply, rep);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&rep);
}

/* Asks, then reads the answer: what the enricher does around its
   Overseerr lookups. */
static enricher_history_rc_t
s_history_lookup(ps_req_t *req, ps_work_t *work, int64_t now_ms, int timeout_ms,
                 char *err, size_t errlen)
{
    enricher_history_rc_t rc =
        enricher_history_ask(req, work, now_ms, err, errlen);
    if (rc != ENRICHER_HISTORY_OK)
        return rc;
    return enricher_history_take(req, work, timeout_ms, err, errlen);
}

static void
test_enricher_history_lookup(void **state)
{
    (void)state;
    zactor_t *gateway =
        zactor_new(s_gateway_actor, "@inproc://test-enricher-history");
    assert_non_null(gateway);
    char err[256];
    ps_req_t *req =
        ps_req_new(NULL, "inproc://test-enricher-history", err, sizeof(err));
    assert_non_null(req);
    int64_t now = 1750000000000LL;
    ps_work_t *work = ps_work_new("request");
    work->request_id = 4242;
    work->user_id = 7;
    assert_int_equal(s_history_lookup(req, work, now, 1000, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    assert_true(work->has_history);
    /* The stand-in echoes the request id and the window start. */
    assert_int_equal(work->history_week, 4242);
    assert_int_equal(work->history_approved, 12);
    assert_int_equal(work->history_declined, 3);

    /* Failures leave has_history false. */
    static const struct {
        int64_t user;
        enricher_history_rc_t rc;
    } bad[] = {
        {8, ENRICHER_HISTORY_REFUSED},
        {9, ENRICHER_HISTORY_BAD},
        {10, ENRICHER_HISTORY_BAD},
        {11, ENRICHER_HISTORY_TIMEOUT},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ps_work_destroy(&work);
        work = ps_work_new("request");
        work->request_id = 1;
        work->user_id = bad[i].user;
        err[0] = '\0';
        assert_int_equal(
            s_history_lookup(req, work, now, 300, err, sizeof(err)), bad[i].rc);
        assert_string_not_equal(err, "");
        assert_false(work->has_history);
        assert_int_equal(work->history_week, 0);
    }
    assert_string_equal(enricher_history_strerror(ENRICHER_HISTORY_TIMEOUT),
                        "timeout");
    assert_string_equal(enricher_history_strerror(ENRICHER_HISTORY_REFUSED),
                        "refused");
    ps_work_destroy(&work);
    ps_req_destroy(&req);
    zactor_destroy(&gateway);

    /* Nobody there: a timeout, then the request goes on. */
    req = ps_req_new(NULL, "inproc://test-enricher-nobody", err, sizeof(err));
    work = ps_work_new("request");
    work->user_id = 7;
    assert_int_equal(s_history_lookup(req, work, now, 100, err, sizeof(err)),
                     ENRICHER_HISTORY_TIMEOUT);
    assert_false(work->has_history);
    ps_work_destroy(&work);
    ps_req_destroy(&req);
}

/* A request that goes to release or review never reads its history
   answer: cancelling it must leave the client able to ask again, and the
   next answer must be the next request's, whether the dropped answer had
   arrived, never came, or was not asked for. */
static void
test_enricher_history_cancelled(void **state)
{
    (void)state;
    zactor_t *gateway =
        zactor_new(s_gateway_actor, "@inproc://test-enricher-cancel");
    assert_non_null(gateway);
    char err[256];
    ps_req_t *req =
        ps_req_new(NULL, "inproc://test-enricher-cancel", err, sizeof(err));
    assert_non_null(req);
    int64_t now = 1750000000000LL;
    ps_work_t *work = ps_work_new("request");
    work->user_id = 7;

    /* Nothing asked: cancelling and reading are no-ops. */
    ps_req_cancel(req);
    assert_false(ps_req_awaiting(req));
    assert_int_equal(enricher_history_take(req, work, 100, err, sizeof(err)),
                     ENRICHER_HISTORY_TIMEOUT);

    /* The answer to request 1 arrives but is never read. */
    work->request_id = 1;
    assert_int_equal(enricher_history_ask(req, work, now, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    assert_true(ps_req_awaiting(req));
    zclock_sleep(100);
    ps_req_cancel(req);
    assert_false(ps_req_awaiting(req));
    work->request_id = 2;
    assert_int_equal(s_history_lookup(req, work, now, 1000, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    assert_int_equal(work->history_week, 2);

    /* Asked, then asked again without reading: the first is given up. */
    work->request_id = 3;
    assert_int_equal(enricher_history_ask(req, work, now, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    work->request_id = 4;
    assert_int_equal(s_history_lookup(req, work, now, 1000, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    assert_int_equal(work->history_week, 4);

    /* Given up before its answer came (user 12 is answered late): the
       late answer goes to the replaced socket, not to the next ask. */
    ps_work_t *slow = ps_work_new("request");
    slow->user_id = 12;
    slow->request_id = 99;
    assert_int_equal(enricher_history_ask(req, slow, now, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    ps_req_cancel(req);
    assert_false(ps_req_awaiting(req));
    ps_work_destroy(&slow);
    work->request_id = 5;
    assert_int_equal(s_history_lookup(req, work, now, 2000, err, sizeof(err)),
                     ENRICHER_HISTORY_OK);
    assert_int_equal(work->history_week, 5);

    ps_work_destroy(&work);
    ps_req_destroy(&req);
    zactor_destroy(&gateway);
}

/* The stand-in answers with the `since` it was sent: check the window. */
static void
test_enricher_history_window(void **state)
{
    (void)state;
    zactor_t *gateway =
        zactor_new(s_gateway_actor, "@inproc://test-enricher-window");
    assert_non_null(gateway);
    char err[256];
    ps_req_t *req =
        ps_req_new(NULL, "inproc://test-enricher-window", err, sizeof(err));
    zmsg_t *ask = ps_history_ask_encode(7, 55, 1000);
    zmsg_t *reply = ps_req_call(req, &ask, 1000);
    assert_non_null(reply);
    ps_history_t history;
    assert_int_equal(
        ps_history_decode(zmsg_first(reply), &history, err, sizeof(err)), 0);
    assert_int_equal(history.since, 1000);
    assert_int_equal(history.requests, 55);
    zmsg_destroy(&reply);
    /* What the enricher sends: 7 days before now. */
    assert_int_equal(ENRICHER_HISTORY_WINDOW_MS, 604800000LL);
    ps_req_destroy(&req);
    zactor_destroy(&gateway);
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
        cmocka_unit_test(test_enricher_movie_keywords_certifications),
        cmocka_unit_test(test_enricher_tv_keywords_certifications),
        cmocka_unit_test(test_enricher_keyword_shapes),
        cmocka_unit_test(test_enricher_certifications_every_country),
        cmocka_unit_test(test_enricher_quota_fixture),
        cmocka_unit_test(test_enricher_quota_json),
        cmocka_unit_test_setup_teardown(test_enricher_quota_lookup_cached,
                                        s_hits_reset, NULL),
        cmocka_unit_test_setup_teardown(test_enricher_quota_failures,
                                        s_hits_reset, NULL),
        cmocka_unit_test_setup_teardown(test_enricher_quota_cache_cap,
                                        s_hits_reset, NULL),
        cmocka_unit_test(test_enricher_history_lookup),
        cmocka_unit_test(test_enricher_history_cancelled),
        cmocka_unit_test(test_enricher_history_window),
    };
    return cmocka_run_group_tests(tests, s_server_setup, s_server_teardown);
}
