/*  gw_http - see gw_http.h.

    Routes (JSON unless said otherwise):
      POST /webhook/overseerr            Overseerr's webhook (secret)
      GET  /api/v1/health                real checks; 503 when degraded
      GET  /api/v1/stats                 counts by state, outcome, source
      GET  /api/v1/decisions ...         history, users, rules, tokens,
                                         accounts, openapi.json: gw_api.c
      GET  /api/v1/reviews               the review queue
      GET  /api/v1/requests/{id}         one request and its history
      POST /api/v1/reviews/{id}/approve  staff decision, body {"reason"}
      POST /api/v1/reviews/{id}/decline
      POST /api/v1/requests/{id}/rejudge judge it again
      POST /api/v1/scan                  202, progress in /api/v1/progress
      GET  /api/v1/costs?days=&last=     LLM calls, tokens, cost by day and
                                         model, the last calls, today's spend
      GET  /staff/openai-stats           the costs page (prototype route)
      the prototype's other routes       gw_proto.c
      POST /api/v1/backtest?last=N       a draft config.yaml replayed over
                                         recorded decisions
      GET  /, /<file>                    dashboard files from web_root
      GET  /docs                         Swagger UI (docs.html)
      GET  /api/v1/events, /progress     SSE and scan progress: gw_sse.c
      GET  /api/v1/posters/{id}          poster proxy and cache: gw_poster.c
    Every route but the public ones (s_route_role) needs a login: a
    session cookie (with X-CSRF-Token on writes) or an API token.      */
#include "gw_http.h"
#include "gw_api.h"
#include "gw_reply.h"
#include "gw_staff.h"
#include "gw_auth.h"
#include "gw_backtest.h"
#include "gw_proto.h"
#include "gw_poster.h"
#include "gw_sse.h"
#include "gw_store.h"
#include "ps_control.h"
#include "ps_log.h"
#include "ps_overseerr.h"
#include "ps_parse.h"
#include "ps_time.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define GW_STATS_TTL_MS 1000   /* /api/v1/stats is rendered at most 1/s */
#define GW_REVIEWS_TTL_MS 2000 /* what changes in a review without an event */
#define GW_MAX_DRAFT (1024 * 1024)
#define GW_BACKTEST_MAX 100000
#define GW_MAX_FILE (4 * 1024 * 1024)

/* ---- webhook ---------------------------------------------------------- */

/* True when the Authorization value is the secret, alone or after
   "Bearer ". Both sides are hashed first so the comparison takes the same
   time whatever the lengths. */
static bool
s_secret_matches(const char *header, const char *secret)
{
    if (!header)
        return false;
    if (strncasecmp(header, "Bearer ", 7) == 0)
        header += 7;
    unsigned char a[crypto_generichash_BYTES];
    unsigned char b[crypto_generichash_BYTES];
    crypto_generichash(a, sizeof(a), (const unsigned char *)header,
                       strlen(header), NULL, 0);
    crypto_generichash(b, sizeof(b), (const unsigned char *)secret,
                       strlen(secret), NULL, 0);
    return sodium_memcmp(a, b, sizeof(a)) == 0;
}

/* The request id, wherever the admin's template put it (prototype.md). */
static int
s_webhook_request_id(json_t *body, int64_t *id)
{
    json_t *request = json_object_get(body, "request");
    json_t *media = json_object_get(body, "media");
    if ((json_is_object(request) && ps_json_int(request, "request_id", id) == 0)
        || (json_is_object(request) && ps_json_int(request, "id", id) == 0)
        || (json_is_object(media) && ps_json_int(media, "request_id", id) == 0)
        || ps_json_int(body, "request_id", id) == 0)
        return *id > 0 ? 0 : -1;
    return -1;
}

