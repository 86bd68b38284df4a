/*
 * ics_walk.c - from libical's component tree to ics_component reports.
 *
 * Each component that has a property of its own is reported once, parent
 * before children (the order of their BEGIN lines). Every value is read
 * through the getter of its value type, which returns the unescaped text
 * libical stored (icalvalue_as_ical_string would escape it again); a getter
 * is only ever called on a value of its own type, since libical reads its
 * value union without checking. The values point into the tree, which
 * outlives the callback. Text-less values (dates, numbers, recurrences) and
 * identifiers (UID, PRODID...) are not reported as properties.
 *
 * The recursion is bounded: the line feed never lets libical nest deeper
 * than ICS_MAX_DEPTH.
 */
#include "ics_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ps_slice slice_of(const char *s)
{
    return (struct ps_slice){(const uint8_t *)s, s != NULL ? strlen(s) : 0};
}

/* The text of a value, or NULL when it has none. */
static const char *walk_value_text(icalvalue *v)
{
    if (v == NULL)
        return NULL;
    switch (icalvalue_isa(v)) {
    case ICAL_TEXT_VALUE:
        return icalvalue_get_text(v);
    case ICAL_X_VALUE:
        return icalvalue_get_x(v);
    case ICAL_URI_VALUE:
        return icalvalue_get_uri(v);
    case ICAL_CALADDRESS_VALUE:
        return icalvalue_get_caladdress(v);
    case ICAL_STRING_VALUE:
        return icalvalue_get_string(v);
    case ICAL_ATTACH_VALUE: {
        /* A link to the attachment (Google puts Drive links here); inline
         * binary data is not text. */
        icalattach *a = icalvalue_get_attach(v);
        return a != NULL && icalattach_get_is_url(a) ? icalattach_get_url(a) : NULL;
    }
    default:
        return NULL;
    }
}

/* Properties whose text identifies rather than describes: never secrets,
 * and noise in ics.text. */
static bool walk_is_identifier(icalproperty_kind k)
{
    switch (k) {
    case ICAL_UID_PROPERTY:
    case ICAL_RELATEDTO_PROPERTY:
    case ICAL_TZID_PROPERTY:
    case ICAL_TZNAME_PROPERTY:
    case ICAL_PRODID_PROPERTY:
    case ICAL_VERSION_PROPERTY:
    case ICAL_CALSCALE_PROPERTY:
    case ICAL_METHOD_PROPERTY:
        return true;
    default:
        return false;
    }
}

static enum ics_field walk_field_of(icalproperty_kind k)
{
    switch (k) {
    case ICAL_SUMMARY_PROPERTY:
        return ICS_F_SUMMARY;
    case ICAL_DESCRIPTION_PROPERTY:
        return ICS_F_DESCRIPTION;
    case ICAL_LOCATION_PROPERTY:
        return ICS_F_LOCATION;
    case ICAL_URL_PROPERTY:
        return ICS_F_URL;
    case ICAL_ORGANIZER_PROPERTY:
        return ICS_F_ORGANIZER;
    case ICAL_ATTENDEE_PROPERTY:
        return ICS_F_ATTENDEE;
    case ICAL_COMMENT_PROPERTY:
        return ICS_F_COMMENT;
    case ICAL_CONFERENCE_PROPERTY:
        return ICS_F_CONFERENCE;
    default:
        return ICS_F_OTHER;
    }
}

/* X- names are upper case: the line feed upper-cases every name. */
static enum ics_field walk_field_of_x(const char *name)
{
    if (strcmp(name, "X-ALT-DESC") == 0)
        return ICS_F_DESCRIPTION;
    if (strcmp(name, "X-MICROSOFT-ONLINEMEETINGCONFLINK") == 0 ||
        strstr(name, "CONFERENCE") != NULL || strstr(name, "MEETINGURL") != NULL)
        return ICS_F_CONFERENCE;
    return ICS_F_OTHER;
}

static int walk_add(struct ics_walk *w, size_t *n, enum ics_field field, const char *name,
                    const char *text)
{
    if (text == NULL || text[0] == '\0')
        return PS_OK;
    if (*n == w->cap) {
        size_t cap = w->cap != 0 ? w->cap * 2 : 32;
        struct ics_property *p = realloc(w->props, cap * sizeof(*p));
        if (p == NULL)
            return PS_NOMEM;
        w->props = p;
        w->cap = cap;
    }
    w->props[(*n)++] = (struct ics_property){field, name, slice_of(text)};
    return PS_OK;
}

/* DTSTART in its written form: 20261124, 20261124T100000 or ...Z. A TZID
 * parameter is not part of it. */
