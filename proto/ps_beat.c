/*  ps_beat - see ps_beat.h.                                               */
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_control.h"
#include "ps_time.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ps_beat {
    ps_heartbeat_t *heartbeat; /* the message, refreshed on each send */
    int64_t next_mono;         /* when the next beat is due */
};

ps_beat_t *
ps_beat_new(const char *service)
{
    ps_beat_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->heartbeat = ps_heartbeat_new();
    char host[64] = "localhost";
    gethostname(host, sizeof(host) - 1);
    char instance[160];
    snprintf(instance, sizeof(instance), "%s@%s:%d", service, host,
             (int)getpid());
    if (self->heartbeat) {
        self->heartbeat->service = strdup(service);
        self->heartbeat->instance = strdup(instance);
        self->heartbeat->pid = getpid();
        self->heartbeat->started_at = ps_time_now_ms();
    }
    if (!self->heartbeat || !self->heartbeat->service
        || !self->heartbeat->instance)
        ps_beat_destroy(&self);
    return self;
}

void
ps_beat_destroy(ps_beat_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_heartbeat_destroy(&(*self_p)->heartbeat);
    free(*self_p);
    *self_p = NULL;
}

const char *
ps_beat_instance(const ps_beat_t *self)
{
    return self->heartbeat->instance;
}

void
ps_beat_set_config(ps_beat_t *self, const char *version, const char *error)
{
    free(self->heartbeat->config_version);
    free(self->heartbeat->config_error);
    self->heartbeat->config_version = version ? strdup(version) : NULL;
    self->heartbeat->config_error = error && *error ? strdup(error) : NULL;
    self->next_mono = 0;
}

int
ps_beat_tick(ps_beat_t *self, zsock_t *collect)
{
    int64_t now = ps_time_mono_ms();
    if (now < self->next_mono)
        return 0;
    self->heartbeat->at = ps_time_now_ms();
    zmsg_t *msg = ps_heartbeat_encode(self->heartbeat);
    if (!msg || ps_bus_send(collect, &msg) != 0)
        return -1;
    self->next_mono = now + PS_BEAT_INTERVAL_MS;
    return 0;
}

int
ps_beat_wait_ms(const ps_beat_t *self)
{
    int64_t wait = self->next_mono - ps_time_mono_ms();
    return wait < 0 ? 0 : (int)wait;
}
