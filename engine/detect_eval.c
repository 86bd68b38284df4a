/*
 * detect_eval.c - the end of an inspection unit: flush the body streams,
 * then decide which candidate rules hold (see detect.h).
 *
 * A rule holds when its protocol, flow and header match the unit and each
 * condition holds on a buffer that was present. The header is checked in
 * the rule's orientation: its src is the server for to_client rules and
 * for rules that only look at response buffers, the client otherwise;
 * `<>` accepts both. Rules with plainsight.request_secret go in a second
 * pass, since they hold only when a first-pass alert found a secret in a
 * request buffer (the first such alert, in (priority, sid) order, is
 * their cause). So do rules with plainsight.token_reuse or
 * plainsight.scanner, whose cause is the first alert with a secret in the
 * request target, and which also need the unit's cross-flow facts.
 */
#include <stdlib.h>

#include "detect_int.h"

static bool detect_addr_ok(const struct rule_addr *a, uint8_t ip_ver, const uint8_t *addr)
{
    if (a->any)
        return true;
    return addr != NULL && rule_addr_match(a, ip_ver, addr);
}

static bool detect_sides_match(const struct rule *r, const struct detect_unit *u, bool src_is_server)
{
    const uint8_t *sa = src_is_server ? u->server : u->client;
    const uint8_t *da = src_is_server ? u->client : u->server;
    uint16_t sp = src_is_server ? u->server_port : u->client_port;
    uint16_t dp = src_is_server ? u->client_port : u->server_port;
    return detect_addr_ok(&r->src, u->ip_ver, sa) && rule_ports_match(&r->sport, sp) &&
           detect_addr_ok(&r->dst, u->ip_ver, da) && rule_ports_match(&r->dport, dp);
}

static bool detect_rule_holds(const struct detect_state *st, const struct detect_rule *dr,
                              const struct detect_unit *u)
{
    const struct rule *r = dr->rule;
    if (r->proto != u->proto)
        return false;
    if ((r->flow & RULE_FLOW_ESTABLISHED) && !u->established)
        return false;
    if (r->redirect_upgrade && !u->redirect_upgrade)
        return false;
    for (uint32_t i = 0; i < dr->n_conds; i++) {
        const struct detect_cond *c = &dr->conds[i];
        if (!(st->present & (1u << c->buffer)))
            return false;
        if (detect_bit_test(st->hits, c->pattern) == c->negated)
            return false;
    }
    return detect_sides_match(r, u, dr->src_is_server) ||
           (r->bidirectional && detect_sides_match(r, u, !dr->src_is_server));
}

static void detect_alert_fill(const struct detect_thread *dt, const struct detect_state *st,
                              const struct detect_rule *dr, struct detect_alert *a)
{
    *a = (struct detect_alert){.rule = dr->rule, .secret_buffer = RB_MAX, .cause_buffer = RB_MAX};
    for (uint32_t i = 0; i < dr->n_conds; i++) {
        const struct detect_cond *c = &dr->conds[i];
        if (!c->secret || c->negated || !detect_bit_test(st->hits, c->pattern))
            continue;
        const struct detect_secret *s = &st->secrets[dt->de->patterns[c->pattern].confirm_idx];
        a->secret = (struct ps_slice){s->len ? st->arena + s->off : NULL, s->len};
        a->secret_buffer = c->buffer;
        return;
    }
}

/* What second-pass rules hold on: the first first-pass alert with a secret
 * in a request buffer, the first with one in the request target, and the
 * cross-flow facts about the latter. */
struct detect_causes {
    const struct detect_alert *request, *target;
    unsigned xflow; /* DETECT_XF_* */
};

static bool detect_rule_second(const struct rule *r)
{
    return r->request_secret || r->token_reuse || r->scanner;
}

/* The cause a second-pass rule names, or NULL when it cannot hold. */
static const struct detect_alert *detect_rule_cause(const struct rule *r,
                                                    const struct detect_causes *pc)
{
    if (!r->token_reuse && !r->scanner)
        return pc->request;
    if ((r->token_reuse && !(pc->xflow & DETECT_XF_REUSE)) ||
        (r->scanner && !(pc->xflow & DETECT_XF_SCANNER)))
        return NULL;
    return pc->target;
}