static int
s_webhook(struct mg_connection *conn, gw_shared_t *shared)
{
    pthread_rwlock_rdlock(&shared->config_lock);
    bool demo = shared->config->demo;
    char secret[512];
    snprintf(secret, sizeof(secret), "%s",
             shared->config->gateway.webhook_secret);
    pthread_rwlock_unlock(&shared->config_lock);

    if (*secret) {
        if (!s_secret_matches(mg_get_header(conn, "Authorization"), secret))
            return gw_reply_json(conn, 401,
                                 json_pack("{s:s}", "detail", "Unauthorized"));
    } else if (!demo)
        return gw_reply_json(
            conn, 401,
            json_pack("{s:s}", "detail",
                      "Unauthorized: set WEBHOOK_SECRET and the same value in "
                      "Overseerr's webhook Authorization header"));
    char *text = NULL;
    long len = gw_read_body(conn, &text);
    if (len == -1)
        return gw_reply_error(conn, 413, "webhook body over 64 KiB");
    if (len < 0)
        return gw_reply_error(conn, 400, "cannot read the request body");
    json_error_t error;
    json_t *body = json_loadb(text, (size_t)len, 0, &error);
    free(text);
    if (!json_is_object(body)) {
        json_decref(body);
        char message[300];
        snprintf(message, sizeof(message),
                 "Invalid JSON: line %d column %d: %s", error.line,
                 error.column, error.text);
        return gw_reply_json(conn, 400, json_pack("{s:s}", "detail", message));
    }
    const char *type = ps_json_str(body, "notification_type");
    int64_t id = 0;
    bool has_id = s_webhook_request_id(body, &id) == 0;
    json_t *answer = NULL;
    if (!type)
        answer = json_pack("{s:s,s:s}", "status", "ignored", "reason",
                           "no notification_type");
    else if (strcmp(type, "TEST_NOTIFICATION") == 0)
        answer = json_pack("{s:s,s:s}", "status", "ok", "message",
                           "test notification received");
    else if (strcmp(type, "MEDIA_PENDING") == 0
             || strcmp(type, "MEDIA_APPROVED") == 0
             || strcmp(type, "MEDIA_DECLINED") == 0) {
        if (!has_id)
            answer = json_pack("{s:s,s:s}", "status", "ignored", "reason",
                               "no request_id");
        else {
            /* A hint only: the poller re-reads the request from Overseerr
               and claims it or reports it decided elsewhere. Our own
               approvals echo back here and find the request applied. */
            char state[32] = "";
            gw_store_t *store = gw_reply_store(shared);
            if (store)
                gw_store_state(store, id, state, sizeof(state));
            bool pending = strcmp(type, "MEDIA_PENDING") == 0;
            bool open = strcmp(state, "in_review") == 0;
            /* Decided here already: the prototype's "skipped" answer,
               and no Overseerr read for the poller. */
            bool processed = strcmp(state, "decided") == 0
                             || strcmp(state, "applying") == 0
                             || strcmp(state, "applied") == 0
                             || strcmp(state, "decided_elsewhere") == 0;
            if ((pending && !processed) || open) {
                gw_reply_command(shared, "hint", id, type);
                answer = json_pack("{s:s,s:I,s:s}", "status", "accepted",
                                   "request_id", (json_int_t)id, "message",
                                   pending ? "queued for moderation"
                                           : "checking the decision taken "
                                             "in Overseerr");
            } else
                answer = json_pack("{s:s,s:I,s:s}", "status", "skipped",
                                   "request_id", (json_int_t)id, "reason",
                                   *state ? "already_processed"
                                          : "not moderated here");
        }
    } else
        answer = json_pack("{s:s,s:s}", "status", "ignored", "reason",
                           "notification type is not moderated");
    json_decref(body);
    return gw_reply_json(conn, 200, answer);
}

/* ---- API -------------------------------------------------------------- */

static int
s_health(struct mg_connection *conn, gw_shared_t *shared,
         const gw_principal_t *who)
{
    gw_store_t *store = gw_reply_store(shared);
    bool db_ok = store && gw_store_probe(store) == 0;
    bool healthy = false;
    json_t *doc = gw_health_json(shared->health, ps_time_mono_ms(), db_ok,
                                 db_ok   ? "writable"
                                 : store ? gw_store_error(store)
                                         : "cannot open",
                                 &healthy);
    /* Liveness for anyone (container health checks); details only for
       people who logged in. */
    if (who->role == GW_ROLE_NONE) {
        json_decref(doc);
        doc = json_pack("{s:s}", "status", healthy ? "ok" : "degraded");
    }
    return gw_reply_json(conn, healthy ? 200 : 503, doc);
}

/* POST /api/v1/reviews/{id}/approve|decline with an optional
   {"reason": "..."}. */
