/*  ps_mp - see ps_mp.h.                                                   */
#include "ps_mp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ps_mp_writer_init(ps_mp_writer_t *w, const char *type, int minor)
{
    msgpack_sbuffer_init(&w->body);
    msgpack_packer_init(&w->packer, &w->body, msgpack_sbuffer_write);
    w->count = 0;
    char version[16];
    snprintf(version, sizeof(version), "%d.%d", PS_PROTO_MAJOR, minor);
    ps_mp_kv_str(w, "t", type);
    ps_mp_kv_str(w, "v", version);
}

void
ps_mp_pack_str(msgpack_packer *pk, const char *value)
{
    size_t len = strlen(value);
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, value, len);
}

void
ps_mp_key(ps_mp_writer_t *w, const char *key)
{
    w->count++;
    ps_mp_pack_str(&w->packer, key);
}

void
ps_mp_kv_str(ps_mp_writer_t *w, const char *key, const char *value)
{
    if (!value)
        return;
    ps_mp_key(w, key);
    ps_mp_pack_str(&w->packer, value);
}

void
ps_mp_kv_int(ps_mp_writer_t *w, const char *key, int64_t value)
{
    ps_mp_key(w, key);
    msgpack_pack_int64(&w->packer, value);
}

void
ps_mp_kv_double(ps_mp_writer_t *w, const char *key, double value)
{
    ps_mp_key(w, key);
    msgpack_pack_double(&w->packer, value);
}

void
ps_mp_kv_bool(ps_mp_writer_t *w, const char *key, bool value)
{
    ps_mp_key(w, key);
    if (value)
        msgpack_pack_true(&w->packer);
    else
        msgpack_pack_false(&w->packer);
}

void
ps_mp_kv_ints(ps_mp_writer_t *w, const char *key, const int64_t *values,
              size_t count)
{
    ps_mp_key(w, key);
    msgpack_pack_array(&w->packer, count);
    for (size_t i = 0; i < count; i++)
        msgpack_pack_int64(&w->packer, values[i]);
}

void
ps_mp_kv_strs(ps_mp_writer_t *w, const char *key, char *const *values,
              size_t count)
{
    ps_mp_key(w, key);
    msgpack_pack_array(&w->packer, count);
    for (size_t i = 0; i < count; i++)
        ps_mp_pack_str(&w->packer, values[i] ? values[i] : "");
}

void
ps_mp_kv_bin(ps_mp_writer_t *w, const char *key, const void *data, size_t len)
{
    ps_mp_key(w, key);
    msgpack_pack_bin(&w->packer, len);
    msgpack_pack_bin_body(&w->packer, data, len);
}

zframe_t *
ps_mp_writer_frame(ps_mp_writer_t *w)
{
    msgpack_sbuffer head;
    msgpack_packer packer;
    msgpack_sbuffer_init(&head);
    msgpack_packer_init(&packer, &head, msgpack_sbuffer_write);
    msgpack_pack_map(&packer, w->count);
    zframe_t *frame = zframe_new(NULL, head.size + w->body.size);
    if (frame) {
        memcpy(zframe_data(frame), head.data, head.size);
        if (w->body.size)
            memcpy(zframe_data(frame) + head.size, w->body.data, w->body.size);
    }
    msgpack_sbuffer_destroy(&head);
    ps_mp_writer_abandon(w);
    return frame;
}

zmsg_t *
ps_mp_writer_msg(ps_mp_writer_t *w)
{
    zframe_t *frame = ps_mp_writer_frame(w);
    zmsg_t *msg = frame ? zmsg_new() : NULL;
    if (!msg) {
        zframe_destroy(&frame);
        return NULL;
    }
    zmsg_append(msg, &frame);
    return msg;
}

void
ps_mp_writer_abandon(ps_mp_writer_t *w)
{
    msgpack_sbuffer_destroy(&w->body);
    msgpack_sbuffer_init(&w->body);
}

/* Reads a big-endian length of `bytes` bytes at data[pos]. */
static uint64_t
s_be(const unsigned char *data, size_t pos, int bytes)
{
    uint64_t value = 0;
    for (int i = 0; i < bytes; i++)
        value = (value << 8) | data[pos + i];
    return value;
}

