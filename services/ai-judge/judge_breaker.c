/*  judge_breaker - see judge_breaker.h.

    Any answer that is not an outage closes the breaker, even one from a
    call that started before it opened: the server demonstrably answers,
    and waiting out the rest of the open period would only send more
    requests to review for nothing.                                       */
#include "judge_breaker.h"

#include <stddef.h>

void
judge_breaker_init(judge_breaker_t *self, int threshold, int64_t open_ms)
{
    self->state = JUDGE_BREAKER_CLOSED;
    self->failures = 0;
    self->opened_at = 0;
    self->probe_out = false;
    judge_breaker_configure(self, threshold, open_ms);
}

void
judge_breaker_configure(judge_breaker_t *self, int threshold, int64_t open_ms)
{
    self->threshold = threshold < 1 ? 1 : threshold;
    self->open_ms = open_ms < 0 ? 0 : open_ms;
}

bool
judge_breaker_tick(judge_breaker_t *self, int64_t now_ms)
{
    if (self->state != JUDGE_BREAKER_OPEN
        || now_ms < self->opened_at + self->open_ms)
        return false;
    self->state = JUDGE_BREAKER_HALF_OPEN;
    self->probe_out = false;
    return true;
}

bool
judge_breaker_acquire(judge_breaker_t *self, int64_t now_ms, bool *probe)
{
    *probe = false;
    judge_breaker_tick(self, now_ms);
    switch (self->state) {
        case JUDGE_BREAKER_CLOSED:
            return true;
        case JUDGE_BREAKER_HALF_OPEN:
            if (self->probe_out)
                return false;
            self->probe_out = true;
            *probe = true;
            return true;
        case JUDGE_BREAKER_OPEN:
            return false;
    }
    return false;
}

void
judge_breaker_cancel(judge_breaker_t *self)
{
    self->probe_out = false;
}

bool
judge_breaker_record(judge_breaker_t *self, bool outage, int64_t now_ms)
{
    judge_breaker_state_t before = self->state;
    if (!outage) {
        self->failures = 0;
        self->state = JUDGE_BREAKER_CLOSED;
        self->probe_out = false;
        return before != self->state;
    }
    self->failures++;
    if (self->state == JUDGE_BREAKER_HALF_OPEN
        || (self->state == JUDGE_BREAKER_CLOSED
            && self->failures >= self->threshold)) {
        self->state = JUDGE_BREAKER_OPEN;
        self->opened_at = now_ms;
        self->probe_out = false;
    }
    return before != self->state;
}

const char *
judge_breaker_name(judge_breaker_state_t state)
{
    switch (state) {
        case JUDGE_BREAKER_CLOSED:
            return "closed";
        case JUDGE_BREAKER_OPEN:
            return "open";
        case JUDGE_BREAKER_HALF_OPEN:
            return "half-open";
    }
    return "";
}
