"""Cross-flow rules (rules/plainsight.rules, sids 4400001-4400002): a
token-bearing link requested by several clients, a mail scanner POSTing to
one; the scanner fingerprint file; and the same findings on a generated
capture (gen_traffic.py --reuse), checked against its ground truth.

Hand-built sessions each fetch an Auth.js sign-in link (sid 4100017 finds the
token in the request target); clients, user agents and times are chosen per
case, so what must alert is known without running plainsight."""
import collections
import hashlib
import os
import sys

from harness import (ROOT, WORK, eq, generate, read_eve, run_ps, tcp_exchange, test,
                     validate_schema, write_pcap)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_alerts  # noqa: E402

RULES = os.path.join(ROOT, "rules", "plainsight.rules")
SERVER, SPORT = "192.0.2.80", 80
HOST = "app.example.com"
CHROME_OLD = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/103.0.5060.134 Safari/537.36")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
PREVIEW = "MicrosoftPreview/2.0 (+https://aka.ms/MicrosoftPreview)"
T0 = 1715677200000000
SEC = 1000000


def token(n):
    return hashlib.sha256(b"plainsight-token-%d" % n).hexdigest()


def link(tok):
    return f"/api/auth/callback/email?callbackUrl=%2F&token={tok}&email=jane%40example.com"


def session(client, cport, t0, uri, ua, method="GET"):
    body = b"csrfToken=abc" if method == "POST" else b""
    req = (f"{method} {uri} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: {ua}\r\n"
           + (f"Content-Length: {len(body)}\r\n" if method == "POST" else "")
           + "\r\n").encode() + body
    page = b"<html><body>Signed in</body></html>\n"
    resp = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
            b"Content-Length: %d\r\n\r\n" % len(page)) + page
    return tcp_exchange(client, SERVER, cport, SPORT, [("c", req), ("s", resp)], t0=t0,
                        isn_c=cport * 7, isn_s=cport * 13)


# (client, port, seconds after T0, token number, user agent, method)
FETCHES = [
    # 1: a Safe Links relay (microsoft-eop address) fetches, the user follows 20 s later,
    #    then a third client: one reuse alert, naming the first two
    ("104.47.18.20", 40001, 0, 1, CHROME_OLD, "GET"),
    ("10.1.2.3", 40002, 20, 1, FIREFOX, "GET"),
    ("10.7.7.7", 40003, 40, 1, FIREFOX, "GET"),
    # 2: the same client twice, on two connections: nothing
    ("10.1.2.4", 40011, 60, 2, FIREFOX, "GET"),
    ("10.1.2.4", 40012, 70, 2, FIREFOX, "GET"),
    # 3: a link previewer (by user agent) POSTs: the scanner POST alert
    ("10.9.9.9", 40021, 80, 3, PREVIEW, "POST"),
    # 4: a user's own POST: nothing beyond the token rule
    ("10.1.2.5", 40031, 90, 4, FIREFOX, "POST"),
    # 5: two clients two hours apart: outside the default 1 h window
    ("10.1.2.6", 40041, 100, 5, FIREFOX, "GET"),
    ("10.1.2.7", 40042, 100 + 7200, 5, FIREFOX, "GET"),
]
SCANNER_POST = {40021}
REUSE = {40002}  # the transaction that completes the client set, in packet time


def capture():
    path = os.path.join(WORK, "token-reuse.pcap")
    if not os.path.exists(path):
        frames = []
        for client, port, secs, n, ua, method in FETCHES:
            frames += session(client, port, T0 + secs * SEC, link(token(n)), ua, method)
        frames.sort(key=lambda f: f[0])
        write_pcap(path, frames)
    return path


def run(name, *extra, pcap=None):
    out = os.path.join(WORK, name + ".eve.json")
    run_ps(["-r", pcap or capture(), "-o", out, "-S", RULES] + list(extra))
    events = read_eve(out)
    validate_schema(events)
    return events


def alerts(events, sid=None):
    return [e for e in events if e.get("event_type") == "alert"
            and (sid is None or e["alert"]["signature_id"] == sid)]


def reuse_identity(ev):
    """What a reuse alert is, whatever transaction carries it."""
    ctx = ev["alert"]["context"]
    clients = tuple((c["ip"], c["first_seen"], c["user_agent"], c.get("scanner"))
                    for c in ctx["token_reuse"]["clients"])
    return (ev["alert"]["signature_id"], ctx["cause"]["signature_id"], ctx["cause"]["secret"],
            clients, ctx["token_reuse"]["scanner_involved"])


