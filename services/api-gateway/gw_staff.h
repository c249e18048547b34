/*  gw_staff - a staff member's decision on a review, applied in Overseerr
    before the answer goes back.

    Both the REST API and the prototype's routes decide reviews; they
    differ only in the shapes of their answers, so the decision itself
    lives here once. A staff action waits only for its own Overseerr call
    (bounded by overseerr.timeout_ms); a failure there keeps the review
    open and never approves anything.                                    */
#ifndef GW_STAFF_H_INCLUDED
#define GW_STAFF_H_INCLUDED

#include "gw_reply.h"
#include "ps_work.h"

typedef enum {
    GW_STAFF_APPLIED,   /* applied in Overseerr (or recorded, observe
                           only) */
    GW_STAFF_NOT_FOUND, /* no open review for this request */
    GW_STAFF_ELSEWHERE, /* already decided in Overseerr: review closed */
    GW_STAFF_NOT_TAKEN, /* Overseerr failed: the review stays open */
    GW_STAFF_FAILED     /* our own database failed */
} gw_staff_rc_t;

typedef struct {
    gw_staff_rc_t rc;
    bool observe_only;        /* recorded, Overseerr untouched */
    int64_t overseerr_status; /* the request's status there, or -1 */
    char detail[512];         /* why, for NOT_TAKEN / FAILED */
} gw_staff_result_t;

/* Decides the review of `request_id` as `who` with an optional reason
   (may be NULL or ""). Fills *result. */
void gw_staff_decide(gw_shared_t *shared, const gw_principal_t *who,
                     int64_t request_id, ps_outcome_t outcome,
                     const char *reason, gw_staff_result_t *result);

#endif
