"""Flow events against the generator's ground truth and tshark."""
import collections
import re
import subprocess

from harness import (analyse, eq, final_stats, generate, of_type, run_ps, test, tuple_key,
                     validate_schema, WORK)
import os

PROTO = {"TCP": "TCP", "UDP": "UDP"}


def truth_key(fl):
    return (fl["src_ip"], fl["src_port"], fl["dest_ip"], fl["dest_port"], fl["proto"])


def check_flows_against_truth(events, truth):
    flows = of_type(events, "flow")
    by_key = {}
    for ev in flows:
        k = tuple_key(ev)
        assert k not in by_key, f"flow {k} reported twice"
        by_key[k] = ev
    eq(len(flows), len(truth["flows"]), "number of flow events")
    for fl in truth["flows"]:
        k = truth_key(fl)
        ev = by_key.get(k)
        rev = (k[2], k[3], k[0], k[1], k[4])
        if ev is None and fl.get("midstream"):
            # Picked up mid-stream from the server's side: the engine cannot
            # know who the client was, and takes the first sender.
            ev = by_key.get(rev)
            assert ev is not None, f"flow {k} missing"
            f = ev["flow"]
            eq((f["pkts_toclient"], f["pkts_toserver"]),
               (fl["pkts_toserver"], fl["pkts_toclient"]), f"packets of {k} (reversed)")
            eq((f["bytes_toclient"], f["bytes_toserver"]),
               (fl["bytes_toserver"], fl["bytes_toclient"]), f"bytes of {k} (reversed)")
            continue
        assert ev is not None, f"flow {k} missing"
        f = ev["flow"]
        eq((f["pkts_toserver"], f["pkts_toclient"]),
           (fl["pkts_toserver"], fl["pkts_toclient"]), f"packets of {k}")
        eq((f["bytes_toserver"], f["bytes_toclient"]),
           (fl["bytes_toserver"], fl["bytes_toclient"]), f"bytes of {k}")
        want_state = "closed" if fl.get("close") in ("fin", "rst") else "established"
        eq(f["state"], want_state, f"state of {k}")
        eq(ev.get("vlan", []), fl.get("vlan", [])[:1], f"vlan of {k}")
    st = final_stats(events)
    eq(st["decoder"]["pkts"], truth["packets"], "stats.decoder.pkts")
    eq(st["decoder"]["bytes"], truth["bytes"], "stats.decoder.bytes")
    eq(st["decoder"]["invalid"], 0, "stats.decoder.invalid")
    eq(st["flow"]["total"], len(truth["flows"]), "stats.flow.total")


def gen_and_check(seed, *opts, threads="2"):
    pcap, truth = generate(seed, *opts)
    events = analyse(pcap, "--threads", threads, name=os.path.basename(pcap) + f".t{threads}")
    validate_schema(events)
    check_flows_against_truth(events, truth)
    return events


@test
def flows_match_truth_ethernet_vlan_ipv6():
    gen_and_check(1, "--sessions", "60", "--vlan", "20", "--qinq", "5", "--ipv6", "30")


@test
def flows_match_truth_one_thread():
    gen_and_check(2, "--sessions", "40", "--ipv6", "50", threads="1")


@test
def flows_match_truth_every_link_type():
    for lt in ("raw", "sll", "sll2", "null"):
        gen_and_check(3, "--sessions", "20", "--ipv6", "30", "--linktype", lt)


@test
def flows_match_truth_with_fragments_reordering_retransmissions():
    gen_and_check(4, "--sessions", "50", "--ipv6", "30", "--frag", "10", "--reorder", "5",
                  "--retransmit", "3")


@test
def flows_match_truth_with_snaplen_truncation():
    # Frames cut to 96 bytes: flows still count wire lengths, and truncated
    # frames are counted by reason, not as invalid.
    pcap, truth = generate(5, "--sessions", "20", "--snaplen", "96")
    events = analyse(pcap, "--threads", "1")
    validate_schema(events)
    check_flows_against_truth(events, truth)
    st = final_stats(events)
    assert st["decoder"]["event"]["ipv4"]["trunc_pkt"] > 0, "no truncated packet counted"


