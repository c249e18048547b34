/*  judge_engine - see judge_engine.h.

    Each request in progress is a job on one list. A job is either in
    flight (it has a curl easy handle on the multi handle) or waiting
    (due_ms says when its next attempt starts: a retry's backoff or a
    server-requested wait). judge_engine_run finishes completed transfers
    and starts due jobs; judge_engine_poll sleeps until the nearest of
    curl's sockets, curl's timeout, the nearest due job, or the caller's
    extra fd. All times are monotonic milliseconds except the prompt's
    "now" (account age), which is wall-clock.
    The order of checks before an attempt matters: the breaker first (no
    reservation for a call that will not be made), then the budget (a
    refused reservation gives the breaker's probe permit back).           */
#include "judge_engine.h"
#include "judge_breaker.h"
#include "judge_cache.h"
#include "ps_log.h"
#include "ps_time.h"
#include "rules.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JUDGE_CONNECT_TIMEOUT_MS 5000
#define JUDGE_MAX_BODY (1024 * 1024)
#define JUDGE_MAX_HEADERS (64 * 1024)
#define JUDGE_CACHE_MAX 10000
#define JUDGE_BUDGET_WAIT_MS 200 /* recheck when estimates fill the budget */
#define JUDGE_KEY_MAX 1536

typedef struct {
    char *data;    /* NUL-terminated bytes */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
    size_t max;    /* hard limit */
    bool overflow; /* max was passed */
} s_buf_t;

typedef struct s_job {
    struct s_job *prev;           /* list links */
    struct s_job *next;           /* list links */
    ps_work_t *work;              /* the record being judged, owned */
    char *prompt;                 /* user prompt, built once */
    char *key;                    /* cache key, or NULL when caching is off */
    char *body;                   /* request body of the current attempt */
    CURL *easy;                   /* in flight when not NULL */
    struct curl_slist *headers;   /* request headers of the attempt */
    s_buf_t response;             /* response body */
    s_buf_t response_headers;     /* "name: value\n", lower-case names */
    char errbuf[CURL_ERROR_SIZE]; /* curl's error text */
    int attempt;                  /* attempts started (format retry not) */
    int64_t due_ms;               /* waiting: when the next attempt starts */
    int64_t started_ms;           /* in flight: when it started */
    bool probe;                   /* this attempt is the breaker's probe */
    bool format_retried;          /* the json_object retry was used */
    judge_format_t format;        /* response_format of this attempt */
    char model[128];              /* model asked, then as resolved */
    char reason[512];             /* why the last attempt failed */
} s_job_t;

struct judge_engine {
    CURLM *multi;               /* every transfer in flight */
    char *instance;             /* usage records' instance id */
    judge_hooks_t hooks;        /* the way out */
    s_job_t *head;              /* jobs in progress */
    size_t job_count;           /* entries on the list */
    judge_breaker_t breaker;    /* LLM server health */
    judge_cache_t *cache;       /* reused verdicts */
    judge_format_t format;      /* JUDGE_FORMAT_OBJECT once a server said */
    char *base_url;             /* the server `format` was learnt from */
    uint64_t rng;               /* xorshift state for backoff jitter */
    judge_engine_stats_t stats; /* counters */
    bool curl_global;           /* curl_global_init succeeded */
    int budget_state;           /* S_BUDGET_*, as last logged */
};

/* What the last budget reservation said, so it is logged once. */
enum { S_BUDGET_OK = 0, S_BUDGET_REACHED, S_BUDGET_UNKNOWN };

/* ---- small helpers --------------------------------------------------------
 */

static int
s_buf_append(s_buf_t *buf, const char *data, size_t len)
{
    if (buf->len + len > buf->max) {
        buf->overflow = true;
        return -1;
    }
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 1024;
        while (cap < buf->len + len + 1)
            cap *= 2;
        char *grown = realloc(buf->data, cap);
        if (!grown)
            return -1;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

static void
s_buf_reset(s_buf_t *buf, size_t max)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
    buf->max = max;
}

static size_t
s_on_body(char *data, size_t size, size_t count, void *userdata)
{
    s_job_t *job = userdata;
    return s_buf_append(&job->response, data, size * count) == 0 ? size * count
                                                                 : 0;
}

