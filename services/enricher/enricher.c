/*  enricher - see enricher.h.

    Shape: the JSON mapping and the cache come first and touch no socket,
    so tests drive them with the contract fixtures; the service part after
    them reads one request at a time, looks it up (cache, then Overseerr
    with one retry after 500 ms for a transient failure) and sends it on.
    Overseerr omits undefined fields (contracts/overseerr.md §0), so every
    field is read through a type-checking helper and may be missing.      */
#include "enricher.h"

#include "ps_beat.h"
#include "ps_control.h"
#include "ps_log.h"
#include "ps_mp.h"
#include "ps_service.h"
#include "ps_time.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ms before the one retry of a transient failure. */
#define ENRICHER_RETRY_MS 500
/* Incoming queue limit: a small one lets several enrichers share work. */
#define ENRICHER_REQUESTS_HWM 100

/* ------------------------------------------------------------------ */
/*  JSON -> enricher_media_t                                           */

void
enricher_media_destroy(enricher_media_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enricher_media_t *self = *self_p;
    free(self->title);
    free(self->genre_ids);
    for (size_t i = 0; i < self->genre_count; i++)
        free(self->genres[i]);
    free(self->genres);
    free(self->release_date);
    free(self->media_status);
    free(self->certification);
    ps_mp_strs_free(&self->certifications, &self->certification_count);
    ps_mp_strs_free(&self->keywords, &self->keyword_count);
    free(self->language);
    free(self->overview);
    free(self->poster_path);
    free(self->season_numbers);
    free(self->season_episodes);
    free(self);
    *self_p = NULL;
}

/* strdup that keeps NULL. Sets *oom when a copy failed. */
static char *
s_dup(const char *text, bool *oom)
{
    if (!text)
        return NULL;
    char *copy = strdup(text);
    if (!copy)
        *oom = true;
    return copy;
}

/* A number member as a double (voteAverage may come as 0 or 7.5). */
static double
s_number(const json_t *object, const char *key)
{
    const json_t *value = json_object_get(object, key);
    return json_is_number(value) ? json_number_value(value) : 0.0;
}

static int64_t
s_int(const json_t *object, const char *key)
{
    int64_t value = 0;
    const json_t *member = json_object_get(object, key);
    /* Strings are not accepted here: TMDB sends numbers, and a string
       would be a mapper bug worth ignoring rather than guessing at. */
    if (json_is_integer(member))
        value = json_integer_value(member);
    return value;
}

/* "YYYY-MM-DD" -> YYYY, 0 when empty or not a date. */
static int64_t
s_year(const char *date)
{
    if (!date)
        return 0;
    int64_t year = 0;
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)date[i]))
            return 0;
        year = year * 10 + (date[i] - '0');
    }
    return year;
}

/* The country entry of a TMDB "results" list, or NULL. */
static const json_t *
s_country(const json_t *container, const char *country)
{
    const json_t *results = json_object_get(container, "results");
    size_t index;
    const json_t *entry;
    json_array_foreach(results, index, entry)
    {
        const char *code = ps_json_str(entry, "iso_3166_1");
        if (code && strcmp(code, country) == 0)
            return entry;
    }
    return NULL;
}

/* One country entry's certification: for tv its rating; for a movie the
   first non-empty certification of its release_dates, a theatrical (type
   3) one preferred. NULL when there is none. */
static const char *
s_entry_certification(const json_t *entry, bool tv)
{
    if (tv) {
        const char *rating = ps_json_str(entry, "rating");
        return rating && *rating ? rating : NULL;
    }
    const char *found = NULL;
    const json_t *dates = json_object_get(entry, "release_dates");
    size_t index;
    const json_t *date;
    json_array_foreach(dates, index, date)
    {
        const char *cert = ps_json_str(date, "certification");
        if (!cert || !*cert)
            continue;
        if (s_int(date, "type") == 3)
            return cert;
        if (!found)
            found = cert;
    }
    return found;
}

static bool
s_is_tv(const char *media_type)
{
    return media_type && strcmp(media_type, "tv") == 0;
}

/* The "results" container holding the per-country entries, or NULL. */
static const json_t *
s_ratings(const json_t *details, bool tv)
{
    return json_object_get(details, tv ? "contentRatings" : "releases");
}

int
enricher_certification(const json_t *details, const char *media_type, char *buf,
                       size_t len)
{
    bool tv = s_is_tv(media_type);
    const char *found =
        s_entry_certification(s_country(s_ratings(details, tv), "US"), tv);
    buf[0] = '\0';
    if (!found)
        return -1;
    int n = snprintf(buf, len, "%s", found);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* A list of strings that is either absent (NULL) or an array with room
   for `room` entries and a NULL after the last. */
typedef struct {
    char **items; /* owned until handed over */
    size_t count; /* entries in items */
    size_t room;  /* entries items can hold */
} s_strs_t;

static int
s_strs_init(s_strs_t *list, size_t room)
{
    if (room > ENRICHER_LIST_MAX)
        room = ENRICHER_LIST_MAX;
    list->count = 0;
    list->room = room;
    list->items = calloc(room + 1, sizeof(*list->items));
    return list->items ? 0 : -1;
}

/* Appends a copy of text unless the list is full. Returns -1 on OOM. */
static int
s_strs_add(s_strs_t *list, const char *text)
{
    if (list->count >= list->room)
        return 0;
    list->items[list->count] = strdup(text);
    if (!list->items[list->count])
        return -1;
    list->count++;
    return 0;
}

/* True when the list already holds an entry starting with prefix. */
static bool
s_strs_has_prefix(const s_strs_t *list, const char *prefix)
{
    size_t len = strlen(prefix);
    for (size_t i = 0; i < list->count; i++) {
        if (strncmp(list->items[i], prefix, len) == 0)
            return true;
    }
    return false;
}

/* A plausible ISO 3166-1 code: two or three ASCII letters or digits. */
static bool
s_country_code(const char *code)
{
    size_t len = code ? strlen(code) : 0;
    if (len < 2 || len > 3)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)code[i]))
            return false;
    }
    return true;
}

