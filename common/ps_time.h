/*  ps_time - clocks and Overseerr's ISO-8601 timestamps.

    Wall-clock milliseconds are what we store and show; the monotonic clock
    drives timers and leases inside one process, so a clock step cannot
    expire every lease at once.                                            */
#ifndef PS_TIME_H_INCLUDED
#define PS_TIME_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t ps_time_now_ms(void);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t ps_time_mono_ms(void);

/* Epoch milliseconds of the local midnight that starts the day holding
   now_ms, in the process time zone (TZ). */
int64_t ps_time_local_day_start_ms(int64_t now_ms);

/* Parses a calendar date "2025-06-01" as a local day of the process
   time zone (TZ): *start_ms gets its first millisecond (local midnight)
   and *end_ms the next day's, so a day of a DST change lasts 23 or 25
   hours. Returns 0, or -1 when the text is not a valid YYYY-MM-DD. */
int ps_time_parse_local_date(const char *text, int64_t *start_ms,
                             int64_t *end_ms);

/* Writes the local date (TZ) holding ms as "2025-06-01". Returns 0, or
   -1 when the buffer is too small (11 bytes are enough). */
int ps_time_format_local_date(int64_t ms, char *buf, size_t len);

/* Parses "2025-06-01T08:12:40.000Z", "2025-06-01T08:12:40Z" or
   "2025-06-01" (midnight UTC) into epoch milliseconds. Returns 0, or -1. */
int ps_time_parse_iso(const char *text, int64_t *ms);

/* Writes epoch milliseconds as "2025-06-01T08:12:40.000Z". Returns 0, or
   -1 when the buffer is too small (25 bytes are enough). */
int ps_time_format_iso(int64_t ms, char *buf, size_t len);

#endif
