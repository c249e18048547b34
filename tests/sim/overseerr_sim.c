/*  oversim_server - see overseerr_sim.h.

    Threads: civetweb's workers run s_on_request; the sender thread drains
    the webhook queue with its own ps_http client; the optional ticker adds
    a request every new_every_s seconds. `lock` guards the knobs, the queue
    and the counters; `stop_cond` wakes sleepers (latency, ticker) at
    shutdown and `hook_cond` wakes the sender.                             */
#include "overseerr_sim.h"

#include "overseerr_sim_store.h"
#include "ps_http.h"
#include "ps_log.h"
#include "ps_web.h"
#include "ps_time.h"

#include <civetweb.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_BODY (1024 * 1024)
#define S_MAX_QUEUE 10000

typedef struct s_hook {
    struct s_hook *next; /* next queued payload */
    char *body;          /* JSON text, owned */
} s_hook_t;

struct oversim_server {
    oversim_config_t config;  /* copy of the caller's configuration */
    oversim_store_t *store;   /* data, has its own lock */
    struct mg_context *ctx;   /* civetweb listener */
    int port;                 /* bound port */
    pthread_mutex_t lock;     /* guards every field below */
    pthread_cond_t stop_cond; /* signalled when stopping is set */
    pthread_cond_t hook_cond; /* signalled when a webhook is queued */
    bool stopping;            /* shutdown in progress */
    int fail_status;          /* status injected by /sim/fail */
    int fail_count;           /* API calls still to fail */
    int latency_ms;           /* delay added to every API call */
    s_hook_t *head;           /* webhook queue, oldest first */
    s_hook_t *tail;           /* last queued webhook */
    size_t queued;            /* entries in the queue */
    long sent;                /* webhooks answered 2xx */
    long failed;              /* webhooks that failed (no retry) */
    long dropped;             /* webhooks dropped (queue full, shutdown) */
    long posters_served;      /* poster images answered 200 */
    pthread_t sender;         /* webhook sender thread */
    bool sender_started;      /* sender must be joined */
    pthread_t ticker;         /* periodic new-request thread */
    bool ticker_started;      /* ticker must be joined */
};

void
oversim_config_defaults(oversim_config_t *config)
{
    memset(config, 0, sizeof(*config));
    snprintf(config->listen, sizeof(config->listen), "127.0.0.1:5055");
    config->requests = 40;
    config->seed = 1;
    config->threads = 32;
}

/* ------------------------------------------------------------------ */
/* Webhooks                                                            */

/* Queues every payload of `hooks` (a JSON array). */
static void
s_enqueue(oversim_server_t *self, json_t *hooks)
{
    if (!hooks || !json_array_size(hooks) || !self->config.webhook_url[0])
        return;
    size_t i;
    json_t *item;
    pthread_mutex_lock(&self->lock);
    json_array_foreach(hooks, i, item)
    {
        char *body = json_dumps(item, JSON_COMPACT);
        s_hook_t *hook = body ? calloc(1, sizeof(*hook)) : NULL;
        if (!hook || self->queued >= S_MAX_QUEUE || self->stopping) {
            if (self->dropped++ == 0)
                ps_log_warn("webhook dropped queued=%zu (queue full, "
                            "shutting down or out of memory)",
                            self->queued);
            free(body);
            free(hook);
            continue;
        }
        hook->body = body;
        if (self->tail)
            self->tail->next = hook;
        else
            self->head = hook;
        self->tail = hook;
        self->queued++;
    }
    pthread_cond_signal(&self->hook_cond);
    pthread_mutex_unlock(&self->lock);
}

