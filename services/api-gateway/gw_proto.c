/*  gw_proto - see gw_proto.h.

    Routes (contracts/prototype.md):
      GET  /stats                           counts in the prototype's words
      GET  /staff/reviews                   the open reviews, newest first
      POST /staff/review/{id}/approve       {id} is the Overseerr request id
      POST /staff/review/{id}/reject        optional {"reason"}
      GET  /staff/pending-count             {"count"}
      GET  /staff/ml-stats                  staff decisions as feedback
      POST /moderate, /staff/moderate,      a scan, 202 with the counts of
           /admin/moderate-now              what is decided and "progress"
      GET  /history, /review-dashboard,     302 to our pages
           /health, /staff/report
    Each read is one short query on the worker's own connection.          */
#include "gw_proto.h"
#include "gw_staff.h"
#include "ps_legacy.h"
#include "ps_time.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ml-stats' learning_threshold: the config has no such key and the
   learner's model is not built yet; this is the number of staff
   decisions the learner will want before its first model. */
#define GW_PROTO_LEARNING_THRESHOLD 10
#define GW_PROTO_REVIEWS 50 /* the prototype's page of reviews */

static const char *const s_scan_routes[] = {"/moderate", "/staff/moderate",
                                            "/admin/moderate-now"};
#define S_SCAN_ROUTES (sizeof(s_scan_routes) / sizeof(s_scan_routes[0]))

/* The prototype's HTML pages and the page of ours that replaced each. */
static const struct {
    const char *path;     /* the prototype's */
    const char *location; /* ours */
} s_pages[] = {
    {"/history", "/history.html"},
    {"/review-dashboard", "/index.html#reviews"},
    {"/health", "/health.html"},
    {"/staff/report", "/report.html"},
};
#define S_PAGES (sizeof(s_pages) / sizeof(s_pages[0]))

static const char s_review_prefix[] = "/staff/review/";

bool
gw_proto_is_json(const char *uri)
{
    if (strcmp(uri, "/stats") == 0 || strcmp(uri, "/staff/reviews") == 0
        || strcmp(uri, "/staff/pending-count") == 0
        || strcmp(uri, "/staff/ml-stats") == 0
        || strncmp(uri, s_review_prefix, strlen(s_review_prefix)) == 0)
        return true;
    for (size_t i = 0; i < S_SCAN_ROUTES; i++)
        if (strcmp(uri, s_scan_routes[i]) == 0)
            return true;
    return false;
}

/* {"success": false, "error": ...}: the prototype's failure shape. */
static int
s_fail(struct mg_connection *conn, int status, const char *error)
{
    return gw_reply_json(conn, status,
                         json_pack("{s:b,s:s}", "success", 0, "error", error));
}

static int
s_method_not_allowed(struct mg_connection *conn, const char *method,
                     const char *uri)
{
    char detail[160];
    snprintf(detail, sizeof(detail), "use %s %s%s", method, uri,
             strcmp(method, "POST") == 0 ? ": a GET never changes anything"
                                         : "");
    return gw_reply_json(conn, 405, json_pack("{s:s}", "detail", detail));
}

/* Runs a query counting rows (one bound integer, or none). -1 on error. */
static int64_t
s_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int64_t count = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
        count = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return count;
}

/* Fills counts[] (indexed by ps_outcome_t) from (outcome, count) rows. */
static int
s_outcome_counts(sqlite3 *db, const char *sql, int64_t bound, int64_t counts[4])
{
    memset(counts, 0, 4 * sizeof(counts[0]));
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(stmt) > 0)
        sqlite3_bind_int64(stmt, 1, bound);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ps_outcome_t outcome;
        if (ps_outcome_parse((const char *)sqlite3_column_text(stmt, 0),
                             &outcome)
            == 0)
            counts[outcome] += sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- reads ------------------------------------------------------------ */

