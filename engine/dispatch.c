/*
 * dispatch.c - reader loop, batches and worker threads (see dispatch.h).
 *
 * A batch holds up to BATCH_PKTS packet views and one arena for their
 * frames; a frame never straddles two batches. Each worker has two rings:
 * `full` (reader -> worker) and `free` (worker -> reader), and a fixed
 * number of batches that circulate between them. A batch also carries the
 * reader's packet time, so a worker that receives few packets still ends
 * idle flows on time, and an end mark that tells the worker to finish.
 *
 * Fragments: defrag runs in the reader's decoder, so a datagram is hashed
 * once it is whole, with its ports, like any other packet; every fragment
 * of it therefore ends up on the worker of its flow.
 */
#include "dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "hash.h"
#include "ring.h"
#include "worker.h"

#define BATCH_PKTS 256
#define BATCH_ARENA (512 * 1024) /* > the largest frame libpcap returns (256 KiB) */
#define TICK_PACKETS 65536       /* packets between time ticks to idle workers */

struct batch {
    unsigned n;
    size_t used;
    ps_time_t now;
    bool end;
    struct packet pkts[BATCH_PKTS];
    uint8_t arena[BATCH_ARENA];
};

struct lane {
    struct worker *w;
    struct ring *full, *free;
    struct batch *cur; /* being filled by the reader */
    struct batch **all;
    unsigned nbatches;
    pthread_t thread;
    bool started;
};

struct dispatch {
    const struct worker_setup *ws;
    const struct ps_config *cfg;
    struct decoder *dec;
    struct eve_output *out;
    unsigned nlanes;
    struct lane *lanes;
    ps_time_t now;
};

static int dispatch_lane_init(struct dispatch *d, struct lane *l, unsigned id)
{
    l->w = worker_create(d->ws, id);
    if (l->w == NULL)
        return PS_NOMEM;
    if (d->nlanes == 1)
        return PS_OK;
    l->nbatches = d->cfg->batches_per_worker;
    l->full = ring_create(l->nbatches);
    l->free = ring_create(l->nbatches);
    l->all = calloc(l->nbatches, sizeof(*l->all));
    if (l->full == NULL || l->free == NULL || l->all == NULL)
        return PS_NOMEM;
    for (unsigned i = 0; i < l->nbatches; i++) {
        l->all[i] = malloc(sizeof(struct batch));
        if (l->all[i] == NULL)
            return PS_NOMEM;
        l->all[i]->n = 0;
        l->all[i]->used = 0;
        l->all[i]->end = false;
        ring_push(l->free, l->all[i]);
    }
    l->cur = ring_pop(l->free);
    return PS_OK;
}

struct dispatch *dispatch_create(const struct worker_setup *ws, char *err, size_t errlen)
{
    const struct ps_config *cfg = ws->cfg;
    struct dispatch *d = calloc(1, sizeof(*d));
    if (d == NULL)
        goto nomem;
    d->ws = ws;
    d->cfg = cfg;
    d->out = ws->out;
    d->nlanes = cfg->threads;
    struct decode_config dc = {
        .defrag_memcap = cfg->defrag_memcap,
        .defrag_timeout = PS_SECONDS(cfg->defrag_timeout),
        .defrag_max_frags = cfg->defrag_max_frags,
    };
    d->dec = decoder_create(&dc);
    d->lanes = calloc(d->nlanes, sizeof(*d->lanes));
    if (d->dec == NULL || d->lanes == NULL)
        goto nomem;
    for (unsigned i = 0; i < d->nlanes; i++)
        if (dispatch_lane_init(d, &d->lanes[i], i) != PS_OK)
            goto nomem;
    return d;
nomem:
    snprintf(err, errlen, "out of memory setting up %u workers", cfg->threads);
    dispatch_destroy(d);
    return NULL;
}

void dispatch_destroy(struct dispatch *d)
{
    if (d == NULL)
        return;
    for (unsigned i = 0; d->lanes != NULL && i < d->nlanes; i++) {
        struct lane *l = &d->lanes[i];
        worker_destroy(l->w);
        for (unsigned j = 0; l->all != NULL && j < l->nbatches; j++)
            free(l->all[j]);
        free(l->all);
        ring_destroy(l->full);
        ring_destroy(l->free);
    }
    free(d->lanes);
    decoder_destroy(d->dec);
    free(d);
}