bool
ps_mp_sane(const char *buffer, size_t len)
{
    const unsigned char *data = (const unsigned char *)buffer;
    size_t pos = 0;
    uint64_t pending = 1;
    while (pending > 0) {
        if (pos >= len || pending > len - pos)
            return false;
        unsigned char b = data[pos++];
        pending--;
        uint64_t skip = 0; /* payload bytes after the header */
        uint64_t children = 0;
        int lenbytes = 0; /* size of a length field that follows */
        int kind = 0;     /* 0 scalar, 1 array, 2 map */
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            skip = 0;
        else if (b >= 0x80 && b <= 0x8f)
            kind = 2, children = b & 0x0f;
        else if (b >= 0x90 && b <= 0x9f)
            kind = 1, children = b & 0x0f;
        else if (b >= 0xa0 && b <= 0xbf)
            skip = b & 0x1f;
        else {
            switch (b) {
                case 0xc4:
                case 0xd9:
                    lenbytes = 1;
                    break;
                case 0xc5:
                case 0xda:
                    lenbytes = 2;
                    break;
                case 0xc6:
                case 0xdb:
                    lenbytes = 4;
                    break;
                case 0xc7:
                    lenbytes = 1;
                    skip = 1;
                    break;
                case 0xc8:
                    lenbytes = 2;
                    skip = 1;
                    break;
                case 0xc9:
                    lenbytes = 4;
                    skip = 1;
                    break;
                case 0xca:
                    skip = 4;
                    break;
                case 0xcb:
                    skip = 8;
                    break;
                case 0xcc:
                case 0xd0:
                    skip = 1;
                    break;
                case 0xcd:
                case 0xd1:
                    skip = 2;
                    break;
                case 0xce:
                case 0xd2:
                    skip = 4;
                    break;
                case 0xcf:
                case 0xd3:
                    skip = 8;
                    break;
                case 0xd4:
                    skip = 2;
                    break;
                case 0xd5:
                    skip = 3;
                    break;
                case 0xd6:
                    skip = 5;
                    break;
                case 0xd7:
                    skip = 9;
                    break;
                case 0xd8:
                    skip = 17;
                    break;
                case 0xdc:
                    kind = 1;
                    lenbytes = 2;
                    break;
                case 0xdd:
                    kind = 1;
                    lenbytes = 4;
                    break;
                case 0xde:
                    kind = 2;
                    lenbytes = 2;
                    break;
                case 0xdf:
                    kind = 2;
                    lenbytes = 4;
                    break;
                default:
                    return false; /* 0xc1 is never used */
            }
        }
        if (lenbytes) {
            if ((size_t)lenbytes > len - pos)
                return false;
            uint64_t n = s_be(data, pos, lenbytes);
            pos += (size_t)lenbytes;
            if (kind)
                children = n;
            else
                skip += n;
        }
        if (kind == 2)
            children *= 2;
        if (skip > len - pos)
            return false;
        pos += (size_t)skip;
        pending += children;
    }
    return pos == len;
}

static int s_fail(ps_mp_reader_t *r, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int
s_fail(ps_mp_reader_t *r, const char *format, ...)
{
    if (!r->failed && r->err && r->errlen) {
        va_list args;
        va_start(args, format);
        vsnprintf(r->err, r->errlen, format, args);
        va_end(args);
    }
    r->failed = true;
    return -1;
}

static const msgpack_object *
s_find(const ps_mp_reader_t *r, const char *key)
{
    size_t key_len = strlen(key);
    const msgpack_object_map *map = &r->map->via.map;
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == key_len
            && memcmp(k->via.str.ptr, key, key_len) == 0) {
            const msgpack_object *v = &map->ptr[i].val;
            return v->type == MSGPACK_OBJECT_NIL ? NULL : v;
        }
    }
    return NULL;
}

int
ps_mp_reader_open(ps_mp_reader_t *r, const void *data, size_t len,
                  const char *expect_type, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    msgpack_unpacked_init(&r->unpacked);
    r->err = err;
    r->errlen = errlen;
    if (len > PS_MP_MAX_FRAME)
        return s_fail(r, "message of %zu bytes is over the %d-byte limit", len,
                      PS_MP_MAX_FRAME);
    if (!ps_mp_sane(data, len))
        return s_fail(r,
                      "malformed msgpack (%zu bytes): truncated, trailing "
                      "bytes or impossible lengths",
                      len);
    size_t offset = 0;
    if (msgpack_unpack_next(&r->unpacked, data, len, &offset)
        != MSGPACK_UNPACK_SUCCESS)
        return s_fail(r, "msgpack unpack failed");
    if (r->unpacked.data.type != MSGPACK_OBJECT_MAP)
        return s_fail(r, "message is not a msgpack map");
    r->map = &r->unpacked.data;
    char *type = NULL;
    char *version = NULL;
    int rc = -1;
    if (ps_mp_get_str(r, "t", true, &type) != 0
        || ps_mp_get_str(r, "v", true, &version) != 0)
        goto out;
    snprintf(r->type, sizeof(r->type), "%s", type);
    if (sscanf(version, "%d.%d", &r->major, &r->minor) != 2) {
        s_fail(r, "field `v`: expected \"major.minor\", got \"%s\"", version);
        goto out;
    }
    if (r->major > PS_PROTO_MAJOR) {
        s_fail(r,
               "%s message version %s is newer than this program reads "
               "(%d.x)",
               type, version, PS_PROTO_MAJOR);
        goto out;
    }
    if (expect_type && strcmp(type, expect_type) != 0) {
        s_fail(r, "expected a %s message, got %s", expect_type, type);
        goto out;
    }
    rc = 0;
out:
    free(type);
    free(version);
    return rc;
}

void
ps_mp_reader_close(ps_mp_reader_t *r)
{
    msgpack_unpacked_destroy(&r->unpacked);
    msgpack_unpacked_init(&r->unpacked);
    r->map = NULL;
}

