/*  learner - see learner.h.

    Every write goes through prepared statements kept for the life of the
    store (STYLE.md / DESIGN.md: prepared statements only). A live event is
    one small transaction; a catch-up page of up to 500 events is one
    transaction, so a crash mid-page re-asks the same page and the UNIQUE
    seq absorbs anything already there.                                   */
#include "learner.h"
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_control.h"
#include "ps_db.h"
#include "ps_log.h"
#include "ps_service.h"
#include "ps_time.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LEARNER_POLL_MS 1000

static const char *const s_migrations[] = {
    "CREATE TABLE feedback ("
    "  id INTEGER PRIMARY KEY,"
    "  seq INTEGER NOT NULL UNIQUE," /* the gateway's event sequence */
    "  kind TEXT NOT NULL,"          /* decision | staff | elsewhere */
    "  request_id INTEGER NOT NULL," /* Overseerr request id */
    "  outcome TEXT,"                /* approve | decline | review */
    "  source TEXT,"                 /* rule | ai | staff | ... */
    "  actor TEXT,"                  /* staff user for staff events */
    "  score REAL,"                  /* approval score, NULL if none */
    "  inputs TEXT,"                 /* JSON snapshot of the inputs */
    "  reason TEXT,"                 /* staff reason or failure text */
    "  at INTEGER NOT NULL"          /* ms epoch of the event */
    ");"
    "CREATE INDEX feedback_request ON feedback(request_id);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO meta(key, value) VALUES ('last_seq', 0);",
};

struct learner_store {
    sqlite3 *db;            /* feedback.db, this thread only */
    sqlite3_stmt *insert;   /* INSERT OR IGNORE INTO feedback */
    sqlite3_stmt *set_last; /* UPDATE meta last_seq */
    int64_t last_seq;       /* mirror of meta.last_seq */
};

static int
s_prepare(learner_store_t *self, const char *sql, sqlite3_stmt **stmt,
          char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(self->db, sql, -1, stmt, NULL) == SQLITE_OK)
        return 0;
    snprintf(err, errlen, "cannot prepare a statement: %s",
             sqlite3_errmsg(self->db));
    return -1;
}

static bool
s_has_table(sqlite3 *db, const char *table)
{
    sqlite3_stmt *stmt = NULL;
    bool found =
        sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE"
                           " type = 'table' AND name = ?1",
                           -1, &stmt, NULL)
            == SQLITE_OK
        && sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
}

int
learner_keep_prototype(const char *path, char *err, size_t errlen)
{
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode))
        return 0;
    sqlite3 *db = NULL;
    bool prototype =
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && s_has_table(db, "human_feedback") && !s_has_table(db, "feedback");
    sqlite3_close_v2(db);
    if (!prototype)
        return 0;
    char aside[1100];
    const char *slash = strrchr(path, '/');
    int n = snprintf(aside, sizeof(aside), "%.*sfeedback.prototype.db",
                     slash ? (int)(slash - path + 1) : 0, path);
    if (n < 0 || (size_t)n >= sizeof(aside)) {
        snprintf(err, errlen, "data_dir is too long");
        return -1;
    }
    if (stat(aside, &info) == 0) {
        snprintf(err, errlen,
                 "%s is the prototype's and %s exists too: move one of them "
                 "out of the data directory",
                 path, aside);
        return -1;
    }
    static const char *const sides[] = {"-journal", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        char from[1100], to[1200];
        snprintf(from, sizeof(from), "%s%s", path, sides[i]);
        snprintf(to, sizeof(to), "%s%s", aside, sides[i]);
        if (stat(from, &info) == 0 && rename(from, to) != 0) {
            snprintf(err, errlen, "cannot rename %s to %s", from, to);
            return -1;
        }
    }
    if (rename(path, aside) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s", path, aside);
        return -1;
    }
    ps_log_info("prototype feedback.db found: kept unchanged as %s", aside);
    return 1;
}

