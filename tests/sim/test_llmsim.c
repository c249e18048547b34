/*  test_llmsim - unit tests of the LLM simulator's logic.

    Calls llmsim_chat / llmsim_end directly (no sockets): verdict
    determinism and distribution, the response shape of
    fixtures/openai_chat_response.json, validation and auth errors,
    scripted fault sequences, statistics and the 5000-entry calls log.   */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "llm_sim_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_request =
    "{\"model\":\"gpt-4o-mini\",\"temperature\":0.2,"
    "\"max_completion_tokens\":400,\"messages\":["
    "{\"role\":\"system\",\"content\":\"You moderate media requests. Reply "
    "with JSON only.\"},"
    "{\"role\":\"user\",\"content\":\"Title: Game of Thrones (2011)\\nType: "
    "TV, 2 of 8 seasons, 20 episodes\\nGenres: Drama\\n\"}],"
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{"
    "\"name\":\"moderation_verdict\",\"strict\":true,\"schema\":{\"type\":"
    "\"object\"}}}}";

/* Runs one call and returns its reply (the caller clears it). */
static llmsim_reply_t
s_call(llmsim_t *sim, const char *auth, const char *body)
{
    llmsim_reply_t reply;
    llmsim_chat(sim, auth, body, strlen(body), &reply);
    llmsim_end(sim, &reply, reply.status);
    return reply;
}

static json_t *
s_parse(const llmsim_reply_t *reply)
{
    json_error_t error;
    json_t *doc = json_loads(reply->body, 0, &error);
    assert_non_null(doc);
    return doc;
}

static const char *
s_content(json_t *doc)
{
    return json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(doc, "choices"), 0),
                        "message"),
        "content"));
}

static void
test_llmsim_destroy_null(void **state)
{
    (void)state;
    llmsim_destroy(NULL);
    llmsim_t *sim = NULL;
    llmsim_destroy(&sim);
    llmsim_config_t config;
    llmsim_config_defaults(&config);
    sim = llmsim_new(&config, 1);
    assert_non_null(sim);
    llmsim_destroy(&sim);
    assert_null(sim);
    llmsim_destroy(&sim);
}

static void
test_llmsim_score_is_deterministic_and_spread(void **state)
{
    (void)state;
    /* FNV-1a reference values. */
    assert_int_equal(llmsim_fnv1a("", 0), 2166136261u);
    assert_int_equal(llmsim_fnv1a("a", 1), 0xe40c292cu);
    const char *line = "Title: Game of Thrones (2011)";
    assert_true(llmsim_score(line, strlen(line))
                == llmsim_score(line, strlen(line)));
    int high = 0, low = 0;
    const int n = 4000;
    for (int i = 0; i < n; i++) {
        char title[64];
        snprintf(title, sizeof(title), "Title: Some Movie %d (%d)", i,
                 1950 + i % 75);
        double score = llmsim_score(title, strlen(title));
        assert_true(score >= 0.0 && score <= 1.0);
        high += score >= 0.85;
        low += score <= 0.15;
    }
    assert_in_range(high * 100 / n, 30, 40);
    assert_in_range(low * 100 / n, 20, 30);
}

static void
test_llmsim_verdict_shape(void **state)
{
    (void)state;
    const char *line = "Title: <b>Bold</b> \"Quoted\" (1999)";
    json_t *v = llmsim_verdict(line, strlen(line));
    assert_non_null(v);
    const char *keys[] = {"approval_score", "reason", "risks"};
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(v, key, value)
    {
        assert_string_equal(key, keys[i]);
        i++;
    }
    assert_int_equal(i, 3);
    assert_true(json_number_value(json_object_get(v, "approval_score"))
                == llmsim_score(line, strlen(line)));
    assert_non_null(strstr(json_string_value(json_object_get(v, "reason")),
                           "<b>Bold</b> \"Quoted\" (1999)"));
    const char *risks[] = {"quality", "storage", "appropriateness",
                           "user_trust"};
    for (i = 0; i < 4; i++) {
        json_t *risk = json_object_get(json_object_get(v, "risks"), risks[i]);
        assert_true(json_is_number(risk));
        assert_true(json_number_value(risk) >= 0
                    && json_number_value(risk) <= 1);
    }
    json_decref(v);
}

