/*  plexstaffai-poller - lists pending Overseerr requests, claims them from
    the gateway and feeds the enricher.

    Thin on purpose (STYLE.md §8): arguments, config and the loop; all the
    logic lives in poller_core (poller.c) where tests reach it.           */
#include "poller.h"

#include "ps_config.h"
#include "ps_service.h"

#include <czmq.h>

int
main(int argc, char **argv)
{
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    int rc = ps_service_start("poller", argc, argv, &config, &config_path);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    poller_t *poller = poller_new(&config, config_path);
    if (!poller) {
        ps_config_destroy(&config);
        return 1;
    }
    rc = poller_run(poller) == 0 ? 0 : 1;
    poller_destroy(&poller);
    return rc;
}
