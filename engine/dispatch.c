/*
 * dispatch.c - reader loop, batches and worker threads (see dispatch.h).
 *
 * A batch holds up to BATCH_PKTS packet views and one arena for the frames
 * that must be copied: those in libpcap's buffer (pcapng, standard input,
 * live capture) and datagrams rebuilt from fragments. A frame of a mapped
 * capture file is not copied: the batch points into the map, and the
 * reader releases the map behind the oldest batch a worker has not
 * finished (dispatch_release). Each worker has two rings:
 * `full` (reader -> worker) and `free` (worker -> reader), and a fixed
 * number of batches that circulate between them. A batch also carries the
 * reader's packet time, so a worker that receives few packets still ends
 * idle flows on time, and an end mark that tells the worker to finish.
 *
 * Live capture: a read returns empty-handed after the capture's timeout on
 * a quiet link; the reader then moves its time on to the wall clock, so idle
 * flows still end. Signals and the once-a-second tick are checked between
 * packets (signals.h).
 *
 * Fragments: defrag runs in the reader's decoder, so a datagram is hashed
 * once it is whole, with its ports, like any other packet; every fragment
 * of it therefore ends up on the worker of its flow.
 */
#include "dispatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "hash.h"
#include "ring.h"
#include "signals.h"
#include "token_reuse.h"
#include "worker.h"

#define BATCH_PKTS 256
#define BATCH_ARENA (512 * 1024) /* > the largest frame libpcap returns (256 KiB) */
#define TICK_PACKETS 65536       /* packets between time ticks to idle workers */
#define RELEASE_PACKETS 4096     /* packets between releases of mapped input */

struct batch {
    unsigned n;
    size_t used;
    uint64_t pos_lo; /* capture position before its first packet */
    ps_time_t now;
    bool end;
    bool snapshot; /* worker: publish your counters after this batch */
    struct packet pkts[BATCH_PKTS];
    uint8_t arena[BATCH_ARENA];
};

struct lane {
    struct worker *w;
    struct ring *full, *free;
    struct batch *cur; /* being filled by the reader */
    struct batch **all;
    unsigned nbatches;
    /* Release tracking: pos_lo of each batch handed over, by sequence
     * number modulo nbatches; batches handed over, and finished (written
     * by the worker). */
    uint64_t *lo;
    uint64_t pushed;
    _Atomic uint64_t done;
    pthread_t thread;
    bool started;
    pthread_mutex_t snap_lock; /* guards snap and snap_seq */
    struct worker_stats snap;  /* the worker's counters at a marked batch */
    uint64_t snap_seq;         /* marked batches handled */
};

struct dispatch {
    const struct worker_setup *ws;
    const struct ps_config *cfg;
    struct decoder *dec;
    struct eve_output *out;
    unsigned nlanes;
    struct lane *lanes;
    ps_time_t now;
    struct dispatch_periodic per;
    struct capture *cap;        /* being read by dispatch_run */
    uint64_t pos;               /* capture position of the packet being routed */
    struct timespec started;    /* wall clock at dispatch_run */
    unsigned since_stats;       /* seconds since the last periodic stats */
    bool want_stats;            /* the pending snapshot is for a stats event */
    uint64_t snap_reqs;         /* snapshots requested so far */
    uint64_t snap_want;         /* seq every lane must reach; 0: none pending */
    struct run_stats snap_rs;   /* reader-side counters of the pending snapshot */
};

