/*  ps_config - see ps_config.h.

    Loading has three steps: libyaml events become a small tree of nodes
    that remember their line and column; the tree is walked against the
    schema table below (one row per leaf key, sections are implied by the
    dotted paths); then environment variables are applied through the same
    schema rows, so a bad `OPENAI_TEMPERATURE` is reported like a bad file
    value. Every problem is collected, not just the first, so check-config
    shows them all at once. T_TABLE keys (lists of mappings) are walked
    against a second, per-table schema (s_tables) so their fields get the
    same typed parsing, positions and "did you mean". */
#include "ps_config.h"
#include "ps_log.h"
#include "ps_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define PS_CONFIG_MAX_FILE (1024 * 1024)

typedef enum {
    T_BOOL,
    T_INT,
    T_DOUBLE,
    T_STRING,
    T_SECRET, /* a string that is registered with the log redactor */
    T_STRLIST,
    T_DURATION, /* seconds; "300", "300s", "5m", "1h" */
    T_MODE,     /* on | off | dry-run (ps_rule_mode_t) */
    T_ACTION,   /* approve | decline | review (ps_rule_action_t) */
    T_POLICY,   /* allow | review | decline (ps_rule_policy_t) */
    T_TABLE,    /* a list of mappings, described in s_tables */
    T_CLOCK,    /* "HH:MM" as minutes after midnight (tables only) */
    T_DAYS,     /* list of day names as a bit set (tables only) */
    T_LEVEL,    /* new | established | veteran (tables only) */
} s_type_t;

typedef struct {
    const char *path; /* dotted key */
    s_type_t type;    /* how to parse the value */
    size_t offset;    /* where it lives in ps_config_t */
    double min;       /* inclusive range for numbers and durations */
    double max;
} s_key_t;

#define K(path, type, field, min, max)                                         \
    {                                                                          \
        path, type, offsetof(ps_config_t, field), min, max                     \
    }

static const s_key_t s_keys[] = {
    K("demo", T_BOOL, demo, 0, 0),
    K("observe_only", T_BOOL, observe_only, 0, 0),
    K("scan_interval", T_DURATION, scan_interval_s, 10, 86400),
    K("data_dir", T_STRING, data_dir, 0, 0),
    K("log_level", T_STRING, log_level, 0, 0),
    K("timezone", T_STRING, timezone, 0, 0),
    K("overseerr.url", T_STRING, overseerr.url, 0, 0),
    K("overseerr.api_key", T_SECRET, overseerr.api_key, 0, 0),
    K("overseerr.timeout_ms", T_INT, overseerr.timeout_ms, 100, 120000),
    K("overseerr.page_size", T_INT, overseerr.page_size, 1, 500),
    K("ai.enabled", T_BOOL, ai.enabled, 0, 0),
    K("ai.base_url", T_STRING, ai.base_url, 0, 0),
    K("ai.api_key", T_SECRET, ai.api_key, 0, 0),
    K("ai.model", T_STRING, ai.model, 0, 0),
    K("ai.temperature", T_DOUBLE, ai.temperature, 0, 2),
    K("ai.max_tokens", T_INT, ai.max_tokens, 16, 32768),
    K("ai.timeout_ms", T_INT, ai.timeout_ms, 100, 600000),
    K("ai.max_attempts", T_INT, ai.max_attempts, 1, 10),
    K("ai.daily_budget_usd", T_DOUBLE, ai.daily_budget_usd, 0, 1e6),
    K("ai.token_field", T_STRING, ai.token_field, 0, 0),
    K("ai.policy", T_STRING, ai.policy, 0, 0),
    K("ai.concurrency", T_INT, ai.concurrency, 1, 256),
    K("ai.cache_ttl", T_DURATION, ai.cache_ttl_s, 0, 30 * 86400),
    K("ai.breaker_failures", T_INT, ai.breaker_failures, 1, 1000),
    K("ai.breaker_open", T_DURATION, ai.breaker_open_s, 1, 86400),
    K("ai.prices", T_TABLE, ai.prices, 0, 0),
    K("confidence.auto_approve", T_DOUBLE, confidence.auto_approve, 0, 1),
    K("confidence.auto_reject", T_DOUBLE, confidence.auto_reject, 0, 1),
    K("confidence.needs_review", T_BOOL, confidence.needs_review, 0, 0),
    K("rules.blocked_genres", T_STRLIST, rules.blocked_genres, 0, 0),
    K("rules.allowed_genres", T_STRLIST, rules.allowed_genres, 0, 0),
    K("rules.min_rating", T_DOUBLE, rules.min_rating, 0, 10),
    K("rules.approve_rating", T_DOUBLE, rules.approve_rating, 0, 10),
    K("rules.min_votes", T_INT, rules.min_votes, 0, 10000000),
    K("rules.min_popularity", T_DOUBLE, rules.min_popularity, 0, 1e9),
    K("rules.trusted_users", T_STRLIST, rules.trusted_users, 0, 0),
    K("rules.restricted_users", T_STRLIST, rules.restricted_users, 0, 0),
    K("rules.user_quotas.default", T_INT, rules.quota_default, 0, 100000),
    K("rules.user_quotas.trusted", T_INT, rules.quota_trusted, 0, 100000),
    K("rules.user_quotas.restricted", T_INT, rules.quota_restricted, 0, 100000),
    K("rules.user_quotas.new", T_INT, rules.quota_level[PS_LEVEL_NEW], 0,
      100000),
    K("rules.user_quotas.established", T_INT,
      rules.quota_level[PS_LEVEL_ESTABLISHED], 0, 100000),
    K("rules.user_quotas.veteran", T_INT, rules.quota_level[PS_LEVEL_VETERAN],
      0, 100000),
    K("rules.user_quotas.per_user", T_TABLE, rules.quota_users, 0, 0),
    K("rules.trust_levels.new_days", T_INT, rules.new_days, 0, 36500),
    K("rules.trust_levels.veteran_days", T_INT, rules.veteran_days, 0, 36500),
    K("rules.trust_levels.veteran_approved", T_INT, rules.veteran_approved, 0,
      1000000),
    K("rules.level_overrides", T_TABLE, rules.overrides, 0, 0),
    K("rules.max_seasons", T_INT, rules.max_seasons, 0, 1000),
    K("rules.max_episodes", T_INT, rules.max_episodes, 0, 100000),
    K("rules.max_runtime", T_INT, rules.max_runtime, 0, 100000),
    K("rules.year.min", T_INT, rules.year_min, 0, 3000),
    K("rules.year.max", T_INT, rules.year_max, 0, 3000),
    K("rules.upcoming_review", T_BOOL, rules.upcoming_review, 0, 0),
    K("rules.certifications.block", T_STRLIST, rules.cert_block, 0, 0),
    K("rules.certifications.review", T_STRLIST, rules.cert_review, 0, 0),
    K("rules.keywords.block", T_STRLIST, rules.keyword_block, 0, 0),
    K("rules.keywords.review", T_STRLIST, rules.keyword_review, 0, 0),
    K("rules.languages.block", T_STRLIST, rules.language_block, 0, 0),
    K("rules.languages.allow", T_STRLIST, rules.language_allow, 0, 0),
    K("rules.ongoing_series", T_POLICY, rules.ongoing_series, 0, 0),
    K("rules.ended_series", T_POLICY, rules.ended_series, 0, 0),
    K("rules.request_4k", T_POLICY, rules.request_4k, 0, 0),
    K("rules.time_windows", T_TABLE, rules.windows, 0, 0),
    K("rules.mode.restricted_user", T_MODE, rules.mode[PS_RULE_RESTRICTED_USER],
      0, 0),
    K("rules.mode.adult_content", T_MODE, rules.mode[PS_RULE_ADULT_CONTENT], 0,
      0),
    K("rules.mode.certification_blocked", T_MODE,
      rules.mode[PS_RULE_CERTIFICATION_BLOCKED], 0, 0),
    K("rules.mode.blocked_genre", T_MODE, rules.mode[PS_RULE_BLOCKED_GENRE], 0,
      0),
    K("rules.mode.blocked_keyword", T_MODE, rules.mode[PS_RULE_BLOCKED_KEYWORD],
      0, 0),
    K("rules.mode.language_blocked", T_MODE,
      rules.mode[PS_RULE_LANGUAGE_BLOCKED], 0, 0),
    K("rules.mode.quota_weekly", T_MODE, rules.mode[PS_RULE_QUOTA_WEEKLY], 0,
      0),
    K("rules.mode.quota_overseerr", T_MODE, rules.mode[PS_RULE_QUOTA_OVERSEERR],
      0, 0),
    K("rules.mode.trusted_user", T_MODE, rules.mode[PS_RULE_TRUSTED_USER], 0,
      0),
    K("rules.mode.time_window", T_MODE, rules.mode[PS_RULE_TIME_WINDOW], 0, 0),
    K("rules.mode.upcoming_unrated", T_MODE,
      rules.mode[PS_RULE_UPCOMING_UNRATED], 0, 0),
    K("rules.mode.unrated", T_MODE, rules.mode[PS_RULE_UNRATED], 0, 0),
    K("rules.mode.certification_review", T_MODE,
      rules.mode[PS_RULE_CERTIFICATION_REVIEW], 0, 0),
    K("rules.mode.keyword_review", T_MODE, rules.mode[PS_RULE_KEYWORD_REVIEW],
      0, 0),
    K("rules.mode.approve_rating", T_MODE, rules.mode[PS_RULE_APPROVE_RATING],
      0, 0),
    K("rules.mode.allowed_genre", T_MODE, rules.mode[PS_RULE_ALLOWED_GENRE], 0,
      0),
    K("rules.mode.rating_below_min", T_MODE,
      rules.mode[PS_RULE_RATING_BELOW_MIN], 0, 0),
    K("rules.mode.popularity_below_min", T_MODE,
      rules.mode[PS_RULE_POPULARITY_BELOW_MIN], 0, 0),
    K("rules.mode.language_not_allowed", T_MODE,
      rules.mode[PS_RULE_LANGUAGE_NOT_ALLOWED], 0, 0),
    K("rules.mode.year_out_of_range", T_MODE,
      rules.mode[PS_RULE_YEAR_OUT_OF_RANGE], 0, 0),
    K("rules.mode.runtime_above_max", T_MODE,
      rules.mode[PS_RULE_RUNTIME_ABOVE_MAX], 0, 0),
    K("rules.mode.seasons_above_max", T_MODE,
      rules.mode[PS_RULE_SEASONS_ABOVE_MAX], 0, 0),
    K("rules.mode.episodes_above_max", T_MODE,
      rules.mode[PS_RULE_EPISODES_ABOVE_MAX], 0, 0),
    K("rules.mode.series_ongoing", T_MODE, rules.mode[PS_RULE_SERIES_ONGOING],
      0, 0),
    K("rules.mode.series_ended", T_MODE, rules.mode[PS_RULE_SERIES_ENDED], 0,
      0),
    K("rules.mode.request_4k", T_MODE, rules.mode[PS_RULE_REQUEST_4K], 0, 0),
    K("rules.action.restricted_user", T_ACTION,
      rules.action[PS_RULE_RESTRICTED_USER], 0, 0),
    K("rules.action.adult_content", T_ACTION,
      rules.action[PS_RULE_ADULT_CONTENT], 0, 0),
    K("rules.action.certification_blocked", T_ACTION,
      rules.action[PS_RULE_CERTIFICATION_BLOCKED], 0, 0),
    K("rules.action.blocked_genre", T_ACTION,
      rules.action[PS_RULE_BLOCKED_GENRE], 0, 0),
    K("rules.action.blocked_keyword", T_ACTION,
      rules.action[PS_RULE_BLOCKED_KEYWORD], 0, 0),
    K("rules.action.language_blocked", T_ACTION,
      rules.action[PS_RULE_LANGUAGE_BLOCKED], 0, 0),
    K("rules.action.quota_weekly", T_ACTION, rules.action[PS_RULE_QUOTA_WEEKLY],
      0, 0),
    K("rules.action.quota_overseerr", T_ACTION,
      rules.action[PS_RULE_QUOTA_OVERSEERR], 0, 0),
    K("rules.action.trusted_user", T_ACTION, rules.action[PS_RULE_TRUSTED_USER],
      0, 0),
    K("rules.action.upcoming_unrated", T_ACTION,
      rules.action[PS_RULE_UPCOMING_UNRATED], 0, 0),
    K("rules.action.unrated", T_ACTION, rules.action[PS_RULE_UNRATED], 0, 0),
    K("rules.action.certification_review", T_ACTION,
      rules.action[PS_RULE_CERTIFICATION_REVIEW], 0, 0),
    K("rules.action.keyword_review", T_ACTION,
      rules.action[PS_RULE_KEYWORD_REVIEW], 0, 0),
    K("rules.action.approve_rating", T_ACTION,
      rules.action[PS_RULE_APPROVE_RATING], 0, 0),
    K("rules.action.allowed_genre", T_ACTION,
      rules.action[PS_RULE_ALLOWED_GENRE], 0, 0),
    K("rules.action.rating_below_min", T_ACTION,
      rules.action[PS_RULE_RATING_BELOW_MIN], 0, 0),
    K("rules.action.popularity_below_min", T_ACTION,
      rules.action[PS_RULE_POPULARITY_BELOW_MIN], 0, 0),
    K("rules.action.language_not_allowed", T_ACTION,
      rules.action[PS_RULE_LANGUAGE_NOT_ALLOWED], 0, 0),
    K("rules.action.year_out_of_range", T_ACTION,
      rules.action[PS_RULE_YEAR_OUT_OF_RANGE], 0, 0),
    K("rules.action.runtime_above_max", T_ACTION,
      rules.action[PS_RULE_RUNTIME_ABOVE_MAX], 0, 0),
    K("rules.action.seasons_above_max", T_ACTION,
      rules.action[PS_RULE_SEASONS_ABOVE_MAX], 0, 0),
    K("rules.action.episodes_above_max", T_ACTION,
      rules.action[PS_RULE_EPISODES_ABOVE_MAX], 0, 0),
    K("ml.enabled", T_BOOL, ml.enabled, 0, 0),
    K("ml.feedback_weight", T_DOUBLE, ml.feedback_weight, 0, 1),
    K("integrations.radarr.enabled", T_BOOL, inert.radarr_enabled, 0, 0),
    K("integrations.radarr.url", T_STRING, inert.radarr_url, 0, 0),
    K("integrations.radarr.api_key", T_SECRET, inert.radarr_api_key, 0, 0),
    K("integrations.sonarr.enabled", T_BOOL, inert.sonarr_enabled, 0, 0),
    K("integrations.sonarr.url", T_STRING, inert.sonarr_url, 0, 0),
    K("integrations.sonarr.api_key", T_SECRET, inert.sonarr_api_key, 0, 0),
    K("notifications.discord.enabled", T_BOOL, inert.discord_enabled, 0, 0),
    K("notifications.discord.webhook_url", T_SECRET, inert.discord_webhook, 0,
      0),
    K("notifications.email.enabled", T_BOOL, inert.email_enabled, 0, 0),
    K("notifications.email.to", T_STRING, inert.email_to, 0, 0),
    K("gateway.listen", T_STRING, gateway.listen, 0, 0),
    K("gateway.threads", T_INT, gateway.threads, 2, 1024),
    K("gateway.webhook_secret", T_SECRET, gateway.webhook_secret, 0, 0),
    K("gateway.web_root", T_STRING, gateway.web_root, 0, 0),
    K("gateway.lease", T_DURATION, gateway.lease_s, 5, 86400),
    K("gateway.apply_retry", T_DURATION, gateway.apply_retry_s, 1, 86400),
    K("gateway.sse_max_clients", T_INT, gateway.sse_max_clients, 0, 256),
    K("gateway.poster_base_url", T_STRING, gateway.poster_base_url, 0, 0),
    K("gateway.poster_cache_mb", T_INT, gateway.poster_cache_mb, 0, 100000),
    K("gateway.poster_timeout_ms", T_INT, gateway.poster_timeout_ms, 100,
      60000),
    K("enricher.cache_ttl", T_DURATION, enricher.cache_ttl_s, 0, 30 * 86400),
    K("enricher.cache_max", T_INT, enricher.cache_max, 0, 1000000),
    K("bus.collect", T_STRING, bus.collect, 0, 0),
    K("bus.events", T_STRING, bus.events, 0, 0),
    K("bus.authority", T_STRING, bus.authority, 0, 0),
    K("bus.commands", T_STRING, bus.commands, 0, 0),
    K("bus.requests", T_STRING, bus.requests, 0, 0),
    K("bus.enriched", T_STRING, bus.enriched, 0, 0),
    K("bus.undecided", T_STRING, bus.undecided, 0, 0),
    K("bus.models", T_STRING, bus.models, 0, 0),
    K("bus.bind_all", T_BOOL, bus.bind_all, 0, 0),
};
#define S_KEY_COUNT (sizeof(s_keys) / sizeof(s_keys[0]))

