/* Unit tests for the out-of-order segment store: ordering, first data
 * wins, conflict detection, memcap and accounting. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "stream_store.h"

struct fixture {
    struct stream_store st;
    struct stream_mem mem;
    uint64_t use, use_max;
};

static void fixture_init(struct fixture *f, uint64_t cap)
{
    memset(f, 0, sizeof(*f));
    f->mem.cap = cap;
    f->mem.use = &f->use;
    f->mem.use_max = &f->use_max;
}

/* Stream byte at offset i: a pattern that differs between neighbours. */
static uint8_t byte_at(uint64_t i)
{
    return (uint8_t)(i * 7 + 3);
}

static void fill(uint8_t *buf, uint64_t off, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        buf[i] = byte_at(off + i);
}

static enum ps_rc put(struct fixture *f, uint64_t off, uint32_t len, struct stream_store_result *res)
{
    uint8_t buf[4096];
    fill(buf, off, len);
    return stream_store_insert(&f->st, &f->mem, off, buf, len, 1000 + (uint32_t)off, true, res);
}

/* Asserts the store holds exactly the listed [off, len) segments, in order,
 * each with the pattern bytes. */
static void expect_segments(const struct fixture *f, const uint64_t (*want)[2], size_t n)
{
    const struct stream_seg *s = f->st.head;
    uint64_t bytes = 0, alloc = 0;
    for (size_t i = 0; i < n; i++, s = s->next) {
        cr_assert_not_null(s, "segment %zu missing", i);
        cr_assert_eq(s->off, want[i][0], "segment %zu at %lu", i, (unsigned long)s->off);
        cr_assert_eq(s->len, want[i][1], "segment %zu len %u", i, s->len);
        for (uint32_t k = 0; k < s->len; k++)
            cr_assert_eq(s->data[k], byte_at(s->off + k));
        if (i > 0)
            cr_assert_eq(s->prev->off, want[i - 1][0]);
        bytes += s->len;
        alloc += s->alloc;
    }
    cr_assert_null(s, "more segments than expected");
    cr_assert_eq(f->st.nsegs, n);
    cr_assert_eq(f->st.bytes, bytes);
    /* the charge is what is allocated: a truncated segment keeps its block */
    cr_assert_eq(f->use, alloc + n * stream_store_cost(0));
}

