/*
 * defrag.c - IPv4 and IPv6 fragment reassembly (interface in defrag.h).
 *
 * One tracker per partial datagram, found through a small chained hash
 * table keyed by (version, source, destination, id, and the protocol for
 * IPv4), and linked on a list in creation order so that expiry stops at the
 * first tracker still young: the work of a sweep is bounded by what expires.
 *
 * Held data is a list of pieces sorted by offset that never overlap. An
 * arriving fragment is cut to the holes it fills, so the first data to
 * arrive wins, and bytes that overlap held data are compared on arrival: a
 * conflict is reported to the caller. Because pieces are disjoint, a
 * datagram is complete exactly when its last fragment fixed the length and
 * the held bytes add up to that length.
 *
 * Fragments are rare, so trackers and pieces are plain allocations, each
 * charged to the memcap with its struct overhead; none of this runs for
 * unfragmented packets.
 */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define DEFRAG_BUCKETS 1024u /* a power of two */
#define IPV4_MAX_DATAGRAM 65535u
#define IPV6_HDR_LEN 40u
#define IPV6_MAX_PAYLOAD 65535u
#define DEFRAG_DEFAULT_MEMCAP (32u * 1024 * 1024)
#define DEFRAG_DEFAULT_TIMEOUT PS_SECONDS(60)
#define DEFRAG_DEFAULT_MAX_FRAGS 256u

struct defrag_key {
    struct ps_addr src, dst;
    uint32_t id;
    uint8_t ip_ver, proto;
};

struct defrag_piece {
    struct defrag_piece *next;
    uint32_t start, len;
    uint8_t data[];
};

struct defrag_tracker {
    struct defrag_tracker *hnext;         /* hash chain */
    struct defrag_tracker *older, *newer; /* creation order */
    struct defrag_key key;
    uint32_t bucket;
    ps_time_t created;
    struct defrag_piece *pieces; /* sorted by start, disjoint */
    uint32_t held;               /* data bytes in pieces */
    uint32_t total;              /* payload length, known once last_seen */
    bool last_seen;
    uint8_t *hdr; /* header of the offset-0 fragment, the rebuild's header */
    uint32_t hdr_len, hdr_nh_off;
    uint8_t next_proto; /* v6: next header named by the offset-0 fragment */
    uint32_t frames;
    uint64_t wire_bytes;
    size_t charged; /* bytes counted against the memcap for this tracker */
};

struct defrag {
    struct decode_stats *st;
    size_t memcap, memuse;
    ps_time_t timeout;
    unsigned max_frags;
    struct defrag_tracker *buckets[DEFRAG_BUCKETS];
    struct defrag_tracker *oldest, *newest;
    uint8_t buf[DEFRAG_MAX_DATAGRAM]; /* the rebuilt datagram */
};

/* What placing one fragment over the held pieces would take. */
struct defrag_plan {
    uint32_t pieces, bytes;
    bool overlap;
};

struct defrag *defrag_create(const struct decode_config *cfg, struct decode_stats *st)
{
    struct defrag *df = calloc(1, sizeof(*df));
    if (df == NULL)
        return NULL;
    df->st = st;
    df->memcap = cfg && cfg->defrag_memcap ? cfg->defrag_memcap : DEFRAG_DEFAULT_MEMCAP;
    df->timeout = cfg && cfg->defrag_timeout ? cfg->defrag_timeout : DEFRAG_DEFAULT_TIMEOUT;
    df->max_frags = cfg && cfg->defrag_max_frags ? cfg->defrag_max_frags : DEFRAG_DEFAULT_MAX_FRAGS;
    st->frag_memcap = df->memcap;
    st->frag_memuse = 0;
    return df;
}

static void defrag_charge(struct defrag *df, struct defrag_tracker *t, size_t n)
{
    df->memuse += n;
    t->charged += n;
    df->st->frag_memuse = df->memuse;
}

static void defrag_uncharge(struct defrag *df, struct defrag_tracker *t, size_t n)
{
    df->memuse -= n;
    t->charged -= n;
    df->st->frag_memuse = df->memuse;
}