typedef struct {
    const char *name; /* environment variable */
    const char *path; /* schema key it sets */
    int minutes;      /* 1: the value counts minutes (SCAN_INTERVAL_MINUTES) */
} s_env_t;

static const s_env_t s_envs[] = {
    {"OVERSEERR_API_URL", "overseerr.url", 0},
    {"OVERSEERR_API_KEY", "overseerr.api_key", 0},
    {"OPENAI_API_KEY", "ai.api_key", 0},
    {"OPENAI_BASE_URL", "ai.base_url", 0},
    {"OPENAI_MODEL", "ai.model", 0},
    {"OPENAI_ENABLED", "ai.enabled", 0},
    {"OPENAI_TEMPERATURE", "ai.temperature", 0},
    {"OPENAI_MAX_TOKENS", "ai.max_tokens", 0},
    {"WEBHOOK_SECRET", "gateway.webhook_secret", 0},
    {"SCAN_INTERVAL_MINUTES", "scan_interval", 1},
    {"TZ", "timezone", 0},
    {"PLEXSTAFFAI_DEMO", "demo", 0},
    {"PLEXSTAFFAI_OBSERVE_ONLY", "observe_only", 0},
    {"PLEXSTAFFAI_DATA_DIR", "data_dir", 0},
    {"PLEXSTAFFAI_LOG_LEVEL", "log_level", 0},
    {"PLEXSTAFFAI_LISTEN", "gateway.listen", 0},
    {"PLEXSTAFFAI_WEB_ROOT", "gateway.web_root", 0},
    {"PLEXSTAFFAI_POSTER_BASE_URL", "gateway.poster_base_url", 0},
    {"PLEXSTAFFAI_BUS_COLLECT", "bus.collect", 0},
    {"PLEXSTAFFAI_BUS_EVENTS", "bus.events", 0},
    {"PLEXSTAFFAI_BUS_AUTHORITY", "bus.authority", 0},
    {"PLEXSTAFFAI_BUS_COMMANDS", "bus.commands", 0},
    {"PLEXSTAFFAI_BUS_REQUESTS", "bus.requests", 0},
    {"PLEXSTAFFAI_BUS_ENRICHED", "bus.enriched", 0},
    {"PLEXSTAFFAI_BUS_UNDECIDED", "bus.undecided", 0},
    {"PLEXSTAFFAI_BUS_MODELS", "bus.models", 0},
    {"PLEXSTAFFAI_BUS_BIND_ALL", "bus.bind_all", 0},
};

/* ---- a tiny YAML tree with positions ---------------------------------- */

typedef enum { N_SCALAR, N_MAP, N_SEQ } s_node_kind_t;

typedef struct s_node {
    s_node_kind_t kind;       /* scalar, mapping or sequence */
    char *text;               /* scalar value */
    bool quoted;              /* scalar was quoted (never null) */
    int line;                 /* 1-based position of the node */
    int column;               /* 1-based */
    struct s_node **children; /* map: key,value,key,value...; seq: items */
    size_t count;             /* entries in children */
} s_node_t;

static void
s_node_free(s_node_t *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->count; i++)
        s_node_free(node->children[i]);
    free(node->children);
    free(node->text);
    free(node);
}

