/*  launcher - see launcher.h.

    The supervisor keeps, per child, its pid, when it started and its run
    of consecutive failures. It blocks the four signals it cares about and
    waits for them with sigtimedwait, whose timeout is the nearest pending
    restart: one loop, no handler doing work, no czmq. Children get the
    launcher's original signal mask back before exec, and
    PR_SET_PDEATHSIG, so a launcher killed with SIGKILL does not leave
    orphan services holding the bus ports.                                 */
#include "launcher.h"
#include "backtest.h"
#include "ps_log.h"
#include "ps_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_DEFAULT_GRACE_MS 10000
#define S_CONFIG_MODE 0640 /* a copied config.yaml: secrets may go in it */

/* The source tree's config.yaml, set by deploy/CMakeLists.txt; the
   fallback when no installed copy sits next to the binaries. */
#ifndef PS_SOURCE_CONFIG
#define PS_SOURCE_CONFIG ""
#endif

static const char *s_services[] = {"api-gateway", "poller", "enricher",
                                   "rule-engine", "learner"};
static const int s_signals[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP};
#define S_SIGNAL_COUNT (sizeof(s_signals) / sizeof(s_signals[0]))

static int64_t
s_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- arguments -------------------------------------------------------- */

void
launcher_usage(FILE *out)
{
    fprintf(out,
            "usage: plexstaffai up [--config PATH] [--judges N] "
            "[--data-dir DIR]\n"
            "       plexstaffai check-config PATH\n"
            "       plexstaffai backtest --config DRAFT [--last N] "
            "[--gateway URL]\n"
            "       plexstaffai token create --role viewer|staff|admin "
            "[--name NAME]\n"
            "                                [--data-dir DIR]\n"
            "       plexstaffai --help | --version\n"
            "\n"
            "  up              start and supervise every service (demo "
            "simulators\n"
            "                  when no Overseerr URL is configured); "
            "Ctrl-C stops all\n"
            "  check-config    validate a configuration file and exit\n"
            "  backtest        replay the last N (200) decisions through "
            "DRAFT's rules\n"
            "                  on the running gateway (default "
            "http://127.0.0.1:5056)\n"
            "  --config PATH   YAML configuration (environment variables "
            "override it);\n"
            "                  default DATA_DIR/config.yaml, a copy of the "
            "shipped one\n"
            "                  made on first start; edits are reloaded "
            "live\n"
            "  --judges N      number of ai-judge processes, 1 to %d "
            "(default 1)\n"
            "  --data-dir DIR  where the databases live "
            "(PLEXSTAFFAI_DATA_DIR)\n",
            LAUNCHER_MAX_JUDGES);
}

/* backtest --config PATH [--last N] [--gateway URL] */
static int
s_parse_backtest(int argc, char **argv, launcher_args_t *args, char *err,
                 size_t errlen)
{
    args->cmd = LAUNCHER_CMD_BACKTEST;
    args->last = BACKTEST_DEFAULT_LAST;
    args->gateway = getenv("PLEXSTAFFAI_GATEWAY_URL");
    if (!args->gateway || !*args->gateway)
        args->gateway = BACKTEST_DEFAULT_GATEWAY;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0) {
            args->cmd = LAUNCHER_CMD_HELP;
            return 0;
        }
        if (strcmp(opt, "--config") != 0 && strcmp(opt, "--last") != 0
            && strcmp(opt, "--gateway") != 0) {
            snprintf(err, errlen, "unknown backtest option \"%s\"", opt);
            return -1;
        }
        if (i + 1 >= argc || argv[i + 1][0] == '\0') {
            snprintf(err, errlen, "%s needs a value", opt);
            return -1;
        }
        const char *value = argv[++i];
        if (strcmp(opt, "--config") == 0)
            args->config_path = value;
        else if (strcmp(opt, "--gateway") == 0)
            args->gateway = value;
        else if (ps_parse_int64(value, 1, 100000, &args->last) != 0) {
            snprintf(err, errlen,
                     "--last expects a whole number from 1 to 100000, got "
                     "\"%s\"",
                     value);
            return -1;
        }
    }
    if (!args->config_path) {
        snprintf(err, errlen, "backtest needs --config DRAFT");
        return -1;
    }
    return 0;
}

/* token create --role ROLE [--name NAME] [--data-dir DIR] */
static int
s_parse_token(int argc, char **argv, launcher_args_t *args, char *err,
              size_t errlen)
{
    args->cmd = LAUNCHER_CMD_TOKEN;
    args->name = "cli";
    if (argc < 3 || strcmp(argv[2], "create") != 0) {
        snprintf(err, errlen, "token takes a subcommand: token create");
        return -1;
    }
    for (int i = 3; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--role") != 0 && strcmp(opt, "--name") != 0
            && strcmp(opt, "--data-dir") != 0) {
            snprintf(err, errlen, "unknown token option \"%s\"", opt);
            return -1;
        }
        if (i + 1 >= argc || argv[i + 1][0] == '\0') {
            snprintf(err, errlen, "%s needs a value", opt);
            return -1;
        }
        const char *value = argv[++i];
        if (strcmp(opt, "--role") == 0)
            args->role = value;
        else if (strcmp(opt, "--name") == 0)
            args->name = value;
        else
            args->data_dir = value;
    }
    if (!args->role) {
        snprintf(err, errlen, "token create needs --role viewer|staff|admin");
        return -1;
    }
    return 0;
}