static int dispatch_lane_init(struct dispatch *d, struct lane *l, unsigned id)
{
    l->w = worker_create(d->ws, id);
    if (l->w == NULL)
        return PS_NOMEM;
    pthread_mutex_init(&l->snap_lock, NULL);
    if (d->nlanes == 1)
        return PS_OK;
    l->nbatches = d->cfg->batches_per_worker;
    l->full = ring_create(l->nbatches);
    l->free = ring_create(l->nbatches);
    l->all = calloc(l->nbatches, sizeof(*l->all));
    l->lo = calloc(l->nbatches, sizeof(*l->lo));
    if (l->full == NULL || l->free == NULL || l->all == NULL || l->lo == NULL)
        return PS_NOMEM;
    for (unsigned i = 0; i < l->nbatches; i++) {
        l->all[i] = malloc(sizeof(struct batch));
        if (l->all[i] == NULL)
            return PS_NOMEM;
        l->all[i]->n = 0;
        l->all[i]->used = 0;
        l->all[i]->end = false;
        l->all[i]->snapshot = false;
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
        if (l->w != NULL)
            pthread_mutex_destroy(&l->snap_lock);
        worker_destroy(l->w);
        for (unsigned j = 0; l->all != NULL && j < l->nbatches; j++)
            free(l->all[j]);
        free(l->all);
        free(l->lo);
        ring_destroy(l->full);
        ring_destroy(l->free);
    }
    free(d->lanes);
    decoder_destroy(d->dec);
    free(d);
}

/* Copy the lane's worker counters for the reader (see dispatch_periodic). */
static void dispatch_lane_publish(struct lane *l)
{
    struct worker_stats ws;
    worker_get_stats(l->w, &ws);
    pthread_mutex_lock(&l->snap_lock);
    l->snap = ws;
    l->snap_seq++;
    pthread_mutex_unlock(&l->snap_lock);
}

static void *dispatch_worker_main(void *arg)
{
    struct lane *l = arg;
    for (;;) {
        struct batch *b = ring_pop(l->full);
        for (unsigned i = 0; i < b->n; i++) {
            if (i + 1 < b->n)
                packet_prefetch(&b->pkts[i + 1]);
            worker_handle_packet(l->w, &b->pkts[i]);
        }
        worker_tick(l->w, b->now);
        if (b->snapshot)
            dispatch_lane_publish(l);
        bool end = b->end;
        b->n = 0;
        b->used = 0;
        b->snapshot = false;
        /* Its frames are read: the map behind them may go. */
        atomic_fetch_add_explicit(&l->done, 1, memory_order_release);
        ring_push(l->free, b);
        if (end)
            break;
    }
    worker_finish(l->w);
    return NULL;
}

/* Hand the lane's current batch to its worker and take an empty one. */
static void dispatch_lane_flush(struct dispatch *d, struct lane *l, bool end, bool snapshot)
{
    l->cur->now = d->now;
    l->cur->end = end;
    l->cur->snapshot = snapshot;
    l->lo[l->pushed++ % l->nbatches] = l->cur->n > 0 ? l->cur->pos_lo : d->pos;
    ring_push(l->full, l->cur);
    l->cur = end ? NULL : ring_pop(l->free);
}

/* Put a decoded packet into its worker's batch, copying the frame unless
 * it is in a mapped file. */
static void dispatch_enqueue(struct dispatch *d, const struct packet *p)
{
    struct lane *l = &d->lanes[p->hash % d->nlanes];
    struct batch *b = l->cur;
    bool copy = p->cap_pos == CAPTURE_POS_NONE || (p->flags & PKT_REASSEMBLED);
    if (b->n == BATCH_PKTS || (copy && b->used + p->caplen > BATCH_ARENA)) {
        dispatch_lane_flush(d, l, false, false);
        b = l->cur;
    }
    if (b->n == 0)
        b->pos_lo = d->pos;
    struct packet *q = &b->pkts[b->n++];
    *q = *p;
    if (copy) {
        memcpy(b->arena + b->used, p->data, p->caplen);
        q->data = b->arena + b->used;
        b->used += p->caplen;
    }
}

/* Unmap the input that no worker will read again: everything before the
 * oldest batch not yet finished, or being filled. */
static void dispatch_release(struct dispatch *d, struct capture *c)
{
    uint64_t keep = capture_position(c);
    for (unsigned i = 0; d->nlanes > 1 && i < d->nlanes; i++) {
        struct lane *l = &d->lanes[i];
        uint64_t done = atomic_load_explicit(&l->done, memory_order_acquire);
        if (done < l->pushed)
            keep = PS_MIN(keep, l->lo[done % l->nbatches]);
        else if (l->cur != NULL && l->cur->n > 0)
            keep = PS_MIN(keep, l->cur->pos_lo);
    }
    capture_release(c, keep);
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
        dispatch_lane_flush(d, &d->lanes[i], false, false);
}

