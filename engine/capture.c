/*
 * capture.c - capture files and live interfaces through libpcap (see
 * capture.h).
 *
 * Inputs are expanded and checked up front: each file is opened once to
 * learn that it is a capture of a link type we decode, then closed, and
 * reopened when its turn comes. Standard input, a FIFO or a process
 * substitution (/dev/fd/N) cannot be read twice, so those stay open from
 * the check on. A live interface is the one "file" of its
 * capture and stays open throughout.
 *
 * A classic pcap file is then read through pcap_map (memory-mapped, no
 * copy), with the snapshot length and filter libpcap derived from it;
 * anything else through libpcap, which owns each frame's bytes until the
 * next read (the caller copies them if it must keep them). Mapped files
 * are numbered end to end into one position space (packet.cap_pos); a file
 * that has been read stays mapped until capture_release() passes its end.
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "pcap_map.h"

#define CAPTURE_IOBUF (128u * 1024)

struct capture {
    char **names;
    unsigned nfiles, cap;
    char *bpf;
    pcap_t *cur;          /* file being read, NULL between files */
    unsigned cur_idx;     /* index of cur, or of the next file to open */
    uint64_t cur_cnt;     /* packets read from cur */
    int cur_linktype;
    pcap_t **kept;        /* per input: one that cannot be read twice (not a
                           * regular file), open since the check */
    bool live;            /* names[0] is an interface, cur its handle */
    int live_fd;          /* to poll cur with, which is non-blocking */
    unsigned timeout_ms;
    bool (*stopping)(void);
    void (*wait_hook)(void *ctx);
    void *wait_ctx;
    uint64_t size_total;  /* bytes of all input files; 0 when unknown */
    uint64_t size_done;   /* bytes of the files already read to the end */
    uint64_t cur_size;
    char *iobuf;          /* stdio buffer of the open file, CAPTURE_IOBUF bytes */
    /* The current file when mapped (cur is then NULL), where its offsets
     * start in the position space, and its filter. */
    struct pcap_map *map;
    uint64_t map_base;
    unsigned prefetch; /* for each map (pcap_map_set_prefetch) */
    struct bpf_program prog;
    bool have_prog;
    struct capture_read_map *done_maps; /* read to the end, not yet released */
    unsigned ndone, capdone;
    struct capture_stats st;
};

struct capture_read_map {
    struct pcap_map *map;
    uint64_t base;
};

static int capture_add_name(struct capture *c, const char *name)
{
    if (c->nfiles == c->cap) {
        unsigned ncap = c->cap ? c->cap * 2 : 16;
        char **n = realloc(c->names, ncap * sizeof(*n));
        if (n == NULL)
            return PS_NOMEM;
        c->names = n;
        c->cap = ncap;
    }
    c->names[c->nfiles] = strdup(name);
    if (c->names[c->nfiles] == NULL)
        return PS_NOMEM;
    c->nfiles++;
    return PS_OK;
}

/* pcap, pcap with nanoseconds, their byte-swapped forms, and pcapng. */
static bool capture_magic_ok(const char *path)
{
    static const uint32_t magics[] = {0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1,
                                      0x0a0d0d0a};
    unsigned char b[4];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t n = fread(b, 1, 4, f);
    fclose(f);
    if (n != 4)
        return false;
    uint32_t m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    for (size_t i = 0; i < PS_ARRAY_LEN(magics); i++)
        if (m == magics[i])
            return true;
    return false;
}

static int capture_filter_name(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* A directory contributes its capture files in name order. */
static int capture_add_dir(struct capture *c, const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, capture_filter_name, alphasort);
    if (n < 0)
        return PS_ERR;
    int rc = PS_OK;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        if (rc == PS_OK && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (capture_magic_ok(path))
                rc = capture_add_name(c, path);
            else
                fprintf(stderr, "plainsight: warning: %s: not a capture file, skipped\n", path);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

static int capture_set_filter(pcap_t *pc, const char *bpf, enum capture_error *why, char *err,
                              size_t errlen)
{
    struct bpf_program prog;
    if (bpf == NULL)
        return PS_OK;
    if (pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "filter '%s': %s", bpf, pcap_geterr(pc));
        *why = CAPTURE_ERR_FILTER;
        return PS_ERR;
    }
    int rc = pcap_setfilter(pc, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "filter '%s': %s", bpf, pcap_geterr(pc));
        *why = CAPTURE_ERR_FILTER;
        return PS_ERR;
    }
    return PS_OK;
}

