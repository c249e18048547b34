/*  judge_breaker - the circuit breaker in front of the LLM server.

    A server that stays down should not be asked for every request, nor
    every request wait through its retries: after `threshold` consecutive
    outages (no answer, timeout, 5xx) the breaker opens and calls are
    refused for `open_ms`; then it is half-open and lets exactly one probe
    through: an answer closes it, another outage opens it again.
    A plain value with the time passed in, so tests drive it without a
    clock; the engine owns one and reports every change to the gateway.
    Used by one thread (the judge's loop).                                 */
#ifndef JUDGE_BREAKER_H_INCLUDED
#define JUDGE_BREAKER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    JUDGE_BREAKER_CLOSED = 0, /* calls go through */
    JUDGE_BREAKER_OPEN,       /* calls are refused until the wait ends */
    JUDGE_BREAKER_HALF_OPEN   /* one probe call may go */
} judge_breaker_state_t;

typedef struct {
    judge_breaker_state_t state; /* current state */
    int failures;                /* consecutive outages seen */
    int threshold;               /* outages that open it, >= 1 */
    int64_t open_ms;             /* how long it stays open */
    int64_t opened_at;           /* ms when it last opened */
    bool probe_out;              /* half-open: the probe is in flight */
} judge_breaker_t;

/* Sets a closed breaker up. threshold < 1 counts as 1. */
void judge_breaker_init(judge_breaker_t *self, int threshold, int64_t open_ms);

/* Changes the limits (config reload) without changing the state. */
void judge_breaker_configure(judge_breaker_t *self, int threshold,
                             int64_t open_ms);

/* Moves an open breaker whose wait has ended to half-open. Returns true
   when the state changed. */
bool judge_breaker_tick(judge_breaker_t *self, int64_t now_ms);

/* Asks to make a call at now_ms. Returns true when it may go; *probe is
   then true when this call is the half-open probe (its result must be
   recorded, or the permit given back with judge_breaker_cancel). */
bool judge_breaker_acquire(judge_breaker_t *self, int64_t now_ms, bool *probe);

/* Gives back a probe permit that was not used. */
void judge_breaker_cancel(judge_breaker_t *self);

/* Records a call's result: outage true for no answer, timeout or 5xx.
   Returns true when the state changed. */
bool judge_breaker_record(judge_breaker_t *self, bool outage, int64_t now_ms);

/* "closed", "open" or "half-open". */
const char *judge_breaker_name(judge_breaker_state_t state);

#endif
