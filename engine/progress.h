/*
 * progress.h - the progress line of a batch run on a terminal.
 *
 * Once a second the reader hands over the counters so far (see
 * dispatch_periodic); the line on stderr is rewritten in place: bytes read
 * of the inputs' total size, rate, flows, alerts and the time left. It is
 * cleared before the final summary so nothing of it stays on screen.
 */
#ifndef PS_PROGRESS_H
#define PS_PROGRESS_H

#include <stdio.h>

#include "capture.h"
#include "stats.h"

struct progress_sample {
    double elapsed;        /* seconds since the start */
    uint64_t done, total;  /* input bytes read, and the total (0: unknown) */
    uint64_t flows, alerts;
};

/* One line without a newline, e.g.
 * "42.0% 120.5 of 286.9 MB, 35.2 MB/s, 1234 flows, 3 alerts, 0:05 left".
 * Returns what snprintf returns. */
int progress_format(char *buf, size_t len, const struct progress_sample *s);

struct progress;

/* NULL when out of memory. c and out must outlive the progress. */
struct progress *progress_create(const struct capture *c, FILE *out);
void progress_destroy(struct progress *p); /* clears the line; accepts NULL */

/* The dispatch_periodic callback: ctx is a struct progress. */
void progress_update(void *ctx, const struct run_stats *rs);

/* Erase the line, if one is shown. */
void progress_clear(struct progress *p);

#endif
