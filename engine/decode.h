/*
 * decode.h - link, IP and transport decoding into the packet view.
 *
 * A decoder owns its counters and an IP defragmenter. It runs on the reader
 * thread (or the only thread with --threads 1), before dispatch, so every
 * fragment of a datagram meets the same defragmenter and the rebuilt
 * datagram is hashed with its ports like any other packet.
 *
 * Malformed input is data: each reject has a named reason, counted under
 * the EVE schema's `stats.decoder.event.<layer>.<name>`.
 */
#ifndef PS_DECODE_H
#define PS_DECODE_H

#include "common.h"
#include "packet.h"

/* X(enum suffix, schema layer, schema name) */
#define DECODE_REASONS(X)                                    \
    X(ETH_PKT_TOO_SMALL, "ethernet", "pkt_too_small")        \
    X(ETH_UNKNOWN_ETHERTYPE, "ethernet", "unknown_ethertype") \
    X(VLAN_HEADER_TOO_SMALL, "vlan", "header_too_small")     \
    X(VLAN_TOO_MANY_LAYERS, "vlan", "too_many_layers")       \
    X(SLL_PKT_TOO_SMALL, "sll", "pkt_too_small")             \
    X(SLL2_PKT_TOO_SMALL, "sll2", "pkt_too_small")           \
    X(NULL_PKT_TOO_SMALL, "ltnull", "pkt_too_small")         \
    X(NULL_UNSUPPORTED_TYPE, "ltnull", "unsupported_type")   \
    X(RAW_INVALID_IP_VERSION, "ipraw", "invalid_ip_version") \
    X(IPV4_PKT_TOO_SMALL, "ipv4", "pkt_too_small")           \
    X(IPV4_HLEN_TOO_SMALL, "ipv4", "hlen_too_small")         \
    X(IPV4_IPLEN_SMALLER_THAN_HLEN, "ipv4", "iplen_smaller_than_hlen") \
    X(IPV4_TRUNC_PKT, "ipv4", "trunc_pkt")                   \
    X(IPV4_WRONG_IP_VERSION, "ipv4", "wrong_ip_version")     \
    X(IPV4_OPT_INVALID_LEN, "ipv4", "opt_invalid_len")       \
    X(IPV4_OPT_MALFORMED, "ipv4", "opt_malformed")           \
    X(IPV4_FRAG_PKT_TOO_LARGE, "ipv4", "frag_pkt_too_large") \
    X(IPV4_FRAG_OVERLAP, "ipv4", "frag_overlap")             \
    X(IPV4_FRAG_IGNORED, "ipv4", "frag_ignored")             \
    X(IPV6_PKT_TOO_SMALL, "ipv6", "pkt_too_small")           \
    X(IPV6_TRUNC_PKT, "ipv6", "trunc_pkt")                   \
    X(IPV6_WRONG_IP_VERSION, "ipv6", "wrong_ip_version")     \
    X(IPV6_TRUNC_EXTHDR, "ipv6", "trunc_exthdr")             \
    X(IPV6_EXTHDR_INVALID_OPTLEN, "ipv6", "exthdr_invalid_optlen") \
    X(IPV6_FRAG_PKT_TOO_LARGE, "ipv6", "frag_pkt_too_large") \
    X(IPV6_FRAG_OVERLAP, "ipv6", "frag_overlap")             \
    X(IPV6_FRAG_INVALID_LENGTH, "ipv6", "frag_invalid_length") \
    X(IPV6_FRAG_IGNORED, "ipv6", "frag_ignored")             \
    X(TCP_PKT_TOO_SMALL, "tcp", "pkt_too_small")             \
    X(TCP_HLEN_TOO_SMALL, "tcp", "hlen_too_small")           \
    X(TCP_INVALID_OPTLEN, "tcp", "invalid_optlen")           \
    X(UDP_PKT_TOO_SMALL, "udp", "pkt_too_small")             \
    X(UDP_LEN_INVALID, "udp", "len_invalid")                 \
    X(ICMPV4_PKT_TOO_SMALL, "icmpv4", "pkt_too_small")       \
    X(ICMPV6_PKT_TOO_SMALL, "icmpv6", "pkt_too_small")

enum decode_reason {
#define DECODE_REASON_ENUM(id, layer, name) DECODE_##id,
    DECODE_REASONS(DECODE_REASON_ENUM)
#undef DECODE_REASON_ENUM
    DECODE_REASON_MAX
};

/* Counters, named after `stats.decoder.*` and `stats.defrag.*` of the schema. */
struct decode_stats {
    uint64_t pkts, bytes, invalid;
    uint64_t ethernet, vlan, vlan_qinq, sll, sll2, raw, null;
    uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, arp, other_proto;
    uint64_t max_pkt_size;
    uint64_t reason[DECODE_REASON_MAX];
    /* defrag */
    uint64_t frag4_fragments, frag4_reassembled, frag4_timeouts;
    uint64_t frag6_fragments, frag6_reassembled, frag6_timeouts;
    uint64_t frag_max_frags_reached;    /* fragments refused: per-datagram limit */
    uint64_t frag_max_trackers_reached; /* fragments refused: memcap */
    uint64_t frag_memuse, frag_memcap;
};

struct decode_config {
    size_t defrag_memcap;      /* bytes held by partial datagrams */
    ps_time_t defrag_timeout;  /* a datagram not completed within this is dropped */
    unsigned defrag_max_frags; /* fragments per datagram */
};

/* Outcome of decode_packet() */
enum decode_result {
    DECODE_FLOW,    /* IP + TCP/UDP/ICMP decoded; PKT_HAS_FLOW is set */
    DECODE_NOFLOW,  /* valid, but nothing to track (ARP, other protocols) */
    DECODE_INVALID, /* malformed; a reason was counted */
    DECODE_HELD,    /* an IP fragment kept by defrag; nothing to pass on */
};

struct decoder;

struct decoder *decoder_create(const struct decode_config *cfg);
void decoder_destroy(struct decoder *d); /* accepts NULL */

/* True for the link types decode_packet() understands (DLT_* values). */
bool decode_linktype_supported(int linktype);
const char *decode_linktype_name(int linktype);

/*
 * Decode p->data[0..caplen) according to p->linktype and fill the view.
 * When a fragment completes a datagram the result is DECODE_FLOW (or
 * NOFLOW/INVALID for what it carries) with PKT_REASSEMBLED set, p->data
 * pointing into the decoder's own buffer (valid until the next call; the
 * caller copies it), p->linktype set to the raw-IP link type, and
 * wire_frames/wire_bytes summing every fragment frame.
 */
enum decode_result decode_packet(struct decoder *d, struct packet *p);

/* Drop partial datagrams older than the timeout, on packet time. */
void decoder_expire(struct decoder *d, ps_time_t now);

const struct decode_stats *decoder_stats(const struct decoder *d);

/* The schema layer and name of a reason, for the stats event. */
const char *decode_reason_layer(enum decode_reason r);
const char *decode_reason_name(enum decode_reason r);

#endif
