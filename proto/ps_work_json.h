/*  ps_work_json - a work record's inputs as JSON, both ways.

    The gateway stores, with every decision, the inputs the pipeline saw
    (DESIGN.md: "an append-only history of decisions ... inputs snapshot").
    The same snapshot is what a backtest replays through the rule engine
    and what a re-judge shows staff, so writing and reading it live in one
    place. The requester's email is never written: it is personal data
    and the snapshot is shown on the dashboard and exported.              */
#ifndef PS_WORK_JSON_H_INCLUDED
#define PS_WORK_JSON_H_INCLUDED

#include <jansson.h>

#include "ps_work.h"

/* The inputs snapshot of a record (no email, no decision fields). Returns
   a new JSON object (caller decrefs), or NULL on OOM. */
json_t *ps_work_to_json(const ps_work_t *work);

/* Rebuilds an "enriched" record from a snapshot. Returns 0 and a new
   record in *out (caller destroys), or -1 with the field at fault in
   err. Unknown members are ignored; missing ones stay unset. */
int ps_work_from_json(const json_t *json, ps_work_t **out, char *err,
                      size_t errlen);

#endif
