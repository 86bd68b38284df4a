/*
 * test_ics.c - the ICS stage over libical: hand-written calendars in (as
 * Outlook, Google Calendar and Zoom write them, folded at 75 octets), the
 * components with their unfolded, unescaped text out; hostile and broken
 * calendars never crash, report what could be read and say malformed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ics.h"

/* --- what the callback saw, copied: component memory is valid for the call only --- */

struct got_prop {
    enum ics_field field;
    char *name;
    char *value;
};

struct got_comp {
    char *kind, *uid, *summary, *dtstart, *organizer;
    struct got_prop *props;
    size_t n;
};

struct got {
    struct got_comp *c;
    size_t n, cap;
    struct ics_result res;
    int rc;
};

static char *dup_slice(struct ps_slice s)
{
    char *p = malloc(s.len + 1);
    cr_assert_not_null(p);
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static char *dup_str(const char *s)
{
    cr_assert_not_null(s);
    return dup_slice((struct ps_slice){(const uint8_t *)s, strlen(s)});
}

static void collect(void *ctx, const struct ics_component *c)
{
    struct got *g = ctx;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        g->c = realloc(g->c, g->cap * sizeof(*g->c));
        cr_assert_not_null(g->c);
    }
    struct got_comp *gc = &g->c[g->n++];
    gc->kind = dup_str(c->kind);
    gc->uid = dup_slice(c->uid);
    gc->summary = dup_slice(c->summary);
    gc->dtstart = dup_slice(c->dtstart);
    gc->organizer = dup_slice(c->organizer);
    gc->n = c->n_props;
    gc->props = calloc(c->n_props + 1, sizeof(*gc->props));
    cr_assert_not_null(gc->props);
    for (size_t i = 0; i < c->n_props; i++) {
        cr_assert_lt(c->props[i].field, ICS_F_MAX);
        gc->props[i].field = c->props[i].field;
        gc->props[i].name = dup_str(c->props[i].name);
        gc->props[i].value = dup_slice(c->props[i].value);
    }
}

static struct got parse_bytes(const void *data, size_t len)
{
    struct got g = {0};
    g.rc = ics_parse(data, len, collect, &g, &g.res);
    cr_assert_eq(g.rc, PS_OK);
    cr_assert_eq(g.res.components, g.n, "result counts what was reported");
    return g;
}

static struct got parse(const char *text)
{
    return parse_bytes(text, strlen(text));
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        struct got_comp *c = &g->c[i];
        for (size_t j = 0; j < c->n; j++) {
            free(c->props[j].name);
            free(c->props[j].value);
        }
        free(c->props);
        free(c->kind);
        free(c->uid);
        free(c->summary);
        free(c->dtstart);
        free(c->organizer);
    }
    free(g->c);
}

/* The value of the `nth` property called `name` (0 = first), or NULL. */
static const struct got_prop *prop(const struct got_comp *c, const char *name, int nth)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->props[i].name, name) == 0 && nth-- == 0)
            return &c->props[i];
    return NULL;
}

static void expect_prop(const struct got_comp *c, const char *name, enum ics_field field,
                        const char *value)
{
    const struct got_prop *p = prop(c, name, 0);
    cr_assert_not_null(p, "%s in %s", name, c->kind);
    cr_assert_eq(p->field, field, "%s field", name);
    cr_assert_str_eq(p->value, value, "%s value", name);
}

struct want {
    enum ics_field field;
    const char *name;
};

/* Exactly these properties, in this order. */
static void expect_props(const struct got_comp *c, const struct want *w, size_t n)
{
    for (size_t i = 0; i < n && i < c->n; i++) {
        cr_assert_str_eq(c->props[i].name, w[i].name, "%s prop %zu", c->kind, i);
        cr_assert_eq(c->props[i].field, w[i].field, "%s prop %zu (%s)", c->kind, i, w[i].name);
    }
    cr_assert_eq(c->n, n, "%s has %zu props", c->kind, c->n);
}

static void expect_kinds(const struct got *g, const char *const *kinds, size_t n)
{
    for (size_t i = 0; i < n && i < g->n; i++)
        cr_assert_str_eq(g->c[i].kind, kinds[i], "component %zu", i);
    cr_assert_eq(g->n, n);
}

/* --- Outlook / Exchange: a Teams invite --- */

static const char outlook_invite[] =
    "BEGIN:VCALENDAR\r\n"
    "METHOD:REQUEST\r\n"
    "PRODID:Microsoft Exchange Server 2010\r\n"
    "VERSION:2.0\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:W. Europe Standard Time\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:16010101T030000\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\n"
    "END:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "DTSTART:16010101T020000\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\n"
    "END:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "ORGANIZER;CN=Jane Doe:mailto:jane.doe@contoso.example\r\n"
    "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob Smith:ma\r\n"
    " ilto:bob.smith@contoso.example\r\n"
    "DESCRIPTION;LANGUAGE=en-US:\\n___________________________________________\r\n"
    " _____\\nMicrosoft Teams meeting\\nJoin on your computer\\, mobile app or room\r\n"
    "  device\\nClick here to join the meeting<https://teams.microsoft.com/meet/31\r\n"
    " 855240721964?p=MoXOFAKE8F2nXMzqQd>\\nMeeting ID: 318 552 407 219 64\\nPassc\r\n"
    " ode: Fk7Rq2\\n\\nOr call in (audio only)\\n+1 323-555-0142\\,\\,615942087# \r\n"
    "   United States\\, Los Angeles\\nPhone Conference ID: 615 942 087#\\n______\r\n"
    " _____\\n\r\n"
    "UID:040000008200E00074C5B7101A82E00800000000A0A1B2C3D4E5F6A7B8C9D0E1F2\r\n"
    "SUMMARY;LANGUAGE=en-US:Quarterly review\r\n"
    "DTSTART;TZID=W. Europe Standard Time:20261124T100000\r\n"
    "DTEND;TZID=W. Europe Standard Time:20261124T110000\r\n"
    "CLASS:PUBLIC\r\n"
    "PRIORITY:5\r\n"
    "DTSTAMP:20261101T090000Z\r\n"
    "TRANSP:OPAQUE\r\n"
    "STATUS:CONFIRMED\r\n"
    "SEQUENCE:0\r\n"
    "LOCATION;LANGUAGE=en-US:Microsoft Teams Meeting\r\n"
    "X-MICROSOFT-CDO-APPT-SEQUENCE:0\r\n"
    "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n"
    "X-MICROSOFT-DONOTFORWARDMEETING:FALSE\r\n"
    "X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/1\r\n"
    " 9%3ameeting_NzQ4ZDk1%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d\r\n"
    "X-MICROSOFT-ONLINEMEETINGCONFLINK:conf:sip:jane.doe@contoso.example\\;gruu\\;\r\n"
    " opaque=app:conf:focus:id:teams:2:0!19:meeting_NzQ4ZDk1-thread.v2\r\n"
    "X-ALT-DESC;FMTTYPE=text/html:<html><head><meta http-equiv=\"Content-Type\" c\r\n"
    " ontent=\"text/html\\; charset=utf-8\"></head><body><p>Passcode: <b>Fk7Rq2</b\r\n"
    " ></p><a href=\"https://teams.microsoft.com/meet/31855240721964?p=MoXOFAKE8F2\r\n"
    " nXMzqQd\">Join the meeting now</a></body></html>\r\n"
    "BEGIN:VALARM\r\n"
    "DESCRIPTION:REMINDER\r\n"
    "TRIGGER;RELATED=START:-PT15M\r\n"
    "ACTION:DISPLAY\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

