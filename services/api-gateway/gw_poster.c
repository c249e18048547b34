/*  gw_poster - see gw_poster.h.

    Runs on civetweb's worker threads. Each miss creates its own libcurl
    handle (posters are fetched once, then served from disk, so keeping
    connections alive buys little). A poster is written to a dot-named
    temporary file and renamed into place, so a reader never sees half an
    image and eviction never deletes one being written.                  */
#include "gw_poster.h"
#include "ps_db.h"
#include "ps_http.h"
#include "ps_log.h"
#include "ps_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GW_POSTER_PATH_MAX 128     /* longest poster path accepted */
#define GW_POSTER_INFLIGHT 16      /* posters fetched at once, tracked */
#define GW_POSTER_OFFLINE_MS 30000 /* pause after a transport failure */
#define GW_POSTER_CONNECT_MS 3000  /* connect timeout, under the total */
#define GW_POSTER_CACHED_S 86400   /* browsers keep a real poster a day */
#define GW_POSTER_PLACEHOLDER_S 60 /* and the placeholder a minute */

struct gw_poster_cache {
    pthread_mutex_t lock; /* guards inflight and offline_until */
    pthread_cond_t done;  /* broadcast when a fetch ends */
    char dir[1024];       /* <data_dir>/posters, fixed */
    char inflight[GW_POSTER_INFLIGHT][GW_POSTER_PATH_MAX + 1]; /* paths
                                                  being fetched, "" free */
    int64_t offline_until; /* monotonic ms: no fetch before */
};

const char gw_poster_placeholder[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"450\" "
    "viewBox=\"0 0 300 450\"><rect width=\"300\" height=\"450\" "
    "fill=\"#2b303b\"/><rect x=\"100\" y=\"160\" width=\"100\" "
    "height=\"130\" rx=\"8\" fill=\"none\" stroke=\"#5c6577\" "
    "stroke-width=\"6\"/><circle cx=\"150\" cy=\"212\" r=\"16\" "
    "fill=\"#5c6577\"/><path d=\"M112 280l28-34 20 22 14-14 16 26z\" "
    "fill=\"#5c6577\"/></svg>\n";
const size_t gw_poster_placeholder_len = sizeof(gw_poster_placeholder) - 1;

/* ---- pure parts --------------------------------------------------------- */

static bool
s_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool
gw_poster_path_valid(const char *path)
{
    if (!path || path[0] != '/' || path[1] == '.' || path[1] == '\0')
        return false;
    size_t len = strlen(path);
    if (len > GW_POSTER_PATH_MAX || len < 6)
        return false;
    for (size_t i = 1; i < len; i++)
        if (!s_name_char(path[i]))
            return false;
    const char *ext = path + len - 4;
    return strcmp(ext, ".jpg") == 0 || strcmp(ext, ".png") == 0;
}

const char *
gw_poster_sniff(const void *data, size_t len)
{
    const unsigned char *b = data;
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return "image/jpeg";
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    return NULL;
}

typedef struct {
    char name[GW_POSTER_PATH_MAX + 1]; /* file name in the directory */
    int64_t size;                      /* bytes */
    struct timespec mtime;             /* last served */
} s_file_t;

static int
s_older_first(const void *a, const void *b)
{
    const s_file_t *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

int64_t
gw_poster_evict(const char *dir, int64_t max_bytes)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    s_file_t *files = NULL;
    size_t count = 0, room = 0;
    int64_t total = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        char path[1400];
        struct stat info;
        if (entry->d_name[0] == '.'
            || strlen(entry->d_name) > GW_POSTER_PATH_MAX)
            continue;
        int n = snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
        if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &info) != 0
            || !S_ISREG(info.st_mode))
            continue;
        if (count == room) {
            size_t grown = room ? room * 2 : 64;
            s_file_t *more = realloc(files, grown * sizeof(*files));
            if (!more)
                break;
            files = more;
            room = grown;
        }
        snprintf(files[count].name, sizeof(files[count].name), "%s",
                 entry->d_name);
        files[count].size = (int64_t)info.st_size;
        files[count].mtime = info.st_mtim;
        total += files[count].size;
        count++;
    }
    closedir(d);
    if (total > max_bytes && count > 0) {
        qsort(files, count, sizeof(*files), s_older_first);
        for (size_t i = 0; i < count && total > max_bytes; i++) {
            char path[1400];
            snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
            /* Another worker may have evicted it first: gone is gone. */
            if (unlink(path) == 0 || errno == ENOENT)
                total -= files[i].size;
        }
    }
    free(files);
    return total;
}

/* ---- the cache's state ------------------------------------------------- */

gw_poster_cache_t *
gw_poster_cache_new(const char *data_dir, char *err, size_t errlen)
{
    gw_poster_cache_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->done, NULL);
    int n = snprintf(self->dir, sizeof(self->dir), "%s/posters", data_dir);
    if (n < 0 || (size_t)n >= sizeof(self->dir)
        || ps_db_mkdirs(self->dir) != 0) {
        snprintf(err, errlen, "cannot create the poster cache %s/posters",
                 data_dir);
        gw_poster_cache_destroy(&self);
    }
    return self;
}

