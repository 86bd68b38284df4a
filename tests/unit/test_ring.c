/* Unit tests for the SPSC ring: order, bounds, and a two-thread handoff. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

#include "ring.h"

Test(ring, pops_in_push_order_and_reports_empty)
{
    struct ring *r = ring_create(4);
    cr_assert_not_null(r);
    cr_assert_null(ring_try_pop(r));
    for (uintptr_t i = 1; i <= 4; i++)
        cr_assert(ring_try_push(r, (void *)i));
    for (uintptr_t i = 1; i <= 4; i++)
        cr_assert_eq((uintptr_t)ring_try_pop(r), i);
    cr_assert_null(ring_try_pop(r));
    ring_destroy(r);
}

Test(ring, refuses_push_when_full_and_rounds_capacity_up)
{
    struct ring *r = ring_create(3); /* rounded to 4 */
    for (uintptr_t i = 1; i <= 4; i++)
        cr_assert(ring_try_push(r, (void *)i));
    cr_assert_not(ring_try_push(r, (void *)5));
    cr_assert_eq((uintptr_t)ring_try_pop(r), 1);
    cr_assert(ring_try_push(r, (void *)5));
    ring_destroy(r);
}

#define HANDOFF_ITEMS 200000

static void *producer(void *arg)
{
    struct ring *r = arg;
    for (uintptr_t i = 1; i <= HANDOFF_ITEMS; i++)
        ring_push(r, (void *)i);
    return NULL;
}

Test(ring, blocking_handoff_between_threads_loses_nothing)
{
    struct ring *r = ring_create(8);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, producer, r), 0);
    uint64_t sum = 0;
    for (uintptr_t i = 1; i <= HANDOFF_ITEMS; i++) {
        uintptr_t v = (uintptr_t)ring_pop(r);
        cr_assert_eq(v, i, "item %lu arrived as %lu", (unsigned long)i, (unsigned long)v);
        sum += v;
    }
    pthread_join(t, NULL);
    cr_assert_eq(sum, (uint64_t)HANDOFF_ITEMS * (HANDOFF_ITEMS + 1) / 2);
    cr_assert_null(ring_try_pop(r));
    ring_destroy(r);
}
