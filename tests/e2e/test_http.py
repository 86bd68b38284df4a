"""HTTP transactions: generated captures against their ground truth and
tshark, and hand-built TCP edge cases (segmentation, ordering, overlaps,
gaps, wrap-around)."""
import collections
import os
import subprocess

from harness import (WORK, analyse, eq, eq_counts, final_stats, generate, of_type, tcp_exchange, test,
                     validate_schema, write_pcap)


def truth_transactions(truth):
    """{(client ip, client port, tx_id): tx} over every flow of the truth."""
    out = {}
    for fl in truth["flows"]:
        for tx in fl.get("http", []):
            out[(fl["src_ip"], fl["src_port"], tx["tx_id"])] = tx
    return out


def check_http_against_truth(events, truth):
    want = truth_transactions(truth)
    seen = collections.Counter()
    for ev in of_type(events, "http"):
        key = (ev["src_ip"], ev["src_port"], ev["tx_id"])
        seen[key] += 1
        assert key in want, f"http event {key} {ev['http'].get('url')} not in the truth"
        tx, h = want[key], ev["http"]
        eq(h.get("http_method"), tx["method"], f"method of {key}")
        eq(h.get("url"), tx["uri"], f"url of {key}")
        eq(h.get("hostname"), tx["host"], f"hostname of {key}")
        eq(h.get("http_user_agent"), tx["user_agent"], f"user agent of {key}")
        eq(h.get("protocol"), tx["protocol"], f"protocol of {key}")
        eq(h.get("status"), tx["status"], f"status of {key}")
        eq(h.get("http_content_type"), tx["content_type"], f"content type of {key}")
        eq(h.get("redirect"), tx["location"], f"redirect of {key}")
        eq(h.get("length"), tx["response_body_len"], f"decoded response length of {key}")
    dup = [k for k, n in seen.items() if n > 1]
    assert not dup, f"transactions reported more than once: {dup[:5]}"
    missing = sorted(set(want) - set(seen))
    assert not missing, f"{len(missing)} of {len(want)} transactions missing, e.g. {missing[:3]}"
    eq(final_stats(events)["app_layer"]["tx"]["http"], len(want), "stats.app_layer.tx.http")


def gen_and_check(seed, *opts, threads="2"):
    pcap, truth = generate(seed, *opts)
    events = analyse(pcap, "--threads", threads, name=os.path.basename(pcap) + f".http{threads}")
    validate_schema(events)
    check_http_against_truth(events, truth)
    return events


@test
def http_matches_truth_plain():
    gen_and_check(21, "--sessions", "80", "--ipv6", "30", "--vlan", "10")


@test
def http_matches_truth_one_thread_and_four():
    gen_and_check(22, "--sessions", "60", threads="1")
    gen_and_check(22, "--sessions", "60", threads="4")


@test
def http_matches_truth_with_reordering_and_retransmissions():
    gen_and_check(23, "--sessions", "80", "--reorder", "5", "--retransmit", "3")


@test
def http_matches_truth_with_fragments():
    gen_and_check(24, "--sessions", "60", "--frag", "15", "--ipv6", "40")


@test
def http_matches_truth_on_every_link_type():
    for lt in ("raw", "sll", "sll2", "null"):
        gen_and_check(25, "--sessions", "15", "--linktype", lt)


def tshark_requests(pcap, ports):
    """(client ip, client port, method, uri, host) of every request tshark
    dissects, and (client ip, client port, status) of every response."""
    decode_as = []
    for p in sorted(ports):
        if p != 80:
            decode_as += ["-d", f"tcp.port=={p},http"]
    base = ["tshark", "-r", pcap, "-o", "tcp.desegment_tcp_streams:TRUE",
            "-o", "http.desegment_body:TRUE"] + decode_as
    out = subprocess.run(base + ["-Y", "http.request", "-T", "fields", "-e", "ip.src",
                                 "-e", "ipv6.src", "-e", "tcp.srcport", "-e",
                                 "http.request.method", "-e", "http.request.uri", "-e",
                                 "http.host"], capture_output=True, text=True, check=True).stdout
    reqs = collections.Counter()
    for line in out.splitlines():
        # A frame that completes several pipelined requests lists each
        # field once per request, joined by commas.
        f = line.split("\t")
        for method, uri, host in zip(f[3].split(","), f[4].split(","), f[5].split(",")):
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            reqs[(f[0] or f[1], int(f[2]), method, uri, host)] += 1
    out = subprocess.run(base + ["-Y", "http.response", "-T", "fields", "-e", "ip.dst", "-e",
                                 "ipv6.dst", "-e", "tcp.dstport", "-e", "http.response.code"],
                         capture_output=True, text=True, check=True).stdout
    resps = collections.Counter()
    for line in out.splitlines():
        f = line.split("\t")
        for code in map(int, f[3].split(",")):
            if code != 100:  # interim responses are not transactions
                resps[(f[0] or f[1], int(f[2]), code)] += 1
    return reqs, resps


