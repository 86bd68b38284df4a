/*
 * inspect.c - an HTTP transaction through detection to its events (see
 * inspect.h).
 *
 * A transaction gets a detection state only when a body chunk needs one
 * (stream mode keeps per-stream Hyperscan state); everything else is
 * scanned in one go when the transaction finishes, from the fields libhtp
 * already holds, so a transaction without body rules costs no allocation.
 */
#include "inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eve_alert.h"
#include "eve_app.h"
#include "inspect_int.h"
#include "redact.h"

/* Secrets redacted per transaction; more alerts than this on one
 * transaction still redact their own secrets in their context. */
#define INSPECT_SECRETS_MAX 32

struct inspect_ctx *inspect_create(const struct detect_engine *de, bool unmask, size_t ics_max,
                                   size_t ics_memcap, const struct inspect_shared *xs,
                                   struct eve_thread *eve,
                                   struct eve_output *out)
{
    struct inspect_ctx *ic = calloc(1, sizeof(*ic));
    if (ic == NULL)
        return NULL;
    ic->de = de;
    ic->eve = eve;
    ic->unmask = unmask;
    ic->log_http = eve_output_wants(out, EVE_HTTP);
    ic->log_alert = eve_output_wants(out, EVE_ALERT);
    ic->log_anomaly = eve_output_wants(out, EVE_ANOMALY);
    ic->ics = de != NULL && detect_engine_has_proto(de, RULE_PROTO_ICS);
    ic->ics_max = ics_max;
    ic->ics_memcap = ics_memcap;
    if (de != NULL && (ic->dt = detect_thread_create(de)) == NULL) {
        free(ic);
        return NULL;
    }
    if (xs != NULL && detect_engine_has_xflow(de)) {
        ic->tr = xs->tr;
        ic->scanners = xs->scanners;
        if (ic->scanners != NULL && (ic->scratch = scanner_scratch_create(ic->scanners)) == NULL) {
            inspect_destroy(ic);
            return NULL;
        }
    }
    return ic;
}

void inspect_destroy(struct inspect_ctx *ic)
{
    if (ic == NULL)
        return;
    while (ic->free_tx != NULL) {
        struct inspect_tx *it = ic->free_tx;
        ic->free_tx = it->next_free;
        free(it);
    }
    detect_thread_destroy(ic->dt);
    scanner_scratch_destroy(ic->scratch);
    free(ic->hdr);
    free(ic);
}

/* The transaction's record, from the pool, attached on first need. */
static struct inspect_tx *tx_record(struct inspect_ctx *ic, const struct http_tx *tx)
{
    struct inspect_tx *it = http_tx_user(tx);
    if (it != NULL)
        return it;
    it = ic->free_tx;
    if (it != NULL)
        ic->free_tx = it->next_free;
    else if ((it = calloc(1, sizeof(*it))) == NULL) {
        ic->st.state_refused++;
        return NULL;
    }
    it->next_free = NULL;
    http_tx_set_user(tx, it);
    return it;
}

static void tx_record_put(struct inspect_ctx *ic, struct inspect_tx *it)
{
    if (it->st != NULL)
        detect_state_put(ic->dt, it->st);
    it->st = NULL;
    inspect_cal_clear(ic, &it->cal[0]);
    inspect_cal_clear(ic, &it->cal[1]);
    it->next_free = ic->free_tx;
    ic->free_tx = it;
}

void inspect_http_body(struct inspect_ctx *ic, const struct http_tx *tx, enum ps_dir dir,
                       const uint8_t *data, size_t len)
{
    if (ic->de == NULL)
        return;
    enum rule_buffer b = dir == PS_TOSERVER ? RB_HTTP_REQUEST_BODY : RB_HTTP_RESPONSE_BODY;
    bool scan = detect_engine_uses(ic->de, b);
    if (!scan && !ic->ics)
        return;
    struct inspect_tx *it = tx_record(ic, tx);
    if (it == NULL)
        return;
    if (scan) {
        if (it->st == NULL && (it->st = detect_state_get(ic->dt)) == NULL)
            ic->st.state_refused++;
        else
            detect_stream(ic->dt, it->st, b, data, len);
    }
    if (ic->ics)
        inspect_ics_body(ic, &it->cal[dir], tx, dir, data, len);
}

