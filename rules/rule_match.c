/*
 * rule_match.c - the matching keywords: content and pcre, the content
 * modifiers, sticky buffers and Suricata's legacy http_* modifiers.
 *
 * A content or pcre takes the current sticky buffer. Before any sticky
 * buffer it has none yet (RB_MAX): a legacy modifier such as http_uri may
 * still move it, so "needs a buffer" and the distance/within chain rules
 * are checked once the whole rule is read (rule_matches_check), where
 * legacy moves can no longer change the answer.
 */
#include "rule_int.h"

#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int rule_value_decode(struct rule_parser *p, const struct rule_opt *o, const char *v, bool hex,
                      uint8_t **out, size_t *len)
{
    size_t n = strlen(v), k = 0, i = 0;
    bool quoted = n > 0 && v[0] == '"', closed = !quoted, in_hex = false;
    int nib = -1;
    const char *why = NULL;
    uint8_t *buf = malloc(n + 1);
    if (buf == NULL) {
        KW_ERR(p, o, "out of memory");
        return PS_ERR;
    }
    for (i = quoted ? 1 : 0; i < n && why == NULL; i++) {
        char c = v[i];
        if (in_hex) {
            int h = hex_value(c);
            if (c == '|') {
                in_hex = false;
                if (nib >= 0)
                    why = "odd number of hex digits in |...|; write each byte as two digits";
            } else if (c == '"') {
                why = "|hex| block is not closed; end it with '|'";
            } else if (c == ' ' || c == '\t') {
                continue;
            } else if (h < 0) {
                why = "bad hex digit in |...|; use 0-9 a-f and spaces";
            } else if (nib < 0) {
                nib = h;
            } else {
                buf[k++] = (uint8_t)(nib << 4 | h);
                nib = -1;
            }
        } else if (c == '\\') {
            if (i + 1 < n && (v[i + 1] == '"' || v[i + 1] == ';' || v[i + 1] == '\\'))
                buf[k++] = (uint8_t)v[++i];
            else
                why = hex ? "unknown escape; only \\\" \\; \\\\ are escapes (use |hex| for "
                            "other bytes)"
                          : "unknown escape; only \\\" \\; \\\\ are escapes";
        } else if (c == '"') {
            if (quoted && i == n - 1)
                closed = true;
            else
                why = quoted ? "text after the closing quote; end the option with ';'"
                             : "stray '\"'; quote the whole value or escape it as \\\"";
        } else if (c == '|' && hex) {
            in_hex = true;
        } else {
            buf[k++] = (uint8_t)c;
        }
    }
    if (why == NULL && in_hex)
        why = "|hex| block is not closed; end it with '|'";
    if (why == NULL && !closed)
        why = "string is not closed; end it with '\"'";
    if (why != NULL) {
        KW_ERR(p, o, "%s", why);
        free(buf);
        return PS_ERR;
    }
    buf[k] = '\0';
    *out = buf;
    *len = k;
    return PS_OK;
}

/* Append a match taking the current sticky buffer; owns nothing yet. */
static struct rule_match *match_add(struct rule_parser *p, enum rule_match_kind kind,
                                    const struct rule_opt *o, bool negated)
{
    struct rule *r = p->r;
    size_t cap1 = p->match_cap, cap2 = p->match_cap;
    if (rule_grow(&r->matches, &cap1, r->n_matches, sizeof(*r->matches)) != PS_OK ||
        rule_grow(&p->aux, &cap2, r->n_matches, sizeof(*p->aux)) != PS_OK) {
        KW_ERR(p, o, "out of memory");
        return NULL;
    }
    p->match_cap = PS_MIN(cap1, cap2);
    struct rule_match *m = &r->matches[r->n_matches];
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    m->buffer = p->sticky;
    m->negated = negated;
    m->line = p->pos[o->off].line;
    m->col = p->pos[o->off].col;
    p->aux[r->n_matches] = (struct rule_match_aux){.off = o->off};
    r->n_matches++;
    return m;
}

static const char *skip_negation(const char *v, bool *neg)
{
    *neg = *v == '!';
    if (*neg)
        for (v++; *v == ' ' || *v == '\t'; v++)
            ;
    return v;
}

int rule_kw_content(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    bool neg;
    const char *v = skip_negation(o->value, &neg);
    uint8_t *buf;
    size_t len;
    if (rule_value_decode(p, o, v, true, &buf, &len) != PS_OK)
        return PS_ERR;
    if (len == 0) {
        KW_ERR(p, o, "content is empty; give at least one byte");
        free(buf);
        return PS_ERR;
    }
    struct rule_match *m = match_add(p, RULE_CONTENT, o, neg);
    if (m == NULL) {
        free(buf);
        return PS_ERR;
    }
    m->content = buf;
    m->content_len = len;
    return PS_OK;
}

