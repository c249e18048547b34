/*  ps_work_json - see ps_work_json.h. One table maps every scalar input to
    its JSON member, so adding an input means adding one row.             */
#include "ps_work_json.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_STR, F_INT, F_REAL, F_BOOL } s_kind_t;

typedef struct {
    const char *name; /* JSON member */
    s_kind_t kind;    /* its type */
    size_t offset;    /* field in ps_work_t */
    size_t present;   /* bool field that says it is known, or 0 */
} s_field_t;

#define S_FIELD(name, kind)                                                    \
    {                                                                          \
#name, kind, offsetof(ps_work_t, name), 0                              \
    }
#define S_KNOWN(name, kind, flag)                                              \
    {                                                                          \
#name, kind, offsetof(ps_work_t, name), offsetof(ps_work_t, flag)      \
    }

static const s_field_t s_fields[] = {
    S_FIELD(request_id, F_INT),
    S_FIELD(media_type, F_STR),
    S_FIELD(tmdb_id, F_INT),
    S_FIELD(is4k, F_BOOL),
    S_FIELD(requested_at, F_INT),
    S_FIELD(trigger, F_STR),
    S_FIELD(user_id, F_INT),
    S_FIELD(user_name, F_STR),
    S_FIELD(user_username, F_STR),
    S_FIELD(user_plex, F_STR),
    S_FIELD(user_created_at, F_INT),
    S_FIELD(user_requests, F_INT),
    S_FIELD(title, F_STR),
    S_FIELD(year, F_INT),
    S_FIELD(rating, F_REAL),
    S_FIELD(votes, F_INT),
    S_FIELD(popularity, F_REAL),
    S_FIELD(release_date, F_STR),
    S_FIELD(media_status, F_STR),
    S_FIELD(certification, F_STR),
    S_FIELD(language, F_STR),
    S_FIELD(runtime, F_INT),
    S_FIELD(total_seasons, F_INT),
    S_FIELD(requested_episodes, F_INT),
    S_FIELD(total_episodes, F_INT),
    S_FIELD(adult, F_BOOL),
    S_FIELD(overview, F_STR),
    S_FIELD(poster_path, F_STR),
    S_KNOWN(quota_movie_limit, F_INT, has_quota),
    S_KNOWN(quota_movie_used, F_INT, has_quota),
    S_KNOWN(quota_movie_days, F_INT, has_quota),
    S_KNOWN(quota_tv_limit, F_INT, has_quota),
    S_KNOWN(quota_tv_used, F_INT, has_quota),
    S_KNOWN(quota_tv_days, F_INT, has_quota),
    S_KNOWN(history_week, F_INT, has_history),
    S_KNOWN(history_approved, F_INT, has_history),
    S_KNOWN(history_declined, F_INT, has_history),
};
#define S_FIELD_COUNT (sizeof(s_fields) / sizeof(s_fields[0]))

static json_t *
s_strings(char *const *items, size_t count)
{
    json_t *array = json_array();
    for (size_t i = 0; array && i < count; i++)
        json_array_append_new(array, json_string(items[i]));
    return array;
}

json_t *
ps_work_to_json(const ps_work_t *work)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const char *base = (const char *)work;
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *f = &s_fields[i];
        if (f->present && !*(const bool *)(base + f->present))
            continue;
        const void *slot = base + f->offset;
        json_t *value = NULL;
        switch (f->kind) {
            case F_STR:
                if (*(char *const *)slot)
                    value = json_string(*(char *const *)slot);
                break;
            case F_INT:
                value = json_integer(*(const int64_t *)slot);
                break;
            case F_REAL:
                value = json_real(*(const double *)slot);
                break;
            case F_BOOL:
                value = json_boolean(*(const bool *)slot);
                break;
        }
        if (value)
            json_object_set_new(o, f->name, value);
    }
    json_t *seasons = json_array();
    for (size_t i = 0; seasons && i < work->season_count; i++)
        json_array_append_new(seasons, json_integer(work->seasons[i]));
    json_object_set_new(o, "seasons", seasons);
    json_t *genre_ids = json_array();
    for (size_t i = 0; genre_ids && i < work->genre_count; i++)
        json_array_append_new(genre_ids, json_integer(work->genre_ids[i]));
    json_object_set_new(o, "genre_ids", genre_ids);
    json_object_set_new(o, "genres",
                        s_strings(work->genres, work->genre_count));
    json_object_set_new(o, "keywords",
                        s_strings(work->keywords, work->keyword_count));
    json_object_set_new(
        o, "certifications",
        s_strings(work->certifications, work->certification_count));
    return o;
}

