/*
 * Unit tests for IP fragment reassembly, driven through decode_packet() as
 * the capture drives it: in order, out of order, overlaps (same and
 * different bytes), timeouts, the memcap, the per-datagram fragment limit,
 * datagrams too large, IPv6 fragment headers among other extension headers,
 * and what a rebuilt datagram stands for on the wire.
 *
 * The datagram most tests cut up is a UDP datagram of 72 bytes (8-byte
 * header, 64 payload bytes 'A'..'Z' repeating) from 192.0.2.1 to
 * 198.51.100.7, port 5000 to 53. Expected values are written out by hand.
 */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frame_build.h"

static const uint8_t V4_SRC[4] = {192, 0, 2, 1};
static const uint8_t V4_DST[4] = {198, 51, 100, 7};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0x01};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb, 0x02};

/* The 72-byte UDP datagram: 5000 -> 53, length 72, checksum 0, payload. */
static const uint8_t DGRAM[72] = "\x13\x88\x00\x35\x00\x48\x00\x00"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL";

static void put_eth(struct frame *f, uint16_t type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    fr_bytes(f, macs, 12);
    fr_be16(f, type);
}

/* An IPv4 fragment: header (with opts, a multiple of 4) and data at off. */
static void put_frag4_opts(struct frame *f, uint16_t id, uint8_t proto, uint32_t off, bool more,
                           const uint8_t *data, uint32_t len, const uint8_t *opts,
                           uint32_t optlen)
{
    fr_u8(f, (uint8_t)(0x40 | (5 + optlen / 4)));
    fr_u8(f, 0);
    fr_be16(f, (uint16_t)(20 + optlen + len));
    fr_be16(f, id);
    fr_be16(f, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    fr_u8(f, 64);
    fr_u8(f, proto);
    fr_be16(f, 0);
    fr_bytes(f, V4_SRC, 4);
    fr_bytes(f, V4_DST, 4);
    if (optlen)
        fr_bytes(f, opts, optlen);
    fr_bytes(f, data, len);
}

static void put_frag4(struct frame *f, uint16_t id, uint32_t off, bool more, const uint8_t *data,
                      uint32_t len)
{
    put_frag4_opts(f, id, 17, off, more, data, len, NULL, 0);
}

/* IPv6 fixed header whose payload is plen bytes, first header nh. */
static void put_ipv6(struct frame *f, uint8_t nh, uint16_t plen)
{
    fr_be32(f, 0x60000000);
    fr_be16(f, plen);
    fr_u8(f, nh);
    fr_u8(f, 64);
    fr_bytes(f, V6_SRC, 16);
    fr_bytes(f, V6_DST, 16);
}

static void put_frag6_hdr(struct frame *f, uint8_t nh, uint32_t off, bool more, uint32_t id)
{
    fr_u8(f, nh);
    fr_u8(f, 0);
    fr_be16(f, (uint16_t)(off | (more ? 1 : 0)));
    fr_be32(f, id);
}

/* IPv6 + fragment header + data, nothing else in between. */
static void put_frag6(struct frame *f, uint32_t id, uint32_t off, bool more, const uint8_t *data,
                      uint32_t len)
{
    put_ipv6(f, 44, (uint16_t)(8 + len));
    put_frag6_hdr(f, 17, off, more, id);
    fr_bytes(f, data, len);
}

static struct decoder *new_decoder_with(size_t memcap, unsigned max_frags)
{
    struct decode_config cfg = {
        .defrag_memcap = memcap,
        .defrag_timeout = PS_SECONDS(60),
        .defrag_max_frags = max_frags,
    };
    struct decoder *d = decoder_create(&cfg);
    cr_assert_not_null(d);
    return d;
}

static struct decoder *new_decoder(void)
{
    return new_decoder_with(1 << 20, 64);
}

/* Feed one frame as capture does: one frame of wirelen bytes. */
static enum decode_result feed(struct decoder *d, struct packet *p, int linktype,
                               const struct frame *f, ps_time_t ts)
{
    memset(p, 0, sizeof(*p));
    p->data = f->b;
    p->caplen = f->n;
    p->wirelen = f->n;
    p->linktype = linktype;
    p->ts = ts;
    p->wire_frames = 1;
    p->wire_bytes = f->n;
    return decode_packet(d, p);
}

static enum decode_result feed_frag4(struct decoder *d, struct packet *p, uint32_t off, bool more,
                                     uint32_t len, ps_time_t ts)
{
    struct frame f = {0};
    put_frag4(&f, 0xbeef, off, more, DGRAM + off, len);
    return feed(d, p, DLT_RAW, &f, ts);
}

static enum decode_result feed_frag6(struct decoder *d, struct packet *p, uint32_t off, bool more,
                                     uint32_t len)
{
    struct frame f = {0};
    put_frag6(&f, 0x01020304, off, more, DGRAM + off, len);
    return feed(d, p, DLT_RAW, &f, PS_SECONDS(5));
}

static uint64_t reason(struct decoder *d, enum decode_reason r)
{
    return decoder_stats(d)->reason[r];
}

static bool ipv4_checksum_ok(const uint8_t *h, unsigned hlen)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < hlen; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

/* The rebuilt 92-byte IPv4 UDP datagram, as every IPv4 test expects it. */
static void assert_rebuilt_udp4(const struct packet *p)
{
    cr_assert_eq(p->flags, PKT_REASSEMBLED | PKT_HAS_FLOW);
    cr_assert_eq(p->linktype, DLT_RAW);
    cr_assert_eq(p->caplen, 92);
    cr_assert_eq(p->wirelen, 92);
    cr_assert_eq(p->data[0], 0x45);
    cr_assert_eq(p->data[2], 0x00);
    cr_assert_eq(p->data[3], 92);
    cr_assert_eq(p->data[4], 0xbe);
    cr_assert_eq(p->data[5], 0xef);
    cr_assert_eq(p->data[6], 0, "MF and offset cleared");
    cr_assert_eq(p->data[7], 0);
    cr_assert(ipv4_checksum_ok(p->data, 20));
    cr_assert_eq(p->ip_ver, 4);
    cr_assert_eq(p->proto, 17);
    cr_assert_arr_eq(p->src.b, V4_SRC, 4);
    cr_assert_arr_eq(p->dst.b, V4_DST, 4);
    cr_assert_eq(p->sport, 5000);
    cr_assert_eq(p->dport, 53);
    cr_assert_eq(p->l3_off, 0);
    cr_assert_eq(p->l4_off, 20);
    cr_assert_eq(p->payload_off, 28);
    cr_assert_eq(p->payload_len, 64);
    cr_assert_arr_eq(packet_payload(p), "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL",
                     64);
}

/* ---- IPv4 ------------------------------------------------------------------ */

Test(defrag, ipv4_in_order_fragments_rebuild_the_datagram)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(10)), DECODE_HELD);
    cr_assert_gt(decoder_stats(d)->frag_memuse, 32);
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(11)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(12)), DECODE_FLOW);
    assert_rebuilt_udp4(&p);
    cr_assert_eq(p.ts, PS_SECONDS(12), "time of the completing fragment");
    cr_assert_eq(p.wire_frames, 3);
    cr_assert_eq(p.wire_bytes, 52 + 44 + 36);

    const struct decode_stats *st = decoder_stats(d);
    cr_assert_eq(st->frag4_fragments, 3);
    cr_assert_eq(st->frag4_reassembled, 1);
    cr_assert_eq(st->frag_memuse, 0);
    cr_assert_eq(st->frag_memcap, 1 << 20);
    cr_assert_eq(st->pkts, 3);
    cr_assert_eq(st->raw, 3);
    cr_assert_eq(st->ipv4, 4, "three fragments and the datagram");
    cr_assert_eq(st->udp, 1);
    cr_assert_eq(st->invalid, 0);
    decoder_destroy(d);
}

