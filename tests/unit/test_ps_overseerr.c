/*  test_ps_overseerr - the Overseerr client against a civetweb stand-in
    that answers each path with the status the contract describes.        */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_overseerr.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_KEY "ovr-test-key-0123456789"

typedef struct {
    struct mg_context *ctx; /* the server */
    char base[64];          /* "http://127.0.0.1:<port>" */
} s_server_t;

/* What the last request carried, for the assertions. */
static pthread_mutex_t s_seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_seen_key[128];
static char s_seen_accept[128];
static char s_seen_method[16];
static char s_seen_uri[256];

static void
s_reply(struct mg_connection *conn, int status, const char *body)
{
    char out[2048];
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                     "Content-Type: application/json\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, strlen(body), body);
    mg_write(conn, out, (size_t)n);
}

static int
s_handler(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    const struct mg_request_info *info = mg_get_request_info(conn);
    const char *key = mg_get_header(conn, "X-Api-Key");
    const char *accept = mg_get_header(conn, "Accept");
    pthread_mutex_lock(&s_seen_lock);
    snprintf(s_seen_key, sizeof(s_seen_key), "%s", key ? key : "");
    snprintf(s_seen_accept, sizeof(s_seen_accept), "%s", accept ? accept : "");
    snprintf(s_seen_method, sizeof(s_seen_method), "%s", info->request_method);
    snprintf(s_seen_uri, sizeof(s_seen_uri), "%s", info->local_uri);
    pthread_mutex_unlock(&s_seen_lock);
    const char *uri = info->local_uri;
    if (!key || strcmp(key, S_KEY) != 0) {
        /* Some servers echo what they refused: the key must not leak. */
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"message\":\"Invalid API key %.64s was refused\"}",
                 key ? key : "");
        s_reply(conn, 403, body);
    } else if (strcmp(uri, "/api/v1/request/5") == 0)
        s_reply(conn, 200,
                "{\"id\":5,\"status\":1,\"type\":\"movie\","
                "\"media\":{\"tmdbId\":\"603\"},\"note\":null}");
    else if (strcmp(uri, "/api/v1/request/404") == 0)
        s_reply(conn, 404, "{\"message\":\"Request not found.\"}");
    else if (strcmp(uri, "/api/v1/request/7/approve") == 0)
        s_reply(conn, 409, "{\"message\":\"Request is already approved.\"}");
    else if (strcmp(uri, "/api/v1/request/8/decline") == 0)
        s_reply(conn, 200, "{\"id\":8,\"status\":3}");
    else if (strcmp(uri, "/api/v1/status") == 0)
        s_reply(conn, 503, "{\"error\":\"Service Unavailable\"}");
    else if (strcmp(uri, "/api/v1/html") == 0)
        s_reply(conn, 200, "<html>login</html>");
    else if (strcmp(uri, "/api/v1/bad") == 0)
        s_reply(conn, 400, "{\"message\":\"Bad parameter take\"}");
    else if (strcmp(uri, "/api/v1/throttled") == 0)
        s_reply(conn, 429, "slow down");
    else
        s_reply(conn, 404, "{}");
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
    snprintf(server->base, sizeof(server->base), "http://127.0.0.1:%d",
             ports[0].port);
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

static ps_overseerr_t *
s_client(void **state, const char *key)
{
    s_server_t *server = *state;
    char base[80];
    /* A trailing slash on the base is fine. */
    snprintf(base, sizeof(base), "%s/", server->base);
    ps_overseerr_t *client = ps_overseerr_new(base, key, 3000);
    assert_non_null(client);
    return client;
}