static void *
s_sender(void *arg)
{
    oversim_server_t *self = arg;
    ps_http_t *http = ps_http_new(3000, 10000, 65536);
    char auth[600];
    const char *headers[3] = {"Content-Type: application/json", NULL, NULL};
    if (self->config.webhook_auth[0]
        && snprintf(auth, sizeof(auth), "Authorization: %s",
                    self->config.webhook_auth)
               < (int)sizeof(auth))
        headers[1] = auth;
    for (;;) {
        pthread_mutex_lock(&self->lock);
        while (!self->head && !self->stopping)
            pthread_cond_wait(&self->hook_cond, &self->lock);
        if (self->stopping) {
            pthread_mutex_unlock(&self->lock);
            break;
        }
        s_hook_t *hook = self->head;
        self->head = hook->next;
        if (!self->head)
            self->tail = NULL;
        self->queued--;
        pthread_mutex_unlock(&self->lock);

        ps_http_response_t response;
        memset(&response, 0, sizeof(response));
        ps_http_rc_t rc = http ? ps_http_request(
                              http, "POST", self->config.webhook_url, headers,
                              hook->body, strlen(hook->body), &response)
                               : PS_HTTP_NOMEM;
        bool ok =
            rc == PS_HTTP_OK && response.status >= 200 && response.status < 300;
        if (!ok)
            ps_log_warn("webhook failed, not retried status=%ld err=\"%s\"",
                        response.status,
                        rc == PS_HTTP_OK ? "non-2xx answer"
                        : http           ? ps_http_error(http)
                                         : "no http client");
        else
            ps_log_debug("webhook sent status=%ld", response.status);
        ps_http_response_clear(&response);
        pthread_mutex_lock(&self->lock);
        if (ok)
            self->sent++;
        else
            self->failed++;
        pthread_mutex_unlock(&self->lock);
        free(hook->body);
        free(hook);
    }
    ps_http_destroy(&http);
    return NULL;
}

/* Sleeps ms milliseconds or until shutdown. Returns false when stopping. */
static bool
s_sleep(oversim_server_t *self, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&self->lock);
    int rc = 0;
    while (!self->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&self->stop_cond, &self->lock, &until);
    bool running = !self->stopping;
    pthread_mutex_unlock(&self->lock);
    return running;
}

static void *
s_ticker(void *arg)
{
    oversim_server_t *self = arg;
    while (s_sleep(self, self->config.new_every_s * 1000)) {
        json_t *hooks = json_array();
        json_t *ids = json_array();
        if (oversim_store_add_random(self->store, 1, ps_time_now_ms(), ids,
                                     hooks)
            == 0)
            ps_log_info("new pending request id=%lld",
                        (long long)json_integer_value(json_array_get(ids, 0)));
        s_enqueue(self, hooks);
        json_decref(hooks);
        json_decref(ids);
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */

/* Writes status, headers and the JSON body in one mg_write (TOOLCHAIN.md
   pitfall 2). Takes ownership of body. Returns status. */
static int
s_send(struct mg_connection *conn, int status, json_t *body)
{
    char *text =
        body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(body);
    if (!text) {
        status = 500;
        text = strdup("{\"message\":\"Internal server error.\"}");
        if (!text)
            return 500;
    }
    size_t len = strlen(text);
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/json; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "X-Powered-By: Express\r\n\r\n",
                     status, mg_get_response_code_text(conn, status), len);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        free(text);
        return 500;
    }
    char *out = malloc((size_t)n + len);
    if (out) {
        memcpy(out, head, (size_t)n);
        memcpy(out + n, text, len);
        mg_write(conn, out, (size_t)n + len);
        free(out);
    }
    free(text);
    return status;
}

static bool
s_key_ok(const oversim_server_t *self, const char *given)
{
    const char *key = self->config.api_key;
    if (!key[0])
        return true;
    if (!given)
        return false;
    size_t a = strlen(key);
    size_t b = strlen(given);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned)(key[i] ^ given[i]);
    return diff == 0;
}

