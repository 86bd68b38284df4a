/*
 * stream_store.c - bounded out-of-order segment store (see stream_store.h).
 *
 * Owns a doubly linked list of segments sorted by stream offset, with the
 * invariant that segments never overlap (so their ends are sorted too).
 * An insert walks the segments its range touches: the bytes they hold are
 * compared, never replaced (first data wins), and each uncovered stretch
 * becomes a new segment linked in place. The walk runs twice, first to
 * price the copy against the cap, then to link, so a refused insert leaves
 * the store untouched.
 *
 * Cost: finding where an insert lands starts at the head (a retransmission
 * filling the first hole) or walks back from the tail (new data past the
 * last hole), so the usual cases are O(1); the worst case is linear in the
 * number of segments, which the caller bounds.
 */
#include "stream_store.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t seg_end(const struct stream_seg *s)
{
    return s->off + s->len;
}

static void mem_charge(struct stream_mem *mem, uint64_t n)
{
    *mem->use += n;
    if (*mem->use > *mem->use_max)
        *mem->use_max = *mem->use;
}

static void mem_release(struct stream_mem *mem, uint64_t n)
{
    *mem->use -= PS_MIN(n, *mem->use);
}

/* The first segment that ends after `off`, or NULL. */
static struct stream_seg *store_find_from(const struct stream_store *st, uint64_t off)
{
    if (st->tail == NULL || seg_end(st->tail) <= off)
        return NULL;
    if (seg_end(st->head) > off)
        return st->head;
    /* head ends at or before off and tail after it: stop before head */
    struct stream_seg *s = st->tail;
    while (seg_end(s->prev) > off)
        s = s->prev;
    return s;
}

/* Links `n` before `at`, or at the tail when `at` is NULL. */
static void store_link_before(struct stream_store *st, struct stream_seg *at, struct stream_seg *n)
{
    n->next = at;
    n->prev = at != NULL ? at->prev : st->tail;
    if (n->prev != NULL)
        n->prev->next = n;
    else
        st->head = n;
    if (at != NULL)
        at->prev = n;
    else
        st->tail = n;
}

static void store_unlink(struct stream_store *st, struct stream_seg *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        st->head = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    else
        st->tail = s->prev;
}

static void store_free_seg(struct stream_store *st, struct stream_mem *mem, struct stream_seg *s)
{
    store_unlink(st, s);
    st->bytes -= s->len;
    st->nsegs--;
    mem_release(mem, stream_store_cost(s->alloc));
    free(s);
}

/* Copies [off, off+len) of the offered bytes into a new segment before `at`. */
static enum ps_rc store_add_piece(struct stream_store *st, struct stream_mem *mem,
                                  struct stream_seg *at, uint64_t off, const uint8_t *src,
                                  uint32_t len, uint32_t ack, bool has_ack)
{
    struct stream_seg *n = malloc(sizeof(*n) + len);
    if (n == NULL)
        return PS_NOMEM;
    n->off = off;
    n->len = len;
    n->alloc = len;
    n->ack = ack;
    n->has_ack = has_ack;
    memcpy(n->data, src, len);
    store_link_before(st, at, n);
    st->bytes += len;
    st->nsegs++;
    mem_charge(mem, stream_store_cost(len));
    return PS_OK;
}

/* First pass: compare what is held, price what is not. */
static uint64_t store_price(const struct stream_store *st, uint64_t off, const uint8_t *data,
                            uint32_t len, struct stream_store_result *res)
{
    uint64_t end = off + len, cursor = off, need = 0;
    for (const struct stream_seg *s = store_find_from(st, off); s != NULL && s->off < end;
         s = s->next) {
        if (s->off > cursor)
            need += stream_store_cost((uint32_t)(s->off - cursor));
        uint64_t lo = PS_MAX(cursor, s->off), hi = PS_MIN(end, seg_end(s));
        if (memcmp(data + (lo - off), s->data + (lo - s->off), hi - lo) != 0)
            res->conflict = true;
        res->covered += (uint32_t)(hi - lo);
        cursor = hi;
    }
    if (cursor < end)
        need += stream_store_cost((uint32_t)(end - cursor));
    return need;
}

enum ps_rc stream_store_insert(struct stream_store *st, struct stream_mem *mem, uint64_t off,
                               const uint8_t *data, uint32_t len, uint32_t ack, bool has_ack,
                               struct stream_store_result *res)
{
    memset(res, 0, sizeof(*res));
    if (len == 0)
        return PS_OK;
    uint64_t need = store_price(st, off, data, len, res);
    if (need == 0)
        return PS_OK;
    if (*mem->use + need > mem->cap)
        return PS_NOMEM;

    /* Second pass: the list only grows before segments still to visit. */
    uint64_t end = off + len, cursor = off;
    struct stream_seg *s = store_find_from(st, off);
    for (; s != NULL && s->off < end; s = s->next) {
        if (s->off > cursor) {
            uint32_t n = (uint32_t)(s->off - cursor);
            if (store_add_piece(st, mem, s, cursor, data + (cursor - off), n, ack, has_ack) != PS_OK)
                return PS_NOMEM;
            res->stored += n;
        }
        cursor = PS_MIN(end, seg_end(s));
    }
    if (cursor < end) {
        uint32_t n = (uint32_t)(end - cursor);
        if (store_add_piece(st, mem, s, cursor, data + (cursor - off), n, ack, has_ack) != PS_OK)
            return PS_NOMEM;
        res->stored += n;
    }
    return PS_OK;
}

void stream_store_pop(struct stream_store *st, struct stream_mem *mem)
{
    if (st->head != NULL)
        store_free_seg(st, mem, st->head);
}

void stream_store_truncate(struct stream_store *st, struct stream_mem *mem, uint64_t end)
{
    while (st->tail != NULL && st->tail->off >= end)
        store_free_seg(st, mem, st->tail);
    struct stream_seg *t = st->tail;
    if (t != NULL && seg_end(t) > end) {
        /* shorten in place; the block keeps its size, and so its charge */
        uint32_t cut = (uint32_t)(seg_end(t) - end);
        t->len -= cut;
        st->bytes -= cut;
    }
}

void stream_store_clear(struct stream_store *st, struct stream_mem *mem)
{
    while (st->head != NULL)
        store_free_seg(st, mem, st->head);
}
