/*
 * Unit tests for the decode stage: every link type, VLAN stacks, IPv4
 * options and length checks, IPv6 extension headers, TCP/UDP/ICMP, and
 * every truncation point of valid frames (each cut copied into a buffer of
 * exactly that size, so the sanitizer build catches any over-read).
 *
 * Frames are built byte by byte; expected offsets, ports and addresses in
 * the assertions are worked out by hand from the layouts, not computed.
 */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frame_build.h"

/* ---- frame builder ---------------------------------------------------- */

static const uint8_t MAC_DST[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_SRC[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
static const uint8_t V4_SRC[4] = {10, 0, 0, 1};
static const uint8_t V4_DST[4] = {10, 0, 0, 2};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static void put_eth(struct frame *f, uint16_t type)
{
    fr_bytes(f, MAC_DST, 6);
    fr_bytes(f, MAC_SRC, 6);
    fr_be16(f, type);
}

static void put_tag(struct frame *f, uint16_t vid, uint16_t next_type)
{
    fr_be16(f, vid);
    fr_be16(f, next_type);
}

/* IPv4 header with opts (a multiple of 4 bytes) and the given total length. */
static void put_ipv4_full(struct frame *f, uint16_t total, uint8_t proto, const uint8_t *opts,
                          uint32_t optlen)
{
    fr_u8(f, (uint8_t)(0x40 | (5 + optlen / 4)));
    fr_u8(f, 0);
    fr_be16(f, total);
    fr_be16(f, 0x1234);
    fr_be16(f, 0x4000); /* DF */
    fr_u8(f, 64);
    fr_u8(f, proto);
    fr_be16(f, 0);
    fr_bytes(f, V4_SRC, 4);
    fr_bytes(f, V4_DST, 4);
    if (optlen)
        fr_bytes(f, opts, optlen);
}

static void put_ipv4(struct frame *f, uint8_t proto, uint16_t l4len)
{
    put_ipv4_full(f, (uint16_t)(20 + l4len), proto, NULL, 0);
}

static void put_ipv6(struct frame *f, uint8_t nh, uint16_t plen)
{
    fr_be32(f, 0x60000000);
    fr_be16(f, plen);
    fr_u8(f, nh);
    fr_u8(f, 64);
    fr_bytes(f, V6_SRC, 16);
    fr_bytes(f, V6_DST, 16);
}

static void put_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                    uint8_t flags, const uint8_t *opts, uint32_t optlen)
{
    fr_be16(f, sport);
    fr_be16(f, dport);
    fr_be32(f, seq);
    fr_be32(f, ack);
    fr_u8(f, (uint8_t)((5 + optlen / 4) << 4));
    fr_u8(f, flags);
    fr_be16(f, 8192);
    fr_be16(f, 0);
    fr_be16(f, 0);
    if (optlen)
        fr_bytes(f, opts, optlen);
}

static void put_udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t ulen)
{
    fr_be16(f, sport);
    fr_be16(f, dport);
    fr_be16(f, ulen);
    fr_be16(f, 0);
}

static void put_icmp(struct frame *f, uint8_t type, uint8_t code)
{
    fr_u8(f, type);
    fr_u8(f, code);
    fr_be16(f, 0);
    fr_be32(f, 0x00010002); /* identifier 1, sequence 2 */
}

/* ---- decoding helpers ------------------------------------------------- */

static struct decoder *new_decoder(void)
{
    struct decode_config cfg = {
        .defrag_memcap = 1 << 20,
        .defrag_timeout = PS_SECONDS(60),
        .defrag_max_frags = 16,
    };
    struct decoder *d = decoder_create(&cfg);
    cr_assert_not_null(d);
    return d;
}

static enum decode_result run(struct decoder *d, struct packet *p, int linktype,
                              const uint8_t *data, uint32_t len)
{
    memset(p, 0, sizeof(*p));
    p->data = data;
    p->caplen = len;
    p->wirelen = len;
    p->linktype = linktype;
    p->ts = PS_SECONDS(1000);
    p->wire_frames = 1;
    p->wire_bytes = len;
    return decode_packet(d, p);
}

static uint64_t reason(struct decoder *d, enum decode_reason r)
{
    return decoder_stats(d)->reason[r];
}

static uint64_t reasons_total(const struct decode_stats *st)
{
    uint64_t n = 0;
    for (int r = 0; r < DECODE_REASON_MAX; r++)
        n += st->reason[r];
    return n;
}

static const uint8_t ETH_IPV4_TCP[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
    /* IPv4: ihl 5, total 45, id 0x1234, DF, ttl 64, TCP, 192.168.1.10 -> 93.184.216.34 */
    0x45, 0x00, 0x00, 0x2d, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x01,
    0x0a, 0x5d, 0xb8, 0xd8, 0x22,
    /* TCP: 50000 -> 80, seq 1000, ack 2000, doff 5, PSH|ACK, window 256 */
    0xc3, 0x50, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x18, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00,
    /* payload */
    'G', 'E', 'T', ' ', '/'};

/* ---- Ethernet, VLAN ---------------------------------------------------- */

