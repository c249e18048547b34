/*  plexstaffai-api-gateway - thin main: arguments, config, run, exit.    */
#include "gateway.h"
#include "ps_log.h"
#include "ps_service.h"

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    int rc = ps_service_start("api-gateway", argc, argv, &config, &config_path);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    /* One malloc arena per civetweb worker thread cost ~29 MB after a
       backlog (bench/ANALYSIS.md); two arenas are plenty for this load. */
    mallopt(M_ARENA_MAX, 2);
    if (sodium_init() < 0) {
        ps_log_error("libsodium cannot initialise");
        ps_config_destroy(&config);
        return 1;
    }
    char err[512];
    gateway_t *gateway = gateway_new(&config, config_path, err, sizeof(err));
    if (!gateway) {
        ps_log_error("cannot start: %s", err);
        return 1;
    }
    rc = gateway_run(gateway);
    gateway_destroy(&gateway);
    ps_log_info("stopped");
    return rc;
}
