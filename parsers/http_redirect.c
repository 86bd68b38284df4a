/*
 * http_redirect.c - does a response send its request to the same URL on
 * https://? That is the "upgrade" redirect (detections.md, family C): the
 * token in the cleartext request has already crossed the wire, and the
 * redirect only tells everyone listening where to use it.
 *
 * Both URLs are compared in a normal form: scheme and host case-folded,
 * default port dropped, path and query percent-decoded, fragment dropped.
 */
#include <string.h>

#include "http.h"

static int hex_val(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Next byte of a percent-decoded view of s; *i advances past it. */
static int decoded_next(struct ps_slice s, size_t *i)
{
    uint8_t c = s.ptr[*i];
    if (c == '%' && *i + 2 < s.len) {
        int hi = hex_val(s.ptr[*i + 1]), lo = hex_val(s.ptr[*i + 2]);
        if (hi >= 0 && lo >= 0) {
            *i += 3;
            return hi << 4 | lo;
        }
    }
    (*i)++;
    return c;
}

static bool decoded_equal(struct ps_slice a, struct ps_slice b)
{
    size_t i = 0, j = 0;
    while (i < a.len && j < b.len)
        if (decoded_next(a, &i) != decoded_next(b, &j))
            return false;
    return i == a.len && j == b.len;
}

static bool prefix_nocase(struct ps_slice s, const char *p)
{
    size_t n = strlen(p);
    if (s.len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((s.ptr[i] | 0x20) != (uint8_t)p[i])
            return false;
    return true;
}

static struct ps_slice slice_from(struct ps_slice s, size_t off)
{
    return off >= s.len ? (struct ps_slice){s.ptr + s.len, 0}
                        : (struct ps_slice){s.ptr + off, s.len - off};
}

/* Split "host[:port]/path?query" after the scheme into authority and the
 * rest; the rest defaults to "/". */
static void split_authority(struct ps_slice s, struct ps_slice *auth, struct ps_slice *rest)
{
    size_t i = 0;
    while (i < s.len && s.ptr[i] != '/' && s.ptr[i] != '?' && s.ptr[i] != '#')
        i++;
    *auth = (struct ps_slice){s.ptr, i};
    *rest = slice_from(s, i);
}

/* The host of an authority: userinfo, port and IPv6 brackets are dropped;
 * false when the port is present and not `default_port`. */
static bool authority_host(struct ps_slice auth, const char *default_port, struct ps_slice *host)
{
    const uint8_t *at = auth.len ? memchr(auth.ptr, '@', auth.len) : NULL;
    if (at != NULL)
        auth = slice_from(auth, (size_t)(at - auth.ptr) + 1);
    size_t end = auth.len;
    if (auth.len > 0 && auth.ptr[0] == '[') {
        const uint8_t *rb = memchr(auth.ptr, ']', auth.len);
        if (rb == NULL)
            return false;
        *host = (struct ps_slice){auth.ptr + 1, (size_t)(rb - auth.ptr) - 1};
        end = (size_t)(rb - auth.ptr) + 1;
    } else {
        const uint8_t *colon = memchr(auth.ptr, ':', auth.len);
        end = colon != NULL ? (size_t)(colon - auth.ptr) : auth.len;
        *host = (struct ps_slice){auth.ptr, end};
    }
    if (end < auth.len) {
        if (auth.ptr[end] != ':')
            return false;
        struct ps_slice port = slice_from(auth, end + 1);
        if (port.len > 0 && (port.len != strlen(default_port) ||
                             memcmp(port.ptr, default_port, port.len) != 0))
            return false;
    }
    return host->len > 0;
}

static bool host_equal(struct ps_slice a, struct ps_slice b)
{
    /* a trailing dot names the same host */
    if (a.len > 0 && a.ptr[a.len - 1] == '.')
        a.len--;
    if (b.len > 0 && b.ptr[b.len - 1] == '.')
        b.len--;
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        uint8_t x = a.ptr[i], y = b.ptr[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if (y >= 'A' && y <= 'Z')
            y |= 0x20;
        if (x != y)
            return false;
    }
    return true;
}

static struct ps_slice drop_fragment(struct ps_slice s)
{
    const uint8_t *hash = s.len ? memchr(s.ptr, '#', s.len) : NULL;
    if (hash != NULL)
        s.len = (size_t)(hash - s.ptr);
    return s;
}

static struct ps_slice or_root(struct ps_slice s)
{
    return s.len > 0 ? s : (struct ps_slice){(const uint8_t *)"/", 1};
}

bool http_redirect_is_upgrade(int status, struct ps_slice req_host, struct ps_slice req_target,
                              struct ps_slice location)
{
    if (status != 301 && status != 302 && status != 307 && status != 308)
        return false;
    while (location.len > 0 && (location.ptr[0] == ' ' || location.ptr[0] == '\t'))
        location = slice_from(location, 1);
    while (location.len > 0 &&
           (location.ptr[location.len - 1] == ' ' || location.ptr[location.len - 1] == '\t'))
        location.len--;
    if (!prefix_nocase(location, "https://") || req_host.len == 0 || req_target.len == 0)
        return false;

    struct ps_slice auth, loc_path, loc_host;
    split_authority(slice_from(location, 8), &auth, &loc_path);
    if (!authority_host(auth, "443", &loc_host) || !host_equal(loc_host, req_host))
        return false;

    /* An absolute-form target ("http://host/path") counts by its path. */
    struct ps_slice req_path = req_target;
    if (prefix_nocase(req_target, "http://")) {
        struct ps_slice req_auth;
        split_authority(slice_from(req_target, 7), &req_auth, &req_path);
    }
    return decoded_equal(or_root(drop_fragment(req_path)), or_root(drop_fragment(loc_path)));
}

bool http_tx_redirect_upgrade(const struct http_tx *tx)
{
    return http_redirect_is_upgrade(http_tx_status(tx), http_tx_field(tx, HTTP_F_HOST),
                                    http_tx_field(tx, HTTP_F_URI_RAW),
                                    http_tx_field(tx, HTTP_F_LOCATION));
}
