/*
 * flow.c - the per-worker flow table (see flow.h).
 *
 * Layout: a power-of-two array of buckets chained through flow.hnext, and
 * a pool of entries carved from slabs (up to FLOW_SLAB_FLOWS at a time)
 * with a free list, so a warm table never calls malloc. memuse counts the
 * buckets and every slab; a slab is only allocated while it fits under the
 * memcap, and the last one is cut to what fits, so the memcap is exact to
 * one entry.
 *
 * Activity lists: every live flow sits on exactly one doubly linked list
 * (flow.lprev/lnext, index in flow.list), one per timeout class: TCP new,
 * established and closed, UDP/ICMP new and established. A packet moves its
 * flow to the tail, so each list runs from least to most recently active,
 * and since all flows of a list share one timeout, the head is always the
 * next to expire. Expiry and eviction therefore only ever look at the five
 * heads. Packet time can step back a little (flow.last keeps the max); a
 * flow then sits slightly out of order and ends a little late, never early.
 *
 * Ending: every flow ends through flow_end(), which unlinks it, counts it,
 * calls the end callback, and returns the entry to the free list. The
 * callback gets the flow before it is recycled and must not call back into
 * the table (it would see half-unlinked state).
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define FLOW_SLAB_FLOWS 1024

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

enum flow_list {
    FLOW_LIST_TCP_NEW = 0,
    FLOW_LIST_TCP_ESTABLISHED,
    FLOW_LIST_TCP_CLOSED,
    FLOW_LIST_OTHER_NEW,
    FLOW_LIST_OTHER_ESTABLISHED,
    FLOW_LIST_COUNT
};

struct flow_slab {
    struct flow_slab *next;
    struct flow flows[];
};

struct flow_lru {
    struct flow *head, *tail;
};

struct flow_table {
    struct flow **buckets;
    uint32_t mask;
    ps_time_t timeout[FLOW_LIST_COUNT];
    struct flow_lru lists[FLOW_LIST_COUNT];
    struct flow *free; /* chained through hnext */
    struct flow_slab *slabs;
    flow_end_fn on_end;
    void *ctx;
    struct flow_stats stats;
};

static inline bool flow_proto_is_icmp(uint8_t proto)
{
    return proto == PROTO_ICMP || proto == PROTO_ICMPV6;
}

/* Buckets take the low bits; remix first, because with several workers
 * the dispatcher already spent the low bits of p->hash choosing one. */
static inline uint32_t flow_bucket_index(const struct flow_table *ft, uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bU;
    h ^= h >> 13;
    h *= 0xc2b2ae35U;
    h ^= h >> 16;
    return h & ft->mask;
}

static inline unsigned flow_list_of(const struct flow *f)
{
    if (f->proto == PROTO_TCP)
        return FLOW_LIST_TCP_NEW + f->state;
    return f->state == FLOW_STATE_NEW ? FLOW_LIST_OTHER_NEW : FLOW_LIST_OTHER_ESTABLISHED;
}

/* now >= last + timeout, written so a huge timeout cannot overflow. */
static inline bool flow_is_expired(const struct flow_table *ft, const struct flow *f, ps_time_t now)
{
    return now >= f->last && now - f->last >= ft->timeout[f->list];
}

/* ---- activity lists and buckets ---- */

static void flow_lru_append(struct flow_table *ft, struct flow *f, unsigned list)
{
    struct flow_lru *l = &ft->lists[list];
    f->list = (uint8_t)list;
    f->lnext = NULL;
    f->lprev = l->tail;
    if (l->tail != NULL)
        l->tail->lnext = f;
    else
        l->head = f;
    l->tail = f;
}

static void flow_lru_unlink(struct flow_table *ft, struct flow *f)
{
    struct flow_lru *l = &ft->lists[f->list];
    if (f->lprev != NULL)
        f->lprev->lnext = f->lnext;
    else
        l->head = f->lnext;
    if (f->lnext != NULL)
        f->lnext->lprev = f->lprev;
    else
        l->tail = f->lprev;
    f->lprev = f->lnext = NULL;
}

static void flow_bucket_unlink(struct flow_table *ft, struct flow *f)
{
    struct flow **pp = &ft->buckets[flow_bucket_index(ft, f->hash)];
    while (*pp != NULL && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp == f)
        *pp = f->hnext;
    f->hnext = NULL;
}

/* The list head that ran idle longest, across all classes: the eviction
 * victim. */