static int
s_staff_decision(struct mg_connection *conn, gw_shared_t *shared,
                 const gw_principal_t *who, int64_t request_id,
                 ps_outcome_t outcome)
{
    char *text = NULL;
    long len = gw_read_body(conn, &text);
    if (len == -1)
        return gw_reply_error(conn, 413, "body over 64 KiB");
    char reason[512] = "";
    if (len > 0) {
        json_t *body = json_loadb(text, (size_t)len, 0, NULL);
        const char *given = body ? ps_json_str(body, "reason") : NULL;
        bool bad = !json_is_object(body)
                   || (json_object_get(body, "reason") && !given);
        if (given)
            snprintf(reason, sizeof(reason), "%s", given);
        json_decref(body);
        if (bad) {
            free(text);
            return gw_reply_error(conn, 400,
                                  "body: expected a JSON object like "
                                  "{\"reason\": \"text\"}");
        }
    }
    free(text);
    gw_staff_result_t result;
    gw_staff_decide(shared, who, request_id, outcome, reason, &result);
    switch (result.rc) {
        case GW_STAFF_NOT_FOUND:
            return gw_reply_error(conn, 404, result.detail);
        case GW_STAFF_FAILED:
            return gw_reply_error(conn, 500, result.detail);
        case GW_STAFF_ELSEWHERE:
            return gw_reply_json(
                conn, 409,
                json_pack("{s:s,s:I,s:I}", "error",
                          "already decided in Overseerr; the review is "
                          "closed",
                          "request_id", (json_int_t)request_id,
                          "overseerr_status",
                          (json_int_t)result.overseerr_status));
        case GW_STAFF_NOT_TAKEN:
            return gw_reply_json(
                conn, 502,
                json_pack("{s:s,s:s,s:I}", "error",
                          "Overseerr did not take the decision; the review "
                          "stays open",
                          "detail", result.detail, "request_id",
                          (json_int_t)request_id));
        case GW_STAFF_APPLIED:
            break;
    }
    return gw_reply_json(
        conn, 200,
        json_pack("{s:b,s:I,s:s,s:s}", "success", 1, "request_id",
                  (json_int_t)request_id, "outcome", ps_outcome_name(outcome),
                  "state",
                  result.observe_only ? "decided (observe only)" : "applied"));
}

