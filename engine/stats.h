/*
 * stats.h - the counters of a run, gathered for the `stats` event.
 *
 * Each stage keeps its own counters in its own context (no shared atomics
 * on the hot path); the run sums them per thread once the threads are done
 * or paused. Every counter struct summed here is made of uint64_t only.
 */
#ifndef PS_STATS_H
#define PS_STATS_H

#include "app.h"
#include "capture.h"
#include "decode.h"
#include "eve.h"
#include "flow.h"

struct worker_stats {
    uint64_t pkts, bytes; /* packets (wire frames) and wire bytes handled */
    struct flow_stats flow;
    struct stream_stats stream;
    struct app_stats app;
    struct inspect_stats inspect;
};

struct run_stats {
    uint64_t uptime; /* seconds of wall time */
    struct capture_stats capture;
    struct decode_stats decode;
    struct worker_stats workers; /* sum over workers */
    struct rule_counts {
        uint64_t loaded, failed, skipped; /* compiled, rejected, unsupported */
    } rules;
};

/* dst += src, field by field, for structs made of uint64_t counters. */
void stats_add_u64(void *dst, const void *src, size_t size);

/* The final (or periodic) totals event; ts is packet time. */
void eve_stats_log(struct eve_thread *t, ps_time_t ts, const struct run_stats *rs);
/*
 * Counters the stats schema has no names for (it is strict everywhere) go
 * in an `engine` event written after the totals: engine.module names the
 * subsystem ("ics", "output", ...), engine.message lists name=value pairs
 * (logfmt), which SIEMs split into fields.
 */
struct stats_counter {
    const char *name;
    uint64_t value;
};
void eve_stats_log_counters(struct eve_thread *t, ps_time_t ts, const char *module,
                            const struct stats_counter *c, size_t n);
/* The same, for one named instance: "LABEL=VALUE name=N ...", VALUE quoted
 * (logfmt) when it holds a space, a quote or '='. */
void eve_stats_log_counters_of(struct eve_thread *t, ps_time_t ts, const char *module,
                               const char *label, const char *value,
                               const struct stats_counter *c, size_t n);
/* One `output` engine event per sink of t's output: sink=NAME written=N
 * dropped=N reconnects=N write_errors=N (the counters at this moment). */
void eve_stats_log_sinks(struct eve_thread *t, ps_time_t ts);

/* One worker's figures, marked with engine.thread_name. */
void eve_stats_log_thread(struct eve_thread *t, ps_time_t ts, const char *thread_name,
                          const struct worker_stats *ws);

#endif
