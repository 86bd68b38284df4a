"""Hostile input: broken capture files and floods built to hit every limit.

Each capture is built here, at test time, so the expected counters follow
from what was written (how many records, flows, fragments, segments,
requests). Every run must finish (no crash, no hang: a generous timeout),
report the counters that match what was built, and stay within its memory
caps: peak RSS (maximum resident set size, from time(1)) may exceed the
RSS of the same command over a one-packet capture by at most the caps that
apply plus RSS_SLACK. Each flood prints its figures.

Under a sanitizer build (PLAINSIGHT pointing into a *sanitize* directory,
or ASAN_OPTIONS set) the floods are scaled down (SCALE) and RSS is not
checked: ASan's shadow memory and quarantine make it meaningless."""
import os
import signal
import struct
import subprocess
import zlib

from harness import (BIN, SANITIZED, WORK, Skip, eq, ether, final_stats, ip_checksum, ipv4_tcp,
                     of_type, read_eve, tcp_exchange, test, validate_schema, write_pcap)

SCALE = 4 if SANITIZED else 1
TIMEOUT = 600 if SANITIZED else 300
MIB = 1024 * 1024
# What a run may hold beyond its caps and its idle footprint: reassembly
# and HTTP scratch buffers, libhtp's per-connection state, the defrag
# rebuild buffer, allocator slack.
RSS_SLACK = 24 * MIB
T0 = 1700000000000000
TIME = "/usr/bin/time"


