"""Live capture (-i): a generated capture is replayed with tcpreplay into
one end of a veth pair joined across two network namespaces, plainsight
sniffs the other end, and after SIGTERM its events must match a file run
over the same capture (alerts, HTTP transactions, flows), with the planted
secrets of the generator's truth as the independent oracle for alerts.

Needs root (or CAP_NET_ADMIN and CAP_NET_RAW) to make namespaces; skipped
with a message otherwise. The generated frames are at most 1514 bytes (the
veth default MTU of 1500 fits them; the test raises the MTU if a capture
ever holds larger frames). Checksums: tcpreplay sends frames with the
checksums they were captured with, and plainsight does not verify
checksums anyway, so offloads play no part."""
import collections
import grp
import os
import pwd
import shutil
import signal
import struct
import subprocess
import time

from harness import (BIN, WORK, Skip, analyse, eq, final_stats, generate, of_type, read_eve,
                     test, validate_schema)


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


class VethPair:
    """Namespaces A and B joined by a veth pair; frames sent on A's end
    arrive on B's end."""

    def __init__(self, mtu):
        tag = f"ps{os.getpid() % 100000}"
        self.ns_a, self.ns_b = tag + "a", tag + "b"
        self.if_a, self.if_b = tag + "va", tag + "vb"
        if os.geteuid() != 0:
            raise Skip("live capture test needs root to create network namespaces")
        if shutil.which("ip") is None:
            raise Skip("iproute2 (ip) is not installed")
        r = sh("ip", "netns", "add", self.ns_a, check=False)
        if r.returncode != 0:
            raise Skip(f"cannot create a network namespace: {r.stderr.strip()}")
        try:
            sh("ip", "netns", "add", self.ns_b)
            sh("ip", "link", "add", self.if_a, "mtu", str(mtu), "type", "veth", "peer", "name",
               self.if_b, "mtu", str(mtu))
            sh("ip", "link", "set", self.if_a, "netns", self.ns_a)
            sh("ip", "link", "set", self.if_b, "netns", self.ns_b)
            for ns, ifc in ((self.ns_a, self.if_a), (self.ns_b, self.if_b)):
                # No IPv6 of the namespaces' own (router solicitations,
                # DAD) on the link: only the replayed frames.
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   "net.ipv6.conf.all.disable_ipv6=1", check=False)
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   "net.ipv6.conf.default.disable_ipv6=1", check=False)
                sh("ip", "-n", ns, "link", "set", ifc, "up")
        except Exception:
            self.close()
            raise

    def close(self):
        sh("ip", "netns", "del", self.ns_a, check=False)
        sh("ip", "netns", "del", self.ns_b, check=False)


def max_frame(pcap):
    with open(pcap, "rb") as f:
        data = f.read()
    off, m = 24, 0
    while off < len(data):
        caplen, wirelen = struct.unpack("<II", data[off + 8:off + 16])
        m = max(m, wirelen)
        off += 16 + caplen
    return m


def start_sensor(net, out, *extra):
    err_path = out + ".stderr"
    err = open(err_path, "w")
    p = subprocess.Popen(["ip", "netns", "exec", net.ns_b, BIN, "-i", net.if_b, "-o", out]
                         + list(extra), stderr=err)
    err.close()
    deadline = time.time() + 120
    while time.time() < deadline:
        text = open(err_path).read()
        if "listening on" in text:
            return p, err_path
        if p.poll() is not None:
            raise AssertionError(f"plainsight -i exited {p.returncode}: {text}")
        time.sleep(0.1)
    p.kill()
    raise AssertionError("plainsight -i did not start listening")


def stop_sensor(p, err_path):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("plainsight did not stop within 60 s of SIGTERM")
    eq(rc, 0, f"exit code after SIGTERM ({open(err_path).read()})")


def alert_key(e):
    return (e["alert"]["signature_id"], e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"],
            e.get("tx_id"))


def http_key(e):
    h = e["http"]
    return (e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"], e.get("tx_id"),
            h.get("hostname"), h.get("url"), h.get("http_method"), h.get("status"), h.get("length"))


