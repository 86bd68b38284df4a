/* Unit tests for the rule language: every keyword's accepted forms and the
 * fields they set, and every diagnostic with its file, line, column and
 * keyword. Diagnostics go to a memory stream; expected positions are found
 * by searching the rule text, so a test reads as the rule a user wrote. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rule.h"

static const char *classes =
    "# test classes\n"
    "config classification: credential-leak,Credential or secret exposed,1\n"
    "config classification: policy-violation,Potential Corporate Privacy Violation,2\n"
    "config classification: not-suspicious,Not Suspicious Traffic,3\n";

static struct rule_set rs;
static char *diag_buf;
static size_t diag_len;

static void setup(void)
{
    rule_set_init(&rs);
    rs.diag = open_memstream(&diag_buf, &diag_len);
    cr_assert_not_null(rs.diag);
    cr_assert_eq(rule_set_load_classification_string(&rs, "classification.config", classes),
                 PS_OK);
}

static void teardown(void)
{
    fclose(rs.diag);
    free(diag_buf);
    rule_set_free(&rs);
}

TestSuite(rule, .init = setup, .fini = teardown);

static const char *diag(void)
{
    fflush(rs.diag);
    return diag_buf != NULL ? diag_buf : "";
}

/* The rule at the end of the set after loading text, which must load cleanly. */
static const struct rule *load_ok(const char *text)
{
    size_t before = rs.n_rules, said = strlen(diag());
    unsigned errors = rs.n_errors, skipped = rs.n_skipped;
    cr_assert_eq(rule_set_load_string(&rs, "t.rules", text), PS_OK);
    cr_assert_eq(rs.n_errors, errors, "unexpected: %s", diag() + said);
    cr_assert_eq(rs.n_skipped, skipped, "unexpected: %s", diag() + said);
    cr_assert_eq(rs.n_rules, before + 1, "unexpected: %s", diag() + said);
    cr_assert_str_empty(diag() + said);
    return rs.rules[rs.n_rules - 1];
}

#define HDR "alert http any any -> any any "
#define ICS "alert ics any any -> any any "
/* An http rule: msg and sid filled in, then the given options. */
#define HTTP(opts) HDR "(msg:\"m\"; sid:1; " opts ")"
#define ICSR(opts) ICS "(msg:\"m\"; sid:1; " opts ")"

static void pos_of(const char *text, const char *at, unsigned *line, unsigned *col)
{
    const char *p = strstr(text, at);
    cr_assert_not_null(p, "test bug: '%s' is not in the rule", at);
    const char *bol = text;
    *line = 1;
    for (const char *q = text; q < p; q++)
        if (*q == '\n') {
            (*line)++;
            bol = q + 1;
        }
    *col = (unsigned)(p - bol) + 1;
}

/* text is rejected with "t.rules:L:C: LEVEL: KW: MSG..." where L:C is the
 * first occurrence of `at`. */
static void expect_diag(const char *text, const char *at, const char *level, const char *kw,
                        const char *msg)
{
    unsigned line, col;
    pos_of(text, at, &line, &col);
    char want[512];
    snprintf(want, sizeof(want), "t.rules:%u:%u: %s: %s: %s", line, col, level, kw, msg);
    size_t before = rs.n_rules;
    cr_assert_eq(rule_set_load_string(&rs, "t.rules", text), PS_OK);
    cr_assert_eq(rs.n_rules, before, "the rule was added: %s", text);
    cr_assert(strstr(diag(), want) != NULL, "want: %s\ngot:  %s", want, diag());
}

static void expect_error(const char *text, const char *at, const char *kw, const char *msg)
{
    unsigned errors = rs.n_errors;
    expect_diag(text, at, "error", kw, msg);
    cr_assert_eq(rs.n_errors, errors + 1, "%s", diag());
}

static void expect_skip(const char *text, const char *at, const char *kw, const char *msg)
{
    unsigned skipped = rs.n_skipped, warnings = rs.n_warnings, errors = rs.n_errors;
    expect_diag(text, at, "warning", kw, msg);
    cr_assert_eq(rs.n_skipped, skipped + 1);
    cr_assert_eq(rs.n_warnings, warnings + 1);
    cr_assert_eq(rs.n_errors, errors);
}

/* ---------- buffers, matching helpers, the set ---------- */

Test(rule, buffer_names_streams_and_directions)
{
    cr_assert_str_eq(rule_buffer_name(RB_HTTP_URI), "http.uri");
    cr_assert_str_eq(rule_buffer_name(RB_HTTP_URI_RAW), "http.uri.raw");
    cr_assert_str_eq(rule_buffer_name(RB_HTTP_RESPONSE_BODY), "file.data");
    cr_assert_str_eq(rule_buffer_name(RB_ICS_TEXT), "ics.text");
    for (int b = 0; b < RB_MAX; b++) {
        bool body = b == RB_HTTP_REQUEST_BODY || b == RB_HTTP_RESPONSE_BODY;
        cr_assert_eq(rule_buffer_is_stream((enum rule_buffer)b), body, "%d", b);
        cr_assert_not_null(rule_buffer_name((enum rule_buffer)b));
    }
    cr_assert_eq(rule_buffer_dir(RB_HTTP_METHOD), PS_TOSERVER);
    cr_assert_eq(rule_buffer_dir(RB_HTTP_COOKIE), PS_TOSERVER);
    cr_assert_eq(rule_buffer_dir(RB_HTTP_REQUEST_BODY), PS_TOSERVER);
    cr_assert_eq(rule_buffer_dir(RB_HTTP_STAT_CODE), PS_TOCLIENT);
    cr_assert_eq(rule_buffer_dir(RB_HTTP_LOCATION), PS_TOCLIENT);
    cr_assert_eq(rule_buffer_dir(RB_HTTP_RESPONSE_BODY), PS_TOCLIENT);
    cr_assert_eq(rule_buffer_dir(RB_ICS_SUMMARY), PS_TOCLIENT);
}

Test(rule, addr_match_needs_a_positive_item_and_no_negated_one)
{
    struct rule_addr_item items[] = {
        {4, 8, false, {10}},
        {4, 24, true, {10, 1, 2}},
        {6, 32, false, {0x20, 0x01, 0x0d, 0xb8}},
    };
    struct rule_addr a = {false, 3, items};
    uint8_t in[16] = {10, 9, 9, 9}, out[16] = {11, 0, 0, 1}, neg[16] = {10, 1, 2, 3};
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    cr_assert(rule_addr_match(&a, 4, in));
    cr_assert_not(rule_addr_match(&a, 4, out));
    cr_assert_not(rule_addr_match(&a, 4, neg));
    cr_assert(rule_addr_match(&a, 6, v6));
    struct rule_addr only_neg = {false, 1, &items[1]};
    cr_assert(rule_addr_match(&only_neg, 4, out), "only negations: the rest matches");
    cr_assert_not(rule_addr_match(&only_neg, 4, neg));
    struct rule_addr any = {true, 0, NULL};
    cr_assert(rule_addr_match(&any, 6, v6));
    struct rule_addr_item odd = {4, 12, false, {172, 16}};
    struct rule_addr a12 = {false, 1, &odd};
    uint8_t in12[16] = {172, 31, 255, 255}, out12[16] = {172, 32, 0, 0};
    cr_assert(rule_addr_match(&a12, 4, in12), "prefix not on a byte boundary");
    cr_assert_not(rule_addr_match(&a12, 4, out12));
}

Test(rule, ports_match_ranges_and_negations)
{
    struct rule_port_item items[] = {{1000, 2000, false}, {1500, 1500, true}};
    struct rule_ports p = {false, 2, items};
    cr_assert(rule_ports_match(&p, 1000));
    cr_assert(rule_ports_match(&p, 2000));
    cr_assert_not(rule_ports_match(&p, 999));
    cr_assert_not(rule_ports_match(&p, 1500));
    struct rule_ports only_neg = {false, 1, &items[1]};
    cr_assert(rule_ports_match(&only_neg, 80));
    cr_assert_not(rule_ports_match(&only_neg, 1500));
    struct rule_ports any = {true, 0, NULL};
    cr_assert(rule_ports_match(&any, 1500));
}

Test(rule, set_free_leaves_an_empty_reusable_set)
{
    load_ok(HTTP("http.uri; content:\"a\";"));
    FILE *d = rs.diag;
    rs.strict = true;
    rule_set_free(&rs);
    cr_assert_eq(rs.n_rules, 0);
    cr_assert_eq(rs.n_classes, 0);
    cr_assert_eq(rs.diag, d);
    cr_assert(rs.strict);
    cr_assert_null(rule_set_class(&rs, "credential-leak"));
    rule_set_free(&rs); /* twice is harmless */
    rule_free(NULL);
}

Test(rule, init_writes_to_stderr)
{
    struct rule_set s;
    rule_set_init(&s);
    cr_assert_eq(s.diag, stderr);
    cr_assert_eq(s.n_rules + s.n_errors + s.n_skipped + s.n_warnings, 0);
    cr_assert_not(s.strict);
    rule_set_free(&s);
}

/* ---------- classification ---------- */

Test(rule, classification_lines_load_with_free_spacing)
{
    cr_assert_eq(rs.n_classes, 3);
    const struct rule_class *c = rule_set_class(&rs, "credential-leak");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->desc, "Credential or secret exposed");
    cr_assert_eq(c->priority, 1);
    cr_assert_eq(rule_set_load_classification_string(
                     &rs, "more.config",
                     "\n  # indented comment\n"
                     "config classification:bad-unknown,Potentially Bad Traffic, 2\r\n"
                     "config  classification :  odd_name ,Commas, even, inside , 4  \n"),
                 PS_OK);
    c = rule_set_class(&rs, "bad-unknown");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->desc, "Potentially Bad Traffic");
    cr_assert_eq(c->priority, 2);
    c = rule_set_class(&rs, "odd_name");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->desc, "Commas, even, inside");
    cr_assert_eq(c->priority, 4);
    cr_assert_null(rule_set_class(&rs, "nope"));
    cr_assert_str_empty(diag());
}

