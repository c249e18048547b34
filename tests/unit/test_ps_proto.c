/*  test_ps_proto - every bus message: a round trip that checks every
    field, and the decoders' defences against truncated, garbage, hostile
    and newer frames. Also the heartbeat sender and the lazy-pirate REQ
    client over inproc sockets.                                            */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_control.h"
#include "ps_fact.h"
#include "ps_mp.h"
#include "ps_work.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

/* Takes the only frame out of a message and destroys the message. */
static zframe_t *
s_frame(zmsg_t *msg)
{
    assert_non_null(msg);
    assert_int_equal(zmsg_size(msg), 1);
    zframe_t *frame = zmsg_pop(msg);
    zmsg_destroy(&msg);
    assert_non_null(frame);
    return frame;
}

/* A hand-built msgpack map, for frames our encoders would never write. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} s_raw_t;

static void
s_raw_init(s_raw_t *raw, uint32_t entries)
{
    msgpack_sbuffer_init(&raw->buf);
    msgpack_packer_init(&raw->pk, &raw->buf, msgpack_sbuffer_write);
    msgpack_pack_map(&raw->pk, entries);
}

static void
s_raw_str(s_raw_t *raw, const char *text)
{
    ps_mp_pack_str(&raw->pk, text);
}

static void
s_raw_kv(s_raw_t *raw, const char *key, const char *value)
{
    s_raw_str(raw, key);
    s_raw_str(raw, value);
}

static void
s_raw_kv_int(s_raw_t *raw, const char *key, int64_t value)
{
    s_raw_str(raw, key);
    msgpack_pack_int64(&raw->pk, value);
}

static zframe_t *
s_raw_frame(s_raw_t *raw)
{
    zframe_t *frame = zframe_new(raw->buf.data, raw->buf.size);
    msgpack_sbuffer_destroy(&raw->buf);
    return frame;
}

/* A work record with every field set. */
static ps_work_t *
s_full_work(const char *type)
{
    ps_work_t *w = ps_work_new(type);
    assert_non_null(w);
    w->request_id = 4242;
    ps_work_set_str(&w->media_type, "tv");
    w->tmdb_id = 1399;
    w->is4k = true;
    w->requested_at = 1748765560000LL;
    w->season_count = 3;
    w->seasons = calloc(4, sizeof(int64_t));
    w->seasons[0] = 1;
    w->seasons[1] = 2;
    w->seasons[2] = 8;
    ps_work_set_str(&w->trigger, "webhook");
    w->user_id = 7;
    ps_work_set_str(&w->user_name, "Family User");
    ps_work_set_str(&w->user_username, "family_user");
    ps_work_set_str(&w->user_plex, "plexfam");
    ps_work_set_str(&w->user_email, "fam@example.com");
    w->user_created_at = 1600000000000LL;
    w->user_requests = 31;
    ps_work_set_str(&w->title, "Game of Thrones \xc3\xa9");
    w->year = 2011;
    w->genre_count = 2;
    w->genre_ids = calloc(3, sizeof(int64_t));
    w->genre_ids[0] = 10765;
    w->genre_ids[1] = 18;
    w->genres = calloc(3, sizeof(char *));
    w->genres[0] = strdup("Sci-Fi & Fantasy");
    w->genres[1] = strdup("Drama");
    w->rating = 8.456;
    w->votes = 24000;
    w->popularity = 512.25;
    ps_work_set_str(&w->release_date, "2011-04-17");
    ps_work_set_str(&w->media_status, "Ended");
    ps_work_set_str(&w->certification, "TV-MA");
    ps_work_set_str(&w->language, "en");
    w->runtime = 60;
    w->total_seasons = 8;
    w->requested_episodes = 30;
    w->adult = true;
    ps_work_set_str(&w->overview, "Seven noble families fight.");
    ps_work_set_str(&w->poster_path, "/u3bZgnGQ9T01sWNhyveQz0wH0Hl.jpg");
    w->outcome = PS_OUTCOME_REVIEW;
    ps_work_set_str(&w->source, "ai");
    ps_work_set_str(&w->rule, "max_seasons");
    ps_work_set_str(&w->message_id, "rule.max_seasons");
    ps_work_add_param(w, "seasons", "8");
    ps_work_add_param(w, "limit", "10");
    ps_work_set_str(&w->explanation, "Too many seasons.");
    w->has_score = true;
    w->score = 0.42;
    w->has_ai_score = true;
    w->ai_score = 0.375;
    ps_work_set_str(&w->model, "gpt-4o-mini");
    ps_work_add_matched(w, "max_seasons");
    ps_work_add_matched(w, "trusted_user");
    ps_work_set_str(&w->ruleset, "rs-0badc0de");
    ps_work_set_str(&w->reason, "enricher: TMDB timeout");
    return w;
}

static void
s_assert_full_work(const ps_work_t *w, const char *type)
{
    assert_string_equal(w->type, type);
    assert_int_equal(w->request_id, 4242);
    assert_string_equal(w->media_type, "tv");
    assert_int_equal(w->tmdb_id, 1399);
    assert_true(w->is4k);
    assert_true(w->requested_at == 1748765560000LL);
    assert_int_equal(w->season_count, 3);
    assert_int_equal(w->seasons[0], 1);
    assert_int_equal(w->seasons[1], 2);
    assert_int_equal(w->seasons[2], 8);
    assert_string_equal(w->trigger, "webhook");
    assert_int_equal(w->user_id, 7);
    assert_string_equal(w->user_name, "Family User");
    assert_string_equal(w->user_username, "family_user");
    assert_string_equal(w->user_plex, "plexfam");
    assert_string_equal(w->user_email, "fam@example.com");
    assert_true(w->user_created_at == 1600000000000LL);
    assert_int_equal(w->user_requests, 31);
    assert_string_equal(w->title, "Game of Thrones \xc3\xa9");
    assert_int_equal(w->year, 2011);
    assert_int_equal(w->genre_count, 2);
    assert_int_equal(w->genre_ids[0], 10765);
    assert_int_equal(w->genre_ids[1], 18);
    assert_string_equal(w->genres[0], "Sci-Fi & Fantasy");
    assert_string_equal(w->genres[1], "Drama");
    assert_float_equal(w->rating, 8.456, 0);
    assert_int_equal(w->votes, 24000);
    assert_float_equal(w->popularity, 512.25, 0);
    assert_string_equal(w->release_date, "2011-04-17");
    assert_string_equal(w->media_status, "Ended");
    assert_string_equal(w->certification, "TV-MA");
    assert_string_equal(w->language, "en");
    assert_int_equal(w->runtime, 60);
    assert_int_equal(w->total_seasons, 8);
    assert_int_equal(w->requested_episodes, 30);
    assert_true(w->adult);
    assert_string_equal(w->overview, "Seven noble families fight.");
    assert_string_equal(w->poster_path, "/u3bZgnGQ9T01sWNhyveQz0wH0Hl.jpg");
    assert_int_equal(w->outcome, PS_OUTCOME_REVIEW);
    assert_string_equal(w->source, "ai");
    assert_string_equal(w->rule, "max_seasons");
    assert_string_equal(w->message_id, "rule.max_seasons");
    assert_int_equal(w->param_count, 4);
    assert_string_equal(w->params[0], "seasons");
    assert_string_equal(w->params[1], "8");
    assert_string_equal(w->params[2], "limit");
    assert_string_equal(w->params[3], "10");
    assert_string_equal(w->explanation, "Too many seasons.");
    assert_true(w->has_score);
    assert_float_equal(w->score, 0.42, 0);
    assert_true(w->has_ai_score);
    assert_float_equal(w->ai_score, 0.375, 0);
    assert_string_equal(w->model, "gpt-4o-mini");
    assert_int_equal(w->matched_count, 2);
    assert_string_equal(w->matched[0], "max_seasons");
    assert_string_equal(w->matched[1], "trusted_user");
    assert_string_equal(w->ruleset, "rs-0badc0de");
    assert_string_equal(w->reason, "enricher: TMDB timeout");
}

/* Every prefix of a valid frame must be refused without a crash, and so
   must the frame with one byte more. */
typedef int (*s_decode_fn)(zframe_t *frame, char *err, size_t errlen);

static void
s_assert_truncations_fail(zframe_t *good, s_decode_fn decode)
{
    size_t size = zframe_size(good);
    char err[256];
    assert_int_equal(decode(good, err, sizeof(err)), 0);
    for (size_t len = 0; len < size; len++) {
        zframe_t *cut = zframe_new(zframe_data(good), len);
        err[0] = '\0';
        if (decode(cut, err, sizeof(err)) != -1)
            fail_msg("a %zu-byte prefix of %zu was accepted", len, size);
        assert_string_not_equal(err, "");
        zframe_destroy(&cut);
    }
    unsigned char *longer = malloc(size + 1);
    memcpy(longer, zframe_data(good), size);
    longer[size] = 0xc0;
    zframe_t *extra = zframe_new(longer, size + 1);
    assert_int_equal(decode(extra, err, sizeof(err)), -1);
    zframe_destroy(&extra);
    free(longer);
}

