/*  ps_web - see ps_web.h.                                                 */
#include "ps_web.h"

#include <stdlib.h>

ps_web_body_rc_t
ps_web_read_body(struct mg_connection *conn, size_t max, char **body,
                 size_t *len)
{
    const struct mg_request_info *info = mg_get_request_info(conn);
    *body = NULL;
    *len = 0;
    if (info->content_length > (long long)max)
        return PS_WEB_BODY_TOO_LARGE;
    /* Room for the declared length, or a small start that grows, and
       never more than max + 1 bytes: the extra byte tells "exactly max"
       from "over max" when no length was declared. */
    size_t cap =
        info->content_length >= 0 ? (size_t)info->content_length + 1 : 4096;
    if (cap > max + 1)
        cap = max + 1;
    char *buf = malloc(cap + 1);
    if (!buf)
        return PS_WEB_BODY_FAILED;
    size_t used = 0;
    for (;;) {
        if (used == cap) {
            if (cap == max + 1)
                break;
            size_t grown_cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *grown = realloc(buf, grown_cap + 1);
            if (!grown) {
                free(buf);
                return PS_WEB_BODY_FAILED;
            }
            buf = grown;
            cap = grown_cap;
        }
        int n = mg_read(conn, buf + used, cap - used);
        if (n < 0) {
            free(buf);
            return PS_WEB_BODY_FAILED;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used > max) {
        free(buf);
        return PS_WEB_BODY_TOO_LARGE;
    }
    buf[used] = '\0';
    *body = buf;
    *len = used;
    return PS_WEB_BODY_OK;
}