static int
s_stats(struct mg_connection *conn, gw_shared_t *shared, sqlite3 *db)
{
    static const char all_sql[] =
        "SELECT outcome, COUNT(*) FROM decisions GROUP BY outcome";
    static const char day_sql[] =
        "SELECT outcome, COUNT(*) FROM decisions WHERE decided_at >= ?1"
        " GROUP BY outcome";
    int64_t all[4], day[4];
    if (s_outcome_counts(db, all_sql, 0, all) != 0
        || s_outcome_counts(db, day_sql, ps_time_now_ms() - 86400000, day) != 0)
        return gw_reply_error(conn, 500, sqlite3_errmsg(db));
    pthread_rwlock_rdlock(&shared->config_lock);
    const ps_config_t *c = shared->config;
    /* As the judge decides (judge_ai_off): OpenAI's own server needs a
       key, any other OpenAI-compatible server may not. */
    bool ai_on = c->ai.enabled
                 && ((c->ai.api_key && *c->ai.api_key)
                     || !strstr(c->ai.base_url, "api.openai.com"));
    pthread_rwlock_unlock(&shared->config_lock);
    int64_t total = all[PS_OUTCOME_APPROVE] + all[PS_OUTCOME_DECLINE]
                    + all[PS_OUTCOME_REVIEW];
    double rate =
        total ? (double)all[PS_OUTCOME_APPROVE] * 100.0 / (double)total : 0.0;
    json_t *last_day = json_object();
    static const ps_outcome_t outcomes[] = {
        PS_OUTCOME_APPROVE, PS_OUTCOME_DECLINE, PS_OUTCOME_REVIEW};
    for (size_t i = 0; i < 3; i++)
        json_object_set_new(last_day, ps_legacy_word(outcomes[i]),
                            json_integer(day[outcomes[i]]));
    return gw_reply_json(
        conn, 200,
        json_pack("{s:I,s:I,s:I,s:I,s:f,s:o,s:b}", "total_decisions",
                  (json_int_t)total, "approved",
                  (json_int_t)all[PS_OUTCOME_APPROVE], "rejected",
                  (json_int_t)all[PS_OUTCOME_DECLINE], "needs_review",
                  (json_int_t)all[PS_OUTCOME_REVIEW], "approval_rate",
                  (double)(int64_t)(rate * 10.0 + 0.5) / 10.0, "last_24h",
                  last_day, "openai_enabled", ai_on));
}

static json_t *
s_text_or_null(sqlite3_stmt *stmt, int column)
{
    const char *text = (const char *)sqlite3_column_text(stmt, column);
    return text ? json_string(text) : json_null();
}

static int
s_reviews(struct mg_connection *conn, sqlite3 *db)
{
    static const char sql[] =
        "SELECT r.request_id, r.title, r.user_name, r.media_type, d.inputs,"
        " d.explanation, COALESCE(d.ai_score, d.score), d.decided_at"
        " FROM requests r JOIN decisions d ON d.id = r.decision_id"
        " WHERE r.state = 'in_review'"
        " ORDER BY d.decided_at DESC, r.request_id DESC LIMIT ?1";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return gw_reply_error(conn, 500, sqlite3_errmsg(db));
    sqlite3_bind_int(stmt, 1, GW_PROTO_REVIEWS);
    json_t *reviews = json_array();
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        const char *inputs_text = (const char *)sqlite3_column_text(stmt, 4);
        json_t *inputs = inputs_text ? json_loads(inputs_text, 0, NULL) : NULL;
        json_t *data = ps_legacy_request_data(inputs);
        json_decref(inputs);
        char created[32];
        if (ps_time_format_iso(sqlite3_column_int64(stmt, 7), created,
                               sizeof(created))
            != 0)
            created[0] = '\0';
        json_t *confidence = sqlite3_column_type(stmt, 6) == SQLITE_NULL
                                 ? json_null()
                                 : json_real(sqlite3_column_double(stmt, 6));
        json_array_append_new(
            reviews, json_pack("{s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "id",
                               (json_int_t)id, "request_id", (json_int_t)id,
                               "title", s_text_or_null(stmt, 1), "username",
                               s_text_or_null(stmt, 2), "media_type",
                               s_text_or_null(stmt, 3), "request_data",
                               data ? data : json_object(), "ai_reason",
                               s_text_or_null(stmt, 5), "ai_confidence",
                               confidence, "created_at", created));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        json_decref(reviews);
        return gw_reply_error(conn, 500, sqlite3_errmsg(db));
    }
    return gw_reply_json(conn, 200, json_pack("{s:o}", "reviews", reviews));
}

