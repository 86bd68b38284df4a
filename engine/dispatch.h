/*
 * dispatch.h - the reader: capture -> decode -> symmetric hash -> worker.
 *
 * With one worker everything runs on the calling thread, packets go to the
 * worker straight from libpcap's buffer, and there are no rings. With N
 * workers the calling thread reads and decodes, copies each frame once into
 * a batch for the worker its flow hash selects, and hands full batches over
 * single-producer single-consumer rings; workers hand empty batches back
 * the same way, so no memory is allocated per packet.
 */
#ifndef PS_DISPATCH_H
#define PS_DISPATCH_H

#include "capture.h"
#include "config.h"
#include "eve.h"
#include "stats.h"
#include "worker.h"

struct dispatch;

/* NULL with a message in err when workers or threads cannot be made. ws
 * must outlive the dispatch. */
struct dispatch *dispatch_create(const struct worker_setup *ws, char *err, size_t errlen);
void dispatch_destroy(struct dispatch *d); /* accepts NULL */

/*
 * What the reader does once a second of wall time (signals_start_ticker):
 * write stats events every stats_interval seconds (0: only at the end),
 * call progress with the counters so far, and call reopen after a SIGHUP.
 * Workers' counters are read without stopping them: the reader marks the
 * batch it hands each worker, and each worker copies its counters under
 * its lane's lock when it has handled that batch, so every snapshot is
 * taken at one position of the packet stream; the reader collects it on a
 * later tick.
 */
struct dispatch_periodic {
    unsigned stats_interval;
    struct rule_counts rules; /* for the stats events */
    void (*progress)(void *ctx, const struct run_stats *rs); /* NULL: none */
    void *ctx;                 /* of progress */
    void (*reopen)(void *reopen_ctx); /* SIGHUP; NULL: noted and ignored */
    void *reopen_ctx;
};
void dispatch_set_periodic(struct dispatch *d, const struct dispatch_periodic *p);

/* Read every packet of c through the pipeline, then end every flow. A stop
 * signal (signals.h) ends the reading early, with the same flush. Returns
 * PS_OK, or PS_ERR when a thread could not run. */
int dispatch_run(struct dispatch *d, struct capture *c);

/* After dispatch_run: sum every thread's counters into rs and write the
 * stats events (per worker, then totals, then each sink's counters once its
 * queue has drained) when they are selected. uptime is the wall time since
 * dispatch_run started, as in the periodic events. */
void dispatch_log_stats(struct dispatch *d, struct capture *c, struct run_stats *rs);

#endif
