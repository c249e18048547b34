/*  ps_config - the one configuration of PlexStaffAI: a YAML file plus
    environment overrides for secrets and deployment.

    Every process loads the same file, so every key is known here once. The
    loader is schema-driven: a table of dotted key paths, types, ranges and
    struct offsets (ps_config.c). That gives, for free, errors that name
    file:line:column and the key, "did you mean" suggestions for misspelt
    keys (unknown keys are errors, never silently ignored), and a place to
    document each key. Environment variables keep the prototype's names
    (OVERSEERR_API_URL, OPENAI_API_KEY, WEBHOOK_SECRET, ...) so existing
    compose files keep working; they win over the file.
    A loaded config is an immutable value: reload means loading a new one
    and swapping the pointer.
    The rules.* keys also hold lists of mappings (time windows, per-level
    overrides, per-user quotas), each described by a sub-schema with the
    same errors; genre names resolve to TMDB ids at load (a name TMDB
    lacks is a warning), and `rules_version` hashes the effective rules
    so decisions name the policy that made them, not the file bytes.    */
#ifndef PS_CONFIG_H_INCLUDED
#define PS_CONFIG_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **items; /* owned strings */
    size_t count; /* number of items */
} ps_strlist_t;

/* The rule engine's rules, in precedence order: the first decisive one
   wins (services/rule-engine/rules.h explains each). The names are the
   `rules.mode.*` / `rules.action.*` keys and the ids recorded in
   `matched`; keep them stable. */
typedef enum {
    PS_RULE_RESTRICTED_USER,       /* 1 user */
    PS_RULE_ADULT_CONTENT,         /* 2 hard blocks */
    PS_RULE_CERTIFICATION_BLOCKED, /* 2 */
    PS_RULE_BLOCKED_GENRE,         /* 2 */
    PS_RULE_BLOCKED_KEYWORD,       /* 2 */
    PS_RULE_LANGUAGE_BLOCKED,      /* 2 */
    PS_RULE_QUOTA_WEEKLY,          /* 3 quota */
    PS_RULE_QUOTA_OVERSEERR,       /* 3 */
    PS_RULE_TRUSTED_USER,          /* 4 trust */
    PS_RULE_TIME_WINDOW,           /* 5 review guards and windows */
    PS_RULE_UPCOMING_UNRATED,      /* 5 */
    PS_RULE_UNRATED,               /* 5 */
    PS_RULE_CERTIFICATION_REVIEW,  /* 5 */
    PS_RULE_KEYWORD_REVIEW,        /* 5 */
    PS_RULE_APPROVE_RATING,        /* 6 allows */
    PS_RULE_ALLOWED_GENRE,         /* 6 */
    PS_RULE_RATING_BELOW_MIN,      /* 7 thresholds and limits */
    PS_RULE_POPULARITY_BELOW_MIN,  /* 7 */
    PS_RULE_LANGUAGE_NOT_ALLOWED,  /* 7 */
    PS_RULE_YEAR_OUT_OF_RANGE,     /* 7 */
    PS_RULE_RUNTIME_ABOVE_MAX,     /* 7 */
    PS_RULE_SEASONS_ABOVE_MAX,     /* 7 */
    PS_RULE_EPISODES_ABOVE_MAX,    /* 7 */
    PS_RULE_SERIES_ONGOING,        /* 7 */
    PS_RULE_SERIES_ENDED,          /* 7 */
    PS_RULE_REQUEST_4K,            /* 7 */
    PS_RULE_COUNT
} ps_rule_t;

/* How a rule runs (`rules.mode.*`). */
typedef enum {
    PS_MODE_ON = 0, /* evaluated, decisive when first */
    PS_MODE_OFF,    /* not evaluated */
    PS_MODE_DRY_RUN /* recorded as "dry-run:<id>", never decisive */
} ps_rule_mode_t;

/* What a rule decides (`rules.action.*`, a time window's `action`). */
typedef enum {
    PS_ACTION_DEFAULT = 0, /* the rule's own outcome */
    PS_ACTION_APPROVE,
    PS_ACTION_DECLINE,
    PS_ACTION_REVIEW
} ps_rule_action_t;

/* A policy key such as `rules.request_4k`: allow turns the rule off. */
typedef enum {
    PS_POLICY_INHERIT = -1, /* level override: use the general value */
    PS_POLICY_ALLOW = 0,
    PS_POLICY_REVIEW,
    PS_POLICY_DECLINE
} ps_rule_policy_t;

