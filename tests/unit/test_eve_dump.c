/* Unit tests for eve_dump: jansson's json_dumpb with the flags EVE lines
 * were written with is the oracle, over hand-picked and random values. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eve_dump.h"

static const size_t FLAGS = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII;

static void same_as_jansson(json_t *v)
{
    static char want[1 << 16], got[1 << 16];
    size_t wn = json_dumpb(v, want, sizeof(want), FLAGS);
    size_t gn = eve_dump(v, got, sizeof(got));
    cr_assert_eq(gn, wn, "length %zu, jansson %zu: %.*s", gn, wn, (int)(wn < 400 ? wn : 400), want);
    cr_assert(memcmp(got, want, wn) == 0, "got %.*s\nwant %.*s", (int)gn, got, (int)wn, want);
}

Test(eve_dump, matches_jansson_on_every_kind_of_value)
{
    json_t *o = json_object();
    json_object_set_new(o, "timestamp", json_string("2024-05-14T09:21:07.482913+0000"));
    json_object_set_new(o, "flow_id", json_integer(1588254609147282));
    json_object_set_new(o, "neg", json_integer(-42));
    json_object_set_new(o, "min", json_integer(INT64_MIN));
    json_object_set_new(o, "max", json_integer(INT64_MAX));
    json_object_set_new(o, "zero", json_integer(0));
    json_object_set_new(o, "t", json_true());
    json_object_set_new(o, "f", json_false());
    json_object_set_new(o, "n", json_null());
    json_object_set_new(o, "real", json_real(3.25));
    json_object_set_new(o, "real2", json_real(1e-300));
    json_object_set_new(o, "empty", json_string(""));
    json_object_set_new(o, "eo", json_object());
    json_object_set_new(o, "ea", json_array());
    json_object_set_new(o, "esc \"k\"\n", json_string("q\" b\\ / \b\f\n\r\t \x01\x1f\x7f"));
    json_object_set_new(o, "utf8", json_string("\xc3\xa4\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 z"));
    json_t *a = json_array();
    for (int i = 0; i < 5; i++)
        json_array_append_new(a, json_integer(i * 1000003));
    json_t *inner = json_object();
    json_object_set_new(inner, "url", json_string("/owa/calendar/x?a=1&b=%20"));
    json_array_append_new(a, inner);
    json_object_set_new(o, "arr", a);
    same_as_jansson(o);
    json_decref(o);
}

/* Random strings of valid UTF-8 and ASCII, control bytes included. */
Test(eve_dump, matches_jansson_on_random_strings)
{
    static const char *pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\x01", "\x1f", "\x7f",
                                   "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbd",
                                   "\xed\x9f\xbf", "\xee\x80\x80", "\xf0\x90\x80\x80",
                                   "\xf4\x8f\xbf\xbf", "%", "~"};
    srand(7);
    for (int round = 0; round < 2000; round++) {
        char s[512];
        size_t n = 0;
        int parts = rand() % 40;
        for (int i = 0; i < parts; i++) {
            const char *p = pieces[rand() % (int)(sizeof(pieces) / sizeof(*pieces))];
            memcpy(s + n, p, strlen(p));
            n += strlen(p);
        }
        json_t *o = json_object();
        json_object_set_new(o, "k", json_stringn(s, n));
        json_object_set_new(o, "i", json_integer((json_int_t)rand() * (rand() % 2 ? 1 : -1)));
        same_as_jansson(o);
        json_decref(o);
    }
}

Test(eve_dump, invalid_utf8_fails_like_jansson)
{
    static const char *bad[] = {"\x80", "\xc0\x80", "\xc3", "\xe0\x80\x80", "\xed\xa0\x80",
                                "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "ok\xff"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        json_t *o = json_object();
        json_object_set_new_nocheck(o, "k", json_stringn_nocheck(bad[i], strlen(bad[i])));
        char buf[64];
        cr_assert_eq(json_dumpb(o, buf, sizeof(buf), FLAGS), 0, "jansson accepts case %zu", i);
        cr_assert_eq(eve_dump(o, buf, sizeof(buf)), 0, "case %zu", i);
        json_decref(o);
    }
}

Test(eve_dump, short_buffer_gets_the_length_needed)
{
    json_t *o = json_pack("{s:s, s:i}", "hostname", "cal.example", "status", 200);
    char full[64], part[10];
    size_t n = eve_dump(o, full, sizeof(full));
    cr_assert_str_eq((full[n] = '\0', full), "{\"hostname\":\"cal.example\",\"status\":200}");
    memset(part, '#', sizeof(part));
    cr_assert_eq(eve_dump(o, part, 8), n);
    cr_assert(memcmp(part, full, 8) == 0);
    cr_assert_eq(part[8], '#', "wrote past the size");
    cr_assert_eq(eve_dump(o, NULL, 0), n);
    json_decref(o);
}
