/*
 * stream_order.c - when waiting data may go (see stream.h).
 *
 * The ordering rule: a segment of one direction that carries an ACK is
 * delivered only once the other direction has delivered (or skipped)
 * everything before the acknowledged offset, so a response never reaches
 * the parser ahead of the request it answers. While the other direction's
 * base is unknown the segment waits.
 *
 * Everything that cannot go yet sits in its direction's store. After each
 * packet, stream_order_settle() delivers whatever became ready in both
 * directions, then takes one forced step at a time until none applies:
 *   - a hole at the head of a store is skipped (ops->gap) when more than
 *     gap_bound bytes (or STREAM_MAX_SEGS segments) wait in that direction,
 *     or when the packet just handled acknowledges bytes past the hole (only
 *     that packet's ack: an earlier ack, seen before the data stored behind
 *     the hole, may come from a capture that merely reordered the two);
 *   - a head held by the rule, in a direction over the bound, makes the
 *     other direction give up what it is missing up to the ack: a never
 *     captured stretch becomes a gap, an unknown base is taken from the
 *     ack, and when both heads hold each other (no valid order exists) the
 *     held head goes first (STREAM_EV_WAIT_LIMIT).
 * Closing applies the same steps with every bound considered passed, the
 * rule-respecting ones before breaking a mutual hold, client side first.
 *
 * Every step delivers a segment, advances a direction's `next` or fixes an
 * unknown base, so the loops end; work per packet is bounded by what
 * became deliverable.
 */
#include "stream_int.h"

/* The offset of the other direction that `ack` requires, capped at its
 * FIN; an absurd ack requires nothing. */
static uint64_t stream_order_need(const struct stream_dir *o, uint32_t ack)
{
    int64_t a = stream_dir_offset(o, ack);
    if (a <= (int64_t)o->next)
        return o->next;
    uint64_t need = (uint64_t)a;
    if (o->fin && need > o->fin_off)
        need = PS_MAX(o->fin_off, o->next);
    if (need - o->next > STREAM_ACK_SANE)
        return o->next;
    return need;
}

bool stream_order_ready(const struct tcp_session *ss, unsigned dir, bool has_ack, uint32_t ack)
{
    if (!has_ack)
        return true;
    const struct stream_dir *o = &ss->dir[!dir];
    if (!o->base_known)
        return false;
    return stream_order_need(o, ack) <= o->next;
}

/* Hands on the head segment of `dir`, whatever precedes it in `next`. */
static void stream_order_deliver_head(struct stream_out *out, struct tcp_session *ss, unsigned dir)
{
    struct stream_dir *d = &ss->dir[dir];
    const struct stream_seg *s = d->store.head;
    if (s->off + s->len > d->next) {
        uint32_t skip = (uint32_t)(d->next - s->off);
        stream_emit_data(out, ss, dir, s->data + skip, s->len - skip);
    }
    stream_store_pop(&d->store, &out->sc->mem);
}

/* Delivers stored segments of `dir` that are contiguous and ready. */
static bool stream_order_pump(struct stream_out *out, struct tcp_session *ss, unsigned dir)
{
    struct stream_dir *d = &ss->dir[dir];
    bool moved = false;
    const struct stream_seg *s;
    while ((s = d->store.head) != NULL && s->off <= d->next) {
        bool stale = s->off + s->len <= d->next;
        if (!stale && !stream_order_ready(ss, dir, s->has_ack, s->ack))
            break;
        stream_order_deliver_head(out, ss, dir);
        moved = true;
    }
    return moved;
}

static bool stream_order_skip_hole(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                                   uint64_t ack_to, bool closing)
{
    struct stream_dir *d = &ss->dir[dir];
    const struct stream_seg *s = d->store.head;
    if (s == NULL || s->off <= d->next)
        return false;
    uint64_t to = s->off;
    if (!closing && !stream_dir_over_bound(out->sc, d)) {
        if (ack_to <= d->next)
            return false;
        to = PS_MIN(to, ack_to);
    }
    stream_emit_gap(out, ss, dir, to - d->next);
    return true;
}

/* One step that lets the held head of `dir` move; false when none may
 * be taken. A mutual hold is broken only when `break_cycle`. */
static bool stream_order_force(struct stream_out *out, struct tcp_session *ss, unsigned dir,
                               bool closing, bool break_cycle)
{
    struct stream_dir *d = &ss->dir[dir], *o = &ss->dir[!dir];
    const struct stream_seg *s = d->store.head;
    if (s == NULL || s->off > d->next || stream_order_ready(ss, dir, s->has_ack, s->ack))
        return false;
    if (!closing && !stream_dir_over_bound(out->sc, d))
        return false;

    if (!o->base_known) {
        /* never seen: the other side starts where this ack says */
        o->base_seq = s->ack;
        o->base_known = true;
    } else {
        uint64_t need = stream_order_need(o, s->ack);
        const struct stream_seg *os = o->store.head;
        if (os == NULL || os->off > o->next)
            stream_emit_gap(out, ss, !dir, PS_MIN(need, os != NULL ? os->off : need) - o->next);
        else if (break_cycle)
            stream_order_deliver_head(out, ss, dir);
        else
            return false;
    }
    if (!closing)
        stream_emit_event(out, dir, STREAM_EV_WAIT_LIMIT);
    return true;
}

static bool stream_order_step(struct stream_out *out, struct tcp_session *ss,
                              const uint64_t ack_to[2], bool closing)
{
    for (unsigned dir = 0; dir < 2; dir++)
        if (stream_order_skip_hole(out, ss, dir, ack_to[dir], closing))
            return true;
    for (unsigned pass = 0; pass < 2; pass++)
        for (unsigned dir = 0; dir < 2; dir++)
            if (stream_order_force(out, ss, dir, closing, pass == 1))
                return true;
    return false;
}

void stream_order_settle(struct stream_out *out, struct tcp_session *ss, const uint64_t ack_to[2],
                         bool closing)
{
    do {
        bool moved;
        do {
            moved = stream_order_pump(out, ss, 0);
            moved = stream_order_pump(out, ss, 1) || moved;
        } while (moved);
    } while (stream_order_step(out, ss, ack_to, closing));
}

void stream_order_flush(struct stream_out *out, struct tcp_session *ss)
{
    const uint64_t none[2] = {0, 0};
    stream_order_settle(out, ss, none, true);
    /* a FIN past the last byte seen: the end of the stream went missing */
    for (unsigned dir = 0; dir < 2; dir++) {
        struct stream_dir *d = &ss->dir[dir];
        if (d->fin && d->fin_off > d->next)
            stream_emit_gap(out, ss, dir, d->fin_off - d->next);
    }
}
