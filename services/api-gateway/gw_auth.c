/*  gw_auth - see gw_auth.h.                                               */
#include "gw_auth.h"
#include "ps_log.h"
#include "ps_time.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SECRET_BYTES 32
#define S_LIMIT_WINDOW_MS (15 * 60 * 1000)
#define S_LIMIT_FAILURES 5
#define S_LIMIT_CLIENTS 256
#define GW_AUTH_TOKEN_TOUCH_MS 60000 /* last_used_at precision */

static const char *s_role_names[] = {"none", "viewer", "staff", "admin"};

const char *
gw_role_name(gw_role_t role)
{
    return (unsigned)role < 4 ? s_role_names[role] : "none";
}

int
gw_role_parse(const char *name, gw_role_t *role)
{
    for (int i = 1; i < 4; i++) {
        if (name && strcmp(name, s_role_names[i]) == 0) {
            *role = (gw_role_t)i;
            return 0;
        }
    }
    return -1;
}

/* Writes `len` bytes to a new file at path with mode 0600; fails when the
   file exists. */
static int
s_write_private(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok)
        unlink(path);
    return ok ? 0 : -1;
}

int
gw_auth_key_load(const char *data_dir, unsigned char key[GW_AUTH_KEY_BYTES],
                 char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/secret.key", data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char fresh[GW_AUTH_KEY_BYTES];
        randombytes_buf(fresh, sizeof(fresh));
        /* Another process may create it first: then read theirs. */
        if (s_write_private(path, fresh, sizeof(fresh)) != 0
            && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", path,
                     strerror(errno));
            return -1;
        }
        sodium_memzero(fresh, sizeof(fresh));
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = read(fd, key, GW_AUTH_KEY_BYTES);
    close(fd);
    if (n != GW_AUTH_KEY_BYTES) {
        snprintf(err, errlen,
                 "%s is not a %d-byte key: delete it to make a "
                 "new one (every session and API token ends)",
                 path, GW_AUTH_KEY_BYTES);
        return -1;
    }
    return 0;
}

/* The keyed hash of a token, as hex. */
static void
s_token_hash(const unsigned char *key, const char *token,
             char hex[2 * crypto_generichash_BYTES + 1])
{
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash(hash, sizeof(hash), (const unsigned char *)token,
                       strlen(token), key, GW_AUTH_KEY_BYTES);
    sodium_bin2hex(hex, 2 * crypto_generichash_BYTES + 1, hash, sizeof(hash));
}

/* A new random token "<prefix><base64url of 32 bytes>". */
static void
s_new_token(const char *prefix, char token[GW_AUTH_TOKEN_LEN])
{
    unsigned char secret[S_SECRET_BYTES];
    randombytes_buf(secret, sizeof(secret));
    size_t used = (size_t)snprintf(token, GW_AUTH_TOKEN_LEN, "%s", prefix);
    sodium_bin2base64(token + used, GW_AUTH_TOKEN_LEN - used, secret,
                      sizeof(secret), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
}

/* Fills *who from a stored identity after a constant-time comparison of
   the hashes (the lookup already matched them; this keeps the promise of
   gw_auth.h even if the lookup ever changes). */
static int
s_principal(const gw_store_identity_t *id, const char *hash, bool by_token,
            gw_principal_t *who)
{
    size_t len = strlen(hash);
    if (strlen(id->hash) != len || sodium_memcmp(id->hash, hash, len) != 0)
        return 1;
    memset(who, 0, sizeof(*who));
    if (gw_role_parse(id->role, &who->role) != 0)
        return 1;
    snprintf(who->name, sizeof(who->name), "%s", id->name);
    snprintf(who->csrf, sizeof(who->csrf), "%s", id->csrf);
    who->by_token = by_token;
    return 0;
}

int
gw_auth_add_user(gw_store_t *store, const char *username, const char *password,
                 gw_role_t role, int64_t now)
{
    if (strlen(password) < GW_AUTH_MIN_PASSWORD || !*username
        || role == GW_ROLE_NONE)
        return 1;
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE)
        != 0)
        return -1;
    return gw_store_user_add(store, username, gw_role_name(role), hash, now);
}

