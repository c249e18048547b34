/*  poller - see poller.h.

    Shape: the pure parts (MediaRequest -> ps_work_t, the pager) come
    first and touch no socket; the service part after them wires the
    pager to Overseerr and the gateway. A scan runs to completion inside
    one loop iteration; it keeps the heartbeat going and checks for
    SIGTERM between Overseerr calls, so a long backlog neither looks dead
    to the gateway nor delays shutdown by more than one HTTP call.
    Commands that arrive during a scan wait in the PULL queue; several
    "scan" commands in a row collapse into one scan.                      */
#include "poller.h"

#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_control.h"
#include "ps_log.h"
#include "ps_overseerr.h"
#include "ps_service.h"
#include "ps_time.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A listing pass stops here even if pageInfo is missing or lies. */
#define POLLER_MAX_LISTED 1000000
/* ms the gateway gets to answer a claim or a pending list. */
#define POLLER_AUTHORITY_TIMEOUT_MS 3000
/* A scan-progress status goes out after this many newly seen ids. */
#define POLLER_STATUS_EVERY 50
/* ms a scan waits for an enricher to be connected before giving up. */
#define POLLER_WRITABLE_WAIT_MS 1000
/* Outgoing queue limit of the requests PUSH. */
#define POLLER_REQUESTS_HWM 1000

/* ------------------------------------------------------------------ */
/*  MediaRequest JSON -> ps_work_t                                     */

static int
s_set(char **slot, const char *value, char *err, size_t errlen)
{
    if (ps_work_set_str(slot, value) == 0)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Fills the requester's fields; every one of them is optional. */
static int
s_user_from_json(ps_work_t *work, const json_t *user, char *err, size_t errlen)
{
    if (!json_is_object(user))
        return 0;
    int64_t value;
    if (ps_json_int(user, "id", &value) == 0)
        work->user_id = value;
    if (ps_json_int(user, "requestCount", &value) == 0)
        work->user_requests = value;
    const char *created = ps_json_str(user, "createdAt");
    int64_t ms;
    if (created && ps_time_parse_iso(created, &ms) == 0)
        work->user_created_at = ms;
    if (s_set(&work->user_name, ps_json_str(user, "displayName"), err, errlen)
        || s_set(&work->user_username, ps_json_str(user, "username"), err,
                 errlen)
        || s_set(&work->user_plex, ps_json_str(user, "plexUsername"), err,
                 errlen)
        || s_set(&work->user_email, ps_json_str(user, "email"), err, errlen))
        return -1;
    return 0;
}

/* Copies seasons[].seasonNumber; items without a number are skipped. */
static int
s_seasons_from_json(ps_work_t *work, const json_t *seasons, char *err,
                    size_t errlen)
{
    size_t n = json_is_array(seasons) ? json_array_size(seasons) : 0;
    if (n == 0)
        return 0;
    work->seasons = calloc(n, sizeof(*work->seasons));
    if (!work->seasons) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t index;
    const json_t *season;
    json_array_foreach(seasons, index, season)
    {
        int64_t number;
        if (ps_json_int(season, "seasonNumber", &number) == 0)
            work->seasons[work->season_count++] = number;
    }
    return 0;
}

int
poller_request_from_json(const json_t *request, const char *trigger,
                         ps_work_t **out, char *err, size_t errlen)
{
    int rc = -1;
    ps_work_t *work = NULL;
    *out = NULL;
    if (!json_is_object(request)) {
        snprintf(err, errlen, "request: expected a JSON object");
        goto out;
    }
    int64_t id;
    if (ps_json_int(request, "id", &id) != 0 || id <= 0) {
        snprintf(err, errlen, "field `id`: missing or not a positive integer");
        goto out;
    }
    const char *type = ps_json_str(request, "type");
    if (!type) {
        snprintf(err, errlen, "request %" PRId64 ": field `type`: missing", id);
        goto out;
    }
    if (strcmp(type, "movie") != 0 && strcmp(type, "tv") != 0) {
        snprintf(err, errlen,
                 "request %" PRId64 ": field `type`: expected \"movie\" or "
                 "\"tv\", got \"%.32s\"",
                 id, type);
        goto out;
    }
    const json_t *media = json_object_get(request, "media");
    int64_t tmdb_id;
    if (ps_json_int(media, "tmdbId", &tmdb_id) != 0 || tmdb_id <= 0) {
        snprintf(err, errlen,
                 "request %" PRId64 ": field `media.tmdbId`: missing or not "
                 "a positive integer",
                 id);
        goto out;
    }
    work = ps_work_new("request");
    if (!work) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    work->request_id = id;
    work->tmdb_id = tmdb_id;
    work->is4k = json_is_true(json_object_get(request, "is4k"));
    const char *created = ps_json_str(request, "createdAt");
    int64_t ms;
    if (created && ps_time_parse_iso(created, &ms) == 0)
        work->requested_at = ms;
    if (s_set(&work->media_type, type, err, errlen)
        || s_set(&work->trigger, trigger, err, errlen)
        || s_seasons_from_json(work, json_object_get(request, "seasons"), err,
                               errlen)
        || s_user_from_json(work, json_object_get(request, "requestedBy"), err,
                            errlen))
        goto out;
    rc = 0;
out:
    if (rc == 0)
        *out = work;
    else
        ps_work_destroy(&work);
    return rc;
}

/* ------------------------------------------------------------------ */
/*  The pager: listing passes until nothing new                        */

struct poller_pager {
    zhashx_t *seen; /* decimal id -> &s_present, ids seen in this run */
    int64_t *ids;   /* ids in first-seen order */
    size_t count;   /* entries in ids */
    size_t cap;     /* allocated entries in ids */
    int passes;     /* passes of the last run */
    bool capped;    /* the last run hit max_passes still finding ids */
};

static int s_present = 1;

poller_pager_t *
poller_pager_new(void)
{
    poller_pager_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->seen = zhashx_new();
    if (!self->seen)
        poller_pager_destroy(&self);
    return self;
}

void
poller_pager_destroy(poller_pager_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->seen);
    free((*self_p)->ids);
    free(*self_p);
    *self_p = NULL;
}

