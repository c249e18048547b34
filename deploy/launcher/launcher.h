/*  launcher - `plexstaffai up`: start and supervise the whole stack on one
    machine, and `plexstaffai check-config`.

    Three parts, each testable without the others:
    - argument parsing (launcher_args_parse), pure;
    - the plan (launcher_plan_new): which processes to start, in which
      order, with which arguments and environment, derived from the loaded
      configuration (demo mode starts the Overseerr and LLM simulators);
    - the supervisor (launcher_sup_*): fork/exec, restart with exponential
      backoff, SIGHUP forwarding, ordered shutdown.
    The supervisor is single-threaded and never touches czmq: a zsys context
    created before fork() is inherited broken by the children (TOOLCHAIN.md
    pitfall 5), so it uses plain sigaction, sigtimedwait, fork and waitpid.
    Signals are blocked while it runs and taken synchronously with
    sigtimedwait, so no work ever happens in a signal handler.            */
#ifndef LAUNCHER_H_INCLUDED
#define LAUNCHER_H_INCLUDED

#include "ps_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LAUNCHER_MAX_ARGS 24     /* argv entries of one child, NULL included */
#define LAUNCHER_MAX_ENV 16      /* environment overrides of a plan */
#define LAUNCHER_MAX_CHILDREN 80 /* 6 services + 2 simulators + judges */
#define LAUNCHER_MAX_JUDGES 64   /* --judges upper bound */
#define LAUNCHER_BACKOFF_MAX_MS 30000 /* restart delay cap */
#define LAUNCHER_HEALTHY_MS 60000     /* uptime that resets the backoff */

/* Fixed addresses of the demo simulators. */
#define LAUNCHER_OVERSEERR_SIM_LISTEN "127.0.0.1:5055"
#define LAUNCHER_OVERSEERR_SIM_URL "http://127.0.0.1:5055"
/* The simulator serves a poster for each of its titles, as TMDB would. */
#define LAUNCHER_POSTER_SIM_URL LAUNCHER_OVERSEERR_SIM_URL "/t/p/w300"
#define LAUNCHER_OVERSEERR_SIM_KEY "demo-key"
#define LAUNCHER_LLM_SIM_LISTEN "127.0.0.1:5057"
#define LAUNCHER_LLM_SIM_URL "http://127.0.0.1:5057/v1"
#define LAUNCHER_LLM_SIM_KEY "sim-key"
/* Webhook secret shared by the gateway and the Overseerr simulator in demo
   mode when none is configured, so the demo exercises the real check. */
#define LAUNCHER_DEMO_WEBHOOK_SECRET "demo-webhook-secret"

typedef enum {
    LAUNCHER_CMD_NONE = 0,     /* nothing parsed yet */
    LAUNCHER_CMD_UP,           /* plexstaffai up */
    LAUNCHER_CMD_CHECK_CONFIG, /* plexstaffai check-config PATH */
    LAUNCHER_CMD_BACKTEST,     /* plexstaffai backtest --config PATH */
    LAUNCHER_CMD_TOKEN,        /* plexstaffai token create --role ROLE */
    LAUNCHER_CMD_HELP,         /* --help, help */
    LAUNCHER_CMD_VERSION       /* --version */
} launcher_cmd_t;

typedef struct {
    launcher_cmd_t cmd;      /* what to do */
    const char *config_path; /* --config / check-config PATH; points into
                                argv, NULL when absent */
    const char *data_dir;    /* --data-dir; points into argv, may be NULL */
    int judges;              /* --judges, 1 by default */
    int64_t last;            /* backtest --last, 200 by default */
    const char *gateway;     /* backtest --gateway base URL; argv or a
                                default, never NULL after parsing */
    const char *role;        /* token --role */
    const char *name;        /* token --name, "cli" by default */
} launcher_args_t;

/* Parses the command line. Returns 0 with *args filled, or -1 with the
   reason in err (a usage error: exit 2). argv is borrowed: args points
   into it. */
int launcher_args_parse(int argc, char **argv, launcher_args_t *args, char *err,
                        size_t errlen);

/* Writes the usage text to `out`. */
void launcher_usage(FILE *out);

/* Returns the delay in milliseconds before restart number `failures`
   (1-based: the first restart waits 1 s, then 2 s, 4 s ... capped at
   LAUNCHER_BACKOFF_MAX_MS). failures <= 0 gives 0. */
int64_t launcher_backoff_ms(int failures);

/* Updates a child's consecutive failure count after it exited having run
   `uptime_ms`, and returns the delay before its restart. A run of at least
   LAUNCHER_HEALTHY_MS counts as healthy and resets the schedule to 1 s. */
int64_t launcher_backoff_next(int *failures, int64_t uptime_ms);

typedef struct {
    char name[32];                 /* log name: "poller", "ai-judge-2" */
    char path[4096];               /* absolute path of the executable */
    char *argv[LAUNCHER_MAX_ARGS]; /* owned strings, NULL-terminated,
                                      argv[0] is the program name */
    bool simulator;                /* stopped last, gets no SIGHUP */
} launcher_child_spec_t;

typedef struct {
    launcher_child_spec_t children[LAUNCHER_MAX_CHILDREN]; /* start order */
    size_t count;                                          /* used entries */
    char *env[LAUNCHER_MAX_ENV]; /* owned "NAME=value" set in every child */
    size_t env_count;            /* used entries */
    bool demo;                   /* simulators are part of the plan */
    char demo_reason[128];       /* why demo mode is on, for the log */
    char dashboard[192];         /* http://host:port/ of the gateway */
} launcher_plan_t;

