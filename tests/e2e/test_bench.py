"""bench/bench.py still runs: a small corpus, two runs of each configuration,
results written outside the source tree. It checks the harness works, not
any figure (no timing assertions: the machines are shared)."""
import os
import re
import subprocess
import sys

from harness import BIN, ROOT, SANITIZED, WORK, Skip, test

BENCH = os.path.join(ROOT, "bench", "bench.py")
FLOOR = os.path.join(ROOT, "build", "bench", "floor")

CONFIGS = ["floor (libpcap, touch every packet)", "plainsight, no rules, --threads 1",
           "plainsight, no rules, --threads 2", "plainsight, rules, --threads 1",
           "plainsight, rules, --threads 2"]


def _stamps():
    """Modification times of every file under bench/ but the corpora."""
    out = {}
    for top, dirs, files in os.walk(os.path.join(ROOT, "bench")):
        dirs[:] = [d for d in dirs if d != "corpus"]
        for n in files:
            out[os.path.join(top, n)] = os.stat(os.path.join(top, n)).st_mtime_ns
    return out


@test
def bench_smoke_run_writes_results():
    if SANITIZED:
        raise Skip("sanitizer build: the bench measures release builds")
    if not os.access(FLOOR, os.X_OK):
        raise Skip(f"{FLOOR} is not built")
    before = _stamps()
    work = os.path.join(WORK, "bench")
    results = os.path.join(work, "RESULTS.md")
    os.makedirs(work, exist_ok=True)
    p = subprocess.run([sys.executable, BENCH, "--only", "20M", "--reps", "2", "--bin", BIN,
                        "--tshark-max", "0", "--peers-max", "0", "--corpus",
                        os.path.join(work, "corpus"), "--work", os.path.join(work, "out"),
                        "--results", results], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    with open(results) as f:
        text = f.read()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] in CONFIGS:
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(CONFIGS), sorted(rows)
    for name, cells in rows.items():
        gbps = float(cells[2])
        assert gbps > 0, (name, cells)
        assert re.fullmatch(r"\d+ %", cells[9]), (name, cells)  # spread of the 2 runs
    assert rows[CONFIGS[0]][5] == "1.00", rows[CONFIGS[0]]  # the floor over itself
    # The alerts of the corpus are checked against its generator's truth.
    m = re.search(r"against the generator's truth.*?: (exact|MISMATCH): planted secrets: (\d+)",
                  text)
    assert m and m.group(1) == "exact" and int(m.group(2)) > 0, text[-1500:]
    assert "## Targets" in text
    # Nothing in the source tree was rewritten.
    assert _stamps() == before, "the bench wrote into bench/ despite --results and --work"
