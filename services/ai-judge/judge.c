/*  judge - see judge.h.

    The request body is built with jansson from a constant schema text, so
    the verdict schema sent is exactly the contract's (§2.1) and cannot
    drift from the validator below, which checks the same fields by hand:
    local models and json_object mode enforce nothing, so every answer is
    validated here whatever the server promised.
    The prompt is kept small on purpose (about 200 tokens for a typical
    request): every line is a fact the staff would weigh, the overview is
    cut at a word boundary, and lines with nothing to say are left out.  */
#include "judge.h"
#include "ps_http.h"
#include "ps_mp.h"
#include "ps_parse.h"
#include "rules.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JUDGE_MAX_PROMPT 16384
#define JUDGE_POLICY_MAX 600

static const char *s_system_schema =
    "You moderate media requests for a private Plex server: estimate how "
    "likely its staff would approve this one. Reply with JSON only.";

static const char *s_system_object =
    "You moderate media requests for a private Plex server: estimate how "
    "likely its staff would approve this one. Reply with JSON only: "
    "{\"approval_score\": 0..1, \"reason\": one sentence, \"risks\": "
    "{\"quality\": 0..1, \"storage\": 0..1, \"appropriateness\": 0..1, "
    "\"user_trust\": 0..1}}.";

static const char *s_schema_text =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"approval_score\",\"reason\",\"risks\"],"
    "\"properties\":{"
    "\"approval_score\":{\"type\":\"number\",\"description\":\"probability "
    "in [0,1] that this server's staff would approve\"},"
    "\"reason\":{\"type\":\"string\",\"description\":\"one sentence, shown "
    "to staff and possibly to the requester\"},"
    "\"risks\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"quality\",\"storage\",\"appropriateness\","
    "\"user_trust\"],"
    "\"properties\":{\"quality\":{\"type\":\"number\"},"
    "\"storage\":{\"type\":\"number\"},"
    "\"appropriateness\":{\"type\":\"number\"},"
    "\"user_trust\":{\"type\":\"number\"}}}}}";

/* ---- configuration questions ------------------------------------------ */

bool
judge_is_openai(const char *base_url)
{
    const char *host = base_url ? strstr(base_url, "://") : NULL;
    if (!host)
        return false;
    host += 3;
    size_t n = strcspn(host, "/:?");
    return n == strlen("api.openai.com")
           && strncasecmp(host, "api.openai.com", n) == 0;
}

bool
judge_ai_off(const ps_config_t *config)
{
    if (!config->ai.enabled)
        return true;
    bool no_key = !config->ai.api_key || !*config->ai.api_key;
    return no_key && judge_is_openai(config->ai.base_url);
}

int
judge_url(const char *base_url, char *buf, size_t len)
{
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    int written = snprintf(buf, len, "%.*s/chat/completions", (int)n, base_url);
    return written < 0 || (size_t)written >= len ? -1 : 0;
}

const char *
judge_token_field(const ps_config_t *config)
{
    const char *field = config->ai.token_field;
    if (field && strcmp(field, "max_tokens") == 0)
        return "max_tokens";
    if (field && strcmp(field, "max_completion_tokens") == 0)
        return "max_completion_tokens";
    return judge_is_openai(config->ai.base_url) ? "max_completion_tokens"
                                                : "max_tokens";
}

/* ---- prompt ------------------------------------------------------------- */

typedef struct {
    char *data;  /* NUL-terminated text */
    size_t len;  /* bytes used */
    size_t cap;  /* bytes allocated */
    bool failed; /* OOM or over JUDGE_MAX_PROMPT */
} s_text_t;

