/*
 * config.c - the knob table (see config.h). Defaults are chosen so one
 * worker stays within a few hundred MiB on any input: every memcap below
 * is per worker unless its help line says otherwise.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define GIB (1024ULL * 1024 * 1024)
#define OFF(f) offsetof(struct ps_config, f)

static const struct config_knob knobs[] = {
    {"threads", CONFIG_COUNT, OFF(threads), 1, 256, 0,
     "worker threads (default: the number of cores); 1 runs everything on one thread"},
    {"batches-per-worker", CONFIG_COUNT, OFF(batches_per_worker), 2, 1024, 32,
     "packet batches in flight per worker (each holds up to 512 KiB of copied frames)"},
    {"flow-memcap", CONFIG_SIZE, OFF(flow_memcap), 1 * MIB, 64 * GIB, 128 * MIB,
     "memory for flow entries, split evenly across workers; the oldest idle flow is evicted when full"},
    {"flow-hash-size", CONFIG_COUNT, OFF(flow_hash_size), 1024, 1U << 26, 65536,
     "flow hash buckets per worker (rounded up to a power of two)"},
    {"tcp-timeout-new", CONFIG_SECONDS, OFF(tcp_timeout_new), 1, 86400, 60,
     "idle seconds before a TCP flow without a completed handshake ends"},
    {"tcp-timeout-established", CONFIG_SECONDS, OFF(tcp_timeout_established), 1, 864000, 600,
     "idle seconds before an established TCP flow ends"},
    {"tcp-timeout-closed", CONFIG_SECONDS, OFF(tcp_timeout_closed), 1, 86400, 60,
     "idle seconds before a closed (FIN/RST) TCP flow ends"},
    {"udp-timeout-new", CONFIG_SECONDS, OFF(udp_timeout_new), 1, 86400, 30,
     "idle seconds before a one-way UDP or ICMP flow ends"},
    {"udp-timeout-established", CONFIG_SECONDS, OFF(udp_timeout_established), 1, 864000, 300,
     "idle seconds before a two-way UDP or ICMP flow ends"},
    {"defrag-memcap", CONFIG_SIZE, OFF(defrag_memcap), 64 * KIB, 16 * GIB, 32 * MIB,
     "memory for IP fragments waiting for the rest of their datagram"},
    {"defrag-timeout", CONFIG_SECONDS, OFF(defrag_timeout), 1, 3600, 60,
     "seconds a partial datagram may wait for its missing fragments"},
    {"defrag-max-frags", CONFIG_COUNT, OFF(defrag_max_frags), 2, 65535, 256,
     "fragments allowed per datagram; more drops the datagram"},
    {"stream-memcap", CONFIG_SIZE, OFF(stream_memcap), 1 * MIB, 64 * GIB, 256 * MIB,
     "memory for TCP sessions and out-of-order TCP data, "
     "split evenly across workers; a new session or segment that does not fit is dropped"},
    {"stream-gap-bound", CONFIG_SIZE, OFF(stream_gap_bound), 1 * KIB, 1 * GIB, 256 * KIB,
     "bytes of later data that may wait behind a hole in a TCP stream before the hole is skipped"},
    {"http-body-limit", CONFIG_SIZE, OFF(http_body_limit), 0, 1 * GIB, 1 * MIB,
     "decoded body bytes inspected per HTTP transaction and direction; 0 means no limit"},
    {"http-decompress-limit", CONFIG_SIZE, OFF(http_decompress_limit), 64 * KIB, 4 * GIB, 50 * MIB,
     "decompressed bytes allowed per compressed HTTP body; past it the rest is not inflated "
     "and a COMPRESSION_BOMB anomaly is raised"},
    {"http-max-open-tx", CONFIG_COUNT, OFF(http_max_open_tx), 1, 1U << 20, 1024,
     "HTTP transactions parsed but not yet complete (requests waiting for their responses) "
     "per connection; past it the connection is no longer parsed (TOO_MANY_TRANSACTIONS)"},
    {"http-memcap", CONFIG_SIZE, OFF(http_memcap), 64 * KIB, 64 * GIB, 256 * MIB,
     "header bytes held by HTTP transactions not yet complete, split evenly across workers; "
     "a connection whose headers do not fit is no longer parsed (stats http.memcap)"},
    {"ics-max-size", CONFIG_SIZE, OFF(ics_max_size), 4 * KIB, 256 * MIB, 1 * MIB,
     "calendar bytes collected per HTTP body for parsing; a longer calendar is counted and "
     "the part read is parsed"},
    {"token-reuse-window", CONFIG_SECONDS, OFF(token_reuse_window), 1, 604800, 3600,
     "packet-time seconds within which two clients fetching the same token-bearing URL "
     "count as reuse (plainsight.token_reuse)"},
    {"token-reuse-memcap", CONFIG_SIZE, OFF(token_reuse_memcap), 1 * MIB, 4 * GIB, 16 * MIB,
     "memory for the token-reuse table, shared by all workers; the least recently fetched "
     "token is evicted when full"},
    {"ics-memcap", CONFIG_SIZE, OFF(ics_memcap), 64 * KIB, 64 * GIB, 64 * MIB,
     "memory for calendars waiting for their transaction to end, split evenly across "
     "workers; a calendar that finds no room is cut there (counted truncated)"},
    {"community-id-seed", CONFIG_COUNT, OFF(community_id_seed), 0, 65535, 0,
     "seed of the Community ID flow hash"},
    {"stats-interval", CONFIG_SECONDS, OFF(stats_interval), 0, 86400, 60,
     "seconds of wall time between stats events; 0 writes them only at the end. The default "
     "applies to live capture (-i); reading files it is 0 unless given"},
    {"snaplen", CONFIG_COUNT, OFF(snaplen), 64, 262144, 262144,
     "live capture: bytes kept of each frame; longer frames are cut and counted truncated"},
    {"buffer-size", CONFIG_SIZE, OFF(buffer_size), 0, 1 * GIB, 64 * MIB,
     "live capture: kernel buffer holding frames not yet read; a larger one rides out bursts "
     "(drops show as capture.kernel_drops); 0 keeps libpcap's default (2M)"},
    {"eve-queue-size", CONFIG_COUNT, OFF(eve_queue_size), 1, 1U << 24, 65536,
     "events each network sink (socket, syslog, Redis) holds while it is slow or down; "
     "events that do not fit are dropped and counted"},
    {"eve-queue-memcap", CONFIG_SIZE, OFF(eve_queue_memcap), 64 * KIB, 16 * GIB, 64 * MIB,
     "bytes of events each network sink holds at most (with --eve-queue-size)"},
    {"eve-drain-timeout", CONFIG_SECONDS, OFF(eve_drain_timeout), 0, 3600, 5,
     "at exit, seconds a network sink may go without delivering before its queued events "
     "are counted as dropped"},
    {"eve-reconnect-max", CONFIG_SECONDS, OFF(eve_reconnect_max), 1, 3600, 10,
     "longest wait between two connection attempts of a network sink (the wait doubles "
     "from 0.1 s)"},
    {NULL, 0, 0, 0, 0, 0, NULL},
};

const struct config_knob *config_knobs(void)
{
    return knobs;
}

static void config_store(struct ps_config *cfg, const struct config_knob *k,
                         unsigned long long v)
{
    char *field = (char *)cfg + k->offset;
    if (k->kind == CONFIG_SIZE) {
        size_t s = (size_t)v;
        memcpy(field, &s, sizeof(s));
    } else {
        unsigned u = (unsigned)v;
        memcpy(field, &u, sizeof(u));
    }
}

void config_defaults(struct ps_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const struct config_knob *k = knobs; k->name != NULL; k++)
        config_store(cfg, k, k->def);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = n > 0 ? (unsigned)n : 1;
}

/* "64M" -> 67108864; binary multiples, as memcaps are usually written. */
static int config_parse_number(const char *s, bool size, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return PS_ERR;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return PS_ERR;
    unsigned long long mult = 1;
    if (size && *end != '\0') {
        switch (*end) {
        case 'k': case 'K': mult = KIB; break;
        case 'm': case 'M': mult = MIB; break;
        case 'g': case 'G': mult = GIB; break;
        default: return PS_ERR;
        }
        end++;
        if (*end == 'i' || *end == 'B')
            end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    }
    if (*end != '\0' || v > ~0ULL / mult)
        return PS_ERR;
    *out = v * mult;
    return PS_OK;
}

