/*  llmsim - see llm_sim_core.h.

    One mutex guards the configuration, the random stream and the
    statistics. llmsim_chat holds it only to count the call and to draw the
    fault; building the reply happens outside it, so concurrent calls only
    serialise on a few counters.                                           */
#include "llm_sim_core.h"

#include "ps_time.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LOG_MAX 5000
#define S_STATUS_MAX 600
#define S_TITLE_MAX 128

typedef enum {
    S_FAULT_NONE = 0,
    S_FAULT_TIMEOUT,
    S_FAULT_429,
    S_FAULT_500,
    S_FAULT_MALFORMED,
    S_FAULT_TRUNCATED
} s_fault_t;

typedef struct {
    int64_t at_ms;           /* when the call was answered (epoch ms) */
    int status;              /* status sent, 0 if none */
    char title[S_TITLE_MAX]; /* the prompt's title */
} s_log_entry_t;

struct llmsim {
    pthread_mutex_t lock;         /* guards every field below */
    llmsim_config_t config;       /* current knobs */
    llmsim_config_t initial;      /* knobs restored by llmsim_reset */
    uint64_t rng;                 /* splitmix64 state for fault draws */
    uint64_t seed;                /* initial rng state */
    long calls;                   /* completions received */
    long in_flight;               /* completions not yet answered */
    long max_in_flight;           /* high-water mark of in_flight */
    long by_status[S_STATUS_MAX]; /* answers per HTTP status */
    int64_t prompt_tokens;        /* sum of usage.prompt_tokens */
    int64_t completion_tokens;    /* sum of usage.completion_tokens */
    s_log_entry_t *log;           /* ring of the last S_LOG_MAX calls */
    size_t log_next;              /* next slot to write */
    size_t log_count;             /* filled slots */
};

static uint64_t
s_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double
s_unit(uint64_t *state)
{
    return (double)(s_next(state) >> 11) / 9007199254740992.0;
}

static double
s_round2(double value)
{
    return round(value * 100.0) / 100.0;
}

/* Appends formatted text to a header block; false on truncation. */
static bool s_cat(char *buf, size_t len, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static bool
s_cat(char *buf, size_t len, const char *format, ...)
{
    size_t used = strlen(buf);
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf + used, len - used, format, args);
    va_end(args);
    return n >= 0 && (size_t)n < len - used;
}

/* Copies at most max-1 bytes without splitting a UTF-8 sequence. */
static void
s_copy_utf8(char *out, size_t max, const char *in, size_t len)
{
    if (len >= max) {
        len = max - 1;
        while (len > 0 && ((unsigned char)in[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(out, in, len);
    out[len] = '\0';
}

void
llmsim_config_defaults(llmsim_config_t *config)
{
    memset(config, 0, sizeof(*config));
    config->retry_after = 1;
}

llmsim_t *
llmsim_new(const llmsim_config_t *config, uint64_t seed)
{
    llmsim_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->log = calloc(S_LOG_MAX, sizeof(*self->log));
    if (!self->log || pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self->log);
        free(self);
        return NULL;
    }
    self->config = *config;
    self->initial = *config;
    self->rng = seed;
    self->seed = seed;
    return self;
}

void
llmsim_destroy(llmsim_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    llmsim_t *self = *self_p;
    pthread_mutex_destroy(&self->lock);
    free(self->log);
    free(self);
    *self_p = NULL;
}

uint32_t
llmsim_fnv1a(const char *data, size_t len)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        hash ^= (unsigned char)data[i];
        hash *= 16777619u;
    }
    return hash;
}

double
llmsim_score(const char *title_line, size_t len)
{
    uint32_t h = llmsim_fnv1a(title_line, len);
    uint32_t bucket = h % 100;
    double frac = (double)((h / 100) % 1000) / 999.0;
    double score;
    if (bucket < 35)
        score = 0.85 + frac * 0.14;
    else if (bucket < 60)
        score = 0.01 + frac * 0.14;
    else
        score = 0.16 + frac * 0.68;
    return s_round2(score);
}

/* The title text of a "Title: ..." line, trimmed. */
static void
s_title_of(const char *line, size_t len, char *out, size_t max)
{
    if (len >= 6 && strncmp(line, "Title:", 6) == 0) {
        line += 6;
        len -= 6;
    }
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
        len--;
    s_copy_utf8(out, max, line, len);
}

json_t *
llmsim_verdict(const char *title_line, size_t len)
{
    double score = llmsim_score(title_line, len);
    uint64_t state = llmsim_fnv1a(title_line, len) ^ 0x5bd1e995ULL;
    char title[S_TITLE_MAX];
    s_title_of(title_line, len, title, sizeof(title));
    char reason[S_TITLE_MAX + 128];
    const char *what =
        score >= 0.85   ? "well rated and a good fit for this library"
        : score <= 0.15 ? "poorly rated or a risky request, unlikely to be "
                          "approved"
                        : "mixed signals, a staff review is suggested";
    if (snprintf(reason, sizeof(reason), "\"%s\": %s (simulated verdict).",
                 title[0] ? title : "Untitled request", what)
        >= (int)sizeof(reason))
        reason[0] = '\0';
    double risk = 1.0 - score;
    double quality = s_round2(fmin(1.0, risk * 0.8 + s_unit(&state) * 0.2));
    double storage = s_round2(s_unit(&state) * 0.8);
    double appropriateness =
        s_round2(fmin(1.0, risk * 0.5 + s_unit(&state) * 0.3));
    double trust = s_round2(fmin(1.0, risk * 0.6 + s_unit(&state) * 0.3));
    return json_pack("{s:f, s:s, s:{s:f, s:f, s:f, s:f}}", "approval_score",
                     score, "reason", reason, "risks", "quality", quality,
                     "storage", storage, "appropriateness", appropriateness,
                     "user_trust", trust);
}

static json_t *
s_error(const char *message, const char *type, const char *param,
        const char *code)
{
    return json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", message,
                     "type", type, "param", param, "code", code);
}

