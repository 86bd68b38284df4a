/*
 * redact.c - the redacted form of a secret, and its replacement in events
 * (see redact.h).
 */
#include "redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define REDACT_HASH_MIN 12 /* shorter secrets get no hash */

size_t redact_format(const uint8_t *s, size_t len, char out[REDACT_MAX])
{
    if (len < REDACT_HASH_MIN)
        return (size_t)snprintf(out, REDACT_MAX, "[redacted]");
    uint8_t digest[20];
    hash_sha1(s, len, digest);
    size_t keep = PS_MIN(len / 8, 4);
    char prefix[5];
    for (size_t i = 0; i < keep; i++) /* keep the output printable ASCII */
        prefix[i] = s[i] >= 0x21 && s[i] < 0x7f ? (char)s[i] : '?';
    prefix[keep] = '\0';
    return (size_t)snprintf(out, REDACT_MAX, "%s[redacted:%02x%02x%02x%02x%02x%02x]", prefix,
                            digest[0], digest[1], digest[2], digest[3], digest[4], digest[5]);
}

/* The secret as eve_json_bytes writes bytes that are not UTF-8: each byte
 * >= 0x80 as U+0080..U+00FF. out holds 2 * len bytes. */
static size_t as_event_text(const uint8_t *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            out[n++] = (char)s[i];
        } else {
            out[n++] = (char)(0xC0 | (s[i] >> 6));
            out[n++] = (char)(0x80 | (s[i] & 0x3F));
        }
    }
    return n;
}

static const uint8_t *memchr_high(struct ps_slice s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] >= 0x80)
            return s.ptr + i;
    return NULL;
}

/* One string with every needle replaced; NULL when nothing matched. */
static char *redact_string(const char *text, size_t text_len, const char *needle, size_t nlen,
                           const char *with, size_t wlen, size_t *out_len)
{
    const char *hit = memmem(text, text_len, needle, nlen);
    if (hit == NULL)
        return NULL;
    size_t cap = text_len + 1, n = 0;
    if (wlen > nlen)
        cap += (text_len / nlen) * (wlen - nlen);
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    const char *p = text, *end = text + text_len;
    while (hit != NULL) {
        memcpy(out + n, p, (size_t)(hit - p));
        n += (size_t)(hit - p);
        memcpy(out + n, with, wlen);
        n += wlen;
        p = hit + nlen;
        hit = memmem(p, (size_t)(end - p), needle, nlen);
    }
    memcpy(out + n, p, (size_t)(end - p));
    n += (size_t)(end - p);
    out[n] = '\0';
    *out_len = n;
    return out;
}

static void redact_value(json_t *v, const char *needle, size_t nlen, const char *with,
                         size_t wlen)
{
    if (json_is_string(v)) {
        size_t out_len;
        char *r = redact_string(json_string_value(v), json_string_length(v), needle, nlen, with,
                                wlen, &out_len);
        if (r != NULL) {
            json_string_setn_nocheck(v, r, out_len);
            free(r);
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child)
            redact_value(child, needle, nlen, with, wlen);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
            redact_value(child, needle, nlen, with, wlen);
    }
}

void redact_json(json_t *v, const struct ps_slice *secrets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct ps_slice sec = secrets[i];
        if (sec.len < 4)
            continue;
        char with[REDACT_MAX];
        size_t wlen = redact_format(sec.ptr, sec.len, with);
        /* As written when the bytes were valid UTF-8 ... */
        redact_value(v, (const char *)sec.ptr, sec.len, with, wlen);
        if (memchr_high(sec) == NULL)
            continue;
        /* ... and as written when they were not. */
        char *needle = malloc(sec.len * 2);
        if (needle == NULL)
            continue;
        size_t nlen = as_event_text(sec.ptr, sec.len, needle);
        redact_value(v, needle, nlen, with, wlen);
        free(needle);
    }
}
