/*
 * rule_keywords.c - the keyword table and the meta, flow and plainsight
 * keywords. Every option goes through rule_keyword_apply: a row of the
 * table (value shape, protocol, once-only checked here, then its handler),
 * else a known Suricata keyword this engine does not implement (the rule is
 * skipped with a warning), else an unknown keyword (an error).
 */
#include "rule_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The arg of kw_number and kw_flag rows. */
enum { NUM_SID, NUM_REV, NUM_GID, NUM_PRIORITY, NUM_MIN_LEN };
enum { FLAG_REDIRECT_UPGRADE, FLAG_REQUEST_SECRET, FLAG_TOKEN_REUSE, FLAG_SCANNER };

static int kw_msg(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    uint8_t *s;
    size_t len;
    if (rule_value_decode(p, o, o->value, false, &s, &len) != PS_OK)
        return PS_ERR;
    if (len == 0) {
        KW_ERR(p, o, "msg is empty; say what the rule detects");
        free(s);
        return PS_ERR;
    }
    p->r->msg = (char *)s;
    return PS_OK;
}

static bool parse_u32(const char *v, unsigned long long min, unsigned long long max,
                      uint32_t *out)
{
    unsigned long long n = 0;
    if (*v == '\0' || strlen(v) > 10)
        return false;
    for (const char *c = v; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        n = n * 10 + (unsigned long long)(*c - '0');
    }
    if (n < min || n > max)
        return false;
    *out = (uint32_t)n;
    return true;
}

/* sid, rev, gid, priority, plainsight.min_len: a bounded whole number. */
static int kw_number(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    static const struct {
        unsigned long long min, max;
    } range[] = {
        [NUM_SID] = {1, UINT32_MAX}, [NUM_REV] = {0, UINT32_MAX}, [NUM_GID] = {1, UINT32_MAX},
        [NUM_PRIORITY] = {1, 255}, [NUM_MIN_LEN] = {1, 4096},
    };
    uint32_t v;
    if (!parse_u32(o->value, range[k->arg].min, range[k->arg].max, &v)) {
        KW_ERR(p, o, "expected a whole number from %llu to %llu, e.g. %s", range[k->arg].min,
               range[k->arg].max, k->usage);
        return PS_ERR;
    }
    struct rule *r = p->r;
    switch (k->arg) {
    case NUM_SID:
        r->sid = v;
        p->sid_set = true;
        p->sid_off = o->off;
        break;
    case NUM_REV: r->rev = v; break;
    case NUM_GID: r->gid = v; break;
    case NUM_PRIORITY:
        r->priority = (int)v;
        p->priority_set = true;
        break;
    default: /* NUM_MIN_LEN */
        for (size_t i = 0; i < r->n_matches; i++)
            if (r->matches[i].pcre_secret) {
                r->min_len = v;
                return PS_OK;
            }
        KW_ERR(p, o, "needs an earlier pcre with a secret group, e.g. "
                     "pcre:\"/token=(?P<secret>[0-9a-f]{32})/\"");
        return PS_ERR;
    }
    return PS_OK;
}

static int kw_min_entropy(struct rule_parser *p, const struct rule_keyword *k,
                          const struct rule_opt *o)
{
    char *end;
    double v = strtod(o->value, &end);
    if (end == o->value || *end != '\0' || !isfinite(v) || v <= 0 || v > 8) {
        KW_ERR(p, o, "expected bits per character above 0 and at most 8, e.g. %s", k->usage);
        return PS_ERR;
    }
    for (size_t i = 0; i < p->r->n_matches; i++)
        if (p->r->matches[i].pcre_secret) {
            p->r->min_entropy = v;
            return PS_OK;
        }
    KW_ERR(p, o, "needs an earlier pcre with a secret group, e.g. "
                 "pcre:\"/token=(?P<secret>[0-9a-f]{32})/\"");
    return PS_ERR;
}

