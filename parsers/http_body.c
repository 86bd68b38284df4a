/*
 * http_body.c - decoded bodies and anomalies of HTTP transactions.
 *
 * Bodies: libhtp de-chunks and decompresses (gzip, deflate; nested layers up
 * to the configured limit, with its bomb guard) and hands us entity bytes.
 * Each transaction and direction passes at most body_limit bytes on to
 * ops->body; the rest is counted (body length, bytes cut) but not delivered,
 * and the connection keeps parsing, so the next transaction on a keep-alive
 * connection is inspected from its first byte. body_limit 0 means no limit.
 * A hole inside a body reaches us as data NULL: nothing to deliver or count.
 *
 * Anomalies: libhtp 0.5.x logs every problem with code 0, so its messages are
 * mapped by their fixed leading text, in the request or the response
 * flavour by the direction being parsed (log entries carry no transaction
 * either). A few problems are only flags on the transaction; those are
 * read when the request headers are done. Each event is reported once per
 * transaction and each connection reports a bounded number.
 */
#include "http_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(HTTP_EV_MAX <= 64, "one bit per event in http_tx.raised");

static const char *const http_event_names[HTTP_EV_MAX] = {
    [HTTP_EV_UNKNOWN_ERROR] = "UNKNOWN_ERROR",
    [HTTP_EV_GZIP_DECOMPRESSION_FAILED] = "GZIP_DECOMPRESSION_FAILED",
    [HTTP_EV_REQUEST_FIELD_MISSING_COLON] = "REQUEST_FIELD_MISSING_COLON",
    [HTTP_EV_RESPONSE_FIELD_MISSING_COLON] = "RESPONSE_FIELD_MISSING_COLON",
    [HTTP_EV_INVALID_REQUEST_CHUNK_LEN] = "INVALID_REQUEST_CHUNK_LEN",
    [HTTP_EV_INVALID_RESPONSE_CHUNK_LEN] = "INVALID_RESPONSE_CHUNK_LEN",
    [HTTP_EV_INVALID_TE_IN_REQUEST] = "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
    [HTTP_EV_INVALID_TE_IN_RESPONSE] = "INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE",
    [HTTP_EV_INVALID_CL_IN_REQUEST] = "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
    [HTTP_EV_INVALID_CL_IN_RESPONSE] = "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    [HTTP_EV_DUPLICATE_CL_IN_REQUEST] = "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
    [HTTP_EV_DUPLICATE_CL_IN_RESPONSE] = "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    [HTTP_EV_100_CONTINUE_ALREADY_SEEN] = "100_CONTINUE_ALREADY_SEEN",
    [HTTP_EV_UNABLE_TO_MATCH_RESPONSE_TO_REQUEST] = "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
    [HTTP_EV_INVALID_SERVER_PORT_IN_REQUEST] = "INVALID_SERVER_PORT_IN_REQUEST",
    [HTTP_EV_REQUEST_HEADER_INVALID] = "REQUEST_HEADER_INVALID",
    [HTTP_EV_RESPONSE_HEADER_INVALID] = "RESPONSE_HEADER_INVALID",
    [HTTP_EV_MISSING_HOST_HEADER] = "MISSING_HOST_HEADER",
    [HTTP_EV_HOST_HEADER_AMBIGUOUS] = "HOST_HEADER_AMBIGUOUS",
    [HTTP_EV_INVALID_REQUEST_FIELD_FOLDING] = "INVALID_REQUEST_FIELD_FOLDING",
    [HTTP_EV_INVALID_RESPONSE_FIELD_FOLDING] = "INVALID_RESPONSE_FIELD_FOLDING",
    [HTTP_EV_REQUEST_FIELD_TOO_LONG] = "REQUEST_FIELD_TOO_LONG",
    [HTTP_EV_RESPONSE_FIELD_TOO_LONG] = "RESPONSE_FIELD_TOO_LONG",
    [HTTP_EV_REQUEST_LINE_INVALID] = "REQUEST_LINE_INVALID",
    [HTTP_EV_REQUEST_LINE_MISSING_PROTOCOL] = "REQUEST_LINE_MISSING_PROTOCOL",
    [HTTP_EV_REQUEST_BODY_UNEXPECTED] = "REQUEST_BODY_UNEXPECTED",
    [HTTP_EV_RESPONSE_BODY_UNEXPECTED] = "RESPONSE_BODY_UNEXPECTED",
    [HTTP_EV_REQUEST_SERVER_PORT_TCP_PORT_MISMATCH] = "REQUEST_SERVER_PORT_TCP_PORT_MISMATCH",
    [HTTP_EV_REQUEST_URI_HOST_INVALID] = "REQUEST_URI_HOST_INVALID",
    [HTTP_EV_REQUEST_HEADER_HOST_INVALID] = "REQUEST_HEADER_HOST_INVALID",
    [HTTP_EV_REQUEST_HEADER_REPETITION] = "REQUEST_HEADER_REPETITION",
    [HTTP_EV_RESPONSE_HEADER_REPETITION] = "RESPONSE_HEADER_REPETITION",
    [HTTP_EV_REQUEST_TOO_MANY_HEADERS] = "REQUEST_TOO_MANY_HEADERS",
    [HTTP_EV_RESPONSE_TOO_MANY_HEADERS] = "RESPONSE_TOO_MANY_HEADERS",
    [HTTP_EV_URI_DELIM_NON_COMPLIANT] = "URI_DELIM_NON_COMPLIANT",
    [HTTP_EV_METHOD_DELIM_NON_COMPLIANT] = "METHOD_DELIM_NON_COMPLIANT",
    [HTTP_EV_REQUEST_LINE_LEADING_WHITESPACE] = "REQUEST_LINE_LEADING_WHITESPACE",
    [HTTP_EV_REQUEST_LINE_INCOMPLETE] = "REQUEST_LINE_INCOMPLETE",
    [HTTP_EV_TOO_MANY_ENCODING_LAYERS] = "TOO_MANY_ENCODING_LAYERS",
    [HTTP_EV_ABNORMAL_CE_HEADER] = "ABNORMAL_CE_HEADER",
    [HTTP_EV_RESPONSE_MULTIPART_BYTERANGES] = "RESPONSE_MULTIPART_BYTERANGES",
    [HTTP_EV_RESPONSE_ABNORMAL_TRANSFER_ENCODING] = "RESPONSE_ABNORMAL_TRANSFER_ENCODING",
    [HTTP_EV_RESPONSE_CHUNKED_OLD_PROTO] = "RESPONSE_CHUNKED_OLD_PROTO",
    [HTTP_EV_RESPONSE_INVALID_PROTOCOL] = "RESPONSE_INVALID_PROTOCOL",
    [HTTP_EV_RESPONSE_INVALID_STATUS] = "RESPONSE_INVALID_STATUS",
    [HTTP_EV_SWITCHING_PROTO_WITH_CONTENT_LENGTH] = "SWITCHING_PROTO_WITH_CONTENT_LENGTH",
    [HTTP_EV_LZMA_MEMLIMIT_REACHED] = "LZMA_MEMLIMIT_REACHED",
    [HTTP_EV_COMPRESSION_BOMB] = "COMPRESSION_BOMB",
    [HTTP_EV_TOO_MANY_WARNINGS] = "TOO_MANY_WARNINGS",
    [HTTP_EV_INVALID_GAP] = "INVALID_GAP",
    [HTTP_EV_TOO_MANY_TRANSACTIONS] = "TOO_MANY_TRANSACTIONS",
    [HTTP_EV_DATA_OTHER_OVERFLOW] = "DATA_OTHER_OVERFLOW",
};

