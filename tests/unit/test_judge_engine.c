/*  test_judge_engine - judge_engine against the LLM simulator, in process.

    The simulator (tests/sim llmsim_server) listens on a free loopback
    port; the engine's hooks record what would go on the bus. Covers: an
    unreachable server (retries, then review), many calls in flight at
    once bounded by ai.concurrency, the verdict cache, the breaker opening
    and refusing, the daily budget refused or unanswered, and release on
    stop.                                                                  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge_engine.h"
#include "llm_sim.h"
#include "ps_config.h"
#include "ps_http.h"
#include "ps_time.h"
#include "ps_work.h"

#define NOW_MS 1764000000000LL

typedef struct {
    int done;              /* records handed over */
    int reviews;           /* of which reviews */
    int releases;          /* of which releases */
    int cached;            /* decisions with the cached param */
    int usage;             /* usage records */
    long last_status;      /* http_status of the last usage record */
    int status_calls;      /* breaker changes reported */
    char breaker[16];      /* the last breaker state reported */
    char last_reason[512]; /* explanation of the last review */
    int reserve_calls;     /* reservations asked */
    int reserve_mode;      /* 0 grant, 1 refuse (spent), 2 silent,
                              3 refuse (only estimates in flight) */
} s_seen_t;

static void
s_on_done(ps_work_t **work_p, void *arg)
{
    s_seen_t *seen = arg;
    ps_work_t *work = *work_p;
    seen->done++;
    if (strcmp(work->type, "release") == 0) {
        seen->releases++;
        return;
    }
    assert_string_equal(work->type, "decision");
    if (work->outcome == PS_OUTCOME_REVIEW
        && strcmp(work->message_id, "ai_failed") == 0) {
        seen->reviews++;
        assert_false(work->has_score);
        snprintf(seen->last_reason, sizeof(seen->last_reason), "%s",
                 work->explanation);
    }
    for (size_t i = 0; i + 1 < work->param_count; i += 2)
        if (strcmp(work->params[i], "cached") == 0)
            seen->cached++;
}

static void
s_on_usage(const ps_usage_t *usage, void *arg)
{
    s_seen_t *seen = arg;
    seen->usage++;
    seen->last_status = (long)usage->http_status;
}

static void
s_on_status(const char *breaker, const char *detail, void *arg)
{
    s_seen_t *seen = arg;
    (void)detail;
    seen->status_calls++;
    snprintf(seen->breaker, sizeof(seen->breaker), "%s", breaker);
}

static int
s_on_reserve(int64_t request_id, double estimate_usd, ps_reserve_reply_t *reply,
             void *arg)
{
    s_seen_t *seen = arg;
    (void)request_id;
    seen->reserve_calls++;
    assert_true(estimate_usd > 0);
    if (seen->reserve_mode == 2)
        return -1;
    reply->granted = seen->reserve_mode == 0;
    reply->spent_usd = seen->reserve_mode == 1 ? 1.75 : 1.5;
    reply->reserved_usd = seen->reserve_mode == 1 ? 0 : 0.25;
    reply->budget_usd = 1.75;
    return 0;
}

static ps_config_t *
s_config(const char *yaml)
{
    char path[] = "/tmp/test_judge_engine_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    ps_config_t *config = ps_config_load(path, NULL, NULL);
    unlink(path);
    assert_non_null(config);
    return config;
}

static ps_work_t *
s_work(int64_t id, const char *title)
{
    ps_work_t *work = ps_work_new("undecided");
    work->request_id = id;
    ps_work_set_str(&work->media_type, "movie");
    ps_work_set_str(&work->title, title);
    work->year = 2011;
    work->rating = 7.5;
    work->votes = 1000;
    work->user_created_at = NOW_MS - 400 * 86400000LL;
    return work;
}

static judge_engine_t *
s_engine(const ps_config_t *config, s_seen_t *seen)
{
    judge_hooks_t hooks = {s_on_done, s_on_usage, s_on_status, s_on_reserve,
                           seen};
    judge_engine_t *engine = judge_engine_new(config, "ai-judge@test", &hooks);
    assert_non_null(engine);
    return engine;
}

