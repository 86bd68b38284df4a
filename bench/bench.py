#!/usr/bin/env python3
"""Throughput benchmark: plainsight against a read-only floor, in one run.

Generates (or reuses) a corpus with the project's generator (2 % of its
sessions carry a planted secret), then runs, interleaved and repeated: the
libpcap floor (bench/floor), `tcpdump -r FILE -w /dev/null` when installed,
and plainsight with --threads 1 and 2, each without rules (--no-rules) and
with the shipped rules. Prints median wall time, packets/s, GB/s, peak RSS,
the ratio to the floor, and the cost of the rules (rules / no rules).

usage: bench/bench.py [--size 1G] [--reps 3] [--corpus DIR] [--extra ARGS]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def ensure_corpus(size, directory, seed):
    os.makedirs(directory, exist_ok=True)
    pcap = os.path.join(directory, f"corpus-{size}-s{seed}-secrets.pcap")
    if not os.path.exists(pcap):
        print(f"generating {pcap} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_traffic.py"),
                        "--seed", str(seed), "--size", size, "--ipv6", "20", "--vlan", "10",
                        "--reorder", "2", "--retransmit", "1", "--secrets", "2",
                        "--out", pcap], check=True)
    with open(pcap[:-5] + ".truth.json") as f:
        truth = json.load(f)
    return pcap, truth


def peak_rss(cmd):
    """Peak RSS (MiB) of one run, through GNU time when available."""
    if not os.path.exists("/usr/bin/time"):
        return None
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    return int(out.strip().splitlines()[-1]) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1G")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "bench", "corpus"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "plainsight"))
    ap.add_argument("--extra", default="", help="extra plainsight arguments")
    args = ap.parse_args()

    pcap, truth = ensure_corpus(args.size, args.corpus, args.seed)
    out = os.path.join(args.corpus, "bench.eve.json")
    floor = os.path.join(ROOT, "build", "bench", "floor")
    configs = [("floor (libpcap read)", [floor, pcap])]
    if shutil.which("tcpdump"):
        configs.append(("tcpdump -r -w /dev/null", ["tcpdump", "-r", pcap, "-w", "/dev/null"]))
    for rules, flag in (("no rules", ["--no-rules"]), ("rules", [])):
        for n in (1, 2):
            configs.append((f"plainsight {rules} -t{n}",
                            [args.bin, "-q", "-r", pcap, "-o", out, "--threads", str(n)]
                            + flag + args.extra.split()))

    times = {name: [] for name, _ in configs}
    for rep in range(args.reps):
        for name, cmd in configs:
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t0)
    rss = {name: peak_rss(cmd) for name, cmd in configs}

    size = os.path.getsize(pcap)
    pkts = truth["packets"]
    floor_t = statistics.median(times[configs[0][0]])
    print(f"corpus: {pcap}: {size / 1e9:.2f} GB, {pkts} packets, {len(truth['flows'])} flows; "
          f"median of {args.reps} interleaved runs")
    print(f"{'configuration':28} {'wall s':>8} {'Mpkt/s':>8} {'GB/s':>7} {'RSS MiB':>8} {'vs floor':>9}")
    for name, _ in configs:
        t = statistics.median(times[name])
        r = rss[name]
        print(f"{name:28} {t:8.2f} {pkts / t / 1e6:8.2f} {size / t / 1e9:7.2f} "
              f"{(f'{r:.0f}' if r else '-'):>8} {floor_t / t:9.2f}")
    for n in (1, 2):
        base = statistics.median(times[f"plainsight no rules -t{n}"])
        ruled = statistics.median(times[f"plainsight rules -t{n}"])
        print(f"rules cost, --threads {n}: {ruled / base:.2f}x the time without rules "
              f"({base / ruled:.2f} of its throughput)")


if __name__ == "__main__":
    main()