int
enricher_certifications(const json_t *details, const char *media_type,
                        char ***out, size_t *count)
{
    bool tv = s_is_tv(media_type);
    const json_t *results = json_object_get(s_ratings(details, tv), "results");
    *out = NULL;
    *count = 0;
    if (!json_is_array(results))
        return 0;
    s_strs_t list;
    if (s_strs_init(&list, json_array_size(results)) != 0)
        return -1;
    size_t index;
    const json_t *entry;
    json_array_foreach(results, index, entry)
    {
        const char *code = ps_json_str(entry, "iso_3166_1");
        const char *value = s_entry_certification(entry, tv);
        /* A value too long for any rating system is noise: skip it. */
        if (!s_country_code(code) || !value
            || strlen(value) > ENRICHER_CERTIFICATION_MAX)
            continue;
        char prefix[8];
        char item[64];
        int p = snprintf(prefix, sizeof(prefix), "%s:", code);
        int n = snprintf(item, sizeof(item), "%s:%s", code, value);
        if (p < 0 || (size_t)p >= sizeof(prefix) || n < 0
            || (size_t)n >= sizeof(item) || s_strs_has_prefix(&list, prefix))
            continue;
        if (s_strs_add(&list, item) != 0) {
            ps_mp_strs_free(&list.items, &list.count);
            return -1;
        }
    }
    *out = list.items;
    *count = list.count;
    return 0;
}

/* The keyword array in any of the shapes Overseerr or TMDB use. */
static const json_t *
s_keyword_array(const json_t *keywords)
{
    if (json_is_array(keywords))
        return keywords;
    const json_t *inner = json_object_get(keywords, "keywords");
    if (json_is_array(inner))
        return inner;
    inner = json_object_get(keywords, "results");
    return json_is_array(inner) ? inner : NULL;
}

int
enricher_keywords(const json_t *details, char ***out, size_t *count)
{
    const json_t *keywords =
        s_keyword_array(json_object_get(details, "keywords"));
    *out = NULL;
    *count = 0;
    if (!keywords)
        return 0;
    s_strs_t list;
    if (s_strs_init(&list, json_array_size(keywords)) != 0)
        return -1;
    size_t index;
    const json_t *keyword;
    json_array_foreach(keywords, index, keyword)
    {
        const char *name = json_is_string(keyword)
                               ? json_string_value(keyword)
                               : ps_json_str(keyword, "name");
        if (!name || !*name)
            continue;
        if (s_strs_add(&list, name) != 0) {
            ps_mp_strs_free(&list.items, &list.count);
            return -1;
        }
    }
    *out = list.items;
    *count = list.count;
    return 0;
}

char *
enricher_trim_overview(const char *text, size_t max_bytes)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026, 3 bytes */
    if (!text)
        return NULL;
    size_t len = strlen(text);
    if (len <= max_bytes)
        return strdup(text);
    assert(max_bytes > sizeof(ellipsis) - 1);
    size_t room = max_bytes - (sizeof(ellipsis) - 1);
    /* text[cut] is the first byte left out: move back to a lead byte so
       no UTF-8 character is split. */
    size_t cut = room;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    size_t word = cut;
    while (word > 0 && !isspace((unsigned char)text[word]))
        word--;
    /* One very long word: cutting inside it beats dropping half the
       text. */
    if (word > room / 2)
        cut = word;
    while (cut > 0
           && (isspace((unsigned char)text[cut - 1])
               || strchr(",;:-", text[cut - 1])))
        cut--;
    char *out = malloc(cut + sizeof(ellipsis));
    if (!out)
        return NULL;
    memcpy(out, text, cut);
    memcpy(out + cut, ellipsis, sizeof(ellipsis));
    return out;
}

static int
s_genres_from_json(enricher_media_t *media, const json_t *genres)
{
    size_t n = json_is_array(genres) ? json_array_size(genres) : 0;
    /* Allocated even when empty, so "genres: []" travels on. */
    media->genre_ids = calloc(n + 1, sizeof(*media->genre_ids));
    media->genres = calloc(n + 1, sizeof(*media->genres));
    if (!media->genre_ids || !media->genres)
        return -1;
    size_t index;
    const json_t *genre;
    json_array_foreach(genres, index, genre)
    {
        const char *name = ps_json_str(genre, "name");
        if (!name)
            continue;
        media->genres[media->genre_count] = strdup(name);
        if (!media->genres[media->genre_count])
            return -1;
        media->genre_ids[media->genre_count] = s_int(genre, "id");
        media->genre_count++;
    }
    return 0;
}

static int
s_seasons_from_json(enricher_media_t *media, const json_t *seasons)
{
    size_t n = json_is_array(seasons) ? json_array_size(seasons) : 0;
    if (n == 0)
        return 0;
    media->season_numbers = calloc(n, sizeof(*media->season_numbers));
    media->season_episodes = calloc(n, sizeof(*media->season_episodes));
    if (!media->season_numbers || !media->season_episodes)
        return -1;
    size_t index;
    const json_t *season;
    json_array_foreach(seasons, index, season)
    {
        if (!json_is_integer(json_object_get(season, "seasonNumber")))
            continue;
        media->season_numbers[media->season_count] =
            s_int(season, "seasonNumber");
        media->season_episodes[media->season_count] =
            s_int(season, "episodeCount");
        media->season_count++;
    }
    return 0;
}

