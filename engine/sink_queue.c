/*
 * sink_queue.c - the bounded queue and writer thread of a network sink.
 *
 * Producers (workers flushing their buffers, under the output's lock) copy
 * each flushed buffer once into a reference-counted chunk shared by every
 * queue, and admit the longest run of whole lines that fits the queue's
 * event and byte limits; the rest is counted as dropped, and the first drop
 * of an episode is reported on stderr (at most every WARN_INTERVAL seconds).
 * A queue entry leaves the queue only once its last line is dealt with, so
 * the limits also bound what is being written.
 *
 * The writer thread takes the head entry, writes it without the lock, and
 * counts what went out. When the peer is down or the connection breaks it
 * reconnects after a wait that doubles from BACKOFF_FIRST up to
 * lim.reconnect_max, and goes on from the first line not yet written, so a
 * line is never split across two connections. At exit, sink_drain waits
 * while the writer makes progress; once it has made none for
 * lim.drain_timeout seconds, the writer is told to abandon, and what is
 * left in the queue is counted as dropped.
 */
#include "sink_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST 0.1  /* seconds before the first reconnection attempt */
#define WARN_INTERVAL 10.0 /* seconds between two warnings of one sink */
#define CANCEL_GRACE 2.0   /* seconds an abandoned writer has to notice */

uint64_t sink_queue_push(struct sink_queue *q, const struct sink_limits *lim,
                         struct sink_chunk *chunk, const char *p, size_t len, uint64_t lines)
{
    uint64_t room_lines = q->lines < lim->queue_events ? lim->queue_events - q->lines : 0;
    uint64_t room_bytes = q->bytes < lim->queue_bytes ? lim->queue_bytes - q->bytes : 0;
    size_t take = len;
    uint64_t n = lines;
    if (lines > room_lines || len > room_bytes) {
        /* the longest prefix of whole lines within both limits */
        take = 0;
        n = 0;
        while (n < room_lines) {
            const char *nl = memchr(p + take, '\n', len - take);
            if (nl == NULL || (size_t)(nl + 1 - p) > room_bytes)
                break;
            take = (size_t)(nl + 1 - p);
            n++;
        }
    }
    if (n == 0)
        return 0;
    struct sink_entry *e = malloc(sizeof(*e));
    if (e == NULL)
        return 0;
    atomic_fetch_add(&chunk->refs, 1);
    *e = (struct sink_entry){NULL, chunk, p, take, n};
    if (q->tail != NULL)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->lines += n;
    q->bytes += take;
    return n;
}

void sink_queue_consume(struct sink_queue *q, size_t bytes, uint64_t lines)
{
    struct sink_entry *e = q->head;
    e->p += bytes;
    e->len -= bytes;
    e->lines -= lines;
    q->bytes -= bytes;
    q->lines -= lines;
    if (e->len > 0)
        return;
    q->head = e->next;
    if (q->head == NULL)
        q->tail = NULL;
    sink_chunk_release(e->chunk);
    free(e);
}

uint64_t sink_queue_clear(struct sink_queue *q)
{
    uint64_t n = q->lines;
    while (q->head != NULL)
        sink_queue_consume(q, q->head->len, q->head->lines);
    return n;
}

void sink_chunk_release(struct sink_chunk *c)
{
    if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1)
        free(c);
}

/* Called with the output's lock held: one copy per flush, whatever the
 * number of queues. */
void sink_queued_put(struct sink *s, const char *buf, size_t len, uint64_t lines,
                     struct sink_chunk **shared)
{
    if (*shared == NULL) {
        struct sink_chunk *c = malloc(sizeof(*c) + len);
        if (c != NULL) {
            atomic_init(&c->refs, 1); /* the caller's, released after the flush */
            c->len = len;
            memcpy(c->data, buf, len);
        }
        *shared = c;
    }
    pthread_mutex_lock(&s->lock);
    uint64_t taken = 0;
    if (*shared != NULL && !s->stopping)
        taken = sink_queue_push(&s->q, &s->lim, *shared, (*shared)->data, len, lines);
    if (taken > 0)
        pthread_cond_signal(&s->wake);
    if (taken < lines) {
        s->st.dropped += lines - taken;
        double now = sink_now();
        if (!s->dropping && now - s->last_drop_warn >= WARN_INTERVAL) {
            fprintf(stderr, "plainsight: warning: %s: queue full (%llu events), dropping "
                            "events; %llu dropped so far\n", s->spec.name,
                    (unsigned long long)s->q.lines, (unsigned long long)s->st.dropped);
            s->last_drop_warn = now;
        }
        s->dropping = true;
    }
    pthread_mutex_unlock(&s->lock);
}

/* Wait on the writer's condition until `secs` pass, or abandon. */
static void writer_sleep(struct sink *s, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)ts.tv_nsec + (long long)(secs * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    while (!atomic_load(&s->abandon)) {
        if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) == ETIMEDOUT)
            break;
    }
}

