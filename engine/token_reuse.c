/*
 * token_reuse.c - the shared table of token-bearing fetches (see
 * token_reuse.h).
 *
 * Entries are numbered across the table (index + 1, 0 meaning none); each
 * stripe owns a fixed slice of them. Within a stripe: hash buckets chained
 * through hnext, a least-recently-used list through prev/next (head is the
 * oldest), a free list through hnext, and a high-water mark below which
 * entries have been touched.
 */
#include "token_reuse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "stats.h"

#define TR_STRIPES 64
#define TR_EXPIRE_BUDGET 2 /* expired entries freed per lookup, oldest first */

struct tr_entry {
    uint8_t key[TOKEN_REUSE_KEY_LEN];
    uint32_t hnext, prev, next;
    bool alerted;
    uint8_t n;      /* stored clients */
    uint16_t extra; /* distinct clients beyond the stored ones */
    ps_time_t last_seen;
    struct token_reuse_client clients[TOKEN_REUSE_CLIENTS];
};

struct tr_stripe {
    pthread_mutex_t lock;
    uint32_t base, cap; /* entries base+1 .. base+cap */
    uint32_t high;      /* entries base+1 .. base+high have been used */
    uint32_t free, head, tail;
    uint32_t *buckets, mask;
    uint64_t lookups, used, evictions, expired, alerts;
} __attribute__((aligned(64)));

struct token_reuse {
    ps_time_t window;
    size_t memcap;
    struct tr_entry *entries; /* owned; [i - 1] for entry i */
    struct tr_stripe stripes[TR_STRIPES];
};

struct token_reuse *token_reuse_create(const struct token_reuse_config *cfg)
{
    size_t total = cfg->memcap / sizeof(struct tr_entry);
    uint32_t per = (uint32_t)PS_MIN(total / TR_STRIPES, (size_t)1 << 24);
    if (per == 0)
        return NULL;
    struct token_reuse *tr = aligned_alloc(64, sizeof(*tr));
    if (tr == NULL)
        return NULL;
    memset(tr, 0, sizeof(*tr));
    tr->window = cfg->window;
    tr->memcap = cfg->memcap;
    tr->entries = calloc((size_t)per * TR_STRIPES, sizeof(struct tr_entry));
    if (tr->entries == NULL) {
        free(tr);
        return NULL;
    }
    uint32_t nb = 1;
    while (nb < per)
        nb <<= 1;
    for (unsigned i = 0; i < TR_STRIPES; i++) {
        struct tr_stripe *st = &tr->stripes[i];
        pthread_mutex_init(&st->lock, NULL);
        st->base = i * per;
        st->cap = per;
        st->mask = nb - 1;
        st->buckets = calloc(nb, sizeof(*st->buckets));
        if (st->buckets == NULL) {
            token_reuse_destroy(tr);
            return NULL;
        }
    }
    return tr;
}

void token_reuse_destroy(struct token_reuse *tr)
{
    if (tr == NULL)
        return;
    for (unsigned i = 0; i < TR_STRIPES; i++) {
        free(tr->stripes[i].buckets);
        pthread_mutex_destroy(&tr->stripes[i].lock);
    }
    free(tr->entries);
    free(tr);
}

void token_reuse_key(struct ps_slice host, struct ps_slice secret,
                     uint8_t key[TOKEN_REUSE_KEY_LEN])
{
    uint8_t buf[256 + 1 + 20], d[20];
    size_t hl = PS_MIN(host.len, (size_t)256);
    for (size_t i = 0; i < hl; i++) /* host names are case-insensitive */
        buf[i] = (uint8_t)(host.ptr[i] >= 'A' && host.ptr[i] <= 'Z' ? host.ptr[i] + 32 : host.ptr[i]);
    buf[hl] = '\0';
    hash_sha1(secret.ptr, secret.len, buf + hl + 1);
    hash_sha1(buf, hl + 1 + 20, d);
    memcpy(key, d, TOKEN_REUSE_KEY_LEN);
}

static inline struct tr_entry *tr_at(struct token_reuse *tr, uint32_t i)
{
    return &tr->entries[i - 1];
}