def flow_key(e):
    f = e["flow"]
    return (e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"], f["pkts_toserver"],
            f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"])


def counts(events, kind, key):
    return collections.Counter(key(e) for e in of_type(events, kind))


@test
def live_capture_over_veth_matches_file_mode():
    if shutil.which("tcpreplay") is None:
        raise AssertionError("tcpreplay is not installed (scripts/deps.sh installs it)")
    pcap, truth = generate(31, "--sessions", "30", "--secrets", "30", "--max-body", "20K")
    assert truth["secrets"], "the capture should plant secrets"
    mtu = max(1500, max_frame(pcap) - 14)
    net = VethPair(mtu)
    try:
        out = os.path.join(WORK, "live.eve.json")
        # A short closed-flow timeout: flows that closed must end by
        # timeout on the wall clock while the link is quiet, before SIGTERM.
        args = ["-f", "tcp", "--threads", "2", "--stats-interval", "1", "--tcp-timeout-closed", "1"]
        user = None
        try:
            pwd.getpwnam("nobody")
            grp.getgrnam("nogroup")
            user = ["--user", "nobody", "--group", "nogroup"]
        except KeyError:
            pass
        p, err_path = start_sensor(net, out, *(args + (user or [])))
        try:
            if user:
                with open(f"/proc/{p.pid}/status") as f:
                    ids = {ln.split(":")[0]: ln.split()[1:] for ln in f
                           if ln.startswith(("Uid", "Gid"))}
                eq(ids["Uid"], [str(pwd.getpwnam("nobody").pw_uid)] * 4, "uids after --user")
                eq(ids["Gid"], [str(grp.getgrnam("nogroup").gr_gid)] * 4, "gids after --group")
            r = sh("ip", "netns", "exec", net.ns_a, "tcpreplay", "-q", "--pps", "2000", "-i",
                   net.if_a, pcap, check=False)
            assert r.returncode == 0, f"tcpreplay failed: {r.stdout} {r.stderr}"
            time.sleep(3)  # the last frames arrive; closed flows time out
            stop_sensor(p, err_path)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    finally:
        net.close()

    live = read_eve(out)
    validate_schema(live)
    ref = analyse(pcap, "-f", "tcp", name="live-ref")
    eq(counts(live, "alert", alert_key), counts(ref, "alert", alert_key), "alerts live vs file")
    eq(len(of_type(live, "alert")), len(truth["secrets"]), "alerts vs planted secrets")
    eq(counts(live, "http", http_key), counts(ref, "http", http_key), "http live vs file")
    eq(counts(live, "flow", flow_key), counts(ref, "flow", flow_key), "flows live vs file")
    for e in of_type(live, "flow"):
        eq(e.get("in_iface"), net.if_b, "in_iface of a live event")
        assert "pcap_filename" not in e, "live events carry in_iface, not pcap_filename"

    closed = {(f["src_ip"], f["src_port"]) for f in truth["flows"] if f["close"] != "open"}
    assert closed, "the capture should close some flows"
    for e in of_type(live, "flow"):
        want = "timeout" if (e["src_ip"], e["src_port"]) in closed else "shutdown"
        eq(e["flow"]["reason"], want, f"end reason of {e['src_ip']}:{e['src_port']}")

    st = final_stats(live)
    eq(st["decoder"]["pkts"], truth["packets"], "packets decoded")
    cap = st["capture"]
    for name in ("kernel_packets", "kernel_drops", "kernel_ifdrops"):
        assert name in cap, f"stats.capture.{name} missing"
    assert cap["kernel_packets"] >= truth["packets"], cap
    totals = [e for e in of_type(live, "stats") if "engine" not in e]
    assert len(totals) >= 2, "periodic stats expected during a live run"


@test
def live_capture_errors_say_what_to_do():
    if os.geteuid() != 0:
        raise Skip("needs root to run as another user")
    # An interface that does not exist.
    p = subprocess.run([BIN, "-q", "--no-rules", "-i", "nosuchif0", "-o", os.devnull], capture_output=True,
                       text=True)
    eq(p.returncode, 66, f"exit code for a missing interface ({p.stderr})")
    assert "no such interface" in p.stderr and "ip link" in p.stderr, p.stderr
    # Not permitted: the same binary as an unprivileged user.
    if shutil.which("setpriv") is None:
        raise Skip("setpriv (util-linux) is not installed")
    nobody = pwd.getpwnam("nobody").pw_uid
    p = subprocess.run(["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups",
                        BIN, "-q", "--no-rules", "-i", "lo", "-o", os.devnull],
                       capture_output=True, text=True)
    if p.returncode == 126 or "Permission denied" in p.stderr and "plainsight" not in p.stderr:
        raise Skip(f"the build is not executable by nobody: {p.stderr.strip()}")
    eq(p.returncode, 77, f"exit code without CAP_NET_RAW ({p.stderr})")
    assert "CAP_NET_RAW" in p.stderr and "root" in p.stderr, p.stderr
    # --user where switching is not permitted: root without CAP_SETUID and
    # CAP_SETGID can open the interface but must fail hard on the switch.
    p = subprocess.run(["setpriv", "--bounding-set=-setuid,-setgid", "--inh-caps=-setuid,-setgid",
                        BIN, "-q", "--no-rules", "-i", "lo", "--user", "nobody",
                        "-o", os.devnull], capture_output=True, text=True)
    eq(p.returncode, 77, f"exit code when the switch is refused ({p.stderr})")
    assert "cannot drop privileges: setgroups" in p.stderr, p.stderr
    # A misspelt user fails before anything is opened.
    p = subprocess.run([BIN, "-q", "--no-rules", "-i", "lo", "--user", "no-such-user-x", "-o", os.devnull],
                       capture_output=True, text=True)
    eq(p.returncode, 64, f"exit code for an unknown user ({p.stderr})")
    assert "--user no-such-user-x: no such user" in p.stderr, p.stderr


@test
def live_options_are_checked():
    def ps(*args):
        p = subprocess.run([BIN, "-q", "--no-rules"] + list(args), capture_output=True, text=True)
        return p.returncode, p.stderr

    pcap, _ = generate(11, "--sessions", "5")
    rc, err = ps("-i", "lo", "-r", pcap, "-o", os.devnull)
    eq(rc, 64, f"-i with -r ({err})")
    assert "-i and -r" in err, err
    rc, err = ps("-i", "lo", "-i", "eth0", "-o", os.devnull)
    eq(rc, 64, f"-i twice ({err})")
    assert "one interface per process" in err, err
    for opt in (["--user", "nobody"], ["--group", "nogroup"], ["--no-promisc"]):
        rc, err = ps("-r", pcap, "-o", os.devnull, *opt)
        eq(rc, 64, f"{opt[0]} without -i ({err})")
        assert "live capture (-i) only" in err, err
    rc, err = ps("-o", os.devnull)
    eq(rc, 64, "no input")
    assert "-i IFACE" in err, err
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True).stdout
    for needle in ("-i, --interface", "--no-promisc", "--user USER", "--group GROUP",
                   "--stats-interval", "--snaplen", "--buffer-size", "77", "SIGTERM"):
        assert needle in out, f"--help lacks {needle!r}"
    # Files: stats only at the end unless --stats-interval is given.
    events = analyse(pcap, "--no-rules", name="stats-end-only")
    eq(len([e for e in of_type(events, "stats") if "engine" not in e]), 1, "stats events")
