/*
 * pcap_map.c - classic pcap files through memory-mapped windows (see
 * pcap_map.h).
 *
 * The window being read is `cur`; when a record does not fit in it, it is
 * retired with the offset of that record (every record starting before it
 * lives in the old window) and a new window is mapped from the record's
 * page. Retired windows wait, oldest first, for pcap_map_release().
 */
#include "pcap_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16
/* libpcap's largest caplen for every link type we decode (MAXIMUM_SNAPLEN). */
#define PCAP_MAX_CAPLEN 262144u

struct pcap_window {
    uint8_t *base; /* NULL: none */
    uint64_t off;  /* file offset of base, a multiple of the page size */
    size_t len;
    uint64_t end;  /* retired: the records starting before this offset are here */
};

struct pcap_map {
    int fd;
    uint64_t size;
    uint64_t next; /* offset of the next record header */
    bool swapped, nsec;
    uint32_t snapshot;
    unsigned prefetch; /* bytes of the next record to prefetch */
    uint64_t page;
    struct pcap_window cur;
    struct pcap_window *old; /* retired, oldest first */
    unsigned nold, capold;
};

static uint32_t pcap_map_u32(const struct pcap_map *m, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return m->swapped ? __builtin_bswap32(v) : v;
}

static const uint8_t *pcap_map_at(struct pcap_map *m, uint64_t off, uint64_t need);

/* Read the file header; false when libpcap should read this file. */
static bool pcap_map_header(struct pcap_map *m)
{
    uint8_t h[PCAP_FILE_HDR];
    if (pread(m->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
        return false;
    uint32_t magic;
    memcpy(&magic, h, 4);
    switch (magic) {
    case 0xa1b2c3d4: break;
    case 0xa1b23c4d: m->nsec = true; break;
    case 0xd4c3b2a1: m->swapped = true; break;
    case 0x4d3cb2a1: m->swapped = m->nsec = true; break;
    default: return false; /* pcapng, the modified-pcap magics, anything else */
    }
    uint16_t major, minor;
    memcpy(&major, h + 4, 2);
    memcpy(&minor, h + 6, 2);
    if (m->swapped) {
        major = __builtin_bswap16(major);
        minor = __builtin_bswap16(minor);
    }
    /* Older minors may hold caplen and len swapped; the link type's upper
     * half may announce an FCS. libpcap knows those cases. */
    uint32_t linktype = pcap_map_u32(m, h + 20);
    return major == 2 && minor == 4 && (linktype >> 16) == 0;
}

struct pcap_map *pcap_map_open(const char *path, int snapshot, int *rc, char *err, size_t errlen)
{
    /* Only regular files: opening a FIFO again could wait for a writer
     * that is gone. */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        *rc = PS_DECLINED;
        return NULL;
    }
    struct pcap_map *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        *rc = PS_NOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    m->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (m->fd < 0) {
        *rc = PS_ERR;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(m);
        return NULL;
    }
    long page = sysconf(_SC_PAGESIZE);
    m->page = page > 0 ? (uint64_t)page : 4096;
    m->snapshot = snapshot > 0 ? (uint32_t)snapshot : PCAP_MAX_CAPLEN;
    m->next = PCAP_FILE_HDR;
    m->prefetch = PCAP_MAP_PREFETCH;
    if (fstat(m->fd, &sb) != 0 || !S_ISREG(sb.st_mode) || !pcap_map_header(m)) {
        *rc = PS_DECLINED;
        close(m->fd);
        free(m);
        return NULL;
    }
    m->size = (uint64_t)sb.st_size;
    /* Map the first window now: a file system that cannot map files is
     * then read through libpcap instead of failing mid-file. */
    if (pcap_map_at(m, PCAP_FILE_HDR, 0) == NULL) {
        *rc = PS_ERR;
        snprintf(err, errlen, "%s: cannot map the file: %s", path, strerror(errno));
        pcap_map_close(m);
        return NULL;
    }
    *rc = PS_OK;
    return m;
}

void pcap_map_close(struct pcap_map *m)
{
    if (m == NULL)
        return;
    if (m->cur.base != NULL)
        munmap(m->cur.base, m->cur.len);
    for (unsigned i = 0; i < m->nold; i++)
        munmap(m->old[i].base, m->old[i].len);
    free(m->old);
    close(m->fd);
    free(m);
}

void pcap_map_set_prefetch(struct pcap_map *m, unsigned bytes)
{
    m->prefetch = bytes;
}

uint64_t pcap_map_offset(const struct pcap_map *m)
{
    return m->next;
}

uint64_t pcap_map_size(const struct pcap_map *m)
{
    return m->size;
}

void pcap_map_release(struct pcap_map *m, uint64_t pos)
{
    unsigned n = 0;
    while (n < m->nold && m->old[n].end <= pos) {
        munmap(m->old[n].base, m->old[n].len);
        n++;
    }
    if (n > 0) {
        memmove(m->old, m->old + n, (m->nold - n) * sizeof(*m->old));
        m->nold -= n;
    }
}

/* Retire cur: the records before `end` stay readable until released. */
static int pcap_map_retire(struct pcap_map *m, uint64_t end)
{
    if (m->cur.base == NULL)
        return PS_OK;
    if (m->nold == m->capold) {
        unsigned cap = m->capold ? 2 * m->capold : 8;
        struct pcap_window *o = realloc(m->old, cap * sizeof(*o));
        if (o == NULL)
            return PS_NOMEM;
        m->old = o;
        m->capold = cap;
    }
    m->cur.end = end;
    m->old[m->nold++] = m->cur;
    m->cur.base = NULL;
    return PS_OK;
}

/* Bytes [off, off + need) of the file, mapping a new window if cur does
 * not hold them; the caller checked they are inside the file. NULL with
 * errno when mapping fails. */
static const uint8_t *pcap_map_at(struct pcap_map *m, uint64_t off, uint64_t need)
{
    struct pcap_window *w = &m->cur;
    if (w->base != NULL && off >= w->off && off + need <= w->off + w->len)
        return w->base + (off - w->off);
    if (pcap_map_retire(m, off) != PS_OK) {
        errno = ENOMEM;
        return NULL;
    }
    uint64_t start = off & ~(m->page - 1);
    uint64_t len = PS_MAX((uint64_t)PCAP_MAP_WINDOW, off + need - start);
    len = PS_MIN(len, m->size - start);
    /* MAP_POPULATE maps the whole window in one call instead of a fault per
     * 16 pages; the window is read sequentially at once anyway. */
    void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, m->fd, (off_t)start);
    if (p == MAP_FAILED)
        return NULL;
    w->base = p;
    w->off = start;
    w->len = (size_t)len;
    return w->base + (off - start);
}

