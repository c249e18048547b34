/*  ps_mp - the msgpack framing every PlexStaffAI message shares.

    A message is one ZeroMQ frame holding one msgpack map with a "t" (type
    name) and a "v" ("major.minor") entry plus the message's own fields.
    The writer counts top-level entries itself, so optional fields are just
    not written. The reader checks the frame before unpacking it: msgpack-c
    trusts container counts and allocates for them up front, so a 10-byte
    frame claiming 2^32 entries would ask for 128 GiB (TOOLCHAIN.md #7);
    ps_mp_sane rejects any container longer than the bytes left. Decoders
    then copy every value out; nothing points into the unpacked zone after
    ps_mp_reader_close.                                                     */
#ifndef PS_MP_H_INCLUDED
#define PS_MP_H_INCLUDED

#include <czmq.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#define PS_MP_MAX_FRAME (4 * 1024 * 1024) /* bytes in one message */
#define PS_PROTO_MAJOR 1                  /* we read majors up to this */

typedef struct {
    msgpack_sbuffer body;  /* the entries, without the map header */
    msgpack_packer packer; /* packs into body; use for nested values */
    uint32_t count;        /* top-level entries written */
} ps_mp_writer_t;

/* Starts a message of type `type` with version "1.<minor>". */
void ps_mp_writer_init(ps_mp_writer_t *w, const char *type, int minor);

/* Writes a key; the caller then packs exactly one value with w->packer or
   one of the ps_mp_pack_* helpers. */
void ps_mp_key(ps_mp_writer_t *w, const char *key);

void ps_mp_pack_str(msgpack_packer *pk, const char *value);

/* Key + value helpers. kv_str skips NULL values. */
void ps_mp_kv_str(ps_mp_writer_t *w, const char *key, const char *value);
void ps_mp_kv_int(ps_mp_writer_t *w, const char *key, int64_t value);
void ps_mp_kv_double(ps_mp_writer_t *w, const char *key, double value);
void ps_mp_kv_bool(ps_mp_writer_t *w, const char *key, bool value);
void ps_mp_kv_ints(ps_mp_writer_t *w, const char *key, const int64_t *values,
                   size_t count);
void ps_mp_kv_strs(ps_mp_writer_t *w, const char *key, char *const *values,
                   size_t count);

void ps_mp_kv_bin(ps_mp_writer_t *w, const char *key, const void *data,
                  size_t len);

/* Finishes the message into a new zframe (caller owns it) and frees the
   writer's buffer. Returns NULL on allocation failure. */
zframe_t *ps_mp_writer_frame(ps_mp_writer_t *w);

/* Same, wrapped in a new single-frame zmsg. */
zmsg_t *ps_mp_writer_msg(ps_mp_writer_t *w);

/* Frees the writer's buffer without producing a frame. */
void ps_mp_writer_abandon(ps_mp_writer_t *w);

/* True when every container in data claims no more entries than bytes
   remain, every length fits, and the data holds exactly one object. */
bool ps_mp_sane(const char *data, size_t len);

typedef struct {
    msgpack_unpacked unpacked; /* owns the zone */
    const msgpack_object *map; /* the top-level map */
    char type[32];             /* the "t" entry */
    int major;                 /* from "v" */
    int minor;                 /* from "v" */
    char *err;                 /* caller's error buffer */
    size_t errlen;             /* its size */
    bool failed;               /* an error was recorded */
} ps_mp_reader_t;

/* Checks and unpacks a frame. When expect_type is not NULL the "t" entry
   must equal it. Returns 0, or -1 with the reason in err; either way call
   ps_mp_reader_close. */
int ps_mp_reader_open(ps_mp_reader_t *r, const void *data, size_t len,
                      const char *expect_type, char *err, size_t errlen);

/* Frees the unpacked data. Safe to call twice. */
void ps_mp_reader_close(ps_mp_reader_t *r);

/* Reads the "t" entry of a frame without decoding the rest. Returns 0, or
   -1 if the frame is not a PlexStaffAI message. */
int ps_mp_peek_type(zframe_t *frame, char *type, size_t len);

/* Field getters. A missing or nil field is fine when not required (out is
   left as is, return 0); a required missing field or a wrong type records
   "field `name`: ..." in the reader's err and returns -1. Strings are
   copied (strndup) into *out, replacing and freeing what was there. */
int ps_mp_get_int(ps_mp_reader_t *r, const char *key, bool required,
                  int64_t *out);
int ps_mp_get_double(ps_mp_reader_t *r, const char *key, bool required,
                     double *out);
int ps_mp_get_bool(ps_mp_reader_t *r, const char *key, bool required,
                   bool *out);
int ps_mp_get_str(ps_mp_reader_t *r, const char *key, bool required,
                  char **out);
int ps_mp_get_ints(ps_mp_reader_t *r, const char *key, bool required,
                   int64_t **out, size_t *count);
int ps_mp_get_strs(ps_mp_reader_t *r, const char *key, bool required,
                   char ***out, size_t *count);

/* Copies a binary field into a new buffer (*out, caller frees). */
int ps_mp_get_bin(ps_mp_reader_t *r, const char *key, bool required,
                  unsigned char **out, size_t *len);

/* True when the field is present and not nil. */
bool ps_mp_has(ps_mp_reader_t *r, const char *key);

/* Frees an array of strings from ps_mp_get_strs. */
void ps_mp_strs_free(char ***items, size_t *count);

#endif
