/*  test_ps_config - the YAML + environment configuration loader.

    Every mistake a user can make is checked against the exact text
    check-config prints ("file:line:column: key: message"), so a change
    in wording or position is a deliberate one. Fixtures live in
    tests/fixtures/config/, one small file per mistake.                   */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ps_config.h"
#include "ps_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *s_env_names[] = {
    "OVERSEERR_API_URL",
    "OVERSEERR_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_ENABLED",
    "OPENAI_TEMPERATURE",
    "OPENAI_MAX_TOKENS",
    "WEBHOOK_SECRET",
    "SCAN_INTERVAL_MINUTES",
    "TZ",
    "PLEXSTAFFAI_DEMO",
    "PLEXSTAFFAI_OBSERVE_ONLY",
    "PLEXSTAFFAI_DATA_DIR",
    "PLEXSTAFFAI_LOG_LEVEL",
    "PLEXSTAFFAI_LISTEN",
    "PLEXSTAFFAI_WEB_ROOT",
    "PLEXSTAFFAI_BUS_COLLECT",
    "PLEXSTAFFAI_BUS_EVENTS",
    "PLEXSTAFFAI_BUS_AUTHORITY",
    "PLEXSTAFFAI_BUS_COMMANDS",
    "PLEXSTAFFAI_BUS_REQUESTS",
    "PLEXSTAFFAI_BUS_ENRICHED",
    "PLEXSTAFFAI_BUS_UNDECIDED",
    "PLEXSTAFFAI_BUS_MODELS",
    "PLEXSTAFFAI_BUS_BIND_ALL",
};

static int
s_clean_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_env_names) / sizeof(s_env_names[0]); i++)
        unsetenv(s_env_names[i]);
    ps_config_reread_tz();
    ps_log_clear_secrets();
    return 0;
}

/* Path of a fixture in tests/fixtures/config. */
static void
s_fixture(const char *name, char *buf, size_t len)
{
    const char *root = getenv("PS_FIXTURES");
    assert_non_null(root);
    int n = snprintf(buf, len, "%s/config/%s", root, name);
    assert_true(n > 0 && (size_t)n < len);
}

static ps_config_t *
s_load(const char *name, ps_config_issues_t *errors,
       ps_config_issues_t *warnings)
{
    char path[1024];
    s_fixture(name, path, sizeof(path));
    return ps_config_load(path, errors, warnings);
}

static void
s_assert_issue(const ps_config_issue_t *issue, const char *prefix,
               const char *suffix)
{
    char want[1536];
    char got[1536];
    snprintf(want, sizeof(want), "%s%s", prefix, suffix);
    ps_config_issue_format(issue, got, sizeof(got));
    assert_string_equal(got, want);
}

/* Loads a fixture that must fail with exactly the given issues, each
   given as the text after the fixture's path. */
static void
s_expect_errors(const char *name, size_t count, ...)
{
    char path[1024];
    s_fixture(name, path, sizeof(path));
    ps_config_issues_t errors = {0};
    ps_config_t *config = ps_config_load(path, &errors, NULL);
    assert_null(config);
    if (errors.count != count) {
        for (size_t i = 0; i < errors.count; i++) {
            char line[1536];
            ps_config_issue_format(&errors.items[i], line, sizeof(line));
            print_message("got: %s\n", line);
        }
    }
    assert_int_equal(errors.count, count);
    va_list args;
    va_start(args, count);
    for (size_t i = 0; i < count; i++)
        s_assert_issue(&errors.items[i], path, va_arg(args, const char *));
    va_end(args);
    ps_config_issues_clear(&errors);
    /* The same mistakes fail the load when nobody collects them. */
    assert_null(ps_config_load(path, NULL, NULL));
}

