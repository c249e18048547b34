/*  test_launcher - the launcher's argument parsing, backoff schedule, plan
    (which processes in which order with which environment, demo or real
    Overseerr) and a supervisor that really forks: /bin/sh children that
    fail are restarted on the 1 s, 2 s, 4 s schedule, SIGHUP reaches
    services but not simulators, stopping terminates (or kills) them.
    Executables for the plan tests are empty scripts in a temporary
    directory, so the real services need not be built.                  */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "launcher.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[256]; /* temporary directory of stubs and markers */

static const char *s_env_names[] = {
    "OVERSEERR_API_URL",  "OVERSEERR_API_KEY",   "OPENAI_API_KEY",
    "OPENAI_BASE_URL",    "WEBHOOK_SECRET",      "PLEXSTAFFAI_DEMO",
    "PLEXSTAFFAI_LISTEN", "PLEXSTAFFAI_DATA_DIR"};

static void
s_clear_env(void)
{
    for (size_t i = 0; i < sizeof(s_env_names) / sizeof(s_env_names[0]); i++)
        unsetenv(s_env_names[i]);
}

static void
s_write_file(const char *name, const char *text, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s_dir, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
    assert_int_equal(chmod(path, mode), 0);
}

static bool
s_exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", s_dir, name);
    return access(path, F_OK) == 0;
}

static int
s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof(s_dir), "/tmp/ps-launcher-test-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    static const char *programs[] = {
        "plexstaffai-api-gateway",   "plexstaffai-poller",
        "plexstaffai-enricher",      "plexstaffai-rule-engine",
        "plexstaffai-learner",       "plexstaffai-ai-judge",
        "plexstaffai-overseerr-sim", "plexstaffai-llm-sim"};
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
        s_write_file(programs[i], "#!/bin/sh\nexit 0\n", 0755);
    s_clear_env();
    return 0;
}

static int
s_teardown(void **state)
{
    (void)state;
    char command[512];
    snprintf(command, sizeof(command), "rm -rf '%s'", s_dir);
    return system(command) == 0 ? 0 : -1;
}

/* ---- arguments -------------------------------------------------------- */

static int
s_parse(launcher_args_t *args, char *err, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    return launcher_args_parse(argc, argv, args, err, 256);
}

static void
test_launcher_args_up(void **state)
{
    (void)state;
    launcher_args_t args;
    char err[256];
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "up"), 0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_UP);
    assert_null(args.config_path);
    assert_null(args.data_dir);
    assert_int_equal(args.judges, 1);

    assert_int_equal(s_parse(&args, err, 8, "plexstaffai", "up", "--config",
                             "c.yaml", "--judges", "3", "--data-dir", "/d"),
                     0);
    assert_string_equal(args.config_path, "c.yaml");
    assert_string_equal(args.data_dir, "/d");
    assert_int_equal(args.judges, 3);
}

static void
test_launcher_args_errors(void **state)
{
    (void)state;
    launcher_args_t args;
    char err[256];
    assert_int_equal(s_parse(&args, err, 1, "plexstaffai"), -1);
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "down"), -1);
    assert_non_null(strstr(err, "down"));
    assert_int_equal(s_parse(&args, err, 3, "plexstaffai", "up", "--bogus"),
                     -1);
    assert_non_null(strstr(err, "--bogus"));
    assert_int_equal(s_parse(&args, err, 3, "plexstaffai", "up", "--config"),
                     -1);
    assert_non_null(strstr(err, "needs a value"));
    const char *bad_judges[] = {"0", "65", "3x", "-1", ""};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(s_parse(&args, err, 4, "plexstaffai", "up", "--judges",
                                 bad_judges[i]),
                         -1);
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "check-config"), -1);
    assert_int_equal(
        s_parse(&args, err, 4, "plexstaffai", "check-config", "a", "b"), -1);
}

static void
test_launcher_args_commands(void **state)
{
    (void)state;
    launcher_args_t args;
    char err[256];
    assert_int_equal(
        s_parse(&args, err, 3, "plexstaffai", "check-config", "x.yaml"), 0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_CHECK_CONFIG);
    assert_string_equal(args.config_path, "x.yaml");
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "--help"), 0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_HELP);
    assert_int_equal(s_parse(&args, err, 3, "plexstaffai", "up", "--help"), 0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_HELP);
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "--version"), 0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_VERSION);
}

