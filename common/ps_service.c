/*  ps_service - see ps_service.h.

    The watch keeps the identity of the file it last reported (or started
    with): device, inode, size, mtime and ctime. ctime is there because
    `cp -p` or an archive restore can rewrite a file in place with the old
    mtime and, by chance, the old size; the kernel always moves ctime. A
    chmod also moves it, which costs one harmless reload of identical
    content. The process-wide watch is a file-static pointer: services
    never tear it down, and reachable memory is not a leak to ASan.       */
#include "ps_service.h"
#include "ps_bus.h"
#include "ps_log.h"
#include "ps_time.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    bool present;      /* the file existed when this was taken */
    dev_t dev;         /* device holding it */
    ino_t ino;         /* inode: a rename-replace changes it */
    off_t size;        /* bytes */
    int64_t mtime_sec; /* data last modified, seconds */
    long mtime_nsec;   /* and nanoseconds */
    int64_t ctime_sec; /* inode last changed, seconds */
    long ctime_nsec;   /* and nanoseconds */
} s_identity_t;

struct ps_watch {
    char *path;           /* the watched file, owned */
    s_identity_t seen;    /* the file as last reported or synced */
    int64_t next_mono_ms; /* monotonic time of the next check */
    int missing_checks;   /* consecutive checks that found no file */
};

static ps_watch_t *s_watch; /* the process's watch; service loop thread */

static void
s_usage(const char *name)
{
    fprintf(stderr,
            "usage: plexstaffai-%s [--config PATH] [--log-level LEVEL]\n"
            "  --config PATH      YAML configuration (see README)\n"
            "  --log-level LEVEL  error, warn, info or debug\n",
            name);
}

int
ps_service_start(const char *name, int argc, char **argv, ps_config_t **config,
                 const char **config_path)
{
    int rc = 2;
    const char *path = NULL;
    const char *level_name = NULL;
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
    *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc)
            level_name = argv[++i];
        else if (strcmp(argv[i], "--version") == 0) {
            printf("plexstaffai-%s %s\n", name, PS_VERSION);
            return 1;
        } else if (strcmp(argv[i], "--help") == 0) {
            s_usage(name);
            return 1;
        } else {
            fprintf(stderr, "plexstaffai-%s: unknown argument \"%s\"\n", name,
                    argv[i]);
            s_usage(name);
            return 2;
        }
    }
    /* Watch before loading: a change between the two then costs one
       extra reload of the same bytes instead of going unnoticed. */
    if (ps_service_watch(path) != 0) {
        fprintf(stderr, "plexstaffai-%s: out of memory\n", name);
        goto out;
    }
    *config = ps_config_load(path, &errors, &warnings);
    ps_log_level_t level = PS_LOG_INFO;
    if (*config)
        ps_log_level_parse((*config)->log_level, &level);
    if (level_name && ps_log_level_parse(level_name, &level) != 0) {
        fprintf(stderr, "plexstaffai-%s: unknown log level \"%s\"\n", name,
                level_name);
        ps_config_destroy(config);
    }
    ps_log_init(name, level);
    for (size_t i = 0; i < errors.count; i++) {
        char line[768];
        ps_config_issue_format(&errors.items[i], line, sizeof(line));
        ps_log_error("config error: %s", line);
    }
    for (size_t i = 0; i < warnings.count; i++) {
        char line[768];
        ps_config_issue_format(&warnings.items[i], line, sizeof(line));
        ps_log_warn("config warning: %s", line);
    }
    if (!*config)
        goto out;
    if (path)
        ps_log_info("watching %s: a change reloads the configuration "
                    "(as SIGHUP does)",
                    path);
    *config_path = path;
    ps_signals_init();
    rc = 0;
out:
    if (rc != 0)
        ps_service_watch(NULL);
    ps_config_issues_clear(&errors);
    ps_config_issues_clear(&warnings);
    return rc;
}

int
ps_service_reload(const char *path, ps_config_t **config, char *err,
                  size_t errlen)
{
    ps_config_issues_t errors = {0};
    ps_config_t *fresh = ps_config_load(path, &errors, NULL);
    if (err && errlen)
        err[0] = '\0';
    for (size_t i = 0; i < errors.count; i++) {
        char line[768];
        ps_config_issue_format(&errors.items[i], line, sizeof(line));
        ps_log_error("config reload refused, old configuration kept: %s", line);
        if (i == 0 && err && errlen)
            snprintf(err, errlen, "%s", line);
    }
    ps_config_issues_clear(&errors);
    if (!fresh) {
        /* A load can fail without an issue (out of memory): still say
           why the old configuration runs on. */
        if (err && errlen && !err[0])
            snprintf(err, errlen, "%s: cannot load the configuration",
                     path ? path : "(defaults)");
        return -1;
    }
    ps_config_destroy(config);
    *config = fresh;
    ps_log_level_t level;
    if (ps_log_level_parse(fresh->log_level, &level) == 0)
        ps_log_set_level(level);
    ps_log_info("configuration reloaded version=%s", fresh->version);
    return 0;
}