static size_t
s_on_header(char *data, size_t size, size_t count, void *userdata)
{
    s_job_t *job = userdata;
    size_t len = size * count;
    /* A new status line (100-continue) starts a new header set. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        job->response_headers.len = 0;
        if (job->response_headers.data)
            job->response_headers.data[0] = '\0';
        return len;
    }
    char line[1024];
    size_t n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
    memcpy(line, data, n);
    line[n] = '\0';
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    for (char *p = line; p < colon; p++)
        *p = (char)tolower((unsigned char)*p);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = '\0';
    /* Too many headers only drops headers: the body still matters. */
    if (s_buf_append(&job->response_headers, line, n) == 0)
        s_buf_append(&job->response_headers, "\n", 1);
    return len;
}

static double
s_random_unit(judge_engine_t *self)
{
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    return (double)(self->rng >> 11) / 9007199254740992.0;
}

static void
s_report_breaker(judge_engine_t *self, const char *detail)
{
    const char *name = judge_breaker_name(self->breaker.state);
    if (self->breaker.state == JUDGE_BREAKER_CLOSED)
        ps_log_info("LLM circuit breaker closed detail=\"%s\"", detail);
    else
        ps_log_warn("LLM circuit breaker %s detail=\"%s\"", name, detail);
    if (self->hooks.status)
        self->hooks.status(name, detail, self->hooks.arg);
}

/* ---- jobs ------------------------------------------------------------------
 */

static void
s_job_transfer_end(judge_engine_t *self, s_job_t *job)
{
    if (job->easy) {
        curl_multi_remove_handle(self->multi, job->easy);
        curl_easy_cleanup(job->easy);
        job->easy = NULL;
    }
    curl_slist_free_all(job->headers);
    job->headers = NULL;
    free(job->body);
    job->body = NULL;
    s_buf_reset(&job->response, JUDGE_MAX_BODY);
    s_buf_reset(&job->response_headers, JUDGE_MAX_HEADERS);
}

/* Unlinks and frees a job (its record too, when still held). */
static void
s_job_destroy(judge_engine_t *self, s_job_t *job)
{
    if (job->probe)
        judge_breaker_cancel(&self->breaker);
    s_job_transfer_end(self, job);
    if (job->prev)
        job->prev->next = job->next;
    else if (self->head == job)
        self->head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    self->job_count--;
    ps_work_destroy(&job->work);
    free(job->prompt);
    free(job->key);
    free(job);
}

/* Hands a finished record to the done hook (or destroys it). */
static void
s_deliver(judge_engine_t *self, ps_work_t **work_p)
{
    if (self->hooks.done)
        self->hooks.done(work_p, self->hooks.arg);
    ps_work_destroy(work_p);
}

/* Sends `work` to review for `reason`, counting it as failed. `quiet`
   when the cause was already warned about once (breaker, budget). */
static void
s_deliver_failure(judge_engine_t *self, ps_work_t **work_p, const char *reason,
                  const char *model, bool quiet)
{
    if (quiet)
        ps_log_debug("sent to review req=%lld err=\"%s\"",
                     (long long)(*work_p)->request_id, reason);
    else
        ps_log_warn("AI judge failed, sent to review req=%lld err=\"%s\"",
                    (long long)(*work_p)->request_id, reason);
    if (judge_apply_failure(*work_p, reason, model) != 0) {
        ps_log_error("out of memory building a review req=%lld",
                     (long long)(*work_p)->request_id);
        ps_work_destroy(work_p);
        return;
    }
    self->stats.decided++;
    self->stats.failed++;
    s_deliver(self, work_p);
}

static void
s_job_fail_as(judge_engine_t *self, s_job_t *job, const char *reason,
              bool quiet)
{
    s_deliver_failure(self, &job->work, reason,
                      job->model[0] ? job->model : NULL, quiet);
    s_job_destroy(self, job);
}

static void
s_job_fail(judge_engine_t *self, s_job_t *job, const char *reason)
{
    s_job_fail_as(self, job, reason, false);
}

