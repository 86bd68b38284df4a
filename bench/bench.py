#!/usr/bin/env python3
"""Throughput benchmark: plainsight against a read-only floor and the tools
a user would otherwise reach for, in one run.

For each corpus (100 MB and 1 GB, and 10 GB with --size 10G; generated
once with scripts/gen_traffic.py, 2 % of sessions carrying a planted
secret, then reused), runs interleaved and repeated:

  floor          bench/floor: libpcap opens the file and touches every packet
  plainsight     --threads 1 and 2, without rules (--no-rules) and with the
                 shipped rules (compiled once beforehand into the bench's
                 rules cache, so runs measure a warm start)
  peers          when installed: tshark with an HTTP display filter (slow:
                 only on corpora up to --tshark-max, 1 GB by default),
                 tcpflow (stream reassembly to the console), ngrep (a regex
                 over packets), tcpdump (read and write to /dev/null)

It reports the median wall time, GB/s (10^9 bytes of capture file per
second), packets/s and peak RSS of each configuration, its ratio to the
floor and plainsight's ratio to each peer; checks the alerts of the 1 GB
run against the generator's truth; checks the targets; writes
bench/RESULTS.md (the hand-written part after the notes marker is kept)
and bench/throughput.png (gnuplot).

usage: bench/bench.py [--size 10G] [--reps 3] [--profile] [--note TEXT]
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BENCH = os.path.join(ROOT, "bench")
NOTES_MARK = "<!-- notes: everything below this line is kept when bench.py rewrites the file -->"
INSTALL = {"time": "time", "tshark": "tshark", "tcpflow": "tcpflow", "ngrep": "ngrep", "tcpdump": "tcpdump",
           "gnuplot": "gnuplot-nox", "perf": "linux-perf"}
SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
HAVE_TIME = os.access("/usr/bin/time", os.X_OK)


def size_bytes(text):
    t = text.upper().rstrip("B")
    return int(float(t[:-1]) * SUFFIX[t[-1]]) if t[-1:] in SUFFIX else int(t)


def ensure_corpus(size, directory, seed):
    os.makedirs(directory, exist_ok=True)
    pcap = os.path.join(directory, f"corpus-{size}-s{seed}-secrets.pcap")
    truth_path = pcap[:-5] + ".truth.json"
    if not (os.path.exists(pcap) and os.path.exists(truth_path)):
        print(f"bench: generating {pcap} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_traffic.py"),
                        "--seed", str(seed), "--size", size, "--ipv6", "20", "--vlan", "10",
                        "--reorder", "2", "--retransmit", "1", "--secrets", "2",
                        "--out", pcap], check=True)
    with open(truth_path) as f:
        head = f.read(4096)
    m = re.search(r'"packets"\s*:\s*(\d+)', head)
    if m is None:  # the count is not near the top: read it all
        with open(truth_path) as f:
            packets = json.load(f)["packets"]
    else:
        packets = int(m.group(1))
    return pcap, truth_path, packets


def run_once(cmd, cwd):
    """Wall seconds and peak RSS (MiB) of one run; output discarded. The RSS
    comes from GNU time, which forks a small process: the rusage of a child
    forked from Python would count Python's own pages. Runs in cwd, the
    scratch directory."""
    rss_file = os.path.join(cwd, "rss.txt")
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + cmd if HAVE_TIME else cmd
    t0 = time.perf_counter()
    p = subprocess.run(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {p.returncode}: "
                         f"{p.stderr.decode(errors='replace')[-500:]}")
    rss, cpu = 0.0, float("nan")
    if HAVE_TIME:
        with open(rss_file) as f:
            m, u, s = f.read().split()[-3:]
            rss, cpu = int(m) / 1024, float(u) + float(s)
    return wall, rss, cpu


def machine():
    model, cores, flags = "?", 0, set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k == "model name":
                model = v
                cores += 1
            elif k == "flags":
                flags = set(v.split())
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    simd = " ".join(x for x in ("sse4_2", "avx", "avx2", "avx512f", "avx512bw") if x in flags)
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (f"{model}, {cores} logical CPUs in /proc/cpuinfo, nproc {nproc}, {mem} RAM, "
            f"SIMD: {simd or 'none'}; Linux {platform.release()}")


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def configs_for(args, pcap, size, eve, cache, tmpdir):
    floor = os.path.join(ROOT, "build", "bench", "floor")
    cfg = [("floor", "floor (libpcap, touch every packet)", [floor, pcap])]
    ps = [args.bin, "-q", "-r", pcap, "-o", eve, "--rules-cache", cache]
    for rules, flag in (("no rules", ["--no-rules"]), ("rules", [])):
        for n in (1, 2):
            key = f"ps-{'none' if flag else 'rules'}-t{n}"
            cfg.append((key, f"plainsight, {rules}, --threads {n}",
                        ps + ["--threads", str(n)] + flag + args.extra.split()))
    nbytes = os.path.getsize(pcap)
    if shutil.which("tshark") and nbytes <= size_bytes(args.tshark_max) * 1.2:
        cfg.append(("tshark", "tshark -Y http.request -T fields -e http.request.uri",
                    ["tshark", "-n", "-r", pcap, "-Y", "http.request", "-T", "fields",
                     "-e", "http.request.uri"]))
    if nbytes <= size_bytes(args.peers_max) * 1.2:
        if shutil.which("tcpflow"):
            cfg.append(("tcpflow", "tcpflow -C -B (reassemble every flow to stdout)",
                        ["tcpflow", "-r", pcap, "-C", "-B", "-X", "/dev/null"]))
        if shutil.which("ngrep"):
            cfg.append(("ngrep", "ngrep -i 'access_token|/owa/calendar/|sig=' (per packet)",
                        ["ngrep", "-q", "-I", pcap, "-i", "access_token|/owa/calendar/|sig="]))
        if shutil.which("tcpdump"):
            cfg.append(("tcpdump", "tcpdump -r FILE -w /dev/null",
                        ["tcpdump", "-r", pcap, "-w", "/dev/null"]))
    return cfg


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def warm_page_cache(pcap):
    """Read the corpus once so that every timed run finds it in memory;
    without this, the first configuration alone pays the disk. False when
    the file cannot stay cached (larger than the memory available)."""
    size = os.path.getsize(pcap)
    fits = size < 0.8 * mem_available()
    if not fits:
        print(f"bench: warning: {pcap} ({size / 1e9:.1f} GB) does not fit in the memory "
              f"available: runs read it from disk, and the first pays more", file=sys.stderr)
    with open(pcap, "rb", buffering=0) as f:
        while f.read(8 << 20):
            pass
    return fits


def measure(args, label, pcap, packets, cfg, reps):
    cached = warm_page_cache(pcap)
    times = {k: [] for k, _, _ in cfg}
    cpus = {k: [] for k, _, _ in cfg}
    rss = {k: 0.0 for k, _, _ in cfg}
    for rep in range(reps):
        for key, name, cmd in cfg:
            print(f"bench: {label} rep {rep + 1}/{reps}: {name}", file=sys.stderr, flush=True)
            wall, peak, cpu = run_once(cmd, args.tmp)
            times[key].append(wall)
            cpus[key].append(cpu)
            rss[key] = max(rss[key], peak)
    nbytes = os.path.getsize(pcap)
    rows = {}
    for key, name, _ in cfg:
        t = statistics.median(times[key])
        c = statistics.median(cpus[key])
        rows[key] = {"name": name, "wall": t, "walls": times[key], "gbps": nbytes / t / 1e9,
                     "mpps": packets / t / 1e6, "rss": rss[key], "cpu": c,
                     "cpu_gbps": nbytes / c / 1e9 if c > 0 else float("nan")}
    return {"pcap": pcap, "bytes": nbytes, "packets": packets, "reps": reps, "rows": rows,
            "cached": cached}


def check_alerts(args, pcap, truth, cache):
    eve = os.path.join(args.tmp, "check.eve.json")
    subprocess.run([args.bin, "-q", "-r", pcap, "-o", eve, "--rules-cache", cache, "--threads",
                    "2", "--unmask-secrets", "--eve-types", "alert"], check=True)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "e2e", "check_alerts.py"),
                        eve, truth], capture_output=True, text=True)
    return p.returncode == 0, (p.stdout + p.stderr).strip().splitlines()[:3]


def startup(args, cache):
    """Median seconds of --test-rules: compiling (no cache) and warm (cache)."""
    out = {}
    for key, extra in (("cold", ["--rules-cache", "none"]), ("warm", ["--rules-cache", cache])):
        walls = [run_once([args.bin, "-q", "--test-rules"] + extra, args.tmp)[0]
                 for _ in range(3)]
        out[key] = statistics.median(walls)
    return out


def profile(args, pcap, cache):
    if not shutil.which("perf"):
        return None
    data = os.path.join(args.tmp, "perf.data")
    subprocess.run(["perf", "record", "-q", "-F", "499", "-o", data, "--", args.bin, "-q", "-r",
                    pcap, "-o", os.path.join(args.tmp, "perf.eve.json"), "--rules-cache", cache,
                    "--threads", "2"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                          "--sort", "dso,sym", "--percent-limit", "1"],
                         capture_output=True, text=True).stdout
    lines = [ln.rstrip() for ln in rep.splitlines() if ln.strip() and not ln.startswith("#")]
    dso = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                          "--sort", "dso", "--percent-limit", "1"],
                         capture_output=True, text=True).stdout
    dlines = [ln.rstrip() for ln in dso.splitlines() if ln.strip() and not ln.startswith("#")]
    return dlines[:12], lines[:30]


def spread(r):
    """(slowest - fastest) / median of a configuration's wall times, in %:
    how far the machine moved during the runs; "-" after a single run."""
    w = r["walls"]
    return f"{100 * (max(w) - min(w)) / r['wall']:.0f} %" if len(w) > 1 else "-"


def num(v, digits):
    """A figure for the tables; "-" where it could not be measured (CPU
    time below GNU time's 10 ms resolution, or without GNU time)."""
    return "-" if math.isnan(v) or math.isinf(v) else f"{v:.{digits}f}"


def fmt_row(r, floor):
    cpu_gbps = r["cpu_gbps"]
    vs_cpu = cpu_gbps / floor["cpu_gbps"] if floor["cpu_gbps"] > 0 else float("nan")
    return (f"| {r['name']} | {r['wall']:.2f} | {r['gbps']:.3f} | {r['mpps']:.3f} | "
            f"{r['rss']:.0f} | {r['gbps'] / floor['gbps']:.2f} | {num(r['cpu'], 2)} | "
            f"{num(cpu_gbps, 3)} | {num(vs_cpu, 2)} | {spread(r)} |")


def plot(args, results, png):
    if not shutil.which("gnuplot"):
        return False
    keys = []
    for res in results.values():
        for k in res["rows"]:
            if k not in keys:
                keys.append(k)
    dat = os.path.join(args.tmp, "throughput.dat")
    with open(dat, "w") as f:
        f.write("config " + " ".join(f'"{s}"' for s in results) + "\n")
        for k in keys:
            vals = [f"{res['rows'][k]['gbps']:.4f}" if k in res["rows"] else "-"
                    for res in results.values()]
            f.write(f'"{k}" ' + " ".join(vals) + "\n")
    ncol = len(results)
    script = f"""
set terminal pngcairo size 1000,560 font ",10"
set output "{png}"
set title "Throughput by configuration (GB/s of capture, median; log scale)"
set ylabel "GB/s"
set logscale y
set grid ytics
set datafile missing "-"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 noenhanced
set key top right title "corpus"
plot for [i=2:{ncol + 1}] "{dat}" using i:xtic(1) title columnhead(i)
"""
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        print(f"bench: gnuplot failed: {p.stderr}", file=sys.stderr)
        return False
    return True


def targets(results):
    """(target, measured, met) rows for the goals in the README."""
    out = []
    big = results.get("1G")
    if big is None:
        return out
    r = big["rows"]
    floor, t1, t2 = r["floor"], r["ps-rules-t1"], r["ps-rules-t2"]
    out.append(("rules, 2 threads >= 60 % of the floor's GB/s (1 GB)",
                f"{t2['gbps'] / floor['gbps'] * 100:.0f} %", t2["gbps"] >= 0.6 * floor["gbps"]))
    out.append(("rules, 2 threads >= 1.6x 1 thread (1 GB)", f"{t2['gbps'] / t1['gbps']:.2f}x",
                t2["gbps"] >= 1.6 * t1["gbps"]))
    out.append(("(CPU time) rules, 2 threads: floor's CPU s / plainsight's CPU s x 2 cores "
                ">= 60 %", f"{floor['cpu'] / t2['cpu'] * 2 * 100:.0f} %",
                floor["cpu"] / t2["cpu"] * 2 >= 0.6))
    rss = max(x["rss"] for k, x in r.items() if k.startswith("ps-"))
    out.append(("peak RSS <= 256 MiB (1 GB, any plainsight configuration)", f"{rss:.0f} MiB",
                rss <= 256))
    # tshark's rate hardly depends on the corpus; plainsight's start-up
    # (about 0.03 s) weighs on the small one. Every corpus tshark ran on
    # gets its row; the 1 GB one is the target's.
    for size, res in results.items():
        if "tshark" not in res["rows"]:
            continue
        ts = res["rows"]["tshark"]
        mine = res["rows"]["ps-rules-t2"]
        out.append((f"rules, 2 threads >= 50x tshark's rate (same corpus, {size}, "
                    f"{res['bytes'] / 1e6:.0f} MB)", f"{mine['gbps'] / ts['gbps']:.0f}x",
                    mine["gbps"] >= 50 * ts["gbps"]))
        if size == "1G":
            t1c = r["ps-rules-t1"]["cpu_gbps"]
            out.append(("(CPU time) rules, 1 thread, GB per CPU s on 1 GB >= 50x tshark's",
                        f"{t1c / ts['cpu_gbps']:.0f}x", t1c >= 50 * ts["cpu_gbps"]))
    if "10G" in results:
        a = 1e9 / t2["gbps"] / 1e9
        b = 1 / results["10G"]["rows"]["ps-rules-t2"]["gbps"]
        out.append(("time per GB on 10 GB within 10 % of 1 GB (rules, 2 threads)",
                    f"{b:.3f} s/GB vs {a:.3f} s/GB ({(b / a - 1) * 100:+.0f} %)",
                    abs(b / a - 1) <= 0.10))
    return out


def write_results(args, path, results, start, checks, prof, png_ok, cmdline, load):
    notes = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if NOTES_MARK in old:
            notes = old.split(NOTES_MARK, 1)[1]
    L = ["# Benchmark results", ""]
    L.append(f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} "
             f"with `{cmdline}`.")
    L.append("")
    L.append(f"- Machine: {machine()}")
    L.append(f"- Load average before / after: {load[0]} / {load[1]}")
    if args.note:
        L.append(f"- Note: {args.note}")
    L.append(f"- plainsight: {tool_version([args.bin, '-V'])}; peers: "
             + "; ".join(tool_version(c) for c in (["tshark", "-v"], ["tcpflow", "-V"],
                                                    ["ngrep", "-V"], ["tcpdump", "--version"])
                         if shutil.which(c[0])))
    L.append("- GB/s is 10^9 bytes of capture file per second of wall time (median of the "
             "interleaved runs); RSS is the largest peak resident set of the runs; "
             "\"vs floor\" is GB/s over the floor's GB/s.")
    L.append("- CPU s is user + system time (median); GB per CPU s shows the work per byte, "
             "which a busy machine disturbs less than wall time, though neighbours that take "
             "memory bandwidth and cache raise it too (for one thread it is the throughput a "
             "quiet core would give).")
    L.append("- spread is (slowest - fastest) / median of a configuration's wall times: how "
             "far the machine moved during the runs.")
    L.append("- plainsight writes every event type to a file, as by default; its rules come "
             "from a warm rules cache (start-up below).")
    L.append("")
    L.append("## Start-up (`--test-rules`, median of 3)")
    L.append("")
    L.append(f"- compiling the shipped rules (`--rules-cache none`): {start['cold']:.2f} s")
    L.append(f"- from the rules cache: {start['warm']:.2f} s")
    L.append("")
    for size, res in results.items():
        floor = res["rows"]["floor"]
        L.append(f"## {size} corpus: {res['bytes'] / 1e9:.3f} GB, {res['packets']} packets, "
                 f"{res['reps']} runs each")
        L.append("")
        L.append("Read once before the runs, so each found it in the page cache."
                 if res.get("cached", True) else
                 "Larger than the memory available: every run read it from disk.")
        L.append("")
        L.append("| configuration | wall s | GB/s | Mpkt/s | peak RSS MiB | vs floor "
                 "| CPU s | GB per CPU s | vs floor (CPU) | spread |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in res["rows"].values():
            L.append(fmt_row(r, floor))
        peers = [k for k in ("tshark", "tcpflow", "ngrep", "tcpdump") if k in res["rows"]]
        if peers:
            L.append("")
            L.append("plainsight's throughput over each peer's, on this corpus:")
            L.append("")
            L.append("| plainsight | " + " | ".join(peers) + " |")
            L.append("|---|" + "---:|" * len(peers))
            for k in ("ps-none-t1", "ps-none-t2", "ps-rules-t1", "ps-rules-t2"):
                r = res["rows"][k]
                L.append(f"| {r['name']} | " + " | ".join(
                    f"{r['gbps'] / res['rows'][p]['gbps']:.1f}x" for p in peers) + " |")
        if size in checks:
            ok, lines = checks[size]
            L.append("")
            L.append(f"Alerts of `--threads 2 --unmask-secrets --eve-types alert` against the "
                     f"generator's truth (tests/e2e/check_alerts.py): "
                     f"{'exact' if ok else 'MISMATCH'}: {' / '.join(lines)}")
        L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    for t, m, ok in targets(results):
        L.append(f"| {t} | {m} | {'yes' if ok else 'NO'} |")
    L.append("")
    if png_ok:
        L.append("![throughput by configuration](throughput.png)")
        L.append("")
    if prof is not None:
        L.append("## Profile (perf, rules, --threads 2, 1 GB corpus)")
        L.append("")
        L.append("By shared object:")
        L.append("")
        L.append("```")
        L.extend(prof[0])
        L.append("```")
        L.append("")
        L.append("Top symbols (self time, above 1 %):")
        L.append("")
        L.append("```")
        L.extend(prof[1])
        L.append("```")
        L.append("")
    L.append(NOTES_MARK)
    with open(path, "w") as f:
        f.write("\n".join(L) + (notes if notes else "\n"))


def print_table(size, res):
    floor = res["rows"]["floor"]
    print(f"\n{size}: {res['pcap']}: {res['bytes'] / 1e9:.3f} GB, {res['packets']} packets, "
          f"median of {res['reps']} interleaved runs")
    print(f"{'configuration':58} {'wall s':>7} {'GB/s':>7} {'Mpkt/s':>7} {'RSS MiB':>8} "
          f"{'vs floor':>8} {'CPU s':>6} {'spread':>6}")
    for r in res["rows"].values():
        print(f"{r['name'][:58]:58} {r['wall']:7.2f} {r['gbps']:7.3f} {r['mpps']:7.3f} "
              f"{r['rss']:8.0f} {r['gbps'] / floor['gbps']:8.2f} {r['cpu']:6.2f} "
              f"{spread(r):>6}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--size", action="append", default=[],
                    help="another corpus size to add to 100M and 1G (e.g. 10G); repeatable")
    ap.add_argument("--only", action="append", default=[],
                    help="run only these sizes (e.g. --only 100M)")
    ap.add_argument("--reps", type=int, default=3, help="runs per configuration (default 3)")
    ap.add_argument("--big-reps", type=int, default=1,
                    help="runs per configuration on corpora above 1G (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", default=os.path.join(BENCH, "corpus"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "plainsight"))
    ap.add_argument("--extra", default="", help="extra plainsight arguments")
    ap.add_argument("--tshark-max", default="1G",
                    help="largest corpus tshark runs on (default 1G: about 40 s a run)")
    ap.add_argument("--peers-max", default="1G", help="largest corpus other peers run on")
    ap.add_argument("--profile", action="store_true", help="perf profile of rules, -t2, 1 GB")
    ap.add_argument("--note", default="", help="a line for RESULTS.md (e.g. machine shared)")
    ap.add_argument("--results", default=os.path.join(BENCH, "RESULTS.md"),
                    help="where to write the results; the plot goes beside it "
                         "(default bench/RESULTS.md)")
    ap.add_argument("--work", default=os.path.join(BENCH, "out"),
                    help="scratch directory: rules cache, EVE output, perf data "
                         "(default bench/out)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    # Runs start in the scratch directory.
    args.corpus, args.bin = os.path.abspath(args.corpus), os.path.abspath(args.bin)

    for b in (args.bin, os.path.join(ROOT, "build", "bench", "floor")):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"bench: {b} is not built: run scripts/build.sh")
    missing = [t for t in ("time", "tshark", "tcpflow", "ngrep", "tcpdump", "gnuplot")
               if not (os.access("/usr/bin/time", os.X_OK) if t == "time" else shutil.which(t))]
    if missing:
        print("bench: not installed, so not measured: " + ", ".join(missing) + "; install with: "
              "sudo apt-get install " + " ".join(INSTALL[t] for t in missing), file=sys.stderr)

    args.tmp = os.path.abspath(args.work)
    os.makedirs(args.tmp, exist_ok=True)
    cache = os.path.join(args.tmp, "rules-cache")
    eve = os.path.join(args.tmp, "bench.eve.json")
    sizes = args.only or ["100M", "1G"] + [s for s in args.size if s not in ("100M", "1G")]
    load0 = open("/proc/loadavg").read().split()[0]

    subprocess.run([args.bin, "-q", "--test-rules", "--rules-cache", cache], check=True,
                   stderr=subprocess.DEVNULL)  # fill the cache: runs start warm
    start = startup(args, cache)
    results, checks = {}, {}
    for size in sizes:
        pcap, truth, packets = ensure_corpus(size, args.corpus, args.seed)
        cfg = configs_for(args, pcap, size, eve, cache, args.tmp)
        reps = args.big_reps if size_bytes(size) > (1 << 30) else args.reps
        results[size] = measure(args, size, pcap, packets, cfg, reps)
        print_table(size, results[size])
        checks[size] = check_alerts(args, pcap, truth, cache)
        print(f"alerts vs truth: {'exact' if checks[size][0] else 'MISMATCH'}: "
              f"{' / '.join(checks[size][1])}")
    for t, m, ok in targets(results):
        print(f"target: {t}: {m}: {'met' if ok else 'NOT MET'}")
    print(f"start-up: compile {start['cold']:.2f} s, cached {start['warm']:.2f} s")
    load1 = open("/proc/loadavg").read().split()[0]
    prof = None
    if args.profile and "1G" in results:
        prof = profile(args, results["1G"]["pcap"], cache)
    if args.no_write:
        return
    png = os.path.join(os.path.dirname(os.path.abspath(args.results)), "throughput.png")
    png_ok = plot(args, results, png)
    cmdline = "bench/bench.py " + " ".join(sys.argv[1:])
    write_results(args, args.results, results, start, checks, prof, png_ok, cmdline.strip(),
                  (load0, load1))
    print(f"bench: wrote {args.results}" + (f" and {png}" if png_ok else ""))


if __name__ == "__main__":
    main()
