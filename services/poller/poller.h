/*  poller - finds pending Overseerr requests and feeds the pipeline.

    The poller is the only service that lists Overseerr. Every
    scan_interval (and on a "scan" command) it pages through every pending
    request, claims the ids it has not seen in this scan from the gateway
    (authority REQ/REP) and PUSHes only the granted ones to the enricher as
    ps_work "request" records. Webhook hints and staff re-judges arrive as
    commands; for those the request is re-read with GET /request/{id}
    first, because a webhook body is only a hint (DESIGN.md).

    Overseerr's pending list shifts while decisions are applied, so paging
    with skip misses requests. The pager therefore repeats whole listing
    passes until one finds no id unseen in this scan (poller_pager_*),
    and it is written against a page-fetch callback so a unit test can
    simulate the shifting list without sockets or HTTP.

    After a complete scan the poller tells the gateway which ids it saw
    pending; the gateway answers with the ids it holds open that were not
    seen, and the poller re-reads each to report those decided elsewhere.

    Everything here runs on the service's one thread.                     */
#ifndef POLLER_H_INCLUDED
#define POLLER_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps_config.h"
#include "ps_work.h"

/* At most this many listing passes in one scan. */
#define POLLER_MAX_PASSES 10
/* At most this many ids in one claim call. */
#define POLLER_CLAIM_BATCH 100

/* Converts one MediaRequest object (a list item or GET /request/{id})
   into a new ps_work_t of type "request" with the given trigger ("scan",
   "webhook" or "rejudge"). Returns 0 and sets *out (caller owns), or -1
   with the JSON field at fault in err (`id`, `type`, `media.tmdbId`).
   Optional fields (requestedBy, seasons, createdAt...) may be missing,
   null or of the wrong type: they are then left empty. */
int poller_request_from_json(const json_t *request, const char *trigger,
                             ps_work_t **out, char *err, size_t errlen);

/* Fetches one page of the pending list: GET /request?filter=pending&
   take=take&skip=skip&sort=added. Returns 0 and sets *page (the parsed
   body, the pager json_decref's it), or -1 when the page could not be
   read (the reason is the callback's to keep). */
typedef int(poller_fetch_fn)(void *arg, int64_t skip, int64_t take,
                             json_t **page);

/* Receives the request objects of one page that are new in this scan
   (`fresh` is a JSON array, borrowed for the call). Returns 0, or -1 to
   abort the scan (the gateway did not answer, shutdown...). */
typedef int(poller_fresh_fn)(void *arg, const json_t *fresh);

typedef struct poller_pager poller_pager_t;

/* Creates a pager with an empty "seen" set. Returns NULL on OOM. */
poller_pager_t *poller_pager_new(void);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void poller_pager_destroy(poller_pager_t **self_p);

/* Runs one scan: listing passes of pages of `take` until a pass finds no
   unseen id (or max_passes passes ran), calling fresh() once per page
   that holds unseen requests. The seen set starts empty at each run.
   Returns 0 when every pass succeeded (a complete scan, even if the
   pass cap was hit: see poller_pager_capped), or -1 when a fetch or
   fresh() failed. */
int poller_pager_run(poller_pager_t *self, int64_t take, int max_passes,
                     poller_fetch_fn *fetch, poller_fresh_fn *fresh, void *arg);

/* The ids seen in the last run, in the order they were first seen. The
   array belongs to the pager and lives until the next run. */
const int64_t *poller_pager_ids(const poller_pager_t *self, size_t *count);

/* Passes run by the last run. */
int poller_pager_passes(const poller_pager_t *self);

/* True when the last run stopped at max_passes with new ids still
   appearing. */
bool poller_pager_capped(const poller_pager_t *self);

/* The service itself: sockets, Overseerr client, scan schedule. */
typedef struct poller poller_t;

/* Creates the poller: takes ownership of *config_p (set to NULL), binds
   commands PULL and requests PUSH, connects the authority REQ client and
   the collect PUSH. config_path is kept for SIGHUP reloads (may be NULL).
   Returns NULL after logging why. */
poller_t *poller_new(ps_config_t **config_p, const char *config_path);

/* Frees it and its config; accepts NULL, sets *self_p to NULL. */
void poller_destroy(poller_t **self_p);

/* Runs the loop until SIGINT/SIGTERM. Returns 0, or -1 when the loop
   could not start. */
int poller_run(poller_t *self);

#endif
