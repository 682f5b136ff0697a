"""Client-side pacing so a correct run never meets GHL's rate limits.

GHL allows 100 requests per 10 seconds and 200,000 per day per app and resource (location or
company), and reports the limits on responses (``X-RateLimit-Max``,
``X-RateLimit-Interval-Milliseconds``, ``X-RateLimit-Remaining``, ``X-RateLimit-Daily-Remaining``,
and, undocumented, ``X-RateLimit-Daily-Reset``: milliseconds until the daily budget returns).

One :class:`RateLimiter` paces one principal's client. It keeps a log of send times and lets a
request go only when fewer than ``max`` requests were sent in the last ``interval`` (a sliding
window, which also keeps every fixed window under the limit). The server is the truth:

- The first request of a principal goes alone; nothing else is sent until its answer says how
  much of the window is left (another process, e.g. the plan before this apply, may have spent
  it).
- When an answer's ``X-RateLimit-Remaining`` is lower than the log implies (counting requests
  still in flight, which the server may not have counted yet), the log is padded with requests
  "sent now", so no more than the server allows go out in this window.
- A 429 blocks the principal for a whole window (or ``Retry-After``).
- When the daily budget is used up, requests fail at once (:class:`DailyBudgetSpent`) saying when
  it returns, instead of meeting 429s.

Header values are validated: a value that is not a number, or one outside what any real server
sends (an interval of 1,000 days, ``inf`` requests), raises :class:`RateLimitHeaderError` naming
the header, and never becomes a wait. A small margin on the window absorbs the difference between
send and arrival times.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

DEFAULT_MAX = 100
DEFAULT_INTERVAL = 10.0
WINDOW_MARGIN = 0.02  # 2% of the window, plus the fixed slack below
FIXED_SLACK = 0.05  # seconds
MAX_WAIT = 3600.0  # seconds: no header may make ghlops wait longer than this for a window

# header -> (smallest, largest) value accepted; anything else is an error naming the header
LIMITS: dict[str, tuple[int, int]] = {
    "x-ratelimit-max": (1, 1_000_000),
    "x-ratelimit-interval-milliseconds": (1, int(MAX_WAIT * 1000)),
    "x-ratelimit-remaining": (0, 1_000_000),
    "x-ratelimit-daily-remaining": (0, 1_000_000_000),
    "x-ratelimit-limit-daily": (1, 1_000_000_000),
    "x-ratelimit-daily-reset": (0, 2 * 86_400_000),  # milliseconds; at most two days
}
_NAMES = {
    "x-ratelimit-max": "X-RateLimit-Max",
    "x-ratelimit-interval-milliseconds": "X-RateLimit-Interval-Milliseconds",
    "x-ratelimit-remaining": "X-RateLimit-Remaining",
    "x-ratelimit-daily-remaining": "X-RateLimit-Daily-Remaining",
    "x-ratelimit-limit-daily": "X-RateLimit-Limit-Daily",
    "x-ratelimit-daily-reset": "X-RateLimit-Daily-Reset",
}


class RateLimitHeaderError(ValueError):
    """A rate-limit header (or ``Retry-After``) whose value no real server sends."""


class DailyBudgetSpent(Exception):
    """The principal's daily API budget is used up; ``seconds``: until it returns, if known."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        when = f"; it returns in {duration(seconds)}" if seconds is not None else ""
        super().__init__(
            f"today's API budget is used up (X-RateLimit-Daily-Remaining: 0){when}; "
            "nothing more is sent for this principal"
        )


