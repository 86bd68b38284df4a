/*
 * sink.c - sink specs, the direct sinks (file, standard output) and the
 * life of every sink (see sink.h).
 *
 * A direct sink writes each buffer with write(2) in the caller's thread,
 * under the output's lock, so lines never tear or interleave; a failed
 * write loses that buffer's lines, which are counted. A file is reopened
 * (append, never truncate) before the first write after SIGHUP, so after
 * logrotate renames it, lines written before the signal stay in the old
 * file and every later one goes to the new file, none split across them.
 */
#include "sink_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct name_value {
    const char *name;
    int value;
};

static const struct name_value syslog_facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},   {"daemon", LOG_DAEMON},
    {"ftp", LOG_FTP},       {"kern", LOG_KERN},         {"lpr", LOG_LPR},     {"mail", LOG_MAIL},
    {"news", LOG_NEWS},     {"syslog", LOG_SYSLOG},     {"user", LOG_USER},   {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},     {NULL, 0},
};

/* Suricata's spellings ("Info", "Error") and syslog's ("info", "err"). */
static const struct name_value syslog_levels[] = {
    {"emerg", LOG_EMERG},     {"emergency", LOG_EMERG}, {"alert", LOG_ALERT},
    {"crit", LOG_CRIT},       {"critical", LOG_CRIT},   {"err", LOG_ERR},
    {"error", LOG_ERR},       {"warning", LOG_WARNING}, {"warn", LOG_WARNING},
    {"notice", LOG_NOTICE},   {"info", LOG_INFO},       {"debug", LOG_DEBUG},
    {NULL, 0},
};

static int lookup(const struct name_value *t, const char *name, size_t n, int *out)
{
    for (; t->name != NULL; t++) {
        if (strlen(t->name) == n && strncasecmp(t->name, name, n) == 0) {
            *out = t->value;
            return PS_OK;
        }
    }
    return PS_ERR;
}

static int spec_syslog(const char *rest, struct sink_spec *sp, const char *text, char *err,
                       size_t errlen)
{
    sp->facility = LOG_LOCAL5; /* Suricata's defaults */
    sp->level = LOG_INFO;
    if (*rest == '\0')
        return PS_OK;
    rest++; /* the ':' */
    size_t n = strcspn(rest, ":");
    if (lookup(syslog_facilities, rest, n, &sp->facility) != PS_OK) {
        snprintf(err, errlen,
                 "--eve-out '%s': unknown syslog facility '%.*s' (known: auth, authpriv, cron, "
                 "daemon, ftp, kern, lpr, mail, news, syslog, user, uucp, local0..local7)",
                 text, (int)n, rest);
        return PS_ERR;
    }
    if (rest[n] == '\0')
        return PS_OK;
    const char *lvl = rest + n + 1;
    if (lookup(syslog_levels, lvl, strlen(lvl), &sp->level) != PS_OK) {
        snprintf(err, errlen,
                 "--eve-out '%s': unknown syslog level '%s' (known: emerg, alert, crit, err, "
                 "warning, notice, info, debug)", text, lvl);
        return PS_ERR;
    }
    return PS_OK;
}

