/*
 * rule_header.c - "alert http SRC SPORT -> DST DPORT", the part before the
 * option list. Addresses and ports share one list grammar:
 *
 *   list := '[' item (',' item)* ']'      item := '!'? (list | atom)
 *
 * A negated list is flattened into negated items (rule.h); a negation
 * inside a negated list cannot be flattened that way and is reported as
 * unsupported rather than silently meaning something else. Suricata
 * variables ($HOME_NET) are unsupported: this engine has no variable table.
 */
#include "rule_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEPTH_MAX 16

static const char *const actions_unsupported[] = {
    "drop", "pass", "reject", "rejectsrc", "rejectdst", "rejectboth", "config",
};

static const char *const protos_unsupported[] = {
    "tcp", "udp", "ip", "icmp", "icmpv4", "icmpv6", "ipv4", "ipv6", "ip4", "ip6", "sctp",
    "pkthdr", "tcp-pkt", "tcp-stream", "http1", "http2", "tls", "ssl", "dns", "doh2",
    "smtp", "imap", "pop3", "ftp", "ftp-data", "tftp", "ssh", "smb", "dcerpc", "nfs",
    "ntp", "dhcp", "krb5", "snmp", "sip", "rfb", "mqtt", "rdp", "ike", "ikev2", "modbus",
    "dnp3", "enip", "cip", "pgsql", "telnet", "quic", "bittorrent-dht", "websocket",
    "ldap", "mdns", "arp", "template",
};

static bool token_in(const char *s, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && strncmp(list[i], s, n) == 0)
            return true;
    return false;
}

static bool token_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncmp(s, word, n) == 0;
}

/* Cursor over the header. Brackets group, so "[1.2.3.4, 5.6.7.8]" is one
 * token even with spaces inside. */
static bool header_token(const struct rule_parser *p, size_t *off, size_t end, size_t *s,
                         size_t *e)
{
    size_t i = *off;
    while (i < end && (p->text[i] == ' ' || p->text[i] == '\t' || p->text[i] == '\n'))
        i++;
    if (i >= end)
        return false;
    *s = i;
    int depth = 0;
    for (; i < end; i++) {
        char c = p->text[i];
        if (c == '[')
            depth++;
        else if (c == ']' && depth > 0)
            depth--;
        else if (depth == 0 && (c == ' ' || c == '\t' || c == '\n'))
            break;
    }
    *e = *off = i;
    return true;
}

/* One atom of a list, [s, e), trimmed; negated says whether it counts as !. */
typedef int (*atom_fn)(struct rule_parser *p, size_t s, size_t e, bool negated, void *ctx);

struct list_ctx {
    atom_fn atom;
    void *ctx;
    bool any_seen; /* a positive `any` inside a list */
    const char *what;
};

static int list_parse(struct rule_parser *p, struct list_ctx *lc, size_t s, size_t e,
                      bool neg, int depth);

static void trim(const char *t, size_t *s, size_t *e)
{
    while (*s < *e && (t[*s] == ' ' || t[*s] == '\t' || t[*s] == '\n'))
        (*s)++;
    while (*e > *s && (t[*e - 1] == ' ' || t[*e - 1] == '\t' || t[*e - 1] == '\n'))
        (*e)--;
}

static int item_parse(struct rule_parser *p, struct list_ctx *lc, size_t s, size_t e, bool neg,
                      int depth)
{
    const char *t = p->text;
    trim(t, &s, &e);
    if (s == e) {
        rule_error(p, s, "[", 1, "empty %s in a list; remove the extra ','", lc->what);
        return PS_ERR;
    }
    bool here = t[s] == '!';
    if (here) {
        s++;
        trim(t, &s, &e);
        if (s == e) {
            rule_error(p, s - 1, "!", 1, "'!' needs something to negate; write !ITEM or ![LIST]");
            return PS_ERR;
        }
        if (neg)
            return rule_unsupported(p, s - 1, t + s - 1, e - s + 1,
                                    "a negation inside a negated list is not supported by "
                                    "plainsight; list the negated items directly");
    }
    neg = neg || here;
    if (t[s] == '[')
        return list_parse(p, lc, s, e, neg, depth);
    if (token_is(t + s, e - s, "any")) {
        if (neg) {
            rule_error(p, s, "any", 3, "a negated any matches nothing; remove the '!'");
            return PS_ERR;
        }
        if (depth > 0) {
            lc->any_seen = true;
            return PS_OK;
        }
    }
    return lc->atom(p, s, e, neg, lc->ctx);
}