def header_value(headers: Mapping[str, str], name: str) -> int | None:
    """The header's whole-number value, None when absent.

    Raises:
        RateLimitHeaderError: not a finite number, or outside ``LIMITS[name]``.
    """
    raw = headers.get(name)
    if raw is None:
        return None
    low, high = LIMITS[name]
    try:
        number = float(raw.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        raise RateLimitHeaderError(
            f"{_NAMES[name]}: {raw[:40]!r} is not a number from {low} to {high}; the answer "
            "cannot be trusted for pacing"
        )
    return int(number)


def retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds a ``Retry-After`` value (seconds or an HTTP date) asks to wait; None if absent.

    Raises:
        RateLimitHeaderError: unreadable, negative, or longer than ``MAX_WAIT``.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(text).timestamp() - now()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = math.nan
        seconds = max(seconds, 0.0) if math.isfinite(seconds) else seconds
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_WAIT:
        raise RateLimitHeaderError(
            f"Retry-After: {text[:40]!r} is not a wait of 0 to {MAX_WAIT:.0f} seconds"
        )
    return seconds


class RateLimiter:
    def __init__(
        self,
        max_requests: int = DEFAULT_MAX,
        interval: float = DEFAULT_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        first_alone: bool = True,
    ) -> None:
        """``first_alone``: send nothing more until the first request is answered (False for
        callers that acquire without ever reporting an answer)."""
        self.max_requests = max_requests
        self.interval = interval
        self.daily_remaining: int | None = None
        self.daily_limit: int | None = None
        self.daily_reset_at: float | None = None  # clock time the daily budget returns
        self.waited = 0.0  # seconds spent waiting, for reports
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._in_flight = 0
        self._told = not first_alone  # an answer arrived: the first request no longer goes alone
        self._cond = threading.Condition()

    @classmethod
    def until_told(cls) -> RateLimiter:
        """No pacing until a response states the limits (for the embedded sandbox, which has
        none unless asked to)."""
        return cls(max_requests=1 << 30)

    @property
    def window(self) -> float:
        return self.interval * (1 + WINDOW_MARGIN) + FIXED_SLACK

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def acquire(self) -> None:
        """Block until one more request may be sent, then record it (in flight until
        :meth:`observe` or :meth:`abandon`).

        Raises:
            DailyBudgetSpent: the daily budget is used up and has not returned yet.
        """
        while True:
            with self._cond:
                now = self._clock()
                self._check_daily(now)
                if not self._told and self._in_flight:
                    # the first answer says how much is left: wait for it (woken by observe
                    # or abandon; the timeout only re-checks)
                    self._cond.wait(timeout=1.0)
                    continue
                self._expire(now)
                wait = self._blocked_until - now
                if len(self._sent) >= self.max_requests:
                    wait = max(wait, self._sent[0] + self.window - now)
                if wait <= 0:
                    self._sent.append(now)
                    self._in_flight += 1
                    return
            self.waited += wait
            self._sleep(wait)

    def _check_daily(self, now: float) -> None:
        if self.daily_remaining is None or self.daily_remaining > 0:
            return
        if self.daily_reset_at is not None and now >= self.daily_reset_at:
            self.daily_remaining = None  # the day turned: the next answer tells
            self.daily_reset_at = None
            return
        left = None if self.daily_reset_at is None else self.daily_reset_at - now
        raise DailyBudgetSpent(left)

    def abandon(self) -> None:
        """A request acquired for was not answered (connection failed, timed out)."""
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._told = True  # nothing to learn from it; do not hold the others forever
            self._cond.notify_all()

    def observe(self, headers: Mapping[str, str], *, throttled: bool = False) -> None:
        """Learn the limits from a response's headers (case-insensitive mapping).

        A 429 (``throttled``) blocks every request of the principal until its ``Retry-After``,
        else for a whole window.

        Raises:
            RateLimitHeaderError: a header's value is not believable (nothing is learnt from
                that answer, and the request counts as answered).
        """
        try:
            values = {name: header_value(headers, name) for name in LIMITS}
            wait = retry_after(headers.get("retry-after")) if throttled else None
        except RateLimitHeaderError:
            self.abandon()
            raise
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._told = True
            self._cond.notify_all()
            now = self._clock()
            limit = values["x-ratelimit-max"]
            interval_ms = values["x-ratelimit-interval-milliseconds"]
            if limit is not None:
                self.max_requests = limit
            if interval_ms is not None:
                self.interval = interval_ms / 1000
            self._observe_daily(values, now)
            self._expire(now)
            remaining = values["x-ratelimit-remaining"]
            if remaining is not None:
                # The server counted (max - remaining) requests in its window; ours still in
                # flight may come on top. Pad the log so it holds at least that many.
                used = self.max_requests - remaining + self._in_flight
                self._sent.extend([now] * max(0, min(used, self.max_requests) - len(self._sent)))
            if throttled:
                # over the limit although the log said otherwise (clocks differ, or another
                # client shares the budget): nothing more until Retry-After, else a whole window
                pause = self.window if wait is None else wait
                self._blocked_until = max(self._blocked_until, now + pause)

    def _observe_daily(self, values: Mapping[str, int | None], now: float) -> None:
        daily = values["x-ratelimit-daily-remaining"]
        reset = values["x-ratelimit-daily-reset"]
        if reset is not None:
            self.daily_reset_at = now + reset / 1000
        if daily is not None:
            # parallel answers arrive out of order: the smallest is the latest
            previous = self.daily_remaining
            self.daily_remaining = daily if previous is None else min(previous, daily)
        daily_limit = values["x-ratelimit-limit-daily"]
        if daily_limit is not None:
            self.daily_limit = daily_limit

    def daily_left(self) -> int | None:
        """Requests left of the daily budget as last reported, None when unknown; once the
        reported ``X-RateLimit-Daily-Reset`` has passed, the whole budget
        (``X-RateLimit-Limit-Daily``, None when not reported)."""
        with self._cond:
            if self.daily_remaining is None:
                return None
            if self.daily_reset_at is not None and self._clock() >= self.daily_reset_at:
                return self.daily_limit
            return self.daily_remaining

    def daily_reset_in(self) -> float | None:
        """Seconds until the daily budget returns (``X-RateLimit-Daily-Reset``), None when the
        server did not say; 0 once it has."""
        with self._cond:
            if self.daily_reset_at is None:
                return None
            return max(0.0, self.daily_reset_at - self._clock())

    def blocked_for(self) -> float:
        """Seconds until requests may go again after a 429 (0 when not blocked)."""
        with self._cond:
            return max(0.0, self._blocked_until - self._clock())

    def block_for(self, seconds: float) -> None:
        with self._cond:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


def duration(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
