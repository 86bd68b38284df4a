/*
 * http_int.h - what parsers/http.c and parsers/http_body.c share: the records
 * behind the opaque handles of http.h, the event vocabulary and the limits.
 * Only the HTTP stage and its unit tests include this header.
 */
#ifndef PS_HTTP_INT_H
#define PS_HTTP_INT_H

#include <htp/htp.h>

#include "http.h"

/* Unconsumed bytes of one direction kept while libhtp waits for the other
 * (HTP_STREAM_DATA_OTHER: a CONNECT waiting for its answer). */
#define HTTP_PENDING_MAX (64u * 1024u)
/* Transactions parsed but not reported yet (requests waiting for their
 * responses), unless http_config.max_open_tx says otherwise. Past it the
 * connection stops: nothing else bounds a client that pipelines forever
 * toward a silent server. */
#define HTTP_OPEN_TX_MAX 1024u
/* Parser restarts after gaps libhtp cannot take, per connection. */
#define HTTP_RESTART_MAX 1000u
/* libhtp is fed at most this much per call, so the limit above is checked
 * often enough to hold within a slice's worth of tiny requests. */
#define HTTP_FEED_SLICE (16u * 1024u)
/* libhtp's decompression time budget, in microseconds: its maximum. The
 * decompression limit (bytes) is what bounds the work. */
#define HTTP_DECOMPRESS_TIME_MAX 1000000u
/* Anomaly events per connection; then one TOO_MANY_WARNINGS and silence. */
#define HTTP_EVENTS_MAX 256u

/* Events, named as Suricata names its http anomalies. http_body.c holds the
 * names and the mapping from libhtp's log messages. */
enum http_event {
    HTTP_EV_UNKNOWN_ERROR,
    HTTP_EV_GZIP_DECOMPRESSION_FAILED,
    HTTP_EV_REQUEST_FIELD_MISSING_COLON,
    HTTP_EV_RESPONSE_FIELD_MISSING_COLON,
    HTTP_EV_INVALID_REQUEST_CHUNK_LEN,
    HTTP_EV_INVALID_RESPONSE_CHUNK_LEN,
    HTTP_EV_INVALID_TE_IN_REQUEST,
    HTTP_EV_INVALID_TE_IN_RESPONSE,
    HTTP_EV_INVALID_CL_IN_REQUEST,
    HTTP_EV_INVALID_CL_IN_RESPONSE,
    HTTP_EV_DUPLICATE_CL_IN_REQUEST,
    HTTP_EV_DUPLICATE_CL_IN_RESPONSE,
    HTTP_EV_100_CONTINUE_ALREADY_SEEN,
    HTTP_EV_UNABLE_TO_MATCH_RESPONSE_TO_REQUEST,
    HTTP_EV_INVALID_SERVER_PORT_IN_REQUEST,
    HTTP_EV_REQUEST_HEADER_INVALID,
    HTTP_EV_RESPONSE_HEADER_INVALID,
    HTTP_EV_MISSING_HOST_HEADER,
    HTTP_EV_HOST_HEADER_AMBIGUOUS,
    HTTP_EV_INVALID_REQUEST_FIELD_FOLDING,
    HTTP_EV_INVALID_RESPONSE_FIELD_FOLDING,
    HTTP_EV_REQUEST_FIELD_TOO_LONG,
    HTTP_EV_RESPONSE_FIELD_TOO_LONG,
    HTTP_EV_REQUEST_LINE_INVALID,
    HTTP_EV_REQUEST_LINE_MISSING_PROTOCOL,
    HTTP_EV_REQUEST_BODY_UNEXPECTED,
    HTTP_EV_RESPONSE_BODY_UNEXPECTED,
    HTTP_EV_REQUEST_SERVER_PORT_TCP_PORT_MISMATCH,
    HTTP_EV_REQUEST_URI_HOST_INVALID,
    HTTP_EV_REQUEST_HEADER_HOST_INVALID,
    HTTP_EV_REQUEST_HEADER_REPETITION,
    HTTP_EV_RESPONSE_HEADER_REPETITION,
    HTTP_EV_REQUEST_TOO_MANY_HEADERS,
    HTTP_EV_RESPONSE_TOO_MANY_HEADERS,
    HTTP_EV_URI_DELIM_NON_COMPLIANT,
    HTTP_EV_METHOD_DELIM_NON_COMPLIANT,
    HTTP_EV_REQUEST_LINE_LEADING_WHITESPACE,
    HTTP_EV_REQUEST_LINE_INCOMPLETE,
    HTTP_EV_TOO_MANY_ENCODING_LAYERS,
    HTTP_EV_ABNORMAL_CE_HEADER,
    HTTP_EV_RESPONSE_MULTIPART_BYTERANGES,
    HTTP_EV_RESPONSE_ABNORMAL_TRANSFER_ENCODING,
    HTTP_EV_RESPONSE_CHUNKED_OLD_PROTO,
    HTTP_EV_RESPONSE_INVALID_PROTOCOL,
    HTTP_EV_RESPONSE_INVALID_STATUS,
    HTTP_EV_SWITCHING_PROTO_WITH_CONTENT_LENGTH,
    HTTP_EV_LZMA_MEMLIMIT_REACHED,
    HTTP_EV_COMPRESSION_BOMB,
    HTTP_EV_TOO_MANY_WARNINGS,
    /* ours: limits of this stage that Suricata's event table has no name for */
    HTTP_EV_INVALID_GAP,
    HTTP_EV_TOO_MANY_TRANSACTIONS,
    HTTP_EV_DATA_OTHER_OVERFLOW,
    HTTP_EV_MAX
};

