/*  gw_budget - the daily AI budget, shared by every ai-judge.

    A judge reserves an upper-bound estimate of an LLM call before making
    it (ps_control `reserve`); the gateway grants it while today's spend
    (the usage records since local midnight, in `timezone`) plus the
    estimates of calls still in flight plus this one stay within
    ai.daily_budget_usd. A reservation ends when the call's usage record
    arrives, or after GW_BUDGET_HOLD_MS if it never does (a judge that
    died). So N judges overshoot only by what their estimates undercount.
    Owned by the bus loop: not thread-safe.                              */
#ifndef GW_BUDGET_H_INCLUDED
#define GW_BUDGET_H_INCLUDED

#include <stdint.h>

#include "gw_store.h"
#include "ps_control.h"

#define GW_BUDGET_MAX_RESERVATIONS 4096
#define GW_BUDGET_HOLD_MS (10 * 60 * 1000)

typedef struct gw_budget gw_budget_t;

gw_budget_t *gw_budget_new(void);
void gw_budget_destroy(gw_budget_t **self_p);

/* Decides a reservation of `estimate_usd` for request_id against
   `budget_usd` (0 = no budget: always granted, still counted). A retried
   call replaces its own earlier reservation. now_ms is the wall clock
   (for "today"), now_mono the monotonic clock (for expiry). Fills reply.
   Returns 0, or -1 when the spend cannot be read (see the store's
   error); nothing is reserved then. */
int gw_budget_reserve(gw_budget_t *self, gw_store_t *store, int64_t request_id,
                      double estimate_usd, double budget_usd, int64_t now_ms,
                      int64_t now_mono, ps_reserve_reply_t *reply);

/* Ends the reservation of request_id (its usage record arrived). */
void gw_budget_settle(gw_budget_t *self, int64_t request_id, int64_t now_mono);

#endif
