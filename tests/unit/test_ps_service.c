/*  test_ps_service - the configuration file watch and ps_service_reload.

    The watch is driven with explicit clocks (ps_watch_check takes the
    monotonic and the wall time), so the change cases need no sleeping:
    "settled" is simply a wall time a second past the file's change. Two
    cases run on the real clocks through ps_signals_take_reload, as the
    service loops do, and wait a little over a second each. Every case
    works in a fresh temporary directory (the fixture).                   */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_bus.h"
#include "ps_config.h"
#include "ps_log.h"
#include "ps_service.h"
#include "ps_time.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char s_rules_5[] = "rules:\n  min_rating: 5.0\n";
static const char s_rules_6[] = "rules:\n  min_rating: 6.0\n";
static const char s_rules_95[] = "rules:\n  min_rating: 9.5\n";
static const char s_rules_7[] = "rules:\n  min_rating: 7\n"; /* shorter */
static const char s_misspelt[] = "rules:\n  min_ratin: 3\n";

typedef struct {
    char dir[64];   /* the case's temporary directory */
    char path[128]; /* dir/config.yaml */
    char tmp[128];  /* dir/config.yaml.tmp, for rename-replace */
} s_fixture_t;

static int
s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ps-service-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/config.yaml", f->dir);
    snprintf(f->tmp, sizeof(f->tmp), "%s/config.yaml.tmp", f->dir);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fixture_t *f = *state;
    ps_service_watch(NULL);
    unlink(f->tmp);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
s_write(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

/* Writes `path` the way editors do: a new file renamed over the old. */
static void
s_replace(const s_fixture_t *f, const char *text)
{
    s_write(f->tmp, text);
    assert_int_equal(rename(f->tmp, f->path), 0);
}

/* Moves the file's mtime a minute back. File times come from a coarse
   kernel clock, so two writes in the same few milliseconds can share one;
   backdating the first write keeps a same-size rewrite visible. */
static void
s_backdate(const char *path)
{
    struct timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= 60;
    times[1] = times[0];
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* A wall time by which any change made so far has settled. */
static int64_t
s_settled(void)
{
    return ps_time_now_ms() + 1000;
}

static void
s_sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0)
        ;
}

static void
test_ps_service_watch_unchanged_never_reports(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    assert_string_equal(ps_watch_path(watch), f->path);
    for (int64_t t = 0; t <= 10000; t += 500)
        assert_false(ps_watch_check(watch, t, s_settled()));
    ps_watch_destroy(&watch);
    assert_null(watch);
}

