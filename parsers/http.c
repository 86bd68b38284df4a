/*
 * http.c - HTTP/1.x connections over libhtp (0.5.x): one htp_connp_t per
 * flow, every transaction reported exactly once, then released.
 *
 * Reporting. libhtp calls back through hooks on the shared configuration. A
 * transaction is reported (ops->tx_done) when libhtp declares it complete,
 * request and response both done, so no body byte of it can follow the
 * report. When parsing ends early (a parse error, a tunnel, a refused gap, a
 * limit) or at close, every transaction not yet reported is reported as it
 * stands, requests without responses included. A record of ours rides on
 * each libhtp transaction as its user data and carries the reported flag.
 *
 * Release. A reported, complete transaction is destroyed right after the
 * libhtp call that completed it returns: never inside a hook, where libhtp
 * still uses it. So a keep-alive connection holds only its open
 * transactions; libhtp keeps a NULL slot (one pointer) per destroyed one,
 * which is what keeps tx ids equal to libhtp's indexes.
 *
 * DATA_OTHER. libhtp may stop short in one direction until it has seen the
 * other (a CONNECT waiting for its answer). The unconsumed rest is copied to
 * a bounded per-direction buffer, later bytes of that direction queue behind
 * it, and it is fed again each time the other direction has been fed.
 *
 * Gaps. libhtp 0.5.42 takes a hole (data NULL, length) only inside an
 * identity body (Content-Length or close-delimited): it counts the hole and
 * carries on, and the body hook sees it as data NULL, which we skip. Anywhere
 * else it refuses and keeps its state, so the bytes after the hole would be
 * parsed as the rest of a line they do not belong to. We then restart: the
 * open transactions are reported as cut, libhtp's parser is replaced by a
 * fresh one, and each direction is skipped until a chunk of it starts a
 * message (a request line toward the server, a status line toward the
 * client) -- reassembly hands over data at segment boundaries, where
 * messages usually begin. Both directions restart together because
 * responses pair with requests by order alone. tx ids keep counting across
 * restarts. A connection that needs more than HTTP_RESTART_MAX restarts is
 * stopped.
 */
#include "http_int.h"

#include <stdlib.h>
#include <string.h>

static struct http_conn *conn_of(htp_tx_t *htx)
{
    return htp_connp_get_user_data(htx->connp);
}

static htp_time_t time_of(ps_time_t ts)
{
    htp_time_t tv = {.tv_sec = (time_t)(ts / PS_USEC_PER_SEC),
                     .tv_usec = (suseconds_t)(ts % PS_USEC_PER_SEC)};
    return tv;
}

/* --- transaction records --- */

struct http_tx *http_tx_get(struct http_conn *hc, htp_tx_t *htx)
{
    struct http_tx *tx = htp_tx_get_user_data(htx);
    if (tx != NULL || hc == NULL)
        return tx;
    /* Created on first sight: libhtp makes some transactions (a response
     * without request) without running the request-start hook. */
    tx = calloc(1, sizeof(*tx));
    if (tx == NULL)
        return NULL;
    tx->hc = hc;
    tx->htx = htx;
    tx->id = hc->tx_base + htx->index;
    htp_tx_set_user_data(htx, tx);
    hc->n_live++;
    return tx;
}

static void tx_free(struct http_conn *hc, struct http_tx *tx)
{
    struct http_mem_stats *m = &hc->hs->mem;
    m->memuse -= PS_MIN(tx->held, m->memuse);
    if (tx->user != NULL && hc->ops.tx_release != NULL)
        hc->ops.tx_release(hc->ops.ctx, tx->user);
    free(tx->uri_norm);
    free(tx);
    hc->n_live--;
}

void http_tx_report(struct http_conn *hc, struct http_tx *tx)
{
    if (tx->reported)
        return;
    tx->reported = true;
    hc->n_reported++;
    if (hc->ops.tx_done != NULL)
        hc->ops.tx_done(hc->ops.ctx, tx, hc->now);
}

