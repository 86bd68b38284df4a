/*
 * detect_compile.c - rules to Hyperscan databases (see detect.h and
 * detect_int.h); detect_expr.c turns each condition into an expression.
 *
 * Expressions that need no PCRE2 confirmation compile with
 * HS_FLAG_SINGLEMATCH, and identical ones of different rules share one
 * pattern; confirmed patterns belong to their rule. Each rule gets a fast
 * pattern, the one whose hit makes it a candidate: its fast_pattern
 * content, else its longest positive content, else its first positive
 * condition; rules with none are evaluated for every unit of their
 * protocol. One database per buffer: block mode, stream mode for bodies.
 * A body pcre that PCRE2 confirms, in a rule whose fast pattern is a
 * literal content of the same body, is deferred: armed by that literal
 * instead of compiled (see detect_int.h).
 *
 * Should a database still fail on one expression (a limit the check of
 * detect_expr.c cannot see; when Hyperscan names none, the buffer's
 * expressions are compiled one by one to find it), the build starts over:
 * with that pcre in prefilter mode if it was exact, else without the
 * rules using it, which are reported.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

/* ---- the pattern table ---- */

static uint32_t detect_spec_hash(const struct detect_spec *sp)
{
    uint32_t h = 2166136261u;
    for (const char *p = sp->expr; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    const uint64_t v[4] = {sp->flags, sp->buffer, sp->ext.min_offset ^ (sp->ext.flags << 60),
                           sp->ext.max_offset};
    for (size_t i = 0; i < 4; i++)
        h = (h ^ (uint32_t)(v[i] ^ (v[i] >> 32))) * 16777619u;
    return h;
}

static bool detect_spec_same(const struct detect_build *b, uint32_t id, const struct detect_spec *sp)
{
    const hs_expr_ext_t *x = &b->ext[id];
    return b->de->patterns[id].buffer == sp->buffer && b->flags[id] == sp->flags &&
           x->flags == sp->ext.flags && x->min_offset == sp->ext.min_offset &&
           x->max_offset == sp->ext.max_offset && strcmp(b->expr[id], sp->expr) == 0;
}

static int detect_grow(void *arr, uint32_t cap, uint32_t want, size_t elem)
{
    void *p = realloc(*(void **)arr, (size_t)want * elem);
    if (p == NULL)
        return PS_NOMEM;
    memset((char *)p + (size_t)cap * elem, 0, (size_t)(want - cap) * elem);
    *(void **)arr = p;
    return PS_OK;
}

/* Add sp (taking its expr and code) or find its twin; *id its pattern. */
static int detect_table_add(struct detect_build *b, struct detect_spec *sp, uint32_t *id)
{
    struct detect_engine *de = b->de;
    uint32_t slot = detect_spec_hash(sp) & b->dedupe_mask;
    if (!sp->confirm) {
        for (; b->dedupe[slot] != 0; slot = (slot + 1) & b->dedupe_mask) {
            if (detect_spec_same(b, b->dedupe[slot] - 1, sp)) {
                *id = b->dedupe[slot] - 1;
                return PS_OK;
            }
        }
    }
    if (de->n_patterns == b->pat_cap) {
        uint32_t cap = b->pat_cap ? 2 * b->pat_cap : 64;
        if (detect_grow(&de->patterns, b->pat_cap, cap, sizeof(*de->patterns)) != PS_OK ||
            detect_grow(&b->expr, b->pat_cap, cap, sizeof(*b->expr)) != PS_OK ||
            detect_grow(&b->flags, b->pat_cap, cap, sizeof(*b->flags)) != PS_OK ||
            detect_grow(&b->ext, b->pat_cap, cap, sizeof(*b->ext)) != PS_OK)
            return PS_NOMEM;
        b->pat_cap = cap;
    }
    *id = de->n_patterns++;
    struct detect_pattern *p = &de->patterns[*id];
    p->buffer = sp->buffer;
    p->confirm = sp->confirm;
    p->prefiltered = sp->prefiltered;
    p->anchored = sp->anchored;
    p->secret_group = sp->secret_group;
    b->expr[*id] = sp->expr;
    b->flags[*id] = sp->flags;
    b->ext[*id] = sp->ext;
    sp->expr = NULL;
    if (sp->confirm) {
        p->re = sp->re;
        sp->re = NULL;
        p->confirm_idx = de->n_confirm++;
        uint32_t pairs = 0;
        pcre2_pattern_info(p->re, PCRE2_INFO_CAPTURECOUNT, &pairs);
        de->ovector_pairs = PS_MAX(de->ovector_pairs, pairs + 1);
        if (rule_buffer_is_stream(p->buffer))
            de->window_mask |= 1u << p->buffer;
    } else {
        b->dedupe[slot] = *id + 1;
    }
    return PS_OK;
}

static int detect_u32_push(uint32_t **arr, uint32_t *n, uint32_t v)
{
    /* capacity is the next power of two, so no separate field is needed */
    if ((*n & (*n - 1)) == 0) {
        uint32_t *p = realloc(*arr, (size_t)(*n ? 2 * *n : 1) * sizeof(*p));
        if (p == NULL)
            return PS_NOMEM;
        *arr = p;
    }
    (*arr)[(*n)++] = v;
    return PS_OK;
}

/* The fast pattern: fast_pattern, else the longest positive content,
 * else the first positive condition; -1 when every condition is negated. */
static int detect_fast_pick(const struct detect_spec *sp, size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (!sp[i].negated && sp[i].fast)
            return (int)i;
    for (size_t i = 0; i < n; i++)
        if (!sp[i].negated && sp[i].weight > 0 && (best < 0 || sp[i].weight > sp[best].weight))
            best = (int)i;
    for (size_t i = 0; i < n && best < 0; i++)
        if (!sp[i].negated)
            best = (int)i;
    return best;
}

/* sp[i] can be deferred, armed by the literal sp[fast]: a positive,
 * unanchored body pcre PCRE2 confirms, and a positive literal content of
 * the same body. A negated pcre must be looked for everywhere, and an
 * anchored one from the stream's first byte. */
static bool detect_deferrable(const struct detect_spec *sp, size_t i, int fast)
{
    if (fast < 0 || (size_t)fast == i)
        return false;
    const struct detect_spec *p = &sp[i], *f = &sp[fast];
    return p->confirm && !p->negated && !p->anchored && rule_buffer_is_stream(p->buffer) &&
           f->buffer == p->buffer && !f->negated && !f->confirm && f->weight > 0;
}

/* The arming twin of the literal spec f: the same expression, reported at
 * every occurrence (no SINGLEMATCH), shared by the rules that use it. */
static int detect_arming_add(struct detect_build *b, const struct detect_spec *f, uint32_t *id)
{
    struct detect_spec a = *f;
    a.expr = strdup(f->expr);
    if (a.expr == NULL)
        return PS_NOMEM;
    a.flags &= ~(unsigned)HS_FLAG_SINGLEMATCH;
    a.re = NULL;
    int rc = detect_table_add(b, &a, id);
    free(a.expr); /* NULL when the table took it */
    return rc;
}

static int detect_rule_add(struct detect_build *b, const struct rule *r)
{
    struct detect_engine *de = b->de;
    struct detect_spec *sp;
    size_t n;
    int rc = detect_rule_specs(b, r, &sp, &n);
    if (rc != PS_OK)
        return rc;
    struct detect_rule *dr = &de->rules[de->n_rules];
    memset(dr, 0, sizeof(*dr));
    dr->rule = r;
    dr->conds = calloc(n ? n : 1, sizeof(*dr->conds));
    if (dr->conds == NULL)
        goto nomem;
    uint32_t idx = de->n_rules++; /* counted now so destroy frees conds */
    int fast = detect_fast_pick(sp, n);
    uint32_t arming = UINT32_MAX;
    for (size_t i = 0; i < n && arming == UINT32_MAX; i++)
        if (detect_deferrable(sp, i, fast) && detect_arming_add(b, &sp[fast], &arming) != PS_OK)
            goto nomem;
    for (size_t i = 0; i < n; i++) {
        struct detect_cond *c = &dr->conds[dr->n_conds++];
        c->buffer = sp[i].buffer;
        c->negated = sp[i].negated;
        c->secret = sp[i].secret_group > 0;
        c->match = sp[i].match;
        bool defer = detect_deferrable(sp, i, fast);
        if (detect_table_add(b, &sp[i], &c->pattern) != PS_OK)
            goto nomem;
        if (defer) {
            de->patterns[c->pattern].deferred = true;
            struct detect_pattern *a = &de->patterns[arming];
            if (detect_u32_push(&a->arms, &a->n_arms, c->pattern) != PS_OK)
                goto nomem;
        }
    }
    dr->src_is_server = rule_src_is_server(r);
    unsigned proto = (unsigned)r->proto < DETECT_N_PROTO ? (unsigned)r->proto : 0;
    de->has_proto[proto] = true;
    if (r->token_reuse || r->scanner)
        de->has_xflow = true;
    if (fast < 0)
        rc = detect_u32_push(&de->always[proto], &de->n_always[proto], idx);
    else {
        struct detect_pattern *p = &de->patterns[dr->conds[fast].pattern];
        rc = detect_u32_push(&p->triggers, &p->n_triggers, idx);
    }
    detect_specs_free(sp, n);
    return rc;
nomem:
    detect_specs_free(sp, n);
    return PS_NOMEM;
}

/* ---- databases ---- */

bool detect_hs_compiles(struct detect_build *b, const char *expr, unsigned flags,
                        const hs_expr_ext_t *ext, unsigned mode)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    unsigned id = 0;
    if (hs_compile_ext_multi(&expr, &flags, &id, &ext, 1, mode, NULL, &db, &err) == HS_SUCCESS) {
        hs_free_database(db);
        return true;
    }
    snprintf(b->msg, sizeof(b->msg), "%s", err != NULL ? err->message : "refused");
    hs_free_compile_error(err);
    return false;
}