static void
s_text_vadd(s_text_t *t, const char *format, va_list args)
{
    if (t->failed)
        return;
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (n < 0 || t->len + (size_t)n + 1 > JUDGE_MAX_PROMPT) {
        t->failed = true;
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    vsnprintf(t->data + t->len, t->cap - t->len, format, args);
    t->len += (size_t)n;
}

static void __attribute__((format(printf, 2, 3)))
s_text_add(s_text_t *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    s_text_vadd(t, format, args);
    va_end(args);
}

/* Appends a value on one line: control characters become spaces so a
   title cannot forge a "Title:" line of its own, and long values are
   cut at `max` bytes. */
static void
s_text_value(s_text_t *t, const char *value, size_t max)
{
    char buf[JUDGE_POLICY_MAX + 8];
    size_t n = 0;
    const char *text = value ? value : "";
    if (max > JUDGE_POLICY_MAX)
        max = JUDGE_POLICY_MAX;
    for (const char *p = text; *p && n < max; p++)
        buf[n++] = iscntrl((unsigned char)*p) ? ' ' : *p;
    bool cut = strlen(text) > max;
    /* Cut at a word boundary, and never inside a UTF-8 sequence. */
    if (cut) {
        size_t word = n;
        while (word > max / 2 && buf[word - 1] != ' ')
            word--;
        if (word > max / 2)
            n = word - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    buf[n] = '\0';
    s_text_add(t, "%s%s", buf, cut ? "..." : "");
}

/* "Requester: ..." with trust level, account age, request counts and the
   approval rate of their decided requests. */
static void
s_prompt_requester(s_text_t *t, const ps_config_t *config,
                   const ps_work_t *work, int64_t now_ms)
{
    ps_level_t level = rules_level(config, work, now_ms);
    s_text_add(t, "Requester: %s", ps_config_level_name(level));
    if (work->user_created_at > 0 && now_ms >= work->user_created_at)
        s_text_add(t, ", account %lld days old",
                   (long long)((now_ms - work->user_created_at) / 86400000LL));
    else
        s_text_add(t, ", account age unknown");
    s_text_add(t, ", %lld requests", (long long)work->user_requests);
    if (work->has_history) {
        int64_t decided = work->history_approved + work->history_declined;
        s_text_add(t, ", %lld this week", (long long)work->history_week);
        if (decided > 0)
            s_text_add(t, ", %.0f%% approved (%lld of %lld)",
                       100.0 * (double)work->history_approved / (double)decided,
                       (long long)work->history_approved, (long long)decided);
        else
            s_text_add(t, ", none decided yet");
    }
    s_text_add(t, "\n");
}

/* "Quota: ..." for the request's media type, when Overseerr sets one. */
static void
s_prompt_quota(s_text_t *t, const ps_work_t *work, bool tv)
{
    if (!work->has_quota)
        return;
    int64_t limit = tv ? work->quota_tv_limit : work->quota_movie_limit;
    int64_t used = tv ? work->quota_tv_used : work->quota_movie_used;
    int64_t days = tv ? work->quota_tv_days : work->quota_movie_days;
    if (limit <= 0)
        return;
    s_text_add(t, "Quota: %lld of %lld %s used", (long long)used,
               (long long)limit, tv ? "seasons" : "movies");
    if (days > 0)
        s_text_add(t, " in %lld days", (long long)days);
    s_text_add(t, "\n");
}

char *
judge_user_prompt(const ps_config_t *config, const ps_work_t *work,
                  int64_t now_ms, const double *learner)
{
    s_text_t t = {0};
    s_text_add(&t, "Title: ");
    s_text_value(&t, work->title && *work->title ? work->title : "(unknown)",
                 200);
    if (work->year > 0)
        s_text_add(&t, " (%lld)", (long long)work->year);
    s_text_add(&t, "\n");

    bool tv = work->media_type && strcmp(work->media_type, "tv") == 0;
    if (tv)
        s_text_add(&t, "Type: TV, %zu of %lld seasons, %lld episodes",
                   work->season_count, (long long)work->total_seasons,
                   (long long)work->requested_episodes);
    else
        s_text_add(&t, "Type: movie");
    if (!tv && work->runtime > 0)
        s_text_add(&t, ", %lld min", (long long)work->runtime);
    s_text_add(&t, "%s\n", work->is4k ? ", 4K" : "");

    if (work->votes > 0)
        s_text_add(&t, "TMDB: %.1f/10 (%lld votes), popularity %.0f\n",
                   work->rating, (long long)work->votes, work->popularity);
    else
        s_text_add(&t, "TMDB: not rated yet, popularity %.0f\n",
                   work->popularity);

    if (work->genre_count && work->genres) {
        s_text_add(&t, "Genres: ");
        for (size_t i = 0; i < work->genre_count; i++) {
            s_text_add(&t, "%s", i ? ", " : "");
            s_text_value(&t, work->genres[i], 60);
        }
        s_text_add(&t, "\n");
    }
    if (work->certification && *work->certification) {
        s_text_add(&t, "Certification: ");
        s_text_value(&t, work->certification, 20);
        s_text_add(&t, "\n");
    }
    if (work->adult)
        s_text_add(&t, "Adult: yes\n");
    if (work->language && *work->language) {
        s_text_add(&t, "Language: ");
        s_text_value(&t, work->language, 20);
        s_text_add(&t, "\n");
    }
    if ((work->release_date && *work->release_date)
        || (work->media_status && *work->media_status)) {
        s_text_add(&t, "Release: ");
        s_text_value(&t,
                     work->release_date && *work->release_date
                         ? work->release_date
                         : "unknown",
                     20);
        if (work->media_status && *work->media_status) {
            s_text_add(&t, " (");
            s_text_value(&t, work->media_status, 40);
            s_text_add(&t, ")");
        }
        s_text_add(&t, "\n");
    }
    if (work->overview && *work->overview) {
        s_text_add(&t, "Overview: ");
        s_text_value(&t, work->overview, JUDGE_OVERVIEW_MAX);
        s_text_add(&t, "\n");
    }

    /* Never the name or email: the model needs the facts, not who. */
    s_prompt_requester(&t, config, work, now_ms);
    s_prompt_quota(&t, work, tv);

    if (work->matched_count) {
        s_text_add(&t, "Rules matched, not decisive: ");
        for (size_t i = 0; i < work->matched_count; i++) {
            s_text_add(&t, "%s", i ? ", " : "");
            s_text_value(&t, work->matched[i], 60);
        }
        s_text_add(&t, "\n");
    }
    if (learner)
        s_text_add(&t, "Learner score from past staff decisions: %.2f\n",
                   *learner);
    if (config->ai.policy && *config->ai.policy) {
        s_text_add(&t, "Server policy: ");
        s_text_value(&t, config->ai.policy, JUDGE_POLICY_MAX);
        s_text_add(&t, "\n");
    }

    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}

const char *
judge_system_prompt(judge_format_t format)
{
    return format == JUDGE_FORMAT_OBJECT ? s_system_object : s_system_schema;
}

char *
judge_request_body(const ps_config_t *config, const char *user_prompt,
                   judge_format_t format)
{
    char *result = NULL;
    json_t *body = NULL;
    json_t *response_format = NULL;
    if (format == JUDGE_FORMAT_OBJECT)
        response_format = json_pack("{s:s}", "type", "json_object");
    else {
        json_t *schema = json_loads(s_schema_text, 0, NULL);
        if (schema)
            response_format = json_pack(
                "{s:s, s:{s:s, s:s, s:b, s:o}}", "type", "json_schema",
                "json_schema", "name", "moderation_verdict", "description",
                "PlexStaffAI moderation verdict for one media request",
                "strict", 1, "schema", schema);
    }
    if (!response_format || !user_prompt)
        goto out;
    body = json_pack("{s:s, s:f, s:i, s:b, s:O,"
                     " s:[{s:s, s:s}, {s:s, s:s}]}",
                     "model", config->ai.model, "temperature",
                     config->ai.temperature, judge_token_field(config),
                     config->ai.max_tokens, "stream", 0, "response_format",
                     response_format, "messages", "role", "system", "content",
                     judge_system_prompt(format), "role", "user", "content",
                     user_prompt);
    if (!body)
        goto out;
    result = json_dumps(body, JSON_COMPACT);
out:
    json_decref(body);
    json_decref(response_format);
    return result;
}

/* ---- verdict and response parsing -------------------------------------- */

static int
s_unit_number(const json_t *object, const char *key, const char *label,
              double *out, char *err, size_t errlen)
{
    const json_t *value = json_object_get(object, key);
    if (!value) {
        snprintf(err, errlen, "verdict field `%s`: missing", label);
        return -1;
    }
    if (!json_is_number(value)) {
        snprintf(err, errlen, "verdict field `%s`: expected a number", label);
        return -1;
    }
    double number = json_number_value(value);
    if (!(number >= 0.0 && number <= 1.0)) {
        snprintf(err, errlen, "verdict field `%s`: %g is outside [0,1]", label,
                 number);
        return -1;
    }
    *out = number;
    return 0;
}

int
judge_parse_verdict(const char *content, judge_verdict_t *verdict, char *err,
                    size_t errlen)
{
    int rc = -1;
    json_error_t jerr;
    judge_verdict_t v;
    memset(&v, 0, sizeof(v));
    json_t *root = json_loads(content ? content : "", 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "verdict is not JSON: %s (line %d column %d)",
                 jerr.text, jerr.line, jerr.column);
        goto out;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "verdict is not a JSON object");
        goto out;
    }
    if (s_unit_number(root, "approval_score", "approval_score",
                      &v.approval_score, err, errlen)
        != 0)
        goto out;
    const json_t *reason = json_object_get(root, "reason");
    if (!json_is_string(reason)) {
        snprintf(err, errlen, "verdict field `reason`: %s",
                 reason ? "expected a string" : "missing");
        goto out;
    }
    snprintf(v.reason, sizeof(v.reason), "%s", json_string_value(reason));
    const json_t *risks = json_object_get(root, "risks");
    if (!json_is_object(risks)) {
        snprintf(err, errlen, "verdict field `risks`: %s",
                 risks ? "expected an object" : "missing");
        goto out;
    }
    if (s_unit_number(risks, "quality", "risks.quality", &v.quality, err,
                      errlen)
            != 0
        || s_unit_number(risks, "storage", "risks.storage", &v.storage, err,
                         errlen)
               != 0
        || s_unit_number(risks, "appropriateness", "risks.appropriateness",
                         &v.appropriateness, err, errlen)
               != 0
        || s_unit_number(risks, "user_trust", "risks.user_trust", &v.user_trust,
                         err, errlen)
               != 0)
        goto out;
    *verdict = v;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static int64_t
s_json_count(const json_t *object, const char *key)
{
    const json_t *value = json_object_get(object, key);
    return json_is_integer(value) && json_integer_value(value) > 0
               ? json_integer_value(value)
               : 0;
}

int
judge_parse_response(const char *body, size_t len, judge_response_t *out,
                     char *err, size_t errlen)
{
    int rc = -1;
    json_error_t jerr;
    memset(out, 0, sizeof(*out));
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "response is not a JSON object%s%s",
                 root ? "" : ": ", root ? "" : jerr.text);
        goto out;
    }
    const char *model = json_string_value(json_object_get(root, "model"));
    snprintf(out->model, sizeof(out->model), "%s", model ? model : "");
    const json_t *usage = json_object_get(root, "usage");
    if (json_is_object(usage)) {
        out->prompt_tokens = s_json_count(usage, "prompt_tokens");
        out->completion_tokens = s_json_count(usage, "completion_tokens");
        out->cached_tokens = s_json_count(
            json_object_get(usage, "prompt_tokens_details"), "cached_tokens");
    }
    const json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    if (!json_is_object(choice)) {
        snprintf(err, errlen, "response has no choices[0]");
        goto out;
    }
    const char *finish =
        json_string_value(json_object_get(choice, "finish_reason"));
    snprintf(out->finish_reason, sizeof(out->finish_reason), "%s",
             finish ? finish : "");
    if (finish && strcmp(finish, "length") == 0) {
        snprintf(err, errlen,
                 "truncated: the answer hit the token limit "
                 "(finish_reason length)");
        goto out;
    }
    const json_t *message = json_object_get(choice, "message");
    const json_t *content = json_object_get(message, "content");
    if (!json_is_string(content)) {
        const char *refusal =
            json_string_value(json_object_get(message, "refusal"));
        if (refusal)
            snprintf(err, errlen, "the model refused: %.200s", refusal);
        else
            snprintf(err, errlen, "choices[0].message.content is %s",
                     !content || json_is_null(content) ? "null or missing"
                                                       : "not a string");
        goto out;
    }
    if (judge_parse_verdict(json_string_value(content), &out->verdict, err,
                            errlen)
        != 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

void
judge_error_message(const char *body, char *buf, size_t len, char *code,
                    size_t codelen)
{
    if (len)
        buf[0] = '\0';
    if (code && codelen)
        code[0] = '\0';
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    if (!json_is_object(root))
        goto out;
    const json_t *error = json_object_get(root, "error");
    const json_t *holder = json_is_object(error) ? error : root;
    const char *message = json_string_value(json_object_get(holder, "message"));
    if (!message && json_is_string(error))
        message = json_string_value(error);
    if (message)
        snprintf(buf, len, "%.300s", message);
    const json_t *value = json_object_get(holder, "code");
    if (code && json_is_string(value))
        snprintf(code, codelen, "%s", json_string_value(value));
    else if (code && json_is_integer(value))
        snprintf(code, codelen, "%lld", (long long)json_integer_value(value));
out:
    json_decref(root);
}

/* True when `text` contains `needle`, in any ASCII case. */
static bool
s_mentions(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = text; p && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

bool
judge_wants_json_object(long status, const char *body)
{
    if (status != 400 || !body)
        return false;
    bool wants = false;
    json_t *root = json_loads(body, 0, NULL);
    if (json_is_object(root)) {
        const json_t *error = json_object_get(root, "error");
        const json_t *holder = json_is_object(error) ? error : root;
        const char *texts[] = {
            json_string_value(json_object_get(holder, "message")),
            json_string_value(json_object_get(holder, "param")),
            json_string_value(json_object_get(holder, "code")),
            json_string_value(error)};
        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
            if (texts[i]
                && (s_mentions(texts[i], "response_format")
                    || s_mentions(texts[i], "json_schema")))
                wants = true;
    } else
        /* Some servers answer 400 with plain text. */
        wants = s_mentions(body, "response_format")
                || s_mentions(body, "json_schema");
    json_decref(root);
    return wants;
}

bool
judge_is_outage(long status)
{
    return status == 0 || status >= 500;
}

double
judge_blend(double ai, const double *learner, double weight)
{
    if (!learner)
        return ai;
    if (!(weight >= 0))
        weight = 0;
    if (weight > 1)
        weight = 1;
    return (1.0 - weight) * ai + weight * *learner;
}

judge_retry_t
judge_classify(long status, const char *code)
{
    if (status == 0)
        return JUDGE_RETRY;
    if (status == 429)
        return code && strcmp(code, "insufficient_quota") == 0 ? JUDGE_FATAL
                                                               : JUDGE_RETRY;
    if (status == 408 || status == 409 || status >= 500)
        return JUDGE_RETRY;
    return JUDGE_FATAL;
}

ps_outcome_t
judge_outcome(const ps_config_t *config, double score)
{
    if (score >= config->confidence.auto_approve)
        return PS_OUTCOME_APPROVE;
    if (score <= config->confidence.auto_reject)
        return PS_OUTCOME_DECLINE;
    if (config->confidence.needs_review)
        return PS_OUTCOME_REVIEW;
    return score >= 0.5 ? PS_OUTCOME_APPROVE : PS_OUTCOME_DECLINE;
}
/* ---- prices -------------------------------------------------------------- */

typedef struct {
    const char *model;  /* model name prefix */
    judge_price_t cost; /* USD per 1M tokens */
} s_price_t;

/* openai-chat.md §6, Standard tier: used when ai.prices is empty. */
static const s_price_t s_prices[] = {
    {"gpt-4o-mini", {0.15, 0.075, 0.60}},  {"gpt-4.1-mini", {0.40, 0.10, 1.60}},
    {"gpt-4.1-nano", {0.10, 0.025, 0.40}}, {"gpt-4.1", {2.00, 0.50, 8.00}},
    {"gpt-4o", {2.50, 1.25, 10.00}},
};

/* Length of `model` without a trailing -YYYY-MM-DD snapshot date. */
static size_t
s_model_base_len(const char *model)
{
    size_t n = strlen(model);
    const char *shape = "-dddd-dd-dd";
    size_t k = strlen(shape);
    if (n <= k)
        return n;
    const char *tail = model + n - k;
    for (size_t i = 0; i < k; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)tail[i]) : tail[i] != '-')
            return n;
    }
    return n - k;
}