void dispatch_set_periodic(struct dispatch *d, const struct dispatch_periodic *p)
{
    d->per = *p;
}

static ps_time_t dispatch_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ps_time_t)ts.tv_sec * PS_USEC_PER_SEC + (ps_time_t)(ts.tv_nsec / 1000);
}

static uint64_t dispatch_uptime(const struct dispatch *d)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)(ts.tv_sec - d->started.tv_sec);
}

/* The stats events of rs, with each lane's counters in lane->snap. */
/* Per-worker events, the totals, the engine counter events; at the end
 * (final), sink counters wait until every event before them was delivered
 * (a bounded wait), so they count the whole run. */
static void dispatch_write_stats(struct dispatch *d, const struct run_stats *rs, bool final)
{
    struct eve_thread *t = eve_thread_create(d->out);
    if (t == NULL)
        return;
    for (unsigned i = 0; d->nlanes > 1 && i < d->nlanes; i++)
        eve_stats_log_thread(t, d->now, worker_name(d->lanes[i].w), &d->lanes[i].snap);
    eve_stats_log(t, d->now, rs);
    if (d->ws->xflow != NULL && d->ws->xflow->tr != NULL)
        token_reuse_log_stats(d->ws->xflow->tr, t, d->now);
    if (final) {
        eve_thread_flush(t);
        eve_output_drain(d->out);
    }
    eve_stats_log_sinks(t, d->now);
    eve_thread_destroy(t);
}

/* Reader-side counters now; worker counters once the lanes publish. */
static void dispatch_snapshot_request(struct dispatch *d, struct capture *c)
{
    struct run_stats *rs = &d->snap_rs;
    memset(rs, 0, sizeof(*rs));
    rs->rules = d->per.rules;
    rs->uptime = dispatch_uptime(d);
    rs->capture = *capture_stats(c);
    rs->decode = *decoder_stats(d->dec);
    d->snap_want = ++d->snap_reqs;
    if (d->nlanes == 1) {
        /* One thread: the worker's counters are ours to read now. */
        worker_get_stats(d->lanes[0].w, &d->lanes[0].snap);
        d->lanes[0].snap_seq = d->snap_reqs;
        return;
    }
    for (unsigned i = 0; i < d->nlanes; i++)
        dispatch_lane_flush(d, &d->lanes[i], false, true);
}

/* Sum the snapshot if every lane has published it; false when not yet. */
static bool dispatch_snapshot_collect(struct dispatch *d)
{
    struct run_stats *rs = &d->snap_rs;
    for (unsigned i = 0; i < d->nlanes; i++) {
        struct lane *l = &d->lanes[i];
        pthread_mutex_lock(&l->snap_lock);
        bool ready = l->snap_seq >= d->snap_want;
        pthread_mutex_unlock(&l->snap_lock);
        if (!ready)
            return false;
    }
    /* Each lane published under its lock, which the check above took
     * after the write: the copies are complete and stable until the next
     * request. */
    for (unsigned i = 0; i < d->nlanes; i++)
        stats_add_u64(&rs->workers, &d->lanes[i].snap, sizeof(rs->workers));
    d->snap_want = 0;
    return true;
}

/* Once a second of wall time: live time, stats, progress, reopen. */
static void dispatch_on_second(struct dispatch *d, struct capture *c)
{
    if (capture_is_live(c)) {
        ps_time_t w = dispatch_wall_now();
        if (w > d->now)
            d->now = w;
        dispatch_tick(d);
    }
    if (d->per.stats_interval > 0 && ++d->since_stats >= d->per.stats_interval) {
        d->since_stats = 0;
        d->want_stats = true;
    }
    if (d->snap_want == 0 && (d->want_stats || d->per.progress != NULL))
        dispatch_snapshot_request(d, c);
    if (d->snap_want == 0 || !dispatch_snapshot_collect(d))
        return;
    if (d->want_stats && eve_output_wants(d->out, EVE_STATS))
        dispatch_write_stats(d, &d->snap_rs, false);
    d->want_stats = false;
    if (d->per.progress != NULL)
        d->per.progress(d->per.ctx, &d->snap_rs);
}

