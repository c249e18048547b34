/*  enricher - adds media details from Overseerr to each claimed request.

    A ps_work "request" from the poller gets what the rules and the judge
    need about the title: names, year, genres (English: the details are
    fetched with language=en), rating, certification, runtime, season and
    episode counts, a trimmed overview. Overseerr proxies TMDB with its own
    key (contracts/overseerr.md §8), so no TMDB key is needed.

    TMDB data changes slowly, so details are cached by (media type, TMDB
    id) with a TTL and an entry cap; the oldest entry goes first. The cache
    keeps the distilled enricher_media_t, not the raw JSON: a movie's full
    body (credits, videos...) is tens of kilobytes.

    A transient failure gives the claim back to the gateway ("release"),
    so the next scan retries; a definitive one sends the request to review
    with the reason (DESIGN.md "Failure never approves").
    Everything here runs on the service's one thread.                     */
#ifndef ENRICHER_H_INCLUDED
#define ENRICHER_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_config.h"
#include "ps_work.h"

/* Longest overview sent on, in bytes, the ellipsis included. */
#define ENRICHER_OVERVIEW_MAX 300

/* What the enricher keeps of one /movie or /tv body. */
typedef struct {
    char *title;              /* title (movie) or name (tv), "" unknown */
    int64_t year;             /* from release_date, 0 unknown */
    int64_t *genre_ids;       /* TMDB genre ids */
    char **genres;            /* genre names, same order */
    size_t genre_count;       /* entries in genres and genre_ids */
    double rating;            /* voteAverage */
    int64_t votes;            /* voteCount */
    double popularity;        /* popularity */
    char *release_date;       /* releaseDate / firstAirDate, "" unknown */
    char *media_status;       /* TMDB status, NULL unknown */
    char *certification;      /* US certification / rating, NULL unknown */
    char *language;           /* originalLanguage, NULL unknown */
    int64_t runtime;          /* minutes: runtime or episodeRunTime[0] */
    int64_t total_seasons;    /* numberOfSeasons (tv) */
    bool adult;               /* TMDB adult flag (movie) */
    char *overview;           /* trimmed overview, NULL unknown */
    char *poster_path;        /* posterPath, NULL unknown */
    int64_t *season_numbers;  /* seasons[].seasonNumber (tv) */
    int64_t *season_episodes; /* seasons[].episodeCount, same order */
    size_t season_count;      /* entries in the two season arrays */
} enricher_media_t;

/* Distils a /movie (media_type "movie") or /tv ("tv") body. Missing,
   null or mistyped fields are left empty, never an error. Returns 0 and
   sets *out (caller owns), or -1 with the reason in err when details is
   not a JSON object or memory ran out. */
int enricher_media_from_json(const json_t *details, const char *media_type,
                             enricher_media_t **out, char *err, size_t errlen);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void enricher_media_destroy(enricher_media_t **self_p);

/* Copies the media's fields into the work record (which keeps its own
   copies) and computes requested_episodes from work->seasons for tv.
   Returns 0, or -1 on OOM. Does not change work->type. */
int enricher_media_apply(const enricher_media_t *media, const char *media_type,
                         ps_work_t *work);

/* Episodes in the requested seasons, season 0 (specials) excluded; when
   no season is requested, every season but 0. */
int64_t enricher_requested_episodes(const enricher_media_t *media,
                                    const int64_t *seasons, size_t count);

/* The US certification: for a movie the non-empty certification of the
   US entry of releases.results, a theatrical (type 3) one preferred; for
   tv the US rating of contentRatings.results. Copies it into buf and
   returns 0, or returns -1 (buf "") when there is none. */
int enricher_certification(const json_t *details, const char *media_type,
                           char *buf, size_t len);

/* Returns a new string: text when it fits in max_bytes, else its longest
   prefix ending at a word boundary (at a character boundary when one word
   is longer than half the room) plus "…", max_bytes in all, never
   splitting a UTF-8 character. NULL when text is NULL or on OOM.
   max_bytes must be at least 4. */
char *enricher_trim_overview(const char *text, size_t max_bytes);

/* The details cache: (media type, TMDB id) -> enricher_media_t. */
typedef struct enricher_cache enricher_cache_t;

/* Creates a cache keeping entries ttl_s seconds, at most max of them
   (either 0 disables caching). Returns NULL on OOM. */
enricher_cache_t *enricher_cache_new(int ttl_s, int max);

/* Frees it and every entry; accepts NULL, sets *self_p to NULL. */
void enricher_cache_destroy(enricher_cache_t **self_p);

/* Changes the TTL and the cap (config reload), evicting the oldest
   entries down to the new cap. */
void enricher_cache_configure(enricher_cache_t *self, int ttl_s, int max);

/* Returns the cached media (borrowed: valid until the next put or
   configure), or NULL when absent or older than the TTL at now_ms
   (an expired entry is dropped). */
const enricher_media_t *enricher_cache_get(enricher_cache_t *self,
                                           const char *media_type,
                                           int64_t tmdb_id, int64_t now_ms);

/* Stores *media_p (taken: *media_p becomes NULL) as of now_ms, replacing
   an entry with the same key and evicting the oldest when full. When
   caching is disabled the media is destroyed. Returns 0, or -1 on OOM
   (the media is destroyed). */
int enricher_cache_put(enricher_cache_t *self, const char *media_type,
                       int64_t tmdb_id, enricher_media_t **media_p,
                       int64_t now_ms);

/* Entries held. */
size_t enricher_cache_size(const enricher_cache_t *self);

/* The service: sockets, Overseerr client, cache. */
typedef struct enricher enricher_t;

/* Creates the enricher: takes ownership of *config_p (set to NULL),
   connects requests PULL, enriched PUSH and collect PUSH. config_path is
   kept for SIGHUP reloads (may be NULL). Returns NULL after logging. */
enricher_t *enricher_new(ps_config_t **config_p, const char *config_path);

/* Frees it and its config; accepts NULL, sets *self_p to NULL. */
void enricher_destroy(enricher_t **self_p);

/* Runs the loop until SIGINT/SIGTERM. Returns 0, or -1 when the loop
   could not start. */
int enricher_run(enricher_t *self);

#endif