Test(rule, classification_malformed_lines_are_named_and_fail)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"config reference: url,http://", "c.config:2:1: error: classification: expected "
                                          "'config classification: NAME,DESCRIPTION,PRIORITY'"},
        {"config classification: a,b", "c.config:2:24: error: classification: expected "
                                       "'config classification: NAME,DESCRIPTION,PRIORITY'; it "
                                       "needs two commas"},
        {"config classification: a b,c,1", "c.config:2:25: error: classification: bad "
                                           "character in the name"},
        {"config classification: ,c,1", "c.config:2:24: error: classification: empty name"},
        {"config classification: a, ,1", "c.config:2:27: error: classification: empty "
                                         "description"},
        {"config classification: a,b,0", "c.config:2:28: error: classification: priority must "
                                         "be a whole number from 1 to 255"},
        {"config classification: a,b,x1", "c.config:2:28: error: classification: priority"},
        {"config classification: a,b,1 2", "c.config:2:28: error: classification: priority"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "# first\n%s\nconfig classification: good%zu,Good,3\n",
                 cases[i].line, i);
        cr_assert_eq(rule_set_load_classification_string(&rs, "c.config", text), PS_ERR,
                     "%s", cases[i].line);
        cr_assert(strstr(diag(), cases[i].want) != NULL, "want %s\ngot %s", cases[i].want,
                  diag());
        char good[16];
        snprintf(good, sizeof(good), "good%zu", i);
        cr_assert_not_null(rule_set_class(&rs, good), "good lines still load");
    }
    cr_assert_null(rule_set_class(&rs, "a"));
}

Test(rule, classification_redefinition_warns_and_keeps_the_first)
{
    cr_assert_eq(rule_set_load_classification_string(
                     &rs, "c.config", "config classification: credential-leak,Other,3\n"),
                 PS_OK);
    cr_assert_str_eq(rule_set_class(&rs, "credential-leak")->desc, "Credential or secret exposed");
    cr_assert_eq(rs.n_warnings, 1);
    cr_assert(strstr(diag(), "c.config:1:24: warning: classification: 'credential-leak' is "
                             "already defined; the first definition is kept") != NULL,
              "%s", diag());
}

Test(rule, classification_file_and_missing_file)
{
    char path[] = "/tmp/test_rule_classXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "config classification: from-file,From a file,2\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(rule_set_load_classification(&rs, path), PS_OK);
    cr_assert_eq(rule_set_class(&rs, "from-file")->priority, 2);
    unlink(path);
    cr_assert_eq(rule_set_load_classification(&rs, path), PS_ERR);
    cr_assert(strstr(diag(), "error: cannot read the classification file") != NULL, "%s",
              diag());
    cr_assert(strstr(diag(), path) != NULL);
    char path2[] = "/tmp/test_rule_classXXXXXX";
    fd = mkstemp(path2);
    cr_assert_geq(fd, 0);
    static const char nul[] = "config classification: a,b\0c,1\nconfig classification: d,e,1\n";
    cr_assert_eq(write(fd, nul, sizeof(nul) - 1), (ssize_t)(sizeof(nul) - 1));
    close(fd);
    cr_assert_eq(rule_set_load_classification(&rs, path2), PS_ERR);
    unlink(path2);
    cr_assert(strstr(diag(), ":1:1: error: classification: NUL byte in the file") != NULL, "%s",
              diag());
    cr_assert_null(rule_set_class(&rs, "a"));
    cr_assert_not_null(rule_set_class(&rs, "d"));
}

/* ---------- header ---------- */

Test(rule, header_any_everything)
{
    const struct rule *r = load_ok(HTTP("http.uri; content:\"a\";"));
    cr_assert_eq(r->proto, RULE_PROTO_HTTP);
    cr_assert(r->src.any && r->dst.any && r->sport.any && r->dport.any);
    cr_assert_eq(r->src.n + r->dst.n + r->sport.n + r->dport.n, 0);
    cr_assert_not(r->bidirectional);
    cr_assert_str_eq(r->file, "t.rules");
    cr_assert_eq(r->line, 1);
}

Test(rule, header_ics_and_bidirectional)
{
    const struct rule *r =
        load_ok("alert ics any any <> any any (msg:\"m\"; sid:1; ics.text; content:\"x\";)");
    cr_assert_eq(r->proto, RULE_PROTO_ICS);
    cr_assert(r->bidirectional);
}

Test(rule, header_addresses_cidrs_lists_and_negation)
{
    const struct rule *r = load_ok(
        "alert http [10.1.2.3/8, !10.0.0.5, 2001:db8::ff/32, [192.0.2.0/24]] any -> "
        "![198.51.100.7,203.0.113.0/255.255.255.0] any (msg:\"m\"; sid:1; http.uri; "
        "content:\"a\";)");
    cr_assert_not(r->src.any);
    cr_assert_eq(r->src.n, 4);
    const struct rule_addr_item *it = r->src.items;
    cr_assert_eq(it[0].family, 4);
    cr_assert_eq(it[0].prefix, 8);
    cr_assert_not(it[0].negated);
    uint8_t ten[16] = {10};
    cr_assert_arr_eq(it[0].addr, ten, 16, "host bits cleared");
    cr_assert(it[1].negated);
    cr_assert_eq(it[1].prefix, 32);
    uint8_t five[16] = {10, 0, 0, 5};
    cr_assert_arr_eq(it[1].addr, five, 16);
    cr_assert_eq(it[2].family, 6);
    cr_assert_eq(it[2].prefix, 32);
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    cr_assert_arr_eq(it[2].addr, v6, 16);
    cr_assert_eq(it[3].prefix, 24);
    cr_assert_eq(r->dst.n, 2);
    cr_assert(r->dst.items[0].negated && r->dst.items[1].negated, "![a,b] flattens");
    cr_assert_eq(r->dst.items[1].prefix, 24, "dotted netmask");
    uint8_t a[16] = {198, 51, 100, 7}, b[16] = {198, 51, 100, 8};
    cr_assert_not(rule_addr_match(&r->dst, 4, a));
    cr_assert(rule_addr_match(&r->dst, 4, b));
}

Test(rule, header_any_inside_a_list)
{
    const struct rule *r = load_ok("alert http [any, !10.0.0.1] [any] -> [any, 10.0.0.0/8] any "
                "(msg:\"m\"; sid:2; http.uri; content:\"a\";)");
    cr_assert_not(r->src.any);
    cr_assert_eq(r->src.n, 1);
    cr_assert(r->src.items[0].negated);
    cr_assert(r->sport.any);
    cr_assert(r->dst.any, "any absorbs the positive items");
}

Test(rule, header_ports)
{
    const struct rule *r = load_ok("alert http any [80, 8000:8080, 1024:, :21, !8081] -> any "
                                   "![1:5, 7] (msg:\"m\"; sid:1; http.uri; content:\"a\";)");
    cr_assert_eq(r->sport.n, 5);
    const struct rule_port_item *p = r->sport.items;
    cr_assert(p[0].lo == 80 && p[0].hi == 80 && !p[0].negated);
    cr_assert(p[1].lo == 8000 && p[1].hi == 8080);
    cr_assert(p[2].lo == 1024 && p[2].hi == 65535);
    cr_assert(p[3].lo == 0 && p[3].hi == 21);
    cr_assert(p[4].lo == 8081 && p[4].negated);
    cr_assert_eq(r->dport.n, 2);
    cr_assert(r->dport.items[0].negated && r->dport.items[1].negated);
    cr_assert(rule_ports_match(&r->dport, 6));
    cr_assert_not(rule_ports_match(&r->dport, 7));
    r = load_ok("alert http any [any, !8080] -> any [any] (msg:\"m\"; sid:3; http.uri; "
                "content:\"a\";)");
    cr_assert(r->sport.n == 1 && r->sport.items[0].negated && r->sport.items[0].lo == 8080);
    cr_assert(r->dport.any && r->dport.n == 0);
    r = load_ok("alert http any 443 -> any 0:65535 (msg:\"m\"; sid:2; http.uri; content:\"a\";)");
    cr_assert(r->sport.n == 1 && r->sport.items[0].lo == 443 && r->sport.items[0].hi == 443);
    cr_assert(rule_ports_match(&r->dport, 0) && rule_ports_match(&r->dport, 65535));
}

