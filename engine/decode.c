/*
 * decode.c - the decode stage's entry point: the decoder object, link-type
 * dispatch, per-packet counters, and the hand-over of datagrams rebuilt by
 * defrag.
 *
 * A fragment that completes a datagram is decoded in two steps: first as
 * itself (it is held, its anomalies counted), then the rebuilt datagram is
 * decoded as raw IP in its place. Doing the second step here, after the
 * layers have returned, keeps the layers free of recursion and lets the
 * datagram be counted like any packet.
 *
 * Counting: pkts/bytes/max_pkt_size count frames as captured; each layer
 * counts the headers it is handed, so a rebuilt datagram adds to ipv4/ipv6
 * and tcp/udp but not to the link counters. Each DECODE_INVALID adds one to
 * `invalid` and to exactly one reason (see decode_int.h).
 */
#include "decode.h"

#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "decode_int.h"

static const struct {
    int linktype;
    const char *name;
} decode_linktypes[] = {
    {LT_NULL, "NULL"},
    {LT_EN10MB, "EN10MB"},
    {LT_RAW_12, "RAW"},
    {LT_RAW_14, "RAW"},
    {LT_RAW, "RAW"},
    {LT_LOOP, "LOOP"},
    {LT_LINUX_SLL, "LINUX_SLL"},
    {LT_IPV4, "IPV4"},
    {LT_IPV6, "IPV6"},
    {LT_LINUX_SLL2, "LINUX_SLL2"},
};

static const char *const decode_reason_layers[] = {
#define DECODE_REASON_LAYER(id, layer, name) layer,
    DECODE_REASONS(DECODE_REASON_LAYER)
#undef DECODE_REASON_LAYER
};

static const char *const decode_reason_names[] = {
#define DECODE_REASON_NAME(id, layer, name) name,
    DECODE_REASONS(DECODE_REASON_NAME)
#undef DECODE_REASON_NAME
};

struct decoder *decoder_create(const struct decode_config *cfg)
{
    struct decoder *d = calloc(1, sizeof(*d));
    if (d == NULL)
        goto fail;
    d->defrag = defrag_create(cfg, &d->st);
    if (d->defrag == NULL)
        goto fail;
    return d;

fail:
    free(d);
    return NULL;
}

void decoder_destroy(struct decoder *d)
{
    if (d == NULL)
        return;
    defrag_destroy(d->defrag);
    free(d);
}

bool decode_linktype_supported(int linktype)
{
    for (size_t i = 0; i < PS_ARRAY_LEN(decode_linktypes); i++)
        if (decode_linktypes[i].linktype == linktype)
            return true;
    return false;
}

const char *decode_linktype_name(int linktype)
{
    for (size_t i = 0; i < PS_ARRAY_LEN(decode_linktypes); i++)
        if (decode_linktypes[i].linktype == linktype)
            return decode_linktypes[i].name;
    return "unsupported";
}

const char *decode_reason_layer(enum decode_reason r)
{
    return (unsigned)r < DECODE_REASON_MAX ? decode_reason_layers[r] : "unknown";
}

const char *decode_reason_name(enum decode_reason r)
{
    return (unsigned)r < DECODE_REASON_MAX ? decode_reason_names[r] : "unknown";
}

const struct decode_stats *decoder_stats(const struct decoder *d)
{
    return &d->st;
}

void decoder_expire(struct decoder *d, ps_time_t now)
{
    defrag_expire(d->defrag, now);
}

/* Clear everything decode sets, so no field survives from a previous use
 * of the packet slot. */
static void decode_reset_view(struct packet *p)
{
    p->flags = 0;
    p->ip_ver = 0;
    p->proto = 0;
    p->nvlan = 0;
    memset(p->vlan, 0, sizeof(p->vlan));
    memset(&p->src, 0, sizeof(p->src));
    memset(&p->dst, 0, sizeof(p->dst));
    p->sport = 0;
    p->dport = 0;
    p->l3_off = 0;
    p->l4_off = 0;
    p->payload_off = 0;
    p->payload_len = 0;
    p->tcp_seq = 0;
    p->tcp_ack = 0;
    p->tcp_win = 0;
    p->tcp_flags = 0;
    p->tcp_wscale = 0xff;
}

static enum decode_result decode_link(struct decoder *d, struct packet *p)
{
    switch (p->linktype) {
    case LT_EN10MB:
        return decode_l2_ethernet(d, p);
    case LT_LINUX_SLL:
        return decode_l2_sll(d, p);
    case LT_LINUX_SLL2:
        return decode_l2_sll2(d, p);
    case LT_NULL:
        return decode_l2_null(d, p, false);
    case LT_LOOP:
        return decode_l2_null(d, p, true);
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_RAW:
    case LT_IPV4:
    case LT_IPV6:
        return decode_l2_raw(d, p);
    default:
        /* capture refuses these; a caller that passes one gets nothing */
        return DECODE_NOFLOW;
    }
}

/* Close the books on one decoded packet: a reject keeps its single reason,
 * anything else gets its collected anomalies counted. */
static enum decode_result decode_finish(struct decoder *d, enum decode_result r)
{
    if (r == DECODE_INVALID) {
        d->st.invalid++;
        d->pending = 0;
        return r;
    }
    for (uint64_t m = d->pending; m != 0; m &= m - 1)
        d->st.reason[__builtin_ctzll(m)]++;
    d->pending = 0;
    return r;
}

/* Put the datagram defrag rebuilt in place of the fragment that completed
 * it, and decode it as raw IP. The VLAN tags of that last frame are kept so
 * the datagram hashes like the unfragmented packets of its flow. */
static enum decode_result decode_rebuilt(struct decoder *d, struct packet *p)
{
    uint8_t nvlan = p->nvlan;
    uint16_t vlan[PKT_MAX_VLAN];
    memcpy(vlan, p->vlan, sizeof(vlan));

    d->rebuilt = false;
    p->data = d->out.data;
    p->caplen = d->out.len;
    p->wirelen = d->out.len;
    p->linktype = DLT_RAW;
    p->wire_frames = d->out.wire_frames;
    p->wire_bytes = d->out.wire_bytes;
    decode_reset_view(p);
    p->flags = PKT_REASSEMBLED;
    p->nvlan = nvlan;
    memcpy(p->vlan, vlan, sizeof(vlan));

    enum decode_result r;
    if ((p->data[0] >> 4) == 4)
        r = decode_ip_v4(d, p, 0);
    else
        r = decode_ip_v6(d, p, 0);
    return decode_finish(d, r);
}

enum decode_result decode_packet(struct decoder *d, struct packet *p)
{
    decode_reset_view(p);
    d->st.pkts++;
    d->st.bytes += p->wirelen;
    if (p->wirelen > d->st.max_pkt_size)
        d->st.max_pkt_size = p->wirelen;
    d->pending = 0;
    d->rebuilt = false;

    enum decode_result r = decode_finish(d, decode_link(d, p));
    if (d->rebuilt)
        return decode_rebuilt(d, p);
    return r;
}
