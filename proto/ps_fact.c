/*  ps_fact - see ps_fact.h for the field tables.                          */
#include "ps_fact.h"
#include "ps_mp.h"

#include <stdlib.h>

ps_event_t *
ps_event_new(void)
{
    return calloc(1, sizeof(ps_event_t));
}

void
ps_event_destroy(ps_event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_event_t *self = *self_p;
    free(self->kind);
    free(self->outcome);
    free(self->source);
    free(self->actor);
    free(self->title);
    free(self->media_type);
    free(self->user_name);
    free(self->rule);
    free(self->explanation);
    free(self->inputs);
    free(self->reason);
    free(self);
    *self_p = NULL;
}

zframe_t *
ps_event_encode(const ps_event_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "event", 0);
    ps_mp_kv_int(&w, "seq", self->seq);
    ps_mp_kv_str(&w, "kind", self->kind);
    ps_mp_kv_int(&w, "request_id", self->request_id);
    ps_mp_kv_int(&w, "at", self->at);
    ps_mp_kv_str(&w, "outcome", self->outcome);
    ps_mp_kv_str(&w, "source", self->source);
    ps_mp_kv_str(&w, "actor", self->actor);
    ps_mp_kv_str(&w, "title", self->title);
    ps_mp_kv_str(&w, "media_type", self->media_type);
    ps_mp_kv_str(&w, "user_name", self->user_name);
    ps_mp_kv_str(&w, "rule", self->rule);
    ps_mp_kv_str(&w, "explanation", self->explanation);
    if (self->has_score)
        ps_mp_kv_double(&w, "score", self->score);
    ps_mp_kv_str(&w, "inputs", self->inputs);
    ps_mp_kv_str(&w, "reason", self->reason);
    return ps_mp_writer_frame(&w);
}

int
ps_event_decode(zframe_t *frame, ps_event_t **out, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    ps_event_t *self = ps_event_new();
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "event",
                          err, errlen)
        != 0)
        goto out;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_int(&r, "seq", true, &self->seq)
        || ps_mp_get_str(&r, "kind", true, &self->kind)
        || ps_mp_get_int(&r, "request_id", true, &self->request_id)
        || ps_mp_get_int(&r, "at", true, &self->at)
        || ps_mp_get_str(&r, "outcome", false, &self->outcome)
        || ps_mp_get_str(&r, "source", false, &self->source)
        || ps_mp_get_str(&r, "actor", false, &self->actor)
        || ps_mp_get_str(&r, "title", false, &self->title)
        || ps_mp_get_str(&r, "media_type", false, &self->media_type)
        || ps_mp_get_str(&r, "user_name", false, &self->user_name)
        || ps_mp_get_str(&r, "rule", false, &self->rule)
        || ps_mp_get_str(&r, "explanation", false, &self->explanation)
        || ps_mp_get_double(&r, "score", false, &self->score)
        || ps_mp_get_str(&r, "inputs", false, &self->inputs)
        || ps_mp_get_str(&r, "reason", false, &self->reason))
        goto out;
    self->has_score = ps_mp_has(&r, "score");
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_event_destroy(&self);
    *out = self;
    return rc;
}

ps_usage_t *
ps_usage_new(void)
{
    return calloc(1, sizeof(ps_usage_t));
}

void
ps_usage_destroy(ps_usage_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->model);
    free((*self_p)->instance);
    free(*self_p);
    *self_p = NULL;
}

zmsg_t *
ps_usage_encode(const ps_usage_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "usage", 0);
    ps_mp_kv_int(&w, "request_id", self->request_id);
    ps_mp_kv_str(&w, "model", self->model);
    ps_mp_kv_int(&w, "prompt_tokens", self->prompt_tokens);
    ps_mp_kv_int(&w, "completion_tokens", self->completion_tokens);
    ps_mp_kv_int(&w, "cached_tokens", self->cached_tokens);
    ps_mp_kv_double(&w, "cost_usd", self->cost_usd);
    ps_mp_kv_int(&w, "latency_ms", self->latency_ms);
    ps_mp_kv_int(&w, "http_status", self->http_status);
    ps_mp_kv_bool(&w, "ok", self->ok);
    ps_mp_kv_int(&w, "at", self->at);
    ps_mp_kv_str(&w, "instance", self->instance);
    return ps_mp_writer_msg(&w);
}

int
ps_usage_decode(zframe_t *frame, ps_usage_t **out, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    ps_usage_t *self = ps_usage_new();
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "usage",
                          err, errlen)
        != 0)
        goto out;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_int(&r, "request_id", true, &self->request_id)
        || ps_mp_get_str(&r, "model", false, &self->model)
        || ps_mp_get_int(&r, "prompt_tokens", true, &self->prompt_tokens)
        || ps_mp_get_int(&r, "completion_tokens", true,
                         &self->completion_tokens)
        || ps_mp_get_int(&r, "cached_tokens", false, &self->cached_tokens)
        || ps_mp_get_double(&r, "cost_usd", true, &self->cost_usd)
        || ps_mp_get_int(&r, "latency_ms", false, &self->latency_ms)
        || ps_mp_get_int(&r, "http_status", false, &self->http_status)
        || ps_mp_get_bool(&r, "ok", false, &self->ok)
        || ps_mp_get_int(&r, "at", true, &self->at)
        || ps_mp_get_str(&r, "instance", false, &self->instance))
        goto out;
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_usage_destroy(&self);
    *out = self;
    return rc;
}

ps_model_t *
ps_model_new(void)
{
    return calloc(1, sizeof(ps_model_t));
}

void
ps_model_destroy(ps_model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->kind);
    free((*self_p)->blob);
    free(*self_p);
    *self_p = NULL;
}

zmsg_t *
ps_model_encode(const ps_model_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "model", 0);
    ps_mp_kv_int(&w, "version", self->version);
    ps_mp_kv_str(&w, "kind", self->kind);
    ps_mp_kv_int(&w, "examples", self->examples);
    ps_mp_kv_int(&w, "trained_at", self->trained_at);
    ps_mp_kv_bin(&w, "blob", self->blob, self->blob_len);
    return ps_mp_writer_msg(&w);
}

int
ps_model_decode(zframe_t *frame, ps_model_t **out, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    ps_model_t *self = ps_model_new();
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "model",
                          err, errlen)
        != 0)
        goto out;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_int(&r, "version", true, &self->version)
        || ps_mp_get_str(&r, "kind", true, &self->kind)
        || ps_mp_get_int(&r, "examples", false, &self->examples)
        || ps_mp_get_int(&r, "trained_at", false, &self->trained_at)
        || ps_mp_get_bin(&r, "blob", true, &self->blob, &self->blob_len))
        goto out;
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_model_destroy(&self);
    *out = self;
    return rc;
}
