/*  gw_store - moderation.db, the authority on what is decided.

    The gateway owns this database (DESIGN.md). One row per Overseerr
    request holds its state and lease; `decisions` is the append-only
    history (a re-judge or a staff override adds a row); `events` is the
    sequenced log the events PUB and catch-up serve; `usage` records every
    LLM call. Every state change and its event are written in one
    transaction, so a crash never leaves a decision without its event.
    A gw_store_t is one SQLite connection and is not thread-safe: each
    thread (bus loop, applier, every civetweb worker) opens its own.      */
#ifndef GW_STORE_H_INCLUDED
#define GW_STORE_H_INCLUDED

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "ps_control.h"
#include "ps_fact.h"
#include "ps_work.h"

typedef struct gw_store gw_store_t;

typedef enum {
    GW_RECORD_OK = 0,    /* accepted and recorded */
    GW_RECORD_DUPLICATE, /* the request is no longer in flight: dropped */
    GW_RECORD_UNKNOWN,   /* never claimed: dropped */
    GW_RECORD_ERROR      /* database error, see gw_store_error */
} gw_record_rc_t;

typedef enum {
    GW_APPLY_DONE = 0,  /* Overseerr took our decision */
    GW_APPLY_ELSEWHERE, /* decided (or deleted) in Overseerr by someone */
    GW_APPLY_RETRY      /* transient failure: try again later */
} gw_apply_rc_t;

/* Opens (creating and migrating) the database. NULL with err on failure. */
gw_store_t *gw_store_open(const char *path, char *err, size_t errlen);

/* Closes it; accepts NULL, sets *self_p to NULL. */
void gw_store_destroy(gw_store_t **self_p);

/* The last database error. */
const char *gw_store_error(const gw_store_t *self);

/* The connection itself, for the gateway modules that keep their own
   queries next to their routes (gw_api.c, gw_import.c, ...): the schema
   and its migrations stay here. Owned by the store. */
sqlite3 *gw_store_sqlite(gw_store_t *self);

/* Grants the ids that are unknown, released, or in flight with an expired
   lease; writes them to granted (room for count) and their number to
   *granted_count. Returns 0, or -1. */
int gw_store_claim(gw_store_t *self, const int64_t *ids, size_t count,
                   int64_t now, int64_t lease_ms, const char *owner,
                   int64_t *granted, size_t *granted_count);

/* Records a pipeline decision for a request in flight. */
gw_record_rc_t gw_store_record_decision(gw_store_t *self,
                                        const ps_work_t *decision, int64_t now);

/* A requester's record for the rule engine: attributes request_id to
   user_id (when not yet known), then counts the user's requests created
   since `since` (that one included) and their approved and declined
   requests of all time. Returns 0, or -1. */
int gw_store_history(gw_store_t *self, int64_t user_id, int64_t request_id,
                     int64_t since, ps_history_t *out);

/* Gives a claim back after a transient failure (next claim grants it). */
int gw_store_release(gw_store_t *self, int64_t request_id, const char *reason,
                     int64_t now);

/* Lists the ids in review that are not in `seen` (a complete scan's
   pending ids). Decided rows are not listed: the applier re-reads each one
   before acting. *out is malloc'ed (caller frees). */
int gw_store_open_not_seen(gw_store_t *self, const int64_t *seen, size_t count,
                           int64_t **out, size_t *out_count);

/* Closes a request the poller found decided directly in Overseerr (status
   2 approved, 3 declined, 0 deleted): a review, or a request still in the
   pipeline. Decided rows (the applier's), applied and closed rows are left
   alone.
   Returns 1 when something changed, 0 when not, -1 on error. */
int gw_store_mark_elsewhere(gw_store_t *self, int64_t request_id,
                            int64_t status, int64_t now);

/* Finds one decided request due for applying. Returns 1 and fills
 *request_id and *outcome, 0 when none is due, -1 on error. */
int gw_store_next_to_apply(gw_store_t *self, int64_t now, int64_t *request_id,
                           ps_outcome_t *outcome);

/* Records the result of applying a pipeline decision. For RETRY, detail is
   the error and retry_at when to try again; for ELSEWHERE, status is what
   Overseerr holds. */
int gw_store_apply_result(gw_store_t *self, int64_t request_id,
                          gw_apply_rc_t rc, int64_t status, const char *detail,
                          int64_t now, int64_t retry_at);

/* Takes a review for a staff decision: in_review -> applying. Returns 1 when
   taken, 0 when the request is not in review (someone else decided), -1 on
   error. */
int gw_store_staff_take(gw_store_t *self, int64_t request_id);

/* Finishes a staff decision taken with gw_store_staff_take: DONE records the
   staff decision as applied, ELSEWHERE closes the review, RETRY puts it back
   in review with the error. */
int gw_store_staff_finish(gw_store_t *self, int64_t request_id,
                          ps_outcome_t outcome, const char *actor,
                          const char *reason, gw_apply_rc_t rc, int64_t status,
                          const char *detail, int64_t now);

/* Puts a closed request back to be judged again (staff re-judge): the next
   claim grants it. Applied requests stay applied, except a pipeline
   verdict imported from the prototype (it may never have reached
   Overseerr). Returns 1 when done, 0 when the request is unknown, in
   flight or applied, -1 on error. */