/* True when the first n bytes of model start with prefix. */
static bool
s_prefix_of(const char *prefix, const char *model, size_t n)
{
    size_t k = strlen(prefix);
    return k > 0 && k <= n && strncmp(prefix, model, k) == 0;
}

bool
judge_price_find(const ps_config_t *config, const char *model,
                 judge_price_t *price)
{
    if (!model)
        return false;
    size_t n = s_model_base_len(model);
    size_t best = 0;
    if (config && config->ai.prices.count > 0) {
        for (size_t i = 0; i < config->ai.prices.count; i++) {
            const ps_config_price_t *p = &config->ai.prices.items[i];
            if (!p->model || !s_prefix_of(p->model, model, n)
                || strlen(p->model) <= best)
                continue;
            best = strlen(p->model);
            price->input = p->input;
            price->cached_input =
                p->cached_input >= 0 ? p->cached_input : p->input;
            price->output = p->output;
        }
        return best > 0;
    }
    for (size_t i = 0; i < sizeof(s_prices) / sizeof(s_prices[0]); i++) {
        const s_price_t *p = &s_prices[i];
        if (!s_prefix_of(p->model, model, n) || strlen(p->model) <= best)
            continue;
        best = strlen(p->model);
        *price = p->cost;
    }
    return best > 0;
}

