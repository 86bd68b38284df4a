/*
 * hash.c - flow identity (see hash.h).
 *
 * Three identities of one flow, for three readers:
 * - hash_flow: a fast 32-bit hash the dispatcher uses to pick a worker and
 *   the flow table to pick a bucket. Symmetric because the two endpoints
 *   are put in a canonical order before mixing. ICMP ports are left out so
 *   a request and its reply (different type values) stay together.
 * - hash_flow_id: the 51-bit flow_id of EVE, from the same canonical tuple
 *   mixed with the start time, so two flows on one 5-tuple differ.
 * - hash_community_id: Community ID v1, the cross-tool identifier; its
 *   byte layout and ICMP rules are fixed by the public spec, so it uses
 *   SHA-1 (our own FIPS 180-1 code below) rather than the fast mixer.
 *
 * The fast mixer is a multiply-rotate accumulator over 64-bit words with
 * a murmur3-style finaliser. The values depend on host byte order (words
 * are loaded as stored), which is fine: they never leave the process
 * except as flow_id, and flow_id only has to be unique and stable per run.
 *
 * Besides, for bytes rather than flows: hash_bytes64, the fingerprint of
 * each delivered TCP chunk and the checksum of each rules cache file (a
 * file only ever read on the platform that wrote it, so byte order does
 * not matter there either), and SHA-256 in hash_sha256.c.
 */
#include "hash.h"

#include <string.h>

#define HASH_PRIME1 0x9e3779b97f4a7c15ULL
#define HASH_PRIME2 0xc2b2ae3d27d4eb4fULL
#define HASH_FLOW_ID_MASK ((1ULL << 51) - 1)

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
#define PROTO_SCTP 132

/* The canonical tuple as five words: lower endpoint's address, higher
 * endpoint's address, then ports, protocol, IP version and VLAN. */
struct hash_key {
    uint64_t w[5];
};

static inline uint64_t hash_rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t hash_fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline bool hash_proto_is_icmp(uint8_t proto)
{
    return proto == PROTO_ICMP || proto == PROTO_ICMPV6;
}

/* True when endpoint a sorts after endpoint b: address bytes first (in
 * network order, i.e. numerically), then the port. */
static inline bool hash_endpoint_after(const uint8_t *a, uint16_t aport, const uint8_t *b,
                                       uint16_t bport, size_t alen)
{
    int c = memcmp(a, b, alen);
    return c > 0 || (c == 0 && aport > bport);
}

static void hash_key_build(struct hash_key *k, uint8_t ip_ver, const struct ps_addr *a,
                           const struct ps_addr *b, uint16_t aport, uint16_t bport, uint8_t proto,
                           uint16_t vlan)
{
    if (hash_endpoint_after(a->b, aport, b->b, bport, sizeof(a->b))) {
        const struct ps_addr *t = a;
        a = b;
        b = t;
        uint16_t tp = aport;
        aport = bport;
        bport = tp;
    }
    memcpy(&k->w[0], a->b, 16);
    memcpy(&k->w[2], b->b, 16);
    k->w[4] = (uint64_t)aport << 48 | (uint64_t)bport << 32 | (uint64_t)proto << 24 |
              (uint64_t)ip_ver << 16 | vlan;
}

static uint64_t hash_key_mix(const struct hash_key *k, uint64_t seed)
{
    uint64_t h = seed ^ HASH_PRIME2;
    for (size_t i = 0; i < PS_ARRAY_LEN(k->w); i++) {
        h ^= hash_rotl64(k->w[i] * HASH_PRIME1, 31) * HASH_PRIME2;
        h = hash_rotl64(h, 27) * HASH_PRIME1 + 0x52dce729;
    }
    return hash_fmix64(h ^ sizeof(k->w));
}

