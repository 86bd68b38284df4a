"""Calendars in HTTP bodies: parsed per component, each component its own
inspection unit for the ics rules, with the event named in alert.context.

The captures are hand-built TCP sessions whose calendar text is written
here, so the expected alerts (which events leak, with what secret) are
known by construction."""
import gzip
import os

from harness import (WORK, eq, of_type, read_eve, run_ps, tcp_exchange, test, validate_schema,
                     write_pcap)

RULES = """\
alert ics any any -> any any (msg:"test passcode"; ics.text; content:"Passcode"; nocase; \
pcre:"/Passcode:[ ]*(?P<secret>[A-Za-z0-9]{6,10})/i"; sid:9100001; rev:1;)
alert ics any any -> any any (msg:"test summary word"; ics.summary; content:"Board"; \
sid:9100002; rev:1;)
alert ics any any -> any any (msg:"test attendee role"; ics.attendee; \
content:"mailto:postmaster@"; sid:9100003; rev:1;)
"""


def event(uid, summary, description, extra=""):
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T090000Z\r\n"
            f"DTSTART:20261124T100000Z\r\nSUMMARY:{summary}\r\n"
            f"ORGANIZER;CN=Jane Doe:mailto:jane@example.com\r\n"
            f"DESCRIPTION:{description}\r\n{extra}END:VEVENT\r\n")


def calendar(*events):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n")


def response(body, ctype="text/calendar; charset=utf-8", extra=""):
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def capture(name, sessions):
    """sessions: list of (request bytes, response bytes); one TCP session each."""
    frames = []
    for i, (req, resp) in enumerate(sessions):
        plan = [("c", req)] + [("s", resp[o:o + 1400]) for o in range(0, len(resp), 1400)]
        frames += tcp_exchange("10.1.0.5", "192.0.2.7", 41000 + i, 80, plan,
                               t0=1700000000000000 + i * 10000000)
    path = os.path.join(WORK, name + ".pcap")
    write_pcap(path, frames)
    return path


def run(pcap, *extra):
    rules = os.path.join(WORK, "ics-test.rules")
    with open(rules, "w") as f:
        f.write(RULES)
    out = pcap[:-5] + ".eve.json"
    run_ps(["-r", pcap, "-o", out, "-S", rules] + list(extra))
    events = read_eve(out)
    validate_schema(events)
    return events


GET = b"GET /feed.ics HTTP/1.1\r\nHost: cal.example.com\r\n\r\n"
FEED = calendar(
    event("ev-1@example.com", "Weekly sync", "Join Zoom\\nPasscode: 7Kq2Zx91\\nThanks"),
    event("ev-2@example.com", "Lunch", "No codes here"),
    event("ev-3@example.com", "Board review", "Passcode: Fk7Rq2ab\\, see you"),
    event("ev-4@example.com", "Ops",
          "Passcode: Zp3Lm8Qa and again Passcode: Zp3Lm8Qa",
          "ATTENDEE;CN=Post:mailto:postmaster@example.com\r\n"))


@test
def each_leaking_component_alerts_once_naming_its_event():
    events = run(capture("ics-feed", [(GET, response(FEED.encode()))]), "--unmask-secrets")
    alerts = of_type(events, "alert")
    got = sorted((a["alert"]["signature_id"], a["alert"]["context"]["uid"],
                  a["alert"]["context"].get("secret")) for a in alerts)
    eq(got, sorted([(9100001, "ev-1@example.com", "7Kq2Zx91"),
                    (9100001, "ev-3@example.com", "Fk7Rq2ab"),
                    (9100002, "ev-3@example.com", None),
                    (9100001, "ev-4@example.com", "Zp3Lm8Qa"),
                    (9100003, "ev-4@example.com", None)]), "alerts")
    ctx = next(a["alert"]["context"] for a in alerts
               if a["alert"]["context"]["uid"] == "ev-1@example.com")
    eq(ctx["summary"], "Weekly sync", "summary")
    eq(ctx["dtstart"], "20261124T100000Z", "dtstart")
    eq(ctx["organizer"], "mailto:jane@example.com", "organizer")
    eq(ctx["property"], "DESCRIPTION", "property")
    eq(ctx["component"], "VEVENT", "component")
    eq(ctx["secret_buffer"], "ics.text", "secret buffer")
    for a in alerts:
        eq(a["tx_id"], 0, "tx_id")
        eq(a["http"]["url"], "/feed.ics", "http object")


