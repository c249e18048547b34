/*  ps_overseerr - see ps_overseerr.h.                                     */
#include "ps_overseerr.h"
#include "ps_http.h"
#include "ps_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_OVERSEERR_MAX_BODY (8 * 1024 * 1024)

struct ps_overseerr {
    ps_http_t *http;  /* keep-alive connection */
    char *base;       /* base URL without trailing slash */
    char *key_header; /* "X-Api-Key: ..." */
    char error[512];  /* last failure */
};

ps_overseerr_t *
ps_overseerr_new(const char *base_url, const char *api_key, int timeout_ms)
{
    ps_overseerr_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    size_t len = strlen(base_url);
    while (len > 0 && base_url[len - 1] == '/')
        len--;
    self->base = strndup(base_url, len);
    size_t header_len = strlen(api_key) + 16;
    self->key_header = malloc(header_len);
    if (self->key_header)
        snprintf(self->key_header, header_len, "X-Api-Key: %s", api_key);
    self->http = ps_http_new(timeout_ms < 5000 ? timeout_ms : 5000, timeout_ms,
                             PS_OVERSEERR_MAX_BODY);
    if (!self->base || !self->key_header || !self->http)
        ps_overseerr_destroy(&self);
    return self;
}

void
ps_overseerr_destroy(ps_overseerr_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_http_destroy(&(*self_p)->http);
    free((*self_p)->base);
    free((*self_p)->key_header);
    free(*self_p);
    *self_p = NULL;
}

/* Pulls the human message out of either error envelope. */
static const char *
s_error_text(const json_t *body)
{
    const char *text = ps_json_str(body, "message");
    return text ? text : ps_json_str(body, "error");
}

/* Masks the API key wherever it shows up in the error text (a server may
   echo the key it refused), as the header promises. */
static void
s_scrub(ps_overseerr_t *self)
{
    const char *key = self->key_header + strlen("X-Api-Key: ");
    size_t len = strlen(key);
    if (len < 4)
        return;
    char *at;
    while ((at = strstr(self->error, key)) != NULL) {
        memmove(at + 3, at + len, strlen(at + len) + 1);
        memcpy(at, "***", 3);
    }
}

static ps_overseerr_rc_t
s_call(ps_overseerr_t *self, const char *method, const char *path, json_t **out)
{
    *out = NULL;
    char url[1024];
    int n = snprintf(url, sizeof(url), "%s/api/v1%s", self->base, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        snprintf(self->error, sizeof(self->error), "%s %s: URL too long",
                 method, path);
        return PS_OVERSEERR_ERROR;
    }
    const char *headers[] = {self->key_header, "Accept: application/json",
                             NULL};
    ps_http_response_t response;
    ps_http_rc_t rc =
        ps_http_request(self->http, method, url, headers, NULL, 0, &response);
    if (rc != PS_HTTP_OK) {
        snprintf(self->error, sizeof(self->error), "%s %s: %s", method, path,
                 ps_http_error(self->http));
        s_scrub(self);
        return rc == PS_HTTP_TOO_LARGE ? PS_OVERSEERR_BAD_RESPONSE
                                       : PS_OVERSEERR_TRANSIENT;
    }
    json_error_t json_error;
    json_t *body = json_loadb(response.body, response.body_len, 0, &json_error);
    long status = response.status;
    ps_http_response_clear(&response);
    if (status >= 200 && status < 300) {
        if (!body) {
            snprintf(self->error, sizeof(self->error),
                     "%s %s: HTTP %ld with a body that is not JSON "
                     "(line %d: %s)",
                     method, path, status, json_error.line, json_error.text);
            s_scrub(self);
            return PS_OVERSEERR_BAD_RESPONSE;
        }
        *out = body;
        return PS_OVERSEERR_OK;
    }
    const char *text = body ? s_error_text(body) : NULL;
    snprintf(self->error, sizeof(self->error), "%s %s: HTTP %ld%s%.200s",
             method, path, status, text ? " " : "", text ? text : "");
    s_scrub(self);
    json_decref(body);
    if (status == 404)
        return PS_OVERSEERR_NOT_FOUND;
    if (status == 409)
        return PS_OVERSEERR_CONFLICT;
    if (status == 401 || status == 403)
        return PS_OVERSEERR_FORBIDDEN;
    if (status >= 500 || status == 408 || status == 429)
        return PS_OVERSEERR_TRANSIENT;
    return PS_OVERSEERR_ERROR;
}

ps_overseerr_rc_t
ps_overseerr_get(ps_overseerr_t *self, const char *path, json_t **out)
{
    return s_call(self, "GET", path, out);
}

ps_overseerr_rc_t
ps_overseerr_post(ps_overseerr_t *self, const char *path, json_t **out)
{
    return s_call(self, "POST", path, out);
}

const char *
ps_overseerr_error(const ps_overseerr_t *self)
{
    return self->error;
}

const char *
ps_overseerr_strerror(ps_overseerr_rc_t rc)
{
    static const char *names[] = {"ok",        "not found", "conflict",
                                  "forbidden", "transient", "bad response",
                                  "error"};
    return (unsigned)rc < 7 ? names[rc] : "unknown";
}

int
ps_json_int(const json_t *object, const char *key, int64_t *out)
{
    const json_t *value = json_object_get(object, key);
    if (json_is_integer(value)) {
        *out = json_integer_value(value);
        return 0;
    }
    if (json_is_string(value))
        return ps_parse_int64(json_string_value(value), INT64_MIN, INT64_MAX,
                              out);
    return -1;
}

const char *
ps_json_str(const json_t *object, const char *key)
{
    const json_t *value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : NULL;
}
