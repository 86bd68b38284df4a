/*
 * hash.h - flow identity: the symmetric flow hash used by dispatch and the
 * flow table, the 64-bit flow_id, and Community ID v1; and the byte
 * hashes other modules use (a fast fingerprint, SHA-1, SHA-256).
 */
#ifndef PS_HASH_H
#define PS_HASH_H

#include "common.h"
#include "packet.h"

/* Same value for both directions of a 5-tuple (addresses, ports, protocol,
 * outermost VLAN). Deterministic across runs and thread counts. */
uint32_t hash_flow(const struct packet *p);

/* flow_id for a flow whose client is src:sport, started at `start`.
 * Direction-independent, deterministic, and cut to 51 bits as Suricata does
 * so JavaScript consumers keep it exact. Never 0. */
uint64_t hash_flow_id(uint8_t ip_ver, const struct ps_addr *src, const struct ps_addr *dst,
                      uint16_t sport, uint16_t dport, uint8_t proto, ps_time_t start);

/* Community ID v1 ("1:" + base64(sha1(...))) into out (at least
 * HASH_COMMUNITY_ID_LEN bytes, NUL-terminated). For ICMP, sport/dport carry
 * type and code as the packet view does. */
#define HASH_COMMUNITY_ID_LEN 32
void hash_community_id(uint16_t seed, uint8_t ip_ver, const struct ps_addr *src,
                       const struct ps_addr *dst, uint16_t sport, uint16_t dport, uint8_t proto,
                       char out[HASH_COMMUNITY_ID_LEN]);

/* A fast 64-bit fingerprint of n bytes: it tells changed data from the
 * same data (a retransmission, a damaged file), guarding against
 * accidents, not adversaries. Any change confined to one 8-byte word
 * (counted from the start) changes the value. */
uint64_t hash_bytes64(const void *data, size_t n);

/* SHA-1 of len bytes into digest[20]. */
void hash_sha1(const uint8_t *data, size_t len, uint8_t digest[20]);

/* SHA-256 of len bytes into digest[32] (hash_sha256.c). */
void hash_sha256(const uint8_t *data, size_t len, uint8_t digest[32]);

#endif