static void writer_warn(struct sink *s, const char *what, const char *why)
{
    double now = sink_now();
    if (now - s->last_warn < WARN_INTERVAL)
        return;
    s->last_warn = now;
    fprintf(stderr, "plainsight: warning: %s: %s: %s; retrying (backoff up to %us), events "
                    "wait in its queue and are dropped when it is full\n",
            s->spec.name, what, why, s->lim.reconnect_max);
}

/* Connect, with the lock held on entry and exit. */
static bool writer_connect(struct sink *s, double *backoff, bool *ever, bool *warned)
{
    char err[256] = "";
    pthread_mutex_unlock(&s->lock);
    int rc = s->ops->connect(s, err, sizeof(err));
    pthread_mutex_lock(&s->lock);
    if (rc == PS_OK) {
        if (*ever)
            s->st.reconnects++;
        if (*warned)
            fprintf(stderr, "plainsight: %s: connected\n", s->spec.name);
        *ever = true;
        *warned = false;
        *backoff = BACKOFF_FIRST;
        return true;
    }
    s->st.write_errors++;
    if (!*warned)
        writer_warn(s, "cannot connect", err);
    *warned = true;
    writer_sleep(s, *backoff);
    *backoff = PS_MIN(*backoff * 2, (double)s->lim.reconnect_max);
    return false;
}

/* Write the head entry; with the lock held on entry and exit. */
static bool writer_write(struct sink *s, bool *warned)
{
    struct sink_entry *e = s->q.head;
    const char *p = e->p;
    size_t len = e->len, done = 0;
    uint64_t refused = 0;
    char err[256] = "";
    pthread_mutex_unlock(&s->lock);
    int rc = s->ops->write(s, p, len, &done, &refused, err, sizeof(err));
    uint64_t lines = sink_count_lines(p, done);
    pthread_mutex_lock(&s->lock);
    if (done > 0) {
        s->st.written += lines - refused;
        s->st.dropped += refused;
        s->st.write_errors += refused;
        s->last_progress = sink_now();
        sink_queue_consume(&s->q, done, lines);
        if (s->q.lines == 0)
            s->dropping = false;
        pthread_cond_broadcast(&s->progress);
    }
    if (rc == PS_OK)
        return true;
    s->st.write_errors++;
    if (!atomic_load(&s->abandon))
        writer_warn(s, "write failed", err);
    *warned = true;
    return false;
}

static void *writer_main(void *arg)
{
    struct sink *s = arg;
    bool connected = false, ever = false, warned = false;
    double backoff = BACKOFF_FIRST;
    /* Only the syslog(3) call may be cancelled (it has no timeout). */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->q.head == NULL && !s->stopping)
            pthread_cond_wait(&s->wake, &s->lock);
        if (s->q.head == NULL || atomic_load(&s->abandon))
            break;
        if (!connected) {
            connected = writer_connect(s, &backoff, &ever, &warned);
            continue;
        }
        if (!writer_write(s, &warned)) {
            pthread_mutex_unlock(&s->lock);
            s->ops->disconnect(s);
            pthread_mutex_lock(&s->lock);
            connected = false;
        }
    }
    s->thread_done = true;
    pthread_cond_broadcast(&s->progress);
    pthread_mutex_unlock(&s->lock);
    if (connected)
        s->ops->disconnect(s);
    return NULL;
}

int sink_writer_start(struct sink *s, char *err, size_t errlen)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->progress, &ca);
    pthread_condattr_destroy(&ca);
    /* The writer takes no signal: SIGPIPE from a closed peer becomes EPIPE,
     * and SIGHUP/SIGINT/SIGTERM reach the threads that handle them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, writer_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot start its writer thread: %s", s->spec.name,
                 strerror(rc));
        pthread_cond_destroy(&s->wake);
        pthread_cond_destroy(&s->progress);
        return PS_ERR;
    }
    s->thread_started = true;
    return PS_OK;
}

void sink_writer_stop(struct sink *s)
{
    if (!s->thread_started)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    if (s->q.lines > 0)
        atomic_store(&s->abandon, true); /* sink_drain gave up */
    pthread_cond_broadcast(&s->wake);
    double t0 = sink_now();
    while (!s->thread_done && sink_now() - t0 < CANCEL_GRACE) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->progress, &s->lock, &ts);
    }
    bool stuck = !s->thread_done;
    pthread_mutex_unlock(&s->lock);
    if (stuck) /* blocked in syslog(3), which has no timeout */
        pthread_cancel(s->thread);
    pthread_join(s->thread, NULL);
    s->thread_started = false;
    pthread_mutex_lock(&s->lock);
    s->st.dropped += sink_queue_clear(&s->q);
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->progress);
}
