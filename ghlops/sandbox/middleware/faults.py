"""Fault injection: the failures a client of the live API must survive, on demand.

A :class:`FaultInjector` draws one number per request from its own ``random.Random(seed)`` and
maps it onto the kinds of its :class:`FaultSpec` (cumulative rates, in ``FAULT_KINDS`` order),
so a seed always gives the same sequence of faults for the same sequence of requests (with
concurrent clients, the order in which requests arrive decides which request gets which fault).

Kinds (``faults_injected()`` counts them; answers carry ``X-Sandbox-Fault: <kind>`` as a
diagnostic the live API never sends):

- ``429``, ``500``, ``503``: a JSON error in GHL's NestJS shape; the request is not applied.
  The 429 carries no ``Retry-After`` (the live API documents none), unlike the rate limiter's.
- ``502``: an HTML page (``Content-Type: text/html``) as a proxy in front of the API answers.
- ``timeout``: not applied and never answered. Over HTTP the server holds the connection for
  ``timeout_after`` seconds and then closes it: a client whose read timeout is shorter sees a
  timeout (``httpx.ReadTimeout``), one with a longer timeout sees the connection closed
  (``httpx.RemoteProtocolError``). In-process the transport raises ``httpx.ReadTimeout`` at once.
- ``reset-before``: not applied; the connection is reset (TCP RST): ``httpx.ReadError``.
- ``reset-after``: applied (the handler ran and committed), then the connection is reset: the
  ambiguous case of a write that happened although the client saw an error.
- ``slow``: the correct answer, ``slow_seconds`` late.
- ``malformed``: ``200`` whose body is not JSON (still labelled ``application/json``).
- ``truncated``: ``200`` with the first half of the real JSON body.
- ``missing-fields``: ``200`` with the real JSON minus a required field: ``id`` (or, where the
  objects have none, ``name``) is dropped from every object of the first list in the body, or
  from the single object the body wraps.

The last three corrupt only successful ``GET`` answers: on a write they could not be told from
``reset-after``, and a corrupt error body is of no interest. A draw that lands on them for
another request (or a ``missing-fields`` draw on a body without such objects) injects nothing,
so their observed rate is lower than the spec's when the traffic is not all reads.

Faults sit inside the rate limiter (``Sandbox(faults=...)``): injected answers carry the
``X-RateLimit-*`` headers and every faulted request counts against the limits, as a request that
reached GHL would. Sandbox helpers that do not go through HTTP (``seed``, ``objects``,
``provision_*``) never see faults.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse, json_response

FAULT_KINDS = (
    "429",
    "500",
    "502",
    "503",
    "timeout",
    "reset-before",
    "reset-after",
    "slow",
    "malformed",
    "truncated",
    "missing-fields",
)
READ_ONLY_KINDS = frozenset({"malformed", "truncated", "missing-fields"})
FAULT_HEADER = "X-Sandbox-Fault"
DEFAULT_TIMEOUT_AFTER = 2.0
DEFAULT_SLOW_SECONDS = 1.0

_ERROR_BODIES: dict[str, tuple[int, dict[str, Any]]] = {
    "429": (429, {"statusCode": 429, "message": "Too many requests", "error": "Too Many Requests"}),
    "500": (500, {"statusCode": 500, "message": "Internal server error"}),
    "503": (503, {"statusCode": 503, "message": "Service Unavailable"}),
}
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
MALFORMED_BODY = b"<html><body>upstream answered something that is not JSON</body></html>"


class ConnectionFault(Exception):
    """Raised through ``Sandbox.handle`` when a request gets no answer: the in-process transport
    turns it into an httpx exception, the HTTP server drops the connection.

    Attributes:
        kind: The fault kind (``"timeout"``, ``"reset-before"``, ``"reset-after"``).
        reset: True to reset the connection (TCP RST), False to close it without answering.
        applied: True when the handler ran (the request's changes are stored).
        hold: Seconds the HTTP server keeps the connection open before closing it.
    """

    def __init__(self, kind: str, *, reset: bool, applied: bool, hold: float = 0.0) -> None:
        super().__init__(f"sandbox fault: {kind}")
        self.kind = kind
        self.reset = reset
        self.applied = applied
        self.hold = hold


@dataclass(frozen=True)
class FaultSpec:
    """Fault rates by kind (each in ``[0, 1]``, together at most 1), in ``FAULT_KINDS`` order.

    Build one with :meth:`parse` from ``"429=0.02,500=0.02,timeout=0.01"``; ``all=0.1`` spreads
    0.1 evenly over every kind, and kinds also named on their own take their own rate instead.
    """

    rates: Mapping[str, float]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rates) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(
                f"unknown fault kind {unknown[0]!r} (known: all, {', '.join(FAULT_KINDS)})"
            )
        for kind, rate in self.rates.items():
            if not (0.0 <= rate <= 1.0):
                raise ValueError(f"fault rate of {kind} must be between 0 and 1, not {rate}")
        if self.total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {self.total:g}, more than 1")
        ordered = {k: float(self.rates[k]) for k in FAULT_KINDS if self.rates.get(k, 0.0) > 0}
        object.__setattr__(self, "rates", ordered)

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """A spec from ``"kind=rate,..."`` (``""`` or ``"off"``: no faults).

        Raises:
            ValueError: An unknown kind, a rate that is not a number in ``[0, 1]``, a kind named
                twice, or rates adding up to more than 1.
        """
        value = text.strip()
        if value.lower() in {"", "off", "none"}:
            return cls({})
        spread: float | None = None
        rates: dict[str, float] = {}
        named: set[str] = set()
        for item in value.split(","):
            kind, equals, number = (part.strip() for part in item.partition("="))
            kind = kind.lower()
            if not equals or not kind:
                raise ValueError(f"{item.strip()!r} is not kind=rate (e.g. 500=0.02)")
            try:
                rate = float(number)
            except ValueError:
                raise ValueError(f"{item.strip()!r}: the rate is not a number") from None
            if not (0.0 <= rate <= 1.0) or math.isnan(rate):
                raise ValueError(f"{item.strip()!r}: the rate must be between 0 and 1")
            if kind in named:
                raise ValueError(f"fault kind {kind!r} is given twice")
            named.add(kind)
            if kind == "all":
                spread = rate / len(FAULT_KINDS)
            elif kind not in FAULT_KINDS:
                raise ValueError(
                    f"unknown fault kind {kind!r} (known: all, {', '.join(FAULT_KINDS)})"
                )
            else:
                rates[kind] = rate
        if spread is not None:
            rates = {**dict.fromkeys(FAULT_KINDS, spread), **rates}
        return cls(rates)

    @property
    def total(self) -> float:
        """The probability that a request draws some fault."""
        return math.fsum(self.rates.values())

    def __str__(self) -> str:
        """The text form (``all=0.1`` when every kind has the same rate; ``off`` for none)."""
        rates = list(self.rates.values())
        if len(rates) == len(FAULT_KINDS) and len(set(rates)) == 1:
            return f"all={self.total:g}"
        return ",".join(f"{k}={v:g}" for k, v in self.rates.items()) or "off"


class FaultInjector:
    """Middleware injecting faults at the rates of ``spec`` (see the module notes).

    Args:
        spec: A :class:`FaultSpec`, its text form, or ``{kind: rate}``.
        seed: Seed of the draws; None picks one at random (read it back from ``seed``).
        timeout_after: Seconds the HTTP server holds a ``timeout`` connection before closing it.
        slow_seconds: Delay of a ``slow`` answer.

    Raises:
        ValueError: The spec is invalid or a duration is negative.
    """

    def __init__(
        self,
        spec: FaultSpec | str | Mapping[str, float],
        seed: int | None = None,
        *,
        timeout_after: float = DEFAULT_TIMEOUT_AFTER,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
    ) -> None:
        if isinstance(spec, str):
            spec = FaultSpec.parse(spec)
        elif not isinstance(spec, FaultSpec):
            spec = FaultSpec(dict(spec))
        if timeout_after < 0 or slow_seconds < 0:
            raise ValueError("timeout_after and slow_seconds must not be negative")
        self.spec = spec
        self.timeout_after = timeout_after
        self.slow_seconds = slow_seconds
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._injected: Counter[str] = Counter()
        bands: list[tuple[float, str]] = []
        upper = 0.0
        for kind, rate in spec.rates.items():
            upper += rate
            bands.append((upper, kind))
        self._bands = tuple(bands)

    def injected(self) -> dict[str, int]:
        """Faults injected so far, by kind (every kind listed, zeros included)."""
        with self._lock:
            return {kind: self._injected[kind] for kind in FAULT_KINDS}

    def reset(self, seed: int | None = None) -> None:
        """Restart the draws (from ``seed``, or the same seed again) and zero the counts."""
        with self._lock:
            if seed is not None:
                self.seed = seed
            self._rng = random.Random(self.seed)
            self._injected.clear()

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        kind = self._draw()
        if kind is None or (kind in READ_ONLY_KINDS and request.method != "GET"):
            return call_next(request)
        if kind in _ERROR_BODIES:
            status, body = _ERROR_BODIES[kind]
            self._count(kind)
            return json_response(status, body, {FAULT_HEADER: kind})
        if kind == "502":
            self._count(kind)
            headers = {"Content-Type": "text/html", FAULT_HEADER: kind}
            return SandboxResponse(502, headers, BAD_GATEWAY_HTML)
        if kind == "timeout":
            self._count(kind)
            raise ConnectionFault(kind, reset=False, applied=False, hold=self.timeout_after)
        if kind == "reset-before":
            self._count(kind)
            raise ConnectionFault(kind, reset=True, applied=False)
        response = call_next(request)
        if kind == "reset-after":
            self._count(kind)
            raise ConnectionFault(kind, reset=True, applied=True)
        if kind == "slow":
            self._count(kind)
            return replace(
                response,
                headers={**response.headers, FAULT_HEADER: kind},
                delay=response.delay + self.slow_seconds,
            )
        corrupted = _corrupt(kind, response)
        if corrupted is None:
            return response
        self._count(kind)
        return corrupted

    def _draw(self) -> str | None:
        with self._lock:
            roll = self._rng.random()
        for upper, kind in self._bands:
            if roll < upper:
                return kind
        return None

    def _count(self, kind: str) -> None:
        with self._lock:
            self._injected[kind] += 1


def _corrupt(kind: str, response: SandboxResponse) -> SandboxResponse | None:
    """The corrupted version of a successful JSON answer, or None when it cannot be."""
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    if not 200 <= response.status < 300 or "json" not in content_type.lower():
        return None
    if kind == "malformed":
        body = MALFORMED_BODY
    elif kind == "truncated":
        body = response.body[: len(response.body) // 2]
    else:
        dropped = _drop_required_field(response.body)
        if dropped is None:
            return None
        body = dropped
    return replace(response, headers={**response.headers, FAULT_HEADER: kind}, body=body)


def _drop_required_field(body: bytes) -> bytes | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    targets = _objects(data)
    for name in ("id", "name"):
        holders = [obj for obj in targets if name in obj]
        if holders:
            for obj in holders:
                del obj[name]
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return None


def _objects(data: Any) -> list[dict[str, Any]]:
    """The objects a list or get answer is about: the first non-empty list of objects in the
    body, else the first wrapped object, else the body itself."""
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    if not isinstance(data, dict):
        return []
    for value in data.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value
    for value in data.values():
        if isinstance(value, dict) and ("id" in value or "name" in value):
            return [value]
    return [data]
