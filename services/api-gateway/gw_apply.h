/*  gw_apply - applies one decision in Overseerr, safely.

    The client protocol of ../shared/contracts/overseerr.md §6, in one place
    for the applier thread and for staff reviews: re-read the request and
    act only when it is still pending (sct/Jellyseerr overwrite decided
    requests silently); 200 = done; Seerr's 409 = decided elsewhere; a 404
    from approve/decline is the handler's catch-all, so re-read to learn
    what really happened; 5xx, timeouts and 403 are retried later. Never
    approves on a failure.                                                 */
#ifndef GW_APPLY_H_INCLUDED
#define GW_APPLY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "gw_store.h"
#include "ps_overseerr.h"
#include "ps_work.h"

/* Applies `outcome` (approve or decline) to the request. On ELSEWHERE,
   *status is the Overseerr status found (0 when the request is gone). On
   RETRY, detail holds the reason. */
gw_apply_rc_t gw_apply(ps_overseerr_t *overseerr, int64_t request_id,
                       ps_outcome_t outcome, int64_t *status, char *detail,
                       size_t detail_len);

#endif
