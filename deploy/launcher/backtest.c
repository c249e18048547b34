/*  backtest - see backtest.h.                                             */
#include "backtest.h"
#include "ps_config.h"
#include "ps_http.h"

#include <stdlib.h>
#include <string.h>

#define BACKTEST_MAX_DRAFT (1024 * 1024)
#define BACKTEST_MAX_REPLY (64 * 1024 * 1024)
#define BACKTEST_SHOWN_CHANGES 50

static char *
s_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    char *text = malloc(BACKTEST_MAX_DRAFT + 1);
    size_t n = text ? fread(text, 1, BACKTEST_MAX_DRAFT + 1, file) : 0;
    fclose(file);
    if (!text || n > BACKTEST_MAX_DRAFT) {
        snprintf(err, errlen, "%s: over 1 MiB", path);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

static const char *
s_str(const json_t *object, const char *key)
{
    const char *text = json_string_value(json_object_get(object, key));
    return text ? text : "";
}

static json_int_t
s_int(const json_t *object, const char *key)
{
    return json_integer_value(json_object_get(object, key));
}

static void
s_ratio(FILE *out, json_int_t part, json_int_t whole)
{
    if (whole > 0)
        fprintf(out, "%lld/%lld (%lld%%)", (long long)part, (long long)whole,
                (long long)(100 * part / whole));
    else
        fprintf(out, "no reviewed request");
}

/* "approve (rule)" or "left to the AI" */
static void
s_outcome(char *buf, size_t len, const char *outcome, const char *rule)
{
    if (strcmp(outcome, "ai") == 0)
        snprintf(buf, len, "left to the AI");
    else if (*rule)
        snprintf(buf, len, "%s (%s)", outcome, rule);
    else
        snprintf(buf, len, "%s (ai)", outcome);
}

void
backtest_print(const char *path, int64_t last, const json_t *report, FILE *out)
{
    fprintf(out, "Backtest of %s over the last %lld decisions (rule set %s)\n",
            path, (long long)last, s_str(report, "ruleset"));
    fprintf(out, "  replayed %lld, would change %lld",
            (long long)s_int(report, "total"),
            (long long)s_int(report, "changed"));
    if (s_int(report, "skipped"))
        fprintf(out, ", %lld without a readable snapshot",
                (long long)s_int(report, "skipped"));
    const json_t *agreement = json_object_get(report, "agreement");
    fprintf(out, "\n  agreement with staff: now ");
    s_ratio(out, s_int(agreement, "recorded"), s_int(agreement, "reviewed"));
    fprintf(out, ", draft ");
    s_ratio(out, s_int(agreement, "draft"), s_int(agreement, "reviewed"));
    fprintf(out, "\n\n  %-32s %8s %8s\n", "rule", "decides", "flips");
    const char *rule;
    const json_t *counts;
    json_object_foreach((json_t *)json_object_get(report, "by_rule"), rule,
                        counts)
    {
        fprintf(out, "  %-32s %8lld %8lld\n", rule,
                (long long)s_int(counts, "decides"),
                (long long)s_int(counts, "flips"));
    }
    const json_t *changes = json_object_get(report, "changes");
    size_t count = json_array_size(changes);
    if (count == 0)
        return;
    fprintf(out, "\n  decisions that would change:\n");
    for (size_t i = 0; i < count && i < BACKTEST_SHOWN_CHANGES; i++) {
        const json_t *c = json_array_get(changes, i);
        char before[96], after[96];
        s_outcome(before, sizeof(before), s_str(c, "before"),
                  s_str(c, "before_rule"));
        s_outcome(after, sizeof(after), s_str(c, "after"),
                  s_str(c, "after_rule"));
        fprintf(out, "  #%-6lld %-30.30s %s -> %s",
                (long long)s_int(c, "request_id"), s_str(c, "title"), before,
                after);
        if (*s_str(c, "staff"))
            fprintf(out, "  (staff: %s)", s_str(c, "staff"));
        fprintf(out, "\n");
    }
    if (count > BACKTEST_SHOWN_CHANGES)
        fprintf(out, "  ... and %zu more (GET the JSON from the API)\n",
                count - BACKTEST_SHOWN_CHANGES);
}

int
backtest_run(const char *path, int64_t last, const char *gateway, FILE *out,
             FILE *errout)
{
    int rc = BACKTEST_INVALID_DRAFT;
    char err[512];
    char *text = NULL;
    ps_http_t *http = NULL;
    ps_http_response_t response = {0};
    json_t *report = NULL;
    ps_config_issues_t errors = {0};
    ps_config_issues_t warnings = {0};

    ps_config_t *draft = ps_config_load(path, &errors, &warnings);
    for (size_t i = 0; i < warnings.count; i++) {
        ps_config_issue_format(&warnings.items[i], err, sizeof(err));
        fprintf(errout, "warning: %s\n", err);
    }
    if (!draft) {
        for (size_t i = 0; i < errors.count; i++) {
            ps_config_issue_format(&errors.items[i], err, sizeof(err));
            fprintf(errout, "%s\n", err);
        }
        fprintf(errout, "%zu error(s): the draft was not run\n", errors.count);
        goto out;
    }
    size_t len = 0;
    text = s_read_file(path, &len, err, sizeof(err));
    if (!text) {
        fprintf(errout, "%s\n", err);
        goto out;
    }
    rc = BACKTEST_GATEWAY_FAILED;
    char url[1024];
    size_t base = strlen(gateway);
    while (base > 0 && gateway[base - 1] == '/')
        base--;
    int n = snprintf(url, sizeof(url), "%.*s/api/v1/backtest?last=%lld",
                     (int)base, gateway, (long long)last);
    http = ps_http_new(5000, 120000, BACKTEST_MAX_REPLY);
    if (n < 0 || (size_t)n >= sizeof(url) || !http) {
        fprintf(errout, "gateway URL too long or out of memory\n");
        goto out;
    }
    /* The gateway needs a staff login: scripts use an API token. */
    char authorization[256] = "";
    const char *token = getenv("PLEXSTAFFAI_API_TOKEN");
    if (token && *token)
        snprintf(authorization, sizeof(authorization),
                 "Authorization: Bearer %s", token);
    const char *headers[] = {"Content-Type: application/yaml",
                             "Accept: application/json",
                             *authorization ? authorization : NULL, NULL};
    ps_http_rc_t http_rc =
        ps_http_request(http, "POST", url, headers, text, len, &response);
    if (http_rc != PS_HTTP_OK) {
        fprintf(errout,
                "cannot reach the gateway at %s: %s (is the stack running? "
                "--gateway URL)\n",
                gateway, ps_http_error(http));
        goto out;
    }
    report = json_loadb(response.body, response.body_len, 0, NULL);
    if (response.status != 200 || !report) {
        const char *message = report ? s_str(report, "error") : "";
        fprintf(errout, "the gateway answered HTTP %ld%s%s\n", response.status,
                *message ? ": " : "", message);
        const json_t *list = json_object_get(report, "errors");
        for (size_t i = 0; i < json_array_size(list); i++)
            fprintf(errout, "  %s\n",
                    json_string_value(json_array_get(list, i)));
        if (response.status == 400)
            rc = BACKTEST_INVALID_DRAFT;
        if (response.status == 401 || response.status == 403)
            fprintf(errout, "set PLEXSTAFFAI_API_TOKEN to a staff token "
                            "(plexstaffai token create --role staff)\n");
        goto out;
    }
    backtest_print(path, last, report, out);
    rc = BACKTEST_OK;
out:
    json_decref(report);
    ps_http_response_clear(&response);
    ps_http_destroy(&http);
    free(text);
    ps_config_destroy(&draft);
    ps_config_issues_clear(&errors);
    ps_config_issues_clear(&warnings);
    return rc;
}