uint32_t hash_flow(const struct packet *p)
{
    struct hash_key k;
    bool icmp = hash_proto_is_icmp(p->proto);
    uint16_t vlan = p->nvlan ? p->vlan[0] : 0;

    hash_key_build(&k, p->ip_ver, &p->src, &p->dst, icmp ? 0 : p->sport, icmp ? 0 : p->dport,
                   p->proto, vlan);
    uint64_t h = hash_key_mix(&k, 0);
    return (uint32_t)(h ^ (h >> 32));
}

uint64_t hash_flow_id(uint8_t ip_ver, const struct ps_addr *src, const struct ps_addr *dst,
                      uint16_t sport, uint16_t dport, uint8_t proto, ps_time_t start)
{
    struct hash_key k;

    hash_key_build(&k, ip_ver, src, dst, sport, dport, proto, 0);
    uint64_t id = hash_key_mix(&k, hash_fmix64(start + HASH_PRIME1)) & HASH_FLOW_ID_MASK;
    return id != 0 ? id : 1; /* 0 reads as "no flow" downstream */
}

/* ---- fingerprint ---- */

/* Eight independent lanes keep the multiplies from waiting on each other:
 * a single chain made this function the top cost of a whole run, four
 * still left it at 5 % (perf, on the 1 GB bench corpus). */
static inline uint64_t hash_mix64(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9fb21c651e98df25ULL;
    return h ^ (h >> 29);
}

uint64_t hash_bytes64(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t a = 0x6a09e667f3bcc909ULL ^ n, b = 0xbb67ae8584caa73bULL, c = 0x3c6ef372fe94f82bULL,
             d = 0xa54ff53a5f1d36f1ULL, e = 0x510e527fade682d1ULL, f = 0x9b05688c2b3e6c1fULL,
             g = 0x1f83d9abfb41bd6bULL, k = 0x5be0cd19137e2179ULL;
    for (; n >= 64; p += 64, n -= 64) {
        uint64_t w[8];
        memcpy(w, p, 64);
        a = hash_mix64(a, w[0]);
        b = hash_mix64(b, w[1]);
        c = hash_mix64(c, w[2]);
        d = hash_mix64(d, w[3]);
        e = hash_mix64(e, w[4]);
        f = hash_mix64(f, w[5]);
        g = hash_mix64(g, w[6]);
        k = hash_mix64(k, w[7]);
    }
    a = hash_mix64(a, e);
    b = hash_mix64(b, f);
    c = hash_mix64(c, g);
    d = hash_mix64(d, k);
    for (; n >= 32; p += 32, n -= 32) {
        uint64_t w[4];
        memcpy(w, p, 32);
        a = hash_mix64(a, w[0]);
        b = hash_mix64(b, w[1]);
        c = hash_mix64(c, w[2]);
        d = hash_mix64(d, w[3]);
    }
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        a = hash_mix64(a, w);
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    uint64_t h = hash_mix64(a ^ ((uint64_t)n << 59), w);
    h = hash_mix64(h, b);
    h = hash_mix64(h, c);
    return hash_mix64(h, d);
}

/* ---- SHA-1 (FIPS 180-1) ---- */

struct sha1_ctx {
    uint32_t h[5];
    uint64_t total; /* bytes hashed so far */
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
};

static inline uint32_t sha1_rotl(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32 - r));
}

