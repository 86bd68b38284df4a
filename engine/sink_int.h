/*
 * sink_int.h - the inside of a sink, shared by sink.c (specs, files,
 * lifecycle), sink_queue.c (bounded queue, writer thread) and sink_net.c
 * (sockets, syslog, Redis). Nothing outside the sink module includes it,
 * except its unit tests.
 */
#ifndef PS_SINK_INT_H
#define PS_SINK_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "sink.h"

/* One flushed buffer of whole lines, copied once and shared by every
 * queue it was put in; freed by whoever drops the last reference. */
struct sink_chunk {
    atomic_size_t refs;
    size_t len;
    char data[];
};

/* A run of whole lines of a chunk waiting in one queue. */
struct sink_entry {
    struct sink_entry *next;
    struct sink_chunk *chunk; /* holds a reference */
    const char *p;            /* next byte to write */
    size_t len;               /* bytes left, whole lines */
    uint64_t lines;           /* lines left */
};

struct sink_queue {
    struct sink_entry *head, *tail;
    uint64_t lines, bytes; /* still to write, the head's rest included */
};

/* How a network sink talks to its peer; called by the writer thread only,
 * without the sink's lock. */
struct sink_ops {
    /* PS_OK when connected; PS_ERR with the reason in err. */
    int (*connect)(struct sink *s, char *err, size_t errlen);
    /* Write the whole lines of [buf, buf+len). *done: bytes of the leading
     * whole lines dealt with (written, or refused for good and counted in
     * *refused). PS_OK when all are, PS_ERR when the connection failed
     * (reason in err): the writer reconnects and goes on from *done. */
    int (*write)(struct sink *s, const char *buf, size_t len, size_t *done, uint64_t *refused,
                 char *err, size_t errlen);
    void (*disconnect)(struct sink *s);
};

struct sink {
    struct sink_spec spec;
    struct sink_limits lim;
    const struct sink_ops *ops; /* NULL: a direct sink (file, stdout) */
    pthread_mutex_t lock;       /* counters, queue, flags below */
    struct sink_stats st;

    /* direct sinks */
    int fd;
    bool fd_is_stdout;
    bool stopped;
    atomic_bool reopen;

    /* network sinks */
    struct sink_queue q;
    pthread_cond_t wake;     /* to the writer: work, or stop */
    pthread_cond_t progress; /* from the writer: lines dealt with, or exit */
    pthread_t thread;
    bool thread_started, thread_done, stopping;
    atomic_bool abandon;     /* give up what is queued: exit is waiting */
    bool dropping;           /* dropping since the queue was last empty */
    double last_progress, drain_since;
    double last_warn, last_drop_warn; /* rate limits of the two warnings */
    int sock;                /* unix sockets; -1 when not connected */
    void *redis;             /* redisContext */
    bool refusal_reported;   /* writer thread only */
};

/* Monotonic seconds. */
double sink_now(void);

/* Queue: admit the longest prefix of [p, p+len) (whole lines, `lines` of
 * them) that fits both limits; returns the lines admitted (the rest are the
 * caller's to count as dropped). The entry takes a reference on chunk. */
uint64_t sink_queue_push(struct sink_queue *q, const struct sink_limits *lim,
                         struct sink_chunk *chunk, const char *p, size_t len, uint64_t lines);
/* Forget the head's first `bytes` (whole lines, `lines` of them); pops it
 * when nothing is left. */
void sink_queue_consume(struct sink_queue *q, size_t bytes, uint64_t lines);
/* Empty the queue; returns the lines it held. */
uint64_t sink_queue_clear(struct sink_queue *q);

/* Newlines in [p, p+len). */
uint64_t sink_count_lines(const char *p, size_t len);

/* Start and stop the writer thread of a network sink. */
int sink_writer_start(struct sink *s, char *err, size_t errlen);
void sink_writer_stop(struct sink *s);
void sink_queued_put(struct sink *s, const char *buf, size_t len, uint64_t lines,
                     struct sink_chunk **shared);

/* The backends of sink_net.c. */
const struct sink_ops *sink_net_ops(enum sink_kind kind);

#endif