/* Evaluate one rule of the pass (pc NULL: the first); a holding rule
 * appends an alert. */
static void detect_eval_rule(struct detect_thread *dt, struct detect_state *st, uint32_t idx,
                             const struct detect_unit *u, const struct detect_causes *pc,
                             size_t *n)
{
    const struct detect_rule *dr = &dt->de->rules[idx];
    if (detect_rule_second(dr->rule) != (pc != NULL) || detect_bit_test(st->fired, idx))
        return;
    const struct detect_alert *cause = pc != NULL ? detect_rule_cause(dr->rule, pc) : NULL;
    if (pc != NULL && cause == NULL)
        return;
    if (!detect_rule_holds(st, dr, u))
        return;
    detect_bit_set(st->fired, idx);
    detect_list_push(dt, st, &st->fired_list, idx);
    struct detect_alert *a = &dt->alerts[(*n)++];
    detect_alert_fill(dt, st, dr, a);
    if (cause != NULL) {
        a->cause = cause->rule;
        a->cause_secret = cause->secret;
        a->cause_buffer = cause->secret_buffer;
    }
}

static void detect_eval_pass(struct detect_thread *dt, struct detect_state *st,
                             const struct detect_unit *u, const struct detect_causes *pc,
                             size_t *n)
{
    const struct detect_engine *de = dt->de;
    for (uint32_t i = 0; i < st->cand_list.n; i++)
        detect_eval_rule(dt, st, st->cand_list.v[i], u, pc, n);
    if ((unsigned)u->proto < DETECT_N_PROTO)
        for (uint32_t i = 0; i < de->n_always[u->proto]; i++)
            detect_eval_rule(dt, st, de->always[u->proto][i], u, pc, n);
}

static int detect_alert_cmp(const void *pa, const void *pb)
{
    const struct rule *a = ((const struct detect_alert *)pa)->rule;
    const struct rule *b = ((const struct detect_alert *)pb)->rule;
    if (a->priority != b->priority)
        return a->priority < b->priority ? -1 : 1;
    if (a->sid != b->sid)
        return a->sid < b->sid ? -1 : 1;
    return a->gid < b->gid ? -1 : a->gid > b->gid;
}

size_t detect_eval(struct detect_thread *dt, struct detect_state *st,
                   const struct detect_unit *unit, const struct detect_alert **alerts)
{
    if (alerts != NULL)
        *alerts = dt != NULL ? dt->alerts : NULL;
    if (dt == NULL || st == NULL || unit == NULL)
        return 0;
    for (unsigned b = 0; b < RB_MAX; b++)
        if (st->stream_open & (1u << b))
            detect_stream_flush(dt, st, (enum rule_buffer)b);

    size_t n = 0;
    detect_eval_pass(dt, st, unit, NULL, &n);
    qsort(dt->alerts, n, sizeof(*dt->alerts), detect_alert_cmp);
    /* copies: the second pass appends to and sorts dt->alerts */
    struct detect_alert request = {0}, target = {0};
    for (size_t i = 0; i < n; i++) {
        const struct detect_alert *a = &dt->alerts[i];
        if (a->secret_buffer == RB_MAX || rule_buffer_dir(a->secret_buffer) != PS_TOSERVER)
            continue;
        if (request.rule == NULL)
            request = *a;
        if (target.rule == NULL &&
            (a->secret_buffer == RB_HTTP_URI || a->secret_buffer == RB_HTTP_URI_RAW))
            target = *a;
    }
    struct detect_causes pc = {request.rule != NULL ? &request : NULL,
                               target.rule != NULL ? &target : NULL, 0};
    if (pc.target != NULL && dt->de->has_xflow && unit->xflow != NULL)
        pc.xflow = unit->xflow(unit->xflow_arg, pc.target);
    if (pc.request != NULL) {
        detect_eval_pass(dt, st, unit, &pc, &n);
        qsort(dt->alerts, n, sizeof(*dt->alerts), detect_alert_cmp);
    }
    dt->stats.alerts += n;
    return n;
}
