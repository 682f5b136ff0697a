"""Recognise and mask values that look secret, so no output a human or a CI log sees shows a token.

A heuristic on purpose: it would rather mask a harmless value than print a token. A value looks
secret when

- its field name says so: it contains ``token``, ``secret``, ``password``, ``apikey``/``api_key``,
  ``credential`` or ``signature``, or has the word ``key`` (``key``, ``licenseKey``,
  ``x-api-key``; not ``fieldKey``, ``keyword``, ``publicKey``), ``auth``/``authorization``,
  ``pass``/``pwd``, ``sig``, ``hmac`` or ``cookie``;
- it is a URL carrying a secret: a query or fragment parameter with such a name (``token=``,
  ``key=``, ``sig=``, ``access_token=``, ``X-Amz-Signature=``…), a password in its user info, or a
  long random path segment;
- it looks like a bearer token (``pit-…``, ``sbx-…``, ``Bearer …``, a JWT, ``sk_live_…``…) or is a
  long random string (32 characters or more, high entropy, not a slug or a UUID).

:func:`mask` hides a value (``••••`` and the last 4 characters of a long one; URLs keep all but
their secret parts), :func:`mask_secrets` walks nested data and masks what looks secret, and
:func:`mask_text` masks what looks secret inside free text (errors, notes).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

MASK = "••••"
_TAIL_FROM = 16  # values this long keep their last 4 characters after the mask

_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "credential",
    "signature",
    "privatekey",
    "accesskey",
)
_NAME_WORDS = frozenset(
    {"auth", "oauth", "authorization", "authorisation", "authentication", "pass", "pwd"}
    | {"passphrase", "passcode", "sig", "hmac", "cookie", "key", "keys"}
    | {"pin", "pins", "otp", "totp", "cvv", "cvc", "ssn", "passkey", "combination"}
)
# "code" is secret in "Door Code", "Alarm Code", "access code"; not in "zip code", "color code"
_SECRET_CODES = frozenset(
    {"door", "gate", "alarm", "access", "entry", "lock", "safe", "security", "secret", "wifi"}
    | {"unlock", "garage", "keypad", "verification", "backup", "recovery", "pin", "building"}
)
# "key" qualified by one of these is an identifier, not a secret
_PLAIN_KEYS = frozenset(
    {"field", "sort", "primary", "foreign", "natural", "partition", "unique", "lookup", "group"}
    | {"idempotency", "product", "price", "rate", "public", "publishable", "object", "row", "map"}
    | {"cache", "dedupe", "dedup", "match", "parent", "short", "hot"}
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

_BEARER = re.compile(
    r"(?<![\w-])(?:"
    r"(?:pit|sbx)-[\w-]{16,}"  # GHL private integration tokens, sandbox tokens
    r"|[Bb]earer\s+[\w.~+/=-]{16,}"
    r"|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*"  # a JWT
    r"|(?:sk|rk|pk)_(?:live|test)_\w{16,}"  # Stripe secret/restricted keys
    r"|gh[pousr]_\w{30,}|github_pat_\w{30,}|xox[abprs]-[\w-]{10,}|AKIA[0-9A-Z]{16}"
    r"|AIza[\w-]{35}"
    r")"
)
_TOKEN_CHARS = re.compile(r"[\w.~+/=-]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>`)\]]+")
# user:password@ after any scheme (smtp://, postgres://, ftp://, redis://…)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://[^\s:/@\"'<>]*:)([^\s@/\"'<>]+)(@)")
_WORD_IN_TEXT = re.compile(r"[\w.~+/=-]{32,}")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


@lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """Whether a field (or parameter, or custom value) name says its value is secret."""
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    if any(part in compact for part in _NAME_PARTS):
        return True
    words = _words(name)
    for i, word in enumerate(words):
        if word in ("key", "keys"):
            if i == 0 or words[i - 1] not in _PLAIN_KEYS:
                return True
        elif word in _NAME_WORDS:
            return True
    head, found, _ = compact.partition("code")
    return bool(found) and any(w in head for w in _SECRET_CODES)


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def random_string(text: str, *, min_length: int = 32) -> bool:
    """A long token-like string: hex with some entropy, or letters and digits mixed at random."""
    if "/" in text:  # a path: "/locations/<id>/tags" is no token, a long random part in it is
        return any(random_string(part, min_length=min_length) for part in text.split("/"))
    if len(text) < min_length or not _TOKEN_CHARS.fullmatch(text) or _UUID.fullmatch(text):
        return False  # a UUID is an id; a token made of one has a prefix (pit-…)
    if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
        return False  # random tokens this long mix letters and digits
    if _HEX.fullmatch(text):
        return _entropy(text) >= 3.0
    segments = re.split(r"[-_.~]", text)
    if all(s.isalpha() or s.isdigit() or not s for s in segments):
        return False  # a slug or dotted name: "summer-sale-2024-offer", "contact.pet_name"
    return _entropy(text) >= 3.5


def _param_secret(name: str, value: str) -> bool:
    return bool(value) and (secret_name(name) or random_string(value))


def _split_url(text: str) -> SplitResult | None:
    if not text.startswith(("http://", "https://")) or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    return parts if parts.netloc else None


def _mask_url(text: str) -> str | None:
    """The URL with its secret parts masked, or None when it is no URL or holds no secret."""
    parts = _split_url(text)
    if parts is None:
        return None
    changed = False
    netloc = parts.netloc
    if parts.password:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
        changed = True
    segments = parts.path.split("/")
    for i, segment in enumerate(segments):
        if random_string(segment, min_length=24):
            segments[i] = _mask_str(segment)
            changed = True

    def params(raw: str) -> str:
        nonlocal changed
        out = []
        for piece in raw.split("&"):
            pair = parse_qsl(piece, keep_blank_values=True)
            if len(pair) == 1 and _param_secret(*pair[0]):
                changed = True
                piece = f"{piece.partition('=')[0]}={_mask_str(pair[0][1])}"
            out.append(piece)
        return "&".join(out)

    query, fragment = params(parts.query), params(parts.fragment)
    if not changed:
        return None
    return urlunsplit((parts.scheme, netloc, "/".join(segments), query, fragment))


def _mask_str(text: str) -> str:
    return MASK + text[-4:] if len(text) >= _TAIL_FROM else MASK


def _secret_str(text: str) -> bool:
    if _split_url(text) is not None:
        return _mask_url(text) is not None
    if _URL_CREDENTIALS.search(text):
        return True
    return bool(_BEARER.search(text)) or random_string(text.strip())


def looks_secret(field: str, value: object) -> bool:
    """Whether ``value``, the value of ``field``, looks secret (anywhere inside, if nested)."""
    if value is None or isinstance(value, bool) or value == "":
        return False
    if isinstance(value, Mapping | list | tuple):
        return bool(mask_secrets(value, field) != _plain(value))
    if secret_name(field):
        return True
    return isinstance(value, str) and _secret_str(value)


def mask(value: object) -> str:
    """Hide a value: ``••••`` and the last 4 characters of a long string; in a URL, only its
    secret parts are masked (``https://x.com/hook?token=••••3f9a``)."""
    if isinstance(value, str):
        masked = _mask_url(value)
        if masked is None and _URL_CREDENTIALS.search(value) and "\n" not in value:
            masked = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + m.group(3), value)
        return masked or _mask_str(value)
    return MASK


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def secret_label(item: Mapping[str, Any]) -> bool:
    """Whether an item's ``name`` or ``title`` says its ``value`` is secret ("Zapier API Key")."""
    return any(isinstance(item.get(k), str) and secret_name(item[k]) for k in ("name", "title"))


