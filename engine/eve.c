/*
 * eve.c - EVE output and event headers (see eve.h).
 *
 * Lines reach the sinks as whole-line buffers, under one mutex, so
 * concurrent workers never interleave or tear a line, every sink sees the
 * same lines in the same order, and a line a sink loses is counted by that
 * sink instead of vanishing (sink.h).
 */
#include "eve.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eve_dump.h"
#include "hash.h"

#define EVE_BUF_FLUSH (192 * 1024)  /* flush a thread's buffer past this */
#define EVE_LINE_MAX (64u << 20)    /* an event longer than this is dropped */

struct eve_output {
    struct sink *sinks[EVE_SINKS_MAX];
    unsigned nsinks;
    bool stopped;
    unsigned types;
    unsigned http_headers; /* EVE_HEADERS_* */
    unsigned cid_seed;
    eve_file_name_fn file_name;
    const void *file_src;
    bool file_is_iface; /* live capture: the name goes in in_iface */
    pthread_mutex_t lock;
    struct eve_output_stats st; /* under lock */
};

struct eve_thread {
    struct eve_output *out;
    char *buf;
    size_t len, cap;
    uint64_t lines; /* lines in buf */
};

static const struct {
    const char *name;
    enum eve_type type;
} eve_type_names[] = {
    {"flow", EVE_FLOW}, {"http", EVE_HTTP}, {"anomaly", EVE_ANOMALY}, {"stats", EVE_STATS},
    {"alert", EVE_ALERT},
};

int eve_types_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    const char *p = list;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (size_t i = 0; i < PS_ARRAY_LEN(eve_type_names); i++) {
            if (strlen(eve_type_names[i].name) == n &&
                strncmp(p, eve_type_names[i].name, n) == 0) {
                *mask |= eve_type_names[i].type;
                found = true;
            }
        }
        if (!found) {
            snprintf(err, errlen, "--eve-types: unknown event type '%.*s' (known: alert, flow, http, anomaly, stats)",
                     (int)n, p);
            return PS_ERR;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return PS_OK;
}

struct eve_output *eve_output_create(unsigned types, unsigned cid_seed)
{
    struct eve_output *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return NULL;
    o->types = types;
    o->cid_seed = cid_seed;
    pthread_mutex_init(&o->lock, NULL);
    return o;
}

int eve_output_add_sink(struct eve_output *o, const struct sink_spec *spec,
                        const struct sink_limits *lim, char *err, size_t errlen)
{
    if (o->nsinks == EVE_SINKS_MAX) {
        snprintf(err, errlen, "%s: at most %d sinks", spec->name, EVE_SINKS_MAX);
        return PS_ERR;
    }
    for (unsigned i = 0; i < o->nsinks; i++) {
        if (sink_same_target(sink_spec_of(o->sinks[i]), spec)) {
            snprintf(err, errlen, "--eve-out '%s': the same sink as '%s' (every event would be "
                     "written twice)", spec->name, sink_name(o->sinks[i]));
            return PS_DECLINED;
        }
    }
    struct sink *s = sink_open(spec, lim, err, errlen);
    if (s == NULL)
        return PS_ERR;
    pthread_mutex_lock(&o->lock);
    o->sinks[o->nsinks++] = s;
    pthread_mutex_unlock(&o->lock);
    return PS_OK;
}

