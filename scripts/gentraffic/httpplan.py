"""The content plan: which HTTP transactions a session carries, their exact
wire bytes, and the ground-truth record of each.

This layer knows nothing about TCP.  A session's plan is a list of exchange
groups (one transaction, or several pipelined ones), rendered into a list of
application writes that tcpsession.py turns into segments:

  ("data", side, bytes, delay_us, follow)   side 0 = client, 1 = server
  ("fin", side, delay_us, follow)            orderly close started by side
  ("rst", side, delay_us, follow)            abort by side

follow=False means "in reply": the write starts delay_us after the other
side's last data reached this side; follow=True means the same side goes on
delay_us after its own previous write.

A transaction is first planned as a TxSpec (plain fields), then rendered.
Anything that wants to plant particular content (a token-bearing URL, a
calendar body) edits the TxSpec between plan_session() and render: see
SessionPlan.specs() and TxSpec.set_body().
"""

import email.utils

from . import catalog
from .content import chunked, gzip_bytes, media_type

SERVERS = ["nginx/1.24.0", "nginx", "Apache/2.4.58 (Debian)", "Apache", "Microsoft-IIS/10.0",
           "cloudflare", "gunicorn", "Caddy", "openresty/1.25.3.1", "Jetty(9.4.53.v20231009)"]
REASONS = {100: "Continue", 200: "OK", 201: "Created", 204: "No Content",
           206: "Partial Content", 301: "Moved Permanently", 302: "Found",
           304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}
BROWSER_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                  "image/webp,*/*;q=0.8")


def _weighted(rng, table):
    r = rng.random() * sum(w for _, w in table)
    for value, w in table:
        r -= w
        if r < 0:
            return value
    return table[-1][0]


def _lognormal_size(rng, median, sigma, cap):
    return max(0, min(cap, int(rng.lognormvariate(0, sigma) * median)))


class TxSpec:
    """One HTTP transaction as planned: every field that decides its bytes."""

    def __init__(self):
        self.method = "GET"
        self.uri = "/"
        self.host = "www.example.com"       # bare host name, as the truth reports it
        self.host_header = "www.example.com"  # Host header value (with :port if not 80)
        self.user_agent = None
        self.request_headers = []           # extra (name, value) pairs after Host/UA
        self.request_body = b""
        self.expect_continue = False
        self.status = 200
        self.server = "nginx"
        self.content_type = None            # full header value, or None for no header
        self.location = None
        self.response_headers = []          # extra (name, value) pairs
        self.entity = b""                   # decoded response body
        self.declared_len = None            # Content-Length of a HEAD response
        self.gzip = False
        self.chunked = False
        self.close_delimited = False
        self.pipelined = False
        self.keep_alive = True
        self.date = ""
        # Filled in by render().
        self.request_head = b""
        self.response = b""
        self.interim = b""
        self.wire_body_len = 0

    def set_body(self, content_type, body):
        """Replace the response body (decoded) and its Content-Type."""
        self.content_type = content_type
        self.entity = body

    def has_response_body(self):
        return self.method != "HEAD" and self.status not in (204, 304) and self.status >= 200

    def render(self, rng):
        """Build request_head, interim (100 Continue) and response bytes."""
        lines = [f"{self.method} {self.uri} HTTP/1.1", f"Host: {self.host_header}"]
        if self.user_agent is not None:
            lines.append(f"User-Agent: {self.user_agent}")
        for k, v in self.request_headers:
            lines.append(f"{k}: {v}")
        if self.request_body or self.method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(self.request_body)}")
        if self.expect_continue:
            lines.append("Expect: 100-continue")
        self.request_head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.interim = b"HTTP/1.1 100 Continue\r\n\r\n" if self.expect_continue else b""

        body = b""
        if self.has_response_body():
            body = gzip_bytes(self.entity) if self.gzip else self.entity
        self.wire_body_len = len(body)
        lines = [f"HTTP/1.1 {self.status} {REASONS[self.status]}", f"Date: {self.date}",
                 f"Server: {self.server}"]
        if self.content_type is not None:
            lines.append(f"Content-Type: {self.content_type}")
        for k, v in self.response_headers:
            lines.append(f"{k}: {v}")
        if self.location is not None:
            lines.append(f"Location: {self.location}")
        if self.gzip:
            lines.append("Content-Encoding: gzip")
            lines.append("Vary: Accept-Encoding")
        framed = body
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
            framed = chunked(rng, body)
        elif self.method == "HEAD":
            if self.declared_len is not None:
                lines.append(f"Content-Length: {self.declared_len}")
        elif self.status not in (204, 304) and not self.close_delimited:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_delimited or not self.keep_alive:
            lines.append("Connection: close")
        else:
            lines.append("Connection: keep-alive")
        self.response = ("\r\n".join(lines) + "\r\n\r\n").encode() + framed

    def truth(self, tx_id):
        return {
            "tx_id": tx_id, "method": self.method, "uri": self.uri, "host": self.host,
            "user_agent": self.user_agent, "protocol": "HTTP/1.1", "status": self.status,
            "content_type": media_type(self.content_type), "location": self.location,
            "request_body_len": len(self.request_body),
            "response_body_len": len(self.entity) if self.has_response_body() else 0,
            "response_body_wire_len": self.wire_body_len,
            "chunked": self.chunked, "gzip": self.gzip, "expect_continue": self.expect_continue,
            "pipelined": self.pipelined, "close_delimited": self.close_delimited,
        }


