/*
 * capture.c - capture files through libpcap (see capture.h).
 *
 * Inputs are expanded and checked up front: each file is opened once to
 * learn that it is a capture of a link type we decode, then closed, and
 * reopened when its turn comes. Standard input cannot be read twice, so it
 * stays open from the check on. libpcap owns each frame's bytes until the
 * next read; the caller copies them once if it must keep them.
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode.h"

#define CAPTURE_IOBUF (128u * 1024)

struct capture {
    char **names;
    unsigned nfiles, cap;
    char *bpf;
    pcap_t *cur;          /* file being read, NULL between files */
    unsigned cur_idx;     /* index of cur, or of the next file to open */
    uint64_t cur_cnt;     /* packets read from cur */
    int cur_linktype;
    pcap_t *stdin_handle; /* "-", opened during the check */
    char *iobuf;          /* stdio buffer of the open file, CAPTURE_IOBUF bytes */
    struct capture_stats st;
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

static pcap_t *capture_open_one(struct capture *c, unsigned idx, enum capture_error *why,
                                char *err, size_t errlen)
{
    char pcerr[PCAP_ERRBUF_SIZE];
    const char *name = c->names[idx];
    pcap_t *pc;

    if (strcmp(name, "-") == 0 && c->stdin_handle != NULL) {
        pc = c->stdin_handle;
        c->stdin_handle = NULL;
        return pc;
    }
    if (strcmp(name, "-") != 0) {
        FILE *f = fopen(name, "rb");
        if (f == NULL) {
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
            *why = CAPTURE_ERR_MISSING;
            return NULL;
        }
        /* One read(2) per 128 KiB instead of per 4 KiB: less CPU per GB in
         * bench/ (larger buffers gained nothing: they leave L2). One file
         * is open at a time, so they all use the same buffer. */
        if (c->iobuf != NULL)
            setvbuf(f, c->iobuf, _IOFBF, CAPTURE_IOBUF);
        pc = pcap_fopen_offline(f, pcerr);
        if (pc == NULL)
            fclose(f);
    } else {
        pc = pcap_open_offline(name, pcerr);
    }
    if (pc == NULL) {
        snprintf(err, errlen, "%s: not a pcap or pcapng capture (%s)", name, pcerr);
        *why = CAPTURE_ERR_NOT_CAPTURE;
        return NULL;
    }
    int dlt = pcap_datalink(pc);
    if (!decode_linktype_supported(dlt)) {
        const char *dn = pcap_datalink_val_to_name(dlt);
        snprintf(err, errlen, "%s: unsupported link type %d (%s)", name, dlt, dn ? dn : "unknown");
        *why = CAPTURE_ERR_LINKTYPE;
        pcap_close(pc);
        return NULL;
    }
    if (c->bpf != NULL) {
        struct bpf_program prog;
        if (pcap_compile(pc, &prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
            pcap_setfilter(pc, &prog) != 0) {
            snprintf(err, errlen, "filter '%s': %s", c->bpf, pcap_geterr(pc));
            *why = CAPTURE_ERR_FILTER;
            pcap_close(pc);
            return NULL;
        }
        pcap_freecode(&prog);
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
    if (capture_expand(c, paths, npaths, why, err, errlen) != PS_OK)
        goto fail;

    for (unsigned i = 0; i < c->nfiles; i++) {
        pcap_t *pc = capture_open_one(c, i, why, err, errlen);
        if (pc == NULL)
            goto fail;
        if (strcmp(c->names[i], "-") == 0)
            c->stdin_handle = pc;
        else
            pcap_close(pc);
    }
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
    if (c->stdin_handle != NULL)
        pcap_close(c->stdin_handle);
    for (unsigned i = 0; i < c->nfiles; i++)
        free(c->names[i]);
    free(c->names);
    free(c->bpf);
    free(c->iobuf); /* after pcap_close: the open file used it */
    free(c);
}

/* Open the next file in the list; false when none is left. A file that
 * passed the check but fails now (removed meanwhile) is counted and skipped. */
static bool capture_advance(struct capture *c)
{
    while (c->cur == NULL && c->cur_idx < c->nfiles) {
        enum capture_error why;
        char err[512];
        c->cur = capture_open_one(c, c->cur_idx, &why, err, sizeof(err));
        if (c->cur == NULL) {
            fprintf(stderr, "plainsight: error: %s\n", err);
            c->st.errors++;
            c->cur_idx++;
            continue;
        }
        c->cur_cnt = 0;
        c->cur_linktype = pcap_datalink(c->cur);
        c->st.files++;
    }
    return c->cur != NULL;
}

int capture_next(struct capture *c, struct packet *p)
{
    struct pcap_pkthdr *h;
    const u_char *data;

    while (capture_advance(c)) {
        int rc = pcap_next_ex(c->cur, &h, &data);
        if (rc == 1) {
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
            return 1;
        }
        if (rc == PCAP_ERROR) {
            fprintf(stderr, "plainsight: warning: %s: %s (rest of file skipped)\n",
                    c->names[c->cur_idx], pcap_geterr(c->cur));
            c->st.errors++;
        }
        pcap_close(c->cur);
        c->cur = NULL;
        c->cur_idx++;
    }
    return 0;
}

const char *capture_file_name(const struct capture *c, unsigned file_idx)
{
    if (file_idx >= c->nfiles)
        return "";
    return strcmp(c->names[file_idx], "-") == 0 ? "stdin" : c->names[file_idx];
}

const struct capture_stats *capture_stats(const struct capture *c)
{
    return &c->st;
}
