/*
 * test_redact.c - the redacted form of a secret and its replacement in
 * event strings.
 *
 * Expected hashes were computed with Python's hashlib while writing the
 * test (hashlib.sha1(secret).hexdigest()[:12]), independently of hash.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "redact.h"

#define S(lit) ((struct ps_slice){(const uint8_t *)(lit), sizeof(lit) - 1})

Test(redact, long_secret_keeps_prefix_and_hash)
{
    char out[REDACT_MAX];
    const char *tok = "c0ffeef51f7f7c0fa631639aae99aca87151056338189192863"; /* 51 bytes */
    size_t n = redact_format((const uint8_t *)tok, strlen(tok), out);
    /* 51 / 8 = 6 -> capped at 4 bytes of prefix */
    cr_assert_str_eq(out, "c0ff[redacted:6f70d5f1abae]");
    cr_assert_eq(n, strlen(out));
}

Test(redact, twelve_bytes_keep_one_byte)
{
    char out[REDACT_MAX];
    redact_format((const uint8_t *)"abcdefghijkl", 12, out);
    cr_assert_str_eq(out, "a[redacted:eb4608cebfcf]");
}

Test(redact, short_secret_has_no_hash)
{
    char out[REDACT_MAX];
    redact_format((const uint8_t *)"482913", 6, out);
    cr_assert_str_eq(out, "[redacted]");
    redact_format((const uint8_t *)"abcdefghijk", 11, out);
    cr_assert_str_eq(out, "[redacted]");
}

Test(redact, non_printable_prefix_is_masked)
{
    char out[REDACT_MAX];
    const uint8_t s[] = {0xe9, 't', 0xe9, '-', 's', 'e', 'c', 'r', 'e', 't', '-', 'x', 'y', 'z', '1'};
    redact_format(s, sizeof(s), out);
    cr_assert_str_eq(out, "?[redacted:d6b17d3e7155]");
}

Test(redact, every_occurrence_in_nested_strings)
{
    json_t *ev = json_pack("{s:s,s:{s:s,s:[{s:s}]},s:i}", "url",
                           "/a/SECRETTOKEN123/b?x=SECRETTOKEN123", "http", "redirect",
                           "https://h/SECRETTOKEN123", "headers", "value", "t=SECRETTOKEN123;",
                           "n", 5);
    struct ps_slice secrets[] = {S("SECRETTOKEN123")};
    redact_json(ev, secrets, 1);
    char form[REDACT_MAX];
    redact_format(secrets[0].ptr, secrets[0].len, form);
    char want[256];
    snprintf(want, sizeof(want), "/a/%s/b?x=%s", form, form);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "url")), want);
    snprintf(want, sizeof(want), "https://h/%s", form);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "http"), "redirect")),
                     want);
    json_t *hv = json_array_get(json_object_get(json_object_get(ev, "http"), "headers"), 0);
    snprintf(want, sizeof(want), "t=%s;", form);
    cr_assert_str_eq(json_string_value(json_object_get(hv, "value")), want);
    cr_assert_eq(json_integer_value(json_object_get(ev, "n")), 5);
    char *dump = json_dumps(ev, 0);
    cr_assert_null(strstr(dump, "SECRETTOKEN123"));
    free(dump);
    json_decref(ev);
}

Test(redact, several_secrets_and_untouched_strings)
{
    json_t *ev = json_pack("{s:s,s:s}", "a", "x=alpha-secret-1&y=beta-secret-22", "b", "nothing");
    struct ps_slice secrets[] = {S("alpha-secret-1"), S("beta-secret-22")};
    redact_json(ev, secrets, 2);
    const char *a = json_string_value(json_object_get(ev, "a"));
    cr_assert_null(strstr(a, "alpha-secret-1"));
    cr_assert_null(strstr(a, "beta-secret-22"));
    cr_assert_not_null(strstr(a, "x="));
    cr_assert_not_null(strstr(a, "&y="));
    cr_assert_str_eq(json_string_value(json_object_get(ev, "b")), "nothing");
    json_decref(ev);
}

Test(redact, tiny_secrets_are_not_replaced)
{
    /* a 3-byte "secret" would hit unrelated text */
    json_t *ev = json_pack("{s:s}", "a", "abc abc");
    struct ps_slice secrets[] = {S("abc")};
    redact_json(ev, secrets, 1);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "a")), "abc abc");
    json_decref(ev);
}

Test(redact, latin1_mapped_bytes_are_found)
{
    /* eve_json_bytes writes a non-UTF-8 byte 0xe9 as U+00E9 (c3 a9) */
    json_t *ev = json_pack("{s:s}", "url", "/p/\xc3\xa9secret-value-99/q");
    const uint8_t raw[] = {0xe9, 's', 'e', 'c', 'r', 'e', 't', '-', 'v', 'a', 'l', 'u', 'e', '-',
                           '9', '9'};
    struct ps_slice secrets[] = {{raw, sizeof(raw)}};
    redact_json(ev, secrets, 1);
    const char *url = json_string_value(json_object_get(ev, "url"));
    cr_assert_null(strstr(url, "secret-value-99"), "got %s", url);
    cr_assert_not_null(strstr(url, "[redacted:"));
    json_decref(ev);
}
