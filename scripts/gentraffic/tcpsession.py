"""One TCP connection: turns the content plan's application writes into
frames with realistic sequence/acknowledgement numbers and timing, as seen
by a sensor sitting between client and server.

Timing model: the sensor is rtt[0] (round trip) away from the client and
rtt[1] away from the server.  A side's reply to data it receives appears at
the sensor rtt[side] after that data passed, plus the application's delay.
Data is paced at the sender's rate; the receiver's ACKs follow each segment
by its rtt: an ACK every ack_every in-order segments, an immediate
(duplicate) ACK for out-of-order, duplicate or hole-filling segments, and a
delayed ACK (DELACK_US) for a trailing odd segment unless the receiver sends
data first (the ACK then rides on it).

Impairments, applied per data flight, all drawn from the session's rng:
reorder swaps a segment with its neighbour, retransmit sends an identical
copy of a segment 1-3 segments later, frag splits a data-bearing packet into
2-3 IP fragments (sometimes sent out of offset order).  In a session picked
up mid-stream the first data segment of each direction is never reordered:
it is where any observer starts that stream.

The session yields its frames as lists of (time_us, frame, side) in
non-decreasing time order and keeps per-side frame and byte counts.
"""

from .packet import ACK, FIN, PSH, RST, SYN, Endpoint, syn_options

MASK = 0xffffffff
DELACK_US = 40000


