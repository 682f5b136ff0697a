"""GHL's rate limits, enforced: a burst window and a daily quota per app and resource.

GHL documents (notes 0.4) "a maximum of 100 API requests per 10 seconds" and "200,000 API
requests per day for each Marketplace app (i.e., client) per resource (i.e., Location or
Company)", reported on responses by ``X-RateLimit-*`` headers. What an over-limit answer looks
like is not documented; the official SDK expects HTTP 429 (notes, Appendix D).

The sandbox's choices:

- **Buckets**: one per ``(app, resource)`` of :class:`~ghlops.sandbox.middleware.keys.RequestKey`
  (the OAuth client or the PIT, and the location or company the request is about). Requests
  without a bearer token share the bucket of their resource.
- **Burst window**: a sliding log. A request is admitted when fewer than ``max_requests`` were
  admitted in the last ``window_seconds`` (a request admitted at ``t`` stops counting at
  ``t + window_seconds``). This is the strictest reading of "100 per 10 seconds": no 10-second
  span ever holds more than 100 admitted requests.
- **Daily quota**: a fixed window of ``day_seconds`` that starts at the bucket's first request
  (the live API's reset moment is not documented; a calendar day cannot be told from a
  monotonic clock).
- **Refusals are not counted**: a 429'd request never reaches the handler (no state changes)
  and uses up neither the window nor the day, so a client that waits as told always recovers.
- **429 answer**: ``{"statusCode": 429, "message": "Too many requests: ...", "error": "Too Many
  Requests"}``, NestJS's ``HttpException`` shape like GHL's other errors, plus ``Retry-After``
  (whole seconds, rounded up, at least 1) until the oldest request leaves the window, or until
  the day resets. The live API's 429 body and ``Retry-After`` are undocumented: real GHL may
  answer differently and may send no ``Retry-After``.

Headers on every answer (2xx, errors and 429s) while limits are on, as of after the request:

- ``X-RateLimit-Max``: ``max_requests``; ``X-RateLimit-Interval-Milliseconds``: the window;
- ``X-RateLimit-Remaining``: requests still admitted in the current window (0 on a burst 429);
- ``X-RateLimit-Limit-Daily``, ``X-RateLimit-Daily-Remaining``: the daily quota and what is
  left of it;
- ``X-RateLimit-Daily-Reset``: milliseconds until the daily quota resets, which is how the
  official SDK reads it (``dailyResetMs``); not in GHL's documented list.

Without a daily limit (``daily_limit=None``) the three daily headers are left out.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse, json_response

if TYPE_CHECKING:
    from ghlops.sandbox.middleware.keys import RequestKey
    from ghlops.sandbox.middleware.stats import RequestStats

DEFAULT_MAX_REQUESTS = 100
DEFAULT_WINDOW_SECONDS = 10.0
DEFAULT_DAILY_LIMIT = 200_000
DAY_SECONDS = 86_400.0

HEADER_MAX = "X-RateLimit-Max"
HEADER_REMAINING = "X-RateLimit-Remaining"
HEADER_INTERVAL = "X-RateLimit-Interval-Milliseconds"
HEADER_DAILY_LIMIT = "X-RateLimit-Limit-Daily"
HEADER_DAILY_REMAINING = "X-RateLimit-Daily-Remaining"
HEADER_DAILY_RESET = "X-RateLimit-Daily-Reset"


@dataclass(frozen=True)
class RateLimit:
    """Rate-limit settings (GHL's documented limits by default).

    Attributes:
        max_requests: Requests admitted per window and bucket.
        window_seconds: The burst window.
        daily_limit: Requests admitted per day and bucket; None for no daily limit.
        day_seconds: The length of a "day" (shorten it in tests).
        clock: Monotonic seconds; inject a fake one for deterministic tests.

    Raises:
        ValueError: A limit or length is not positive.
    """

    max_requests: int = DEFAULT_MAX_REQUESTS
    window_seconds: float = DEFAULT_WINDOW_SECONDS
    daily_limit: int | None = DEFAULT_DAILY_LIMIT
    day_seconds: float = DAY_SECONDS
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_requests < 1:
            raise ValueError(f"max_requests must be at least 1, not {self.max_requests}")
        if self.daily_limit is not None and self.daily_limit < 1:
            raise ValueError(f"daily_limit must be at least 1 or None, not {self.daily_limit}")
        for name in ("window_seconds", "day_seconds"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number of seconds, not {value}")

    def describe(self) -> str:
        """``"100 requests per 10 s, 200000 per day"``."""
        daily = "no daily limit" if self.daily_limit is None else f"{self.daily_limit} per day"
        return f"{self.max_requests} requests per {_seconds(self.window_seconds)}, {daily}"


@dataclass
class _Bucket:
    day_start: float
    day_count: int = 0
    log: deque[float] = field(default_factory=deque)


@dataclass(frozen=True)
class _Verdict:
    headers: dict[str, str]
    retry_after: int | None = None  # set when refused
    scope: str = ""  # "burst" or "daily" when refused


class RateLimiter:
    """Middleware enforcing a :class:`RateLimit` (see the module notes for the semantics).

    ``Sandbox(rate_limit=RateLimit(...))`` builds one; build it by hand only to place it
    elsewhere in ``Sandbox.middleware``.

    Args:
        config: The limits.
        describe: The request's key, normally ``sandbox.describer.describe``.
        stats: Where refusals are counted, normally ``sandbox.stats``.
    """

    def __init__(
        self,
        config: RateLimit,
        describe: Callable[[SandboxRequest], RequestKey],
        stats: RequestStats | None = None,
    ) -> None:
        self.config = config
        self._describe = describe
        self._stats = stats
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str | None, str | None], _Bucket] = {}

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        key = self._describe(request)
        verdict = self._admit((key.app, key.resource))
        if verdict.retry_after is not None:
            if self._stats is not None:
                self._stats.record_throttled(key)
            return json_response(
                429,
                {
                    "statusCode": 429,
                    "message": self._refusal(verdict, key.resource),
                    "error": "Too Many Requests",
                },
                {**verdict.headers, "Retry-After": str(verdict.retry_after)},
            )
        response = call_next(request)
        return replace(response, headers={**response.headers, **verdict.headers})

    def reset(self) -> None:
        """Forget every bucket (all windows and days start afresh)."""
        with self._lock:
            self._buckets.clear()

    def _admit(self, bucket_key: tuple[str | None, str | None]) -> _Verdict:
        cfg = self.config
        with self._lock:
            now = cfg.clock()
            bucket = self._buckets.get(bucket_key)
            if bucket is None:
                bucket = self._buckets[bucket_key] = _Bucket(day_start=now)
            log = bucket.log
            while log and log[0] <= now - cfg.window_seconds:
                log.popleft()
            if now >= bucket.day_start + cfg.day_seconds:
                bucket.day_start, bucket.day_count = now, 0
            retry_after: int | None = None
            scope = ""
            if cfg.daily_limit is not None and bucket.day_count >= cfg.daily_limit:
                scope = "daily"
                retry_after = _whole_seconds(bucket.day_start + cfg.day_seconds - now)
            elif len(log) >= cfg.max_requests:
                scope = "burst"
                retry_after = _whole_seconds(log[0] + cfg.window_seconds - now)
            else:
                log.append(now)
                bucket.day_count += 1
            headers = {
                HEADER_MAX: str(cfg.max_requests),
                HEADER_REMAINING: str(cfg.max_requests - len(log)),
                HEADER_INTERVAL: str(round(cfg.window_seconds * 1000)),
            }
            if cfg.daily_limit is not None:
                reset_ms = math.ceil(round((bucket.day_start + cfg.day_seconds - now) * 1000, 3))
                headers[HEADER_DAILY_LIMIT] = str(cfg.daily_limit)
                headers[HEADER_DAILY_REMAINING] = str(max(cfg.daily_limit - bucket.day_count, 0))
                headers[HEADER_DAILY_RESET] = str(reset_ms)
        return _Verdict(headers, retry_after, scope)

    def _refusal(self, verdict: _Verdict, resource: str | None) -> str:
        cfg = self.config
        where = f"resource {resource}" if resource else "requests without a resource"
        if verdict.scope == "daily":
            limit = f"the daily limit of {cfg.daily_limit} requests"
        else:
            limit = f"the burst limit of {cfg.max_requests} requests per "
            limit += _seconds(cfg.window_seconds)
        return (
            f"Too many requests: {limit} for {where} is used up; retry in {verdict.retry_after} s"
        )


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(round(seconds, 6)))


def _seconds(value: float) -> str:
    return f"{value:g} s" if value >= 1 else f"{value * 1000:g} ms"


_DURATION = re.compile(r"(?P<number>\d+(?:\.\d*)?|\.\d+)?\s*(?P<unit>ms|s)")
_OFF = frozenset({"off", "none", "no", "false", "0"})


def parse_duration(text: str) -> float:
    """Seconds from ``"50ms"``, ``"0.5s"``, ``"2s"`` or ``"0"``.

    Raises:
        ValueError: Anything else (a number needs its unit).
    """
    value = text.strip().lower()
    if value in {"0", "0.0"}:
        return 0.0
    match = _DURATION.fullmatch(value)
    if match is None or match.group("number") is None:
        raise ValueError(f"{text!r} is not a duration such as 50ms or 1.5s")
    number = float(match.group("number"))
    return number / 1000 if match.group("unit") == "ms" else number


def parse_rate_limit(text: str) -> tuple[int, float] | None:
    """``(max_requests, window_seconds)`` from ``"100/10s"``, ``"100/10000ms"`` or ``"5/s"``;
    None for ``"off"``.

    Raises:
        ValueError: Another form, or a count or window that is not positive.
    """
    value = text.strip().lower()
    if value in _OFF:
        return None
    count, slash, window = value.partition("/")
    window = window.strip()
    error = f"{text!r} is not a rate limit such as 100/10s, 100/10000ms or off"
    if not slash or not count.strip().isdigit():
        raise ValueError(error)
    try:
        seconds = parse_duration(
            window if window[:1].isdigit() or window[:1] == "." else "1" + window
        )
    except ValueError:
        raise ValueError(error) from None
    if int(count) < 1 or seconds <= 0:
        raise ValueError(f"{text!r}: the count and the window must be positive")
    return int(count), seconds
