/*  gateway - the api-gateway service: the authority on what is decided.

    Owns moderation.db, binds the collect (PULL), events (PUB) and
    authority (REP) sockets, connects to the poller's commands (PUSH),
    runs the applier thread and the civetweb server. gateway_run is the
    bus loop; it returns when SIGINT/SIGTERM arrive.                       */
#ifndef GATEWAY_H_INCLUDED
#define GATEWAY_H_INCLUDED

#include <stddef.h>

#include "ps_config.h"

typedef struct gateway gateway_t;

/* Creates the gateway from a loaded configuration, which it takes
   (*config_p becomes NULL). config_path is kept for reloads (may be
   NULL). Opens the database, binds every socket and starts HTTP. Returns
   NULL with the reason in err. */
gateway_t *gateway_new(ps_config_t **config_p, const char *config_path,
                       char *err, size_t errlen);

/* Runs the bus loop until interrupted. Returns 0 on a clean stop. */
int gateway_run(gateway_t *self);

/* Stops HTTP and the applier and frees everything; accepts NULL. */
void gateway_destroy(gateway_t **self_p);

#endif
