/*  gw_reply - what every HTTP route module of the gateway shares: the
    calling worker's own resources, one-write responses, bounded body
    reading and query/path parsing.

    civetweb runs handlers on its worker threads. Each worker gets its own
    store connection, Overseerr client and inproc socket on first use
    (thread-local), freed by gw_reply_thread_exit. Every response goes out
    in a single mg_write (TOOLCHAIN.md: Nagle + delayed ACK cost 40 ms per
    response otherwise) and carries the security headers. Route modules
    (gw_http.c, gw_api.c, gw_proto.c, ...) take a gw_req_t and return the
    HTTP status they sent, or 0 when the route is not theirs.           */
#ifndef GW_REPLY_H_INCLUDED
#define GW_REPLY_H_INCLUDED

#include <civetweb.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_auth.h"
#include "gw_shared.h"
#include "gw_store.h"
#include "ps_overseerr.h"

#define GW_MAX_BODY (64 * 1024) /* JSON bodies and webhooks */

/* One HTTP call as the route modules see it. */
typedef struct {
    struct mg_connection *conn;
    gw_shared_t *shared;
    const struct mg_request_info *info;
    const char *uri;           /* path without the query string */
    const char *method;        /* "GET", "POST", ... */
    bool get;                  /* GET or HEAD */
    bool post;                 /* POST */
    const gw_principal_t *who; /* role NONE on public routes */
} gw_req_t;

/* A growing text buffer for bodies written in batches (the CSV stream,
   event frames); zero-initialize it, gw_buf_free when done. */
typedef struct {
    char *data; /* owned, NUL-terminated when len > 0 */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
} gw_buf_t;

/* Appends len bytes. Returns 0, or -1 when out of memory. */
int gw_buf_add(gw_buf_t *buf, const char *text, size_t len);

/* Frees the buffer's memory and empties it. */
void gw_buf_free(gw_buf_t *buf);

/* The security headers every response carries ("Name: value\r\n"...). */
extern const char gw_security_headers[];

/* The calling worker's store (opened on first use), or NULL when the
   database cannot be opened (logged). */
gw_store_t *gw_reply_store(gw_shared_t *shared);

/* The calling worker's Overseerr client, built from the current config on
   first use, or NULL. */
ps_overseerr_t *gw_reply_overseerr(gw_shared_t *shared);

/* Frees the calling worker thread's resources (civetweb exit_thread). */
void gw_reply_thread_exit(void);

/* Hands a frame to the bus loop (NULL: an empty "events were written,
   publish them" nudge). Takes ownership of *msg_p. */
void gw_reply_nudge(gw_shared_t *shared, zmsg_t **msg_p);

/* Asks the poller, through the bus loop, for `verb` (scan, hint,
   rejudge). */
void gw_reply_command(gw_shared_t *shared, const char *verb, int64_t request_id,
                      const char *reason);

/* Writes status, headers and body in one mg_write. `extra_headers` is
   NULL or "Name: value\r\n"... Returns status. */
int gw_reply(struct mg_connection *conn, int status, const char *type,
             const char *extra_headers, const char *body, size_t len);

/* Sends a JSON value (released; NULL sends a 500) with Cache-Control:
   no-store and extra headers. Returns the status sent. */
int gw_reply_json_with(struct mg_connection *conn, int status, json_t *value,
                       const char *headers);
int gw_reply_json(struct mg_connection *conn, int status, json_t *value);

/* {"error": message} with the status. */
int gw_reply_error(struct mg_connection *conn, int status, const char *message);

/* Reads the body up to `max` bytes. Returns its length, -1 when it is
   larger, -2 on a read failure. *out is malloc'ed and NUL-terminated. */
long gw_read_body_max(struct mg_connection *conn, size_t max, char **out);
long gw_read_body(struct mg_connection *conn, char **out); /* GW_MAX_BODY */

/* Reads a JSON object body. Returns it, or NULL with *status (400/413)
   and *why set. */
json_t *gw_read_json_body(struct mg_connection *conn, int *status,
                          const char **why);

/* Copies query parameter `name` into buf; false when absent. */
bool gw_query_value(const struct mg_request_info *info, const char *name,
                    char *buf, size_t len);

/* Parses "/prefix/{id}/rest": the positive id after `prefix` and what
   follows it into rest ("" or "/..."). Returns 0, or -1. */
int gw_path_id(const char *uri, const char *prefix, int64_t *id, char *rest,
               size_t rest_len);

#endif