/* Records id as seen. Returns 1 when it is new, 0 when already seen, -1
   on OOM. */
static int
s_pager_see(poller_pager_t *self, int64_t id)
{
    char key[24];
    snprintf(key, sizeof(key), "%" PRId64, id);
    if (zhashx_lookup(self->seen, key))
        return 0;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 256;
        int64_t *ids = realloc(self->ids, cap * sizeof(*ids));
        if (!ids)
            return -1;
        self->ids = ids;
        self->cap = cap;
    }
    if (zhashx_insert(self->seen, key, &s_present) != 0)
        return -1;
    self->ids[self->count++] = id;
    return 1;
}

/* Splits a page into the requests unseen so far. Returns a new array
   (caller decrefs), or NULL on OOM. */
static json_t *
s_pager_fresh(poller_pager_t *self, const json_t *results)
{
    json_t *fresh = json_array();
    size_t index;
    const json_t *item;
    json_array_foreach(results, index, item)
    {
        int64_t id;
        /* An item without an id cannot be tracked; the converter names
           the missing field when the page reaches it. */
        int seen =
            ps_json_int(item, "id", &id) == 0 ? s_pager_see(self, id) : 1;
        if (seen < 0
            || (seen == 1 && json_array_append(fresh, (json_t *)item) != 0)) {
            json_decref(fresh);
            return NULL;
        }
    }
    return fresh;
}

/* One pass over every page. Returns 1 when it saw new ids, 0 when not,
   -1 when a fetch or fresh() failed. */
