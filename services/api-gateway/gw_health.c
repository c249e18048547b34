/*  gw_health - see gw_health.h.                                           */
#include "gw_health.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define GW_HEALTH_MAX_INSTANCES 64

static const char *const s_services[] = {"poller", "enricher", "rule-engine",
                                         "ai-judge", "learner"};
#define S_SERVICE_COUNT (sizeof(s_services) / sizeof(s_services[0]))

typedef struct {
    char service[32];        /* service name */
    char instance[160];      /* instance id */
    int64_t seen_mono;       /* last beat, monotonic ms */
    int64_t started_at;      /* ms epoch */
    char config_version[32]; /* running config */
    char config_error[512];  /* last refused reload */
} s_instance_t;

struct gw_health {
    pthread_mutex_t lock;                            /* guards all below */
    s_instance_t instances[GW_HEALTH_MAX_INSTANCES]; /* known instances */
    size_t instance_count;                           /* used entries */
    bool overseerr_known;                            /* a probe ran */
    bool overseerr_ok;                               /* last probe result */
    char overseerr_detail[512];                      /* its text */
    int64_t overseerr_at;                            /* ms epoch */
    ps_status_t scan;                                /* poller's last status */
    int64_t scan_started_at;                         /* latest scan, ms */
    char scan_detail[256];                           /* its detail text */
    char breaker[16];                                /* judges' breaker */
    double spent_usd;      /* today's AI spend, at the last reservation */
    double reserved_usd;   /* estimates of calls in flight */
    double budget_usd;     /* daily cap, 0 = none */
    char self_version[32]; /* gateway config */
    char self_error[512];  /* its refused reload */
};

gw_health_t *
gw_health_new(void)
{
    gw_health_t *self = calloc(1, sizeof(*self));
    if (self) {
        pthread_mutex_init(&self->lock, NULL);
        snprintf(self->breaker, sizeof(self->breaker), "closed");
    }
    return self;
}