static void defrag_tracker_drop(struct defrag *df, struct defrag_tracker *t)
{
    struct defrag_tracker **link = &df->buckets[t->bucket];
    while (*link != t)
        link = &(*link)->hnext;
    *link = t->hnext;
    if (t->older != NULL)
        t->older->newer = t->newer;
    else
        df->oldest = t->newer;
    if (t->newer != NULL)
        t->newer->older = t->older;
    else
        df->newest = t->older;

    struct defrag_piece *pc = t->pieces;
    while (pc != NULL) {
        struct defrag_piece *next = pc->next;
        free(pc);
        pc = next;
    }
    free(t->hdr);
    defrag_uncharge(df, t, t->charged);
    free(t);
}

void defrag_destroy(struct defrag *df)
{
    if (df == NULL)
        return;
    while (df->oldest != NULL)
        defrag_tracker_drop(df, df->oldest);
    free(df);
}

static bool defrag_expired(const struct defrag *df, const struct defrag_tracker *t, ps_time_t now)
{
    return now > t->created && now - t->created > df->timeout;
}

static void defrag_timeout(struct defrag *df, struct defrag_tracker *t)
{
    if (t->key.ip_ver == 4)
        df->st->frag4_timeouts++;
    else
        df->st->frag6_timeouts++;
    defrag_tracker_drop(df, t);
}

void defrag_expire(struct defrag *df, ps_time_t now)
{
    while (df->oldest != NULL && defrag_expired(df, df->oldest, now))
        defrag_timeout(df, df->oldest);
}

static void defrag_key_from(const struct defrag_frag *f, struct defrag_key *k)
{
    k->src = f->src;
    k->dst = f->dst;
    k->id = f->id;
    k->ip_ver = f->ip_ver;
    k->proto = f->ip_ver == 4 ? f->proto : 0; /* v6 names it per fragment */
}

static bool defrag_key_equal(const struct defrag_key *a, const struct defrag_key *b)
{
    return a->id == b->id && a->ip_ver == b->ip_ver && a->proto == b->proto &&
           memcmp(a->src.b, b->src.b, sizeof(a->src.b)) == 0 &&
           memcmp(a->dst.b, b->dst.b, sizeof(a->dst.b)) == 0;
}

/* FNV-1a over the key fields; the table is small and fragments are rare. */
static uint32_t defrag_key_hash(const struct defrag_key *k)
{
    uint32_t h = 2166136261u;
    uint8_t tail[6] = {(uint8_t)(k->id >> 24), (uint8_t)(k->id >> 16), (uint8_t)(k->id >> 8),
                       (uint8_t)k->id, k->ip_ver, k->proto};
    for (size_t i = 0; i < sizeof(k->src.b); i++)
        h = (h ^ k->src.b[i]) * 16777619u;
    for (size_t i = 0; i < sizeof(k->dst.b); i++)
        h = (h ^ k->dst.b[i]) * 16777619u;
    for (size_t i = 0; i < sizeof(tail); i++)
        h = (h ^ tail[i]) * 16777619u;
    return h;
}

static struct defrag_tracker *defrag_lookup(struct defrag *df, const struct defrag_key *k,
                                            uint32_t bucket)
{
    for (struct defrag_tracker *t = df->buckets[bucket]; t != NULL; t = t->hnext)
        if (defrag_key_equal(&t->key, k))
            return t;
    return NULL;
}

static struct defrag_tracker *defrag_tracker_new(struct defrag *df, const struct defrag_key *k,
                                                 uint32_t bucket, ps_time_t now)
{
    struct defrag_tracker *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->key = *k;
    t->bucket = bucket;
    t->created = now;
    t->hnext = df->buckets[bucket];
    df->buckets[bucket] = t;
    t->older = df->newest;
    if (df->newest != NULL)
        df->newest->newer = t;
    else
        df->oldest = t;
    df->newest = t;
    defrag_charge(df, t, sizeof(*t));
    return t;
}

/*
 * Walk the held pieces over [s, e): bytes already held are compared with
 * src (the first data stays), holes are counted in plan and, with commit,
 * filled with new pieces. False only when an allocation fails.
 */