static void
test_launcher_args_backtest(void **state)
{
    (void)state;
    launcher_args_t args;
    char err[256];
    unsetenv("PLEXSTAFFAI_GATEWAY_URL");
    assert_int_equal(s_parse(&args, err, 4, "plexstaffai", "backtest",
                             "--config", "draft.yaml"),
                     0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_BACKTEST);
    assert_string_equal(args.config_path, "draft.yaml");
    assert_int_equal(args.last, 200);
    assert_string_equal(args.gateway, "http://127.0.0.1:5056");
    assert_int_equal(s_parse(&args, err, 8, "plexstaffai", "backtest", "--last",
                             "50", "--config", "d.yaml", "--gateway",
                             "http://gw:5056/"),
                     0);
    assert_int_equal(args.last, 50);
    assert_string_equal(args.gateway, "http://gw:5056/");
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "backtest"), -1);
    assert_non_null(strstr(err, "--config"));
    assert_int_equal(s_parse(&args, err, 6, "plexstaffai", "backtest",
                             "--config", "d.yaml", "--last", "0"),
                     -1);
    assert_non_null(strstr(err, "--last"));
}

static void
test_launcher_args_token(void **state)
{
    (void)state;
    launcher_args_t args;
    char err[256];
    assert_int_equal(s_parse(&args, err, 5, "plexstaffai", "token", "create",
                             "--role", "staff"),
                     0);
    assert_int_equal(args.cmd, LAUNCHER_CMD_TOKEN);
    assert_string_equal(args.role, "staff");
    assert_string_equal(args.name, "cli");
    assert_int_equal(s_parse(&args, err, 3, "plexstaffai", "token", "create"),
                     -1);
    assert_non_null(strstr(err, "--role"));
    assert_int_equal(s_parse(&args, err, 2, "plexstaffai", "token"), -1);
}

/* ---- backoff ---------------------------------------------------------- */

static void
test_launcher_backoff_schedule(void **state)
{
    (void)state;
    assert_int_equal(launcher_backoff_ms(0), 0);
    assert_int_equal(launcher_backoff_ms(1), 1000);
    assert_int_equal(launcher_backoff_ms(2), 2000);
    assert_int_equal(launcher_backoff_ms(3), 4000);
    assert_int_equal(launcher_backoff_ms(4), 8000);
    assert_int_equal(launcher_backoff_ms(5), 16000);
    assert_int_equal(launcher_backoff_ms(6), 30000);
    assert_int_equal(launcher_backoff_ms(7), 30000);
    assert_int_equal(launcher_backoff_ms(1000000), 30000);
}

static void
test_launcher_backoff_reset_after_healthy_run(void **state)
{
    (void)state;
    int failures = 0;
    assert_int_equal(launcher_backoff_next(&failures, 10), 1000);
    assert_int_equal(launcher_backoff_next(&failures, 10), 2000);
    assert_int_equal(launcher_backoff_next(&failures, 59999), 4000);
    assert_int_equal(failures, 3);
    /* A minute of healthy uptime forgets the past failures. */
    assert_int_equal(launcher_backoff_next(&failures, 60000), 1000);
    assert_int_equal(failures, 1);
}

/* ---- the plan --------------------------------------------------------- */

static launcher_plan_t *
s_plan(const char *config_path, int judges, const char *data_dir, char *err)
{
    ps_config_t *config = ps_config_load(NULL, NULL, NULL);
    assert_non_null(config);
    launcher_args_t args = {.cmd = LAUNCHER_CMD_UP,
                            .config_path = config_path,
                            .data_dir = data_dir,
                            .judges = judges};
    launcher_plan_t *plan = launcher_plan_new(config, &args, s_dir, err, 512);
    ps_config_destroy(&config);
    return plan;
}

