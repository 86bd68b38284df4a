/* Unit tests for TCP reassembly: delivery order, zero copy, overlaps,
 * gaps, the cross-direction ordering rule, closing, and randomised
 * permutations that must always rebuild the original streams. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "stream_store.h" /* stream_store_cost() */

#define C PS_TOSERVER
#define S PS_TOCLIENT
#define CISN 1000u
#define SISN 5000u
#define REC_BYTES (1u << 20)
#define REC_OPS 8192

/* ---- what the session hands out, in order ---- */

struct rec_op {
    char kind; /* 'D' data, 'G' gap */
    int dir;
    const uint8_t *ptr;
    uint64_t len;
    uint64_t off;   /* this direction's offset where it starts */
    uint64_t other; /* the other direction's offset at that moment */
};

struct rec {
    uint8_t *buf[2]; /* delivered bytes, gaps left out */
    uint64_t len[2], pos[2];
    uint64_t gap_bytes[2];
    unsigned gaps[2];
    unsigned events[2][STREAM_EV_MAX];
    struct rec_op op[REC_OPS];
    size_t nops;
};

static void rec_log(struct rec *r, char kind, int dir, const uint8_t *ptr, uint64_t len)
{
    if (r->nops < REC_OPS)
        r->op[r->nops++] = (struct rec_op){kind, dir, ptr, len, r->pos[dir], r->pos[!dir]};
}

static void on_data(void *ctx, enum ps_dir dir, const uint8_t *data, size_t len, ps_time_t ts)
{
    struct rec *r = ctx;
    cr_assert_gt(len, 0, "no empty deliveries");
    cr_assert_leq(r->len[dir] + len, REC_BYTES);
    memcpy(r->buf[dir] + r->len[dir], data, len);
    rec_log(r, 'D', dir, data, len);
    r->len[dir] += len;
    r->pos[dir] += len;
}

static void on_gap(void *ctx, enum ps_dir dir, uint64_t len, ps_time_t ts)
{
    struct rec *r = ctx;
    cr_assert_gt(len, 0, "no empty gaps");
    rec_log(r, 'G', dir, NULL, len);
    r->gaps[dir]++;
    r->gap_bytes[dir] += len;
    r->pos[dir] += len;
}

static void on_event(void *ctx, enum ps_dir dir, enum stream_event ev, ps_time_t ts)
{
    struct rec *r = ctx;
    cr_assert_lt((unsigned)ev, STREAM_EV_MAX);
    r->events[dir][ev]++;
}

/* ---- fixture ---- */

struct t {
    struct stream_ctx *sc;
    struct tcp_session *ss;
    struct rec *r;
    struct stream_ops ops;
    ps_time_t now;
};

/* memcap: what the stored segments may use; the session's own cost is
 * added on top. */
static void t_init(struct t *t, size_t memcap, uint32_t gap_bound)
{
    struct stream_config cfg = {.memcap = memcap + stream_session_cost(0),
                                .gap_bound = gap_bound};
    t->sc = stream_ctx_create(&cfg);
    cr_assert_not_null(t->sc);
    t->ss = stream_session_create(t->sc);
    cr_assert_not_null(t->ss);
    t->r = calloc(1, sizeof(*t->r));
    cr_assert_not_null(t->r);
    t->r->buf[0] = malloc(REC_BYTES);
    t->r->buf[1] = malloc(REC_BYTES);
    t->ops = (struct stream_ops){on_data, on_gap, on_event, t->r};
    t->now = 1000000;
}

static const struct stream_stats *st(const struct t *t)
{
    return stream_ctx_stats(t->sc);
}

static void t_close(struct t *t)
{
    stream_session_close(t->sc, t->ss, ++t->now, &t->ops);
}

static void t_fini(struct t *t)
{
    stream_session_destroy(t->sc, t->ss);
    cr_assert_eq(st(t)->reassembly_memuse, 0, "every stored byte released");
    stream_ctx_destroy(t->sc);
    free(t->r->buf[0]);
    free(t->r->buf[1]);
    free(t->r);
}

static void pkt(struct t *t, int dir, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                uint32_t len)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.data = data;
    p.caplen = len;
    p.payload_off = 0;
    p.payload_len = len;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_flags = flags;
    p.ts = ++t->now;
    stream_handle_packet(t->sc, t->ss, (enum ps_dir)dir, &p, &t->ops);
}

/* Data with ACK|PSH, seq and ack given as offsets from each side's ISN+1. */
static void cdata(struct t *t, uint32_t off, uint32_t ack_off, const void *d, uint32_t len)
{
    pkt(t, C, CISN + 1 + off, SISN + 1 + ack_off, TCP_ACK | TCP_PSH, d, len);
}

static void sdata(struct t *t, uint32_t off, uint32_t ack_off, const void *d, uint32_t len)
{
    pkt(t, S, SISN + 1 + off, CISN + 1 + ack_off, TCP_ACK | TCP_PSH, d, len);
}

static void handshake(struct t *t)
{
    pkt(t, C, CISN, 0, TCP_SYN, NULL, 0);
    pkt(t, S, SISN, CISN + 1, TCP_SYN | TCP_ACK, NULL, 0);
    pkt(t, C, CISN + 1, SISN + 1, TCP_ACK, NULL, 0);
}

static uint8_t pattern(int dir, uint64_t i)
{
    return (uint8_t)((i * 131 + (i >> 8) * 7 + (unsigned)dir * 91 + 17) & 0xff);
}

static void fill(uint8_t *buf, int dir, uint64_t off, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(dir, off + i);
}

static void expect_stream(const struct t *t, int dir, const void *want, size_t len)
{
    cr_assert_eq(t->r->len[dir], len, "dir %d delivered %lu bytes, want %zu", dir,
                 (unsigned long)t->r->len[dir], len);
    cr_assert_arr_eq(t->r->buf[dir], want, len);
}

static void expect_pattern(const struct t *t, int dir, uint64_t from, uint64_t len)
{
    cr_assert_eq(t->r->len[dir], len, "dir %d delivered %lu bytes, want %lu", dir,
                 (unsigned long)t->r->len[dir], (unsigned long)len);
    for (uint64_t i = 0; i < len; i++)
        cr_assert_eq(t->r->buf[dir][i], pattern(dir, from + i), "dir %d byte %lu", dir,
                     (unsigned long)i);
}

