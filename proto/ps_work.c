/*  ps_work - see ps_work.h. The field table there is the wire format;
    encode writes only the fields a record has, decode copies every value
    out of the unpacked zone.                                              */
#include "ps_work.h"
#include "ps_mp.h"

#include <stdlib.h>
#include <string.h>

ps_work_t *
ps_work_new(const char *type)
{
    ps_work_t *self = calloc(1, sizeof(*self));
    if (self)
        ps_work_set_type(self, type);
    return self;
}

void
ps_work_set_type(ps_work_t *self, const char *type)
{
    snprintf(self->type, sizeof(self->type), "%.15s", type ? type : "");
}

/* Every string field, for destroy and dup (an X-macro keeps the three
   lists from drifting apart). */
// clang-format off
#define S_STRING_FIELDS(X)                                                     \
    X(media_type) X(trigger) X(user_name) X(user_username) X(user_plex)        \
    X(user_email) X(title) X(release_date) X(media_status) X(certification)    \
    X(language) X(overview) X(poster_path) X(source) X(rule) X(message_id)     \
    X(explanation) X(model) X(ruleset) X(reason)
// clang-format on

void
ps_work_destroy(ps_work_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ps_work_t *self = *self_p;
#define S_FREE(name) free(self->name);
    S_STRING_FIELDS(S_FREE)
#undef S_FREE
    free(self->seasons);
    free(self->genre_ids);
    size_t genre_count = self->genre_count;
    ps_mp_strs_free(&self->genres, &genre_count);
    ps_mp_strs_free(&self->params, &self->param_count);
    ps_mp_strs_free(&self->matched, &self->matched_count);
    ps_mp_strs_free(&self->keywords, &self->keyword_count);
    ps_mp_strs_free(&self->certifications, &self->certification_count);
    free(self);
    *self_p = NULL;
}