/* Hyperscan refused buffer buf's database without naming an expression
 * (a resource limit): find one that fails alone. */
static int detect_find_refused(struct detect_build *b, unsigned buf, uint32_t *bad)
{
    char whole[sizeof(b->msg)];
    memcpy(whole, b->msg, sizeof(whole));
    for (uint32_t i = 0; i < b->de->n_patterns; i++) {
        if (b->de->patterns[i].buffer != buf || b->de->patterns[i].deferred)
            continue;
        if (!detect_hs_compiles(b, b->expr[i], b->flags[i], b->ext[i].flags ? &b->ext[i] : NULL,
                                detect_mode(buf))) {
            *bad = i;
            return PS_DECLINED;
        }
    }
    if (b->diag != NULL)
        fprintf(b->diag, "detect: hyperscan: %s (buffer %s)\n", whole, rule_buffer_name(buf));
    return PS_ERR;
}

/* PS_DECLINED with *bad set when one expression was refused. */
static int detect_build_databases(struct detect_build *b, uint32_t *bad)
{
    struct detect_engine *de = b->de;
    const char **exprs = malloc((size_t)(de->n_patterns + 1) * sizeof(*exprs));
    unsigned *flags = malloc((size_t)(de->n_patterns + 1) * sizeof(*flags));
    unsigned *ids = malloc((size_t)(de->n_patterns + 1) * sizeof(*ids));
    const hs_expr_ext_t **exts = malloc((size_t)(de->n_patterns + 1) * sizeof(*exts));
    int rc = PS_NOMEM;
    if (exprs == NULL || flags == NULL || ids == NULL || exts == NULL)
        goto out;
    rc = PS_OK;
    for (unsigned buf = 0; buf < RB_MAX && rc == PS_OK; buf++) {
        unsigned n = 0;
        for (uint32_t i = 0; i < de->n_patterns; i++) {
            if (de->patterns[i].buffer != buf || de->patterns[i].deferred)
                continue;
            exprs[n] = b->expr[i];
            flags[n] = b->flags[i];
            ids[n] = i;
            exts[n++] = b->ext[i].flags ? &b->ext[i] : NULL;
        }
        if (n == 0)
            continue;
        struct detect_cache_key key = {0};
        bool cached = false;
        if (b->cache_ok) {
            int kr = detect_cache_key_make(&key, exprs, flags, ids, exts, n, detect_mode(buf));
            if (kr == PS_NOMEM) {
                rc = PS_NOMEM;
                break;
            }
            cached = kr == PS_OK;
        }
        if (cached && detect_cache_load(b, &key, &de->db[buf]) == PS_OK) {
            b->cache_hits++;
            detect_cache_key_free(&key);
            continue;
        }
        if (b->optimistic) { /* unchecked expressions must not be compiled */
            detect_cache_key_free(&key);
            rc = PS_AGAIN;
            break;
        }
        hs_compile_error_t *err = NULL;
        if (hs_compile_ext_multi(exprs, flags, ids, exts, n, detect_mode(buf), NULL, &de->db[buf],
                                 &err) == HS_SUCCESS) {
            if (cached)
                detect_cache_store(b, &key, de->db[buf]);
            detect_cache_key_free(&key);
            continue;
        }
        detect_cache_key_free(&key);
        snprintf(b->msg, sizeof(b->msg), "%s", err != NULL ? err->message : "refused");
        if (err != NULL && err->expression >= 0 && (unsigned)err->expression < n) {
            *bad = ids[err->expression];
            rc = PS_DECLINED;
        } else {
            rc = detect_find_refused(b, buf, bad);
        }
        hs_free_compile_error(err);
    }
out:
    free(exprs);
    free(flags);
    free(ids);
    free(exts);
    return rc;
}

