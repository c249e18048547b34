/*  gw_sse - see gw_sse.h.

    A stream runs entirely on its civetweb worker thread: that thread's
    own SQLite connection reads the events (one prepared statement kept
    for the stream's life, reset after every batch so it never pins a WAL
    snapshot), and the only shared state it touches is gw_shared's
    events_lock group (the published seq, the progress generation, the
    stream count and `stopping`).                                         */
#include "gw_sse.h"
#include "ps_log.h"
#include "ps_parse.h"
#include "ps_time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GW_SSE_BATCH 200 /* events read and written at once */

/* ---- frames ------------------------------------------------------------ */

static int
s_append_str(gw_buf_t *buf, const char *text)
{
    return gw_buf_add(buf, text, strlen(text));
}

int
gw_sse_frame(gw_buf_t *buf, int64_t id, const char *type, const char *data)
{
    char head[96];
    int n = snprintf(head, sizeof(head), "id: %lld\nevent: %s\n", (long long)id,
                     type);
    if (n < 0 || (size_t)n >= sizeof(head)
        || gw_buf_add(buf, head, (size_t)n) != 0)
        return -1;
    const char *line = data;
    while (true) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (s_append_str(buf, "data: ") != 0 || gw_buf_add(buf, line, len) != 0
            || s_append_str(buf, "\n") != 0)
            return -1;
        if (!end)
            break;
        line = end + 1;
    }
    return s_append_str(buf, "\n");
}

static bool
s_is(const char *text, const char *word)
{
    return text && strcmp(text, word) == 0;
}

size_t
gw_sse_types(const gw_sse_event_t *event, const char *types[2])
{
    size_t count = 0;
    if (s_is(event->kind, "decision")) {
        types[count++] = "decision";
        if (s_is(event->outcome, "review"))
            types[count++] = "review";
    } else if (s_is(event->kind, "staff"))
        types[count++] = "review_done";
    else if (s_is(event->kind, "elsewhere")) {
        /* Only a review closing concerns the queue; a decision of ours
           that Overseerr already had is not news to anyone watching. */
        if (s_is(event->pipeline_was, "review"))
            types[count++] = "review_done";
    } else if (s_is(event->kind, "applied"))
        types[count++] = "applied";
    return count;
}

static void
s_set_str(json_t *doc, const char *key, const char *value)
{
    json_object_set_new(doc, key, value ? json_string(value) : json_null());
}

json_t *
gw_sse_event_json(const gw_sse_event_t *event, const char *type)
{
    json_t *doc =
        json_pack("{s:I,s:I,s:I}", "seq", (json_int_t)event->seq, "request_id",
                  (json_int_t)event->request_id, "at", (json_int_t)event->at);
    if (!doc)
        return NULL;
    s_set_str(doc, "title", event->title);
    s_set_str(doc, "media_type", event->media_type);
    s_set_str(doc, "user", event->user_name);
    if (strcmp(type, "decision") == 0 || strcmp(type, "review") == 0) {
        s_set_str(doc, "outcome", event->outcome);
        s_set_str(doc, "source", event->source);
        s_set_str(doc, "rule", event->rule);
        s_set_str(doc, "explanation", event->explanation);
        json_object_set_new(doc, "score",
                            event->has_score ? json_real(event->score)
                                             : json_null());
    } else if (strcmp(type, "review_done") == 0) {
        bool staff = s_is(event->kind, "staff");
        s_set_str(doc, "outcome", event->outcome);
        json_object_set_new(doc, "by",
                            json_string(staff ? "staff" : "overseerr"));
        s_set_str(doc, "actor", event->actor);
        s_set_str(doc, "reason", event->reason);
    } else if (strcmp(type, "applied") == 0)
        s_set_str(doc, "outcome",
                  event->outcome ? event->outcome : event->pipeline_was);
    return doc;
}

int
gw_sse_append_event(gw_buf_t *buf, const gw_sse_event_t *event)
{
    const char *types[2];
    size_t count = gw_sse_types(event, types);
    for (size_t i = 0; i < count; i++) {
        json_t *doc = gw_sse_event_json(event, types[i]);
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        int rc = text ? gw_sse_frame(buf, event->seq, types[i], text) : -1;
        free(text);
        if (rc != 0)
            return -1;
    }
    return (int)count;
}

int
gw_sse_resume(const char *last_event_id, const char *since, int64_t *seq,
              char *err, size_t errlen)
{
    const char *given = last_event_id && *last_event_id ? last_event_id : since;
    const char *where =
        given == last_event_id ? "header `Last-Event-ID`" : "query `since`";
    if (!given)
        return 0;
    if (ps_parse_int64(given, 0, INT64_MAX, seq) != 0) {
        snprintf(err, errlen, "%s: expected an event id (0 or more)", where);
        return -1;
    }
    return 1;
}

