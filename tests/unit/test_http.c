/*
 * test_http.c - the HTTP stage over libhtp: hand-written byte streams in,
 * transactions, bodies and anomaly events out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http.h"
#include "http_int.h"

/* --- what the callbacks saw --- */

struct seen_tx {
    int done;                /* tx_done calls for this id */
    char *f[HTTP_F_MAX];     /* field copies, NUL-terminated */
    int status;
    uint64_t body_len[2];
    char *headers[2];        /* "name=value;" in order */
    size_t nheaders[2];
    uint8_t *body[2];        /* bytes given to ops->body */
    size_t body_got[2];
};

struct seen {
    struct seen_tx *tx;
    size_t cap;
    size_t n_done;
    uint64_t last_done_id;
    bool copy_fields;        /* off for the big pipelining test */
    char events[64][64];
    int64_t event_tx[64];
    size_t n_events;
    char last_event[64];
};

static struct seen_tx *seen_at(struct seen *s, uint64_t id)
{
    if (id >= s->cap) {
        size_t cap = s->cap ? s->cap : 8;
        while (cap <= id)
            cap *= 2;
        s->tx = realloc(s->tx, cap * sizeof(*s->tx));
        cr_assert_not_null(s->tx);
        memset(s->tx + s->cap, 0, (cap - s->cap) * sizeof(*s->tx));
        s->cap = cap;
    }
    return &s->tx[id];
}

static char *dup_slice(struct ps_slice sl)
{
    char *p = malloc(sl.len + 1);
    if (sl.len)
        memcpy(p, sl.ptr, sl.len);
    p[sl.len] = 0;
    return p;
}

static void on_body(void *ctx, const struct http_tx *tx, enum ps_dir dir, const uint8_t *data,
                    size_t len)
{
    struct seen_tx *t = seen_at(ctx, http_tx_id(tx));
    t->body[dir] = realloc(t->body[dir], t->body_got[dir] + len + 1);
    memcpy(t->body[dir] + t->body_got[dir], data, len);
    t->body_got[dir] += len;
    t->body[dir][t->body_got[dir]] = 0;
}

static void copy_headers(struct seen_tx *t, const struct http_tx *tx, enum ps_dir dir)
{
    size_t n = http_tx_header_count(tx, dir), used = 0;
    t->headers[dir] = calloc(1, 1);
    for (size_t i = 0; i < n; i++) {
        struct ps_slice name, value;
        cr_assert(http_tx_header(tx, dir, i, &name, &value));
        t->headers[dir] = realloc(t->headers[dir], used + name.len + value.len + 3);
        used += (size_t)sprintf(t->headers[dir] + used, "%.*s=%.*s;", (int)name.len,
                                (const char *)name.ptr, (int)value.len, (const char *)value.ptr);
    }
    t->nheaders[dir] = n;
}

static void on_done(void *ctx, const struct http_tx *tx, ps_time_t ts)
{
    struct seen *s = ctx;
    struct seen_tx *t = seen_at(s, http_tx_id(tx));
    t->done++;
    s->n_done++;
    s->last_done_id = http_tx_id(tx);
    if (!s->copy_fields)
        return;
    for (int f = 0; f < HTTP_F_MAX; f++) {
        free(t->f[f]);
        t->f[f] = dup_slice(http_tx_field(tx, (enum http_field)f));
    }
    t->status = http_tx_status(tx);
    t->body_len[0] = http_tx_body_len(tx, PS_TOSERVER);
    t->body_len[1] = http_tx_body_len(tx, PS_TOCLIENT);
    copy_headers(t, tx, PS_TOSERVER);
    copy_headers(t, tx, PS_TOCLIENT);
}

static void on_event(void *ctx, const struct http_tx *tx, const char *event, ps_time_t ts)
{
    struct seen *s = ctx;
    if (s->n_events < 64) {
        snprintf(s->events[s->n_events], sizeof(s->events[0]), "%s", event);
        s->event_tx[s->n_events] = tx != NULL ? (int64_t)http_tx_id(tx) : -1;
    }
    s->n_events++;
    snprintf(s->last_event, sizeof(s->last_event), "%s", event);
}

static bool saw_event(const struct seen *s, const char *name)
{
    for (size_t i = 0; i < s->n_events && i < 64; i++)
        if (strcmp(s->events[i], name) == 0)
            return true;
    return false;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        for (int f = 0; f < HTTP_F_MAX; f++)
            free(s->tx[i].f[f]);
        for (int d = 0; d < 2; d++) {
            free(s->tx[i].headers[d]);
            free(s->tx[i].body[d]);
        }
    }
    free(s->tx);
    memset(s, 0, sizeof(*s));
}

/* --- one connection under test --- */

struct rig {
    struct http_shared *hs;
    struct http_conn *hc;
    struct http_ops ops;
    struct seen s;
};

static void rig_open_cfg(struct rig *r, const struct http_config *cfg)
{
    memset(r, 0, sizeof(*r));
    r->s.copy_fields = true;
    r->hs = http_shared_create(cfg);
    cr_assert_not_null(r->hs);
    r->ops = (struct http_ops){.body = on_body, .tx_done = on_done, .event = on_event,
                               .ctx = &r->s};
    r->hc = http_conn_create(r->hs, &r->ops, PS_SECONDS(1000));
    cr_assert_not_null(r->hc);
}

static void rig_open(struct rig *r)
{
    struct http_config cfg = {.body_limit = 1 << 20, .decompress_layer_limit = 2,
                              .decompress_bomb_limit = 1 << 20};
    rig_open_cfg(r, &cfg);
}

static void rig_close(struct rig *r)
{
    http_conn_close(r->hc, PS_SECONDS(2000));
}

static void rig_free(struct rig *r)
{
    http_conn_destroy(r->hc);
    http_shared_destroy(r->hs);
    seen_free(&r->s);
}

static void send_n(struct rig *r, enum ps_dir dir, const void *data, size_t len)
{
    http_conn_feed(r->hc, dir, data, len, PS_SECONDS(1500));
}

static void send_s(struct rig *r, enum ps_dir dir, const char *text)
{
    send_n(r, dir, text, strlen(text));
}

static const char *field(struct rig *r, uint64_t id, enum http_field f)
{
    struct seen_tx *t = seen_at(&r->s, id);
    cr_assert_eq(t->done, 1, "tx %llu reported %d times", (unsigned long long)id, t->done);
    return t->f[f];
}

/* --- compressed bodies, made here with zlib --- */

