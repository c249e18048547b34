/*  oversim_store - the Overseerr simulator's data: users, titles, requests.

    The store generates a realistic, seed-deterministic Overseerr instance
    (users of every account age, movies and series with TMDB-like metadata,
    pending requests) and answers the /api/v1 routes and the /sim control
    routes as pure functions from (method, path, query, body) to (status,
    JSON), so tests drive it without sockets. Shapes and key orders follow
    shared/contracts/overseerr.md and its fixtures.
    Thread-safety: every public function takes the store's mutex, so the
    civetweb worker threads and the "new request every N s" thread may call
    it at once. The store owns all its records; JSON results belong to the
    caller.                                                                */
#ifndef OVERSIM_STORE_H_INCLUDED
#define OVERSIM_STORE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oversim_store oversim_store_t;

/* Generates a store: about 12 users and `requests` pending requests, the
   newest created shortly before `now_ms`. Equal seeds and `now_ms` give
   identical data. Returns NULL on allocation failure. */
oversim_store_t *oversim_store_new(uint64_t seed, int requests, int64_t now_ms);

/* Frees the store; accepts NULL and an already-NULL *self_p. */
void oversim_store_destroy(oversim_store_t **self_p);

/* Seerr mode: approving or declining a request that is not pending answers
   409 instead of overwriting it (overseerr.md §6). */
void oversim_store_set_seerr(oversim_store_t *self, bool seerr);

/* Answers one /api/v1 route. `path` is the part after "/api/v1" (e.g.
   "/request/12/approve"), `query` the raw query string or NULL. Returns the
   HTTP status and sets *response to a new JSON body (the caller owns it).
   Webhook payloads the call produced (MEDIA_APPROVED ...) are appended to
   `webhooks` when it is not NULL. Authentication is the caller's job. */
int oversim_store_api(oversim_store_t *self, const char *method,
                      const char *path, const char *query, int64_t now_ms,
                      json_t **response, json_t *webhooks);

/* Answers one /sim control route (GET /sim/state, POST /sim/requests,
   POST /sim/requests/{id}/status). `path` is the part after "/sim". Same
   ownership rules as oversim_store_api. */
int oversim_store_control(oversim_store_t *self, const char *method,
                          const char *path, const char *body, size_t body_len,
                          int64_t now_ms, json_t **response, json_t *webhooks);

/* Creates `count` random pending requests at `now_ms`, appends their
   MEDIA_PENDING payloads to `webhooks` (may be NULL) and their ids to
   `ids` (a JSON array, may be NULL). Returns 0, or -1 on allocation
   failure. */
int oversim_store_add_random(oversim_store_t *self, int count, int64_t now_ms,
                             json_t *ids, json_t *webhooks);

/* The number of requests whose status is `status` (1..4), or of all
   requests when `status` is 0. */
int oversim_store_count(oversim_store_t *self, int status);

/* True when a title of the store has the poster `path` ("/xxxx.jpg"). */
bool oversim_store_has_poster(oversim_store_t *self, const char *path);

/* Builds the default webhook payload (overseerr.md §11.3) of `type`
   ("MEDIA_PENDING", "MEDIA_APPROVED", "MEDIA_DECLINED", "MEDIA_FAILED")
   for request `id`. Returns a new object, or NULL if the id is unknown. */
json_t *oversim_store_webhook(oversim_store_t *self, int id, const char *type);

#endif