static int list_parse(struct rule_parser *p, struct list_ctx *lc, size_t s, size_t e,
                      bool neg, int depth)
{
    const char *t = p->text;
    if (depth > LIST_DEPTH_MAX) {
        rule_error(p, s, "[", 1, "lists nested deeper than %d; flatten them", LIST_DEPTH_MAX);
        return PS_ERR;
    }
    if (t[s] != '[')
        return item_parse(p, lc, s, e, neg, depth);
    if (t[e - 1] != ']' || e - s < 2) {
        rule_error(p, s, "[", 1, "list is not closed; end it with ']'");
        return PS_ERR;
    }
    size_t inner_s = s + 1, inner_e = e - 1, i = inner_s, item = inner_s;
    int d = 0;
    if (inner_s == inner_e) {
        rule_error(p, s, "[]", 2, "empty list; give at least one %s", lc->what);
        return PS_ERR;
    }
    for (; i <= inner_e; i++) {
        char c = i < inner_e ? t[i] : ',';
        if (c == '[') {
            d++;
        } else if (c == ']') {
            if (--d < 0) {
                rule_error(p, i, "]", 1, "unbalanced ']' in a list");
                return PS_ERR;
            }
        } else if (c == ',' && d == 0) {
            int rc = item_parse(p, lc, item, i, neg, depth + 1);
            if (rc != PS_OK)
                return rc;
            item = i + 1;
        }
    }
    if (d != 0) {
        rule_error(p, s, "[", 1, "unbalanced '[' in a list");
        return PS_ERR;
    }
    return PS_OK;
}

/* --- addresses --- */

static int addr_mask_parse(const char *m, int family, uint8_t *prefix)
{
    if (strchr(m, '.') != NULL && family == 4) {
        /* dotted netmask, as Suricata also accepts: must be contiguous */
        struct in_addr a;
        if (inet_pton(AF_INET, m, &a) != 1)
            return PS_ERR;
        uint32_t v = ntohl(a.s_addr);
        if (v != 0 && (~v & (~v + 1)) != 0)
            return PS_ERR;
        *prefix = (uint8_t)__builtin_popcount(v);
        return PS_OK;
    }
    unsigned long n = 0;
    if (*m == '\0' || strlen(m) > 3)
        return PS_ERR;
    for (const char *c = m; *c; c++) {
        if (*c < '0' || *c > '9')
            return PS_ERR;
        n = n * 10 + (unsigned long)(*c - '0');
    }
    if (n > (family == 4 ? 32u : 128u))
        return PS_ERR;
    *prefix = (uint8_t)n;
    return PS_OK;
}