static size_t compress_with(int window_bits, const char *text, uint8_t *out, size_t cap)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static size_t response_with_body(char *out, size_t cap, const char *encoding, const uint8_t *body,
                                 size_t len)
{
    int n = snprintf(out, cap,
                     "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                     encoding, len);
    cr_assert(n > 0 && (size_t)n + len <= cap);
    memcpy(out + n, body, len);
    return (size_t)n + len;
}

/* ===================================================================== */

Test(http, get_with_content_length_reports_fields_and_body)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER,
           "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.0\r\n"
           "Cookie: sid=abc\r\nReferer: http://ref.example/\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n");
    send_s(&r, PS_TOCLIENT,
           "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n"
           "\r\nhello");
    cr_assert_eq(r.s.n_done, 1, "reported when the response completes, before close");
    cr_assert_str_eq(field(&r, 0, HTTP_F_METHOD), "GET");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "/index.html?q=1");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_NORM), "/index.html?q=1");
    cr_assert_str_eq(field(&r, 0, HTTP_F_PROTOCOL), "HTTP/1.1");
    cr_assert_str_eq(field(&r, 0, HTTP_F_HOST), "www.example.com");
    cr_assert_str_eq(field(&r, 0, HTTP_F_USER_AGENT), "curl/8.0");
    cr_assert_str_eq(field(&r, 0, HTTP_F_COOKIE), "sid=abc");
    cr_assert_str_eq(field(&r, 0, HTTP_F_REFERER), "http://ref.example/");
    cr_assert_str_eq(field(&r, 0, HTTP_F_XFF), "10.0.0.9");
    cr_assert_str_eq(field(&r, 0, HTTP_F_RESPONSE_CONTENT_TYPE), "text/html");
    cr_assert_str_eq(field(&r, 0, HTTP_F_STATUS_MSG), "OK");
    cr_assert_str_eq(field(&r, 0, HTTP_F_LOCATION), "");
    cr_assert_eq(r.s.tx[0].status, 200);
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], 5);
    cr_assert_eq(r.s.tx[0].body_got[PS_TOCLIENT], 5);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "hello");
    cr_assert_eq(r.s.n_events, 0);
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1, "close reports nothing twice");
    cr_assert_eq(http_conn_live_tx(r.hc), 0);
    rig_free(&r);
}

Test(http, keep_alive_connection_reports_three_transactions_in_order)
{
    struct rig r;
    rig_open(&r);
    const char *paths[] = {"/one", "/two", "/three"};
    for (int i = 0; i < 3; i++) {
        char req[128], res[128];
        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", paths[i]);
        snprintf(res, sizeof(res), "HTTP/1.1 20%d OK\r\nContent-Length: 2\r\n\r\nr%d", i, i);
        send_s(&r, PS_TOSERVER, req);
        send_s(&r, PS_TOCLIENT, res);
        cr_assert_eq(r.s.n_done, (size_t)i + 1);
        cr_assert_eq(r.s.last_done_id, (uint64_t)i, "tx_id is the index on the connection");
        cr_assert_eq(http_conn_live_tx(r.hc), 0, "a completed transaction is released");
    }
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(field(&r, (uint64_t)i, HTTP_F_URI_RAW), paths[i]);
        cr_assert_eq(r.s.tx[i].status, 200 + i);
        cr_assert_eq(r.s.tx[i].body[PS_TOCLIENT][1], '0' + i);
    }
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 3);
    rig_free(&r);
}

Test(http, pipelined_requests_pair_with_responses_in_order)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER,
           "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
           "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz");
    cr_assert_eq(r.s.n_done, 0, "nothing is complete before its response");
    send_s(&r, PS_TOCLIENT,
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
           "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nB"
           "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nC");
    cr_assert_eq(r.s.n_done, 3);
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "/a");
    cr_assert_str_eq(field(&r, 1, HTTP_F_URI_RAW), "/b");
    cr_assert_str_eq(field(&r, 2, HTTP_F_METHOD), "POST");
    cr_assert_eq(r.s.tx[0].status, 200);
    cr_assert_eq(r.s.tx[1].status, 404);
    cr_assert_str_eq(field(&r, 1, HTTP_F_STATUS_MSG), "Not Found");
    cr_assert_eq(r.s.tx[2].status, 201);
    cr_assert_str_eq((char *)r.s.tx[1].body[PS_TOCLIENT], "B");
    cr_assert_str_eq((char *)r.s.tx[2].body[PS_TOSERVER], "xyz", "request body goes to server dir");
    cr_assert_eq(r.s.tx[2].body_len[PS_TOSERVER], 3);
    rig_close(&r);
    rig_free(&r);
}

static const char chunked_req[] = "GET /feed.ics HTTP/1.1\r\nHost: cal.example\r\n\r\n";
static const char chunked_res[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nTransfer-Encoding: chunked\r\n\r\n"
    "F\r\nBEGIN:VCALENDAR\r\n"
    "3;ext=1\r\n\r\nX\r\n"
    "14\r\nDESCRIPTION:pin 1234\r\n"
    "0\r\nTrailer: t\r\n\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n";
static const char chunked_body[] = "BEGIN:VCALENDAR\r\nXDESCRIPTION:pin 1234";

Test(http, chunked_response_body_is_dechunked_exactly)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, chunked_req);
    send_s(&r, PS_TOSERVER, "GET /next HTTP/1.1\r\nHost: cal.example\r\n\r\n");
    send_s(&r, PS_TOCLIENT, chunked_res);
    cr_assert_eq(r.s.n_done, 2);
    cr_assert_eq(r.s.tx[0].body_got[PS_TOCLIENT], strlen(chunked_body));
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], chunked_body);
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], strlen(chunked_body));
    cr_assert_str_eq(field(&r, 0, HTTP_F_RESPONSE_CONTENT_TYPE), "text/calendar");
    cr_assert_eq(r.s.tx[1].status, 204);
    cr_assert_eq(r.s.tx[1].body_got[PS_TOCLIENT], 0);
    rig_close(&r);
    rig_free(&r);
}

