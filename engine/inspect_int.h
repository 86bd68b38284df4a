/*
 * inspect_int.h - what inspect.c (transactions) and inspect_ics.c (the
 * calendars in their bodies) share. Only those two files include it.
 */
#ifndef PS_INSPECT_INT_H
#define PS_INSPECT_INT_H

#include "inspect.h"
#include "scanner.h"
#include "token_reuse.h"

enum inspect_cal_kind { CAL_UNKNOWN = 0, CAL_YES, CAL_NO };

/* One direction's body, kept while it looks like a calendar. */
struct inspect_cal {
    uint8_t *data; /* owned */
    size_t len, cap;
    uint64_t seen;  /* body bytes offered, kept or not */
    uint8_t kind;   /* enum inspect_cal_kind, decided on the first chunk */
    bool refused;   /* the ics memcap refused it room (counted once) */
};

/* Per transaction, from its first body chunk to its end. */
struct inspect_tx {
    struct detect_state *st; /* body streams; NULL without body rules */
    struct inspect_cal cal[2]; /* by enum ps_dir */
    struct inspect_tx *next_free;
};

/* The cross-flow facts of the transaction being evaluated. */
struct inspect_xflow {
    bool asked; /* detect_eval asked: the fields below hold */
    struct flow *f;
    const struct http_tx *tx;
    ps_time_t ts;
    struct scanner_hit hit;
    struct token_reuse_result reuse; /* when the table is used */
};

struct inspect_ctx {
    const struct detect_engine *de;
    struct detect_thread *dt;
    struct eve_thread *eve;
    bool unmask, log_http, log_alert, log_anomaly;
    bool ics;          /* ics rules exist: calendars are collected */
    size_t ics_max;    /* --ics-max-size */
    size_t ics_memcap; /* --ics-memcap: all calendars held at once */
    uint8_t *hdr;      /* joined headers for http.header / http.response_header */
    size_t hdr_cap;
    struct inspect_tx *free_tx; /* pool */
    struct token_reuse *tr;              /* shared by every worker; NULL: not used */
    const struct scanner_set *scanners;  /* shared, read-only; NULL: none */
    struct scanner_scratch *scratch;     /* this worker's */
    struct inspect_xflow xf;
    struct inspect_stats st;
};

/* The http object of a transaction, redacted; built on first use. */
struct inspect_http_obj {
    json_t *obj; /* owned reference, NULL until built */
    const struct ps_slice *secrets;
    size_t n_secrets;
};
json_t *inspect_http_object(struct inspect_ctx *ic, const struct http_tx *tx,
                            struct inspect_http_obj *ho);

/* inspect_xflow.c */
/* Before evaluating tx: reset the facts and let the unit ask for them. */
void inspect_xflow_begin(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                         ps_time_t ts, struct detect_unit *unit);
/* detect_unit.xflow: match the client's fingerprint, look the token up. */
unsigned inspect_xflow_query(void *arg, const struct detect_alert *cause);
/* alert.context members of a plainsight.token_reuse / plainsight.scanner
 * alert (a new reference), NULL for other alerts. */
json_t *inspect_xflow_context(const struct inspect_ctx *ic, const struct detect_alert *a);

/* inspect_ics.c */
void inspect_ics_body(struct inspect_ctx *ic, struct inspect_cal *cal, const struct http_tx *tx,
                      enum ps_dir dir, const uint8_t *data, size_t len);
/* Parse the transaction's calendars, evaluate each component, write its
 * alerts and anomalies. */
void inspect_ics_tx(struct inspect_ctx *ic, struct flow *f, const struct http_tx *tx,
                    struct inspect_tx *it, struct inspect_http_obj *ho, ps_time_t ts);
void inspect_cal_clear(struct inspect_ctx *ic, struct inspect_cal *cal);

#endif
