/*  rules - see rules.h.

    The cascade evaluates every enabled rule in precedence order; each
    check builds an s_hit_t (rule, outcome, message id, params) and
    s_record applies the rule's mode and action: a dry-run hit only goes
    to `matched`, a live one also becomes the decision when nothing
    earlier decided. The English explanation is rendered from the message
    table below, so what the dashboard translates and what the history
    stores in English can never drift apart.

    The loop keeps at most one undecided record waiting for an ai-judge.
    The `undecided` PUSH has a small send HWM so work spreads over the
    judges instead of piling up in the first one's pipe; while a record
    waits, the engine stops reading `enriched`, so back-pressure reaches
    the enricher instead of our memory. A record no judge takes within
    RULES_PENDING_MAX_MS is released to the gateway (the next scan brings
    it back) so a missing judge cannot wedge the pipeline silently.       */
#include "rules.h"
#include "ps_beat.h"
#include "ps_bus.h"
#include "ps_log.h"
#include "ps_mp.h"
#include "ps_parse.h"
#include "ps_service.h"
#include "ps_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RULES_POLL_MS 1000
#define RULES_PENDING_MAX_MS 30000
#define RULES_UNDECIDED_HWM 2

/* ---- messages ---------------------------------------------------------- */

/* The English templates, one per message id (rules.h lists their
   params). The dashboard's translations are keyed by these ids. */
static const rules_message_t s_messages[] = {
    {"restricted_user", "{user} is a restricted user: requests are declined"},
    {"adult_content", "{title} is flagged as adult content on TMDB"},
    {"certification_blocked", "Certified {certification}, which is blocked"},
    {"blocked_genre", "Genre {genre} is blocked"},
    {"blocked_keyword", "Keyword \"{keyword}\" is blocked"},
    {"language_blocked", "Original language {language} is blocked"},
    {"quota_weekly_exceeded",
     "Weekly quota reached: {count} requests in the last 7 days, the limit "
     "for {level} users is {limit}"},
    {"quota_overseerr_exceeded",
     "Overseerr {media} quota reached: {used} of {limit} used in {days} "
     "days"},
    {"trusted_user", "{user} is a trusted user"},
    {"time_window", "Requested at {time}, inside the window {name} "
                    "({from}-{to})"},
    {"upcoming_unrated", "Not released yet (release date {release_date}, "
                         "status {status}) and not rated: a person decides"},
    {"unrated", "Only {votes} votes, fewer than the {min_votes} a rating "
                "needs to count: a person decides"},
    {"certification_review", "Certified {certification}: a person decides"},
    {"keyword_review", "Keyword \"{keyword}\": a person decides"},
    {"approve_rating", "Rated {rating}/10 ({votes} votes), at or above the "
                       "auto-approve rating of {min}"},
    {"allowed_genre", "Genre {genre} is always approved"},
    {"rating_below_min",
     "Rated {rating}/10 ({votes} votes), below the minimum of {min}"},
    {"popularity_below_min",
     "Popularity {popularity}, below the minimum of {min}"},
    {"language_not_allowed",
     "Original language {language} is not one of the allowed ({allowed})"},
    {"year_before_min", "Released in {year}, before {min}"},
    {"year_after_max", "Released in {year}, after {max}"},
    {"runtime_above_max",
     "Runs {runtime} minutes, longer than the maximum of {max}"},
    {"seasons_above_max", "{seasons} seasons requested, more than the {max} "
                          "allowed for {level} users"},
    {"episodes_above_max", "{episodes} episodes requested, more than the "
                           "{max} allowed for {level} users"},
    {"series_ongoing", "The series is still running (status {status})"},
    {"series_ended", "The series has ended (status {status})"},
    {"request_4k", "4K request by a {level} user"},
};
#define S_MESSAGE_COUNT (sizeof(s_messages) / sizeof(s_messages[0]))

const rules_message_t *
rules_messages(size_t *count)
{
    *count = S_MESSAGE_COUNT;
    return s_messages;
}

const char *
rules_message_english(const char *id)
{
    for (size_t i = 0; id && i < S_MESSAGE_COUNT; i++)
        if (strcmp(s_messages[i].id, id) == 0)
            return s_messages[i].english;
    return NULL;
}

int
rules_render(const char *template_text, char *const *params, size_t count,
             char *buf, size_t len)
{
    size_t used = 0;
    int rc = 0;
    if (len == 0)
        return -1;
    for (const char *p = template_text; *p;) {
        const char *value = NULL;
        size_t skip = 1;
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        for (size_t i = 0; close && i + 1 < count; i += 2)
            if (strlen(params[i]) == (size_t)(close - p - 1)
                && strncmp(params[i], p + 1, (size_t)(close - p - 1)) == 0) {
                value = params[i + 1];
                skip = (size_t)(close - p) + 1;
                break;
            }
        const char *piece = value ? value : p;
        size_t piece_len = value ? strlen(value) : 1;
        if (used + piece_len >= len) {
            piece_len = len - 1 - used;
            rc = -1;
        }
        memcpy(buf + used, piece, piece_len);
        used += piece_len;
        if (rc != 0)
            break;
        p += skip;
    }
    buf[used] = '\0';
    return rc;
}

/* ---- helpers ----------------------------------------------------------- */

