/*
 * config.h - every tunable of the engine, in one declarative table.
 *
 * Each knob has a name (also its command-line option, --NAME=VALUE), a
 * kind (count, size with K/M/G suffix, seconds), a range, a default and a
 * help line. --help and the README's limits table are generated from the
 * same table, so they cannot drift from the code.
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stdio.h>

#include "common.h"

struct ps_config {
    unsigned threads;
    unsigned batches_per_worker;
    size_t flow_memcap;
    unsigned flow_hash_size;
    unsigned tcp_timeout_new, tcp_timeout_established, tcp_timeout_closed;
    unsigned udp_timeout_new, udp_timeout_established;
    size_t defrag_memcap;
    unsigned defrag_timeout;
    unsigned defrag_max_frags;
    size_t stream_memcap;
    size_t stream_gap_bound;
    size_t http_body_limit;
    size_t http_decompress_limit;
    unsigned http_max_open_tx;
    size_t http_memcap;
    size_t ics_max_size;
    unsigned token_reuse_window;
    size_t token_reuse_memcap;
    size_t ics_memcap;
    unsigned community_id_seed;
    unsigned stats_interval;
    unsigned snaplen;
    size_t buffer_size;
    /* EVE sinks (sink.h): bounds of each network sink's queue */
    unsigned eve_queue_size;
    size_t eve_queue_memcap;
    unsigned eve_drain_timeout, eve_reconnect_max;
};

enum config_kind { CONFIG_COUNT, CONFIG_SIZE, CONFIG_SECONDS };

struct config_knob {
    const char *name;
    enum config_kind kind;
    size_t offset; /* of an unsigned (COUNT, SECONDS) or size_t (SIZE) in ps_config */
    unsigned long long min, max, def;
    const char *help;
};

/* Fill cfg with every default (threads: the number of online cores). */
void config_defaults(struct ps_config *cfg);

/* The knob table, terminated by a NULL name. */
const struct config_knob *config_knobs(void);

/* Set knob `name` from text. PS_ERR with a message in err (value, range)
 * when the value does not parse or is out of range. */
int config_set(struct ps_config *cfg, const char *name, const char *value, char *err,
               size_t errlen);

/* One help line per knob: "  --NAME=KIND  help (default D, range A..B)". */
void config_print_help(FILE *out);

#endif