learner_store_t *
learner_store_new(const char *path, char *err, size_t errlen)
{
    learner_store_t *self = calloc(1, sizeof(*self));
    sqlite3_stmt *read_last = NULL;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->db =
        ps_db_open(path, s_migrations,
                   sizeof(s_migrations) / sizeof(s_migrations[0]), err, errlen);
    if (!self->db)
        goto fail;
    if (s_prepare(self,
                  "INSERT OR IGNORE INTO feedback (seq, kind, request_id, "
                  "outcome, source, actor, score, inputs, reason, at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                  &self->insert, err, errlen)
            != 0
        || s_prepare(self, "UPDATE meta SET value = ?1 WHERE key = 'last_seq'",
                     &self->set_last, err, errlen)
               != 0
        || s_prepare(self, "SELECT value FROM meta WHERE key = 'last_seq'",
                     &read_last, err, errlen)
               != 0)
        goto fail;
    if (sqlite3_step(read_last) != SQLITE_ROW) {
        snprintf(err, errlen, "%s has no last_seq: %s", path,
                 sqlite3_errmsg(self->db));
        goto fail;
    }
    self->last_seq = sqlite3_column_int64(read_last, 0);
    sqlite3_finalize(read_last);
    return self;
fail:
    sqlite3_finalize(read_last);
    learner_store_destroy(&self);
    return NULL;
}

void
learner_store_destroy(learner_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    learner_store_t *self = *self_p;
    sqlite3_finalize(self->set_last);
    sqlite3_finalize(self->insert);
    sqlite3_close_v2(self->db);
    free(self);
    *self_p = NULL;
}

int64_t
learner_store_last_seq(const learner_store_t *self)
{
    return self->last_seq;
}

int64_t
learner_store_count(learner_store_t *self)
{
    sqlite3_stmt *stmt = NULL;
    int64_t count = -1;
    if (sqlite3_prepare_v2(self->db, "SELECT count(*) FROM feedback", -1, &stmt,
                           NULL)
            == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
        count = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return count;
}

bool
learner_kind_is_feedback(const char *kind)
{
    return kind
           && (strcmp(kind, "decision") == 0 || strcmp(kind, "staff") == 0
               || strcmp(kind, "elsewhere") == 0);
}

static void
s_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, index);
}

/* Stores one event inside the caller's transaction. Returns 0,
   LEARNER_GAP or -1 as learner_store_event; `pending_last` is the
   last_seq the transaction will commit. */
static int
s_store(learner_store_t *self, const ps_event_t *event, bool from_catchup,
        int64_t *pending_last, char *err, size_t errlen)
{
    if (event->seq <= *pending_last)
        return 0;
    if (event->seq != *pending_last + 1 && !from_catchup)
        return LEARNER_GAP;
    if (learner_kind_is_feedback(event->kind)) {
        sqlite3_stmt *s = self->insert;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        sqlite3_bind_int64(s, 1, event->seq);
        s_bind_text(s, 2, event->kind);
        sqlite3_bind_int64(s, 3, event->request_id);
        s_bind_text(s, 4, event->outcome);
        s_bind_text(s, 5, event->source);
        s_bind_text(s, 6, event->actor);
        if (event->has_score)
            sqlite3_bind_double(s, 7, event->score);
        else
            sqlite3_bind_null(s, 7);
        s_bind_text(s, 8, event->inputs);
        s_bind_text(s, 9, event->reason);
        sqlite3_bind_int64(s, 10, event->at);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) {
            snprintf(err, errlen, "cannot store event seq=%lld: %s",
                     (long long)event->seq, sqlite3_errmsg(self->db));
            return -1;
        }
    }
    sqlite3_reset(self->set_last);
    sqlite3_bind_int64(self->set_last, 1, event->seq);
    int rc = sqlite3_step(self->set_last);
    sqlite3_reset(self->set_last);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot record last_seq=%lld: %s",
                 (long long)event->seq, sqlite3_errmsg(self->db));
        return -1;
    }
    *pending_last = event->seq;
    return 0;
}

static int
s_begin(learner_store_t *self, char *err, size_t errlen)
{
    return ps_db_exec(self->db, "BEGIN IMMEDIATE", err, errlen);
}

static int
s_end(learner_store_t *self, bool commit, char *err, size_t errlen)
{
    char why[256];
    if (commit)
        return ps_db_exec(self->db, "COMMIT", err, errlen);
    ps_db_exec(self->db, "ROLLBACK", why, sizeof(why));
    return 0;
}

int
learner_store_event(learner_store_t *self, const ps_event_t *event,
                    bool from_catchup, char *err, size_t errlen)
{
    /* Duplicates and gaps touch nothing: no transaction needed. */
    if (event->seq <= self->last_seq)
        return 0;
    if (event->seq != self->last_seq + 1 && !from_catchup)
        return LEARNER_GAP;
    if (s_begin(self, err, errlen) != 0)
        return -1;
    int64_t pending_last = self->last_seq;
    int rc = s_store(self, event, from_catchup, &pending_last, err, errlen);
    if (rc != 0 || s_end(self, true, err, errlen) != 0) {
        s_end(self, false, err, errlen);
        return -1;
    }
    self->last_seq = pending_last;
    return 0;
}