/* Sets reply status and body from a JSON document (consumed). */
static int
s_reply_json(llmsim_reply_t *reply, int status, json_t *doc)
{
    reply->status = status;
    reply->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!reply->body) {
        reply->status = 500;
        reply->body = strdup("{\"error\":{\"message\":\"out of memory\","
                             "\"type\":\"server_error\",\"param\":null,"
                             "\"code\":null}}");
        return -1;
    }
    return 0;
}

/* Text of a message's content: a string, or the text parts of an array
   joined by newlines. Returns a new string ("" when absent). */
static char *
s_content_text(json_t *message)
{
    json_t *content = json_object_get(message, "content");
    if (json_is_string(content))
        return strdup(json_string_value(content));
    size_t total = 1;
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        const char *text = json_string_value(json_object_get(part, "text"));
        if (text)
            total += strlen(text) + 1;
    }
    char *out = calloc(1, total);
    if (!out)
        return NULL;
    size_t used = 0;
    json_array_foreach(content, i, part)
    {
        const char *text = json_string_value(json_object_get(part, "text"));
        if (!text)
            continue;
        size_t n = strlen(text);
        memcpy(out + used, text, n);
        used += n;
        out[used++] = '\n';
    }
    out[used] = '\0';
    return out;
}

/* Finds the line starting with "Title:"; sets *line and *len to it, or to the
   whole text when there is none. */
static void
s_find_title_line(const char *text, const char **line, size_t *len)
{
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, "Title:", 6) == 0) {
            const char *end = strchr(p, '\n');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            while (n > 0 && p[n - 1] == '\r')
                n--;
            *line = p;
            *len = n;
            return;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    *line = text;
    *len = strlen(text);
}

/* Validates the request. Returns NULL, or the 400 error document. */
static json_t *
s_validate(json_t *doc, size_t *prompt_bytes, char **last_user)
{
    if (!json_is_object(doc))
        return s_error("We could not parse the JSON body of your request. "
                       "(HINT: This likely means you aren't using your HTTP "
                       "library correctly.)",
                       "invalid_request_error", NULL, NULL);
    json_t *model = json_object_get(doc, "model");
    if (model && !json_is_string(model))
        return s_error("Invalid type for 'model': expected a string.",
                       "invalid_request_error", "model", "invalid_type");
    json_t *messages = json_object_get(doc, "messages");
    if (!json_is_array(messages) || json_array_size(messages) == 0)
        return s_error("Invalid 'messages': expected a non-empty array.",
                       "invalid_request_error", "messages",
                       json_is_array(messages) ? "empty_array"
                                               : "invalid_type");
    size_t i;
    json_t *message;
    json_array_foreach(messages, i, message)
    {
        const char *role = json_string_value(json_object_get(message, "role"));
        if (!role)
            return s_error("Missing required parameter: 'messages[].role'.",
                           "invalid_request_error", "messages",
                           "missing_required_parameter");
        char *text = s_content_text(message);
        if (!text)
            return s_error("out of memory", "server_error", NULL, NULL);
        *prompt_bytes += strlen(text);
        if (strcmp(role, "user") == 0) {
            free(*last_user);
            *last_user = text;
        } else {
            free(text);
        }
    }
    json_t *format = json_object_get(doc, "response_format");
    if (format) {
        const char *type = json_string_value(json_object_get(format, "type"));
        bool ok =
            type
            && (strcmp(type, "text") == 0 || strcmp(type, "json_object") == 0
                || (strcmp(type, "json_schema") == 0
                    && json_is_object(json_object_get(
                        json_object_get(format, "json_schema"), "schema"))));
        if (!ok)
            return s_error("Invalid 'response_format': expected type text, "
                           "json_object, or json_schema with "
                           "json_schema.schema.",
                           "invalid_request_error", "response_format",
                           "invalid_value");
    }
    return NULL;
}