Test(ics, outlook_teams_invite)
{
    struct got g = parse(outlook_invite);
    cr_assert_not(g.res.malformed);
    static const char *const kinds[] = {"VCALENDAR", "VTIMEZONE", "STANDARD",
                                        "DAYLIGHT",  "VEVENT",    "VALARM"};
    expect_kinds(&g, kinds, 6);
    /* components whose properties are all identifiers, dates or rules are
     * reported, with no text */
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(g.c[i].n, 0, "%s", g.c[i].kind);

    cr_assert_str_eq(g.c[2].dtstart, "16010101T030000");
    cr_assert_str_eq(g.c[3].dtstart, "16010101T020000");

    const struct got_comp *ev = &g.c[4];
    cr_assert_str_eq(ev->uid, "040000008200E00074C5B7101A82E00800000000A0A1B2C3D4E5F6A7B8C9D0E1F2");
    cr_assert_str_eq(ev->summary, "Quarterly review");
    cr_assert_str_eq(ev->dtstart, "20261124T100000", "local time as written, TZID apart");
    cr_assert_str_eq(ev->organizer, "mailto:jane.doe@contoso.example");
    static const struct want want[] = {
        {ICS_F_ORGANIZER, "ORGANIZER"},
        {ICS_F_ORGANIZER, "ORGANIZER;CN"},
        {ICS_F_ATTENDEE, "ATTENDEE"},
        {ICS_F_ATTENDEE, "ATTENDEE;CN"},
        {ICS_F_DESCRIPTION, "DESCRIPTION"},
        {ICS_F_SUMMARY, "SUMMARY"},
        {ICS_F_LOCATION, "LOCATION"},
        {ICS_F_OTHER, "X-MICROSOFT-CDO-APPT-SEQUENCE"},
        {ICS_F_OTHER, "X-MICROSOFT-CDO-BUSYSTATUS"},
        {ICS_F_OTHER, "X-MICROSOFT-DONOTFORWARDMEETING"},
        {ICS_F_CONFERENCE, "X-MICROSOFT-SKYPETEAMSMEETINGURL"},
        {ICS_F_CONFERENCE, "X-MICROSOFT-ONLINEMEETINGCONFLINK"},
        {ICS_F_DESCRIPTION, "X-ALT-DESC"},
    };
    expect_props(ev, want, PS_ARRAY_LEN(want));
    expect_prop(ev, "ORGANIZER;CN", ICS_F_ORGANIZER, "Jane Doe");
    expect_prop(ev, "ATTENDEE", ICS_F_ATTENDEE, "mailto:bob.smith@contoso.example");
    expect_prop(ev, "ATTENDEE;CN", ICS_F_ATTENDEE, "Bob Smith");
    expect_prop(ev, "DESCRIPTION", ICS_F_DESCRIPTION,
                "\n________________________________________________\n"
                "Microsoft Teams meeting\n"
                "Join on your computer, mobile app or room device\n"
                "Click here to join the meeting<https://teams.microsoft.com/meet/31855240721964"
                "?p=MoXOFAKE8F2nXMzqQd>\n"
                "Meeting ID: 318 552 407 219 64\n"
                "Passcode: Fk7Rq2\n"
                "\n"
                "Or call in (audio only)\n"
                "+1 323-555-0142,,615942087#   United States, Los Angeles\n"
                "Phone Conference ID: 615 942 087#\n"
                "___________\n");
    expect_prop(ev, "X-MICROSOFT-SKYPETEAMSMEETINGURL", ICS_F_CONFERENCE,
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ4ZDk1%40thread.v2/0"
                "?context=%7b%22Tid%22%3a%2272f988bf%22%7d");
    expect_prop(ev, "X-MICROSOFT-ONLINEMEETINGCONFLINK", ICS_F_CONFERENCE,
                "conf:sip:jane.doe@contoso.example;gruu;opaque=app:conf:focus:id:teams:2:0!19:"
                "meeting_NzQ4ZDk1-thread.v2");
    expect_prop(ev, "X-ALT-DESC", ICS_F_DESCRIPTION,
                "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                "charset=utf-8\"></head><body><p>Passcode: <b>Fk7Rq2</b></p><a href=\"https://"
                "teams.microsoft.com/meet/31855240721964?p=MoXOFAKE8F2nXMzqQd\">Join the meeting "
                "now</a></body></html>");
    expect_prop(ev, "LOCATION", ICS_F_LOCATION, "Microsoft Teams Meeting");

    const struct got_comp *alarm = &g.c[5];
    static const struct want alarm_want[] = {{ICS_F_DESCRIPTION, "DESCRIPTION"}};
    expect_props(alarm, alarm_want, 1);
    expect_prop(alarm, "DESCRIPTION", ICS_F_DESCRIPTION, "REMINDER");
    cr_assert_str_eq(alarm->uid, "");
    got_free(&g);
}

/* --- Google Calendar: the Meet block, empty values everywhere --- */

#define MEET_LINE                                                                                  \
    "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"