/* Trust levels derived from account age and approved history. */
typedef enum {
    PS_LEVEL_NEW,         /* account younger than rules.trust_levels.new_days */
    PS_LEVEL_ESTABLISHED, /* neither new nor veteran, or unknown age */
    PS_LEVEL_VETERAN,     /* old enough with enough approved requests */
    PS_LEVEL_COUNT
} ps_level_t;

/* TMDB genre ids a configured genre list resolved to (names are looked
   up in English and French, movie and TV; see ps_config.c). */
typedef struct {
    int ids[48];  /* distinct TMDB genre ids */
    size_t count; /* entries used */
} ps_config_genres_t;

/* One entry of rules.time_windows. */
typedef struct {
    char *name;          /* id shown as "time_window:<name>" */
    int from;            /* minutes after midnight, inclusive */
    int to;              /* minutes after midnight, exclusive; <from wraps */
    int days;            /* bit 0 Sunday .. bit 6 Saturday; start day */
    int action;          /* ps_rule_action_t, never DEFAULT after load */
    int mode;            /* ps_rule_mode_t */
    ps_strlist_t users;  /* only these users; empty: everyone */
    ps_strlist_t levels; /* only these levels; empty: every level */
} ps_config_window_t;

/* rules.time_windows, in file order. */
typedef struct {
    ps_config_window_t *items; /* owned */
    size_t count;              /* entries */
} ps_config_windows_t;

/* One entry of rules.level_overrides: -1 (or INHERIT) keeps the general
   value of that key. */
typedef struct {
    int level;             /* ps_level_t */
    int max_seasons;       /* replaces rules.max_seasons */
    int max_episodes;      /* replaces rules.max_episodes */
    int max_runtime;       /* replaces rules.max_runtime */
    int min_votes;         /* replaces rules.min_votes */
    double min_rating;     /* replaces rules.min_rating */
    double min_popularity; /* replaces rules.min_popularity */
    int request_4k;        /* ps_rule_policy_t, replaces rules.request_4k */
    int ongoing_series;    /* ps_rule_policy_t */
} ps_config_override_t;

/* rules.level_overrides, at most one per level. */
typedef struct {
    ps_config_override_t *items; /* owned */
    size_t count;                /* entries */
} ps_config_overrides_t;

/* One entry of rules.user_quotas.per_user. */
typedef struct {
    char *user; /* id, username, Plex username, display name or email */
    int limit;  /* requests per week, 0 = no limit */
} ps_config_user_quota_t;

/* rules.user_quotas.per_user, in file order (the first match wins). */
typedef struct {
    ps_config_user_quota_t *items; /* owned */
    size_t count;                  /* entries */
} ps_config_user_quotas_t;

/* One entry of ai.prices: USD per 1M tokens for models whose name
   (without a -YYYY-MM-DD suffix) starts with `model`. */
typedef struct {
    char *model;         /* model name prefix */
    double input;        /* uncached prompt tokens */
    double cached_input; /* cached prompt tokens; < 0 = same as input */
    double output;       /* completion tokens */
} ps_config_price_t;

/* ai.prices, in file order (the longest matching prefix wins). */
typedef struct {
    ps_config_price_t *items; /* owned */
    size_t count;             /* entries */
} ps_config_prices_t;

typedef struct {
    char *file;    /* config path, or "environment" */
    int line;      /* 1-based, 0 when not from the file */
    int column;    /* 1-based, 0 when not from the file */
    char *key;     /* dotted key path, e.g. "rules.min_rating" */
    char *message; /* what was wrong and what was expected */
} ps_config_issue_t;

typedef struct {
    ps_config_issue_t *items; /* owned */
    size_t count;             /* number of issues */
} ps_config_issues_t;

typedef struct {
    char *collect;   /* gateway PULL: decisions, usage, heartbeats */
    char *events;    /* gateway PUB: sequenced facts */
    char *authority; /* gateway REP: claims, catch-up */
    char *commands;  /* poller PULL: scan, hints */
    char *requests;  /* poller PUSH -> enricher */
    char *enriched;  /* rule-engine PULL <- enricher */
    char *undecided; /* rule-engine PUSH -> ai-judges */
    char *models;    /* learner PUB */
    bool bind_all;   /* binders listen on * instead of the host (compose) */
} ps_config_bus_t;