@test
def scanner_then_user_gives_one_reuse_alert_naming_both():
    events = run("reuse-t1", "--threads", "1", "--unmask-secrets")
    got = alerts(events, 4400001)
    eq(len(got), 1, "token reuse alerts")
    ev = got[0]
    eq((ev["src_ip"], ev["src_port"], ev["dest_port"], ev["tx_id"], ev["direction"]),
       ("10.1.2.3", 40002, 80, 0, "to_server"), "the user's transaction carries it")
    ctx = ev["alert"]["context"]
    eq(ctx["cause"]["signature_id"], 4100017, "cause rule")
    eq(ctx["cause"]["secret"], token(1), "cause secret (unmasked)")
    tr = ctx["token_reuse"]
    eq([(c["ip"], c.get("scanner"), c["user_agent"]) for c in tr["clients"]],
       [("104.47.18.20", "microsoft-eop", CHROME_OLD), ("10.1.2.3", None, FIREFOX)],
       "clients in order of first fetch")
    eq([c["first_seen"][:19] for c in tr["clients"]],
       ["2024-05-14T09:00:00", "2024-05-14T09:00:20"], "first fetch times")
    eq((tr["distinct_clients"], tr["scanner_involved"]), (2, True), "client count, scanner")
    # every fetch of a token is still its own 4100017 alert
    eq(collections.Counter(e["src_port"] for e in alerts(events, 4100017)),
       collections.Counter(p for _, p, *_ in FETCHES), "token rule alerts")


@test
def same_client_twice_and_far_apart_clients_give_no_reuse_alert():
    events = run("reuse-t1b", "--threads", "1")
    eq(sorted(e["src_port"] for e in alerts(events, 4400001)), sorted(REUSE),
       "reuse alerts (token 2: one client; token 5: two hours apart)")
    wide = run("reuse-window", "--threads", "1", "--token-reuse-window", "10800")
    eq(sorted(e["src_port"] for e in alerts(wide, 4400001)), sorted(REUSE | {40042}),
       "with a 3 h window the two-hours-apart fetches are reuse")


@test
def scanner_post_gets_its_own_alert():
    events = run("reuse-post", "--threads", "1")
    got = alerts(events, 4400002)
    eq(sorted(e["src_port"] for e in got), sorted(SCANNER_POST), "scanner POST alerts")
    ctx = got[0]["alert"]["context"]
    eq(ctx["scanner"], {"name": "microsoft-preview", "matched": "user_agent"}, "scanner context")
    eq(got[0]["alert"]["severity"], 1, "severity")
    assert ctx["cause"]["secret"] != token(3), "cause secret redacted by default"


@test
def secrets_stay_redacted_in_cross_flow_alerts():
    events = run("reuse-masked", "--threads", "1")
    blob = "\n".join(str(e) for e in events)
    for n in (1, 2, 3, 4, 5):
        assert token(n) not in blob, f"token {n} appears in the output"
    eng = [e for e in events if e.get("event_type") == "engine"
           and e["engine"]["module"] == "token_reuse"]
    eq(len(eng), 1, "token_reuse engine event")
    kv = dict(p.split("=") for p in eng[0]["engine"]["message"].split())
    eq((kv["lookups"], kv["alerts"]), (str(len(FETCHES)), "1"), "token_reuse counters")
    assert int(kv["memuse"]) > 0 and int(kv["memcap"]) == 16 << 20, kv