int
enricher_media_from_json(const json_t *details, const char *media_type,
                         enricher_media_t **out, char *err, size_t errlen)
{
    int rc = -1;
    bool oom = false;
    enricher_media_t *media = NULL;
    *out = NULL;
    if (!json_is_object(details)) {
        snprintf(err, errlen, "media details: expected a JSON object");
        goto out;
    }
    media = calloc(1, sizeof(*media));
    if (!media)
        goto out_oom;
    bool tv = s_is_tv(media_type);
    const char *title = ps_json_str(details, tv ? "name" : "title");
    if (!title)
        title = ps_json_str(details, tv ? "title" : "name");
    const char *date =
        ps_json_str(details, tv ? "firstAirDate" : "releaseDate");
    media->title = s_dup(title ? title : "", &oom);
    media->release_date = s_dup(date ? date : "", &oom);
    media->year = s_year(date);
    media->rating = s_number(details, "voteAverage");
    media->votes = s_int(details, "voteCount");
    media->popularity = s_number(details, "popularity");
    media->media_status = s_dup(ps_json_str(details, "status"), &oom);
    media->language = s_dup(ps_json_str(details, "originalLanguage"), &oom);
    media->poster_path = s_dup(ps_json_str(details, "posterPath"), &oom);
    char cert[64];
    if (enricher_certification(details, media_type, cert, sizeof(cert)) == 0)
        media->certification = s_dup(cert, &oom);
    if (enricher_certifications(details, media_type, &media->certifications,
                                &media->certification_count)
            != 0
        || enricher_keywords(details, &media->keywords, &media->keyword_count)
               != 0)
        goto out_oom;
    const char *overview = ps_json_str(details, "overview");
    if (overview) {
        media->overview =
            enricher_trim_overview(overview, ENRICHER_OVERVIEW_MAX);
        oom = oom || !media->overview;
    }
    if (tv) {
        const json_t *runtimes = json_object_get(details, "episodeRunTime");
        const json_t *first = json_array_get(runtimes, 0);
        media->runtime = json_is_integer(first) ? json_integer_value(first) : 0;
        media->total_seasons = s_int(details, "numberOfSeasons");
        media->total_episodes = s_int(details, "numberOfEpisodes");
        if (s_seasons_from_json(media, json_object_get(details, "seasons")))
            goto out_oom;
    } else {
        media->runtime = s_int(details, "runtime");
        media->adult = json_is_true(json_object_get(details, "adult"));
    }
    if (oom || s_genres_from_json(media, json_object_get(details, "genres")))
        goto out_oom;
    rc = 0;
    goto out;
out_oom:
    snprintf(err, errlen, "out of memory");
out:
    if (rc == 0)
        *out = media;
    else
        enricher_media_destroy(&media);
    return rc;
}

int64_t
enricher_requested_episodes(const enricher_media_t *media,
                            const int64_t *seasons, size_t count)
{
    int64_t total = 0;
    for (size_t i = 0; i < media->season_count; i++) {
        int64_t number = media->season_numbers[i];
        if (number == 0)
            continue;
        bool requested = count == 0;
        for (size_t j = 0; j < count && !requested; j++)
            requested = seasons[j] == number;
        if (requested)
            total += media->season_episodes[i];
    }
    return total;
}

/* Replaces *dst with a copy of src (NULL stays NULL). Returns -1 on OOM,
   leaving *dst NULL. */
static int
s_strs_copy(char ***dst, size_t *dst_count, char *const *src, size_t count)
{
    ps_mp_strs_free(dst, dst_count);
    if (!src)
        return 0;
    s_strs_t list;
    if (s_strs_init(&list, count) != 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (s_strs_add(&list, src[i]) != 0) {
            ps_mp_strs_free(&list.items, &list.count);
            return -1;
        }
    }
    *dst = list.items;
    *dst_count = list.count;
    return 0;
}

