#!/usr/bin/env python3
"""Write the seed corpora of the libFuzzer targets (fuzz/), one directory per
target under OUT, from the project's own generators and test data: small
captures from gen_traffic.py and gen_calendars.py, calendars, the shipped
rules and the rule test vectors (tests/rules/*.json). Each seed is encoded the
way its target reads its input (see the comment at the top of each
fuzz/fuzz_<target>.c). Deterministic; Python 3.9+ standard library only.

Usage: fuzz_seeds.py OUT
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable

# fuzz_decode.c's table of link types, by index
DECODE_LINKTYPES = [1, 12, 14, 101, 0, 108, 113, 276, 228, 229]

MAX_SEED = 16 * 1024


class Seeds:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, name, data):
        if not data:
            return
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data[:MAX_SEED] if target != "capture" else data)
        self.count[target] = self.count.get(target, 0) + 1


# ---- captures ----

def read_pcap(path):
    """(linktype, [(ts_sec, ts_usec, frame)]) of a classic pcap."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack("<I", raw[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(e + "I", raw[20:24])[0]
    pkts, off = [], 24
    while off + 16 <= len(raw):
        sec, usec, incl, _orig = struct.unpack(e + "IIII", raw[off:off + 16])
        pkts.append((sec, usec, raw[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, pkts


def write_pcap(linktype, pkts):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)]
    for sec, usec, frame in pkts:
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
    return b"".join(out)


def generate_captures(tmp):
    """Small captures covering the link types and the traffic shapes."""
    runs = [
        ("eth", ["--linktype", "ethernet", "--ipv6", "40", "--vlan", "30"]),
        ("eth-messy", ["--linktype", "ethernet", "--frag", "40", "--reorder", "30",
                       "--retransmit", "30", "--midstream", "20"]),
        ("eth-secrets", ["--linktype", "ethernet", "--secrets", "60", "--calendars", "40"]),
        ("sll2", ["--linktype", "sll2", "--ipv6", "50", "--frag", "30"]),
        ("sll", ["--linktype", "sll", "--qinq", "0"]),
        ("raw", ["--linktype", "raw", "--ipv6", "50", "--frag", "30"]),
        ("null", ["--linktype", "null", "--ipv6", "50"]),
    ]
    caps = {}
    for name, args in runs:
        path = os.path.join(tmp, name + ".pcap")
        subprocess.run([PY, os.path.join(ROOT, "scripts", "gen_traffic.py"), "--seed", "5",
                        "--sessions", "4", "--max-body", "3K", "--quiet", "--out", path] + args,
                       check=True)
        caps[name] = path
    path = os.path.join(tmp, "cal.pcap")
    subprocess.run([PY, os.path.join(ROOT, "scripts", "gen_calendars.py"), "--seed", "3",
                    "--components", "6", "--per-calendar", "1,3", "--quiet", "--pcap", path],
                   check=True)
    caps["cal"] = path
    return caps


def l3_offset(linktype, frame):
    """Offset of the IP header, or None."""
    if linktype == 1:
        off, et = 12, None
        while off + 2 <= len(frame):
            et = struct.unpack("!H", frame[off:off + 2])[0]
            if et in (0x8100, 0x88A8):
                off += 4
                continue
            break
        return off + 2 if et in (0x0800, 0x86DD) else None
    return {101: 0, 12: 0, 0: 4, 113: 16, 276: 20}.get(linktype)


def tcp_segments(linktype, frame):
    """(src, dst, sport, dport, seq, ack, flags, payload) of a TCP frame, or None."""
    off = l3_offset(linktype, frame)
    if off is None or off >= len(frame):
        return None
    ip = frame[off:]
    ver = ip[0] >> 4
    if ver == 4 and len(ip) >= 20:
        hl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6 or struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            return None
        src, dst, tcp = ip[12:16], ip[16:20], ip[hl:total]
    elif ver == 6 and len(ip) >= 40:
        if ip[6] != 6:
            return None
        plen = struct.unpack("!H", ip[4:6])[0]
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack, doff, flags = struct.unpack("!HHIIBB", tcp[:14])
    return src, dst, sport, dport, seq, ack, flags, tcp[(doff >> 4) * 4:]


def flows_of(linktype, pkts):
    """TCP flows in capture order: {key: [(dir, seq, ack, flags, payload)]}, dir 0 =
    the first sender."""
    flows, first = {}, {}
    for _s, _u, frame in pkts:
        seg = tcp_segments(linktype, frame)
        if seg is None:
            continue
        src, dst, sport, dport, seq, ack, flags, payload = seg
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b))
        if key not in first:
            first[key] = a
        d = 0 if a == first[key] else 1
        flows.setdefault(key, []).append((d, seq, ack, flags, payload))
    return flows


