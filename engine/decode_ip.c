/*
 * decode_ip.c - the network layer: IPv4 with its options, IPv6 with its
 * extension header chain, and the hand-off of fragments to defrag.
 *
 * Two lengths travel from here to the transport layer: where the IP header
 * says the datagram ends, and where the captured bytes end (the smaller of
 * that and the frame). Bytes past the announced end, such as Ethernet
 * padding, are never payload. A frame captured short of its announced
 * length is marked truncated but still decoded as far as its headers go.
 *
 * Option and extension-header oddities are anomalies, not rejects: they are
 * counted and the packet is still decoded, as Suricata does.
 */
#include <string.h>

#include "bytes.h"
#include "decode_int.h"

#define IPV4_HDR_MIN 20u
#define IPV4_MF 0x2000u
#define IPV4_FRAG_MASK 0x3fffu /* MF and the offset */
#define IPV4_OFF_MASK 0x1fffu
#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1

#define IPV6_HDR_LEN 40u
#define IPV6_FRAG_HDR_LEN 8u
#define IPV6_OPT_PAD1 0

/* Options after the fixed header: walk them only to check their lengths. */
static void decode_ip_v4_options(struct decoder *d, const uint8_t *opt, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        if (opt[i] == IPV4_OPT_EOL)
            return;
        if (opt[i] == IPV4_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2 || opt[i + 1] < 2) {
            decode_event(d, DECODE_IPV4_OPT_INVALID_LEN);
            return;
        }
        if (opt[i + 1] > len - i) {
            decode_event(d, DECODE_IPV4_OPT_MALFORMED);
            return;
        }
        i += opt[i + 1];
    }
}

/* Give a fragment to defrag and turn its verdict into a decode result. */
static enum decode_result decode_ip_defrag(struct decoder *d, struct packet *p,
                                           struct defrag_frag *f)
{
    bool v4 = f->ip_ver == 4;
    f->src = p->src;
    f->dst = p->dst;
    f->ts = p->ts;
    f->wire_frames = p->wire_frames;
    f->wire_bytes = p->wire_bytes;

    enum defrag_verdict v = defrag_add(d->defrag, f, &d->out);
    if (d->out.overlap)
        decode_event(d, v4 ? DECODE_IPV4_FRAG_OVERLAP : DECODE_IPV6_FRAG_OVERLAP);
    switch (v) {
    case DEFRAG_DONE:
        d->rebuilt = true; /* decode_packet() decodes the datagram next */
        return DECODE_HELD;
    case DEFRAG_HELD:
        return DECODE_HELD;
    case DEFRAG_TOO_LARGE:
        return decode_invalid(d, v4 ? DECODE_IPV4_FRAG_PKT_TOO_LARGE
                                    : DECODE_IPV6_FRAG_PKT_TOO_LARGE);
    case DEFRAG_REFUSED:
        decode_event(d, v4 ? DECODE_IPV4_FRAG_IGNORED : DECODE_IPV6_FRAG_IGNORED);
        return DECODE_NOFLOW;
    case DEFRAG_LIMIT:
    default:
        return DECODE_NOFLOW;
    }
}

/*
 * A fragment missing captured bytes cannot be rebuilt, and one found inside
 * a rebuilt datagram would nest reassembly: both are ignored.
 */
static bool decode_ip_frag_unusable(struct decoder *d, const struct packet *p, bool v4)
{
    if ((p->flags & (PKT_TRUNCATED | PKT_REASSEMBLED)) == 0)
        return false;
    decode_event(d, v4 ? DECODE_IPV4_FRAG_IGNORED : DECODE_IPV6_FRAG_IGNORED);
    return true;
}

static enum decode_result decode_ip_v4_fragment(struct decoder *d, struct packet *p,
                                                const uint8_t *ip, uint32_t hlen,
                                                uint32_t iplen)
{
    d->st.frag4_fragments++;
    if (decode_ip_frag_unusable(d, p, true))
        return DECODE_NOFLOW;
    uint16_t frag = bytes_be16(ip + 6);
    struct defrag_frag f = {
        .ip_ver = 4,
        .proto = ip[9],
        .more = (frag & IPV4_MF) != 0,
        .id = bytes_be16(ip + 4),
        .hdr = ip,
        .hdr_len = hlen,
        .data = ip + hlen,
        .data_len = iplen - hlen,
        .offset = (uint32_t)(frag & IPV4_OFF_MASK) * 8,
    };
    return decode_ip_defrag(d, p, &f);
}

enum decode_result decode_ip_v4(struct decoder *d, struct packet *p, uint32_t off)
{
    d->st.ipv4++;
    if (!bytes_fit(p->caplen, off, IPV4_HDR_MIN))
        return decode_invalid(d, DECODE_IPV4_PKT_TOO_SMALL);
    const uint8_t *ip = p->data + off;
    uint32_t rem = p->caplen - off;
    if ((ip[0] >> 4) != 4)
        return decode_invalid(d, DECODE_IPV4_WRONG_IP_VERSION);
    uint32_t hlen = (ip[0] & 0x0fu) * 4;
    if (hlen < IPV4_HDR_MIN)
        return decode_invalid(d, DECODE_IPV4_HLEN_TOO_SMALL);
    if (hlen > rem)
        return decode_invalid(d, DECODE_IPV4_PKT_TOO_SMALL);
    uint32_t iplen = bytes_be16(ip + 2);
    if (iplen < hlen)
        return decode_invalid(d, DECODE_IPV4_IPLEN_SMALLER_THAN_HLEN);
    uint32_t caplen = iplen;
    if (iplen > rem) {
        p->flags |= PKT_TRUNCATED;
        decode_event(d, DECODE_IPV4_TRUNC_PKT);
        caplen = rem;
    }
    decode_ip_v4_options(d, ip + IPV4_HDR_MIN, hlen - IPV4_HDR_MIN);