Test(rule, header_errors)
{
    const char *tail = " (msg:\"m\"; sid:1; http.uri; content:\"a\";)";
    static const struct {
        const char *hdr, *at, *kw, *msg;
    } cases[] = {
        {"alrt http any any -> any any", "alrt", "alrt", "unknown action"},
        {"alert smtpx any any -> any any", "smtpx", "smtpx", "unknown protocol; use http or ics"},
        {"alert http !any any -> any any", "any", "any", "a negated any matches nothing"},
        {"alert http ![1.2.3.4, any] any -> any any", "any]", "any", "a negated any"},
        {"alert http 1.2.3 any -> any any", "1.2.3", "1.2.3", "not an address"},
        {"alert http 10.0.0.0/33 any -> any any", "10.0.0.0/33", "10.0.0.0/33",
         "bad prefix length"},
        {"alert http 10.0.0.0/255.0.255.0 any -> any any", "10.0.0.0/", "10.0.0.0/255.0.255.0",
         "bad prefix length"},
        {"alert http [] any -> any any", "[]", "[]", "empty list"},
        {"alert http [1.2.3.4, !] any -> any any", "!]", "!",
         "'!' needs something to negate; write !ITEM or ![LIST]"},
        {"alert http any any -> any [[80]", "[[80]", "[", "unbalanced '[' in a list"},
        {"alert http 10.0.0.0/1a any -> any any", "10.0.0.0/1a", "10.0.0.0/1a",
         "bad prefix length; use /0../32"},
        {"alert http 10.0.0.0/0008 any -> any any", "10.0.0.0/0008", "10.0.0.0/0008",
         "bad prefix length"},
        {"alert http 10.0.0.0/255.x.0.0 any -> any any", "10.0.0.0/255.x", "10.0.0.0/255.x.0.0",
         "bad prefix length"},
        {"alert http ::1/129 any -> any any", "::1/129", "::1/129", "bad prefix length; use "
                                                                   "/0../128"},
        {"alert http 1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:"
         "ffff:1234:5678 any -> any any",
         "1111:", "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:...",
         "not an address"},
        {"alert http [1.2.3.4 any -> any any", "[1.2.3.4", "[", "list is not closed"},
        {"alert http [[1.2.3.4] any -> any any", "[[", "[", "list is not closed"},
        {"alert http [1.2.3.4]] any -> any any", "]]", "]", "unbalanced ']' in a list"},
        {"alert http [[[[[[[[[[[[[[[[[[1.2.3.4]]]]]]]]]]]]]]]]]] any -> any any", "[1.2.3.4",
         "[", "lists nested deeper than 16"},
        {"alert http [1.2.3.4,,5.6.7.8] any -> any any", ",5.6", "[", "empty address in a list"},
        {"alert http any 70000 -> any any", "70000", "70000", "not a port"},
        {"alert http any 90:80 -> any any", "90:80", "90:80", "port range runs backwards"},
        {"alert http any : -> any any", ":", ":", "not a port"},
        {"alert http any x1 -> any any", "x1", "x1", "not a port"},
        {"alert http any any <- any any", "<-", "<-", "bad direction; use -> or <>"},
        {"alert http any any -> any", "(", "(", "missing destination port before '('"},
        {"alert http any any -> any any extra", "extra", "extra", "unexpected text"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        /* no space before '(' so a bracket token runs up to it */
        bool tight = strstr(cases[i].hdr, "[[80]") != NULL;
        snprintf(text, sizeof(text), "%s%s", cases[i].hdr, tight ? tail + 1 : tail);
        expect_error(text, cases[i].at, cases[i].kw, cases[i].msg);
    }
}

Test(rule, header_unsupported_constructs_skip_the_rule)
{
    const char *tail = " (msg:\"m\"; http.uri; content:\"a\"; sid:42;)";
    static const struct {
        const char *hdr, *at, *kw, *msg;
    } cases[] = {
        {"drop http any any -> any any", "drop", "drop",
         "only the alert action is supported by plainsight; rule sid 42 skipped"},
        {"alert tcp any any -> any any", "tcp", "tcp",
         "protocol not supported by plainsight; use http or ics; rule sid 42 skipped"},
        {"alert http $HOME_NET any -> any any", "$HOME_NET", "$HOME_NET",
         "address variables are not supported by plainsight"},
        {"alert http any any -> [$EXTERNAL_NET] any", "$EXTERNAL_NET", "$EXTERNAL_NET",
         "address variables are not supported"},
        {"alert http any $HTTP_PORTS -> any any", "$HTTP_PORTS", "$HTTP_PORTS",
         "port variables are not supported by plainsight"},
        {"alert http 10.0.0.1-10.0.0.9 any -> any any", "10.0.0.1-", "10.0.0.1-10.0.0.9",
         "address ranges are not supported by plainsight"},
        {"alert http ![10.0.0.0/8, !10.1.0.0/16] any -> any any", "!10.1", "!10.1.0.0/16",
         "a negation inside a negated list is not supported"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "%s%s", cases[i].hdr, tail);
        expect_skip(text, cases[i].at, cases[i].kw, cases[i].msg);
    }
}

Test(rule, rule_without_option_list_or_closing_paren)
{
    cr_assert_eq(rule_set_load_string(&rs, "t.rules", "alert http any any -> any any"), PS_OK);
    cr_assert_eq(rs.n_errors, 1);
    cr_assert(strstr(diag(), "t.rules:1:30: error: rule: rule has no option list; add "
                             "(msg:\"...\"; sid:N; ...) after the header") != NULL,
              "%s", diag());
    expect_error("alert http any any -> any any (msg:\"m\"; sid:1;) trailing", "trailing",
                 "trailing", "unexpected text after the option list; the rule must end with ')'");
    expect_error("alert http any any -> any any (msg:\"m\"; sid:1;) (more", "(more", "(",
                 "option list is not closed");
}

/* ---------- meta keywords ---------- */

Test(rule, msg_decodes_escapes_and_accepts_unquoted_text)
{
    const struct rule *r = load_ok(HDR "(msg:\"a \\\"quoted\\\" \\; semi \\\\ slash\"; sid:1; "
                                       "http.uri; content:\"a\";)");
    cr_assert_str_eq(r->msg, "a \"quoted\" ; semi \\ slash");
    r = load_ok(HDR "(msg: plain words here ; sid:2; http.uri; content:\"a\";)");
    cr_assert_str_eq(r->msg, "plain words here");
    r = load_ok(HDR "(msg:\"semicolon; inside quotes\"; sid:3; http.uri; content:\"a\";)");
    cr_assert_str_eq(r->msg, "semicolon; inside quotes");
}

Test(rule, msg_errors)
{
    expect_error(HDR "(sid:1; http.uri; content:\"a\";)", "alert", "msg", "rule has no msg");
    expect_error(HDR "(msg:\"\"; sid:1; http.uri; content:\"a\";)", "msg", "msg",
                 "msg is empty");
    expect_error(HDR "(msg:\"bad \\n escape\"; sid:1; http.uri; content:\"a\";)", "msg", "msg",
                 "unknown escape");
    expect_error(HDR "(msg:\"a\" b; sid:1; http.uri; content:\"a\";)", "msg", "msg",
                 "text after the closing quote");
    expect_error(HDR "(msg:a\"b\"; sid:1; http.uri; content:\"a\";)", "msg", "msg", "stray '\"'");
    expect_error(HDR "(msg:\"open; sid:1;)", "msg", "msg",
                 "string is not closed; end it with '\"' (the rule's ')' is inside it)");
    expect_error(HDR "(msg:\"a\"; msg:\"b\"; sid:1; http.uri; content:\"a\";)", "msg:\"b",
                 "msg", "given twice; a rule takes one msg");
}

Test(rule, sid_rev_gid)
{
    const struct rule *r = load_ok(HTTP("http.uri; content:\"a\";"));
    cr_assert_eq(r->sid, 1);
    cr_assert_eq(r->gid, 1, "gid defaults to 1");
    cr_assert_eq(r->rev, 0, "rev defaults to 0");
    r = load_ok(HDR "(msg:\"m\"; sid:4294967295; rev:7; gid:3; http.uri; content:\"a\";)");
    cr_assert_eq(r->sid, 4294967295u);
    cr_assert_eq(r->rev, 7);
    cr_assert_eq(r->gid, 3);
}

Test(rule, sid_errors)
{
    expect_error(HDR "(msg:\"m\"; http.uri; content:\"a\";)", "alert", "sid", "rule has no sid");
    expect_error(HDR "(msg:\"m\"; sid:0; http.uri; content:\"a\";)", "sid", "sid",
                 "expected a whole number from 1 to 4294967295, e.g. sid:1000001");
    expect_error(HDR "(msg:\"m\"; sid:4294967296; http.uri; content:\"a\";)", "sid", "sid",
                 "expected a whole number");
    expect_error(HDR "(msg:\"m\"; sid:12x; http.uri; content:\"a\";)", "sid", "sid",
                 "expected a whole number");
    expect_error(HDR "(msg:\"m\"; sid:-1; http.uri; content:\"a\";)", "sid", "sid",
                 "expected a whole number");
    expect_error(HDR "(msg:\"m\"; sid:00000000001; http.uri; content:\"a\";)", "sid", "sid",
                 "expected a whole number");
    expect_error(HTTP("rev:x; http.uri; content:\"a\";"), "rev", "rev", "expected a whole number");
    expect_error(HTTP("gid:0; http.uri; content:\"a\";"), "gid", "gid",
                 "expected a whole number from 1");
    expect_error(HTTP("sid:2; http.uri; content:\"a\";"), "sid:2", "sid", "given twice");
}

Test(rule, duplicate_sid_in_the_set_rejects_the_later_rule)
{
    load_ok(HDR "(msg:\"one\"; sid:9; http.uri; content:\"a\";)");
    expect_error("\n" HDR "(msg:\"two\"; http.uri; content:\"a\"; sid:9;)", "sid:9", "sid",
                 "duplicate sid 9 (gid 1), first used at t.rules:1; give this rule a new sid");
    const struct rule *r = load_ok(HDR "(msg:\"other gid\"; sid:9; gid:2; http.uri; content:\"a\";)");
    cr_assert_eq(r->gid, 2);
    cr_assert_eq(rs.n_rules, 2);
    cr_assert_str_eq(rs.rules[0]->msg, "one");
}

Test(rule, duplicate_sid_is_found_among_many_rules)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int i = 1; i <= 3000; i++)
        fprintf(f, HDR "(msg:\"r\"; sid:%d; http.uri; content:\"a\";)\n", i);
    fprintf(f, HDR "(msg:\"dup\"; sid:1234; http.uri; content:\"a\";)\n");
    fclose(f);
    cr_assert_eq(rule_set_load_string(&rs, "big.rules", text), PS_OK);
    free(text);
    cr_assert_eq(rs.n_rules, 3000);
    cr_assert_eq(rs.n_errors, 1);
    cr_assert(strstr(diag(), "big.rules:3001:") != NULL, "%s", diag());
    cr_assert(strstr(diag(), "duplicate sid 1234 (gid 1), first used at big.rules:1234") != NULL);
    cr_assert_eq(rs.rules[2999]->sid, 3000);
}

