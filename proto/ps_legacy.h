/*  ps_legacy - the Python prototype's vocabulary (contracts/prototype.md):
    its decision words, its timestamps and its request_data.

    Its users' scripts read APPROVED / REJECTED / NEEDS_REVIEW from the
    gateway's prototype routes, and its databases hold the same words;
    both the routes (gw_proto) and the importers (gw_import for
    moderation.db, the learner for feedback.db) translate through the one
    table in ps_legacy.c, so a word can never map two ways. Pure functions,
    any thread.                                                           */
#ifndef PS_LEGACY_H_INCLUDED
#define PS_LEGACY_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "ps_work.h"

/* The prototype's word for an outcome: "APPROVED", "REJECTED",
   "NEEDS_REVIEW"; "" for PS_OUTCOME_NONE. */
const char *ps_legacy_word(ps_outcome_t outcome);

/* Parses a prototype word, in any case: a decision ("APPROVED",
   "REJECTED", "NEEDS_REVIEW") or a review status ("approved",
   "rejected"). Returns 0 with *outcome set, or -1 for anything else. */
int ps_legacy_outcome(const char *word, ps_outcome_t *outcome);

/* Parses a prototype timestamp into epoch milliseconds. Python's
   isoformat() wrote local time ("2024-05-01T14:03:22.123456", read in the
   process TZ); SQLite's CURRENT_TIMESTAMP wrote UTC ("2024-05-01
   14:03:22"); an explicit "Z" or "+02:00" suffix wins over both. Returns
   0, or -1 when the text is none of these. */
int ps_legacy_time(const char *text, int64_t *ms);

/* Our inputs snapshot (ps_work_json's members) built from a prototype
   request_data object (title, media_type, requested_by, user_id,
   genres[], rating, popularity, year, episode_count, season_count,
   overview, status). Members of the wrong type are left out, never
   guessed; numbers written as strings are read. request_data may be
   NULL. Returns a new object (caller decrefs), or NULL on OOM. */
json_t *ps_legacy_inputs(const json_t *request_data, int64_t request_id);

/* The prototype's request_data built from our inputs snapshot (the
   inverse of ps_legacy_inputs; members we do not know are left out,
   genres is always a list). inputs may be NULL. Returns a new object
   (caller decrefs), or NULL on OOM. */
json_t *ps_legacy_request_data(const json_t *inputs);

#endif
