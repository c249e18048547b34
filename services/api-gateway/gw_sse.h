/*  gw_sse - live updates for the dashboard: Server-Sent Events and scan
    progress.

    GET /api/v1/events streams the gateway's sequenced `events` table as
    text/event-stream. The table is the source of truth (every state
    change writes a row in the same transaction, gw_store), so a stream
    only reads rows after the last seq it sent: nothing is held in memory
    per client, and a client that reconnects with Last-Event-ID (or
    ?since=SEQ) gets exactly what it missed. Rows become SSE events:

      events.kind   SSE event     when
      decision      decision      any pipeline decision recorded
                    + review      ... whose outcome is review
      staff         review_done   by: "staff", actor: who
      elsewhere     review_done   by: "overseerr", when the request was in
                                  review (decided in Overseerr, or by
                                  someone else); otherwise nothing
      applied       applied       a pipeline decision applied in Overseerr
      (none)        progress      scan or backlog progress, at most 2/s

    Each frame is `id: <seq>`, `event: <type>`, `data: <one-line JSON>`;
    a progress frame repeats the last seq sent. The first write carries
    `retry: 2000`; a comment line goes out after 15 s of silence, which is
    also how a vanished client is noticed (its slot frees when a write
    fails, one or two heartbeats after it left).

    civetweb runs one thread per connection, so a stream holds a worker
    for its whole life: gateway.sse_max_clients caps them (the gateway
    starts that many threads on top of gateway.threads) and one more gets
    503. A stream sleeps on gw_shared's events_cond, which the bus loop
    broadcasts after publishing events or receiving a scan status and
    shutdown broadcasts after setting `stopping`: no polling, and mg_stop
    never waits on a stream. Every batch of frames is one mg_write.

    GET /api/v1/progress answers the same progress document as JSON:
    {"running", "done", "total", "rate_per_s", "eta_s", "backlog", "at"}.
    A run starts with the latest scan (or the gateway's start); done counts
    pipeline decisions recorded since, backlog the requests in flight,
    released for another try, and seen pending by a running scan but not
    claimed yet; total is done + backlog; the rate is measured over the
    last 10 s; eta_s is null when there is nothing left or no rate yet.  */
#ifndef GW_SSE_H_INCLUDED
#define GW_SSE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_reply.h"

#define GW_SSE_HEARTBEAT_MS 15000   /* comment line after this much silence */
#define GW_SSE_RETRY_MS 2000        /* the client's reconnect delay */
#define GW_SSE_PROGRESS_MS 500      /* at most two progress frames a second */
#define GW_PROGRESS_WINDOW_MS 10000 /* the rate is measured over this */

/* GET /api/v1/events and GET /api/v1/progress. Returns 0 when the route
   is not this module's, else the HTTP status sent. */
int gw_sse_route(const gw_req_t *req);

/* Appends one event frame: "id: ID\nevent: TYPE\ndata: DATA\n\n" (a line
   break inside data becomes another data line, as SSE requires). Returns
   0, or -1. */
int gw_sse_frame(gw_buf_t *buf, int64_t id, const char *type, const char *data);

/* One row of the events table, as the stream reads it. Strings may be
   NULL. */
typedef struct {
    int64_t seq;              /* sequence number */
    const char *kind;         /* decision | staff | elsewhere | applied */
    int64_t request_id;       /* Overseerr request id */
    int64_t at;               /* ms epoch */
    const char *outcome;      /* approve | decline | review */
    const char *source;       /* rule | ai | staff | overseerr | ... */
    const char *actor;        /* staff user name */
    const char *title;        /* media title */
    const char *media_type;   /* movie | tv */
    const char *user_name;    /* requester */
    const char *rule;         /* deciding rule */
    const char *explanation;  /* why */
    bool has_score;           /* score is set */
    double score;             /* approval score */
    const char *reason;       /* staff reason, or what Overseerr holds */
    const char *pipeline_was; /* the request's latest pipeline outcome when
                                 the row was written (for applied and
                                 elsewhere rows), else NULL */
} gw_sse_event_t;

/* The SSE event types of a row, into types (room for 2). Returns how many
   (0 when the row means nothing to the dashboard). */
size_t gw_sse_types(const gw_sse_event_t *event, const char *types[2]);

/* The JSON data of a row for SSE type `type`. Returns a new object, or
   NULL when out of memory. */
json_t *gw_sse_event_json(const gw_sse_event_t *event, const char *type);

/* Appends the frames of one row. Returns the number appended, or -1. */
int gw_sse_append_event(gw_buf_t *buf, const gw_sse_event_t *event);

/* Where a stream resumes: the Last-Event-ID header wins over ?since=.
   Returns 1 with *seq set, 0 when neither was given, -1 with the reason
   in err when the given one is not a sequence number. */
int gw_sse_resume(const char *last_event_id, const char *since, int64_t *seq,
                  char *err, size_t errlen);

/* What progress is computed from. */
typedef struct {
    bool scan_running;  /* the poller reports a scan under way */
    int64_t scan_done;  /* ids the scan handled (claimed or refused) */
    int64_t scan_total; /* ids it saw pending so far */
    int64_t in_flight;  /* requests claimed, not decided */
    int64_t released;   /* requests given back, waiting for a claim */
    int64_t done;       /* pipeline decisions since the run started */
    int64_t recent;     /* pipeline decisions within window_ms */
    int64_t window_ms;  /* the rate's window */
    int64_t at;         /* now, ms epoch */
} gw_progress_input_t;

typedef struct {
    bool running;      /* a scan runs or requests are in flight */
    int64_t done;      /* decided in this run */
    int64_t total;     /* done + backlog */
    int64_t backlog;   /* in flight + waiting */
    double rate_per_s; /* decisions per second, recent */
    bool has_eta;      /* eta_s is known */
    int64_t eta_s;     /* seconds left at this rate */
    int64_t at;        /* ms epoch */
} gw_progress_t;

/* Pure: computes progress from its inputs. */
void gw_progress_compute(const gw_progress_input_t *in, gw_progress_t *out);

/* True when a and b differ in anything but `at` and the rate. */
bool gw_progress_changed(const gw_progress_t *a, const gw_progress_t *b);

/* The progress document. Returns a new object, or NULL. */
json_t *gw_progress_json(const gw_progress_t *progress);

#endif