@test
def http_matches_tshark_dissection():
    pcap, truth = generate(26, "--sessions", "60", "--ipv6", "30")
    events = analyse(pcap, "--threads", "2", name="tshark-http")
    ports = {fl["dest_port"] for fl in truth["flows"]}
    t_reqs, t_resps = tshark_requests(pcap, ports)
    ours_reqs = collections.Counter()
    ours_resps = collections.Counter()
    for ev in of_type(events, "http"):
        h = ev["http"]
        ours_reqs[(ev["src_ip"], ev["src_port"], h["http_method"], h["url"], h["hostname"])] += 1
        if "status" in h:
            ours_resps[(ev["src_ip"], ev["src_port"], h["status"])] += 1
    assert sum(t_reqs.values()) > 50, "tshark saw too few requests"
    eq_counts(ours_reqs, t_reqs, "requests (ours vs tshark)")
    eq_counts(ours_resps, t_resps, "responses (ours vs tshark)")


# --- hand-built connections ---------------------------------------------

C, S = "192.0.2.10", "198.51.100.20"
REQ = b"GET /calendar/feed.ics?token=abc HTTP/1.1\r\nHost: cal.example\r\nUser-Agent: t/1\r\n\r\n"
BODY = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))


def run_hand(name, frames, *extra):
    path = write_pcap(os.path.join(WORK, name + ".pcap"), frames)
    events = analyse(path, "--threads", "1", *extra)
    validate_schema(events)
    return events


def one_tx(events, url="/calendar/feed.ics?token=abc", status=200):
    txs = of_type(events, "http")
    eq(len(txs), 1, "http events")
    h = txs[0]["http"]
    eq((h.get("url"), h.get("hostname"), h.get("status")), (url, "cal.example", status), "tx")
    return txs[0]


@test
def one_byte_segments_are_reassembled():
    plan = [("c", REQ[i:i + 1]) for i in range(len(REQ))] + \
           [("s", RESP[i:i + 1]) for i in range(len(RESP))]
    ev = one_tx(run_hand("onebyte", tcp_exchange(C, S, 40001, 80, plan)))
    eq(ev["http"]["length"], len(BODY), "body length")
    eq(ev["http"]["http_content_type"], "text/calendar", "content type cut at ';'")


@test
def response_captured_before_its_request_is_parsed_after_it():
    plan = [("c", REQ[:30]), ("c", REQ[30:]), ("s", RESP[:40]), ("s", RESP[40:])]
    one_tx(run_hand("swapped", tcp_exchange(C, S, 40002, 80, plan, order=[2, 3, 0, 1])))


@test
def reordered_and_duplicated_segments():
    plan = [("c", REQ[:20]), ("c", REQ[20:50]), ("c", REQ[50:]), ("c", REQ[20:50], 20),
            ("s", RESP[:10]), ("s", RESP[10:60]), ("s", RESP[60:]), ("s", RESP[:10], 0)]
    one_tx(run_hand("reorder", tcp_exchange(C, S, 40003, 80, plan, order=[1, 0, 3, 2, 6, 5, 7, 4])))