Test(stream_store, keeps_segments_sorted_whatever_the_insert_order)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    cr_assert_eq(put(&f, 300, 100, &res), PS_OK);
    cr_assert_eq(res.stored, 100);
    cr_assert_eq(put(&f, 100, 50, &res), PS_OK);
    cr_assert_eq(put(&f, 500, 10, &res), PS_OK);
    cr_assert_eq(put(&f, 200, 100, &res), PS_OK); /* touches 300 without overlap */
    cr_assert_eq(res.stored, 100);
    cr_assert_eq(res.covered, 0);
    const uint64_t want[][2] = {{100, 50}, {200, 100}, {300, 100}, {500, 10}};
    expect_segments(&f, want, 4);
    cr_assert_eq(f.st.head->ack, 1100);
    cr_assert(f.st.head->has_ack);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, exact_duplicate_stores_nothing_and_reports_covered)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 1000, 200, &res);
    uint64_t use = f.use;
    cr_assert_eq(put(&f, 1000, 200, &res), PS_OK);
    cr_assert_eq(res.stored, 0);
    cr_assert_eq(res.covered, 200);
    cr_assert_not(res.conflict);
    cr_assert_eq(f.use, use);
    const uint64_t want[][2] = {{1000, 200}};
    expect_segments(&f, want, 1);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, overlap_on_the_left_stores_only_the_new_front)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 100, 100, &res);
    cr_assert_eq(put(&f, 50, 80, &res), PS_OK); /* [50,130) */
    cr_assert_eq(res.stored, 50);
    cr_assert_eq(res.covered, 30);
    cr_assert_not(res.conflict);
    const uint64_t want[][2] = {{50, 50}, {100, 100}};
    expect_segments(&f, want, 2);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, overlap_on_the_right_stores_only_the_new_tail)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 100, 100, &res);
    cr_assert_eq(put(&f, 150, 100, &res), PS_OK); /* [150,250) */
    cr_assert_eq(res.stored, 50);
    cr_assert_eq(res.covered, 50);
    const uint64_t want[][2] = {{100, 100}, {200, 50}};
    expect_segments(&f, want, 2);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, segment_inside_a_stored_one_is_fully_covered)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 100, 100, &res);
    cr_assert_eq(put(&f, 120, 10, &res), PS_OK);
    cr_assert_eq(res.stored, 0);
    cr_assert_eq(res.covered, 10);
    const uint64_t want[][2] = {{100, 100}};
    expect_segments(&f, want, 1);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, segment_covering_several_fills_only_their_holes)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 100, 10, &res);
    put(&f, 120, 10, &res);
    put(&f, 140, 10, &res);
    cr_assert_eq(put(&f, 90, 80, &res), PS_OK); /* [90,170) */
    cr_assert_eq(res.stored, 50);
    cr_assert_eq(res.covered, 30);
    cr_assert_not(res.conflict);
    const uint64_t want[][2] = {{90, 10}, {100, 10}, {110, 10}, {120, 10},
                                {130, 10}, {140, 10}, {150, 20}};
    expect_segments(&f, want, 7);
    cr_assert_eq(f.st.head->next->next->ack, 1090, "new pieces carry the new tag");
    cr_assert_eq(f.st.head->next->ack, 1100, "old segments keep theirs");
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, conflicting_bytes_are_detected_and_the_first_kept)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 100, 20, &res);
    uint8_t evil[40];
    fill(evil, 90, 40);
    evil[15] ^= 0xff; /* offset 105, inside the stored segment */
    cr_assert_eq(stream_store_insert(&f.st, &f.mem, 90, evil, 40, 0, false, &res), PS_OK);
    cr_assert(res.conflict);
    cr_assert_eq(res.covered, 20);
    cr_assert_eq(res.stored, 20);
    cr_assert_eq(f.st.head->next->data[5], byte_at(105), "first data wins");
    cr_assert_not(f.st.head->has_ack);

    /* a difference in bytes nobody holds yet is no conflict */
    fill(evil, 120, 40); /* [120,130) held, [130,160) new */
    evil[25] ^= 0xff;
    cr_assert_eq(stream_store_insert(&f.st, &f.mem, 120, evil, 40, 0, false, &res), PS_OK);
    cr_assert_not(res.conflict);
    cr_assert_eq(res.covered, 10);
    cr_assert_eq(res.stored, 30);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, memcap_refuses_whole_insert_and_leaves_store_unchanged)
{
    struct fixture f;
    fixture_init(&f, 2 * stream_store_cost(100));
    struct stream_store_result res;
    cr_assert_eq(put(&f, 0, 100, &res), PS_OK);
    cr_assert_eq(put(&f, 200, 100, &res), PS_OK);
    uint64_t use = f.use;
    cr_assert_eq(f.use, f.mem.cap);
    cr_assert_eq(put(&f, 400, 1, &res), PS_NOMEM);
    cr_assert_eq(res.stored, 0);
    /* spans a hole and a held segment: refused as a whole, conflict still seen */
    uint8_t buf[200];
    fill(buf, 150, 200);
    buf[100] ^= 1;
    cr_assert_eq(stream_store_insert(&f.st, &f.mem, 150, buf, 200, 0, false, &res), PS_NOMEM);
    cr_assert(res.conflict);
    cr_assert_eq(res.stored, 0);
    cr_assert_eq(f.use, use);
    const uint64_t want[][2] = {{0, 100}, {200, 100}};
    expect_segments(&f, want, 2);
    /* a pure duplicate costs nothing, so it is not refused */
    cr_assert_eq(put(&f, 0, 100, &res), PS_OK);
    stream_store_clear(&f.st, &f.mem);
}

