/*
 * capture.h - where packets come from: a list of capture files (pcap or
 * pcapng), directories of them, or standard input, read through libpcap.
 *
 * capture_open() checks every input before any packet is read, so a run
 * over many files fails at once, with the file named, rather than after
 * hours of work. Files are then read in order as one continuous packet
 * stream; a flow may span files.
 */
#ifndef PS_CAPTURE_H
#define PS_CAPTURE_H

#include "common.h"
#include "packet.h"

/* Why capture_open() failed; main maps these to exit codes. */
enum capture_error {
    CAPTURE_OK = 0,
    CAPTURE_ERR_MISSING,      /* no such file, or unreadable */
    CAPTURE_ERR_NOT_CAPTURE,  /* not a pcap or pcapng file */
    CAPTURE_ERR_LINKTYPE,     /* a link type the decoder does not handle */
    CAPTURE_ERR_FILTER,       /* BPF filter does not compile */
    CAPTURE_ERR_NOMEM,
};

struct capture_stats {
    uint64_t files, packets, bytes;
    uint64_t errors;    /* read errors, e.g. a file cut short mid-record */
};

struct capture;

/*
 * Open inputs: each path is a capture file, a directory (every capture in
 * it, in name order; other files are skipped with a warning) or "-" for
 * standard input (at most once). `bpf` may be NULL. On failure returns NULL,
 * sets *why and writes a message naming the file into err.
 */
struct capture *capture_open(const char *const *paths, int npaths, const char *bpf,
                             enum capture_error *why, char *err, size_t errlen);
void capture_close(struct capture *c); /* accepts NULL */

/*
 * Read the next packet. The frame bytes stay owned by libpcap and are valid
 * until the next call; p->data points at them and capture fields of p are
 * filled (view fields are left for the decoder). Returns 1 for a packet,
 * 0 at the end of all input. A damaged file is reported on stderr, counted
 * in errors, and reading goes on with the next file.
 */
int capture_next(struct capture *c, struct packet *p);

/* Names of the inputs, indexed by packet.file_idx; stable until close. */
const char *capture_file_name(const struct capture *c, unsigned file_idx);

const struct capture_stats *capture_stats(const struct capture *c);

#endif
