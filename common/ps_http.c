/*  ps_http - see ps_http.h.                                               */
#include "ps_http.h"

#include <ctype.h>
#include <czmq.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_HTTP_MAX_HEADERS 16384

struct ps_http {
    CURL *curl;              /* the easy handle, reused for keep-alive */
    long connect_timeout_ms; /* per call */
    long total_timeout_ms;   /* per call */
    size_t max_body;         /* cap on the response body */
    char error[CURL_ERROR_SIZE + 64]; /* last failure */
};

typedef struct {
    char *data;   /* growing buffer */
    size_t len;   /* bytes used */
    size_t cap;   /* bytes allocated */
    size_t max;   /* hard limit */
    int overflow; /* set when max was passed */
} s_buf_t;

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

static void
s_curl_global(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int
s_buf_append(s_buf_t *buf, const char *data, size_t len)
{
    if (buf->len + len > buf->max) {
        buf->overflow = 1;
        return -1;
    }
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 1024;
        while (cap < buf->len + len + 1)
            cap *= 2;
        char *grown = realloc(buf->data, cap);
        if (!grown)
            return -1;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

static size_t
s_on_body(char *data, size_t size, size_t count, void *userdata)
{
    return s_buf_append(userdata, data, size * count) == 0 ? size * count : 0;
}

static size_t
s_on_header(char *data, size_t size, size_t count, void *userdata)
{
    size_t len = size * count;
    s_buf_t *buf = userdata;
    /* A new status line (redirect, 100-continue) starts a new header set. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        buf->len = 0;
        return len;
    }
    char line[1024];
    size_t n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
    memcpy(line, data, n);
    line[n] = '\0';
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    for (char *p = line; p < colon; p++)
        *p = (char)tolower((unsigned char)*p);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = '\0';
    /* Header overflow only drops headers: the body still matters. */
    if (s_buf_append(buf, line, n) == 0)
        s_buf_append(buf, "\n", 1);
    return len;
}

/* libcurl calls this about once a second even while waiting, so a
   SIGINT/SIGTERM (czmq sets zsys_interrupted) ends a slow call promptly
   instead of after the whole total timeout. */
static int
s_on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
              curl_off_t ultotal, curl_off_t ulnow)
{
    (void)userdata;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return zsys_interrupted ? 1 : 0;
}

ps_http_t *
ps_http_new(long connect_timeout_ms, long total_timeout_ms, size_t max_body)
{
    pthread_once(&s_curl_once, s_curl_global);
    ps_http_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->curl = curl_easy_init();
    if (!self->curl) {
        ps_http_destroy(&self);
        return NULL;
    }
    self->connect_timeout_ms = connect_timeout_ms;
    self->total_timeout_ms = total_timeout_ms;
    self->max_body = max_body;
    return self;
}

void
ps_http_destroy(ps_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_http_t *self = *self_p;
    if (self->curl)
        curl_easy_cleanup(self->curl);
    free(self);
    *self_p = NULL;
}

void
ps_http_set_timeout(ps_http_t *self, long total_timeout_ms)
{
    self->total_timeout_ms = total_timeout_ms;
}

void
ps_http_response_clear(ps_http_response_t *response)
{
    free(response->body);
    free(response->headers);
    memset(response, 0, sizeof(*response));
}

int
ps_http_response_header(const ps_http_response_t *response, const char *name,
                        char *buf, size_t len)
{
    size_t name_len = strlen(name);
    for (const char *line = response->headers; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t line_len = end ? (size_t)(end - line) : strlen(line);
        if (line_len > name_len && strncmp(line, name, name_len) == 0
            && line[name_len] == ':') {
            const char *value = line + name_len + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            size_t value_len = line_len - (size_t)(value - line);
            if (value_len >= len)
                value_len = len - 1;
            memcpy(buf, value, value_len);
            buf[value_len] = '\0';
            return 0;
        }
        line = end ? end + 1 : line + line_len;
    }
    return -1;
}

#define S_SETOPT(option, value)                                                \
    do {                                                                       \
        if (curl_easy_setopt(curl, option, value) != CURLE_OK)                 \
            goto out_setopt;                                                   \
    } while (0)

ps_http_rc_t
ps_http_request(ps_http_t *self, const char *method, const char *url,
                const char *const *headers, const char *body, size_t body_len,
                ps_http_response_t *response)
{
    ps_http_rc_t rc = PS_HTTP_TRANSPORT;
    CURL *curl = self->curl;
    struct curl_slist *list = NULL;
    s_buf_t body_buf = {NULL, 0, 0, self->max_body, 0};
    s_buf_t header_buf = {NULL, 0, 0, PS_HTTP_MAX_HEADERS, 0};
    memset(response, 0, sizeof(*response));
    self->error[0] = '\0';

    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *grown = curl_slist_append(list, headers[i]);
        if (!grown) {
            rc = PS_HTTP_NOMEM;
            goto out;
        }
        list = grown;
    }
    curl_easy_reset(curl);
    S_SETOPT(CURLOPT_URL, url);
    S_SETOPT(CURLOPT_CUSTOMREQUEST, method);
    S_SETOPT(CURLOPT_NOSIGNAL, 1L);
    S_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, self->connect_timeout_ms);
    S_SETOPT(CURLOPT_TIMEOUT_MS, self->total_timeout_ms);
    S_SETOPT(CURLOPT_HTTPHEADER, list);
    S_SETOPT(CURLOPT_WRITEFUNCTION, s_on_body);
    S_SETOPT(CURLOPT_WRITEDATA, &body_buf);
    S_SETOPT(CURLOPT_HEADERFUNCTION, s_on_header);
    S_SETOPT(CURLOPT_HEADERDATA, &header_buf);
    S_SETOPT(CURLOPT_ERRORBUFFER, self->error);
    S_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    S_SETOPT(CURLOPT_XFERINFOFUNCTION, s_on_progress);
    S_SETOPT(CURLOPT_NOPROGRESS, 0L);
    if (body) {
        S_SETOPT(CURLOPT_POSTFIELDS, body);
        S_SETOPT(CURLOPT_POSTFIELDSIZE, (long)body_len);
    } else if (strcmp(method, "POST") == 0)
        S_SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
    else if (strcmp(method, "GET") == 0)
        S_SETOPT(CURLOPT_HTTPGET, 1L);

    CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        if (body_buf.overflow) {
            rc = PS_HTTP_TOO_LARGE;
            snprintf(self->error, sizeof(self->error),
                     "response body over %zu bytes", self->max_body);
        } else if (code == CURLE_ABORTED_BY_CALLBACK) {
            snprintf(self->error, sizeof(self->error),
                     "interrupted by a stop signal");
        } else if (code == CURLE_OPERATION_TIMEDOUT) {
            rc = PS_HTTP_TIMEOUT;
            snprintf(self->error, sizeof(self->error), "timeout after %ld ms",
                     self->total_timeout_ms);
        } else {
            rc = (code == CURLE_COULDNT_CONNECT
                  || code == CURLE_COULDNT_RESOLVE_HOST)
                     ? PS_HTTP_CONNECT
                     : PS_HTTP_TRANSPORT;
            if (!self->error[0])
                snprintf(self->error, sizeof(self->error), "%s",
                         curl_easy_strerror(code));
        }
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &response->seconds);
    if (!body_buf.data && s_buf_append(&body_buf, "", 0) != 0) {
        rc = PS_HTTP_NOMEM;
        goto out;
    }
    response->body = body_buf.data;
    response->body_len = body_buf.len;
    response->headers = header_buf.data;
    body_buf.data = NULL;
    header_buf.data = NULL;
    rc = PS_HTTP_OK;
    goto out;
out_setopt:
    snprintf(self->error, sizeof(self->error), "curl refused an option");
out:
    curl_slist_free_all(list);
    free(body_buf.data);
    free(header_buf.data);
    /* The slist dies here, so the handle must not keep pointing at it. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    return rc;
}

const char *
ps_http_error(const ps_http_t *self)
{
    return self->error;
}

const char *
ps_http_strerror(ps_http_rc_t rc)
{
    switch (rc) {
        case PS_HTTP_OK:
            return "ok";
        case PS_HTTP_TIMEOUT:
            return "timeout";
        case PS_HTTP_CONNECT:
            return "connection refused";
        case PS_HTTP_TOO_LARGE:
            return "response too large";
        case PS_HTTP_TRANSPORT:
            return "transport error";
        case PS_HTTP_NOMEM:
            return "out of memory";
    }
    return "unknown";
}