Test(decode, ethernet_ipv4_tcp_fills_the_view)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, ETH_IPV4_TCP, sizeof(ETH_IPV4_TCP)), DECODE_FLOW);
    cr_assert_eq(p.flags, PKT_HAS_FLOW);
    cr_assert_eq(p.ip_ver, 4);
    cr_assert_eq(p.proto, 6);
    cr_assert_eq(p.nvlan, 0);
    const uint8_t src[16] = {192, 168, 1, 10}, dst[16] = {93, 184, 216, 34};
    cr_assert_arr_eq(p.src.b, src, 16);
    cr_assert_arr_eq(p.dst.b, dst, 16);
    cr_assert_eq(p.sport, 50000);
    cr_assert_eq(p.dport, 80);
    cr_assert_eq(p.tcp_seq, 1000);
    cr_assert_eq(p.tcp_ack, 2000);
    cr_assert_eq(p.tcp_flags, TCP_PSH | TCP_ACK);
    cr_assert_eq(p.tcp_win, 256);
    cr_assert_eq(p.tcp_wscale, 0xff);
    cr_assert_eq(p.l3_off, 14);
    cr_assert_eq(p.l4_off, 34);
    cr_assert_eq(p.payload_off, 54);
    cr_assert_eq(p.payload_len, 5);
    cr_assert_arr_eq(packet_payload(&p), "GET /", 5);

    const struct decode_stats *st = decoder_stats(d);
    cr_assert_eq(st->pkts, 1);
    cr_assert_eq(st->bytes, 59);
    cr_assert_eq(st->max_pkt_size, 59);
    cr_assert_eq(st->ethernet, 1);
    cr_assert_eq(st->ipv4, 1);
    cr_assert_eq(st->tcp, 1);
    cr_assert_eq(st->invalid, 0);
    cr_assert_eq(reasons_total(st), 0);
    decoder_destroy(d);
}

Test(decode, vlan_single_tag_reads_vid_and_inner_ipv4)
{
    struct frame f = {0};
    put_eth(&f, 0x8100);
    put_tag(&f, 0x2064, 0x0800); /* priority 1, VID 100 */
    put_ipv4(&f, 17, 8);
    put_udp(&f, 5353, 53, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.nvlan, 1);
    cr_assert_eq(p.vlan[0], 100);
    cr_assert_eq(p.l3_off, 18);
    cr_assert_eq(p.l4_off, 38);
    cr_assert_eq(p.sport, 5353);
    cr_assert_eq(p.dport, 53);
    cr_assert_eq(decoder_stats(d)->vlan, 1);
    cr_assert_eq(decoder_stats(d)->vlan_qinq, 0);
    decoder_destroy(d);
}

Test(decode, vlan_qinq_reads_inner_ipv4)
{
    struct frame f = {0};
    put_eth(&f, 0x88a8);
    put_tag(&f, 10, 0x8100);
    put_tag(&f, 20, 0x0800);
    put_ipv4(&f, 6, 20);
    put_tcp(&f, 1234, 443, 7, 0, TCP_SYN, NULL, 0);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.nvlan, 2);
    cr_assert_eq(p.vlan[0], 10);
    cr_assert_eq(p.vlan[1], 20);
    cr_assert_eq(p.l3_off, 22);
    cr_assert_eq(p.l4_off, 42);
    cr_assert_eq(p.payload_off, 62);
    cr_assert_eq(p.sport, 1234);
    cr_assert_eq(p.dport, 443);
    cr_assert_eq(p.tcp_flags, TCP_SYN);
    cr_assert_eq(decoder_stats(d)->vlan, 1);
    cr_assert_eq(decoder_stats(d)->vlan_qinq, 1);
    decoder_destroy(d);
}

Test(decode, vlan_three_tags_including_9100_are_accepted)
{
    struct frame f = {0};
    put_eth(&f, 0x9100);
    put_tag(&f, 1, 0x88a8);
    put_tag(&f, 2, 0x8100);
    put_tag(&f, 4094, 0x86dd);
    put_ipv6(&f, 17, 8);
    put_udp(&f, 1, 2, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.nvlan, 3);
    cr_assert_eq(p.vlan[0], 1);
    cr_assert_eq(p.vlan[1], 2);
    cr_assert_eq(p.vlan[2], 4094);
    cr_assert_eq(p.l3_off, 26);
    cr_assert_eq(p.l4_off, 66);
    decoder_destroy(d);
}

Test(decode, vlan_fourth_tag_is_too_many_layers)
{
    struct frame f = {0};
    put_eth(&f, 0x8100);
    put_tag(&f, 1, 0x8100);
    put_tag(&f, 2, 0x8100);
    put_tag(&f, 3, 0x8100);
    put_tag(&f, 4, 0x0800);
    put_ipv4(&f, 17, 8);
    put_udp(&f, 1, 2, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(decoder_stats(d)->invalid, 1);
    cr_assert_eq(reason(d, DECODE_VLAN_TOO_MANY_LAYERS), 1);
    cr_assert_eq(reasons_total(decoder_stats(d)), 1);
    cr_assert_eq(decoder_stats(d)->ipv4, 0);
    decoder_destroy(d);
}

Test(decode, vlan_tag_cut_short_is_header_too_small)
{
    struct frame f = {0};
    put_eth(&f, 0x8100);
    fr_be16(&f, 5); /* only half a tag */
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_VLAN_HEADER_TOO_SMALL), 1);
    decoder_destroy(d);
}

Test(decode, ethernet_shorter_than_header_is_invalid)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, ETH_IPV4_TCP, 13), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_ETH_PKT_TOO_SMALL), 1);
    cr_assert_eq(decoder_stats(d)->ethernet, 1);
    decoder_destroy(d);
}

Test(decode, arp_is_counted_and_not_a_flow)
{
    struct frame f = {0};
    put_eth(&f, 0x0806);
    fr_zero(&f, 28);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_NOFLOW);
    cr_assert_eq(decoder_stats(d)->arp, 1);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    cr_assert_eq(p.flags & PKT_HAS_FLOW, 0);
    decoder_destroy(d);
}

