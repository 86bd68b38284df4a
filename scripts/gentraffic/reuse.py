"""Cross-flow plants (--reuse PCT): what rules/plainsight.rules family D and
rules/calendar.rules must find, with the look-alikes they must not.

For PCT % of sessions the planter takes the whole session (the --secrets and
--calendars planters then leave it alone) for one case:

  scanner_then_user  the session comes from a mail scanner -- an address in
                     a range of rules/scanners.conf (its User-Agent a stale
                     desktop Chrome) or a link previewer's User-Agent from an
                     ordinary address -- and its first transaction GETs a
                     sign-in link (a B10 kind of secrets.py); the first
                     session that starts 5-25 s later from another client
                     GETs the same link (same host, same token) in its first
                     GET. Truth: the token rule on both fetches, and sid
                     4400001 (token reuse) with "clients": [scanner, user]
                     in order of first fetch, "flow"/"tx_id" the user's.
  same_client        one client GETs a sign-in link twice in one session
                     (keep-alive): the token rule twice, no reuse.
  scanner_post       a scanner GETs a sign-in link, then POSTs to it (as
                     Safe Links detonation does); a single-transaction
                     session only POSTs: the token rule on each, and sid
                     4400002 on the POST. Truth records carry "case".
  hsts / pkp         one response gets Strict-Transport-Security (sid
                     4400010) or Public-Key-Pins / -Report-Only (4400011);
                     look-alikes (X-Strict-Transport-Security, the words in a
                     body) ride along some of the time.
  role_mailbox       one GET answered 200 becomes a calendar feed of 1-3
                     plain events (no meeting secrets); some have a role
                     mailbox as organizer (sid 4400020) or attendee
                     (4400021), the others look-alikes (CN=Admin Team,
                     admin.jane@, webmasters@).

Records follow secrets.py's format ({flow, tx_id, sid, kind, where, secret});
header and calendar alerts carry no secret (null), calendar ones the uid.
A scanner_then_user link whose user session never comes (end of capture)
yields no reuse record. Randomness: the planter's own random.Random seeded
from --seed; without --reuse nothing calls it, so captures stay the same.
"""

import ipaddress
import random

from . import catalog
from .httpplan import _weighted
from .secrets import B62, HEX, KINDS, build

SID_REUSE, SID_SCANNER_POST = 4400001, 4400002
SID_HSTS, SID_PKP = 4400010, 4400011
SID_ROLE_ORGANIZER, SID_ROLE_ATTENDEE = 4400020, 4400021

SIGNIN_KINDS = ["b10_authjs", "b10_supabase", "b10_firebase", "b10_devise", "b10_django",
                "b10_laravel_reset", "b10_laravel_verify", "b10_generic"]
# Ranges and agents of rules/scanners.conf.
SCANNER_NETS4 = ["104.47.0.0/17", "40.107.0.0/16", "52.100.0.0/14", "148.163.128.0/19",
                 "67.231.144.0/20"]
SCANNER_NETS6 = ["2a01:111:f400::/48", "2a01:111:f403::/48"]
STALE_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/103.0.5060.134 Safari/537.36")
SCANNER_AGENTS = ["MicrosoftPreview/2.0 (+https://aka.ms/MicrosoftPreview)",
                  "Mozilla/5.0 (compatible; Slackbot-LinkExpanding 1.0; +https://api.slack.com/robots)",
                  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "HeadlessChrome/118.0.5993.70 Safari/537.36",
                  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"]
ROLES = ["admin", "administrator", "hostmaster", "postmaster", "webmaster", "root", "security",
         "abuse"]
CASES = [("scanner_then_user", 30), ("same_client", 15), ("scanner_post", 15), ("hsts", 15),
         ("pkp", 10), ("role_mailbox", 15)]
SIGNIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Signing you in</title></head>\n"
               b"<body><form method=\"post\"><button>Continue</button></form></body></html>\n")


def _key(flow):
    return {"src_ip": flow["src_ip"], "src_port": flow["src_port"],
            "dest_ip": flow["dest_ip"], "dest_port": flow["dest_port"]}


def _set_host(tx, host, flow):
    tx.host = host
    tx.host_header = host if flow["dest_port"] == 80 else f"{host}:{flow['dest_port']}"


def _signin_tx(tx, flow, host, target, ua, method="GET"):
    """tx fetches (or POSTs to) the sign-in link; a small page answers."""
    _set_host(tx, host, flow)
    tx.uri = target
    tx.method = method
    tx.user_agent = ua
    tx.request_headers = [(k, v) for k, v in tx.request_headers
                          if k.lower() not in ("content-type", "range", "if-none-match",
                                               "if-modified-since", "cookie")]
    if method == "POST":
        tx.request_body = b"csrfToken=" + HEX.encode()[:16] + b"&json=true"
        tx.request_headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    else:
        tx.request_body = b""
    tx.expect_continue = False
    tx.status = 200
    tx.location = None
    tx.response_headers = []
    tx.declared_len = None
    tx.set_body("text/html; charset=utf-8", SIGNIN_PAGE)


