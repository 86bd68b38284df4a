/*
 * sink_net.c - the network sinks' backends: Unix stream and datagram
 * sockets, syslog(3), and Redis through hiredis. Each is called by its
 * sink's writer thread only (sink_queue.c), with whole lines.
 *
 * Every blocking call has a bound so an abandoned writer notices at exit:
 * sockets get a send timeout of IO_TIMEOUT (a timeout alone is not a
 * failure: the write goes on unless the sink is being abandoned), hiredis
 * gets REDIS_TIMEOUT (after which its context is dead and we reconnect),
 * and syslog(3), which has no timeout, is the one call the writer may be
 * cancelled in.
 *
 * What each sends: unix-stream the lines as they are ("{...}\n"), unix-dgram
 * one datagram per event without the newline, syslog one message per event,
 * Redis one RPUSH or PUBLISH per event without the newline (as Suricata),
 * pipelined in batches of REDIS_BATCH.
 */
#include "sink_int.h"

#include <errno.h>
#include <hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define IO_TIMEOUT_SEC 1
#define REDIS_CONNECT_TIMEOUT_SEC 1
#define REDIS_TIMEOUT_SEC 2
#define REDIS_BATCH 256

static bool abandoned(struct sink *s)
{
    return atomic_load(&s->abandon);
}

/* --- Unix sockets ------------------------------------------------------ */

static int unix_connect(struct sink *s, char *err, size_t errlen)
{
    int type = s->spec.kind == SINK_UNIX_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return PS_ERR;
    }
    /* also bounds connect(2) on a stream socket whose backlog is full */
    struct timeval tv = {IO_TIMEOUT_SEC, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(s->spec.target); /* checked to fit when parsed */
    memcpy(sa.sun_path, s->spec.target, PS_MIN(n, sizeof(sa.sun_path) - 1));
    int rc;
    do {
        rc = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return PS_ERR;
    }
    s->sock = fd;
    return PS_OK;
}

static void unix_disconnect(struct sink *s)
{
    if (s->sock >= 0)
        close(s->sock);
    s->sock = -1;
}

/* A send timeout is no failure: wait on, unless the sink is abandoned. */
static bool send_retry(struct sink *s, int e)
{
    return e == EINTR || ((e == EAGAIN || e == EWOULDBLOCK) && !abandoned(s));
}

static int unix_stream_write(struct sink *s, const char *buf, size_t len, size_t *done,
                             uint64_t *refused, char *err, size_t errlen)
{
    size_t off = 0;
    *refused = 0;
    while (off < len) {
        ssize_t n = send(s->sock, buf + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && send_retry(s, errno)) {
            continue;
        } else {
            snprintf(err, errlen, "%s", n == 0 ? "no progress" : strerror(errno));
            break;
        }
    }
    /* Only whole lines count; a line cut by a broken connection is sent
     * again, whole, on the next one. */
    size_t whole = off;
    while (whole > 0 && buf[whole - 1] != '\n')
        whole--;
    *done = whole;
    return off == len ? PS_OK : PS_ERR;
}

static int unix_dgram_write(struct sink *s, const char *buf, size_t len, size_t *done,
                            uint64_t *refused, char *err, size_t errlen)
{
    size_t off = 0;
    *refused = 0;
    while (off < len) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t llen = (size_t)(nl - (buf + off));
        ssize_t n = send(s->sock, buf + off, llen, MSG_NOSIGNAL);
        if (n < 0 && send_retry(s, errno))
            continue;
        if (n < 0 && errno == EMSGSIZE) {
            (*refused)++; /* larger than any datagram the socket takes */
        } else if (n < 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            break;
        }
        off += llen + 1;
    }
    *done = off;
    return off == len ? PS_OK : PS_ERR;
}

/* --- syslog(3) ------------------------------------------------------------ */

static pthread_once_t syslog_once = PTHREAD_ONCE_INIT;

static void syslog_open(void)
{
    openlog("plainsight", LOG_PID, LOG_LOCAL5);
}

static int syslog_connect(struct sink *s, char *err, size_t errlen)
{
    pthread_once(&syslog_once, syslog_open);
    return PS_OK;
}