/* ---- in order, zero copy ---- */

Test(stream_session, delivers_in_order_data_straight_from_the_packet)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    static const char req1[] = "GET / HTTP/1.1\r\n", req2[] = "Host: a\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\n\r\n";
    cdata(&t, 0, 0, req1, sizeof(req1) - 1);
    cdata(&t, sizeof(req1) - 1, 0, req2, sizeof(req2) - 1);
    sdata(&t, 0, sizeof(req1) + sizeof(req2) - 2, resp, sizeof(resp) - 1);

    cr_assert_eq(t.r->nops, 3);
    cr_assert_eq(t.r->op[0].ptr, (const uint8_t *)req1, "delivered from the packet itself");
    cr_assert_eq(t.r->op[1].ptr, (const uint8_t *)req2);
    cr_assert_eq(t.r->op[2].ptr, (const uint8_t *)resp);
    cr_assert_eq(t.r->op[2].dir, S);
    expect_stream(&t, C, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", sizeof(req1) + sizeof(req2) - 2);
    expect_stream(&t, S, resp, sizeof(resp) - 1);
    cr_assert_eq(st(&t)->reassembly_memuse_max, 0, "nothing was copied");
    cr_assert_eq(st(&t)->ordering_waits, 0);
    cr_assert_eq(st(&t)->ooo_segments, 0);
    cr_assert_eq(st(&t)->syn, 1);
    cr_assert_eq(st(&t)->synack, 1);
    cr_assert_eq(st(&t)->sessions, 1);
    cr_assert_eq(st(&t)->midstream_pickups, 0);
    t_fini(&t);
}

Test(stream_session, delivers_only_the_new_part_of_a_partly_old_segment)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[100];
    fill(a, C, 0, 100);
    cdata(&t, 0, 0, a, 60);
    cdata(&t, 40, 0, a + 40, 60); /* [40,100): 20 old bytes, 40 new */
    cr_assert_eq(t.r->nops, 2);
    cr_assert_eq(t.r->op[1].ptr, a + 60, "zero copy of the new part only");
    cr_assert_eq(t.r->op[1].len, 40);
    expect_pattern(&t, C, 0, 100);
    cr_assert_eq(st(&t)->overlap, 1);
    cr_assert_eq(st(&t)->retransmissions, 0);
    cr_assert_eq(st(&t)->overlap_diff_data, 0);
    t_fini(&t);
}

/* ---- reordering, duplicates, overlaps ---- */

Test(stream_session, reorders_segments_that_arrive_out_of_order)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[300];
    fill(a, C, 0, 300);
    cdata(&t, 200, 0, a + 200, 100);
    cdata(&t, 100, 0, a + 100, 100);
    cr_assert_eq(t.r->len[C], 0, "nothing before the first bytes");
    cr_assert_gt(st(&t)->reassembly_memuse, 200);
    cdata(&t, 0, 0, a, 100);
    expect_pattern(&t, C, 0, 300);
    cr_assert_eq(t.r->op[0].ptr, a, "the segment that fills the hole goes zero copy");
    cr_assert_eq(st(&t)->ooo_segments, 2);
    cr_assert_eq(st(&t)->reassembly_memuse, 0);
    cr_assert_eq(st(&t)->reassembly_memuse_max, 2 * stream_store_cost(100));
    cr_assert_eq(st(&t)->reassembly_gap, 0);
    t_fini(&t);
}

Test(stream_session, delivers_a_duplicated_segment_once)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[200];
    fill(a, C, 0, 200);
    cdata(&t, 0, 0, a, 100);
    cdata(&t, 0, 0, a, 100);
    cdata(&t, 150, 0, a + 150, 50);
    cdata(&t, 150, 0, a + 150, 50); /* duplicate of stored data */
    cdata(&t, 100, 0, a + 100, 50);
    expect_pattern(&t, C, 0, 200);
    cr_assert_eq(st(&t)->retransmissions, 2);
    cr_assert_eq(st(&t)->overlap, 2);
    cr_assert_eq(st(&t)->overlap_diff_data, 0);
    cr_assert_eq(t.r->events[C][STREAM_EV_OVERLAP_DIFF], 0);
    t_fini(&t);
}

Test(stream_session, overlap_with_same_bytes_is_counted_without_event)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[400];
    fill(a, C, 0, 400);
    cdata(&t, 200, 0, a + 200, 100); /* stored */
    cdata(&t, 250, 0, a + 250, 150); /* overlaps the stored one on its right */
    cdata(&t, 0, 0, a, 120);
    cdata(&t, 100, 0, a + 100, 150); /* overlaps delivered and stored bytes */
    expect_pattern(&t, C, 0, 400);
    cr_assert_eq(st(&t)->overlap, 2);
    cr_assert_eq(st(&t)->overlap_diff_data, 0);
    cr_assert_eq(t.r->events[C][STREAM_EV_OVERLAP_DIFF], 0);
    t_fini(&t);
}

Test(stream_session, different_bytes_over_delivered_data_raise_event_and_first_wins)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[100], evil[100];
    fill(a, C, 0, 100);
    cdata(&t, 0, 0, a, 50);
    cdata(&t, 50, 0, a + 50, 50);
    memcpy(evil, a, 100);
    evil[60] ^= 0x20;
    cdata(&t, 50, 0, evil + 50, 50); /* exact range of a delivered segment */
    cr_assert_eq(st(&t)->overlap_diff_data, 1);
    cr_assert_eq(t.r->events[C][STREAM_EV_OVERLAP_DIFF], 1);
    cdata(&t, 0, 0, evil, 100); /* covers both delivered ranges */
    cr_assert_eq(st(&t)->overlap_diff_data, 2);
    cdata(&t, 0, 0, a, 100); /* same bytes: no event */
    cr_assert_eq(st(&t)->overlap_diff_data, 2);
    cr_assert_eq(st(&t)->retransmissions, 3);
    expect_pattern(&t, C, 0, 100);
    t_fini(&t);
}

