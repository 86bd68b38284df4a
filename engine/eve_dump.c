/*
 * eve_dump.c - EVE events to text (see eve_dump.h).
 *
 * Strings are copied in runs between the bytes that need an escape;
 * non-ASCII is decoded from UTF-8 and written as \uXXXX (a surrogate pair
 * above U+FFFF), as jansson does with JSON_ENSURE_ASCII. Reals, which
 * events rarely hold, are formatted by jansson itself.
 */
#include "eve_dump.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct dump {
    char *buf;
    size_t size, len;
    bool bad;
};

static void dump_put(struct dump *d, const char *s, size_t n)
{
    if (d->len < d->size)
        memcpy(d->buf + d->len, s, n <= d->size - d->len ? n : d->size - d->len);
    d->len += n;
}

static void dump_ch(struct dump *d, char c)
{
    if (d->len < d->size)
        d->buf[d->len] = c;
    d->len++;
}

static void dump_int(struct dump *d, json_int_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[--i] = '-';
    dump_put(d, tmp + i, sizeof(tmp) - i);
}

static void dump_u16(struct dump *d, unsigned cp)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                 hex[cp & 15]};
    dump_put(d, e, sizeof(e));
}

/* One UTF-8 sequence at s (n bytes left) -> code point; 0 bytes: invalid. */
static size_t dump_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], need, min;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        min = 0x80;
        c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        min = 0x800;
        c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (unsigned i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return need + 1;
}

static void dump_string(struct dump *d, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0, i = 0;
    dump_ch(d, '"');
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        dump_put(d, str + run, i - run);
        if (c >= 0x80) {
            unsigned cp;
            size_t k = dump_utf8(s + i, n - i, &cp);
            if (k == 0) {
                d->bad = true;
                return;
            }
            if (cp > 0xffff) {
                cp -= 0x10000;
                dump_u16(d, 0xd800 | (cp >> 10));
                dump_u16(d, 0xdc00 | (cp & 0x3ff));
            } else {
                dump_u16(d, cp);
            }
            i += k;
        } else {
            const char *e = NULL;
            switch (c) {
            case '"': e = "\\\""; break;
            case '\\': e = "\\\\"; break;
            case '\b': e = "\\b"; break;
            case '\f': e = "\\f"; break;
            case '\n': e = "\\n"; break;
            case '\r': e = "\\r"; break;
            case '\t': e = "\\t"; break;
            default: break;
            }
            if (e != NULL)
                dump_put(d, e, 2);
            else
                dump_u16(d, c);
            i++;
        }
        run = i;
    }
    dump_put(d, str + run, n - run);
    dump_ch(d, '"');
}

static void dump_value(struct dump *d, const json_t *v, unsigned depth)
{
    if (d->bad || depth > 64) {
        d->bad = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        dump_ch(d, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                dump_ch(d, ',');
            first = false;
            dump_string(d, json_object_iter_key(it), json_object_iter_key_len(it));
            dump_ch(d, ':');
            dump_value(d, json_object_iter_value(it), depth + 1);
        }
        dump_ch(d, '}');
        break;
    }
    case JSON_ARRAY: {
        dump_ch(d, '[');
        for (size_t i = 0, n = json_array_size(v); i < n; i++) {
            if (i > 0)
                dump_ch(d, ',');
            dump_value(d, json_array_get(v, i), depth + 1);
        }
        dump_ch(d, ']');
        break;
    }
    case JSON_STRING:
        dump_string(d, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        dump_int(d, json_integer_value(v));
        break;
    case JSON_REAL: {
        char tmp[64];
        size_t n = json_dumpb(v, tmp, sizeof(tmp), JSON_ENCODE_ANY | JSON_COMPACT);
        if (n == 0 || n > sizeof(tmp))
            d->bad = true;
        else
            dump_put(d, tmp, n);
        break;
    }
    case JSON_TRUE:
        dump_put(d, "true", 4);
        break;
    case JSON_FALSE:
        dump_put(d, "false", 5);
        break;
    case JSON_NULL:
        dump_put(d, "null", 4);
        break;
    }
}

size_t eve_dump(const json_t *v, char *buf, size_t size)
{
    struct dump d = {buf, size, 0, false};
    if (v == NULL)
        return 0;
    dump_value(&d, v, 0);
    return d.bad ? 0 : d.len;
}