static void
s_emit_usage(judge_engine_t *self, const ps_config_t *config,
             const s_job_t *job, const judge_response_t *parsed, long status,
             int64_t latency, bool ok)
{
    if (!self->hooks.usage)
        return;
    ps_usage_t usage;
    memset(&usage, 0, sizeof(usage));
    usage.request_id = job->work->request_id;
    usage.model = (char *)job->model;
    if (parsed) {
        usage.prompt_tokens = parsed->prompt_tokens;
        usage.completion_tokens = parsed->completion_tokens;
        usage.cached_tokens = parsed->cached_tokens;
    }
    usage.cost_usd =
        judge_cost_usd(config, job->model, usage.prompt_tokens,
                       usage.completion_tokens, usage.cached_tokens);
    usage.latency_ms = latency;
    usage.http_status = status;
    usage.ok = ok;
    usage.at = ps_time_now_ms();
    usage.instance = self->instance;
    self->hooks.usage(&usage, self->hooks.arg);
}

/* ---- the engine ------------------------------------------------------------
 */

judge_engine_t *
judge_engine_new(const ps_config_t *config, const char *instance,
                 const judge_hooks_t *hooks)
{
    judge_engine_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->curl_global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    self->multi = self->curl_global ? curl_multi_init() : NULL;
    self->instance = strdup(instance ? instance : "ai-judge");
    self->cache = judge_cache_new(JUDGE_CACHE_MAX);
    self->base_url = strdup(config->ai.base_url);
    if (hooks)
        self->hooks = *hooks;
    self->rng = (uint64_t)ps_time_now_ms() ^ ((uint64_t)getpid() << 32);
    if (!self->rng)
        self->rng = 0x9e3779b97f4a7c15ULL;
    judge_breaker_init(&self->breaker, config->ai.breaker_failures,
                       (int64_t)config->ai.breaker_open_s * 1000);
    if (!self->multi || !self->instance || !self->cache || !self->base_url)
        judge_engine_destroy(&self);
    return self;
}

void
judge_engine_destroy(judge_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    judge_engine_t *self = *self_p;
    while (self->head)
        s_job_destroy(self, self->head);
    judge_cache_destroy(&self->cache);
    if (self->multi)
        curl_multi_cleanup(self->multi);
    if (self->curl_global)
        curl_global_cleanup();
    free(self->base_url);
    free(self->instance);
    free(self);
    *self_p = NULL;
}

void
judge_engine_configure(judge_engine_t *self, const ps_config_t *config)
{
    judge_breaker_configure(&self->breaker, config->ai.breaker_failures,
                            (int64_t)config->ai.breaker_open_s * 1000);
    if (strcmp(self->base_url, config->ai.base_url) != 0) {
        char *copy = strdup(config->ai.base_url);
        if (copy) {
            free(self->base_url);
            self->base_url = copy;
            self->format = JUDGE_FORMAT_SCHEMA;
        }
    }
}

int
judge_engine_free_slots(const judge_engine_t *self, const ps_config_t *config)
{
    int limit = config->ai.concurrency > 0 ? config->ai.concurrency : 1;
    return self->job_count >= (size_t)limit ? 0 : limit - (int)self->job_count;
}

size_t
judge_engine_active(const judge_engine_t *self)
{
    return self->job_count;
}

const char *
judge_engine_breaker(const judge_engine_t *self)
{
    return judge_breaker_name(self->breaker.state);
}

bool
judge_engine_uses_json_object(const judge_engine_t *self)
{
    return self->format == JUDGE_FORMAT_OBJECT;
}

void
judge_engine_stats(const judge_engine_t *self, judge_engine_stats_t *out)
{
    *out = self->stats;
}

/* Logs the budget's state once per change, not once per request. */
static void
s_budget_state(judge_engine_t *self, int state, const char *reason)
{
    if (self->budget_state == state)
        return;
    self->budget_state = state;
    if (state == S_BUDGET_OK)
        ps_log_info("AI budget available again; calling the LLM");
    else
        ps_log_warn("requests go to review without an LLM call until the "
                    "budget allows err=\"%s\"",
                    reason);
}

/* Asks the gateway for this attempt's share of the daily budget. Returns
   0 when the call may go, 1 when only the estimates of calls in flight
   fill the budget (wait: they mostly cost far less than estimated and
   are released as their usage arrives), or -1 with the reason in
   job->reason when the day's spend itself leaves no room. */
