"""Client-side pacing so a correct run never meets GHL's rate limits.

GHL allows 100 requests per 10 seconds and 200,000 per day per app and resource (location or
company), and reports the limits on responses (``X-RateLimit-Max``,
``X-RateLimit-Interval-Milliseconds``, ``X-RateLimit-Remaining``, ``X-RateLimit-Daily-Remaining``).

One :class:`RateLimiter` paces one principal's client. It keeps a log of send times and lets a
request go only when fewer than ``max`` requests were sent in the last ``interval`` (a sliding
window, which also keeps every fixed window under the limit). Until the first response it uses
GHL's documented defaults; afterwards the server's headers. When the server reports fewer
remaining requests than the log implies (another tool shares the budget), the server wins.
A small margin on the window absorbs the difference between send and arrival times.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

DEFAULT_MAX = 100
DEFAULT_INTERVAL = 10.0
WINDOW_MARGIN = 0.02  # 2% of the window, plus the fixed slack below
FIXED_SLACK = 0.05  # seconds


class RateLimiter:
    def __init__(
        self,
        max_requests: int = DEFAULT_MAX,
        interval: float = DEFAULT_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests = max_requests
        self.interval = interval
        self.daily_remaining: int | None = None
        self.daily_limit: int | None = None
        self.waited = 0.0  # seconds spent waiting, for reports
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def until_told(cls) -> RateLimiter:
        """No pacing until a response states the limits (for the embedded sandbox, which has
        none unless asked to)."""
        return cls(max_requests=1 << 30)

    @property
    def window(self) -> float:
        return self.interval * (1 + WINDOW_MARGIN) + FIXED_SLACK

    def acquire(self) -> None:
        """Block until one more request may be sent, then record it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                wait = self._blocked_until - now
                if len(self._sent) >= self.max_requests:
                    wait = max(wait, self._sent[0] + self.window - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
            self.waited += wait
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str], *, throttled: bool = False) -> None:
        """Learn the limits from a response's headers (case-insensitive mapping)."""
        with self._lock:
            limit = _int(headers.get("x-ratelimit-max"))
            interval_ms = _int(headers.get("x-ratelimit-interval-milliseconds"))
            remaining = _int(headers.get("x-ratelimit-remaining"))
            if limit and limit > 0:
                self.max_requests = limit
            if interval_ms and interval_ms > 0:
                self.interval = interval_ms / 1000
            daily = _int(headers.get("x-ratelimit-daily-remaining"))
            if daily is not None:
                # parallel answers arrive out of order: the smallest is the latest
                previous = self.daily_remaining
                self.daily_remaining = daily if previous is None else min(previous, daily)
            daily_limit = _int(headers.get("x-ratelimit-limit-daily"))
            if daily_limit is not None:
                self.daily_limit = daily_limit
            now = self._clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            ours = self.max_requests - len(self._sent)
            if throttled or (remaining == 0 and ours > 0):
                # The server's window is full although ours is not (another client shares the
                # budget, or clocks differ): nothing more until a whole window has passed.
                self._blocked_until = max(self._blocked_until, now + self.window)

    def block_for(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None
