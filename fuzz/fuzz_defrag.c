/*
 * fuzz_defrag.c - IP fragment reassembly (engine/defrag.h), driven the way
 * the capture drives it: raw IP frames through decode_packet(), which
 * hands fragments to the defragmenter and decodes what it rebuilds. The
 * input picks each fragment's family, id, offset, length, MF flag and
 * payload, so overlaps, duplicates, holes, oversize datagrams, timeouts,
 * the memcap and the fragment limit are all reachable, IPv4 and IPv6.
 *
 * Input: a config byte (memcap, fragment limit), then records
 *   flags: bit0 IPv6, bit1 more fragments, bits2-3 id, bit4 an IPv4
 *          option / IPv6 destination options header before the fragment
 *          header, bit5 a minute passes first, bit6 TCP (else UDP),
 *          bit7 another source address
 *   offset: 16 bits, in 8-byte units (13 bits used)
 *   length: 16 bits (up to 2047 payload bytes)
 *   payload: from the input, zero-filled when it runs out
 */
#include <pcap/dlt.h>

#include "decode.h"
#include "defrag.h"
#include "fuzz.h"

#define FRAME_MAX 4096

static const size_t memcaps[] = {2048, 64 * 1024, 1u << 20, 32u << 20};
static const unsigned max_frags[] = {2, 8, 64, 256};
static const uint32_t ids[] = {1, 2, 0xffff, 0x12345678};

static uint32_t put_v4(uint8_t *b, uint8_t fl, uint32_t off, uint32_t len)
{
    uint32_t hlen = (fl & 0x10) ? 24 : 20;
    uint32_t total = hlen + len;
    b[0] = (uint8_t)(0x40 | hlen / 4);
    b[1] = 0;
    b[2] = (uint8_t)(total >> 8);
    b[3] = (uint8_t)total;
    uint16_t id = (uint16_t)ids[(fl >> 2) & 3];
    b[4] = (uint8_t)(id >> 8);
    b[5] = (uint8_t)id;
    uint16_t fo = (uint16_t)((fl & 2 ? 0x2000 : 0) | (off & 0x1fff));
    b[6] = (uint8_t)(fo >> 8);
    b[7] = (uint8_t)fo;
    b[8] = 64;
    b[9] = (fl & 0x40) ? 6 : 17;
    b[10] = b[11] = 0;
    memcpy(b + 12, (fl & 0x80) ? "\xc0\x00\x02\x09" : "\xc0\x00\x02\x01", 4);
    memcpy(b + 16, "\xc6\x33\x64\x07", 4);
    if (hlen == 24)
        memcpy(b + 20, "\x01\x01\x01\x00", 4); /* NOP NOP NOP EOL */
    return hlen;
}

static uint32_t put_v6(uint8_t *b, uint8_t fl, uint32_t off, uint32_t len)
{
    bool opts = (fl & 0x10) != 0;
    uint32_t hlen = 40 + (opts ? 8 : 0) + 8;
    uint32_t plen = hlen - 40 + len;
    memcpy(b, "\x60\x00\x00\x00", 4);
    b[4] = (uint8_t)(plen >> 8);
    b[5] = (uint8_t)plen;
    b[6] = opts ? 60 : 44;
    b[7] = 64;
    memcpy(b + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\xaa\x01", 16);
    if (fl & 0x80)
        b[23] = 0x02;
    memcpy(b + 24, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\xbb\x02", 16);
    uint8_t *f = b + 40;
    if (opts) {
        memcpy(f, "\x2c\x00\x01\x04\x00\x00\x00\x00", 8); /* next 44, PadN */
        f += 8;
    }
    f[0] = (fl & 0x40) ? 6 : 17;
    f[1] = 0;
    uint16_t fo = (uint16_t)((off & 0x1fff) << 3 | (fl & 2 ? 1 : 0));
    f[2] = (uint8_t)(fo >> 8);
    f[3] = (uint8_t)fo;
    uint32_t id = ids[(fl >> 2) & 3];
    f[4] = (uint8_t)(id >> 24);
    f[5] = (uint8_t)(id >> 16);
    f[6] = (uint8_t)(id >> 8);
    f[7] = (uint8_t)id;
    return hlen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz z = {data, size};
    uint8_t c = fz_u8(&z);
    struct decode_config cfg = {
        .defrag_memcap = memcaps[c & 3],
        .defrag_timeout = PS_SECONDS(60),
        .defrag_max_frags = max_frags[(c >> 2) & 3],
    };
    struct decoder *d = decoder_create(&cfg);
    FZ_CHECK(d != NULL);
    ps_time_t ts = PS_SECONDS(1700000000);
    uint8_t *frame = malloc(FRAME_MAX);
    FZ_CHECK(frame != NULL);
    uint64_t done = 0;
    while (z.n > 0) {
        uint8_t fl = fz_u8(&z);
        uint32_t off = fz_be16(&z);
        uint32_t len = fz_be16(&z) & 2047u;
        if (fl & 0x20) {
            ts += PS_SECONDS(61);
            decoder_expire(d, ts);
        }
        uint32_t hlen = (fl & 1) ? put_v6(frame, fl, off, len) : put_v4(frame, fl, off, len);
        size_t got;
        const uint8_t *p = fz_bytes(&z, len, &got);
        memcpy(frame + hlen, p, got);
        memset(frame + hlen + got, 0, len - got);
        struct packet pk = {
            .data = frame, .caplen = hlen + len, .wirelen = hlen + len, .ts = ts,
            .linktype = DLT_RAW, .wire_frames = 1, .wire_bytes = hlen + len,
        };
        enum decode_result r = decode_packet(d, &pk);
        if (pk.flags & PKT_REASSEMBLED) {
            done++;
            FZ_CHECK(r != DECODE_HELD);
            FZ_CHECK(pk.caplen <= DEFRAG_MAX_DATAGRAM);
            FZ_CHECK(pk.wire_frames >= 2); /* a datagram takes two fragments at least */
            fz_touch((struct ps_slice){pk.data, pk.caplen});
        }
        FZ_CHECK(decoder_stats(d)->frag_memuse <= cfg.defrag_memcap);
        ts += 1000;
    }
    const struct decode_stats *st = decoder_stats(d);
    FZ_CHECK(st->frag4_reassembled + st->frag6_reassembled == done);
    decoder_expire(d, ts + PS_SECONDS(120));
    FZ_CHECK(decoder_stats(d)->frag_memuse == 0);
    decoder_destroy(d);
    free(frame);
    return 0;
}
