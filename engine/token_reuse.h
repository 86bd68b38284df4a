/*
 * token_reuse.h - which clients fetched each token-bearing URL: the one
 * piece of detection state shared by every worker (the flows of different
 * clients land on different workers).
 *
 * A token is identified by a digest of the request's host and the secret a
 * rule found in its target (SHA-1 over host, NUL, SHA-1 of the secret; 16
 * bytes kept): the table never holds the secret. Per token it keeps up to
 * TOKEN_REUSE_CLIENTS distinct client addresses with their first and last
 * fetch (packet time), User-Agent (cut to TOKEN_REUSE_UA_MAX bytes) and
 * mail-scanner fingerprint.
 *
 * Reuse: a fetch by a client other than the stored ones, while one of them
 * fetched within --token-reuse-window of it, makes the token reused; this
 * is reported once per token, on the fetch that made it so. A client whose
 * last fetch is more than the window away is forgotten; a token nobody
 * fetched for a window expires (and may be reported again later).
 *
 * Memory: --token-reuse-memcap bytes of entries, reserved at creation
 * (pages are touched only as entries are used), split over a fixed number
 * of stripes, each with its own lock, hash buckets and least-recently-used
 * list; a full stripe evicts its least recently fetched token. One lookup
 * per token-bearing transaction takes one stripe lock; nothing is
 * allocated after creation.
 *
 * Threads: which of two fetches is processed first depends on how workers
 * interleave; the report names the clients ordered by first fetch, so the
 * token, its rule and its client set are the same whatever the thread
 * count. Which transaction carries the report is the second one processed:
 * the later one in packet time when the fetches end further apart than the
 * workers' lag (their queued packet batches), either one otherwise.
 */
#ifndef PS_TOKEN_REUSE_H
#define PS_TOKEN_REUSE_H

#include "common.h"
#include "scanner.h"

#define TOKEN_REUSE_CLIENTS 4
#define TOKEN_REUSE_UA_MAX 120
#define TOKEN_REUSE_KEY_LEN 16

struct token_reuse;

struct token_reuse_config {
    ps_time_t window; /* --token-reuse-window */
    size_t memcap;    /* --token-reuse-memcap */
};

/* NULL when out of memory or the memcap holds less than one entry per
 * stripe. */
struct token_reuse *token_reuse_create(const struct token_reuse_config *cfg);
void token_reuse_destroy(struct token_reuse *tr); /* accepts NULL */

/* The token's digest from the request's host (normalised) and secret. */
void token_reuse_key(struct ps_slice host, struct ps_slice secret,
                     uint8_t key[TOKEN_REUSE_KEY_LEN]);

struct token_reuse_client {
    uint8_t ip_ver;
    uint8_t addr[16];
    ps_time_t first_seen, last_seen;
    const char *scanner; /* fingerprint name (borrowed from the scanner set), or NULL */
    uint8_t ua_len;
    char ua[TOKEN_REUSE_UA_MAX];
};

struct token_reuse_result {
    bool reused;         /* this fetch made the token reused (reported once) */
    unsigned n_clients;  /* distinct clients within the window, this one included */
    unsigned n;          /* stored clients copied below, by first fetch */
    struct token_reuse_client clients[TOKEN_REUSE_CLIENTS];
};

/* Client c (ua_len, ua, scanner, ip_ver, addr set) fetched the token at ts.
 * Fills out (a snapshot, valid after the call). */
void token_reuse_see(struct token_reuse *tr, const uint8_t key[TOKEN_REUSE_KEY_LEN],
                     const struct token_reuse_client *c, ps_time_t ts,
                     struct token_reuse_result *out);

struct token_reuse_stats {
    uint64_t lookups;   /* token-bearing fetches looked up */
    uint64_t entries;   /* tokens held now */
    uint64_t evictions; /* tokens evicted by the memcap */
    uint64_t expired;   /* tokens dropped after a window without fetches */
    uint64_t memuse;    /* bytes of the entries held, plus the table */
    uint64_t memcap;
    uint64_t alerts;    /* tokens found reused */
};
/* Takes every stripe lock in turn. */
void token_reuse_get_stats(struct token_reuse *tr, struct token_reuse_stats *out);

/* The counters as an `engine` event, engine.module "token_reuse". */
struct eve_thread;
void token_reuse_log_stats(struct token_reuse *tr, struct eve_thread *t, ps_time_t ts);

#endif
