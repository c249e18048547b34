/*  judge_engine - many LLM calls at once, with retries, breaker, budget
    and cache, and no socket of its own.

    One judge keeps up to ai.concurrency requests in progress on one curl
    multi handle: each is either a transfer in flight or a retry waiting
    for its timer (never a sleep, so one slow or rate-limited request
    holds up no other). Everything that leaves the engine goes through
    hooks: finished records (decisions, or releases at shutdown), usage
    records after every HTTP attempt, breaker changes, and the budget
    reservation asked of the gateway. That keeps the engine testable
    against the LLM simulator without a bus, and keeps the zmq loop in
    judge_service. The caller's loop is:
      submit while judge_engine_free_slots() > 0 and work is waiting,
      judge_engine_poll (waits on curl's sockets, the retry timers and
      one extra fd: the PULL socket's ZMQ_FD), judge_engine_run.
    Used by one thread (the judge's loop); the config is passed to every
    call that needs it so a reload takes effect at once.                  */
#ifndef JUDGE_ENGINE_H_INCLUDED
#define JUDGE_ENGINE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "ps_config.h"
#include "ps_control.h"
#include "ps_work.h"

typedef struct judge_engine judge_engine_t;

/* Takes a finished record: a "decision" (verdict or review), or a
   "release" when the engine stops before an answer. The hook owns
   *work_p afterwards (it may set it NULL; the engine destroys what is
   left). */
typedef void(judge_done_fn)(ps_work_t **work_p, void *arg);

/* Told each time the breaker changes: "closed", "open" or "half-open",
   with a one-line detail. Strings are the engine's; copy what you keep. */
typedef void(judge_status_fn)(const char *breaker, const char *detail,
                              void *arg);

/* Reserves estimate_usd of the daily budget for a call about to be made.
   Returns 0 with *reply filled (granted or not), or -1 when the gateway
   did not answer. Only called when ai.daily_budget_usd > 0. */
typedef int(judge_reserve_fn)(int64_t request_id, double estimate_usd,
                              ps_reserve_reply_t *reply, void *arg);

/* The engine's way out; any hook may be NULL (no reserve hook: a budget
   cannot be checked, so calls are refused while one is configured). */
typedef struct {
    judge_done_fn *done;       /* finished records */
    judge_usage_fn *usage;     /* one record per HTTP attempt */
    judge_status_fn *status;   /* breaker changes */
    judge_reserve_fn *reserve; /* daily budget reservations */
    void *arg;                 /* passed to every hook */
} judge_hooks_t;

/* What the engine did since it was created. */
typedef struct {
    int64_t decided;   /* records handed to done as decisions */
    int64_t llm_calls; /* HTTP attempts made */
    int64_t verdicts;  /* decisions from an LLM verdict */
    int64_t cached;    /* decisions from a reused verdict */
    int64_t failed;    /* decisions that went to review on a failure */
} judge_engine_stats_t;

/* Creates an engine for `instance` (the usage records' instance id,
   copied) with the config's concurrency, breaker and cache settings.
   The hooks are copied. Returns NULL on OOM or when curl cannot start. */
judge_engine_t *judge_engine_new(const ps_config_t *config,
                                 const char *instance,
                                 const judge_hooks_t *hooks);

/* Frees it; accepts NULL and an already-NULL *self_p. Requests still in
   progress are dropped without a hook call: call judge_engine_release_all
   first to hand them back. */
void judge_engine_destroy(judge_engine_t **self_p);

/* Applies a reloaded config: breaker limits; a new ai.base_url forgets
   that the old server needed json_object. */
void judge_engine_configure(judge_engine_t *self, const ps_config_t *config);

/* How many more requests may be submitted now (ai.concurrency minus
   those in flight or waiting to retry); 0 or more. */
int judge_engine_free_slots(const judge_engine_t *self,
                            const ps_config_t *config);

/* Requests in progress (in flight or waiting to retry). */
size_t judge_engine_active(const judge_engine_t *self);

/* Takes *work_p (an "undecided" record; *work_p becomes NULL) and starts
   judging it. Some answers come at once, through the done hook before
   this returns: AI off, a reused verdict, the breaker open, the budget
   refused. Returns 0, or -1 on OOM (the record then went to done as a
   review, or was destroyed when even that failed). */
int judge_engine_submit(judge_engine_t *self, const ps_config_t *config,
                        ps_work_t **work_p);

/* Waits up to timeout_ms for something to do: a transfer's socket, a
   retry timer, curl's own timeout, or `extra_fd` readable (-1: none). A
   signal ends the wait early. Returns 0, or -1 when curl failed. */
int judge_engine_poll(judge_engine_t *self, int extra_fd, int timeout_ms);

/* Drives the transfers, finishes what completed (verdicts, retries,
   failures) and starts retries that are due. Never blocks on the LLM;
   the reserve hook may block for its own timeout. */
void judge_engine_run(judge_engine_t *self, const ps_config_t *config);

/* Stops every request in progress and hands each back through done as a
   "release" carrying `reason` (the gateway grants it again at the next
   scan). */
void judge_engine_release_all(judge_engine_t *self, const char *reason);

/* The breaker's state name: "closed", "open" or "half-open". */
const char *judge_engine_breaker(const judge_engine_t *self);

/* True once the server asked for json_object instead of json_schema. */
bool judge_engine_uses_json_object(const judge_engine_t *self);

/* Copies the counters out. */
void judge_engine_stats(const judge_engine_t *self, judge_engine_stats_t *out);

#endif