/* Suricata's pcre letters this engine does not take; buffer letters name
 * the sticky buffer to use instead. */
static const struct {
    char flag;
    const char *instead;
} pcre_unsupported[] = {
    {'R', NULL}, {'B', NULL}, {'O', NULL}, {'D', NULL}, {'Z', NULL},
    {'U', "http.uri"}, {'I', "http.uri.raw"}, {'P', "http.request_body"},
    {'H', "http.header"}, {'M', "http.method"}, {'C', "http.cookie"},
    {'S', "http.stat_code"}, {'Y', "http.stat_msg"}, {'V', "http.user_agent"},
    {'W', "http.host"}, {'Q', "file.data"},
};

static const struct {
    char flag;
    uint32_t bit;
} pcre_flags[] = {
    {'i', RULE_PCRE_CASELESS}, {'s', RULE_PCRE_DOTALL}, {'m', RULE_PCRE_MULTILINE},
    {'x', RULE_PCRE_EXTENDED}, {'A', RULE_PCRE_ANCHORED}, {'E', RULE_PCRE_DOLLAR_ENDONLY},
    {'G', RULE_PCRE_UNGREEDY},
};

static int pcre_flag(struct rule_parser *p, const struct rule_opt *o, char c, uint32_t *flags)
{
    for (size_t i = 0; i < PS_ARRAY_LEN(pcre_flags); i++)
        if (pcre_flags[i].flag == c) {
            *flags |= pcre_flags[i].bit;
            return PS_OK;
        }
    for (size_t i = 0; i < PS_ARRAY_LEN(pcre_unsupported); i++) {
        if (pcre_unsupported[i].flag != c)
            continue;
        char why[128];
        if (pcre_unsupported[i].instead != NULL)
            snprintf(why, sizeof(why),
                     "flag '%c' is not supported by plainsight; put the sticky buffer %s "
                     "before the pcre instead",
                     c, pcre_unsupported[i].instead);
        else
            snprintf(why, sizeof(why), "flag '%c'%s is not supported by plainsight", c,
                     c == 'R' ? " (relative match)" : "");
        return rule_unsupported(p, o->off, o->name, o->name_len, why);
    }
    KW_ERR(p, o, "unknown flag '%c'; the flags are i s m x A E G", c);
    return PS_ERR;
}

int rule_kw_pcre(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    bool neg;
    const char *v = skip_negation(o->value, &neg);
    size_t n = strlen(v);
    if (n > 0 && v[0] == '"') {
        size_t bs = 0; /* an odd run of backslashes escapes the final quote */
        while (n >= 2 + bs && v[n - 2 - bs] == '\\')
            bs++;
        if (n < 2 || v[n - 1] != '"' || bs % 2 == 1) {
            KW_ERR(p, o, "string is not closed; end it with '\"'");
            return PS_ERR;
        }
        v++;
        n -= 2;
    }
    const char *last = n > 1 ? memrchr(v + 1, '/', n - 1) : NULL;
    if (n < 2 || v[0] != '/' || last == NULL) {
        KW_ERR(p, o, "write the pattern as pcre:\"/PATTERN/FLAGS\"");
        return PS_ERR;
    }
    size_t plen = (size_t)(last - v) - 1;
    if (plen == 0) {
        KW_ERR(p, o, "empty pattern; put a regular expression between the slashes");
        return PS_ERR;
    }
    uint32_t flags = 0;
    for (const char *f = last + 1; f < v + n; f++) {
        int rc = pcre_flag(p, o, *f, &flags);
        if (rc != PS_OK)
            return rc;
    }
    char *pat = strndup(v + 1, plen);
    struct rule_match *m = pat != NULL ? match_add(p, RULE_PCRE, o, neg) : NULL;
    if (m == NULL) {
        if (pat == NULL)
            KW_ERR(p, o, "out of memory");
        free(pat);
        return PS_ERR;
    }
    m->pcre = pat;
    m->pcre_flags = flags;
    m->pcre_secret = strstr(pat, "(?P<secret>") != NULL || strstr(pat, "(?<secret>") != NULL ||
                     strstr(pat, "(?'secret'") != NULL;
    return PS_OK;
}

