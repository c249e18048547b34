/*  test_ps_log - redaction, line folding and levels.                      */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_log.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int
s_setup(void **state)
{
    (void)state;
    ps_log_clear_secrets();
    ps_log_init("tester", PS_LOG_INFO);
    return 0;
}

static void
s_expect(const char *in, const char *want)
{
    char out[512];
    size_t n = ps_log_redact(in, out, sizeof(out));
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void
test_ps_log_redacts_registered_secrets(void **state)
{
    (void)state;
    ps_log_add_secret("sk-test-abcdef123456");
    ps_log_add_secret("hook-secret-42");
    s_expect("key=sk-test-abcdef123456 ok", "key=*** ok");
    s_expect("sk-test-abcdef123456sk-test-abcdef123456", "******");
    s_expect("sig hook-secret-42, again hook-secret-42", "sig ***, again ***");
    /* A prefix of a secret is not the secret. */
    s_expect("sk-test-abc", "sk-test-abc");
    ps_log_clear_secrets();
    s_expect("key=sk-test-abcdef123456", "key=sk-test-abcdef123456");
}

static void
test_ps_log_registering_twice_is_harmless(void **state)
{
    (void)state;
    ps_log_add_secret("twice-secret");
    ps_log_add_secret("twice-secret");
    s_expect("a twice-secret b", "a *** b");
    ps_log_add_secret(NULL);
    s_expect("plain words", "plain words");
}

static void
test_ps_log_ignores_short_secrets(void **state)
{
    (void)state;
    ps_log_add_secret("abc");
    ps_log_add_secret("");
    s_expect("abc abcdef cab", "abc abcdef cab");
    ps_log_add_secret("abcd");
    s_expect("abc abcd", "abc ***");
}

static void
test_ps_log_masks_bearer_tokens(void **state)
{
    (void)state;
    s_expect("Authorization: Bearer eyJhbGciOi.x-y_z end",
             "Authorization: Bearer *** end");
    s_expect("bearer abc123", "Bearer ***");
    s_expect("{\"auth\":\"Bearer tok123\"}", "{\"auth\":\"Bearer ***\"}");
    /* "Bearer" with no token stays. */
    s_expect("Bearer ", "Bearer ");
    s_expect("the bearer", "the bearer");
}

static void
test_ps_log_masks_emails(void **state)
{
    (void)state;
    s_expect("user bob.smith+tag@example.co.uk asked", "user <email> asked");
    s_expect("to=<alice@example.com>.", "to=<<email>>.");
    s_expect("alice@example.com.", "<email>.");
    s_expect("a@b.c", "<email>");
}

static void
test_ps_log_keeps_ordinary_text(void **state)
{
    (void)state;
    s_expect("a@b", "a@b");
    s_expect("scan done pending=12 at @home", "scan done pending=12 at @home");
    s_expect("version 1.2.3 user@host", "version 1.2.3 user@host");
    s_expect("", "");
}

static void
test_ps_log_folds_newlines(void **state)
{
    (void)state;
    s_expect("one\ntwo\r\nthree", "one two  three");
}

static void
test_ps_log_redact_truncates_to_buffer(void **state)
{
    (void)state;
    char out[6];
    size_t n = ps_log_redact("abcdefghij", out, sizeof(out));
    assert_int_equal(n, 5);
    assert_string_equal(out, "abcde");
    char tiny[4];
    n = ps_log_redact("x alice@example.com", tiny, sizeof(tiny));
    assert_int_equal(n, 3);
    assert_string_equal(tiny, "x <");
    assert_int_equal(ps_log_redact("abc", tiny, 0), 0);
}

static void
test_ps_log_level_parse(void **state)
{
    (void)state;
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        ps_log_level_t level = PS_LOG_ERROR;
        assert_int_equal(ps_log_level_parse(names[i], &level), 0);
        assert_int_equal(level, i);
    }
    ps_log_level_t level = PS_LOG_INFO;
    assert_int_equal(ps_log_level_parse("DEBUG", &level), 0);
    assert_int_equal(level, PS_LOG_DEBUG);
    level = PS_LOG_INFO;
    assert_int_equal(ps_log_level_parse("verbose", &level), -1);
    assert_int_equal(ps_log_level_parse("warning", &level), -1);
    assert_int_equal(ps_log_level_parse("", &level), -1);
    assert_int_equal(ps_log_level_parse(NULL, &level), -1);
    assert_int_equal(level, PS_LOG_INFO);
}