static bool defrag_fill(struct defrag_tracker *t, uint32_t s, uint32_t e, const uint8_t *src,
                        bool commit, struct defrag_plan *plan)
{
    struct defrag_piece **link = &t->pieces;
    uint32_t pos = s;
    while (pos < e) {
        struct defrag_piece *cur = *link;
        if (cur != NULL && cur->start + cur->len <= pos) {
            link = &cur->next;
            continue;
        }
        uint32_t hole_end = (cur == NULL || cur->start >= e) ? e : cur->start;
        if (hole_end > pos) {
            plan->pieces++;
            plan->bytes += hole_end - pos;
            if (commit) {
                struct defrag_piece *np = malloc(sizeof(*np) + (hole_end - pos));
                if (np == NULL)
                    return false;
                np->start = pos;
                np->len = hole_end - pos;
                memcpy(np->data, src + (pos - s), np->len);
                np->next = cur;
                *link = np;
                link = &np->next;
                t->held += np->len;
            }
            pos = hole_end;
            continue;
        }
        uint32_t ov_end = PS_MIN(e, cur->start + cur->len);
        if (memcmp(cur->data + (pos - cur->start), src + (pos - s), ov_end - pos) != 0)
            plan->overlap = true;
        pos = ov_end;
        link = &cur->next;
    }
    return true;
}

/* The last fragment fixed the length: forget data held beyond it. */
static void defrag_trim(struct defrag *df, struct defrag_tracker *t)
{
    struct defrag_piece **link = &t->pieces;
    while (*link != NULL) {
        struct defrag_piece *pc = *link;
        if (pc->start >= t->total) {
            *link = pc->next;
            t->held -= pc->len;
            defrag_uncharge(df, t, sizeof(*pc) + pc->len);
            free(pc);
            continue;
        }
        if (pc->start + pc->len > t->total) {
            t->held -= pc->start + pc->len - t->total;
            pc->len = t->total - pc->start; /* its charge stays until the drop */
        }
        link = &pc->next;
    }
}

/* Would this fragment alone push the datagram past the IP maximum? */
static bool defrag_frag_too_large(const struct defrag_frag *f)
{
    uint64_t end = (uint64_t)f->offset + f->data_len;
    if (f->ip_ver == 4)
        return end + f->hdr_len > IPV4_MAX_DATAGRAM;
    return end + (f->hdr_len - IPV6_HDR_LEN) > IPV6_MAX_PAYLOAD;
}

/* Keep the offset-0 fragment's header: the rebuilt datagram starts with it. */
static bool defrag_keep_header(struct defrag *df, struct defrag_tracker *t,
                               const struct defrag_frag *f)
{
    t->hdr = malloc(f->hdr_len);
    if (t->hdr == NULL)
        return false;
    memcpy(t->hdr, f->hdr, f->hdr_len);
    t->hdr_len = f->hdr_len;
    t->hdr_nh_off = f->hdr_nh_off;
    t->next_proto = f->proto;
    defrag_charge(df, t, f->hdr_len);
    return true;
}

/*
 * Store what the fragment adds to its datagram, creating the tracker when
 * needed. *tp is the tracker or NULL; on DEFRAG_HELD it is the tracker the
 * fragment now belongs to.
 */
static enum defrag_verdict defrag_store(struct defrag *df, struct defrag_tracker **tp,
                                        const struct defrag_key *k, uint32_t bucket,
                                        const struct defrag_frag *f, struct defrag_out *out)
{
    struct defrag_tracker *t = *tp;
    uint32_t s = f->offset, e = f->offset + f->data_len;
    if (t != NULL && t->last_seen) {
        e = PS_MIN(e, t->total);
        s = PS_MIN(s, e);
    }
    struct defrag_plan plan = {0, 0, false};
    if (t != NULL)
        defrag_fill(t, s, e, f->data, false, &plan);
    else if (e > s)
        plan = (struct defrag_plan){1, e - s, false};

    bool want_hdr = f->offset == 0 && (t == NULL || t->hdr == NULL);
    size_t need = (size_t)plan.pieces * sizeof(struct defrag_piece) + plan.bytes;
    need += want_hdr ? f->hdr_len : 0;
    need += t == NULL ? sizeof(struct defrag_tracker) : 0;
    if (df->memuse > df->memcap || need > df->memcap - df->memuse)
        goto refuse;
    if (t == NULL && (t = defrag_tracker_new(df, k, bucket, f->ts)) == NULL)
        goto refuse;
    *tp = t;
    defrag_charge(df, t, (size_t)plan.pieces * sizeof(struct defrag_piece) + plan.bytes);
    if (want_hdr && !defrag_keep_header(df, t, f))
        goto fail;
    if (!defrag_fill(t, s, e, f->data, true, &plan))
        goto fail;
    if (!f->more && !t->last_seen) {
        t->last_seen = true;
        t->total = e;
        defrag_trim(df, t);
    }
    t->frames += f->wire_frames;
    t->wire_bytes += f->wire_bytes;
    out->overlap = plan.overlap;
    return DEFRAG_HELD;

fail:
    defrag_tracker_drop(df, t);
    *tp = NULL;
refuse:
    df->st->frag_max_trackers_reached++;
    return DEFRAG_REFUSED;
}

