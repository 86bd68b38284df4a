#!/usr/bin/env python3
"""Write a seeded, deterministic capture of realistic HTTP/1.1 traffic and its
ground truth (JSON), for Plainsight's end-to-end tests and benchmarks.

The same arguments and seed give byte-identical files.  Python 3.9+ standard
library only.  The truth lists every TCP flow (client = src) with per-direction
frame and wire-byte counts (every frame: retransmissions, pure ACKs, each IP
fragment) and every HTTP transaction with its decoded fields.

Truth field notes:
  host                     the Host name without its ":port" (the header carries
                           the port when it is not 80)
  content_type             response Content-Type up to the first ';', or null
  response_body_len        body after de-chunking and gzip decoding
  response_body_wire_len   body after de-chunking, before content decoding (what
                           Content-Length counts; the compressed size with gzip)
  status                   the final status (an interim "100 Continue" precedes
                           it when expect_continue is true)
  ip_fragments             IP fragment frames in the flow (also counted in pkts)
  secrets                  with --secrets: every planted secret, {flow: {src_ip,
                           src_port, dest_ip, dest_port}, tx_id, sid (the rule
                           of rules/plainsight.rules that must alert), kind,
                           where (uri | body), secret}; see gentraffic/secrets.py.
                           With --calendars, also every alert the planted
                           calendars must raise (rules/meeting.rules): the same
                           record with where "calendar" and the component's uid;
                           see gentraffic/calendars.py. With --reuse, also the
                           cross-flow and header alerts (gentraffic/reuse.py): a
                           token-reuse record names its "clients" (scanner, user);
                           header and calendar records have secret null

Examples:
  gen_traffic.py --seed 1 --sessions 50 --out small.pcap
  gen_traffic.py --seed 7 --size 1G --ipv6 30 --vlan 10 --out big.pcap
  gen_traffic.py --seed 3 --sessions 40 --linktype sll2 --frag 5 --reorder 3 --out x.pcap
  gen_traffic.py --seed 11 --sessions 300 --secrets 20 --out planted.pcap
  gen_traffic.py --seed 11 --sessions 300 --calendars 10 --out calendars.pcap
  gen_traffic.py --seed 11 --sessions 400 --rate 4 --reuse 10 --out reuse.pcap
"""

import argparse
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gentraffic.calendars import CalendarPlanter  # noqa: E402
from gentraffic.packet import LINKTYPES  # noqa: E402
from gentraffic.reuse import ReusePlanter  # noqa: E402
from gentraffic.scheduler import Generator  # noqa: E402
from gentraffic.secrets import Planter  # noqa: E402

_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text):
    """'300K', '64M', '1G', '12345' -> bytes (K/M/G are powers of 1024)."""
    t = text.strip().upper().rstrip("B")
    unit = t[-1:] if t[-1:] in ("K", "M", "G") else ""
    num = t[:-1] if unit else t
    try:
        value = float(num)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: use a number with K, M or G")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive: {text!r}")
    return int(value * _SUFFIX[unit])


