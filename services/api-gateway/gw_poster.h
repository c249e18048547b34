/*  gw_poster - the review cards' posters, proxied and cached by the gateway.

    GET /api/v1/posters/{request_id} answers the poster of a request the
    gateway knows (requests.poster_path, written with its decision). The
    gateway fetches it from gateway.poster_base_url + the poster path with
    libcurl (common/ps_http), keeps it in <data_dir>/posters (bounded by
    gateway.poster_cache_mb, least recently served deleted first: a hit
    touches the file's mtime) and serves it with its real Content-Type.
    Browsers therefore never talk to TMDB, and a LAN without internet
    still shows the posters it has seen.

    Only the configured base is ever asked, and only for a path matching
    ^/[A-Za-z0-9_-][A-Za-z0-9._-]*\.(jpg|png)$: nothing a request body says
    can make the gateway fetch another URL. A fetch that fails (404,
    offline, timeout, not an image) answers a small placeholder SVG that
    browsers keep one minute, so a page never shows a broken image; after
    a transport failure the gateway stops asking for 30 s, so an offline
    LAN costs one timeout, not one per card. Concurrent misses for the same
    poster fetch it once: the others wait for that fetch (cache lock and
    condition variable in gw_poster_cache_t, shared by the HTTP workers). */
#ifndef GW_POSTER_H_INCLUDED
#define GW_POSTER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_reply.h"

#define GW_POSTER_MAX_BYTES (4 * 1024 * 1024) /* one fetched image */

typedef struct gw_poster_cache gw_poster_cache_t;

/* Creates the cache state and its directory, <data_dir>/posters. Returns
   NULL with the reason in err. */
gw_poster_cache_t *gw_poster_cache_new(const char *data_dir, char *err,
                                       size_t errlen);

/* Frees the state (the files stay); accepts NULL, nulls *self_p. */
void gw_poster_cache_destroy(gw_poster_cache_t **self_p);

/* GET /api/v1/posters/{request_id}. Returns 0 when the route is not this
   module's, else the HTTP status sent. */
int gw_poster_route(const gw_req_t *req);

/* True when `path` is a TMDB poster path the gateway may fetch and keep:
   "/" then a name of [A-Za-z0-9._-] not starting with a dot, ending in
   .jpg or .png, at most 128 bytes in all. */
bool gw_poster_path_valid(const char *path);

/* The Content-Type of an image by its first bytes ("image/jpeg",
   "image/png"), or NULL when it is neither. */
const char *gw_poster_sniff(const void *data, size_t len);

/* Deletes the least recently used files of `dir` (oldest mtime first)
   until their sizes add up to at most max_bytes. Names starting with a dot
   (files being written) are left alone. Returns the bytes kept, or -1
   when the directory cannot be read. */
int64_t gw_poster_evict(const char *dir, int64_t max_bytes);

/* The placeholder image (SVG) and its length. */
extern const char gw_poster_placeholder[];
extern const size_t gw_poster_placeholder_len;

#endif
