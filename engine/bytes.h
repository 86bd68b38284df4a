/*
 * bytes.h - reading and writing wire fields.
 *
 * Packet bytes have no alignment guarantee, so a field is never read by
 * casting a byte pointer to a wider type: loads go through memcpy (one
 * instruction on every target we build for) and are converted from network
 * order here. Decoders first prove that a field lies inside the captured
 * bytes with bytes_fit(); the *_at() readers do both in one call.
 */
#ifndef PS_BYTES_H
#define PS_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "bytes.h needs the compiler's __BYTE_ORDER__ (gcc or clang)"
#endif

/* True when [off, off + n) lies inside a buffer of len bytes, without
 * overflowing on hostile offsets. */
static inline bool bytes_fit(uint32_t len, uint32_t off, uint32_t n)
{
    return off <= len && n <= len - off;
}

static inline uint16_t bytes_be16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap16(v);
#endif
    return v;
}

static inline uint32_t bytes_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/* Little-endian 32-bit load: BSD loopback headers written on x86 hosts. */
static inline uint32_t bytes_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline void bytes_put_be16(uint8_t *p, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap16(v);
#endif
    memcpy(p, &v, sizeof(v));
}

/* Checked readers: false (and *out untouched) when the field is not all
 * inside buf[0..len). */
static inline bool bytes_u8_at(const uint8_t *buf, uint32_t len, uint32_t off, uint8_t *out)
{
    if (!bytes_fit(len, off, 1))
        return false;
    *out = buf[off];
    return true;
}

static inline bool bytes_be16_at(const uint8_t *buf, uint32_t len, uint32_t off, uint16_t *out)
{
    if (!bytes_fit(len, off, 2))
        return false;
    *out = bytes_be16(buf + off);
    return true;
}

static inline bool bytes_be32_at(const uint8_t *buf, uint32_t len, uint32_t off, uint32_t *out)
{
    if (!bytes_fit(len, off, 4))
        return false;
    *out = bytes_be32(buf + off);
    return true;
}

#endif