static void
test_ps_config_defaults(void **state)
{
    (void)state;
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
    ps_config_t *c = ps_config_load(NULL, &errors, &warnings);
    assert_non_null(c);
    assert_int_equal(errors.count, 0);
    assert_null(c->path);
    assert_non_null(c->version);
    assert_int_equal(strlen(c->version), 16);
    assert_false(c->demo);
    assert_false(c->observe_only);
    assert_int_equal(c->scan_interval_s, 300);
    assert_string_equal(c->data_dir, "data");
    assert_string_equal(c->log_level, "info");
    assert_string_equal(c->timezone, "UTC");
    assert_string_equal(c->overseerr.url, "");
    assert_string_equal(c->overseerr.api_key, "");
    assert_int_equal(c->overseerr.timeout_ms, 10000);
    assert_int_equal(c->overseerr.page_size, 50);
    assert_true(c->ai.enabled);
    assert_string_equal(c->ai.base_url, "https://api.openai.com/v1");
    assert_string_equal(c->ai.model, "gpt-4o-mini");
    assert_float_equal(c->ai.temperature, 0.3, 1e-9);
    assert_int_equal(c->ai.max_tokens, 400);
    assert_int_equal(c->ai.timeout_ms, 30000);
    assert_int_equal(c->ai.max_attempts, 3);
    assert_float_equal(c->confidence.auto_approve, 0.85, 1e-9);
    assert_float_equal(c->confidence.auto_reject, 0.15, 1e-9);
    assert_true(c->confidence.needs_review);
    assert_int_equal(c->rules.blocked_genres.count, 0);
    assert_int_equal(c->rules.quota_default, 10);
    assert_int_equal(c->rules.quota_trusted, 50);
    assert_int_equal(c->rules.quota_restricted, 2);
    assert_true(c->rules.upcoming_review);
    assert_false(c->ml.enabled);
    assert_float_equal(c->ml.feedback_weight, 0.3, 1e-9);
    assert_string_equal(c->gateway.listen, "127.0.0.1:5056");
    assert_int_equal(c->gateway.threads, 16);
    assert_int_equal(c->gateway.lease_s, 120);
    assert_int_equal(c->gateway.apply_retry_s, 30);
    assert_int_equal(c->enricher.cache_ttl_s, 6 * 3600);
    assert_int_equal(c->enricher.cache_max, 5000);
    assert_string_equal(c->bus.collect, "tcp://127.0.0.1:5571");
    assert_string_equal(c->bus.models, "tcp://127.0.0.1:5578");
    assert_false(c->bus.bind_all);
    assert_true(ps_config_wants_simulators(c));
    /* No webhook secret outside demo mode is worth a warning, not an
       error. */
    assert_int_equal(warnings.count, 1);
    s_assert_issue(&warnings.items[0], "",
                   "(defaults): gateway.webhook_secret: no webhook secret: "
                   "POST /webhook/overseerr will refuse every call (set "
                   "WEBHOOK_SECRET)");
    ps_config_issues_clear(&warnings);
    ps_config_destroy(&c);
    assert_null(c);
}

static void
test_ps_config_prototype_file_loads(void **state)
{
    (void)state;
    char path[1024];
    s_fixture("prototype-config.yaml", path, sizeof(path));
    ps_config_issues_t errors = {0};
    ps_config_t *c = ps_config_load(path, &errors, NULL);
    for (size_t i = 0; i < errors.count; i++) {
        char line[1024];
        ps_config_issue_format(&errors.items[i], line, sizeof(line));
        print_message("unexpected: %s\n", line);
    }
    assert_int_equal(errors.count, 0);
    assert_non_null(c);
    assert_string_equal(c->path, path);
    assert_float_equal(c->confidence.auto_approve, 0.85, 1e-9);
    assert_float_equal(c->confidence.auto_reject, 0.15, 1e-9);
    assert_true(c->confidence.needs_review);
    assert_int_equal(c->rules.blocked_genres.count, 2);
    assert_string_equal(c->rules.blocked_genres.items[0], "Horror");
    assert_string_equal(c->rules.blocked_genres.items[1], "Adult");
    assert_true(ps_strlist_has(&c->rules.blocked_genres, "horror"));
    assert_false(ps_strlist_has(&c->rules.blocked_genres, "Drama"));
    assert_false(ps_strlist_has(&c->rules.blocked_genres, NULL));
    assert_int_equal(c->rules.allowed_genres.count, 2);
    assert_string_equal(c->rules.allowed_genres.items[0], "Documentary");
    assert_string_equal(c->rules.allowed_genres.items[1], "Animation");
    assert_float_equal(c->rules.min_rating, 6.0, 1e-9);
    assert_float_equal(c->rules.min_popularity, 10.0, 1e-9);
    assert_int_equal(c->rules.trusted_users.count, 2);
    assert_string_equal(c->rules.trusted_users.items[0], "admin");
    assert_string_equal(c->rules.trusted_users.items[1], "family_user");
    assert_int_equal(c->rules.restricted_users.count, 1);
    assert_string_equal(c->rules.restricted_users.items[0], "guest");
    assert_int_equal(c->rules.quota_default, 10);
    assert_int_equal(c->rules.quota_trusted, 50);
    assert_int_equal(c->rules.quota_restricted, 2);
    assert_int_equal(c->rules.max_seasons, 10);
    assert_true(c->ml.enabled);
    assert_float_equal(c->ml.feedback_weight, 0.3, 1e-9);
    assert_false(c->inert.radarr_enabled);
    assert_string_equal(c->inert.radarr_url, "http://radarr:7878");
    assert_string_equal(c->inert.radarr_api_key, "your-radarr-api-key");
    assert_false(c->inert.sonarr_enabled);
    assert_string_equal(c->inert.sonarr_url, "http://sonarr:8989");
    assert_string_equal(c->inert.sonarr_api_key, "your-sonarr-api-key");
    assert_false(c->inert.discord_enabled);
    /* Keys the file does not set keep their defaults. */
    assert_int_equal(c->scan_interval_s, 300);
    assert_string_equal(c->ai.model, "gpt-4o-mini");
    /* The inert integration keys are secrets too. */
    char out[128];
    ps_log_redact("radarr your-radarr-api-key", out, sizeof(out));
    assert_string_equal(out, "radarr ***");
    ps_config_destroy(&c);
}

