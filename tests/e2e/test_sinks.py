"""EVE sinks (--eve-out): Redis lists and channels (also across a Redis
restart mid-run), log rotation with SIGHUP, standard output, Unix sockets,
syslog, and several sinks at once.

The oracle for what a sink must receive is the file output of the same run
(or of an unrotated run of the same input): every line, compared as a
multiset, since workers flush in any order. A run is made long enough to
act in the middle of it by feeding the capture through standard input
(-r -) from a writer that pauses."""
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import BIN, ROOT, WORK, Skip, eq, generate, read_eve, test, validate_schema


def medium_capture():
    """About 8000 events (4.6 MB of EVE): many flushes of 192 KiB."""
    pcap, _ = generate(21, "--sessions", "2000", "--max-body", "4K")
    return pcap


def small_capture():
    pcap, _ = generate(11, "--sessions", "5")
    return pcap


def lines_of(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), f"{path} ends in the middle of a line"
    return data.split(b"\n")[:-1] if data else []


def parse_all(lines, what):
    events = []
    for i, line in enumerate(lines):
        try:
            events.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"{what}: line {i} is not JSON (torn?): {line[:80]!r}")
    return events


def same_lines(actual, expected, what):
    a, e = collections.Counter(actual), collections.Counter(expected)
    if a != e:
        extra, missing = a - e, e - a
        raise AssertionError(f"{what}: {sum(extra.values())} unexpected lines, e.g. "
                             f"{[x[:80] for x in list(extra)[:2]]}; {sum(missing.values())} "
                             f"missing, e.g. {[x[:80] for x in list(missing)[:2]]}")


SINK_LINE = re.compile(r"^plainsight: (?:error: )?(.*): (\d+) events written, (\d+) dropped, "
                       r"(\d+) reconnects, (\d+) write errors$", re.M)


def sink_counters(stderr):
    """{sink name: (written, dropped, reconnects, write_errors)} from the summary."""
    return {m.group(1): tuple(int(m.group(i)) for i in range(2, 6))
            for m in SINK_LINE.finditer(stderr)}


def output_events(events):
    """{sink name: message} of the `output` engine events."""
    out = {}
    for ev in events:
        eng = ev.get("engine", {})
        if ev.get("event_type") == "engine" and eng.get("module") == "output":
            m = re.match(r'sink=("(?:[^"\\]|\\.)*"|\S+) (.*)$', eng["message"])
            name = m.group(1)
            if name.startswith('"'):
                name = json.loads(name)
            out[name] = dict(kv.split("=") for kv in m.group(2).split())
    return out