static const char google_invite[] =
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    "VERSION:2.0\r\n"
    "CALSCALE:GREGORIAN\r\n"
    "METHOD:REQUEST\r\n"
    "X-WR-CALNAME:Team calendar\r\n"
    "X-WR-TIMEZONE:America/Los_Angeles\r\n"
    "BEGIN:VEVENT\r\n"
    "DTSTART:20261124T180000Z\r\n"
    "DTEND:20261124T183000Z\r\n"
    "DTSTAMP:20261101T120000Z\r\n"
    "ORGANIZER;CN=Sam Lee:mailto:sam.lee@example.com\r\n"
    "UID:6kq0fake3c1m8b9p0aa4tt5c3s@google.com\r\n"
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Sam Lee;X-\r\n"
    " NUM-GUESTS=0:mailto:sam.lee@example.com\r\n"
    "X-GOOGLE-CONFERENCE:https://meet.google.com/qzv-fakr-xtp\r\n"
    "CREATED:20261101T115900Z\r\n"
    "DESCRIPTION:Agenda in the doc.\\n\\n-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~\r\n"
    " :~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-\\nJoin with Google Meet: https:\r\n"
    " //meet.google.com/qzv-fakr-xtp\\nOr dial: (US) +1 234-555-0147 PIN: 582 019\r\n"
    "  374#\\nMore phone numbers: https://tel.meet/qzv-fakr-xtp?pin=4162743732622&h\r\n"
    " s=7\\n\\nLearn more about Meet at: https://support.google.com/a/users/answer/\r\n"
    " 9282720\\n\\nPlease do not edit this section.\\n-::~:~::~:~:~:~:~:~:~:~:~:~:~\r\n"
    " :~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-\r\n"
    "LAST-MODIFIED:20261101T120000Z\r\n"
    "LOCATION:\r\n"
    "SEQUENCE:0\r\n"
    "STATUS:CONFIRMED\r\n"
    "SUMMARY:Design sync\r\n"
    "TRANSP:OPAQUE\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

Test(ics, google_meet_invite)
{
    struct got g = parse(google_invite);
    cr_assert_not(g.res.malformed, "empty LOCATION is not an error");
    static const char *const kinds[] = {"VCALENDAR", "VEVENT"};
    expect_kinds(&g, kinds, 2);
    static const struct want cal_want[] = {{ICS_F_OTHER, "X-WR-CALNAME"},
                                           {ICS_F_OTHER, "X-WR-TIMEZONE"}};
    expect_props(&g.c[0], cal_want, 2);
    expect_prop(&g.c[0], "X-WR-CALNAME", ICS_F_OTHER, "Team calendar");

    const struct got_comp *ev = &g.c[1];
    cr_assert_str_eq(ev->uid, "6kq0fake3c1m8b9p0aa4tt5c3s@google.com");
    cr_assert_str_eq(ev->summary, "Design sync");
    cr_assert_str_eq(ev->dtstart, "20261124T180000Z");
    cr_assert_str_eq(ev->organizer, "mailto:sam.lee@example.com");
    static const struct want want[] = {
        {ICS_F_ORGANIZER, "ORGANIZER"},
        {ICS_F_ORGANIZER, "ORGANIZER;CN"},
        {ICS_F_ATTENDEE, "ATTENDEE"},
        {ICS_F_ATTENDEE, "ATTENDEE;CN"},
        {ICS_F_CONFERENCE, "X-GOOGLE-CONFERENCE"},
        {ICS_F_DESCRIPTION, "DESCRIPTION"},
        {ICS_F_SUMMARY, "SUMMARY"},
    };
    expect_props(ev, want, PS_ARRAY_LEN(want));
    expect_prop(ev, "X-GOOGLE-CONFERENCE", ICS_F_CONFERENCE,
                "https://meet.google.com/qzv-fakr-xtp");
    expect_prop(ev, "DESCRIPTION", ICS_F_DESCRIPTION,
                "Agenda in the doc.\n\n" MEET_LINE "\n"
                "Join with Google Meet: https://meet.google.com/qzv-fakr-xtp\n"
                "Or dial: (US) +1 234-555-0147 PIN: 582 019 374#\n"
                "More phone numbers: https://tel.meet/qzv-fakr-xtp?pin=4162743732622&hs=7\n\n"
                "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n"
                "Please do not edit this section.\n" MEET_LINE);
    expect_prop(ev, "ATTENDEE;CN", ICS_F_ATTENDEE, "Sam Lee");
    got_free(&g);
}

/* --- Zoom: the passcode in DESCRIPTION, the join link in LOCATION --- */

Test(ics, zoom_passcode_in_description)
{
    struct got g =
        parse("BEGIN:VCALENDAR\r\n"
              "PRODID:-//zoom.us//iCalendar Event//EN\r\n"
              "VERSION:2.0\r\n"
              "BEGIN:VEVENT\r\n"
              "DTSTART;VALUE=DATE-TIME:20261124T150000Z\r\n"
              "SUMMARY:Budget review\r\n"
              "UID:20261124T150000-84021937561@zoom.us\r\n"
              "DESCRIPTION:Jane Doe is inviting you to a scheduled Zoom meeting.\\n\\n"
              "Join \r\n"
              " Zoom Meeting\\nhttps://us06web.zoom.us/j/84021937561?pwd=KGpOyQFAKEyZbk\r\n"
              " BFTFoOxtzHq8STZH.1\\n\\nMeeting ID: 840 2193 7561\\nPasscode: 7Kq2Zx\\n\\n--\r\n"
              " -\\n\\nOne tap mobile\\n+16465550123\\,\\,84021937561#\\,\\,\\,\\,*482913# \r\n"
              " US (New York)\r\n"
              "LOCATION:https://us06web.zoom.us/j/84021937561?pwd=KGpOyQFAKEyZbkBFTFoOxt\r\n"
              " zHq8STZH.1\r\n"
              "ORGANIZER;CN=\"Doe, Jane\":mailto:jane@example.com\r\n"
              "END:VEVENT\r\n"
              "END:VCALENDAR\r\n");
    cr_assert_not(g.res.malformed);
    static const char *const kinds[] = {"VCALENDAR", "VEVENT"};
    expect_kinds(&g, kinds, 2);
    cr_assert_eq(g.c[0].n, 0, "PRODID and VERSION are identifiers");
    const struct got_comp *ev = &g.c[1];
    cr_assert_str_eq(ev->dtstart, "20261124T150000Z");
    cr_assert_str_eq(ev->uid, "20261124T150000-84021937561@zoom.us");
    expect_prop(ev, "DESCRIPTION", ICS_F_DESCRIPTION,
                "Jane Doe is inviting you to a scheduled Zoom meeting.\n\n"
                "Join Zoom Meeting\n"
                "https://us06web.zoom.us/j/84021937561?pwd=KGpOyQFAKEyZbkBFTFoOxtzHq8STZH.1\n\n"
                "Meeting ID: 840 2193 7561\n"
                "Passcode: 7Kq2Zx\n\n"
                "---\n\n"
                "One tap mobile\n"
                "+16465550123,,84021937561#,,,,*482913# US (New York)");
    expect_prop(ev, "LOCATION", ICS_F_LOCATION,
                "https://us06web.zoom.us/j/84021937561?pwd=KGpOyQFAKEyZbkBFTFoOxtzHq8STZH.1");
    expect_prop(ev, "ORGANIZER;CN", ICS_F_ORGANIZER, "Doe, Jane");
    got_free(&g);
}

