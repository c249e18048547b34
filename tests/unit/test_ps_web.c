/*  test_ps_web - the bounded request-body reader shared by the gateway and
    the simulators (common/ps_web): exactly `max` bytes pass, one more is
    refused, whether the length was declared or the body was chunked.     */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_http.h"
#include "ps_web.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX 1000

/* Answers "<rc> <len>" for the body it read with a limit of S_MAX. */
static int
s_handler(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    char *body = NULL;
    size_t len = 0;
    ps_web_body_rc_t rc = ps_web_read_body(conn, S_MAX, &body, &len);
    char text[64];
    int n = snprintf(text, sizeof(text), "%d %zu %d", (int)rc, len,
                     body ? (int)strlen(body) : -1);
    free(body);
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: "
              "close\r\n\r\n%s",
              n, text);
    return 200;
}

static struct mg_context *s_ctx;
static char s_url[64];

static int
setup(void **state)
{
    (void)state;
    const char *options[] = {"listening_ports", "127.0.0.1:0", "num_threads",
                             "2", NULL};
    s_ctx = mg_start(NULL, NULL, options);
    assert_non_null(s_ctx);
    mg_set_request_handler(s_ctx, "/", s_handler, NULL);
    struct mg_server_port ports[2];
    assert_true(mg_get_server_ports(s_ctx, 2, ports) >= 1);
    snprintf(s_url, sizeof(s_url), "http://127.0.0.1:%d/", ports[0].port);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    mg_stop(s_ctx);
    return 0;
}

/* Posts `len` bytes, chunked when asked, and returns the handler's text. */
static void
s_post(size_t len, bool chunked, char *answer, size_t answer_len)
{
    static char body[4 * S_MAX];
    memset(body, 'x', sizeof(body));
    ps_http_t *http = ps_http_new(2000, 5000, 1024);
    assert_non_null(http);
    const char *plain[] = {NULL};
    const char *chunks[] = {"Transfer-Encoding: chunked", NULL};
    ps_http_response_t response;
    assert_int_equal(ps_http_request(http, "POST", s_url,
                                     chunked ? chunks : plain, body, len,
                                     &response),
                     PS_HTTP_OK);
    snprintf(answer, answer_len, "%s", response.body);
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
}

static void
test_ps_web_declared_lengths(void **state)
{
    (void)state;
    char answer[64];
    s_post(0, false, answer, sizeof(answer));
    assert_string_equal(answer, "0 0 0");
    s_post(S_MAX, false, answer, sizeof(answer));
    assert_string_equal(answer, "0 1000 1000");
    s_post(S_MAX + 1, false, answer, sizeof(answer));
    assert_string_equal(answer, "1 0 -1");
}

static void
test_ps_web_chunked_bodies(void **state)
{
    (void)state;
    char answer[64];
    s_post(S_MAX, true, answer, sizeof(answer));
    assert_string_equal(answer, "0 1000 1000");
    s_post(S_MAX + 1, true, answer, sizeof(answer));
    assert_string_equal(answer, "1 0 -1");
    s_post(3 * S_MAX, true, answer, sizeof(answer));
    assert_string_equal(answer, "1 0 -1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_web_declared_lengths),
        cmocka_unit_test(test_ps_web_chunked_bodies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