static void
test_ps_overseerr_get_sends_key_and_parses(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/request/5", &body),
                     PS_OVERSEERR_OK);
    assert_non_null(body);
    pthread_mutex_lock(&s_seen_lock);
    assert_string_equal(s_seen_key, S_KEY);
    assert_string_equal(s_seen_accept, "application/json");
    assert_string_equal(s_seen_method, "GET");
    assert_string_equal(s_seen_uri, "/api/v1/request/5");
    pthread_mutex_unlock(&s_seen_lock);
    int64_t value = 0;
    assert_int_equal(ps_json_int(body, "id", &value), 0);
    assert_int_equal(value, 5);
    assert_int_equal(ps_json_int(body, "status", &value), 0);
    assert_int_equal(value, PS_REQUEST_PENDING);
    assert_string_equal(ps_json_str(body, "type"), "movie");
    assert_int_equal(
        ps_json_int(json_object_get(body, "media"), "tmdbId", &value), 0);
    assert_int_equal(value, 603);
    json_decref(body);
    ps_overseerr_destroy(&client);
    assert_null(client);
}

static void
test_ps_overseerr_post_ok(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_post(client, "/request/8/decline", &body),
                     PS_OVERSEERR_OK);
    pthread_mutex_lock(&s_seen_lock);
    assert_string_equal(s_seen_method, "POST");
    assert_string_equal(s_seen_uri, "/api/v1/request/8/decline");
    pthread_mutex_unlock(&s_seen_lock);
    int64_t status = 0;
    assert_int_equal(ps_json_int(body, "status", &status), 0);
    assert_int_equal(status, PS_REQUEST_DECLINED);
    json_decref(body);
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_404_is_not_found(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = (json_t *)1;
    assert_int_equal(ps_overseerr_get(client, "/request/404", &body),
                     PS_OVERSEERR_NOT_FOUND);
    assert_null(body);
    assert_string_equal(ps_overseerr_error(client),
                        "GET /request/404: HTTP 404 Request not found.");
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_409_is_conflict(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_post(client, "/request/7/approve", &body),
                     PS_OVERSEERR_CONFLICT);
    assert_null(body);
    assert_string_equal(
        ps_overseerr_error(client),
        "POST /request/7/approve: HTTP 409 Request is already approved.");
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_403_is_forbidden_without_key(void **state)
{
    ps_overseerr_t *client = s_client(state, "wrong-key-abcdef");
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/request/5", &body),
                     PS_OVERSEERR_FORBIDDEN);
    assert_null(body);
    pthread_mutex_lock(&s_seen_lock);
    assert_string_equal(s_seen_key, "wrong-key-abcdef");
    pthread_mutex_unlock(&s_seen_lock);
    assert_null(strstr(ps_overseerr_error(client), "wrong-key-abcdef"));
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_error_never_holds_the_key(void **state)
{
    /* The server echoes the refused key in its message. */
    ps_overseerr_t *client = s_client(state, "stale-key-98765");
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/request/5", &body),
                     PS_OVERSEERR_FORBIDDEN);
    const char *error = ps_overseerr_error(client);
    assert_null(strstr(error, "stale-key-98765"));
    assert_string_equal(error, "GET /request/5: HTTP 403 Invalid API key "
                               "*** was refused");
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_503_is_transient(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/status", &body),
                     PS_OVERSEERR_TRANSIENT);
    assert_string_equal(ps_overseerr_error(client),
                        "GET /status: HTTP 503 Service Unavailable");
    assert_int_equal(ps_overseerr_get(client, "/throttled", &body),
                     PS_OVERSEERR_TRANSIENT);
    assert_string_equal(ps_overseerr_error(client), "GET /throttled: HTTP 429");
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_200_not_json_is_bad_response(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/html", &body),
                     PS_OVERSEERR_BAD_RESPONSE);
    assert_null(body);
    const char *prefix = "GET /html: HTTP 200 with a body that is not JSON "
                         "(line 1: ";
    assert_memory_equal(ps_overseerr_error(client), prefix, strlen(prefix));
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_other_4xx_is_error(void **state)
{
    ps_overseerr_t *client = s_client(state, S_KEY);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/bad", &body),
                     PS_OVERSEERR_ERROR);
    assert_string_equal(ps_overseerr_error(client),
                        "GET /bad: HTTP 400 Bad parameter take");
    ps_overseerr_destroy(&client);
}