int
gw_auth_bootstrap(gw_store_t *store, const char *data_dir, char *where,
                  size_t where_len, char *password, size_t password_len,
                  char *err, size_t errlen)
{
    int64_t users = 0;
    if (gw_store_user_count(store, &users) != 0) {
        snprintf(err, errlen, "%s", gw_store_error(store));
        return -1;
    }
    if (users > 0)
        return 0;
    char secret[GW_AUTH_TOKEN_LEN];
    s_new_token("", secret);
    secret[20] = '\0'; /* 120 random bits, easy to type */
    char path[1024];
    snprintf(path, sizeof(path), "%s/admin-password.txt", data_dir);
    char text[128];
    int n =
        snprintf(text, sizeof(text), "username: admin\npassword: %s\n", secret);
    unlink(path); /* a stale file from a wiped database says nothing true */
    if (s_write_private(path, text, (size_t)n) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = gw_auth_add_user(store, "admin", secret, GW_ROLE_ADMIN,
                              (int64_t)time(NULL) * 1000);
    if (rc != 0) {
        unlink(path);
        snprintf(err, errlen, "cannot create the admin user: %s",
                 gw_store_error(store));
        return -1;
    }
    snprintf(where, where_len, "%s", path);
    if (password && password_len)
        snprintf(password, password_len, "%s", secret);
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(text, sizeof(text));
    return 1;
}

static char s_dummy[crypto_pwhash_STRBYTES]; /* hash of nobody's password */
static pthread_once_t s_dummy_once = PTHREAD_ONCE_INIT;

static void
s_make_dummy(void)
{
    char password[GW_AUTH_TOKEN_LEN];
    s_new_token("", password);
    if (crypto_pwhash_str(s_dummy, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE)
        != 0)
        s_dummy[0] = '\0';
}

int
gw_auth_login(gw_store_t *store, const unsigned char *key, const char *username,
              const char *password, int64_t now, char token[GW_AUTH_TOKEN_LEN],
              gw_principal_t *who)
{
    int64_t user_id = 0;
    char role[16];
    char stored[crypto_pwhash_STRBYTES];
    int found = gw_store_user_find(store, username, &user_id, role,
                                   sizeof(role), stored, sizeof(stored));
    if (found < 0)
        return -1;
    if (found == 0) {
        /* Spend the same time as a real check so an unknown name does
           not answer faster than a wrong password. */
        pthread_once(&s_dummy_once, s_make_dummy);
        int unknown =
            crypto_pwhash_str_verify(s_dummy, password, strlen(password));
        (void)unknown;
        return 1;
    }
    if (crypto_pwhash_str_verify(stored, password, strlen(password)) != 0)
        return 1;
    char hash[2 * crypto_generichash_BYTES + 1];
    char csrf[GW_AUTH_TOKEN_LEN];
    s_new_token("s_", token);
    s_new_token("", csrf);
    csrf[43] = '\0';
    s_token_hash(key, token, hash);
    if (gw_store_session_add(store, hash, user_id, csrf, now,
                             now + GW_AUTH_SESSION_MS)
        != 0)
        return -1;
    memset(who, 0, sizeof(*who));
    gw_role_parse(role, &who->role);
    snprintf(who->name, sizeof(who->name), "%s", username);
    snprintf(who->csrf, sizeof(who->csrf), "%.43s", csrf);
    return 0;
}

int
gw_auth_session(gw_store_t *store, const unsigned char *key, const char *token,
                int64_t now, gw_principal_t *who)
{
    char hash[2 * crypto_generichash_BYTES + 1];
    s_token_hash(key, token, hash);
    gw_store_identity_t id;
    int found = gw_store_session_find(store, hash, now, &id);
    if (found <= 0)
        return found < 0 ? -1 : 1;
    return s_principal(&id, hash, false, who);
}

int
gw_auth_logout(gw_store_t *store, const unsigned char *key, const char *token)
{
    char hash[2 * crypto_generichash_BYTES + 1];
    s_token_hash(key, token, hash);
    return gw_store_session_delete(store, hash);
}

int
gw_auth_token_create(gw_store_t *store, const unsigned char *key,
                     const char *name, gw_role_t role, int64_t now,
                     char token[GW_AUTH_TOKEN_LEN])
{
    char hash[2 * crypto_generichash_BYTES + 1];
    s_new_token("pst_", token);
    s_token_hash(key, token, hash);
    return gw_store_token_add(store, name, gw_role_name(role), hash, now);
}

int
gw_auth_token_provision(gw_store_t *store, const unsigned char *key,
                        const char *token, gw_role_t role, int64_t now,
                        char *err, size_t errlen)
{
    if (strlen(token) < 24) {
        snprintf(err, errlen,
                 "PLEXSTAFFAI_API_TOKEN is shorter than 24 "
                 "characters: refused (generate one with "
                 "`openssl rand -hex 24`)");
        return -1;
    }
    char hash[2 * crypto_generichash_BYTES + 1];
    s_token_hash(key, token, hash);
    if (gw_store_token_add(store, "environment", gw_role_name(role), hash, now)
        != 0) {
        snprintf(err, errlen, "%s", gw_store_error(store));
        return -1;
    }
    return 0;
}

int
gw_auth_token(gw_store_t *store, const unsigned char *key, const char *token,
              gw_principal_t *who)
{
    char hash[2 * crypto_generichash_BYTES + 1];
    s_token_hash(key, token, hash);
    gw_store_identity_t id;
    int found = gw_store_token_find(store, hash, &id);
    if (found <= 0)
        return found < 0 ? -1 : 1;
    /* The tokens list shows when each was last used; a minute's
       precision keeps that from costing a write on every API call. */
    int64_t now = ps_time_now_ms();
    if (now - id.last_used_at >= GW_AUTH_TOKEN_TOUCH_MS)
        gw_store_token_touch(store, hash, now);
    return s_principal(&id, hash, true, who);
}

/* ---- login rate limit --------------------------------------------------- */

typedef struct {
    char client[64];      /* address */
    int failures;         /* in the current window */
    int64_t window_start; /* monotonic ms */
} s_client_t;

static pthread_mutex_t s_limit_lock = PTHREAD_MUTEX_INITIALIZER;
static s_client_t s_clients[S_LIMIT_CLIENTS];

static s_client_t *
s_client(const char *client, int64_t now_mono, bool create)
{
    s_client_t *oldest = &s_clients[0];
    for (size_t i = 0; i < S_LIMIT_CLIENTS; i++) {
        s_client_t *c = &s_clients[i];
        if (c->client[0] && strcmp(c->client, client) == 0) {
            if (now_mono - c->window_start > S_LIMIT_WINDOW_MS) {
                c->failures = 0;
                c->window_start = now_mono;
            }
            return c;
        }
        if (c->window_start < oldest->window_start || !c->client[0])
            oldest = c;
    }
    if (!create)
        return NULL;
    snprintf(oldest->client, sizeof(oldest->client), "%s", client);
    oldest->failures = 0;
    oldest->window_start = now_mono;
    return oldest;
}

bool
gw_auth_limit_allows(const char *client, int64_t now_mono,
                     int64_t *retry_after_s)
{
    pthread_mutex_lock(&s_limit_lock);
    s_client_t *c = s_client(client, now_mono, false);
    bool allowed = !c || c->failures < S_LIMIT_FAILURES;
    if (!allowed)
        *retry_after_s =
            (c->window_start + S_LIMIT_WINDOW_MS - now_mono) / 1000 + 1;
    pthread_mutex_unlock(&s_limit_lock);
    return allowed;
}

void
gw_auth_limit_failed(const char *client, int64_t now_mono)
{
    pthread_mutex_lock(&s_limit_lock);
    s_client_t *c = s_client(client, now_mono, true);
    c->failures++;
    pthread_mutex_unlock(&s_limit_lock);
}

void
gw_auth_limit_reset(void)
{
    pthread_mutex_lock(&s_limit_lock);
    memset(s_clients, 0, sizeof(s_clients));
    pthread_mutex_unlock(&s_limit_lock);
}