/* Everything a run produced, as one comparable string. */
static char *summary(struct rig *r)
{
    size_t cap = 4096, used = 0;
    char *out = malloc(cap);
    out[0] = 0;
    for (size_t i = 0; i < r->s.cap; i++) {
        struct seen_tx *t = &r->s.tx[i];
        if (t->done == 0)
            continue;
        char line[2048];
        int n = snprintf(line, sizeof(line), "#%zu done=%d st=%d %s %s %s %s %s ct=%s len=%llu "
                         "h=%s|%s body=%s\n", i, t->done, t->status, t->f[HTTP_F_METHOD],
                         t->f[HTTP_F_URI_RAW], t->f[HTTP_F_URI_NORM], t->f[HTTP_F_PROTOCOL],
                         t->f[HTTP_F_HOST], t->f[HTTP_F_RESPONSE_CONTENT_TYPE],
                         (unsigned long long)t->body_len[1], t->headers[0], t->headers[1],
                         t->body[1] ? (char *)t->body[1] : "");
        while (used + (size_t)n + 1 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + used, line, (size_t)n + 1);
        used += (size_t)n;
    }
    for (size_t i = 0; i < r->s.n_events && i < 64; i++) {
        while (used + 80 > cap)
            out = realloc(out, cap *= 2);
        used += (size_t)sprintf(out + used, "event %s tx=%lld\n", r->s.events[i],
                                (long long)r->s.event_tx[i]);
    }
    return out;
}

/* Request whole; response in two pieces cut at `cut` (0: one byte at a time). */
static char *run_split(const char *req, const uint8_t *res, size_t res_len, size_t cut)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, req);
    if (cut == 0) {
        for (size_t i = 0; i < res_len; i++)
            send_n(&r, PS_TOCLIENT, res + i, 1);
    } else {
        send_n(&r, PS_TOCLIENT, res, cut);
        send_n(&r, PS_TOCLIENT, res + cut, res_len - cut);
    }
    rig_close(&r);
    char *s = summary(&r);
    rig_free(&r);
    return s;
}

static void check_split_equivalence(const char *req, const uint8_t *res, size_t len)
{
    char *whole = run_split(req, res, len, len);
    cr_assert(strstr(whole, "done=1") != NULL, "the whole run reports: %s", whole);
    for (size_t cut = 0; cut < len; cut++) {
        char *split = run_split(req, res, len, cut);
        cr_assert_str_eq(split, whole, "response cut at %zu differs", cut);
        free(split);
    }
    free(whole);
}

Test(http, chunked_response_split_at_every_byte_gives_same_result)
{
    char req[256];
    snprintf(req, sizeof(req), "%sGET /next HTTP/1.1\r\nHost: cal.example\r\n\r\n", chunked_req);
    check_split_equivalence(req, (const uint8_t *)chunked_res, strlen(chunked_res));
}

Test(http, request_split_at_every_byte_gives_same_fields)
{
    const char *req = "POST /up%41/./x//y?k=v HTTP/1.1\r\nHost: Up.Example:8080\r\n"
                      "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nbody\r\n0\r\n\r\n";
    const char *res = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    char *whole = NULL;
    size_t len = strlen(req);
    for (size_t cut = 0; cut <= len; cut++) {
        struct rig r;
        rig_open(&r);
        if (cut == 0) {
            for (size_t i = 0; i < len; i++)
                send_n(&r, PS_TOSERVER, req + i, 1);
        } else {
            send_n(&r, PS_TOSERVER, req, cut);
            send_n(&r, PS_TOSERVER, req + cut, len - cut);
        }
        send_s(&r, PS_TOCLIENT, res);
        cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOSERVER], "body", "cut at %zu", cut);
        rig_close(&r);
        char *s = summary(&r);
        rig_free(&r);
        if (whole == NULL) {
            whole = s;
            continue;
        }
        cr_assert_str_eq(s, whole, "request cut at %zu differs", cut);
        free(s);
    }
    cr_assert(strstr(whole, "POST /up%41/./x//y?k=v /upA/x/y?k=v HTTP/1.1 Up.Example") != NULL,
              "%s", whole);
    free(whole);
}

Test(http, gzip_response_body_is_decompressed)
{
    const char *text = "BEGIN:VCALENDAR\r\nDESCRIPTION:Meeting ID 123 456 789, passcode 4242\r\n"
                       "END:VCALENDAR\r\n";
    uint8_t gz[512];
    size_t gzlen = compress_with(16 + 15, text, gz, sizeof(gz));
    char res[1024];
    size_t reslen = response_with_body(res, sizeof(res), "gzip", gz, gzlen);
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /cal.ics HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
    send_n(&r, PS_TOCLIENT, res, reslen);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], text);
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], strlen(text), "decoded length, not wire length");
    cr_assert_eq(r.s.n_events, 0);
    rig_close(&r);
    rig_free(&r);
}

Test(http, gzip_response_split_at_every_byte_gives_same_result)
{
    uint8_t gz[256];
    size_t gzlen = compress_with(16 + 15, "token=s3cr3t-s3cr3t-s3cr3t", gz, sizeof(gz));
    uint8_t res[1024];
    size_t reslen = response_with_body((char *)res, sizeof(res), "gzip", gz, gzlen);
    check_split_equivalence("GET /z HTTP/1.1\r\nHost: h\r\n\r\n", res, reslen);
}

Test(http, deflate_response_body_is_decompressed_zlib_and_raw)
{
    const char *text = "https://example.com/reset?token=abcdefabcdefabcdef";
    for (int pass = 0; pass < 2; pass++) {
        uint8_t df[256];
        size_t dflen = compress_with(pass == 0 ? 15 : -15, text, df, sizeof(df));
        char res[1024];
        size_t reslen = response_with_body(res, sizeof(res), "deflate", df, dflen);
        struct rig r;
        rig_open(&r);
        send_s(&r, PS_TOSERVER, "GET /d HTTP/1.1\r\nHost: h\r\n\r\n");
        send_n(&r, PS_TOCLIENT, res, reslen);
        cr_assert_eq(r.s.n_done, 1);
        cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], text, "pass %d", pass);
        rig_close(&r);
        rig_free(&r);
    }
}

Test(http, gzip_request_body_is_decompressed)
{
    const char *text = "password=hunter2";
    uint8_t gz[256];
    size_t gzlen = compress_with(16 + 15, text, gz, sizeof(gz));
    char req[512];
    int n = snprintf(req, sizeof(req), "POST /login HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip"
                     "\r\nContent-Length: %zu\r\n\r\n", gzlen);
    memcpy(req + n, gz, gzlen);
    struct rig r;
    rig_open(&r);
    send_n(&r, PS_TOSERVER, req, (size_t)n + gzlen);
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n");
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOSERVER], text);
    cr_assert_str_eq(field(&r, 0, HTTP_F_LOCATION), "/home");
    rig_close(&r);
    rig_free(&r);
}

