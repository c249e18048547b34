/*  gw_http - the gateway's HTTP side: REST API, webhook, dashboard files.

    civetweb calls gw_http_handle from its worker threads. It decides who
    is calling and whether their role allows the route, then hands the
    call to the route modules (gw_reply.h says what they share).         */
#ifndef GW_HTTP_H_INCLUDED
#define GW_HTTP_H_INCLUDED

#include <civetweb.h>

#include "gw_shared.h"

/* The catch-all request handler; cbdata is the gw_shared_t. Returns the
   HTTP status sent. */
int gw_http_handle(struct mg_connection *conn, void *cbdata);

#endif