static void conn_queue_finished(struct http_conn *hc, htp_tx_t *htx)
{
    if (hc->n_finished == hc->cap_finished) {
        size_t cap = hc->cap_finished ? hc->cap_finished * 2 : 8;
        htp_tx_t **grown = realloc(hc->finished, cap * sizeof(*grown));
        if (grown == NULL)
            return; /* it stays until the connection goes */
        hc->finished = grown;
        hc->cap_finished = cap;
    }
    hc->finished[hc->n_finished++] = htx;
}

/* After a libhtp call: destroy what it completed and we reported. */
static void conn_release_finished(struct http_conn *hc)
{
    for (size_t i = 0; i < hc->n_finished; i++) {
        htp_tx_t *htx = hc->finished[i];
        struct http_tx *tx = htp_tx_get_user_data(htx);
        if (htp_tx_destroy(htx) == HTP_OK && tx != NULL)
            tx_free(hc, tx);
    }
    hc->n_finished = 0;
    size_t n = htp_list_size(hc->conn->transactions);
    while (hc->report_from < n && htp_list_get(hc->conn->transactions, hc->report_from) == NULL)
        hc->report_from++;
}

/* --- hooks (all return HTP_OK: libhtp 0.5.42 loops forever creating
 * transactions when the request-start hook fails) --- */

static int http_on_request_start(htp_tx_t *htx)
{
    http_tx_get(conn_of(htx), htx);
    return HTP_OK;
}

/* The normalised target: libhtp's decoded path, then the query as sent. */
static int http_on_request_line(htp_tx_t *htx)
{
    struct http_tx *tx = http_tx_get(conn_of(htx), htx);
    htp_uri_t *u = htx->parsed_uri;
    if (tx == NULL || u == NULL || tx->uri_norm != NULL)
        return HTP_OK;
    size_t plen = u->path != NULL ? bstr_len(u->path) : 0;
    size_t qlen = u->query != NULL ? bstr_len(u->query) : 0;
    size_t len = plen + (u->query != NULL ? 1 + qlen : 0);
    if (len == 0 || (tx->uri_norm = malloc(len)) == NULL)
        return HTP_OK;
    if (plen > 0)
        memcpy(tx->uri_norm, bstr_ptr(u->path), plen);
    if (u->query != NULL) {
        tx->uri_norm[plen] = '?';
        memcpy(tx->uri_norm + plen + 1, bstr_ptr(u->query), qlen);
    }
    tx->uri_norm_len = len;
    return HTP_OK;
}

static int http_on_tx_complete(htp_tx_t *htx)
{
    struct http_conn *hc = conn_of(htx);
    struct http_tx *tx = http_tx_get(hc, htx);
    if (hc == NULL || tx == NULL || tx->reported)
        return HTP_OK;
    http_tx_report(hc, tx);
    conn_queue_finished(hc, htx);
    return HTP_OK;
}

/* --- shared configuration --- */