Test(http, head_response_has_no_body_despite_content_length)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nGET /small HTTP/1.1\r\nHost: h"
                            "\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    cr_assert_eq(r.s.n_done, 2, "the second response is not swallowed as a HEAD body");
    cr_assert_str_eq(field(&r, 0, HTTP_F_METHOD), "HEAD");
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], 0);
    cr_assert_null(r.s.tx[0].body[PS_TOCLIENT]);
    cr_assert_str_eq((char *)r.s.tx[1].body[PS_TOCLIENT], "hi");
    rig_close(&r);
    rig_free(&r);
}

Test(http, expect_100_continue_keeps_one_transaction_with_final_status)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "PUT /file HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                            "Content-Length: 4\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 100 Continue\r\n\r\n");
    cr_assert_eq(r.s.n_done, 0, "an interim response completes nothing");
    send_s(&r, PS_TOSERVER, "DATA");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].status, 201);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOSERVER], "DATA");
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "ok");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    rig_free(&r);
}

Test(http, close_delimited_response_body_is_reported_at_close)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /stream HTTP/1.0\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ");
    send_s(&r, PS_TOCLIENT, "part two");
    cr_assert_eq(r.s.n_done, 0, "the body ends only with the connection");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "part one, part two");
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], 18);
    cr_assert_str_eq(field(&r, 0, HTTP_F_PROTOCOL), "HTTP/1.0");
    rig_free(&r);
}

Test(http, redirect_301_exposes_location_and_status)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /owa/calendar/abc123/reachcalendar.ics HTTP/1.1\r\n"
                            "Host: outlook.example.com\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 301 Moved Permanently\r\nLocation: https://outlook.example"
                            ".com/owa/calendar/abc123/reachcalendar.ics\r\nContent-Length: 0\r\n\r\n");
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].status, 301);
    cr_assert_str_eq(field(&r, 0, HTTP_F_STATUS_MSG), "Moved Permanently");
    cr_assert_str_eq(field(&r, 0, HTTP_F_LOCATION),
                     "https://outlook.example.com/owa/calendar/abc123/reachcalendar.ics");
    rig_close(&r);
    rig_free(&r);
}

Test(http, body_limit_cuts_delivery_counts_full_length_and_next_tx_is_parsed)
{
    struct http_config cfg = {.body_limit = 10, .decompress_layer_limit = 2,
                              .decompress_bomb_limit = 1 << 20};
    struct rig r;
    rig_open_cfg(&r, &cfg);
    send_s(&r, PS_TOSERVER, "GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h"
                            "\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nabcdefg");
    send_s(&r, PS_TOCLIENT, "hijklmnopqrstuvwxyz");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret");
    cr_assert_eq(r.s.n_done, 2);
    cr_assert_eq(r.s.tx[0].body_got[PS_TOCLIENT], 10, "exactly the limit, across two chunks");
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "abcdefghij");
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], 26, "the full decoded length");
    cr_assert_eq(http_conn_body_cut(r.hc), 16);
    cr_assert_str_eq(field(&r, 1, HTTP_F_URI_RAW), "/after");
    cr_assert_str_eq((char *)r.s.tx[1].body[PS_TOCLIENT], "secret", "limit is per transaction");
    rig_close(&r);
    rig_free(&r);
}

Test(http, response_without_request_raises_event_and_is_reported)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
    cr_assert(saw_event(&r.s, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST"));
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].status, 200);
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "", "no made-up target");
    cr_assert_str_eq(field(&r, 0, HTTP_F_METHOD), "");
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "abc");
    rig_free(&r);
}

Test(http, request_without_response_is_reported_at_close)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    send_s(&r, PS_TOSERVER, "GET /unanswered HTTP/1.1\r\nHost: h\r\n\r\n"
                            "GET /cut-in-headers HTTP/1.1\r\nHo");
    cr_assert_eq(r.s.n_done, 1);
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 3, "answered, unanswered, and the one cut in its headers");
    cr_assert_str_eq(field(&r, 1, HTTP_F_URI_RAW), "/unanswered");
    cr_assert_eq(r.s.tx[1].status, -1);
    cr_assert_str_eq(field(&r, 2, HTTP_F_URI_RAW), "/cut-in-headers");
    cr_assert_eq(r.s.tx[2].status, -1);
    http_conn_close(r.hc, PS_SECONDS(3000));
    cr_assert_eq(r.s.n_done, 3, "a second close reports nothing");
    rig_free(&r);
}

Test(http, request_line_cut_before_its_end_makes_no_transaction)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /half");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1, "libhtp starts a transaction at the end of its request line");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "/a");
    rig_free(&r);
}

Test(http, absolute_uri_gives_host_from_authority)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET http://Proxy.Example.org:3128/p/q?x=1 HTTP/1.1\r\n"
                            "Host: other.example\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    cr_assert_str_eq(field(&r, 0, HTTP_F_HOST), "proxy.example.org");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "http://Proxy.Example.org:3128/p/q?x=1");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_NORM), "/p/q?x=1");
    rig_close(&r);
    rig_free(&r);
}

Test(http, host_header_port_is_stripped)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET / HTTP/1.1\r\nHost: api.example.net:8443\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    cr_assert_str_eq(field(&r, 0, HTTP_F_HOST), "api.example.net");
    rig_close(&r);
    rig_free(&r);
}

Test(http, headers_keep_wire_order_and_original_case)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET / HTTP/1.1\r\nZeta: 1\r\nHost: h\r\nalpha: 2\r\nMiddle: 3\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 0\r\n"
                            "Strict-Transport-Security: max-age=1\r\n\r\n");
    field(&r, 0, HTTP_F_METHOD);
    cr_assert_eq(r.s.tx[0].nheaders[PS_TOSERVER], 4);
    cr_assert_str_eq(r.s.tx[0].headers[PS_TOSERVER], "Zeta=1;Host=h;alpha=2;Middle=3;");
    cr_assert_str_eq(r.s.tx[0].headers[PS_TOCLIENT],
                     "Server=s;Content-Length=0;Strict-Transport-Security=max-age=1;");
    rig_close(&r);
    rig_free(&r);
}

Test(http, normalised_uri_decodes_and_collapses_path_keeping_case)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /Cal//Private%2DAbC/./x/../basic%2eics?Tok=%41b HTTP/1.1\r\n"
                            "Host: h\r\n\r\nGET /a\\b%2fc HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_NORM), "/Cal/Private-AbC/basic.ics?Tok=%41b");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW),
                     "/Cal//Private%2DAbC/./x/../basic%2eics?Tok=%41b");
    cr_assert_str_eq(field(&r, 1, HTTP_F_URI_NORM), "/a/b/c");
    rig_close(&r);
    rig_free(&r);
}

