/*  test_gw_budget - the daily AI budget shared by every judge
    (services/api-gateway/gw_budget): reservations count until their
    usage arrives, today's spend comes from the usage records, and the
    cap holds however many judges ask at once.                           */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_budget.h"
#include "ps_time.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    char dir[64];
    gw_store_t *store;
    gw_budget_t *budget;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_gw_budget.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/moderation.db", f->dir);
    char err[256];
    f->store = gw_store_open(path, err, sizeof(err));
    f->budget = gw_budget_new();
    assert_non_null(f->store);
    assert_non_null(f->budget);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    gw_budget_destroy(&f->budget);
    gw_budget_destroy(&f->budget);
    gw_store_destroy(&f->store);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void
s_usage(gw_store_t *store, int64_t request_id, double cost, int64_t at)
{
    ps_usage_t usage = {.request_id = request_id,
                        .model = "gpt-4o-mini",
                        .prompt_tokens = 300,
                        .completion_tokens = 60,
                        .cost_usd = cost,
                        .ok = true,
                        .at = at};
    assert_int_equal(gw_store_add_usage(store, &usage), 0);
}

static void
test_gw_budget_caps_in_flight_and_spent(void **state)
{
    fixture_t *f = *state;
    int64_t now = ps_time_now_ms();
    ps_reserve_reply_t reply;
    /* $0.10 budget, $0.04 already spent today, $0.01 yesterday. */
    s_usage(f->store, 1, 0.04, now);
    s_usage(f->store, 2, 0.01, ps_time_local_day_start_ms(now) - 1000);
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 10, 0.02, 0.10, now,
                                       1000, &reply),
                     0);
    assert_true(reply.granted);
    assert_true(reply.spent_usd > 0.0399 && reply.spent_usd < 0.0401);
    assert_true(reply.reserved_usd > 0.0199 && reply.reserved_usd < 0.0201);
    /* Two more in flight fit ($0.04 + 3 x $0.02 = $0.10), a fourth not. */
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 11, 0.02, 0.10, now,
                                       1000, &reply),
                     0);
    assert_true(reply.granted);
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 12, 0.02, 0.10, now,
                                       1000, &reply),
                     0);
    assert_true(reply.granted);
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 13, 0.02, 0.10, now,
                                       1000, &reply),
                     0);
    assert_false(reply.granted);
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 13, 0.01, 0.10, now,
                                       1000, &reply),
                     0);
    assert_false(reply.granted);
    /* Call 10 cost $0.005, not its $0.02 estimate: once its usage arrives
       the day holds 0.045 spent + 0.04 in flight, and $0.01 fits. */
    s_usage(f->store, 10, 0.005, now);
    gw_budget_settle(f->budget, 10, 1000);
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 13, 0.01, 0.10, now,
                                       1000, &reply),
                     0);
    assert_true(reply.granted);
    assert_true(reply.spent_usd > 0.0449 && reply.spent_usd < 0.0451);
    assert_true(reply.reserved_usd > 0.0499 && reply.reserved_usd < 0.0501);
}

static void
test_gw_budget_retry_replaces_and_expiry_frees(void **state)
{
    fixture_t *f = *state;
    int64_t now = ps_time_now_ms();
    ps_reserve_reply_t reply;
    assert_int_equal(
        gw_budget_reserve(f->budget, f->store, 5, 0.06, 0.10, now, 0, &reply),
        0);
    assert_true(reply.granted);
    /* The same request retried: its old estimate does not count twice. */
    assert_int_equal(
        gw_budget_reserve(f->budget, f->store, 5, 0.06, 0.10, now, 0, &reply),
        0);
    assert_true(reply.granted);
    assert_int_equal(
        gw_budget_reserve(f->budget, f->store, 6, 0.06, 0.10, now, 0, &reply),
        0);
    assert_false(reply.granted);
    /* A judge that died never sends usage: its hold expires. */
    assert_int_equal(gw_budget_reserve(f->budget, f->store, 6, 0.06, 0.10, now,
                                       GW_BUDGET_HOLD_MS + 1, &reply),
                     0);
    assert_true(reply.granted);
}

static void
test_gw_budget_zero_means_no_cap(void **state)
{
    fixture_t *f = *state;
    int64_t now = ps_time_now_ms();
    s_usage(f->store, 1, 1000.0, now);
    ps_reserve_reply_t reply;
    assert_int_equal(
        gw_budget_reserve(f->budget, f->store, 2, 5.0, 0, now, 0, &reply), 0);
    assert_true(reply.granted);
    assert_true(reply.budget_usd == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gw_budget_caps_in_flight_and_spent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_gw_budget_retry_replaces_and_expiry_frees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_budget_zero_means_no_cap, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