int
ps_work_set_str(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

static int
s_strs_push(char ***items, size_t *count, const char *value)
{
    char **grown = realloc(*items, (*count + 2) * sizeof(*grown));
    if (!grown)
        return -1;
    *items = grown;
    grown[*count] = strdup(value ? value : "");
    grown[*count + 1] = NULL;
    if (!grown[*count])
        return -1;
    (*count)++;
    return 0;
}

int
ps_work_add_param(ps_work_t *self, const char *key, const char *value)
{
    if (s_strs_push(&self->params, &self->param_count, key) != 0)
        return -1;
    return s_strs_push(&self->params, &self->param_count, value);
}

int
ps_work_add_matched(ps_work_t *self, const char *rule)
{
    return s_strs_push(&self->matched, &self->matched_count, rule);
}

/* NULL in, NULL out: an absent list stays absent. */
static int64_t *
s_ints_dup(const int64_t *values, size_t count)
{
    if (!values)
        return NULL;
    int64_t *copy = calloc(count + 1, sizeof(*copy));
    if (copy && count)
        memcpy(copy, values, count * sizeof(*copy));
    return copy;
}

static char **
s_strs_dup(char *const *values, size_t count)
{
    if (!values)
        return NULL;
    char **copy = calloc(count + 1, sizeof(*copy));
    for (size_t i = 0; copy && i < count; i++) {
        copy[i] = strdup(values[i]);
        if (!copy[i]) {
            size_t n = i;
            ps_mp_strs_free(&copy, &n);
        }
    }
    return copy;
}

ps_work_t *
ps_work_dup(const ps_work_t *self)
{
    ps_work_t *copy = malloc(sizeof(*copy));
    if (!copy)
        return NULL;
    /* Scalars come with the struct copy; every owned pointer is cleared
       before it is duplicated, so a failure half-way destroys only what
       the copy owns. */
    *copy = *self;
#define S_CLEAR(name) copy->name = NULL;
    S_STRING_FIELDS(S_CLEAR)
#undef S_CLEAR
    copy->seasons = NULL;
    copy->genre_ids = NULL;
    copy->genres = NULL;
    copy->params = NULL;
    copy->matched = NULL;
    copy->keywords = NULL;
    copy->certifications = NULL;
    bool ok = true;
#define S_DUP(name)                                                            \
    if (self->name && !(copy->name = strdup(self->name)))                      \
        ok = false;
    S_STRING_FIELDS(S_DUP)
#undef S_DUP
    copy->seasons = s_ints_dup(self->seasons, self->season_count);
    copy->genre_ids = s_ints_dup(self->genre_ids, self->genre_count);
    copy->genres = s_strs_dup(self->genres, self->genre_count);
    copy->params = s_strs_dup(self->params, self->param_count);
    copy->matched = s_strs_dup(self->matched, self->matched_count);
    copy->keywords = s_strs_dup(self->keywords, self->keyword_count);
    copy->certifications =
        s_strs_dup(self->certifications, self->certification_count);
    if ((self->seasons && !copy->seasons)
        || (self->genre_ids && !copy->genre_ids)
        || (self->genres && !copy->genres) || (self->params && !copy->params)
        || (self->matched && !copy->matched)
        || (self->keywords && !copy->keywords)
        || (self->certifications && !copy->certifications))
        ok = false;
    if (!ok)
        ps_work_destroy(&copy);
    return copy;
}

const char *
ps_outcome_name(ps_outcome_t outcome)
{
    switch (outcome) {
        case PS_OUTCOME_APPROVE:
            return "approve";
        case PS_OUTCOME_DECLINE:
            return "decline";
        case PS_OUTCOME_REVIEW:
            return "review";
        case PS_OUTCOME_NONE:
            break;
    }
    return "";
}

int
ps_outcome_parse(const char *name, ps_outcome_t *outcome)
{
    static const ps_outcome_t all[] = {PS_OUTCOME_APPROVE, PS_OUTCOME_DECLINE,
                                       PS_OUTCOME_REVIEW};
    for (size_t i = 0; name && i < 3; i++) {
        if (strcmp(name, ps_outcome_name(all[i])) == 0) {
            *outcome = all[i];
            return 0;
        }
    }
    return -1;
}

zmsg_t *
ps_work_encode(const ps_work_t *self)
{
    ps_mp_writer_t w;
    ps_mp_writer_init(&w, self->type, 1);
    ps_mp_kv_int(&w, "request_id", self->request_id);
    ps_mp_kv_str(&w, "media_type", self->media_type);
    if (self->tmdb_id)
        ps_mp_kv_int(&w, "tmdb_id", self->tmdb_id);
    if (self->is4k)
        ps_mp_kv_bool(&w, "is4k", true);
    if (self->requested_at)
        ps_mp_kv_int(&w, "requested_at", self->requested_at);
    if (self->seasons)
        ps_mp_kv_ints(&w, "seasons", self->seasons, self->season_count);
    ps_mp_kv_str(&w, "trigger", self->trigger);
    if (self->user_id)
        ps_mp_kv_int(&w, "user_id", self->user_id);
    ps_mp_kv_str(&w, "user_name", self->user_name);
    ps_mp_kv_str(&w, "user_username", self->user_username);
    ps_mp_kv_str(&w, "user_plex", self->user_plex);
    ps_mp_kv_str(&w, "user_email", self->user_email);
    if (self->user_created_at)
        ps_mp_kv_int(&w, "user_created_at", self->user_created_at);
    if (self->user_requests)
        ps_mp_kv_int(&w, "user_requests", self->user_requests);
    ps_mp_kv_str(&w, "title", self->title);
    if (self->year)
        ps_mp_kv_int(&w, "year", self->year);
    if (self->genres) {
        ps_mp_kv_ints(&w, "genre_ids", self->genre_ids, self->genre_count);
        ps_mp_kv_strs(&w, "genres", self->genres, self->genre_count);
    }
    if (self->title) {
        ps_mp_kv_double(&w, "rating", self->rating);
        ps_mp_kv_int(&w, "votes", self->votes);
        ps_mp_kv_double(&w, "popularity", self->popularity);
    }
    ps_mp_kv_str(&w, "release_date", self->release_date);
    ps_mp_kv_str(&w, "media_status", self->media_status);
    ps_mp_kv_str(&w, "certification", self->certification);
    ps_mp_kv_str(&w, "language", self->language);
    if (self->runtime)
        ps_mp_kv_int(&w, "runtime", self->runtime);
    if (self->total_seasons)
        ps_mp_kv_int(&w, "total_seasons", self->total_seasons);
    if (self->requested_episodes)
        ps_mp_kv_int(&w, "requested_episodes", self->requested_episodes);
    if (self->adult)
        ps_mp_kv_bool(&w, "adult", true);
    ps_mp_kv_str(&w, "overview", self->overview);
    ps_mp_kv_str(&w, "poster_path", self->poster_path);
    if (self->outcome != PS_OUTCOME_NONE)
        ps_mp_kv_str(&w, "outcome", ps_outcome_name(self->outcome));
    ps_mp_kv_str(&w, "source", self->source);
    ps_mp_kv_str(&w, "rule", self->rule);
    ps_mp_kv_str(&w, "message_id", self->message_id);
    if (self->params)
        ps_mp_kv_strs(&w, "params", self->params, self->param_count);
    ps_mp_kv_str(&w, "explanation", self->explanation);
    if (self->has_score)
        ps_mp_kv_double(&w, "score", self->score);
    if (self->has_ai_score)
        ps_mp_kv_double(&w, "ai_score", self->ai_score);
    ps_mp_kv_str(&w, "model", self->model);
    if (self->matched)
        ps_mp_kv_strs(&w, "matched", self->matched, self->matched_count);
    ps_mp_kv_str(&w, "ruleset", self->ruleset);
    ps_mp_kv_str(&w, "reason", self->reason);
    if (self->keywords)
        ps_mp_kv_strs(&w, "keywords", self->keywords, self->keyword_count);
    if (self->certifications)
        ps_mp_kv_strs(&w, "certifications", self->certifications,
                      self->certification_count);
    if (self->total_episodes)
        ps_mp_kv_int(&w, "total_episodes", self->total_episodes);
    if (self->has_quota) {
        ps_mp_kv_bool(&w, "has_quota", true);
        ps_mp_kv_int(&w, "quota_movie_limit", self->quota_movie_limit);
        ps_mp_kv_int(&w, "quota_movie_used", self->quota_movie_used);
        ps_mp_kv_int(&w, "quota_movie_days", self->quota_movie_days);
        ps_mp_kv_int(&w, "quota_tv_limit", self->quota_tv_limit);
        ps_mp_kv_int(&w, "quota_tv_used", self->quota_tv_used);
        ps_mp_kv_int(&w, "quota_tv_days", self->quota_tv_days);
    }
    if (self->has_history) {
        ps_mp_kv_bool(&w, "has_history", true);
        ps_mp_kv_int(&w, "history_week", self->history_week);
        ps_mp_kv_int(&w, "history_approved", self->history_approved);
        ps_mp_kv_int(&w, "history_declined", self->history_declined);
    }
    return ps_mp_writer_msg(&w);
}

int
ps_work_decode(zframe_t *frame, ps_work_t **out, char *err, size_t errlen)
{
    ps_mp_reader_t r;
    ps_work_t *self = NULL;
    char *outcome = NULL;
    int rc = -1;
    if (ps_mp_reader_open(&r, zframe_data(frame), zframe_size(frame), NULL, err,
                          errlen)
        != 0)
        goto out;
    static const char *types[] = {"request", "enriched", "undecided",
                                  "decision", "release"};
    size_t stage = 0;
    while (stage < 5 && strcmp(r.type, types[stage]) != 0)
        stage++;
    if (stage == 5) {
        snprintf(err, errlen, "expected a work message, got %s", r.type);
        goto out;
    }
    self = ps_work_new(r.type);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    bool is_release = stage == 4;
    bool needs_media = !is_release;
    size_t genre_names = 0;
    size_t genre_ids = 0;
    if (ps_mp_get_int(&r, "request_id", true, &self->request_id)
        || ps_mp_get_str(&r, "media_type", needs_media, &self->media_type)
        || ps_mp_get_int(&r, "tmdb_id", needs_media, &self->tmdb_id)
        || ps_mp_get_bool(&r, "is4k", false, &self->is4k)
        || ps_mp_get_int(&r, "requested_at", false, &self->requested_at)
        || ps_mp_get_ints(&r, "seasons", false, &self->seasons,
                          &self->season_count)
        || ps_mp_get_str(&r, "trigger", false, &self->trigger)
        || ps_mp_get_int(&r, "user_id", false, &self->user_id)
        || ps_mp_get_str(&r, "user_name", false, &self->user_name)
        || ps_mp_get_str(&r, "user_username", false, &self->user_username)
        || ps_mp_get_str(&r, "user_plex", false, &self->user_plex)
        || ps_mp_get_str(&r, "user_email", false, &self->user_email)
        || ps_mp_get_int(&r, "user_created_at", false, &self->user_created_at)
        || ps_mp_get_int(&r, "user_requests", false, &self->user_requests)
        || ps_mp_get_str(&r, "title", false, &self->title)
        || ps_mp_get_int(&r, "year", false, &self->year)
        || ps_mp_get_ints(&r, "genre_ids", false, &self->genre_ids, &genre_ids)
        || ps_mp_get_strs(&r, "genres", false, &self->genres, &genre_names)
        || ps_mp_get_double(&r, "rating", false, &self->rating)
        || ps_mp_get_int(&r, "votes", false, &self->votes)
        || ps_mp_get_double(&r, "popularity", false, &self->popularity)
        || ps_mp_get_str(&r, "release_date", false, &self->release_date)
        || ps_mp_get_str(&r, "media_status", false, &self->media_status)
        || ps_mp_get_str(&r, "certification", false, &self->certification)
        || ps_mp_get_str(&r, "language", false, &self->language)
        || ps_mp_get_int(&r, "runtime", false, &self->runtime)
        || ps_mp_get_int(&r, "total_seasons", false, &self->total_seasons)
        || ps_mp_get_int(&r, "requested_episodes", false,
                         &self->requested_episodes)
        || ps_mp_get_bool(&r, "adult", false, &self->adult)
        || ps_mp_get_str(&r, "overview", false, &self->overview)
        || ps_mp_get_str(&r, "poster_path", false, &self->poster_path)
        || ps_mp_get_str(&r, "outcome", stage == 3, &outcome)
        || ps_mp_get_str(&r, "source", stage == 3, &self->source)
        || ps_mp_get_str(&r, "rule", false, &self->rule)
        || ps_mp_get_str(&r, "message_id", false, &self->message_id)
        || ps_mp_get_strs(&r, "params", false, &self->params,
                          &self->param_count)
        || ps_mp_get_str(&r, "explanation", false, &self->explanation)
        || ps_mp_get_double(&r, "score", false, &self->score)
        || ps_mp_get_double(&r, "ai_score", false, &self->ai_score)
        || ps_mp_get_str(&r, "model", false, &self->model)
        || ps_mp_get_strs(&r, "matched", false, &self->matched,
                          &self->matched_count)
        || ps_mp_get_str(&r, "ruleset", false, &self->ruleset)
        || ps_mp_get_str(&r, "reason", false, &self->reason)
        || ps_mp_get_strs(&r, "keywords", false, &self->keywords,
                          &self->keyword_count)
        || ps_mp_get_strs(&r, "certifications", false, &self->certifications,
                          &self->certification_count)
        || ps_mp_get_int(&r, "total_episodes", false, &self->total_episodes)
        || ps_mp_get_bool(&r, "has_quota", false, &self->has_quota)
        || ps_mp_get_int(&r, "quota_movie_limit", false,
                         &self->quota_movie_limit)
        || ps_mp_get_int(&r, "quota_movie_used", false, &self->quota_movie_used)
        || ps_mp_get_int(&r, "quota_movie_days", false, &self->quota_movie_days)
        || ps_mp_get_int(&r, "quota_tv_limit", false, &self->quota_tv_limit)
        || ps_mp_get_int(&r, "quota_tv_used", false, &self->quota_tv_used)
        || ps_mp_get_int(&r, "quota_tv_days", false, &self->quota_tv_days)
        || ps_mp_get_bool(&r, "has_history", false, &self->has_history)
        || ps_mp_get_int(&r, "history_week", false, &self->history_week)
        || ps_mp_get_int(&r, "history_approved", false, &self->history_approved)
        || ps_mp_get_int(&r, "history_declined", false,
                         &self->history_declined)) {
        self->genre_count = genre_names;
        goto out;
    }
    self->genre_count = genre_names;
    if (genre_names != genre_ids) {
        snprintf(err, errlen,
                 "field `genres`: %zu names but %zu ids in genre_ids",
                 genre_names, genre_ids);
        goto out;
    }
    if (self->param_count % 2) {
        snprintf(err, errlen, "field `params`: expected key/value pairs");
        goto out;
    }
    self->has_score = ps_mp_has(&r, "score");
    self->has_ai_score = ps_mp_has(&r, "ai_score");
    if (outcome && ps_outcome_parse(outcome, &self->outcome) != 0) {
        snprintf(err, errlen,
                 "field `outcome`: expected approve, decline or review, got "
                 "\"%.32s\"",
                 outcome);
        goto out;
    }
    rc = 0;
out:
    ps_mp_reader_close(&r);
    free(outcome);
    if (rc != 0)
        ps_work_destroy(&self);
    *out = self;
    return rc;
}