Test(decode, unknown_ethertype_is_counted_but_not_invalid)
{
    struct frame f = {0};
    put_eth(&f, 0x88cc); /* LLDP */
    fr_zero(&f, 30);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_NOFLOW);
    cr_assert_eq(reason(d, DECODE_ETH_UNKNOWN_ETHERTYPE), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);
}

/* ---- other link types -------------------------------------------------- */

Test(decode, sll_reads_protocol_at_offset_14)
{
    struct frame f = {0};
    fr_be16(&f, 0);      /* packet type: to us */
    fr_be16(&f, 1);      /* ARPHRD_ETHER */
    fr_be16(&f, 6);      /* address length */
    fr_bytes(&f, MAC_SRC, 6);
    fr_zero(&f, 2);
    fr_be16(&f, 0x0800); /* protocol, offset 14 */
    put_ipv4(&f, 17, 12);
    put_udp(&f, 40000, 53, 12);
    fr_be32(&f, 0xdeadbeef);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_LINUX_SLL, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.l3_off, 16);
    cr_assert_eq(p.l4_off, 36);
    cr_assert_eq(p.payload_off, 44);
    cr_assert_eq(p.payload_len, 4);
    cr_assert_eq(p.sport, 40000);
    cr_assert_eq(decoder_stats(d)->sll, 1);
    cr_assert_eq(decoder_stats(d)->udp, 1);
    decoder_destroy(d);
}

Test(decode, sll_shorter_than_header_is_invalid)
{
    uint8_t b[15] = {0};
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_LINUX_SLL, b, sizeof(b)), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_SLL_PKT_TOO_SMALL), 1);
    decoder_destroy(d);
}

Test(decode, sll2_reads_protocol_at_offset_0)
{
    struct frame f = {0};
    fr_be16(&f, 0x86dd); /* protocol */
    fr_be16(&f, 0);      /* reserved */
    fr_be32(&f, 3);      /* interface index */
    fr_be16(&f, 1);      /* ARPHRD_ETHER */
    fr_u8(&f, 4);        /* packet type: outgoing */
    fr_u8(&f, 6);
    fr_bytes(&f, MAC_SRC, 6);
    fr_zero(&f, 2);
    put_ipv6(&f, 6, 20);
    put_tcp(&f, 8080, 33000, 0xfffffff0, 5, TCP_ACK, NULL, 0);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_LINUX_SLL2, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.ip_ver, 6);
    cr_assert_eq(p.l3_off, 20);
    cr_assert_eq(p.l4_off, 60);
    cr_assert_eq(p.payload_off, 80);
    cr_assert_eq(p.payload_len, 0);
    cr_assert_eq(p.tcp_seq, 0xfffffff0);
    cr_assert_arr_eq(p.src.b, V6_SRC, 16);
    cr_assert_arr_eq(p.dst.b, V6_DST, 16);
    cr_assert_eq(decoder_stats(d)->sll2, 1);
    cr_assert_eq(decoder_stats(d)->ipv6, 1);
    decoder_destroy(d);
}

Test(decode, sll2_shorter_than_header_is_invalid)
{
    uint8_t b[19] = {0x08, 0x00};
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_LINUX_SLL2, b, sizeof(b)), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_SLL2_PKT_TOO_SMALL), 1);
    decoder_destroy(d);
}

/* A loopback frame: 4-byte family as given, then IPv4 or IPv6 UDP. */
static void put_null_frame(struct frame *f, const uint8_t family[4], bool v6)
{
    fr_bytes(f, family, 4);
    if (v6)
        put_ipv6(f, 17, 8);
    else
        put_ipv4(f, 17, 8);
    put_udp(f, 9, 10, 8);
}

Test(decode, null_family_in_either_byte_order)
{
    static const uint8_t le_inet[4] = {2, 0, 0, 0};
    static const uint8_t be_inet[4] = {0, 0, 0, 2};
    static const uint8_t le_inet6_bsd[4] = {24, 0, 0, 0};
    static const uint8_t le_inet6_freebsd[4] = {28, 0, 0, 0};
    static const uint8_t be_inet6_darwin[4] = {0, 0, 0, 30};
    struct {
        const uint8_t *family;
        bool v6;
    } cases[] = {
        {le_inet, false}, {be_inet, false}, {le_inet6_bsd, true},
        {le_inet6_freebsd, true}, {be_inet6_darwin, true},
    };
    struct decoder *d = new_decoder();
    for (size_t i = 0; i < PS_ARRAY_LEN(cases); i++) {
        struct frame f = {0};
        put_null_frame(&f, cases[i].family, cases[i].v6);
        struct packet p;
        cr_assert_eq(run(d, &p, DLT_NULL, f.b, f.n), DECODE_FLOW, "case %zu", i);
        cr_assert_eq(p.ip_ver, cases[i].v6 ? 6 : 4, "case %zu", i);
        cr_assert_eq(p.l3_off, 4);
        cr_assert_eq(p.sport, 9);
    }
    cr_assert_eq(decoder_stats(d)->null, 5);
    cr_assert_eq(decoder_stats(d)->ipv4, 2);
    cr_assert_eq(decoder_stats(d)->ipv6, 3);
    decoder_destroy(d);
}