/* redis://HOST[:PORT]/KEY[?mode=list|channel]; HOST may be [IPv6]. */
static int spec_redis(const char *rest, struct sink_spec *sp, const char *text, char *err,
                      size_t errlen)
{
    const char *host = rest, *after;
    size_t hlen;
    if (*rest == '[') {
        const char *close = strchr(rest, ']');
        if (close == NULL)
            goto bad;
        host = rest + 1;
        hlen = (size_t)(close - host);
        after = close + 1;
    } else {
        hlen = strcspn(rest, ":/?");
        after = rest + hlen;
    }
    if (hlen == 0 || hlen >= sizeof(sp->target))
        goto bad;
    memcpy(sp->target, host, hlen);
    sp->target[hlen] = '\0';
    sp->port = 6379;
    if (*after == ':') {
        char *end;
        errno = 0;
        unsigned long port = strtoul(after + 1, &end, 10);
        if (end == after + 1 || errno != 0 || port == 0 || port > 65535 || after[1] == '-')
            goto bad;
        sp->port = (unsigned)port;
        after = end;
    }
    if (*after != '/' || after[1] == '\0' || after[1] == '?')
        goto bad;
    const char *key = after + 1;
    size_t klen = strcspn(key, "?");
    if (klen >= sizeof(sp->key))
        goto bad;
    memcpy(sp->key, key, klen);
    sp->key[klen] = '\0';
    const char *query = key + klen;
    if (*query == '\0' || strcmp(query, "?mode=list") == 0)
        return PS_OK;
    if (strcmp(query, "?mode=channel") == 0) {
        sp->redis_publish = true;
        return PS_OK;
    }
    snprintf(err, errlen, "--eve-out '%s': the only Redis option is ?mode=list (RPUSH, the "
                          "default) or ?mode=channel (PUBLISH)", text);
    return PS_ERR;
bad:
    snprintf(err, errlen, "--eve-out '%s': a Redis sink is redis://HOST[:PORT]/KEY "
                          "(port 1..65535, default 6379; a key is required)", text);
    return PS_ERR;
}

static int spec_path(const char *path, struct sink_spec *sp, const char *text, size_t max,
                     char *err, size_t errlen)
{
    if (*path == '\0' || strlen(path) >= max) {
        snprintf(err, errlen, "--eve-out '%s': %s", text,
                 *path == '\0' ? "the path is empty" : "the path is too long");
        return PS_ERR;
    }
    snprintf(sp->target, sizeof(sp->target), "%s", path);
    return PS_OK;
}

int sink_spec_parse(const char *text, struct sink_spec *sp, char *err, size_t errlen)
{
    static const char *const prefixes[] = {"file:", "unix-stream:", "unix-dgram:"};
    static const enum sink_kind kinds[] = {SINK_FILE, SINK_UNIX_STREAM, SINK_UNIX_DGRAM};
    memset(sp, 0, sizeof(*sp));
    if (strlen(text) >= sizeof(sp->name)) {
        snprintf(err, errlen, "--eve-out: the spec is longer than %zu bytes", sizeof(sp->name) - 1);
        return PS_ERR;
    }
    snprintf(sp->name, sizeof(sp->name), "%s", text);
    if (strcmp(text, "-") == 0) {
        sp->kind = SINK_STDOUT;
        return PS_OK;
    }
    for (size_t i = 0; i < PS_ARRAY_LEN(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(text, prefixes[i], n) == 0) {
            sp->kind = kinds[i];
            /* a socket path must fit sockaddr_un */
            size_t max = kinds[i] == SINK_FILE ? sizeof(sp->target)
                                               : sizeof(((struct sockaddr_un *)0)->sun_path);
            return spec_path(text + n, sp, text, max, err, errlen);
        }
    }
    if (strcmp(text, "syslog") == 0 || strncmp(text, "syslog:", 7) == 0) {
        sp->kind = SINK_SYSLOG;
        return spec_syslog(text + 6, sp, text, err, errlen);
    }
    if (strncmp(text, "redis://", 8) == 0) {
        sp->kind = SINK_REDIS;
        return spec_redis(text + 8, sp, text, err, errlen);
    }
    snprintf(err, errlen, "--eve-out '%s': unknown sink (known: file:PATH, - for standard "
                          "output, unix-stream:PATH, unix-dgram:PATH, "
                          "syslog[:FACILITY[:LEVEL]], redis://HOST[:PORT]/KEY[?mode=list|channel])",
             text);
    return PS_ERR;
}

double sink_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t sink_count_lines(const char *p, size_t len)
{
    uint64_t n = 0;
    const char *end = p + len;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static int file_open(const char *path, bool truncate)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND);
    return open(path, flags, 0644);
}

