"""A fake clock for tests: time moves only when someone sleeps on it, never with the wall."""

from __future__ import annotations

import threading


class FakeClock:
    """Monotonic seconds (call it) and a ``sleep`` that advances them instead of waiting.

    Shared by a client's pacer and the sandbox's rate limiter, it makes pacing deterministic: a
    request is admitted by the server at the same virtual instant the client sent it, and only
    the client's waits move time on.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self.start = start
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    @property
    def elapsed(self) -> float:
        with self._lock:
            return self._now - self.start
