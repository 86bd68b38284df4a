/*
 * detect_int.h - the detection module's insides: the compiled engine
 * (built by detect_compile.c and detect_expr.c, read by detect.c and
 * detect_eval.c), the build-time structures, and the per-thread matching
 * state. Nothing outside the detect_* files includes this header.
 *
 * Patterns are the Hyperscan expressions of every buffer, numbered across
 * the whole engine: a pattern's number is its Hyperscan id in the database
 * of its buffer and its bit in a state. Patterns that need no PCRE2
 * confirmation are shared by every rule that compiles to the same
 * expression; confirmed ones belong to one rule (its post-filters apply).
 *
 * Deferred patterns are body pcres kept out of Hyperscan: a regex in a
 * stream database makes Hyperscan track it over every byte of every body,
 * which cost more than all the literals together. Such a pcre is confirmed
 * by PCRE2 anyway, so its rule's literal fast pattern stands in for it: an
 * arming pattern (the same literal, reported at every occurrence) arms the
 * pcre, which PCRE2 then tries on the window and on each chunk until
 * DETECT_CONFIRM_WINDOW bytes after the occurrence (detect.c).
 */
#ifndef PS_DETECT_INT_H
#define PS_DETECT_INT_H

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect.h"

/* Largest bound Hyperscan takes in a repeat such as .{0,N}: caps distance,
 * within and, in chains, offset/depth. */
#define DETECT_HS_MAX_REPEAT 32767u

#define DETECT_N_PROTO 2 /* RULE_PROTO_HTTP, RULE_PROTO_ICS */

struct detect_pattern {
    enum rule_buffer buffer;
    bool confirm;     /* PCRE2 confirms each hit: prefiltered, secret group or E */
    bool prefiltered; /* Hyperscan runs an approximation of it */
    bool anchored;    /* pcre A: only a match at the subject start counts */
    int secret_group; /* number of the `secret` capture group; 0 when none */
    uint32_t confirm_idx;    /* dense index among confirmed patterns */
    pcre2_code *re;          /* confirmed patterns only */
    const struct rule *rule; /* confirmed patterns: whose min_len/min_entropy apply */
    uint32_t *triggers;      /* rules whose fast pattern this is */
    uint32_t n_triggers;
    bool deferred;   /* a body pcre left out of the database, armed instead */
    uint32_t *arms;  /* arming pattern: the deferred patterns it arms */
    uint32_t n_arms;
};

struct detect_cond {
    uint32_t pattern;
    enum rule_buffer buffer;
    bool negated;
    bool secret;    /* a confirmed pattern with a secret group */
    uint32_t match; /* the rule_match it starts at, for diagnostics */
};

struct detect_rule {
    const struct rule *rule;
    struct detect_cond *conds; /* one per expression; a chain is one */
    uint32_t n_conds;
    bool src_is_server; /* the header's src side is the server (response rule) */
};

struct detect_engine {
    struct detect_rule *rules;
    uint32_t n_rules;
    struct detect_pattern *patterns;
    uint32_t n_patterns;
    uint32_t *confirm_pattern; /* confirm_idx -> pattern */
    uint32_t n_confirm;
    uint32_t ovector_pairs; /* capture pairs a thread's match data needs */
    hs_database_t *db[RB_MAX];
    uint32_t window_mask; /* stream buffers with confirmed patterns keep a window */
    uint32_t *always[DETECT_N_PROTO]; /* rules with no positive condition */
    uint32_t n_always[DETECT_N_PROTO];
    bool has_proto[DETECT_N_PROTO];
    bool has_xflow; /* a rule uses plainsight.token_reuse or plainsight.scanner */
};

/* ---- building (detect_compile.c, detect_expr.c) ---- */

/* One condition on its way into the pattern table. */
struct detect_spec {
    char *expr; /* owned until the table takes it */
    unsigned flags;
    hs_expr_ext_t ext; /* ext.flags == 0: none */
    enum rule_buffer buffer;
    bool negated, confirm, prefiltered, anchored, fast;
    int secret_group;
    pcre2_code *re; /* owned until the table takes it */
    uint32_t match; /* the rule_match the condition starts at */
    size_t weight;  /* fast-pattern rank: longest literal; 0 for a pcre */
};

struct detect_build {
    struct detect_engine *de;
    const struct rule_set *rs;
    FILE *diag;
    bool *excluded; /* per rule of rs: failed, left out */
    unsigned failed;
    /* pattern table as Hyperscan wants it, parallel to de->patterns */
    char **expr;
    unsigned *flags;
    hs_expr_ext_t *ext;
    uint32_t pat_cap;
    uint32_t *dedupe; /* open addressing: pattern + 1, 0 empty */
    uint32_t dedupe_mask;
    char msg[256]; /* Hyperscan's last refusal */
    /* pcres the database refused exactly: compiled in prefilter mode */
    const struct rule_match **force;
    size_t n_force;
    /* compiled-database cache (detect_cache.c) */
    const char *cache_dir;
    bool cache_ok;      /* a directory is set and nothing has gone wrong with it */
    /* First attempt with a cache: every pcre is taken as Hyperscan accepts
     * it exactly, unchecked. Only a cached database of those very
     * expressions can prove it; at the first miss the build starts over
     * with the checks. Saves most of a warm start. */
    bool optimistic;
    unsigned pcre_checks;
    bool cache_checked; /* it exists, is ours and closed to others */
    bool cache_quiet;
    unsigned cache_hits, cache_stored;
};

