/*  token - see token.h.                                                   */
#include "token.h"
#include "gw_auth.h"
#include "gw_store.h"
#include "ps_time.h"

#include <sodium.h>

int
token_create(const char *data_dir, const char *name, const char *role_name,
             FILE *out, FILE *errout)
{
    gw_role_t role;
    if (gw_role_parse(role_name, &role) != 0) {
        fprintf(errout, "--role expects viewer, staff or admin, got \"%s\"\n",
                role_name);
        return 1;
    }
    if (sodium_init() < 0) {
        fprintf(errout, "libsodium cannot initialise\n");
        return 3;
    }
    char path[1024];
    char err[512];
    snprintf(path, sizeof(path), "%s/moderation.db", data_dir);
    unsigned char key[GW_AUTH_KEY_BYTES];
    gw_store_t *store = NULL;
    int rc = 3;
    if (gw_auth_key_load(data_dir, key, err, sizeof(err)) != 0) {
        fprintf(errout, "%s\n", err);
        goto out;
    }
    store = gw_store_open(path, err, sizeof(err));
    if (!store) {
        fprintf(errout, "%s\n", err);
        goto out;
    }
    char token[GW_AUTH_TOKEN_LEN];
    if (gw_auth_token_create(store, key, name, role, ps_time_now_ms(), token)
        != 0) {
        fprintf(errout, "cannot store the token: %s\n", gw_store_error(store));
        goto out;
    }
    fprintf(out, "%s\n", token);
    fprintf(errout,
            "API token \"%s\" (%s) created: it is shown once. Send it as "
            "\"Authorization: Bearer <token>\".\n",
            name, role_name);
    sodium_memzero(token, sizeof(token));
    rc = 0;
out:
    sodium_memzero(key, sizeof(key));
    gw_store_destroy(&store);
    return rc;
}