int
learner_catchup_apply(learner_store_t *self, zmsg_t *reply, int64_t *count,
                      char *err, size_t errlen)
{
    int rc = -1;
    int64_t header_last = 0;
    ps_event_t *event = NULL;
    bool in_transaction = false;
    *count = 0;
    zframe_t *frame = zmsg_first(reply);
    if (!frame) {
        snprintf(err, errlen, "empty catch-up reply");
        goto out;
    }
    if (ps_catchup_reply_decode(frame, count, &header_last, err, errlen) != 0)
        goto out;
    if (s_begin(self, err, errlen) != 0)
        goto out;
    in_transaction = true;
    int64_t pending_last = self->last_seq;
    int64_t frames = 0;
    for (frame = zmsg_next(reply); frame; frame = zmsg_next(reply)) {
        char why[256];
        if (ps_event_decode(frame, &event, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "catch-up event %lld: %s",
                     (long long)frames + 1, why);
            goto out;
        }
        if (s_store(self, event, true, &pending_last, err, errlen) != 0)
            goto out;
        ps_event_destroy(&event);
        frames++;
    }
    if (frames != *count) {
        snprintf(err, errlen,
                 "catch-up reply announced %lld events but carried %lld",
                 (long long)*count, (long long)frames);
        goto out;
    }
    if (s_end(self, true, err, errlen) != 0)
        goto out;
    in_transaction = false;
    self->last_seq = pending_last;
    rc = 0;
out:
    ps_event_destroy(&event);
    if (in_transaction)
        s_end(self, false, err, errlen);
    return rc;
}

/* ---- the service loop ---------------------------------------------------- */

typedef struct {
    learner_store_t *store; /* feedback.db */
    zsock_t *events;        /* SUB, connected */
    zsock_t *collect;       /* PUSH, connected: heartbeats */
    zsock_t *models;        /* PUB, bound: model updates (later) */
    ps_req_t *authority;    /* REQ client for catch-up */
    ps_beat_t *beat;        /* heartbeat sender */
    bool need_catchup;      /* at start and after a gap */
    int64_t next_catchup;   /* monotonic ms of the next attempt */
    bool warned_down;       /* warn once while the gateway is silent */
} s_loop_t;

/* Catches up until a page comes back short. Returns 0, or -1 when the
   gateway did not answer or the reply was unusable. */
static int
s_catchup(s_loop_t *loop)
{
    int64_t count = LEARNER_CATCHUP_LIMIT;
    int64_t total = 0;
    while (count == LEARNER_CATCHUP_LIMIT && !zsys_interrupted) {
        char err[256];
        zmsg_t *request = ps_catchup_encode(learner_store_last_seq(loop->store),
                                            LEARNER_CATCHUP_LIMIT);
        if (!request)
            return -1;
        zmsg_t *reply =
            ps_req_call(loop->authority, &request, LEARNER_CATCHUP_TIMEOUT_MS);
        if (!reply) {
            if (!loop->warned_down)
                ps_log_warn("catch-up got no answer from the gateway, "
                            "retrying every %d ms last_seq=%lld",
                            LEARNER_CATCHUP_RETRY_MS,
                            (long long)learner_store_last_seq(loop->store));
            loop->warned_down = true;
            return -1;
        }
        int rc =
            learner_catchup_apply(loop->store, reply, &count, err, sizeof(err));
        zmsg_destroy(&reply);
        if (rc != 0) {
            ps_log_error("catch-up reply refused err=\"%s\"", err);
            return -1;
        }
        total += count;
    }
    if (zsys_interrupted)
        return -1;
    if (loop->warned_down)
        ps_log_info("gateway answers catch-up again");
    loop->warned_down = false;
    ps_log_info("caught up events=%lld last_seq=%lld", (long long)total,
                (long long)learner_store_last_seq(loop->store));
    return 0;
}

