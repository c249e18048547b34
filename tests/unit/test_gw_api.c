/*  test_gw_api - the decisions API's pure parts: query parsing (every bad
    parameter named), the opaque cursor, and RFC 4180 CSV fields.        */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_api.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
s_utc(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static void
test_gw_api_filter_defaults(void **state)
{
    (void)state;
    gw_api_filter_t f;
    char err[256] = "";
    assert_int_equal(gw_api_filter_parse(NULL, true, &f, err, sizeof(err)), 0);
    assert_true(f.limit == 50);
    assert_string_equal(f.outcome, "");
    assert_false(f.has_cursor);
    assert_true(f.from_ms == 0 && f.to_ms == 0);
    /* An HTML form sends empty fields: they filter nothing. */
    assert_int_equal(gw_api_filter_parse("outcome=&source=&user=&q=&from=",
                                         true, &f, err, sizeof(err)),
                     0);
    assert_string_equal(f.outcome, "");
    assert_true(f.from_ms == 0);
}

static void
test_gw_api_filter_every_filter(void **state)
{
    (void)state;
    gw_api_filter_t f;
    char err[256] = "";
    assert_int_equal(
        gw_api_filter_parse("outcome=decline&source=ai&user=Alice%20B"
                            "&media_type=tv&from=2026-11-01&to=2026-11-02"
                            "&q=50%25+off&limit=1000",
                            true, &f, err, sizeof(err)),
        0);
    assert_string_equal(f.outcome, "decline");
    assert_string_equal(f.source, "ai");
    assert_string_equal(f.user, "Alice B");
    assert_true(f.user_id == 0);
    assert_string_equal(f.media_type, "tv");
    assert_true(f.from_ms == 1793491200000LL); /* 2026-11-01T00:00Z */
    /* `to` is inclusive: the whole of Nov 2 is in. */
    assert_true(f.to_ms == 1793491200000LL + 2 * 86400000LL);
    assert_string_equal(f.q, "50% off");
    assert_true(f.limit == 1000);
    /* A number is a user id. */
    assert_int_equal(gw_api_filter_parse("user=42", true, &f, err, sizeof(err)),
                     0);
    assert_true(f.user_id == 42);
    assert_string_equal(f.user, "");
}

static void
test_gw_api_filter_names_the_bad_parameter(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        const char *error;
    } cases[] = {
        {"outcome=approved", "query `outcome`: expected approve, decline or "
                             "review"},
        {"source=gpt", "query `source`: expected rule, ai, learner, staff or "
                       "error"},
        {"media_type=film", "query `media_type`: expected movie or tv"},
        {"from=2026-02-30", "query `from`: expected YYYY-MM-DD"},
        {"from=yesterday", "query `from`: expected YYYY-MM-DD"},
        {"to=2026-11-1", "query `to`: expected YYYY-MM-DD"},
        {"from=2026-11-03&to=2026-11-02", "query `to`: a day before `from`"},
        {"limit=0", "query `limit`: expected 1 to 1000"},
        {"limit=1001", "query `limit`: expected 1 to 1000"},
        {"limit=ten", "query `limit`: expected 1 to 1000"},
        {"cursor=garbage", "query `cursor`: not a cursor from `next_cursor`"},
        {"user=0", "query `user`: expected a requester name or a user id "
                   "from 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_api_filter_t f;
        char err[256] = "";
        assert_int_equal(
            gw_api_filter_parse(cases[i].query, true, &f, err, sizeof(err)),
            -1);
        assert_string_equal(err, cases[i].error);
    }
    gw_api_filter_t f;
    char err[256] = "";
    assert_int_equal(
        gw_api_filter_parse("outcom=approve", true, &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "query `outcom`: unknown parameter"));
    /* The CSV has no pages: limit and cursor are not its parameters. */
    assert_int_equal(
        gw_api_filter_parse("limit=5", false, &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "query `limit`: unknown parameter"));
    char long_q[400] = "q=";
    memset(long_q + 2, 'a', 300);
    long_q[302] = '\0';
    assert_int_equal(gw_api_filter_parse(long_q, true, &f, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "query `q`: longer than"));
}

static void
test_gw_api_cursor_round_trip(void **state)
{
    (void)state;
    char cursor[GW_API_CURSOR_LEN];
    assert_int_equal(
        gw_api_cursor_encode(1764000000123LL, 98765, cursor, sizeof(cursor)),
        0);
    /* Opaque and URL-safe: no digits of the id showing, no + / =. */
    assert_null(strstr(cursor, "98765"));
    assert_null(strpbrk(cursor, "+/=&?"));
    int64_t at = 0, id = 0;
    assert_int_equal(gw_api_cursor_decode(cursor, &at, &id), 0);
    assert_true(at == 1764000000123LL);
    assert_true(id == 98765);

    gw_api_filter_t f;
    char query[128], err[256];
    snprintf(query, sizeof(query), "cursor=%s&limit=2", cursor);
    assert_int_equal(gw_api_filter_parse(query, true, &f, err, sizeof(err)), 0);
    assert_true(f.has_cursor);
    assert_true(f.cursor_at == 1764000000123LL && f.cursor_id == 98765);

    const char *bad[] = {"", "djE6MTo", /* "v1:1:" cut short */
                         "djI6MToy",    /* "v2:1:2": another version */
                         "!!!!", "djE6LTE6Mg" /* "v1:-1:2" */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(gw_api_cursor_decode(bad[i], &at, &id), -1);
    assert_int_equal(gw_api_cursor_encode(1, 2, cursor, 4), -1);
}

static char *
s_field(const char *text, bool neutralize)
{
    gw_buf_t buf = {0};
    assert_int_equal(gw_api_csv_field(&buf, text, neutralize), 0);
    char *out = strdup(buf.len ? buf.data : "");
    gw_buf_free(&buf);
    return out;
}

static void
test_gw_api_csv_quoting(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool neutralize;
        const char *out;
    } cases[] = {
        {"plain", false, "plain"},
        {"", false, ""},
        {"a,b", false, "\"a,b\""},
        {"say \"hi\"", false, "\"say \"\"hi\"\"\""},
        {"\"", false, "\"\"\"\""},
        {"two\nlines", false, "\"two\nlines\""},
        {"cr\rhere", false, "\"cr\rhere\""},
        {"<img src=x onerror=alert(1)>", true, "<img src=x onerror=alert(1)>"},
        {"Amélie, 2001", true, "\"Amélie, 2001\""},
        {"=HYPERLINK(\"x\")", true, "\"'=HYPERLINK(\"\"x\"\")\""},
        {"-2", false, "-2"},
        {"+1 more", true, "\"'+1 more\""},
        {"@sum", true, "\"'@sum\""},
        {"\rcmd", true, "\"'\rcmd\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = s_field(cases[i].in, cases[i].neutralize);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
    char *empty = s_field(NULL, true);
    assert_string_equal(empty, "");
    free(empty);
}

static void
test_gw_api_buf_grows(void **state)
{
    (void)state;
    gw_buf_t buf = {0};
    for (int i = 0; i < 10000; i++)
        assert_int_equal(gw_buf_add(&buf, "0123456789", 10), 0);
    assert_true(buf.len == 100000);
    assert_true(buf.data[buf.len] == '\0');
    gw_buf_free(&buf);
    assert_null(buf.data);
    gw_buf_free(&buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gw_api_filter_defaults),
        cmocka_unit_test(test_gw_api_filter_every_filter),
        cmocka_unit_test(test_gw_api_filter_names_the_bad_parameter),
        cmocka_unit_test(test_gw_api_cursor_round_trip),
        cmocka_unit_test(test_gw_api_csv_quoting),
        cmocka_unit_test(test_gw_api_buf_grows),
    };
    return cmocka_run_group_tests(tests, s_utc, NULL);
}