static int
s_decode_work(zframe_t *frame, char *err, size_t errlen)
{
    ps_work_t *w = NULL;
    int rc = ps_work_decode(frame, &w, err, errlen);
    if (rc == 0)
        assert_non_null(w);
    else
        assert_null(w);
    ps_work_destroy(&w);
    return rc;
}

static int
s_decode_event(zframe_t *frame, char *err, size_t errlen)
{
    ps_event_t *e = NULL;
    int rc = ps_event_decode(frame, &e, err, errlen);
    assert_true(rc == 0 ? e != NULL : e == NULL);
    ps_event_destroy(&e);
    return rc;
}

static int
s_decode_usage(zframe_t *frame, char *err, size_t errlen)
{
    ps_usage_t *u = NULL;
    int rc = ps_usage_decode(frame, &u, err, errlen);
    assert_true(rc == 0 ? u != NULL : u == NULL);
    ps_usage_destroy(&u);
    return rc;
}

static int
s_decode_model(zframe_t *frame, char *err, size_t errlen)
{
    ps_model_t *m = NULL;
    int rc = ps_model_decode(frame, &m, err, errlen);
    assert_true(rc == 0 ? m != NULL : m == NULL);
    ps_model_destroy(&m);
    return rc;
}

static int
s_decode_ids(zframe_t *frame, char *err, size_t errlen)
{
    ps_ids_t *ids = NULL;
    int rc = ps_ids_decode(frame, NULL, &ids, err, errlen);
    assert_true(rc == 0 ? ids != NULL : ids == NULL);
    ps_ids_destroy(&ids);
    return rc;
}

static int
s_decode_catchup(zframe_t *frame, char *err, size_t errlen)
{
    int64_t since = 0;
    int64_t limit = 0;
    return ps_catchup_decode(frame, &since, &limit, err, errlen);
}

static int
s_decode_reply(zframe_t *frame, char *err, size_t errlen)
{
    int64_t count = 0;
    int64_t last = 0;
    return ps_catchup_reply_decode(frame, &count, &last, err, errlen);
}

static int
s_decode_command(zframe_t *frame, char *err, size_t errlen)
{
    ps_command_t *c = NULL;
    int rc = ps_command_decode(frame, &c, err, errlen);
    assert_true(rc == 0 ? c != NULL : c == NULL);
    ps_command_destroy(&c);
    return rc;
}

static int
s_decode_heartbeat(zframe_t *frame, char *err, size_t errlen)
{
    ps_heartbeat_t *h = NULL;
    int rc = ps_heartbeat_decode(frame, &h, err, errlen);
    assert_true(rc == 0 ? h != NULL : h == NULL);
    ps_heartbeat_destroy(&h);
    return rc;
}

static int
s_decode_status(zframe_t *frame, char *err, size_t errlen)
{
    ps_status_t *s = NULL;
    int rc = ps_status_decode(frame, &s, err, errlen);
    assert_true(rc == 0 ? s != NULL : s == NULL);
    ps_status_destroy(&s);
    return rc;
}

/* ---- work ------------------------------------------------------------- */

static void
test_ps_proto_work_round_trip_every_type(void **state)
{
    (void)state;
    static const char *types[] = {"request", "enriched", "undecided",
                                  "decision", "release"};
    for (size_t i = 0; i < 5; i++) {
        ps_work_t *w = s_full_work(types[i]);
        zframe_t *frame = s_frame(ps_work_encode(w));
        ps_work_t *back = NULL;
        char err[256] = "";
        assert_int_equal(ps_work_decode(frame, &back, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        s_assert_full_work(back, types[i]);
        ps_work_destroy(&back);
        zframe_destroy(&frame);
        ps_work_destroy(&w);
    }
}

static void
test_ps_proto_work_round_trip_minimal(void **state)
{
    (void)state;
    /* A release needs only the request id; absent fields stay empty. */
    ps_work_t *w = ps_work_new("release");
    w->request_id = 9;
    ps_work_set_str(&w->reason, "judge: LLM 429");
    zframe_t *frame = s_frame(ps_work_encode(w));
    ps_work_t *back = NULL;
    char err[256];
    assert_int_equal(ps_work_decode(frame, &back, err, sizeof(err)), 0);
    assert_string_equal(back->type, "release");
    assert_int_equal(back->request_id, 9);
    assert_string_equal(back->reason, "judge: LLM 429");
    assert_null(back->media_type);
    assert_null(back->title);
    assert_null(back->seasons);
    assert_null(back->genres);
    assert_null(back->params);
    assert_null(back->matched);
    assert_false(back->has_score);
    assert_false(back->has_ai_score);
    assert_false(back->is4k);
    assert_int_equal(back->outcome, PS_OUTCOME_NONE);
    ps_work_destroy(&back);
    zframe_destroy(&frame);
    ps_work_destroy(&w);

    /* A decision with a zero score still says it has one, and the
       explanation list may be empty. */
    w = ps_work_new("decision");
    w->request_id = 10;
    ps_work_set_str(&w->media_type, "movie");
    w->tmdb_id = 603;
    w->outcome = PS_OUTCOME_DECLINE;
    ps_work_set_str(&w->source, "rule");
    w->has_score = true;
    w->score = 0.0;
    w->params = calloc(1, sizeof(char *));
    frame = s_frame(ps_work_encode(w));
    assert_int_equal(ps_work_decode(frame, &back, err, sizeof(err)), 0);
    assert_int_equal(back->outcome, PS_OUTCOME_DECLINE);
    assert_string_equal(back->source, "rule");
    assert_true(back->has_score);
    assert_float_equal(back->score, 0.0, 0);
    assert_false(back->has_ai_score);
    assert_non_null(back->params);
    assert_int_equal(back->param_count, 0);
    ps_work_destroy(&back);
    zframe_destroy(&frame);
    ps_work_destroy(&w);
}

static void
test_ps_proto_work_dup_shares_nothing(void **state)
{
    (void)state;
    ps_work_t *w = s_full_work("enriched");
    ps_work_t *copy = ps_work_dup(w);
    assert_non_null(copy);
    s_assert_full_work(copy, "enriched");
    assert_ptr_not_equal(copy->title, w->title);
    assert_ptr_not_equal(copy->seasons, w->seasons);
    assert_ptr_not_equal(copy->genres, w->genres);
    assert_ptr_not_equal(copy->genres[0], w->genres[0]);
    assert_ptr_not_equal(copy->params, w->params);
    assert_ptr_not_equal(copy->matched, w->matched);
    /* Change everything in the copy... */
    ps_work_set_type(copy, "decision");
    ps_work_set_str(&copy->title, "Changed");
    copy->seasons[0] = 99;
    copy->genre_ids[0] = 1;
    copy->genres[1][0] = 'X';
    copy->params[0][0] = 'X';
    copy->matched[0][0] = 'X';
    ps_work_add_matched(copy, "another");
    ps_work_add_param(copy, "k", "v");
    copy->user_email[0] = 'X';
    /* ...and the original is as it was. */
    s_assert_full_work(w, "enriched");
    ps_work_destroy(&copy);
    s_assert_full_work(w, "enriched");
    ps_work_destroy(&w);
    /* An empty record duplicates too. */
    w = ps_work_new("request");
    copy = ps_work_dup(w);
    assert_non_null(copy);
    assert_string_equal(copy->type, "request");
    assert_null(copy->title);
    ps_work_destroy(&copy);
    ps_work_destroy(&w);
}

static void
test_ps_proto_work_destroy_null_and_twice(void **state)
{
    (void)state;
    ps_work_destroy(NULL);
    ps_work_t *w = NULL;
    ps_work_destroy(&w);
    w = s_full_work("request");
    ps_work_destroy(&w);
    assert_null(w);
    ps_work_destroy(&w);
    assert_null(w);
}

static void
test_ps_proto_work_outcome_words(void **state)
{
    (void)state;
    ps_outcome_t outcome = PS_OUTCOME_NONE;
    assert_int_equal(ps_outcome_parse("approve", &outcome), 0);
    assert_int_equal(outcome, PS_OUTCOME_APPROVE);
    assert_int_equal(ps_outcome_parse("decline", &outcome), 0);
    assert_int_equal(outcome, PS_OUTCOME_DECLINE);
    assert_int_equal(ps_outcome_parse("review", &outcome), 0);
    assert_int_equal(outcome, PS_OUTCOME_REVIEW);
    assert_int_equal(ps_outcome_parse("Approve", &outcome), -1);
    assert_int_equal(ps_outcome_parse("", &outcome), -1);
    assert_int_equal(ps_outcome_parse(NULL, &outcome), -1);
    assert_int_equal(outcome, PS_OUTCOME_REVIEW);
    assert_string_equal(ps_outcome_name(PS_OUTCOME_APPROVE), "approve");
    assert_string_equal(ps_outcome_name(PS_OUTCOME_NONE), "");
}

static void
test_ps_proto_work_truncated_and_garbage(void **state)
{
    (void)state;
    ps_work_t *w = s_full_work("decision");
    zframe_t *frame = s_frame(ps_work_encode(w));
    s_assert_truncations_fail(frame, s_decode_work);
    zframe_destroy(&frame);
    ps_work_destroy(&w);

    /* Deterministic pseudo-random garbage of many lengths. */
    uint32_t seed = 12345;
    unsigned char bytes[300];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 300);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            bytes[i] = (unsigned char)(seed >> 16);
        }
        /* Half the rounds start like a map so the parser goes deeper. */
        if (len > 0 && round % 2)
            bytes[0] = (unsigned char)(0x80 | (bytes[0] & 0x0f));
        zframe_t *junk = zframe_new(bytes, len);
        char err[256] = "";
        assert_int_equal(s_decode_work(junk, err, sizeof(err)), -1);
        assert_string_not_equal(err, "");
        zframe_destroy(&junk);
    }
}

