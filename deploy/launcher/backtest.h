/*  backtest - `plexstaffai backtest`: what a draft rule set would change.

    The replay itself runs in the gateway (POST /api/v1/backtest), where
    the decision history lives and which links the rule engine; this
    command checks the draft locally first (so errors name the real file,
    line and column), sends it, and prints the report as a table a person
    can read in a terminal.                                               */
#ifndef BACKTEST_H_INCLUDED
#define BACKTEST_H_INCLUDED

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define BACKTEST_DEFAULT_GATEWAY "http://127.0.0.1:5056"
#define BACKTEST_DEFAULT_LAST 200

/* Exit codes of the command. */
#define BACKTEST_OK 0
#define BACKTEST_INVALID_DRAFT 1
#define BACKTEST_GATEWAY_FAILED 3

/* Runs the backtest of the config at `path` over the last `last`
   decisions through the gateway at `gateway` (its base URL). Prints the
   report to out and problems to errout. Returns one of the exit codes. */
int backtest_run(const char *path, int64_t last, const char *gateway, FILE *out,
                 FILE *errout);

/* Prints a report (the gateway's JSON answer) as tables. */
void backtest_print(const char *path, int64_t last, const json_t *report,
                    FILE *out);

#endif
