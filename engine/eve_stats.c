/*
 * eve_stats.c - the `stats` event: Suricata's nested counter layout with
 * the schema's names (decoder.*, decoder.event.<layer>.<name>, defrag.*,
 * flow.*), so dashboards built for Suricata read it unchanged.
 *
 * The schema has no per-thread section, so each worker's figures go in an
 * event of their own, marked with `engine.thread_name`; the totals event,
 * without that mark, comes last.
 */
#include "stats.h"

#include <string.h>

void stats_add_u64(void *dst, const void *src, size_t size)
{
    uint64_t a, b;
    for (size_t off = 0; off + sizeof(uint64_t) <= size; off += sizeof(uint64_t)) {
        memcpy(&a, (char *)dst + off, sizeof(a));
        memcpy(&b, (const char *)src + off, sizeof(b));
        a += b;
        memcpy((char *)dst + off, &a, sizeof(a));
    }
}

static void set_u64(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *stats_decoder(const struct decode_stats *d)
{
    json_t *o = json_object();
    set_u64(o, "pkts", d->pkts);
    set_u64(o, "bytes", d->bytes);
    set_u64(o, "invalid", d->invalid);
    set_u64(o, "ethernet", d->ethernet);
    set_u64(o, "vlan", d->vlan);
    set_u64(o, "vlan_qinq", d->vlan_qinq);
    set_u64(o, "sll", d->sll);
    set_u64(o, "sll2", d->sll2);
    set_u64(o, "raw", d->raw);
    set_u64(o, "null", d->null);
    set_u64(o, "ipv4", d->ipv4);
    set_u64(o, "ipv6", d->ipv6);
    set_u64(o, "tcp", d->tcp);
    set_u64(o, "udp", d->udp);
    set_u64(o, "icmpv4", d->icmpv4);
    set_u64(o, "icmpv6", d->icmpv6);
    set_u64(o, "arp", d->arp);
    set_u64(o, "unknown_ethertype", d->reason[DECODE_ETH_UNKNOWN_ETHERTYPE]);
    set_u64(o, "max_pkt_size", d->max_pkt_size);
    set_u64(o, "avg_pkt_size", d->pkts ? d->bytes / d->pkts : 0);

    json_t *ev = json_object();
    for (int r = 0; r < DECODE_REASON_MAX; r++) {
        const char *layer = decode_reason_layer((enum decode_reason)r);
        json_t *lo = json_object_get(ev, layer);
        if (lo == NULL) {
            lo = json_object();
            json_object_set_new(ev, layer, lo);
        }
        set_u64(lo, decode_reason_name((enum decode_reason)r), d->reason[r]);
    }
    json_object_set_new(o, "event", ev);
    return o;
}

static json_t *stats_defrag(const struct decode_stats *d)
{
    return json_pack("{s:{s:I,s:I,s:I},s:{s:I,s:I,s:I},s:I,s:I,s:I}",
                     "ipv4", "fragments", (json_int_t)d->frag4_fragments, "reassembled",
                     (json_int_t)d->frag4_reassembled, "timeouts", (json_int_t)d->frag4_timeouts,
                     "ipv6", "fragments", (json_int_t)d->frag6_fragments, "reassembled",
                     (json_int_t)d->frag6_reassembled, "timeouts", (json_int_t)d->frag6_timeouts,
                     "max_frags_reached", (json_int_t)d->frag_max_frags_reached,
                     "max_trackers_reached", (json_int_t)d->frag_max_trackers_reached, "memuse",
                     (json_int_t)d->frag_memuse);
}

static json_t *stats_flow(const struct flow_stats *f)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:{s:{s:I,s:I,s:I}}}",
                     "total", (json_int_t)f->total, "tcp", (json_int_t)f->tcp, "udp",
                     (json_int_t)f->udp, "icmpv4", (json_int_t)f->icmpv4, "icmpv6",
                     (json_int_t)f->icmpv6, "active", (json_int_t)f->active, "memcap",
                     (json_int_t)f->memcap_refused, "memuse", (json_int_t)f->memuse, "tcp_reuse",
                     (json_int_t)f->tcp_reuse, "mgr", "flows_timeout", (json_int_t)f->timeouts,
                     "flows_evicted", (json_int_t)f->evicted, "end", "state", "new",
                     (json_int_t)f->end_new, "established", (json_int_t)f->end_established,
                     "closed", (json_int_t)f->end_closed);
}

