/*
 * detect.h - rules compiled to Hyperscan, matched against the buffers of one
 * inspection unit (an HTTP transaction, or a calendar component).
 *
 * Build once, share read-only: detect_engine_build compiles one Hyperscan
 * database per buffer that any rule uses (block mode for header buffers,
 * stream mode for bodies). Each worker owns a detect_thread (Hyperscan
 * scratch, a pool of states, the alert array). A detect_state collects what
 * one unit's buffers matched:
 *
 *   st = detect_state_get(dt);
 *   detect_scan(dt, st, RB_HTTP_URI_RAW, uri, len);      // block buffers, any order,
 *   detect_scan(dt, st, RB_HTTP_HOST, host, len);        // a buffer may be scanned twice
 *   detect_stream(dt, st, RB_HTTP_RESPONSE_BODY, chunk, n);  // bodies, chunk by chunk
 *   n = detect_eval(dt, st, &unit, &alerts);             // ends the streams, evaluates
 *   ... log alerts ...
 *   detect_state_put(dt, st);
 *
 * Every condition of every rule is a Hyperscan expression: a content, a
 * chain of contents joined by distance/within, or a pcre. offset/depth are
 * Hyperscan expression extensions. A pcre Hyperscan cannot compile exactly
 * is compiled in prefilter mode and confirmed with PCRE2; a pcre with a
 * `secret` group is always confirmed with PCRE2, which extracts the secret
 * and applies the post-filters (built-in placeholder test, min_len,
 * min_entropy); a hit whose every match fails them does not count. Body
 * streams keep a window of their last DETECT_CONFIRM_WINDOW bytes so a
 * match that straddles two chunks is still confirmed. A body pcre PCRE2
 * confirms, in a rule whose fast pattern is a literal of the same body, is
 * the exception: it stays out of Hyperscan and is armed by each occurrence
 * of that literal (detect_int.h).
 *
 * A rule holds when every condition holds: a positive one matched, a
 * negated one did not, and each buffer it names was present (non-empty).
 * Only rules whose fast pattern matched (fast_pattern, else the longest
 * positive content, else any positive condition) are evaluated. A rule
 * fires at most once per state.
 */
#ifndef PS_DETECT_H
#define PS_DETECT_H

#include <stdio.h>

#include "common.h"
#include "rule.h"

/* Bytes of a body stream kept to confirm matches that cross chunks: the
 * longest secret-bearing match a body rule can report. */
#define DETECT_CONFIRM_WINDOW 4096u

struct detect_engine; /* compiled rules, read-only once built */
struct detect_thread; /* one worker's scratch */
struct detect_state;  /* one inspection unit */

struct detect_build_stats {
    unsigned rules_loaded; /* compiled into the engine */
    unsigned rules_failed; /* refused by Hyperscan or PCRE2 (named on diag) */
    unsigned prefiltered;  /* pcre compiled in prefilter mode, PCRE2 confirming */
    unsigned cache_hits;   /* databases read from the cache */
    unsigned cache_stored; /* databases compiled and written to the cache */
    unsigned pcre_checks;  /* pcres Hyperscan analysed alone: none when every
                            * database came from the cache */
};

/* Where compiled databases are kept between runs (detect_cache.c). */
struct detect_cache_config {
    const char *dir; /* NULL: no cache */
    bool quiet;      /* no warning on diag when the directory cannot be used */
};

/* $XDG_CACHE_HOME/plainsight, else $HOME/.cache/plainsight; false when
 * neither variable holds an absolute path. */
bool detect_cache_default_dir(char *out, size_t len);

/*
 * Compile every rule of rs. A rule whose pattern Hyperscan refuses even in
 * prefilter mode, or PCRE2 refuses, is reported on `diag` as
 * "FILE:LINE:COL: error: pcre: WHY" and left out (counted in rules_failed).
 * rs must outlive the engine (alerts point at its rules). NULL only when out
 * of memory or Hyperscan fails as a whole, with a message on diag.
 */
struct detect_engine *detect_engine_build(const struct rule_set *rs, FILE *diag,
                                          struct detect_build_stats *st);
/* The same, reading each buffer's database from the cache when a file
 * made from the same expressions, Hyperscan and CPU is there, and writing
 * the ones it compiles. An unusable cache warns once (unless quiet) and
 * the rules are compiled. cache NULL: as detect_engine_build. */
