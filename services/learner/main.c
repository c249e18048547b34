/*  plexstaffai-learner - turns decisions and staff reviews into feedback.

    Thin by design (STYLE.md §8): arguments and config through
    ps_service_start, then learner_service_run owns the loop.             */
#include "learner.h"
#include "ps_config.h"
#include "ps_service.h"

int
main(int argc, char **argv)
{
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    int rc = ps_service_start("learner", argc, argv, &config, &config_path);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    rc = learner_service_run(&config, config_path);
    ps_config_destroy(&config);
    return rc;
}