/* --- a feed: ten events, DATE and DATE-TIME starts, in order --- */

Test(ics, feed_of_ten_events_in_order)
{
    char text[8192];
    size_t o = (size_t)snprintf(text, sizeof(text),
                                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Ops\r\n");
    for (int i = 0; i < 10; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o,
                              "BEGIN:VEVENT\r\nUID:ev-%d@example.com\r\n%s:202611%02d%s\r\n"
                              "SUMMARY:Event %d\r\nURL:https://example.com/e/%d\r\nEND:VEVENT\r\n",
                              i, i % 2 ? "DTSTART;VALUE=DATE" : "DTSTART", i + 1,
                              i % 2 ? "" : "T090000Z", i, i);
    snprintf(text + o, sizeof(text) - o, "END:VCALENDAR\r\n");
    struct got g = parse(text);
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 11);
    cr_assert_str_eq(g.c[0].kind, "VCALENDAR");
    for (int i = 0; i < 10; i++) {
        const struct got_comp *ev = &g.c[i + 1];
        char want[64];
        cr_assert_str_eq(ev->kind, "VEVENT");
        snprintf(want, sizeof(want), "ev-%d@example.com", i);
        cr_assert_str_eq(ev->uid, want);
        snprintf(want, sizeof(want), "Event %d", i);
        cr_assert_str_eq(ev->summary, want);
        snprintf(want, sizeof(want), i % 2 ? "202611%02d" : "202611%02dT090000Z", i + 1);
        cr_assert_str_eq(ev->dtstart, want);
        snprintf(want, sizeof(want), "https://example.com/e/%d", i);
        static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"}, {ICS_F_URL, "URL"}};
        expect_props(ev, w, 2);
        expect_prop(ev, "URL", ICS_F_URL, want);
    }
    got_free(&g);
}

Test(ics, vtodo_and_vjournal)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                         "BEGIN:VTODO\r\nUID:todo-1\r\nDUE;VALUE=DATE:20261130\r\n"
                         "DTSTART;VALUE=DATE:20261124\r\nSUMMARY:Rotate the Wi-Fi password\r\n"
                         "DESCRIPTION:Guest Wi-Fi password: Harbor-FAKE-2026\r\n"
                         "STATUS:NEEDS-ACTION\r\nCOMMENT:ask IT\\; room 4\r\n"
                         "CATEGORIES:ADMIN,NETWORK\r\nEND:VTODO\r\n"
                         "BEGIN:VJOURNAL\r\nUID:j-1\r\nSUMMARY:Notes\r\nEND:VJOURNAL\r\n"
                         "END:VCALENDAR\r\n");
    cr_assert_not(g.res.malformed);
    static const char *const kinds[] = {"VCALENDAR", "VTODO", "VJOURNAL"};
    expect_kinds(&g, kinds, 3);
    const struct got_comp *t = &g.c[1];
    cr_assert_str_eq(t->uid, "todo-1");
    cr_assert_str_eq(t->dtstart, "20261124");
    cr_assert_str_eq(t->summary, "Rotate the Wi-Fi password");
    static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"},
                                    {ICS_F_DESCRIPTION, "DESCRIPTION"},
                                    {ICS_F_COMMENT, "COMMENT"},
                                    {ICS_F_OTHER, "CATEGORIES"},
                                    {ICS_F_OTHER, "CATEGORIES"}};
    expect_props(t, w, PS_ARRAY_LEN(w));
    expect_prop(t, "DESCRIPTION", ICS_F_DESCRIPTION, "Guest Wi-Fi password: Harbor-FAKE-2026");
    expect_prop(t, "COMMENT", ICS_F_COMMENT, "ask IT; room 4");
    cr_assert_str_eq(prop(t, "CATEGORIES", 0)->value, "ADMIN");
    cr_assert_str_eq(prop(t, "CATEGORIES", 1)->value, "NETWORK");
    cr_assert_str_eq(g.c[2].summary, "Notes");
    got_free(&g);
}

Test(ics, valarm_inside_vevent_follows_it)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Outer\r\n"
                         "BEGIN:VALARM\r\nACTION:EMAIL\r\nSUMMARY:Alarm mail\r\n"
                         "DESCRIPTION:Bridge PIN: 9021\r\n"
                         "ATTENDEE:mailto:ops@example.com\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n"
                         "LOCATION:after the alarm\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    cr_assert_not(g.res.malformed);
    static const char *const kinds[] = {"VEVENT", "VALARM"};
    expect_kinds(&g, kinds, 2);
    static const struct want ev_w[] = {{ICS_F_SUMMARY, "SUMMARY"}, {ICS_F_LOCATION, "LOCATION"}};
    expect_props(&g.c[0], ev_w, 2);
    expect_prop(&g.c[0], "LOCATION", ICS_F_LOCATION, "after the alarm");
    cr_assert_str_eq(g.c[1].summary, "Alarm mail");
    cr_assert_str_eq(g.c[1].uid, "");
    expect_prop(&g.c[1], "DESCRIPTION", ICS_F_DESCRIPTION, "Bridge PIN: 9021");
    expect_prop(&g.c[1], "ATTENDEE", ICS_F_ATTENDEE, "mailto:ops@example.com");
    cr_assert_null(prop(&g.c[1], "ATTENDEE;CN", 0), "no CN, no CN property");
    got_free(&g);
}

