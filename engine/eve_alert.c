/*
 * eve_alert.c - the `alert` event (see eve_alert.h).
 */
#include "eve_alert.h"

#include "redact.h"

/* metadata:k v, k w -> {"k": ["v", "w"]}, keys in rule order. */
static json_t *alert_metadata(const struct rule *r)
{
    json_t *md = json_object();
    for (size_t i = 0; i < r->n_meta; i++) {
        json_t *arr = json_object_get(md, r->meta[i].key);
        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(md, r->meta[i].key, arr);
        }
        json_array_append_new(arr, json_string(r->meta[i].value));
    }
    return md;
}

static json_t *secret_value(struct ps_slice s, bool unmask)
{
    if (unmask)
        return eve_json_bytes(s);
    char red[REDACT_MAX];
    size_t n = redact_format(s.ptr, s.len, red);
    return json_stringn(red, n);
}

static void context_add_secret(json_t *ctx, struct ps_slice s, enum rule_buffer b, bool unmask)
{
    json_object_set_new(ctx, "secret", secret_value(s, unmask));
    json_object_set_new(ctx, "secret_length", json_integer((json_int_t)s.len));
    json_object_set_new(ctx, "secret_buffer", json_string(rule_buffer_name(b)));
    json_object_set_new(ctx, "redacted", json_boolean(!unmask));
}

static json_t *alert_context(const struct detect_alert *a, const struct eve_alert_tx *tx)
{
    json_t *ctx = json_object();
    if (a->secret_buffer != RB_MAX)
        context_add_secret(ctx, a->secret, a->secret_buffer, tx->unmask);
    if (a->cause != NULL) {
        json_t *cause = json_object();
        json_object_set_new(cause, "signature_id", json_integer(a->cause->sid));
        json_object_set_new(cause, "signature", json_string(a->cause->msg));
        context_add_secret(cause, a->cause_secret, a->cause_buffer, tx->unmask);
        json_object_set_new(ctx, "cause", cause);
    }
    if (tx->context != NULL)
        json_object_update(ctx, tx->context);
    if (json_object_size(ctx) == 0) {
        json_decref(ctx);
        return NULL;
    }
    return ctx;
}

static json_t *alert_object(const struct detect_alert *a, const struct eve_alert_tx *tx)
{
    const struct rule *r = a->rule;
    json_t *o = json_object();
    json_object_set_new(o, "action", json_string("allowed"));
    json_object_set_new(o, "gid", json_integer(r->gid));
    json_object_set_new(o, "signature_id", json_integer(r->sid));
    json_object_set_new(o, "rev", json_integer(r->rev));
    json_object_set_new(o, "signature", json_string(r->msg ? r->msg : ""));
    json_object_set_new(o, "category", json_string(r->class_desc ? r->class_desc : ""));
    json_object_set_new(o, "severity", json_integer(r->priority));
    if (r->n_refs > 0) {
        json_t *refs = json_array();
        for (size_t i = 0; i < r->n_refs; i++)
            json_array_append_new(refs, json_string(r->refs[i]));
        json_object_set_new(o, "references", refs);
    }
    if (r->n_meta > 0)
        json_object_set_new(o, "metadata", alert_metadata(r));
    json_t *ctx = alert_context(a, tx);
    if (ctx != NULL)
        json_object_set_new(o, "context", ctx);
    return o;
}

/* The alert's own flow object: counters and the tuple in flow orientation. */
static json_t *alert_flow(const struct flow *f)
{
    char start[EVE_TIME_LEN], a[64], b[64];
    eve_time_format(f->start, start);
    eve_addr_format(f->ip_ver, &f->src, a);
    eve_addr_format(f->ip_ver, &f->dst, b);
    return json_pack("{s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:i,s:i}", "pkts_toserver",
                     (json_int_t)f->pkts[FLOW_TOSERVER], "pkts_toclient",
                     (json_int_t)f->pkts[FLOW_TOCLIENT], "bytes_toserver",
                     (json_int_t)f->bytes[FLOW_TOSERVER], "bytes_toclient",
                     (json_int_t)f->bytes[FLOW_TOCLIENT], "start", start, "src_ip", a, "dest_ip",
                     b, "src_port", (int)f->sport, "dest_port", (int)f->dport);
}

void eve_alert_log(struct eve_thread *t, const struct flow *f, const struct detect_alert *a,
                   const struct eve_alert_tx *tx, ps_time_t ts)
{
    bool to_client = rule_src_is_server(a->rule);
    json_t *ev = eve_event_for_flow(t, "alert", ts, f, to_client);
    if (ev == NULL)
        return;
    json_object_set_new(ev, "tx_id", json_integer((json_int_t)tx->tx_id));
    json_object_set_new(ev, "alert", alert_object(a, tx));
    if (tx->app != NULL)
        json_object_set(ev, tx->app_key, tx->app);
    json_object_set_new(ev, "app_proto", json_string(tx->app_proto));
    json_object_set_new(ev, "direction", json_string(to_client ? "to_client" : "to_server"));
    json_object_set_new(ev, "flow", alert_flow(f));
    eve_event_finish(t, ev, f);
    eve_thread_emit(t, ev);
}