static void
test_ps_config_small_file_values(void **state)
{
    (void)state;
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
    ps_config_t *c = s_load("good-small.yaml", &errors, &warnings);
    assert_int_equal(errors.count, 0);
    assert_non_null(c);
    assert_int_equal(warnings.count, 0); /* demo mode */
    assert_true(c->demo);
    assert_int_equal(c->scan_interval_s, 300);
    assert_string_equal(c->log_level, "debug");
    assert_string_equal(c->overseerr.url, "http://overseerr:5055/");
    assert_string_equal(c->overseerr.api_key, "ovr-key-0123456789");
    assert_string_equal(c->ai.api_key, "sk-file-key-abcdef");
    assert_float_equal(c->ai.temperature, 0.7, 1e-9);
    assert_string_equal(c->gateway.webhook_secret, "file-webhook-secret");
    assert_int_equal(c->gateway.lease_s, 120);
    /* A single scalar is a one-item list. */
    assert_int_equal(c->rules.blocked_genres.count, 1);
    assert_string_equal(c->rules.blocked_genres.items[0], "Horror");
    assert_true(c->bus.bind_all);
    assert_string_equal(c->bus.collect, "ipc:///tmp/ps-collect");
    assert_true(ps_config_wants_simulators(c));
    char out[256];
    ps_log_redact("k=ovr-key-0123456789 a=sk-file-key-abcdef "
                  "w=file-webhook-secret",
                  out, sizeof(out));
    assert_string_equal(out, "k=*** a=*** w=***");
    ps_config_destroy(&c);
}

static void
test_ps_config_empty_file_is_defaults(void **state)
{
    (void)state;
    ps_config_issues_t errors = {0};
    ps_config_t *c = s_load("empty.yaml", &errors, NULL);
    assert_non_null(c);
    assert_int_equal(errors.count, 0);
    assert_int_equal(c->scan_interval_s, 300);
    ps_config_destroy(&c);
}

static void
test_ps_config_missing_file(void **state)
{
    (void)state;
    ps_config_issues_t errors = {0};
    char path[1024];
    s_fixture("no-such-file.yaml", path, sizeof(path));
    assert_null(ps_config_load(path, &errors, NULL));
    assert_int_equal(errors.count, 1);
    s_assert_issue(&errors.items[0], path,
                   ": (file): cannot open: No such file or directory");
    ps_config_issues_clear(&errors);
}

static void
test_ps_config_misspelt_key_suggests(void **state)
{
    (void)state;
    s_expect_errors("misspelt-key.yaml", 1,
                    ":2:3: rules.blocked_genre: unknown key `blocked_genre`, "
                    "did you mean `blocked_genres`?");
}

static void
test_ps_config_unknown_top_level_key(void **state)
{
    (void)state;
    s_expect_errors("unknown-top-key.yaml", 1,
                    ":2:1: frobnicate: unknown key `frobnicate`");
}

static void
test_ps_config_wrong_type(void **state)
{
    (void)state;
    s_expect_errors("wrong-type.yaml", 1,
                    ":2:15: rules.min_rating: expected a number from 0 to "
                    "10, got \"high\"");
}

static void
test_ps_config_out_of_range(void **state)
{
    (void)state;
    s_expect_errors("out-of-range.yaml", 1,
                    ":2:17: confidence.auto_approve: expected a number from "
                    "0 to 1, got \"1.5\"");
}

static void
test_ps_config_bool_garbage(void **state)
{
    (void)state;
    s_expect_errors("bad-bool.yaml", 1,
                    ":1:7: demo: expected true or false, got \"maybe\"");
}

static void
test_ps_config_list_expected_got_mapping(void **state)
{
    (void)state;
    s_expect_errors("list-got-mapping.yaml", 1,
                    ":3:5: rules.blocked_genres: expected a list of strings, "
                    "got a mapping");
}

static void
test_ps_config_bad_duration(void **state)
{
    (void)state;
    s_expect_errors("bad-duration.yaml", 1,
                    ":1:16: scan_interval: expected a duration from 10s to "
                    "86400s such as \"300\", \"90s\", \"5m\" or \"1h\", got "
                    "\"5 minutes\"");
}

