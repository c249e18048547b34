/*  ps_web - what every civetweb server of the project needs alike.

    The gateway and both simulators read request bodies the same way:
    mg_read in a loop (one read may return part of the body), bounded by
    a maximum given up front (STYLE.md section 6), into a NUL-terminated
    buffer. Kept apart from ps_common so services without an HTTP server
    do not link civetweb.                                                 */
#ifndef PS_WEB_H_INCLUDED
#define PS_WEB_H_INCLUDED

#include <civetweb.h>
#include <stddef.h>

typedef enum {
    PS_WEB_BODY_OK = 0,    /* *body holds the whole body */
    PS_WEB_BODY_TOO_LARGE, /* declared or sent over `max` bytes (413) */
    PS_WEB_BODY_FAILED     /* read error or out of memory */
} ps_web_body_rc_t;

/* Reads the request body, at most `max` bytes. On PS_WEB_BODY_OK, *body is
   a new NUL-terminated buffer (caller frees; "" when there is no body)
   and *len its length; otherwise *body is NULL and *len 0. */
ps_web_body_rc_t ps_web_read_body(struct mg_connection *conn, size_t max,
                                  char **body, size_t *len);

#endif