Test(defrag, ipv4_out_of_order_fragments_rebuild_the_datagram)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(1)), DECODE_FLOW);
    assert_rebuilt_udp4(&p);
    cr_assert_eq(decoder_stats(d)->frag4_reassembled, 1);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_OVERLAP), 0);
    decoder_destroy(d);
}

Test(defrag, ethernet_fragments_count_every_frame_on_the_wire)
{
    /* VLAN 42; the last frame carries 10 bytes of Ethernet padding */
    struct decoder *d = new_decoder();
    struct packet p;
    static const uint32_t offs[3] = {0, 32, 56}, lens[3] = {32, 24, 16};
    for (int i = 0; i < 3; i++) {
        struct frame f = {0};
        put_eth(&f, 0x8100);
        fr_be16(&f, 42);
        fr_be16(&f, 0x0800);
        put_frag4(&f, 0xbeef, offs[i], i < 2, DGRAM + offs[i], lens[i]);
        if (i == 2) {
            static const uint8_t pad[10] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                            0xff, 0xff, 0xff, 0xff, 0xff};
            fr_bytes(&f, pad, 10);
        }
        enum decode_result r = feed(d, &p, DLT_EN10MB, &f, PS_SECONDS(3));
        cr_assert_eq(r, i < 2 ? DECODE_HELD : DECODE_FLOW);
    }
    assert_rebuilt_udp4(&p);
    cr_assert_eq(p.nvlan, 1);
    cr_assert_eq(p.vlan[0], 42);
    cr_assert_eq(p.wire_frames, 3);
    /* 18 + 20 + 32, 18 + 20 + 24, 18 + 20 + 16 + 10 */
    cr_assert_eq(p.wire_bytes, 70 + 62 + 64);
    cr_assert_eq(decoder_stats(d)->bytes, 196);
    cr_assert_eq(decoder_stats(d)->vlan, 3);
    decoder_destroy(d);
}