static bool parse_number(const char *v, bool allow_neg, long long max, long long *out)
{
    const char *c = v;
    if (allow_neg && *c == '-')
        c++;
    if (*c == '\0' || strlen(c) > 12)
        return false;
    long long n = 0;
    for (; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        n = n * 10 + (*c - '0');
    }
    *out = *v == '-' ? -n : n;
    return n <= max;
}

/* Checks shared by the modifiers; which conflicts which is in the switch. */
static int modifier_apply(struct rule_parser *p, const struct rule_opt *o, int mod,
                          struct rule_match *m)
{
    bool anchored = m->has_offset || m->has_depth;
    bool relative = m->has_distance || m->has_within;
    bool dup = false;
    long long v = 0;
    if (mod >= MOD_OFFSET) {
        bool num = parse_number(o->value, mod == MOD_DISTANCE,
                                mod == MOD_DISTANCE ? INT32_MAX : UINT32_MAX, &v);
        if (num && v < 0) {
            KW_ERR(p, o, "negative distance is not supported; reorder the contents so "
                         "each follows the previous one");
            return PS_ERR;
        }
        if (!num) {
            KW_ERR(p, o, "expected a whole number from 0 to %lld",
                   mod == MOD_DISTANCE ? (long long)INT32_MAX : (long long)UINT32_MAX);
            return PS_ERR;
        }
    }
    if (m->startswith && mod >= MOD_OFFSET) {
        KW_ERR(p, o, "cannot be combined with startswith, which already anchors the content "
                     "at the start; drop one of them");
        return PS_ERR;
    }
    switch (mod) {
    case MOD_NOCASE:
        dup = m->nocase;
        m->nocase = true;
        break;
    case MOD_STARTSWITH:
        if (anchored || relative) {
            KW_ERR(p, o, "cannot be combined with offset, depth, distance or within; drop "
                         "one of them");
            return PS_ERR;
        }
        dup = m->startswith;
        m->startswith = true;
        break;
    case MOD_ENDSWITH:
        dup = m->endswith;
        m->endswith = true;
        break;
    case MOD_OFFSET:
    case MOD_DEPTH:
        if (relative) {
            KW_ERR(p, o, "cannot be combined with distance or within on the same content; "
                         "use either absolute (offset, depth) or relative positions");
            return PS_ERR;
        }
        if (mod == MOD_DEPTH && (unsigned long long)v < m->content_len) {
            KW_ERR(p, o, "depth %lld is shorter than the content (%zu bytes), which could "
                         "never match; raise it",
                   v, m->content_len);
            return PS_ERR;
        }
        dup = mod == MOD_OFFSET ? m->has_offset : m->has_depth;
        if (mod == MOD_OFFSET)
            m->has_offset = true, m->offset = (uint32_t)v;
        else
            m->has_depth = true, m->depth = (uint32_t)v;
        break;
    default: /* MOD_DISTANCE, MOD_WITHIN */
        if (anchored) {
            KW_ERR(p, o, "cannot be combined with offset or depth on the same content; use "
                         "either absolute (offset, depth) or relative positions");
            return PS_ERR;
        }
        if (mod == MOD_WITHIN && (unsigned long long)v < m->content_len) {
            KW_ERR(p, o, "within %lld is shorter than the content (%zu bytes), which could "
                         "never match; raise it",
                   v, m->content_len);
            return PS_ERR;
        }
        dup = mod == MOD_DISTANCE ? m->has_distance : m->has_within;
        if (mod == MOD_DISTANCE)
            m->has_distance = true, m->distance = (int32_t)v;
        else
            m->has_within = true, m->within = (uint32_t)v;
        struct rule_match_aux *a = &p->aux[p->r->n_matches - 1];
        if (!relative) {
            a->rel_off = o->off;
            a->rel_kw = mod == MOD_DISTANCE ? "distance" : "within";
        }
    }
    if (dup) {
        KW_ERR(p, o, "given twice for the same content; keep one");
        return PS_ERR;
    }
    return PS_OK;
}

/* The content a modifier applies to: the rule's most recent match. */
static struct rule_match *modifier_target(struct rule_parser *p, const struct rule_opt *o)
{
    struct rule *r = p->r;
    if (r->n_matches == 0) {
        KW_ERR(p, o, "needs a content before it; it modifies the previous content");
        return NULL;
    }
    struct rule_match *m = &r->matches[r->n_matches - 1];
    if (m->kind != RULE_CONTENT) {
        KW_ERR(p, o, "modifies a content, but the previous match is a pcre; move it after "
                     "a content (a pcre takes flags such as /i instead)");
        return NULL;
    }
    return m;
}

