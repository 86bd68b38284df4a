/*
 * Unit tests for the memory-mapped pcap reader. The oracle is libpcap:
 * every file is written here byte by byte (both byte orders, micro- and
 * nanosecond magic, records cut by the snapshot length, damaged tails) and
 * read both ways; records, lengths, times, bytes and errors must agree.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcap_map.h"
#include "signals.h"

struct out {
    FILE *f;
    bool swap;
};

static void put32(struct out *o, uint32_t v)
{
    if (o->swap)
        v = __builtin_bswap32(v);
    fwrite(&v, 4, 1, o->f);
}

static void put16(struct out *o, uint16_t v)
{
    if (o->swap)
        v = __builtin_bswap16(v);
    fwrite(&v, 2, 1, o->f);
}

static void file_header(struct out *o, uint32_t magic, uint16_t minor, uint32_t snaplen)
{
    put32(o, magic);
    put16(o, 2);
    put16(o, minor);
    put32(o, 0);
    put32(o, 0);
    put32(o, snaplen);
    put32(o, 1); /* Ethernet */
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* n records of pseudo-random sizes and bytes; some longer than snaplen,
 * some jumbo, times across the signed 32-bit boundary. */
static void records(struct out *o, unsigned n, uint32_t seed, bool nsec)
{
    static uint8_t buf[70000];
    for (unsigned i = 0; i < n; i++) {
        uint32_t r = rng_next(&seed);
        uint32_t caplen = i % 500 == 7 ? 65535 : r % 3000;
        uint32_t sec = i % 97 == 3 ? 0x80000000u + i : 1700000000u + i;
        uint32_t frac = nsec ? r % 1000000000u : r % 1000000u;
        put32(o, sec);
        put32(o, frac);
        put32(o, caplen);
        put32(o, caplen + (r >> 20) % 3);
        for (uint32_t k = 0; k < caplen; k++)
            buf[k] = (uint8_t)(rng_next(&seed) >> 7);
        fwrite(buf, 1, caplen, o->f);
    }
}

static char *temp_path(void)
{
    char *p = strdup("/tmp/ps-pcap-map-XXXXXX");
    int fd = mkstemp(p);
    cr_assert(fd >= 0);
    close(fd);
    return p;
}

/* Read path both ways; return the records compared, assert they agree. */
static unsigned compare_with_libpcap(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE], err[256];
    pcap_t *pc = pcap_open_offline(path, errbuf);
    cr_assert_not_null(pc, "%s", errbuf);
    int rc;
    struct pcap_map *m = pcap_map_open(path, pcap_snapshot(pc), &rc, err, sizeof(err));
    cr_assert_not_null(m, "rc %d: %s", rc, err);

    /* Keep the first record's bytes and pointer: it must stay valid with
     * no release, however many windows come after it. */
    const uint8_t *first = NULL;
    uint8_t first_copy[64];
    size_t first_len = 0;
    unsigned n = 0;
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int lrc = pcap_next_ex(pc, &h, &data);
        struct pcap_map_record r;
        int mrc = pcap_map_next(m, &r, err, sizeof(err));
        if (lrc == PCAP_ERROR_BREAK) {
            cr_assert_eq(mrc, PCAP_MAP_END, "record %u: libpcap ended, map gave %d", n, mrc);
            break;
        }
        if (lrc == PCAP_ERROR) {
            cr_assert_eq(mrc, PCAP_MAP_ERROR, "record %u: libpcap failed (%s), map gave %d", n,
                         pcap_geterr(pc), mrc);
            cr_assert_str_eq(err, pcap_geterr(pc));
            break;
        }
        cr_assert_eq(lrc, 1);
        cr_assert_eq(mrc, PCAP_MAP_RECORD, "record %u: map gave %d (%s)", n, mrc, err);
        cr_assert_eq(r.caplen, h->caplen, "record %u", n);
        cr_assert_eq(r.len, h->len, "record %u", n);
        cr_assert_eq(r.ts_sec, (int64_t)h->ts.tv_sec, "record %u: %lld vs %lld", n, (long long)r.ts_sec, (long long)h->ts.tv_sec);
        cr_assert_eq(r.ts_usec, (int64_t)h->ts.tv_usec, "record %u", n);
        cr_assert(memcmp(r.data, data, h->caplen) == 0, "record %u bytes differ", n);
        if (first == NULL && r.caplen > 0) {
            first = r.data;
            first_len = PS_MIN(sizeof(first_copy), (size_t)r.caplen);
            memcpy(first_copy, r.data, first_len);
        }
        n++;
    }
    if (first != NULL)
        cr_assert(memcmp(first, first_copy, first_len) == 0);
    pcap_map_close(m);
    pcap_close(pc);
    return n;
}

static void write_variant(const char *path, uint32_t magic, bool swap, uint32_t snaplen,
                          unsigned n)
{
    struct out o = {fopen(path, "wb"), swap};
    cr_assert_not_null(o.f);
    file_header(&o, magic, 4, snaplen);
    records(&o, n, 0x1234567u ^ magic, magic == 0xa1b23c4d);
    fclose(o.f);
}

Test(pcap_map, matches_libpcap_in_every_byte_order_and_precision)
{
    /* About 15 MB each: the reader crosses windows mid-file. */
    static const struct {
        uint32_t magic;
        bool swap;
        uint32_t snaplen;
    } v[] = {
        {0xa1b2c3d4, false, 262144},
        {0xa1b2c3d4, true, 262144},
        {0xa1b23c4d, false, 65535},
        {0xa1b23c4d, true, 0}, /* 0: libpcap takes its maximum */
        {0xa1b2c3d4, false, 1000}, /* records longer are cut, the rest skipped */
    };
    for (size_t i = 0; i < PS_ARRAY_LEN(v); i++) {
        char *path = temp_path();
        write_variant(path, v[i].magic, v[i].swap, v[i].snaplen, 10000);
        cr_assert_eq(compare_with_libpcap(path), 10000, "variant %zu", i);
        unlink(path);
        free(path);
    }
}