static s_fault_t
s_draw_fault(llmsim_t *self)
{
    llmsim_config_t *c = &self->config;
    if (c->timeout_next > 0) {
        c->timeout_next--;
        return S_FAULT_TIMEOUT;
    }
    if (c->fail_429_next > 0) {
        c->fail_429_next--;
        return S_FAULT_429;
    }
    if (c->fail_500_next > 0) {
        c->fail_500_next--;
        return S_FAULT_500;
    }
    if (c->malformed_next > 0) {
        c->malformed_next--;
        return S_FAULT_MALFORMED;
    }
    if (c->truncated_next > 0) {
        c->truncated_next--;
        return S_FAULT_TRUNCATED;
    }
    if (c->timeout > 0 && s_unit(&self->rng) < c->timeout)
        return S_FAULT_TIMEOUT;
    if (c->fail_429 > 0 && s_unit(&self->rng) < c->fail_429)
        return S_FAULT_429;
    if (c->fail_500 > 0 && s_unit(&self->rng) < c->fail_500)
        return S_FAULT_500;
    if (c->malformed > 0 && s_unit(&self->rng) < c->malformed)
        return S_FAULT_MALFORMED;
    if (c->truncated > 0 && s_unit(&self->rng) < c->truncated)
        return S_FAULT_TRUNCATED;
    return S_FAULT_NONE;
}

static void
s_completion_id(uint64_t value, char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t state = value;
    size_t n = 0;
    const char *prefix = "chatcmpl-";
    while (*prefix && n + 1 < len)
        out[n++] = *prefix++;
    for (int i = 0; i < 29 && n + 1 < len; i++)
        out[n++] = alphabet[s_next(&state) % 62];
    out[n] = '\0';
}

static int
s_success(llmsim_reply_t *reply, json_t *doc, s_fault_t fault, const char *line,
          size_t line_len, size_t prompt_bytes, uint64_t id_seed)
{
    json_t *verdict = llmsim_verdict(line, line_len);
    char *content =
        verdict ? json_dumps(verdict, JSON_COMPACT | JSON_REAL_PRECISION(4))
                : NULL;
    json_decref(verdict);
    if (!content)
        return s_reply_json(
            reply, 500, s_error("out of memory", "server_error", NULL, NULL));
    const char *finish = "stop";
    if (fault == S_FAULT_MALFORMED) {
        char text[S_TITLE_MAX + 128];
        if (snprintf(text, sizeof(text),
                     "Sure! Here is my assessment of %s: I would approve "
                     "it, the ratings look fine.",
                     reply->title[0] ? reply->title : "this request")
            >= (int)sizeof(text))
            text[0] = '\0';
        free(content);
        content = strdup(text);
    } else if (fault == S_FAULT_TRUNCATED) {
        size_t cut = strlen(content) / 2;
        while (cut > 0 && ((unsigned char)content[cut] & 0xC0) == 0x80)
            cut--;
        content[cut] = '\0';
        finish = "length";
    }
    if (!content)
        return s_reply_json(
            reply, 500, s_error("out of memory", "server_error", NULL, NULL));
    const char *model = json_string_value(json_object_get(doc, "model"));
    if (!model)
        model = "sim-model";
    char resolved[256];
    if (snprintf(resolved, sizeof(resolved), "%s%s", model,
                 strcmp(model, "gpt-4o-mini") == 0 ? "-2024-07-18" : "")
        >= (int)sizeof(resolved))
        resolved[0] = '\0';
    char id[48];
    s_completion_id(id_seed, id, sizeof(id));
    int prompt = (int)(prompt_bytes / 4);
    int completion = (int)(strlen(content) / 4);
    if (prompt < 1)
        prompt = 1;
    if (completion < 1)
        completion = 1;
    reply->prompt_tokens = prompt;
    reply->completion_tokens = completion;
    json_t *out = json_pack(
        "{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:s, s:n, s:[]}, s:n, s:s}], "
        "s:{s:i, s:i, s:i, s:{s:i, s:i}, s:{s:i, s:i, s:i, s:i}}, s:s, s:s}",
        "id", id, "object", "chat.completion", "created",
        (json_int_t)(ps_time_now_ms() / 1000), "model", resolved, "choices",
        "index", 0, "message", "role", "assistant", "content", content,
        "refusal", "annotations", "logprobs", "finish_reason", finish, "usage",
        "prompt_tokens", prompt, "completion_tokens", completion,
        "total_tokens", prompt + completion, "prompt_tokens_details",
        "cached_tokens", 0, "audio_tokens", 0, "completion_tokens_details",
        "reasoning_tokens", 0, "audio_tokens", 0, "accepted_prediction_tokens",
        0, "rejected_prediction_tokens", 0, "service_tier", "default",
        "system_fingerprint", "fp_sim0000000");
    free(content);
    return s_reply_json(reply, 200, out);
}