static void
test_launcher_plan_demo(void **state)
{
    (void)state;
    s_clear_env();
    char err[512];
    launcher_plan_t *plan = s_plan(NULL, 1, NULL, err);
    assert_non_null(plan);
    assert_true(plan->demo);
    assert_non_null(strstr(plan->demo_reason, "no Overseerr URL"));
    assert_int_equal(plan->count, 8);
    const char *order[] = {"overseerr-sim", "llm-sim",  "api-gateway",
                           "poller",        "enricher", "rule-engine",
                           "learner",       "ai-judge"};
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(plan->children[i].name, order[i]);
        assert_int_equal(plan->children[i].simulator, i < 2);
    }
    /* The simulators' fixed addresses and the webhook back to the
       gateway. */
    char **sim = plan->children[0].argv;
    assert_string_equal(sim[0], "plexstaffai-overseerr-sim");
    assert_string_equal(sim[1], "--listen");
    assert_string_equal(sim[2], "127.0.0.1:5055");
    assert_string_equal(sim[4], "demo-key");
    assert_string_equal(sim[6], "40");
    assert_string_equal(sim[8], "1");
    assert_string_equal(sim[10], "20");
    assert_string_equal(sim[12], "http://127.0.0.1:5056/webhook/overseerr");
    assert_string_equal(sim[14], "Bearer " LAUNCHER_DEMO_WEBHOOK_SECRET);
    assert_null(sim[15]);
    assert_string_equal(plan->children[1].argv[2], "127.0.0.1:5057");
    assert_string_equal(plan->children[1].argv[4], "300");
    /* Services get no --config when none was given. */
    assert_null(plan->children[2].argv[1]);
    char path[512];
    snprintf(path, sizeof(path), "%s/plexstaffai-api-gateway", s_dir);
    assert_string_equal(plan->children[2].path, path);

    assert_string_equal(launcher_plan_env(plan, "OVERSEERR_API_URL"),
                        "http://127.0.0.1:5055");
    assert_string_equal(launcher_plan_env(plan, "OVERSEERR_API_KEY"),
                        "demo-key");
    assert_string_equal(launcher_plan_env(plan, "OPENAI_BASE_URL"),
                        "http://127.0.0.1:5057/v1");
    assert_string_equal(launcher_plan_env(plan, "OPENAI_API_KEY"), "sim-key");
    assert_string_equal(launcher_plan_env(plan, "PLEXSTAFFAI_DEMO"), "true");
    assert_string_equal(launcher_plan_env(plan, "WEBHOOK_SECRET"),
                        LAUNCHER_DEMO_WEBHOOK_SECRET);
    assert_null(launcher_plan_env(plan, "PLEXSTAFFAI_DATA_DIR"));
    assert_string_equal(plan->dashboard, "http://127.0.0.1:5056/");
    launcher_plan_destroy(&plan);
    assert_null(plan);
    launcher_plan_destroy(&plan);
}

static void
test_launcher_plan_demo_with_openai_key(void **state)
{
    (void)state;
    s_clear_env();
    setenv("OPENAI_API_KEY", "sk-real-key", 1);
    setenv("WEBHOOK_SECRET", "my-secret", 1);
    setenv("PLEXSTAFFAI_LISTEN", "0.0.0.0:8080", 1);
    char err[512];
    launcher_plan_t *plan = s_plan(NULL, 1, NULL, err);
    s_clear_env();
    assert_non_null(plan);
    assert_true(plan->demo);
    assert_int_equal(plan->count, 7);
    assert_string_equal(plan->children[0].name, "overseerr-sim");
    assert_string_equal(plan->children[1].name, "api-gateway");
    assert_null(launcher_plan_env(plan, "OPENAI_BASE_URL"));
    assert_null(launcher_plan_env(plan, "OPENAI_API_KEY"));
    /* A configured secret is kept (not overridden) and used by the sim. */
    assert_null(launcher_plan_env(plan, "WEBHOOK_SECRET"));
    assert_string_equal(plan->children[0].argv[14], "Bearer my-secret");
    assert_string_equal(plan->children[0].argv[12],
                        "http://127.0.0.1:8080/webhook/overseerr");
    assert_string_equal(plan->dashboard, "http://127.0.0.1:8080/");
    launcher_plan_destroy(&plan);
}

static void
test_launcher_plan_real_overseerr(void **state)
{
    (void)state;
    s_clear_env();
    setenv("OVERSEERR_API_URL", "http://overseerr:5055", 1);
    setenv("OVERSEERR_API_KEY", "abcdef", 1);
    char err[512];
    launcher_plan_t *plan = s_plan("conf.yaml", 3, "/var/lib/ps", err);
    s_clear_env();
    assert_non_null(plan);
    assert_false(plan->demo);
    assert_int_equal(plan->count, 8);
    const char *order[] = {"api-gateway", "poller",    "enricher",
                           "rule-engine", "learner",   "ai-judge",
                           "ai-judge-2",  "ai-judge-3"};
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(plan->children[i].name, order[i]);
        assert_false(plan->children[i].simulator);
        assert_string_equal(plan->children[i].argv[1], "--config");
        assert_string_equal(plan->children[i].argv[2], "conf.yaml");
        assert_null(plan->children[i].argv[3]);
    }
    assert_string_equal(plan->children[7].argv[0], "plexstaffai-ai-judge");
    assert_int_equal(plan->env_count, 1);
    assert_string_equal(launcher_plan_env(plan, "PLEXSTAFFAI_DATA_DIR"),
                        "/var/lib/ps");
    assert_null(launcher_plan_env(plan, "OVERSEERR_API_URL"));
    assert_null(launcher_plan_env(plan, "PLEXSTAFFAI_DEMO"));
    launcher_plan_destroy(&plan);
}

