"""scripts/shard.sh: a directory of captures split over 3 jobs run by xargs
gives, together, the events of one run over the whole directory, and every
file is read by exactly one shard."""
import collections
import os
import shutil
import subprocess
import sys

from harness import BIN, GEN, ROOT, WORK, eq, of_type, read_eve, test, validate_schema

SHARD = os.path.join(ROOT, "scripts", "shard.sh")


def keys(events):
    """What must be the same whichever job saw a file. Flow end reasons and
    times are left out: in one run, a later file's packets move time on and
    end the earlier file's flows by timeout, where a shard ends them at
    shutdown."""
    out = collections.Counter()
    for e in events:
        t = e["event_type"]
        base = (t, e.get("pcap_filename"), e.get("src_ip"), e.get("src_port"), e.get("dest_ip"),
                e.get("dest_port"))
        if t == "alert":
            out[base + (e["alert"]["signature_id"], e.get("tx_id"))] += 1
        elif t == "http":
            h = e["http"]
            out[base + (e.get("tx_id"), h.get("url"), h.get("status"), h.get("length"))] += 1
        elif t == "flow":
            f = e["flow"]
            out[base + (f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"],
                        f["bytes_toclient"])] += 1
    return out


@test
def three_shards_give_the_events_of_one_run():
    if shutil.which("xargs") is None:
        raise AssertionError("xargs is needed")
    cap_dir = os.path.join(WORK, "archive")
    out_dir = os.path.join(WORK, "shards")
    os.makedirs(cap_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    for i in range(5):
        subprocess.run([sys.executable, GEN, "--seed", str(40 + i), "--sessions", str(8 + 3 * i),
                        "--secrets", "25", "--max-body", "20K", "--quiet",
                        "--start-time", f"2024-05-14T{9 + i:02d}:00:00Z",
                        "--out", os.path.join(cap_dir, f"cap-{i}.pcap")], check=True)
        os.remove(os.path.join(cap_dir, f"cap-{i}.truth.json"))
    with open(os.path.join(cap_dir, "notes.txt"), "w") as f:
        f.write("not a capture\n")

    whole = os.path.join(WORK, "whole.eve.json")
    subprocess.run([BIN, "-q", "-r", cap_dir, "-o", whole, "--threads", "1"], check=True,
                   capture_output=True)
    ref = read_eve(whole)

    p = subprocess.run(f"seq 0 2 | xargs -P 3 -I{{}} {SHARD} --of 3 --shard {{}} --bin {BIN} "
                       f"{cap_dir} {out_dir} -q --threads 1", shell=True, capture_output=True,
                       text=True)
    eq(p.returncode, 0, f"xargs over shard.sh ({p.stderr})")
    got = collections.Counter()
    files_per_shard = []
    for k in range(3):
        events = read_eve(os.path.join(out_dir, f"eve-{k}.json"))
        validate_schema(events)
        files = {e["pcap_filename"] for e in of_type(events, "flow")}
        assert files, f"shard {k} read no file"
        files_per_shard.append(files)
        got += keys(events)
    all_files = set().union(*files_per_shard)
    eq(sum(len(f) for f in files_per_shard), len(all_files), "files read by more than one shard")
    eq(len(all_files), 5, "capture files read")
    want = keys(ref)
    assert any(k[0] == "alert" for k in want), "the archive should raise alerts"
    eq(got, want, "events of the shards vs one run")


@test
def shard_script_checks_its_arguments():
    def run(*args):
        return subprocess.run([SHARD] + list(args), capture_output=True, text=True)
    p = run("--of", "3", "--shard", "3", WORK, WORK)
    eq(p.returncode, 64, "shard out of range")
    assert "0..2" in p.stderr, p.stderr
    p = run("--of", "0", "--shard", "0", WORK, WORK)
    eq(p.returncode, 64, "zero shards")
    p = run("--of", "2", "--shard", "0", os.path.join(WORK, "nope"), WORK)
    eq(p.returncode, 66, "missing directory")
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="1")
    empty = os.path.join(WORK, "empty-archive")
    os.makedirs(empty, exist_ok=True)
    p = subprocess.run([SHARD, "--of", "2", "--bin", BIN, empty, WORK], capture_output=True,
                       text=True, env=env)
    eq(p.returncode, 0, f"an empty shard is not an error ({p.stderr})")
    assert "shard 1 of 2 has no files" in p.stderr, p.stderr
