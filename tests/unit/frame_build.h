/*
 * frame_build.h - byte-by-byte frame building for the unit tests of the
 * decode stage (decode, defrag). Header-only and test-only: values are
 * written in network byte order, one field at a time, so each test reads
 * like the packet layout it builds.
 */
#ifndef PS_TEST_FRAME_BUILD_H
#define PS_TEST_FRAME_BUILD_H

#include <stdint.h>
#include <string.h>

struct frame {
    uint8_t b[2048];
    uint32_t n;
};

static inline void fr_u8(struct frame *f, uint8_t v)
{
    f->b[f->n++] = v;
}

static inline void fr_be16(struct frame *f, uint16_t v)
{
    fr_u8(f, (uint8_t)(v >> 8));
    fr_u8(f, (uint8_t)v);
}

static inline void fr_be32(struct frame *f, uint32_t v)
{
    fr_be16(f, (uint16_t)(v >> 16));
    fr_be16(f, (uint16_t)v);
}

static inline void fr_bytes(struct frame *f, const void *p, uint32_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static inline void fr_zero(struct frame *f, uint32_t n)
{
    memset(f->b + f->n, 0, n);
    f->n += n;
}

#endif