int
rules_format_number(double value, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%.3f", value);
    if (n < 0 || (size_t)n >= len)
        return -1;
    /* Trim trailing zeros but keep one decimal: 6.000 -> 6.0, 5.950 -> 5.95. */
    char *dot = strchr(buf, '.');
    if (!dot)
        return 0;
    char *end = buf + n - 1;
    while (end > dot + 1 && *end == '0')
        *end-- = '\0';
    return 0;
}

bool
rules_is_unreleased(const ps_work_t *work, int64_t now_ms)
{
    static const char *const upcoming[] = {"Planned", "In Production",
                                           "Post Production", "Rumored"};
    for (size_t i = 0; i < sizeof(upcoming) / sizeof(upcoming[0]); i++)
        if (work->media_status
            && strcasecmp(work->media_status, upcoming[i]) == 0)
            return true;
    if (!work->release_date || !*work->release_date)
        return true;
    int64_t release_ms = 0;
    /* An unparsable date tells us nothing about release: treat it as
       unknown, like an empty one. */
    if (ps_time_parse_iso(work->release_date, &release_ms) != 0)
        return true;
    return release_ms > now_ms;
}

bool
rules_genre_match(const ps_strlist_t *names, const ps_config_genres_t *ids,
                  const ps_work_t *work, char *buf, size_t len)
{
    for (size_t i = 0; i < work->genre_count; i++) {
        const char *name = work->genres ? work->genres[i] : NULL;
        int64_t id = work->genre_ids ? work->genre_ids[i] : 0;
        bool hit = false;
        for (size_t j = 0; id > 0 && j < ids->count; j++)
            hit = hit || ids->ids[j] == id;
        for (size_t j = 0; name && !hit && j < names->count; j++)
            hit = strcasecmp(names->items[j], name) == 0;
        if (!hit)
            continue;
        if (name && *name)
            snprintf(buf, len, "%s", name);
        else
            snprintf(buf, len, "%lld", (long long)id);
        return true;
    }
    return false;
}

static bool
s_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c >= 0x80;
}

bool
rules_has_word(const char *text, const char *word)
{
    size_t len = word ? strlen(word) : 0;
    if (!text || len == 0)
        return false;
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, word, len) != 0)
            continue;
        bool starts = p == text || !s_word_char((unsigned char)p[-1])
                      || !s_word_char((unsigned char)word[0]);
        bool ends = !s_word_char((unsigned char)p[len])
                    || !s_word_char((unsigned char)word[len - 1]);
        if (starts && ends)
            return true;
    }
    return false;
}

static bool
s_same(const char *a, const char *b)
{
    return a && b && *a && strcasecmp(a, b) == 0;
}

bool
rules_user_is(const char *entry, const ps_work_t *work)
{
    int64_t id = 0;
    if (!entry || !*entry)
        return false;
    if (ps_parse_int64(entry, 1, INT64_MAX, &id) == 0 && id == work->user_id)
        return true;
    return s_same(work->user_username, entry) || s_same(work->user_plex, entry)
           || s_same(work->user_name, entry) || s_same(work->user_email, entry);
}

/* The first entry of `list` that names the requester, or NULL. */
static const char *
s_user_in(const ps_strlist_t *list, const ps_work_t *work)
{
    for (size_t i = 0; i < list->count; i++)
        if (rules_user_is(list->items[i], work))
            return list->items[i];
    return NULL;
}

/* How the requester is named in explanations: never the email. */
static void
s_user_label(const ps_work_t *work, char *buf, size_t len)
{
    const char *names[] = {work->user_name, work->user_username,
                           work->user_plex};
    for (size_t i = 0; i < 3; i++)
        if (names[i] && *names[i]) {
            snprintf(buf, len, "%s", names[i]);
            return;
        }
    snprintf(buf, len, "user %lld", (long long)work->user_id);
}

ps_level_t
rules_level(const ps_config_t *config, const ps_work_t *work, int64_t when_ms)
{
    if (work->user_created_at <= 0)
        return PS_LEVEL_ESTABLISHED;
    int64_t age_days = (when_ms - work->user_created_at) / 86400000;
    if (config->rules.new_days > 0 && age_days < config->rules.new_days)
        return PS_LEVEL_NEW;
    bool proven =
        config->rules.veteran_approved == 0
        || (work->has_history
            && work->history_approved >= config->rules.veteran_approved);
    if (config->rules.veteran_days > 0 && age_days >= config->rules.veteran_days
        && proven)
        return PS_LEVEL_VETERAN;
    return PS_LEVEL_ESTABLISHED;
}

void
rules_use_timezone(const ps_config_t *config)
{
    /* The loader read the user's TZ before this first ran (ps_config.c
       s_getenv), so setting it here never shadows a reload. */
    const char *current = getenv("TZ");
    if (current && strcmp(current, config->timezone) == 0)
        return;
    setenv("TZ", config->timezone, 1);
    tzset();
}

/* ---- the cascade ------------------------------------------------------- */

#define S_MAX_PARAMS 6

/* One rule that matched, before mode and action apply. */
typedef struct {
    ps_rule_t rule;                 /* which rule */
    char id[96];                    /* matched id, e.g. time_window:night */
    ps_outcome_t outcome;           /* the rule's own outcome */
    const char *message_id;         /* explanation id */
    const char *keys[S_MAX_PARAMS]; /* param names */
    char values[S_MAX_PARAMS][160]; /* param values */
    size_t count;                   /* params used */
} s_hit_t;

