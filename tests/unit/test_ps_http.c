/*  test_ps_http - the libcurl client against a civetweb server started
    in the test on 127.0.0.1 with a port the kernel picks.                */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_http.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BIG_BODY (64 * 1024)

typedef struct {
    struct mg_context *ctx; /* the server */
    int port;               /* where it listens */
    char base[64];          /* "http://127.0.0.1:<port>" */
} s_server_t;

/* Writes a whole response in one call (TOOLCHAIN.md pitfall 2). */
static void
s_reply(struct mg_connection *conn, int status, const char *extra_headers,
        const char *body, size_t body_len)
{
    size_t cap = body_len + 512;
    char *out = malloc(cap);
    if (!out)
        return;
    int head = snprintf(out, cap,
                        "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                        "Content-Type: text/plain\r\n%sConnection: close"
                        "\r\n\r\n",
                        status, body_len, extra_headers ? extra_headers : "");
    memcpy(out + head, body, body_len);
    mg_write(conn, out, (size_t)head + body_len);
    free(out);
}

static int
s_handler(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    const struct mg_request_info *info = mg_get_request_info(conn);
    const char *uri = info->local_uri;
    if (strcmp(uri, "/ok") == 0)
        s_reply(conn, 200, "X-Test-Header: hello there\r\n", "hello", 5);
    else if (strcmp(uri, "/fail") == 0)
        s_reply(conn, 500, NULL, "boom", 4);
    else if (strcmp(uri, "/empty") == 0)
        s_reply(conn, 200, NULL, "", 0);
    else if (strcmp(uri, "/big") == 0) {
        char *body = malloc(S_BIG_BODY);
        if (body) {
            memset(body, 'x', S_BIG_BODY);
            s_reply(conn, 200, NULL, body, S_BIG_BODY);
            free(body);
        }
    } else if (strcmp(uri, "/slow") == 0) {
        usleep(1500 * 1000);
        s_reply(conn, 200, NULL, "late", 4);
    } else if (strcmp(uri, "/echo") == 0) {
        char body[1024];
        int n = snprintf(body, sizeof(body), "%s ", info->request_method);
        int got = mg_read(conn, body + n, sizeof(body) - (size_t)n - 1);
        if (got > 0)
            n += got;
        const char *in = mg_get_header(conn, "X-In");
        char headers[256];
        snprintf(headers, sizeof(headers), "X-Echo: %s\r\n", in ? in : "-");
        s_reply(conn, 201, headers, body, (size_t)n);
    } else
        s_reply(conn, 404, NULL, "nope", 4);
    return 1;
}

static int
s_setup(void **state)
{
    s_server_t *server = calloc(1, sizeof(*server));
    if (!server)
        return -1;
    const char *options[] = {"listening_ports", "127.0.0.1:0", "num_threads",
                             "4", NULL};
    mg_init_library(0);
    server->ctx = mg_start(NULL, NULL, options);
    if (!server->ctx)
        return -1;
    mg_set_request_handler(server->ctx, "/", s_handler, NULL);
    struct mg_server_port ports[4];
    memset(ports, 0, sizeof(ports));
    if (mg_get_server_ports(server->ctx, 4, ports) < 1 || ports[0].port <= 0)
        return -1;
    server->port = ports[0].port;
    snprintf(server->base, sizeof(server->base), "http://127.0.0.1:%d",
             server->port);
    *state = server;
    return 0;
}

static int
s_teardown(void **state)
{
    s_server_t *server = *state;
    if (server && server->ctx)
        mg_stop(server->ctx);
    free(server);
    mg_exit_library();
    return 0;
}

static void
s_url(void **state, const char *path, char *buf, size_t len)
{
    s_server_t *server = *state;
    snprintf(buf, len, "%s%s", server->base, path);
}

static void
test_ps_http_200_body(void **state)
{
    char url[128];
    s_url(state, "/ok", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    assert_non_null(http);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.body_len, 5);
    assert_string_equal(response.body, "hello");
    assert_true(response.seconds >= 0);
    ps_http_response_clear(&response);
    assert_null(response.body);
    assert_null(response.headers);
    /* The same client serves a second call. */
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    assert_string_equal(response.body, "hello");
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
    assert_null(http);
}

