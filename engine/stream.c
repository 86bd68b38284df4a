/*
 * stream.c - TCP sessions: sequence tracking and packet intake (see
 * stream.h). stream_order.c decides when waiting data may go.
 *
 * Each direction maps sequence numbers to 64-bit offsets from its base:
 * ISN+1 from its SYN (or from the ack of the peer's SYN/ACK), else its
 * first packet carrying data or an ACK (a midstream pickup). A sequence
 * number is unwrapped against the next expected offset, so wrap-around
 * across 2^32 is invisible. Invariants per direction: every offset below
 * `next` was delivered or skipped exactly once; every stored segment
 * starts at or after `next`; nothing at or past the first FIN is taken.
 *
 * Intake: bytes below `next` are old (compared, then dropped); new bytes
 * at `next` that the ordering rule lets go are delivered straight from the
 * packet up to the first stored byte; everything else is copied into the
 * store. No allocation happens on the in-order path. A RST, or a FIN from
 * both sides, ends the conversation: what waits is flushed as at close.
 *
 * Counters: `overlap` counts packets with any byte already delivered or
 * stored, `retransmissions` those with every byte so; `ooo_segments` and
 * `ordering_waits` count packets copied past a hole / held by the rule.
 *
 * Limits: differing bytes in a retransmission of delivered data are seen
 * only for delivered chunks lying wholly inside the retransmitted part and
 * among the last STREAM_FP_RING chunks (each kept as offset, length and a
 * 64-bit hash); older or partly covered chunks pass unchecked, and so
 * would a deliberate hash collision.
 */
#include "stream_int.h"

#include "hash.h"

#include <stdlib.h>
#include <string.h>

static const char *const stream_event_names[STREAM_EV_MAX] = {
#define STREAM_EV_NAME(id, name) [STREAM_EV_##id] = name,
    STREAM_EVENTS(STREAM_EV_NAME)
#undef STREAM_EV_NAME
};

const char *stream_event_name(enum stream_event ev)
{
    if ((unsigned)ev >= STREAM_EV_MAX)
        return "unknown";
    return stream_event_names[ev];
}

struct stream_ctx *stream_ctx_create(const struct stream_config *cfg)
{
    struct stream_ctx *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return NULL;
    sc->cfg = *cfg;
    sc->mem.cap = cfg->memcap;
    sc->mem.use = &sc->stats.reassembly_memuse;
    sc->mem.use_max = &sc->stats.reassembly_memuse_max;
    return sc;
}

/* Sessions must be destroyed first: their stores charge this context. */
void stream_ctx_destroy(struct stream_ctx *sc)
{
    free(sc);
}

const struct stream_stats *stream_ctx_stats(const struct stream_ctx *sc)
{
    return &sc->stats;
}

/* Segments may use what sessions leave of the memcap. */
static void stream_session_charge(struct stream_ctx *sc, size_t n, bool add)
{
    if (add)
        sc->stats.session_memuse += n;
    else
        sc->stats.session_memuse -= PS_MIN((uint64_t)n, sc->stats.session_memuse);
    sc->mem.cap = sc->cfg.memcap - PS_MIN((uint64_t)sc->cfg.memcap, sc->stats.session_memuse);
}

size_t stream_session_cost(size_t user_size)
{
    return sizeof(struct tcp_session) + user_size;
}

struct tcp_session *stream_session_create_user(struct stream_ctx *sc, size_t user_size)
{
    size_t bytes = stream_session_cost(user_size);
    uint64_t used = sc->stats.session_memuse + sc->stats.reassembly_memuse;
    if (user_size > sc->cfg.memcap || used + bytes > sc->cfg.memcap)
        return NULL;
    struct tcp_session *ss = calloc(1, bytes);
    if (ss == NULL)
        return NULL;
    ss->charged = bytes;
    stream_session_charge(sc, bytes, true);
    sc->stats.sessions++;
    return ss;
}

struct tcp_session *stream_session_create(struct stream_ctx *sc)
{
    return stream_session_create_user(sc, 0);
}

void *stream_session_user(struct tcp_session *ss)
{
    return ss->user;
}

void stream_session_destroy(struct stream_ctx *sc, struct tcp_session *ss)
{
    if (ss == NULL)
        return;
    for (unsigned i = 0; i < 2; i++)
        stream_store_clear(&ss->dir[i].store, &sc->mem);
    stream_session_charge(sc, ss->charged, false);
    free(ss);
}

/* True when a remembered delivered range inside [off, off+len) differs. */
static bool stream_fp_differs(const struct stream_dir *d, uint64_t off, const uint8_t *data,
                              uint64_t len)
{
    for (unsigned i = 0; i < STREAM_FP_RING; i++) {
        const struct stream_fp *f = &d->fp[i];
        if (f->len == 0 || f->off < off || f->off + f->len > off + len)
            continue;
        if (hash_bytes64(data + (f->off - off), f->len) != f->hash)
            return true;
    }
    return false;
}