struct http_shared *http_shared_create(const struct http_config *cfg)
{
    struct http_shared *hs = calloc(1, sizeof(*hs));
    if (hs == NULL)
        return NULL;
    if (cfg != NULL)
        hs->conf = *cfg;
    if (hs->conf.max_open_tx == 0)
        hs->conf.max_open_tx = HTTP_OPEN_TX_MAX;
    htp_cfg_t *c = hs->cfg = htp_config_create();
    if (c == NULL || htp_config_set_server_personality(c, HTP_SERVER_IDS) != HTP_OK)
        goto fail;
    htp_config_set_log_level(c, HTP_LOG_WARNING);
    htp_config_set_tx_auto_destroy(c, 0);
    htp_config_set_parse_request_cookies(c, 0);
    htp_config_set_parse_request_auth(c, 0);
    /* Path normalisation as an IDS wants it: %XX and %uXXXX decoded, '\'
     * and encoded '/' as separators, runs of '/' collapsed, invalid %
     * kept. Case and non-ASCII bytes are kept: the secrets we look for in
     * URLs are case-sensitive tokens. */
    enum htp_decoder_ctx_t p = HTP_DECODER_URL_PATH;
    htp_config_set_convert_lowercase(c, p, 0);
    htp_config_set_utf8_convert_bestfit(c, p, 0);
    htp_config_set_backslash_convert_slashes(c, p, 1);
    htp_config_set_path_separators_decode(c, p, 1);
    htp_config_set_path_separators_compress(c, p, 1);
    htp_config_set_u_encoding_decode(c, p, 1);
    htp_config_set_url_encoding_invalid_handling(c, p, HTP_URL_DECODE_PRESERVE_PERCENT);
    htp_config_register_request_start(c, http_on_request_start);
    htp_config_register_request_line(c, http_on_request_line);
    htp_config_register_transaction_complete(c, http_on_tx_complete);
    http_body_configure(c, &hs->conf);
    return hs;
fail:
    http_shared_destroy(hs);
    return NULL;
}

const struct http_mem_stats *http_shared_mem(const struct http_shared *hs)
{
    return &hs->mem;
}

void http_shared_destroy(struct http_shared *hs)
{
    if (hs == NULL)
        return;
    if (hs->cfg != NULL)
        htp_config_destroy(hs->cfg);
    free(hs);
}

/* --- connection --- */

static void conn_report_all(struct http_conn *hc)
{
    size_t n = htp_list_size(hc->conn->transactions);
    for (size_t i = hc->report_from; i < n; i++) {
        htp_tx_t *htx = htp_list_get(hc->conn->transactions, i);
        struct http_tx *tx = htx != NULL ? http_tx_get(hc, htx) : NULL;
        if (tx != NULL)
            http_tx_report(hc, tx);
    }
    hc->report_from = n;
}

static void conn_free_libhtp(struct http_conn *hc)
{
    if (hc->connp == NULL)
        return;
    size_t n = htp_list_size(hc->conn->transactions);
    for (size_t i = 0; i < n; i++) {
        htp_tx_t *htx = htp_list_get(hc->conn->transactions, i);
        struct http_tx *tx = htx != NULL ? htp_tx_get_user_data(htx) : NULL;
        if (tx != NULL) {
            htp_tx_set_user_data(htx, NULL);
            tx_free(hc, tx);
        }
    }
    hc->n_finished = 0;
    htp_connp_destroy_all(hc->connp);
    hc->connp = NULL;
    hc->conn = NULL;
}

/* Parsing ends for good: report what is open, free libhtp's state now (a
 * tunnel may live for hours), ignore what comes next. */
static void conn_stop(struct http_conn *hc, int ev)
{
    if (hc->stopped)
        return;
    if (ev >= 0)
        http_event_raise(hc, NULL, (enum http_event)ev);
    hc->stopped = true;
    conn_report_all(hc);
    conn_free_libhtp(hc);
    for (int d = 0; d < 2; d++) {
        free(hc->pending[d].buf);
        hc->pending[d] = (struct http_pending){0};
    }
}

static bool conn_open_libhtp(struct http_conn *hc)
{
    hc->connp = htp_connp_create(hc->hs->cfg);
    if (hc->connp == NULL)
        return false;
    hc->conn = htp_connp_get_connection(hc->connp);
    htp_connp_set_user_data(hc->connp, hc);
    htp_time_t tv = time_of(hc->now);
    htp_connp_open(hc->connp, NULL, 0, NULL, 0, &tv);
    return true;
}

/* A gap libhtp cannot take: report what is open, start a new parser, and
 * wait in both directions for the start of a message (see the top). */
