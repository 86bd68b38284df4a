/*
 * app.c - reassembly -> protocol detection -> HTTP, per TCP flow (see app.h).
 *
 * Detection is by content, not by port: the first bytes reassembly delivers
 * on a flow, in either direction, decide. A request line toward the server
 * or a status line toward the client makes the flow HTTP; anything else
 * marks it failed and its later bytes are skipped cheaply.
 */
#include "app.h"

#include <stdlib.h>

#include "eve_app.h"
#include "http.h"
#include "inspect.h"

enum app_proto { APP_UNKNOWN = 0, APP_HTTP, APP_FAILED };

struct app_flow {
    struct app_ctx *ac;
    struct flow *f;
    struct tcp_session *ss;
    struct http_conn *hc;
    struct stream_ops sops;
    struct http_ops hops;
    uint8_t proto; /* enum app_proto */
};

struct app_ctx {
    struct stream_ctx *stream;
    struct http_shared *http;
    struct inspect_ctx *inspect;
    struct eve_thread *eve;
    bool log_anomaly;
    struct app_stats st;
};

struct app_ctx *app_ctx_create(const struct ps_config *cfg, const struct detect_engine *de,
                               bool unmask, const struct inspect_shared *xs,
                               struct eve_thread *eve, struct eve_output *out)
{
    struct app_ctx *ac = calloc(1, sizeof(*ac));
    if (ac == NULL)
        return NULL;
    struct stream_config sc = {
        .memcap = cfg->stream_memcap / cfg->threads,
        .gap_bound = (uint32_t)cfg->stream_gap_bound,
    };
    struct http_config hc = {
        .body_limit = cfg->http_body_limit,
        .decompress_layer_limit = 2,
        .decompress_bomb_limit = cfg->http_decompress_limit,
        .max_open_tx = cfg->http_max_open_tx,
        .memcap = cfg->http_memcap / cfg->threads,
    };
    ac->stream = stream_ctx_create(&sc);
    ac->http = http_shared_create(&hc);
    ac->inspect = inspect_create(de, unmask, cfg->ics_max_size, cfg->ics_memcap / cfg->threads,
                                 xs, eve, out);
    if (ac->stream == NULL || ac->http == NULL || ac->inspect == NULL) {
        app_ctx_destroy(ac);
        return NULL;
    }
    ac->eve = eve;
    ac->log_anomaly = eve_output_wants(out, EVE_ANOMALY);
    return ac;
}

void app_ctx_destroy(struct app_ctx *ac)
{
    if (ac == NULL)
        return;
    stream_ctx_destroy(ac->stream);
    http_shared_destroy(ac->http);
    inspect_destroy(ac->inspect);
    free(ac);
}

/* --- what the HTTP parser reports --- */

static void app_http_body(void *ctx, const struct http_tx *tx, enum ps_dir dir,
                          const uint8_t *data, size_t len)
{
    struct app_flow *af = ctx;
    inspect_http_body(af->ac->inspect, tx, dir, data, len);
}

static void app_http_tx_done(void *ctx, const struct http_tx *tx, ps_time_t ts)
{
    struct app_flow *af = ctx;
    af->ac->st.tx_http++;
    inspect_http_tx(af->ac->inspect, af->f, tx, ts);
}

static void app_http_tx_release(void *ctx, void *user)
{
    struct app_flow *af = ctx;
    inspect_http_release(af->ac->inspect, user);
}

static void app_http_event(void *ctx, const struct http_tx *tx, const char *event, ps_time_t ts)
{
    struct app_flow *af = ctx;
    af->ac->st.http_events++;
    if (af->ac->log_anomaly)
        eve_anomaly_log_applayer(af->ac->eve, af->f, tx, event, ts);
}

/* --- what reassembly delivers --- */

static void app_detect(struct app_flow *af, enum ps_dir dir, const uint8_t *data, size_t len,
                       ps_time_t ts)
{
    if (!http_probe(dir, data, len)) {
        af->proto = APP_FAILED;
        af->ac->st.flows_failed++;
        return;
    }
    af->hops = (struct http_ops){.body = app_http_body, .tx_done = app_http_tx_done,
                                 .event = app_http_event, .tx_release = app_http_tx_release,
                                 .ctx = af};
    af->hc = http_conn_create(af->ac->http, &af->hops, ts);
    if (af->hc == NULL) {
        af->proto = APP_FAILED;
        af->ac->st.flows_failed++;
        return;
    }
    af->proto = APP_HTTP;
    af->ac->st.flows_http++;
}

static void app_stream_data(void *ctx, enum ps_dir dir, const uint8_t *data, size_t len,
                            ps_time_t ts)
{
    struct app_flow *af = ctx;
    if (af->proto == APP_UNKNOWN)
        app_detect(af, dir, data, len, ts);
    if (af->proto == APP_HTTP)
        http_conn_feed(af->hc, dir, data, len, ts);
}

static void app_stream_gap(void *ctx, enum ps_dir dir, uint64_t len, ps_time_t ts)
{
    struct app_flow *af = ctx;
    if (af->proto == APP_HTTP)
        http_conn_gap(af->hc, dir, len, ts);
}

static void app_stream_event(void *ctx, enum ps_dir dir, enum stream_event ev, ps_time_t ts)
{
    struct app_flow *af = ctx;
    af->ac->st.stream_events++;
    if (af->ac->log_anomaly)
        eve_anomaly_log_stream(af->ac->eve, af->f, dir, stream_event_name(ev), ts);
}

/* The app state lives in its session's block, so the stream memcap
 * bounds all of it. */
static struct app_flow *app_flow_create(struct app_ctx *ac, struct flow *f)
{
    struct tcp_session *ss = stream_session_create_user(ac->stream, sizeof(struct app_flow));
    if (ss == NULL)
        return NULL;
    struct app_flow *af = stream_session_user(ss);
    af->ss = ss;
    af->ac = ac;
    af->f = f;
    af->sops = (struct stream_ops){.data = app_stream_data, .gap = app_stream_gap,
                                   .event = app_stream_event, .ctx = af};
    return af;
}

void app_handle_tcp(struct app_ctx *ac, struct flow *f, enum flow_dir dir,
                    const struct packet *p)
{
    struct app_flow *af = f->app;
    if (af == NULL) {
        af = app_flow_create(ac, f);
        if (af == NULL) {
            ac->st.sessions_refused++;
            return;
        }
        f->app = af;
    }
    stream_handle_packet(ac->stream, af->ss, (enum ps_dir)dir, p, &af->sops);
}

const char *app_flow_end(struct app_ctx *ac, struct flow *f, ps_time_t now)
{
    struct app_flow *af = f->app;
    if (af == NULL)
        return NULL;
    stream_session_close(ac->stream, af->ss, now, &af->sops);
    const char *name = af->proto == APP_HTTP ? "http" : af->proto == APP_FAILED ? "failed" : NULL;
    if (af->hc != NULL) {
        http_conn_close(af->hc, now);
        http_conn_destroy(af->hc);
    }
    f->app = NULL;
    stream_session_destroy(ac->stream, af->ss); /* frees af too */
    return name;
}

void app_get_stats(const struct app_ctx *ac, struct app_stats *as, struct stream_stats *ss,
                   struct inspect_stats *is)
{
    *as = ac->st;
    const struct http_mem_stats *hm = http_shared_mem(ac->http);
    as->http_memuse = hm->memuse;
    as->http_memcap = hm->memcap_hits;
    *ss = *stream_ctx_stats(ac->stream);
    inspect_get_stats(ac->inspect, is);
}