/* Signals or the tick are pending; false when reading must stop. */
static bool dispatch_on_signal(struct dispatch *d, struct capture *c)
{
    if (signals_stop_requested())
        return false;
    if (signals_take_reopen() && d->per.reopen != NULL)
        d->per.reopen(d->per.reopen_ctx);
    if (signals_take_tick())
        dispatch_on_second(d, c);
    return true;
}

/* The capture waits on a quiet pipe: the tick may be due meanwhile. */
static void dispatch_on_wait(void *ctx)
{
    struct dispatch *d = ctx;
    if (signals_take_tick())
        dispatch_on_second(d, d->cap);
}

int dispatch_run(struct dispatch *d, struct capture *c)
{
    struct packet p;
    uint64_t count = 0;
    unsigned tick_every = d->nlanes == 1 ? BATCH_PKTS : TICK_PACKETS;
    sigset_t mask;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &d->started);
    d->cap = c;
    capture_set_stop_check(c, signals_stop_requested);
    capture_set_wait_hook(c, dispatch_on_wait, d);
    signals_block(&mask); /* workers leave the signals to the reader */
    for (unsigned i = 0; d->nlanes > 1 && i < d->nlanes; i++) {
        if (pthread_create(&d->lanes[i].thread, NULL, dispatch_worker_main, &d->lanes[i]) != 0) {
            fprintf(stderr, "plainsight: error: cannot start worker thread %u\n", i + 1);
            signals_restore(&mask);
            return PS_ERR; /* threads already started wait forever; main exits */
        }
        d->lanes[i].started = true;
    }
    signals_restore(&mask);
    /* With workers, the reader reads only the headers of each frame. */
    if (d->nlanes > 1)
        capture_set_prefetch(c, CAPTURE_PREFETCH_HEADERS);
    d->pos = capture_position(c);
    while ((rc = capture_next(c, &p)) != CAPTURE_END) {
        if (signals_pending() && !dispatch_on_signal(d, c))
            break;
        if (rc == CAPTURE_IDLE) {
            /* A quiet link: time goes on with the wall clock. */
            ps_time_t w = dispatch_wall_now();
            if (w > d->now)
                d->now = w;
            dispatch_tick(d);
            continue;
        }
        if (p.ts > d->now)
            d->now = p.ts;
        dispatch_packet(d, &p);
        if (++count % tick_every == 0)
            dispatch_tick(d);
        if (count % RELEASE_PACKETS == 0)
            dispatch_release(d, c);
        d->pos = capture_position(c);
    }
    if (d->nlanes == 1) {
        worker_finish(d->lanes[0].w);
        return PS_OK;
    }
    for (unsigned i = 0; i < d->nlanes; i++)
        dispatch_lane_flush(d, &d->lanes[i], true, false);
    for (unsigned i = 0; i < d->nlanes; i++)
        pthread_join(d->lanes[i].thread, NULL);
    return PS_OK;
}

void dispatch_log_stats(struct dispatch *d, struct capture *c, struct run_stats *rs)
{
    struct rule_counts rules = rs->rules; /* set by the caller */
    memset(rs, 0, sizeof(*rs));
    rs->rules = rules;
    rs->uptime = dispatch_uptime(d);
    rs->capture = *capture_stats(c);
    rs->decode = *decoder_stats(d->dec);
    /* The workers are done: their counters are final and read directly. */
    for (unsigned i = 0; i < d->nlanes; i++) {
        worker_get_stats(d->lanes[i].w, &d->lanes[i].snap);
        stats_add_u64(&rs->workers, &d->lanes[i].snap, sizeof(rs->workers));
    }
    if (eve_output_wants(d->out, EVE_STATS))
        dispatch_write_stats(d, rs, true);
}
