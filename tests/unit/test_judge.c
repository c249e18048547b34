/*  test_judge - the ai-judge's contract pieces (services/ai-judge/judge.c,
    judge_breaker.c, judge_cache.c): prompt content and size, body and the
    json_object fallback, verdict parsing, thresholds and blending, prices
    and budget estimates, retry waits, the breaker and the verdict cache.
    The fixtures are the contract's own (openai_chat_response.json,
    copied into tests/fixtures; ctest passes PS_FIXTURES).                */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "judge_breaker.h"
#include "judge_cache.h"
#include "ps_config.h"
#include "ps_work.h"


#define NOW_MS 1764000000000LL

static ps_config_t *
s_config(const char *yaml)
{
    char path[] = "/tmp/test_judge_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    ps_config_t *config = ps_config_load(path, NULL, NULL);
    unlink(path);
    assert_non_null(config);
    return config;
}

static char *
s_fixture(const char *name)
{
    char path[1024];
    const char *dirs[] = {getenv("PS_FIXTURES"), "tests/fixtures"};
    for (size_t i = 0; i < 2; i++) {
        if (!dirs[i])
            continue;
        snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
        FILE *file = fopen(path, "rb");
        if (!file)
            continue;
        char *data = calloc(1, 65536);
        size_t n = fread(data, 1, 65535, file);
        fclose(file);
        data[n] = '\0';
        return data;
    }
    fail_msg("fixture %s not found", name);
    return NULL;
}

static ps_work_t *
s_work(void)
{
    ps_work_t *work = ps_work_new("undecided");
    work->request_id = 7;
    ps_work_set_str(&work->media_type, "tv");
    ps_work_set_str(&work->title, "Game of Thrones");
    work->year = 2011;
    work->season_count = 2;
    work->seasons = calloc(2, sizeof(int64_t));
    work->seasons[0] = 1;
    work->seasons[1] = 2;
    work->total_seasons = 8;
    work->requested_episodes = 20;
    work->rating = 8.456;
    work->votes = 24618;
    work->popularity = 187.2;
    work->genre_count = 2;
    work->genres = calloc(3, sizeof(char *));
    work->genre_ids = calloc(3, sizeof(int64_t));
    work->genres[0] = strdup("Sci-Fi & Fantasy");
    work->genres[1] = strdup("Drama");
    work->genre_ids[0] = 10765;
    work->genre_ids[1] = 18;
    ps_work_set_str(&work->certification, "TV-MA");
    ps_work_set_str(&work->language, "en");
    ps_work_set_str(&work->overview, "Seven noble families\nfight.");
    ps_work_set_str(&work->user_name, "Alice");
    ps_work_set_str(&work->user_email, "alice@example.com");
    work->user_created_at = NOW_MS - 4 * 86400000LL - 5000;
    work->user_requests = 3;
    return work;
}

