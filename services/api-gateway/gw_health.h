/*  gw_health - what the gateway knows about the stack's liveness.

    Filled by the bus loop (heartbeats, scan status, breaker state) and the
    applier thread (the Overseerr probe), read by HTTP worker threads for
    /api/v1/health and the dashboard, so every field is guarded by one
    mutex. A service counts as up when one of its instances beat within
    GW_HEALTH_STALE_MS; nothing here is assumed healthy by default, unlike
    the prototype's health page.                                          */
#ifndef GW_HEALTH_H_INCLUDED
#define GW_HEALTH_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ps_control.h"

#define GW_HEALTH_STALE_MS 6000

typedef struct gw_health gw_health_t;

gw_health_t *gw_health_new(void);

void gw_health_destroy(gw_health_t **self_p);

/* Records a heartbeat received at now_mono (monotonic ms). */
void gw_health_beat(gw_health_t *self, const ps_heartbeat_t *beat,
                    int64_t now_mono);

/* Records the gateway's own running config version and the error of its
   last refused reload (NULL: none). Both are copied. */
void gw_health_self(gw_health_t *self, const char *version,
                    const char *config_error);

/* Records the AI budget state seen at the last reservation. */
void gw_health_budget(gw_health_t *self, double spent_usd, double reserved_usd,
                      double budget_usd);

/* Records a status message (scan progress, breaker). */
void gw_health_status(gw_health_t *self, const ps_status_t *status);

/* The poller's last scan status: running, ids handled and seen, and when
   the latest scan started (ms epoch, 0 when no scan was seen). */
void gw_health_scan(gw_health_t *self, bool *running, int64_t *done,
                    int64_t *total, int64_t *started_at);

/* Records the result of an Overseerr probe. detail is copied. */
void gw_health_overseerr(gw_health_t *self, bool ok, const char *detail,
                         int64_t at);

/* Builds the health document. db_ok/db_detail come from the caller's own
   probe. *healthy is set when every service and dependency is up. */
json_t *gw_health_json(gw_health_t *self, int64_t now_mono, bool db_ok,
                       const char *db_detail, bool *healthy);

#endif