Test(ics, vfreebusy_and_x_components_keep_their_names)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n"
                         "FREEBUSY:20261124T090000Z/20261124T100000Z\r\n"
                         "COMMENT:busy\r\nEND:VFREEBUSY\r\n"
                         "BEGIN:x-acme-room\r\nX-CODE:door 4711\r\nEND:x-acme-room\r\n"
                         "BEGIN:VNEWTHING\r\nSUMMARY:iana\r\nEND:VNEWTHING\r\n"
                         "END:VCALENDAR\r\n");
    cr_assert_not(g.res.malformed);
    static const char *const kinds[] = {"VFREEBUSY", "X-ACME-ROOM", "VNEWTHING"};
    expect_kinds(&g, kinds, 3);
    expect_prop(&g.c[0], "COMMENT", ICS_F_COMMENT, "busy");
    static const struct want w[] = {{ICS_F_OTHER, "X-CODE"}};
    expect_props(&g.c[1], w, 1);
    expect_prop(&g.c[1], "X-CODE", ICS_F_OTHER, "door 4711");
    cr_assert_str_eq(g.c[2].summary, "iana");
    got_free(&g);
}

/* --- text: unfolding and unescaping --- */

#define EV(body) "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" body "END:VEVENT\r\nEND:VCALENDAR\r\n"

static char *one_value(const char *text, const char *name)
{
    struct got g = parse(text);
    cr_assert_eq(g.n, 1);
    const struct got_prop *p = prop(&g.c[0], name, 0);
    cr_assert_not_null(p, "%s", name);
    char *v = dup_str(p->value);
    got_free(&g);
    return v;
}

static void expect_value(const char *text, const char *name, const char *want)
{
    char *v = one_value(text, name);
    cr_assert_str_eq(v, want);
    free(v);
}

Test(ics, rfc_escapes_come_out_unescaped)
{
    expect_value(EV("DESCRIPTION:a\\nb\\Nc\\,d\\;e\\\\f\\\\ng\r\n"), "DESCRIPTION",
                 "a\nb\nc,d;e\\f\\ng");
    expect_value(EV("SUMMARY:semi\\;colon\\, comma\r\n"), "SUMMARY", "semi;colon, comma");
    expect_value(EV("X-WR-X:x\\nvalues\\, too\r\n"), "X-WR-X", "x\nvalues, too");
}

Test(ics, unknown_escapes_are_kept_and_escaped_colon_is_a_colon)
{
    /* libical alone gives "https //zoom.us" and "C: sers" */
    expect_value(EV("DESCRIPTION:join https\\://zoom.us/j/1?pwd=Ab1 at C:\\Users\\x\r\n"),
                 "DESCRIPTION", "join https://zoom.us/j/1?pwd=Ab1 at C:\\Users\\x");
    expect_value(EV("COMMENT:tab\\t and a last \\\r\n"), "COMMENT", "tab\\t and a last \\");
    expect_value(EV("X-NOTE:https\\://x.example/a\\b\r\n"), "X-NOTE", "https://x.example/a\\b");
    /* URI values have no escapes: left alone */
    expect_value(EV("URL:https://x.example/a\\b\r\n"), "URL", "https://x.example/a\\b");
}

Test(ics, folds_are_removed_anywhere)
{
    /* in the middle of the name, of a word, of an escape, with a tab */
    expect_value(EV("DESCRI\r\n PTION:Pass\r\n code: 12\r\n\t34 and\\\r\n n next\r\n"),
                 "DESCRIPTION", "Passcode: 1234 and\n next");
    /* inside a UTF-8 sequence, as Outlook folds at 75 octets */
    expect_value(EV("SUMMARY:Caf\xC3\r\n \xA9 R\xC3\xA9union\r\n"), "SUMMARY",
                 "Caf\xC3\xA9 R\xC3\xA9union");
    /* only the first blank of a continuation goes */
    expect_value(EV("LOCATION:Room\r\n  4\r\n"), "LOCATION", "Room 4");
}

Test(ics, line_ends_lf_only_and_cr_only)
{
    static const char lf[] = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:lf\n only\nEND:VEVENT\n"
                             "END:VCALENDAR\n";
    static const char cr[] = "BEGIN:VCALENDAR\rBEGIN:VEVENT\rSUMMARY:cr\r only\rEND:VEVENT\r"
                             "END:VCALENDAR\r";
    struct got g = parse(lf);
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "lfonly");
    got_free(&g);
    g = parse(cr);
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "cronly");
    got_free(&g);
}

Test(ics, bom_and_leading_blank_lines_are_skipped)
{
    struct got g = parse("\xEF\xBB\xBF\r\n\r\n  BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n"
                         "END:VEVENT\r\n\r\nEND:VCALENDAR\r\n\r\n\r\n");
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "x");
    got_free(&g);
}

Test(ics, names_in_any_case_are_upper_case)
{
    struct got g =
        parse("begin:vcalendar\r\nBegin:VEvent\r\nsummary:lower\r\n"
              "x-alt-desc;fmttype=text/html:<b>pin 1234</b>\r\n"
              "x-google-conference:https://meet.google.com/aaa-bbbb-ccc\r\n"
              "Organizer;cn=Ann:mailto:ann@example.com\r\nend:vevent\r\nend:vcalendar\r\n");
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 1);
    const struct got_comp *ev = &g.c[0];
    cr_assert_str_eq(ev->kind, "VEVENT");
    static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"},
                                    {ICS_F_DESCRIPTION, "X-ALT-DESC"},
                                    {ICS_F_CONFERENCE, "X-GOOGLE-CONFERENCE"},
                                    {ICS_F_ORGANIZER, "ORGANIZER"},
                                    {ICS_F_ORGANIZER, "ORGANIZER;CN"}};
    expect_props(ev, w, PS_ARRAY_LEN(w));
    expect_prop(ev, "X-ALT-DESC", ICS_F_DESCRIPTION, "<b>pin 1234</b>");
    expect_prop(ev, "ORGANIZER;CN", ICS_F_ORGANIZER, "Ann");
    got_free(&g);
}

