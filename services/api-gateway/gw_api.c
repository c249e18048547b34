/*  gw_api - see gw_api.h.

    Paging is keyset, newest first by (decided_at, id), never OFFSET:
    with no filter, a time range, an outcome or a source, a page is one
    index range scan in order (migration 5 gives outcome and source their
    own (word, decided_at) index); a requester's decisions are found
    through requests_user / requests_user_name and sorted (one user's
    rows); only `q` scans. So page 2000 costs what page 1 costs, and rows
    arriving meanwhile never shift a page. The cursor is that pair,
    opaque to clients (base64url) so it can change.
    The WHERE clause holds only the filters given, as SQLite cannot use an
    index through "(?1 IS NULL OR col = ?1)".
    The CSV export runs the same query without a limit and sends rows in
    batches of about 64 KiB as HTTP chunks, each batch one mg_write
    (TOOLCHAIN.md: Nagle), so memory stays flat whatever the history.  */
#include "gw_api.h"
#include "gw_health.h"
#include "ps_config.h"
#include "ps_log.h"
#include "ps_parse.h"
#include "ps_time.h"
#include "ps_work_json.h"
#include "rules.h"

#include <ctype.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define S_CSV_BATCH (64 * 1024)            /* bytes of rows per chunk */
#define S_MAX_DOC (4 * 1024 * 1024)        /* openapi.json */
#define S_WEEK_MS (7LL * 24 * 3600 * 1000) /* quota window (enricher's) */
#define S_MIN_PASSWORD 12                  /* new staff accounts */
#define S_MAX_DAYS 366                     /* stats/daily window */

/* ---- buffers and CSV --------------------------------------------------- */

int
gw_api_csv_field(gw_buf_t *buf, const char *text, bool neutralize)
{
    if (!text)
        return 0;
    bool formula = neutralize && strchr("=+-@\t\r", text[0]) && text[0];
    bool quote = formula || strpbrk(text, ",\"\r\n") != NULL;
    if (quote && gw_buf_add(buf, "\"", 1) != 0)
        return -1;
    if (formula && gw_buf_add(buf, "'", 1) != 0)
        return -1;
    for (const char *p = text; *p;) {
        const char *q = quote ? strchr(p, '"') : NULL;
        size_t n = q ? (size_t)(q - p) + 1 : strlen(p);
        if (gw_buf_add(buf, p, n) != 0)
            return -1;
        /* The quote just copied is doubled. */
        if (q && gw_buf_add(buf, "\"", 1) != 0)
            return -1;
        p += n;
    }
    return quote ? gw_buf_add(buf, "\"", 1) : 0;
}

/* ---- the cursor ------------------------------------------------------- */