static void
test_ps_service_watch_modify_reported_once(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    s_backdate(f->path);
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    /* Same size, same inode: only the times tell. */
    s_write(f->path, s_rules_6);
    assert_true(ps_watch_check(watch, 1000, s_settled()));
    assert_false(ps_watch_check(watch, 2000, s_settled()));
    assert_false(ps_watch_check(watch, 3000, s_settled()));
    /* A second change is a second report. */
    s_backdate(f->path);
    assert_true(ps_watch_check(watch, 4000, s_settled()));
    assert_false(ps_watch_check(watch, 5000, s_settled()));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_checks_once_per_interval(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    s_backdate(f->path);
    ps_watch_t *watch = ps_watch_new(f->path, 10000);
    assert_non_null(watch);
    s_write(f->path, s_rules_95);
    /* Not due before the interval has passed since the start ... */
    assert_false(ps_watch_check(watch, 10000, s_settled()));
    assert_false(ps_watch_check(watch, 10999, s_settled()));
    assert_true(ps_watch_check(watch, 11000, s_settled()));
    /* ... nor since the previous check. */
    s_write(f->path, s_rules_7);
    assert_false(ps_watch_check(watch, 11500, s_settled()));
    assert_true(ps_watch_check(watch, 12000, s_settled()));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_waits_for_a_fresh_change_to_settle(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    s_backdate(f->path);
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    s_write(f->path, s_rules_95);
    /* Changed just now: maybe half-written, so left for the next check. */
    assert_false(ps_watch_check(watch, 1000, ps_time_now_ms()));
    assert_true(ps_watch_check(watch, 2000, s_settled()));
    assert_false(ps_watch_check(watch, 3000, s_settled()));
    /* A change time in the future cannot be waited out: it is taken. */
    s_write(f->path, s_rules_7);
    assert_true(ps_watch_check(watch, 4000, ps_time_now_ms() - 60000));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_rename_replace(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    s_backdate(f->path);
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    /* The same bytes in a new inode still count: the file was replaced. */
    s_replace(f, s_rules_5);
    assert_true(ps_watch_check(watch, 1000, s_settled()));
    assert_false(ps_watch_check(watch, 2000, s_settled()));
    s_replace(f, s_rules_95);
    assert_true(ps_watch_check(watch, 3000, s_settled()));
    assert_false(ps_watch_check(watch, 4000, s_settled()));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_missing_then_recreated(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    assert_int_equal(unlink(f->path), 0);
    /* Gone: nothing to report however long it stays away. */
    for (int64_t t = 1000; t <= 5000; t += 1000)
        assert_false(ps_watch_check(watch, t, s_settled()));
    /* Another size: a new file may get the freed inode number back. */
    s_write(f->path, s_rules_7);
    assert_true(ps_watch_check(watch, 6000, s_settled()));
    assert_false(ps_watch_check(watch, 7000, s_settled()));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_file_appears(void **state)
{
    s_fixture_t *f = *state;
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    assert_false(ps_watch_check(watch, 1000, s_settled()));
    s_write(f->path, s_rules_5);
    assert_true(ps_watch_check(watch, 2000, s_settled()));
    assert_false(ps_watch_check(watch, 3000, s_settled()));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_sync_absorbs_a_change(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    ps_watch_t *watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    s_replace(f, s_rules_95);
    ps_watch_sync(watch);
    assert_false(ps_watch_check(watch, 1000, s_settled()));
    ps_watch_destroy(&watch);
}

static void
test_ps_service_watch_destroy_null_and_twice(void **state)
{
    s_fixture_t *f = *state;
    ps_watch_destroy(NULL);
    ps_watch_t *watch = NULL;
    ps_watch_destroy(&watch);
    watch = ps_watch_new(f->path, 0);
    assert_non_null(watch);
    ps_watch_destroy(&watch);
    ps_watch_destroy(&watch);
    assert_null(watch);
}

static void
test_ps_service_sighup_reload_once(void **state)
{
    (void)state;
    ps_signals_init();
    ps_service_watch(NULL);
    assert_false(ps_signals_take_reload());
    assert_int_equal(raise(SIGHUP), 0);
    assert_true(ps_signals_take_reload());
    assert_false(ps_signals_take_reload());
    /* Nothing watched: no change can be reported. */
    assert_false(ps_service_config_changed());
}

/* The whole path a service takes: ps_service_start watches --config, and
   the loop's ps_signals_take_reload reports a change of the file once,
   at most a second later, on the real clocks. */
static void
test_ps_service_start_watches_config(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    char *argv[] = {"test", "--config", f->path, "--log-level", "warn", NULL};
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    assert_int_equal(ps_service_start("test", 5, argv, &config, &config_path),
                     0);
    assert_non_null(config);
    assert_ptr_equal(config_path, f->path);
    assert_false(ps_signals_take_reload());

    s_replace(f, s_rules_95);
    s_sleep_ms(PS_WATCH_INTERVAL_MS + 100);
    assert_true(ps_signals_take_reload());
    assert_false(ps_signals_take_reload());
    assert_int_equal(ps_service_reload(config_path, &config, NULL, 0), 0);
    assert_true(config->rules.min_rating == 9.5);

    /* A SIGHUP reload reads the file as it is, so a change made before
       the signal is not reported a second time afterwards. */
    s_replace(f, s_rules_6);
    assert_int_equal(raise(SIGHUP), 0);
    assert_true(ps_signals_take_reload());
    s_sleep_ms(PS_WATCH_INTERVAL_MS + 100);
    assert_false(ps_signals_take_reload());
    ps_config_destroy(&config);
}

static void
test_ps_service_start_bad_config_watches_nothing(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_misspelt);
    char *argv[] = {"test", "--config", f->path, "--log-level", "error", NULL};
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    assert_int_equal(ps_service_start("test", 5, argv, &config, &config_path),
                     2);
    assert_null(config);
    assert_false(ps_service_config_changed());
}

static void
test_ps_service_reload_keeps_old_config_on_error(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    ps_config_t *config = ps_config_load(f->path, NULL, NULL);
    assert_non_null(config);
    ps_config_t *before = config;
    char version[64];
    snprintf(version, sizeof(version), "%s", config->version);

    /* A line before the mistake, so the reported line is not line 1. */
    s_write(f->path, "scan_interval: 5m\nrules:\n  min_ratin: 3\n"
                     "  blocked_genre: [Horror]\n");
    char err[512] = "stale";
    assert_int_equal(ps_service_reload(f->path, &config, err, sizeof(err)), -1);
    assert_ptr_equal(config, before);
    assert_string_equal(config->version, version);
    assert_true(config->rules.min_rating == 5.0);
    char want[256];
    snprintf(want, sizeof(want), "%s:3:", f->path);
    assert_memory_equal(err, want, strlen(want));
    assert_non_null(strstr(err, "min_ratin"));
    assert_non_null(strstr(err, "did you mean `min_rating`"));
    assert_null(strchr(err, '\n'));

    /* No room for the text is fine. */
    assert_int_equal(ps_service_reload(f->path, &config, NULL, 0), -1);
    assert_ptr_equal(config, before);

    /* A missing file is refused the same way and says which. */
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(ps_service_reload(f->path, &config, err, sizeof(err)), -1);
    assert_ptr_equal(config, before);
    assert_non_null(strstr(err, f->path));

    /* A valid file then replaces it and clears the error text. */
    s_write(f->path, s_rules_95);
    assert_int_equal(ps_service_reload(f->path, &config, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_true(config->rules.min_rating == 9.5);
    assert_string_not_equal(config->version, version);
    ps_config_destroy(&config);
}

static void
test_ps_service_reload_truncates_error_text(void **state)
{
    s_fixture_t *f = *state;
    s_write(f->path, s_rules_5);
    ps_config_t *config = ps_config_load(f->path, NULL, NULL);
    assert_non_null(config);
    s_write(f->path, s_misspelt);
    char err[8];
    assert_int_equal(ps_service_reload(f->path, &config, err, sizeof(err)), -1);
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_memory_equal(err, f->path, sizeof(err) - 1);
    ps_config_destroy(&config);
}

int
main(void)
{
    ps_log_init("test", PS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_unchanged_never_reports, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_modify_reported_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_checks_once_per_interval, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_waits_for_a_fresh_change_to_settle, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(test_ps_service_watch_rename_replace,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_missing_then_recreated, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ps_service_watch_file_appears,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_sync_absorbs_a_change, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_watch_destroy_null_and_twice, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ps_service_sighup_reload_once,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ps_service_start_watches_config,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_start_bad_config_watches_nothing, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_reload_keeps_old_config_on_error, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(
            test_ps_service_reload_truncates_error_text, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