/* The database refused pattern bad: a pcre compiled exactly gets another
 * try in prefilter mode; anything else fails its rules (reported). */
static int detect_refused(struct detect_build *b, uint32_t bad)
{
    const struct detect_engine *de = b->de;
    for (uint32_t i = 0; i < de->n_rules; i++) {
        const struct detect_rule *dr = &de->rules[i];
        for (uint32_t c = 0; c < dr->n_conds; c++) {
            if (dr->conds[c].pattern != bad)
                continue;
            const struct rule_match *m = &dr->rule->matches[dr->conds[c].match];
            if (m->kind == RULE_PCRE && !de->patterns[bad].prefiltered) {
                const struct rule_match **f = realloc(b->force, (b->n_force + 1) * sizeof(*f));
                if (f == NULL)
                    return PS_NOMEM;
                b->force = f;
                b->force[b->n_force++] = m;
                break;
            }
            detect_report(b, dr->rule, m, m->kind == RULE_PCRE ? "pcre" : "content", "%s", b->msg);
            for (size_t k = 0; k < b->rs->n_rules; k++)
                if (b->rs->rules[k] == dr->rule)
                    b->excluded[k] = true;
            b->failed++;
            break;
        }
    }
    return PS_OK;
}

static void detect_build_reset(struct detect_build *b)
{
    for (uint32_t i = 0; b->expr != NULL && i < b->de->n_patterns; i++)
        free(b->expr[i]);
    free(b->expr);
    free(b->flags);
    free(b->ext);
    free(b->dedupe);
    b->expr = NULL;
    b->flags = NULL;
    b->ext = NULL;
    b->dedupe = NULL;
    b->pat_cap = 0;
}

