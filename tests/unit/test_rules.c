/*  test_rules - the rule engine's policy (services/rule-engine/rules.c).

    Every case loads a real config from a temporary YAML file, so the keys
    the rules read are the ones users write. Most cases are rows of one
    table: a config, a short spec of the request ("rating=5.9 votes=50"),
    and the outcome, deciding rule and one `matched` entry expected. The
    spec keeps each edge value visible on one line; s_spec documents its
    words. Times: NOW_MS is Monday 2025-11-24 17:00 in Europe/Paris.      */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ps_config.h"
#include "ps_parse.h"
#include "ps_time.h"
#include "ps_work.h"
#include "rules.h"

#define NOW_MS 1764000000000LL /* Mon 2025-11-24 16:00 UTC, 17:00 Paris */
#define DAY_MS 86400000LL
#define MIN_MS 60000LL

/* The prototype's cascade keys, as before this issue. */
static const char *s_classic = "rules:\n"
                               "  blocked_genres: [\"Horror\", \"Adult\"]\n"
                               "  allowed_genres: [\"documentary\", \"16\"]\n"
                               "  min_rating: 6.0\n"
                               "  approve_rating: 8.0\n"
                               "  upcoming_review: true\n";

/* A demanding owner's policy: every rule on. */
static const char *s_policy =
    "timezone: Europe/Paris\n"
    "rules:\n"
    "  blocked_genres: [\"Horreur\"]\n"
    "  allowed_genres: [\"Documentaire\", \"16\"]\n"
    "  min_rating: 6.0\n"
    "  approve_rating: 8.0\n"
    "  min_votes: 50\n"
    "  min_popularity: 10.0\n"
    "  trusted_users: [\"admin\", \"42\"]\n"
    "  restricted_users: [\"guest\"]\n"
    "  user_quotas:\n"
    "    default: 10\n"
    "    trusted: 50\n"
    "    restricted: 2\n"
    "    new: 3\n"
    "    per_user: [{user: bob, limit: 1}]\n"
    "  trust_levels: {new_days: 30, veteran_days: 365, veteran_approved: 10}\n"
    "  level_overrides:\n"
    "    - level: new\n"
    "      max_seasons: 2\n"
    "      request_4k: review\n"
    "  max_seasons: 10\n"
    "  max_episodes: 100\n"
    "  max_runtime: 180\n"
    "  year: {min: 1950, max: 2030}\n"
    "  certifications: {block: [\"US:NC-17\", \"US:TV-MA\"], review: "
    "[\"US:R\"]}\n"
    "  keywords: {block: [\"cam\"], review: [\"gore\"]}\n"
    "  languages: {block: [\"xx\"], allow: [\"en\", \"fr\", \"xx\"]}\n"
    "  ongoing_series: review\n"
    "  ended_series: allow\n"
    "  time_windows:\n"
    "    - name: night\n"
    "      from: \"23:00\"\n"
    "      to: \"08:00\"\n"
    "      action: review\n"
    "    - name: friday-family\n"
    "      days: [fri]\n"
    "      from: \"18:00\"\n"
    "      to: \"24:00\"\n"
    "      users: [\"family_user\"]\n"
    "      action: approve\n";

static const char *s_modes =
    "rules:\n"
    "  blocked_genres: [\"Horror\"]\n"
    "  allowed_genres: [\"Documentary\"]\n"
    "  min_rating: 6.0\n"
    "  keywords: {block: [\"cam\"]}\n"
    "  mode: {rating_below_min: dry-run, blocked_genre: dry-run, unrated: on,"
    " adult_content: off}\n"
    "  action: {blocked_keyword: review}\n";

static const char *s_scifi = "rules:\n"
                             "  blocked_genres: [\"Science-Fiction\"]\n"
                             "  allowed_genres: [\"878\"]\n";

static const char *s_empty = "rules:\n";

static ps_config_t *
s_config(const char *yaml)
{
    char path[] = "/tmp/test_rules_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    ps_config_issues_t errors = {0};
    ps_config_t *config = ps_config_load(path, &errors, NULL);
    unlink(path);
    for (size_t i = 0; i < errors.count; i++) {
        char line[1024];
        ps_config_issue_format(&errors.items[i], line, sizeof(line));
        print_message("config error: %s\n", line);
    }
    assert_non_null(config);
    ps_config_issues_clear(&errors);
    return config;
}