static void
test_judge_prompt_lines(void **state)
{
    (void)state;
    ps_config_t *config = s_config("ai:\n  model: gpt-4o-mini\n");
    ps_work_t *work = s_work();
    char *prompt = judge_user_prompt(config, work, NOW_MS, NULL);
    assert_non_null(prompt);
    assert_true(strncmp(prompt, "Title: Game of Thrones (2011)\n", 30) == 0);
    assert_non_null(strstr(prompt, "Type: TV, 2 of 8 seasons, 20 episodes\n"));
    assert_non_null(
        strstr(prompt, "TMDB: 8.5/10 (24618 votes), popularity 187\n"));
    assert_non_null(strstr(prompt, "Genres: Sci-Fi & Fantasy, Drama\n"));
    assert_non_null(strstr(prompt, "Certification: TV-MA\n"));
    assert_non_null(strstr(prompt, "Overview: Seven noble families fight.\n"));
    assert_non_null(
        strstr(prompt, "Requester: new, account 4 days old, 3 requests\n"));
    /* Lines with nothing to say are left out. */
    assert_null(strstr(prompt, "Rules matched"));
    assert_null(strstr(prompt, "Quota:"));
    assert_null(strstr(prompt, "Learner"));
    assert_null(strstr(prompt, "Server policy"));
    assert_null(strstr(prompt, "Alice"));
    assert_null(strstr(prompt, "alice@example.com"));
    assert_null(strstr(prompt, "@"));
    free(prompt);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_prompt_title_injection(void **state)
{
    (void)state;
    ps_config_t *config = s_config("ai:\n  policy: \"no\\nTitle: Z\"\n");
    ps_work_t *work = s_work();
    ps_work_set_str(&work->title, "X\nTitle: Y");
    ps_work_add_matched(work, "upcoming_unrated");
    char *prompt = judge_user_prompt(config, work, NOW_MS, NULL);
    assert_true(strncmp(prompt, "Title: X Title: Y (2011)\n", 25) == 0);
    assert_null(strstr(prompt, "\nTitle:"));
    assert_non_null(
        strstr(prompt, "Rules matched, not decisive: upcoming_unrated\n"));
    assert_non_null(strstr(prompt, "Server policy: no Title: Z\n"));
    free(prompt);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_body_openai(void **state)
{
    (void)state;
    ps_config_t *config = s_config("ai:\n  api_key: sk-test-123456\n");
    ps_work_t *work = s_work();
    char *prompt = judge_user_prompt(config, work, NOW_MS, NULL);
    char *text = judge_request_body(config, prompt, JUDGE_FORMAT_SCHEMA);
    free(prompt);
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "model")),
                        "gpt-4o-mini");
    assert_true(
        fabs(json_real_value(json_object_get(body, "temperature")) - 0.3)
        < 1e-9);
    assert_int_equal(
        json_integer_value(json_object_get(body, "max_completion_tokens")),
        400);
    assert_null(json_object_get(body, "max_tokens"));
    assert_true(json_is_false(json_object_get(body, "stream")));
    json_t *format = json_object_get(body, "response_format");
    assert_string_equal(json_string_value(json_object_get(format, "type")),
                        "json_schema");
    json_t *js = json_object_get(format, "json_schema");
    assert_string_equal(json_string_value(json_object_get(js, "name")),
                        "moderation_verdict");
    assert_true(json_is_true(json_object_get(js, "strict")));
    json_t *schema = json_object_get(js, "schema");
    assert_true(json_is_false(json_object_get(schema, "additionalProperties")));
    assert_int_equal(json_array_size(json_object_get(schema, "required")), 3);
    json_t *risks =
        json_object_get(json_object_get(schema, "properties"), "risks");
    assert_int_equal(json_array_size(json_object_get(risks, "required")), 4);
    json_t *messages = json_object_get(body, "messages");
    assert_int_equal(json_array_size(messages), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(messages, 0), "role")),
        "system");
    const char *user = json_string_value(
        json_object_get(json_array_get(messages, 1), "content"));
    assert_true(strncmp(user, "Title: ", 7) == 0);
    assert_null(strstr(text, "alice@example.com"));
    json_decref(body);
    free(text);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_body_local(void **state)
{
    (void)state;
    ps_config_t *config =
        s_config("ai:\n  base_url: http://127.0.0.1:11434/v1/\n"
                 "  model: llama3.1:8b\n");
    ps_work_t *work = s_work();
    char *prompt = judge_user_prompt(config, work, NOW_MS, NULL);
    char *text = judge_request_body(config, prompt, JUDGE_FORMAT_SCHEMA);
    free(prompt);
    json_t *body = json_loads(text, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")),
                     400);
    assert_null(json_object_get(body, "max_completion_tokens"));
    json_decref(body);
    free(text);
    char url[256];
    assert_int_equal(judge_url(config->ai.base_url, url, sizeof(url)), 0);
    assert_string_equal(url, "http://127.0.0.1:11434/v1/chat/completions");
    assert_int_equal(judge_url(config->ai.base_url, url, 10), -1);
    assert_false(judge_ai_off(config)); /* local server, no key needed */
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_ai_off(void **state)
{
    (void)state;
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_ENABLED");
    unsetenv("OPENAI_BASE_URL");
    ps_config_t *config = s_config("ai:\n  model: gpt-4o-mini\n");
    assert_true(judge_ai_off(config));
    ps_work_t *work = s_work();
    assert_int_equal(judge_apply_off(work), 0);
    assert_string_equal(work->type, "decision");
    assert_int_equal(work->outcome, PS_OUTCOME_REVIEW);
    assert_string_equal(work->source, "ai");
    assert_string_equal(work->rule, "");
    assert_string_equal(work->message_id, "ai_off");
    assert_string_equal(work->explanation,
                        "No AI judge is configured; a person decides.");
    assert_false(work->has_score);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
    config = s_config("ai:\n  enabled: false\n  api_key: sk-abcdefgh\n");
    assert_true(judge_ai_off(config));
    ps_config_destroy(&config);
    config = s_config("ai:\n  api_key: sk-abcdefgh\n");
    assert_false(judge_ai_off(config));
    ps_config_destroy(&config);
}

static void
test_judge_parse_fixture(void **state)
{
    (void)state;
    char *body = s_fixture("openai_chat_response.json");
    judge_response_t parsed;
    char err[256];
    assert_int_equal(
        judge_parse_response(body, strlen(body), &parsed, err, sizeof(err)), 0);
    assert_string_equal(parsed.model, "gpt-4o-mini-2024-07-18");
    assert_int_equal(parsed.prompt_tokens, 684);
    assert_int_equal(parsed.completion_tokens, 58);
    assert_int_equal(parsed.cached_tokens, 0);
    assert_string_equal(parsed.finish_reason, "stop");
    assert_true(fabs(parsed.verdict.approval_score - 0.62) < 1e-9);
    assert_true(fabs(parsed.verdict.storage - 0.6) < 1e-9);
    assert_non_null(strstr(parsed.verdict.reason, "4-day-old account"));
    free(body);
}

/* Replaces the fixture's choice with `choice` (JSON) and parses it. */
static int
s_parse_with_choice(const char *choice, char *err, size_t errlen)
{
    char *text = s_fixture("openai_chat_response.json");
    json_t *body = json_loads(text, 0, NULL);
    free(text);
    json_t *replacement = json_loads(choice, 0, NULL);
    assert_non_null(replacement);
    json_array_set_new(json_object_get(body, "choices"), 0, replacement);
    char *dumped = json_dumps(body, 0);
    judge_response_t parsed;
    int rc = judge_parse_response(dumped, strlen(dumped), &parsed, err, errlen);
    /* Usage is read even when the verdict is unusable. */
    assert_int_equal(parsed.prompt_tokens, 684);
    free(dumped);
    json_decref(body);
    return rc;
}

static void
test_judge_parse_failures(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(
        s_parse_with_choice("{\"message\":{\"content\":null,\"refusal\":"
                            "\"I can't help with that.\"},"
                            "\"finish_reason\":\"stop\"}",
                            err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "refused"));
    assert_int_equal(s_parse_with_choice("{\"message\":{\"content\":null},"
                                         "\"finish_reason\":\"stop\"}",
                                         err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "null"));
    assert_int_equal(
        s_parse_with_choice("{\"message\":{\"content\":\"{\\\"approval_sc\"},"
                            "\"finish_reason\":\"length\"}",
                            err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(
        s_parse_with_choice("{\"message\":{\"content\":\"{\\\"approval_sc\"},"
                            "\"finish_reason\":\"stop\"}",
                            err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "not JSON"));
    assert_int_equal(judge_parse_response("<html>", 6, &(judge_response_t){0},
                                          err, sizeof(err)),
                     -1);
    assert_int_equal(judge_parse_response("{\"choices\":[]}", 14,
                                          &(judge_response_t){0}, err,
                                          sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "choices[0]"));
}

static void
test_judge_parse_verdict_errors(void **state)
{
    (void)state;
    judge_verdict_t v;
    char err[256];
    const char *risks = "\"risks\":{\"quality\":0.1,\"storage\":0.2,"
                        "\"appropriateness\":0.3,\"user_trust\":0.4}";
    char text[512];
    snprintf(text, sizeof(text), "{\"approval_score\":1.7,\"reason\":\"x\",%s}",
             risks);
    assert_int_equal(judge_parse_verdict(text, &v, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "verdict field `approval_score`: 1.7 is outside [0,1]");
    snprintf(text, sizeof(text), "{\"reason\":\"x\",%s}", risks);
    assert_int_equal(judge_parse_verdict(text, &v, err, sizeof(err)), -1);
    assert_string_equal(err, "verdict field `approval_score`: missing");
    snprintf(text, sizeof(text),
             "{\"approval_score\":\"0.5\",\"reason\":\"x\",%s}", risks);
    assert_int_equal(judge_parse_verdict(text, &v, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "expected a number"));
    snprintf(text, sizeof(text), "{\"approval_score\":0.5,%s}", risks);
    assert_int_equal(judge_parse_verdict(text, &v, err, sizeof(err)), -1);
    assert_string_equal(err, "verdict field `reason`: missing");
    assert_int_equal(judge_parse_verdict("{\"approval_score\":0.5,"
                                         "\"reason\":\"x\",\"risks\":"
                                         "{\"quality\":0.1,\"storage\":-0.2,"
                                         "\"appropriateness\":0,"
                                         "\"user_trust\":1}}",
                                         &v, err, sizeof(err)),
                     -1);
    assert_string_equal(err,
                        "verdict field `risks.storage`: -0.2 is outside [0,1]");
    assert_int_equal(judge_parse_verdict("[1,2]", &v, err, sizeof(err)), -1);
    assert_string_equal(err, "verdict is not a JSON object");
    /* Integers are numbers too: 0 and 1 are valid scores. */
    snprintf(text, sizeof(text), "{\"approval_score\":1,\"reason\":\"\",%s}",
             risks);
    assert_int_equal(judge_parse_verdict(text, &v, err, sizeof(err)), 0);
    assert_true(v.approval_score == 1.0);
}

static void
test_judge_thresholds(void **state)
{
    (void)state;
    ps_config_t *config = s_config("confidence:\n  auto_approve: 0.85\n"
                                   "  auto_reject: 0.15\n");
    assert_int_equal(judge_outcome(config, 0.85), PS_OUTCOME_APPROVE);
    assert_int_equal(judge_outcome(config, 0.84), PS_OUTCOME_REVIEW);
    assert_int_equal(judge_outcome(config, 0.5), PS_OUTCOME_REVIEW);
    assert_int_equal(judge_outcome(config, 0.15), PS_OUTCOME_DECLINE);
    assert_int_equal(judge_outcome(config, 0.0), PS_OUTCOME_DECLINE);
    ps_config_destroy(&config);
    config = s_config("confidence:\n  needs_review: false\n");
    assert_int_equal(judge_outcome(config, 0.5), PS_OUTCOME_APPROVE);
    assert_int_equal(judge_outcome(config, 0.62), PS_OUTCOME_APPROVE);
    assert_int_equal(judge_outcome(config, 0.49), PS_OUTCOME_DECLINE);
    assert_int_equal(judge_outcome(config, 0.9), PS_OUTCOME_APPROVE);
    ps_config_destroy(&config);
}

static void
test_judge_apply(void **state)
{
    (void)state;
    ps_config_t *config = s_config("confidence:\n  auto_approve: 0.6\n");
    ps_work_t *work = s_work();
    judge_verdict_t v = {0.62, "Acclaimed series.", 0.1, 0.6, 0.3, 0.6};
    assert_int_equal(
        judge_apply_verdict(config, work, &v, "gpt-4o-mini", NULL, false), 0);
    assert_string_equal(work->type, "decision");
    assert_int_equal(work->outcome, PS_OUTCOME_APPROVE);
    assert_string_equal(work->source, "ai");
    assert_string_equal(work->rule, "");
    assert_string_equal(work->message_id, "ai_verdict");
    assert_true(work->has_score && work->has_ai_score);
    assert_true(work->score == 0.62 && work->ai_score == 0.62);
    assert_string_equal(work->explanation, "Acclaimed series.");
    assert_int_equal(work->param_count, 4);
    assert_string_equal(work->params[1], "0.62");
    assert_string_equal(work->model, "gpt-4o-mini");
    /* A failure after a verdict-shaped record loses the score. */
    assert_int_equal(judge_apply_failure(work, "HTTP 401: bad key", NULL), 0);
    assert_int_equal(work->outcome, PS_OUTCOME_REVIEW);
    assert_false(work->has_score);
    assert_false(work->has_ai_score);
    assert_string_equal(work->message_id, "ai_failed");
    assert_string_equal(
        work->explanation,
        "AI judge failed: HTTP 401: bad key; a person decides.");
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_cost(void **state)
{
    (void)state;
    /* The contract's worked example: 684 + 131 on gpt-4o-mini. */
    double cost = judge_cost_usd(NULL, "gpt-4o-mini-2024-07-18", 684, 131, 0);
    assert_true(fabs(cost - 0.0001812) < 1e-10);
    char text[32];
    snprintf(text, sizeof(text), "%.6f", cost);
    assert_string_equal(text, "0.000181");
    /* The fixture body itself: 684 + 58. */
    assert_true(
        fabs(judge_cost_usd(NULL, "gpt-4o-mini", 684, 58, 0) - 0.0001374)
        < 1e-10);
    /* Cached input is cheaper. */
    assert_true(fabs(judge_cost_usd(NULL, "gpt-4o-mini", 1000, 0, 400)
                     - (600 * 0.15 + 400 * 0.075) / 1e6)
                < 1e-12);
    assert_true(
        fabs(judge_cost_usd(NULL, "gpt-4.1", 1000000, 1000000, 0) - 10.0)
        < 1e-9);
    assert_true(
        fabs(judge_cost_usd(NULL, "gpt-4o-2024-08-06", 1000000, 0, 0) - 2.5)
        < 1e-9);
    assert_true(fabs(judge_cost_usd(NULL, "gpt-4.1-nano", 0, 1000000, 0) - 0.4)
                < 1e-9);
    assert_true(fabs(judge_cost_usd(NULL, "gpt-4.1-mini", 1000000, 0, 0) - 0.4)
                < 1e-9);
    assert_true(judge_cost_usd(NULL, "llama3.1:8b", 1000, 1000, 0) == 0);
    /* Prefixes: a variant of a known model is priced as that model. */
    assert_true(
        fabs(judge_cost_usd(NULL, "gpt-4o-mini-search", 1000000, 0, 0) - 0.15)
        < 1e-9);
    assert_true(judge_cost_usd(NULL, NULL, 1000, 1000, 0) == 0);
}

static void
test_judge_go_duration(void **state)
{
    (void)state;
    int64_t ms = -1;
    assert_int_equal(judge_parse_go_duration("77ms", &ms), 0);
    assert_int_equal(ms, 77);
    assert_int_equal(judge_parse_go_duration("1s", &ms), 0);
    assert_int_equal(ms, 1000);
    assert_int_equal(judge_parse_go_duration("6m0s", &ms), 0);
    assert_int_equal(ms, 360000);
    assert_int_equal(judge_parse_go_duration("1h2m3.5s", &ms), 0);
    assert_int_equal(ms, 3723500);
    assert_int_equal(judge_parse_go_duration("0.5ms", &ms), 0);
    assert_int_equal(ms, 1);
    assert_int_equal(judge_parse_go_duration("0", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(judge_parse_go_duration("", &ms), -1);
    assert_int_equal(judge_parse_go_duration("5", &ms), -1);
    assert_int_equal(judge_parse_go_duration("5x", &ms), -1);
    assert_int_equal(judge_parse_go_duration("s", &ms), -1);
}

static void
test_judge_header_wait(void **state)
{
    (void)state;
    assert_int_equal(judge_header_wait_ms("retry-after-ms: 130\n"
                                          "retry-after: 1\n",
                                          NOW_MS),
                     130);
    assert_int_equal(judge_header_wait_ms("retry-after: 1\n", NOW_MS), 1000);
    assert_int_equal(judge_header_wait_ms("retry-after: 3600\n", NOW_MS),
                     JUDGE_MAX_HEADER_WAIT_MS);
    /* The 429 fixture without retry headers: tokens are exhausted. */
    const char *limits = "x-ratelimit-remaining-requests: 9987\n"
                         "x-ratelimit-remaining-tokens: 0\n"
                         "x-ratelimit-reset-requests: 77ms\n"
                         "x-ratelimit-reset-tokens: 244ms\n";
    assert_int_equal(judge_header_wait_ms(limits, NOW_MS), 244);
    const char *both = "x-ratelimit-remaining-requests: 0\n"
                       "x-ratelimit-remaining-tokens: 0\n"
                       "x-ratelimit-reset-requests: 6m0s\n"
                       "x-ratelimit-reset-tokens: 244ms\n";
    assert_int_equal(judge_header_wait_ms(both, NOW_MS),
                     JUDGE_MAX_HEADER_WAIT_MS);
    assert_int_equal(judge_header_wait_ms("x-ratelimit-remaining-tokens: 5\n"
                                          "x-ratelimit-reset-tokens: 1s\n",
                                          NOW_MS),
                     -1);
    assert_int_equal(judge_header_wait_ms("content-type: x\n", NOW_MS), -1);
    assert_int_equal(judge_header_wait_ms(NULL, NOW_MS), -1);
    /* An HTTP date 10 s after now. */
    assert_int_equal(
        judge_header_wait_ms("retry-after: Mon, 24 Nov 2025 16:00:10 GMT\n",
                             1764000000000LL),
        10000);
}

static void
test_judge_backoff(void **state)
{
    (void)state;
    assert_int_equal(judge_backoff_ms(0, 0.5), 500);
    assert_int_equal(judge_backoff_ms(1, 0.5), 1000);
    assert_int_equal(judge_backoff_ms(0, 0.0), 375);
    assert_true(judge_backoff_ms(0, 0.999) <= 625);
    assert_int_equal(judge_backoff_ms(4, 0.5), 8000);
    assert_int_equal(judge_backoff_ms(20, 0.9), JUDGE_MAX_BACKOFF_MS);
}

static void
test_judge_errors_and_classes(void **state)
{
    (void)state;
    char message[256];
    char code[64];
    judge_error_message("{\"error\":{\"message\":\"Rate limit\",\"type\":"
                        "\"tokens\",\"code\":\"rate_limit_exceeded\"}}",
                        message, sizeof(message), code, sizeof(code));
    assert_string_equal(message, "Rate limit");
    assert_string_equal(code, "rate_limit_exceeded");
    judge_error_message("{\"error\":{\"code\":503,\"message\":\"Loading "
                        "model\",\"type\":\"unavailable_error\"}}",
                        message, sizeof(message), code, sizeof(code));
    assert_string_equal(message, "Loading model");
    assert_string_equal(code, "503");
    judge_error_message("{\"error\":\"Unauthorized\"}", message,
                        sizeof(message), code, sizeof(code));
    assert_string_equal(message, "Unauthorized");
    judge_error_message("{\"object\":\"error\",\"message\":\"flat\"}", message,
                        sizeof(message), code, sizeof(code));
    assert_string_equal(message, "flat");
    judge_error_message("not json", message, sizeof(message), code,
                        sizeof(code));
    assert_string_equal(message, "");
    assert_int_equal(judge_classify(429, "rate_limit_exceeded"), JUDGE_RETRY);
    assert_int_equal(judge_classify(429, "insufficient_quota"), JUDGE_FATAL);
    assert_int_equal(judge_classify(500, ""), JUDGE_RETRY);
    assert_int_equal(judge_classify(503, ""), JUDGE_RETRY);
    assert_int_equal(judge_classify(408, ""), JUDGE_RETRY);
    assert_int_equal(judge_classify(409, ""), JUDGE_RETRY);
    assert_int_equal(judge_classify(0, NULL), JUDGE_RETRY);
    assert_int_equal(judge_classify(400, ""), JUDGE_FATAL);
    assert_int_equal(judge_classify(401, ""), JUDGE_FATAL);
    assert_int_equal(judge_classify(403, ""), JUDGE_FATAL);
    assert_int_equal(judge_classify(404, ""), JUDGE_FATAL);
}

/* A typical request, as the enricher and the rules leave it: with quota,
   history, a matched rule and a long overview. */
static ps_work_t *
s_typical_work(void)
{
    ps_work_t *work = s_work();
    char overview[1200];
    size_t n = 0;
    while (n + 40 < sizeof(overview))
        n += (size_t)snprintf(overview + n, sizeof(overview) - n,
                              "Noble families fight for the throne. ");
    ps_work_set_str(&work->overview, overview);
    ps_work_set_str(&work->release_date, "2011-04-17");
    ps_work_set_str(&work->media_status, "Ended");
    work->has_quota = true;
    work->quota_tv_limit = 10;
    work->quota_tv_used = 4;
    work->quota_tv_days = 7;
    work->has_history = true;
    work->history_week = 2;
    work->history_approved = 8;
    work->history_declined = 2;
    ps_work_add_matched(work, "dry-run:series_ended");
    return work;
}

static void
test_judge_prompt_facts_and_size(void **state)
{
    (void)state;
    ps_config_t *config = s_config(
        "ai:\n  policy: Family server; no horror; prefer finished series.\n"
        "rules:\n  trust_levels:\n    new_days: 2\n");
    ps_work_t *work = s_typical_work();
    double learner = 0.725;
    char *prompt = judge_user_prompt(config, work, NOW_MS, &learner);
    assert_non_null(prompt);
    /* Account 4 days old with new_days 2: established, as rules_level. */
    assert_non_null(strstr(prompt, "Requester: established, account 4 days "
                                   "old, 3 requests, 2 this week, 80% "
                                   "approved (8 of 10)\n"));
    assert_non_null(strstr(prompt, "Quota: 4 of 10 seasons used in 7 days\n"));
    assert_non_null(strstr(prompt, "Release: 2011-04-17 (Ended)\n"));
    assert_non_null(
        strstr(prompt, "Rules matched, not decisive: dry-run:series_ended\n"));
    assert_non_null(
        strstr(prompt, "Learner score from past staff decisions: 0.72"));
    assert_non_null(strstr(prompt, "Server policy: Family server; no horror; "
                                   "prefer finished series.\n"));
    /* The overview is cut at a word, with an ellipsis. */
    const char *overview = strstr(prompt, "Overview: ");
    assert_non_null(overview);
    const char *end = strchr(overview, '\n');
    size_t len = (size_t)(end - overview) - strlen("Overview: ");
    assert_true(len <= JUDGE_OVERVIEW_MAX + 3);
    assert_true(strncmp(end - 4, "e...", 4) == 0
                || strncmp(end - 4, "s...", 4) == 0
                || strncmp(end - 4, "t...", 4) == 0);
    /* Lean: the simulator counts bytes / 4 over every message. */
    size_t bytes =
        strlen(prompt) + strlen(judge_system_prompt(JUDGE_FORMAT_SCHEMA));
    print_message("typical prompt: %zu bytes, ~%zu tokens\n", bytes, bytes / 4);
    assert_true(bytes / 4 < 350);
    bytes = strlen(prompt) + strlen(judge_system_prompt(JUDGE_FORMAT_OBJECT));
    assert_true(bytes / 4 < 350);
    free(prompt);
    /* No history decided yet; a movie quota; an unknown account age. */
    ps_work_set_str(&work->media_type, "movie");
    work->runtime = 142;
    work->history_approved = 0;
    work->history_declined = 0;
    work->quota_movie_limit = 5;
    work->quota_movie_used = 5;
    work->quota_movie_days = 0;
    work->user_created_at = 0;
    prompt = judge_user_prompt(config, work, NOW_MS, NULL);
    assert_non_null(strstr(prompt, "Type: movie, 142 min\n"));
    assert_non_null(strstr(prompt, "Requester: established, account age "
                                   "unknown, 3 requests, 2 this week, none "
                                   "decided yet\n"));
    assert_non_null(strstr(prompt, "Quota: 5 of 5 movies used\n"));
    assert_null(strstr(prompt, "Learner"));
    free(prompt);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_body_json_object_and_token_field(void **state)
{
    (void)state;
    ps_config_t *config =
        s_config("ai:\n  base_url: http://127.0.0.1:8080/v1\n"
                 "  token_field: max_completion_tokens\n  max_tokens: 300\n");
    char *text = judge_request_body(config, "Title: X\n", JUDGE_FORMAT_OBJECT);
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    json_t *format = json_object_get(body, "response_format");
    assert_string_equal(json_string_value(json_object_get(format, "type")),
                        "json_object");
    assert_null(json_object_get(format, "json_schema"));
    assert_int_equal(
        json_integer_value(json_object_get(body, "max_completion_tokens")),
        300);
    assert_null(json_object_get(body, "max_tokens"));
    /* JSON mode needs the word JSON and the shape in the prompt. */
    const char *system = json_string_value(json_object_get(
        json_array_get(json_object_get(body, "messages"), 0), "content"));
    assert_non_null(strstr(system, "JSON"));
    assert_non_null(strstr(system, "approval_score"));
    assert_non_null(strstr(system, "user_trust"));
    json_decref(body);
    free(text);
    ps_config_destroy(&config);
    config = s_config("ai:\n  api_key: sk-abcdefgh\n  token_field: "
                      "max_tokens\n");
    assert_string_equal(judge_token_field(config), "max_tokens");
    ps_config_destroy(&config);
    config = s_config("ai:\n  api_key: sk-abcdefgh\n");
    assert_string_equal(judge_token_field(config), "max_completion_tokens");
    ps_config_destroy(&config);
    config = s_config("ai:\n  base_url: http://ollama:11434/v1\n");
    assert_string_equal(judge_token_field(config), "max_tokens");
    ps_config_destroy(&config);
    /* A misspelt value is refused at load, naming the key. */
    char path[] = "/tmp/test_judge_XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "ai:\n  token_field: max_token\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    ps_config_issues_t errors = {0};
    assert_null(ps_config_load(path, &errors, NULL));
    unlink(path);
    assert_int_equal(errors.count, 1);
    assert_string_equal(errors.items[0].key, "ai.token_field");
    ps_config_issues_clear(&errors);
}

static void
test_judge_json_object_fallback(void **state)
{
    (void)state;
    /* OpenAI-style: the parameter is named. */
    assert_true(judge_wants_json_object(
        400, "{\"error\":{\"message\":\"Invalid parameter: 'response_format' "
             "of type 'json_schema' is not supported with this model.\","
             "\"type\":\"invalid_request_error\",\"param\":\"response_format\","
             "\"code\":null}}"));
    /* llama.cpp / vLLM style messages. */
    assert_true(judge_wants_json_object(
        400, "{\"error\":{\"code\":400,\"message\":\"Unsupported JSON_SCHEMA "
             "format\",\"type\":\"invalid_request_error\"}}"));
    assert_true(judge_wants_json_object(
        400, "{\"object\":\"error\",\"message\":\"x\",\"param\":"
             "\"response_format\"}"));
    assert_true(
        judge_wants_json_object(400, "response_format is not supported"));
    /* Other 400s, or the same words on another status, are not. */
    assert_false(judge_wants_json_object(
        400, "{\"error\":{\"message\":\"context_length_exceeded\"}}"));
    assert_false(judge_wants_json_object(
        500, "{\"error\":{\"message\":\"response_format crashed\"}}"));
    assert_false(judge_wants_json_object(400, NULL));
}

static void
test_judge_backoff_jitter_bounds(void **state)
{
    (void)state;
    for (int retry = 0; retry < 12; retry++) {
        int64_t base = (int64_t)JUDGE_BASE_BACKOFF_MS
                       << (retry < 10 ? retry : 10);
        for (int i = 0; i < 1000; i++) {
            double unit = (double)i / 1000.0;
            int64_t wait = judge_backoff_ms(retry, unit);
            assert_true(wait >= (int64_t)(base * 0.75)
                        || wait == JUDGE_MAX_BACKOFF_MS);
            assert_true(wait <= (int64_t)(base * 1.25));
            assert_true(wait <= JUDGE_MAX_BACKOFF_MS);
            assert_true(wait > 0);
        }
    }
    /* Out-of-range units fall back to the middle. */
    assert_int_equal(judge_backoff_ms(0, 1.5), 500);
    assert_int_equal(judge_backoff_ms(-3, -1), 500);
}

static void
test_judge_outage_classes(void **state)
{
    (void)state;
    assert_true(judge_is_outage(0));
    assert_true(judge_is_outage(500));
    assert_true(judge_is_outage(503));
    assert_false(judge_is_outage(429));
    assert_false(judge_is_outage(400));
    assert_false(judge_is_outage(200));
}

static void
test_judge_breaker_states(void **state)
{
    (void)state;
    judge_breaker_t b;
    bool probe = true;
    judge_breaker_init(&b, 3, 30000);
    assert_string_equal(judge_breaker_name(b.state), "closed");
    assert_true(judge_breaker_acquire(&b, 0, &probe));
    assert_false(probe);
    /* Two outages, then an answer: the count starts again. */
    assert_false(judge_breaker_record(&b, true, 1));
    assert_false(judge_breaker_record(&b, true, 2));
    assert_false(judge_breaker_record(&b, false, 3));
    assert_int_equal(b.failures, 0);
    /* Three in a row open it. */
    assert_false(judge_breaker_record(&b, true, 10));
    assert_false(judge_breaker_record(&b, true, 11));
    assert_true(judge_breaker_record(&b, true, 12));
    assert_int_equal(b.state, JUDGE_BREAKER_OPEN);
    assert_string_equal(judge_breaker_name(b.state), "open");
    assert_false(judge_breaker_acquire(&b, 100, &probe));
    assert_false(judge_breaker_acquire(&b, 30011, &probe));
    assert_false(judge_breaker_tick(&b, 30011));
    /* After 30 s: half-open, exactly one probe. */
    assert_true(judge_breaker_tick(&b, 30012));
    assert_string_equal(judge_breaker_name(b.state), "half-open");
    assert_true(judge_breaker_acquire(&b, 30013, &probe));
    assert_true(probe);
    assert_false(judge_breaker_acquire(&b, 30014, &probe));
    assert_false(probe);
    /* The probe fails: open again for 30 s from now. */
    assert_true(judge_breaker_record(&b, true, 30100));
    assert_int_equal(b.state, JUDGE_BREAKER_OPEN);
    assert_false(judge_breaker_acquire(&b, 60099, &probe));
    assert_true(judge_breaker_acquire(&b, 60100, &probe));
    assert_true(probe);
    assert_int_equal(b.state, JUDGE_BREAKER_HALF_OPEN);
    /* A probe permit given back lets another call probe. */
    judge_breaker_cancel(&b);
    assert_true(judge_breaker_acquire(&b, 60101, &probe));
    assert_true(probe);
    /* The probe answers: closed, calls flow. */
    assert_true(judge_breaker_record(&b, false, 60200));
    assert_int_equal(b.state, JUDGE_BREAKER_CLOSED);
    assert_true(judge_breaker_acquire(&b, 60201, &probe));
    assert_false(probe);
    assert_true(judge_breaker_acquire(&b, 60202, &probe));
    /* A reload changes the limits, not the state; a threshold of 0 is 1. */
    judge_breaker_configure(&b, 0, 1000);
    assert_int_equal(b.state, JUDGE_BREAKER_CLOSED);
    assert_true(judge_breaker_record(&b, true, 70000));
    assert_true(judge_breaker_tick(&b, 71000));
}

static void
test_judge_prices_config(void **state)
{
    (void)state;
    judge_price_t price;
    /* Built-ins: the longest prefix wins, the date suffix is ignored. */
    assert_true(judge_price_find(NULL, "gpt-4.1-mini-2025-04-14", &price));
    assert_true(price.input == 0.40 && price.cached_input == 0.10
                && price.output == 1.60);
    assert_true(judge_price_find(NULL, "gpt-4.1-2025-04-14", &price));
    assert_true(price.input == 2.00 && price.output == 8.00);
    assert_true(judge_price_find(NULL, "gpt-4o-2024-08-06", &price));
    assert_true(price.input == 2.50 && price.cached_input == 1.25);
    assert_false(judge_price_find(NULL, "llama3.1:8b", &price));
    /* A configured list replaces the built-ins entirely. */
    ps_config_t *config = s_config("ai:\n  prices:\n"
                                   "    - model: gpt-4o\n"
                                   "      input: 1\n      output: 4\n"
                                   "    - model: gpt-4o-mini\n"
                                   "      input: 0.2\n      cached_input: 0.1\n"
                                   "      output: 0.8\n"
                                   "    - model: llama\n"
                                   "      input: 0\n      output: 0\n");
    assert_int_equal(config->ai.prices.count, 3);
    assert_true(judge_price_find(config, "gpt-4o-mini-2024-07-18", &price));
    assert_true(price.input == 0.2 && price.cached_input == 0.1
                && price.output == 0.8);
    assert_true(judge_price_find(config, "gpt-4o-2024-08-06", &price));
    /* cached_input left out: same as input. */
    assert_true(price.input == 1 && price.cached_input == 1
                && price.output == 4);
    assert_true(judge_price_find(config, "llama3.1:8b", &price));
    assert_false(judge_price_find(config, "gpt-4.1", &price));
    assert_true(
        fabs(judge_cost_usd(config, "gpt-4o-mini", 1000000, 1000000, 500000)
             - (0.1 + 0.05 + 0.8))
        < 1e-9);
    assert_true(judge_cost_usd(config, "gpt-4.1", 1000, 1000, 0) == 0);
    ps_config_destroy(&config);
    /* Mistakes name the entry. */
    char path[] = "/tmp/test_judge_XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "ai:\n  prices:\n    - model: a\n      input: 1\n"
                       "    - model: a\n      input: 1\n      output: 2\n"
                       "      outptu: 3\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    ps_config_issues_t errors = {0};
    assert_null(ps_config_load(path, &errors, NULL));
    unlink(path);
    assert_int_equal(errors.count, 3);
    bool missing = false;
    bool unknown = false;
    bool twice = false;
    for (size_t i = 0; i < errors.count; i++) {
        missing |= strstr(errors.items[i].message, "missing `output`") != NULL;
        unknown |=
            strstr(errors.items[i].message, "did you mean `output`") != NULL;
        twice |= strstr(errors.items[i].message, "a second price") != NULL;
    }
    assert_true(missing && unknown && twice);
    ps_config_issues_clear(&errors);
}

static void
test_judge_budget_estimate(void **state)
{
    (void)state;
    judge_price_t price = {0.15, 0.075, 0.60};
    /* 1000 bytes = 250 tokens in, 400 out at most. */
    assert_true(fabs(judge_budget_estimate(&price, 1000, 400)
                     - (250 * 0.15 + 400 * 0.60) / 1e6)
                < 1e-15);
    /* Bytes round up to whole tokens. */
    assert_true(fabs(judge_budget_estimate(&price, 1001, 0) - 251 * 0.15 / 1e6)
                < 1e-15);
    /* An upper bound of what the call can cost. */
    assert_true(judge_budget_estimate(&price, 2000, 400)
                >= judge_cost_usd(NULL, "gpt-4o-mini", 500, 400, 0));
    judge_price_t free_model = {0, 0, 0};
    assert_true(judge_budget_estimate(&free_model, 5000, 400) == 0);
}

static void
test_judge_cache_key_and_ttl(void **state)
{
    (void)state;
    ps_config_t *config = s_config("ai:\n  policy: family\n");
    ps_work_t *work = s_work();
    char a[512];
    char b[512];
    assert_int_equal(judge_cache_key(config, work, "new", a, sizeof(a)), 0);
    assert_string_equal(a, "Game of Thrones\x1f"
                           "2011\x1ftv\x1fnew\x1f"
                           "family\x1fgpt-4o-mini\x1f");
    /* Another requester of the same level: the same key. */
    ps_work_set_str(&work->user_name, "Bob");
    work->request_id = 99;
    assert_int_equal(judge_cache_key(config, work, "new", b, sizeof(b)), 0);
    assert_string_equal(a, b);
    /* Level, year and media type each change it; so does a forged
       separator in the title. */
    assert_int_equal(judge_cache_key(config, work, "veteran", b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    work->year = 2012;
    assert_int_equal(judge_cache_key(config, work, "new", b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    work->year = 2011;
    ps_work_set_str(&work->media_type, "movie");
    assert_int_equal(judge_cache_key(config, work, "new", b, sizeof(b)), 0);
    assert_string_not_equal(a, b);
    ps_work_set_str(&work->title, "Game of\x1fThrones");
    assert_int_equal(judge_cache_key(config, work, "new", b, sizeof(b)), 0);
    assert_non_null(strstr(b, "Game of Thrones"));
    assert_int_equal(judge_cache_key(config, work, "new", b, 10), -1);

    judge_cache_t *cache = judge_cache_new(2);
    judge_verdict_t v = {0.9, "Great.", 0.1, 0.1, 0.1, 0.1};
    judge_verdict_t got;
    char model[64];
    assert_false(judge_cache_get(cache, a, 0, &got, model, sizeof(model)));
    assert_int_equal(
        judge_cache_put(cache, a, &v, "gpt-4o-mini-2024-07-18", 1000, 5000), 0);
    assert_true(judge_cache_get(cache, a, 5999, &got, model, sizeof(model)));
    assert_true(got.approval_score == 0.9);
    assert_string_equal(got.reason, "Great.");
    assert_string_equal(model, "gpt-4o-mini-2024-07-18");
    /* Expired at put time + ttl. */
    assert_false(judge_cache_get(cache, a, 6000, &got, model, sizeof(model)));
    /* Full: the expired entry goes first, then the oldest. */
    assert_int_equal(judge_cache_put(cache, "k2", &v, "m", 7000, 5000), 0);
    assert_int_equal(judge_cache_size(cache), 2);
    assert_int_equal(judge_cache_put(cache, "k3", &v, "m", 7001, 5000), 0);
    assert_int_equal(judge_cache_put(cache, "k4", &v, "m", 7002, 5000), 0);
    assert_int_equal(judge_cache_size(cache), 2);
    assert_false(judge_cache_get(cache, "k2", 7003, &got, NULL, 0));
    assert_true(judge_cache_get(cache, "k3", 7003, &got, NULL, 0));
    assert_true(judge_cache_get(cache, "k4", 7003, &got, NULL, 0));
    /* Replacing keeps one entry. */
    assert_int_equal(judge_cache_put(cache, "k4", &v, "m2", 8000, 5000), 0);
    assert_int_equal(judge_cache_size(cache), 2);
    assert_true(judge_cache_get(cache, "k4", 12999, &got, model, 64));
    assert_string_equal(model, "m2");
    judge_cache_destroy(&cache);
    judge_cache_destroy(&cache);
    judge_cache_destroy(NULL);
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

static void
test_judge_blend(void **state)
{
    (void)state;
    double learner = 0.2;
    assert_true(judge_blend(0.9, NULL, 0.3) == 0.9);
    assert_true(fabs(judge_blend(0.9, &learner, 0.3) - (0.7 * 0.9 + 0.3 * 0.2))
                < 1e-12);
    assert_true(judge_blend(0.9, &learner, 0) == 0.9);
    assert_true(fabs(judge_blend(0.9, &learner, 1) - 0.2) < 1e-12);
    assert_true(fabs(judge_blend(0.9, &learner, 7) - 0.2) < 1e-12);
    /* The decision keeps the AI's raw verdict and the blended score; the
       outcome follows the blended one. */
    ps_config_t *config = s_config("ml:\n  feedback_weight: 0.5\n");
    ps_work_t *work = s_work();
    judge_verdict_t v = {0.9, "Acclaimed.", 0.1, 0.1, 0.1, 0.1};
    learner = 0.5;
    assert_int_equal(
        judge_apply_verdict(config, work, &v, "gpt-4o-mini", &learner, false),
        0);
    assert_true(work->has_ai_score && work->ai_score == 0.9);
    assert_true(work->has_score && fabs(work->score - 0.7) < 1e-12);
    assert_int_equal(work->outcome, PS_OUTCOME_REVIEW);
    assert_string_equal(work->params[1], "0.70");
    /* Without a learner score: the AI's own, and a reused verdict says so. */
    assert_int_equal(
        judge_apply_verdict(config, work, &v, "gpt-4o-mini", NULL, true), 0);
    assert_true(work->score == 0.9 && work->ai_score == 0.9);
    assert_int_equal(work->outcome, PS_OUTCOME_APPROVE);
    assert_int_equal(work->param_count, 6);
    assert_string_equal(work->params[4], "cached");
    assert_string_equal(work->params[5], "true");
    ps_work_destroy(&work);
    ps_config_destroy(&config);
}

int
main(void)
{
    /* The environment wins over the file: keep the caller's out. */
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_ENABLED");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_MODEL");
    unsetenv("OPENAI_TEMPERATURE");
    unsetenv("OPENAI_MAX_TOKENS");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_prompt_lines),
        cmocka_unit_test(test_judge_prompt_title_injection),
        cmocka_unit_test(test_judge_body_openai),
        cmocka_unit_test(test_judge_body_local),
        cmocka_unit_test(test_judge_ai_off),
        cmocka_unit_test(test_judge_parse_fixture),
        cmocka_unit_test(test_judge_parse_failures),
        cmocka_unit_test(test_judge_parse_verdict_errors),
        cmocka_unit_test(test_judge_thresholds),
        cmocka_unit_test(test_judge_apply),
        cmocka_unit_test(test_judge_cost),
        cmocka_unit_test(test_judge_go_duration),
        cmocka_unit_test(test_judge_header_wait),
        cmocka_unit_test(test_judge_backoff),
        cmocka_unit_test(test_judge_errors_and_classes),
        cmocka_unit_test(test_judge_prompt_facts_and_size),
        cmocka_unit_test(test_judge_body_json_object_and_token_field),
        cmocka_unit_test(test_judge_json_object_fallback),
        cmocka_unit_test(test_judge_backoff_jitter_bounds),
        cmocka_unit_test(test_judge_outage_classes),
        cmocka_unit_test(test_judge_breaker_states),
        cmocka_unit_test(test_judge_prices_config),
        cmocka_unit_test(test_judge_budget_estimate),
        cmocka_unit_test(test_judge_cache_key_and_ttl),
        cmocka_unit_test(test_judge_blend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