Test(stream_session, different_bytes_over_stored_data_raise_event_and_first_wins)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[40], evil[40];
    fill(a, C, 0, 40);
    memcpy(evil, a, 40);
    evil[15] = (uint8_t)~evil[15];
    cdata(&t, 10, 0, a + 10, 20);    /* stored [10,30) */
    cdata(&t, 5, 0, evil + 5, 30);   /* [5,35): byte 15 differs */
    cr_assert_eq(t.r->events[C][STREAM_EV_OVERLAP_DIFF], 1);
    cr_assert_eq(st(&t)->overlap_diff_data, 1);
    cdata(&t, 0, 0, a, 5);
    cdata(&t, 35, 0, a + 35, 5);
    expect_pattern(&t, C, 0, 40);
    t_fini(&t);
}

Test(stream_session, one_byte_segments_in_reverse_order_rebuild_the_stream)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    handshake(&t);
    uint8_t a[200];
    fill(a, C, 0, 200);
    for (uint32_t i = 0; i < 100; i++)
        cdata(&t, i, 0, a + i, 1);
    for (uint32_t i = 199; i >= 100; i--)
        cdata(&t, i, 0, a + i, 1);
    expect_pattern(&t, C, 0, 200);
    cr_assert_eq(t.r->op[99].ptr, a + 99, "in-order single bytes go zero copy");
    cr_assert_eq(st(&t)->ooo_segments, 99);
    t_fini(&t);
}

Test(stream_session, follows_sequence_numbers_across_the_2_32_wrap)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 16);
    const uint32_t isn = 0xFFFFFF00u;
    pkt(&t, C, isn, 0, TCP_SYN, NULL, 0);
    pkt(&t, S, SISN, isn + 1, TCP_SYN | TCP_ACK, NULL, 0);
    uint8_t a[1000];
    fill(a, C, 0, 1000);
    /* [0,200) spans the wrap; [400,600) arrives before [200,400) */
    pkt(&t, C, isn + 1, SISN + 1, TCP_ACK, a, 200);
    pkt(&t, C, isn + 1 + 400, SISN + 1, TCP_ACK, a + 400, 200);
    pkt(&t, C, isn + 1 + 200, SISN + 1, TCP_ACK, a + 200, 200);
    pkt(&t, C, isn + 1 + 100, SISN + 1, TCP_ACK, a + 100, 100); /* old, after the wrap */
    pkt(&t, C, isn + 1 + 600, SISN + 1, TCP_ACK, a + 600, 400);
    expect_pattern(&t, C, 0, 1000);
    cr_assert_eq(st(&t)->retransmissions, 1);
    /* a response acknowledging the wrapped request waits for nothing */
    uint8_t r[10];
    fill(r, S, 0, 10);
    pkt(&t, S, SISN + 1, isn + 1 + 1000, TCP_ACK, r, 10);
    expect_pattern(&t, S, 0, 10);
    cr_assert_eq(st(&t)->ordering_waits, 0);
    t_fini(&t);
}

/* ---- gaps ---- */

Test(stream_session, skips_a_hole_once_more_than_gap_bound_bytes_wait)
{
    struct t t;
    t_init(&t, 1 << 20, 1000);
    handshake(&t);
    uint8_t a[2000];
    fill(a, C, 0, 2000);
    /* [0,100) never arrives */
    for (uint32_t off = 100; off < 1100; off += 200) {
        cdata(&t, off, 0, a + off, 200);
        cr_assert_eq(t.r->len[C], 0, "still waiting at %u", off);
    }
    cdata(&t, 1100, 0, a + 1100, 200); /* 1200 bytes wait: over the bound */
    cr_assert_eq(t.r->gaps[C], 1);
    cr_assert_eq(t.r->gap_bytes[C], 100);
    cr_assert_eq(t.r->op[0].kind, 'G');
    cr_assert_eq(t.r->events[C][STREAM_EV_SEQ_GAP], 1);
    cr_assert_eq(st(&t)->reassembly_gap, 1);
    cr_assert_eq(t.r->len[C], 1200);
    cr_assert_arr_eq(t.r->buf[C], a + 100, 1200);
    cdata(&t, 1300, 0, a + 1300, 700);
    cr_assert_eq(t.r->op[t.r->nops - 1].ptr, a + 1300, "back to zero copy after the gap");
    cdata(&t, 0, 0, a, 100); /* the lost bytes arrive late: dropped */
    cr_assert_eq(t.r->len[C], 1900);
    t_fini(&t);
}

Test(stream_session, many_small_segments_behind_a_hole_are_bounded_too)
{
    struct t t;
    t_init(&t, 1 << 24, 1 << 20);
    handshake(&t);
    static uint8_t a[3000];
    fill(a, C, 0, sizeof(a));
    /* byte 0 is lost; single bytes pile up far below gap_bound */
    uint32_t off = 1;
    while (t.r->len[C] == 0 && off < sizeof(a)) {
        cdata(&t, off, 0, a + off, 1);
        off++;
    }
    cr_assert_eq(off, 2 + 2048, "skipped once the segment count passed its limit");
    cr_assert_eq(t.r->gap_bytes[C], 1);
    cr_assert_eq(t.r->len[C], 2049);
    cr_assert_arr_eq(t.r->buf[C], a + 1, 2049);
    t_fini(&t);
}

Test(stream_session, skips_a_hole_the_peer_acknowledged)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t a[300];
    fill(a, C, 0, 300);
    cdata(&t, 100, 0, a + 100, 100); /* [0,100) lost */
    cdata(&t, 250, 0, a + 250, 50);  /* [200,250) lost */
    pkt(&t, S, SISN + 1, CISN + 1 + 40, TCP_ACK, NULL, 0);
    cr_assert_eq(t.r->gaps[C], 1, "only what the ack covers is skipped");
    cr_assert_eq(t.r->gap_bytes[C], 40);
    cr_assert_eq(t.r->len[C], 0);
    pkt(&t, S, SISN + 1, CISN + 1 + 300, TCP_ACK, NULL, 0);
    cr_assert_eq(t.r->gaps[C], 3);
    cr_assert_eq(t.r->gap_bytes[C], 40 + 60 + 50);
    cr_assert_eq(t.r->len[C], 150);
    cr_assert_arr_eq(t.r->buf[C], a + 100, 100);
    cr_assert_arr_eq(t.r->buf[C] + 100, a + 250, 50);
    cr_assert_eq(st(&t)->reassembly_gap, 3);
    cr_assert_eq(t.r->events[C][STREAM_EV_SEQ_GAP], 3);
    t_fini(&t);
}

