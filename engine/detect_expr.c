/*
 * detect_expr.c - one rule's conditions as Hyperscan expressions (see
 * detect_compile.c for how they become databases).
 *
 * A content, or a chain of contents joined by distance/within, becomes one
 * expression: literal bytes as \xHH (any byte is safe), nocase as
 * (?i:...), and between two contents of a chain a gap .{lo,hi} with
 * lo = distance and hi = distance + within - len(next) (unbounded without
 * within). Contents compile with HS_FLAG_DOTALL so gaps span every byte.
 * A single content's offset/depth become the extensions min_offset =
 * offset + len and max_offset = offset + depth (both bound the END of a
 * match); a chain's first content gets them as a ^.{offset,offset+depth-len}
 * prefix. startswith is ^, endswith \z ($ would also match before a final
 * newline). Hyperscan caps every such bound at 32767.
 *
 * A pcre is checked alone first (hs_expression_ext_info): compiled exactly
 * when Hyperscan can, else in prefilter mode (a superset that PCRE2
 * confirms), else the rule fails; one that matches the empty string fails
 * too. Hyperscan has no E, G or x flags: x goes inline as
 * (?x) with a closing newline (which ends a trailing # comment), G changes
 * no match, E needs PCRE2's verdict; A becomes \A(?:...). Every pcre is
 * also compiled with PCRE2; the code is kept when PCRE2 must confirm a
 * hit: prefiltered, a `secret` group to extract, or E.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

struct detect_str {
    char *p;
    size_t len, cap;
    bool nomem;
};

static void detect_str_add(struct detect_str *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void detect_str_add(struct detect_str *s, const char *fmt, ...)
{
    if (s->nomem)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            s->nomem = true;
            return;
        }
        if (s->p != NULL && s->len + (size_t)n < s->cap) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = s->cap ? s->cap : 64;
        while (cap <= s->len + (size_t)n)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (p == NULL) {
            s->nomem = true;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
}

void detect_report(struct detect_build *b, const struct rule *r, const struct rule_match *m,
                   const char *kw, const char *fmt, ...)
{
    if (b->diag == NULL)
        return;
    uint32_t line = m != NULL && m->line != 0 ? m->line : r->line;
    uint32_t col = m != NULL && m->line != 0 ? m->col : 1;
    fprintf(b->diag, "%s:%u:%u: error: %s: ", r->file ? r->file : "<rules>", line, col, kw);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(b->diag, fmt, ap);
    va_end(ap);
    fputc('\n', b->diag);
}

unsigned detect_mode(enum rule_buffer buf)
{
    return rule_buffer_is_stream(buf) ? HS_MODE_STREAM : HS_MODE_BLOCK;
}

/* ---- contents ---- */

static void detect_str_literal(struct detect_str *s, const struct rule_match *m)
{
    if (m->nocase)
        detect_str_add(s, "(?i:");
    for (size_t i = 0; i < m->content_len; i++)
        detect_str_add(s, "\\x%02x", m->content[i]);
    if (m->nocase)
        detect_str_add(s, ")");
}

/* A gap of lo..hi bytes (hi < 0: unbounded). */
static int detect_str_gap(struct detect_build *b, struct detect_str *s, const struct rule *r,
                          const struct rule_match *m, uint64_t lo, int64_t hi)
{
    if (lo > DETECT_HS_MAX_REPEAT || hi > (int64_t)DETECT_HS_MAX_REPEAT) {
        detect_report(b, r, m, "content", "a gap or offset bound above %u bytes (Hyperscan's limit)",
                      DETECT_HS_MAX_REPEAT);
        return PS_ERR;
    }
    if (hi < 0)
        detect_str_add(s, ".{%llu,}", (unsigned long long)lo);
    else if (hi > 0)
        detect_str_add(s, ".{%llu,%lld}", (unsigned long long)lo, (long long)hi);
    return PS_OK;
}

/* next[i]: the content relative to match i (distance/within), or n. */
static int detect_link_chains(struct detect_build *b, const struct rule *r, uint32_t *next)
{
    for (size_t j = 0; j < r->n_matches; j++) {
        next[j] = (uint32_t)r->n_matches;
        const struct rule_match *m = &r->matches[j];
        if (m->kind != RULE_CONTENT || !(m->has_distance || m->has_within))
            continue;
        size_t k = j;
        while (k > 0 && r->matches[k - 1].buffer != m->buffer)
            k--;
        if (k == 0 || r->matches[k - 1].kind != RULE_CONTENT || r->matches[k - 1].negated ||
            m->negated) {
            detect_report(b, r, m, "content",
                          "distance/within needs a previous, non-negated content on its buffer");
            return PS_ERR;
        }
        next[k - 1] = (uint32_t)j;
    }
    return PS_OK;
}