typedef struct {
    char *path;          /* file loaded, NULL for defaults only */
    char *version;       /* hex hash of the file bytes + env overrides */
    char *rules_version; /* hex hash of the effective rules.* + timezone */
    bool demo;           /* start the bundled simulators */
    bool observe_only;   /* decide and record, never act in Overseerr */
    int scan_interval_s; /* seconds between full pending scans */
    char *data_dir;      /* where databases and generated files live */
    char *log_level;     /* error | warn | info | debug */
    char *timezone;      /* IANA name for time rules and "the day" */

    struct {
        char *url;      /* Overseerr base URL, no /api/v1 */
        char *api_key;  /* X-Api-Key, secret */
        int timeout_ms; /* total timeout of one call */
        int page_size;  /* take= when listing pending requests */
    } overseerr;

    struct {
        bool enabled;            /* false turns the judge off even with a key */
        char *base_url;          /* OpenAI-compatible base ending in /v1 */
        char *api_key;           /* Bearer key, secret; optional for local */
        char *model;             /* chat model name */
        double temperature;      /* always sent */
        int max_tokens;          /* completion token cap */
        int timeout_ms;          /* total timeout of one call */
        int max_attempts;        /* tries per request before giving up */
        double daily_budget_usd; /* spend cap per local day, 0 = none */
        char *token_field;       /* auto | max_tokens | max_completion_tokens */
        char *policy;            /* the server's policy in plain words, or "" */
        int concurrency;         /* LLM calls one judge keeps in flight */
        int cache_ttl_s;         /* reuse of identical verdicts, 0 = off */
        int breaker_failures;    /* consecutive failures that open it */
        int breaker_open_s;      /* seconds open before one probe */
        ps_config_prices_t prices; /* per-model prices; empty: built in */
    } ai;

    struct {
        double auto_approve; /* approve at score >= this */
        double auto_reject;  /* decline at score <= this */
        bool needs_review;   /* false: decide between thresholds at 0.5 */
    } confidence;

    struct {
        ps_strlist_t blocked_genres;     /* decline when any matches */
        ps_strlist_t allowed_genres;     /* approve when any matches */
        ps_config_genres_t blocked_ids;  /* blocked_genres as TMDB ids */
        ps_config_genres_t allowed_ids;  /* allowed_genres as TMDB ids */
        double min_rating;               /* decline below (0 = off) */
        double approve_rating;           /* approve at or above (0 = off) */
        int min_votes;                   /* votes a rating needs to count */
        double min_popularity;           /* decline below (0 = off) */
        ps_strlist_t trusted_users;      /* approve unless a hard block */
        ps_strlist_t restricted_users;   /* always decline */
        int quota_default;               /* requests/week, 0 = no limit */
        int quota_trusted;               /* requests/week, trusted_users */
        int quota_restricted;            /* requests/week, restricted_users */
        int quota_level[PS_LEVEL_COUNT]; /* per derived level, 0 = default */
        ps_config_user_quotas_t quota_users; /* per-user weekly limits */
        int new_days;                        /* accounts younger are "new" */
        int veteran_days;                    /* accounts at least this old... */
        int veteran_approved;                /* ...and this many approvals */
        ps_config_overrides_t overrides;     /* per-level limits */
        int max_seasons;                     /* requested seasons (0 = off) */
        int max_episodes;                    /* requested episodes (0 = off) */
        int max_runtime;                     /* minutes (0 = off) */
        int year_min;                        /* decline before (0 = off) */
        int year_max;                        /* decline after (0 = off) */
        bool upcoming_review;        /* unreleased and unrated -> review */
        ps_strlist_t cert_block;     /* "CC:VALUE" -> decline */
        ps_strlist_t cert_review;    /* "CC:VALUE" -> review */
        ps_strlist_t keyword_block;  /* whole words -> decline */
        ps_strlist_t keyword_review; /* whole words -> review */
        ps_strlist_t language_block; /* ISO 639-1 -> decline */
        ps_strlist_t language_allow; /* others -> decline (empty: off) */
        int ongoing_series;          /* ps_rule_policy_t */
        int ended_series;            /* ps_rule_policy_t */
        int request_4k;              /* ps_rule_policy_t */
        ps_config_windows_t windows; /* time windows */
        int mode[PS_RULE_COUNT];     /* ps_rule_mode_t per rule */
        int action[PS_RULE_COUNT];   /* ps_rule_action_t per rule */
    } rules;

    struct {
        bool enabled;           /* inert until the learner model lands */
        double feedback_weight; /* blend weight of the learner score */
    } ml;

    struct {
        bool radarr_enabled;   /* inert */
        char *radarr_url;      /* inert */
        char *radarr_api_key;  /* inert, secret */
        bool sonarr_enabled;   /* inert */
        char *sonarr_url;      /* inert */
        char *sonarr_api_key;  /* inert, secret */
        bool discord_enabled;  /* inert */
        char *discord_webhook; /* inert, secret */
        bool email_enabled;    /* inert */
        char *email_to;        /* inert */
    } inert;

    struct {
        char *listen;         /* civetweb listening address host:port */
        int threads;          /* civetweb worker threads */
        char *webhook_secret; /* required unless demo; secret */
        char *web_root;       /* directory of the dashboard files */
        int lease_s;          /* claim lease before a request is re-granted */
        int apply_retry_s;    /* wait before retrying a failed apply */

        int sse_max_clients;   /* live event streams at once (read at start) */
        char *poster_base_url; /* image server; + a TMDB poster path */
        int poster_cache_mb;   /* poster cache on disk, 0 = no cache */
        int poster_timeout_ms; /* total time of one poster fetch */
    } gateway;

    struct {
        int cache_ttl_s; /* media details cache lifetime */
        int cache_max;   /* entries kept */
    } enricher;

    ps_config_bus_t bus; /* socket endpoints */
} ps_config_t;

