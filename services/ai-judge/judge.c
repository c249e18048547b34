/*  judge - see judge.h.

    The request body is built with jansson from a constant schema text, so
    the verdict schema sent is exactly the contract's (§2.1) and cannot
    drift from the validator below, which checks the same fields by hand:
    local models and json_object mode enforce nothing, so every answer is
    validated here whatever the server promised.                          */
#include "judge.h"
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_http.h"
#include "ps_log.h"
#include "ps_mp.h"
#include "ps_parse.h"
#include "ps_service.h"
#include "ps_time.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define JUDGE_CONNECT_TIMEOUT_MS 5000
#define JUDGE_MAX_BODY (1024 * 1024)
#define JUDGE_MAX_PROMPT 16384
#define JUDGE_OVERVIEW_MAX 700
#define JUDGE_SLEEP_SLICE_MS 100
#define JUDGE_POLL_MS 1000

static const char *s_system_prompt =
    "You moderate media requests for a private Plex server. "
    "Reply with JSON only.";

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
    char buf[JUDGE_OVERVIEW_MAX + 8];
    size_t n = 0;
    if (max > JUDGE_OVERVIEW_MAX)
        max = JUDGE_OVERVIEW_MAX;
    for (const char *p = value ? value : ""; *p && n < max; p++)
        buf[n++] = iscntrl((unsigned char)*p) ? ' ' : *p;
    buf[n] = '\0';
    s_text_add(t, "%s%s", buf, value && strlen(value) > max ? "..." : "");
}

char *
judge_user_prompt(const ps_work_t *work, int64_t now_ms)
{
    s_text_t t = {0};
    s_text_add(&t, "Title: ");
    s_text_value(&t, work->title && *work->title ? work->title : "(unknown)",
                 200);
    if (work->year > 0)
        s_text_add(&t, " (%lld)", (long long)work->year);
    s_text_add(&t, "\n");

    bool tv = work->media_type && strcmp(work->media_type, "tv") == 0;
    if (tv) {
        s_text_add(&t, "Type: TV, %zu of %lld seasons, %lld episodes",
                   work->season_count, (long long)work->total_seasons,
                   (long long)work->requested_episodes);
    } else
        s_text_add(&t, "Type: movie");
    s_text_add(&t, "%s\n", work->is4k ? ", 4K" : "");

    if (work->votes > 0)
        s_text_add(&t, "TMDB: %.1f/10 (%lld votes), popularity %.0f\n",
                   work->rating, (long long)work->votes, work->popularity);
    else
        s_text_add(&t, "TMDB: not rated yet, popularity %.0f\n",
                   work->popularity);

    s_text_add(&t, "Genres: ");
    for (size_t i = 0; i < work->genre_count && work->genres; i++) {
        s_text_add(&t, "%s", i ? ", " : "");
        s_text_value(&t, work->genres[i], 60);
    }
    s_text_add(&t, "%s\n", work->genre_count && work->genres ? "" : "none");

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
    if (work->runtime > 0)
        s_text_add(&t, "Runtime: %lld min\n", (long long)work->runtime);
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

    /* Only the display name: the email is personal data (contract §2). */
    s_text_add(&t, "Requester: ");
    s_text_value(
        &t, work->user_name && *work->user_name ? work->user_name : "(unknown)",
        80);
    if (work->user_created_at > 0 && now_ms >= work->user_created_at)
        s_text_add(&t, ", account age %lld days",
                   (long long)((now_ms - work->user_created_at) / 86400000LL));
    else
        s_text_add(&t, ", account age unknown");
    s_text_add(&t, ", %lld requests\n", (long long)work->user_requests);

    s_text_add(&t, "Rules matched: ");
    for (size_t i = 0; i < work->matched_count; i++)
        s_text_add(&t, "%s%s", i ? ", " : "", work->matched[i]);
    s_text_add(&t, "%s\n", work->matched_count ? "" : "none");

    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}