/* Leading text of a libhtp message -> event while parsing requests, and
 * while parsing responses. More specific texts come first. HTTP_EV_MAX:
 * not an anomaly of the traffic (parser state, or handled by http.c). */
struct http_msg_map {
    const char *prefix;
    uint8_t ts, tc;
};

#define SAME(ev) ev, ev
static const struct http_msg_map http_msg_map[] = {
    {"GZip decompressor", SAME(HTTP_EV_GZIP_DECOMPRESSION_FAILED)},
    {"LZMA decompressor: memory limit", SAME(HTTP_EV_LZMA_MEMLIMIT_REACHED)},
    {"LZMA decompression disabled", SAME(HTTP_EV_ABNORMAL_CE_HEADER)},
    {"Compression bomb", SAME(HTTP_EV_COMPRESSION_BOMB)},
    {"Too many response content encoding layers", SAME(HTTP_EV_TOO_MANY_ENCODING_LAYERS)},
    {"C-E ", SAME(HTTP_EV_ABNORMAL_CE_HEADER)},
    {"Request field invalid: colon missing", SAME(HTTP_EV_REQUEST_FIELD_MISSING_COLON)},
    {"Response field invalid: missing colon", SAME(HTTP_EV_RESPONSE_FIELD_MISSING_COLON)},
    {"Request field invalid", SAME(HTTP_EV_REQUEST_HEADER_INVALID)},
    {"Response field invalid", SAME(HTTP_EV_RESPONSE_HEADER_INVALID)},
    {"Request header name is not a token", SAME(HTTP_EV_REQUEST_HEADER_INVALID)},
    {"Response header name is not a token", SAME(HTTP_EV_RESPONSE_HEADER_INVALID)},
    {"Response header value contains null", SAME(HTTP_EV_RESPONSE_HEADER_INVALID)},
    {"Request chunk encoding: Invalid chunk length", SAME(HTTP_EV_INVALID_REQUEST_CHUNK_LEN)},
    {"Response chunk encoding: Invalid chunk length", SAME(HTTP_EV_INVALID_RESPONSE_CHUNK_LEN)},
    {"Invalid T-E value in request", SAME(HTTP_EV_INVALID_TE_IN_REQUEST)},
    {"Invalid T-E value in response", SAME(HTTP_EV_INVALID_TE_IN_RESPONSE)},
    {"Invalid C-L field in request", SAME(HTTP_EV_INVALID_CL_IN_REQUEST)},
    {"Invalid C-L field in response", SAME(HTTP_EV_INVALID_CL_IN_RESPONSE)},
    {"C-L value with extra data", HTTP_EV_INVALID_CL_IN_REQUEST, HTTP_EV_INVALID_CL_IN_RESPONSE},
    {"Ambiguous request C-L value", SAME(HTTP_EV_DUPLICATE_CL_IN_REQUEST)},
    {"Ambiguous response C-L value", SAME(HTTP_EV_DUPLICATE_CL_IN_RESPONSE)},
    {"Already seen 100-Continue", SAME(HTTP_EV_100_CONTINUE_ALREADY_SEEN)},
    {"Unable to match response to request", SAME(HTTP_EV_UNABLE_TO_MATCH_RESPONSE_TO_REQUEST)},
    {"Invalid server port information in request", SAME(HTTP_EV_INVALID_SERVER_PORT_IN_REQUEST)},
    {"Request server port=", SAME(HTTP_EV_REQUEST_SERVER_PORT_TCP_PORT_MISMATCH)},
    {"Request buffer over", SAME(HTTP_EV_REQUEST_FIELD_TOO_LONG)},
    {"Request field length exceeds", SAME(HTTP_EV_REQUEST_FIELD_TOO_LONG)},
    {"Response buffer over", SAME(HTTP_EV_RESPONSE_FIELD_TOO_LONG)},
    {"Response the buffer limit", SAME(HTTP_EV_RESPONSE_FIELD_TOO_LONG)},
    {"Response field length exceeds", SAME(HTTP_EV_RESPONSE_FIELD_TOO_LONG)},
    {"Invalid request field folding", SAME(HTTP_EV_INVALID_REQUEST_FIELD_FOLDING)},
    {"Invalid response field folding", SAME(HTTP_EV_INVALID_RESPONSE_FIELD_FOLDING)},
    {"Request line: leading whitespace", SAME(HTTP_EV_REQUEST_LINE_LEADING_WHITESPACE)},
    {"Request line: non-compliant delimiter", SAME(HTTP_EV_METHOD_DELIM_NON_COMPLIANT)},
    {"Request line: URI contains non-compliant", SAME(HTTP_EV_URI_DELIM_NON_COMPLIANT)},
    {"Request line: missing protocol", SAME(HTTP_EV_REQUEST_LINE_MISSING_PROTOCOL)},
    {"Request line: unknown method", SAME(HTTP_EV_REQUEST_LINE_INVALID)},
    {"Request line incomplete", SAME(HTTP_EV_REQUEST_LINE_INCOMPLETE)},
    {"Repetition for header", HTTP_EV_REQUEST_HEADER_REPETITION,
     HTTP_EV_RESPONSE_HEADER_REPETITION},
    {"Excessive request header repetitions", SAME(HTTP_EV_REQUEST_HEADER_REPETITION)},
    {"Excessive response header repetitions", SAME(HTTP_EV_RESPONSE_HEADER_REPETITION)},
    {"Too many request headers", SAME(HTTP_EV_REQUEST_TOO_MANY_HEADERS)},
    {"Too many response headers", SAME(HTTP_EV_RESPONSE_TOO_MANY_HEADERS)},
    {"Unexpected request body", SAME(HTTP_EV_REQUEST_BODY_UNEXPECTED)},
    {"Unexpected response body", SAME(HTTP_EV_RESPONSE_BODY_UNEXPECTED)},
    {"Unexpected Response body", SAME(HTTP_EV_RESPONSE_BODY_UNEXPECTED)},
    {"Transfer-encoding has abnormal chunked", SAME(HTTP_EV_RESPONSE_ABNORMAL_TRANSFER_ENCODING)},
    {"Chunked transfer-encoding on HTTP/0.9", SAME(HTTP_EV_RESPONSE_CHUNKED_OLD_PROTO)},
    {"Invalid response line: invalid protocol", SAME(HTTP_EV_RESPONSE_INVALID_PROTOCOL)},
    {"Invalid response line: invalid response status", SAME(HTTP_EV_RESPONSE_INVALID_STATUS)},
    {"C-T multipart/byteranges", SAME(HTTP_EV_RESPONSE_MULTIPART_BYTERANGES)},
    {"Switching Protocol with Content-Length", SAME(HTTP_EV_SWITCHING_PROTO_WITH_CONTENT_LENGTH)},
    /* raised by http.c when it stops the connection */
    {"Gaps are not allowed", SAME(HTTP_EV_MAX)},
    /* a parser that already stopped, or a request left open at close */
    {"Missing inbound transaction data", SAME(HTTP_EV_MAX)},
    {"Missing outbound transaction data", SAME(HTTP_EV_MAX)},
    {"Inbound parser is in", SAME(HTTP_EV_MAX)},
    {"Outbound parser is in", SAME(HTTP_EV_MAX)},
    {"Zero-length data chunks", SAME(HTTP_EV_MAX)},
};
#undef SAME

