/* Unit tests for the detection engine: rules from the parser, compiled to
 * Hyperscan, matched against the buffers of one inspection unit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_int.h" /* which patterns were deferred */

static const uint8_t CLIENT[16] = {10, 0, 0, 1};
static const uint8_t SERVER[16] = {192, 0, 2, 10};

struct field {
    enum rule_buffer b;
    const char *v;
    size_t len; /* 0: strlen(v) */
};

struct fx {
    struct rule_set rs;
    struct detect_engine *de;
    struct detect_thread *dt;
    struct detect_build_stats bs;
    struct detect_state *st;
    const struct detect_alert *alerts;
    size_t n;
    char *diag;
    size_t diag_len;
    FILE *diagf;
};

static struct detect_unit http_unit(void)
{
    return (struct detect_unit){
        .proto = RULE_PROTO_HTTP,
        .ip_ver = 4,
        .client = CLIENT,
        .server = SERVER,
        .client_port = 40000,
        .server_port = 80,
        .established = true,
    };
}

/* Parse and build; every rule must parse, compile failures are allowed
 * (tests check bs.rules_failed). */
static void fx_load(struct fx *f, const char *rules)
{
    memset(f, 0, sizeof(*f));
    rule_set_init(&f->rs);
    f->diagf = open_memstream(&f->diag, &f->diag_len);
    cr_assert_not_null(f->diagf);
    f->rs.diag = f->diagf;
    cr_assert_eq(rule_set_load_classification_string(&f->rs, "classification.config",
                                                     "config classification: credential-leak,Credential leak,1\n"
                                                     "config classification: misc-activity,Misc activity,3\n"),
                 PS_OK);
    cr_assert_eq(rule_set_load_string(&f->rs, "test.rules", rules), PS_OK);
    fflush(f->diagf);
    cr_assert_eq(f->rs.n_errors + f->rs.n_skipped, 0, "rules refused: %s", f->diag);
    f->de = detect_engine_build(&f->rs, f->diagf, &f->bs);
    fflush(f->diagf);
    cr_assert_not_null(f->de, "%s", f->diag);
    f->dt = detect_thread_create(f->de);
    cr_assert_not_null(f->dt);
}

static void fx_free(struct fx *f)
{
    if (f->st != NULL)
        detect_state_put(f->dt, f->st);
    detect_thread_destroy(f->dt);
    detect_engine_destroy(f->de);
    rule_set_free(&f->rs);
    fclose(f->diagf);
    free(f->diag);
}

/* Scan the fields into a fresh state (kept in f->st) and evaluate it. */
static size_t fx_eval_unit(struct fx *f, const struct detect_unit *u, const struct field *fl,
                           size_t n)
{
    if (f->st != NULL)
        detect_state_put(f->dt, f->st);
    f->st = detect_state_get(f->dt);
    cr_assert_not_null(f->st);
    for (size_t i = 0; i < n; i++) {
        size_t len = fl[i].len ? fl[i].len : strlen(fl[i].v);
        if (rule_buffer_is_stream(fl[i].b))
            detect_stream(f->dt, f->st, fl[i].b, (const uint8_t *)fl[i].v, len);
        else
            detect_scan(f->dt, f->st, fl[i].b, (const uint8_t *)fl[i].v, len);
    }
    f->n = detect_eval(f->dt, f->st, u, &f->alerts);
    return f->n;
}

static size_t fx_eval(struct fx *f, const struct field *fl, size_t n)
{
    struct detect_unit u = http_unit();
    return fx_eval_unit(f, &u, fl, n);
}

static const struct detect_alert *fx_alert(const struct fx *f, uint32_t sid)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->alerts[i].rule->sid == sid)
            return &f->alerts[i];
    return NULL;
}

/* One buffer, one value: does rule `sid` fire? */
static bool fires1(struct fx *f, enum rule_buffer b, const char *v, uint32_t sid)
{
    const struct field fl[] = {{b, v, 0}};
    fx_eval(f, fl, 1);
    return fx_alert(f, sid) != NULL;
}

static bool secret_is(const struct detect_alert *a, const char *want)
{
    return a != NULL && a->secret.len == strlen(want) &&
           memcmp(a->secret.ptr, want, a->secret.len) == 0;
}

/* ---- contents ---- */

Test(detect, content_matches_its_buffer_only)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"owa\"; http.uri; content:\"/owa/\"; sid:1;)\n");
    cr_assert_eq(f.bs.rules_loaded, 1);
    cr_assert(detect_engine_uses(f.de, RB_HTTP_URI));
    cr_assert_not(detect_engine_uses(f.de, RB_HTTP_HOST));
    cr_assert(detect_engine_has_proto(f.de, RULE_PROTO_HTTP));
    cr_assert_not(detect_engine_has_proto(f.de, RULE_PROTO_ICS));
    cr_assert(fires1(&f, RB_HTTP_URI, "/owa/calendar/x", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/OWA/calendar/x", 1));
    cr_assert_not(fires1(&f, RB_HTTP_HOST, "/owa/", 1));
    cr_assert_eq(f.n, 0);
    fx_free(&f);
}

Test(detect, nocase_and_binary_bytes)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"a\"; http.uri; content:\"/OwA/\"; nocase; sid:1;)\n"
                "alert http any any -> any any (msg:\"b\"; http.header; content:\"A|00 FF|z\"; sid:2;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "/owa/", 1));
    cr_assert(fires1(&f, RB_HTTP_URI, "x/OWA/", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/ow/a", 1));
    const struct field bin[] = {{RB_HTTP_HEADER, "xA\0\xffz", 5}};
    fx_eval(&f, bin, 1);
    cr_assert_not_null(fx_alert(&f, 2));
    const struct field bin_case[] = {{RB_HTTP_HEADER, "xa\0\xffz", 5}};
    fx_eval(&f, bin_case, 1);
    cr_assert_null(fx_alert(&f, 2));
    fx_free(&f);
}

Test(detect, negated_content_needs_its_buffer_present)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"n\"; http.uri; content:\"/a\"; "
                "http.user_agent; content:!\"curl\"; sid:1;)\n");
    const struct field moz[] = {{RB_HTTP_URI, "/a", 0}, {RB_HTTP_USER_AGENT, "Mozilla/5.0", 0}};
    const struct field curl[] = {{RB_HTTP_URI, "/a", 0}, {RB_HTTP_USER_AGENT, "curl/8.1", 0}};
    const struct field none[] = {{RB_HTTP_URI, "/a", 0}};
    const struct field empty[] = {{RB_HTTP_URI, "/a", 0}, {RB_HTTP_USER_AGENT, "", 0}};
    cr_assert_eq(fx_eval(&f, moz, 2), 1);
    cr_assert_eq(fx_eval(&f, curl, 2), 0);
    cr_assert_eq(fx_eval(&f, none, 1), 0);
    cr_assert_eq(fx_eval(&f, empty, 2), 0, "an empty value is an absent buffer");
    fx_free(&f);
}

