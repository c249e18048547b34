/*  oversim_server - the Overseerr simulator's HTTP side.

    Puts an oversim_store behind civetweb: API-key guard, injected failures
    and latency, and a webhook sender thread that POSTs Overseerr's default
    payloads to a configured URL without ever blocking an HTTP answer (one
    attempt, no retry, like Overseerr). An optional ticker thread creates a
    new pending request every N seconds. GET /t/p/<size>/<file> stands in
    for TMDB's image server: a small JPEG for each title's poster path, 404
    otherwise (the gateway's poster proxy fetches from it in tests). civetweb
   calls the handler from its worker threads; the store has its own lock and the
   server's knobs have theirs. */
#ifndef OVERSIM_SERVER_H_INCLUDED
#define OVERSIM_SERVER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oversim_server oversim_server_t;

typedef struct {
    char listen[128];       /* "host:port"; port 0 picks a free one */
    char api_key[256];      /* required X-Api-Key value */
    int requests;           /* pending requests generated at start */
    uint64_t seed;          /* generation seed */
    bool seerr;             /* 409 on non-pending approve/decline */
    char webhook_url[1024]; /* "" disables webhooks */
    char webhook_auth[512]; /* Authorization header value, "" for none */
    int new_every_s;        /* 0 disables the periodic new request */
    int threads;            /* civetweb worker threads */
} oversim_config_t;

/* Fills a configuration with the defaults (127.0.0.1:5055, 40 requests,
   seed 1, 32 threads, no webhook). */
void oversim_config_defaults(oversim_config_t *config);

/* Generates the data, starts listening and the helper threads. Returns
   NULL on failure with the reason in err. The config is copied. */
oversim_server_t *oversim_server_new(const oversim_config_t *config, char *err,
                                     size_t errlen);

/* The TCP port actually bound. */
int oversim_server_port(const oversim_server_t *self);

/* Stops the ticker, the listener and the webhook sender (webhooks still
   queued are dropped with one log line), then frees everything. Accepts
   NULL and an already-NULL *self_p. */
void oversim_server_destroy(oversim_server_t **self_p);

#endif