static int kw_flag(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    switch (k->arg) {
    case FLAG_REDIRECT_UPGRADE: p->r->redirect_upgrade = true; break;
    case FLAG_REQUEST_SECRET: p->r->request_secret = true; break;
    case FLAG_TOKEN_REUSE: p->r->token_reuse = true; break;
    default: p->r->scanner = true; break;
    }
    return PS_OK;
}

static int kw_classtype(struct rule_parser *p, const struct rule_keyword *k,
                        const struct rule_opt *o)
{
    const struct rule_class *c = rule_set_class(p->rs, o->value);
    if (c == NULL) {
        KW_ERR(p, o, "unknown classtype '%s'; define it in the classification file "
                     "(config classification: %s,DESCRIPTION,PRIORITY)%s",
               o->value, o->value,
               p->rs->n_classes == 0 ? "; no classification file is loaded" : "");
        return PS_ERR;
    }
    p->r->classtype = strdup(o->value);
    if (p->r->classtype == NULL)
        return PS_NOMEM;
    p->r->class_desc = c->desc;
    p->cls = c;
    return PS_OK;
}

static int kw_reference(struct rule_parser *p, const struct rule_keyword *k,
                        const struct rule_opt *o)
{
    const char *comma = strchr(o->value, ',');
    if (comma == NULL || comma == o->value || comma[1] == '\0') {
        KW_ERR(p, o, "expected TYPE,VALUE, e.g. %s", k->usage);
        return PS_ERR;
    }
    struct rule *r = p->r;
    char **refs = realloc(r->refs, (r->n_refs + 1) * sizeof(*refs));
    if (refs == NULL)
        return PS_NOMEM;
    r->refs = refs;
    if ((refs[r->n_refs] = strdup(o->value)) == NULL)
        return PS_NOMEM;
    r->n_refs++;
    return PS_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static char *trimmed_dup(const char *s, const char *e)
{
    while (s < e && is_space(*s))
        s++;
    while (e > s && is_space(e[-1]))
        e--;
    return strndup(s, (size_t)(e - s));
}

/* "family share_url, kind b1": each item splits at its first space. */
static int kw_metadata(struct rule_parser *p, const struct rule_keyword *k,
                       const struct rule_opt *o)
{
    struct rule *r = p->r;
    const char *s = o->value;
    for (;;) {
        const char *e = strchr(s, ',');
        if (e == NULL)
            e = s + strlen(s);
        const char *a = s, *b = e;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        const char *sp = a;
        while (sp < b && !is_space(*sp))
            sp++;
        if (a == b) {
            KW_ERR(p, o, "empty item; remove the extra ','");
            return PS_ERR;
        }
        if (sp == b) {
            KW_ERR(p, o, "item '%.*s' needs a key and a value separated by a space, e.g. %s",
                   (int)(b - a), a, k->usage);
            return PS_ERR;
        }
        struct rule_meta *m = realloc(r->meta, (r->n_meta + 1) * sizeof(*m));
        if (m == NULL)
            return PS_NOMEM;
        r->meta = m;
        m[r->n_meta].key = strndup(a, (size_t)(sp - a));
        m[r->n_meta].value = trimmed_dup(sp, b);
        r->n_meta++;
        if (m[r->n_meta - 1].key == NULL || m[r->n_meta - 1].value == NULL)
            return PS_NOMEM;
        if (*e == '\0')
            return PS_OK;
        s = e + 1;
    }
}

static int kw_flow(struct rule_parser *p, const struct rule_keyword *k, const struct rule_opt *o)
{
    static const struct {
        const char *name;
        uint8_t bit; /* 0: a Suricata option this engine does not implement */
    } opts[] = {
        {"established", RULE_FLOW_ESTABLISHED}, {"to_server", RULE_FLOW_TO_SERVER},
        {"from_client", RULE_FLOW_TO_SERVER},   {"to_client", RULE_FLOW_TO_CLIENT},
        {"from_server", RULE_FLOW_TO_CLIENT},   {"not_established", 0},
        {"stateless", 0}, {"only_stream", 0}, {"no_stream", 0}, {"only_frag", 0},
        {"no_frag", 0},
    };
    const char *s = o->value;
    for (;;) {
        const char *e = strchr(s, ',');
        if (e == NULL)
            e = s + strlen(s);
        while (s < e && is_space(*s))
            s++;
        size_t n = (size_t)(e - s);
        while (n > 0 && is_space(s[n - 1]))
            n--;
        size_t i = 0;
        while (i < PS_ARRAY_LEN(opts) && (strlen(opts[i].name) != n || strncmp(opts[i].name, s, n)))
            i++;
        if (i == PS_ARRAY_LEN(opts)) {
            KW_ERR(p, o, "unknown option '%.*s'; use established, to_server or to_client",
                   (int)n, s);
            return PS_ERR;
        }
        if (opts[i].bit == 0) {
            char why[96];
            snprintf(why, sizeof(why), "flow option %s is not supported by plainsight",
                     opts[i].name);
            return rule_unsupported(p, o->off, o->name, o->name_len, why);
        }
        p->r->flow |= opts[i].bit;
        if (*e == '\0')
            break;
        s = e + 1;
    }
    uint8_t both = RULE_FLOW_TO_SERVER | RULE_FLOW_TO_CLIENT;
    if ((p->r->flow & both) == both) {
        KW_ERR(p, o, "to_server and to_client together match nothing; keep one");
        return PS_ERR;
    }
    return PS_OK;
}

#define STICKY(n, b, f) {n, rule_kw_sticky, KW_NOVALUE | (f), b, NULL}
#define LEGACY(n, b) {n, rule_kw_legacy, KW_NOVALUE | KW_HTTP, b, NULL}
#define MODIFIER(n, m, f, u) {n, rule_kw_modifier, f, m, u}

static const struct rule_keyword keywords[] = {
    {"msg", kw_msg, KW_VALUE | KW_ONCE, 0, "msg:\"what the rule detects\""},
    {"sid", kw_number, KW_VALUE | KW_ONCE, NUM_SID, "sid:1000001"},
    {"rev", kw_number, KW_VALUE | KW_ONCE, NUM_REV, "rev:1"},
    {"gid", kw_number, KW_VALUE | KW_ONCE, NUM_GID, "gid:1"},
    {"priority", kw_number, KW_VALUE | KW_ONCE, NUM_PRIORITY, "priority:2"},
    {"classtype", kw_classtype, KW_VALUE | KW_ONCE, 0, "classtype:credential-leak"},
    {"reference", kw_reference, KW_VALUE, 0, "reference:url,example.com/advisory"},
    {"metadata", kw_metadata, KW_VALUE, 0, "metadata:family share_url, kind b1"},
    {"flow", kw_flow, KW_VALUE | KW_ONCE, 0, "flow:established,to_server"},
    {"content", rule_kw_content, KW_VALUE, 0, "content:\"/login|3f|\""},
    {"pcre", rule_kw_pcre, KW_VALUE, 0, "pcre:\"/token=(?P<secret>[0-9a-f]{32})/i\""},
    MODIFIER("nocase", MOD_NOCASE, KW_NOVALUE, NULL),
    MODIFIER("startswith", MOD_STARTSWITH, KW_NOVALUE, NULL),
    MODIFIER("endswith", MOD_ENDSWITH, KW_NOVALUE, NULL),
    MODIFIER("fast_pattern", MOD_FAST_PATTERN, 0, NULL),
    MODIFIER("offset", MOD_OFFSET, KW_VALUE, "offset:4"),
    MODIFIER("depth", MOD_DEPTH, KW_VALUE, "depth:64"),
    MODIFIER("distance", MOD_DISTANCE, KW_VALUE, "distance:0"),
    MODIFIER("within", MOD_WITHIN, KW_VALUE, "within:32"),
    {"plainsight.min_len", kw_number, KW_VALUE | KW_ONCE, NUM_MIN_LEN, "plainsight.min_len:16"},
    {"plainsight.min_entropy", kw_min_entropy, KW_VALUE | KW_ONCE, 0,
     "plainsight.min_entropy:3.0"},
    {"http.redirect_upgrade", kw_flag, KW_NOVALUE | KW_ONCE | KW_HTTP, FLAG_REDIRECT_UPGRADE,
     NULL},
    {"plainsight.request_secret", kw_flag, KW_NOVALUE | KW_ONCE, FLAG_REQUEST_SECRET, NULL},
    {"plainsight.token_reuse", kw_flag, KW_NOVALUE | KW_ONCE | KW_HTTP, FLAG_TOKEN_REUSE, NULL},
    {"plainsight.scanner", kw_flag, KW_NOVALUE | KW_ONCE | KW_HTTP, FLAG_SCANNER, NULL},
    STICKY("http.method", RB_HTTP_METHOD, KW_HTTP),
    STICKY("http.uri", RB_HTTP_URI, KW_HTTP),
    STICKY("http.uri.raw", RB_HTTP_URI_RAW, KW_HTTP),
    STICKY("http.host", RB_HTTP_HOST, KW_HTTP),
    STICKY("http.user_agent", RB_HTTP_USER_AGENT, KW_HTTP),
    STICKY("http.cookie", RB_HTTP_COOKIE, KW_HTTP),
    STICKY("http.referer", RB_HTTP_REFERER, KW_HTTP),
    STICKY("http.header", RB_HTTP_HEADER, KW_HTTP),
    STICKY("http.content_type", RB_HTTP_CONTENT_TYPE, KW_HTTP),
    STICKY("http.stat_code", RB_HTTP_STAT_CODE, KW_HTTP),
    STICKY("http.stat_msg", RB_HTTP_STAT_MSG, KW_HTTP),
    STICKY("http.location", RB_HTTP_LOCATION, KW_HTTP),
    STICKY("http.response_header", RB_HTTP_RESPONSE_HEADER, KW_HTTP),
    STICKY("http.request_body", RB_HTTP_REQUEST_BODY, KW_HTTP),
    STICKY("http.response_body", RB_HTTP_RESPONSE_BODY, KW_HTTP),
    STICKY("file.data", RB_HTTP_RESPONSE_BODY, KW_HTTP),
    STICKY("file_data", RB_HTTP_RESPONSE_BODY, KW_HTTP),
    STICKY("ics.summary", RB_ICS_SUMMARY, KW_ICS),
    STICKY("ics.description", RB_ICS_DESCRIPTION, KW_ICS),
    STICKY("ics.location", RB_ICS_LOCATION, KW_ICS),
    STICKY("ics.url", RB_ICS_URL, KW_ICS),
    STICKY("ics.organizer", RB_ICS_ORGANIZER, KW_ICS),
    STICKY("ics.attendee", RB_ICS_ATTENDEE, KW_ICS),
    STICKY("ics.comment", RB_ICS_COMMENT, KW_ICS),
    STICKY("ics.conference", RB_ICS_CONFERENCE, KW_ICS),
    STICKY("ics.text", RB_ICS_TEXT, KW_ICS),
    LEGACY("http_method", RB_HTTP_METHOD),
    LEGACY("http_uri", RB_HTTP_URI),
    LEGACY("http_raw_uri", RB_HTTP_URI_RAW),
    LEGACY("http_host", RB_HTTP_HOST),
    LEGACY("http_user_agent", RB_HTTP_USER_AGENT),
    LEGACY("http_cookie", RB_HTTP_COOKIE),
    LEGACY("http_referer", RB_HTTP_REFERER),
    LEGACY("http_header", RB_HTTP_HEADER),
    LEGACY("http_content_type", RB_HTTP_CONTENT_TYPE),
    LEGACY("http_stat_code", RB_HTTP_STAT_CODE),
    LEGACY("http_stat_msg", RB_HTTP_STAT_MSG),
    LEGACY("http_client_body", RB_HTTP_REQUEST_BODY),
    LEGACY("http_server_body", RB_HTTP_RESPONSE_BODY),
};
_Static_assert(PS_ARRAY_LEN(keywords) <= RULE_KW_MAX, "raise RULE_KW_MAX");

/* Real Suricata keywords this engine does not implement: a rule using one
 * is skipped with a warning, not rejected as a typo. */
static const char *const unsupported[] = {
    /* meta, thresholds, actions */
    "threshold", "detection_filter", "tag", "noalert", "target", "requires", "config",
    "bypass", "prefilter", "replace", "rawbytes", "app-layer-protocol",
    "app-layer-event", "app-layer-state", "decode-event", "engine-event", "stream-event",
    "frame", "pkt_data", "uricontent", "urilen", "dsize", "bsize", "isdataat", "absent",
    "entropy", "asn1", "rpc", "ftpbounce", "lua", "luajit", "dataset", "datarep", "iprep",
    "geoip", "l3_proto", "ipopts", "sameip", "ip_proto", "ttl", "tos", "id", "fragbits",
    "fragoffset", "flags", "tcp.flags", "seq", "ack", "window", "tcp.mss", "tcp.hdr",
    "udp.hdr", "ipv4.hdr", "ipv6.hdr", "itype", "icode", "icmp_id", "icmp_seq", "icmpv4.hdr",
    "icmpv6.hdr", "icmpv6.mtu", "ipv4-csum", "tcpv4-csum", "tcpv6-csum", "udpv4-csum",
    "udpv6-csum", "icmpv4-csum", "icmpv6-csum", "stream_size",
    /* byte and state keywords */
    "byte_test", "byte_jump", "byte_extract", "byte_math", "flowbits", "flowint", "flowvar",
    "pktvar", "hostbits", "xbits", "flow.age", "flow.pkts", "flow.bytes",
    "flow.pkts_toclient", "flow.pkts_toserver", "flow.bytes_toclient", "flow.bytes_toserver",
    "base64_decode", "base64_data",
    /* transforms */
    "compress_whitespace", "strip_whitespace", "strip_pseudo_headers", "to_md5", "to_sha1",
    "to_sha256", "dotprefix", "pcrexform", "url_decode", "xor", "to_lowercase",
    "to_uppercase", "header_lowercase", "from_base64",
    /* http buffers without a plainsight equivalent */
    "http.request_line", "http_request_line", "http.response_line", "http_response_line",
    "http.protocol", "http_protocol", "http.start", "http_start", "http.header_names",
    "http_header_names", "http.accept", "http_accept", "http.accept_enc", "http_accept_enc",
    "http.accept_lang", "http_accept_lang", "http.connection", "http_connection",
    "http.content_len", "http_content_len", "http.server", "http.request_header",
    "http.header.raw", "http_raw_header", "http.host.raw", "http_raw_host",
    "http2.frametype", "http2.errorcode", "http2.priority", "http2.window",
    "http2.size_update", "http2.settings", "http2.header_name", "http2.header",
    /* other protocols */
    "tls.version", "tls.subject", "tls.issuerdn", "tls.notbefore", "tls.notafter",
    "tls.expired", "tls.valid", "tls.fingerprint", "tls.store", "tls.cert_chain_len",
    "tls.sni", "tls_sni", "tls.certs", "tls.cert_issuer", "tls_cert_issuer",
    "tls.cert_subject", "tls_cert_subject", "tls.cert_serial", "tls_cert_serial",
    "tls.cert_fingerprint", "tls_cert_fingerprint", "tls.subjectaltname", "tls.random",
    "tls.random_time", "tls.random_bytes", "tls.alpn", "tls_cert_notbefore",
    "tls_cert_notafter", "tls_cert_expired", "tls_cert_valid", "ssl_version", "ssl_state",
    "ja3.hash", "ja3_hash", "ja3.string", "ja3s.hash", "ja3s.string", "ja4.hash",
    "dns.query", "dns_query", "dns.opcode", "dns.rcode", "dns.rrtype", "dns.answer.name",
    "dns.query.name", "ssh.proto", "ssh_proto", "ssh.protoversion", "ssh.software",
    "ssh.softwareversion", "ssh.hassh", "ssh.hassh.server", "ssh.hassh.string",
    "ssh.hassh.server.string", "file.name", "filename", "fileext", "filemagic",
    "file.magic", "filestore", "filemd5", "filesha1", "filesha256", "filesize",
    "dce_iface", "dce_opnum", "dce_stub_data", "smb.named_pipe", "smb.share",
    "smb.ntlmssp_user", "smb.ntlmssp_domain", "smb.version", "krb5_err_code",
    "krb5_msg_type", "krb5.cname", "krb5.sname", "krb5.ticket_encryption", "sip.method",
    "sip.uri", "sip.protocol", "sip.stat_code", "sip.stat_msg", "sip.request_line",
    "sip.response_line", "rfb.secresult", "rfb.sectype", "rfb.name", "mqtt.type",
    "mqtt.flags", "mqtt.qos", "mqtt.protocol_version", "mqtt.reason_code",
    "mqtt.connect.flags", "mqtt.connect.clientid", "mqtt.connect.username",
    "mqtt.connect.password", "mqtt.connect.willtopic", "mqtt.connect.willmessage",
    "mqtt.connack.session_present", "mqtt.publish.topic", "mqtt.publish.message",
    "mqtt.subscribe.topic", "mqtt.unsubscribe.topic", "quic.version", "quic.sni",
    "quic.ua", "quic.cyu.hash", "quic.cyu.string", "ike.exchtype", "ike.spi.initiator",
    "ike.spi.responder", "ike.vendor", "ike.chosen_sa_attribute", "ike.nonce_payload",
    "ike.key_exchange_payload", "ike.nonce_payload_length",
    "ike.key_exchange_payload_length", "modbus", "dnp3_data", "dnp3_func", "dnp3_ind",
    "dnp3_obj", "enip_command", "cip_service", "nfs_procedure", "nfs.version",
    "ftpdata_command", "snmp.version", "snmp.community", "snmp.pdu_type", "snmp.usm",
};

static const struct rule_keyword *keyword_find(const char *name, size_t n)
{
    for (size_t i = 0; i < PS_ARRAY_LEN(keywords); i++)
        if (strlen(keywords[i].name) == n && strncasecmp(keywords[i].name, name, n) == 0)
            return &keywords[i];
    return NULL;
}

static bool keyword_unsupported(const char *name, size_t n)
{
    for (size_t i = 0; i < PS_ARRAY_LEN(unsupported); i++)
        if (strlen(unsupported[i]) == n && strncasecmp(unsupported[i], name, n) == 0)
            return true;
    return false;
}

/* Edit distance, for "did you mean". Names past 31 characters get none. */
static size_t edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), row[32];
    if (na >= 32 || nb >= 32)
        return 99;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t sub = diag + ((a[i - 1] | 0x20) != (b[j - 1] | 0x20));
            row[j] = PS_MIN(PS_MIN(row[j] + 1, row[j - 1] + 1), sub);
            diag = up;
        }
    }
    return row[nb];
}

