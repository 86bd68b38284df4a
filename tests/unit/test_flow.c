/*
 * test_flow.c - the flow table: lookup in both directions, counters, TCP
 * and UDP state, timeouts per class, budgeted expiry, memcap eviction,
 * port reuse, flush, and a 100k-flow run that must leave nothing behind.
 *
 * Packet views are built by hand; p->hash comes from hash_flow() as the
 * dispatcher would set it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "hash.h"

/* Distinct timeouts, so a flow ending at the wrong boundary shows. */
#define T_TCP_NEW 60
#define T_TCP_EST 600
#define T_TCP_CLOSED 20
#define T_UDP_NEW 30
#define T_UDP_EST 300

#define ENDS_KEPT 64

/* What the end callback saw. */
struct ends {
    unsigned n;
    unsigned by_reason[4];
    struct flow seen[ENDS_KEPT]; /* copies of the first ENDS_KEPT flows */
    enum flow_end_reason why[ENDS_KEPT];
};

static struct ends ends;

static void on_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    struct ends *e = ctx;
    cr_assert_lt((unsigned)why, 4u);
    if (e->n < ENDS_KEPT) {
        e->seen[e->n] = *f;
        e->why[e->n] = why;
    }
    e->by_reason[why]++;
    e->n++;
}

static struct flow_config config(size_t memcap)
{
    struct flow_config c = {
        .memcap = memcap,
        .hash_size = 1024,
        .tcp_new = PS_SECONDS(T_TCP_NEW),
        .tcp_established = PS_SECONDS(T_TCP_EST),
        .tcp_closed = PS_SECONDS(T_TCP_CLOSED),
        .udp_new = PS_SECONDS(T_UDP_NEW),
        .udp_established = PS_SECONDS(T_UDP_EST),
    };
    return c;
}

static struct flow_table *table(size_t memcap)
{
    memset(&ends, 0, sizeof(ends));
    struct flow_config c = config(memcap);
    struct flow_table *ft = flow_table_create(&c, on_end, &ends);
    cr_assert_not_null(ft);
    return ft;
}

static struct ps_addr addr(const char *s)
{
    struct ps_addr a;
    memset(&a, 0, sizeof(a));
    cr_assert_eq(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, a.b), 1);
    return a;
}

/* A one-frame packet of 100 wire bytes at `sec` seconds. */
static struct packet pkt(uint8_t proto, const char *src, uint16_t sport, const char *dst,
                         uint16_t dport, uint8_t tcp_flags, uint64_t sec)
{
    struct packet p;
    memset(&p, 0, sizeof(p));
    p.flags = PKT_HAS_FLOW;
    p.ip_ver = strchr(src, ':') ? 6 : 4;
    p.proto = proto;
    p.src = addr(src);
    p.dst = addr(dst);
    p.sport = sport;
    p.dport = dport;
    p.tcp_flags = tcp_flags;
    p.ts = PS_SECONDS(sec);
    p.wire_frames = 1;
    p.wire_bytes = 100;
    p.wirelen = 100;
    p.hash = hash_flow(&p);
    return p;
}

/* TCP between client 10.0.0.1:40000 and server 10.0.0.2:80. */
static struct packet c2s(uint8_t flags, uint64_t sec)
{
    return pkt(6, "10.0.0.1", 40000, "10.0.0.2", 80, flags, sec);
}

static struct packet s2c(uint8_t flags, uint64_t sec)
{
    return pkt(6, "10.0.0.2", 80, "10.0.0.1", 40000, flags, sec);
}

/* A UDP flow from 10.1.x.y:port, one per index. */
static struct packet udp_n(uint32_t i, uint64_t sec)
{
    struct packet p = pkt(17, "10.1.0.0", 0, "10.9.9.9", 53, 0, sec);
    p.src.b[2] = (uint8_t)(i >> 8);
    p.src.b[3] = (uint8_t)i;
    p.sport = (uint16_t)(1024 + (i >> 16));
    p.hash = hash_flow(&p);
    return p;
}

static struct flow *get(struct flow_table *ft, const struct packet *p, enum flow_dir want)
{
    /* start on the wrong direction, so the check proves it was set */
    enum flow_dir dir = want == FLOW_TOSERVER ? FLOW_TOCLIENT : FLOW_TOSERVER;
    struct flow *f = flow_table_get(ft, p, &dir);
    cr_assert_not_null(f);
    cr_assert_eq(dir, want);
    return f;
}

