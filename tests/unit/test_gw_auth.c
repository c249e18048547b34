/*  test_gw_auth - logins, sessions, API tokens and the login rate limit
    (services/api-gateway/gw_auth) against a real moderation.db.          */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char dir[64];
    gw_store_t *store;
    unsigned char key[GW_AUTH_KEY_BYTES];
} fixture_t;

static int
setup(void **state)
{
    assert_true(sodium_init() >= 0);
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_gw_auth.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/moderation.db", f->dir);
    char err[256];
    f->store = gw_store_open(path, err, sizeof(err));
    assert_non_null(f->store);
    assert_int_equal(gw_auth_key_load(f->dir, f->key, err, sizeof(err)), 0);
    gw_auth_limit_reset();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    gw_store_destroy(&f->store);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static mode_t
s_mode(const char *dir, const char *name)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    return info.st_mode & 0777;
}

static void
test_gw_auth_key_is_private_and_stable(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_mode(f->dir, "secret.key"), 0600);
    unsigned char again[GW_AUTH_KEY_BYTES];
    char err[256];
    assert_int_equal(gw_auth_key_load(f->dir, again, err, sizeof(err)), 0);
    assert_memory_equal(again, f->key, sizeof(again));
}

static void
test_gw_auth_bootstrap_then_login(void **state)
{
    fixture_t *f = *state;
    char where[256], password[64], err[256];
    assert_int_equal(gw_auth_bootstrap(f->store, f->dir, where, sizeof(where),
                                       password, sizeof(password), err,
                                       sizeof(err)),
                     1);
    assert_int_equal(s_mode(f->dir, "admin-password.txt"), 0600);
    FILE *file = fopen(where, "r");
    char text[128] = "";
    assert_non_null(file);
    assert_true(fread(text, 1, sizeof(text) - 1, file) > 0);
    fclose(file);
    assert_non_null(strstr(text, password));
    /* Users exist now: nothing more is created. */
    assert_int_equal(gw_auth_bootstrap(f->store, f->dir, where, sizeof(where),
                                       NULL, 0, err, sizeof(err)),
                     0);

    char token[GW_AUTH_TOKEN_LEN];
    gw_principal_t who;
    assert_int_equal(
        gw_auth_login(f->store, f->key, "ADMIN", password, 1000, token, &who),
        0);
    assert_int_equal(who.role, GW_ROLE_ADMIN);
    assert_true(strlen(who.csrf) >= 40);
    assert_int_equal(gw_auth_login(f->store, f->key, "admin", "wrong-pass!",
                                   1000, token, &who),
                     1);
    assert_int_equal(
        gw_auth_login(f->store, f->key, "nobody", password, 1000, token, &who),
        1);
}

static void
test_gw_auth_sessions_expire_and_end(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(
        gw_auth_add_user(f->store, "kim", "correct horse", GW_ROLE_STAFF, 0),
        0);
    assert_int_equal(
        gw_auth_add_user(f->store, "kim", "another pass!", GW_ROLE_STAFF, 0),
        1);
    assert_int_equal(
        gw_auth_add_user(f->store, "lee", "short", GW_ROLE_VIEWER, 0), 1);
    char token[GW_AUTH_TOKEN_LEN];
    gw_principal_t who;
    assert_int_equal(gw_auth_login(f->store, f->key, "kim", "correct horse",
                                   1000, token, &who),
                     0);
    char csrf[48];
    snprintf(csrf, sizeof(csrf), "%s", who.csrf);
    gw_principal_t seen;
    assert_int_equal(gw_auth_session(f->store, f->key, token, 2000, &seen), 0);
    assert_string_equal(seen.name, "kim");
    assert_int_equal(seen.role, GW_ROLE_STAFF);
    assert_string_equal(seen.csrf, csrf);
    assert_false(seen.by_token);
    /* A forged or altered token is nobody. */
    token[5] ^= 1;
    assert_int_equal(gw_auth_session(f->store, f->key, token, 2000, &seen), 1);
    token[5] ^= 1;
    assert_int_equal(gw_auth_session(f->store, f->key, token,
                                     1000 + GW_AUTH_SESSION_MS + 1, &seen),
                     1);
    assert_int_equal(gw_auth_logout(f->store, f->key, token), 0);
    assert_int_equal(gw_auth_session(f->store, f->key, token, 2000, &seen), 1);
}

static void
test_gw_auth_api_tokens(void **state)
{
    fixture_t *f = *state;
    char token[GW_AUTH_TOKEN_LEN];
    assert_int_equal(
        gw_auth_token_create(f->store, f->key, "ci", GW_ROLE_STAFF, 0, token),
        0);
    assert_true(strncmp(token, "pst_", 4) == 0);
    gw_principal_t who;
    assert_int_equal(gw_auth_token(f->store, f->key, token, &who), 0);
    assert_int_equal(who.role, GW_ROLE_STAFF);
    assert_true(who.by_token);
    assert_string_equal(who.name, "ci");
    assert_int_equal(gw_auth_token(f->store, f->key, "pst_nope", &who), 1);

    /* A token from the environment, registered twice, works once. */
    char err[256];
    const char *provided = "0123456789abcdef0123456789abcdef";
    assert_int_equal(gw_auth_token_provision(f->store, f->key, provided,
                                             GW_ROLE_VIEWER, 0, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(gw_auth_token_provision(f->store, f->key, provided,
                                             GW_ROLE_VIEWER, 0, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(gw_auth_token(f->store, f->key, provided, &who), 0);
    assert_int_equal(who.role, GW_ROLE_VIEWER);
    assert_int_equal(gw_auth_token_provision(f->store, f->key, "short",
                                             GW_ROLE_VIEWER, 0, err,
                                             sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "24"));
    /* Another install's key does not accept this install's tokens. */
    unsigned char other[GW_AUTH_KEY_BYTES];
    randombytes_buf(other, sizeof(other));
    assert_int_equal(gw_auth_token(f->store, other, token, &who), 1);
}

static void
test_gw_auth_login_rate_limit(void **state)
{
    (void)state;
    int64_t retry = 0;
    for (int i = 0; i < 5; i++) {
        assert_true(gw_auth_limit_allows("10.0.0.9", 1000, &retry));
        gw_auth_limit_failed("10.0.0.9", 1000);
    }
    assert_false(gw_auth_limit_allows("10.0.0.9", 2000, &retry));
    assert_true(retry > 0 && retry <= 15 * 60);
    assert_true(gw_auth_limit_allows("10.0.0.10", 2000, &retry));
    /* The window passes. */
    assert_true(
        gw_auth_limit_allows("10.0.0.9", 1000 + 15 * 60 * 1000 + 1, &retry));
}

static void
test_gw_auth_roles(void **state)
{
    (void)state;
    gw_role_t role;
    assert_int_equal(gw_role_parse("staff", &role), 0);
    assert_int_equal(role, GW_ROLE_STAFF);
    assert_int_equal(gw_role_parse("root", &role), -1);
    assert_string_equal(gw_role_name(GW_ROLE_ADMIN), "admin");
    assert_true(GW_ROLE_ADMIN > GW_ROLE_STAFF
                && GW_ROLE_STAFF > GW_ROLE_VIEWER);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gw_auth_key_is_private_and_stable,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_auth_bootstrap_then_login,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_auth_sessions_expire_and_end,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gw_auth_api_tokens, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gw_auth_login_rate_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gw_auth_roles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
