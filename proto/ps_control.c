/*  ps_control - see ps_control.h for the field tables.                    */
#include "ps_control.h"
#include "ps_mp.h"

#include <stdlib.h>
#include <string.h>

ps_ids_t *
ps_ids_new(const char *type, size_t count, bool with_values)
{
    ps_ids_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    snprintf(self->type, sizeof(self->type), "%.15s", type);
    self->ids = calloc(count + 1, sizeof(*self->ids));
    self->values =
        with_values ? calloc(count + 1, sizeof(*self->values)) : NULL;
    self->count = count;
    if (!self->ids || (with_values && !self->values))
        ps_ids_destroy(&self);
    return self;
}

void
ps_ids_destroy(ps_ids_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->ids);
    free((*self_p)->values);
    free((*self_p)->owner);
    free(*self_p);
    *self_p = NULL;
}

zmsg_t *
ps_ids_encode(const ps_ids_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, self->type, 0);
    ps_mp_kv_ints(&w, "ids", self->ids, self->count);
    if (self->values)
        ps_mp_kv_ints(&w, "values", self->values, self->count);
    ps_mp_kv_str(&w, "owner", self->owner);
    return ps_mp_writer_msg(&w);
}

int
ps_ids_decode(zframe_t *frame, const char *expect_type, ps_ids_t **out,
              char *err, size_t errlen)
{
    static const char *types[] = {"claim", "granted", "pending", "check",
                                  "elsewhere"};
    ps_mp_reader_t r;
    ps_ids_t *self = NULL;
    size_t values = 0;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame),
                          expect_type, err, errlen)
        != 0)
        goto out;
    size_t known = 0;
    while (known < 5 && strcmp(types[known], r.type) != 0)
        known++;
    if (known == 5) {
        snprintf(err, errlen, "expected an id list message, got %s", r.type);
        goto out;
    }
    self = ps_ids_new(r.type, 0, false);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_ints(&r, "ids", true, &self->ids, &self->count)
        || ps_mp_get_ints(&r, "values", false, &self->values, &values)
        || ps_mp_get_str(&r, "owner", false, &self->owner))
        goto out;
    if (self->values && values != self->count) {
        snprintf(err, errlen, "field `values`: %zu values for %zu ids", values,
                 self->count);
        goto out;
    }
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_ids_destroy(&self);
    *out = self;
    return rc;
}

zmsg_t *
ps_catchup_encode(int64_t since, int64_t limit)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "catchup", 0);
    ps_mp_kv_int(&w, "since", since);
    ps_mp_kv_int(&w, "limit", limit);
    return ps_mp_writer_msg(&w);
}

int
ps_catchup_decode(zframe_t *frame, int64_t *since, int64_t *limit, char *err,
                  size_t errlen)
{
    ps_mp_reader_t r;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "catchup",
                          err, errlen)
            == 0
        && ps_mp_get_int(&r, "since", true, since) == 0
        && ps_mp_get_int(&r, "limit", true, limit) == 0)
        rc = 0;
    ps_mp_reader_close(&r);
    return rc;
}

zmsg_t *
ps_catchup_reply_new(int64_t count, int64_t last_seq)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "events", 0);
    ps_mp_kv_int(&w, "count", count);
    ps_mp_kv_int(&w, "last_seq", last_seq);
    return ps_mp_writer_msg(&w);
}

int
ps_catchup_reply_decode(zframe_t *frame, int64_t *count, int64_t *last_seq,
                        char *err, size_t errlen)
{
    ps_mp_reader_t r;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "events",
                          err, errlen)
            == 0
        && ps_mp_get_int(&r, "count", true, count) == 0
        && ps_mp_get_int(&r, "last_seq", true, last_seq) == 0)
        rc = 0;
    ps_mp_reader_close(&r);
    return rc;
}

zmsg_t *
ps_history_ask_encode(int64_t user_id, int64_t request_id, int64_t since)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "history", 1);
    ps_mp_kv_int(&w, "user_id", user_id);
    ps_mp_kv_int(&w, "request_id", request_id);
    ps_mp_kv_int(&w, "since", since);
    return ps_mp_writer_msg(&w);
}

int
ps_history_ask_decode(zframe_t *frame, int64_t *user_id, int64_t *request_id,
                      int64_t *since, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "history",
                          err, errlen)
            == 0
        && ps_mp_get_int(&r, "user_id", true, user_id) == 0
        && ps_mp_get_int(&r, "request_id", true, request_id) == 0
        && ps_mp_get_int(&r, "since", true, since) == 0)
        rc = 0;
    ps_mp_reader_close(&r);
    return rc;
}

