/*  ps_bus - see ps_bus.h.                                                 */
#include "ps_bus.h"
#include "ps_service.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t s_reload_requested;

ps_bus_options_t
ps_bus_defaults(void)
{
    ps_bus_options_t options = {10000, 10000, 1000, -1, 1000};
    return options;
}

zsock_t *
ps_bus_socket(const ps_config_t *config, int type, const char *endpoint,
              bool bind, const ps_bus_options_t *options, char *err,
              size_t errlen)
{
    ps_bus_options_t defaults = ps_bus_defaults();
    if (!options)
        options = &defaults;
    zsock_t *socket = zsock_new(type);
    if (!socket) {
        snprintf(err, errlen, "cannot create a %s socket: %s",
                 zsys_sockname(type), zmq_strerror(zmq_errno()));
        return NULL;
    }
    zsock_set_sndhwm(socket, options->sndhwm);
    zsock_set_rcvhwm(socket, options->rcvhwm);
    zsock_set_sndtimeo(socket, options->sndtimeo);
    zsock_set_rcvtimeo(socket, options->rcvtimeo);
    zsock_set_linger(socket, options->linger);
    if (type == ZMQ_SUB)
        zsock_set_subscribe(socket, "");
    int rc;
    if (bind) {
        char where[256];
        if (ps_config_bind_endpoint(config, endpoint, where, sizeof(where))
            != 0) {
            snprintf(err, errlen, "endpoint too long: %s", endpoint);
            zsock_destroy(&socket);
            return NULL;
        }
        rc = zsock_bind(socket, "%s", where);
        /* zsock_bind returns the port for tcp binds, 0 otherwise. */
        rc = rc >= 0 ? 0 : -1;
    } else
        rc = zsock_connect(socket, "%s", endpoint);
    if (rc != 0) {
        snprintf(err, errlen, "cannot %s %s socket at %s: %s",
                 bind ? "bind" : "connect", zsys_sockname(type), endpoint,
                 zmq_strerror(zmq_errno()));
        zsock_destroy(&socket);
        return NULL;
    }
    return socket;
}

int
ps_bus_send(zsock_t *socket, zmsg_t **msg_p)
{
    if (zmsg_send(msg_p, socket) == 0)
        return 0;
    zmsg_destroy(msg_p);
    return -1;
}

static void
s_on_sighup(int signum)
{
    (void)signum;
    s_reload_requested = 1;
}

void
ps_signals_init(void)
{
    zsys_init();
    zsys_catch_interrupts();
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = s_on_sighup;
    sigemptyset(&action.sa_mask);
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool
ps_signals_take_reload(void)
{
    if (s_reload_requested) {
        s_reload_requested = 0;
        /* The reload that follows reads the file as it is now, so a
           change made before the SIGHUP must not trigger a second one. */
        ps_service_config_seen();
        return true;
    }
    return ps_service_config_changed();
}

bool
ps_signals_stopping(void)
{
    return zsys_interrupted != 0;
}

struct ps_req {
    const ps_config_t *config; /* for ps_bus_socket; outlives us */
    char *endpoint;            /* server address */
    zsock_t *socket;           /* current REQ socket */
    bool awaiting;             /* a request went out, its reply not read */
};

static int
s_req_connect(ps_req_t *self, char *err, size_t errlen)
{
    ps_bus_options_t options = ps_bus_defaults();
    options.linger = 0;
    self->awaiting = false;
    zsock_destroy(&self->socket);
    self->socket = ps_bus_socket(self->config, ZMQ_REQ, self->endpoint, false,
                                 &options, err, errlen);
    return self->socket ? 0 : -1;
}

ps_req_t *
ps_req_new(const ps_config_t *config, const char *endpoint, char *err,
           size_t errlen)
{
    ps_req_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->config = config;
    self->endpoint = strdup(endpoint);
    if (!self->endpoint || s_req_connect(self, err, errlen) != 0)
        ps_req_destroy(&self);
    return self;
}

void
ps_req_destroy(ps_req_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy(&(*self_p)->socket);
    free((*self_p)->endpoint);
    free(*self_p);
    *self_p = NULL;
}

int
ps_req_send(ps_req_t *self, zmsg_t **request_p)
{
    char err[256];
    ps_req_cancel(self);
    if (!self->socket && s_req_connect(self, err, sizeof(err)) != 0) {
        zmsg_destroy(request_p);
        return -1;
    }
    if (ps_bus_send(self->socket, request_p) != 0) {
        s_req_connect(self, err, sizeof(err));
        return -1;
    }
    self->awaiting = true;
    return 0;
}

zmsg_t *
ps_req_recv(ps_req_t *self, int timeout_ms)
{
    if (!self->awaiting)
        return NULL;
    zpoller_t *poller = zpoller_new(self->socket, NULL);
    zmsg_t *reply = NULL;
    if (poller && zpoller_wait(poller, timeout_ms))
        reply = zmsg_recv(self->socket);
    zpoller_destroy(&poller);
    self->awaiting = false;
    if (!reply) {
        char err[256];
        s_req_connect(self, err, sizeof(err));
    }
    return reply;
}

bool
ps_req_awaiting(const ps_req_t *self)
{
    return self->awaiting;
}

void
ps_req_cancel(ps_req_t *self)
{
    if (!self->awaiting)
        return;
    /* A reply already there is read and dropped, which keeps the
       connection; otherwise only a fresh socket can send again. */
    zmsg_t *late = ps_req_recv(self, 0);
    zmsg_destroy(&late);
}

zmsg_t *
ps_req_call(ps_req_t *self, zmsg_t **request_p, int timeout_ms)
{
    if (ps_req_send(self, request_p) != 0)
        return NULL;
    return ps_req_recv(self, timeout_ms);
}
