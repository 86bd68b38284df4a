#!/usr/bin/env python3
"""Check the meeting-secret rules (rules/meeting.rules, `alert ics`) without
the engine: a Python model of how plainsight evaluates ics rules, run over
the test vectors (tests/rules/ics_vectors.json), over the labelled calendar
corpus (scripts/gentraffic/calendars.py), and over the calendars the traffic
generator plants (gen_traffic.py --calendars).

  check_ics_rules.py                        vectors, patterns, corpus (seed 1, 1500 components)
  check_ics_rules.py --components 0         vectors and patterns only

The model, as the engine does it (engine/inspect_ics.c):
  - a calendar is unfolded (CRLF + space or tab) and split into components
    (VEVENT, VTODO, VALARM, ... and the VCALENDAR's own properties); each
    component is one inspection unit;
  - each property value is unescaped (\\n \\N \\, \\; \\\\; not for URI
    values: URL, CONFERENCE, ORGANIZER, ATTENDEE) and is one value of its
    buffer: ics.summary (SUMMARY), ics.description (DESCRIPTION, X-ALT-DESC),
    ics.location, ics.url, ics.organizer and ics.attendee (the address, and
    the CN parameter as a value of its own), ics.comment, ics.conference
    (CONFERENCE, X-GOOGLE-CONFERENCE, X-MICROSOFT-SKYPETEAMSMEETINGURL,
    X-MICROSOFT-ONLINEMEETINGCONFLINK, other X-...CONFERENCE/MEETINGURL),
    and ics.text: every text value, in property order;
  - a rule holds when each condition holds: a content or pcre holds when
    ANY value of its buffer matches, a negated one when none does, and the
    buffer must have a non-empty value either way; the pcre with a `secret`
    group yields, on the first value (property order) where it can, its
    first match whose secret passes min_len, min_entropy and the
    placeholder test (PCRE2 walks on after a match that fails);
  - a rule fires at most once per component.

Patterns are checked with the system's Hyperscan (exact compilation) and
matched with PCRE2 through ctypes when installed (else Python's `re`), as
tests/rules/check_rules.py does. Python 3.9+, standard library only.
"""
import argparse
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import check_rules as base  # noqa: E402

RULES = os.path.join(ROOT, "rules", "meeting.rules")
# Role-mailbox rules (alert ics too): checked on the vectors and, as must-not-
# alert, on the corpus and the planted calendars, none of which name a role.
ROLE_RULES = os.path.join(ROOT, "rules", "calendar.rules")
ROLE_SID_RANGE = (4400020, 4400029)
ROLE_KINDS = ("d5", "d6")
VECTORS = os.path.join(HERE, "ics_vectors.json")
ICS_BUFFERS = ("ics.summary", "ics.description", "ics.location", "ics.url", "ics.organizer",
               "ics.attendee", "ics.comment", "ics.conference", "ics.text")
SID_RANGE = (4200001, 4200099)
KINDS = ["a%d" % i for i in range(1, 12)]


# --- rules -----------------------------------------------------------------------------------

class IcsRule:
    """One `alert ics` rule: conditions per buffer, post-filters, metadata."""

    def __init__(self, line, lineno):
        self.line, self.lineno = line, lineno
        self.meta = {}
        self.conds = []
        self.min_len = 0
        self.min_entropy = 0.0
        self.classtype = None
        self.header = line.partition("(")[0].split()
        buf = None
        body = line[line.index("(") + 1:line.rindex(")")]
        for opt in base.split_options(body):
            key, _, val = opt.partition(":")
            key = key.strip()
            if key in ICS_BUFFERS:
                buf = key
            elif key == "content":
                v = val.strip()
                neg = v.startswith("!")
                self.conds.append({"buffer": buf, "kind": "content", "negated": neg,
                                   "value": base.unquote(v.lstrip("!"))})
            elif key in ("nocase", "fast_pattern", "startswith", "endswith"):
                self.conds[-1][key] = True
            elif key == "pcre":
                v = val.strip()
                neg = v.startswith("!")
                v = base.unquote(v.lstrip("!"))
                end = v.rindex("/")
                pattern, flags = v[1:end], v[end + 1:]
                self.conds.append({"buffer": buf, "kind": "pcre", "negated": neg,
                                   "pattern": pattern, "flags": flags,
                                   "match": base.PCRE.compile(pattern, flags),
                                   "secret": "(?P<secret>" in pattern})
            elif key == "plainsight.min_len":
                self.min_len = int(val)
            elif key == "plainsight.min_entropy":
                self.min_entropy = float(val)
            elif key == "metadata":
                for item in val.split(","):
                    k, _, v = item.strip().partition(" ")
                    self.meta.setdefault(k, []).append(v.strip())
            elif key in ("sid", "rev", "gid", "priority"):
                setattr(self, key, int(val))
            elif key in ("msg", "classtype"):
                setattr(self, key, base.unquote(val))
            elif key == "reference":
                pass
            else:
                raise ValueError(f"line {lineno}: option {key!r} is not modelled")
        self.kind = (self.meta.get("kind") or [None])[0]