/* Take a file that grew since we looked (a capture still being written). */
static void pcap_map_restat(struct pcap_map *m)
{
    struct stat sb;
    if (fstat(m->fd, &sb) == 0 && (uint64_t)sb.st_size > m->size)
        m->size = (uint64_t)sb.st_size;
}

/* Start loading the next record while this one is handled. The page cache
 * is read in place, so nothing else brings it into the CPU's caches ahead
 * of use (read(2) did, by copying), and the hardware prefetchers stop at
 * page boundaries: without this, the first touch of every payload waits
 * on memory. */
static void pcap_map_prefetch(const struct pcap_map *m)
{
    const struct pcap_window *w = &m->cur;
    uint64_t end = PS_MIN(m->next + m->prefetch, w->off + w->len);
    for (uint64_t off = m->next; off < end; off += 64)
        __builtin_prefetch(w->base + (off - w->off), 0, 3);
}

int pcap_map_next(struct pcap_map *m, struct pcap_map_record *r, char *err, size_t errlen)
{
    if (m->next + PCAP_REC_HDR > m->size) {
        pcap_map_restat(m);
        if (m->next >= m->size)
            return PCAP_MAP_END;
        if (m->next + PCAP_REC_HDR > m->size) {
            snprintf(err, errlen, "truncated dump file; tried to read %u header bytes, only got %llu",
                     PCAP_REC_HDR, (unsigned long long)(m->size - m->next));
            m->next = m->size;
            return PCAP_MAP_ERROR;
        }
    }
    const uint8_t *h = pcap_map_at(m, m->next, PCAP_REC_HDR);
    if (h == NULL)
        goto map_failed;
    uint32_t sec = pcap_map_u32(m, h), frac = pcap_map_u32(m, h + 4);
    uint32_t caplen = pcap_map_u32(m, h + 8), len = pcap_map_u32(m, h + 12);
    if (caplen > PCAP_MAX_CAPLEN) {
        if (caplen > m->snapshot)
            snprintf(err, errlen, "invalid packet capture length %u, bigger than snaplen of %u",
                     caplen, m->snapshot);
        else
            snprintf(err, errlen, "invalid packet capture length %u, bigger than maximum of %u",
                     caplen, PCAP_MAX_CAPLEN);
        m->next = m->size;
        return PCAP_MAP_ERROR;
    }
    uint64_t body = m->next + PCAP_REC_HDR;
    if (body + caplen > m->size)
        pcap_map_restat(m);
    if (body + caplen > m->size) {
        snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %llu",
                 caplen, (unsigned long long)(m->size - body));
        m->next = m->size;
        return PCAP_MAP_ERROR;
    }
    h = pcap_map_at(m, m->next, PCAP_REC_HDR + (uint64_t)caplen);
    if (h == NULL)
        goto map_failed;
    r->data = h + PCAP_REC_HDR;
    r->caplen = caplen > m->snapshot ? m->snapshot : caplen; /* the rest is skipped, as libpcap does */
    r->len = len;
    /* Times as libpcap gives them: its record header holds signed 32-bit
     * fields, but its byte swap yields unsigned ones. */
    r->ts_sec = m->swapped ? (int64_t)sec : (int64_t)(int32_t)sec;
    r->ts_usec = m->swapped ? (int64_t)frac : (int64_t)(int32_t)frac;
    if (m->nsec)
        r->ts_usec /= 1000;
    r->pos = m->next;
    m->next = body + caplen;
    pcap_map_prefetch(m);
    return PCAP_MAP_RECORD;
map_failed:
    snprintf(err, errlen, "cannot map the file: %s", strerror(errno));
    m->next = m->size;
    return PCAP_MAP_ERROR;
}