/* One attempt over the rules not yet excluded. */
static int detect_build_once(struct detect_build *b, uint32_t *bad)
{
    const struct rule_set *rs = b->rs;
    struct detect_engine *de = b->de;
    size_t n_matches = 0;
    for (size_t i = 0; i < rs->n_rules; i++)
        n_matches += rs->rules[i] != NULL ? rs->rules[i]->n_matches : 0;
    uint32_t cap = 64;
    while (cap < 2 * n_matches + 2)
        cap *= 2;
    b->dedupe = calloc(cap, sizeof(*b->dedupe));
    b->dedupe_mask = cap - 1;
    de->rules = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*de->rules));
    if (b->dedupe == NULL || de->rules == NULL)
        return PS_NOMEM;
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (rs->rules[i] == NULL || b->excluded[i])
            continue;
        int rc = detect_rule_add(b, rs->rules[i]);
        if (rc == PS_NOMEM)
            return rc;
        if (rc != PS_OK) {
            b->excluded[i] = true;
            b->failed++;
        }
    }
    return detect_build_databases(b, bad);
}

struct detect_engine *detect_engine_build(const struct rule_set *rs, FILE *diag,
                                          struct detect_build_stats *st)
{
    return detect_engine_build_cached(rs, diag, NULL, st);
}