Test(stream_session, ack_without_stored_data_behind_it_skips_nothing)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    pkt(&t, S, SISN + 1, CISN + 1 + 500, TCP_ACK, NULL, 0);
    cr_assert_eq(t.r->gaps[C], 0);
    uint8_t a[500];
    fill(a, C, 0, 500);
    cdata(&t, 0, 0, a, 500);
    expect_pattern(&t, C, 0, 500);
    t_fini(&t);
}

Test(stream_session, memcap_drop_raises_event_and_the_hole_becomes_a_gap)
{
    struct t t;
    /* room for one stored 200-byte segment and a little */
    const size_t memcap = stream_store_cost(200) + 150;
    t_init(&t, memcap, 1 << 20);
    handshake(&t);
    uint8_t a[700];
    fill(a, C, 0, 700);
    cdata(&t, 100, 0, a + 100, 200); /* stored */
    cdata(&t, 300, 0, a + 300, 200); /* refused */
    cdata(&t, 500, 0, a + 500, 200); /* refused: one event per session side */
    cr_assert_eq(st(&t)->segment_memcap_drop, 2);
    cr_assert_eq(t.r->events[C][STREAM_EV_MEMCAP], 1);
    cr_assert_eq(st(&t)->reassembly_memuse_max, stream_store_cost(200));
    t_close(&t);
    cr_assert_eq(t.r->nops, 2);
    cr_assert_eq(t.r->op[0].kind, 'G');
    cr_assert_eq(t.r->op[0].len, 100);
    cr_assert_eq(t.r->op[1].kind, 'D');
    cr_assert_arr_eq(t.r->buf[C], a + 100, 200);
    t_fini(&t);
}

/* ---- midstream ---- */

Test(stream_session, picks_up_midstream_from_the_client)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    uint8_t q[50], r[80];
    fill(q, C, 0, 50);
    fill(r, S, 0, 80);
    pkt(&t, C, 777777, 88888, TCP_ACK | TCP_PSH, q, 50);
    cr_assert_eq(st(&t)->midstream_pickups, 1);
    cr_assert_eq(t.r->events[C][STREAM_EV_MIDSTREAM], 1);
    cr_assert_eq(t.r->len[C], 0, "the server side is unknown yet: the request waits");
    pkt(&t, S, 88888, 777777 + 50, TCP_ACK | TCP_PSH, r, 80);
    expect_pattern(&t, C, 0, 50);
    expect_pattern(&t, S, 0, 80);
    cr_assert_eq(t.r->op[0].dir, C);
    cr_assert_eq(t.r->op[1].dir, S);
    cr_assert_eq(t.r->op[1].ptr, r);
    cr_assert_eq(st(&t)->midstream_pickups, 1, "once per session");
    cr_assert_eq(t.r->events[S][STREAM_EV_MIDSTREAM], 0);
    t_fini(&t);
}

Test(stream_session, picks_up_midstream_from_the_server_and_keeps_request_first)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    uint8_t q[50], r[80];
    fill(q, C, 0, 50);
    fill(r, S, 0, 80);
    /* the response is the first packet seen; it acknowledges the request */
    pkt(&t, S, 4000000000u, 123456 + 50, TCP_ACK | TCP_PSH, r, 80);
    cr_assert_eq(st(&t)->midstream_pickups, 1);
    cr_assert_eq(t.r->events[S][STREAM_EV_MIDSTREAM], 1);
    cr_assert_eq(t.r->len[S], 0);
    pkt(&t, C, 123456, 4000000000u, TCP_ACK | TCP_PSH, q, 50);
    expect_pattern(&t, C, 0, 50);
    expect_pattern(&t, S, 0, 80);
    cr_assert_eq(t.r->op[0].dir, C, "request first");
    cr_assert_eq(t.r->op[1].dir, S);
    cr_assert_eq(st(&t)->midstream_pickups, 1);
    cr_assert_eq(t.r->events[C][STREAM_EV_MIDSTREAM], 0);
    t_fini(&t);
}

Test(stream_session, takes_the_client_base_from_the_syn_ack_when_the_syn_is_missing)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    pkt(&t, S, SISN, CISN + 1, TCP_SYN | TCP_ACK, NULL, 0);
    uint8_t q[30];
    fill(q, C, 0, 30);
    cdata(&t, 10, 0, q + 10, 20);
    cdata(&t, 0, 0, q, 10);
    expect_pattern(&t, C, 0, 30);
    cr_assert_eq(st(&t)->midstream_pickups, 0);
    cr_assert_eq(st(&t)->synack, 1);
    cr_assert_eq(st(&t)->syn, 0);
    t_fini(&t);
}

/* ---- the ordering rule ---- */

Test(stream_session, delivers_a_request_before_its_response_captured_first)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    static const char req[] = "GET /x HTTP/1.1\r\n\r\n";
    static const char resp[] = "HTTP/1.1 204 No Content\r\n\r\n";
    const uint32_t qlen = sizeof(req) - 1, rlen = sizeof(resp) - 1;
    sdata(&t, 0, qlen, resp, rlen);
    cr_assert_eq(t.r->nops, 0, "the response waits for its request");
    cr_assert_eq(st(&t)->ordering_waits, 1);
    cdata(&t, 0, 0, req, qlen);
    cr_assert_eq(t.r->nops, 2);
    cr_assert_eq(t.r->op[0].dir, C);
    cr_assert_eq(t.r->op[0].ptr, (const uint8_t *)req, "the request itself goes zero copy");
    cr_assert_eq(t.r->op[1].dir, S);
    cr_assert_geq(t.r->op[1].other, qlen, "the response saw the whole request first");
    expect_stream(&t, C, req, qlen);
    expect_stream(&t, S, resp, rlen);
    cr_assert_eq(st(&t)->reassembly_memuse, 0);
    t_fini(&t);
}

