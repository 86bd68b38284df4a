"""Message bodies: a seeded corpus of text and binary bytes that bodies are
cut from (so a multi-megabyte body costs one slice, not a generation pass),
plus gzip compression and chunked transfer framing.
"""

import zlib

from .catalog import WORDS

TEXT_SIZE = 4 << 20
BINARY_SIZE = 8 << 20

# (prefix, suffix) that make a text body of a given type well-formed when it
# is long enough; the corpus text goes in between.
_FRAME = {
    "text/html": (b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                  b'<title>Page</title></head>\n<body>\n<main>\n<p>',
                  b"</p>\n</main>\n</body>\n</html>\n"),
    "application/json": (b'{"status":"ok","items":[{"id":1,"text":"', b'"}]}'),
    "application/javascript": (b'"use strict";\n/* bundle */\nvar app = {};\n/* ', b" */\n"),
    "text/css": (b"body{margin:0;font-family:sans-serif}\n/* ", b" */\n"),
    "application/xml": (b'<?xml version="1.0" encoding="UTF-8"?>\n<feed><entry>',
                        b"</entry></feed>\n"),
    "image/svg+xml": (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><desc>',
                      b"</desc></svg>\n"),
}
# Binary bodies are random bytes without a magic number, so dissectors that
# would parse them (tshark's PNG, GIF, JPEG) do not report them as malformed.


def media_type(content_type):
    """'text/html; charset=utf-8' -> 'text/html' (None stays None)."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip()


class Corpus:
    """Seeded text and binary bytes that message bodies are sliced from."""

    def __init__(self, rng):
        words = [w.encode() for w in WORDS] + [b"the", b"and", b"of", b"to", b"in", b"a"]
        lines = []
        total = 0
        while total < TEXT_SIZE:
            line = b" ".join(rng.choices(words, k=rng.randrange(6, 18)))
            line = line[:1].upper() + line[1:] + b".\n"
            lines.append(line)
            total += len(line)
        self.text = b"".join(lines)
        self.binary = rng.randbytes(BINARY_SIZE)

    def body(self, rng, content_type, n):
        """n bytes of plausible content for content_type, seeded by rng."""
        if n <= 0:
            return b""
        mt = media_type(content_type) or "application/octet-stream"
        binary = not (mt.startswith("text/") or mt in ("application/json",
                                                       "application/javascript",
                                                       "application/xml", "image/svg+xml",
                                                       "application/x-www-form-urlencoded"))
        src = self.binary if binary else self.text
        prefix, suffix = _FRAME.get(mt, (b"", b""))
        if len(prefix) + len(suffix) > n:
            prefix, suffix = b"", b""
        need = n - len(prefix) - len(suffix)
        if need <= len(src):
            start = rng.randrange(0, len(src) - need + 1)
            middle = src[start:start + need]
        else:
            middle = (src * (need // len(src) + 1))[:need]
        if mt == "application/json":
            middle = middle.replace(b"\n", b" ")
        return prefix + middle + suffix


def gzip_bytes(data):
    """gzip member for data (zlib's header: mtime 0, so deterministic)."""
    level = 6 if len(data) < (256 << 10) else 1
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def chunked(rng, data):
    """Chunked transfer framing of data: random chunk sizes, last-chunk, no trailers."""
    out = []
    pos = 0
    n = len(data)
    style = rng.random()
    while pos < n:
        if style < 0.3:
            size = rng.randrange(1, 2048)
        elif style < 0.8:
            size = rng.choice([1024, 2048, 4096, 8192, 16384])
        else:
            size = rng.randrange(1000, 40000)
        piece = data[pos:pos + size]
        pos += len(piece)
        hexlen = b"%x" % len(piece) if rng.random() < 0.8 else b"%X" % len(piece)
        out.append(hexlen + b"\r\n")
        out.append(piece)
        out.append(b"\r\n")
    out.append(b"0\r\n\r\n")
    return b"".join(out)