Test(ics, conference_fields)
{
    struct got g =
        parse(EV("CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Join:https://meet.example/r\r\n"
                 "X-ACME-CONFERENCE-URL:https://a.example/c\r\n"
                 "X-VENDOR-MEETINGURL:https://b.example/m\r\n"
                 "X-MICROSOFT-ONLINEMEETINGCONFLINK:conf:sip:x@y\r\n"
                 "X-MICROSOFT-ONLINEMEETINGINFORMATION:{}\r\n"));
    cr_assert_not(g.res.malformed);
    const struct got_comp *ev = &g.c[0];
    static const struct want w[] = {{ICS_F_CONFERENCE, "CONFERENCE"},
                                    {ICS_F_CONFERENCE, "X-ACME-CONFERENCE-URL"},
                                    {ICS_F_CONFERENCE, "X-VENDOR-MEETINGURL"},
                                    {ICS_F_CONFERENCE, "X-MICROSOFT-ONLINEMEETINGCONFLINK"},
                                    {ICS_F_OTHER, "X-MICROSOFT-ONLINEMEETINGINFORMATION"}};
    expect_props(ev, w, PS_ARRAY_LEN(w));
    expect_prop(ev, "CONFERENCE", ICS_F_CONFERENCE, "https://meet.example/r");
    got_free(&g);
}

Test(ics, other_text_properties_and_identifiers)
{
    struct got g =
        parse(EV("UID:u-1\r\nRELATED-TO:u-0\r\nCONTACT:Jim\\, +1-555-0100\r\n"
                 "RESOURCES:Projector\r\nATTACH;FMTTYPE=application/pdf:https://drive"
                 ".example/d/1?usp=sharing\r\nATTACH;ENCODING=BASE64;VALUE=BINARY:AAAA\r\n"
                 "SEQUENCE:3\r\nPRIORITY:1\r\nRRULE:FREQ=WEEKLY\r\nGEO:37.3;-122.0\r\n"
                 "REQUEST-STATUS:2.0;Success\r\n"));
    const struct got_comp *ev = &g.c[0];
    cr_assert_str_eq(ev->uid, "u-1");
    static const struct want w[] = {
        {ICS_F_OTHER, "CONTACT"}, {ICS_F_OTHER, "RESOURCES"}, {ICS_F_OTHER, "ATTACH"}};
    expect_props(ev, w, PS_ARRAY_LEN(w));
    expect_prop(ev, "CONTACT", ICS_F_OTHER, "Jim, +1-555-0100");
    expect_prop(ev, "ATTACH", ICS_F_OTHER, "https://drive.example/d/1?usp=sharing");
    got_free(&g);
}

Test(ics, empty_values_are_skipped_not_malformed)
{
    struct got g = parse(EV("SUMMARY:\r\nDESCRIPTION:   \r\nLOCATION;LANGUAGE=en:\r\n"
                            "X-EMPTY:\r\nCOMMENT:kept\r\n"));
    cr_assert_not(g.res.malformed);
    static const struct want w[] = {{ICS_F_COMMENT, "COMMENT"}};
    expect_props(&g.c[0], w, 1);
    cr_assert_str_eq(g.c[0].summary, "");
    got_free(&g);
}

Test(ics, unknown_iana_property_is_kept_whole)
{
    struct got g =
        parse(EV("SUMMARY:s\r\nSTYLED-DESCRIPTION;FMTTYPE=text/html:<p>PIN\\: 4455</p>\r\n"));
    cr_assert_not(g.res.malformed, "an unknown IANA name is allowed");
    static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"}, {ICS_F_OTHER, ""}};
    expect_props(&g.c[0], w, 2);
    cr_assert_str_eq(g.c[0].props[1].value,
                     "STYLED-DESCRIPTION;FMTTYPE=text/html:<p>PIN: 4455</p>");
    got_free(&g);
}

Test(ics, multiple_calendars_in_one_body)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:one\r\nEND:VEVENT\r\n"
                         "END:VCALENDAR\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:two\r\n"
                         "END:VEVENT\r\nEND:VCALENDAR\r\n");
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 2);
    cr_assert_str_eq(g.c[0].summary, "one");
    cr_assert_str_eq(g.c[1].summary, "two");
    got_free(&g);
}

/* --- malformed input: never a crash, what could be read is reported --- */