Test(decode, loop_family_is_network_order)
{
    static const uint8_t inet6[4] = {0, 0, 0, 28};
    static const uint8_t inet[4] = {0, 0, 0, 2};
    struct decoder *d = new_decoder();
    struct frame f = {0};
    struct packet p;
    put_null_frame(&f, inet6, true);
    cr_assert_eq(run(d, &p, DLT_LOOP, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.ip_ver, 6);
    f.n = 0;
    put_null_frame(&f, inet, false);
    cr_assert_eq(run(d, &p, DLT_LOOP, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.ip_ver, 4);
    cr_assert_eq(p.l4_off, 24);
    decoder_destroy(d);
}

Test(decode, null_unsupported_family_and_short_header_are_invalid)
{
    static const uint8_t appletalk[4] = {16, 0, 0, 0};
    struct decoder *d = new_decoder();
    struct frame f = {0};
    struct packet p;
    put_null_frame(&f, appletalk, false);
    cr_assert_eq(run(d, &p, DLT_NULL, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_NULL_UNSUPPORTED_TYPE), 1);
    cr_assert_eq(run(d, &p, DLT_NULL, f.b, 3), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_NULL_PKT_TOO_SMALL), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 2);
    decoder_destroy(d);
}

Test(decode, raw_ip_under_every_raw_linktype)
{
    struct frame v4 = {0}, v6 = {0};
    put_ipv4(&v4, 6, 20);
    put_tcp(&v4, 1, 2, 3, 4, TCP_ACK, NULL, 0);
    put_ipv6(&v6, 17, 8);
    put_udp(&v6, 5, 6, 8);
    const int raw_types[] = {12, 14, 101};
    struct decoder *d = new_decoder();
    struct packet p;
    for (size_t i = 0; i < PS_ARRAY_LEN(raw_types); i++) {
        cr_assert_eq(run(d, &p, raw_types[i], v4.b, v4.n), DECODE_FLOW);
        cr_assert_eq(p.ip_ver, 4);
        cr_assert_eq(p.l3_off, 0);
        cr_assert_eq(p.l4_off, 20);
        cr_assert_eq(run(d, &p, raw_types[i], v6.b, v6.n), DECODE_FLOW);
        cr_assert_eq(p.ip_ver, 6);
        cr_assert_eq(p.l4_off, 40);
    }
    cr_assert_eq(run(d, &p, DLT_IPV4, v4.b, v4.n), DECODE_FLOW);
    cr_assert_eq(p.sport, 1);
    cr_assert_eq(run(d, &p, DLT_IPV6, v6.b, v6.n), DECODE_FLOW);
    cr_assert_eq(p.sport, 5);
    /* DLT_IPV4 names the version: an IPv6 packet there is the wrong version */
    cr_assert_eq(run(d, &p, DLT_IPV4, v6.b, v6.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_WRONG_IP_VERSION), 1);
    cr_assert_eq(decoder_stats(d)->raw, 9);
    decoder_destroy(d);
}

Test(decode, raw_with_bad_version_nibble_or_no_bytes_is_invalid)
{
    uint8_t b[40] = {0x50};
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, b, sizeof(b)), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_RAW_INVALID_IP_VERSION), 1);
    cr_assert_eq(run(d, &p, DLT_RAW, b, 0), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_PKT_TOO_SMALL), 1);
    decoder_destroy(d);
}

Test(decode, linktype_support_and_names)
{
    const int ok[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
    for (size_t i = 0; i < PS_ARRAY_LEN(ok); i++)
        cr_assert(decode_linktype_supported(ok[i]), "linktype %d", ok[i]);
    cr_assert_not(decode_linktype_supported(105)); /* 802.11 */
    cr_assert_not(decode_linktype_supported(-1));
    cr_assert_str_eq(decode_linktype_name(1), "EN10MB");
    cr_assert_str_eq(decode_linktype_name(113), "LINUX_SLL");
    cr_assert_str_eq(decode_linktype_name(276), "LINUX_SLL2");
    cr_assert_str_eq(decode_linktype_name(101), "RAW");
    cr_assert_str_eq(decode_linktype_name(108), "LOOP");
    cr_assert_str_eq(decode_linktype_name(0), "NULL");
}

Test(decode, reason_layer_and_name_follow_the_schema)
{
    cr_assert_str_eq(decode_reason_layer(DECODE_VLAN_TOO_MANY_LAYERS), "vlan");
    cr_assert_str_eq(decode_reason_name(DECODE_VLAN_TOO_MANY_LAYERS), "too_many_layers");
    cr_assert_str_eq(decode_reason_layer(DECODE_NULL_PKT_TOO_SMALL), "ltnull");
    cr_assert_str_eq(decode_reason_name(DECODE_IPV6_EXTHDR_INVALID_OPTLEN),
                     "exthdr_invalid_optlen");
    cr_assert_str_eq(decode_reason_layer(DECODE_ICMPV6_PKT_TOO_SMALL), "icmpv6");
    cr_assert_str_eq(decode_reason_name(DECODE_REASON_MAX), "unknown");
}

/* ---- IPv4 ---------------------------------------------------------------- */

Test(decode, ipv4_options_are_skipped_to_reach_tcp)
{
    /* router alert (4 bytes), then NOP NOP NOP EOL */
    static const uint8_t opts[8] = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};
    struct frame f = {0};
    put_eth(&f, 0x0800);
    put_ipv4_full(&f, 28 + 20 + 3, 6, opts, sizeof(opts));
    put_tcp(&f, 2000, 21, 99, 0, TCP_SYN, NULL, 0);
    fr_bytes(&f, "abc", 3);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.l4_off, 42);
    cr_assert_eq(p.payload_off, 62);
    cr_assert_eq(p.payload_len, 3);
    cr_assert_eq(p.dport, 21);
    cr_assert_eq(reasons_total(decoder_stats(d)), 0);
    decoder_destroy(d);
}

