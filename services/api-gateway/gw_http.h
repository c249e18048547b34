/*  gw_http - the gateway's HTTP side: REST API, webhook, dashboard files.

    civetweb calls gw_http_handle from its worker threads. Each worker gets
    its own store connection, Overseerr client and inproc socket on first
    use (thread-local), freed by gw_http_thread_exit. Every response is
    written in a single mg_write (TOOLCHAIN.md: Nagle + delayed ACK cost
    40 ms per response otherwise) with security headers.                  */
#ifndef GW_HTTP_H_INCLUDED
#define GW_HTTP_H_INCLUDED

#include <civetweb.h>

#include "gw_shared.h"

/* The catch-all request handler; cbdata is the gw_shared_t. Returns the
   HTTP status sent. */
int gw_http_handle(struct mg_connection *conn, void *cbdata);

/* Frees the calling worker thread's resources (civetweb exit_thread). */
void gw_http_thread_exit(void);

#endif