int
gw_api_cursor_encode(int64_t decided_at, int64_t id, char *buf, size_t len)
{
    char plain[48];
    int n = snprintf(plain, sizeof(plain), "v1:%lld:%lld",
                     (long long)decided_at, (long long)id);
    if (n < 0 || (size_t)n >= sizeof(plain)
        || len < sodium_base64_ENCODED_LEN(
               (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return -1;
    sodium_bin2base64(buf, len, (const unsigned char *)plain, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

int
gw_api_cursor_decode(const char *text, int64_t *decided_at, int64_t *id)
{
    unsigned char plain[48];
    size_t n = 0;
    if (!text || strlen(text) >= GW_API_CURSOR_LEN
        || sodium_base642bin(plain, sizeof(plain) - 1, text, strlen(text), NULL,
                             &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
               != 0)
        return -1;
    plain[n] = '\0';
    char *at = (char *)plain;
    if (strncmp(at, "v1:", 3) != 0)
        return -1;
    at += 3;
    char *colon = strchr(at, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    return ps_parse_int64(at, 0, INT64_MAX, decided_at) == 0
                   && ps_parse_int64(colon + 1, 1, INT64_MAX, id) == 0
               ? 0
               : -1;
}

/* ---- query parsing ---------------------------------------------------- */

static bool
s_word_in(const char *word, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strcmp(word, words[i]) == 0)
            return true;
    return false;
}

/* Refuses parameters this route does not know, so a misspelt filter is an
   error instead of an unfiltered answer. */
static int
s_check_names(const char *query, const char *const *known, char *err,
              size_t errlen)
{
    const char *p = query;
    while (p && *p) {
        size_t n = strcspn(p, "&");
        size_t key = strcspn(p, "=&");
        char name[32];
        snprintf(name, sizeof(name), "%.*s",
                 (int)(key < sizeof(name) ? key : sizeof(name) - 1), p);
        if (n > 0 && (key >= sizeof(name) || !s_word_in(name, known))) {
            char list[160] = "";
            size_t used = 0;
            for (size_t i = 0; known[i] && used < sizeof(list); i++) {
                int w = snprintf(list + used, sizeof(list) - used, "%s%s",
                                 i ? ", " : "", known[i]);
                used += w > 0 ? (size_t)w : 0;
            }
            snprintf(err, errlen, "query `%s`: unknown parameter (expected %s)",
                     name, list);
            return -1;
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* Copies parameter `name` into buf. Returns 1 when given and not empty,
   0 when absent or empty, -1 (err) when longer than buf. */
static int
s_param(const char *query, const char *name, char *buf, size_t len, char *err,
        size_t errlen)
{
    buf[0] = '\0';
    if (!query || !*query)
        return 0;
    int n = mg_get_var(query, strlen(query), name, buf, len);
    if (n == -1)
        return 0;
    if (n < 0) {
        snprintf(err, errlen, "query `%s`: longer than %zu bytes", name,
                 len - 1);
        return -1;
    }
    return n > 0 ? 1 : 0;
}

int
gw_api_filter_parse(const char *query, bool paged, gw_api_filter_t *f,
                    char *err, size_t errlen)
{
    static const char *const paged_names[] = {
        "outcome", "source", "user",  "media_type", "from",
        "to",      "q",      "limit", "cursor",     NULL};
    static const char *const csv_names[] = {
        "outcome", "source", "user", "media_type", "from", "to", "q", NULL};
    static const char *const outcomes[] = {"approve", "decline", "review",
                                           NULL};
    static const char *const sources[] = {"rule",  "ai",    "learner",
                                          "staff", "error", NULL};
    static const char *const media[] = {"movie", "tv", NULL};
    memset(f, 0, sizeof(*f));
    f->limit = 50;
    if (s_check_names(query, paged ? paged_names : csv_names, err, errlen) != 0)
        return -1;
    char text[256];
    int rc =
        s_param(query, "outcome", f->outcome, sizeof(f->outcome), err, errlen);
    if (rc < 0 || (rc > 0 && !s_word_in(f->outcome, outcomes))) {
        snprintf(err, errlen,
                 "query `outcome`: expected approve, decline or review");
        return -1;
    }
    rc = s_param(query, "source", f->source, sizeof(f->source), err, errlen);
    if (rc < 0 || (rc > 0 && !s_word_in(f->source, sources))) {
        snprintf(err, errlen,
                 "query `source`: expected rule, ai, learner, staff or "
                 "error");
        return -1;
    }
    rc = s_param(query, "media_type", f->media_type, sizeof(f->media_type), err,
                 errlen);
    if (rc < 0 || (rc > 0 && !s_word_in(f->media_type, media))) {
        snprintf(err, errlen, "query `media_type`: expected movie or tv");
        return -1;
    }
    rc = s_param(query, "user", f->user, sizeof(f->user), err, errlen);
    if (rc < 0)
        return -1;
    if (rc > 0 && strspn(f->user, "0123456789") == strlen(f->user)) {
        if (ps_parse_int64(f->user, 1, INT64_MAX, &f->user_id) != 0) {
            snprintf(err, errlen,
                     "query `user`: expected a requester name or a user id "
                     "from 1");
            return -1;
        }
        f->user[0] = '\0';
    }
    int64_t unused = 0;
    rc = s_param(query, "from", text, sizeof(text), err, errlen);
    if (rc < 0
        || (rc > 0
            && ps_time_parse_local_date(text, &f->from_ms, &unused) != 0)) {
        snprintf(err, errlen, "query `from`: expected YYYY-MM-DD");
        return -1;
    }
    rc = s_param(query, "to", text, sizeof(text), err, errlen);
    if (rc < 0
        || (rc > 0
            && ps_time_parse_local_date(text, &unused, &f->to_ms) != 0)) {
        snprintf(err, errlen, "query `to`: expected YYYY-MM-DD");
        return -1;
    }
    if (f->from_ms && f->to_ms && f->to_ms <= f->from_ms) {
        snprintf(err, errlen, "query `to`: a day before `from`");
        return -1;
    }
    if (s_param(query, "q", f->q, sizeof(f->q), err, errlen) < 0)
        return -1;
    if (!paged)
        return 0;
    rc = s_param(query, "limit", text, sizeof(text), err, errlen);
    if (rc < 0 || (rc > 0 && ps_parse_int64(text, 1, 1000, &f->limit) != 0)) {
        snprintf(err, errlen, "query `limit`: expected 1 to 1000");
        return -1;
    }
    rc = s_param(query, "cursor", text, sizeof(text), err, errlen);
    if (rc < 0
        || (rc > 0
            && gw_api_cursor_decode(text, &f->cursor_at, &f->cursor_id) != 0)) {
        snprintf(err, errlen,
                 "query `cursor`: not a cursor from `next_cursor`");
        return -1;
    }
    f->has_cursor = rc > 0;
    return 0;
}

/* ---- statements ------------------------------------------------------- */

static int
s_sql_error(const gw_req_t *req, sqlite3 *db, const char *what)
{
    ps_log_error("api query failed: %s: %s", what, sqlite3_errmsg(db));
    return gw_reply_error(req->conn, 500, "database query failed");
}

static json_t *
s_column_json(sqlite3_stmt *stmt, int column)
{
    switch (sqlite3_column_type(stmt, column)) {
        case SQLITE_INTEGER:
            return json_integer(sqlite3_column_int64(stmt, column));
        case SQLITE_FLOAT:
            return json_real(sqlite3_column_double(stmt, column));
        case SQLITE_TEXT:
            return json_string((const char *)sqlite3_column_text(stmt, column));
        default:
            return json_null();
    }
}

/* The current row as an object keyed by column names; a column named
   *_json holds JSON text, embedded parsed under the name without the
   suffix (as gw_store's read models do). */
static json_t *
s_row_json(sqlite3_stmt *stmt)
{
    json_t *row = json_object();
    for (int c = 0; row && c < sqlite3_column_count(stmt); c++) {
        const char *name = sqlite3_column_name(stmt, c);
        size_t len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, "_json") == 0) {
            char key[64];
            snprintf(key, sizeof(key), "%.*s", (int)(len - 5), name);
            const char *text = (const char *)sqlite3_column_text(stmt, c);
            json_t *value = text ? json_loads(text, 0, NULL) : NULL;
            json_object_set_new(row, key, value ? value : json_null());
        } else
            json_object_set_new(row, name, s_column_json(stmt, c));
    }
    return row;
}

/* Every row of a prepared statement as an array; NULL on a step error. */
static json_t *
s_rows_json(sqlite3_stmt *stmt)
{
    json_t *rows = json_array();
    int rc;
    while (rows && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        json_array_append_new(rows, s_row_json(stmt));
    if (!rows || rc != SQLITE_DONE) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* ---- decisions -------------------------------------------------------- */

/* The columns of a history row: the decision, its request, and the
   request's LLM cost so far (usage_request index). */
#define S_DECISION_COLUMNS                                                     \
    "SELECT d.id, d.request_id, d.outcome, d.source, d.rule, d.message_id,"    \
    " d.params AS params_json, d.explanation, d.score, d.ai_score, d.model,"   \
    " d.matched AS matched_json, d.ruleset, d.actor, d.reason,"                \
    " d.decided_at, r.title, r.media_type, r.user_name, r.user_id, r.state,"   \
    " (SELECT COALESCE(SUM(u.cost_usd), 0) FROM usage u"                       \
    "  WHERE u.request_id = d.request_id) AS ai_cost_usd,"                     \
    " (SELECT COALESCE(SUM(u.prompt_tokens + u.completion_tokens), 0)"         \
    "  FROM usage u WHERE u.request_id = d.request_id) AS ai_tokens"           \
    " FROM decisions d JOIN requests r ON r.request_id = d.request_id"         \
    " WHERE 1"

/* Builds the SQL for the filters (only those given) and prepares it.
   Returns the statement, or NULL. */
static sqlite3_stmt *
s_decisions_stmt(sqlite3 *db, const gw_api_filter_t *f, bool paged)
{
    char sql[2048];
    size_t n = 0;
    const char *clauses[] = {
        S_DECISION_COLUMNS,
        *f->outcome ? " AND d.outcome = :outcome" : "",
        *f->source ? " AND d.source = :source" : "",
        f->user_id ? " AND d.request_id IN (SELECT request_id FROM requests"
                     " WHERE user_id = :user_id)"
                   : "",
        *f->user ? " AND d.request_id IN (SELECT request_id FROM requests"
                   " WHERE user_name = :user COLLATE NOCASE)"
                 : "",
        *f->media_type ? " AND r.media_type = :media" : "",
        f->from_ms ? " AND d.decided_at >= :from" : "",
        f->to_ms ? " AND d.decided_at < :to" : "",
        *f->q ? " AND (r.title LIKE :q ESCAPE '\\'"
                " OR r.user_name LIKE :q ESCAPE '\\'"
                " OR d.explanation LIKE :q ESCAPE '\\'"
                " OR d.reason LIKE :q ESCAPE '\\')"
              : "",
        f->has_cursor ? " AND (d.decided_at, d.id) < (:at, :id)" : "",
        " ORDER BY d.decided_at DESC, d.id DESC",
        paged ? " LIMIT :limit" : "",
    };
    for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++) {
        size_t len = strlen(clauses[i]);
        if (n + len >= sizeof(sql))
            return NULL;
        memcpy(sql + n, clauses[i], len);
        n += len;
    }
    sql[n] = '\0';
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, (int)n, &stmt, NULL) != SQLITE_OK)
        return NULL;
    /* LIKE's own wildcards in the search text match themselves. */
    char like[2 * sizeof(f->q) + 3];
    size_t k = 0;
    like[k++] = '%';
    for (const char *p = f->q; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            like[k++] = '\\';
        like[k++] = *p;
    }
    like[k++] = '%';
    like[k] = '\0';
    struct {
        const char *name;
        const char *text;
        int64_t number;
    } binds[] = {
        {":outcome", f->outcome, 0},
        {":source", f->source, 0},
        {":user_id", NULL, f->user_id},
        {":user", f->user, 0},
        {":media", f->media_type, 0},
        {":from", NULL, f->from_ms},
        {":to", NULL, f->to_ms},
        {":q", like, 0},
        {":at", NULL, f->cursor_at},
        {":id", NULL, f->cursor_id},
        /* One row more than asked tells whether another page exists. */
        {":limit", NULL, f->limit + 1},
    };
    for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
        int index = sqlite3_bind_parameter_index(stmt, binds[i].name);
        if (index == 0)
            continue;
        if (binds[i].text)
            sqlite3_bind_text(stmt, index, binds[i].text, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_int64(stmt, index, binds[i].number);
    }
    return stmt;
}

static int
s_decisions(const gw_req_t *req, sqlite3 *db)
{
    gw_api_filter_t filter;
    char err[256];
    if (gw_api_filter_parse(req->info->query_string, true, &filter, err,
                            sizeof(err))
        != 0)
        return gw_reply_error(req->conn, 400, err);
    sqlite3_stmt *stmt = s_decisions_stmt(db, &filter, true);
    if (!stmt)
        return s_sql_error(req, db, "decisions prepare");
    json_t *rows = json_array();
    int64_t last_at = 0, last_id = 0;
    bool more = false;
    int rc;
    while (rows && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if ((int64_t)json_array_size(rows) == filter.limit) {
            more = true;
            break;
        }
        json_array_append_new(rows, s_row_json(stmt));
        last_id = sqlite3_column_int64(stmt, 0);
        last_at = sqlite3_column_int64(stmt, 15);
    }
    sqlite3_finalize(stmt);
    if (!rows || (!more && rc != SQLITE_DONE)) {
        json_decref(rows);
        return s_sql_error(req, db, "decisions");
    }
    char cursor[GW_API_CURSOR_LEN];
    json_t *next = more
                           && gw_api_cursor_encode(last_at, last_id, cursor,
                                                   sizeof(cursor))
                                  == 0
                       ? json_string(cursor)
                       : json_null();
    return gw_reply_json(
        req->conn, 200,
        json_pack("{s:o,s:o}", "decisions", rows, "next_cursor", next));
}

/* Sends what is in `rows` as one chunk (after the headers when `head` is
   given, followed by the last chunk when `last`), in one write. Returns
   0, or -1 when the client went away. */
static int
s_csv_flush(struct mg_connection *conn, const char *head, gw_buf_t *rows,
            bool last)
{
    gw_buf_t out = {0};
    char size[24];
    int n = snprintf(size, sizeof(size), "%zx\r\n", rows->len);
    int rc = (head && gw_buf_add(&out, head, strlen(head)) != 0)
                     || (rows->len
                         && (gw_buf_add(&out, size, (size_t)n) != 0
                             || gw_buf_add(&out, rows->data, rows->len) != 0
                             || gw_buf_add(&out, "\r\n", 2) != 0))
                     || (last && gw_buf_add(&out, "0\r\n\r\n", 5) != 0)
                 ? -1
                 : 0;
    if (rc == 0 && out.len && mg_write(conn, out.data, out.len) <= 0)
        rc = -1;
    gw_buf_free(&out);
    rows->len = 0;
    return rc;
}

/* One CSV line for the current row of a S_DECISION_COLUMNS statement. */
static int
s_csv_row(gw_buf_t *rows, sqlite3_stmt *stmt)
{
    /* column index, text written by a person or the LLM (neutralized) */
    static const struct {
        int column;
        bool text;
    } cols[] = {{0, false},  {15, false}, {1, false},  {16, true}, {17, false},
                {18, true},  {19, false}, {2, false},  {3, false}, {4, false},
                {7, true},   {13, true},  {14, true},  {8, false}, {9, false},
                {10, false}, {21, false}, {22, false}, {20, false}};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(cols) / sizeof(cols[0]); i++) {
        if (i > 0)
            rc = gw_buf_add(rows, ",", 1);
        char value[40];
        const char *text =
            (const char *)sqlite3_column_text(stmt, cols[i].column);
        if (cols[i].column == 15) {
            /* decided_at, readable: UTC ISO-8601. */
            text = ps_time_format_iso(sqlite3_column_int64(stmt, 15), value,
                                      sizeof(value))
                           == 0
                       ? value
                       : text;
        } else if (cols[i].column == 21) {
            snprintf(value, sizeof(value), "%.8f",
                     sqlite3_column_double(stmt, 21));
            text = value;
        }
        if (rc == 0)
            rc = gw_api_csv_field(rows, text, cols[i].text);
    }
    return rc == 0 ? gw_buf_add(rows, "\r\n", 2) : -1;
}

static int
s_decisions_csv(const gw_req_t *req, sqlite3 *db)
{
    static const char header[] =
        "decision_id,decided_at,request_id,title,media_type,requester,"
        "user_id,outcome,source,rule,explanation,staff,staff_reason,score,"
        "ai_score,model,ai_cost_usd,ai_tokens,state\r\n";
    gw_api_filter_t filter;
    char err[256];
    if (gw_api_filter_parse(req->info->query_string, false, &filter, err,
                            sizeof(err))
        != 0)
        return gw_reply_error(req->conn, 400, err);
    sqlite3_stmt *stmt = s_decisions_stmt(db, &filter, false);
    if (!stmt)
        return s_sql_error(req, db, "csv prepare");
    /* The first step runs the query: a failure there can still be a 500. */
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return s_sql_error(req, db, "csv");
    }
    char day[16] = "export";
    ps_time_format_local_date(ps_time_now_ms(), day, sizeof(day));
    char head[2048];
    int n =
        snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\n"
                 "Transfer-Encoding: chunked\r\nCache-Control: no-store\r\n"
                 "Content-Disposition: attachment; "
                 "filename=\"plexstaffai-decisions-%s.csv\"\r\n%s\r\n",
                 day, gw_security_headers);
    gw_buf_t rows = {0};
    int sent = 0;
    bool ok = n > 0 && (size_t)n < sizeof(head)
              && gw_buf_add(&rows, header, sizeof(header) - 1) == 0;
    const char *pending_head = head;
    while (ok && rc == SQLITE_ROW) {
        ok = s_csv_row(&rows, stmt) == 0;
        sent++;
        if (ok && rows.len >= S_CSV_BATCH) {
            ok = s_csv_flush(req->conn, pending_head, &rows, false) == 0;
            pending_head = NULL;
        }
        if (ok)
            rc = sqlite3_step(stmt);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ps_log_error("csv export stopped after %d rows: %s", sent,
                     sqlite3_errmsg(db));
    /* Headers already out: the status cannot change any more, so the
       body ends cleanly (a client sees the rows it got). */
    if (ok)
        s_csv_flush(req->conn, pending_head, &rows, true);
    gw_buf_free(&rows);
    sqlite3_finalize(stmt);
    return 200;
}

/* ---- users ------------------------------------------------------------ */

/* A requester as the rule engine would see them: the latest inputs
   snapshot when one exists (names, account age), plus the counts. */
static ps_work_t *
s_requester(sqlite3 *db, int64_t decision_id, int64_t user_id, const char *name,
            int64_t approved)
{
    ps_work_t *work = NULL;
    sqlite3_stmt *stmt = NULL;
    if (decision_id
        && sqlite3_prepare_v2(db, "SELECT inputs FROM decisions WHERE id = ?1",
                              -1, &stmt, NULL)
               == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, decision_id);
        const char *text = sqlite3_step(stmt) == SQLITE_ROW
                               ? (const char *)sqlite3_column_text(stmt, 0)
                               : NULL;
        json_t *inputs = text ? json_loads(text, 0, NULL) : NULL;
        char err[128];
        if (inputs && ps_work_from_json(inputs, &work, err, sizeof(err)) != 0)
            work = NULL;
        json_decref(inputs);
    }
    sqlite3_finalize(stmt);
    if (!work)
        work = ps_work_new("enriched");
    if (!work)
        return NULL;
    work->user_id = user_id;
    if (name && (!work->user_name || !*work->user_name))
        ps_work_set_str(&work->user_name, name);
    work->has_history = true;
    work->history_approved = approved;
    return work;
}

static bool
s_contains_nocase(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    for (; text && *text; text++)
        if (strncasecmp(text, needle, n) == 0)
            return true;
    return false;
}

static int
s_users(const gw_req_t *req, sqlite3 *db)
{
    /* Requests are counted as PlexStaffAI recorded them; the quota window
       is the rule engine's (created_at within the last 7 days). The name
       and snapshot come from the user's latest decision. */
    static const char sql[] =
        "SELECT user_id, MAX(user_name) AS name, COUNT(*) AS requests,"
        " SUM(outcome = 'approve' AND state IN ('decided', 'applied')),"
        " SUM(outcome = 'decline' AND state IN ('decided', 'applied')),"
        " SUM(state IN ('in_review', 'applying')),"
        " SUM(created_at >= ?1), MAX(decision_id), MAX(created_at)"
        " FROM requests WHERE user_id IS NOT NULL OR user_name IS NOT NULL"
        " GROUP BY COALESCE(user_id, -1),"
        " CASE WHEN user_id IS NULL THEN user_name END"
        " ORDER BY requests DESC, name COLLATE NOCASE";
    static const char *const known[] = {"q", NULL};
    char err[256];
    char q[128] = "";
    if (s_check_names(req->info->query_string, known, err, sizeof(err)) != 0
        || s_param(req->info->query_string, "q", q, sizeof(q), err, sizeof(err))
               < 0)
        return gw_reply_error(req->conn, 400, err);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_sql_error(req, db, "users prepare");
    int64_t now = ps_time_now_ms();
    sqlite3_bind_int64(stmt, 1, now - S_WEEK_MS);
    gw_shared_t *shared = req->shared;
    pthread_rwlock_rdlock(&shared->config_lock);
    const ps_config_t *config = shared->config;
    json_t *users = json_array();
    int rc;
    while (users && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t user_id = sqlite3_column_int64(stmt, 0);
        const char *name = (const char *)sqlite3_column_text(stmt, 1);
        char id_text[24];
        snprintf(id_text, sizeof(id_text), "%lld", (long long)user_id);
        if (*q && !s_contains_nocase(name, q) && strcmp(id_text, q) != 0)
            continue;
        int64_t requests = sqlite3_column_int64(stmt, 2);
        int64_t approved = sqlite3_column_int64(stmt, 3);
        int64_t declined = sqlite3_column_int64(stmt, 4);
        int64_t week = sqlite3_column_int64(stmt, 6);
        ps_work_t *work = s_requester(db, sqlite3_column_int64(stmt, 7),
                                      user_id, name, approved);
        if (!work)
            break;
        ps_level_t level = rules_level(config, work, now);
        const char *quota_label = "all";
        int limit = rules_weekly_quota(config, work, level, &quota_label);
        const char *trust =
            rules_user_in(&config->rules.restricted_users, work) ? "restricted"
            : rules_user_in(&config->rules.trusted_users, work)  ? "trusted"
                                                                 : "normal";
        ps_work_destroy(&work);
        json_t *user = json_pack(
            "{s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:{s:I,s:i,s:s},s:s,s:s,s:I}",
            "user_id", user_id ? json_integer(user_id) : json_null(), "name",
            name ? json_string(name) : json_null(), "requests",
            (json_int_t)requests, "approved", (json_int_t)approved, "declined",
            (json_int_t)declined, "in_review",
            (json_int_t)sqlite3_column_int64(stmt, 5), "approval_rate",
            approved + declined
                ? json_real((double)approved / (double)(approved + declined))
                : json_null(),
            "quota", "used", (json_int_t)week, "limit", limit, "applies",
            quota_label, "trust", trust, "level", ps_config_level_name(level),
            "last_request_at", (json_int_t)sqlite3_column_int64(stmt, 8));
        json_array_append_new(users, user);
    }
    pthread_rwlock_unlock(&shared->config_lock);
    sqlite3_finalize(stmt);
    if (!users || rc != SQLITE_DONE) {
        json_decref(users);
        return s_sql_error(req, db, "users");
    }
    return gw_reply_json(req->conn, 200, json_pack("{s:o}", "users", users));
}

/* ---- rules ------------------------------------------------------------ */

/* The config errors every running service reports (a refused reload),
   read from the same heartbeats /api/v1/health shows. */
static json_t *
s_config_errors(gw_shared_t *shared)
{
    bool healthy = false;
    json_t *health =
        gw_health_json(shared->health, ps_time_mono_ms(), true, "", &healthy);
    json_t *errors = json_array();
    json_t *services = json_object_get(health, "services");
    const char *service;
    json_t *entry;
    json_object_foreach(services, service, entry)
    {
        const char *own =
            json_string_value(json_object_get(entry, "config_error"));
        if (own)
            json_array_append_new(errors, json_pack("{s:s,s:s}", "service",
                                                    service, "error", own));
        size_t i;
        json_t *instance;
        json_array_foreach(json_object_get(entry, "instances"), i, instance)
        {
            const char *error =
                json_string_value(json_object_get(instance, "config_error"));
            if (error)
                json_array_append_new(
                    errors,
                    json_pack("{s:s,s:s,s:s}", "service", service, "instance",
                              json_string_value(
                                  json_object_get(instance, "instance")),
                              "error", error));
        }
    }
    json_decref(health);
    return errors;
}

static int
s_rules(const gw_req_t *req)
{
    gw_shared_t *shared = req->shared;
    pthread_rwlock_rdlock(&shared->config_lock);
    const ps_config_t *config = shared->config;
    json_t *settings = ps_config_to_json(config);
    json_t *doc =
        settings
            ? json_pack("{s:s,s:s,s:o,s:s,s:o}", "version", config->version,
                        "rules_version", config->rules_version, "file",
                        config->path ? json_string(config->path) : json_null(),
                        "timezone", config->timezone, "settings", settings)
            : NULL;
    pthread_rwlock_unlock(&shared->config_lock);
    if (doc)
        json_object_set_new(doc, "config_errors", s_config_errors(shared));
    return gw_reply_json(req->conn, doc ? 200 : 500, doc);
}

/* ---- stats/daily ------------------------------------------------------ */

/* The day entry for `day` in the index, or NULL outside the window. */
static json_t *
s_day(json_t *index, const char *day)
{
    return day ? json_object_get(index, day) : NULL;
}

static void
s_add_count(json_t *object, const char *key, json_int_t count)
{
    json_t *old = json_object_get(object, key);
    json_object_set_new(object, key,
                        json_integer(json_integer_value(old) + count));
}

/* Agreement of a source with staff, per day of the staff decision.
   For each request that staff decided (their latest decision on it, made
   in the window), take, per source (rule, ai, learner), that source's
   latest decision on the request before staff's. Its lean is its outcome
   when it approved or declined; when it sent the request to review, the
   side its score was on (score or ai_score >= 0.5: approve, else
   decline); a review without a score has no lean and is not compared.
   compared = requests with a lean, agreed = those whose lean is staff's
   outcome, rate = agreed / compared (null when nothing was compared). */
static const char s_agreement_sql[] =
    "WITH staff AS (SELECT request_id, MAX(id) AS staff_id FROM decisions"
    "  WHERE source = 'staff' AND decided_at >= ?1 GROUP BY request_id),"
    " prior AS (SELECT s.staff_id, x.source, MAX(x.id) AS prior_id"
    "  FROM staff s JOIN decisions x ON x.request_id = s.request_id"
    "  AND x.id < s.staff_id WHERE x.source IN ('rule', 'ai', 'learner')"
    "  GROUP BY s.staff_id, x.source),"
    " leans AS (SELECT date(st.decided_at / 1000, 'unixepoch', 'localtime')"
    "  AS day, p.source, st.outcome AS staff_outcome,"
    "  CASE WHEN d.outcome IN ('approve', 'decline') THEN d.outcome"
    "  WHEN COALESCE(d.score, d.ai_score) IS NULL THEN NULL"
    "  WHEN COALESCE(d.score, d.ai_score) >= 0.5 THEN 'approve'"
    "  ELSE 'decline' END AS lean FROM prior p"
    "  JOIN decisions d ON d.id = p.prior_id"
    "  JOIN decisions st ON st.id = p.staff_id)"
    " SELECT day, source, COUNT(lean), COALESCE(SUM(lean = staff_outcome), 0)"
    " FROM leans GROUP BY day, source";

static int
s_stats_daily(const gw_req_t *req, sqlite3 *db)
{
    static const char decisions_sql[] =
        "SELECT date(decided_at / 1000, 'unixepoch', 'localtime') AS day,"
        " outcome, source, COUNT(*) FROM decisions WHERE decided_at >= ?1"
        " GROUP BY day, outcome, source";
    static const char usage_sql[] =
        "SELECT date(at / 1000, 'unixepoch', 'localtime') AS day, COUNT(*),"
        " SUM(prompt_tokens + completion_tokens), SUM(cost_usd) FROM usage"
        " WHERE at >= ?1 GROUP BY day";
    static const char *const known[] = {"days", NULL};
    char err[256];
    char text[32];
    int64_t days = 30;
    if (s_check_names(req->info->query_string, known, err, sizeof(err)) != 0)
        return gw_reply_error(req->conn, 400, err);
    int given = s_param(req->info->query_string, "days", text, sizeof(text),
                        err, sizeof(err));
    if (given < 0
        || (given > 0 && ps_parse_int64(text, 1, S_MAX_DAYS, &days) != 0))
        return gw_reply_error(req->conn, 400,
                              "query `days`: expected 1 to 366");
    /* Every local day of the window, oldest first, zeros included. */
    int64_t now = ps_time_now_ms();
    time_t seconds = (time_t)(now / 1000);
    struct tm today;
    localtime_r(&seconds, &today);
    json_t *list = json_array();
    json_t *index = json_object();
    int64_t since = 0;
    for (int64_t i = days - 1; i >= 0; i--) {
        struct tm day = {.tm_year = today.tm_year,
                         .tm_mon = today.tm_mon,
                         .tm_mday = today.tm_mday - (int)i,
                         .tm_isdst = -1};
        int64_t start = (int64_t)mktime(&day) * 1000;
        char name[16];
        ps_time_format_local_date(start, name, sizeof(name));
        if (i == days - 1)
            since = start;
        json_t *entry = json_pack(
            "{s:s,s:i,s:{s:i,s:i,s:i},s:{},s:n,s:{s:i,s:i,s:f},s:{}}", "day",
            name, "decisions", 0, "outcomes", "approve", 0, "decline", 0,
            "review", 0, "sources", "approval_rate", "ai", "calls", 0, "tokens",
            0, "cost_usd", 0.0, "agreement");
        json_array_append_new(list, entry);
        json_object_set(index, name, entry);
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, decisions_sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, since);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            json_t *entry =
                s_day(index, (const char *)sqlite3_column_text(stmt, 0));
            const char *outcome = (const char *)sqlite3_column_text(stmt, 1);
            const char *source = (const char *)sqlite3_column_text(stmt, 2);
            json_int_t count = sqlite3_column_int64(stmt, 3);
            if (!entry || !outcome || !source)
                continue;
            s_add_count(entry, "decisions", count);
            s_add_count(json_object_get(entry, "outcomes"), outcome, count);
            s_add_count(json_object_get(entry, "sources"), source, count);
        }
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (rc == SQLITE_DONE
        && (rc = sqlite3_prepare_v2(db, usage_sql, -1, &stmt, NULL))
               == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, since);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            json_t *entry =
                s_day(index, (const char *)sqlite3_column_text(stmt, 0));
            if (entry)
                json_object_set_new(
                    entry, "ai",
                    json_pack("{s:I,s:I,s:f}", "calls",
                              (json_int_t)sqlite3_column_int64(stmt, 1),
                              "tokens",
                              (json_int_t)sqlite3_column_int64(stmt, 2),
                              "cost_usd", sqlite3_column_double(stmt, 3)));
        }
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (rc == SQLITE_DONE
        && (rc = sqlite3_prepare_v2(db, s_agreement_sql, -1, &stmt, NULL))
               == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, since);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            json_t *entry =
                s_day(index, (const char *)sqlite3_column_text(stmt, 0));
            const char *source = (const char *)sqlite3_column_text(stmt, 1);
            json_int_t compared = sqlite3_column_int64(stmt, 2);
            json_int_t agreed = sqlite3_column_int64(stmt, 3);
            if (entry && source)
                json_object_set_new(
                    json_object_get(entry, "agreement"), source,
                    json_pack("{s:I,s:I,s:o}", "compared", compared, "agreed",
                              agreed, "rate",
                              compared
                                  ? json_real((double)agreed / (double)compared)
                                  : json_null()));
        }
    }
    sqlite3_finalize(stmt);
    json_decref(index);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return s_sql_error(req, db, "stats daily");
    }
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry)
    {
        json_t *outcomes = json_object_get(entry, "outcomes");
        json_int_t approved =
            json_integer_value(json_object_get(outcomes, "approve"));
        json_int_t declined =
            json_integer_value(json_object_get(outcomes, "decline"));
        if (approved + declined)
            json_object_set_new(
                entry, "approval_rate",
                json_real((double)approved / (double)(approved + declined)));
    }
    return gw_reply_json(
        req->conn, 200,
        json_pack("{s:I,s:o}", "days", (json_int_t)days, "daily", list));
}

