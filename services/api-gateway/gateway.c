/*  gateway - see gateway.h.

    The bus loop is single-threaded on purpose: claims, decisions and
    releases for one request are serialized through it, so the state
    machine in gw_store needs no cross-thread reasoning beyond SQLite's own
    transactions (HTTP workers only take reviews, guarded by a conditional
    UPDATE). After every message the loop publishes the events written
    since the last publish, in sequence order, whoever wrote them.
    The bus loop and the applier are both on the webhook->applied path and
    both write, so neither may wait on a timer for the other: their
    connections retry a busy lock after microseconds (s_busy_wait), not
    after SQLite's default 1, 2, 5, 10 ms sleeps, and they leave WAL
    checkpoints (two fdatasyncs, 4-13 ms measured) to a checkpointer
    thread that a commit wakes once the WAL holds GW_CHECKPOINT_PAGES
    pages. A PASSIVE checkpoint takes no writer lock, so commits go on
    meanwhile (bench/ANALYSIS.md, webhook->applied).                      */
#include "gateway.h"
#include "gw_apply.h"
#include "gw_budget.h"
#include "gw_http.h"
#include "gw_import.h"
#include "gw_poster.h"
#include "gw_reply.h"
#include "gw_shared.h"
#include "gw_store.h"
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_control.h"
#include "ps_db.h"
#include "ps_fact.h"
#include "ps_log.h"
#include "ps_mp.h"
#include "ps_overseerr.h"
#include "ps_service.h"
#include "ps_time.h"
#include "ps_work.h"
#include "rules.h"

#include <civetweb.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PS_WEB_ROOT_DEFAULT
#define PS_WEB_ROOT_DEFAULT "web"
#endif

#define GW_PROBE_INTERVAL_MS 30000
#define GW_CATCHUP_MAX 1000
#define GW_CLAIM_MAX 1000
/* WAL size (pages) at which a commit wakes the checkpointer: SQLite's own
   auto-checkpoint threshold. */
#define GW_CHECKPOINT_PAGES 1000
/* Busy-lock retries: first wait, cap and total (the old busy_timeout). */
#define GW_BUSY_FIRST_US 20
#define GW_BUSY_CAP_US 1000
#define GW_BUSY_TOTAL_US 5000000

/* The checkpointer thread's state; commits on the tuned connections wake
   it through their WAL hook. */
typedef struct {
    pthread_mutex_t lock; /* guards the flags below */
    pthread_cond_t cond;  /* signalled when wanted or stopping is set */
    bool wanted;          /* the WAL reached GW_CHECKPOINT_PAGES */
    int last_wal_pages;   /* WAL size at the last checkpoint */
    bool stopping;        /* the thread must finish */
    const char *db_path;  /* moderation.db (gw_shared_t, fixed) */
} s_checkpointer_t;

struct gateway {
    gw_shared_t shared;            /* what the threads share */
    char *config_path;             /* for reloads */
    gw_budget_t *budget;           /* AI budget reservations */
    gw_store_t *store;             /* the bus loop's connection */
    zsock_t *collect;              /* PULL */
    zsock_t *events;               /* PUB */
    zsock_t *authority;            /* REP */
    zsock_t *commands;             /* PUSH to the poller */
    zsock_t *nudge;                /* inproc PULL from HTTP workers, applier */
    zpoller_t *poller;             /* over the three inputs */
    int64_t published_seq;         /* last event published */
    pthread_t applier;             /* the applier thread */
    bool applier_started;          /* join it on destroy */
    s_checkpointer_t checkpointer; /* WAL checkpoints off the hot path */
    pthread_t checkpoint_thread;   /* runs s_checkpointer_main */
    bool checkpoint_started;       /* join it on destroy */
    struct mg_context *http;       /* civetweb */
};

void
gw_shared_wake_applier(gw_shared_t *shared)
{
    pthread_mutex_lock(&shared->apply_lock);
    shared->apply_wanted = true;
    pthread_cond_signal(&shared->apply_cond);
    pthread_mutex_unlock(&shared->apply_lock);
}

void
gw_shared_events_published(gw_shared_t *shared, int64_t seq)
{
    pthread_mutex_lock(&shared->events_lock);
    shared->events_seq = seq;
    pthread_cond_broadcast(&shared->events_cond);
    pthread_mutex_unlock(&shared->events_lock);
}

void
gw_shared_progress_changed(gw_shared_t *shared)
{
    pthread_mutex_lock(&shared->events_lock);
    shared->progress_gen++;
    pthread_cond_broadcast(&shared->events_cond);
    pthread_mutex_unlock(&shared->events_lock);
}

