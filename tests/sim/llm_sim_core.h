/*  llmsim - the LLM simulator's logic: verdicts, faults and statistics.

    An OpenAI-compatible chat-completions endpoint reduced to pure
    functions so tests run it without sockets: llmsim_chat turns a request
    (Authorization header + body) into a reply (status, extra headers,
    body, how long to wait, whether to hang). The verdict is a function of
    the prompt's "Title:" line (FNV-1a), so a given title always gets the
    same score. Faults (429, 500, timeouts, malformed or truncated content)
    are injected by rate or by "next N calls" counters, scriptable at run
    time. All state is behind one mutex: civetweb threads call in at once.
    Shapes follow shared/contracts/openai-chat.md and its fixtures.        */
#ifndef LLMSIM_CORE_H_INCLUDED
#define LLMSIM_CORE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct llmsim llmsim_t;

typedef struct {
    int latency_ms;     /* added to every completion */
    double fail_429;    /* rate in [0,1] of 429 rate_limit_exceeded */
    double fail_500;    /* rate of 500 server_error */
    double timeout;     /* rate of hanging calls (120 s or shutdown) */
    double malformed;   /* rate of non-JSON content */
    double truncated;   /* rate of finish_reason "length", cut JSON */
    int fail_429_next;  /* the next N calls answer 429 */
    int fail_500_next;  /* the next N calls answer 500 */
    int timeout_next;   /* the next N calls hang */
    int malformed_next; /* the next N calls get non-JSON content */
    int truncated_next; /* the next N calls get truncated content */
    int retry_after;    /* Retry-After seconds on 429, <0 to omit */
    char api_key[256];  /* required Bearer token, "" for none */
} llmsim_config_t;

typedef struct {
    int status;            /* HTTP status to send */
    char headers[1024];    /* extra "Name: value\r\n" lines */
    char *body;            /* response body, owned */
    int latency_ms;        /* wait before answering */
    bool hang;             /* hang (timeout fault) instead of answering */
    char title[160];       /* the prompt's title, for the calls log */
    int prompt_tokens;     /* usage.prompt_tokens (0 if not a 200) */
    int completion_tokens; /* usage.completion_tokens */
} llmsim_reply_t;

/* Fills a configuration with defaults: no latency, no faults,
   retry_after 1, no API key. */
void llmsim_config_defaults(llmsim_config_t *config);

/* Creates the simulator; the config is copied (it is also what
   llmsim_reset restores). Returns NULL on allocation failure. */
llmsim_t *llmsim_new(const llmsim_config_t *config, uint64_t seed);

/* Frees it; accepts NULL and an already-NULL *self_p. */
void llmsim_destroy(llmsim_t **self_p);

/* Handles one POST /v1/chat/completions: counts the call as in flight,
   validates, picks a fault and fills *reply. The caller waits
   reply->latency_ms (or hangs), sends the reply, then calls llmsim_end
   with the status it actually sent (0 when it sent nothing). Returns 0,
   or -1 on allocation failure (reply is then a 500). */
int llmsim_chat(llmsim_t *self, const char *authorization, const char *body,
                size_t body_len, llmsim_reply_t *reply);

/* Ends a call started by llmsim_chat: in_flight--, statistics, calls log. */
void llmsim_end(llmsim_t *self, const llmsim_reply_t *reply, int sent_status);

/* Frees a reply's body and zeroes it. */
void llmsim_reply_clear(llmsim_reply_t *reply);

/* Applies a /sim/config JSON object (same knob names as llmsim_config_t;
   rates as fail_429, fail_500, timeout, malformed, truncated). Returns 0,
   or -1 with the reason in err (nothing is changed then). */
int llmsim_configure(llmsim_t *self, const char *json, size_t len, char *err,
                     size_t errlen);

/* The current configuration as JSON (the api key is omitted). New object. */
json_t *llmsim_config_json(llmsim_t *self);

/* Clears statistics and restores the configuration given to llmsim_new. */
void llmsim_reset(llmsim_t *self);

/* {"calls","in_flight","max_in_flight","by_status":{..},"prompt_tokens",
   "completion_tokens","calls_log":[{"at_ms","status","title"}]}; the log
   keeps the last 5000 calls, oldest first. New object. */
json_t *llmsim_stats_json(llmsim_t *self);

/* FNV-1a (32 bit) of len bytes. */
uint32_t llmsim_fnv1a(const char *data, size_t len);

/* The deterministic approval score of a "Title: ..." line (without the
   newline): about 35 % >= 0.85, 25 % <= 0.15, the rest between. */
double llmsim_score(const char *title_line, size_t len);

/* The verdict JSON object for a title line; the reason quotes the title
   (title_line without "Title:"). New object, NULL on allocation failure. */
json_t *llmsim_verdict(const char *title_line, size_t len);

#endif
