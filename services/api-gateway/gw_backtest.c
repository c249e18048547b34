/*  gw_backtest - see gw_backtest.h.                                       */
#include "gw_backtest.h"
#include "ps_work_json.h"
#include "rules.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const ps_config_t *draft; /* rules to try */
    json_t *by_rule;          /* rule -> {decides, flips} */
    json_t *changes;          /* the flipped requests */
    int64_t total;            /* decisions replayed */
    int64_t changed;          /* decisions that flip */
    int64_t reviewed;         /* replayed requests staff decided */
    int64_t recorded_agree;   /* recorded outcome == staff */
    int64_t draft_agree;      /* draft outcome == staff */
    int64_t skipped;          /* snapshots that could not be read */
} s_run_t;

static void
s_count(json_t *by_rule, const char *rule, const char *what)
{
    json_t *entry = json_object_get(by_rule, rule);
    if (!entry) {
        entry = json_pack("{s:i,s:i}", "decides", 0, "flips", 0);
        json_object_set_new(by_rule, rule, entry);
    }
    json_int_t n = json_integer_value(json_object_get(entry, what));
    json_object_set_new(entry, what, json_integer(n + 1));
}

/* gw_store_backtest_fn: one recorded decision. */
static int
s_replay(void *arg, const gw_backtest_row_t *row)
{
    s_run_t *run = arg;
    char err[256];
    json_t *inputs = json_loads(row->inputs ? row->inputs : "", 0, NULL);
    ps_work_t *work = NULL;
    if (!inputs || ps_work_from_json(inputs, &work, err, sizeof(err)) != 0) {
        run->skipped++;
        json_decref(inputs);
        return 0;
    }
    json_decref(inputs);
    work->request_id = row->request_id;
    ps_outcome_t outcome = rules_decide(run->draft, work, row->decided_at);
    const char *after =
        outcome == PS_OUTCOME_NONE ? "ai" : ps_outcome_name(outcome);
    const char *after_rule =
        outcome == PS_OUTCOME_NONE || !work->rule ? "" : work->rule;
    /* Left to the AI by both: the AI's recorded verdict stands. */
    bool same =
        strcmp(after, row->outcome) == 0
        || (outcome == PS_OUTCOME_NONE && strcmp(row->source, "rule") != 0);
    const char *effective = same ? row->outcome : after;
    run->total++;
    if (*after_rule)
        s_count(run->by_rule, after_rule, "decides");
    if (!same) {
        run->changed++;
        s_count(run->by_rule,
                *after_rule ? after_rule : (*row->rule ? row->rule : "(ai)"),
                "flips");
        json_array_append_new(
            run->changes,
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?}", "request_id",
                      (json_int_t)row->request_id, "title",
                      row->title ? row->title : "", "before", row->outcome,
                      "before_rule", row->rule, "after", after, "after_rule",
                      after_rule, "staff", row->staff));
    }
    if (row->staff) {
        run->reviewed++;
        run->recorded_agree += strcmp(row->outcome, row->staff) == 0;
        run->draft_agree += strcmp(effective, row->staff) == 0;
    }
    ps_work_destroy(&work);
    return 0;
}

static json_t *
s_run_locked(gw_store_t *store, const ps_config_t *draft, int64_t last,
             char *err, size_t errlen)
{
    s_run_t run = {
        .draft = draft, .by_rule = json_object(), .changes = json_array()};
    json_t *report = NULL;
    if (!run.by_rule || !run.changes) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (gw_store_backtest_rows(store, last, s_replay, &run) != 0) {
        snprintf(err, errlen, "%s", gw_store_error(store));
        goto out;
    }
    report =
        json_pack("{s:I,s:I,s:I,s:s,s:O,s:{s:I,s:I,s:I},s:O}", "total",
                  (json_int_t)run.total, "changed", (json_int_t)run.changed,
                  "skipped", (json_int_t)run.skipped, "ruleset",
                  draft->version ? draft->version : "", "by_rule", run.by_rule,
                  "agreement", "reviewed", (json_int_t)run.reviewed, "recorded",
                  (json_int_t)run.recorded_agree, "draft",
                  (json_int_t)run.draft_agree, "changes", run.changes);
    if (!report)
        snprintf(err, errlen, "out of memory");
out:
    json_decref(run.by_rule);
    json_decref(run.changes);
    return report;
}

/* rules_decide may set the process TZ for a draft's time windows
   (rules.h), so backtests run one at a time; the gateway sets its own
   zone before any thread starts and reads local time nowhere else. */
static pthread_mutex_t s_backtest_lock = PTHREAD_MUTEX_INITIALIZER;

json_t *
gw_backtest_run(gw_store_t *store, const ps_config_t *draft, int64_t last,
                char *err, size_t errlen)
{
    pthread_mutex_lock(&s_backtest_lock);
    json_t *report = s_run_locked(store, draft, last, err, errlen);
    pthread_mutex_unlock(&s_backtest_lock);
    return report;
}
