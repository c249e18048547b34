/*  ps_work - the work family: a request's journey through the pipeline.

    One record, ps_work_t, travels the whole chain and grows at each stage,
    as DESIGN.md says ("each carrying the previous one's fields plus its
    own"). Its type names the stage:

      request   poller -> enricher      what Overseerr says (re-read, claimed)
      enriched  enricher -> rule-engine + media details and requester facts
      undecided rule-engine -> ai-judge  + rules that matched, no decision
      decision  rule-engine / ai-judge -> gateway  + outcome and why
      release   any stage -> gateway    a transient failure: give the claim
                                        back so the next scan retries

    Fields (msgpack map, "v" 1.0 added all of them). Required per type:
    request_id always; media_type and tmdb_id from request on; outcome and
    source for decision.

      name              type     meaning
      request_id        int      Overseerr request id
      media_type        str      "movie" | "tv"
      tmdb_id           int      key of /movie or /tv
      is4k              bool     a 4K request
      requested_at      int      ms epoch, request createdAt
      seasons           [int]    requested season numbers (tv)
      trigger           str      "scan" | "webhook" | "rejudge"
      user_id           int      requester's Overseerr id
      user_name         str      displayName
      user_username     str      username (may be absent)
      user_plex         str      plexUsername (may be absent)
      user_email        str      email: personal data, never logged
      user_created_at   int      ms epoch of the Overseerr account
      user_requests     int      requestCount, every status
      title             str      enriched: title or name
      year              int      release/first-air year, 0 unknown
      genre_ids         [int]    TMDB genre ids
      genres            [str]    English genre names, same order
      rating            float    voteAverage
      votes             int      voteCount
      popularity        float    TMDB popularity
      release_date      str      "YYYY-MM-DD" or ""
      media_status      str      TMDB status ("Released", "Ended", ...)
      certification     str      US certification / content rating
      language          str      originalLanguage
      runtime           int      minutes (movie)
      total_seasons     int      numberOfSeasons (tv)
      requested_episodes int     episodes in requested seasons (tv)
      adult             bool     TMDB adult flag (movie)
      overview          str      trimmed overview
      poster_path       str      TMDB poster path
      outcome           str      "approve" | "decline" | "review"
      source            str      "rule" | "ai" | "learner" | "staff" | "error"
      rule              str      id of the deciding rule ("" for AI)
      message_id        str      translatable explanation id
      params            [str]    key, value, key, value... for message_id
      explanation       str      the explanation in English
      score             float    approval score in [0,1] (absent: none)
      ai_score          float    the LLM's raw score, when it answered
      model             str      LLM model that answered
      matched           [str]    every rule that matched
      ruleset           str      version of the rules that decided
      reason            str      release: why the claim is given back
    Added in v 1.1 (the rule engine's inputs; absent = unknown):
      keywords          [str]    TMDB keyword names
      certifications    [str]    "CC:VALUE" per country, e.g. "US:PG-13"
      total_episodes    int      numberOfEpisodes (tv)
      has_quota         bool     the quota_* fields below are known
      quota_movie_limit int      Overseerr quota: 0 = unlimited
      quota_movie_used  int      requests in the quota window
      quota_movie_days  int      quota window in days, 0 = not set
      quota_tv_limit    int      (tv counts seasons)
      quota_tv_used     int
      quota_tv_days     int
      has_history       bool     the history_* fields below are known
      history_week      int      this user's requests PlexStaffAI saw in
                                 the last 7 days, this one included
      history_approved  int      this user's requests approved (any source)
      history_declined  int      this user's requests declined            */
#ifndef PS_WORK_H_INCLUDED
#define PS_WORK_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    PS_OUTCOME_NONE = 0,
    PS_OUTCOME_APPROVE,
    PS_OUTCOME_DECLINE,
    PS_OUTCOME_REVIEW
} ps_outcome_t;

