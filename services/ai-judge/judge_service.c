/*  judge_service - see judge_service.h.

    Why ZMQ_FD inside curl_multi_poll rather than a zpoller: the loop must
    wake for either side at once (a finished transfer frees a slot for the
    next message; a message starts a transfer), and only curl knows its
    sockets. ZMQ_FD is edge-triggered, so ZMQ_EVENTS is read before every
    wait and after every wake: messages that were already queued are taken
    without waiting, and the fd is only watched while a slot is free.
    Waits are capped so heartbeats and reloads keep their rhythm.
    Work comes only when asked for (rules_credit.h): `undecided` is a
    DEALER that sends the rule engine a `ready` for every slot it has not
    yet asked to fill, and after JUDGE_RESYNC_MS without a record while
    it waits for some, it restates its free slots (reset), which is how a
    restarted rule engine learns them.                                    */
#include "judge_service.h"
#include "judge_engine.h"
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_log.h"
#include "ps_service.h"
#include "ps_time.h"
#include "rules_credit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JUDGE_POLL_MAX_MS 250
#define JUDGE_RESERVE_TIMEOUT_MS 1000
#define JUDGE_RESYNC_MS 1000

typedef struct {
    zsock_t *undecided;        /* DEALER, connected: ready out, work in */
    int asked;                 /* slots asked for, not yet filled */
    int64_t heard_mono;        /* last record or request for work */
    zsock_t *collect;          /* PUSH, connected */
    ps_req_t *authority;       /* REQ for budget reservations */
    ps_beat_t *beat;           /* heartbeat sender */
    judge_engine_t *engine;    /* the LLM calls */
    const ps_config_t *config; /* the current config */
} s_loop_t;

static void
s_send(s_loop_t *loop, zmsg_t *msg, const char *what, int64_t request_id)
{
    if (!msg || ps_bus_send(loop->collect, &msg) != 0)
        ps_log_warn("cannot send a %s to collect req=%lld", what,
                    (long long)request_id);
}

static void
s_on_done(ps_work_t **work_p, void *arg)
{
    s_loop_t *loop = arg;
    ps_work_t *work = *work_p;
    ps_log_debug(
        "decided req=%lld type=%s outcome=%s message=%s by=%s",
        (long long)work->request_id, work->type, ps_outcome_name(work->outcome),
        work->message_id ? work->message_id : "", ps_beat_instance(loop->beat));
    s_send(loop, ps_work_encode(work), work->type, work->request_id);
    ps_work_destroy(work_p);
}

static void
s_on_usage(const ps_usage_t *usage, void *arg)
{
    s_loop_t *loop = arg;
    s_send(loop, ps_usage_encode(usage), "usage record", usage->request_id);
}

static void
s_on_status(const char *breaker, const char *detail, void *arg)
{
    s_loop_t *loop = arg;
    ps_status_t *status = ps_status_new();
    if (!status || ps_work_set_str(&status->service, "ai-judge") != 0
        || ps_work_set_str(&status->instance, ps_beat_instance(loop->beat)) != 0
        || ps_work_set_str(&status->breaker, breaker) != 0
        || ps_work_set_str(&status->detail, detail) != 0) {
        ps_log_warn("out of memory reporting the breaker state");
        ps_status_destroy(&status);
        return;
    }
    status->at = ps_time_now_ms();
    s_send(loop, ps_status_encode(status), "breaker status", 0);
    ps_status_destroy(&status);
}

static int
s_on_reserve(int64_t request_id, double estimate_usd, ps_reserve_reply_t *reply,
             void *arg)
{
    s_loop_t *loop = arg;
    zmsg_t *request = ps_reserve_encode(request_id, estimate_usd,
                                        ps_beat_instance(loop->beat));
    if (!request)
        return -1;
    zmsg_t *answer =
        ps_req_call(loop->authority, &request, JUDGE_RESERVE_TIMEOUT_MS);
    zmsg_destroy(&request);
    if (!answer) {
        ps_log_warn("the gateway did not answer a budget reservation "
                    "req=%lld",
                    (long long)request_id);
        return -1;
    }
    char err[256];
    zframe_t *frame = zmsg_first(answer);
    if (!frame
        || ps_reserve_reply_decode(frame, reply, err, sizeof(err)) != 0) {
        /* The gateway answers an empty frame to what it cannot serve:
           without a grant there is no call. */
        memset(reply, 0, sizeof(*reply));
        reply->budget_usd = loop->config->ai.daily_budget_usd;
    }
    zmsg_destroy(&answer);
    return 0;
}