int
enricher_media_apply(const enricher_media_t *media, const char *media_type,
                     ps_work_t *work)
{
    if (ps_work_set_str(&work->title, media->title)
        || ps_work_set_str(&work->release_date, media->release_date)
        || ps_work_set_str(&work->media_status, media->media_status)
        || ps_work_set_str(&work->certification, media->certification)
        || ps_work_set_str(&work->language, media->language)
        || ps_work_set_str(&work->overview, media->overview)
        || ps_work_set_str(&work->poster_path, media->poster_path))
        return -1;
    work->year = media->year;
    work->rating = media->rating;
    work->votes = media->votes;
    work->popularity = media->popularity;
    work->runtime = media->runtime;
    work->total_seasons = media->total_seasons;
    work->total_episodes = media->total_episodes;
    work->adult = media->adult;
    if (s_strs_copy(&work->keywords, &work->keyword_count, media->keywords,
                    media->keyword_count)
        || s_strs_copy(&work->certifications, &work->certification_count,
                       media->certifications, media->certification_count))
        return -1;
    bool tv = media_type && strcmp(media_type, "tv") == 0;
    work->requested_episodes = tv ? enricher_requested_episodes(
                                   media, work->seasons, work->season_count)
                                  : 0;
    /* Replace any genres the record already had. */
    free(work->genre_ids);
    for (size_t i = 0; i < work->genre_count; i++)
        free(work->genres[i]);
    free(work->genres);
    work->genre_count = 0;
    work->genre_ids = calloc(media->genre_count + 1, sizeof(*work->genre_ids));
    work->genres = calloc(media->genre_count + 1, sizeof(*work->genres));
    if (!work->genre_ids || !work->genres)
        return -1;
    for (size_t i = 0; i < media->genre_count; i++) {
        work->genres[i] = strdup(media->genres[i]);
        if (!work->genres[i])
            return -1;
        work->genre_ids[i] = media->genre_ids[i];
        work->genre_count++;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/*  The cache                                                          */

typedef struct {
    char key[40];            /* "movie:603" */
    enricher_media_t *media; /* owned */
    int64_t stored_ms;       /* when it was fetched */
    void *node;              /* its handle in the age list */
} s_entry_t;

struct enricher_cache {
    zhashx_t *entries; /* key -> s_entry_t, owns nothing itself */
    zlistx_t *order;   /* s_entry_t, oldest first; owns the entries */
    int64_t ttl_ms;    /* entry lifetime */
    size_t max;        /* entry cap */
};

static void
s_entry_free(s_entry_t **entry_p)
{
    if (!entry_p || !*entry_p)
        return;
    enricher_media_destroy(&(*entry_p)->media);
    free(*entry_p);
    *entry_p = NULL;
}

/* zlistx destructor adapter. */
static void
s_entry_destructor(void **item)
{
    s_entry_free((s_entry_t **)item);
}

enricher_cache_t *
enricher_cache_new(int ttl_s, int max)
{
    enricher_cache_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->entries = zhashx_new();
    self->order = zlistx_new();
    if (!self->entries || !self->order) {
        enricher_cache_destroy(&self);
        return NULL;
    }
    zlistx_set_destructor(self->order, s_entry_destructor);
    self->ttl_ms = ttl_s > 0 ? ttl_s * 1000LL : 0;
    self->max = max > 0 ? (size_t)max : 0;
    return self;
}

void
enricher_cache_destroy(enricher_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->entries);
    zlistx_destroy(&(*self_p)->order);
    free(*self_p);
    *self_p = NULL;
}

static void
s_cache_remove(enricher_cache_t *self, s_entry_t *entry)
{
    zhashx_delete(self->entries, entry->key);
    zlistx_delete(self->order, entry->node);
}

static void
s_cache_trim(enricher_cache_t *self, size_t keep)
{
    while (zlistx_size(self->order) > keep)
        s_cache_remove(self, zlistx_first(self->order));
}

void
enricher_cache_configure(enricher_cache_t *self, int ttl_s, int max)
{
    self->ttl_ms = ttl_s > 0 ? ttl_s * 1000LL : 0;
    self->max = max > 0 ? (size_t)max : 0;
    s_cache_trim(self, self->ttl_ms ? self->max : 0);
}

static void
s_cache_key(char *key, size_t len, const char *media_type, int64_t tmdb_id)
{
    snprintf(key, len, "%.8s:%" PRId64, media_type ? media_type : "", tmdb_id);
}

const enricher_media_t *
enricher_cache_get(enricher_cache_t *self, const char *media_type,
                   int64_t tmdb_id, int64_t now_ms)
{
    char key[40];
    s_cache_key(key, sizeof(key), media_type, tmdb_id);
    s_entry_t *entry = zhashx_lookup(self->entries, key);
    if (!entry)
        return NULL;
    if (now_ms - entry->stored_ms >= self->ttl_ms) {
        s_cache_remove(self, entry);
        return NULL;
    }
    return entry->media;
}

int
enricher_cache_put(enricher_cache_t *self, const char *media_type,
                   int64_t tmdb_id, enricher_media_t **media_p, int64_t now_ms)
{
    if (self->ttl_ms == 0 || self->max == 0) {
        enricher_media_destroy(media_p);
        return 0;
    }
    s_entry_t *entry = calloc(1, sizeof(*entry));
    if (!entry) {
        enricher_media_destroy(media_p);
        return -1;
    }
    s_cache_key(entry->key, sizeof(entry->key), media_type, tmdb_id);
    entry->media = *media_p;
    *media_p = NULL;
    entry->stored_ms = now_ms;
    s_entry_t *old = zhashx_lookup(self->entries, entry->key);
    if (old)
        s_cache_remove(self, old);
    s_cache_trim(self, self->max - 1);
    entry->node = zlistx_add_end(self->order, entry);
    if (!entry->node) {
        s_entry_free(&entry);
        return -1;
    }
    if (zhashx_insert(self->entries, entry->key, entry) != 0) {
        zlistx_delete(self->order, entry->node);
        return -1;
    }
    return 0;
}

size_t
enricher_cache_size(const enricher_cache_t *self)
{
    return zlistx_size(self->order);
}

/* ------------------------------------------------------------------ */
/*  Requester quota                                                    */

/* Reads one of a quota's integers: absent or null gives 0 unless
   required; anything else must be a non-negative integer. */
static int
s_quota_int(const json_t *side, const char *side_name, const char *key,
            bool required, int64_t *out, char *err, size_t errlen)
{
    const json_t *value = json_object_get(side, key);
    *out = 0;
    if (!value || json_is_null(value)) {
        if (!required)
            return 0;
        snprintf(err, errlen, "quota field `%s.%s`: missing", side_name, key);
        return -1;
    }
    if (!json_is_integer(value) || json_integer_value(value) < 0) {
        snprintf(err, errlen,
                 "quota field `%s.%s`: expected a non-negative integer",
                 side_name, key);
        return -1;
    }
    *out = json_integer_value(value);
    return 0;
}

int
enricher_quota_from_json(const json_t *body, enricher_quota_t *out, char *err,
                         size_t errlen)
{
    enricher_quota_t quota = {0};
    const json_t *movie = json_object_get(body, "movie");
    const json_t *tv = json_object_get(body, "tv");
    memset(out, 0, sizeof(*out));
    if (!json_is_object(movie) || !json_is_object(tv)) {
        snprintf(err, errlen,
                 "quota: expected an object with `movie` and `tv` objects");
        return -1;
    }
    if (s_quota_int(movie, "movie", "limit", false, &quota.movie_limit, err,
                    errlen)
        || s_quota_int(movie, "movie", "used", true, &quota.movie_used, err,
                       errlen)
        || s_quota_int(movie, "movie", "days", false, &quota.movie_days, err,
                       errlen)
        || s_quota_int(tv, "tv", "limit", false, &quota.tv_limit, err, errlen)
        || s_quota_int(tv, "tv", "used", true, &quota.tv_used, err, errlen)
        || s_quota_int(tv, "tv", "days", false, &quota.tv_days, err, errlen))
        return -1;
    *out = quota;
    return 0;
}

void
enricher_quota_apply(const enricher_quota_t *quota, ps_work_t *work)
{
    enricher_quota_t none = {0};
    if (!quota)
        quota = &none;
    work->has_quota = quota != &none;
    work->quota_movie_limit = quota->movie_limit;
    work->quota_movie_used = quota->movie_used;
    work->quota_movie_days = quota->movie_days;
    work->quota_tv_limit = quota->tv_limit;
    work->quota_tv_used = quota->tv_used;
    work->quota_tv_days = quota->tv_days;
}

typedef struct {
    char key[24];           /* the user id in decimal */
    bool known;             /* false: the lookup failed */
    enricher_quota_t quota; /* the answer when known */
    int64_t stored_ms;      /* when it was read (monotonic) */
    void *node;             /* its handle in the age list */
} s_quota_entry_t;

struct enricher_quotas {
    zhashx_t *entries;    /* key -> s_quota_entry_t, owns nothing */
    zlistx_t *order;      /* s_quota_entry_t, oldest first; owns them */
    int64_t ttl_ms;       /* entry lifetime and failure pause */
    size_t max;           /* entry cap */
    int64_t paused_until; /* no lookups before this (monotonic ms) */
    unsigned warned;      /* bit per ps_overseerr_rc_t already logged */
};

static void
s_quota_entry_destructor(void **item)
{
    free(*item);
    *item = NULL;
}

enricher_quotas_t *
enricher_quotas_new(int ttl_s, int max)
{
    enricher_quotas_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->entries = zhashx_new();
    self->order = zlistx_new();
    if (!self->entries || !self->order) {
        enricher_quotas_destroy(&self);
        return NULL;
    }
    zlistx_set_destructor(self->order, s_quota_entry_destructor);
    self->ttl_ms = ttl_s > 0 ? ttl_s * 1000LL : 0;
    self->max = max > 0 ? (size_t)max : 0;
    return self;
}

void
enricher_quotas_destroy(enricher_quotas_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->entries);
    zlistx_destroy(&(*self_p)->order);
    free(*self_p);
    *self_p = NULL;
}