Test(stream_store, pop_iterates_in_offset_order_and_releases_memory)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    const uint64_t offs[] = {700, 100, 400, 1000, 250, 850};
    for (size_t i = 0; i < PS_ARRAY_LEN(offs); i++)
        put(&f, offs[i], 100, &res);
    cr_assert_eq(f.use_max, 6 * stream_store_cost(100));
    uint64_t last = 0;
    for (size_t i = 0; i < PS_ARRAY_LEN(offs); i++) {
        cr_assert_not_null(f.st.head);
        cr_assert_geq(f.st.head->off, last);
        last = f.st.head->off + f.st.head->len;
        stream_store_pop(&f.st, &f.mem);
    }
    cr_assert_null(f.st.head);
    cr_assert_null(f.st.tail);
    cr_assert_eq(f.st.nsegs, 0);
    cr_assert_eq(f.use, 0);
    cr_assert_eq(f.use_max, 6 * stream_store_cost(100), "the high-water mark stays");
    stream_store_pop(&f.st, &f.mem); /* empty: no-op */
}

Test(stream_store, clear_frees_everything)
{
    struct fixture f;
    fixture_init(&f, 1 << 24);
    struct stream_store_result res;
    for (uint64_t i = 0; i < 500; i++)
        put(&f, (i * 7919) % 500 * 10, 5, &res);
    cr_assert_eq(f.st.nsegs, 500);
    stream_store_clear(&f.st, &f.mem);
    cr_assert_null(f.st.head);
    cr_assert_eq(f.st.bytes, 0);
    cr_assert_eq(f.use, 0);
}

Test(stream_store, truncate_drops_bytes_at_and_past_the_end)
{
    struct fixture f;
    fixture_init(&f, 1 << 20);
    struct stream_store_result res;
    put(&f, 100, 100, &res);
    put(&f, 300, 100, &res);
    put(&f, 500, 100, &res);
    stream_store_truncate(&f.st, &f.mem, 350);
    const uint64_t want[][2] = {{100, 100}, {300, 50}};
    expect_segments(&f, want, 2);
    cr_assert_eq(f.use, 2 * stream_store_cost(100), "the shortened block is still held");
    stream_store_truncate(&f.st, &f.mem, 300);
    const uint64_t want2[][2] = {{100, 100}};
    expect_segments(&f, want2, 1);
    stream_store_clear(&f.st, &f.mem);
    cr_assert_eq(f.use, 0);
}

Test(stream_store, random_inserts_hold_each_byte_once_with_the_pattern)
{
    struct fixture f;
    fixture_init(&f, 1 << 24);
    struct stream_store_result res;
    uint8_t held[3000] = {0};
    uint32_t x = 12345;
    for (int i = 0; i < 2000; i++) {
        x = x * 1103515245u + 12345u;
        uint64_t off = (x >> 8) % 2900;
        x = x * 1103515245u + 12345u;
        uint32_t len = 1 + (x >> 8) % 100;
        if (off + len > 3000)
            len = (uint32_t)(3000 - off);
        uint32_t fresh = 0;
        for (uint32_t k = 0; k < len; k++)
            fresh += !held[off + k];
        cr_assert_eq(put(&f, off, len, &res), PS_OK);
        cr_assert_eq(res.stored, fresh);
        cr_assert_eq(res.covered, len - fresh);
        cr_assert_not(res.conflict);
        memset(held + off, 1, len);
    }
    uint64_t prev_end = 0, bytes = 0;
    for (const struct stream_seg *s = f.st.head; s != NULL; s = s->next) {
        cr_assert_geq(s->off, prev_end, "segments never overlap");
        for (uint32_t k = 0; k < s->len; k++)
            cr_assert_eq(s->data[k], byte_at(s->off + k));
        prev_end = s->off + s->len;
        bytes += s->len;
    }
    uint64_t want = 0;
    for (int i = 0; i < 3000; i++)
        want += held[i];
    cr_assert_eq(bytes, want);
    stream_store_clear(&f.st, &f.mem);
    cr_assert_eq(f.use, 0);
}
