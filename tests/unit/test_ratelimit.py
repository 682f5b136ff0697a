"""The client's pacing, with a fake clock: a sliding window under the server's limit."""

from __future__ import annotations

import pytest

from ghlops.client.ratelimit import FIXED_SLACK, WINDOW_MARGIN, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(max_requests: int = 3, interval: float = 1.0) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return (
        RateLimiter(max_requests, interval, clock=clock, sleep=clock.sleep, first_alone=False),
        clock,
    )


def window(interval: float) -> float:
    return interval * (1 + WINDOW_MARGIN) + FIXED_SLACK


def test_burst_then_waits_for_the_oldest_to_leave_the_window() -> None:
    rl, clock = limiter(3, 1.0)
    for _ in range(3):
        rl.acquire()
    assert clock.sleeps == []
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(1.0)])
    assert rl.waited == pytest.approx(window(1.0))


def test_never_more_than_max_in_any_window() -> None:
    rl, clock = limiter(5, 2.0)
    sent = []
    for _ in range(40):
        rl.acquire()
        sent.append(clock.now)
        clock.now += 0.01
    for i, start in enumerate(sent):
        in_window = [t for t in sent[i:] if t < start + 2.0]
        assert len(in_window) <= 5


def test_headers_replace_the_defaults() -> None:
    rl, _ = limiter(100, 10.0)
    rl.observe(
        {
            "x-ratelimit-max": "7",
            "x-ratelimit-interval-milliseconds": "500",
            "x-ratelimit-remaining": "6",
            "x-ratelimit-daily-remaining": "1234",
            "x-ratelimit-limit-daily": "200000",
        }
    )
    assert (rl.max_requests, rl.interval) == (7, 0.5)
    assert (rl.daily_remaining, rl.daily_limit) == (1234, 200000)


def test_server_says_zero_remaining_while_our_log_has_room() -> None:
    rl, clock = limiter(10, 1.0)
    rl.acquire()
    rl.observe({"x-ratelimit-remaining": "0"})
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(1.0)])


def test_zero_remaining_that_our_log_expects_adds_no_extra_wait() -> None:
    rl, clock = limiter(2, 1.0)
    rl.acquire()
    rl.acquire()
    rl.observe({"x-ratelimit-remaining": "0"})
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(1.0)])


def test_throttled_blocks_everyone_for_a_window() -> None:
    rl, clock = limiter(50, 1.0)
    rl.observe({}, throttled=True)
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(1.0)])
    rl.block_for(3.0)
    rl.acquire()
    assert clock.sleeps[-1] == pytest.approx(3.0)