static void
test_ps_proto_not_a_map(void **state)
{
    (void)state;
    static const unsigned char array[] = {0x92, 0x01, 0x02};
    zframe_t *frame = zframe_new(array, sizeof(array));
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "message is not a msgpack map");
    zframe_destroy(&frame);
    static const unsigned char never[] = {0xc1};
    frame = zframe_new(never, sizeof(never));
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "malformed msgpack (1 bytes): truncated, "
                             "trailing bytes or impossible lengths");
    zframe_destroy(&frame);
}

static void
test_ps_proto_huge_container_counts_rejected(void **state)
{
    (void)state;
    /* map32 claiming 2^32-1 entries in 10 bytes */
    static const unsigned char map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff,
                                          0xa1, 't',  0xa1, 'x',  0x00};
    assert_false(ps_mp_sane((const char *)map32, sizeof(map32)));
    /* array32 of 2^32-1 as the value of a field inside a valid-looking
       map: {"t":"claim","v":"1.0","ids":[...]} */
    static const unsigned char array32[] = {
        0x83, 0xa1, 't',  0xa5, 'c',  'l',  'a',  'i', 'm',
        0xa1, 'v',  0xa3, '1',  '.',  '0',  0xa3, 'i', 'd',
        's',  0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
    assert_false(ps_mp_sane((const char *)array32, sizeof(array32)));
    /* str32 / bin32 lengths past the end */
    static const unsigned char str32[] = {0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'};
    assert_false(ps_mp_sane((const char *)str32, sizeof(str32)));
    static const unsigned char bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
    assert_false(ps_mp_sane((const char *)bin32, sizeof(bin32)));
    /* Decoders refuse them with a message, never by allocating. */
    zframe_t *frame = zframe_new(map32, sizeof(map32));
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "malformed msgpack (10 bytes): truncated, "
                             "trailing bytes or impossible lengths");
    zframe_destroy(&frame);
    frame = zframe_new(array32, sizeof(array32));
    assert_int_equal(s_decode_ids(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "malformed msgpack (26 bytes): truncated, "
                             "trailing bytes or impossible lengths");
    zframe_destroy(&frame);
    /* The same shape with an honest count is fine. */
    static const unsigned char honest[] = {
        0x83, 0xa1, 't', 0xa5, 'c',  'l', 'a', 'i', 'm',  0xa1, 'v',
        0xa3, '1',  '.', '0',  0xa3, 'i', 'd', 's', 0x92, 0x01, 0x02};
    assert_true(ps_mp_sane((const char *)honest, sizeof(honest)));
    frame = zframe_new(honest, sizeof(honest));
    ps_ids_t *ids = NULL;
    assert_int_equal(ps_ids_decode(frame, "claim", &ids, err, sizeof(err)), 0);
    assert_int_equal(ids->count, 2);
    assert_int_equal(ids->ids[1], 2);
    ps_ids_destroy(&ids);
    zframe_destroy(&frame);
    assert_false(ps_mp_sane("", 0));
}

static void
test_ps_proto_deep_nesting_rejected(void **state)
{
    (void)state;
    /* {"t":"request","v":"1.0","request_id":1,"x":[[[[...]]]]} 200 deep */
    s_raw_t raw;
    s_raw_init(&raw, 4);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.0");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_str(&raw, "x");
    for (int i = 0; i < 200; i++)
        msgpack_pack_array(&raw.pk, i < 199 ? 1 : 0);
    zframe_t *frame = s_raw_frame(&raw);
    char err[256] = "";
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_not_equal(err, "");
    zframe_destroy(&frame);
}

static void
test_ps_proto_oversized_frame_rejected(void **state)
{
    (void)state;
    zframe_t *frame = zframe_new(NULL, PS_MP_MAX_FRAME + 1);
    memset(zframe_data(frame), 0, zframe_size(frame));
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "message of 4194305 bytes is over the "
                             "4194304-byte limit");
    zframe_destroy(&frame);
}

static void
test_ps_proto_newer_major_refused(void **state)
{
    (void)state;
    s_raw_t raw;
    s_raw_init(&raw, 5);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "2.0");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    zframe_t *frame = s_raw_frame(&raw);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "request message version 2.0 is newer than "
                             "this program reads (1.x)");
    zframe_destroy(&frame);

    s_raw_init(&raw, 3);
    s_raw_kv(&raw, "t", "heartbeat");
    s_raw_kv(&raw, "v", "3.1");
    s_raw_kv(&raw, "service", "x");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_heartbeat(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "heartbeat message version 3.1 is newer than "
                             "this program reads (1.x)");
    zframe_destroy(&frame);

    s_raw_init(&raw, 2);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "one");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "field `v`: expected \"major.minor\", got \"one\"");
    zframe_destroy(&frame);

    s_raw_init(&raw, 1);
    s_raw_kv(&raw, "v", "1.0");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `t`: missing");
    zframe_destroy(&frame);
}

static void
test_ps_proto_newer_minor_and_unknown_fields_accepted(void **state)
{
    (void)state;
    s_raw_t raw;
    s_raw_init(&raw, 7);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.7");
    s_raw_kv_int(&raw, "request_id", 77);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_str(&raw, "future_field");
    msgpack_pack_map(&raw.pk, 1);
    s_raw_str(&raw, "nested");
    msgpack_pack_array(&raw.pk, 2);
    msgpack_pack_double(&raw.pk, 1.5);
    msgpack_pack_nil(&raw.pk);
    msgpack_pack_int(&raw.pk, 5); /* a non-string key */
    msgpack_pack_true(&raw.pk);
    zframe_t *frame = s_raw_frame(&raw);
    ps_work_t *w = NULL;
    char err[256] = "";
    assert_int_equal(ps_work_decode(frame, &w, err, sizeof(err)), 0);
    assert_int_equal(w->request_id, 77);
    assert_string_equal(w->media_type, "movie");
    assert_int_equal(w->tmdb_id, 603);
    ps_work_destroy(&w);
    zframe_destroy(&frame);
}

static void
test_ps_proto_missing_required_field(void **state)
{
    (void)state;
    s_raw_t raw;
    s_raw_init(&raw, 4);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.0");
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    zframe_t *frame = s_raw_frame(&raw);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `request_id`: missing");
    zframe_destroy(&frame);

    /* nil counts as missing */
    s_raw_init(&raw, 5);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.0");
    s_raw_kv_int(&raw, "request_id", 3);
    s_raw_str(&raw, "media_type");
    msgpack_pack_nil(&raw.pk);
    s_raw_kv_int(&raw, "tmdb_id", 603);
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `media_type`: missing");
    zframe_destroy(&frame);

    /* a decision needs its outcome */
    ps_work_t *w = s_full_work("decision");
    w->outcome = PS_OUTCOME_NONE;
    frame = s_frame(ps_work_encode(w));
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `outcome`: missing");
    zframe_destroy(&frame);
    /* ...and an undecided one does not */
    ps_work_set_type(w, "undecided");
    frame = s_frame(ps_work_encode(w));
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), 0);
    zframe_destroy(&frame);
    ps_work_destroy(&w);
}

