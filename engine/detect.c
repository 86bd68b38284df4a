/*
 * detect.c - matching with a built engine (see detect.h, detect_int.h):
 * a worker's scratch and pool of states, block scans, body streams and
 * PCRE2 confirmation. detect_eval.c decides which rules hold.
 *
 * A state records, per pattern, one bit: matched (for a confirmed pattern:
 * matched AND a PCRE2 match passed the post-filters). Bits only ever get
 * set, so scanning a buffer twice ORs its values. Setting a bit marks the
 * rules whose fast pattern it is as candidates; eval looks at those and at
 * the rules with no positive condition, nothing else. Every bit set is
 * also listed, so a state goes back to the pool by clearing just those.
 *
 * Confirmation runs PCRE2 over the whole value (block) or over the
 * stream's window plus the current chunk, from the start, and takes the
 * first match whose `secret` passes the filters; at most one pass per
 * pattern per scan. In a stream, a passing match that reaches the end of
 * the bytes seen so far could still grow (a token cut by the chunk edge):
 * it is left pending and decided with the next chunk or at the end of the
 * stream, so the secret reported is the whole token. The window keeps the
 * last DETECT_CONFIRM_WINDOW bytes: a match starting further back than
 * that cannot be confirmed.
 *
 * Streams stay allocated with their state: eval flushes them with
 * hs_reset_stream (end-of-data matches such as \z are raised then) and the
 * pool reuses them, so a warm thread allocates nothing per unit.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

/* Bytes an armed pcre waits between two PCRE2 passes (detect_pending_run):
 * each body byte is then read at most about (window + this) / this times,
 * and a deferred pcre's match may be up to a window minus this long. */
#define DETECT_ARM_RETRY 512u

/* PCRE2 backtracking bound per match attempt: hostile bodies must not
 * stall a worker. */
#define DETECT_MATCH_LIMIT 1000000u
#define DETECT_JIT_STACK_MAX (512u * 1024u)

/* One scan in progress, handed to the Hyperscan callback. */
struct detect_scan {
    struct detect_thread *dt;
    struct detect_state *st;
    enum rule_buffer buf;
    const uint8_t *data; /* the value or chunk; NULL when flushing */
    size_t len;
    uint64_t serial;
    bool stream, final;
    const uint8_t *subj; /* what PCRE2 reads; built on first need */
    size_t subj_len;
};

enum detect_verdict { DETECT_FAILED, DETECT_CONFIRMED, DETECT_PENDING };

void detect_list_push(struct detect_thread *dt, struct detect_state *st, struct detect_list *l,
                      uint32_t v)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 16;
        uint32_t *p = realloc(l->v, (size_t)cap * sizeof(*p));
        if (p == NULL) {
            st->dirty = true;
            dt->stats.errors++;
            return;
        }
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

/* ---- states ---- */

static struct detect_state *detect_state_new(struct detect_thread *dt)
{
    size_t words = dt->words_pat + 2 * dt->words_rule + dt->words_conf;
    struct detect_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    size_t nconf = dt->de->n_confirm ? dt->de->n_confirm : 1;
    st->hits = calloc(words, sizeof(uint64_t));
    st->secrets = calloc(nconf, sizeof(*st->secrets));
    st->arm_until = calloc(nconf, sizeof(*st->arm_until));
    st->arm_retry = calloc(nconf, sizeof(*st->arm_retry));
    if (st->hits == NULL || st->secrets == NULL || st->arm_until == NULL ||
        st->arm_retry == NULL) {
        free(st->hits);
        free(st->secrets);
        free(st->arm_until);
        free(st->arm_retry);
        free(st);
        return NULL;
    }
    st->cand = st->hits + dt->words_pat;
    st->fired = st->cand + dt->words_rule;
    st->pending = st->fired + dt->words_rule;
    st->next_all = dt->all;
    dt->all = st;
    return st;
}

static void detect_state_free(struct detect_state *st)
{
    for (unsigned b = 0; b < RB_MAX; b++) {
        if (st->streams[b] != NULL)
            hs_close_stream(st->streams[b], NULL, NULL, NULL);
        free(st->win[b]);
    }
    free(st->hit_list.v);
    free(st->cand_list.v);
    free(st->fired_list.v);
    free(st->pending_list.v);
    free(st->hits);
    free(st->secrets);
    free(st->arm_until);
    free(st->arm_retry);
    free(st->arena);
    free(st);
}