/* What a database's compile depends on, and its SHA-256 in hex. */
struct detect_cache_key {
    uint8_t *p;
    size_t len, cap;
    bool nomem;
    char name[65];
};

/* PS_OK, PS_DECLINED (no platform: do not cache) or PS_NOMEM. */
int detect_cache_key_make(struct detect_cache_key *k, const char **exprs,
                          const unsigned *flags, const unsigned *ids,
                          const hs_expr_ext_t **exts, unsigned n, unsigned mode);
void detect_cache_key_free(struct detect_cache_key *k);
/* PS_OK with *db from a file that matches k in every byte, else
 * PS_DECLINED (missing, other key, truncated, corrupt). */
int detect_cache_load(struct detect_build *b, const struct detect_cache_key *k,
                      hs_database_t **db);
/* Write db under k, atomically; a failure warns once and turns the cache
 * off for the build. */
void detect_cache_store(struct detect_build *b, const struct detect_cache_key *k,
                        const hs_database_t *db);

/* The rule's conditions as specs. PS_OK, PS_ERR (reported on b->diag: the
 * rule fails) or PS_NOMEM. */
int detect_rule_specs(struct detect_build *b, const struct rule *r, struct detect_spec **out,
                      size_t *n_out);
void detect_specs_free(struct detect_spec *sp, size_t n);
/* "FILE:LINE:COL: error: KW: why" at match m (NULL: the rule's line). */
void detect_report(struct detect_build *b, const struct rule *r, const struct rule_match *m,
                   const char *kw, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* HS_MODE_STREAM for bodies, HS_MODE_BLOCK otherwise. */
unsigned detect_mode(enum rule_buffer buf);
/* Compile one expression alone in mode; b->msg set when refused. */
bool detect_hs_compiles(struct detect_build *b, const char *expr, unsigned flags,
                        const hs_expr_ext_t *ext, unsigned mode);

/* ---- matching state (detect.c, detect_eval.c) ---- */

struct detect_list {
    uint32_t *v;
    uint32_t n, cap;
};

struct detect_secret {
    uint32_t off, len; /* in the state's arena */
};

struct detect_state {
    struct detect_state *next_free, *next_all;
    uint64_t *hits;    /* per pattern */
    uint64_t *cand;    /* per rule: its fast pattern hit */
    uint64_t *fired;   /* per rule: alerted */
    uint64_t *pending; /* per confirmed pattern: waits for more stream bytes */
    uint64_t *arm_until; /* per confirmed pattern, while pending: deferred, armed
                          * until this offset of its stream */
    uint64_t *arm_retry; /* ... and not tried again before this offset */
    struct detect_list hit_list, cand_list, fired_list, pending_list;
    struct detect_secret *secrets; /* per confirmed pattern, valid when its bit is set */
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint32_t present;     /* buffers seen non-empty */
    uint32_t stream_open; /* streams fed since their last flush */
    hs_stream_t *streams[RB_MAX];
    uint8_t *win[RB_MAX];      /* 2 * DETECT_CONFIRM_WINDOW bytes; see detect_window() */
    uint32_t win_len[RB_MAX];  /* bytes in win[]; the window is the last of them */
    uint64_t fed[RB_MAX]; /* bytes of the stream already in the window's history */
    bool dirty; /* a list could not grow: clear the bitsets wholesale */
};

struct detect_thread {
    const struct detect_engine *de;
    hs_scratch_t *scratch;
    struct detect_state *free, *all;
    struct detect_alert *alerts; /* one per rule at most */
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    uint64_t *tried; /* per confirmed pattern: serial of its last PCRE2 pass */
    uint64_t serial; /* one per block scan, chunk or flush */
    uint8_t *subject;
    size_t subject_cap;
    size_t words_pat, words_rule, words_conf;
    struct detect_thread_stats stats;
};

static inline bool detect_bit_test(const uint64_t *bits, uint32_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1u;
}

static inline void detect_bit_set(uint64_t *bits, uint32_t i)
{
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline void detect_bit_clear(uint64_t *bits, uint32_t i)
{
    bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* The confirmation window of stream b: its last bytes, at most
 * DETECT_CONFIRM_WINDOW, contiguous; *len 0 when nothing was fed. */
static inline const uint8_t *detect_window(const struct detect_state *st, unsigned b,
                                           uint32_t *len)
{
    uint32_t n = st->win_len[b];
    *len = n < DETECT_CONFIRM_WINDOW ? n : DETECT_CONFIRM_WINDOW;
    return st->win[b] != NULL ? st->win[b] + (n - *len) : NULL;
}

/* Append v to a state's list; on failure the state is marked dirty (its
 * bitsets are then cleared wholesale) and the error counted. */
void detect_list_push(struct detect_thread *dt, struct detect_state *st, struct detect_list *l,
                      uint32_t v);
/* End a body stream: raise its end-of-data matches, settle what is pending. */
void detect_stream_flush(struct detect_thread *dt, struct detect_state *st, enum rule_buffer b);

#endif