Test(detect, rule_with_only_negated_conditions_is_always_evaluated)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"n\"; http.user_agent; content:!\"curl\"; sid:1;)\n");
    cr_assert(fires1(&f, RB_HTTP_USER_AGENT, "Mozilla", 1));
    cr_assert_not(fires1(&f, RB_HTTP_USER_AGENT, "curl/8", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/", 1));
    fx_free(&f);
}

Test(detect, startswith_and_endswith)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"s\"; http.uri; content:\"/a\"; startswith; sid:1;)\n"
                "alert http any any -> any any (msg:\"e\"; http.uri; content:\".ics\"; endswith; sid:2;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "/a/b", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "x/a", 1));
    cr_assert(fires1(&f, RB_HTTP_URI, "/cal.ics", 2));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/cal.ics?x", 2));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/cal.ics\n", 2), "endswith is the very end");
    fx_free(&f);
}

Test(detect, offset_and_depth_boundaries)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"o\"; http.uri; content:\"abc\"; offset:3; sid:1;)\n"
                "alert http any any -> any any (msg:\"d\"; http.host; content:\"abc\"; depth:5; sid:2;)\n"
                "alert http any any -> any any (msg:\"od\"; http.cookie; content:\"abc\"; offset:2; depth:4; sid:3;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "xxxabc", 1), "starts exactly at offset");
    cr_assert(fires1(&f, RB_HTTP_URI, "xxxxxabc", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "xxabc", 1), "one before offset");
    cr_assert(fires1(&f, RB_HTTP_HOST, "xxabc", 2), "ends exactly at depth");
    cr_assert_not(fires1(&f, RB_HTTP_HOST, "xxxabc", 2), "one past depth");
    cr_assert(fires1(&f, RB_HTTP_HOST, "abcxxxxxx", 2));
    cr_assert(fires1(&f, RB_HTTP_COOKIE, "xxabc", 3));
    cr_assert(fires1(&f, RB_HTTP_COOKIE, "xxxabc", 3), "ends at offset + depth");
    cr_assert_not(fires1(&f, RB_HTTP_COOKIE, "xxxxabc", 3));
    cr_assert_not(fires1(&f, RB_HTTP_COOKIE, "xabc", 3));
    fx_free(&f);
}

Test(detect, distance_and_within_boundaries)
{
    struct fx f;
    fx_load(&f,
            "alert http any any -> any any (msg:\"d\"; http.uri; content:\"a=\"; content:\"XY\"; distance:2; sid:1;)\n"
            "alert http any any -> any any (msg:\"w\"; http.host; content:\"a=\"; content:\"XY\"; within:4; sid:2;)\n"
            "alert http any any -> any any (msg:\"dw\"; http.cookie; content:\"a=\"; content:\"XY\"; distance:1; within:4; sid:3;)\n"
            "alert http any any -> any any (msg:\"d0\"; http.referer; content:\"a=\"; content:\"XY\"; distance:0; sid:4;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "a=..XY", 1));
    cr_assert(fires1(&f, RB_HTTP_URI, "a=..........XY", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "a=.XY", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "XY..a=", 1), "order matters");
    cr_assert(fires1(&f, RB_HTTP_HOST, "a=XY", 2));
    cr_assert(fires1(&f, RB_HTTP_HOST, "a=..XY", 2), "ends exactly within");
    cr_assert_not(fires1(&f, RB_HTTP_HOST, "a=...XY", 2), "one past within");
    cr_assert_not(fires1(&f, RB_HTTP_COOKIE, "a=XY", 3));
    cr_assert(fires1(&f, RB_HTTP_COOKIE, "a=.XY", 3));
    cr_assert(fires1(&f, RB_HTTP_COOKIE, "a=...XY", 3));
    cr_assert_not(fires1(&f, RB_HTTP_COOKIE, "a=....XY", 3));
    cr_assert(fires1(&f, RB_HTTP_COOKIE, "a=XYa=..XY", 3), "a later first content counts");
    cr_assert(fires1(&f, RB_HTTP_REFERER, "a=XY", 4));
    cr_assert(fires1(&f, RB_HTTP_REFERER, "a=\r\n..XY", 4), "gaps span every byte");
    fx_free(&f);
}

Test(detect, chain_first_content_offset_and_depth)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"c\"; http.uri; content:\"a=\"; offset:1; depth:3; "
                "content:\"XY\"; distance:0; sid:1;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "xa=XY", 1));
    cr_assert(fires1(&f, RB_HTTP_URI, "xxa=..XY", 1), "ends at offset + depth");
    cr_assert_not(fires1(&f, RB_HTTP_URI, "xxxa=XY", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "a=XY", 1));
    fx_free(&f);
}

Test(detect, fast_pattern_gates_evaluation_without_changing_results)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"f\"; http.uri; content:\"/x/\"; fast_pattern; "
                "content:\"longer-literal\"; sid:1;)\n"
                "alert http any any -> any any (msg:\"g\"; http.uri; content:\"/y/\"; "
                "http.host; content:\"much-longer-host\"; sid:2;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "/x/longer-literal", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/z/longer-literal", 1), "fast pattern absent");
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/x/short", 1), "other content absent");
    const struct field both[] = {{RB_HTTP_URI, "/y/", 0}, {RB_HTTP_HOST, "much-longer-host", 0}};
    const struct field uri_only[] = {{RB_HTTP_URI, "/y/", 0}, {RB_HTTP_HOST, "other", 0}};
    const struct field host_only[] = {{RB_HTTP_URI, "/q/", 0}, {RB_HTTP_HOST, "much-longer-host", 0}};
    cr_assert_eq(fx_eval(&f, both, 2), 1);
    cr_assert_eq(fx_eval(&f, uri_only, 2), 0);
    cr_assert_eq(fx_eval(&f, host_only, 2), 0);
    fx_free(&f);
}

Test(detect, and_across_buffers)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"and\"; http.method; content:\"POST\"; "
                "http.uri; content:\"/login\"; http.host; content:\"example.com\"; sid:1;)\n");
    const struct field all[] = {{RB_HTTP_METHOD, "POST", 0}, {RB_HTTP_URI, "/login", 0},
                                {RB_HTTP_HOST, "www.example.com", 0}};
    cr_assert_eq(fx_eval(&f, all, 3), 1);
    cr_assert_eq(fx_eval(&f, all, 2), 0);
    cr_assert_eq(fx_eval(&f, all + 1, 2), 0);
    fx_free(&f);
}

