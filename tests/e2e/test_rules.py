"""Shipped rules (rules/plainsight.rules) against the engine: every test
vector of tests/rules/vectors.json as its own hand-built TCP session, with
and without --unmask-secrets; rule loading and rule errors; and the
generator's planted secrets (--secrets).

The expected alert fields come from the rule file and classification.config,
parsed here independently of the engine (msg, sid, rev, gid, classtype,
priority, metadata). The vectors are checked without the engine by
tests/rules/check_rules.py."""
import collections
import json
import os
import re
import subprocess
import sys

import check_alerts as planted
from harness import (ROOT, WORK, eq, of_type, run_ps, tcp_exchange, test, validate_schema,
                     write_pcap, generate)

RULES = os.path.join(ROOT, "rules", "plainsight.rules")
CLASSES = os.path.join(ROOT, "rules", "classification.config")
VECTORS = os.path.join(ROOT, "tests", "rules", "vectors.json")
SID_REDIRECT = 4300001
CLIENT, SERVER, SERVER_PORT = "10.66.0.10", "198.51.100.80", 80
REASONS = {200: "OK", 204: "No Content", 301: "Moved Permanently", 302: "Found",
           307: "Temporary Redirect", 308: "Permanent Redirect", 404: "Not Found"}


# --- the rule file, read independently ------------------------------------------

def _opts(text):
    """Split a rule's option list on ';' outside quotes (\\; and \\" escaped)."""
    out, cur, quoted, i = [], "", False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            cur += text[i:i + 2]
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    return out


def _unquote(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]
    return re.sub(r'\\([\\";])', r"\1", v)


def load_classes():
    classes = {}
    with open(CLASSES) as f:
        for line in f:
            m = re.match(r"\s*config classification:\s*([^,]+),([^,]+),\s*(\d+)\s*$", line)
            if m:
                classes[m.group(1).strip()] = (m.group(2).strip(), int(m.group(3)))
    return classes


def load_rules():
    """{sid: {msg, rev, gid, category, severity, metadata, direction}} of the shipped file."""
    classes = load_classes()
    rules = {}
    with open(RULES) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("alert "):
                continue
            body = line[line.index("(") + 1:line.rindex(")")]
            r = {"gid": 1, "rev": 0, "priority": None, "classtype": None, "metadata": {},
                 "direction": None, "token_reuse": "plainsight.token_reuse" in body}
            for opt in _opts(body):
                key, _, val = opt.partition(":")
                key = key.strip()
                if key in ("sid", "rev", "gid", "priority"):
                    r[key] = int(val)
                elif key in ("msg", "classtype"):
                    r[key] = _unquote(val)
                elif key == "flow":
                    r["direction"] = "to_client" if "to_client" in val else "to_server"
                elif key == "metadata":
                    for item in val.split(","):
                        k, _, v = item.strip().partition(" ")
                        r["metadata"].setdefault(k, []).append(v.strip())
            if "file.data" in body:  # a response body can only alert to the client
                r["direction"] = "to_client"
            desc, prio = classes[r["classtype"]]
            r["category"] = desc
            r["severity"] = r["priority"] if r["priority"] is not None else prio
            assert r["sid"] not in rules, f"sid {r['sid']} twice in {RULES}"
            rules[r["sid"]] = r
    return rules


def load_vectors():
    with open(VECTORS) as f:
        return json.load(f)["vectors"]


# --- one capture with every vector ----------------------------------------------------

def _request(v):
    body = v.get("request_body") or ""
    lines = [f"{v['method']} {v['uri']} HTTP/1.1", f"Host: {v['host']}"]
    lines += [f"{k}: {val}" for k, val in v.get("request_headers", [])]
    if body or v["method"] in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body.encode()


