/*
 * http.h - HTTP/1.x transactions from two reassembled byte streams, through
 * libhtp (IDS personality).
 *
 * One http_conn per flow. The engine feeds each direction's bytes in order
 * (http_conn_feed), reports holes (http_conn_gap), and ends the connection
 * (http_conn_close), which still reports transactions cut by the end of
 * input. The parser reports back through http_ops:
 *   - body: decoded body bytes (de-chunked, gunzipped/inflated with libhtp's
 *     limits against decompression bombs), at most `body_limit` bytes per
 *     transaction and direction; later transactions on the connection are
 *     still parsed and reported;
 *   - tx_done: a transaction is finished (response complete, or cut by a
 *     gap, a parse error or the end of the connection); each transaction is
 *     reported exactly once;
 *   - event: an HTTP anomaly, named as Suricata names its http events.
 * The transaction handed to a callback is valid for that call only.
 */
#ifndef PS_HTTP_H
#define PS_HTTP_H

#include "common.h"

enum http_field {
    HTTP_F_METHOD,
    HTTP_F_URI_RAW,   /* request target as sent */
    HTTP_F_URI_NORM,  /* percent-decoded, path-normalised */
    HTTP_F_PROTOCOL,  /* "HTTP/1.1" */
    HTTP_F_HOST,      /* Host header, or the authority of an absolute URI; no port */
    HTTP_F_USER_AGENT,
    HTTP_F_COOKIE,
    HTTP_F_REFERER,
    HTTP_F_XFF,
    HTTP_F_REQUEST_CONTENT_TYPE,
    HTTP_F_RESPONSE_CONTENT_TYPE, /* cut at the first ';', as Suricata logs it */
    HTTP_F_STATUS_MSG,
    HTTP_F_LOCATION,
    HTTP_F_MAX
};

struct http_config {
    uint64_t body_limit;           /* decoded bytes per transaction and direction given to ops->body */
    uint32_t decompress_layer_limit; /* nested encodings allowed */
    uint64_t decompress_bomb_limit;  /* decompressed bytes allowed per body */
    uint32_t max_open_tx; /* transactions parsed, not yet reported, per connection;
                           * past it the connection stops. 0: HTTP_OPEN_TX_MAX */
    uint64_t memcap;      /* header bytes held by the live transactions of all this
                           * worker's connections; 0: no limit */
};

/* What the worker's connections hold: stats.http.memuse and .memcap. */
struct http_mem_stats {
    uint64_t memuse;      /* header bytes of live transactions */
    uint64_t memcap_hits; /* connections stopped because the memcap was reached */
};

struct http_tx;   /* one transaction; borrowed inside callbacks */
struct http_conn; /* one connection parser */
struct http_shared; /* per-worker libhtp configuration */

struct http_ops {
    void (*body)(void *ctx, const struct http_tx *tx, enum ps_dir dir, const uint8_t *data,
                 size_t len);
    void (*tx_done)(void *ctx, const struct http_tx *tx, ps_time_t ts);
    void (*event)(void *ctx, const struct http_tx *tx, const char *event, ps_time_t ts);
    /* The transaction's record is freed; `user` is what http_tx_set_user
     * attached (called only when it is not NULL). */
    void (*tx_release)(void *ctx, void *user);
    void *ctx;
};

struct http_shared *http_shared_create(const struct http_config *cfg);
void http_shared_destroy(struct http_shared *hs);
const struct http_mem_stats *http_shared_mem(const struct http_shared *hs);

/* Does this first chunk of a direction look like HTTP/1.x? (request line
 * toward the server, status line toward the client) */
bool http_probe(enum ps_dir dir, const uint8_t *data, size_t len);

struct http_conn *http_conn_create(struct http_shared *hs, const struct http_ops *ops,
                                   ps_time_t ts);
void http_conn_feed(struct http_conn *hc, enum ps_dir dir, const uint8_t *data, size_t len,
                    ps_time_t ts);
void http_conn_gap(struct http_conn *hc, enum ps_dir dir, uint64_t len, ps_time_t ts);
/* End of the connection: finish and report every transaction still open. */
void http_conn_close(struct http_conn *hc, ps_time_t ts);
void http_conn_destroy(struct http_conn *hc);

/* Transaction accessors. Empty slice when a field is absent. */
uint64_t http_tx_id(const struct http_tx *tx);
struct ps_slice http_tx_field(const struct http_tx *tx, enum http_field f);
int http_tx_status(const struct http_tx *tx); /* -1 when there is no numeric status */
uint64_t http_tx_body_len(const struct http_tx *tx, enum ps_dir dir); /* decoded bytes seen */
size_t http_tx_header_count(const struct http_tx *tx, enum ps_dir dir);
bool http_tx_header(const struct http_tx *tx, enum ps_dir dir, size_t i, struct ps_slice *name,
                    struct ps_slice *value);

/* One pointer of the caller's per transaction (detection state), kept from
 * the first callback to the release. */
void *http_tx_user(const struct http_tx *tx);
/* The transaction stays read-only to callbacks; the user slot is theirs. */
void http_tx_set_user(const struct http_tx *tx, void *user);

/*
 * Does the response redirect the request to itself on https://? True when
 * the status is 301, 302, 307 or 308 and Location is an absolute https URL
 * whose host equals the request's (case-insensitive, port 443 or none) and
 * whose path and query equal the request target's (percent-decoded on both
 * sides; an absolute-form target counts by its path; a fragment in
 * Location is ignored).
 */
bool http_tx_redirect_upgrade(const struct http_tx *tx);
bool http_redirect_is_upgrade(int status, struct ps_slice req_host, struct ps_slice req_target,
                              struct ps_slice location);

#endif
