/*
 * eve.h - EVE JSON lines: the shared output, per-thread line buffers, and
 * the header every event starts with.
 *
 * Each thread serialises its events into its own buffer and hands whole
 * lines to every sink of the output (sink.h) under one lock, so lines never
 * interleave and every sink gets them in the same order. Events are
 * jansson objects built only when an event is written; field order follows
 * Suricata's (timestamp, flow_id, event_type, tuple, community_id, ...,
 * pcap_filename last). Timestamps are packet time in UTC ("+0000").
 */
#ifndef PS_EVE_H
#define PS_EVE_H

#include <jansson.h>

#include "common.h"
#include "flow.h"
#include "sink.h"

/* Event types that --eve-types can select. */
enum eve_type {
    EVE_FLOW = 1 << 0,
    EVE_HTTP = 1 << 1,
    EVE_ANOMALY = 1 << 2,
    EVE_STATS = 1 << 3,
    EVE_ALERT = 1 << 4,
};
#define EVE_ALL_TYPES (EVE_FLOW | EVE_HTTP | EVE_ANOMALY | EVE_STATS | EVE_ALERT)

/* Parse "flow,http" into a mask; PS_ERR with the bad name in err. */
int eve_types_parse(const char *list, unsigned *mask, char *err, size_t errlen);

struct eve_output_stats {
    uint64_t events, bytes; /* handed to the sinks */
    uint64_t lost;          /* events some sink lost (dropped), summed over sinks */
    uint64_t too_large;     /* events lost: could not be serialised */
};

typedef const char *(*eve_file_name_fn)(const void *src, unsigned file_idx);

struct eve_output;
struct eve_thread;

#define EVE_SINKS_MAX 16

/* An output without sinks yet; NULL when out of memory. */
struct eve_output *eve_output_create(unsigned types, unsigned cid_seed);
/* Add a sink (sink.h): every event goes to every sink. PS_ERR with a
 * message when a file cannot be created (or memory, threads, the sink
 * limit are lacking), PS_DECLINED when the output already has that sink;
 * a network sink that is down is no error. */
int eve_output_add_sink(struct eve_output *o, const struct sink_spec *spec,
                        const struct sink_limits *lim, char *err, size_t errlen);
/* One file sink at path (truncated), or standard output for "-". NULL with
 * a message when the file cannot be created. */
struct eve_output *eve_output_open(const char *path, unsigned types, unsigned cid_seed,
                                   char *err, size_t errlen);
/* Reopen file sinks before their next write (SIGHUP). Async-signal-safe. */
void eve_output_reopen(struct eve_output *o);
/* Wait (bounded, see sink_drain) until every sink's queue is empty; the
 * caller flushes its eve_thread first. */
void eve_output_drain(struct eve_output *o);
unsigned eve_output_sink_count(const struct eve_output *o);
/* Name and counters of sink i. */
const char *eve_output_sink_stats(struct eve_output *o, unsigned i, struct sink_stats *st);
/* Names files for pcap_filename; without it the field is left out. */
void eve_output_set_file_names(struct eve_output *o, eve_file_name_fn fn, const void *src);
/* Live capture: the name is an interface and goes in in_iface instead, as
 * Suricata writes it. */
void eve_output_set_in_iface(struct eve_output *o, bool is_iface);
bool eve_output_wants(const struct eve_output *o, enum eve_type t);

/* Which HTTP headers the http object carries (--http-headers). */
#define EVE_HEADERS_REQUEST 1u
#define EVE_HEADERS_RESPONSE 2u
int eve_http_headers_parse(const char *value, unsigned *mask, char *err, size_t errlen);
void eve_output_set_http_headers(struct eve_output *o, unsigned mask);
unsigned eve_output_http_headers(const struct eve_output *o);
/* Drain and stop every sink (bounded wait), after which the counters are
 * final; PS_ERR when a file could not be closed. Idempotent; no event may
 * be written after it. */
int eve_output_stop(struct eve_output *o);
/* Stop if needed and free; PS_ERR when any event was lost. */
int eve_output_close(struct eve_output *o);
struct eve_output_stats eve_output_stats(struct eve_output *o);

struct eve_thread *eve_thread_create(struct eve_output *o);
void eve_thread_destroy(struct eve_thread *t); /* flushes; accepts NULL */
void eve_thread_flush(struct eve_thread *t);
struct eve_output *eve_thread_output(struct eve_thread *t);

/* Serialise ev as one line and release it (the reference is taken). */
void eve_thread_emit(struct eve_thread *t, json_t *ev);

/* "2024-05-14T09:21:07.482913+0000" */
#define EVE_TIME_LEN 40
void eve_time_format(ps_time_t ts, char out[EVE_TIME_LEN]);
void eve_addr_format(uint8_t ip_ver, const struct ps_addr *a, char out[64]);
const char *eve_proto_name(uint8_t proto, char buf[8]);

/* A new event of `type` at time ts for flow f: timestamp, flow_id,
 * event_type, the tuple (client as src unless to_client), community_id. */
json_t *eve_event_for_flow(struct eve_thread *t, const char *type, ps_time_t ts,
                           const struct flow *f, bool to_client);
/* Bytes from the wire as a JSON string: jansson refuses invalid UTF-8, so
 * bytes >= 0x80 become U+0080..U+00FF (Latin-1), nothing lost or refused. */
json_t *eve_json_bytes(struct ps_slice s);

/* A new event without a flow (stats). */
json_t *eve_event_plain(const char *type, ps_time_t ts);
/* Last field of a flow event: the capture file its last packet came from,
 * or the interface in live capture. */
void eve_event_finish(struct eve_thread *t, json_t *ev, const struct flow *f);

#endif