class SessionPlan:
    """Application-level plan of one TCP session."""

    def __init__(self):
        self.groups = []        # list of lists of TxSpec; len > 1 = pipelined
        self.close = "fin"      # fin | rst | open
        self.closer = 0         # side that closes (0 client, 1 server)
        self.midstream = False
        self.think = []         # client think time (us) before each group
        self.server_delay = []  # per transaction server processing time (us)

    def specs(self):
        return [tx for g in self.groups for tx in g]


class Planner:
    """Plans sessions: transactions, bodies, closes.  One per capture."""

    def __init__(self, corpus, max_body, midstream_pct):
        self.corpus = corpus
        self.max_body = max_body
        self.midstream_pct = midstream_pct

    # -- one transaction -------------------------------------------------
    def plan_client(self, rng, site, date):
        """What stays the same for every transaction of a session: the client
        software and its habits, the server software, the date."""
        ua = rng.choice(catalog.USER_AGENTS) if rng.random() > 0.02 else None
        browser = ua is not None and ua.startswith("Mozilla/")
        return {
            "site": site, "date": date, "ua": ua, "browser": browser,
            "server": rng.choice(SERVERS),
            "lang": rng.choice(["en-US,en;q=0.9", "de-DE,de;q=0.9", "fr-FR,fr;q=0.8,en;q=0.5",
                                "en-GB,en;q=0.8", "nl-NL,nl;q=0.9,en;q=0.6"]),
            "cookie": (f"sid={catalog.random_token(rng, 26)}; theme=light"
                       if browser and rng.random() < 0.4 else None),
            "gzip": browser or rng.random() < 0.5,
        }

    def plan_tx(self, rng, client):
        site = client["site"]
        tx = TxSpec()
        tx.date = client["date"]
        tx.host = site.host
        tx.host_header = site.host if site.port == 80 else f"{site.host}:{site.port}"
        tx.user_agent = client["ua"]
        tx.server = client["server"]
        tx.method = _weighted(rng, [("GET", 74), ("POST", 10), ("PUT", 4), ("HEAD", 6),
                                    ("OPTIONS", 6)])
        hdrs = tx.request_headers
        if client["browser"]:
            hdrs.append(("Accept", BROWSER_ACCEPT))
            hdrs.append(("Accept-Language", client["lang"]))
            hdrs.append(("Accept-Encoding", "gzip, deflate"))
            hdrs.append(("Connection", "keep-alive"))
            if client["cookie"]:
                hdrs.append(("Cookie", client["cookie"]))
            if rng.random() < 0.3:
                hdrs.append(("Referer", f"http://{tx.host_header}/"))
        else:
            hdrs.append(("Accept", "*/*"))
            if client["gzip"]:
                hdrs.append(("Accept-Encoding", "gzip"))
        accepts_gzip = client["gzip"]
        getattr(self, "_plan_" + tx.method.lower())(rng, tx)
        # Body encodings, only for bodies that exist.
        mt = media_type(tx.content_type) or ""
        textual = mt.startswith("text/") or mt in ("application/json", "application/javascript",
                                                   "application/xml", "image/svg+xml")
        if tx.has_response_body() and tx.status == 200:
            if accepts_gzip and textual and len(tx.entity) >= 200 and rng.random() < 0.3 \
                    and len(tx.entity) <= (2 << 20):
                tx.gzip = True
            if rng.random() < 0.15:
                tx.chunked = True
        elif tx.has_response_body() and tx.status in (404, 500) and rng.random() < 0.1:
            tx.chunked = True
        return tx

    def _body(self, rng, tx, median, sigma, cap=None):
        n = _lognormal_size(rng, median, sigma, cap or self.max_body)
        tx.entity = self.corpus.body(rng, tx.content_type, n)

    def _plan_get(self, rng, tx):
        kind = _weighted(rng, [("page", 35), ("static", 40), ("api", 18), ("download", 7)])
        tx.uri, ext = catalog.make_uri(rng, kind)
        tx.content_type = _type_for(ext)
        tx.status = _weighted(rng, [(200, 72), (304, 7), (301, 3), (302, 3), (404, 6), (206, 3),
                                    (500, 2), (204, 4)])
        st = tx.status
        if st == 200:
            median, sigma = {"page": (20000, 1.2), "static": (8000, 1.8), "api": (1500, 1.3),
                             "download": (400000, 1.5)}[kind]
            self._body(rng, tx, median, sigma)
            tx.response_headers.append(("Cache-Control", rng.choice(
                ["no-cache", "max-age=3600", "public, max-age=31536000", "private"])))
        elif st == 206:
            total = _lognormal_size(rng, 2000000, 1.0, 50 << 20) + 1000
            start = rng.randrange(0, total // 2)
            part = min(total - start, _lognormal_size(rng, 65536, 1.0, self.max_body) + 1)
            tx.request_headers.append(("Range", f"bytes={start}-{start + part - 1}"))
            tx.response_headers.append(("Content-Range",
                                        f"bytes {start}-{start + part - 1}/{total}"))
            tx.response_headers.append(("Accept-Ranges", "bytes"))
            tx.entity = self.corpus.body(rng, tx.content_type, part)
        elif st == 304:
            etag = f'"{catalog.random_token(rng, 16, "0123456789abcdef")}"'
            tx.request_headers.append(("If-None-Match", etag))
            tx.response_headers.append(("ETag", etag))
            tx.content_type = None
        elif st == 204:
            tx.content_type = None
        elif st in (301, 302):
            self._redirect(rng, tx)
        elif st == 404:
            tx.content_type = "text/html; charset=utf-8"
            self._body(rng, tx, 600, 0.8, 20000)
        else:  # 500
            tx.content_type = rng.choice(["text/html; charset=utf-8", "application/json"])
            self._body(rng, tx, 300, 0.8, 8000)

    def _redirect(self, rng, tx):
        r = rng.random()
        if r < 0.45:
            tx.location = f"https://{tx.host}{tx.uri}"
        elif r < 0.7:
            tx.location = f"/{rng.choice(catalog.WORDS)}/{rng.choice(catalog.WORDS)}"
        elif r < 0.85:
            tx.location = f"http://{tx.host_header}/login?next=%2F{rng.choice(catalog.WORDS)}"
        else:
            tx.location = (f"https://{rng.choice(catalog.PREFIXES)}."
                           f"{rng.choice(catalog.ORGS)}.example/{rng.choice(catalog.WORDS)}")
        if rng.random() < 0.75:
            tx.content_type = rng.choice(["text/html; charset=iso-8859-1", "text/html"])
            tx.entity = (b"<html><head><title>Moved</title></head><body><h1>Moved</h1>"
                         b'<p>The document has moved <a href="' + tx.location.encode() +
                         b'">here</a>.</p></body></html>\n')
        else:
            tx.content_type = None
            tx.entity = b""

    def _request_body(self, rng, tx, median, sigma, cap):
        if rng.random() < 0.5:
            ctype = "application/x-www-form-urlencoded"
            n = _lognormal_size(rng, median, sigma, cap)
            fields = []
            size = 0
            while size < n:
                f = f"{rng.choice(catalog.WORDS)}={catalog.random_token(rng, rng.randrange(3, 40))}"
                fields.append(f)
                size += len(f) + 1
            body = "&".join(fields).encode()
        else:
            ctype = "application/json"
            n = _lognormal_size(rng, median, sigma, cap)
            text = self.corpus.body(rng, "text/plain", n).replace(b'"', b"'").replace(b"\n", b" ")
            body = b'{"' + rng.choice(catalog.WORDS).encode() + b'":"' + text + b'"}'
        tx.request_headers.append(("Content-Type", ctype))
        tx.request_body = body
        if len(body) > 1024 and rng.random() < 0.3:
            tx.expect_continue = True

    def _plan_post(self, rng, tx):
        tx.uri, _ = catalog.make_uri(rng, "form")
        self._request_body(rng, tx, 300, 1.5, min(self.max_body, 2 << 20))
        tx.status = _weighted(rng, [(200, 60), (302, 15), (204, 10), (404, 5), (500, 10)])
        if tx.status == 302:
            self._redirect(rng, tx)
        elif tx.status == 204:
            tx.content_type = None
        else:
            tx.content_type = "application/json" if rng.random() < 0.6 else "text/html; charset=utf-8"
            self._body(rng, tx, 800, 1.2, 100000)

    def _plan_put(self, rng, tx):
        tx.uri, _ = catalog.make_uri(rng, "api")
        self._request_body(rng, tx, 4000, 1.8, self.max_body)
        tx.status = _weighted(rng, [(200, 50), (204, 40), (500, 10)])
        if tx.status == 204:
            tx.content_type = None
        else:
            tx.content_type = "application/json"
            self._body(rng, tx, 200, 0.7, 4000)

    def _plan_head(self, rng, tx):
        tx.uri, ext = catalog.make_uri(rng, rng.choice(["page", "static", "download"]))
        tx.content_type = _type_for(ext)
        tx.status = _weighted(rng, [(200, 80), (404, 10), (301, 10)])
        if tx.status == 301:
            tx.location = f"https://{tx.host}{tx.uri}"
            tx.content_type = "text/html; charset=iso-8859-1"
        tx.declared_len = _lognormal_size(rng, 30000, 1.5, 50 << 20)

    def _plan_options(self, rng, tx):
        tx.uri = "*" if rng.random() < 0.1 else catalog.make_uri(rng, "api")[0]
        tx.status = 204 if rng.random() < 0.5 else 200
        tx.content_type = None
        tx.response_headers.append(("Allow", "GET, HEAD, POST, PUT, OPTIONS"))
        if tx.status == 200:
            tx.entity = b""

    # -- one session -----------------------------------------------------
    def plan_session(self, rng, site, start_us):
        plan = SessionPlan()
        date = email.utils.formatdate(start_us / 1e6, usegmt=True)
        client = self.plan_client(rng, site, date)
        n = min(1 + int(rng.expovariate(1 / 2.5)), 20)
        txs = [self.plan_tx(rng, client) for _ in range(n)]

        # How it ends: client FIN 50%, server FIN 28%, RST 12%, left open 10%.
        r = rng.random()
        if r < 0.5:
            plan.close, plan.closer = "fin", 0
        elif r < 0.78:
            plan.close, plan.closer = "fin", 1
        elif r < 0.9:
            plan.close, plan.closer = "rst", rng.randrange(2)
        else:
            plan.close, plan.closer = "open", 0
        if plan.close == "fin" and rng.random() < 0.12:
            last = txs[-1]
            if last.status == 200 and last.method in ("GET", "POST"):
                last.close_delimited = True
                last.chunked = False
                plan.closer = 1
        plan.midstream = rng.random() * 100 < self.midstream_pct

        # Group into exchanges; some sessions pipeline runs of GETs.
        pipelining = rng.random() < 0.1
        i = 0
        while i < n:
            group = [txs[i]]
            i += 1
            # Only GETs are pipelined, as clients that pipeline do.
            if pipelining and not txs[i - 1].close_delimited and txs[i - 1].method == "GET":
                want = rng.randrange(2, 5)
                while i < n and len(group) < want and txs[i].method == "GET" \
                        and not txs[i].close_delimited:
                    group.append(txs[i])
                    i += 1
            if len(group) > 1:
                for tx in group:
                    tx.pipelined = True
            plan.groups.append(group)
        for _ in plan.groups:
            r = rng.random()
            # Client think time before each exchange: mostly short, a few long
            # pauses, always far below the 20 s idle bound.
            plan.think.append(rng.randrange(100, 3000) if r < 0.5 else
                              rng.randrange(3000, 800000) if r < 0.93 else
                              rng.randrange(800000, 12000000))
        plan.think[0] = rng.randrange(20, 400)
        # Server processing time per transaction: median 3 ms, at most 2 s.
        plan.server_delay = [min(int(rng.lognormvariate(0, 1.2) * 3000), 2000000) + 50
                             for _ in txs]
        return plan


def _type_for(ext):
    for e, ctype, _ in catalog.STATIC_TYPES:
        if e == ext:
            return ctype
    return "text/html; charset=utf-8"


def render_writes(plan, rng):
    """Render the plan's transactions and return (writes, truth_list)."""
    writes = []
    truth = []
    specs = plan.specs()
    for tx in specs:
        tx.render(rng)
    k = 0
    for gi, group in enumerate(plan.groups):
        think = plan.think[gi]
        first = not writes
        if len(group) > 1:
            # Pipelined: all requests back to back (sometimes in one write),
            # then the responses back to back.
            if rng.random() < 0.5:
                writes.append(("data", 0, b"".join(t.request_head for t in group), think, first))
            else:
                for j, t in enumerate(group):
                    writes.append(("data", 0, t.request_head, think if j == 0 else 20,
                                   first or j > 0))
            for j, t in enumerate(group):
                writes.append(("data", 1, t.response, plan.server_delay[k + j], j > 0))
        else:
            t = group[0]
            if t.expect_continue:
                writes.append(("data", 0, t.request_head, think, first))
                writes.append(("data", 1, t.interim, 80, False))
                writes.append(("data", 0, t.request_body, 30, False))
            elif t.request_body and rng.random() < 0.5:
                writes.append(("data", 0, t.request_head, think, first))
                writes.append(("data", 0, t.request_body, 15, True))
            else:
                writes.append(("data", 0, t.request_head + t.request_body, think, first))
            delay = plan.server_delay[k]
            resp = t.response
            split = len(resp) - t.wire_body_len if not t.chunked else 0
            if 0 < split < len(resp) and rng.random() < 0.3:
                # Headers and body written separately by the server.
                writes.append(("data", 1, resp[:split], delay, False))
                writes.append(("data", 1, resp[split:], 30, True))
            else:
                writes.append(("data", 1, resp, delay, False))
        for t in group:
            truth.append(t.truth(len(truth)))
        k += len(group)

    if plan.close == "fin":
        if specs and specs[-1].close_delimited:
            writes.append(("fin", 1, 0 if rng.random() < 0.5 else 40, True))
        elif plan.closer == 0:
            writes.append(("fin", 0, rng.randrange(200, 2000000), False))
        else:
            # Server closes an idle keep-alive connection (its own timeout).
            writes.append(("fin", 1, rng.randrange(1000, 5000000), True))
    elif plan.close == "rst":
        writes.append(("rst", plan.closer, rng.randrange(100, 500000), plan.closer == 1))
    return writes, truth