/* ---- tokens and accounts ---------------------------------------------- */

static int
s_list(const gw_req_t *req, sqlite3 *db, const char *sql, const char *key)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_sql_error(req, db, key);
    json_t *rows = s_rows_json(stmt);
    sqlite3_finalize(stmt);
    if (!rows)
        return s_sql_error(req, db, key);
    return gw_reply_json(req->conn, 200, json_pack("{s:o}", key, rows));
}

/* Runs a one-parameter DELETE; returns the rows removed, or -1. */
static int
s_delete(sqlite3 *db, const char *sql, const char *text, int64_t number)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    if (text)
        sqlite3_bind_text(stmt, 1, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(stmt, 1, number);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

static int
s_token_delete(const gw_req_t *req, sqlite3 *db, int64_t id)
{
    int removed =
        s_delete(db, "DELETE FROM api_tokens WHERE id = ?1", NULL, id);
    if (removed < 0)
        return s_sql_error(req, db, "token delete");
    if (removed == 0)
        return gw_reply_error(req->conn, 404, "no API token with this id");
    ps_log_info("api token revoked id=%lld by=%s", (long long)id,
                req->who->name);
    return gw_reply_json(
        req->conn, 200,
        json_pack("{s:s,s:I}", "status", "revoked", "id", (json_int_t)id));
}

/* Usernames travel in URL paths (DELETE) and logs: plain characters
   only, and no "@", so a login is never an email address in the log. */
static bool
s_username_ok(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 63)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return false;
    return true;
}

