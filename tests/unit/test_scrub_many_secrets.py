"""Scrubbing with many registered secrets (a fleet registers one token per location): the pattern
is compiled only for the secrets whose first characters the text may hold, and that shortcut
changes no result. A property test compares :func:`scrub` with the pattern of every registered
secret on texts that mix secrets' pieces in every encoding, escapes cut in half, and the
characters ``re.IGNORECASE`` matches to ASCII letters. Fixed seed, bounded examples."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghlops.secrets import (
    _FOLD,
    SCRUBBED,
    _pattern_of,
    _secret_regex,
    forget_secrets,
    register_secret,
    scrub,
)

ALPHABET = "abAB01-_.~pP"  # few characters: secrets share prefixes, texts hold near misses


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def reference(secrets: list[str], text: str) -> str:
    """What scrub did before the shortcut: one pattern of every registered secret."""
    ordered = sorted(dict.fromkeys(s for s in secrets if len(s.strip()) >= 4), key=len)[::-1]
    if not ordered or not text:
        return text
    return re.compile("|".join(_secret_regex(s) for s in ordered), re.IGNORECASE).sub(
        SCRUBBED, text
    )


def encoded(char: str, form: int) -> str:
    code = ord(char)
    return [
        char.swapcase(),
        char,
        f"\\u{code:04x}",
        f"\\U{code:04X}",
        f"%{code:02x}",
        f"%{code:02X}",
        f"&#{code};",
        f"&#x{code:x};",
        f"&#X{code:X};",
    ][form]


secret = st.text(ALPHABET, min_size=4, max_size=14)
noise = st.text(ALPHABET + "\\u%&#;xX9fF \u0130\u0131\u017f\u212a\u2022/+", max_size=6)


@st.composite
def texts(draw: st.DrawFn, secrets: list[str]) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            parts.append(draw(noise))
            continue
        whole = draw(st.sampled_from(secrets))
        start = draw(st.integers(0, 3))
        end = draw(st.integers(start, len(whole)))
        forms = draw(st.lists(st.integers(0, 8), min_size=end - start, max_size=end - start))
        piece = "".join(encoded(c, f) for c, f in zip(whole[start:end], forms, strict=True))
        cut = draw(st.integers(0, 3))  # a match may start inside an escape
        parts.append(piece[cut:])
    return "".join(parts)


@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_scrub_matches_the_pattern_of_every_secret(data: st.DataObject) -> None:
    secrets = data.draw(st.lists(secret, min_size=1, max_size=4))
    text = data.draw(texts(secrets))
    forget_secrets()
    for s in secrets:
        register_secret(s)
    assert scrub(text) == reference(secrets, text), (secrets, text)


def test_the_fold_covers_what_ignorecase_matches_to_ascii_letters() -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        matched = set(re.findall(letter, everything, re.IGNORECASE))
        assert {c.translate(_FOLD).lower() for c in matched} == {letter}, letter


def test_a_thousand_tokens_compile_only_what_a_text_may_hold() -> None:
    tokens = [f"pit-{i:04d}-{i * 7919:012x}" for i in range(1000)]
    for token in tokens:
        register_secret(token)
    _pattern_of.cache_clear()
    assert scrub("[100/1000] locations planned, \u2022\u2022 &#65; %41") == (
        "[100/1000] locations planned, \u2022\u2022 &#65; %41"
    )
    assert _pattern_of.cache_info().currsize == 0  # nothing compiled: no token can be there
    escaped = tokens[9].replace("p", "\\u0070")
    leak = f'echo {tokens[7]} and "{escaped}" and {tokens[8][:9]}'
    assert scrub(leak) == 'echo *** and "***" and ***'
    assert _pattern_of.cache_info().currsize == 1  # the pattern of those three only


@pytest.mark.parametrize(
    ("secret", "text"),
    [
        ("u0041bcdefgh", "x\\u0041bcdefgh"),  # a match starting inside a \u escape
        ("0041bcdefgh", "\\u0041bcdefgh"),
        ("41bcdefgh", "%41bcdefgh"),  # inside %XX
        ("65bcdefgh", "&#65bcdefgh"),  # not an escape: no ";"
        ("x41bcdefgh", "&#x41;bcdefgh&#x41bcdefgh"),
        ("u0041bcdefgh", "\\u0075\\u0030041bcdefgh"),  # escapes all the way
        ("skip-token-1234", "\u017fKIP-\u212aen-1234 \u017fkip-token-1234"),  # long s, Kelvin
        ("pit-abcdefgh", "pit-\\u0061%62&#99;&#x64;efgh"),
    ],
)
def test_escapes_cut_in_half_and_folded_letters_are_scrubbed_as_before(
    secret: str, text: str
) -> None:
    register_secret(secret)
    expected = reference([secret], text)
    assert expected != text  # each case holds the secret, or a prefix of it
    assert scrub(text) == expected
