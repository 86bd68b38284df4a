/*
 * inspect_xflow.c - the cross-flow facts of a transaction (mail-scanner
 * fingerprint of its client, reuse of its request-target token across
 * clients) for plainsight.scanner and plainsight.token_reuse, and the
 * alert.context they add.
 *
 * detect_eval asks at most once per transaction, only when a rule found a
 * secret in the request target: one scanner match and one token-table
 * lookup per token-bearing transaction, none otherwise.
 */
#include <string.h>

#include "inspect_int.h"

void inspect_xflow_begin(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                         ps_time_t ts, struct detect_unit *unit)
{
    ic->xf.asked = false;
    ic->xf.f = f;
    ic->xf.tx = tx;
    ic->xf.ts = ts;
    if (ic->scanners != NULL || ic->tr != NULL) {
        unit->xflow = inspect_xflow_query;
        unit->xflow_arg = ic;
    }
}

unsigned inspect_xflow_query(void *arg, const struct detect_alert *cause)
{
    struct inspect_ctx *ic = arg;
    struct inspect_xflow *x = &ic->xf;
    const struct flow *f = x->f;
    struct ps_slice ua = http_tx_field(x->tx, HTTP_F_USER_AGENT);
    x->asked = true;
    x->hit = scanner_match(ic->scanners, ic->scratch, f->ip_ver, f->src.b, ua);
    unsigned bits = x->hit.name != NULL ? DETECT_XF_SCANNER : 0;
    if (ic->tr == NULL)
        return bits;
    uint8_t key[TOKEN_REUSE_KEY_LEN];
    token_reuse_key(http_tx_field(x->tx, HTTP_F_HOST), cause->secret, key);
    struct token_reuse_client c = {.ip_ver = f->ip_ver, .scanner = x->hit.name};
    memcpy(c.addr, f->src.b, sizeof(c.addr));
    c.ua_len = (uint8_t)PS_MIN(ua.len, sizeof(c.ua));
    if (c.ua_len > 0)
        memcpy(c.ua, ua.ptr, c.ua_len);
    token_reuse_see(ic->tr, key, &c, x->ts, &x->reuse);
    if (x->reuse.reused) {
        ic->st.token_reuse++;
        bits |= DETECT_XF_REUSE;
    }
    return bits;
}

static json_t *xflow_client(const struct token_reuse_client *c)
{
    char ip[64], ts[EVE_TIME_LEN];
    struct ps_addr a;
    memcpy(a.b, c->addr, sizeof(a.b));
    eve_addr_format(c->ip_ver, &a, ip);
    eve_time_format(c->first_seen, ts);
    json_t *o = json_pack("{s:s,s:s}", "ip", ip, "first_seen", ts);
    json_object_set_new(o, "user_agent",
                        eve_json_bytes((struct ps_slice){(const uint8_t *)c->ua, c->ua_len}));
    if (c->scanner != NULL)
        json_object_set_new(o, "scanner", json_string(c->scanner));
    return o;
}

json_t *inspect_xflow_context(const struct inspect_ctx *ic, const struct detect_alert *a)
{
    const struct inspect_xflow *x = &ic->xf;
    if (!x->asked || (!a->rule->token_reuse && !a->rule->scanner))
        return NULL;
    json_t *ctx = json_object();
    if (a->rule->token_reuse) {
        json_t *clients = json_array();
        bool scanner = false;
        for (unsigned i = 0; i < x->reuse.n; i++) {
            json_array_append_new(clients, xflow_client(&x->reuse.clients[i]));
            scanner |= x->reuse.clients[i].scanner != NULL;
        }
        json_object_set_new(ctx, "token_reuse",
                            json_pack("{s:o,s:I,s:b}", "clients", clients, "distinct_clients",
                                      (json_int_t)x->reuse.n_clients, "scanner_involved",
                                      scanner));
    }
    if (a->rule->scanner && x->hit.name != NULL)
        json_object_set_new(ctx, "scanner",
                            json_pack("{s:s,s:s}", "name", x->hit.name, "matched",
                                      x->hit.trait == SCANNER_ADDRESS ? "address"
                                                                      : "user_agent"));
    return ctx;
}