static void *dispatch_worker_main(void *arg)
{
    struct lane *l = arg;
    for (;;) {
        struct batch *b = ring_pop(l->full);
        for (unsigned i = 0; i < b->n; i++)
            worker_handle_packet(l->w, &b->pkts[i]);
        worker_tick(l->w, b->now);
        bool end = b->end;
        b->n = 0;
        b->used = 0;
        ring_push(l->free, b);
        if (end)
            break;
    }
    worker_finish(l->w);
    return NULL;
}

/* Hand the lane's current batch to its worker and take an empty one. */
static void dispatch_lane_flush(struct dispatch *d, struct lane *l, bool end)
{
    l->cur->now = d->now;
    l->cur->end = end;
    ring_push(l->full, l->cur);
    l->cur = end ? NULL : ring_pop(l->free);
}

/* Copy a decoded packet into its worker's batch: the one copy of a frame. */
static void dispatch_enqueue(struct dispatch *d, const struct packet *p)
{
    struct lane *l = &d->lanes[p->hash % d->nlanes];
    struct batch *b = l->cur;
    if (b->n == BATCH_PKTS || b->used + p->caplen > BATCH_ARENA) {
        dispatch_lane_flush(d, l, false);
        b = l->cur;
    }
    struct packet *q = &b->pkts[b->n++];
    *q = *p;
    memcpy(b->arena + b->used, p->data, p->caplen);
    q->data = b->arena + b->used;
    b->used += p->caplen;
}

/* Decode, then route: to the only worker directly, or into a batch. */
static void dispatch_packet(struct dispatch *d, struct packet *p)
{
    if (decode_packet(d->dec, p) != DECODE_FLOW)
        return;
    p->hash = hash_flow(p);
    if (d->nlanes == 1)
        worker_handle_packet(d->lanes[0].w, p);
    else
        dispatch_enqueue(d, p);
}

/* Let every worker see the time move on, even those without packets. */
static void dispatch_tick(struct dispatch *d)
{
    decoder_expire(d->dec, d->now);
    if (d->nlanes == 1) {
        worker_tick(d->lanes[0].w, d->now);
        return;
    }
    for (unsigned i = 0; i < d->nlanes; i++)
        dispatch_lane_flush(d, &d->lanes[i], false);
}

int dispatch_run(struct dispatch *d, struct capture *c)
{
    struct packet p;
    uint64_t count = 0;
    unsigned tick_every = d->nlanes == 1 ? BATCH_PKTS : TICK_PACKETS;

    for (unsigned i = 0; d->nlanes > 1 && i < d->nlanes; i++) {
        if (pthread_create(&d->lanes[i].thread, NULL, dispatch_worker_main, &d->lanes[i]) != 0) {
            fprintf(stderr, "plainsight: error: cannot start worker thread %u\n", i + 1);
            return PS_ERR; /* threads already started wait forever; main exits */
        }
        d->lanes[i].started = true;
    }
    while (capture_next(c, &p) == 1) {
        if (p.ts > d->now)
            d->now = p.ts;
        dispatch_packet(d, &p);
        if (++count % tick_every == 0)
            dispatch_tick(d);
    }
    if (d->nlanes == 1) {
        worker_finish(d->lanes[0].w);
        return PS_OK;
    }
    for (unsigned i = 0; i < d->nlanes; i++)
        dispatch_lane_flush(d, &d->lanes[i], true);
    for (unsigned i = 0; i < d->nlanes; i++)
        pthread_join(d->lanes[i].thread, NULL);
    return PS_OK;
}

void dispatch_log_stats(struct dispatch *d, const struct capture *c, uint64_t uptime,
                        struct run_stats *rs)
{
    struct rule_counts rules = rs->rules; /* set by the caller */
    memset(rs, 0, sizeof(*rs));
    rs->rules = rules;
    rs->uptime = uptime;
    rs->capture = *capture_stats(c);
    rs->decode = *decoder_stats(d->dec);

    bool log = eve_output_wants(d->out, EVE_STATS);
    struct eve_thread *t = eve_thread_create(d->out);
    if (t == NULL)
        log = false;
    for (unsigned i = 0; i < d->nlanes; i++) {
        struct worker_stats ws;
        worker_get_stats(d->lanes[i].w, &ws);
        stats_add_u64(&rs->workers, &ws, sizeof(ws));
        if (log && d->nlanes > 1)
            eve_stats_log_thread(t, d->now, worker_name(d->lanes[i].w), &ws);
    }
    if (log) {
        eve_stats_log(t, d->now, rs);
        /* Sink counters once every event before them has been delivered
         * (bounded wait), so they count the whole run. */
        eve_thread_flush(t);
        eve_output_drain(d->out);
        eve_stats_log_sinks(t, d->now);
    }
    eve_thread_destroy(t);
}
