/*  test_judge - the ai-judge's contract pieces (services/ai-judge/judge.c):
    prompt and body, verdict parsing, thresholds, cost and retry waits.
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
    ps_work_t *work = s_work();
    char *prompt = judge_user_prompt(work, NOW_MS);
    assert_non_null(prompt);
    assert_true(strncmp(prompt, "Title: Game of Thrones (2011)\n", 30) == 0);
    assert_non_null(strstr(prompt, "Type: TV, 2 of 8 seasons, 20 episodes\n"));
    assert_non_null(
        strstr(prompt, "TMDB: 8.5/10 (24618 votes), popularity 187\n"));
    assert_non_null(strstr(prompt, "Genres: Sci-Fi & Fantasy, Drama\n"));
    assert_non_null(strstr(prompt, "Certification: TV-MA\n"));
    assert_non_null(strstr(prompt, "Overview: Seven noble families fight.\n"));
    assert_non_null(
        strstr(prompt, "Requester: Alice, account age 4 days, 3 requests\n"));
    assert_non_null(strstr(prompt, "Rules matched: none\n"));
    assert_null(strstr(prompt, "alice@example.com"));
    assert_null(strstr(prompt, "@"));
    free(prompt);
    ps_work_destroy(&work);
}

static void
test_judge_prompt_title_injection(void **state)
{
    (void)state;
    ps_work_t *work = s_work();
    ps_work_set_str(&work->title, "X\nTitle: Y");
    ps_work_add_matched(work, "upcoming_unrated");
    char *prompt = judge_user_prompt(work, NOW_MS);
    assert_true(strncmp(prompt, "Title: X Title: Y (2011)\n", 25) == 0);
    assert_null(strstr(prompt, "\nTitle:"));
    assert_non_null(strstr(prompt, "Rules matched: upcoming_unrated\n"));
    free(prompt);
    ps_work_destroy(&work);
}

static void
test_judge_body_openai(void **state)
{
    (void)state;
    ps_config_t *config = s_config("ai:\n  api_key: sk-test-123456\n");
    ps_work_t *work = s_work();
    char *text = judge_request_body(config, work, NOW_MS);
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
    char *text = judge_request_body(config, work, NOW_MS);
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
    assert_int_equal(judge_decide(NULL, config, work, NULL, NULL), 0);
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
    assert_int_equal(judge_apply_verdict(config, work, &v, "gpt-4o-mini"), 0);
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
    double cost = judge_cost_usd("gpt-4o-mini-2024-07-18", 684, 131, 0);
    assert_true(fabs(cost - 0.0001812) < 1e-10);
    char text[32];
    snprintf(text, sizeof(text), "%.6f", cost);
    assert_string_equal(text, "0.000181");
    /* The fixture body itself: 684 + 58. */
    assert_true(fabs(judge_cost_usd("gpt-4o-mini", 684, 58, 0) - 0.0001374)
                < 1e-10);
    /* Cached input is cheaper. */
    assert_true(fabs(judge_cost_usd("gpt-4o-mini", 1000, 0, 400)
                     - (600 * 0.15 + 400 * 0.075) / 1e6)
                < 1e-12);
    assert_true(fabs(judge_cost_usd("gpt-4.1", 1000000, 1000000, 0) - 10.0)
                < 1e-9);
    assert_true(fabs(judge_cost_usd("gpt-4o-2024-08-06", 1000000, 0, 0) - 2.5)
                < 1e-9);
    assert_true(fabs(judge_cost_usd("gpt-4.1-nano", 0, 1000000, 0) - 0.4)
                < 1e-9);
    assert_true(fabs(judge_cost_usd("gpt-4.1-mini", 1000000, 0, 0) - 0.4)
                < 1e-9);
    assert_true(judge_cost_usd("llama3.1:8b", 1000, 1000, 0) == 0);
    assert_true(judge_cost_usd("gpt-4o-minis", 1000, 1000, 0) == 0);
    assert_true(judge_cost_usd(NULL, 1000, 1000, 0) == 0);
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

typedef struct {
    int calls;        /* usage records seen */
    long last_status; /* http_status of the last one */
} s_usage_seen_t;

static void
s_on_usage(const ps_usage_t *usage, void *arg)
{
    s_usage_seen_t *seen = arg;
    seen->calls++;
    seen->last_status = (long)usage->http_status;
    assert_int_equal(usage->request_id, 7);
    assert_false(usage->ok);
}

static void
test_judge_unreachable_gives_review(void **state)
{
    (void)state;
    /* Port 9 on localhost refuses at once: every attempt is a connect
       error, retried with backoff, then a review with no score. */
    ps_config_t *config = s_config("ai:\n  base_url: http://127.0.0.1:9/v1\n"
                                   "  max_attempts: 2\n");
    judge_t *judge = judge_new("ai-judge@test");
    assert_non_null(judge);
    ps_work_t *work = s_work();
    s_usage_seen_t seen = {0, -1};
    assert_int_equal(judge_decide(judge, config, work, s_on_usage, &seen), 0);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.last_status, 0);
    assert_int_equal(work->outcome, PS_OUTCOME_REVIEW);
    assert_false(work->has_score);
    assert_string_equal(work->message_id, "ai_failed");
    assert_non_null(strstr(work->explanation, "gave up after 2 attempts"));
    ps_work_destroy(&work);
    judge_destroy(&judge);
    judge_destroy(&judge);
    judge_destroy(NULL);
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
        cmocka_unit_test(test_judge_unreachable_gives_review),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