Test(http, response_content_type_is_cut_at_semicolon_and_trimmed)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/json; x=1"
                            "\r\nContent-Length: 2\r\n\r\n{}");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Type: Text/Calendar  ;charset=UTF-8\r\n"
                            "Content-Length: 0\r\n\r\n");
    cr_assert_str_eq(field(&r, 0, HTTP_F_RESPONSE_CONTENT_TYPE), "Text/Calendar");
    cr_assert_str_eq(field(&r, 0, HTTP_F_REQUEST_CONTENT_TYPE), "application/json; x=1");
    rig_close(&r);
    rig_free(&r);
}

Test(http, gap_inside_identity_body_keeps_parsing)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /g HTTP/1.1\r\nHost: h\r\n\r\nGET /h HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
    http_conn_gap(r.hc, PS_TOCLIENT, 5, PS_SECONDS(1600));
    send_s(&r, PS_TOCLIENT, "xyz");
    cr_assert_eq(r.s.n_done, 1, "the body completes across the hole");
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "abxyz", "the hole itself is skipped");
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], 5, "bytes seen, not bytes missed");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nq");
    cr_assert_eq(r.s.n_done, 2, "the next transaction is still parsed");
    cr_assert_str_eq((char *)r.s.tx[1].body[PS_TOCLIENT], "q");
    cr_assert(!saw_event(&r.s, "INVALID_GAP"));
    rig_close(&r);
    rig_free(&r);
}

Test(http, gap_inside_request_body_keeps_parsing)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\nab");
    http_conn_gap(r.hc, PS_TOSERVER, 4, PS_SECONDS(1600));
    send_s(&r, PS_TOSERVER, "cd");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOSERVER], "abcd");
    rig_close(&r);
    rig_free(&r);
}

Test(http, gap_outside_a_body_restarts_the_parser_at_the_next_message)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
    http_conn_gap(r.hc, PS_TOCLIENT, 5, PS_SECONDS(1600));
    cr_assert(saw_event(&r.s, "INVALID_GAP"));
    cr_assert_eq(r.s.n_done, 1, "the cut transaction is reported at once");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "/x");
    cr_assert_eq(r.s.tx[0].status, 200);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "ab");
    /* The rest of the cut body is skipped until a message starts. */
    send_s(&r, PS_TOCLIENT, "cde\r\n0\r\n\r\n");
    send_s(&r, PS_TOSERVER, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 2, "the transaction after the gap is parsed");
    cr_assert_str_eq(field(&r, 1, HTTP_F_URI_RAW), "/next");
    cr_assert_eq(r.s.tx[1].status, 204);
    cr_assert_eq(r.s.tx[1].done, 1, "reported once, under the next tx id");
    cr_assert_eq(http_conn_live_tx(r.hc), 0);
    rig_free(&r);
}

Test(http, http09_request_has_empty_protocol_and_no_status)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /old/page.html\r\n");
    send_s(&r, PS_TOCLIENT, "<html>old</html>");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_str_eq(field(&r, 0, HTTP_F_METHOD), "GET");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "/old/page.html");
    cr_assert_str_eq(field(&r, 0, HTTP_F_PROTOCOL), "");
    cr_assert_eq(r.s.tx[0].status, -1);
    cr_assert_str_eq((char *)r.s.tx[0].body[PS_TOCLIENT], "<html>old</html>");
    cr_assert_eq(r.s.n_events, 0, "HTTP/0.9 is not an anomaly");
    rig_free(&r);
}

Test(http, ten_thousand_pipelined_requests_release_completed_transactions)
{
    struct rig r;
    rig_open(&r);
    r.s.copy_fields = false;
    const int total = 10000, window = 100;
    char *reqs = malloc((size_t)window * 64), *ress = malloc((size_t)window * 64);
    uint64_t peak = 0;
    for (int base = 0; base < total; base += window) {
        size_t rl = 0, sl = 0;
        for (int i = base; i < base + window; i++) {
            rl += (size_t)sprintf(reqs + rl, "GET /r%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
            sl += (size_t)sprintf(ress + sl, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
        }
        send_n(&r, PS_TOSERVER, reqs, rl);
        peak = PS_MAX(peak, http_conn_live_tx(r.hc));
        send_n(&r, PS_TOCLIENT, ress, sl);
        cr_assert_eq(r.s.n_done, (size_t)base + window);
        cr_assert_eq(http_conn_live_tx(r.hc), 0, "every answered transaction is released");
    }
    cr_assert_eq(peak, (uint64_t)window, "only the open window is held");
    cr_assert_eq(r.s.last_done_id, (uint64_t)total - 1);
    for (int i = 0; i < total; i++)
        cr_assert_eq(r.s.tx[i].done, 1, "tx %d reported %d times", i, r.s.tx[i].done);
    rig_close(&r);
    cr_assert_eq(r.s.n_done, (size_t)total);
    free(reqs);
    free(ress);
    rig_free(&r);
}

Test(http, unanswered_pipelining_past_the_limit_stops_and_reports_all)
{
    struct rig r;
    rig_open(&r);
    r.s.copy_fields = false;
    const int total = (int)HTTP_OPEN_TX_MAX + 200;
    char line[64];
    for (int i = 0; i < total && r.s.n_done == 0; i++) {
        int n = snprintf(line, sizeof(line), "GET /p%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
        send_n(&r, PS_TOSERVER, line, (size_t)n);
    }
    cr_assert(saw_event(&r.s, "TOO_MANY_TRANSACTIONS"));
    cr_assert_eq(r.s.n_done, (size_t)HTTP_OPEN_TX_MAX + 1);
    cr_assert_eq(http_conn_live_tx(r.hc), 0, "libhtp state is freed when parsing stops");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, (size_t)HTTP_OPEN_TX_MAX + 1);
    rig_free(&r);
}

Test(http, max_open_tx_is_configurable)
{
    struct http_config cfg = {.body_limit = 1 << 20, .decompress_layer_limit = 2,
                              .decompress_bomb_limit = 1 << 20, .max_open_tx = 8};
    struct rig r;
    rig_open_cfg(&r, &cfg);
    r.s.copy_fields = false;
    char line[64];
    for (int i = 0; i < 20; i++) {
        int n = snprintf(line, sizeof(line), "GET /p%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
        send_n(&r, PS_TOSERVER, line, (size_t)n);
    }
    cr_assert(saw_event(&r.s, "TOO_MANY_TRANSACTIONS"));
    cr_assert_eq(r.s.n_done, 9, "the limit, and the one that passed it");
    rig_close(&r);
    rig_free(&r);
}

Test(http, connect_waits_for_its_answer_then_tunnel_stops_parsing)
{
    struct rig r;
    rig_open(&r);
    /* The client's TLS bytes arrive before the proxy's answer: libhtp asks
     * for the other direction first and the rest is held back. */
    send_s(&r, PS_TOSERVER, "CONNECT mail.example:443 HTTP/1.1\r\nHost: mail.example:443\r\n\r\n"
                            "\x16\x03\x01 client hello");
    cr_assert_eq(r.s.n_done, 0);
    cr_assert_eq(r.hc->pending[PS_TOSERVER].len, strlen("\x16\x03\x01 client hello"),
                 "the bytes after the CONNECT wait for the answer");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03 server");
    send_s(&r, PS_TOSERVER, "GET /not-http HTTP/1.1\r\n\r\n");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_str_eq(field(&r, 0, HTTP_F_METHOD), "CONNECT");
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "mail.example:443");
    cr_assert_eq(r.s.tx[0].status, 200);
    cr_assert_eq(r.s.tx[1].done, 0, "tunnelled bytes are not parsed as HTTP");
    rig_free(&r);
}

Test(http, refused_connect_resumes_with_the_held_back_request)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\nGET /next HTTP/1.1\r\n"
                            "Host: h\r\n\r\n");
    cr_assert_gt(r.hc->pending[PS_TOSERVER].len, 0, "the next request waits for the answer");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n"
                            "\r\n");
    cr_assert_eq(r.hc->pending[PS_TOSERVER].len, 0, "and is parsed once the answer is in");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 2);
    cr_assert_eq(r.s.tx[0].status, 407);
    cr_assert_str_eq(field(&r, 1, HTTP_F_URI_RAW), "/next");
    cr_assert_eq(r.s.tx[1].status, 200);
    cr_assert_str_eq((char *)r.s.tx[1].body[PS_TOCLIENT], "ok");
    cr_assert(!saw_event(&r.s, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST"));
    rig_free(&r);
}

Test(http, upgrade_101_stops_parsing_the_tunnelled_bytes)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\n\r\n\x81\x05hello");
    send_s(&r, PS_TOSERVER, "\x81\x85" "abcdGET /inside HTTP/1.1\r\n\r\n");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].status, 101);
    cr_assert_str_eq(field(&r, 0, HTTP_F_URI_RAW), "/chat");
    cr_assert_eq(r.s.n_events, 0, "websocket frames are not HTTP anomalies");
    rig_free(&r);
}

