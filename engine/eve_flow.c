/*
 * eve_flow.c - the `flow` event, written once when a flow ends, in the
 * shape of Suricata's output-json-flow: client as src, counters per
 * direction, start/end/age, the state at the end and why it ended, and for
 * TCP the flags seen in each direction.
 */
#include "eve_flow.h"

#include <stdio.h>

static void eve_flow_add_tcp(json_t *ev, const struct flow *f)
{
    uint8_t ts = f->tcp_flags[FLOW_TOSERVER], tc = f->tcp_flags[FLOW_TOCLIENT];
    uint8_t all = ts | tc;
    char hex[3][4];
    static const struct {
        uint8_t bit;
        const char *name;
    } bits[] = {{TCP_SYN, "syn"}, {TCP_FIN, "fin"}, {TCP_RST, "rst"}, {TCP_PSH, "psh"},
                {TCP_ACK, "ack"}, {TCP_URG, "urg"}, {TCP_ECE, "ecn"}, {TCP_CWR, "cwr"}};

    json_t *tcp = json_object();
    snprintf(hex[0], sizeof(hex[0]), "%02x", all);
    snprintf(hex[1], sizeof(hex[1]), "%02x", ts);
    snprintf(hex[2], sizeof(hex[2]), "%02x", tc);
    json_object_set_new(tcp, "tcp_flags", json_string(hex[0]));
    json_object_set_new(tcp, "tcp_flags_ts", json_string(hex[1]));
    json_object_set_new(tcp, "tcp_flags_tc", json_string(hex[2]));
    /* Suricata writes only the flags that were seen. */
    for (size_t i = 0; i < PS_ARRAY_LEN(bits); i++)
        if (all & bits[i].bit)
            json_object_set_new(tcp, bits[i].name, json_true());
    json_object_set_new(ev, "tcp", tcp);
}

void eve_flow_log(struct eve_thread *t, const struct flow *f, enum flow_end_reason why,
                  const char *app_proto)
{
    char start[EVE_TIME_LEN], end[EVE_TIME_LEN];
    json_t *ev = eve_event_for_flow(t, "flow", f->last, f, false);
    if (ev == NULL)
        return;
    if (app_proto != NULL)
        json_object_set_new(ev, "app_proto", json_string(app_proto));

    eve_time_format(f->start, start);
    eve_time_format(f->last, end);
    json_t *fo = json_object();
    json_object_set_new(fo, "pkts_toserver", json_integer((json_int_t)f->pkts[FLOW_TOSERVER]));
    json_object_set_new(fo, "pkts_toclient", json_integer((json_int_t)f->pkts[FLOW_TOCLIENT]));
    json_object_set_new(fo, "bytes_toserver", json_integer((json_int_t)f->bytes[FLOW_TOSERVER]));
    json_object_set_new(fo, "bytes_toclient", json_integer((json_int_t)f->bytes[FLOW_TOCLIENT]));
    json_object_set_new(fo, "start", json_string(start));
    json_object_set_new(fo, "end", json_string(end));
    json_object_set_new(fo, "age", json_integer((json_int_t)((f->last - f->start) / PS_USEC_PER_SEC)));
    json_object_set_new(fo, "state", json_string(flow_state_name(f->state)));
    json_object_set_new(fo, "reason", json_string(flow_end_reason_name(why)));
    json_object_set_new(fo, "alerted", json_boolean(f->alerted));
    json_object_set_new(ev, "flow", fo);
    if (f->proto == 6)
        eve_flow_add_tcp(ev, f);
    eve_event_finish(t, ev, f);
    eve_thread_emit(t, ev);
}
