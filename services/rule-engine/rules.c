/*  rules - see rules.h.

    The loop keeps at most one undecided record waiting for an ai-judge.
    The `undecided` PUSH has a small send HWM so work spreads over the
    judges instead of piling up in the first one's pipe; while a record
    waits, the engine stops reading `enriched`, so back-pressure reaches
    the enricher instead of our memory. A record no judge takes within
    RULES_PENDING_MAX_MS is released to the gateway (the next scan brings
    it back) so a missing judge cannot wedge the pipeline silently.       */
#include "rules.h"
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_log.h"
#include "ps_mp.h"
#include "ps_parse.h"
#include "ps_service.h"
#include "ps_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULES_POLL_MS 1000
#define RULES_PENDING_MAX_MS 30000
#define RULES_UNDECIDED_HWM 2

/* ---- the cascade ------------------------------------------------------- */

int
rules_format_number(double value, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%.3f", value);
    if (n < 0 || (size_t)n >= len)
        return -1;
    /* Trim trailing zeros but keep one decimal: 6.000 -> 6.0, 5.950 -> 5.95. */
    char *dot = strchr(buf, '.');
    if (!dot)
        return 0;
    char *end = buf + n - 1;
    while (end > dot + 1 && *end == '0')
        *end-- = '\0';
    return 0;
}

bool
rules_is_unreleased(const ps_work_t *work, int64_t now_ms)
{
    static const char *const upcoming[] = {"Planned", "In Production",
                                           "Post Production", "Rumored"};
    for (size_t i = 0; i < sizeof(upcoming) / sizeof(upcoming[0]); i++)
        if (work->media_status
            && strcasecmp(work->media_status, upcoming[i]) == 0)
            return true;
    if (!work->release_date || !*work->release_date)
        return true;
    int64_t release_ms = 0;
    /* An unparsable date tells us nothing about release: treat it as
       unknown, like an empty one. */
    if (ps_time_parse_iso(work->release_date, &release_ms) != 0)
        return true;
    return release_ms > now_ms;
}

bool
rules_genre_match(const ps_strlist_t *list, const ps_work_t *work, char *buf,
                  size_t len)
{
    for (size_t i = 0; i < work->genre_count; i++) {
        const char *name = work->genres ? work->genres[i] : NULL;
        int64_t id = work->genre_ids ? work->genre_ids[i] : 0;
        for (size_t j = 0; j < list->count; j++) {
            const char *item = list->items[j];
            int64_t item_id = 0;
            bool hit =
                (name && strcasecmp(item, name) == 0)
                || (id > 0 && ps_parse_int64(item, 1, INT64_MAX, &item_id) == 0
                    && item_id == id);
            if (!hit)
                continue;
            if (name && *name)
                snprintf(buf, len, "%s", name);
            else
                snprintf(buf, len, "%lld", (long long)id);
            return true;
        }
    }
    return false;
}

typedef struct {
    const char *rule;      /* rule id, also the message id */
    ps_outcome_t outcome;  /* what it decides */
    const char *params[8]; /* key, value pairs, NULL-terminated */
    char explanation[512]; /* English text */
} s_verdict_t;

static void
s_reset_decision(ps_work_t *work)
{
    ps_mp_strs_free(&work->matched, &work->matched_count);
    ps_mp_strs_free(&work->params, &work->param_count);
    work->outcome = PS_OUTCOME_NONE;
    work->has_score = false;
    ps_work_set_str(&work->rule, NULL);
    ps_work_set_str(&work->message_id, NULL);
    ps_work_set_str(&work->explanation, NULL);
}

static void
s_apply(const ps_config_t *config, ps_work_t *work, const s_verdict_t *v)
{
    ps_work_set_type(work, "decision");
    work->outcome = v->outcome;
    ps_work_set_str(&work->source, "rule");
    ps_work_set_str(&work->rule, v->rule);
    ps_work_set_str(&work->message_id, v->rule);
    for (size_t i = 0; v->params[i] && v->params[i + 1]; i += 2)
        ps_work_add_param(work, v->params[i], v->params[i + 1]);
    ps_work_set_str(&work->explanation, v->explanation);
    ps_work_set_str(&work->ruleset, config->version);
}

