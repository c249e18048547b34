/*  judge - the ai-judge's contract with the LLM, as pure functions.

    Speaks the OpenAI-compatible chat-completions contract
    (../shared/contracts/openai-chat.md) to OpenAI, Ollama, llama.cpp or
    vLLM. Everything that can be decided without a network lives here
    (prompt and body building, verdict parsing, the structured-output
    fallback, thresholds and blending, prices and budget estimates, retry
    waits) so tests pin the contract down. The calls themselves run in
    judge_engine (curl multi, many at once); the loop in judge_service.
    A failure never approves: it becomes a review with no score.
    Nothing here keeps state; any thread may call these functions.        */
#ifndef JUDGE_H_INCLUDED
#define JUDGE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_config.h"
#include "ps_fact.h"
#include "ps_work.h"

#define JUDGE_DEFAULT_BASE_URL "https://api.openai.com/v1"
#define JUDGE_MAX_HEADER_WAIT_MS 60000 /* cap of a server-requested wait */
#define JUDGE_MAX_BACKOFF_MS 8000      /* cap of exponential backoff */
#define JUDGE_BASE_BACKOFF_MS 500      /* first retry's backoff */
#define JUDGE_OVERVIEW_MAX 280         /* overview bytes in the prompt */

/* The verdict schema of openai-chat.md §2.1, validated. */
typedef struct {
    double approval_score;  /* in [0,1] */
    char reason[512];       /* one sentence, truncated if longer */
    double quality;         /* risks.quality in [0,1] */
    double storage;         /* risks.storage in [0,1] */
    double appropriateness; /* risks.appropriateness in [0,1] */
    double user_trust;      /* risks.user_trust in [0,1] */
} judge_verdict_t;

/* What one 200 response said. */
typedef struct {
    char model[128];           /* response `model`, "" when absent */
    int64_t prompt_tokens;     /* usage.prompt_tokens, 0 when absent */
    int64_t completion_tokens; /* usage.completion_tokens, 0 when absent */
    int64_t cached_tokens;     /* prompt_tokens_details.cached_tokens */
    char finish_reason[32];    /* choices[0].finish_reason, "" if null */
    judge_verdict_t verdict;   /* valid only when parse returned 0 */
} judge_response_t;

/* How to react to a failed attempt. */
typedef enum {
    JUDGE_FATAL = 0, /* no retry: 400/401/403/404, quota, bad verdict */
    JUDGE_RETRY      /* transient: 429, 408, 409, 5xx, timeout, connect */
} judge_retry_t;

/* Which response_format a request body asks for. */
typedef enum {
    JUDGE_FORMAT_SCHEMA = 0, /* json_schema with the verdict schema */
    JUDGE_FORMAT_OBJECT      /* json_object; the prompt spells the shape */
} judge_format_t;

/* A model's prices, USD per 1M tokens. */
typedef struct {
    double input;        /* uncached prompt tokens */
    double cached_input; /* cached prompt tokens */
    double output;       /* completion tokens */
} judge_price_t;

/* Called after every HTTP attempt with its usage record (owned by the
   caller of the callback; copy what you keep). */
typedef void(judge_usage_fn)(const ps_usage_t *usage, void *arg);

/* True when no AI is configured: ai.enabled false, or no ai.api_key
   while ai.base_url is OpenAI's default. */
bool judge_ai_off(const ps_config_t *config);

/* True when base_url points at api.openai.com. */
bool judge_is_openai(const char *base_url);

/* The token-limit field to send: ai.token_field, or with "auto"
   max_completion_tokens for api.openai.com and max_tokens elsewhere.
   Returns a static string. */
const char *judge_token_field(const ps_config_t *config);

/* Writes base_url without trailing slashes + "/chat/completions".
   Returns 0, or -1 when buf is too small. */
int judge_url(const char *base_url, char *buf, size_t len);

/* Builds the user prompt for `work` at now_ms (account age, trust level),
   with the server's policy (ai.policy) and the learner's score when
   `learner` is not NULL. Every line is "Label: value"; the first is
   "Title: ...". The email is never included. Returns a new string
   (caller frees) or NULL on OOM. */
char *judge_user_prompt(const ps_config_t *config, const ps_work_t *work,
                        int64_t now_ms, const double *learner);

/* The system prompt for a response format (static string). With
   JUDGE_FORMAT_OBJECT it spells the verdict's JSON shape, as JSON mode
   enforces none. */
const char *judge_system_prompt(judge_format_t format);

/* Builds the JSON request body (model, temperature, token cap, stream
   false, response_format, system + user messages) around a user prompt
   made by judge_user_prompt. Returns a new string (caller frees) or NULL
   on OOM. */
char *judge_request_body(const ps_config_t *config, const char *user_prompt,
                         judge_format_t format);