Test(decode, ipv4_bad_option_lengths_are_counted_and_packet_kept)
{
    static const uint8_t zero_len[4] = {0x07, 0x00, 0x00, 0x00};  /* len < 2 */
    static const uint8_t overrun[4] = {0x01, 0x83, 0x09, 0x00};   /* 9 > 3 left */
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv4_full(&f, 24 + 8, 17, zero_len, 4);
    put_udp(&f, 7, 8, 8);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.l4_off, 24);
    cr_assert_eq(reason(d, DECODE_IPV4_OPT_INVALID_LEN), 1);

    f.n = 0;
    put_ipv4_full(&f, 24 + 8, 17, overrun, 4);
    put_udp(&f, 7, 8, 8);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.sport, 7);
    cr_assert_eq(reason(d, DECODE_IPV4_OPT_MALFORMED), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);
}

Test(decode, ipv4_ihl_below_five_is_hlen_too_small)
{
    struct frame f = {0};
    put_ipv4(&f, 6, 20);
    put_tcp(&f, 1, 2, 0, 0, 0, NULL, 0);
    f.b[0] = 0x44;
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_HLEN_TOO_SMALL), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 1);
    decoder_destroy(d);
}

Test(decode, ipv4_ihl_beyond_capture_is_pkt_too_small)
{
    struct frame f = {0};
    put_ipv4(&f, 6, 0);
    f.b[0] = 0x4f; /* 60-byte header in a 20-byte packet */
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_PKT_TOO_SMALL), 1);
    decoder_destroy(d);
}

Test(decode, ipv4_total_length_below_ihl_is_invalid)
{
    struct frame f = {0};
    put_ipv4_full(&f, 19, 6, NULL, 0);
    put_tcp(&f, 1, 2, 0, 0, 0, NULL, 0);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_IPLEN_SMALLER_THAN_HLEN), 1);
    decoder_destroy(d);
}

Test(decode, ipv4_ethertype_with_version_6_is_wrong_version)
{
    struct frame f = {0};
    put_eth(&f, 0x0800);
    put_ipv6(&f, 17, 8);
    put_udp(&f, 1, 2, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_WRONG_IP_VERSION), 1);
    decoder_destroy(d);
}

Test(decode, truncated_capture_still_decodes_complete_tcp_header)
{
    /* announced: 20 + 20 + 100 payload; captured: 14 + 20 + 20 + 30 */
    struct frame f = {0};
    put_eth(&f, 0x0800);
    put_ipv4(&f, 6, 120);
    put_tcp(&f, 3333, 80, 1, 1, TCP_ACK, NULL, 0);
    fr_zero(&f, 30);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.flags, PKT_TRUNCATED | PKT_HAS_FLOW);
    cr_assert_eq(p.payload_off, 54);
    cr_assert_eq(p.payload_len, 30);
    cr_assert_eq(reason(d, DECODE_IPV4_TRUNC_PKT), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);
}

Test(decode, truncation_inside_tcp_header_is_invalid_with_one_reason)
{
    struct frame f = {0};
    put_eth(&f, 0x0800);
    put_ipv4(&f, 6, 20);
    put_tcp(&f, 3333, 80, 1, 1, TCP_ACK, NULL, 0);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, 14 + 20 + 19), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_TCP_PKT_TOO_SMALL), 1);
    cr_assert_eq(reason(d, DECODE_IPV4_TRUNC_PKT), 0);
    cr_assert_eq(reasons_total(decoder_stats(d)), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 1);
    decoder_destroy(d);
}

Test(decode, ethernet_padding_is_not_payload)
{
    /* TCP ACK without payload: 54 bytes, padded to the 60-byte minimum */
    struct frame f = {0};
    put_eth(&f, 0x0800);
    put_ipv4(&f, 6, 20);
    put_tcp(&f, 80, 50000, 5, 6, TCP_ACK, NULL, 0);
    fr_bytes(&f, "\xaa\xbb\xcc\xdd\xee\xff", 6);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(f.n, 60);
    cr_assert_eq(p.payload_off, 54);
    cr_assert_eq(p.payload_len, 0);
    cr_assert_eq(p.flags & PKT_TRUNCATED, 0);

    /* UDP with 2 payload bytes, padded by 4 */
    f.n = 0;
    put_eth(&f, 0x0800);
    put_ipv4(&f, 17, 10);
    put_udp(&f, 53, 53, 10);
    fr_bytes(&f, "hi\0\0\0\0", 6);
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.payload_off, 42);
    cr_assert_eq(p.payload_len, 2);
    cr_assert_eq(decoder_stats(d)->bytes, 60 + 48);
    cr_assert_eq(decoder_stats(d)->max_pkt_size, 60);
    decoder_destroy(d);
}

Test(decode, other_ip_protocol_is_counted_not_a_flow)
{
    struct frame f = {0};
    put_ipv4(&f, 47, 4); /* GRE */
    fr_be32(&f, 0x00000800);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_NOFLOW);
    cr_assert_eq(p.proto, 47);
    cr_assert_eq(p.ip_ver, 4);
    cr_assert_eq(decoder_stats(d)->other_proto, 1);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);
}

/* ---- IPv6 ---------------------------------------------------------------- */

Test(decode, ipv6_hop_by_hop_and_destination_options_then_tcp)
{
    struct frame f = {0};
    put_eth(&f, 0x86dd);
    put_ipv6(&f, 0, 8 + 16 + 20 + 4);
    /* hop-by-hop: next 60, 8 bytes, router alert option then PadN(0) */
    static const uint8_t hbh[8] = {60, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00};
    /* destination options: next TCP, 16 bytes, Pad1 then PadN(11) */
    static const uint8_t dst[16] = {6, 1, 0x00, 0x01, 11, 0};
    fr_bytes(&f, hbh, 8);
    fr_bytes(&f, dst, 16);
    put_tcp(&f, 44321, 80, 0x01020304, 0x0a0b0c0d, TCP_PSH | TCP_ACK, NULL, 0);
    fr_bytes(&f, "data", 4);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.ip_ver, 6);
    cr_assert_eq(p.proto, 6);
    cr_assert_eq(p.l3_off, 14);
    cr_assert_eq(p.l4_off, 78);
    cr_assert_eq(p.payload_off, 98);
    cr_assert_eq(p.payload_len, 4);
    cr_assert_eq(p.sport, 44321);
    cr_assert_eq(p.tcp_seq, 0x01020304);
    cr_assert_eq(p.tcp_ack, 0x0a0b0c0d);
    cr_assert_eq(reasons_total(decoder_stats(d)), 0);
    decoder_destroy(d);
}