static bool capture_linktype_ok(pcap_t *pc, const char *name, enum capture_error *why,
                                char *err, size_t errlen)
{
    int dlt = pcap_datalink(pc);
    if (decode_linktype_supported(dlt))
        return true;
    const char *dn = pcap_datalink_val_to_name(dlt);
    snprintf(err, errlen, "%s: unsupported link type %d (%s)", name, dlt, dn ? dn : "unknown");
    *why = CAPTURE_ERR_LINKTYPE;
    return false;
}

#define CAPTURE_PIPE_WAIT_MS 100

/*
 * Standard input is read through a stdio cookie that waits for data with
 * poll(), so a quiet pipe never blocks the run for good: every wait of
 * CAPTURE_PIPE_WAIT_MS gives the caller's wait hook a turn (periodic stats,
 * progress), and a stop request fails the read, which ends the input.
 */
static ssize_t capture_pipe_read(void *cookie, char *buf, size_t size)
{
    struct capture *c = cookie;
    for (;;) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = poll(&pfd, 1, CAPTURE_PIPE_WAIT_MS);
        if (n > 0) {
            ssize_t r = read(STDIN_FILENO, buf, size);
            if (r >= 0)
                return r;
            if (errno != EINTR && errno != EAGAIN)
                return -1;
        } else if (n < 0 && errno != EINTR) {
            return -1;
        }
        if (c->stopping != NULL && c->stopping()) {
            errno = EINTR;
            return -1;
        }
        if (n == 0 && c->wait_hook != NULL)
            c->wait_hook(c->wait_ctx);
    }
}

