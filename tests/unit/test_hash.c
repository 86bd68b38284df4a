/*
 * test_hash.c - flow hash symmetry, flow_id range and stability, SHA-1
 * against FIPS 180-1 vectors, Community ID against the spec's vectors and
 * an independent oracle.
 *
 * Expected values marked "python" were computed while writing the test
 * with Python's hashlib/base64/struct, independently of this code: the
 * Community ID input is struct.pack('!H', seed) + saddr + daddr +
 * struct.pack('!BBHH', proto, 0, sport, dport) after ordering the
 * endpoints, then '1:' + base64(sha1(...)).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"

static struct ps_addr addr(const char *s)
{
    struct ps_addr a;
    memset(&a, 0, sizeof(a));
    int ok = inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, a.b);
    cr_assert_eq(ok, 1, "bad address %s", s);
    return a;
}

static struct packet pkt(uint8_t proto, const char *src, uint16_t sport, const char *dst,
                         uint16_t dport)
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
    return p;
}

static struct packet reversed(const struct packet *p)
{
    struct packet r = *p;
    r.src = p->dst;
    r.dst = p->src;
    r.sport = p->dport;
    r.dport = p->sport;
    return r;
}

static void hex(const uint8_t d[20], char out[41])
{
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_sha1(const void *data, size_t len, const char *want)
{
    uint8_t d[20];
    char got[41];
    hash_sha1(data, len, d);
    hex(d, got);
    cr_assert_str_eq(got, want, "sha1 of %zu bytes", len);
}

static void cid(uint16_t seed, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                uint8_t proto, char out[HASH_COMMUNITY_ID_LEN])
{
    struct ps_addr s = addr(src), d = addr(dst);
    hash_community_id(seed, strchr(src, ':') ? 6 : 4, &s, &d, sport, dport, proto, out);
}

/* ---- flow hash ---- */

Test(hash_flow, is_equal_for_both_directions)
{
    struct packet tcp4 = pkt(6, "10.1.2.3", 51515, "192.0.2.80", 80);
    struct packet udp6 = pkt(17, "2001:db8::1", 5353, "2001:db8:ffff::53", 53);
    struct packet r4 = reversed(&tcp4), r6 = reversed(&udp6);
    cr_assert_eq(hash_flow(&tcp4), hash_flow(&r4));
    cr_assert_eq(hash_flow(&udp6), hash_flow(&r6));
    cr_assert_neq(hash_flow(&tcp4), hash_flow(&udp6));
}

Test(hash_flow, is_symmetric_when_addresses_are_equal)
{
    struct packet p = pkt(17, "127.0.0.1", 40000, "127.0.0.1", 53);
    struct packet r = reversed(&p);
    cr_assert_eq(hash_flow(&p), hash_flow(&r));
}

Test(hash_flow, separates_ports_protocols_and_vlans)
{
    struct packet a = pkt(6, "10.0.0.1", 1000, "10.0.0.2", 80);
    struct packet b = pkt(6, "10.0.0.1", 1001, "10.0.0.2", 80);
    struct packet c = pkt(17, "10.0.0.1", 1000, "10.0.0.2", 80);
    struct packet v = a;
    v.nvlan = 2;
    v.vlan[0] = 100;
    v.vlan[1] = 7;
    struct packet w = v;
    w.vlan[1] = 8; /* only the outermost VLAN counts */

    cr_assert_neq(hash_flow(&a), hash_flow(&b));
    cr_assert_neq(hash_flow(&a), hash_flow(&c));
    cr_assert_neq(hash_flow(&a), hash_flow(&v));
    cr_assert_eq(hash_flow(&v), hash_flow(&w));
    struct packet vr = reversed(&v);
    cr_assert_eq(hash_flow(&v), hash_flow(&vr));
}

Test(hash_flow, keeps_icmp_request_and_reply_together)
{
    /* ICMP type/code ride in sport/dport; they must not split the flow. */
    struct packet req = pkt(1, "192.168.0.89", 8, "192.168.0.1", 0);
    struct packet rep = pkt(1, "192.168.0.1", 0, "192.168.0.89", 0);
    struct packet req6 = pkt(58, "fe80::1", 128, "fe80::2", 0);
    struct packet rep6 = pkt(58, "fe80::2", 129, "fe80::1", 0);
    cr_assert_eq(hash_flow(&req), hash_flow(&rep));
    cr_assert_eq(hash_flow(&req6), hash_flow(&rep6));
}

Test(hash_flow, spreads_sequential_ports)
{
    /* 4096 client ports into 64 bins: no bin may be empty or hold more
     * than three times its share. */
    unsigned bins[64] = {0};
    for (unsigned i = 0; i < 4096; i++) {
        struct packet p = pkt(6, "10.0.0.1", (uint16_t)(20000 + i), "10.0.0.2", 80);
        bins[hash_flow(&p) % 64]++;
    }
    for (unsigned i = 0; i < 64; i++) {
        cr_assert_gt(bins[i], 0);
        cr_assert_lt(bins[i], 3 * 64);
    }
}

