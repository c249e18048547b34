/*  ps_fact - the facts family: what happened, for anyone who listens.

    Facts travel on PUB/SUB, which drops and misses messages, so every
    event carries the gateway's sequence number; a subscriber that sees a
    gap asks the gateway's authority socket for the events since its last
    one (ps_control catchup). Usage records are pushed to the gateway, which
    stores them; model updates are published by the learner.

    event (v 1.0)                     usage (v 1.0)
      seq         int  gateway order    request_id     int
      kind        str  see below        model          str  as resolved
      request_id  int                   prompt_tokens  int
      at          int  ms epoch         completion_tokens int
      outcome     str  approve|...      cached_tokens  int
      source      str  rule|ai|staff..  cost_usd       float
      actor       str  staff user       latency_ms     int
      title       str                   http_status    int  0 = no answer
      media_type  str                   ok             bool verdict parsed
      user_name   str                   at             int  ms epoch
      rule        str                   instance       str  judge id
      explanation str
      score       float (optional)    model (v 1.0)
      inputs      str  JSON snapshot    version  int, kind str,
      reason      str                   examples int, trained_at int,
                                        blob     bin  the serialized model
    Event kinds: "decision" (the pipeline decided, review included),
    "staff" (a person decided a review), "applied", "apply_failed",
    "elsewhere" (decided directly in Overseerr).                          */
#ifndef PS_FACT_H_INCLUDED
#define PS_FACT_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t seq; /* gateway sequence, 1.. */
    char *kind;  /* decision | staff | applied | apply_failed | elsewhere */
    int64_t request_id; /* Overseerr request id */
    int64_t at;         /* ms epoch */
    char *outcome;      /* approve | decline | review */
    char *source;       /* rule | ai | learner | staff | error */
    char *actor;        /* staff username for staff events */
    char *title;        /* media title */
    char *media_type;   /* movie | tv */
    char *user_name;    /* requester display name */
    char *rule;         /* deciding rule */
    char *explanation;  /* English text */
    bool has_score;     /* score is meaningful */
    double score;       /* approval score */
    char *inputs;       /* JSON snapshot of the decision's inputs */
    char *reason;       /* staff reason or failure text */
} ps_event_t;

typedef struct {
    int64_t request_id;        /* request judged */
    char *model;               /* resolved model name */
    int64_t prompt_tokens;     /* usage.prompt_tokens */
    int64_t completion_tokens; /* usage.completion_tokens */
    int64_t cached_tokens;     /* prompt_tokens_details.cached_tokens */
    double cost_usd;           /* priced by the judge */
    int64_t latency_ms;        /* wall time of the call */
    int64_t http_status;       /* 0 when no answer */
    bool ok;                   /* a verdict was parsed */
    int64_t at;                /* ms epoch */
    char *instance;            /* judge instance id */
} ps_usage_t;

typedef struct {
    int64_t version;     /* increasing model version */
    char *kind;          /* model family, e.g. "logistic" */
    int64_t examples;    /* training examples used */
    int64_t trained_at;  /* ms epoch */
    unsigned char *blob; /* serialized model */
    size_t blob_len;     /* bytes in blob */
} ps_model_t;

ps_event_t *ps_event_new(void);
void ps_event_destroy(ps_event_t **self_p);
/* Encodes into a new frame (caller owns); NULL on OOM. */
zframe_t *ps_event_encode(const ps_event_t *self);
/* Decodes into a new event; 0, or -1 with the field at fault in err. */
int ps_event_decode(zframe_t *frame, ps_event_t **out, char *err,
                    size_t errlen);

ps_usage_t *ps_usage_new(void);
void ps_usage_destroy(ps_usage_t **self_p);
zmsg_t *ps_usage_encode(const ps_usage_t *self);
int ps_usage_decode(zframe_t *frame, ps_usage_t **out, char *err,
                    size_t errlen);

ps_model_t *ps_model_new(void);
void ps_model_destroy(ps_model_t **self_p);
zmsg_t *ps_model_encode(const ps_model_t *self);
int ps_model_decode(zframe_t *frame, ps_model_t **out, char *err,
                    size_t errlen);

#endif
