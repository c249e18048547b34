/*  ps_log - one-line, levelled, redacted logging for every PlexStaffAI process.

    Every service logs to stderr (the launcher and Docker collect it), one
    event per line: "2026-11-25T13:40:00.123Z I poller: scan done pending=12".
    Before a line is written, every registered secret (API keys, the webhook
    secret) is replaced by "***", "Bearer <x>" loses its token and anything
    shaped like an email address becomes "<email>", so a careless format
    string cannot leak what the brief forbids in logs.
    Thread-safe: a line is formatted on the caller's stack and written with a
    single write(2); the secret list is guarded by a mutex.                  */
#ifndef PS_LOG_H_INCLUDED
#define PS_LOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    PS_LOG_ERROR = 0, /* we lost or refused something */
    PS_LOG_WARN = 1,  /* degraded but handled */
    PS_LOG_INFO = 2,  /* lifecycle */
    PS_LOG_DEBUG = 3  /* per-message traces */
} ps_log_level_t;

/* Sets the ident printed on every line (the service name) and the level.
   The ident is copied. */
void ps_log_init(const char *ident, ps_log_level_t level);

/* Changes the level at run time (config reload). */
void ps_log_set_level(ps_log_level_t level);

/* Parses "error", "warn", "info" or "debug". Returns 0, or -1 if unknown. */
int ps_log_level_parse(const char *name, ps_log_level_t *level);

/* True when a message of this level would be written. */
bool ps_log_enabled(ps_log_level_t level);

/* Registers a string that must never appear in a log line. Strings shorter
   than 4 characters are ignored (they would mangle ordinary words). The
   string is copied; registering it twice is harmless. */
void ps_log_add_secret(const char *secret);

/* Forgets every registered secret (tests, config reload). */
void ps_log_clear_secrets(void);

/* Copies `in` into `out` (at most outlen-1 bytes, NUL-terminated) with
   secrets, bearer tokens and email addresses masked. Returns the length
   written. */
size_t ps_log_redact(const char *in, char *out, size_t outlen);

/* Formats and writes one line at `level`. Newlines in the message are
   replaced by spaces so one event stays one line. */
void ps_log_write(ps_log_level_t level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#define ps_log_error(...) ps_log_write(PS_LOG_ERROR, __VA_ARGS__)
#define ps_log_warn(...) ps_log_write(PS_LOG_WARN, __VA_ARGS__)
#define ps_log_info(...) ps_log_write(PS_LOG_INFO, __VA_ARGS__)
#define ps_log_debug(...)                                                      \
    do {                                                                       \
        if (ps_log_enabled(PS_LOG_DEBUG))                                      \
            ps_log_write(PS_LOG_DEBUG, __VA_ARGS__);                           \
    } while (0)

#endif