/* Loads `path` (NULL: defaults only), then applies the environment.
   Returns a new config, or NULL when anything was wrong; then every error
   is appended to `errors` (may be NULL). Warnings (valid but suspicious
   values) go to `warnings` (may be NULL) and do not fail the load.
   Registers every secret with ps_log_add_secret. The caller owns the
   result and destroys it with ps_config_destroy. */
ps_config_t *ps_config_load(const char *path, ps_config_issues_t *errors,
                            ps_config_issues_t *warnings);

/* The loader reads TZ once, at the first load, because the rule engine
   and the gateway later set TZ themselves for localtime. This makes the
   next load read TZ from the environment again: for tests, and for a
   process that changes its TZ on purpose. */
void ps_config_reread_tz(void);

/* The effective configuration as one JSON object keyed by every dotted
   schema key ("ai.model": "gpt-4o-mini", ...), in schema order: values
   in their config form (durations in seconds, modes and actions as
   words, lists of mappings as arrays of objects). Secrets are never
   copied: a secret key holds "set" or "not set". Returns a new object
   (caller decrefs), or NULL on OOM. */
json_t *ps_config_to_json(const ps_config_t *config);

/* Frees a config; accepts NULL and sets *self_p to NULL. */
void ps_config_destroy(ps_config_t **self_p);

/* Formats one issue as "file:line:column: key: message" into buf. */
void ps_config_issue_format(const ps_config_issue_t *issue, char *buf,
                            size_t len);

/* Frees the issues' contents and resets the list to empty. */
void ps_config_issues_clear(ps_config_issues_t *issues);

/* Copies `endpoint` into buf, replacing the host by "*" when bind_all is
   set and the endpoint is tcp://. Returns 0, or -1 if buf is too small. */
int ps_config_bind_endpoint(const ps_config_t *config, const char *endpoint,
                            char *buf, size_t len);

/* True when `list` holds `value`, compared case-insensitively. */
bool ps_strlist_has(const ps_strlist_t *list, const char *value);

/* True when Overseerr must be simulated: demo mode or no URL at all. */
bool ps_config_wants_simulators(const ps_config_t *config);

/* Stable id of a rule ("blocked_genre"), or "" out of range. */
const char *ps_config_rule_name(ps_rule_t rule);

/* Name of a derived trust level ("new"), or "" out of range. */
const char *ps_config_level_name(ps_level_t level);

/* TMDB genre ids that a configured genre (an English or French movie or
   TV name, any ASCII case, or a decimal id) stands for, written to ids
   (up to max). A movie genre name also stands for the TV genre that
   contains it (Science Fiction -> Sci-Fi & Fantasy) and a TV name for
   its movie genres; an id stands for itself only. Returns the number of
   ids, 0 when TMDB has no such genre. */
size_t ps_config_genre_ids(const char *genre, int *ids, size_t max);

#endif