/* Bytes the buckets of a table with config() take: memuse of a fresh one. */
static uint64_t bucket_bytes(void)
{
    struct flow_table *ft = table(1 << 30);
    uint64_t b = flow_table_stats(ft)->memuse;
    flow_table_destroy(ft);
    return b;
}

/* ---- lookup and counters ---- */

Test(flow_table, maps_both_directions_to_one_flow)
{
    struct flow_table *ft = table(64 << 20);
    struct packet a = c2s(TCP_SYN, 1), b = s2c(TCP_SYN | TCP_ACK, 1);
    struct flow *f = get(ft, &a, FLOW_TOSERVER);
    cr_assert_eq(get(ft, &b, FLOW_TOCLIENT), f);
    cr_assert_eq(get(ft, &a, FLOW_TOSERVER), f);

    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->total, 1);
    cr_assert_eq(st->tcp, 1);
    cr_assert_eq(st->active, 1);
    cr_assert_eq(f->sport, 40000);
    cr_assert_eq(f->dport, 80);
    cr_assert_eq(memcmp(&f->src, &a.src, sizeof(f->src)), 0);
    flow_table_destroy(ft);
}

Test(flow_table, counts_packets_bytes_and_flags_per_direction)
{
    struct flow_table *ft = table(64 << 20);
    uint64_t sizes[] = {100, 200, 300};
    struct flow *f = NULL;
    for (unsigned i = 0; i < 3; i++) {
        struct packet p = c2s(TCP_ACK | (i == 2 ? TCP_PSH : 0), 10 + i);
        p.wire_bytes = sizes[i];
        p.file_idx = 3;
        f = get(ft, &p, FLOW_TOSERVER);
    }
    struct packet r = s2c(TCP_ACK | TCP_URG, 20);
    r.wire_bytes = 1500;
    r.file_idx = 4;
    get(ft, &r, FLOW_TOCLIENT);

    cr_assert_eq(f->pkts[FLOW_TOSERVER], 3);
    cr_assert_eq(f->pkts[FLOW_TOCLIENT], 1);
    cr_assert_eq(f->bytes[FLOW_TOSERVER], 600);
    cr_assert_eq(f->bytes[FLOW_TOCLIENT], 1500);
    cr_assert_eq(f->tcp_flags[FLOW_TOSERVER], TCP_ACK | TCP_PSH);
    cr_assert_eq(f->tcp_flags[FLOW_TOCLIENT], TCP_ACK | TCP_URG);
    cr_assert_eq(f->start, PS_SECONDS(10));
    cr_assert_eq(f->last, PS_SECONDS(20));
    cr_assert_eq(f->file_idx, 4);
    flow_table_destroy(ft);
}

Test(flow_table, counts_every_fragment_of_a_reassembled_packet)
{
    struct flow_table *ft = table(64 << 20);
    struct packet p = pkt(17, "10.0.0.1", 5000, "10.0.0.2", 5001, 0, 1);
    p.flags |= PKT_REASSEMBLED;
    p.wire_frames = 3;
    p.wire_bytes = 1514 + 1514 + 642;
    struct flow *f = get(ft, &p, FLOW_TOSERVER);
    cr_assert_eq(f->pkts[FLOW_TOSERVER], 3);
    cr_assert_eq(f->bytes[FLOW_TOSERVER], 3670);
    cr_assert_eq(f->pkts[FLOW_TOCLIENT], 0);
    flow_table_destroy(ft);
}

Test(flow_table, keeps_last_at_the_latest_time_seen)
{
    struct flow_table *ft = table(64 << 20);
    struct packet a = c2s(TCP_SYN, 50), b = s2c(TCP_SYN | TCP_ACK, 49);
    struct flow *f = get(ft, &a, FLOW_TOSERVER);
    get(ft, &b, FLOW_TOCLIENT);
    cr_assert_eq(f->start, PS_SECONDS(50));
    cr_assert_eq(f->last, PS_SECONDS(50));
    flow_table_destroy(ft);
}

