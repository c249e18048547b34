/*  gw_store - see gw_store.h.

    Statements are prepared once per connection and kept in a small cache
    keyed by the SQL text's address (every SQL string here is a literal),
    so the hot paths (claim, record, events) cost one bind and one step.
    Writes that change state run in BEGIN IMMEDIATE so two threads never
    interleave a read-check-write on the same row.                         */
#include "gw_store.h"
#include "ps_db.h"
#include "ps_work_json.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_STORE_STMTS 48

static const char *const s_migrations[] = {
    "CREATE TABLE requests ("
    "  request_id INTEGER PRIMARY KEY,"
    "  state TEXT NOT NULL,"
    "  attempt INTEGER NOT NULL DEFAULT 1,"
    "  lease_until INTEGER NOT NULL DEFAULT 0,"
    "  owner TEXT,"
    "  outcome TEXT,"
    "  decision_id INTEGER,"
    "  title TEXT, media_type TEXT, user_name TEXT, tmdb_id INTEGER,"
    "  poster_path TEXT,"
    "  apply_attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_apply_at INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX requests_state ON requests(state, next_apply_at);"
    "CREATE TABLE decisions ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  request_id INTEGER NOT NULL,"
    "  attempt INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  rule TEXT, message_id TEXT, params TEXT, explanation TEXT,"
    "  score REAL, ai_score REAL, model TEXT, matched TEXT, ruleset TEXT,"
    "  inputs TEXT, actor TEXT, reason TEXT,"
    "  decided_at INTEGER NOT NULL);"
    "CREATE INDEX decisions_request ON decisions(request_id);"
    "CREATE INDEX decisions_outcome ON decisions(outcome, id);"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL, request_id INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  outcome TEXT, source TEXT, actor TEXT, title TEXT, media_type TEXT,"
    "  user_name TEXT, rule TEXT, explanation TEXT, score REAL, inputs TEXT,"
    "  reason TEXT);"
    "CREATE TABLE usage ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  request_id INTEGER NOT NULL, model TEXT,"
    "  prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,"
    "  cached_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,"
    "  latency_ms INTEGER, http_status INTEGER, ok INTEGER NOT NULL,"
    "  at INTEGER NOT NULL, instance TEXT);"
    "CREATE INDEX usage_at ON usage(at);"
    "CREATE TABLE probe (id INTEGER PRIMARY KEY, at INTEGER);",
    /* 2: who asked, for quotas and trust levels (ps_control history). */
    "ALTER TABLE requests ADD COLUMN user_id INTEGER;"
    "CREATE INDEX requests_user ON requests(user_id, created_at);",
    /* 3: logins, sessions and API tokens (gw_auth). Secrets are stored
       as keyed hashes only. */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  role TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL);"
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  last_used_at INTEGER);",
    /* 4: the dashboard's "last 24 hours" and the costs page filter on
       time (bench/ANALYSIS.md: a full scan per stats call). */
    "CREATE INDEX decisions_time ON decisions(decided_at);",
    /* 5: imports of the prototype's moderation.db (gw_import): one row
       per imported file, so an import never runs twice. */
    "CREATE TABLE imports ("
    "  source TEXT PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  decisions INTEGER NOT NULL,"
    "  reviews INTEGER NOT NULL,"
    "  requests INTEGER NOT NULL);",
    /* 6: the decisions API (gw_api.c) pages newest first by decision
       time under any filter, and each row carries its request's AI cost:
       outcome and source filters walk their own (word, time) index in
       order, a requester's name finds their requests without a scan, and
       the cost sums read only that request's calls. The (outcome, id)
       index ordered the old id-based page, which nothing uses now. */
    "CREATE INDEX decisions_outcome_time ON decisions(outcome, decided_at);"
    "CREATE INDEX decisions_source_time ON decisions(source, decided_at);"
    "CREATE INDEX requests_user_name ON requests(user_name COLLATE NOCASE);"
    "CREATE INDEX usage_request ON usage(request_id);"
    "DROP INDEX decisions_outcome;",
};

struct gw_store {
    sqlite3 *db;                         /* this thread's connection */
    const char *sql[GW_STORE_STMTS];     /* cache keys (literals) */
    sqlite3_stmt *stmts[GW_STORE_STMTS]; /* prepared statements */
    char error[512];                     /* last error */
};

gw_store_t *
gw_store_open(const char *path, char *err, size_t errlen)
{
    gw_store_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->db =
        ps_db_open(path, (const char *const *)s_migrations,
                   sizeof(s_migrations) / sizeof(s_migrations[0]), err, errlen);
    if (!self->db)
        gw_store_destroy(&self);
    return self;
}

void
gw_store_destroy(gw_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_store_t *self = *self_p;
    for (size_t i = 0; i < GW_STORE_STMTS; i++)
        sqlite3_finalize(self->stmts[i]);
    sqlite3_close_v2(self->db);
    free(self);
    *self_p = NULL;
}

sqlite3 *
gw_store_sqlite(gw_store_t *self)
{
    return self->db;
}

const char *
gw_store_error(const gw_store_t *self)
{
    return self->error;
}

static int
s_fail(gw_store_t *self, const char *what)
{
    snprintf(self->error, sizeof(self->error), "%s: %s", what,
             sqlite3_errmsg(self->db));
    return -1;
}

/* Returns the cached, reset statement for sql (a string literal). */
static sqlite3_stmt *
s_stmt(gw_store_t *self, const char *sql)
{
    size_t i = 0;
    for (; i < GW_STORE_STMTS && self->sql[i]; i++) {
        if (self->sql[i] == sql) {
            sqlite3_reset(self->stmts[i]);
            sqlite3_clear_bindings(self->stmts[i]);
            return self->stmts[i];
        }
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_fail(self, "prepare");
        return NULL;
    }
    if (i == GW_STORE_STMTS) {
        /* Cache full: a programming error, but stay correct by leaking no
           statement: callers finalize nothing, so refuse loudly. */
        sqlite3_finalize(stmt);
        snprintf(self->error, sizeof(self->error), "statement cache full");
        return NULL;
    }
    self->sql[i] = sql;
    self->stmts[i] = stmt;
    return stmt;
}

static int
s_exec(gw_store_t *self, const char *sql)
{
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : s_fail(self, sql);
}

