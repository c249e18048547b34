/*  learner - keeps every decision and staff review as feedback.db rows.

    The learner owns feedback.db (DESIGN.md: one owner per database). It
    listens to the gateway's sequenced events and must never miss a staff
    review, so it trusts the PUB stream only in order: an event whose seq
    is exactly last_seq + 1 is stored and advances last_seq; an older one
    is a duplicate; a newer one is a gap, and the missing events are asked
    from the gateway's authority socket (catch-up) before going on. The
    feedback table's seq is UNIQUE and rows go in with INSERT OR IGNORE, so
    a restart or a replayed catch-up never stores anything twice; last_seq
    moves in the same transaction as the rows it covers.
    Training and `models` publishing come with a later issue. The store is
    used by one thread (the service loop).                                 */
#ifndef LEARNER_H_INCLUDED
#define LEARNER_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "ps_config.h"
#include "ps_fact.h"

#define LEARNER_GAP 1             /* learner_store_event: seq jumped */
#define LEARNER_CATCHUP_LIMIT 500 /* events asked per catch-up call */
#define LEARNER_CATCHUP_TIMEOUT_MS 3000
#define LEARNER_CATCHUP_RETRY_MS 2000

typedef struct learner_store learner_store_t;

/* The prototype kept a feedback.db of its own (human_feedback,
   learned_patterns, user_stats) under our file name. When the file at
   `path` is one, renames it to feedback.prototype.db next to it (and its
   SQLite side files), never writing it, so learner_store_new creates ours
   instead of adding tables to the prototype's. Its human_feedback rows
   are the staff decisions moderation.db's manual_staff rows also hold;
   the gateway imports those and the learner receives them as staff
   events through catch-up, so they are not read here. Returns 1 when it
   moved the file, 0 when there was nothing to do, -1 with the reason in
   err (feedback.prototype.db exists already, or the rename failed). */
int learner_keep_prototype(const char *path, char *err, size_t errlen);

/* Opens (creating and migrating) the feedback database at path. Returns
   the store, or NULL with the reason in err. */
learner_store_t *learner_store_new(const char *path, char *err, size_t errlen);

/* Closes it; accepts NULL, sets *self_p to NULL. */
void learner_store_destroy(learner_store_t **self_p);

/* The last sequence number stored (0 for a new database). */
int64_t learner_store_last_seq(const learner_store_t *self);

/* Number of feedback rows (tests, stats). Returns -1 on error. */
int64_t learner_store_count(learner_store_t *self);

/* True for the event kinds kept as feedback: decision, staff, elsewhere. */
bool learner_kind_is_feedback(const char *kind);

/* Takes one event. seq <= last_seq: a duplicate, ignored (0). seq ==
   last_seq + 1, or any newer seq when from_catchup (the gateway's answer
   is authoritative, holes included): stored when its kind is feedback,
   last_seq advanced (0). A newer seq from the live stream: nothing
   stored, returns LEARNER_GAP so the caller catches up. -1 with the
   reason in err on a database error. The event stays the caller's. */
int learner_store_event(learner_store_t *self, const ps_event_t *event,
                        bool from_catchup, char *err, size_t errlen);

/* Applies a catch-up reply (header frame + event frames) in one
   transaction. Sets *count to the header's count (the caller asks again
   while it equals the limit). Returns 0, or -1 with the reason in err
   (bad frames or a database error: nothing is kept). The reply stays
   the caller's. */
int learner_catchup_apply(learner_store_t *self, zmsg_t *reply, int64_t *count,
                          char *err, size_t errlen);

/* The service: opens <data_dir>/feedback.db, connects SUB to `events`,
   REQ to `authority`, PUSH to `collect`, binds `models` PUB, catches up
   at start and on every gap (retrying every 2 s while the gateway does
   not answer) until SIGINT or SIGTERM; SIGHUP reloads *config. Returns
   the exit code (0 clean stop, 1 setup failure). */
int learner_service_run(ps_config_t **config, const char *config_path);

#endif