/* POST /api/v1/backtest?last=N with a draft config.yaml as the body. */
static int
s_backtest(struct mg_connection *conn, gw_shared_t *shared,
           const struct mg_request_info *info)
{
    char text[32];
    int64_t last = 200;
    if (gw_query_value(info, "last", text, sizeof(text))
        && ps_parse_int64(text, 1, GW_BACKTEST_MAX, &last) != 0)
        return gw_reply_error(conn, 400, "query `last`: expected 1 to 100000");
    char *body = NULL;
    long len = gw_read_body_max(conn, GW_MAX_DRAFT, &body);
    if (len == -1)
        return gw_reply_error(conn, 413, "draft config over 1 MiB");
    if (len <= 0) {
        free(body);
        return gw_reply_error(conn, 400,
                              "body: send the draft config.yaml as the request "
                              "body");
    }
    /* The loader reads files; the draft goes to a private temporary one. */
    char path[] = "/tmp/plexstaffai-draft-XXXXXX";
    int fd = mkstemp(path);
    bool written = fd >= 0 && write(fd, body, (size_t)len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    free(body);
    if (!written) {
        if (fd >= 0)
            unlink(path);
        return gw_reply_error(conn, 500, "cannot stage the draft");
    }
    ps_config_issues_t errors = {0};
    ps_config_t *draft = ps_config_load(path, &errors, NULL);
    unlink(path);
    if (!draft) {
        json_t *list = json_array();
        for (size_t i = 0; i < errors.count; i++) {
            free(errors.items[i].file);
            errors.items[i].file = strdup("draft.yaml");
            char line[768];
            ps_config_issue_format(&errors.items[i], line, sizeof(line));
            json_array_append_new(list, json_string(line));
        }
        ps_config_issues_clear(&errors);
        return gw_reply_json(conn, 400,
                             json_pack("{s:s,s:o}", "error",
                                       "the draft config is invalid", "errors",
                                       list));
    }
    char err[256];
    gw_store_t *store = gw_reply_store(shared);
    json_t *report =
        store ? gw_backtest_run(store, draft, last, err, sizeof(err)) : NULL;
    ps_config_destroy(&draft);
    if (!report)
        return gw_reply_error(conn, 500, store ? err : "database unavailable");
    return gw_reply_json(conn, 200, report);
}

/* GET /api/v1/costs?days=&last= */
static int
s_costs(struct mg_connection *conn, gw_shared_t *shared,
        const struct mg_request_info *info)
{
    char text[32];
    int64_t days = 30;
    int64_t last = 50;
    if (gw_query_value(info, "days", text, sizeof(text))
        && ps_parse_int64(text, 1, 3660, &days) != 0)
        return gw_reply_error(conn, 400, "query `days`: expected 1 to 3660");
    if (gw_query_value(info, "last", text, sizeof(text))
        && ps_parse_int64(text, 0, 1000, &last) != 0)
        return gw_reply_error(conn, 400, "query `last`: expected 0 to 1000");
    gw_store_t *store = gw_reply_store(shared);
    int64_t now = ps_time_now_ms();
    double spent = 0;
    json_t *doc = gw_store_costs_json(store, now, days, last);
    if (!doc
        || gw_store_spent_since(store, ps_time_local_day_start_ms(now), &spent)
               != 0) {
        json_decref(doc);
        return gw_reply_error(conn, 500, gw_store_error(store));
    }
    pthread_rwlock_rdlock(&shared->config_lock);
    double budget = shared->config->ai.daily_budget_usd;
    pthread_rwlock_unlock(&shared->config_lock);
    json_object_set_new(
        doc, "today",
        json_pack("{s:f,s:f}", "spent_usd", spent, "budget_usd", budget));
    return gw_reply_json(conn, 200, doc);
}

/* Serves a body rendered by `render` and shared by every worker. It is
   re-rendered when its `version` is not the caller's (the data changed)
   or it is older than `ttl_ms`. When only its age makes it stale, one
   caller at a time re-renders it while the others keep serving the
   previous body, so a burst of callers never runs the queries side by
   side; when the data changed, nobody is served the old body. */
static int
s_send_rendered(struct mg_connection *conn, gw_rendered_t *cache,
                int64_t version, int64_t ttl_ms, gw_store_t *store,
                json_t *(*render)(gw_store_t *store))
{
    int64_t now = ps_time_mono_ms();
    char *body = NULL;
    bool claimed = false;
    pthread_mutex_lock(&cache->lock);
    bool same_data = cache->body && cache->version == version;
    bool fresh = same_data && now - cache->built_mono < ttl_ms;
    if (fresh || (same_data && cache->building))
        body = strdup(cache->body);
    else if (!cache->building)
        claimed = cache->building = true;
    pthread_mutex_unlock(&cache->lock);
    if (!body) {
        json_t *doc = render(store);
        body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        char *copy = body ? strdup(body) : NULL;
        pthread_mutex_lock(&cache->lock);
        if (copy && (!cache->body || version >= cache->version)) {
            free(cache->body);
            cache->body = copy;
            cache->built_mono = now;
            cache->version = version;
        } else
            free(copy);
        if (claimed)
            cache->building = false;
        pthread_mutex_unlock(&cache->lock);
        if (!body)
            return gw_reply_error(conn, 500, gw_store_error(store));
    }
    int rc = gw_reply(conn, 200, "application/json",
                      "Cache-Control: no-store\r\n", body, strlen(body));
    free(body);
    return rc;
}

static json_t *
s_render_stats(gw_store_t *store)
{
    return gw_store_stats_json(store, ps_time_now_ms());
}

/* GET /api/v1/stats: the counts aggregate whole tables (hundreds of ms
   at 100k decisions), so the rendered body is shared by every caller for
   up to GW_STATS_TTL_MS; a dashboard polling every few seconds still
   sees fresh numbers. */
static int
s_stats(struct mg_connection *conn, gw_shared_t *shared, gw_store_t *store)
{
    return s_send_rendered(conn, &shared->stats, 0, GW_STATS_TTL_MS, store,
                           s_render_stats);
}

/* GET /api/v1/reviews: the whole queue with each request's inputs
   snapshot (hundreds of KB for a few hundred reviews). It changes only
   with an event (a decision, a staff decision, an apply), so the body is
   shared until the next event, and at most GW_REVIEWS_TTL_MS for what
   changes without one (an apply error's text). */
static int
s_reviews(struct mg_connection *conn, gw_shared_t *shared, gw_store_t *store)
{
    int64_t seq = 0;
    if (gw_store_last_event_seq(store, &seq) != 0)
        return gw_reply_error(conn, 500, gw_store_error(store));
    return s_send_rendered(conn, &shared->reviews, seq, GW_REVIEWS_TTL_MS,
                           store, gw_store_reviews_json);
}

/* ---- logins ------------------------------------------------------------ */

#define GW_COOKIE "ps_session"

static int
s_login(struct mg_connection *conn, gw_shared_t *shared,
        const struct mg_request_info *info)
{
    const char *client = info->remote_addr;
    int64_t retry = 0;
    if (!gw_auth_limit_allows(client, ps_time_mono_ms(), &retry)) {
        char header[64];
        snprintf(header, sizeof(header), "Retry-After: %lld\r\n",
                 (long long)retry);
        return gw_reply_json_with(
            conn, 429,
            json_pack("{s:s}", "error",
                      "too many failed logins from this address; try again "
                      "later"),
            header);
    }
    int status = 400;
    const char *why = NULL;
    json_t *body = gw_read_json_body(conn, &status, &why);
    if (!body)
        return gw_reply_error(conn, status, why);
    const char *username = ps_json_str(body, "username");
    const char *password = ps_json_str(body, "password");
    if (!username || !password) {
        json_decref(body);
        return gw_reply_error(
            conn, 400,
            "body: expected {\"username\": ..., \"password\": "
            "...}");
    }
    gw_store_t *store = gw_reply_store(shared);
    char token[GW_AUTH_TOKEN_LEN];
    gw_principal_t who;
    int rc = store ? gw_auth_login(store, shared->auth_key, username, password,
                                   ps_time_now_ms(), token, &who)
                   : -1;
    json_decref(body);
    if (rc < 0)
        return gw_reply_error(conn, 500, "cannot check the login");
    if (rc > 0) {
        gw_auth_limit_failed(client, ps_time_mono_ms());
        ps_log_warn("failed login from %s", client);
        return gw_reply_error(conn, 401, "wrong username or password");
    }
    char cookie[256];
    snprintf(cookie, sizeof(cookie),
             "Set-Cookie: " GW_COOKIE "=%s; HttpOnly; SameSite=Strict; "
             "Path=/; Max-Age=%lld\r\n",
             token, (long long)(GW_AUTH_SESSION_MS / 1000));
    sodium_memzero(token, sizeof(token));
    ps_log_info("login user=%s role=%s", who.name, gw_role_name(who.role));
    return gw_reply_json_with(conn, 200,
                              json_pack("{s:s,s:s,s:s}", "user", who.name,
                                        "role", gw_role_name(who.role), "csrf",
                                        who.csrf),
                              cookie);
}

static int
s_logout(struct mg_connection *conn, gw_shared_t *shared)
{
    char token[GW_AUTH_TOKEN_LEN];
    const char *cookies = mg_get_header(conn, "Cookie");
    gw_store_t *store = gw_reply_store(shared);
    if (cookies && store
        && mg_get_cookie(cookies, GW_COOKIE, token, sizeof(token)) > 0)
        gw_auth_logout(store, shared->auth_key, token);
    return gw_reply_json_with(conn, 200,
                              json_pack("{s:s}", "status", "logged out"),
                              "Set-Cookie: " GW_COOKIE "=; HttpOnly; "
                              "SameSite=Strict; Path=/; Max-Age=0\r\n");
}

static int
s_session(struct mg_connection *conn, const gw_principal_t *who)
{
    if (who->role == GW_ROLE_NONE)
        return gw_reply_error(conn, 401, "login required");
    return gw_reply_json(conn, 200,
                         json_pack("{s:s,s:s,s:s,s:b}", "user", who->name,
                                   "role", gw_role_name(who->role), "csrf",
                                   who->csrf, "token", who->by_token));
}

static int
s_token_create(struct mg_connection *conn, gw_shared_t *shared)
{
    int status = 400;
    const char *why = NULL;
    json_t *body = gw_read_json_body(conn, &status, &why);
    if (!body)
        return gw_reply_error(conn, status, why);
    const char *name = ps_json_str(body, "name");
    gw_role_t role;
    if (!name || !*name
        || gw_role_parse(ps_json_str(body, "role"), &role) != 0) {
        json_decref(body);
        return gw_reply_error(conn, 400,
                              "body: expected {\"name\": \"...\", \"role\": "
                              "\"viewer\" | \"staff\" | \"admin\"}");
    }
    char token[GW_AUTH_TOKEN_LEN];
    gw_store_t *store = gw_reply_store(shared);
    int rc = store ? gw_auth_token_create(store, shared->auth_key, name, role,
                                          ps_time_now_ms(), token)
                   : -1;
    json_t *answer = rc == 0
                         ? json_pack("{s:s,s:s,s:s,s:s}", "token", token,
                                     "name", name, "role", gw_role_name(role),
                                     "note", "shown once: store it now")
                         : NULL;
    json_decref(body);
    sodium_memzero(token, sizeof(token));
    return rc == 0 ? gw_reply_json(conn, 201, answer)
                   : gw_reply_error(conn, 500, "cannot create the token");
}

static int
s_api(const gw_req_t *req)
{
    struct mg_connection *conn = req->conn;
    gw_shared_t *shared = req->shared;
    const struct mg_request_info *info = req->info;
    const gw_principal_t *who = req->who;
    const char *uri = req->uri;
    bool get = req->get;
    bool post = req->post;
    int64_t id = 0;
    char rest[64];
    gw_store_t *store = gw_reply_store(shared);

    if (strcmp(uri, "/api/v1/health") == 0)
        return get ? s_health(conn, shared, who)
                   : gw_reply_error(conn, 405, "use GET /api/v1/health");
    if (strcmp(uri, "/api/v1/login") == 0)
        return post ? s_login(conn, shared, info)
                    : gw_reply_error(conn, 405, "use POST /api/v1/login");
    if (strcmp(uri, "/api/v1/logout") == 0)
        return post ? s_logout(conn, shared)
                    : gw_reply_error(conn, 405, "use POST /api/v1/logout");
    if (strcmp(uri, "/api/v1/session") == 0)
        return get ? s_session(conn, who)
                   : gw_reply_error(conn, 405, "use GET /api/v1/session");
    if (strcmp(uri, "/api/v1/tokens") == 0)
        return post ? s_token_create(conn, shared)
                    : gw_reply_error(conn, 405, "use POST /api/v1/tokens");
    if (!store)
        return gw_reply_error(conn, 503, "database unavailable");
    if (strcmp(uri, "/api/v1/stats") == 0)
        return get ? s_stats(conn, shared, store)
                   : gw_reply_error(conn, 405, "use GET /api/v1/stats");
    if (strcmp(uri, "/api/v1/reviews") == 0)
        return get ? s_reviews(conn, shared, store)
                   : gw_reply_error(conn, 405, "use GET /api/v1/reviews");
    if (strcmp(uri, "/api/v1/scan") == 0) {
        if (!post)
            return gw_reply_error(conn, 405,
                                  "use POST /api/v1/scan: a GET never changes "
                                  "anything");
        gw_reply_command(shared, "scan", 0, "requested over the API");
        return gw_reply_json(conn, 202,
                             json_pack("{s:s,s:s}", "status", "scan requested",
                                       "progress", "/api/v1/progress"));
    }
    if (strcmp(uri, "/api/v1/costs") == 0)
        return get ? s_costs(conn, shared, info)
                   : gw_reply_error(conn, 405, "use GET /api/v1/costs");
    if (strcmp(uri, "/api/v1/backtest") == 0)
        return post ? s_backtest(conn, shared, info)
                    : gw_reply_error(conn, 405,
                                     "use POST /api/v1/backtest with the draft "
                                     "config as the body");
    if (gw_path_id(uri, "/api/v1/reviews/", &id, rest, sizeof(rest)) == 0) {
        bool approve = strcmp(rest, "/approve") == 0;
        if (!approve && strcmp(rest, "/decline") != 0)
            return gw_reply_error(conn, 404, "no such route");
        if (!post)
            return gw_reply_error(conn, 405, "use POST for review decisions");
        return s_staff_decision(conn, shared, who, id,
                                approve ? PS_OUTCOME_APPROVE
                                        : PS_OUTCOME_DECLINE);
    }
    if (gw_path_id(uri, "/api/v1/requests/", &id, rest, sizeof(rest)) == 0) {
        if (strcmp(rest, "/rejudge") == 0) {
            if (!post)
                return gw_reply_error(conn, 405, "use POST to re-judge");
            int rc = gw_store_rejudge(store, id, ps_time_now_ms());
            if (rc < 0)
                return gw_reply_error(conn, 500, gw_store_error(store));
            if (rc == 0)
                return gw_reply_error(
                    conn, 409, "request unknown, applied or being judged");
            gw_reply_command(shared, "rejudge", id, "staff asked");
            return gw_reply_json(conn, 202,
                                 json_pack("{s:s,s:I}", "status",
                                           "re-judge requested", "request_id",
                                           (json_int_t)id));
        }
        if (*rest)
            return gw_reply_error(conn, 404, "no such route");
        if (!get)
            return gw_reply_error(conn, 405, "use GET");
        bool found = false;
        json_t *doc = gw_store_request_json(store, id, &found);
        if (!found && !doc)
            return gw_reply_error(conn, 404,
                                  "request not known to PlexStaffAI");
        return gw_reply_json(conn, 200, doc);
    }
    return gw_reply_error(conn, 404, "no such route");
}

/* ---- static files ----------------------------------------------------- */

static const char *
s_content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".json") == 0)
        return "application/json";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    if (strcmp(dot, ".ico") == 0)
        return "image/x-icon";
    return "application/octet-stream";
}

