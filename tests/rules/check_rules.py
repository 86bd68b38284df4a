#!/usr/bin/env python3
"""Check the shipped rules without the engine: a small Python model of rule
evaluation (the subset rules/plainsight.rules uses) run over the test
vectors, over a generated capture's planted secrets, and over its ordinary
traffic, which must raise nothing.

  check_rules.py                      vectors + patterns + generator (seed 1, 400 sessions)
  check_rules.py --sessions 0         vectors and patterns only

The meeting-secret rules (rules/meeting.rules, `alert ics`) are checked too,
by check_ics_rules.py (calendar vectors, the labelled calendar corpus, the
generator's planted calendars); --no-ics skips them.

Patterns are compiled with the system's Hyperscan (exact, not prefilter; block
mode, stream mode for bodies) and matched with PCRE2, both through ctypes,
when libhs.so.5 / libpcre2-8.so.0 are installed; otherwise Python's `re`
stands in for PCRE2 and the Hyperscan check is skipped.

The model: a rule holds when each of its conditions holds (contents with
nocase/startswith/endswith/negation, pcres) on present, non-empty buffers;
the pcre with a `secret` group yields the first match whose secret passes
min_len, min_entropy and the placeholder test; family C holds when the
response is a redirect upgrade and a request-side rule found a secret;
plainsight.scanner holds when a rule found a secret in the request target
and the User-Agent matches a `ua` line of rules/scanners.conf (the vectors'
client address is in no `net` range); plainsight.token_reuse never holds on
one transaction (tests/e2e/test_token_reuse.py covers it), so its rule needs
only a negative vector here.
Python 3.9+, standard library only.
"""
import argparse
import collections
import ctypes
import json
import math
import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from gentraffic.postfilter import is_placeholder  # noqa: E402  the engine's placeholder test
RULES = os.path.join(ROOT, "rules", "plainsight.rules")
CLASSES = os.path.join(ROOT, "rules", "classification.config")
VECTORS = os.path.join(HERE, "vectors.json")
SCANNERS = os.path.join(ROOT, "rules", "scanners.conf")

REQUEST_BUFFERS = {"http.uri.raw", "http.host", "http.uri", "http.header", "http.method",
                   "http.user_agent"}
TARGET_BUFFERS = {"http.uri.raw", "http.uri"}
BODY_BUFFERS = {"file.data", "http.response_body"}
RESPONSE_BUFFERS = {"http.response_header", "http.location", "http.stat_code"}


# --- PCRE2 and Hyperscan through ctypes ---------------------------------------

class _Pcre2:
    CASELESS, DOTALL, MULTILINE, EXTENDED = 0x8, 0x20, 0x400, 0x80

    def __init__(self):
        lib = ctypes.CDLL("libpcre2-8.so.0")
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        lib.pcre2_compile_8.restype = vp
        lib.pcre2_compile_8.argtypes = [ctypes.c_char_p, sz, ctypes.c_uint32,
                                        ctypes.POINTER(ctypes.c_int), ctypes.POINTER(sz), vp]
        lib.pcre2_match_data_create_from_pattern_8.restype = vp
        lib.pcre2_match_data_create_from_pattern_8.argtypes = [vp, vp]
        lib.pcre2_match_8.argtypes = [vp, ctypes.c_char_p, sz, sz, ctypes.c_uint32, vp, vp]
        lib.pcre2_get_ovector_pointer_8.restype = ctypes.POINTER(sz)
        lib.pcre2_get_ovector_pointer_8.argtypes = [vp]
        lib.pcre2_substring_number_from_name_8.argtypes = [vp, ctypes.c_char_p]
        lib.pcre2_get_error_message_8.argtypes = [ctypes.c_int, ctypes.c_char_p, sz]
        self.lib = lib

    def compile(self, pattern, flags):
        opts = 0
        for ch, bit in (("i", self.CASELESS), ("s", self.DOTALL), ("m", self.MULTILINE),
                        ("x", self.EXTENDED)):
            if ch in flags:
                opts |= bit
        err, off = ctypes.c_int(), ctypes.c_size_t()
        b = pattern.encode()
        code = self.lib.pcre2_compile_8(b, len(b), opts, ctypes.byref(err), ctypes.byref(off), None)
        if not code:
            buf = ctypes.create_string_buffer(256)
            self.lib.pcre2_get_error_message_8(err, buf, 256)
            raise ValueError(f"PCRE2: {buf.value.decode()} at offset {off.value}")
        md = self.lib.pcre2_match_data_create_from_pattern_8(code, None)
        group = self.lib.pcre2_substring_number_from_name_8(code, b"secret")
        lib = self.lib
        unset = ctypes.c_size_t(-1).value

        def finditer(data):
            pos = 0
            while pos <= len(data):
                if lib.pcre2_match_8(code, data, len(data), pos, 0, md, None) < 0:
                    return
                ov = lib.pcre2_get_ovector_pointer_8(md)
                s, e = ov[0], ov[1]
                sec = None
                if group > 0 and ov[2 * group] != unset:
                    sec = data[ov[2 * group]:ov[2 * group + 1]]
                yield s, e, sec
                pos = e if e > s else e + 1
        return finditer