/* Runs the engine until `want` records came out or timeout_ms passed. */
static void
s_drive(judge_engine_t *engine, const ps_config_t *config, s_seen_t *seen,
        int want, int timeout_ms)
{
    int64_t end = ps_time_mono_ms() + timeout_ms;
    while (seen->done < want && ps_time_mono_ms() < end) {
        assert_int_equal(judge_engine_poll(engine, -1, 50), 0);
        judge_engine_run(engine, config);
    }
}

static llmsim_server_t *
s_sim(int latency_ms, double fail_500, int *port)
{
    llmsim_config_t sim_config;
    llmsim_config_defaults(&sim_config);
    sim_config.latency_ms = latency_ms;
    sim_config.fail_500 = fail_500;
    char err[256];
    llmsim_server_t *sim =
        llmsim_server_new("127.0.0.1:0", 64, &sim_config, 1, err, sizeof(err));
    assert_non_null(sim);
    *port = llmsim_server_port(sim);
    return sim;
}

static json_t *
s_sim_stats(int port)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/sim/stats", port);
    ps_http_t *http = ps_http_new(2000, 5000, 1 << 20);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    json_t *stats = json_loads(response.body, 0, NULL);
    assert_non_null(stats);
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
    return stats;
}

static char *
s_yaml(int port, const char *extra)
{
    char *yaml = malloc(2048);
    snprintf(yaml, 2048,
             "ai:\n  base_url: http://127.0.0.1:%d/v1\n  api_key: k\n"
             "  timeout_ms: 5000\n%s",
             port, extra);
    return yaml;
}

static void
test_judge_engine_unreachable_gives_review(void **state)
{
    (void)state;
    /* Port 9 on localhost refuses at once: every attempt is a connect
       error, retried after a backoff timer, then a review with no score. */
    ps_config_t *config = s_config("ai:\n  base_url: http://127.0.0.1:9/v1\n"
                                   "  max_attempts: 2\n");
    s_seen_t seen = {0};
    judge_engine_t *engine = s_engine(config, &seen);
    ps_work_t *work = s_work(7, "Nowhere");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    assert_null(work);
    assert_int_equal(judge_engine_active(engine), 1);
    s_drive(engine, config, &seen, 1, 10000);
    assert_int_equal(seen.done, 1);
    assert_int_equal(seen.reviews, 1);
    assert_int_equal(seen.usage, 2);
    assert_int_equal(seen.last_status, 0);
    assert_non_null(strstr(seen.last_reason, "cannot connect"));
    assert_non_null(strstr(seen.last_reason, "gave up after 2 attempts"));
    assert_int_equal(judge_engine_active(engine), 0);
    judge_engine_destroy(&engine);
    judge_engine_destroy(&engine);
    judge_engine_destroy(NULL);
    ps_config_destroy(&config);
}

