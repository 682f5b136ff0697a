"""client.inflate: decompression bounded exactly by the cap, at every step."""

from __future__ import annotations

import gzip
import zlib

import pytest

from ghlops.client.inflate import BoundedDecoder, TooLarge, UnsupportedEncoding

CAP = 64 * 1024


def _decode(encoding: str, raw: bytes, cap: int = CAP, piece: int = 4096) -> bytes:
    decoder = BoundedDecoder(encoding, cap)
    out = b"".join(decoder.feed(raw[i : i + piece]) for i in range(0, len(raw), piece))
    return out + decoder.flush()


@pytest.mark.parametrize("size", [0, 1, CAP - 1, CAP])
def test_up_to_the_cap_is_read_whole(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert _decode("gzip", gzip.compress(data)) == data
    assert _decode("deflate", zlib.compress(data)) == data
    assert _decode("", data) == data


def test_one_byte_over_the_cap_is_too_large() -> None:
    with pytest.raises(TooLarge):
        _decode("gzip", gzip.compress(b" " * (CAP + 1)))


def test_a_bomb_in_one_piece_never_yields_more_than_the_cap() -> None:
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB in ~64 KiB
    decoder = BoundedDecoder("gzip", CAP)
    inflater = decoder._steps[0]._inflater
    outputs: list[int] = []
    original = inflater.decompress

    class Spy:
        unconsumed_tail = b""

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            out = original(data, max_length)
            Spy.unconsumed_tail = inflater.unconsumed_tail
            outputs.append(len(out))
            return out

    decoder._steps[0]._inflater = Spy()  # type: ignore[assignment]
    with pytest.raises(TooLarge):
        decoder.feed(bomb)
    assert outputs and max(outputs) <= CAP + 1


def test_raw_deflate_and_stacked_encodings() -> None:
    data = b'{"a": 1}' * 100
    assert _decode("deflate", zlib.compress(data)[2:-4]) == data
    assert _decode("gzip, deflate", zlib.compress(gzip.compress(data))) == data
    assert _decode("identity", data) == data


def test_other_encodings_are_refused() -> None:
    with pytest.raises(UnsupportedEncoding, match="br"):
        BoundedDecoder("br", CAP)