struct http_shared {
    htp_cfg_t *cfg; /* owned; read-only once built, shared by the worker's connections */
    struct http_config conf;
    struct http_mem_stats mem; /* the worker's connections are all on its thread */
};

/* Our record beside libhtp's transaction (its user data). */
struct http_tx {
    struct http_conn *hc;
    htp_tx_t *htx;          /* libhtp's; valid until released */
    uint64_t id;            /* libhtp's index on the connection */
    uint64_t body_seen[2];  /* decoded bytes seen, per direction */
    uint64_t body_given[2]; /* of those, handed to ops->body */
    uint64_t raised;        /* events already reported for this tx, bit per enum http_event */
    uint8_t *uri_norm;      /* owned: normalised path and query */
    size_t uri_norm_len;
    bool reported;          /* ops->tx_done called */
    bool bomb[2];           /* decompression stopped at the limit, per direction */
    uint64_t held;          /* header bytes charged to http_shared.mem */
    void *user;             /* the caller's; handed to ops->tx_release */
};

/* A copy of bytes libhtp did not consume yet. */
struct http_pending {
    uint8_t *buf; /* owned */
    size_t len, cap;
};

struct http_conn {
    struct http_shared *hs;
    struct http_ops ops;
    htp_connp_t *connp;   /* owned */
    htp_conn_t *conn;     /* libhtp's, owned by connp */
    ps_time_t now;        /* time of the bytes being parsed */
    enum ps_dir feeding;  /* direction being parsed: log messages carry no tx */
    bool stopped;         /* error, tunnel, refused gap, limit or close: input ignored */
    bool over_memcap;     /* a header did not fit in the memcap: stop after this call */
    bool stop_explained;  /* an error logged or an event raised during the current
                           * call: a stop then needs no UNKNOWN_ERROR of its own */
    struct http_pending pending[2];
    htp_tx_t **finished;  /* owned array: reported and complete, released after the call */
    size_t n_finished, cap_finished;
    size_t report_from;   /* every transaction below this index is reported */
    uint64_t tx_base;     /* tx ids of parsers replaced after a gap come first */
    bool resync[2];       /* after a gap: skip a direction until a message starts */
    uint32_t restarts;
    uint64_t n_reported;  /* reported by the current libhtp parser */
    uint64_t n_live;      /* our records alive */
    uint64_t body_cut;    /* decoded bytes withheld from ops->body by the limit */
    uint32_t n_events;
};

/* http.c */
struct http_tx *http_tx_get(struct http_conn *hc, htp_tx_t *htx);
void http_tx_report(struct http_conn *hc, struct http_tx *tx);

/* http_body.c */
void http_body_configure(htp_cfg_t *cfg, const struct http_config *conf);
void http_event_raise(struct http_conn *hc, struct http_tx *tx, enum http_event ev);
const char *http_event_name(enum http_event ev);
void http_log_drain(struct http_conn *hc);

/* For tests and stats: records alive, and bytes cut by the body limit. */
uint64_t http_conn_live_tx(const struct http_conn *hc);
uint64_t http_conn_body_cut(const struct http_conn *hc);

#endif
