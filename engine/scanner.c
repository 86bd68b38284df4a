/*
 * scanner.c - mail-scanner fingerprints: data files in, address and
 * User-Agent matching out (see scanner.h).
 */
#include "scanner.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define SCANNER_NAME_MAX 64

struct scanner_entry {
    enum scanner_trait trait;
    char name[SCANNER_NAME_MAX];
    pcre2_code *re;   /* SCANNER_USER_AGENT; owned */
    uint8_t ip_ver;   /* SCANNER_ADDRESS */
    uint8_t prefix;
    uint8_t addr[16]; /* host bits cleared */
};

struct scanner_set {
    struct scanner_entry *v; /* owned */
    size_t n, cap;
};

struct scanner_scratch {
    pcre2_match_data *md;
};

struct scanner_set *scanner_set_create(void)
{
    return calloc(1, sizeof(struct scanner_set));
}

void scanner_set_destroy(struct scanner_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        pcre2_code_free(s->v[i].re);
    free(s->v);
    free(s);
}

size_t scanner_set_count(const struct scanner_set *s)
{
    return s != NULL ? s->n : 0;
}

static void mask_bits(uint8_t addr[16], unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
        addr[i] &= (uint8_t)(keep == 8 ? 0xff : (0xff << (8 - keep)) & 0xff);
    }
}

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" -> e; NULL or why not. */
static const char *parse_cidr(const char *text, struct scanner_entry *e)
{
    char buf[64];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof(buf))
        return "expected an address or CIDR, e.g. 104.47.0.0/17 or 2a01:111::/32";
    memcpy(buf, text, alen);
    buf[alen] = '\0';
    memset(e->addr, 0, sizeof(e->addr));
    if (inet_pton(AF_INET, buf, e->addr) == 1)
        e->ip_ver = 4;
    else if (inet_pton(AF_INET6, buf, e->addr) == 1)
        e->ip_ver = 6;
    else
        return "not an IPv4 or IPv6 address";
    unsigned max = e->ip_ver == 4 ? 32 : 128, prefix = max;
    if (slash != NULL) {
        char *end;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || !isdigit((unsigned char)slash[1]) || v > max)
            return e->ip_ver == 4 ? "prefix length must be 0..32" : "prefix length must be 0..128";
        prefix = (unsigned)v;
    }
    e->prefix = (uint8_t)prefix;
    mask_bits(e->addr, prefix);
    return NULL;
}

static int push_entry(struct scanner_set *s, const struct scanner_entry *e)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct scanner_entry *grown = realloc(s->v, cap * sizeof(*grown));
        if (grown == NULL)
            return PS_NOMEM;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = *e;
    return PS_OK;
}

/* One line without its newline. PS_OK (also for comments), PS_ERR with
 * why, PS_NOMEM. */
static int parse_line(struct scanner_set *s, char *line, char *why, size_t whylen)
{
    char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return PS_OK;
    char *kind = p;
    while (*p != '\0' && !isspace((unsigned char)*p))
        p++;
    size_t klen = (size_t)(p - kind);
    while (isspace((unsigned char)*p))
        p++;
    char *name = p;
    while (*p != '\0' && !isspace((unsigned char)*p))
        p++;
    size_t nlen = (size_t)(p - name);
    while (isspace((unsigned char)*p))
        p++;
    char *value = p, *end = p + strlen(p);
    while (end > value && isspace((unsigned char)end[-1]))
        *--end = '\0';

    struct scanner_entry e = {0};
    if (klen == 2 && memcmp(kind, "ua", 2) == 0)
        e.trait = SCANNER_USER_AGENT;
    else if (klen == 3 && memcmp(kind, "net", 3) == 0)
        e.trait = SCANNER_ADDRESS;
    else {
        snprintf(why, whylen, "unknown kind '%.*s'; expected 'ua NAME REGEX' or 'net NAME CIDR'",
                 (int)PS_MIN(klen, 32), kind);
        return PS_ERR;
    }
    if (nlen == 0 || *value == '\0') {
        snprintf(why, whylen, "expected '%s NAME %s'", e.trait == SCANNER_USER_AGENT ? "ua" : "net",
                 e.trait == SCANNER_USER_AGENT ? "REGEX" : "CIDR");
        return PS_ERR;
    }
    if (nlen >= SCANNER_NAME_MAX) {
        snprintf(why, whylen, "name longer than %d characters", SCANNER_NAME_MAX - 1);
        return PS_ERR;
    }
    for (size_t i = 0; i < nlen; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i])) {
            snprintf(why, whylen, "name '%.*s' may hold only letters, digits, '.', '_' and '-'",
                     (int)nlen, name);
            return PS_ERR;
        }
    memcpy(e.name, name, nlen);
    if (e.trait == SCANNER_ADDRESS) {
        const char *err = parse_cidr(value, &e);
        if (err != NULL) {
            snprintf(why, whylen, "'%.64s': %s", value, err); /* a CIDR is short */
            return PS_ERR;
        }
        return push_entry(s, &e);
    }
    int code;
    PCRE2_SIZE off;
    e.re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
                         &code, &off, NULL);
    if (e.re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(why, whylen, "regex at offset %zu: %s", (size_t)off, (const char *)msg);
        return PS_ERR;
    }
    int rc = push_entry(s, &e);
    if (rc != PS_OK)
        pcre2_code_free(e.re);
    return rc;
}