Test(detect, buffer_scanned_twice_ors_its_values)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"h\"; http.content_type; content:\"text/calendar\"; "
                "content:\"charset\"; sid:1;)\n");
    const struct field two[] = {{RB_HTTP_CONTENT_TYPE, "text/calendar", 0},
                                {RB_HTTP_CONTENT_TYPE, "text/html; charset=utf-8", 0}};
    cr_assert_eq(fx_eval(&f, two, 2), 1);
    cr_assert_eq(fx_eval(&f, two, 1), 0);
    fx_free(&f);
}

/* ---- pcre ---- */

Test(detect, pcre_exact)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"p\"; http.uri; pcre:\"/id=[0-9]{4}\\b/\"; sid:1;)\n"
                "alert http any any -> any any (msg:\"q\"; http.host; pcre:\"/^WWW\\./i\"; sid:2;)\n");
    cr_assert_eq(f.bs.prefiltered, 0);
    cr_assert(fires1(&f, RB_HTTP_URI, "/?id=1234&x", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/?id=12345", 1));
    cr_assert(fires1(&f, RB_HTTP_HOST, "www.example", 2));
    cr_assert_not(fires1(&f, RB_HTTP_HOST, "x.www.example", 2));
    cr_assert_eq(detect_thread_stats(f.dt)->confirms, 0, "exact patterns need no PCRE2");
    fx_free(&f);
}

Test(detect, pcre_prefiltered_is_confirmed_by_pcre2)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"b\"; http.uri; pcre:\"/(\\w+)-\\1/\"; sid:1;)\n"
                "alert http any any -> any any (msg:\"l\"; http.host; pcre:\"/token(?=[0-9])/\"; sid:2;)\n");
    cr_assert_eq(f.bs.rules_loaded, 2);
    cr_assert_eq(f.bs.prefiltered, 2);
    cr_assert(fires1(&f, RB_HTTP_URI, "/abc-abc", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/abc-abd", 1));
    cr_assert(fires1(&f, RB_HTTP_HOST, "token5", 2));
    cr_assert_not(fires1(&f, RB_HTTP_HOST, "tokenx", 2));
    const struct detect_thread_stats *s = detect_thread_stats(f.dt);
    cr_assert_geq(s->confirms, 4);
    cr_assert_geq(s->confirm_failed, 1);
    fx_free(&f);
}

Test(detect, pcre_secret_skips_matches_failing_the_filters)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"s\"; http.uri; "
                "pcre:\"/key=(?P<secret>[A-Za-z0-9]+)/\"; plainsight.min_len:16; "
                "plainsight.min_entropy:3.0; sid:1;)\n");
    /* low entropy (2.0), too short, then a good one */
    fires1(&f, RB_HTTP_URI, "/?key=abcdabcdabcdabcdbadc&key=Zx9Qw3Er&key=Zx9Qw3Er7Ty1Ui5Op2", 1);
    cr_assert(secret_is(fx_alert(&f, 1), "Zx9Qw3Er7Ty1Ui5Op2"));
    cr_assert_eq(fx_alert(&f, 1)->secret_buffer, RB_HTTP_URI);
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/?key=abcdabcdabcdabcdbadc", 1), "entropy too low");
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/?key=Zx9Qw3Er7Ty1", 1), "too short");
    cr_assert_geq(detect_thread_stats(f.dt)->confirm_failed, 2);
    fx_free(&f);
}

Test(detect, pcre_secret_placeholders_are_rejected)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"s\"; http.uri; "
                "pcre:\"/key=(?P<secret>[^&]+)/\"; sid:1;)\n");
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/?key=changeme", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/?key=<YOUR_KEY>", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/?key=xxxxxxxx", 1));
    cr_assert(fires1(&f, RB_HTTP_URI, "/?key=changeme&key=Harbor-FAKE-2026", 1));
    cr_assert(secret_is(fx_alert(&f, 1), "Harbor-FAKE-2026"));
    fx_free(&f);
}

Test(detect, pcre_modifiers)
{
    struct fx f;
    fx_load(&f,
            "alert http any any -> any any (msg:\"i\"; http.uri; pcre:\"/abc/i\"; sid:1;)\n"
            "alert http any any -> any any (msg:\"s\"; http.host; pcre:\"/a.b/s\"; sid:2;)\n"
            "alert http any any -> any any (msg:\"dot\"; http.host; pcre:\"/c.d/\"; sid:3;)\n"
            "alert http any any -> any any (msg:\"m\"; http.cookie; pcre:\"/^b$/m\"; sid:4;)\n"
            "alert http any any -> any any (msg:\"x\"; http.referer; pcre:\"/a b c # spaces ignored/x\"; sid:5;)\n"
            "alert http any any -> any any (msg:\"A\"; http.user_agent; pcre:\"/bc|zz/A\"; sid:6;)\n"
            "alert http any any -> any any (msg:\"E\"; http.stat_msg; pcre:\"/end$/E\"; sid:7;)\n"
            "alert http any any -> any any (msg:\"$\"; http.stat_msg; pcre:\"/fin$/\"; sid:8;)\n"
            "alert http any any -> any any (msg:\"G\"; http.location; pcre:\"/k=(?P<secret>.+)&/G\"; sid:9;)\n");
    cr_assert(fires1(&f, RB_HTTP_URI, "xABCx", 1));
    cr_assert(fires1(&f, RB_HTTP_HOST, "a\nb", 2));
    cr_assert_not(fires1(&f, RB_HTTP_HOST, "c\nd", 3));
    cr_assert(fires1(&f, RB_HTTP_HOST, "c-d", 3));
    cr_assert(fires1(&f, RB_HTTP_COOKIE, "a\nb\nc", 4));
    cr_assert_not(fires1(&f, RB_HTTP_COOKIE, "a\nbb\nc", 4));
    cr_assert(fires1(&f, RB_HTTP_REFERER, "xabcx", 5));
    cr_assert(fires1(&f, RB_HTTP_USER_AGENT, "bcd", 6));
    cr_assert(fires1(&f, RB_HTTP_USER_AGENT, "zz", 6));
    cr_assert_not(fires1(&f, RB_HTTP_USER_AGENT, "abcd", 6), "A anchors at the start");
    cr_assert(fires1(&f, RB_HTTP_USER_AGENT, "bc zz", 6));
    cr_assert(fires1(&f, RB_HTTP_STAT_MSG, "the end", 7));
    cr_assert_not(fires1(&f, RB_HTTP_STAT_MSG, "the end\n", 7), "E: $ only at the very end");
    cr_assert(fires1(&f, RB_HTTP_STAT_MSG, "the fin\n", 8));
    fires1(&f, RB_HTTP_LOCATION, "k=Zx9Qw3Er&y=1&", 9);
    cr_assert(secret_is(fx_alert(&f, 9), "Zx9Qw3Er"), "G: ungreedy");
    fx_free(&f);
}