static void conn_restart(struct http_conn *hc)
{
    http_event_raise(hc, NULL, HTTP_EV_INVALID_GAP);
    if (++hc->restarts > HTTP_RESTART_MAX) {
        conn_stop(hc, -1);
        return;
    }
    conn_report_all(hc);
    uint64_t base = hc->tx_base + htp_list_size(hc->conn->transactions);
    conn_free_libhtp(hc);
    hc->tx_base = base;
    hc->report_from = 0;
    hc->n_reported = 0; /* counts reports of the current parser only */
    for (int d = 0; d < 2; d++) {
        free(hc->pending[d].buf);
        hc->pending[d] = (struct http_pending){0};
        hc->resync[d] = true;
    }
    if (!conn_open_libhtp(hc))
        conn_stop(hc, -1);
}

/* One libhtp call; *used is what it consumed. */
static int conn_parse(struct http_conn *hc, enum ps_dir dir, const uint8_t *data, size_t len,
                      size_t *used)
{
    htp_time_t tv = time_of(hc->now);
    hc->feeding = dir;
    hc->stop_explained = false;
    int rc;
    if (dir == PS_TOSERVER) {
        rc = htp_connp_req_data(hc->connp, &tv, data, len);
        *used = rc == HTP_STREAM_DATA_OTHER ? htp_connp_req_data_consumed(hc->connp) : len;
    } else {
        rc = htp_connp_res_data(hc->connp, &tv, data, len);
        *used = rc == HTP_STREAM_DATA_OTHER ? htp_connp_res_data_consumed(hc->connp) : len;
    }
    if (*used > len)
        *used = len;
    conn_release_finished(hc);
    http_log_drain(hc);
    return rc;
}

/* After a call that did not ask for the other side: go on, or stop. */
static bool conn_check(struct http_conn *hc, int rc)
{
    if (hc->over_memcap) {
        conn_stop(hc, -1);
        return false;
    }
    switch (rc) {
    case HTP_STREAM_DATA:
    case HTP_STREAM_OPEN:
    case HTP_STREAM_NEW:
        break;
    case HTP_STREAM_TUNNEL:
        conn_stop(hc, -1);
        return false;
    default: /* ERROR; CLOSED and STOP do not come from data we own */
        conn_stop(hc, hc->stop_explained ? -1 : HTTP_EV_UNKNOWN_ERROR);
        return false;
    }
    uint64_t open = htp_list_size(hc->conn->transactions) - hc->n_reported;
    if (open > hc->hs->conf.max_open_tx) {
        conn_stop(hc, HTTP_EV_TOO_MANY_TRANSACTIONS);
        return false;
    }
    return true;
}

static void pending_keep(struct http_conn *hc, enum ps_dir dir, const uint8_t *data, size_t len)
{
    struct http_pending *p = &hc->pending[dir];
    if (len == 0)
        return;
    if (len > HTTP_PENDING_MAX - p->len) {
        conn_stop(hc, HTTP_EV_DATA_OTHER_OVERFLOW);
        return;
    }
    if (p->len + len > p->cap) {
        size_t cap = PS_MIN(PS_MAX(p->len + len, 2 * p->cap), (size_t)HTTP_PENDING_MAX);
        uint8_t *grown = realloc(p->buf, cap);
        if (grown == NULL) {
            conn_stop(hc, HTTP_EV_DATA_OTHER_OVERFLOW);
            return;
        }
        p->buf = grown;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, len);
    p->len += len;
}

static void conn_push(struct http_conn *hc, enum ps_dir dir, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len && !hc->stopped) {
        size_t n = PS_MIN(len - off, (size_t)HTTP_FEED_SLICE), used;
        int rc = conn_parse(hc, dir, data + off, n, &used);
        if (rc == HTP_STREAM_DATA_OTHER) {
            pending_keep(hc, dir, data + off + used, len - off - used);
            return;
        }
        if (!conn_check(hc, rc))
            return;
        off += n;
    }
}