const char *http_event_name(enum http_event ev)
{
    return ev < HTTP_EV_MAX ? http_event_names[ev] : http_event_names[HTTP_EV_UNKNOWN_ERROR];
}

static enum http_event event_of_message(const char *msg, enum ps_dir dir)
{
    for (size_t i = 0; msg != NULL && i < PS_ARRAY_LEN(http_msg_map); i++) {
        const struct http_msg_map *m = &http_msg_map[i];
        if (strncmp(msg, m->prefix, strlen(m->prefix)) == 0)
            return (enum http_event)(dir == PS_TOSERVER ? m->ts : m->tc);
    }
    return HTTP_EV_UNKNOWN_ERROR;
}

void http_event_raise(struct http_conn *hc, struct http_tx *tx, enum http_event ev)
{
    hc->stop_explained = true;
    if (tx != NULL) {
        uint64_t bit = 1ULL << ev;
        if (tx->raised & bit)
            return;
        tx->raised |= bit;
    }
    if (hc->n_events > HTTP_EVENTS_MAX)
        return;
    if (hc->n_events++ == HTTP_EVENTS_MAX) {
        ev = HTTP_EV_TOO_MANY_WARNINGS;
        tx = NULL;
    }
    if (hc->ops.event != NULL)
        hc->ops.event(hc->ops.ctx, tx, http_event_name(ev), hc->now);
}