Test(flow_table, sets_a_flow_id_from_the_client_tuple_and_start)
{
    struct flow_table *ft = table(64 << 20);
    struct packet a = c2s(TCP_SYN, 7);
    struct flow *f = get(ft, &a, FLOW_TOSERVER);
    cr_assert_neq(f->flow_id, 0);
    cr_assert_lt(f->flow_id, 1ULL << 51);
    cr_assert_eq(f->flow_id, hash_flow_id(4, &a.src, &a.dst, 40000, 80, 6, PS_SECONDS(7)));
    cr_assert_eq(f->hash, a.hash);
    flow_table_destroy(ft);
}

Test(flow_table, separates_flows_by_outer_vlan)
{
    struct flow_table *ft = table(64 << 20);
    struct packet v10 = c2s(TCP_SYN, 1), v20 = c2s(TCP_SYN, 1);
    v10.nvlan = v20.nvlan = 1;
    v10.vlan[0] = 10;
    v20.vlan[0] = 20;
    v10.hash = hash_flow(&v10);
    v20.hash = hash_flow(&v20);
    struct flow *a = get(ft, &v10, FLOW_TOSERVER);
    struct flow *b = get(ft, &v20, FLOW_TOSERVER);
    cr_assert_neq(a, b);
    cr_assert_eq(a->vlan, 10);
    cr_assert_eq(b->vlan, 20);

    struct packet back = s2c(TCP_SYN | TCP_ACK, 2);
    back.nvlan = 1;
    back.vlan[0] = 20;
    back.hash = hash_flow(&back);
    cr_assert_eq(get(ft, &back, FLOW_TOCLIENT), b);
    cr_assert_eq(flow_table_stats(ft)->total, 2);
    flow_table_destroy(ft);
}

Test(flow_table, keys_ipv6_flows_in_both_directions)
{
    struct flow_table *ft = table(64 << 20);
    struct packet a = pkt(17, "2001:db8::1", 5353, "2001:db8::53", 53, 0, 1);
    struct packet b = pkt(17, "2001:db8::53", 53, "2001:db8::1", 5353, 0, 2);
    struct flow *f = get(ft, &a, FLOW_TOSERVER);
    cr_assert_eq(get(ft, &b, FLOW_TOCLIENT), f);
    cr_assert_eq(f->ip_ver, 6);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    cr_assert_eq(flow_table_stats(ft)->udp, 1);
    flow_table_destroy(ft);
}

/* ---- client orientation and state ---- */

Test(flow_table, makes_the_receiver_of_a_first_synack_the_client)
{
    struct flow_table *ft = table(64 << 20);
    struct packet sa = s2c(TCP_SYN | TCP_ACK, 1), ack = c2s(TCP_ACK, 2);
    struct flow *f = get(ft, &sa, FLOW_TOCLIENT);
    cr_assert_eq(memcmp(&f->src, &ack.src, sizeof(f->src)), 0);
    cr_assert_eq(f->sport, 40000);
    cr_assert_eq(f->dport, 80);
    cr_assert_eq(f->pkts[FLOW_TOCLIENT], 1);
    cr_assert_eq(f->pkts[FLOW_TOSERVER], 0);
    cr_assert_eq(f->state, FLOW_STATE_NEW);
    cr_assert_eq(get(ft, &ack, FLOW_TOSERVER), f);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    flow_table_destroy(ft);
}

Test(flow_table, establishes_after_the_three_way_handshake)
{
    struct flow_table *ft = table(64 << 20);
    struct packet syn = c2s(TCP_SYN, 1), sa = s2c(TCP_SYN | TCP_ACK, 1), ack = c2s(TCP_ACK, 1);
    struct flow *f = get(ft, &syn, FLOW_TOSERVER);
    cr_assert_eq(f->state, FLOW_STATE_NEW);
    get(ft, &sa, FLOW_TOCLIENT);
    cr_assert_eq(f->state, FLOW_STATE_NEW);
    get(ft, &ack, FLOW_TOSERVER);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    cr_assert_eq(f->tcp_seen, FLOW_SEEN_SYN | FLOW_SEEN_SYNACK);
    flow_table_destroy(ft);
}