void
gw_health_destroy(gw_health_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

void
gw_health_beat(gw_health_t *self, const ps_heartbeat_t *beat, int64_t now_mono)
{
    pthread_mutex_lock(&self->lock);
    s_instance_t *slot = NULL;
    for (size_t i = 0; i < self->instance_count && !slot; i++)
        if (strcmp(self->instances[i].instance, beat->instance) == 0)
            slot = &self->instances[i];
    if (!slot && self->instance_count < GW_HEALTH_MAX_INSTANCES)
        slot = &self->instances[self->instance_count++];
    if (!slot) {
        /* Table full of instances: reuse the stalest (a restarted judge
           farm leaves dead instance ids behind). */
        slot = &self->instances[0];
        for (size_t i = 1; i < self->instance_count; i++)
            if (self->instances[i].seen_mono < slot->seen_mono)
                slot = &self->instances[i];
    }
    snprintf(slot->service, sizeof(slot->service), "%s", beat->service);
    snprintf(slot->instance, sizeof(slot->instance), "%s", beat->instance);
    slot->seen_mono = now_mono;
    slot->started_at = beat->started_at;
    snprintf(slot->config_version, sizeof(slot->config_version), "%s",
             beat->config_version ? beat->config_version : "");
    snprintf(slot->config_error, sizeof(slot->config_error), "%s",
             beat->config_error ? beat->config_error : "");
    pthread_mutex_unlock(&self->lock);
}

void
gw_health_self(gw_health_t *self, const char *version, const char *config_error)
{
    pthread_mutex_lock(&self->lock);
    snprintf(self->self_version, sizeof(self->self_version), "%s",
             version ? version : "");
    snprintf(self->self_error, sizeof(self->self_error), "%s",
             config_error ? config_error : "");
    pthread_mutex_unlock(&self->lock);
}

void
gw_health_budget(gw_health_t *self, double spent_usd, double reserved_usd,
                 double budget_usd)
{
    pthread_mutex_lock(&self->lock);
    self->spent_usd = spent_usd;
    self->reserved_usd = reserved_usd;
    self->budget_usd = budget_usd;
    pthread_mutex_unlock(&self->lock);
}

void
gw_health_status(gw_health_t *self, const ps_status_t *status)
{
    pthread_mutex_lock(&self->lock);
    if (strcmp(status->service, "poller") == 0) {
        /* A scan announces itself with a first status of nothing done. */
        if (status->scan_running
            && (!self->scan.scan_running
                || (status->done == 0 && status->total == 0)))
            self->scan_started_at = status->at;
        self->scan.scan_running = status->scan_running;
        self->scan.done = status->done;
        self->scan.total = status->total;
        self->scan.at = status->at;
        snprintf(self->scan_detail, sizeof(self->scan_detail), "%s",
                 status->detail ? status->detail : "");
    }
    if (status->breaker)
        snprintf(self->breaker, sizeof(self->breaker), "%s", status->breaker);
    pthread_mutex_unlock(&self->lock);
}

void
gw_health_scan(gw_health_t *self, bool *running, int64_t *done, int64_t *total,
               int64_t *started_at)
{
    pthread_mutex_lock(&self->lock);
    *running = self->scan.scan_running;
    *done = self->scan.done;
    *total = self->scan.total;
    *started_at = self->scan_started_at;
    pthread_mutex_unlock(&self->lock);
}

void
gw_health_overseerr(gw_health_t *self, bool ok, const char *detail, int64_t at)
{
    pthread_mutex_lock(&self->lock);
    self->overseerr_known = true;
    self->overseerr_ok = ok;
    snprintf(self->overseerr_detail, sizeof(self->overseerr_detail), "%s",
             detail ? detail : "");
    self->overseerr_at = at;
    pthread_mutex_unlock(&self->lock);
}

json_t *
gw_health_json(gw_health_t *self, int64_t now_mono, bool db_ok,
               const char *db_detail, bool *healthy)
{
    json_t *services = json_object();
    bool all_up = db_ok;
    pthread_mutex_lock(&self->lock);
    for (size_t s = 0; s < S_SERVICE_COUNT; s++) {
        json_t *instances = json_array();
        bool up = false;
        for (size_t i = 0; i < self->instance_count; i++) {
            const s_instance_t *in = &self->instances[i];
            if (strcmp(in->service, s_services[s]) != 0)
                continue;
            int64_t age = now_mono - in->seen_mono;
            bool alive = age <= GW_HEALTH_STALE_MS;
            up = up || alive;
            json_t *entry =
                json_pack("{s:s,s:b,s:I,s:I,s:s}", "instance", in->instance,
                          "alive", alive, "last_seen_ms_ago", (json_int_t)age,
                          "started_at", (json_int_t)in->started_at,
                          "config_version", in->config_version);
            if (entry && in->config_error[0])
                json_object_set_new(entry, "config_error",
                                    json_string(in->config_error));
            json_array_append_new(instances, entry);
        }
        all_up = all_up && up;
        json_object_set_new(
            services, s_services[s],
            json_pack("{s:b,s:o}", "ok", up, "instances", instances));
    }
    json_t *gateway =
        json_pack("{s:b,s:s}", "ok", 1, "config_version", self->self_version);
    if (gateway && self->self_error[0])
        json_object_set_new(gateway, "config_error",
                            json_string(self->self_error));
    json_object_set_new(services, "api-gateway", gateway);
    json_t *overseerr = json_pack(
        "{s:b,s:s,s:I}", "ok", self->overseerr_known && self->overseerr_ok,
        "detail",
        self->overseerr_known ? self->overseerr_detail : "not checked yet",
        "checked_at", (json_int_t)self->overseerr_at);
    all_up = all_up && self->overseerr_known && self->overseerr_ok;
    json_t *scan = json_pack(
        "{s:b,s:I,s:I,s:I,s:s}", "running", self->scan.scan_running, "done",
        (json_int_t)self->scan.done, "total", (json_int_t)self->scan.total,
        "at", (json_int_t)self->scan.at, "detail", self->scan_detail);
    json_t *ai =
        json_pack("{s:s,s:f,s:f}", "breaker", self->breaker, "reserved_usd",
                  self->reserved_usd, "budget_usd", self->budget_usd);
    pthread_mutex_unlock(&self->lock);
    *healthy = all_up;
    return json_pack("{s:s,s:o,s:o,s:{s:b,s:s},s:o,s:o}", "status",
                     all_up ? "ok" : "degraded", "services", services,
                     "overseerr", overseerr, "database", "ok", db_ok, "detail",
                     db_detail ? db_detail : "", "scan", scan, "ai", ai);
}