struct sink *sink_open(const struct sink_spec *spec, const struct sink_limits *lim, char *err,
                       size_t errlen)
{
    struct sink *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->spec = *spec;
    s->lim = *lim;
    s->fd = -1;
    s->sock = -1;
    atomic_init(&s->reopen, false);
    atomic_init(&s->abandon, false);
    pthread_mutex_init(&s->lock, NULL);
    if (spec->kind == SINK_STDOUT) {
        s->fd = STDOUT_FILENO;
        s->fd_is_stdout = true;
        return s;
    }
    if (spec->kind == SINK_FILE) {
        s->fd = file_open(spec->target, spec->truncate);
        if (s->fd < 0) {
            snprintf(err, errlen, "cannot write %s: %s", spec->target, strerror(errno));
            goto fail;
        }
        return s;
    }
    s->ops = sink_net_ops(spec->kind);
    if (sink_writer_start(s, err, errlen) != PS_OK)
        goto fail;
    return s;
fail:
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
}

bool sink_is_direct(const struct sink *s)
{
    return s->ops == NULL;
}

const struct sink_spec *sink_spec_of(const struct sink *s)
{
    return &s->spec;
}

bool sink_same_target(const struct sink_spec *a, const struct sink_spec *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SINK_STDOUT: return true;
    case SINK_SYSLOG: return a->facility == b->facility && a->level == b->level;
    case SINK_REDIS:
        return a->port == b->port && a->redis_publish == b->redis_publish &&
               strcmp(a->target, b->target) == 0 && strcmp(a->key, b->key) == 0;
    default: return strcmp(a->target, b->target) == 0;
    }
}

const char *sink_name(const struct sink *s)
{
    return s->spec.name;
}

void sink_request_reopen(struct sink *s)
{
    if (s->spec.kind == SINK_FILE)
        atomic_store(&s->reopen, true);
}

/* Reopen in append mode; a file that cannot be reopened keeps the old
 * descriptor (nothing is lost) and the next SIGHUP tries again. */
static void file_reopen(struct sink *s)
{
    int fd = file_open(s->spec.target, false);
    if (fd < 0) {
        fprintf(stderr, "plainsight: warning: cannot reopen %s: %s; still writing to the file "
                        "opened before\n", s->spec.target, strerror(errno));
        return;
    }
    close(s->fd);
    s->fd = fd;
    s->st.reconnects++;
}

static bool write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

void sink_put(struct sink *s, const char *buf, size_t len, uint64_t lines,
              struct sink_chunk **shared)
{
    if (s->ops != NULL) {
        sink_queued_put(s, buf, len, lines, shared);
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (s->stopped) {
        s->st.dropped += lines;
    } else {
        if (atomic_exchange(&s->reopen, false))
            file_reopen(s);
        if (write_all(s->fd, buf, len)) {
            s->st.written += lines;
        } else {
            s->st.dropped += lines;
            s->st.write_errors++;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

void sink_drain_begin(struct sink *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->drain_since == 0)
        s->drain_since = sink_now();
    pthread_mutex_unlock(&s->lock);
}

void sink_drain(struct sink *s)
{
    if (s->ops == NULL)
        return;
    sink_drain_begin(s);
    pthread_mutex_lock(&s->lock);
    while (s->q.lines > 0 && !s->thread_done) {
        double since = PS_MAX(s->last_progress, s->drain_since);
        double now = sink_now();
        if (now - since >= (double)s->lim.drain_timeout)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->progress, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
}

int sink_stop(struct sink *s)
{
    int rc = PS_OK;
    if (s->ops != NULL) {
        sink_drain(s);
        sink_writer_stop(s);
        return PS_OK;
    }
    pthread_mutex_lock(&s->lock);
    if (!s->stopped) {
        s->stopped = true;
        if (!s->fd_is_stdout && close(s->fd) != 0) {
            s->st.write_errors++;
            rc = PS_ERR;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct sink_stats sink_stats(struct sink *s)
{
    pthread_mutex_lock(&s->lock);
    struct sink_stats st = s->st;
    pthread_mutex_unlock(&s->lock);
    return st;
}

void sink_close(struct sink *s)
{
    if (s == NULL)
        return;
    sink_stop(s);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
