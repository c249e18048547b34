/*  plexstaffai-enricher - adds Overseerr media details to each claimed
    request and passes it to the rule-engine.

    Thin on purpose (STYLE.md §8): arguments, config and the loop; all the
    logic lives in enricher_core (enricher.c) where tests reach it.       */
#include "enricher.h"

#include "ps_config.h"
#include "ps_service.h"

int
main(int argc, char **argv)
{
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    int rc = ps_service_start("enricher", argc, argv, &config, &config_path);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    enricher_t *enricher = enricher_new(&config, config_path);
    if (!enricher) {
        ps_config_destroy(&config);
        return 1;
    }
    rc = enricher_run(enricher) == 0 ? 0 : 1;
    enricher_destroy(&enricher);
    return rc;
}
