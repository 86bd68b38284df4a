/*
 * test_scanner.c - mail-scanner fingerprint files: what they match, and
 * how bad lines are reported.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner.h"

#define S(lit) ((struct ps_slice){(const uint8_t *)(lit), sizeof(lit) - 1})

static const char *conf = "# comment\n"
                          "\n"
                          "net  eop      104.47.0.0/17\n"
                          "net  eop6     2a01:111:f400::/48   \n"
                          "net  one      192.0.2.7\n"
                          "ua   preview  MicrosoftPreview/\r\n"
                          "ua   spaced   ^Link Checker [0-9]+\n";

static struct scanner_set *set;
static struct scanner_scratch *sc;

static void setup(void)
{
    set = scanner_set_create();
    cr_assert_eq(scanner_set_load_string(set, "test.conf", conf, NULL), PS_OK);
    sc = scanner_scratch_create(set);
    cr_assert_not_null(sc);
}

static void teardown(void)
{
    scanner_scratch_destroy(sc);
    scanner_set_destroy(set);
}

static struct scanner_hit v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, struct ps_slice ua)
{
    uint8_t addr[16] = {a, b, c, d};
    return scanner_match(set, sc, 4, addr, ua);
}

Test(scanner, addresses_match_their_cidr, .init = setup, .fini = teardown)
{
    cr_assert_eq(scanner_set_count(set), 5);
    struct scanner_hit h = v4(104, 47, 127, 255, S(""));
    cr_assert_eq(h.trait, SCANNER_ADDRESS);
    cr_assert_str_eq(h.name, "eop");
    cr_assert_null(v4(104, 47, 128, 0, S("")).name, "just outside the /17");
    cr_assert_str_eq(v4(192, 0, 2, 7, S("")).name, "one");
    cr_assert_null(v4(192, 0, 2, 8, S("")).name, "a bare address is a /32");
    uint8_t six[16] = {0x2a, 0x01, 0x01, 0x11, 0xf4, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    cr_assert_str_eq(scanner_match(set, sc, 6, six, S("")).name, "eop6");
    six[5] = 0x03;
    cr_assert_null(scanner_match(set, sc, 6, six, S("")).name);
}

Test(scanner, user_agents_match_caseless_and_unanchored, .init = setup, .fini = teardown)
{
    struct scanner_hit h = v4(10, 0, 0, 1, S("Mozilla/5.0 microsoftpreview/2.0 (+https://aka.ms)"));
    cr_assert_eq(h.trait, SCANNER_USER_AGENT);
    cr_assert_str_eq(h.name, "preview");
    cr_assert_str_eq(v4(10, 0, 0, 1, S("Link Checker 42")).name, "spaced",
                     "the regex is the rest of the line, blanks included");
    cr_assert_null(v4(10, 0, 0, 1, S("Mozilla/5.0 Firefox/125.0")).name);
    cr_assert_null(v4(10, 0, 0, 1, S("")).name);
    /* an address fingerprint wins over an agent */
    cr_assert_eq(v4(104, 47, 1, 1, S("MicrosoftPreview/2.0")).trait, SCANNER_ADDRESS);
    /* bytes that are not UTF-8 still match */
    cr_assert_str_eq(v4(10, 0, 0, 1, S("\xff\xfe MicrosoftPreview/1")).name, "preview");
}

Test(scanner, bad_lines_are_named_with_file_and_line)
{
    struct scanner_set *s = scanner_set_create();
    char *buf = NULL;
    size_t len = 0;
    FILE *diag = open_memstream(&buf, &len);
    const char *text = "ua ok Fine/\n"
                       "net broken 10.0.0.0/33\n"
                       "maybe x y\n"
                       "ua nopattern\n"
                       "ua bad(name ok\n"
                       "ua paren (unclosed\n"
                       "net v6 2001:db8::/129\n"
                       "net words not-an-address\n";
    cr_assert_eq(scanner_set_load_string(s, "my.conf", text, diag), PS_ERR);
    fclose(diag);
    cr_assert_eq(scanner_set_count(s), 1, "the good line is kept");
    for (int line = 2; line <= 8; line++) {
        char want[32];
        snprintf(want, sizeof(want), "my.conf:%d: error: ", line);
        cr_assert_not_null(strstr(buf, want), "no '%s' in:\n%s", want, buf);
    }
    cr_assert_null(strstr(buf, "my.conf:1:"));
    cr_assert_not_null(strstr(buf, "prefix length must be 0..32"));
    cr_assert_not_null(strstr(buf, "unknown kind 'maybe'"));
    free(buf);
    scanner_set_destroy(s);
}

Test(scanner, missing_file_is_declined)
{
    struct scanner_set *s = scanner_set_create();
    cr_assert_eq(scanner_set_load(s, "/nonexistent/scanners.conf", NULL), PS_DECLINED);
    scanner_set_destroy(s);
}