static int
s_reserve(judge_engine_t *self, const ps_config_t *config, s_job_t *job)
{
    double budget = config->ai.daily_budget_usd;
    if (budget <= 0)
        return 0;
    judge_price_t price = {0, 0, 0};
    judge_price_find(config, config->ai.model, &price);
    double estimate =
        judge_budget_estimate(&price, strlen(job->body), config->ai.max_tokens);
    ps_reserve_reply_t reply;
    memset(&reply, 0, sizeof(reply));
    if (!self->hooks.reserve
        || self->hooks.reserve(job->work->request_id, estimate, &reply,
                               self->hooks.arg)
               != 0) {
        snprintf(job->reason, sizeof(job->reason),
                 "cannot check the AI budget (the gateway did not answer)");
        s_budget_state(self, S_BUDGET_UNKNOWN, job->reason);
        return -1;
    }
    if (!reply.granted && reply.budget_usd > 0
        && reply.spent_usd + estimate <= reply.budget_usd)
        return 1;
    if (!reply.granted) {
        /* Cents hide a small budget's state: four decimals below $1. */
        double cap = reply.budget_usd > 0 ? reply.budget_usd : budget;
        int decimals = cap < 1 ? 4 : 2;
        snprintf(job->reason, sizeof(job->reason),
                 "daily AI budget reached ($%.*f of $%.*f)", decimals,
                 reply.spent_usd + reply.reserved_usd, decimals, cap);
        s_budget_state(self, S_BUDGET_REACHED, job->reason);
        return -1;
    }
    s_budget_state(self, S_BUDGET_OK, "");
    return 0;
}

#define S_SETOPT(option, value)                                                \
    do {                                                                       \
        if (curl_easy_setopt(job->easy, option, value) != CURLE_OK)            \
            goto out;                                                          \
    } while (0)

/* Creates the attempt's easy handle and adds it to the multi handle.
   Returns 0, or -1 with the reason in job->reason. */
static int
s_transfer_start(judge_engine_t *self, const ps_config_t *config, s_job_t *job)
{
    int rc = -1;
    char url[1024];
    char auth[1024];
    const char *key =
        config->ai.api_key && *config->ai.api_key ? config->ai.api_key : "none";
    snprintf(job->reason, sizeof(job->reason), "cannot start the LLM call");
    if (judge_url(config->ai.base_url, url, sizeof(url)) != 0) {
        snprintf(job->reason, sizeof(job->reason), "ai.base_url is too long");
        goto out;
    }
    int n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    if (n < 0 || (size_t)n >= sizeof(auth)) {
        snprintf(job->reason, sizeof(job->reason), "ai.api_key is too long");
        goto out;
    }
    const char *lines[] = {"Content-Type: application/json",
                           "Accept: application/json", auth};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct curl_slist *grown = curl_slist_append(job->headers, lines[i]);
        if (!grown)
            goto out;
        job->headers = grown;
    }
    job->easy = curl_easy_init();
    if (!job->easy)
        goto out;
    job->errbuf[0] = '\0';
    S_SETOPT(CURLOPT_URL, url);
    S_SETOPT(CURLOPT_PRIVATE, job);
    S_SETOPT(CURLOPT_NOSIGNAL, 1L);
    S_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)JUDGE_CONNECT_TIMEOUT_MS);
    S_SETOPT(CURLOPT_TIMEOUT_MS, (long)config->ai.timeout_ms);
    S_SETOPT(CURLOPT_HTTPHEADER, job->headers);
    S_SETOPT(CURLOPT_POSTFIELDS, job->body);
    S_SETOPT(CURLOPT_POSTFIELDSIZE, (long)strlen(job->body));
    S_SETOPT(CURLOPT_WRITEFUNCTION, s_on_body);
    S_SETOPT(CURLOPT_WRITEDATA, job);
    S_SETOPT(CURLOPT_HEADERFUNCTION, s_on_header);
    S_SETOPT(CURLOPT_HEADERDATA, job);
    S_SETOPT(CURLOPT_ERRORBUFFER, job->errbuf);
    S_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_multi_add_handle(self->multi, job->easy) != CURLM_OK)
        goto out;
    rc = 0;
out:
    /* The key must not linger on the stack longer than needed. */
    memset(auth, 0, sizeof(auth));
    if (rc != 0 && job->easy) {
        curl_easy_cleanup(job->easy);
        job->easy = NULL;
    }
    return rc;
}