int config_set(struct ps_config *cfg, const char *name, const char *value, char *err,
               size_t errlen)
{
    for (const struct config_knob *k = knobs; k->name != NULL; k++) {
        if (strcmp(k->name, name) != 0)
            continue;
        unsigned long long v;
        if (config_parse_number(value, k->kind == CONFIG_SIZE, &v) != PS_OK) {
            snprintf(err, errlen, "--%s: '%s' is not a %s", name, value,
                     k->kind == CONFIG_SIZE ? "size (e.g. 64M)" : "whole number");
            return PS_ERR;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "--%s: %s is out of range %llu..%llu", name, value, k->min,
                     k->max);
            return PS_ERR;
        }
        config_store(cfg, k, v);
        return PS_OK;
    }
    snprintf(err, errlen, "unknown setting '%s'", name);
    return PS_ERR;
}

static void config_format(const struct config_knob *k, unsigned long long v, char *buf,
                          size_t len)
{
    if (k->kind == CONFIG_SIZE && v >= GIB && v % GIB == 0)
        snprintf(buf, len, "%lluG", v / GIB);
    else if (k->kind == CONFIG_SIZE && v >= MIB && v % MIB == 0)
        snprintf(buf, len, "%lluM", v / MIB);
    else if (k->kind == CONFIG_SIZE && v >= KIB && v % KIB == 0)
        snprintf(buf, len, "%lluK", v / KIB);
    else
        snprintf(buf, len, "%llu%s", v, k->kind == CONFIG_SECONDS ? "s" : "");
}

void config_print_help(FILE *out)
{
    static const char *kinds[] = {"N", "SIZE", "SECONDS"};
    for (const struct config_knob *k = knobs; k->name != NULL; k++) {
        char opt[64], def[32], lo[32], hi[32];
        snprintf(opt, sizeof(opt), "--%s=%s", k->name, kinds[k->kind]);
        config_format(k, k->min, lo, sizeof(lo));
        config_format(k, k->max, hi, sizeof(hi));
        if (k->def == 0 && strcmp(k->name, "threads") == 0)
            snprintf(def, sizeof(def), "cores");
        else
            config_format(k, k->def, def, sizeof(def));
        fprintf(out, "  %-34s %s\n  %-34s (default %s, range %s..%s)\n", opt, k->help, "", def,
                lo, hi);
    }
}