size_t
enricher_quotas_size(const enricher_quotas_t *self)
{
    return zlistx_size(self->order);
}

static void
s_quotas_remove(enricher_quotas_t *self, s_quota_entry_t *entry)
{
    zhashx_delete(self->entries, entry->key);
    zlistx_delete(self->order, entry->node);
}

/* Remembers an answer (quota) or a failure (NULL). Entries are added in
   time order, so the list front is both the oldest and the first to
   expire. */
static void
s_quotas_put(enricher_quotas_t *self, const char *key,
             const enricher_quota_t *quota, int64_t now_ms)
{
    if (self->ttl_ms == 0 || self->max == 0)
        return;
    s_quota_entry_t *old = zhashx_lookup(self->entries, key);
    if (old)
        s_quotas_remove(self, old);
    s_quota_entry_t *first = zlistx_first(self->order);
    while (first
           && (zlistx_size(self->order) >= self->max
               || now_ms - first->stored_ms >= self->ttl_ms)) {
        s_quotas_remove(self, first);
        first = zlistx_first(self->order);
    }
    s_quota_entry_t *entry = calloc(1, sizeof(*entry));
    if (!entry)
        return;
    snprintf(entry->key, sizeof(entry->key), "%s", key);
    entry->known = quota != NULL;
    if (quota)
        entry->quota = *quota;
    entry->stored_ms = now_ms;
    entry->node = zlistx_add_end(self->order, entry);
    if (!entry->node) {
        free(entry);
        return;
    }
    if (zhashx_insert(self->entries, entry->key, entry) != 0)
        zlistx_delete(self->order, entry->node);
}

/* Failures of the endpoint itself, as opposed to one user's answer. */
#define S_QUOTA_OUTAGES                                                        \
    ((1u << PS_OVERSEERR_FORBIDDEN) | (1u << PS_OVERSEERR_TRANSIENT))

/* Logs a failure the first time its kind happens (for an outage: since
   the endpoint last answered); repeats go to debug. */
static void
s_quotas_warn(enricher_quotas_t *self, ps_overseerr_rc_t rc,
              const ps_work_t *work, const char *error)
{
    unsigned bit = 1u << (unsigned)rc;
    if (self->warned & bit) {
        ps_log_debug("requester quota not read (%s) req=%" PRId64 " err=\"%s\"",
                     ps_overseerr_strerror(rc), work->request_id, error);
        return;
    }
    self->warned |= bit;
    if (rc == PS_OVERSEERR_FORBIDDEN)
        ps_log_warn("requester quotas unavailable: Overseerr refused "
                    "/user/{id}/quota (the API key needs MANAGE_USERS and "
                    "MANAGE_REQUESTS); requests go on without them req=%" PRId64
                    " err=\"%s\"",
                    work->request_id, error);
    else
        ps_log_warn("requester quota not read (%s), requests go on without "
                    "it; logged once per kind req=%" PRId64 " err=\"%s\"",
                    ps_overseerr_strerror(rc), work->request_id, error);
}

bool
enricher_quotas_lookup(enricher_quotas_t *self, ps_overseerr_t *client,
                       ps_work_t *work, int64_t now_ms)
{
    char key[24];
    enricher_quota_apply(NULL, work);
    if (work->user_id <= 0)
        return false;
    snprintf(key, sizeof(key), "%" PRId64, work->user_id);
    s_quota_entry_t *entry = zhashx_lookup(self->entries, key);
    if (entry && now_ms - entry->stored_ms < self->ttl_ms) {
        if (entry->known)
            enricher_quota_apply(&entry->quota, work);
        return entry->known;
    }
    if (!client || now_ms < self->paused_until)
        return false;
    char path[64];
    snprintf(path, sizeof(path), "/user/%" PRId64 "/quota", work->user_id);
    json_t *body = NULL;
    ps_overseerr_rc_t rc = ps_overseerr_get(client, path, &body);
    char err[512] = "";
    enricher_quota_t quota;
    if (rc != PS_OVERSEERR_OK)
        snprintf(err, sizeof(err), "%s", ps_overseerr_error(client));
    else if (enricher_quota_from_json(body, &quota, err, sizeof(err)) != 0)
        rc = PS_OVERSEERR_BAD_RESPONSE;
    json_decref(body);
    if (rc != PS_OVERSEERR_OK) {
        s_quotas_warn(self, rc, work, err);
        /* A refused key or an unreachable server fails for every user
           alike: pause instead of paying a call (or a timeout) per
           request. */
        if (rc == PS_OVERSEERR_FORBIDDEN || rc == PS_OVERSEERR_TRANSIENT)
            self->paused_until = now_ms + self->ttl_ms;
        s_quotas_put(self, key, NULL, now_ms);
        return false;
    }
    if (self->warned & S_QUOTA_OUTAGES)
        ps_log_info("requester quotas readable again req=%" PRId64,
                    work->request_id);
    self->warned &= ~S_QUOTA_OUTAGES;
    s_quotas_put(self, key, &quota, now_ms);
    enricher_quota_apply(&quota, work);
    return true;
}

/* ------------------------------------------------------------------ */
/*  Requester history (the gateway's record)                           */

const char *
enricher_history_strerror(enricher_history_rc_t rc)
{
    switch (rc) {
        case ENRICHER_HISTORY_OK:
            return "ok";
        case ENRICHER_HISTORY_TIMEOUT:
            return "timeout";
        case ENRICHER_HISTORY_REFUSED:
            return "refused";
        case ENRICHER_HISTORY_BAD:
            break;
    }
    return "bad reply";
}