def enc_len(ctl_low, n):
    """ctl byte with a 6-bit length, or 63 and a 16-bit one."""
    if n < 63:
        return bytes([ctl_low | n << 2])
    return bytes([ctl_low | 63 << 2]) + struct.pack("!H", n)


def stream_seed(segs, config=0x0F):
    """fuzz_stream.c encoding of one flow's segments."""
    isn = [None, None]
    for d, seq, _a, flags, _p in segs:
        if isn[d] is None:
            isn[d] = (seq - 1) & 0xFFFFFFFF if flags & 0x02 else seq
    isn = [x if x is not None else 0 for x in isn]
    out = [bytes([config]), struct.pack("!II", *isn)]
    for d, seq, ack, flags, payload in segs:
        payload = payload[:2000]
        out.append(enc_len(d, len(payload)) + bytes([flags]) +
                   struct.pack("!II", (seq - isn[d]) & 0xFFFFFFFF,
                               (ack - isn[1 - d]) & 0xFFFFFFFF) + payload)
    return b"".join(out)


def http_seed(chunks, config=3):
    """fuzz_http.c encoding: [(dir, bytes)] in order."""
    out = [bytes([config])]
    for d, data in chunks:
        for i in range(0, len(data), 4000):
            part = data[i:i + 4000]
            out.append(enc_len(d, len(part)) + part)
    return b"".join(out)


def capture_seeds(seeds, caps):
    for name, path in sorted(caps.items()):
        linktype, pkts = read_pcap(path)
        seeds.add("capture", name + ".pcap", write_pcap(linktype, pkts[:40]))
        lt = DECODE_LINKTYPES.index(linktype)
        for i in range(0, min(len(pkts), 120), 6):
            group = pkts[i:i + 6]
            data = bytes([lt]) + b"".join(struct.pack("!H", len(f)) + f for _s, _u, f in group)
            seeds.add("decode", "%s-%03d" % (name, i), data)
        for j, (_k, segs) in enumerate(sorted(flows_of(linktype, pkts).items())[:4]):
            seeds.add("stream", "%s-%d" % (name, j), stream_seed(segs[:60]))
            chunks = [(d, p) for d, _s, _a, _f, p in segs if p]
            if chunks and not name.startswith("eth-messy"):
                seeds.add("http", "%s-%d" % (name, j), http_seed(chunks))


# ---- fragments ----

def frag_rec(flags, off_units, payload):
    return bytes([flags]) + struct.pack("!HH", off_units, len(payload)) + payload


def defrag_seeds(seeds):
    udp = struct.pack("!HHHH", 5000, 53, 72, 0) + bytes(range(65, 65 + 64))
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1000, 0, 0x50, 0x18, 65535, 0, 0) + b"GET / HTTP/1.1\r\n\r\n"
    cases = {
        # IPv4 in order, out of order, overlapping with other bytes
        "v4-inorder": [(0x02, 0, udp[:24]), (0x02, 3, udp[24:48]), (0x00, 6, udp[48:])],
        "v4-reverse": [(0x00, 6, udp[48:]), (0x02, 3, udp[24:48]), (0x02, 0, udp[:24])],
        "v4-overlap": [(0x02, 0, udp[:32]), (0x02, 2, b"X" * 24), (0x00, 4, udp[32:])],
        "v4-tcp-opts": [(0x52, 0, tcp[:16]), (0x50, 2, tcp[16:])],
        "v4-timeout": [(0x02, 0, udp[:24]), (0x20, 3, udp[24:])],
        "v4-big": [(0x02, 0, bytes(2040)), (0x02, 255, bytes(2040)), (0x00, 8000, bytes(1000))],
        # IPv6, with and without a destination options header
        "v6-inorder": [(0x03, 0, udp[:24]), (0x03, 3, udp[24:48]), (0x01, 6, udp[48:])],
        "v6-dstopts": [(0x13, 0, udp[:40]), (0x11, 5, udp[40:])],
        "v6-overlap": [(0x03, 0, udp[:32]), (0x03, 1, b"Y" * 16), (0x01, 4, udp[32:])],
        "v6-ids": [(0x03, 0, udp[:32]), (0x07, 0, udp[:32]), (0x01, 4, udp[32:]),
                   (0x05, 4, udp[32:])],
        "mixed": [(0x02, 0, udp[:24]), (0x03, 0, udp[:24]), (0x00, 3, udp[24:]),
                  (0x01, 3, udp[24:])],
    }
    for i, (name, frags) in enumerate(sorted(cases.items())):
        config = [0x0D, 0x0F, 0x04, 0x0E][i % 4]
        seeds.add("defrag", name, bytes([config]) + b"".join(frag_rec(*f) for f in frags))