static int
s_file(struct mg_connection *conn, gw_shared_t *shared, const char *uri)
{
    if (strcmp(uri, "/") == 0)
        uri = "/index.html";
    /* The prototype's cost page, where its users' bookmarks point. */
    else if (strcmp(uri, "/staff/openai-stats") == 0)
        uri = "/costs.html";
    else if (strcmp(uri, "/docs") == 0)
        uri = "/docs.html";
    /* Only plain names below web_root: no "..", no hidden files. */
    if (strstr(uri, "..") || strstr(uri, "/.") || strchr(uri, '\\'))
        return gw_reply_error(conn, 404, "not found");
    char path[2048];
    int n = snprintf(path, sizeof(path), "%s%s", shared->web_root, uri);
    if (n < 0 || (size_t)n >= sizeof(path))
        return gw_reply_error(conn, 404, "not found");
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode)
        || info.st_size > GW_MAX_FILE)
        return gw_reply_error(conn, 404, "not found");
    FILE *file = fopen(path, "rb");
    char *data = file ? malloc((size_t)info.st_size + 1) : NULL;
    size_t len = data ? fread(data, 1, (size_t)info.st_size, file) : 0;
    if (file)
        fclose(file);
    if (!data || len != (size_t)info.st_size) {
        free(data);
        return gw_reply_error(conn, 500, "cannot read file");
    }
    int rc = gw_reply(conn, 200, s_content_type(path),
                      "Cache-Control: no-cache\r\n", data, len);
    free(data);
    return rc;
}