/* ---- progress ---------------------------------------------------------- */

void
gw_progress_compute(const gw_progress_input_t *in, gw_progress_t *out)
{
    memset(out, 0, sizeof(*out));
    int64_t unclaimed = in->scan_running && in->scan_total > in->scan_done
                            ? in->scan_total - in->scan_done
                            : 0;
    out->backlog = in->in_flight + in->released + unclaimed;
    out->running = in->scan_running || in->in_flight > 0;
    out->done = in->done;
    out->total = in->done + out->backlog;
    int64_t window = in->window_ms > 1000 ? in->window_ms : 1000;
    out->rate_per_s =
        round((double)in->recent * 1000.0 / (double)window * 100) / 100;
    out->has_eta = out->backlog > 0 && out->rate_per_s > 0;
    if (out->has_eta)
        out->eta_s = (int64_t)ceil((double)out->backlog / out->rate_per_s);
    out->at = in->at;
}

bool
gw_progress_changed(const gw_progress_t *a, const gw_progress_t *b)
{
    return a->running != b->running || a->done != b->done
           || a->total != b->total || a->backlog != b->backlog;
}

json_t *
gw_progress_json(const gw_progress_t *p)
{
    return json_pack(
        "{s:b,s:I,s:I,s:f,s:o,s:I,s:I}", "running", p->running, "done",
        (json_int_t)p->done, "total", (json_int_t)p->total, "rate_per_s",
        p->rate_per_s, "eta_s",
        p->has_eta ? json_integer((json_int_t)p->eta_s) : json_null(),
        "backlog", (json_int_t)p->backlog, "at", (json_int_t)p->at);
}

/* Reads the inputs (the poller's scan status, the store's counts) and
   computes progress. Returns 0, or -1 on a database error. */
