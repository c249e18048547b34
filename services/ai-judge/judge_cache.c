/*  judge_cache - see judge_cache.h.

    A czmq zhashx keyed by the key string, plus a FIFO of keys in insertion
    order so eviction is cheap: when full, expired entries are dropped
    first, then the oldest. Expiry is also checked on every get, so a
    stale verdict is never returned.                                      */
#include "judge_cache.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    judge_verdict_t verdict; /* the stored verdict */
    char model[128];         /* model that gave it */
    int64_t expires_at;      /* ms epoch */
} s_entry_t;

struct judge_cache {
    zhashx_t *entries; /* key -> s_entry_t, owns both */
    zlistx_t *order;   /* keys, oldest first, owned strings */
    size_t max;        /* entries allowed */
};

static void
s_entry_free(void **item)
{
    free(*item);
    *item = NULL;
}

judge_cache_t *
judge_cache_new(size_t max)
{
    judge_cache_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->max = max ? max : 1;
    self->entries = zhashx_new();
    self->order = zlistx_new();
    if (!self->entries || !self->order) {
        judge_cache_destroy(&self);
        return NULL;
    }
    zhashx_set_destructor(self->entries, s_entry_free);
    zlistx_set_destructor(self->order, (zlistx_destructor_fn *)zstr_free);
    zlistx_set_duplicator(self->order, (zlistx_duplicator_fn *)strdup);
    return self;
}

void
judge_cache_destroy(judge_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    judge_cache_t *self = *self_p;
    zlistx_destroy(&self->order);
    zhashx_destroy(&self->entries);
    free(self);
    *self_p = NULL;
}

/* Appends a value with control characters (the separator included)
   turned into spaces. Returns the new length, or len + 1 past the end. */
static size_t
s_key_add(char *buf, size_t size, size_t len, const char *value)
{
    for (const char *p = value ? value : ""; *p; p++) {
        if (len + 1 >= size)
            return size;
        buf[len++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    }
    if (len + 1 >= size)
        return size;
    buf[len++] = '\x1f';
    buf[len] = '\0';
    return len;
}

int
judge_cache_key(const ps_config_t *config, const ps_work_t *work,
                const char *level, char *buf, size_t len)
{
    char year[24];
    snprintf(year, sizeof(year), "%lld", (long long)work->year);
    const char *parts[] = {work->title,       year,
                           work->media_type,  level,
                           config->ai.policy, config->ai.model};
    size_t used = 0;
    if (len == 0)
        return -1;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        used = s_key_add(buf, len, used, parts[i]);
        if (used >= len)
            return -1;
    }
    return 0;
}

bool
judge_cache_get(judge_cache_t *self, const char *key, int64_t now_ms,
                judge_verdict_t *verdict, char *model, size_t model_len)
{
    s_entry_t *entry = zhashx_lookup(self->entries, key);
    if (!entry || entry->expires_at <= now_ms)
        return false;
    *verdict = entry->verdict;
    if (model && model_len)
        snprintf(model, model_len, "%s", entry->model);
    return true;
}

/* Makes room for one entry: expired first, then the oldest. */
static void
s_evict(judge_cache_t *self, int64_t now_ms)
{
    if (zhashx_size(self->entries) < self->max)
        return;
    char *key = zlistx_first(self->order);
    while (key) {
        s_entry_t *entry = zhashx_lookup(self->entries, key);
        void *cursor = zlistx_cursor(self->order);
        key = zlistx_next(self->order);
        if (!entry || entry->expires_at <= now_ms) {
            zhashx_delete(self->entries, zlistx_handle_item(cursor));
            zlistx_delete(self->order, cursor);
        }
    }
    while (zhashx_size(self->entries) >= self->max
           && zlistx_size(self->order) > 0) {
        char *oldest = zlistx_first(self->order);
        zhashx_delete(self->entries, oldest);
        zlistx_delete(self->order, zlistx_cursor(self->order));
    }
}

int
judge_cache_put(judge_cache_t *self, const char *key,
                const judge_verdict_t *verdict, const char *model,
                int64_t now_ms, int64_t ttl_ms)
{
    s_entry_t *entry = calloc(1, sizeof(*entry));
    if (!entry)
        return -1;
    entry->verdict = *verdict;
    snprintf(entry->model, sizeof(entry->model), "%s", model ? model : "");
    entry->expires_at = now_ms + ttl_ms;
    if (zhashx_lookup(self->entries, key)) {
        zhashx_update(self->entries, key, entry);
        return 0;
    }
    s_evict(self, now_ms);
    if (zhashx_insert(self->entries, key, entry) != 0) {
        free(entry);
        return -1;
    }
    if (!zlistx_add_end(self->order, (void *)key)) {
        zhashx_delete(self->entries, key);
        return -1;
    }
    return 0;
}

size_t
judge_cache_size(const judge_cache_t *self)
{
    return zhashx_size(self->entries);
}
