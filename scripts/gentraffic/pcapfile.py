"""Classic pcap writer: little-endian, microsecond timestamps, version 2.4.

Records are collected in a list and written in blocks of several megabytes.
With a snaplen, frames are cut to it (caplen) while the record keeps the
frame's full wire length.
"""

import struct

_REC = struct.Struct("<IIII")
FLUSH_AT = 8 << 20


class PcapWriter:
    def __init__(self, path, linktype, snaplen=0):
        self.f = open(path, "wb")
        self.snaplen = snaplen
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen or 65535, linktype))
        self.size = 24          # bytes in the file so far (written or pending)
        self.packets = 0
        self.wire_bytes = 0
        self.last_ts = 0
        self._parts = []
        self._pending = 0

    def write(self, ts_us, frame):
        wire = len(frame)
        if self.snaplen and wire > self.snaplen:
            frame = frame[:self.snaplen]
        cap = len(frame)
        if ts_us < self.last_ts:
            raise AssertionError(f"timestamp went backwards: {ts_us} < {self.last_ts}")
        self.last_ts = ts_us
        parts = self._parts
        parts.append(_REC.pack(ts_us // 1000000, ts_us % 1000000, cap, wire))
        parts.append(frame)
        n = 16 + cap
        self.size += n
        self.packets += 1
        self.wire_bytes += wire
        self._pending += n
        if self._pending >= FLUSH_AT:
            self.flush()

    def flush(self):
        if self._parts:
            self.f.write(b"".join(self._parts))
            self._parts = []
            self._pending = 0

    def close(self):
        self.flush()
        self.f.close()