void
gw_shared_stop(gw_shared_t *shared)
{
    pthread_mutex_lock(&shared->apply_lock);
    pthread_mutex_lock(&shared->events_lock);
    shared->stopping = true;
    pthread_cond_broadcast(&shared->events_cond);
    pthread_mutex_unlock(&shared->events_lock);
    pthread_cond_signal(&shared->apply_cond);
    pthread_mutex_unlock(&shared->apply_lock);
}

/* ---- SQLite writers on the hot path ------------------------------------ */

/* sqlite3_busy_handler: retries after 20 us, doubling up to 1 ms, for
   5 s in all. A commit here takes well under a millisecond. */
static int
s_busy_wait(void *arg, int count)
{
    (void)arg;
    int64_t wait_us = GW_BUSY_FIRST_US;
    int64_t waited_us = 0;
    for (int i = 0; i < count && waited_us < GW_BUSY_TOTAL_US; i++) {
        waited_us += wait_us;
        wait_us = wait_us * 2 > GW_BUSY_CAP_US ? GW_BUSY_CAP_US : wait_us * 2;
    }
    if (waited_us >= GW_BUSY_TOTAL_US)
        return 0;
    struct timespec pause = {0, (long)wait_us * 1000};
    nanosleep(&pause, NULL);
    return 1;
}

/* sqlite3_wal_hook: runs after a commit released its lock. */
static int
s_on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    s_checkpointer_t *checkpointer = arg;
    if (pages < GW_CHECKPOINT_PAGES)
        return SQLITE_OK;
    /* A WAL that a reader kept from restarting is checkpointed again only
       after it grew by a quarter of the threshold, not at every commit. */
    pthread_mutex_lock(&checkpointer->lock);
    int last = checkpointer->last_wal_pages;
    if (pages < last || pages >= last + GW_CHECKPOINT_PAGES / 4) {
        checkpointer->wanted = true;
        pthread_cond_signal(&checkpointer->cond);
    }
    pthread_mutex_unlock(&checkpointer->lock);
    return SQLITE_OK;
}

/* Gives a bus-loop or applier connection the fast busy retry and hands
   its checkpoints to the checkpointer (the hook replaces SQLite's
   auto-checkpoint on this connection). */
static void
s_tune_writer(gw_store_t *store, s_checkpointer_t *checkpointer)
{
    sqlite3 *db = gw_store_sqlite(store);
    sqlite3_busy_handler(db, s_busy_wait, NULL);
    sqlite3_wal_hook(db, s_on_wal_commit, checkpointer);
}

static void *
s_checkpointer_main(void *arg)
{
    s_checkpointer_t *checkpointer = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(checkpointer->db_path, &db, SQLITE_OPEN_READWRITE, NULL)
        != SQLITE_OK) {
        ps_log_error("checkpointer cannot open %s: %s", checkpointer->db_path,
                     db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_handler(db, s_busy_wait, NULL);
    /* A connection learns that the database is in WAL mode on its first
       read; until then a checkpoint does nothing (and says -1). */
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL)
        != SQLITE_OK)
        ps_log_warn("checkpointer cannot read %s: %s", checkpointer->db_path,
                    sqlite3_errmsg(db));
    pthread_mutex_lock(&checkpointer->lock);
    while (!checkpointer->stopping) {
        if (!checkpointer->wanted) {
            pthread_cond_wait(&checkpointer->cond, &checkpointer->lock);
            continue;
        }
        checkpointer->wanted = false;
        pthread_mutex_unlock(&checkpointer->lock);
        int wal_pages = 0, moved = 0;
        if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                      &wal_pages, &moved)
            != SQLITE_OK)
            ps_log_warn("WAL checkpoint failed: %s", sqlite3_errmsg(db));
        else
            ps_log_debug("WAL checkpoint wal_pages=%d moved=%d", wal_pages,
                         moved);
        pthread_mutex_lock(&checkpointer->lock);
        checkpointer->last_wal_pages = wal_pages;
    }
    pthread_mutex_unlock(&checkpointer->lock);
    sqlite3_close(db);
    return NULL;
}

/* ---- applier thread --------------------------------------------------- */

static ps_overseerr_t *
s_overseerr_for(gw_shared_t *shared)
{
    pthread_rwlock_rdlock(&shared->config_lock);
    ps_config_t *config = shared->config;
    ps_overseerr_t *client =
        ps_overseerr_new(config->overseerr.url, config->overseerr.api_key,
                         config->overseerr.timeout_ms);
    pthread_rwlock_unlock(&shared->config_lock);
    return client;
}