int
launcher_args_parse(int argc, char **argv, launcher_args_t *args, char *err,
                    size_t errlen)
{
    memset(args, 0, sizeof(*args));
    args->judges = 1;
    if (argc < 2) {
        snprintf(err, errlen, "missing command");
        return -1;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0
        || strcmp(cmd, "help") == 0) {
        args->cmd = LAUNCHER_CMD_HELP;
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        args->cmd = LAUNCHER_CMD_VERSION;
        return 0;
    }
    if (strcmp(cmd, "check-config") == 0) {
        if (argc == 3 && strcmp(argv[2], "--help") == 0) {
            args->cmd = LAUNCHER_CMD_HELP;
            return 0;
        }
        if (argc != 3 || argv[2][0] == '\0') {
            snprintf(err, errlen, "check-config takes exactly one PATH");
            return -1;
        }
        args->cmd = LAUNCHER_CMD_CHECK_CONFIG;
        args->config_path = argv[2];
        return 0;
    }
    if (strcmp(cmd, "backtest") == 0)
        return s_parse_backtest(argc, argv, args, err, errlen);
    if (strcmp(cmd, "token") == 0)
        return s_parse_token(argc, argv, args, err, errlen);
    if (strcmp(cmd, "up") != 0) {
        snprintf(err, errlen, "unknown command \"%s\"", cmd);
        return -1;
    }
    args->cmd = LAUNCHER_CMD_UP;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0) {
            args->cmd = LAUNCHER_CMD_HELP;
            return 0;
        }
        bool takes_value = strcmp(opt, "--config") == 0
                           || strcmp(opt, "--judges") == 0
                           || strcmp(opt, "--data-dir") == 0;
        if (!takes_value) {
            snprintf(err, errlen, "unknown option \"%s\"", opt);
            return -1;
        }
        if (i + 1 >= argc || argv[i + 1][0] == '\0') {
            snprintf(err, errlen, "%s needs a value", opt);
            return -1;
        }
        const char *value = argv[++i];
        if (strcmp(opt, "--config") == 0)
            args->config_path = value;
        else if (strcmp(opt, "--data-dir") == 0)
            args->data_dir = value;
        else {
            int64_t judges;
            if (ps_parse_int64(value, 1, LAUNCHER_MAX_JUDGES, &judges) != 0) {
                snprintf(err, errlen,
                         "--judges expects a whole number from 1 to %d, got "
                         "\"%s\"",
                         LAUNCHER_MAX_JUDGES, value);
                return -1;
            }
            args->judges = (int)judges;
        }
    }
    return 0;
}

/* ---- backoff ---------------------------------------------------------- */

int64_t
launcher_backoff_ms(int failures)
{
    if (failures <= 0)
        return 0;
    int64_t delay = 1000;
    for (int i = 1; i < failures && delay < LAUNCHER_BACKOFF_MAX_MS; i++)
        delay *= 2;
    return delay < LAUNCHER_BACKOFF_MAX_MS ? delay : LAUNCHER_BACKOFF_MAX_MS;
}

int64_t
launcher_backoff_next(int *failures, int64_t uptime_ms)
{
    if (uptime_ms >= LAUNCHER_HEALTHY_MS)
        *failures = 0;
    if (*failures < INT_MAX)
        (*failures)++;
    return launcher_backoff_ms(*failures);
}

/* ---- the plan --------------------------------------------------------- */

void
launcher_plan_destroy(launcher_plan_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    launcher_plan_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        for (size_t a = 0; a < LAUNCHER_MAX_ARGS; a++)
            free(self->children[i].argv[a]);
    for (size_t i = 0; i < self->env_count; i++)
        free(self->env[i]);
    free(self);
    *self_p = NULL;
}

const char *
launcher_plan_env(const launcher_plan_t *plan, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < plan->env_count; i++)
        if (strncmp(plan->env[i], name, len) == 0 && plan->env[i][len] == '=')
            return plan->env[i] + len + 1;
    return NULL;
}

static int
s_plan_setenv(launcher_plan_t *plan, const char *name, const char *value,
              char *err, size_t errlen)
{
    if (plan->env_count >= LAUNCHER_MAX_ENV) {
        snprintf(err, errlen, "too many environment overrides");
        return -1;
    }
    size_t len = strlen(name) + strlen(value) + 2;
    char *entry = malloc(len);
    if (!entry) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(entry, len, "%s=%s", name, value);
    plan->env[plan->env_count++] = entry;
    return 0;
}

/* Appends a child running `bin_dir`/plexstaffai-`program` with the
   NULL-terminated `args` after argv[0]. */