static int
s_node_append(s_node_t *parent, s_node_t *child)
{
    s_node_t **grown =
        realloc(parent->children, (parent->count + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    parent->children = grown;
    parent->children[parent->count++] = child;
    return 0;
}

/* ---- issue lists ------------------------------------------------------ */

static void s_issue_add(ps_config_issues_t *list, const char *file, int line,
                        int column, const char *key, const char *format, ...)
    __attribute__((format(printf, 6, 7)));

static void
s_issue_add(ps_config_issues_t *list, const char *file, int line, int column,
            const char *key, const char *format, ...)
{
    if (!list)
        return;
    ps_config_issue_t *grown =
        realloc(list->items, (list->count + 1) * sizeof(*grown));
    if (!grown)
        return;
    list->items = grown;
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    ps_config_issue_t *issue = &list->items[list->count++];
    issue->file = strdup(file ? file : "(defaults)");
    issue->line = line;
    issue->column = column;
    issue->key = strdup(key ? key : "");
    issue->message = strdup(message);
}

void
ps_config_issues_clear(ps_config_issues_t *issues)
{
    if (!issues)
        return;
    for (size_t i = 0; i < issues->count; i++) {
        free(issues->items[i].file);
        free(issues->items[i].key);
        free(issues->items[i].message);
    }
    free(issues->items);
    issues->items = NULL;
    issues->count = 0;
}

void
ps_config_issue_format(const ps_config_issue_t *issue, char *buf, size_t len)
{
    if (issue->line > 0)
        snprintf(buf, len, "%s:%d:%d: %s: %s", issue->file, issue->line,
                 issue->column, issue->key, issue->message);
    else
        snprintf(buf, len, "%s: %s: %s", issue->file, issue->key,
                 issue->message);
}

/* ---- parsing YAML into the tree --------------------------------------- */

typedef struct {
    const char *file;           /* for messages */
    ps_config_issues_t *errors; /* where problems go */
    ps_config_issues_t *warnings;
    int error_count; /* problems found, even when errors is NULL */
    /* Where each schema key got its value, so the cross-key checks can
       point at the file position too (0: default or environment). */
    int line[S_KEY_COUNT];
    int column[S_KEY_COUNT];
    bool from_env[S_KEY_COUNT];
} s_ctx_t;

static s_node_t *
s_node_new(s_node_kind_t kind, const yaml_mark_t *mark)
{
    s_node_t *node = calloc(1, sizeof(*node));
    if (node) {
        node->kind = kind;
        node->line = (int)mark->line + 1;
        node->column = (int)mark->column + 1;
    }
    return node;
}

/* Reads one node (and its children) from the parser. Returns NULL on a
   YAML error, already reported. */
static s_node_t *
s_parse_node(s_ctx_t *ctx, yaml_parser_t *parser, yaml_event_t *first)
{
    s_node_t *node = NULL;
    switch (first->type) {
        case YAML_SCALAR_EVENT:
            node = s_node_new(N_SCALAR, &first->start_mark);
            if (node) {
                node->text = strndup((char *)first->data.scalar.value,
                                     first->data.scalar.length);
                node->quoted =
                    first->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
            }
            return node;
        case YAML_ALIAS_EVENT:
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, (int)first->start_mark.line + 1,
                        (int)first->start_mark.column + 1, "(yaml)",
                        "aliases (*name) are not supported; repeat the value");
            return NULL;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            bool is_map = first->type == YAML_MAPPING_START_EVENT;
            node = s_node_new(is_map ? N_MAP : N_SEQ, &first->start_mark);
            yaml_event_type_t end =
                is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
            while (node) {
                yaml_event_t event;
                if (!yaml_parser_parse(parser, &event)) {
                    ctx->error_count++;
                    s_issue_add(ctx->errors, ctx->file,
                                (int)parser->problem_mark.line + 1,
                                (int)parser->problem_mark.column + 1, "(yaml)",
                                "%s%s%s",
                                parser->problem ? parser->problem
                                                : "invalid YAML",
                                parser->context ? " " : "",
                                parser->context ? parser->context : "");
                    s_node_free(node);
                    return NULL;
                }
                if (event.type == end) {
                    yaml_event_delete(&event);
                    break;
                }
                s_node_t *child = s_parse_node(ctx, parser, &event);
                yaml_event_delete(&event);
                if (!child || s_node_append(node, child) != 0) {
                    s_node_free(child);
                    s_node_free(node);
                    return NULL;
                }
            }
            return node;
        }
        default:
            return NULL;
    }
}

static s_node_t *
s_parse_yaml(s_ctx_t *ctx, const unsigned char *text, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return NULL;
    yaml_parser_set_input_string(&parser, text, len);
    s_node_t *root = NULL;
    bool done = false;
    while (!done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file,
                        (int)parser.problem_mark.line + 1,
                        (int)parser.problem_mark.column + 1, "(yaml)", "%s%s%s",
                        parser.problem ? parser.problem : "invalid YAML",
                        parser.context ? " " : "",
                        parser.context ? parser.context : "");
            s_node_free(root);
            root = NULL;
            break;
        }
        switch (event.type) {
            case YAML_STREAM_END_EVENT:
                done = true;
                break;
            case YAML_SCALAR_EVENT:
            case YAML_SEQUENCE_START_EVENT:
            case YAML_MAPPING_START_EVENT:
                if (root) {
                    ctx->error_count++;
                    s_issue_add(ctx->errors, ctx->file,
                                (int)event.start_mark.line + 1,
                                (int)event.start_mark.column + 1, "(yaml)",
                                "only one YAML document is allowed");
                    done = true;
                    break;
                }
                root = s_parse_node(ctx, &parser, &event);
                if (!root)
                    done = true;
                break;
            default:
                break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return root;
}

/* ---- schema lookup and suggestions ------------------------------------ */

static const s_key_t *
s_key_find(const char *path)
{
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (strcmp(s_keys[i].path, path) == 0)
            return &s_keys[i];
    return NULL;
}

static bool
s_is_section(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (strncmp(s_keys[i].path, path, len) == 0
            && s_keys[i].path[len] == '.')
            return true;
    return false;
}

static size_t
s_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diagonal + cost;
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/* Finds the known key under `prefix` closest to `name`, for "did you
   mean". Writes it to buf, or "" when nothing is close. */
static void
s_suggest(const char *prefix, const char *name, char *buf, size_t len)
{
    size_t best = 4;
    buf[0] = '\0';
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        const char *path = s_keys[i].path;
        if (plen && (strncmp(path, prefix, plen) != 0 || path[plen] != '.'))
            continue;
        const char *rest = plen ? path + plen + 1 : path;
        char sibling[64];
        size_t n = strcspn(rest, ".");
        if (n >= sizeof(sibling))
            continue;
        memcpy(sibling, rest, n);
        sibling[n] = '\0';
        size_t distance = s_edit_distance(name, sibling);
        if (distance < best && distance <= (strlen(sibling) + 1) / 2) {
            best = distance;
            snprintf(buf, len, "%s", sibling);
        }
    }
}

/* ---- the rules: genres, names, tables and item checks ------------------ */

/* TMDB's genres, movie and TV, with the names users write: English (what
   Overseerr gives with language=en), French (what the prototype stored,
   TMDB's fr-FR names) and accent-free spellings. `related` links a movie
   genre to the TV genre that contains it and back, because TV merges
   them (Sci-Fi & Fantasy, Action & Adventure, War & Politics): a rule
   written with either name then applies to both kinds of media. */
typedef struct {
    int id;               /* TMDB genre id */
    const char *names[4]; /* English first, then French and aliases */
    int related[2];       /* ids of the other kind's matching genres */
} s_genre_t;

static const s_genre_t s_genres[] = {
    {28, {"Action", NULL, NULL, NULL}, {10759, 0}},
    {12, {"Adventure", "Aventure", NULL, NULL}, {10759, 0}},
    {16, {"Animation", NULL, NULL, NULL}, {0, 0}},
    {35, {"Comedy", "Comédie", "Comedie", NULL}, {0, 0}},
    {80, {"Crime", NULL, NULL, NULL}, {0, 0}},
    {99, {"Documentary", "Documentaire", NULL, NULL}, {0, 0}},
    {18, {"Drama", "Drame", NULL, NULL}, {0, 0}},
    {10751, {"Family", "Familial", "Famille", NULL}, {0, 0}},
    {14, {"Fantasy", "Fantastique", NULL, NULL}, {10765, 0}},
    {36, {"History", "Histoire", NULL, NULL}, {0, 0}},
    {27, {"Horror", "Horreur", NULL, NULL}, {0, 0}},
    {10402, {"Music", "Musique", NULL, NULL}, {0, 0}},
    {9648, {"Mystery", "Mystère", "Mystere", NULL}, {0, 0}},
    {10749, {"Romance", NULL, NULL, NULL}, {0, 0}},
    {878, {"Science Fiction", "Science-Fiction", "Sci-Fi", NULL}, {10765, 0}},
    {10770, {"TV Movie", "Téléfilm", "Telefilm", NULL}, {0, 0}},
    {53, {"Thriller", NULL, NULL, NULL}, {0, 0}},
    {10752, {"War", "Guerre", NULL, NULL}, {10768, 0}},
    {37, {"Western", NULL, NULL, NULL}, {0, 0}},
    {10759, {"Action & Adventure", "Action & Aventure", NULL, NULL}, {28, 12}},
    {10762, {"Kids", "Enfants", NULL, NULL}, {0, 0}},
    {10763, {"News", "Actualités", "Actualites", NULL}, {0, 0}},
    {10764, {"Reality", "Téléréalité", "Telerealite", NULL}, {0, 0}},
    {10765,
     {"Sci-Fi & Fantasy", "Science-Fiction & Fantastique", NULL, NULL},
     {878, 14}},
    {10766, {"Soap", "Feuilleton", NULL, NULL}, {0, 0}},
    {10767, {"Talk", "Talk-show", NULL, NULL}, {0, 0}},
    {10768, {"War & Politics", "Guerre & Politique", NULL, NULL}, {10752, 0}},
};
#define S_GENRE_COUNT (sizeof(s_genres) / sizeof(s_genres[0]))

static size_t
s_ids_add(int *ids, size_t count, size_t max, int id)
{
    for (size_t i = 0; i < count; i++)
        if (ids[i] == id)
            return count;
    if (count < max)
        ids[count++] = id;
    return count;
}