Test(flow_table, closes_after_fin_from_both_sides)
{
    struct flow_table *ft = table(64 << 20);
    struct packet seq[] = {c2s(TCP_SYN, 1), s2c(TCP_SYN | TCP_ACK, 1), c2s(TCP_ACK, 1)};
    struct flow *f = NULL;
    for (unsigned i = 0; i < 3; i++)
        f = flow_table_get(ft, &seq[i], &(enum flow_dir){0});
    struct packet fin1 = c2s(TCP_FIN | TCP_ACK, 2), fin2 = s2c(TCP_FIN | TCP_ACK, 3);
    get(ft, &fin1, FLOW_TOSERVER);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    cr_assert_eq(f->tcp_seen & (FLOW_SEEN_FIN_TS | FLOW_SEEN_FIN_TC), FLOW_SEEN_FIN_TS);
    get(ft, &fin2, FLOW_TOCLIENT);
    cr_assert_eq(f->state, FLOW_STATE_CLOSED);
    cr_assert_eq(f->tcp_seen & (FLOW_SEEN_FIN_TS | FLOW_SEEN_FIN_TC),
                 FLOW_SEEN_FIN_TS | FLOW_SEEN_FIN_TC);
    struct packet last_ack = c2s(TCP_ACK, 4);
    get(ft, &last_ack, FLOW_TOSERVER);
    cr_assert_eq(f->state, FLOW_STATE_CLOSED);
    flow_table_destroy(ft);
}

Test(flow_table, closes_on_rst)
{
    struct flow_table *ft = table(64 << 20);
    struct packet syn = c2s(TCP_SYN, 1), rst = s2c(TCP_RST | TCP_ACK, 1);
    struct flow *f = get(ft, &syn, FLOW_TOSERVER);
    get(ft, &rst, FLOW_TOCLIENT);
    cr_assert_eq(f->state, FLOW_STATE_CLOSED);
    cr_assert(f->tcp_seen & FLOW_SEEN_RST);
    flow_table_destroy(ft);
}

Test(flow_table, establishes_a_midstream_flow_once_both_sides_ack)
{
    struct flow_table *ft = table(64 << 20);
    struct packet d1 = c2s(TCP_ACK | TCP_PSH, 1), d2 = c2s(TCP_ACK, 2), r = s2c(TCP_ACK, 3);
    struct flow *f = get(ft, &d1, FLOW_TOSERVER);
    get(ft, &d2, FLOW_TOSERVER);
    cr_assert_eq(f->state, FLOW_STATE_NEW);
    get(ft, &r, FLOW_TOCLIENT);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    cr_assert_eq(f->tcp_seen, 0);
    flow_table_destroy(ft);
}

Test(flow_table, establishes_udp_once_both_directions_are_seen)
{
    struct flow_table *ft = table(64 << 20);
    struct packet q = pkt(17, "10.0.0.1", 5353, "10.0.0.53", 53, 0, 1);
    struct packet q2 = q, a = pkt(17, "10.0.0.53", 53, "10.0.0.1", 5353, 0, 1);
    struct flow *f = get(ft, &q, FLOW_TOSERVER);
    get(ft, &q2, FLOW_TOSERVER);
    cr_assert_eq(f->state, FLOW_STATE_NEW);
    get(ft, &a, FLOW_TOCLIENT);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    flow_table_destroy(ft);
}

Test(flow_table, keeps_an_icmp_exchange_in_one_flow_with_the_first_type)
{
    struct flow_table *ft = table(64 << 20);
    struct packet req = pkt(1, "192.168.0.89", 8, "192.168.0.1", 0, 0, 1);
    struct packet rep = pkt(1, "192.168.0.1", 0, "192.168.0.89", 0, 0, 1);
    struct packet req6 = pkt(58, "fe80::1", 128, "fe80::2", 0, 0, 1);
    struct flow *f = get(ft, &req, FLOW_TOSERVER);
    cr_assert_eq(get(ft, &rep, FLOW_TOCLIENT), f);
    cr_assert_eq(f->icmp_type, 8);
    cr_assert_eq(f->icmp_code, 0);
    cr_assert_eq(f->sport, 0);
    cr_assert_eq(f->dport, 0);
    cr_assert_eq(f->state, FLOW_STATE_ESTABLISHED);
    struct flow *g = get(ft, &req6, FLOW_TOSERVER);
    cr_assert_eq(g->icmp_type, 128);

    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->icmpv4, 1);
    cr_assert_eq(st->icmpv6, 1);
    cr_assert_eq(st->total, 2);
    flow_table_destroy(ft);
}