static int
s_setup(void **state)
{
    *state = s_config(s_classic);
    return 0;
}

static int
s_teardown(void **state)
{
    ps_config_t *config = *state;
    ps_config_destroy(&config);
    return 0;
}

static void
s_add_str(char ***list, size_t *count, const char *value)
{
    char **grown = realloc(*list, (*count + 1) * sizeof(*grown));
    assert_non_null(grown);
    *list = grown;
    (*list)[*count] = strdup(value);
    (*count)++;
}

/* A released, rated, popular English movie from 1999, requested by a
   two-year-old account "alice" (id 7) at NOW_MS. */
static ps_work_t *
s_base(void)
{
    ps_work_t *work = ps_work_new("enriched");
    assert_non_null(work);
    work->request_id = 42;
    work->tmdb_id = 603;
    ps_work_set_str(&work->media_type, "movie");
    ps_work_set_str(&work->title, "Some Film");
    ps_work_set_str(&work->release_date, "1999-03-30");
    ps_work_set_str(&work->media_status, "Released");
    ps_work_set_str(&work->language, "en");
    ps_work_set_str(&work->user_username, "alice");
    ps_work_set_str(&work->user_name, "Alice");
    ps_work_set_str(&work->user_email, "alice@example.org");
    work->user_id = 7;
    work->user_created_at = NOW_MS - 700 * DAY_MS;
    work->year = 1999;
    work->runtime = 120;
    work->rating = 7.0;
    work->votes = 1000;
    work->popularity = 50;
    work->requested_at = NOW_MS;
    return work;
}

static void
s_underscores(char *text)
{
    for (char *p = text; *p; p++)
        if (*p == '_')
            *p = ' ';
}

/* Applies a spec: space-separated word=value edits of s_base().
   rating votes pop year runtime episodes: numbers; genre=ID:Name;
   user username (replaces alice; uid= the id); age=days of the account;
   adult=1; cert=CC:V (appended); uscert=V (the v1.0 field); title= and
   kw= (underscores are spaces); lang; media; status; release=date;
   seasons=N (1..N) or seasons=0-N; 4k=1; week=N and approved=N (history);
   ql= qu= (movie Overseerr quota limit, used); tql= tqu= (tv);
   at=minutes after NOW_MS for requested_at. */