Test(rule, classtype_and_priority)
{
    const struct rule *r = load_ok(HTTP("classtype:credential-leak; http.uri; content:\"a\";"));
    cr_assert_str_eq(r->classtype, "credential-leak");
    cr_assert_str_eq(r->class_desc, "Credential or secret exposed");
    cr_assert_eq(r->priority, 1, "priority from the class");
    r = load_ok(HDR "(msg:\"m\"; sid:2; priority:5; classtype:policy-violation; http.uri; "
                    "content:\"a\";)");
    cr_assert_eq(r->priority, 5, "explicit priority wins, in any order");
    cr_assert_str_eq(r->class_desc, "Potential Corporate Privacy Violation");
    r = load_ok(HDR "(msg:\"m\"; sid:3; http.uri; content:\"a\";)");
    cr_assert_eq(r->priority, 3, "default priority");
    cr_assert_null(r->classtype);
    cr_assert_null(r->class_desc);
    r = load_ok(HDR "(msg:\"m\"; sid:4; priority:255; http.uri; content:\"a\";)");
    cr_assert_eq(r->priority, 255);
}

Test(rule, classtype_and_priority_errors)
{
    expect_error(HTTP("classtype:nope; http.uri; content:\"a\";"), "classtype", "classtype",
                 "unknown classtype 'nope'; define it in the classification file "
                 "(config classification: nope,DESCRIPTION,PRIORITY)");
    expect_error(HTTP("priority:0; http.uri; content:\"a\";"), "priority", "priority",
                 "expected a whole number from 1 to 255");
    expect_error(HTTP("priority:256; http.uri; content:\"a\";"), "priority", "priority",
                 "expected a whole number from 1 to 255");
    expect_error(HTTP("classtype:credential-leak; classtype:credential-leak; http.uri; "
                      "content:\"a\";"),
                 "classtype:credential-leak; http", "classtype", "given twice");
}

Test(rule, classtype_without_classification_file_says_so)
{
    struct rule_set empty;
    char *buf = NULL;
    size_t len = 0;
    rule_set_init(&empty);
    empty.diag = open_memstream(&buf, &len);
    rule_set_load_string(&empty, "t.rules", HTTP("classtype:x; http.uri; content:\"a\";"));
    fclose(empty.diag);
    cr_assert_eq(empty.n_errors, 1);
    cr_assert(strstr(buf, "no classification file is loaded") != NULL, "%s", buf);
    free(buf);
    rule_set_free(&empty);
}

Test(rule, reference_is_repeatable_and_kept_as_written)
{
    const struct rule *r = load_ok(HTTP("reference:url,example.com/a; reference: cve,2024-1234 ;"
                                        " http.uri; content:\"a\";"));
    cr_assert_eq(r->n_refs, 2);
    cr_assert_str_eq(r->refs[0], "url,example.com/a");
    cr_assert_str_eq(r->refs[1], "cve,2024-1234");
    expect_error(HTTP("reference:nocomma; http.uri; content:\"a\";"), "reference", "reference",
                 "expected TYPE,VALUE");
    expect_error(HTTP("reference:,x; http.uri; content:\"a\";"), "reference", "reference",
                 "expected TYPE,VALUE");
}

Test(rule, metadata_splits_items_at_the_first_space)
{
    const struct rule *r =
        load_ok(HTTP("metadata:family share_url ,  kind  b1 ; metadata: note two words here;"
                     " http.uri; content:\"a\";"));
    cr_assert_eq(r->n_meta, 3);
    cr_assert_str_eq(r->meta[0].key, "family");
    cr_assert_str_eq(r->meta[0].value, "share_url");
    cr_assert_str_eq(r->meta[1].key, "kind");
    cr_assert_str_eq(r->meta[1].value, "b1");
    cr_assert_str_eq(r->meta[2].key, "note");
    cr_assert_str_eq(r->meta[2].value, "two words here");
    expect_error(HTTP("metadata:lonely; http.uri; content:\"a\";"), "metadata", "metadata",
                 "item 'lonely' needs a key and a value");
    expect_error(HTTP("metadata:a b,; http.uri; content:\"a\";"), "metadata", "metadata",
                 "empty item");
}

/* ---------- flow ---------- */

Test(rule, flow_options)
{
    const struct rule *r = load_ok(HTTP("flow:established,to_server; http.uri; content:\"a\";"));
    cr_assert_eq(r->flow, RULE_FLOW_ESTABLISHED | RULE_FLOW_TO_SERVER);
    r = load_ok(HDR "(msg:\"m\"; sid:2; flow: from_client ; http.uri; content:\"a\";)");
    cr_assert_eq(r->flow, RULE_FLOW_TO_SERVER);
    r = load_ok(HDR "(msg:\"m\"; sid:3; flow:to_client; file.data; content:\"a\";)");
    cr_assert_eq(r->flow, RULE_FLOW_TO_CLIENT);
    r = load_ok(HDR "(msg:\"m\"; sid:4; flow:from_server , established; file.data; "
                    "content:\"a\";)");
    cr_assert_eq(r->flow, RULE_FLOW_TO_CLIENT | RULE_FLOW_ESTABLISHED);
    r = load_ok(HDR "(msg:\"m\"; sid:5; file.data; content:\"a\";)");
    cr_assert_eq(r->flow, 0);
}

Test(rule, flow_to_server_makes_file_data_the_request_body)
{
    /* as Suricata's file.data, which follows the direction */
    const struct rule *r =
        load_ok(HTTP("flow:established,to_server; file.data; content:\"a\";"));
    cr_assert_eq(r->matches[0].buffer, RB_HTTP_REQUEST_BODY);
    r = load_ok(HDR "(msg:\"m\"; sid:2; flow:to_client; file.data; content:\"a\";)");
    cr_assert_eq(r->matches[0].buffer, RB_HTTP_RESPONSE_BODY);
    /* request buffers are fine in a to_client rule: it sees the whole transaction */
    r = load_ok(HDR "(msg:\"m\"; sid:3; flow:to_client; http.uri; content:\"a\";)");
    cr_assert_eq(r->matches[0].buffer, RB_HTTP_URI);
}

Test(rule, flow_to_server_with_a_response_buffer_is_an_error)
{
    expect_error(HTTP("flow:to_server; http.stat_code; content:\"301\";"), "alert",
                 "http.stat_code",
                 "http.stat_code is part of the response, but the rule says flow:to_server; "
                 "use flow:to_client or drop the direction");
    expect_error(HTTP("flow:to_server; http.location; content:\"x\";"), "alert",
                 "http.location", "http.location is part of the response");
    expect_error(HTTP("flow:to_server; http.redirect_upgrade;"), "alert",
                 "http.redirect_upgrade", "http.redirect_upgrade looks at the response");
}

Test(rule, flow_errors_and_unsupported_options)
{
    expect_error(HTTP("flow:to_server,to_client; http.uri; content:\"a\";"), "flow", "flow",
                 "to_server and to_client together match nothing");
    expect_error(HTTP("flow:established,sideways; http.uri; content:\"a\";"), "flow", "flow",
                 "unknown option 'sideways'");
    expect_error(HTTP("flow:established,,to_server; http.uri; content:\"a\";"), "flow", "flow",
                 "unknown option ''");
    static const char *unsupported[] = {"not_established", "stateless", "only_stream",
                                        "no_stream", "only_frag", "no_frag"};
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        char text[256], msg[128];
        snprintf(text, sizeof(text), HDR "(msg:\"m\"; sid:7; flow:%s; http.uri; content:\"a\";)",
                 unsupported[i]);
        snprintf(msg, sizeof(msg),
                 "flow option %s is not supported by plainsight; rule sid 7 skipped",
                 unsupported[i]);
        expect_skip(text, "flow", "flow", msg);
    }
}

/* ---------- sticky buffers and legacy modifiers ---------- */

static const struct {
    const char *kw;
    enum rule_buffer b;
    bool ics;
} sticky[] = {
    {"http.method", RB_HTTP_METHOD, false},
    {"http.uri", RB_HTTP_URI, false},
    {"http.uri.raw", RB_HTTP_URI_RAW, false},
    {"http.host", RB_HTTP_HOST, false},
    {"http.user_agent", RB_HTTP_USER_AGENT, false},
    {"http.cookie", RB_HTTP_COOKIE, false},
    {"http.referer", RB_HTTP_REFERER, false},
    {"http.header", RB_HTTP_HEADER, false},
    {"http.content_type", RB_HTTP_CONTENT_TYPE, false},
    {"http.stat_code", RB_HTTP_STAT_CODE, false},
    {"http.stat_msg", RB_HTTP_STAT_MSG, false},
    {"http.location", RB_HTTP_LOCATION, false},
    {"http.response_header", RB_HTTP_RESPONSE_HEADER, false},
    {"http.request_body", RB_HTTP_REQUEST_BODY, false},
    {"http.response_body", RB_HTTP_RESPONSE_BODY, false},
    {"file.data", RB_HTTP_RESPONSE_BODY, false},
    {"file_data", RB_HTTP_RESPONSE_BODY, false},
    {"ics.summary", RB_ICS_SUMMARY, true},
    {"ics.description", RB_ICS_DESCRIPTION, true},
    {"ics.location", RB_ICS_LOCATION, true},
    {"ics.url", RB_ICS_URL, true},
    {"ics.organizer", RB_ICS_ORGANIZER, true},
    {"ics.attendee", RB_ICS_ATTENDEE, true},
    {"ics.comment", RB_ICS_COMMENT, true},
    {"ics.conference", RB_ICS_CONFERENCE, true},
    {"ics.text", RB_ICS_TEXT, true},
};

