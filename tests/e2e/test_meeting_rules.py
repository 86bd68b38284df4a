"""Meeting-secret rules (rules/meeting.rules) against the engine: every
calendar vector of tests/rules/ics_vectors.json, the generator's planted
calendars (gen_traffic.py --calendars) next to its planted share URLs, and
precision/recall per kind on the labelled calendar corpus.

The vectors and the corpus are checked without the engine by
tests/rules/check_ics_rules.py; here the engine must agree with them."""
import collections
import json
import os
import re
import sys

import check_alerts as planted
from harness import ROOT, WORK, generate, read_eve, run_ps, test, validate_schema

sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "rules"))

RULES = os.path.join(ROOT, "rules", "meeting.rules")
ROLE_RULES = os.path.join(ROOT, "rules", "calendar.rules")
HTTP_RULES = os.path.join(ROOT, "rules", "plainsight.rules")
VECTORS = os.path.join(ROOT, "tests", "rules", "ics_vectors.json")


def _alerts(pcap, name, *rules):
    out = os.path.join(WORK, name + ".eve.json")
    args = ["-r", pcap, "-o", out, "--unmask-secrets", "--eve-types", "alert", "--threads", "1"]
    for r in rules or (RULES,):
        args += ["-S", r]
    run_ps(args)
    events = read_eve(out)
    validate_schema(events)
    return events


@test
def calendar_vectors_alert_as_expected():
    from gentraffic import calendars
    with open(VECTORS) as f:
        vectors = json.load(f)["vectors"]
    cals, labels = [], {}
    for v in vectors:
        uid = re.search(r"UID:(\S+)", v["calendar"]).group(1)
        cals.append((v["calendar"], [uid]))
        labels[uid] = []
    pcap = os.path.join(WORK, "ics-vectors.pcap")
    calendars.write_capture(pcap, cals, labels, 1)
    got = collections.defaultdict(dict)
    for ev in _alerts(pcap, "ics-vectors", RULES, ROLE_RULES):
        ctx = ev["alert"]["context"]
        got[ctx.get("uid")][ev["alert"]["signature_id"]] = ctx.get("secret")
    failures = []
    for v in vectors:
        uid = re.search(r"UID:(\S+)", v["calendar"]).group(1)
        want = sorted(([v["sid"]] if v["sid"] is not None else []) + v.get("also", []))
        g = got.get(uid, {})
        if sorted(g) != want:
            failures.append(f"{v['name']}: alerted {sorted(g)}, expected {want}")
        elif v["sid"] is not None and g[v["sid"]] != v["secret"]:
            failures.append(f"{v['name']}: secret {g[v['sid']]!r}, expected {v['secret']!r}")
    assert not failures, "; ".join(failures[:10])


@test
def planted_calendars_and_share_urls_alert_once_each():
    pcap, truth = generate(13, "--sessions", "300", "--secrets", "10", "--calendars", "10")
    assert sum(1 for s in truth["secrets"] if s["where"] == "calendar") > 20, "too few calendar alerts"
    events = _alerts(pcap, "planted-calendars", HTTP_RULES, RULES)
    _, _, extra, missing = planted.compare(events, truth)
    assert not extra and not missing, (
        f"{sum(extra.values())} unexpected alerts, e.g. {list(extra)[:3]}; "
        f"{sum(missing.values())} expected alerts missing, e.g. {list(missing)[:3]}")


@test
def labelled_corpus_precision_and_recall_per_kind():
    import check_ics_rules as model
    from gentraffic import calendars
    cals, labels, _ = calendars.corpus(2, 1500)
    pcap = os.path.join(WORK, "ics-corpus.pcap")
    calendars.write_capture(pcap, cals, labels, 2)
    got = collections.Counter()
    for ev in _alerts(pcap, "ics-corpus"):
        ctx = ev["alert"]["context"]
        got[(ctx.get("uid", ""), ev["alert"]["signature_id"], ctx.get("secret"))] += 1
    rules = model.load_rules(RULES)
    table, _, _ = model.score(rules, got, labels)
    bad = model.failures(table, 0.99, 0.98)
    assert not bad, "; ".join(bad) + "\n" + model.format_table(table)
    # and the engine agrees with the Python model alert for alert
    assert got == model.python_alerts(rules, cals), "engine and Python model disagree"