double
judge_cost_usd(const ps_config_t *config, const char *model,
               int64_t prompt_tokens, int64_t completion_tokens,
               int64_t cached_tokens)
{
    judge_price_t price;
    if (!judge_price_find(config, model, &price))
        return 0;
    if (cached_tokens > prompt_tokens)
        cached_tokens = prompt_tokens;
    return ((double)(prompt_tokens - cached_tokens) * price.input
            + (double)cached_tokens * price.cached_input
            + (double)completion_tokens * price.output)
           / 1e6;
}

double
judge_budget_estimate(const judge_price_t *price, size_t prompt_bytes,
                      int max_tokens)
{
    double prompt_tokens = (double)((prompt_bytes + 3) / 4);
    return (prompt_tokens * price->input
            + (double)(max_tokens > 0 ? max_tokens : 0) * price->output)
           / 1e6;
}

/* ---- retry waits --------------------------------------------------------- */

int
judge_parse_go_duration(const char *text, int64_t *ms)
{
    double total_ms = 0;
    const char *p = text;
    if (!p || !*p)
        return -1;
    if (strcmp(p, "0") == 0) {
        *ms = 0;
        return 0;
    }
    while (*p) {
        double number = 0;
        double scale = 1;
        bool digits = false;
        bool dot = false;
        for (; isdigit((unsigned char)*p) || (*p == '.' && !dot); p++) {
            if (*p == '.') {
                dot = true;
                continue;
            }
            digits = true;
            if (dot) {
                scale /= 10;
                number += (*p - '0') * scale;
            } else
                number = number * 10 + (*p - '0');
        }
        if (!digits)
            return -1;
        double unit;
        if (strncmp(p, "ns", 2) == 0)
            unit = 1e-6, p += 2;
        else if (strncmp(p, "us", 2) == 0)
            unit = 1e-3, p += 2;
        else if (strncmp(p, "\xc2\xb5s", 3) == 0)
            unit = 1e-3, p += 3;
        else if (strncmp(p, "ms", 2) == 0)
            unit = 1, p += 2;
        else if (*p == 's')
            unit = 1000, p += 1;
        else if (*p == 'm')
            unit = 60000, p += 1;
        else if (*p == 'h')
            unit = 3600000, p += 1;
        else
            return -1;
        total_ms += number * unit;
        if (total_ms > 1e12)
            return -1;
    }
    *ms = (int64_t)ceil(total_ms);
    return 0;
}

