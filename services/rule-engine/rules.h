/*  rules - the rule engine's cascade: hard decisions with their reasons.

    Pure logic over one ps_work_t "enriched" record and the loaded config:
    every rule is evaluated so that `matched` lists them all (the history
    and the learner want to know what else applied), and the first
    decisive rule in the cascade order wins:

      1 upcoming_unrated  unreleased and no votes        -> review
      2 approve_rating    rating >= rules.approve_rating -> approve
      3 allowed_genre     a genre in rules.allowed_genres-> approve
      4 rating_below_min  rating <  rules.min_rating     -> decline
      5 blocked_genre     a genre in rules.blocked_genres-> decline

    Nothing decisive leaves the record undecided for the ai-judges. The
    service loop (rules_service_run) owns the sockets; it is the only part
    that needs a bus, so tests call rules_decide directly. Single-threaded. */
#ifndef RULES_H_INCLUDED
#define RULES_H_INCLUDED

#include <stdint.h>

#include "ps_config.h"
#include "ps_work.h"

/* Runs the cascade on `work` at wall-clock time now_ms (for "released
   yet?"). Resets and fills work->matched with every rule that matched.
   On a decision, sets type "decision", outcome, source "rule", rule,
   message_id (= the rule id), params, explanation and ruleset (the
   config version) and returns the outcome. Otherwise sets type
   "undecided" (with ruleset) and returns PS_OUTCOME_NONE. On allocation
   failure some text fields may be missing; the outcome is still right.
   `work` stays owned by the caller. */
ps_outcome_t rules_decide(const ps_config_t *config, ps_work_t *work,
                          int64_t now_ms);

/* True when `work` is not released yet at now_ms: release_date empty,
   unparsable or in the future, or media_status Planned, In Production,
   Post Production or Rumored. */
bool rules_is_unreleased(const ps_work_t *work, int64_t now_ms);

/* Finds the first genre of `work` listed in `list` (names compared
   case-insensitively, or TMDB ids written as decimal strings). Writes
   the genre's display name (or its id) into buf. Returns true when one
   matched. */
bool rules_genre_match(const ps_strlist_t *list, const ps_work_t *work,
                       char *buf, size_t len);

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