static int
s_pager_pass(poller_pager_t *self, int64_t take, poller_fetch_fn *fetch,
             poller_fresh_fn *fresh, void *arg)
{
    int found = 0;
    int64_t skip = 0;
    while (skip < POLLER_MAX_LISTED) {
        json_t *page = NULL;
        if (fetch(arg, skip, take, &page) != 0)
            return -1;
        const json_t *results = json_object_get(page, "results");
        size_t n = json_is_array(results) ? json_array_size(results) : 0;
        int64_t total = -1;
        ps_json_int(json_object_get(page, "pageInfo"), "results", &total);
        json_t *unseen = n ? s_pager_fresh(self, results) : NULL;
        int rc = n && !unseen ? -1 : 0;
        if (unseen && json_array_size(unseen) > 0) {
            found = 1;
            rc = fresh(arg, unseen);
        }
        json_decref(unseen);
        json_decref(page);
        if (rc != 0)
            return -1;
        skip += (int64_t)n;
        if (n == 0 || (total >= 0 && skip >= total))
            break;
    }
    return found;
}

int
poller_pager_run(poller_pager_t *self, int64_t take, int max_passes,
                 poller_fetch_fn *fetch, poller_fresh_fn *fresh, void *arg)
{
    assert(self);
    zhashx_purge(self->seen);
    self->count = 0;
    self->passes = 0;
    self->capped = false;
    int found = 1;
    while (found == 1 && self->passes < max_passes) {
        self->passes++;
        found = s_pager_pass(self, take > 0 ? take : 1, fetch, fresh, arg);
        if (found < 0)
            return -1;
    }
    self->capped = found == 1;
    return 0;
}

const int64_t *
poller_pager_ids(const poller_pager_t *self, size_t *count)
{
    *count = self->count;
    return self->ids;
}

int
poller_pager_passes(const poller_pager_t *self)
{
    return self->passes;
}

bool
poller_pager_capped(const poller_pager_t *self)
{
    return self->capped;
}

/* ------------------------------------------------------------------ */
/*  The service                                                        */

struct poller {
    ps_config_t *config;       /* running config, owned */
    char *config_path;         /* for reloads, or NULL */
    ps_beat_t *beat;           /* heartbeat sender */
    zsock_t *commands;         /* PULL, bound: scan / hint / rejudge */
    zsock_t *requests;         /* PUSH, bound: -> enricher */
    zsock_t *collect;          /* PUSH, connected: -> gateway */
    ps_req_t *authority;       /* REQ to the gateway, NULL if unusable */
    ps_overseerr_t *overseerr; /* NULL while no URL is configured */
    poller_pager_t *pager;     /* the scan's seen set */
    int64_t next_scan_mono;    /* when the next scan is due */
    bool gateway_down;         /* warned that the gateway is silent */
    bool enricher_absent;      /* warned that no enricher is connected */
    /* State of the scan under way, reset at each scan. */
    int64_t scan_done;      /* ids granted + refused */
    int64_t scan_granted;   /* ids granted and sent */
    int64_t scan_status_at; /* seen count at the last status */
    bool scan_warned;       /* the one Overseerr warning was logged */
};

/* Logs an Overseerr failure: a 403 is an error naming the likely cause,
   anything else one warning per scan (the caller keeps the flag). */
static void
s_log_overseerr(poller_t *self, ps_overseerr_rc_t rc, const char *what,
                bool *warned)
{
    if (*warned)
        return;
    *warned = true;
    if (rc == PS_OVERSEERR_FORBIDDEN)
        ps_log_error("Overseerr refused the API key, check OVERSEERR_API_KEY "
                     "(overseerr.api_key); %s retried at the next scan "
                     "err=\"%s\"",
                     what, ps_overseerr_error(self->overseerr));
    else
        ps_log_warn("Overseerr call failed (%s), %s retried at the next scan "
                    "err=\"%s\"",
                    ps_overseerr_strerror(rc), what,
                    ps_overseerr_error(self->overseerr));
}