static pcap_t *capture_open_stdin(struct capture *c, char *pcerr)
{
    cookie_io_functions_t io = {.read = capture_pipe_read};
    FILE *f = fopencookie(c, "r", io);
    if (f == NULL) {
        snprintf(pcerr, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 256 * 1024);
    pcap_t *pc = pcap_fopen_offline(f, pcerr);
    if (pc == NULL)
        fclose(f);
    return pc;
}

static pcap_t *capture_open_one(struct capture *c, unsigned idx, enum capture_error *why,
                                char *err, size_t errlen)
{
    char pcerr[PCAP_ERRBUF_SIZE];
    const char *name = c->names[idx];
    pcap_t *pc;

    if (c->kept != NULL && c->kept[idx] != NULL) {
        pc = c->kept[idx];
        c->kept[idx] = NULL;
        return pc;
    }
    if (strcmp(name, "-") != 0) {
        FILE *f = fopen(name, "rb");
        if (f == NULL) {
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
            *why = CAPTURE_ERR_MISSING;
            return NULL;
        }
        /* One read(2) per 128 KiB instead of per 4 KiB (larger buffers
         * gained nothing: they leave L2). One regular file is open at a
         * time, so they all use the same buffer; inputs kept open from the
         * check (pipes) have their own. */
        struct stat sb;
        if (c->iobuf != NULL && stat(name, &sb) == 0 && S_ISREG(sb.st_mode))
            setvbuf(f, c->iobuf, _IOFBF, CAPTURE_IOBUF);
        pc = pcap_fopen_offline(f, pcerr);
        if (pc == NULL)
            fclose(f);
    } else {
        pc = capture_open_stdin(c, pcerr);
    }
    if (pc == NULL) {
        snprintf(err, errlen, "%s: not a pcap or pcapng capture (%s)", name, pcerr);
        *why = CAPTURE_ERR_NOT_CAPTURE;
        return NULL;
    }
    if (!capture_linktype_ok(pc, name, why, err, errlen)) {
        pcap_close(pc);
        return NULL;
    }
    if (capture_set_filter(pc, c->bpf, why, err, errlen) != PS_OK) {
        pcap_close(pc);
        return NULL;
    }
    return pc;
}

static int capture_expand(struct capture *c, const char *const *paths, int npaths,
                          enum capture_error *why, char *err, size_t errlen)
{
    bool have_stdin = false;
    for (int i = 0; i < npaths; i++) {
        struct stat sb;
        int rc;
        if (strcmp(paths[i], "-") == 0) {
            if (have_stdin) {
                snprintf(err, errlen, "standard input (-) given more than once");
                *why = CAPTURE_ERR_MISSING;
                return PS_ERR;
            }
            have_stdin = true;
            rc = capture_add_name(c, "-");
        } else if (stat(paths[i], &sb) != 0) {
            snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
            *why = CAPTURE_ERR_MISSING;
            return PS_ERR;
        } else if (S_ISDIR(sb.st_mode)) {
            unsigned before = c->nfiles;
            rc = capture_add_dir(c, paths[i]);
            if (rc == PS_OK && c->nfiles == before) {
                snprintf(err, errlen, "%s: directory holds no capture files", paths[i]);
                *why = CAPTURE_ERR_MISSING;
                return PS_ERR;
            }
        } else {
            rc = capture_add_name(c, paths[i]);
        }
        if (rc != PS_OK) {
            snprintf(err, errlen, "%s: %s", paths[i], rc == PS_NOMEM ? "out of memory" : strerror(errno));
            *why = rc == PS_NOMEM ? CAPTURE_ERR_NOMEM : CAPTURE_ERR_MISSING;
            return PS_ERR;
        }
    }
    return PS_OK;
}

struct capture *capture_open(const char *const *paths, int npaths, const char *bpf,
                             enum capture_error *why, char *err, size_t errlen)
{
    struct capture *c = calloc(1, sizeof(*c));
    *why = CAPTURE_ERR_NOMEM;
    snprintf(err, errlen, "out of memory");
    if (c == NULL)
        return NULL;
    if (bpf != NULL && (c->bpf = strdup(bpf)) == NULL)
        goto fail;
    c->iobuf = malloc(CAPTURE_IOBUF); /* NULL: stdio's default buffer */
    c->prefetch = PCAP_MAP_PREFETCH;
    if (capture_expand(c, paths, npaths, why, err, errlen) != PS_OK)
        goto fail;

    c->kept = calloc(c->nfiles ? c->nfiles : 1, sizeof(*c->kept));
    if (c->kept == NULL)
        goto fail;
    bool size_known = true;
    for (unsigned i = 0; i < c->nfiles; i++) {
        pcap_t *pc = capture_open_one(c, i, why, err, errlen);
        if (pc == NULL)
            goto fail;
        struct stat sb;
        if (strcmp(c->names[i], "-") != 0 && stat(c->names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            pcap_close(pc);
            c->size_total += (uint64_t)sb.st_size;
        } else {
            c->kept[i] = pc; /* its header is read: it cannot be opened again */
            size_known = false;
        }
    }
    if (!size_known)
        c->size_total = 0;
    *why = CAPTURE_OK;
    err[0] = '\0';
    return c;
fail:
    capture_close(c);
    return NULL;
}

void capture_close(struct capture *c)
{
    if (c == NULL)
        return;
    if (c->cur != NULL)
        pcap_close(c->cur);
    pcap_map_close(c->map);
    for (unsigned i = 0; i < c->ndone; i++)
        pcap_map_close(c->done_maps[i].map);
    free(c->done_maps);
    if (c->have_prog)
        pcap_freecode(&c->prog);
    for (unsigned i = 0; c->kept != NULL && i < c->nfiles; i++)
        if (c->kept[i] != NULL)
            pcap_close(c->kept[i]);
    free(c->kept);
    for (unsigned i = 0; i < c->nfiles; i++)
        free(c->names[i]);
    free(c->names);
    free(c->bpf);
    free(c->iobuf); /* after pcap_close: the open file used it */
    free(c);
}

/* Read the file pc was opened on through a map instead, when pcap_map
 * takes it: with libpcap's snapshot length and a copy of the filter. */
static void capture_try_map(struct capture *c, pcap_t *pc)
{
    const char *name = c->names[c->cur_idx];
    char err[512];
    int rc;
    if (strcmp(name, "-") == 0)
        return;
    /* Room to park the map once read, so ending the file cannot fail. */
    if (c->ndone == c->capdone) {
        unsigned cap = c->capdone ? 2 * c->capdone : 4;
        struct capture_read_map *n = realloc(c->done_maps, cap * sizeof(*n));
        if (n == NULL)
            return;
        c->done_maps = n;
        c->capdone = cap;
    }
    if (c->bpf != NULL && pcap_compile(pc, &c->prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return; /* compiled once already: keep libpcap's reading */
    c->have_prog = c->bpf != NULL;
    c->map = pcap_map_open(name, pcap_snapshot(pc), &rc, err, sizeof(err));
    if (c->map != NULL) {
        pcap_map_set_prefetch(c->map, c->prefetch);
        pcap_close(c->cur);
        c->cur = NULL;
        return;
    }
    if (rc != PS_DECLINED) /* libpcap has it open: read it that way */
        fprintf(stderr, "plainsight: warning: %s; reading it without a map\n", err);
    if (c->have_prog)
        pcap_freecode(&c->prog);
    c->have_prog = false;
}

/* Open the next file in the list; false when none is left. A file that
 * passed the check but fails now (removed meanwhile) is counted and skipped. */
static bool capture_advance(struct capture *c)
{
    while (c->cur == NULL && c->map == NULL && c->cur_idx < c->nfiles && !c->live) {
        enum capture_error why;
        char err[512];
        struct stat sb;
        c->cur = capture_open_one(c, c->cur_idx, &why, err, sizeof(err));
        if (c->cur == NULL) {
            fprintf(stderr, "plainsight: error: %s\n", err);
            c->st.errors++;
            c->cur_idx++;
            continue;
        }
        c->cur_cnt = 0;
        c->cur_linktype = pcap_datalink(c->cur);
        c->cur_size = stat(c->names[c->cur_idx], &sb) == 0 ? (uint64_t)sb.st_size : 0;
        c->st.files++;
        capture_try_map(c, c->cur);
    }
    return c->cur != NULL || c->map != NULL;
}

/* The current input is done: close it (a map waits for its release) and
 * move to the next. */
static void capture_end_current(struct capture *c)
{
    if (c->cur != NULL)
        pcap_close(c->cur);
    c->cur = NULL;
    if (c->map != NULL) {
        /* capture_try_map made room */
        c->done_maps[c->ndone++] = (struct capture_read_map){c->map, c->map_base};
        c->map_base += pcap_map_size(c->map);
        c->map = NULL;
    }
    if (c->have_prog)
        pcap_freecode(&c->prog);
    c->have_prog = false;
    c->cur_idx++;
    c->size_done += c->cur_size;
    c->cur_size = 0;
}

/* Fill the capture fields of p; data is libpcap's or the map's. */
static void capture_fill(struct capture *c, struct packet *p, const struct pcap_pkthdr *h,
                         const u_char *data, uint64_t pos)
{
    c->cur_cnt++;
    c->st.packets++;
    c->st.bytes += h->len;
    p->data = data;
    p->caplen = h->caplen;
    p->wirelen = h->len > h->caplen ? h->len : h->caplen;
    p->ts = (ps_time_t)h->ts.tv_sec * PS_USEC_PER_SEC + (ps_time_t)h->ts.tv_usec;
    p->pcap_cnt = c->cur_cnt;
    p->file_idx = c->cur_idx;
    p->linktype = c->cur_linktype;
    p->wire_frames = 1;
    p->wire_bytes = p->wirelen;
    p->flags = 0;
    p->cap_pos = pos;
}

/* The next record of the mapped file that passes the filter. */
static int capture_next_mapped(struct capture *c, struct packet *p)
{
    struct pcap_map_record r;
    char err[256];
    int rc;
    while ((rc = pcap_map_next(c->map, &r, err, sizeof(err))) == PCAP_MAP_RECORD) {
        struct pcap_pkthdr h = {.caplen = r.caplen, .len = r.len};
        h.ts.tv_sec = (time_t)r.ts_sec;
        h.ts.tv_usec = (suseconds_t)r.ts_usec;
        if (c->have_prog && pcap_offline_filter(&c->prog, &h, r.data) == 0)
            continue;
        capture_fill(c, p, &h, r.data, c->map_base + r.pos);
        return CAPTURE_PACKET;
    }
    if (rc == PCAP_MAP_ERROR) {
        fprintf(stderr, "plainsight: warning: %s: %s\n", c->names[c->cur_idx], err);
        fprintf(stderr, "plainsight: warning: rest of %s skipped\n", c->names[c->cur_idx]);
        c->st.errors++;
    }
    capture_end_current(c);
    return CAPTURE_END;
}

int capture_next(struct capture *c, struct packet *p)
{
    struct pcap_pkthdr *h;
    const u_char *data;

    while (capture_advance(c)) {
        if (c->map != NULL) {
            if (capture_next_mapped(c, p) == CAPTURE_PACKET)
                return CAPTURE_PACKET;
            continue;
        }
        int rc = pcap_next_ex(c->cur, &h, &data);
        if (rc == 1) {
            capture_fill(c, p, h, data, CAPTURE_POS_NONE);
            return CAPTURE_PACKET;
        }
        if (rc == 0 && c->live) {
            /* Nothing ready: wait for the interface, a signal or the
             * timeout, whichever comes first. */
            struct pollfd pfd = {.fd = c->live_fd, .events = POLLIN};
            if (poll(&pfd, 1, (int)c->timeout_ms) > 0)
                continue;
            return CAPTURE_IDLE;
        }
        if (rc == PCAP_ERROR && c->stopping != NULL && c->stopping()) {
            /* A stop signal cut a blocked read short: not damage. */
            capture_end_current(c);
            c->cur_idx = c->nfiles;
            return CAPTURE_END;
        }
        if (rc == PCAP_ERROR) {
            fprintf(stderr, "plainsight: %s: %s: %s\n", c->live ? "error" : "warning",
                    c->names[c->cur_idx], pcap_geterr(c->cur));
            if (!c->live)
                fprintf(stderr, "plainsight: warning: rest of %s skipped\n", c->names[c->cur_idx]);
            c->st.errors++;
        }
        capture_end_current(c);
    }
    return CAPTURE_END;
}

const char *capture_file_name(const struct capture *c, unsigned file_idx)
{
    if (file_idx >= c->nfiles)
        return "";
    return strcmp(c->names[file_idx], "-") == 0 && !c->live ? "stdin" : c->names[file_idx];
}

const struct capture_stats *capture_stats(struct capture *c)
{
    struct pcap_stat ps;
    if (c->live && c->cur != NULL && pcap_stats(c->cur, &ps) == 0) {
        /* libpcap's counters are 32 bits wide on some platforms: follow
         * their wrap so ours keep growing. */
        c->st.kernel_packets += (uint32_t)(ps.ps_recv - (uint32_t)c->st.kernel_packets);
        c->st.kernel_drops += (uint32_t)(ps.ps_drop - (uint32_t)c->st.kernel_drops);
        c->st.kernel_ifdrops += (uint32_t)(ps.ps_ifdrop - (uint32_t)c->st.kernel_ifdrops);
    }
    return &c->st;
}

void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total)
{
    *total = c->size_total;
    *done = c->size_done;
    if (c->map != NULL)
        *done += pcap_map_offset(c->map);
    if (c->cur != NULL && !c->live && c->size_total > 0) {
        FILE *f = pcap_file(c->cur);
        long pos = f != NULL ? ftell(f) : -1;
        if (pos > 0)
            *done += (uint64_t)pos;
    }
    if (c->size_total == 0)
        *done = c->st.bytes;
}

void capture_set_prefetch(struct capture *c, unsigned bytes)
{
    c->prefetch = bytes;
    if (c->map != NULL)
        pcap_map_set_prefetch(c->map, bytes);
}

uint64_t capture_position(const struct capture *c)
{
    return c->map != NULL ? c->map_base + pcap_map_offset(c->map) : c->map_base;
}

void capture_release(struct capture *c, uint64_t pos)
{
    unsigned n = 0;
    while (n < c->ndone && c->done_maps[n].base + pcap_map_size(c->done_maps[n].map) <= pos)
        pcap_map_close(c->done_maps[n++].map);
    if (n > 0) {
        memmove(c->done_maps, c->done_maps + n, (c->ndone - n) * sizeof(*c->done_maps));
        c->ndone -= n;
    }
    if (c->ndone > 0 && pos > c->done_maps[0].base)
        pcap_map_release(c->done_maps[0].map, pos - c->done_maps[0].base);
    if (c->map != NULL && pos > c->map_base)
        pcap_map_release(c->map, pos - c->map_base);
}

bool capture_is_live(const struct capture *c)
{
    return c->live;
}

void capture_set_stop_check(struct capture *c, bool (*stopping)(void))
{
    c->stopping = stopping;
}

void capture_set_wait_hook(struct capture *c, void (*fn)(void *ctx), void *ctx)
{
    c->wait_hook = fn;
    c->wait_ctx = ctx;
}

/* What to tell the user when pcap_activate() fails. */
static enum capture_error capture_activate_error(pcap_t *pc, int rc, const char *iface,
                                                 char *err, size_t errlen)
{
    switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, errlen,
                 "%s: permission denied (%s); live capture needs root, or the capabilities "
                 "CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip on the "
                 "binary, or AmbientCapabilities= in a systemd unit)",
                 iface, pcap_geterr(pc));
        return CAPTURE_ERR_PERM;
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, errlen,
                 "%s: no such interface; list the interfaces with 'ip link' (or 'tcpdump -D')",
                 iface);
        return CAPTURE_ERR_DEVICE;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, errlen, "%s: the interface is down; bring it up with 'ip link set %s up'",
                 iface, iface);
        return CAPTURE_ERR_DEVICE;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        snprintf(err, errlen, "%s: promiscuous mode not permitted; run as root or use --no-promisc",
                 iface);
        return CAPTURE_ERR_PERM;
    default:
        snprintf(err, errlen, "%s: cannot capture: %s", iface,
                 rc == PCAP_ERROR ? pcap_geterr(pc) : pcap_statustostr(rc));
        return CAPTURE_ERR_DEVICE;
    }
}