Test(detect, content_and_pcre_on_one_buffer)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"owa\"; flow:established,to_server; http.uri.raw; "
                "content:\"/owa/calendar/\"; nocase; "
                "pcre:\"/\\/(?P<secret>[0-9a-f]{32}[0-9]{17,20})\\//\"; plainsight.min_entropy:3.0; sid:1;)\n");
    const char *uri = "/owa/calendar/7e06d7c1c400911d31690a8ff606eb0e@contoso.example/"
                      "c0ffeef51f7f7c0fa631639aae99aca87151056338189192863/calendar.ics";
    cr_assert(fires1(&f, RB_HTTP_URI_RAW, uri, 1));
    cr_assert(secret_is(fx_alert(&f, 1), "c0ffeef51f7f7c0fa631639aae99aca87151056338189192863"));
    cr_assert_not(fires1(&f, RB_HTTP_URI_RAW, "/owa/calendar/x/calendar.ics", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI_RAW,
                         "/other/c0ffeef51f7f7c0fa631639aae99aca87151056338189192863/", 1));
    fx_free(&f);
}

/* ---- header, flow, protocol ---- */

Test(detect, request_and_response_orientation_with_addresses_and_ports)
{
    struct fx f;
    fx_load(&f,
            "alert http 10.0.0.0/8 any -> 192.0.2.0/24 80 (msg:\"req\"; http.uri; content:\"/a\"; sid:1;)\n"
            "alert http 192.0.2.0/24 80 -> 10.0.0.0/8 any (msg:\"resp\"; http.stat_code; content:\"301\"; sid:2;)\n"
            "alert http 192.0.2.0/24 any -> any any (msg:\"wrong side\"; http.uri; content:\"/a\"; sid:3;)\n"
            "alert http !10.0.0.1 any -> any any (msg:\"neg addr\"; http.uri; content:\"/a\"; sid:4;)\n"
            "alert http any any -> any ![80,443] (msg:\"neg port\"; http.uri; content:\"/a\"; sid:5;)\n"
            "alert http any 80 -> any any (msg:\"to_client\"; flow:to_client; http.uri; content:\"/a\"; sid:6;)\n"
            "alert http 192.0.2.10 any <> 10.0.0.1 any (msg:\"bidir\"; http.uri; content:\"/a\"; sid:7;)\n"
            "alert http [10.0.0.0/24,!10.0.0.1] any -> any any (msg:\"list\"; http.uri; content:\"/a\"; sid:8;)\n"
            "alert http any any -> any 1:1024 (msg:\"range\"; http.uri; content:\"/a\"; sid:9;)\n");
    const struct field fl[] = {{RB_HTTP_URI, "/a", 0}, {RB_HTTP_STAT_CODE, "301", 0}};
    fx_eval(&f, fl, 2);
    cr_assert_not_null(fx_alert(&f, 1));
    cr_assert_not_null(fx_alert(&f, 2), "a response-only rule's src is the server");
    cr_assert_null(fx_alert(&f, 3));
    cr_assert_null(fx_alert(&f, 4));
    cr_assert_null(fx_alert(&f, 5));
    cr_assert_not_null(fx_alert(&f, 6), "to_client: src is the server (port 80)");
    cr_assert_not_null(fx_alert(&f, 7), "<> matches the reverse orientation");
    cr_assert_null(fx_alert(&f, 8));
    cr_assert_not_null(fx_alert(&f, 9));

    struct detect_unit u = http_unit();
    static const uint8_t other[16] = {10, 0, 0, 7};
    u.client = other;
    u.server_port = 8080;
    fx_eval_unit(&f, &u, fl, 2);
    cr_assert_null(fx_alert(&f, 1), "port 8080 is not 80");
    cr_assert_not_null(fx_alert(&f, 4));
    cr_assert_not_null(fx_alert(&f, 5));
    cr_assert_not_null(fx_alert(&f, 8));
    cr_assert_null(fx_alert(&f, 9));
    cr_assert_null(fx_alert(&f, 7));
    fx_free(&f);
}

Test(detect, ipv6_addresses)
{
    struct fx f;
    fx_load(&f, "alert http [2001:db8::/32] any -> any any (msg:\"v6\"; http.uri; content:\"/a\"; sid:1;)\n");
    static const uint8_t c6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb9, [15] = 2};
    struct detect_unit u = http_unit();
    u.ip_ver = 6;
    u.client = c6;
    u.server = s6;
    const struct field fl[] = {{RB_HTTP_URI, "/a", 0}};
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 1), 1);
    u.client = s6;
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 1), 0);
    fx_free(&f);
}

Test(detect, flow_established_redirect_upgrade_and_protocol)
{
    struct fx f;
    fx_load(&f,
            "alert http any any -> any any (msg:\"e\"; flow:established,to_server; http.uri; content:\"/a\"; sid:1;)\n"
            "alert http any any -> any any (msg:\"r\"; http.redirect_upgrade; sid:2;)\n"
            "alert ics any any -> any any (msg:\"i\"; ics.description; content:\"Passcode\"; sid:3;)\n");
    cr_assert(detect_engine_has_proto(f.de, RULE_PROTO_ICS));
    struct detect_unit u = http_unit();
    const struct field fl[] = {{RB_HTTP_URI, "/a", 0}, {RB_ICS_DESCRIPTION, "Passcode: 4411", 0}};
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 2), 1);
    cr_assert_not_null(fx_alert(&f, 1));
    u.established = false;
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 2), 0);
    u.redirect_upgrade = true;
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 0), 1);
    cr_assert_not_null(fx_alert(&f, 2));
    u = http_unit();
    u.proto = RULE_PROTO_ICS;
    u.redirect_upgrade = true;
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 2), 1);
    cr_assert_not_null(fx_alert(&f, 3), "only the ics rule for an ics unit");
    fx_free(&f);
}