Test(decode, ipv6_routing_and_auth_headers_then_udp)
{
    struct frame f = {0};
    put_ipv6(&f, 43, 24 + 16 + 8);
    /* routing: next AH, 24 bytes (len 2) */
    static const uint8_t rh[24] = {51, 2, 0, 0};
    /* AH: next UDP, payload len 2 -> (2 + 2) * 4 = 16 bytes */
    static const uint8_t ah[16] = {17, 2};
    fr_bytes(&f, rh, 24);
    fr_bytes(&f, ah, 16);
    put_udp(&f, 500, 500, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.l4_off, 80);
    cr_assert_eq(p.payload_off, 88);
    cr_assert_eq(p.proto, 17);
    decoder_destroy(d);
}

Test(decode, ipv6_truncated_extension_header_is_invalid)
{
    struct frame f = {0};
    put_ipv6(&f, 60, 16);
    static const uint8_t dst[16] = {6, 3}; /* claims 32 bytes, 16 present */
    fr_bytes(&f, dst, 16);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV6_TRUNC_EXTHDR), 1);
    /* a header with only its first byte captured */
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, 41), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV6_TRUNC_EXTHDR), 2);
    cr_assert_eq(reasons_total(decoder_stats(d)), 2);
    decoder_destroy(d);
}

Test(decode, ipv6_bad_option_length_is_counted_and_packet_kept)
{
    struct frame f = {0};
    put_ipv6(&f, 0, 8 + 8);
    static const uint8_t hbh[8] = {17, 0, 0x1e, 0x09}; /* option of 9 > 4 left */
    fr_bytes(&f, hbh, 8);
    put_udp(&f, 1, 2, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.l4_off, 48);
    cr_assert_eq(reason(d, DECODE_IPV6_EXTHDR_INVALID_OPTLEN), 1);
    decoder_destroy(d);
}

Test(decode, ipv6_no_next_header_is_not_a_flow)
{
    struct frame f = {0};
    put_ipv6(&f, 59, 0);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_NOFLOW);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    cr_assert_eq(p.ip_ver, 6);
    decoder_destroy(d);
}

Test(decode, ipv6_atomic_fragment_is_decoded_in_place)
{
    struct frame f = {0};
    put_ipv6(&f, 44, 8 + 8);
    fr_u8(&f, 17);
    fr_u8(&f, 0);
    fr_be16(&f, 0); /* offset 0, M clear */
    fr_be32(&f, 0xabcdef01);
    put_udp(&f, 123, 123, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.l4_off, 48);
    cr_assert_eq(p.sport, 123);
    cr_assert_eq(p.flags & PKT_REASSEMBLED, 0);
    cr_assert_eq(decoder_stats(d)->frag6_fragments, 0);
    decoder_destroy(d);
}

Test(decode, ipv6_truncated_payload_keeps_flow)
{
    struct frame f = {0};
    put_ipv6(&f, 17, 8 + 100);
    put_udp(&f, 1000, 2000, 108);
    fr_zero(&f, 10);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.flags, PKT_TRUNCATED | PKT_HAS_FLOW);
    cr_assert_eq(p.payload_len, 10);
    cr_assert_eq(reason(d, DECODE_IPV6_TRUNC_PKT), 1);
    decoder_destroy(d);
}

Test(decode, ipv6_header_cut_or_wrong_version_is_invalid)
{
    struct frame f = {0};
    put_ipv6(&f, 17, 8);
    put_udp(&f, 1, 2, 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_IPV6, f.b, 39), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV6_PKT_TOO_SMALL), 1);
    f.b[0] = 0x40;
    cr_assert_eq(run(d, &p, DLT_IPV6, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV6_WRONG_IP_VERSION), 1);
    decoder_destroy(d);
}

/* ---- TCP, UDP, ICMP -------------------------------------------------------- */

Test(decode, tcp_window_scale_option_is_read)
{
    /* MSS 1460, NOP, WS 7, SACK permitted, timestamps, NOP NOP */
    static const uint8_t opts[20] = {0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x04, 0x02,
                                     0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0};
    struct frame f = {0};
    put_ipv4(&f, 6, 40);
    put_tcp(&f, 50123, 443, 0x7fffffff, 0, TCP_SYN, opts, sizeof(opts));
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.tcp_wscale, 7);
    cr_assert_eq(p.payload_off, 60);
    cr_assert_eq(p.payload_len, 0);
    cr_assert_eq(p.tcp_seq, 0x7fffffff);
    cr_assert_eq(reasons_total(decoder_stats(d)), 0);
    decoder_destroy(d);
}

Test(decode, tcp_bad_data_offset_is_invalid)
{
    struct frame f = {0};
    put_ipv4(&f, 6, 20);
    put_tcp(&f, 1, 2, 0, 0, TCP_SYN, NULL, 0);
    struct decoder *d = new_decoder();
    struct packet p;
    f.b[20 + 12] = 0x40; /* 16-byte header */
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_TCP_HLEN_TOO_SMALL), 1);
    f.b[20 + 12] = 0x60; /* 24-byte header in a 20-byte segment */
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_TCP_PKT_TOO_SMALL), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 2);
    cr_assert_eq(decoder_stats(d)->tcp, 2);
    decoder_destroy(d);
}