/* Publishes scan progress; `seen` is the number of ids seen so far. */
static void
s_send_status(poller_t *self, bool running, size_t seen)
{
    ps_status_t *status = ps_status_new();
    if (!status)
        return;
    status->service = strdup("poller");
    status->instance = strdup(ps_beat_instance(self->beat));
    status->at = ps_time_now_ms();
    status->scan_running = running;
    status->done = self->scan_done;
    status->total = (int64_t)seen;
    self->scan_status_at = (int64_t)seen;
    zmsg_t *msg =
        status->service && status->instance ? ps_status_encode(status) : NULL;
    if (msg && ps_bus_send(self->collect, &msg) != 0)
        ps_log_debug("scan status not sent: collect queue full");
    zmsg_destroy(&msg);
    ps_status_destroy(&status);
}

/* True when the socket can take a message within timeout_ms: a bound
   PUSH with no peer never can, and a send would then block. */
static bool
s_writable(zsock_t *socket, int timeout_ms)
{
    zmq_pollitem_t item = {zsock_resolve(socket), 0, ZMQ_POLLOUT, 0};
    return zmq_poll(&item, 1, timeout_ms) > 0 && (item.revents & ZMQ_POLLOUT);
}

/* Asks the gateway for ids. Returns the "granted" reply (caller owns),
   or NULL after logging once that the gateway is silent. */
static ps_ids_t *
s_call_authority(poller_t *self, ps_ids_t *request, const char *expect)
{
    ps_ids_t *reply = NULL;
    zmsg_t *msg = NULL;
    zmsg_t *answer = NULL;
    request->owner = strdup(ps_beat_instance(self->beat));
    if (!request->owner || !self->authority)
        goto out;
    msg = ps_ids_encode(request);
    if (!msg)
        goto out;
    answer = ps_req_call(self->authority, &msg, POLLER_AUTHORITY_TIMEOUT_MS);
    zframe_t *frame = answer ? zmsg_first(answer) : NULL;
    char err[256];
    if (frame && ps_ids_decode(frame, expect, &reply, err, sizeof(err)) != 0)
        ps_log_warn("gateway answered %s with a bad reply, round skipped "
                    "err=\"%s\"",
                    request->type, err);
out:
    if (!answer && !self->gateway_down) {
        self->gateway_down = true;
        ps_log_warn("gateway does not answer on authority (%s), nothing is "
                    "sent unclaimed; retried at the next scan",
                    self->config->bus.authority);
    } else if (answer && self->gateway_down) {
        self->gateway_down = false;
        ps_log_info("gateway answers again on authority");
    }
    zmsg_destroy(&msg);
    zmsg_destroy(&answer);
    return reply;
}

/* Gives a claim back so the gateway grants it again at the next scan. */
static void
s_release(poller_t *self, int64_t request_id, const char *reason)
{
    ps_work_t *work = ps_work_new("release");
    if (!work)
        return;
    work->request_id = request_id;
    zmsg_t *msg = NULL;
    if (ps_work_set_str(&work->reason, reason) == 0)
        msg = ps_work_encode(work);
    if (msg && ps_bus_send(self->collect, &msg) != 0)
        ps_log_warn("release not sent req=%" PRId64 ", its lease will expire",
                    request_id);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
}

static bool
s_granted_has(const ps_ids_t *granted, int64_t id)
{
    for (size_t i = 0; i < granted->count; i++) {
        if (granted->ids[i] == id)
            return true;
    }
    return false;
}

/* Claims the records' ids and sends the granted ones on. `works` are
   taken (destroyed). Returns the number granted, or -1 when the gateway
   did not answer or no enricher is connected (nothing was sent). */