static int
s_plan_add(launcher_plan_t *plan, const char *bin_dir, const char *name,
           const char *program, bool simulator, const char *const *args,
           char *err, size_t errlen)
{
    if (plan->count >= LAUNCHER_MAX_CHILDREN) {
        snprintf(err, errlen, "too many processes");
        return -1;
    }
    launcher_child_spec_t *spec = &plan->children[plan->count];
    char exe[64];
    int n = snprintf(exe, sizeof(exe), "plexstaffai-%s", program);
    int m = snprintf(spec->name, sizeof(spec->name), "%s", name);
    int p = snprintf(spec->path, sizeof(spec->path), "%s/%s", bin_dir, exe);
    if (n < 0 || (size_t)n >= sizeof(exe) || m < 0
        || (size_t)m >= sizeof(spec->name) || p < 0
        || (size_t)p >= sizeof(spec->path)) {
        snprintf(err, errlen, "path or name too long for %s", program);
        return -1;
    }
    if (access(spec->path, X_OK) != 0) {
        snprintf(err, errlen,
                 "cannot run %s: %s (build it with ./deploy/build.sh)",
                 spec->path, strerror(errno));
        return -1;
    }
    spec->simulator = simulator;
    /* Counted before anything is owned, so destroy never sees a child
       whose argv is half filled without also freeing it. */
    plan->count++;
    spec->argv[0] = strdup(exe);
    if (!spec->argv[0])
        goto nomem;
    size_t a = 1;
    for (; args && args[a - 1]; a++) {
        if (a + 1 >= LAUNCHER_MAX_ARGS) {
            snprintf(err, errlen, "too many arguments for %s", program);
            return -1;
        }
        spec->argv[a] = strdup(args[a - 1]);
        if (!spec->argv[a])
            goto nomem;
    }
    spec->argv[a] = NULL;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* The gateway's address as a client on this machine reaches it:
   "0.0.0.0:5056" or "5056" become "127.0.0.1:5056". civetweb accepts a
   list ("5056,8443s") and suffixes (s = TLS, r = redirect): the first
   entry is the one that matters. Returns 0, or -1 when buf is too small. */
static int
s_gateway_address(const char *listen, char *buf, size_t len)
{
    char first[128];
    snprintf(first, sizeof(first), "%s", listen);
    first[strcspn(first, ",")] = '\0';
    char *colon = strrchr(first, ':');
    const char *host = "127.0.0.1";
    char *port = first;
    if (colon) {
        *colon = '\0';
        port = colon + 1;
        if (*first && strcmp(first, "0.0.0.0") != 0 && strcmp(first, "*") != 0
            && strcmp(first, "[::]") != 0)
            host = first;
    }
    size_t digits = strspn(port, "0123456789");
    port[digits] = '\0';
    int n = snprintf(buf, len, "%s:%s", host, *port ? port : "5056");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* True when base_url points at api.openai.com, which needs a key (the
   same test as the ai-judge's judge_ai_off). */
static bool
s_is_openai(const char *base_url)
{
    const char *host = strstr(base_url, "://");
    if (!host)
        return false;
    host += 3;
    size_t n = strcspn(host, "/:?");
    return n == strlen("api.openai.com")
           && strncasecmp(host, "api.openai.com", n) == 0;
}

launcher_plan_t *
launcher_plan_new(const ps_config_t *config, const launcher_args_t *args,
                  const char *bin_dir, char *err, size_t errlen)
{
    launcher_plan_t *plan = calloc(1, sizeof(*plan));
    if (!plan) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char gateway[160];
    if (s_gateway_address(config->gateway.listen, gateway, sizeof(gateway))
        != 0) {
        snprintf(err, errlen, "gateway.listen is too long");
        goto fail;
    }
    int n = snprintf(plan->dashboard, sizeof(plan->dashboard), "http://%s/",
                     gateway);
    if (n < 0 || (size_t)n >= sizeof(plan->dashboard)) {
        snprintf(err, errlen, "gateway.listen is too long");
        goto fail;
    }

    const char *config_args[] = {"--config", args->config_path, NULL};
    const char *const *service_args = args->config_path ? config_args : NULL;

    plan->demo = ps_config_wants_simulators(config);
    if (plan->demo) {
        snprintf(plan->demo_reason, sizeof(plan->demo_reason), "%s",
                 config->demo ? "demo is true in the configuration "
                                "(demo: or PLEXSTAFFAI_DEMO)"
                              : "no Overseerr URL is configured (set "
                                "OVERSEERR_API_URL or overseerr.url)");
        /* The simulator sends its webhooks with the secret the gateway
           checks, so the demo runs the real authentication path. */
        const char *secret = *config->gateway.webhook_secret
                                 ? config->gateway.webhook_secret
                                 : LAUNCHER_DEMO_WEBHOOK_SECRET;
        char webhook_url[256];
        char webhook_auth[512];
        n = snprintf(webhook_url, sizeof(webhook_url),
                     "http://%s/webhook/overseerr", gateway);
        int m =
            snprintf(webhook_auth, sizeof(webhook_auth), "Bearer %s", secret);
        if (n < 0 || (size_t)n >= sizeof(webhook_url) || m < 0
            || (size_t)m >= sizeof(webhook_auth)) {
            snprintf(err, errlen, "webhook URL or secret too long");
            goto fail;
        }
        const char *sim_args[] = {"--listen",
                                  LAUNCHER_OVERSEERR_SIM_LISTEN,
                                  "--api-key",
                                  LAUNCHER_OVERSEERR_SIM_KEY,
                                  "--requests",
                                  "40",
                                  "--seed",
                                  "1",
                                  "--new-every",
                                  "20",
                                  "--webhook-url",
                                  webhook_url,
                                  "--webhook-auth",
                                  webhook_auth,
                                  NULL};
        if (s_plan_add(plan, bin_dir, "overseerr-sim", "overseerr-sim", true,
                       sim_args, err, errlen)
            != 0)
            goto fail;
        if (s_plan_setenv(plan, "OVERSEERR_API_URL", LAUNCHER_OVERSEERR_SIM_URL,
                          err, errlen)
                != 0
            || s_plan_setenv(plan, "OVERSEERR_API_KEY",
                             LAUNCHER_OVERSEERR_SIM_KEY, err, errlen)
                   != 0
            || s_plan_setenv(plan, "PLEXSTAFFAI_DEMO", "true", err, errlen) != 0
            || s_plan_setenv(plan, "PLEXSTAFFAI_POSTER_BASE_URL",
                             LAUNCHER_POSTER_SIM_URL, err, errlen)
                   != 0)
            goto fail;
        if (!*config->gateway.webhook_secret
            && s_plan_setenv(plan, "WEBHOOK_SECRET",
                             LAUNCHER_DEMO_WEBHOOK_SECRET, err, errlen)
                   != 0)
            goto fail;
        /* A configured key means the user wants the real LLM judging the
           simulated requests; so does a base URL other than OpenAI's (a
           local OpenAI-compatible server needs no key). */
        bool own_llm = *config->ai.api_key || !s_is_openai(config->ai.base_url);
        if (!own_llm) {
            const char *llm_args[] = {"--listen",
                                      LAUNCHER_LLM_SIM_LISTEN,
                                      "--latency-ms",
                                      "300",
                                      "--api-key",
                                      LAUNCHER_LLM_SIM_KEY,
                                      NULL};
            if (s_plan_add(plan, bin_dir, "llm-sim", "llm-sim", true, llm_args,
                           err, errlen)
                    != 0
                || s_plan_setenv(plan, "OPENAI_BASE_URL", LAUNCHER_LLM_SIM_URL,
                                 err, errlen)
                       != 0
                || s_plan_setenv(plan, "OPENAI_API_KEY", LAUNCHER_LLM_SIM_KEY,
                                 err, errlen)
                       != 0)
                goto fail;
        }
    }
    if (args->data_dir
        && s_plan_setenv(plan, "PLEXSTAFFAI_DATA_DIR", args->data_dir, err,
                         errlen)
               != 0)
        goto fail;

    for (size_t i = 0; i < sizeof(s_services) / sizeof(s_services[0]); i++)
        if (s_plan_add(plan, bin_dir, s_services[i], s_services[i], false,
                       service_args, err, errlen)
            != 0)
            goto fail;
    for (int j = 1; j <= args->judges; j++) {
        char name[32];
        if (j == 1)
            snprintf(name, sizeof(name), "ai-judge");
        else
            snprintf(name, sizeof(name), "ai-judge-%d", j);
        if (s_plan_add(plan, bin_dir, name, "ai-judge", false, service_args,
                       err, errlen)
            != 0)
            goto fail;
    }
    return plan;
fail:
    launcher_plan_destroy(&plan);
    return NULL;
}

int
launcher_self_dir(char *buf, size_t len)
{
    if (len < 2)
        return -1;
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0 || (size_t)n >= len - 1)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    if (slash == buf)
        slash[1] = '\0';
    else
        *slash = '\0';
    return 0;
}

/* ---- the supervisor --------------------------------------------------- */

typedef struct {
    pid_t pid;             /* running process, 0 when not running */
    int starts;            /* times started */
    int failures;          /* consecutive short-lived runs (backoff) */
    int64_t started_ms;    /* monotonic start time of the current run */
    int64_t restart_at_ms; /* monotonic time of the pending restart, 0 none */
    int64_t last_delay_ms; /* delay chosen for the latest restart */
} s_child_t;

struct launcher_sup {
    const launcher_plan_t *plan;                  /* borrowed */
    s_child_t children[LAUNCHER_MAX_CHILDREN];    /* same order as plan */
    sigset_t blocked;                             /* the signals we take */
    sigset_t old_mask;                            /* restored in children */
    struct sigaction old_actions[S_SIGNAL_COUNT]; /* restored by destroy */
    pid_t self_pid;                               /* for PDEATHSIG check */
    bool stopping;                                /* no restarts any more */
};

/* Installed so each signal is "handled" (never ignored, so a blocked
   SIGCHLD stays pending); the work happens after sigtimedwait. */
static void
s_noop_handler(int sig)
{
    (void)sig;
}

launcher_sup_t *
launcher_sup_new(const launcher_plan_t *plan)
{
    launcher_sup_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->plan = plan;
    self->self_pid = getpid();
    sigemptyset(&self->blocked);
    for (size_t i = 0; i < S_SIGNAL_COUNT; i++)
        sigaddset(&self->blocked, s_signals[i]);
    if (sigprocmask(SIG_BLOCK, &self->blocked, &self->old_mask) != 0) {
        free(self);
        return NULL;
    }
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = s_noop_handler;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < S_SIGNAL_COUNT; i++)
        sigaction(s_signals[i], &action, &self->old_actions[i]);
    return self;
}

void
launcher_sup_destroy(launcher_sup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    launcher_sup_t *self = *self_p;
    launcher_sup_stop(self, S_DEFAULT_GRACE_MS);
    /* Signals that arrived meanwhile are discarded rather than delivered
       to the restored (possibly default, fatal) dispositions. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&self->blocked, NULL, &zero) > 0)
        ;
    for (size_t i = 0; i < S_SIGNAL_COUNT; i++)
        sigaction(s_signals[i], &self->old_actions[i], NULL);
    sigprocmask(SIG_SETMASK, &self->old_mask, NULL);
    free(self);
    *self_p = NULL;
}

/* In the child between fork and exec: only async-signal-safe calls, plus
   setenv, which is safe here because the launcher is single-threaded. */
static void
s_exec_child(launcher_sup_t *self, const launcher_child_spec_t *spec)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < S_SIGNAL_COUNT; i++)
        sigaction(s_signals[i], &dfl, NULL);
    sigprocmask(SIG_SETMASK, &self->old_mask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != self->self_pid)
        _exit(1);
    for (size_t i = 0; i < self->plan->env_count; i++) {
        char name[64];
        const char *entry = self->plan->env[i];
        size_t n = strcspn(entry, "=");
        if (n == 0 || n >= sizeof(name) || entry[n] != '=')
            continue;
        memcpy(name, entry, n);
        name[n] = '\0';
        setenv(name, entry + n + 1, 1);
    }
    execv(spec->path, spec->argv);
    static const char msg[] = "plexstaffai: exec failed\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)w;
    _exit(127);
}