static void
test_judge_engine_concurrency_and_cache(void **state)
{
    (void)state;
    int port = 0;
    llmsim_server_t *sim = s_sim(300, 0, &port);
    char *yaml = s_yaml(port, "  concurrency: 8\n");
    ps_config_t *config = s_config(yaml);
    free(yaml);
    s_seen_t seen = {0};
    judge_engine_t *engine = s_engine(config, &seen);
    int submitted = 0;
    int64_t started = ps_time_mono_ms();
    /* The service's rule: take work only while a slot is free. */
    while (seen.done < 24 && ps_time_mono_ms() - started < 20000) {
        while (submitted < 24 && judge_engine_free_slots(engine, config) > 0) {
            char title[32];
            snprintf(title, sizeof(title), "Film %d", submitted);
            ps_work_t *work = s_work(100 + submitted, title);
            assert_int_equal(judge_engine_submit(engine, config, &work), 0);
            submitted++;
        }
        assert_true(judge_engine_active(engine) <= 8);
        judge_engine_poll(engine, -1, 50);
        judge_engine_run(engine, config);
    }
    int64_t took = ps_time_mono_ms() - started;
    assert_int_equal(seen.done, 24);
    assert_int_equal(seen.reviews, 0);
    /* 24 calls of 300 ms, 8 at a time: about 0.9 s, not 7.2 s. */
    assert_true(took < 3000);
    json_t *stats = s_sim_stats(port);
    assert_int_equal(json_integer_value(json_object_get(stats, "calls")), 24);
    assert_int_equal(
        json_integer_value(json_object_get(stats, "max_in_flight")), 8);
    json_decref(stats);

    /* The same title again (another requester of the same level): the
       verdict is reused, no call, no usage record. */
    int usage_before = seen.usage;
    ps_work_t *work = s_work(500, "Film 3");
    ps_work_set_str(&work->user_name, "Someone else");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    assert_int_equal(seen.done, 25);
    assert_int_equal(seen.cached, 1);
    assert_int_equal(seen.usage, usage_before);
    stats = s_sim_stats(port);
    assert_int_equal(json_integer_value(json_object_get(stats, "calls")), 24);
    json_decref(stats);
    judge_engine_stats_t counts;
    judge_engine_stats(engine, &counts);
    assert_int_equal(counts.decided, 25);
    assert_int_equal(counts.llm_calls, 24);
    assert_int_equal(counts.verdicts, 24);
    assert_int_equal(counts.cached, 1);
    judge_engine_destroy(&engine);
    ps_config_destroy(&config);

    /* ai.cache_ttl 0: every request is asked. */
    yaml = s_yaml(port, "  cache_ttl: 0\n");
    config = s_config(yaml);
    free(yaml);
    memset(&seen, 0, sizeof(seen));
    engine = s_engine(config, &seen);
    for (int i = 0; i < 2; i++) {
        work = s_work(600 + i, "Film 3");
        assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    }
    s_drive(engine, config, &seen, 2, 5000);
    assert_int_equal(seen.cached, 0);
    assert_int_equal(seen.usage, 2);
    judge_engine_destroy(&engine);
    ps_config_destroy(&config);
    llmsim_server_destroy(&sim);
}

static void
test_judge_engine_breaker_opens(void **state)
{
    (void)state;
    int port = 0;
    llmsim_server_t *sim = s_sim(0, 1.0, &port);
    char *yaml = s_yaml(port, "  max_attempts: 1\n  breaker_failures: 2\n"
                              "  breaker_open: 1s\n");
    ps_config_t *config = s_config(yaml);
    free(yaml);
    s_seen_t seen = {0};
    judge_engine_t *engine = s_engine(config, &seen);
    for (int i = 0; i < 2; i++) {
        ps_work_t *work = s_work(10 + i, i ? "B" : "A");
        assert_int_equal(judge_engine_submit(engine, config, &work), 0);
        s_drive(engine, config, &seen, i + 1, 5000);
    }
    assert_int_equal(seen.reviews, 2);
    assert_non_null(strstr(seen.last_reason, "HTTP 500"));
    assert_string_equal(seen.breaker, "open");
    assert_string_equal(judge_engine_breaker(engine), "open");
    /* Open: no call, a review at once with the reason. */
    ps_work_t *work = s_work(12, "C");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    assert_int_equal(seen.done, 3);
    assert_non_null(strstr(seen.last_reason, "LLM unavailable (circuit open)"));
    assert_int_equal(seen.usage, 2);
    /* After breaker_open: half-open, one probe, which fails: open. */
    zclock_sleep(1100);
    judge_engine_run(engine, config);
    assert_string_equal(seen.breaker, "half-open");
    work = s_work(13, "D");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    work = s_work(14, "E");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    /* The second was refused while the probe is out. */
    assert_int_equal(seen.done, 4);
    s_drive(engine, config, &seen, 5, 5000);
    assert_string_equal(seen.breaker, "open");
    assert_int_equal(seen.usage, 3);
    assert_int_equal(seen.status_calls, 3);
    judge_engine_destroy(&engine);
    ps_config_destroy(&config);
    llmsim_server_destroy(&sim);
}