static int detect_spec_content(struct detect_build *b, const struct rule *r, uint32_t first,
                               const uint32_t *next, struct detect_spec *sp)
{
    const struct rule_match *a = &r->matches[first];
    bool chain = next[first] < r->n_matches;
    struct detect_str s = {0};

    sp->flags = HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH;
    if (a->startswith)
        detect_str_add(&s, "^");
    if (a->has_depth && a->depth < a->content_len) {
        detect_report(b, r, a, "content", "depth %u is shorter than the content (%zu bytes)",
                      a->depth, a->content_len);
        goto fail;
    }
    uint32_t off = a->has_offset ? a->offset : 0;
    if (!chain) {
        if (a->has_offset && off > 0) {
            sp->ext.flags |= HS_EXT_FLAG_MIN_OFFSET;
            sp->ext.min_offset = (unsigned long long)off + a->content_len;
        }
        if (a->has_depth) {
            sp->ext.flags |= HS_EXT_FLAG_MAX_OFFSET;
            sp->ext.max_offset = (unsigned long long)off + a->depth;
        }
    } else if (!a->startswith && (a->has_offset || a->has_depth)) {
        detect_str_add(&s, "^");
        int64_t hi = a->has_depth ? (int64_t)off + a->depth - (int64_t)a->content_len : -1;
        if (detect_str_gap(b, &s, r, a, off, hi) != PS_OK)
            goto fail;
    }
    for (uint32_t i = first; i < r->n_matches; i = next[i]) {
        const struct rule_match *m = &r->matches[i];
        if (m->content_len == 0) {
            detect_report(b, r, m, "content", "empty content");
            goto fail;
        }
        if (i != first) {
            if (m->has_offset || m->has_depth || m->startswith) {
                detect_report(b, r, m, "content",
                              "offset, depth or startswith on a relative content");
                goto fail;
            }
            if (m->has_within && m->within < m->content_len) {
                detect_report(b, r, m, "content", "within %u is shorter than the content (%zu bytes)",
                              m->within, m->content_len);
                goto fail;
            }
            uint64_t d = m->has_distance ? (uint64_t)m->distance : 0;
            int64_t hi = m->has_within ? (int64_t)(d + m->within - m->content_len) : -1;
            if (detect_str_gap(b, &s, r, m, d, hi) != PS_OK)
                goto fail;
        }
        detect_str_literal(&s, m);
        if (m->endswith)
            detect_str_add(&s, "\\z");
        sp->weight = PS_MAX(sp->weight, m->content_len);
        sp->fast |= m->fast_pattern;
    }
    if (s.nomem)
        goto fail;
    sp->expr = s.p;
    return PS_OK;
fail:
    free(s.p);
    return s.nomem ? PS_NOMEM : PS_ERR;
}

/* ---- pcre ---- */

/* Hyperscan's verdict on one expression without compiling it (a full
 * compile per pcre doubled the build time); b->msg set on refusal. The
 * database build catches what this cannot see (resource limits). */
static bool detect_hs_check(struct detect_build *b, const char *expr, unsigned flags,
                            unsigned *min_width)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *err = NULL;
    b->pcre_checks++;
    if (hs_expression_ext_info(expr, flags, NULL, &info, &err) == HS_SUCCESS) {
        *min_width = info->min_width;
        free(info); /* allocated with Hyperscan's default allocator, malloc */
        return true;
    }
    snprintf(b->msg, sizeof(b->msg), "%s", err != NULL ? err->message : "refused");
    hs_free_compile_error(err);
    return false;
}

static bool detect_force_prefilter(const struct detect_build *b, const struct rule_match *m)
{
    for (size_t i = 0; i < b->n_force; i++)
        if (b->force[i] == m)
            return true;
    return false;
}