static void
test_ps_config_yaml_syntax_error(void **state)
{
    (void)state;
    s_expect_errors("yaml-syntax.yaml", 1,
                    ":3:3: (yaml): did not find expected ',' or ']' while "
                    "parsing a flow sequence");
}

static void
test_ps_config_yaml_alias_refused(void **state)
{
    (void)state;
    s_expect_errors("alias.yaml", 1,
                    ":2:15: (yaml): aliases (*name) are not supported; "
                    "repeat the value");
}

static void
test_ps_config_yaml_two_documents_refused(void **state)
{
    (void)state;
    s_expect_errors("two-documents.yaml", 1,
                    ":3:1: (yaml): only one YAML document is allowed");
}

static void
test_ps_config_reject_not_below_approve(void **state)
{
    (void)state;
    s_expect_errors("reject-above-approve.yaml", 1,
                    ":3:16: confidence: auto_reject (0.6) must be below "
                    "auto_approve (0.5)");
}

static void
test_ps_config_bad_endpoint_scheme(void **state)
{
    (void)state;
    s_expect_errors("bad-endpoint.yaml", 1,
                    ":2:12: bus.collect: endpoint \"http://127.0.0.1:5571\" "
                    "must start with tcp://, ipc:// or inproc://");
}

static void
test_ps_config_bad_overseerr_url_scheme(void **state)
{
    (void)state;
    s_expect_errors("bad-url-scheme.yaml", 1,
                    ":2:8: overseerr.url: expected an http:// or https:// "
                    "URL, got \"ftp://overseerr:5055\"");
}

static void
test_ps_config_unknown_log_level(void **state)
{
    (void)state;
    s_expect_errors("bad-log-level.yaml", 1,
                    ":1:12: log_level: expected error, warn, info or debug, "
                    "got \"loud\"");
}

static void
test_ps_config_mapping_where_value_expected(void **state)
{
    (void)state;
    s_expect_errors("mapping-for-value.yaml", 1,
                    ":3:5: overseerr.url: expected a value, got a mapping");
}

static void
test_ps_config_value_where_section_expected(void **state)
{
    (void)state;
    s_expect_errors("scalar-for-section.yaml", 1,
                    ":1:8: rules: expected a mapping of settings, got a "
                    "value");
}

static void
test_ps_config_reports_every_error(void **state)
{
    (void)state;
    s_expect_errors("many-mistakes.yaml", 3,
                    ":2:7: demo: expected true or false, got \"perhaps\"",
                    ":4:15: rules.min_rating: expected a number from 0 to "
                    "10, got \"11\"",
                    ":5:3: rules.blocked_genre: unknown key `blocked_genre`, "
                    "did you mean `blocked_genres`?");
}

static void
test_ps_config_env_overrides_file(void **state)
{
    (void)state;
    setenv("OVERSEERR_API_URL", "http://env-overseerr:5055", 1);
    setenv("OPENAI_API_KEY", "sk-env-key-abcdef", 1);
    setenv("WEBHOOK_SECRET", "env-webhook-secret", 1);
    setenv("SCAN_INTERVAL_MINUTES", "2", 1);
    setenv("PLEXSTAFFAI_BUS_BIND_ALL", "no", 1);
    ps_config_issues_t errors = {0};
    ps_config_t *c = s_load("good-small.yaml", &errors, NULL);
    assert_int_equal(errors.count, 0);
    assert_non_null(c);
    assert_string_equal(c->overseerr.url, "http://env-overseerr:5055");
    assert_string_equal(c->ai.api_key, "sk-env-key-abcdef");
    assert_string_equal(c->gateway.webhook_secret, "env-webhook-secret");
    assert_int_equal(c->scan_interval_s, 120);
    assert_false(c->bus.bind_all);
    /* The file's values not overridden stay. */
    assert_string_equal(c->overseerr.api_key, "ovr-key-0123456789");
    char out[256];
    ps_log_redact("Authorization sk-env-key-abcdef secret env-webhook-secret",
                  out, sizeof(out));
    assert_string_equal(out, "Authorization *** secret ***");
    ps_config_destroy(&c);
}

/* The effective config as JSON: every key, config words, never a
   secret's value. */
