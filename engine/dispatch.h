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

/* Read every packet of c through the pipeline, then end every flow.
 * Returns PS_OK, or PS_ERR when a thread could not run. */
int dispatch_run(struct dispatch *d, struct capture *c);

/* After dispatch_run: sum every thread's counters into rs and write the
 * stats events (per worker, then totals, then each sink's counters once its
 * queue has drained) when they are selected. */
void dispatch_log_stats(struct dispatch *d, const struct capture *c, uint64_t uptime,
                        struct run_stats *rs);

#endif
