/*
 * fuzz_ics.c - the iCalendar layer (parsers/ics.h): the input is a
 * calendar body. ics_probe decides on it (with and without a text/calendar
 * type), ics_parse walks it, every component and property is read; then
 * the same body goes through the engine as an HTTP response of type
 * text/calendar, so inspect_ics collects it, parses it and runs the
 * shipped meeting rules over each component.
 */
#include "fuzz.h"
#include "ics.h"

struct fz_ics {
    unsigned components;
};

static void fz_ics_component(void *ctx, const struct ics_component *c)
{
    struct fz_ics *s = ctx;
    s->components++;
    FZ_CHECK(c->kind != NULL && c->kind[0] != '\0');
    fz_touch(c->uid);
    fz_touch(c->summary);
    fz_touch(c->dtstart);
    fz_touch(c->organizer);
    FZ_CHECK(c->n_props == 0 || c->props != NULL);
    for (size_t i = 0; i < c->n_props; i++) {
        FZ_CHECK(c->props[i].field < ICS_F_MAX);
        FZ_CHECK(c->props[i].name != NULL);
        fz_touch(c->props[i].value);
    }
}

static const char http_head[] = "GET /cal/feed.ics HTTP/1.1\r\nHost: calendar.example\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char ct[] = "text/calendar; charset=utf-8";
    struct ps_slice body = {data, size};
    (void)ics_probe((struct ps_slice){NULL, 0}, body);
    bool is_cal = ics_probe((struct ps_slice){(const uint8_t *)ct, sizeof(ct) - 1}, body);
    FZ_CHECK(is_cal);

    struct fz_ics s = {0};
    struct ics_result res = {0};
    int rc = ics_parse(data, size, fz_ics_component, &s, &res);
    FZ_CHECK(rc == PS_OK || rc == PS_NOMEM);
    if (rc == PS_OK)
        FZ_CHECK(res.components == s.components);

    /* The same body as an HTTP response, through inspect_ics. */
    struct fz_app *a = fz_app_create(1u << 20);
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", ct,
                     size);
    fz_app_feed(a, PS_TOSERVER, (const uint8_t *)http_head, sizeof(http_head) - 1);
    fz_app_feed(a, PS_TOCLIENT, (const uint8_t *)head, (size_t)n);
    if (size > 0)
        fz_app_feed(a, PS_TOCLIENT, data, size);
    fz_app_finish(a);
    return 0;
}
