/*
 * fuzz_stream.c - TCP reassembly (engine/stream.h): one session, segments
 * in both directions with the sequence and acknowledgement numbers, flags
 * and payloads the input chooses (handshakes or none, overlaps with equal
 * or different bytes, holes, retransmissions, wrap-around, SYN/FIN/RST
 * anywhere), then the close that flushes what is held.
 *
 * Input: a config byte (memcap, gap bound), the two ISNs (32 bits each,
 * client then server), then records
 *   ctl: bit0 direction (1 = server to client), bit1 a second passes,
 *        bits 2..7 payload length (63: a 16-bit length follows)
 *   flags: TCP flags as on the wire
 *   seq, ack: 32 bits each, relative to the sender's and the receiver's ISN
 *   payload: from the input, zero-filled when it runs out
 */
#include "fuzz.h"
#include "stream.h"

static const size_t memcaps[] = {4096, 64 * 1024, 1u << 20, 64u << 20};
static const uint32_t gap_bounds[] = {1024, 16 * 1024, 256 * 1024, 1u << 20};

struct fz_rec {
    uint64_t bytes[2], gaps[2];
};

static void on_data(void *ctx, enum ps_dir dir, const uint8_t *data, size_t len, ps_time_t ts)
{
    struct fz_rec *r = ctx;
    FZ_CHECK(dir == PS_TOSERVER || dir == PS_TOCLIENT);
    FZ_CHECK(len > 0 && data != NULL);
    fz_touch((struct ps_slice){data, len});
    r->bytes[dir] += len;
}

static void on_gap(void *ctx, enum ps_dir dir, uint64_t len, ps_time_t ts)
{
    struct fz_rec *r = ctx;
    FZ_CHECK(dir == PS_TOSERVER || dir == PS_TOCLIENT);
    FZ_CHECK(len > 0);
    r->gaps[dir] += len;
}

static void on_event(void *ctx, enum ps_dir dir, enum stream_event ev, ps_time_t ts)
{
    FZ_CHECK(dir == PS_TOSERVER || dir == PS_TOCLIENT);
    FZ_CHECK((unsigned)ev < STREAM_EV_MAX);
    FZ_CHECK(stream_event_name(ev) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz z = {data, size};
    uint8_t c = fz_u8(&z);
    struct stream_config cfg = {.memcap = memcaps[c & 3], .gap_bound = gap_bounds[(c >> 2) & 3]};
    uint32_t isn[2];
    isn[0] = fz_be32(&z);
    isn[1] = fz_be32(&z);

    struct stream_ctx *sc = stream_ctx_create(&cfg);
    FZ_CHECK(sc != NULL);
    struct tcp_session *ss = stream_session_create(sc);
    FZ_CHECK(ss != NULL);
    struct fz_rec rec;
    memset(&rec, 0, sizeof(rec));
    struct stream_ops ops = {.data = on_data, .gap = on_gap, .event = on_event, .ctx = &rec};
    ps_time_t ts = PS_SECONDS(1700000000);
    uint64_t offered = 0;

    while (z.n > 0) {
        uint8_t ctl = fz_u8(&z);
        int dir = ctl & 1;
        size_t len = ctl >> 2;
        if (len == 63)
            len = fz_be16(&z);
        uint8_t flags = fz_u8(&z);
        uint32_t seq = isn[dir] + fz_be32(&z);
        uint32_t ack = isn[!dir] + fz_be32(&z);
        ts += (ctl & 2) ? PS_SECONDS(1) : 1;
        size_t got;
        const uint8_t *p = fz_bytes(&z, len, &got);
        /* The payload in a block of its own size, so ASan sees over-reads
         * of the zero-copy path. */
        uint8_t *buf = malloc(len ? len : 1);
        FZ_CHECK(buf != NULL);
        memcpy(buf, p, got);
        memset(buf + got, 0, len - got);
        struct packet pk = {
            .data = buf, .caplen = (uint32_t)len, .wirelen = (uint32_t)len, .ts = ts,
            .ip_ver = 4, .proto = 6, .payload_off = 0, .payload_len = (uint32_t)len,
            .tcp_seq = seq, .tcp_ack = ack, .tcp_win = 65535, .tcp_flags = flags,
            .tcp_wscale = 0xff,
        };
        stream_handle_packet(sc, ss, (enum ps_dir)dir, &pk, &ops);
        free(buf);
        offered += len;
    }
    stream_session_close(sc, ss, ts + 1, &ops);
    /* Each byte is delivered at most once: never more than was offered. */
    FZ_CHECK(rec.bytes[0] + rec.bytes[1] <= offered);
    stream_session_destroy(sc, ss);
    FZ_CHECK(stream_ctx_stats(sc)->reassembly_memuse == 0);
    stream_ctx_destroy(sc);
    return 0;
}
