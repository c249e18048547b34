/*  test_rules - the rule engine's cascade (services/rule-engine/rules.c).

    Every case loads a real config from a temporary YAML file, so the keys
    the cascade reads are the ones users write.                           */
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
#include "ps_time.h"
#include "ps_work.h"
#include "rules.h"

#define NOW_MS 1764000000000LL /* 2025-11-24 */

static const char *s_yaml = "rules:\n"
                            "  blocked_genres: [\"Horror\", \"Adult\"]\n"
                            "  allowed_genres: [\"documentary\", \"16\"]\n"
                            "  min_rating: 6.0\n"
                            "  approve_rating: 8.0\n"
                            "  upcoming_review: true\n";

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
    assert_non_null(config);
    ps_config_issues_clear(&errors);
    return config;
}

static int
s_setup(void **state)
{
    *state = s_config(s_yaml);
    return 0;
}

static int
s_teardown(void **state)
{
    ps_config_t *config = *state;
    ps_config_destroy(&config);
    return 0;
}

/* A released, rated movie with the given genres (names and ids). */
static ps_work_t *
s_work(double rating, int64_t votes, const char *genre, int64_t genre_id)
{
    ps_work_t *work = ps_work_new("enriched");
    assert_non_null(work);
    work->request_id = 42;
    work->tmdb_id = 603;
    ps_work_set_str(&work->media_type, "movie");
    ps_work_set_str(&work->title, "Some Film");
    ps_work_set_str(&work->release_date, "1999-03-30");
    ps_work_set_str(&work->media_status, "Released");
    work->rating = rating;
    work->votes = votes;
    if (genre) {
        work->genres = calloc(2, sizeof(char *));
        work->genre_ids = calloc(2, sizeof(int64_t));
        work->genres[0] = strdup(genre);
        work->genre_ids[0] = genre_id;
        work->genre_count = 1;
    }
    return work;
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

static void
test_rules_below_min_declines(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(4.2, 312, "Drama", 18);
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
    assert_string_equal(work->ruleset, config->version);
    assert_false(work->has_score);
    ps_work_destroy(&work);
}

static void
test_rules_min_rating_edge(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(5.9, 100, "Drama", 18);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    ps_work_destroy(&work);
    work = s_work(6.0, 100, "Drama", 18);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    assert_string_equal(work->type, "undecided");
    assert_int_equal(work->matched_count, 0);
    assert_string_equal(work->ruleset, config->version);
    ps_work_destroy(&work);
    /* 5.95 must not read "6.0" in the explanation. */
    work = s_work(5.95, 100, "Drama", 18);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    assert_string_equal(s_param(work, "rating"), "5.95");
    ps_work_destroy(&work);
}

static void
test_rules_unrated_not_declined(void **state)
{
    ps_config_t *config = *state;
    /* Released but no votes: rating 0 means "unknown", not "bad". */
    ps_work_t *work = s_work(0, 0, "Drama", 18);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
}

static void
test_rules_approve_rating(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(8.5, 24618, "Horror", 27);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_APPROVE);
    assert_string_equal(work->rule, "approve_rating");
    /* Every rule that matched is recorded, the winner first. */
    assert_int_equal(work->matched_count, 2);
    assert_string_equal(work->matched[0], "approve_rating");
    assert_true(s_matched(work, "blocked_genre"));
    assert_string_equal(work->explanation,
                        "Rated 8.5/10 (24618 votes), at or above the "
                        "auto-approve rating of 8.0");
    ps_work_destroy(&work);
}

static void
test_rules_allowed_genre_by_name_and_id(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(5.0, 50, "Documentary", 99);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_APPROVE);
    assert_string_equal(work->rule, "allowed_genre");
    assert_string_equal(s_param(work, "genre"), "Documentary");
    assert_true(s_matched(work, "rating_below_min"));
    ps_work_destroy(&work);
    /* "16" in the config is TMDB's Animation id. */
    work = s_work(7.0, 50, "Animation", 16);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_APPROVE);
    assert_string_equal(s_param(work, "genre"), "Animation");
    ps_work_destroy(&work);
}

static void
test_rules_blocked_genre(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(7.0, 500, "horror", 27);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_DECLINE);
    assert_string_equal(work->rule, "blocked_genre");
    assert_string_equal(work->explanation, "Genre horror is blocked");
    assert_int_equal(work->matched_count, 1);
    ps_work_destroy(&work);
}

static void
test_rules_upcoming_unrated(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(0, 0, "Horror", 27);
    ps_work_set_str(&work->release_date, "2026-06-01");
    ps_work_set_str(&work->media_status, "Post Production");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_REVIEW);
    assert_string_equal(work->rule, "upcoming_unrated");
    assert_string_equal(s_param(work, "release_date"), "2026-06-01");
    assert_int_equal(work->matched_count, 2);
    ps_work_destroy(&work);
    /* Empty date counts as unreleased. */
    work = s_work(0, 0, NULL, 0);
    ps_work_set_str(&work->release_date, "");
    ps_work_set_str(&work->media_status, "");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_REVIEW);
    ps_work_destroy(&work);
    /* Released in the past, status Rumored: still upcoming. */
    work = s_work(0, 0, NULL, 0);
    ps_work_set_str(&work->media_status, "Rumored");
    assert_true(rules_is_unreleased(work, NOW_MS));
    ps_work_destroy(&work);
    /* Upcoming but already voted on: not this rule. */
    work = s_work(6.5, 3, NULL, 0);
    ps_work_set_str(&work->release_date, "2026-06-01");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
}

static void
test_rules_switched_off(void **state)
{
    (void)state;
    ps_config_t *config = s_config("rules:\n  upcoming_review: false\n");
    ps_work_t *work = s_work(0, 0, NULL, 0);
    ps_work_set_str(&work->release_date, "");
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
    /* min_rating 0 and approve_rating 0 are off. */
    work = s_work(1.0, 1000, "Drama", 18);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
    work = s_work(9.9, 1000, "Drama", 18);
    assert_int_equal(rules_decide(config, work, NOW_MS), PS_OUTCOME_NONE);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_rules_decide_twice_resets(void **state)
{
    ps_config_t *config = *state;
    ps_work_t *work = s_work(4.0, 10, "Horror", 27);
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
    ps_work_t *work = s_work(4.2, 312, "Drama", 18);
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
    ps_work_destroy(&back);
    zmsg_destroy(&msg);
    ps_work_destroy(&work);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_below_min_declines),
        cmocka_unit_test(test_rules_min_rating_edge),
        cmocka_unit_test(test_rules_unrated_not_declined),
        cmocka_unit_test(test_rules_approve_rating),
        cmocka_unit_test(test_rules_allowed_genre_by_name_and_id),
        cmocka_unit_test(test_rules_blocked_genre),
        cmocka_unit_test(test_rules_upcoming_unrated),
        cmocka_unit_test(test_rules_switched_off),
        cmocka_unit_test(test_rules_decide_twice_resets),
        cmocka_unit_test(test_rules_format_number),
        cmocka_unit_test(test_rules_roundtrip_after_decide),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