/* A good file of n records, then `tail` (len bytes) appended. */
static char *damaged(const uint8_t *tail, size_t len, unsigned n)
{
    char *path = temp_path();
    write_variant(path, 0xa1b2c3d4, false, 262144, n);
    FILE *f = fopen(path, "ab");
    fwrite(tail, 1, len, f);
    fclose(f);
    return path;
}

Test(pcap_map, damaged_tails_fail_as_libpcap_does)
{
    uint8_t partial_hdr[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    /* caplen 100, 40 bytes present */
    uint8_t short_data[16 + 40] = {0};
    short_data[8] = 100;
    short_data[12] = 100;
    /* caplen 300000: above libpcap's maximum */
    uint8_t huge[16] = {0};
    uint32_t big = 300000;
    memcpy(huge + 8, &big, 4);
    memcpy(huge + 12, &big, 4);
    struct {
        const uint8_t *p;
        size_t len;
    } t[] = {{partial_hdr, sizeof(partial_hdr)}, {short_data, sizeof(short_data)}, {huge, sizeof(huge)}};
    for (size_t i = 0; i < PS_ARRAY_LEN(t); i++) {
        char *path = damaged(t[i].p, t[i].len, 50);
        cr_assert_eq(compare_with_libpcap(path), 50, "tail %zu", i);
        unlink(path);
        free(path);
    }
}

Test(pcap_map, empty_capture_has_no_records)
{
    char *path = temp_path();
    write_variant(path, 0xa1b2c3d4, false, 65535, 0);
    cr_assert_eq(compare_with_libpcap(path), 0);
    unlink(path);
    free(path);
}

Test(pcap_map, leaves_other_formats_to_libpcap)
{
    static const uint8_t pcapng[28] = {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a};
    char *path = temp_path();
    FILE *f = fopen(path, "wb");
    fwrite(pcapng, 1, sizeof(pcapng), f);
    fclose(f);
    char err[256];
    int rc = 0;
    cr_assert_null(pcap_map_open(path, 65535, &rc, err, sizeof(err)));
    cr_assert_eq(rc, PS_DECLINED);

    /* version 2.3: caplen and len may be swapped; libpcap's business */
    struct out o = {fopen(path, "wb"), false};
    file_header(&o, 0xa1b2c3d4, 3, 65535);
    fclose(o.f);
    cr_assert_null(pcap_map_open(path, 65535, &rc, err, sizeof(err)));
    cr_assert_eq(rc, PS_DECLINED);

    /* a FIFO nobody writes to: declined at once, never opened (an open
     * would wait for a writer) */
    unlink(path);
    cr_assert_eq(mkfifo(path, 0600), 0);
    alarm(5); /* a hang fails the test instead of the suite */
    cr_assert_null(pcap_map_open(path, 65535, &rc, err, sizeof(err)));
    alarm(0);
    cr_assert_eq(rc, PS_DECLINED);

    rc = 0;
    cr_assert_null(pcap_map_open("/nonexistent/x.pcap", 65535, &rc, err, sizeof(err)));
    cr_assert_eq(rc, PS_ERR);
    cr_assert(strstr(err, "/nonexistent/x.pcap") != NULL, "%s", err);
    unlink(path);
    free(path);
}

/* Mappings of path in this process. */
static unsigned mappings_of(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned n = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, path) != NULL)
            n++;
    fclose(f);
    return n;
}

Test(pcap_map, release_unmaps_the_windows_behind)
{
    char *path = temp_path();
    write_variant(path, 0xa1b2c3d4, false, 262144, 10000); /* about 15 MB: 2+ windows */
    int rc;
    char err[256];
    struct pcap_map *m = pcap_map_open(path, 262144, &rc, err, sizeof(err));
    cr_assert_not_null(m);
    struct pcap_map_record r;
    uint64_t last = 0;
    while (pcap_map_next(m, &r, err, sizeof(err)) == PCAP_MAP_RECORD)
        last = r.pos;
    cr_assert_eq(pcap_map_offset(m), pcap_map_size(m));
    cr_assert_geq(mappings_of(path), 2, "unreleased windows stay mapped");
    pcap_map_release(m, last);
    cr_assert_eq(mappings_of(path), 1, "only the window holding the last record is left");
    pcap_map_close(m);
    cr_assert_eq(mappings_of(path), 0);
    unlink(path);
    free(path);
}

Test(pcap_map, truncation_under_the_map_is_a_clear_exit)
{
    char *path = temp_path();
    write_variant(path, 0xa1b2c3d4, false, 262144, 2000);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int rc;
        char err[256];
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDERR_FILENO);
        signals_install();
        struct pcap_map *m = pcap_map_open(path, 262144, &rc, err, sizeof(err));
        struct pcap_map_record r;
        const uint8_t *late = NULL;
        while (m != NULL && pcap_map_next(m, &r, err, sizeof(err)) == PCAP_MAP_RECORD)
            if (r.caplen > 0)
                late = r.data;
        if (late == NULL || truncate(path, 24) != 0)
            _exit(1);
        volatile uint8_t b = late[0]; /* the page is gone: SIGBUS */
        (void)b;
        _exit(2);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status), "status %#x", status);
    cr_assert_eq(WEXITSTATUS(status), SIGNALS_EXIT_BUS);
    unlink(path);
    free(path);
}
