/*  rules - the rule engine's policy: hard decisions with their reasons.

    Pure logic over one ps_work_t "enriched" record and the loaded config
    (no I/O, so the gateway can backtest recorded snapshots through
    rules_decide). Every rule whose mode is not `off` is evaluated, so
    `matched` lists all that applied (the history, the learner and the
    ai-judge's prompt want them); the first decisive one wins. A rule in
    `dry-run` mode is recorded as "dry-run:<id>" and never decides.

    Precedence (ps_config.h ps_rule_t holds the same order):

      1 user        restricted_user       a restricted user        decline
      2 hard block  adult_content         TMDB adult flag          decline
                    certification_blocked certifications.block     decline
                    blocked_genre         blocked_genres           decline
                    blocked_keyword       keywords.block           decline
                    language_blocked      languages.block          decline
      3 quota       quota_weekly          user_quotas.* exceeded   decline
                    quota_overseerr       Overseerr's quota full   decline
      4 trust       trusted_user          a trusted user           approve
      5 guards      time_window:<name>    inside a time window     its action
                    upcoming_unrated      unreleased, no votes     review
                    unrated               too few votes (off)      review
                    certification_review  certifications.review    review
                    keyword_review        keywords.review          review
      6 allows      approve_rating        rating >= approve_rating approve
                    allowed_genre         allowed_genres           approve
      7 limits      rating_below_min      rating < min_rating      decline
                    popularity_below_min  popularity < minimum     decline
                    language_not_allowed  not in languages.allow   decline
                    year_out_of_range     outside year.min..max    decline
                    runtime_above_max     runtime > max_runtime    review
                    seasons_above_max     seasons > max_seasons    decline
                    episodes_above_max    episodes > max_episodes  decline
                    series_ongoing        ongoing_series policy    policy
                    series_ended          ended_series policy      policy
                    request_4k            request_4k policy        policy

    `rules.action.<id>` replaces a rule's outcome. Limits in tier 7 and
    quotas take per-level values (rules.level_overrides, user_quotas.new
    ...) from the requester's trust level (rules_level).

    Explanations are a message id plus key/value params, rendered in
    English from the one template table in rules.c (rules_messages) for
    `explanation`; the dashboard translates by id. The ids below are
    stable: rename one and every stored decision loses its translation.

      id                        params
      restricted_user           user
      adult_content             title
      certification_blocked     certification
      blocked_genre             genre
      blocked_keyword           keyword
      language_blocked          language
      quota_weekly_exceeded     count, limit, level
      quota_overseerr_exceeded  media, used, limit, days
      trusted_user              user
      time_window               name, time, from, to
      upcoming_unrated          release_date, status
      unrated                   votes, min_votes
      certification_review      certification
      keyword_review            keyword
      approve_rating            rating, votes, min
      allowed_genre             genre
      rating_below_min          rating, min, votes
      popularity_below_min      popularity, min
      language_not_allowed      language, allowed
      year_before_min           year, min
      year_after_max            year, max
      runtime_above_max         runtime, max
      seasons_above_max         seasons, max, level
      episodes_above_max        episodes, max, level
      series_ongoing            status
      series_ended              status
      request_4k                level

    Time windows use the local time of config `timezone`: the first
    decision that needs it sets the process TZ (setenv + tzset) once per
    zone, so the service must stay single-threaded around rules_decide,
    or call rules_use_timezone before starting threads.

    The service loop (rules_service_run) owns the sockets; it is the only
    part that needs a bus. Single-threaded.                               */
#ifndef RULES_H_INCLUDED
#define RULES_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ps_config.h"
#include "ps_work.h"

/* One explanation template: {key} stands for the param of that key. */
typedef struct {
    const char *id;      /* stable message id */
    const char *english; /* English template */
} rules_message_t;