static void
s_spec(ps_work_t *work, const char *spec)
{
    char text[512];
    snprintf(text, sizeof(text), "%s", spec);
    char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *word = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
        char *value = strchr(word, '=');
        assert_non_null(value);
        *value++ = '\0';
        double number = 0;
        int64_t whole = 0;
        ps_parse_double(value, -1e12, 1e12, &number);
        ps_parse_int64(value, -1000000000000LL, 1000000000000LL, &whole);
        if (strcmp(word, "rating") == 0)
            work->rating = number;
        else if (strcmp(word, "votes") == 0)
            work->votes = whole;
        else if (strcmp(word, "pop") == 0)
            work->popularity = number;
        else if (strcmp(word, "year") == 0)
            work->year = whole;
        else if (strcmp(word, "runtime") == 0)
            work->runtime = whole;
        else if (strcmp(word, "episodes") == 0)
            work->requested_episodes = whole;
        else if (strcmp(word, "genre") == 0) {
            char *colon = strchr(value, ':');
            assert_non_null(colon);
            *colon = '\0';
            s_underscores(colon + 1);
            s_add_str(&work->genres, &work->genre_count, colon + 1);
            work->genre_ids =
                realloc(work->genre_ids, work->genre_count * sizeof(int64_t));
            assert_int_equal(
                ps_parse_int64(value, 1, INT32_MAX,
                               &work->genre_ids[work->genre_count - 1]),
                0);
        } else if (strcmp(word, "user") == 0) {
            ps_work_set_str(&work->user_username, value);
            ps_work_set_str(&work->user_name, value);
            ps_work_set_str(&work->user_email, NULL);
        } else if (strcmp(word, "uid") == 0)
            work->user_id = whole;
        else if (strcmp(word, "age") == 0)
            work->user_created_at = NOW_MS - whole * DAY_MS;
        else if (strcmp(word, "adult") == 0)
            work->adult = whole != 0;
        else if (strcmp(word, "cert") == 0)
            s_add_str(&work->certifications, &work->certification_count, value);
        else if (strcmp(word, "uscert") == 0)
            ps_work_set_str(&work->certification, value);
        else if (strcmp(word, "title") == 0) {
            s_underscores(value);
            ps_work_set_str(&work->title, value);
        } else if (strcmp(word, "kw") == 0) {
            s_underscores(value);
            s_add_str(&work->keywords, &work->keyword_count, value);
        } else if (strcmp(word, "lang") == 0)
            ps_work_set_str(&work->language, value);
        else if (strcmp(word, "media") == 0)
            ps_work_set_str(&work->media_type, value);
        else if (strcmp(word, "status") == 0) {
            s_underscores(value);
            ps_work_set_str(&work->media_status, value);
        } else if (strcmp(word, "release") == 0)
            ps_work_set_str(&work->release_date, value);
        else if (strcmp(word, "seasons") == 0) {
            int64_t first = 1;
            int64_t last = whole;
            char *dash = strchr(value, '-');
            if (dash) {
                *dash = '\0';
                first = 0;
                ps_parse_int64(dash + 1, 0, 1000, &last);
            }
            free(work->seasons);
            work->seasons = calloc((size_t)(last + 1), sizeof(int64_t));
            work->season_count = 0;
            for (int64_t s = first; s <= last; s++)
                work->seasons[work->season_count++] = s;
        } else if (strcmp(word, "4k") == 0)
            work->is4k = whole != 0;
        else if (strcmp(word, "week") == 0) {
            work->has_history = true;
            work->history_week = whole;
        } else if (strcmp(word, "approved") == 0) {
            work->has_history = true;
            work->history_approved = whole;
        } else if (strcmp(word, "ql") == 0) {
            work->has_quota = true;
            work->quota_movie_limit = whole;
            work->quota_movie_days = 7;
        } else if (strcmp(word, "qu") == 0)
            work->quota_movie_used = whole;
        else if (strcmp(word, "tql") == 0) {
            work->has_quota = true;
            work->quota_tv_limit = whole;
            work->quota_tv_days = 7;
        } else if (strcmp(word, "tqu") == 0)
            work->quota_tv_used = whole;
        else if (strcmp(word, "at") == 0)
            work->requested_at = NOW_MS + whole * MIN_MS;
        else
            fail_msg("unknown spec word %s", word);
    }
}

static const char *
s_param(const ps_work_t *work, const char *key)
{
    for (size_t i = 0; i + 1 < work->param_count; i += 2)
        if (strcmp(work->params[i], key) == 0)
            return work->params[i + 1];
    return NULL;
}

static bool
s_matched(const ps_work_t *work, const char *rule)
{
    for (size_t i = 0; i < work->matched_count; i++)
        if (strcmp(work->matched[i], rule) == 0)
            return true;
    return false;
}

#define N PS_OUTCOME_NONE
#define A PS_OUTCOME_APPROVE
#define D PS_OUTCOME_DECLINE
#define R PS_OUTCOME_REVIEW

typedef struct {
    const char **yaml;    /* config */
    const char *spec;     /* edits of s_base (s_spec) */
    ps_outcome_t outcome; /* expected outcome */
    const char *rule;     /* deciding rule, NULL when undecided */
    const char *also;     /* an entry `matched` must hold, or NULL */
    const char *message;  /* expected message id, or NULL */
} s_case_t;

