"""Frames on the wire: link layers, IPv4/IPv6 headers, TCP headers with
correct checksums, and IP fragmentation.

An Endpoint is one direction of one TCP connection (sender's view).  It
precomputes everything constant in that direction (link header, addresses,
the address part of both checksums), so building a segment costs one
struct.pack, one big-int remainder for the payload checksum and a join.

Checksums use the fact that a one's complement sum of 16-bit words is the
big-endian value of the bytes modulo 0xffff (2**16 == 1 mod 0xffff):
int.from_bytes(payload, "big") % 0xffff runs in C over the whole payload.
"""

import ipaddress
import struct

LINKTYPES = {"ethernet": 1, "null": 0, "raw": 101, "sll": 113, "sll2": 276}

ETH_MIN = 60            # minimum Ethernet frame without FCS; shorter frames are padded
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
TPID_8021Q = 0x8100
TPID_8021AD = 0x88A8
AF_INET = 2
AF_INET6_BSD = 30       # Darwin's AF_INET6, as macOS lo0 captures carry it

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_V4 = struct.Struct("!HHHHHH4s4sHHIIHHHH")   # IPv4 header + TCP header (no options)
_V6 = struct.Struct("!IHBB16s16sHHIIHHHH")   # IPv6 header + TCP header (no options)
_TCP = struct.Struct("!HHIIHHHH")
_IP4 = struct.Struct("!HHHHHH4s4s")
_IP6 = struct.Struct("!IHBB16s16s")
_FRAG6 = struct.Struct("!BBHI")


def _fold(x):
    """Checksum field for a one's complement sum congruent to x (x > 0)."""
    c = x % 0xffff
    return 0xffff - c if c else 0


def link_header(linktype, ip_v, src_mac, dst_mac, vlans, outgoing):
    """Link-layer header for one direction.  vlans: [] or [vid] or [outer, inner]."""
    etype = ETHERTYPE_IPV6 if ip_v == 6 else ETHERTYPE_IPV4
    if linktype == 1:
        hdr = dst_mac + src_mac
        if len(vlans) == 2:
            hdr += struct.pack("!HHHH", TPID_8021AD, vlans[0], TPID_8021Q, vlans[1])
        elif len(vlans) == 1:
            hdr += struct.pack("!HH", TPID_8021Q, vlans[0])
        return hdr + struct.pack("!H", etype)
    if linktype == 101:
        return b""
    if linktype == 0:
        return struct.pack("<I", AF_INET6_BSD if ip_v == 6 else AF_INET)
    if linktype == 113:
        # packet type 4 = sent by the capturing host, 0 = addressed to it.
        return struct.pack("!HHH", 4 if outgoing else 0, 1, 6) + src_mac + b"\0\0" + \
            struct.pack("!H", etype)
    if linktype == 276:
        return struct.pack("!HHIHBB", etype, 0, 2, 1, 4 if outgoing else 0, 6) + src_mac + b"\0\0"
    raise ValueError(f"unsupported link type {linktype}")