def _chunked(data, size=700):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def _response(v):
    import gzip
    body = (v.get("response_body") or "").encode()
    enc = v.get("response_encoding") or ""
    lines = [f"HTTP/1.1 {v['status']} {REASONS.get(v['status'], 'Status')}",
             "Date: Tue, 14 May 2024 09:00:00 GMT", "Server: nginx"]
    if v.get("content_type"):
        lines.append(f"Content-Type: {v['content_type']}")
    lines += [f"{k}: {val}" for k, val in v.get("response_headers", [])]
    if v.get("location"):
        lines.append(f"Location: {v['location']}")
    if "gzip" in enc:
        body = gzip.compress(body, mtime=0)
        lines.append("Content-Encoding: gzip")
    if "chunked" in enc:
        lines.append("Transfer-Encoding: chunked")
        body = _chunked(body)
    else:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _segments(side, data, mss=1400):
    return [(side, data[i:i + mss]) for i in range(0, len(data), mss)]


def vector_port(i):
    return 20000 + i


def build_capture(vectors):
    frames = []
    t0 = 1715677200000000
    for i, v in enumerate(vectors):
        plan = _segments("c", _request(v)) + _segments("s", _response(v))
        frames += tcp_exchange(CLIENT, SERVER, vector_port(i), SERVER_PORT, plan,
                               isn_c=1000 + i * 7919, isn_s=900000 + i * 104729,
                               t0=t0 + i * 2000000)
    return write_pcap(os.path.join(WORK, "rules-vectors.pcap"), frames)


def run_lines(pcap, name, *extra):
    out = os.path.join(WORK, name + ".eve.json")
    run_ps(["-r", pcap, "-o", out, "-S", RULES, "--eve-types", "alert,http", "--threads", "1"]
           + list(extra))
    with open(out) as f:
        lines = [line.rstrip("\n") for line in f]
    return lines, [json.loads(line) for line in lines]


def client_port(ev):
    return ev["dest_port"] if ev.get("src_port") == SERVER_PORT else ev["src_port"]


alert_secret = planted.alert_secret


def check_alerts(vectors, rules, lines, events, unmasked):
    validate_schema(events)
    by_port = collections.defaultdict(list)
    lines_by_port = collections.defaultdict(list)
    for line, ev in zip(lines, events):
        if ev.get("event_type") in ("alert", "http"):
            lines_by_port[client_port(ev)].append(line)
        if ev.get("event_type") == "alert":
            by_port[client_port(ev)].append(ev)
    known = {vector_port(i) for i in range(len(vectors))}
    stray = sorted(set(by_port) - known)
    assert not stray, f"alerts on ports no vector uses: {stray}"
    failures = []
    for i, v in enumerate(vectors):
        port = vector_port(i)
        want = collections.Counter(([v["sid"]] if v["sid"] is not None else []) + v.get("also", []))
        alerts = by_port.get(port, [])
        got = collections.Counter(a["alert"]["signature_id"] for a in alerts)
        if got != want:
            failures.append(f"{v['name']!r} (port {port}): alerts {sorted(got.elements())}, "
                            f"expected {sorted(want.elements())}")
            continue
        for a in alerts:
            al, sid = a["alert"], a["alert"]["signature_id"]
            r = rules[sid]
            what = f"{v['name']!r} sid {sid}"
            try:
                eq(a.get("tx_id"), 0, f"{what}: tx_id")
                eq((al.get("gid"), al.get("rev"), al.get("signature"), al.get("category"),
                    al.get("severity")),
                   (r["gid"], r["rev"], r["msg"], r["category"], r["severity"]),
                   f"{what}: alert fields")
                eq(al.get("action"), "allowed", f"{what}: action")
                eq(a.get("direction"), r["direction"], f"{what}: direction")
                eq(al.get("metadata"), r["metadata"], f"{what}: metadata")
                secret = alert_secret(al)
                if v["secret"] is not None:
                    if unmasked:
                        eq(secret, v["secret"], f"{what}: context secret")
                    else:
                        assert secret is not None, f"{what}: no context secret"
                        assert secret != v["secret"], f"{what}: secret not redacted"
            except AssertionError as e:
                failures.append(str(e))
        if not unmasked and v["secret"] is not None:
            needles = {v["secret"], json.dumps(v["secret"])[1:-1]}
            for line in lines_by_port.get(port, []):
                if any(n in line for n in needles):
                    failures.append(f"{v['name']!r}: secret appears in {line[:160]}...")
                    break
    assert not failures, f"{len(failures)} problems:\n  " + "\n  ".join(failures[:25])
    return sum(len(a) for a in by_port.values())