static const s_case_t s_cases[] = {
    /* Baseline: nothing matches, the ai-judge decides. */
    {&s_policy, "", N, NULL, NULL, NULL},
    /* min_rating 6.0 declines 5.9, passes 6.0; needs min_votes 50. */
    {&s_policy, "rating=5.9", D, "rating_below_min", NULL, "rating_below_min"},
    {&s_policy, "rating=6.0", N, NULL, NULL, NULL},
    {&s_policy, "rating=2.0 votes=49", N, NULL, NULL, NULL},
    {&s_policy, "rating=2.0 votes=50", D, "rating_below_min", NULL, NULL},
    /* approve_rating 8.0 approves 8.0; a 9.0 from 3 votes is no 9.0. */
    {&s_policy, "rating=8.0", A, "approve_rating", NULL, "approve_rating"},
    {&s_policy, "rating=7.99", N, NULL, NULL, NULL},
    {&s_policy, "rating=9.0 votes=3", N, NULL, NULL, NULL},
    /* min_popularity 10 declines 9.99, passes 10; 0 is unknown. */
    {&s_policy, "pop=9.99", D, "popularity_below_min", NULL, NULL},
    {&s_policy, "pop=10", N, NULL, NULL, NULL},
    {&s_policy, "pop=0", N, NULL, NULL, NULL},
    /* Genres: French names and ids in the config, English on the work. */
    {&s_policy, "genre=27:Horror rating=8.5", D, "blocked_genre",
     "approve_rating", "blocked_genre"},
    {&s_policy, "genre=99:Documentary rating=4.0", A, "allowed_genre",
     "rating_below_min", "allowed_genre"},
    {&s_policy, "genre=16:Animation", A, "allowed_genre", NULL, NULL},
    {&s_scifi, "media=tv genre=10765:Sci-Fi_&_Fantasy", D, "blocked_genre",
     NULL, NULL},
    {&s_scifi, "genre=878:Science_Fiction", D, "blocked_genre", "allowed_genre",
     NULL},
    {&s_scifi, "media=tv genre=10765:Sci-Fi_&_Fantasy", D, "blocked_genre",
     NULL, NULL},
    /* Users: by username, id, any case; restricted first. */
    {&s_policy, "user=admin rating=3.0", A, "trusted_user", "rating_below_min",
     "trusted_user"},
    {&s_policy, "user=ADMIN", A, "trusted_user", NULL, NULL},
    {&s_policy, "user=someone uid=42", A, "trusted_user", NULL, NULL},
    {&s_policy, "user=guest rating=9.0", D, "restricted_user", "approve_rating",
     "restricted_user"},
    /* Hard blocks beat a trusted user. */
    {&s_policy, "user=admin genre=27:Horror", D, "blocked_genre",
     "trusted_user", NULL},
    {&s_policy, "user=admin adult=1", D, "adult_content", "trusted_user",
     "adult_content"},
    {&s_policy, "user=admin cert=US:TV-MA", D, "certification_blocked",
     "trusted_user", "certification_blocked"},
    {&s_policy, "cert=FR:12 cert=US:NC-17", D, "certification_blocked", NULL,
     NULL},
    {&s_policy, "cert=US:R", R, "certification_review", NULL,
     "certification_review"},
    {&s_policy, "uscert=R", R, "certification_review", NULL, NULL},
    {&s_policy, "cert=US:PG-13", N, NULL, NULL, NULL},
    /* Keywords: whole words, any case, title and TMDB keywords. */
    {&s_policy, "title=Camp_Nowhere", N, NULL, NULL, NULL},
    {&s_policy, "title=Film_(CAM)", D, "blocked_keyword", NULL,
     "blocked_keyword"},
    {&s_policy, "kw=hidden_cam", D, "blocked_keyword", NULL, NULL},
    {&s_policy, "kw=camcorder", N, NULL, NULL, NULL},
    {&s_policy, "kw=Gore", R, "keyword_review", NULL, "keyword_review"},
    {&s_policy, "kw=gorefest", N, NULL, NULL, NULL},
    /* Languages. */
    {&s_policy, "lang=xx", D, "language_blocked", NULL, NULL},
    {&s_policy, "lang=ja", D, "language_not_allowed", NULL,
     "language_not_allowed"},
    {&s_policy, "lang=FR", N, NULL, NULL, NULL},
    /* Year range 1950..2030, both ends included; 0 is unknown. */
    {&s_policy, "year=1949", D, "year_out_of_range", NULL, "year_before_min"},
    {&s_policy, "year=1950", N, NULL, NULL, NULL},
    {&s_policy, "year=2030", N, NULL, NULL, NULL},
    {&s_policy, "year=2031", D, "year_out_of_range", NULL, "year_after_max"},
    {&s_policy, "year=0", N, NULL, NULL, NULL},
    /* Runtime 180 passes, 181 goes to review. */
    {&s_policy, "runtime=180", N, NULL, NULL, NULL},
    {&s_policy, "runtime=181", R, "runtime_above_max", NULL, NULL},
    /* TV: seasons (specials do not count), episodes, status. */
    {&s_policy, "media=tv status=Ended seasons=10", N, NULL, NULL, NULL},
    {&s_policy, "media=tv status=Ended seasons=0-10", N, NULL, NULL, NULL},
    {&s_policy, "media=tv status=Ended seasons=11", D, "seasons_above_max",
     NULL, "seasons_above_max"},
    {&s_policy, "media=tv status=Ended seasons=1 episodes=100", N, NULL, NULL,
     NULL},
    {&s_policy, "media=tv status=Ended seasons=1 episodes=101", D,
     "episodes_above_max", NULL, NULL},
    {&s_policy, "media=tv status=Returning_Series seasons=1", R,
     "series_ongoing", NULL, NULL},
    {&s_policy, "media=tv status=In_Production seasons=1 votes=60", R,
     "series_ongoing", NULL, NULL},
    /* Trust levels: new accounts (< 30 days) get their overrides. */
    {&s_policy, "media=tv status=Ended seasons=3 age=29", D,
     "seasons_above_max", NULL, NULL},
    {&s_policy, "media=tv status=Ended seasons=3 age=30", N, NULL, NULL, NULL},
    {&s_policy, "media=tv status=Ended seasons=2 age=5", N, NULL, NULL, NULL},
    {&s_policy, "4k=1 age=5", R, "request_4k", NULL, "request_4k"},
    {&s_policy, "4k=1", N, NULL, NULL, NULL},
    /* Weekly quotas: this request is counted, limit 10 lets the 10th in. */
    {&s_policy, "week=10", N, NULL, NULL, NULL},
    {&s_policy, "week=11 rating=9.0", D, "quota_weekly", "approve_rating",
     "quota_weekly_exceeded"},
    {&s_policy, "user=admin week=50", A, "trusted_user", NULL, NULL},
    {&s_policy, "user=admin week=51", D, "quota_weekly", "trusted_user", NULL},
    {&s_policy, "age=5 week=4", D, "quota_weekly", NULL, NULL},
    {&s_policy, "age=5 week=3", N, NULL, NULL, NULL},
    {&s_policy, "user=bob week=2", D, "quota_weekly", NULL, NULL},
    {&s_policy, "user=guest week=3", D, "restricted_user", "quota_weekly",
     NULL},
    /* Overseerr's quota: `used` includes this pending request, so the
       last request the quota allowed (used == limit) passes and only
       used > limit is over it. */
    {&s_policy, "ql=5 qu=5", N, NULL, NULL, NULL},
    {&s_policy, "ql=5 qu=6 user=admin", D, "quota_overseerr", "trusted_user",
     "quota_overseerr_exceeded"},
    {&s_policy, "ql=0 qu=500", N, NULL, NULL, NULL},
    {&s_policy, "media=tv status=Ended seasons=1 ql=5 qu=6 tql=10 tqu=10", N,
     NULL, NULL, NULL},
    {&s_policy, "media=tv status=Ended seasons=1 tql=10 tqu=11", D,
     "quota_overseerr", NULL, NULL},
    /* Time windows in Europe/Paris: NOW is Monday 17:00. */
    {&s_policy, "at=360", R, "time_window:night", NULL, "time_window"},
    {&s_policy, "at=900", N, NULL, NULL, NULL},
    {&s_policy, "at=899", R, "time_window:night", NULL, NULL},
    {&s_policy, "at=359", N, NULL, NULL, NULL},
    {&s_policy, "user=family_user at=5880 rating=3.0", A,
     "time_window:friday-family", "rating_below_min", NULL},
    {&s_policy, "user=alice at=5880", N, NULL, NULL, NULL},
    {&s_policy, "user=family_user at=4440", N, NULL, NULL, NULL},
    /* Windows run in file order: night comes first in s_policy. */
    {&s_policy, "user=family_user at=6150", R, "time_window:night",
     "time_window:friday-family", NULL},
    /* Unreleased and unrated: review, unless a trusted user asks. */
    {&s_policy, "votes=0 rating=0 release=2026-06-01", R, "upcoming_unrated",
     NULL, "upcoming_unrated"},
    {&s_policy, "votes=0 rating=0 release=2026-06-01 user=admin", A,
     "trusted_user", "upcoming_unrated", NULL},
    {&s_policy, "votes=10 rating=3.0", N, NULL, NULL, NULL},
    /* Modes: dry-run never decides, off never matches, actions replace. */
    {&s_modes, "rating=3.0", N, NULL, "dry-run:rating_below_min", NULL},
    {&s_modes, "genre=27:Horror genre=99:Documentary", A, "allowed_genre",
     "dry-run:blocked_genre", NULL},
    {&s_modes, "adult=1", N, NULL, NULL, NULL},
    {&s_modes, "title=CAM_copy", R, "blocked_keyword", NULL, NULL},
    {&s_modes, "votes=0 rating=0", R, "unrated", NULL, "unrated"},
    /* The prototype's cascade: blocked genre now beats approve_rating. */
    {&s_classic, "genre=27:horror rating=8.5", D, "blocked_genre",
     "approve_rating", NULL},
    {&s_classic, "genre=99:Documentary rating=5.0", A, "allowed_genre",
     "rating_below_min", NULL},
    {&s_empty, "rating=1.0 adult=0 4k=1 week=10", N, NULL, NULL, NULL},
    {&s_empty, "week=11", D, "quota_weekly", NULL, NULL},
    {&s_empty, "adult=1", D, "adult_content", NULL, NULL},
};