size_t
ps_config_genre_ids(const char *genre, int *ids, size_t max)
{
    int64_t id = 0;
    if (ps_parse_int64(genre, 1, INT32_MAX, &id) == 0) {
        for (size_t i = 0; i < S_GENRE_COUNT; i++)
            if (s_genres[i].id == id)
                return s_ids_add(ids, 0, max, (int)id);
        return 0;
    }
    size_t count = 0;
    for (size_t i = 0; i < S_GENRE_COUNT; i++) {
        const s_genre_t *g = &s_genres[i];
        bool hit = false;
        for (size_t n = 0; n < 4 && g->names[n]; n++)
            if (strcasecmp(g->names[n], genre) == 0)
                hit = true;
        if (!hit)
            continue;
        count = s_ids_add(ids, count, max, g->id);
        for (size_t r = 0; r < 2 && g->related[r]; r++)
            count = s_ids_add(ids, count, max, g->related[r]);
    }
    return count;
}

static const char *const s_rule_names[PS_RULE_COUNT] = {
    "restricted_user",      "adult_content",      "certification_blocked",
    "blocked_genre",        "blocked_keyword",    "language_blocked",
    "quota_weekly",         "quota_overseerr",    "trusted_user",
    "time_window",          "upcoming_unrated",   "unrated",
    "certification_review", "keyword_review",     "approve_rating",
    "allowed_genre",        "rating_below_min",   "popularity_below_min",
    "language_not_allowed", "year_out_of_range",  "runtime_above_max",
    "seasons_above_max",    "episodes_above_max", "series_ongoing",
    "series_ended",         "request_4k",
};

const char *
ps_config_rule_name(ps_rule_t rule)
{
    return (int)rule >= 0 && rule < PS_RULE_COUNT ? s_rule_names[rule] : "";
}

static const char *const s_level_names[PS_LEVEL_COUNT] = {"new", "established",
                                                          "veteran"};

const char *
ps_config_level_name(ps_level_t level)
{
    return (int)level >= 0 && level < PS_LEVEL_COUNT ? s_level_names[level]
                                                     : "";
}

/* Checks one item of a list key where it stands in the file. */
typedef void (*s_item_check_t)(s_ctx_t *ctx, const char *path, const char *text,
                               int line, int column);

/* One sub-key of the mappings in a T_TABLE list. */
typedef struct {
    const char *name;     /* sub-key */
    s_type_t type;        /* how to parse it */
    size_t offset;        /* where it lives in the item struct */
    double min;           /* inclusive range for numbers */
    double max;           /* inclusive range for numbers */
    bool required;        /* an item without it is an error */
    s_item_check_t check; /* per list item (T_STRLIST), or NULL */
} s_field_t;

/* What T_TABLE keys hold: every ps_config_*s_t list has this layout. */
typedef struct {
    void *items;  /* owned array of item_size entries */
    size_t count; /* entries */
} s_list_t;

/* A T_TABLE key: the shape of its items. */
typedef struct {
    const char *path;         /* schema key */
    const s_field_t *fields;  /* sub-keys */
    size_t field_count;       /* entries in fields */
    size_t item_size;         /* sizeof the item struct */
    void (*init)(void *item); /* defaults of a new item */
    void (*check)(s_ctx_t *ctx, s_list_t *list, size_t index,
                  const s_node_t *node, const char *path); /* whole item */
} s_table_t;

static void
s_check_genre(s_ctx_t *ctx, const char *path, const char *text, int line,
              int column)
{
    int ids[8];
    if (ps_config_genre_ids(text, ids, 8) == 0)
        s_issue_add(ctx->warnings, ctx->file, line, column, path,
                    "\"%s\" is not a TMDB genre (movie or TV, English or "
                    "French name, or id): it matches no TMDB genre",
                    text);
}

static void
s_check_certification(s_ctx_t *ctx, const char *path, const char *text,
                      int line, int column)
{
    bool ok = strlen(text) > 3 && text[2] == ':'
              && ((text[0] >= 'A' && text[0] <= 'Z')
                  || (text[0] >= 'a' && text[0] <= 'z'))
              && ((text[1] >= 'A' && text[1] <= 'Z')
                  || (text[1] >= 'a' && text[1] <= 'z'));
    if (ok)
        return;
    ctx->error_count++;
    s_issue_add(ctx->errors, ctx->file, line, column, path,
                "expected COUNTRY:RATING such as \"US:NC-17\" or "
                "\"FR:-16\", got \"%s\"",
                text);
}

static void
s_check_language(s_ctx_t *ctx, const char *path, const char *text, int line,
                 int column)
{
    bool ok = strlen(text) == 2;
    for (size_t i = 0; ok && text[i]; i++)
        ok = (text[i] >= 'a' && text[i] <= 'z')
             || (text[i] >= 'A' && text[i] <= 'Z');
    if (ok)
        return;
    ctx->error_count++;
    s_issue_add(ctx->errors, ctx->file, line, column, path,
                "expected a two-letter ISO 639-1 code such as \"en\" or "
                "\"fr\", got \"%s\"",
                text);
}

static void
s_check_not_empty(s_ctx_t *ctx, const char *path, const char *text, int line,
                  int column)
{
    if (*text)
        return;
    ctx->error_count++;
    s_issue_add(ctx->errors, ctx->file, line, column, path,
                "empty entries match nothing; remove it");
}

static int
s_level_parse(const char *text)
{
    for (int i = 0; i < PS_LEVEL_COUNT; i++)
        if (strcasecmp(text, s_level_names[i]) == 0)
            return i;
    return -1;
}

static void
s_check_level(s_ctx_t *ctx, const char *path, const char *text, int line,
              int column)
{
    if (s_level_parse(text) >= 0)
        return;
    ctx->error_count++;
    s_issue_add(ctx->errors, ctx->file, line, column, path,
                "expected new, established or veteran, got \"%s\"", text);
}

/* Top-level list keys whose items are checked one by one. */
static const struct {
    const char *path;     /* schema key */
    s_item_check_t check; /* applied to every item */
} s_item_checks[] = {
    {"rules.blocked_genres", s_check_genre},
    {"rules.allowed_genres", s_check_genre},
    {"rules.certifications.block", s_check_certification},
    {"rules.certifications.review", s_check_certification},
    {"rules.languages.block", s_check_language},
    {"rules.languages.allow", s_check_language},
    {"rules.keywords.block", s_check_not_empty},
    {"rules.keywords.review", s_check_not_empty},
    {"rules.trusted_users", s_check_not_empty},
    {"rules.restricted_users", s_check_not_empty},
};

static s_item_check_t
s_item_check_find(const char *path)
{
    for (size_t i = 0; i < sizeof(s_item_checks) / sizeof(s_item_checks[0]);
         i++)
        if (strcmp(s_item_checks[i].path, path) == 0)
            return s_item_checks[i].check;
    return NULL;
}

#define F(type_, name, kind, member, min, max, required, check)                \
    {                                                                          \
        name, kind, offsetof(type_, member), min, max, required, check         \
    }

static const s_field_t s_window_fields[] = {
    F(ps_config_window_t, "name", T_STRING, name, 0, 0, true,
      s_check_not_empty),
    F(ps_config_window_t, "from", T_CLOCK, from, 0, 0, true, NULL),
    F(ps_config_window_t, "to", T_CLOCK, to, 0, 0, true, NULL),
    F(ps_config_window_t, "days", T_DAYS, days, 0, 0, false, NULL),
    F(ps_config_window_t, "action", T_ACTION, action, 0, 0, true, NULL),
    F(ps_config_window_t, "mode", T_MODE, mode, 0, 0, false, NULL),
    F(ps_config_window_t, "users", T_STRLIST, users, 0, 0, false,
      s_check_not_empty),
    F(ps_config_window_t, "levels", T_STRLIST, levels, 0, 0, false,
      s_check_level),
};

static const s_field_t s_override_fields[] = {
    F(ps_config_override_t, "level", T_LEVEL, level, 0, 0, true, NULL),
    F(ps_config_override_t, "max_seasons", T_INT, max_seasons, 0, 1000, false,
      NULL),
    F(ps_config_override_t, "max_episodes", T_INT, max_episodes, 0, 100000,
      false, NULL),
    F(ps_config_override_t, "max_runtime", T_INT, max_runtime, 0, 100000, false,
      NULL),
    F(ps_config_override_t, "min_votes", T_INT, min_votes, 0, 10000000, false,
      NULL),
    F(ps_config_override_t, "min_rating", T_DOUBLE, min_rating, 0, 10, false,
      NULL),
    F(ps_config_override_t, "min_popularity", T_DOUBLE, min_popularity, 0, 1e9,
      false, NULL),
    F(ps_config_override_t, "request_4k", T_POLICY, request_4k, 0, 0, false,
      NULL),
    F(ps_config_override_t, "ongoing_series", T_POLICY, ongoing_series, 0, 0,
      false, NULL),
};

static const s_field_t s_user_quota_fields[] = {
    F(ps_config_user_quota_t, "user", T_STRING, user, 0, 0, true,
      s_check_not_empty),
    F(ps_config_user_quota_t, "limit", T_INT, limit, 0, 100000, true, NULL),
};

static const s_field_t s_price_fields[] = {
    F(ps_config_price_t, "model", T_STRING, model, 0, 0, true,
      s_check_not_empty),
    F(ps_config_price_t, "input", T_DOUBLE, input, 0, 10000, true, NULL),
    F(ps_config_price_t, "cached_input", T_DOUBLE, cached_input, 0, 10000,
      false, NULL),
    F(ps_config_price_t, "output", T_DOUBLE, output, 0, 10000, true, NULL),
};

static void
s_price_init(void *item)
{
    ps_config_price_t *price = item;
    price->cached_input = -1;
}

static void
s_price_check(s_ctx_t *ctx, s_list_t *list, size_t index, const s_node_t *node,
              const char *path)
{
    ps_config_price_t *prices = list->items;
    for (size_t i = 0; i < index; i++)
        if (prices[i].model && prices[index].model
            && strcmp(prices[i].model, prices[index].model) == 0) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, node->line, node->column, path,
                        "a second price for \"%s\"; keep one",
                        prices[index].model);
        }
}

static void
s_window_init(void *item)
{
    ps_config_window_t *window = item;
    window->days = 0x7f;
    window->action = PS_ACTION_DEFAULT;
    window->mode = PS_MODE_ON;
}

static void
s_override_init(void *item)
{
    ps_config_override_t *o = item;
    o->level = -1;
    o->max_seasons = -1;
    o->max_episodes = -1;
    o->max_runtime = -1;
    o->min_votes = -1;
    o->min_rating = -1;
    o->min_popularity = -1;
    o->request_4k = PS_POLICY_INHERIT;
    o->ongoing_series = PS_POLICY_INHERIT;
}

