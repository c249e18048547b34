/*  enricher - adds media details and requester facts to each claimed
    request.

    A ps_work "request" from the poller gets what the rules and the judge
    need about the title: names, year, genres (English: the details are
    fetched with language=en), rating, certifications (US and every other
    country as "CC:VALUE"), keywords, runtime, season and episode counts, a
    trimmed overview. Overseerr proxies TMDB with its own key
    (contracts/overseerr.md §8), so no TMDB key is needed.

    About the requester it adds two things, both optional (the record says
    has_quota / has_history when they are known):
      quota    GET /user/{id}/quota (§9.3), cached per user for
               ENRICHER_QUOTA_TTL_S because it changes as requests are made.
               A failure (403 when the key lacks MANAGE_USERS, 404, 5xx,
               timeout) never holds a request up; 403 and transient ones
               pause the lookups for a TTL so a broken endpoint costs one
               call per minute, not one per request.
      history  the gateway's own record (ps_control "history" on the
               authority REQ/REP socket): requests this week, approved and
               declined. Never cached: every decision changes it. Asked
               before the Overseerr lookups and read after them, so the
               gateway answers while they run. No answer
               within ENRICHER_HISTORY_TIMEOUT_MS pauses the lookups for
               ENRICHER_HISTORY_PAUSE_MS.
    Each kind of failure is logged once (warn); an outage (403, transient,
    no answer) again after the source has answered in between (info).

    TMDB data changes slowly, so details are cached by (media type, TMDB
    id) with a TTL and an entry cap; the oldest entry goes first. The cache
    keeps the distilled enricher_media_t, not the raw JSON: a movie's full
    body (credits, videos...) is tens of kilobytes.

    A transient failure of the details gives the claim back to the gateway
    ("release"), so the next scan retries; a definitive one sends the
    request to review with the reason (DESIGN.md "Failure never approves").
    Everything here runs on the service's one thread.                     */
#ifndef ENRICHER_H_INCLUDED
#define ENRICHER_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_bus.h"
#include "ps_config.h"
#include "ps_overseerr.h"
#include "ps_work.h"

/* Longest overview sent on, in bytes, the ellipsis included. */
#define ENRICHER_OVERVIEW_MAX 300
/* Most keywords, and most certifications, kept per title. */
#define ENRICHER_LIST_MAX 128
/* Longest certification value kept, in bytes ("TV-MA", "12A", "Livre"). */
#define ENRICHER_CERTIFICATION_MAX 48
/* How long a requester's quota (or a failure to read it) is reused. */
#define ENRICHER_QUOTA_TTL_S 60
/* Most requesters whose quota is cached. */
#define ENRICHER_QUOTA_MAX 10000
/* How long the gateway gets to answer a history request. */
#define ENRICHER_HISTORY_TIMEOUT_MS 1000
/* How long history lookups pause after the gateway did not answer. */
#define ENRICHER_HISTORY_PAUSE_MS 10000
/* The history window: the last 7 days. */
#define ENRICHER_HISTORY_WINDOW_MS (7LL * 24 * 3600 * 1000)

/* What the enricher keeps of one /movie or /tv body. */
typedef struct {
    char *title;                /* title (movie) or name (tv), "" unknown */
    int64_t year;               /* from release_date, 0 unknown */
    int64_t *genre_ids;         /* TMDB genre ids */
    char **genres;              /* genre names, same order */
    size_t genre_count;         /* entries in genres and genre_ids */
    double rating;              /* voteAverage */
    int64_t votes;              /* voteCount */
    double popularity;          /* popularity */
    char *release_date;         /* releaseDate / firstAirDate, "" unknown */
    char *media_status;         /* TMDB status, NULL unknown */
    char *certification;        /* US certification / rating, NULL unknown */
    char **certifications;      /* "CC:VALUE" per country, NULL unknown */
    size_t certification_count; /* entries in certifications */
    char **keywords;            /* keyword names, NULL unknown */
    size_t keyword_count;       /* entries in keywords */
    int64_t total_episodes;     /* numberOfEpisodes (tv), 0 unknown */
    char *language;             /* originalLanguage, NULL unknown */
    int64_t runtime;            /* minutes: runtime or episodeRunTime[0] */
    int64_t total_seasons;      /* numberOfSeasons (tv) */
    bool adult;                 /* TMDB adult flag (movie) */
    char *overview;             /* trimmed overview, NULL unknown */
    char *poster_path;          /* posterPath, NULL unknown */
    int64_t *season_numbers;    /* seasons[].seasonNumber (tv) */
    int64_t *season_episodes;   /* seasons[].episodeCount, same order */
    size_t season_count;        /* entries in the two season arrays */
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
   copies; keywords and certifications stay absent when unknown, so "none"
   and "unknown" differ) and computes requested_episodes from
   work->seasons for tv.
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

/* Every country's certification as "CC:VALUE", in the order of the body:
   for a movie each releases.results[] entry's first non-empty
   certification, a theatrical (type 3) one preferred; for tv each
   contentRatings.results[] iso_3166_1 and rating. Entries without a
   country or a value, repeated countries and values longer than
   ENRICHER_CERTIFICATION_MAX bytes are skipped; at most ENRICHER_LIST_MAX are
   kept. Sets *out (caller frees with ps_mp_strs_free; an empty list when the
   container is there but holds nothing usable, NULL when it is absent) and
   returns 0, or -1 on OOM. */