static int detect_spec_pcre(struct detect_build *b, const struct rule *r, const struct rule_match *m,
                            struct detect_spec *sp)
{
    uint32_t f = m->pcre_flags;
    struct detect_str s = {0};
    if (m->pcre == NULL || m->pcre[0] == '\0') {
        detect_report(b, r, m, "pcre", "empty pattern");
        return PS_ERR;
    }
    /* Hyperscan has no E, G or x flag: E needs PCRE2, G changes no match,
     * x goes inline (a newline ends a trailing # comment). */
    detect_str_add(&s, "%s%s%s%s%s", f & RULE_PCRE_ANCHORED ? "\\A(?:" : "",
                   f & RULE_PCRE_EXTENDED ? "(?x)" : "", m->pcre, f & RULE_PCRE_EXTENDED ? "\n" : "",
                   f & RULE_PCRE_ANCHORED ? ")" : "");
    if (s.nomem)
        return PS_NOMEM;
    sp->expr = s.p;
    sp->flags = (f & RULE_PCRE_CASELESS ? HS_FLAG_CASELESS : 0) |
                (f & RULE_PCRE_DOTALL ? HS_FLAG_DOTALL : 0) |
                (f & RULE_PCRE_MULTILINE ? HS_FLAG_MULTILINE : 0);
    unsigned min_width = 0;
    if (b->optimistic) {
        min_width = 1; /* a cached database will vouch for it (detect_int.h) */
    } else if (detect_force_prefilter(b, m) ||
               !detect_hs_check(b, sp->expr, sp->flags, &min_width)) {
        if (!detect_hs_check(b, sp->expr, sp->flags | HS_FLAG_PREFILTER, &min_width)) {
            detect_report(b, r, m, "pcre", "%s", b->msg);
            return PS_ERR;
        }
        sp->flags |= HS_FLAG_PREFILTER;
        sp->prefiltered = true;
    }
    if (min_width == 0) {
        detect_report(b, r, m, "pcre", "matches the empty string, which Hyperscan refuses");
        return PS_ERR;
    }

    uint32_t opt = (f & RULE_PCRE_CASELESS ? PCRE2_CASELESS : 0) |
                   (f & RULE_PCRE_DOTALL ? PCRE2_DOTALL : 0) |
                   (f & RULE_PCRE_MULTILINE ? PCRE2_MULTILINE : 0) |
                   (f & RULE_PCRE_EXTENDED ? PCRE2_EXTENDED : 0) |
                   (f & RULE_PCRE_ANCHORED ? PCRE2_ANCHORED : 0) |
                   (f & RULE_PCRE_DOLLAR_ENDONLY ? PCRE2_DOLLAR_ENDONLY : 0) |
                   (f & RULE_PCRE_UNGREEDY ? PCRE2_UNGREEDY : 0);
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)m->pcre, PCRE2_ZERO_TERMINATED, opt, &errcode,
                                   &erroff, NULL);
    if (re == NULL) {
        PCRE2_UCHAR why[160];
        pcre2_get_error_message(errcode, why, sizeof(why));
        detect_report(b, r, m, "pcre", "%s at offset %zu", (const char *)why, (size_t)erroff);
        return PS_ERR;
    }
    int group = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "secret");
    if (group < 0 && (m->pcre_secret || group != PCRE2_ERROR_NOSUBSTRING)) {
        detect_report(b, r, m, "pcre", "%s", group == PCRE2_ERROR_NOUNIQUESUBSTRING
                                                  ? "the group `secret` is not unique"
                                                  : "no group named `secret`");
        pcre2_code_free(re);
        return PS_ERR;
    }
    sp->secret_group = group > 0 ? group : 0;
    sp->anchored = (f & RULE_PCRE_ANCHORED) != 0;
    sp->confirm = sp->prefiltered || sp->secret_group > 0 || (f & RULE_PCRE_DOLLAR_ENDONLY);
    if (sp->confirm) {
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* the interpreter runs when JIT cannot */
        sp->re = re;
    } else {
        pcre2_code_free(re);
        sp->flags |= HS_FLAG_SINGLEMATCH;
    }
    return PS_OK;
}

void detect_specs_free(struct detect_spec *sp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(sp[i].expr);
        pcre2_code_free(sp[i].re);
    }
    free(sp);
}

int detect_rule_specs(struct detect_build *b, const struct rule *r, struct detect_spec **out,
                      size_t *n_out)
{
    size_t n = r->n_matches;
    struct detect_spec *sp = calloc(n ? n : 1, sizeof(*sp));
    uint32_t *next = calloc(n ? n : 1, sizeof(*next));
    size_t k = 0;
    int rc = PS_NOMEM;
    if (sp == NULL || next == NULL)
        goto fail;
    if ((rc = detect_link_chains(b, r, next)) != PS_OK)
        goto fail;
    for (uint32_t i = 0; i < n; i++) {
        const struct rule_match *m = &r->matches[i];
        if (m->kind == RULE_CONTENT && (m->has_distance || m->has_within))
            continue; /* part of its chain */
        if (m->buffer >= RB_MAX) {
            detect_report(b, r, m, m->kind == RULE_PCRE ? "pcre" : "content", "no buffer");
            rc = PS_ERR;
            goto fail;
        }
        struct detect_spec *s = &sp[k++];
        s->buffer = m->buffer;
        s->negated = m->negated;
        s->match = i;
        if (m->kind == RULE_PCRE)
            rc = detect_spec_pcre(b, r, m, s);
        else
            rc = detect_spec_content(b, r, i, next, s);
        if (rc != PS_OK)
            goto fail;
    }
    free(next);
    *out = sp;
    *n_out = k;
    return PS_OK;
fail:
    free(next);
    detect_specs_free(sp, k);
    return rc;
}