void inspect_http_release(struct inspect_ctx *ic, void *user)
{
    tx_record_put(ic, user);
}

/* --- header buffers --- */

static void scan_field(struct inspect_ctx *ic, struct detect_state *st, enum rule_buffer b,
                       struct ps_slice s)
{
    if (s.len > 0 && detect_engine_uses(ic->de, b))
        detect_scan(ic->dt, st, b, s.ptr, s.len);
}

/* "Name: value\r\n" for every header of one direction, in wire order. */
static struct ps_slice join_headers(struct inspect_ctx *ic, const struct http_tx *tx,
                                    enum ps_dir dir)
{
    size_t n = http_tx_header_count(tx, dir), len = 0;
    for (int pass = 0; pass < 2; pass++) {
        len = 0;
        for (size_t i = 0; i < n; i++) {
            struct ps_slice name, value;
            if (!http_tx_header(tx, dir, i, &name, &value))
                continue;
            if (pass == 1) {
                memcpy(ic->hdr + len, name.ptr, name.len);
                memcpy(ic->hdr + len + name.len, ": ", 2);
                memcpy(ic->hdr + len + name.len + 2, value.ptr, value.len);
                memcpy(ic->hdr + len + name.len + 2 + value.len, "\r\n", 2);
            }
            len += name.len + value.len + 4;
        }
        if (pass == 0 && len > ic->hdr_cap) {
            uint8_t *grown = realloc(ic->hdr, len);
            if (grown == NULL)
                return (struct ps_slice){NULL, 0};
            ic->hdr = grown;
            ic->hdr_cap = len;
        }
    }
    return (struct ps_slice){ic->hdr, len};
}

static void scan_headers(struct inspect_ctx *ic, struct detect_state *st,
                         const struct http_tx *tx)
{
    scan_field(ic, st, RB_HTTP_METHOD, http_tx_field(tx, HTTP_F_METHOD));
    scan_field(ic, st, RB_HTTP_URI, http_tx_field(tx, HTTP_F_URI_NORM));
    scan_field(ic, st, RB_HTTP_URI_RAW, http_tx_field(tx, HTTP_F_URI_RAW));
    scan_field(ic, st, RB_HTTP_HOST, http_tx_field(tx, HTTP_F_HOST));
    scan_field(ic, st, RB_HTTP_USER_AGENT, http_tx_field(tx, HTTP_F_USER_AGENT));
    scan_field(ic, st, RB_HTTP_COOKIE, http_tx_field(tx, HTTP_F_COOKIE));
    scan_field(ic, st, RB_HTTP_REFERER, http_tx_field(tx, HTTP_F_REFERER));
    scan_field(ic, st, RB_HTTP_CONTENT_TYPE, http_tx_field(tx, HTTP_F_REQUEST_CONTENT_TYPE));
    scan_field(ic, st, RB_HTTP_CONTENT_TYPE, http_tx_field(tx, HTTP_F_RESPONSE_CONTENT_TYPE));
    scan_field(ic, st, RB_HTTP_STAT_MSG, http_tx_field(tx, HTTP_F_STATUS_MSG));
    scan_field(ic, st, RB_HTTP_LOCATION, http_tx_field(tx, HTTP_F_LOCATION));
    int status = http_tx_status(tx);
    if (status >= 0) {
        char code[8];
        int n = snprintf(code, sizeof(code), "%d", status);
        scan_field(ic, st, RB_HTTP_STAT_CODE, (struct ps_slice){(const uint8_t *)code, (size_t)n});
    }
    if (detect_engine_uses(ic->de, RB_HTTP_HEADER))
        scan_field(ic, st, RB_HTTP_HEADER, join_headers(ic, tx, PS_TOSERVER));
    if (detect_engine_uses(ic->de, RB_HTTP_RESPONSE_HEADER))
        scan_field(ic, st, RB_HTTP_RESPONSE_HEADER, join_headers(ic, tx, PS_TOCLIENT));
}

