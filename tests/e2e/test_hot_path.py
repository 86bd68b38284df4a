"""The hot path allocates nothing per packet: the same sessions sent with
bodies 100 times larger (several times the packets, the same flows and
transactions) cost no more allocations, whatever the threads and rules.
Allocations are counted by an LD_PRELOAD library (malloc_count.c) built
here; sanitizer builds bring their own allocator and are skipped."""
import os
import subprocess

from harness import BIN, ROOT, SANITIZED, WORK, Skip, generate, test

SHIM_SRC = os.path.join(ROOT, "tests", "e2e", "malloc_count.c")
SHIM = os.path.join(WORK, "malloc_count.so")

# At most one allocation per this many extra packets. Out-of-order segments
# are copied into the stream store in chunks, which counts a little.
PACKETS_PER_ALLOCATION = 20


def _shim():
    if SANITIZED:
        raise Skip("sanitizer build: its allocator cannot be interposed")
    if not os.path.exists(SHIM):
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", SHIM, SHIM_SRC, "-ldl"],
                       check=True, capture_output=True)
    return SHIM


def _allocations(pcap, *args):
    count = os.path.join(WORK, "malloc-count.txt")
    if os.path.exists(count):
        os.unlink(count)
    env = dict(os.environ, LD_PRELOAD=_shim(), MALLOC_COUNT_OUT=count)
    out = os.path.join(WORK, "hot-path.eve.json")
    p = subprocess.run([BIN, "-q", "-r", pcap, "-o", out] + list(args), env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    with open(count) as f:
        return int(f.read())


def _pair(*opts):
    """The same sessions with small and with large bodies."""
    ps, ts = generate(23, "--sessions", "60", "--max-body", "4K", *opts)
    pl, tl = generate(23, "--sessions", "60", "--max-body", "400K", *opts)
    assert len(ts["flows"]) == len(tl["flows"])
    n_tx = [sum(len(fl.get("http", [])) for fl in t["flows"]) for t in (ts, tl)]
    assert n_tx[0] == n_tx[1], n_tx
    assert tl["packets"] > 3 * ts["packets"], (ts["packets"], tl["packets"])
    return ps, pl, tl["packets"] - ts["packets"]


def _check(opts, runs):
    small, large, extra_packets = _pair(*opts)
    for args in runs:
        a, b = _allocations(small, *args), _allocations(large, *args)
        assert b - a <= extra_packets / PACKETS_PER_ALLOCATION, (
            f"{' '.join(args)}: {b - a} more allocations for {extra_packets} more packets "
            f"({a} -> {b})")


RUNS = [["--no-rules", "--threads", "1"], ["--no-rules", "--threads", "2"],
        ["--threads", "1"], ["--threads", "2"]]


@test
def hot_path_allocations_do_not_grow_with_packets():
    _check((), RUNS)


@test
def hot_path_allocations_stay_bounded_with_reordering_and_retransmissions():
    _check(("--reorder", "5", "--retransmit", "2"), [["--no-rules", "--threads", "2"],
                                                     ["--threads", "1"]])
