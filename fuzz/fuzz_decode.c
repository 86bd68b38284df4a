/*
 * fuzz_decode.c - packet decode (engine/decode.h): link, IP, fragments and
 * transport over a short run of frames of one link type, through one
 * decoder, so IP fragments among them reach defrag and a rebuilt datagram
 * is decoded again.
 *
 * Input: one byte picking the link type, then frames, each a 16-bit length
 * and that many bytes (the last one takes what is left).
 */
#include <pcap/dlt.h>

#include "decode.h"
#include "fuzz.h"

static const int linktypes[] = {
    DLT_EN10MB, DLT_RAW, 14 /* DLT_RAW on BSD */, 101 /* LINKTYPE_RAW */, DLT_NULL, DLT_LOOP,
    DLT_LINUX_SLL, 276 /* LINUX_SLL2 */, 228 /* IPV4 */, 229 /* IPV6 */,
};

static void fz_check_view(const struct packet *p, enum decode_result r)
{
    FZ_CHECK(r == DECODE_FLOW || r == DECODE_NOFLOW || r == DECODE_INVALID || r == DECODE_HELD);
    if (r != DECODE_FLOW)
        return;
    FZ_CHECK(p->flags & PKT_HAS_FLOW);
    FZ_CHECK(p->ip_ver == 4 || p->ip_ver == 6);
    FZ_CHECK(p->l3_off <= p->l4_off && p->l4_off <= p->payload_off);
    FZ_CHECK(p->payload_off <= p->caplen);
    FZ_CHECK(p->payload_len <= p->caplen - p->payload_off);
    FZ_CHECK(p->nvlan <= PKT_MAX_VLAN);
    fz_touch((struct ps_slice){p->data, p->caplen});
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz z = {data, size};
    int lt = linktypes[fz_u8(&z) % PS_ARRAY_LEN(linktypes)];
    FZ_CHECK(decode_linktype_supported(lt));
    struct decode_config cfg = {
        .defrag_memcap = 64 * 1024,
        .defrag_timeout = PS_SECONDS(60),
        .defrag_max_frags = 16,
    };
    struct decoder *d = decoder_create(&cfg);
    FZ_CHECK(d != NULL);
    ps_time_t ts = PS_SECONDS(1700000000);
    uint64_t n = 0;
    while (z.n > 0) {
        size_t len = fz_be16(&z), got;
        const uint8_t *frame = fz_bytes(&z, z.n < len ? z.n : len, &got);
        /* A copy of exactly the frame's size, so ASan sees any over-read. */
        uint8_t *copy = malloc(got ? got : 1);
        FZ_CHECK(copy != NULL);
        memcpy(copy, frame, got);
        struct packet p = {
            .data = copy, .caplen = (uint32_t)got, .wirelen = (uint32_t)got, .ts = ts,
            .pcap_cnt = ++n, .linktype = lt, .wire_frames = 1, .wire_bytes = got,
        };
        fz_check_view(&p, decode_packet(d, &p));
        free(copy);
        ts += 1000;
    }
    const struct decode_stats *st = decoder_stats(d);
    FZ_CHECK(st->pkts == n);
    FZ_CHECK(st->frag_memuse <= cfg.defrag_memcap);
    decoder_expire(d, ts + PS_SECONDS(120));
    FZ_CHECK(decoder_stats(d)->frag_memuse == 0);
    decoder_destroy(d);
    return 0;
}