static struct flow *flow_lru_oldest(const struct flow_table *ft)
{
    struct flow *best = NULL;
    for (unsigned i = 0; i < FLOW_LIST_COUNT; i++) {
        struct flow *h = ft->lists[i].head;
        if (h != NULL && (best == NULL || h->last < best->last))
            best = h;
    }
    return best;
}

/* The expired list head with the earliest deadline, or NULL. */
static struct flow *flow_lru_expired(const struct flow_table *ft, ps_time_t now)
{
    struct flow *best = NULL;
    ps_time_t best_deadline = 0;
    for (unsigned i = 0; i < FLOW_LIST_COUNT; i++) {
        struct flow *h = ft->lists[i].head;
        if (h == NULL || !flow_is_expired(ft, h, now))
            continue;
        ps_time_t deadline = h->last + ft->timeout[i];
        if (best == NULL || deadline < best_deadline) {
            best = h;
            best_deadline = deadline;
        }
    }
    return best;
}

/* ---- entry pool ---- */

/* Add one slab to the free list: FLOW_SLAB_FLOWS entries, or as many as
 * still fit under the memcap. False when not even one fits. */
static bool flow_pool_grow(struct flow_table *ft)
{
    size_t room = ft->stats.memcap > ft->stats.memuse ? ft->stats.memcap - ft->stats.memuse : 0;
    if (room < sizeof(struct flow_slab) + sizeof(struct flow))
        return false;
    size_t n =
        PS_MIN((room - sizeof(struct flow_slab)) / sizeof(struct flow), (size_t)FLOW_SLAB_FLOWS);
    size_t bytes = sizeof(struct flow_slab) + n * sizeof(struct flow);
    struct flow_slab *s = malloc(bytes);
    if (s == NULL)
        return false;
    s->next = ft->slabs;
    ft->slabs = s;
    ft->stats.memuse += bytes;
    for (size_t i = n; i-- > 0;) {
        s->flows[i].hnext = ft->free;
        ft->free = &s->flows[i];
    }
    return true;
}

static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
    flow_bucket_unlink(ft, f);
    flow_lru_unlink(ft, f);
    switch (f->state) {
    case FLOW_STATE_NEW:
        ft->stats.end_new++;
        break;
    case FLOW_STATE_ESTABLISHED:
        ft->stats.end_established++;
        break;
    default:
        ft->stats.end_closed++;
        break;
    }
    if (why == FLOW_END_TIMEOUT)
        ft->stats.timeouts++;
    else if (why == FLOW_END_FORCED)
        ft->stats.evicted++;
    else if (why == FLOW_END_TCP_REUSE)
        ft->stats.tcp_reuse++;
    ft->stats.active--;
    if (ft->on_end != NULL)
        ft->on_end(ft->ctx, f, why);
    f->hnext = ft->free;
    ft->free = f;
}

/* A free entry for a new flow at time now: from the free list, a new slab,
 * an already expired flow, or by evicting the least recently active one. */
static struct flow *flow_alloc(struct flow_table *ft, ps_time_t now)
{
    if (ft->free == NULL && !flow_pool_grow(ft)) {
        struct flow *victim = flow_lru_expired(ft, now);
        enum flow_end_reason why = FLOW_END_TIMEOUT;
        if (victim == NULL) {
            victim = flow_lru_oldest(ft);
            why = FLOW_END_FORCED;
        }
        if (victim == NULL)
            return NULL;
        flow_end(ft, victim, why);
    }
    struct flow *f = ft->free;
    ft->free = f->hnext;
    memset(f, 0, sizeof(*f));
    return f;
}

/* ---- create / destroy ---- */

struct flow_table *flow_table_create(const struct flow_config *cfg, flow_end_fn on_end, void *ctx)
{
    struct flow_table *ft = calloc(1, sizeof(*ft));
    if (ft == NULL)
        return NULL;
    uint32_t n = 1;
    while (n < cfg->hash_size && n < (1U << 31))
        n <<= 1;
    ft->buckets = calloc(n, sizeof(*ft->buckets));
    if (ft->buckets == NULL)
        goto fail;
    ft->mask = n - 1;
    ft->timeout[FLOW_LIST_TCP_NEW] = cfg->tcp_new;
    ft->timeout[FLOW_LIST_TCP_ESTABLISHED] = cfg->tcp_established;
    ft->timeout[FLOW_LIST_TCP_CLOSED] = cfg->tcp_closed;
    ft->timeout[FLOW_LIST_OTHER_NEW] = cfg->udp_new;
    ft->timeout[FLOW_LIST_OTHER_ESTABLISHED] = cfg->udp_established;
    ft->on_end = on_end;
    ft->ctx = ctx;
    /* The buckets count against the memcap; a memcap below them leaves a
     * table that refuses every flow, visible in memcap_refused. */
    ft->stats.memcap = cfg->memcap;
    ft->stats.memuse = (uint64_t)n * sizeof(*ft->buckets);
    return ft;
fail:
    flow_table_destroy(ft);
    return NULL;
}