/* Copies a JSON array of strings. Returns 0, or -1 naming the member. */
static int
s_read_strings(const json_t *json, const char *name, char ***items,
               size_t *count, char *err, size_t errlen)
{
    const json_t *array = json_object_get(json, name);
    if (!array || json_is_null(array))
        return 0;
    if (!json_is_array(array)) {
        snprintf(err, errlen, "inputs `%s`: expected a list of strings", name);
        return -1;
    }
    size_t n = json_array_size(array);
    char **copy = calloc(n + 1, sizeof(*copy));
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(array, i));
        copy[i] = text ? strdup(text) : NULL;
        if (!copy[i]) {
            for (size_t j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            snprintf(err, errlen, "inputs `%s`[%zu]: expected a string", name,
                     i);
            return -1;
        }
    }
    *items = copy;
    *count = n;
    return 0;
}

static int
s_read_ints(const json_t *json, const char *name, int64_t **items,
            size_t *count, char *err, size_t errlen)
{
    const json_t *array = json_object_get(json, name);
    if (!array || json_is_null(array))
        return 0;
    if (!json_is_array(array)) {
        snprintf(err, errlen, "inputs `%s`: expected a list of integers", name);
        return -1;
    }
    size_t n = json_array_size(array);
    int64_t *copy = calloc(n + 1, sizeof(*copy));
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *value = json_array_get(array, i);
        if (!json_is_integer(value)) {
            free(copy);
            snprintf(err, errlen, "inputs `%s`[%zu]: expected an integer", name,
                     i);
            return -1;
        }
        copy[i] = json_integer_value(value);
    }
    *items = copy;
    *count = n;
    return 0;
}

static int
s_read_field(const json_t *json, const s_field_t *f, ps_work_t *work, char *err,
             size_t errlen)
{
    const json_t *value = json_object_get(json, f->name);
    if (!value || json_is_null(value))
        return 0;
    char *base = (char *)work;
    void *slot = base + f->offset;
    bool ok = true;
    switch (f->kind) {
        case F_STR:
            ok = json_is_string(value)
                 && ps_work_set_str((char **)slot, json_string_value(value))
                        == 0;
            break;
        case F_INT:
            ok = json_is_integer(value);
            if (ok)
                *(int64_t *)slot = json_integer_value(value);
            break;
        case F_REAL:
            ok = json_is_number(value);
            if (ok)
                *(double *)slot = json_number_value(value);
            break;
        case F_BOOL:
            ok = json_is_boolean(value);
            if (ok)
                *(bool *)slot = json_is_true(value);
            break;
    }
    if (!ok) {
        static const char *kinds[] = {"a string", "an integer", "a number",
                                      "true or false"};
        snprintf(err, errlen, "inputs `%s`: expected %s", f->name,
                 kinds[f->kind]);
        return -1;
    }
    if (f->present)
        *(bool *)(base + f->present) = true;
    return 0;
}

int
ps_work_from_json(const json_t *json, ps_work_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!json_is_object(json)) {
        snprintf(err, errlen, "inputs: expected a JSON object");
        return -1;
    }
    ps_work_t *work = ps_work_new("enriched");
    if (!work) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t genre_ids = 0;
    for (size_t i = 0; i < S_FIELD_COUNT; i++)
        if (s_read_field(json, &s_fields[i], work, err, errlen) != 0)
            goto fail;
    if (s_read_ints(json, "seasons", &work->seasons, &work->season_count, err,
                    errlen)
            != 0
        || s_read_ints(json, "genre_ids", &work->genre_ids, &genre_ids, err,
                       errlen)
               != 0
        || s_read_strings(json, "genres", &work->genres, &work->genre_count,
                          err, errlen)
               != 0
        || s_read_strings(json, "keywords", &work->keywords,
                          &work->keyword_count, err, errlen)
               != 0
        || s_read_strings(json, "certifications", &work->certifications,
                          &work->certification_count, err, errlen)
               != 0)
        goto fail;
    if (work->genres && genre_ids != work->genre_count) {
        /* Old snapshots may lack ids: names alone still match rules. */
        free(work->genre_ids);
        work->genre_ids = calloc(work->genre_count + 1, sizeof(int64_t));
        if (!work->genre_ids) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    *out = work;
    return 0;
fail:
    ps_work_destroy(&work);
    return -1;
}
