/*
 * packet.h - one captured frame and the decoded view of it.
 *
 * The frame bytes live in a mapped capture file, in libpcap's buffer until
 * the next read or, for a datagram rebuilt from fragments, in the
 * defragmenter's buffer; the dispatcher copies the last two into a batch
 * arena when another thread must read them. Decoders fill the view fields in place and
 * never allocate. All offsets are relative to `data`.
 */
#ifndef PS_PACKET_H
#define PS_PACKET_H

#include "common.h"

/* An IP address; IPv4 uses the first 4 bytes, the rest stay zero. */
struct ps_addr {
    uint8_t b[16];
};

/* packet.flags */
#define PKT_REASSEMBLED 0x01 /* rebuilt from IP fragments by defrag */
#define PKT_TRUNCATED 0x02   /* caplen < what the headers announce */
#define PKT_HAS_FLOW 0x04    /* IP + TCP/UDP/ICMP decoded: flow-able */

/* TCP flag bits as on the wire */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define PKT_MAX_VLAN 3

struct packet {
    /* --- set by capture --- */
    const uint8_t *data; /* first byte of the frame (link layer) */
    uint32_t caplen;     /* bytes present at data */
    uint32_t wirelen;    /* original length on the wire */
    ps_time_t ts;
    uint64_t pcap_cnt;  /* 1-based frame number within its capture file */
    uint32_t file_idx;  /* index of the capture file in the run */
    int linktype;       /* DLT_* of the capture */
    uint64_t cap_pos;   /* frame in a mapped file: its position, which keeps it
                         * valid until released; else CAPTURE_POS_NONE (capture.h) */

    /* What this packet stands for on the wire: 1 frame of wirelen bytes, or,
     * for a reassembled datagram, every fragment frame it was built from. */
    uint32_t wire_frames;
    uint64_t wire_bytes;

    /* --- set by decode --- */
    uint8_t flags;      /* PKT_* */
    uint8_t ip_ver;     /* 4 or 6; 0 when no IP layer */
    uint8_t proto;      /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
    uint8_t nvlan;
    uint16_t vlan[PKT_MAX_VLAN];
    struct ps_addr src, dst;
    uint16_t sport, dport; /* for ICMP: type and code */

    uint32_t l3_off;      /* IP header */
    uint32_t l4_off;      /* TCP/UDP/ICMP header */
    uint32_t payload_off; /* L4 payload */
    uint32_t payload_len; /* captured payload bytes (may be < announced) */

    /* TCP only */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint8_t tcp_flags;
    uint8_t tcp_wscale; /* window scale option, 0xff when absent */

    uint32_t hash; /* symmetric flow hash, set by dispatch */
};

/* Start loading a frame into this core's cache (a full Ethernet frame at
 * most): a worker does it for its next packet while handling this one. */
static inline void packet_prefetch(const struct packet *p)
{
    uint32_t n = p->caplen < 1536 ? p->caplen : 1536;
    for (uint32_t off = 0; off < n; off += 64)
        __builtin_prefetch(p->data + off, 0, 3);
}

static inline const uint8_t *packet_payload(const struct packet *p)
{
    return p->data + p->payload_off;
}

#endif