Test(detect, request_secret_rules_run_second_with_their_cause)
{
    struct fx f;
    fx_load(&f,
            "alert http any any -> any any (msg:\"tok\"; http.uri; pcre:\"/t=(?P<secret>[0-9a-f]{32})/\"; sid:10;)\n"
            "alert http any any -> any any (msg:\"body\"; file.data; pcre:\"/k=(?P<secret>[0-9a-f]{32})/\"; sid:12;)\n"
            "alert http any any -> any any (msg:\"up\"; http.stat_code; content:\"301\"; "
            "plainsight.request_secret; sid:11;)\n"
            "alert http any any -> any any (msg:\"redir\"; http.redirect_upgrade; "
            "plainsight.request_secret; sid:13;)\n");
    const char *tok = "7e803e103337deadbeef49560c2be070";
    char uri[64];
    snprintf(uri, sizeof(uri), "/x?t=%s", tok);
    const struct field fl[] = {{RB_HTTP_URI, uri, 0}, {RB_HTTP_STAT_CODE, "301", 0}};
    cr_assert_eq(fx_eval(&f, fl, 2), 2);
    const struct detect_alert *a = fx_alert(&f, 11);
    cr_assert_not_null(a);
    cr_assert_eq(a->cause, fx_alert(&f, 10)->rule);
    cr_assert_eq(a->cause_buffer, RB_HTTP_URI);
    cr_assert_eq(a->cause_secret.len, 32);
    cr_assert_eq(memcmp(a->cause_secret.ptr, tok, 32), 0);
    cr_assert_null(fx_alert(&f, 10)->cause);
    cr_assert_eq(fx_alert(&f, 10)->cause_buffer, RB_MAX);
    struct detect_unit u = http_unit();
    u.redirect_upgrade = true;
    cr_assert_eq(fx_eval_unit(&f, &u, fl, 2), 3);
    cr_assert_eq(fx_alert(&f, 13)->cause, fx_alert(&f, 10)->rule);
    cr_assert_eq(fx_eval_unit(&f, &u, fl + 1, 1), 0, "no secret, no upgrade alert");

    const struct field no_secret[] = {{RB_HTTP_URI, "/x?t=short", 0}, {RB_HTTP_STAT_CODE, "301", 0}};
    cr_assert_eq(fx_eval(&f, no_secret, 2), 0);
    char body[64];
    snprintf(body, sizeof(body), "k=%s", tok);
    const struct field resp_secret[] = {{RB_HTTP_RESPONSE_BODY, body, 0}, {RB_HTTP_STAT_CODE, "301", 0}};
    cr_assert_eq(fx_eval(&f, resp_secret, 2), 1, "a response secret is no cause");
    cr_assert_not_null(fx_alert(&f, 12));
    cr_assert_eq(fx_alert(&f, 12)->secret_buffer, RB_HTTP_RESPONSE_BODY);
    fx_free(&f);
}

/* ---- alerts ---- */

/* What a detect_unit.xflow callback saw. */
struct xf_probe {
    unsigned calls, bits;
    char secret[64];
};

static unsigned xf_answer(void *arg, const struct detect_alert *cause)
{
    struct xf_probe *p = arg;
    p->calls++;
    snprintf(p->secret, sizeof(p->secret), "%.*s", (int)cause->secret.len,
             (const char *)cause->secret.ptr);
    return p->bits;
}

Test(detect, cross_flow_rules_ask_once_for_a_request_target_secret)
{
    struct fx f;
    fx_load(&f,
            "alert http any any -> any any (msg:\"tok\"; http.uri; pcre:\"/t=(?P<secret>[0-9a-f]{32})/\"; sid:10;)\n"
            "alert http any any -> any any (msg:\"ck\"; http.cookie; pcre:\"/s=(?P<secret>[0-9a-f]{32})/\"; sid:14;)\n"
            "alert http any any -> any any (msg:\"reuse\"; plainsight.token_reuse; sid:20;)\n"
            "alert http any any -> any any (msg:\"post\"; http.method; content:\"POST\"; "
            "plainsight.scanner; sid:21;)\n");
    const char *tok = "7e803e103337deadbeef49560c2be070";
    char uri[64];
    snprintf(uri, sizeof(uri), "/x?t=%s", tok);
    struct xf_probe probe = {0};
    struct detect_unit u = http_unit();
    u.xflow = xf_answer;
    u.xflow_arg = &probe;
    const struct field get[] = {{RB_HTTP_URI, uri, 0}, {RB_HTTP_METHOD, "GET", 0}};
    cr_assert_eq(fx_eval_unit(&f, &u, get, 2), 1, "no facts: only the token rule");
    cr_assert_eq(probe.calls, 1);
    cr_assert_str_eq(probe.secret, tok);

    probe.bits = DETECT_XF_REUSE | DETECT_XF_SCANNER;
    cr_assert_eq(fx_eval_unit(&f, &u, get, 2), 2, "reuse holds; scanner needs a POST");
    cr_assert_eq(probe.calls, 2);
    cr_assert_eq(fx_alert(&f, 20)->cause, fx_alert(&f, 10)->rule);
    cr_assert_eq(fx_alert(&f, 20)->cause_buffer, RB_HTTP_URI);
    const struct field post[] = {{RB_HTTP_URI, uri, 0}, {RB_HTTP_METHOD, "POST", 0}};
    probe.bits = DETECT_XF_SCANNER;
    cr_assert_eq(fx_eval_unit(&f, &u, post, 2), 2);
    cr_assert_not_null(fx_alert(&f, 21));
    cr_assert_null(fx_alert(&f, 20));

    /* a secret elsewhere in the request is no token-bearing URL: not asked */
    char cookie[64];
    snprintf(cookie, sizeof(cookie), "s=%s", tok);
    const struct field ck[] = {{RB_HTTP_COOKIE, cookie, 0}, {RB_HTTP_METHOD, "POST", 0}};
    probe.bits = DETECT_XF_REUSE | DETECT_XF_SCANNER;
    cr_assert_eq(fx_eval_unit(&f, &u, ck, 2), 1);
    cr_assert_eq(probe.calls, 3, "asked only with a request-target secret");
    /* without a callback the rules never hold */
    struct detect_unit plain = http_unit();
    cr_assert_eq(fx_eval_unit(&f, &plain, post, 2), 1);
    fx_free(&f);
}

Test(detect, one_alert_per_rule_per_state_and_ordered)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"a\"; http.uri; content:\"/a\"; classtype:misc-activity; sid:1;)\n"
                "alert http any any -> any any (msg:\"b\"; http.uri; content:\"/a\"; classtype:credential-leak; sid:30;)\n"
                "alert http any any -> any any (msg:\"c\"; http.uri; content:\"/a\"; priority:1; sid:20;)\n"
                "alert http any any -> any any (msg:\"d\"; http.uri; content:\"/a\"; classtype:misc-activity; priority:2; sid:5;)\n");
    const struct field fl[] = {{RB_HTTP_URI, "/a/a/a", 0}, {RB_HTTP_URI, "/a", 0}};
    cr_assert_eq(fx_eval(&f, fl, 2), 4);
    const uint32_t want[] = {20, 30, 5, 1};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(f.alerts[i].rule->sid, want[i], "alert %zu is sid %u", i, f.alerts[i].rule->sid);
    cr_assert_eq(f.alerts[0].secret_buffer, RB_MAX);
    const struct detect_alert *again;
    struct detect_unit u = http_unit();
    cr_assert_eq(detect_eval(f.dt, f.st, &u, &again), 0,
                 "a second eval of the same state repeats nothing");
    cr_assert_eq(detect_thread_stats(f.dt)->alerts, 4);
    fx_free(&f);
}