Test(http, smuggling_transfer_encoding_stops_with_its_own_event)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n"
                            "\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.n_events, 1, "no UNKNOWN_ERROR on top of the named cause");
    cr_assert_str_eq(r.s.events[0], "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST");
    cr_assert_eq(r.s.event_tx[0], 0);
    rig_free(&r);
}

Test(http, invalid_chunk_length_raises_event_and_reports_the_tx)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n");
    rig_close(&r);
    cr_assert(saw_event(&r.s, "INVALID_RESPONSE_CHUNK_LEN"));
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].status, 200);
    rig_free(&r);
}

Test(http, header_anomalies_are_named_as_suricata_names_them)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "POST /x HTTP/1.1\r\nHost: h\r\nNoColonHere\r\nX-A: 1\r\n"
                            "X-A: 2\r\nContent-Length: 2\r\n\r\nab");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    send_s(&r, PS_TOSERVER, "GET /y HTTP/1.1\r\nHost: h\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nBroken header\r\nContent-Length: 0\r\n\r\n");
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 2);
    cr_assert_eq(r.s.n_events, 3, "one event per problem and transaction");
    cr_assert_str_eq(r.s.events[0], "REQUEST_FIELD_MISSING_COLON");
    cr_assert_eq(r.s.event_tx[0], 0);
    cr_assert_str_eq(r.s.events[1], "REQUEST_HEADER_REPETITION");
    cr_assert_eq(r.s.event_tx[1], 0);
    cr_assert_str_eq(r.s.events[2], "RESPONSE_FIELD_MISSING_COLON");
    cr_assert_eq(r.s.event_tx[2], 1);
    rig_free(&r);
}

Test(http, conflicting_content_lengths_are_an_anomaly)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                            "Content-Length: 3\r\n\r\nabc");
    rig_close(&r);
    cr_assert(saw_event(&r.s, "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST"));
    cr_assert_eq(r.s.n_done, 1);
    rig_free(&r);
}

Test(http, missing_host_on_http11_is_an_anomaly_once)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    rig_close(&r);
    cr_assert_eq(r.s.n_events, 1);
    cr_assert_str_eq(r.s.events[0], "MISSING_HOST_HEADER");
    cr_assert_eq(r.s.event_tx[0], 0);
    rig_free(&r);
}

Test(http, anomaly_events_per_connection_are_bounded)
{
    struct rig r;
    rig_open(&r);
    char req[128];
    for (int i = 0; i < 400; i++) {
        int n = snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\nHost: h\r\nbad line\r\n\r\n", i);
        send_n(&r, PS_TOSERVER, req, (size_t)n);
        send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }
    rig_close(&r);
    cr_assert_eq(r.s.n_done, 400, "parsing goes on past the event cap");
    cr_assert_eq(r.s.n_events, (size_t)HTTP_EVENTS_MAX + 1);
    cr_assert_str_eq(r.s.events[0], "REQUEST_FIELD_MISSING_COLON");
    cr_assert_str_eq(r.s.last_event, "TOO_MANY_WARNINGS");
    rig_free(&r);
}