Test(defrag, ipv4_overlap_with_same_bytes_is_not_an_anomaly)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 16, true, 32, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD); /* duplicate */
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(1)), DECODE_FLOW);
    assert_rebuilt_udp4(&p);
    cr_assert_eq(p.wire_frames, 5);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_OVERLAP), 0);
    decoder_destroy(d);
}

Test(defrag, ipv4_overlap_with_different_bytes_is_counted_and_first_data_wins)
{
    struct decoder *d = new_decoder();
    struct packet p;
    uint8_t evil[32];
    memset(evil, 'x', sizeof(evil));
    struct frame f = {0};

    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    /* rewrites held bytes 8..23: ignored, counted */
    put_frag4(&f, 0xbeef, 8, true, evil, 16);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_OVERLAP), 1);
    /* 24..39: 24..31 conflict (counted), 32..39 is a hole it fills first */
    f.n = 0;
    put_frag4(&f, 0xbeef, 24, true, evil, 16);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_OVERLAP), 2);
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_OVERLAP), 3);
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(1)), DECODE_FLOW);

    cr_assert_eq(p.flags, PKT_REASSEMBLED | PKT_HAS_FLOW);
    cr_assert_eq(p.caplen, 92);
    cr_assert_eq(p.sport, 5000);
    /* datagram bytes 0..31 are the first fragment's, 32..39 the 'x' bytes */
    const uint8_t *pl = packet_payload(&p);
    cr_assert_arr_eq(pl, "ABCDEFGHIJKLMNOPQRSTUVWX", 24);
    cr_assert_arr_eq(pl + 24, "xxxxxxxx", 8);
    cr_assert_arr_eq(pl + 32, "GHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL", 32);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);
}

Test(defrag, separate_datagrams_do_not_mix)
{
    struct decoder *d = new_decoder();
    struct packet p;
    uint8_t other[72];
    memcpy(other, DGRAM, 72);
    memset(other + 8, 'z', 64);
    struct frame f = {0};
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    put_frag4(&f, 0x1111, 0, true, other, 32); /* another id */
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    f.n = 0;
    put_frag4_opts(&f, 0xbeef, 6, 32, false, other + 32, 40, NULL, 0); /* same id, TCP */
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    f.n = 0;
    put_frag4(&f, 0x1111, 32, false, other + 32, 40);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_FLOW);
    cr_assert_eq(p.data[5], 0x11);
    cr_assert_eq(p.payload_len, 64);
    cr_assert_eq(packet_payload(&p)[0], 'z');
    cr_assert_eq(packet_payload(&p)[63], 'z');
    cr_assert_eq(feed_frag4(d, &p, 32, false, 40, PS_SECONDS(1)), DECODE_FLOW);
    assert_rebuilt_udp4(&p);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_OVERLAP), 0);
    cr_assert_eq(decoder_stats(d)->frag4_reassembled, 2);
    decoder_destroy(d);
}

Test(defrag, ipv4_first_fragment_options_are_kept)
{
    static const uint8_t opts[4] = {0x01, 0x01, 0x01, 0x00};
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_frag4_opts(&f, 0xbeef, 17, 0, true, DGRAM, 32, opts, 4);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 32, false, 40, PS_SECONDS(1)), DECODE_FLOW);
    cr_assert_eq(p.caplen, 96);
    cr_assert_eq(p.data[0], 0x46);
    cr_assert_eq(p.data[3], 96);
    cr_assert(ipv4_checksum_ok(p.data, 24));
    cr_assert_eq(p.l4_off, 24);
    cr_assert_eq(p.payload_off, 32);
    cr_assert_eq(p.payload_len, 64);
    decoder_destroy(d);
}