void
gw_poster_cache_destroy(gw_poster_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_poster_cache_t *self = *self_p;
    pthread_cond_destroy(&self->done);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* ---- serving ----------------------------------------------------------- */

static int
s_placeholder(struct mg_connection *conn)
{
    char headers[96];
    snprintf(headers, sizeof(headers), "Cache-Control: private, max-age=%d\r\n",
             GW_POSTER_PLACEHOLDER_S);
    return gw_reply(conn, 200, "image/svg+xml", headers, gw_poster_placeholder,
                    gw_poster_placeholder_len);
}

static int
s_image(struct mg_connection *conn, const char *type, const char *data,
        size_t len)
{
    char headers[96];
    snprintf(headers, sizeof(headers), "Cache-Control: private, max-age=%d\r\n",
             GW_POSTER_CACHED_S);
    return gw_reply(conn, 200, type, headers, data, len);
}

/* Reads a cached poster into *data (malloc'ed). Returns its length, or -1
   when it is not cached (or unreadable). A hit becomes the most recently
   used file. */
static long
s_cache_read(const gw_poster_cache_t *self, const char *poster_path,
             char **data)
{
    char file[1400];
    snprintf(file, sizeof(file), "%s%s", self->dir, poster_path);
    *data = NULL;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat info;
    long result = -1;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size <= 0
        || info.st_size > GW_POSTER_MAX_BYTES)
        goto out;
    *data = malloc((size_t)info.st_size);
    if (!*data)
        goto out;
    size_t got = 0;
    while (got < (size_t)info.st_size) {
        ssize_t n = read(fd, *data + got, (size_t)info.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != (size_t)info.st_size) {
        free(*data);
        *data = NULL;
        goto out;
    }
    futimens(fd, NULL);
    result = (long)got;
out:
    close(fd);
    return result;
}

/* Keeps a fetched poster, then trims the cache to its budget. */
static void
s_cache_write(const gw_poster_cache_t *self, const char *poster_path,
              const char *data, size_t len, int64_t max_bytes)
{
    char tmp[1500];
    char file[1400];
    snprintf(file, sizeof(file), "%s%s", self->dir, poster_path);
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%lx-%s", self->dir,
             (unsigned long)pthread_self(), poster_path + 1);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        ps_log_warn("poster not cached: cannot write in %s err=\"%s\"",
                    self->dir, strerror(errno));
        return;
    }
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, data + put, len - put);
        if (n <= 0)
            break;
        put += (size_t)n;
    }
    bool whole = put == len && close(fd) == 0;
    if (put != len)
        close(fd);
    if (!whole || rename(tmp, file) != 0) {
        unlink(tmp);
        ps_log_warn("poster not cached: write failed in %s", self->dir);
        return;
    }
    if (gw_poster_evict(self->dir, max_bytes) < 0)
        ps_log_warn("cannot trim the poster cache %s", self->dir);
}

/* Claims `poster_path` for fetching. Returns true when this thread must
   fetch it; false after another thread's fetch of it ended (or the wait
   ran out), when the caller reads the cache again. *slot is the claimed
   entry, -1 when every slot is busy (the fetch goes ahead untracked). */
static bool
s_claim(gw_poster_cache_t *self, const char *poster_path, int timeout_ms,
        int *slot)
{
    *slot = -1;
    pthread_mutex_lock(&self->lock);
    bool waited = false;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000 + 1;
    while (true) {
        bool busy = false;
        for (int i = 0; i < GW_POSTER_INFLIGHT && !busy; i++)
            busy = strcmp(self->inflight[i], poster_path) == 0;
        if (!busy)
            break;
        waited = true;
        if (pthread_cond_timedwait(&self->done, &self->lock, &until) != 0)
            break;
    }
    if (!waited)
        for (int i = 0; i < GW_POSTER_INFLIGHT && *slot < 0; i++)
            if (!self->inflight[i][0]) {
                *slot = i;
                snprintf(self->inflight[i], sizeof(self->inflight[i]), "%s",
                         poster_path);
            }
    pthread_mutex_unlock(&self->lock);
    return !waited;
}

static void
s_release(gw_poster_cache_t *self, int slot, bool offline)
{
    pthread_mutex_lock(&self->lock);
    if (slot >= 0)
        self->inflight[slot][0] = '\0';
    if (offline)
        self->offline_until = ps_time_mono_ms() + GW_POSTER_OFFLINE_MS;
    pthread_cond_broadcast(&self->done);
    pthread_mutex_unlock(&self->lock);
}

static bool
s_offline(gw_poster_cache_t *self)
{
    pthread_mutex_lock(&self->lock);
    bool offline = ps_time_mono_ms() < self->offline_until;
    pthread_mutex_unlock(&self->lock);
    return offline;
}

/* Fetches base + poster_path. Returns the body's length with *data
   (malloc'ed), or -1; *offline tells a transport failure (timeout, no
   route) from an answer that was not an image. */