Test(ics, calendar_properties_after_its_components)
{
    struct got g =
        parse("BEGIN:VCALENDAR\r\nX-WR-CALNAME:early\r\nBEGIN:VEVENT\r\nSUMMARY:e\r\n"
              "END:VEVENT\r\nX-WR-CALDESC:late\\, after\r\nstray words\r\nBEGIN:VTODO\r\n"
              "SUMMARY:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
    cr_assert(g.res.malformed, "RFC 5545 puts calendar properties first");
    static const char *const kinds[] = {"VCALENDAR", "VEVENT", "VCALENDAR", "VTODO"};
    expect_kinds(&g, kinds, 4);
    static const struct want early[] = {{ICS_F_OTHER, "X-WR-CALNAME"}};
    static const struct want late[] = {{ICS_F_OTHER, "X-WR-CALDESC"}, {ICS_F_OTHER, ""}};
    expect_props(&g.c[0], early, 1);
    expect_props(&g.c[2], late, 2);
    cr_assert_str_eq(g.c[2].props[1].value, "stray words");
    expect_prop(&g.c[2], "X-WR-CALDESC", ICS_F_OTHER, "late, after");
    cr_assert_str_eq(g.c[3].summary, "t");
    got_free(&g);
}

Test(ics, properties_per_component_are_bounded)
{
    /* 20,000 tiny lines in one event: the first 10,000 are kept */
    static const char line[] = "X-A:1\r\n";
    const size_t n = 20000;
    char *text = malloc(256 + n * (sizeof(line) - 1));
    cr_assert_not_null(text);
    size_t o = (size_t)sprintf(text, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n");
    for (size_t i = 0; i < n; i++, o += sizeof(line) - 1)
        memcpy(text + o, line, sizeof(line) - 1);
    sprintf(text + o, "END:VEVENT\r\nBEGIN:VTODO\r\nSUMMARY:next\r\nEND:VTODO\r\n"
                      "END:VCALENDAR\r\n");
    struct got g = parse(text);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.c[0].n, 10000);
    cr_assert_str_eq(g.c[1].summary, "next", "the budget is per component");
    got_free(&g);

    /* libical makes one property per comma of CATEGORIES (500 at most) */
    o = (size_t)sprintf(text, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n");
    for (int l = 0; l < 25; l++) {
        o += (size_t)sprintf(text + o, "CATEGORIES:");
        for (int i = 0; i < 499; i++)
            o += (size_t)sprintf(text + o, "c,");
        o += (size_t)sprintf(text + o, "c\r\n");
    }
    sprintf(text + o, "END:VEVENT\r\nEND:VCALENDAR\r\n");
    g = parse(text);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.c[0].n, 10000, "20 lines of 500");
    got_free(&g);

    /* nested components count too: 1 + 2 per alarm fits 4999 alarms */
    static const char alarm[] = "BEGIN:VALARM\r\nDESCRIPTION:a\r\nEND:VALARM\r\n";
    free(text);
    text = malloc(256 + n * (sizeof(alarm) - 1));
    cr_assert_not_null(text);
    o = (size_t)sprintf(text, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:first\r\n");
    for (size_t i = 0; i < n; i++, o += sizeof(alarm) - 1)
        memcpy(text + o, alarm, sizeof(alarm) - 1);
    sprintf(text + o, "END:VEVENT\r\nEND:VCALENDAR\r\n");
    g = parse(text);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 5000);
    cr_assert_str_eq(g.c[0].summary, "first");
    cr_assert_str_eq(g.c[4999].kind, "VALARM");
    got_free(&g);
    free(text);
}

Test(ics, truncated_in_the_middle_of_an_event)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nX-WR-CALNAME:cal\r\nBEGIN:VEVENT\r\nUID:t-1\r\n"
                         "SUMMARY:Cut\r\nDESCRIPTION:Passcode: 55\r\n 12");
    cr_assert(g.res.malformed);
    static const char *const kinds[] = {"VCALENDAR", "VEVENT"};
    expect_kinds(&g, kinds, 2);
    cr_assert_str_eq(g.c[1].uid, "t-1");
    static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"}, {ICS_F_DESCRIPTION, "DESCRIPTION"}};
    expect_props(&g.c[1], w, 2);
    expect_prop(&g.c[1], "DESCRIPTION", ICS_F_DESCRIPTION, "Passcode: 5512");
    got_free(&g);
}

Test(ics, missing_end_vcalendar)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:a\r\nEND:VEVENT\r\n"
                         "BEGIN:VEVENT\r\nSUMMARY:b\r\nEND:VEVENT\r\n");
    cr_assert(g.res.malformed);
    static const char *const kinds[] = {"VEVENT", "VEVENT"};
    expect_kinds(&g, kinds, 2);
    cr_assert_str_eq(g.c[0].summary, "a");
    cr_assert_str_eq(g.c[1].summary, "b");
    got_free(&g);
}

Test(ics, garbage_lines_are_kept_as_text)
{
    /* a DESCRIPTION whose folds lost their leading blank, and noise */
    struct got g = parse(EV("SUMMARY:ok\r\nDESCRIPTION:Join Zoom Meeting\r\n"
                            "https://zoom.us/j/123?pwd=Zx9\r\nMeeting ID: 123\r\n"
                            "\x01\x02 ###\r\n:no name\r\nLOCATION:fine\r\n"));
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 1);
    static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"},  {ICS_F_DESCRIPTION, "DESCRIPTION"},
                                    {ICS_F_OTHER, ""},           {ICS_F_OTHER, ""},
                                    {ICS_F_OTHER, ""},           {ICS_F_OTHER, ""},
                                    {ICS_F_LOCATION, "LOCATION"}};
    expect_props(&g.c[0], w, PS_ARRAY_LEN(w));
    cr_assert_str_eq(g.c[0].props[2].value, "https://zoom.us/j/123?pwd=Zx9");
    cr_assert_str_eq(g.c[0].props[3].value, "Meeting ID: 123");
    cr_assert_str_eq(g.c[0].props[4].value, "\x01\x02 ###");
    cr_assert_str_eq(g.c[0].props[5].value, ":no name");
    expect_prop(&g.c[0], "LOCATION", ICS_F_LOCATION, "fine");
    got_free(&g);
}

Test(ics, end_must_close_what_begin_opened)
{
    struct got g = parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VTODO\r\n"
                         "END:VCALENDAR\r\n");
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "x");
    got_free(&g);
    g = parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nend:vevent\r\nEND: VCALENDAR\r\n");
    cr_assert_not(g.res.malformed, "names compare in any case, blanks aside");
    got_free(&g);
}

Test(ics, libical_errors_mark_malformed_and_are_not_text)
{
    struct got g = parse(EV("DTSTAMP;VALUE=DATE:20261124\r\nDTSTART:tomorrow\r\nSUMMARY:s\r\n"));
    cr_assert(g.res.malformed);
    static const struct want w[] = {{ICS_F_SUMMARY, "SUMMARY"}};
    expect_props(&g.c[0], w, 1);
    cr_assert_str_eq(g.c[0].dtstart, "", "an unreadable DTSTART is dropped");
    got_free(&g);
}

Test(ics, binary_junk_with_nul_bytes)
{
    static const char junk[] = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:a\0b\r\n"
                               "\xff\xfe\0\0\x80junk\0\r\nDESCRIPTION:after\0the nul\r\n"
                               "END:VEVENT\r\nEND:VCALENDAR\r\n";
    struct got g = parse_bytes(junk, sizeof(junk) - 1);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "a b");
    expect_prop(&g.c[0], "DESCRIPTION", ICS_F_DESCRIPTION, "after the nul");
    got_free(&g);

    uint8_t noise[4096];
    srand(7);
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)rand();
    g = parse_bytes(noise, sizeof(noise));
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 0);
    got_free(&g);
}

Test(ics, empty_input)
{
    struct got g = parse_bytes(NULL, 0);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 0);
    got_free(&g);
    g = parse("\r\n  \r\n");
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 0);
    got_free(&g);
}

Test(ics, begin_vcalendar_only)
{
    struct got g = parse("BEGIN:VCALENDAR");
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 0, "no properties, nothing reported");
    got_free(&g);
    g = parse("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 0);
    got_free(&g);
}