static int http_on_log(htp_log_t *log)
{
    if (log->level > HTP_LOG_WARNING || log->connp == NULL)
        return HTP_OK;
    struct http_conn *hc = htp_connp_get_user_data(log->connp);
    if (hc == NULL)
        return HTP_OK;
    if (log->level == HTP_LOG_ERROR)
        hc->stop_explained = true;
    enum http_event ev = event_of_message(log->msg, hc->feeding);
    if (ev == HTTP_EV_MAX)
        return HTP_OK;
    /* The transaction being parsed in that direction, else the other one's
     * (at close both directions are finished at once). */
    htp_tx_t *in = htp_connp_get_in_tx(log->connp), *out = htp_connp_get_out_tx(log->connp);
    htp_tx_t *htx = log->tx;
    if (htx == NULL)
        htx = hc->feeding == PS_TOSERVER ? (in != NULL ? in : out) : (out != NULL ? out : in);
    http_event_raise(hc, htx != NULL ? http_tx_get(hc, htx) : NULL, ev);
    return HTP_OK;
}

/* libhtp keeps every log message on the connection until it is destroyed;
 * the log hook has already turned them into events, so drop them now. */
void http_log_drain(struct http_conn *hc)
{
    htp_list_t *msgs = hc->conn->messages;
    size_t n = htp_list_size(msgs);
    if (n == 0)
        return;
    htp_connp_clear_error(hc->connp); /* it points into the list */
    for (size_t i = 0; i < n; i++) {
        htp_log_t *log = htp_list_get(msgs, i);
        if (log != NULL) {
            free((char *)log->msg);
            free(log);
        }
    }
    htp_list_clear(msgs);
}

