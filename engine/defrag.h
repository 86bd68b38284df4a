/*
 * defrag.h - IPv4 and IPv6 fragment reassembly.
 *
 * The IP decoder recognises a fragment and describes it with a struct
 * defrag_frag; the defragmenter keeps a copy of its data until the datagram
 * is complete, then rebuilds the datagram into a buffer it owns. Memory is
 * bounded by a memcap on held bytes, the number of fragments per datagram
 * is bounded, and partial datagrams time out on packet time.
 *
 * Counters go straight into the decoder's struct decode_stats (the frag*
 * fields); per-packet anomalies are reported back to the caller, which owns
 * the decoder event reasons.
 */
#ifndef PS_DEFRAG_H
#define PS_DEFRAG_H

#include "common.h"
#include "decode.h"
#include "packet.h"

/* Largest datagram a rebuild can produce: an IPv6 header plus a full
 * 16-bit payload. IPv4 stops at 65535 bytes in total. */
#define DEFRAG_MAX_DATAGRAM (40u + 65535u)

/* One fragment, as the IP decoder found it. Pointers borrow the frame. */
struct defrag_frag {
    uint8_t ip_ver;       /* 4 or 6 */
    uint8_t proto;        /* v4: protocol; v6: next header after the fragment header */
    bool more;            /* MF / M flag */
    uint32_t id;          /* v4: 16-bit identification; v6: 32-bit */
    struct ps_addr src, dst;
    const uint8_t *hdr;   /* v4: IP header; v6: fixed header + extension headers
                             before the fragment header (the unfragmentable part) */
    uint32_t hdr_len;
    uint32_t hdr_nh_off;  /* v6: offset in hdr of the next-header byte naming 44 */
    const uint8_t *data;  /* fragment payload */
    uint32_t data_len;
    uint32_t offset;      /* byte offset of data in the original payload */
    ps_time_t ts;
    uint32_t wire_frames; /* what the frame stands for on the wire */
    uint64_t wire_bytes;
};

enum defrag_verdict {
    DEFRAG_HELD,      /* kept; the datagram is not complete yet */
    DEFRAG_DONE,      /* datagram rebuilt, see struct defrag_out */
    DEFRAG_REFUSED,   /* memcap reached: this fragment was dropped */
    DEFRAG_LIMIT,     /* too many fragments: the whole datagram was dropped */
    DEFRAG_TOO_LARGE, /* the datagram would exceed the IP maximum: dropped */
};

struct defrag_out {
    bool overlap;         /* this fragment overlapped held data with other bytes */
    const uint8_t *data;  /* DEFRAG_DONE: rebuilt datagram, valid until the next add */
    uint32_t len;
    uint32_t wire_frames; /* every frame the datagram was built from */
    uint64_t wire_bytes;
};

struct defrag;

/* st receives the frag* counters and must outlive the defragmenter. */
struct defrag *defrag_create(const struct decode_config *cfg, struct decode_stats *st);
void defrag_destroy(struct defrag *df); /* accepts NULL */

enum defrag_verdict defrag_add(struct defrag *df, const struct defrag_frag *f,
                               struct defrag_out *out);

/* Drop partial datagrams started more than the timeout before now. Work is
 * bounded by the number of trackers that actually expire. */
void defrag_expire(struct defrag *df, ps_time_t now);

#endif