Test(decode, tcp_bad_option_length_is_counted_and_packet_kept)
{
    static const uint8_t bad_ws[4] = {0x03, 0x04, 0x07, 0x00};   /* WS of length 4 */
    static const uint8_t overrun[4] = {0x01, 0x08, 0x0a, 0x00}; /* 10 > 3 left */
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv4(&f, 6, 24);
    put_tcp(&f, 1, 2, 0, 0, TCP_SYN, bad_ws, 4);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.tcp_wscale, 0xff);
    f.n = 0;
    put_ipv4(&f, 6, 24);
    put_tcp(&f, 1, 2, 0, 0, TCP_SYN, overrun, 4);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.payload_off, 44);
    cr_assert_eq(reason(d, DECODE_TCP_INVALID_OPTLEN), 2);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);
}

Test(decode, udp_fills_ports_and_payload)
{
    struct frame f = {0};
    put_eth(&f, 0x0800);
    put_ipv4(&f, 17, 8 + 6);
    put_udp(&f, 51000, 514, 14);
    fr_bytes(&f, "<13>hi", 6);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.proto, 17);
    cr_assert_eq(p.sport, 51000);
    cr_assert_eq(p.dport, 514);
    cr_assert_eq(p.l4_off, 34);
    cr_assert_eq(p.payload_off, 42);
    cr_assert_eq(p.payload_len, 6);
    cr_assert_arr_eq(packet_payload(&p), "<13>hi", 6);
    cr_assert_eq(p.tcp_wscale, 0xff);
    decoder_destroy(d);
}

Test(decode, udp_length_outside_datagram_is_invalid)
{
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv4(&f, 17, 8);
    put_udp(&f, 1, 2, 9); /* longer than the IP payload */
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    f.n = 0;
    put_ipv4(&f, 17, 8);
    put_udp(&f, 1, 2, 7); /* shorter than its own header */
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_UDP_LEN_INVALID), 2);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, 27), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_UDP_PKT_TOO_SMALL), 1);
    decoder_destroy(d);
}

Test(decode, udp_length_shorter_than_datagram_bounds_payload)
{
    struct frame f = {0};
    put_ipv4(&f, 17, 8 + 8);
    put_udp(&f, 1, 2, 8 + 3);
    fr_bytes(&f, "abcdefgh", 8);
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.payload_off, 28);
    cr_assert_eq(p.payload_len, 3);
    decoder_destroy(d);
}

Test(decode, icmp_type_and_code_fill_the_ports)
{
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv4(&f, 1, 8 + 4);
    put_icmp(&f, 8, 0); /* echo request */
    fr_be32(&f, 0x61626364);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.proto, 1);
    cr_assert_eq(p.sport, 8);
    cr_assert_eq(p.dport, 0);
    cr_assert_eq(p.payload_off, 28);
    cr_assert_eq(p.payload_len, 4);
    cr_assert_eq(p.flags, PKT_HAS_FLOW);

    f.n = 0;
    put_ipv6(&f, 58, 8);
    put_icmp(&f, 1, 4); /* destination unreachable, port unreachable */
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_FLOW);
    cr_assert_eq(p.proto, 58);
    cr_assert_eq(p.sport, 1);
    cr_assert_eq(p.dport, 4);
    cr_assert_eq(p.l4_off, 40);
    cr_assert_eq(decoder_stats(d)->icmpv4, 1);
    cr_assert_eq(decoder_stats(d)->icmpv6, 1);
    decoder_destroy(d);
}

Test(decode, icmp_header_cut_is_invalid_and_icmp_under_wrong_version_is_other)
{
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv4(&f, 1, 4);
    fr_be32(&f, 0x08000000);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_ICMPV4_PKT_TOO_SMALL), 1);
    f.n = 0;
    put_ipv6(&f, 58, 4);
    fr_be32(&f, 0x80000000);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_ICMPV6_PKT_TOO_SMALL), 1);
    f.n = 0;
    put_ipv6(&f, 1, 8);
    put_icmp(&f, 8, 0);
    cr_assert_eq(run(d, &p, DLT_RAW, f.b, f.n), DECODE_NOFLOW);
    cr_assert_eq(decoder_stats(d)->other_proto, 1);
    decoder_destroy(d);
}

Test(decode, reused_packet_slot_keeps_nothing_from_before)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(run(d, &p, DLT_EN10MB, ETH_IPV4_TCP, sizeof(ETH_IPV4_TCP)), DECODE_FLOW);
    struct frame f = {0};
    put_eth(&f, 0x0806);
    fr_zero(&f, 28);
    /* same slot, no memset this time: decode must clear the view itself */
    p.data = f.b;
    p.caplen = p.wirelen = f.n;
    cr_assert_eq(decode_packet(d, &p), DECODE_NOFLOW);
    cr_assert_eq(p.flags, 0);
    cr_assert_eq(p.ip_ver, 0);
    cr_assert_eq(p.sport, 0);
    cr_assert_eq(p.payload_len, 0);
    cr_assert_eq(p.tcp_seq, 0);
    cr_assert_eq(p.tcp_wscale, 0xff);
    decoder_destroy(d);
}

/* ---- every truncation point ---------------------------------------------- */

/*
 * Decode every prefix of a valid frame, each copied into a heap buffer of
 * exactly its length. Whatever the cut, the result is a decode or a reject
 * with exactly one reason, and the view stays inside the captured bytes.
 */