struct detect_engine *detect_engine_build_cached(const struct rule_set *rs, FILE *diag,
                                                 const struct detect_cache_config *cache,
                                                 struct detect_build_stats *st);
void detect_engine_destroy(struct detect_engine *de); /* accepts NULL */

/* Does any rule inspect buffer b? Callers skip building buffers nobody reads. */
bool detect_engine_uses(const struct detect_engine *de, enum rule_buffer b);
/* Does any rule use plainsight.token_reuse or plainsight.scanner? */
bool detect_engine_has_xflow(const struct detect_engine *de);
/* Does any rule of this protocol exist? */
bool detect_engine_has_proto(const struct detect_engine *de, enum rule_proto p);

struct detect_thread *detect_thread_create(const struct detect_engine *de);
void detect_thread_destroy(struct detect_thread *dt); /* accepts NULL */

/* A cleared state from the thread's pool; NULL when out of memory. */
struct detect_state *detect_state_get(struct detect_thread *dt);
/* Back to the pool; closes any open stream. Slices in alerts die here. */
void detect_state_put(struct detect_thread *dt, struct detect_state *st);

/* Scan one value of a block buffer (bytes borrowed for the call). */
void detect_scan(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b,
                 const uint8_t *data, size_t len);
/* Scan the next chunk of a stream buffer (bytes borrowed for the call). */
void detect_stream(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b,
                   const uint8_t *data, size_t len);

struct detect_alert {
    const struct rule *rule;
    /* The secret the rule's pcre extracted, when it has a `secret` group:
     * bytes valid until detect_state_put; buffer is where it was found. */
    struct ps_slice secret;
    enum rule_buffer secret_buffer; /* RB_MAX when no secret */
    /* plainsight.request_secret: the rule whose request-side secret made
     * this one hold, and that secret; NULL/empty otherwise. */
    const struct rule *cause;
    struct ps_slice cause_secret;
    enum rule_buffer cause_buffer;
};

/* What a rule header and flow keyword are checked against. */
struct detect_unit {
    enum rule_proto proto;
    uint8_t ip_ver;                  /* 4 or 6 */
    const uint8_t *client, *server; /* 16 bytes each (IPv4 in the first 4) */
    uint16_t client_port, server_port;
    bool established;      /* the TCP session saw a handshake or was picked up midstream */
    bool redirect_upgrade; /* http.redirect_upgrade holds for this transaction */
    /* Cross-flow facts (plainsight.token_reuse, plainsight.scanner): asked
     * at most once per unit, after the first pass, when a rule found a
     * secret in the request target (http.uri / http.uri.raw) and some rule
     * needs them; `cause` is that rule's alert. Returns DETECT_XF_* bits.
     * NULL: such rules never hold. */
    unsigned (*xflow)(void *arg, const struct detect_alert *cause);
    void *xflow_arg;
};

#define DETECT_XF_REUSE 0x01u   /* this client is the token's second distinct client */
#define DETECT_XF_SCANNER 0x02u /* this client matches a mail-scanner fingerprint */


/*
 * End the state's streams, then evaluate the candidate rules against unit;
 * rules with plainsight.request_secret, plainsight.token_reuse or
 * plainsight.scanner are evaluated last, with the cause they name. *alerts points at
 * an array of the returned count, ordered by the rules' (priority, sid),
 * valid until the next detect_eval on this thread or detect_state_put.
 */
size_t detect_eval(struct detect_thread *dt, struct detect_state *st,
                   const struct detect_unit *unit, const struct detect_alert **alerts);

struct detect_thread_stats {
    uint64_t scans;          /* block scans and stream chunks */
    uint64_t confirms;       /* PCRE2 confirmations run */
    uint64_t confirm_failed; /* ... that found no match passing the filters */
    uint64_t alerts;
    uint64_t errors; /* Hyperscan/PCRE2 failures and lost allocations; the scan goes on */
};
const struct detect_thread_stats *detect_thread_stats(const struct detect_thread *dt);

/* Post-filters of secrets (secret.c), exposed for tests and the rule docs. */
double secret_entropy(const uint8_t *s, size_t len);          /* Shannon bits per byte */
bool secret_is_placeholder(const uint8_t *s, size_t len);     /* built-in drop list */

#endif