static void
test_rules_table(void **state)
{
    (void)state;
    const char **configs[] = {&s_policy, &s_modes, &s_scifi, &s_classic,
                              &s_empty};
    ps_config_t *loaded[5];
    for (size_t i = 0; i < 5; i++)
        loaded[i] = s_config(*configs[i]);
    int failures = 0;
    for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
        const s_case_t *c = &s_cases[i];
        ps_config_t *config = NULL;
        for (size_t j = 0; j < 5; j++)
            if (configs[j] == c->yaml)
                config = loaded[j];
        ps_work_t *work = s_base();
        s_spec(work, c->spec);
        ps_outcome_t got = rules_decide(config, work, NOW_MS);
        bool ok = got == c->outcome
                  && (c->rule ? work->rule && strcmp(work->rule, c->rule) == 0
                              : work->rule == NULL)
                  && (!c->also || s_matched(work, c->also))
                  && (!c->rule || s_matched(work, c->rule))
                  && (!c->message
                      || (work->message_id
                          && strcmp(work->message_id, c->message) == 0))
                  && strcmp(work->ruleset, config->rules_version) == 0
                  && (got == N ? strcmp(work->type, "undecided") == 0
                               : work->explanation && *work->explanation);
        if (!ok) {
            failures++;
            print_message("case %zu \"%s\": got %s rule=%s msg=%s matched:", i,
                          c->spec, ps_outcome_name(got),
                          work->rule ? work->rule : "-",
                          work->message_id ? work->message_id : "-");
            for (size_t m = 0; m < work->matched_count; m++)
                print_message(" %s", work->matched[m]);
            print_message("\n");
        }
        ps_work_destroy(&work);
    }
    for (size_t i = 0; i < 5; i++)
        ps_config_destroy(&loaded[i]);
    assert_int_equal(failures, 0);
}

