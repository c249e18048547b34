/*  gw_auth - who is calling: logins, sessions, API tokens, roles.

    Three roles, each including the one below: viewer (reads), staff
    (decides reviews, scans, re-judges, backtests), admin (creates API
    tokens). Passwords are argon2id hashes (libsodium crypto_pwhash_str).
    Session and API tokens are 32 random bytes shown once; the database
    keeps only their BLAKE2b hash keyed with a per-install secret
    (data_dir/secret.key, 0600), looked up by that hash and compared in
    constant time, so a stolen database reveals no usable token and a
    check costs a microsecond, cheap enough for every API call.
    Sessions travel in an HttpOnly SameSite=Strict cookie with a CSRF
    token the page must echo in X-CSRF-Token on every POST.
    Thread-safe: each caller passes its own store; the login rate limiter
    has its own lock.                                                     */
#ifndef GW_AUTH_H_INCLUDED
#define GW_AUTH_H_INCLUDED

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_store.h"

#define GW_AUTH_KEY_BYTES crypto_generichash_KEYBYTES
#define GW_AUTH_TOKEN_LEN 64 /* room for a token's text */
#define GW_AUTH_SESSION_MS (12LL * 3600 * 1000)
#define GW_AUTH_MIN_PASSWORD 10

typedef enum {
    GW_ROLE_NONE = 0, /* anonymous */
    GW_ROLE_VIEWER,   /* reads */
    GW_ROLE_STAFF,    /* decides */
    GW_ROLE_ADMIN     /* manages access */
} gw_role_t;

typedef struct {
    gw_role_t role; /* what the caller may do */
    char name[64];  /* username or token name */
    char csrf[48];  /* session CSRF token, "" for API tokens */
    bool by_token;  /* an API token, not a browser session */
} gw_principal_t;

/* "viewer" / "staff" / "admin" / "none" */
const char *gw_role_name(gw_role_t role);

/* Parses a role word. Returns 0, or -1. */
int gw_role_parse(const char *name, gw_role_t *role);

/* Loads data_dir/secret.key, creating it (0600, random) on first use.
   Returns 0, or -1 with the reason in err. */
int gw_auth_key_load(const char *data_dir, unsigned char key[GW_AUTH_KEY_BYTES],
                     char *err, size_t errlen);

/* Makes sure someone can log in: when no user exists, creates "admin"
   with a random password written to data_dir/admin-password.txt (0600)
   and copies that path to `where`; the password itself is copied to
   `password` only when asked (demo mode prints it). Returns 1 when the
   admin was created, 0 when users existed, -1 on error (err). */
int gw_auth_bootstrap(gw_store_t *store, const char *data_dir, char *where,
                      size_t where_len, char *password, size_t password_len,
                      char *err, size_t errlen);

/* Adds a user with an argon2id hash of `password`. Returns 0, 1 when the
   name is taken or the password shorter than GW_AUTH_MIN_PASSWORD, -1
   on error. */
int gw_auth_add_user(gw_store_t *store, const char *username,
                     const char *password, gw_role_t role, int64_t now);

/* Checks a username and password and opens a session: writes the session
   token (for the cookie) and fills *who. Returns 0, 1 for wrong
   credentials (the same answer for an unknown user), -1 on error. */
int gw_auth_login(gw_store_t *store, const unsigned char *key,
                  const char *username, const char *password, int64_t now,
                  char token[GW_AUTH_TOKEN_LEN], gw_principal_t *who);

/* Resolves a session token. Returns 0 and fills *who, 1 when unknown or
   expired, -1 on error. */
int gw_auth_session(gw_store_t *store, const unsigned char *key,
                    const char *token, int64_t now, gw_principal_t *who);

/* Ends a session. Returns 0, or -1. */
int gw_auth_logout(gw_store_t *store, const unsigned char *key,
                   const char *token);

/* Creates an API token for `role`, written once to `token`. 0, or -1. */
int gw_auth_token_create(gw_store_t *store, const unsigned char *key,
                         const char *name, gw_role_t role, int64_t now,
                         char token[GW_AUTH_TOKEN_LEN]);

/* Registers a token chosen outside (PLEXSTAFFAI_API_TOKEN), idempotent.
   Refuses tokens shorter than 24 characters. Returns 0, or -1 (err). */
int gw_auth_token_provision(gw_store_t *store, const unsigned char *key,
                            const char *token, gw_role_t role, int64_t now,
                            char *err, size_t errlen);

/* Resolves an API token. Returns 0 and fills *who, 1 unknown, -1 error. */
int gw_auth_token(gw_store_t *store, const unsigned char *key,
                  const char *token, gw_principal_t *who);

/* Login rate limit per client address: true when `client` may try now.
   gw_auth_limit_failed records a failure; five in 15 minutes block the
   address for the rest of that window. */
bool gw_auth_limit_allows(const char *client, int64_t now_mono,
                          int64_t *retry_after_s);
void gw_auth_limit_failed(const char *client, int64_t now_mono);
void gw_auth_limit_reset(void);

#endif
