/*  ps_log - see ps_log.h. Redaction runs on every line, so it is a plain
    linear scan with no allocation; the secret list is small (a handful of
    keys from config).                                                     */
#include "ps_log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PS_LOG_MAX_SECRETS 16
#define PS_LOG_LINE_MAX 2048

static char s_ident[32] = "plexstaffai";
static volatile int s_level = PS_LOG_INFO;
static pthread_mutex_t s_secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static char *s_secrets[PS_LOG_MAX_SECRETS];
static size_t s_secret_count;

void
ps_log_init(const char *ident, ps_log_level_t level)
{
    snprintf(s_ident, sizeof(s_ident), "%s", ident ? ident : "plexstaffai");
    s_level = level;
}

void
ps_log_set_level(ps_log_level_t level)
{
    s_level = level;
}

int
ps_log_level_parse(const char *name, ps_log_level_t *level)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (name && strcasecmp(name, names[i]) == 0) {
            *level = (ps_log_level_t)i;
            return 0;
        }
    }
    return -1;
}

bool
ps_log_enabled(ps_log_level_t level)
{
    return (int)level <= s_level;
}

void
ps_log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&s_secrets_lock);
    bool known = false;
    for (size_t i = 0; i < s_secret_count; i++)
        if (strcmp(s_secrets[i], secret) == 0)
            known = true;
    if (!known && s_secret_count < PS_LOG_MAX_SECRETS) {
        char *copy = strdup(secret);
        if (copy)
            s_secrets[s_secret_count++] = copy;
    }
    pthread_mutex_unlock(&s_secrets_lock);
}

void
ps_log_clear_secrets(void)
{
    pthread_mutex_lock(&s_secrets_lock);
    for (size_t i = 0; i < s_secret_count; i++)
        free(s_secrets[i]);
    s_secret_count = 0;
    pthread_mutex_unlock(&s_secrets_lock);
}

static bool
s_is_email_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '%'
           || c == '+' || c == '-';
}

/* Returns the length of an email address ending its local part at `at`
   (start is where the local part begins), or 0 when `at` is not one. */
static size_t
s_email_domain_len(const char *at)
{
    const char *p = at + 1;
    bool dot = false;
    size_t n = 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '-') {
        if (p[n] == '.' && n > 0)
            dot = true;
        n++;
    }
    while (n > 0 && p[n - 1] == '.')
        n--;
    return dot ? n : 0;
}

size_t
ps_log_redact(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return 0;
    pthread_mutex_lock(&s_secrets_lock);
    for (size_t i = 0; in[i] && o + 1 < outlen;) {
        const char *mask = NULL;
        size_t skip = 0;
        for (size_t s = 0; s < s_secret_count; s++) {
            size_t len = strlen(s_secrets[s]);
            if (strncmp(in + i, s_secrets[s], len) == 0) {
                mask = "***";
                skip = len;
                break;
            }
        }
        if (!mask && strncasecmp(in + i, "bearer ", 7) == 0) {
            size_t n = 7;
            while (in[i + n] && !isspace((unsigned char)in[i + n])
                   && in[i + n] != '"')
                n++;
            if (n > 7) {
                mask = "Bearer ***";
                skip = n;
            }
        }
        if (!mask && s_is_email_char(in[i])
            && (i == 0 || !s_is_email_char(in[i - 1]))) {
            size_t n = 0;
            while (s_is_email_char(in[i + n]))
                n++;
            if (in[i + n] == '@') {
                size_t d = s_email_domain_len(in + i + n);
                if (d) {
                    mask = "<email>";
                    skip = n + 1 + d;
                }
            }
        }
        if (mask) {
            for (size_t m = 0; mask[m] && o + 1 < outlen; m++)
                out[o++] = mask[m];
            i += skip;
        } else {
            char c = in[i++];
            out[o++] = (c == '\n' || c == '\r') ? ' ' : c;
        }
    }
    pthread_mutex_unlock(&s_secrets_lock);
    out[o] = '\0';
    return o;
}

void
ps_log_write(ps_log_level_t level, const char *format, ...)
{
    static const char letters[] = "EWID";
    if (!ps_log_enabled(level))
        return;
    char message[PS_LOG_LINE_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    char line[PS_LOG_LINE_MAX + 96];
    int head = snprintf(
        line, sizeof(line),
        "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %c %s: ", utc.tm_year + 1900,
        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
        now.tv_nsec / 1000000, letters[level], s_ident);
    if (head < 0 || (size_t)head >= sizeof(line))
        return;
    size_t len =
        head + ps_log_redact(message, line + head, sizeof(line) - head - 1);
    line[len++] = '\n';
    ssize_t written = write(STDERR_FILENO, line, len);
    (void)written;
}
