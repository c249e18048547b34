/*  plexstaffai - the launcher: `plexstaffai up` starts and supervises the
    whole stack on one machine, `plexstaffai check-config PATH` validates a
    configuration, `plexstaffai backtest` replays decisions through a
    draft. All logic is in launcher.c (launcher_core), so tests
    drive it without this file.                                            */
#include "backtest.h"
#include "launcher.h"
#include "token.h"

#include <stdlib.h>

#include <stdio.h>

int
main(int argc, char **argv)
{
    launcher_args_t args;
    char err[256];
    if (launcher_args_parse(argc, argv, &args, err, sizeof(err)) != 0) {
        fprintf(stderr, "plexstaffai: %s\n", err);
        launcher_usage(stderr);
        return 2;
    }
    switch (args.cmd) {
        case LAUNCHER_CMD_HELP:
            launcher_usage(stdout);
            return 0;
        case LAUNCHER_CMD_VERSION:
            printf("plexstaffai %s\n", PS_VERSION);
            return 0;
        case LAUNCHER_CMD_CHECK_CONFIG:
            return launcher_check_config(args.config_path, stdout, stderr);
        case LAUNCHER_CMD_BACKTEST:
            return backtest_run(args.config_path, args.last, args.gateway,
                                stdout, stderr);
        case LAUNCHER_CMD_TOKEN: {
            const char *dir =
                args.data_dir ? args.data_dir : getenv("PLEXSTAFFAI_DATA_DIR");
            return token_create(dir && *dir ? dir : "data", args.name,
                                args.role, stdout, stderr);
        }
        case LAUNCHER_CMD_UP:
            return launcher_up(&args, stdout);
        case LAUNCHER_CMD_NONE:
            break;
    }
    launcher_usage(stderr);
    return 2;
}