/* Starts the next attempt of a waiting job, or finishes it with a review
   when the breaker or the budget refuses. */
static void
s_job_start(judge_engine_t *self, const ps_config_t *config, s_job_t *job,
            int64_t now)
{
    judge_breaker_state_t before = self->breaker.state;
    bool probe = false;
    bool allowed = judge_breaker_acquire(&self->breaker, now, &probe);
    if (self->breaker.state != before)
        s_report_breaker(self, "probing the LLM server with one call");
    if (!allowed) {
        s_job_fail_as(self, job, "LLM unavailable (circuit open)", true);
        return;
    }
    job->probe = probe;
    job->format = self->format;
    s_job_transfer_end(self, job);
    job->body = judge_request_body(config, job->prompt, job->format);
    if (!job->body) {
        s_job_fail(self, job, "out of memory building the request");
        return;
    }
    int reserved = s_reserve(self, config, job);
    if (reserved == 1) {
        if (probe)
            judge_breaker_cancel(&self->breaker);
        job->due_ms = now + JUDGE_BUDGET_WAIT_MS;
        return;
    }
    if (reserved != 0) {
        if (probe)
            judge_breaker_cancel(&self->breaker);
        s_job_fail_as(self, job, job->reason, true);
        return;
    }
    if (s_transfer_start(self, config, job) != 0) {
        s_job_fail(self, job, job->reason);
        return;
    }
    job->attempt++;
    job->started_ms = now;
    job->due_ms = 0;
    job->reason[0] = '\0';
    self->stats.llm_calls++;
}

int
judge_engine_submit(judge_engine_t *self, const ps_config_t *config,
                    ps_work_t **work_p)
{
    ps_work_t *work = *work_p;
    *work_p = NULL;
    if (judge_ai_off(config)) {
        if (judge_apply_off(work) != 0) {
            ps_work_destroy(&work);
            return -1;
        }
        self->stats.decided++;
        s_deliver(self, &work);
        return 0;
    }
    int64_t now = ps_time_mono_ms();
    int64_t wall = ps_time_now_ms();
    char key[JUDGE_KEY_MAX];
    bool caching = config->ai.cache_ttl_s > 0
                   && judge_cache_key(
                          config, work,
                          ps_config_level_name(rules_level(config, work, wall)),
                          key, sizeof(key))
                          == 0;
    judge_verdict_t verdict;
    char model[128];
    if (caching
        && judge_cache_get(self->cache, key, now, &verdict, model,
                           sizeof(model))) {
        /* The learner's score would be blended here too; none exists. */
        if (judge_apply_verdict(config, work, &verdict, model, NULL, true)
            != 0) {
            s_deliver_failure(self, &work, "out of memory", NULL, false);
            return -1;
        }
        ps_log_debug("verdict reused req=%lld score=%.2f",
                     (long long)work->request_id, verdict.approval_score);
        self->stats.decided++;
        self->stats.cached++;
        s_deliver(self, &work);
        return 0;
    }
    s_job_t *job = calloc(1, sizeof(*job));
    if (job) {
        job->prompt = judge_user_prompt(config, work, wall, NULL);
        job->key = caching ? strdup(key) : NULL;
    }
    if (!job || !job->prompt || (caching && !job->key)) {
        if (job) {
            free(job->prompt);
            free(job->key);
            free(job);
        }
        s_deliver_failure(self, &work, "out of memory building the prompt",
                          NULL, false);
        return -1;
    }
    job->work = work;
    snprintf(job->model, sizeof(job->model), "%s", config->ai.model);
    s_buf_reset(&job->response, JUDGE_MAX_BODY);
    s_buf_reset(&job->response_headers, JUDGE_MAX_HEADERS);
    job->next = self->head;
    if (self->head)
        self->head->prev = job;
    self->head = job;
    self->job_count++;
    s_job_start(self, config, job, now);
    return 0;
}

/* Schedules the next attempt of a job whose attempt failed, or finishes
   it when that was the last one or the failure is definitive. */
