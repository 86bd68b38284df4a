/*
 * stream.h - TCP reassembly: per flow, two directions of ordered bytes.
 *
 * A worker owns one stream_ctx (config, counters, memcap accounting) and a
 * tcp_session per TCP flow. stream_handle_packet() takes every TCP packet of
 * the flow and hands the application layer, through stream_ops, each
 * direction's bytes exactly once, in sequence order:
 *
 *   - in-order data is delivered straight from the packet (zero copy);
 *   - out-of-order data waits in a bounded store (copied), keyed by 64-bit
 *     stream offset, so sequence wrap-around is invisible to callers;
 *   - retransmissions and overlaps keep the first data seen; overlapping
 *     bytes that differ raise STREAM_EV_OVERLAP_DIFF (an evasion attempt);
 *   - a hole is skipped, and reported through ops->gap, once more than
 *     `gap_bound` bytes of later data wait behind it, when the other side
 *     has acknowledged data beyond it, and at close;
 *   - a direction's data is delivered only after the other direction's data
 *     that it acknowledges, so a response never reaches the parser before
 *     its request, whatever order the capture holds them in.
 */
#ifndef PS_STREAM_H
#define PS_STREAM_H

#include "common.h"
#include "packet.h"

#define STREAM_EVENTS(X)                                          \
    X(OVERLAP_DIFF, "reassembly_overlap_different_data")          \
    X(SEQ_GAP, "reassembly_seq_gap")                              \
    X(MEMCAP, "reassembly_memcap")                                \
    X(MIDSTREAM, "midstream_pickup")                              \
    X(WAIT_LIMIT, "reassembly_ordering_limit")

enum stream_event {
#define STREAM_EV_ENUM(id, name) STREAM_EV_##id,
    STREAM_EVENTS(STREAM_EV_ENUM)
#undef STREAM_EV_ENUM
    STREAM_EV_MAX
};

/* Where reassembled data goes. `data` is borrowed for the call only. */
struct stream_ops {
    void (*data)(void *ctx, enum ps_dir dir, const uint8_t *data, size_t len, ps_time_t ts);
    void (*gap)(void *ctx, enum ps_dir dir, uint64_t len, ps_time_t ts);
    void (*event)(void *ctx, enum ps_dir dir, enum stream_event ev, ps_time_t ts);
    void *ctx;
};

struct stream_config {
    size_t memcap;      /* bytes of sessions and stored data per worker */
    uint32_t gap_bound; /* bytes waiting behind a hole before it is skipped */
};

/* Counters, named after the schema's `stats.tcp.*` where it has them. */
struct stream_stats {
    uint64_t sessions, midstream_pickups, syn, synack, rst;
    uint64_t overlap, overlap_diff_data, reassembly_gap, segment_memcap_drop;
    uint64_t ooo_segments, retransmissions, ordering_waits;
    uint64_t reassembly_memuse, reassembly_memuse_max; /* stored segments */
    uint64_t session_memuse;                           /* sessions: tcp.memuse */
};

struct stream_ctx;
struct tcp_session;

struct stream_ctx *stream_ctx_create(const struct stream_config *cfg);
void stream_ctx_destroy(struct stream_ctx *sc);
const struct stream_stats *stream_ctx_stats(const struct stream_ctx *sc);

/*
 * Memory: sessions and stored segments share the memcap. A session is one
 * block, with `user_size` zeroed bytes for the caller's per-flow state
 * (stream_session_user()) charged with it, so everything a TCP flow holds
 * beyond its flow entry is under this cap. NULL when the memcap (or
 * malloc) refuses; the caller counts it (tcp.ssn_memcap_drop).
 */
struct tcp_session *stream_session_create_user(struct stream_ctx *sc, size_t user_size);
void *stream_session_user(struct tcp_session *ss);
/* What such a session costs against the memcap. */
size_t stream_session_cost(size_t user_size);
/* A session without room for the caller. */
struct tcp_session *stream_session_create(struct stream_ctx *sc);
/* Frees without delivering; call stream_session_close() first to flush. */
void stream_session_destroy(struct stream_ctx *sc, struct tcp_session *ss);

/* One TCP packet of the session, oriented by dir. p->payload_* and tcp_*
 * fields are read; the payload is borrowed for the call. */
void stream_handle_packet(struct stream_ctx *sc, struct tcp_session *ss, enum ps_dir dir,
                          const struct packet *p, const struct stream_ops *ops);

/* The flow ends (timeout, eviction or end of input): deliver everything
 * still held, oldest first and respecting the ordering rule, reporting
 * holes as gaps. */
void stream_session_close(struct stream_ctx *sc, struct tcp_session *ss, ps_time_t now,
                          const struct stream_ops *ops);

const char *stream_event_name(enum stream_event ev);

#endif
