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


@test
def zeek_corpus_tcp_flows_match_tshark():
    for pcap in corpus():
        events = analyse(pcap, "--threads", "1", name=os.path.basename(pcap) + ".conv")
        compare_with_tshark(pcap, events)
