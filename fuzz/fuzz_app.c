/*
 * fuzz_app.c - the HTTP -> inspect -> detect -> EVE pipeline for the HTTP
 * and iCalendar targets. Like a worker, the process keeps the shipped rules
 * (the .rules files of rules/), one inspection context and the libhtp
 * configurations; every input is one connection, fed through the
 * callbacks the engine uses, with each transaction accessor read and the
 * parser's contract checked. (A fresh inspection context per input costs a
 * Hyperscan scratch each time and ran ten times slower.)
 */
#include <stdbool.h>

#include "detect.h"
#include "eve.h"
#include "flow.h"
#include "fuzz.h"
#include "inspect.h"

#ifndef PS_FUZZ_RULES_DIR
#error "PS_FUZZ_RULES_DIR names the source tree's rules/ directory"
#endif

#define FZ_MAX_TX 4096

struct fz_app {
    struct http_conn *hc;
    struct inspect_ctx *ic;
    struct http_ops ops;
    ps_time_t now;
    uint8_t done[FZ_MAX_TX]; /* tx_done calls per transaction id */
    uint8_t seen[FZ_MAX_TX]; /* any callback named the id */
    uint64_t max_id;
};

/* Process-wide, like a worker's: built on first use, never freed. */
static struct rule_set fz_rules;
static struct detect_engine *fz_engine;
static struct eve_output *fz_out;
static struct eve_thread *fz_eve;
static struct flow fz_flow;
static struct inspect_ctx *fz_inspect;
static struct http_shared *fz_http[4]; /* by body limit */
static uint64_t fz_http_limit[4];

static void fz_app_global(void)
{
    if (fz_eve != NULL)
        return;
    rule_set_init(&fz_rules);
    FZ_CHECK(rule_set_load_classification(&fz_rules, PS_FUZZ_RULES_DIR "/classification.config") ==
             PS_OK);
    FZ_CHECK(rule_set_load_file(&fz_rules, PS_FUZZ_RULES_DIR "/plainsight.rules") == PS_OK);
    FZ_CHECK(rule_set_load_file(&fz_rules, PS_FUZZ_RULES_DIR "/meeting.rules") == PS_OK);
    FZ_CHECK(fz_rules.n_errors == 0 && fz_rules.n_rules > 0);
    struct detect_build_stats bs;
    fz_engine = detect_engine_build(&fz_rules, stderr, &bs);
    FZ_CHECK(fz_engine != NULL && bs.rules_failed == 0);
    char err[256];
    fz_out = eve_output_open("/dev/null", EVE_ALL_TYPES, 0, err, sizeof(err));
    FZ_CHECK(fz_out != NULL);
    fz_eve = eve_thread_create(fz_out);
    FZ_CHECK(fz_eve != NULL);
    fz_inspect = inspect_create(fz_engine, false, 64 * 1024, 8u << 20, NULL, fz_eve, fz_out);
    FZ_CHECK(fz_inspect != NULL);

    fz_flow.ip_ver = 4;
    fz_flow.proto = 6;
    memcpy(fz_flow.src.b, "\xc0\x00\x02\x01", 4);
    memcpy(fz_flow.dst.b, "\xc6\x33\x64\x07", 4);
    fz_flow.sport = 40000;
    fz_flow.dport = 80;
    fz_flow.flow_id = 1;
    fz_flow.state = FLOW_STATE_ESTABLISHED;
}

static void fz_app_mark(struct fz_app *a, const struct http_tx *tx)
{
    uint64_t id = http_tx_id(tx);
    if (id < FZ_MAX_TX)
        a->seen[id] = 1;
    a->max_id = PS_MAX(a->max_id, id);
}

static void fz_app_body(void *ctx, const struct http_tx *tx, enum ps_dir dir, const uint8_t *data,
                        size_t len)
{
    struct fz_app *a = ctx;
    FZ_CHECK(dir == PS_TOSERVER || dir == PS_TOCLIENT);
    fz_app_mark(a, tx);
    uint64_t id = http_tx_id(tx);
    FZ_CHECK(id >= FZ_MAX_TX || a->done[id] == 0); /* no body after the end */
    fz_touch((struct ps_slice){data, len});
    inspect_http_body(a->ic, tx, dir, data, len);
}