static void
s_job_retry_or_fail(judge_engine_t *self, const ps_config_t *config,
                    s_job_t *job, judge_retry_t retry, int64_t wait,
                    int64_t now)
{
    int attempts = config->ai.max_attempts > 0 ? config->ai.max_attempts : 1;
    s_job_transfer_end(self, job);
    if (retry == JUDGE_FATAL || job->attempt >= attempts) {
        if (retry == JUDGE_RETRY) {
            size_t n = strlen(job->reason);
            snprintf(job->reason + n, sizeof(job->reason) - n,
                     " (gave up after %d attempts)", job->attempt);
        }
        s_job_fail(self, job, job->reason);
        return;
    }
    if (wait < 0)
        wait = judge_backoff_ms(job->attempt - 1, s_random_unit(self));
    ps_log_warn("LLM call failed, retrying req=%lld attempt=%d/%d wait_ms=%lld "
                "err=\"%s\"",
                (long long)job->work->request_id, job->attempt, attempts,
                (long long)wait, job->reason);
    job->due_ms = now + wait;
}

/* Records an attempt's outcome with the breaker and reports a change. */
static void
s_breaker_record(judge_engine_t *self, bool outage, const char *reason,
                 int64_t now)
{
    if (!judge_breaker_record(&self->breaker, outage, now))
        return;
    char detail[600];
    if (self->breaker.state == JUDGE_BREAKER_OPEN)
        snprintf(detail, sizeof(detail),
                 "%d consecutive failures, last: %.400s; calls refused for "
                 "%lld s",
                 self->breaker.failures, reason,
                 (long long)(self->breaker.open_ms / 1000));
    else
        snprintf(detail, sizeof(detail), "the LLM server answers again");
    s_report_breaker(self, detail);
}

/* A 200: a verdict, or a definitive failure. */
static void
s_finish_ok(judge_engine_t *self, const ps_config_t *config, s_job_t *job,
            int64_t latency, int64_t now)
{
    judge_response_t parsed;
    int rc = judge_parse_response(job->response.data, job->response.len,
                                  &parsed, job->reason, sizeof(job->reason));
    if (parsed.model[0])
        snprintf(job->model, sizeof(job->model), "%s", parsed.model);
    s_emit_usage(self, config, job, &parsed, 200, latency, rc == 0);
    s_breaker_record(self, false, "", now);
    if (rc != 0) {
        /* An unusable verdict is definitive: asking again costs money and
           a person decides anyway. */
        s_job_retry_or_fail(self, config, job, JUDGE_FATAL, -1, now);
        return;
    }
    if (job->key)
        judge_cache_put(self->cache, job->key, &parsed.verdict, job->model, now,
                        (int64_t)config->ai.cache_ttl_s * 1000);
    ps_log_debug("verdict req=%lld score=%.2f model=%s attempt=%d",
                 (long long)job->work->request_id,
                 parsed.verdict.approval_score, job->model, job->attempt);
    if (judge_apply_verdict(config, job->work, &parsed.verdict, job->model,
                            NULL, false)
        != 0) {
        s_job_fail(self, job, "out of memory building the decision");
        return;
    }
    self->stats.decided++;
    self->stats.verdicts++;
    s_deliver(self, &job->work);
    s_job_destroy(self, job);
}