/* Feed a direction's held-back bytes again; true when libhtp took some. */
static bool conn_refeed(struct http_conn *hc, enum ps_dir dir)
{
    struct http_pending *p = &hc->pending[dir];
    if (hc->stopped || p->len == 0)
        return false;
    size_t used;
    int rc = conn_parse(hc, dir, p->buf, p->len, &used);
    if (rc != HTP_STREAM_DATA_OTHER) {
        p->len = 0;
        conn_check(hc, rc);
        return true;
    }
    if (used == 0)
        return false;
    memmove(p->buf, p->buf + used, p->len - used);
    p->len -= used;
    return true;
}

/* The other side of `fed` may have been waiting for what was just fed. Each
 * round that makes progress consumes bytes, so this ends. */
static void conn_settle(struct http_conn *hc, enum ps_dir fed)
{
    enum ps_dir other = fed == PS_TOSERVER ? PS_TOCLIENT : PS_TOSERVER;
    while (conn_refeed(hc, other) || conn_refeed(hc, fed))
        ;
}

struct http_conn *http_conn_create(struct http_shared *hs, const struct http_ops *ops,
                                   ps_time_t ts)
{
    struct http_conn *hc = calloc(1, sizeof(*hc));
    if (hc == NULL)
        return NULL;
    if (hs == NULL)
        goto fail;
    hc->hs = hs;
    if (ops != NULL)
        hc->ops = *ops;
    hc->now = ts;
    if (!conn_open_libhtp(hc))
        goto fail;
    return hc;
fail:
    free(hc);
    return NULL;
}

void http_conn_feed(struct http_conn *hc, enum ps_dir dir, const uint8_t *data, size_t len,
                    ps_time_t ts)
{
    if (hc == NULL || hc->stopped || data == NULL || len == 0)
        return;
    hc->now = ts;
    if (hc->resync[dir]) {
        if (!http_probe(dir, data, len))
            return; /* still inside the message the gap cut */
        hc->resync[dir] = false;
    }
    if (hc->pending[dir].len > 0)
        pending_keep(hc, dir, data, len); /* in order, behind what waits */
    else
        conn_push(hc, dir, data, len);
    conn_settle(hc, dir);
}

void http_conn_gap(struct http_conn *hc, enum ps_dir dir, uint64_t len, ps_time_t ts)
{
    if (hc == NULL || hc->stopped || len == 0 || hc->resync[dir])
        return;
    hc->now = ts;
    if (hc->pending[dir].len > 0 || len > SIZE_MAX) {
        conn_restart(hc);
        return;
    }
    size_t used;
    int rc = conn_parse(hc, dir, NULL, (size_t)len, &used);
    if (rc == HTP_STREAM_CLOSED || rc == HTP_STREAM_DATA_OTHER) {
        conn_restart(hc); /* refused: see the top of the file */
        return;
    }
    if (conn_check(hc, rc))
        conn_settle(hc, dir);
}

void http_conn_close(struct http_conn *hc, ps_time_t ts)
{
    if (hc == NULL || hc->stopped)
        return;
    hc->now = ts;
    conn_settle(hc, PS_TOCLIENT);
    if (!hc->stopped) {
        /* Ends close-delimited bodies, which completes their transactions. */
        htp_time_t tv = time_of(ts);
        hc->feeding = PS_TOCLIENT;
        htp_connp_close(hc->connp, &tv);
        conn_release_finished(hc);
        http_log_drain(hc);
    }
    conn_stop(hc, -1);
}

void http_conn_destroy(struct http_conn *hc)
{
    if (hc == NULL)
        return;
    conn_free_libhtp(hc);
    for (int d = 0; d < 2; d++)
        free(hc->pending[d].buf);
    free(hc->finished);
    free(hc);
}

uint64_t http_conn_live_tx(const struct http_conn *hc)
{
    return hc->n_live;
}

uint64_t http_conn_body_cut(const struct http_conn *hc)
{
    return hc->body_cut;
}

/* --- transaction accessors --- */

