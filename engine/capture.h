/*
 * capture.h - where packets come from: a list of capture files (pcap or
 * pcapng), directories of them, standard input, or a live interface, read
 * through libpcap.
 *
 * capture_open() checks every input before any packet is read, so a run
 * over many files fails at once, with the file named, rather than after
 * hours of work. Files are then read in order as one continuous packet
 * stream; a flow may span files.
 *
 * capture_open_live() opens one interface. Its reads wait at most the read
 * timeout, so the caller regains control on a quiet link (to move time on,
 * end idle flows and notice signals).
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
    CAPTURE_ERR_PERM,         /* live capture not permitted (root / CAP_NET_RAW) */
    CAPTURE_ERR_DEVICE,       /* no such interface, or it cannot capture */
};

/* What capture_next() returned. */
enum capture_next_rc {
    CAPTURE_END = 0,    /* no more input (or a stop cut the read short) */
    CAPTURE_PACKET = 1, /* *p holds a packet */
    CAPTURE_IDLE = 2,   /* live: no packet within the read timeout */
};

struct capture_stats {
    uint64_t files, packets, bytes;
    uint64_t errors;    /* read errors, e.g. a file cut short mid-record */
    /* Live only (pcap_stats, since the interface was opened): packets the
     * kernel passed the filter, dropped for lack of buffer space, and the
     * interface dropped. */
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
    bool live;
};

struct capture_live_options {
    const char *iface;
    const char *bpf;     /* NULL: every packet */
    unsigned snaplen;    /* bytes kept per frame */
    bool promisc;
    size_t buffer_size;  /* kernel buffer in bytes; 0 keeps libpcap's default */
    unsigned timeout_ms; /* longest wait for a packet before CAPTURE_IDLE */
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
/*
 * Open a live interface: pcap_create, the options, pcap_activate, the link
 * type check and the filter. Needs root or CAP_NET_RAW (CAPTURE_ERR_PERM);
 * an unknown interface is CAPTURE_ERR_DEVICE. err says what to do. A
 * warning (promiscuous mode refused, ...) goes to stderr.
 */
struct capture *capture_open_live(const struct capture_live_options *o,
                                  enum capture_error *why, char *err, size_t errlen);
void capture_close(struct capture *c); /* accepts NULL */
bool capture_is_live(const struct capture *c);

/* A read that fails while stopping() is true (a stop signal interrupted
 * it) ends the input quietly instead of counting an error. */
void capture_set_stop_check(struct capture *c, bool (*stopping)(void));

/* Standard input waits for data in slices of 100 ms; fn(ctx) runs after
 * each empty slice, on the reading thread, between two packets. */
void capture_set_wait_hook(struct capture *c, void (*fn)(void *ctx), void *ctx);

/*
 * Read the next packet: p->data points at the frame and the capture fields
 * of p are filled (view fields are left for the decoder). Returns an enum
 * capture_next_rc. A damaged file is reported on stderr, counted in errors,
 * and reading goes on with the next file; a failing interface ends input.
 *
 * How long the frame bytes stay valid: p->cap_pos == CAPTURE_POS_NONE, they
 * are libpcap's until the next call; otherwise the frame is in a mapped
 * file and stays valid until capture_release() passes p->cap_pos.
 */
int capture_next(struct capture *c, struct packet *p);

#define CAPTURE_POS_NONE UINT64_MAX

/* How much of the next mapped frame to load into the cache while the
 * caller handles this one: all of it (the default) when the caller reads
 * the payload itself, the headers when other threads will. */
void capture_set_prefetch(struct capture *c, unsigned bytes);
#define CAPTURE_PREFETCH_HEADERS 128u /* up to TCP with options, behind VLAN tags */

/* Where the next mapped frame would be: every cap_pos returned from now on
 * is at least this. */
uint64_t capture_position(const struct capture *c);
/* No frame with cap_pos < pos will be read again: unmap what held only
 * such frames. Positions must not go back. */
void capture_release(struct capture *c, uint64_t pos);

/* Names of the inputs, indexed by packet.file_idx (live: the interface);
 * stable until close. */
const char *capture_file_name(const struct capture *c, unsigned file_idx);

/* The counters; live kernel counters are refreshed by the call. */
const struct capture_stats *capture_stats(struct capture *c);

/* Bytes of the input files read so far and their total size, for a
 * progress line; total is 0 when unknown (standard input, live). */
void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total);

#endif