    p->ip_ver = 4;
    p->l3_off = off;
    p->proto = ip[9];
    memcpy(p->src.b, ip + 12, 4);
    memcpy(p->dst.b, ip + 16, 4);
    if ((bytes_be16(ip + 6) & IPV4_FRAG_MASK) != 0)
        return decode_ip_v4_fragment(d, p, ip, hlen, iplen);
    return decode_l4(d, p, ip[9], off + hlen, off + iplen, off + caplen);
}

/* TLV options of hop-by-hop and destination options headers. */
static void decode_ip_v6_options(struct decoder *d, const uint8_t *opt, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        if (opt[i] == IPV6_OPT_PAD1) {
            i++;
            continue;
        }
        if (len - i < 2 || opt[i + 1] > len - i - 2) {
            decode_event(d, DECODE_IPV6_EXTHDR_INVALID_OPTLEN);
            return;
        }
        i += 2u + opt[i + 1];
    }
}

/* Length of the extension header at pos, if it lies within end. */
static bool decode_ip_v6_exthdr_len(const struct packet *p, uint32_t pos, uint32_t end,
                                    uint8_t nh, uint32_t *len)
{
    if (!bytes_fit(end, pos, 2))
        return false;
    uint32_t units = p->data[pos + 1];
    *len = nh == IPPROTO_AH ? (units + 2) * 4 : (units + 1) * 8;
    return bytes_fit(end, pos, *len);
}

/* The fragment header at pos; nh_off is the byte that named it. */
static enum decode_result decode_ip_v6_fragment(struct decoder *d, struct packet *p, uint32_t off,
                                                uint32_t nh_off, uint32_t pos, uint32_t ip_end)
{
    d->st.frag6_fragments++;
    const uint8_t *fh = p->data + pos;
    uint16_t fo = bytes_be16(fh + 2);
    uint32_t data_off = pos + IPV6_FRAG_HDR_LEN;
    uint32_t data_len = ip_end - data_off;
    bool more = (fo & 1) != 0;
    if (more && data_len % 8 != 0)
        return decode_invalid(d, DECODE_IPV6_FRAG_INVALID_LENGTH);
    if (decode_ip_frag_unusable(d, p, false))
        return DECODE_NOFLOW;
    p->proto = fh[0];
    struct defrag_frag f = {
        .ip_ver = 6,
        .proto = fh[0],
        .more = more,
        .id = bytes_be32(fh + 4),
        .hdr = p->data + off,
        .hdr_len = pos - off,
        .hdr_nh_off = nh_off - off,
        .data = p->data + data_off,
        .data_len = data_len,
        .offset = fo & 0xfff8u,
    };
    return decode_ip_defrag(d, p, &f);
}

/*
 * Follow the next-header chain from the fixed header to the transport
 * layer. Every extension header is at least 8 bytes and must lie within the
 * captured datagram, so the walk ends.
 */
static enum decode_result decode_ip_v6_chain(struct decoder *d, struct packet *p, uint32_t off,
                                             uint32_t ip_end, uint32_t cap_end)
{
    uint32_t pos = off + IPV6_HDR_LEN;
    uint32_t nh_off = off + 6;
    uint8_t nh = p->data[nh_off];
    uint32_t len;
    for (;;) {
        switch (nh) {
        case IPPROTO_HOPOPTS:
        case IPPROTO_DSTOPTS:
        case IPPROTO_ROUTING:
        case IPPROTO_AH:
            if (!decode_ip_v6_exthdr_len(p, pos, cap_end, nh, &len))
                return decode_invalid(d, DECODE_IPV6_TRUNC_EXTHDR);
            if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS)
                decode_ip_v6_options(d, p->data + pos + 2, len - 2);
            break;
        case IPPROTO_FRAGMENT:
            if (!bytes_fit(cap_end, pos, IPV6_FRAG_HDR_LEN))
                return decode_invalid(d, DECODE_IPV6_TRUNC_EXTHDR);
            if ((bytes_be16(p->data + pos + 2) & 0xfff9u) != 0)
                return decode_ip_v6_fragment(d, p, off, nh_off, pos, ip_end);
            len = IPV6_FRAG_HDR_LEN; /* atomic fragment: the datagram is whole */
            break;
        case IPPROTO_NONE:
            p->proto = nh;
            return DECODE_NOFLOW;
        default:
            p->proto = nh;
            return decode_l4(d, p, nh, pos, ip_end, cap_end);
        }
        nh_off = pos;
        nh = p->data[pos];
        pos += len;
    }
}

enum decode_result decode_ip_v6(struct decoder *d, struct packet *p, uint32_t off)
{
    d->st.ipv6++;
    if (!bytes_fit(p->caplen, off, IPV6_HDR_LEN))
        return decode_invalid(d, DECODE_IPV6_PKT_TOO_SMALL);
    const uint8_t *ip = p->data + off;
    uint32_t rem = p->caplen - off;
    if ((ip[0] >> 4) != 6)
        return decode_invalid(d, DECODE_IPV6_WRONG_IP_VERSION);
    uint32_t iplen = IPV6_HDR_LEN + bytes_be16(ip + 4);
    uint32_t caplen = iplen;
    if (iplen > rem) {
        p->flags |= PKT_TRUNCATED;
        decode_event(d, DECODE_IPV6_TRUNC_PKT);
        caplen = rem;
    }
    p->ip_ver = 6;
    p->l3_off = off;
    memcpy(p->src.b, ip + 8, 16);
    memcpy(p->dst.b, ip + 24, 16);
    return decode_ip_v6_chain(d, p, off, off + iplen, off + caplen);
}