/* ---- timeouts ---- */

/* One flow in each timeout class, all last active at t=100 s. */
static void make_one_flow_per_class(struct flow_table *ft)
{
    enum flow_dir d;
    uint64_t before = flow_table_stats(ft)->active;
    struct packet p[] = {
        /* TCP new: a lone SYN from port 1001 */
        pkt(6, "10.0.0.1", 1001, "10.0.0.2", 80, TCP_SYN, 100),
        /* TCP established: handshake on port 1002 */
        pkt(6, "10.0.0.1", 1002, "10.0.0.2", 80, TCP_SYN, 100),
        pkt(6, "10.0.0.2", 80, "10.0.0.1", 1002, TCP_SYN | TCP_ACK, 100),
        pkt(6, "10.0.0.1", 1002, "10.0.0.2", 80, TCP_ACK, 100),
        /* TCP closed: SYN then RST on port 1003 */
        pkt(6, "10.0.0.1", 1003, "10.0.0.2", 80, TCP_SYN, 100),
        pkt(6, "10.0.0.2", 80, "10.0.0.1", 1003, TCP_RST | TCP_ACK, 100),
        /* UDP new, port 1004; UDP established, port 1005 */
        pkt(17, "10.0.0.1", 1004, "10.0.0.2", 53, 0, 100),
        pkt(17, "10.0.0.1", 1005, "10.0.0.2", 53, 0, 100),
        pkt(17, "10.0.0.2", 53, "10.0.0.1", 1005, 0, 100),
    };
    for (size_t i = 0; i < PS_ARRAY_LEN(p); i++)
        cr_assert_not_null(flow_table_get(ft, &p[i], &d));
    cr_assert_eq(flow_table_stats(ft)->active, before + 5);
}

Test(flow_table, expires_each_class_exactly_at_its_timeout)
{
    struct flow_table *ft = table(64 << 20);
    make_one_flow_per_class(ft);
    /* in order of timeout: client port, state, timeout */
    static const struct {
        uint16_t port;
        enum flow_state state;
        uint64_t timeout;
    } order[] = {
        {1003, FLOW_STATE_CLOSED, T_TCP_CLOSED},
        {1004, FLOW_STATE_NEW, T_UDP_NEW},
        {1001, FLOW_STATE_NEW, T_TCP_NEW},
        {1005, FLOW_STATE_ESTABLISHED, T_UDP_EST},
        {1002, FLOW_STATE_ESTABLISHED, T_TCP_EST},
    };
    for (unsigned i = 0; i < PS_ARRAY_LEN(order); i++) {
        ps_time_t deadline = PS_SECONDS(100 + order[i].timeout);
        cr_assert_eq(flow_table_expire(ft, deadline - 1, 100), 0, "class %u early", i);
        cr_assert_eq(flow_table_expire(ft, deadline, 100), 1, "class %u on time", i);
        cr_assert_eq(ends.n, i + 1);
        cr_assert_eq(ends.why[i], FLOW_END_TIMEOUT);
        cr_assert_eq(ends.seen[i].sport, order[i].port);
        cr_assert_eq(ends.seen[i].state, order[i].state);
    }
    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->timeouts, 5);
    cr_assert_eq(st->active, 0);
    cr_assert_eq(st->end_new, 2);
    cr_assert_eq(st->end_established, 2);
    cr_assert_eq(st->end_closed, 1);
    flow_table_destroy(ft);
}

Test(flow_table, times_a_flow_out_from_its_last_packet)
{
    struct flow_table *ft = table(64 << 20);
    struct packet a = pkt(17, "10.0.0.1", 1000, "10.0.0.2", 53, 0, 0);
    struct packet b = a;
    b.ts = PS_SECONDS(T_UDP_NEW - 1);
    get(ft, &a, FLOW_TOSERVER);
    get(ft, &b, FLOW_TOSERVER);
    ps_time_t deadline = b.ts + PS_SECONDS(T_UDP_NEW);
    cr_assert_eq(flow_table_expire(ft, PS_SECONDS(T_UDP_NEW), 10), 0);
    cr_assert_eq(flow_table_expire(ft, deadline - 1, 10), 0);
    cr_assert_eq(flow_table_expire(ft, deadline, 10), 1);
    flow_table_destroy(ft);
}

