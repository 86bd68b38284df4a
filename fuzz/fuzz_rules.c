/*
 * fuzz_rules.c - the rule parser (rules/rule.h) and, when the input yields
 * rules, the detection engine built from them (engine/detect.h): the
 * Hyperscan databases, PCRE2 confirmations, and an evaluation of each
 * protocol's rules over sample buffers.
 *
 * Input: a rules file, parsed. When a NUL byte follows it, and it gave at
 * most FZ_ENGINE_RULES rules, the detection engine is built from them and
 * every buffer they use is scanned with the bytes after the NUL (bodies in
 * two chunks). Compiling takes a tenth of a second or more per rule, so
 * the parser alone runs thousands of times faster: the input chooses.
 * Inputs over 4 KB are skipped; longer files reach nothing new.
 */
#include "detect.h"
#include "fuzz.h"
#include "rule.h"

#ifndef PS_FUZZ_RULES_DIR
#error "PS_FUZZ_RULES_DIR names the source tree's rules/ directory"
#endif

#define FZ_RULES_MAX 4096
#define FZ_ENGINE_RULES 4

static char *fz_classification(void)
{
    static char *text;
    if (text != NULL)
        return text;
    FILE *f = fopen(PS_FUZZ_RULES_DIR "/classification.config", "rb");
    FZ_CHECK(f != NULL);
    text = calloc(1, 1 << 16);
    FZ_CHECK(text != NULL);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    FZ_CHECK(n > 0);
    fclose(f);
    return text;
}

static void fz_evaluate(struct detect_thread *dt, const struct detect_engine *de,
                        enum rule_proto proto, const uint8_t *sample, size_t len)
{
    static const uint8_t client[16] = {192, 0, 2, 1}, server[16] = {198, 51, 100, 7};
    struct detect_state *st = detect_state_get(dt);
    FZ_CHECK(st != NULL);
    for (int b = 0; b < RB_MAX; b++) {
        bool ics = b >= RB_ICS_SUMMARY;
        if (ics != (proto == RULE_PROTO_ICS) || !detect_engine_uses(de, (enum rule_buffer)b))
            continue;
        if (rule_buffer_is_stream((enum rule_buffer)b)) {
            detect_stream(dt, st, (enum rule_buffer)b, sample, len / 2);
            detect_stream(dt, st, (enum rule_buffer)b, sample + len / 2, len - len / 2);
        } else {
            detect_scan(dt, st, (enum rule_buffer)b, sample, len);
        }
    }
    struct detect_unit unit = {
        .proto = proto, .ip_ver = 4, .client = client, .server = server,
        .client_port = 40000, .server_port = 80, .established = true,
        .redirect_upgrade = len & 1,
    };
    const struct detect_alert *alerts = NULL;
    size_t n = detect_eval(dt, st, &unit, &alerts);
    for (size_t i = 0; i < n; i++) {
        FZ_CHECK(alerts[i].rule != NULL && alerts[i].rule->proto == proto);
        fz_touch(alerts[i].secret);
        fz_touch(alerts[i].cause_secret);
    }
    detect_state_put(dt, st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FZ_RULES_MAX)
        return -1; /* not added to the corpus */
    const uint8_t *nul = memchr(data, 0, size);
    size_t rules_len = nul ? (size_t)(nul - data) : size;
    char *text = malloc(rules_len + 1);
    FZ_CHECK(text != NULL);
    memcpy(text, data, rules_len);
    text[rules_len] = 0;
    const uint8_t *sample = nul ? nul + 1 : (const uint8_t *)"";
    size_t sample_len = nul ? size - rules_len - 1 : 0;

    struct rule_set rs;
    rule_set_init(&rs);
    rs.diag = NULL;
    FZ_CHECK(rule_set_load_classification_string(&rs, "classification.config",
                                                 fz_classification()) == PS_OK);
    FZ_CHECK(rule_set_load_string(&rs, "fuzz.rules", text) == PS_OK);
    for (size_t i = 0; i < rs.n_rules; i++) {
        const struct rule *r = rs.rules[i];
        FZ_CHECK(r->msg != NULL);
        FZ_CHECK(r->n_matches == 0 || r->matches != NULL);
        for (size_t m = 0; m < r->n_matches; m++) {
            FZ_CHECK(r->matches[m].buffer < RB_MAX);
            if (r->matches[m].kind == RULE_PCRE)
                FZ_CHECK(r->matches[m].pcre != NULL);
        }
        (void)rule_src_is_server(r);
    }
    if (nul != NULL && rs.n_rules > 0 && rs.n_rules <= FZ_ENGINE_RULES) {
        struct detect_build_stats bs;
        struct detect_engine *de = detect_engine_build(&rs, NULL, &bs);
        FZ_CHECK(de != NULL);
        FZ_CHECK(bs.rules_loaded + bs.rules_failed == rs.n_rules);
        struct detect_thread *dt = detect_thread_create(de);
        FZ_CHECK(dt != NULL);
        fz_evaluate(dt, de, RULE_PROTO_HTTP, sample, sample_len);
        fz_evaluate(dt, de, RULE_PROTO_ICS, sample, sample_len);
        detect_thread_destroy(dt);
        detect_engine_destroy(de);
    }
    rule_set_free(&rs);
    free(text);
    return 0;
}