static int
s_pending_count(struct mg_connection *conn, sqlite3 *db)
{
    int64_t count =
        s_count(db, "SELECT COUNT(*) FROM requests WHERE state = 'in_review'");
    if (count < 0)
        return gw_reply_error(conn, 500, sqlite3_errmsg(db));
    return gw_reply_json(conn, 200,
                         json_pack("{s:I}", "count", (json_int_t)count));
}

/* Staff decisions are the learner's feedback; no model learns from them
   yet (ml.enabled is inert), so all are unlearned and no pattern is. */
static int
s_ml_stats(struct mg_connection *conn, sqlite3 *db)
{
    int64_t feedback =
        s_count(db, "SELECT COUNT(*) FROM decisions WHERE source = 'staff'");
    if (feedback < 0)
        return gw_reply_error(conn, 500, sqlite3_errmsg(db));
    return gw_reply_json(
        conn, 200,
        json_pack("{s:I,s:I,s:i,s:i}", "total_feedback", (json_int_t)feedback,
                  "unlearned", (json_int_t)feedback, "patterns_learned", 0,
                  "learning_threshold", GW_PROTO_LEARNING_THRESHOLD));
}

/* ---- writes ----------------------------------------------------------- */

/* Starts a scan; the answer keeps the prototype's keys with the counts of
   what is decided so far, and says where progress shows. */
static int
s_scan(struct mg_connection *conn, gw_shared_t *shared, sqlite3 *db,
       const char *uri)
{
    static const char sql[] =
        "SELECT outcome, COUNT(*) FROM requests WHERE state IN ('decided',"
        " 'applied', 'in_review') GROUP BY outcome";
    int64_t counts[4];
    if (s_outcome_counts(db, sql, 0, counts) != 0)
        return gw_reply_error(conn, 500, sqlite3_errmsg(db));
    char reason[64];
    snprintf(reason, sizeof(reason), "requested over %s", uri);
    gw_reply_command(shared, "scan", 0, reason);
    int64_t decided = counts[PS_OUTCOME_APPROVE] + counts[PS_OUTCOME_DECLINE]
                      + counts[PS_OUTCOME_REVIEW];
    char message[160];
    snprintf(message, sizeof(message),
             "Scan of pending requests started; %lld requests moderated so "
             "far",
             (long long)decided);
    return gw_reply_json(
        conn, 202,
        json_pack("{s:s,s:I,s:I,s:I,s:s}", "message", message, "approved",
                  (json_int_t)counts[PS_OUTCOME_APPROVE], "rejected",
                  (json_int_t)counts[PS_OUTCOME_DECLINE], "needs_review",
                  (json_int_t)counts[PS_OUTCOME_REVIEW], "progress",
                  "/api/v1/health"));
}