static void
test_ps_config_to_json(void **state)
{
    (void)state;
    setenv("OPENAI_API_KEY", "sk-env-key-abcdef", 1);
    ps_config_t *c = s_load("good-rules.yaml", NULL, NULL);
    assert_non_null(c);
    json_t *doc = ps_config_to_json(c);
    assert_non_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_null(strstr(text, "sk-env-key-abcdef"));
    free(text);
    assert_string_equal(json_string_value(json_object_get(doc, "ai.api_key")),
                        "set");
    assert_string_equal(
        json_string_value(json_object_get(doc, "gateway.webhook_secret")),
        "not set");
    assert_string_equal(json_string_value(json_object_get(doc, "timezone")),
                        "Europe/Paris");
    assert_int_equal(json_integer_value(json_object_get(doc, "scan_interval")),
                     300);
    assert_string_equal(
        json_string_value(json_object_get(doc, "rules.mode.blocked_keyword")),
        "dry-run");
    assert_string_equal(
        json_string_value(json_object_get(doc, "rules.action.trusted_user")),
        "default");
    assert_string_equal(
        json_string_value(json_object_get(doc, "rules.request_4k")), "decline");
    json_t *window =
        json_array_get(json_object_get(doc, "rules.time_windows"), 0);
    assert_string_equal(json_string_value(json_object_get(window, "from")),
                        "23:00");
    assert_int_equal(json_array_size(json_object_get(window, "days")), 6);
    json_t *override =
        json_array_get(json_object_get(doc, "rules.level_overrides"), 0);
    assert_string_equal(json_string_value(json_object_get(override, "level")),
                        "new");
    assert_string_equal(
        json_string_value(json_object_get(override, "ongoing_series")),
        "inherit");
    assert_true(json_object_size(doc) > 140);
    json_decref(doc);
    ps_config_destroy(&c);
}

