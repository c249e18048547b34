/*  ps_control - the control family: claims, catch-up, commands, liveness.

    ids (v 1.0): one shape for every "list of request ids" exchange on the
    gateway's authority socket (REQ/REP) and its collect socket:
      t = claim      poller -> gateway: may these travel?   (REQ)
      t = granted    gateway -> poller: these may            (REP)
      t = pending    poller -> gateway: a complete scan saw exactly these
                     pending ids                              (REQ)
      t = check      gateway -> poller: these are open here but were not
                     seen pending: re-read them               (REP)
      t = elsewhere  poller -> gateway: these left the pending state
                     outside PlexStaffAI; values = their Overseerr status
                     (PUSH to collect)
      fields: ids [int], values [int] (optional, same length), owner str

    catchup (v 1.0): since int (last seq the asker has), limit int.
      The reply is a multi-frame message: an "events" header
      {count int, last_seq int} then one ps_event frame per event.

    command (v 1.0): gateway -> poller.
      verb str "scan" | "hint" | "rejudge", request_id int, reason str

    heartbeat (v 1.0): every service -> gateway collect, every 2 s.
      service str, instance str, pid int, at int, started_at int,
      config_version str, config_error str (the last refused reload)

    history (v 1.1): enricher -> gateway authority (REQ), one requester's
      record as the gateway knows it: user_id int, request_id int (the
      request being enriched: the gateway attributes it to the user so it
      is counted), since int (ms epoch).
      The reply, history_reply: user_id int, requests int (requests seen
      since `since`, the one being enriched included), approved int and
      declined int (all time, any source).

    reserve (v 1.1): ai-judge -> gateway authority (REQ), before an LLM
      call, so N judges together respect ai.daily_budget_usd:
      request_id int, estimate_usd float (an upper bound of the call's
      cost), instance str. The reply, reserve_reply: granted bool,
      spent_usd float (today's spend, in the configured timezone),
      reserved_usd float (estimates of calls in flight), budget_usd float
      (0 = no budget). A reservation ends when the call's usage record
      arrives, or after 10 minutes.

    status (v 1.0): poller and judges -> gateway collect, when it changes.
      service str, instance str, at int, scan_running bool, done int,
      total int, breaker str ("closed" | "open" | "half-open"),
      detail str                                                        */
#ifndef PS_CONTROL_H_INCLUDED
#define PS_CONTROL_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "ps_fact.h"

typedef struct {
    char type[16];   /* claim | granted | pending | check | elsewhere */
    int64_t *ids;    /* request ids */
    int64_t *values; /* per-id values, or NULL */
    size_t count;    /* entries in ids (and values) */
    char *owner;     /* who asks (instance id) */
} ps_ids_t;

typedef struct {
    char *verb;         /* scan | hint | rejudge */
    int64_t request_id; /* for hint and rejudge */
    char *reason;       /* why, for the log */
} ps_command_t;

typedef struct {
    char *service;        /* service name */
    char *instance;       /* unique per process */
    int64_t pid;          /* process id */
    int64_t at;           /* ms epoch */
    int64_t started_at;   /* ms epoch */
    char *config_version; /* version of the running config */
    char *config_error;   /* last refused reload, or NULL */
} ps_heartbeat_t;

typedef struct {
    char *service;     /* service name */
    char *instance;    /* unique per process */
    int64_t at;        /* ms epoch */
    bool scan_running; /* a scan is under way */
    int64_t done;      /* requests handled in this scan */
    int64_t total;     /* requests seen pending */
    char *breaker;     /* closed | open | half-open */
    char *detail;      /* free text */
} ps_status_t;

typedef struct {
    int64_t user_id;  /* Overseerr user id */
    int64_t since;    /* window start, ms epoch */
    int64_t requests; /* requests seen since `since` */
    int64_t approved; /* requests approved, all time */
    int64_t declined; /* requests declined, all time */
} ps_history_t;

typedef struct {
    bool granted;        /* the call may go ahead */
    double spent_usd;    /* today's spend */
    double reserved_usd; /* estimates of calls in flight, this one included
                            when granted */
    double budget_usd;   /* ai.daily_budget_usd, 0 = none */
} ps_reserve_reply_t;

/* ids: new with a type and room for `count` ids (values when with_values).
   Returns NULL on OOM. */
ps_ids_t *ps_ids_new(const char *type, size_t count, bool with_values);
void ps_ids_destroy(ps_ids_t **self_p);
zmsg_t *ps_ids_encode(const ps_ids_t *self);
/* expect_type NULL accepts any of the five types. */
int ps_ids_decode(zframe_t *frame, const char *expect_type, ps_ids_t **out,
                  char *err, size_t errlen);

/* catchup request */
zmsg_t *ps_catchup_encode(int64_t since, int64_t limit);
int ps_catchup_decode(zframe_t *frame, int64_t *since, int64_t *limit,
                      char *err, size_t errlen);

/* catchup reply: appends the header frame to a new message; the caller
   then appends event frames (ps_event_encode). */
zmsg_t *ps_catchup_reply_new(int64_t count, int64_t last_seq);
/* Reads the header frame of a reply. */
int ps_catchup_reply_decode(zframe_t *frame, int64_t *count, int64_t *last_seq,
                            char *err, size_t errlen);

/* history request (user_id, request_id, since) and its reply. */
zmsg_t *ps_history_ask_encode(int64_t user_id, int64_t request_id,
                              int64_t since);
int ps_history_ask_decode(zframe_t *frame, int64_t *user_id,
                          int64_t *request_id, int64_t *since, char *err,
                          size_t errlen);
zmsg_t *ps_history_encode(const ps_history_t *history);
int ps_history_decode(zframe_t *frame, ps_history_t *history, char *err,
                      size_t errlen);

/* reserve request and its reply. */
zmsg_t *ps_reserve_encode(int64_t request_id, double estimate_usd,
                          const char *instance);
int ps_reserve_decode(zframe_t *frame, int64_t *request_id,
                      double *estimate_usd, char **instance, char *err,
                      size_t errlen);
zmsg_t *ps_reserve_reply_encode(const ps_reserve_reply_t *reply);
int ps_reserve_reply_decode(zframe_t *frame, ps_reserve_reply_t *reply,
                            char *err, size_t errlen);

ps_command_t *ps_command_new(const char *verb, int64_t request_id,
                             const char *reason);
void ps_command_destroy(ps_command_t **self_p);
zmsg_t *ps_command_encode(const ps_command_t *self);
int ps_command_decode(zframe_t *frame, ps_command_t **out, char *err,
                      size_t errlen);

ps_heartbeat_t *ps_heartbeat_new(void);
void ps_heartbeat_destroy(ps_heartbeat_t **self_p);
zmsg_t *ps_heartbeat_encode(const ps_heartbeat_t *self);
int ps_heartbeat_decode(zframe_t *frame, ps_heartbeat_t **out, char *err,
                        size_t errlen);

ps_status_t *ps_status_new(void);
void ps_status_destroy(ps_status_t **self_p);
zmsg_t *ps_status_encode(const ps_status_t *self);
int ps_status_decode(zframe_t *frame, ps_status_t **out, char *err,
                     size_t errlen);

#endif