static void sha1_compress(uint32_t h[5], const uint8_t block[64])
{
    uint32_t w[80];
    for (unsigned t = 0; t < 16; t++)
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | block[4 * t + 3];
    for (unsigned t = 16; t < 80; t++)
        w[t] = sha1_rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (unsigned t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t tmp = sha1_rotl(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = sha1_rotl(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha1_init(struct sha1_ctx *c)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(c->h, iv, sizeof(iv));
    c->total = 0;
    c->used = 0;
}

static void sha1_update(struct sha1_ctx *c, const uint8_t *data, size_t len)
{
    c->total += len;
    while (len > 0) {
        size_t n = PS_MIN(len, sizeof(c->block) - c->used);
        memcpy(c->block + c->used, data, n);
        c->used += n;
        data += n;
        len -= n;
        if (c->used == sizeof(c->block)) {
            sha1_compress(c->h, c->block);
            c->used = 0;
        }
    }
}

/* Pad with 0x80, zeros and the 64-bit big-endian bit count, so the
 * message ends on a block boundary. */
static void sha1_final(struct sha1_ctx *c, uint8_t digest[20])
{
    uint64_t bits = c->total * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (c->used < 56 ? 56 : 120) - c->used;

    for (unsigned i = 0; i < 8; i++)
        pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_update(c, pad, padlen + 8);
    for (unsigned i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(c->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void hash_sha1(const uint8_t *data, size_t len, uint8_t digest[20])
{
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, data, len);
    sha1_final(&c, digest);
}

/* ---- Community ID v1 ---- */

/* Standard base64 with '=' padding; out needs 4 * ceil(len / 3) + 1. */
static void hash_base64(const uint8_t *in, size_t len, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* ICMP messages that come in request/reply pairs, per the Community ID
 * spec (which takes them from Zeek). Either column maps to the other. */
static const uint8_t cid_icmp4_pairs[][2] = {{8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
static const uint8_t cid_icmp6_pairs[][2] = {{128, 129}, {130, 131}, {133, 134},
                                             {135, 136}, {139, 140}, {144, 145}};

/* The spec's port equivalents: the type, and its counterpart type when it
 * has one; otherwise the code, and the tuple is one-way (not reordered). */
static bool cid_icmp_ports(uint8_t proto, uint16_t *sport, uint16_t *dport)
{
    const uint8_t(*pairs)[2] = proto == PROTO_ICMP ? cid_icmp4_pairs : cid_icmp6_pairs;
    size_t n = proto == PROTO_ICMP ? PS_ARRAY_LEN(cid_icmp4_pairs) : PS_ARRAY_LEN(cid_icmp6_pairs);
    uint16_t type = *sport;

    for (size_t i = 0; i < n; i++) {
        for (unsigned side = 0; side < 2; side++) {
            if (pairs[i][side] == type) {
                *dport = pairs[i][!side];
                return false;
            }
        }
    }
    return true; /* dport keeps the code */
}

static inline bool cid_proto_has_ports(uint8_t proto)
{
    return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP ||
           hash_proto_is_icmp(proto);
}

static inline size_t cid_put16(uint8_t *buf, size_t n, uint16_t v)
{
    buf[n] = (uint8_t)(v >> 8);
    buf[n + 1] = (uint8_t)v;
    return n + 2;
}

void hash_community_id(uint16_t seed, uint8_t ip_ver, const struct ps_addr *src,
                       const struct ps_addr *dst, uint16_t sport, uint16_t dport, uint8_t proto,
                       char out[HASH_COMMUNITY_ID_LEN])
{
    size_t alen = ip_ver == 6 ? 16 : 4;
    bool one_way = hash_proto_is_icmp(proto) && cid_icmp_ports(proto, &sport, &dport);

    if (!one_way && hash_endpoint_after(src->b, sport, dst->b, dport, alen)) {
        const struct ps_addr *t = src;
        src = dst;
        dst = t;
        uint16_t tp = sport;
        sport = dport;
        dport = tp;
    }

    /* seed . saddr . daddr . proto . 0 [. sport . dport], big-endian */
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = cid_put16(buf, 0, seed);
    memcpy(buf + n, src->b, alen);
    n += alen;
    memcpy(buf + n, dst->b, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (cid_proto_has_ports(proto)) {
        n = cid_put16(buf, n, sport);
        n = cid_put16(buf, n, dport);
    }

    uint8_t digest[20];
    hash_sha1(buf, n, digest);
    out[0] = '1';
    out[1] = ':';
    hash_base64(digest, sizeof(digest), out + 2);
}
