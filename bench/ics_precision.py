#!/usr/bin/env python3
"""Precision and recall of the meeting-secret rules (rules/meeting.rules) per
kind (a1..a11, detections.md section A) on a labelled calendar corpus.

Generates the corpus (scripts/gentraffic/calendars.py: invitations of every
vendor in five languages, look-alikes that must not alert) as a capture of
HTTP calendar fetches and CalDAV uploads, runs

  plainsight -q -r PCAP -o EVE --unmask-secrets --eve-types alert -S RULES

and matches the alerts to the labels by (alert.context.uid, signature_id,
alert.context.secret). An alert no label expects is a false positive of its
rule's kind; a label no alert matches is a false negative of its kind.
Exits 1 when a kind's precision is below --min-precision (0.99) or its
recall below --min-recall (0.98), 2 when the engine cannot be run or does
not parse calendars.

--python evaluates the same corpus with the Python model of the engine
(tests/rules/check_ics_rules.py) instead, without a capture or a binary.

usage: bench/ics_precision.py [--seed 1] [--components 3000] [--python]
                              [--bin build/plainsight] [--rules rules/meeting.rules]
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "rules"))

import check_ics_rules as model  # noqa: E402
from gentraffic import calendars  # noqa: E402


def engine_alerts(binary, rules, pcap, out):
    cmd = [binary, "-q", "-r", pcap, "-o", out, "--unmask-secrets", "--eve-types", "alert",
           "-S", rules]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.time() - t0
    if p.returncode != 0:
        print(f"ics_precision: {' '.join(cmd)} exited {p.returncode}:\n{p.stderr}", file=sys.stderr)
        sys.exit(2)
    if "calendar bodies are not parsed yet" in p.stderr:
        print("ics_precision: this build does not parse calendars yet (rebuild with the ICS "
              "integration, or use --python)", file=sys.stderr)
        sys.exit(2)
    got = collections.Counter()
    no_uid = 0
    with open(out) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") != "alert":
                continue
            a = ev["alert"]
            ctx = a.get("context") or {}
            if "uid" not in ctx:
                no_uid += 1
            got[(ctx.get("uid", ""), a["signature_id"], ctx.get("secret"))] += 1
    return got, dt, no_uid


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--components", type=int, default=3000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "plainsight"))
    ap.add_argument("--rules", default=os.path.join(ROOT, "rules", "meeting.rules"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"),
                    help="directory for the capture, its truth and the EVE output")
    ap.add_argument("--python", action="store_true",
                    help="evaluate with the Python model instead of the engine")
    ap.add_argument("--min-precision", type=float, default=0.99)
    ap.add_argument("--min-recall", type=float, default=0.98)
    ap.add_argument("--show", type=int, default=10, help="false positives/negatives to print")
    a = ap.parse_args()

    rules = model.load_rules(a.rules)
    t0 = time.time()
    cals, labels, templates = calendars.corpus(a.seed, a.components)
    if a.python:
        got = model.python_alerts(rules, cals)
        how = f"Python model ({type(model.base.PCRE).__name__})"
        note = f"{time.time() - t0:.1f} s"
    else:
        os.makedirs(a.out, exist_ok=True)
        pcap = os.path.join(a.out, f"ics-s{a.seed}-{a.components}.pcap")
        truth = calendars.write_capture(pcap, cals, labels, a.seed)
        with open(pcap[:-5] + ".truth.json", "w") as f:
            json.dump({"seed": a.seed, "components": a.components, "labels": labels,
                       "templates": templates, **truth}, f, indent=1, ensure_ascii=False)
        got, dt, no_uid = engine_alerts(a.bin, a.rules, pcap,
                                        os.path.join(a.out, f"ics-s{a.seed}-{a.components}.eve.json"))
        how = f"engine ({os.path.relpath(a.bin, ROOT)})"
        note = f"{truth['packets']} packets, {len(truth['flows'])} flows, engine {dt:.2f} s"
        if no_uid:
            note += f"; {no_uid} alerts without context.uid"
    table, fp, fn = model.score(rules, got, labels)
    n_labels = sum(len(v) for v in labels.values())
    print(f"meeting-secret rules: {len(rules)} rules; corpus seed {a.seed}: {a.components} "
          f"components in {len(cals)} calendars, {n_labels} labelled secrets, "
          f"{sum(1 for v in labels.values() if not v)} components that must stay silent")
    print(f"evaluated by the {how}: {note}")
    print(model.format_table(table))
    for title, keys in (("false positives", fp), ("false negatives", fn)):
        if keys:
            print(f"{title} ({sum(keys.values())}):")
            for (uid, sid, sec) in list(keys)[:a.show]:
                print(f"  {sid} {sec!r} {templates.get(uid, '?')} {uid}")
    bad = model.failures(table, a.min_precision, a.min_recall)
    for b in bad:
        print("BELOW TARGET:", b)
    print("OK" if not bad else "FAIL")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