static int
s_progress_read(gw_shared_t *shared, gw_store_t *store, gw_progress_t *out)
{
    static const char sql[] =
        "SELECT (SELECT COUNT(*) FROM requests WHERE state = 'in_flight'),"
        " (SELECT COUNT(*) FROM requests WHERE state = 'released'),"
        " (SELECT COUNT(*) FROM decisions WHERE decided_at >= ?1"
        "  AND source != 'staff'),"
        " (SELECT COUNT(*) FROM decisions WHERE decided_at >= ?2"
        "  AND source != 'staff')";
    gw_progress_input_t in = {.at = ps_time_now_ms()};
    int64_t run_start = 0;
    gw_health_scan(shared->health, &in.scan_running, &in.scan_done,
                   &in.scan_total, &run_start);
    if (run_start <= 0)
        run_start = shared->started_at;
    /* run_start comes from the poller's clock: never a negative window. */
    in.window_ms = in.at - run_start < GW_PROGRESS_WINDOW_MS
                       ? in.at - run_start
                       : GW_PROGRESS_WINDOW_MS;
    if (in.window_ms < 0)
        in.window_ms = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(gw_store_sqlite(store), sql, -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(stmt, 1, run_start);
    sqlite3_bind_int64(stmt, 2, in.at - in.window_ms);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        in.in_flight = sqlite3_column_int64(stmt, 0);
        in.released = sqlite3_column_int64(stmt, 1);
        in.done = sqlite3_column_int64(stmt, 2);
        in.recent = sqlite3_column_int64(stmt, 3);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        return -1;
    gw_progress_compute(&in, out);
    return 0;
}

static int
s_progress(const gw_req_t *req)
{
    gw_store_t *store = gw_reply_store(req->shared);
    gw_progress_t progress;
    if (!store || s_progress_read(req->shared, store, &progress) != 0)
        return gw_reply_error(req->conn, 503, "database unavailable");
    return gw_reply_json(req->conn, 200, gw_progress_json(&progress));
}

/* ---- the stream -------------------------------------------------------- */

static const char s_events_sql[] =
    "SELECT e.seq, e.kind, e.request_id, e.at, e.outcome, e.source, e.actor,"
    " e.title, e.media_type, e.user_name, e.rule, e.explanation, e.score,"
    " e.reason, CASE WHEN e.kind IN ('applied', 'elsewhere') THEN"
    " (SELECT d.outcome FROM decisions d WHERE d.request_id = e.request_id"
    "  AND d.source != 'staff' AND d.decided_at <= e.at"
    "  ORDER BY d.id DESC LIMIT 1) END"
    " FROM events e WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2";

static const char *
s_text(sqlite3_stmt *stmt, int column)
{
    return (const char *)sqlite3_column_text(stmt, column);
}

/* Appends the frames of the events after *last (at most GW_SSE_BATCH) and
   moves *last on. Returns the rows read, or -1. */
static int
s_read_events(sqlite3_stmt *stmt, gw_buf_t *buf, int64_t *last)
{
    sqlite3_reset(stmt);
    sqlite3_bind_int64(stmt, 1, *last);
    sqlite3_bind_int64(stmt, 2, GW_SSE_BATCH);
    int rows = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        gw_sse_event_t e = {
            .seq = sqlite3_column_int64(stmt, 0),
            .kind = s_text(stmt, 1),
            .request_id = sqlite3_column_int64(stmt, 2),
            .at = sqlite3_column_int64(stmt, 3),
            .outcome = s_text(stmt, 4),
            .source = s_text(stmt, 5),
            .actor = s_text(stmt, 6),
            .title = s_text(stmt, 7),
            .media_type = s_text(stmt, 8),
            .user_name = s_text(stmt, 9),
            .rule = s_text(stmt, 10),
            .explanation = s_text(stmt, 11),
            .has_score = sqlite3_column_type(stmt, 12) != SQLITE_NULL,
            .score = sqlite3_column_double(stmt, 12),
            .reason = s_text(stmt, 13),
            .pipeline_was = s_text(stmt, 14),
        };
        if (gw_sse_append_event(buf, &e) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        *last = e.seq;
        rows++;
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? rows : -1;
}

/* Sends and empties the buffer in one mg_write. False when the client is
   gone. */
static bool
s_flush(struct mg_connection *conn, gw_buf_t *buf)
{
    int sent = mg_write(conn, buf->data, buf->len);
    bool ok = sent > 0 && (size_t)sent == buf->len;
    buf->len = 0;
    return ok;
}

/* Takes a stream slot. Returns true, or false with the reason in why
   (the cap is reached, streams are off, the gateway is stopping). */
static bool
s_slot_take(gw_shared_t *shared, uint64_t *progress_gen, char *why,
            size_t whylen)
{
    pthread_mutex_lock(&shared->events_lock);
    bool ok = !shared->stopping && shared->sse_clients < shared->sse_max;
    if (ok)
        shared->sse_clients++;
    else if (shared->stopping)
        snprintf(why, whylen, "the gateway is stopping");
    else if (shared->sse_max == 0)
        snprintf(why, whylen,
                 "live event streams are off (gateway.sse_max_clients: 0)");
    else
        snprintf(why, whylen,
                 "too many live event streams: %d open, the limit is "
                 "gateway.sse_max_clients (%d); close a dashboard tab or "
                 "raise it",
                 shared->sse_clients, shared->sse_max);
    *progress_gen = shared->progress_gen;
    pthread_mutex_unlock(&shared->events_lock);
    return ok;
}

static void
s_slot_give(gw_shared_t *shared)
{
    pthread_mutex_lock(&shared->events_lock);
    shared->sse_clients--;
    pthread_mutex_unlock(&shared->events_lock);
}

/* Sleeps until events past `last` are published, progress arrives, the
   gateway stops or wait_ms pass. Returns false when stopping. */
static bool
s_wait(gw_shared_t *shared, int64_t last, uint64_t *progress_gen,
       int64_t wait_ms, bool *progress_news)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (wait_ms < 0)
        wait_ms = 0;
    until.tv_sec += (time_t)(wait_ms / 1000);
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&shared->events_lock);
    while (!shared->stopping && shared->events_seq <= last
           && shared->progress_gen == *progress_gen)
        if (pthread_cond_timedwait(&shared->events_cond, &shared->events_lock,
                                   &until)
            == ETIMEDOUT)
            break;
    bool stopping = shared->stopping;
    *progress_news = shared->progress_gen != *progress_gen;
    *progress_gen = shared->progress_gen;
    pthread_mutex_unlock(&shared->events_lock);
    return !stopping;
}

