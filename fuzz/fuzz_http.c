/*
 * fuzz_http.c - the HTTP layer (parsers/http.h) with the inspection behind
 * it: two byte streams, the request side and the response side, fed in
 * chunks whose direction, size and holes the input chooses.
 *
 * Input: one config byte (body limit), then records
 *   ctl: bit0 direction (1 = to client), bit1 a gap instead of data,
 *        bits 2..7 the length (63: a 16-bit length follows)
 *   data: that many bytes (a gap takes none)
 */
#include "fuzz.h"

static const uint64_t body_limits[] = {0, 16, 4096, 1u << 20};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz z = {data, size};
    struct fz_app *a = fz_app_create(body_limits[fz_u8(&z) & 3]);
    while (z.n > 0) {
        uint8_t ctl = fz_u8(&z);
        enum ps_dir dir = (ctl & 1) ? PS_TOCLIENT : PS_TOSERVER;
        size_t len = ctl >> 2;
        if (len == 63)
            len = fz_be16(&z);
        if (ctl & 2) {
            fz_app_gap(a, dir, len + 1);
            continue;
        }
        size_t got;
        const uint8_t *p = fz_bytes(&z, len, &got);
        if (got > 0)
            fz_app_feed(a, dir, p, got);
    }
    fz_app_finish(a);
    return 0;
}