zmsg_t *
ps_history_encode(const ps_history_t *history)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "history_reply", 1);
    ps_mp_kv_int(&w, "user_id", history->user_id);
    ps_mp_kv_int(&w, "since", history->since);
    ps_mp_kv_int(&w, "requests", history->requests);
    ps_mp_kv_int(&w, "approved", history->approved);
    ps_mp_kv_int(&w, "declined", history->declined);
    return ps_mp_writer_msg(&w);
}

int
ps_history_decode(zframe_t *frame, ps_history_t *history, char *err,
                  size_t errlen)
{
    ps_mp_reader_t r;
    ps_history_t out = {0};
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame),
                          "history_reply", err, errlen)
            == 0
        && ps_mp_get_int(&r, "user_id", true, &out.user_id) == 0
        && ps_mp_get_int(&r, "since", false, &out.since) == 0
        && ps_mp_get_int(&r, "requests", true, &out.requests) == 0
        && ps_mp_get_int(&r, "approved", true, &out.approved) == 0
        && ps_mp_get_int(&r, "declined", true, &out.declined) == 0) {
        *history = out;
        rc = 0;
    }
    ps_mp_reader_close(&r);
    return rc;
}

zmsg_t *
ps_reserve_encode(int64_t request_id, double estimate_usd, const char *instance)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "reserve", 1);
    ps_mp_kv_int(&w, "request_id", request_id);
    ps_mp_kv_double(&w, "estimate_usd", estimate_usd);
    ps_mp_kv_str(&w, "instance", instance);
    return ps_mp_writer_msg(&w);
}

int
ps_reserve_decode(zframe_t *frame, int64_t *request_id, double *estimate_usd,
                  char **instance, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "reserve",
                          err, errlen)
            == 0
        && ps_mp_get_int(&r, "request_id", true, request_id) == 0
        && ps_mp_get_double(&r, "estimate_usd", true, estimate_usd) == 0
        && ps_mp_get_str(&r, "instance", false, instance) == 0)
        rc = 0;
    ps_mp_reader_close(&r);
    if (rc == 0 && *estimate_usd < 0) {
        snprintf(err, errlen, "field `estimate_usd`: must not be negative");
        rc = -1;
    }
    return rc;
}

zmsg_t *
ps_reserve_reply_encode(const ps_reserve_reply_t *reply)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "reserve_reply", 1);
    ps_mp_kv_bool(&w, "granted", reply->granted);
    ps_mp_kv_double(&w, "spent_usd", reply->spent_usd);
    ps_mp_kv_double(&w, "reserved_usd", reply->reserved_usd);
    ps_mp_kv_double(&w, "budget_usd", reply->budget_usd);
    return ps_mp_writer_msg(&w);
}

int
ps_reserve_reply_decode(zframe_t *frame, ps_reserve_reply_t *reply, char *err,
                        size_t errlen)
{
    ps_mp_reader_t r;
    ps_reserve_reply_t out = {0};
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame),
                          "reserve_reply", err, errlen)
            == 0
        && ps_mp_get_bool(&r, "granted", true, &out.granted) == 0
        && ps_mp_get_double(&r, "spent_usd", true, &out.spent_usd) == 0
        && ps_mp_get_double(&r, "reserved_usd", false, &out.reserved_usd) == 0
        && ps_mp_get_double(&r, "budget_usd", true, &out.budget_usd) == 0) {
        *reply = out;
        rc = 0;
    }
    ps_mp_reader_close(&r);
    return rc;
}

ps_command_t *
ps_command_new(const char *verb, int64_t request_id, const char *reason)
{
    ps_command_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->verb = strdup(verb ? verb : "");
    self->reason = reason ? strdup(reason) : NULL;
    self->request_id = request_id;
    if (!self->verb || (reason && !self->reason))
        ps_command_destroy(&self);
    return self;
}

void
ps_command_destroy(ps_command_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->verb);
    free((*self_p)->reason);
    free(*self_p);
    *self_p = NULL;
}

zmsg_t *
ps_command_encode(const ps_command_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "command", 0);
    ps_mp_kv_str(&w, "verb", self->verb);
    ps_mp_kv_int(&w, "request_id", self->request_id);
    ps_mp_kv_str(&w, "reason", self->reason);
    return ps_mp_writer_msg(&w);
}