/* A transfer ended: decide what happens to its job. */
static void
s_finish(judge_engine_t *self, const ps_config_t *config, s_job_t *job,
         CURLcode result, int64_t now)
{
    long status = 0;
    int64_t latency = now - job->started_ms;
    if (job->probe)
        job->probe = false;
    if (result == CURLE_OK
        && curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status)
               != CURLE_OK)
        status = 0;
    if (result == CURLE_OK && status == 200) {
        s_finish_ok(self, config, job, latency, now);
        return;
    }
    judge_retry_t retry = JUDGE_RETRY;
    int64_t wait = -1;
    if (result == CURLE_OK) {
        char message[320];
        char code[64];
        judge_error_message(job->response.data, message, sizeof(message), code,
                            sizeof(code));
        snprintf(job->reason, sizeof(job->reason), "HTTP %ld%s%s", status,
                 message[0] ? ": " : "", message);
        s_emit_usage(self, config, job, NULL, status, latency, false);
        s_breaker_record(self, judge_is_outage(status), job->reason, now);
        if (job->format == JUDGE_FORMAT_SCHEMA && !job->format_retried
            && judge_wants_json_object(status, job->response.data)) {
            if (self->format != JUDGE_FORMAT_OBJECT)
                ps_log_warn("the LLM server refuses json_schema; using "
                            "json_object from now on base_url=%s err=\"%s\"",
                            config->ai.base_url, job->reason);
            self->format = JUDGE_FORMAT_OBJECT;
            job->format_retried = true;
            /* This retry is ours, not the server's fault: it does not
               count against ai.max_attempts. */
            job->attempt--;
            s_job_transfer_end(self, job);
            job->due_ms = now;
            return;
        }
        retry = judge_classify(status, code);
        wait =
            judge_header_wait_ms(job->response_headers.data, ps_time_now_ms());
    } else {
        if (job->response.overflow) {
            snprintf(job->reason, sizeof(job->reason),
                     "response body over %d bytes", JUDGE_MAX_BODY);
            retry = JUDGE_FATAL;
        } else if (result == CURLE_OPERATION_TIMEDOUT)
            snprintf(job->reason, sizeof(job->reason), "timeout after %d ms",
                     config->ai.timeout_ms);
        else
            snprintf(job->reason, sizeof(job->reason), "%s: %s",
                     result == CURLE_COULDNT_CONNECT
                             || result == CURLE_COULDNT_RESOLVE_HOST
                         ? "cannot connect"
                         : "transport error",
                     job->errbuf[0] ? job->errbuf : curl_easy_strerror(result));
        s_emit_usage(self, config, job, NULL, 0, latency, false);
        s_breaker_record(self, retry == JUDGE_RETRY, job->reason, now);
    }
    s_job_retry_or_fail(self, config, job, retry, wait, now);
}

int
judge_engine_poll(judge_engine_t *self, int extra_fd, int timeout_ms)
{
    long curl_timeout = -1;
    int timeout = timeout_ms < 0 ? 0 : timeout_ms;
    if (curl_multi_timeout(self->multi, &curl_timeout) == CURLM_OK
        && curl_timeout >= 0 && curl_timeout < timeout)
        timeout = (int)curl_timeout;
    int64_t now = ps_time_mono_ms();
    for (s_job_t *job = self->head; job; job = job->next)
        if (!job->easy && job->due_ms - now < timeout)
            timeout = job->due_ms > now ? (int)(job->due_ms - now) : 0;
    struct curl_waitfd extra = {extra_fd, CURL_WAIT_POLLIN, 0};
    /* A signal ends curl_multi_poll as a timeout would (libcurl treats
       EINTR as "nothing happened"), so SIGTERM is seen at once. */
    CURLMcode rc = curl_multi_poll(self->multi, extra_fd >= 0 ? &extra : NULL,
                                   extra_fd >= 0 ? 1 : 0, timeout, NULL);
    return rc == CURLM_OK ? 0 : -1;
}

void
judge_engine_run(judge_engine_t *self, const ps_config_t *config)
{
    int running = 0;
    if (curl_multi_perform(self->multi, &running) != CURLM_OK)
        ps_log_warn("curl_multi_perform failed; retrying");
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(self->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_job_t *job = NULL;
        if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &job)
                != CURLE_OK
            || !job)
            continue;
        s_finish(self, config, job, msg->data.result, ps_time_mono_ms());
    }
    int64_t now = ps_time_mono_ms();
    if (judge_breaker_tick(&self->breaker, now))
        s_report_breaker(self, "probing the LLM server with one call");
    s_job_t *job = self->head;
    bool started = false;
    while (job) {
        s_job_t *next = job->next;
        if (!job->easy && job->due_ms <= now) {
            s_job_start(self, config, job, now);
            started = true;
        }
        job = next;
    }
    /* Let new transfers begin connecting before the caller waits. */
    if (started && curl_multi_perform(self->multi, &running) != CURLM_OK)
        ps_log_warn("curl_multi_perform failed; retrying");
}

void
judge_engine_release_all(judge_engine_t *self, const char *reason)
{
    while (self->head) {
        s_job_t *job = self->head;
        ps_work_t *release = ps_work_new("release");
        if (release) {
            release->request_id = job->work->request_id;
            if (ps_work_set_str(&release->reason, reason) != 0)
                ps_work_destroy(&release);
        }
        if (release)
            s_deliver(self, &release);
        s_job_destroy(self, job);
    }
}