Test(stream_session, pipelined_exchanges_interleave_by_acknowledgement)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t q[300], r[300];
    fill(q, C, 0, 300);
    fill(r, S, 0, 300);
    /* capture order: resp2, resp1, req1, req2 */
    sdata(&t, 100, 200, r + 100, 200); /* resp2 acks both requests */
    sdata(&t, 0, 100, r, 100);         /* resp1 acks req1 */
    cdata(&t, 0, 0, q, 100);           /* req1 */
    cr_assert_eq(t.r->nops, 2);
    cr_assert_eq(t.r->op[1].dir, S);
    cr_assert_eq(t.r->op[1].len, 100, "resp1 goes, resp2 still waits for req2");
    cdata(&t, 100, 100, q + 100, 200); /* req2, sent after resp1 arrived */
    cr_assert_eq(t.r->nops, 4);
    cr_assert_eq(t.r->op[2].dir, C);
    cr_assert_eq(t.r->op[3].dir, S);
    expect_pattern(&t, C, 0, 300);
    expect_pattern(&t, S, 0, 300);
    t_fini(&t);
}

Test(stream_session, waiting_data_the_memcap_cannot_keep_goes_out_of_order)
{
    struct t t;
    t_init(&t, stream_store_cost(10), 1 << 20);
    handshake(&t);
    uint8_t q[50], r[100];
    fill(q, C, 0, 50);
    fill(r, S, 0, 100);
    sdata(&t, 0, 50, r, 100); /* must wait for the request, but does not fit */
    cr_assert_eq(t.r->nops, 1);
    cr_assert_eq(t.r->op[0].ptr, r, "delivered from the packet rather than lost");
    cr_assert_eq(t.r->events[S][STREAM_EV_WAIT_LIMIT], 1);
    cr_assert_eq(st(&t)->segment_memcap_drop, 0);
    cdata(&t, 0, 0, q, 50);
    expect_pattern(&t, C, 0, 50);
    expect_pattern(&t, S, 0, 100);
    t_fini(&t);
}

Test(stream_session, ack_of_the_peer_fin_holds_nothing_back)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t q[40], r[40];
    fill(q, C, 0, 40);
    fill(r, S, 0, 40);
    pkt(&t, C, CISN + 1, SISN + 1, TCP_ACK | TCP_FIN, q, 40);
    /* the response acknowledges the request and its FIN (one more) */
    pkt(&t, S, SISN + 1, CISN + 1 + 41, TCP_ACK, r, 40);
    expect_pattern(&t, C, 0, 40);
    expect_pattern(&t, S, 0, 40);
    cr_assert_eq(st(&t)->ordering_waits, 0);
    t_fini(&t);
}

Test(stream_session, absurd_ack_does_not_hold_data)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t q[40];
    fill(q, C, 0, 40);
    pkt(&t, C, CISN + 1, SISN + 1 + 0x60000000u, TCP_ACK, q, 40);
    expect_pattern(&t, C, 0, 40);
    cr_assert_eq(t.r->gaps[S], 0);
    t_fini(&t);
}

Test(stream_session, one_sided_stream_goes_once_the_bound_is_passed)
{
    struct t t;
    t_init(&t, 1 << 20, 1000);
    uint8_t a[3000];
    fill(a, C, 0, 3000);
    /* only the client is captured, no handshake: the server base is unknown */
    for (uint32_t off = 0; off < 1000; off += 250)
        pkt(&t, C, 9000 + off, 7000, TCP_ACK, a + off, 250);
    cr_assert_eq(t.r->len[C], 0, "1000 bytes wait: not over the bound");
    pkt(&t, C, 10000, 7000, TCP_ACK, a + 1000, 250);
    expect_pattern(&t, C, 0, 1250);
    cr_assert_eq(t.r->events[C][STREAM_EV_WAIT_LIMIT], 1);
    cr_assert_eq(t.r->gaps[S], 0, "nothing of the server is known to be missing");
    pkt(&t, C, 10250, 7000, TCP_ACK, a + 1250, 1750);
    cr_assert_eq(t.r->op[t.r->nops - 1].ptr, a + 1250, "later data goes zero copy");
    expect_pattern(&t, C, 0, 3000);
    cr_assert_eq(st(&t)->ordering_waits, 1);
    t_fini(&t);
}

Test(stream_session, one_sided_stream_goes_at_close)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    uint8_t a[300];
    fill(a, S, 0, 300);
    pkt(&t, S, 50, 60, TCP_ACK, a, 100);
    pkt(&t, S, 250, 60, TCP_ACK, a + 200, 100);
    pkt(&t, S, 150, 60, TCP_ACK, a + 100, 100);
    cr_assert_eq(t.r->len[S], 0);
    t_close(&t);
    expect_pattern(&t, S, 0, 300);
    cr_assert_eq(t.r->gaps[S] + t.r->gaps[C], 0);
    cr_assert_eq(t.r->events[S][STREAM_EV_WAIT_LIMIT], 0, "closing is no limit");
    t_fini(&t);
}

Test(stream_session, missing_response_becomes_a_gap_before_the_next_request)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t q[200];
    fill(q, C, 0, 200);
    cdata(&t, 0, 0, q, 100);
    /* the 500-byte response was never captured; the next request acks it */
    cdata(&t, 100, 500, q + 100, 100);
    cr_assert_eq(t.r->len[C], 100);
    t_close(&t);
    cr_assert_eq(t.r->nops, 3);
    cr_assert_eq(t.r->op[1].kind, 'G');
    cr_assert_eq(t.r->op[1].dir, S);
    cr_assert_eq(t.r->op[1].len, 500);
    cr_assert_eq(t.r->op[2].kind, 'D');
    cr_assert_eq(t.r->op[2].dir, C);
    expect_pattern(&t, C, 0, 200);
    t_fini(&t);
}

/* ---- FIN, RST, close ---- */

Test(stream_session, ignores_data_past_the_fin)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t a[100];
    fill(a, C, 0, 100);
    cdata(&t, 60, 0, a + 60, 40); /* stored, partly past the FIN to come */
    pkt(&t, C, CISN + 1, SISN + 1, TCP_ACK | TCP_FIN, a, 50);
    cdata(&t, 50, 0, a + 50, 50);
    t_close(&t);
    expect_pattern(&t, C, 0, 50);
    cr_assert_eq(t.r->gaps[C], 0);
    t_fini(&t);
}