# ---- HTTP, calendars, rules from the rule vectors ----

def load_vectors(name):
    with open(os.path.join(ROOT, "tests", "rules", name)) as f:
        return json.load(f)["vectors"]


def vector_http(v):
    req = ["%s %s HTTP/1.1" % (v.get("method") or "GET", v.get("uri") or "/"),
           "Host: %s" % (v.get("host") or "example.com")]
    req += ["%s: %s" % (k, val) for k, val in v.get("request_headers") or []]
    rbody = (v.get("request_body") or "").encode()
    if rbody:
        req.append("Content-Length: %d" % len(rbody))
    body = (v.get("response_body") or "").encode()
    resp = ["HTTP/1.1 %d X" % (v.get("status") or 200)]
    if v.get("location"):
        resp.append("Location: %s" % v["location"])
    if v.get("content_type"):
        resp.append("Content-Type: %s" % v["content_type"])
    resp.append("Content-Length: %d" % len(body))
    return ("\r\n".join(req) + "\r\n\r\n").encode() + rbody, \
        ("\r\n".join(resp) + "\r\n\r\n").encode() + body


def rules_by_sid():
    out = {}
    for fn in sorted(os.listdir(os.path.join(ROOT, "rules"))):
        if not fn.endswith(".rules"):
            continue
        with open(os.path.join(ROOT, "rules", fn)) as f:
            text = f.read().replace("\\\n", "")
        for line in text.splitlines():
            if line.startswith("alert") and "sid:" in line:
                sid = int(line.split("sid:")[1].split(";")[0])
                out[sid] = line
    return out


def vector_seeds(seeds):
    sids = rules_by_sid()
    for i, v in enumerate(load_vectors("vectors.json")):
        req, resp = vector_http(v)
        seeds.add("http", "vector-%03d" % i, http_seed([(0, req), (1, resp)]))
        sid = v.get("sid")
        if sid in sids and i % 8 == 0:  # each builds an engine: a few suffice
            sample = (v.get("uri") or "") + "\n" + (v.get("response_body") or "")
            seeds.add("rules", "vector-%03d" % i, (sids[sid] + "\n").encode() + b"\0" +
                      sample.encode()[:max(0, 4000 - len(sids[sid]))])
    for i, v in enumerate(load_vectors("ics_vectors.json")):
        cal = v.get("calendar") or v.get("response_body") or ""
        if cal:
            seeds.add("ics", "vector-%03d" % i, cal.encode())
        sid = v.get("sid")
        if sid in sids and cal and i % 8 == 0:
            seeds.add("rules", "ics-vector-%03d" % i, (sids[sid] + "\n").encode() + b"\0" +
                      cal.encode()[:max(0, 4000 - len(sids[sid]))])


def calendar_seeds(seeds, tmp):
    d = os.path.join(tmp, "cals")
    subprocess.run([PY, os.path.join(ROOT, "scripts", "gen_calendars.py"), "--seed", "9",
                    "--components", "40", "--per-calendar", "1,4", "--quiet", "--dir", d],
                   check=True)
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".ics"):
            with open(os.path.join(d, fn), "rb") as f:
                seeds.add("ics", fn, f.read())


def rule_file_seeds(seeds):
    """The shipped rules, cut into pieces under the target's 4 KB bound (no NUL:
    parsed only; the vectors' seeds build the engine)."""
    for fn in sorted(os.listdir(os.path.join(ROOT, "rules"))):
        if not fn.endswith(".rules"):
            continue
        with open(os.path.join(ROOT, "rules", fn), "rb") as f:
            lines = f.read().split(b"\n")
        piece, n = [], 0
        for line in lines:
            if sum(len(x) + 1 for x in piece) + len(line) > 3900 and piece:
                seeds.add("rules", "%s-%02d" % (fn, n), b"\n".join(piece) + b"\n")
                piece, n = [], n + 1
            piece.append(line)
        if piece:
            seeds.add("rules", "%s-%02d" % (fn, n), b"\n".join(piece) + b"\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    seeds = Seeds(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        capture_seeds(seeds, generate_captures(tmp))
        calendar_seeds(seeds, tmp)
    defrag_seeds(seeds)
    vector_seeds(seeds)
    rule_file_seeds(seeds)
    for t in sorted(seeds.count):
        print("seeds: %-8s %d" % (t, seeds.count[t]))


if __name__ == "__main__":
    main()
