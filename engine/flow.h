/*
 * flow.h - the per-worker flow table.
 *
 * Each worker owns one table, so nothing here takes a lock. A flow is keyed
 * by its 5-tuple (plus outer VLAN); both directions find the same entry.
 * Timeouts run on packet time. Memory is bounded by a memcap: when a new
 * flow does not fit, the least recently active flow is ended (reason
 * "forced") and counted as evicted.
 *
 * Every flow ends exactly once, through the table's end callback: by
 * timeout (flow_table_expire), eviction, TCP port reuse, or at the end of
 * input (flow_table_flush). The callback finishes whatever hangs off
 * `flow.app`, writes the flow event, and must not keep the pointer.
 */
#ifndef PS_FLOW_H
#define PS_FLOW_H

#include "common.h"
#include "packet.h"

enum flow_dir { FLOW_TOSERVER = 0, FLOW_TOCLIENT = 1 };

enum flow_state { FLOW_STATE_NEW = 0, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };

enum flow_end_reason {
    FLOW_END_TIMEOUT = 0,
    FLOW_END_FORCED,    /* evicted to make room under the memcap */
    FLOW_END_SHUTDOWN,  /* still open at the end of input */
    FLOW_END_TCP_REUSE, /* a new SYN on a closed flow's 5-tuple */
};

struct flow {
    /* Identity; src is the client: the sender of the first packet, or of
     * the SYN when the capture starts at a SYN/ACK. */
    struct ps_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto, ip_ver;
    uint16_t vlan; /* outermost VLAN id, 0 when none */
    uint32_t hash;
    uint64_t flow_id;

    ps_time_t start, last;
    uint64_t pkts[2], bytes[2]; /* indexed by enum flow_dir; bytes on the wire */
    uint8_t state;              /* enum flow_state */
    uint8_t tcp_flags[2];       /* OR of every TCP flag seen, per direction */
    uint8_t tcp_seen;           /* FLOW_SEEN_* handshake/teardown bits */
    bool alerted;
    uint32_t file_idx;  /* capture file of the last packet */
    uint8_t icmp_type, icmp_code;

    void *app; /* per-flow stream/app state, owned by the worker */

    /* table internals: bucket chain and activity list */
    struct flow *hnext, *lprev, *lnext;
    uint8_t list;
};

#define FLOW_SEEN_SYN 0x01
#define FLOW_SEEN_SYNACK 0x02
#define FLOW_SEEN_FIN_TS 0x04
#define FLOW_SEEN_FIN_TC 0x08
#define FLOW_SEEN_RST 0x10

struct flow_config {
    size_t memcap;             /* bytes of flow entries and hash buckets */
    uint32_t hash_size;        /* buckets; rounded up to a power of two */
    ps_time_t tcp_new, tcp_established, tcp_closed;
    ps_time_t udp_new, udp_established; /* also used for ICMP */
};

struct flow_stats {
    uint64_t total, tcp, udp, icmpv4, icmpv6;
    uint64_t active, active_max;
    uint64_t timeouts;      /* ended by timeout */
    uint64_t evicted;       /* ended by memcap eviction */
    uint64_t tcp_reuse;
    uint64_t memcap_refused; /* packets with no flow: nothing could be evicted */
    uint64_t end_new, end_established, end_closed; /* state when ended */
    uint64_t memuse, memcap;
};

typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end_reason why);

struct flow_table;

struct flow_table *flow_table_create(const struct flow_config *cfg, flow_end_fn on_end,
                                     void *ctx);
void flow_table_destroy(struct flow_table *ft); /* frees; ends nothing. NULL ok */

/*
 * Find or create the flow of a decoded packet (PKT_HAS_FLOW set), count the
 * packet in it and advance its state. *dir is set to the packet's direction.
 * NULL when the memcap refuses a new flow and nothing can be evicted
 * (counted in memcap_refused).
 */
struct flow *flow_table_get(struct flow_table *ft, const struct packet *p, enum flow_dir *dir);

/* End flows idle past their timeout at packet time `now`; at most `budget`
 * of them per call, so no packet pays for a whole-table sweep. Returns the
 * number ended. */
unsigned flow_table_expire(struct flow_table *ft, ps_time_t now, unsigned budget);

/* End every flow (reason shutdown): the end of input. */
void flow_table_flush(struct flow_table *ft);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);

const char *flow_state_name(enum flow_state s);
const char *flow_end_reason_name(enum flow_end_reason r);

#endif
