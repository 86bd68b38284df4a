"""Interleaves many sessions in time and writes the capture and its truth.

Sessions arrive as a Poisson process.  Each active session sits in a heap
keyed by the time of its next frame; the earliest frame is written next, so
the file's timestamps never go backwards.  With --size, new sessions stop
arriving once the file reaches the size and the open ones run to their end;
with --sessions, exactly that many are started.

Seeding: one random.Random(seed) hands out independent seeds to the
catalog, the body corpus, the arrival process and each session, so a
session's content does not depend on how it interleaves with the others.
"""

import heapq
import json
import random

from . import GENERATOR
from .catalog import Catalog
from .content import Corpus
from .httpplan import Planner, render_writes
from .packet import LINKTYPES, link_header
from .pcapfile import PcapWriter
from .tcpsession import Session

VLAN_IDS = [10, 20, 30, 100, 101, 200, 300, 1000, 2001, 4000]
INF = float("inf")


class Generator:
    def __init__(self, opts, truth_args, plant=None):
        """opts: parsed options; truth_args: the dict recorded as "args";
        plant(rng, plan, flow) -> list of secret records, called for each
        session between planning and rendering (None: plant nothing)."""
        self.o = opts
        self.truth_args = truth_args
        self.plant = plant
        self.linktype = LINKTYPES[opts.linktype]
        master = random.Random(opts.seed)
        self.catalog = Catalog(random.Random(master.getrandbits(64)))
        self.corpus = Corpus(random.Random(master.getrandbits(64)))
        self.arrivals = random.Random(master.getrandbits(64))
        self.planner = Planner(self.corpus, opts.max_body, opts.midstream)
        self.flows = []
        self.secrets = []

    # -- one session -----------------------------------------------------
    def _new_session(self, start_us):
        o = self.o
        rng = random.Random(self.arrivals.getrandbits(64))
        ip_v = 6 if rng.random() * 100 < o.ipv6 else 4
        client, cport = self.catalog.pick_client(rng, ip_v)
        site = self.catalog.pick_site(rng)
        server_ip = site.ip6 if ip_v == 6 else site.ip4
        vlans = []
        if self.linktype == 1:
            r = rng.random() * 100
            if r < o.qinq:
                vlans = [rng.choice(VLAN_IDS), rng.choice(VLAN_IDS)]
            elif r < o.qinq + o.vlan:
                vlans = [rng.choice(VLAN_IDS)]
        plan = self.planner.plan_session(rng, site, start_us)
        plan.start_us = start_us
        flow = {
            "proto": "TCP", "ip_v": ip_v, "src_ip": client.ip, "src_port": cport,
            "dest_ip": server_ip, "dest_port": site.port, "vlan": vlans,
            "pkts_toserver": 0, "pkts_toclient": 0, "bytes_toserver": 0, "bytes_toclient": 0,
            "start": 0, "end": 0, "handshake": not plan.midstream, "close": plan.close,
            "midstream": plan.midstream, "ip_fragments": 0, "http": [],
        }
        if self.plant is not None:
            self.secrets.extend(self.plant(rng, plan, flow))
        writes, http = render_writes(plan, rng)
        flow["http"] = http
        links = [link_header(self.linktype, ip_v, client.mac, site.mac, vlans, True),
                 link_header(self.linktype, ip_v, site.mac, client.mac, vlans, False)]
        hops = rng.randrange(4, 22)
        server_ttl = rng.choice([64, 64, 128, 255]) - hops
        client_ttl = client.ttl - rng.randrange(0, 2)
        # a planter may move the session to another client address (--reuse)
        sess = Session(rng, self.linktype, links, flow["src_ip"], cport, server_ip, site.port,
                       (client_ttl, server_ttl), start_us, writes, not plan.midstream,
                       o.reorder, o.retransmit, o.frag)
        self.flows.append(flow)
        return sess, flow

    @staticmethod
    def _finish(sess, flow):
        flow["pkts_toserver"], flow["pkts_toclient"] = sess.pkts
        flow["bytes_toserver"], flow["bytes_toclient"] = sess.bytes
        flow["start"], flow["end"] = sess.first, sess.last
        flow["ip_fragments"] = sess.ip_fragments

    # -- the capture -----------------------------------------------------
    def run(self, out_path, truth_path):
        o = self.o
        w = PcapWriter(out_path, self.linktype, o.snaplen)
        write = w.write
        arr = self.arrivals
        mean_gap = 1e6 / o.rate
        next_arrival = o.start_us
        started = 0
        heap = []
        active = {}
        while True:
            can = ((o.sessions is None or started < o.sessions) and
                   (o.size is None or w.size < o.size))
            if can and (not heap or next_arrival <= heap[0][0]):
                sess, flow = self._new_session(next_arrival)
                it = sess.batches()
                batch = next(it)
                heapq.heappush(heap, (batch[0][0], started, batch, 0, it))
                active[started] = (sess, flow)
                started += 1
                next_arrival += int(arr.expovariate(1.0) * mean_gap) + 1
                continue
            if not heap:
                break
            _, sid, batch, i, it = heap[0]
            limit = next_arrival if can else INF
            n = len(heap)
            if n > 1:
                l2 = heap[1][0]
                if n > 2 and heap[2][0] < l2:
                    l2 = heap[2][0]
                if l2 < limit:
                    limit = l2
            ev = batch[i]
            write(ev[0], ev[1])
            i += 1
            end = len(batch)
            while i < end:
                ev = batch[i]
                if ev[0] > limit:
                    break
                write(ev[0], ev[1])
                i += 1
            if i < end:
                heapq.heapreplace(heap, (batch[i][0], sid, batch, i, it))
                continue
            nb = next(it, None)
            if nb is None:
                heapq.heappop(heap)
                self._finish(*active.pop(sid))
            else:
                heapq.heapreplace(heap, (nb[0][0], sid, nb, 0, it))
        w.close()
        self.flows.sort(key=lambda fl: fl["start"])   # stable: ties keep arrival order
        truth = {
            "generator": GENERATOR, "seed": o.seed, "args": self.truth_args,
            "linktype": self.linktype, "packets": w.packets, "bytes": w.wire_bytes,
            "ip_fragments": sum(f["ip_fragments"] for f in self.flows),
            "flows": self.flows, "secrets": self.secrets,
        }
        with open(truth_path, "w") as f:
            json.dump(truth, f, indent=1)
            f.write("\n")
        return truth, w.size
