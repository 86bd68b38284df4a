/*
 * redact.h - secrets found in traffic never reach the output whole, unless
 * the user asks (--unmask-secrets).
 *
 * A secret of 12 bytes or more is written as a short prefix (one byte in
 * eight, at most four) and the first 12 hex digits of its SHA-1, so an
 * analyst can tell which link it was and correlate alerts without holding
 * the secret: "c0ff[redacted:9f86d081884c]". A shorter secret (a PIN) is
 * written "[redacted]": a hash of a short code is as good as the code.
 *
 * The same form replaces every occurrence of the secret in the strings of
 * an event (the URL of its http object, the Location, headers...).
 */
#ifndef PS_REDACT_H
#define PS_REDACT_H

#include <jansson.h>

#include "common.h"

#define REDACT_MAX 48 /* the longest redacted form, with its NUL */

/* The redacted form of s into out; returns its length. */
size_t redact_format(const uint8_t *s, size_t len, char out[REDACT_MAX]);

/* Replace every occurrence of each secret, in every string value of `v`
 * (objects and arrays, recursively), by its redacted form. Secrets shorter
 * than 4 bytes are left alone: they would hit unrelated text. */
void redact_json(json_t *v, const struct ps_slice *secrets, size_t n);

#endif
