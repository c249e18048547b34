/*  ps_bus - ZeroMQ sockets made the same way in every service.

    Every socket gets its high-water marks, linger and send timeout set
    deliberately (DESIGN.md "Things that bite"): a PUSH with no peer must
    not block a service forever, and a closing socket gets about a second
    to flush. Binders turn the configured host into * when bus.bind_all is
    set (containers); connectors use the endpoint as written.
    Also holds the process signal plumbing: czmq covers SIGINT/SIGTERM, and
    SIGHUP (reload) gets a handler of its own that only sets a flag; the
    reload check also polls the configuration file's watch (ps_service). */
#ifndef PS_BUS_H_INCLUDED
#define PS_BUS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#include "ps_config.h"

typedef struct {
    int sndhwm;   /* outgoing queue limit, messages (0 = unlimited) */
    int rcvhwm;   /* incoming queue limit, messages */
    int sndtimeo; /* ms a send may block, -1 = forever */
    int rcvtimeo; /* ms a receive may block, -1 = forever */
    int linger;   /* ms unsent messages survive a close */
} ps_bus_options_t;

/* Sensible defaults: HWM 10000 both ways, send timeout 1000 ms, receive
   forever, linger 1000 ms. */
ps_bus_options_t ps_bus_defaults(void);

/* Creates a socket of `type` (ZMQ_PUSH, ZMQ_PULL, ...), sets the options
   and binds (bind=true) or connects to `endpoint`. A SUB socket is
   subscribed to everything. Returns the socket, or NULL with the reason
   in err. The caller owns the socket (zsock_destroy). */
zsock_t *ps_bus_socket(const ps_config_t *config, int type,
                       const char *endpoint, bool bind,
                       const ps_bus_options_t *options, char *err,
                       size_t errlen);

/* Sends a message; on success *msg_p is NULL. On failure (timeout, no
   peer) the message is destroyed, *msg_p is NULL and -1 is returned: the
   work is at-least-once, the next scan brings it back. */
int ps_bus_send(zsock_t *socket, zmsg_t **msg_p);

/* Installs czmq's SIGINT/SIGTERM handling and a SIGHUP handler that only
   sets a flag. Call once from main before creating sockets. */
void ps_signals_init(void);

/* True once after each SIGHUP (reads and clears the flag), and once
   after each change of the configuration file ps_service_start watches
   (ps_service_config_changed: checked at most once a second). Call it
   from the service loop's thread, at least once a second. */
bool ps_signals_take_reload(void);

/* True once SIGINT or SIGTERM arrived. */
bool ps_signals_stopping(void);


/*  ps_req - a REQ client that survives a dead server ("lazy pirate").
    A REQ socket whose request got no reply is stuck forever, so on a
    timeout the socket is thrown away and a fresh one connected; the
    caller treats the call as failed and retries later. Not thread-safe. */
typedef struct ps_req ps_req_t;

/* Creates a client connected to `endpoint`. Returns NULL with err set. */
ps_req_t *ps_req_new(const ps_config_t *config, const char *endpoint, char *err,
                     size_t errlen);

/* Frees the client; accepts NULL, sets *self_p to NULL. */
void ps_req_destroy(ps_req_t **self_p);

/* Sends *request_p (taken: *request_p becomes NULL) and waits up to
   timeout_ms for the reply. Returns the reply (caller owns), or NULL on
   timeout, interruption or send failure. Same as ps_req_send then
   ps_req_recv. */
zmsg_t *ps_req_call(ps_req_t *self, zmsg_t **request_p, int timeout_ms);

/* The two halves of ps_req_call, so a caller can do other work while the
   server answers. ps_req_send sends *request_p (taken) and returns 0, or
   -1 when the send failed (the socket is then replaced). A request still
   awaiting its reply is cancelled first (ps_req_cancel). */
int ps_req_send(ps_req_t *self, zmsg_t **request_p);

/* Waits up to timeout_ms (0: only what has arrived) for the reply to the
   request ps_req_send sent. Returns it (caller owns), or NULL when none
   is awaited, or on timeout or interruption (the socket is then
   replaced, lazy pirate). Either way nothing is awaited afterwards. */
zmsg_t *ps_req_recv(ps_req_t *self, int timeout_ms);

/* True between a successful ps_req_send and the ps_req_recv or
   ps_req_cancel that ends it. */
bool ps_req_awaiting(const ps_req_t *self);

/* Gives up on the request awaiting its reply, if any, without waiting: a
   reply already arrived is dropped, else the socket is replaced (a REQ
   socket cannot send again before it has read a reply). Call it on every
   path that will not ps_req_recv, so the next send is not refused. */
void ps_req_cancel(ps_req_t *self);

#endif