static int
s_api(oversim_server_t *self, struct mg_connection *conn, const char *path)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    pthread_mutex_lock(&self->lock);
    int latency = self->latency_ms;
    int fail = 0;
    if (self->fail_count > 0) {
        self->fail_count--;
        fail = self->fail_status;
    }
    pthread_mutex_unlock(&self->lock);
    if (latency > 0 && !s_sleep(self, latency))
        return s_send(conn, 503,
                      json_pack("{s:s}", "message", "Shutting down."));
    if (fail)
        return s_send(conn, fail,
                      json_pack("{s:s}", "message", "Simulated failure."));
    bool public_route =
        strcmp(path, "/status") == 0 || strcmp(path, "/status/appdata") == 0;
    if (!public_route && !s_key_ok(self, mg_get_header(conn, "X-Api-Key")))
        return s_send(conn, 403,
                      json_pack("{s:i, s:s}", "status", 403, "error",
                                "You do not have permission to access "
                                "this endpoint"));
    json_t *hooks = json_array();
    json_t *response = NULL;
    int status =
        oversim_store_api(self->store, ri->request_method, path,
                          ri->query_string, ps_time_now_ms(), &response, hooks);
    s_enqueue(self, hooks);
    json_decref(hooks);
    ps_log_debug("api %s %s status=%d", ri->request_method, path, status);
    return s_send(conn, status, response);
}

static int
s_sim(oversim_server_t *self, struct mg_connection *conn, const char *path)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    char *body = NULL;
    size_t len = 0;
    if (ps_web_read_body(conn, S_MAX_BODY, &body, &len) != PS_WEB_BODY_OK)
        return s_send(conn, 413,
                      json_pack("{s:s}", "message", "Body too large."));
    bool post = strcmp(ri->request_method, "POST") == 0;
    int status = 0;
    json_t *response = NULL;
    if (post && (strcmp(path, "/fail") == 0 || strcmp(path, "/latency") == 0)) {
        json_error_t error;
        json_t *doc = json_loadb(body, len, 0, &error);
        json_t *value = json_object_get(doc, path[1] == 'f' ? "status" : "ms");
        json_t *count = json_object_get(doc, "count");
        json_int_t v = json_is_integer(value) ? json_integer_value(value) : -1;
        json_int_t c = json_is_integer(count) ? json_integer_value(count) : 1;
        bool fail = path[1] == 'f';
        if ((fail && (v < 100 || v > 599 || c < 0 || c > 1000000))
            || (!fail && (v < 0 || v > 600000))) {
            status = 400;
            response = json_pack("{s:s}", "message",
                                 fail ? "Expected {\"status\":100..599,"
                                        "\"count\":N}"
                                      : "Expected {\"ms\":0..600000}");
        } else {
            pthread_mutex_lock(&self->lock);
            if (fail) {
                self->fail_status = (int)v;
                self->fail_count = (int)c;
            } else {
                self->latency_ms = (int)v;
            }
            response = json_pack(
                "{s:i, s:i, s:i}", "fail_status", self->fail_status,
                "fail_count", self->fail_count, "latency_ms", self->latency_ms);
            pthread_mutex_unlock(&self->lock);
            status = 200;
        }
        json_decref(doc);
    } else if (strcmp(path, "/webhooks") == 0) {
        pthread_mutex_lock(&self->lock);
        response = json_pack(
            "{s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t)self->sent,
            "failed", (json_int_t)self->failed, "dropped",
            (json_int_t)self->dropped, "queued", (json_int_t)self->queued,
            "posters_served", (json_int_t)self->posters_served);
        pthread_mutex_unlock(&self->lock);
        status = 200;
    } else {
        json_t *hooks = json_array();
        status =
            oversim_store_control(self->store, ri->request_method, path, body,
                                  len, ps_time_now_ms(), &response, hooks);
        s_enqueue(self, hooks);
        json_decref(hooks);
    }
    free(body);
    return s_send(conn, status, response);
}

/* A 20x30 JPEG, the poster of every title: enough for a browser to draw
   and for the gateway's poster cache to keep. */