Test(rule, every_sticky_buffer_sets_the_buffer_of_what_follows)
{
    for (size_t i = 0; i < sizeof(sticky) / sizeof(sticky[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "%s(msg:\"m\"; sid:%zu; %s; content:\"a\"; pcre:\"/b/\"; content:\"c\";)",
                 sticky[i].ics ? ICS : HDR, i + 1, sticky[i].kw);
        const struct rule *r = load_ok(text);
        cr_assert_eq(r->n_matches, 3);
        for (size_t j = 0; j < 3; j++)
            cr_assert_eq(r->matches[j].buffer, sticky[i].b, "%s", sticky[i].kw);
    }
}

Test(rule, sticky_buffers_change_for_later_matches_only)
{
    const struct rule *r =
        load_ok(HTTP("http.host; content:\"h\"; http.uri; content:\"u\"; file.data; pcre:\"/x/\";"));
    cr_assert_eq(r->matches[0].buffer, RB_HTTP_HOST);
    cr_assert_eq(r->matches[1].buffer, RB_HTTP_URI);
    cr_assert_eq(r->matches[2].buffer, RB_HTTP_RESPONSE_BODY);
}

Test(rule, sticky_buffers_belong_to_their_protocol)
{
    for (size_t i = 0; i < sizeof(sticky) / sizeof(sticky[0]); i++) {
        char text[256], msg[64];
        snprintf(text, sizeof(text), "%s(msg:\"m\"; sid:1; %s; content:\"a\";)",
                 sticky[i].ics ? HDR : ICS, sticky[i].kw);
        snprintf(msg, sizeof(msg), "only valid in %s rules", sticky[i].ics ? "ics" : "http");
        expect_error(text, sticky[i].kw, sticky[i].kw, msg);
    }
    expect_error(HTTP("http.uri:x; content:\"a\";"), "http.uri", "http.uri",
                 "takes no value; write http.uri;");
}

Test(rule, legacy_modifiers_move_the_previous_content)
{
    static const struct {
        const char *kw;
        enum rule_buffer b;
    } legacy[] = {
        {"http_method", RB_HTTP_METHOD}, {"http_uri", RB_HTTP_URI},
        {"http_raw_uri", RB_HTTP_URI_RAW}, {"http_host", RB_HTTP_HOST},
        {"http_user_agent", RB_HTTP_USER_AGENT}, {"http_cookie", RB_HTTP_COOKIE},
        {"http_referer", RB_HTTP_REFERER}, {"http_header", RB_HTTP_HEADER},
        {"http_content_type", RB_HTTP_CONTENT_TYPE}, {"http_stat_code", RB_HTTP_STAT_CODE},
        {"http_stat_msg", RB_HTTP_STAT_MSG}, {"http_client_body", RB_HTTP_REQUEST_BODY},
        {"http_server_body", RB_HTTP_RESPONSE_BODY},
    };
    for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 HDR "(msg:\"m\"; sid:%zu; content:\"a\"; nocase; %s; content:\"b\"; %s; "
                     "distance:0;)",
                 i + 1, legacy[i].kw, legacy[i].kw);
        const struct rule *r = load_ok(text);
        cr_assert_eq(r->matches[0].buffer, legacy[i].b, "%s", legacy[i].kw);
        cr_assert(r->matches[0].nocase);
        cr_assert_eq(r->matches[1].buffer, legacy[i].b);
        cr_assert(r->matches[1].has_distance);
    }
}

Test(rule, legacy_modifier_errors)
{
    expect_error(HTTP("http_uri; content:\"a\";"), "http_uri", "http_uri",
                 "needs a content before it");
    expect_error(HTTP("pcre:\"/a/\"; http_uri;"), "http_uri", "http_uri",
                 "modifies a content, but the previous match is a pcre");
    expect_error(HTTP("http.uri; content:\"a\"; http_header;"), "http_header", "http_header",
                 "the content already follows the sticky buffer http.uri; drop http_header, or "
                 "put http.header before the content instead");
    expect_error(HTTP("content:\"a\"; http_uri; http_header;"), "http_header", "http_header",
                 "the content was already moved to http.uri");
    expect_error(ICSR("content:\"a\"; http_uri;"), "http_uri", "http_uri",
                 "only valid in http rules");
}

/* ---------- content ---------- */

Test(rule, content_decodes_hex_escapes_and_negation)
{
    const struct rule *r = load_ok(HTTP("http.uri; content:\"a|41 42|b|0d0A| \\\"\\;\\\\|7c|\"; "
                                        "content:!\"neg\"; content: ! \"sp\" ; content:bare;"));
    cr_assert_eq(r->n_matches, 4);
    const struct rule_match *m = &r->matches[0];
    cr_assert_eq(m->kind, RULE_CONTENT);
    cr_assert_eq(m->content_len, 11);
    cr_assert_arr_eq(m->content, "aABb\r\n \";\\|", 11);
    cr_assert_not(m->negated);
    cr_assert_eq(m->line, 1);
    cr_assert_eq(m->col, 58, "column of the content keyword");
    cr_assert(r->matches[1].negated);
    cr_assert_arr_eq(r->matches[1].content, "neg", 3);
    cr_assert(r->matches[2].negated);
    cr_assert_arr_eq(r->matches[2].content, "sp", 2);
    cr_assert_eq(r->matches[3].content_len, 4);
    cr_assert_arr_eq(r->matches[3].content, "bare", 4);
    cr_assert_null(r->matches[0].pcre);
    cr_assert_not(m->nocase || m->startswith || m->endswith || m->fast_pattern);
    cr_assert_not(m->has_offset || m->has_depth || m->has_distance || m->has_within);
}

Test(rule, content_hex_can_hold_nul_bytes)
{
    const struct rule *r = load_ok(HTTP("http.uri; content:\"|00 ff|x\";"));
    cr_assert_eq(r->matches[0].content_len, 3);
    cr_assert_eq(r->matches[0].content[0], 0);
    cr_assert_eq(r->matches[0].content[1], 0xff);
}

Test(rule, content_errors)
{
    expect_error(HTTP("http.uri; content:\"\";"), "content", "content", "content is empty");
    expect_error(HTTP("http.uri; content:\"||\";"), "content", "content", "content is empty");
    expect_error(HTTP("http.uri; content:;"), "content", "content", "needs a value, e.g. content:");
    expect_error(HTTP("http.uri; content;"), "content", "content", "needs a value");
    expect_error(HTTP("http.uri; content:\"|414|\";"), "content", "content",
                 "odd number of hex digits in |...|");
    expect_error(HTTP("http.uri; content:\"|4g|\";"), "content", "content",
                 "bad hex digit in |...|");
    expect_error(HTTP("http.uri; content:\"|41\";"), "content", "content",
                 "|hex| block is not closed");
    expect_error(HTTP("http.uri; content:|41;"), "content", "content",
                 "|hex| block is not closed");
    expect_error(HTTP("http.uri; content:\"a\\x\";"), "content", "content",
                 "unknown escape; only \\\" \\; \\\\ are escapes (use |hex| for other bytes)");
    expect_error(HTTP("content:\"a\";"), "content", "content",
                 "content needs a buffer: put a sticky buffer such as http.uri before it");
    expect_error(ICSR("content:\"a\";"), "content", "content",
                 "content needs a buffer: put a sticky buffer such as ics.text before it");
    expect_error(HTTP("pcre:\"/a/\"; http.uri;"), "pcre", "pcre",
                 "pcre needs a buffer: put a sticky buffer such as http.uri before it");
    expect_error(HTTP("content:\"a\"; http.uri; content:\"b\";"), "content", "content",
                 "content needs a buffer");
}

/* ---------- content modifiers ---------- */

Test(rule, content_modifiers_set_their_fields)
{
    const struct rule *r = load_ok(
        HDR "(msg:\"m\"; sid:2; http.uri; content:\"abc\"; nocase; startswith; "
                    "endswith; fast_pattern; http.host; content:\"xyz\"; offset:4; depth:10; "
                    "content:\"q\"; distance:0; within:5; content:\"w\"; distance:7;)");
    const struct rule_match *m = r->matches;
    cr_assert(m[0].nocase && m[0].startswith && m[0].endswith && m[0].fast_pattern);
    cr_assert(m[1].has_offset && m[1].offset == 4 && m[1].has_depth && m[1].depth == 10);
    cr_assert_not(m[1].nocase || m[1].fast_pattern || m[1].has_distance);
    cr_assert(m[2].has_distance && m[2].distance == 0 && m[2].has_within && m[2].within == 5);
    cr_assert(m[3].has_distance && m[3].distance == 7 && !m[3].has_within);
}

Test(rule, fast_pattern_only_is_plain_fast_pattern)
{
    const struct rule *r = load_ok(HTTP("http.uri; content:\"a\"; content:\"b\"; fast_pattern:only;"));
    cr_assert_not(r->matches[0].fast_pattern);
    cr_assert(r->matches[1].fast_pattern);
}