static void
test_ps_log_enabled_follows_level(void **state)
{
    (void)state;
    ps_log_set_level(PS_LOG_WARN);
    assert_true(ps_log_enabled(PS_LOG_ERROR));
    assert_true(ps_log_enabled(PS_LOG_WARN));
    assert_false(ps_log_enabled(PS_LOG_INFO));
    assert_false(ps_log_enabled(PS_LOG_DEBUG));
    ps_log_set_level(PS_LOG_DEBUG);
    assert_true(ps_log_enabled(PS_LOG_DEBUG));
}

/* Runs ps_log_write with stderr pointed at a pipe and returns what was
   written (NUL-terminated) in buf. */
static size_t
s_capture(char *buf, size_t len, ps_log_level_t level, const char *message)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
    ps_log_write(level, "%s", message);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < len && (got = read(fds[0], buf + n, len - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    close(fds[0]);
    return n;
}

static void
test_ps_log_write_one_redacted_line(void **state)
{
    (void)state;
    ps_log_add_secret("sk-live-0123456789");
    ps_log_init("poller", PS_LOG_INFO);
    char line[1024];
    size_t n = s_capture(line, sizeof(line), PS_LOG_WARN,
                         "call failed\nkey sk-live-0123456789 user "
                         "carol@example.org");
    assert_true(n > 0);
    /* "2026-11-25T13:40:00.123Z W poller: ..." */
    assert_int_equal(line[4], '-');
    assert_int_equal(line[10], 'T');
    assert_int_equal(line[23], 'Z');
    assert_string_equal(line + 24,
                        " W poller: call failed key *** user <email>\n");
    assert_ptr_equal(strchr(line, '\n'), line + n - 1);
}

static void
test_ps_log_write_filtered_by_level(void **state)
{
    (void)state;
    ps_log_init("poller", PS_LOG_WARN);
    char line[256];
    assert_int_equal(s_capture(line, sizeof(line), PS_LOG_INFO, "hidden"), 0);
    assert_string_equal(line, "");
    assert_true(s_capture(line, sizeof(line), PS_LOG_ERROR, "shown") > 0);
    assert_non_null(strstr(line, " E poller: shown\n"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ps_log_redacts_registered_secrets, s_setup),
        cmocka_unit_test_setup(test_ps_log_registering_twice_is_harmless,
                               s_setup),
        cmocka_unit_test_setup(test_ps_log_ignores_short_secrets, s_setup),
        cmocka_unit_test_setup(test_ps_log_masks_bearer_tokens, s_setup),
        cmocka_unit_test_setup(test_ps_log_masks_emails, s_setup),
        cmocka_unit_test_setup(test_ps_log_keeps_ordinary_text, s_setup),
        cmocka_unit_test_setup(test_ps_log_folds_newlines, s_setup),
        cmocka_unit_test_setup(test_ps_log_redact_truncates_to_buffer, s_setup),
        cmocka_unit_test_setup(test_ps_log_level_parse, s_setup),
        cmocka_unit_test_setup(test_ps_log_enabled_follows_level, s_setup),
        cmocka_unit_test_setup(test_ps_log_write_one_redacted_line, s_setup),
        cmocka_unit_test_setup(test_ps_log_write_filtered_by_level, s_setup),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ps_log_clear_secrets();
    return failed;
}