Test(flow_table, expires_no_more_than_the_budget_per_call)
{
    struct flow_table *ft = table(64 << 20);
    for (uint32_t i = 0; i < 10; i++) {
        struct packet p = udp_n(i, i);
        get(ft, &p, FLOW_TOSERVER);
    }
    ps_time_t now = PS_SECONDS(1000);
    cr_assert_eq(flow_table_expire(ft, now, 3), 3);
    cr_assert_eq(flow_table_expire(ft, now, 3), 3);
    cr_assert_eq(flow_table_expire(ft, now, 3), 3);
    cr_assert_eq(flow_table_expire(ft, now, 3), 1);
    cr_assert_eq(flow_table_expire(ft, now, 3), 0);
    cr_assert_eq(ends.n, 10);
    /* oldest first */
    for (unsigned i = 0; i < 10; i++)
        cr_assert_eq(ends.seen[i].start, PS_SECONDS(i));
    flow_table_destroy(ft);
}

Test(flow_table, ends_an_idle_flow_when_its_next_packet_comes_too_late)
{
    struct flow_table *ft = table(64 << 20);
    struct packet a = pkt(17, "10.0.0.1", 1000, "10.0.0.2", 53, 0, 0);
    struct packet late = a;
    late.ts = PS_SECONDS(T_UDP_NEW);
    struct flow *f = get(ft, &a, FLOW_TOSERVER);
    uint64_t old_id = f->flow_id;
    f = get(ft, &late, FLOW_TOSERVER);
    cr_assert_eq(ends.n, 1);
    cr_assert_eq(ends.why[0], FLOW_END_TIMEOUT);
    cr_assert_eq(ends.seen[0].flow_id, old_id);
    cr_assert_eq(f->start, PS_SECONDS(T_UDP_NEW));
    cr_assert_eq(f->pkts[FLOW_TOSERVER], 1);
    cr_assert_neq(f->flow_id, old_id);
    cr_assert_eq(flow_table_stats(ft)->total, 2);
    flow_table_destroy(ft);
}

/* ---- memcap ---- */

Test(flow_table, evicts_oldest_when_memcap_reached)
{
    /* Room for exactly four entries besides the buckets. */
    size_t cap = bucket_bytes() + 4 * sizeof(struct flow) + sizeof(struct flow) / 2;
    struct flow_table *ft = table(cap);
    for (uint32_t i = 0; i < 4; i++) {
        struct packet p = udp_n(i, 1 + i);
        get(ft, &p, FLOW_TOSERVER);
    }
    uint64_t memuse = flow_table_stats(ft)->memuse;
    cr_assert_leq(memuse, cap);

    struct packet again = udp_n(0, 5); /* flow 0 active again: flow 1 is oldest */
    get(ft, &again, FLOW_TOSERVER);
    cr_assert_eq(ends.n, 0);

    struct packet fifth = udp_n(4, 6);
    struct flow *f = get(ft, &fifth, FLOW_TOSERVER);
    cr_assert_eq(ends.n, 1);
    cr_assert_eq(ends.why[0], FLOW_END_FORCED);
    struct packet one = udp_n(1, 0);
    cr_assert_eq(memcmp(&ends.seen[0].src, &one.src, sizeof(one.src)), 0);
    cr_assert_eq(ends.seen[0].last, PS_SECONDS(2));
    cr_assert_eq(f->start, PS_SECONDS(6));

    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->evicted, 1);
    cr_assert_eq(st->active, 4);
    cr_assert_eq(st->memcap_refused, 0);
    cr_assert_eq(st->memuse, memuse);
    cr_assert_eq(st->memcap, cap);
    flow_table_destroy(ft);
}

