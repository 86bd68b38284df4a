/*
 * inspect.h - detection over HTTP transactions, and what it writes.
 *
 * Bodies are streamed to detection as libhtp decodes them, and bodies that
 * are calendars are collected (when ics rules exist). When a transaction
 * finishes, its header buffers are scanned, the http rules are evaluated,
 * then each calendar component against the ics rules, and the events are
 * written: one `alert` per rule that fired (per transaction for http rules,
 * per component for ics rules), then the `http` event, with every secret
 * found redacted (unless --unmask-secrets).
 *
 * Without rules (engine NULL) only the http event is written.
 */
#ifndef PS_INSPECT_H
#define PS_INSPECT_H

#include "detect.h"
#include "eve.h"
#include "flow.h"
#include "http.h"

struct token_reuse;
struct scanner_set;

struct inspect_stats {
    uint64_t alerts;          /* detect.alert */
    uint64_t tx_inspected;    /* transactions evaluated against the rules */
    uint64_t secrets;         /* secrets found (redacted unless unmasked) */
    uint64_t scans;           /* Hyperscan block scans and stream chunks */
    uint64_t confirms;        /* PCRE2 confirmations */
    uint64_t state_refused;   /* transactions not inspected: no memory for state */
    uint64_t calendars;       /* calendar bodies parsed */
    uint64_t components;      /* calendar components evaluated */
    uint64_t cal_malformed;   /* calendars libical found malformed (anomaly raised) */
    uint64_t cal_truncated;   /* calendars cut by a limit (anomaly raised) */
    uint64_t cal_memcap;      /* of those, calendars the ics memcap refused room */
    uint64_t cal_memuse;      /* calendar bytes held now (buffers allocated) */
    uint64_t token_reuse;     /* tokens this worker found reused (token_reuse.h) */
};

struct inspect_ctx;

/* Shared by the workers for plainsight.token_reuse / plainsight.scanner;
 * each may be NULL (those rules then never hold). */
struct inspect_shared {
    struct token_reuse *tr;
    const struct scanner_set *scanners;
};

/* NULL when out of memory. de may be NULL (no rules); ics_max caps the
 * calendar bytes collected per body (--ics-max-size), ics_memcap those
 * held by all transactions at once (--ics-memcap, this worker's share); xs
 * (cross-flow state) may be NULL. */
struct inspect_ctx *inspect_create(const struct detect_engine *de, bool unmask, size_t ics_max,
                                   size_t ics_memcap, const struct inspect_shared *xs,
                                   struct eve_thread *eve,
                                   struct eve_output *out);
void inspect_destroy(struct inspect_ctx *ic); /* accepts NULL */

/* Decoded body bytes of tx in direction dir. */
void inspect_http_body(struct inspect_ctx *ic, const struct http_tx *tx, enum ps_dir dir,
                       const uint8_t *data, size_t len);
/* tx of flow f is finished: evaluate, write its alerts and http event. */
void inspect_http_tx(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                     ps_time_t ts);
/* A transaction's record goes; `user` is the state inspect attached. */
void inspect_http_release(struct inspect_ctx *ic, void *user);

void inspect_get_stats(const struct inspect_ctx *ic, struct inspect_stats *out);

#endif