static const unsigned char s_poster_jpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01,
    0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43,
    0x00, 0x10, 0x0b, 0x0c, 0x0e, 0x0c, 0x0a, 0x10, 0x0e, 0x0d, 0x0e, 0x12,
    0x11, 0x10, 0x13, 0x18, 0x28, 0x1a, 0x18, 0x16, 0x16, 0x18, 0x31, 0x23,
    0x25, 0x1d, 0x28, 0x3a, 0x33, 0x3d, 0x3c, 0x39, 0x33, 0x38, 0x37, 0x40,
    0x48, 0x5c, 0x4e, 0x40, 0x44, 0x57, 0x45, 0x37, 0x38, 0x50, 0x6d, 0x51,
    0x57, 0x5f, 0x62, 0x67, 0x68, 0x67, 0x3e, 0x4d, 0x71, 0x79, 0x70, 0x64,
    0x78, 0x5c, 0x65, 0x67, 0x63, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x11, 0x12,
    0x12, 0x18, 0x15, 0x18, 0x2f, 0x1a, 0x1a, 0x2f, 0x63, 0x42, 0x38, 0x42,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63, 0x63,
    0x63, 0x63, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x1e, 0x00, 0x14, 0x03,
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xc4, 0x00,
    0x18, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x06, 0x03, 0x04, 0xff,
    0xc4, 0x00, 0x24, 0x10, 0x01, 0x00, 0x00, 0x03, 0x06, 0x07, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x12,
    0x02, 0x03, 0x05, 0x43, 0x82, 0xc1, 0x13, 0x15, 0x21, 0x31, 0x53, 0xa2,
    0xd1, 0xff, 0xc4, 0x00, 0x15, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x05,
    0xff, 0xc4, 0x00, 0x1c, 0x11, 0x00, 0x02, 0x03, 0x00, 0x03, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00,
    0x03, 0x04, 0x11, 0x12, 0x13, 0xa1, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01,
    0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x8d, 0x73, 0x2f, 0x7b,
    0x31, 0x57, 0x0a, 0xc5, 0x54, 0xf7, 0xeb, 0x08, 0x3a, 0xf2, 0xe9, 0xaf,
    0x17, 0xb4, 0x3e, 0xbd, 0x58, 0x2e, 0x76, 0x9d, 0xd5, 0x04, 0xbf, 0x5b,
    0xd7, 0x61, 0x50, 0x04, 0x55, 0x39, 0x52, 0xc4, 0x0c, 0x49, 0x99, 0x70,
    0x14, 0xa4, 0xf9, 0x53, 0x05, 0xce, 0xd3, 0xba, 0xa3, 0x2e, 0x03, 0x76,
    0x3f, 0x47, 0x2f, 0xdb, 0xe4, 0x6d, 0x5a, 0xfc, 0xd0, 0x2f, 0x10, 0x01,
    0xd0, 0x53, 0xff, 0xd9,
};

/* GET /t/p/<size>/<file>, as image.tmdb.org: the poster of a title the
   store holds, 404 for any other file. */
static int
s_poster(oversim_server_t *self, struct mg_connection *conn, const char *path)
{
    const char *size_end = strchr(path, '/');
    if (!size_end || !oversim_store_has_poster(self->store, size_end))
        return s_send(conn, 404, json_pack("{s:s}", "message", "not found"));
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     sizeof(s_poster_jpeg));
    if (n < 0 || (size_t)n >= sizeof(head))
        return 500;
    char *out = malloc((size_t)n + sizeof(s_poster_jpeg));
    if (!out)
        return 500;
    memcpy(out, head, (size_t)n);
    memcpy(out + n, s_poster_jpeg, sizeof(s_poster_jpeg));
    mg_write(conn, out, (size_t)n + sizeof(s_poster_jpeg));
    free(out);
    pthread_mutex_lock(&self->lock);
    self->posters_served++;
    pthread_mutex_unlock(&self->lock);
    return 200;
}

