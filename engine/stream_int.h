/*
 * stream_int.h - state shared by the files of the stream stage
 * (stream.c, stream_order.c). Nothing outside the stage includes this.
 */
#ifndef PS_STREAM_INT_H
#define PS_STREAM_INT_H

#include <stddef.h>

#include "stream.h"
#include "stream_store.h"

/* Delivered ranges remembered per direction to spot retransmissions that
 * carry different bytes. */
#define STREAM_FP_RING 32
/* Segments one direction may hold before it is treated like gap_bound
 * being passed; keeps the store's linear walks short. */
#define STREAM_MAX_SEGS 2048
/* An ack further than this past what the peer delivered is not believed. */
#define STREAM_ACK_SANE (1ULL << 30)

struct stream_fp {
    uint64_t off, hash;
    uint32_t len; /* 0: unused slot */
};

struct stream_dir {
    struct stream_store store; /* waiting data: past a hole or held by order */
    uint64_t next;             /* every offset below is delivered or skipped */
    uint64_t fin_off;          /* with fin: where the data ends */
    uint32_t base_seq;         /* sequence number of offset 0 */
    bool base_known, fin;
    unsigned fp_pos;
    struct stream_fp fp[STREAM_FP_RING];
};

struct tcp_session {
    struct stream_dir dir[2]; /* indexed by enum ps_dir */
    bool handshake;           /* a SYN or SYN/ACK was seen */
    bool midstream;           /* pickup counted */
    uint8_t memcap_raised;    /* bit per direction: MEMCAP raised once */
    size_t charged;           /* this block's bytes, held in session_memuse */
    _Alignas(max_align_t) unsigned char user[]; /* the caller's room */
};

struct stream_ctx {
    struct stream_config cfg;
    struct stream_stats stats;
    struct stream_mem mem; /* points into stats */
};

/* Where one call's output goes, and at what packet time. */
struct stream_out {
    struct stream_ctx *sc;
    const struct stream_ops *ops;
    ps_time_t ts;
};

/* Stream offset of `seq`, unwrapped to within 2^31 of the next expected
 * offset; negative before the start of the stream. */
static inline int64_t stream_dir_offset(const struct stream_dir *d, uint32_t seq)
{
    uint32_t delta = (seq - d->base_seq) - (uint32_t)d->next;
    int64_t signed_delta = delta < 0x80000000u ? (int64_t)delta : (int64_t)delta - (1LL << 32);
    return (int64_t)d->next + signed_delta;
}

static inline bool stream_dir_over_bound(const struct stream_ctx *sc, const struct stream_dir *d)
{
    return d->store.bytes > sc->cfg.gap_bound || d->store.nsegs > STREAM_MAX_SEGS;
}

/* stream.c: every byte and gap leaves through these. */
void stream_emit_data(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                      const uint8_t *data, uint32_t len);
void stream_emit_gap(struct stream_out *out, struct tcp_session *ss, unsigned dir, uint64_t len);
void stream_emit_event(struct stream_out *out, unsigned dir, enum stream_event ev);

/* stream_order.c: the cross-direction rule and everything that waits. */
bool stream_order_ready(const struct tcp_session *ss, unsigned dir, bool has_ack, uint32_t ack);
void stream_order_settle(struct stream_out *out, struct tcp_session *ss, const uint64_t ack_to[2],
                         bool closing);
void stream_order_flush(struct stream_out *out, struct tcp_session *ss);

#endif