/* Problems libhtp records as transaction flags rather than messages. */
static int http_on_request_headers(htp_tx_t *htx)
{
    static const struct {
        uint64_t flag;
        enum http_event ev;
    } flags[] = {
        {HTP_REQUEST_INVALID_T_E, HTTP_EV_INVALID_TE_IN_REQUEST},
        {HTP_REQUEST_INVALID_C_L, HTTP_EV_INVALID_CL_IN_REQUEST},
        {HTP_HOST_MISSING, HTTP_EV_MISSING_HOST_HEADER},
        {HTP_HOST_AMBIGUOUS, HTTP_EV_HOST_HEADER_AMBIGUOUS},
        {HTP_HOSTU_INVALID, HTTP_EV_REQUEST_URI_HOST_INVALID},
        {HTP_HOSTH_INVALID, HTTP_EV_REQUEST_HEADER_HOST_INVALID},
    };
    struct http_conn *hc = htp_connp_get_user_data(htx->connp);
    struct http_tx *tx = http_tx_get(hc, htx);
    if (tx == NULL)
        return HTP_OK;
    for (size_t i = 0; i < PS_ARRAY_LEN(flags); i++)
        if (htx->flags & flags[i].flag)
            http_event_raise(hc, tx, flags[i].ev);
    return HTP_OK;
}

static void body_take(struct http_tx *tx, enum ps_dir dir, const uint8_t *data, size_t len)
{
    struct http_conn *hc = tx->hc;
    uint64_t limit = hc->hs->conf.body_limit;
    uint64_t room = limit == 0 ? len : limit - PS_MIN(limit, tx->body_given[dir]);
    size_t give = (size_t)PS_MIN((uint64_t)len, room);
    tx->body_seen[dir] += len;
    tx->body_given[dir] += give;
    hc->body_cut += len - give;
    if (give > 0 && hc->ops.body != NULL)
        hc->ops.body(hc->ops.ctx, tx, dir, data, give);
}

/* A compressed body that has inflated past the decompression limit. libhtp's
 * own guard also wants a 2048:1 ratio, which one deflate layer never reaches
 * (its best is about 1030:1), and a time budget, which would make the
 * output depend on the machine; this one counts bytes only. */
static bool body_is_bomb(const struct http_tx *tx, const htp_tx_t *htx, enum ps_dir dir)
{
    uint64_t limit = tx->hc->hs->conf.decompress_bomb_limit;
    enum htp_content_encoding_t enc = dir == PS_TOSERVER
                                          ? htx->request_content_encoding
                                          : htx->response_content_encoding_processing;
    return limit > 0 && enc >= HTP_COMPRESSION_GZIP && tx->body_seen[dir] > limit;
}