static int keyword_unknown(struct rule_parser *p, const struct rule_opt *o)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < PS_ARRAY_LEN(keywords); i++) {
        size_t d = edit_distance(o->name, o->name_len, keywords[i].name);
        if (d < best_d) {
            best_d = d;
            best = keywords[i].name;
        }
    }
    if (best != NULL)
        KW_ERR(p, o, "unknown keyword; did you mean %s?", best);
    else
        KW_ERR(p, o, "unknown keyword; see \"Rules\" in the README for the keywords plainsight "
                     "knows");
    return PS_ERR;
}

int rule_keyword_apply(struct rule_parser *p, const struct rule_opt *o)
{
    const struct rule_keyword *k = keyword_find(o->name, o->name_len);
    if (k == NULL) {
        if (keyword_unsupported(o->name, o->name_len))
            return rule_unsupported(p, o->off, o->name, o->name_len, NULL);
        return keyword_unknown(p, o);
    }
    if ((k->flags & KW_VALUE) && (o->value == NULL || o->value[0] == '\0')) {
        KW_ERR(p, o, "needs a value, e.g. %s;", k->usage);
        return PS_ERR;
    }
    if ((k->flags & KW_NOVALUE) && o->value != NULL) {
        KW_ERR(p, o, "takes no value; write %s;", k->name);
        return PS_ERR;
    }
    if ((k->flags & KW_HTTP) && p->r->proto != RULE_PROTO_HTTP) {
        KW_ERR(p, o, "only valid in http rules; this rule is 'alert ics'");
        return PS_ERR;
    }
    if ((k->flags & KW_ICS) && p->r->proto != RULE_PROTO_ICS) {
        KW_ERR(p, o, "only valid in ics rules; this rule is 'alert http'");
        return PS_ERR;
    }
    size_t idx = (size_t)(k - keywords);
    if ((k->flags & KW_ONCE) && p->seen[idx]) {
        KW_ERR(p, o, "given twice; a rule takes one %s", k->name);
        return PS_ERR;
    }
    p->seen[idx] = true;
    int rc = k->fn(p, k, o);
    if (rc == PS_NOMEM) {
        KW_ERR(p, o, "out of memory");
        rc = PS_ERR;
    }
    return rc;
}