static int
s_account_create(const gw_req_t *req)
{
    int status = 400;
    const char *why = NULL;
    json_t *body = gw_read_json_body(req->conn, &status, &why);
    if (!body)
        return gw_reply_error(req->conn, status, why);
    const char *username = ps_json_str(body, "username");
    const char *password = ps_json_str(body, "password");
    const char *role_word = ps_json_str(body, "role");
    gw_role_t role = GW_ROLE_NONE;
    const char *problem = NULL;
    if (!s_username_ok(username))
        problem = "body `username`: expected 1 to 63 letters, digits or . _ "
                  "-";
    else if (!password || strlen(password) < S_MIN_PASSWORD)
        problem = "body `password`: expected at least 12 characters";
    else if (gw_role_parse(role_word, &role) != 0)
        problem = "body `role`: expected viewer, staff or admin";
    int rc = -1;
    gw_store_t *store = gw_reply_store(req->shared);
    if (!problem)
        rc =
            gw_auth_add_user(store, username, password, role, ps_time_now_ms());
    json_t *answer = rc == 0 ? json_pack("{s:s,s:s}", "username", username,
                                         "role", gw_role_name(role))
                             : NULL;
    if (rc == 0)
        ps_log_info("staff account created user=%s role=%s by=%s", username,
                    gw_role_name(role), req->who->name);
    json_decref(body);
    if (problem)
        return gw_reply_error(req->conn, 400, problem);
    if (rc == 1)
        return gw_reply_error(req->conn, 409,
                              "body `username`: an account with this name "
                              "exists");
    if (rc != 0)
        return gw_reply_error(req->conn, 500, "cannot create the account");
    return gw_reply_json(req->conn, 201, answer);
}

