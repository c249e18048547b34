/*  rules_credit - see rules_credit.h.

    A handful of judges at most, so the book is a small array searched
    linearly; routing ids are ZeroMQ's (5 bytes) or a judge's own.        */
#include "rules_credit.h"
#include "ps_mp.h"

#include <stdlib.h>
#include <string.h>

#define RULES_CREDIT_ID_MAX 255
#define RULES_CREDIT_SLOTS_MAX 100000

zmsg_t *
rules_ready_encode(int slots, bool reset)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, RULES_READY_TYPE, 0);
    ps_mp_kv_int(&w, "n", slots);
    ps_mp_kv_bool(&w, "reset", reset);
    return ps_mp_writer_msg(&w);
}

int
rules_ready_decode(zframe_t *frame, int *slots, bool *reset, char *err,
                   size_t errlen)
{
    ps_mp_reader_t r;
    int64_t n = 0;
    bool replace = false;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame),
                          RULES_READY_TYPE, err, errlen)
            == 0
        && ps_mp_get_int(&r, "n", true, &n) == 0
        && ps_mp_get_bool(&r, "reset", false, &replace) == 0) {
        if (n < 0 || n > RULES_CREDIT_SLOTS_MAX)
            snprintf(err, errlen, "field `n`: expected 0..%d, got %lld",
                     RULES_CREDIT_SLOTS_MAX, (long long)n);
        else {
            *slots = (int)n;
            *reset = replace;
            rc = 0;
        }
    }
    ps_mp_reader_close(&r);
    return rc;
}

typedef struct {
    unsigned char id[RULES_CREDIT_ID_MAX]; /* routing id */
    size_t len;                            /* its length */
    int credit;                            /* records it may still take */
} s_judge_t;

struct rules_credit {
    s_judge_t *judges; /* known judges */
    size_t count;      /* entries used */
    size_t cap;        /* entries allocated */
    size_t last;       /* index picked last, for turns among equals */
};

rules_credit_t *
rules_credit_new(void)
{
    return calloc(1, sizeof(rules_credit_t));
}

void
rules_credit_destroy(rules_credit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->judges);
    free(*self_p);
    *self_p = NULL;
}

static s_judge_t *
s_find(const rules_credit_t *self, const void *id, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->judges[i].len == len
            && memcmp(self->judges[i].id, id, len) == 0)
            return &self->judges[i];
    return NULL;
}

int
rules_credit_ready(rules_credit_t *self, const void *id, size_t len, int slots,
                   bool reset)
{
    if (len == 0 || len > RULES_CREDIT_ID_MAX || slots < 0)
        return -1;
    s_judge_t *judge = s_find(self, id, len);
    if (!judge) {
        if (self->count == self->cap) {
            size_t cap = self->cap ? self->cap * 2 : 8;
            s_judge_t *grown = realloc(self->judges, cap * sizeof(*grown));
            if (!grown)
                return -1;
            self->judges = grown;
            self->cap = cap;
        }
        judge = &self->judges[self->count++];
        memcpy(judge->id, id, len);
        judge->len = len;
        judge->credit = 0;
    }
    long credit = reset ? slots : (long)judge->credit + slots;
    judge->credit =
        credit > RULES_CREDIT_SLOTS_MAX ? RULES_CREDIT_SLOTS_MAX : (int)credit;
    return 0;
}

const void *
rules_credit_pick(rules_credit_t *self, size_t *len)
{
    s_judge_t *best = NULL;
    size_t best_index = 0;
    for (size_t k = 1; k <= self->count; k++) {
        size_t i = (self->last + k) % self->count;
        if (self->judges[i].credit > 0
            && (!best || self->judges[i].credit > best->credit)) {
            best = &self->judges[i];
            best_index = i;
        }
    }
    if (!best)
        return NULL;
    self->last = best_index;
    *len = best->len;
    return best->id;
}

void
rules_credit_spend(rules_credit_t *self, const void *id, size_t len)
{
    s_judge_t *judge = s_find(self, id, len);
    if (judge && judge->credit > 0)
        judge->credit--;
}

void
rules_credit_forget(rules_credit_t *self, const void *id, size_t len)
{
    s_judge_t *judge = s_find(self, id, len);
    if (!judge)
        return;
    *judge = self->judges[--self->count];
    self->last = 0;
}

int
rules_credit_total(const rules_credit_t *self)
{
    int total = 0;
    for (size_t i = 0; i < self->count; i++)
        total += self->judges[i].credit;
    return total;
}

size_t
rules_credit_judges(const rules_credit_t *self)
{
    return self->count;
}