@test
def summary_in_context_is_redacted_unless_unmasked():
    feed = calendar(event("ev-9@example.com", "Passcode: Qw7Er5Ty for the bridge", "x"))
    pcap = capture("ics-summary", [(GET, response(feed.encode()))])
    events = run(pcap)
    alerts = of_type(events, "alert")
    eq(len(alerts), 1, "alerts")
    ctx = alerts[0]["alert"]["context"]
    assert "Qw7Er5Ty" not in str(alerts[0]), alerts[0]
    assert ctx["summary"].startswith("Passcode: [redacted]"), ctx["summary"]
    eq(ctx["secret"], "[redacted]", "short secret form")
    events = run(pcap, "--unmask-secrets")
    eq(of_type(events, "alert")[0]["alert"]["context"]["summary"],
       "Passcode: Qw7Er5Ty for the bridge", "unmasked summary")


@test
def calendars_found_by_content_chunked_gzip_and_uploads():
    body = FEED.encode()
    gz = gzip.compress(body)
    sessions = [
        # no text/calendar type, but the body is a calendar
        (GET, response(body, ctype="application/octet-stream")),
        # gzip content coding
        (GET, response(gz, extra="Content-Encoding: gzip\r\n")),
        # CalDAV PUT: the calendar is the request body
        (b"PUT /dav/ev.ics HTTP/1.1\r\nHost: cal.example.com\r\nContent-Type: text/calendar\r\n"
         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body,
         b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    ]
    events = run(capture("ics-forms", sessions), "--unmask-secrets")
    per_session = {}
    for a in of_type(events, "alert"):
        port = a["flow"]["src_port"]
        per_session.setdefault(port, set()).add((a["alert"]["signature_id"],
                                                 a["alert"]["context"]["uid"]))
    want = {(9100001, "ev-1@example.com"), (9100001, "ev-3@example.com"),
            (9100002, "ev-3@example.com"), (9100001, "ev-4@example.com"),
            (9100003, "ev-4@example.com")}
    eq(per_session, {41000: want, 41001: want, 41002: want}, "alerts per session")
    # 3 calendars of 4 events each, plus each calendar's own VCALENDAR unit
    eq(engine_counters(events, "ics"),
       {"calendars": 3, "components": 15, "malformed": 0, "truncated": 0, "memcap": 0,
        "memuse": 0}, "ics counters")


def engine_counters(events, module):
    """name=value pairs of the last `engine` event of a module."""
    msgs = [e["engine"]["message"] for e in of_type(events, "engine")
            if e["engine"].get("module") == module]
    assert msgs, f"no engine event for {module}"
    return {k: int(v) for k, v in (kv.split("=") for kv in msgs[-1].split())}


@test
def malformed_and_truncated_calendars_keep_what_was_read():
    broken = calendar(event("ok-1@example.com", "Sync", "Passcode: Ab12Cd34"))
    broken = broken.replace("END:VCALENDAR\r\n", "BEGIN:VEVENT\r\nUID:cut@example.com\r\n"
                            "DESCRIPTION:Passcode: Zz99Yy88")  # cut mid-event
    big = calendar(event("early@example.com", "Early", "Passcode: Er44Ly22"),
                   *[event(f"n-{i}@example.com", "Filler", "x" * 400) for i in range(20)],
                   event("late@example.com", "Late", "Passcode: Lt55Rr66"))
    pcap = capture("ics-bad", [(GET, response(broken.encode())),
                               (GET, response(big.encode()))])
    events = run(pcap, "--unmask-secrets", "--ics-max-size", "4K")
    anomalies = [(a["src_port"] if a["src_port"] != 80 else a["dest_port"],
                  a["anomaly"]["event"]) for a in of_type(events, "anomaly")]
    assert (41000, "ICS_CALENDAR_MALFORMED") in anomalies, anomalies
    assert (41001, "ICS_CALENDAR_TRUNCATED") in anomalies, anomalies
    uids = {a["alert"]["context"]["uid"] for a in of_type(events, "alert")}
    assert "ok-1@example.com" in uids, uids      # before the damage
    assert "early@example.com" in uids, uids     # inside the first 4 KiB
    assert "late@example.com" not in uids, uids  # beyond the cap
    c = engine_counters(events, "ics")
    eq((c["calendars"], c["malformed"], c["truncated"]), (2, 1, 1), "ics counters")
