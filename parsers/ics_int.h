/*
 * ics_int.h - what parsers/ics.c (feeding content lines to libical),
 * parsers/ics_walk.c (reporting the components it built) and
 * parsers/ics_probe.c share. Only the ICS stage includes this header.
 */
#ifndef PS_ICS_INT_H
#define PS_ICS_INT_H

#include <libical/ical.h>

#include "ics.h"

/* Components nested deeper than this are skipped, with everything inside
 * them (real calendars nest three deep: VCALENDAR, VEVENT, VALARM). libical
 * frees components recursively, so its stack use grows with the depth. */
#define ICS_MAX_DEPTH 16u

/* Properties in one libical root (a top-level component's own, or one
 * child with all under it); the lines past it are skipped (malformed). Each
 * costs libical some 400 bytes beyond its text: this keeps a root of many
 * tiny lines near 4 MB. */
#define ICS_MAX_PROPS 10000u

/* Synthetic properties the line feed adds, which the walk decodes and never
 * reports under these names. A content line libical would drop (an unknown
 * name, a line that lost its fold) travels as the value of ICS_X_LINE; an
 * unknown component name, which libical does not keep, as ICS_X_KIND. */
#define ICS_X_PREFIX "X-PLAINSIGHT-"
#define ICS_X_LINE ICS_X_PREFIX "LINE"
#define ICS_X_KIND ICS_X_PREFIX "KIND"

static inline bool ics_is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static inline uint8_t ics_upper(uint8_t c)
{
    return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

/* iana-token and x-name characters, and '_' seen in vendor names. */
static inline bool ics_is_name_char(uint8_t c)
{
    return (ics_upper(c) >= 'A' && ics_upper(c) <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* `a` equals the upper-case ASCII `b` in any case. */
static inline bool ics_case_equal(const uint8_t *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ics_upper(a[i]) != (uint8_t)b[i])
            return false;
    return true;
}

/* Reporting state for one ics_parse call. */
struct ics_walk {
    ics_component_fn fn;
    void *ctx;
    struct ics_result *res;
    struct ics_property *props; /* owned; reused for every component */
    size_t cap;
};

/* Report `root` and every component under it, in document order. Sets
 * res->malformed on libical's error properties. PS_OK or PS_NOMEM. The tree
 * stays the caller's. */
int ics_walk_root(struct ics_walk *w, icalcomponent *root);

void ics_walk_release(struct ics_walk *w);

#endif