static void
test_launcher_plan_missing_binary(void **state)
{
    (void)state;
    s_clear_env();
    char path[512];
    snprintf(path, sizeof(path), "%s/plexstaffai-learner", s_dir);
    assert_int_equal(chmod(path, 0644), 0);
    char err[512] = "";
    launcher_plan_t *plan = s_plan(NULL, 1, NULL, err);
    assert_int_equal(chmod(path, 0755), 0);
    assert_null(plan);
    assert_non_null(strstr(err, "plexstaffai-learner"));
}

/* ---- the supervisor, with real processes ------------------------------ */

static void
s_add_sh(launcher_plan_t *plan, const char *name, bool simulator,
         const char *script)
{
    launcher_child_spec_t *spec = &plan->children[plan->count++];
    snprintf(spec->name, sizeof(spec->name), "%s", name);
    snprintf(spec->path, sizeof(spec->path), "/bin/sh");
    spec->simulator = simulator;
    spec->argv[0] = strdup("sh");
    spec->argv[1] = strdup("-c");
    spec->argv[2] = strdup(script);
}

static void
test_launcher_sup_restarts_with_backoff(void **state)
{
    (void)state;
    launcher_plan_t *plan = calloc(1, sizeof(*plan));
    assert_non_null(plan);
    s_add_sh(plan, "crasher", false, "exit 3");
    s_add_sh(plan, "sleeper", false, "exec sleep 100");
    launcher_sup_t *sup = launcher_sup_new(plan);
    assert_non_null(sup);
    assert_int_equal(launcher_sup_start(sup), 0);
    int sleeper = launcher_sup_pid(sup, 1);
    assert_true(sleeper > 0);
    /* Starts at 0 s, restarts at ~1 s and ~3 s; the next is due at ~7 s. */
    assert_int_equal(launcher_sup_run(sup, 3600), 0);
    assert_int_equal(launcher_sup_starts(sup, 0), 3);
    assert_int_equal(launcher_sup_last_delay_ms(sup, 0), 4000);
    assert_int_equal(launcher_sup_starts(sup, 1), 1);
    assert_int_equal(launcher_sup_pid(sup, 1), sleeper);

    assert_int_equal(launcher_sup_stop(sup, 5000), 0);
    assert_int_equal(launcher_sup_pid(sup, 1), 0);
    assert_int_equal(kill(sleeper, 0), -1);
    assert_int_equal(errno, ESRCH);
    /* Stopped: no restart happens any more. */
    assert_int_equal(launcher_sup_run(sup, 200), 0);
    assert_int_equal(launcher_sup_starts(sup, 1), 1);
    launcher_sup_destroy(&sup);
    assert_null(sup);
    launcher_sup_destroy(&sup);
    launcher_plan_destroy(&plan);
}

static void
test_launcher_sup_kills_stubborn_child(void **state)
{
    (void)state;
    launcher_plan_t *plan = calloc(1, sizeof(*plan));
    assert_non_null(plan);
    s_add_sh(plan, "stubborn", false, "trap '' TERM; exec sleep 100");
    s_add_sh(plan, "sim", true, "exec sleep 100");
    launcher_sup_t *sup = launcher_sup_new(plan);
    assert_non_null(sup);
    assert_int_equal(launcher_sup_start(sup), 0);
    assert_int_equal(launcher_sup_run(sup, 200), 0);
    int pid = launcher_sup_pid(sup, 0);
    assert_int_equal(launcher_sup_stop(sup, 400), 1);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(launcher_sup_pid(sup, 1), 0);
    launcher_sup_destroy(&sup);
    launcher_plan_destroy(&plan);
}