/* syslog(3) reports no failure: every event handed to it counts as written. */
static int syslog_write(struct sink *s, const char *buf, size_t len, size_t *done,
                        uint64_t *refused, char *err, size_t errlen)
{
    size_t off = 0;
    int pri = s->spec.facility | s->spec.level;
    *refused = 0;
    while (off < len && !abandoned(s)) {
        const char *nl = memchr(buf + off, '\n', len - off);
        int llen = (int)(nl - (buf + off));
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        syslog(pri, "%.*s", llen, buf + off);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        off += (size_t)llen + 1;
    }
    *done = off;
    if (off < len)
        snprintf(err, errlen, "abandoned at exit");
    return off == len ? PS_OK : PS_ERR;
}

static void syslog_disconnect(struct sink *s)
{
}

/* --- Redis ---------------------------------------------------------------- */

static int redis_connect(struct sink *s, char *err, size_t errlen)
{
    struct timeval tv = {REDIS_CONNECT_TIMEOUT_SEC, 0};
    redisContext *c = redisConnectWithTimeout(s->spec.target, (int)s->spec.port, tv);
    if (c == NULL || c->err) {
        snprintf(err, errlen, "%s", c != NULL ? c->errstr : "out of memory");
        redisFree(c);
        return PS_ERR;
    }
    struct timeval io = {REDIS_TIMEOUT_SEC, 0};
    redisSetTimeout(c, io);
    s->redis = c;
    return PS_OK;
}

static void redis_disconnect(struct sink *s)
{
    redisFree(s->redis);
    s->redis = NULL;
}

/* One pipelined batch of up to REDIS_BATCH lines from buf; the replies are
 * read in order, so *done stops at the first line without a reply. An
 * error reply (say, the key holds no list) refuses that line for good. */
static int redis_batch(struct sink *s, const char *buf, size_t len, size_t *done,
                       uint64_t *refused, char *err, size_t errlen)
{
    redisContext *c = s->redis;
    const char *cmd = s->spec.redis_publish ? "PUBLISH %b %b" : "RPUSH %b %b";
    size_t ends[REDIS_BATCH], off = 0;
    unsigned n = 0;
    while (off < len && n < REDIS_BATCH) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t llen = (size_t)(nl - (buf + off));
        if (redisAppendCommand(c, cmd, s->spec.key, strlen(s->spec.key), buf + off, llen) !=
            REDIS_OK)
            break;
        off += llen + 1;
        ends[n++] = off;
    }
    *done = 0;
    for (unsigned i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
            snprintf(err, errlen, "%s", c->errstr[0] ? c->errstr : "connection lost");
            return PS_ERR;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            (*refused)++;
            if (!s->refusal_reported) {
                s->refusal_reported = true;
                fprintf(stderr, "plainsight: warning: %s: Redis refused an event: %s\n",
                        s->spec.name, r->str);
            }
        }
        freeReplyObject(r);
        *done = ends[i];
    }
    if (n == 0) {
        snprintf(err, errlen, "%s", c->errstr[0] ? c->errstr : "cannot build the command");
        return PS_ERR;
    }
    return PS_OK;
}

static int redis_write(struct sink *s, const char *buf, size_t len, size_t *done,
                       uint64_t *refused, char *err, size_t errlen)
{
    size_t off = 0;
    *refused = 0;
    while (off < len && !abandoned(s)) {
        size_t part = 0;
        int rc = redis_batch(s, buf + off, len - off, &part, refused, err, errlen);
        off += part;
        if (rc != PS_OK) {
            *done = off;
            return PS_ERR;
        }
    }
    *done = off;
    if (off < len)
        snprintf(err, errlen, "abandoned at exit");
    return off == len ? PS_OK : PS_ERR;
}

const struct sink_ops *sink_net_ops(enum sink_kind kind)
{
    static const struct sink_ops unix_stream = {unix_connect, unix_stream_write, unix_disconnect};
    static const struct sink_ops unix_dgram = {unix_connect, unix_dgram_write, unix_disconnect};
    static const struct sink_ops sys = {syslog_connect, syslog_write, syslog_disconnect};
    static const struct sink_ops redis = {redis_connect, redis_write, redis_disconnect};
    switch (kind) {
    case SINK_UNIX_STREAM: return &unix_stream;
    case SINK_UNIX_DGRAM: return &unix_dgram;
    case SINK_SYSLOG: return &sys;
    case SINK_REDIS: return &redis;
    default: return NULL;
    }
}