static void
s_schedule_restart(launcher_sup_t *self, size_t i, int64_t uptime_ms)
{
    s_child_t *child = &self->children[i];
    int64_t delay = launcher_backoff_next(&child->failures, uptime_ms);
    child->last_delay_ms = delay;
    child->restart_at_ms = s_now_ms() + delay;
}

static int
s_spawn(launcher_sup_t *self, size_t i)
{
    const launcher_child_spec_t *spec = &self->plan->children[i];
    s_child_t *child = &self->children[i];
    child->restart_at_ms = 0;
    pid_t pid = fork();
    if (pid < 0) {
        ps_log_error("cannot start %s: fork failed: %s", spec->name,
                     strerror(errno));
        s_schedule_restart(self, i, 0);
        return -1;
    }
    if (pid == 0)
        s_exec_child(self, spec);
    child->pid = pid;
    child->starts++;
    child->started_ms = s_now_ms();
    if (child->starts == 1)
        ps_log_info("started %s pid=%d", spec->name, (int)pid);
    else
        ps_log_info("restarted %s pid=%d start=%d", spec->name, (int)pid,
                    child->starts);
    return 0;
}

static void
s_describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "status 0x%x", (unsigned)status);
}

/* Collects every child that has exited; outside a stop, schedules its
   restart. Returns how many are still running. */