static void
s_probe_overseerr(gw_shared_t *shared, ps_overseerr_t *overseerr)
{
    pthread_rwlock_rdlock(&shared->config_lock);
    bool configured = *shared->config->overseerr.url != '\0';
    pthread_rwlock_unlock(&shared->config_lock);
    if (!configured) {
        gw_health_overseerr(shared->health, false,
                            "no Overseerr URL configured: set "
                            "OVERSEERR_API_URL or overseerr.url",
                            ps_time_now_ms());
        return;
    }
    json_t *me = NULL;
    ps_overseerr_rc_t rc = ps_overseerr_get(overseerr, "/auth/me", &me);
    json_decref(me);
    char detail[600];
    if (rc == PS_OVERSEERR_OK)
        snprintf(detail, sizeof(detail), "reachable, API key accepted");
    else if (rc == PS_OVERSEERR_FORBIDDEN)
        snprintf(detail, sizeof(detail),
                 "reachable but the API key is refused (403): check "
                 "OVERSEERR_API_KEY");
    else
        snprintf(detail, sizeof(detail), "%s", ps_overseerr_error(overseerr));
    gw_health_overseerr(shared->health, rc == PS_OVERSEERR_OK, detail,
                        ps_time_now_ms());
}

/* Applies every decision that is due. Returns how many were handled. */
static int
s_apply_due(gw_store_t *store, ps_overseerr_t *overseerr, int retry_s)
{
    int handled = 0;
    int64_t request_id;
    ps_outcome_t outcome;
    while (!zsys_interrupted
           && gw_store_next_to_apply(store, ps_time_now_ms(), &request_id,
                                     &outcome)
                  == 1) {
        int64_t status = -1;
        char detail[512];
        gw_apply_rc_t rc = gw_apply(overseerr, request_id, outcome, &status,
                                    detail, sizeof(detail));
        int64_t now = ps_time_now_ms();
        if (rc == GW_APPLY_RETRY)
            ps_log_warn("apply failed, will retry req=%lld outcome=%s "
                        "in=%ds err=\"%s\"",
                        (long long)request_id, ps_outcome_name(outcome),
                        retry_s, detail);
        else if (rc == GW_APPLY_ELSEWHERE)
            ps_log_info("decided elsewhere req=%lld status=%lld",
                        (long long)request_id, (long long)status);
        else
            ps_log_debug("applied req=%lld outcome=%s", (long long)request_id,
                         ps_outcome_name(outcome));
        if (gw_store_apply_result(store, request_id, rc, status, detail, now,
                                  now + (int64_t)retry_s * 1000)
            != 0) {
            ps_log_error("cannot record apply result req=%lld err=\"%s\"",
                         (long long)request_id, gw_store_error(store));
            break;
        }
        handled++;
        if (rc == GW_APPLY_RETRY && status < 0)
            break; /* Overseerr is unreachable: do not hammer it. */
    }
    return handled;
}

static void *
s_applier_main(void *arg)
{
    gateway_t *gateway = arg;
    gw_shared_t *shared = &gateway->shared;
    char err[512];
    gw_store_t *store = gw_store_open(shared->db_path, err, sizeof(err));
    if (store)
        s_tune_writer(store, &gateway->checkpointer);
    ps_overseerr_t *overseerr = s_overseerr_for(shared);
    zsock_t *nudge = zsock_new_push(shared->nudge_endpoint);
    if (!store || !overseerr || !nudge) {
        ps_log_error("applier cannot start: %s", store ? "out of memory" : err);
        goto out;
    }
    int64_t next_probe = 0;
    while (true) {
        pthread_rwlock_rdlock(&shared->config_lock);
        bool observe_only = shared->config->observe_only;
        int retry_s = shared->config->gateway.apply_retry_s;
        pthread_rwlock_unlock(&shared->config_lock);

        if (ps_time_mono_ms() >= next_probe) {
            s_probe_overseerr(shared, overseerr);
            next_probe = ps_time_mono_ms() + GW_PROBE_INTERVAL_MS;
        }
        if (!observe_only && s_apply_due(store, overseerr, retry_s))
            zstr_send(nudge, "");

        pthread_mutex_lock(&shared->apply_lock);
        if (!shared->apply_wanted && !shared->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&shared->apply_cond, &shared->apply_lock,
                                   &until);
        }
        shared->apply_wanted = false;
        bool stopping = shared->stopping;
        pthread_mutex_unlock(&shared->apply_lock);
        if (stopping)
            break;
    }
out:
    zsock_destroy(&nudge);
    ps_overseerr_destroy(&overseerr);
    gw_store_destroy(&store);
    return NULL;
}

/* ---- bus loop --------------------------------------------------------- */

static void
s_publish_batches(gateway_t *self)
{
    while (true) {
        ps_event_t **events = NULL;
        size_t count = 0;
        if (gw_store_events_since(self->store, self->published_seq, 500,
                                  &events, &count)
            != 0) {
            ps_log_error("cannot read events: %s", gw_store_error(self->store));
            return;
        }
        for (size_t i = 0; i < count; i++) {
            zframe_t *frame = ps_event_encode(events[i]);
            if (frame && zframe_send(&frame, self->events, 0) == 0)
                self->published_seq = events[i]->seq;
            zframe_destroy(&frame);
            ps_event_destroy(&events[i]);
        }
        free(events);
        if (count < 500)
            return;
    }
}