void flow_table_destroy(struct flow_table *ft)
{
    if (ft == NULL)
        return;
    while (ft->slabs != NULL) {
        struct flow_slab *s = ft->slabs;
        ft->slabs = s->next;
        free(s);
    }
    free(ft->buckets);
    free(ft);
}

/* ---- per packet ---- */

static inline void flow_key_ports(const struct packet *p, uint16_t *sport, uint16_t *dport)
{
    bool icmp = flow_proto_is_icmp(p->proto);
    *sport = icmp ? 0 : p->sport;
    *dport = icmp ? 0 : p->dport;
}

static inline bool flow_addr_eq(const struct ps_addr *a, const struct ps_addr *b)
{
    return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static inline uint16_t flow_packet_vlan(const struct packet *p)
{
    return p->nvlan ? p->vlan[0] : 0;
}

static struct flow *flow_lookup(struct flow_table *ft, const struct packet *p, enum flow_dir *dir)
{
    uint16_t sport, dport, vlan = flow_packet_vlan(p);
    flow_key_ports(p, &sport, &dport);

    for (struct flow *f = ft->buckets[flow_bucket_index(ft, p->hash)]; f != NULL; f = f->hnext) {
        if (f->hash != p->hash || f->proto != p->proto || f->ip_ver != p->ip_ver || f->vlan != vlan)
            continue;
        if (f->sport == sport && f->dport == dport && flow_addr_eq(&f->src, &p->src) &&
            flow_addr_eq(&f->dst, &p->dst)) {
            *dir = FLOW_TOSERVER;
            return f;
        }
        if (f->sport == dport && f->dport == sport && flow_addr_eq(&f->src, &p->dst) &&
            flow_addr_eq(&f->dst, &p->src)) {
            *dir = FLOW_TOCLIENT;
            return f;
        }
    }
    return NULL;
}

/* A new flow for p. The sender is the client, except for a SYN/ACK: then
 * the capture missed the SYN and the receiver is the client. */
static struct flow *flow_create(struct flow_table *ft, const struct packet *p, enum flow_dir *dir)
{
    struct flow *f = flow_alloc(ft, p->ts);
    if (f == NULL) {
        ft->stats.memcap_refused++;
        return NULL;
    }
    uint16_t sport, dport;
    flow_key_ports(p, &sport, &dport);
    bool swap =
        p->proto == PROTO_TCP && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);

    f->src = swap ? p->dst : p->src;
    f->dst = swap ? p->src : p->dst;
    f->sport = swap ? dport : sport;
    f->dport = swap ? sport : dport;
    f->proto = p->proto;
    f->ip_ver = p->ip_ver;
    f->vlan = flow_packet_vlan(p);
    f->hash = p->hash;
    if (flow_proto_is_icmp(p->proto)) {
        f->icmp_type = (uint8_t)p->sport;
        f->icmp_code = (uint8_t)p->dport;
    }
    f->start = f->last = p->ts;
    f->state = FLOW_STATE_NEW;
    f->flow_id = hash_flow_id(f->ip_ver, &f->src, &f->dst, f->sport, f->dport, f->proto, f->start);

    uint32_t b = flow_bucket_index(ft, f->hash);
    f->hnext = ft->buckets[b];
    ft->buckets[b] = f;
    flow_lru_append(ft, f, flow_list_of(f));

    struct flow_stats *st = &ft->stats;
    st->total++;
    st->tcp += p->proto == PROTO_TCP;
    st->udp += p->proto == PROTO_UDP;
    st->icmpv4 += p->proto == PROTO_ICMP;
    st->icmpv6 += p->proto == PROTO_ICMPV6;
    if (++st->active > st->active_max)
        st->active_max = st->active;
    *dir = swap ? FLOW_TOCLIENT : FLOW_TOSERVER;
    return f;
}

/* TCP: RST, or FIN from both sides, closes. Otherwise the flow is
 * established once both sides have acknowledged something: after a
 * handshake that is the SYN/ACK and then the client's ACK; a flow picked
 * up midstream gets there with the first ACK of each side. */
