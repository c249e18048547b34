/*  llmsim_server - the LLM simulator's HTTP side.

    Puts llmsim (llm_sim_core.h) behind civetweb: POST /v1/chat/completions,
    the control routes /sim/config, /sim/stats, /sim/reset, and GET /health.
    Latency and hanging calls sleep on a condition variable that shutdown
    broadcasts, so many calls can wait at once (one civetweb worker each)
    and a stop never waits 120 s.                                         */
#ifndef LLMSIM_SERVER_H_INCLUDED
#define LLMSIM_SERVER_H_INCLUDED

#include "llm_sim_core.h"

typedef struct llmsim_server llmsim_server_t;

/* Starts listening on `listen` ("host:port", port 0 picks a free one) with
   `threads` workers. The config is copied. Returns NULL on failure with
   the reason in err. */
llmsim_server_t *llmsim_server_new(const char *listen, int threads,
                                   const llmsim_config_t *config, uint64_t seed,
                                   char *err, size_t errlen);

/* The TCP port actually bound. */
int llmsim_server_port(const llmsim_server_t *self);

/* Wakes sleeping calls, stops the listener and frees everything. Accepts
   NULL and an already-NULL *self_p. */
void llmsim_server_destroy(llmsim_server_t **self_p);

#endif