ps_outcome_t
rules_decide(const ps_config_t *config, ps_work_t *work, int64_t now_ms)
{
    s_reset_decision(work);
    s_verdict_t first = {0};
    bool decided = false;

    char rating[32] = "0.0";
    char votes[32] = "0";
    rules_format_number(work->rating, rating, sizeof(rating));
    snprintf(votes, sizeof(votes), "%lld", (long long)work->votes);

    /* Each candidate is built in `v`, recorded in matched, and kept as the
       decision only when nothing earlier decided. */
    s_verdict_t v;

    if (config->rules.upcoming_review && work->votes == 0
        && rules_is_unreleased(work, now_ms)) {
        memset(&v, 0, sizeof(v));
        const char *date = work->release_date && *work->release_date
                               ? work->release_date
                               : "unknown";
        const char *status = work->media_status && *work->media_status
                                 ? work->media_status
                                 : "unknown";
        v.rule = "upcoming_unrated";
        v.outcome = PS_OUTCOME_REVIEW;
        v.params[0] = "release_date";
        v.params[1] = date;
        v.params[2] = "status";
        v.params[3] = status;
        snprintf(v.explanation, sizeof(v.explanation),
                 "Not released yet (release date %s, status %s) and not "
                 "rated: a person decides",
                 date, status);
        ps_work_add_matched(work, v.rule);
        if (!decided) {
            first = v;
            decided = true;
        }
    }

    char threshold[32] = "";
    if (config->rules.approve_rating > 0 && work->votes > 0
        && work->rating >= config->rules.approve_rating) {
        memset(&v, 0, sizeof(v));
        rules_format_number(config->rules.approve_rating, threshold,
                            sizeof(threshold));
        v.rule = "approve_rating";
        v.outcome = PS_OUTCOME_APPROVE;
        v.params[0] = "rating";
        v.params[1] = rating;
        v.params[2] = "votes";
        v.params[3] = votes;
        v.params[4] = "min";
        v.params[5] = threshold;
        snprintf(v.explanation, sizeof(v.explanation),
                 "Rated %s/10 (%s votes), at or above the auto-approve "
                 "rating of %s",
                 rating, votes, threshold);
        ps_work_add_matched(work, v.rule);
        if (!decided) {
            first = v;
            decided = true;
        }
    }

    char allowed[128] = "";
    if (rules_genre_match(&config->rules.allowed_genres, work, allowed,
                          sizeof(allowed))) {
        memset(&v, 0, sizeof(v));
        v.rule = "allowed_genre";
        v.outcome = PS_OUTCOME_APPROVE;
        v.params[0] = "genre";
        v.params[1] = allowed;
        snprintf(v.explanation, sizeof(v.explanation),
                 "Genre %s is always approved", allowed);
        ps_work_add_matched(work, v.rule);
        if (!decided) {
            first = v;
            decided = true;
        }
    }

    char minimum[32] = "";
    if (config->rules.min_rating > 0 && work->votes > 0
        && work->rating < config->rules.min_rating) {
        memset(&v, 0, sizeof(v));
        rules_format_number(config->rules.min_rating, minimum, sizeof(minimum));
        v.rule = "rating_below_min";
        v.outcome = PS_OUTCOME_DECLINE;
        v.params[0] = "rating";
        v.params[1] = rating;
        v.params[2] = "min";
        v.params[3] = minimum;
        v.params[4] = "votes";
        v.params[5] = votes;
        snprintf(v.explanation, sizeof(v.explanation),
                 "Rated %s/10 (%s votes), below the minimum of %s", rating,
                 votes, minimum);
        ps_work_add_matched(work, v.rule);
        if (!decided) {
            first = v;
            decided = true;
        }
    }

    char blocked[128] = "";
    if (rules_genre_match(&config->rules.blocked_genres, work, blocked,
                          sizeof(blocked))) {
        memset(&v, 0, sizeof(v));
        v.rule = "blocked_genre";
        v.outcome = PS_OUTCOME_DECLINE;
        v.params[0] = "genre";
        v.params[1] = blocked;
        snprintf(v.explanation, sizeof(v.explanation), "Genre %s is blocked",
                 blocked);
        ps_work_add_matched(work, v.rule);
        if (!decided) {
            first = v;
            decided = true;
        }
    }

    if (decided) {
        s_apply(config, work, &first);
        return first.outcome;
    }
    ps_work_set_type(work, "undecided");
    ps_work_set_str(&work->ruleset, config->version);
    return PS_OUTCOME_NONE;
}

/* ---- the service loop -------------------------------------------------- */

typedef struct {
    zsock_t *enriched;     /* PULL, bound */
    zsock_t *undecided;    /* PUSH, bound, small HWM */
    zsock_t *collect;      /* PUSH, connected */
    ps_beat_t *beat;       /* heartbeat sender */
    zmsg_t *pending;       /* undecided record no judge has taken yet */
    int64_t pending_id;    /* its request id */
    int64_t pending_since; /* monotonic ms it started waiting */
    bool warned_no_judge;  /* warn once per outage, not per message */
} s_loop_t;

static void
s_release(s_loop_t *loop, int64_t request_id, const char *reason)
{
    ps_work_t *release = ps_work_new("release");
    if (!release)
        return;
    release->request_id = request_id;
    ps_work_set_str(&release->reason, reason);
    zmsg_t *msg = ps_work_encode(release);
    if (!msg || ps_bus_send(loop->collect, &msg) != 0)
        ps_log_warn("cannot release a request to the gateway req=%lld",
                    (long long)request_id);
    ps_work_destroy(&release);
}