/* Back to a cleared state, touching only what was set. */
static void detect_state_clear(struct detect_thread *dt, struct detect_state *st)
{
    for (unsigned b = 0; b < RB_MAX; b++) {
        if (st->stream_open & (1u << b))
            hs_reset_stream(st->streams[b], 0, NULL, NULL, NULL);
        st->win_len[b] = 0;
        st->fed[b] = 0;
    }
    if (st->dirty) {
        memset(st->hits, 0,
               (dt->words_pat + 2 * dt->words_rule + dt->words_conf) * sizeof(uint64_t));
    } else {
        for (uint32_t i = 0; i < st->hit_list.n; i++)
            detect_bit_clear(st->hits, st->hit_list.v[i]);
        for (uint32_t i = 0; i < st->cand_list.n; i++)
            detect_bit_clear(st->cand, st->cand_list.v[i]);
        for (uint32_t i = 0; i < st->fired_list.n; i++)
            detect_bit_clear(st->fired, st->fired_list.v[i]);
        for (uint32_t i = 0; i < st->pending_list.n; i++)
            detect_bit_clear(st->pending, st->pending_list.v[i]);
    }
    st->hit_list.n = st->cand_list.n = st->fired_list.n = st->pending_list.n = 0;
    st->arena_len = 0;
    st->present = st->stream_open = 0;
    st->dirty = false;
}

struct detect_state *detect_state_get(struct detect_thread *dt)
{
    if (dt == NULL)
        return NULL;
    struct detect_state *st = dt->free;
    if (st != NULL) {
        dt->free = st->next_free;
        return st;
    }
    return detect_state_new(dt);
}

void detect_state_put(struct detect_thread *dt, struct detect_state *st)
{
    if (dt == NULL || st == NULL)
        return;
    detect_state_clear(dt, st);
    st->next_free = dt->free;
    dt->free = st;
}

/* ---- threads ---- */

struct detect_thread *detect_thread_create(const struct detect_engine *de)
{
    if (de == NULL)
        return NULL;
    struct detect_thread *dt = calloc(1, sizeof(*dt));
    if (dt == NULL)
        return NULL;
    dt->de = de;
    dt->words_pat = (de->n_patterns + 63) / 64;
    dt->words_rule = (de->n_rules + 63) / 64;
    dt->words_conf = (de->n_confirm + 63) / 64;
    for (unsigned b = 0; b < RB_MAX; b++)
        if (de->db[b] != NULL && hs_alloc_scratch(de->db[b], &dt->scratch) != HS_SUCCESS)
            goto fail;
    dt->alerts = calloc(de->n_rules ? de->n_rules : 1, sizeof(*dt->alerts));
    dt->tried = calloc(de->n_confirm ? de->n_confirm : 1, sizeof(*dt->tried));
    if (dt->alerts == NULL || dt->tried == NULL)
        goto fail;
    if (de->n_confirm > 0) {
        dt->md = pcre2_match_data_create(de->ovector_pairs, NULL);
        dt->mctx = pcre2_match_context_create(NULL);
        if (dt->md == NULL || dt->mctx == NULL)
            goto fail;
        pcre2_set_match_limit(dt->mctx, DETECT_MATCH_LIMIT);
        dt->jit = pcre2_jit_stack_create(32 * 1024, DETECT_JIT_STACK_MAX, NULL);
        if (dt->jit != NULL) /* without it JIT uses a small machine stack */
            pcre2_jit_stack_assign(dt->mctx, NULL, dt->jit);
    }
    return dt;
fail:
    detect_thread_destroy(dt);
    return NULL;
}

void detect_thread_destroy(struct detect_thread *dt)
{
    if (dt == NULL)
        return;
    /* every state this thread made, pooled or not */
    while (dt->all != NULL) {
        struct detect_state *st = dt->all;
        dt->all = st->next_all;
        detect_state_free(st);
    }
    hs_free_scratch(dt->scratch);
    pcre2_match_data_free(dt->md);
    pcre2_match_context_free(dt->mctx);
    pcre2_jit_stack_free(dt->jit);
    free(dt->alerts);
    free(dt->tried);
    free(dt->subject);
    free(dt);
}

const struct detect_thread_stats *detect_thread_stats(const struct detect_thread *dt)
{
    static const struct detect_thread_stats none;
    return dt != NULL ? &dt->stats : &none;
}

/* ---- hits and confirmation ---- */

static void detect_hit(struct detect_thread *dt, struct detect_state *st, uint32_t id)
{
    const struct detect_pattern *p = &dt->de->patterns[id];
    detect_bit_set(st->hits, id);
    detect_list_push(dt, st, &st->hit_list, id);
    for (uint32_t i = 0; i < p->n_triggers; i++) {
        uint32_t r = p->triggers[i];
        if (!detect_bit_test(st->cand, r)) {
            detect_bit_set(st->cand, r);
            detect_list_push(dt, st, &st->cand_list, r);
        }
    }
}