/* Publishes what was written since the last call, then wakes the live
   event streams (gw_sse), which read the same rows from the database. */
static void
s_publish_events(gateway_t *self)
{
    int64_t before = self->published_seq;
    s_publish_batches(self);
    if (self->published_seq != before)
        gw_shared_events_published(&self->shared, self->published_seq);
}

static void
s_on_decision(gateway_t *self, zframe_t *frame)
{
    ps_work_t *work = NULL;
    char err[256];
    if (ps_work_decode(frame, &work, err, sizeof(err)) != 0) {
        ps_log_error("dropped a malformed work message: %s", err);
        return;
    }
    int64_t now = ps_time_now_ms();
    if (strcmp(work->type, "release") == 0) {
        if (gw_store_release(self->store, work->request_id, work->reason, now)
            != 0)
            ps_log_error("cannot release req=%lld err=\"%s\"",
                         (long long)work->request_id,
                         gw_store_error(self->store));
        else
            ps_log_info("claim released req=%lld reason=\"%s\"",
                        (long long)work->request_id,
                        work->reason ? work->reason : "");
    } else if (strcmp(work->type, "decision") != 0)
        ps_log_error("dropped a %s message on collect: only decisions and "
                     "releases belong there",
                     work->type);
    else {
        gw_record_rc_t rc = gw_store_record_decision(self->store, work, now);
        if (rc == GW_RECORD_OK) {
            ps_log_info(
                "decided req=%lld outcome=%s source=%s rule=%s",
                (long long)work->request_id, ps_outcome_name(work->outcome),
                work->source ? work->source : "", work->rule ? work->rule : "");
            if (work->outcome != PS_OUTCOME_REVIEW)
                gw_shared_wake_applier(&self->shared);
        } else if (rc == GW_RECORD_ERROR)
            ps_log_error("cannot record decision req=%lld err=\"%s\"",
                         (long long)work->request_id,
                         gw_store_error(self->store));
        else
            ps_log_warn("ignored a decision for req=%lld: %s",
                        (long long)work->request_id,
                        rc == GW_RECORD_DUPLICATE ? "already decided"
                                                  : "never claimed");
    }
    ps_work_destroy(&work);
}

static void
s_on_elsewhere(gateway_t *self, zframe_t *frame)
{
    ps_ids_t *ids = NULL;
    char err[256];
    if (ps_ids_decode(frame, "elsewhere", &ids, err, sizeof(err)) != 0) {
        ps_log_error("dropped a malformed elsewhere message: %s", err);
        return;
    }
    for (size_t i = 0; i < ids->count; i++) {
        int64_t status = ids->values ? ids->values[i] : -1;
        int rc = gw_store_mark_elsewhere(self->store, ids->ids[i], status,
                                         ps_time_now_ms());
        if (rc < 0)
            ps_log_error("cannot close req=%lld err=\"%s\"",
                         (long long)ids->ids[i], gw_store_error(self->store));
        else if (rc > 0)
            ps_log_info("closed as decided elsewhere req=%lld status=%lld",
                        (long long)ids->ids[i], (long long)status);
    }
    ps_ids_destroy(&ids);
}

static void
s_on_collect(gateway_t *self)
{
    zmsg_t *msg = zmsg_recv(self->collect);
    if (!msg)
        return;
    zframe_t *frame = zmsg_first(msg);
    char type[32] = "";
    char err[256];
    if (!frame || ps_mp_peek_type(frame, type, sizeof(type)) != 0) {
        ps_log_error("dropped an unreadable message on collect (%zu bytes)",
                     frame ? zframe_size(frame) : 0);
    } else if (strcmp(type, "decision") == 0 || strcmp(type, "release") == 0)
        s_on_decision(self, frame);
    else if (strcmp(type, "heartbeat") == 0) {
        ps_heartbeat_t *beat = NULL;
        if (ps_heartbeat_decode(frame, &beat, err, sizeof(err)) == 0)
            gw_health_beat(self->shared.health, beat, ps_time_mono_ms());
        else
            ps_log_error("dropped a malformed heartbeat: %s", err);
        ps_heartbeat_destroy(&beat);
    } else if (strcmp(type, "status") == 0) {
        ps_status_t *status = NULL;
        if (ps_status_decode(frame, &status, err, sizeof(err)) == 0) {
            gw_health_status(self->shared.health, status);
            gw_shared_progress_changed(&self->shared);
        } else
            ps_log_error("dropped a malformed status: %s", err);
        ps_status_destroy(&status);
    } else if (strcmp(type, "usage") == 0) {
        ps_usage_t *usage = NULL;
        if (ps_usage_decode(frame, &usage, err, sizeof(err)) != 0)
            ps_log_error("dropped a malformed usage record: %s", err);
        else if (gw_store_add_usage(self->store, usage) != 0)
            ps_log_error("cannot store usage: %s", gw_store_error(self->store));
        else
            gw_budget_settle(self->budget, usage->request_id,
                             ps_time_mono_ms());
        ps_usage_destroy(&usage);
    } else if (strcmp(type, "elsewhere") == 0)
        s_on_elsewhere(self, frame);
    else
        ps_log_warn("ignored a %s message on collect", type);
    zmsg_destroy(&msg);
}

