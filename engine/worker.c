/*
 * worker.c - the per-packet pipeline of one worker (see worker.h).
 *
 * worker_handle_packet() reads top to bottom: find the flow, count the
 * packet, hand TCP payload to reassembly and the application parser, and
 * let events out. Flows end only through flow_table's end callback, which
 * finishes their state and writes the flow event.
 */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "eve_flow.h"
#include "flow.h"

#define WORKER_EXPIRE_BUDGET 256

struct worker {
    unsigned id;
    char name[24];
    struct flow_table *flows;
    struct app_ctx *app;
    struct eve_thread *eve;
    bool log_flows;
    uint64_t pkts, bytes;
};

static void worker_flow_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    struct worker *w = ctx;
    const char *app_proto = app_flow_end(w->app, f, f->last);
    if (w->log_flows)
        eve_flow_log(w->eve, f, why, app_proto);
}

struct worker *worker_create(const struct worker_setup *ws, unsigned id)
{
    const struct ps_config *cfg = ws->cfg;
    struct worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->id = id;
    snprintf(w->name, sizeof(w->name), "worker-%u", id + 1);
    struct flow_config fc = {
        .memcap = cfg->flow_memcap / cfg->threads,
        .hash_size = cfg->flow_hash_size,
        .tcp_new = PS_SECONDS(cfg->tcp_timeout_new),
        .tcp_established = PS_SECONDS(cfg->tcp_timeout_established),
        .tcp_closed = PS_SECONDS(cfg->tcp_timeout_closed),
        .udp_new = PS_SECONDS(cfg->udp_timeout_new),
        .udp_established = PS_SECONDS(cfg->udp_timeout_established),
    };
    w->flows = flow_table_create(&fc, worker_flow_end, w);
    w->eve = eve_thread_create(ws->out);
    if (w->eve != NULL)
        w->app = app_ctx_create(cfg, ws->rules, ws->unmask_secrets, ws->xflow, w->eve,
                                ws->out);
    if (w->flows == NULL || w->eve == NULL || w->app == NULL)
        goto fail;
    w->log_flows = eve_output_wants(ws->out, EVE_FLOW);
    return w;
fail:
    worker_destroy(w);
    return NULL;
}

void worker_destroy(struct worker *w)
{
    if (w == NULL)
        return;
    flow_table_destroy(w->flows);
    app_ctx_destroy(w->app);
    eve_thread_destroy(w->eve);
    free(w);
}

void worker_handle_packet(struct worker *w, const struct packet *p)
{
    enum flow_dir dir;
    w->pkts += p->wire_frames;
    w->bytes += p->wire_bytes;
    struct flow *f = flow_table_get(w->flows, p, &dir);
    if (f == NULL)
        return; /* memcap refused a new flow; counted by the table */
    if (p->proto == 6)
        app_handle_tcp(w->app, f, dir, p);
}

void worker_tick(struct worker *w, ps_time_t now)
{
    flow_table_expire(w->flows, now, WORKER_EXPIRE_BUDGET);
}

void worker_finish(struct worker *w)
{
    flow_table_flush(w->flows);
    eve_thread_flush(w->eve);
}

void worker_get_stats(const struct worker *w, struct worker_stats *out)
{
    out->pkts = w->pkts;
    out->bytes = w->bytes;
    out->flow = *flow_table_stats(w->flows);
    app_get_stats(w->app, &out->app, &out->stream, &out->inspect);
}

const char *worker_name(const struct worker *w)
{
    return w->name;
}