/* Window + chunk as one run of bytes, for streams; false when out of memory. */
static bool detect_subject(struct detect_scan *sc)
{
    if (sc->subj != NULL || !sc->stream) {
        if (sc->subj == NULL) {
            sc->subj = sc->data;
            sc->subj_len = sc->len;
        }
        return true;
    }
    struct detect_thread *dt = sc->dt;
    uint32_t wl;
    const uint8_t *win = detect_window(sc->st, sc->buf, &wl);
    size_t need = (size_t)wl + sc->len;
    if (need > dt->subject_cap) {
        size_t cap = dt->subject_cap ? dt->subject_cap : 8192;
        while (cap < need)
            cap *= 2;
        uint8_t *p = realloc(dt->subject, cap);
        if (p == NULL) {
            dt->stats.errors++;
            return false;
        }
        dt->subject = p;
        dt->subject_cap = cap;
    }
    if (wl > 0)
        memcpy(dt->subject, win, wl);
    if (sc->len > 0)
        memcpy(dt->subject + wl, sc->data, sc->len);
    sc->subj = need > 0 ? dt->subject : (const uint8_t *)"";
    sc->subj_len = need;
    return true;
}

/* Does the match in ovector pass the post-filters? s, slen: its secret. */
static bool detect_secret_passes(const struct detect_scan *sc, const struct detect_pattern *p,
                                 const PCRE2_SIZE *ov, int rc, size_t *s, size_t *slen)
{
    *s = *slen = 0;
    int g = p->secret_group;
    if (g == 0)
        return true;
    if (rc <= g || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
        return false; /* the group took no part: nothing to report */
    *s = ov[2 * g];
    *slen = ov[2 * g + 1] - ov[2 * g];
    const uint8_t *v = sc->subj + *s;
    const struct rule *r = p->rule;
    if (secret_is_placeholder(v, *slen))
        return false;
    if (r != NULL && *slen < r->min_len)
        return false;
    return r == NULL || r->min_entropy <= 0 || secret_entropy(v, *slen) >= r->min_entropy;
}

static void detect_secret_keep(struct detect_scan *sc, const struct detect_pattern *p, size_t s,
                               size_t slen)
{
    struct detect_state *st = sc->st;
    struct detect_secret *sec = &st->secrets[p->confirm_idx];
    sec->off = sec->len = 0;
    if (slen == 0)
        return;
    if (st->arena_len + slen > st->arena_cap) {
        size_t cap = st->arena_cap ? st->arena_cap : 256;
        while (cap < st->arena_len + slen)
            cap *= 2;
        uint8_t *a = cap <= UINT32_MAX ? realloc(st->arena, cap) : NULL;
        if (a == NULL) {
            sc->dt->stats.errors++; /* confirmed, but the secret is lost */
            return;
        }
        st->arena = a;
        st->arena_cap = cap;
    }
    memcpy(st->arena + st->arena_len, sc->subj + s, slen);
    sec->off = (uint32_t)st->arena_len;
    sec->len = (uint32_t)slen;
    st->arena_len += slen;
}

/* One PCRE2 pass over the subject: the first match passing the filters. */
static enum detect_verdict detect_confirm(struct detect_scan *sc, const struct detect_pattern *p)
{
    struct detect_thread *dt = sc->dt;
    struct detect_state *st = sc->st;
    dt->stats.confirms++;
    /* A (anchored) means the start of the stream, which must still be in
     * the window */
    uint32_t wl;
    detect_window(st, sc->buf, &wl);
    bool lost_start = sc->stream && p->anchored && st->fed[sc->buf] != wl;
    if (lost_start || !detect_subject(sc)) {
        dt->stats.confirm_failed++;
        return DETECT_FAILED;
    }
    PCRE2_SPTR subj = sc->subj;
    size_t len = sc->subj_len, start = 0;
    uint32_t opts = 0;
    for (;;) {
        int rc = pcre2_match(p->re, subj, len, start, opts, dt->md, dt->mctx);
        if (rc == PCRE2_ERROR_NOMATCH && opts != 0 && start < len) {
            start++; /* no non-empty match at an empty match's spot: step on */
            opts = 0;
            continue;
        }
        if (rc < 0) {
            if (rc != PCRE2_ERROR_NOMATCH)
                dt->stats.errors++; /* match limit, JIT stack: counted as not confirmed */
            break;
        }
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(dt->md);
        if (rc == 0 || ov[1] < ov[0])
            break; /* ovector too small or \K oddity: cannot judge */
        size_t s, slen;
        if (detect_secret_passes(sc, p, ov, rc, &s, &slen)) {
            if (sc->stream && !sc->final && ov[1] == len)
                return DETECT_PENDING;
            detect_secret_keep(sc, p, s, slen);
            return DETECT_CONFIRMED;
        }
        if (p->anchored)
            break;
        start = ov[1];
        opts = ov[1] == ov[0] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
    }
    dt->stats.confirm_failed++;
    return DETECT_FAILED;
}

static void detect_pending_add(struct detect_thread *dt, struct detect_state *st, uint32_t cidx)
{
    if (!detect_bit_test(st->pending, cidx)) {
        detect_bit_set(st->pending, cidx);
        detect_list_push(dt, st, &st->pending_list, cidx);
    }
}

/* An occurrence of an arming literal ending at stream offset `to`: each
 * deferred pcre it arms waits, pending, for PCRE2 to try it on this chunk
 * and the next ones, until a match holding the literal can no longer end. */
static void detect_arm(struct detect_scan *sc, const struct detect_pattern *a, uint64_t to)
{
    struct detect_state *st = sc->st;
    uint64_t until = to + DETECT_CONFIRM_WINDOW;
    for (uint32_t i = 0; i < a->n_arms; i++) {
        uint32_t id = a->arms[i];
        if (detect_bit_test(st->hits, id))
            continue;
        uint32_t c = sc->dt->de->patterns[id].confirm_idx;
        if (!detect_bit_test(st->pending, c)) {
            st->arm_retry[c] = 0; /* try it on this chunk */
            st->arm_until[c] = until;
        } else if (st->arm_until[c] < until) {
            st->arm_until[c] = until;
        }
        detect_pending_add(sc->dt, st, c);
    }
}

static int detect_on_match(unsigned int id, unsigned long long from, unsigned long long to,
                           unsigned int flags, void *ctx)
{
    struct detect_scan *sc = ctx;
    struct detect_thread *dt = sc->dt;
    const struct detect_engine *de = dt->de;
    if (id >= de->n_patterns || detect_bit_test(sc->st->hits, id))
        return 0;
    const struct detect_pattern *p = &de->patterns[id];
    if (p->n_arms > 0) { /* an arming literal: never a hit itself */
        detect_arm(sc, p, to);
        return 0;
    }
    if (p->confirm) {
        if (dt->tried[p->confirm_idx] == sc->serial)
            return 0;
        dt->tried[p->confirm_idx] = sc->serial;
        enum detect_verdict v = detect_confirm(sc, p);
        if (v == DETECT_PENDING)
            detect_pending_add(dt, sc->st, p->confirm_idx);
        if (v != DETECT_CONFIRMED)
            return 0;
    }
    detect_hit(dt, sc->st, id);
    return 0;
}

/* Decide the pending patterns of sc's stream that this scan did not. */
static void detect_pending_run(struct detect_scan *sc)
{
    struct detect_thread *dt = sc->dt;
    struct detect_state *st = sc->st;
    const struct detect_engine *de = dt->de;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < st->pending_list.n; i++) {
        uint32_t cidx = st->pending_list.v[i];
        uint32_t id = de->confirm_pattern[cidx];
        const struct detect_pattern *p = &de->patterns[id];
        bool keep = !detect_bit_test(st->hits, id);
        uint64_t end = st->fed[sc->buf] + sc->len; /* stream offset after this chunk */
        bool due = sc->final || !p->deferred || end >= st->arm_retry[cidx];
        if (keep && due && p->buffer == sc->buf && dt->tried[cidx] != sc->serial) {
            dt->tried[cidx] = sc->serial;
            enum detect_verdict v = detect_confirm(sc, p);
            if (v == DETECT_CONFIRMED)
                detect_hit(dt, st, id);
            /* armed: a match holding the literal may still end in the
             * bytes to come. Tried again once DETECT_ARM_RETRY more bytes
             * came, not at every chunk: a body cut in tiny pieces would
             * otherwise have PCRE2 read the whole window for each. */
            keep = v == DETECT_PENDING ||
                   (v == DETECT_FAILED && p->deferred && st->arm_until[cidx] > end);
            st->arm_retry[cidx] = v == DETECT_PENDING ? 0 : end + DETECT_ARM_RETRY;
        }
        if (keep && sc->final && p->buffer == sc->buf)
            keep = false; /* the stream ended: nothing more can come */
        if (keep)
            st->pending_list.v[kept++] = cidx;
        else
            detect_bit_clear(st->pending, cidx);
    }
    st->pending_list.n = kept;
}

