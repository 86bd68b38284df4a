/*
 * http_probe.c - is this the start of an HTTP/1.x message? Detection is by
 * content, not port: the first bytes of a TCP connection decide, and after
 * a gap the HTTP layer waits for the next chunk that passes this test.
 *
 * Toward the server: a token method followed by a space, where a known
 * method is enough and an unknown one needs a plausible target (origin
 * form, "*", or absolute form). Toward the client: "HTTP/". A chunk too
 * short to decide is accepted while it still matches.
 */
#include <string.h>

#include "http.h"

static bool is_alpha(uint8_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool is_tchar(uint8_t c)
{
    return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Common methods, for deciding on a chunk too short to show a target. */
static bool method_known(const uint8_t *m, size_t len, bool prefix)
{
    static const char *const known[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS",
                                        "CONNECT", "TRACE", "PATCH", "PROPFIND", "PROPPATCH",
                                        "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT"};
    for (size_t i = 0; i < PS_ARRAY_LEN(known); i++) {
        size_t klen = strlen(known[i]);
        if ((prefix ? len <= klen : len == klen) && memcmp(m, known[i], len) == 0)
            return true;
    }
    return false;
}

/* origin-form "/...", "*", authority-form for CONNECT, absolute-form
 * "scheme://...", each accepted as far as the bytes go. */
static bool probe_target(const uint8_t *m, size_t mlen, const uint8_t *t, size_t tlen)
{
    if (tlen == 0)
        return method_known(m, mlen, false);
    if (t[0] == '/' || t[0] == '*')
        return true;
    if (mlen == 7 && memcmp(m, "CONNECT", 7) == 0)
        return is_alpha(t[0]) || is_digit(t[0]) || t[0] == '[';
    if (!is_alpha(t[0]))
        return false;
    size_t j = 1;
    while (j < tlen && (is_alpha(t[j]) || is_digit(t[j]) || t[j] == '+' || t[j] == '-' ||
                        t[j] == '.'))
        j++;
    if (j == tlen)
        return method_known(m, mlen, false);
    for (size_t k = 0; k < 3 && j + k < tlen; k++)
        if (t[j + k] != "://"[k])
            return false;
    return true;
}

bool http_probe(enum ps_dir dir, const uint8_t *data, size_t len)
{
    if (data == NULL || len == 0)
        return false;
    if (dir == PS_TOCLIENT)
        return memcmp(data, "HTTP/", PS_MIN(len, (size_t)5)) == 0;
    size_t i = 0;
    while (i < len && i <= 32 && is_tchar(data[i]))
        i++;
    if (i == 0 || i > 32)
        return false;
    if (i == len)
        return method_known(data, len, true);
    if (data[i] != ' ')
        return false;
    /* A known method and a space make a request whatever the target looks
     * like ("GET HTTP/1.1" is still an attempt worth parsing). */
    if (method_known(data, i, false))
        return true;
    return probe_target(data, i, data + i + 1, len - i - 1);
}
