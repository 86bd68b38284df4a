/*
 * decode_int.h - what the decode stage's files share: the decoder struct,
 * the way a layer reports a reject or an anomaly, and the entry point of
 * each layer. Not for use outside decode*.c.
 *
 * Counting rule: a reject (decode_invalid) counts its reason at once and
 * the packet stops there. Anomalies that do not stop decoding
 * (decode_event: truncation, bad options, overlaps) are collected per
 * packet and counted only if the packet ends up valid, so an invalid
 * packet is counted under exactly one reason.
 */
#ifndef PS_DECODE_INT_H
#define PS_DECODE_INT_H

#include <netinet/in.h> /* IPPROTO_* */

#include "decode.h"
#include "defrag.h"

_Static_assert(DECODE_REASON_MAX <= 64, "pending events are a 64-bit mask");

/* Link types by value: 12 and 14 mean raw IP on different systems, so the
 * numbers are spelled here instead of taken from pcap's per-OS names. */
enum {
    LT_NULL = 0,
    LT_EN10MB = 1,
    LT_RAW_12 = 12,
    LT_RAW_14 = 14,
    LT_RAW = 101,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_LINUX_SLL2 = 276,
};

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88a8
#define ETH_TYPE_QINQ_OLD 0x9100

struct decoder {
    struct decode_stats st;
    uint64_t pending; /* anomalies of the current packet, one bit per reason */
    struct defrag *defrag;
    bool rebuilt;          /* the current fragment completed a datagram */
    struct defrag_out out; /* that datagram, while rebuilt is set */
};

static inline enum decode_result decode_invalid(struct decoder *d, enum decode_reason r)
{
    d->st.reason[r]++;
    return DECODE_INVALID;
}

static inline void decode_event(struct decoder *d, enum decode_reason r)
{
    d->pending |= UINT64_C(1) << r;
}

/* decode_l2.c: one entry per link type; each leaves p->l3_off set. */
enum decode_result decode_l2_ethernet(struct decoder *d, struct packet *p);
enum decode_result decode_l2_sll(struct decoder *d, struct packet *p);
enum decode_result decode_l2_sll2(struct decoder *d, struct packet *p);
enum decode_result decode_l2_null(struct decoder *d, struct packet *p, bool network_order);
enum decode_result decode_l2_raw(struct decoder *d, struct packet *p);

/* decode_ip.c: the IP header at off, then what it carries. */
enum decode_result decode_ip_v4(struct decoder *d, struct packet *p, uint32_t off);
enum decode_result decode_ip_v6(struct decoder *d, struct packet *p, uint32_t off);

/*
 * decode_l4.c: the transport header at off. ip_end is where the IP layer
 * says the datagram ends, cap_end where the captured bytes end (never past
 * ip_end): lengths are checked against the first, bytes read within the
 * second.
 */
enum decode_result decode_l4(struct decoder *d, struct packet *p, uint8_t proto, uint32_t off,
                             uint32_t ip_end, uint32_t cap_end);

#endif
