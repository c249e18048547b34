/*  judge - the ai-judge: one LLM verdict per undecided request.

    Speaks the OpenAI-compatible chat-completions contract
    (../shared/contracts/openai-chat.md) to OpenAI, Ollama, llama.cpp or
    vLLM. Everything that can be decided without a network is a pure
    function here (prompt and body building, verdict parsing, thresholds,
    cost, retry waits) so tests pin the contract down; the HTTP call itself
    sits behind judge_call so a later curl-multi version can replace it.
    A failure never approves: it becomes a review with no score.
    A judge_t is used by one thread (the service loop).                    */
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

typedef struct judge judge_t;

/* Called after every HTTP attempt with its usage record (owned by the
   caller of the callback; copy what you keep). */
typedef void(judge_usage_fn)(const ps_usage_t *usage, void *arg);

/* True when no AI is configured: ai.enabled false, or no ai.api_key
   while ai.base_url is OpenAI's default. */
bool judge_ai_off(const ps_config_t *config);

/* True when base_url points at api.openai.com (max_completion_tokens)
   rather than a local server (max_tokens). */
bool judge_is_openai(const char *base_url);

/* Writes base_url without trailing slashes + "/chat/completions".
   Returns 0, or -1 when buf is too small. */
int judge_url(const char *base_url, char *buf, size_t len);

/* Builds the user prompt for `work` at now_ms (account age). Every line
   is "Label: value"; the first is "Title: ...". The email is never
   included. Returns a new string (caller frees) or NULL on OOM. */
char *judge_user_prompt(const ps_work_t *work, int64_t now_ms);

/* Builds the JSON request body (model, temperature, token cap, stream
   false, json_schema response_format, system + user messages). Returns a
   new string (caller frees) or NULL on OOM. */
char *judge_request_body(const ps_config_t *config, const ps_work_t *work,
                         int64_t now_ms);

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

/* Decides whether an HTTP status (0 = no answer) with its error code is
   worth another attempt. */
judge_retry_t judge_classify(long status, const char *code);

/* Maps an approval score to an outcome with the confidence thresholds:
   >= auto_approve approve, <= auto_reject decline, else review, or with
   needs_review false approve at >= 0.5 and decline below. */
ps_outcome_t judge_outcome(const ps_config_t *config, double score);

/* Price of a call in USD (openai-chat.md §5) from the built-in table;
   a -YYYY-MM-DD suffix on the model is ignored; unknown models cost 0. */
double judge_cost_usd(const char *model, int64_t prompt_tokens,
                      int64_t completion_tokens, int64_t cached_tokens);

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
   500 ms * 2^retry, +/-25 % jitter from `unit` in [0,1), capped at
   JUDGE_MAX_BACKOFF_MS. */
int64_t judge_backoff_ms(int retry, double unit);

/* Turns `work` into the AI's decision from a verdict: outcome by
   thresholds, source "ai", rule "", message_id "ai_verdict", params
   score + reason, explanation = reason, score/ai_score, model.
   Returns 0, or -1 on OOM. */
int judge_apply_verdict(const ps_config_t *config, ps_work_t *work,
                        const judge_verdict_t *verdict, const char *model);

/* Turns `work` into a review with no score: message_id "ai_failed",
   explanation "AI judge failed: <reason>; a person decides.".
   Returns 0, or -1 on OOM. */
int judge_apply_failure(ps_work_t *work, const char *reason, const char *model);

/* Turns `work` into a review because no AI is configured (message_id
   "ai_off"). Returns 0, or -1 on OOM. */
int judge_apply_off(ps_work_t *work);

/* Creates a judge (its HTTP client) for `instance` (the usage records'
   instance id, copied). Returns NULL on OOM. */
judge_t *judge_new(const char *instance);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void judge_destroy(judge_t **self_p);

/* Decides one undecided record in place: AI off, or chat-completions
   calls with retries (sleeping in <= 100 ms slices, giving up when
   zsys_interrupted is set), then judge_apply_verdict or
   judge_apply_failure. usage_fn (may be NULL) is called after every
   attempt. Returns 0 when `work` is a decision to send on, -1 when it was
   interrupted (send nothing: the next scan brings it back). */
int judge_decide(judge_t *self, const ps_config_t *config, ps_work_t *work,
                 judge_usage_fn *usage_fn, void *usage_arg);

/* The service: connects PULL to `undecided` (receive HWM 2, so judges
   share the work) and PUSH to `collect`, and judges until SIGINT or
   SIGTERM; SIGHUP reloads *config. Returns the exit code (0 clean stop,
   1 setup failure). */
int judge_service_run(ps_config_t **config, const char *config_path);

#endif
