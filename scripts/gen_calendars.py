#!/usr/bin/env python3
"""Write a seeded, labelled corpus of calendars whose meeting invitations leak
passwords, passcodes and dial-in codes (and look-alikes that must not alert),
for rules/meeting.rules: as .ics files, or as a capture of HTTP/1.1 calendar
fetches and CalDAV uploads with the alerts expected.

The same arguments give byte-identical files. Python 3.9+ standard library
only. Templates, languages and labels: scripts/gentraffic/calendars.py.

Labels (labels.json, or the truth's "labels"): per component UID, the alerts
expected, [{"kind": "a1".."a11", "sid": ..., "secret": ...}]; [] = nothing may
alert. A capture's truth adds "flows" (each flow's 4-tuple, client first, and
its transactions) and "alerts": one {flow, tx_id, sid, kind, where: "calendar",
secret, uid} per label, tx_id counting transactions within the flow.

Examples:
  gen_calendars.py --seed 1 --components 3000 --pcap cal.pcap      (truth: cal.truth.json)
  gen_calendars.py --seed 1 --components 200 --dir out/            (out/cal-0001.ics ..., out/labels.json)
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gentraffic import GENERATOR, calendars  # noqa: E402


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--components", type=int, default=1000,
                   help="number of components (events, to-dos) in all (default 1000)")
    p.add_argument("--per-calendar", default="1,20", metavar="MIN,MAX",
                   help="components per calendar (default 1,20)")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--pcap", help="write a capture of HTTP calendar transactions")
    out.add_argument("--dir", help="write cal-NNNN.ics files and labels.json into DIR")
    p.add_argument("--truth", help="truth JSON for --pcap (default: PCAP with .pcap -> .truth.json)")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv=None):
    p = build_parser()
    o = p.parse_args(argv)
    try:
        lo, hi = (int(x) for x in o.per_calendar.split(","))
        assert 1 <= lo <= hi
    except (ValueError, AssertionError):
        p.error("--per-calendar wants MIN,MAX with 1 <= MIN <= MAX")
    if o.components < 1:
        p.error("--components must be >= 1")
    cals, labels, templates = calendars.corpus(o.seed, o.components, (lo, hi))
    head = {"generator": GENERATOR, "seed": o.seed, "components": o.components,
            "calendars": len(cals), "labels": labels, "templates": templates}
    if o.dir:
        os.makedirs(o.dir, exist_ok=True)
        for i, (text, _) in enumerate(cals, 1):
            with open(os.path.join(o.dir, f"cal-{i:04d}.ics"), "w", newline="") as f:
                f.write(text)
        path = os.path.join(o.dir, "labels.json")
        with open(path, "w") as f:
            json.dump(head, f, indent=1, ensure_ascii=False)
            f.write("\n")
    else:
        truth = calendars.write_capture(o.pcap, cals, labels, o.seed)
        head.update(truth)
        path = o.truth or ((o.pcap[:-5] if o.pcap.endswith(".pcap") else o.pcap) + ".truth.json")
        with open(path, "w") as f:
            json.dump(head, f, indent=1, ensure_ascii=False)
            f.write("\n")
    if not o.quiet:
        n = sum(len(v) for v in labels.values())
        print(f"gen_calendars: {len(cals)} calendars, {o.components} components, {n} labelled "
              f"secrets; {o.dir or o.pcap}, labels in {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
