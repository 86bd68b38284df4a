/*
 * decode_l4.c - the transport layer, as far as flows need it: TCP (ports,
 * sequence numbers, flags, window, window-scale option), UDP, and the type
 * and code of ICMPv4 / ICMPv6.
 *
 * A transport header cut short is a reject; a complete header followed by
 * fewer payload bytes than announced is a valid, truncated packet whose
 * payload_len counts the bytes actually captured.
 */
#include "bytes.h"
#include "decode_int.h"

#define TCP_HDR_MIN 20u
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_WSCALE 3
#define TCP_OPT_WSCALE_LEN 3
#define UDP_HDR_LEN 8u
#define ICMP_HDR_LEN 8u /* type, code, checksum and the 4 bytes every type has */

static void decode_l4_payload(struct packet *p, uint32_t off, uint32_t end)
{
    p->payload_off = off;
    p->payload_len = end - off;
}

/* Options are walked for the window scale; a length that does not fit is
 * an anomaly that ends the walk, not the packet. */
static void decode_l4_tcp_options(struct decoder *d, struct packet *p, const uint8_t *opt,
                                  uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        uint8_t kind = opt[i];
        if (kind == TCP_OPT_EOL)
            return;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i) {
            decode_event(d, DECODE_TCP_INVALID_OPTLEN);
            return;
        }
        uint8_t olen = opt[i + 1];
        if (kind == TCP_OPT_WSCALE) {
            if (olen == TCP_OPT_WSCALE_LEN)
                p->tcp_wscale = opt[i + 2];
            else
                decode_event(d, DECODE_TCP_INVALID_OPTLEN);
        }
        i += olen;
    }
}

static enum decode_result decode_l4_tcp(struct decoder *d, struct packet *p, uint32_t off,
                                        uint32_t cap_end)
{
    d->st.tcp++;
    if (!bytes_fit(cap_end, off, TCP_HDR_MIN))
        return decode_invalid(d, DECODE_TCP_PKT_TOO_SMALL);
    const uint8_t *th = p->data + off;
    uint32_t hlen = (uint32_t)(th[12] >> 4) * 4;
    if (hlen < TCP_HDR_MIN)
        return decode_invalid(d, DECODE_TCP_HLEN_TOO_SMALL);
    if (!bytes_fit(cap_end, off, hlen))
        return decode_invalid(d, DECODE_TCP_PKT_TOO_SMALL);

    p->sport = bytes_be16(th);
    p->dport = bytes_be16(th + 2);
    p->tcp_seq = bytes_be32(th + 4);
    p->tcp_ack = bytes_be32(th + 8);
    p->tcp_flags = th[13];
    p->tcp_win = bytes_be16(th + 14);
    decode_l4_tcp_options(d, p, th + TCP_HDR_MIN, hlen - TCP_HDR_MIN);
    decode_l4_payload(p, off + hlen, cap_end);
    p->flags |= PKT_HAS_FLOW;
    return DECODE_FLOW;
}

/* The UDP length must fit the IP datagram; a shorter one bounds the
 * payload, the rest of the datagram being padding. */
static enum decode_result decode_l4_udp(struct decoder *d, struct packet *p, uint32_t off,
                                        uint32_t ip_end, uint32_t cap_end)
{
    d->st.udp++;
    if (!bytes_fit(cap_end, off, UDP_HDR_LEN))
        return decode_invalid(d, DECODE_UDP_PKT_TOO_SMALL);
    const uint8_t *uh = p->data + off;
    uint32_t ulen = bytes_be16(uh + 4);
    if (ulen < UDP_HDR_LEN || ulen > ip_end - off)
        return decode_invalid(d, DECODE_UDP_LEN_INVALID);

    p->sport = bytes_be16(uh);
    p->dport = bytes_be16(uh + 2);
    decode_l4_payload(p, off + UDP_HDR_LEN, PS_MIN(off + ulen, cap_end));
    p->flags |= PKT_HAS_FLOW;
    return DECODE_FLOW;
}

/* ICMP type and code stand in for the ports, as flow keys expect. */
static enum decode_result decode_l4_icmp(struct decoder *d, struct packet *p, uint32_t off,
                                         uint32_t cap_end, bool v6)
{
    if (v6)
        d->st.icmpv6++;
    else
        d->st.icmpv4++;
    if (!bytes_fit(cap_end, off, ICMP_HDR_LEN))
        return decode_invalid(d, v6 ? DECODE_ICMPV6_PKT_TOO_SMALL : DECODE_ICMPV4_PKT_TOO_SMALL);
    p->sport = p->data[off];
    p->dport = p->data[off + 1];
    decode_l4_payload(p, off + ICMP_HDR_LEN, cap_end);
    p->flags |= PKT_HAS_FLOW;
    return DECODE_FLOW;
}

enum decode_result decode_l4(struct decoder *d, struct packet *p, uint8_t proto, uint32_t off,
                             uint32_t ip_end, uint32_t cap_end)
{
    p->proto = proto;
    p->l4_off = off;
    switch (proto) {
    case IPPROTO_TCP:
        return decode_l4_tcp(d, p, off, cap_end);
    case IPPROTO_UDP:
        return decode_l4_udp(d, p, off, ip_end, cap_end);
    case IPPROTO_ICMP:
        if (p->ip_ver == 4)
            return decode_l4_icmp(d, p, off, cap_end, false);
        break;
    case IPPROTO_ICMPV6:
        if (p->ip_ver == 6)
            return decode_l4_icmp(d, p, off, cap_end, true);
        break;
    default:
        break;
    }
    /* GRE, ESP, SCTP, ICMP under the wrong IP version...: nothing to track */
    d->st.other_proto++;
    decode_l4_payload(p, off, cap_end);
    return DECODE_NOFLOW;
}
