/*
 * ics.h - iCalendar (RFC 5545) bodies through libical: each component's
 * text properties, unfolded and unescaped, for detection.
 *
 * The caller collects a calendar body (decoded: de-chunked, decompressed)
 * up to its cap and hands it over whole. ics_parse calls `fn` once per
 * component that carries properties (VEVENT, VTODO, VJOURNAL, VALARM,
 * VFREEBUSY, VTIMEZONE... and the VCALENDAR's own properties), in document
 * order. A malformed calendar still yields every component libical could
 * read; the result says it was malformed. Never crashes, whatever the
 * bytes (NUL bytes, invalid UTF-8, unterminated components, huge lines).
 *
 * This module depends on common.h only.
 */
#ifndef PS_ICS_H
#define PS_ICS_H

#include "common.h"

/* Where a property's text goes. Every property listed also goes to
 * ics.text (the engine scans ICS_F_* buffers and ics.text). */
enum ics_field {
    ICS_F_SUMMARY,
    ICS_F_DESCRIPTION, /* DESCRIPTION, and X-ALT-DESC (Outlook's HTML copy) */
    ICS_F_LOCATION,
    ICS_F_URL,
    ICS_F_ORGANIZER,   /* the CAL-ADDRESS (mailto:...) and its CN parameter */
    ICS_F_ATTENDEE,    /* likewise, one property per attendee */
    ICS_F_COMMENT,
    ICS_F_CONFERENCE,  /* CONFERENCE, X-GOOGLE-CONFERENCE, X-MICROSOFT-SKYPETEAMSMEETINGURL,
                        * X-MICROSOFT-ONLINEMEETINGCONFLINK, and other X-...CONFERENCE/MEETINGURL */
    ICS_F_OTHER,       /* any other text or X- property: ics.text only */
    ICS_F_MAX
};

struct ics_property {
    enum ics_field field;
    const char *name;      /* "DESCRIPTION", "X-ALT-DESC", ... (upper case) */
    struct ps_slice value; /* unfolded and unescaped (\n \, \; \\), as libical gives it */
};

struct ics_component {
    const char *kind;       /* "VEVENT", "VTODO", "VCALENDAR", ... */
    struct ps_slice uid;    /* empty when absent */
    struct ps_slice summary;
    struct ps_slice dtstart; /* as written, e.g. "20261124T100000Z" or "20261124" */
    struct ps_slice organizer; /* the CAL-ADDRESS, e.g. "mailto:jane@example.com" */
    const struct ics_property *props;
    size_t n_props;
};

/* Everything in a component is valid for the call only. */
typedef void (*ics_component_fn)(void *ctx, const struct ics_component *c);

struct ics_result {
    unsigned components; /* components reported */
    bool malformed;      /* libical reported errors, or the text was not a
                          * complete VCALENDAR; what could be read was reported */
};

/* Is this body a calendar? Content-Type text/calendar (any parameters, any
 * case), or, whatever the type, a body starting with BEGIN:VCALENDAR after
 * optional blanks and a UTF-8 BOM. `start` is the first bytes of the body. */
bool ics_probe(struct ps_slice content_type, struct ps_slice start);

/* Parse a whole calendar. PS_OK (check res->malformed), or PS_NOMEM. */
int ics_parse(const uint8_t *data, size_t len, ics_component_fn fn, void *ctx,
              struct ics_result *res);

#endif