/* ---- scanning ---- */

/* The window lives in a buffer twice its size: chunks are appended, and
 * only when the buffer is full is the window slid back to the front, so a
 * body byte is copied about twice, not once per chunk it stays for (a
 * shift per chunk cost three copies of every body byte). */
static void detect_window_push(struct detect_thread *dt, struct detect_state *st,
                               enum rule_buffer b, const uint8_t *data, size_t len)
{
    const size_t w = DETECT_CONFIRM_WINDOW;
    st->fed[b] += len;
    if (st->win[b] == NULL && (st->win[b] = malloc(2 * w)) == NULL) {
        dt->stats.errors++;
        return;
    }
    if (len >= w) {
        memcpy(st->win[b], data + len - w, w);
        st->win_len[b] = (uint32_t)w;
        return;
    }
    if (st->win_len[b] + len > 2 * w) {
        uint32_t keep;
        const uint8_t *cur = detect_window(st, b, &keep);
        memmove(st->win[b], cur, keep);
        st->win_len[b] = keep;
    }
    memcpy(st->win[b] + st->win_len[b], data, len);
    st->win_len[b] += (uint32_t)len;
}

static void detect_scan_block(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b,
                              const uint8_t *data, size_t len)
{
    struct detect_scan sc = {dt, st, b, data, len, ++dt->serial, false, true, NULL, 0};
    unsigned n = len > UINT32_MAX ? UINT32_MAX : (unsigned)len; /* Hyperscan's limit */
    dt->stats.scans++;
    hs_error_t e = hs_scan(dt->de->db[b], (const char *)data, n, 0, dt->scratch, detect_on_match, &sc);
    if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
        dt->stats.errors++;
}