static void
test_ps_config_env_changes_version(void **state)
{
    (void)state;
    ps_config_t *a = s_load("good-small.yaml", NULL, NULL);
    ps_config_t *b = s_load("good-small.yaml", NULL, NULL);
    setenv("OPENAI_MODEL", "gpt-other", 1);
    ps_config_t *c = s_load("good-small.yaml", NULL, NULL);
    ps_config_t *d = s_load("prototype-config.yaml", NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    assert_string_equal(a->version, b->version);
    assert_string_not_equal(a->version, c->version);
    assert_string_not_equal(c->version, d->version);
    assert_string_equal(c->ai.model, "gpt-other");
    ps_config_destroy(&a);
    ps_config_destroy(&b);
    ps_config_destroy(&c);
    ps_config_destroy(&d);
}

static void
test_ps_config_env_bad_temperature(void **state)
{
    (void)state;
    setenv("OPENAI_TEMPERATURE", "hot", 1);
    ps_config_issues_t errors = {0};
    assert_null(ps_config_load(NULL, &errors, NULL));
    assert_int_equal(errors.count, 1);
    s_assert_issue(&errors.items[0], "",
                   "environment: OPENAI_TEMPERATURE: expected a number from 0 "
                   "to 2, got \"hot\"");
    ps_config_issues_clear(&errors);
    setenv("OPENAI_TEMPERATURE", "1.2", 1);
    ps_config_t *c = ps_config_load(NULL, &errors, NULL);
    assert_non_null(c);
    assert_float_equal(c->ai.temperature, 1.2, 1e-9);
    ps_config_destroy(&c);
}

static void
test_ps_config_env_bad_minutes_and_url(void **state)
{
    (void)state;
    setenv("SCAN_INTERVAL_MINUTES", "0", 1);
    setenv("OVERSEERR_API_URL", "overseerr:5055", 1);
    setenv("PLEXSTAFFAI_DEMO", "sometimes", 1);
    ps_config_issues_t errors = {0};
    assert_null(ps_config_load(NULL, &errors, NULL));
    assert_int_equal(errors.count, 3);
    s_assert_issue(&errors.items[0], "",
                   "environment: SCAN_INTERVAL_MINUTES: expected whole "
                   "minutes from 1 to 1440, got \"0\"");
    s_assert_issue(&errors.items[1], "",
                   "environment: PLEXSTAFFAI_DEMO: expected true or false, "
                   "got \"sometimes\"");
    s_assert_issue(&errors.items[2], "",
                   "environment: overseerr.url: expected an http:// or "
                   "https:// URL, got \"overseerr:5055\"");
    ps_config_issues_clear(&errors);
}

static void
test_ps_config_bind_endpoint(void **state)
{
    (void)state;
    ps_config_t *c = s_load("good-small.yaml", NULL, NULL);
    assert_non_null(c);
    assert_true(c->bus.bind_all);
    char buf[64];
    assert_int_equal(
        ps_config_bind_endpoint(c, "tcp://127.0.0.1:5572", buf, sizeof(buf)),
        0);
    assert_string_equal(buf, "tcp://*:5572");
    assert_int_equal(
        ps_config_bind_endpoint(c, "tcp://gateway:5573", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "tcp://*:5573");
    assert_int_equal(
        ps_config_bind_endpoint(c, "ipc:///tmp/ps-collect", buf, sizeof(buf)),
        0);
    assert_string_equal(buf, "ipc:///tmp/ps-collect");
    assert_int_equal(ps_config_bind_endpoint(c, "inproc://x", buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, "inproc://x");
    char small[8];
    assert_int_equal(ps_config_bind_endpoint(c, "tcp://127.0.0.1:5572", small,
                                             sizeof(small)),
                     -1);
    c->bus.bind_all = false;
    assert_int_equal(
        ps_config_bind_endpoint(c, "tcp://127.0.0.1:5572", buf, sizeof(buf)),
        0);
    assert_string_equal(buf, "tcp://127.0.0.1:5572");
    ps_config_destroy(&c);
}

static void
test_ps_config_destroy_null_and_twice(void **state)
{
    (void)state;
    ps_config_destroy(NULL);
    ps_config_t *c = NULL;
    ps_config_destroy(&c);
    c = ps_config_load(NULL, NULL, NULL);
    assert_non_null(c);
    ps_config_destroy(&c);
    assert_null(c);
    ps_config_destroy(&c);
    assert_null(c);
    ps_config_issues_t issues = {0};
    ps_config_issues_clear(&issues);
    ps_config_issues_clear(&issues);
    ps_config_issues_clear(NULL);
    assert_int_equal(issues.count, 0);
}

static void
test_ps_config_prototype_adult_genre_warns(void **state)
{
    (void)state;
    char path[1024];
    s_fixture("prototype-config.yaml", path, sizeof(path));
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};
    ps_config_t *c = ps_config_load(path, &errors, &warnings);
    assert_non_null(c);
    assert_int_equal(errors.count, 0);
    /* "Adult" is not a TMDB genre: a warning naming it, not an error. */
    assert_true(warnings.count >= 1);
    s_assert_issue(&warnings.items[0], path,
                   ":16:7: rules.blocked_genres: \"Adult\" is not a TMDB "
                   "genre (movie or TV, English or French name, or id): it "
                   "matches no TMDB genre");
    /* "Horror" resolved to its id; the prototype's keys mean what they
       say: trusted/restricted users, quotas and max_seasons are live. */
    assert_int_equal(c->rules.blocked_ids.count, 1);
    assert_int_equal(c->rules.blocked_ids.ids[0], 27);
    assert_int_equal(c->rules.allowed_ids.count, 2);
    assert_int_equal(c->rules.mode[PS_RULE_TRUSTED_USER], PS_MODE_ON);
    assert_int_equal(c->rules.mode[PS_RULE_UNRATED], PS_MODE_OFF);
    assert_int_equal(strlen(c->rules_version), 16);
    ps_config_issues_clear(&warnings);
    ps_config_destroy(&c);
}

static void
test_ps_config_rules_values(void **state)
{
    (void)state;
    ps_config_issues_t errors = {0};
    ps_config_t *c = s_load("good-rules.yaml", &errors, NULL);
    assert_non_null(c);
    assert_string_equal(c->timezone, "Europe/Paris");
    /* Horreur -> 27; Science-Fiction -> 878 and TV 10765; Adult -> none. */
    assert_int_equal(c->rules.blocked_ids.count, 3);
    assert_int_equal(c->rules.blocked_ids.ids[0], 27);
    assert_int_equal(c->rules.blocked_ids.ids[1], 878);
    assert_int_equal(c->rules.blocked_ids.ids[2], 10765);
    assert_int_equal(c->rules.allowed_ids.count, 1);
    assert_int_equal(c->rules.allowed_ids.ids[0], 10751);
    assert_int_equal(c->rules.min_votes, 50);
    assert_int_equal(c->rules.quota_level[PS_LEVEL_NEW], 3);
    assert_int_equal(c->rules.quota_level[PS_LEVEL_VETERAN], 0);
    assert_int_equal(c->rules.quota_users.count, 1);
    assert_string_equal(c->rules.quota_users.items[0].user, "bob");
    assert_int_equal(c->rules.quota_users.items[0].limit, 20);
    assert_int_equal(c->rules.new_days, 14);
    assert_int_equal(c->rules.veteran_days, 365);
    assert_int_equal(c->rules.overrides.count, 1);
    const ps_config_override_t *o = &c->rules.overrides.items[0];
    assert_int_equal(o->level, PS_LEVEL_NEW);
    assert_int_equal(o->max_seasons, 2);
    assert_int_equal(o->max_episodes, -1);
    assert_int_equal(o->request_4k, PS_POLICY_REVIEW);
    assert_int_equal(o->ongoing_series, PS_POLICY_INHERIT);
    assert_int_equal(c->rules.cert_block.count, 1);
    assert_int_equal(c->rules.windows.count, 1);
    const ps_config_window_t *w = &c->rules.windows.items[0];
    assert_string_equal(w->name, "night");
    assert_int_equal(w->from, 23 * 60);
    assert_int_equal(w->to, 8 * 60);
    assert_int_equal(w->days, 0x7e);
    assert_int_equal(w->action, PS_ACTION_REVIEW);
    assert_int_equal(w->mode, PS_MODE_DRY_RUN);
    assert_int_equal(c->rules.mode[PS_RULE_UNRATED], PS_MODE_ON);
    assert_int_equal(c->rules.mode[PS_RULE_BLOCKED_KEYWORD], PS_MODE_DRY_RUN);
    assert_int_equal(c->rules.action[PS_RULE_RUNTIME_ABOVE_MAX],
                     PS_ACTION_DECLINE);
    assert_int_equal(c->rules.action[PS_RULE_BLOCKED_GENRE], PS_ACTION_DEFAULT);
    assert_int_equal(c->rules.request_4k, PS_POLICY_DECLINE);
    assert_int_equal(c->rules.ongoing_series, PS_POLICY_ALLOW);
    ps_config_destroy(&c);
    ps_config_issues_clear(&errors);
}

static void
test_ps_config_genre_table(void **state)
{
    (void)state;
    int ids[8];
    assert_int_equal(ps_config_genre_ids("Horreur", ids, 8), 1);
    assert_int_equal(ids[0], 27);
    assert_int_equal(ps_config_genre_ids("comédie", ids, 8), 1);
    assert_int_equal(ids[0], 35);
    assert_int_equal(ps_config_genre_ids("TÉLÉFILM", ids, 8), 0);
    assert_int_equal(ps_config_genre_ids("Téléfilm", ids, 8), 1);
    assert_int_equal(ids[0], 10770);
    assert_int_equal(ps_config_genre_ids("sci-fi & fantasy", ids, 8), 3);
    assert_int_equal(ids[0], 10765);
    assert_int_equal(ps_config_genre_ids("Science Fiction", ids, 8), 2);
    assert_int_equal(ids[1], 10765);
    assert_int_equal(ps_config_genre_ids("878", ids, 8), 1);
    assert_int_equal(ps_config_genre_ids("10762", ids, 8), 1);
    assert_int_equal(ps_config_genre_ids("Kids", ids, 8), 1);
    assert_int_equal(ps_config_genre_ids("Adult", ids, 8), 0);
    assert_int_equal(ps_config_genre_ids("99999", ids, 8), 0);
    static const char *const french[] = {
        "Science-Fiction", "Horreur",  "Comédie",  "Drame",
        "Documentaire",    "Aventure", "Familial", "Fantastique",
        "Histoire",        "Musique",  "Mystère",  "Guerre",
        "Téléfilm"};
    for (size_t i = 0; i < sizeof(french) / sizeof(french[0]); i++)
        assert_true(ps_config_genre_ids(french[i], ids, 8) > 0);
    assert_string_equal(ps_config_rule_name(PS_RULE_BLOCKED_GENRE),
                        "blocked_genre");
    assert_string_equal(ps_config_rule_name(PS_RULE_COUNT), "");
    assert_string_equal(ps_config_level_name(PS_LEVEL_VETERAN), "veteran");
}

static void
test_ps_config_bad_rule_mode(void **state)
{
    (void)state;
    s_expect_errors("bad-rule-mode.yaml", 3,
                    ":3:20: rules.mode.blocked_genre: expected on, off or "
                    "dry-run, got \"maybe\"",
                    ":4:5: rules.mode.blocked_genres: unknown key "
                    "`blocked_genres`, did you mean `blocked_genre`?",
                    ":6:19: rules.action.trusted_user: expected approve, "
                    "decline or review, got \"allow\"");
}

static void
test_ps_config_bad_time_window(void **state)
{
    (void)state;
    s_expect_errors(
        "bad-time-window.yaml", 5,
        ":5:13: rules.time_windows[0].from: expected a time of day \"HH:MM\" "
        "from 00:00 to 24:00, got \"25:00\"",
        ":8:7: rules.time_windows[0].dayz: unknown key `dayz`, did you mean "
        "`days`?",
        ":11:19: rules.time_windows[1].days: expected a day (mon ... sun, "
        "weekdays, weekend or all), got \"someday\"",
        ":12:15: rules.time_windows[1].action: expected approve, decline or "
        "review, got \"nap\"",
        ":9:7: rules.time_windows[1]: missing `name`");
}

static void
test_ps_config_bad_certification_and_language(void **state)
{
    (void)state;
    s_expect_errors("bad-certification.yaml", 2,
                    ":3:13: rules.certifications.block: expected "
                    "COUNTRY:RATING such as \"US:NC-17\" or \"FR:-16\", got "
                    "\"NC17\"",
                    ":5:13: rules.languages.allow: expected a two-letter ISO "
                    "639-1 code such as \"en\" or \"fr\", got \"english\"");
}

static void
test_ps_config_unknown_timezone(void **state)
{
    (void)state;
    s_expect_errors("bad-timezone.yaml", 1,
                    ":1:11: timezone: unknown time zone \"Mars/Olympus\": "
                    "expected an IANA name such as \"Europe/Paris\" or "
                    "\"UTC\"");
    setenv("TZ", "../../etc/passwd", 1);
    ps_config_reread_tz();
    ps_config_issues_t errors = {0};
    assert_null(ps_config_load(NULL, &errors, NULL));
    assert_int_equal(errors.count, 1);
    s_assert_issue(&errors.items[0], "environment",
                   ": timezone: unknown time zone \"../../etc/passwd\": "
                   "expected an IANA name such as \"Europe/Paris\" or "
                   "\"UTC\"");
    ps_config_issues_clear(&errors);
}

/* Writes a config file into a temporary path (caller unlinks it). */
static void
s_write_temp(char *path, const char *text)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void
test_ps_config_reload_sees_a_new_timezone(void **state)
{
    (void)state;
    char first[] = "/tmp/test_ps_config_tz1_XXXXXX";
    char second[] = "/tmp/test_ps_config_tz2_XXXXXX";
    s_write_temp(first, "timezone: Asia/Tokyo\n");
    s_write_temp(second, "timezone: Europe/Paris\n");
    ps_config_t *config = ps_config_load(first, NULL, NULL);
    assert_non_null(config);
    assert_string_equal(config->timezone, "Asia/Tokyo");
    /* What the rule engine does for localtime: it must not turn into an
       override that hides the file's next timezone. */
    setenv("TZ", config->timezone, 1);
    ps_config_destroy(&config);
    config = ps_config_load(second, NULL, NULL);
    assert_non_null(config);
    assert_string_equal(config->timezone, "Europe/Paris");
    ps_config_destroy(&config);
    unlink(first);
    unlink(second);
}

static void
test_ps_config_year_min_above_max(void **state)
{
    (void)state;
    s_expect_errors("year-min-above-max.yaml", 1,
                    ":3:10: rules.year: min (2000) must not be above max "
                    "(1990)");
}

static void
test_ps_config_bad_level_override(void **state)
{
    (void)state;
    s_expect_errors("bad-level-override.yaml", 3,
                    ":3:14: rules.level_overrides[0].level: expected new, "
                    "established or veteran, got \"admin\"",
                    ":6:19: rules.level_overrides[1].request_4k: expected "
                    "allow, review or decline, got \"maybe\"",
                    ":7:7: rules.level_overrides[2]: a second override for "
                    "level new; merge them");
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_clean_env, s_clean_env)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ps_config_defaults),
        T(test_ps_config_prototype_file_loads),
        T(test_ps_config_small_file_values),
        T(test_ps_config_empty_file_is_defaults),
        T(test_ps_config_missing_file),
        T(test_ps_config_misspelt_key_suggests),
        T(test_ps_config_unknown_top_level_key),
        T(test_ps_config_wrong_type),
        T(test_ps_config_out_of_range),
        T(test_ps_config_bool_garbage),
        T(test_ps_config_list_expected_got_mapping),
        T(test_ps_config_bad_duration),
        T(test_ps_config_yaml_syntax_error),
        T(test_ps_config_yaml_alias_refused),
        T(test_ps_config_yaml_two_documents_refused),
        T(test_ps_config_reject_not_below_approve),
        T(test_ps_config_bad_endpoint_scheme),
        T(test_ps_config_bad_overseerr_url_scheme),
        T(test_ps_config_unknown_log_level),
        T(test_ps_config_mapping_where_value_expected),
        T(test_ps_config_value_where_section_expected),
        T(test_ps_config_reports_every_error),
        T(test_ps_config_env_overrides_file),
        T(test_ps_config_env_changes_version),
        T(test_ps_config_to_json),
        T(test_ps_config_env_bad_temperature),
        T(test_ps_config_env_bad_minutes_and_url),
        T(test_ps_config_bind_endpoint),
        T(test_ps_config_destroy_null_and_twice),
        T(test_ps_config_prototype_adult_genre_warns),
        T(test_ps_config_rules_values),
        T(test_ps_config_genre_table),
        T(test_ps_config_bad_rule_mode),
        T(test_ps_config_bad_time_window),
        T(test_ps_config_bad_certification_and_language),
        T(test_ps_config_unknown_timezone),
        T(test_ps_config_reload_sees_a_new_timezone),
        T(test_ps_config_year_min_above_max),
        T(test_ps_config_bad_level_override),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ps_log_clear_secrets();
    return failed;
}