void stream_emit_data(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                      const uint8_t *data, uint32_t len)
{
    struct stream_dir *d = &ss->dir[dir];
    struct stream_fp *f = &d->fp[d->fp_pos++ % STREAM_FP_RING];
    f->off = d->next;
    f->len = len;
    f->hash = hash_bytes64(data, len);
    d->next += len;
    if (out->ops != NULL && out->ops->data != NULL)
        out->ops->data(out->ops->ctx, (enum ps_dir)dir, data, len, out->ts);
}

void stream_emit_gap(struct stream_out *out, struct tcp_session *ss, unsigned dir, uint64_t len)
{
    ss->dir[dir].next += len;
    out->sc->stats.reassembly_gap++;
    if (out->ops != NULL && out->ops->gap != NULL)
        out->ops->gap(out->ops->ctx, (enum ps_dir)dir, len, out->ts);
    stream_emit_event(out, dir, STREAM_EV_SEQ_GAP);
}

void stream_emit_event(struct stream_out *out, unsigned dir, enum stream_event ev)
{
    if (out->ops != NULL && out->ops->event != NULL)
        out->ops->event(out->ops->ctx, (enum ps_dir)dir, ev, out->ts);
}

static void stream_set_base(struct stream_dir *d, uint32_t seq)
{
    d->base_seq = seq;
    d->base_known = true;
}

/* SYN and SYN/ACK fix the bases; otherwise a direction is picked up from
 * its first packet that carries data or an ACK. */
static void stream_track_start(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                               const struct packet *p)
{
    struct stream_dir *d = &ss->dir[dir], *o = &ss->dir[!dir];
    uint8_t fl = p->tcp_flags;
    if (fl & TCP_SYN) {
        if (fl & TCP_ACK)
            out->sc->stats.synack++;
        else
            out->sc->stats.syn++;
        ss->handshake = true;
        if (!d->base_known)
            stream_set_base(d, p->tcp_seq + 1);
        if ((fl & TCP_ACK) && !o->base_known)
            stream_set_base(o, p->tcp_ack);
        return;
    }
    if (d->base_known || (fl & TCP_RST))
        return;
    if (p->payload_len == 0 && !(fl & (TCP_ACK | TCP_FIN)))
        return;
    stream_set_base(d, p->tcp_seq);
    if (!ss->handshake && !ss->midstream) {
        ss->midstream = true;
        out->sc->stats.midstream_pickups++;
        stream_emit_event(out, dir, STREAM_EV_MIDSTREAM);
    }
}

/* Copies bytes that cannot go now into the store and counts why they
 * wait; returns how many of them it already held. */
static uint32_t stream_store_data(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                                  uint64_t off, const uint8_t *data, uint32_t len,
                                  const struct packet *p, bool *differs)
{
    struct stream_ctx *sc = out->sc;
    struct stream_dir *d = &ss->dir[dir];
    struct stream_store_result res;
    bool has_ack = (p->tcp_flags & TCP_ACK) != 0;
    enum ps_rc rc =
        stream_store_insert(&d->store, &sc->mem, off, data, len, p->tcp_ack, has_ack, &res);
    if (res.conflict)
        *differs = true;
    if (res.covered < len) { /* something new: past a hole, or held by order */
        if (off > d->next)
            sc->stats.ooo_segments++;
        else
            sc->stats.ordering_waits++;
    }
    if (rc == PS_NOMEM) {
        sc->stats.segment_memcap_drop++;
        if (!(ss->memcap_raised & (1u << dir))) {
            ss->memcap_raised |= (uint8_t)(1u << dir);
            stream_emit_event(out, dir, STREAM_EV_MEMCAP);
        }
    }
    return res.covered;
}

/* Stream offset and length of a packet's payload, trimmed to the part
 * that may still matter (not before the stream, not past a FIN). */
static bool stream_clip(const struct stream_dir *d, const struct packet *p, uint64_t *off,
                        const uint8_t **data, uint32_t *len)
{
    int64_t soff = stream_dir_offset(d, p->tcp_seq + ((p->tcp_flags & TCP_SYN) ? 1u : 0u));
    *data = packet_payload(p);
    *len = p->payload_len;
    if (soff < 0) {
        if ((uint64_t)-soff >= *len)
            return false;
        *data += -soff;
        *len -= (uint32_t)-soff;
        soff = 0;
    }
    *off = (uint64_t)soff;
    if (d->fin && *off + *len > d->fin_off) {
        if (*off >= d->fin_off)
            return false;
        *len = (uint32_t)(d->fin_off - *off);
    }
    return true;
}