static size_t
s_reap(launcher_sup_t *self)
{
    size_t running = 0;
    for (size_t i = 0; i < self->plan->count; i++) {
        s_child_t *child = &self->children[i];
        if (child->pid <= 0)
            continue;
        int status = 0;
        pid_t pid = waitpid(child->pid, &status, WNOHANG);
        if (pid == 0) {
            running++;
            continue;
        }
        if (pid < 0 && errno == EINTR) {
            running++;
            continue;
        }
        const char *name = self->plan->children[i].name;
        char how[96];
        s_describe_status(status, how, sizeof(how));
        int64_t uptime = s_now_ms() - child->started_ms;
        child->pid = 0;
        if (self->stopping) {
            ps_log_info("%s stopped (%s)", name, how);
            continue;
        }
        s_schedule_restart(self, i, uptime);
        ps_log_warn("%s exited unexpectedly (%s) after %lld ms, restarting "
                    "in %lld ms",
                    name, how, (long long)uptime,
                    (long long)child->last_delay_ms);
    }
    return running;
}

int
launcher_sup_start(launcher_sup_t *self)
{
    int started = 0;
    for (size_t i = 0; i < self->plan->count; i++)
        if (s_spawn(self, i) == 0)
            started++;
    return started > 0 || self->plan->count == 0 ? 0 : -1;
}