static int fast_pattern_apply(struct rule_parser *p, const struct rule_opt *o,
                              struct rule_match *m)
{
    if (o->value != NULL && strcmp(o->value, "only") != 0) {
        const char *c = o->value;
        while ((*c >= '0' && *c <= '9') || *c == ',' || *c == ' ')
            c++;
        if (*c == '\0' && strchr(o->value, ',') != NULL)
            return rule_unsupported(p, o->off, o->name, o->name_len,
                                    "fast_pattern:offset,length is not supported by "
                                    "plainsight; use fast_pattern");
        KW_ERR(p, o, "unknown value; write fast_pattern; (or fast_pattern:only;)");
        return PS_ERR;
    }
    if (m->fast_pattern) {
        KW_ERR(p, o, "given twice for the same content; keep one");
        return PS_ERR;
    }
    if (p->fast_pattern) {
        KW_ERR(p, o, "only one fast_pattern per rule; keep it on the most distinctive content");
        return PS_ERR;
    }
    if (m->negated) {
        KW_ERR(p, o, "a negated content cannot select the rule; put fast_pattern on a "
                     "positive content");
        return PS_ERR;
    }
    m->fast_pattern = p->fast_pattern = true;
    return PS_OK;
}

int rule_kw_modifier(struct rule_parser *p, const struct rule_keyword *k,
                     const struct rule_opt *o)
{
    struct rule_match *m = modifier_target(p, o);
    if (m == NULL)
        return PS_ERR;
    if (k->arg == MOD_FAST_PATTERN)
        return fast_pattern_apply(p, o, m);
    return modifier_apply(p, o, k->arg, m);
}

int rule_kw_sticky(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    p->sticky = (enum rule_buffer)k->arg;
    return PS_OK;
}

int rule_kw_legacy(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    const char *to = rule_buffer_name((enum rule_buffer)k->arg);
    struct rule_match *m = modifier_target(p, o);
    if (m == NULL)
        return PS_ERR;
    struct rule_match_aux *a = &p->aux[p->r->n_matches - 1];
    if (a->legacy) {
        KW_ERR(p, o, "the content was already moved to %s; keep one modifier",
               rule_buffer_name(m->buffer));
        return PS_ERR;
    }
    if (m->buffer != RB_MAX) {
        KW_ERR(p, o, "the content already follows the sticky buffer %s; drop %.*s, or put %s "
                     "before the content instead",
               rule_buffer_name(m->buffer), (int)o->name_len, o->name, to);
        return PS_ERR;
    }
    m->buffer = (enum rule_buffer)k->arg;
    a->legacy = true;
    return PS_OK;
}

static int chain_check(struct rule_parser *p, size_t i)
{
    const struct rule_match *m = &p->r->matches[i];
    const struct rule_match_aux *a = &p->aux[i];
    const char *kw = a->rel_kw;
    size_t j = i;
    while (j > 0 && p->r->matches[j - 1].buffer != m->buffer)
        j--;
    if (j == 0) {
        rule_error(p, a->rel_off, kw, strlen(kw),
                   "needs an earlier content in the same buffer (%s) to be relative to",
                   rule_buffer_name(m->buffer));
        return PS_ERR;
    }
    const struct rule_match *prev = &p->r->matches[j - 1];
    if (prev->kind != RULE_CONTENT) {
        rule_error(p, a->rel_off, kw, strlen(kw),
                   "relative matches after a pcre are not supported; make the pcre cover "
                   "both parts, or match the content first");
        return PS_ERR;
    }
    if (prev->negated || m->negated) {
        rule_error(p, a->rel_off, kw, strlen(kw),
                   "relative matches on negated content are not supported; drop the '!' or "
                   "the %s",
                   kw);
        return PS_ERR;
    }
    return PS_OK;
}

int rule_matches_check(struct rule_parser *p)
{
    const struct rule *r = p->r;
    const char *example = r->proto == RULE_PROTO_ICS ? "ics.text" : "http.uri";
    for (size_t i = 0; i < r->n_matches; i++) {
        if (r->matches[i].buffer != RB_MAX)
            continue;
        const char *kw = r->matches[i].kind == RULE_CONTENT ? "content" : "pcre";
        rule_error(p, p->aux[i].off, kw, strlen(kw),
                   "%s needs a buffer: put a sticky buffer such as %s before it", kw, example);
        return PS_ERR;
    }
    for (size_t i = 0; i < r->n_matches; i++)
        if ((r->matches[i].has_distance || r->matches[i].has_within) &&
            chain_check(p, i) != PS_OK)
            return PS_ERR;
    return PS_OK;
}
