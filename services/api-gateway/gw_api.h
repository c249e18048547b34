/*  gw_api - the dashboard's read API and access management: the decision
    history (filtered, cursor-paged JSON and a streamed CSV export), the
    per-requester summary, the effective rules, daily statistics, API
    tokens and staff accounts, and the OpenAPI document.

    Routes (every one answers 405 naming the right method otherwise):
      GET    /api/v1/decisions           filters + cursor, JSON page
      GET    /api/v1/decisions.csv       same filters, every row, streamed
      GET    /api/v1/users               per requester: counts, quota, trust
      GET    /api/v1/rules               effective config, secrets masked
      GET    /api/v1/stats/daily?days=   per local day, agreement with staff
      GET    /api/v1/tokens              (admin) API tokens, never a hash
      DELETE /api/v1/tokens/{id}         (admin)
      GET    /api/v1/accounts            (admin) staff logins
      POST   /api/v1/accounts            (admin) {"username","password","role"}
      DELETE /api/v1/accounts/{username} (admin) never the last admin
      GET    /api/v1/openapi.json        web_root/openapi.json

    The queries live here, next to their routes, on the calling worker's
    own connection (gw_store_sqlite); the schema and its indexes stay in
    gw_store.c. The pure parts (query parsing, the cursor, CSV quoting)
    are public so the unit tests reach them without a server.           */
#ifndef GW_API_H_INCLUDED
#define GW_API_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_reply.h"

#define GW_API_CURSOR_LEN 64 /* room for an encoded cursor */

/* The filters of /api/v1/decisions and decisions.csv. Unset text filters
   are "", unset numbers 0. */
typedef struct {
    char outcome[16];   /* approve | decline | review */
    char source[16];    /* rule | ai | learner | staff | error */
    char user[128];     /* requester name (any case), or "" */
    int64_t user_id;    /* requester id when `user` was a number */
    char media_type[8]; /* movie | tv */
    int64_t from_ms;    /* first millisecond included (local midnight) */
    int64_t to_ms;      /* first millisecond excluded */
    char q[256];        /* text searched in title, requester, texts */
    int64_t limit;      /* page size, 1..1000 (default 50) */
    bool has_cursor;    /* continue after the cursor's row */
    int64_t cursor_at;  /* that row's decided_at */
    int64_t cursor_id;  /* that row's id */
} gw_api_filter_t;

/* Parses a query string (NULL or "" for none). `paged` accepts `limit`
   and `cursor` (the JSON page); the CSV takes every matching row.
   Empty values count as absent (an HTML form sends every field). Returns
   0, or -1 with err set to a message naming the parameter, such as
   "query `from`: expected YYYY-MM-DD". Dates are local days of the
   process time zone. */
int gw_api_filter_parse(const char *query, bool paged, gw_api_filter_t *out,
                        char *err, size_t errlen);

/* Writes the opaque cursor that continues after the row (decided_at, id)
   into buf (GW_API_CURSOR_LEN bytes). Returns 0, or -1 when too small. */
int gw_api_cursor_encode(int64_t decided_at, int64_t id, char *buf, size_t len);

/* Reads a cursor written by gw_api_cursor_encode. Returns 0, or -1 when
   the text is not one. */
int gw_api_cursor_decode(const char *text, int64_t *decided_at, int64_t *id);

/* Appends one CSV field (RFC 4180): quoted when it holds a comma, a
   quote, CR or LF, quotes doubled; NULL is the empty field. With
   `neutralize`, a text starting with = + - @, a tab or CR gets a leading
   apostrophe, so a spreadsheet shows it instead of running it as a
   formula (OWASP CSV injection). Returns 0, or -1 on OOM. */
int gw_api_csv_field(gw_buf_t *buf, const char *text, bool neutralize);

/* Answers the routes above. Returns the HTTP status sent, or 0 when the
   route is not this module's. */
int gw_api_route(const gw_req_t *req);

#endif