@test
def same_alerts_with_one_and_four_threads():
    """What token_reuse.h guarantees: the same alerts, and for a token with
    two clients the same reuse alert (sid, cause, secret, clients); for a
    token with three, one alert naming two of them (which two depends on
    the order the workers process the fetches in)."""
    by_threads = {}
    for n in ("1", "4"):
        events = run(f"reuse-threads-{n}", "--threads", n)
        reuse = [reuse_identity(e) for e in alerts(events, 4400001)]
        others = sorted((e["alert"]["signature_id"], e["src_ip"], e["src_port"], e["tx_id"])
                        for e in alerts(events) if e["alert"]["signature_id"] != 4400001)
        by_threads[n] = (reuse, others)
    eq(by_threads["4"][1], by_threads["1"][1], "alerts other than reuse, --threads 4 vs 1")
    token1 = {c for c, _, _, n, _, _ in FETCHES if n == 1}
    for n, (reuse, _) in by_threads.items():
        eq(len(reuse), 1, f"reuse alerts with --threads {n}")
        clients = {c[0] for c in reuse[0][3]}
        assert len(clients) == 2 and clients <= token1, f"--threads {n}: clients {clients}"
        eq(reuse[0][:3], by_threads["1"][0][0][:3], f"sid, cause, secret with --threads {n}")
    # two clients per token: the identity is exact
    pcap = os.path.join(WORK, "reuse-two.pcap")
    frames = []
    for k in range(6):
        frames += session(f"10.20.0.{k + 1}", 42000 + k, T0 + k * SEC, link(token(100 + k // 2)),
                          FIREFOX)
    frames.sort(key=lambda f: f[0])
    write_pcap(pcap, frames)
    ids = {n: sorted(reuse_identity(e) for e in alerts(run(f"reuse-two-{n}", "--threads", n,
                                                           pcap=pcap), 4400001))
           for n in ("1", "4")}
    eq(len(ids["1"]), 3, "three tokens, three reuse alerts")
    eq(ids["4"], ids["1"], "reuse alerts with --threads 4 vs 1")


@test
def user_scanner_file_adds_fingerprints_and_bad_lines_stop_the_run():
    pcap = os.path.join(WORK, "reuse-custom.pcap")
    write_pcap(pcap, session("10.3.3.3", 41000, T0, link(token(9)), "ExampleLinkChecker/1.0",
                             "POST"))
    eq(alerts(run("reuse-custom-none", pcap=pcap), 4400002), [], "unknown agent: no alert")
    extra = os.path.join(WORK, "extra-scanners.conf")
    with open(extra, "w") as f:
        f.write("# ours\nua example-checker ^ExampleLinkChecker/\nnet lab 10.200.0.0/16\n")
    got = alerts(run("reuse-custom", "--scanners", extra, pcap=pcap), 4400002)
    eq([e["alert"]["context"]["scanner"]["name"] for e in got], ["example-checker"],
       "fingerprint from --scanners")
    bad = os.path.join(WORK, "bad-scanners.conf")
    with open(bad, "w") as f:
        f.write("ua ok Fine/\n\nnet broken 10.0.0.0/33\nmaybe x y\n")
    rc, err = run_ps(["-r", pcap, "-o", os.path.join(WORK, "bad.json"), "--scanners", bad],
                     check=False)
    eq(rc, 78, "exit code for a bad fingerprint file")
    assert f"{bad}:3: error:" in err and f"{bad}:4: error:" in err, err
    rc, err = run_ps(["--test-rules", "--scanners", bad], check=False)
    eq(rc, 1, "--test-rules with a bad fingerprint file")
    rc, _ = run_ps(["-r", pcap, "-o", os.path.join(WORK, "m.json"), "--scanners",
                    os.path.join(WORK, "missing.conf")], check=False)
    eq(rc, 66, "exit code for a missing fingerprint file")


@test
def generated_reuse_plants_alert_as_the_truth_says():
    pcap, truth = generate(21, "--sessions", "400", "--rate", "4", "--secrets", "5",
                           "--calendars", "5", "--reuse", "10")
    kinds = collections.Counter(s["sid"] for s in truth["secrets"] if s["sid"] >= 4400001)
    for sid in (4400001, 4400002, 4400010, 4400011, 4400020):
        assert kinds[sid] > 0, f"the generator planted nothing for {sid}: {kinds}"
    assert any(s.get("case") == "same_client" for s in truth["secrets"]), "no same-client case"
    results = {}
    for n in ("1", "4"):
        out = os.path.join(WORK, f"gen-reuse-{n}.eve.json")
        run_ps(["-r", pcap, "-o", out, "--unmask-secrets", "--eve-types", "alert",
                "--threads", n])
        events = read_eve(out)
        _, got, extra, missing = check_alerts.compare(events, truth)
        eq(sum(1 for k in got.elements() if k[0] == "reuse"), kinds[4400001],
           f"reuse alerts (--threads {n})")
        assert not extra and not missing, (
            f"--threads {n}: {sum(extra.values())} unexpected, e.g. {list(extra)[:3]}; "
            f"{sum(missing.values())} missing, e.g. {list(missing)[:3]}")
        results[n] = sorted(map(str, got.elements()))
    eq(results["4"], results["1"], "alerts, --threads 4 vs 1")
