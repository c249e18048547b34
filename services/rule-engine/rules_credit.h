/*  rules_credit - who may be sent an undecided record: judges' credits.

    The `undecided` socket is a ROUTER (rule engine, bound) facing one
    DEALER per ai-judge. A judge asks for work by sending `ready` messages
    (one frame, ps_mp map: `n` free slots, `reset`); the rule engine sends
    a record only to a judge that has credit left, the one with the most.
    Why not PUSH/PULL: a PUSH hands records to a judge as far ahead as the
    pipes and the kernel's socket buffer hold (about 130 records per judge
    over ipc, where ZMQ_SNDBUF does not apply), so with several judges the
    backlog was split once, unevenly, long before the calls could start,
    and the busiest judge finished seconds after the others (bench/
    ANALYSIS.md). With credits no judge holds a record it cannot start.

    `reset` replaces the judge's credit instead of adding to it: a judge
    that heard nothing for a while re-announces its free slots, which is
    how a restarted rule engine (that knows no credit) learns them again.
    The book is plain data (no socket), so unit tests drive it.          */
#ifndef RULES_CREDIT_H_INCLUDED
#define RULES_CREDIT_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

/* Message type of a judge's request for work. */
#define RULES_READY_TYPE "ready"

/* Encodes a `ready` message: `slots` more records wanted (reset=false),
   or exactly `slots` free (reset=true). NULL on OOM. */
zmsg_t *rules_ready_encode(int slots, bool reset);

/* Decodes a `ready` frame. Returns 0, or -1 with the reason in err. */
int rules_ready_decode(zframe_t *frame, int *slots, bool *reset, char *err,
                       size_t errlen);

typedef struct rules_credit rules_credit_t;

rules_credit_t *rules_credit_new(void);
void rules_credit_destroy(rules_credit_t **self_p);

/* Records a `ready` from the judge whose routing id is `id` (len bytes):
   adds `slots` to its credit, or sets it when `reset`. Returns 0, -1 on
   OOM or a bad id. */
int rules_credit_ready(rules_credit_t *self, const void *id, size_t len,
                       int slots, bool reset);

/* The judge with the most credit (the first of equals after the last one
   picked, so equal judges take turns), or NULL when none has any. The
   pointer and *len stay valid until the next call on the book. */
const void *rules_credit_pick(rules_credit_t *self, size_t *len);

/* One record went to judge `id`: one credit less. */
void rules_credit_spend(rules_credit_t *self, const void *id, size_t len);

/* Judge `id` is gone (its connection closed): forget it. */
void rules_credit_forget(rules_credit_t *self, const void *id, size_t len);

/* Sum of every judge's credit. */
int rules_credit_total(const rules_credit_t *self);

/* Judges known (with or without credit). */
size_t rules_credit_judges(const rules_credit_t *self);

#endif
