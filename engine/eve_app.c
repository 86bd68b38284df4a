/*
 * eve_app.c - the `http` and `anomaly` events, shaped as Suricata's
 * output-json-http and output-json-anomaly write them: the http object
 * always carries the extended fields, the response content type is cut at
 * its first ';', and headers are arrays of {name, value} in wire order.
 */
#include "eve_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_bytes(json_t *o, const char *key, struct ps_slice s)
{
    if (s.len > 0)
        json_object_set_new(o, key, eve_json_bytes(s));
}

static json_t *eve_http_headers(const struct http_tx *tx, enum ps_dir dir)
{
    size_t n = http_tx_header_count(tx, dir);
    if (n == 0)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        struct ps_slice name, value;
        if (!http_tx_header(tx, dir, i, &name, &value))
            continue;
        json_array_append_new(arr, json_pack("{s:o,s:o}", "name", eve_json_bytes(name), "value",
                                             eve_json_bytes(value)));
    }
    return arr;
}

json_t *eve_http_object(struct eve_thread *t, const struct http_tx *tx)
{
    json_t *h = json_object();
    set_bytes(h, "hostname", http_tx_field(tx, HTTP_F_HOST));
    set_bytes(h, "url", http_tx_field(tx, HTTP_F_URI_RAW));
    set_bytes(h, "http_user_agent", http_tx_field(tx, HTTP_F_USER_AGENT));
    set_bytes(h, "xff", http_tx_field(tx, HTTP_F_XFF));
    set_bytes(h, "http_content_type", http_tx_field(tx, HTTP_F_RESPONSE_CONTENT_TYPE));
    set_bytes(h, "http_refer", http_tx_field(tx, HTTP_F_REFERER));
    set_bytes(h, "http_method", http_tx_field(tx, HTTP_F_METHOD));
    set_bytes(h, "protocol", http_tx_field(tx, HTTP_F_PROTOCOL));
    int status = http_tx_status(tx);
    if (status >= 0)
        json_object_set_new(h, "status", json_integer(status));
    set_bytes(h, "redirect", http_tx_field(tx, HTTP_F_LOCATION));
    json_object_set_new(h, "length", json_integer((json_int_t)http_tx_body_len(tx, PS_TOCLIENT)));
    unsigned want = eve_output_http_headers(eve_thread_output(t));
    if (want & EVE_HEADERS_REQUEST) {
        json_t *a = eve_http_headers(tx, PS_TOSERVER);
        if (a != NULL)
            json_object_set_new(h, "request_headers", a);
    }
    if (want & EVE_HEADERS_RESPONSE) {
        json_t *a = eve_http_headers(tx, PS_TOCLIENT);
        if (a != NULL)
            json_object_set_new(h, "response_headers", a);
    }
    return h;
}

void eve_http_log(struct eve_thread *t, const struct flow *f, const struct http_tx *tx,
                  json_t *http, ps_time_t ts)
{
    json_t *ev = eve_event_for_flow(t, "http", ts, f, false);
    if (ev == NULL)
        return;
    json_object_set_new(ev, "tx_id", json_integer((json_int_t)http_tx_id(tx)));
    if (http != NULL)
        json_object_set(ev, "http", http);
    else
        json_object_set_new(ev, "http", eve_http_object(t, tx));
    eve_event_finish(t, ev, f);
    eve_thread_emit(t, ev);
}

void eve_anomaly_log_applayer(struct eve_thread *t, const struct flow *f,
                              const struct http_tx *tx, const char *event, ps_time_t ts)
{
    json_t *ev = eve_event_for_flow(t, "anomaly", ts, f, false);
    if (ev == NULL)
        return;
    if (tx != NULL)
        json_object_set_new(ev, "tx_id", json_integer((json_int_t)http_tx_id(tx)));
    json_object_set_new(ev, "anomaly", json_pack("{s:s,s:s,s:s,s:s}", "app_proto", "http", "type",
                                                 "applayer", "event", event, "layer",
                                                 "proto_parser"));
    json_object_set_new(ev, "app_proto", json_string("http"));
    eve_event_finish(t, ev, f);
    eve_thread_emit(t, ev);
}

void eve_anomaly_log_stream(struct eve_thread *t, const struct flow *f, enum ps_dir dir,
                            const char *event, ps_time_t ts)
{
    char name[96];
    json_t *ev = eve_event_for_flow(t, "anomaly", ts, f, dir == PS_TOCLIENT);
    if (ev == NULL)
        return;
    snprintf(name, sizeof(name), "stream.%s", event);
    json_object_set_new(ev, "anomaly", json_pack("{s:s,s:s}", "type", "stream", "event", name));
    eve_event_finish(t, ev, f);
    eve_thread_emit(t, ev);
}
