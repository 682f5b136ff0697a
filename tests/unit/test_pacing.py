"""Pacing that trusts the server, through the real client (httpx MockTransport) on a fake clock:
X-RateLimit-Remaining as the truth, the first request alone, the daily reset, and rate-limit
headers that no real server sends refused by name instead of waited out."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ghlops.client import GhlClient
from ghlops.client.errors import InvalidResponseError, RateLimitError
from ghlops.client.ratelimit import RateLimiter, retry_after

URL = "https://services.leadconnectorhq.com"


class Clock:
    """A fake monotonic clock shared by threads: sleeping moves it forward, never back."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


class WindowServer:
    """GHL-like fixed windows of ``max`` requests per ``interval`` seconds on the fake clock;
    ``used`` requests of the first window were spent by another process."""

    def __init__(self, clock: Clock, *, max: int = 100, interval: float = 10.0, used: int = 0):
        self.clock, self.max, self.interval = clock, max, interval
        self.start = clock()
        self.used = {0: used}
        self.arrivals: list[int] = []  # window index of every request
        self.throttled = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            index = int((self.clock() - self.start) // self.interval)
            self.arrivals.append(index)
            self.used[index] = self.used.get(index, 0) + 1
            over = self.used[index] > self.max
            self.throttled += over
            remaining = max(0, self.max - self.used[index])
        headers = {
            "X-RateLimit-Max": str(self.max),
            "X-RateLimit-Interval-Milliseconds": str(int(self.interval * 1000)),
            "X-RateLimit-Remaining": str(remaining),
        }
        if over:
            return httpx.Response(429, json={"message": "Too Many Requests"}, headers=headers)
        return httpx.Response(200, json={"tags": []}, headers=headers)


def client(handler: Any, clock: Clock) -> GhlClient:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return GhlClient(
        "pit-test",
        transport=httpx.MockTransport(handler),
        limiter=limiter,
        clock=clock,
        sleep=clock.sleep,
    )


def fan_out(api: GhlClient, requests: int, workers: int = 4) -> None:
    with ThreadPoolExecutor(workers) as pool:
        for future in [
            pool.submit(api.request, "GET", "/locations/x/tags", version=None)
            for _ in range(requests)
        ]:
            future.result()


def test_a_server_reporting_two_remaining_gets_at_most_two_more_in_that_window() -> None:
    clock = Clock()
    server = WindowServer(clock, used=97)  # the first answer says: Remaining 2
    with client(server, clock) as api:
        fan_out(api, 12)
    assert server.throttled == 0
    assert server.arrivals.count(0) == 3  # the first request, then the 2 the answer allowed
    assert len(server.arrivals) == 12


def test_remaining_lower_than_our_own_count_wins_on_any_answer() -> None:
    clock = Clock()
    server = WindowServer(clock, max=20, interval=1.0)
    with client(server, clock) as api:
        api.request("GET", "/a", version=None)  # Remaining 19: our log agrees
        server.used[0] += 15  # another process spends 15 of this window
        api.request("GET", "/a", version=None)  # Remaining 3
        fan_out(api, 10)
    assert server.throttled == 0
    assert server.arrivals.count(0) == 2 + 3


def test_the_first_request_of_a_principal_goes_alone() -> None:
    clock = Clock()
    events: list[str] = []
    lock = threading.Lock()
    first = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            events.append("start")
            is_first = len(events) == 1
        if is_first:
            first.set()
            time.sleep(0.05)  # others try to send meanwhile (not a timing assertion)
        with lock:
            events.append("end")
        return httpx.Response(200, json={}, headers={"X-RateLimit-Remaining": "99"})

    with client(handler, clock) as api:
        fan_out(api, 8, workers=8)
    assert first.is_set()
    assert events[:2] == ["start", "end"]
    assert events.count("start") == 8


def test_an_unanswered_first_request_does_not_hold_the_others() -> None:
    clock = Clock()
    calls = 0
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        with lock:
            calls += 1
            n = calls
        if n == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json={})

    with client(handler, clock) as api:
        fan_out(api, 4)
    assert calls == 5  # the refused first try was tried again


def test_daily_budget_spent_fails_at_once_until_the_daily_reset() -> None:
    clock = Clock()
    seen = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        return httpx.Response(
            200,
            json={},
            headers={"X-RateLimit-Daily-Remaining": "0", "X-RateLimit-Daily-Reset": "5400000"},
        )

    with client(handler, clock) as api:
        api.request("GET", "/a", version=None)
        with pytest.raises(RateLimitError, match=r"used up .*returns in 1 h 30 min"):
            api.request("GET", "/a", version=None)
        assert seen == 1  # nothing sent: it would only meet a 429
        clock.sleep(5400.0)
        api.request("GET", "/a", version=None)
    assert seen == 2


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-RateLimit-Interval-Milliseconds", "86400000000"),
        ("X-RateLimit-Max", "inf"),
        ("X-RateLimit-Max", "0"),
        ("X-RateLimit-Remaining", "-5"),
        ("X-RateLimit-Remaining", "nan"),
        ("X-RateLimit-Daily-Reset", "1e300"),
        ("X-RateLimit-Daily-Remaining", "lots"),
    ],
)
def test_an_absurd_rate_limit_header_is_an_error_naming_it(header: str, value: str) -> None:
    clock = Clock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={}, headers={header: value})

    with client(handler, clock) as api, pytest.raises(InvalidResponseError) as caught:
        api.request("GET", "/locations/x/tags", version=None)
        api.request("GET", "/locations/x/tags", version=None)
    assert f"{header}: {value!r} is not a number" in str(caught.value)
    assert "GET /locations/x/tags" in str(caught.value)
    assert clock.slept == []  # never a wait


def test_a_write_answered_with_an_absurd_header_may_have_been_applied() -> None:
    clock = Clock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={}, headers={"X-RateLimit-Max": "inf"})

    with client(handler, clock) as api, pytest.raises(InvalidResponseError) as caught:
        api.request("POST", "/locations/x/tags", version=None, json={"name": "a"})
    assert caught.value.maybe_applied


@pytest.mark.parametrize("value", ["86400000", "-1", "soon", "inf"])
def test_an_absurd_retry_after_is_an_error_not_a_wait(value: str) -> None:
    clock = Clock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": value})

    with client(handler, clock) as api, pytest.raises(InvalidResponseError) as caught:
        api.request("GET", "/a", version=None)
    assert f"Retry-After: {value!r}" in str(caught.value)
    assert clock.slept == []


def test_retry_after_as_seconds_or_an_http_date() -> None:
    assert retry_after("7") == 7.0
    assert retry_after(None) is None
    assert retry_after("Thu, 03 Dec 2026 14:00:30 GMT", now=lambda: 1796306400.0) == 30.0
    assert retry_after("Thu, 03 Dec 2026 13:00:00 GMT", now=lambda: 1796306400.0) == 0.0


def test_a_plausible_retry_after_is_waited_out() -> None:
    clock = Clock()
    answers = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), json={}, headers={"Retry-After": "3"})

    with client(handler, clock) as api:
        api.request("GET", "/a", version=None)
    assert clock.slept == pytest.approx([3.0])
