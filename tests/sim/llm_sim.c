/*  llmsim_server - see llm_sim.h. civetweb workers run s_on_request; the
    only shared state here is the stop flag, guarded by `lock`.           */
#include "llm_sim.h"

#include "ps_log.h"
#include "ps_web.h"

#include <civetweb.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_BODY (4 * 1024 * 1024)
#define S_HANG_MS 120000

struct llmsim_server {
    llmsim_t *sim;            /* logic and statistics */
    struct mg_context *ctx;   /* civetweb listener */
    int port;                 /* bound port */
    pthread_mutex_t lock;     /* guards stopping */
    pthread_cond_t stop_cond; /* broadcast when stopping is set */
    bool stopping;            /* shutdown in progress */
};

/* Sleeps ms milliseconds or until shutdown. Returns false when stopping. */
static bool
s_sleep(llmsim_server_t *self, int ms)
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

/* Writes the whole response in one mg_write (TOOLCHAIN.md pitfall 2).
   `headers` holds extra "Name: value\r\n" lines. Returns status. */
static int
s_send(struct mg_connection *conn, int status, const char *headers,
       const char *body)
{
    size_t len = strlen(body);
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     status, mg_get_response_code_text(conn, status), len,
                     headers ? headers : "");
    if (n < 0 || (size_t)n >= sizeof(head))
        return 500;
    char *out = malloc((size_t)n + len);
    if (!out)
        return 500;
    memcpy(out, head, (size_t)n);
    memcpy(out + n, body, len);
    mg_write(conn, out, (size_t)n + len);
    free(out);
    return status;
}

static int
s_send_json(struct mg_connection *conn, int status, json_t *doc)
{
    char *text =
        doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(doc);
    if (!text)
        return s_send(conn, 500, NULL, "{\"error\":\"out of memory\"}");
    int rc = s_send(conn, status, NULL, text);
    free(text);
    return rc;
}

static int
s_chat(llmsim_server_t *self, struct mg_connection *conn)
{
    char *body = NULL;
    size_t len = 0;
    if (ps_web_read_body(conn, S_MAX_BODY, &body, &len) != PS_WEB_BODY_OK)
        return s_send(conn, 413, NULL,
                      "{\"error\":{\"message\":\"Request too large.\","
                      "\"type\":\"invalid_request_error\",\"param\":null,"
                      "\"code\":null}}");
    llmsim_reply_t reply;
    llmsim_chat(self->sim, mg_get_header(conn, "Authorization"), body, len,
                &reply);
    free(body);
    bool running = true;
    if (reply.latency_ms > 0)
        running = s_sleep(self, reply.latency_ms);
    if (running && reply.hang)
        running = s_sleep(self, S_HANG_MS);
    int sent = 0;
    if (running)
        sent = s_send(conn, reply.status, reply.headers,
                      reply.body ? reply.body : "{}");
    ps_log_debug("chat status=%d sent=%d", reply.status, sent);
    llmsim_end(self->sim, &reply, sent);
    llmsim_reply_clear(&reply);
    /* A call cut by shutdown sends nothing; civetweb closes it. */
    return running ? sent : 503;
}

static int
s_on_request(struct mg_connection *conn, void *cbdata)
{
    llmsim_server_t *self = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *uri = ri->local_uri ? ri->local_uri : "/";
    bool post = strcmp(ri->request_method, "POST") == 0;
    bool get = strcmp(ri->request_method, "GET") == 0;
    if (post && strcmp(uri, "/v1/chat/completions") == 0)
        return s_chat(self, conn);
    if (get && strcmp(uri, "/sim/stats") == 0)
        return s_send_json(conn, 200, llmsim_stats_json(self->sim));
    if (get && strcmp(uri, "/sim/config") == 0)
        return s_send_json(conn, 200, llmsim_config_json(self->sim));
    if (post && strcmp(uri, "/sim/config") == 0) {
        char *body = NULL;
        size_t len = 0;
        char err[256] = "";
        if (ps_web_read_body(conn, S_MAX_BODY, &body, &len) != PS_WEB_BODY_OK)
            return s_send_json(conn, 413,
                               json_pack("{s:s}", "error", "too large"));
        int rc = llmsim_configure(self->sim, body, len, err, sizeof(err));
        free(body);
        if (rc != 0)
            return s_send_json(conn, 400, json_pack("{s:s}", "error", err));
        return s_send_json(conn, 200, llmsim_config_json(self->sim));
    }
    if (post && strcmp(uri, "/sim/reset") == 0) {
        llmsim_reset(self->sim);
        return s_send_json(conn, 200, llmsim_config_json(self->sim));
    }
    if (get && strcmp(uri, "/health") == 0)
        return s_send(conn, 200, NULL, "{\"status\":\"ok\"}");
    return s_send_json(conn, 404,
                       json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message",
                                 "Unknown request URL.", "type",
                                 "invalid_request_error", "param", "code"));
}

static int
s_on_log(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    ps_log_warn("civetweb: %s", message);
    return 1;
}

llmsim_server_t *
llmsim_server_new(const char *listen, int threads,
                  const llmsim_config_t *config, uint64_t seed, char *err,
                  size_t errlen)
{
    llmsim_server_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->stop_cond, NULL);
    self->sim = llmsim_new(config, seed);
    if (!self->sim) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    char thread_text[16];
    snprintf(thread_text, sizeof(thread_text), "%d",
             threads > 0 ? threads : 64);
    const char *options[] = {"listening_ports",
                             listen,
                             "num_threads",
                             thread_text,
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
        snprintf(err, errlen, "cannot listen on %s: %s", listen,
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
    return self;
fail:
    llmsim_server_destroy(&self);
    return NULL;
}

int
llmsim_server_port(const llmsim_server_t *self)
{
    return self->port;
}

void
llmsim_server_destroy(llmsim_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    llmsim_server_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->stop_cond);
    pthread_mutex_unlock(&self->lock);
    if (self->ctx)
        mg_stop(self->ctx);
    llmsim_destroy(&self->sim);
    pthread_cond_destroy(&self->stop_cond);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