/* One run of the cascade over one record. */
typedef struct {
    const ps_config_t *config;        /* the rules */
    ps_work_t *work;                  /* the record, filled as we go */
    int64_t now_ms;                   /* wall clock (released yet?) */
    int64_t when_ms;                  /* request time (age, windows) */
    ps_level_t level;                 /* derived trust level */
    const ps_config_override_t *over; /* its overrides, or NULL */
    bool decided;                     /* winner holds the decision */
    s_hit_t winner;                   /* the first decisive hit */
} s_run_t;

static void
s_hit(s_hit_t *hit, ps_rule_t rule, ps_outcome_t outcome,
      const char *message_id)
{
    memset(hit, 0, sizeof(*hit));
    hit->rule = rule;
    hit->outcome = outcome;
    hit->message_id = message_id;
    snprintf(hit->id, sizeof(hit->id), "%s", ps_config_rule_name(rule));
}

static void s_param(s_hit_t *hit, const char *key, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_param(s_hit_t *hit, const char *key, const char *format, ...)
{
    if (hit->count >= S_MAX_PARAMS)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(hit->values[hit->count], sizeof(hit->values[0]), format, args);
    va_end(args);
    hit->keys[hit->count++] = key;
}

static void
s_param_number(s_hit_t *hit, const char *key, double value)
{
    char text[32] = "?";
    rules_format_number(value, text, sizeof(text));
    s_param(hit, key, "%s", text);
}

static bool
s_enabled(const s_run_t *run, ps_rule_t rule)
{
    return run->config->rules.mode[rule] != PS_MODE_OFF;
}

static ps_outcome_t
s_action_outcome(int action, ps_outcome_t fallback)
{
    switch (action) {
        case PS_ACTION_APPROVE:
            return PS_OUTCOME_APPROVE;
        case PS_ACTION_DECLINE:
            return PS_OUTCOME_DECLINE;
        case PS_ACTION_REVIEW:
            return PS_OUTCOME_REVIEW;
        default:
            return fallback;
    }
}

static ps_outcome_t
s_policy_outcome(int policy)
{
    return policy == PS_POLICY_DECLINE ? PS_OUTCOME_DECLINE : PS_OUTCOME_REVIEW;
}

/* Records a hit in `matched` and keeps it as the decision when it is the
   first decisive one. `mode` is the effective mode of this hit. */
static void
s_record(s_run_t *run, s_hit_t *hit, int mode)
{
    hit->outcome =
        s_action_outcome(run->config->rules.action[hit->rule], hit->outcome);
    if (mode == PS_MODE_DRY_RUN) {
        char id[128];
        snprintf(id, sizeof(id), "dry-run:%s", hit->id);
        ps_work_add_matched(run->work, id);
        return;
    }
    ps_work_add_matched(run->work, hit->id);
    if (!run->decided) {
        run->winner = *hit;
        run->decided = true;
    }
}

static void
s_record_rule(s_run_t *run, s_hit_t *hit)
{
    s_record(run, hit, run->config->rules.mode[hit->rule]);
}

/* Effective limits for the requester's level. */
static int
s_int_limit(int general, int override)
{
    return override >= 0 ? override : general;
}

static double
s_double_limit(double general, double override)
{
    return override >= 0 ? override : general;
}

static int
s_min_votes(const s_run_t *run)
{
    int votes = s_int_limit(run->config->rules.min_votes,
                            run->over ? run->over->min_votes : -1);
    return votes > 1 ? votes : 1;
}

static const char *
s_level_label(const s_run_t *run)
{
    return ps_config_level_name(run->level);
}

static void
s_check_users(s_run_t *run, const ps_strlist_t *list, ps_rule_t rule,
              ps_outcome_t outcome)
{
    if (!s_enabled(run, rule) || !s_user_in(list, run->work))
        return;
    s_hit_t hit;
    s_hit(&hit, rule, outcome, ps_config_rule_name(rule));
    char who[128];
    s_user_label(run->work, who, sizeof(who));
    s_param(&hit, "user", "%s", who);
    s_record_rule(run, &hit);
}

static bool
s_cert_in(const ps_strlist_t *list, const ps_work_t *work, char *buf,
          size_t len)
{
    for (size_t i = 0; i < list->count; i++) {
        const char *want = list->items[i];
        for (size_t j = 0; j < work->certification_count; j++)
            if (strcasecmp(work->certifications[j], want) == 0) {
                snprintf(buf, len, "%s", work->certifications[j]);
                return true;
            }
        /* Records from before v1.1 carry only the US certification. */
        if (work->certification_count == 0 && work->certification
            && *work->certification && strncasecmp(want, "US:", 3) == 0
            && strcasecmp(want + 3, work->certification) == 0) {
            snprintf(buf, len, "US:%s", work->certification);
            return true;
        }
    }
    return false;
}

static void
s_check_certs(s_run_t *run, const ps_strlist_t *list, ps_rule_t rule,
              ps_outcome_t outcome)
{
    char cert[64];
    if (!s_enabled(run, rule)
        || !s_cert_in(list, run->work, cert, sizeof(cert)))
        return;
    s_hit_t hit;
    s_hit(&hit, rule, outcome, ps_config_rule_name(rule));
    s_param(&hit, "certification", "%s", cert);
    s_record_rule(run, &hit);
}

static const char *
s_keyword_in(const ps_strlist_t *list, const ps_work_t *work)
{
    for (size_t i = 0; i < list->count; i++) {
        if (rules_has_word(work->title, list->items[i]))
            return list->items[i];
        for (size_t j = 0; j < work->keyword_count; j++)
            if (rules_has_word(work->keywords[j], list->items[i]))
                return list->items[i];
    }
    return NULL;
}

static void
s_check_keywords(s_run_t *run, const ps_strlist_t *list, ps_rule_t rule,
                 ps_outcome_t outcome)
{
    const char *word =
        s_enabled(run, rule) ? s_keyword_in(list, run->work) : NULL;
    if (!word)
        return;
    s_hit_t hit;
    s_hit(&hit, rule, outcome, ps_config_rule_name(rule));
    s_param(&hit, "keyword", "%s", word);
    s_record_rule(run, &hit);
}

static void
s_check_genres(s_run_t *run, const ps_strlist_t *names,
               const ps_config_genres_t *ids, ps_rule_t rule,
               ps_outcome_t outcome)
{
    char genre[128];
    if (!s_enabled(run, rule)
        || !rules_genre_match(names, ids, run->work, genre, sizeof(genre)))
        return;
    s_hit_t hit;
    s_hit(&hit, rule, outcome, ps_config_rule_name(rule));
    s_param(&hit, "genre", "%s", genre);
    s_record_rule(run, &hit);
}

int
rules_weekly_quota(const ps_config_t *c, const ps_work_t *w, ps_level_t level,
                   const char **label)
{
    for (size_t i = 0; i < c->rules.quota_users.count; i++)
        if (rules_user_is(c->rules.quota_users.items[i].user, w)) {
            *label = "this user's";
            return c->rules.quota_users.items[i].limit;
        }
    if (s_user_in(&c->rules.restricted_users, w)) {
        *label = "restricted";
        return c->rules.quota_restricted;
    }
    if (s_user_in(&c->rules.trusted_users, w)) {
        *label = "trusted";
        return c->rules.quota_trusted;
    }
    if ((int)level >= 0 && level < PS_LEVEL_COUNT
        && c->rules.quota_level[level] > 0) {
        *label = ps_config_level_name(level);
        return c->rules.quota_level[level];
    }
    *label = "all";
    return c->rules.quota_default;
}

bool
rules_user_in(const ps_strlist_t *list, const ps_work_t *work)
{
    return s_user_in(list, work) != NULL;
}

static void
s_check_quotas(s_run_t *run)
{
    const ps_config_t *c = run->config;
    const ps_work_t *w = run->work;
    if (s_enabled(run, PS_RULE_QUOTA_WEEKLY) && w->has_history) {
        const char *label = NULL;
        int limit = rules_weekly_quota(c, w, run->level, &label);
        /* history_week counts this request too: a limit of 10 lets the
           10th request of the week through and stops the 11th. */
        if (limit > 0 && w->history_week > limit) {
            s_hit_t hit;
            s_hit(&hit, PS_RULE_QUOTA_WEEKLY, PS_OUTCOME_DECLINE,
                  "quota_weekly_exceeded");
            s_param(&hit, "count", "%lld", (long long)w->history_week);
            s_param(&hit, "limit", "%d", limit);
            s_param(&hit, "level", "%s", label);
            s_record_rule(run, &hit);
        }
    }
    if (s_enabled(run, PS_RULE_QUOTA_OVERSEERR) && w->has_quota) {
        bool tv = w->media_type && strcmp(w->media_type, "tv") == 0;
        int64_t limit = tv ? w->quota_tv_limit : w->quota_movie_limit;
        int64_t used = tv ? w->quota_tv_used : w->quota_movie_used;
        int64_t days = tv ? w->quota_tv_days : w->quota_movie_days;
        /* `used` counts every non-declined request of the window, this
           pending one included (overseerr.md 9.3), and Overseerr refuses
           a new request once used >= limit: a pending request was within
           the quota when it was made, so only used > limit (the limit
           was lowered, or requests raced) is over it. */
        if (limit > 0 && used > limit) {
            s_hit_t hit;
            s_hit(&hit, PS_RULE_QUOTA_OVERSEERR, PS_OUTCOME_DECLINE,
                  "quota_overseerr_exceeded");
            s_param(&hit, "media", "%s", tv ? "tv" : "movie");
            s_param(&hit, "used", "%lld", (long long)used);
            s_param(&hit, "limit", "%lld", (long long)limit);
            s_param(&hit, "days", "%lld", (long long)days);
            s_record_rule(run, &hit);
        }
    }
}

static bool
s_window_has(const ps_config_window_t *window, int weekday, int minute)
{
    int yesterday = (weekday + 6) % 7;
    bool today = window->days & (1 << weekday);
    if (window->from == window->to)
        return today;
    if (window->from < window->to)
        return today && minute >= window->from && minute < window->to;
    return (today && minute >= window->from)
           || ((window->days & (1 << yesterday)) && minute < window->to);
}

static void
s_check_windows(s_run_t *run)
{
    const ps_config_t *c = run->config;
    if (!s_enabled(run, PS_RULE_TIME_WINDOW) || c->rules.windows.count == 0)
        return;
    rules_use_timezone(c);
    time_t seconds = (time_t)(run->when_ms / 1000);
    struct tm local;
    if (!localtime_r(&seconds, &local))
        return;
    int minute = local.tm_hour * 60 + local.tm_min;
    for (size_t i = 0; i < c->rules.windows.count; i++) {
        const ps_config_window_t *window = &c->rules.windows.items[i];
        if (window->mode == PS_MODE_OFF
            || !s_window_has(window, local.tm_wday, minute))
            continue;
        if (window->users.count > 0 && !s_user_in(&window->users, run->work))
            continue;
        if (window->levels.count > 0
            && !ps_strlist_has(&window->levels, s_level_label(run)))
            continue;
        s_hit_t hit;
        s_hit(&hit, PS_RULE_TIME_WINDOW,
              s_action_outcome(window->action, PS_OUTCOME_REVIEW),
              "time_window");
        snprintf(hit.id, sizeof(hit.id), "time_window:%s", window->name);
        s_param(&hit, "name", "%s", window->name);
        s_param(&hit, "time", "%02d:%02d", local.tm_hour, local.tm_min);
        s_param(&hit, "from", "%02d:%02d", window->from / 60,
                window->from % 60);
        s_param(&hit, "to", "%02d:%02d", window->to / 60, window->to % 60);
        int mode = c->rules.mode[PS_RULE_TIME_WINDOW] == PS_MODE_DRY_RUN
                       ? PS_MODE_DRY_RUN
                       : window->mode;
        s_record(run, &hit, mode);
    }
}

static void
s_check_rating(s_run_t *run)
{
    const ps_config_t *c = run->config;
    const ps_work_t *w = run->work;
    int need = s_min_votes(run);
    bool unreleased = rules_is_unreleased(w, run->now_ms);
    s_hit_t hit;
    if (s_enabled(run, PS_RULE_UPCOMING_UNRATED) && c->rules.upcoming_review
        && w->votes == 0 && unreleased) {
        s_hit(&hit, PS_RULE_UPCOMING_UNRATED, PS_OUTCOME_REVIEW,
              "upcoming_unrated");
        s_param(&hit, "release_date", "%s",
                w->release_date && *w->release_date ? w->release_date
                                                    : "unknown");
        s_param(&hit, "status", "%s",
                w->media_status && *w->media_status ? w->media_status
                                                    : "unknown");
        s_record_rule(run, &hit);
    } else if (s_enabled(run, PS_RULE_UNRATED) && w->votes < need) {
        s_hit(&hit, PS_RULE_UNRATED, PS_OUTCOME_REVIEW, "unrated");
        s_param(&hit, "votes", "%lld", (long long)w->votes);
        s_param(&hit, "min_votes", "%d", need);
        s_record_rule(run, &hit);
    }
}

static void
s_check_allows(s_run_t *run)
{
    const ps_config_t *c = run->config;
    const ps_work_t *w = run->work;
    if (s_enabled(run, PS_RULE_APPROVE_RATING) && c->rules.approve_rating > 0
        && w->votes >= s_min_votes(run)
        && w->rating >= c->rules.approve_rating) {
        s_hit_t hit;
        s_hit(&hit, PS_RULE_APPROVE_RATING, PS_OUTCOME_APPROVE,
              "approve_rating");
        s_param_number(&hit, "rating", w->rating);
        s_param(&hit, "votes", "%lld", (long long)w->votes);
        s_param_number(&hit, "min", c->rules.approve_rating);
        s_record_rule(run, &hit);
    }
    s_check_genres(run, &c->rules.allowed_genres, &c->rules.allowed_ids,
                   PS_RULE_ALLOWED_GENRE, PS_OUTCOME_APPROVE);
}

static int
s_requested_seasons(const ps_work_t *work)
{
    int count = 0;
    /* Season 0 holds the specials: it does not count as a season. */
    for (size_t i = 0; i < work->season_count; i++)
        if (work->seasons[i] > 0)
            count++;
    return count;
}

static bool
s_status_is(const ps_work_t *work, const char *a, const char *b)
{
    return work->media_status
           && (strcasecmp(work->media_status, a) == 0
               || strcasecmp(work->media_status, b) == 0);
}

static void
s_check_policy(s_run_t *run, ps_rule_t rule, int policy, const char *key,
               const char *value)
{
    if (!s_enabled(run, rule) || policy == PS_POLICY_ALLOW)
        return;
    s_hit_t hit;
    s_hit(&hit, rule, s_policy_outcome(policy), ps_config_rule_name(rule));
    s_param(&hit, key, "%s", value);
    s_record_rule(run, &hit);
}

static void
s_check_limits(s_run_t *run)
{
    const ps_config_t *c = run->config;
    const ps_work_t *w = run->work;
    const ps_config_override_t *o = run->over;
    bool tv = w->media_type && strcmp(w->media_type, "tv") == 0;
    s_hit_t hit;

    double min_rating =
        s_double_limit(c->rules.min_rating, o ? o->min_rating : -1);
    if (s_enabled(run, PS_RULE_RATING_BELOW_MIN) && min_rating > 0
        && w->votes >= s_min_votes(run) && w->rating < min_rating) {
        s_hit(&hit, PS_RULE_RATING_BELOW_MIN, PS_OUTCOME_DECLINE,
              "rating_below_min");
        s_param_number(&hit, "rating", w->rating);
        s_param_number(&hit, "min", min_rating);
        s_param(&hit, "votes", "%lld", (long long)w->votes);
        s_record_rule(run, &hit);
    }
    double min_pop =
        s_double_limit(c->rules.min_popularity, o ? o->min_popularity : -1);
    /* Popularity 0 means "not known" (the enricher found none). */
    if (s_enabled(run, PS_RULE_POPULARITY_BELOW_MIN) && min_pop > 0
        && w->popularity > 0 && w->popularity < min_pop) {
        s_hit(&hit, PS_RULE_POPULARITY_BELOW_MIN, PS_OUTCOME_DECLINE,
              "popularity_below_min");
        s_param_number(&hit, "popularity", w->popularity);
        s_param_number(&hit, "min", min_pop);
        s_record_rule(run, &hit);
    }
    const ps_strlist_t *allow = &c->rules.language_allow;
    if (s_enabled(run, PS_RULE_LANGUAGE_NOT_ALLOWED) && allow->count > 0
        && w->language && *w->language && !ps_strlist_has(allow, w->language)) {
        s_hit(&hit, PS_RULE_LANGUAGE_NOT_ALLOWED, PS_OUTCOME_DECLINE,
              "language_not_allowed");
        s_param(&hit, "language", "%s", w->language);
        char list[128] = "";
        size_t used = 0;
        for (size_t i = 0; i < allow->count && used < sizeof(list); i++) {
            int n = snprintf(list + used, sizeof(list) - used, "%s%s",
                             i ? ", " : "", allow->items[i]);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        s_param(&hit, "allowed", "%s", list);
        s_record_rule(run, &hit);
    }
    if (s_enabled(run, PS_RULE_YEAR_OUT_OF_RANGE) && w->year > 0) {
        if (c->rules.year_min > 0 && w->year < c->rules.year_min) {
            s_hit(&hit, PS_RULE_YEAR_OUT_OF_RANGE, PS_OUTCOME_DECLINE,
                  "year_before_min");
            s_param(&hit, "year", "%lld", (long long)w->year);
            s_param(&hit, "min", "%d", c->rules.year_min);
            s_record_rule(run, &hit);
        } else if (c->rules.year_max > 0 && w->year > c->rules.year_max) {
            s_hit(&hit, PS_RULE_YEAR_OUT_OF_RANGE, PS_OUTCOME_DECLINE,
                  "year_after_max");
            s_param(&hit, "year", "%lld", (long long)w->year);
            s_param(&hit, "max", "%d", c->rules.year_max);
            s_record_rule(run, &hit);
        }
    }
    int max_runtime =
        s_int_limit(c->rules.max_runtime, o ? o->max_runtime : -1);
    if (s_enabled(run, PS_RULE_RUNTIME_ABOVE_MAX) && max_runtime > 0
        && w->runtime > max_runtime) {
        s_hit(&hit, PS_RULE_RUNTIME_ABOVE_MAX, PS_OUTCOME_REVIEW,
              "runtime_above_max");
        s_param(&hit, "runtime", "%lld", (long long)w->runtime);
        s_param(&hit, "max", "%d", max_runtime);
        s_record_rule(run, &hit);
    }
    int max_seasons =
        s_int_limit(c->rules.max_seasons, o ? o->max_seasons : -1);
    int seasons = s_requested_seasons(w);
    if (s_enabled(run, PS_RULE_SEASONS_ABOVE_MAX) && tv && max_seasons > 0
        && seasons > max_seasons) {
        s_hit(&hit, PS_RULE_SEASONS_ABOVE_MAX, PS_OUTCOME_DECLINE,
              "seasons_above_max");
        s_param(&hit, "seasons", "%d", seasons);
        s_param(&hit, "max", "%d", max_seasons);
        s_param(&hit, "level", "%s", s_level_label(run));
        s_record_rule(run, &hit);
    }
    int max_episodes =
        s_int_limit(c->rules.max_episodes, o ? o->max_episodes : -1);
    if (s_enabled(run, PS_RULE_EPISODES_ABOVE_MAX) && tv && max_episodes > 0
        && w->requested_episodes > max_episodes) {
        s_hit(&hit, PS_RULE_EPISODES_ABOVE_MAX, PS_OUTCOME_DECLINE,
              "episodes_above_max");
        s_param(&hit, "episodes", "%lld", (long long)w->requested_episodes);
        s_param(&hit, "max", "%d", max_episodes);
        s_param(&hit, "level", "%s", s_level_label(run));
        s_record_rule(run, &hit);
    }
    int ongoing = o && o->ongoing_series != PS_POLICY_INHERIT
                      ? o->ongoing_series
                      : c->rules.ongoing_series;
    if (tv && s_status_is(w, "Returning Series", "In Production"))
        s_check_policy(run, PS_RULE_SERIES_ONGOING, ongoing, "status",
                       w->media_status);
    if (tv && s_status_is(w, "Ended", "Canceled"))
        s_check_policy(run, PS_RULE_SERIES_ENDED, c->rules.ended_series,
                       "status", w->media_status);
    int uhd = o && o->request_4k != PS_POLICY_INHERIT ? o->request_4k
                                                      : c->rules.request_4k;
    if (w->is4k)
        s_check_policy(run, PS_RULE_REQUEST_4K, uhd, "level",
                       s_level_label(run));
}

static void
s_reset_decision(ps_work_t *work)
{
    ps_mp_strs_free(&work->matched, &work->matched_count);
    ps_mp_strs_free(&work->params, &work->param_count);
    work->outcome = PS_OUTCOME_NONE;
    work->has_score = false;
    ps_work_set_str(&work->rule, NULL);
    ps_work_set_str(&work->message_id, NULL);
    ps_work_set_str(&work->explanation, NULL);
}

static void
s_apply(const ps_config_t *config, ps_work_t *work, const s_hit_t *hit)
{
    ps_work_set_type(work, "decision");
    work->outcome = hit->outcome;
    ps_work_set_str(&work->source, "rule");
    ps_work_set_str(&work->rule, hit->id);
    ps_work_set_str(&work->message_id, hit->message_id);
    for (size_t i = 0; i < hit->count; i++)
        ps_work_add_param(work, hit->keys[i], hit->values[i]);
    char explanation[512];
    const char *english = rules_message_english(hit->message_id);
    rules_render(english ? english : hit->message_id, work->params,
                 work->param_count, explanation, sizeof(explanation));
    ps_work_set_str(&work->explanation, explanation);
    ps_work_set_str(&work->ruleset, config->rules_version);
}

ps_outcome_t
rules_decide(const ps_config_t *config, ps_work_t *work, int64_t now_ms)
{
    s_reset_decision(work);
    s_run_t run = {.config = config,
                   .work = work,
                   .now_ms = now_ms,
                   .when_ms =
                       work->requested_at > 0 ? work->requested_at : now_ms};
    run.level = rules_level(config, work, run.when_ms);
    for (size_t i = 0; i < config->rules.overrides.count; i++)
        if (config->rules.overrides.items[i].level == (int)run.level)
            run.over = &config->rules.overrides.items[i];
    const ps_config_t *c = config;
    s_hit_t hit;

    /* 1 user */
    s_check_users(&run, &c->rules.restricted_users, PS_RULE_RESTRICTED_USER,
                  PS_OUTCOME_DECLINE);
    /* 2 hard blocks */
    if (s_enabled(&run, PS_RULE_ADULT_CONTENT) && work->adult) {
        s_hit(&hit, PS_RULE_ADULT_CONTENT, PS_OUTCOME_DECLINE, "adult_content");
        s_param(&hit, "title", "%s",
                work->title && *work->title ? work->title : "This title");
        s_record_rule(&run, &hit);
    }
    s_check_certs(&run, &c->rules.cert_block, PS_RULE_CERTIFICATION_BLOCKED,
                  PS_OUTCOME_DECLINE);
    s_check_genres(&run, &c->rules.blocked_genres, &c->rules.blocked_ids,
                   PS_RULE_BLOCKED_GENRE, PS_OUTCOME_DECLINE);
    s_check_keywords(&run, &c->rules.keyword_block, PS_RULE_BLOCKED_KEYWORD,
                     PS_OUTCOME_DECLINE);
    if (s_enabled(&run, PS_RULE_LANGUAGE_BLOCKED) && work->language
        && ps_strlist_has(&c->rules.language_block, work->language)) {
        s_hit(&hit, PS_RULE_LANGUAGE_BLOCKED, PS_OUTCOME_DECLINE,
              "language_blocked");
        s_param(&hit, "language", "%s", work->language);
        s_record_rule(&run, &hit);
    }
    /* 3 quota */
    s_check_quotas(&run);
    /* 4 trust */
    s_check_users(&run, &c->rules.trusted_users, PS_RULE_TRUSTED_USER,
                  PS_OUTCOME_APPROVE);
    /* 5 guards */
    s_check_windows(&run);
    s_check_rating(&run);
    s_check_certs(&run, &c->rules.cert_review, PS_RULE_CERTIFICATION_REVIEW,
                  PS_OUTCOME_REVIEW);
    s_check_keywords(&run, &c->rules.keyword_review, PS_RULE_KEYWORD_REVIEW,
                     PS_OUTCOME_REVIEW);
    /* 6 allows, 7 limits */
    s_check_allows(&run);
    s_check_limits(&run);

    if (run.decided) {
        s_apply(config, work, &run.winner);
        return run.winner.outcome;
    }
    ps_work_set_type(work, "undecided");
    ps_work_set_str(&work->ruleset, config->rules_version);
    return PS_OUTCOME_NONE;
}

/* ---- the service loop -------------------------------------------------- */

typedef struct {
    zsock_t *enriched;     /* PULL, bound */
    zsock_t *undecided;    /* PUSH, bound, small HWM */
    zsock_t *collect;      /* PUSH, connected */
    ps_beat_t *beat;       /* heartbeat sender */
    zmsg_t *pending;       /* undecided record no judge has taken yet */
    int64_t pending_id;    /* its request id */
    int64_t pending_since; /* monotonic ms it started waiting */
    bool warned_no_judge;  /* warn once per outage, not per message */
} s_loop_t;

static void
s_release(s_loop_t *loop, int64_t request_id, const char *reason)
{
    ps_work_t *release = ps_work_new("release");
    if (!release)
        return;
    release->request_id = request_id;
    ps_work_set_str(&release->reason, reason);
    zmsg_t *msg = ps_work_encode(release);
    if (!msg || ps_bus_send(loop->collect, &msg) != 0)
        ps_log_warn("cannot release a request to the gateway req=%lld",
                    (long long)request_id);
    ps_work_destroy(&release);
}

static void
s_on_enriched(s_loop_t *loop, const ps_config_t *config)
{
    zmsg_t *msg = zmsg_recv(loop->enriched);
    if (!msg)
        return;
    zframe_t *frame = zmsg_first(msg);
    ps_work_t *work = NULL;
    char err[256];
    if (!frame || ps_work_decode(frame, &work, err, sizeof(err)) != 0) {
        ps_log_warn("dropped an undecodable message on enriched err=\"%s\"",
                    frame ? err : "empty message");
        goto out;
    }
    if (strcmp(work->type, "enriched") != 0) {
        ps_log_warn("dropped a `%s` message on enriched req=%lld", work->type,
                    (long long)work->request_id);
        goto out;
    }
    ps_outcome_t outcome = rules_decide(config, work, ps_time_now_ms());
    zmsg_t *out_msg = ps_work_encode(work);
    if (!out_msg) {
        ps_log_error("out of memory encoding req=%lld",
                     (long long)work->request_id);
        goto out;
    }
    if (outcome == PS_OUTCOME_NONE) {
        ps_log_debug("undecided req=%lld", (long long)work->request_id);
        loop->pending = out_msg;
        loop->pending_id = work->request_id;
        loop->pending_since = ps_time_mono_ms();
    } else {
        ps_log_debug("decided req=%lld outcome=%s rule=%s",
                     (long long)work->request_id, ps_outcome_name(outcome),
                     work->rule);
        if (ps_bus_send(loop->collect, &out_msg) != 0)
            ps_log_warn("cannot send a decision to collect req=%lld",
                        (long long)work->request_id);
    }
out:
    ps_work_destroy(&work);
    zmsg_destroy(&msg);
}

static void
s_flush_pending(s_loop_t *loop)
{
    if (zmsg_send(&loop->pending, loop->undecided) == 0) {
        if (loop->warned_no_judge)
            ps_log_info("an ai-judge takes undecided requests again");
        loop->warned_no_judge = false;
        return;
    }
    if (ps_time_mono_ms() - loop->pending_since < RULES_PENDING_MAX_MS)
        return;
    if (!loop->warned_no_judge)
        ps_log_warn("no ai-judge took an undecided request within %d ms, "
                    "released to the gateway req=%lld",
                    RULES_PENDING_MAX_MS, (long long)loop->pending_id);
    loop->warned_no_judge = true;
    zmsg_destroy(&loop->pending);
    s_release(loop, loop->pending_id, "no ai-judge available");
}

int
rules_service_run(ps_config_t **config, const char *config_path)
{
    int rc = 1;
    char err[512];
    s_loop_t loop = {0};
    const ps_config_t *c = *config;

    ps_bus_options_t push_options = ps_bus_defaults();
    push_options.sndhwm = RULES_UNDECIDED_HWM;
    push_options.sndtimeo = 0;
    loop.enriched = ps_bus_socket(c, ZMQ_PULL, c->bus.enriched, true, NULL, err,
                                  sizeof(err));
    if (!loop.enriched)
        goto out;
    loop.undecided = ps_bus_socket(c, ZMQ_PUSH, c->bus.undecided, true,
                                   &push_options, err, sizeof(err));
    if (!loop.undecided)
        goto out;
    loop.collect = ps_bus_socket(c, ZMQ_PUSH, c->bus.collect, false, NULL, err,
                                 sizeof(err));
    if (!loop.collect)
        goto out;
    loop.beat = ps_beat_new("rule-engine");
    if (!loop.beat) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    ps_beat_set_config(loop.beat, c->version, NULL);
    ps_log_info("started enriched=%s undecided=%s collect=%s ruleset=%s",
                c->bus.enriched, c->bus.undecided, c->bus.collect,
                c->rules_version);

    while (!zsys_interrupted) {
        if (ps_signals_take_reload()) {
            char why[512] = "";
            ps_service_reload(config_path, config, why, sizeof(why));
            ps_beat_set_config(loop.beat, (*config)->version, why);
        }
        ps_beat_tick(loop.beat, loop.collect);
        int timeout = ps_beat_wait_ms(loop.beat);
        if (timeout > RULES_POLL_MS)
            timeout = RULES_POLL_MS;
        zmq_pollitem_t items[] = {
            {zsock_resolve(loop.enriched), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(loop.undecided), 0, ZMQ_POLLOUT, 0}};
        /* While a record waits for a judge, only the judges' side matters:
           polling for POLLOUT with a short timeout also retries the send. */
        int n = loop.pending ? zmq_poll(&items[1], 1, 100)
                             : zmq_poll(items, 1, timeout);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue;
            ps_log_error("poll failed err=\"%s\"", zmq_strerror(zmq_errno()));
            break;
        }
        if (loop.pending)
            s_flush_pending(&loop);
        else if (items[0].revents & ZMQ_POLLIN)
            s_on_enriched(&loop, *config);
    }
    rc = 0;
    ps_log_info("stopping");
out:
    if (rc != 0)
        ps_log_error("cannot start: %s", err);
    if (loop.pending)
        s_release(&loop, loop.pending_id, "rule-engine stopping");
    zmsg_destroy(&loop.pending);
    ps_beat_destroy(&loop.beat);
    zsock_destroy(&loop.collect);
    zsock_destroy(&loop.undecided);
    zsock_destroy(&loop.enriched);
    return rc;
}