static void
test_ps_proto_mistyped_field(void **state)
{
    (void)state;
    s_raw_t raw;
    s_raw_init(&raw, 5);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.0");
    s_raw_kv(&raw, "request_id", "12");
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    zframe_t *frame = s_raw_frame(&raw);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `request_id`: expected an integer");
    zframe_destroy(&frame);

    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.0");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_str(&raw, "seasons");
    msgpack_pack_array(&raw.pk, 2);
    msgpack_pack_int(&raw.pk, 1);
    ps_mp_pack_str(&raw.pk, "two");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `seasons`[1]: expected an integer");
    zframe_destroy(&frame);

    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "request");
    s_raw_kv(&raw, "v", "1.0");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_kv(&raw, "is4k", "yes");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `is4k`: expected true or false");
    zframe_destroy(&frame);
}

static void
test_ps_proto_work_genre_mismatch(void **state)
{
    (void)state;
    ps_work_t *w = s_full_work("enriched");
    /* Three ids for two names. */
    w->genre_ids = realloc(w->genre_ids, 4 * sizeof(int64_t));
    w->genre_ids[2] = 99;
    ps_mp_writer_t writer;
    ps_mp_writer_init(&writer, "enriched", 0);
    ps_mp_kv_int(&writer, "request_id", 1);
    ps_mp_kv_str(&writer, "media_type", "tv");
    ps_mp_kv_int(&writer, "tmdb_id", 1399);
    ps_mp_kv_ints(&writer, "genre_ids", w->genre_ids, 3);
    ps_mp_kv_strs(&writer, "genres", w->genres, 2);
    zframe_t *frame = ps_mp_writer_frame(&writer);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `genres`: 2 names but 3 ids in genre_ids");
    zframe_destroy(&frame);
    ps_work_destroy(&w);
}

static void
test_ps_proto_work_invalid_outcome_and_params(void **state)
{
    (void)state;
    ps_mp_writer_t writer;
    ps_mp_writer_init(&writer, "decision", 0);
    ps_mp_kv_int(&writer, "request_id", 1);
    ps_mp_kv_str(&writer, "media_type", "movie");
    ps_mp_kv_int(&writer, "tmdb_id", 603);
    ps_mp_kv_str(&writer, "outcome", "maybe");
    ps_mp_kv_str(&writer, "source", "rule");
    zframe_t *frame = ps_mp_writer_frame(&writer);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `outcome`: expected approve, decline or "
                             "review, got \"maybe\"");
    zframe_destroy(&frame);

    char *odd[] = {"key", "value", "lonely"};
    ps_mp_writer_init(&writer, "decision", 0);
    ps_mp_kv_int(&writer, "request_id", 1);
    ps_mp_kv_str(&writer, "media_type", "movie");
    ps_mp_kv_int(&writer, "tmdb_id", 603);
    ps_mp_kv_str(&writer, "outcome", "approve");
    ps_mp_kv_str(&writer, "source", "rule");
    ps_mp_kv_strs(&writer, "params", odd, 3);
    frame = ps_mp_writer_frame(&writer);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `params`: expected key/value pairs");
    zframe_destroy(&frame);
}