int scanner_set_load_string(struct scanner_set *s, const char *name, const char *text,
                            FILE *diag)
{
    int rc = PS_OK;
    unsigned lineno = 0;
    const char *p = text;
    char line[4096];
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char why[256];
        int lr;
        if (len >= sizeof(line)) {
            snprintf(why, sizeof(why), "line longer than %zu characters", sizeof(line) - 1);
            lr = PS_ERR;
        } else {
            memcpy(line, p, len);
            line[len] = '\0';
            if (len > 0 && line[len - 1] == '\r')
                line[len - 1] = '\0';
            lr = parse_line(s, line, why, sizeof(why));
        }
        if (lr == PS_NOMEM)
            return PS_NOMEM;
        if (lr == PS_ERR) {
            if (diag != NULL)
                fprintf(diag, "%s:%u: error: %s\n", name, lineno, why);
            rc = PS_ERR;
        }
        p += len + (nl ? 1 : 0);
    }
    return rc;
}

int scanner_set_load(struct scanner_set *s, const char *path, FILE *diag)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (diag != NULL)
            fprintf(diag, "plainsight: cannot read scanner fingerprints %s\n", path);
        return PS_DECLINED;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = PS_OK;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            char *grown = realloc(text, cap + 1);
            if (grown == NULL) {
                rc = PS_NOMEM;
                goto done;
            }
            text = grown;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        if (diag != NULL)
            fprintf(diag, "plainsight: cannot read scanner fingerprints %s\n", path);
        rc = PS_DECLINED;
        goto done;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len) != NULL) {
        if (diag != NULL)
            fprintf(diag, "%s:1: error: not a text file\n", path);
        rc = PS_ERR;
        goto done;
    }
    rc = scanner_set_load_string(s, path, text, diag);
done:
    free(text);
    fclose(f);
    return rc;
}

struct scanner_scratch *scanner_scratch_create(const struct scanner_set *s)
{
    (void)s;
    struct scanner_scratch *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return NULL;
    sc->md = pcre2_match_data_create(1, NULL);
    if (sc->md == NULL) {
        free(sc);
        return NULL;
    }
    return sc;
}

void scanner_scratch_destroy(struct scanner_scratch *sc)
{
    if (sc == NULL)
        return;
    pcre2_match_data_free(sc->md);
    free(sc);
}

static bool addr_in(const struct scanner_entry *e, uint8_t ip_ver, const uint8_t addr[16])
{
    if (e->ip_ver != ip_ver)
        return false;
    unsigned full = e->prefix / 8, rest = e->prefix % 8;
    if (memcmp(e->addr, addr, full) != 0)
        return false;
    return rest == 0 || ((addr[full] ^ e->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

struct scanner_hit scanner_match(const struct scanner_set *s, struct scanner_scratch *sc,
                                 uint8_t ip_ver, const uint8_t addr[16], struct ps_slice ua)
{
    struct scanner_hit hit = {SCANNER_NONE, NULL};
    if (s == NULL)
        return hit;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].trait == SCANNER_ADDRESS && addr_in(&s->v[i], ip_ver, addr))
            return (struct scanner_hit){SCANNER_ADDRESS, s->v[i].name};
    if (ua.len == 0 || sc == NULL)
        return hit;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].trait != SCANNER_USER_AGENT)
            continue;
        /* byte mode (no UTF): a User-Agent may be any bytes */
        int rc = pcre2_match(s->v[i].re, ua.ptr, ua.len, 0, 0, sc->md, NULL);
        if (rc >= 0)
            return (struct scanner_hit){SCANNER_USER_AGENT, s->v[i].name};
    }
    return hit;
}