static void
s_forward(launcher_sup_t *self, int sig, bool simulators_too)
{
    for (size_t i = 0; i < self->plan->count; i++)
        if (self->children[i].pid > 0
            && (simulators_too || !self->plan->children[i].simulator))
            kill(self->children[i].pid, sig);
}

int
launcher_sup_run(launcher_sup_t *self, int64_t run_ms)
{
    int64_t end = run_ms < 0 ? INT64_MAX : s_now_ms() + run_ms;
    for (;;) {
        s_reap(self);
        int64_t now = s_now_ms();
        for (size_t i = 0; i < self->plan->count; i++)
            if (!self->stopping && self->children[i].pid == 0
                && self->children[i].restart_at_ms > 0
                && self->children[i].restart_at_ms <= now)
                s_spawn(self, i);
        now = s_now_ms();
        if (now >= end)
            return 0;
        int64_t wait = end - now;
        if (wait > 1000)
            wait = 1000;
        for (size_t i = 0; i < self->plan->count; i++) {
            int64_t at = self->children[i].restart_at_ms;
            if (self->children[i].pid == 0 && at > 0 && at - now < wait)
                wait = at - now;
        }
        if (wait < 1)
            wait = 1;
        struct timespec timeout = {(time_t)(wait / 1000),
                                   (long)(wait % 1000) * 1000000L};
        int sig = sigtimedwait(&self->blocked, NULL, &timeout);
        if (sig == SIGINT || sig == SIGTERM) {
            ps_log_info("received %s, stopping",
                        sig == SIGINT ? "SIGINT" : "SIGTERM");
            return 1;
        }
        if (sig == SIGHUP) {
            ps_log_info("received SIGHUP, asking every service to reload "
                        "its configuration");
            s_forward(self, SIGHUP, false);
        }
    }
}

/* Waits until no service (and, with `simulators`, no simulator) is running
   or `deadline` passes. A second SIGINT/SIGTERM cuts the wait short. */
static void
s_wait_group(launcher_sup_t *self, int64_t deadline, bool simulators,
             bool *hurry)
{
    for (;;) {
        s_reap(self);
        bool any = false;
        for (size_t i = 0; i < self->plan->count; i++)
            if (self->children[i].pid > 0
                && (simulators || !self->plan->children[i].simulator))
                any = true;
        int64_t now = s_now_ms();
        if (!any || now >= deadline || *hurry)
            return;
        int64_t wait = deadline - now < 100 ? deadline - now : 100;
        struct timespec timeout = {0, (long)wait * 1000000L};
        int sig = sigtimedwait(&self->blocked, NULL, &timeout);
        if (sig == SIGINT || sig == SIGTERM) {
            ps_log_warn("second stop signal: killing what is left");
            *hurry = true;
        }
    }
}

int
launcher_sup_stop(launcher_sup_t *self, int64_t grace_ms)
{
    self->stopping = true;
    for (size_t i = 0; i < self->plan->count; i++)
        self->children[i].restart_at_ms = 0;
    int64_t deadline = s_now_ms() + grace_ms;
    /* Services first: they may still be applying a decision in the
       (simulated) Overseerr or waiting on the LLM simulator. The last
       quarter of the grace (at most 1 s) is kept for the simulators, so a
       slow service does not get them killed without a SIGTERM. */
    int64_t reserve = grace_ms / 4 < 1000 ? grace_ms / 4 : 1000;
    bool hurry = false;
    s_forward(self, SIGTERM, false);
    s_wait_group(self, deadline - reserve, false, &hurry);
    s_forward(self, SIGTERM, true);
    s_wait_group(self, deadline, true, &hurry);
    int killed = 0;
    for (size_t i = 0; i < self->plan->count; i++) {
        s_child_t *child = &self->children[i];
        if (child->pid <= 0)
            continue;
        ps_log_warn("%s did not stop within %lld ms, sending SIGKILL",
                    self->plan->children[i].name, (long long)grace_ms);
        kill(child->pid, SIGKILL);
        int status;
        while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR)
            ;
        child->pid = 0;
        killed++;
    }
    return killed;
}

int
launcher_sup_starts(const launcher_sup_t *self, size_t index)
{
    return index < self->plan->count ? self->children[index].starts : 0;
}

int64_t
launcher_sup_last_delay_ms(const launcher_sup_t *self, size_t index)
{
    return index < self->plan->count ? self->children[index].last_delay_ms : 0;
}

int
launcher_sup_pid(const launcher_sup_t *self, size_t index)
{
    return index < self->plan->count ? (int)self->children[index].pid : 0;
}

/* ---- commands --------------------------------------------------------- */

static void
s_print_issues(const ps_config_issues_t *issues, const char *prefix, FILE *out)
{
    for (size_t i = 0; i < issues->count; i++) {
        char line[1024];
        ps_config_issue_format(&issues->items[i], line, sizeof(line));
        fprintf(out, "%s%s\n", prefix, line);
    }
}