/* ---- who may call what ----------------------------------------------- */

static bool
s_ends_with(const char *text, const char *suffix)
{
    size_t a = strlen(text), b = strlen(suffix);
    return a >= b && strcmp(text + a - b, suffix) == 0;
}

/* The role a route needs. Public: the login page, static assets, the
   webhook (it has its own secret), logging in and out, the session probe
   and health liveness. Reading needs viewer; anything that changes state
   needs staff; API tokens need admin. */
static gw_role_t
s_route_role(const char *method, const char *uri)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(uri, "/webhook/overseerr") == 0
        || strcmp(uri, "/api/v1/login") == 0
        || strcmp(uri, "/api/v1/logout") == 0
        || strcmp(uri, "/api/v1/session") == 0
        || strcmp(uri, "/api/v1/health") == 0)
        return GW_ROLE_NONE;
    if (strncmp(uri, "/api/v1/tokens", 14) == 0
        || strncmp(uri, "/api/v1/accounts", 16) == 0)
        return GW_ROLE_ADMIN;
    if (strncmp(uri, "/api/", 5) == 0)
        return get ? GW_ROLE_VIEWER : GW_ROLE_STAFF;
    /* Anything that is not a read needs staff, whatever its path, so a
       route added later cannot become a viewer's write by accident. */
    if (!get)
        return GW_ROLE_STAFF;
    if (strcmp(uri, "/login.html") == 0 || strncmp(uri, "/i18n/", 6) == 0
        || s_ends_with(uri, ".js") || s_ends_with(uri, ".css")
        || s_ends_with(uri, ".svg") || s_ends_with(uri, ".png")
        || s_ends_with(uri, ".ico"))
        return GW_ROLE_NONE;
    return GW_ROLE_VIEWER;
}