static int
s_claim_and_send(poller_t *self, ps_work_t **works, size_t count)
{
    int rc = -1;
    ps_ids_t *claim = NULL;
    ps_ids_t *granted = NULL;
    if (!s_writable(self->requests, POLLER_WRITABLE_WAIT_MS)) {
        if (!self->enricher_absent)
            ps_log_warn("no enricher connected on requests (%s), nothing "
                        "claimed; retried at the next scan",
                        self->config->bus.requests);
        self->enricher_absent = true;
        goto out;
    }
    self->enricher_absent = false;
    claim = ps_ids_new("claim", count, false);
    if (!claim)
        goto out;
    for (size_t i = 0; i < count; i++)
        claim->ids[i] = works[i]->request_id;
    granted = s_call_authority(self, claim, "granted");
    if (!granted)
        goto out;
    rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (!s_granted_has(granted, works[i]->request_id)) {
            ps_log_debug("claim refused req=%" PRId64, works[i]->request_id);
            continue;
        }
        zmsg_t *msg = ps_work_encode(works[i]);
        if (!msg || ps_bus_send(self->requests, &msg) != 0) {
            ps_log_warn("request not sent to the enricher, claim released "
                        "req=%" PRId64,
                        works[i]->request_id);
            s_release(self, works[i]->request_id,
                      "poller: requests queue full");
            continue;
        }
        ps_log_debug("request sent req=%" PRId64 " trigger=%s",
                     works[i]->request_id, works[i]->trigger);
        rc++;
    }
out:
    for (size_t i = 0; i < count; i++)
        ps_work_destroy(&works[i]);
    ps_ids_destroy(&claim);
    ps_ids_destroy(&granted);
    return rc;
}

/* poller_fetch_fn for the real Overseerr. */
static int
s_fetch(void *arg, int64_t skip, int64_t take, json_t **page)
{
    poller_t *self = arg;
    *page = NULL;
    ps_beat_tick(self->beat, self->collect);
    if (ps_signals_stopping())
        return -1;
    char path[160];
    snprintf(path, sizeof(path),
             "/request?filter=pending&take=%" PRId64 "&skip=%" PRId64
             "&sort=added",
             take, skip);
    ps_overseerr_rc_t rc = ps_overseerr_get(self->overseerr, path, page);
    if (rc != PS_OVERSEERR_OK) {
        s_log_overseerr(self, rc, "the scan", &self->scan_warned);
        return -1;
    }
    return 0;
}

/* poller_fresh_fn: converts, then claims in batches of at most
   POLLER_CLAIM_BATCH, so work flows before the listing ends. */
static int
s_fresh(void *arg, const json_t *fresh)
{
    poller_t *self = arg;
    ps_work_t *batch[POLLER_CLAIM_BATCH];
    size_t count = 0;
    size_t total = json_array_size(fresh);
    for (size_t i = 0; i < total; i++) {
        char err[256];
        ps_work_t *work = NULL;
        /* A request that cannot be converted is never claimed, so it
           does not sit in flight at the gateway. */
        if (poller_request_from_json(json_array_get(fresh, i), "scan", &work,
                                     err, sizeof(err))
            != 0)
            ps_log_warn("pending request skipped: %s", err);
        else
            batch[count++] = work;
        if (count == POLLER_CLAIM_BATCH || (i + 1 == total && count > 0)) {
            int granted = s_claim_and_send(self, batch, count);
            if (granted < 0)
                return -1;
            self->scan_done += (int64_t)count;
            self->scan_granted += granted;
            count = 0;
        }
        ps_beat_tick(self->beat, self->collect);
        if (ps_signals_stopping()) {
            for (size_t j = 0; j < count; j++)
                ps_work_destroy(&batch[j]);
            return -1;
        }
    }
    size_t seen = 0;
    poller_pager_ids(self->pager, &seen);
    if ((int64_t)seen - self->scan_status_at >= POLLER_STATUS_EVERY)
        s_send_status(self, true, seen);
    return 0;
}

/* GET /request/{id}: *status is its status, 0 when Overseerr no longer
   has it (404), and *request the body when pending (caller decrefs,
   may be NULL). Returns the client's code; NOT_FOUND is folded into OK. */
static ps_overseerr_rc_t
s_read_request(poller_t *self, int64_t id, int64_t *status, json_t **request)
{
    char path[64];
    snprintf(path, sizeof(path), "/request/%" PRId64, id);
    json_t *body = NULL;
    ps_overseerr_rc_t rc = ps_overseerr_get(self->overseerr, path, &body);
    *status = 0;
    if (request)
        *request = NULL;
    if (rc == PS_OVERSEERR_NOT_FOUND)
        return PS_OVERSEERR_OK;
    if (rc != PS_OVERSEERR_OK)
        return rc;
    if (ps_json_int(body, "status", status) != 0) {
        json_decref(body);
        return PS_OVERSEERR_BAD_RESPONSE;
    }
    if (request)
        *request = body;
    else
        json_decref(body);
    return PS_OVERSEERR_OK;
}