class _PyRe:
    def compile(self, pattern, flags):
        f = 0
        for ch, bit in (("i", re.I), ("s", re.S), ("m", re.M), ("x", re.X)):
            if ch in flags:
                f |= bit
        rx = re.compile(pattern.encode(), f)

        def finditer(data):
            for m in rx.finditer(data):
                sec = m.group("secret") if "secret" in rx.groupindex else None
                yield m.start(), m.end(), sec
        return finditer


class _Hyperscan:
    class _Err(ctypes.Structure):
        _fields_ = [("message", ctypes.c_char_p), ("expression", ctypes.c_int)]

    def __init__(self):
        lib = ctypes.CDLL("libhs.so.5")
        vp = ctypes.c_void_p
        lib.hs_compile.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint, vp,
                                   ctypes.POINTER(vp), ctypes.POINTER(ctypes.POINTER(self._Err))]
        lib.hs_free_compile_error.argtypes = [vp]
        lib.hs_free_database.argtypes = [vp]
        self.lib = lib

    def check(self, pattern, flags, stream):
        """None when Hyperscan compiles the pattern exactly, else its message."""
        hs_flags = 0
        for ch, bit in (("i", 1), ("s", 2), ("m", 4)):
            if ch in flags:
                hs_flags |= bit
        db, err = ctypes.c_void_p(), ctypes.POINTER(self._Err)()
        mode = 2 if stream else 1
        if self.lib.hs_compile(pattern.encode(), hs_flags, mode, None, ctypes.byref(db),
                               ctypes.byref(err)) != 0:
            msg = err.contents.message.decode()
            self.lib.hs_free_compile_error(err)
            return msg
        self.lib.hs_free_database(db)
        return None


def _load(cls):
    try:
        return cls()
    except OSError:
        return None


PCRE = _load(_Pcre2) or _PyRe()
HS = _load(_Hyperscan)


# --- rule file -------------------------------------------------------------------

def split_options(text):
    """'a:1; b:"x\\;y"; c' -> ['a:1', 'b:"x\\;y"', 'c'] (quotes and \\; respected)."""
    opts, cur, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            opts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        opts.append("".join(cur).strip())
    return opts


def unquote(v):
    v = v.strip()
    if v.startswith('"') and v.endswith('"'):
        v = v[1:-1]
    return re.sub(r'\\([\\";])', r"\1", v)


class Rule:
    def __init__(self, line, lineno):
        self.line, self.lineno = line, lineno
        self.meta = {}
        self.conds = []          # dicts: buffer, kind, value, flags...
        self.min_len = 0
        self.min_entropy = 0.0
        self.redirect_upgrade = self.request_secret = False
        self.token_reuse = self.scanner = False
        self.flow = ""
        head, _, body = line.partition("(")
        self.header = head.split()
        buf = None
        for opt in split_options(body.rstrip().rstrip(")")):
            key, _, val = opt.partition(":")
            key = key.strip()
            if key in ("http.host", "http.uri.raw", "http.uri", "file.data", "http.response_body",
                       "http.header", "http.method", "http.location", "http.stat_code",
                       "http.response_header", "http.user_agent"):
                buf = "file.data" if key == "http.response_body" else key
            elif key == "content":
                neg = val.strip().startswith("!")
                self.conds.append({"buffer": buf, "kind": "content", "negated": neg,
                                   "value": unquote(val.strip().lstrip("!"))})
            elif key in ("nocase", "startswith", "endswith", "fast_pattern"):
                self.conds[-1][key] = True
            elif key == "pcre":
                v = val.strip()
                neg = v.startswith("!")
                v = unquote(v.lstrip("!"))
                end = v.rindex("/")
                pattern, flags = v[1:end], v[end + 1:]
                self.conds.append({"buffer": buf, "kind": "pcre", "negated": neg,
                                   "pattern": pattern, "flags": flags,
                                   "match": PCRE.compile(pattern, flags),
                                   "secret": "(?P<secret>" in pattern})
            elif key == "plainsight.min_len":
                self.min_len = int(val)
            elif key == "plainsight.min_entropy":
                self.min_entropy = float(val)
            elif key == "http.redirect_upgrade":
                self.redirect_upgrade = True
            elif key == "plainsight.request_secret":
                self.request_secret = True
            elif key == "plainsight.token_reuse":
                self.token_reuse = True
            elif key == "plainsight.scanner":
                self.scanner = True
            elif key == "flow":
                self.flow = val.strip()
            elif key == "metadata":
                for item in val.split(","):
                    k, _, v = item.strip().partition(" ")
                    self.meta.setdefault(k, []).append(v.strip())
            elif key in ("msg", "classtype", "sid", "rev", "gid", "priority"):
                v = unquote(val)
                setattr(self, key, int(v) if key in ("sid", "rev", "gid", "priority") else v)
            elif key == "reference":
                pass
            else:
                raise ValueError(f"line {lineno}: option {key!r} is not modelled")
        self.to_client = "to_client" in self.flow

    @property
    def second_pass(self):
        return self.request_secret or self.redirect_upgrade or self.token_reuse or self.scanner

    @property
    def secret_buffer(self):
        for c in self.conds:
            if c["kind"] == "pcre" and c["secret"]:
                return c["buffer"]
        return None