static void
test_llmsim_chat_success_shape(void **state)
{
    (void)state;
    llmsim_config_t config;
    llmsim_config_defaults(&config);
    config.latency_ms = 250;
    llmsim_t *sim = llmsim_new(&config, 1);
    llmsim_reply_t reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 200);
    assert_int_equal(reply.latency_ms, 250);
    assert_false(reply.hang);
    assert_string_equal(reply.title, "Game of Thrones (2011)");
    json_t *doc = s_parse(&reply);
    assert_string_equal(json_string_value(json_object_get(doc, "model")),
                        "gpt-4o-mini-2024-07-18");
    assert_string_equal(json_string_value(json_object_get(doc, "object")),
                        "chat.completion");
    assert_memory_equal(json_string_value(json_object_get(doc, "id")),
                        "chatcmpl-", 9);
    json_t *choice = json_array_get(json_object_get(doc, "choices"), 0);
    assert_string_equal(
        json_string_value(json_object_get(choice, "finish_reason")), "stop");
    json_error_t error;
    json_t *content = json_loads(s_content(doc), 0, &error);
    assert_non_null(content);
    const char *line = "Title: Game of Thrones (2011)";
    json_t *expect = llmsim_verdict(line, strlen(line));
    assert_true(json_equal(content, expect));
    json_t *usage = json_object_get(doc, "usage");
    /* Prompt bytes: the system and user contents, divided by 4. */
    size_t bytes = strlen("You moderate media requests. Reply with JSON only.")
                   + strlen("Title: Game of Thrones (2011)\nType: TV, 2 of 8 "
                            "seasons, 20 episodes\nGenres: Drama\n");
    assert_int_equal(
        json_integer_value(json_object_get(usage, "prompt_tokens")), bytes / 4);
    assert_int_equal(
        json_integer_value(json_object_get(usage, "completion_tokens")),
        strlen(s_content(doc)) / 4);
    assert_int_equal(json_integer_value(json_object_get(usage, "total_tokens")),
                     reply.prompt_tokens + reply.completion_tokens);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_object_get(usage, "prompt_tokens_details"), "cached_tokens")),
        0);
    json_decref(expect);
    json_decref(content);
    json_decref(doc);
    llmsim_reply_clear(&reply);

    /* Other models are echoed unchanged; json_object mode is accepted. */
    reply = s_call(sim, NULL,
                   "{\"model\":\"llama3.1:8b\",\"messages\":[{\"role\":"
                   "\"user\",\"content\":\"no title here\"}],"
                   "\"response_format\":{\"type\":\"json_object\"}}");
    assert_int_equal(reply.status, 200);
    doc = s_parse(&reply);
    assert_string_equal(json_string_value(json_object_get(doc, "model")),
                        "llama3.1:8b");
    json_decref(doc);
    llmsim_reply_clear(&reply);
    llmsim_destroy(&sim);
}

static void
test_llmsim_rejects_bad_requests(void **state)
{
    (void)state;
    llmsim_config_t config;
    llmsim_config_defaults(&config);
    snprintf(config.api_key, sizeof(config.api_key), "sk-test");
    llmsim_t *sim = llmsim_new(&config, 1);
    llmsim_reply_t reply = s_call(sim, "Bearer wrong", s_request);
    assert_int_equal(reply.status, 401);
    json_t *doc = s_parse(&reply);
    json_t *error = json_object_get(doc, "error");
    assert_string_equal(json_string_value(json_object_get(error, "code")),
                        "invalid_api_key");
    assert_true(json_is_null(json_object_get(error, "param")));
    json_decref(doc);
    llmsim_reply_clear(&reply);
    reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 401);
    llmsim_reply_clear(&reply);

    const char *bad[] = {
        "not json",
        "[]",
        "{\"model\":\"m\"}",
        "{\"model\":\"m\",\"messages\":[]}",
        "{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"response_format\":{\"type\":\"yaml\"}}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"response_format\":{\"type\":\"json_schema\",\"schema\":{}}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        reply = s_call(sim, "Bearer sk-test", bad[i]);
        assert_int_equal(reply.status, 400);
        doc = s_parse(&reply);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(doc, "error"), "type")),
                            "invalid_request_error");
        json_decref(doc);
        llmsim_reply_clear(&reply);
    }
    reply = s_call(sim, "Bearer sk-test", s_request);
    assert_int_equal(reply.status, 200);
    llmsim_reply_clear(&reply);
    llmsim_destroy(&sim);
}

