/*  gw_proto - the Python prototype's HTTP routes, kept so its users'
    scripts and bookmarks go on working (contracts/prototype.md).

    Same answers as the prototype (APPROVED / REJECTED / NEEDS_REVIEW
    through ps_legacy, its JSON keys), but behind the gateway's logins and
    roles (gw_http: reads need viewer, writes staff and a CSRF token from
    a browser session), and no GET changes anything: the scan triggers
    answer 405 to GET naming their POST. Its HTML pages are aliases of
    ours (302). Review decisions go through gw_staff like the REST API's,
    so a failure in Overseerr keeps the review open. Runs on civetweb
    worker threads with the worker's own store connection.                */
#ifndef GW_PROTO_H_INCLUDED
#define GW_PROTO_H_INCLUDED

#include <stdbool.h>

#include "gw_reply.h"

/* True for the prototype's JSON routes: an anonymous caller gets 401
   JSON there, not the login page's redirect. */
bool gw_proto_is_json(const char *uri);

/* Serves a prototype route. Returns the HTTP status sent, or 0 when the
   route is not one of them. */
int gw_proto_route(const gw_req_t *req);

#endif
