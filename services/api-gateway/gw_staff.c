/*  gw_staff - see gw_staff.h. */
#include "gw_staff.h"
#include "gw_apply.h"
#include "ps_log.h"
#include "ps_time.h"

#include <stdio.h>
#include <string.h>

void
gw_staff_decide(gw_shared_t *shared, const gw_principal_t *who,
                int64_t request_id, ps_outcome_t outcome, const char *reason,
                gw_staff_result_t *result)
{
    memset(result, 0, sizeof(*result));
    result->overseerr_status = -1;
    gw_store_t *store = gw_reply_store(shared);
    if (!store) {
        result->rc = GW_STAFF_FAILED;
        snprintf(result->detail, sizeof(result->detail),
                 "database unavailable");
        return;
    }
    int taken = gw_store_staff_take(store, request_id);
    if (taken <= 0) {
        result->rc = taken < 0 ? GW_STAFF_FAILED : GW_STAFF_NOT_FOUND;
        snprintf(result->detail, sizeof(result->detail), "%s",
                 taken < 0 ? gw_store_error(store)
                           : "Review not found or already processed");
        return;
    }
    pthread_rwlock_rdlock(&shared->config_lock);
    result->observe_only = shared->config->observe_only;
    pthread_rwlock_unlock(&shared->config_lock);

    gw_apply_rc_t rc = GW_APPLY_DONE;
    if (!result->observe_only) {
        ps_overseerr_t *overseerr = gw_reply_overseerr(shared);
        if (overseerr)
            rc = gw_apply(overseerr, request_id, outcome,
                          &result->overseerr_status, result->detail,
                          sizeof(result->detail));
        else {
            rc = GW_APPLY_RETRY;
            snprintf(result->detail, sizeof(result->detail), "out of memory");
        }
    }
    if (gw_store_staff_finish(
            store, request_id, outcome, who->name, reason ? reason : "", rc,
            result->overseerr_status, result->detail, ps_time_now_ms())
        != 0) {
        result->rc = GW_STAFF_FAILED;
        snprintf(result->detail, sizeof(result->detail), "%s",
                 gw_store_error(store));
        return;
    }
    gw_reply_nudge(shared, NULL);
    if (rc == GW_APPLY_ELSEWHERE)
        result->rc = GW_STAFF_ELSEWHERE;
    else if (rc == GW_APPLY_RETRY) {
        result->rc = GW_STAFF_NOT_TAKEN;
        ps_log_warn("staff decision not applied req=%lld err=\"%s\"",
                    (long long)request_id, result->detail);
    } else {
        result->rc = GW_STAFF_APPLIED;
        ps_log_info("staff decided req=%lld outcome=%s", (long long)request_id,
                    ps_outcome_name(outcome));
    }
}