/* Who is calling: an API token (Authorization: Bearer) or a session
   cookie. Leaves who->role NONE when neither is valid. */
static void
s_identify(struct mg_connection *conn, gw_shared_t *shared, gw_principal_t *who)
{
    memset(who, 0, sizeof(*who));
    gw_store_t *store = gw_reply_store(shared);
    if (!store)
        return;
    const char *authorization = mg_get_header(conn, "Authorization");
    if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
        if (gw_auth_token(store, shared->auth_key, authorization + 7, who) != 0)
            memset(who, 0, sizeof(*who));
        return;
    }
    const char *cookies = mg_get_header(conn, "Cookie");
    char token[GW_AUTH_TOKEN_LEN];
    if (cookies && mg_get_cookie(cookies, GW_COOKIE, token, sizeof(token)) > 0
        && gw_auth_session(store, shared->auth_key, token, ps_time_now_ms(),
                           who)
               != 0)
        memset(who, 0, sizeof(*who));
}

/* A browser session's state-changing call must echo its CSRF token; an
   API token is not sent by browsers on their own, so it needs none. */
static bool
s_csrf_ok(struct mg_connection *conn, const gw_principal_t *who)
{
    if (who->by_token)
        return true;
    const char *sent = mg_get_header(conn, "X-CSRF-Token");
    size_t len = strlen(who->csrf);
    return sent && len > 0 && strlen(sent) == len
           && sodium_memcmp(sent, who->csrf, len) == 0;
}

