/*
 * rule_parse.c - rule files to rules (see rule.h). Lines are joined into
 * one rule text (trailing backslash, or an option list still open), each
 * byte remembering the line and column it came from; the header goes to
 * rule_header.c, every option through the keyword table in rule_keywords.c.
 *
 * A rule that is still open when a line starting with an action arrives is
 * reported as unclosed there, so one missing ')' costs one rule, not the
 * rest of the file. A duplicate (gid, sid) is found through a hash index
 * built per load call over the rules already in the set.
 */
#include "rule_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define KW_PRINT_MAX 60

static void diag_vprint(const struct rule_parser *p, size_t off, const char *level,
                        const char *kw, size_t kwlen, const char *fmt, va_list ap)
{
    FILE *f = p->rs->diag;
    if (f == NULL)
        return;
    const struct rule_pos *pos = &p->pos[PS_MIN(off, p->len)];
    fprintf(f, "%s:%u:%u: %s: %.*s%s: ", p->file, pos->line, pos->col, level,
            (int)PS_MIN(kwlen, KW_PRINT_MAX), kw, kwlen > KW_PRINT_MAX ? "..." : "");
    vfprintf(f, fmt, ap);
    fputc('\n', f);
}

void rule_error(const struct rule_parser *p, size_t off, const char *kw, size_t kwlen,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vprint(p, off, "error", kw, kwlen, fmt, ap);
    va_end(ap);
}

void rule_warning(struct rule_parser *p, size_t off, const char *kw, size_t kwlen,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vprint(p, off, "warning", kw, kwlen, fmt, ap);
    va_end(ap);
    p->rs->n_warnings++;
}

int rule_unsupported(struct rule_parser *p, size_t off, const char *kw, size_t kwlen,
                     const char *why)
{
    if (!p->skipping) {
        p->skipping = true;
        p->unsup_off = off;
        snprintf(p->unsup_kw, sizeof(p->unsup_kw), "%.*s", (int)PS_MIN(kwlen, 63), kw);
        snprintf(p->unsup_why, sizeof(p->unsup_why), "%s",
                 why != NULL ? why : "not supported by plainsight");
    }
    return PS_DECLINED;
}

/* --- duplicate sids: open addressing over indexes into rs->rules --- */

struct sid_index {
    size_t *slots; /* rule index + 1; 0 is empty */
    size_t cap;    /* power of two */
};

static size_t sid_slot(const struct sid_index *ix, uint32_t gid, uint32_t sid)
{
    uint64_t k = ((uint64_t)gid << 32 | sid) * 0x9E3779B97F4A7C15ULL;
    return (size_t)(k >> 32) & (ix->cap - 1);
}

static const struct rule *sid_find(const struct sid_index *ix, const struct rule_set *rs,
                                   uint32_t gid, uint32_t sid)
{
    if (ix->cap == 0)
        return NULL;
    for (size_t i = sid_slot(ix, gid, sid);; i = (i + 1) & (ix->cap - 1)) {
        if (ix->slots[i] == 0)
            return NULL;
        const struct rule *r = rs->rules[ix->slots[i] - 1];
        if (r->gid == gid && r->sid == sid)
            return r;
    }
}

/* Index rules [0, n) of the set; sized for twice that so probes stay short. */
static int sid_index_build(struct sid_index *ix, const struct rule_set *rs, size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n + 2)
        cap *= 2;
    size_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return PS_NOMEM;
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    for (size_t r = 0; r < n; r++) {
        size_t i = sid_slot(ix, rs->rules[r]->gid, rs->rules[r]->sid);
        while (ix->slots[i] != 0)
            i = (i + 1) & (cap - 1);
        ix->slots[i] = r + 1;
    }
    return PS_OK;
}

/* --- one rule --- */

struct loader {
    struct rule_set *rs;
    const char *file;
    struct sid_index sids;
    char *text;
    struct rule_pos *pos;
    size_t len, cap;
    /* the rule being assembled */
    bool active, backslash, in_quote, escape, opened;
    int depth;
    size_t open_off, quote_off;
};

