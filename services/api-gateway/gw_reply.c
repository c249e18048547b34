/*  gw_reply - see gw_reply.h. */
#include "gw_reply.h"
#include "ps_control.h"
#include "ps_log.h"
#include "ps_parse.h"
#include "ps_web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_WORKER_CACHE_KB 512 /* page cache per HTTP worker connection */

const char gw_security_headers[] =
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'\r\n";

/* ---- per-thread resources --------------------------------------------- */

static _Thread_local gw_store_t *t_store;
static _Thread_local ps_overseerr_t *t_overseerr;
static _Thread_local zsock_t *t_nudge;

void
gw_reply_thread_exit(void)
{
    gw_store_destroy(&t_store);
    ps_overseerr_destroy(&t_overseerr);
    zsock_destroy(&t_nudge);
}

gw_store_t *
gw_reply_store(gw_shared_t *shared)
{
    if (!t_store) {
        char err[512];
        t_store = gw_store_open(shared->db_path, err, sizeof(err));
        if (!t_store)
            ps_log_error("HTTP worker cannot open the database: %s", err);
        else
            gw_store_set_cache_kb(t_store, GW_WORKER_CACHE_KB);
    }
    return t_store;
}

ps_overseerr_t *
gw_reply_overseerr(gw_shared_t *shared)
{
    if (!t_overseerr) {
        pthread_rwlock_rdlock(&shared->config_lock);
        t_overseerr = ps_overseerr_new(shared->config->overseerr.url,
                                       shared->config->overseerr.api_key,
                                       shared->config->overseerr.timeout_ms);
        pthread_rwlock_unlock(&shared->config_lock);
    }
    return t_overseerr;
}

void
gw_reply_nudge(gw_shared_t *shared, zmsg_t **msg_p)
{
    if (!t_nudge)
        t_nudge = zsock_new_push(shared->nudge_endpoint);
    zmsg_t *msg = msg_p ? *msg_p : NULL;
    if (msg_p)
        *msg_p = NULL;
    if (!msg) {
        msg = zmsg_new();
        zmsg_addmem(msg, NULL, 0);
    }
    if (!t_nudge || zmsg_send(&msg, t_nudge) != 0)
        zmsg_destroy(&msg);
}

void
gw_reply_command(gw_shared_t *shared, const char *verb, int64_t request_id,
                 const char *reason)
{
    ps_command_t *command = ps_command_new(verb, request_id, reason);
    zmsg_t *msg = command ? ps_command_encode(command) : NULL;
    ps_command_destroy(&command);
    if (msg)
        gw_reply_nudge(shared, &msg);
}

/* ---- buffers ---------------------------------------------------------- */

int
gw_buf_add(gw_buf_t *buf, const char *text, size_t len)
{
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < buf->len + len + 1)
            cap *= 2;
        char *grown = realloc(buf->data, cap);
        if (!grown)
            return -1;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, text, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

void
gw_buf_free(gw_buf_t *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
}

/* ---- responses -------------------------------------------------------- */

int
gw_reply(struct mg_connection *conn, int status, const char *type,
         const char *extra_headers, const char *body, size_t len)
{
    char head[1536];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n%s%s\r\n",
                     status, mg_get_response_code_text(conn, status), type, len,
                     gw_security_headers, extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof(head))
        return 500;
    /* A HEAD gets the GET's headers, Content-Length included, and no
       body (RFC 9110 9.3.2). */
    const struct mg_request_info *info = mg_get_request_info(conn);
    if (info && info->request_method
        && strcmp(info->request_method, "HEAD") == 0)
        len = 0;
    char *out = malloc((size_t)n + len);
    if (!out)
        return 500;
    memcpy(out, head, (size_t)n);
    if (len)
        memcpy(out + n, body, len);
    mg_write(conn, out, (size_t)n + len);
    free(out);
    return status;
}

int
gw_reply_json_with(struct mg_connection *conn, int status, json_t *value,
                   const char *headers)
{
    static const char failed[] = "{\"error\":\"internal error\"}";
    if (!value)
        return gw_reply(conn, 500, "application/json", NULL, failed,
                        sizeof(failed) - 1);
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    if (!text)
        return gw_reply(conn, 500, "application/json", NULL, failed,
                        sizeof(failed) - 1);
    char all[512];
    snprintf(all, sizeof(all), "Cache-Control: no-store\r\n%s",
             headers ? headers : "");
    int rc =
        gw_reply(conn, status, "application/json", all, text, strlen(text));
    free(text);
    return rc;
}

int
gw_reply_json(struct mg_connection *conn, int status, json_t *value)
{
    return gw_reply_json_with(conn, status, value, NULL);
}

int
gw_reply_error(struct mg_connection *conn, int status, const char *message)
{
    return gw_reply_json(conn, status, json_pack("{s:s}", "error", message));
}

/* ---- requests --------------------------------------------------------- */

long
gw_read_body_max(struct mg_connection *conn, size_t max, char **out)
{
    size_t len = 0;
    switch (ps_web_read_body(conn, max, out, &len)) {
        case PS_WEB_BODY_OK:
            return (long)len;
        case PS_WEB_BODY_TOO_LARGE:
            return -1;
        case PS_WEB_BODY_FAILED:
            break;
    }
    return -2;
}

long
gw_read_body(struct mg_connection *conn, char **out)
{
    return gw_read_body_max(conn, GW_MAX_BODY, out);
}

json_t *
gw_read_json_body(struct mg_connection *conn, int *status, const char **why)
{
    char *text = NULL;
    long len = gw_read_body(conn, &text);
    json_t *body = len > 0 ? json_loadb(text, (size_t)len, 0, NULL) : NULL;
    free(text);
    if (len == -1) {
        *status = 413;
        *why = "body over 64 KiB";
    } else if (!json_is_object(body)) {
        *status = 400;
        *why = "body: expected a JSON object";
        json_decref(body);
        body = NULL;
    }
    return body;
}

bool
gw_query_value(const struct mg_request_info *info, const char *name, char *buf,
               size_t len)
{
    if (!info->query_string)
        return false;
    return mg_get_var(info->query_string, strlen(info->query_string), name, buf,
                      len)
           >= 0;
}

int
gw_path_id(const char *uri, const char *prefix, int64_t *id, char *rest,
           size_t rest_len)
{
    size_t plen = strlen(prefix);
    if (strncmp(uri, prefix, plen) != 0)
        return -1;
    const char *start = uri + plen;
    const char *slash = strchr(start, '/');
    char number[24];
    size_t n = slash ? (size_t)(slash - start) : strlen(start);
    if (n == 0 || n >= sizeof(number))
        return -1;
    memcpy(number, start, n);
    number[n] = '\0';
    if (ps_parse_int64(number, 1, INT64_MAX, id) != 0)
        return -1;
    snprintf(rest, rest_len, "%s", slash ? slash : "");
    return 0;
}
