/*
 * rule_int.h - shared by the rule parser's files (rule_parse.c drives,
 * rule_header.c reads the header, rule_keywords.c the options). Nothing
 * outside rules/ includes this.
 *
 * One rule is parsed from its assembled text: continuation lines joined,
 * with a position map from every byte back to the line and column it came
 * from, so a diagnostic points at the original file.
 */
#ifndef PS_RULE_INT_H
#define PS_RULE_INT_H

#include "rule.h"

struct rule_pos {
    uint32_t line, col;
};

/* Per-match parse state the public struct has no room for. */
struct rule_match_aux {
    size_t off;            /* content/pcre keyword */
    bool legacy;           /* moved to its buffer by an http_* modifier */
    size_t rel_off;        /* distance/within keyword, for chain errors */
    const char *rel_kw;
};

/* Bound of the keyword table; rule_keywords.c checks it at compile time. */
#define RULE_KW_MAX 128

struct rule_parser {
    struct rule_set *rs;
    const char *file;
    const char *text;           /* the assembled rule, not NUL-terminated */
    size_t len;
    const struct rule_pos *pos; /* len + 1 entries */
    struct rule *r;

    enum rule_buffer sticky;    /* RB_MAX until a sticky buffer is named */
    struct rule_match_aux *aux; /* parallel to r->matches */
    size_t match_cap;
    bool seen[RULE_KW_MAX];     /* once-only keywords already given */
    bool fast_pattern, priority_set, sid_set;
    size_t sid_off;
    const struct rule_class *cls;

    /* First unsupported keyword: the rest of the rule is only scanned for
     * its sid, so the warning can name the rule. */
    bool skipping;
    size_t unsup_off;
    char unsup_kw[64];
    char unsup_why[160];
};

/* Option as the tokenizer cut it: keyword and trimmed value (NULL when
 * there was no ':'). */
struct rule_opt {
    const char *name;
    size_t name_len;
    size_t off; /* keyword start in p->text */
    char *value;
};

/* The keyword table (rule_keywords.c): one row per supported keyword. */
enum {
    KW_VALUE = 0x01,   /* keyword:value only */
    KW_NOVALUE = 0x02, /* bare keyword only */
    KW_ONCE = 0x04,    /* at most once per rule */
    KW_HTTP = 0x08,    /* only in http rules */
    KW_ICS = 0x10,     /* only in ics rules */
};
struct rule_keyword;
typedef int (*rule_kw_fn)(struct rule_parser *p, const struct rule_keyword *k,
                          const struct rule_opt *o);
struct rule_keyword {
    const char *name;
    rule_kw_fn fn;
    unsigned flags;
    int arg;           /* selects within a handler: a buffer, a MOD_*, ... */
    const char *usage; /* an example, shown when the value is missing */
};

/* "FILE:LINE:COL: error: KW: message" at byte offset off of the rule. */
void rule_error(const struct rule_parser *p, size_t off, const char *kw, size_t kwlen,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* An error at an option's keyword, named by it. */
#define KW_ERR(p, o, ...) rule_error((p), (o)->off, (o)->name, (o)->name_len, __VA_ARGS__)
void rule_warning(struct rule_parser *p, size_t off, const char *kw, size_t kwlen,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Record the first unsupported construct (why NULL: "not supported by
 * plainsight"); the driver reports it once the sid is known. PS_DECLINED. */
int rule_unsupported(struct rule_parser *p, size_t off, const char *kw, size_t kwlen,
                     const char *why);

/* Grow *arr (elements of size elem) so that index n fits. PS_OK or PS_NOMEM. */
int rule_grow(void *arr, size_t *cap, size_t n, size_t elem);

/* Match keywords (rule_match.c): content, pcre, their modifiers, sticky
 * buffers and the legacy http_* modifiers. */
int rule_kw_content(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o);
int rule_kw_pcre(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o);
int rule_kw_modifier(struct rule_parser *p, const struct rule_keyword *k,
                     const struct rule_opt *o);
int rule_kw_sticky(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o);
int rule_kw_legacy(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o);
/* Modifier ids, the arg of rule_kw_modifier rows. */
enum { MOD_NOCASE, MOD_STARTSWITH, MOD_ENDSWITH, MOD_FAST_PATTERN, MOD_OFFSET, MOD_DEPTH,
       MOD_DISTANCE, MOD_WITHIN };
/* A msg or content value: optional "quotes", escapes \" \; \\, and with
 * hex set |41 42| blocks. *out is owned and NUL-terminated. */
int rule_value_decode(struct rule_parser *p, const struct rule_opt *o, const char *v, bool hex,
                      uint8_t **out, size_t *len);
/* Every match has a buffer and every relative chain is sound. */
int rule_matches_check(struct rule_parser *p);

/* The whole file into *out (owned). PS_ERR with errno set. */
int rule_file_read(const char *path, char **out, size_t *len);

/* Header text [0, end): action proto src sport dir dst dport.
 * PS_OK, PS_ERR (reported) or PS_DECLINED (unsupported, recorded). */
int rule_header_parse(struct rule_parser *p, size_t end);

/* One option through the keyword table; same return codes. */
int rule_keyword_apply(struct rule_parser *p, const struct rule_opt *o);
/* Whole-rule checks once every option is read: required keywords, buffers,
 * relative chains, priority. PS_OK or PS_ERR (reported). */
int rule_keywords_finish(struct rule_parser *p);
/* sid:N in skip mode; PS_OK when o is a valid sid (stored in p->r). */
int rule_keyword_sid_only(struct rule_parser *p, const struct rule_opt *o);

#endif
