/*  ps_time - see ps_time.h.                                               */
#include "ps_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
ps_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ps_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
   days_from_civil), so we need neither timegm nor the TZ variable. */
static int64_t
s_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* True when text matches pattern, where '9' stands for any digit; so
   sscanf's %d cannot accept signs or spaces inside a timestamp. */
static int
s_shaped(const char *text, const char *pattern)
{
    for (; *pattern; pattern++, text++) {
        if (*pattern == '9' ? (*text < '0' || *text > '9') : *text != *pattern)
            return 0;
    }
    return 1;
}

int
ps_time_parse_iso(const char *text, int64_t *ms)
{
    static const int month_days[] = {31, 29, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    int year, month, day, hour = 0, minute = 0, second = 0, milli = 0;
    int used = 0;
    if (!text || !s_shaped(text, "9999-99-99")
        || ((text[10] == 'T' || text[10] == ' ')
            && !s_shaped(text + 11, "99:99:99")))
        return -1;
    if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3
        || used != 10)
        return -1;
    const char *rest = text + used;
    if (*rest == 'T' || *rest == ' ') {
        int n = 0;
        if (sscanf(rest + 1, "%2d:%2d:%2d%n", &hour, &minute, &second, &n) != 3
            || n != 8)
            return -1;
        rest += 1 + n;
        if (*rest == '.') {
            int digits = 0;
            rest++;
            while (*rest >= '0' && *rest <= '9') {
                if (digits < 3)
                    milli = milli * 10 + (*rest - '0');
                digits++;
                rest++;
            }
            for (; digits < 3; digits++)
                milli *= 10;
        }
        if (*rest == 'Z')
            rest++;
    }
    if (*rest != '\0' || month < 1 || month > 12 || day < 1
        || day > month_days[month - 1] || hour > 23 || minute > 59
        || second > 60)
        return -1;
    if (month == 2 && day == 29
        && (year % 4 != 0 || (year % 100 == 0 && year % 400 != 0)))
        return -1;
    int64_t days = s_days_from_civil(year, (unsigned)month, (unsigned)day);
    *ms = ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000 + milli;
    return 0;
}

int
ps_time_format_iso(int64_t ms, char *buf, size_t len)
{
    /* Floor division: -1 ms is 23:59:59.999 of the day before. */
    int64_t milli = ms % 1000;
    if (milli < 0)
        milli += 1000;
    time_t seconds = (time_t)((ms - milli) / 1000);
    struct tm utc;
    if (!gmtime_r(&seconds, &utc))
        return -1;
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, (int)milli);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int64_t
ps_time_local_day_start_ms(int64_t now_ms)
{
    time_t seconds = (time_t)(now_ms / 1000);
    struct tm local;
    if (!localtime_r(&seconds, &local))
        return now_ms - now_ms % 86400000;
    local.tm_hour = 0;
    local.tm_min = 0;
    local.tm_sec = 0;
    local.tm_isdst = -1;
    return (int64_t)mktime(&local) * 1000;
}

/* Local midnight of year-month-day; mktime normalizes day 32 into the
   next month, which is how the day after is found. */
static int64_t
s_local_midnight_ms(int year, int month, int day)
{
    struct tm local = {.tm_year = year - 1900,
                       .tm_mon = month - 1,
                       .tm_mday = day,
                       .tm_isdst = -1};
    return (int64_t)mktime(&local) * 1000;
}

int
ps_time_parse_local_date(const char *text, int64_t *start_ms, int64_t *end_ms)
{
    int64_t utc_ms = 0;
    /* The ISO parser checks the shape and the calendar (Feb 29 ...). */
    if (!text || strlen(text) != 10 || ps_time_parse_iso(text, &utc_ms) != 0)
        return -1;
    int year = 0, month = 0, day = 0;
    if (sscanf(text, "%4d-%2d-%2d", &year, &month, &day) != 3)
        return -1;
    *start_ms = s_local_midnight_ms(year, month, day);
    *end_ms = s_local_midnight_ms(year, month, day + 1);
    return 0;
}

int
ps_time_format_local_date(int64_t ms, char *buf, size_t len)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm local;
    if (!localtime_r(&seconds, &local))
        return -1;
    int n = snprintf(buf, len, "%04d-%02d-%02d", local.tm_year + 1900,
                     local.tm_mon + 1, local.tm_mday);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}
