/* Unit tests for the secret post-filters: entropy and placeholders. */
#include <criterion/criterion.h>
#include <string.h>

#include "detect.h"

static double entropy(const char *s)
{
    return secret_entropy((const uint8_t *)s, strlen(s));
}

static bool placeholder(const char *s)
{
    return secret_is_placeholder((const uint8_t *)s, strlen(s));
}

static bool near(double a, double b)
{
    return a - b < 1e-9 && b - a < 1e-9;
}

Test(secret, entropy_in_bits_per_byte)
{
    cr_assert(near(entropy(""), 0.0));
    cr_assert(near(entropy("aaaa"), 0.0));
    cr_assert(near(entropy("ab"), 1.0));
    cr_assert(near(entropy("abcd"), 2.0));
    cr_assert(near(entropy("aabb"), 1.0));
    cr_assert(near(entropy("0123456789abcdef"), 4.0));
    cr_assert(near(entropy("abcdefghijklmnop"), 4.0), "sequences fool entropy (detections.md 0.2)");
    /* 3 of one byte, 1 of another: -(3/4 log2 3/4 + 1/4 log2 1/4) */
    cr_assert(near(entropy("aaab"), 0.8112781244591328));
    uint8_t all[256];
    for (unsigned i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    cr_assert(near(secret_entropy(all, sizeof(all)), 8.0));
    cr_assert(near(secret_entropy(NULL, 0), 0.0));
}

Test(secret, entropy_of_a_random_hex_token_is_high)
{
    double h = entropy("fb0a3edd6f5b76159fc568f9b74e493e2729e0cb9d2806fdca2b532bd1f1136f");
    cr_assert(h > 3.6 && h <= 4.0, "hex 64 is %f", h);
}

Test(secret, empty_and_repeated_bytes)
{
    cr_assert(secret_is_placeholder((const uint8_t *)"", 0));
    cr_assert(secret_is_placeholder(NULL, 0));
    cr_assert(placeholder("a"));
    cr_assert(placeholder("aaaaaaaa"));
    cr_assert(placeholder("00000000"));
    cr_assert(placeholder("ZZ"));
}

Test(secret, short_periods)
{
    cr_assert(placeholder("abab"));
    cr_assert(placeholder("12121212"));
    cr_assert(placeholder("abcabcabc"));
    cr_assert(placeholder("abcdabcdab"));
    cr_assert_not(placeholder("abcdeabcde"), "period 5 is not a placeholder");
    cr_assert_not(placeholder("abcab"), "a period must repeat at least twice");
}

Test(secret, runs_of_consecutive_characters)
{
    cr_assert(placeholder("1234"));
    cr_assert(placeholder("0123456789abcdef"));
    cr_assert(placeholder("abcdefgh"));
    cr_assert(placeholder("987654"));
    cr_assert(placeholder("ZYXW"));
    cr_assert(placeholder("789ABC"), "case ignored, digits run into letters");
    cr_assert_not(placeholder("123"), "runs start at 4 characters");
    cr_assert_not(placeholder("12345-6789"));
    cr_assert_not(placeholder("1235"));
}

Test(secret, placeholder_words)
{
    const char *words[] = {"example", "changeme", "REDACTED", "Token",       "secret",
                           "password", "placeholder", "sample", "test",   "dummy",
                           "undefined", "null",       "None",   "your_token", "YOUR-API-KEY",
                           "your_key", "AKIAIOSFODNN7EXAMPLE"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        cr_assert(placeholder(words[i]), "%s", words[i]);
    cr_assert_not(placeholder("tokens"), "whole values only");
    cr_assert_not(placeholder("mysecretpassword"));
    cr_assert_not(placeholder("your"));
    cr_assert_not(placeholder("yours_truly9"));
    cr_assert_not(placeholder("AKIAIOSFODNN7EXAMPLEX"));
}

Test(secret, wrapped_template_variables)
{
    cr_assert(placeholder("<token>"));
    cr_assert(placeholder("<YOUR_KEY>"));
    cr_assert(placeholder("{{ api_key }}"));
    cr_assert(placeholder("${API_TOKEN}"));
    cr_assert(placeholder("%TOKEN%"));
    cr_assert_not(placeholder("<abc"));
    cr_assert_not(placeholder("{{abc}"));
    cr_assert_not(placeholder("$API_TOKEN"));
}

Test(secret, masks)
{
    cr_assert(placeholder("xxxxxx"));
    cr_assert_not(placeholder("XXXX-XXXX"), "a dash is not part of a mask");
    cr_assert(placeholder("********"));
    cr_assert(placeholder("..."));
    cr_assert(placeholder("x0X0.*x0"));
}

Test(secret, real_tokens_are_not_placeholders)
{
    const char *real[] = {
        "c0ffeef51f7f7c0fa631639aae99aca87151056338189192863",
        "7e803e103337deadbeef49560c2be070",
        "fb0a3edd6f5b76159fc568f9b74e493e2729e0cb9d2806fdca2b532bd1f1136f",
        "Harbor-FAKE-2026",
        "7e06d7c1c400911d31690a8ff606eb0e",
        "Zx9Qw3Er7Ty1Ui5Op2",
        "80417356",
        "AKIA3YIIWJFAKEFUMF2N",
        "hook2Ld9sPqW0zRt",
    };
    for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
        cr_assert_not(placeholder(real[i]), "%s", real[i]);
}