Test(defrag, reassembled_tcp_segment_decodes_as_tcp)
{
    /* TCP 40000 -> 80, seq 0x11223344, ack 0x55667788, PSH|ACK, 16 payload bytes */
    static const uint8_t seg[36] = {0x9c, 0x40, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0x55,
                                    0x66, 0x77, 0x88, 0x50, 0x18, 0x10, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 'G',  'E',  'T',  ' ',  '/',  's',  'e',
                                    'c',  'r',  'e',  't',  ' ',  'H',  'T',  'T',  'P'};
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_frag4_opts(&f, 7, 6, 0, true, seg, 16, NULL, 0);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    f.n = 0;
    put_frag4_opts(&f, 7, 6, 16, false, seg + 16, 20, NULL, 0);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_FLOW);
    cr_assert_eq(p.proto, 6);
    cr_assert_eq(p.sport, 40000);
    cr_assert_eq(p.dport, 80);
    cr_assert_eq(p.tcp_seq, 0x11223344);
    cr_assert_eq(p.tcp_ack, 0x55667788);
    cr_assert_eq(p.tcp_flags, 0x18);
    cr_assert_eq(p.payload_off, 40);
    cr_assert_eq(p.payload_len, 16);
    cr_assert_arr_eq(packet_payload(&p), "GET /secret HTTP", 16);
    cr_assert_eq(decoder_stats(d)->tcp, 1);
    decoder_destroy(d);
}

Test(defrag, truncated_fragment_is_ignored)
{
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_frag4(&f, 0xbeef, 0, true, DGRAM, 32);
    f.n -= 10; /* snapped short of its total length */
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_NOFLOW);
    cr_assert_eq(p.flags, PKT_TRUNCATED);
    cr_assert_eq(reason(d, DECODE_IPV4_TRUNC_PKT), 1);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_IGNORED), 1);
    cr_assert_eq(decoder_stats(d)->frag4_fragments, 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    decoder_destroy(d);
}

/* ---- limits ------------------------------------------------------------------ */

Test(defrag, partial_datagram_times_out_on_packet_time)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1000)), DECODE_HELD);
    decoder_expire(d, PS_SECONDS(1060)); /* exactly the timeout: kept */
    cr_assert_eq(decoder_stats(d)->frag4_timeouts, 0);
    cr_assert_gt(decoder_stats(d)->frag_memuse, 0);
    decoder_expire(d, PS_SECONDS(1060) + 1);
    cr_assert_eq(decoder_stats(d)->frag4_timeouts, 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    /* the rest arrives too late to complete anything */
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(1061)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(1061)), DECODE_HELD);
    cr_assert_eq(decoder_stats(d)->frag4_reassembled, 0);
    decoder_destroy(d);
}

Test(defrag, late_fragment_restarts_an_expired_datagram)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(100)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(200)), DECODE_HELD);
    cr_assert_eq(decoder_stats(d)->frag4_timeouts, 1);
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(201)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(202)), DECODE_FLOW);
    cr_assert_eq(p.wire_frames, 3, "the expired frame is not part of it");
    decoder_destroy(d);
}

Test(defrag, memcap_refuses_fragments_and_counts_them)
{
    /* learn what one held 32-byte fragment costs */
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    uint64_t one = decoder_stats(d)->frag_memuse;
    decoder_destroy(d);

    d = new_decoder_with(one, 64);
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(decoder_stats(d)->frag_memuse, one);
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(1)), DECODE_NOFLOW);
    cr_assert_eq(decoder_stats(d)->frag_max_trackers_reached, 1);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_IGNORED), 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, one);
    cr_assert_eq(decoder_stats(d)->frag_memcap, one);
    cr_assert_eq(decoder_stats(d)->invalid, 0);
    decoder_destroy(d);

    d = new_decoder_with(1, 64);
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_NOFLOW);
    cr_assert_eq(decoder_stats(d)->frag_max_trackers_reached, 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    decoder_destroy(d);
}

Test(defrag, too_many_fragments_drop_the_datagram)
{
    struct decoder *d = new_decoder_with(1 << 20, 2);
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 32, true, 24, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag4(d, &p, 56, false, 16, PS_SECONDS(1)), DECODE_NOFLOW);
    cr_assert_eq(decoder_stats(d)->frag_max_frags_reached, 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    cr_assert_eq(decoder_stats(d)->frag4_reassembled, 0);
    decoder_destroy(d);
}

