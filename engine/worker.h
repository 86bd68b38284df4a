/*
 * worker.h - one worker's per-packet pipeline: flow -> stream -> app ->
 * output. A worker owns its flow table and everything hanging off its
 * flows, and is driven by exactly one thread at a time.
 */
#ifndef PS_WORKER_H
#define PS_WORKER_H

#include "config.h"
#include "detect.h"
#include "eve.h"
#include "inspect.h"
#include "packet.h"
#include "stats.h"

struct worker;

/* What every worker of a run shares, read-only. */
struct worker_setup {
    const struct ps_config *cfg;
    struct eve_output *out;
    const struct detect_engine *rules; /* NULL: no rules */
    bool unmask_secrets;               /* --unmask-secrets */
    const struct inspect_shared *xflow; /* token table and scanners; NULL: none */
};

/* NULL when out of memory. id is 0-based; the worker divides the
 * per-process memcaps of cfg by cfg->threads. */
struct worker *worker_create(const struct worker_setup *ws, unsigned id);
void worker_destroy(struct worker *w); /* accepts NULL */

/* A decoded packet with PKT_HAS_FLOW; its bytes are borrowed for the call. */
void worker_handle_packet(struct worker *w, const struct packet *p);

/* Packet time moved on to `now`: end flows idle past their timeout, a
 * bounded number per call. */
void worker_tick(struct worker *w, ps_time_t now);

/* End of input: end every flow, flush output. */
void worker_finish(struct worker *w);

void worker_get_stats(const struct worker *w, struct worker_stats *out);
const char *worker_name(const struct worker *w);

#endif