/* ---- the process's watch ---------------------------------------------- */

int
ps_service_watch(const char *path)
{
    ps_watch_destroy(&s_watch);
    if (!path)
        return 0;
    s_watch = ps_watch_new(path, ps_time_mono_ms());
    return s_watch ? 0 : -1;
}

bool
ps_service_config_changed(void)
{
    if (!s_watch)
        return false;
    if (!ps_watch_check(s_watch, ps_time_mono_ms(), ps_time_now_ms()))
        return false;
    ps_log_info("configuration file %s changed, reloading",
                ps_watch_path(s_watch));
    return true;
}

void
ps_service_config_seen(void)
{
    if (s_watch)
        ps_watch_sync(s_watch);
}

/* ---- ps_watch ---------------------------------------------------------- */

/* Reads the identity of `path`. Returns 0, or -1 with errno set (ENOENT
   while an editor has the file away). */
static int
s_identity_read(const char *path, s_identity_t *id)
{
    struct stat st;
    memset(id, 0, sizeof(*id));
    if (stat(path, &st) != 0)
        return -1;
    id->present = true;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtime_sec = (int64_t)st.st_mtim.tv_sec;
    id->mtime_nsec = st.st_mtim.tv_nsec;
    id->ctime_sec = (int64_t)st.st_ctim.tv_sec;
    id->ctime_nsec = st.st_ctim.tv_nsec;
    return 0;
}

static bool
s_identity_same(const s_identity_t *a, const s_identity_t *b)
{
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino
           && a->size == b->size && a->mtime_sec == b->mtime_sec
           && a->mtime_nsec == b->mtime_nsec && a->ctime_sec == b->ctime_sec
           && a->ctime_nsec == b->ctime_nsec;
}

/* Wall-clock time of the file's latest change, in ms since the epoch: a
   rename moves only ctime, a write both. */
static int64_t
s_identity_changed_ms(const s_identity_t *id)
{
    int64_t mtime = id->mtime_sec * 1000 + id->mtime_nsec / 1000000;
    int64_t ctime = id->ctime_sec * 1000 + id->ctime_nsec / 1000000;
    return mtime > ctime ? mtime : ctime;
}

ps_watch_t *
ps_watch_new(const char *path, int64_t mono_ms)
{
    assert(path);
    ps_watch_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->path = strdup(path);
    if (!self->path) {
        ps_watch_destroy(&self);
        return NULL;
    }
    ps_watch_sync(self);
    self->next_mono_ms = mono_ms + PS_WATCH_INTERVAL_MS;
    return self;
}

void
ps_watch_destroy(ps_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_watch_t *self = *self_p;
    free(self->path);
    free(self);
    *self_p = NULL;
}

bool
ps_watch_check(ps_watch_t *self, int64_t mono_ms, int64_t real_ms)
{
    assert(self);
    if (mono_ms < self->next_mono_ms)
        return false;
    self->next_mono_ms = mono_ms + PS_WATCH_INTERVAL_MS;
    s_identity_t now;
    if (s_identity_read(self->path, &now) != 0) {
        /* Editors and ConfigMap updates take the file away for a moment;
           only a file still missing at the next check is worth a line. */
        if (++self->missing_checks == 2)
            ps_log_warn("configuration file %s is missing (%s); the running "
                        "configuration stays and the file is loaded again "
                        "when it is back",
                        self->path, strerror(errno));
        return false;
    }
    if (self->missing_checks >= 2)
        ps_log_info("configuration file %s is back", self->path);
    self->missing_checks = 0;
    if (s_identity_same(&now, &self->seen))
        return false;
    /* A file changed this recently may still be being written. A change
       time in the future (a skewed clock) cannot be waited out: take it. */
    int64_t age = real_ms - s_identity_changed_ms(&now);
    if (age >= 0 && age < PS_WATCH_SETTLE_MS)
        return false;
    self->seen = now;
    return true;
}

void
ps_watch_sync(ps_watch_t *self)
{
    assert(self);
    s_identity_t now;
    /* A missing file is recorded as absent: its return is a change. */
    s_identity_read(self->path, &now);
    self->seen = now;
}

const char *
ps_watch_path(const ps_watch_t *self)
{
    assert(self);
    return self->path;
}