Test(defrag, fragment_past_65535_is_too_large_and_drops_the_datagram)
{
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    put_frag4(&f, 0xbeef, 65528, false, DGRAM, 16); /* 20 + 65528 + 16 > 65535 */
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_PKT_TOO_LARGE), 1);
    cr_assert_eq(decoder_stats(d)->invalid, 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    decoder_destroy(d);
}

Test(defrag, datagram_over_65535_with_first_header_options_is_too_large)
{
    /* 60-byte first header; the rest fit with 20-byte headers: 60 + 65512 > 65535 */
    static uint8_t big[65512];
    static const uint8_t opts[40] = {0};
    struct decoder *d = new_decoder_with(1 << 20, 64);
    struct packet p;
    struct frame f = {0};
    put_frag4_opts(&f, 9, 17, 0, true, big, 1480, opts, 40);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    uint32_t off = 1480;
    enum decode_result r = DECODE_HELD;
    while (off < sizeof(big)) {
        uint32_t len = PS_MIN(1480u, (uint32_t)sizeof(big) - off);
        f.n = 0;
        put_frag4_opts(&f, 9, 17, off, off + len < sizeof(big), big + off, len, NULL, 0);
        r = feed(d, &p, DLT_RAW, &f, PS_SECONDS(1));
        off += len;
        if (off < sizeof(big))
            cr_assert_eq(r, DECODE_HELD, "offset %u", off);
    }
    cr_assert_eq(r, DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV4_FRAG_PKT_TOO_LARGE), 1);
    cr_assert_eq(decoder_stats(d)->frag4_reassembled, 0);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    decoder_destroy(d);
}

Test(defrag, destroy_frees_partial_datagrams)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag4(d, &p, 0, true, 32, PS_SECONDS(1)), DECODE_HELD);
    cr_assert_eq(feed_frag6(d, &p, 0, true, 32), DECODE_HELD);
    cr_assert_gt(decoder_stats(d)->frag_memuse, 64);
    decoder_destroy(d); /* the sanitizer build reports any leak */
}

/* ---- IPv6 ------------------------------------------------------------------ */

Test(defrag, ipv6_fragments_rebuild_without_the_fragment_header)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag6(d, &p, 32, true, 24), DECODE_HELD);
    cr_assert_eq(feed_frag6(d, &p, 56, false, 16), DECODE_HELD);
    cr_assert_eq(feed_frag6(d, &p, 0, true, 32), DECODE_FLOW);
    cr_assert_eq(p.flags, PKT_REASSEMBLED | PKT_HAS_FLOW);
    cr_assert_eq(p.linktype, DLT_RAW);
    cr_assert_eq(p.caplen, 112);
    cr_assert_eq(p.data[4], 0);
    cr_assert_eq(p.data[5], 72, "payload length");
    cr_assert_eq(p.data[6], 17, "next header skips the fragment header");
    cr_assert_eq(p.ip_ver, 6);
    cr_assert_arr_eq(p.src.b, V6_SRC, 16);
    cr_assert_arr_eq(p.dst.b, V6_DST, 16);
    cr_assert_eq(p.l4_off, 40);
    cr_assert_eq(p.payload_off, 48);
    cr_assert_eq(p.payload_len, 64);
    cr_assert_eq(p.sport, 5000);
    cr_assert_arr_eq(packet_payload(&p), DGRAM + 8, 64);
    cr_assert_eq(p.wire_frames, 3);
    cr_assert_eq(p.wire_bytes, (48 + 24) + (48 + 16) + (48 + 32));
    cr_assert_eq(decoder_stats(d)->frag6_fragments, 3);
    cr_assert_eq(decoder_stats(d)->frag6_reassembled, 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    decoder_destroy(d);
}

Test(defrag, ipv6_hop_by_hop_before_fragment_header_is_relinked)
{
    static const uint8_t hbh[8] = {44, 0, 0x01, 0x04, 0, 0, 0, 0}; /* next: fragment */
    struct decoder *d = new_decoder();
    struct packet p;
    static const uint32_t offs[2] = {0, 40}, lens[2] = {40, 32};
    for (int i = 0; i < 2; i++) {
        struct frame f = {0};
        put_ipv6(&f, 0, (uint16_t)(8 + 8 + lens[i]));
        fr_bytes(&f, hbh, 8);
        put_frag6_hdr(&f, 17, offs[i], i == 0, 0xcafe);
        fr_bytes(&f, DGRAM + offs[i], lens[i]);
        cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), i == 0 ? DECODE_HELD : DECODE_FLOW);
    }
    cr_assert_eq(p.caplen, 120);
    cr_assert_eq(p.data[5], 80, "8 hop-by-hop + 72 datagram bytes");
    cr_assert_eq(p.data[6], 0, "hop-by-hop stays first");
    cr_assert_eq(p.data[40], 17, "hop-by-hop now names UDP");
    cr_assert_eq(p.l4_off, 48);
    cr_assert_eq(p.payload_len, 64);
    decoder_destroy(d);
}