struct eve_output *eve_output_open(const char *path, unsigned types, unsigned cid_seed,
                                   char *err, size_t errlen)
{
    struct eve_output *o = eve_output_create(types, cid_seed);
    if (o == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct sink_spec spec = {.kind = SINK_FILE, .truncate = true};
    if (strcmp(path, "-") == 0)
        spec.kind = SINK_STDOUT;
    snprintf(spec.target, sizeof(spec.target), "%s", path);
    snprintf(spec.name, sizeof(spec.name), "%s", path);
    const struct sink_limits lim = {0}; /* direct sinks have no queue */
    if (eve_output_add_sink(o, &spec, &lim, err, errlen) != PS_OK) {
        eve_output_close(o);
        return NULL;
    }
    return o;
}

void eve_output_reopen(struct eve_output *o)
{
    for (unsigned i = 0; i < o->nsinks; i++)
        sink_request_reopen(o->sinks[i]);
}

void eve_output_drain(struct eve_output *o)
{
    for (unsigned i = 0; i < o->nsinks; i++)
        sink_drain_begin(o->sinks[i]);
    for (unsigned i = 0; i < o->nsinks; i++)
        sink_drain(o->sinks[i]);
}

unsigned eve_output_sink_count(const struct eve_output *o)
{
    return o->nsinks;
}

const char *eve_output_sink_stats(struct eve_output *o, unsigned i, struct sink_stats *st)
{
    *st = sink_stats(o->sinks[i]);
    return sink_name(o->sinks[i]);
}

void eve_output_set_file_names(struct eve_output *o, eve_file_name_fn fn, const void *src)
{
    o->file_name = fn;
    o->file_src = src;
}

void eve_output_set_in_iface(struct eve_output *o, bool is_iface)
{
    o->file_is_iface = is_iface;
}

bool eve_output_wants(const struct eve_output *o, enum eve_type t)
{
    return (o->types & t) != 0;
}

int eve_http_headers_parse(const char *value, unsigned *mask, char *err, size_t errlen)
{
    static const char *names[] = {"none", "request", "response", "both"};
    for (unsigned i = 0; i < PS_ARRAY_LEN(names); i++) {
        if (strcmp(value, names[i]) == 0) {
            *mask = i;
            return PS_OK;
        }
    }
    snprintf(err, errlen, "--http-headers: '%s' is not none, request, response or both", value);
    return PS_ERR;
}

void eve_output_set_http_headers(struct eve_output *o, unsigned mask)
{
    o->http_headers = mask;
}

unsigned eve_output_http_headers(const struct eve_output *o)
{
    return o->http_headers;
}

struct eve_output *eve_thread_output(struct eve_thread *t)
{
    return t->out;
}

struct eve_output_stats eve_output_stats(struct eve_output *o)
{
    pthread_mutex_lock(&o->lock);
    struct eve_output_stats st = o->st;
    pthread_mutex_unlock(&o->lock);
    st.lost = 0;
    for (unsigned i = 0; i < o->nsinks; i++)
        st.lost += sink_stats(o->sinks[i]).dropped;
    return st;
}

int eve_output_stop(struct eve_output *o)
{
    int rc = PS_OK;
    if (o->stopped)
        return rc;
    /* Wait for every queue first (the waits overlap), then stop each sink. */
    eve_output_drain(o);
    for (unsigned i = 0; i < o->nsinks; i++) {
        if (sink_stop(o->sinks[i]) != PS_OK)
            rc = PS_ERR;
    }
    o->stopped = true;
    return rc;
}

int eve_output_close(struct eve_output *o)
{
    if (o == NULL)
        return PS_OK;
    int rc = eve_output_stop(o);
    struct eve_output_stats st = eve_output_stats(o);
    if (st.lost > 0 || st.too_large > 0)
        rc = PS_ERR;
    for (unsigned i = 0; i < o->nsinks; i++)
        sink_close(o->sinks[i]);
    pthread_mutex_destroy(&o->lock);
    free(o);
    return rc;
}

struct eve_thread *eve_thread_create(struct eve_output *o)
{
    struct eve_thread *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->out = o;
    t->cap = 256 * 1024;
    t->buf = malloc(t->cap);
    if (t->buf == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void eve_thread_flush(struct eve_thread *t)
{
    if (t->len == 0)
        return;
    struct eve_output *o = t->out;
    struct sink_chunk *shared = NULL;
    pthread_mutex_lock(&o->lock);
    for (unsigned i = 0; i < o->nsinks; i++)
        sink_put(o->sinks[i], t->buf, t->len, t->lines, &shared);
    o->st.events += t->lines;
    o->st.bytes += t->len;
    pthread_mutex_unlock(&o->lock);
    sink_chunk_release(shared);
    t->len = 0;
    t->lines = 0;
}

void eve_thread_destroy(struct eve_thread *t)
{
    if (t == NULL)
        return;
    eve_thread_flush(t);
    free(t->buf);
    free(t);
}

static bool eve_thread_reserve(struct eve_thread *t, size_t need)
{
    if (t->len + need <= t->cap)
        return true;
    eve_thread_flush(t);
    if (need <= t->cap)
        return true;
    if (need > EVE_LINE_MAX)
        return false;
    size_t cap = t->cap;
    while (cap < need)
        cap *= 2;
    char *b = realloc(t->buf, cap);
    if (b == NULL)
        return false;
    t->buf = b;
    t->cap = cap;
    return true;
}

void eve_thread_emit(struct eve_thread *t, json_t *ev)
{
    /* Serialise straight into the buffer; only a line that does not fit in
     * what is left is serialised a second time, after making room.
     * eve_dump writes what json_dumpb(JSON_COMPACT | JSON_ENSURE_ASCII)
     * would, faster. */
    size_t room = t->cap - t->len;
    size_t need = eve_dump(ev, t->buf + t->len, room > 0 ? room - 1 : 0);
    if (need != 0 && need + 1 > room) {
        if (eve_thread_reserve(t, need + 1))
            need = eve_dump(ev, t->buf + t->len, need);
        else
            need = 0;
    }
    json_decref(ev);
    if (need == 0) {
        pthread_mutex_lock(&t->out->lock);
        t->out->st.too_large++;
        pthread_mutex_unlock(&t->out->lock);
        return;
    }
    t->len += need;
    t->buf[t->len++] = '\n';
    t->lines++;
    if (t->len >= EVE_BUF_FLUSH)
        eve_thread_flush(t);
}

void eve_time_format(ps_time_t ts, char out[EVE_TIME_LEN])
{
    time_t secs = (time_t)(ts / PS_USEC_PER_SEC);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, EVE_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, EVE_TIME_LEN - n, ".%06u+0000", (unsigned)(ts % PS_USEC_PER_SEC));
}

void eve_addr_format(uint8_t ip_ver, const struct ps_addr *a, char out[64])
{
    if (inet_ntop(ip_ver == 6 ? AF_INET6 : AF_INET, a->b, out, 64) == NULL)
        out[0] = '\0';
}

const char *eve_proto_name(uint8_t proto, char buf[8])
{
    switch (proto) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
    default: snprintf(buf, 8, "%u", proto); return buf;
    }
}

json_t *eve_event_plain(const char *type, ps_time_t ts)
{
    char tbuf[EVE_TIME_LEN];
    json_t *ev = json_object();
    if (ev == NULL)
        return NULL;
    eve_time_format(ts, tbuf);
    json_object_set_new(ev, "timestamp", json_string(tbuf));
    json_object_set_new(ev, "event_type", json_string(type));
    return ev;
}

json_t *eve_event_for_flow(struct eve_thread *t, const char *type, ps_time_t ts,
                           const struct flow *f, bool to_client)
{
    char tbuf[EVE_TIME_LEN], a[64], b[64], pbuf[8], cid[HASH_COMMUNITY_ID_LEN];
    json_t *ev = json_object();
    if (ev == NULL)
        return NULL;
    const struct ps_addr *src = to_client ? &f->dst : &f->src;
    const struct ps_addr *dst = to_client ? &f->src : &f->dst;
    uint16_t sport = to_client ? f->dport : f->sport, dport = to_client ? f->sport : f->dport;
    bool icmp = f->proto == 1 || f->proto == 58;

    eve_time_format(ts, tbuf);
    eve_addr_format(f->ip_ver, src, a);
    eve_addr_format(f->ip_ver, dst, b);
    json_object_set_new(ev, "timestamp", json_string(tbuf));
    json_object_set_new(ev, "flow_id", json_integer((json_int_t)f->flow_id));
    json_object_set_new(ev, "event_type", json_string(type));
    if (f->vlan != 0)
        json_object_set_new(ev, "vlan", json_pack("[i]", (int)f->vlan));
    json_object_set_new(ev, "src_ip", json_string(a));
    if (!icmp)
        json_object_set_new(ev, "src_port", json_integer(sport));
    json_object_set_new(ev, "dest_ip", json_string(b));
    if (!icmp)
        json_object_set_new(ev, "dest_port", json_integer(dport));
    json_object_set_new(ev, "proto", json_string(eve_proto_name(f->proto, pbuf)));
    if (icmp) {
        json_object_set_new(ev, "icmp_type", json_integer(f->icmp_type));
        json_object_set_new(ev, "icmp_code", json_integer(f->icmp_code));
    }
    hash_community_id((uint16_t)t->out->cid_seed, f->ip_ver, &f->src, &f->dst,
                      icmp ? f->icmp_type : f->sport, icmp ? f->icmp_code : f->dport, f->proto,
                      cid);
    json_object_set_new(ev, "community_id", json_string(cid));
    return ev;
}

void eve_event_finish(struct eve_thread *t, json_t *ev, const struct flow *f)
{
    struct eve_output *o = t->out;
    if (o->file_name != NULL && f != NULL)
        json_object_set_new(ev, o->file_is_iface ? "in_iface" : "pcap_filename",
                            json_string(o->file_name(o->file_src, f->file_idx)));
}

/* jansson refuses invalid UTF-8; bytes >= 0x80 are mapped one to one to
 * U+0080..U+00FF (Latin-1), so nothing from the wire is lost or rejected. */
json_t *eve_json_bytes(struct ps_slice s)
{
    json_t *j = json_stringn((const char *)s.ptr, s.len);
    if (j != NULL)
        return j;
    char *buf = malloc(s.len * 2 + 1);
    if (buf == NULL)
        return json_string("");
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c < 0x80) {
            buf[n++] = (char)c;
        } else {
            buf[n++] = (char)(0xC0 | (c >> 6));
            buf[n++] = (char)(0x80 | (c & 0x3F));
        }
    }
    j = json_stringn(buf, n);
    free(buf);
    return j ? j : json_string("");
}