@test
def same_flow_events_with_1_2_and_4_threads():
    pcap, truth = generate(6, "--sessions", "120", "--ipv6", "30", "--vlan", "10", "--frag", "5")
    results = {}
    for n in ("1", "2", "4"):
        events = analyse(pcap, "--threads", n, name=f"threads{n}")
        validate_schema(events)
        results[n] = sorted(repr(sorted(e.items())) for e in of_type(events, "flow"))
    assert results["1"], "no flow events"
    eq(results["2"], results["1"], "flow events with 2 threads vs 1")
    eq(results["4"], results["1"], "flow events with 4 threads vs 1")


UNITS = {"bytes": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}


def tshark_conversations(pcap):
    """tshark -z conv,tcp: {(addrA, portA, addrB, portB): [frames A->B, bytes A->B,
    frames B->A, bytes B->A]}; bytes as (value, unit), since tshark rounds
    large counts to kB/MB."""
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "conv,tcp"], capture_output=True,
                         text=True, check=True).stdout
    conv = {}
    cell = r"(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)"
    line_re = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+" + cell + r"\s+" + cell)
    for line in out.splitlines():
        m = line_re.match(line.strip())
        if not m:
            continue
        a, pa, b, pb = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        # "<-" (frames, bytes from B to A) comes first, then "->" (A to B).
        ba = (int(m.group(5)), (int(m.group(6)), m.group(7)))
        ab = (int(m.group(8)), (int(m.group(9)), m.group(10)))
        conv[(a, pa, b, pb)] = (ab, ba)
    return conv


def bytes_match(ours, shown):
    value, unit = shown
    if unit == "bytes":
        return ours == value
    return abs(ours / UNITS[unit] - value) <= 1


def compare_with_tshark(pcap, events):
    """Every TCP flow of ours against tshark's conversation table."""
    conv = tshark_conversations(pcap)
    flows = [e for e in of_type(events, "flow") if e["proto"] == "TCP"]
    eq(len(flows), len(conv), f"{pcap}: TCP conversations (tshark) vs TCP flows")
    for ev in flows:
        f = ev["flow"]
        k = (ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"])
        r = (k[2], k[3], k[0], k[1])
        if k in conv:
            ts, tc = conv[k]
        elif r in conv:
            tc, ts = conv[r]
        else:
            raise AssertionError(f"{pcap}: tshark has no conversation {k}")
        eq((f["pkts_toserver"], f["pkts_toclient"]), (ts[0], tc[0]),
           f"{pcap}: frames of {k} (ours vs tshark)")
        assert bytes_match(f["bytes_toserver"], ts[1]) and bytes_match(f["bytes_toclient"], tc[1]), \
            f"{pcap}: bytes of {k}: ours {f['bytes_toserver']}/{f['bytes_toclient']}, tshark {ts[1]}/{tc[1]}"


@test
def tcp_flows_match_tshark_conversations():
    pcap, _ = generate(7, "--sessions", "50", "--ipv6", "30", "--vlan", "10")
    events = analyse(pcap, "--threads", "2")
    compare_with_tshark(pcap, events)


@test
def generator_truth_agrees_with_tshark():
    """The oracle the other tests lean on is itself checked by tshark."""
    import sys
    from harness import ROOT
    check = os.path.join(ROOT, "tests", "e2e", "check_truth_tshark.py")
    for opts in (("--sessions", "30", "--ipv6", "30", "--vlan", "20", "--qinq", "5"),
                 ("--sessions", "30", "--frag", "10", "--reorder", "5", "--retransmit", "3",
                  "--midstream", "10"),
                 ("--sessions", "15", "--linktype", "sll2")):
        pcap, _ = generate(31, *opts)
        p = subprocess.run([sys.executable, check, pcap, pcap[:-5] + ".truth.json"],
                           capture_output=True, text=True)
        assert p.returncode == 0, f"{opts}: {p.stdout[-800:]} {p.stderr[-400:]}"
        assert " 0 failed" in p.stdout, p.stdout[-400:]