Test(stream_session, fin_after_missing_data_reports_the_gap_at_close)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t a[50];
    fill(a, C, 0, 50);
    cdata(&t, 0, 0, a, 50);
    pkt(&t, C, CISN + 1 + 100, SISN + 1, TCP_ACK | TCP_FIN, NULL, 0);
    cr_assert_eq(t.r->gaps[C], 0);
    t_close(&t);
    cr_assert_eq(t.r->gaps[C], 1);
    cr_assert_eq(t.r->gap_bytes[C], 50);
    t_fini(&t);
}

Test(stream_session, fin_from_both_sides_flushes_what_waits)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t a[100];
    fill(a, C, 0, 100);
    cdata(&t, 50, 0, a + 50, 50); /* [0,50) never captured */
    pkt(&t, C, CISN + 1 + 100, SISN + 1, TCP_ACK | TCP_FIN, NULL, 0);
    cr_assert_eq(t.r->len[C], 0);
    pkt(&t, S, SISN + 1, CISN + 1, TCP_FIN, NULL, 0); /* no ACK flag: acks nothing */
    cr_assert_eq(t.r->gap_bytes[C], 50);
    cr_assert_arr_eq(t.r->buf[C], a + 50, 50);
    t_fini(&t);
}

Test(stream_session, rst_is_counted_and_flushes_what_waits)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t a[20];
    fill(a, C, 0, 20);
    cdata(&t, 10, 0, a + 10, 10);
    pkt(&t, S, SISN + 1, 0, TCP_RST, NULL, 0);
    cr_assert_eq(st(&t)->rst, 1);
    cr_assert_eq(t.r->nops, 2);
    cr_assert_eq(t.r->op[0].kind, 'G');
    cr_assert_eq(t.r->op[0].len, 10);
    cr_assert_arr_eq(t.r->buf[C], a + 10, 10);
    cr_assert_eq(st(&t)->reassembly_memuse, 0);
    t_fini(&t);
}

Test(stream_session, close_flushes_both_sides_with_gaps_in_order)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t q[400], r[400];
    fill(q, C, 0, 400);
    fill(r, S, 0, 400);
    /* the responses come first, so their acks find no client hole yet */
    sdata(&t, 200, 400, r + 200, 200); /* acks all of the request */
    sdata(&t, 0, 50, r, 100);          /* [100,200) of the response lost */
    cdata(&t, 300, 0, q + 300, 100);
    cdata(&t, 100, 0, q + 100, 100);   /* [0,100) and [200,300) lost */
    cr_assert_eq(t.r->nops, 0);
    t_close(&t);
    const char kinds[] = "GDDGDGD";
    const int dirs[] = {C, C, S, C, C, S, S};
    const uint64_t lens[] = {100, 100, 100, 100, 100, 100, 200};
    cr_assert_eq(t.r->nops, 7);
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(t.r->op[i].kind, kinds[i], "op %zu", i);
        cr_assert_eq(t.r->op[i].dir, dirs[i], "op %zu", i);
        cr_assert_eq(t.r->op[i].len, lens[i], "op %zu", i);
    }
    cr_assert_geq(t.r->op[2].other, 50, "the response's head after what it acks");
    cr_assert_arr_eq(t.r->buf[C], q + 100, 100);
    cr_assert_arr_eq(t.r->buf[C] + 100, q + 300, 100);
    cr_assert_arr_eq(t.r->buf[S], r, 100);
    cr_assert_eq(t.r->op[6].other, 400, "the response's tail after the whole request");
    cr_assert_eq(st(&t)->reassembly_memuse, 0);
    t_fini(&t);
}

Test(stream_session, mutual_hold_is_broken_at_close_client_first)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    handshake(&t);
    uint8_t q[50], r[50];
    fill(q, C, 0, 50);
    fill(r, S, 0, 50);
    /* each side claims to have received the other's data: no valid order */
    cdata(&t, 0, 50, q, 50);
    sdata(&t, 0, 50, r, 50);
    cr_assert_eq(t.r->nops, 0);
    t_close(&t);
    cr_assert_eq(t.r->nops, 2);
    cr_assert_eq(t.r->op[0].dir, C);
    cr_assert_eq(t.r->op[1].dir, S);
    expect_pattern(&t, C, 0, 50);
    expect_pattern(&t, S, 0, 50);
    cr_assert_eq(t.r->gaps[C] + t.r->gaps[S], 0);
    t_fini(&t);
}

Test(stream_session, syn_payload_starts_at_isn_plus_one)
{
    struct t t;
    t_init(&t, 1 << 20, 1 << 20);
    uint8_t a[30];
    fill(a, C, 0, 30);
    pkt(&t, C, CISN, 0, TCP_SYN, a, 10);
    pkt(&t, S, SISN, CISN + 11, TCP_SYN | TCP_ACK, NULL, 0);
    cdata(&t, 10, 0, a + 10, 20);
    expect_pattern(&t, C, 0, 30);
    t_fini(&t);
}

Test(stream_session, names_its_events)
{
    cr_assert_str_eq(stream_event_name(STREAM_EV_OVERLAP_DIFF), "reassembly_overlap_different_data");
    cr_assert_str_eq(stream_event_name(STREAM_EV_SEQ_GAP), "reassembly_seq_gap");
    cr_assert_str_eq(stream_event_name(STREAM_EV_MIDSTREAM), "midstream_pickup");
    cr_assert_str_eq(stream_event_name(STREAM_EV_WAIT_LIMIT), "reassembly_ordering_limit");
    cr_assert_str_eq(stream_event_name(STREAM_EV_MAX), "unknown");
}

/* ---- whole versus split, randomised permutations ---- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: reproducible from its seed */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

Test(stream_session, whole_and_split_deliver_the_same_bytes)
{
    enum { N = 20000 };
    static uint8_t a[N];
    fill(a, C, 0, N);

    struct t whole;
    t_init(&whole, 1 << 20, 1 << 20);
    handshake(&whole);
    cdata(&whole, 0, 0, a, N);
    cr_assert_eq(whole.r->nops, 1);

    struct t split;
    t_init(&split, 1 << 20, 1 << 20);
    handshake(&split);
    uint64_t rs = 42;
    for (uint32_t off = 0; off < N;) {
        uint64_t want = 1 + rng_next(&rs) % 97; /* PS_MIN evaluates twice */
        uint32_t len = (uint32_t)PS_MIN(want, (uint64_t)(N - off));
        cdata(&split, off, 0, a + off, len);
        off += len;
    }
    cr_assert_eq(split.r->len[C], whole.r->len[C]);
    cr_assert_arr_eq(split.r->buf[C], whole.r->buf[C], N);
    cr_assert_eq(stream_ctx_stats(split.sc)->reassembly_memuse_max, 0);
    t_fini(&whole);
    t_fini(&split);
}