def load_rules(path=RULES):
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line and not line.startswith("#"):
                rules.append(Rule(line, n))
    return rules


def load_classes(path=CLASSES):
    classes = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*config classification:\s*([^,]+),([^,]+),\s*(\d+)", line)
            if m:
                classes[m.group(1).strip()] = (m.group(2).strip(), int(m.group(3)))
    return classes


# --- post-filters ---------------------------------------------------------------------

def entropy(s):
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in collections.Counter(s).values())


def passes(rule, secret):
    return (len(secret) >= rule.min_len and entropy(secret) >= rule.min_entropy
            and not is_placeholder(secret))


# --- one transaction ---------------------------------------------------------------

def _decoded_target(target):
    if "://" in target.split("?", 1)[0]:
        rest = target.split("://", 1)[1]
        i = min([x for x in (rest.find("/"), rest.find("?")) if x >= 0] or [len(rest)])
        target = rest[i:] or "/"
    return urllib.parse.unquote(target.split("#", 1)[0])


def redirect_upgrade(tx):
    loc = tx.get("location")
    if tx.get("status") not in (301, 302, 307, 308) or \
            not (loc or "").lower().startswith("https://"):
        return False
    rest = loc[8:]
    i = min([x for x in (rest.find("/"), rest.find("?"), rest.find("#")) if x >= 0] or [len(rest)])
    auth, path = rest[:i], rest[i:] or "/"
    host = auth.rsplit("@", 1)[-1]
    if host.endswith(":443"):
        host = host[:-4]
    elif ":" in host:
        return False
    return (host.lower().rstrip(".") == tx["host"].lower().rstrip(".")
            and _decoded_target(path) == _decoded_target(tx["uri"]))


def response_header_buffer(tx):
    """"Name: value\r\n" per response header, as the engine joins them (the
    ones the vector's test capture writes, test_rules.py _response)."""
    hdrs = [("Date", "Tue, 14 May 2024 09:00:00 GMT"), ("Server", "nginx")]
    if tx.get("content_type"):
        hdrs.append(("Content-Type", tx["content_type"]))
    hdrs += [tuple(h) for h in tx.get("response_headers", [])]
    if tx.get("location"):
        hdrs.append(("Location", tx["location"]))
    return "".join(f"{k}: {v}\r\n" for k, v in hdrs).encode()


def request_header(tx, name):
    for k, v in tx.get("request_headers", []):
        if k.lower() == name:
            return v
    return ""


def buffers(tx):
    host = tx["host"].lower()
    if host.count(":") == 1:
        host = host.split(":")[0]
    body = tx.get("response_body") or ""
    return {"http.host": host.encode(), "http.uri.raw": tx["uri"].encode(),
            "http.method": tx.get("method", "GET").encode(),
            "http.user_agent": request_header(tx, "user-agent").encode(),
            "http.response_header": response_header_buffer(tx),
            "file.data": body.encode() if isinstance(body, str) else body}


_SCANNER_UA = None


def scanner_agent(ua):
    """Does ua match a `ua` line of rules/scanners.conf (caseless, unanchored)?"""
    global _SCANNER_UA
    if _SCANNER_UA is None:
        _SCANNER_UA = []
        with open(SCANNERS) as f:
            for line in f:
                parts = line.split(None, 2)
                if len(parts) == 3 and parts[0] == "ua":
                    _SCANNER_UA.append(PCRE.compile(parts[2].strip(), "i"))
    return bool(ua) and any(next(m(ua.encode()), None) is not None for m in _SCANNER_UA)


