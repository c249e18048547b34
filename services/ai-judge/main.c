/*  plexstaffai-ai-judge - asks an LLM about what the rules left undecided.

    Thin by design (STYLE.md §8): arguments and config through
    ps_service_start, then judge_service_run owns the loop.               */
#include "judge_service.h"
#include "ps_config.h"
#include "ps_service.h"

int
main(int argc, char **argv)
{
    ps_config_t *config = NULL;
    const char *config_path = NULL;
    int rc = ps_service_start("ai-judge", argc, argv, &config, &config_path);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    rc = judge_service_run(&config, config_path);
    ps_config_destroy(&config);
    return rc;
}
