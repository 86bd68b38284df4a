"""The Zeek HTTP corpus: real and edge-case captures, checked for crashes,
schema validity, and TCP conversations against tshark."""
import glob
import os

from harness import ZEEK_DIR, Skip, analyse, of_type, test, validate_schema
from test_flows import compare_with_tshark


def corpus():
    files = sorted(glob.glob(os.path.join(ZEEK_DIR, "*.pcap*")))
    if not files:
        raise Skip(f"no captures in {ZEEK_DIR}")
    return files


@test
def zeek_corpus_runs_clean_and_schema_valid():
    for pcap in corpus():
        for threads in ("1", "2"):
            events = analyse(pcap, "--threads", threads,
                             name=os.path.basename(pcap) + f".t{threads}")
            validate_schema(events)
            assert of_type(events, "stats"), f"{pcap}: no stats event"
            # none of these traces carries a capability URL: the shipped
            # rules must stay silent on real traffic
            alerts = of_type(events, "alert")
            assert not alerts, f"{pcap}: unexpected alert {alerts[0]['alert']['signature']}"


@test
def zeek_corpus_tcp_flows_match_tshark():
    for pcap in corpus():
        events = analyse(pcap, "--threads", "1", "--no-rules",
                         name=os.path.basename(pcap) + ".conv")
        compare_with_tshark(pcap, events)


# Where our HTTP requests differ from tshark's on the Zeek corpus, and why.
# (extra requests we report, requests tshark reports that we do not.)
KNOWN_HTTP_DIFFERENCES = {
    # HTTP found by content on ports tshark gives to other dissectors (SSH on
    # 22, 1080/8000/8080 without a decode-as rule).
    "get-to-ssh-server.pcap": (1, 0, "HTTP on port 22: tshark dissects SSH"),
    "http-to-ssh.pcap": (2, 0, "HTTP on port 22, plus the SSH banner answer as a response-only tx"),
    "http-single-conn-22.pcap": (1, 0, "HTTP on port 22: tshark dissects SSH"),
    "zeek-image-post-1080-8000-x.pcap": (1, 0, "POST on port 8000: not HTTP to tshark"),
    "putty-upload.pcap": (1, 0, "tshark does not dissect the second upload request on 8080"),
    "query-method.pcap": (1, 0, "tshark 4.0 does not know the QUERY method"),
    "query-method-non-standard-port.pcap": (1, 0, "QUERY method, unknown to tshark 4.0"),
    # HTTP/0.9 requests (no version): libhtp parses them, tshark does not.
    "http_09.pcap": (4, 0, "HTTP/0.9 requests"),
    "no-version.pcap": (1, 0, "HTTP/0.9 request"),
    # libhtp reports a transaction for a response with no request, and keeps
    # parsing what follows a message as further requests (IDS behaviour).
    "http-09-content-length-confusion.pcap": (1, 0, "response without a request"),
    "http-11-request-then-cruft.pcap": (4, 0, "cruft after a request parsed as requests"),
    "http-desync-request-response-5.pcap": (2, 0, "responses without requests (midstream)"),
    "zero-length-bodies-with-drops.pcap": (1, 0, "response whose request was not captured"),
    "connect-with-smtp.pcap": (7, 0, "libhtp parses the SMTP dialogue after CONNECT"),
    # Request smuggling: the two parsers disagree on where a body ends.
    "variant-02-cl_uint64max.pcap": (0, 1, "libhtp takes the smuggled request as body"),
    "variant-03-cl_negative.pcap": (0, 1, "libhtp takes the smuggled request as body"),
    "variant-10-multi_value_te.pcap": (0, 1, "libhtp takes the smuggled request as body"),
    "variant-09-te_obs_fold.pcap": (1, 0, "libhtp sees the smuggled request, tshark does not"),
    # "OPTIONSHTTP/1.1": no space after the method, so detection by content
    # does not take it for HTTP; tshark dissects it by port.
    "methods.pcap": (0, 1, "request line without a space after the method"),
}


def tshark_request_lines(pcap):
    import collections
    import subprocess
    out = subprocess.run(["tshark", "-r", pcap, "-o", "tcp.desegment_tcp_streams:TRUE",
                          "-o", "http.desegment_body:TRUE", "-Y", "http.request", "-T", "fields",
                          "-E", "occurrence=a", "-E", "aggregator=\x01",
                          "-e", "http.request.method", "-e", "http.request.uri"],
                         capture_output=True, text=True, check=True).stdout
    reqs = collections.Counter()
    for line in out.splitlines():
        f = line.split("\t")
        for m, u in zip(f[0].split("\x01"), f[1].split("\x01")):
            reqs[(m, u)] += 1
    return reqs


@test
def zeek_corpus_http_requests_match_tshark_or_a_known_reason():
    import collections
    unexpected = []
    for pcap in corpus():
        events = analyse(pcap, "--threads", "1", "--no-rules",
                         name=os.path.basename(pcap) + ".http")
        ours = collections.Counter((e["http"].get("http_method", ""), e["http"].get("url", ""))
                                   for e in of_type(events, "http"))
        theirs = tshark_request_lines(pcap)
        diff = (sum((ours - theirs).values()), sum((theirs - ours).values()))
        known = KNOWN_HTTP_DIFFERENCES.get(os.path.basename(pcap), (0, 0, ""))
        if diff != known[:2]:
            unexpected.append(f"{os.path.basename(pcap)}: extra/missing {diff}, "
                              f"expected {known[:2]} ({known[2] or 'same as tshark'})")
    assert not unexpected, "; ".join(unexpected)