def _cond_holds(c, data):
    if c["kind"] == "content":
        v = c["value"].encode()
        d = data
        if c.get("nocase"):
            v, d = v.lower(), d.lower()
        if c.get("startswith") and c.get("endswith"):
            hit = d == v
        elif c.get("startswith"):
            hit = d.startswith(v)
        elif c.get("endswith"):
            hit = d.endswith(v)
        else:
            hit = v in d
        return hit != c["negated"]
    hit = next(c["match"](data), None) is not None
    return hit != c["negated"]


def evaluate(rules, tx):
    """[(sid, secret or None)] for one transaction (dict shaped like a vector)."""
    bufs = buffers(tx)
    fired = []
    request_secret = target_secret = False
    for r in rules:
        if r.second_pass:
            continue
        ok = True
        secret = None
        for c in r.conds:
            data = bufs.get(c["buffer"], b"")
            if not data:
                ok = False
                break
            if c["kind"] == "pcre" and c["secret"] and not c["negated"]:
                for _s, _e, sec in c["match"](data):
                    if sec is not None and passes(r, sec.decode(errors="replace")):
                        secret = sec.decode(errors="replace")
                        break
                if secret is None:
                    ok = False
                    break
            elif not _cond_holds(c, data):
                ok = False
                break
        if ok:
            fired.append((r.sid, secret))
            if secret is not None and r.secret_buffer not in BODY_BUFFERS:
                request_secret = True
                target_secret |= r.secret_buffer in TARGET_BUFFERS
    first = list(fired)
    for r in rules:
        if not r.second_pass or r.token_reuse:
            continue
        if r.scanner and not (target_secret and scanner_agent(request_header(tx, "user-agent"))):
            continue
        if not all(_cond_holds(c, bufs.get(c["buffer"], b"")) and bufs.get(c["buffer"])
                   for c in r.conds):
            continue
        if (not r.redirect_upgrade or redirect_upgrade(tx)) and \
                (not r.request_secret or request_secret):
            cause = next((s for sid, s in first if s is not None), None)
            fired.append((r.sid, cause))
    return fired


# --- checks ------------------------------------------------------------------------

def check_patterns(rules):
    problems = []
    seen = set()
    for r in rules:
        if r.sid in seen:
            problems.append(f"sid {r.sid} used twice")
        seen.add(r.sid)
        body = {c["buffer"] in BODY_BUFFERS | RESPONSE_BUFFERS for c in r.conds}
        if body and (True in body) != r.to_client:
            problems.append(f"sid {r.sid}: flow {r.flow!r} does not fit its buffers")
        for c in r.conds:
            if c["kind"] != "pcre":
                continue
            p = c["pattern"]
            for bad, why in ((r"(?<!\\)\\[1-9]", "back-reference"), (r"\(\?[=!<]", "look-around"),
                             (r"\(\?>", "atomic group"), (r"[*+?}]\+", "possessive"),
                             (r"\\K", r"\K")):
                if re.search(bad, p.replace("(?P<", "").replace("(?<secret>", "")):
                    problems.append(f"sid {r.sid}: {why} in {p[:60]}")
            for m in re.finditer(r"\{(\d+)(?:,(\d+))?\}", p):
                if int(m.group(2) or m.group(1)) > 1000:
                    problems.append(f"sid {r.sid}: repeat {m.group(0)} > 1000")
            if HS is not None:
                msg = HS.check(p, c["flags"], c["buffer"] in BODY_BUFFERS)
                if msg:
                    problems.append(f"sid {r.sid}: Hyperscan refuses {p[:60]}...: {msg}")
    return problems