def load_rules(path=RULES):
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line and not line.startswith("#"):
                rules.append(IcsRule(line, n))
    return rules


# --- calendars -----------------------------------------------------------------------------

URI_PROPS = {"URL", "CONFERENCE", "ORGANIZER", "ATTENDEE", "ATTACH", "TZURL", "SOURCE", "IMAGE"}
NOT_TEXT = {"DTSTART", "DTEND", "DTSTAMP", "DUE", "CREATED", "LAST-MODIFIED", "RECURRENCE-ID",
            "RRULE", "RDATE", "EXDATE", "SEQUENCE", "PRIORITY", "PERCENT-COMPLETE", "GEO",
            "TZOFFSETFROM", "TZOFFSETTO", "DURATION", "TRIGGER", "FREEBUSY", "COMPLETED",
            "REPEAT", "VERSION", "CALSCALE"}
FIELD = {"SUMMARY": "ics.summary", "DESCRIPTION": "ics.description", "X-ALT-DESC": "ics.description",
         "LOCATION": "ics.location", "URL": "ics.url", "ORGANIZER": "ics.organizer",
         "ATTENDEE": "ics.attendee", "COMMENT": "ics.comment", "CONFERENCE": "ics.conference",
         "X-GOOGLE-CONFERENCE": "ics.conference",
         "X-MICROSOFT-SKYPETEAMSMEETINGURL": "ics.conference",
         "X-MICROSOFT-ONLINEMEETINGCONFLINK": "ics.conference"}


def _field(name):
    if name in FIELD:
        return FIELD[name]
    if name.startswith("X-") and (name.endswith("CONFERENCE") or name.endswith("MEETINGURL")):
        return "ics.conference"
    return None


def unescape(v):
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), v)


def _split_line(line):
    """'NAME;P=v;Q="a:b":value' -> (NAME, {P: v, Q: a:b}, value)."""
    i, n = 0, len(line)
    while i < n and line[i] not in ";:":
        i += 1
    name = line[:i].upper()
    params = {}
    while i < n and line[i] == ";":
        j = i + 1
        while j < n and line[j] not in "=;:":
            j += 1
        pname = line[i + 1:j].upper()
        vals = []
        if j < n and line[j] == "=":
            j += 1
            while True:
                if j < n and line[j] == '"':
                    k = line.find('"', j + 1)
                    k = n if k < 0 else k
                    vals.append(line[j + 1:k])
                    j = k + 1
                else:
                    k = j
                    while k < n and line[k] not in ",;:":
                        k += 1
                    vals.append(line[j:k])
                    j = k
                if j < n and line[j] == ",":
                    j += 1
                    continue
                break
        params[pname] = ",".join(vals)
        i = j
    value = line[i + 1:] if i < n and line[i] == ":" else ""
    return name, params, value


class Component:
    def __init__(self, kind):
        self.kind = kind
        self.uid = ""
        self.props = []          # (name, params, value) in order, value unescaped

    def buffers(self):
        bufs = collections.defaultdict(list)
        for name, params, value in self.props:
            if name in NOT_TEXT:
                continue
            values = [value]
            if name in ("ORGANIZER", "ATTENDEE") and params.get("CN"):
                values.append(params["CN"])
            f = _field(name)
            for v in values:
                if f:
                    bufs[f].append(v)
                bufs["ics.text"].append(v)
        return bufs