static struct ps_slice slice_of(bstr *b)
{
    if (b == NULL)
        return (struct ps_slice){NULL, 0};
    return (struct ps_slice){bstr_ptr(b), bstr_len(b)};
}

static struct ps_slice header_value(htp_table_t *headers, const char *name)
{
    htp_header_t *h = headers != NULL ? htp_table_get_c(headers, name) : NULL;
    return h != NULL ? slice_of(h->value) : (struct ps_slice){NULL, 0};
}

/* "text/html; charset=x " -> "text/html", as Suricata logs it. */
static struct ps_slice content_type_cut(struct ps_slice s)
{
    const uint8_t *semi = s.len ? memchr(s.ptr, ';', s.len) : NULL;
    if (semi != NULL)
        s.len = (size_t)(semi - s.ptr);
    while (s.len > 0 && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

uint64_t http_tx_id(const struct http_tx *tx)
{
    return tx->id;
}

struct ps_slice http_tx_field(const struct http_tx *tx, enum http_field f)
{
    const struct ps_slice none = {NULL, 0};
    htp_tx_t *h = tx->htx;
    /* A response without request gets a made-up target from libhtp. */
    bool request_seen = h->request_line != NULL;
    switch (f) {
    case HTTP_F_METHOD:
        return request_seen ? slice_of(h->request_method) : none;
    case HTTP_F_URI_RAW:
        return request_seen ? slice_of(h->request_uri) : none;
    case HTTP_F_URI_NORM:
        return (struct ps_slice){tx->uri_norm, tx->uri_norm_len};
    case HTTP_F_PROTOCOL:
        return h->is_protocol_0_9 ? none : slice_of(h->request_protocol);
    case HTTP_F_HOST:
        return slice_of(h->request_hostname);
    case HTTP_F_USER_AGENT:
        return header_value(h->request_headers, "user-agent");
    case HTTP_F_COOKIE:
        return header_value(h->request_headers, "cookie");
    case HTTP_F_REFERER:
        return header_value(h->request_headers, "referer");
    case HTTP_F_XFF:
        return header_value(h->request_headers, "x-forwarded-for");
    case HTTP_F_REQUEST_CONTENT_TYPE:
        return header_value(h->request_headers, "content-type");
    case HTTP_F_RESPONSE_CONTENT_TYPE:
        return content_type_cut(header_value(h->response_headers, "content-type"));
    case HTTP_F_STATUS_MSG:
        return slice_of(h->response_message);
    case HTTP_F_LOCATION:
        return header_value(h->response_headers, "location");
    case HTTP_F_MAX:
        break;
    }
    return none;
}

void *http_tx_user(const struct http_tx *tx)
{
    return tx->user;
}

void http_tx_set_user(const struct http_tx *tx, void *user)
{
    ((struct http_tx *)tx)->user = user;
}

int http_tx_status(const struct http_tx *tx)
{
    int n = tx->htx->response_status_number;
    return n >= 100 && n <= 999 ? n : -1;
}

uint64_t http_tx_body_len(const struct http_tx *tx, enum ps_dir dir)
{
    return tx->body_seen[dir == PS_TOCLIENT];
}

size_t http_tx_header_count(const struct http_tx *tx, enum ps_dir dir)
{
    htp_table_t *t = dir == PS_TOSERVER ? tx->htx->request_headers : tx->htx->response_headers;
    return t != NULL ? htp_table_size(t) : 0;
}

bool http_tx_header(const struct http_tx *tx, enum ps_dir dir, size_t i, struct ps_slice *name,
                    struct ps_slice *value)
{
    htp_table_t *t = dir == PS_TOSERVER ? tx->htx->request_headers : tx->htx->response_headers;
    htp_header_t *h = t != NULL && i < htp_table_size(t) ? htp_table_get_index(t, i, NULL) : NULL;
    if (h == NULL)
        return false;
    *name = slice_of(h->name);
    *value = slice_of(h->value);
    return true;
}