/* `repeat` copies of a 64 KiB run of 'A', gzipped; returns the size. */
static size_t gzip_run(size_t repeat, uint8_t *out, size_t cap)
{
    static uint8_t block[65536];
    memset(block, 'A', sizeof(block));
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    for (size_t i = 0; i < repeat; i++) {
        z.next_in = block;
        z.avail_in = sizeof(block);
        cr_assert_neq(deflate(&z, i + 1 == repeat ? Z_FINISH : Z_NO_FLUSH), Z_STREAM_ERROR);
    }
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static size_t gzip_bytes(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

/* libhtp calls a body a bomb past the limit *and* past 2048:1, which one
 * gzip layer cannot reach (about 1030:1 at best): nest two. */
Test(http, compression_bomb_is_stopped_and_reported)
{
    static uint8_t inner[1 << 16], outer[1 << 16];
    size_t in = gzip_run(256, inner, sizeof(inner)); /* 16 MiB of 'A' */
    size_t on = gzip_bytes(inner, in, outer, sizeof(outer));
    char res[1024];
    size_t reslen = response_with_body(res, sizeof(res), "gzip, gzip", outer, on);
    struct rig r;
    rig_open(&r); /* bomb limit 1 MiB */
    send_s(&r, PS_TOSERVER, "GET /bomb HTTP/1.1\r\nHost: h\r\n\r\n");
    send_n(&r, PS_TOCLIENT, res, reslen);
    cr_assert(saw_event(&r.s, "COMPRESSION_BOMB"));
    cr_assert_eq(r.s.n_done, 1, "the connection stops and reports the transaction");
    cr_assert_lt(r.s.tx[0].body_len[PS_TOCLIENT], (uint64_t)(2u << 20), "stopped near the limit");
    cr_assert_geq(r.s.tx[0].body_len[PS_TOCLIENT], (uint64_t)(1u << 20));
    cr_assert_eq(r.s.tx[0].body_got[PS_TOCLIENT], (size_t)(1u << 20), "body limit 1 MiB");
    rig_close(&r);
    rig_free(&r);
}

Test(http, encoding_layers_past_the_limit_are_an_anomaly)
{
    static uint8_t l1[4096], l2[4096], l3[4096];
    const char *text = "layered secret";
    size_t n1 = gzip_bytes((const uint8_t *)text, strlen(text), l1, sizeof(l1));
    size_t n2 = gzip_bytes(l1, n1, l2, sizeof(l2));
    size_t n3 = gzip_bytes(l2, n2, l3, sizeof(l3));
    char res[8192];
    size_t reslen = response_with_body(res, sizeof(res), "gzip, gzip, gzip", l3, n3);
    struct rig r;
    rig_open(&r); /* two layers allowed */
    send_s(&r, PS_TOSERVER, "GET /layers HTTP/1.1\r\nHost: h\r\n\r\n");
    send_n(&r, PS_TOCLIENT, res, reslen);
    cr_assert(saw_event(&r.s, "TOO_MANY_ENCODING_LAYERS"));
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].body_len[PS_TOCLIENT], n1, "two layers undone, the third left");
    rig_close(&r);
    rig_free(&r);
}

Test(http, garbage_in_both_directions_raises_events_without_crash)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "\x01\x02 \x7f\xff garbage line\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "\x00\x00\x00 not a status line\r\n\r\n");
    rig_close(&r);
    cr_assert_gt(r.s.n_events, 0);
    cr_assert(saw_event(&r.s, "REQUEST_LINE_INVALID"));
    cr_assert_eq(r.s.n_done, 1);
    cr_assert_eq(r.s.tx[0].status, -1);
    rig_free(&r);
}

/* Random bytes mixed with HTTP fragments, cut at random points: nothing
 * may crash, and every transaction is reported exactly once. */
Test(http, random_input_never_crashes_and_reports_each_tx_once)
{
    static const char *frag[] = {"GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "\r\n",
                                 "Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n",
                                 "Content-Encoding: gzip\r\n", "5\r\n", "0\r\n\r\n", "abc",
                                 "CONNECT h:1 HTTP/1.1\r\n", "Expect: 100-continue\r\n",
                                 "HTTP/1.1 100 Continue\r\n\r\n", "HEAD /h HTTP/1.0\r\n"};
    uint32_t seed = 12345;
    for (int round = 0; round < 300; round++) {
        struct rig r;
        rig_open(&r);
        for (int step = 0; step < 40; step++) {
            seed = seed * 1103515245u + 12345u;
            enum ps_dir dir = (seed >> 8) & 1 ? PS_TOCLIENT : PS_TOSERVER;
            uint8_t buf[64];
            size_t n;
            if ((seed >> 12) % 4 == 0) {
                n = 1 + (seed >> 16) % sizeof(buf);
                for (size_t i = 0; i < n; i++)
                    buf[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
            } else {
                const char *f = frag[(seed >> 14) % PS_ARRAY_LEN(frag)];
                n = strlen(f);
                memcpy(buf, f, n);
            }
            if ((seed >> 20) % 16 == 0)
                http_conn_gap(r.hc, dir, 1 + (seed >> 24) % 8, PS_SECONDS(1500));
            else
                send_n(&r, dir, buf, n);
        }
        rig_close(&r);
        for (size_t i = 0; i < r.s.cap; i++)
            cr_assert_leq(r.s.tx[i].done, 1, "round %d tx %zu", round, i);
        cr_assert_eq(http_conn_live_tx(r.hc), 0);
        rig_free(&r);
    }
}

Test(http, every_transaction_is_reported_exactly_once_across_endings)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                            "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    send_s(&r, PS_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ncut");
    rig_close(&r);
    http_conn_close(r.hc, PS_SECONDS(2500));
    cr_assert_eq(r.s.n_done, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(r.s.tx[i].done, 1, "tx %d", i);
    cr_assert_str_eq((char *)r.s.tx[1].body[PS_TOCLIENT], "cut");
    cr_assert_eq(r.s.tx[2].status, -1);
    cr_assert_str_eq((char *)r.s.tx[2].body[PS_TOSERVER], "partial");
    rig_free(&r);
}

