/*
 * rule.h - the rule language: a Suricata-compatible subset (see the README,
 * "Rules") parsed into plain structs that the detection engine compiles.
 *
 *   alert http any any -> any any (msg:"..."; flow:established,to_server;
 *       http.uri.raw; content:"/owa/calendar/"; nocase;
 *       pcre:"/\/(?P<secret>[0-9a-f]{32}[0-9]{17,20})\//";
 *       plainsight.min_entropy:3.0; classtype:credential-leak; sid:4100001; rev:1;)
 *
 * A rule set is loaded from files (or strings, for tests). Diagnostics go
 * to the set's diagnostic stream as "FILE:LINE:COL: error: KEYWORD: what"
 * (or "warning:"). A rule with an error is not added and counted in
 * n_errors. A rule using a Suricata keyword this engine does not implement
 * is named in a warning and skipped (n_skipped); with `strict` that is an
 * error instead. Nothing is ever silently ignored.
 *
 * This module depends on common.h only.
 */
#ifndef PS_RULE_H
#define PS_RULE_H

#include <stdio.h>

#include "common.h"

/* The buffers a rule can inspect (sticky buffers). One Hyperscan database
 * is built per buffer. Bodies are streams; every other buffer is a block. */
enum rule_buffer {
    RB_HTTP_METHOD,
    RB_HTTP_URI,            /* normalised: percent-decoded path and query */
    RB_HTTP_URI_RAW,        /* request target as sent */
    RB_HTTP_HOST,           /* normalised: lower case, no port */
    RB_HTTP_USER_AGENT,
    RB_HTTP_COOKIE,
    RB_HTTP_REFERER,
    RB_HTTP_HEADER,         /* request headers, "Name: value\r\n" each, wire order */
    RB_HTTP_CONTENT_TYPE,   /* request and response Content-Type, each scanned */
    RB_HTTP_STAT_CODE,      /* "301" */
    RB_HTTP_STAT_MSG,
    RB_HTTP_LOCATION,
    RB_HTTP_RESPONSE_HEADER, /* response headers, "Name: value\r\n" each */
    RB_HTTP_REQUEST_BODY,   /* decoded (de-chunked, decompressed); stream */
    RB_HTTP_RESPONSE_BODY,  /* file.data; decoded; stream */
    RB_ICS_SUMMARY,
    RB_ICS_DESCRIPTION,
    RB_ICS_LOCATION,
    RB_ICS_URL,
    RB_ICS_ORGANIZER,
    RB_ICS_ATTENDEE,
    RB_ICS_COMMENT,
    RB_ICS_CONFERENCE,
    RB_ICS_TEXT,            /* every text property of the component */
    RB_MAX
};

/* "http.uri", ... The canonical keyword of the buffer. */
const char *rule_buffer_name(enum rule_buffer b);
/* Bodies are fed in chunks and scanned in Hyperscan stream mode. */
bool rule_buffer_is_stream(enum rule_buffer b);
/* Which side sends the buffer's bytes: PS_TOSERVER for request buffers,
 * PS_TOCLIENT for response buffers. ICS buffers: PS_TOCLIENT (feeds; an
 * uploaded calendar is still one component's text). */
enum ps_dir rule_buffer_dir(enum rule_buffer b);

enum rule_proto { RULE_PROTO_HTTP, RULE_PROTO_ICS };

/* Address and port lists. Matching: the value must match at least one
 * positive item (when there is any) and no negated item. `any` matches
 * everything. A negated list ![a,b] is flattened into negated items. */
struct rule_addr_item {
    uint8_t family; /* 4 or 6 */
    uint8_t prefix; /* bits, 0..32 or 0..128 */
    bool negated;
    uint8_t addr[16]; /* IPv4 in the first 4 bytes, host bits cleared */
};
struct rule_addr {
    bool any;
    size_t n;
    struct rule_addr_item *items;
};
struct rule_port_item {
    uint16_t lo, hi; /* inclusive; a single port has lo == hi */
    bool negated;
};
struct rule_ports {
    bool any;
    size_t n;
    struct rule_port_item *items;
};
/* ip_ver 4: addr's first 4 bytes are the address. */
bool rule_addr_match(const struct rule_addr *a, uint8_t ip_ver, const uint8_t addr[16]);
bool rule_ports_match(const struct rule_ports *p, uint16_t port);

#define RULE_FLOW_ESTABLISHED 0x01
#define RULE_FLOW_TO_SERVER 0x02 /* also from_client */
#define RULE_FLOW_TO_CLIENT 0x04 /* also from_server */

enum rule_match_kind { RULE_CONTENT, RULE_PCRE };

/* pcre modifiers, as PCRE2 and Hyperscan both understand them */
#define RULE_PCRE_CASELESS 0x01  /* i */
#define RULE_PCRE_DOTALL 0x02    /* s */
#define RULE_PCRE_MULTILINE 0x04 /* m */
#define RULE_PCRE_EXTENDED 0x08  /* x */
#define RULE_PCRE_ANCHORED 0x10  /* A */
#define RULE_PCRE_DOLLAR_ENDONLY 0x20 /* E */
#define RULE_PCRE_UNGREEDY 0x40  /* G (Suricata's letter for PCRE_UNGREEDY) */