typedef struct {
    char type[16];           /* request|enriched|undecided|decision|release */
    int64_t request_id;      /* Overseerr request id */
    char *media_type;        /* "movie" | "tv" */
    int64_t tmdb_id;         /* TMDB id */
    bool is4k;               /* 4K request */
    int64_t requested_at;    /* ms epoch */
    int64_t *seasons;        /* requested season numbers */
    size_t season_count;     /* entries in seasons */
    char *trigger;           /* scan | webhook | rejudge */
    int64_t user_id;         /* requester id */
    char *user_name;         /* displayName */
    char *user_username;     /* username */
    char *user_plex;         /* plexUsername */
    char *user_email;        /* email (PII) */
    int64_t user_created_at; /* ms epoch */
    int64_t user_requests;   /* requestCount */
    char *title;             /* enriched title */
    int64_t year;            /* year, 0 unknown */
    int64_t *genre_ids;      /* TMDB genre ids */
    char **genres;           /* genre names */
    size_t genre_count;      /* entries in genres and genre_ids */
    double rating;           /* voteAverage */
    int64_t votes;           /* voteCount */
    double popularity;       /* popularity */
    char *release_date;      /* YYYY-MM-DD */
    char *media_status;      /* TMDB status */
    char *certification;     /* US certification */
    char *language;          /* original language */
    int64_t runtime;         /* minutes */
    int64_t total_seasons;   /* numberOfSeasons */
    int64_t requested_episodes; /* episodes requested */
    bool adult;                 /* TMDB adult */
    char *overview;             /* trimmed overview */
    char *poster_path;          /* poster path */
    ps_outcome_t outcome;       /* decision */
    char *source;               /* rule | ai | learner | staff | error */
    char *rule;                 /* deciding rule id */
    char *message_id;           /* explanation id */
    char **params;              /* key, value pairs */
    size_t param_count;         /* entries in params (even) */
    char *explanation;          /* English text */
    bool has_score;             /* score is meaningful */
    double score;               /* approval score */
    bool has_ai_score;          /* ai_score is meaningful */
    double ai_score;            /* raw LLM score */
    char *model;                /* LLM model */
    char **matched;             /* rules that matched */
    size_t matched_count;       /* entries in matched */
    char *ruleset;              /* rules version */
    char *reason;               /* release reason */
    char **keywords;            /* TMDB keyword names */
    size_t keyword_count;       /* entries in keywords */
    char **certifications;      /* "CC:VALUE" per country */
    size_t certification_count; /* entries in certifications */
    int64_t total_episodes;     /* numberOfEpisodes */
    bool has_quota;             /* quota_* are known */
    int64_t quota_movie_limit;  /* 0 = unlimited */
    int64_t quota_movie_used;   /* used in the window */
    int64_t quota_movie_days;   /* window, 0 = not set */
    int64_t quota_tv_limit;     /* 0 = unlimited (seasons) */
    int64_t quota_tv_used;      /* used in the window */
    int64_t quota_tv_days;      /* window, 0 = not set */
    bool has_history;           /* history_* are known */
    int64_t history_week;       /* requests in the last 7 days */
    int64_t history_approved;   /* requests approved */
    int64_t history_declined;   /* requests declined */
} ps_work_t;

/* Creates an empty record of the given type. Returns NULL on OOM. */
ps_work_t *ps_work_new(const char *type);

/* Frees a record; accepts NULL, sets *self_p to NULL. */
void ps_work_destroy(ps_work_t **self_p);

/* Deep copy that shares nothing with the original; NULL on OOM. */
ps_work_t *ps_work_dup(const ps_work_t *self);

/* Changes the stage name (request -> enriched -> decision). */
void ps_work_set_type(ps_work_t *self, const char *type);

/* Replaces a string field: frees *slot and stores a copy of value (NULL
   clears). Returns 0, or -1 on OOM. */
int ps_work_set_str(char **slot, const char *value);

/* Appends a key/value parameter of the explanation. */
int ps_work_add_param(ps_work_t *self, const char *key, const char *value);

/* Appends the id of a rule that matched. */
int ps_work_add_matched(ps_work_t *self, const char *rule);

/* Encodes into a new single-frame message (caller owns), NULL on OOM. */
zmsg_t *ps_work_encode(const ps_work_t *self);

/* Decodes a frame into a new record (*out, caller owns). Returns 0, or -1
   with the reason (the field at fault) in err. */
int ps_work_decode(zframe_t *frame, ps_work_t **out, char *err, size_t errlen);

/* "approve" / "decline" / "review" / "" */
const char *ps_outcome_name(ps_outcome_t outcome);

/* Parses an outcome word. Returns 0, or -1. */
int ps_outcome_parse(const char *name, ps_outcome_t *outcome);

#endif