static void
s_on_enriched(s_loop_t *loop, const ps_config_t *config)
{
    zmsg_t *msg = zmsg_recv(loop->enriched);
    if (!msg)
        return;
    zframe_t *frame = zmsg_first(msg);
    ps_work_t *work = NULL;
    char err[256];
    if (!frame || ps_work_decode(frame, &work, err, sizeof(err)) != 0) {
        ps_log_warn("dropped an undecodable message on enriched err=\"%s\"",
                    frame ? err : "empty message");
        goto out;
    }
    if (strcmp(work->type, "enriched") != 0) {
        ps_log_warn("dropped a `%s` message on enriched req=%lld", work->type,
                    (long long)work->request_id);
        goto out;
    }
    ps_outcome_t outcome = rules_decide(config, work, ps_time_now_ms());
    zmsg_t *out_msg = ps_work_encode(work);
    if (!out_msg) {
        ps_log_error("out of memory encoding req=%lld",
                     (long long)work->request_id);
        goto out;
    }
    if (outcome == PS_OUTCOME_NONE) {
        ps_log_debug("undecided req=%lld", (long long)work->request_id);
        loop->pending = out_msg;
        loop->pending_id = work->request_id;
        loop->pending_since = ps_time_mono_ms();
    } else {
        ps_log_debug("decided req=%lld outcome=%s rule=%s",
                     (long long)work->request_id, ps_outcome_name(outcome),
                     work->rule);
        if (ps_bus_send(loop->collect, &out_msg) != 0)
            ps_log_warn("cannot send a decision to collect req=%lld",
                        (long long)work->request_id);
    }
out:
    ps_work_destroy(&work);
    zmsg_destroy(&msg);
}

static void
s_flush_pending(s_loop_t *loop)
{
    if (zmsg_send(&loop->pending, loop->undecided) == 0) {
        if (loop->warned_no_judge)
            ps_log_info("an ai-judge takes undecided requests again");
        loop->warned_no_judge = false;
        return;
    }
    if (ps_time_mono_ms() - loop->pending_since < RULES_PENDING_MAX_MS)
        return;
    if (!loop->warned_no_judge)
        ps_log_warn("no ai-judge took an undecided request within %d ms, "
                    "released to the gateway req=%lld",
                    RULES_PENDING_MAX_MS, (long long)loop->pending_id);
    loop->warned_no_judge = true;
    zmsg_destroy(&loop->pending);
    s_release(loop, loop->pending_id, "no ai-judge available");
}

int
rules_service_run(ps_config_t **config, const char *config_path)
{
    int rc = 1;
    char err[512];
    s_loop_t loop = {0};
    const ps_config_t *c = *config;

    ps_bus_options_t push_options = ps_bus_defaults();
    push_options.sndhwm = RULES_UNDECIDED_HWM;
    push_options.sndtimeo = 0;
    loop.enriched = ps_bus_socket(c, ZMQ_PULL, c->bus.enriched, true, NULL, err,
                                  sizeof(err));
    if (!loop.enriched)
        goto out;
    loop.undecided = ps_bus_socket(c, ZMQ_PUSH, c->bus.undecided, true,
                                   &push_options, err, sizeof(err));
    if (!loop.undecided)
        goto out;
    loop.collect = ps_bus_socket(c, ZMQ_PUSH, c->bus.collect, false, NULL, err,
                                 sizeof(err));
    if (!loop.collect)
        goto out;
    loop.beat = ps_beat_new("rule-engine");
    if (!loop.beat) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    ps_beat_set_config(loop.beat, c->version, NULL);
    ps_log_info("started enriched=%s undecided=%s collect=%s ruleset=%s",
                c->bus.enriched, c->bus.undecided, c->bus.collect, c->version);

    while (!zsys_interrupted) {
        if (ps_signals_take_reload()) {
            char why[512] = "";
            ps_service_reload(config_path, config, why, sizeof(why));
            ps_beat_set_config(loop.beat, (*config)->version, why);
        }
        ps_beat_tick(loop.beat, loop.collect);
        int timeout = ps_beat_wait_ms(loop.beat);
        if (timeout > RULES_POLL_MS)
            timeout = RULES_POLL_MS;
        zmq_pollitem_t items[] = {
            {zsock_resolve(loop.enriched), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(loop.undecided), 0, ZMQ_POLLOUT, 0}};
        /* While a record waits for a judge, only the judges' side matters:
           polling for POLLOUT with a short timeout also retries the send. */
        int n = loop.pending ? zmq_poll(&items[1], 1, 100)
                             : zmq_poll(items, 1, timeout);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue;
            ps_log_error("poll failed err=\"%s\"", zmq_strerror(zmq_errno()));
            break;
        }
        if (loop.pending)
            s_flush_pending(&loop);
        else if (items[0].revents & ZMQ_POLLIN)
            s_on_enriched(&loop, *config);
    }
    rc = 0;
    ps_log_info("stopping");
out:
    if (rc != 0)
        ps_log_error("cannot start: %s", err);
    if (loop.pending)
        s_release(&loop, loop.pending_id, "rule-engine stopping");
    zmsg_destroy(&loop.pending);
    ps_beat_destroy(&loop.beat);
    zsock_destroy(&loop.collect);
    zsock_destroy(&loop.undecided);
    zsock_destroy(&loop.enriched);
    return rc;
}