static long
s_fetch(const char *base, const char *poster_path, int timeout_ms, char **data,
        bool *offline)
{
    *data = NULL;
    *offline = false;
    char url[2048];
    size_t base_len = strlen(base);
    while (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    int n =
        snprintf(url, sizeof(url), "%.*s%s", (int)base_len, base, poster_path);
    if (n < 0 || (size_t)n >= sizeof(url))
        return -1;
    ps_http_t *http = ps_http_new(
        timeout_ms < GW_POSTER_CONNECT_MS ? timeout_ms : GW_POSTER_CONNECT_MS,
        timeout_ms, GW_POSTER_MAX_BYTES);
    if (!http)
        return -1;
    ps_http_response_t response = {0};
    ps_http_rc_t rc =
        ps_http_request(http, "GET", url, NULL, NULL, 0, &response);
    long result = -1;
    if (rc != PS_HTTP_OK) {
        *offline = rc == PS_HTTP_TIMEOUT || rc == PS_HTTP_CONNECT;
        ps_log_warn("poster fetch failed path=%s err=\"%s\"", poster_path,
                    ps_http_error(http));
    } else if (response.status != 200)
        ps_log_info("poster not available path=%s status=%ld", poster_path,
                    response.status);
    else if (!gw_poster_sniff(response.body, response.body_len))
        ps_log_warn("poster server answered something else than a JPEG or "
                    "PNG path=%s",
                    poster_path);
    else {
        *data = response.body;
        response.body = NULL;
        result = (long)response.body_len;
    }
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
    return result;
}

/* The request's poster path, "" when unknown. Returns 0, or -1. */
static int
s_poster_path(gw_store_t *store, int64_t request_id, char *buf, size_t len)
{
    static const char sql[] =
        "SELECT poster_path FROM requests WHERE request_id = ?1";
    sqlite3_stmt *stmt = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(gw_store_sqlite(store), sql, -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(stmt, 1, request_id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
s_serve(const gw_req_t *req, int64_t request_id)
{
    struct mg_connection *conn = req->conn;
    gw_shared_t *shared = req->shared;
    gw_poster_cache_t *cache = shared->posters;
    gw_store_t *store = gw_reply_store(shared);
    char poster_path[GW_POSTER_PATH_MAX + 2];
    if (!store
        || s_poster_path(store, request_id, poster_path, sizeof(poster_path))
               != 0
        || !gw_poster_path_valid(poster_path))
        return s_placeholder(conn);

    char *data = NULL;
    long len = s_cache_read(cache, poster_path, &data);
    if (len > 0 && gw_poster_sniff(data, (size_t)len)) {
        int status = s_image(conn, gw_poster_sniff(data, (size_t)len), data,
                             (size_t)len);
        free(data);
        return status;
    }
    free(data);
    if (s_offline(cache))
        return s_placeholder(conn);

    pthread_rwlock_rdlock(&shared->config_lock);
    char base[1024];
    snprintf(base, sizeof(base), "%s", shared->config->gateway.poster_base_url);
    int timeout_ms = shared->config->gateway.poster_timeout_ms;
    int64_t max_bytes =
        (int64_t)shared->config->gateway.poster_cache_mb * 1024 * 1024;
    pthread_rwlock_unlock(&shared->config_lock);

    int slot = -1;
    if (!s_claim(cache, poster_path, timeout_ms, &slot)) {
        /* Someone else fetched it meanwhile: theirs is in the cache, or
           their fetch failed and so would ours. */
        len = s_cache_read(cache, poster_path, &data);
        int status = len > 0 && gw_poster_sniff(data, (size_t)len)
                         ? s_image(conn, gw_poster_sniff(data, (size_t)len),
                                   data, (size_t)len)
                         : s_placeholder(conn);
        free(data);
        return status;
    }
    bool offline = false;
    len = s_fetch(base, poster_path, timeout_ms, &data, &offline);
    if (len > 0 && max_bytes > 0)
        s_cache_write(cache, poster_path, data, (size_t)len, max_bytes);
    s_release(cache, slot, offline);
    int status = len > 0 ? s_image(conn, gw_poster_sniff(data, (size_t)len),
                                   data, (size_t)len)
                         : s_placeholder(conn);
    free(data);
    return status;
}

int
gw_poster_route(const gw_req_t *req)
{
    static const char prefix[] = "/api/v1/posters/";
    if (strncmp(req->uri, prefix, sizeof(prefix) - 1) != 0
        && strcmp(req->uri, "/api/v1/posters") != 0)
        return 0;
    int64_t request_id = 0;
    char rest[8];
    if (gw_path_id(req->uri, prefix, &request_id, rest, sizeof(rest)) != 0
        || *rest)
        return gw_reply_error(req->conn, 404,
                              "path: expected /api/v1/posters/{request id}, "
                              "a positive number");
    if (!req->get)
        return gw_reply_error(req->conn, 405,
                              "use GET /api/v1/posters/{request id}");
    return s_serve(req, request_id);
}