int
launcher_check_config(const char *path, FILE *out, FILE *errout)
{
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
    ps_config_t *config = ps_config_load(path, &errors, &warnings);
    s_print_issues(&errors, "", errout);
    s_print_issues(&warnings, "warning: ", errout);
    int rc = 1;
    if (config) {
        fprintf(out, "OK: %s is valid (version %s)\n", path, config->version);
        rc = 0;
    } else
        fprintf(errout, "%s: %zu error%s\n", path, errors.count,
                errors.count == 1 ? "" : "s");
    ps_config_issues_clear(&errors);
    ps_config_issues_clear(&warnings);
    ps_config_destroy(&config);
    return rc;
}

/* mkdir -p, so the services find their data directory on a first run. */
static int
s_make_dirs(const char *path)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s", path);
    if (n <= 0 || (size_t)n >= sizeof(buf))
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static bool
s_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
launcher_default_config(const char *bin_dir, const char *source_config,
                        char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/../share/plexstaffai/config.yaml", bin_dir);
    if (n > 0 && (size_t)n < len && s_is_file(buf))
        return 0;
    if (source_config && *source_config && s_is_file(source_config)) {
        n = snprintf(buf, len, "%s", source_config);
        if (n > 0 && (size_t)n < len)
            return 0;
    }
    if (len)
        buf[0] = '\0';
    return -1;
}

/* Writes all of buf to fd. Returns 0, or -1 with errno set. */
static int
s_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int
launcher_install_config(const char *shipped, const char *dest, char *err,
                        size_t errlen)
{
    int rc = -1;
    int out_fd = -1;
    bool created = false;
    int in_fd = open(shipped, O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", shipped, strerror(errno));
        goto out;
    }
    /* O_EXCL: a file that appeared since the caller looked (or a
       symbolic link) is left alone rather than overwritten. */
    out_fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_CONFIG_MODE);
    if (out_fd < 0) {
        if (errno == EEXIST)
            rc = 0;
        else
            snprintf(err, errlen, "cannot create %s: %s", dest,
                     strerror(errno));
        goto out;
    }
    created = true;
    /* The umask may have taken bits away; the mode is part of the
       contract (group-readable for a service account, no more). */
    if (fchmod(out_fd, S_CONFIG_MODE) != 0) {
        snprintf(err, errlen, "cannot set the mode of %s: %s", dest,
                 strerror(errno));
        goto out;
    }
    char buf[8192];
    for (;;) {
        ssize_t n = read(in_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read %s: %s", shipped,
                     strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (s_write_all(out_fd, buf, (size_t)n) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", dest, strerror(errno));
            goto out;
        }
    }
    int closed = close(out_fd);
    out_fd = -1;
    if (closed != 0) {
        snprintf(err, errlen, "cannot write %s: %s", dest, strerror(errno));
        goto out;
    }
    rc = 1;
out:
    if (out_fd >= 0)
        close(out_fd);
    if (in_fd >= 0)
        close(in_fd);
    if (rc < 0 && created)
        unlink(dest);
    return rc;
}

int
launcher_data_dir_config(const char *data_dir, const char *shipped, char *buf,
                         size_t len, bool *copied, char *err, size_t errlen)
{
    *copied = false;
    if (*data_dir && s_make_dirs(data_dir) != 0) {
        snprintf(err, errlen, "cannot create data directory %s: %s", data_dir,
                 strerror(errno));
        return -1;
    }
    int n = *data_dir ? snprintf(buf, len, "%s/config.yaml", data_dir)
                      : snprintf(buf, len, "config.yaml");
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "data directory path too long: %s", data_dir);
        return -1;
    }
    struct stat st;
    if (stat(buf, &st) == 0)
        return 0;
    if (errno != ENOENT) {
        snprintf(err, errlen, "cannot read %s: %s", buf, strerror(errno));
        return -1;
    }
    if (!shipped)
        return 1;
    int rc = launcher_install_config(shipped, buf, err, errlen);
    if (rc < 0)
        return -1;
    *copied = rc == 1;
    return 0;
}

/* Without --config: settles on <data dir>/config.yaml, copying the
   shipped default there on first start. The data directory comes from
   --data-dir, else from the defaults and the environment (the file does
   not exist yet to say otherwise). Writes the path into buf, or an empty
   string when the built-in defaults must do. Returns 0, 1 (cannot
   create or copy: exit 1) or 2 (invalid environment: exit 2). */