_capture = None


def vectors_capture():
    global _capture
    if _capture is None:
        vectors = load_vectors()
        _capture = (vectors, build_capture(vectors))
    return _capture


@test
def vectors_alert_as_expected_with_secrets_redacted():
    vectors, pcap = vectors_capture()
    lines, events = run_lines(pcap, "rules-vectors-masked")
    n = check_alerts(vectors, load_rules(), lines, events, unmasked=False)
    eq(len(of_type(events, "http")), len(vectors), "http events (one per vector)")
    assert n >= sum(1 for v in vectors if v["sid"] is not None)


@test
def vectors_alert_as_expected_with_unmask_secrets():
    vectors, pcap = vectors_capture()
    lines, events = run_lines(pcap, "rules-vectors-unmasked", "--unmask-secrets")
    check_alerts(vectors, load_rules(), lines, events, unmasked=True)


@test
def every_rule_has_a_vector():
    rules, vectors = load_rules(), load_vectors()
    pos = {s for v in vectors if v["sid"] is not None for s in [v["sid"]] + v.get("also", [])}
    # a token seen once is never reused: test_token_reuse.py covers sid 4400001
    cross_flow = {s for s, r in rules.items() if r["token_reuse"]}
    eq(sorted(set(rules) - pos - cross_flow), [], "rules without a positive vector")
    assert any(v["sid"] is None for v in vectors)


@test
def shipped_rules_load():
    rc, err = run_ps(["--test-rules", "-S", RULES], check=False)
    eq(rc, 0, f"--test-rules -S {RULES} exit code ({err.strip()})")
    n = len(load_rules())
    assert re.search(rf"\b{n} rules loaded, 0 skipped\b.*\b0 failed", err), err
    rc, err = run_ps(["--test-rules", "--strict", "-S", RULES], check=False)
    eq(rc, 0, f"--test-rules --strict exit code ({err.strip()})")
    rc, err = run_ps(["--test-rules"], check=False)
    eq(rc, 0, f"--test-rules on the shipped rules/ exit code ({err.strip()})")


@test
def rule_syntax_error_names_file_line_and_column():
    path = os.path.join(WORK, "broken.rules")
    good = ('alert http any any -> any any (msg:"fine"; flow:established,to_server; '
            'http.uri.raw; content:"/fine"; sid:9100001; rev:1;)')
    bad = ('alert http any any -> any any (msg:"broken"; flow:established,to_server; '
           'http.uri.raw; content:"/broken"; sid:notanumber; rev:1;)')
    with open(path, "w") as f:
        f.write(f"# a comment\n{good}\n{bad}\n")
    rc, err = run_ps(["--test-rules", "-S", path], check=False)
    eq(rc, 1, f"exit code ({err.strip()})")
    m = re.search(re.escape(path) + r":3:(\d+):", err)
    assert m, f"no {path}:3:COL in: {err}"
    col = int(m.group(1))
    assert 1 <= col <= len(bad), f"column {col} outside the rule"


@test
def planted_secrets_alert_once_each_and_nothing_else():
    pcap, truth = generate(11, "--sessions", "300", "--secrets", "20")
    secrets = truth["secrets"]
    assert len(secrets) > 20, f"only {len(secrets)} planted secrets"
    out = os.path.join(WORK, "planted.eve.json")
    run_ps(["-r", pcap, "-o", out, "-S", RULES, "--eve-types", "alert", "--unmask-secrets"])
    with open(out) as f:
        events = [json.loads(line) for line in f]
    validate_schema(events)
    want, got, extra, missing = planted.compare(events, truth)
    assert not extra and not missing, (
        f"{sum(extra.values())} unexpected alerts, e.g. {list(extra)[:3]}; "
        f"{sum(missing.values())} planted secrets not alerted, e.g. {list(missing)[:3]}")


@test
def rules_and_vectors_agree_without_the_engine():
    """tests/rules/check_rules.py: the vectors against the rule patterns in
    Python (PCRE2 or re), and the generator's ordinary traffic silent."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "rules", "check_rules.py")],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
