"""--rules-cache: compiled rules are written on a cold start and read on a
warm one, with the same alerts (checked against the generator's planted
secrets); damaged files are rebuilt; an unusable directory falls back to
compiling with one warning; `none` writes nothing."""
import json
import os
import subprocess

import check_alerts as planted
from harness import BIN, WORK, generate, run_ps, test

MAGIC = b"PSHSDB\0\2"


def _run(cache, name, *extra):
    """Shipped rules over the planted-secrets capture; the alerts must be
    exactly the planted ones."""
    pcap, truth = generate(11, "--sessions", "300", "--secrets", "20")
    out = os.path.join(WORK, name + ".eve.json")
    run_ps(["-r", pcap, "-o", out, "--eve-types", "alert", "--unmask-secrets",
            "--rules-cache", cache] + list(extra))
    with open(out) as f:
        events = [json.loads(line) for line in f]
    _, _, extra_alerts, missing = planted.compare(events, truth)
    assert not extra_alerts and not missing, (
        f"{name}: {sum(extra_alerts.values())} unexpected alerts, "
        f"{sum(missing.values())} planted secrets not alerted")
    return sorted((e["alert"]["signature_id"], e["alert"]["context"].get("secret", ""),
                   e["src_port"], e["dest_port"]) for e in events)


def _files(cache):
    """name -> (inode, mtime_ns) of every cache file."""
    out = {}
    for n in os.listdir(cache):
        st = os.stat(os.path.join(cache, n))
        out[n] = (st.st_ino, st.st_mtime_ns)
    return out


@test
def rules_cache_cold_then_warm_same_alerts():
    cache = os.path.join(WORK, "rc-cold-warm", "sub")
    cold = _run(cache, "rc-cold")
    assert oct(os.stat(cache).st_mode & 0o777) == "0o700", oct(os.stat(cache).st_mode)
    files = _files(cache)
    assert files and all(n.endswith(".hsdb") and len(n) == 64 + 5 for n in files), files
    for n in files:
        with open(os.path.join(cache, n), "rb") as f:
            assert f.read(8) == MAGIC, n
    warm = _run(cache, "rc-warm")
    assert warm == cold
    # A hit reads the files and writes nothing.
    assert _files(cache) == files, "the warm run rewrote cache files"
    assert _run("none", "rc-none") == cold


@test
def rules_cache_damaged_files_are_rebuilt():
    cache = os.path.join(WORK, "rc-damaged")
    cold = _run(cache, "rc-damaged-cold")
    names = sorted(os.listdir(cache))
    for i, n in enumerate(names):
        path = os.path.join(cache, n)
        with open(path, "r+b") as f:
            if i % 3 == 0:
                f.truncate(os.path.getsize(path) // 2)   # cut short
            elif i % 3 == 1:
                f.seek(-1, 2)                             # last byte of the database
                b = f.read(1)
                f.seek(-1, 2)
                f.write(bytes([b[0] ^ 0x5a]))
            else:
                f.write(b"garbage!")                      # wrong magic
    before = _files(cache)
    assert _run(cache, "rc-damaged-again") == cold
    after = _files(cache)
    assert set(after) == set(before)
    assert all(after[n][0] != before[n][0] for n in names), "a damaged file was kept"
    for n in names:
        with open(os.path.join(cache, n), "rb") as f:
            assert f.read(8) == MAGIC, n


@test
def rules_cache_default_dir_and_none():
    pcap, _ = generate(11, "--sessions", "300", "--secrets", "20")
    home = os.path.join(WORK, "rc-xdg")
    env = dict(os.environ, XDG_CACHE_HOME=home)
    out = os.path.join(WORK, "rc-xdg.eve.json")
    p = subprocess.run([BIN, "-q", "-r", pcap, "-o", out, "--rules-cache", "none"], env=env,
                       capture_output=True)
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(home), "--rules-cache none created a directory"
    p = subprocess.run([BIN, "-q", "-r", pcap, "-o", out], env=env, capture_output=True)
    assert p.returncode == 0, p.stderr
    default = os.path.join(home, "plainsight")
    assert os.path.isdir(default) and os.listdir(default), "nothing cached in the default dir"


@test
def rules_cache_unusable_dir_falls_back_with_one_warning():
    pcap, _ = generate(11, "--sessions", "300", "--secrets", "20")
    blocker = os.path.join(WORK, "rc-blocker")
    with open(blocker, "w") as f:
        f.write("a file, not a directory")
    cache = os.path.join(blocker, "cache")
    out = os.path.join(WORK, "rc-blocked.eve.json")
    p = subprocess.run([BIN, "-r", pcap, "-o", out, "--eve-types", "alert", "--rules-cache",
                        cache], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    warnings = [line for line in p.stderr.splitlines() if "warning: rules cache" in line]
    assert len(warnings) == 1 and cache in warnings[0], p.stderr
    with open(out) as f:
        assert sum(1 for _ in f) > 0, "no alerts without the cache"
    rc, err = run_ps(["-r", pcap, "-o", out, "--rules-cache", cache])
    assert "warning" not in err, err  # -q: silent
