/*  judge_cache - verdicts reused for identical requests for a while.

    Two requests for the same title (same year and media type), judged
    under the same server policy for a requester of the same trust level
    and by the same model, would get the same answer from the LLM: the
    second reuses the first's verdict for ai.cache_ttl instead of paying
    for a call. Only the verdict is reused; thresholds and blending run
    again. In memory, per judge process; bounded by `max` entries (expired
    ones go first, then the oldest). Used by one thread (the judge's loop). */
#ifndef JUDGE_CACHE_H_INCLUDED
#define JUDGE_CACHE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge.h"

typedef struct judge_cache judge_cache_t;

/* Creates an empty cache of at most `max` entries (>= 1). Returns NULL
   on OOM. */
judge_cache_t *judge_cache_new(size_t max);

/* Frees it; accepts NULL and an already-NULL *self_p. */
void judge_cache_destroy(judge_cache_t **self_p);

/* Writes the key of `work` into buf: title, year, media type, the
   trust level's name, ai.policy and ai.model, separated by 0x1f (which
   the values cannot forge: control characters are replaced). Returns 0,
   or -1 when buf is too small. */
int judge_cache_key(const ps_config_t *config, const ps_work_t *work,
                    const char *level, char *buf, size_t len);

/* Finds a verdict stored under `key` that has not expired at now_ms.
   Returns true and copies it (and its model, up to model_len) out. */
bool judge_cache_get(judge_cache_t *self, const char *key, int64_t now_ms,
                     judge_verdict_t *verdict, char *model, size_t model_len);

/* Stores a copy of a verdict under `key` for ttl_ms from now_ms,
   replacing an older one; when full, drops expired entries, then the
   oldest. Returns 0, or -1 on OOM (the cache is left as it was). */
int judge_cache_put(judge_cache_t *self, const char *key,
                    const judge_verdict_t *verdict, const char *model,
                    int64_t now_ms, int64_t ttl_ms);

/* Entries held, expired ones included. */
size_t judge_cache_size(const judge_cache_t *self);

#endif