static int set_append(struct loader *ld, struct rule *r)
{
    struct rule_set *rs = ld->rs;
    size_t n = rs->n_rules;
    /* capacity is implicit: the array doubles whenever n is a power of two */
    if ((n & (n - 1)) == 0) {
        struct rule **rules = realloc(rs->rules, (n ? 2 * n : 1) * sizeof(*rules));
        if (rules == NULL)
            return PS_NOMEM;
        rs->rules = rules;
    }
    rs->rules[rs->n_rules++] = r;
    /* a failed rebuild keeps the old index: only later duplicates of this
     * one rule could go unnoticed, and only when memory is already gone */
    if (2 * rs->n_rules + 2 > ld->sids.cap) {
        (void)sid_index_build(&ld->sids, rs, rs->n_rules);
        return PS_OK;
    }
    size_t i = sid_slot(&ld->sids, r->gid, r->sid);
    while (ld->sids.slots[i] != 0)
        i = (i + 1) & (ld->sids.cap - 1);
    ld->sids.slots[i] = rs->n_rules;
    return PS_OK;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Cut the option list (s, e) into options and apply each. */
static int options_parse(struct rule_parser *p, size_t i, size_t e)
{
    const char *t = p->text;
    while (i < e) {
        while (i < e && is_ws(t[i]))
            i++;
        if (i >= e)
            break;
        struct rule_opt o = {.name = t + i, .off = i};
        while (i < e && t[i] != ':' && t[i] != ';' && !is_ws(t[i]))
            i++;
        o.name_len = (size_t)(t + i - o.name);
        if (o.name_len == 0) {
            rule_error(p, i, t + i, 1, t[i] == ';' ? "empty option; remove the extra ';'"
                                                   : "missing keyword before ':'");
            return PS_ERR;
        }
        while (i < e && is_ws(t[i]))
            i++;
        if (i < e && t[i] == ':') {
            bool quote = false, esc = false;
            size_t vs = ++i, qoff = 0;
            for (; i < e; i++) {
                if (esc)
                    esc = false;
                else if (t[i] == '\\')
                    esc = true;
                else if (t[i] == '"' && (quote = !quote))
                    qoff = i;
                else if (t[i] == ';' && !quote)
                    break;
            }
            if (quote) {
                rule_error(p, qoff, o.name, o.name_len, "string is not closed; end it with '\"'");
                return PS_ERR;
            }
            size_t ve = i;
            while (vs < ve && is_ws(t[vs]))
                vs++;
            while (ve > vs && is_ws(t[ve - 1]))
                ve--;
            if ((o.value = strndup(t + vs, ve - vs)) == NULL) {
                rule_error(p, o.off, o.name, o.name_len, "out of memory");
                return PS_ERR;
            }
        } else if (i < e && t[i] != ';') {
            rule_error(p, i, o.name, o.name_len, "expected ':' or ';' after the keyword");
            return PS_ERR;
        }
        i++; /* the ';' (a missing one before ')' is forgiven) */
        int rc = p->skipping ? rule_keyword_sid_only(p, &o) : rule_keyword_apply(p, &o);
        free(o.value);
        if (rc == PS_ERR)
            return PS_ERR;
    }
    return PS_OK;
}

static void rule_report_skipped(struct rule_parser *p)
{
    char sid[24] = "";
    if (p->sid_set)
        snprintf(sid, sizeof(sid), " sid %u", p->r->sid);
    size_t n = strlen(p->unsup_kw);
    if (p->rs->strict) {
        rule_error(p, p->unsup_off, p->unsup_kw, n, "%s; rule%s rejected (strict mode)",
                   p->unsup_why, sid);
        p->rs->n_errors++;
    } else {
        rule_warning(p, p->unsup_off, p->unsup_kw, n, "%s; rule%s skipped", p->unsup_why, sid);
        p->rs->n_skipped++;
    }
}

/* The assembled text [0, len) is one rule; add it or report why not. */
static void rule_parse_text(struct loader *ld)
{
    struct rule_parser p = {
        .rs = ld->rs, .file = ld->file, .text = ld->text, .len = ld->len, .pos = ld->pos,
        .sticky = RB_MAX,
    };
    const char *t = ld->text;
    struct rule *r = p.r = calloc(1, sizeof(*r));
    if (r == NULL || (r->file = strdup(ld->file)) == NULL) {
        rule_error(&p, 0, "rule", 4, "out of memory");
        goto reject;
    }
    r->gid = 1;
    r->line = ld->pos[0].line;
    const char *lp = memchr(t, '(', ld->len);
    size_t end = ld->len;
    while (end > 0 && is_ws(t[end - 1]))
        end--;
    if (lp == NULL) {
        rule_error(&p, end, "rule", 4,
                   "rule has no option list; add (msg:\"...\"; sid:N; ...) after the header");
        goto reject;
    }
    size_t open = (size_t)(lp - t);
    if (t[end - 1] != ')') {
        const char *rp = memrchr(t, ')', end);
        size_t at = rp != NULL && rp > lp ? (size_t)(rp - t) + 1 : end - 1, n = 0;
        while (is_ws(t[at]))
            at++;
        while (at + n < end && !is_ws(t[at + n]))
            n++;
        rule_error(&p, at, t + at, n, "unexpected text after the option list; the rule must end "
                                      "with ')'");
        goto reject;
    }
    int rc = rule_header_parse(&p, open);
    if (rc == PS_ERR || options_parse(&p, open + 1, end - 1) != PS_OK)
        goto reject;
    if (p.skipping) {
        rule_report_skipped(&p);
        goto out;
    }
    if (rule_keywords_finish(&p) != PS_OK)
        goto reject;
    const struct rule *dup = sid_find(&ld->sids, ld->rs, r->gid, r->sid);
    if (dup != NULL) {
        rule_error(&p, p.sid_off, "sid", 3,
                   "duplicate sid %u (gid %u), first used at %s:%u; give this rule a new sid",
                   r->sid, r->gid, dup->file, dup->line);
        goto reject;
    }
    if (set_append(ld, r) != PS_OK) {
        rule_error(&p, 0, "rule", 4, "out of memory");
        goto reject;
    }
    free(p.aux);
    return;
reject:
    ld->rs->n_errors++;
out:
    rule_free(r);
    free(p.aux);
}

/* --- lines to rules --- */

static int text_append(struct loader *ld, const char *s, size_t n, uint32_t line, uint32_t col)
{
    size_t cap_pos = ld->cap;
    if (rule_grow(&ld->text, &ld->cap, ld->len + n, 1) != PS_OK ||
        rule_grow(&ld->pos, &cap_pos, ld->len + n, sizeof(*ld->pos)) != PS_OK)
        return PS_NOMEM;
    ld->cap = PS_MIN(ld->cap, cap_pos);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        ld->text[ld->len] = c;
        ld->pos[ld->len++] = (struct rule_pos){line, col + (uint32_t)i};
        /* track quotes and parentheses to know when the option list closes */
        if (ld->escape)
            ld->escape = false;
        else if (c == '\\')
            ld->escape = true;
        else if (c == '"' && (ld->in_quote = !ld->in_quote))
            ld->quote_off = ld->len - 1;
        else if (!ld->in_quote && c == '(' && ld->depth++ == 0) {
            ld->opened = true;
            ld->open_off = ld->len - 1; /* the '(' an unclosed error points at */
        } else if (!ld->in_quote && c == ')' && ld->depth > 0)
            ld->depth--;
    }
    /* the sentinel position, one past the end, for errors at end of text */
    ld->pos[ld->len] = (struct rule_pos){line, col + (uint32_t)n};
    return PS_OK;
}