def percent(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad percentage {text!r}")
    if not 0 <= v <= 100:
        raise argparse.ArgumentTypeError(f"percentage out of 0..100: {text!r}")
    return int(v) if v == int(v) else v


def parse_time(text):
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.datetime.fromisoformat(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad time {text!r}: use e.g. 2024-05-14T09:00:00Z")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1000000 + dt.microsecond


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="capture to write (classic pcap)")
    p.add_argument("--truth", help="ground truth JSON (default: OUT with .pcap -> .truth.json)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--size", type=parse_size,
                   help="stop starting sessions once the file reaches SIZE (K/M/G = 2^10/20/30), "
                        "then finish the open ones")
    g.add_argument("--sessions", type=int, help="number of sessions (default 100)")
    p.add_argument("--linktype", choices=sorted(LINKTYPES), default="ethernet",
                   help="ethernet (1, default), raw (101), sll (113), sll2 (276), null (0)")
    p.add_argument("--ipv6", type=percent, default=20, metavar="PCT",
                   help="percent of sessions over IPv6 (default 20)")
    p.add_argument("--vlan", type=percent, default=0, metavar="PCT",
                   help="percent of sessions with one 802.1Q tag (ethernet only)")
    p.add_argument("--qinq", type=percent, default=0, metavar="PCT",
                   help="percent of sessions with 802.1ad + 802.1Q tags (ethernet only)")
    p.add_argument("--midstream", type=percent, default=0, metavar="PCT",
                   help="percent of sessions that start without a handshake")
    p.add_argument("--reorder", type=percent, default=0, metavar="PCT",
                   help="percent chance for each data segment to be swapped with the next one")
    p.add_argument("--retransmit", type=percent, default=0, metavar="PCT",
                   help="percent of data segments sent again (identical) a little later")
    p.add_argument("--frag", type=percent, default=0, metavar="PCT",
                   help="percent of data-bearing IP packets split into 2-3 IP fragments")
    p.add_argument("--snaplen", type=int, default=0, metavar="N",
                   help="cut frames to N bytes (wire length kept); 0 = no cut")
    p.add_argument("--start-time", type=parse_time, default=parse_time("2024-05-14T09:00:00Z"),
                   dest="start_us", metavar="ISO8601",
                   help="time of the first session (default 2024-05-14T09:00:00Z)")
    p.add_argument("--rate", type=float, default=40.0,
                   help="mean new sessions per second of capture time (default 40)")
    p.add_argument("--max-body", type=parse_size, default=6 << 20, metavar="SIZE",
                   help="largest message body, response or upload (default 6M)")
    p.add_argument("--secrets", type=percent, default=0, metavar="PCT",
                   help="percent of sessions given a planted secret (share URL, webhook, "
                        "sign-in or presigned link, in a request or a response body), and "
                        "as many given a harmless look-alike; listed in the truth (default 0)")
    p.add_argument("--calendars", type=percent, default=0, metavar="PCT",
                   help="percent of sessions where one transaction becomes a calendar: a feed "
                        "fetch (text/calendar, 1-10 invitations leaking meeting passcodes or "
                        "look-alikes) or a CalDAV PUT upload; expected alerts listed in the "
                        "truth's secrets (default 0)")
    p.add_argument("--reuse", type=percent, default=0, metavar="PCT",
                   help="percent of sessions given a cross-flow plant: a sign-in link fetched "
                        "by a mail scanner and later by the user, fetched twice by one client, "
                        "POSTed by a scanner; an HSTS or Public-Key-Pins header; a calendar "
                        "with a role-mailbox organizer or attendee; expected alerts in the "
                        "truth's secrets (default 0)")
    p.add_argument("--quiet", action="store_true", help="no summary on stderr")
    return p


def _with_calendars(secrets, calendars):
    """One plant hook: the secrets planter first, then the calendar planter on
    a transaction the first one left alone. Each keeps its own random stream."""
    def plant(rng, plan, flow):
        recs = secrets(rng, plan, flow) if secrets is not None else []
        return recs + calendars(rng, plan, flow, {r["tx_id"] for r in recs})
    return plant


def _with_reuse(reuse, others):
    """The reuse planter first; a session it takes is left alone by the others."""
    def plant(rng, plan, flow):
        recs = reuse(rng, plan, flow)
        if recs is not None:
            return recs
        return others(rng, plan, flow) if others is not None else []
    return plant


def main(argv=None):
    p = build_parser()
    o = p.parse_args(argv)
    if o.size is None and o.sessions is None:
        o.sessions = 100
    if o.sessions is not None and o.sessions < 0:
        p.error("--sessions must be >= 0")
    if o.snaplen and o.snaplen < 16:
        p.error("--snaplen must be 0 or at least 16")
    if o.qinq + o.vlan > 100:
        p.error("--vlan + --qinq must not exceed 100")
    if o.rate <= 0:
        p.error("--rate must be positive")
    truth_path = o.truth
    if truth_path is None:
        base = o.out[:-5] if o.out.endswith(".pcap") else o.out
        truth_path = base + ".truth.json"
    args = {k: v for k, v in sorted(vars(o).items())
            if k not in ("out", "truth", "quiet", "start_us") and
            (k not in ("calendars", "reuse") or v)}
    args["start_time"] = datetime.datetime.fromtimestamp(
        o.start_us / 1e6, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    t0 = time.time()
    try:
        plant = Planter(o.seed, o.secrets) if o.secrets else None
        if o.calendars:
            plant = _with_calendars(plant, CalendarPlanter(o.seed, o.calendars))
        if o.reuse:
            plant = _with_reuse(ReusePlanter(o.seed, o.reuse), plant)
        truth, size = Generator(o, args, plant).run(o.out, truth_path)
    except OSError as e:
        print(f"gen_traffic: {e}", file=sys.stderr)
        return 1
    if not o.quiet:
        http = sum(len(f["http"]) for f in truth["flows"])
        print(f"gen_traffic: {o.out}: {size} bytes, {truth['packets']} frames, "
              f"{len(truth['flows'])} flows, {http} HTTP transactions, "
              f"{len(truth['secrets'])} planted secrets or calendar alerts "
              f"in {time.time() - t0:.1f} s; truth in {truth_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
