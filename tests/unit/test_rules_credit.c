/*  test_rules_credit - the rule engine hands undecided records only to
    judges that asked, the one with the most free slots first, so a
    backlog is shared evenly over N judges instead of being pushed ahead
    into whichever pipes had room (bench/ANALYSIS.md, ai-judge scaling). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rules_credit.h"

#include <string.h>

/* Hands out `records` one at a time as the rule engine does; counts what
   each of the `count` judges got. Returns how many went out. */
static int
s_hand_out(rules_credit_t *book, const char *const *ids, size_t count,
           int records, int *got)
{
    int sent = 0;
    for (int r = 0; r < records; r++) {
        size_t len = 0;
        const void *id = rules_credit_pick(book, &len);
        if (!id)
            break;
        for (size_t j = 0; j < count; j++)
            if (len == strlen(ids[j]) && memcmp(id, ids[j], len) == 0)
                got[j]++;
        rules_credit_spend(book, id, len);
        sent++;
    }
    return sent;
}

static void
test_credit_shares_evenly_and_never_beyond_what_was_asked(void **state)
{
    (void)state;
    const char *ids[] = {"judge-a", "judge-b", "judge-c", "judge-d"};
    rules_credit_t *book = rules_credit_new();
    assert_non_null(book);
    for (size_t j = 0; j < 4; j++)
        assert_int_equal(
            rules_credit_ready(book, ids[j], strlen(ids[j]), 8, false), 0);
    assert_int_equal(rules_credit_total(book), 32);
    int got[4] = {0};
    /* 100 records waiting, 32 slots: 8 each, the rest waits. */
    assert_int_equal(s_hand_out(book, ids, 4, 100, got), 32);
    for (size_t j = 0; j < 4; j++)
        assert_int_equal(got[j], 8);
    size_t len = 0;
    assert_null(rules_credit_pick(book, &len));
    rules_credit_destroy(&book);
    assert_null(book);
}

static void
test_credit_goes_to_the_judge_with_most_room(void **state)
{
    (void)state;
    const char *ids[] = {"a", "b"};
    rules_credit_t *book = rules_credit_new();
    rules_credit_ready(book, "a", 1, 1, false);
    rules_credit_ready(book, "b", 1, 3, false);
    rules_credit_ready(book, "b", 1, 1, false); /* adds: b has 4 */
    int got[2] = {0};
    assert_int_equal(s_hand_out(book, ids, 2, 3, got), 3);
    assert_int_equal(got[0], 0);
    assert_int_equal(got[1], 3);
    rules_credit_destroy(&book);
}

static void
test_credit_reset_replaces_and_forget_drops(void **state)
{
    (void)state;
    rules_credit_t *book = rules_credit_new();
    rules_credit_ready(book, "a", 1, 8, false);
    rules_credit_ready(book, "a", 1, 2, true);
    assert_int_equal(rules_credit_total(book), 2);
    rules_credit_ready(book, "b", 1, 5, false);
    assert_int_equal(rules_credit_judges(book), 2);
    rules_credit_forget(book, "b", 1);
    assert_int_equal(rules_credit_judges(book), 1);
    assert_int_equal(rules_credit_total(book), 2);
    size_t len = 0;
    const void *id = rules_credit_pick(book, &len);
    assert_non_null(id);
    assert_memory_equal(id, "a", 1);
    /* A routing id ZeroMQ could not have made is refused. */
    assert_int_equal(rules_credit_ready(book, "", 0, 1, false), -1);
    rules_credit_destroy(&book);
}

static void
test_ready_message_round_trip_and_bad_count(void **state)
{
    (void)state;
    zmsg_t *msg = rules_ready_encode(6, true);
    assert_non_null(msg);
    int slots = 0;
    bool reset = false;
    char err[256] = "";
    assert_int_equal(
        rules_ready_decode(zmsg_first(msg), &slots, &reset, err, sizeof(err)),
        0);
    assert_int_equal(slots, 6);
    assert_true(reset);
    zmsg_destroy(&msg);
    msg = rules_ready_encode(-1, false);
    assert_int_equal(
        rules_ready_decode(zmsg_first(msg), &slots, &reset, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "field `n`"));
    zmsg_destroy(&msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_credit_shares_evenly_and_never_beyond_what_was_asked),
        cmocka_unit_test(test_credit_goes_to_the_judge_with_most_room),
        cmocka_unit_test(test_credit_reset_replaces_and_forget_drops),
        cmocka_unit_test(test_ready_message_round_trip_and_bad_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
