/*
 * ring.c - SPSC pointer ring (see ring.h).
 *
 * head is written only by the consumer, tail only by the producer; each
 * reads the other's index with acquire ordering, so an item is visible
 * before the index that publishes it. The indices live on separate cache
 * lines to keep the two threads from invalidating each other's line.
 *
 * Waiting: after a short spin, a waiter sets `sleeping` and re-checks the
 * ring before it sleeps; the other side checks `sleeping` after every
 * change. The sleep is timed (1 ms) as a backstop, so a wake-up lost to a
 * race costs a millisecond, never a hang.
 */
#include "ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define RING_SPINS 64

struct ring {
    _Alignas(64) _Atomic unsigned head; /* next slot to pop */
    _Alignas(64) _Atomic unsigned tail; /* next slot to push */
    _Alignas(64) _Atomic int sleeping;  /* a side waits on cond */
    unsigned mask;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void **slots;
};

struct ring *ring_create(unsigned capacity)
{
    unsigned cap = 2;
    while (cap < capacity)
        cap <<= 1;

    struct ring *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->slots = calloc(cap, sizeof(void *));
    if (r->slots == NULL) {
        free(r);
        return NULL;
    }
    r->mask = cap - 1;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    return r;
}

void ring_destroy(struct ring *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r->slots);
    free(r);
}

static void ring_wake(struct ring *r)
{
    if (atomic_load(&r->sleeping)) {
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
}

bool ring_try_push(struct ring *r, void *item)
{
    unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail - head > r->mask)
        return false;
    r->slots[tail & r->mask] = item;
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    ring_wake(r);
    return true;
}

void *ring_try_pop(struct ring *r)
{
    unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
    unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head == tail)
        return NULL;
    void *item = r->slots[head & r->mask];
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    ring_wake(r);
    return item;
}

/* Sleep until signalled or 1 ms passed. The flag is raised before the
 * caller's final re-check, so a change made after that check is seen by
 * the other side's ring_wake(). */
static void ring_sleep(struct ring *r)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&r->lock);
    pthread_cond_timedwait(&r->cond, &r->lock, &until);
    pthread_mutex_unlock(&r->lock);
}

void ring_push(struct ring *r, void *item)
{
    for (unsigned i = 0;; i++) {
        if (ring_try_push(r, item))
            return;
        if (i < RING_SPINS) {
            sched_yield();
            continue;
        }
        atomic_store(&r->sleeping, 1);
        if (ring_try_push(r, item)) {
            atomic_store(&r->sleeping, 0);
            return;
        }
        ring_sleep(r);
        atomic_store(&r->sleeping, 0);
    }
}

void *ring_pop(struct ring *r)
{
    for (unsigned i = 0;; i++) {
        void *item = ring_try_pop(r);
        if (item != NULL)
            return item;
        if (i < RING_SPINS) {
            sched_yield();
            continue;
        }
        atomic_store(&r->sleeping, 1);
        item = ring_try_pop(r);
        if (item != NULL) {
            atomic_store(&r->sleeping, 0);
            return item;
        }
        ring_sleep(r);
        atomic_store(&r->sleeping, 0);
    }
}