Test(rule, content_modifier_errors)
{
    static const struct {
        const char *opts, *at, *kw, *msg;
    } cases[] = {
        {"nocase; http.uri; content:\"a\";", "nocase", "nocase", "needs a content before it"},
        {"http.uri; pcre:\"/a/\"; nocase;", "nocase", "nocase",
         "modifies a content, but the previous match is a pcre"},
        {"http.uri; content:\"a\"; nocase:1;", "nocase", "nocase", "takes no value"},
        {"http.uri; content:\"a\"; nocase; nocase;", "nocase;)", "nocase",
         "given twice for the same content"},
        {"http.uri; content:\"a\"; startswith; startswith;", "startswith;)", "startswith",
         "given twice"},
        {"http.uri; content:\"a\"; endswith; endswith;", "endswith;)", "endswith",
         "given twice"},
        {"http.uri; content:\"a\"; offset:1; offset:2;", "offset:2", "offset", "given twice"},
        {"http.uri; content:\"a\"; depth:2; depth:3;", "depth:3", "depth", "given twice"},
        {"http.uri; content:\"a\"; content:\"b\"; distance:1; distance:2;", "distance:2",
         "distance", "given twice"},
        {"http.uri; content:\"a\"; content:\"b\"; within:3; within:4;", "within:4", "within",
         "given twice"},
        {"http.uri; content:\"a\"; fast_pattern; fast_pattern;", "fast_pattern;)",
         "fast_pattern", "given twice"},
        {"http.uri; content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;",
         "fast_pattern;)", "fast_pattern", "only one fast_pattern per rule"},
        {"http.uri; content:!\"a\"; fast_pattern; content:\"b\";", "fast_pattern",
         "fast_pattern", "a negated content cannot select the rule"},
        {"http.uri; content:\"a\"; fast_pattern:x;", "fast_pattern", "fast_pattern",
         "unknown value"},
        {"http.uri; content:\"a\"; startswith; offset:1;", "offset", "offset",
         "cannot be combined with startswith"},
        {"http.uri; content:\"a\"; depth:5; startswith;", "startswith", "startswith",
         "cannot be combined with offset, depth, distance or within"},
        {"http.uri; content:\"a\"; content:\"b\"; within:5; startswith;", "startswith",
         "startswith", "cannot be combined with offset, depth, distance or within"},
        {"http.uri; content:\"a\"; content:\"b\"; startswith; distance:0;", "distance",
         "distance", "cannot be combined with startswith"},
        {"http.uri; content:\"a\"; content:\"b\"; offset:1; distance:0;", "distance", "distance",
         "cannot be combined with offset or depth on the same content"},
        {"http.uri; content:\"a\"; content:\"b\"; within:9; depth:9;", "depth", "depth",
         "cannot be combined with distance or within on the same content"},
        {"http.uri; content:\"abcd\"; depth:3;", "depth", "depth",
         "depth 3 is shorter than the content (4 bytes)"},
        {"http.uri; content:\"a\"; content:\"abcd\"; within:3;", "within", "within",
         "within 3 is shorter than the content (4 bytes)"},
        {"http.uri; content:\"a\"; content:\"b\"; distance:-2;", "distance", "distance",
         "negative distance is not supported"},
        {"http.uri; content:\"a\"; offset:x;", "offset", "offset",
         "expected a whole number from 0 to 4294967295"},
        {"http.uri; content:\"a\"; offset:4294967296;", "offset", "offset",
         "expected a whole number from 0 to 4294967295"},
        {"http.uri; content:\"a\"; offset:1234567890123;", "offset", "offset",
         "expected a whole number"},
        {"http.uri; content:\"a\"; content:\"b\"; distance:2147483648;", "distance", "distance",
         "expected a whole number from 0 to 2147483647"},
        {"http.uri; content:\"a\"; depth;", "depth", "depth", "needs a value, e.g. depth:64;"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), HTTP("%s"), cases[i].opts);
        expect_error(text, cases[i].at, cases[i].kw, cases[i].msg);
    }
}

Test(rule, fast_pattern_offset_length_is_unsupported)
{
    expect_skip(HTTP("http.uri; content:\"abc\"; fast_pattern:1,2;"), "fast_pattern",
                "fast_pattern",
                "fast_pattern:offset,length is not supported by plainsight; use fast_pattern; "
                "rule sid 1 skipped");
}

Test(rule, relative_chain_errors)
{
    expect_error(HTTP("http.uri; content:\"a\"; distance:0;"), "distance", "distance",
                 "needs an earlier content in the same buffer (http.uri) to be relative to");
    expect_error(HTTP("http.host; content:\"a\"; http.uri; content:\"b\"; within:4;"), "within",
                 "within", "needs an earlier content in the same buffer (http.uri)");
    expect_error(HTTP("http.uri; pcre:\"/a/\"; content:\"b\"; distance:0;"), "distance",
                 "distance", "relative matches after a pcre are not supported");
    expect_error(HTTP("http.uri; content:!\"a\"; content:\"b\"; distance:0;"), "distance",
                 "distance", "relative matches on negated content are not supported");
    expect_error(HTTP("http.uri; content:\"a\"; content:!\"b\"; within:3;"), "within", "within",
                 "relative matches on negated content are not supported");
    /* the chain follows legacy moves: b joins a only once both are in http.uri */
    expect_error(HTTP("content:\"a\"; http_header; content:\"b\"; distance:0; http_uri;"),
                 "distance", "distance", "needs an earlier content in the same buffer (http.uri)");
}

Test(rule, relative_chain_skips_other_buffers)
{
    const struct rule *r = load_ok(
        HTTP("http.uri; content:\"a\"; http.host; content:\"h\"; http.uri; content:\"b\"; "
             "distance:0; within:10;"));
    cr_assert_eq(r->matches[2].buffer, RB_HTTP_URI);
    cr_assert(r->matches[2].has_distance && r->matches[2].has_within);
}

/* ---------- pcre ---------- */

Test(rule, pcre_pattern_flags_negation_and_secret)
{
    const struct rule *r = load_ok(
        HDR "(msg:\"m\"; sid:1; http.uri.raw;\n"
            "  pcre:\"/\\/(?P<secret>[0-9a-f]{32})\\/x/y/ismxAEG\"; pcre:!\"/no/\";\n"
            "  pcre:/unquoted\\;path/i; pcre:\"/(?<secret>a)/\"; pcre:\"/(?'secret'b)/\";)");
    cr_assert_eq(r->n_matches, 5);
    const struct rule_match *m = &r->matches[0];
    cr_assert_eq(m->kind, RULE_PCRE);
    cr_assert_str_eq(m->pcre, "\\/(?P<secret>[0-9a-f]{32})\\/x/y", "up to the last slash");
    cr_assert_eq(m->pcre_flags, RULE_PCRE_CASELESS | RULE_PCRE_DOTALL | RULE_PCRE_MULTILINE |
                                    RULE_PCRE_EXTENDED | RULE_PCRE_ANCHORED |
                                    RULE_PCRE_DOLLAR_ENDONLY | RULE_PCRE_UNGREEDY);
    cr_assert(m->pcre_secret);
    cr_assert_not(m->negated);
    cr_assert_eq(m->line, 2);
    cr_assert_eq(m->col, 3);
    cr_assert_eq(m->buffer, RB_HTTP_URI_RAW);
    cr_assert_null(m->content);
    cr_assert(r->matches[1].negated);
    cr_assert_str_eq(r->matches[1].pcre, "no");
    cr_assert_eq(r->matches[1].pcre_flags, 0);
    cr_assert_not(r->matches[1].pcre_secret);
    cr_assert_eq(r->matches[1].line, 2);
    cr_assert_eq(r->matches[1].col, 52);
    cr_assert_str_eq(r->matches[2].pcre, "unquoted\\;path");
    cr_assert_eq(r->matches[2].pcre_flags, RULE_PCRE_CASELESS);
    cr_assert(r->matches[3].pcre_secret);
    cr_assert(r->matches[4].pcre_secret);
}

Test(rule, pcre_keeps_escapes_for_the_regex_engine)
{
    const struct rule *r = load_ok(HTTP("http.uri; pcre:\"/a\\;b\\\"c\\d+/\";"));
    cr_assert_str_eq(r->matches[0].pcre, "a\\;b\\\"c\\d+");
}

Test(rule, pcre_errors)
{
    expect_error(HTTP("http.uri; pcre:\"/a/z\";"), "pcre", "pcre",
                 "unknown flag 'z'; the flags are i s m x A E G");
    expect_error(HTTP("http.uri; pcre:\"abc\";"), "pcre", "pcre",
                 "write the pattern as pcre:\"/PATTERN/FLAGS\"");
    expect_error(HTTP("http.uri; pcre:\"/abc\";"), "pcre", "pcre", "write the pattern as");
    expect_error(HTTP("http.uri; pcre:\"//i\";"), "pcre", "pcre", "empty pattern");
    expect_error(HTTP("http.uri; pcre:\"/a/\\\";"), "pcre", "pcre", "string is not closed");
    expect_error(HTTP("http.uri; pcre:/a/\\\";"), "pcre", "pcre", "string is not closed");
    expect_error(HTTP("http.uri; pcre:;"), "pcre", "pcre", "needs a value");
}