static void flow_update_tcp(struct flow *f, uint8_t flags, enum flow_dir dir)
{
    f->tcp_flags[dir] |= flags;
    if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
        f->tcp_seen |= FLOW_SEEN_SYN;
    else if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
        f->tcp_seen |= FLOW_SEEN_SYNACK;
    if (flags & TCP_FIN)
        f->tcp_seen |= dir == FLOW_TOSERVER ? FLOW_SEEN_FIN_TS : FLOW_SEEN_FIN_TC;
    if (flags & TCP_RST)
        f->tcp_seen |= FLOW_SEEN_RST;

    if (f->state == FLOW_STATE_CLOSED)
        return;
    uint8_t fins = FLOW_SEEN_FIN_TS | FLOW_SEEN_FIN_TC;
    if ((f->tcp_seen & FLOW_SEEN_RST) || (f->tcp_seen & fins) == fins)
        f->state = FLOW_STATE_CLOSED;
    else if ((f->tcp_flags[FLOW_TOSERVER] & TCP_ACK) && (f->tcp_flags[FLOW_TOCLIENT] & TCP_ACK))
        f->state = FLOW_STATE_ESTABLISHED;
}

static void flow_update(struct flow_table *ft, struct flow *f, const struct packet *p,
                        enum flow_dir dir)
{
    f->pkts[dir] += p->wire_frames;
    f->bytes[dir] += p->wire_bytes;
    f->last = PS_MAX(f->last, p->ts);
    f->file_idx = p->file_idx;

    if (f->proto == PROTO_TCP)
        flow_update_tcp(f, p->tcp_flags, dir);
    else if (f->state == FLOW_STATE_NEW && f->pkts[FLOW_TOSERVER] && f->pkts[FLOW_TOCLIENT])
        f->state = FLOW_STATE_ESTABLISHED;

    flow_lru_unlink(ft, f);
    flow_lru_append(ft, f, flow_list_of(f));
}

static inline bool flow_is_tcp_reuse(const struct flow *f, const struct packet *p)
{
    return f->proto == PROTO_TCP && f->state == FLOW_STATE_CLOSED &&
           (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

struct flow *flow_table_get(struct flow_table *ft, const struct packet *p, enum flow_dir *dir)
{
    struct flow *f = flow_lookup(ft, p, dir);

    /* A flow past its timeout ends here even if expire has not run yet,
     * so flow boundaries depend on packet time only, not on how often the
     * caller sweeps. */
    if (f != NULL && flow_is_expired(ft, f, p->ts)) {
        flow_end(ft, f, FLOW_END_TIMEOUT);
        f = NULL;
    } else if (f != NULL && flow_is_tcp_reuse(f, p)) {
        flow_end(ft, f, FLOW_END_TCP_REUSE);
        f = NULL;
    }
    if (f == NULL) {
        f = flow_create(ft, p, dir);
        if (f == NULL)
            return NULL;
    }
    flow_update(ft, f, p, *dir);
    return f;
}

/* ---- maintenance ---- */

unsigned flow_table_expire(struct flow_table *ft, ps_time_t now, unsigned budget)
{
    unsigned ended = 0;
    struct flow *f;
    while (ended < budget && (f = flow_lru_expired(ft, now)) != NULL) {
        flow_end(ft, f, FLOW_END_TIMEOUT);
        ended++;
    }
    return ended;
}

/* Flows end from least to most recently active, so the flow events of a
 * run come out in a stable order. */
void flow_table_flush(struct flow_table *ft)
{
    struct flow *f;
    while ((f = flow_lru_oldest(ft)) != NULL)
        flow_end(ft, f, FLOW_END_SHUTDOWN);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->stats;
}

const char *flow_state_name(enum flow_state s)
{
    switch (s) {
    case FLOW_STATE_NEW:
        return "new";
    case FLOW_STATE_ESTABLISHED:
        return "established";
    case FLOW_STATE_CLOSED:
        return "closed";
    }
    return "unknown";
}

const char *flow_end_reason_name(enum flow_end_reason r)
{
    switch (r) {
    case FLOW_END_TIMEOUT:
        return "timeout";
    case FLOW_END_FORCED:
        return "forced";
    case FLOW_END_SHUTDOWN:
        return "shutdown";
    case FLOW_END_TCP_REUSE:
        return "tcp_reuse";
    }
    return "unknown";
}