Test(flow_table, evicts_the_least_recent_flow_across_timeout_classes)
{
    size_t cap = bucket_bytes() + 2 * sizeof(struct flow) + sizeof(struct flow) / 2;
    struct flow_table *ft = table(cap);
    struct packet hs[] = {c2s(TCP_SYN, 1), s2c(TCP_SYN | TCP_ACK, 1), c2s(TCP_ACK, 1)};
    enum flow_dir d;
    for (unsigned i = 0; i < 3; i++)
        cr_assert_not_null(flow_table_get(ft, &hs[i], &d));
    struct packet u1 = udp_n(1, 2), u2 = udp_n(2, 3);
    get(ft, &u1, FLOW_TOSERVER);
    get(ft, &u2, FLOW_TOSERVER);

    cr_assert_eq(ends.n, 1);
    cr_assert_eq(ends.why[0], FLOW_END_FORCED);
    cr_assert_eq(ends.seen[0].proto, 6);
    cr_assert_eq(ends.seen[0].state, FLOW_STATE_ESTABLISHED);
    cr_assert_eq(flow_table_stats(ft)->end_established, 1);
    flow_table_destroy(ft);
}

Test(flow_table, ends_an_expired_flow_rather_than_evicting_a_live_one)
{
    size_t cap = bucket_bytes() + 2 * sizeof(struct flow) + sizeof(struct flow) / 2;
    struct flow_table *ft = table(cap);
    struct packet old = udp_n(0, 0), live = udp_n(1, 100), next = udp_n(2, 100);
    get(ft, &old, FLOW_TOSERVER);
    get(ft, &live, FLOW_TOSERVER);
    get(ft, &next, FLOW_TOSERVER);
    cr_assert_eq(ends.n, 1);
    cr_assert_eq(ends.why[0], FLOW_END_TIMEOUT);
    cr_assert_eq(ends.seen[0].start, 0);
    cr_assert_eq(flow_table_stats(ft)->evicted, 0);
    flow_table_destroy(ft);
}

Test(flow_table, refuses_a_flow_when_the_memcap_cannot_hold_one)
{
    size_t cap = bucket_bytes() + sizeof(struct flow) / 2;
    struct flow_table *ft = table(cap);
    struct packet p = c2s(TCP_SYN, 1);
    enum flow_dir dir;
    cr_assert_null(flow_table_get(ft, &p, &dir));
    cr_assert_null(flow_table_get(ft, &p, &dir));
    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->memcap_refused, 2);
    cr_assert_eq(st->total, 0);
    cr_assert_eq(st->active, 0);
    cr_assert_eq(st->evicted, 0);
    cr_assert_eq(ends.n, 0);
    flow_table_destroy(ft);
}

/* ---- reuse and flush ---- */

Test(flow_table, starts_a_new_flow_on_a_syn_after_close)
{
    struct flow_table *ft = table(64 << 20);
    struct packet syn = c2s(TCP_SYN, 1), rst = s2c(TCP_RST | TCP_ACK, 1);
    static int app_state;
    struct flow *f = get(ft, &syn, FLOW_TOSERVER);
    get(ft, &rst, FLOW_TOCLIENT);
    uint64_t old_id = f->flow_id;
    f->app = &app_state;

    struct packet again = c2s(TCP_SYN, 5);
    f = get(ft, &again, FLOW_TOSERVER);
    cr_assert_eq(ends.n, 1);
    cr_assert_eq(ends.seen[0].app, &app_state, "the callback sees the old flow's state");
    cr_assert_null(f->app, "the recycled entry starts clean");
    cr_assert_eq(ends.why[0], FLOW_END_TCP_REUSE);
    cr_assert_eq(ends.seen[0].flow_id, old_id);
    cr_assert_eq(ends.seen[0].pkts[FLOW_TOSERVER], 1);
    cr_assert_eq(ends.seen[0].pkts[FLOW_TOCLIENT], 1);
    cr_assert_eq(f->state, FLOW_STATE_NEW);
    cr_assert_eq(f->pkts[FLOW_TOSERVER], 1);
    cr_assert_eq(f->pkts[FLOW_TOCLIENT], 0);
    cr_assert_eq(f->start, PS_SECONDS(5));
    cr_assert_neq(f->flow_id, old_id);

    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->tcp_reuse, 1);
    cr_assert_eq(st->end_closed, 1);
    cr_assert_eq(st->total, 2);
    cr_assert_eq(st->active, 1);
    flow_table_destroy(ft);
}

Test(flow_table, keeps_a_retransmitted_syn_in_its_flow)
{
    struct flow_table *ft = table(64 << 20);
    struct packet syn = c2s(TCP_SYN, 1), again = c2s(TCP_SYN, 2);
    struct flow *f = get(ft, &syn, FLOW_TOSERVER);
    cr_assert_eq(get(ft, &again, FLOW_TOSERVER), f);
    cr_assert_eq(f->pkts[FLOW_TOSERVER], 2);
    cr_assert_eq(flow_table_stats(ft)->tcp_reuse, 0);
    cr_assert_eq(ends.n, 0);
    flow_table_destroy(ft);
}