static int http_on_body(htp_tx_data_t *d, enum ps_dir dir)
{
    /* data NULL: a hole (len > 0) or the end-of-body marker (len 0) */
    if (d->data == NULL || d->len == 0)
        return HTP_OK;
    struct http_tx *tx = http_tx_get(htp_connp_get_user_data(d->tx->connp), d->tx);
    if (tx == NULL)
        return HTP_OK;
    /* An error ends the decompressor's zlib stream (libhtp 0.5.42 ignores
     * the status otherwise and keeps parsing): the rest of the body is
     * neither inflated nor taken. */
    if (tx->bomb[dir])
        return HTP_ERROR;
    body_take(tx, dir, d->data, d->len);
    if (body_is_bomb(tx, d->tx, dir)) {
        tx->bomb[dir] = true;
        http_event_raise(tx->hc, tx, HTTP_EV_COMPRESSION_BOMB);
        return HTP_ERROR;
    }
    return HTP_OK;
}

static int http_on_request_body(htp_tx_data_t *d)
{
    return http_on_body(d, PS_TOSERVER);
}

static int http_on_response_body(htp_tx_data_t *d)
{
    return http_on_body(d, PS_TOCLIENT);
}

/* Header lines are what libhtp keeps of a transaction until it is released
 * (up to its field limit, 18000 bytes, times its header count limit, 1024,
 * per transaction and direction): charged to the worker's memcap. Past it
 * the connection stops, without an anomaly (Suricata has no name for it),
 * counted in stats.http.memcap. What one libhtp call parses after that is
 * not charged; it is freed when the connection stops. */
static int http_on_header_data(htp_tx_data_t *d)
{
    struct http_conn *hc = htp_connp_get_user_data(d->tx->connp);
    struct http_tx *tx = http_tx_get(hc, d->tx);
    if (tx == NULL || d->data == NULL)
        return HTP_OK;
    struct http_mem_stats *m = &hc->hs->mem;
    uint64_t cap = hc->hs->conf.memcap;
    if (hc->over_memcap || (cap > 0 && m->memuse + d->len > cap)) {
        /* libhtp 0.5.42 ignores the status of this hook: the connection is
         * stopped when the libhtp call returns */
        m->memcap_hits += !hc->over_memcap;
        hc->over_memcap = true;
        return HTP_ERROR;
    }
    m->memuse += d->len;
    tx->held += d->len;
    return HTP_OK;
}

void http_body_configure(htp_cfg_t *cfg, const struct http_config *conf)
{
    htp_config_set_request_decompression(cfg, 1);
    htp_config_set_response_decompression(cfg, 1);
    /* 0 in our config keeps libhtp's default: to libhtp, 0 layers means no limit */
    if (conf->decompress_layer_limit > 0)
        htp_config_set_response_decompression_layer_limit(
            cfg, (int)PS_MIN(conf->decompress_layer_limit, (uint32_t)INT_MAX));
    /* libhtp calls a body a bomb past this many bytes *and* a 2048:1 ratio;
     * http_on_body() enforces the byte count alone */
    if (conf->decompress_bomb_limit > 0)
        htp_config_set_compression_bomb_limit(
            cfg, (size_t)PS_MIN(conf->decompress_bomb_limit, (uint64_t)SIZE_MAX));
    /* libhtp's time budget (100 ms by default) made the events of a capture
     * depend on the machine; the byte limit bounds the work instead, and
     * the budget is raised to the most libhtp takes (1 s) */
    htp_config_set_compression_time_limit(cfg, HTTP_DECOMPRESS_TIME_MAX);
    /* LZMA is no browser encoding, and its decoder is the memory-hungry one */
    htp_config_set_lzma_layers(cfg, 0);
    htp_config_register_log(cfg, http_on_log);
    htp_config_register_request_headers(cfg, http_on_request_headers);
    htp_config_register_request_header_data(cfg, http_on_header_data);
    htp_config_register_response_header_data(cfg, http_on_header_data);
    htp_config_register_request_body_data(cfg, http_on_request_body);
    htp_config_register_response_body_data(cfg, http_on_response_body);
}