static zmsg_t *
s_answer_claim(gateway_t *self, ps_ids_t *ask)
{
    ps_ids_t *granted = ps_ids_new("granted", ask->count, false);
    if (!granted)
        return NULL;
    int lease_s = self->shared.config->gateway.lease_s;
    if (ask->count > GW_CLAIM_MAX
        || gw_store_claim(self->store, ask->ids, ask->count, ps_time_now_ms(),
                          (int64_t)lease_s * 1000, ask->owner, granted->ids,
                          &granted->count)
               != 0) {
        ps_log_error("claim refused: %s", ask->count > GW_CLAIM_MAX
                                              ? "too many ids"
                                              : gw_store_error(self->store));
        granted->count = 0;
    }
    zmsg_t *reply = ps_ids_encode(granted);
    ps_ids_destroy(&granted);
    return reply;
}

static zmsg_t *
s_answer_pending(gateway_t *self, ps_ids_t *seen)
{
    ps_ids_t *check = ps_ids_new("check", 0, false);
    if (!check)
        return NULL;
    free(check->ids);
    check->ids = NULL;
    if (gw_store_open_not_seen(self->store, seen->ids, seen->count, &check->ids,
                               &check->count)
        != 0)
        ps_log_error("cannot list open requests: %s",
                     gw_store_error(self->store));
    zmsg_t *reply = ps_ids_encode(check);
    ps_ids_destroy(&check);
    return reply;
}

static zmsg_t *
s_answer_catchup(gateway_t *self, zframe_t *frame)
{
    int64_t since = 0, limit = 0;
    char err[256];
    if (ps_catchup_decode(frame, &since, &limit, err, sizeof(err)) != 0) {
        ps_log_error("bad catch-up request: %s", err);
        return NULL;
    }
    if (limit <= 0 || limit > GW_CATCHUP_MAX)
        limit = GW_CATCHUP_MAX;
    ps_event_t **events = NULL;
    size_t count = 0;
    if (gw_store_events_since(self->store, since, limit, &events, &count)
        != 0) {
        ps_log_error("cannot read events: %s", gw_store_error(self->store));
        return NULL;
    }
    int64_t last = count ? events[count - 1]->seq : since;
    zmsg_t *reply = ps_catchup_reply_new((int64_t)count, last);
    for (size_t i = 0; i < count; i++) {
        zframe_t *event = ps_event_encode(events[i]);
        if (reply && event)
            zmsg_append(reply, &event);
        zframe_destroy(&event);
        ps_event_destroy(&events[i]);
    }
    free(events);
    return reply;
}

static zmsg_t *
s_answer_reserve(gateway_t *self, zframe_t *frame)
{
    int64_t request_id = 0;
    double estimate = 0;
    char *instance = NULL;
    char err[256];
    if (ps_reserve_decode(frame, &request_id, &estimate, &instance, err,
                          sizeof(err))
        != 0) {
        ps_log_error("bad reserve request: %s", err);
        return NULL;
    }
    free(instance);
    ps_reserve_reply_t reply = {0};
    if (gw_budget_reserve(self->budget, self->store, request_id, estimate,
                          self->shared.config->ai.daily_budget_usd,
                          ps_time_now_ms(), ps_time_mono_ms(), &reply)
        != 0) {
        ps_log_error("cannot read today's AI spend: %s",
                     gw_store_error(self->store));
        return NULL;
    }
    if (!reply.granted)
        ps_log_info("AI budget reached req=%lld spent=%.4f reserved=%.4f "
                    "budget=%.4f",
                    (long long)request_id, reply.spent_usd, reply.reserved_usd,
                    reply.budget_usd);
    gw_health_budget(self->shared.health, reply.spent_usd, reply.reserved_usd,
                     reply.budget_usd);
    return ps_reserve_reply_encode(&reply);
}

static zmsg_t *
s_answer_history(gateway_t *self, zframe_t *frame)
{
    int64_t user_id = 0, request_id = 0, since = 0;
    char err[256];
    if (ps_history_ask_decode(frame, &user_id, &request_id, &since, err,
                              sizeof(err))
        != 0) {
        ps_log_error("bad history request: %s", err);
        return NULL;
    }
    ps_history_t history;
    if (gw_store_history(self->store, user_id, request_id, since, &history)
        != 0) {
        ps_log_error("cannot read history user=%lld err=\"%s\"",
                     (long long)user_id, gw_store_error(self->store));
        return NULL;
    }
    return ps_history_encode(&history);
}