int
llmsim_chat(llmsim_t *self, const char *authorization, const char *body,
            size_t body_len, llmsim_reply_t *reply)
{
    memset(reply, 0, sizeof(*reply));
    pthread_mutex_lock(&self->lock);
    self->calls++;
    self->in_flight++;
    if (self->in_flight > self->max_in_flight)
        self->max_in_flight = self->in_flight;
    llmsim_config_t config = self->config;
    uint64_t id_seed = s_next(&self->rng);
    pthread_mutex_unlock(&self->lock);

    reply->latency_ms = config.latency_ms;
    char request_id[48];
    if (snprintf(request_id, sizeof(request_id), "req_%016llx%016llx",
                 (unsigned long long)id_seed,
                 (unsigned long long)(id_seed * 31 + 7))
        >= (int)sizeof(request_id))
        request_id[0] = '\0';
    s_cat(reply->headers, sizeof(reply->headers), "x-request-id: %s\r\n",
          request_id);

    if (config.api_key[0]) {
        bool ok = authorization && strncmp(authorization, "Bearer ", 7) == 0
                  && strcmp(authorization + 7, config.api_key) == 0;
        if (!ok)
            return s_reply_json(
                reply, 401,
                s_error("Incorrect API key provided. You can find your API "
                        "key at https://platform.openai.com/account/api-keys.",
                        "invalid_request_error", NULL, "invalid_api_key"));
    }

    json_error_t error;
    json_t *doc = json_loadb(body ? body : "", body_len, 0, &error);
    size_t prompt_bytes = 0;
    char *last_user = NULL;
    json_t *invalid = s_validate(doc, &prompt_bytes, &last_user);
    if (invalid) {
        free(last_user);
        json_decref(doc);
        return s_reply_json(reply, 400, invalid);
    }
    const char *text = last_user ? last_user : "";
    const char *line = text;
    size_t line_len = 0;
    s_find_title_line(text, &line, &line_len);
    if (line_len >= 6 && strncmp(line, "Title:", 6) == 0)
        s_title_of(line, line_len, reply->title, sizeof(reply->title));

    pthread_mutex_lock(&self->lock);
    s_fault_t fault = s_draw_fault(self);
    pthread_mutex_unlock(&self->lock);

    int rc = 0;
    const char *model = json_string_value(json_object_get(doc, "model"));
    switch (fault) {
        case S_FAULT_TIMEOUT:
            reply->hang = true;
            rc = s_reply_json(reply, 504,
                              s_error("The server did not answer in time.",
                                      "server_error", NULL, "timeout"));
            break;
        case S_FAULT_429: {
            char message[512];
            if (snprintf(message, sizeof(message),
                         "Rate limit reached for %s in organization "
                         "org-simulator on tokens per min (TPM): Limit "
                         "200000, Used 199620, Requested %zu. Please try "
                         "again in 130ms. Visit "
                         "https://platform.openai.com/account/rate-limits to "
                         "learn more.",
                         model ? model : "sim-model", prompt_bytes / 4 + 1)
                >= (int)sizeof(message))
                message[0] = '\0';
            if (config.retry_after >= 0)
                s_cat(reply->headers, sizeof(reply->headers),
                      "retry-after: %d\r\n", config.retry_after);
            s_cat(reply->headers, sizeof(reply->headers),
                  "x-ratelimit-limit-requests: 10000\r\n"
                  "x-ratelimit-limit-tokens: 200000\r\n"
                  "x-ratelimit-remaining-requests: 9987\r\n"
                  "x-ratelimit-remaining-tokens: 0\r\n"
                  "x-ratelimit-reset-requests: 77ms\r\n"
                  "x-ratelimit-reset-tokens: 244ms\r\n");
            rc = s_reply_json(
                reply, 429,
                s_error(message, "tokens", NULL, "rate_limit_exceeded"));
            break;
        }
        case S_FAULT_500:
            rc = s_reply_json(reply, 500,
                              s_error("The server had an error while "
                                      "processing your request. Sorry about "
                                      "that!",
                                      "server_error", NULL, NULL));
            break;
        default:
            s_cat(reply->headers, sizeof(reply->headers),
                  "openai-processing-ms: %d\r\n"
                  "x-ratelimit-limit-requests: 10000\r\n"
                  "x-ratelimit-limit-tokens: 200000\r\n"
                  "x-ratelimit-remaining-requests: 9999\r\n"
                  "x-ratelimit-remaining-tokens: 199000\r\n"
                  "x-ratelimit-reset-requests: 6ms\r\n"
                  "x-ratelimit-reset-tokens: 300ms\r\n",
                  config.latency_ms);
            rc = s_success(reply, doc, fault, line, line_len, prompt_bytes,
                           id_seed);
            break;
    }
    free(last_user);
    json_decref(doc);
    return rc;
}