static int
s_on_request(struct mg_connection *conn, void *cbdata)
{
    oversim_server_t *self = cbdata;
    const char *uri = mg_get_request_info(conn)->local_uri;
    if (!uri)
        uri = "/";
    if (strncmp(uri, "/api/v1/", 8) == 0)
        return s_api(self, conn, uri + 7);
    if (strncmp(uri, "/sim/", 5) == 0)
        return s_sim(self, conn, uri + 4);
    if (strncmp(uri, "/t/p/", 5) == 0)
        return s_poster(self, conn, uri + 5);
    return s_send(conn, 404, json_pack("{s:s}", "message", "not found"));
}

/* civetweb logs through this callback; route it to ps_log. */
static int
s_on_log(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    ps_log_warn("civetweb: %s", message);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */

oversim_server_t *
oversim_server_new(const oversim_config_t *config, char *err, size_t errlen)
{
    oversim_server_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->config = *config;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->stop_cond, NULL);
    pthread_cond_init(&self->hook_cond, NULL);
    self->store =
        oversim_store_new(config->seed, config->requests, ps_time_now_ms());
    if (!self->store) {
        snprintf(err, errlen, "cannot generate %d requests: out of memory",
                 config->requests);
        goto fail;
    }
    oversim_store_set_seerr(self->store, config->seerr);
    if (config->webhook_url[0]) {
        if (pthread_create(&self->sender, NULL, s_sender, self) != 0) {
            snprintf(err, errlen, "cannot start the webhook thread");
            goto fail;
        }
        self->sender_started = true;
    }
    char threads[16];
    snprintf(threads, sizeof(threads), "%d",
             config->threads > 0 ? config->threads : 32);
    const char *options[] = {"listening_ports",
                             config->listen,
                             "num_threads",
                             threads,
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "5000",
                             "tcp_nodelay",
                             "1",
                             "request_timeout_ms",
                             "30000",
                             NULL};
    struct mg_callbacks callbacks;
    memset(&callbacks, 0, sizeof(callbacks));
    callbacks.log_message = s_on_log;
    char text[256] = "";
    struct mg_error_data error;
    memset(&error, 0, sizeof(error));
    error.text = text;
    error.text_buffer_size = sizeof(text);
    struct mg_init_data init;
    memset(&init, 0, sizeof(init));
    init.callbacks = &callbacks;
    init.user_data = self;
    init.configuration_options = options;
    self->ctx = mg_start2(&init, &error);
    if (!self->ctx) {
        snprintf(err, errlen, "cannot listen on %s: %s", config->listen,
                 text[0] ? text : "unknown civetweb error");
        goto fail;
    }
    mg_set_request_handler(self->ctx, "/", s_on_request, self);
    struct mg_server_port ports[4];
    if (mg_get_server_ports(self->ctx, 4, ports) < 1) {
        snprintf(err, errlen, "cannot read the bound port");
        goto fail;
    }
    self->port = ports[0].port;
    if (config->new_every_s > 0) {
        if (pthread_create(&self->ticker, NULL, s_ticker, self) != 0) {
            snprintf(err, errlen, "cannot start the ticker thread");
            goto fail;
        }
        self->ticker_started = true;
    }
    return self;
fail:
    oversim_server_destroy(&self);
    return NULL;
}

int
oversim_server_port(const oversim_server_t *self)
{
    return self->port;
}

void
oversim_server_destroy(oversim_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oversim_server_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->stop_cond);
    pthread_cond_broadcast(&self->hook_cond);
    pthread_mutex_unlock(&self->lock);
    if (self->ticker_started)
        pthread_join(self->ticker, NULL);
    if (self->ctx)
        mg_stop(self->ctx);
    if (self->sender_started)
        pthread_join(self->sender, NULL);
    size_t dropped = 0;
    while (self->head) {
        s_hook_t *hook = self->head;
        self->head = hook->next;
        free(hook->body);
        free(hook);
        dropped++;
    }
    if (dropped)
        ps_log_warn("shutdown dropped queued webhooks count=%zu", dropped);
    oversim_store_destroy(&self->store);
    pthread_cond_destroy(&self->hook_cond);
    pthread_cond_destroy(&self->stop_cond);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
