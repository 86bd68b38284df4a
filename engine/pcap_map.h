/*
 * pcap_map.h - a classic pcap file read through memory maps, so a frame is
 * never copied on its way in: no read(2) into a stdio buffer, no copy into
 * libpcap's packet buffer, no copy into a batch. Workers read frames where
 * the page cache holds them.
 *
 * The file is mapped in windows of PCAP_MAP_WINDOW bytes; a record never
 * straddles two windows (the next window starts at the page that holds the
 * record). A window stays mapped until the caller releases every record
 * that starts in it, so frames handed to other threads remain valid, and
 * resident memory stays a few windows however large the file.
 *
 * Only what libpcap reads the same way is taken: version 2.4, the
 * microsecond or nanosecond magic in either byte order, a regular file.
 * Everything else (pcapng, older versions, FCS bits in the link type, pipes)
 * is declined and left to libpcap. Records are cut to the snapshot length
 * and damage is reported with libpcap's words, so a file reads the same
 * either way (tests/unit/test_pcap_map.c compares the two).
 *
 * A file truncated by another process while mapped raises SIGBUS on the
 * next access to a lost page; signals.c turns that into a clear error.
 */
#ifndef PS_PCAP_MAP_H
#define PS_PCAP_MAP_H

#include "common.h"

#define PCAP_MAP_WINDOW (8u * 1024 * 1024)

struct pcap_map;

struct pcap_map_record {
    const uint8_t *data;
    uint32_t caplen; /* bytes at data, at most the snapshot length */
    uint32_t len;    /* length on the wire, as recorded */
    int64_t ts_sec, ts_usec; /* signed 32-bit on file, as libpcap reads them;
                              * nanosecond files scaled to microseconds */
    uint64_t pos;    /* file offset of the record header */
};

enum pcap_map_rc {
    PCAP_MAP_ERROR = -1, /* damage: message in err; the rest of the file is lost */
    PCAP_MAP_END = 0,
    PCAP_MAP_RECORD = 1,
};

/*
 * Open path when this reader takes it. snapshot is libpcap's snapshot
 * length for the file (pcap_snapshot), which caps caplen as libpcap does.
 * NULL with PS_DECLINED in *rc when the file is for libpcap, or PS_ERR /
 * PS_NOMEM with a message in err.
 */
struct pcap_map *pcap_map_open(const char *path, int snapshot, int *rc, char *err, size_t errlen);
void pcap_map_close(struct pcap_map *m); /* accepts NULL */

/* The next record: an enum pcap_map_rc. r->data stays valid until
 * pcap_map_release() passes r->pos, or the map is closed. */
int pcap_map_next(struct pcap_map *m, struct pcap_map_record *r, char *err, size_t errlen);

/* Bytes of the next record to load into the cache as each record is
 * returned (default PCAP_MAP_PREFETCH, a full Ethernet frame): a reader
 * that hands payloads to other threads wants only the headers. */
#define PCAP_MAP_PREFETCH 1536u
void pcap_map_set_prefetch(struct pcap_map *m, unsigned bytes);

/* File offset of the next record (bytes consumed so far). */
uint64_t pcap_map_offset(const struct pcap_map *m);
/* File size as last seen. */
uint64_t pcap_map_size(const struct pcap_map *m);

/* No record starting before file offset `pos` will be read again: unmap
 * the windows that hold only such records. */
void pcap_map_release(struct pcap_map *m, uint64_t pos);

#endif
