/*  ps_service - see ps_service.h.                                         */
#include "ps_service.h"
#include "ps_bus.h"
#include "ps_log.h"

#include <stdio.h>
#include <string.h>

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
    const char *path = NULL;
    const char *level_name = NULL;
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
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
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
    ps_config_issues_clear(&errors);
    ps_config_issues_clear(&warnings);
    if (!*config)
        return 2;
    *config_path = path;
    ps_signals_init();
    return 0;
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
        if (i == 0 && err)
            snprintf(err, errlen, "%s", line);
    }
    ps_config_issues_clear(&errors);
    if (!fresh)
        return -1;
    ps_config_destroy(config);
    *config = fresh;
    ps_log_level_t level;
    if (ps_log_level_parse(fresh->log_level, &level) == 0)
        ps_log_set_level(level);
    ps_log_info("configuration reloaded version=%s", fresh->version);
    return 0;
}