static void rule_reset(struct loader *ld)
{
    ld->active = ld->backslash = ld->in_quote = ld->escape = ld->opened = false;
    ld->depth = 0;
    ld->len = 0;
}

/* A rule still open at a new rule's line, or at the end of the file. An
 * open string is the likely cause (it hides the ')'): name its keyword. */
static void rule_unclosed(struct loader *ld)
{
    struct rule_parser p = {.rs = ld->rs, .file = ld->file, .text = ld->text, .len = ld->len,
                            .pos = ld->pos};
    const char *t = ld->text;
    if (ld->backslash) {
        rule_error(&p, ld->len, "\\", 1,
                   "the line ends with '\\' but no rule line follows; remove the '\\'");
    } else if (ld->in_quote) {
        size_t k = ld->quote_off, n = 0;
        while (k > 0 && t[k - 1] != ';' && t[k - 1] != '(')
            k--;
        while (k < ld->quote_off && is_ws(t[k]))
            k++;
        while (k + n < ld->quote_off && t[k + n] != ':' && !is_ws(t[k + n]))
            n++;
        if (n == 0)
            rule_error(&p, ld->quote_off, "\"", 1, "string is not closed; end it with '\"'");
        else
            rule_error(&p, k, t + k, n,
                       "string is not closed; end it with '\"' (the rule's ')' is inside it)");
    } else {
        rule_error(&p, ld->open_off, "(", 1, "option list is not closed; end the rule with ')'");
    }
    ld->rs->n_errors++;
    rule_reset(ld);
}