static int
s_first_start_config(const launcher_args_t *args, const char *bin_dir,
                     char *buf, size_t len)
{
    int rc = 2;
    ps_config_issues_t errors = {0};
    ps_config_t *defaults = NULL;
    const char *data_dir = args->data_dir;
    if (!data_dir) {
        defaults = ps_config_load(NULL, &errors, NULL);
        for (size_t i = 0; i < errors.count; i++) {
            char line[1024];
            ps_config_issue_format(&errors.items[i], line, sizeof(line));
            ps_log_error("config error: %s", line);
        }
        if (!defaults)
            goto out;
        data_dir = defaults->data_dir;
    }
    rc = 1;
    char shipped[4096];
    bool have_shipped = launcher_default_config(bin_dir, PS_SOURCE_CONFIG,
                                                shipped, sizeof(shipped))
                        == 0;
    bool copied = false;
    char err[1024];
    int found =
        launcher_data_dir_config(data_dir, have_shipped ? shipped : NULL, buf,
                                 len, &copied, err, sizeof(err));
    if (found < 0) {
        ps_log_error("cannot set up the configuration file: %s", err);
        goto out;
    }
    if (found == 1) {
        ps_log_warn("no %s and no shipped config.yaml to copy there (looked "
                    "in %s/../share/plexstaffai and %s); running on the "
                    "built-in defaults",
                    buf, bin_dir,
                    *PS_SOURCE_CONFIG ? PS_SOURCE_CONFIG : "(no source tree)");
        buf[0] = '\0';
    } else if (copied)
        ps_log_info("first start: copied the default configuration %s to %s "
                    "(mode 0640); edit it there, the services reload it when "
                    "it changes",
                    shipped, buf);
    rc = 0;
out:
    ps_config_destroy(&defaults);
    ps_config_issues_clear(&errors);
    return rc;
}

int
launcher_up(const launcher_args_t *args, FILE *out)
{
    int rc = 2;
    launcher_plan_t *plan = NULL;
    launcher_sup_t *sup = NULL;
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
    ps_config_t *config = NULL;
    ps_log_init("plexstaffai", PS_LOG_INFO);
    char bin_dir[4096];
    if (launcher_self_dir(bin_dir, sizeof(bin_dir)) != 0) {
        ps_log_error("cannot find my own directory through /proc/self/exe");
        rc = 1;
        goto out;
    }
    /* The plan passes config_path on to every service, so the file the
       launcher settles on here is the one they all watch. */
    launcher_args_t effective = *args;
    char data_config[4096];
    if (!args->config_path) {
        rc = s_first_start_config(args, bin_dir, data_config,
                                  sizeof(data_config));
        if (rc != 0)
            goto out;
        rc = 2;
        effective.config_path = *data_config ? data_config : NULL;
    }
    args = &effective;
    config = ps_config_load(args->config_path, &errors, &warnings);
    for (size_t i = 0; i < errors.count; i++) {
        char line[1024];
        ps_config_issue_format(&errors.items[i], line, sizeof(line));
        ps_log_error("config error: %s", line);
    }
    if (!config)
        goto out;
    ps_log_level_t level = PS_LOG_INFO;
    ps_log_level_parse(config->log_level, &level);
    ps_log_set_level(level);
    /* In demo mode the launcher supplies the secret and the Overseerr
       URL, so the warnings about them would only confuse. */
    for (size_t i = 0; i < warnings.count; i++) {
        if (ps_config_wants_simulators(config))
            break;
        char line[1024];
        ps_config_issue_format(&warnings.items[i], line, sizeof(line));
        ps_log_warn("config warning: %s", line);
    }
    ps_log_info("configuration %s loaded version=%s",
                args->config_path ? args->config_path : "(defaults)",
                config->version);

    rc = 1;
    const char *data_dir = args->data_dir ? args->data_dir : config->data_dir;
    if (*data_dir && s_make_dirs(data_dir) != 0) {
        ps_log_error("cannot create data directory %s: %s", data_dir,
                     strerror(errno));
        goto out;
    }
    char err[512];
    plan = launcher_plan_new(config, args, bin_dir, err, sizeof(err));
    if (!plan) {
        ps_log_error("cannot start: %s", err);
        goto out;
    }
    if (plan->demo) {
        bool llm_sim = launcher_plan_env(plan, "OPENAI_BASE_URL") != NULL;
        ps_log_warn("DEMO MODE: %s; running the bundled Overseerr simulator "
                    "on %s with 40 generated requests%s. Point "
                    "OVERSEERR_API_URL at your Overseerr to moderate real "
                    "requests.",
                    plan->demo_reason, LAUNCHER_OVERSEERR_SIM_URL,
                    llm_sim ? " and the LLM simulator on " LAUNCHER_LLM_SIM_URL
                              " (no OpenAI key configured)"
                            : "; the judge uses your configured LLM");
    }
    sup = launcher_sup_new(plan);
    if (!sup) {
        ps_log_error("cannot set up signal handling: %s", strerror(errno));
        goto out;
    }
    if (launcher_sup_start(sup) != 0) {
        ps_log_error("no process could be started");
        goto out;
    }
    fprintf(out, "PlexStaffAI is running: dashboard at %s\n", plan->dashboard);
    fflush(out);
    launcher_sup_run(sup, -1);
    int killed = launcher_sup_stop(sup, S_DEFAULT_GRACE_MS);
    ps_log_info("stopped%s",
                killed ? " (some processes had to be killed)" : "");
    rc = 0;
out:
    launcher_sup_destroy(&sup);
    launcher_plan_destroy(&plan);
    ps_config_destroy(&config);
    ps_config_issues_clear(&errors);
    ps_config_issues_clear(&warnings);
    return rc;
}