/* ---- flow_id ---- */

Test(hash_flow_id, is_direction_independent_nonzero_and_51_bits)
{
    struct ps_addr a = addr("128.232.110.120"), b = addr("66.35.250.204");
    ps_time_t t = PS_SECONDS(1700000000) + 123456;
    uint64_t fwd = hash_flow_id(4, &a, &b, 34855, 80, 6, t);
    uint64_t rev = hash_flow_id(4, &b, &a, 80, 34855, 6, t);
    cr_assert_eq(fwd, rev);
    cr_assert_neq(fwd, 0);
    cr_assert_lt(fwd, 1ULL << 51);
    cr_assert_eq(fwd, hash_flow_id(4, &a, &b, 34855, 80, 6, t), "deterministic");
}

Test(hash_flow_id, differs_by_start_time_and_tuple)
{
    struct ps_addr a = addr("2001:db8::10"), b = addr("2001:db8::20");
    ps_time_t t = PS_SECONDS(1600000000);
    uint64_t base = hash_flow_id(6, &a, &b, 40000, 443, 6, t);
    cr_assert_neq(base, hash_flow_id(6, &a, &b, 40000, 443, 6, t + 1));
    cr_assert_neq(base, hash_flow_id(6, &a, &b, 40001, 443, 6, t));
    cr_assert_neq(base, hash_flow_id(6, &a, &b, 40000, 443, 17, t));
}

Test(hash_flow_id, stays_in_range_over_many_inputs)
{
    struct ps_addr a = addr("10.0.0.1"), b = addr("10.0.0.2");
    for (unsigned i = 0; i < 100000; i++) {
        uint64_t id = hash_flow_id(4, &a, &b, (uint16_t)i, 80, 6, (ps_time_t)i * 7919);
        cr_assert(id != 0 && id < (1ULL << 51), "id %llu out of range", (unsigned long long)id);
    }
}

/* ---- SHA-1 ---- */