static void check_every_cut(int linktype, const uint8_t *frame, uint32_t len)
{
    struct decoder *d = new_decoder();
    for (uint32_t cut = 0; cut <= len; cut++) {
        uint8_t *buf = malloc(cut ? cut : 1);
        cr_assert_not_null(buf);
        memcpy(buf, frame, cut);
        struct decode_stats before = *decoder_stats(d);
        struct packet p;
        enum decode_result r = run(d, &p, linktype, buf, cut);
        const struct decode_stats *after = decoder_stats(d);
        cr_assert(r == DECODE_FLOW || r == DECODE_NOFLOW || r == DECODE_INVALID, "cut %u", cut);
        if (r == DECODE_INVALID) {
            cr_assert_eq(after->invalid, before.invalid + 1, "cut %u", cut);
            cr_assert_eq(reasons_total(after), reasons_total(&before) + 1, "cut %u", cut);
        } else {
            cr_assert_eq(after->invalid, before.invalid, "cut %u", cut);
            cr_assert_leq(p.payload_off + p.payload_len, cut, "cut %u", cut);
        }
        if (r == DECODE_FLOW)
            cr_assert(p.flags & PKT_HAS_FLOW);
        free(buf);
    }
    struct packet p;
    cr_assert_eq(run(d, &p, linktype, frame, len), DECODE_FLOW, "the whole frame decodes");
    cr_assert_eq(p.flags & PKT_TRUNCATED, 0);
    cr_assert_eq(decoder_stats(d)->pkts, len + 2);
    decoder_destroy(d);
}

Test(decode, every_cut_of_ethernet_ipv4_tcp_is_counted_exactly)
{
    struct decoder *d = new_decoder();
    uint32_t len = sizeof(ETH_IPV4_TCP);
    for (uint32_t cut = 0; cut <= len; cut++) {
        uint8_t *buf = malloc(cut ? cut : 1);
        memcpy(buf, ETH_IPV4_TCP, cut);
        struct packet p;
        enum decode_result r = run(d, &p, DLT_EN10MB, buf, cut);
        if (cut >= 54) {
            cr_assert_eq(r, DECODE_FLOW, "cut %u", cut);
            cr_assert_eq(p.payload_len, cut - 54, "cut %u", cut);
            cr_assert_eq(p.flags & PKT_TRUNCATED, cut < len ? PKT_TRUNCATED : 0);
        } else {
            cr_assert_eq(r, DECODE_INVALID, "cut %u", cut);
        }
        free(buf);
    }
    /* 0..13: ethernet; 14..33: ipv4 header; 34..53: tcp header; 54..58 truncated */
    cr_assert_eq(reason(d, DECODE_ETH_PKT_TOO_SMALL), 14);
    cr_assert_eq(reason(d, DECODE_IPV4_PKT_TOO_SMALL), 20);
    cr_assert_eq(reason(d, DECODE_TCP_PKT_TOO_SMALL), 20);
    cr_assert_eq(reason(d, DECODE_IPV4_TRUNC_PKT), 5);
    cr_assert_eq(decoder_stats(d)->invalid, 54);
    decoder_destroy(d);
    check_every_cut(DLT_EN10MB, ETH_IPV4_TCP, len);
}

Test(decode, every_cut_of_qinq_ipv6_extension_headers_udp_is_safe)
{
    struct frame f = {0};
    put_eth(&f, 0x88a8);
    put_tag(&f, 7, 0x8100);
    put_tag(&f, 8, 0x86dd);
    put_ipv6(&f, 0, 8 + 8 + 8 + 5);
    static const uint8_t hbh[8] = {60, 0, 0x01, 0x04, 0, 0, 0, 0};
    static const uint8_t dst[8] = {17, 0, 0x00, 0x01, 0x02, 0, 0, 0x00};
    fr_bytes(&f, hbh, 8);
    fr_bytes(&f, dst, 8);
    put_udp(&f, 4500, 4500, 13);
    fr_bytes(&f, "hello", 5);
    check_every_cut(DLT_EN10MB, f.b, f.n);
}

Test(decode, every_cut_of_sll_ipv4_options_icmp_is_safe)
{
    static const uint8_t opts[4] = {0x01, 0x07, 0x03, 0x04}; /* NOP + 3-byte option */
    struct frame f = {0};
    fr_zero(&f, 14);
    fr_be16(&f, 0x0800);
    put_ipv4_full(&f, 24 + 8 + 3, 1, opts, 4);
    put_icmp(&f, 0, 0);
    fr_bytes(&f, "xyz", 3);
    check_every_cut(DLT_LINUX_SLL, f.b, f.n);
}

Test(decode, every_cut_of_sll2_ipv6_tcp_options_is_safe)
{
    static const uint8_t opts[8] = {0x01, 0x03, 0x03, 0x02, 0x02, 0x04, 0x05, 0x78};
    struct frame f = {0};
    fr_be16(&f, 0x86dd);
    fr_zero(&f, 18);
    put_ipv6(&f, 6, 28 + 2);
    put_tcp(&f, 1, 2, 3, 4, TCP_SYN, opts, 8);
    fr_bytes(&f, "ok", 2);
    check_every_cut(DLT_LINUX_SLL2, f.b, f.n);
}

Test(decode, every_cut_of_null_and_raw_frames_is_safe)
{
    struct frame f = {0};
    fr_bytes(&f, "\x02\x00\x00\x00", 4);
    put_ipv4(&f, 17, 8 + 4);
    put_udp(&f, 1, 2, 12);
    fr_bytes(&f, "abcd", 4);
    check_every_cut(DLT_NULL, f.b, f.n);
    check_every_cut(DLT_RAW, f.b + 4, f.n - 4);
    memcpy(f.b, "\x00\x00\x00\x02", 4);
    check_every_cut(DLT_LOOP, f.b, f.n);
}
