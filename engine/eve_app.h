/* eve_app.h - EVE events of the application layer: `http` and `anomaly`. */
#ifndef PS_EVE_APP_H
#define PS_EVE_APP_H

#include "eve.h"
#include "flow.h"
#include "http.h"

/* The `http` event of a finished transaction, in flow orientation; `http`
 * is its http object (shared, not taken), or NULL to build it here. */
void eve_http_log(struct eve_thread *t, const struct flow *f, const struct http_tx *tx,
                  json_t *http, ps_time_t ts);

/* Suricata's `http` object for tx, with request/response headers when the
 * output asks for them. */
json_t *eve_http_object(struct eve_thread *t, const struct http_tx *tx);

/* anomaly {type: applayer, event: NAME, layer: proto_parser}, app_proto http;
 * tx may be NULL. */
void eve_anomaly_log_applayer(struct eve_thread *t, const struct flow *f,
                              const struct http_tx *tx, const char *event, ps_time_t ts);

/* anomaly {type: stream, event: "stream.NAME"}, oriented as the data went. */
void eve_anomaly_log_stream(struct eve_thread *t, const struct flow *f, enum ps_dir dir,
                            const char *event, ps_time_t ts);

#endif