/*
 * One condition of a rule on one buffer. A content whose has_distance or
 * has_within is set is relative to the previous content of the same buffer
 * in the rule (the parser guarantees there is one, that it is a content,
 * and that neither is negated); the compiler joins such a chain into one
 * expression.
 */
struct rule_match {
    enum rule_match_kind kind;
    enum rule_buffer buffer;
    bool negated;
    /* content */
    uint8_t *content; /* owned; |hex| and escapes decoded */
    size_t content_len;
    bool nocase, startswith, endswith, fast_pattern;
    bool has_offset, has_depth, has_distance, has_within;
    uint32_t offset, depth, within;
    int32_t distance; /* >= 0; a negative distance is rejected by the parser */
    /* pcre */
    char *pcre;          /* owned; the pattern between the slashes, NUL-terminated */
    uint32_t pcre_flags; /* RULE_PCRE_* */
    bool pcre_secret;    /* has a group named `secret` ((?P<secret>...) or (?<secret>...)) */
    /* where the keyword (content or pcre) starts, for compile errors */
    uint32_t line, col;
};

struct rule_meta {
    char *key, *value; /* "metadata:family share_url, kind b1;" -> (family, share_url), (kind, b1) */
};

struct rule {
    uint32_t sid, gid, rev; /* gid defaults to 1, rev to 0 (as Suricata) */
    char *msg;              /* owned; escapes (\" \; \\) decoded */
    char *classtype;        /* owned; NULL when absent */
    const char *class_desc; /* the classtype's description from the classification
                             * file; borrowed from the rule set; NULL when absent */
    int priority;           /* explicit priority:, else the classtype's, else 3 */
    char **refs;            /* owned; "type,value" as written */
    size_t n_refs;
    struct rule_meta *meta; /* owned; in rule order */
    size_t n_meta;

    enum rule_proto proto;
    struct rule_addr src, dst;
    struct rule_ports sport, dport;
    bool bidirectional; /* <> */
    uint8_t flow;       /* RULE_FLOW_* */

    struct rule_match *matches; /* owned; in rule order */
    size_t n_matches;

    /* plainsight keywords */
    uint32_t min_len;     /* plainsight.min_len: secret length floor, 0 = none */
    double min_entropy;   /* plainsight.min_entropy: Shannon bits/char floor, 0 = none */
    bool redirect_upgrade; /* http.redirect_upgrade */
    bool request_secret;   /* plainsight.request_secret: another rule found a secret
                            * in a request buffer of the same transaction */
    bool token_reuse;      /* plainsight.token_reuse: the secret another rule found in
                            * the request target (http.uri, http.uri.raw) was just
                            * requested by a second distinct client (engine/token_reuse.h) */
    bool scanner;          /* plainsight.scanner: the request target carried such a secret
                            * and the client matches a mail-scanner fingerprint */

    char *file; /* owned; where the rule was read */
    uint32_t line;
};

struct rule_class {
    char *name, *desc;
    int priority;
};

struct rule_set {
    struct rule **rules; /* owned; in load order */
    size_t n_rules;
    struct rule_class *classes; /* owned */
    size_t n_classes;
    unsigned n_errors;   /* rules rejected (syntax, unknown classtype, duplicate sid, ...) */
    unsigned n_skipped;  /* rules skipped for an unsupported keyword (not strict) */
    unsigned n_warnings; /* every warning printed */
    bool strict;         /* unsupported keywords are errors */
    FILE *diag;          /* diagnostics; stderr unless set; NULL silences them */
};

/* An empty set writing diagnostics to stderr. */
void rule_set_init(struct rule_set *rs);
void rule_set_free(struct rule_set *rs);

/* "config classification: NAME,DESCRIPTION,PRIORITY" lines, '#' comments.
 * Load before rules: a classtype must be known when its rule is read.
 * PS_ERR (with a diagnostic) when the file cannot be read or a line is
 * malformed. */
int rule_set_load_classification(struct rule_set *rs, const char *path);
int rule_set_load_classification_string(struct rule_set *rs, const char *name,
                                        const char *text);

/* Rules, one per line; '#' comments and blank lines skipped; a rule may
 * continue on the next line after a trailing backslash, or while its option
 * list's parenthesis is open. PS_ERR only when the file cannot be read;
 * per-rule errors are counted in n_errors. */
int rule_set_load_file(struct rule_set *rs, const char *path);
int rule_set_load_string(struct rule_set *rs, const char *name, const char *text);

/* Look up a classtype; NULL when unknown. */
const struct rule_class *rule_set_class(const struct rule_set *rs, const char *name);

/* Is the rule's src the server? True for flow:to_client, and for a rule
 * without a direction whose every buffer is part of the response (or that
 * only has http.redirect_upgrade). Alerts point the same way. */
bool rule_src_is_server(const struct rule *r);

void rule_free(struct rule *r);

#endif
