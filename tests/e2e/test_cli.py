"""Command line: inputs, outputs, errors and exit codes (see --help)."""
import os
import shutil
import stat
import subprocess

from harness import (BIN, ROOT, WORK, analyse, eq, ether, final_stats, generate, ipv4_tcp,
                     of_type, read_eve, run_ps, test, validate_schema, write_pcap)


def small_capture():
    pcap, truth = generate(11, "--sessions", "5")
    return pcap, truth


@test
def help_lists_options_limits_and_exit_codes():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True).stdout
    for needle in ("-r, --read", "--threads", "--eve-types", "--flow-memcap", "--defrag-memcap",
                   "default 128M", "Exit codes", "66", "73", "78", "-S, --rules", "--test-rules",
                   "--strict", "--unmask-secrets", "--no-rules"):
        assert needle in out, f"--help lacks {needle!r}"
    ver = subprocess.run([BIN, "--version"], capture_output=True, text=True, check=True).stdout
    assert ver.startswith("plainsight "), ver


@test
def missing_input_exits_66():
    rc, err = run_ps(["-r", os.path.join(WORK, "nope.pcap"), "-o", "-"], check=False)
    eq(rc, 66, "exit code")
    assert "nope.pcap" in err and "No such file" in err, err


@test
def not_a_capture_exits_65():
    path = os.path.join(WORK, "text.pcap")
    with open(path, "w") as f:
        f.write("this is not a capture\n" * 10)
    rc, err = run_ps(["-r", path, "-o", "-"], check=False)
    eq(rc, 65, "exit code")
    assert "text.pcap" in err and "not a pcap" in err, err


@test
def unsupported_link_type_exits_65():
    path = write_pcap(os.path.join(WORK, "usb.pcap"), [(0, b"\0" * 40)], linktype=189)
    rc, err = run_ps(["-r", path, "-o", "-"], check=False)
    eq(rc, 65, "exit code")
    assert "unsupported link type 189" in err, err


@test
def unwritable_output_exits_73():
    pcap, _ = small_capture()
    rc, err = run_ps(["-r", pcap, "-o", "/nonexistent-dir/eve.json"], check=False)
    eq(rc, 73, "exit code")
    assert "/nonexistent-dir/eve.json" in err, err
    rc, err = run_ps(["-r", pcap, "-l", "/nonexistent-dir"], check=False)
    eq(rc, 73, "exit code for -l")


@test
def bad_option_values_exit_64():
    pcap, _ = small_capture()
    for args in (["--threads", "0"], ["--flow-memcap", "lots"], ["--eve-types", "flow,dns"],
                 ["--bogus"], [], ["extra-arg"]):
        rc, err = run_ps((["-r", pcap] if args != [] else []) + args + ["-o", "-"], check=False)
        eq(rc, 64, f"exit code for {args}")
        assert err.strip(), f"no message for {args}"


@test
def log_dir_gets_eve_json():
    pcap, truth = small_capture()
    d = os.path.join(WORK, "logdir")
    os.makedirs(d, exist_ok=True)
    run_ps(["-r", pcap, "-l", d])
    events = read_eve(os.path.join(d, "eve.json"))
    eq(len(of_type(events, "flow")), len(truth["flows"]), "flows in DIR/eve.json")


@test
def stdout_and_stdin():
    pcap, truth = small_capture()
    with open(pcap, "rb") as f:
        p = subprocess.run([BIN, "-q", "-r", "-", "-o", "-"], stdin=f, capture_output=True,
                           check=True)
    import json
    events = [json.loads(line) for line in p.stdout.decode().splitlines()]
    eq(len(of_type(events, "flow")), len(truth["flows"]), "flows via stdin/stdout")
    assert all(e.get("pcap_filename", "stdin") == "stdin" for e in events)