static int addr_atom(struct rule_parser *p, size_t s, size_t e, bool neg, void *ctx)
{
    struct rule_addr *a = ctx;
    const char *t = p->text;
    size_t n = e - s;
    if (t[s] == '$')
        return rule_unsupported(p, s, t + s, n,
                                "address variables are not supported by plainsight; write "
                                "the addresses or CIDRs out");
    char buf[80];
    if (n >= sizeof(buf))
        goto bad;
    memcpy(buf, t + s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    struct rule_addr_item it = {.negated = neg};
    if (inet_pton(AF_INET, buf, it.addr) == 1) {
        it.family = 4;
        it.prefix = 32;
    } else if (inet_pton(AF_INET6, buf, it.addr) == 1) {
        it.family = 6;
        it.prefix = 128;
    } else {
        char *dash = strchr(buf, '-');
        uint8_t tmp[16];
        if (dash != NULL && slash == NULL) {
            *dash = '\0';
            if (inet_pton(AF_INET, buf, tmp) == 1 || inet_pton(AF_INET6, buf, tmp) == 1)
                return rule_unsupported(p, s, t + s, n,
                                        "address ranges are not supported by plainsight; "
                                        "write them as CIDRs");
        }
        goto bad;
    }
    if (slash != NULL && addr_mask_parse(slash + 1, it.family, &it.prefix) != PS_OK) {
        rule_error(p, s, t + s, n, "bad prefix length; use /0../%d", it.family == 4 ? 32 : 128);
        return PS_ERR;
    }
    /* clear host bits so matching compares whole bytes then one mask */
    unsigned bits = it.prefix, bytes = it.family == 4 ? 4 : 16;
    for (unsigned i = 0; i < bytes; i++) {
        if (bits >= 8)
            bits -= 8;
        else {
            it.addr[i] &= (uint8_t)(0xff << (8 - bits));
            bits = 0;
        }
    }
    size_t cap = a->n; /* exact-size growth: address lists are short */
    struct rule_addr_item *items = realloc(a->items, (cap + 1) * sizeof(*items));
    if (items == NULL)
        return PS_NOMEM;
    a->items = items;
    a->items[a->n++] = it;
    return PS_OK;
bad:
    rule_error(p, s, t + s, n,
               "not an address; write any, an IPv4 or IPv6 address, a CIDR such as "
               "10.0.0.0/8, or a [list]");
    return PS_ERR;
}

/* --- ports --- */

static int port_number(const char *t, size_t s, size_t e, uint16_t *out)
{
    if (s == e || e - s > 5)
        return PS_ERR;
    unsigned long v = 0;
    for (size_t i = s; i < e; i++) {
        if (t[i] < '0' || t[i] > '9')
            return PS_ERR;
        v = v * 10 + (unsigned long)(t[i] - '0');
    }
    if (v > 65535)
        return PS_ERR;
    *out = (uint16_t)v;
    return PS_OK;
}

static int port_atom(struct rule_parser *p, size_t s, size_t e, bool neg, void *ctx)
{
    struct rule_ports *ps = ctx;
    const char *t = p->text;
    if (t[s] == '$')
        return rule_unsupported(p, s, t + s, e - s,
                                "port variables are not supported by plainsight; write the "
                                "ports out");
    struct rule_port_item it = {.lo = 0, .hi = 65535, .negated = neg};
    const char *colon = memchr(t + s, ':', e - s);
    bool ok;
    if (colon == NULL) {
        ok = port_number(t, s, e, &it.lo) == PS_OK;
        it.hi = it.lo;
    } else {
        size_t c = (size_t)(colon - t);
        ok = c > s || c + 1 < e; /* ":" alone is not a range */
        if (ok && c > s)
            ok = port_number(t, s, c, &it.lo) == PS_OK;
        if (ok && c + 1 < e)
            ok = port_number(t, c + 1, e, &it.hi) == PS_OK;
    }
    if (!ok) {
        rule_error(p, s, t + s, e - s,
                   "not a port; write any, N, N:M, N: or :M (0..65535), or a [list]");
        return PS_ERR;
    }
    if (it.lo > it.hi) {
        rule_error(p, s, t + s, e - s, "port range runs backwards; write the lower port first");
        return PS_ERR;
    }
    struct rule_port_item *items = realloc(ps->items, (ps->n + 1) * sizeof(*items));
    if (items == NULL)
        return PS_NOMEM;
    ps->items = items;
    ps->items[ps->n++] = it;
    return PS_OK;
}

/* A positive `any` in a list makes the positive side always true, so only
 * the negated items still matter (rule.h matching rule). */
static void list_drop_positive_addr(struct rule_addr *a)
{
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i].negated)
            a->items[k++] = a->items[i];
    a->n = k;
    a->any = k == 0;
}

