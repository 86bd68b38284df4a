/*
 * app.h - the application layer of one worker's TCP flows: reassembly
 * feeds content-based protocol detection, which hands HTTP connections to
 * libhtp, and whatever they yield becomes EVE events.
 *
 * A flow's app state (flow.app) is created on its first TCP packet and
 * finished when the flow ends, so transactions cut by a timeout or by the
 * end of input are still reported.
 */
#ifndef PS_APP_H
#define PS_APP_H

#include "config.h"
#include "detect.h"
#include "eve.h"
#include "inspect.h"
#include "flow.h"
#include "packet.h"
#include "stream.h"

/* Per-worker counters, named after the schema's app_layer and tcp parts. */
struct app_stats {
    uint64_t flows_http, flows_failed; /* app_layer.flow.http / failed_tcp */
    uint64_t tx_http;                  /* app_layer.tx.http */
    uint64_t http_parser_errors;       /* app_layer.error.http.parser */
    uint64_t http_events;              /* anomaly events raised by the HTTP parser */
    uint64_t stream_events;            /* anomaly events raised by reassembly */
    uint64_t sessions_refused;         /* no memory for a TCP session */
    uint64_t http_memuse, http_memcap; /* stats.http: header bytes held, memcap stops */
};

struct app_ctx;

/* de: the compiled rules, NULL for none; unmask: write secrets whole;
 * xs: what the workers share for cross-flow rules, may be NULL. */
struct app_ctx *app_ctx_create(const struct ps_config *cfg, const struct detect_engine *de,
                               bool unmask, const struct inspect_shared *xs,
                               struct eve_thread *eve, struct eve_output *out);
void app_ctx_destroy(struct app_ctx *ac); /* accepts NULL */

/* A TCP packet of flow f in direction dir. */
void app_handle_tcp(struct app_ctx *ac, struct flow *f, enum flow_dir dir,
                    const struct packet *p);

/* Flow f ends at time `now`: flush reassembly, finish HTTP, free f->app.
 * Returns the app_proto name for the flow event, or NULL. */
const char *app_flow_end(struct app_ctx *ac, struct flow *f, ps_time_t now);

void app_get_stats(const struct app_ctx *ac, struct app_stats *as, struct stream_stats *ss,
                   struct inspect_stats *is);

#endif