static const char s_stream_head[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "Connection: close\r\n"
    "X-Accel-Buffering: no\r\n";

/* Appends a progress frame when it is due and says something new. */
static int
s_progress_frame(gw_shared_t *shared, gw_store_t *store, gw_buf_t *buf,
                 int64_t last, gw_progress_t *sent, bool *sent_any)
{
    gw_progress_t now;
    if (s_progress_read(shared, store, &now) != 0)
        return -1;
    bool news = *sent_any ? gw_progress_changed(&now, sent) : now.running;
    if (!news)
        return 0;
    json_t *doc = gw_progress_json(&now);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    int rc = text ? gw_sse_frame(buf, last, "progress", text) : -1;
    free(text);
    *sent = now;
    *sent_any = true;
    return rc;
}

static int
s_stream(const gw_req_t *req)
{
    struct mg_connection *conn = req->conn;
    gw_shared_t *shared = req->shared;
    char since[32];
    bool has_since = gw_query_value(req->info, "since", since, sizeof(since));
    int64_t last = 0;
    char why[128];
    int given =
        gw_sse_resume(mg_get_header(conn, "Last-Event-ID"),
                      has_since ? since : NULL, &last, why, sizeof(why));
    if (given < 0)
        return gw_reply_error(conn, 400, why);
    gw_store_t *store = gw_reply_store(shared);
    int64_t newest = store ? gw_store_last_seq(store) : -1;
    if (newest < 0)
        return gw_reply_error(conn, 503, "database unavailable");
    /* No resume point: only what happens from now on. A point past the
       newest event (another database) restarts from now too. */
    if (given == 0 || last > newest)
        last = newest;
    uint64_t progress_gen = 0;
    char refused[200];
    if (!s_slot_take(shared, &progress_gen, refused, sizeof(refused)))
        return gw_reply_json_with(conn, 503,
                                  json_pack("{s:s}", "error", refused),
                                  "Retry-After: 10\r\n");
    sqlite3_stmt *stmt = NULL;
    gw_buf_t buf = {0};
    char retry[32];
    snprintf(retry, sizeof(retry), "retry: %d\n\n", GW_SSE_RETRY_MS);
    if (sqlite3_prepare_v2(gw_store_sqlite(store), s_events_sql, -1, &stmt,
                           NULL)
            != SQLITE_OK
        || s_append_str(&buf, s_stream_head) != 0
        || s_append_str(&buf, gw_security_headers) != 0
        || s_append_str(&buf, "\r\n") != 0 || s_append_str(&buf, retry) != 0) {
        ps_log_error("cannot start an event stream: %s",
                     sqlite3_errmsg(gw_store_sqlite(store)));
        sqlite3_finalize(stmt);
        free(buf.data);
        s_slot_give(shared);
        return gw_reply_error(conn, 500, "cannot start the event stream");
    }
    ps_log_debug("event stream opened from=%lld", (long long)last);
    gw_progress_t sent = {0};
    bool sent_any = false;
    bool progress_wanted = true;
    int64_t progress_at = 0;
    int64_t wrote_at = ps_time_mono_ms();
    while (true) {
        int rows = s_read_events(stmt, &buf, &last);
        if (rows < 0) {
            ps_log_error("event stream stopped: cannot read events: %s",
                         sqlite3_errmsg(gw_store_sqlite(store)));
            break;
        }
        int64_t now = ps_time_mono_ms();
        bool progress_live = progress_wanted || sent.running;
        if (progress_live && now - progress_at >= GW_SSE_PROGRESS_MS) {
            progress_at = now;
            progress_wanted = false;
            if (s_progress_frame(shared, store, &buf, last, &sent, &sent_any)
                != 0)
                break;
            progress_live = sent.running;
        }
        if (buf.len == 0 && now - wrote_at >= GW_SSE_HEARTBEAT_MS
            && s_append_str(&buf, ": heartbeat\n\n") != 0)
            break;
        if (buf.len > 0) {
            if (!s_flush(conn, &buf))
                break;
            wrote_at = now;
        }
        if (rows == GW_SSE_BATCH)
            continue;
        int64_t wait_ms = wrote_at + GW_SSE_HEARTBEAT_MS - now;
        if (progress_live && progress_at + GW_SSE_PROGRESS_MS - now < wait_ms)
            wait_ms = progress_at + GW_SSE_PROGRESS_MS - now;
        bool progress_news = false;
        if (!s_wait(shared, last, &progress_gen, wait_ms, &progress_news))
            break;
        progress_wanted = progress_wanted || progress_news;
    }
    sqlite3_finalize(stmt);
    free(buf.data);
    s_slot_give(shared);
    ps_log_debug("event stream closed at=%lld", (long long)last);
    return 200;
}

int
gw_sse_route(const gw_req_t *req)
{
    if (strcmp(req->uri, "/api/v1/progress") == 0)
        return req->get
                   ? s_progress(req)
                   : gw_reply_error(req->conn, 405, "use GET /api/v1/progress");
    if (strcmp(req->uri, "/api/v1/events") != 0)
        return 0;
    if (!req->get)
        return gw_reply_error(req->conn, 405, "use GET /api/v1/events");
    if (strcmp(req->method, "HEAD") == 0)
        return gw_reply(req->conn, 200, "text/event-stream; charset=utf-8",
                        "Cache-Control: no-store\r\n", "", 0);
    return s_stream(req);
}