struct detect_engine *detect_engine_build_cached(const struct rule_set *rs, FILE *diag,
                                                 const struct detect_cache_config *cache,
                                                 struct detect_build_stats *st)
{
    struct detect_build b = {.rs = rs, .diag = diag};
    if (rs == NULL)
        return NULL;
    if (cache != NULL && cache->dir != NULL && cache->dir[0] != '\0') {
        b.cache_dir = cache->dir;
        b.cache_ok = true;
        b.cache_quiet = cache->quiet;
        b.optimistic = true;
    }
    b.excluded = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*b.excluded));
    if (b.excluded == NULL)
        goto nomem;
    for (;;) {
        b.de = calloc(1, sizeof(*b.de));
        if (b.de == NULL)
            goto nomem;
        uint32_t bad = 0;
        int rc = detect_build_once(&b, &bad);
        if (rc == PS_OK)
            break;
        if (rc == PS_AGAIN) { /* a database is not cached: check and compile */
            b.optimistic = false;
            b.cache_hits = 0;
        }
        if (rc == PS_DECLINED)
            rc = detect_refused(&b, bad) == PS_OK ? PS_DECLINED : PS_NOMEM;
        detect_build_reset(&b);
        detect_engine_destroy(b.de);
        b.de = NULL;
        if (rc == PS_NOMEM)
            goto nomem;
        if (rc == PS_ERR)
            goto fail;
    }
    detect_build_reset(&b);
    struct detect_engine *de = b.de;
    de->confirm_pattern = calloc(de->n_confirm ? de->n_confirm : 1, sizeof(uint32_t));
    if (de->confirm_pattern == NULL) {
        detect_engine_destroy(de);
        goto nomem;
    }
    unsigned prefiltered = 0;
    for (uint32_t i = 0; i < de->n_patterns; i++) {
        struct detect_pattern *p = &de->patterns[i];
        prefiltered += p->prefiltered;
        if (p->confirm)
            de->confirm_pattern[p->confirm_idx] = i;
    }
    for (uint32_t i = 0; i < de->n_rules; i++)
        for (uint32_t c = 0; c < de->rules[i].n_conds; c++)
            if (de->patterns[de->rules[i].conds[c].pattern].confirm)
                de->patterns[de->rules[i].conds[c].pattern].rule = de->rules[i].rule;
    if (st != NULL)
        *st = (struct detect_build_stats){de->n_rules, b.failed, prefiltered, b.cache_hits,
                                          b.cache_stored, b.pcre_checks};
    free(b.excluded);
    free(b.force);
    return de;
nomem:
    if (diag != NULL)
        fprintf(diag, "detect: out of memory compiling rules\n");
fail:
    free(b.excluded);
    free(b.force);
    return NULL;
}

void detect_engine_destroy(struct detect_engine *de)
{
    if (de == NULL)
        return;
    for (unsigned b = 0; b < RB_MAX; b++)
        hs_free_database(de->db[b]);
    for (uint32_t i = 0; i < de->n_patterns; i++) {
        pcre2_code_free(de->patterns[i].re);
        free(de->patterns[i].triggers);
        free(de->patterns[i].arms);
    }
    for (uint32_t i = 0; i < de->n_rules; i++)
        free(de->rules[i].conds);
    for (unsigned p = 0; p < DETECT_N_PROTO; p++)
        free(de->always[p]);
    free(de->patterns);
    free(de->rules);
    free(de->confirm_pattern);
    free(de);
}

bool detect_engine_uses(const struct detect_engine *de, enum rule_buffer b)
{
    return de != NULL && (unsigned)b < RB_MAX && de->db[b] != NULL;
}

bool detect_engine_has_xflow(const struct detect_engine *de)
{
    return de != NULL && de->has_xflow;
}

bool detect_engine_has_proto(const struct detect_engine *de, enum rule_proto p)
{
    return de != NULL && (unsigned)p < DETECT_N_PROTO && de->has_proto[p];
}