static void
test_launcher_sup_signals_and_env(void **state)
{
    (void)state;
    launcher_plan_t *plan = calloc(1, sizeof(*plan));
    assert_non_null(plan);
    plan->env[plan->env_count++] = strdup("PS_LAUNCHER_TEST=hello");
    char script[1024];
    snprintf(script, sizeof(script),
             "echo \"$PS_LAUNCHER_TEST\" > '%s/env'; "
             "trap 'touch \"%s/service-hup\"' HUP; "
             "while :; do sleep 0.05; done",
             s_dir, s_dir);
    s_add_sh(plan, "service", false, script);
    snprintf(script, sizeof(script),
             "trap 'touch \"%s/sim-hup\"' HUP; "
             "while :; do sleep 0.05; done",
             s_dir);
    s_add_sh(plan, "sim", true, script);
    launcher_sup_t *sup = launcher_sup_new(plan);
    assert_non_null(sup);
    assert_int_equal(launcher_sup_start(sup), 0);
    assert_int_equal(launcher_sup_run(sup, 400), 0);
    assert_true(s_exists("env"));
    char path[512];
    snprintf(path, sizeof(path), "%s/env", s_dir);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    char line[64] = "";
    assert_non_null(fgets(line, sizeof(line), file));
    fclose(file);
    assert_string_equal(line, "hello\n");

    kill(getpid(), SIGHUP);
    assert_int_equal(launcher_sup_run(sup, 400), 0);
    assert_true(s_exists("service-hup"));
    assert_false(s_exists("sim-hup"));
    assert_int_equal(launcher_sup_starts(sup, 0), 1);

    kill(getpid(), SIGTERM);
    assert_int_equal(launcher_sup_run(sup, 5000), 1);
    assert_int_equal(launcher_sup_stop(sup, 3000), 0);
    launcher_sup_destroy(&sup);
    launcher_plan_destroy(&plan);
}

/* ---- check-config ----------------------------------------------------- */

static void
test_launcher_check_config(void **state)
{
    (void)state;
    s_clear_env();
    s_write_file("good.yaml", "rules:\n  min_rating: 6.0\n", 0644);
    s_write_file("bad.yaml",
                 "rules:\n  min_ratin: 6.0\nai:\n  "
                 "temperature: 9\n",
                 0644);
    char path[512];
    FILE *out = tmpfile();
    FILE *errout = tmpfile();
    assert_non_null(out);
    assert_non_null(errout);
    snprintf(path, sizeof(path), "%s/good.yaml", s_dir);
    assert_int_equal(launcher_check_config(path, out, errout), 0);
    snprintf(path, sizeof(path), "%s/bad.yaml", s_dir);
    assert_int_equal(launcher_check_config(path, out, errout), 1);
    char text[4096];
    rewind(out);
    size_t n = fread(text, 1, sizeof(text) - 1, out);
    text[n] = '\0';
    assert_non_null(strstr(text, "OK: "));
    assert_non_null(strstr(text, "good.yaml is valid (version "));
    rewind(errout);
    n = fread(text, 1, sizeof(text) - 1, errout);
    text[n] = '\0';
    assert_non_null(strstr(text, "bad.yaml:2:3: rules.min_ratin: unknown "
                                 "key"));
    assert_non_null(strstr(text, "bad.yaml:4:16: ai.temperature:"));
    assert_non_null(strstr(text, "bad.yaml: 2 errors"));
    fclose(out);
    fclose(errout);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launcher_args_up),
        cmocka_unit_test(test_launcher_args_errors),
        cmocka_unit_test(test_launcher_args_commands),
        cmocka_unit_test(test_launcher_args_backtest),
        cmocka_unit_test(test_launcher_args_token),
        cmocka_unit_test(test_launcher_backoff_schedule),
        cmocka_unit_test(test_launcher_backoff_reset_after_healthy_run),
        cmocka_unit_test(test_launcher_plan_demo),
        cmocka_unit_test(test_launcher_plan_demo_with_openai_key),
        cmocka_unit_test(test_launcher_plan_real_overseerr),
        cmocka_unit_test(test_launcher_plan_missing_binary),
        cmocka_unit_test(test_launcher_sup_restarts_with_backoff),
        cmocka_unit_test(test_launcher_sup_kills_stubborn_child),
        cmocka_unit_test(test_launcher_sup_signals_and_env),
        cmocka_unit_test(test_launcher_check_config),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