Test(flow_table, flush_ends_every_flow_exactly_once)
{
    struct flow_table *ft = table(64 << 20);
    make_one_flow_per_class(ft); /* active at t=100 */
    for (uint32_t i = 0; i < 50; i++) {
        struct packet p = udp_n(i, 900 + i);
        get(ft, &p, FLOW_TOSERVER);
    }
    flow_table_flush(ft);
    cr_assert_eq(ends.n, 55);
    cr_assert_eq(ends.by_reason[FLOW_END_SHUTDOWN], 55);
    for (unsigned i = 0; i < ENDS_KEPT && i < ends.n; i++)
        for (unsigned j = i + 1; j < ENDS_KEPT && j < ends.n; j++)
            cr_assert_neq(ends.seen[i].flow_id, ends.seen[j].flow_id);
    /* least recently active first */
    cr_assert_eq(ends.seen[0].last, PS_SECONDS(100));
    cr_assert_eq(ends.seen[4].last, PS_SECONDS(100));
    cr_assert_eq(ends.seen[5].last, PS_SECONDS(900));
    cr_assert_eq(ends.seen[54].last, PS_SECONDS(949));

    const struct flow_stats *st = flow_table_stats(ft);
    cr_assert_eq(st->active, 0);
    cr_assert_eq(st->active_max, 55);
    cr_assert_eq(st->end_new, 52);
    cr_assert_eq(st->end_established, 2);
    cr_assert_eq(st->end_closed, 1);
    flow_table_flush(ft);
    cr_assert_eq(ends.n, 55);

    /* the table is usable after a flush */
    struct packet p = udp_n(0, 2000);
    get(ft, &p, FLOW_TOSERVER);
    cr_assert_eq(flow_table_stats(ft)->active, 1);
    flow_table_destroy(ft);
}

Test(flow_table, handles_100k_flows_and_reuses_their_entries)
{
    struct flow_table *ft = table(256 << 20);
    const uint32_t n = 100000;
    uint64_t memuse = 0;
    for (unsigned round = 0; round < 2; round++) {
        uint64_t t0 = round * 10000;
        for (uint32_t i = 0; i < n; i++) {
            struct packet p = udp_n(i, t0);
            get(ft, &p, FLOW_TOSERVER);
        }
        const struct flow_stats *st = flow_table_stats(ft);
        cr_assert_eq(st->active, n);
        cr_assert_eq(st->total, (uint64_t)n * (round + 1));
        if (round == 0)
            memuse = st->memuse;
        cr_assert_eq(st->memuse, memuse, "second round allocates nothing");

        ps_time_t now = PS_SECONDS(t0 + T_UDP_NEW);
        unsigned ended = 0, calls = 0, e;
        while ((e = flow_table_expire(ft, now, 1000)) > 0) {
            cr_assert_leq(e, 1000);
            ended += e;
            calls++;
        }
        cr_assert_eq(ended, n);
        cr_assert_eq(calls, n / 1000);
        cr_assert_eq(st->active, 0);
    }
    cr_assert_eq(ends.n, 2 * n);
    cr_assert_eq(flow_table_stats(ft)->active_max, n);
    flow_table_destroy(ft);
}

Test(flow_table, accepts_a_null_table_on_destroy)
{
    flow_table_destroy(NULL);
    cr_assert(true);
}

Test(flow_names, spell_states_and_reasons_as_eve_does)
{
    cr_assert_str_eq(flow_state_name(FLOW_STATE_NEW), "new");
    cr_assert_str_eq(flow_state_name(FLOW_STATE_ESTABLISHED), "established");
    cr_assert_str_eq(flow_state_name(FLOW_STATE_CLOSED), "closed");
    cr_assert_str_eq(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
    cr_assert_str_eq(flow_end_reason_name(FLOW_END_FORCED), "forced");
    cr_assert_str_eq(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
    cr_assert_str_eq(flow_end_reason_name(FLOW_END_TCP_REUSE), "tcp_reuse");
}