char *
judge_request_body(const ps_config_t *config, const ps_work_t *work,
                   int64_t now_ms)
{
    char *result = NULL;
    char *prompt = judge_user_prompt(work, now_ms);
    json_t *schema = json_loads(s_schema_text, 0, NULL);
    json_t *body = NULL;
    if (!prompt || !schema)
        goto out;
    const char *cap_key = judge_is_openai(config->ai.base_url)
                              ? "max_completion_tokens"
                              : "max_tokens";
    body = json_pack(
        "{s:s, s:f, s:i, s:b, s:{s:s, s:{s:s, s:s, s:b, s:O}},"
        " s:[{s:s, s:s}, {s:s, s:s}]}",
        "model", config->ai.model, "temperature", config->ai.temperature,
        cap_key, config->ai.max_tokens, "stream", 0, "response_format", "type",
        "json_schema", "json_schema", "name", "moderation_verdict",
        "description", "PlexStaffAI moderation verdict for one media request",
        "strict", 1, "schema", schema, "messages", "role", "system", "content",
        s_system_prompt, "role", "user", "content", prompt);
    if (!body)
        goto out;
    result = json_dumps(body, JSON_COMPACT);
out:
    json_decref(body);
    json_decref(schema);
    free(prompt);
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

/* ---- cost ---------------------------------------------------------------- */

typedef struct {
    const char *model; /* base name, no date suffix */
    double in;         /* USD per 1M input tokens */
    double cached_in;  /* USD per 1M cached input tokens */
    double out;        /* USD per 1M output tokens */
} s_price_t;

/* openai-chat.md §6, Standard tier. */
static const s_price_t s_prices[] = {
    {"gpt-4o-mini", 0.15, 0.075, 0.60},  {"gpt-4.1-mini", 0.40, 0.10, 1.60},
    {"gpt-4.1-nano", 0.10, 0.025, 0.40}, {"gpt-4.1", 2.00, 0.50, 8.00},
    {"gpt-4o", 2.50, 1.25, 10.00},
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

double
judge_cost_usd(const char *model, int64_t prompt_tokens,
               int64_t completion_tokens, int64_t cached_tokens)
{
    if (!model)
        return 0;
    size_t n = s_model_base_len(model);
    if (cached_tokens > prompt_tokens)
        cached_tokens = prompt_tokens;
    for (size_t i = 0; i < sizeof(s_prices) / sizeof(s_prices[0]); i++) {
        const s_price_t *p = &s_prices[i];
        if (strlen(p->model) != n || strncmp(p->model, model, n) != 0)
            continue;
        return ((double)(prompt_tokens - cached_tokens) * p->in
                + (double)cached_tokens * p->cached_in
                + (double)completion_tokens * p->out)
               / 1e6;
    }
    return 0;
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
                    const judge_verdict_t *verdict, const char *model)
{
    char score[32];
    snprintf(score, sizeof(score), "%.2f", verdict->approval_score);
    if (s_decision(work, judge_outcome(config, verdict->approval_score),
                   "ai_verdict")
        != 0)
        return -1;
    work->has_score = true;
    work->score = verdict->approval_score;
    work->has_ai_score = true;
    work->ai_score = verdict->approval_score;
    if (ps_work_add_param(work, "score", score) != 0
        || ps_work_add_param(work, "reason", verdict->reason) != 0
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

/* ---- the judge handle ---------------------------------------------------- */

struct judge {
    ps_http_t *http; /* one keep-alive connection to the LLM server */
    char *instance;  /* usage records' instance id */
    uint64_t rng;    /* xorshift state for backoff jitter */
};

judge_t *
judge_new(const char *instance)
{
    judge_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->http = ps_http_new(JUDGE_CONNECT_TIMEOUT_MS, 30000, JUDGE_MAX_BODY);
    self->instance = strdup(instance ? instance : "ai-judge");
    self->rng = (uint64_t)ps_time_now_ms() ^ ((uint64_t)getpid() << 32);
    if (!self->rng)
        self->rng = 0x9e3779b97f4a7c15ULL;
    if (!self->http || !self->instance)
        judge_destroy(&self);
    return self;
}

void
judge_destroy(judge_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    judge_t *self = *self_p;
    free(self->instance);
    ps_http_destroy(&self->http);
    free(self);
    *self_p = NULL;
}

static double
s_random_unit(judge_t *self)
{
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    return (double)(self->rng >> 11) / 9007199254740992.0;
}

/* The one HTTP call per attempt. Kept apart so a curl-multi version can
   replace it without touching the decision logic. */
static ps_http_rc_t
judge_call(judge_t *self, const ps_config_t *config, const char *url,
           const char *body, ps_http_response_t *response)
{
    char auth[1024];
    const char *key =
        config->ai.api_key && *config->ai.api_key ? config->ai.api_key : "none";
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    const char *headers[] = {"Content-Type: application/json",
                             "Accept: application/json", auth, NULL};
    ps_http_set_timeout(self->http, config->ai.timeout_ms);
    ps_http_rc_t rc = ps_http_request(self->http, "POST", url, headers, body,
                                      strlen(body), response);
    /* The key must not linger on the stack longer than the call. */
    memset(auth, 0, sizeof(auth));
    return rc;
}

/* Sleeps ms in slices so SIGTERM is noticed within one slice. Returns -1
   when interrupted. */
static int
s_sleep(int64_t ms)
{
    int64_t end = ps_time_mono_ms() + ms;
    while (!zsys_interrupted) {
        int64_t left = end - ps_time_mono_ms();
        if (left <= 0)
            return 0;
        zclock_sleep(
            (int)(left < JUDGE_SLEEP_SLICE_MS ? left : JUDGE_SLEEP_SLICE_MS));
    }
    return -1;
}

static void
s_emit_usage(judge_t *self, const ps_work_t *work, const char *model,
             const judge_response_t *parsed, long status, int64_t latency,
             bool ok, judge_usage_fn *usage_fn, void *usage_arg)
{
    if (!usage_fn)
        return;
    ps_usage_t usage;
    memset(&usage, 0, sizeof(usage));
    usage.request_id = work->request_id;
    usage.model = (char *)model;
    if (parsed) {
        usage.prompt_tokens = parsed->prompt_tokens;
        usage.completion_tokens = parsed->completion_tokens;
        usage.cached_tokens = parsed->cached_tokens;
    }
    usage.cost_usd =
        judge_cost_usd(model, usage.prompt_tokens, usage.completion_tokens,
                       usage.cached_tokens);
    usage.latency_ms = latency;
    usage.http_status = status;
    usage.ok = ok;
    usage.at = ps_time_now_ms();
    usage.instance = self->instance;
    usage_fn(&usage, usage_arg);
}

int
judge_decide(judge_t *self, const ps_config_t *config, ps_work_t *work,
             judge_usage_fn *usage_fn, void *usage_arg)
{
    if (judge_ai_off(config))
        return judge_apply_off(work) == 0 ? 0 : -1;

    int rc = -1;
    char url[1024];
    char reason[512] = "";
    char model[128] = "";
    snprintf(model, sizeof(model), "%s", config->ai.model);
    char *body = judge_request_body(config, work, ps_time_now_ms());
    if (!body) {
        snprintf(reason, sizeof(reason), "out of memory building the prompt");
        goto fail;
    }
    if (judge_url(config->ai.base_url, url, sizeof(url)) != 0) {
        snprintf(reason, sizeof(reason), "ai.base_url is too long");
        goto fail;
    }
    int attempts = config->ai.max_attempts > 0 ? config->ai.max_attempts : 1;
    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (zsys_interrupted)
            goto out;
        ps_http_response_t response;
        int64_t started = ps_time_mono_ms();
        ps_http_rc_t hrc = judge_call(self, config, url, body, &response);
        int64_t latency = ps_time_mono_ms() - started;
        judge_retry_t retry = JUDGE_RETRY;
        int64_t wait = -1;
        if (hrc == PS_HTTP_OK && response.status == 200) {
            judge_response_t parsed;
            int parse_rc =
                judge_parse_response(response.body, response.body_len, &parsed,
                                     reason, sizeof(reason));
            if (parsed.model[0])
                snprintf(model, sizeof(model), "%s", parsed.model);
            s_emit_usage(self, work, model, &parsed, 200, latency,
                         parse_rc == 0, usage_fn, usage_arg);
            ps_http_response_clear(&response);
            if (parse_rc == 0) {
                ps_log_debug("verdict req=%lld score=%.2f model=%s",
                             (long long)work->request_id,
                             parsed.verdict.approval_score, model);
                rc = judge_apply_verdict(config, work, &parsed.verdict, model);
                goto out;
            }
            /* An unusable verdict is definitive: asking again costs money
               and the request is reviewed by a person anyway. */
            retry = JUDGE_FATAL;
        } else if (hrc == PS_HTTP_OK) {
            char message[320];
            char code[64];
            judge_error_message(response.body, message, sizeof(message), code,
                                sizeof(code));
            snprintf(reason, sizeof(reason), "HTTP %ld%s%s", response.status,
                     message[0] ? ": " : "", message);
            s_emit_usage(self, work, model, NULL, response.status, latency,
                         false, usage_fn, usage_arg);
            retry = judge_classify(response.status, code);
            wait = judge_header_wait_ms(response.headers, ps_time_now_ms());
            ps_http_response_clear(&response);
        } else if (zsys_interrupted) {
            /* The call was cut short by SIGTERM: no verdict and no
               failure either; the caller hands the request back. */
            goto out;
        } else {
            snprintf(reason, sizeof(reason), "%s: %s", ps_http_strerror(hrc),
                     ps_http_error(self->http));
            s_emit_usage(self, work, model, NULL, 0, latency, false, usage_fn,
                         usage_arg);
            retry = hrc == PS_HTTP_TOO_LARGE || hrc == PS_HTTP_NOMEM
                        ? JUDGE_FATAL
                        : JUDGE_RETRY;
        }
        if (retry == JUDGE_FATAL || attempt == attempts) {
            if (retry == JUDGE_RETRY) {
                size_t n = strlen(reason);
                snprintf(reason + n, sizeof(reason) - n,
                         " (gave up after %d attempts)", attempts);
            }
            break;
        }
        if (wait < 0)
            wait = judge_backoff_ms(attempt - 1, s_random_unit(self));
        ps_log_warn("LLM call failed, retrying req=%lld attempt=%d/%d "
                    "wait_ms=%lld err=\"%s\"",
                    (long long)work->request_id, attempt, attempts,
                    (long long)wait, reason);
        if (s_sleep(wait) != 0)
            goto out;
    }
fail:
    ps_log_warn("AI judge failed, sent to review req=%lld err=\"%s\"",
                (long long)work->request_id, reason);
    rc = judge_apply_failure(work, reason, model[0] ? model : NULL);
out:
    free(body);
    return rc;
}

/* ---- the service loop ---------------------------------------------------- */

typedef struct {
    zsock_t *undecided; /* PULL, connected, rcvhwm 2 */
    zsock_t *collect;   /* PUSH, connected */
    ps_beat_t *beat;    /* heartbeat sender */
    judge_t *judge;     /* the LLM client */
} s_loop_t;

static void
s_send_usage(const ps_usage_t *usage, void *arg)
{
    s_loop_t *loop = arg;
    zmsg_t *msg = ps_usage_encode(usage);
    if (!msg || ps_bus_send(loop->collect, &msg) != 0)
        ps_log_warn("cannot send a usage record req=%lld",
                    (long long)usage->request_id);
}

static void
s_on_undecided(s_loop_t *loop, const ps_config_t *config)
{
    zmsg_t *msg = zmsg_recv(loop->undecided);
    if (!msg)
        return;
    zframe_t *frame = zmsg_first(msg);
    ps_work_t *work = NULL;
    char err[256];
    if (!frame || ps_work_decode(frame, &work, err, sizeof(err)) != 0) {
        ps_log_warn("dropped an undecodable message on undecided err=\"%s\"",
                    frame ? err : "empty message");
        goto out;
    }
    if (strcmp(work->type, "undecided") != 0) {
        ps_log_warn("dropped a `%s` message on undecided req=%lld", work->type,
                    (long long)work->request_id);
        goto out;
    }
    if (judge_decide(loop->judge, config, work, s_send_usage, loop) != 0) {
        /* Interrupted: hand the claim back so the next scan retries. */
        ps_work_t *release = ps_work_new("release");
        if (release) {
            release->request_id = work->request_id;
            ps_work_set_str(&release->reason, "ai-judge stopping");
            zmsg_t *out_msg = ps_work_encode(release);
            if (out_msg)
                ps_bus_send(loop->collect, &out_msg);
            ps_work_destroy(&release);
        }
        goto out;
    }
    ps_log_debug("decided req=%lld outcome=%s message=%s",
                 (long long)work->request_id, ps_outcome_name(work->outcome),
                 work->message_id);
    zmsg_t *out_msg = ps_work_encode(work);
    if (!out_msg || ps_bus_send(loop->collect, &out_msg) != 0)
        ps_log_warn("cannot send a decision to collect req=%lld",
                    (long long)work->request_id);
out:
    ps_work_destroy(&work);
    zmsg_destroy(&msg);
}

int
judge_service_run(ps_config_t **config, const char *config_path)
{
    int rc = 1;
    char err[512] = "";
    s_loop_t loop = {0};
    zpoller_t *poller = NULL;
    const ps_config_t *c = *config;

    ps_bus_options_t pull_options = ps_bus_defaults();
    pull_options.rcvhwm = 2;
    loop.undecided = ps_bus_socket(c, ZMQ_PULL, c->bus.undecided, false,
                                   &pull_options, err, sizeof(err));
    if (!loop.undecided)
        goto out;
    loop.collect = ps_bus_socket(c, ZMQ_PUSH, c->bus.collect, false, NULL, err,
                                 sizeof(err));
    if (!loop.collect)
        goto out;
    loop.beat = ps_beat_new("ai-judge");
    loop.judge = loop.beat ? judge_new(ps_beat_instance(loop.beat)) : NULL;
    poller = zpoller_new(loop.undecided, NULL);
    if (!loop.beat || !loop.judge || !poller) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    ps_beat_set_config(loop.beat, c->version, NULL);
    ps_log_info("started undecided=%s collect=%s ai=%s model=%s base_url=%s",
                c->bus.undecided, c->bus.collect,
                judge_ai_off(c) ? "off" : "on", c->ai.model, c->ai.base_url);

    while (!zsys_interrupted) {
        if (ps_signals_take_reload()) {
            char why[512] = "";
            ps_service_reload(config_path, config, why, sizeof(why));
            ps_beat_set_config(loop.beat, (*config)->version, why);
        }
        ps_beat_tick(loop.beat, loop.collect);
        int timeout = ps_beat_wait_ms(loop.beat);
        if (timeout > JUDGE_POLL_MS)
            timeout = JUDGE_POLL_MS;
        void *which = zpoller_wait(poller, timeout);
        if (which == loop.undecided)
            s_on_undecided(&loop, *config);
        else if (zpoller_terminated(poller) && zmq_errno() != EINTR)
            break; /* the context is gone; SIGHUP only interrupts */
    }
    rc = 0;
    ps_log_info("stopping");
out:
    if (rc != 0)
        ps_log_error("cannot start: %s", err);
    zpoller_destroy(&poller);
    judge_destroy(&loop.judge);
    ps_beat_destroy(&loop.beat);
    zsock_destroy(&loop.collect);
    zsock_destroy(&loop.undecided);
    return rc;
}