static json_t *stats_tcp(const struct stream_stats *s, const struct app_stats *a)
{
    json_t *o = json_object();
    set_u64(o, "sessions", s->sessions);
    set_u64(o, "ssn_memcap_drop", a->sessions_refused);
    set_u64(o, "midstream_pickups", s->midstream_pickups);
    set_u64(o, "syn", s->syn);
    set_u64(o, "synack", s->synack);
    set_u64(o, "rst", s->rst);
    set_u64(o, "overlap", s->overlap);
    set_u64(o, "overlap_diff_data", s->overlap_diff_data);
    set_u64(o, "reassembly_gap", s->reassembly_gap);
    set_u64(o, "segment_memcap_drop", s->segment_memcap_drop);
    set_u64(o, "reassembly_memuse", s->reassembly_memuse);
    set_u64(o, "memuse", s->session_memuse);
    return o;
}

/* detect.alert, and the rule counts of the run (totals event only). */
static json_t *stats_detect(const struct inspect_stats *is, const struct rule_counts *rules)
{
    json_t *o = json_object();
    set_u64(o, "alert", is->alerts);
    if (rules != NULL)
        json_object_set_new(o, "engines",
                            json_pack("[{s:I,s:I,s:I}]", "rules_loaded", (json_int_t)rules->loaded,
                                      "rules_failed", (json_int_t)rules->failed, "rules_skipped",
                                      (json_int_t)rules->skipped));
    return o;
}

static json_t *stats_worker(const struct worker_stats *ws)
{
    const struct app_stats *a = &ws->app;
    const struct stream_stats *s = &ws->stream;
    json_t *o = json_object();
    json_object_set_new(o, "flow", stats_flow(&ws->flow));
    json_object_set_new(o, "tcp", stats_tcp(s, a));
    /* Anomaly counters that the schema has a name for. */
    json_object_set_new(o, "stream",
                        json_pack("{s:I,s:I,s:I}", "reassembly_overlap_different_data",
                                  (json_int_t)s->overlap_diff_data, "reassembly_seq_gap",
                                  (json_int_t)s->reassembly_gap, "reassembly_insert_memcap",
                                  (json_int_t)s->segment_memcap_drop));
    json_object_set_new(
        o, "app_layer",
        json_pack("{s:{s:I,s:I},s:{s:I},s:{s:{s:I}}}", "flow", "http", (json_int_t)a->flows_http,
                  "failed_tcp", (json_int_t)a->flows_failed, "tx", "http", (json_int_t)a->tx_http,
                  "error", "http", "parser", (json_int_t)a->http_events));
    json_object_set_new(o, "http", json_pack("{s:I,s:I}", "memuse", (json_int_t)a->http_memuse,
                                             "memcap", (json_int_t)a->http_memcap));
    return o;
}