static void
s_on_authority(gateway_t *self)
{
    zmsg_t *msg = zmsg_recv(self->authority);
    if (!msg)
        return;
    zframe_t *frame = zmsg_first(msg);
    char type[32] = "";
    char err[256];
    zmsg_t *reply = NULL;
    if (frame && ps_mp_peek_type(frame, type, sizeof(type)) == 0) {
        if (strcmp(type, "catchup") == 0)
            reply = s_answer_catchup(self, frame);
        else if (strcmp(type, "history") == 0)
            reply = s_answer_history(self, frame);
        else if (strcmp(type, "reserve") == 0)
            reply = s_answer_reserve(self, frame);
        else {
            ps_ids_t *ids = NULL;
            if (ps_ids_decode(frame, NULL, &ids, err, sizeof(err)) != 0)
                ps_log_error("bad authority request: %s", err);
            else if (strcmp(ids->type, "claim") == 0)
                reply = s_answer_claim(self, ids);
            else if (strcmp(ids->type, "pending") == 0)
                reply = s_answer_pending(self, ids);
            else
                ps_log_error("authority cannot answer a %s message", type);
            ps_ids_destroy(&ids);
        }
    } else
        ps_log_error("dropped an unreadable authority request");
    /* REP must answer every request; an empty frame tells the asker its
       request was refused. */
    if (!reply) {
        reply = zmsg_new();
        zmsg_addmem(reply, NULL, 0);
    }
    if (zmsg_send(&reply, self->authority) != 0)
        zmsg_destroy(&reply);
    zmsg_destroy(&msg);
}

static void
s_on_nudge(gateway_t *self)
{
    zmsg_t *msg = zmsg_recv(self->nudge);
    zframe_t *frame = msg ? zmsg_first(msg) : NULL;
    if (frame && zframe_size(frame) > 0) {
        zmsg_t *command = zmsg_dup(msg);
        if (ps_bus_send(self->commands, &command) != 0)
            ps_log_warn("could not hand a command to the poller; the next "
                        "scan will pick the work up");
    }
    zmsg_destroy(&msg);
}

static void
s_reload(gateway_t *self)
{
    ps_config_t *fresh = self->shared.config;
    char err[512];
    pthread_rwlock_wrlock(&self->shared.config_lock);
    int rc = ps_service_reload(self->config_path, &fresh, err, sizeof(err));
    self->shared.config = fresh;
    pthread_rwlock_unlock(&self->shared.config_lock);
    gw_health_self(self->shared.health, fresh->version, rc == 0 ? NULL : err);
}

int
gateway_run(gateway_t *self)
{
    ps_log_info("gateway ready: dashboard at http://%s/",
                self->shared.config->gateway.listen);
    while (!zsys_interrupted) {
        if (ps_signals_take_reload())
            s_reload(self);
        zsock_t *which = zpoller_wait(self->poller, 1000);
        if (which == self->collect)
            s_on_collect(self);
        else if (which == self->authority)
            s_on_authority(self);
        else if (which == self->nudge)
            s_on_nudge(self);
        /* A NULL from a poll that SIGHUP interrupted reads as "terminated"
           in czmq; only zsys_interrupted (SIGINT/SIGTERM) stops us. */
        s_publish_events(self);
    }
    ps_log_info("gateway stopping");
    return 0;
}

/* ---- lifecycle -------------------------------------------------------- */

static int
s_bind_all(gateway_t *self, char *err, size_t errlen)
{
    ps_config_t *config = self->shared.config;
    ps_bus_options_t options = ps_bus_defaults();
    options.rcvhwm = 100000;
    self->collect = ps_bus_socket(config, ZMQ_PULL, config->bus.collect, true,
                                  &options, err, errlen);
    if (!self->collect)
        return -1;
    options = ps_bus_defaults();
    options.sndhwm = 100000;
    options.sndtimeo = 0;
    self->events = ps_bus_socket(config, ZMQ_PUB, config->bus.events, true,
                                 &options, err, errlen);
    if (!self->events)
        return -1;
    options = ps_bus_defaults();
    self->authority = ps_bus_socket(config, ZMQ_REP, config->bus.authority,
                                    true, &options, err, errlen);
    if (!self->authority)
        return -1;
    options.sndtimeo = 0;
    self->commands = ps_bus_socket(config, ZMQ_PUSH, config->bus.commands,
                                   false, &options, err, errlen);
    if (!self->commands)
        return -1;
    self->nudge = zsock_new_pull(self->shared.nudge_endpoint);
    if (!self->nudge) {
        snprintf(err, errlen, "cannot bind %s", self->shared.nudge_endpoint);
        return -1;
    }
    self->poller =
        zpoller_new(self->collect, self->authority, self->nudge, NULL);
    return self->poller ? 0 : -1;
}