static uint64_t tr_hash(const uint8_t key[TOKEN_REUSE_KEY_LEN])
{
    uint64_t h;
    memcpy(&h, key, sizeof(h)); /* a digest: its bytes are already uniform */
    return h;
}

static uint32_t *tr_bucket(struct tr_stripe *st, uint64_t h)
{
    return &st->buckets[(h / TR_STRIPES) & st->mask];
}

static uint32_t tr_find(struct token_reuse *tr, struct tr_stripe *st, uint64_t h,
                        const uint8_t *key)
{
    for (uint32_t i = *tr_bucket(st, h); i != 0; i = tr_at(tr, i)->hnext)
        if (memcmp(tr_at(tr, i)->key, key, TOKEN_REUSE_KEY_LEN) == 0)
            return i;
    return 0;
}

static void tr_lru_unlink(struct token_reuse *tr, struct tr_stripe *st, uint32_t i)
{
    struct tr_entry *e = tr_at(tr, i);
    if (e->prev != 0)
        tr_at(tr, e->prev)->next = e->next;
    else
        st->head = e->next;
    if (e->next != 0)
        tr_at(tr, e->next)->prev = e->prev;
    else
        st->tail = e->prev;
    e->prev = e->next = 0;
}

static void tr_lru_append(struct token_reuse *tr, struct tr_stripe *st, uint32_t i)
{
    struct tr_entry *e = tr_at(tr, i);
    e->prev = st->tail;
    e->next = 0;
    if (st->tail != 0)
        tr_at(tr, st->tail)->next = i;
    else
        st->head = i;
    st->tail = i;
}

/* Out of its bucket and the LRU list; its slot is then reusable. */
static void tr_unlink(struct token_reuse *tr, struct tr_stripe *st, uint32_t i)
{
    uint32_t *pp = tr_bucket(st, tr_hash(tr_at(tr, i)->key));
    while (*pp != i)
        pp = &tr_at(tr, *pp)->hnext;
    *pp = tr_at(tr, i)->hnext;
    tr_lru_unlink(tr, st, i);
    st->used--;
}

static void tr_release(struct token_reuse *tr, struct tr_stripe *st, uint32_t i)
{
    tr_unlink(tr, st, i);
    tr_at(tr, i)->hnext = st->free;
    st->free = i;
}

static bool tr_stale(const struct token_reuse *tr, ps_time_t last, ps_time_t now)
{
    return now > last && now - last > tr->window;
}

/* A slot: a freed one, a never used one, or the oldest token (evicted). */
static uint32_t tr_alloc(struct token_reuse *tr, struct tr_stripe *st)
{
    uint32_t i = st->free;
    if (i != 0) {
        st->free = tr_at(tr, i)->hnext;
    } else if (st->high < st->cap) {
        i = st->base + ++st->high;
    } else {
        i = st->head;
        tr_unlink(tr, st, i);
        st->evictions++;
    }
    st->used++;
    return i;
}

/* Stored clients first fetched earliest first (address breaks ties), so a
 * report reads the same whichever worker saw whom first. */