int enricher_certifications(const json_t *details, const char *media_type,
                            char ***out, size_t *count);

/* Keyword names from `keywords`, which may be Overseerr's [{id,name}],
   TMDB's {keywords:[...]} (movie) or {results:[...]} (tv); plain string
   items are taken too. Same ownership, NULL and cap rules as
   enricher_certifications. */
int enricher_keywords(const json_t *details, char ***out, size_t *count);

/* Returns a new string: text when it fits in max_bytes, else its longest
   prefix ending at a word boundary (at a character boundary when one word
   is longer than half the room) plus "…", max_bytes in all, never
   splitting a UTF-8 character. NULL when text is NULL or on OOM.
   max_bytes must be at least 4. */
char *enricher_trim_overview(const char *text, size_t max_bytes);

/* A requester's quota (GET /user/{id}/quota): limit 0 = unlimited, days
   0 = not set; tv counts seasons. */
typedef struct {
    int64_t movie_limit; /* movie.limit, 0 = unlimited */
    int64_t movie_used;  /* movie.used */
    int64_t movie_days;  /* movie.days, 0 when omitted */
    int64_t tv_limit;    /* tv.limit (seasons), 0 = unlimited */
    int64_t tv_used;     /* tv.used (seasons) */
    int64_t tv_days;     /* tv.days, 0 when omitted */
} enricher_quota_t;

/* Reads a quota body. `movie` and `tv` must be objects whose `used` is an
   integer; a missing or null `limit` or `days` reads as 0 and `remaining`
   and `restricted` are ignored (they follow from the rest). A negative or
   mistyped value is an error. Returns 0 and fills *out, or -1 with the
   field at fault in err (*out is then zeroed). */
int enricher_quota_from_json(const json_t *body, enricher_quota_t *out,
                             char *err, size_t errlen);

/* Copies a quota into the record and sets has_quota; a NULL quota clears
   has_quota and the quota fields. */
void enricher_quota_apply(const enricher_quota_t *quota, ps_work_t *work);

/* Quota lookups: a per-user cache of answers and failures, the pause
   after a 403 or transient failure, and the warn-once state. */
typedef struct enricher_quotas enricher_quotas_t;

/* Creates it: answers kept ttl_s seconds for at most max users (ttl_s 0
   disables caching and pausing). Returns NULL on OOM. */
enricher_quotas_t *enricher_quotas_new(int ttl_s, int max);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void enricher_quotas_destroy(enricher_quotas_t **self_p);

/* Fills work's quota fields for work->user_id at now_ms (monotonic),
   from the cache or with one GET through client (which may be NULL: no
   lookup). Any failure leaves has_quota false, is logged once per kind
   and is remembered like an answer. Returns true when has_quota was
   set. */
bool enricher_quotas_lookup(enricher_quotas_t *self, ps_overseerr_t *client,
                            ps_work_t *work, int64_t now_ms);

/* Users held in the cache. */
size_t enricher_quotas_size(const enricher_quotas_t *self);

/* Outcome of a history lookup. */
typedef enum {
    ENRICHER_HISTORY_OK = 0,  /* has_history set */
    ENRICHER_HISTORY_TIMEOUT, /* no answer in time (or send failed) */
    ENRICHER_HISTORY_REFUSED, /* the gateway answered an empty frame */
    ENRICHER_HISTORY_BAD      /* an answer that is not our history_reply */
} enricher_history_rc_t;

/* Sends the gateway, through req, the history request for
   work->user_id since now_ms - ENRICHER_HISTORY_WINDOW_MS (now_ms: wall
   clock, ms epoch), naming work->request_id; enricher_history_take reads
   the answer, ps_req_cancel gives it up. Returns OK once sent, else
   TIMEOUT with the reason in err. */
enricher_history_rc_t enricher_history_ask(ps_req_t *req, const ps_work_t *work,
                                           int64_t now_ms, char *err,
                                           size_t errlen);

/* Waits up to timeout_ms for the answer to enricher_history_ask. On OK
   sets has_history and the history_* fields; otherwise leaves them as
   they were and puts the reason in err (TIMEOUT also when nothing was
   asked). */
enricher_history_rc_t enricher_history_take(ps_req_t *req, ps_work_t *work,
                                            int timeout_ms, char *err,
                                            size_t errlen);

/* A short name for a history outcome ("timeout", ...). */
const char *enricher_history_strerror(enricher_history_rc_t rc);

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

/* The service: sockets, Overseerr client, gateway client, caches. */
typedef struct enricher enricher_t;

/* Creates the enricher: takes ownership of *config_p (set to NULL),
   connects requests PULL, enriched PUSH, collect PUSH and a REQ client to
   the gateway's authority socket (history). config_path is
   kept for SIGHUP reloads (may be NULL). Returns NULL after logging. */
enricher_t *enricher_new(ps_config_t **config_p, const char *config_path);

/* Frees it and its config; accepts NULL, sets *self_p to NULL. */
void enricher_destroy(enricher_t **self_p);

/* Runs the loop until SIGINT/SIGTERM. Returns 0, or -1 when the loop
   could not start. */
int enricher_run(enricher_t *self);

#endif