enricher_history_rc_t
enricher_history_ask(ps_req_t *req, const ps_work_t *work, int64_t now_ms,
                     char *err, size_t errlen)
{
    zmsg_t *ask = ps_history_ask_encode(work->user_id, work->request_id,
                                        now_ms - ENRICHER_HISTORY_WINDOW_MS);
    if (!ask) {
        snprintf(err, errlen, "history request not encoded (out of memory)");
        return ENRICHER_HISTORY_TIMEOUT;
    }
    if (ps_req_send(req, &ask) != 0) {
        snprintf(err, errlen, "history request not sent to the gateway");
        return ENRICHER_HISTORY_TIMEOUT;
    }
    return ENRICHER_HISTORY_OK;
}

enricher_history_rc_t
enricher_history_take(ps_req_t *req, ps_work_t *work, int timeout_ms, char *err,
                      size_t errlen)
{
    enricher_history_rc_t rc = ENRICHER_HISTORY_TIMEOUT;
    zmsg_t *reply = ps_req_recv(req, timeout_ms);
    if (!reply) {
        snprintf(err, errlen, "no answer from the gateway within %d ms",
                 timeout_ms);
        goto out;
    }
    zframe_t *frame = zmsg_first(reply);
    if (!frame || zframe_size(frame) == 0) {
        rc = ENRICHER_HISTORY_REFUSED;
        snprintf(err, errlen, "the gateway refused the history request");
        goto out;
    }
    ps_history_t history;
    rc = ENRICHER_HISTORY_BAD;
    if (ps_history_decode(frame, &history, err, errlen) != 0)
        goto out;
    if (history.user_id != work->user_id) {
        snprintf(err, errlen,
                 "history for user %" PRId64 " when %" PRId64 " was asked",
                 history.user_id, work->user_id);
        goto out;
    }
    work->has_history = true;
    work->history_week = history.requests;
    work->history_approved = history.approved;
    work->history_declined = history.declined;
    rc = ENRICHER_HISTORY_OK;
out:
    zmsg_destroy(&reply);
    return rc;
}

/* ------------------------------------------------------------------ */
/*  The service                                                        */

struct enricher {
    ps_config_t *config;          /* running config, owned */
    char *config_path;            /* for reloads, or NULL */
    ps_beat_t *beat;              /* heartbeat sender */
    zsock_t *requests;            /* PULL, connected to the poller */
    zsock_t *enriched;            /* PUSH, connected to the rule-engine */
    zsock_t *collect;             /* PUSH, connected to the gateway */
    ps_overseerr_t *overseerr;    /* NULL while no URL is configured */
    enricher_cache_t *cache;      /* media details by (type, tmdb id) */
    bool overseerr_down;          /* warned that Overseerr fails */
    enricher_quotas_t *quotas;    /* requester quotas by user id */
    ps_req_t *authority;          /* REQ to the gateway, NULL if unusable */
    int64_t history_paused_until; /* no history lookups before (mono ms) */
    unsigned history_warned;      /* bit per enricher_history_rc_t logged */
};

/* Logs a history failure once per kind; a silent gateway would cost
   the timeout on every request, so a timeout pauses the lookups. */
static void
s_history_failed(enricher_t *self, const ps_work_t *work,
                 enricher_history_rc_t rc, const char *err)
{
    if (rc == ENRICHER_HISTORY_TIMEOUT)
        self->history_paused_until =
            ps_time_mono_ms() + ENRICHER_HISTORY_PAUSE_MS;
    unsigned bit = 1u << (unsigned)rc;
    if (!(self->history_warned & bit))
        ps_log_warn("requester history not read (%s), requests go on "
                    "without it; logged once per kind req=%" PRId64
                    " err=\"%s\"",
                    enricher_history_strerror(rc), work->request_id, err);
    self->history_warned |= bit;
}

/* Asks the gateway for the requester's record; s_take_history reads the
   answer once the Overseerr lookups are done, so the gateway works on it
   while they run (bench/ANALYSIS.md "Webhook → applied p99"). */
static void
s_ask_history(enricher_t *self, const ps_work_t *work)
{
    if (work->user_id <= 0 || !self->authority
        || ps_time_mono_ms() < self->history_paused_until)
        return;
    char err[256];
    enricher_history_rc_t rc = enricher_history_ask(
        self->authority, work, ps_time_now_ms(), err, sizeof(err));
    if (rc != ENRICHER_HISTORY_OK)
        s_history_failed(self, work, rc, err);
}

/* Adds the gateway's record of the requester, when it was asked and
   answers. */
static void
s_take_history(enricher_t *self, ps_work_t *work)
{
    if (!self->authority || !ps_req_awaiting(self->authority))
        return;
    char err[256];
    enricher_history_rc_t rc = enricher_history_take(
        self->authority, work, ENRICHER_HISTORY_TIMEOUT_MS, err, sizeof(err));
    if (rc != ENRICHER_HISTORY_OK) {
        s_history_failed(self, work, rc, err);
        return;
    }
    if (self->history_warned)
        ps_log_info("requester history readable again req=%" PRId64,
                    work->request_id);
    self->history_warned = 0;
}

/* The debug trace of one enriched record: counts, never personal data. */
static void
s_trace(const ps_work_t *work, bool cached)
{
    if (!ps_log_enabled(PS_LOG_DEBUG))
        return;
    char quota[96] = "none";
    char history[64] = "none";
    if (work->has_quota)
        snprintf(quota, sizeof(quota),
                 "movie:%" PRId64 "/%" PRId64 "/%" PRId64 "d,tv:%" PRId64
                 "/%" PRId64 "/%" PRId64 "d",
                 work->quota_movie_used, work->quota_movie_limit,
                 work->quota_movie_days, work->quota_tv_used,
                 work->quota_tv_limit, work->quota_tv_days);
    if (work->has_history)
        snprintf(history, sizeof(history),
                 "week:%" PRId64 ",approved:%" PRId64 ",declined:%" PRId64,
                 work->history_week, work->history_approved,
                 work->history_declined);
    ps_log_debug(
        "enriched req=%" PRId64 " %s/%" PRId64 " cached=%s "
        "keywords=%zu first_keyword=\"%s\" certifications=%zu "
        "first_certification=%s total_episodes=%" PRId64 " quota=%s history=%s",
        work->request_id, work->media_type, work->tmdb_id,
        cached ? "yes" : "no", work->keyword_count,
        work->keyword_count ? work->keywords[0] : "", work->certification_count,
        work->certification_count ? work->certifications[0] : "-",
        work->total_episodes, quota, history);
}

