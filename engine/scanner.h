/*
 * scanner.h - fingerprints of mail link scanners and link previewers
 * (Defender Safe Links, Proofpoint, Mimecast, Barracuda, chat unfurlers...),
 * read from data files: the shipped rules/scanners.conf and any given with
 * --scanners FILE, which add to it.
 *
 * File format, one fingerprint per line; '#' starts a comment, blank lines
 * are skipped; fields are separated by blanks:
 *
 *   ua   NAME  REGEX    the User-Agent matches REGEX (PCRE2, caseless,
 *                       unanchored; the rest of the line, blanks included)
 *   net  NAME  CIDR     the client address is in CIDR (IPv4 or IPv6; a bare
 *                       address is a /32 or /128)
 *
 * NAME ([A-Za-z0-9._-], at most 63 characters) is what alerts report. A
 * client matches the first `net` line holding its address, else the first
 * `ua` line matching its User-Agent. The set is immutable once loaded and
 * shared by every worker; matching needs a per-thread scratch.
 */
#ifndef PS_SCANNER_H
#define PS_SCANNER_H

#include <stdio.h>

#include "common.h"

struct scanner_set;
struct scanner_scratch;

struct scanner_set *scanner_set_create(void); /* NULL when out of memory */
void scanner_set_destroy(struct scanner_set *s); /* accepts NULL */

/* Add the fingerprints of a file. Every bad line is reported on diag as
 * "FILE:LINE: error: what" and left out. PS_OK; PS_ERR when a line was
 * bad; PS_DECLINED when the file cannot be read (reported); PS_NOMEM. */
int scanner_set_load(struct scanner_set *s, const char *path, FILE *diag);
/* The same from text (tests); name stands for the file. */
int scanner_set_load_string(struct scanner_set *s, const char *name, const char *text,
                            FILE *diag);

size_t scanner_set_count(const struct scanner_set *s);

/* Per-thread matching state; NULL when out of memory. */
struct scanner_scratch *scanner_scratch_create(const struct scanner_set *s);
void scanner_scratch_destroy(struct scanner_scratch *sc); /* accepts NULL */

enum scanner_trait { SCANNER_NONE = 0, SCANNER_ADDRESS, SCANNER_USER_AGENT };

struct scanner_hit {
    enum scanner_trait trait;
    const char *name; /* borrowed from the set; NULL when no match */
};

/* Does the client (ip_ver 4: the first 4 bytes of addr) with this
 * User-Agent (may be empty) match a fingerprint? */
struct scanner_hit scanner_match(const struct scanner_set *s, struct scanner_scratch *sc,
                                 uint8_t ip_ver, const uint8_t addr[16], struct ps_slice ua);

#endif