Test(detect, state_pool_reuse_leaves_no_stale_bits)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"a\"; http.uri; content:\"/a\"; sid:1;)\n"
                "alert http any any -> any any (msg:\"s\"; file.data; pcre:\"/k=(?P<secret>[0-9a-f]{32})/\"; sid:2;)\n");
    struct detect_unit u = http_unit();
    const struct detect_alert *al;
    struct detect_state *st = detect_state_get(f.dt);
    detect_scan(f.dt, st, RB_HTTP_URI, (const uint8_t *)"/a", 2);
    const char *body = "k=c0ffeef51f7f7c0fa631639aae99aca8";
    detect_stream(f.dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)body, 20);
    cr_assert_eq(detect_eval(f.dt, st, &u, &al), 1, "the body stream is still open");
    detect_state_put(f.dt, st);

    struct detect_state *st2 = detect_state_get(f.dt);
    cr_assert_eq(st2, st, "the pool hands the state back");
    cr_assert_eq(detect_eval(f.dt, st2, &u, &al), 0);
    detect_scan(f.dt, st2, RB_HTTP_URI, (const uint8_t *)"/b", 2);
    detect_stream(f.dt, st2, RB_HTTP_RESPONSE_BODY, (const uint8_t *)body + 20, strlen(body) - 20);
    cr_assert_eq(detect_eval(f.dt, st2, &u, &al), 0, "no bytes of the old stream survive");
    struct detect_state *st3 = detect_state_get(f.dt);
    cr_assert_neq(st3, st2);
    detect_stream(f.dt, st3, RB_HTTP_RESPONSE_BODY, (const uint8_t *)body, strlen(body));
    cr_assert_eq(detect_eval(f.dt, st3, &u, &al), 1);
    detect_state_put(f.dt, st3);
    detect_state_put(f.dt, st2);
    fx_free(&f);
}

/* ---- streams ---- */

/* Feed body in chunks cut at the given points; returns the alert count. */
static size_t stream_cut(struct fx *f, enum rule_buffer b, const char *body, size_t len,
                         const size_t *cuts, size_t n_cuts)
{
    if (f->st != NULL)
        detect_state_put(f->dt, f->st);
    f->st = detect_state_get(f->dt);
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        detect_stream(f->dt, f->st, b, (const uint8_t *)body + at, end - at);
        at = end;
    }
    struct detect_unit u = http_unit();
    f->n = detect_eval(f->dt, f->st, &u, &f->alerts);
    return f->n;
}

Test(detect, stream_matches_split_at_every_position)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"c\"; file.data; content:\"BEGIN:VCALENDAR\"; sid:1;)\n"
                "alert http any any -> any any (msg:\"s\"; file.data; "
                "pcre:\"/Passcode: (?P<secret>[A-Za-z0-9]{6,})/\"; sid:2;)\n"
                "alert http any any -> any any (msg:\"h\"; http.request_body; "
                "pcre:\"/sig=(?P<secret>[0-9a-f]{64})/\"; sid:3;)\n");
    const char *body = "xxBEGIN:VCALENDAR\r\nDESCRIPTION:Passcode: Zx9Qw3Er7Ty1\r\nEND";
    size_t len = strlen(body);
    for (size_t cut = 0; cut <= len; cut++) {
        cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, &cut, 1), 2, "cut at %zu", cut);
        cr_assert(secret_is(fx_alert(&f, 2), "Zx9Qw3Er7Ty1"), "cut at %zu: the whole token", cut);
    }
    size_t cuts[128];
    for (size_t i = 0; i < len - 1; i++)
        cuts[i] = i + 1;
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, cuts, len - 1), 2);
    cr_assert(secret_is(fx_alert(&f, 2), "Zx9Qw3Er7Ty1"), "1-byte chunks");

    const char *sig = "sig=fb0a3edd6f5b76159fc568f9b74e493e2729e0cb9d2806fdca2b532bd1f1136f&x=1";
    size_t slen = strlen(sig);
    for (size_t cut = 0; cut <= slen; cut++) {
        cr_assert_eq(stream_cut(&f, RB_HTTP_REQUEST_BODY, sig, slen, &cut, 1), 1, "cut at %zu", cut);
        cr_assert(secret_is(fx_alert(&f, 3),
                            "fb0a3edd6f5b76159fc568f9b74e493e2729e0cb9d2806fdca2b532bd1f1136f"),
                  "cut at %zu", cut);
    }
    fx_free(&f);
}

Test(detect, stream_confirms_across_chunks_within_the_window)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"s\"; file.data; "
                "pcre:\"/key=(?P<secret>[A-Za-z0-9]+);/\"; sid:1;)\n");
    /* the match starts in one chunk and only completes a few chunks later */
    const char *parts[] = {"junk key=Zx9Q", "w3Er7T", "y1Ui5Op2", ";tail"};
    struct detect_state *st = detect_state_get(f.dt);
    for (size_t i = 0; i < 4; i++)
        detect_stream(f.dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)parts[i], strlen(parts[i]));
    struct detect_unit u = http_unit();
    const struct detect_alert *al;
    cr_assert_eq(detect_eval(f.dt, st, &u, &al), 1);
    cr_assert(secret_is(&al[0], "Zx9Qw3Er7Ty1Ui5Op2"));
    detect_state_put(f.dt, st);

    /* a match starting more than a window back cannot be confirmed */
    size_t big = DETECT_CONFIRM_WINDOW + 100;
    char *buf = malloc(big);
    cr_assert_not_null(buf);
    memcpy(buf, "key=", 4);
    for (size_t i = 4; i < big; i++)
        buf[i] = "Zx9Qw3Er7Ty1Ui5Op2"[i % 18];
    st = detect_state_get(f.dt);
    for (size_t at = 0; at < big; at += 512)
        detect_stream(f.dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)buf + at, PS_MIN(512, big - at));
    detect_stream(f.dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)";", 1);
    cr_assert_eq(detect_eval(f.dt, st, &u, &al), 0);
    detect_state_put(f.dt, st);
    free(buf);
    fx_free(&f);
}