static void walk_dtstart(icalvalue *v, char *buf, size_t size, struct ps_slice *out)
{
    struct icaltimetype t;
    if (icalvalue_isa(v) == ICAL_DATE_VALUE)
        t = icalvalue_get_date(v);
    else if (icalvalue_isa(v) == ICAL_DATETIME_VALUE)
        t = icalvalue_get_datetime(v);
    else
        return;
    int n = t.is_date ? snprintf(buf, size, "%04d%02d%02d", t.year, t.month, t.day)
                      : snprintf(buf, size, "%04d%02d%02dT%02d%02d%02d%s", t.year, t.month, t.day,
                                 t.hour, t.minute, t.second, icaltime_is_utc(t) ? "Z" : "");
    if (n > 0 && (size_t)n < size)
        *out = (struct ps_slice){(const uint8_t *)buf, (size_t)n};
}

/* The CN parameter of ORGANIZER/ATTENDEE: role names and passcodes hide
 * there too. */
static int walk_add_cn(struct ics_walk *w, size_t *n, icalproperty *p, icalproperty_kind k)
{
    icalparameter *cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
    if (cn == NULL)
        return PS_OK;
    const char *name = k == ICAL_ORGANIZER_PROPERTY ? "ORGANIZER;CN" : "ATTENDEE;CN";
    return walk_add(w, n, walk_field_of(k), name, icalparameter_get_cn(cn));
}

/* One property into the component being built. */
static int walk_property(struct ics_walk *w, struct ics_component *c, size_t *n, icalproperty *p,
                         char *dtbuf, size_t dtsize)
{
    icalproperty_kind k = icalproperty_isa(p);
    icalvalue *v = icalproperty_get_value(p);
    const char *text = walk_value_text(v);

    if (k == ICAL_X_PROPERTY) {
        const char *name = icalproperty_get_x_name(p);
        if (name == NULL)
            return PS_OK;
        if (strcmp(name, ICS_X_KIND) == 0) {
            if (text != NULL && text[0] != '\0')
                c->kind = text;
            return PS_OK;
        }
        if (strcmp(name, ICS_X_LINE) == 0)
            return walk_add(w, n, ICS_F_OTHER, "", text);
        return walk_add(w, n, walk_field_of_x(name), name, text);
    }
    switch (k) {
    case ICAL_UID_PROPERTY:
        if (c->uid.len == 0)
            c->uid = slice_of(text);
        return PS_OK;
    case ICAL_SUMMARY_PROPERTY:
        if (c->summary.len == 0)
            c->summary = slice_of(text);
        break;
    case ICAL_DTSTART_PROPERTY:
        if (c->dtstart.len == 0 && v != NULL)
            walk_dtstart(v, dtbuf, dtsize, &c->dtstart);
        return PS_OK;
    case ICAL_ORGANIZER_PROPERTY:
        if (c->organizer.len == 0)
            c->organizer = slice_of(text);
        break;
    default:
        if (walk_is_identifier(k))
            return PS_OK;
        break;
    }
    const char *name = icalproperty_kind_to_string(k);
    if (name == NULL)
        return PS_OK;
    int rc = walk_add(w, n, walk_field_of(k), name, text);
    if (rc == PS_OK && (k == ICAL_ORGANIZER_PROPERTY || k == ICAL_ATTENDEE_PROPERTY))
        rc = walk_add_cn(w, n, p, k);
    return rc;
}

static bool walk_is_kind(icalproperty *p)
{
    const char *name = icalproperty_get_x_name(p);
    return name != NULL && strcmp(name, ICS_X_KIND) == 0;
}

static int walk_component(struct ics_walk *w, icalcomponent *comp, unsigned depth)
{
    char dtbuf[48];
    const char *kind = icalcomponent_kind_to_string(icalcomponent_isa(comp));
    struct ics_component c = {.kind = kind != NULL ? kind : "X"};
    size_t n = 0;
    bool has_props = false;
    int rc = PS_OK;

    for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY);
         p != NULL && rc == PS_OK; p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
        icalproperty_kind k = icalproperty_isa(p);
        if (k == ICAL_XLICERROR_PROPERTY) {
            /* libical's own complaint, not calendar text */
            w->res->malformed = true;
            continue;
        }
        if (k != ICAL_X_PROPERTY || !walk_is_kind(p))
            has_props = true;
        rc = walk_property(w, &c, &n, p, dtbuf, sizeof(dtbuf));
    }
    if (rc != PS_OK)
        return rc;
    if (has_props) {
        c.props = w->props;
        c.n_props = n;
        w->fn(w->ctx, &c);
        w->res->components++;
    }
    if (depth >= ICS_MAX_DEPTH)
        return PS_OK;
    for (icalcomponent *k = icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT);
         k != NULL && rc == PS_OK; k = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT))
        rc = walk_component(w, k, depth + 1);
    return rc;
}

int ics_walk_root(struct ics_walk *w, icalcomponent *root)
{
    return walk_component(w, root, 1);
}

void ics_walk_release(struct ics_walk *w)
{
    free(w->props);
    w->props = NULL;
    w->cap = 0;
}
