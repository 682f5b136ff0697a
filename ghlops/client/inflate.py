"""Answers decompressed within a cap, exactly: a gzip bomb never gets past ``cap + 1`` bytes.

httpx inflates each chunk read from the socket whole (64 KiB of gzipped blanks is 64 MiB);
:class:`BoundedDecoder` asks zlib for at most the room left under the cap at every step
(``decompressobj.decompress(data, max_length)``), so the answer in memory never grows past the
cap, however well it compresses. ghlops asks for ``gzip, deflate`` only; another
``Content-Encoding`` is an error.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"


class TooLarge(Exception):
    """The decompressed answer would be larger than the cap."""


class UnsupportedEncoding(Exception):
    """An answer in a content encoding ghlops did not ask for."""


class _Inflate:
    def __init__(self, name: str) -> None:
        self.name = name
        self.raw_fallback = name == "deflate"  # servers send raw deflate under "deflate" too
        wbits = 16 + zlib.MAX_WBITS if name in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._inflater.decompress(data, room + 1)
        except zlib.error:
            if not (self.raw_fallback and not self._started):
                raise
            self.raw_fallback = False
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._inflater.decompress(data, room + 1)
        self._started = True
        if len(out) > room or self._inflater.unconsumed_tail:
            raise TooLarge
        return out

    def flush(self, room: int) -> bytes:
        out = self._inflater.flush()
        if len(out) > room:
            raise TooLarge
        return out


class BoundedDecoder:
    """Decode a body's raw bytes (as sent) into at most ``cap`` bytes."""

    def __init__(self, content_encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        self._steps: list[_Inflate] = []
        for name in reversed(names):  # the last encoding applied is undone first
            if name == "identity":
                continue
            if name not in ("gzip", "x-gzip", "deflate"):
                raise UnsupportedEncoding(name)
            self._steps.append(_Inflate(name))

    def _through(self, data: bytes, *, final: bool) -> bytes:
        for step in self._steps:
            room = self.cap - self.size
            data = step.feed(data, room) if data else b""
            if final:
                data += step.flush(room - len(data))
        if len(data) > self.cap - self.size:
            raise TooLarge
        self.size += len(data)
        return data

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes of ``raw``. Raises TooLarge past the cap."""
        return self._through(raw, final=False)

    def flush(self) -> bytes:
        return self._through(b"", final=True)