static void
test_judge_engine_budget(void **state)
{
    (void)state;
    int port = 0;
    llmsim_server_t *sim = s_sim(0, 0, &port);
    char *yaml = s_yaml(port, "  daily_budget_usd: 1.75\n  cache_ttl: 0\n");
    ps_config_t *config = s_config(yaml);
    free(yaml);
    s_seen_t seen = {0};
    judge_engine_t *engine = s_engine(config, &seen);
    /* Granted: the call goes. */
    ps_work_t *work = s_work(20, "Granted");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    s_drive(engine, config, &seen, 1, 5000);
    assert_int_equal(seen.reserve_calls, 1);
    assert_int_equal(seen.usage, 1);
    assert_int_equal(seen.reviews, 0);
    /* Refused: a review naming the budget, no call. */
    seen.reserve_mode = 1;
    work = s_work(21, "Refused");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    assert_int_equal(seen.done, 2);
    assert_int_equal(seen.usage, 1);
    assert_non_null(
        strstr(seen.last_reason, "daily AI budget reached ($1.75 of $1.75)"));
    /* Only the estimates of calls in flight fill it: the request waits
       and goes once they are released. */
    seen.reserve_mode = 3;
    int reserve_calls = seen.reserve_calls;
    work = s_work(23, "Waits");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    s_drive(engine, config, &seen, 3, 600); /* runs out: nothing is done */
    assert_int_equal(seen.done, 2);
    assert_true(seen.reserve_calls > reserve_calls + 1);
    seen.reserve_mode = 0;
    s_drive(engine, config, &seen, 3, 5000);
    assert_int_equal(seen.done, 3);
    assert_int_equal(seen.usage, 2);
    assert_int_equal(seen.reviews, 1);
    /* The gateway silent: no call either. */
    seen.reserve_mode = 2;
    work = s_work(22, "Silent");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    assert_int_equal(seen.done, 4);
    assert_non_null(strstr(seen.last_reason, "cannot check the AI budget"));
    assert_int_equal(seen.usage, 2);
    judge_engine_destroy(&engine);
    ps_config_destroy(&config);
    /* No budget configured: no reservation at all. */
    yaml = s_yaml(port, "");
    config = s_config(yaml);
    free(yaml);
    memset(&seen, 0, sizeof(seen));
    seen.reserve_mode = 2;
    engine = s_engine(config, &seen);
    work = s_work(23, "Free");
    assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    s_drive(engine, config, &seen, 1, 5000);
    assert_int_equal(seen.reserve_calls, 0);
    assert_int_equal(seen.reviews, 0);
    judge_engine_destroy(&engine);
    ps_config_destroy(&config);
    llmsim_server_destroy(&sim);
}

static void
test_judge_engine_release_on_stop(void **state)
{
    (void)state;
    int port = 0;
    llmsim_server_t *sim = s_sim(2000, 0, &port);
    char *yaml = s_yaml(port, "");
    ps_config_t *config = s_config(yaml);
    free(yaml);
    s_seen_t seen = {0};
    judge_engine_t *engine = s_engine(config, &seen);
    for (int i = 0; i < 3; i++) {
        char title[16];
        snprintf(title, sizeof(title), "Slow %d", i);
        ps_work_t *work = s_work(30 + i, title);
        assert_int_equal(judge_engine_submit(engine, config, &work), 0);
    }
    judge_engine_poll(engine, -1, 50);
    judge_engine_run(engine, config);
    assert_int_equal(judge_engine_active(engine), 3);
    judge_engine_release_all(engine, "ai-judge stopping");
    assert_int_equal(seen.releases, 3);
    assert_int_equal(judge_engine_active(engine), 0);
    judge_engine_destroy(&engine);
    ps_config_destroy(&config);
    llmsim_server_destroy(&sim);
}

int
main(void)
{
    /* The environment wins over the file: keep the caller's out. */
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_ENABLED");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_MODEL");
    unsetenv("OPENAI_TEMPERATURE");
    unsetenv("OPENAI_MAX_TOKENS");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_engine_unreachable_gives_review),
        cmocka_unit_test(test_judge_engine_concurrency_and_cache),
        cmocka_unit_test(test_judge_engine_breaker_opens),
        cmocka_unit_test(test_judge_engine_budget),
        cmocka_unit_test(test_judge_engine_release_on_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
