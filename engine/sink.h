/*
 * sink.h - where EVE lines go: a file, standard output, a Unix socket,
 * syslog or Redis, each named by a spec as --eve-out takes it.
 *
 * The output hands every sink the same buffers of whole lines ("{...}\n"
 * times N), in the same order, under its lock. Files and standard output
 * are written at once by the thread that flushes, with one write(2) per
 * buffer, exactly as before sinks existed: a slow disk slows the engine
 * instead of losing events, and nothing is copied. Every other sink (the
 * "network" sinks: sockets, syslog, Redis) gets its own bounded queue and
 * writer thread; the thread connects, reconnects with capped exponential
 * backoff, and writes line by line so no line is ever split. When a queue
 * is full the lines that do not fit are dropped and counted, so a sink
 * that blocks or goes away never holds up packet processing.
 */
#ifndef PS_SINK_H
#define PS_SINK_H

#include <stdint.h>

#include "common.h"

enum sink_kind {
    SINK_FILE,        /* file:PATH (or -o PATH, which truncates first) */
    SINK_STDOUT,      /* - */
    SINK_UNIX_STREAM, /* unix-stream:PATH, one line after another */
    SINK_UNIX_DGRAM,  /* unix-dgram:PATH, one event per datagram */
    SINK_SYSLOG,      /* syslog[:FACILITY[:LEVEL]], through syslog(3) */
    SINK_REDIS,       /* redis://HOST[:PORT]/KEY[?mode=list|channel] */
};

#define SINK_NAME_MAX 1024

struct sink_spec {
    enum sink_kind kind;
    bool truncate;             /* file: truncate when first opened (-o) */
    bool redis_publish;        /* redis: PUBLISH to a channel, else RPUSH */
    unsigned port;             /* redis */
    int facility, level;       /* syslog: LOG_* values */
    char target[SINK_NAME_MAX]; /* file or socket path; redis host */
    char key[SINK_NAME_MAX];    /* redis list or channel */
    char name[SINK_NAME_MAX];   /* the spec as written, for messages and counters */
};

/* Bounds of the network sinks (the --eve-* knobs). */
struct sink_limits {
    uint64_t queue_events;  /* events a queue may hold */
    uint64_t queue_bytes;   /* bytes a queue may hold */
    unsigned drain_timeout; /* at exit: seconds without progress before giving up */
    unsigned reconnect_max; /* cap of the reconnection backoff, seconds */
};

/* Counters of one sink, in events except write_errors and reconnects.
 * Every event handed to a sink ends up written or dropped. */
struct sink_stats {
    uint64_t written;      /* delivered (network: accepted by the socket or server) */
    uint64_t dropped;      /* lost: queue full, refused, failed write, or left at exit */
    uint64_t reconnects;   /* connections made again after losing one; reopens for files */
    uint64_t write_errors; /* failed write or connect operations */
};

struct sink;
struct sink_chunk; /* a flushed buffer shared by the queues of one flush */

/* Parse a spec ("file:/var/log/eve.json", "-", "unix-dgram:/run/x.sock",
 * "syslog:local5:info", "redis://127.0.0.1:6379/eve?mode=channel").
 * PS_ERR with a message naming the spec in err. */
int sink_spec_parse(const char *text, struct sink_spec *spec, char *err, size_t errlen);

/* Open a sink. Files are created now (NULL with the reason in err when
 * they cannot be); network sinks start their writer thread and connect in
 * the background, so one that is down now connects later. NULL with a
 * message when memory or a thread cannot be had. */
struct sink *sink_open(const struct sink_spec *spec, const struct sink_limits *lim, char *err,
                       size_t errlen);

const struct sink_spec *sink_spec_of(const struct sink *s);
/* True when a and b write to the same place (same file path as written,
 * socket, syslog, or Redis server and key in the same mode). */
bool sink_same_target(const struct sink_spec *a, const struct sink_spec *b);

/* True for file and standard output: written in the caller's thread. */
bool sink_is_direct(const struct sink *s);
const char *sink_name(const struct sink *s);

/* Deliver len bytes holding `lines` whole lines. The caller serialises
 * calls (one output lock). Queued sinks share one copy of buf per flush:
 * pass the same *shared (NULL at first) to every sink of a flush, then
 * release it with sink_chunk_release. */
void sink_put(struct sink *s, const char *buf, size_t len, uint64_t lines,
              struct sink_chunk **shared);
void sink_chunk_release(struct sink_chunk *c); /* accepts NULL */

/* Ask a file sink to reopen its path before its next write (logrotate).
 * Async-signal-safe: it only sets an atomic flag. No-op for other sinks. */
void sink_request_reopen(struct sink *s);

/* Wait until the queue is empty, or until the sink has made no progress
 * for lim.drain_timeout seconds, counted from the later of its last
 * progress and sink_drain_begin (the first call of either), so draining
 * several sinks one after the other waits for the slowest, not the sum. */
void sink_drain_begin(struct sink *s);
void sink_drain(struct sink *s);

/* Stop: drain as sink_drain does, stop the writer (events still queued are
 * counted as dropped), close files. The counters are final afterwards.
 * PS_ERR when closing a file failed. Idempotent. */
int sink_stop(struct sink *s);

struct sink_stats sink_stats(struct sink *s);
void sink_close(struct sink *s); /* stops if needed, frees; accepts NULL */

#endif
