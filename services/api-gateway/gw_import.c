/*  gw_import - see gw_import.h.

    How prototype rows become ours (contracts/prototype.md):
    - every `decisions` row becomes one of our decisions rows (ruleset
      "prototype"): its word through ps_legacy, rule_matched
      "manual_staff" as source staff, an AI marker (empty, "openai",
      "ai_*", "gpt", "llm") as source ai, anything else as source rule
      with that rule; request_data becomes our inputs snapshot; the
      prototype's confidence is kept in ai_score and, for approve and
      decline, turned into our approval score;
    - every `pending_reviews` row sets its request's state: pending ->
      in_review (the review queue), approved / rejected -> applied by
      staff (the last manual_staff row is the final word), stale or
      anything else -> decided_elsewhere. A review without a decisions
      row gets one made from its own ai_* columns (counted as
      synthesized);
    - a request with decisions but no review is applied with its last
      manual_staff decision, else its last decision (a NEEDS_REVIEW one
      closes as decided_elsewhere: the prototype had no open review);
    - every imported decision is appended to `events`, so the learner's
      catch-up receives the prototype's staff decisions as feedback.
    A request that already has a row of ours keeps it (ours is newer);
    its prototype decisions still join its history.                     */
#include "gw_import.h"
#include "gw_store.h"
#include "ps_legacy.h"
#include "ps_log.h"
#include "ps_work.h"

#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define S_ACTOR "prototype" /* actor of imported staff decisions */

typedef struct {
    sqlite3 *from;                /* the prototype file, read only */
    sqlite3 *to;                  /* ours, inside one transaction */
    int64_t now;                  /* time of undated rows */
    int64_t before;               /* our highest decision id before */
    gw_import_summary_t *summary; /* counts */
    char *err;                    /* reason of a failure */
    size_t errlen;                /* its size */
} s_import_t;

/* One decisions row to write. */
typedef struct {
    int64_t request_id;      /* Overseerr request id */
    ps_outcome_t outcome;    /* mapped word */
    const char *source;      /* rule | ai | staff */
    const char *rule;        /* the prototype's rule_matched, rules only */
    const char *message_id;  /* staff_decision for staff */
    const char *explanation; /* the prototype's reason */
    bool has_confidence;     /* confidence known */
    double confidence;       /* the prototype's confidence */
    const char *matched;     /* JSON list, or NULL */
    const char *inputs;      /* JSON snapshot */
    const char *actor;       /* staff */
    const char *reason;      /* staff reason */
    int64_t decided_at;      /* ms epoch */
} s_row_t;

static int
s_fail(s_import_t *imp, sqlite3 *db, const char *what)
{
    snprintf(imp->err, imp->errlen, "importing %s: %s: %s", GW_IMPORT_ORIGINAL,
             what, sqlite3_errmsg(db));
    return -1;
}

static const char *
s_text(sqlite3_stmt *stmt, int column)
{
    return (const char *)sqlite3_column_text(stmt, column);
}

static void
s_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

/* ---- detection -------------------------------------------------------- */

