/*  judge_service - the ai-judge's loop: the bus around judge_engine.

    Connects a PULL to `undecided` (receive HWM ai.concurrency, so several
    judges share the rule engine's PUSH), a PUSH to `collect` (decisions,
    releases, usage, breaker status, heartbeats) and a REQ to `authority`
    (budget reservations). One thread: the loop waits in
    curl_multi_poll on the transfers and the PULL socket's ZMQ_FD at once,
    and takes a message only while the engine has a free slot, so the
    HWM and the free slots decide how work spreads between judges.        */
#ifndef JUDGE_SERVICE_H_INCLUDED
#define JUDGE_SERVICE_H_INCLUDED

#include "ps_config.h"

/* Runs the service until SIGINT or SIGTERM; SIGHUP (or a changed config
   file) reloads *config, which stays owned by the caller. On stop,
   requests still in progress are released to the gateway. Returns the
   exit code (0 clean stop, 1 setup failure). */
int judge_service_run(ps_config_t **config, const char *config_path);

#endif