Test(defrag, ipv6_destination_options_after_fragment_header_are_kept)
{
    /* fragmentable part: destination options (8 bytes, next UDP) + the datagram */
    uint8_t body[80] = {17, 0, 0x01, 0x04, 0, 0, 0, 0};
    memcpy(body + 8, DGRAM, 72);
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv6(&f, 44, 8 + 48);
    put_frag6_hdr(&f, 60, 0, true, 77);
    fr_bytes(&f, body, 48);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    f.n = 0;
    put_ipv6(&f, 44, 8 + 32);
    put_frag6_hdr(&f, 60, 48, false, 77);
    fr_bytes(&f, body + 48, 32);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_FLOW);
    cr_assert_eq(p.caplen, 120);
    cr_assert_eq(p.data[6], 60);
    cr_assert_eq(p.data[40], 17);
    cr_assert_eq(p.l4_off, 48);
    cr_assert_eq(p.sport, 5000);
    decoder_destroy(d);
}

Test(defrag, ipv6_overlap_with_different_bytes_is_counted)
{
    struct decoder *d = new_decoder();
    struct packet p;
    uint8_t evil[16];
    memset(evil, '!', sizeof(evil));
    struct frame f = {0};
    cr_assert_eq(feed_frag6(d, &p, 0, true, 32), DECODE_HELD);
    put_frag6(&f, 0x01020304, 16, true, evil, 16);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(5)), DECODE_HELD);
    cr_assert_eq(feed_frag6(d, &p, 32, false, 40), DECODE_FLOW);
    cr_assert_eq(reason(d, DECODE_IPV6_FRAG_OVERLAP), 1);
    cr_assert_arr_eq(packet_payload(&p), DGRAM + 8, 64);
    decoder_destroy(d);
}

Test(defrag, ipv6_fragment_length_not_multiple_of_8_is_invalid)
{
    struct decoder *d = new_decoder();
    struct packet p;
    cr_assert_eq(feed_frag6(d, &p, 0, true, 12), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV6_FRAG_INVALID_LENGTH), 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    /* the last fragment may end anywhere */
    cr_assert_eq(feed_frag6(d, &p, 64, false, 5), DECODE_HELD);
    decoder_destroy(d);
}

Test(defrag, ipv6_fragment_past_65535_is_too_large)
{
    struct decoder *d = new_decoder();
    struct packet p;
    static const uint8_t tail[16];
    struct frame f = {0};
    put_frag6(&f, 0x01020304, 65528, false, tail, 16); /* 65528 + 16 > 65535 */
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_INVALID);
    cr_assert_eq(reason(d, DECODE_IPV6_FRAG_PKT_TOO_LARGE), 1);
    decoder_destroy(d);
}

Test(defrag, fragment_inside_a_rebuilt_datagram_is_ignored)
{
    /* the rebuilt payload starts with a second fragment header */
    uint8_t body[24] = {17, 0, 0x00, 0x01, 0, 0, 0, 5};
    memcpy(body + 8, DGRAM, 16);
    struct decoder *d = new_decoder();
    struct packet p;
    struct frame f = {0};
    put_ipv6(&f, 44, 8 + 16);
    put_frag6_hdr(&f, 44, 0, true, 99);
    fr_bytes(&f, body, 16);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_HELD);
    f.n = 0;
    put_ipv6(&f, 44, 8 + 8);
    put_frag6_hdr(&f, 44, 16, false, 99);
    fr_bytes(&f, body + 16, 8);
    cr_assert_eq(feed(d, &p, DLT_RAW, &f, PS_SECONDS(1)), DECODE_NOFLOW);
    cr_assert_eq(p.flags, PKT_REASSEMBLED);
    cr_assert_eq(decoder_stats(d)->frag6_reassembled, 1);
    cr_assert_eq(decoder_stats(d)->frag6_fragments, 3);
    cr_assert_eq(reason(d, DECODE_IPV6_FRAG_IGNORED), 1);
    cr_assert_eq(decoder_stats(d)->frag_memuse, 0);
    decoder_destroy(d);
}