int rule_keyword_sid_only(struct rule_parser *p, const struct rule_opt *o)
{
    uint32_t v;
    if (p->sid_set || o->name_len != 3 || strncasecmp(o->name, "sid", 3) != 0 ||
        o->value == NULL || !parse_u32(o->value, 1, UINT32_MAX, &v))
        return PS_DECLINED;
    p->r->sid = v;
    p->sid_set = true;
    p->sid_off = o->off;
    return PS_OK;
}

/* flow:to_server names the request side. file.data then means the request
 * body, as Suricata's file.data follows the direction; any other response
 * buffer contradicts the rule's direction. Calendar buffers come from
 * either side (feeds and uploads). */
static int rule_direction_check(struct rule_parser *p)
{
    struct rule *r = p->r;
    if (!(r->flow & RULE_FLOW_TO_SERVER))
        return PS_OK;
    for (size_t i = 0; i < r->n_matches; i++) {
        struct rule_match *m = &r->matches[i];
        if (m->buffer == RB_HTTP_RESPONSE_BODY) {
            m->buffer = RB_HTTP_REQUEST_BODY;
        } else if (m->buffer < RB_ICS_SUMMARY && rule_buffer_dir(m->buffer) == PS_TOCLIENT &&
                   m->buffer != RB_HTTP_CONTENT_TYPE) {
            const char *name = rule_buffer_name(m->buffer);
            rule_error(p, 0, name, strlen(name),
                       "%s is part of the response, but the rule says flow:to_server; "
                       "use flow:to_client or drop the direction",
                       name);
            return PS_ERR;
        }
    }
    if (r->redirect_upgrade) {
        rule_error(p, 0, "http.redirect_upgrade", 21,
                   "http.redirect_upgrade looks at the response, but the rule says "
                   "flow:to_server; use flow:to_client");
        return PS_ERR;
    }
    return PS_OK;
}

int rule_keywords_finish(struct rule_parser *p)
{
    struct rule *r = p->r;
    if (rule_matches_check(p) != PS_OK)
        return PS_ERR;
    if (r->msg == NULL) {
        rule_error(p, 0, "msg", 3, "rule has no msg; add msg:\"what the rule detects\";");
        return PS_ERR;
    }
    if (!p->sid_set) {
        rule_error(p, 0, "sid", 3, "rule has no sid; add sid:NUMBER; (unique per gid)");
        return PS_ERR;
    }
    if (r->n_matches == 0 && !r->redirect_upgrade && !r->token_reuse && !r->scanner) {
        rule_error(p, 0, "rule", 4,
                   "rule has nothing to match; add a content, a pcre, http.redirect_upgrade, "
                   "plainsight.token_reuse or plainsight.scanner");
        return PS_ERR;
    }
    if (rule_direction_check(p) != PS_OK)
        return PS_ERR;
    if (!p->priority_set)
        r->priority = p->cls != NULL ? p->cls->priority : 3;
    return PS_OK;
}