/* Takes queued messages while the engine has room. */
static void
s_take_work(s_loop_t *loop)
{
    while (judge_engine_free_slots(loop->engine, loop->config) > 0
           && (zsock_events(loop->undecided) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv(loop->undecided);
        if (!msg)
            return;
        if (loop->asked > 0)
            loop->asked--;
        loop->heard_mono = ps_time_mono_ms();
        zframe_t *frame = zmsg_first(msg);
        ps_work_t *work = NULL;
        char err[256];
        if (!frame || ps_work_decode(frame, &work, err, sizeof(err)) != 0)
            ps_log_warn("dropped an undecodable message on undecided "
                        "err=\"%s\"",
                        frame ? err : "empty message");
        else if (strcmp(work->type, "undecided") != 0)
            ps_log_warn("dropped a `%s` message on undecided req=%lld",
                        work->type, (long long)work->request_id);
        else
            judge_engine_submit(loop->engine, loop->config, &work);
        ps_work_destroy(&work);
        zmsg_destroy(&msg);
    }
}

/* Asks the rule engine to fill the free slots not yet asked for, or
   restates them all when nothing came for JUDGE_RESYNC_MS. */
static void
s_ask_work(s_loop_t *loop)
{
    int free_slots = judge_engine_free_slots(loop->engine, loop->config);
    int64_t now = ps_time_mono_ms();
    bool resync = loop->asked > 0 && now - loop->heard_mono >= JUDGE_RESYNC_MS;
    int slots = resync ? free_slots : free_slots - loop->asked;
    if (slots <= 0 && !resync)
        return;
    zmsg_t *msg = rules_ready_encode(slots, resync);
    if (!msg || zmsg_send(&msg, loop->undecided) != 0) {
        zmsg_destroy(&msg);
        return;
    }
    loop->asked = resync ? free_slots : loop->asked + slots;
    loop->heard_mono = now;
}

int
judge_service_run(ps_config_t **config, const char *config_path)
{
    int rc = 1;
    char err[512] = "";
    s_loop_t loop = {0};
    loop.config = *config;

    ps_bus_options_t dealer_options = ps_bus_defaults();
    dealer_options.sndtimeo = 0;
    loop.undecided =
        ps_bus_socket(loop.config, ZMQ_DEALER, loop.config->bus.undecided,
                      false, &dealer_options, err, sizeof(err));
    if (!loop.undecided)
        goto out;
    loop.collect =
        ps_bus_socket(loop.config, ZMQ_PUSH, loop.config->bus.collect, false,
                      NULL, err, sizeof(err));
    if (!loop.collect)
        goto out;
    loop.authority =
        ps_req_new(loop.config, loop.config->bus.authority, err, sizeof(err));
    if (!loop.authority)
        goto out;
    loop.beat = ps_beat_new("ai-judge");
    judge_hooks_t hooks = {s_on_done, s_on_usage, s_on_status, s_on_reserve,
                           &loop};
    loop.engine =
        loop.beat
            ? judge_engine_new(loop.config, ps_beat_instance(loop.beat), &hooks)
            : NULL;
    if (!loop.beat || !loop.engine) {
        snprintf(err, sizeof(err), "out of memory or curl failed to start");
        goto out;
    }
    ps_beat_set_config(loop.beat, loop.config->version, NULL);
    ps_log_info("started undecided=%s collect=%s ai=%s model=%s base_url=%s "
                "concurrency=%d budget_usd=%g cache_ttl_s=%d",
                loop.config->bus.undecided, loop.config->bus.collect,
                judge_ai_off(loop.config) ? "off" : "on", loop.config->ai.model,
                loop.config->ai.base_url, loop.config->ai.concurrency,
                loop.config->ai.daily_budget_usd, loop.config->ai.cache_ttl_s);

    int fd = zsock_fd(loop.undecided);
    while (!zsys_interrupted) {
        if (ps_signals_take_reload()) {
            char why[512] = "";
            ps_service_reload(config_path, config, why, sizeof(why));
            loop.config = *config;
            judge_engine_configure(loop.engine, loop.config);
            ps_beat_set_config(loop.beat, loop.config->version, why);
        }
        ps_beat_tick(loop.beat, loop.collect);
        s_take_work(&loop);
        judge_engine_run(loop.engine, loop.config);
        /* Work may have arrived while transfers finished: take it before
           sleeping, as the edge-triggered fd will not signal it again. */
        s_take_work(&loop);
        s_ask_work(&loop);
        int timeout = ps_beat_wait_ms(loop.beat);
        if (timeout > JUDGE_POLL_MAX_MS)
            timeout = JUDGE_POLL_MAX_MS;
        bool room = judge_engine_free_slots(loop.engine, loop.config) > 0;
        if (room && (zsock_events(loop.undecided) & ZMQ_POLLIN))
            continue;
        if (judge_engine_poll(loop.engine, room ? fd : -1, timeout) != 0) {
            ps_log_warn("curl_multi_poll failed; waiting a little");
            zclock_sleep(50);
        }
    }
    rc = 0;
    judge_engine_stats_t stats;
    judge_engine_stats(loop.engine, &stats);
    ps_log_info("stopping decided=%lld llm_calls=%lld verdicts=%lld "
                "cached=%lld failed=%lld in_progress=%zu",
                (long long)stats.decided, (long long)stats.llm_calls,
                (long long)stats.verdicts, (long long)stats.cached,
                (long long)stats.failed, judge_engine_active(loop.engine));
    judge_engine_release_all(loop.engine, "ai-judge stopping");
out:
    if (rc != 0)
        ps_log_error("cannot start: %s", err);
    judge_engine_destroy(&loop.engine);
    ps_beat_destroy(&loop.beat);
    ps_req_destroy(&loop.authority);
    zsock_destroy(&loop.collect);
    zsock_destroy(&loop.undecided);
    return rc;
}