/* Resets every cached statement. A SELECT left on a row keeps a read
   transaction (a WAL snapshot) open after COMMIT, and the next BEGIN
   IMMEDIATE on this connection then fails at once with "database is
   locked" once another connection has written: the busy handler is not
   used for a stale snapshot. */
static void
s_reset_all(gw_store_t *self)
{
    for (size_t i = 0; i < GW_STORE_STMTS && self->stmts[i]; i++)
        sqlite3_reset(self->stmts[i]);
}

static int
s_begin(gw_store_t *self)
{
    s_reset_all(self);
    return s_exec(self, "BEGIN IMMEDIATE");
}

static int
s_commit(gw_store_t *self)
{
    s_reset_all(self);
    return s_exec(self, "COMMIT");
}

static void
s_rollback(gw_store_t *self)
{
    s_reset_all(self);
    if (!sqlite3_get_autocommit(self->db))
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
s_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

static const char *
s_column_text(sqlite3_stmt *stmt, int column)
{
    return (const char *)sqlite3_column_text(stmt, column);
}

/* ---- events ----------------------------------------------------------- */

typedef struct {
    const char *kind;        /* event kind */
    int64_t request_id;      /* request */
    const char *outcome;     /* approve | decline | review | NULL */
    const char *source;      /* who decided */
    const char *actor;       /* staff user */
    const char *explanation; /* text */
    const char *rule;        /* deciding rule */
    bool has_score;          /* score valid */
    double score;            /* approval score */
    const char *inputs;      /* JSON snapshot */
    const char *reason;      /* staff reason or failure */
} s_event_t;

/* Appends an event, copying title/media/user from the request row. */
static int
s_event_add(gw_store_t *self, const s_event_t *e, int64_t now)
{
    static const char sql[] =
        "INSERT INTO events (kind, request_id, at, outcome, source, actor,"
        " title, media_type, user_name, rule, explanation, score, inputs,"
        " reason) SELECT ?1, ?2, ?3, ?4, ?5, ?6, r.title, r.media_type,"
        " r.user_name, ?7, ?8, ?9, ?10, ?11 FROM requests r"
        " WHERE r.request_id = ?2";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, e->kind);
    sqlite3_bind_int64(stmt, 2, e->request_id);
    sqlite3_bind_int64(stmt, 3, now);
    s_bind_text(stmt, 4, e->outcome);
    s_bind_text(stmt, 5, e->source);
    s_bind_text(stmt, 6, e->actor);
    s_bind_text(stmt, 7, e->rule);
    s_bind_text(stmt, 8, e->explanation);
    if (e->has_score)
        sqlite3_bind_double(stmt, 9, e->score);
    s_bind_text(stmt, 10, e->inputs);
    s_bind_text(stmt, 11, e->reason);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0 : s_fail(self, "event");
}

/* ---- claims ----------------------------------------------------------- */

int
gw_store_claim(gw_store_t *self, const int64_t *ids, size_t count, int64_t now,
               int64_t lease_ms, const char *owner, int64_t *granted,
               size_t *granted_count)
{
    static const char select_sql[] =
        "SELECT state, lease_until FROM requests WHERE request_id = ?1";
    static const char insert_sql[] =
        "INSERT INTO requests (request_id, state, attempt, lease_until, owner,"
        " created_at, updated_at) VALUES (?1, 'in_flight', 1, ?2, ?3, ?4, ?4)";
    static const char regrant_sql[] =
        "UPDATE requests SET state = 'in_flight', attempt = attempt + 1,"
        " lease_until = ?2, owner = ?3, updated_at = ?4"
        " WHERE request_id = ?1";
    *granted_count = 0;
    if (s_begin(self) != 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        sqlite3_stmt *stmt = s_stmt(self, select_sql);
        if (!stmt)
            goto fail;
        sqlite3_bind_int64(stmt, 1, ids[i]);
        int rc = sqlite3_step(stmt);
        const char *write_sql = NULL;
        if (rc == SQLITE_DONE)
            write_sql = insert_sql;
        else if (rc == SQLITE_ROW) {
            const char *state = s_column_text(stmt, 0);
            int64_t lease_until = sqlite3_column_int64(stmt, 1);
            if (strcmp(state, "released") == 0
                || (strcmp(state, "in_flight") == 0 && lease_until < now))
                write_sql = regrant_sql;
        } else {
            s_fail(self, "claim select");
            goto fail;
        }
        if (!write_sql)
            continue;
        stmt = s_stmt(self, write_sql);
        if (!stmt)
            goto fail;
        sqlite3_bind_int64(stmt, 1, ids[i]);
        sqlite3_bind_int64(stmt, 2, now + lease_ms);
        s_bind_text(stmt, 3, owner);
        sqlite3_bind_int64(stmt, 4, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            s_fail(self, "claim write");
            goto fail;
        }
        granted[(*granted_count)++] = ids[i];
    }
    if (s_commit(self) == 0)
        return 0;
fail:
    s_rollback(self);
    *granted_count = 0;
    return -1;
}

/* ---- decisions -------------------------------------------------------- */

static char *
s_strings_json(char *const *items, size_t count, bool as_pairs)
{
    json_t *value = as_pairs ? json_object() : json_array();
    for (size_t i = 0; value && i < count; i += as_pairs ? 2 : 1) {
        if (as_pairs)
            json_object_set_new(value, items[i], json_string(items[i + 1]));
        else
            json_array_append_new(value, json_string(items[i]));
    }
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    return text;
}

char *
gw_inputs_json(const ps_work_t *w)
{
    json_t *inputs = ps_work_to_json(w);
    char *text = inputs ? json_dumps(inputs, JSON_COMPACT) : NULL;
    json_decref(inputs);
    return text;
}