static void
test_ps_overseerr_refused_is_transient(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    ps_overseerr_t *client = ps_overseerr_new(base, S_KEY, 2000);
    json_t *body = NULL;
    assert_int_equal(ps_overseerr_get(client, "/request/5", &body),
                     PS_OVERSEERR_TRANSIENT);
    const char *error = ps_overseerr_error(client);
    assert_memory_equal(error, "GET /request/5: ", 16);
    assert_null(strstr(error, S_KEY));
    ps_overseerr_destroy(&client);
    close(fd);
}

static void
test_ps_overseerr_json_helpers(void **state)
{
    (void)state;
    json_error_t error;
    json_t *object = json_loads("{\"n\":12,\"s\":\"34\",\"neg\":\"-5\","
                                "\"bad\":\"12abc\",\"empty\":\"\","
                                "\"f\":1.5,\"nil\":null,\"t\":\"text\"}",
                                0, &error);
    assert_non_null(object);
    int64_t value = 99;
    assert_int_equal(ps_json_int(object, "n", &value), 0);
    assert_int_equal(value, 12);
    assert_int_equal(ps_json_int(object, "s", &value), 0);
    assert_int_equal(value, 34);
    assert_int_equal(ps_json_int(object, "neg", &value), 0);
    assert_int_equal(value, -5);
    value = 99;
    assert_int_equal(ps_json_int(object, "bad", &value), -1);
    assert_int_equal(ps_json_int(object, "empty", &value), -1);
    assert_int_equal(ps_json_int(object, "f", &value), -1);
    assert_int_equal(ps_json_int(object, "nil", &value), -1);
    assert_int_equal(ps_json_int(object, "missing", &value), -1);
    assert_int_equal(ps_json_int(NULL, "n", &value), -1);
    assert_int_equal(value, 99);
    assert_string_equal(ps_json_str(object, "t"), "text");
    assert_null(ps_json_str(object, "n"));
    assert_null(ps_json_str(object, "nil"));
    assert_null(ps_json_str(object, "missing"));
    json_decref(object);
}

static void
test_ps_overseerr_strerror_and_destroy(void **state)
{
    (void)state;
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_OK), "ok");
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_NOT_FOUND),
                        "not found");
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_CONFLICT),
                        "conflict");
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_FORBIDDEN),
                        "forbidden");
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_TRANSIENT),
                        "transient");
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_BAD_RESPONSE),
                        "bad response");
    assert_string_equal(ps_overseerr_strerror(PS_OVERSEERR_ERROR), "error");
    assert_string_equal(ps_overseerr_strerror((ps_overseerr_rc_t)42),
                        "unknown");
    ps_overseerr_destroy(NULL);
    ps_overseerr_t *client = NULL;
    ps_overseerr_destroy(&client);
    client = ps_overseerr_new("http://127.0.0.1:1", "k", 1000);
    assert_non_null(client);
    ps_overseerr_destroy(&client);
    assert_null(client);
    ps_overseerr_destroy(&client);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_overseerr_get_sends_key_and_parses),
        cmocka_unit_test(test_ps_overseerr_post_ok),
        cmocka_unit_test(test_ps_overseerr_404_is_not_found),
        cmocka_unit_test(test_ps_overseerr_409_is_conflict),
        cmocka_unit_test(test_ps_overseerr_403_is_forbidden_without_key),
        cmocka_unit_test(test_ps_overseerr_error_never_holds_the_key),
        cmocka_unit_test(test_ps_overseerr_503_is_transient),
        cmocka_unit_test(test_ps_overseerr_200_not_json_is_bad_response),
        cmocka_unit_test(test_ps_overseerr_other_4xx_is_error),
        cmocka_unit_test(test_ps_overseerr_refused_is_transient),
        cmocka_unit_test(test_ps_overseerr_json_helpers),
        cmocka_unit_test(test_ps_overseerr_strerror_and_destroy),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