static pcap_t *capture_activate(const struct capture_live_options *o, enum capture_error *why,
                                char *err, size_t errlen)
{
    char pcerr[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_create(o->iface, pcerr);
    if (pc == NULL) {
        snprintf(err, errlen, "%s: %s", o->iface, pcerr);
        *why = CAPTURE_ERR_DEVICE;
        return NULL;
    }
    pcap_set_snaplen(pc, (int)o->snaplen);
    pcap_set_promisc(pc, o->promisc ? 1 : 0);
    /* The timeout bounds how long a read waits on a quiet link; packets
     * that arrive are handed over in blocks without waiting for it. */
    pcap_set_timeout(pc, (int)o->timeout_ms);
    if (o->buffer_size > 0)
        pcap_set_buffer_size(pc, o->buffer_size > INT32_MAX ? INT32_MAX : (int)o->buffer_size);
    int rc = pcap_activate(pc);
    if (rc < 0) {
        *why = capture_activate_error(pc, rc, o->iface, err, errlen);
        pcap_close(pc);
        return NULL;
    }
    if (rc == PCAP_WARNING_PROMISC_NOTSUP)
        fprintf(stderr, "plainsight: warning: %s: promiscuous mode not supported (%s)\n",
                o->iface, pcap_geterr(pc));
    else if (rc > 0)
        fprintf(stderr, "plainsight: warning: %s: %s\n", o->iface, pcap_geterr(pc));
    return pc;
}

struct capture *capture_open_live(const struct capture_live_options *o,
                                  enum capture_error *why, char *err, size_t errlen)
{
    struct capture *c = calloc(1, sizeof(*c));
    *why = CAPTURE_ERR_NOMEM;
    snprintf(err, errlen, "out of memory");
    if (c == NULL || capture_add_name(c, o->iface) != PS_OK)
        goto fail;
    c->live = true;
    c->st.live = true;
    c->cur = capture_activate(o, why, err, errlen);
    if (c->cur == NULL)
        goto fail;
    if (!capture_linktype_ok(c->cur, o->iface, why, err, errlen) ||
        capture_set_filter(c->cur, o->bpf, why, err, errlen) != PS_OK)
        goto fail;
    /* libpcap's own wait on Linux ignores both the timeout (TPACKET_V3
     * leaves it to the kernel's block timer, which never fires on a quiet
     * link) and signals: read without blocking and wait here instead. */
    char pcerr[PCAP_ERRBUF_SIZE] = "";
    c->live_fd = pcap_get_selectable_fd(c->cur);
    if (c->live_fd < 0 || pcap_setnonblock(c->cur, 1, pcerr) != 0) {
        snprintf(err, errlen, "%s: cannot read without blocking: %s", o->iface,
                 pcerr[0] ? pcerr : "no selectable descriptor");
        *why = CAPTURE_ERR_DEVICE;
        goto fail;
    }
    c->timeout_ms = o->timeout_ms;
    c->cur_linktype = pcap_datalink(c->cur);
    c->st.files = 1;
    *why = CAPTURE_OK;
    err[0] = '\0';
    return c;
fail:
    capture_close(c);
    return NULL;
}
