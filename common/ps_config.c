/*  ps_config - see ps_config.h.

    Loading has three steps: libyaml events become a small tree of nodes
    that remember their line and column; the tree is walked against the
    schema table below (one row per leaf key, sections are implied by the
    dotted paths); then environment variables are applied through the same
    schema rows, so a bad `OPENAI_TEMPERATURE` is reported like a bad file
    value. Every problem is collected, not just the first, so check-config
    shows them all at once.                                                */
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
    K("confidence.auto_approve", T_DOUBLE, confidence.auto_approve, 0, 1),
    K("confidence.auto_reject", T_DOUBLE, confidence.auto_reject, 0, 1),
    K("confidence.needs_review", T_BOOL, confidence.needs_review, 0, 0),
    K("rules.blocked_genres", T_STRLIST, rules.blocked_genres, 0, 0),
    K("rules.allowed_genres", T_STRLIST, rules.allowed_genres, 0, 0),
    K("rules.min_rating", T_DOUBLE, rules.min_rating, 0, 10),
    K("rules.approve_rating", T_DOUBLE, rules.approve_rating, 0, 10),
    K("rules.min_popularity", T_DOUBLE, rules.min_popularity, 0, 1e9),
    K("rules.trusted_users", T_STRLIST, rules.trusted_users, 0, 0),
    K("rules.restricted_users", T_STRLIST, rules.restricted_users, 0, 0),
    K("rules.user_quotas.default", T_INT, rules.quota_default, 0, 100000),
    K("rules.user_quotas.trusted", T_INT, rules.quota_trusted, 0, 100000),
    K("rules.user_quotas.restricted", T_INT, rules.quota_restricted, 0, 100000),
    K("rules.max_seasons", T_INT, rules.max_seasons, 0, 1000),
    K("rules.upcoming_review", T_BOOL, rules.upcoming_review, 0, 0),
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

/* Assigns a scalar to the key. Returns 0, or -1 with an error reported. */
static int
s_assign_scalar(s_ctx_t *ctx, ps_config_t *config, const s_key_t *key,
                const char *text, int line, int column)
{
    void *slot = (char *)config + key->offset;
    switch (key->type) {
        case T_BOOL:
            if (ps_parse_bool(text, (bool *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, key->path,
                        "expected true or false, got \"%s\"", text);
            return -1;
        case T_INT: {
            int64_t value;
            if (ps_parse_int64(text, (int64_t)key->min, (int64_t)key->max,
                               &value)
                == 0) {
                *(int *)slot = (int)value;
                return 0;
            }
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, key->path,
                        "expected a whole number from %.0f to %.0f, got "
                        "\"%s\"",
                        key->min, key->max, text);
            return -1;
        }
        case T_DOUBLE:
            if (ps_parse_double(text, key->min, key->max, (double *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, key->path,
                        "expected a number from %g to %g, got \"%s\"", key->min,
                        key->max, text);
            return -1;
        case T_DURATION:
            if (s_parse_duration(text, key->min, key->max, (int *)slot) == 0)
                return 0;
            ctx->error_count++;
            s_issue_add(ctx->errors, ctx->file, line, column, key->path,
                        "expected a duration from %.0fs to %.0fs such as "
                        "\"300\", \"90s\", \"5m\" or \"1h\", got \"%s\"",
                        key->min, key->max, text);
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
    }
    return -1;
}

static const char *
s_kind_name(s_node_kind_t kind)
{
    return kind == N_MAP ? "a mapping" : kind == N_SEQ ? "a list" : "a value";
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
        if (value->kind == N_SCALAR && !value->quoted
            && (value->text[0] == '\0' || strcmp(value->text, "~") == 0
                || strcmp(value->text, "null") == 0))
            return;
        ctx->error_count++;
        s_issue_add(ctx->errors, ctx->file, value->line, value->column, path,
                    "expected a mapping of settings, got %s",
                    s_kind_name(value->kind));
        return;
    }
    ctx->line[key - s_keys] = value->line;
    ctx->column[key - s_keys] = value->column;
    if (key->type == T_STRLIST && value->kind == N_SEQ) {
        ps_strlist_t *list = (ps_strlist_t *)((char *)config + key->offset);
        s_strlist_clear(list);
        for (size_t i = 0; i < value->count; i++) {
            const s_node_t *item = value->children[i];
            if (item->kind != N_SCALAR) {
                ctx->error_count++;
                s_issue_add(ctx->errors, ctx->file, item->line, item->column,
                            path, "expected a list of strings, got %s inside",
                            s_kind_name(item->kind));
                continue;
            }
            s_strlist_push(list, item->text);
        }
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
    c->confidence.auto_approve = 0.85;
    c->confidence.auto_reject = 0.15;
    c->confidence.needs_review = true;
    c->rules.min_rating = 0;
    c->rules.approve_rating = 0;
    c->rules.quota_default = 10;
    c->rules.quota_trusted = 50;
    c->rules.quota_restricted = 2;
    c->rules.upcoming_review = true;
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
                   && c->gateway.listen && c->gateway.web_root && c->bus.collect
                   && c->bus.models && c->overseerr.url && c->ai.api_key
                   && c->gateway.webhook_secret
               ? 0
               : -1;
}

static void
s_apply_env(s_ctx_t *ctx, ps_config_t *config)
{
    const char *file = ctx->file;
    ctx->file = "environment";
    for (size_t i = 0; i < sizeof(s_envs) / sizeof(s_envs[0]); i++) {
        const char *value = getenv(s_envs[i].name);
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
    if (*c->overseerr.url && strncmp(c->overseerr.url, "http://", 7) != 0
        && strncmp(c->overseerr.url, "https://", 8) != 0) {
        ctx->error_count++;
        s_where(ctx, "overseerr.url", &file, &line, &column);
        s_issue_add(ctx->errors, file, line, column, "overseerr.url",
                    "expected an http:// or https:// URL, got \"%s\"",
                    c->overseerr.url);
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
        const char *value = getenv(s_envs[i].name);
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
    }
    free(self->path);
    free(self->version);
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
