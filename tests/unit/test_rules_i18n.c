/*  test_rules_i18n - every explanation the rule engine can give has a
    template in every dashboard language (web/i18n/<lang>.json), with the same
    {placeholders} as the English one, so no card ever shows a raw id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_languages[] = {"en", "fr", "es", "de", "it"};

static json_t *
s_catalog(const char *lang)
{
    char path[1024];
    const char *root = getenv("PS_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/web/i18n/%s.json", root ? root : ".",
             lang);
    json_error_t error;
    json_t *doc = json_load_file(path, 0, &error);
    if (!doc)
        fail_msg("%s:%d: %s", path, error.line, error.text);
    json_t *messages = json_incref(json_object_get(doc, "messages"));
    json_decref(doc);
    assert_true(json_is_object(messages));
    return messages;
}

/* Writes the sorted {names} of a template into buf, comma-separated. */
static void
s_placeholders(const char *text, char *buf, size_t len)
{
    char names[16][32];
    size_t count = 0;
    for (const char *p = strchr(text, '{'); p && count < 16;
         p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end || (size_t)(end - p) >= sizeof(names[0]))
            break;
        snprintf(names[count], sizeof(names[0]), "%.*s", (int)(end - p - 1),
                 p + 1);
        count++;
    }
    qsort(names, count, sizeof(names[0]),
          (int (*)(const void *, const void *))strcmp);
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        strncat(buf, names[i], len - strlen(buf) - 1);
        strncat(buf, ",", len - strlen(buf) - 1);
    }
}

static void
test_rules_i18n_every_rule_message_translated(void **state)
{
    (void)state;
    size_t count = 0;
    const rules_message_t *all = rules_messages(&count);
    assert_true(count > 20);
    for (size_t l = 0; l < sizeof(s_languages) / sizeof(*s_languages); l++) {
        json_t *messages = s_catalog(s_languages[l]);
        for (size_t i = 0; i < count; i++) {
            const char *text =
                json_string_value(json_object_get(messages, all[i].id));
            if (!text)
                fail_msg("web/i18n/%s.json has no message `%s`", s_languages[l],
                         all[i].id);
            char want[512], got[512];
            s_placeholders(all[i].english, want, sizeof(want));
            s_placeholders(text, got, sizeof(got));
            if (strcmp(want, got) != 0)
                fail_msg("web/i18n/%s.json `%s` has {%s}, English has {%s}",
                         s_languages[l], all[i].id, got, want);
        }
        json_decref(messages);
    }
}

static void
test_rules_i18n_languages_have_the_same_keys(void **state)
{
    (void)state;
    json_t *english = s_catalog("en");
    for (size_t l = 1; l < sizeof(s_languages) / sizeof(*s_languages); l++) {
        json_t *other = s_catalog(s_languages[l]);
        const char *key;
        json_t *value;
        json_object_foreach(english, key, value)
        {
            if (!json_object_get(other, key))
                fail_msg("%s.json lacks `%s`", s_languages[l], key);
        }
        json_object_foreach(other, key, value)
        {
            if (!json_object_get(english, key))
                fail_msg("%s.json has `%s`, en.json does not", s_languages[l],
                         key);
        }
        json_decref(other);
    }
    json_decref(english);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_i18n_every_rule_message_translated),
        cmocka_unit_test(test_rules_i18n_languages_have_the_same_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