/* --- evaluation and events --- */

static size_t inspect_eval(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                           struct detect_state *st, ps_time_t ts,
                           const struct detect_alert **alerts)
{
    scan_headers(ic, st, tx);
    struct detect_unit unit = {
        .proto = RULE_PROTO_HTTP,
        .ip_ver = f->ip_ver,
        .client = f->src.b,
        .server = f->dst.b,
        .client_port = f->sport,
        .server_port = f->dport,
        /* a transaction needs data both ways: the session is established */
        .established = true,
        .redirect_upgrade = http_tx_redirect_upgrade(tx),
    };
    inspect_xflow_begin(ic, f, tx, ts, &unit);
    ic->st.tx_inspected++;
    return detect_eval(ic->dt, st, &unit, alerts);
}

/* The secrets of the alerts, each once. */
static size_t collect_secrets(const struct detect_alert *alerts, size_t n,
                              struct ps_slice out[INSPECT_SECRETS_MAX])
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ps_slice cand[2] = {alerts[i].secret, alerts[i].cause_secret};
        for (size_t c = 0; c < 2; c++) {
            bool seen = cand[c].len == 0;
            for (size_t j = 0; j < k && !seen; j++)
                seen = out[j].len == cand[c].len && memcmp(out[j].ptr, cand[c].ptr, cand[c].len) == 0;
            if (!seen && k < INSPECT_SECRETS_MAX)
                out[k++] = cand[c];
        }
    }
    return k;
}

json_t *inspect_http_object(struct inspect_ctx *ic, const struct http_tx *tx,
                            struct inspect_http_obj *ho)
{
    if (ho->obj == NULL) {
        ho->obj = eve_http_object(ic->eve, tx);
        if (!ic->unmask)
            redact_json(ho->obj, ho->secrets, ho->n_secrets);
    }
    return ho->obj;
}

void inspect_http_tx(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                     ps_time_t ts)
{
    struct inspect_tx *it = http_tx_user(tx);
    const struct detect_alert *alerts = NULL;
    size_t n = 0;
    struct detect_state *st = it != NULL ? it->st : NULL;
    bool own_state = false;
    if (ic->de != NULL && st == NULL) {
        st = detect_state_get(ic->dt);
        own_state = st != NULL;
        if (st == NULL)
            ic->st.state_refused++;
    }
    if (st != NULL)
        n = inspect_eval(ic, f, tx, st, ts, &alerts);
    struct ps_slice secrets[INSPECT_SECRETS_MAX];
    struct inspect_http_obj ho = {.secrets = secrets,
                                  .n_secrets = collect_secrets(alerts, n, secrets)};
    ic->st.secrets += ho.n_secrets;
    if (n > 0) {
        f->alerted = true;
        ic->st.alerts += n;
    }
    /* JSON is built only for events that are written. */
    if (n > 0 && ic->log_alert) {
        struct eve_alert_tx at = {.tx_id = http_tx_id(tx), .app_proto = "http",
                                  .app_key = "http", .app = inspect_http_object(ic, tx, &ho),
                                  .unmask = ic->unmask};
        for (size_t i = 0; i < n; i++) {
            at.context = inspect_xflow_context(ic, &alerts[i]);
            eve_alert_log(ic->eve, f, &alerts[i], &at, ts);
            json_decref(at.context);
        }
    }
    if (it != NULL && ic->ics)
        inspect_ics_tx(ic, f, tx, it, &ho, ts);
    if (ic->log_http)
        eve_http_log(ic->eve, f, tx, inspect_http_object(ic, tx, &ho), ts);
    json_decref(ho.obj);
    if (own_state)
        detect_state_put(ic->dt, st);
    if (it != NULL) {
        http_tx_set_user(tx, NULL);
        tx_record_put(ic, it);
    }
}

void inspect_get_stats(const struct inspect_ctx *ic, struct inspect_stats *out)
{
    *out = ic->st;
    if (ic->dt != NULL) {
        const struct detect_thread_stats *ds = detect_thread_stats(ic->dt);
        out->scans = ds->scans;
        out->confirms = ds->confirms;
    }
}