void
llmsim_end(llmsim_t *self, const llmsim_reply_t *reply, int sent_status)
{
    int64_t now = ps_time_now_ms();
    pthread_mutex_lock(&self->lock);
    self->in_flight--;
    if (sent_status >= 0 && sent_status < S_STATUS_MAX)
        self->by_status[sent_status]++;
    if (sent_status == 200) {
        self->prompt_tokens += reply->prompt_tokens;
        self->completion_tokens += reply->completion_tokens;
    }
    s_log_entry_t *entry = &self->log[self->log_next];
    entry->at_ms = now;
    entry->status = sent_status;
    s_copy_utf8(entry->title, sizeof(entry->title), reply->title,
                strlen(reply->title));
    self->log_next = (self->log_next + 1) % S_LOG_MAX;
    if (self->log_count < S_LOG_MAX)
        self->log_count++;
    pthread_mutex_unlock(&self->lock);
}

void
llmsim_reply_clear(llmsim_reply_t *reply)
{
    free(reply->body);
    memset(reply, 0, sizeof(*reply));
}

/* Reads one knob. Returns 0 when absent or valid, -1 when invalid. */
static int
s_knob_rate(json_t *doc, const char *name, double *out, char *err,
            size_t errlen)
{
    json_t *value = json_object_get(doc, name);
    if (!value)
        return 0;
    if (!json_is_number(value) || json_number_value(value) < 0
        || json_number_value(value) > 1) {
        snprintf(err, errlen, "%s must be a number in [0,1]", name);
        return -1;
    }
    *out = json_number_value(value);
    return 0;
}

static int
s_knob_int(json_t *doc, const char *name, int min, int max, int *out, char *err,
           size_t errlen)
{
    json_t *value = json_object_get(doc, name);
    if (!value)
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < min
        || json_integer_value(value) > max) {
        snprintf(err, errlen, "%s must be an integer in %d..%d", name, min,
                 max);
        return -1;
    }
    *out = (int)json_integer_value(value);
    return 0;
}