class Endpoint:
    """Sender side of one direction of a TCP connection."""

    __slots__ = ("link", "pad", "v6", "src", "dst", "sport", "dport", "ttl", "ipid",
                 "flowlabel", "fragid", "tcp_const", "ip_const")

    def __init__(self, linktype, link, src_ip, dst_ip, sport, dport, ttl, ipid, flowlabel):
        self.link = link
        self.pad = linktype == 1
        a = ipaddress.ip_address(src_ip)
        self.v6 = a.version == 6
        self.src = a.packed
        self.dst = ipaddress.ip_address(dst_ip).packed
        self.sport, self.dport = sport, dport
        self.ttl = ttl
        self.ipid = ipid
        self.flowlabel = flowlabel
        self.fragid = (ipid * 7919 + flowlabel) & 0xffffffff
        addr_sum = int.from_bytes(self.src + self.dst, "big") % 0xffff
        # Pseudo header (addresses + protocol) plus the constant TCP words.
        self.tcp_const = addr_sum + 6 + sport + dport
        # IPv4 header words that never change in this direction: version/IHL/TOS,
        # TTL/protocol, addresses.
        self.ip_const = 0x4500 + ((ttl << 8) | 6) + addr_sum

    # -- TCP -------------------------------------------------------------
    def _tcp_sum(self, seq, ack, offflags, win, opts, payload, tcp_len):
        x = (self.tcp_const + tcp_len + (seq >> 16) + (seq & 0xffff) + (ack >> 16) +
             (ack & 0xffff) + offflags + win)
        if opts:
            x += int.from_bytes(opts, "big") % 0xffff
        if payload:
            p = int.from_bytes(payload, "big") % 0xffff
            x += (p << 8) if len(payload) & 1 else p
        return _fold(x)

    def frame(self, seq, ack, flags, win, payload=b"", opts=b""):
        """One complete link-layer frame carrying one TCP segment."""
        olen = len(opts)
        tcp_len = 20 + olen + len(payload)
        offflags = ((5 + (olen >> 2)) << 12) | flags
        csum = self._tcp_sum(seq, ack, offflags, win, opts, payload, tcp_len)
        if self.v6:
            hdr = _V6.pack(0x60000000 | self.flowlabel, tcp_len, 6, self.ttl, self.src, self.dst,
                           self.sport, self.dport, seq, ack, offflags, win, csum, 0)
        else:
            ipid = self.ipid
            self.ipid = (ipid + 1) & 0xffff
            total = 20 + tcp_len
            ipsum = _fold(self.ip_const + total + ipid + 0x4000)
            hdr = _V4.pack(0x4500, total, ipid, 0x4000, (self.ttl << 8) | 6, ipsum, self.src,
                           self.dst, self.sport, self.dport, seq, ack, offflags, win, csum, 0)
        if opts:
            hdr += opts
        f = self.link + hdr + payload if payload else self.link + hdr
        if self.pad and len(f) < ETH_MIN:
            f += bytes(ETH_MIN - len(f))
        return f

    def segment(self, seq, ack, flags, win, payload=b"", opts=b""):
        """The TCP segment alone (header + payload), for fragmentation."""
        olen = len(opts)
        tcp_len = 20 + olen + len(payload)
        offflags = ((5 + (olen >> 2)) << 12) | flags
        csum = self._tcp_sum(seq, ack, offflags, win, opts, payload, tcp_len)
        return _TCP.pack(self.sport, self.dport, seq, ack, offflags, win, csum, 0) + opts + payload

    # -- IP fragments ----------------------------------------------------
    def fragments(self, rng, seg):
        """Frames of seg (a TCP segment) split into 2 or 3 IP fragments.

        Every fragment but the last carries a multiple of 8 bytes; the first
        carries at least the 20-byte TCP header.  Frames come back in sending
        order, which is sometimes not offset order.
        """
        n = len(seg)
        cuts = list(range(24, n, 8))
        if not cuts:
            raise ValueError(f"a {n}-byte segment is too short to fragment")
        k = 2 if len(cuts) < 2 or rng.random() < 0.6 else 3
        cuts = sorted(rng.sample(cuts, k - 1))
        bounds = [0] + cuts + [n]
        frames = []
        if self.v6:
            ident = self.fragid
            self.fragid = (ident + 1) & 0xffffffff
        else:
            ident = self.ipid
            self.ipid = (ident + 1) & 0xffff
        for i in range(k):
            off, end = bounds[i], bounds[i + 1]
            more = i < k - 1
            piece = seg[off:end]
            if self.v6:
                hdr = _IP6.pack(0x60000000 | self.flowlabel, 8 + len(piece), 44, self.ttl,
                                self.src, self.dst) + \
                    _FRAG6.pack(6, 0, off | (1 if more else 0), ident)
            else:
                total = 20 + len(piece)
                fw = (off >> 3) | (0x2000 if more else 0)
                ipsum = _fold(self.ip_const + total + ident + fw)
                hdr = _IP4.pack(0x4500, total, ident, fw, (self.ttl << 8) | 6, ipsum,
                                self.src, self.dst)
            f = self.link + hdr + piece
            if self.pad and len(f) < ETH_MIN:
                f += bytes(ETH_MIN - len(f))
            frames.append(f)
        r = rng.random()
        if r < 0.15:
            frames.reverse()
        elif r < 0.3:
            frames[0], frames[1] = frames[1], frames[0]
        return frames


def syn_options(mss, wscale, style):
    """SYN/SYN-ACK options: MSS, window scale, SACK permitted (NOP-padded)."""
    mss_opt = struct.pack("!BBH", 2, 4, mss)
    if style == 0:   # Windows-like: MSS, NOP, WS, NOP, NOP, SACK_PERM
        return mss_opt + b"\x01" + bytes([3, 3, wscale]) + b"\x01\x01\x04\x02"
    # Linux-like without timestamps: MSS, NOP, NOP, SACK_PERM, NOP, WS
    return mss_opt + b"\x01\x01\x04\x02\x01" + bytes([3, 3, wscale])