/* Gives the claim back: the next scan brings the request again. */
static void
s_release(enricher_t *self, const ps_work_t *request, const char *error)
{
    ps_work_t *work = ps_work_new("release");
    if (!work)
        return;
    work->request_id = request->request_id;
    char reason[512];
    snprintf(reason, sizeof(reason), "enricher: %s", error);
    zmsg_t *msg = NULL;
    if (ps_work_set_str(&work->reason, reason) == 0)
        msg = ps_work_encode(work);
    if (!msg || ps_bus_send(self->collect, &msg) != 0)
        ps_log_warn("release not sent req=%" PRId64 ", its lease will expire",
                    request->request_id);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
}

/* A definitive failure: the request goes to review with the reason. */
static void
s_to_review(enricher_t *self, ps_work_t *work, const char *error)
{
    char text[512];
    snprintf(text, sizeof(text), "enricher: %s", error);
    ps_work_set_type(work, "decision");
    work->outcome = PS_OUTCOME_REVIEW;
    zmsg_t *msg = NULL;
    if (ps_work_set_str(&work->source, "error") == 0
        && ps_work_set_str(&work->rule, "enricher") == 0
        && ps_work_set_str(&work->message_id, "error.enricher") == 0
        && ps_work_set_str(&work->explanation, text) == 0
        && ps_work_add_param(work, "error", error) == 0)
        msg = ps_work_encode(work);
    if (!msg || ps_bus_send(self->collect, &msg) != 0)
        ps_log_warn("review not sent req=%" PRId64 ", its lease will expire",
                    work->request_id);
    zmsg_destroy(&msg);
}

/* Fetches and distils the details, retrying a transient failure once.
   Returns the client's code; on OK *media is set (caller owns). */
static ps_overseerr_rc_t
s_fetch_media(enricher_t *self, const ps_work_t *work, enricher_media_t **media,
              char *err, size_t errlen)
{
    char path[96];
    bool tv = strcmp(work->media_type, "tv") == 0;
    snprintf(path, sizeof(path), "/%s/%" PRId64 "?language=en",
             tv ? "tv" : "movie", work->tmdb_id);
    json_t *body = NULL;
    ps_overseerr_rc_t rc = ps_overseerr_get(self->overseerr, path, &body);
    if (rc == PS_OVERSEERR_TRANSIENT && !ps_signals_stopping()) {
        zclock_sleep(ENRICHER_RETRY_MS);
        rc = ps_overseerr_get(self->overseerr, path, &body);
    }
    if (rc != PS_OVERSEERR_OK) {
        snprintf(err, errlen, "%s", ps_overseerr_error(self->overseerr));
        return rc;
    }
    rc = enricher_media_from_json(body, work->media_type, media, err, errlen)
                 == 0
             ? PS_OVERSEERR_OK
             : PS_OVERSEERR_BAD_RESPONSE;
    json_decref(body);
    return rc;
}

/* Handles one request record (taken). */
static void
s_enrich(enricher_t *self, ps_work_t **work_p)
{
    ps_work_t *work = *work_p;
    enricher_media_t *fetched = NULL;
    s_ask_history(self, work);
    const enricher_media_t *media = enricher_cache_get(
        self->cache, work->media_type, work->tmdb_id, ps_time_mono_ms());
    char err[512] = "";
    if (!media) {
        ps_overseerr_rc_t rc =
            s_fetch_media(self, work, &fetched, err, sizeof(err));
        if (rc == PS_OVERSEERR_TRANSIENT || rc == PS_OVERSEERR_FORBIDDEN) {
            if (rc == PS_OVERSEERR_FORBIDDEN)
                ps_log_error("Overseerr refused the API key, check "
                             "OVERSEERR_API_KEY (overseerr.api_key); claim "
                             "released req=%" PRId64 " err=\"%s\"",
                             work->request_id, err);
            else if (!self->overseerr_down)
                ps_log_warn("Overseerr unavailable, claims released until "
                            "it answers req=%" PRId64 " err=\"%s\"",
                            work->request_id, err);
            self->overseerr_down = true;
            s_release(self, work, err);
            goto out;
        }
        if (rc != PS_OVERSEERR_OK) {
            ps_log_warn("media details unusable, request sent to review "
                        "req=%" PRId64 " err=\"%s\"",
                        work->request_id, err);
            s_to_review(self, work, err);
            goto out;
        }
        if (self->overseerr_down)
            ps_log_info("Overseerr answers again");
        self->overseerr_down = false;
        media = fetched;
    }
    if (enricher_media_apply(media, work->media_type, work) != 0) {
        s_release(self, work, "out of memory");
        goto out;
    }
    /* Quota and history are optional inputs: their failures are logged
       inside and the request goes on without them. */
    enricher_quotas_lookup(self->quotas, self->overseerr, work,
                           ps_time_mono_ms());
    s_take_history(self, work);
    ps_work_set_type(work, "enriched");
    zmsg_t *msg = ps_work_encode(work);
    if (!msg || ps_bus_send(self->enriched, &msg) != 0) {
        ps_log_warn("enriched request not sent (rule-engine queue full), "
                    "claim released req=%" PRId64,
                    work->request_id);
        s_release(self, work, "enriched queue full");
    } else
        s_trace(work, fetched == NULL);
    zmsg_destroy(&msg);
    if (fetched)
        enricher_cache_put(self->cache, work->media_type, work->tmdb_id,
                           &fetched, ps_time_mono_ms());
out:
    /* A release or a review leaves the answer unread: the next ask must
       find the socket free. */
    if (self->authority)
        ps_req_cancel(self->authority);
    enricher_media_destroy(&fetched);
    ps_work_destroy(work_p);
}