def check_vectors(rules, vectors):
    problems = []
    by_sid = {r.sid: r for r in rules}
    covered_pos, covered_neg = collections.Counter(), collections.Counter()
    for v in vectors:
        want = sorted(([v["sid"]] if v["sid"] is not None else []) + v.get("also", []))
        fired = evaluate(rules, v)
        got = sorted(s for s, _ in fired)
        if got != want:
            problems.append(f"{v['name']}: fired {got}, expected {want}")
            continue
        if v["sid"] is not None:
            covered_pos[v["sid"]] += 1
            for s in v.get("also", []):
                covered_pos[s] += 1
            sec = dict(fired)[v["sid"]]
            if sec != v["secret"]:
                problems.append(f"{v['name']}: secret {sec!r}, expected {v['secret']!r}")
            r = by_sid[v["sid"]]
            if sec and (entropy(sec) < r.min_entropy + 0.05):
                problems.append(f"{v['name']}: secret entropy {entropy(sec):.2f} too close to "
                                f"the floor {r.min_entropy}")
        else:
            if v.get("secret") is not None:
                problems.append(f"{v['name']}: a negative vector has a secret")
            for s in v.get("near", []):
                covered_neg[s] += 1
    for r in rules:
        if not covered_pos[r.sid] and not r.token_reuse:
            problems.append(f"sid {r.sid}: no positive vector")
        if not covered_neg[r.sid]:
            problems.append(f"sid {r.sid}: no negative vector (list it in a negative's 'near')")
    return problems


def generated_transactions(seed, sessions, secrets_pct):
    """Every planned transaction of a generated capture, with the flow's
    client port, plus the truth's secrets; nothing is written to disk."""
    import gen_traffic
    from gentraffic import scheduler
    from gentraffic.secrets import Planter

    o = gen_traffic.build_parser().parse_args(
        ["--out", os.devnull, "--seed", str(seed), "--sessions", str(sessions),
         "--secrets", str(secrets_pct)])
    txs = []
    secrets = []
    planter = Planter(o.seed, secrets_pct) if secrets_pct else None

    def plant(rng, plan, flow):
        recs = planter(rng, plan, flow) if planter else []
        secrets.extend(recs)
        for i, tx in enumerate(plan.specs()):
            txs.append(({"host": tx.host, "uri": tx.uri, "status": tx.status,
                         "location": tx.location, "method": tx.method,
                         "content_type": tx.content_type,
                         "request_headers": [("User-Agent", tx.user_agent or "")],
                         "response_headers": tx.response_headers,
                         "response_body": tx.entity if tx.has_response_body() else b""},
                        (flow["src_ip"], flow["src_port"], i)))
        return recs
    g = scheduler.Generator(o, {}, plant)
    n = 0
    while n < sessions:
        g._new_session(1700000000000000 + n)
        n += 1
    return txs, secrets


def check_generated(rules, seed, sessions, secrets_pct):
    problems = []
    txs, secrets = generated_transactions(seed, sessions, secrets_pct)
    want = collections.Counter((r["flow"]["src_ip"], r["flow"]["src_port"], r["tx_id"], r["sid"],
                                r["secret"]) for r in secrets)
    got = collections.Counter()
    for tx, key in txs:
        for sid, sec in evaluate(rules, tx):
            got[key + (sid, sec)] += 1
    for k in got - want:
        problems.append(f"unexpected alert {k}")
    for k in want - got:
        problems.append(f"planted secret not found {k}")
    return problems, len(txs), len(secrets)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", default=RULES)
    ap.add_argument("--vectors", default=VECTORS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sessions", type=int, default=400)
    ap.add_argument("--secrets", type=float, default=20,
                    help="planted-secret percentage for the second pass (0: skip it)")
    ap.add_argument("--no-ics", action="store_true", help="skip check_ics_rules.py")
    a = ap.parse_args()
    rules = load_rules(a.rules)
    classes = load_classes()
    problems = check_patterns(rules)
    for r in rules:
        if r.classtype not in classes:
            problems.append(f"sid {r.sid}: unknown classtype {r.classtype}")
    with open(a.vectors) as f:
        vectors = json.load(f)["vectors"]
    problems += check_vectors(rules, vectors)
    print(f"{len(rules)} rules, {len(vectors)} vectors; PCRE engine: {type(PCRE).__name__}, "
          f"Hyperscan: {'yes' if HS else 'not installed'}")
    if a.sessions:
        p, ntx, _ = check_generated(rules, a.seed, a.sessions, 0)
        print(f"ordinary traffic: {ntx} transactions, {len(p)} alerts")
        problems += p
        if a.secrets:
            p, ntx, nsec = check_generated(rules, a.seed, a.sessions, a.secrets)
            print(f"planted (--secrets {a.secrets:g}): {ntx} transactions, {nsec} secrets, "
                  f"{len(p)} mismatches")
            problems += p
    if not a.no_ics and os.path.exists(os.path.join(ROOT, "rules", "meeting.rules")):
        import check_ics_rules
        print("--- rules/meeting.rules (check_ics_rules.py) ---")
        if check_ics_rules.run(seed=a.seed, components=1500 if a.sessions else 0,
                               sessions=min(a.sessions, 300)) != 0:
            problems.append("check_ics_rules.py failed (see above)")
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