int
ps_command_decode(zframe_t *frame, ps_command_t **out, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    ps_command_t *self = calloc(1, sizeof(*self));
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "command",
                          err, errlen)
        != 0)
        goto out;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_str(&r, "verb", true, &self->verb)
        || ps_mp_get_int(&r, "request_id", false, &self->request_id)
        || ps_mp_get_str(&r, "reason", false, &self->reason))
        goto out;
    if (strcmp(self->verb, "scan") != 0 && strcmp(self->verb, "hint") != 0
        && strcmp(self->verb, "rejudge") != 0) {
        snprintf(err, errlen,
                 "field `verb`: expected scan, hint or rejudge, got \"%.32s\"",
                 self->verb);
        goto out;
    }
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_command_destroy(&self);
    *out = self;
    return rc;
}

ps_heartbeat_t *
ps_heartbeat_new(void)
{
    return calloc(1, sizeof(ps_heartbeat_t));
}

void
ps_heartbeat_destroy(ps_heartbeat_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->service);
    free((*self_p)->instance);
    free((*self_p)->config_version);
    free((*self_p)->config_error);
    free(*self_p);
    *self_p = NULL;
}

zmsg_t *
ps_heartbeat_encode(const ps_heartbeat_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "heartbeat", 0);
    ps_mp_kv_str(&w, "service", self->service);
    ps_mp_kv_str(&w, "instance", self->instance);
    ps_mp_kv_int(&w, "pid", self->pid);
    ps_mp_kv_int(&w, "at", self->at);
    ps_mp_kv_int(&w, "started_at", self->started_at);
    ps_mp_kv_str(&w, "config_version", self->config_version);
    ps_mp_kv_str(&w, "config_error", self->config_error);
    return ps_mp_writer_msg(&w);
}

int
ps_heartbeat_decode(zframe_t *frame, ps_heartbeat_t **out, char *err,
                    size_t errlen)
{
    ps_mp_reader_t r;
    ps_heartbeat_t *self = ps_heartbeat_new();
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame),
                          "heartbeat", err, errlen)
        != 0)
        goto out;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_str(&r, "service", true, &self->service)
        || ps_mp_get_str(&r, "instance", true, &self->instance)
        || ps_mp_get_int(&r, "pid", false, &self->pid)
        || ps_mp_get_int(&r, "at", true, &self->at)
        || ps_mp_get_int(&r, "started_at", false, &self->started_at)
        || ps_mp_get_str(&r, "config_version", false, &self->config_version)
        || ps_mp_get_str(&r, "config_error", false, &self->config_error))
        goto out;
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_heartbeat_destroy(&self);
    *out = self;
    return rc;
}

ps_status_t *
ps_status_new(void)
{
    return calloc(1, sizeof(ps_status_t));
}

void
ps_status_destroy(ps_status_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->service);
    free((*self_p)->instance);
    free((*self_p)->breaker);
    free((*self_p)->detail);
    free(*self_p);
    *self_p = NULL;
}

zmsg_t *
ps_status_encode(const ps_status_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, "status", 0);
    ps_mp_kv_str(&w, "service", self->service);
    ps_mp_kv_str(&w, "instance", self->instance);
    ps_mp_kv_int(&w, "at", self->at);
    ps_mp_kv_bool(&w, "scan_running", self->scan_running);
    ps_mp_kv_int(&w, "done", self->done);
    ps_mp_kv_int(&w, "total", self->total);
    ps_mp_kv_str(&w, "breaker", self->breaker);
    ps_mp_kv_str(&w, "detail", self->detail);
    return ps_mp_writer_msg(&w);
}

int
ps_status_decode(zframe_t *frame, ps_status_t **out, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    ps_status_t *self = ps_status_new();
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), "status",
                          err, errlen)
        != 0)
        goto out;
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ps_mp_get_str(&r, "service", true, &self->service)
        || ps_mp_get_str(&r, "instance", true, &self->instance)
        || ps_mp_get_int(&r, "at", true, &self->at)
        || ps_mp_get_bool(&r, "scan_running", false, &self->scan_running)
        || ps_mp_get_int(&r, "done", false, &self->done)
        || ps_mp_get_int(&r, "total", false, &self->total)
        || ps_mp_get_str(&r, "breaker", false, &self->breaker)
        || ps_mp_get_str(&r, "detail", false, &self->detail))
        goto out;
    rc = 0;
out:
    ps_mp_reader_close(&r);
    if (rc != 0)
        ps_status_destroy(&self);
    *out = self;
    return rc;
}