static int
s_header(const char *headers, const char *name, char *buf, size_t len)
{
    ps_http_response_t response;
    memset(&response, 0, sizeof(response));
    /* Only read through the const accessor. */
    response.headers = (char *)headers;
    return ps_http_response_header(&response, name, buf, len);
}

int64_t
judge_header_wait_ms(const char *headers, int64_t now_ms)
{
    char value[128];
    int64_t wait = -1;
    double number = 0;
    if (!headers)
        return -1;
    if (s_header(headers, "retry-after-ms", value, sizeof(value)) == 0
        && ps_parse_double(value, 0, 1e12, &number) == 0)
        wait = (int64_t)ceil(number);
    else if (s_header(headers, "retry-after", value, sizeof(value)) == 0) {
        if (ps_parse_double(value, 0, 1e9, &number) == 0)
            wait = (int64_t)ceil(number * 1000);
        else {
            time_t when = curl_getdate(value, NULL);
            if (when != (time_t)-1) {
                int64_t delta = (int64_t)when * 1000 - now_ms;
                wait = delta > 0 ? delta : 0;
            }
        }
    } else {
        static const char *const kinds[] = {"requests", "tokens"};
        for (size_t i = 0; i < 2; i++) {
            char name[64];
            int64_t reset = 0;
            snprintf(name, sizeof(name), "x-ratelimit-remaining-%s", kinds[i]);
            if (s_header(headers, name, value, sizeof(value)) != 0
                || strcmp(value, "0") != 0)
                continue;
            snprintf(name, sizeof(name), "x-ratelimit-reset-%s", kinds[i]);
            if (s_header(headers, name, value, sizeof(value)) == 0
                && judge_parse_go_duration(value, &reset) == 0 && reset > wait)
                wait = reset;
        }
    }
    if (wait > JUDGE_MAX_HEADER_WAIT_MS)
        wait = JUDGE_MAX_HEADER_WAIT_MS;
    return wait;
}