static void
test_rules_below_min_explained(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_base();
    s_spec(work, "rating=4.2 votes=312 genre=18:Drama");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    assert_string_equal(work->type, "decision");
    assert_string_equal(work->source, "rule");
    assert_string_equal(work->rule, "rating_below_min");
    assert_string_equal(work->message_id, "rating_below_min");
    assert_string_equal(s_param(work, "rating"), "4.2");
    assert_string_equal(s_param(work, "min"), "6.0");
    assert_string_equal(s_param(work, "votes"), "312");
    assert_string_equal(work->explanation,
                        "Rated 4.2/10 (312 votes), below the minimum of 6.0");
    assert_string_equal(work->ruleset, config->rules_version);
    assert_false(work->has_score);
    ps_work_destroy(&work);
    /* 5.95 must not read "6.0" in the explanation. */
    work = s_base();
    s_spec(work, "rating=5.95");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    assert_string_equal(s_param(work, "rating"), "5.95");
    ps_work_destroy(&work);
}

static void
test_rules_explanations_carry_state(void **state)
{
    (void)state;
    ps_config_t *config = s_config(s_policy);
    ps_work_t *work = s_base();
    s_spec(work, "age=5 week=4");
    rules_decide(config, work, NOW_MS);
    assert_string_equal(work->explanation,
                        "Weekly quota reached: 4 requests in the last 7 "
                        "days, the limit for new users is 3");
    assert_string_equal(s_param(work, "level"), "new");
    ps_work_destroy(&work);
    work = s_base();
    s_spec(work, "ql=5 qu=6");
    rules_decide(config, work, NOW_MS);
    assert_string_equal(work->explanation,
                        "Overseerr movie quota reached: 6 of 5 used in 7 "
                        "days");
    ps_work_destroy(&work);
    work = s_base();
    s_spec(work, "at=420");
    rules_decide(config, work, NOW_MS);
    assert_string_equal(work->explanation,
                        "Requested at 00:00, inside the window night "
                        "(23:00-08:00)");
    ps_work_destroy(&work);
    work = s_base();
    s_spec(work, "user=guest");
    ps_work_set_str(&work->user_email, "guest@example.org");
    rules_decide(config, work, NOW_MS);
    /* Named by display name, never by email. */
    assert_string_equal(work->explanation,
                        "guest is a restricted user: requests are declined");
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_rules_matched_lists_everything(void **state)
{
    (void)state;
    ps_config_t *config = s_config(s_policy);
    ps_work_t *work = s_base();
    s_spec(work, "user=guest adult=1 genre=27:Horror rating=3.0 lang=ja "
                 "year=1900 week=30");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    static const char *const want[] = {
        "restricted_user",  "adult_content",    "blocked_genre",
        "quota_weekly",     "rating_below_min", "language_not_allowed",
        "year_out_of_range"};
    assert_int_equal(work->matched_count, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(work->matched[i], want[i]);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_rules_levels(void **state)
{
    (void)state;
    ps_config_t *config = s_config(s_policy);
    ps_work_t *work = s_base();
    assert_int_equal(rules_level(config, work, NOW_MS), PS_LEVEL_ESTABLISHED);
    s_spec(work, "approved=10");
    assert_int_equal(rules_level(config, work, NOW_MS), PS_LEVEL_VETERAN);
    s_spec(work, "approved=9");
    assert_int_equal(rules_level(config, work, NOW_MS), PS_LEVEL_ESTABLISHED);
    s_spec(work, "approved=10 age=364");
    assert_int_equal(rules_level(config, work, NOW_MS), PS_LEVEL_ESTABLISHED);
    s_spec(work, "age=29");
    assert_int_equal(rules_level(config, work, NOW_MS), PS_LEVEL_NEW);
    work->user_created_at = 0;
    assert_int_equal(rules_level(config, work, NOW_MS), PS_LEVEL_ESTABLISHED);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_rules_words_and_users(void **state)
{
    (void)state;
    assert_true(rules_has_word("Film CAM", "cam"));
    assert_true(rules_has_word("cam", "CAM"));
    assert_true(rules_has_word("a hidden-cam b", "cam"));
    assert_false(rules_has_word("Camp", "cam"));
    assert_false(rules_has_word("webcam", "cam"));
    assert_false(rules_has_word("caméra", "cam"));
    assert_true(rules_has_word("serial killer film", "serial killer"));
    assert_false(rules_has_word(NULL, "cam"));
    assert_false(rules_has_word("cam", ""));
    ps_work_t *work = s_base();
    ps_work_set_str(&work->user_plex, "AlicePlex");
    assert_true(rules_user_is("alice", work));
    assert_true(rules_user_is("ALICE@example.org", work));
    assert_true(rules_user_is("aliceplex", work));
    assert_true(rules_user_is("7", work));
    assert_false(rules_user_is("8", work));
    assert_false(rules_user_is("", work));
    assert_false(rules_user_is("ali", work));
    ps_work_destroy(&work);
}

static void
test_rules_messages_table(void **state)
{
    (void)state;
    size_t count = 0;
    const rules_message_t *messages = rules_messages(&count);
    assert_true(count >= 27);
    for (size_t i = 0; i < count; i++) {
        assert_true(*messages[i].id && *messages[i].english);
        for (size_t j = i + 1; j < count; j++)
            assert_string_not_equal(messages[i].id, messages[j].id);
    }
    assert_null(rules_message_english("no_such_message"));
    char *params[] = {"rating", "4.2", "min", "6.0"};
    char buf[64];
    assert_int_equal(
        rules_render("{rating} < {min} ({votes})", params, 4, buf, sizeof(buf)),
        0);
    assert_string_equal(buf, "4.2 < 6.0 ({votes})");
    assert_int_equal(rules_render("{rating} is long", params, 4, buf, 6), -1);
    assert_string_equal(buf, "4.2 i");
}

static void
test_rules_version_follows_effective_rules(void **state)
{
    (void)state;
    ps_config_t *a = s_config("rules:\n  min_rating: 6.0\n");
    ps_config_t *b = s_config("# a comment\nrules:\n  min_rating: 6.00\n"
                              "ai:\n  model: other\n");
    ps_config_t *c = s_config("rules:\n  min_rating: 6.1\n");
    ps_config_t *d = s_config("rules:\n  time_windows: [{name: n, from: "
                              "\"01:00\", to: \"02:00\", action: review}]\n");
    assert_string_equal(a->rules_version, b->rules_version);
    assert_string_not_equal(a->version, b->version);
    assert_string_not_equal(a->rules_version, c->rules_version);
    assert_string_not_equal(a->rules_version, d->rules_version);
    assert_int_equal(strlen(a->rules_version), 16);
    ps_config_destroy(&a);
    ps_config_destroy(&b);
    ps_config_destroy(&c);
    ps_config_destroy(&d);
}

static void
test_rules_upcoming_edges(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_base();
    s_spec(work, "votes=0 rating=0 release=2026-06-01 status=Post_Production");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_REVIEW);
    assert_string_equal(work->rule, "upcoming_unrated");
    assert_string_equal(s_param(work, "release_date"), "2026-06-01");
    assert_string_equal(work->explanation,
                        "Not released yet (release date 2026-06-01, status "
                        "Post Production) and not rated: a person decides");
    ps_work_destroy(&work);
    work = s_base();
    s_spec(work, "votes=0 rating=0 release=");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_REVIEW);
    ps_work_destroy(&work);
    work = s_base();
    s_spec(work, "votes=0 status=Rumored");
    assert_true(rules_is_unreleased(work, NOW_MS));
    ps_work_destroy(&work);
    /* Upcoming but already voted on: not this rule. */
    work = s_base();
    s_spec(work, "votes=3 rating=6.5 release=2026-06-01");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
}

static void
test_rules_switched_off(void **state)
{
    (void)state;
    ps_config_t *config = s_config("rules:\n  upcoming_review: false\n");
    ps_work_t *work = s_base();
    s_spec(work, "votes=0 rating=0 release=");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
    /* min_rating 0 and approve_rating 0 are off. */
    work = s_base();
    s_spec(work, "rating=1.0");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    assert_int_equal(work->matched_count, 0);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_rules_decide_twice_resets(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_base();
    s_spec(work, "rating=4.0 genre=27:Horror");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    assert_int_equal(work->matched_count, 2);
    size_t params = work->param_count;
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    assert_int_equal(work->matched_count, 2);
    assert_int_equal(work->param_count, params);
    ps_work_destroy(&work);
}

static void
test_rules_format_number(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(rules_format_number(6, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "6.0");
    assert_int_equal(rules_format_number(7.125, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "7.125");
    assert_int_equal(rules_format_number(123.5, buf, 4), -1);
}

static void
test_rules_roundtrip_after_decide(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_base();
    s_spec(work, "rating=4.2 votes=312");
    rules_decide(config, work, NOW_MS);
    zmsg_t *msg = ps_work_encode(work);
    assert_non_null(msg);
    ps_work_t *back = NULL;
    char err[256];
    int rc = ps_work_decode(zmsg_first(msg), &back, err, sizeof(err));
    if (rc != 0)
        fail_msg("decode: %s", err);
    assert_string_equal(back->type, "decision");
    assert_int_equal(back->outcome, PS_OUTCOME_DECLINE);
    assert_string_equal(back->rule, "rating_below_min");
    assert_string_equal(back->ruleset, config->rules_version);
    ps_work_destroy(&back);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_table),
        cmocka_unit_test(test_rules_below_min_explained),
        cmocka_unit_test(test_rules_explanations_carry_state),
        cmocka_unit_test(test_rules_matched_lists_everything),
        cmocka_unit_test(test_rules_levels),
        cmocka_unit_test(test_rules_words_and_users),
        cmocka_unit_test(test_rules_messages_table),
        cmocka_unit_test(test_rules_version_follows_effective_rules),
        cmocka_unit_test(test_rules_upcoming_edges),
        cmocka_unit_test(test_rules_switched_off),
        cmocka_unit_test(test_rules_decide_twice_resets),
        cmocka_unit_test(test_rules_format_number),
        cmocka_unit_test(test_rules_roundtrip_after_decide),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
