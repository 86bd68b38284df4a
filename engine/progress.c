/*
 * progress.c - progress line (see progress.h).
 */
#include "progress.h"

#include <stdlib.h>
#include <time.h>

struct progress {
    const struct capture *cap;
    FILE *out;
    struct timespec t0;
    bool shown;
};

/* "0:05", "12:34", "3:02:01" */
static void progress_format_time(char *buf, size_t len, double secs)
{
    unsigned long s = secs < 0 ? 0 : (unsigned long)(secs + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

int progress_format(char *buf, size_t len, const struct progress_sample *s)
{
    double mb = (double)s->done / 1e6;
    double rate = s->elapsed > 0 ? mb / s->elapsed : 0.0;
    char left[32] = "";
    int n;

    if (s->total > 0) {
        double frac = (double)s->done / (double)s->total;
        if (frac > 1.0)
            frac = 1.0;
        if (rate > 0) {
            char t[24];
            progress_format_time(t, sizeof(t), ((double)s->total / 1e6 - mb) / rate);
            snprintf(left, sizeof(left), ", %s left", t);
        }
        n = snprintf(buf, len, "%.1f%% %.1f of %.1f MB, %.1f MB/s", frac * 100.0, mb,
                     (double)s->total / 1e6, rate);
    } else {
        n = snprintf(buf, len, "%.1f MB, %.1f MB/s", mb, rate);
    }
    if (n < 0 || (size_t)n >= len)
        return n;
    int m = snprintf(buf + n, len - (size_t)n, ", %llu flows, %llu alerts%s",
                     (unsigned long long)s->flows, (unsigned long long)s->alerts, left);
    return m < 0 ? m : n + m;
}

struct progress *progress_create(const struct capture *c, FILE *out)
{
    struct progress *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->cap = c;
    p->out = out;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    return p;
}

void progress_update(void *ctx, const struct run_stats *rs)
{
    struct progress *p = ctx;
    struct timespec now;
    struct progress_sample s;
    char line[256];

    clock_gettime(CLOCK_MONOTONIC, &now);
    s.elapsed = (double)(now.tv_sec - p->t0.tv_sec) + (double)(now.tv_nsec - p->t0.tv_nsec) / 1e9;
    capture_progress(p->cap, &s.done, &s.total);
    s.flows = rs->workers.flow.total;
    s.alerts = rs->workers.inspect.alerts;
    progress_format(line, sizeof(line), &s);
    /* \r back to the start, the line, then erase whatever an older, longer
     * line left to the right of it. */
    fprintf(p->out, "\rplainsight: %s\033[K", line);
    fflush(p->out);
    p->shown = true;
}

void progress_clear(struct progress *p)
{
    if (p == NULL || !p->shown)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->shown = false;
}

void progress_destroy(struct progress *p)
{
    progress_clear(p);
    free(p);
}