static void
test_ps_proto_wrong_message_type(void **state)
{
    (void)state;
    ps_usage_t *u = ps_usage_new();
    u->request_id = 1;
    zframe_t *frame = s_frame(ps_usage_encode(u));
    ps_usage_destroy(&u);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "expected a work message, got usage");
    assert_int_equal(s_decode_event(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "expected a event message, got usage");
    assert_int_equal(s_decode_ids(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "expected an id list message, got usage");
    assert_int_equal(s_decode_model(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "expected a model message, got usage");
    assert_int_equal(s_decode_heartbeat(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "expected a heartbeat message, got usage");
    assert_int_equal(s_decode_status(frame, err, sizeof(err)), -1);
    assert_int_equal(s_decode_command(frame, err, sizeof(err)), -1);
    assert_int_equal(s_decode_catchup(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "expected a catchup message, got usage");
    assert_int_equal(s_decode_reply(frame, err, sizeof(err)), -1);
    char type[32];
    assert_int_equal(ps_mp_peek_type(frame, type, sizeof(type)), 0);
    assert_string_equal(type, "usage");
    zframe_destroy(&frame);

    ps_ids_t *claim = ps_ids_new("claim", 1, false);
    claim->ids[0] = 5;
    frame = s_frame(ps_ids_encode(claim));
    ps_ids_destroy(&claim);
    ps_ids_t *ids = NULL;
    assert_int_equal(ps_ids_decode(frame, "granted", &ids, err, sizeof(err)),
                     -1);
    assert_null(ids);
    assert_string_equal(err, "expected a granted message, got claim");
    zframe_destroy(&frame);

    static const unsigned char junk[] = {0x01, 0x02};
    frame = zframe_new(junk, sizeof(junk));
    assert_int_equal(ps_mp_peek_type(frame, type, sizeof(type)), -1);
    zframe_destroy(&frame);
}

/* ---- facts ------------------------------------------------------------ */

static void
test_ps_proto_event_round_trip(void **state)
{
    (void)state;
    ps_event_t *e = ps_event_new();
    e->seq = 123456789012LL;
    e->kind = strdup("staff");
    e->request_id = 42;
    e->at = 1748765560123LL;
    e->outcome = strdup("approve");
    e->source = strdup("staff");
    e->actor = strdup("admin");
    e->title = strdup("The Matrix");
    e->media_type = strdup("movie");
    e->user_name = strdup("Family User");
    e->rule = strdup("allowed_genres");
    e->explanation = strdup("Staff approved it.");
    e->has_score = true;
    e->score = 0.91;
    e->inputs = strdup("{\"rating\":8.2}");
    e->reason = strdup("looks fine");
    zframe_t *frame = ps_event_encode(e);
    assert_non_null(frame);
    ps_event_t *back = NULL;
    char err[256];
    assert_int_equal(ps_event_decode(frame, &back, err, sizeof(err)), 0);
    assert_true(back->seq == 123456789012LL);
    assert_string_equal(back->kind, "staff");
    assert_int_equal(back->request_id, 42);
    assert_true(back->at == 1748765560123LL);
    assert_string_equal(back->outcome, "approve");
    assert_string_equal(back->source, "staff");
    assert_string_equal(back->actor, "admin");
    assert_string_equal(back->title, "The Matrix");
    assert_string_equal(back->media_type, "movie");
    assert_string_equal(back->user_name, "Family User");
    assert_string_equal(back->rule, "allowed_genres");
    assert_string_equal(back->explanation, "Staff approved it.");
    assert_true(back->has_score);
    assert_float_equal(back->score, 0.91, 0);
    assert_string_equal(back->inputs, "{\"rating\":8.2}");
    assert_string_equal(back->reason, "looks fine");
    ps_event_destroy(&back);
    s_assert_truncations_fail(frame, s_decode_event);
    zframe_destroy(&frame);

    /* Without a score and optional strings. */
    ps_event_t *bare = ps_event_new();
    bare->seq = 1;
    bare->kind = strdup("applied");
    bare->request_id = 2;
    bare->at = 3;
    frame = ps_event_encode(bare);
    assert_int_equal(ps_event_decode(frame, &back, err, sizeof(err)), 0);
    assert_false(back->has_score);
    assert_null(back->outcome);
    assert_null(back->reason);
    assert_string_equal(back->kind, "applied");
    ps_event_destroy(&back);
    zframe_destroy(&frame);
    /* kind is required */
    free(bare->kind);
    bare->kind = NULL;
    frame = ps_event_encode(bare);
    assert_int_equal(s_decode_event(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `kind`: missing");
    zframe_destroy(&frame);
    ps_event_destroy(&bare);
    ps_event_destroy(&e);
    ps_event_destroy(&e);
    ps_event_destroy(NULL);
}

static void
test_ps_proto_usage_round_trip(void **state)
{
    (void)state;
    ps_usage_t *u = ps_usage_new();
    u->request_id = 42;
    u->model = strdup("gpt-4o-mini-2024-07-18");
    u->prompt_tokens = 812;
    u->completion_tokens = 97;
    u->cached_tokens = 512;
    u->cost_usd = 0.000183;
    u->latency_ms = 1432;
    u->http_status = 200;
    u->ok = true;
    u->at = 1748765560000LL;
    u->instance = strdup("ai-judge@host:77");
    zframe_t *frame = s_frame(ps_usage_encode(u));
    ps_usage_t *back = NULL;
    char err[256];
    assert_int_equal(ps_usage_decode(frame, &back, err, sizeof(err)), 0);
    assert_int_equal(back->request_id, 42);
    assert_string_equal(back->model, "gpt-4o-mini-2024-07-18");
    assert_int_equal(back->prompt_tokens, 812);
    assert_int_equal(back->completion_tokens, 97);
    assert_int_equal(back->cached_tokens, 512);
    assert_float_equal(back->cost_usd, 0.000183, 0);
    assert_int_equal(back->latency_ms, 1432);
    assert_int_equal(back->http_status, 200);
    assert_true(back->ok);
    assert_true(back->at == 1748765560000LL);
    assert_string_equal(back->instance, "ai-judge@host:77");
    ps_usage_destroy(&back);
    s_assert_truncations_fail(frame, s_decode_usage);
    zframe_destroy(&frame);
    ps_usage_destroy(&u);
    ps_usage_destroy(&u);
    ps_usage_destroy(NULL);
}

static void
test_ps_proto_model_round_trip_binary(void **state)
{
    (void)state;
    ps_model_t *m = ps_model_new();
    m->version = 12;
    m->kind = strdup("logistic");
    m->examples = 3456;
    m->trained_at = 1748765560000LL;
    m->blob_len = 1000;
    m->blob = malloc(m->blob_len);
    for (size_t i = 0; i < m->blob_len; i++)
        m->blob[i] = (unsigned char)(i * 7 % 256); /* NULs included */
    zframe_t *frame = s_frame(ps_model_encode(m));
    ps_model_t *back = NULL;
    char err[256];
    assert_int_equal(ps_model_decode(frame, &back, err, sizeof(err)), 0);
    assert_int_equal(back->version, 12);
    assert_string_equal(back->kind, "logistic");
    assert_int_equal(back->examples, 3456);
    assert_true(back->trained_at == 1748765560000LL);
    assert_int_equal(back->blob_len, 1000);
    assert_memory_equal(back->blob, m->blob, 1000);
    ps_model_destroy(&back);
    s_assert_truncations_fail(frame, s_decode_model);
    zframe_destroy(&frame);

    /* An empty blob is still a blob. */
    free(m->blob);
    m->blob = NULL;
    m->blob_len = 0;
    frame = s_frame(ps_model_encode(m));
    assert_int_equal(ps_model_decode(frame, &back, err, sizeof(err)), 0);
    assert_int_equal(back->blob_len, 0);
    assert_non_null(back->blob);
    ps_model_destroy(&back);
    zframe_destroy(&frame);

    /* A string where the blob should be. */
    ps_mp_writer_t writer;
    ps_mp_writer_init(&writer, "model", 0);
    ps_mp_kv_int(&writer, "version", 1);
    ps_mp_kv_str(&writer, "kind", "logistic");
    ps_mp_kv_str(&writer, "blob", "not binary");
    frame = ps_mp_writer_frame(&writer);
    assert_int_equal(s_decode_model(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `blob`: expected binary data");
    zframe_destroy(&frame);
    ps_model_destroy(&m);
    ps_model_destroy(&m);
    ps_model_destroy(NULL);
}

/* ---- control ---------------------------------------------------------- */

static void
test_ps_proto_ids_round_trip_every_type(void **state)
{
    (void)state;
    static const char *types[] = {"claim", "granted", "pending", "check",
                                  "elsewhere"};
    for (size_t t = 0; t < 5; t++) {
        for (int with_values = 0; with_values < 2; with_values++) {
            ps_ids_t *ids = ps_ids_new(types[t], 3, with_values);
            assert_non_null(ids);
            ids->ids[0] = 1;
            ids->ids[1] = 1LL << 40;
            ids->ids[2] = 77;
            if (with_values) {
                ids->values[0] = 2;
                ids->values[1] = 3;
                ids->values[2] = 5;
            }
            if (t % 2)
                ids->owner = strdup("poller@host:1");
            zframe_t *frame = s_frame(ps_ids_encode(ids));
            ps_ids_t *back = NULL;
            char err[256];
            assert_int_equal(
                ps_ids_decode(frame, types[t], &back, err, sizeof(err)), 0);
            assert_string_equal(back->type, types[t]);
            assert_int_equal(back->count, 3);
            assert_int_equal(back->ids[0], 1);
            assert_true(back->ids[1] == 1LL << 40);
            assert_int_equal(back->ids[2], 77);
            if (with_values) {
                assert_non_null(back->values);
                assert_int_equal(back->values[0], 2);
                assert_int_equal(back->values[1], 3);
                assert_int_equal(back->values[2], 5);
            } else
                assert_null(back->values);
            if (t % 2)
                assert_string_equal(back->owner, "poller@host:1");
            else
                assert_null(back->owner);
            ps_ids_destroy(&back);
            if (t == 0 && with_values)
                s_assert_truncations_fail(frame, s_decode_ids);
            zframe_destroy(&frame);
            ps_ids_destroy(&ids);
            ps_ids_destroy(&ids);
        }
    }
    /* An empty list is a list. */
    ps_ids_t *empty = ps_ids_new("pending", 0, false);
    zframe_t *frame = s_frame(ps_ids_encode(empty));
    ps_ids_t *back = NULL;
    char err[256];
    assert_int_equal(ps_ids_decode(frame, NULL, &back, err, sizeof(err)), 0);
    assert_int_equal(back->count, 0);
    ps_ids_destroy(&back);
    zframe_destroy(&frame);
    ps_ids_destroy(&empty);
    ps_ids_destroy(NULL);
}

static void
test_ps_proto_ids_values_length_mismatch(void **state)
{
    (void)state;
    int64_t ids[] = {1, 2};
    int64_t values[] = {3};
    ps_mp_writer_t writer;
    ps_mp_writer_init(&writer, "elsewhere", 0);
    ps_mp_kv_ints(&writer, "ids", ids, 2);
    ps_mp_kv_ints(&writer, "values", values, 1);
    zframe_t *frame = ps_mp_writer_frame(&writer);
    char err[256];
    assert_int_equal(s_decode_ids(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `values`: 1 values for 2 ids");
    zframe_destroy(&frame);
    ps_mp_writer_init(&writer, "claim", 0);
    ps_mp_kv_str(&writer, "owner", "me");
    frame = ps_mp_writer_frame(&writer);
    assert_int_equal(s_decode_ids(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `ids`: missing");
    zframe_destroy(&frame);
}

static void
test_ps_proto_catchup_round_trip(void **state)
{
    (void)state;
    zframe_t *frame = s_frame(ps_catchup_encode(41, 500));
    int64_t since = 0;
    int64_t limit = 0;
    char err[256];
    assert_int_equal(ps_catchup_decode(frame, &since, &limit, err, sizeof(err)),
                     0);
    assert_int_equal(since, 41);
    assert_int_equal(limit, 500);
    s_assert_truncations_fail(frame, s_decode_catchup);
    zframe_destroy(&frame);

    ps_mp_writer_t writer;
    ps_mp_writer_init(&writer, "catchup", 0);
    ps_mp_kv_int(&writer, "since", 3);
    frame = ps_mp_writer_frame(&writer);
    assert_int_equal(s_decode_catchup(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `limit`: missing");
    zframe_destroy(&frame);
}

static void
test_ps_proto_catchup_reply_round_trip(void **state)
{
    (void)state;
    zmsg_t *reply = ps_catchup_reply_new(2, 43);
    assert_non_null(reply);
    for (int64_t seq = 42; seq <= 43; seq++) {
        ps_event_t *e = ps_event_new();
        e->seq = seq;
        e->kind = strdup("decision");
        e->request_id = seq * 10;
        e->at = 1000 + seq;
        zframe_t *frame = ps_event_encode(e);
        zmsg_append(reply, &frame);
        ps_event_destroy(&e);
    }
    assert_int_equal(zmsg_size(reply), 3);
    zframe_t *head = zmsg_pop(reply);
    int64_t count = 0;
    int64_t last = 0;
    char err[256];
    assert_int_equal(
        ps_catchup_reply_decode(head, &count, &last, err, sizeof(err)), 0);
    assert_int_equal(count, 2);
    assert_int_equal(last, 43);
    s_assert_truncations_fail(head, s_decode_reply);
    zframe_destroy(&head);
    for (int64_t seq = 42; seq <= 43; seq++) {
        zframe_t *frame = zmsg_pop(reply);
        ps_event_t *e = NULL;
        assert_int_equal(ps_event_decode(frame, &e, err, sizeof(err)), 0);
        assert_int_equal(e->seq, seq);
        assert_int_equal(e->request_id, seq * 10);
        assert_int_equal(e->at, 1000 + seq);
        assert_string_equal(e->kind, "decision");
        ps_event_destroy(&e);
        zframe_destroy(&frame);
    }
    zmsg_destroy(&reply);
}

static void
test_ps_proto_command_round_trip(void **state)
{
    (void)state;
    static const char *verbs[] = {"scan", "hint", "rejudge"};
    for (size_t i = 0; i < 3; i++) {
        ps_command_t *c = ps_command_new(verbs[i], 4242, "webhook said so");
        zframe_t *frame = s_frame(ps_command_encode(c));
        ps_command_t *back = NULL;
        char err[256];
        assert_int_equal(ps_command_decode(frame, &back, err, sizeof(err)), 0);
        assert_string_equal(back->verb, verbs[i]);
        assert_int_equal(back->request_id, 4242);
        assert_string_equal(back->reason, "webhook said so");
        ps_command_destroy(&back);
        if (i == 1)
            s_assert_truncations_fail(frame, s_decode_command);
        zframe_destroy(&frame);
        ps_command_destroy(&c);
        ps_command_destroy(&c);
    }
    ps_command_t *c = ps_command_new("dance", 0, NULL);
    assert_null(c->reason);
    zframe_t *frame = s_frame(ps_command_encode(c));
    char err[256];
    assert_int_equal(s_decode_command(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `verb`: expected scan, hint or rejudge, "
                             "got \"dance\"");
    zframe_destroy(&frame);
    ps_command_destroy(&c);
    ps_command_destroy(NULL);
}

static void
test_ps_proto_heartbeat_round_trip(void **state)
{
    (void)state;
    ps_heartbeat_t *h = ps_heartbeat_new();
    h->service = strdup("enricher");
    h->instance = strdup("enricher@box:31337");
    h->pid = 31337;
    h->at = 1748765560000LL;
    h->started_at = 1748765500000LL;
    h->config_version = strdup("00ff00ff00ff00ff");
    h->config_error = strdup("config.yaml:3:5: demo: expected true or false");
    zframe_t *frame = s_frame(ps_heartbeat_encode(h));
    ps_heartbeat_t *back = NULL;
    char err[256];
    assert_int_equal(ps_heartbeat_decode(frame, &back, err, sizeof(err)), 0);
    assert_string_equal(back->service, "enricher");
    assert_string_equal(back->instance, "enricher@box:31337");
    assert_int_equal(back->pid, 31337);
    assert_true(back->at == 1748765560000LL);
    assert_true(back->started_at == 1748765500000LL);
    assert_string_equal(back->config_version, "00ff00ff00ff00ff");
    assert_string_equal(back->config_error,
                        "config.yaml:3:5: demo: expected true or false");
    ps_heartbeat_destroy(&back);
    s_assert_truncations_fail(frame, s_decode_heartbeat);
    zframe_destroy(&frame);
    free(h->config_error);
    h->config_error = NULL;
    frame = s_frame(ps_heartbeat_encode(h));
    assert_int_equal(ps_heartbeat_decode(frame, &back, err, sizeof(err)), 0);
    assert_null(back->config_error);
    ps_heartbeat_destroy(&back);
    zframe_destroy(&frame);
    ps_heartbeat_destroy(&h);
    ps_heartbeat_destroy(&h);
    ps_heartbeat_destroy(NULL);
}

static void
test_ps_proto_status_round_trip(void **state)
{
    (void)state;
    ps_status_t *s = ps_status_new();
    s->service = strdup("poller");
    s->instance = strdup("poller@box:1");
    s->at = 1748765560000LL;
    s->scan_running = true;
    s->done = 12;
    s->total = 40;
    s->breaker = strdup("open");
    s->detail = strdup("Overseerr 503 x3");
    zframe_t *frame = s_frame(ps_status_encode(s));
    ps_status_t *back = NULL;
    char err[256];
    assert_int_equal(ps_status_decode(frame, &back, err, sizeof(err)), 0);
    assert_string_equal(back->service, "poller");
    assert_string_equal(back->instance, "poller@box:1");
    assert_true(back->at == 1748765560000LL);
    assert_true(back->scan_running);
    assert_int_equal(back->done, 12);
    assert_int_equal(back->total, 40);
    assert_string_equal(back->breaker, "open");
    assert_string_equal(back->detail, "Overseerr 503 x3");
    ps_status_destroy(&back);
    s_assert_truncations_fail(frame, s_decode_status);
    zframe_destroy(&frame);
    ps_status_destroy(&s);
    ps_status_destroy(&s);
    ps_status_destroy(NULL);
}

/* ---- heartbeat sender and REQ client ---------------------------------- */

static void
test_ps_proto_beat_tick_sends_when_due(void **state)
{
    (void)state;
    zsock_t *pull = zsock_new_pull("@inproc://test-beat");
    zsock_t *push = zsock_new_push(">inproc://test-beat");
    assert_non_null(pull);
    assert_non_null(push);
    zsock_set_rcvtimeo(pull, 5000);
    ps_beat_t *beat = ps_beat_new("tester");
    assert_non_null(beat);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), ":%d", (int)getpid());
    const char *instance = ps_beat_instance(beat);
    assert_memory_equal(instance, "tester@", 7);
    assert_string_equal(instance + strlen(instance) - strlen(prefix), prefix);
    ps_beat_set_config(beat, "abcdef0123456789", "bad reload");

    assert_int_equal(ps_beat_tick(beat, push), 0);
    zmsg_t *msg = zmsg_recv(pull);
    assert_non_null(msg);
    zframe_t *frame = s_frame(msg);
    ps_heartbeat_t *h = NULL;
    char err[256];
    assert_int_equal(ps_heartbeat_decode(frame, &h, err, sizeof(err)), 0);
    assert_string_equal(h->service, "tester");
    assert_string_equal(h->instance, instance);
    assert_int_equal(h->pid, getpid());
    assert_string_equal(h->config_version, "abcdef0123456789");
    assert_string_equal(h->config_error, "bad reload");
    assert_true(h->started_at > 0);
    assert_true(h->at >= h->started_at);
    ps_heartbeat_destroy(&h);
    zframe_destroy(&frame);

    /* Not due again right away. */
    assert_true(ps_beat_wait_ms(beat) > 0);
    assert_true(ps_beat_wait_ms(beat) <= PS_BEAT_INTERVAL_MS);
    assert_int_equal(ps_beat_tick(beat, push), 0);
    zsock_set_rcvtimeo(pull, 100);
    msg = zmsg_recv(pull);
    assert_null(msg);

    /* A config change makes a beat due at once; an empty error is none. */
    ps_beat_set_config(beat, "1111222233334444", "");
    assert_int_equal(ps_beat_wait_ms(beat), 0);
    assert_int_equal(ps_beat_tick(beat, push), 0);
    zsock_set_rcvtimeo(pull, 5000);
    frame = s_frame(zmsg_recv(pull));
    assert_int_equal(ps_heartbeat_decode(frame, &h, err, sizeof(err)), 0);
    assert_string_equal(h->config_version, "1111222233334444");
    assert_null(h->config_error);
    ps_heartbeat_destroy(&h);
    zframe_destroy(&frame);

    ps_beat_destroy(&beat);
    assert_null(beat);
    ps_beat_destroy(&beat);
    ps_beat_destroy(NULL);
    zsock_destroy(&push);
    zsock_destroy(&pull);
}

/* A REP server that answers each request with "echo:" + its first frame,
   until the pipe says $TERM. */
static void
s_echo_actor(zsock_t *pipe, void *args)
{
    zsock_t *rep = zsock_new_rep((const char *)args);
    zsock_signal(pipe, rep ? 0 : 1);
    if (!rep)
        return;
    zpoller_t *poller = zpoller_new(pipe, rep, NULL);
    while (true) {
        zsock_t *which = zpoller_wait(poller, -1);
        if (which == rep) {
            zmsg_t *msg = zmsg_recv(rep);
            char *text = msg ? zmsg_popstr(msg) : NULL;
            zmsg_destroy(&msg);
            zstr_sendf(rep, "echo:%s", text ? text : "");
            zstr_free(&text);
        } else
            break; /* $TERM or interrupted */
    }
    zpoller_destroy(&poller);
    zsock_destroy(&rep);
}

static void
test_ps_proto_req_call_echo(void **state)
{
    (void)state;
    zactor_t *server = zactor_new(s_echo_actor, "@inproc://test-req-echo");
    assert_non_null(server);
    char err[256];
    ps_req_t *req =
        ps_req_new(NULL, "inproc://test-req-echo", err, sizeof(err));
    assert_non_null(req);
    for (int i = 0; i < 3; i++) {
        zmsg_t *request = zmsg_new();
        zmsg_addstrf(request, "ping-%d", i);
        zmsg_t *reply = ps_req_call(req, &request, 5000);
        assert_null(request);
        assert_non_null(reply);
        char *text = zmsg_popstr(reply);
        char want[32];
        snprintf(want, sizeof(want), "echo:ping-%d", i);
        assert_string_equal(text, want);
        zstr_free(&text);
        zmsg_destroy(&reply);
    }
    ps_req_destroy(&req);
    assert_null(req);
    ps_req_destroy(&req);
    ps_req_destroy(NULL);
    zactor_destroy(&server);
}

/* Send and receive apart, with work in between; a request given up
   (cancel, or a second send) never leaks its answer into the next one. */
static void
test_ps_proto_req_send_then_recv(void **state)
{
    (void)state;
    zactor_t *server = zactor_new(s_echo_actor, "@inproc://test-req-split");
    assert_non_null(server);
    char err[256];
    ps_req_t *req =
        ps_req_new(NULL, "inproc://test-req-split", err, sizeof(err));
    assert_non_null(req);
    assert_null(ps_req_recv(req, 100));
    const char *asks[] = {"first", "dropped", "second", "third"};
    for (size_t i = 0; i < 4; i++) {
        zmsg_t *request = zmsg_new();
        zmsg_addstr(request, asks[i]);
        assert_int_equal(ps_req_send(req, &request), 0);
        assert_null(request);
        assert_true(ps_req_awaiting(req));
        if (i == 1) {
            zclock_sleep(50); /* its answer arrives, unread */
            ps_req_cancel(req);
            assert_false(ps_req_awaiting(req));
            continue;
        }
        if (i == 2)
            continue; /* the next send gives this one up */
        zmsg_t *reply = ps_req_recv(req, 5000);
        assert_non_null(reply);
        assert_false(ps_req_awaiting(req));
        char *text = zmsg_popstr(reply);
        char want[32];
        snprintf(want, sizeof(want), "echo:%s", asks[i]);
        assert_string_equal(text, want);
        zstr_free(&text);
        zmsg_destroy(&reply);
    }
    ps_req_destroy(&req);
    zactor_destroy(&server);
}

static void
test_ps_proto_req_call_dead_then_alive(void **state)
{
    (void)state;
    char err[256];
    ps_req_t *req =
        ps_req_new(NULL, "inproc://test-req-late", err, sizeof(err));
    assert_non_null(req);
    zmsg_t *request = zmsg_new();
    zmsg_addstr(request, "anyone?");
    zmsg_t *reply = ps_req_call(req, &request, 200);
    assert_null(reply);
    assert_null(request);

    /* The server appears; the client's fresh socket reaches it. */
    zactor_t *server = zactor_new(s_echo_actor, "@inproc://test-req-late");
    assert_non_null(server);
    request = zmsg_new();
    zmsg_addstr(request, "now?");
    reply = ps_req_call(req, &request, 5000);
    assert_non_null(reply);
    char *text = zmsg_popstr(reply);
    assert_string_equal(text, "echo:now?");
    zstr_free(&text);
    zmsg_destroy(&reply);
    ps_req_destroy(&req);
    zactor_destroy(&server);
}

/* ---- v1.1: the rule engine's inputs and the history request ---------- */

/* Sets every field v 1.1 added. */
static void
s_set_v11_fields(ps_work_t *w)
{
    w->keyword_count = 3;
    w->keywords = calloc(4, sizeof(char *));
    w->keywords[0] = strdup("dragon");
    w->keywords[1] = strdup("based on novel or book");
    w->keywords[2] = strdup("caf\xc3\xa9");
    w->certification_count = 2;
    w->certifications = calloc(3, sizeof(char *));
    w->certifications[0] = strdup("US:TV-MA");
    w->certifications[1] = strdup("GB:18");
    w->total_episodes = 73;
    w->has_quota = true;
    w->quota_movie_limit = 10;
    w->quota_movie_used = 3;
    w->quota_movie_days = 7;
    w->quota_tv_limit = 20;
    w->quota_tv_used = 21;
    w->quota_tv_days = 14;
    w->has_history = true;
    w->history_week = 5;
    w->history_approved = 40;
    w->history_declined = 2;
}

static void
s_assert_v11_fields(const ps_work_t *w)
{
    assert_int_equal(w->keyword_count, 3);
    assert_string_equal(w->keywords[0], "dragon");
    assert_string_equal(w->keywords[1], "based on novel or book");
    assert_string_equal(w->keywords[2], "caf\xc3\xa9");
    assert_int_equal(w->certification_count, 2);
    assert_string_equal(w->certifications[0], "US:TV-MA");
    assert_string_equal(w->certifications[1], "GB:18");
    assert_int_equal(w->total_episodes, 73);
    assert_true(w->has_quota);
    assert_int_equal(w->quota_movie_limit, 10);
    assert_int_equal(w->quota_movie_used, 3);
    assert_int_equal(w->quota_movie_days, 7);
    assert_int_equal(w->quota_tv_limit, 20);
    assert_int_equal(w->quota_tv_used, 21);
    assert_int_equal(w->quota_tv_days, 14);
    assert_true(w->has_history);
    assert_int_equal(w->history_week, 5);
    assert_int_equal(w->history_approved, 40);
    assert_int_equal(w->history_declined, 2);
}

static void
test_ps_proto_work_v11_round_trip_every_type(void **state)
{
    (void)state;
    static const char *types[] = {"request", "enriched", "undecided",
                                  "decision", "release"};
    for (size_t i = 0; i < 5; i++) {
        ps_work_t *w = s_full_work(types[i]);
        s_set_v11_fields(w);
        zframe_t *frame = s_frame(ps_work_encode(w));
        ps_work_t *back = NULL;
        char err[256] = "";
        assert_int_equal(ps_work_decode(frame, &back, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        s_assert_full_work(back, types[i]);
        s_assert_v11_fields(back);
        if (i == 1)
            s_assert_truncations_fail(frame, s_decode_work);
        ps_work_destroy(&back);
        zframe_destroy(&frame);
        ps_work_destroy(&w);
    }
}

static void
test_ps_proto_work_v11_absent_and_zero(void **state)
{
    (void)state;
    /* A 1.0 record (no v 1.1 field): unknown everywhere. */
    ps_work_t *w = s_full_work("enriched");
    zframe_t *frame = s_frame(ps_work_encode(w));
    ps_work_t *back = NULL;
    char err[256];
    assert_int_equal(ps_work_decode(frame, &back, err, sizeof(err)), 0);
    assert_null(back->keywords);
    assert_int_equal(back->keyword_count, 0);
    assert_null(back->certifications);
    assert_int_equal(back->certification_count, 0);
    assert_int_equal(back->total_episodes, 0);
    assert_false(back->has_quota);
    assert_false(back->has_history);
    ps_work_destroy(&back);
    zframe_destroy(&frame);

    /* Known and empty or zero: empty lists stay lists, and a known quota
       of all zeros (unlimited, nothing used, no window) and an empty
       history still say they are known. */
    w->keywords = calloc(1, sizeof(char *));
    w->certifications = calloc(1, sizeof(char *));
    w->has_quota = true;
    w->has_history = true;
    frame = s_frame(ps_work_encode(w));
    assert_int_equal(ps_work_decode(frame, &back, err, sizeof(err)), 0);
    assert_non_null(back->keywords);
    assert_int_equal(back->keyword_count, 0);
    assert_non_null(back->certifications);
    assert_int_equal(back->certification_count, 0);
    assert_true(back->has_quota);
    assert_int_equal(back->quota_movie_limit, 0);
    assert_int_equal(back->quota_tv_days, 0);
    assert_true(back->has_history);
    assert_int_equal(back->history_week, 0);
    ps_work_destroy(&back);
    zframe_destroy(&frame);
    ps_work_destroy(&w);
}

static void
test_ps_proto_work_v11_dup_shares_nothing(void **state)
{
    (void)state;
    ps_work_t *w = s_full_work("enriched");
    s_set_v11_fields(w);
    ps_work_t *copy = ps_work_dup(w);
    assert_non_null(copy);
    s_assert_v11_fields(copy);
    assert_ptr_not_equal(copy->keywords, w->keywords);
    assert_ptr_not_equal(copy->keywords[0], w->keywords[0]);
    assert_ptr_not_equal(copy->certifications, w->certifications);
    assert_ptr_not_equal(copy->certifications[0], w->certifications[0]);
    copy->keywords[0][0] = 'X';
    copy->certifications[0][0] = 'X';
    copy->quota_tv_used = 0;
    copy->history_week = 0;
    s_assert_v11_fields(w);
    ps_work_destroy(&copy);
    s_assert_v11_fields(w);
    ps_work_destroy(&w);
}

static void
test_ps_proto_work_v11_mistyped_fields(void **state)
{
    (void)state;
    s_raw_t raw;
    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "enriched");
    s_raw_kv(&raw, "v", "1.1");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_str(&raw, "keywords");
    msgpack_pack_array(&raw.pk, 2);
    ps_mp_pack_str(&raw.pk, "heist");
    msgpack_pack_int(&raw.pk, 3);
    zframe_t *frame = s_raw_frame(&raw);
    char err[256];
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `keywords`[1]: expected a string");
    zframe_destroy(&frame);

    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "enriched");
    s_raw_kv(&raw, "v", "1.1");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_kv(&raw, "certifications", "US:R");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "field `certifications`: expected a list of strings");
    zframe_destroy(&frame);

    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "enriched");
    s_raw_kv(&raw, "v", "1.1");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_kv(&raw, "quota_movie_limit", "10");
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `quota_movie_limit`: expected an integer");
    zframe_destroy(&frame);

    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "enriched");
    s_raw_kv(&raw, "v", "1.1");
    s_raw_kv_int(&raw, "request_id", 1);
    s_raw_kv(&raw, "media_type", "movie");
    s_raw_kv_int(&raw, "tmdb_id", 603);
    s_raw_kv_int(&raw, "has_history", 1);
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_work(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "field `has_history`: expected true or false");
    zframe_destroy(&frame);
}

static int
s_decode_history_ask(zframe_t *frame, char *err, size_t errlen)
{
    int64_t user = 0;
    int64_t request = 0;
    int64_t since = 0;
    return ps_history_ask_decode(frame, &user, &request, &since, err, errlen);
}

static int
s_decode_history(zframe_t *frame, char *err, size_t errlen)
{
    ps_history_t history;
    return ps_history_decode(frame, &history, err, errlen);
}

static void
test_ps_proto_history_ask_round_trip(void **state)
{
    (void)state;
    zframe_t *frame = s_frame(ps_history_ask_encode(7, 4242, 1749000000000LL));
    int64_t user = 0;
    int64_t request = 0;
    int64_t since = 0;
    char err[256];
    assert_int_equal(
        ps_history_ask_decode(frame, &user, &request, &since, err, sizeof(err)),
        0);
    assert_int_equal(user, 7);
    assert_int_equal(request, 4242);
    assert_true(since == 1749000000000LL);
    s_assert_truncations_fail(frame, s_decode_history_ask);
    /* The reply decoder refuses a request, and the other way round. */
    assert_int_equal(s_decode_history(frame, err, sizeof(err)), -1);
    zframe_destroy(&frame);

    static const char *required[] = {"user_id", "request_id", "since"};
    for (size_t skip = 0; skip < 3; skip++) {
        ps_mp_writer_t writer;
        ps_mp_writer_init(&writer, "history", 1);
        for (size_t i = 0; i < 3; i++) {
            if (i != skip)
                ps_mp_kv_int(&writer, required[i], 1);
        }
        frame = ps_mp_writer_frame(&writer);
        assert_int_equal(s_decode_history_ask(frame, err, sizeof(err)), -1);
        char want[64];
        snprintf(want, sizeof(want), "field `%s`: missing", required[skip]);
        assert_string_equal(err, want);
        zframe_destroy(&frame);
    }
}

static void
test_ps_proto_history_reply_round_trip(void **state)
{
    (void)state;
    ps_history_t history = {.user_id = 7,
                            .since = 1749000000000LL,
                            .requests = 5,
                            .approved = 40,
                            .declined = 2};
    zframe_t *frame = s_frame(ps_history_encode(&history));
    ps_history_t back;
    memset(&back, 0, sizeof(back));
    char err[256];
    assert_int_equal(ps_history_decode(frame, &back, err, sizeof(err)), 0);
    assert_int_equal(back.user_id, 7);
    assert_true(back.since == 1749000000000LL);
    assert_int_equal(back.requests, 5);
    assert_int_equal(back.approved, 40);
    assert_int_equal(back.declined, 2);
    s_assert_truncations_fail(frame, s_decode_history);
    assert_int_equal(s_decode_history_ask(frame, err, sizeof(err)), -1);
    zframe_destroy(&frame);

    /* `since` is optional in the reply; the counts are not, and a failed
       decode leaves the output untouched. */
    static const char *keys[] = {"user_id", "requests", "approved", "declined"};
    ps_mp_writer_t writer;
    ps_mp_writer_init(&writer, "history_reply", 1);
    for (size_t i = 0; i < 4; i++)
        ps_mp_kv_int(&writer, keys[i], (int64_t)i + 1);
    frame = ps_mp_writer_frame(&writer);
    assert_int_equal(ps_history_decode(frame, &back, err, sizeof(err)), 0);
    assert_int_equal(back.since, 0);
    assert_int_equal(back.declined, 4);
    zframe_destroy(&frame);
    for (size_t skip = 0; skip < 4; skip++) {
        ps_mp_writer_init(&writer, "history_reply", 1);
        for (size_t i = 0; i < 4; i++) {
            if (i != skip)
                ps_mp_kv_int(&writer, keys[i], 9);
        }
        frame = ps_mp_writer_frame(&writer);
        back.requests = 77;
        assert_int_equal(s_decode_history(frame, err, sizeof(err)), -1);
        char want[64];
        snprintf(want, sizeof(want), "field `%s`: missing", keys[skip]);
        assert_string_equal(err, want);
        assert_int_equal(back.requests, 77);
        zframe_destroy(&frame);
    }

    /* A newer major version is refused. */
    s_raw_t raw;
    s_raw_init(&raw, 6);
    s_raw_kv(&raw, "t", "history_reply");
    s_raw_kv(&raw, "v", "2.0");
    s_raw_kv_int(&raw, "user_id", 1);
    s_raw_kv_int(&raw, "requests", 1);
    s_raw_kv_int(&raw, "approved", 1);
    s_raw_kv_int(&raw, "declined", 1);
    frame = s_raw_frame(&raw);
    assert_int_equal(s_decode_history(frame, err, sizeof(err)), -1);
    assert_string_equal(err, "history_reply message version 2.0 is newer "
                             "than this program reads (1.x)");
    zframe_destroy(&frame);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_proto_work_round_trip_every_type),
        cmocka_unit_test(test_ps_proto_work_round_trip_minimal),
        cmocka_unit_test(test_ps_proto_work_dup_shares_nothing),
        cmocka_unit_test(test_ps_proto_work_destroy_null_and_twice),
        cmocka_unit_test(test_ps_proto_work_outcome_words),
        cmocka_unit_test(test_ps_proto_work_truncated_and_garbage),
        cmocka_unit_test(test_ps_proto_not_a_map),
        cmocka_unit_test(test_ps_proto_huge_container_counts_rejected),
        cmocka_unit_test(test_ps_proto_deep_nesting_rejected),
        cmocka_unit_test(test_ps_proto_oversized_frame_rejected),
        cmocka_unit_test(test_ps_proto_newer_major_refused),
        cmocka_unit_test(test_ps_proto_newer_minor_and_unknown_fields_accepted),
        cmocka_unit_test(test_ps_proto_missing_required_field),
        cmocka_unit_test(test_ps_proto_mistyped_field),
        cmocka_unit_test(test_ps_proto_work_genre_mismatch),
        cmocka_unit_test(test_ps_proto_work_invalid_outcome_and_params),
        cmocka_unit_test(test_ps_proto_wrong_message_type),
        cmocka_unit_test(test_ps_proto_event_round_trip),
        cmocka_unit_test(test_ps_proto_usage_round_trip),
        cmocka_unit_test(test_ps_proto_model_round_trip_binary),
        cmocka_unit_test(test_ps_proto_ids_round_trip_every_type),
        cmocka_unit_test(test_ps_proto_ids_values_length_mismatch),
        cmocka_unit_test(test_ps_proto_catchup_round_trip),
        cmocka_unit_test(test_ps_proto_catchup_reply_round_trip),
        cmocka_unit_test(test_ps_proto_command_round_trip),
        cmocka_unit_test(test_ps_proto_heartbeat_round_trip),
        cmocka_unit_test(test_ps_proto_status_round_trip),
        cmocka_unit_test(test_ps_proto_beat_tick_sends_when_due),
        cmocka_unit_test(test_ps_proto_req_call_echo),
        cmocka_unit_test(test_ps_proto_req_send_then_recv),
        cmocka_unit_test(test_ps_proto_req_call_dead_then_alive),
        cmocka_unit_test(test_ps_proto_work_v11_round_trip_every_type),
        cmocka_unit_test(test_ps_proto_work_v11_absent_and_zero),
        cmocka_unit_test(test_ps_proto_work_v11_dup_shares_nothing),
        cmocka_unit_test(test_ps_proto_work_v11_mistyped_fields),
        cmocka_unit_test(test_ps_proto_history_ask_round_trip),
        cmocka_unit_test(test_ps_proto_history_reply_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
