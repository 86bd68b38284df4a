"""Small end-to-end test harness: runs build/plainsight over captures and
checks its EVE output. Tests are plain functions registered with @test;
run.py runs them and prints "N passed, N failed".

Oracles: the generator's ground truth (written independently of the engine,
from what it put on the wire), tshark, hand-built packets, and Suricata's
EVE JSON schema."""
import functools
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("PLAINSIGHT", os.path.join(ROOT, "build", "plainsight"))
SHARED = os.environ.get("PS_SHARED", os.path.join(ROOT, "..", "shared"))
SCHEMA = os.path.join(SHARED, "reference", "suricata-eve-schema.json")
ZEEK_DIR = os.path.join(SHARED, "data", "zeek-http")
GEN = os.path.join(ROOT, "scripts", "gen_traffic.py")
WORK = tempfile.mkdtemp(prefix="ps-e2e-")
# Compiled rules are cached under $XDG_CACHE_HOME: keep them in the work
# directory, never in the user's home. The first run of the suite fills it
# (cold path), the others read it (warm path).
CACHE_HOME = os.path.join(WORK, "cache")
os.environ["XDG_CACHE_HOME"] = CACHE_HOME


def _sanitized():
    """True for an ASan/UBSan build of the binary under test: linked with
    libasan, built into a *sanitize* directory, or run with ASAN_OPTIONS."""
    if "sanitize" in BIN.lower() or "ASAN_OPTIONS" in os.environ:
        return True
    try:
        libs = subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "libasan" in libs


SANITIZED = _sanitized()

TESTS = []


class Skip(Exception):
    pass


def test(fn):
    TESTS.append(fn)
    return fn


def run_ps(args, stdin=None, check=True, timeout=900):
    """Run plainsight; return (exit code, stderr)."""
    p = subprocess.run([BIN, "-q"] + list(args), stdin=stdin, capture_output=True,
                       timeout=timeout)
    err = p.stderr.decode(errors="replace")
    if check and p.returncode != 0:
        raise AssertionError(f"plainsight {' '.join(args)} exited {p.returncode}: {err}")
    return p.returncode, err


def analyse(capture, *extra, name=None):
    """Run over one capture into a fresh file; return the parsed events."""
    out = os.path.join(WORK, (name or os.path.basename(str(capture))) + ".eve.json")
    run_ps(["-r", str(capture), "-o", out] + list(extra))
    return read_eve(out)


def read_eve(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


@functools.lru_cache(maxsize=None)
def generate(seed, *opts):
    """Generate a capture + truth once per argument set; returns (pcap, truth)."""
    tag = "-".join([str(seed)] + [o.strip("-").replace("=", "") for o in opts])
    pcap = os.path.join(WORK, f"gen-{tag}.pcap")
    subprocess.run([sys.executable, GEN, "--seed", str(seed), "--out", pcap] + list(opts),
                   check=True, capture_output=True)
    with open(pcap[:-5] + ".truth.json") as f:
        truth = json.load(f)
    return pcap, truth


_validator = None


def validate_schema(events):
    global _validator
    if _validator is None:
        if not os.path.exists(SCHEMA):
            raise Skip(f"schema not found at {SCHEMA}")
        try:
            import jsonschema
        except ImportError:
            raise Skip("python3-jsonschema is not installed")
        with open(SCHEMA) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        _validator = cls(schema, format_checker=None)
    for i, ev in enumerate(events):
        errors = sorted(_validator.iter_errors(ev), key=lambda e: e.path)
        if errors:
            raise AssertionError(f"event {i} ({ev.get('event_type')}) violates the schema: "
                                 f"{errors[0].message} at {list(errors[0].path)}")


def of_type(events, kind):
    return [e for e in events if e.get("event_type") == kind]


def final_stats(events):
    totals = [e for e in of_type(events, "stats") if "engine" not in e]
    assert totals, "no totals stats event"
    return totals[-1]["stats"]


def tuple_key(ev):
    return (ev["src_ip"], ev.get("src_port", 0), ev["dest_ip"], ev.get("dest_port", 0),
            ev["proto"])


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: got {actual!r}, expected {expected!r}")


def eq_counts(actual, expected, what):
    """Compare two Counters, reporting only what differs."""
    extra = actual - expected
    missing = expected - actual
    if extra or missing:
        raise AssertionError(f"{what}: {sum(extra.values())} unexpected, e.g. "
                             f"{list(extra)[:3]}; {sum(missing.values())} missing, e.g. "
                             f"{list(missing)[:3]}")


# --- hand-built captures -------------------------------------------------

def write_pcap(path, frames, linktype=1, snaplen=65535):
    """frames: list of (ts_usec, bytes[, wirelen])."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for fr in frames:
            ts, data = fr[0], fr[1]
            wire = fr[2] if len(fr) > 2 else len(data)
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(data), wire))
            f.write(data)
    return path


def ip_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", ident=1):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    total = 20 + len(tcp)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0, 64, 6, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return hdr + tcp


def ether(payload, ethertype=0x0800):
    frame = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + \
        struct.pack("!H", ethertype) + payload
    return frame + b"\0" * max(0, 60 - len(frame))


def tcp_exchange(c, s, cport, sport, plan, order=None, isn_c=1000, isn_s=5000, t0=1700000000000000,
                 close=True):
    """Frames of one hand-built TCP connection: handshake, the data segments
    of `plan`, then FIN from both sides.

    plan: segments in the order they were sent, each (dir, payload) or
    (dir, payload, offset) with dir "c" (client) or "s" (server) and offset
    the byte offset in that direction's stream (default: right after what
    was sent before; give it to write a retransmission or an overlap).
    Each segment acknowledges everything the other side sent before it.
    order: the capture order of the data segments (indices into plan)."""
    isn = {"c": isn_c, "s": isn_s}
    nxt = {"c": 0, "s": 0}
    ends = {"c": (c, cport), "s": (s, sport)}
    other = {"c": "s", "s": "c"}

    def seg(d, off, flags, payload=b""):
        (src, sp), (dst, dp) = ends[d], ends[other[d]]
        seq = (isn[d] + 1 + off) & 0xFFFFFFFF
        ack = (isn[other[d]] + 1 + nxt[other[d]]) & 0xFFFFFFFF
        return ether(ipv4_tcp(src, dst, sp, dp, seq, ack, flags, payload))

    frames = [ether(ipv4_tcp(c, s, cport, sport, isn_c, 0, 0x02)),
              ether(ipv4_tcp(s, c, sport, cport, isn_s, isn_c + 1, 0x12)),
              seg("c", 0, 0x10)]
    data = []
    for item in plan:
        d, payload = item[0], item[1]
        off = item[2] if len(item) > 2 else nxt[d]
        data.append(seg(d, off, 0x18, payload))
        nxt[d] = max(nxt[d], off + len(payload))
    frames += [data[i] for i in (order if order is not None else range(len(data)))]
    if close:
        frames.append(seg("c", nxt["c"], 0x11))
        nxt["c"] += 1
        frames.append(seg("s", nxt["s"], 0x11))
        nxt["s"] += 1
        frames.append(seg("c", nxt["c"], 0x10))
    return [(t0 + i * 1000, f) for i, f in enumerate(frames)]