Test(detect, stream_end_anchored_matches_at_end_of_stream)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"e\"; file.data; content:\"</html>\"; endswith; sid:1;)\n"
                "alert http any any -> any any (msg:\"z\"; http.request_body; pcre:\"/END\\z/\"; sid:2;)\n"
                "alert http any any -> any any (msg:\"s\"; file.data; "
                "pcre:\"/pin=(?P<secret>[0-9]{6,8})\\z/\"; sid:3;)\n"
                "alert http any any -> any any (msg:\"a\"; http.request_body; "
                "pcre:\"/BEGIN:VCALENDAR key=(?P<secret>\\w+)/A\"; sid:4;)\n");
    const char *page = "<html>body</html>";
    size_t plen = strlen(page);
    for (size_t cut = 0; cut <= plen; cut++)
        cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, page, plen, &cut, 1), 1, "cut %zu", cut);
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, "<html></html>x", 14, NULL, 0), 0);
    cr_assert_eq(stream_cut(&f, RB_HTTP_REQUEST_BODY, "the END", 7, (size_t[]){5}, 1), 1);
    cr_assert_eq(stream_cut(&f, RB_HTTP_REQUEST_BODY, "the END.", 8, (size_t[]){7}, 1), 0);
    const char *cal = "BEGIN:VCALENDAR key=Zx9Qw3Er7Ty1";
    size_t calen = strlen(cal);
    for (size_t cut = 0; cut <= calen; cut++) {
        cr_assert_eq(stream_cut(&f, RB_HTTP_REQUEST_BODY, cal, calen, &cut, 1), 1, "cut %zu", cut);
        cr_assert(secret_is(fx_alert(&f, 4), "Zx9Qw3Er7Ty1"), "cut %zu", cut);
    }
    cr_assert_eq(stream_cut(&f, RB_HTTP_REQUEST_BODY, cal + 1, calen - 1, (size_t[]){3}, 1), 0,
                 "A anchors at the start of the stream");
    const char *pin = "call in, pin=80417356";
    size_t pinlen = strlen(pin);
    for (size_t cut = 0; cut <= pinlen; cut++) {
        cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, pin, pinlen, &cut, 1), 1, "cut %zu", cut);
        cr_assert(secret_is(fx_alert(&f, 3), "80417356"), "cut %zu", cut);
    }
    fx_free(&f);
}

/* ---- compile failures ---- */

Test(detect, compile_failures_are_reported_and_counted)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"ok\"; http.uri; content:\"/a\"; sid:1;)\n"
                "alert http any any -> any any (msg:\"bad\"; http.uri; pcre:\"/a\\Kb/\"; sid:2;)\n"
                "alert http any any -> any any (msg:\"empty\"; http.uri; content:\"/b\"; pcre:\"/x*/\"; sid:3;)\n"
                "alert http any any -> any any (msg:\"ok2\"; http.uri; pcre:\"/(a)\\1/\"; sid:4;)\n"
                "alert http any any -> any any (msg:\"big\"; http.host; content:\"h\"; pcre:\"/q{20000}/\"; sid:5;)\n");
    cr_assert_eq(f.bs.rules_loaded, 2);
    cr_assert_eq(f.bs.rules_failed, 3);
    cr_assert_not_null(strstr(f.diag, "test.rules:5:"), "refused by the database build: %s", f.diag);
    cr_assert_not(detect_engine_uses(f.de, RB_HTTP_HOST));
    cr_assert_eq(f.bs.prefiltered, 1);
    /* column of the pcre keyword, 1-based */
    const char *l2 = "alert http any any -> any any (msg:\"bad\"; http.uri; pcre:";
    char want[128];
    snprintf(want, sizeof(want), "test.rules:2:%zu: error: pcre: ", strlen(l2) - 4);
    cr_assert_not_null(strstr(f.diag, want), "diag: %s", f.diag);
    cr_assert_not_null(strstr(f.diag, "test.rules:3:"), "diag: %s", f.diag);
    cr_assert(fires1(&f, RB_HTTP_URI, "/a", 1));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/b xxx", 3));
    cr_assert(fires1(&f, RB_HTTP_URI, "aa", 4));
    fx_free(&f);
}

Test(detect, empty_rule_set_builds_and_matches_nothing)
{
    struct fx f;
    fx_load(&f, "# nothing\n");
    cr_assert_eq(f.bs.rules_loaded, 0);
    cr_assert_not(detect_engine_uses(f.de, RB_HTTP_URI));
    cr_assert_not(fires1(&f, RB_HTTP_URI, "/a", 1));
    cr_assert_eq(f.n, 0);
    fx_free(&f);
}

/* The window slides inside a buffer twice its size: whatever the chunk
 * sizes, a match that fits the window is confirmed with its whole secret,
 * also after many slides. */
Test(detect, stream_window_keeps_the_last_bytes_across_slides)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"s\"; file.data; "
                "pcre:\"/key=(?P<secret>[A-Za-z0-9]+);/\"; sid:1;)\n");
    const size_t lead = 20011, tail = 3000, sizes[] = {1, 97, 1400, 4095, 4096, 5000};
    for (size_t slen = 40; slen <= 4000; slen += 3960) { /* short, and nearly a window */
        size_t len = lead + 4 + slen + 1 + tail;
        char *body = malloc(len), *want = malloc(slen + 1);
        cr_assert(body != NULL && want != NULL);
        memset(body, '.', len);
        memcpy(body + lead, "key=", 4);
        for (size_t i = 0; i < slen; i++)
            want[i] = body[lead + 4 + i] = "Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4Bv6"[(i * 7) % 27];
        want[slen] = '\0';
        body[lead + 4 + slen] = ';';
        for (size_t k = 0; k < PS_ARRAY_LEN(sizes); k++) {
            struct detect_state *st = detect_state_get(f.dt);
            for (size_t at = 0; at < len; at += sizes[k])
                detect_stream(f.dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)body + at,
                              PS_MIN(sizes[k], len - at));
            struct detect_unit u = http_unit();
            const struct detect_alert *al;
            cr_assert_eq(detect_eval(f.dt, st, &u, &al), 1, "secret %zu, chunks of %zu", slen,
                         sizes[k]);
            cr_assert(secret_is(&al[0], want), "secret %zu, chunks of %zu", slen, sizes[k]);
            detect_state_put(f.dt, st);
        }
        free(body);
        free(want);
    }
    fx_free(&f);
}

/* ---- deferred body pcres (armed by their rule's literal) ---- */

#define ARMED_RULE                                                                               \
    "alert http any any -> any any (msg:\"d\"; file.data; content:\"cal.example\"; fast_pattern; " \
    "pcre:\"/https?:\\/\\/cal\\.example\\/s\\/(?P<secret>[A-Za-z0-9]{20,})/\"; sid:1;)\n"

static const char *ARMED_RULES =
    ARMED_RULE
    "alert http any any -> any any (msg:\"n\"; file.data; content:\"cal.example\"; "
    "pcre:!\"/forbidden(?P<secret>[0-9]{4})/\"; sid:2;)\n"
    "alert http any any -> any any (msg:\"a\"; file.data; content:\"cal.example\"; "
    "pcre:\"/BEGIN (?P<secret>[0-9]{6})/A\"; sid:3;)\n"
    "alert http any any -> any any (msg:\"u\"; http.uri; content:\"cal.example\"; "
    "pcre:\"/s=(?P<secret>[0-9]{6})/\"; sid:4;)\n";

