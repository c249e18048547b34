/*  gw_shared - the state the gateway's threads share, and who guards it.

    Three kinds of threads run in the gateway: the bus loop (main thread:
    collect, authority, events PUB, commands PUSH), the applier thread
    (applies decisions in Overseerr, probes it), and civetweb's workers
    (HTTP). They share only what is in gw_shared_t; each thread has its own
    SQLite connection and its own sockets (DESIGN.md "Things that bite").
    HTTP workers reach the bus loop through an inproc PUSH: a frame there
    is either a command to forward to the poller or an empty nudge saying
    "events were written, publish them". Live event streams (gw_sse) wait
    on events_cond, which the bus loop broadcasts when it has published
    events or received scan progress, and shutdown broadcasts so every
    stream ends before civetweb is stopped.                               */
#ifndef GW_SHARED_H_INCLUDED
#define GW_SHARED_H_INCLUDED

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_auth.h"
#include "gw_health.h"
#include "ps_config.h"

/* A JSON body rendered once and served to every HTTP worker (gw_http.c
   s_send_rendered): `version` is the data it was rendered from (the
   newest event seq, or 0 when only its age matters). */
typedef struct {
    pthread_mutex_t lock; /* guards the four below */
    char *body;           /* the rendered body, or NULL */
    int64_t built_mono;   /* when it was rendered */
    int64_t version;      /* what it was rendered from */
    bool building;        /* a thread is re-rendering it */
} gw_rendered_t;

typedef struct {
    pthread_rwlock_t config_lock; /* guards config (swapped on reload) */
    ps_config_t *config;          /* current configuration */
    char db_path[1024];           /* moderation.db, fixed at start */
    char web_root[1024];          /* dashboard files, fixed at start */
    unsigned char auth_key[GW_AUTH_KEY_BYTES]; /* token hash key, fixed at
                                                  start */
    char nudge_endpoint[64];    /* inproc endpoint of the bus loop */
    gw_health_t *health;        /* own lock */
    pthread_mutex_t apply_lock; /* guards apply_wanted and stopping */
    pthread_cond_t apply_cond;  /* wakes the applier */
    bool apply_wanted;          /* a decision may be due */
    bool stopping;              /* threads must finish; also written under
                                   events_lock, for the streams */
    gw_rendered_t stats;        /* GET /api/v1/stats */
    gw_rendered_t reviews;      /* GET /api/v1/reviews */

    /* Live updates (gw_sse) and posters (gw_poster). */
    pthread_mutex_t events_lock;     /* guards the four below (and stopping) */
    pthread_cond_t events_cond;      /* broadcast: events published, scan
                                        status received, stopping */
    int64_t events_seq;              /* last event seq the bus loop published */
    uint64_t progress_gen;           /* bumped at each scan status */
    int sse_clients;                 /* live event streams open */
    int sse_max;                     /* their cap, fixed at start */
    int64_t started_at;              /* gateway start, ms epoch, fixed */
    struct gw_poster_cache *posters; /* poster cache, own lock */
} gw_shared_t;

/* Wakes the applier thread (a decision was recorded or retried). */
void gw_shared_wake_applier(gw_shared_t *shared);

/* Bus loop: events up to `seq` are published; wakes every live event
   stream. */
void gw_shared_events_published(gw_shared_t *shared, int64_t seq);

/* Bus loop: a scan status arrived; wakes every live event stream. */
void gw_shared_progress_changed(gw_shared_t *shared);

/* Tells every thread to finish (applier, live event streams) and wakes
   them. Called before civetweb is stopped, so mg_stop never waits on a
   stream. */
void gw_shared_stop(gw_shared_t *shared);

#endif