static void
s_user_quota_init(void *item)
{
    (void)item;
}

static void
s_window_check(s_ctx_t *ctx, s_list_t *list, size_t index, const s_node_t *node,
               const char *path)
{
    ps_config_window_t *windows = list->items;
    for (size_t i = 0; i < index; i++)
        if (windows[i].name && windows[index].name
            && strcmp(windows[i].name, windows[index].name) == 0) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, node->line, node->column, path,
                        "a second window named \"%s\"; names must differ",
                        windows[index].name);
        }
}

static void
s_override_check(s_ctx_t *ctx, s_list_t *list, size_t index,
                 const s_node_t *node, const char *path)
{
    ps_config_override_t *overrides = list->items;
    for (size_t i = 0; i < index; i++)
        if (overrides[index].level >= 0
            && overrides[i].level == overrides[index].level) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, node->line, node->column, path,
                        "a second override for level %s; merge them",
                        s_level_names[overrides[index].level]);
        }
}

static const s_table_t s_tables[] = {
    {"rules.time_windows", s_window_fields,
     sizeof(s_window_fields) / sizeof(s_window_fields[0]),
     sizeof(ps_config_window_t), s_window_init, s_window_check},
    {"rules.level_overrides", s_override_fields,
     sizeof(s_override_fields) / sizeof(s_override_fields[0]),
     sizeof(ps_config_override_t), s_override_init, s_override_check},
    {"rules.user_quotas.per_user", s_user_quota_fields,
     sizeof(s_user_quota_fields) / sizeof(s_user_quota_fields[0]),
     sizeof(ps_config_user_quota_t), s_user_quota_init, NULL},
    {"ai.prices", s_price_fields,
     sizeof(s_price_fields) / sizeof(s_price_fields[0]),
     sizeof(ps_config_price_t), s_price_init, s_price_check},
};

static const s_table_t *
s_table_find(const char *path)
{
    for (size_t i = 0; i < sizeof(s_tables) / sizeof(s_tables[0]); i++)
        if (strcmp(s_tables[i].path, path) == 0)
            return &s_tables[i];
    return NULL;
}

/* ---- assigning values ------------------------------------------------- */

static int
s_parse_duration(const char *text, double min, double max, int *out)
{
    char number[32];
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof(number))
        return -1;
    memcpy(number, text, len + 1);
    double scale = 1;
    switch (number[len - 1]) {
        case 's':
            number[len - 1] = '\0';
            break;
        case 'm':
            scale = 60;
            number[len - 1] = '\0';
            break;
        case 'h':
            scale = 3600;
            number[len - 1] = '\0';
            break;
        default:
            break;
    }
    int64_t value;
    if (ps_parse_int64(number, 0, INT32_MAX / 3600, &value) != 0)
        return -1;
    double seconds = value * scale;
    if (seconds < min || seconds > max)
        return -1;
    *out = (int)seconds;
    return 0;
}

static void
s_strlist_clear(ps_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static int
s_strlist_push(ps_strlist_t *list, const char *value)
{
    char **grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    list->items = grown;
    list->items[list->count] = strdup(value);
    if (!list->items[list->count])
        return -1;
    list->count++;
    return 0;
}

static void
s_set_string(char **slot, const char *value)
{
    free(*slot);
    *slot = strdup(value);
}

static int
s_word_parse(const char *text, const char *const *words, const int *values,
             size_t count, int *out)
{
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(text, words[i]) == 0) {
            *out = values[i];
            return 0;
        }
    return -1;
}

static int
s_mode_parse(const char *text, int *out)
{
    static const char *const words[] = {"on",    "true", "yes",     "off",
                                        "false", "no",   "dry-run", "dry_run"};
    static const int values[] = {PS_MODE_ON,      PS_MODE_ON,     PS_MODE_ON,
                                 PS_MODE_OFF,     PS_MODE_OFF,    PS_MODE_OFF,
                                 PS_MODE_DRY_RUN, PS_MODE_DRY_RUN};
    return s_word_parse(text, words, values, 8, out);
}

static int
s_action_parse(const char *text, int *out)
{
    static const char *const words[] = {"approve", "decline", "review"};
    static const int values[] = {PS_ACTION_APPROVE, PS_ACTION_DECLINE,
                                 PS_ACTION_REVIEW};
    return s_word_parse(text, words, values, 3, out);
}

static int
s_policy_parse(const char *text, int *out)
{
    static const char *const words[] = {"allow", "review", "decline"};
    static const int values[] = {PS_POLICY_ALLOW, PS_POLICY_REVIEW,
                                 PS_POLICY_DECLINE};
    return s_word_parse(text, words, values, 3, out);
}

/* "HH:MM" from 00:00 to 24:00 into minutes after midnight. */
static int
s_clock_parse(const char *text, int *out)
{
    if (strlen(text) != 5 || text[2] != ':')
        return -1;
    for (size_t i = 0; i < 5; i++)
        if (i != 2 && (text[i] < '0' || text[i] > '9'))
            return -1;
    int hours = (text[0] - '0') * 10 + (text[1] - '0');
    int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (hours > 24 || minutes > 59 || (hours == 24 && minutes != 0))
        return -1;
    *out = hours * 60 + minutes;
    return 0;
}

/* One day name (or weekdays / weekend / all) as bits, Sunday = bit 0. */
static int
s_days_parse(const char *text, int *bits)
{
    static const char *const names[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};
    static const char *const long_names[] = {"sunday",    "monday",   "tuesday",
                                             "wednesday", "thursday", "friday",
                                             "saturday"};
    for (int i = 0; i < 7; i++)
        if (strcasecmp(text, names[i]) == 0
            || strcasecmp(text, long_names[i]) == 0) {
            *bits |= 1 << i;
            return 0;
        }
    if (strcasecmp(text, "weekdays") == 0)
        *bits |= 0x3e;
    else if (strcasecmp(text, "weekend") == 0)
        *bits |= 0x41;
    else if (strcasecmp(text, "all") == 0)
        *bits |= 0x7f;
    else
        return -1;
    return 0;
}

/* Assigns a scalar to the slot of the given type. Returns 0, or -1 with
   an error reported at line:column under `path`. */