static void
s_on_message(enricher_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first(msg);
    ps_work_t *work = NULL;
    char err[256];
    if (!frame || ps_work_decode(frame, &work, err, sizeof(err)) != 0) {
        ps_log_warn("message dropped: %s", frame ? err : "empty message");
        return;
    }
    if (strcmp(work->type, "request") != 0
        || (strcmp(work->media_type, "movie") != 0
            && strcmp(work->media_type, "tv") != 0)) {
        ps_log_warn("message dropped req=%" PRId64 ": expected a movie or tv "
                    "request, got %s/%s",
                    work->request_id, work->type, work->media_type);
        ps_work_destroy(&work);
        return;
    }
    s_enrich(self, &work);
}

static void
s_connect_overseerr(enricher_t *self)
{
    ps_overseerr_destroy(&self->overseerr);
    const char *url = self->config->overseerr.url;
    if (!url || !*url) {
        ps_log_error("no Overseerr URL configured (overseerr.url / "
                     "OVERSEERR_API_URL): the launcher should have provided "
                     "one; staying idle");
        return;
    }
    const char *key = self->config->overseerr.api_key;
    self->overseerr = ps_overseerr_new(url, key ? key : "",
                                       self->config->overseerr.timeout_ms);
    if (!self->overseerr)
        ps_log_error("cannot create the Overseerr client (out of memory)");
}

/* (Re)makes the history client: ps_req keeps a pointer to the config it
   was made with, so a reload needs a new one. Without it requests go on
   without history. */
static void
s_connect_authority(enricher_t *self)
{
    ps_req_destroy(&self->authority);
    self->history_paused_until = 0;
    const char *endpoint = self->config->bus.authority;
    if (!endpoint || !*endpoint) {
        ps_log_warn("no gateway authority endpoint (bus.authority): requests "
                    "go on without requester history");
        return;
    }
    char err[256];
    self->authority = ps_req_new(self->config, endpoint, err, sizeof(err));
    if (!self->authority)
        ps_log_warn("history client not created, requests go on without "
                    "requester history endpoint=%s err=\"%s\"",
                    endpoint, err);
}

static void
s_reload(enricher_t *self)
{
    char err[512];
    if (ps_service_reload(self->config_path, &self->config, err, sizeof(err))
        != 0) {
        ps_beat_set_config(self->beat, self->config->version, err);
        return;
    }
    ps_beat_set_config(self->beat, self->config->version, NULL);
    enricher_cache_configure(self->cache, self->config->enricher.cache_ttl_s,
                             self->config->enricher.cache_max);
    s_connect_overseerr(self);
    s_connect_authority(self);
}

enricher_t *
enricher_new(ps_config_t **config_p, const char *config_path)
{
    enricher_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->config = *config_p;
    *config_p = NULL;
    const ps_config_bus_t *bus = &self->config->bus;
    char err[512] = "out of memory";
    ps_bus_options_t requests_options = ps_bus_defaults();
    requests_options.rcvhwm = ENRICHER_REQUESTS_HWM;
    if (config_path && !(self->config_path = strdup(config_path)))
        goto fail;
    self->beat = ps_beat_new("enricher");
    self->cache = enricher_cache_new(self->config->enricher.cache_ttl_s,
                                     self->config->enricher.cache_max);
    self->quotas =
        enricher_quotas_new(ENRICHER_QUOTA_TTL_S, ENRICHER_QUOTA_MAX);
    if (!self->beat || !self->cache || !self->quotas)
        goto fail;
    ps_beat_set_config(self->beat, self->config->version, NULL);
    self->requests = ps_bus_socket(self->config, ZMQ_PULL, bus->requests, false,
                                   &requests_options, err, sizeof(err));
    if (!self->requests)
        goto fail;
    self->enriched = ps_bus_socket(self->config, ZMQ_PUSH, bus->enriched, false,
                                   NULL, err, sizeof(err));
    if (!self->enriched)
        goto fail;
    self->collect = ps_bus_socket(self->config, ZMQ_PUSH, bus->collect, false,
                                  NULL, err, sizeof(err));
    if (!self->collect)
        goto fail;
    s_connect_overseerr(self);
    s_connect_authority(self);
    ps_log_info("started requests=%s enriched=%s collect=%s authority=%s "
                "overseerr=%s cache_ttl=%ds cache_max=%d",
                bus->requests, bus->enriched, bus->collect,
                self->authority ? bus->authority : "(none)",
                self->overseerr ? self->config->overseerr.url : "(none)",
                self->config->enricher.cache_ttl_s,
                self->config->enricher.cache_max);
    return self;
fail:
    ps_log_error("enricher cannot start: %s", err);
    enricher_destroy(&self);
    return NULL;
}

void
enricher_destroy(enricher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enricher_t *self = *self_p;
    ps_req_destroy(&self->authority);
    ps_overseerr_destroy(&self->overseerr);
    zsock_destroy(&self->collect);
    zsock_destroy(&self->enriched);
    zsock_destroy(&self->requests);
    enricher_quotas_destroy(&self->quotas);
    enricher_cache_destroy(&self->cache);
    ps_beat_destroy(&self->beat);
    free(self->config_path);
    ps_config_destroy(&self->config);
    free(self);
    *self_p = NULL;
}

int
enricher_run(enricher_t *self)
{
    zpoller_t *poller = zpoller_new(self->requests, NULL);
    if (!poller) {
        ps_log_error("cannot create the request poller");
        return -1;
    }
    while (!ps_signals_stopping()) {
        if (ps_signals_take_reload())
            s_reload(self);
        ps_beat_tick(self->beat, self->collect);
        int timeout = ps_beat_wait_ms(self->beat);
        if (timeout > 1000)
            timeout = 1000;
        /* Idle without Overseerr: requests stay queued (their claims
           expire or a reload brings a URL), heartbeats go on. */
        if (!self->overseerr) {
            zclock_sleep(timeout < 200 ? timeout : 200);
            continue;
        }
        if (zpoller_wait(poller, timeout) == self->requests) {
            zmsg_t *msg = zmsg_recv(self->requests);
            if (!msg)
                break;
            s_on_message(self, msg);
            zmsg_destroy(&msg);
        } else if (zpoller_terminated(poller) && zmq_errno() != EINTR) {
            /* SIGHUP interrupts the poll too, and czmq then reports it as
               terminated: only a real context shutdown ends the loop. */
            break;
        }
    }
    ps_log_info("stopping");
    zpoller_destroy(&poller);
    return 0;
}