static void list_drop_positive_ports(struct rule_ports *ps)
{
    size_t k = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->items[i].negated)
            ps->items[k++] = ps->items[i];
    ps->n = k;
    ps->any = k == 0;
}

static int addr_parse(struct rule_parser *p, size_t s, size_t e, struct rule_addr *a)
{
    if (token_is(p->text + s, e - s, "any")) {
        a->any = true;
        return PS_OK;
    }
    struct list_ctx lc = {addr_atom, a, false, "address"};
    int rc = list_parse(p, &lc, s, e, false, 0);
    if (rc == PS_OK && lc.any_seen)
        list_drop_positive_addr(a);
    return rc;
}

static int ports_parse(struct rule_parser *p, size_t s, size_t e, struct rule_ports *ps)
{
    if (token_is(p->text + s, e - s, "any")) {
        ps->any = true;
        return PS_OK;
    }
    struct list_ctx lc = {port_atom, ps, false, "port"};
    int rc = list_parse(p, &lc, s, e, false, 0);
    if (rc == PS_OK && lc.any_seen)
        list_drop_positive_ports(ps);
    return rc;
}

static int header_action_proto(struct rule_parser *p, size_t s, size_t e, bool action)
{
    const char *t = p->text + s;
    size_t n = e - s;
    if (action) {
        if (token_is(t, n, "alert"))
            return PS_OK;
        if (token_in(t, n, actions_unsupported, PS_ARRAY_LEN(actions_unsupported)))
            return rule_unsupported(p, s, t, n,
                                    "only the alert action is supported by plainsight");
        rule_error(p, s, t, n, "unknown action; a rule starts with alert");
        return PS_ERR;
    }
    if (token_is(t, n, "http")) {
        p->r->proto = RULE_PROTO_HTTP;
        return PS_OK;
    }
    if (token_is(t, n, "ics")) {
        p->r->proto = RULE_PROTO_ICS;
        return PS_OK;
    }
    if (token_in(t, n, protos_unsupported, PS_ARRAY_LEN(protos_unsupported)))
        return rule_unsupported(p, s, t, n,
                                "protocol not supported by plainsight; use http or ics");
    rule_error(p, s, t, n, "unknown protocol; use http or ics");
    return PS_ERR;
}

int rule_header_parse(struct rule_parser *p, size_t end)
{
    static const char *const fields[] = {
        "action", "protocol", "source address", "source port", "direction",
        "destination address", "destination port",
    };
    size_t off = 0, s, e;
    struct rule *r = p->r;
    for (int f = 0; f < 7; f++) {
        if (!header_token(p, &off, end, &s, &e)) {
            rule_error(p, end, "(", 1,
                       "missing %s before '('; a rule reads: alert http SRC SPORT -> DST "
                       "DPORT (OPTIONS)",
                       fields[f]);
            return PS_ERR;
        }
        int rc;
        switch (f) {
        case 0: rc = header_action_proto(p, s, e, true); break;
        case 1: rc = header_action_proto(p, s, e, false); break;
        case 2: rc = addr_parse(p, s, e, &r->src); break;
        case 3: rc = ports_parse(p, s, e, &r->sport); break;
        case 5: rc = addr_parse(p, s, e, &r->dst); break;
        case 6: rc = ports_parse(p, s, e, &r->dport); break;
        default:
            rc = PS_OK;
            if (token_is(p->text + s, e - s, "<>")) {
                r->bidirectional = true;
            } else if (!token_is(p->text + s, e - s, "->")) {
                rule_error(p, s, p->text + s, e - s, "bad direction; use -> or <>");
                rc = PS_ERR;
            }
        }
        if (rc == PS_NOMEM)
            rule_error(p, s, p->text + s, e - s, "out of memory");
        if (rc != PS_OK)
            return rc == PS_DECLINED ? PS_DECLINED : PS_ERR;
    }
    if (header_token(p, &off, end, &s, &e)) {
        rule_error(p, s, p->text + s, e - s,
                   "unexpected text after the destination port; the options follow in (...)");
        return PS_ERR;
    }
    return PS_OK;
}
