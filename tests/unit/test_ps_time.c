/*  test_ps_time - Overseerr's ISO-8601 timestamps and the two clocks.     */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_time.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
test_ps_time_parse_known_epochs(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(ps_time_parse_iso("2025-06-01T08:12:40.000Z", &ms), 0);
    assert_true(ms == 1748765560000LL);
    assert_int_equal(ps_time_parse_iso("1970-01-01T00:00:00.000Z", &ms), 0);
    assert_true(ms == 0);
    assert_int_equal(ps_time_parse_iso("2000-02-29T23:59:59.999Z", &ms), 0);
    assert_true(ms == 951868799999LL);
    assert_int_equal(ps_time_parse_iso("1969-12-31T23:59:59.000Z", &ms), 0);
    assert_true(ms == -1000);
}

static void
test_ps_time_parse_variants(void **state)
{
    (void)state;
    int64_t ms = 0;
    /* no milliseconds */
    assert_int_equal(ps_time_parse_iso("2025-06-01T08:12:40Z", &ms), 0);
    assert_true(ms == 1748765560000LL);
    /* date only: midnight UTC */
    assert_int_equal(ps_time_parse_iso("2025-06-01", &ms), 0);
    assert_true(ms == 1748736000000LL);
    /* one and six fraction digits */
    assert_int_equal(ps_time_parse_iso("2025-06-01T08:12:40.5Z", &ms), 0);
    assert_true(ms == 1748765560500LL);
    assert_int_equal(ps_time_parse_iso("2025-06-01T08:12:40.123456Z", &ms), 0);
    assert_true(ms == 1748765560123LL);
    /* SQLite's space separator, no zone letter */
    assert_int_equal(ps_time_parse_iso("2025-06-01 08:12:40", &ms), 0);
    assert_true(ms == 1748765560000LL);
}

static void
test_ps_time_parse_rejects_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "garbage",
        "2025",
        "2025-06",
        "2025-6-01",
        "2025-06-1",
        "2025-13-01",
        "2025-00-10",
        "2025-06-00",
        "2025-02-30",
        "2023-02-29",
        "1900-02-29",
        "2025-06-01X",
        "2025-06-01T",
        "2025-06-01T08:12Z",
        "2025-06-01T24:00:00Z",
        "2025-06-01T08:60:00Z",
        "2025-06-01T08:12:40Zjunk",
        "2025-06-01T08:12:40+02:00",
        "+025-06-01",
        " 2025-06-01",
        "2025-06- 1",
        "2025-06-01T 8:12:40Z",
        "2025-06-01T08:-1:40Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 777;
        if (ps_time_parse_iso(bad[i], &ms) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(ms == 777);
    }
    int64_t ms = 777;
    assert_int_equal(ps_time_parse_iso(NULL, &ms), -1);
}

static void
test_ps_time_format_known_values(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(ps_time_format_iso(1748765560000LL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2025-06-01T08:12:40.000Z");
    assert_int_equal(ps_time_format_iso(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    assert_int_equal(ps_time_format_iso(951868799999LL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2000-02-29T23:59:59.999Z");
    assert_int_equal(ps_time_format_iso(-1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

static void
test_ps_time_format_buffer_too_small(void **state)
{
    (void)state;
    char buf[25];
    assert_int_equal(ps_time_format_iso(1748765560123LL, buf, 24), -1);
    assert_int_equal(ps_time_format_iso(1748765560123LL, buf, 25), 0);
    assert_string_equal(buf, "2025-06-01T08:12:40.123Z");
}

static void
test_ps_time_round_trip(void **state)
{
    (void)state;
    static const int64_t values[] = {0,
                                     1,
                                     999,
                                     1748765560000LL,
                                     1748765560123LL,
                                     951868799999LL,
                                     4102444799999LL, /* 2099-12-31 */
                                     -86400000LL};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char buf[32];
        int64_t back = 0;
        assert_int_equal(ps_time_format_iso(values[i], buf, sizeof(buf)), 0);
        assert_int_equal(ps_time_parse_iso(buf, &back), 0);
        assert_true(back == values[i]);
    }
}

static void
test_ps_time_clocks_move_forward(void **state)
{
    (void)state;
    int64_t wall = ps_time_now_ms();
    /* After 2024-01-01 and before 2100: a sane wall clock in ms. */
    assert_true(wall > 1704067200000LL);
    assert_true(wall < 4102444800000LL);
    int64_t a = ps_time_mono_ms();
    int64_t b = ps_time_mono_ms();
    assert_true(a > 0);
    assert_true(b >= a);
}

/* Local days follow TZ: the day Paris springs forward lasts 23 hours,
   and a bad date is refused, not normalized. */
static void
test_ps_time_local_dates(void **state)
{
    (void)state;
    setenv("TZ", "Europe/Paris", 1);
    tzset();
    int64_t start = 0, end = 0;
    assert_int_equal(ps_time_parse_local_date("2026-03-29", &start, &end), 0);
    assert_true(start == 1774738800000LL); /* 2026-03-28T23:00:00Z */
    assert_true(end - start == 23LL * 3600 * 1000);
    assert_int_equal(ps_time_parse_local_date("2026-07-01", &start, &end), 0);
    assert_true(start == 1782856800000LL); /* 2026-06-30T22:00:00Z */
    assert_true(end - start == 24LL * 3600 * 1000);
    char day[11];
    assert_int_equal(ps_time_format_local_date(start, day, sizeof(day)), 0);
    assert_string_equal(day, "2026-07-01");
    assert_int_equal(ps_time_format_local_date(end - 1, day, sizeof(day)), 0);
    assert_string_equal(day, "2026-07-01");
    assert_int_equal(ps_time_format_local_date(start, day, 10), -1);
    const char *bad[] = {"2026-02-30",           "2026-13-01", "2026-7-01",
                         "2026-07-01T00:00:00Z", "",           "yesterday"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ps_time_parse_local_date(bad[i], &start, &end), -1);
    unsetenv("TZ");
    tzset();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_time_parse_known_epochs),
        cmocka_unit_test(test_ps_time_parse_variants),
        cmocka_unit_test(test_ps_time_parse_rejects_garbage),
        cmocka_unit_test(test_ps_time_format_known_values),
        cmocka_unit_test(test_ps_time_format_buffer_too_small),
        cmocka_unit_test(test_ps_time_round_trip),
        cmocka_unit_test(test_ps_time_clocks_move_forward),
        cmocka_unit_test(test_ps_time_local_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