static int tr_client_cmp(const struct token_reuse_client *a, const struct token_reuse_client *b)
{
    if (a->first_seen != b->first_seen)
        return a->first_seen < b->first_seen ? -1 : 1;
    if (a->ip_ver != b->ip_ver)
        return a->ip_ver < b->ip_ver ? -1 : 1;
    return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static void tr_snapshot(const struct tr_entry *e, struct token_reuse_result *out)
{
    out->n = e->n;
    out->n_clients = e->n + e->extra;
    for (unsigned i = 0; i < e->n; i++) {
        struct token_reuse_client c = e->clients[i];
        unsigned j = i;
        while (j > 0 && tr_client_cmp(&c, &out->clients[j - 1]) < 0) {
            out->clients[j] = out->clients[j - 1];
            j--;
        }
        out->clients[j] = c;
    }
}

static bool tr_same_client(const struct token_reuse_client *a, const struct token_reuse_client *b)
{
    return a->ip_ver == b->ip_ver &&
           memcmp(a->addr, b->addr, a->ip_ver == 4 ? 4 : sizeof(a->addr)) == 0;
}

/* Record the fetch in e; true when it makes the token reused. */
static bool tr_record(struct token_reuse *tr, struct tr_entry *e,
                      const struct token_reuse_client *c, ps_time_t ts)
{
    unsigned k = 0;
    for (unsigned i = 0; i < e->n; i++) /* forget clients idle past the window */
        if (!tr_stale(tr, e->clients[i].last_seen, ts))
            e->clients[k++] = e->clients[i];
    if (k == 0)
        e->extra = 0;
    e->n = (uint8_t)k;
    for (unsigned i = 0; i < e->n; i++) {
        struct token_reuse_client *s = &e->clients[i];
        if (tr_same_client(s, c)) {
            s->first_seen = PS_MIN(s->first_seen, ts);
            s->last_seen = PS_MAX(s->last_seen, ts);
            return false;
        }
    }
    unsigned before = e->n + e->extra;
    if (e->n < TOKEN_REUSE_CLIENTS) {
        struct token_reuse_client *s = &e->clients[e->n++];
        *s = *c;
        s->first_seen = s->last_seen = ts;
    } else if (e->extra < UINT16_MAX) {
        e->extra++;
    }
    if (before == 0 || e->alerted)
        return false;
    e->alerted = true;
    return true;
}

void token_reuse_see(struct token_reuse *tr, const uint8_t key[TOKEN_REUSE_KEY_LEN],
                     const struct token_reuse_client *c, ps_time_t ts,
                     struct token_reuse_result *out)
{
    uint64_t h = tr_hash(key);
    struct tr_stripe *st = &tr->stripes[h % TR_STRIPES];
    pthread_mutex_lock(&st->lock);
    st->lookups++;
    for (unsigned n = 0; n < TR_EXPIRE_BUDGET && st->head != 0 &&
                         tr_stale(tr, tr_at(tr, st->head)->last_seen, ts); n++) {
        tr_release(tr, st, st->head);
        st->expired++;
    }
    uint32_t i = tr_find(tr, st, h, key);
    if (i != 0 && tr_stale(tr, tr_at(tr, i)->last_seen, ts)) {
        tr_release(tr, st, i);
        st->expired++;
        i = 0;
    }
    if (i == 0) {
        i = tr_alloc(tr, st);
        struct tr_entry *e = tr_at(tr, i);
        memset(e, 0, sizeof(*e));
        memcpy(e->key, key, TOKEN_REUSE_KEY_LEN);
        uint32_t *b = tr_bucket(st, h);
        e->hnext = *b;
        *b = i;
    } else {
        tr_lru_unlink(tr, st, i);
    }
    tr_lru_append(tr, st, i);
    struct tr_entry *e = tr_at(tr, i);
    e->last_seen = PS_MAX(e->last_seen, ts);
    out->reused = tr_record(tr, e, c, ts);
    if (out->reused)
        st->alerts++;
    tr_snapshot(e, out);
    pthread_mutex_unlock(&st->lock);
}

void token_reuse_get_stats(struct token_reuse *tr, struct token_reuse_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->memcap = tr->memcap;
    out->memuse = sizeof(*tr);
    for (unsigned i = 0; i < TR_STRIPES; i++) {
        struct tr_stripe *st = &tr->stripes[i];
        pthread_mutex_lock(&st->lock);
        out->lookups += st->lookups;
        out->entries += st->used;
        out->evictions += st->evictions;
        out->expired += st->expired;
        out->alerts += st->alerts;
        out->memuse += st->used * sizeof(struct tr_entry) + ((uint64_t)st->mask + 1) * 4;
        pthread_mutex_unlock(&st->lock);
    }
}

void token_reuse_log_stats(struct token_reuse *tr, struct eve_thread *t, ps_time_t ts)
{
    struct token_reuse_stats s;
    token_reuse_get_stats(tr, &s);
    const struct stats_counter c[] = {
        {"lookups", s.lookups},     {"entries", s.entries}, {"evictions", s.evictions},
        {"expired", s.expired},     {"memuse", s.memuse},   {"memcap", s.memcap},
        {"alerts", s.alerts},
    };
    eve_stats_log_counters(t, ts, "token_reuse", c, PS_ARRAY_LEN(c));
}