def mask_secrets(
    value: Any,
    field: str = "",
    *,
    inherited: bool = False,
    plain: Collection[str] = (),
    at: str = "",
) -> Any:
    """A copy of ``value`` (mappings become dicts, sequences lists) with what looks secret masked.

    Nested keys are the field names of their values; everything under a secret-named field is
    masked; in a mapping whose ``name`` or ``title`` looks secret (a custom value "Stripe API Key"),
    ``value`` is masked too. ``plain``: dotted paths (list positions left out, ``options.key``)
    of identifiers that only have a secret-like name (a custom object's ``key``, see
    ``Adapter.plain_fields``); a string there is masked only when it looks secret itself.
    """
    if isinstance(value, Mapping):
        inner = inherited or (bool(field) and secret_name(field) and at not in plain)
        named = secret_label(value)
        return {
            k: mask_secrets(
                v,
                str(k),
                inherited=inner or (named and k == "value"),
                plain=plain,
                at=f"{at}.{k}" if at else str(k),
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(v, field, inherited=inherited, plain=plain, at=at) for v in value]
    if value is None or isinstance(value, bool) or value == "":
        return value
    if at in plain and not inherited:
        return mask(value) if isinstance(value, str) and _secret_str(value) else value
    if inherited or looks_secret(field, value):
        return mask(value)
    return value


def mask_text(text: str) -> str:
    """Free text (an error, a note) with the known secrets (see :func:`register_secret`), and
    secret-looking URLs and tokens inside it masked."""
    text = scrub(text)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _URL_IN_TEXT.sub(lambda m: _mask_url(m.group()) or m.group(), text)
    text = _BEARER.sub(lambda m: _mask_str(m.group()), text)
    return _WORD_IN_TEXT.sub(
        lambda m: _mask_str(m.group()) if random_string(m.group()) else m.group(), text
    )


def mask_diff(
    field: str, before: Any, after: Any, *, labelled: bool = False, plain: Collection[str] = ()
) -> tuple[Any, Any]:
    """The two sides of a field's change, masked by the field's name and their own look.

    ``labelled``: the item's name looks secret (see :func:`secret_label`), so its ``value`` is.
    ``plain``: as for :func:`mask_secrets`, paths from the item's top.
    """
    forced = labelled and field == "value"
    return (
        mask_secrets(before, field, inherited=forced, plain=plain, at=field),
        mask_secrets(after, field, inherited=forced, plain=plain, at=field),
    )


def mask_change_data(change: Mapping[str, Any]) -> dict[str, Any]:
    """A change as data (``Change.to_data()``) with the secret-looking parts of its values masked.

    ``before`` and ``after`` are masked field by field, each diff by its field's name, reasons as
    text; what identifies the change (action, kind, key, id, parent) is left as it is.
    """
    data = dict(change)
    before, after = change.get("before"), change.get("after")
    labelled = any(isinstance(m, Mapping) and secret_label(m) for m in (before, after))
    for side in ("before", "after"):
        if isinstance(data.get(side), Mapping):
            data[side] = mask_secrets(data[side])
    diffs = []
    for diff in change.get("diffs") or ():
        masked = dict(diff)
        masked["before"], masked["after"] = mask_diff(
            str(diff.get("field", "")), diff.get("before"), diff.get("after"), labelled=labelled
        )
        diffs.append(masked)
    if "diffs" in data:
        data["diffs"] = diffs
    if "reasons" in data:
        data["reasons"] = [mask_text(str(r)) for r in change.get("reasons") or ()]
    return data


# -- the secrets this process knows: tokens, OAuth client secrets and refresh tokens -----------

SCRUBBED = "***"
MIN_PREFIX = 8  # a truncated echo of a secret is masked from this many characters on
_known: list[str] = []  # longest first
_known_set: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember ``value`` (a token, a client secret, a refresh token) so that :func:`scrub`
    removes it from everything that leaves the process, in any encoding."""
    if not value or len(value.strip()) < 4:
        return
    with _known_lock:
        if value not in _known_set:
            _known_set.add(value)
            _known.append(value)
            _known.sort(key=len, reverse=True)


def forget_secrets() -> None:
    """Forget every registered secret (tests)."""
    with _known_lock:
        _known.clear()
        _known_set.clear()
    _pattern_of.cache_clear()


def _char(c: str) -> str:
    """A regex for ``c`` as is, JSON-escaped (``\u0070``), percent-encoded (``%70``) or
    HTML/Unicode-escaped (``&#112;``, ``&#x70;``)."""
    code = ord(c)
    forms = [re.escape(c)]
    if code < 0x10000:
        forms.append(rf"\\u{code:04x}")
    if code < 0x80:
        forms += [f"%{code:02x}", rf"&\#{code};", rf"&\#x{code:x};"]
        if c == "/":
            forms.append(r"\\/")
        if c == " ":
            forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def _secret_regex(secret: str) -> str:
    """A regex for ``secret`` or a prefix of it of at least MIN_PREFIX characters, each
    character in any of :func:`_char`'s forms."""
    chars = [_char(c) for c in secret]
    head = min(len(chars), MIN_PREFIX)
    tail = ""
    for part in reversed(chars[head:]):
        tail = f"(?:{part}{tail})?"
    return "".join(chars[:head]) + tail


# A "plain" secret (ASCII letters, digits, "-", "_", ".", "~": every token ghlops sees) can only
# match where its first MIN_PREFIX characters appear in the text with its escapes decoded (see
# _haystack): scrub compiles the expensive all-encodings pattern for those secrets only. With
# thousands of registered tokens (one per location) the pattern of all of them took seconds to
# compile and to run, for every output.
_PLAIN_SECRET = re.compile(r"[A-Za-z0-9._~-]+")
# the escapes of _char, as the pattern matches them (IGNORECASE)
_ESCAPE = re.compile(
    r"\\[uU]([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})|&#([1-9][0-9]*|0);|&#[xX]([0-9a-fA-F]+);"
)
# what re.IGNORECASE matches to ASCII letters besides their two cases
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _fold(text: str) -> str:
    return text.translate(_FOLD).lower()


def _haystack(text: str) -> str:
    """Where the first characters of a plain secret matched by the pattern in ``text`` are
    found (case-folded): ``text`` with its escapes decoded, and, for a match that starts inside
    an escape (reading its rest as plain characters), that rest followed by what comes after."""
    parts: list[str] = []
    starts: list[tuple[str, int]] = []  # (the rest of an escape, where the decoded text goes on)
    length = 0
    pos = 0
    for m in _ESCAPE.finditer(text):
        parts.append(text[pos : m.start()])
        length += m.start() - pos
        digits, base = next(
            (group, base)
            for group, base in zip(m.groups(), (16, 16, 10, 16), strict=True)
            if group is not None
        )
        code = int(digits, base) if len(digits) < 8 else 0x110000
        parts.append(chr(code) if code < 0x110000 else "\ufffd")
        length += 1
        starts += [(text[i : m.end()], length) for i in range(m.start() + 1, m.end())]
        pos = m.end()
    parts.append(text[pos:])
    decoded = "".join(parts)
    extras = [rest + decoded[at : at + MIN_PREFIX] for rest, at in starts]
    return _fold("\x00".join([decoded, *extras]))


@lru_cache(maxsize=32)
def _pattern_of(secrets: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_secret_regex(s) for s in secrets), re.IGNORECASE)


def _compiled(text: str) -> re.Pattern[str] | None:
    """The pattern of the registered secrets that may occur in ``text`` (longest first)."""
    with _known_lock:
        known = tuple(_known)
    if not known:
        return None
    haystack: str | None = None
    candidates = []
    for secret in known:
        if _PLAIN_SECRET.fullmatch(secret):
            if haystack is None:
                haystack = _haystack(text)
            if _fold(secret[:MIN_PREFIX]) not in haystack:
                continue
        candidates.append(secret)
    return _pattern_of(tuple(candidates)) if candidates else None


def scrub(text: str) -> str:
    """``text`` without any registered secret: raw, JSON-escaped, URL-encoded, HTML-escaped,
    or cut to a prefix of at least MIN_PREFIX characters."""
    if not text:
        return text
    pattern = _compiled(text)
    if pattern is None:
        return text
    return pattern.sub(SCRUBBED, text)