gw_record_rc_t
gw_store_record_decision(gw_store_t *self, const ps_work_t *w, int64_t now)
{
    static const char select_sql[] =
        "SELECT state, attempt FROM requests WHERE request_id = ?1";
    static const char insert_sql[] =
        "INSERT INTO decisions (request_id, attempt, outcome, source, rule,"
        " message_id, params, explanation, score, ai_score, model, matched,"
        " ruleset, inputs, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
    static const char update_sql[] =
        "UPDATE requests SET state = ?2, outcome = ?3, decision_id = ?4,"
        " title = ?5, media_type = ?6, user_name = ?7, tmdb_id = ?8,"
        " poster_path = ?9, apply_attempts = 0, next_apply_at = ?10,"
        " last_error = NULL, updated_at = ?10,"
        " user_id = COALESCE(?11, user_id) WHERE request_id = ?1";
    gw_record_rc_t result = GW_RECORD_ERROR;
    char *params = NULL;
    char *matched = NULL;
    char *inputs = gw_inputs_json(w);
    if (w->params)
        params = s_strings_json(w->params, w->param_count, true);
    if (w->matched)
        matched = s_strings_json(w->matched, w->matched_count, false);
    if (s_begin(self) != 0)
        goto out;
    sqlite3_stmt *stmt = s_stmt(self, select_sql);
    if (!stmt)
        goto fail;
    sqlite3_bind_int64(stmt, 1, w->request_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        result = GW_RECORD_UNKNOWN;
        goto fail;
    }
    if (rc != SQLITE_ROW) {
        s_fail(self, "record select");
        goto fail;
    }
    if (strcmp(s_column_text(stmt, 0), "in_flight") != 0) {
        result = GW_RECORD_DUPLICATE;
        goto fail;
    }
    int64_t attempt = sqlite3_column_int64(stmt, 1);

    stmt = s_stmt(self, insert_sql);
    if (!stmt)
        goto fail;
    sqlite3_bind_int64(stmt, 1, w->request_id);
    sqlite3_bind_int64(stmt, 2, attempt);
    s_bind_text(stmt, 3, ps_outcome_name(w->outcome));
    s_bind_text(stmt, 4, w->source);
    s_bind_text(stmt, 5, w->rule);
    s_bind_text(stmt, 6, w->message_id);
    s_bind_text(stmt, 7, params);
    s_bind_text(stmt, 8, w->explanation);
    if (w->has_score)
        sqlite3_bind_double(stmt, 9, w->score);
    if (w->has_ai_score)
        sqlite3_bind_double(stmt, 10, w->ai_score);
    s_bind_text(stmt, 11, w->model);
    s_bind_text(stmt, 12, matched);
    s_bind_text(stmt, 13, w->ruleset);
    s_bind_text(stmt, 14, inputs);
    sqlite3_bind_int64(stmt, 15, now);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        s_fail(self, "record insert");
        goto fail;
    }
    int64_t decision_id = sqlite3_last_insert_rowid(self->db);

    stmt = s_stmt(self, update_sql);
    if (!stmt)
        goto fail;
    sqlite3_bind_int64(stmt, 1, w->request_id);
    s_bind_text(stmt, 2,
                w->outcome == PS_OUTCOME_REVIEW ? "in_review" : "decided");
    s_bind_text(stmt, 3, ps_outcome_name(w->outcome));
    sqlite3_bind_int64(stmt, 4, decision_id);
    s_bind_text(stmt, 5, w->title);
    s_bind_text(stmt, 6, w->media_type);
    s_bind_text(stmt, 7, w->user_name);
    sqlite3_bind_int64(stmt, 8, w->tmdb_id);
    s_bind_text(stmt, 9, w->poster_path);
    sqlite3_bind_int64(stmt, 10, now);
    if (w->user_id > 0)
        sqlite3_bind_int64(stmt, 11, w->user_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        s_fail(self, "record update");
        goto fail;
    }
    s_event_t event = {.kind = "decision",
                       .request_id = w->request_id,
                       .outcome = ps_outcome_name(w->outcome),
                       .source = w->source,
                       .explanation = w->explanation,
                       .rule = w->rule,
                       .has_score = w->has_score,
                       .score = w->score,
                       .inputs = inputs};
    if (s_event_add(self, &event, now) != 0 || s_commit(self) != 0)
        goto fail;
    result = GW_RECORD_OK;
    goto out;
fail:
    s_rollback(self);
out:
    free(params);
    free(matched);
    free(inputs);
    return result;
}

int
gw_store_history(gw_store_t *self, int64_t user_id, int64_t request_id,
                 int64_t since, ps_history_t *out)
{
    static const char attribute_sql[] =
        "UPDATE requests SET user_id = ?1 WHERE request_id = ?2"
        " AND user_id IS NULL";
    static const char count_sql[] =
        "SELECT COUNT(*),"
        " COALESCE(SUM(outcome = 'approve' AND state IN ('decided',"
        " 'applied')), 0),"
        " COALESCE(SUM(outcome = 'decline' AND state IN ('decided',"
        " 'applied')), 0) FROM requests WHERE user_id = ?1";
    static const char window_sql[] =
        "SELECT COUNT(*) FROM requests WHERE user_id = ?1"
        " AND created_at >= ?2";
    memset(out, 0, sizeof(*out));
    out->user_id = user_id;
    out->since = since;
    if (s_begin(self) != 0)
        return -1;
    sqlite3_stmt *stmt = s_stmt(self, attribute_sql);
    if (!stmt)
        goto fail;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, request_id);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        s_fail(self, "history attribute");
        goto fail;
    }
    stmt = s_stmt(self, count_sql);
    if (!stmt)
        goto fail;
    sqlite3_bind_int64(stmt, 1, user_id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        s_fail(self, "history counts");
        goto fail;
    }
    out->approved = sqlite3_column_int64(stmt, 1);
    out->declined = sqlite3_column_int64(stmt, 2);
    stmt = s_stmt(self, window_sql);
    if (!stmt)
        goto fail;
    sqlite3_bind_int64(stmt, 1, user_id);
    sqlite3_bind_int64(stmt, 2, since);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        s_fail(self, "history window");
        goto fail;
    }
    out->requests = sqlite3_column_int64(stmt, 0);
    if (s_commit(self) == 0)
        return 0;
fail:
    s_rollback(self);
    return -1;
}

int
gw_store_release(gw_store_t *self, int64_t request_id, const char *reason,
                 int64_t now)
{
    static const char sql[] =
        "UPDATE requests SET state = 'released', last_error = ?2,"
        " updated_at = ?3 WHERE request_id = ?1 AND state = 'in_flight'";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, request_id);
    s_bind_text(stmt, 2, reason);
    sqlite3_bind_int64(stmt, 3, now);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0 : s_fail(self, "release");
}