static void
test_llmsim_scripted_faults(void **state)
{
    (void)state;
    llmsim_config_t config;
    llmsim_config_defaults(&config);
    llmsim_t *sim = llmsim_new(&config, 1);
    char err[128];
    const char *script = "{\"fail_500_next\":2,\"fail_429_next\":1,"
                         "\"retry_after\":3,\"malformed_next\":1,"
                         "\"truncated_next\":1,\"timeout_next\":1,"
                         "\"latency_ms\":300}";
    assert_int_equal(
        llmsim_configure(sim, script, strlen(script), err, sizeof(err)), 0);
    llmsim_reply_t reply = s_call(sim, NULL, s_request);
    assert_true(reply.hang);
    assert_int_equal(reply.latency_ms, 300);
    llmsim_reply_clear(&reply);

    reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 429);
    assert_non_null(strstr(reply.headers, "retry-after: 3\r\n"));
    assert_non_null(strstr(reply.headers, "x-ratelimit-remaining-tokens: 0"));
    json_t *doc = s_parse(&reply);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "error"), "code")),
                        "rate_limit_exceeded");
    json_decref(doc);
    llmsim_reply_clear(&reply);

    for (int i = 0; i < 2; i++) {
        reply = s_call(sim, NULL, s_request);
        assert_int_equal(reply.status, 500);
        llmsim_reply_clear(&reply);
    }
    json_error_t error;
    reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 200);
    doc = s_parse(&reply);
    assert_null(json_loads(s_content(doc), 0, &error));
    json_decref(doc);
    llmsim_reply_clear(&reply);

    reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 200);
    doc = s_parse(&reply);
    assert_null(json_loads(s_content(doc), 0, &error));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(doc, "choices"), 0),
                            "finish_reason")),
                        "length");
    json_decref(doc);
    llmsim_reply_clear(&reply);

    reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 200);
    assert_false(reply.hang);
    llmsim_reply_clear(&reply);

    /* Rates: 1.0 always fails. Bad knobs change nothing. */
    const char *always = "{\"fail_500\":1.0}";
    assert_int_equal(
        llmsim_configure(sim, always, strlen(always), err, sizeof(err)), 0);
    reply = s_call(sim, NULL, s_request);
    assert_int_equal(reply.status, 500);
    llmsim_reply_clear(&reply);
    const char *typo = "{\"fail_5OO\":1}";
    assert_int_equal(
        llmsim_configure(sim, typo, strlen(typo), err, sizeof(err)), -1);
    const char *range = "{\"fail_500\":0,\"timeout\":2}";
    assert_int_equal(
        llmsim_configure(sim, range, strlen(range), err, sizeof(err)), -1);
    json_t *cfg = llmsim_config_json(sim);
    assert_true(json_number_value(json_object_get(cfg, "fail_500")) == 1.0);
    json_decref(cfg);
    llmsim_destroy(&sim);
}

static void
test_llmsim_stats_and_reset(void **state)
{
    (void)state;
    llmsim_config_t config;
    llmsim_config_defaults(&config);
    llmsim_t *sim = llmsim_new(&config, 9);
    const char *once = "{\"fail_429_next\":1}";
    char err[128];
    assert_int_equal(
        llmsim_configure(sim, once, strlen(once), err, sizeof(err)), 0);
    for (int i = 0; i < 5005; i++) {
        llmsim_reply_t reply = s_call(sim, NULL, s_request);
        llmsim_reply_clear(&reply);
    }
    llmsim_reply_t pending;
    llmsim_chat(sim, NULL, s_request, strlen(s_request), &pending);
    json_t *stats = llmsim_stats_json(sim);
    assert_int_equal(json_integer_value(json_object_get(stats, "calls")), 5006);
    assert_int_equal(json_integer_value(json_object_get(stats, "in_flight")),
                     1);
    assert_int_equal(
        json_integer_value(json_object_get(stats, "max_in_flight")), 1);
    json_t *by = json_object_get(stats, "by_status");
    assert_int_equal(json_integer_value(json_object_get(by, "200")), 5004);
    assert_int_equal(json_integer_value(json_object_get(by, "429")), 1);
    json_t *log = json_object_get(stats, "calls_log");
    assert_int_equal(json_array_size(log), 5000);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(log, 4999), "title")),
        "Game of Thrones (2011)");
    assert_true(json_integer_value(json_object_get(stats, "prompt_tokens"))
                > 0);
    json_decref(stats);
    llmsim_end(sim, &pending, pending.status);
    llmsim_reply_clear(&pending);

    llmsim_reset(sim);
    stats = llmsim_stats_json(sim);
    assert_int_equal(json_integer_value(json_object_get(stats, "calls")), 0);
    assert_int_equal(json_array_size(json_object_get(stats, "calls_log")), 0);
    assert_int_equal(json_object_size(json_object_get(stats, "by_status")), 0);
    json_decref(stats);
    llmsim_destroy(&sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llmsim_destroy_null),
        cmocka_unit_test(test_llmsim_score_is_deterministic_and_spread),
        cmocka_unit_test(test_llmsim_verdict_shape),
        cmocka_unit_test(test_llmsim_chat_success_shape),
        cmocka_unit_test(test_llmsim_rejects_bad_requests),
        cmocka_unit_test(test_llmsim_scripted_faults),
        cmocka_unit_test(test_llmsim_stats_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