/* Parses the verdict JSON text (choices[0].message.content). Returns 0,
   or -1 with what was wrong in err (e.g. "verdict field
   `approval_score`: 1.7 is outside [0,1]"). */
int judge_parse_verdict(const char *content, judge_verdict_t *verdict,
                        char *err, size_t errlen);

/* Parses a 200 body. Model and token counts are filled whenever the body
   is JSON, even when the verdict is unusable. Returns 0 with a valid
   verdict, or -1 with the reason in err (null content, refusal,
   truncated, bad verdict, not JSON). */
int judge_parse_response(const char *body, size_t len, judge_response_t *out,
                         char *err, size_t errlen);

/* Extracts the error text of a non-200 body in any of the envelope
   shapes of openai-chat.md §4.1 into buf ("" if none) and its `code`
   into code (may be NULL; "" if none). */
void judge_error_message(const char *body, char *buf, size_t len, char *code,
                         size_t codelen);

/* True when a failed answer says the server does not support the
   json_schema response format (a 400 whose error mentions
   response_format or json_schema, in its message or `param`): the
   request is then sent again with json_object. */
bool judge_wants_json_object(long status, const char *body);

/* Decides whether an HTTP status (0 = no answer) with its error code is
   worth another attempt. */
judge_retry_t judge_classify(long status, const char *code);

/* True when an attempt's result says the LLM server is unwell (no
   answer, timeout, 5xx): what the circuit breaker counts. */
bool judge_is_outage(long status);

/* Maps an approval score to an outcome with the confidence thresholds:
   >= auto_approve approve, <= auto_reject decline, else review, or with
   needs_review false approve at >= 0.5 and decline below. */
ps_outcome_t judge_outcome(const ps_config_t *config, double score);

/* The final approval score: (1 - weight) * ai + weight * learner when a
   learner score exists (learner not NULL), else ai. weight is
   ml.feedback_weight, clamped to [0,1]. */
double judge_blend(double ai, const double *learner, double weight);

/* Finds the prices of `model` (a -YYYY-MM-DD suffix is ignored): the
   longest prefix in ai.prices, or when that list is empty in the
   built-in table (openai-chat.md §6). config may be NULL (built-ins).
   Returns true with *price filled, or false (unknown: costs 0). */
bool judge_price_find(const ps_config_t *config, const char *model,
                      judge_price_t *price);

/* Price of a call in USD (openai-chat.md §5); unknown models cost 0. */
double judge_cost_usd(const ps_config_t *config, const char *model,
                      int64_t prompt_tokens, int64_t completion_tokens,
                      int64_t cached_tokens);

/* An upper bound of a call's cost for the daily budget: prompt tokens
   taken as ceil(prompt_bytes / 4) at the uncached input price, plus
   max_tokens at the output price. */
double judge_budget_estimate(const judge_price_t *price, size_t prompt_bytes,
                             int max_tokens);

/* Parses a Go duration ("77ms", "1s", "6m0s", "1h2m3.5s") into ms,
   rounded up. Returns 0, or -1. */
int judge_parse_go_duration(const char *text, int64_t *ms);

/* The wait a response's headers ask for ("name: value\n" lines with
   lower-case names, as ps_http gives them): retry-after-ms, else
   retry-after (seconds or an HTTP date, against now_ms), else the larger
   x-ratelimit-reset-* whose remaining-* is 0. Capped at
   JUDGE_MAX_HEADER_WAIT_MS. Returns the ms, or -1 when the headers ask
   for nothing. */
int64_t judge_header_wait_ms(const char *headers, int64_t now_ms);

/* Exponential backoff before retry number `retry` (0 = first retry):
   JUDGE_BASE_BACKOFF_MS * 2^retry, +/-25 % jitter from `unit` in [0,1),
   capped at JUDGE_MAX_BACKOFF_MS. */
int64_t judge_backoff_ms(int retry, double unit);

/* Turns `work` into the AI's decision from a verdict: the score is the
   blend of the verdict with the learner's score (NULL: none yet) by
   ml.feedback_weight, ai_score the verdict's raw score; outcome by
   thresholds on the final score, source "ai", rule "", message_id
   "ai_verdict", params score + reason (+ cached "true" when `cached`:
   the verdict was reused and no LLM was called), explanation = reason,
   model. Returns 0, or -1 on OOM. */
int judge_apply_verdict(const ps_config_t *config, ps_work_t *work,
                        const judge_verdict_t *verdict, const char *model,
                        const double *learner, bool cached);

/* Turns `work` into a review with no score: message_id "ai_failed",
   explanation "AI judge failed: <reason>; a person decides.".
   Returns 0, or -1 on OOM. */
int judge_apply_failure(ps_work_t *work, const char *reason, const char *model);

/* Turns `work` into a review because no AI is configured (message_id
   "ai_off"). Returns 0, or -1 on OOM. */
int judge_apply_off(ps_work_t *work);

#endif