static void
s_send_elsewhere(poller_t *self, ps_ids_t **ids_p)
{
    ps_ids_t *ids = *ids_p;
    if (ids->count > 0) {
        zmsg_t *msg = ps_ids_encode(ids);
        if (!msg || ps_bus_send(self->collect, &msg) != 0)
            ps_log_warn("elsewhere report not sent (collect queue full), "
                        "retried after the next scan");
        zmsg_destroy(&msg);
    }
    ps_ids_destroy(ids_p);
}

/* After a complete scan: asks the gateway which open ids were not seen,
   re-reads each and reports those no longer pending. */
static void
s_check_elsewhere(poller_t *self)
{
    size_t seen = 0;
    const int64_t *ids = poller_pager_ids(self->pager, &seen);
    ps_ids_t *pending = ps_ids_new("pending", seen, false);
    ps_ids_t *check = NULL;
    ps_ids_t *elsewhere = NULL;
    if (!pending)
        goto out;
    if (seen)
        memcpy(pending->ids, ids, seen * sizeof(*ids));
    check = s_call_authority(self, pending, "check");
    if (!check || check->count == 0)
        goto out;
    elsewhere = ps_ids_new("elsewhere", check->count, true);
    if (!elsewhere)
        goto out;
    elsewhere->count = 0;
    bool warned = false;
    for (size_t i = 0; i < check->count && !ps_signals_stopping(); i++) {
        int64_t status;
        ps_overseerr_rc_t rc =
            s_read_request(self, check->ids[i], &status, NULL);
        ps_beat_tick(self->beat, self->collect);
        /* A failed read says nothing about the request: never report. */
        if (rc != PS_OVERSEERR_OK) {
            s_log_overseerr(self, rc, "the decided-elsewhere check", &warned);
            continue;
        }
        if (status == PS_REQUEST_PENDING)
            continue;
        elsewhere->ids[elsewhere->count] = check->ids[i];
        elsewhere->values[elsewhere->count] = status;
        elsewhere->count++;
    }
    ps_log_info("decided-elsewhere check open=%zu elsewhere=%zu", check->count,
                elsewhere->count);
    s_send_elsewhere(self, &elsewhere);
out:
    ps_ids_destroy(&pending);
    ps_ids_destroy(&check);
    ps_ids_destroy(&elsewhere);
}

static void
s_scan(poller_t *self)
{
    int64_t started = ps_time_mono_ms();
    self->scan_done = 0;
    self->scan_granted = 0;
    self->scan_status_at = 0;
    self->scan_warned = false;
    s_send_status(self, true, 0);
    int rc = poller_pager_run(self->pager, self->config->overseerr.page_size,
                              POLLER_MAX_PASSES, s_fetch, s_fresh, self);
    size_t seen = 0;
    poller_pager_ids(self->pager, &seen);
    s_send_status(self, false, seen);
    if (rc != 0) {
        ps_log_info("scan incomplete pending_seen=%zu granted=%" PRId64
                    " ms=%" PRId64,
                    seen, self->scan_granted, ps_time_mono_ms() - started);
        return;
    }
    if (poller_pager_capped(self->pager))
        ps_log_warn("scan stopped after %d passes while new pending ids "
                    "kept appearing; the rest waits for the next scan",
                    poller_pager_passes(self->pager));
    ps_log_info("scan done pending=%zu granted=%" PRId64 " refused=%" PRId64
                " passes=%d ms=%" PRId64,
                seen, self->scan_granted, self->scan_done - self->scan_granted,
                poller_pager_passes(self->pager), ps_time_mono_ms() - started);
    s_check_elsewhere(self);
}

/* A hint or re-judge: re-read the request, then claim and send it if it
   is still pending, or report it decided elsewhere. */