static int
s_cmp_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int
gw_store_open_not_seen(gw_store_t *self, const int64_t *seen, size_t count,
                       int64_t **out, size_t *out_count)
{
    static const char sql[] =
        "SELECT request_id FROM requests WHERE state = 'in_review'"
        " ORDER BY request_id";
    *out = NULL;
    *out_count = 0;
    int64_t *sorted = malloc((count + 1) * sizeof(*sorted));
    if (!sorted)
        return -1;
    if (count)
        memcpy(sorted, seen, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), s_cmp_ids);
    sqlite3_stmt *stmt = s_stmt(self, sql);
    size_t cap = 0;
    int rc = stmt ? 0 : -1;
    while (stmt && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        if (bsearch(&id, sorted, count, sizeof(*sorted), s_cmp_ids))
            continue;
        if (*out_count == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *grown = realloc(*out, cap * sizeof(*grown));
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            *out = grown;
        }
        (*out)[(*out_count)++] = id;
    }
    free(sorted);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *out_count = 0;
        return s_fail(self, "open not seen");
    }
    return 0;
}

static const char *
s_status_outcome(int64_t status)
{
    return status == 2 ? "approve" : status == 3 ? "decline" : NULL;
}

static const char *
s_status_reason(int64_t status)
{
    switch (status) {
        case 0:
            return "deleted in Overseerr";
        case 2:
            return "approved in Overseerr";
        case 3:
            return "declined in Overseerr";
        case 4:
            return "failed in Overseerr";
        case 5:
            return "completed in Overseerr";
        default:
            return "no longer pending in Overseerr";
    }
}

/* Moves a row to decided_elsewhere and appends the event. Who may close
   which state matters: the poller's reports (`from_poller`) close reviews
   and requests still in the pipeline, never a `decided` row, because that
   row belongs to the applier until it is applied: our own approval echoes
   back as "not pending any more" and must not be taken for someone
   else's. The applier and staff paths close their own rows. Returns 1
   when a row changed, 0 when not, -1 on error. */
static int
s_close_elsewhere(gw_store_t *self, int64_t request_id, int64_t status,
                  const char *detail, bool from_poller, int64_t now)
{
    static const char poller_sql[] =
        "UPDATE requests SET state = 'decided_elsewhere', last_error = ?2,"
        " updated_at = ?3 WHERE request_id = ?1 AND state IN ('in_review',"
        " 'in_flight', 'released')";
    static const char owner_sql[] =
        "UPDATE requests SET state = 'decided_elsewhere', last_error = ?2,"
        " updated_at = ?3 WHERE request_id = ?1 AND state IN ('decided',"
        " 'applying')";
    sqlite3_stmt *stmt = s_stmt(self, from_poller ? poller_sql : owner_sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, request_id);
    s_bind_text(stmt, 2, detail);
    sqlite3_bind_int64(stmt, 3, now);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        return s_fail(self, "elsewhere");
    if (sqlite3_changes(self->db) == 0)
        return 0;
    s_event_t event = {.kind = "elsewhere",
                       .request_id = request_id,
                       .outcome = s_status_outcome(status),
                       .source = "overseerr",
                       .reason = detail ? detail : s_status_reason(status)};
    return s_event_add(self, &event, now) == 0 ? 1 : -1;
}

int
gw_store_mark_elsewhere(gw_store_t *self, int64_t request_id, int64_t status,
                        int64_t now)
{
    if (s_begin(self) != 0)
        return -1;
    int rc = s_close_elsewhere(self, request_id, status,
                               s_status_reason(status), true, now);
    if (rc < 0 || s_commit(self) != 0) {
        s_rollback(self);
        return -1;
    }
    return rc;
}

int
gw_store_next_to_apply(gw_store_t *self, int64_t now, int64_t *request_id,
                       ps_outcome_t *outcome)
{
    static const char sql[] =
        "SELECT request_id, outcome FROM requests WHERE state = 'decided'"
        " AND next_apply_at <= ?1 ORDER BY next_apply_at LIMIT 1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, now);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return s_fail(self, "next to apply");
    *request_id = sqlite3_column_int64(stmt, 0);
    if (ps_outcome_parse(s_column_text(stmt, 1), outcome) != 0)
        *outcome = PS_OUTCOME_NONE;
    sqlite3_reset(stmt);
    return 1;
}

int
gw_store_apply_result(gw_store_t *self, int64_t request_id, gw_apply_rc_t rc,
                      int64_t status, const char *detail, int64_t now,
                      int64_t retry_at)
{
    static const char applied_sql[] =
        "UPDATE requests SET state = 'applied', last_error = NULL,"
        " updated_at = ?2 WHERE request_id = ?1 AND state = 'decided'";
    static const char retry_sql[] =
        "UPDATE requests SET apply_attempts = apply_attempts + 1,"
        " next_apply_at = ?2, last_error = ?3, updated_at = ?4"
        " WHERE request_id = ?1 AND state = 'decided'";
    if (s_begin(self) != 0)
        return -1;
    int result = -1;
    sqlite3_stmt *stmt = NULL;
    if (rc == GW_APPLY_DONE) {
        stmt = s_stmt(self, applied_sql);
        if (!stmt)
            goto out;
        sqlite3_bind_int64(stmt, 1, request_id);
        sqlite3_bind_int64(stmt, 2, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            s_fail(self, "applied");
            goto out;
        }
        s_event_t event = {
            .kind = "applied", .request_id = request_id, .source = "gateway"};
        if (sqlite3_changes(self->db) && s_event_add(self, &event, now) != 0)
            goto out;
    } else if (rc == GW_APPLY_ELSEWHERE) {
        if (s_close_elsewhere(self, request_id, status, detail, false, now) < 0)
            goto out;
    } else {
        stmt = s_stmt(self, retry_sql);
        if (!stmt)
            goto out;
        sqlite3_bind_int64(stmt, 1, request_id);
        sqlite3_bind_int64(stmt, 2, retry_at);
        s_bind_text(stmt, 3, detail);
        sqlite3_bind_int64(stmt, 4, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            s_fail(self, "retry");
            goto out;
        }
    }
    result = s_commit(self);
out:
    if (result != 0)
        s_rollback(self);
    return result;
}