Test(hash_sha1, matches_fips_180_vectors)
{
    check_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha1(m448, strlen(m448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

Test(hash_sha1, matches_million_a_vector)
{
    static uint8_t buf[1000000];
    memset(buf, 'a', sizeof(buf));
    check_sha1(buf, sizeof(buf), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

Test(hash_sha1, pads_correctly_at_block_boundaries)
{
    /* python: hashlib.sha1(b'a' * n).hexdigest() */
    static const struct {
        size_t n;
        const char *want;
    } v[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
        {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
        {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
    };
    uint8_t buf[128];
    memset(buf, 'a', sizeof(buf));
    for (size_t i = 0; i < PS_ARRAY_LEN(v); i++)
        check_sha1(buf, v[i].n, v[i].want);

    /* python: hashlib.sha1(bytes(range(256)) * 3).hexdigest() */
    uint8_t seq[768];
    for (size_t i = 0; i < sizeof(seq); i++)
        seq[i] = (uint8_t)i;
    check_sha1(seq, sizeof(seq), "ac2a264c8ec1f4232a40854e8239bc3a697ab1d2");
}

/* ---- Community ID ---- */

Test(hash_community_id, matches_spec_vector_in_both_directions)
{
    char out[HASH_COMMUNITY_ID_LEN];
    cid(0, "128.232.110.120", 34855, "66.35.250.204", 80, 6, out);
    cr_assert_str_eq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    cid(0, "66.35.250.204", 80, "128.232.110.120", 34855, 6, out);
    cr_assert_str_eq(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

Test(hash_community_id, uses_the_seed)
{
    char out[HASH_COMMUNITY_ID_LEN];
    cid(1, "128.232.110.120", 34855, "66.35.250.204", 80, 6, out);
    cr_assert_str_eq(out, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
    cid(1, "66.35.250.204", 80, "128.232.110.120", 34855, 6, out);
    cr_assert_str_eq(out, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
}

Test(hash_community_id, matches_python_oracle_for_udp_and_ipv6)
{
    char out[HASH_COMMUNITY_ID_LEN];
    /* python, seed 0: UDP 192.168.1.52:54585 -> 8.8.8.8:53 */
    cid(0, "8.8.8.8", 53, "192.168.1.52", 54585, 17, out);
    cr_assert_str_eq(out, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    /* python, seed 0: TCP [2001:db8::1]:51000 -> [2001:db8::2]:80 */
    cid(0, "2001:db8::2", 80, "2001:db8::1", 51000, 6, out);
    cr_assert_str_eq(out, "1:sQdqFsD149XESOu89eFPGaWNfLs=");
    /* python, seed 7: UDP [fe80::1]:5353 -> [2001:4860:4860::8888]:53 */
    cid(7, "fe80::1", 5353, "2001:4860:4860::8888", 53, 17, out);
    cr_assert_str_eq(out, "1:PrbAY7FPAp3OYfLcfrLQhYebSOk=");
    /* python, seed 0: equal addresses, so the ports decide the order */
    cid(0, "10.0.0.1", 80, "10.0.0.1", 4000, 17, out);
    cr_assert_str_eq(out, "1:WRHkT+vbuYtS8wyMavCNsi30p0s=");
}

Test(hash_community_id, maps_icmp_echo_request_and_reply_to_one_id)
{
    char out[HASH_COMMUNITY_ID_LEN];
    /* python: ICMP echo as ports (8, 0) from 192.168.0.89 to 192.168.0.1 */
    cid(0, "192.168.0.89", 8, "192.168.0.1", 0, 1, out);
    cr_assert_str_eq(out, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    cid(0, "192.168.0.1", 0, "192.168.0.89", 0, 1, out); /* the echo reply */
    cr_assert_str_eq(out, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");

    /* python: ICMPv6 echo request 128 -> counterpart 129 */
    cid(0, "fe80::200:86ff:fe05:80da", 128, "fe80::260:97ff:fe07:69ea", 0, 58, out);
    cr_assert_str_eq(out, "1:QrVnZEjGihSsEkRF1XxqheQ1Za8=");
    cid(0, "fe80::260:97ff:fe07:69ea", 129, "fe80::200:86ff:fe05:80da", 0, 58, out);
    cr_assert_str_eq(out, "1:QrVnZEjGihSsEkRF1XxqheQ1Za8=");
}

Test(hash_community_id, keeps_one_way_icmp_in_sender_order)
{
    char out[HASH_COMMUNITY_ID_LEN], back[HASH_COMMUNITY_ID_LEN];
    /* python: port unreachable (type 3, code 3) is one-way: no reordering,
     * code in the dport slot, 192.168.0.1 stays first although larger. */
    cid(0, "192.168.0.1", 3, "10.0.0.5", 3, 1, out);
    cr_assert_str_eq(out, "1:VPoq7lltY1gd4mFwe9MKbfJhqo0=");
    cid(0, "10.0.0.5", 3, "192.168.0.1", 3, 1, back);
    cr_assert_str_neq(out, back);
}

Test(hash_community_id, has_fixed_length)
{
    char out[HASH_COMMUNITY_ID_LEN];
    cid(65535, "2001:db8::1", 65535, "2001:db8::1", 65535, 6, out);
    cr_assert_eq(strlen(out), 30); /* "1:" + 28 base64 characters */
    cr_assert_eq(strncmp(out, "1:", 2), 0);
    cr_assert_eq(out[29], '=');
}

/* ---- SHA-256 ---- */

static void check_sha256(const void *data, size_t len, const char *want)
{
    uint8_t d[32];
    char got[65];
    hash_sha256(data, len, d);
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", d[i]);
    cr_assert_str_eq(got, want, "sha256 of %zu bytes", len);
}

Test(hash_sha256, matches_fips_180_vectors)
{
    check_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha256(m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static uint8_t buf[1000000];
    memset(buf, 'a', sizeof(buf));
    check_sha256(buf, sizeof(buf),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(hash_sha256, pads_correctly_at_block_boundaries)
{
    /* python: hashlib.sha256(b'x' * n).hexdigest() */
    static uint8_t x[64];
    memset(x, 'x', sizeof(x));
    check_sha256(x, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    check_sha256(x, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    check_sha256(x, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

Test(hash_bytes64, changes_with_any_single_byte_and_with_the_length)
{
    /* 200 bytes cover every loop of the function: the 64-byte lanes, the
     * 32-byte and 8-byte steps and a partial tail word. */
    uint8_t buf[200];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(buf); n++) {
        uint64_t h = hash_bytes64(buf, n);
        cr_assert_eq(h, hash_bytes64(buf, n), "not deterministic at length %zu", n);
        for (size_t i = 0; i < n; i++) {
            for (unsigned bit = 0; bit < 8; bit++) {
                buf[i] ^= (uint8_t)(1u << bit);
                uint64_t flipped = hash_bytes64(buf, n);
                buf[i] ^= (uint8_t)(1u << bit);
                cr_assert_neq(flipped, h, "flipping bit %u of byte %zu of %zu went unseen", bit,
                              i, n);
            }
        }
    }
    /* Zero bytes of different lengths must not collide (the tail word is
     * zero-padded, so the length has to count). */
    static const uint8_t zero[200];
    for (size_t n = 0; n < sizeof(zero); n++)
        cr_assert_neq(hash_bytes64(zero, n), hash_bytes64(zero, n + 1), "length %zu", n);
}

Test(hash_bytes64, reads_unaligned_data)
{
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i ^ 0x5a);
    uint8_t copy[300 + 8];
    for (size_t off = 1; off < 8; off++) {
        memcpy(copy + off, buf, sizeof(buf));
        cr_assert_eq(hash_bytes64(copy + off, sizeof(buf)), hash_bytes64(buf, sizeof(buf)),
                     "offset %zu", off);
    }
}
