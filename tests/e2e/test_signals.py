"""Long-running operation on a slowly fed standard input: SIGTERM/SIGINT
stop a run with every flow flushed and the final stats written, and
--stats-interval writes periodic stats while packets flow.

Oracles: the capture itself, parsed here (packets and the TCP 5-tuples of
the part that was fed), and a file-mode run over exactly that part."""
import collections
import os
import signal
import struct
import subprocess
import threading
import time

from harness import (BIN, WORK, eq, final_stats, generate, of_type, read_eve, test,
                     validate_schema, write_pcap)


def pcap_records(path):
    """(global header, [(record header + frame bytes, frame)]) of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "little-endian microsecond pcap expected"
    recs, off = [], 24
    while off < len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append((data[off:off + 16 + caplen], data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return data[:24], recs


def tcp_key(frame):
    """Direction-free TCP 5-tuple of an Ethernet frame, or None."""
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 6:
            return None
        a, b = frame[26:30], frame[30:34]
        l4 = 14 + ihl
    elif etype == 0x86DD:
        if frame[20] != 6:
            return None
        a, b = frame[22:38], frame[38:54]
        l4 = 54
    else:
        return None
    sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
    return tuple(sorted([(a, sp), (b, dp)]))


def flow_key(ev):
    import ipaddress
    a = (ipaddress.ip_address(ev["src_ip"]).packed, ev["src_port"])
    b = (ipaddress.ip_address(ev["dest_ip"]).packed, ev["dest_port"])
    return tuple(sorted([a, b]))


class SlowFeed:
    """plainsight -r - with a writer that sends chunks of a capture on request,
    keeping the pipe open between them."""

    def __init__(self, args, out):
        self.out = out
        self.err = open(out + ".stderr", "w")
        self.p = subprocess.Popen([BIN, "-r", "-", "-o", out] + args, stdin=subprocess.PIPE,
                                  stderr=self.err)

    def kill(self):
        """Cleanup after a failure: nothing may outlive the test."""
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def wait_for_stats(self, pkts, deadline=60):
        """Wait until a stats event shows `pkts` packets decoded (with
        --stats-interval 1): everything sent so far went through."""
        end = time.time() + deadline
        while time.time() < end:
            if os.path.exists(self.out):
                try:
                    evs = read_eve(self.out)
                except ValueError:
                    evs = []  # a line being written
                for e in of_type(evs, "stats"):
                    if "engine" not in e and e["stats"]["decoder"]["pkts"] >= pkts:
                        return
            if self.p.poll() is not None:
                raise AssertionError(f"plainsight exited early with {self.p.returncode}")
            time.sleep(0.2)
        raise AssertionError(f"no stats event with {pkts} packets within {deadline}s")

    def finish(self, sig=None, timeout=60):
        if sig is not None:
            self.p.send_signal(sig)
        else:
            self.p.stdin.close()
        try:
            rc = self.p.wait(timeout=timeout)
        finally:
            if self.p.poll() is None:
                self.p.kill()
            if sig is not None:
                self.p.stdin.close()
            self.err.close()
        return rc, open(self.out + ".stderr").read()


def stop_mid_capture(sig, threads):
    pcap, _ = generate(21, "--sessions", "40", "--max-body", "30K", "--secrets", "20")
    hdr, recs = pcap_records(pcap)
    half = len(recs) // 2
    out = os.path.join(WORK, f"stop-{sig}-{threads}.eve.json")
    feed = SlowFeed(["--threads", str(threads), "--stats-interval", "1"], out)
    try:
        feed.send(hdr + b"".join(r for r, _ in recs[:half]))
        feed.wait_for_stats(half)
        # The reader is now blocked on the quiet pipe: the signal must end it.
        rc, err = feed.finish(sig)
    finally:
        feed.kill()
    eq(rc, 0, f"exit code after {signal.Signals(sig).name} ({err})")
    events = read_eve(out)
    validate_schema(events)

    # Every TCP flow of the part fed, with all its packets, is in a flow event.
    fed = collections.Counter(k for k in (tcp_key(f) for _, f in recs[:half]) if k)
    flows = {flow_key(e): e for e in of_type(events, "flow") if e["proto"] == "TCP"}
    eq(set(flows), set(fed), "TCP flows of the part fed")
    for k, n in fed.items():
        f = flows[k]["flow"]
        eq(f["pkts_toserver"] + f["pkts_toclient"], n, f"packets of flow {k}")
        eq(f["reason"], "shutdown", "flow end reason")

    # The final stats count exactly what was fed.
    eq(final_stats(events)["decoder"]["pkts"], half, "final decoder.pkts")

    # The same transactions as a file run over that part.
    part = os.path.join(WORK, f"stop-part-{sig}-{threads}.pcap")
    with open(part, "wb") as f:
        f.write(hdr + b"".join(r for r, _ in recs[:half]))
    ref_out = part + ".eve.json"
    subprocess.run([BIN, "-q", "-r", part, "-o", ref_out], check=True)
    ref = read_eve(ref_out)

    def tx(evs):
        return collections.Counter((e["src_ip"], e["src_port"], e["tx_id"], e["http"].get("url"),
                                    e["http"].get("status")) for e in of_type(evs, "http"))

    eq(tx(events), tx(ref), "http transactions")
    assert of_type(ref, "http"), "the part fed should hold HTTP transactions"


@test
def sigterm_mid_capture_flushes_every_flow_two_threads():
    stop_mid_capture(signal.SIGTERM, 2)


@test
def sigint_mid_capture_flushes_every_flow_one_thread():
    stop_mid_capture(signal.SIGINT, 1)


def periodic_stats(threads):
    pcap, truth = generate(22, "--sessions", "40", "--max-body", "30K", "--secrets", "20")
    hdr, recs = pcap_records(pcap)
    out = os.path.join(WORK, f"periodic-{threads}.eve.json")
    feed = SlowFeed(["--threads", str(threads), "--stats-interval", "1"], out)
    chunks = 4
    try:
        feed.send(hdr)
        step = (len(recs) + chunks - 1) // chunks
        sent = 0
        for i in range(chunks):
            part = recs[i * step:(i + 1) * step]
            feed.send(b"".join(r for r, _ in part))
            sent += len(part)
            feed.wait_for_stats(sent)
        rc, err = feed.finish()
    finally:
        feed.kill()
    eq(rc, 0, f"exit code ({err})")
    events = read_eve(out)
    validate_schema(events)
    totals = [e["stats"] for e in of_type(events, "stats") if "engine" not in e]
    assert len(totals) >= chunks + 1, f"{len(totals)} stats events, expected at least {chunks + 1}"

    def figures(s):
        return (s["decoder"]["pkts"], s["decoder"]["bytes"], s["flow"]["total"],
                s["app_layer"]["tx"]["http"], s["detect"]["alert"], s["uptime"])

    for a, b in zip(totals, totals[1:]):
        assert all(x <= y for x, y in zip(figures(a), figures(b))), \
            f"counters went down: {figures(a)} then {figures(b)}"
    last = totals[-1]
    eq(last["decoder"]["pkts"], len(recs), "final decoder.pkts")
    eq(last["flow"]["total"], len(truth["flows"]), "final flow.total")
    eq(last["app_layer"]["tx"]["http"], sum(len(f["http"]) for f in truth["flows"]),
       "final http transactions")
    eq(last["detect"]["alert"], len(truth["secrets"]), "final alerts")
    # Periodic ones in between saw part of the input.
    assert any(0 < t["decoder"]["pkts"] < len(recs) for t in totals), "no intermediate stats"
    if threads > 1:
        per_worker = [e for e in of_type(events, "stats") if "engine" in e]
        assert per_worker, "per-worker stats events expected with several threads"


@test
def periodic_stats_grow_and_end_at_the_totals_one_thread():
    periodic_stats(1)


@test
def periodic_stats_grow_and_end_at_the_totals_two_threads():
    periodic_stats(2)


def run_with_stderr(stderr_is_tty, quiet):
    """A slowly fed run with standard error on a pseudo-terminal or a pipe;
    returns what reached standard error."""
    import pty
    pcap, _ = generate(23, "--sessions", "20", "--max-body", "20K")
    hdr, recs = pcap_records(pcap)
    out = os.path.join(WORK, f"progress-{stderr_is_tty}-{quiet}.eve.json")
    if stderr_is_tty:
        master, slave = pty.openpty()
    else:
        master, slave = os.pipe()
    args = [BIN, "-r", "-", "-o", out, "--threads", "1", "--no-rules", "--stats-interval", "1"]
    p = subprocess.Popen(args + (["-q"] if quiet else []), stdin=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: _read(master), b"")))
    reader.start()
    try:
        p.stdin.write(hdr + b"".join(r for r, _ in recs[:len(recs) // 2]))
        p.stdin.flush()
        # Wait for a periodic stats event: a tick has passed with data read.
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(out) and any(e["event_type"] == "stats" for e in read_eve(out)):
                break
            time.sleep(0.2)
        p.stdin.write(b"".join(r for r, _ in recs[len(recs) // 2:]))
        p.stdin.close()
        eq(p.wait(timeout=60), 0, "exit code")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        reader.join(timeout=10)
        os.close(master)
    return b"".join(chunks).decode(errors="replace")


def _read(fd):
    try:
        return os.read(fd, 4096)
    except OSError:  # the pty's other side closed
        return b""


@test
def progress_line_on_a_terminal_only_and_cleared_before_the_summary():
    text = run_with_stderr(True, False)
    assert "\rplainsight: " in text and " flows, " in text and " MB/s" in text, repr(text[-400:])
    last = text.rindex("\rplainsight: ")
    summary = text.index("packets (", last)
    assert "\r\x1b[K" in text[last:summary], "the progress line is not erased before the summary"
    assert "\rplainsight: " not in run_with_stderr(False, False), "progress line without a tty"
    quiet = run_with_stderr(True, True)
    assert "MB/s" not in quiet, f"progress line with -q: {quiet!r}"