Test(ics, not_a_vcalendar_or_outside_any_component)
{
    struct got g = parse("BEGIN:VEVENT\r\nSUMMARY:bare\r\nEND:VEVENT\r\n");
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "bare");
    got_free(&g);
    g = parse("SUMMARY:before\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:in\r\n"
              "END:VEVENT\r\nEND:VCALENDAR\r\nEND:VEVENT\r\ntrailing text\r\n");
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 1);
    cr_assert_str_eq(g.c[0].summary, "in");
    got_free(&g);
}

Test(ics, one_megabyte_single_line)
{
    const size_t big = 1u << 20;
    static const char head[] = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:";
    static const char tail[] = " Passcode: 31337\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    char *text = malloc(sizeof(head) + big + sizeof(tail));
    cr_assert_not_null(text);
    memcpy(text, head, sizeof(head) - 1);
    memset(text + sizeof(head) - 1, 'a', big);
    memcpy(text + sizeof(head) - 1 + big, tail, sizeof(tail));
    clock_t t0 = clock();
    struct got g = parse(text);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_assert_not(g.res.malformed);
    cr_assert_eq(g.n, 1);
    const struct got_prop *d = prop(&g.c[0], "DESCRIPTION", 0);
    cr_assert_not_null(d);
    cr_assert_eq(strlen(d->value), big + strlen(" Passcode: 31337"));
    cr_assert_str_eq(d->value + big, " Passcode: 31337");
    cr_assert_lt(secs, 2.0, "linear in the line length (%.2f s)", secs);
    got_free(&g);

    /* the same megabyte with no line end and no name at all */
    memset(text, 'x', big);
    g = parse_bytes(text, big);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 0);
    got_free(&g);
    free(text);
}

Test(ics, deeply_nested_components)
{
    /* 40 levels, each with a property: the first 16 are reported, deeper
     * ones skipped, and the properties after them still land */
    char *text = malloc(64 * 1024);
    cr_assert_not_null(text);
    size_t o = (size_t)sprintf(text, "BEGIN:VCALENDAR\r\nX-LEVEL:1\r\n");
    for (int i = 2; i <= 40; i++)
        o += (size_t)sprintf(text + o, "BEGIN:X-N\r\nX-LEVEL:%d\r\n", i);
    for (int i = 40; i >= 2; i--)
        o += (size_t)sprintf(text + o, "END:X-N\r\n%s", i == 3 ? "X-BACK:2\r\n" : "");
    sprintf(text + o, "END:VCALENDAR\r\n");
    struct got g = parse(text);
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 16);
    for (int i = 0; i < 16; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%d", i + 1);
        cr_assert_str_eq(prop(&g.c[i], "X-LEVEL", 0)->value, want);
    }
    cr_assert_str_eq(prop(&g.c[1], "X-BACK", 0)->value, "2");
    got_free(&g);
    free(text);

    /* 200,000 BEGINs and no END */
    const size_t n = 200000;
    static const char step[] = "BEGIN:VEVENT\r\nSUMMARY:s\r\n";
    text = malloc(n * (sizeof(step) - 1) + 1);
    cr_assert_not_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * (sizeof(step) - 1), step, sizeof(step) - 1);
    g = parse_bytes(text, n * (sizeof(step) - 1));
    cr_assert(g.res.malformed);
    cr_assert_eq(g.n, 16);
    cr_assert_str_eq(g.c[15].summary, "s");
    got_free(&g);
    free(text);
}

static void count_only(void *ctx, const struct ics_component *c)
{
    (*(size_t *)ctx) += c->n_props;
}

Test(ics, every_prefix_of_an_invite_parses)
{
    /* truncation at every byte: no crash, and malformed unless complete */
    const size_t len = strlen(outlook_invite);
    for (size_t cut = 0; cut < len; cut++) {
        size_t props = 0;
        struct ics_result res;
        cr_assert_eq(ics_parse((const uint8_t *)outlook_invite, cut, count_only, &props, &res),
                     PS_OK);
        cr_assert(res.malformed || cut >= len - 2, "cut at %zu", cut);
    }
}

/* --- probe --- */

static struct ps_slice sl(const char *s)
{
    return (struct ps_slice){(const uint8_t *)s, s != NULL ? strlen(s) : 0};
}

Test(ics, probe_by_content_type)
{
    cr_assert(ics_probe(sl("text/calendar"), sl("")));
    cr_assert(ics_probe(sl("Text/Calendar; charset=utf-8; method=REQUEST"), sl("")));
    cr_assert(ics_probe(sl("  TEXT/CALENDAR  ;method=PUBLISH"), sl("<html>")));
    cr_assert(ics_probe(sl("\ttext/calendar\t"), sl(NULL)));
    cr_assert_not(ics_probe(sl("text/calendars"), sl("")));
    cr_assert_not(ics_probe(sl("text/html"), sl("<html>")));
    cr_assert_not(ics_probe(sl("application/text/calendar"), sl("")));
    cr_assert_not(ics_probe(sl("text/calendar-x"), sl("")));
    cr_assert_not(ics_probe(sl(""), sl("")));
}

Test(ics, probe_by_body_start)
{
    cr_assert(ics_probe(sl("application/octet-stream"), sl("BEGIN:VCALENDAR\r\nVERSION:2.0")));
    cr_assert(ics_probe(sl(NULL), sl("begin:vcalendar\n")));
    cr_assert(ics_probe(sl("text/plain"), sl("\xEF\xBB\xBF\r\n \t\r\nBEGIN:VCALENDAR")));
    cr_assert(ics_probe(sl(""), sl("BEGIN:VCALENDAR ")));
    cr_assert_not(ics_probe(sl(""), sl("BEGIN:VCAL")), "too short to tell");
    cr_assert_not(ics_probe(sl(""), sl("BEGIN:VCALENDARX")));
    cr_assert_not(ics_probe(sl(""), sl("BEGIN:VEVENT\r\n")));
    cr_assert_not(ics_probe(sl(""), sl("<html>BEGIN:VCALENDAR")));
    cr_assert_not(ics_probe(sl(""), sl("\xEF\xBB")));
    cr_assert_not(ics_probe(sl(NULL), sl(NULL)));
}