int
gw_store_staff_take(gw_store_t *self, int64_t request_id)
{
    static const char sql[] =
        "UPDATE requests SET state = 'applying' WHERE request_id = ?1"
        " AND state = 'in_review'";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, request_id);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        return s_fail(self, "staff take");
    return sqlite3_changes(self->db) == 1 ? 1 : 0;
}

int
gw_store_staff_finish(gw_store_t *self, int64_t request_id,
                      ps_outcome_t outcome, const char *actor,
                      const char *reason, gw_apply_rc_t rc, int64_t status,
                      const char *detail, int64_t now)
{
    static const char insert_sql[] =
        "INSERT INTO decisions (request_id, attempt, outcome, source,"
        " message_id, explanation, inputs, actor, reason, ruleset,"
        " decided_at) SELECT r.request_id, r.attempt, ?2, 'staff',"
        " 'staff_decision', ?3, d.inputs, ?4, ?5, d.ruleset, ?6"
        " FROM requests r LEFT JOIN decisions d ON d.id = r.decision_id"
        " WHERE r.request_id = ?1";
    static const char applied_sql[] =
        "UPDATE requests SET state = 'applied', outcome = ?2,"
        " decision_id = ?3, last_error = NULL, updated_at = ?4"
        " WHERE request_id = ?1";
    static const char back_sql[] =
        "UPDATE requests SET state = 'in_review', last_error = ?2,"
        " updated_at = ?3 WHERE request_id = ?1 AND state = 'applying'";
    if (s_begin(self) != 0)
        return -1;
    int result = -1;
    sqlite3_stmt *stmt = NULL;
    if (rc == GW_APPLY_DONE) {
        char explanation[600];
        snprintf(explanation, sizeof(explanation), "%s by %s%s%s",
                 outcome == PS_OUTCOME_APPROVE ? "Approved" : "Declined",
                 actor ? actor : "staff", reason && *reason ? ": " : "",
                 reason && *reason ? reason : "");
        stmt = s_stmt(self, insert_sql);
        if (!stmt)
            goto out;
        sqlite3_bind_int64(stmt, 1, request_id);
        s_bind_text(stmt, 2, ps_outcome_name(outcome));
        s_bind_text(stmt, 3, explanation);
        s_bind_text(stmt, 4, actor);
        s_bind_text(stmt, 5, reason);
        sqlite3_bind_int64(stmt, 6, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            s_fail(self, "staff insert");
            goto out;
        }
        int64_t decision_id = sqlite3_last_insert_rowid(self->db);
        stmt = s_stmt(self, applied_sql);
        if (!stmt)
            goto out;
        sqlite3_bind_int64(stmt, 1, request_id);
        s_bind_text(stmt, 2, ps_outcome_name(outcome));
        sqlite3_bind_int64(stmt, 3, decision_id);
        sqlite3_bind_int64(stmt, 4, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            s_fail(self, "staff applied");
            goto out;
        }
        s_event_t event = {.kind = "staff",
                           .request_id = request_id,
                           .outcome = ps_outcome_name(outcome),
                           .source = "staff",
                           .actor = actor,
                           .explanation = explanation,
                           .reason = reason};
        /* The training example needs the inputs the staff saw. */
        static const char inputs_sql[] =
            "SELECT inputs FROM decisions WHERE id = ?1";
        stmt = s_stmt(self, inputs_sql);
        if (!stmt)
            goto out;
        sqlite3_bind_int64(stmt, 1, decision_id);
        char *inputs = NULL;
        if (sqlite3_step(stmt) == SQLITE_ROW && s_column_text(stmt, 0))
            inputs = strdup(s_column_text(stmt, 0));
        event.inputs = inputs;
        int added = s_event_add(self, &event, now);
        free(inputs);
        if (added != 0)
            goto out;
    } else if (rc == GW_APPLY_ELSEWHERE) {
        if (s_close_elsewhere(self, request_id, status, detail, false, now) < 0)
            goto out;
    } else {
        stmt = s_stmt(self, back_sql);
        if (!stmt)
            goto out;
        sqlite3_bind_int64(stmt, 1, request_id);
        s_bind_text(stmt, 2, detail);
        sqlite3_bind_int64(stmt, 3, now);
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            s_fail(self, "staff back");
            goto out;
        }
    }
    result = s_commit(self);
out:
    if (result != 0)
        s_rollback(self);
    return result;
}

int
gw_store_rejudge(gw_store_t *self, int64_t request_id, int64_t now)
{
    static const char sql[] =
        "UPDATE requests SET state = 'released', updated_at = ?2"
        " WHERE request_id = ?1 AND (state IN ('in_review', 'decided',"
        " 'decided_elsewhere', 'released')"
        /* The prototype's own verdicts count as applied once imported,
           but it did not always manage to apply them in Overseerr: one
           still pending there may be judged again (a staff word stays). */
        " OR (state = 'applied' AND decision_id IN (SELECT id FROM"
        " decisions WHERE ruleset = 'prototype' AND source != 'staff')))";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, request_id);
    sqlite3_bind_int64(stmt, 2, now);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        return s_fail(self, "rejudge");
    return sqlite3_changes(self->db) == 1 ? 1 : 0;
}

int
gw_store_state(gw_store_t *self, int64_t request_id, char *buf, size_t len)
{
    static const char sql[] =
        "SELECT state FROM requests WHERE request_id = ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, request_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        snprintf(buf, len, "%s", s_column_text(stmt, 0));
    else if (rc == SQLITE_DONE)
        snprintf(buf, len, "%s", "");
    else
        return s_fail(self, "state");
    sqlite3_reset(stmt);
    return 0;
}

int
gw_store_last_event_seq(gw_store_t *self, int64_t *seq)
{
    static const char sql[] = "SELECT coalesce(max(seq), 0) FROM events";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    if (sqlite3_step(stmt) != SQLITE_ROW)
        return s_fail(self, "last event");
    *seq = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return 0;
}

/* ---- events out ------------------------------------------------------- */

static char *
s_dup_column(sqlite3_stmt *stmt, int column)
{
    const char *text = s_column_text(stmt, column);
    return text ? strdup(text) : NULL;
}