static int
s_account_delete(const gw_req_t *req, sqlite3 *db, const char *username)
{
    /* One statement, so two admins removing each other at once cannot
       leave nobody able to manage access. Sessions go with the user
       (ON DELETE CASCADE). */
    static const char sql[] =
        "DELETE FROM users WHERE username = ?1 AND (role != 'admin'"
        " OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)";
    int removed = s_delete(db, sql, username, 0);
    if (removed < 0)
        return s_sql_error(req, db, "account delete");
    if (removed == 0) {
        int64_t id = 0;
        char role[16], hash[8];
        int found =
            gw_store_user_find(gw_reply_store(req->shared), username, &id, role,
                               sizeof(role), hash, sizeof(hash));
        return found == 1
                   ? gw_reply_error(req->conn, 409,
                                    "the last admin cannot be deleted: make "
                                    "another admin first")
                   : gw_reply_error(req->conn, 404, "no such account");
    }
    ps_log_info("staff account deleted user=%s by=%s", username,
                req->who->name);
    return gw_reply_json(
        req->conn, 200,
        json_pack("{s:s,s:s}", "status", "deleted", "username", username));
}

/* ---- the OpenAPI document --------------------------------------------- */

static int
s_openapi(const gw_req_t *req)
{
    char path[2048];
    int n =
        snprintf(path, sizeof(path), "%s/openapi.json", req->shared->web_root);
    struct stat info;
    if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &info) != 0
        || !S_ISREG(info.st_mode) || info.st_size > S_MAX_DOC)
        return gw_reply_error(req->conn, 404, "openapi.json not installed");
    FILE *file = fopen(path, "rb");
    char *data = file ? malloc((size_t)info.st_size + 1) : NULL;
    size_t len = data ? fread(data, 1, (size_t)info.st_size, file) : 0;
    if (file)
        fclose(file);
    int rc = data && len == (size_t)info.st_size
                 ? gw_reply(req->conn, 200, "application/json",
                            "Cache-Control: no-cache\r\n", data, len)
                 : gw_reply_error(req->conn, 500, "cannot read openapi.json");
    free(data);
    return rc;
}

