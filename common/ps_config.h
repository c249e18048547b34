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
    and swapping the pointer.                                              */
#ifndef PS_CONFIG_H_INCLUDED
#define PS_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **items; /* owned strings */
    size_t count; /* number of items */
} ps_strlist_t;

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
        bool enabled;       /* false turns the judge off even with a key */
        char *base_url;     /* OpenAI-compatible base ending in /v1 */
        char *api_key;      /* Bearer key, secret; optional for local */
        char *model;        /* chat model name */
        double temperature; /* always sent */
        int max_tokens;     /* completion token cap */
        int timeout_ms;     /* total timeout of one call */
        int max_attempts;   /* tries per request before giving up */
    } ai;

    struct {
        double auto_approve; /* approve at score >= this */
        double auto_reject;  /* decline at score <= this */
        bool needs_review;   /* false: decide between thresholds at 0.5 */
    } confidence;

    struct {
        ps_strlist_t blocked_genres;   /* decline when any matches */
        ps_strlist_t allowed_genres;   /* approve when any matches */
        double min_rating;             /* decline below (0 = off) */
        double approve_rating;         /* approve at or above (0 = off) */
        double min_popularity;         /* inert until the rule engine issue */
        ps_strlist_t trusted_users;    /* inert until the rule engine issue */
        ps_strlist_t restricted_users; /* inert until the rule engine issue */
        int quota_default;             /* requests/week, inert for now */
        int quota_trusted;             /* requests/week, inert for now */
        int quota_restricted;          /* requests/week, inert for now */
        int max_seasons;               /* inert until the rule engine issue */
        bool upcoming_review;          /* unreleased and unrated -> review */
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

#endif