/* Whether new bytes at `off` may be delivered from the packet now. */
static bool stream_may_go(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                          uint64_t off, uint32_t len, const struct packet *p)
{
    const struct stream_dir *d = &ss->dir[dir];
    const struct stream_seg *h = d->store.head;
    if (off != d->next || (h != NULL && h->off <= off))
        return false;
    if (stream_order_ready(ss, dir, (p->tcp_flags & TCP_ACK) != 0, p->tcp_ack))
        return true;
    const struct stream_mem *mem = &out->sc->mem;
    if (*mem->use + stream_store_cost(len) <= mem->cap)
        return false;
    /* it ought to wait but cannot be kept: better out of order than lost */
    stream_emit_event(out, dir, STREAM_EV_WAIT_LIMIT);
    return true;
}

/* The data path for one packet; the direction's base is known. */
static void stream_take_data(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                             const struct packet *p)
{
    struct stream_ctx *sc = out->sc;
    struct stream_dir *d = &ss->dir[dir];
    const uint8_t *data;
    uint64_t off;
    uint32_t len;
    if (!stream_clip(d, p, &off, &data, &len))
        return;

    uint32_t total = len, seen = 0;
    bool differs = false;
    if (off < d->next) { /* already delivered or skipped: first data wins */
        seen = (uint32_t)PS_MIN((uint64_t)len, d->next - off);
        differs = stream_fp_differs(d, off, data, seen);
        data += seen;
        len -= seen;
        off += seen;
    }
    if (len > 0 && stream_may_go(out, ss, dir, off, len, p)) {
        /* zero copy, up to the first byte the store already holds */
        const struct stream_seg *h = d->store.head;
        uint32_t now = h != NULL ? (uint32_t)PS_MIN((uint64_t)len, h->off - off) : len;
        stream_emit_data(out, ss, dir, data, now);
        data += now;
        len -= now;
        off += now;
    }
    if (len > 0)
        seen += stream_store_data(out, ss, dir, off, data, len, p, &differs);

    if (seen > 0)
        sc->stats.overlap++;
    if (seen == total)
        sc->stats.retransmissions++;
    if (differs) {
        sc->stats.overlap_diff_data++;
        stream_emit_event(out, dir, STREAM_EV_OVERLAP_DIFF);
    }
}

static void stream_mark_fin(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                            const struct packet *p)
{
    struct stream_dir *d = &ss->dir[dir];
    if (d->fin)
        return; /* the first FIN wins */
    int64_t end = stream_dir_offset(d, p->tcp_seq + ((p->tcp_flags & TCP_SYN) ? 1u : 0u));
    end += p->payload_len;
    d->fin = true;
    d->fin_off = PS_MAX(end > 0 ? (uint64_t)end : 0, d->next);
    stream_store_truncate(&d->store, &out->sc->mem, d->fin_off);
}

void stream_handle_packet(struct stream_ctx *sc, struct tcp_session *ss, enum ps_dir pdir,
                          const struct packet *p, const struct stream_ops *ops)
{
    if (sc == NULL || ss == NULL || p == NULL)
        return;
    struct stream_out out = {.sc = sc, .ops = ops, .ts = p->ts};
    unsigned dir = pdir == PS_TOCLIENT ? 1 : 0;
    struct stream_dir *d = &ss->dir[dir], *o = &ss->dir[!dir];
    uint8_t fl = p->tcp_flags;

    stream_track_start(&out, ss, dir, p);

    /* An ACK past a hole of the other side: its receiver has those bytes. */
    uint64_t ack_to[2] = {0, 0};
    if ((fl & TCP_ACK) && o->base_known) {
        int64_t a = stream_dir_offset(o, p->tcp_ack);
        if (a > (int64_t)o->next && (uint64_t)a - o->next <= STREAM_ACK_SANE)
            ack_to[!dir] = o->fin ? PS_MIN((uint64_t)a, o->fin_off) : (uint64_t)a;
    }

    /* first let the other side move, so this packet's data may go zero copy */
    stream_order_settle(&out, ss, ack_to, false);
    if (fl & TCP_RST)
        sc->stats.rst++;
    else if (p->payload_len > 0 && p->data != NULL && d->base_known)
        stream_take_data(&out, ss, dir, p);
    if ((fl & TCP_FIN) && !(fl & TCP_RST) && d->base_known)
        stream_mark_fin(&out, ss, dir, p);

    stream_order_settle(&out, ss, ack_to, false);
    /* The conversation is over: nothing still missing will come. */
    if ((fl & TCP_RST) || (d->fin && o->fin))
        stream_order_flush(&out, ss);
}

void stream_session_close(struct stream_ctx *sc, struct tcp_session *ss, ps_time_t now,
                          const struct stream_ops *ops)
{
    if (sc == NULL || ss == NULL)
        return;
    struct stream_out out = {.sc = sc, .ops = ops, .ts = now};
    stream_order_flush(&out, ss);
}