int
llmsim_configure(llmsim_t *self, const char *json, size_t len, char *err,
                 size_t errlen)
{
    static const char *known[] = {
        "latency_ms",   "fail_429",       "fail_500",       "timeout",
        "malformed",    "truncated",      "fail_429_next",  "fail_500_next",
        "timeout_next", "malformed_next", "truncated_next", "retry_after",
        "api_key"};
    json_error_t error;
    json_t *doc = json_loadb(json ? json : "", len, 0, &error);
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "body must be a JSON object");
        json_decref(doc);
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok) {
            snprintf(err, errlen, "unknown knob \"%.64s\"", key);
            json_decref(doc);
            return -1;
        }
    }
    pthread_mutex_lock(&self->lock);
    llmsim_config_t c = self->config;
    pthread_mutex_unlock(&self->lock);
    int rc = 0;
    rc |= s_knob_int(doc, "latency_ms", 0, 600000, &c.latency_ms, err, errlen);
    rc |= s_knob_rate(doc, "fail_429", &c.fail_429, err, errlen);
    rc |= s_knob_rate(doc, "fail_500", &c.fail_500, err, errlen);
    rc |= s_knob_rate(doc, "timeout", &c.timeout, err, errlen);
    rc |= s_knob_rate(doc, "malformed", &c.malformed, err, errlen);
    rc |= s_knob_rate(doc, "truncated", &c.truncated, err, errlen);
    rc |= s_knob_int(doc, "fail_429_next", 0, 1000000, &c.fail_429_next, err,
                     errlen);
    rc |= s_knob_int(doc, "fail_500_next", 0, 1000000, &c.fail_500_next, err,
                     errlen);
    rc |= s_knob_int(doc, "timeout_next", 0, 1000000, &c.timeout_next, err,
                     errlen);
    rc |= s_knob_int(doc, "malformed_next", 0, 1000000, &c.malformed_next, err,
                     errlen);
    rc |= s_knob_int(doc, "truncated_next", 0, 1000000, &c.truncated_next, err,
                     errlen);
    rc |= s_knob_int(doc, "retry_after", -1, 3600, &c.retry_after, err, errlen);
    json_t *key_value = json_object_get(doc, "api_key");
    if (key_value) {
        if (!json_is_string(key_value)
            || snprintf(c.api_key, sizeof(c.api_key), "%s",
                        json_string_value(key_value))
                   >= (int)sizeof(c.api_key)) {
            snprintf(err, errlen, "api_key must be a string under 256 bytes");
            rc = -1;
        }
    }
    json_decref(doc);
    if (rc != 0)
        return -1;
    /* Knobs the body does not mention keep their current value. */
    pthread_mutex_lock(&self->lock);
    self->config = c;
    pthread_mutex_unlock(&self->lock);
    return 0;
}

json_t *
llmsim_config_json(llmsim_t *self)
{
    pthread_mutex_lock(&self->lock);
    llmsim_config_t c = self->config;
    pthread_mutex_unlock(&self->lock);
    return json_pack(
        "{s:i, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:i, s:i, "
        "s:i, s:i, s:b}",
        "latency_ms", c.latency_ms, "fail_429", c.fail_429, "fail_500",
        c.fail_500, "timeout", c.timeout, "malformed", c.malformed, "truncated",
        c.truncated, "fail_429_next", c.fail_429_next, "fail_500_next",
        c.fail_500_next, "timeout_next", c.timeout_next, "malformed_next",
        c.malformed_next, "truncated_next", c.truncated_next, "retry_after",
        c.retry_after, "api_key_set", c.api_key[0] != '\0');
}

void
llmsim_reset(llmsim_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->config = self->initial;
    self->rng = self->seed;
    self->calls = 0;
    self->max_in_flight = self->in_flight;
    memset(self->by_status, 0, sizeof(self->by_status));
    self->prompt_tokens = 0;
    self->completion_tokens = 0;
    self->log_next = 0;
    self->log_count = 0;
    pthread_mutex_unlock(&self->lock);
}

json_t *
llmsim_stats_json(llmsim_t *self)
{
    json_t *by_status = json_object();
    json_t *log = json_array();
    pthread_mutex_lock(&self->lock);
    for (int s = 0; s < S_STATUS_MAX; s++) {
        if (!self->by_status[s])
            continue;
        char key[8];
        snprintf(key, sizeof(key), "%d", s);
        json_object_set_new(by_status, key, json_integer(self->by_status[s]));
    }
    size_t start = (self->log_next + S_LOG_MAX - self->log_count) % S_LOG_MAX;
    for (size_t i = 0; i < self->log_count; i++) {
        const s_log_entry_t *e = &self->log[(start + i) % S_LOG_MAX];
        json_array_append_new(log, json_pack("{s:I, s:i, s:s}", "at_ms",
                                             (json_int_t)e->at_ms, "status",
                                             e->status, "title", e->title));
    }
    json_t *out = json_pack(
        "{s:I, s:I, s:I, s:o, s:I, s:I, s:o}", "calls", (json_int_t)self->calls,
        "in_flight", (json_int_t)self->in_flight, "max_in_flight",
        (json_int_t)self->max_in_flight, "by_status", by_status,
        "prompt_tokens", (json_int_t)self->prompt_tokens, "completion_tokens",
        (json_int_t)self->completion_tokens, "calls_log", log);
    pthread_mutex_unlock(&self->lock);
    return out;
}
