#!/usr/bin/env python3
"""Compare a run's alerts with the secrets a generated capture's ground truth
lists (gen_traffic.py --secrets, --calendars, --reuse): every planted secret
must alert exactly once with its sid on its transaction, and nothing else may
alert. A token-reuse alert (sid 4400001, a truth record with "clients") is
matched by what it is, not where: its sid, secret and client addresses in
order of first fetch, since the transaction that completes the client set
can differ between runs with several threads (engine/token_reuse.h).

usage: check_alerts.py EVE.json TRUTH.json

The run must use --unmask-secrets, so alerts can be matched by their secret.
Prints the counts and the first differences; exits 0 when they match."""
import collections
import ipaddress
import json
import sys


def _norm(ip):
    return str(ipaddress.ip_address(ip))


def alert_secret(alert):
    """The secret of an alert: its own, or for a rule that holds because of
    another rule's secret (plainsight.request_secret), that one."""
    ctx = alert.get("context") or {}
    if "secret" in ctx:
        return ctx["secret"]
    return (ctx.get("cause") or {}).get("secret")


def alert_key(ev):
    """(client, client port, server, server port, tx_id, sid, secret), or for
    a token-reuse alert ("reuse", sid, secret, client addresses)."""
    reuse = (ev["alert"].get("context") or {}).get("token_reuse")
    if reuse is not None:
        return ("reuse", ev["alert"]["signature_id"], alert_secret(ev["alert"]),
                tuple(_norm(c["ip"]) for c in reuse["clients"]))
    fl = ev.get("flow") or {}
    if "src_port" in fl:  # the alert's flow object is in flow orientation
        c, cp, s, sp = fl["src_ip"], fl["src_port"], fl["dest_ip"], fl["dest_port"]
    elif ev.get("direction") == "to_client":
        c, cp, s, sp = ev["dest_ip"], ev["dest_port"], ev["src_ip"], ev["src_port"]
    else:
        c, cp, s, sp = ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"]
    return (_norm(c), cp, _norm(s), sp, ev.get("tx_id"), ev["alert"]["signature_id"],
            alert_secret(ev["alert"]))


def compare(events, truth):
    """Returns (want, got, extra, missing) as Counters of alert keys."""
    want = collections.Counter()
    for s in truth["secrets"]:
        fl = s["flow"]
        if "clients" in s:
            want[("reuse", s["sid"], s["secret"], tuple(_norm(c) for c in s["clients"]))] += 1
            continue
        want[(_norm(fl["src_ip"]), fl["src_port"], _norm(fl["dest_ip"]), fl["dest_port"],
              s["tx_id"], s["sid"], s["secret"])] += 1
    got = collections.Counter(alert_key(ev) for ev in events if ev.get("event_type") == "alert")
    return want, got, got - want, want - got


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2]) as f:
        truth = json.load(f)
    with open(sys.argv[1]) as f:
        events = [json.loads(line) for line in f]
    want, got, extra, missing = compare(events, truth)
    by_sid = collections.Counter(k[1] if k[0] == "reuse" else k[5] for k in got.elements())
    print(f"planted secrets: {sum(want.values())}; alerts: {sum(got.values())} "
          f"over {len(by_sid)} signatures; unexpected: {sum(extra.values())}; "
          f"missing: {sum(missing.values())}")
    for sid, n in sorted(by_sid.items()):
        print(f"  sid {sid}: {n} alerts (truth {sum(1 for s in truth['secrets'] if s['sid'] == sid)})")
    for k in list(extra)[:5]:
        print("  unexpected:", k)
    for k in list(missing)[:5]:
        print("  missing:", k)
    sys.exit(0 if not extra and not missing else 1)


if __name__ == "__main__":
    main()