int
gw_store_events_since(gw_store_t *self, int64_t since, int64_t limit,
                      ps_event_t ***out, size_t *count)
{
    static const char sql[] =
        "SELECT seq, kind, request_id, at, outcome, source, actor, title,"
        " media_type, user_name, rule, explanation, score, inputs, reason"
        " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2";
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, since);
    sqlite3_bind_int64(stmt, 2, limit);
    ps_event_t **events = calloc((size_t)limit + 1, sizeof(*events));
    if (!events)
        return -1;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ps_event_t *e = ps_event_new();
        if (!e)
            break;
        e->seq = sqlite3_column_int64(stmt, 0);
        e->kind = s_dup_column(stmt, 1);
        e->request_id = sqlite3_column_int64(stmt, 2);
        e->at = sqlite3_column_int64(stmt, 3);
        e->outcome = s_dup_column(stmt, 4);
        e->source = s_dup_column(stmt, 5);
        e->actor = s_dup_column(stmt, 6);
        e->title = s_dup_column(stmt, 7);
        e->media_type = s_dup_column(stmt, 8);
        e->user_name = s_dup_column(stmt, 9);
        e->rule = s_dup_column(stmt, 10);
        e->explanation = s_dup_column(stmt, 11);
        e->has_score = sqlite3_column_type(stmt, 12) != SQLITE_NULL;
        e->score = sqlite3_column_double(stmt, 12);
        e->inputs = s_dup_column(stmt, 13);
        e->reason = s_dup_column(stmt, 14);
        events[(*count)++] = e;
    }
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *count; i++)
            ps_event_destroy(&events[i]);
        free(events);
        *count = 0;
        return s_fail(self, "events");
    }
    *out = events;
    return 0;
}

int64_t
gw_store_last_seq(gw_store_t *self)
{
    static const char sql[] = "SELECT COALESCE(MAX(seq), 0) FROM events";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt || sqlite3_step(stmt) != SQLITE_ROW)
        return s_fail(self, "last seq");
    int64_t seq = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return seq;
}

int
gw_store_add_usage(gw_store_t *self, const ps_usage_t *u)
{
    static const char sql[] =
        "INSERT INTO usage (request_id, model, prompt_tokens,"
        " completion_tokens, cached_tokens, cost_usd, latency_ms, http_status,"
        " ok, at, instance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11)";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, u->request_id);
    s_bind_text(stmt, 2, u->model);
    sqlite3_bind_int64(stmt, 3, u->prompt_tokens);
    sqlite3_bind_int64(stmt, 4, u->completion_tokens);
    sqlite3_bind_int64(stmt, 5, u->cached_tokens);
    sqlite3_bind_double(stmt, 6, u->cost_usd);
    sqlite3_bind_int64(stmt, 7, u->latency_ms);
    sqlite3_bind_int64(stmt, 8, u->http_status);
    sqlite3_bind_int(stmt, 9, u->ok ? 1 : 0);
    sqlite3_bind_int64(stmt, 10, u->at);
    s_bind_text(stmt, 11, u->instance);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0 : s_fail(self, "usage");
}

/* ---- read models ------------------------------------------------------ */

static json_t *
s_column_json(sqlite3_stmt *stmt, int column)
{
    switch (sqlite3_column_type(stmt, column)) {
        case SQLITE_INTEGER:
            return json_integer(sqlite3_column_int64(stmt, column));
        case SQLITE_FLOAT:
            return json_real(sqlite3_column_double(stmt, column));
        case SQLITE_TEXT:
            return json_string(s_column_text(stmt, column));
        default:
            return json_null();
    }
}

/* Builds an array of objects from a statement's rows; columns named by
   sqlite3_column_name. Columns named *_json hold JSON text and are
   embedded parsed, under the name without the suffix. */
static json_t *
s_rows_json(gw_store_t *self, sqlite3_stmt *stmt)
{
    json_t *rows = json_array();
    int rc;
    while (rows && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int c = 0; row && c < sqlite3_column_count(stmt); c++) {
            const char *name = sqlite3_column_name(stmt, c);
            size_t len = strlen(name);
            if (len > 5 && strcmp(name + len - 5, "_json") == 0) {
                char key[64];
                snprintf(key, sizeof(key), "%.*s", (int)(len - 5), name);
                const char *text = s_column_text(stmt, c);
                json_t *value = text ? json_loads(text, 0, NULL) : NULL;
                json_object_set_new(row, key, value ? value : json_null());
            } else
                json_object_set_new(row, name, s_column_json(stmt, c));
        }
        json_array_append_new(rows, row);
    }
    if (!rows || rc != SQLITE_DONE) {
        json_decref(rows);
        s_fail(self, "rows");
        return NULL;
    }
    return rows;
}

json_t *
gw_store_reviews_json(gw_store_t *self)
{
    static const char sql[] =
        "SELECT r.request_id, r.title, r.media_type, r.user_name, r.tmdb_id,"
        " r.poster_path, r.last_error, d.source, d.rule, d.message_id,"
        " d.params AS params_json, d.explanation, d.score, d.ai_score,"
        " d.model, d.matched AS matched_json, d.inputs AS inputs_json,"
        " d.decided_at AS opened_at FROM requests r JOIN decisions d"
        " ON d.id = r.decision_id WHERE r.state IN ('in_review', 'applying')"
        " ORDER BY d.decided_at DESC, r.request_id DESC";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    json_t *rows = stmt ? s_rows_json(self, stmt) : NULL;
    return rows ? json_pack("{s:o}", "reviews", rows) : NULL;
}

static json_t *
s_counts_json(gw_store_t *self, const char *sql, int64_t since)
{
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, since);
    json_t *counts = json_object();
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        json_object_set_new(counts, s_column_text(stmt, 0),
                            json_integer(sqlite3_column_int64(stmt, 1)));
    if (rc != SQLITE_DONE) {
        json_decref(counts);
        s_fail(self, "counts");
        return NULL;
    }
    return counts;
}