struct fz_seg {
    int dir;
    uint32_t off, len, ack_off;
};

static void fz_shuffle(struct fz_seg *v, size_t n, uint64_t *rs)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(rs) % i);
        struct fz_seg tmp = v[i - 1];
        v[i - 1] = v[j];
        v[j] = tmp;
    }
}

/* Cuts [off, off+len) of `dir` into random segments, some duplicated and
 * some overlapping their neighbour; appends them to v. */
static size_t fz_cut(struct fz_seg *v, size_t n, int dir, uint32_t off, uint32_t len,
                     uint32_t ack_off, uint64_t *rs)
{
    uint32_t end = off + len;
    while (off < end) {
        uint64_t want = 1 + rng_next(rs) % 700; /* PS_MIN evaluates twice */
        uint32_t l = (uint32_t)PS_MIN(want, (uint64_t)(end - off));
        v[n++] = (struct fz_seg){dir, off, l, ack_off};
        if (rng_next(rs) % 5 == 0)
            v[n++] = (struct fz_seg){dir, off, l, ack_off};
        if (rng_next(rs) % 7 == 0 && off > 0) {
            uint64_t reach = 1 + rng_next(rs) % 100;
            uint32_t back = (uint32_t)PS_MIN(reach, (uint64_t)off);
            v[n++] = (struct fz_seg){dir, off - back, back + l, ack_off};
        }
        off += l;
    }
    return n;
}

static void fz_send(struct t *t, const struct fz_seg *s, uint8_t *const bytes[2])
{
    if (s->dir == C)
        cdata(t, s->off, s->ack_off, bytes[C] + s->off, s->len);
    else
        sdata(t, s->off, s->ack_off, bytes[S] + s->off, s->len);
}

Test(stream_session, random_permutations_with_duplicates_rebuild_both_streams)
{
    enum { N = 30000, MAXSEG = 3 * N };
    uint8_t *bytes[2] = {malloc(N), malloc(N)};
    fill(bytes[C], C, 0, N);
    fill(bytes[S], S, 0, N);
    struct fz_seg *v = malloc(MAXSEG * sizeof(*v));
    uint64_t ooo = 0, retrans = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        uint64_t rs = seed * 0x9E3779B97F4A7C15ULL;
        struct t t;
        t_init(&t, 64 << 20, 1 << 30);
        handshake(&t);
        uint32_t clen = 1 + (uint32_t)(rng_next(&rs) % N), slen = (uint32_t)(rng_next(&rs) % N);
        /* acks name the peer's first byte, so nothing has to wait */
        size_t n = fz_cut(v, 0, C, 0, clen, 0, &rs);
        n = fz_cut(v, n, S, 0, slen, 0, &rs);
        fz_shuffle(v, n, &rs);
        for (size_t i = 0; i < n; i++)
            fz_send(&t, &v[i], bytes);
        expect_pattern(&t, C, 0, clen);
        expect_pattern(&t, S, 0, slen);
        ooo += st(&t)->ooo_segments;
        retrans += st(&t)->retransmissions;
        cr_assert_eq(t.r->gaps[C] + t.r->gaps[S], 0, "seed %lu", (unsigned long)seed);
        cr_assert_eq(st(&t)->overlap_diff_data, 0);
        cr_assert_eq(st(&t)->reassembly_memuse, 0, "nothing left waiting");
        t_close(&t);
        cr_assert_eq(t.r->len[C], clen, "close adds nothing");
        t_fini(&t);
    }
    cr_assert_gt(ooo, 1000, "the permutations did reorder");
    cr_assert_gt(retrans, 100, "and duplicate");
    free(v);
    free(bytes[C]);
    free(bytes[S]);
}

/* A conversation of alternating requests and responses, each acking the
 * other side's bytes seen so far. Segments are shuffled within a message
 * and some responses are captured before their request. */
#define CONV_MSGS 12
#define CONV_MAXB (CONV_MSGS * 4000)

struct conv {
    uint32_t qend[CONV_MSGS], rend[CONV_MSGS]; /* where each message ends */
    size_t nseg;
};

static void conv_swap_back(struct fz_seg *v, size_t q0, size_t r0, size_t n)
{
    size_t nq = r0 - q0, nr = n - r0;
    struct fz_seg *tmp = malloc((nq + nr) * sizeof(*tmp));
    memcpy(tmp, v + r0, nr * sizeof(*tmp));
    memcpy(tmp + nr, v + q0, nq * sizeof(*tmp));
    memcpy(v + q0, tmp, (nq + nr) * sizeof(*tmp));
    free(tmp);
}

static void conv_build(struct conv *cv, struct fz_seg *v, uint64_t *rs)
{
    uint32_t qoff = 0, roff = 0;
    size_t n = 0;
    for (int m = 0; m < CONV_MSGS; m++) {
        uint32_t ql = 1 + (uint32_t)(rng_next(rs) % 4000);
        uint32_t rl = 1 + (uint32_t)(rng_next(rs) % 4000);
        size_t q0 = n;
        n = fz_cut(v, n, C, qoff, ql, roff, rs);
        fz_shuffle(v + q0, n - q0, rs);
        cv->qend[m] = qoff += ql;
        size_t r0 = n;
        n = fz_cut(v, n, S, roff, rl, qoff, rs);
        fz_shuffle(v + r0, n - r0, rs);
        cv->rend[m] = roff += rl;
        if (rng_next(rs) % 2) /* capture the response first */
            conv_swap_back(v, q0, r0, n);
    }
    cv->nseg = n;
}

