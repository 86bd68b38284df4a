"""Who talks to whom: client and server address pools, web sites with their
host names and ports, user agents, and URI shapes.

Addresses come only from ranges reserved for private use or documentation:
IPv4 clients in 10/8, 172.16/12 and 192.168/16, IPv4 servers in the three
documentation /24s and 10.200/16; IPv6 clients in fd00::/8 and 2001:db8::/32,
IPv6 servers in 2001:db8::/32 and fd00::/8.  Host names use reserved names
(example.com/.net/.org, *.example, *.test).
"""

import ipaddress

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "curl/8.5.0",
    "Wget/1.21.3",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "Java/17.0.10",
    "Debian APT-HTTP/1.3 (2.6.1)",
]

ORGS = ["acme", "contoso", "fabrikam", "northwind", "tailspin", "wingtip", "adventure-works",
        "litware", "proseware", "woodgrove", "coho", "lucerne", "margie", "alpine", "fourthcoffee",
        "blueyonder", "treyresearch", "humongous", "wideworld", "relecloud"]
PREFIXES = ["www", "api", "static", "cdn", "img", "portal", "intranet", "wiki", "mail",
            "calendar", "files", "updates", "auth", "shop", "news", "git", "grafana", "jira",
            "assets", "media", "download", "login", "status", "docs"]
TLDS = ["example", "test", "example.com", "example.net", "example.org"]

WORDS = ("account alpha archive article assets banner beta blog board build cache calendar "
         "cart catalog chart client config contact content dashboard data delta detail docs "
         "download draft event export feed file gallery guide help history image index "
         "inventory invoice item label layout list login logo manual media menu message "
         "metrics news note notice order page panel photo plan policy post preview price "
         "product profile project query report request resource review schedule search "
         "service session settings share shop sitemap snapshot status store style summary "
         "support sync table task team theme thread ticket topic track update upload user "
         "vendor video view widget window workspace").split()

# (extension, content type, binary?) for static resources.
STATIC_TYPES = [
    (".html", "text/html; charset=utf-8", False),
    (".css", "text/css", False),
    (".js", "application/javascript", False),
    (".json", "application/json", False),
    (".txt", "text/plain; charset=utf-8", False),
    (".xml", "application/xml", False),
    (".svg", "image/svg+xml", False),
    (".png", "image/png", True),
    (".jpg", "image/jpeg", True),
    (".gif", "image/gif", True),
    (".woff2", "font/woff2", True),
    (".pdf", "application/pdf", True),
    (".zip", "application/zip", True),
    (".bin", "application/octet-stream", True),
]


class Site:
    """A web server: one host name, an IPv4 and an IPv6 address, a TCP port."""

    __slots__ = ("host", "ip4", "ip6", "port", "mac")

    def __init__(self, host, ip4, ip6, port, mac):
        self.host, self.ip4, self.ip6, self.port, self.mac = host, ip4, ip6, port, mac


class Client:
    """A client host; hands out unique ephemeral ports, never reusing one."""

    __slots__ = ("ip", "ip_v", "mac", "next_port", "ttl")

    def __init__(self, ip, ip_v, mac, first_port, ttl):
        self.ip, self.ip_v, self.mac, self.next_port, self.ttl = ip, ip_v, mac, first_port, ttl

    def take_port(self):
        """Next free ephemeral port, or None once the range is used up."""
        port = self.next_port
        if port > 60999:
            return None
        self.next_port = port + 1
        return port


def _mac(rng):
    # Locally administered, unicast.
    return bytes([0x02, rng.randrange(256), rng.randrange(256), rng.randrange(256),
                  rng.randrange(256), rng.randrange(1, 255)])


def _v4(rng, base, prefix_len):
    net = ipaddress.IPv4Network(base)
    host = rng.randrange(2, (1 << (32 - prefix_len)) - 2)
    if host & 0xff in (0, 255):
        host ^= 0x7
    return str(ipaddress.IPv4Address(int(net.network_address) + host))


def _v6(rng, prefix):
    net = ipaddress.IPv6Network(prefix)
    bits = 128 - net.prefixlen
    # Mostly short interface ids (::1a2b), some EUI-64-like long ones.
    if rng.random() < 0.5:
        iid = rng.randrange(1, 0xffff)
    else:
        iid = rng.getrandbits(64) | 1
    subnet = rng.randrange(0, 1 << min(16, bits - 64)) << 64 if bits > 64 else 0
    return str(ipaddress.IPv6Address(int(net.network_address) + subnet + iid))