int
ps_mp_peek_type(zframe_t *frame, char *type, size_t len)
{
    ps_mp_reader_t reader;
    char err[8];
    int rc = ps_mp_reader_open(&reader, zframe_data(frame), zframe_size(frame),
                               NULL, err, sizeof(err));
    if (rc == 0)
        snprintf(type, len, "%s", reader.type);
    ps_mp_reader_close(&reader);
    return rc;
}

bool
ps_mp_has(ps_mp_reader_t *r, const char *key)
{
    return r->map && s_find(r, key) != NULL;
}

static int
s_missing(ps_mp_reader_t *r, const char *key, bool required)
{
    return required ? s_fail(r, "field `%s`: missing", key) : 0;
}

static int
s_obj_int(const msgpack_object *o, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && o->via.u64 <= (uint64_t)INT64_MAX) {
        *out = (int64_t)o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    return -1;
}

int
ps_mp_get_int(ps_mp_reader_t *r, const char *key, bool required, int64_t *out)
{
    const msgpack_object *o = s_find(r, key);
    if (!o)
        return s_missing(r, key, required);
    if (s_obj_int(o, out) != 0)
        return s_fail(r, "field `%s`: expected an integer", key);
    return 0;
}

int
ps_mp_get_double(ps_mp_reader_t *r, const char *key, bool required, double *out)
{
    const msgpack_object *o = s_find(r, key);
    int64_t whole;
    if (!o)
        return s_missing(r, key, required);
    if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
        *out = o->via.f64;
    else if (s_obj_int(o, &whole) == 0)
        *out = (double)whole;
    else
        return s_fail(r, "field `%s`: expected a number", key);
    return 0;
}

int
ps_mp_get_bool(ps_mp_reader_t *r, const char *key, bool required, bool *out)
{
    const msgpack_object *o = s_find(r, key);
    if (!o)
        return s_missing(r, key, required);
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return s_fail(r, "field `%s`: expected true or false", key);
    *out = o->via.boolean;
    return 0;
}

static char *
s_strdup_obj(const msgpack_object *o)
{
    return strndup(o->via.str.ptr, o->via.str.size);
}

int
ps_mp_get_str(ps_mp_reader_t *r, const char *key, bool required, char **out)
{
    const msgpack_object *o = s_find(r, key);
    if (!o)
        return s_missing(r, key, required);
    if (o->type != MSGPACK_OBJECT_STR)
        return s_fail(r, "field `%s`: expected a string", key);
    char *copy = s_strdup_obj(o);
    if (!copy)
        return s_fail(r, "field `%s`: out of memory", key);
    free(*out);
    *out = copy;
    return 0;
}

int
ps_mp_get_ints(ps_mp_reader_t *r, const char *key, bool required, int64_t **out,
               size_t *count)
{
    const msgpack_object *o = s_find(r, key);
    if (!o)
        return s_missing(r, key, required);
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return s_fail(r, "field `%s`: expected a list of integers", key);
    int64_t *values = calloc(o->via.array.size + 1, sizeof(*values));
    if (!values)
        return s_fail(r, "field `%s`: out of memory", key);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        if (s_obj_int(&o->via.array.ptr[i], &values[i]) != 0) {
            free(values);
            return s_fail(r, "field `%s`[%u]: expected an integer", key, i);
        }
    }
    free(*out);
    *out = values;
    *count = o->via.array.size;
    return 0;
}

int
ps_mp_get_bin(ps_mp_reader_t *r, const char *key, bool required,
              unsigned char **out, size_t *len)
{
    const msgpack_object *o = s_find(r, key);
    if (!o)
        return s_missing(r, key, required);
    if (o->type != MSGPACK_OBJECT_BIN)
        return s_fail(r, "field `%s`: expected binary data", key);
    unsigned char *copy = malloc(o->via.bin.size + 1);
    if (!copy)
        return s_fail(r, "field `%s`: out of memory", key);
    memcpy(copy, o->via.bin.ptr, o->via.bin.size);
    free(*out);
    *out = copy;
    *len = o->via.bin.size;
    return 0;
}

void
ps_mp_strs_free(char ***items, size_t *count)
{
    for (size_t i = 0; *items && i < *count; i++)
        free((*items)[i]);
    free(*items);
    *items = NULL;
    *count = 0;
}

int
ps_mp_get_strs(ps_mp_reader_t *r, const char *key, bool required, char ***out,
               size_t *count)
{
    const msgpack_object *o = s_find(r, key);
    if (!o)
        return s_missing(r, key, required);
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return s_fail(r, "field `%s`: expected a list of strings", key);
    size_t n = o->via.array.size;
    char **values = calloc(n + 1, sizeof(*values));
    if (!values)
        return s_fail(r, "field `%s`: out of memory", key);
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *item = &o->via.array.ptr[i];
        if (item->type != MSGPACK_OBJECT_STR
            || !(values[i] = s_strdup_obj(item))) {
            ps_mp_strs_free(&values, &n);
            return s_fail(r, "field `%s`[%zu]: expected a string", key, i);
        }
    }
    ps_mp_strs_free(out, count);
    *out = values;
    *count = n;
    return 0;
}