static void
s_on_event(s_loop_t *loop)
{
    zmsg_t *msg = zmsg_recv(loop->events);
    if (!msg)
        return;
    ps_event_t *event = NULL;
    char err[256];
    zframe_t *frame = zmsg_first(msg);
    if (!frame || ps_event_decode(frame, &event, err, sizeof(err)) != 0) {
        ps_log_warn("dropped an undecodable event err=\"%s\"",
                    frame ? err : "empty message");
        goto out;
    }
    int rc = learner_store_event(loop->store, event, false, err, sizeof(err));
    if (rc < 0)
        ps_log_error("cannot store an event seq=%lld err=\"%s\"",
                     (long long)event->seq, err);
    else if (rc == LEARNER_GAP && !loop->need_catchup) {
        ps_log_info("event gap, catching up seq=%lld last_seq=%lld",
                    (long long)event->seq,
                    (long long)learner_store_last_seq(loop->store));
        loop->need_catchup = true;
    }
out:
    ps_event_destroy(&event);
    zmsg_destroy(&msg);
}

int
learner_service_run(ps_config_t **config, const char *config_path)
{
    int rc = 1;
    char err[512] = "";
    char path[1024];
    s_loop_t loop = {0};
    zpoller_t *poller = NULL;
    const ps_config_t *c = *config;

    int n = snprintf(path, sizeof(path), "%s/feedback.db", c->data_dir);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        snprintf(err, sizeof(err), "data_dir is too long");
        goto out;
    }
    if (ps_db_mkdirs(c->data_dir) != 0) {
        snprintf(err, sizeof(err), "cannot create data_dir %s", c->data_dir);
        goto out;
    }
    if (learner_keep_prototype(path, err, sizeof(err)) < 0)
        goto out;
    loop.store = learner_store_new(path, err, sizeof(err));
    if (!loop.store)
        goto out;
    loop.events =
        ps_bus_socket(c, ZMQ_SUB, c->bus.events, false, NULL, err, sizeof(err));
    if (!loop.events)
        goto out;
    loop.collect = ps_bus_socket(c, ZMQ_PUSH, c->bus.collect, false, NULL, err,
                                 sizeof(err));
    if (!loop.collect)
        goto out;
    loop.models =
        ps_bus_socket(c, ZMQ_PUB, c->bus.models, true, NULL, err, sizeof(err));
    if (!loop.models)
        goto out;
    loop.authority = ps_req_new(c, c->bus.authority, err, sizeof(err));
    if (!loop.authority)
        goto out;
    loop.beat = ps_beat_new("learner");
    poller = zpoller_new(loop.events, NULL);
    if (!loop.beat || !poller) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    ps_beat_set_config(loop.beat, c->version, NULL);
    loop.need_catchup = true;
    ps_log_info("started db=%s events=%s authority=%s collect=%s models=%s "
                "last_seq=%lld",
                path, c->bus.events, c->bus.authority, c->bus.collect,
                c->bus.models, (long long)learner_store_last_seq(loop.store));

    while (!zsys_interrupted) {
        if (ps_signals_take_reload()) {
            char why[512] = "";
            ps_service_reload(config_path, config, why, sizeof(why));
            ps_beat_set_config(loop.beat, (*config)->version, why);
        }
        ps_beat_tick(loop.beat, loop.collect);
        int64_t now = ps_time_mono_ms();
        if (loop.need_catchup && now >= loop.next_catchup) {
            if (s_catchup(&loop) == 0)
                loop.need_catchup = false;
            else
                loop.next_catchup =
                    ps_time_mono_ms() + LEARNER_CATCHUP_RETRY_MS;
            ps_beat_tick(loop.beat, loop.collect);
        }
        int64_t timeout = ps_beat_wait_ms(loop.beat);
        if (timeout > LEARNER_POLL_MS)
            timeout = LEARNER_POLL_MS;
        if (loop.need_catchup) {
            int64_t until = loop.next_catchup - ps_time_mono_ms();
            if (until < timeout)
                timeout = until < 0 ? 0 : until;
        }
        void *which = zpoller_wait(poller, (int)timeout);
        if (which == loop.events)
            s_on_event(&loop);
        else if (zpoller_terminated(poller) && zmq_errno() != EINTR)
            break; /* the context is gone; SIGHUP only interrupts */
    }
    rc = 0;
    ps_log_info("stopping last_seq=%lld",
                (long long)learner_store_last_seq(loop.store));
out:
    if (rc != 0)
        ps_log_error("cannot start: %s", err);
    zpoller_destroy(&poller);
    ps_beat_destroy(&loop.beat);
    ps_req_destroy(&loop.authority);
    zsock_destroy(&loop.models);
    zsock_destroy(&loop.collect);
    zsock_destroy(&loop.events);
    learner_store_destroy(&loop.store);
    return rc;
}