@test
def named_pipe_input_reads_like_the_file():
    """A FIFO (or a shell's <(zcat x.pcap.gz), a /dev/fd pipe) can be read
    only once: the check of the inputs must keep it open for the run."""
    import json
    import threading
    pcap, truth = small_capture()
    fifo = os.path.join(WORK, "input.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)

    def feed():
        with open(pcap, "rb") as src, open(fifo, "wb") as dst:
            shutil.copyfileobj(src, dst)

    writer = threading.Thread(target=feed)
    writer.start()
    p = subprocess.run([BIN, "-q", "-r", fifo, "-o", "-"], capture_output=True, timeout=60)
    writer.join()
    eq(p.returncode, 0, f"exit code ({p.stderr.decode(errors='replace')})")
    eq(p.stderr, b"", "nothing on stderr")
    events = [json.loads(line) for line in p.stdout.decode().splitlines()]
    eq(len(of_type(events, "flow")), len(truth["flows"]), "flows read from a FIFO")
    eq(len(of_type(events, "http")), sum(len(f.get("http", [])) for f in truth["flows"]),
       "transactions read from a FIFO")


@test
def directory_input_reads_captures_in_name_order_and_skips_others():
    a, ta = generate(12, "--sessions", "4")
    b, tb = generate(13, "--sessions", "6")
    d = os.path.join(WORK, "dir-input")
    os.makedirs(d, exist_ok=True)
    shutil.copy(b, os.path.join(d, "2.pcap"))
    shutil.copy(a, os.path.join(d, "1.pcap"))
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("not a capture")
    out = os.path.join(WORK, "dir.eve.json")
    rc, err = run_ps(["-r", d, "-o", out])
    assert "notes.txt" in err and "skipped" in err, err
    events = read_eve(out)
    validate_schema(events)
    flows = of_type(events, "flow")
    eq(len(flows), len(ta["flows"]) + len(tb["flows"]), "flows from the directory")
    names = {os.path.basename(e["pcap_filename"]) for e in flows}
    eq(names, {"1.pcap", "2.pcap"}, "pcap_filename values")
    eq(final_stats(events)["decoder"]["pkts"], ta["packets"] + tb["packets"], "packets")


@test
def several_r_options_form_one_stream():
    a, ta = generate(12, "--sessions", "4")
    b, tb = generate(13, "--sessions", "6")
    out = os.path.join(WORK, "multi.eve.json")
    run_ps(["-r", a, "-r", b, "-o", out])
    eq(len(of_type(read_eve(out), "flow")), len(ta["flows"]) + len(tb["flows"]), "flows")


@test
def truncated_capture_file_is_counted_and_the_rest_kept():
    pcap, truth = generate(14, "--sessions", "10")
    data = open(pcap, "rb").read()
    cut = os.path.join(WORK, "cut.pcap")
    with open(cut, "wb") as f:
        f.write(data[: len(data) * 2 // 3 + 7])  # ends inside a record
    out = os.path.join(WORK, "cut.eve.json")
    rc, err = run_ps(["-r", cut, "-o", out])
    assert "cut.pcap" in err and "truncated" in err.lower(), err
    events = read_eve(out)
    validate_schema(events)
    st = final_stats(events)
    eq(st["capture"]["errors"], 1, "capture.errors")
    assert 0 < st["decoder"]["pkts"] < truth["packets"], st["decoder"]["pkts"]


@test
def eve_types_selects_events():
    pcap, _ = small_capture()
    events = analyse(pcap, "--eve-types", "stats", name="only-stats")
    # counters the stats schema has no names for come as engine events
    eq({e["event_type"] for e in events}, {"stats", "engine"}, "event types")
    events = analyse(pcap, "--eve-types", "flow", name="only-flow")
    eq({e["event_type"] for e in events}, {"flow"}, "event types")


@test
def hand_built_session_counts_and_malformed_frames():
    # One TCP handshake + request + teardown written by hand, plus frames
    # that are malformed in known ways.
    c, s = "192.0.2.1", "198.51.100.2"
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    frames = [
        ipv4_tcp(c, s, 40000, 80, 1000, 0, 0x02),
        ipv4_tcp(s, c, 80, 40000, 5000, 1001, 0x12),
        ipv4_tcp(c, s, 40000, 80, 1001, 5001, 0x10),
        ipv4_tcp(c, s, 40000, 80, 1001, 5001, 0x18, req),
        ipv4_tcp(s, c, 80, 40000, 5001, 1001 + len(req), 0x11),
        ipv4_tcp(c, s, 40000, 80, 1001 + len(req), 5002, 0x11),
        ipv4_tcp(s, c, 80, 40000, 5002, 1002 + len(req), 0x10),
    ]
    good = [ether(f) for f in frames]
    mac = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
    bad = [
        mac + b"\x08\x00" + b"\x45" + b"\0" * 10,   # IPv4 cut inside its header
        mac + b"\x08\x00" + b"\x4f" + b"\0" * 30,   # IHL says 60 bytes, 31 are there
        mac + b"\x86\xdd" + b"\x60" + b"\0" * 20,   # IPv6 header cut short
        b"\x02\x00\x00",                            # Ethernet cut short
    ]
    frames_ts = [(1700000000000000 + i * 1000, f) for i, f in enumerate(good + bad)]
    path = write_pcap(os.path.join(WORK, "hand.pcap"), frames_ts)
    events = analyse(path, "--threads", "1")
    validate_schema(events)
    flows = of_type(events, "flow")
    eq(len(flows), 1, "flows")
    f = flows[0]
    eq((f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"]), (c, 40000, s, 80), "tuple")
    eq((f["flow"]["pkts_toserver"], f["flow"]["pkts_toclient"]), (4, 3), "packets")
    eq(f["flow"]["bytes_toserver"], sum(len(good[i]) for i in (0, 2, 3, 5)), "bytes to server")
    eq(f["flow"]["state"], "closed", "state")
    eq(f["tcp"]["tcp_flags"], "1b", "tcp_flags (SYN FIN PSH ACK)")
    eq(f["community_id"][:2], "1:", "community_id")
    st = final_stats(events)
    eq(st["decoder"]["invalid"], 4, "invalid packets")
    ev = st["decoder"]["event"]
    eq(sum(ev["ipv4"].values()), 2, "IPv4 rejects")
    eq(ev["ipv6"]["pkt_too_small"], 1, "IPv6 rejects")
    eq(ev["ethernet"]["pkt_too_small"], 1, "Ethernet rejects")


@test
def readme_limits_table_matches_help():
    """Every knob in --help appears in the README's limits table with the
    same default, and the README lists no knob the binary lacks."""
    import re
    from harness import ROOT
    help_text = subprocess.run([BIN, "--help"], capture_output=True, text=True,
                               check=True).stdout
    knobs = dict(re.findall(r"--([a-z0-9-]+)=\S+.*\n\s+\(default (\S+?),", help_text))
    assert len(knobs) >= 10, f"too few knobs parsed from --help: {knobs}"
    readme = open(os.path.join(ROOT, "README.md")).read()
    table = dict(re.findall(r"^\| `--([a-z0-9-]+)` \| (\S+) \|", readme, re.M))
    eq(sorted(table), sorted(knobs), "knobs in README vs --help")
    for name, default in knobs.items():
        eq(table[name], default, f"README default of --{name}")


def rule_file(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


GOOD_RULE = ('alert http any any -> any any (msg:"uri has x"; http.uri; content:"/"; '
             'sid:1; rev:1;)\n')


@test
def rule_errors_stop_the_run_with_78():
    bad = rule_file("bad.rules", GOOD_RULE + 'alert http any any -> any any (msg:"b"; '
                    'http.uri; content:"hello"; depth:2; sid:2;)\n')
    pcap, _ = small_capture()
    out = os.path.join(WORK, "rule-error.eve.json")
    rc, err = run_ps(["-r", pcap, "-o", out, "-S", bad], check=False)
    eq(rc, 78, "exit code")
    assert f"{bad}:2:" in err and "error: depth:" in err, err
    assert not os.path.exists(out), "the output was created before the rules were checked"
    rc, err = run_ps(["--test-rules", "-S", bad], check=False)
    eq(rc, 1, "--test-rules exit code")
    assert "1 rules loaded" in err and "1 failed" in err, err


@test
def missing_rule_file_exits_66_and_no_rules_conflicts_with_S():
    pcap, _ = small_capture()
    rc, err = run_ps(["-r", pcap, "-o", "-", "-S", os.path.join(WORK, "none.rules")],
                     check=False)
    eq(rc, 66, "exit code")
    assert "none.rules" in err and "cannot read" in err, err
    rc, err = run_ps(["-r", pcap, "-o", "-", "--no-rules", "-S", "x.rules"], check=False)
    eq(rc, 64, "exit code")


@test
def unsupported_keyword_warns_and_skips_or_fails_with_strict():
    rules = rule_file("unsupported.rules", GOOD_RULE + 'alert http any any -> any any '
                      '(msg:"t"; http.uri; content:"/"; threshold:type limit, track by_src, '
                      'count 1, seconds 60; sid:2;)\n')
    pcap, truth = small_capture()
    out = os.path.join(WORK, "unsupported.eve.json")
    rc, err = run_ps(["-r", pcap, "-o", out, "-S", rules, "--eve-types", "alert,stats"],
                     check=False)
    eq(rc, 0, "exit code")
    assert "warning: threshold:" in err and "sid 2" in err, err
    events = read_eve(out)
    validate_schema(events)
    # only sid 1 is loaded: it fires once per transaction (every URI has "/")
    alerts = of_type(events, "alert")
    eq({a["alert"]["signature_id"] for a in alerts}, {1}, "signatures")
    ntx = sum(len(f["http"]) for f in truth["flows"])
    eq(len(alerts), ntx, "one alert per transaction")
    engines = final_stats(events)["detect"]["engines"][0]
    eq((engines["rules_loaded"], engines["rules_skipped"], engines["rules_failed"]), (1, 1, 0),
       "rule counts")
    rc, err = run_ps(["-r", pcap, "-o", out, "-S", rules, "--strict"], check=False)
    eq(rc, 78, "exit code with --strict")
    assert "error: threshold:" in err, err


@test
def no_rules_gives_no_alerts_and_alert_type_selects_alerts():
    pcap, _ = small_capture()
    events = analyse(pcap, "--no-rules", name="no-rules")
    eq(len(of_type(events, "alert")), 0, "alerts")
    eq(final_stats(events)["detect"]["engines"][0]["rules_loaded"], 0, "rules loaded")
    rules = rule_file("one.rules", GOOD_RULE)
    events = analyse(pcap, "-S", rules, "--eve-types", "alert", name="alerts-only")
    assert events and all(e["event_type"] == "alert" for e in events), \
        {e["event_type"] for e in events}


@test
def installed_binary_finds_the_shipped_rules():
    """make install puts the rules under share/plainsight/rules of the
    prefix; the installed binary finds them there, away from the tree."""
    build = os.path.dirname(BIN)
    prefix = os.path.join(WORK, "prefix")
    subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True,
                   capture_output=True)
    installed = os.path.join(prefix, "bin", "plainsight")
    assert os.path.exists(os.path.join(prefix, "share", "plainsight", "rules",
                                       "plainsight.rules"))
    p = subprocess.run([installed, "--test-rules"], capture_output=True, text=True, cwd=WORK)
    eq(p.returncode, 0, f"installed --test-rules: {p.stderr}")
    rules_dir = os.path.join(ROOT, "rules")
    shipped = sum(1 for name in os.listdir(rules_dir) if name.endswith(".rules")
                  for line in open(os.path.join(rules_dir, name)) if line.startswith("alert "))
    assert f"{shipped} rules loaded" in p.stderr, p.stderr
