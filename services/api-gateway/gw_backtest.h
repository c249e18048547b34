/*  gw_backtest - replays recorded decisions through a draft rule set.

    Staff change rules with confidence only when they can see what would
    change. Each pipeline decision recorded the inputs it saw
    (ps_work_json); a backtest rebuilds those records, runs the draft's
    rules over them with rules_decide (the rule engine's own pure
    function, so the answer is what the service would do) and compares:
    per rule, how many decisions flip, and how often the recorded and the
    draft outcomes agree with what staff decided on the requests they
    reviewed. Read-only: nothing is decided or applied.                   */
#ifndef GW_BACKTEST_H_INCLUDED
#define GW_BACKTEST_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "gw_store.h"
#include "ps_config.h"

/* Runs `draft` over the last `last` requests decided by the pipeline.
   Returns the report (caller decrefs), or NULL with the reason in err.
   Report: {"total", "changed", "ruleset": draft version, "by_rule":
   {rule: {"decides", "flips"}}, "agreement": {"reviewed", "recorded",
   "draft"}, "changes": [{request_id, title, before, before_rule, after,
   after_rule, staff}]}; "after" is "ai" when the draft's rules leave the
   request to the AI judge. */
json_t *gw_backtest_run(gw_store_t *store, const ps_config_t *draft,
                        int64_t last, char *err, size_t errlen);

#endif
