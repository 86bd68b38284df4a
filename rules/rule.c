/*
 * rule.c - the plain parts of the rule model (see rule.h): buffer facts,
 * address and port matching, and freeing. Parsing lives in rule_parse.c,
 * rule_header.c and rule_keywords.c; classification files in
 * classification.c.
 */
#include "rule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One row per buffer, in enum order. */
static const struct {
    const char *name;
    bool stream;
    enum ps_dir dir;
} buffers[RB_MAX] = {
    [RB_HTTP_METHOD] = {"http.method", false, PS_TOSERVER},
    [RB_HTTP_URI] = {"http.uri", false, PS_TOSERVER},
    [RB_HTTP_URI_RAW] = {"http.uri.raw", false, PS_TOSERVER},
    [RB_HTTP_HOST] = {"http.host", false, PS_TOSERVER},
    [RB_HTTP_USER_AGENT] = {"http.user_agent", false, PS_TOSERVER},
    [RB_HTTP_COOKIE] = {"http.cookie", false, PS_TOSERVER},
    [RB_HTTP_REFERER] = {"http.referer", false, PS_TOSERVER},
    [RB_HTTP_HEADER] = {"http.header", false, PS_TOSERVER},
    /* Scanned in both directions; counted as a request buffer because the
     * request's Content-Type is the one a rule usually pairs with a body. */
    [RB_HTTP_CONTENT_TYPE] = {"http.content_type", false, PS_TOSERVER},
    [RB_HTTP_STAT_CODE] = {"http.stat_code", false, PS_TOCLIENT},
    [RB_HTTP_STAT_MSG] = {"http.stat_msg", false, PS_TOCLIENT},
    [RB_HTTP_LOCATION] = {"http.location", false, PS_TOCLIENT},
    [RB_HTTP_RESPONSE_HEADER] = {"http.response_header", false, PS_TOCLIENT},
    [RB_HTTP_REQUEST_BODY] = {"http.request_body", true, PS_TOSERVER},
    [RB_HTTP_RESPONSE_BODY] = {"file.data", true, PS_TOCLIENT},
    [RB_ICS_SUMMARY] = {"ics.summary", false, PS_TOCLIENT},
    [RB_ICS_DESCRIPTION] = {"ics.description", false, PS_TOCLIENT},
    [RB_ICS_LOCATION] = {"ics.location", false, PS_TOCLIENT},
    [RB_ICS_URL] = {"ics.url", false, PS_TOCLIENT},
    [RB_ICS_ORGANIZER] = {"ics.organizer", false, PS_TOCLIENT},
    [RB_ICS_ATTENDEE] = {"ics.attendee", false, PS_TOCLIENT},
    [RB_ICS_COMMENT] = {"ics.comment", false, PS_TOCLIENT},
    [RB_ICS_CONFERENCE] = {"ics.conference", false, PS_TOCLIENT},
    [RB_ICS_TEXT] = {"ics.text", false, PS_TOCLIENT},
};

const char *rule_buffer_name(enum rule_buffer b)
{
    return (unsigned)b < RB_MAX ? buffers[b].name : "(none)";
}

bool rule_buffer_is_stream(enum rule_buffer b)
{
    return (unsigned)b < RB_MAX && buffers[b].stream;
}

enum ps_dir rule_buffer_dir(enum rule_buffer b)
{
    return (unsigned)b < RB_MAX ? buffers[b].dir : PS_TOSERVER;
}

static bool addr_item_match(const struct rule_addr_item *it, const uint8_t addr[16])
{
    unsigned full = it->prefix / 8, rest = it->prefix % 8;
    if (memcmp(it->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr[full] & mask) == it->addr[full];
}

bool rule_addr_match(const struct rule_addr *a, uint8_t ip_ver, const uint8_t addr[16])
{
    if (a->any)
        return true;
    bool has_pos = false, pos = false;
    for (size_t i = 0; i < a->n; i++) {
        const struct rule_addr_item *it = &a->items[i];
        if (!it->negated)
            has_pos = true;
        if (it->family != ip_ver || !addr_item_match(it, addr))
            continue;
        if (it->negated)
            return false;
        pos = true;
    }
    return pos || !has_pos;
}

bool rule_ports_match(const struct rule_ports *p, uint16_t port)
{
    if (p->any)
        return true;
    bool has_pos = false, pos = false;
    for (size_t i = 0; i < p->n; i++) {
        const struct rule_port_item *it = &p->items[i];
        if (!it->negated)
            has_pos = true;
        if (port < it->lo || port > it->hi)
            continue;
        if (it->negated)
            return false;
        pos = true;
    }
    return pos || !has_pos;
}

void rule_free(struct rule *r)
{
    if (r == NULL)
        return;
    free(r->msg);
    free(r->classtype);
    for (size_t i = 0; i < r->n_refs; i++)
        free(r->refs[i]);
    free(r->refs);
    for (size_t i = 0; i < r->n_meta; i++) {
        free(r->meta[i].key);
        free(r->meta[i].value);
    }
    free(r->meta);
    free(r->src.items);
    free(r->dst.items);
    free(r->sport.items);
    free(r->dport.items);
    for (size_t i = 0; i < r->n_matches; i++) {
        free(r->matches[i].content);
        free(r->matches[i].pcre);
    }
    free(r->matches);
    free(r->file);
    free(r);
}

void rule_set_init(struct rule_set *rs)
{
    memset(rs, 0, sizeof(*rs));
    rs->diag = stderr;
}

void rule_set_free(struct rule_set *rs)
{
    for (size_t i = 0; i < rs->n_rules; i++)
        rule_free(rs->rules[i]);
    free(rs->rules);
    for (size_t i = 0; i < rs->n_classes; i++) {
        free(rs->classes[i].name);
        free(rs->classes[i].desc);
    }
    free(rs->classes);
    /* Reusable: empty again, with the same diagnostics settings. */
    FILE *diag = rs->diag;
    bool strict = rs->strict;
    rule_set_init(rs);
    rs->diag = diag;
    rs->strict = strict;
}

const struct rule_class *rule_set_class(const struct rule_set *rs, const char *name)
{
    for (size_t i = 0; i < rs->n_classes; i++)
        if (strcmp(rs->classes[i].name, name) == 0)
            return &rs->classes[i];
    return NULL;
}

int rule_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return PS_OK;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap <= n)
        ncap *= 2;
    /* arr points at a typed pointer; memcpy keeps the access well defined */
    void *old;
    memcpy(&old, arr, sizeof(old));
    void *q = realloc(old, ncap * elem);
    if (q == NULL)
        return PS_NOMEM;
    memcpy(arr, &q, sizeof(q));
    *cap = ncap;
    return PS_OK;
}

int rule_file_read(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (f == NULL)
        return PS_ERR;
    for (;;) {
        if (rule_grow(&buf, &cap, n + 65536, 1) != PS_OK) {
            errno = ENOMEM;
            goto fail;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto fail; /* errno from the failed read, EISDIR for a directory */
    fclose(f);
    *out = buf;
    *len = n;
    return PS_OK;
fail:;
    int err = errno;
    fclose(f);
    free(buf);
    errno = err;
    return PS_ERR;
}

bool rule_src_is_server(const struct rule *r)
{
    if (r->flow & RULE_FLOW_TO_CLIENT)
        return true;
    if (r->flow & RULE_FLOW_TO_SERVER)
        return false;
    for (size_t i = 0; i < r->n_matches; i++)
        if (rule_buffer_dir(r->matches[i].buffer) != PS_TOCLIENT)
            return false;
    return true;
}