def run(args, stdin=None):
    """Run plainsight (with its summary on stderr); return (rc, stdout, stderr)."""
    p = subprocess.run([BIN] + args, stdin=stdin, capture_output=True, timeout=600)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def paced_run(args, pcap, pieces=40, pause=0.08, at_piece=None):
    """Feed pcap to `plainsight -r - ARGS` in pieces with pauses; call
    at_piece[k](proc) after piece k. Returns (rc, stderr)."""
    with open(pcap, "rb") as f:
        data = f.read()
    errf = tempfile.TemporaryFile()
    p = subprocess.Popen([BIN, "-r", "-"] + args, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=errf)
    try:
        step = len(data) // pieces + 1
        for k in range(pieces):
            p.stdin.write(data[k * step:(k + 1) * step])
            p.stdin.flush()
            if at_piece and k in at_piece:
                at_piece[k](p)
            time.sleep(pause)
        p.stdin.close()
        rc = p.wait(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    errf.seek(0)
    return rc, errf.read().decode(errors="replace")


# --- Redis -----------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """The few Redis commands the tests need, over RESP."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")

    def send(self, *args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(b"*%d\r\n" % len(args) +
                          b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def cmd(self, *args):
        self.send(*args)
        return self.read()

    def close(self):
        self.sock.close()


class RedisServer:
    """A redis-server of our own on a free port, in a temporary directory;
    with the append-only file, so a restart keeps what it had."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            raise Skip("redis-server is not installed (Debian package redis-server; "
                       "scripts/deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=WORK)
        self.port = free_port()
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "redis.log"), "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--daemonize", "no"], stdout=self.log, stderr=self.log)
        for _ in range(200):
            try:
                c = Resp(self.port, timeout=1)
                if c.cmd("PING") == "PONG":
                    c.close()
                    return self
            except (OSError, RuntimeError):
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited {self.proc.returncode}")
            time.sleep(0.05)
        raise AssertionError("redis-server did not answer PING")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # flushes the append-only file
            self.proc.wait(timeout=30)
        self.proc = None
        self.log.close()

    def lrange(self, key):
        c = Resp(self.port)
        try:
            return c.cmd("LRANGE", key, 0, -1)
        finally:
            c.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Subscriber(threading.Thread):
    """Collects every message published on a channel."""

    def __init__(self, port, channel):
        super().__init__(daemon=True)
        self.conn = Resp(port, timeout=30)
        self.conn.cmd("SUBSCRIBE", channel)  # waits for the confirmation
        self.messages = []
        self.stop_flag = False

    def run(self):
        try:
            while not self.stop_flag:
                msg = self.conn.read()
                if msg and msg[0] == b"message":
                    self.messages.append(msg[2])
        except (OSError, ConnectionError):
            pass

    def wait_for(self, n, timeout=30):
        end = time.time() + timeout
        while len(self.messages) < n and time.time() < end:
            time.sleep(0.05)
        self.stop_flag = True
        self.conn.close()
        return self.messages


@test
def redis_list_receives_every_event():
    pcap = medium_capture()
    out = os.path.join(WORK, "redis-list.json")
    with RedisServer() as r:
        spec = f"redis://127.0.0.1:{r.port}/eve"
        rc, _, err = run(["-r", pcap, "-o", out, "--eve-out", spec])
        eq(rc, 0, f"exit code ({err})")
        got = r.lrange("eve")
    want = lines_of(out)
    assert len(want) > 5000, len(want)
    same_lines(got, want, "Redis list vs file")
    events = parse_all(got, "redis")
    validate_schema(events)
    eq(sink_counters(err)[spec], (len(want), 0, 0, 0), "summary counters")
    counters = output_events(events)[spec]
    eq(counters["dropped"], "0", "output event: dropped")
    # the output events count every event before them
    eq(int(counters["written"]), len(want) - 2, "output event: written")


@test
def redis_channel_receives_every_event():
    pcap = medium_capture()
    out = os.path.join(WORK, "redis-channel.json")
    with RedisServer() as r:
        sub = Subscriber(r.port, "eve-live")
        sub.start()
        spec = f"redis://127.0.0.1:{r.port}/eve-live?mode=channel"
        rc, _, err = run(["-r", pcap, "-o", out, "--eve-out", spec])
        eq(rc, 0, f"exit code ({err})")
        want = lines_of(out)
        got = sub.wait_for(len(want))
        eq(r.lrange("eve-live"), [], "nothing pushed to a list in channel mode")
    same_lines(got, want, "Redis channel vs file")
    eq(sink_counters(err)[spec][:2], (len(want), 0), "written, dropped")


def redis_restart_run(name, down, *extra):
    """A paced run into a file and Redis; Redis is stopped after 40% of the
    input and started again `down` seconds later while the input goes on.
    Returns (rc, stderr, file lines, Redis list, events Redis had before)."""
    pcap = medium_capture()
    out = os.path.join(WORK, name + ".json")
    r = RedisServer().start()
    spec = f"redis://127.0.0.1:{r.port}/eve"
    before, threads = [], []

    def restart(_proc):
        before.append(len(r.lrange("eve")))
        r.stop()

        def start_again():
            time.sleep(down)
            r.start()
        threads.append(threading.Thread(target=start_again))
        threads[0].start()

    try:
        rc, err = paced_run(["-o", out, "--eve-out", spec, "--eve-reconnect-max", "1"] +
                            list(extra), pcap, at_piece={16: restart})
        for t in threads:
            t.join()
        got = r.lrange("eve")
    finally:
        for t in threads:
            t.join()
        r.stop()
    assert before and before[0] > 0, "no event had reached Redis before the restart"
    counters = sink_counters(err)[spec]
    written, dropped, reconnects, _ = counters
    want = lines_of(out)
    eq(written + dropped, len(want), f"written {written} + dropped {dropped} vs events")
    eq(rc, 74 if dropped else 0, f"exit code ({err})")
    assert reconnects >= 1, f"no reconnection counted: {err}"
    assert f"warning: {spec}" in err, err
    # Every event Redis holds is one of the run's, and at most `dropped` are
    # missing. A line may be there twice: Redis may have run a command whose
    # reply the restart cut off, and it was sent again.
    extra_lines = set(got) - set(want)
    assert not extra_lines, f"{len(extra_lines)} lines in Redis that the run did not write"
    missing = set(want) - set(got)
    assert len(missing) <= dropped, f"{len(missing)} events missing, {dropped} counted dropped"
    assert len(got) >= written, f"Redis holds {len(got)}, {written} counted written"
    parse_all(got, "redis")
    return counters, want, got


@test
def redis_restart_mid_run_delivers_every_event():
    # the default queue holds the whole run: nothing may be dropped
    (written, dropped, _, _), want, got = redis_restart_run("redis-restart", 0.5)
    eq(dropped, 0, "dropped with a queue that holds the whole run")
    eq(set(got), set(want), "events in Redis after the restart")


@test
def redis_restart_with_a_small_queue_counts_what_it_drops():
    (written, dropped, _, _), want, got = redis_restart_run(
        "redis-restart-small", 1.5, "--eve-queue-size", "100")
    assert dropped > 0, "a 100-event queue held 1.5 s of a run without Redis?"
    assert written > 0


# --- files, stdout, sockets ----------------------------------------------

def normalised(lines):
    """Lines of one run comparable with another run's: wall-clock uptime and
    the output events (their counters differ by design) left out."""
    keep = []
    for line in lines:
        ev = json.loads(line)
        if ev.get("event_type") == "engine" and ev["engine"].get("module") == "output":
            continue
        if ev.get("event_type") == "stats":
            ev["stats"].pop("uptime", None)
        keep.append(json.dumps(ev, sort_keys=True))
    return keep


@test
def sighup_rotation_loses_and_tears_no_line():
    pcap = medium_capture()
    d = os.path.join(WORK, "rotate")
    os.makedirs(d, exist_ok=True)
    live, rotated = os.path.join(d, "eve.json"), os.path.join(d, "eve.json.1")
    ref = os.path.join(d, "ref.json")
    with open(pcap, "rb") as f:
        rc, _, err = run(["-r", "-", "-o", ref], stdin=f)
    eq(rc, 0, f"reference run ({err})")

    def rotate(proc):
        end = time.time() + 60
        while os.path.getsize(live) == 0 and time.time() < end:
            time.sleep(0.05)  # wait for a first flush, so both files get lines
        os.rename(live, rotated)
        proc.send_signal(signal.SIGHUP)

    rc, err = paced_run(["--eve-out", f"file:{live}"], pcap, at_piece={14: rotate})
    eq(rc, 0, f"exit code ({err})")
    old, new = lines_of(rotated), lines_of(live)
    assert old and new, f"rotation split nothing: {len(old)} + {len(new)} lines"
    events = parse_all(old, "rotated file") + parse_all(new, "new file")
    validate_schema(events)
    same_lines(normalised(old + new), normalised(lines_of(ref)), "rotated files vs reference")
    eq(sink_counters(err)[f"file:{live}"][2], 1, "reopens counted as reconnects")


@test
def stdout_sink_and_file_sinks_get_identical_events():
    pcap = small_capture()
    a, b = os.path.join(WORK, "multi-a.json"), os.path.join(WORK, "multi-b.json")
    with open(b, "w") as f:
        f.write("")  # file: appends; start empty
    rc, stdout, err = run(["-r", pcap, "-o", a, "--eve-out", f"file:{b}", "--eve-out", "-"])
    eq(rc, 0, f"exit code ({err})")
    want = lines_of(a)
    assert want
    same_lines(lines_of(b), want, "file: sink vs -o")
    same_lines(stdout.split(b"\n")[:-1], want, "stdout vs -o")
    names = set(output_events(parse_all(want, "file")))
    eq(names, {f"file:{a}", f"file:{b}", "-"}, "one output event per sink")
    # file: appends: a second run doubles the file, -o truncates
    rc, _, err = run(["-r", pcap, "-o", a, "--eve-out", f"file:{b}"])
    eq(len(lines_of(b)), 2 * len(lines_of(a)) + 1, "file: appended (one more sink event)")


class StreamListener(threading.Thread):
    def __init__(self, path):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        self.srv.settimeout(60)
        self.data = b""

    def run(self):
        try:
            conn, _ = self.srv.accept()
            conn.settimeout(60)
            while True:
                chunk = conn.recv(1 << 16)
                if not chunk:
                    break
                self.data += chunk
        except OSError:
            pass


class DgramListener(threading.Thread):
    """Collects datagrams until 3 s of silence after the first one (or 300 s
    without any)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(3)
        self.datagrams = []

    def run(self):
        end = time.time() + 300
        while True:
            try:
                self.datagrams.append(self.sock.recv(1 << 20))
            except socket.timeout:
                if self.datagrams or time.time() > end:
                    break
            except OSError:
                break


@test
def unix_socket_sinks_and_redis_at_once_get_identical_events():
    pcap = medium_capture()
    d = tempfile.mkdtemp(prefix="socks-", dir="/tmp")  # short paths for sun_path
    try:
        sp, dp = os.path.join(d, "s.sock"), os.path.join(d, "d.sock")
        stream, dgram = StreamListener(sp), DgramListener(dp)
        stream.start()
        dgram.start()
        out = os.path.join(WORK, "socks.json")
        with RedisServer() as r:
            spec = f"redis://127.0.0.1:{r.port}/all"
            rc, _, err = run(["-r", pcap, "-o", out, "--eve-out", f"unix-stream:{sp}",
                              "--eve-out", f"unix-dgram:{dp}", "--eve-out", spec])
            got_redis = r.lrange("all")
        stream.join(60)
        dgram.join(60)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    eq(rc, 0, f"exit code ({err})")
    want = lines_of(out)
    assert stream.data.endswith(b"\n"), "stream ends mid-line"
    same_lines(stream.data.split(b"\n")[:-1], want, "unix-stream vs file")
    same_lines(dgram.datagrams, want, "unix-dgram (one event per datagram) vs file")
    same_lines(got_redis, want, "redis vs file")
    for name, c in sink_counters(err).items():
        eq(c[:2], (len(want), 0), f"{name}: written, dropped")


@test
def network_sink_down_for_the_whole_run_is_counted_not_fatal():
    pcap = small_capture()
    out = os.path.join(WORK, "down.json")
    spec = "unix-stream:/nonexistent-dir/eve.sock"
    rc, _, err = run(["-r", pcap, "-o", out, "--eve-out", spec, "--eve-drain-timeout", "1"])
    eq(rc, 74, f"exit code ({err})")
    assert f"{spec}: cannot connect" in err, err
    want = lines_of(out)
    eq(sink_counters(err)[spec][:2], (0, len(want)), "written, dropped")
    eq(output_events(parse_all(want, "file"))[spec]["written"], "0", "output event")


@test
def bad_sink_specs_exit_64_naming_the_spec():
    pcap = small_capture()
    for spec in ("tcp://127.0.0.1:9", "syslog:local9", "syslog:user:loud", "redis://h:0/k",
                 "redis://h:6379", "redis://h/k?mode=set", "file:", "unix-dgram:"):
        rc, _, err = run(["-r", pcap, "-o", os.path.join(WORK, "bad.json"), "--eve-out", spec])
        eq(rc, 64, f"exit code for {spec!r}")
        assert f"'{spec}'" in err, f"{spec}: {err}"
    dup = os.path.join(WORK, "dup.json")
    for args in (["-o", dup, "--eve-out", f"file:{dup}"], ["--eve-out", "-", "--eve-out", "-"]):
        rc, _, err = run(["-r", pcap] + args)
        eq(rc, 64, f"exit code for the same sink twice: {args}")
        assert "the same sink" in err, err
    rc, _, err = run(["-r", pcap, "--eve-out", "file:/nonexistent-dir/eve.json"])
    eq(rc, 73, "exit code for a file that cannot be created")
    assert "/nonexistent-dir/eve.json" in err, err


# --- syslog ----------------------------------------------------------------

SYSLOG_SCRIPT = r"""
set -e
mkdir -p "$T/realdev"
mount --rbind /dev "$T/realdev"
mount -t tmpfs tmpfs /dev
for n in null zero full random urandom; do
  touch /dev/$n && mount --bind "$T/realdev/$n" /dev/$n
done
ln -s /proc/self/fd /dev/fd
touch /dev/log && mount --bind "$T/log.sock" /dev/log
exec "$@"
"""


@test
def syslog_delivers_every_event_with_its_priority():
    """syslog(3) always writes to /dev/log: the run gets a private mount
    namespace where /dev/log is the test's socket (needs root or
    CAP_SYS_ADMIN; nothing changes outside that namespace)."""
    if shutil.which("unshare") is None:
        raise Skip("unshare (util-linux) is not installed")
    pcap = small_capture()
    d = tempfile.mkdtemp(prefix="syslog-", dir="/tmp")
    try:
        sock_path = os.path.join(d, "log.sock")
        listener = DgramListener(sock_path)
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                'mount -t tmpfs tmpfs "$0"', d], capture_output=True)
        if probe.returncode != 0:
            raise Skip("cannot make a mount namespace here: "
                       + probe.stderr.decode(errors="replace").strip())
        listener.start()
        out = os.path.join(WORK, "syslog.json")
        env = dict(os.environ, T=d)
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            SYSLOG_SCRIPT, "sh", BIN, "-r", pcap, "-o", out, "--eve-out",
                            "syslog:local3:notice"], env=env, capture_output=True, timeout=300)
        listener.join(60)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    err = p.stderr.decode(errors="replace")
    eq(p.returncode, 0, f"exit code ({err})")
    want = lines_of(out)
    pri = 19 * 8 + 5  # local3, notice
    bodies = []
    for msg in listener.datagrams:
        m = re.match(rb"<(\d+)>.*? plainsight\[\d+\]: (.*)$", msg, re.S)
        assert m, f"not a syslog message: {msg[:80]!r}"
        eq(int(m.group(1)), pri, "priority")
        bodies.append(m.group(2))
    same_lines(bodies, want, "syslog messages vs file")


@test
def help_documents_sinks_and_their_limits():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True).stdout
    for needle in ("--eve-out SINK", "file:PATH", "unix-stream:PATH", "unix-dgram:PATH",
                   "syslog[:FACILITY[:LEVEL]]", "redis://HOST[:PORT]/KEY[?mode=list|channel]",
                   "--eve-queue-size", "--eve-queue-memcap", "--eve-drain-timeout",
                   "--eve-reconnect-max", "SIGHUP"):
        assert needle in out, f"--help lacks {needle!r}"
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    for needle in ("## Sinks", "postrotate", "kill -HUP", "--eve-queue-size", "mode=channel"):
        assert needle in readme, f"README lacks {needle!r}"