def run_measured(args, timeout=TIMEOUT):
    """Run plainsight under /usr/bin/time; return (exit code, stderr text,
    peak RSS in bytes). time(1) forks the engine from a small process: a
    child forked straight from this (large) interpreter would inherit the
    interpreter's high-water mark across exec."""
    if not os.access(TIME, os.X_OK):
        raise Skip(f"{TIME} is missing (Debian package time)")
    errpath = os.path.join(WORK, "hostile.stderr")
    rsspath = os.path.join(WORK, "hostile.rss")
    with open(errpath, "wb") as err:
        p = subprocess.Popen([TIME, "-f", "%M", "-o", rsspath, BIN, "-q"] + list(args),
                             stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise AssertionError(f"plainsight {' '.join(args)} did not finish in {timeout}s")
    with open(errpath, "rb") as f:
        text = f.read().decode(errors="replace")
    with open(rsspath) as f:
        lines = f.read().split()
    if "signal" in lines or p.returncode > 128:
        raise AssertionError(f"plainsight {' '.join(args)} died ({' '.join(lines)}): "
                             f"{text[-2000:]}")
    return p.returncode, text, int(lines[-1]) * 1024


def one_packet_capture():
    path = os.path.join(WORK, "hostile-idle.pcap")
    if not os.path.exists(path):
        write_pcap(path, [(T0, ether(ipv4_tcp("10.0.0.1", "10.0.0.2", 1000, 80, 1, 0, 0x02)))])
    return path


def analyse_bounded(name, pcap, opts, caps, *, rules=("--no-rules",), check_rss=True):
    """Run over pcap with opts; check the exit code and peak RSS against
    the caps that apply. Returns (events, stats, peak RSS)."""
    out = os.path.join(WORK, name + ".eve.json")
    args = ["--threads", "1"] + list(rules) + list(opts)
    rc, err, rss = run_measured(["-r", pcap, "-o", out] + args)
    if rc != 0:
        raise AssertionError(f"{name}: exit {rc}: {err[-2000:]}")
    events = read_eve(out)
    validate_schema(events)
    if check_rss and not SANITIZED:
        idle_out = os.path.join(WORK, name + ".idle.eve.json")
        _, _, idle = run_measured(["-r", one_packet_capture(), "-o", idle_out] + args)
        bound = idle + sum(caps) + RSS_SLACK
        print(f"  {name}: peak RSS {rss / MIB:.1f} MiB, idle {idle / MIB:.1f} MiB, "
              f"caps {sum(caps) / MIB:.1f} MiB, bound {bound / MIB:.1f} MiB", flush=True)
        assert rss <= bound, (f"{name}: peak RSS {rss / MIB:.1f} MiB exceeds idle "
                              f"{idle / MIB:.1f} MiB + caps {sum(caps) / MIB:.1f} MiB + "
                              f"slack {RSS_SLACK / MIB:.0f} MiB")
    return events, final_stats(events), rss


def engine_counters(events, module):
    for ev in of_type(events, "engine"):
        if ev["engine"]["module"] == module:
            return {k: int(v) for k, v in
                    (kv.split("=") for kv in ev["engine"]["message"].split())}
    raise AssertionError(f"no engine event for {module}")


def anomalies(events, name):
    return [e for e in of_type(events, "anomaly") if e["anomaly"].get("event") == name]


def pcap_bytes(records, linktype=1, snaplen=65535):
    """records: (ts, data, caplen, wirelen); caplen may differ from len(data)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for ts, data, caplen, wire in records:
        out.append(struct.pack("<IIII", ts // 1000000, ts % 1000000, caplen, wire) + data)
    return b"".join(out)


def write_file(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def syn(i, sport=40000):
    return ether(ipv4_tcp(f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", "192.0.2.1",
                          sport, 80, i, 0, 0x02))


# --- broken capture files --------------------------------------------------

@test
def truncated_file_mid_record_and_mid_record_header():
    """A capture cut inside a record's data, or inside a record header,
    keeps the records before the cut and counts one capture error."""
    frames = [syn(i) for i in range(10)]
    whole = pcap_bytes([(T0 + i, f, len(f), len(f)) for i, f in enumerate(frames)])
    rec = 16 + len(frames[0])
    # 24-byte file header, then 10 records of `rec` bytes
    cuts = {"mid-data": 24 + 7 * rec + 16 + 20, "mid-header": 24 + 7 * rec + 9,
            "at-boundary": 24 + 7 * rec}
    for what, cut in cuts.items():
        path = write_file(f"trunc-{what}.pcap", whole[:cut])
        events, st, _ = analyse_bounded(f"trunc-{what}", path, [], [], check_rss=False)
        eq(st["decoder"]["pkts"], 7, f"{what}: packets before the cut")
        eq(st["capture"]["errors"], 0 if what == "at-boundary" else 1,
           f"{what}: capture.errors")
        eq(st["flow"]["tcp"], 7, f"{what}: flows")


@test
def truncated_file_header_is_not_a_capture():
    path = write_file("trunc-filehdr.pcap", pcap_bytes([])[:13])
    rc, err, _ = run_measured(["--no-rules", "-r", path, "-o", os.path.join(WORK, "x.json")])
    eq(rc, 65, "exit code of a capture cut inside its file header")
    assert "trunc-filehdr.pcap" in err, f"the file is not named: {err}"


@test
def caplen_above_snaplen_and_above_len():
    """Records whose caplen passes the file's snaplen, or the packet's own
    length, are read (libpcap trims the first to the snaplen); a caplen
    beyond any link's maximum ends the file with a capture error."""
    f = syn(1)
    full = ether(ipv4_tcp("10.0.0.1", "10.0.0.2", 1000, 80, 1, 0, 0x18, b"x" * 200))
    records = [
        (T0, full, len(full), len(full)),          # caplen 254 > snaplen 100
        (T0 + 1, f, len(f), 40),                   # caplen 60 > len 40
        (T0 + 2, f, len(f), len(f)),               # ordinary
    ]
    path = write_file("caplen.pcap", pcap_bytes(records, snaplen=100))
    events, st, _ = analyse_bounded("caplen", path, [], [], check_rss=False)
    eq(st["decoder"]["pkts"], 3, "packets read")
    eq(st["capture"]["errors"], 0, "capture.errors")
    # the first record is cut to 100 bytes: its IPv4 header promises 240
    eq(st["decoder"]["event"]["ipv4"]["trunc_pkt"], 1, "ipv4.trunc_pkt of the trimmed record")
    eq(st["decoder"]["max_pkt_size"], len(full), "max_pkt_size counts the wire length")

    huge = pcap_bytes([(T0, f, len(f), len(f)), (T0 + 1, f, 0x7FFFFFF0, 0x7FFFFFF0)]) + f
    path = write_file("caplen-huge.pcap", huge)
    events, st, _ = analyse_bounded("caplen-huge", path, [], [], check_rss=False)
    eq(st["decoder"]["pkts"], 1, "packets before the impossible caplen")
    eq(st["capture"]["errors"], 1, "capture.errors for an impossible caplen")


@test
def zero_length_and_256k_packets():
    big_ip = ipv4_tcp("10.0.0.1", "10.0.0.2", 1000, 80, 1, 0, 0x18, b"y" * 1000)
    big = ether(big_ip) + b"\xee" * (256 * 1024 - 14 - len(big_ip))   # trailer after IP
    assert len(big) == 256 * 1024
    records = [(T0, b"", 0, 0), (T0 + 1, big, len(big), len(big)), (T0 + 2, b"", 0, 1514)]
    path = write_file("sizes.pcap", pcap_bytes(records, snaplen=262144))
    events, st, _ = analyse_bounded("sizes", path, [], [], check_rss=False)
    eq(st["capture"]["errors"], 0, "capture.errors")
    eq(st["decoder"]["pkts"], 3, "packets")
    eq(st["decoder"]["invalid"], 2, "invalid: the two empty records")
    eq(st["decoder"]["event"]["ethernet"]["pkt_too_small"], 2, "ethernet.pkt_too_small")
    eq(st["decoder"]["tcp"], 1, "the 256 KiB frame decodes")
    eq(st["decoder"]["max_pkt_size"], 256 * 1024, "max_pkt_size")


@test
def bogus_link_type_is_refused_by_name():
    f = syn(1)
    for lt in (4242, 147):
        path = write_file(f"linktype-{lt}.pcap", pcap_bytes([(T0, f, len(f), len(f))],
                                                            linktype=lt))
        rc, err, _ = run_measured(["--no-rules", "-r", path, "-o", os.path.join(WORK, "x.json")])
        eq(rc, 65, f"exit code for link type {lt}")
        assert f"linktype-{lt}.pcap" in err and "link" in err.lower(), \
            f"link type {lt}: the file or the reason is not named: {err}"


@test
def timestamps_going_backwards():
    """Packet time that steps back (an hour, then to 1970) neither ends a
    flow early nor splits it, and the transaction still completes."""
    req = b"GET /back HTTP/1.1\r\nHost: example.com\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    frames = tcp_exchange("10.0.0.1", "10.0.0.2", 40001, 80, [("c", req), ("s", resp)])
    back = [T0, T0 + 1000, T0 - 3600 * 10**6, 1, T0 + 2000, 5, T0 + 3000, T0 + 4000]
    assert len(back) == len(frames)
    frames = [(ts, fr) for ts, (_, fr) in zip(back, frames)]
    # and a fragment pair whose second half arrives "before" the first
    ip = bytearray(ipv4_tcp("10.9.0.1", "10.9.0.2", 5, 6, 1, 0, 0x02, b"z" * 64, ident=77))
    hdr, data = bytes(ip[:20]), bytes(ip[20:])
    def frag(off, part, more):
        h = bytearray(hdr)
        struct.pack_into("!H", h, 2, 20 + len(part))
        struct.pack_into("!H", h, 6, (0x2000 if more else 0) | (off // 8))
        struct.pack_into("!H", h, 10, 0)
        struct.pack_into("!H", h, 10, ip_checksum(bytes(h)))
        return ether(bytes(h) + part)
    frames += [(T0 + 10**6, frag(0, data[:40], True)), (T0 - 10**9, frag(40, data[40:], False))]
    path = write_pcap(os.path.join(WORK, "backwards.pcap"), frames)
    events, st, _ = analyse_bounded("backwards", path, [], [], check_rss=False)
    eq(st["flow"]["tcp"], 2, "TCP flows: the session and the reassembled SYN")
    eq(st["app_layer"]["tx"]["http"], 1, "transactions")
    eq(st["flow"]["mgr"]["flows_timeout"], 0, "flows ended by timeout")
    eq(st["defrag"]["ipv4"]["reassembled"], 1, "datagram reassembled across the step back")
    eq([e["http"]["url"] for e in of_type(events, "http")], ["/back"], "http events")


# --- floods ------------------------------------------------------------------

@test
def syn_flood_of_a_million_flows():
    """1 M SYNs from distinct sources: the flow table stays at its memcap,
    evicting the oldest, and every flow is counted once; TCP sessions stay
    within the stream memcap, refusing (and counting) the rest."""
    n = 1_000_000 // SCALE
    path = os.path.join(WORK, "synflood.pcap")
    tmpl = bytearray(syn(0))
    hdr = struct.Struct("<IIII")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = []
        for i in range(n):
            struct.pack_into("!BBB", tmpl, 14 + 13, (i >> 16) & 255, (i >> 8) & 255, i & 255)
            struct.pack_into("!H", tmpl, 14 + 20, 1024 + (i % 60000))
            ts = T0 + i * 10
            chunk.append(hdr.pack(ts // 1000000, ts % 1000000, len(tmpl), len(tmpl)))
            chunk.append(bytes(tmpl))
            if len(chunk) >= 200000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    cap = 16 * MIB
    events, st, _ = analyse_bounded("synflood", path,
                                    ["--flow-memcap", "16M", "--stream-memcap", "16M",
                                     "--eve-types", "stats,anomaly"], [cap, cap])
    fl = st["flow"]
    eq(st["decoder"]["pkts"], n, "packets")
    eq(st["decoder"]["invalid"], 0, "invalid packets")
    eq(fl["tcp"], n, "every SYN starts a flow")
    assert fl["mgr"]["flows_evicted"] > 0, "the memcap never evicted"
    eq(fl["memcap"], 0, "packets refused a flow (eviction always finds one)")
    eq(fl["end"]["state"]["new"], n, "flows ended in state new")
    assert fl["memuse"] <= cap, f"flow.memuse {fl['memuse']} above the cap {cap}"
    assert fl["memuse"] > cap * 3 // 4, f"flow.memuse {fl['memuse']} far below a full table"
    tcp = st["tcp"]
    assert tcp["ssn_memcap_drop"] > 0, "the stream memcap never refused a session"
    eq(tcp["sessions"] + tcp["ssn_memcap_drop"], n, "sessions made or refused, one per SYN")
    eq(tcp["syn"], tcp["sessions"], "tcp.syn: the SYNs that got a session")
    eq(tcp["memuse"], 0, "tcp.memuse once every flow has ended")


def frag_v4(src, ident, off, part, more, proto=17):
    total = 20 + len(part)
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident,
                              (0x2000 if more else 0) | (off // 8), 64, proto, 0,
                              bytes(map(int, src.split("."))), bytes([192, 0, 2, 9])))
    struct.pack_into("!H", h, 10, ip_checksum(bytes(h)))
    return ether(bytes(h) + part)


@test
def overlapping_fragment_flood():
    """(a) One datagram id hit by 10 000 overlapping fragments whose bytes
    all differ: every max-frags fragments the datagram is dropped, each
    conflict is an overlap event. (b) 20 000 partial datagrams: the defrag
    memcap refuses what does not fit, and memuse stays under it."""
    n = 10000 // SCALE
    maxf = 64
    frames = [(T0 + i, frag_v4("10.7.0.1", 4242, (i % 4) * 8, bytes([i & 255]) * 800, True))
              for i in range(n)]
    m = 20000 // SCALE
    frames += [(T0 + n + i, frag_v4(f"10.8.{i >> 8 & 255}.{i & 255}", i & 0xFFFF, 0,
                                    b"q" * 1400, True)) for i in range(m)]
    path = write_pcap(os.path.join(WORK, "fragflood.pcap"), frames)
    cap = 1 * MIB
    events, st, _ = analyse_bounded("fragflood", path,
                                    ["--defrag-memcap", "1M", "--defrag-max-frags", str(maxf)],
                                    [cap])
    d = st["defrag"]
    # cycles of maxf stored fragments and one that drops the datagram
    eq(d["max_frags_reached"], n // (maxf + 1), "defrag.max_frags_reached")
    cycles, rest = divmod(n, maxf + 1)
    conflicts = cycles * (maxf - 1) + max(rest - 1, 0)
    eq(st["decoder"]["event"]["ipv4"]["frag_overlap"], conflicts, "ipv4.frag_overlap")
    eq(d["ipv4"]["fragments"], n + m, "defrag.ipv4.fragments")
    eq(d["ipv4"]["reassembled"], 0, "nothing completes")
    assert d["max_trackers_reached"] > 0, "the defrag memcap never refused"
    eq(st["decoder"]["event"]["ipv4"]["frag_ignored"], d["max_trackers_reached"],
       "refused fragments are frag_ignored")
    assert d["memuse"] <= cap, f"defrag.memuse {d['memuse']} above the cap"


@test
def overlapping_segment_flood():
    """One connection whose first bytes never arrive, then thousands of
    segments each overlapping the previous with different bytes: the first
    copy wins, each conflict counts, and the stream memcap refuses the rest."""
    n = 8000 // SCALE
    plan = [("c", b"GET / HTTP/1.1\r\n" + b"a" * 984, 0)]   # offset 0..1000: the hole
    for i in range(n):
        plan.append(("c", bytes([65 + i % 26]) * 1400, 1000 + i * 700))
    order = list(range(1, len(plan)))    # the first segment is never sent
    frames = tcp_exchange("10.0.0.1", "10.0.0.2", 40002, 80, plan, order=order, close=False)
    path = write_pcap(os.path.join(WORK, "segflood.pcap"), frames)
    cap = 1 * MIB
    events, st, _ = analyse_bounded(
        "segflood", path, ["--stream-memcap", "1M", "--stream-gap-bound", "1G"], [cap])
    tcp = st["tcp"]
    assert tcp["segment_memcap_drop"] > 0, "the stream memcap never refused"
    assert tcp["overlap_diff_data"] > 0, "no conflicting overlap counted"
    eq(tcp["overlap_diff_data"], st["stream"]["reassembly_overlap_different_data"],
       "tcp.overlap_diff_data vs stream counter")
    assert tcp["reassembly_memuse"] <= cap, "reassembly_memuse above the cap"
    eq(len(anomalies(events, "stream.reassembly_memcap")), 1,
       "one memcap anomaly per direction")
    eq(st["flow"]["tcp"], 1, "one flow")


def http_session(name, req, resp, **kw):
    plan = [("c", req)] + [("s", resp[o:o + 1400]) for o in range(0, len(resp), 1400)]
    frames = tcp_exchange("10.1.0.5", "192.0.2.7", 41000, 80, plan, **kw)
    return write_pcap(os.path.join(WORK, name + ".pcap"), frames)


@test
def gzip_bomb_in_an_http_body():
    """A gzip body that inflates 1000:1 (below libhtp's own 2048:1 bomb
    ratio) is inflated only up to --http-decompress-limit: a COMPRESSION_BOMB
    anomaly, the length stops within one inflate buffer (8 KiB) of the
    limit, and the next transaction on the connection is still parsed."""
    inflated = (64 if not SANITIZED else 16) * MIB
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = b"\0" * MIB
    body = b"".join(co.compress(zero) for _ in range(inflated // MIB)) + co.flush()
    assert len(body) * 500 < inflated
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    plan = [("c", b"GET /bomb HTTP/1.1\r\nHost: example.com\r\n\r\n")]
    plan += [("s", resp[o:o + 1400]) for o in range(0, len(resp), 1400)]
    plan += [("c", b"GET /after HTTP/1.1\r\nHost: example.com\r\n\r\n"),
             ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    frames = tcp_exchange("10.1.0.5", "192.0.2.7", 41000, 80, plan)
    path = write_pcap(os.path.join(WORK, "gzipbomb.pcap"), frames)
    limit = 4 * MIB
    events, st, _ = analyse_bounded(
        "gzipbomb", path, ["--http-decompress-limit", "4M", "--http-body-limit", "1M"],
        [limit, 1 * MIB], rules=())
    eq(st["app_layer"]["tx"]["http"], 2, "transactions")
    http = of_type(events, "http")
    eq([e["http"]["url"] for e in http], ["/bomb", "/after"], "http events")
    length = http[0]["http"]["length"]
    assert limit < length <= limit + 8192, f"bomb inflated to {length}, limit {limit}"
    eq(http[1]["http"]["length"], 2, "the next response")
    eq(len(anomalies(events, "COMPRESSION_BOMB")), 1, "COMPRESSION_BOMB anomalies")


@test
def hundred_megabyte_calendar():
    """A 100 MB text/calendar body with the ics rules loaded: collected up
    to --ics-max-size, counted truncated once, parsed as far as read."""
    size = (100 if not SANITIZED else 20) * MIB
    ev = ("BEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261124T100000Z\r\n"
          "SUMMARY:Weekly sync\r\nDESCRIPTION:Join with passcode 123456 at the usual room"
          "\r\nEND:VEVENT\r\n")
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
    one = ev.format("x" * 8).encode()
    body = head + one * ((size - len(head)) // len(one))
    body += b"END:VCALENDAR\r\n"
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
    del body
    req = b"GET /cal.ics HTTP/1.1\r\nHost: example.com\r\n\r\n"
    path = http_session("bigcal", req, resp)
    del resp
    events, st, _ = analyse_bounded("bigcal", path,
                                    ["--ics-max-size", "1M", "--http-body-limit", "2M"],
                                    [1 * MIB, 2 * MIB], rules=())
    ics = engine_counters(events, "ics")
    eq(ics["calendars"], 1, "ics calendars")
    eq(ics["truncated"], 1, "ics truncated")
    eq(ics["malformed"], 0, "ics malformed")
    per = len(one)
    assert 0 < ics["components"] <= (1 * MIB) // per + 1, \
        f"components {ics['components']}: more than 1 MiB can hold"
    eq(len([e for e in of_type(events, "anomaly")
            if e["anomaly"].get("event") == "ICS_CALENDAR_TRUNCATED"]), 1, "truncated anomaly")
    eq(st["app_layer"]["tx"]["http"], 1, "transactions")


def pipelined(n, batch, respond=True):
    """n GET requests on one connection, sent `batch` per segment; each
    batch is answered before the next is sent (unless respond is false)."""
    plan = []
    for b in range(0, n, batch):
        k = min(batch, n - b)
        plan.append(("c", b"".join(f"GET /r{b + j} HTTP/1.1\r\nHost: h\r\n\r\n".encode()
                                   for j in range(k))))
        if respond:
            plan.append(("s", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * k))
    return plan


@test
def ten_thousand_pipelined_requests():
    n = 10000
    frames = tcp_exchange("10.2.0.5", "192.0.2.8", 42000, 80, pipelined(n, 100))
    path = write_pcap(os.path.join(WORK, "pipeline.pcap"), frames)
    events, st, _ = analyse_bounded("pipeline", path, ["--eve-types", "http,stats,anomaly"], [])
    eq(st["app_layer"]["tx"]["http"], n, "app_layer.tx.http")
    http = of_type(events, "http")
    eq(len(http), n, "http events")
    eq(sorted(int(e["http"]["url"][2:]) for e in http), list(range(n)), "every URL once")
    eq(len(of_type(events, "anomaly")), 0, "anomalies")


@test
def ten_thousand_unanswered_requests_stop_at_the_open_tx_limit():
    """Requests that are never answered pile up in libhtp: the connection
    stops once --http-max-open-tx are open, with TOO_MANY_TRANSACTIONS,
    and what was parsed is still reported: the limit is checked after each
    chunk libhtp is fed, here a segment of 100 requests."""
    n = 10000
    frames = tcp_exchange("10.2.0.6", "192.0.2.8", 42001, 80, pipelined(n, 100, respond=False))
    path = write_pcap(os.path.join(WORK, "pipeline-noresp.pcap"), frames)
    for limit in (1024, 100):
        events, st, _ = analyse_bounded(f"pipeline-noresp-{limit}", path,
                                        ["--eve-types", "http,stats,anomaly",
                                         "--http-max-open-tx", str(limit)], [])
        eq(len(anomalies(events, "TOO_MANY_TRANSACTIONS")), 1, "TOO_MANY_TRANSACTIONS")
        tx = st["app_layer"]["tx"]["http"]
        assert limit < tx <= limit + 100, f"limit {limit}: {tx} transactions reported"
        eq(len(of_type(events, "http")), tx, "http events")


@test
def pipelined_calendar_uploads_stay_within_the_ics_memcap():
    """Calendars POSTed back to back toward a server that never answers:
    each waits, collected, for its transaction to end. --ics-max-size bounds
    one calendar, --ics-memcap all of them together: the ones it cannot hold
    are cut (counted truncated and memcap) and parsed as far as kept."""
    n, size = (256, 256 * 1024) if not SANITIZED else (64, 256 * 1024)
    ev = ("BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261124T100000Z\r\n"
          "SUMMARY:Sync\r\nDESCRIPTION:passcode 123456\r\nEND:VEVENT\r\n").encode()
    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\n"
            + ev * ((size - 1024) // len(ev)) + b"END:VCALENDAR\r\n")
    assert size // 2 < len(body) <= size
    req = (b"POST /cal HTTP/1.1\r\nHost: h\r\nContent-Type: text/calendar\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    plan = [("c", req[o:o + 1400]) for _ in range(n) for o in range(0, len(req), 1400)]
    frames = tcp_exchange("10.3.0.5", "192.0.2.9", 43000, 80, plan, close=False)
    path = write_pcap(os.path.join(WORK, "calflood.pcap"), frames)
    del frames, plan
    cap = 8 * MIB
    events, st, _ = analyse_bounded(
        "calflood", path, ["--ics-max-size", "256K", "--ics-memcap", "8M",
                           "--eve-types", "stats,anomaly"], [cap], rules=())
    ics = engine_counters(events, "ics")
    eq(ics["calendars"], n, "calendars parsed (the cut ones as far as kept)")
    # each calendar grows its buffer to --ics-max-size; the cap holds this
    # many whole ones, and every later one finds no room for its first chunk
    held = cap // size
    eq(ics["memcap"], n - held, "calendars the ics memcap refused")
    eq(ics["truncated"], n - held, "calendars cut by the memcap are truncated")
    eq(ics["malformed"], 0, "calendars malformed")
    eq(ics["memuse"], 0, "calendar bytes held once every transaction ended")
    eq(len(anomalies(events, "ICS_CALENDAR_TRUNCATED")), n - held, "truncated anomalies")
    eq(st["app_layer"]["tx"]["http"], n, "transactions, reported at the end of input")


@test
def endless_header_line_and_request_line():
    """A header line, and a request line, that never end (4 MiB each, no
    CRLF): libhtp's line buffer stops at its field limit with a
    REQUEST_FIELD_TOO_LONG anomaly instead of growing with the input."""
    size = 4 * MIB // SCALE
    junk = b"A" * size
    cases = {"header": b"GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + junk,
             "reqline": b"GET /" + junk}
    for what, req in cases.items():
        plan = [("c", req[o:o + 1400]) for o in range(0, len(req), 1400)]
        frames = tcp_exchange("10.4.0.5", "192.0.2.10", 44000, 80, plan)
        path = write_pcap(os.path.join(WORK, f"longline-{what}.pcap"), frames)
        events, st, _ = analyse_bounded(f"longline-{what}", path, [], [])
        eq(len(anomalies(events, "REQUEST_FIELD_TOO_LONG")), 1, f"{what}: field too long")
        eq(st["tcp"]["segment_memcap_drop"], 0, f"{what}: nothing refused by reassembly")


@test
def header_flood_stays_within_the_http_memcap():
    """Requests of 500 header lines of 8000 bytes each (4 MB: within
    libhtp's per-line and per-request limits), pipelined toward a silent
    server: libhtp keeps every header until its transaction ends, so
    --http-memcap bounds them; the connection that passes it stops, counted
    in stats.http.memcap, and its transactions are reported."""
    n = 8
    line = b"v" * 8000
    req = (b"GET / HTTP/1.1\r\nHost: h\r\n"
           + b"".join(b"X-H%d: " % i + line + b"\r\n" for i in range(500)) + b"\r\n")
    plan = [("c", req[o:o + 1400]) for _ in range(n) for o in range(0, len(req), 1400)]
    frames = tcp_exchange("10.5.0.5", "192.0.2.11", 45000, 80, plan, close=False)
    path = write_pcap(os.path.join(WORK, "hdrflood.pcap"), frames)
    cap = 8 * MIB
    events, st, _ = analyse_bounded("hdrflood", path, ["--http-memcap", "8M"], [cap])
    fit = cap // len(req)   # whole requests the cap holds
    eq(st["http"]["memcap"], 1, "connections stopped by the memcap")
    eq(st["http"]["memuse"], 0, "header bytes held at the end")
    eq(st["app_layer"]["tx"]["http"], fit + 1, "the requests that fit, and the one cut")
    eq(len(of_type(events, "http")), fit + 1, "http events")