static void
s_one_request(poller_t *self, int64_t id, const char *trigger)
{
    if (!self->overseerr) {
        ps_log_warn("%s ignored req=%" PRId64 ": no Overseerr URL configured",
                    trigger, id);
        return;
    }
    int64_t status;
    json_t *request = NULL;
    ps_overseerr_rc_t rc = s_read_request(self, id, &status, &request);
    if (rc != PS_OVERSEERR_OK) {
        bool warned = false;
        s_log_overseerr(self, rc, trigger, &warned);
        return;
    }
    if (status == PS_REQUEST_PENDING) {
        char err[256];
        ps_work_t *work = NULL;
        if (poller_request_from_json(request, trigger, &work, err, sizeof(err))
            != 0)
            ps_log_warn("%s req=%" PRId64 " skipped: %s", trigger, id, err);
        else if (s_claim_and_send(self, &work, 1) == 1)
            ps_log_info("%s sent req=%" PRId64, trigger, id);
        else
            ps_log_info("%s not sent req=%" PRId64
                        " (claim refused or gateway silent)",
                        trigger, id);
    } else {
        ps_ids_t *elsewhere = ps_ids_new("elsewhere", 1, true);
        if (elsewhere) {
            elsewhere->ids[0] = id;
            elsewhere->values[0] = status;
            ps_log_info("%s req=%" PRId64 " no longer pending status=%" PRId64,
                        trigger, id, status);
            s_send_elsewhere(self, &elsewhere);
        }
    }
    json_decref(request);
}

static void
s_on_command(poller_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first(msg);
    ps_command_t *command = NULL;
    char err[256];
    if (!frame || ps_command_decode(frame, &command, err, sizeof(err)) != 0) {
        ps_log_warn("command dropped: %s", frame ? err : "empty message");
        return;
    }
    ps_log_debug("command verb=%s req=%" PRId64 " reason=\"%s\"", command->verb,
                 command->request_id, command->reason ? command->reason : "");
    if (strcmp(command->verb, "scan") == 0)
        self->next_scan_mono = 0;
    else if (strcmp(command->verb, "hint") == 0)
        s_one_request(self, command->request_id, "webhook");
    else if (strcmp(command->verb, "rejudge") == 0)
        s_one_request(self, command->request_id, "rejudge");
    else
        ps_log_warn("command dropped: unknown verb \"%.32s\"", command->verb);
    ps_command_destroy(&command);
}

/* (Re)creates what depends on the config's Overseerr and authority
   settings. Returns 0, or -1 when the authority client failed. */
static int
s_connect_outside(poller_t *self)
{
    ps_overseerr_destroy(&self->overseerr);
    if (self->config->overseerr.url && *self->config->overseerr.url) {
        self->overseerr = ps_overseerr_new(self->config->overseerr.url,
                                           self->config->overseerr.api_key
                                               ? self->config->overseerr.api_key
                                               : "",
                                           self->config->overseerr.timeout_ms);
        if (!self->overseerr)
            ps_log_error("cannot create the Overseerr client (out of memory)");
    } else
        ps_log_error("no Overseerr URL configured (overseerr.url / "
                     "OVERSEERR_API_URL): the launcher should have provided "
                     "one; staying idle");
    /* ps_req keeps a pointer to the config it was made with, so a reload
       makes a new client for the new config. */
    char err[256];
    ps_req_destroy(&self->authority);
    self->authority =
        ps_req_new(self->config, self->config->bus.authority, err, sizeof(err));
    if (!self->authority) {
        ps_log_error("authority client failed: %s", err);
        return -1;
    }
    return 0;
}

static void
s_reload(poller_t *self)
{
    char err[512];
    if (ps_service_reload(self->config_path, &self->config, err, sizeof(err))
        != 0) {
        ps_beat_set_config(self->beat, self->config->version, err);
        return;
    }
    ps_beat_set_config(self->beat, self->config->version, NULL);
    s_connect_outside(self);
}

