/*
 * stream_store.h - the out-of-order segments of one TCP direction, internal
 * to the stream stage.
 *
 * Segments are kept sorted by 64-bit stream offset and never overlap: an
 * insert copies only the bytes no stored segment holds yet (first data
 * wins) and reports whether the bytes it could not store differ from the
 * ones kept. Every stored byte, plus a fixed overhead per segment, is
 * charged to a stream_mem shared by all stores of one owner; an insert
 * that would pass the cap stores nothing.
 */
#ifndef PS_STREAM_STORE_H
#define PS_STREAM_STORE_H

#include "common.h"

struct stream_seg {
    struct stream_seg *prev, *next;
    uint64_t off; /* stream offset of data[0] */
    uint32_t len; /* > 0 */
    uint32_t ack; /* the caller's tag, copied from the insert */
    uint32_t alloc; /* data bytes allocated (len shrinks when truncated) */
    bool has_ack;
    uint8_t data[];
};

struct stream_store {
    struct stream_seg *head, *tail; /* sorted by off; owned */
    uint64_t bytes;                 /* payload bytes held */
    uint32_t nsegs;
};

/* Accounting shared by every store of one owner; the counters live with
 * the owner so its statistics are always current. */
struct stream_mem {
    uint64_t cap;
    uint64_t *use, *use_max;
};

struct stream_store_result {
    uint32_t stored;  /* bytes copied in */
    uint32_t covered; /* bytes already held, kept as they were */
    bool conflict;    /* some covered byte differed from the one offered */
};

/* What one segment of `len` bytes costs against the cap. */
static inline uint64_t stream_store_cost(uint32_t len)
{
    return (uint64_t)len + sizeof(struct stream_seg);
}

/* Offer [off, off+len): the bytes not yet held are copied in, tagged with
 * ack/has_ack. PS_NOMEM when the cap (or malloc) refuses: nothing is stored
 * for a cap refusal; after a malloc failure the pieces already linked stay.
 * `res` is filled in both cases. */
enum ps_rc stream_store_insert(struct stream_store *st, struct stream_mem *mem, uint64_t off,
                               const uint8_t *data, uint32_t len, uint32_t ack, bool has_ack,
                               struct stream_store_result *res);

/* Frees the first segment (lowest offset). */
void stream_store_pop(struct stream_store *st, struct stream_mem *mem);

/* Drops every byte at or beyond `end`, shortening a segment that spans it. */
void stream_store_truncate(struct stream_store *st, struct stream_mem *mem, uint64_t end);

/* Frees everything. */
void stream_store_clear(struct stream_store *st, struct stream_mem *mem);

#endif
