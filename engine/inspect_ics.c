/*
 * inspect_ics.c - calendars in HTTP bodies through the ics rules.
 *
 * A body is a calendar when its Content-Type is text/calendar or it starts
 * with BEGIN:VCALENDAR (decided on its first decoded chunk). It is kept up
 * to --ics-max-size and parsed when the transaction ends; each component
 * (VEVENT, VTODO...) is its own inspection unit, so a rule fires at most
 * once per component and a feed leaking ten passcodes gives ten alerts,
 * each naming its event. A calendar cut by the cap (or by the body limit)
 * is still parsed as far as it goes, and counted as truncated (not also as
 * malformed); a malformed one keeps whatever libical could read. Each
 * raises an anomaly; the counts go in the `ics` engine event of stats.
 */
#include <stdlib.h>
#include <string.h>

#include "eve_alert.h"
#include "eve_app.h"
#include "ics.h"
#include "inspect_int.h"
#include "redact.h"

#define ICS_SECRETS_MAX 16 /* per component, for redacting its summary */

void inspect_cal_clear(struct inspect_ctx *ic, struct inspect_cal *cal)
{
    ic->st.cal_memuse -= PS_MIN((uint64_t)cal->cap, ic->st.cal_memuse);
    free(cal->data);
    *cal = (struct inspect_cal){0};
}

void inspect_ics_body(struct inspect_ctx *ic, struct inspect_cal *cal, const struct http_tx *tx,
                      enum ps_dir dir, const uint8_t *data, size_t len)
{
    if (cal->kind == CAL_UNKNOWN) {
        enum http_field ct = dir == PS_TOSERVER ? HTTP_F_REQUEST_CONTENT_TYPE
                                                : HTTP_F_RESPONSE_CONTENT_TYPE;
        cal->kind = ics_probe(http_tx_field(tx, ct), (struct ps_slice){data, len}) ? CAL_YES
                                                                                 : CAL_NO;
    }
    if (cal->kind != CAL_YES)
        return;
    cal->seen += len;
    size_t keep = PS_MIN(len, ic->ics_max - cal->len);
    if (keep == 0 || cal->refused)
        return;
    if (cal->len + keep > cal->cap) {
        size_t cap = PS_MAX(cal->cap * 2, 16 * 1024);
        cap = PS_MIN(PS_MAX(cap, cal->len + keep), ic->ics_max);
        /* the calendar stops where the memcap leaves no room to grow */
        if (ic->st.cal_memuse + (cap - cal->cap) > ic->ics_memcap) {
            cal->refused = true;
            ic->st.cal_memcap++;
            keep = cal->cap - cal->len;
            if (keep == 0)
                return;
            goto copy;
        }
        uint8_t *grown = realloc(cal->data, cap);
        if (grown == NULL) {
            ic->st.state_refused++;
            return;
        }
        ic->st.cal_memuse += cap - cal->cap;
        cal->data = grown;
        cal->cap = cap;
    }
copy:
    memcpy(cal->data + cal->len, data, keep);
    cal->len += keep;
}

/* What each component's walk needs. */
struct ics_walk {
    struct inspect_ctx *ic;
    struct flow *f;
    const struct http_tx *tx;
    struct inspect_http_obj *ho;
    ps_time_t ts;
};

static const enum rule_buffer ics_field_buffer[ICS_F_MAX] = {
    [ICS_F_SUMMARY] = RB_ICS_SUMMARY,       [ICS_F_DESCRIPTION] = RB_ICS_DESCRIPTION,
    [ICS_F_LOCATION] = RB_ICS_LOCATION,     [ICS_F_URL] = RB_ICS_URL,
    [ICS_F_ORGANIZER] = RB_ICS_ORGANIZER,   [ICS_F_ATTENDEE] = RB_ICS_ATTENDEE,
    [ICS_F_COMMENT] = RB_ICS_COMMENT,       [ICS_F_CONFERENCE] = RB_ICS_CONFERENCE,
    [ICS_F_OTHER] = RB_MAX, /* ics.text only */
};

static void ics_scan_component(struct inspect_ctx *ic, struct detect_state *st,
                               const struct ics_component *c)
{
    bool text = detect_engine_uses(ic->de, RB_ICS_TEXT);
    for (size_t i = 0; i < c->n_props; i++) {
        const struct ics_property *p = &c->props[i];
        if (p->value.len == 0)
            continue;
        enum rule_buffer b = ics_field_buffer[p->field];
        if (b != RB_MAX && detect_engine_uses(ic->de, b))
            detect_scan(ic->dt, st, b, p->value.ptr, p->value.len);
        if (text)
            detect_scan(ic->dt, st, RB_ICS_TEXT, p->value.ptr, p->value.len);
    }
}