static void
s_exit_thread(const struct mg_context *ctx, int thread_type, void *user)
{
    (void)ctx;
    (void)thread_type;
    (void)user;
    gw_reply_thread_exit();
}

static int
s_start_http(gateway_t *self, char *err, size_t errlen)
{
    ps_config_t *config = self->shared.config;
    char threads[16];
    /* Each live event stream holds a worker for as long as it is open:
       they get threads of their own so the API never starves. */
    snprintf(threads, sizeof(threads), "%d",
             config->gateway.threads + self->shared.sse_max);
    const char *options[] = {"listening_ports",
                             config->gateway.listen,
                             "num_threads",
                             threads,
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "5000",
                             "tcp_nodelay",
                             "1",
                             "request_timeout_ms",
                             "15000",
                             NULL};
    struct mg_callbacks callbacks;
    memset(&callbacks, 0, sizeof(callbacks));
    callbacks.exit_thread = s_exit_thread;
    struct mg_init_data init;
    memset(&init, 0, sizeof(init));
    init.callbacks = &callbacks;
    init.user_data = &self->shared;
    init.configuration_options = options;
    struct mg_error_data error = {0};
    char text[256] = "";
    error.text = text;
    error.text_buffer_size = sizeof(text);
    self->http = mg_start2(&init, &error);
    if (!self->http) {
        snprintf(err, errlen, "cannot start HTTP on %s: %s",
                 config->gateway.listen, text);
        return -1;
    }
    mg_set_request_handler(self->http, "/", gw_http_handle, &self->shared);
    return 0;
}

/* Loads the token key, makes sure someone can log in, and registers the
   API token provided in the environment. The admin password goes to a
   0600 file whose path is logged; only demo mode prints it, on the
   console and not in the log. */
static int
s_setup_auth(gateway_t *self, const ps_config_t *config, char *err,
             size_t errlen)
{
    if (gw_auth_key_load(config->data_dir, self->shared.auth_key, err, errlen)
        != 0)
        return -1;
    char where[1024];
    char password[64] = "";
    int created =
        gw_auth_bootstrap(self->store, config->data_dir, where, sizeof(where),
                          password, sizeof(password), err, errlen);
    if (created < 0)
        return -1;
    if (created) {
        ps_log_info("created the first user, admin; its one-time password "
                    "is in %s (0600): log in, then delete the file",
                    where);
        if (config->demo) {
            printf("PlexStaffAI demo login: admin / %s\n", password);
            fflush(stdout);
        }
    }
    sodium_memzero(password, sizeof(password));
    const char *token = getenv("PLEXSTAFFAI_API_TOKEN");
    if (token && *token) {
        const char *role_name = getenv("PLEXSTAFFAI_API_TOKEN_ROLE");
        gw_role_t role = GW_ROLE_STAFF;
        if (role_name && gw_role_parse(role_name, &role) != 0) {
            snprintf(err, errlen,
                     "PLEXSTAFFAI_API_TOKEN_ROLE: expected viewer, staff or "
                     "admin, got \"%.32s\"",
                     role_name);
            return -1;
        }
        if (gw_auth_token_provision(self->store, self->shared.auth_key, token,
                                    role, ps_time_now_ms(), err, errlen)
            != 0)
            return -1;
        ps_log_info("API token from PLEXSTAFFAI_API_TOKEN accepted role=%s",
                    gw_role_name(role));
    }
    return 0;
}