static bool starts_rule(const char *s, size_t n)
{
    static const char *const actions[] = {"alert", "drop", "pass", "reject", "rejectsrc",
                                          "rejectdst", "rejectboth"};
    for (size_t i = 0; i < PS_ARRAY_LEN(actions); i++) {
        size_t k = strlen(actions[i]);
        if (n > k && strncmp(s, actions[i], k) == 0 && is_ws(s[k]))
            return true;
    }
    return false;
}

static int line_feed(struct loader *ld, const char *s, size_t n, uint32_t line)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    size_t b = 0;
    while (b < n && is_ws(s[b]))
        b++;
    while (n > b && is_ws(s[n - 1]))
        n--;
    if (b == n || s[b] == '#')
        return PS_OK;
    if (memchr(s, '\0', n) != NULL) {
        struct rule_parser p = {.rs = ld->rs, .file = ld->file, .text = s, .len = 0,
                                .pos = &(struct rule_pos){line, 1}};
        rule_error(&p, 0, "NUL", 3, "NUL byte in the rule file; rules are text");
        ld->rs->n_errors++;
        rule_reset(ld);
        return PS_OK;
    }
    if (ld->active && !ld->backslash && starts_rule(s + b, n - b))
        rule_unclosed(ld);
    uint32_t col = (uint32_t)b + 1;
    if (!ld->active) {
        ld->active = true;
    } else if (ld->backslash) {
        b = 0; /* as Suricata: a continued line is taken whole */
        col = 1;
    } else if (text_append(ld, " ", 1, line, col) != PS_OK) {
        return PS_NOMEM;
    }
    ld->backslash = s[n - 1] == '\\';
    if (ld->backslash)
        n--;
    if (text_append(ld, s + b, n - b, line, col) != PS_OK)
        return PS_NOMEM;
    if (!ld->backslash && (!ld->opened || ld->depth == 0)) {
        rule_parse_text(ld);
        rule_reset(ld);
    }
    return PS_OK;
}

static int rules_load_text(struct rule_set *rs, const char *file, const char *text, size_t len)
{
    struct loader ld = {.rs = rs, .file = file};
    int rc = sid_index_build(&ld.sids, rs, rs->n_rules);
    uint32_t line = 1;
    for (size_t i = 0; rc == PS_OK && i < len; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl != NULL ? (size_t)(nl - text - i) : len - i;
        rc = line_feed(&ld, text + i, n, line);
        i += n + 1;
    }
    if (rc == PS_OK && ld.active)
        rule_unclosed(&ld);
    if (rc != PS_OK && rs->diag != NULL)
        fprintf(rs->diag, "%s:%u:1: error: rules: out of memory\n", file, line);
    free(ld.text);
    free(ld.pos);
    free(ld.sids.slots);
    return rc == PS_OK ? PS_OK : PS_ERR;
}

int rule_set_load_string(struct rule_set *rs, const char *name, const char *text)
{
    return rules_load_text(rs, name != NULL ? name : "<string>", text != NULL ? text : "",
                           text != NULL ? strlen(text) : 0);
}

int rule_set_load_file(struct rule_set *rs, const char *path)
{
    char *buf;
    size_t len;
    if (rule_file_read(path, &buf, &len) != PS_OK) {
        if (rs->diag != NULL)
            fprintf(rs->diag, "%s: error: cannot read the rule file: %s\n", path,
                    strerror(errno));
        return PS_ERR;
    }
    int rc = rules_load_text(rs, path, buf, len);
    free(buf);
    return rc;
}