def parse_calendar(text):
    """Components of a calendar (str or bytes), in the order they end."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = re.sub(r"\r?\n[ \t]", "", text)
    stack, out = [], []
    for line in re.split(r"\r?\n", text):
        if not line:
            continue
        name, params, value = _split_line(line)
        if name == "BEGIN":
            stack.append(Component(value.upper()))
        elif name == "END":
            if stack:
                c = stack.pop()
                if c.props:
                    out.append(c)
        elif stack:
            v = value if name in URI_PROPS else unescape(value)
            stack[-1].props.append((name, params, v))
            if name == "UID":
                stack[-1].uid = v
    while stack:  # unterminated: keep what was read
        c = stack.pop()
        if c.props:
            out.append(c)
    return out


# --- evaluation ---------------------------------------------------------------------------------

def _passes(rule, sec):
    s = sec.decode("latin-1")  # judge bytes, as the engine does
    return (len(sec) >= rule.min_len and base.entropy(s) >= rule.min_entropy
            and not base.is_placeholder(s))


def _hit(cond, data):
    if cond["kind"] == "content":
        v, d = cond["value"].encode(), data
        if cond.get("nocase"):
            v, d = v.lower(), d.lower()
        if cond.get("startswith") and cond.get("endswith"):
            return d == v
        if cond.get("startswith"):
            return d.startswith(v)
        if cond.get("endswith"):
            return d.endswith(v)
        return v in d
    return next(cond["match"](data), None) is not None


def evaluate_component(rules, comp):
    """[(sid, secret or None)] for one component."""
    bufs = {k: [v.encode() for v in vals if v] for k, vals in comp.buffers().items()}
    fired = []
    for r in rules:
        ok, secret = True, None
        for c in r.conds:
            vals = bufs.get(c["buffer"]) or []
            if not vals:
                ok = False
                break
            if c["kind"] == "pcre" and c["secret"] and not c["negated"]:
                found = None
                for v in vals:
                    for _s, _e, sec in c["match"](v):
                        if sec is not None and _passes(r, sec):
                            found = sec
                            break
                    if found is not None:
                        break
                if found is None:
                    ok = False
                    break
                if secret is None:
                    secret = found.decode("utf-8", errors="replace")
            elif any(_hit(c, v) for v in vals) == c["negated"]:
                ok = False
                break
        if ok:
            fired.append((r.sid, secret))
    return fired


def evaluate_calendar(rules, text):
    """[(uid, sid, secret)] for a whole calendar."""
    out = []
    for comp in parse_calendar(text):
        for sid, sec in evaluate_component(rules, comp):
            out.append((comp.uid, sid, sec))
    return out


# --- scoring --------------------------------------------------------------------------------------

def score(rules, got, labels):
    """got: Counter of (uid, sid, secret); labels: {uid: [{kind, sid, secret}]}.
    Returns {kind: [tp, fp, fn]} (plus "all") and the lists of fp / fn keys."""
    kind_of = {r.sid: r.kind for r in rules}
    want = collections.Counter()
    for uid, ls in labels.items():
        for lab in ls:
            want[(uid, lab["sid"], lab["secret"])] += 1
    table = {k: [0, 0, 0] for k in KINDS + ["all"]}
    tp = got & want
    fp = got - want
    fn = want - got
    for (uid, sid, _), n in tp.items():
        table[kind_of.get(sid, "?")][0] += n
        table["all"][0] += n
    for (uid, sid, _), n in fp.items():
        table.setdefault(kind_of.get(sid, "?"), [0, 0, 0])[1] += n
        table["all"][1] += n
    for (uid, sid, _), n in fn.items():
        table.setdefault(kind_of.get(sid, "?"), [0, 0, 0])[2] += n
        table["all"][2] += n
    return table, fp, fn


def ratio(a, b):
    return a / b if b else None


def format_table(table):
    lines = [f"{'kind':5} {'labels':>7} {'alerts':>7} {'tp':>6} {'fp':>5} {'fn':>5} "
             f"{'precision':>9} {'recall':>7}"]
    for k in KINDS + ["all"]:
        tp, fp, fn = table.get(k, [0, 0, 0])
        p, r = ratio(tp, tp + fp), ratio(tp, tp + fn)
        lines.append(f"{k:5} {tp + fn:7} {tp + fp:7} {tp:6} {fp:5} {fn:5} "
                     f"{'-' if p is None else f'{p:.4f}':>9} {'-' if r is None else f'{r:.4f}':>7}")
    return "\n".join(lines)


def failures(table, min_precision, min_recall):
    bad = []
    for k in KINDS + ["all"]:
        tp, fp, fn = table.get(k, [0, 0, 0])
        p, r = ratio(tp, tp + fp), ratio(tp, tp + fn)
        if p is not None and p < min_precision:
            bad.append(f"{k}: precision {p:.4f} < {min_precision}")
        if r is not None and r < min_recall:
            bad.append(f"{k}: recall {r:.4f} < {min_recall}")
    return bad


def python_alerts(rules, calendars):
    """Counter of (uid, sid, secret) over [(text, uids)]."""
    got = collections.Counter()
    for text, _ in calendars:
        for key in evaluate_calendar(rules, text):
            got[key] += 1
    return got


# --- checks -----------------------------------------------------------------------------------------

def check_patterns(rules, classes, role=False):
    """role: the role-mailbox rules (calendar.rules), which report no secret."""
    problems = []
    seen = set()
    sid_range = ROLE_SID_RANGE if role else SID_RANGE
    classtype, family = ("role-mailbox", "role_mailbox") if role else \
        ("meeting-secret", "meeting_secret")
    for r in rules:
        if r.sid in seen:
            problems.append(f"sid {r.sid} used twice")
        seen.add(r.sid)
        if not sid_range[0] <= r.sid <= sid_range[1]:
            problems.append(f"sid {r.sid} outside {sid_range}")
        if r.header[:2] != ["alert", "ics"]:
            problems.append(f"sid {r.sid}: not an `alert ics` rule")
        if r.classtype != classtype or r.classtype not in classes:
            problems.append(f"sid {r.sid}: classtype {r.classtype}")
        if r.meta.get("family") != [family] or r.kind not in (ROLE_KINDS if role else KINDS) or \
                (r.meta.get("severity") or [""])[0] not in ("high", "medium", "low"):
            problems.append(f"sid {r.sid}: metadata {r.meta}")
        if not r.msg.startswith("PLAINSIGHT "):
            problems.append(f"sid {r.sid}: msg does not start with PLAINSIGHT")
        if sum(1 for c in r.conds if c["kind"] == "pcre" and c["secret"]) != (0 if role else 1):
            problems.append(f"sid {r.sid}: needs exactly one pcre with a secret group")
        for c in r.conds:
            if c["buffer"] not in ICS_BUFFERS:
                problems.append(f"sid {r.sid}: condition without an ics buffer")
            if c["kind"] != "pcre":
                continue
            p = c["pattern"]
            bare = re.sub(r"\[(?:\\.|[^\]\\])*\]", "C", p)  # character classes out of the way
            for bad, why in ((r"(?<!\\)\\[1-9]", "back-reference"), (r"\(\?[=!]|\(\?<[=!]", "look-around"),
                             (r"\(\?>", "atomic group"), (r"[*+?}]\+", "possessive"),
                             (r"\\K", r"\K")):
                if re.search(bad, bare):
                    problems.append(f"sid {r.sid}: {why} in {p[:60]}")
            for m in re.finditer(r"\{(\d+)(?:,(\d*))?\}", p):
                if int(m.group(2) or m.group(1)) > 100:
                    problems.append(f"sid {r.sid}: large bounded repeat {m.group(0)}")
            if base.HS is not None:
                msg = base.HS.check(p, c["flags"], False)
                if msg:
                    problems.append(f"sid {r.sid}: Hyperscan refuses {p[:60]}...: {msg}")
    return problems


def check_vectors(rules, vectors):
    problems = []
    covered_pos, covered_neg = collections.Counter(), collections.Counter()
    for v in vectors:
        want = sorted(([v["sid"]] if v["sid"] is not None else []) + v.get("also", []))
        comps = [c for c in parse_calendar(v["calendar"]) if c.kind != "VCALENDAR"]
        if len(comps) != 1:
            problems.append(f"{v['name']}: {len(comps)} components, expected one")
            continue
        if "\r\n" not in v["calendar"] or any(len(x.encode()) > 75
                                               for x in v["calendar"].split("\r\n")):
            problems.append(f"{v['name']}: not CRLF or not folded at 75 octets")
        fired = []
        for c in parse_calendar(v["calendar"]):
            fired += evaluate_component(rules, c)
        got = sorted(s for s, _ in fired)
        if got != want:
            problems.append(f"{v['name']}: fired {got} {fired}, expected {want}")
            continue
        if v["sid"] is not None:
            covered_pos[v["sid"]] += 1
            for s in v.get("also", []):
                covered_pos[s] += 1
            sec = dict(fired)[v["sid"]]
            if sec != v["secret"]:
                problems.append(f"{v['name']}: secret {sec!r}, expected {v['secret']!r}")
        else:
            if v.get("secret") is not None:
                problems.append(f"{v['name']}: a negative vector has a secret")
            for s in v.get("near", []):
                covered_neg[s] += 1
    for r in rules:
        if not covered_pos[r.sid]:
            problems.append(f"sid {r.sid}: no positive vector")
        if not covered_neg[r.sid]:
            problems.append(f"sid {r.sid}: no negative vector (list it in a negative's 'near')")
    return problems


def check_generator_table(rules):
    """calendars.SIDS mirrors the rule file (kind, min_len, min_entropy)."""
    from gentraffic import calendars
    problems = []
    by_sid = {r.sid: r for r in rules}
    for sid, (kind, min_len, min_ent) in calendars.SIDS.items():
        r = by_sid.get(sid)
        if r is None:
            problems.append(f"calendars.SIDS: sid {sid} is not in the rule file")
        elif (r.kind, r.min_len, r.min_entropy) != (kind, min_len, min_ent):
            problems.append(f"calendars.SIDS[{sid}] = {(kind, min_len, min_ent)}, rule says "
                            f"{(r.kind, r.min_len, r.min_entropy)}")
    for r in rules:
        if r.sid not in calendars.SIDS:
            problems.append(f"sid {r.sid} missing from calendars.SIDS")
    return problems


def check_planted(rules, seed, sessions, pct):
    """gen_traffic.py --calendars PCT: every planted calendar through the model
    against the truth records; exact agreement is required."""
    import gen_traffic
    from gentraffic import scheduler
    from gentraffic.calendars import CalendarPlanter

    o = gen_traffic.build_parser().parse_args(
        ["--out", os.devnull, "--seed", str(seed), "--sessions", str(sessions),
         "--calendars", str(pct)])
    planter = CalendarPlanter(o.seed, pct)
    want, got = collections.Counter(), collections.Counter()
    n_cal = [0]

    def plant(rng, plan, flow):
        recs = planter(rng, plan, flow)
        for r in recs:
            want[(r["flow"]["src_port"], r["tx_id"], r["uid"], r["sid"], r["secret"])] += 1
        for i, tx in enumerate(plan.specs()):
            for body in (tx.request_body, tx.entity if tx.has_response_body() else b""):
                if body.startswith(b"BEGIN:VCALENDAR"):
                    n_cal[0] += 1
                    for uid, sid, sec in evaluate_calendar(rules, body):
                        got[(flow["src_port"], i, uid, sid, sec)] += 1
        return recs
    g = scheduler.Generator(o, {}, plant)
    for n in range(sessions):
        g._new_session(1700000000000000 + n)
    problems = [f"planted calendars: unexpected alert {k}" for k in got - want]
    problems += [f"planted calendars: expected alert missing {k}" for k in want - got]
    return problems, n_cal[0], sum(want.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", default=RULES)
    ap.add_argument("--vectors", default=VECTORS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--components", type=int, default=1500,
                    help="labelled corpus size for the precision/recall pass (0: skip)")
    ap.add_argument("--sessions", type=int, default=300,
                    help="generated sessions for the --calendars planter pass (0: skip)")
    ap.add_argument("--min-precision", type=float, default=0.99)
    ap.add_argument("--min-recall", type=float, default=0.98)
    a = ap.parse_args()
    return run(a.rules, a.vectors, a.seed, a.components, a.sessions, a.min_precision,
               a.min_recall)


def run(rules_path=RULES, vectors_path=VECTORS, seed=1, components=1500, sessions=300,
        min_precision=0.99, min_recall=0.98, out=sys.stdout):
    rules = load_rules(rules_path)
    role = load_rules(ROLE_RULES) if rules_path == RULES else []
    problems = check_patterns(rules, base.load_classes())
    problems += check_patterns(role, base.load_classes(), role=True)
    problems += check_generator_table(rules)
    with open(vectors_path) as f:
        vectors = json.load(f)["vectors"]
    problems += check_vectors(rules + role, vectors)
    print(f"{len(rules)} ics rules, {len(vectors)} calendar vectors; PCRE engine: "
          f"{type(base.PCRE).__name__}, Hyperscan: {'yes' if base.HS else 'not installed'}",
          file=out)
    if components:
        from gentraffic import calendars
        cals, labels, _ = calendars.corpus(seed, components)
        table, fp, fn = score(rules, python_alerts(rules, cals), labels)
        print(f"labelled corpus (seed {seed}, {components} components):", file=out)
        print(format_table(table), file=out)
        problems += failures(table, min_precision, min_recall)
        stray = python_alerts(role, cals) if role else {}
        if stray:
            problems.append(f"role-mailbox rules fire on the corpus: {list(stray)[:3]}")
    if sessions:
        p, ncal, nrec = check_planted(rules, seed, sessions, 10)
        print(f"planted calendars (--calendars 10, {sessions} sessions): {ncal} calendars, "
              f"{nrec} expected alerts, {len(p)} mismatches", file=out)
        problems += p
    for p in problems:
        print("PROBLEM:", p, file=out)
    print("OK" if not problems else f"{len(problems)} problems", file=out)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