int
gw_http_handle(struct mg_connection *conn, void *cbdata)
{
    gw_shared_t *shared = cbdata;
    const struct mg_request_info *info = mg_get_request_info(conn);
    const char *uri = info->local_uri;
    const char *method = info->request_method;
    if (strcmp(uri, "/webhook/overseerr") == 0) {
        if (strcmp(method, "POST") != 0)
            return gw_reply_error(conn, 405, "use POST /webhook/overseerr");
        return s_webhook(conn, shared);
    }
    gw_principal_t who;
    s_identify(conn, shared, &who);
    gw_role_t needed = s_route_role(method, uri);
    bool api = strncmp(uri, "/api/", 5) == 0;
    if (who.role < needed) {
        if (who.role != GW_ROLE_NONE)
            return gw_reply_json(conn, 403,
                                 json_pack("{s:s,s:s}", "error",
                                           "your role does not allow this",
                                           "needs", gw_role_name(needed)));
        if (api || gw_proto_is_json(uri))
            return gw_reply_error(conn, 401, "login required");
        return gw_reply(conn, 302, "text/plain; charset=utf-8",
                        "Location: /login.html\r\n", "login required\n", 15);
    }
    bool changes = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
    if (changes && who.role != GW_ROLE_NONE && !s_csrf_ok(conn, &who))
        return gw_reply_error(conn, 403,
                              "missing or wrong X-CSRF-Token: reload the page");
    gw_req_t req = {.conn = conn,
                    .shared = shared,
                    .info = info,
                    .uri = uri,
                    .method = method,
                    .get = !changes,
                    .post = strcmp(method, "POST") == 0,
                    .who = &who};
    int routed = gw_sse_route(&req);
    if (!routed)
        routed = gw_poster_route(&req);
    if (!routed && api)
        routed = gw_api_route(&req);
    if (routed)
        return routed;
    if (api)
        return s_api(&req);
    int proto = gw_proto_route(&req);
    if (proto)
        return proto;
    if (strcmp(info->request_method, "GET") != 0
        && strcmp(info->request_method, "HEAD") != 0)
        return gw_reply_error(conn, 405, "only GET serves dashboard files");
    return s_file(conn, shared, uri);
}