Test(rule, pcre_unsupported_flags_are_named)
{
    expect_skip(HTTP("http.uri; pcre:\"/a/R\";"), "pcre", "pcre",
                "flag 'R' (relative match) is not supported by plainsight; rule sid 1 skipped");
    expect_skip(HTTP("http.uri; pcre:\"/a/iU\";"), "pcre", "pcre",
                "flag 'U' is not supported by plainsight; put the sticky buffer http.uri before "
                "the pcre instead");
    static const char flags[] = "UIPHDMCSYBOVWZQ";
    for (size_t i = 0; flags[i]; i++) {
        char text[256], msg[64];
        snprintf(text, sizeof(text), HTTP("http.uri; pcre:\"/a/%c\";"), flags[i]);
        snprintf(msg, sizeof(msg), "flag '%c'", flags[i]);
        expect_skip(text, "pcre", "pcre", msg);
    }
}

/* ---------- plainsight keywords ---------- */

Test(rule, plainsight_post_filters_follow_a_secret_pcre)
{
    const struct rule *r = load_ok(
        HTTP("http.uri; pcre:\"/k=(?P<secret>\\w+)/\"; plainsight.min_len:16; "
             "plainsight.min_entropy:3.25;"));
    cr_assert_eq(r->min_len, 16);
    cr_assert_float_eq(r->min_entropy, 3.25, 1e-9);
    r = load_ok(HDR "(msg:\"m\"; sid:2; http.uri; pcre:\"/(?P<secret>x)/\"; "
                    "plainsight.min_len:4096; plainsight.min_entropy:8;)");
    cr_assert_eq(r->min_len, 4096);
    cr_assert_float_eq(r->min_entropy, 8.0, 1e-9);
    r = load_ok(HDR "(msg:\"m\"; sid:3; http.uri; content:\"a\";)");
    cr_assert_eq(r->min_len, 0);
    cr_assert_float_eq(r->min_entropy, 0.0, 1e-9);
}

Test(rule, plainsight_post_filter_errors)
{
    const char *secret = "http.uri; pcre:\"/(?P<secret>x)/\"; ";
    static const struct {
        const char *opt, *at, *kw, *msg;
    } cases[] = {
        {"plainsight.min_len:0;", "plainsight", "plainsight.min_len",
         "expected a whole number from 1 to 4096, e.g. plainsight.min_len:16"},
        {"plainsight.min_len:4097;", "plainsight", "plainsight.min_len",
         "expected a whole number from 1 to 4096"},
        {"plainsight.min_entropy:0;", "plainsight", "plainsight.min_entropy",
         "expected bits per character above 0 and at most 8"},
        {"plainsight.min_entropy:8.01;", "plainsight", "plainsight.min_entropy",
         "expected bits per character above 0 and at most 8, e.g. plainsight.min_entropy:3.0"},
        {"plainsight.min_entropy:nan;", "plainsight", "plainsight.min_entropy",
         "expected bits per character"},
        {"plainsight.min_entropy:-1;", "plainsight", "plainsight.min_entropy",
         "expected bits per character"},
        {"plainsight.min_entropy:3x;", "plainsight", "plainsight.min_entropy",
         "expected bits per character"},
        {"plainsight.min_len:8; plainsight.min_len:9;", "plainsight.min_len:9",
         "plainsight.min_len", "given twice"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), HDR "(msg:\"m\"; sid:1; %s%s)", secret, cases[i].opt);
        expect_error(text, cases[i].at, cases[i].kw, cases[i].msg);
    }
    expect_error(HTTP("http.uri; pcre:\"/x/\"; plainsight.min_len:8;"), "plainsight.min_len",
                 "plainsight.min_len", "needs an earlier pcre with a secret group");
    expect_error(HTTP("plainsight.min_entropy:3; http.uri; pcre:\"/(?P<secret>x)/\";"),
                 "plainsight.min_entropy", "plainsight.min_entropy",
                 "needs an earlier pcre with a secret group");
}

Test(rule, redirect_upgrade_and_request_secret)
{
    const struct rule *r = load_ok(HTTP("http.redirect_upgrade;"));
    cr_assert(r->redirect_upgrade);
    cr_assert_eq(r->n_matches, 0, "redirect_upgrade alone is something to match");
    cr_assert_not(r->request_secret);
    r = load_ok(HDR "(msg:\"m\"; sid:2; plainsight.request_secret; file.data; content:\"a\";)");
    cr_assert(r->request_secret);
    cr_assert_not(r->redirect_upgrade);
    r = load_ok(ICS "(msg:\"m\"; sid:3; plainsight.request_secret; ics.url; content:\"a\";)");
    cr_assert(r->request_secret);
    expect_error(ICSR("http.redirect_upgrade; ics.url; content:\"a\";"), "http.redirect_upgrade",
                 "http.redirect_upgrade", "only valid in http rules; this rule is 'alert ics'");
    expect_error(HTTP("http.redirect_upgrade:yes;"), "http.redirect_upgrade",
                 "http.redirect_upgrade", "takes no value");
    expect_error(HTTP("plainsight.request_secret:1; http.uri; content:\"a\";"),
                 "plainsight.request_secret", "plainsight.request_secret", "takes no value");
}

Test(rule, rule_with_nothing_to_match)
{
    expect_error(HTTP("flow:established;"), "alert", "rule",
                 "rule has nothing to match; add a content, a pcre, http.redirect_upgrade, "
                 "plainsight.token_reuse or plainsight.scanner");
}

Test(rule, token_reuse_and_scanner_flags)
{
    const struct rule *r = load_ok(HTTP("plainsight.token_reuse;"));
    cr_assert(r->token_reuse);
    cr_assert_not(r->scanner);
    cr_assert_eq(r->n_matches, 0, "token_reuse alone is something to match");
    r = load_ok(HDR "(msg:\"m\"; sid:2; http.method; content:\"POST\"; plainsight.scanner;)");
    cr_assert(r->scanner);
    cr_assert_not(r->token_reuse);
    cr_assert_not(r->request_secret);
    expect_error(ICSR("plainsight.scanner; ics.url; content:\"a\";"), "plainsight.scanner",
                 "plainsight.scanner", "only valid in http rules; this rule is 'alert ics'");
    expect_error(HTTP("plainsight.token_reuse:yes;"), "plainsight.token_reuse",
                 "plainsight.token_reuse", "takes no value");
}

/* ---------- unknown and unsupported keywords, strict mode ---------- */

Test(rule, unsupported_keyword_warning_names_keyword_and_sid)
{
    const char *text = HDR "(msg:\"m\"; http.uri; content:\"a\"; threshold: type limit, "
                           "track by_src, count 1, seconds 60; sid:77; rev:1;)";
    expect_skip(text, "threshold", "threshold", "not supported by plainsight; rule sid 77 skipped");
    cr_assert(strstr(diag(), "t.rules:1:64: warning: threshold: not supported by plainsight; "
                             "rule sid 77 skipped\n") != NULL,
              "%s", diag());
    static const char *kws[] = {"byte_test:1,=,1,0", "flowbits:set,x", "dsize:>10",
                                "http.request_line", "http.server", "tls.sni", "dns.query",
                                "uricontent:\"a\"", "filemagic:\"x\"", "lua:x.lua",
                                "isdataat:1,relative", "app-layer-event:http.x",
                                "detection_filter:track by_src, count 5, seconds 60"};
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
        char t[256], kw[64];
        snprintf(t, sizeof(t), HDR "(msg:\"m\"; sid:5; http.uri; content:\"a\"; %s;)", kws[i]);
        snprintf(kw, sizeof(kw), "%.*s", (int)strcspn(kws[i], ":"), kws[i]);
        expect_skip(t, kws[i], kw, "not supported by plainsight; rule sid 5 skipped");
    }
}

Test(rule, unsupported_keyword_without_sid_still_reported)
{
    expect_skip(HDR "(msg:\"m\"; tag:session,10,seconds; http.uri; content:\"a\";)", "tag", "tag",
                "not supported by plainsight; rule skipped");
}

Test(rule, unsupported_keyword_hides_later_problems_but_not_syntax_errors)
{
    /* after an unsupported keyword the rest is not interpreted: no "unknown" error */
    expect_skip(HTTP("http.server; content:\"a\"; bogus_keyword;"), "http.server", "http.server",
                "not supported by plainsight; rule sid 1 skipped");
    expect_error(HTTP("http.server; msg:\"open;)"), "msg:\"open", "msg", "string is not closed");
}

Test(rule, strict_mode_turns_unsupported_into_errors)
{
    rs.strict = true;
    expect_error(HTTP("http.uri; content:\"a\"; flowbits:isset,x;"), "flowbits", "flowbits",
                 "not supported by plainsight; rule sid 1 rejected (strict mode)");
    expect_error("alert tcp any any -> any any (msg:\"m\"; sid:3; content:\"a\";)", "tcp", "tcp",
                 "protocol not supported by plainsight");
    cr_assert_eq(rs.n_skipped, 0);
    cr_assert_eq(rs.n_warnings, 0);
    cr_assert_eq(rs.n_errors, 2);
}

Test(rule, unknown_keyword_is_an_error_with_a_suggestion)
{
    expect_error(HTTP("http.uri; content:\"a\"; nocse;"), "nocse", "nocse",
                 "unknown keyword; did you mean nocase?");
    expect_error(HTTP("http.urii; content:\"a\";"), "http.urii", "http.urii",
                 "unknown keyword; did you mean http.uri?");
    expect_error(HTTP("http.uri; content:\"a\"; frobnicate:7;"), "frobnicate", "frobnicate",
                 "unknown keyword; see \"Rules\" in the README");
}

