/*  ps_overseerr - the Overseerr / Jellyseerr / Seerr API v1 client.

    Every call sends X-Api-Key, asks for JSON, has the configured timeout
    and a 8 MiB response cap, and sorts the outcome into what the caller
    must do (../shared/contracts/overseerr.md): OK, NOT_FOUND (404 is *not*
    success for approve/decline, it is the handler's catch-all), CONFLICT
    (Seerr's 409: decided elsewhere), FORBIDDEN (403: wrong key, a config
    alarm), TRANSIENT (5xx, timeout, refused connection: retry later),
    BAD_RESPONSE (200 with a body that is not JSON) or ERROR (other 4xx).
    One client per thread; it keeps its connection alive between calls.   */
#ifndef PS_OVERSEERR_H_INCLUDED
#define PS_OVERSEERR_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

typedef struct ps_overseerr ps_overseerr_t;

typedef enum {
    PS_OVERSEERR_OK = 0,
    PS_OVERSEERR_NOT_FOUND,
    PS_OVERSEERR_CONFLICT,
    PS_OVERSEERR_FORBIDDEN,
    PS_OVERSEERR_TRANSIENT,
    PS_OVERSEERR_BAD_RESPONSE,
    PS_OVERSEERR_ERROR
} ps_overseerr_rc_t;

/* MediaRequestStatus values. */
#define PS_REQUEST_PENDING 1
#define PS_REQUEST_APPROVED 2
#define PS_REQUEST_DECLINED 3

/* Creates a client for base_url (no /api/v1 suffix; a trailing / is
   fine). Returns NULL on OOM. */
ps_overseerr_t *ps_overseerr_new(const char *base_url, const char *api_key,
                                 int timeout_ms);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void ps_overseerr_destroy(ps_overseerr_t **self_p);

/* GET {base}/api/v1{path}. On OK, *out is the parsed body (caller
   json_decref's it); otherwise *out is NULL and ps_overseerr_error says
   what happened ("GET /request/5: HTTP 500 Unable to ..."). */
ps_overseerr_rc_t ps_overseerr_get(ps_overseerr_t *self, const char *path,
                                   json_t **out);

/* POST with no body (approve, decline). Same contract as get. */
ps_overseerr_rc_t ps_overseerr_post(ps_overseerr_t *self, const char *path,
                                    json_t **out);

/* The last call's error text, never containing the API key. */
const char *ps_overseerr_error(const ps_overseerr_t *self);

/* A short name for a return code ("transient", ...). */
const char *ps_overseerr_strerror(ps_overseerr_rc_t rc);

/* Reads an integer member that may also be sent as a string (webhook
   payloads send every leaf as a string). Returns 0, or -1. */
int ps_json_int(const json_t *object, const char *key, int64_t *out);

/* Returns a string member or NULL when absent, null or not a string. */
const char *ps_json_str(const json_t *object, const char *key);

#endif
