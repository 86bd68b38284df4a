/*
 * ics_probe.c - is this body a calendar? By its Content-Type media type,
 * text/calendar, or whatever the type, by its first bytes: BEGIN:VCALENDAR
 * after an optional UTF-8 BOM and blank lines. A start too short to hold
 * the whole marker is not a calendar: collecting a body that then fails to
 * parse would report a malformed calendar that never was one.
 */
#include "ics_int.h"

#include <string.h>

static bool probe_type(struct ps_slice ct)
{
    static const char want[] = "TEXT/CALENDAR";
    size_t i = 0, e;
    if (ct.ptr == NULL)
        return false;
    while (i < ct.len && ics_is_blank(ct.ptr[i]))
        i++;
    for (e = i; e < ct.len && ct.ptr[e] != ';';)
        e++;
    while (e > i && ics_is_blank(ct.ptr[e - 1]))
        e--;
    return e - i == sizeof(want) - 1 && ics_case_equal(ct.ptr + i, want, e - i);
}

static bool probe_body(struct ps_slice s)
{
    static const char want[] = "BEGIN:VCALENDAR";
    const size_t n = sizeof(want) - 1;
    size_t i = 0;
    if (s.ptr == NULL)
        return false;
    if (s.len >= 3 && memcmp(s.ptr, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < s.len && (ics_is_blank(s.ptr[i]) || s.ptr[i] == '\r' || s.ptr[i] == '\n'))
        i++;
    if (s.len - i < n || !ics_case_equal(s.ptr + i, want, n))
        return false;
    return i + n == s.len || !ics_is_name_char(s.ptr[i + n]);
}

bool ics_probe(struct ps_slice content_type, struct ps_slice start)
{
    return probe_type(content_type) || probe_body(start);
}