static void defrag_ipv4_checksum(uint8_t *h, uint32_t hlen)
{
    uint32_t sum = 0;
    h[10] = 0;
    h[11] = 0;
    for (uint32_t i = 0; i + 1 < hlen; i += 2)
        sum += bytes_be16(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    bytes_put_be16(h + 10, (uint16_t)~sum);
}

/* Write the datagram into df->buf: first header, fixed up, then the data. */
static bool defrag_rebuild(struct defrag *df, const struct defrag_tracker *t,
                           struct defrag_out *out)
{
    uint64_t len = (uint64_t)t->hdr_len + t->total;
    uint64_t limit = t->key.ip_ver == 4 ? IPV4_MAX_DATAGRAM : DEFRAG_MAX_DATAGRAM;
    if (len > limit)
        return false;
    uint8_t *b = df->buf;
    memcpy(b, t->hdr, t->hdr_len);
    for (const struct defrag_piece *pc = t->pieces; pc != NULL; pc = pc->next)
        memcpy(b + t->hdr_len + pc->start, pc->data, pc->len);
    if (t->key.ip_ver == 4) {
        bytes_put_be16(b + 2, (uint16_t)len);
        b[6] &= 0xc0; /* keep the reserved and DF bits; MF and offset go */
        b[7] = 0;
        defrag_ipv4_checksum(b, t->hdr_len);
    } else {
        b[t->hdr_nh_off] = t->next_proto; /* unlink the fragment header */
        bytes_put_be16(b + 4, (uint16_t)(len - IPV6_HDR_LEN));
    }
    out->data = b;
    out->len = (uint32_t)len;
    out->wire_frames = t->frames;
    out->wire_bytes = t->wire_bytes;
    return true;
}

enum defrag_verdict defrag_add(struct defrag *df, const struct defrag_frag *f,
                               struct defrag_out *out)
{
    memset(out, 0, sizeof(*out));
    defrag_expire(df, f->ts);

    struct defrag_key k;
    defrag_key_from(f, &k);
    uint32_t bucket = defrag_key_hash(&k) & (DEFRAG_BUCKETS - 1);
    struct defrag_tracker *t = defrag_lookup(df, &k, bucket);
    if (t != NULL && defrag_expired(df, t, f->ts)) {
        defrag_timeout(df, t);
        t = NULL;
    }
    if (defrag_frag_too_large(f)) {
        if (t != NULL)
            defrag_tracker_drop(df, t);
        return DEFRAG_TOO_LARGE;
    }
    if (t != NULL && t->frames >= df->max_frags) {
        df->st->frag_max_frags_reached++;
        defrag_tracker_drop(df, t);
        return DEFRAG_LIMIT;
    }

    enum defrag_verdict v = defrag_store(df, &t, &k, bucket, f, out);
    if (v != DEFRAG_HELD)
        return v;
    if (!t->last_seen || t->held != t->total || t->hdr == NULL)
        return DEFRAG_HELD;

    bool built = defrag_rebuild(df, t, out);
    defrag_tracker_drop(df, t);
    if (!built)
        return DEFRAG_TOO_LARGE;
    if (k.ip_ver == 4)
        df->st->frag4_reassembled++;
    else
        df->st->frag6_reassembled++;
    return DEFRAG_DONE;
}
