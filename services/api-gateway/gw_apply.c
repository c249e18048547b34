/*  gw_apply - see gw_apply.h.                                             */
#include "gw_apply.h"

#include <stdio.h>

/* Reads the request's status. Returns 0 (status set, 0 when gone), or -1
   with the reason in detail. */
static int
s_read_status(ps_overseerr_t *overseerr, int64_t request_id, int64_t *status,
              char *detail, size_t detail_len)
{
    char path[64];
    snprintf(path, sizeof(path), "/request/%lld", (long long)request_id);
    json_t *body = NULL;
    ps_overseerr_rc_t rc = ps_overseerr_get(overseerr, path, &body);
    if (rc == PS_OVERSEERR_NOT_FOUND) {
        *status = 0;
        return 0;
    }
    if (rc == PS_OVERSEERR_OK && ps_json_int(body, "status", status) == 0) {
        json_decref(body);
        return 0;
    }
    json_decref(body);
    snprintf(detail, detail_len, "%s",
             rc == PS_OVERSEERR_OK ? "request without a status"
                                   : ps_overseerr_error(overseerr));
    return -1;
}

gw_apply_rc_t
gw_apply(ps_overseerr_t *overseerr, int64_t request_id, ps_outcome_t outcome,
         int64_t *status, char *detail, size_t detail_len)
{
    *status = -1;
    detail[0] = '\0';
    if (outcome != PS_OUTCOME_APPROVE && outcome != PS_OUTCOME_DECLINE) {
        snprintf(detail, detail_len, "nothing to apply for outcome \"%s\"",
                 ps_outcome_name(outcome));
        return GW_APPLY_RETRY;
    }
    if (s_read_status(overseerr, request_id, status, detail, detail_len) != 0)
        return GW_APPLY_RETRY;
    if (*status != PS_REQUEST_PENDING)
        return GW_APPLY_ELSEWHERE;

    char path[64];
    snprintf(path, sizeof(path), "/request/%lld/%s", (long long)request_id,
             outcome == PS_OUTCOME_APPROVE ? "approve" : "decline");
    json_t *body = NULL;
    ps_overseerr_rc_t rc = ps_overseerr_post(overseerr, path, &body);
    json_decref(body);
    if (rc == PS_OVERSEERR_OK)
        return GW_APPLY_DONE;
    snprintf(detail, detail_len, "%s", ps_overseerr_error(overseerr));
    if (rc != PS_OVERSEERR_CONFLICT && rc != PS_OVERSEERR_NOT_FOUND)
        return GW_APPLY_RETRY;

    /* 409 or 404: only a fresh read says what Overseerr now holds. */
    char why[256];
    if (s_read_status(overseerr, request_id, status, why, sizeof(why)) != 0)
        return GW_APPLY_RETRY;
    int64_t wanted = outcome == PS_OUTCOME_APPROVE ? PS_REQUEST_APPROVED
                                                   : PS_REQUEST_DECLINED;
    if (rc == PS_OVERSEERR_NOT_FOUND && *status == wanted)
        return GW_APPLY_DONE;
    if (*status == PS_REQUEST_PENDING)
        return GW_APPLY_RETRY;
    return GW_APPLY_ELSEWHERE;
}
