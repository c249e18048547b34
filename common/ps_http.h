/*  ps_http - a libcurl client with explicit timeouts and a capped body.

    Every outside call (Overseerr, the LLM) goes through here so each one
    has a connect timeout, a total timeout and a maximum response size,
    and so the caller can tell a timeout from a refused connection from an
    HTTP error status (it decides retries differently for each). One
    ps_http_t wraps one curl easy handle, which keeps connections alive
    between calls; it is not thread-safe, give each thread its own.       */
#ifndef PS_HTTP_H_INCLUDED
#define PS_HTTP_H_INCLUDED

#include <stddef.h>

typedef struct ps_http ps_http_t;

typedef enum {
    PS_HTTP_OK = 0,    /* a response arrived (any status) */
    PS_HTTP_TIMEOUT,   /* connect or total timeout */
    PS_HTTP_CONNECT,   /* could not connect or resolve */
    PS_HTTP_TOO_LARGE, /* body over the cap */
    PS_HTTP_TRANSPORT, /* any other transport failure */
    PS_HTTP_NOMEM      /* out of memory */
} ps_http_rc_t;

typedef struct {
    long status;     /* HTTP status, 0 when no response */
    char *body;      /* NUL-terminated body, owned */
    size_t body_len; /* bytes in body */
    char *headers;   /* "name: value\n" lines, lower-cased names, owned */
    double seconds;  /* total time of the call */
} ps_http_response_t;

/* Creates a client. Timeouts in ms, max_body in bytes. Returns NULL if
   curl cannot be initialised. */
ps_http_t *ps_http_new(long connect_timeout_ms, long total_timeout_ms,
                       size_t max_body);

/* Frees the client; accepts NULL and sets *self_p to NULL. */
void ps_http_destroy(ps_http_t **self_p);

/* Changes the total timeout for the following calls. */
void ps_http_set_timeout(ps_http_t *self, long total_timeout_ms);

/* Performs one call. `headers` is a NULL-terminated array of "Name: value"
   strings (may be NULL); `body` may be NULL. The response is reset first
   and filled on PS_HTTP_OK; the caller frees it with
   ps_http_response_clear. The reason of a failure is in ps_http_error. */
ps_http_rc_t ps_http_request(ps_http_t *self, const char *method,
                             const char *url, const char *const *headers,
                             const char *body, size_t body_len,
                             ps_http_response_t *response);

/* Frees a response's buffers and zeroes it. */
void ps_http_response_clear(ps_http_response_t *response);

/* Finds a response header by lower-case name and copies its value into
   buf. Returns 0, or -1 if absent. */
int ps_http_response_header(const ps_http_response_t *response,
                            const char *name, char *buf, size_t len);

/* The last error's text ("timeout after 5000 ms", ...). */
const char *ps_http_error(const ps_http_t *self);

/* A short name for a return code. */
const char *ps_http_strerror(ps_http_rc_t rc);

#endif