static void
test_ps_http_empty_body_is_empty_string(void **state)
{
    char url[128];
    s_url(state, "/empty", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    assert_int_equal(response.status, 200);
    assert_non_null(response.body);
    assert_string_equal(response.body, "");
    assert_int_equal(response.body_len, 0);
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
}

static void
test_ps_http_500_is_a_response(void **state)
{
    char url[128];
    s_url(state, "/fail", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    assert_int_equal(response.status, 500);
    assert_string_equal(response.body, "boom");
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
}

static void
test_ps_http_response_header_lookup(void **state)
{
    char url[128];
    s_url(state, "/ok", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    char value[64];
    assert_int_equal(ps_http_response_header(&response, "x-test-header", value,
                                             sizeof(value)),
                     0);
    assert_string_equal(value, "hello there");
    assert_int_equal(ps_http_response_header(&response, "content-length", value,
                                             sizeof(value)),
                     0);
    assert_string_equal(value, "5");
    /* Truncated to the buffer. */
    char small[4];
    assert_int_equal(ps_http_response_header(&response, "x-test-header", small,
                                             sizeof(small)),
                     0);
    assert_string_equal(small, "hel");
    /* A prefix of a name is not the name; absent is -1. */
    assert_int_equal(
        ps_http_response_header(&response, "x-test", value, sizeof(value)), -1);
    assert_int_equal(
        ps_http_response_header(&response, "x-missing", value, sizeof(value)),
        -1);
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
}

static void
test_ps_http_post_body_and_headers(void **state)
{
    char url[128];
    s_url(state, "/echo", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    const char *headers[] = {"X-In: sent-value",
                             "Content-Type: application/json", NULL};
    const char *body = "{\"a\":1}";
    ps_http_response_t response;
    assert_int_equal(ps_http_request(http, "POST", url, headers, body,
                                     strlen(body), &response),
                     PS_HTTP_OK);
    assert_int_equal(response.status, 201);
    assert_string_equal(response.body, "POST {\"a\":1}");
    char value[64];
    assert_int_equal(
        ps_http_response_header(&response, "x-echo", value, sizeof(value)), 0);
    assert_string_equal(value, "sent-value");
    ps_http_response_clear(&response);
    /* POST without a body sends an empty one. */
    assert_int_equal(
        ps_http_request(http, "POST", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    assert_string_equal(response.body, "POST ");
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
}

static void
test_ps_http_body_cap(void **state)
{
    char url[128];
    s_url(state, "/big", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_TOO_LARGE);
    assert_string_equal(ps_http_error(http), "response body over 1024 bytes");
    assert_null(response.body);
    assert_int_equal(response.status, 0);
    ps_http_destroy(&http);
    /* With room for it, the same body arrives whole. */
    http = ps_http_new(2000, 5000, S_BIG_BODY);
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_OK);
    assert_int_equal(response.body_len, S_BIG_BODY);
    assert_int_equal(response.body[S_BIG_BODY - 1], 'x');
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
}

static void
test_ps_http_timeout(void **state)
{
    char url[128];
    s_url(state, "/slow", url, sizeof(url));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_set_timeout(http, 300);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_TIMEOUT);
    assert_string_equal(ps_http_error(http), "timeout after 300 ms");
    assert_null(response.body);
    ps_http_destroy(&http);
}

static void
test_ps_http_connection_refused(void **state)
{
    (void)state;
    /* A bound socket that never listens refuses connections, and nobody
       else can take its port while we hold it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", ntohs(addr.sin_port));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_response_t response;
    assert_int_equal(
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response),
        PS_HTTP_CONNECT);
    assert_non_null(strstr(ps_http_error(http), "onnect"));
    assert_int_equal(response.status, 0);
    ps_http_destroy(&http);
    close(fd);
}

static void
test_ps_http_other_transport_errors(void **state)
{
    (void)state;
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    ps_http_response_t response;
    /* Only http and https are allowed. */
    assert_int_equal(ps_http_request(http, "GET", "file:///etc/hostname", NULL,
                                     NULL, 0, &response),
                     PS_HTTP_TRANSPORT);
    assert_string_not_equal(ps_http_error(http), "");
    ps_http_destroy(&http);
}

static void
test_ps_http_strerror_and_destroy(void **state)
{
    (void)state;
    assert_string_equal(ps_http_strerror(PS_HTTP_OK), "ok");
    assert_string_equal(ps_http_strerror(PS_HTTP_TIMEOUT), "timeout");
    assert_string_equal(ps_http_strerror(PS_HTTP_CONNECT),
                        "connection refused");
    assert_string_equal(ps_http_strerror(PS_HTTP_TOO_LARGE),
                        "response too large");
    assert_string_equal(ps_http_strerror(PS_HTTP_TRANSPORT), "transport error");
    assert_string_equal(ps_http_strerror(PS_HTTP_NOMEM), "out of memory");
    assert_string_equal(ps_http_strerror((ps_http_rc_t)99), "unknown");
    ps_http_destroy(NULL);
    ps_http_t *http = NULL;
    ps_http_destroy(&http);
    http = ps_http_new(100, 100, 10);
    assert_non_null(http);
    ps_http_destroy(&http);
    assert_null(http);
    ps_http_destroy(&http);
    ps_http_response_t response;
    memset(&response, 0, sizeof(response));
    ps_http_response_clear(&response);
    assert_int_equal(ps_http_response_header(&response, "x", NULL, 0), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_http_200_body),
        cmocka_unit_test(test_ps_http_empty_body_is_empty_string),
        cmocka_unit_test(test_ps_http_500_is_a_response),
        cmocka_unit_test(test_ps_http_response_header_lookup),
        cmocka_unit_test(test_ps_http_post_body_and_headers),
        cmocka_unit_test(test_ps_http_body_cap),
        cmocka_unit_test(test_ps_http_timeout),
        cmocka_unit_test(test_ps_http_connection_refused),
        cmocka_unit_test(test_ps_http_other_transport_errors),
        cmocka_unit_test(test_ps_http_strerror_and_destroy),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
