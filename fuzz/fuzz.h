/*
 * fuzz.h - what the libFuzzer targets share: a reader that takes typed
 * values off the fuzzer's input (zeros once it runs dry, so every input is
 * a valid program), an invariant check that aborts, and the engine
 * pipeline (HTTP -> inspect -> detect -> EVE) the HTTP and iCalendar
 * targets drive.
 */
#ifndef PS_FUZZ_H
#define PS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "http.h"

struct fz {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fz *z)
{
    if (z->n == 0)
        return 0;
    z->n--;
    return *z->p++;
}

static inline uint16_t fz_be16(struct fz *z)
{
    uint16_t hi = fz_u8(z);
    return (uint16_t)(hi << 8 | fz_u8(z));
}

static inline uint32_t fz_be32(struct fz *z)
{
    uint32_t hi = fz_be16(z);
    return hi << 16 | fz_be16(z);
}

/* Up to len bytes, borrowed from the input; *got says how many. */
static inline const uint8_t *fz_bytes(struct fz *z, size_t len, size_t *got)
{
    const uint8_t *p = z->p;
    *got = PS_MIN(len, z->n);
    z->p += *got;
    z->n -= *got;
    return p;
}

/* A broken invariant is a bug: make it a crash libFuzzer saves. */
#define FZ_CHECK(cond)                                                                 \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* Read every byte of a slice, so ASan sees a bad pointer or length. */
static inline unsigned fz_touch(struct ps_slice s)
{
    unsigned sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum += s.ptr[i];
    return sum;
}

/* --- fuzz_app.c: one HTTP connection through the real inspection --- */

/* The shipped rules compiled once, an EVE output to /dev/null, and an HTTP
 * connection whose transactions go through inspect (detect, ics with a
 * 64 KB calendar cap, redact, EVE), with every transaction accessor read
 * and checked on the way. */
struct fz_app;

struct fz_app *fz_app_create(uint64_t body_limit);
void fz_app_feed(struct fz_app *a, enum ps_dir dir, const uint8_t *data, size_t len);
void fz_app_gap(struct fz_app *a, enum ps_dir dir, uint64_t len);
/* Close the connection, check that every transaction was reported once
 * and released, free everything but the process-wide rules. */
void fz_app_finish(struct fz_app *a);

#endif
