/*  gw_budget - see gw_budget.h.                                           */
#include "gw_budget.h"
#include "ps_time.h"

#include <stdlib.h>

typedef struct {
    int64_t request_id;   /* the call's request */
    double estimate_usd;  /* reserved amount */
    int64_t expires_mono; /* when it stops counting */
} s_reservation_t;

struct gw_budget {
    s_reservation_t items[GW_BUDGET_MAX_RESERVATIONS]; /* calls in flight */
    size_t count;                                      /* used entries */
};

gw_budget_t *
gw_budget_new(void)
{
    return calloc(1, sizeof(gw_budget_t));
}

void
gw_budget_destroy(gw_budget_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

/* Drops expired reservations and the one of `request_id` (0: none), and
   returns the sum of those left. */
static double
s_sweep(gw_budget_t *self, int64_t request_id, int64_t now_mono)
{
    double sum = 0;
    size_t kept = 0;
    for (size_t i = 0; i < self->count; i++) {
        s_reservation_t *r = &self->items[i];
        if (r->expires_mono < now_mono || r->request_id == request_id)
            continue;
        sum += r->estimate_usd;
        self->items[kept++] = *r;
    }
    self->count = kept;
    return sum;
}

int
gw_budget_reserve(gw_budget_t *self, gw_store_t *store, int64_t request_id,
                  double estimate_usd, double budget_usd, int64_t now_ms,
                  int64_t now_mono, ps_reserve_reply_t *reply)
{
    reply->budget_usd = budget_usd;
    reply->reserved_usd = s_sweep(self, request_id, now_mono);
    if (gw_store_spent_since(store, ps_time_local_day_start_ms(now_ms),
                             &reply->spent_usd)
        != 0)
        return -1;
    /* Sums of float dollars drift by ~1e-17; a micro-dollar of slack
       keeps "exactly at the budget" granted. */
    double total = reply->spent_usd + reply->reserved_usd + estimate_usd;
    reply->granted = budget_usd <= 0 || total <= budget_usd + 1e-6;
    /* A full table (thousands of calls in flight) cannot track more: it
       refuses rather than let the budget go unwatched. */
    if (reply->granted && self->count == GW_BUDGET_MAX_RESERVATIONS)
        reply->granted = false;
    if (reply->granted) {
        self->items[self->count++] = (s_reservation_t){
            request_id, estimate_usd, now_mono + GW_BUDGET_HOLD_MS};
        reply->reserved_usd += estimate_usd;
    }
    return 0;
}

void
gw_budget_settle(gw_budget_t *self, int64_t request_id, int64_t now_mono)
{
    s_sweep(self, request_id, now_mono);
}
