/*  ps_beat - the heartbeat every service sends to the gateway.

    The gateway's health page is built from these, so it shows what is
    really running (the prototype's health page checked nothing). A
    service calls ps_beat_tick from its loop at least every second; a beat
    goes out every PS_BEAT_INTERVAL_MS. The instance id (service name,
    host name and pid) tells scaled ai-judges apart.                       */
#ifndef PS_BEAT_H_INCLUDED
#define PS_BEAT_H_INCLUDED

#include <czmq.h>

#define PS_BEAT_INTERVAL_MS 2000

typedef struct ps_beat ps_beat_t;

/* Creates the sender for `service`. Returns NULL on OOM. */
ps_beat_t *ps_beat_new(const char *service);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void ps_beat_destroy(ps_beat_t **self_p);

/* The instance id, e.g. "ai-judge@host:1234". */
const char *ps_beat_instance(const ps_beat_t *self);

/* Remembers the running config version and the last refused reload
   (NULL: none). Both are copied. */
void ps_beat_set_config(ps_beat_t *self, const char *version,
                        const char *error);

/* Sends a heartbeat on `collect` when one is due. Returns 0, or -1 when
   a due beat could not be sent (it is retried at the next tick). */
int ps_beat_tick(ps_beat_t *self, zsock_t *collect);

/* Milliseconds until the next beat is due, for poll timeouts. */
int ps_beat_wait_ms(const ps_beat_t *self);

#endif