/* Builds the plan for `config` (already loaded, env applied) and `args`,
   with executables looked up in `bin_dir`. Order: simulators (demo only),
   api-gateway, poller, enricher, rule-engine, learner, then args->judges
   ai-judges. Returns a new plan, or NULL with the reason in err (a
   missing executable, an argument too long). The caller owns the plan. */
launcher_plan_t *launcher_plan_new(const ps_config_t *config,
                                   const launcher_args_t *args,
                                   const char *bin_dir, char *err,
                                   size_t errlen);

/* Frees a plan; accepts NULL and sets *self_p to NULL. */
void launcher_plan_destroy(launcher_plan_t **self_p);

/* Returns the value a plan sets for environment variable `name`, or NULL
   when the plan leaves it alone. */
const char *launcher_plan_env(const launcher_plan_t *plan, const char *name);

/* Writes the directory holding the running executable (/proc/self/exe)
   into buf. Returns 0, or -1. */
int launcher_self_dir(char *buf, size_t len);

/* ---- the supervisor ------------------------------------------------- */

typedef struct launcher_sup launcher_sup_t;

/* Creates a supervisor for `plan`'s children. The plan is borrowed and
   must outlive the supervisor. Blocks SIGCHLD, SIGINT, SIGTERM and SIGHUP
   in the calling process (they are taken by launcher_sup_run) until
   launcher_sup_destroy restores the previous mask and handlers. Returns
   NULL on failure. */
launcher_sup_t *launcher_sup_new(const launcher_plan_t *plan);

/* Stops what is still running (as launcher_sup_stop with the default
   grace), restores signal handling and frees the supervisor; accepts NULL
   and sets *self_p to NULL. */
void launcher_sup_destroy(launcher_sup_t **self_p);

/* Starts every child in plan order. A child that cannot be forked is
   scheduled for a restart like one that exited. Returns 0, or -1 when not
   even one child could be started. */
int launcher_sup_start(launcher_sup_t *self);

/* Supervises for `run_ms` milliseconds (-1: until SIGINT or SIGTERM):
   reaps and logs exits, restarts children when their backoff expires,
   forwards SIGHUP to every service (not to simulators). Returns 1 when a
   stop signal arrived, 0 when run_ms elapsed. */
int launcher_sup_run(launcher_sup_t *self, int64_t run_ms);

/* Sends SIGTERM to every service, waits for them, then to the
   simulators; whatever is still alive after `grace_ms` gets SIGKILL.
   Returns the number of children that had to be killed. */
int launcher_sup_stop(launcher_sup_t *self, int64_t grace_ms);

/* Times child `index` (plan order) was started, for tests and logs. */
int launcher_sup_starts(const launcher_sup_t *self, size_t index);

/* The delay scheduled before the latest restart of child `index`, in
   milliseconds (0 when it never needed one). */
int64_t launcher_sup_last_delay_ms(const launcher_sup_t *self, size_t index);

/* Pid of child `index`, or 0 when it is not running. */
int launcher_sup_pid(const launcher_sup_t *self, size_t index);

/* ---- commands ------------------------------------------------------- */

/* `plexstaffai check-config PATH`: prints every error and warning, then
   "OK: PATH is valid (version X)" or the number of errors. Returns the exit
   code: 0 valid, 1 invalid. The verdict goes to `out`, the issues to
   `errout`. */
int launcher_check_config(const char *path, FILE *out, FILE *errout);

/* Finds the default config.yaml shipped with the program: the install
   prefix's share/plexstaffai/config.yaml (bin_dir/../share/...) when it
   exists, else `source_config` (the source tree's config.yaml, built in
   as PS_SOURCE_CONFIG; may be NULL) when it exists. Writes its path into
   buf and returns 0, or returns -1 when there is none. */
int launcher_default_config(const char *bin_dir, const char *source_config,
                            char *buf, size_t len);

/* Copies the file `shipped` to `dest` with mode 0640, unless `dest`
   already exists: an existing file is never overwritten, not even one
   created meanwhile by someone else (O_EXCL). Returns 1 when copied, 0
   when `dest` existed (untouched), -1 with the reason in err (a partial
   copy is removed). */
int launcher_install_config(const char *shipped, const char *dest, char *err,
                            size_t errlen);

/* Where `up` without --config takes its configuration from:
   `data_dir`/config.yaml ("config.yaml" when data_dir is empty). Creates
   the data directory when missing and, on first start, copies `shipped`
   (may be NULL: nothing to copy) there. Writes the path into buf and
   sets *copied. Returns 0 when buf names an existing file, 1 when there
   is no file and nothing to copy (run on the defaults), -1 with the
   reason in err. */
int launcher_data_dir_config(const char *data_dir, const char *shipped,
                             char *buf, size_t len, bool *copied, char *err,
                             size_t errlen);

/* `plexstaffai up`: loads the configuration (errors are printed as
   file:line:column and give exit code 2) from args->config_path or,
   without one, from <data dir>/config.yaml, copied from the shipped
   default on first start (launcher_data_dir_config); builds the plan
   next to this executable, starts and supervises everything until SIGINT
   or SIGTERM, then stops it all. The "is running" line goes to `out`, the rest
   is logged. Returns the exit code: 0 after a clean stop, 1 when nothing could
   be started, 2 on a configuration error. */
int launcher_up(const launcher_args_t *args, FILE *out);

#endif