static void detect_stream_chunk(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b,
                                const uint8_t *data, size_t len)
{
    uint32_t bit = 1u << b;
    if (!(st->stream_open & bit)) {
        if (st->streams[b] == NULL && hs_open_stream(dt->de->db[b], 0, &st->streams[b]) != HS_SUCCESS) {
            st->streams[b] = NULL;
            dt->stats.errors++;
            return;
        }
        st->stream_open |= bit;
    }
    struct detect_scan sc = {dt, st, b, data, len, ++dt->serial, true, false, NULL, 0};
    dt->stats.scans++;
    hs_error_t e = hs_scan_stream(st->streams[b], (const char *)data, (unsigned)len, 0, dt->scratch,
                                  detect_on_match, &sc);
    if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
        dt->stats.errors++;
    if (dt->de->window_mask & bit) {
        detect_pending_run(&sc);
        detect_window_push(dt, st, b, data, len);
    }
}

void detect_stream_flush(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b)
{
    struct detect_scan sc = {dt, st, b, NULL, 0, ++dt->serial, true, true, NULL, 0};
    hs_error_t e = hs_reset_stream(st->streams[b], 0, dt->scratch, detect_on_match, &sc);
    if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
        dt->stats.errors++;
    if (dt->de->window_mask & (1u << b))
        detect_pending_run(&sc);
    st->stream_open &= ~(1u << b);
    st->win_len[b] = 0;
    st->fed[b] = 0;
}

void detect_scan(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b,
                 const uint8_t *data, size_t len)
{
    if (dt == NULL || st == NULL || (unsigned)b >= RB_MAX || data == NULL || len == 0)
        return;
    st->present |= 1u << b;
    if (dt->de->db[b] == NULL)
        return;
    if (rule_buffer_is_stream(b)) /* a body given whole: one chunk */
        detect_stream(dt, st, b, data, len);
    else
        detect_scan_block(dt, st, b, data, len);
}

void detect_stream(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b,
                   const uint8_t *data, size_t len)
{
    if (dt == NULL || st == NULL || (unsigned)b >= RB_MAX || data == NULL || len == 0)
        return;
    st->present |= 1u << b;
    if (dt->de->db[b] == NULL)
        return;
    if (!rule_buffer_is_stream(b)) { /* not a stream database: each chunk alone */
        detect_scan_block(dt, st, b, data, len);
        return;
    }
    while (len > 0) {
        size_t n = PS_MIN(len, (size_t)UINT32_MAX);
        detect_stream_chunk(dt, st, b, data, n);
        data += n;
        len -= n;
    }
}