/* Decides `work` at wall-clock time now_ms (for "released yet?"; the
   account age and time windows use work->requested_at when set, else
   now_ms). Resets and fills work->matched with every rule that matched
   (dry-run ones prefixed "dry-run:"), and work->ruleset with
   config->rules_version. On a decision, sets type "decision", outcome,
   source "rule", rule (the matched id), message_id, params and the
   English explanation, and returns the outcome. Otherwise sets type
   "undecided" and returns PS_OUTCOME_NONE. On allocation failure some
   text fields may be missing; the outcome is still right. `work` stays
   owned by the caller. */
ps_outcome_t rules_decide(const ps_config_t *config, ps_work_t *work,
                          int64_t now_ms);

/* The requester's derived trust level at time when_ms: new when the
   account is younger than rules.trust_levels.new_days, veteran when at
   least veteran_days old with veteran_approved approved requests (which
   needs work->has_history unless veteran_approved is 0), established
   otherwise or when the account age is unknown. */
ps_level_t rules_level(const ps_config_t *config, const ps_work_t *work,
                       int64_t when_ms);

/* True when `work` is not released yet at now_ms: release_date empty,
   unparsable or in the future, or media_status Planned, In Production,
   Post Production or Rumored. */
bool rules_is_unreleased(const ps_work_t *work, int64_t now_ms);

/* Finds the first genre of `work` in a configured list: its TMDB id is
   among `ids` (the list resolved by ps_config) or its name equals one of
   `names` (ASCII case-insensitive). Writes the genre's name (or its id)
   into buf. Returns true when one matched. */
bool rules_genre_match(const ps_strlist_t *names, const ps_config_genres_t *ids,
                       const ps_work_t *work, char *buf, size_t len);

/* True when `word` occurs in `text` as whole words (ASCII
   case-insensitive; letters, digits and non-ASCII bytes are word
   characters): "CAM" is in "Cam rip" but not in "Camp". */
bool rules_has_word(const char *text, const char *word);

/* True when `entry` (from trusted_users and the like) names the
   requester: the Overseerr id in decimal, or the username, Plex
   username, display name or email, ASCII case-insensitive. */
bool rules_user_is(const char *entry, const ps_work_t *work);

/* True when an entry of `list` (trusted_users, restricted_users) names
   the requester (rules_user_is). */
bool rules_user_in(const ps_strlist_t *list, const ps_work_t *work);

/* The requester's weekly request limit (rules.user_quotas, 0 = none) for
   trust level `level`: a per_user entry wins, then restricted, then
   trusted, then the level's own limit when set, else the default.
   *label names which one applied ("this user's", "restricted",
   "trusted", a level name, "all"; static text). */
int rules_weekly_quota(const ps_config_t *config, const ps_work_t *work,
                       ps_level_t level, const char **label);

/* Every message id with its English template; *count gets how many. */
const rules_message_t *rules_messages(size_t *count);

/* The English template of `id`, or NULL when unknown. */
const char *rules_message_english(const char *id);

/* Renders `template` into buf, replacing {key} by the value that follows
   key in params (key, value, key, value...; `count` entries); unknown
   keys stay as written. Returns 0, or -1 when buf is too small (buf then
   holds a truncated text). */
int rules_render(const char *template_text, char *const *params, size_t count,
                 char *buf, size_t len);

/* Makes localtime_r use config->timezone: sets TZ and calls tzset when
   the process TZ differs (reads the zone file once). Not thread-safe;
   rules_decide calls it when a time window needs the local time. */
void rules_use_timezone(const ps_config_t *config);

/* Formats a rating or threshold for an explanation: one decimal at
   least, up to three, never rounding 5.95 up to "6.0". Returns 0, or
   -1 when buf is too small. */
int rules_format_number(double value, char *buf, size_t len);

/* The service: binds `enriched` (PULL) and `undecided` (PUSH), connects
   `collect` (PUSH), and decides every enriched record until SIGINT or
   SIGTERM. SIGHUP reloads *config from config_path (the new rules apply
   from the next message). Returns the process exit code: 0 after a clean
   stop, 1 when a socket could not be set up. *config stays owned by the
   caller and may be replaced by a reload. */
int rules_service_run(ps_config_t **config, const char *config_path);

#endif