void eve_stats_log(struct eve_thread *t, ps_time_t ts, const struct run_stats *rs)
{
    json_t *ev = eve_event_plain("stats", ts);
    json_t *st = stats_worker(&rs->workers);
    json_object_set_new(st, "uptime", json_integer((json_int_t)rs->uptime));
    json_t *cap = json_pack("{s:I}", "errors", (json_int_t)rs->capture.errors);
    if (rs->capture.live) {
        set_u64(cap, "kernel_packets", rs->capture.kernel_packets);
        set_u64(cap, "kernel_drops", rs->capture.kernel_drops);
        set_u64(cap, "kernel_ifdrops", rs->capture.kernel_ifdrops);
    }
    json_object_set_new(st, "capture", cap);
    json_object_set_new(st, "decoder", stats_decoder(&rs->decode));
    json_object_set_new(st, "defrag", stats_defrag(&rs->decode));
    json_object_set_new(st, "detect", stats_detect(&rs->workers.inspect, &rs->rules));
    json_object_set_new(ev, "stats", st);
    eve_thread_emit(t, ev);

    const struct inspect_stats *is = &rs->workers.inspect;
    const struct stats_counter ics[] = {
        {"calendars", is->calendars},
        {"components", is->components},
        {"malformed", is->cal_malformed},
        {"truncated", is->cal_truncated},
        {"memcap", is->cal_memcap},
        {"memuse", is->cal_memuse},
    };
    eve_stats_log_counters(t, ts, "ics", ics, PS_ARRAY_LEN(ics));
}

/* Append VALUE to msg as logfmt: bare when it can be, else quoted. */
static size_t logfmt_value(char *msg, size_t size, size_t len, const char *v)
{
    if (strpbrk(v, " \"=\\") == NULL && *v != '\0')
        return len + (size_t)snprintf(msg + len, size - len, "%s", v);
    if (len < size)
        msg[len++] = '"';
    for (; *v != '\0' && len + 2 < size; v++) {
        if (*v == '"' || *v == '\\')
            msg[len++] = '\\';
        msg[len++] = *v;
    }
    if (len < size)
        msg[len++] = '"';
    msg[len < size ? len : size - 1] = '\0';
    return len;
}

void eve_stats_log_counters_of(struct eve_thread *t, ps_time_t ts, const char *module,
                               const char *label, const char *value,
                               const struct stats_counter *c, size_t n)
{
    char msg[2048];
    size_t len = 0;
    msg[0] = '\0';
    if (label != NULL) {
        len = (size_t)snprintf(msg, sizeof(msg), "%s=", label);
        len = logfmt_value(msg, sizeof(msg), len, value);
    }
    for (size_t i = 0; i < n && len < sizeof(msg); i++)
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s=%llu", len ? " " : "",
                                c[i].name, (unsigned long long)c[i].value);
    json_t *ev = eve_event_plain("engine", ts);
    json_object_set_new(ev, "log_level", json_string("Info"));
    json_object_set_new(ev, "engine", json_pack("{s:s,s:s}", "module", module, "message", msg));
    eve_thread_emit(t, ev);
}

void eve_stats_log_counters(struct eve_thread *t, ps_time_t ts, const char *module,
                            const struct stats_counter *c, size_t n)
{
    eve_stats_log_counters_of(t, ts, module, NULL, NULL, c, n);
}

void eve_stats_log_sinks(struct eve_thread *t, ps_time_t ts)
{
    struct eve_output *o = eve_thread_output(t);
    for (unsigned i = 0; i < eve_output_sink_count(o); i++) {
        struct sink_stats st;
        const char *name = eve_output_sink_stats(o, i, &st);
        const struct stats_counter c[] = {
            {"written", st.written},
            {"dropped", st.dropped},
            {"reconnects", st.reconnects},
            {"write_errors", st.write_errors},
        };
        eve_stats_log_counters_of(t, ts, "output", "sink", name, c, PS_ARRAY_LEN(c));
    }
}

void eve_stats_log_thread(struct eve_thread *t, ps_time_t ts, const char *thread_name,
                          const struct worker_stats *ws)
{
    json_t *ev = eve_event_plain("stats", ts);
    json_object_set_new(ev, "engine", json_pack("{s:s}", "thread_name", thread_name));
    json_t *st = stats_worker(ws);
    json_object_set_new(st, "decoder", json_pack("{s:I,s:I}", "pkts", (json_int_t)ws->pkts,
                                                 "bytes", (json_int_t)ws->bytes));
    json_object_set_new(st, "detect", stats_detect(&ws->inspect, NULL));
    json_object_set_new(ev, "stats", st);
    eve_thread_emit(t, ev);
}