/* Each delivered piece came after everything its message acknowledges. */
static void conv_check_order(const struct t *t, const struct conv *cv, uint64_t seed)
{
    for (size_t i = 0; i < t->r->nops; i++) {
        const struct rec_op *op = &t->r->op[i];
        int m = 0;
        if (op->dir == S) { /* response m acks request m */
            while (cv->rend[m] <= op->off)
                m++;
            cr_assert_geq(op->other, cv->qend[m], "seed %lu op %zu", (unsigned long)seed, i);
        } else { /* request m acks response m-1 */
            while (cv->qend[m] <= op->off)
                m++;
            cr_assert_geq(op->other, m > 0 ? cv->rend[m - 1] : 0, "seed %lu op %zu",
                          (unsigned long)seed, i);
        }
    }
}

Test(stream_session, random_conversations_keep_acknowledged_order)
{
    uint8_t *bytes[2] = {malloc(CONV_MAXB), malloc(CONV_MAXB)};
    fill(bytes[C], C, 0, CONV_MAXB);
    fill(bytes[S], S, 0, CONV_MAXB);
    struct fz_seg *v = malloc(3 * CONV_MAXB * sizeof(*v));
    uint64_t waits = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        uint64_t rs = seed * 0xD1B54A32D192ED03ULL;
        struct conv cv;
        conv_build(&cv, v, &rs);
        struct t t;
        t_init(&t, 64 << 20, 1 << 30);
        handshake(&t);
        for (size_t i = 0; i < cv.nseg; i++)
            fz_send(&t, &v[i], bytes);
        expect_pattern(&t, C, 0, cv.qend[CONV_MSGS - 1]);
        expect_pattern(&t, S, 0, cv.rend[CONV_MSGS - 1]);
        cr_assert_eq(t.r->gaps[C] + t.r->gaps[S], 0, "seed %lu", (unsigned long)seed);
        cr_assert_eq(st(&t)->reassembly_memuse, 0, "nothing left waiting");
        conv_check_order(&t, &cv, seed);
        waits += st(&t)->ordering_waits;
        t_fini(&t);
    }
    cr_assert_gt(waits, 60, "responses did arrive before their requests");
    free(v);
    free(bytes[C]);
    free(bytes[S]);
}

Test(stream_session, hostile_input_stays_within_memcap_and_never_crashes)
{
    static uint8_t junk[65535];
    uint64_t rs = 7;
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)rng_next(&rs);
    const uint64_t memcap = 256 * 1024;
    for (int round = 0; round < 20; round++) {
        struct t t;
        t_init(&t, memcap, 16 * 1024);
        uint32_t base[2] = {(uint32_t)rng_next(&rs), (uint32_t)rng_next(&rs)};
        for (int i = 0; i < 3000; i++) {
            int dir = (int)(rng_next(&rs) & 1);
            uint64_t x = rng_next(&rs);
            uint32_t seq = (x & 7) == 0 ? (uint32_t)rng_next(&rs)
                                        : base[dir] + (uint32_t)(rng_next(&rs) % 200000);
            uint32_t ack = (x & 0x38) == 0 ? (uint32_t)rng_next(&rs)
                                           : base[!dir] + (uint32_t)(rng_next(&rs) % 200000);
            uint32_t len = (x >> 8) % 50 == 0 ? 65535 : (uint32_t)((x >> 16) % 1500);
            if ((x >> 32) % 3 == 0)
                len = 0;
            uint32_t start = (uint32_t)(rng_next(&rs) % (sizeof(junk) - len + 1));
            pkt(&t, dir, seq, ack, (uint8_t)(x >> 40), junk + start, len);
            cr_assert_leq(st(&t)->reassembly_memuse, memcap);
        }
        cr_assert_leq(st(&t)->reassembly_memuse_max, memcap);
        t_close(&t);
        cr_assert_eq(st(&t)->reassembly_memuse, 0);
        t_fini(&t);
    }
}

Test(stream_session, sessions_and_segments_share_the_memcap)
{
    const size_t one = stream_session_cost(100);
    struct stream_config cfg = {.memcap = 2 * one + stream_store_cost(10), .gap_bound = 1 << 20};
    struct stream_ctx *sc = stream_ctx_create(&cfg);
    cr_assert_not_null(sc);
    struct tcp_session *a = stream_session_create_user(sc, 100);
    struct tcp_session *b = stream_session_create_user(sc, 100);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    uint8_t *room = stream_session_user(a);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(room[i], 0, "the caller's room starts zeroed");
    cr_assert_eq(stream_ctx_stats(sc)->session_memuse, 2 * one);
    cr_assert_null(stream_session_create_user(sc, 100), "a third session does not fit");
    cr_assert_eq(stream_ctx_stats(sc)->sessions, 2);

    /* b's data past a hole may use only what the sessions leave: 10 bytes */
    struct rec *r = calloc(1, sizeof(*r));
    r->buf[0] = malloc(REC_BYTES);
    r->buf[1] = malloc(REC_BYTES);
    struct stream_ops ops = {on_data, on_gap, on_event, r};
    uint8_t d[20];
    memset(d, 'x', sizeof(d));
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.tcp_flags = TCP_SYN;
    p.tcp_seq = 1000;
    p.ts = 1;
    stream_handle_packet(sc, b, PS_TOSERVER, &p, &ops);
    p.data = d;
    p.caplen = p.payload_len = 20;
    p.tcp_flags = TCP_ACK;
    p.tcp_seq = 1101; /* a 100-byte hole after the SYN */
    stream_handle_packet(sc, b, PS_TOSERVER, &p, &ops);
    cr_assert_eq(stream_ctx_stats(sc)->segment_memcap_drop, 1, "20 bytes do not fit in 10");
    p.caplen = p.payload_len = 10;
    stream_handle_packet(sc, b, PS_TOSERVER, &p, &ops);
    cr_assert_eq(stream_ctx_stats(sc)->reassembly_memuse, stream_store_cost(10));

    stream_session_destroy(sc, a);
    cr_assert_eq(stream_ctx_stats(sc)->session_memuse, one, "a's block is released");
    stream_session_destroy(sc, b);
    cr_assert_eq(stream_ctx_stats(sc)->session_memuse, 0);
    cr_assert_eq(stream_ctx_stats(sc)->reassembly_memuse, 0);
    stream_ctx_destroy(sc);
    free(r->buf[0]);
    free(r->buf[1]);
    free(r);
}