Test(detect, only_positive_unanchored_body_pcres_are_deferred)
{
    struct fx f;
    fx_load(&f, ARMED_RULES);
    unsigned deferred = 0, arming = 0;
    for (uint32_t i = 0; i < f.de->n_patterns; i++) {
        const struct detect_pattern *p = &f.de->patterns[i];
        deferred += p->deferred;
        arming += p->n_arms > 0;
        if (p->deferred)
            cr_assert_eq(p->rule->sid, 1, "only sid 1's pcre");
    }
    cr_assert_eq(deferred, 1);
    cr_assert_eq(arming, 1);
    fx_free(&f);
}

Test(detect, deferred_pcre_is_armed_by_every_occurrence_of_its_literal)
{
    struct fx f;
    fx_load(&f, ARMED_RULE);
    /* The literal first appears far from the link, which comes after more
     * than two windows: the second occurrence must arm the pcre again. */
    const char *secret = "Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4";
    size_t lead = 3 * DETECT_CONFIRM_WINDOW;
    char *body = malloc(lead + 200);
    cr_assert_not_null(body);
    memset(body, '.', lead);
    memcpy(body + 10, "help at cal.example.", 20);
    int n = snprintf(body + lead, 200, "https://cal.example/s/%s end", secret);
    size_t len = lead + (size_t)n;
    const size_t sizes[] = {1, 7, 1400, 4096, len};
    for (size_t k = 0; k < PS_ARRAY_LEN(sizes); k++) {
        size_t cuts[16384], nc = 0;
        for (size_t at = sizes[k]; at < len && nc < PS_ARRAY_LEN(cuts); at += sizes[k])
            cuts[nc++] = at;
        if (sizes[k] == 1)
            continue; /* more cuts than the array: covered by the split test below */
        cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, cuts, nc), 1, "chunks %zu",
                     sizes[k]);
        cr_assert(secret_is(fx_alert(&f, 1), secret), "chunks %zu", sizes[k]);
    }
    /* the literal alone, nowhere near a link: no alert */
    body[lead] = '\0';
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, lead, NULL, 0), 0);
    free(body);
    fx_free(&f);
}

Test(detect, deferred_pcre_completes_in_later_chunks)
{
    struct fx f;
    fx_load(&f, ARMED_RULE);
    const char *body = "xx https://cal.example/s/Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4 yy";
    size_t len = strlen(body);
    for (size_t c1 = 0; c1 <= len; c1++) {
        for (size_t c2 = c1; c2 <= len; c2 += 5) {
            size_t cuts[2] = {c1, c2};
            cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, cuts, 2), 1,
                         "cuts %zu %zu", c1, c2);
            cr_assert(secret_is(fx_alert(&f, 1), "Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4"), "cuts %zu %zu", c1,
                      c2);
        }
    }
    size_t cuts[128];
    for (size_t i = 0; i < len - 1; i++)
        cuts[i] = i + 1;
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, cuts, len - 1), 1, "1-byte chunks");
    cr_assert(secret_is(fx_alert(&f, 1), "Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4"), "1-byte chunks");
    /* a link running to the end of the body is confirmed when the body ends */
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len - 3, (size_t[]){20}, 1), 1);
    cr_assert(secret_is(fx_alert(&f, 1), "Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4"), "at the end");
    fx_free(&f);
}

/* The bound of arming, as documented: PCRE2 reads from a window before the
 * chunk that holds an occurrence of the literal to a window after the
 * occurrence. A pcre match further away from every occurrence is not seen. */
Test(detect, deferred_pcre_looks_a_window_around_the_literal)
{
    struct fx f;
    fx_load(&f, "alert http any any -> any any (msg:\"k\"; file.data; content:\"KEYWORD\"; "
                "pcre:\"/token=(?P<secret>[A-Za-z0-9]{16})/\"; sid:1;)\n");
    size_t gap = 2 * DETECT_CONFIRM_WINDOW, len = gap + 64;
    char *body = malloc(len);
    cr_assert_not_null(body);
    memset(body, '.', len);
    memcpy(body, "token=Zx9Qw3Er7Ty1Ui5O;", 23);
    memcpy(body + gap, "KEYWORD", 7);
    size_t cuts[] = {1400, 2800, gap - 100}; /* the keyword's chunk starts 2 windows in */
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, cuts, 3), 0);
    /* within a window before the literal: found */
    memset(body, '.', 23);
    memcpy(body + gap - 100, "token=Zx9Qw3Er7Ty1Ui5O;", 23);
    cr_assert_eq(stream_cut(&f, RB_HTTP_RESPONSE_BODY, body, len, (size_t[]){gap - 90}, 1), 1);
    cr_assert(secret_is(fx_alert(&f, 1), "Zx9Qw3Er7Ty1Ui5O"));
    free(body);
    fx_free(&f);
}

/* A body cut in 1-byte pieces, the literal every 200 bytes: the armed pcre
 * is tried again every DETECT_ARM_RETRY bytes, not at every piece (each try
 * reads the whole window), and a link at the end is still found. */
Test(detect, armed_pcre_in_tiny_chunks_is_retried_every_few_hundred_bytes)
{
    struct fx f;
    fx_load(&f, ARMED_RULE);
    const char *link = "https://cal.example/s/Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4 ";
    size_t len = 20000, ll = strlen(link);
    char *body = malloc(len + ll);
    cr_assert_not_null(body);
    memset(body, '.', len);
    for (size_t at = 0; at + 11 < len; at += 200)
        memcpy(body + at, "cal.example", 11);
    memcpy(body + len, link, ll);
    uint64_t before = detect_thread_stats(f.dt)->confirms;
    struct detect_state *st = detect_state_get(f.dt);
    for (size_t at = 0; at < len + ll; at++)
        detect_stream(f.dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)body + at, 1);
    struct detect_unit u = http_unit();
    const struct detect_alert *al;
    cr_assert_eq(detect_eval(f.dt, st, &u, &al), 1);
    cr_assert(secret_is(&al[0], "Zx9Qw3Er7Ty1Ui5Op2Lk8Mn4"));
    uint64_t tries = detect_thread_stats(f.dt)->confirms - before;
    cr_assert_leq(tries, 2 * (len + ll) / 512 + 4, "%llu PCRE2 passes over %zu one-byte chunks",
                  (unsigned long long)tries, len + ll);
    detect_state_put(f.dt, st);
    free(body);
    fx_free(&f);
}