Test(http, connection_destroyed_without_close_reports_nothing_and_leaks_nothing)
{
    struct rig r;
    rig_open(&r);
    send_s(&r, PS_TOSERVER, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert_eq(http_conn_live_tx(r.hc), 1);
    rig_free(&r); /* destroy without close */
    cr_assert_eq(r.s.n_done, 0);
}

/* --- probe --- */

static bool probe_s(enum ps_dir dir, const char *s)
{
    return http_probe(dir, (const uint8_t *)s, strlen(s));
}

Test(http_probe, accepts_request_lines_toward_the_server)
{
    cr_assert(probe_s(PS_TOSERVER, "GET / HTTP/1.1\r\n"));
    cr_assert(probe_s(PS_TOSERVER, "POST /login HTTP/1.0\r\n"));
    cr_assert(probe_s(PS_TOSERVER, "OPTIONS * HTTP/1.1\r\n"));
    cr_assert(probe_s(PS_TOSERVER, "CONNECT mail.example:443 HTTP/1.1\r\n"));
    cr_assert(probe_s(PS_TOSERVER, "GET http://x.example/ HTTP/1.1\r\n"));
    cr_assert(probe_s(PS_TOSERVER, "MY-CUSTOM_METHOD /x HTTP/1.1\r\n"));
    cr_assert(probe_s(PS_TOSERVER, "GET /old\r\n"), "HTTP/0.9");
}

Test(http_probe, rejects_other_protocols_toward_the_server)
{
    cr_assert_not(probe_s(PS_TOSERVER, "\x16\x03\x01\x02\x00"), "TLS");
    cr_assert_not(probe_s(PS_TOSERVER, "SSH-2.0-OpenSSH_9.0\r\n"));
    cr_assert_not(probe_s(PS_TOSERVER, "EHLO mail.example.com\r\n"));
    cr_assert_not(probe_s(PS_TOSERVER, "USER anonymous\r\n"));
    cr_assert_not(probe_s(PS_TOSERVER, " GET / HTTP/1.1\r\n"));
    cr_assert_not(probe_s(PS_TOSERVER, "GET\t/ HTTP/1.1\r\n"));
    cr_assert_not(probe_s(PS_TOSERVER, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1"),
                  "33-character method");
    cr_assert_not(probe_s(PS_TOSERVER, "HTTP/1.1 200 OK\r\n"), "a status line toward the server");
    cr_assert_not(http_probe(PS_TOSERVER, NULL, 0));
}

Test(http_probe, short_request_chunks_decide_only_on_known_methods)
{
    cr_assert(probe_s(PS_TOSERVER, "GE"));
    cr_assert(probe_s(PS_TOSERVER, "GET"));
    cr_assert(probe_s(PS_TOSERVER, "GET "));
    cr_assert(probe_s(PS_TOSERVER, "GET h"), "could be absolute-form");
    cr_assert(probe_s(PS_TOSERVER, "GET http:/"));
    cr_assert_not(probe_s(PS_TOSERVER, "XY"));
    cr_assert_not(probe_s(PS_TOSERVER, "FOO "));
    cr_assert(probe_s(PS_TOSERVER, "GET http:x"), "a known method and a space suffice");
    cr_assert_not(probe_s(PS_TOSERVER, "FOO http:x"));
    cr_assert(probe_s(PS_TOSERVER, "FOO /"), "a token and an origin-form target");
}

Test(http_probe, accepts_status_lines_toward_the_client)
{
    cr_assert(probe_s(PS_TOCLIENT, "HTTP/1.1 200 OK\r\n"));
    cr_assert(probe_s(PS_TOCLIENT, "HTTP/1.0 404 Not Found\r\n"));
    cr_assert(probe_s(PS_TOCLIENT, "HTT"), "matching so far");
    cr_assert_not(probe_s(PS_TOCLIENT, "HTX"));
    cr_assert_not(probe_s(PS_TOCLIENT, "GET / HTTP/1.1\r\n"));
    cr_assert_not(probe_s(PS_TOCLIENT, "http/1.1 200 OK\r\n"));
    cr_assert_not(http_probe(PS_TOCLIENT, (const uint8_t *)"", 0));
}

/* 1 MiB of zeros gzipped to about 1 KiB (a 1000:1 bomb, below libhtp's own
 * 2048:1 ratio): stopped just past the decompression limit, deterministically. */
static size_t gzip_zeros(size_t n, uint8_t *out, size_t cap)
{
    uint8_t *zeros = calloc(1, n);
    cr_assert_not_null(zeros);
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = zeros;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = z.total_out;
    deflateEnd(&z);
    free(zeros);
    return len;
}

Test(http, gzip_bomb_stops_at_the_decompression_limit)
{
    static uint8_t gz[16384];
    static char res[20000];
    size_t gzlen = gzip_zeros(1 << 20, gz, sizeof(gz));
    size_t reslen = response_with_body(res, sizeof(res), "gzip", gz, gzlen);
    for (int bomb = 0; bomb < 2; bomb++) {
        struct http_config cfg = {.body_limit = 0, .decompress_layer_limit = 2,
                                  .decompress_bomb_limit = bomb ? 64 * 1024 : 2 << 20};
        struct rig r;
        rig_open_cfg(&r, &cfg);
        send_s(&r, PS_TOSERVER, "GET /z HTTP/1.1\r\nHost: h\r\n\r\n");
        for (size_t off = 0; off < reslen; off += 100) /* the bomb spans many chunks */
            send_n(&r, PS_TOCLIENT, res + off, PS_MIN((size_t)100, reslen - off));
        rig_close(&r);
        cr_assert_eq(r.s.n_done, 1);
        uint64_t got = r.s.tx[0].body_len[PS_TOCLIENT];
        if (bomb) {
            cr_assert(saw_event(&r.s, "COMPRESSION_BOMB"));
            cr_assert_gt(got, 64 * 1024);
            cr_assert_leq(got, 64 * 1024 + 8192, "at most one inflate buffer past the limit");
        } else {
            cr_assert_not(saw_event(&r.s, "COMPRESSION_BOMB"));
            cr_assert_eq(got, 1 << 20, "under the limit, the whole body");
        }
        rig_free(&r);
    }
}

Test(http, header_bytes_of_live_transactions_are_held_to_the_memcap)
{
    struct http_config cfg = {.body_limit = 1 << 20, .decompress_layer_limit = 2,
                              .decompress_bomb_limit = 1 << 20, .memcap = 2500};
    struct rig r;
    rig_open_cfg(&r, &cfg);
    char req[1200];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: %01000d\r\n\r\n", 7);
    cr_assert(n > 1000 && n < 1100);
    send_n(&r, PS_TOSERVER, req, (size_t)n);
    send_n(&r, PS_TOSERVER, req, (size_t)n);
    const struct http_mem_stats *m = http_shared_mem(r.hs);
    cr_assert_gt(m->memuse, 2000, "two requests' headers are held");
    cr_assert_leq(m->memuse, 2500);
    cr_assert_eq(m->memcap_hits, 0);
    send_n(&r, PS_TOSERVER, req, (size_t)n); /* does not fit */
    cr_assert_eq(m->memcap_hits, 1);
    cr_assert_eq(m->memuse, 0, "the stopped connection holds nothing");
    cr_assert_eq(r.s.n_done, 3, "every transaction is reported when parsing stops");
    send_n(&r, PS_TOSERVER, req, (size_t)n); /* ignored */
    cr_assert_eq(m->memcap_hits, 1);
    rig_close(&r);
    rig_free(&r);
}