Test(rule, keywords_are_case_insensitive)
{
    const struct rule *r = load_ok(HDR "(MSG:\"m\"; Sid:1; HTTP.URI; Content:\"a\"; NoCase;)");
    cr_assert_eq(r->matches[0].buffer, RB_HTTP_URI);
    cr_assert(r->matches[0].nocase);
}

/* ---------- option syntax ---------- */

Test(rule, option_syntax_errors)
{
    expect_error(HTTP("http.uri; content:\"a\";;"), ";)", ";", "empty option; remove the extra ';'");
    expect_error(HTTP(":x; http.uri; content:\"a\";"), ":x", ":", "missing keyword before ':'");
    expect_error(HTTP("http.uri content:\"a\";"), "content", "http.uri",
                 "expected ':' or ';' after the keyword");
    expect_error(HTTP("http.uri; content:\"a;)"), "content", "content", "string is not closed");
    expect_error(HDR "(msg:\"m\"; sid:1; http.uri; content: \"a;)", "content", "content",
                 "string is not closed");
    expect_error(HDR "(msg:\"m\"; sid:1; http.uri; content:\"a\"; \"b;)", "\"b", "\"",
                 "string is not closed");
}

Test(rule, whitespace_is_free_and_the_last_semicolon_optional)
{
    const struct rule *r = load_ok("alert\thttp  any\tany   ->  any any(  msg : \"m\" ;sid:1;"
                                   "http.uri ;content :  \"a\"  ;nocase)");
    cr_assert_str_eq(r->msg, "m");
    cr_assert_arr_eq(r->matches[0].content, "a", 1);
    cr_assert(r->matches[0].nocase);
}

/* ---------- files, lines, continuation ---------- */

Test(rule, comments_blank_lines_and_crlf)
{
    cr_assert_eq(rule_set_load_string(&rs, "t.rules",
                                      "# a comment\n\n   \t\n  # indented comment\r\n" HTTP(
                                          "http.uri; content:\"a\";") " \t \r\n"),
                 PS_OK);
    cr_assert_eq(rs.n_rules, 1);
    cr_assert_eq(rs.n_errors, 0, "%s", diag());
    cr_assert_eq(rs.rules[0]->line, 5);
}

Test(rule, backslash_continuation_tracks_positions)
{
    const char *text = "# header\n"
                       "alert http any any -> any any (msg:\"joined \\\n"
                       "text\"; sid:1; \\\n"
                       "    http.uri; content:\"a\"; \\\n"
                       "    depth:0;)\n";
    expect_error(text, "depth", "depth", "depth 0 is shorter than the content");
    cr_assert(strstr(diag(), "t.rules:5:5: error: depth:") != NULL, "%s", diag());
    const struct rule *r = load_ok("alert http any any -> any any (msg:\"joined \\\n"
                                   "text\"; sid:2; \\\n http.uri; content:\"a\";)\n");
    cr_assert_str_eq(r->msg, "joined text", "a continued line is joined as written");
    cr_assert_eq(r->line, 1);
    cr_assert_eq(r->matches[0].line, 3);
    cr_assert_eq(r->matches[0].col, 12);
}

Test(rule, open_parenthesis_continues_the_rule)
{
    const struct rule *r = load_ok("\n"
                                   "alert http any any -> any any (msg:\"(not a paren)\";\n"
                                   "    # a commented-out option\n"
                                   "\n"
                                   "    http.uri; content:\")\";\n"
                                   "    sid:1;\n"
                                   ")\n");
    cr_assert_eq(r->line, 2);
    cr_assert_str_eq(r->msg, "(not a paren)");
    cr_assert_eq(r->matches[0].line, 5);
    cr_assert_eq(r->matches[0].col, 15);
    cr_assert_arr_eq(r->matches[0].content, ")", 1);
}

Test(rule, unclosed_rule_at_eof_or_before_the_next_rule)
{
    const char *text = HDR "(msg:\"m\"; sid:1;\n"
                           "   http.uri; content:\"a\";\n" HTTP("http.uri; content:\"b\";") "\n"
                           "alert http any any -> any any (msg:\"m\"; sid:2;\n";
    cr_assert_eq(rule_set_load_string(&rs, "t.rules", text), PS_OK);
    cr_assert_eq(rs.n_errors, 2, "%s", diag());
    cr_assert_eq(rs.n_rules, 1, "the rule after the unclosed one still loads");
    cr_assert_eq(rs.rules[0]->line, 3);
    cr_assert(strstr(diag(), "t.rules:1:31: error: (: option list is not closed; end the rule "
                             "with ')'") != NULL,
              "%s", diag());
    cr_assert(strstr(diag(), "t.rules:4:31: error: (: option list is not closed") != NULL, "%s",
              diag());
}

Test(rule, unclosed_string_is_mentioned)
{
    cr_assert_eq(rule_set_load_string(&rs, "t.rules", HDR "(msg:\"m; sid:1;)\n"), PS_OK);
    cr_assert_eq(rs.n_errors, 1);
    cr_assert(strstr(diag(), "t.rules:1:32: error: msg: string is not closed; end it with '\"' "
                             "(the rule's ')' is inside it)") != NULL,
              "%s", diag());
}

Test(rule, trailing_backslash_at_eof)
{
    cr_assert_eq(rule_set_load_string(&rs, "t.rules", HTTP("http.uri; content:\"a\";") " \\\n"),
                 PS_OK);
    cr_assert_eq(rs.n_errors, 1);
    cr_assert(strstr(diag(), "t.rules:1:") != NULL);
    cr_assert(strstr(diag(), "error: \\: the line ends with '\\' but no rule line follows") != NULL,
              "%s", diag());
}

Test(rule, load_file_reads_rules_and_reports_missing_files)
{
    char path[] = "/tmp/test_rule_rulesXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "# rules\n" HTTP("http.uri; content:\"a\";") "\n"
                       "alert http any any -> any any (msg:\"m\"; sid:2; zzz;)\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(rule_set_load_file(&rs, path), PS_OK);
    cr_assert_eq(rs.n_rules, 1);
    cr_assert_str_eq(rs.rules[0]->file, path);
    cr_assert_eq(rs.rules[0]->line, 2);
    char want[128];
    snprintf(want, sizeof(want), "%s:3:48: error: zzz: unknown keyword", path);
    cr_assert(strstr(diag(), want) != NULL, "%s", diag());
    unlink(path);
    cr_assert_eq(rule_set_load_file(&rs, path), PS_ERR);
    snprintf(want, sizeof(want), "%s: error: cannot read the rule file: No such file", path);
    cr_assert(strstr(diag(), want) != NULL, "%s", diag());
    cr_assert_eq(rule_set_load_file(&rs, "/tmp"), PS_ERR);
    cr_assert(strstr(diag(), "/tmp: error: cannot read the rule file: Is a directory") != NULL,
              "%s", diag());
}

Test(rule, nul_bytes_in_a_file_are_an_error)
{
    char path[] = "/tmp/test_rule_nulXXXXXX";
    int fd = mkstemp(path);
    static const char text[] = "alert http any any -> any any (msg:\"a\0b\"; sid:1;)\n" HTTP(
        "http.uri; content:\"a\";") "\n";
    cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    cr_assert_eq(rule_set_load_file(&rs, path), PS_OK);
    unlink(path);
    cr_assert_eq(rs.n_errors, 1);
    cr_assert_eq(rs.n_rules, 1);
    cr_assert(strstr(diag(), ":1:1: error: NUL: NUL byte in the rule file") != NULL, "%s", diag());
}

Test(rule, silent_diagnostics_still_count)
{
    fclose(rs.diag);
    free(diag_buf);
    diag_buf = NULL;
    rs.diag = NULL;
    rule_set_load_string(&rs, "t.rules",
                         HTTP("bogus;") "\n" HTTP("http.uri; content:\"a\"; threshold:x;") "\n"
                         "config classification: x\n");
    cr_assert_eq(rs.n_errors, 2);
    cr_assert_eq(rs.n_skipped, 1);
    cr_assert_eq(rs.n_warnings, 1);
    cr_assert_eq(rule_set_load_classification_string(&rs, "c", "bad line\n"), PS_ERR);
    cr_assert_eq(rule_set_load_file(&rs, "/nonexistent/x.rules"), PS_ERR);
    rs.diag = open_memstream(&diag_buf, &diag_len); /* for teardown */
}

Test(rule, shipped_style_rule_loads_completely)
{
    const struct rule *r = load_ok(
        "alert http any any -> any any (msg:\"OWA calendar share link\"; "
        "flow:established,to_server;\n"
        "    http.uri.raw; content:\"/owa/calendar/\"; nocase; fast_pattern;\n"
        "    pcre:\"/\\/(?P<secret>[0-9a-f]{32}[0-9]{17,20})\\//\";\n"
        "    plainsight.min_entropy:3.0; classtype:credential-leak; sid:4100001; rev:1;\n"
        "    reference:url,learn.microsoft.com; metadata:family share_url, kind b1;)\n");
    cr_assert_eq(r->sid, 4100001);
    cr_assert_eq(r->rev, 1);
    cr_assert_eq(r->priority, 1);
    cr_assert_eq(r->flow, RULE_FLOW_ESTABLISHED | RULE_FLOW_TO_SERVER);
    cr_assert_eq(r->n_matches, 2);
    cr_assert(r->matches[0].fast_pattern && r->matches[0].nocase);
    cr_assert(r->matches[1].pcre_secret);
    cr_assert_eq(r->matches[1].line, 3);
    cr_assert_eq(r->matches[1].col, 5);
    cr_assert_float_eq(r->min_entropy, 3.0, 1e-9);
    cr_assert_eq(r->n_refs, 1);
    cr_assert_eq(r->n_meta, 2);
}
