/*  ps_legacy - see ps_legacy.h.                                           */
#include "ps_legacy.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The one mapping between the prototype's words and our outcomes. The
   review statuses of pending_reviews ("approved", "rejected") are the
   decision words' stems, matched without case. */
static const struct {
    ps_outcome_t outcome; /* ours */
    const char *word;     /* the prototype's decision word */
    const char *status;   /* its pending_reviews.status, or NULL */
} s_words[] = {
    {PS_OUTCOME_APPROVE, "APPROVED", "approved"},
    {PS_OUTCOME_DECLINE, "REJECTED", "rejected"},
    {PS_OUTCOME_REVIEW, "NEEDS_REVIEW", NULL},
};
#define S_WORD_COUNT (sizeof(s_words) / sizeof(s_words[0]))

const char *
ps_legacy_word(ps_outcome_t outcome)
{
    for (size_t i = 0; i < S_WORD_COUNT; i++)
        if (s_words[i].outcome == outcome)
            return s_words[i].word;
    return "";
}

int
ps_legacy_outcome(const char *word, ps_outcome_t *outcome)
{
    for (size_t i = 0; word && i < S_WORD_COUNT; i++) {
        if (strcasecmp(word, s_words[i].word) == 0
            || (s_words[i].status
                && strcasecmp(word, s_words[i].status) == 0)) {
            *outcome = s_words[i].outcome;
            return 0;
        }
    }
    return -1;
}

/* ---- timestamps ------------------------------------------------------- */

/* Reads exactly `digits` decimal digits. */
static bool
s_digits(const char **p, int digits, int *value)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += digits;
    *value = v;
    return true;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
   days_from_civil), so UTC needs neither timegm nor TZ games. */
static int64_t
s_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int
ps_legacy_time(const char *text, int64_t *ms)
{
    if (!text)
        return -1;
    const char *p = text;
    while (*p == ' ')
        p++;
    int year, month, day, hour, minute, second = 0;
    if (!s_digits(&p, 4, &year) || *p++ != '-' || !s_digits(&p, 2, &month)
        || *p++ != '-' || !s_digits(&p, 2, &day))
        return -1;
    char separator = *p++;
    if ((separator != 'T' && separator != ' ') || !s_digits(&p, 2, &hour)
        || *p++ != ':' || !s_digits(&p, 2, &minute))
        return -1;
    if (*p == ':' && (p++, !s_digits(&p, 2, &second)))
        return -1;
    int millis = 0;
    if (*p == '.') {
        p++;
        int scale = 100;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
            millis += (*p - '0') * scale;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23
        || minute > 59 || second > 60)
        return -1;
    bool utc = separator == ' ';
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        utc = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh, om = 0;
        if (!s_digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (*p && !s_digits(&p, 2, &om))
            return -1;
        utc = true;
        offset_s = sign * (oh * 3600 + om * 60);
    }
    while (*p == ' ')
        p++;
    if (*p)
        return -1;
    int64_t seconds;
    if (utc)
        seconds = s_days_from_civil(year, month, day) * 86400 + hour * 3600
                  + minute * 60 + second - offset_s;
    else {
        struct tm local = {.tm_year = year - 1900,
                           .tm_mon = month - 1,
                           .tm_mday = day,
                           .tm_hour = hour,
                           .tm_min = minute,
                           .tm_sec = second,
                           .tm_isdst = -1};
        time_t t = mktime(&local);
        if (t == (time_t)-1)
            return -1;
        seconds = (int64_t)t;
    }
    *ms = seconds * 1000 + millis;
    return 0;
}

/* ---- request_data ----------------------------------------------------- */

/* An integer member, also from a whole number or a numeric string. */
static bool
s_int(const json_t *data, const char *name, int64_t *value)
{
    const json_t *v = json_object_get(data, name);
    if (json_is_integer(v)) {
        *value = json_integer_value(v);
        return true;
    }
    double d = 0;
    if (json_is_real(v))
        d = json_real_value(v);
    else if (json_is_string(v) && *json_string_value(v)) {
        char *end = NULL;
        d = strtod(json_string_value(v), &end);
        if (*end)
            return false;
    } else
        return false;
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9e15)
        return false;
    *value = (int64_t)d;
    return true;
}