poller_t *
poller_new(ps_config_t **config_p, const char *config_path)
{
    poller_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->config = *config_p;
    *config_p = NULL;
    const ps_config_bus_t *bus = &self->config->bus;
    char err[512] = "out of memory";
    ps_bus_options_t requests_options = ps_bus_defaults();
    requests_options.sndhwm = POLLER_REQUESTS_HWM;
    if (config_path && !(self->config_path = strdup(config_path)))
        goto fail;
    self->beat = ps_beat_new("poller");
    self->pager = poller_pager_new();
    if (!self->beat || !self->pager)
        goto fail;
    ps_beat_set_config(self->beat, self->config->version, NULL);
    self->commands = ps_bus_socket(self->config, ZMQ_PULL, bus->commands, true,
                                   NULL, err, sizeof(err));
    if (!self->commands)
        goto fail;
    self->requests = ps_bus_socket(self->config, ZMQ_PUSH, bus->requests, true,
                                   &requests_options, err, sizeof(err));
    if (!self->requests)
        goto fail;
    self->collect = ps_bus_socket(self->config, ZMQ_PUSH, bus->collect, false,
                                  NULL, err, sizeof(err));
    if (!self->collect)
        goto fail;
    if (s_connect_outside(self) != 0) {
        snprintf(err, sizeof(err), "authority client failed");
        goto fail;
    }
    /* The first scan comes shortly after start, once peers connected. */
    self->next_scan_mono = ps_time_mono_ms() + 1000;
    ps_log_info("started commands=%s requests=%s authority=%s collect=%s "
                "overseerr=%s scan_interval=%ds page_size=%d",
                bus->commands, bus->requests, bus->authority, bus->collect,
                self->overseerr ? self->config->overseerr.url : "(none)",
                self->config->scan_interval_s,
                self->config->overseerr.page_size);
    return self;
fail:
    ps_log_error("poller cannot start: %s", err);
    poller_destroy(&self);
    return NULL;
}

void
poller_destroy(poller_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    poller_t *self = *self_p;
    ps_req_destroy(&self->authority);
    ps_overseerr_destroy(&self->overseerr);
    zsock_destroy(&self->collect);
    zsock_destroy(&self->requests);
    zsock_destroy(&self->commands);
    poller_pager_destroy(&self->pager);
    ps_beat_destroy(&self->beat);
    free(self->config_path);
    ps_config_destroy(&self->config);
    free(self);
    *self_p = NULL;
}

int
poller_run(poller_t *self)
{
    zpoller_t *poller = zpoller_new(self->commands, NULL);
    if (!poller) {
        ps_log_error("cannot create the command poller");
        return -1;
    }
    while (!ps_signals_stopping()) {
        if (ps_signals_take_reload())
            s_reload(self);
        ps_beat_tick(self->beat, self->collect);
        int64_t now = ps_time_mono_ms();
        if (self->overseerr && now >= self->next_scan_mono) {
            s_scan(self);
            self->next_scan_mono =
                ps_time_mono_ms() + self->config->scan_interval_s * 1000LL;
            continue;
        }
        int64_t timeout = ps_beat_wait_ms(self->beat);
        if (self->overseerr && self->next_scan_mono - now < timeout)
            timeout = self->next_scan_mono - now;
        if (timeout > 1000)
            timeout = 1000;
        if (zpoller_wait(poller, (int)timeout) == self->commands) {
            /* Drain every queued command, so a burst of "scan" commands
               collapses into one scan. */
            do {
                zmsg_t *msg = zmsg_recv(self->commands);
                if (!msg)
                    break;
                s_on_command(self, msg);
                zmsg_destroy(&msg);
            } while (!ps_signals_stopping()
                     && (zsock_events(self->commands) & ZMQ_POLLIN));
        } else if (zpoller_terminated(poller) && zmq_errno() != EINTR) {
            /* SIGHUP interrupts the poll too, and czmq then reports it as
               terminated: only a real context shutdown ends the loop. */
            break;
        }
    }
    ps_log_info("stopping");
    zpoller_destroy(&poller);
    return 0;
}
