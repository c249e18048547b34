/*  test_ps_parse - strict integer, number and boolean parsing.            */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_parse.h"

#include <stdbool.h>

static void
test_ps_parse_int64_accepts_whole_numbers(void **state)
{
    (void)state;
    int64_t value = 0;
    assert_int_equal(ps_parse_int64("42", 0, 100, &value), 0);
    assert_int_equal(value, 42);
    assert_int_equal(ps_parse_int64("-7", -10, 10, &value), 0);
    assert_int_equal(value, -7);
    assert_int_equal(ps_parse_int64("+5", 0, 10, &value), 0);
    assert_int_equal(value, 5);
    assert_int_equal(
        ps_parse_int64("9223372036854775807", 0, INT64_MAX, &value), 0);
    assert_true(value == INT64_MAX);
    assert_int_equal(
        ps_parse_int64("-9223372036854775808", INT64_MIN, 0, &value), 0);
    assert_true(value == INT64_MIN);
}

static void
test_ps_parse_int64_rejects_garbage_and_keeps_out(void **state)
{
    (void)state;
    static const char *bad[] = {"",    "12abc", "abc", "1.5", "12 ",
                                " 12", "0x10",  "--1", "1e3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t value = 1234;
        assert_int_equal(ps_parse_int64(bad[i], INT64_MIN, INT64_MAX, &value),
                         -1);
        assert_int_equal(value, 1234);
    }
    int64_t value = 1234;
    assert_int_equal(ps_parse_int64(NULL, 0, 10, &value), -1);
    assert_int_equal(value, 1234);
}

static void
test_ps_parse_int64_checks_range_and_overflow(void **state)
{
    (void)state;
    int64_t value = 99;
    assert_int_equal(ps_parse_int64("11", 0, 10, &value), -1);
    assert_int_equal(ps_parse_int64("-1", 0, 10, &value), -1);
    assert_int_equal(
        ps_parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &value),
        -1);
    assert_int_equal(value, 99);
    assert_int_equal(ps_parse_int64("10", 0, 10, &value), 0);
    assert_int_equal(value, 10);
    assert_int_equal(ps_parse_int64("0", 0, 10, &value), 0);
    assert_int_equal(value, 0);
}

static void
test_ps_parse_double_accepts_numbers(void **state)
{
    (void)state;
    double value = 0;
    assert_int_equal(ps_parse_double("0.85", 0, 1, &value), 0);
    assert_float_equal(value, 0.85, 1e-12);
    assert_int_equal(ps_parse_double("6", 0, 10, &value), 0);
    assert_float_equal(value, 6.0, 1e-12);
    assert_int_equal(ps_parse_double("-2.5e1", -100, 100, &value), 0);
    assert_float_equal(value, -25.0, 1e-12);
    assert_int_equal(ps_parse_double("1", 0, 1, &value), 0);
    assert_float_equal(value, 1.0, 1e-12);
}

static void
test_ps_parse_double_rejects_bad_input(void **state)
{
    (void)state;
    static const char *bad[] = {"",      "hot", "1.5x", "nan", "inf",
                                "1e400", " 1",  "0.5 ", "1,5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double value = 7.25;
        assert_int_equal(ps_parse_double(bad[i], -1e300, 1e300, &value), -1);
        assert_float_equal(value, 7.25, 0);
    }
    double value = 7.25;
    assert_int_equal(ps_parse_double("1.5", 0, 1, &value), -1);
    assert_int_equal(ps_parse_double("-0.1", 0, 1, &value), -1);
    assert_int_equal(ps_parse_double(NULL, 0, 1, &value), -1);
    assert_float_equal(value, 7.25, 0);
}

static void
test_ps_parse_bool_words(void **state)
{
    (void)state;
    static const char *yes[] = {"true", "TRUE", "Yes", "on", "1"};
    static const char *no[] = {"false", "False", "NO", "off", "0"};
    for (size_t i = 0; i < 5; i++) {
        bool value = false;
        assert_int_equal(ps_parse_bool(yes[i], &value), 0);
        assert_true(value);
        assert_int_equal(ps_parse_bool(no[i], &value), 0);
        assert_false(value);
    }
}

static void
test_ps_parse_bool_rejects_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {"", "maybe", "2", "tru", "yes ", "y", "n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool value = true;
        assert_int_equal(ps_parse_bool(bad[i], &value), -1);
        assert_true(value);
    }
    bool value = true;
    assert_int_equal(ps_parse_bool(NULL, &value), -1);
    assert_true(value);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_parse_int64_accepts_whole_numbers),
        cmocka_unit_test(test_ps_parse_int64_rejects_garbage_and_keeps_out),
        cmocka_unit_test(test_ps_parse_int64_checks_range_and_overflow),
        cmocka_unit_test(test_ps_parse_double_accepts_numbers),
        cmocka_unit_test(test_ps_parse_double_rejects_bad_input),
        cmocka_unit_test(test_ps_parse_bool_words),
        cmocka_unit_test(test_ps_parse_bool_rejects_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