static sqlite3 *
s_open_readonly(const char *path)
{
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode))
        return NULL;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL)
        != SQLITE_OK) {
        sqlite3_close_v2(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static bool
s_has_column(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *stmt = NULL;
    bool found =
        sqlite3_prepare_v2(
            db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
            &stmt, NULL)
            == SQLITE_OK
        && sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC) == SQLITE_OK
        && sqlite3_bind_text(stmt, 2, column, -1, SQLITE_STATIC) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
}

bool
gw_import_is_prototype(const char *path)
{
    sqlite3 *db = s_open_readonly(path);
    bool prototype = db && s_has_column(db, "decisions", "decision")
                     && s_has_column(db, "pending_reviews", "status");
    sqlite3_close_v2(db);
    return prototype;
}

/* ---- rows ------------------------------------------------------------- */

/* True when rule_matched names the prototype's LLM rather than a rule. */
static bool
s_is_ai(const char *rule)
{
    static const char *const markers[] = {"ai", "openai", "gpt", "llm",
                                          "chatgpt"};
    if (!rule || !*rule)
        return true;
    const char *p = rule;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *start = p;
        while (isalnum((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - start);
        for (size_t i = 0; len && i < sizeof(markers) / sizeof(markers[0]); i++)
            if (strlen(markers[i]) == len
                && strncasecmp(start, markers[i], len) == 0)
                return true;
    }
    return false;
}

/* Our inputs snapshot from request_data text and the row's own columns
   (which win: they are what the prototype showed). Caller frees. */
static char *
s_inputs(const char *request_data, int64_t request_id, const char *title,
         const char *username, const char *media_type)
{
    json_t *data = request_data ? json_loads(request_data, 0, NULL) : NULL;
    json_t *inputs = ps_legacy_inputs(data, request_id);
    json_decref(data);
    if (!inputs)
        return NULL;
    if (title && *title)
        json_object_set_new(inputs, "title", json_string(title));
    if (username && *username)
        json_object_set_new(inputs, "user_name", json_string(username));
    if (media_type && *media_type)
        json_object_set_new(inputs, "media_type", json_string(media_type));
    char *text = json_dumps(inputs, JSON_COMPACT);
    json_decref(inputs);
    return text;
}

static int64_t
s_time(s_import_t *imp, const char *text)
{
    int64_t ms = 0;
    if (ps_legacy_time(text, &ms) == 0)
        return ms;
    imp->summary->undated++;
    return imp->now;
}

static int
s_insert_decision(s_import_t *imp, const s_row_t *row, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO decisions (request_id, attempt, outcome, source, rule,"
        " message_id, explanation, score, ai_score, matched, ruleset, inputs,"
        " actor, reason, decided_at) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8, ?9, 'prototype', ?10, ?11, ?12, ?13)";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(imp->to, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail(imp, imp->to, "prepare decision");
    sqlite3_bind_int64(stmt, 1, row->request_id);
    s_bind_text(stmt, 2, ps_outcome_name(row->outcome));
    s_bind_text(stmt, 3, row->source);
    s_bind_text(stmt, 4, row->rule);
    s_bind_text(stmt, 5, row->message_id);
    s_bind_text(stmt, 6, row->explanation);
    if (row->has_confidence && row->outcome == PS_OUTCOME_APPROVE)
        sqlite3_bind_double(stmt, 7, row->confidence);
    else if (row->has_confidence && row->outcome == PS_OUTCOME_DECLINE)
        sqlite3_bind_double(stmt, 7, 1.0 - row->confidence);
    if (row->has_confidence)
        sqlite3_bind_double(stmt, 8, row->confidence);
    s_bind_text(stmt, 9, row->matched);
    s_bind_text(stmt, 10, row->inputs);
    s_bind_text(stmt, 11, row->actor);
    s_bind_text(stmt, 12, row->reason);
    sqlite3_bind_int64(stmt, 13, row->decided_at);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return s_fail(imp, imp->to, "insert decision");
    *id = sqlite3_last_insert_rowid(imp->to);
    return 0;
}

/* Every prototype decisions row, oldest first. */
/* Prepares SELECT of `columns` from `table` in row order. A column the
   file lacks (an older prototype) reads as NULL rather than failing the
   import. Returns the statement, or NULL with imp->err set. */
static sqlite3_stmt *
s_select(s_import_t *imp, const char *table, const char *const *columns,
         size_t count)
{
    char sql[512] = "SELECT ";
    size_t used = strlen(sql);
    for (size_t i = 0; i < count; i++) {
        const char *name =
            s_has_column(imp->from, table, columns[i]) ? columns[i] : "NULL";
        int n = snprintf(sql + used, sizeof(sql) - used, "%s%s", i ? ", " : "",
                         name);
        if (n < 0 || (size_t)n >= sizeof(sql) - used) {
            snprintf(imp->err, imp->errlen, "reading %s: query too long",
                     table);
            return NULL;
        }
        used += (size_t)n;
    }
    int n = snprintf(sql + used, sizeof(sql) - used, " FROM %s ORDER BY rowid",
                     table);
    sqlite3_stmt *stmt = NULL;
    if (n < 0 || (size_t)n >= sizeof(sql) - used
        || sqlite3_prepare_v2(imp->from, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_fail(imp, imp->from, table);
        sqlite3_finalize(stmt);
        return NULL;
    }
    return stmt;
}

static int
s_import_decisions(s_import_t *imp)
{
    static const char *const columns[] = {
        "request_id",   "title",    "username",   "media_type",
        "decision",     "reason",   "confidence", "rule_matched",
        "request_data", "timestamp"};
    sqlite3_stmt *stmt = s_select(imp, "decisions", columns,
                                  sizeof(columns) / sizeof(columns[0]));
    if (!stmt)
        return -1;
    int rc;
    int result = 0;
    while (result == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t request_id = sqlite3_column_int64(stmt, 0);
        const char *word = s_text(stmt, 4);
        const char *reason = s_text(stmt, 5);
        const char *rule = s_text(stmt, 7);
        s_row_t row = {.request_id = request_id,
                       .explanation = reason,
                       .decided_at = s_time(imp, s_text(stmt, 9))};
        if (ps_legacy_outcome(word, &row.outcome) != 0) {
            row.outcome = PS_OUTCOME_REVIEW;
            imp->summary->unknown_words++;
        }
        row.has_confidence = sqlite3_column_type(stmt, 6) != SQLITE_NULL;
        row.confidence = sqlite3_column_double(stmt, 6);
        bool staff = rule && strcmp(rule, "manual_staff") == 0;
        if (staff) {
            row.source = "staff";
            row.message_id = "staff_decision";
            row.actor = S_ACTOR;
            row.reason = reason;
            imp->summary->staff++;
        } else if (s_is_ai(rule))
            row.source = "ai";
        else {
            row.source = "rule";
            row.rule = rule;
        }
        json_t *matched = rule && *rule ? json_pack("[s]", rule) : NULL;
        char *matched_text = matched ? json_dumps(matched, JSON_COMPACT) : NULL;
        json_decref(matched);
        char *inputs = s_inputs(s_text(stmt, 8), request_id, s_text(stmt, 1),
                                s_text(stmt, 2), s_text(stmt, 3));
        row.matched = matched_text;
        row.inputs = inputs;
        int64_t id = 0;
        if (!inputs) {
            snprintf(imp->err, imp->errlen, "out of memory");
            result = -1;
        } else
            result = s_insert_decision(imp, &row, &id);
        free(matched_text);
        free(inputs);
        if (result == 0)
            imp->summary->decisions++;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = s_fail(imp, imp->from, "read decisions");
    sqlite3_finalize(stmt);
    return result;
}

/* The latest imported decision of a request: of staff, not of staff, or
   any. Returns 1 with *id, 0 when none, -1 on error. */
static int
s_latest(s_import_t *imp, int64_t request_id, const char *which, int64_t *id)
{
    static const char sql[] =
        "SELECT id FROM decisions WHERE id > ?1 AND request_id = ?2"
        " AND (?3 = 'any' OR (?3 = 'staff') = (source = 'staff'))"
        " ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(imp->to, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail(imp, imp->to, "prepare latest");
    sqlite3_bind_int64(stmt, 1, imp->before);
    sqlite3_bind_int64(stmt, 2, request_id);
    sqlite3_bind_text(stmt, 3, which, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail(imp, imp->to, "latest decision");
    return rc == SQLITE_ROW ? 1 : 0;
}

/* The request row of one review. The deciding decision is found, or made
   from the review's own columns when the prototype wrote none. */
static int
s_import_review(s_import_t *imp, sqlite3_stmt *review)
{
    static const char insert_sql[] =
        "INSERT OR IGNORE INTO requests (request_id, state, attempt, outcome,"
        " decision_id, title, media_type, user_name, user_id, last_error,"
        " created_at, updated_at) SELECT ?1, ?2, 1,"
        " CASE WHEN ?2 = 'in_review' THEN 'review' ELSE d.outcome END, d.id,"
        " COALESCE(?4, json_extract(d.inputs, '$.title')),"
        " COALESCE(?5, json_extract(d.inputs, '$.media_type')),"
        " COALESCE(?6, json_extract(d.inputs, '$.user_name')),"
        " json_extract(d.inputs, '$.user_id'), ?7,"
        " min(?8, (SELECT COALESCE(MIN(decided_at), ?8) FROM decisions"
        "  WHERE id > ?9 AND request_id = ?1)),"
        " max(?8, (SELECT COALESCE(MAX(decided_at), ?8) FROM decisions"
        "  WHERE id > ?9 AND request_id = ?1))"
        " FROM decisions d WHERE d.id = ?3";
    int64_t request_id = sqlite3_column_int64(review, 0);
    const char *title = s_text(review, 1);
    const char *username = s_text(review, 2);
    const char *media_type = s_text(review, 3);
    const char *status = s_text(review, 8);
    int64_t created_at = s_time(imp, s_text(review, 9));
    ps_outcome_t staff_outcome = PS_OUTCOME_NONE;
    const char *state = "decided_elsewhere";
    const char *which = "any";
    char last_error[160] = "";
    if (status && strcasecmp(status, "pending") == 0) {
        state = "in_review";
        which = "pipeline";
    } else if (ps_legacy_outcome(status, &staff_outcome) == 0
               && staff_outcome != PS_OUTCOME_REVIEW) {
        state = "applied";
        which = "staff";
    } else
        snprintf(last_error, sizeof(last_error),
                 "imported: review %.64s in the prototype",
                 status ? status : "without a status");

    int64_t decision_id = 0;
    int found = s_latest(imp, request_id, which, &decision_id);
    if (found < 0)
        return -1;
    if (found == 0) {
        /* The prototype opened or closed this review without writing a
           decision: make the one its columns describe. */
        char *inputs = s_inputs(s_text(review, 4), request_id, title, username,
                                media_type);
        if (!inputs) {
            snprintf(imp->err, imp->errlen, "out of memory");
            return -1;
        }
        s_row_t row = {.request_id = request_id,
                       .decided_at = created_at,
                       .inputs = inputs};
        if (strcmp(which, "staff") == 0) {
            row.outcome = staff_outcome;
            row.source = "staff";
            row.message_id = "staff_decision";
            row.actor = S_ACTOR;
            row.explanation = staff_outcome == PS_OUTCOME_APPROVE
                                  ? "Approved in the prototype's review queue"
                                  : "Rejected in the prototype's review queue";
        } else {
            if (ps_legacy_outcome(s_text(review, 5), &row.outcome) != 0)
                row.outcome = PS_OUTCOME_REVIEW;
            row.source = "ai";
            row.explanation = s_text(review, 6);
            row.has_confidence = sqlite3_column_type(review, 7) != SQLITE_NULL;
            row.confidence = sqlite3_column_double(review, 7);
        }
        int rc = s_insert_decision(imp, &row, &decision_id);
        free(inputs);
        if (rc != 0)
            return -1;
        imp->summary->synthesized++;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(imp->to, insert_sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail(imp, imp->to, "prepare review");
    sqlite3_bind_int64(stmt, 1, request_id);
    s_bind_text(stmt, 2, state);
    sqlite3_bind_int64(stmt, 3, decision_id);
    s_bind_text(stmt, 4, title && *title ? title : NULL);
    s_bind_text(stmt, 5, media_type && *media_type ? media_type : NULL);
    s_bind_text(stmt, 6, username && *username ? username : NULL);
    s_bind_text(stmt, 7, *last_error ? last_error : NULL);
    sqlite3_bind_int64(stmt, 8, created_at);
    sqlite3_bind_int64(stmt, 9, imp->before);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return s_fail(imp, imp->to, "insert review");
    imp->summary->reviews++;
    if (sqlite3_changes(imp->to) == 1) {
        imp->summary->requests++;
        if (strcmp(state, "in_review") == 0)
            imp->summary->pending++;
    }
    return 0;
}

static int
s_import_reviews(s_import_t *imp)
{
    static const char *const columns[] = {
        "request_id",   "title",       "username",  "media_type",
        "request_data", "ai_decision", "ai_reason", "ai_confidence",
        "status",       "created_at"};
    sqlite3_stmt *stmt = s_select(imp, "pending_reviews", columns,
                                  sizeof(columns) / sizeof(columns[0]));
    if (!stmt)
        return -1;
    int rc;
    int result = 0;
    while (result == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        result = s_import_review(imp, stmt);
    if (result == 0 && rc != SQLITE_DONE)
        result = s_fail(imp, imp->from, "read pending_reviews");
    sqlite3_finalize(stmt);
    return result;
}

/* Runs one statement bound to imp->before; *changes gets its row count. */
static int
s_exec_before(s_import_t *imp, const char *sql, const char *what,
              int64_t *changes)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(imp->to, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail(imp, imp->to, what);
    sqlite3_bind_int64(stmt, 1, imp->before);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return s_fail(imp, imp->to, what);
    if (changes)
        *changes = sqlite3_changes(imp->to);
    return 0;
}

static int64_t
s_count(s_import_t *imp, sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int64_t count = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_bind_parameter_count(stmt) > 0)
            sqlite3_bind_int64(stmt, 1, imp->before);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            count = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if (count < 0)
        s_fail(imp, db, sql);
    return count;
}

/* The requests that only have decisions, the events, the record and the
   final count check. */
static int
s_import_rest(s_import_t *imp)
{
    static const char requests_sql[] =
        "INSERT OR IGNORE INTO requests (request_id, state, attempt, outcome,"
        " decision_id, title, media_type, user_name, user_id, last_error,"
        " created_at, updated_at)"
        " SELECT g.request_id, CASE WHEN d.outcome = 'review'"
        " THEN 'decided_elsewhere' ELSE 'applied' END, 1, d.outcome, d.id,"
        " (SELECT json_extract(x.inputs, '$.title') FROM decisions x"
        "  WHERE x.id > ?1 AND x.request_id = g.request_id AND"
        "  json_extract(x.inputs, '$.title') IS NOT NULL"
        "  ORDER BY x.id DESC LIMIT 1),"
        " (SELECT json_extract(x.inputs, '$.media_type') FROM decisions x"
        "  WHERE x.id > ?1 AND x.request_id = g.request_id AND"
        "  json_extract(x.inputs, '$.media_type') IS NOT NULL"
        "  ORDER BY x.id DESC LIMIT 1),"
        " (SELECT json_extract(x.inputs, '$.user_name') FROM decisions x"
        "  WHERE x.id > ?1 AND x.request_id = g.request_id AND"
        "  json_extract(x.inputs, '$.user_name') IS NOT NULL"
        "  ORDER BY x.id DESC LIMIT 1),"
        " (SELECT json_extract(x.inputs, '$.user_id') FROM decisions x"
        "  WHERE x.id > ?1 AND x.request_id = g.request_id AND"
        "  json_extract(x.inputs, '$.user_id') IS NOT NULL"
        "  ORDER BY x.id DESC LIMIT 1),"
        " CASE WHEN d.outcome = 'review' THEN 'imported: no open review in"
        " the prototype' END, g.first_at, g.last_at"
        " FROM (SELECT request_id, MIN(decided_at) AS first_at,"
        "  MAX(decided_at) AS last_at, COALESCE(MAX(CASE WHEN"
        "  source = 'staff' THEN id END), MAX(id)) AS deciding"
        "  FROM decisions WHERE id > ?1 GROUP BY request_id) g"
        " JOIN decisions d ON d.id = g.deciding ORDER BY g.request_id";
    static const char events_sql[] =
        "INSERT INTO events (kind, request_id, at, outcome, source, actor,"
        " title, media_type, user_name, rule, explanation, score, inputs,"
        " reason) SELECT CASE d.source WHEN 'staff' THEN 'staff'"
        " ELSE 'decision' END, d.request_id, d.decided_at, d.outcome,"
        " d.source, d.actor, r.title, r.media_type, r.user_name, d.rule,"
        " d.explanation, d.score, d.inputs, d.reason FROM decisions d"
        " JOIN requests r ON r.request_id = d.request_id WHERE d.id > ?1"
        " ORDER BY d.decided_at, d.id";
    int64_t created = 0;
    if (s_exec_before(imp, requests_sql, "insert requests", &created) != 0)
        return -1;
    imp->summary->requests += created;
    int64_t distinct = s_count(imp, imp->to,
                               "SELECT COUNT(DISTINCT request_id) FROM"
                               " decisions WHERE id > ?1");
    if (distinct < 0)
        return -1;
    imp->summary->kept = distinct - imp->summary->requests;
    if (s_exec_before(imp, events_sql, "insert events", NULL) != 0)
        return -1;

    /* Count in = count out, or nothing is kept. */
    int64_t decisions_in =
        s_count(imp, imp->from, "SELECT COUNT(*) FROM decisions");
    int64_t reviews_in =
        s_count(imp, imp->from, "SELECT COUNT(*) FROM pending_reviews");
    int64_t decisions_out = s_count(imp, imp->to,
                                    "SELECT COUNT(*) FROM decisions"
                                    " WHERE id > ?1");
    if (decisions_in < 0 || reviews_in < 0 || decisions_out < 0)
        return -1;
    if (decisions_in != imp->summary->decisions
        || decisions_out != decisions_in + imp->summary->synthesized
        || reviews_in != imp->summary->reviews) {
        snprintf(imp->err, imp->errlen,
                 "importing %s: counts differ (decisions %lld in, %lld out; "
                 "reviews %lld in, %lld out): nothing imported",
                 GW_IMPORT_ORIGINAL, (long long)decisions_in,
                 (long long)(decisions_out - imp->summary->synthesized),
                 (long long)reviews_in, (long long)imp->summary->reviews);
        return -1;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(imp->to,
                           "INSERT INTO imports (source, at, decisions,"
                           " reviews, requests) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &stmt, NULL)
        != SQLITE_OK)
        return s_fail(imp, imp->to, "prepare record");
    sqlite3_bind_text(stmt, 1, GW_IMPORT_ORIGINAL, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, imp->now);
    sqlite3_bind_int64(stmt, 3, imp->summary->decisions);
    sqlite3_bind_int64(stmt, 4, imp->summary->reviews);
    sqlite3_bind_int64(stmt, 5, imp->summary->requests);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? 0 : s_fail(imp, imp->to, "record the import");
}

/* ---- the whole import ------------------------------------------------- */

/* Moves `from` and its SQLite side files to `to`. */
static int
s_move_aside(const char *from, const char *to, char *err, size_t errlen)
{
    static const char *const sides[] = {"-journal", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        char a[1100], b[1100];
        snprintf(a, sizeof(a), "%s%s", from, sides[i]);
        snprintf(b, sizeof(b), "%s%s", to, sides[i]);
        struct stat info;
        if (stat(a, &info) == 0 && rename(a, b) != 0) {
            snprintf(err, errlen, "cannot rename %s to %s", a, b);
            return -1;
        }
    }
    if (rename(from, to) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s", from, to);
        return -1;
    }
    return 0;
}

/* 1 when our database records importing the original, 0 when not. */
static int
s_already_imported(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM imports WHERE source = ?1",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, GW_IMPORT_ORIGINAL, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    snprintf(err, errlen, "cannot read the import record: %s",
             sqlite3_errmsg(db));
    return -1;
}

static int
s_run(sqlite3 *from, sqlite3 *to, int64_t now, gw_import_summary_t *summary,
      char *err, size_t errlen)
{
    s_import_t imp = {.from = from,
                      .to = to,
                      .now = now,
                      .summary = summary,
                      .err = err,
                      .errlen = errlen};
    if (sqlite3_exec(to, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return s_fail(&imp, to, "begin");
    imp.before =
        s_count(&imp, to, "SELECT COALESCE(MAX(id), 0) FROM decisions");
    int rc = imp.before < 0 || s_import_decisions(&imp) != 0
                     || s_import_reviews(&imp) != 0 || s_import_rest(&imp) != 0
                 ? -1
                 : 0;
    if (rc == 0 && sqlite3_exec(to, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = s_fail(&imp, to, "commit");
    if (rc != 0)
        sqlite3_exec(to, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int
gw_import_prototype(const char *data_dir, int64_t now,
                    gw_import_summary_t *summary, char *err, size_t errlen)
{
    memset(summary, 0, sizeof(*summary));
    char ours[1024], original[1024];
    int a = snprintf(ours, sizeof(ours), "%s/moderation.db", data_dir);
    int b = snprintf(original, sizeof(original), "%s/" GW_IMPORT_ORIGINAL,
                     data_dir);
    if (a < 0 || (size_t)a >= sizeof(ours) || b < 0
        || (size_t)b >= sizeof(original)) {
        snprintf(err, errlen, "data_dir is too long");
        return -1;
    }
    struct stat info;
    if (gw_import_is_prototype(ours)) {
        if (stat(original, &info) == 0) {
            snprintf(err, errlen,
                     "%s is the prototype's and %s exists too: move one of "
                     "them out of the data directory",
                     ours, original);
            return -1;
        }
        if (s_move_aside(ours, original, err, errlen) != 0)
            return -1;
        ps_log_info("prototype moderation.db found: kept unchanged as %s",
                    original);
    }
    if (stat(original, &info) != 0)
        return 0;
    if (!gw_import_is_prototype(original)) {
        ps_log_warn("%s is not a prototype moderation.db: not imported",
                    original);
        return 0;
    }
    gw_store_t *store = gw_store_open(ours, err, errlen);
    if (!store)
        return -1;
    int rc = s_already_imported(gw_store_sqlite(store), err, errlen);
    if (rc == 0) {
        sqlite3 *from = s_open_readonly(original);
        if (!from) {
            snprintf(err, errlen, "cannot open %s read-only", original);
            rc = -1;
        } else
            rc = s_run(from, gw_store_sqlite(store), now, summary, err, errlen);
        sqlite3_close_v2(from);
        summary->ran = rc == 0;
    }
    gw_store_destroy(&store);
    if (rc < 0)
        return -1;
    if (summary->ran)
        ps_log_info(
            "imported the prototype's moderation.db decisions=%lld "
            "staff=%lld reviews=%lld open_reviews=%lld requests=%lld "
            "kept=%lld synthesized=%lld unknown_words=%lld undated=%lld",
            (long long)summary->decisions, (long long)summary->staff,
            (long long)summary->reviews, (long long)summary->pending,
            (long long)summary->requests, (long long)summary->kept,
            (long long)summary->synthesized, (long long)summary->unknown_words,
            (long long)summary->undated);
    return 0;
}