class ReusePlanter:
    """plant(rng, plan, flow) hook for gen_traffic.py --reuse PCT: returns the
    session's records, or None when it leaves the session to the others."""

    def __init__(self, seed, pct):
        self.rng = random.Random(f"plainsight-reuse/{seed}")
        self.pct = pct
        self.pending = []      # scanner_then_user links waiting for their user
        self.used_ips = set()
        self.n_uid = 0

    def __call__(self, _session_rng, plan, flow):
        specs = plan.specs()
        gets = [i for i, tx in enumerate(specs) if tx.method == "GET"]
        if self.pending and gets:
            recs = self._user_fetch(plan, flow, specs, gets[0])
            if recs is not None:
                return recs
        if self.rng.random() * 100 >= self.pct or not specs:
            return None
        case = _weighted(self.rng, CASES)
        return getattr(self, "_" + case)(plan, flow, specs)

    # -- token cases ----------------------------------------------------------
    def _scanner(self, flow):
        """Make flow a scanner's: (user agent, how). Half by address, half by agent."""
        rng = self.rng
        if rng.random() < 0.5:
            nets = SCANNER_NETS4 if flow["ip_v"] == 4 else SCANNER_NETS6
            net = ipaddress.ip_network(rng.choice(nets))
            while True:
                ip = str(net[rng.randrange(1, min(net.num_addresses - 1, 1 << 30))])
                if ip not in self.used_ips:
                    break
            self.used_ips.add(ip)
            flow["src_ip"] = ip
            return STALE_CHROME
        return rng.choice(SCANNER_AGENTS)

    def _link(self, site):
        name = self.rng.choice(SIGNIN_KINDS)
        host, target, secret = build(self.rng, name, site)
        kind, sid = KINDS[name][0], KINDS[name][1]
        return host or site, target, secret, kind, sid

    def _scanner_then_user(self, plan, flow, specs):
        ua = self._scanner(flow)
        host, target, secret, kind, sid = self._link(specs[0].host)
        for tx in specs:
            tx.user_agent = ua
        _signin_tx(specs[0], flow, host, target, ua)
        key = _key(flow)
        self.pending.append({"not_before": plan.start_us + self.rng.randrange(5, 26) * 1000000,
                             "host": host, "target": target, "secret": secret, "kind": kind,
                             "sid": sid, "scanner": key["src_ip"]})
        return [{"flow": key, "tx_id": 0, "sid": sid, "kind": kind, "where": "uri",
                 "secret": secret, "case": "scanner_then_user"}]

    def _user_fetch(self, plan, flow, specs, i):
        for n, p in enumerate(self.pending):
            if plan.start_us < p["not_before"] or flow["src_ip"] == p["scanner"]:
                continue
            del self.pending[n]
            _signin_tx(specs[i], flow, p["host"], p["target"], specs[i].user_agent or
                       catalog.USER_AGENTS[0])
            key = _key(flow)
            base = {"flow": key, "tx_id": i, "where": "uri", "secret": p["secret"],
                    "case": "scanner_then_user"}
            return [dict(base, sid=p["sid"], kind=p["kind"]),
                    dict(base, sid=SID_REUSE, kind="d1", clients=[p["scanner"], key["src_ip"]])]
        return None

    def _same_client(self, plan, flow, specs):
        gets = [i for i, tx in enumerate(specs) if tx.method == "GET"]
        if len(gets) < 2:
            return None
        a, b = gets[0], gets[-1]
        host, target, secret, kind, sid = self._link(specs[a].host)
        ua = specs[a].user_agent or catalog.USER_AGENTS[0]
        _signin_tx(specs[a], flow, host, target, ua)
        _signin_tx(specs[b], flow, host, target, ua)
        key = _key(flow)
        return [{"flow": key, "tx_id": i, "sid": sid, "kind": kind, "where": "uri",
                 "secret": secret, "case": "same_client"} for i in (a, b)]

    def _scanner_post(self, plan, flow, specs):
        ua = self._scanner(flow)
        host, target, secret, kind, sid = self._link(specs[0].host)
        for tx in specs:
            tx.user_agent = ua
        key = _key(flow)
        base = {"flow": key, "where": "uri", "secret": secret, "case": "scanner_post"}
        if len(specs) >= 2 and not specs[1].pipelined:
            _signin_tx(specs[0], flow, host, target, ua)
            _signin_tx(specs[1], flow, host, target, ua, "POST")
            post = 1
            recs = [dict(base, tx_id=0, sid=sid, kind=kind)]
        else:
            _signin_tx(specs[0], flow, host, target, ua, "POST")
            post = 0
            recs = []
        recs += [dict(base, tx_id=post, sid=sid, kind=kind),
                 dict(base, tx_id=post, sid=SID_SCANNER_POST, kind="d2")]
        return recs

    # -- header cases ---------------------------------------------------------
    def _header_tx(self, specs):
        cands = [i for i, tx in enumerate(specs) if tx.status >= 200]
        return self.rng.choice(cands) if cands else None

    def _hsts(self, plan, flow, specs):
        rng = self.rng
        i = self._header_tx(specs)
        if i is None:
            return None
        value = rng.choice(["max-age=31536000", "max-age=31536000; includeSubDomains",
                            "max-age=63072000; includeSubDomains; preload", "max-age=0"])
        name = rng.choice(["Strict-Transport-Security", "strict-transport-security"])
        specs[i].response_headers.append((name, value))
        self._decoy_headers(specs, i)
        return [{"flow": _key(flow), "tx_id": i, "sid": SID_HSTS, "kind": "d3",
                 "where": "response_header", "secret": None, "case": "hsts"}]

    def _pkp(self, plan, flow, specs):
        rng = self.rng
        i = self._header_tx(specs)
        if i is None:
            return None
        pins = "; ".join(f'pin-sha256="{"".join(rng.choices(B62, k=43))}="' for _ in range(2))
        name = rng.choice(["Public-Key-Pins", "Public-Key-Pins-Report-Only"])
        specs[i].response_headers.append((name, f"{pins}; max-age=5184000"))
        self._decoy_headers(specs, i)
        return [{"flow": _key(flow), "tx_id": i, "sid": SID_PKP, "kind": "d4",
                 "where": "response_header", "secret": None, "case": "pkp"}]

    def _decoy_headers(self, specs, planted):
        """Look-alikes on another transaction of the session, some of the time."""
        others = [i for i, tx in enumerate(specs) if i != planted and tx.status >= 200]
        if not others or self.rng.random() < 0.5:
            return
        tx = specs[self.rng.choice(others)]
        tx.response_headers.append(self.rng.choice([
            ("X-Strict-Transport-Security", "max-age=31536000"),
            ("X-Note", "Strict-Transport-Security: is set by the proxy"),
            ("X-Public-Key-Pins-Note", "removed"),
        ]))

    # -- calendars ------------------------------------------------------------
    def _role_mailbox(self, plan, flow, specs):
        rng = self.rng
        cands = [i for i, tx in enumerate(specs) if tx.method == "GET" and tx.status == 200
                 and tx.has_response_body()]
        if not cands:
            return None
        i = rng.choice(cands)
        org = rng.choice(catalog.ORGS)
        events, recs = [], []
        key = _key(flow)
        for _ in range(rng.randint(1, 3)):
            self.n_uid += 1
            uid = f"{self.n_uid:06d}-{''.join(rng.choices(HEX, k=12))}@{org}.example"
            r = rng.random()
            organizer = f"{rng.choice(['jane.doe', 'l.nguyen', 'sam.okafor'])}@{org}.example"
            attendees = [f"{rng.choice(['alex', 'maria', 'k.tanaka'])}@{org}.example"]
            cn = "Jane Doe"
            if r < 0.45:
                organizer = f"{rng.choice(ROLES)}@{org}.example"
                recs.append({"flow": key, "tx_id": i, "sid": SID_ROLE_ORGANIZER, "kind": "d5",
                             "where": "calendar", "secret": None, "uid": uid,
                             "case": "role_mailbox"})
            elif r < 0.7:
                role = rng.choice(ROLES)
                attendees.append(f"{role.upper() if rng.random() < 0.3 else role}@{org}.example")
                recs.append({"flow": key, "tx_id": i, "sid": SID_ROLE_ATTENDEE, "kind": "d6",
                             "where": "calendar", "secret": None, "uid": uid,
                             "case": "role_mailbox"})
            else:  # look-alikes: a role word in the name, or a longer local part
                cn = "Admin Team"
                organizer = rng.choice([f"admin.jane@{org}.example", f"webmasters@{org}.example",
                                        f"rootkit-research@{org}.example"])
            events.append(_vevent(uid, cn, organizer, attendees))
        text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp//Groupware 4.2//EN\r\n"
                "METHOD:PUBLISH\r\n" + "".join(events) + "END:VCALENDAR\r\n")
        tx = specs[i]
        tx.set_body("text/calendar; charset=utf-8", text.encode())
        return recs


def _vevent(uid, cn, organizer, attendees):
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261101T090000Z",
             "DTSTART:20261124T100000Z", "DTEND:20261124T110000Z",
             "SUMMARY:Certificate renewal check-in",
             f"ORGANIZER;CN={cn}:mailto:{organizer}"]
    lines += [f"ATTENDEE;CN=Guest;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{a}" for a in attendees]
    lines += ["DESCRIPTION:Quarterly review of the domain and certificate inventory.",
              "LOCATION:Room 4.12", "END:VEVENT"]
    return "".join(line + "\r\n" for line in lines)