/* The name of the first property whose value holds the secret. */
static const char *ics_secret_property(const struct ics_component *c, struct ps_slice secret)
{
    for (size_t i = 0; secret.len > 0 && i < c->n_props; i++)
        if (memmem(c->props[i].value.ptr, c->props[i].value.len, secret.ptr, secret.len) != NULL)
            return c->props[i].name;
    return NULL;
}

static void set_slice(json_t *o, const char *key, struct ps_slice s)
{
    if (s.len > 0)
        json_object_set_new(o, key, eve_json_bytes(s));
}

/* alert.context members naming the component: uid, summary (its secrets
 * redacted), dtstart, organizer, and the property that matched. */
static json_t *ics_context(const struct ics_component *c, const struct detect_alert *a,
                           const struct ps_slice *secrets, size_t n_secrets, bool unmask)
{
    json_t *ctx = json_object();
    json_object_set_new(ctx, "component", json_string(c->kind));
    set_slice(ctx, "uid", c->uid);
    set_slice(ctx, "summary", c->summary);
    set_slice(ctx, "dtstart", c->dtstart);
    set_slice(ctx, "organizer", c->organizer);
    const char *prop = ics_secret_property(c, a->secret);
    if (prop != NULL && prop[0] != '\0') /* libical's unparsed lines have no name */
        json_object_set_new(ctx, "property", json_string(prop));
    if (!unmask)
        redact_json(ctx, secrets, n_secrets);
    return ctx;
}

static void ics_on_component(void *arg, const struct ics_component *c)
{
    struct ics_walk *w = arg;
    struct inspect_ctx *ic = w->ic;
    struct detect_state *st = detect_state_get(ic->dt);
    if (st == NULL) {
        ic->st.state_refused++;
        return;
    }
    ic->st.components++;
    ics_scan_component(ic, st, c);
    struct detect_unit unit = {
        .proto = RULE_PROTO_ICS,
        .ip_ver = w->f->ip_ver,
        .client = w->f->src.b,
        .server = w->f->dst.b,
        .client_port = w->f->sport,
        .server_port = w->f->dport,
        .established = true,
    };
    const struct detect_alert *alerts;
    size_t n = detect_eval(ic->dt, st, &unit, &alerts);
    if (n > 0) {
        w->f->alerted = true;
        ic->st.alerts += n;
    }
    struct ps_slice secrets[ICS_SECRETS_MAX];
    size_t n_secrets = 0;
    for (size_t i = 0; i < n && n_secrets < ICS_SECRETS_MAX; i++)
        if (alerts[i].secret.len > 0)
            secrets[n_secrets++] = alerts[i].secret;
    ic->st.secrets += n_secrets;
    for (size_t i = 0; i < n && ic->log_alert; i++) {
        json_t *ctx = ics_context(c, &alerts[i], secrets, n_secrets, ic->unmask);
        struct eve_alert_tx at = {.tx_id = http_tx_id(w->tx), .app_proto = "http",
                                  .app_key = "http",
                                  .app = inspect_http_object(ic, w->tx, w->ho),
                                  .context = ctx, .unmask = ic->unmask};
        eve_alert_log(ic->eve, w->f, &alerts[i], &at, w->ts);
        json_decref(ctx);
    }
    detect_state_put(ic->dt, st);
}

static void ics_anomaly(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                        const char *event, ps_time_t ts)
{
    if (ic->log_anomaly)
        eve_anomaly_log_applayer(ic->eve, f, tx, event, ts);
}

void inspect_ics_tx(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                    struct inspect_tx *it, struct inspect_http_obj *ho, ps_time_t ts)
{
    for (int d = PS_TOSERVER; d <= PS_TOCLIENT; d++) {
        struct inspect_cal *cal = &it->cal[d];
        if (cal->kind != CAL_YES || cal->seen == 0)
            continue;
        ic->st.calendars++;
        /* cut by our caps, or before us by the body limit */
        bool truncated = cal->seen > cal->len || http_tx_body_len(tx, (enum ps_dir)d) > cal->seen;
        if (truncated) {
            ic->st.cal_truncated++;
            ics_anomaly(ic, f, tx, "ICS_CALENDAR_TRUNCATED", ts);
        }
        if (cal->len == 0)
            continue; /* the memcap kept none of it */
        struct ics_walk w = {.ic = ic, .f = f, .tx = tx, .ho = ho, .ts = ts};
        struct ics_result res = {0};
        if (ics_parse(cal->data, cal->len, ics_on_component, &w, &res) != PS_OK) {
            ic->st.state_refused++;
            continue;
        }
        /* a cut calendar is incomplete by construction: one anomaly says why */
        if (res.malformed && !truncated) {
            ic->st.cal_malformed++;
            ics_anomaly(ic, f, tx, "ICS_CALENDAR_MALFORMED", ts);
        }
    }
}