static int
s_assign_slot(s_ctx_t *ctx, void *slot, s_type_t type, double min, double max,
              const char *path, const char *text, int line, int column)
{
    switch (type) {
        case T_BOOL:
            if (ps_parse_bool(text, (bool *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected true or false, got \"%s\"", text);
            return -1;
        case T_INT: {
            int64_t value;
            if (ps_parse_int64(text, (int64_t)min, (int64_t)max, &value) == 0) {
                *(int *)slot = (int)value;
                return 0;
            }
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected a whole number from %.0f to %.0f, got "
                        "\"%s\"",
                        min, max, text);
            return -1;
        }
        case T_DOUBLE:
            if (ps_parse_double(text, min, max, (double *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected a number from %g to %g, got \"%s\"", min, max,
                        text);
            return -1;
        case T_DURATION:
            if (s_parse_duration(text, min, max, (int *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected a duration from %.0fs to %.0fs such as "
                        "\"300\", \"90s\", \"5m\" or \"1h\", got \"%s\"",
                        min, max, text);
            return -1;
        case T_STRING:
        case T_SECRET:
            s_set_string((char **)slot, text);
            return 0;
        case T_STRLIST: {
            /* A single scalar is accepted as a one-item list, and an empty
               string as the empty list, as the environment can only give
               strings. */
            ps_strlist_t *list = slot;
            s_strlist_clear(list);
            return *text ? s_strlist_push(list, text) : 0;
        }
        case T_MODE:
            if (s_mode_parse(text, (int *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected on, off or dry-run, got \"%s\"", text);
            return -1;
        case T_ACTION:
            if (s_action_parse(text, (int *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected approve, decline or review, got \"%s\"",
                        text);
            return -1;
        case T_POLICY:
            if (s_policy_parse(text, (int *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected allow, review or decline, got \"%s\"", text);
            return -1;
        case T_CLOCK:
            if (s_clock_parse(text, (int *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected a time of day \"HH:MM\" from 00:00 to "
                        "24:00, got \"%s\"",
                        text);
            return -1;
        case T_DAYS: {
            int bits = 0;
            if (s_days_parse(text, &bits) == 0) {
                *(int *)slot = bits;
                return 0;
            }
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected a day (mon ... sun, weekdays, weekend or "
                        "all), got \"%s\"",
                        text);
            return -1;
        }
        case T_LEVEL: {
            int level = s_level_parse(text);
            if (level >= 0) {
                *(int *)slot = level;
                return 0;
            }
            s_check_level(ctx, path, text, line, column);
            return -1;
        }
        case T_TABLE:
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, path,
                        "expected a list of mappings, got \"%s\"", text);
            return -1;
    }
    return -1;
}

/* Assigns a scalar to the key. Returns 0, or -1 with an error reported. */
static int
s_assign_scalar(s_ctx_t *ctx, ps_config_t *config, const s_key_t *key,
                const char *text, int line, int column)
{
    void *slot = (char *)config + key->offset;
    return s_assign_slot(ctx, slot, key->type, key->min, key->max, key->path,
                         text, line, column);
}

static const char *
s_kind_name(s_node_kind_t kind)
{
    return kind == N_MAP ? "a mapping" : kind == N_SEQ ? "a list" : "a value";
}

static bool
s_is_null(const s_node_t *value)
{
    return value->kind == N_SCALAR && !value->quoted
           && (value->text[0] == '\0' || strcmp(value->text, "~") == 0
               || strcmp(value->text, "null") == 0);
}

/* Fills a list slot (T_STRLIST, or T_DAYS as bits) from a list node or
   a single scalar, checking every item. */
static void
s_assign_list(s_ctx_t *ctx, void *slot, s_type_t type, const char *path,
              const s_node_t *value, s_item_check_t check)
{
    if (type == T_STRLIST)
        s_strlist_clear(slot);
    else
        *(int *)slot = 0;
    size_t count = value->kind == N_SEQ ? value->count : 1;
    for (size_t i = 0; i < count; i++) {
        const s_node_t *item =
            value->kind == N_SEQ ? value->children[i] : value;
        if (item->kind != N_SCALAR) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, item->line, item->column, path,
                        "expected a list of strings, got %s inside",
                        s_kind_name(item->kind));
            continue;
        }
        if (value->kind != N_SEQ && !*item->text)
            return;
        if (type == T_DAYS) {
            int bits = *(int *)slot;
            if (s_assign_slot(ctx, &bits, T_DAYS, 0, 0, path, item->text,
                              item->line, item->column)
                == 0)
                *(int *)slot |= bits;
            continue;
        }
        if (check)
            check(ctx, path, item->text, item->line, item->column);
        s_strlist_push(slot, item->text);
    }
}

static void
s_table_free_item(const s_table_t *table, void *item)
{
    for (size_t f = 0; f < table->field_count; f++) {
        void *slot = (char *)item + table->fields[f].offset;
        if (table->fields[f].type == T_STRING)
            free(*(char **)slot);
        else if (table->fields[f].type == T_STRLIST)
            s_strlist_clear(slot);
    }
}

static void
s_table_clear(const s_table_t *table, s_list_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        s_table_free_item(table, (char *)list->items + i * table->item_size);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* Suggests the field of `table` closest to `name`, or "". */
static void
s_suggest_field(const s_table_t *table, const char *name, char *buf, size_t len)
{
    size_t best = 4;
    buf[0] = '\0';
    for (size_t f = 0; f < table->field_count; f++) {
        const char *field = table->fields[f].name;
        size_t distance = s_edit_distance(name, field);
        if (distance < best && distance <= (strlen(field) + 1) / 2) {
            best = distance;
            snprintf(buf, len, "%s", field);
        }
    }
}

/* Reads one mapping of a T_TABLE list into `item`. */
static void
s_walk_table_item(s_ctx_t *ctx, const s_table_t *table, void *item,
                  const s_node_t *node, const char *path)
{
    bool seen[16] = {false};
    for (size_t i = 0; i + 1 < node->count; i += 2) {
        const s_node_t *name = node->children[i];
        const s_node_t *value = node->children[i + 1];
        const s_field_t *field = NULL;
        for (size_t f = 0; name->kind == N_SCALAR && f < table->field_count;
             f++)
            if (strcmp(table->fields[f].name, name->text) == 0)
                field = &table->fields[f];
        char sub[300];
        snprintf(sub, sizeof(sub), "%s.%s", path,
                 name->kind == N_SCALAR ? name->text : "?");
        if (!field) {
            char hint[64] = "";
            if (name->kind == N_SCALAR)
                s_suggest_field(table, name->text, hint, sizeof(hint));
            ctx->error_count++;
            if (*hint)
                s_issue_add(ctx->errors, ctx->file, name->line, name->column,
                            sub, "unknown key `%s`, did you mean `%s`?",
                            name->text, hint);
            else
                s_issue_add(ctx->errors, ctx->file, name->line, name->column,
                            sub, "unknown key `%s` in %s",
                            name->kind == N_SCALAR ? name->text : "?", path);
            continue;
        }
        seen[field - table->fields] = true;
        void *slot = (char *)item + field->offset;
        if (field->type == T_STRLIST || field->type == T_DAYS) {
            if (value->kind == N_MAP) {
                ctx->error_count++;
                s_issue_add(ctx->errors, ctx->file, value->line, value->column,
                            sub, "expected a list of strings, got a mapping");
                continue;
            }
            s_assign_list(ctx, slot, field->type, sub, value, field->check);
            continue;
        }
        if (value->kind != N_SCALAR) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, value->line, value->column, sub,
                        "expected a value, got %s", s_kind_name(value->kind));
            continue;
        }
        if (field->check)
            field->check(ctx, sub, value->text, value->line, value->column);
        s_assign_slot(ctx, slot, field->type, field->min, field->max, sub,
                      value->text, value->line, value->column);
    }
    for (size_t f = 0; f < table->field_count; f++)
        if (table->fields[f].required && !seen[f]) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, node->line, node->column, path,
                        "missing `%s`", table->fields[f].name);
        }
}

/* Reads a T_TABLE key: a list of mappings (or null for none). */
static void
s_walk_table(s_ctx_t *ctx, const s_table_t *table, s_list_t *list,
             const char *path, const s_node_t *value)
{
    s_table_clear(table, list);
    if (s_is_null(value))
        return;
    if (value->kind != N_SEQ) {
        ctx->error_count++;
        s_issue_add(ctx->errors, ctx->file, value->line, value->column, path,
                    "expected a list of mappings, got %s",
                    s_kind_name(value->kind));
        return;
    }
    if (value->count == 0)
        return;
    list->items = calloc(value->count, table->item_size);
    if (!list->items) {
        ctx->error_count++;
        s_issue_add(ctx->errors, ctx->file, value->line, value->column, path,
                    "out of memory");
        return;
    }
    for (size_t i = 0; i < value->count; i++) {
        const s_node_t *node = value->children[i];
        void *item = (char *)list->items + i * table->item_size;
        table->init(item);
        list->count++;
        char sub[280];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if (node->kind != N_MAP) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, node->line, node->column, sub,
                        "expected a mapping, got %s", s_kind_name(node->kind));
            continue;
        }
        s_walk_table_item(ctx, table, item, node, sub);
        if (table->check)
            table->check(ctx, list, i, node, sub);
    }
}

static void s_walk_map(s_ctx_t *ctx, ps_config_t *config, const s_node_t *map,
                       const char *prefix);

static void
s_walk_value(s_ctx_t *ctx, ps_config_t *config, const char *path,
             const s_node_t *value)
{
    const s_key_t *key = s_key_find(path);
    if (!key) {
        if (value->kind == N_MAP) {
            s_walk_map(ctx, config, value, path);
            return;
        }
        /* A YAML null (`rules:` with nothing under it) is an empty section. */
        if (s_is_null(value))
            return;
        ctx->error_count++;
        s_issue_add(ctx->errors, ctx->file, value->line, value->column, path,
                    "expected a mapping of settings, got %s",
                    s_kind_name(value->kind));
        return;
    }
    ctx->line[key - s_keys] = value->line;
    ctx->column[key - s_keys] = value->column;
    void *slot = (char *)config + key->offset;
    if (key->type == T_TABLE) {
        s_walk_table(ctx, s_table_find(path), slot, path, value);
        return;
    }
    if (key->type == T_STRLIST && value->kind != N_MAP) {
        s_assign_list(ctx, slot, T_STRLIST, path, value,
                      s_item_check_find(path));
        return;
    }
    if (value->kind != N_SCALAR) {
        ctx->error_count++;
        s_issue_add(ctx->errors, ctx->file, value->line, value->column, path,
                    "expected %s, got %s",
                    key->type == T_STRLIST ? "a list of strings" : "a value",
                    s_kind_name(value->kind));
        return;
    }
    s_assign_scalar(ctx, config, key, value->text, value->line, value->column);
}

static void
s_walk_map(s_ctx_t *ctx, ps_config_t *config, const s_node_t *map,
           const char *prefix)
{
    for (size_t i = 0; i + 1 < map->count; i += 2) {
        const s_node_t *name = map->children[i];
        const s_node_t *value = map->children[i + 1];
        if (name->kind != N_SCALAR) {
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, name->line, name->column,
                        prefix, "keys must be plain names");
            continue;
        }
        char path[256];
        int n = snprintf(path, sizeof(path), "%s%s%s", prefix,
                         *prefix ? "." : "", name->text);
        if (n < 0 || (size_t)n >= sizeof(path) || strchr(name->text, '.')
            || (!s_key_find(path) && !s_is_section(path))) {
            char hint[64];
            s_suggest(prefix, name->text, hint, sizeof(hint));
            ctx->error_count++;
            if (*hint)
                s_issue_add(ctx->errors, ctx->file, name->line, name->column,
                            path, "unknown key `%s`, did you mean `%s`?",
                            name->text, hint);
            else
                s_issue_add(ctx->errors, ctx->file, name->line, name->column,
                            path, "unknown key `%s`%s%s", name->text,
                            *prefix ? " in " : "", prefix);
            continue;
        }
        s_walk_value(ctx, config, path, value);
    }
}

/* ---- defaults, environment, checks ------------------------------------ */

static int
s_set_defaults(ps_config_t *c)
{
    c->scan_interval_s = 300;
    c->overseerr.timeout_ms = 10000;
    c->overseerr.page_size = 50;
    c->ai.enabled = true;
    c->ai.model = strdup("gpt-4o-mini");
    c->ai.temperature = 0.3;
    c->ai.max_tokens = 400;
    c->ai.timeout_ms = 30000;
    c->ai.max_attempts = 3;
    c->ai.token_field = strdup("auto");
    c->ai.policy = strdup("");
    c->ai.concurrency = 8;
    c->ai.cache_ttl_s = 24 * 3600;
    c->ai.breaker_failures = 5;
    c->ai.breaker_open_s = 30;
    c->confidence.auto_approve = 0.85;
    c->confidence.auto_reject = 0.15;
    c->confidence.needs_review = true;
    c->rules.min_rating = 0;
    c->rules.approve_rating = 0;
    c->rules.quota_default = 10;
    c->rules.quota_trusted = 50;
    c->rules.quota_restricted = 2;
    c->rules.upcoming_review = true;
    c->rules.new_days = 30;
    c->rules.veteran_days = 365;
    c->rules.veteran_approved = 10;
    /* Unrated titles went to the ai-judge before this rule existed. */
    c->rules.mode[PS_RULE_UNRATED] = PS_MODE_OFF;
    c->ml.enabled = false;
    c->ml.feedback_weight = 0.3;
    c->data_dir = strdup("data");
    c->log_level = strdup("info");
    c->timezone = strdup("UTC");
    c->gateway.listen = strdup("127.0.0.1:5056");
    c->gateway.threads = 16;
    c->gateway.web_root = strdup("");
    c->gateway.lease_s = 120;
    c->gateway.apply_retry_s = 30;
    c->gateway.sse_max_clients = 16;
    c->gateway.poster_base_url = strdup("https://image.tmdb.org/t/p/w300");
    c->gateway.poster_cache_mb = 200;
    c->gateway.poster_timeout_ms = 5000;
    c->enricher.cache_ttl_s = 6 * 3600;
    c->enricher.cache_max = 5000;
    c->bus.collect = strdup("tcp://127.0.0.1:5571");
    c->bus.events = strdup("tcp://127.0.0.1:5572");
    c->bus.authority = strdup("tcp://127.0.0.1:5573");
    c->bus.commands = strdup("tcp://127.0.0.1:5574");
    c->bus.requests = strdup("tcp://127.0.0.1:5575");
    c->bus.enriched = strdup("tcp://127.0.0.1:5576");
    c->bus.undecided = strdup("tcp://127.0.0.1:5577");
    c->bus.models = strdup("tcp://127.0.0.1:5578");
    c->overseerr.url = strdup("");
    c->overseerr.api_key = strdup("");
    c->ai.base_url = strdup("https://api.openai.com/v1");
    c->ai.api_key = strdup("");
    c->gateway.webhook_secret = strdup("");
    return c->ai.model && c->data_dir && c->log_level && c->timezone
                   && c->gateway.listen && c->gateway.web_root
                   && c->gateway.poster_base_url && c->bus.collect
                   && c->bus.models && c->overseerr.url && c->ai.api_key
                   && c->gateway.webhook_secret && c->ai.token_field
                   && c->ai.policy
               ? 0
               : -1;
}

/* Reads an environment override. TZ is read once, the first time a
   config is loaded (before anything runs), because the rule engine and the
   gateway set the process TZ to `timezone` for localtime: a later reload
   must still see the user's TZ, not our own setting, or a changed
   `timezone:` would be shadowed by the old value. */
static bool s_tz_captured; /* TZ read since start or the last reread */
static bool s_tz_set;      /* the user had TZ set */
static char s_tz[256];     /* its value */

void
ps_config_reread_tz(void)
{
    s_tz_captured = false;
}

static const char *
s_getenv(const char *name)
{
    if (strcmp(name, "TZ") != 0)
        return getenv(name);
    if (!s_tz_captured) {
        const char *value = getenv("TZ");
        s_tz_set = value != NULL;
        snprintf(s_tz, sizeof(s_tz), "%s", value ? value : "");
        s_tz_captured = true;
    }
    return s_tz_set ? s_tz : NULL;
}

static void
s_apply_env(s_ctx_t *ctx, ps_config_t *config)
{
    const char *file = ctx->file;
    ctx->file = "environment";
    for (size_t i = 0; i < sizeof(s_envs) / sizeof(s_envs[0]); i++) {
        const char *value = s_getenv(s_envs[i].name);
        if (!value)
            continue;
        const s_key_t *key = s_key_find(s_envs[i].path);
        char text[64];
        if (s_envs[i].minutes) {
            int64_t minutes;
            if (ps_parse_int64(value, 1, 1440, &minutes) != 0) {
                ctx->error_count++;
                s_issue_add(ctx->errors, ctx->file, 0, 0, s_envs[i].name,
                            "expected whole minutes from 1 to 1440, got "
                            "\"%s\"",
                            value);
                continue;
            }
            snprintf(text, sizeof(text), "%lldm", (long long)minutes);
            value = text;
        }
        int errors_before = ctx->error_count;
        s_assign_scalar(ctx, config, key, value, 0, 0);
        ctx->line[key - s_keys] = 0;
        ctx->column[key - s_keys] = 0;
        ctx->from_env[key - s_keys] = true;
        /* Name the variable, not the key, so the user knows what to fix. */
        if (ctx->error_count > errors_before && ctx->errors) {
            ps_config_issue_t *issue =
                &ctx->errors->items[ctx->errors->count - 1];
            free(issue->key);
            issue->key = strdup(s_envs[i].name);
        }
    }
    ctx->file = file;
}

/* Where the value of `path` came from: the file position, or the
   environment (no position). Defaults report the file without one. */
static void
s_where(const s_ctx_t *ctx, const char *path, const char **file, int *line,
        int *column)
{
    const s_key_t *key = s_key_find(path);
    size_t i = key ? (size_t)(key - s_keys) : 0;
    *file = key && ctx->from_env[i] ? "environment" : ctx->file;
    *line = key ? ctx->line[i] : 0;
    *column = key ? ctx->column[i] : 0;
}

/* True when `name` is an IANA zone of the system's tz database (a TZif
   file under $TZDIR or /usr/share/zoneinfo). *no_db is set when there is
   no database to ask. */
static bool
s_timezone_known(const char *name, bool *no_db)
{
    *no_db = false;
    if (!*name || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-'
              || *p == '+'))
            return false;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[512];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    FILE *file = fopen(path, "rb");
    if (!file) {
        char utc[512];
        n = snprintf(utc, sizeof(utc), "%s/UTC", dir);
        FILE *probe =
            n > 0 && (size_t)n < sizeof(utc) ? fopen(utc, "rb") : NULL;
        if (probe)
            fclose(probe);
        else
            *no_db = true;
        return false;
    }
    char magic[4] = {0};
    size_t got = fread(magic, 1, sizeof(magic), file);
    fclose(file);
    return got == 4 && memcmp(magic, "TZif", 4) == 0;
}

/* Appends the ids of every genre in `names` to `out`, once each. */
static void
s_resolve_genres(const ps_strlist_t *names, ps_config_genres_t *out)
{
    size_t max = sizeof(out->ids) / sizeof(out->ids[0]);
    out->count = 0;
    for (size_t i = 0; i < names->count; i++) {
        int ids[8];
        size_t n = ps_config_genre_ids(names->items[i], ids, 8);
        for (size_t j = 0; j < n; j++)
            out->count = s_ids_add(out->ids, out->count, max, ids[j]);
    }
}

/* Cross-key checks of the rules and the time zone they use. */
static void
s_check_rules(s_ctx_t *ctx, ps_config_t *c)
{
    const char *file;
    int line;
    int column;
    bool no_db = false;
    if (!s_timezone_known(c->timezone, &no_db)) {
        s_where(ctx, "timezone", &file, &line, &column);
        bool utc = strcmp(c->timezone, "UTC") == 0
                   || strcmp(c->timezone, "Etc/UTC") == 0;
        if (no_db && !utc)
            s_issue_add(ctx->warnings, file, line, column, "timezone",
                        "cannot check \"%s\": no time zone database "
                        "(install tzdata); time rules would use UTC",
                        c->timezone);
        else if (!no_db) {
            ctx->error_count++;
            s_issue_add(ctx->errors, file, line, column, "timezone",
                        "unknown time zone \"%s\": expected an IANA name "
                        "such as \"Europe/Paris\" or \"UTC\"",
                        c->timezone);
        }
    }
    if (c->rules.year_min > 0 && c->rules.year_max > 0
        && c->rules.year_min > c->rules.year_max) {
        ctx->error_count++;
        s_where(ctx, "rules.year.min", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "rules.year",
                    "min (%d) must not be above max (%d)", c->rules.year_min,
                    c->rules.year_max);
    }
    if (c->rules.approve_rating > 0 && c->rules.min_rating > 0
        && c->rules.approve_rating < c->rules.min_rating) {
        s_where(ctx, "rules.approve_rating", &file, &line, &column);
        s_issue_add(ctx->warnings, file, line, column, "rules.approve_rating",
                    "%g is below min_rating (%g): approve_rating is checked "
                    "first, so titles between the two are approved",
                    c->rules.approve_rating, c->rules.min_rating);
    }
    s_resolve_genres(&c->rules.blocked_genres, &c->rules.blocked_ids);
    s_resolve_genres(&c->rules.allowed_genres, &c->rules.allowed_ids);
}

static void
s_check(s_ctx_t *ctx, ps_config_t *c)
{
    const char *file;
    int line;
    int column;
    if (c->confidence.auto_reject >= c->confidence.auto_approve) {
        ctx->error_count++;
        s_where(ctx, "confidence.auto_reject", &file, &line, &column);
        if (line == 0 && file == ctx->file)
            s_where(ctx, "confidence.auto_approve", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "confidence",
                    "auto_reject (%g) must be below auto_approve (%g)",
                    c->confidence.auto_reject, c->confidence.auto_approve);
    }
    ps_log_level_t level;
    if (ps_log_level_parse(c->log_level, &level) != 0) {
        ctx->error_count++;
        s_where(ctx, "log_level", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "log_level",
                    "expected error, warn, info or debug, got \"%s\"",
                    c->log_level);
    }
    static const char *endpoint_keys[] = {
        "bus.collect",  "bus.events",   "bus.authority", "bus.commands",
        "bus.requests", "bus.enriched", "bus.undecided", "bus.models"};
    const char *endpoints[] = {
        c->bus.collect,  c->bus.events,   c->bus.authority, c->bus.commands,
        c->bus.requests, c->bus.enriched, c->bus.undecided, c->bus.models};
    for (size_t i = 0; i < 8; i++) {
        if (strncmp(endpoints[i], "tcp://", 6) != 0
            && strncmp(endpoints[i], "ipc://", 6) != 0
            && strncmp(endpoints[i], "inproc://", 9) != 0) {
            ctx->error_count++;
            s_where(ctx, endpoint_keys[i], &file, &line, &column);
            s_issue_add(ctx->errors, file, line, column, endpoint_keys[i],
                        "endpoint \"%s\" must start with tcp://, ipc:// or "
                        "inproc://",
                        endpoints[i]);
        }
    }
    s_check_rules(ctx, c);
    if (strcmp(c->ai.token_field, "auto") != 0
        && strcmp(c->ai.token_field, "max_tokens") != 0
        && strcmp(c->ai.token_field, "max_completion_tokens") != 0) {
        ctx->error_count++;
        s_where(ctx, "ai.token_field", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "ai.token_field",
                    "expected auto, max_tokens or max_completion_tokens, got "
                    "\"%s\"",
                    c->ai.token_field);
    }
    if (*c->overseerr.url && strncmp(c->overseerr.url, "http://", 7) != 0
        && strncmp(c->overseerr.url, "https://", 8) != 0) {
        ctx->error_count++;
        s_where(ctx, "overseerr.url", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "overseerr.url",
                    "expected an http:// or https:// URL, got \"%s\"",
                    c->overseerr.url);
    }
    if (strncmp(c->gateway.poster_base_url, "http://", 7) != 0
        && strncmp(c->gateway.poster_base_url, "https://", 8) != 0) {
        ctx->error_count++;
        s_where(ctx, "gateway.poster_base_url", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "gateway.poster_base_url",
                    "expected an http:// or https:// URL, got \"%s\"",
                    c->gateway.poster_base_url);
    }
    if (*c->overseerr.url && !*c->overseerr.api_key && !c->demo)
        s_issue_add(ctx->warnings, ctx->file, 0, 0, "overseerr.api_key",
                    "no API key: Overseerr will answer 403 to every call "
                    "(set OVERSEERR_API_KEY)");
    if (!c->demo && !*c->gateway.webhook_secret)
        s_issue_add(ctx->warnings, ctx->file, 0, 0, "gateway.webhook_secret",
                    "no webhook secret: POST /webhook/overseerr will refuse "
                    "every call (set WEBHOOK_SECRET)");
}

static char *
s_read_file(s_ctx_t *ctx, const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        ctx->error_count++;
        s_issue_add(ctx->errors, path, 0, 0, "(file)", "cannot open: %s",
                    strerror(errno));
        return NULL;
    }
    char *text = malloc(PS_CONFIG_MAX_FILE + 1);
    size_t n = text ? fread(text, 1, PS_CONFIG_MAX_FILE + 1, file) : 0;
    fclose(file);
    if (!text || n > PS_CONFIG_MAX_FILE) {
        ctx->error_count++;
        s_issue_add(ctx->errors, path, 0, 0, "(file)",
                    "too large (over 1 MiB) or out of memory");
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

static uint64_t
s_fnv1a(uint64_t hash, const void *data, size_t len)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < len; i++) {
        hash ^= bytes[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

/* Hashes one value of the given type, canonically: the rules version
   changes when what the rules do changes, not when comments or key
   order do. */
static uint64_t
s_hash_slot(uint64_t hash, s_type_t type, const void *slot)
{
    char text[64];
    int n = 0;
    switch (type) {
        case T_BOOL:
            n = snprintf(text, sizeof(text), "%d", *(const bool *)slot);
            break;
        case T_DOUBLE:
            n = snprintf(text, sizeof(text), "%.17g", *(const double *)slot);
            break;
        case T_STRING:
        case T_SECRET: {
            const char *value = *(char *const *)slot;
            return s_fnv1a(hash, value ? value : "",
                           value ? strlen(value) + 1 : 1);
        }
        case T_STRLIST: {
            const ps_strlist_t *list = slot;
            for (size_t i = 0; i < list->count; i++)
                hash =
                    s_fnv1a(hash, list->items[i], strlen(list->items[i]) + 1);
            return s_fnv1a(hash, "]", 1);
        }
        case T_TABLE:
            return hash;
        default:
            n = snprintf(text, sizeof(text), "%d", *(const int *)slot);
            break;
    }
    return n > 0 ? s_fnv1a(hash, text, (size_t)n + 1) : hash;
}

/* The rule-set version: a hash of every effective rules.* value and the
   time zone the time windows use. */
static void
s_rules_version(ps_config_t *config, char *buf, size_t len)
{
    uint64_t hash = 14695981039346656037ULL;
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        const s_key_t *key = &s_keys[i];
        if (strncmp(key->path, "rules.", 6) != 0
            && strcmp(key->path, "timezone") != 0)
            continue;
        const void *slot = (const char *)config + key->offset;
        hash = s_fnv1a(hash, key->path, strlen(key->path) + 1);
        if (key->type != T_TABLE) {
            hash = s_hash_slot(hash, key->type, slot);
            continue;
        }
        const s_table_t *table = s_table_find(key->path);
        const s_list_t *list = slot;
        for (size_t j = 0; j < list->count; j++) {
            const char *item = (const char *)list->items + j * table->item_size;
            for (size_t f = 0; f < table->field_count; f++)
                hash = s_hash_slot(hash, table->fields[f].type,
                                   item + table->fields[f].offset);
        }
        hash = s_fnv1a(hash, "]", 1);
    }
    snprintf(buf, len, "%016llx", (unsigned long long)hash);
}

/* One value of the given type as JSON, as a user would write it. */
static json_t *
s_slot_json(s_type_t type, const void *slot)
{
    static const char *const modes[] = {"on", "off", "dry-run"};
    static const char *const actions[] = {"default", "approve", "decline",
                                          "review"};
    static const char *const policies[] = {"allow", "review", "decline"};
    static const char *const days[] = {"sun", "mon", "tue", "wed",
                                       "thu", "fri", "sat"};
    int value = 0;
    switch (type) {
        case T_BOOL:
            return json_boolean(*(const bool *)slot);
        case T_DOUBLE:
            return json_real(*(const double *)slot);
        case T_STRING: {
            const char *text = *(char *const *)slot;
            return json_string(text ? text : "");
        }
        case T_SECRET: {
            const char *text = *(char *const *)slot;
            return json_string(text && *text ? "set" : "not set");
        }
        case T_STRLIST: {
            const ps_strlist_t *list = slot;
            json_t *items = json_array();
            for (size_t i = 0; items && i < list->count; i++)
                json_array_append_new(items, json_string(list->items[i]));
            return items;
        }
        case T_TABLE:
            return NULL; /* walked by the caller, which knows the table */
        default:
            value = *(const int *)slot;
            break;
    }
    switch (type) {
        case T_MODE:
            return json_string(value >= 0 && value < 3 ? modes[value] : "");
        case T_ACTION:
            return json_string(value >= 0 && value < 4 ? actions[value] : "");
        case T_POLICY:
            return json_string(value >= 0 && value < 3 ? policies[value]
                                                       : "inherit");
        case T_LEVEL:
            return json_string(ps_config_level_name((ps_level_t)value));
        case T_CLOCK: {
            char clock[8];
            snprintf(clock, sizeof(clock), "%02d:%02d", (value / 60) % 100,
                     value % 60);
            return json_string(clock);
        }
        case T_DAYS: {
            json_t *names = json_array();
            for (int d = 0; names && d < 7; d++)
                if (value & (1 << d))
                    json_array_append_new(names, json_string(days[d]));
            return names;
        }
        default:
            return json_integer(value);
    }
}

json_t *
ps_config_to_json(const ps_config_t *config)
{
    json_t *doc = json_object();
    for (size_t i = 0; doc && i < S_KEY_COUNT; i++) {
        const s_key_t *key = &s_keys[i];
        const void *slot = (const char *)config + key->offset;
        if (key->type != T_TABLE) {
            json_t *value = s_slot_json(key->type, slot);
            if (!value || json_object_set_new(doc, key->path, value) != 0)
                goto fail;
            continue;
        }
        const s_table_t *table = s_table_find(key->path);
        const s_list_t *list = slot;
        json_t *items = json_array();
        if (!items || json_object_set_new(doc, key->path, items) != 0)
            goto fail;
        for (size_t j = 0; j < list->count; j++) {
            const char *item = (const char *)list->items + j * table->item_size;
            json_t *entry = json_object();
            if (!entry || json_array_append_new(items, entry) != 0)
                goto fail;
            for (size_t f = 0; f < table->field_count; f++) {
                const s_field_t *field = &table->fields[f];
                json_t *value = s_slot_json(field->type, item + field->offset);
                if (!value
                    || json_object_set_new(entry, field->name, value) != 0)
                    goto fail;
            }
        }
    }
    return doc;
fail:
    json_decref(doc);
    return NULL;
}

ps_config_t *
ps_config_load(const char *path, ps_config_issues_t *errors,
               ps_config_issues_t *warnings)
{
    s_ctx_t ctx = {.file = path ? path : "(defaults)",
                   .errors = errors,
                   .warnings = warnings};
    ps_config_t *config = calloc(1, sizeof(*config));
    if (!config || s_set_defaults(config) != 0) {
        ps_config_destroy(&config);
        return NULL;
    }
    uint64_t hash = 14695981039346656037ULL;
    if (path) {
        config->path = strdup(path);
        size_t len = 0;
        char *text = s_read_file(&ctx, path, &len);
        if (text) {
            hash = s_fnv1a(hash, text, len);
            s_node_t *root =
                s_parse_yaml(&ctx, (const unsigned char *)text, len);
            if (root && root->kind == N_MAP)
                s_walk_map(&ctx, config, root, "");
            else if (root && !(root->kind == N_SCALAR && !*root->text)) {
                ctx.error_count++;
                s_issue_add(errors, path, root->line, root->column, "(root)",
                            "expected a mapping of settings at the top");
            }
            s_node_free(root);
            free(text);
        }
    }
    s_apply_env(&ctx, config);
    for (size_t i = 0; i < sizeof(s_envs) / sizeof(s_envs[0]); i++) {
        const char *value = s_getenv(s_envs[i].name);
        if (value) {
            hash = s_fnv1a(hash, s_envs[i].name, strlen(s_envs[i].name));
            hash = s_fnv1a(hash, value, strlen(value));
        }
    }
    s_check(&ctx, config);
    if (ctx.error_count > 0) {
        ps_config_destroy(&config);
        return NULL;
    }
    char version[17];
    snprintf(version, sizeof(version), "%016llx", (unsigned long long)hash);
    config->version = strdup(version);
    s_rules_version(config, version, sizeof(version));
    config->rules_version = strdup(version);
    if (!config->version || !config->rules_version) {
        ps_config_destroy(&config);
        return NULL;
    }
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (s_keys[i].type == T_SECRET)
            ps_log_add_secret(*(char **)((char *)config + s_keys[i].offset));
    return config;
}

void
ps_config_destroy(ps_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_config_t *self = *self_p;
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        void *slot = (char *)self + s_keys[i].offset;
        if (s_keys[i].type == T_STRING || s_keys[i].type == T_SECRET)
            free(*(char **)slot);
        else if (s_keys[i].type == T_STRLIST)
            s_strlist_clear(slot);
        else if (s_keys[i].type == T_TABLE)
            s_table_clear(s_table_find(s_keys[i].path), slot);
    }
    free(self->path);
    free(self->version);
    free(self->rules_version);
    free(self);
    *self_p = NULL;
}

int
ps_config_bind_endpoint(const ps_config_t *config, const char *endpoint,
                        char *buf, size_t len)
{
    int n;
    const char *port = strrchr(endpoint, ':');
    if (config->bus.bind_all && strncmp(endpoint, "tcp://", 6) == 0 && port
        && port > endpoint + 6)
        n = snprintf(buf, len, "tcp://*%s", port);
    else
        n = snprintf(buf, len, "%s", endpoint);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

bool
ps_strlist_has(const ps_strlist_t *list, const char *value)
{
    for (size_t i = 0; value && i < list->count; i++)
        if (strcasecmp(list->items[i], value) == 0)
            return true;
    return false;
}

bool
ps_config_wants_simulators(const ps_config_t *config)
{
    return config->demo || !*config->overseerr.url;
}