/* ---- routing ---------------------------------------------------------- */

static int
s_only_get(const gw_req_t *req, const char *route)
{
    char message[128];
    snprintf(message, sizeof(message), "use GET %s", route);
    return gw_reply_error(req->conn, 405, message);
}

int
gw_api_route(const gw_req_t *req)
{
    static const char *const reads[] = {"/api/v1/decisions",
                                        "/api/v1/decisions.csv",
                                        "/api/v1/users",
                                        "/api/v1/rules",
                                        "/api/v1/stats/daily",
                                        "/api/v1/openapi.json",
                                        NULL};
    const char *uri = req->uri;
    bool read = s_word_in(uri, reads);
    bool tokens = strncmp(uri, "/api/v1/tokens/", 15) == 0;
    bool accounts = strcmp(uri, "/api/v1/accounts") == 0
                    || strncmp(uri, "/api/v1/accounts/", 17) == 0;
    bool token_list = strcmp(uri, "/api/v1/tokens") == 0 && req->get;
    if (!read && !tokens && !accounts && !token_list)
        return 0; /* POST /api/v1/tokens stays in gw_http.c */
    if (read && !req->get)
        return s_only_get(req, uri);
    if (strcmp(uri, "/api/v1/rules") == 0)
        return s_rules(req);
    if (strcmp(uri, "/api/v1/openapi.json") == 0)
        return s_openapi(req);
    gw_store_t *store = gw_reply_store(req->shared);
    if (!store)
        return gw_reply_error(req->conn, 503, "database unavailable");
    sqlite3 *db = gw_store_sqlite(store);
    if (strcmp(uri, "/api/v1/decisions") == 0)
        return s_decisions(req, db);
    if (strcmp(uri, "/api/v1/decisions.csv") == 0)
        return s_decisions_csv(req, db);
    if (strcmp(uri, "/api/v1/users") == 0)
        return s_users(req, db);
    if (strcmp(uri, "/api/v1/stats/daily") == 0)
        return s_stats_daily(req, db);
    if (token_list)
        return s_list(req, db,
                      "SELECT id, name, role, created_at, last_used_at"
                      " FROM api_tokens ORDER BY id",
                      "tokens");
    bool delete = strcmp(req->method, "DELETE") == 0;
    if (tokens) {
        int64_t id = 0;
        char rest[8];
        if (gw_path_id(uri, "/api/v1/tokens/", &id, rest, sizeof(rest)) != 0
            || *rest)
            return gw_reply_error(req->conn, 404,
                                  "no such route: /api/v1/tokens/{id}");
        return delete ? s_token_delete(req, db, id)
                      : gw_reply_error(req->conn, 405,
                                       "use DELETE /api/v1/tokens/{id}");
    }
    if (strcmp(uri, "/api/v1/accounts") == 0) {
        if (req->get)
            return s_list(req, db,
                          "SELECT id, username, role, created_at FROM users"
                          " ORDER BY username COLLATE NOCASE",
                          "accounts");
        return req->post ? s_account_create(req)
                         : gw_reply_error(req->conn, 405,
                                          "use GET or POST /api/v1/accounts");
    }
    const char *username = uri + 17;
    if (!s_username_ok(username))
        return gw_reply_error(req->conn, 404, "no such account");
    return delete ? s_account_delete(req, db, username)
                  : gw_reply_error(req->conn, 405,
                                   "use DELETE /api/v1/accounts/{username}");
}