json_t *
gw_store_stats_json(gw_store_t *self, int64_t now)
{
    static const char states_sql[] =
        "SELECT state, COUNT(*) FROM requests WHERE ?1 >= 0 GROUP BY state";
    static const char outcomes_sql[] =
        "SELECT r.outcome, COUNT(*) FROM requests r WHERE ?1 >= 0"
        " AND r.outcome IS NOT NULL GROUP BY r.outcome";
    static const char sources_sql[] =
        "SELECT d.source, COUNT(*) FROM requests r JOIN decisions d"
        " ON d.id = r.decision_id WHERE ?1 >= 0 GROUP BY d.source";
    static const char day_sql[] =
        "SELECT outcome, COUNT(*) FROM decisions WHERE decided_at >= ?1"
        " GROUP BY outcome";
    static const char usage_sql[] =
        "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0),"
        " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost_usd), 0)"
        " FROM usage";
    json_t *states = s_counts_json(self, states_sql, 0);
    json_t *outcomes = s_counts_json(self, outcomes_sql, 0);
    json_t *sources = s_counts_json(self, sources_sql, 0);
    json_t *last_day = s_counts_json(self, day_sql, now - 86400000);
    sqlite3_stmt *stmt = s_stmt(self, usage_sql);
    json_t *usage = NULL;
    if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
        usage = json_pack(
            "{s:I,s:I,s:I,s:f}", "calls",
            (json_int_t)sqlite3_column_int64(stmt, 0), "prompt_tokens",
            (json_int_t)sqlite3_column_int64(stmt, 1), "completion_tokens",
            (json_int_t)sqlite3_column_int64(stmt, 2), "cost_usd",
            sqlite3_column_double(stmt, 3));
    if (stmt)
        sqlite3_reset(stmt);
    if (!states || !outcomes || !sources || !last_day || !usage) {
        json_decref(states);
        json_decref(outcomes);
        json_decref(sources);
        json_decref(last_day);
        json_decref(usage);
        return NULL;
    }
    json_int_t approved =
        json_integer_value(json_object_get(outcomes, "approve"));
    json_int_t declined =
        json_integer_value(json_object_get(outcomes, "decline"));
    json_int_t in_review =
        json_integer_value(json_object_get(states, "in_review"));
    return json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:I,s:f}", "states", states, "outcomes", outcomes,
        "sources", sources, "last_24h", last_day, "ai", usage,
        "pending_reviews", in_review, "approval_rate",
        approved + declined ? (double)approved / (double)(approved + declined)
                            : 0.0);
}

json_t *
gw_store_request_json(gw_store_t *self, int64_t request_id, bool *found)
{
    static const char row_sql[] =
        "SELECT request_id, state, attempt, outcome, title, media_type,"
        " user_name, tmdb_id, apply_attempts, last_error, created_at,"
        " updated_at FROM requests WHERE request_id = ?1";
    static const char history_sql[] =
        "SELECT id, attempt, outcome, source, rule, message_id,"
        " params AS params_json, explanation, score, ai_score, model,"
        " matched AS matched_json, ruleset, inputs AS inputs_json, actor,"
        " reason, decided_at FROM decisions WHERE request_id = ?1 ORDER BY id";
    *found = false;
    sqlite3_stmt *stmt = s_stmt(self, row_sql);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64(stmt, 1, request_id);
    json_t *rows = s_rows_json(self, stmt);
    if (!rows || json_array_size(rows) == 0) {
        json_decref(rows);
        return NULL;
    }
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    stmt = s_stmt(self, history_sql);
    json_t *history = stmt ? (sqlite3_bind_int64(stmt, 1, request_id),
                              s_rows_json(self, stmt))
                           : NULL;
    if (!history) {
        json_decref(row);
        return NULL;
    }
    json_object_set_new(row, "decisions", history);
    *found = true;
    return row;
}

int
gw_store_backtest_rows(gw_store_t *self, int64_t last, gw_backtest_fn *fn,
                       void *arg)
{
    static const char sql[] =
        "SELECT d.request_id, d.outcome, d.source, COALESCE(d.rule, ''),"
        " d.inputs, r.title, (SELECT s.outcome FROM decisions s"
        " WHERE s.request_id = d.request_id AND s.source = 'staff'"
        " ORDER BY s.id DESC LIMIT 1), d.decided_at"
        " FROM decisions d JOIN requests r ON r.request_id = d.request_id"
        " WHERE d.id IN (SELECT MAX(id) FROM decisions"
        " WHERE source != 'staff' GROUP BY request_id)"
        " ORDER BY d.id DESC LIMIT ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, last);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        gw_backtest_row_t row = {.request_id = sqlite3_column_int64(stmt, 0),
                                 .outcome = s_column_text(stmt, 1),
                                 .source = s_column_text(stmt, 2),
                                 .rule = s_column_text(stmt, 3),
                                 .inputs = s_column_text(stmt, 4),
                                 .title = s_column_text(stmt, 5),
                                 .staff = s_column_text(stmt, 6),
                                 .decided_at = sqlite3_column_int64(stmt, 7)};
        if (fn(arg, &row) != 0)
            break;
    }
    sqlite3_reset(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : s_fail(self, "backtest");
}

int
gw_store_spent_since(gw_store_t *self, int64_t since, double *spent)
{
    static const char sql[] =
        "SELECT COALESCE(SUM(cost_usd), 0) FROM usage WHERE at >= ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, since);
    if (sqlite3_step(stmt) != SQLITE_ROW)
        return s_fail(self, "spent");
    *spent = sqlite3_column_double(stmt, 0);
    sqlite3_reset(stmt);
    return 0;
}

