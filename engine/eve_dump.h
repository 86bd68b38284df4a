/*
 * eve_dump.h - serialise an EVE event: the bytes json_dumpb() writes with
 * JSON_COMPACT | JSON_ENSURE_ASCII (keys in insertion order), at a
 * fraction of its cost, which was the largest share of output time.
 */
#ifndef PS_EVE_DUMP_H
#define PS_EVE_DUMP_H

#include <jansson.h>
#include <stddef.h>

/* Write v into buf (at most size bytes, no NUL). Returns the length the
 * whole text needs, which may exceed size (call again with more room), or
 * 0 when v cannot be written (a string that is not UTF-8), as json_dumpb. */
size_t eve_dump(const json_t *v, char *buf, size_t size);

#endif
