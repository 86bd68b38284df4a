"""Seeded, deterministic generator of realistic HTTP/1.1-over-TCP captures.

Layers, bottom up:

  packet.py      IPv4/IPv6/TCP headers with checksums, IP fragments, link layers
  pcapfile.py    the classic pcap writer (microsecond timestamps, snaplen)
  tcpsession.py  one TCP connection: application writes -> segments, ACKs,
                 handshake, teardown, impairments (reorder, retransmit, frag)
  content.py     body corpus, gzip, chunked framing
  httpplan.py    the content plan: HTTP transactions of a session, their wire
                 bytes and their ground-truth records
  catalog.py     address pools, sites, user agents, paths
  scheduler.py   interleaves many sessions in time and writes the capture and
                 its ground truth

Everything draws from random.Random instances seeded from the one --seed, so
the same arguments give byte-identical output.
"""

GENERATOR = "plainsight-gen/1"