static bool
s_real(const json_t *data, const char *name, double *value)
{
    const json_t *v = json_object_get(data, name);
    if (json_is_number(v)) {
        *value = json_number_value(v);
        return isfinite(*value);
    }
    if (json_is_string(v) && *json_string_value(v)) {
        char *end = NULL;
        *value = strtod(json_string_value(v), &end);
        return !*end && isfinite(*value);
    }
    return false;
}

/* request_data members and ours, both ways: strings, integers (also
   read from whole numbers and numeric strings) and numbers. */
typedef enum { S_STR, S_INT, S_REAL } s_kind_t;
static const struct {
    const char *theirs; /* request_data member */
    const char *ours;   /* inputs snapshot member */
    s_kind_t kind;      /* its type */
} s_members[] = {
    {"title", "title", S_STR},
    {"media_type", "media_type", S_STR},
    {"requested_by", "user_name", S_STR},
    {"overview", "overview", S_STR},
    {"status", "media_status", S_STR},
    {"user_id", "user_id", S_INT},
    {"year", "year", S_INT},
    {"episode_count", "total_episodes", S_INT},
    {"season_count", "total_seasons", S_INT},
    {"rating", "rating", S_REAL},
    {"popularity", "popularity", S_REAL},
};
#define S_MEMBER_COUNT (sizeof(s_members) / sizeof(s_members[0]))

/* Copies member `from` of `data` to `to` of `out` when it has the kind. */
static void
s_copy(json_t *out, const json_t *data, const char *from, const char *to,
       s_kind_t kind)
{
    int64_t whole;
    double number;
    const json_t *v = json_object_get(data, from);
    if (kind == S_STR && json_is_string(v))
        json_object_set_new(out, to, json_string(json_string_value(v)));
    else if (kind == S_INT && s_int(data, from, &whole))
        json_object_set_new(out, to, json_integer(whole));
    else if (kind == S_REAL && s_real(data, from, &number))
        json_object_set_new(out, to, json_real(number));
}

/* The genre names of a list of names or of TMDB's {"id", "name"}. */
static json_t *
s_genre_names(const json_t *genres)
{
    json_t *names = json_array();
    size_t i;
    const json_t *genre;
    json_array_foreach(genres, i, genre)
    {
        const json_t *name =
            json_is_object(genre) ? json_object_get(genre, "name") : genre;
        if (names && json_is_string(name))
            json_array_append_new(names, json_string(json_string_value(name)));
    }
    return names;
}

json_t *
ps_legacy_inputs(const json_t *request_data, int64_t request_id)
{
    json_t *out = json_object();
    if (!out)
        return NULL;
    json_object_set_new(out, "request_id", json_integer(request_id));
    if (!json_is_object(request_data))
        return out;
    for (size_t i = 0; i < S_MEMBER_COUNT; i++)
        s_copy(out, request_data, s_members[i].theirs, s_members[i].ours,
               s_members[i].kind);
    const json_t *genres = json_object_get(request_data, "genres");
    if (json_is_array(genres))
        json_object_set_new(out, "genres", s_genre_names(genres));
    return out;
}

json_t *
ps_legacy_request_data(const json_t *inputs)
{
    json_t *out = json_object();
    if (!out || !json_is_object(inputs))
        return out;
    for (size_t i = 0; i < S_MEMBER_COUNT; i++)
        s_copy(out, inputs, s_members[i].ours, s_members[i].theirs,
               s_members[i].kind);
    const json_t *genres = json_object_get(inputs, "genres");
    json_object_set_new(out, "genres",
                        json_is_array(genres) ? s_genre_names(genres)
                                              : json_array());
    return out;
}