static int
s_review_decision(const gw_req_t *req, sqlite3 *db, int64_t request_id,
                  ps_outcome_t outcome)
{
    struct mg_connection *conn = req->conn;
    char *text = NULL;
    long len = gw_read_body(conn, &text);
    if (len == -1)
        return s_fail(conn, 413, "body over 64 KiB");
    char reason[512] = "";
    if (len > 0) {
        json_t *body = json_loadb(text, (size_t)len, 0, NULL);
        json_t *given = json_object_get(body, "reason");
        bool bad = !json_is_object(body)
                   || (given && !json_is_string(given) && !json_is_null(given));
        if (json_is_string(given))
            snprintf(reason, sizeof(reason), "%s", json_string_value(given));
        json_decref(body);
        if (bad) {
            free(text);
            return s_fail(conn, 400,
                          "body: expected nothing or a JSON object like "
                          "{\"reason\": \"text\"}");
        }
    }
    free(text);
    char title[512] = "";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT title FROM requests WHERE request_id = ?1",
                           -1, &stmt, NULL)
        == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, request_id);
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            snprintf(title, sizeof(title), "%s",
                     (const char *)sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);

    gw_staff_result_t result;
    gw_staff_decide(req->shared, req->who, request_id, outcome, reason,
                    &result);
    char error[700];
    switch (result.rc) {
        case GW_STAFF_APPLIED: {
            char message[600];
            snprintf(message, sizeof(message), "%s: %s",
                     outcome == PS_OUTCOME_APPROVE ? "Approved" : "Rejected",
                     *title ? title : "request");
            return gw_reply_json(
                conn, 200,
                json_pack("{s:b,s:s,s:I,s:b}", "success", 1, "message", message,
                          "request_id", (json_int_t)request_id, "observe_only",
                          result.observe_only));
        }
        case GW_STAFF_NOT_FOUND:
            return s_fail(conn, 404, "Review not found or already processed");
        case GW_STAFF_ELSEWHERE:
            snprintf(error, sizeof(error),
                     "Already decided in Overseerr (status %lld): the review "
                     "is closed",
                     (long long)result.overseerr_status);
            return s_fail(conn, 409, error);
        case GW_STAFF_NOT_TAKEN:
            snprintf(error, sizeof(error),
                     "Overseerr did not take the decision (%s): the review "
                     "stays open",
                     result.detail);
            return s_fail(conn, 502, error);
        case GW_STAFF_FAILED:
            break;
    }
    return s_fail(conn, 500, result.detail);
}

/* ---- routing ---------------------------------------------------------- */

int
gw_proto_route(const gw_req_t *req)
{
    struct mg_connection *conn = req->conn;
    const char *uri = req->uri;
    for (size_t i = 0; i < S_PAGES; i++) {
        if (strcmp(uri, s_pages[i].path) != 0)
            continue;
        if (!req->get)
            return s_method_not_allowed(conn, "GET", uri);
        char headers[96];
        snprintf(headers, sizeof(headers), "Location: %s\r\n",
                 s_pages[i].location);
        return gw_reply(conn, 302, "text/plain; charset=utf-8", headers,
                        "moved\n", 6);
    }
    if (!gw_proto_is_json(uri))
        return 0;
    gw_store_t *store = gw_reply_store(req->shared);
    if (!store)
        return gw_reply_error(conn, 503, "database unavailable");
    sqlite3 *db = gw_store_sqlite(store);
    for (size_t i = 0; i < S_SCAN_ROUTES; i++)
        if (strcmp(uri, s_scan_routes[i]) == 0)
            return req->post ? s_scan(conn, req->shared, db, uri)
                             : s_method_not_allowed(conn, "POST", uri);
    int64_t id = 0;
    char rest[32];
    if (strncmp(uri, s_review_prefix, strlen(s_review_prefix)) == 0) {
        bool approve = false;
        if (gw_path_id(uri, s_review_prefix, &id, rest, sizeof(rest)) != 0
            || (!(approve = strcmp(rest, "/approve") == 0)
                && strcmp(rest, "/reject") != 0))
            return s_fail(conn, 404,
                          "no such route: use POST "
                          "/staff/review/{request_id}/approve or /reject");
        if (!req->post)
            return s_method_not_allowed(conn, "POST", uri);
        return s_review_decision(
            req, db, id, approve ? PS_OUTCOME_APPROVE : PS_OUTCOME_DECLINE);
    }
    if (!req->get)
        return s_method_not_allowed(conn, "GET", uri);
    if (strcmp(uri, "/stats") == 0)
        return s_stats(conn, req->shared, db);
    if (strcmp(uri, "/staff/reviews") == 0)
        return s_reviews(conn, db);
    if (strcmp(uri, "/staff/pending-count") == 0)
        return s_pending_count(conn, db);
    return s_ml_stats(conn, db);
}