@test
def conflicting_overlap_keeps_first_data_and_raises_an_anomaly():
    evil = REQ.replace(b"/calendar/feed.ics", b"/elsewhere/evil.ics")[:40]
    plan = [("c", REQ[:40]), ("c", evil, 0), ("c", REQ[40:]), ("s", RESP)]
    events = run_hand("overlap", tcp_exchange(C, S, 40004, 80, plan))
    one_tx(events)
    names = [e["anomaly"]["event"] for e in of_type(events, "anomaly")]
    assert "stream.reassembly_overlap_different_data" in names, names
    st = final_stats(events)
    eq(st["tcp"]["overlap_diff_data"], 1, "tcp.overlap_diff_data")
    eq(st["stream"]["reassembly_overlap_different_data"], 1, "stream counter")


@test
def same_bytes_overlap_is_not_an_anomaly():
    plan = [("c", REQ[:40]), ("c", REQ[20:60], 20), ("c", REQ[60:]), ("s", RESP)]
    events = run_hand("overlap-same", tcp_exchange(C, S, 40005, 80, plan))
    one_tx(events)
    eq([e["anomaly"]["event"] for e in of_type(events, "anomaly")], [], "anomalies")
    assert final_stats(events)["tcp"]["overlap"] >= 1


@test
def sequence_numbers_wrapping_around():
    plan = [("c", REQ[i:i + 7]) for i in range(0, len(REQ), 7)] + \
           [("s", RESP[i:i + 9]) for i in range(0, len(RESP), 9)]
    frames = tcp_exchange(C, S, 40006, 80, plan, isn_c=0xFFFFFFF0, isn_s=0xFFFFFFD0)
    one_tx(run_hand("wrap", frames))


@test
def gap_in_a_body_is_signalled_and_later_transactions_still_parse():
    body = b"x" * 3000
    resp1 = b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + body
    req2 = REQ.replace(b"feed.ics", b"second.ics")
    plan = [("c", REQ), ("s", resp1[:1000]), ("s", resp1[1000:2000]), ("s", resp1[2000:]),
            ("c", req2), ("s", RESP)]
    # The segment carrying bytes 1000..2000 of the first response is lost.
    events = run_hand("gap", tcp_exchange(C, S, 40007, 80, plan, order=[0, 1, 3, 4, 5]))
    txs = of_type(events, "http")
    urls = [t["http"]["url"] for t in txs]
    eq(urls, ["/calendar/feed.ics?token=abc", "/calendar/second.ics?token=abc"], "urls")
    eq(txs[1]["http"]["status"], 200, "status after the gap")
    names = [e["anomaly"]["event"] for e in of_type(events, "anomaly")]
    assert "stream.reassembly_seq_gap" in names, names
    assert final_stats(events)["tcp"]["reassembly_gap"] >= 1


@test
def pipelined_requests_on_a_non_standard_port():
    reqs = b"".join(REQ.replace(b"feed.ics", f"p{i}.ics".encode()) for i in range(3))
    plan = [("c", reqs), ("s", RESP * 3)]
    events = run_hand("pipeline", tcp_exchange(C, S, 40008, 12345, plan))
    txs = of_type(events, "http")
    eq([(t["tx_id"], t["http"]["url"], t["http"]["status"]) for t in txs],
       [(i, f"/calendar/p{i}.ics?token=abc", 200) for i in range(3)], "pipelined transactions")
    flows = of_type(events, "flow")
    eq(flows[0].get("app_proto"), "http", "app_proto by content on port 12345")


@test
def request_cut_by_end_of_capture_is_still_written():
    plan = [("c", REQ), ("s", RESP[:50])]
    events = run_hand("cut", tcp_exchange(C, S, 40009, 80, plan, close=False))
    ev = one_tx(events)
    eq(final_stats(events)["app_layer"]["tx"]["http"], 1, "transactions")
    assert ev["http"]["http_method"] == "GET"


@test
def request_headers_on_request():
    plan = [("c", REQ), ("s", RESP)]
    events = run_hand("headers", tcp_exchange(C, S, 40010, 80, plan), "--http-headers", "both")
    h = one_tx(events)["http"]
    eq(h["request_headers"], [{"name": "Host", "value": "cal.example"},
                              {"name": "User-Agent", "value": "t/1"}], "request headers")
    eq([x["name"] for x in h["response_headers"]], ["Content-Type", "Content-Length"], "names")