class Catalog:
    """Address and name pools for one capture, drawn from one seeded rng."""

    def __init__(self, rng, n_clients=400, n_sites=120):
        self.rng = rng
        self.sites = [self._make_site(i) for i in range(n_sites)]
        self.clients4 = []
        self.clients6 = []
        seen = set()
        for i in range(n_clients):
            for v, pool in ((4, self.clients4), (6, self.clients6)):
                while True:
                    if v == 4:
                        base = rng.choice(["10.1.0.0/16", "10.20.0.0/16", "172.16.0.0/12",
                                           "192.168.0.0/16"])
                        ip = _v4(rng, base, int(base.split("/")[1]))
                    else:
                        ip = _v6(rng, rng.choice(["fd3c:91a2:7b10::/48", "fd00:ab:cd::/48",
                                                  "2001:db8:100::/48"]))
                    if ip not in seen:
                        seen.add(ip)
                        break
                ttl = rng.choice([64, 64, 64, 128, 128])
                pool.append(Client(ip, v, _mac(rng), rng.randrange(32768, 50000), ttl))

    def _make_site(self, i):
        rng = self.rng
        org = ORGS[i % len(ORGS)]
        prefix = rng.choice(PREFIXES)
        tld = rng.choice(TLDS)
        if tld.startswith("example.") and rng.random() < 0.5:
            host = f"{prefix}.{org}.{tld}" if rng.random() < 0.5 else f"{prefix}.{tld}"
        else:
            host = f"{prefix}.{org}.{tld}"
        if i == 0:
            host = "www.example.com"
        elif i == 1:
            host = "example.org"
        r = rng.random()
        if r < 0.80:
            port = 80
        elif r < 0.88:
            port = 8080
        elif r < 0.93:
            port = 8000
        else:
            # Random high port, kept below the clients' ephemeral range so the
            # server port is always the lower one of the pair.
            port = rng.randrange(10000, 30000)
        ip4 = (_v4(rng, rng.choice(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]), 24)
               if rng.random() < 0.75 else _v4(rng, "10.200.0.0/16", 16))
        ip6 = _v6(rng, rng.choice(["2001:db8:cafe::/48", "2001:db8:80::/48", "fd00:5e:1::/48"]))
        return Site(host, ip4, ip6, port, _mac(rng))

    def pick_client(self, rng, ip_v):
        pool = self.clients4 if ip_v == 4 else self.clients6
        for _ in range(len(pool)):
            c = rng.choice(pool)
            port = c.take_port()
            if port is not None:
                return c, port
        raise RuntimeError("every client's port range is used up; lower --size or --sessions")

    def pick_site(self, rng):
        # A few popular sites get most of the traffic (Zipf-like).
        n = len(self.sites)
        idx = min(int(rng.paretovariate(1.2)) - 1, n - 1)
        if rng.random() < 0.5:
            idx = rng.randrange(n)
        return self.sites[idx]


def random_token(rng, n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_uri(rng, kind):
    """A request URI for a resource kind: 'page', 'static', 'api', 'form',
    'download'.  Returns (uri, extension-or-None)."""
    w = rng.choice
    if kind == "static":
        ext, _, _ = w(STATIC_TYPES[1:])
        name = f"{w(WORDS)}.{random_token(rng, 8, '0123456789abcdef')}{ext}"
        uri = f"/{w(['static', 'assets', 'dist', 'img', 'media'])}/{w(WORDS)}/{name}"
        if rng.random() < 0.2:
            uri += f"?v={rng.randrange(1, 400)}"
        return uri, ext
    if kind == "api":
        uri = f"/api/v{rng.randrange(1, 4)}/{w(WORDS)}s/{rng.randrange(1, 99999)}"
        if rng.random() < 0.6:
            uri += f"?fields={w(WORDS)}&limit={w([10, 20, 50, 100])}"
        return uri, ".json"
    if kind == "download":
        ext = w([".zip", ".pdf", ".bin"])
        return (f"/download/{w(WORDS)}-{rng.randrange(1, 9)}.{rng.randrange(0, 20)}"
                f".{rng.randrange(0, 9)}{ext}"), ext
    if kind == "form":
        return w(["/login", "/submit", "/api/upload", "/comments", "/cart/add",
                  f"/{w(WORDS)}/save", "/graphql"]), ".json"
    # A page: /, a path with words, maybe a query string.
    r = rng.random()
    if r < 0.12:
        return "/", ".html"
    if r < 0.25:
        return f"/search?q={w(WORDS)}+{w(WORDS)}&page={rng.randrange(1, 6)}", ".html"
    depth = rng.randrange(1, 4)
    uri = "/" + "/".join(w(WORDS) for _ in range(depth))
    if rng.random() < 0.4:
        uri += w([".html", ".php", ".aspx", "/"]) if rng.random() < 0.6 else ""
    if rng.random() < 0.3:
        uri += f"?id={rng.randrange(1, 100000)}&lang={w(['en', 'de', 'fr', 'nl', 'en-US'])}"
    elif rng.random() < 0.05:
        uri += f"?utm_source={w(WORDS)}&utm_medium=email&utm_campaign={w(WORDS)}%20{w(WORDS)}"
    return uri, ".html"