class Session:
    def __init__(self, rng, linktype, links, client_ip, cport, server_ip, sport, ttls, start_us,
                 writes, handshake, reorder_pct, retransmit_pct, frag_pct):
        self.rng = rng
        self.start = start_us
        self.writes = writes
        self.handshake = handshake
        self.p_reorder = reorder_pct / 100.0
        self.p_retrans = retransmit_pct / 100.0
        self.p_frag = frag_pct / 100.0
        v6 = ":" in client_ip
        r = rng.random()
        if r < 0.85:
            self.mss = 1440 if v6 else 1460
        elif r < 0.95:
            self.mss = rng.choice([1380, 1400, 1360])
        else:
            self.mss = 536
        self.rtt = [int(rng.lognormvariate(0, 0.8) * 400) + 50,
                    min(int(rng.lognormvariate(0, 1.0) * 15000) + 300, 300000)]
        mbps = rng.choice([10, 20, 50, 100, 100, 200, 500, 1000])
        up = rng.choice([10, 50, 100, 1000])
        self.us_per_byte = [8.0 / up, 8.0 / mbps]
        self.ack_every = 2 if rng.random() < 0.8 else 1
        self.isn = [self._isn(), self._isn()]
        self.win = [rng.randrange(200, 4100), rng.randrange(200, 4100)]
        self.wscale = [rng.choice([7, 8]), rng.choice([7, 8, 9])]
        self.opt_style = rng.randrange(2)
        self.ep = [Endpoint(linktype, links[0], client_ip, server_ip, cport, sport, ttls[0],
                            rng.randrange(65536), rng.getrandbits(20)),
                   Endpoint(linktype, links[1], server_ip, client_ip, sport, cport, ttls[1],
                            rng.randrange(65536), rng.getrandbits(20))]
        self.pkts = [0, 0]
        self.bytes = [0, 0]
        self.first = None
        self.last = None
        self.ip_fragments = 0

    def _isn(self):
        rng = self.rng
        if rng.random() < 0.12:
            return (1 << 32) - rng.randrange(1, 30000)   # wraps inside the session
        return rng.getrandbits(32)

    # -- public ----------------------------------------------------------
    def batches(self):
        """Yield lists of (time_us, frame, side), in non-decreasing time."""
        pkts, nbytes = self.pkts, self.bytes
        for batch in self._run():
            if not batch:
                continue
            if self.first is None:
                self.first = batch[0][0]
            self.last = batch[-1][0]
            for _, f, s in batch:
                pkts[s] += 1
                nbytes[s] += len(f)
            yield batch

    # -- engine ----------------------------------------------------------
    def _run(self):
        ep, rtt, isn = self.ep, self.rtt, self.isn
        self.base = [(isn[0] + 1) & MASK, (isn[1] + 1) & MASK]
        self.nxt = [0, 0]           # bytes (and FIN) sent by each side
        self.rcv = [0, 0]           # rcv[r]: bytes of the other side's stream r has in order
        self.ooo = [{}, {}]         # out-of-order ranges held by each receiver
        self.cnt = [0, 0]           # unacknowledged in-order segments at each receiver
        self.pending = [None, None]  # delayed-ACK time at each receiver
        self.last_sent = [self.start, self.start]
        self.buf = []
        t = self.start
        if self.handshake:
            buf = self.buf
            opts_c = syn_options(self.mss, self.wscale[0], self.opt_style)
            opts_s = syn_options(self.mss, self.wscale[1], 1 - self.opt_style)
            buf.append((t, ep[0].frame(isn[0], 0, SYN, 64240 if self.opt_style else 65535,
                                       opts=opts_c), 0))
            t1 = t + rtt[1]
            buf.append((t1, ep[1].frame(isn[1], self.base[0], SYN | ACK, 65535, opts=opts_s), 1))
            t2 = t1 + rtt[0]
            buf.append((t2, self._ack_frame(0), 0))
            self.last_sent = [t2, t1]
        watermark = self.start
        for op in self.writes:
            kind, side = op[0], op[1]
            delay, follow = op[-2], op[-1]
            if follow:
                t0 = self.last_sent[side] + delay
            else:
                t0 = self.last_sent[1 - side] + rtt[side] + delay
            if t0 < watermark:
                t0 = watermark
            self._timers(t0, side)
            ready = self._release(t0)
            if ready:
                yield ready
            watermark = t0
            if kind == "data":
                self._flight(side, op[2], t0)
            elif kind == "fin":
                self._fin(side, t0)
            else:
                self._rst(side, t0)
        for r in (0, 1):
            if self.pending[r] is not None:
                self.buf.append((self.pending[r], self._ack_frame(r), r))
                self.pending[r] = None
        self.buf.sort(key=_time)
        yield self.buf
        self.buf = []

    def _release(self, upto):
        """Pop and return the buffered events with time <= upto, sorted."""
        buf = self.buf
        if not buf:
            return None
        buf.sort(key=_time)
        if buf[-1][0] <= upto:
            self.buf = []
            return buf
        lo, hi = 0, len(buf)
        while lo < hi:
            mid = (lo + hi) >> 1
            if buf[mid][0] <= upto:
                lo = mid + 1
            else:
                hi = mid
        self.buf = buf[lo:]
        return buf[:lo]

    def _timers(self, t0, side):
        """Fire delayed ACKs due by t0; drop those the sender's next packet carries."""
        for r in (0, 1):
            p = self.pending[r]
            if p is None:
                continue
            if p <= t0:
                self.buf.append((p, self._ack_frame(r), r))
                self.pending[r] = None
                self.cnt[r] = 0
            elif r == side:
                self.pending[r] = None
                self.cnt[r] = 0

    def _ack_frame(self, r):
        """Pure ACK from side r with its current state."""
        return self.ep[r].frame((self.base[r] + self.nxt[r]) & MASK,
                                (self.base[1 - r] + self.rcv[r]) & MASK, ACK, self.win[r])

    def _flight(self, side, data, t0):
        rng = self.rng
        r = 1 - side
        e = self.ep[side]
        mss = self.mss
        n = len(data)
        off0 = self.nxt[side]
        self.nxt[side] += n
        base = self.base[side]
        ackv = (self.base[r] + self.rcv[side]) & MASK
        w = self.win[side]
        p_frag = self.p_frag
        segs = []
        pos = 0
        while pos < n:
            ln = n - pos if n - pos < mss else mss
            payload = data[pos:pos + ln]
            flags = ACK | PSH if pos + ln >= n else ACK
            seq = (base + off0 + pos) & MASK
            # A fragmentable segment keeps the whole TCP header in its first
            # fragment, so it needs more than 4 payload bytes.
            if p_frag and ln > 4 and rng.random() < p_frag:
                frames = e.fragments(rng, e.segment(seq, ackv, flags, w, payload))
                self.ip_fragments += len(frames)
            else:
                frames = (e.frame(seq, ackv, flags, w, payload),)
            segs.append((off0 + pos, off0 + pos + ln, frames))
            pos += ln
        if self.p_reorder and len(segs) > 1:
            # Without a handshake, a receiver (and any sensor) takes the first
            # segment it sees in a direction as that stream's start, so the
            # first segment of a mid-stream session's direction stays first.
            i = 1 if off0 == 0 and not self.handshake else 0
            while i < len(segs) - 1:
                if rng.random() < self.p_reorder:
                    segs[i], segs[i + 1] = segs[i + 1], segs[i]
                    i += 2
                else:
                    i += 1
        if self.p_retrans:
            keyed = [(i * 4, sg) for i, sg in enumerate(segs)]
            for i, sg in enumerate(segs):
                if rng.random() < self.p_retrans:
                    keyed.append(((i + rng.randrange(1, 4)) * 4 + 1, sg))
                    self.ip_fragments += len(sg[2]) if len(sg[2]) > 1 else 0
            keyed.sort(key=_time)
            segs = [sg for _, sg in keyed]

        buf = self.buf
        upb = self.us_per_byte[side]
        rtt_r = self.rtt[r]
        ooo = self.ooo[r]
        every = self.ack_every
        t = t0
        tl = t0
        for s_off, e_off, frames in segs:
            for f in frames:
                buf.append((t, f, side))
                tl = t
                t += int(len(f) * upb) + 1
            # The receiver's view of this segment.
            rn = self.rcv[r]
            now = False
            if s_off <= rn:
                if e_off > rn:
                    rn = e_off
                    if ooo:
                        filled = True
                        while filled:
                            filled = False
                            for k in list(ooo):
                                if k <= rn:
                                    end = ooo.pop(k)
                                    if end > rn:
                                        rn = end
                                    filled = now = True
                    self.rcv[r] = rn
                    if not now:
                        c = self.cnt[r] + 1
                        if c >= every:
                            now = True
                        else:
                            self.cnt[r] = c
                else:
                    now = True
            else:
                if ooo.get(s_off, 0) < e_off:
                    ooo[s_off] = e_off
                now = True
            if now:
                buf.append((tl + rtt_r, self._ack_frame(r), r))
                self.cnt[r] = 0
                self.pending[r] = None
        self.last_sent[side] = tl
        if self.cnt[r]:
            self.pending[r] = tl + rtt_r + DELACK_US

    def _fin(self, x, t0):
        rng = self.rng
        y = 1 - x
        buf = self.buf
        buf.append((t0, self._flag_frame(x, FIN | ACK), x))
        self.nxt[x] += 1
        ta = t0 + self.rtt[y]
        self.rcv[y] += 1
        self.pending[y] = None
        self.cnt[y] = 0
        if rng.random() < 0.6:
            tf = ta
        else:
            buf.append((ta, self._ack_frame(y), y))
            tf = ta + rng.randrange(50, 30000)
        buf.append((tf, self._flag_frame(y, FIN | ACK), y))
        self.nxt[y] += 1
        self.rcv[x] += 1
        tx = tf + self.rtt[x]
        buf.append((tx, self._ack_frame(x), x))
        self.last_sent = [tx, tf] if x == 0 else [tf, tx]

    def _rst(self, x, t0):
        y = 1 - x
        self.buf.append((t0, self.ep[x].frame((self.base[x] + self.nxt[x]) & MASK,
                                              (self.base[y] + self.rcv[x]) & MASK,
                                              RST | ACK, 0), x))
        self.pending[x] = None
        p = self.pending[y]
        if p is not None and p > t0 + self.rtt[y]:
            self.pending[y] = None
        self.last_sent[x] = t0

    def _flag_frame(self, s, flags):
        return self.ep[s].frame((self.base[s] + self.nxt[s]) & MASK,
                                (self.base[1 - s] + self.rcv[s]) & MASK, flags, self.win[s])


def _time(ev):
    return ev[0]