int gw_store_rejudge(gw_store_t *self, int64_t request_id, int64_t now);

/* The state word of a request ("in_review", ...) into buf; "" if unknown.
   Returns 0, or -1 on error. */
int gw_store_state(gw_store_t *self, int64_t request_id, char *buf, size_t len);

/* The sequence number of the newest event (0 when none): every change of
   a request's state writes one in the same transaction, so it tells
   whether anything a reader shows may have changed. Returns 0, or -1. */
int gw_store_last_event_seq(gw_store_t *self, int64_t *seq);

/* Reads up to `limit` events with seq > since, oldest first. *out is an
   array of new events (free each with ps_event_destroy, then the array). */
int gw_store_events_since(gw_store_t *self, int64_t since, int64_t limit,
                          ps_event_t ***out, size_t *count);

/* Highest event seq, 0 when none; -1 on error. */
int64_t gw_store_last_seq(gw_store_t *self);

/* Stores one LLM call. */
int gw_store_add_usage(gw_store_t *self, const ps_usage_t *usage);

/* Read models for the REST API; each returns a new JSON value or NULL on a
   database error. (The decisions history lives in gw_api.c.) */
json_t *gw_store_reviews_json(gw_store_t *self);
json_t *gw_store_stats_json(gw_store_t *self, int64_t now);
/* NULL with *found false when the request is unknown. */
json_t *gw_store_request_json(gw_store_t *self, int64_t request_id,
                              bool *found);

typedef struct {
    int64_t request_id;  /* request */
    const char *outcome; /* recorded pipeline outcome */
    const char *source;  /* rule | ai | error ... */
    const char *rule;    /* deciding rule, "" for the AI */
    const char *inputs;  /* JSON snapshot, may be NULL */
    const char *title;   /* for the report */
    const char *staff;   /* staff's last outcome, NULL when none */
    int64_t decided_at;  /* ms epoch */
} gw_backtest_row_t;

/* Called once per row; a non-zero return stops the walk. The row's
   strings live until the callback returns. */
typedef int(gw_backtest_fn)(void *arg, const gw_backtest_row_t *row);

/* Walks the last `last` requests decided by the pipeline (their latest
   pipeline decision each, newest first). Returns 0, or -1. */
int gw_store_backtest_rows(gw_store_t *self, int64_t last, gw_backtest_fn *fn,
                           void *arg);

/* Sum of the LLM cost recorded since `since` (ms epoch). Returns 0, or -1.
 */
int gw_store_spent_since(gw_store_t *self, int64_t since, double *spent);

/* The costs page: per local day and model (last `days` days), per model,
   and the last `last` calls with their request's title. NULL on error. */
json_t *gw_store_costs_json(gw_store_t *self, int64_t now, int64_t days,
                            int64_t last);

/* Who a session or an API token belongs to, as stored. */
typedef struct {
    char hash[80];        /* the keyed hash of the secret, hex */
    char name[64];        /* username, or the token's name */
    char role[16];        /* viewer | staff | admin */
    char csrf[48];        /* the session's CSRF token ("" for API tokens) */
    int64_t last_used_at; /* API tokens: last recorded use, 0 never */
} gw_store_identity_t;

/* Logins (gw_auth holds the policy and the cryptography; these only
   store). Counts users: 0, or -1. */
int gw_store_user_count(gw_store_t *self, int64_t *count);
/* Adds a user. Returns 0, 1 when the name is taken, -1 on error. */
int gw_store_user_add(gw_store_t *self, const char *username, const char *role,
                      const char *password_hash, int64_t now);
/* Finds a user (name compared without case). Returns 1 with the fields
   filled, 0 when unknown, -1 on error. */
int gw_store_user_find(gw_store_t *self, const char *username, int64_t *id,
                       char *role, size_t role_len, char *hash,
                       size_t hash_len);
/* Adds a session (and purges expired ones). Returns 0, or -1. */
int gw_store_session_add(gw_store_t *self, const char *token_hash,
                         int64_t user_id, const char *csrf, int64_t now,
                         int64_t expires_at);
/* Finds a live session by its token's keyed hash: 1, 0 unknown, -1. */
int gw_store_session_find(gw_store_t *self, const char *token_hash, int64_t now,
                          gw_store_identity_t *out);
int gw_store_session_delete(gw_store_t *self, const char *token_hash);
/* Adds an API token (an existing identical hash is kept). 0, or -1. */
int gw_store_token_add(gw_store_t *self, const char *name, const char *role,
                       const char *token_hash, int64_t now);
/* Finds an API token by its keyed hash: 1, 0 unknown, -1. */
int gw_store_token_find(gw_store_t *self, const char *token_hash,
                        gw_store_identity_t *out);
/* Records that an API token was used at `now`. Returns 0, or -1. */
int gw_store_token_touch(gw_store_t *self, const char *token_hash, int64_t now);

/* Caps this connection's page cache (SQLite's default is 2 MB, and the
   gateway opens one connection per HTTP worker). Returns 0, or -1. */
int gw_store_set_cache_kb(gw_store_t *self, int kb);

/* A cheap write probe for the health page. Returns 0 when writable. */
int gw_store_probe(gw_store_t *self);

/* The JSON snapshot of a decision's inputs (no email). Caller frees. */
char *gw_inputs_json(const ps_work_t *work);

#endif