json_t *
gw_store_costs_json(gw_store_t *self, int64_t now, int64_t days, int64_t last)
{
    /* Days are local days: SQLite's 'localtime' follows the process TZ,
       which the gateway sets to `timezone` at start. */
    static const char by_day_sql[] =
        "SELECT date(at / 1000, 'unixepoch', 'localtime') AS day,"
        " COALESCE(model, '') AS model, COUNT(*) AS calls,"
        " SUM(prompt_tokens) AS prompt_tokens,"
        " SUM(completion_tokens) AS completion_tokens,"
        " SUM(cost_usd) AS cost_usd FROM usage WHERE at >= ?1"
        " GROUP BY day, model ORDER BY day DESC, model";
    static const char by_model_sql[] =
        "SELECT COALESCE(model, '') AS model, COUNT(*) AS calls,"
        " SUM(ok) AS verdicts, SUM(prompt_tokens) AS prompt_tokens,"
        " SUM(completion_tokens) AS completion_tokens,"
        " SUM(cost_usd) AS cost_usd, AVG(cost_usd) AS average_cost_usd,"
        " AVG(latency_ms) AS average_latency_ms FROM usage WHERE ?1 >= 0"
        " GROUP BY model ORDER BY cost_usd DESC";
    static const char last_sql[] =
        "SELECT u.at, u.request_id, r.title, u.model, u.prompt_tokens,"
        " u.completion_tokens, u.cached_tokens, u.cost_usd, u.latency_ms,"
        " u.http_status, u.ok, u.instance FROM usage u LEFT JOIN requests r"
        " ON r.request_id = u.request_id ORDER BY u.id DESC LIMIT ?1";
    json_t *by_day = NULL, *by_model = NULL, *calls = NULL;
    sqlite3_stmt *stmt = s_stmt(self, by_day_sql);
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, now - days * 86400000);
        by_day = s_rows_json(self, stmt);
    }
    stmt = s_stmt(self, by_model_sql);
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, 0);
        by_model = s_rows_json(self, stmt);
    }
    stmt = s_stmt(self, last_sql);
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, last);
        calls = s_rows_json(self, stmt);
    }
    if (!by_day || !by_model || !calls) {
        json_decref(by_day);
        json_decref(by_model);
        json_decref(calls);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:o}", "by_day", by_day, "by_model", by_model,
                     "last_calls", calls);
}

int
gw_store_user_count(gw_store_t *self, int64_t *count)
{
    static const char sql[] = "SELECT COUNT(*) FROM users";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt || sqlite3_step(stmt) != SQLITE_ROW)
        return s_fail(self, "user count");
    *count = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return 0;
}

int
gw_store_user_add(gw_store_t *self, const char *username, const char *role,
                  const char *password_hash, int64_t now)
{
    static const char sql[] =
        "INSERT INTO users (username, role, password_hash, created_at)"
        " VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, username);
    s_bind_text(stmt, 2, role);
    s_bind_text(stmt, 3, password_hash);
    sqlite3_bind_int64(stmt, 4, now);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_CONSTRAINT)
        return 1;
    return rc == SQLITE_DONE ? 0 : s_fail(self, "user add");
}

int
gw_store_user_find(gw_store_t *self, const char *username, int64_t *id,
                   char *role, size_t role_len, char *hash, size_t hash_len)
{
    static const char sql[] =
        "SELECT id, role, password_hash FROM users WHERE username = ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, username);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return s_fail(self, "user find");
    *id = sqlite3_column_int64(stmt, 0);
    snprintf(role, role_len, "%s", s_column_text(stmt, 1));
    snprintf(hash, hash_len, "%s", s_column_text(stmt, 2));
    sqlite3_reset(stmt);
    return 1;
}

int
gw_store_session_add(gw_store_t *self, const char *token_hash, int64_t user_id,
                     const char *csrf, int64_t now, int64_t expires_at)
{
    static const char sql[] =
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at,"
        " expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
    static const char purge_sql[] =
        "DELETE FROM sessions WHERE expires_at < ?1";
    sqlite3_stmt *stmt = s_stmt(self, purge_sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, now);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        return s_fail(self, "session purge");
    stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, token_hash);
    sqlite3_bind_int64(stmt, 2, user_id);
    s_bind_text(stmt, 3, csrf);
    sqlite3_bind_int64(stmt, 4, now);
    sqlite3_bind_int64(stmt, 5, expires_at);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0 : s_fail(self, "session add");
}

int
gw_store_session_find(gw_store_t *self, const char *token_hash, int64_t now,
                      gw_store_identity_t *out)
{
    static const char sql[] =
        "SELECT s.token_hash, u.username, u.role, s.csrf FROM sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1"
        " AND s.expires_at >= ?2";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, token_hash);
    sqlite3_bind_int64(stmt, 2, now);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return s_fail(self, "session find");
    snprintf(out->hash, sizeof(out->hash), "%s", s_column_text(stmt, 0));
    snprintf(out->name, sizeof(out->name), "%s", s_column_text(stmt, 1));
    snprintf(out->role, sizeof(out->role), "%s", s_column_text(stmt, 2));
    snprintf(out->csrf, sizeof(out->csrf), "%s", s_column_text(stmt, 3));
    sqlite3_reset(stmt);
    return 1;
}

int
gw_store_session_delete(gw_store_t *self, const char *token_hash)
{
    static const char sql[] = "DELETE FROM sessions WHERE token_hash = ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, token_hash);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0
                                             : s_fail(self, "session delete");
}

int
gw_store_token_add(gw_store_t *self, const char *name, const char *role,
                   const char *token_hash, int64_t now)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO api_tokens (name, role, token_hash,"
        " created_at) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, name);
    s_bind_text(stmt, 2, role);
    s_bind_text(stmt, 3, token_hash);
    sqlite3_bind_int64(stmt, 4, now);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0 : s_fail(self, "token add");
}

int
gw_store_token_find(gw_store_t *self, const char *token_hash,
                    gw_store_identity_t *out)
{
    static const char sql[] =
        "SELECT token_hash, name, role, COALESCE(last_used_at, 0)"
        " FROM api_tokens WHERE token_hash = ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, token_hash);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return s_fail(self, "token find");
    snprintf(out->hash, sizeof(out->hash), "%s", s_column_text(stmt, 0));
    snprintf(out->name, sizeof(out->name), "%s", s_column_text(stmt, 1));
    snprintf(out->role, sizeof(out->role), "%s", s_column_text(stmt, 2));
    out->csrf[0] = '\0';
    out->last_used_at = sqlite3_column_int64(stmt, 3);
    sqlite3_reset(stmt);
    return 1;
}

int
gw_store_token_touch(gw_store_t *self, const char *token_hash, int64_t now)
{
    static const char sql[] =
        "UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1";
    sqlite3_stmt *stmt = s_stmt(self, sql);
    if (!stmt)
        return -1;
    s_bind_text(stmt, 1, token_hash);
    sqlite3_bind_int64(stmt, 2, now);
    return sqlite3_step(stmt) == SQLITE_DONE ? 0 : s_fail(self, "token touch");
}

int
gw_store_set_cache_kb(gw_store_t *self, int kb)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", kb);
    if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return s_fail(self, "cache size");
    return 0;
}

int
gw_store_probe(gw_store_t *self)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO probe (id, at) VALUES (1, strftime('%s'))";
    return s_exec(self, sql);
}
