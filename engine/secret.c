/*
 * secret.c - post-filters applied to a secret a rule's pcre extracted (see
 * detect.h): Shannon entropy and the built-in placeholder list.
 *
 * Placeholders are judged on the WHOLE value, never on a substring
 * (detections.md 0.2: stop-word substrings drop real secrets, e.g. a
 * random password that happens to contain "hook" or "FAKE"). A value is a
 * placeholder when it is:
 *   - empty, or one byte repeated (aaaa, 0000);
 *   - a repetition of a period of at most 4 bytes, at least twice
 *     (abab, 12121212, abcdabcd);
 *   - at least 4 characters running up or down the order 0-9a-z, case
 *     ignored (1234, 0123456789abcdef, abcdefgh, 987654, ZYXW);
 *   - one of these words, case ignored: example, changeme, redacted,
 *     token, secret, password, placeholder, sample, test, dummy,
 *     undefined, null, none;
 *   - your_... or your-... (your_token, YOUR-API-KEY), case ignored;
 *   - ending in upper-case EXAMPLE (AWS documentation keys such as
 *     AKIAIOSFODNN7EXAMPLE);
 *   - wrapped as a template variable: <...>, {{...}}, ${...}, %...%;
 *   - made only of x, X, *, . and 0 (xxxxxx, ****, ..., X0X0).
 */
#include "detect.h"

#include <math.h>
#include <string.h>

double secret_entropy(const uint8_t *s, size_t len)
{
    if (s == NULL || len == 0)
        return 0.0;
    size_t count[256] = {0};
    for (size_t i = 0; i < len; i++)
        count[s[i]]++;
    /* H = log2(n) - (1/n) * sum(c * log2(c)) */
    double sum = 0.0;
    for (unsigned c = 0; c < 256; c++)
        if (count[c] > 1)
            sum += (double)count[c] * log2((double)count[c]);
    double h = log2((double)len) - sum / (double)len;
    return h < 0.0 ? 0.0 : h;
}

static int secret_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Position of c in the order 0-9a-z, case ignored; -1 for anything else. */
static int secret_rank(uint8_t c)
{
    int l = secret_lower(c);
    if (l >= '0' && l <= '9')
        return l - '0';
    if (l >= 'a' && l <= 'z')
        return 10 + l - 'a';
    return -1;
}

static bool secret_is_periodic(const uint8_t *s, size_t len)
{
    for (size_t p = 1; p <= 4 && 2 * p <= len; p++) {
        size_t i = p;
        while (i < len && s[i] == s[i - p])
            i++;
        if (i == len)
            return true;
    }
    return false;
}

static bool secret_is_sequence(const uint8_t *s, size_t len)
{
    if (len < 4)
        return false;
    int step = secret_rank(s[1]) - secret_rank(s[0]);
    if (secret_rank(s[0]) < 0 || (step != 1 && step != -1))
        return false;
    for (size_t i = 1; i < len; i++) {
        int a = secret_rank(s[i - 1]), b = secret_rank(s[i]);
        if (a < 0 || b < 0 || b - a != step)
            return false;
    }
    return true;
}

static bool secret_equals_nocase(const uint8_t *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (secret_lower(s[i]) != word[i])
            return false;
    return true;
}

static bool secret_is_word(const uint8_t *s, size_t len)
{
    static const char *const words[] = {
        "example", "changeme", "redacted", "token", "secret", "password", "placeholder",
        "sample",  "test",     "dummy",    "undefined", "null", "none",
    };
    for (size_t i = 0; i < PS_ARRAY_LEN(words); i++)
        if (secret_equals_nocase(s, len, words[i]))
            return true;
    if (len > 5 && secret_equals_nocase(s, 4, "your") && (s[4] == '_' || s[4] == '-'))
        return true;
    return len >= 7 && memcmp(s + len - 7, "EXAMPLE", 7) == 0;
}

static bool secret_is_wrapped(const uint8_t *s, size_t len)
{
    if (len >= 2 && s[0] == '<' && s[len - 1] == '>')
        return true;
    if (len >= 4 && memcmp(s, "{{", 2) == 0 && memcmp(s + len - 2, "}}", 2) == 0)
        return true;
    if (len >= 3 && memcmp(s, "${", 2) == 0 && s[len - 1] == '}')
        return true;
    return len >= 2 && s[0] == '%' && s[len - 1] == '%';
}

static bool secret_is_mask(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (strchr("xX*.0", s[i]) == NULL || s[i] == '\0')
            return false;
    return true;
}

bool secret_is_placeholder(const uint8_t *s, size_t len)
{
    if (s == NULL || len <= 1)
        return true; /* empty, or one byte "repeated" once */
    return secret_is_periodic(s, len) || secret_is_sequence(s, len) ||
           secret_is_word(s, len) || secret_is_wrapped(s, len) || secret_is_mask(s, len);
}
