/*
 * decode_l2.c - link layers: Ethernet with 802.1Q / 802.1ad / QinQ tags,
 * Linux cooked capture v1 and v2, BSD loopback (null and loop), raw IP.
 *
 * Each link layer only finds where the network layer starts and what it is;
 * everything after the ethertype (VLAN tags included, since cooked captures
 * can carry them too) goes through one function, so every link type treats
 * tags, ARP and unknown ethertypes alike.
 */
#include "bytes.h"
#include "decode_int.h"

#define ETH_HDR_LEN 14u
#define VLAN_TAG_LEN 4u
#define SLL_HDR_LEN 16u
#define SLL_PROTO_OFF 14u
#define SLL2_HDR_LEN 20u
#define SLL2_PROTO_OFF 0u
#define NULL_HDR_LEN 4u

/* Address families in loopback headers; BSDs disagree on AF_INET6. */
#define BSD_AF_INET 2u
#define BSD_AF_INET6_NETBSD 24u
#define BSD_AF_INET6_FREEBSD 28u
#define BSD_AF_INET6_DARWIN 30u

static bool decode_l2_is_vlan(uint16_t type)
{
    return type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ || type == ETH_TYPE_QINQ_OLD;
}

/* The ethertype at the end of a link header, and the layer it names. */
static enum decode_result decode_l2_ethertype(struct decoder *d, struct packet *p, uint16_t type,
                                              uint32_t off)
{
    /* vlan counts frames with a tag, vlan_qinq frames with two or more */
    while (decode_l2_is_vlan(type)) {
        if (p->nvlan == 0)
            d->st.vlan++;
        else if (p->nvlan == 1)
            d->st.vlan_qinq++;
        if (p->nvlan == PKT_MAX_VLAN)
            return decode_invalid(d, DECODE_VLAN_TOO_MANY_LAYERS);
        if (!bytes_fit(p->caplen, off, VLAN_TAG_LEN))
            return decode_invalid(d, DECODE_VLAN_HEADER_TOO_SMALL);
        p->vlan[p->nvlan++] = bytes_be16(p->data + off) & 0x0fff;
        type = bytes_be16(p->data + off + 2);
        off += VLAN_TAG_LEN;
    }

    p->l3_off = off;
    switch (type) {
    case ETH_TYPE_IPV4:
        return decode_ip_v4(d, p, off);
    case ETH_TYPE_IPV6:
        return decode_ip_v6(d, p, off);
    case ETH_TYPE_ARP:
        d->st.arp++;
        return DECODE_NOFLOW;
    default:
        /* 802.3 lengths, LLC, MPLS, PPPoE...: valid frames we do not follow */
        decode_event(d, DECODE_ETH_UNKNOWN_ETHERTYPE);
        return DECODE_NOFLOW;
    }
}

enum decode_result decode_l2_ethernet(struct decoder *d, struct packet *p)
{
    d->st.ethernet++;
    if (p->caplen < ETH_HDR_LEN)
        return decode_invalid(d, DECODE_ETH_PKT_TOO_SMALL);
    return decode_l2_ethertype(d, p, bytes_be16(p->data + 12), ETH_HDR_LEN);
}

enum decode_result decode_l2_sll(struct decoder *d, struct packet *p)
{
    d->st.sll++;
    if (p->caplen < SLL_HDR_LEN)
        return decode_invalid(d, DECODE_SLL_PKT_TOO_SMALL);
    return decode_l2_ethertype(d, p, bytes_be16(p->data + SLL_PROTO_OFF), SLL_HDR_LEN);
}

enum decode_result decode_l2_sll2(struct decoder *d, struct packet *p)
{
    d->st.sll2++;
    if (p->caplen < SLL2_HDR_LEN)
        return decode_invalid(d, DECODE_SLL2_PKT_TOO_SMALL);
    return decode_l2_ethertype(d, p, bytes_be16(p->data + SLL2_PROTO_OFF), SLL2_HDR_LEN);
}

/*
 * DLT_NULL stores the family in the byte order of the host that captured,
 * which need not be ours. Families are small numbers, so a value with bits
 * in its upper half was written the other way round (as tcpdump reasons).
 * DLT_LOOP is always network order.
 */
enum decode_result decode_l2_null(struct decoder *d, struct packet *p, bool network_order)
{
    d->st.null++;
    if (p->caplen < NULL_HDR_LEN)
        return decode_invalid(d, DECODE_NULL_PKT_TOO_SMALL);
    uint32_t family = network_order ? bytes_be32(p->data) : bytes_le32(p->data);
    if (!network_order && (family & 0xffff0000u) != 0)
        family = bytes_be32(p->data);

    p->l3_off = NULL_HDR_LEN;
    switch (family) {
    case BSD_AF_INET:
        return decode_ip_v4(d, p, NULL_HDR_LEN);
    case BSD_AF_INET6_NETBSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return decode_ip_v6(d, p, NULL_HDR_LEN);
    default:
        return decode_invalid(d, DECODE_NULL_UNSUPPORTED_TYPE);
    }
}

/* Raw IP: the link type may name the version (IPV4, IPV6) or leave it to
 * the first nibble (RAW). */
enum decode_result decode_l2_raw(struct decoder *d, struct packet *p)
{
    d->st.raw++;
    p->l3_off = 0;
    if (p->linktype == LT_IPV4)
        return decode_ip_v4(d, p, 0);
    if (p->linktype == LT_IPV6)
        return decode_ip_v6(d, p, 0);
    if (p->caplen == 0)
        return decode_invalid(d, DECODE_IPV4_PKT_TOO_SMALL);
    switch (p->data[0] >> 4) {
    case 4:
        return decode_ip_v4(d, p, 0);
    case 6:
        return decode_ip_v6(d, p, 0);
    default:
        return decode_invalid(d, DECODE_RAW_INVALID_IP_VERSION);
    }
}