int64_t
judge_backoff_ms(int retry, double unit)
{
    if (retry < 0)
        retry = 0;
    if (retry > 10)
        retry = 10;
    if (!(unit >= 0 && unit < 1))
        unit = 0.5;
    double base = 500.0 * (double)(1 << retry);
    double wait = base * (0.75 + 0.5 * unit);
    if (wait > JUDGE_MAX_BACKOFF_MS)
        wait = JUDGE_MAX_BACKOFF_MS;
    return (int64_t)wait;
}
/* ---- turning a record into a decision ----------------------------------- */

static int
s_decision(ps_work_t *work, ps_outcome_t outcome, const char *message_id)
{
    ps_work_set_type(work, "decision");
    work->outcome = outcome;
    ps_mp_strs_free(&work->params, &work->param_count);
    work->has_score = false;
    work->has_ai_score = false;
    if (ps_work_set_str(&work->source, "ai") != 0
        || ps_work_set_str(&work->rule, "") != 0
        || ps_work_set_str(&work->message_id, message_id) != 0)
        return -1;
    return 0;
}

int
judge_apply_verdict(const ps_config_t *config, ps_work_t *work,
                    const judge_verdict_t *verdict, const char *model,
                    const double *learner, bool cached)
{
    double final = judge_blend(verdict->approval_score, learner,
                               config->ml.feedback_weight);
    char score[32];
    snprintf(score, sizeof(score), "%.2f", final);
    if (s_decision(work, judge_outcome(config, final), "ai_verdict") != 0)
        return -1;
    work->has_score = true;
    work->score = final;
    work->has_ai_score = true;
    work->ai_score = verdict->approval_score;
    if (ps_work_add_param(work, "score", score) != 0
        || ps_work_add_param(work, "reason", verdict->reason) != 0
        || (cached && ps_work_add_param(work, "cached", "true") != 0)
        || ps_work_set_str(&work->explanation, verdict->reason) != 0
        || ps_work_set_str(&work->model, model) != 0)
        return -1;
    return 0;
}

int
judge_apply_failure(ps_work_t *work, const char *reason, const char *model)
{
    char text[768];
    snprintf(text, sizeof(text), "AI judge failed: %s; a person decides.",
             reason);
    if (s_decision(work, PS_OUTCOME_REVIEW, "ai_failed") != 0
        || ps_work_add_param(work, "reason", reason) != 0
        || ps_work_set_str(&work->explanation, text) != 0
        || (model && ps_work_set_str(&work->model, model) != 0))
        return -1;
    return 0;
}

int
judge_apply_off(ps_work_t *work)
{
    if (s_decision(work, PS_OUTCOME_REVIEW, "ai_off") != 0
        || ps_work_set_str(&work->explanation,
                           "No AI judge is configured; a person decides.")
               != 0)
        return -1;
    return 0;
}
