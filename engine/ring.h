/*
 * ring.h - a bounded single-producer single-consumer queue of pointers.
 *
 * The dispatcher hands packet batches to each worker through one ring and
 * gets them back through another. Push and pop never take a lock while the
 * ring has room or items; a side that must wait spins briefly, then sleeps
 * on a condition variable that the other side signals only when a sleeper
 * is flagged, so the common path stays lock-free.
 */
#ifndef PS_RING_H
#define PS_RING_H

#include "common.h"

struct ring;

/* capacity is rounded up to a power of two. NULL when out of memory. */
struct ring *ring_create(unsigned capacity);
void ring_destroy(struct ring *r); /* accepts NULL */

/* Non-blocking: false when full / empty. */
bool ring_try_push(struct ring *r, void *item);
void *ring_try_pop(struct ring *r);

/* Blocking: wait until there is room / an item. */
void ring_push(struct ring *r, void *item);
void *ring_pop(struct ring *r);

#endif