gateway_t *
gateway_new(ps_config_t **config_p, const char *config_path, char *err,
            size_t errlen)
{
    gateway_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        ps_config_destroy(config_p);
        return NULL;
    }
    ps_config_t *config = *config_p;
    *config_p = NULL;
    gw_shared_t *shared = &self->shared;
    pthread_rwlock_init(&shared->config_lock, NULL);
    pthread_mutex_init(&shared->apply_lock, NULL);
    pthread_mutex_init(&shared->stats.lock, NULL);
    pthread_mutex_init(&shared->reviews.lock, NULL);
    pthread_cond_init(&shared->apply_cond, NULL);
    pthread_mutex_init(&shared->events_lock, NULL);
    pthread_cond_init(&shared->events_cond, NULL);
    shared->sse_max = config->gateway.sse_max_clients;
    shared->started_at = ps_time_now_ms();
    pthread_mutex_init(&self->checkpointer.lock, NULL);
    pthread_cond_init(&self->checkpointer.cond, NULL);
    self->checkpointer.db_path = shared->db_path;
    shared->config = config;
    shared->health = gw_health_new();
    snprintf(shared->nudge_endpoint, sizeof(shared->nudge_endpoint),
             "inproc://gw-nudge-%p", (void *)self);
    snprintf(shared->web_root, sizeof(shared->web_root), "%s",
             *config->gateway.web_root ? config->gateway.web_root
                                       : PS_WEB_ROOT_DEFAULT);
    self->config_path = config_path ? strdup(config_path) : NULL;
    int n = snprintf(shared->db_path, sizeof(shared->db_path),
                     "%s/moderation.db", config->data_dir);
    if (!shared->health || (config_path && !self->config_path) || n < 0
        || (size_t)n >= sizeof(shared->db_path)) {
        snprintf(err, errlen, "out of memory or data_dir too long");
        goto fail;
    }
    if (ps_db_mkdirs(config->data_dir) != 0) {
        snprintf(err, errlen, "cannot create data_dir %s", config->data_dir);
        goto fail;
    }
    /* Before any thread exists: backtests and the prototype's local
       timestamps read local time (rules.h). */
    rules_use_timezone(config);
    gw_import_summary_t imported;
    if (gw_import_prototype(config->data_dir, ps_time_now_ms(), &imported, err,
                            errlen)
        != 0)
        goto fail;
    self->store = gw_store_open(shared->db_path, err, errlen);
    if (!self->store)
        goto fail;
    if (pthread_create(&self->checkpoint_thread, NULL, s_checkpointer_main,
                       &self->checkpointer)
        != 0) {
        snprintf(err, errlen, "cannot start the checkpointer thread");
        goto fail;
    }
    self->checkpoint_started = true;
    s_tune_writer(self->store, &self->checkpointer);
    if (s_setup_auth(self, config, err, errlen) != 0)
        goto fail;
    self->budget = gw_budget_new();
    if (!self->budget) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    self->published_seq = gw_store_last_seq(self->store);
    if (self->published_seq < 0) {
        snprintf(err, errlen, "%s", gw_store_error(self->store));
        goto fail;
    }
    shared->events_seq = self->published_seq;
    shared->posters = gw_poster_cache_new(config->data_dir, err, errlen);
    if (!shared->posters)
        goto fail;
    if (s_bind_all(self, err, errlen) != 0)
        goto fail;
    if (pthread_create(&self->applier, NULL, s_applier_main, self) != 0) {
        snprintf(err, errlen, "cannot start the applier thread");
        goto fail;
    }
    self->applier_started = true;
    if (s_start_http(self, err, errlen) != 0)
        goto fail;
    gw_health_self(shared->health, config->version, NULL);
    ps_log_info("started data_dir=%s collect=%s events=%s authority=%s "
                "commands=%s http=%s observe_only=%s",
                config->data_dir, config->bus.collect, config->bus.events,
                config->bus.authority, config->bus.commands,
                config->gateway.listen, config->observe_only ? "yes" : "no");
    return self;
fail:
    gateway_destroy(&self);
    return NULL;
}

void
gateway_destroy(gateway_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gateway_t *self = *self_p;
    /* Streams wait in civetweb handlers: they must hear "stopping" before
       mg_stop, which waits for every handler to return. */
    gw_shared_stop(&self->shared);
    if (self->http)
        mg_stop(self->http);
    if (self->applier_started)
        pthread_join(self->applier, NULL);
    zpoller_destroy(&self->poller);
    zsock_destroy(&self->nudge);
    zsock_destroy(&self->commands);
    zsock_destroy(&self->authority);
    zsock_destroy(&self->events);
    zsock_destroy(&self->collect);
    gw_budget_destroy(&self->budget);
    gw_store_destroy(&self->store);
    if (self->checkpoint_started) {
        pthread_mutex_lock(&self->checkpointer.lock);
        self->checkpointer.stopping = true;
        pthread_cond_signal(&self->checkpointer.cond);
        pthread_mutex_unlock(&self->checkpointer.lock);
        pthread_join(self->checkpoint_thread, NULL);
    }
    pthread_cond_destroy(&self->checkpointer.cond);
    pthread_mutex_destroy(&self->checkpointer.lock);
    gw_health_destroy(&self->shared.health);
    ps_config_destroy(&self->shared.config);
    gw_poster_cache_destroy(&self->shared.posters);
    pthread_cond_destroy(&self->shared.events_cond);
    pthread_mutex_destroy(&self->shared.events_lock);
    pthread_cond_destroy(&self->shared.apply_cond);
    pthread_mutex_destroy(&self->shared.apply_lock);
    pthread_mutex_destroy(&self->shared.stats.lock);
    free(self->shared.stats.body);
    pthread_mutex_destroy(&self->shared.reviews.lock);
    free(self->shared.reviews.body);
    pthread_rwlock_destroy(&self->shared.config_lock);
    free(self->config_path);
    free(self);
    *self_p = NULL;
}