static void fz_app_read_tx(const struct http_tx *tx)
{
    for (int f = 0; f < HTTP_F_MAX; f++) {
        struct ps_slice s = http_tx_field(tx, (enum http_field)f);
        FZ_CHECK(s.len == 0 || s.ptr != NULL);
        fz_touch(s);
    }
    int status = http_tx_status(tx);
    FZ_CHECK(status >= -1);
    for (int d = 0; d < 2; d++) {
        size_t n = http_tx_header_count(tx, (enum ps_dir)d);
        for (size_t i = 0; i < n; i++) {
            struct ps_slice name, value;
            FZ_CHECK(http_tx_header(tx, (enum ps_dir)d, i, &name, &value));
            fz_touch(name);
            fz_touch(value);
        }
        struct ps_slice name, value;
        FZ_CHECK(!http_tx_header(tx, (enum ps_dir)d, n, &name, &value));
        (void)http_tx_body_len(tx, (enum ps_dir)d);
    }
    (void)http_tx_redirect_upgrade(tx);
}

static void fz_app_tx_done(void *ctx, const struct http_tx *tx, ps_time_t ts)
{
    struct fz_app *a = ctx;
    fz_app_mark(a, tx);
    uint64_t id = http_tx_id(tx);
    if (id < FZ_MAX_TX) {
        FZ_CHECK(a->done[id] == 0); /* each transaction is reported once */
        a->done[id] = 1;
    }
    fz_app_read_tx(tx);
    inspect_http_tx(a->ic, &fz_flow, tx, ts);
}

static void fz_app_event(void *ctx, const struct http_tx *tx, const char *event, ps_time_t ts)
{
    struct fz_app *a = ctx;
    FZ_CHECK(event != NULL && event[0] != '\0');
    if (tx != NULL)
        fz_app_mark(a, tx);
}

static void fz_app_release(void *ctx, void *user)
{
    struct fz_app *a = ctx;
    FZ_CHECK(user != NULL);
    inspect_http_release(a->ic, user);
}

static struct http_shared *fz_app_http(uint64_t body_limit)
{
    size_t i = 0;
    while (i < PS_ARRAY_LEN(fz_http) && fz_http[i] != NULL && fz_http_limit[i] != body_limit)
        i++;
    FZ_CHECK(i < PS_ARRAY_LEN(fz_http));
    if (fz_http[i] == NULL) {
        struct http_config cfg = {
            .body_limit = body_limit,
            .decompress_layer_limit = 2,
            .decompress_bomb_limit = 1u << 20,
        };
        fz_http[i] = http_shared_create(&cfg);
        fz_http_limit[i] = body_limit;
        FZ_CHECK(fz_http[i] != NULL);
    }
    return fz_http[i];
}

struct fz_app *fz_app_create(uint64_t body_limit)
{
    fz_app_global();
    struct fz_app *a = calloc(1, sizeof(*a));
    FZ_CHECK(a != NULL);
    a->ic = fz_inspect;
    a->ops = (struct http_ops){.body = fz_app_body, .tx_done = fz_app_tx_done,
                               .event = fz_app_event, .tx_release = fz_app_release, .ctx = a};
    a->now = PS_SECONDS(1700000000);
    a->hc = http_conn_create(fz_app_http(body_limit), &a->ops, a->now);
    FZ_CHECK(a->hc != NULL);
    return a;
}

void fz_app_feed(struct fz_app *a, enum ps_dir dir, const uint8_t *data, size_t len)
{
    a->now += 1000;
    http_conn_feed(a->hc, dir, data, len, a->now);
}

void fz_app_gap(struct fz_app *a, enum ps_dir dir, uint64_t len)
{
    a->now += 1000;
    http_conn_gap(a->hc, dir, len, a->now);
}

void fz_app_finish(struct fz_app *a)
{
    http_conn_close(a->hc, a->now + 1000);
    /* Every transaction the parser showed us was finished, exactly once. */
    for (uint64_t id = 0; id < FZ_MAX_TX && id <= a->max_id; id++)
        FZ_CHECK(!a->seen[id] || a->done[id] == 1);
    http_conn_destroy(a->hc);
    eve_thread_flush(fz_eve);
    free(a);
}

/* Compiling the shipped rules takes seconds: do it before the first input,
 * outside libFuzzer's per-input timeout. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_app_global();
    return 0;
}
