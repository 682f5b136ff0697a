"""The client's pacing, with a fake clock: a sliding window under the server's limit."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable

import pytest

from ghlops.client.ratelimit import (
    DEFAULT_INTERVAL,
    DEFAULT_MAX,
    FIXED_SLACK,
    LIMITS,
    MAX_WAIT,
    WINDOW_MARGIN,
    DailyBudgetSpent,
    RateLimiter,
    RateLimitHeaderError,
    duration,
    header_value,
    retry_after,
)


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


# --- exact texts and edge values (each kills mutants that survived the first runs) ---------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 min"),
        (1.0, "1 min"),
        (60.0, "1 min"),
        (61.0, "2 min"),
        (3540.0, "59 min"),
        (3541.0, "1 h 0 min"),
        (3600.0, "1 h 0 min"),
        (3601.0, "1 h 1 min"),
        (5400.0, "1 h 30 min"),
        (7260.0, "2 h 1 min"),
    ],
)
def test_duration_rounds_up_to_whole_minutes(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_daily_budget_spent_says_when_it_returns_if_known() -> None:
    known = DailyBudgetSpent(5400.0)
    assert known.seconds == 5400.0
    assert str(known) == (
        "today's API budget is used up (X-RateLimit-Daily-Remaining: 0); it returns in "
        "1 h 30 min; nothing more is sent for this principal"
    )
    unknown = DailyBudgetSpent(None)
    assert unknown.seconds is None
    assert str(unknown) == (
        "today's API budget is used up (X-RateLimit-Daily-Remaining: 0); "
        "nothing more is sent for this principal"
    )


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_header_values_at_their_bounds_are_accepted_and_beyond_refused(name: str) -> None:
    low, high = LIMITS[name]
    assert header_value({name: str(low)}, name) == low
    assert header_value({name: f" {high} "}, name) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(RateLimitHeaderError) as caught:
            header_value({name: str(bad)}, name)
        assert str(caught.value).endswith(
            f": '{bad}' is not a number from {low} to {high}; the answer cannot be trusted "
            "for pacing"
        )


def test_header_value_texts() -> None:
    assert header_value({}, "x-ratelimit-max") is None
    assert header_value({"x-ratelimit-max": "7.9"}, "x-ratelimit-max") == 7
    with pytest.raises(RateLimitHeaderError) as caught:
        header_value({"x-ratelimit-max": "0"}, "x-ratelimit-max")
    assert str(caught.value) == (
        "X-RateLimit-Max: '0' is not a number from 1 to 1000000; the answer cannot be trusted "
        "for pacing"
    )
    long = "9" * 30 + "x" * 30
    with pytest.raises(RateLimitHeaderError) as caught:
        header_value({"x-ratelimit-daily-reset": long}, "x-ratelimit-daily-reset")
    assert str(caught.value).startswith(f"X-RateLimit-Daily-Reset: {long[:40]!r} is not")
    assert LIMITS["x-ratelimit-interval-milliseconds"] == (1, 3_600_000)
    assert LIMITS["x-ratelimit-daily-reset"] == (0, 172_800_000)


def test_retry_after_bounds_and_texts() -> None:
    assert retry_after("") is None
    assert retry_after("   ") is None
    assert retry_after(" 7 ") == 7.0
    assert retry_after("0") == 0.0
    assert retry_after("3600") == 3600.0
    for bad in ("3600.5", "-0.5", "nan"):
        with pytest.raises(RateLimitHeaderError) as caught:
            retry_after(bad)
        assert str(caught.value) == f"Retry-After: {bad!r} is not a wait of 0 to 3600 seconds"
    long = "x" * 60
    with pytest.raises(RateLimitHeaderError) as caught:
        retry_after(f" {long} ")
    assert str(caught.value) == f"Retry-After: {long[:40]!r} is not a wait of 0 to 3600 seconds"


def test_retry_after_http_dates() -> None:
    noon = 1796306400.0  # Thu, 03 Dec 2026 14:00:00 GMT
    assert retry_after("Thu, 03 Dec 2026 15:00:00 GMT", now=lambda: noon) == 3600.0
    with pytest.raises(RateLimitHeaderError):
        retry_after("Thu, 03 Dec 2026 15:00:01 GMT", now=lambda: noon)
    assert retry_after("Thu, 03 Dec 2026 13:59:59 GMT", now=lambda: noon) == 0.0
    with pytest.raises(RateLimitHeaderError, match="'Thu, 99 Dec 2026"):
        retry_after("Thu, 99 Dec 2026 14:00:00 GMT", now=lambda: noon)
    # the default clock is the wall clock (checked without reading it: no test times anything)
    assert inspect.signature(retry_after).parameters["now"].default is time.time


def test_defaults() -> None:
    rl = RateLimiter()
    assert (rl.max_requests, rl.interval) == (DEFAULT_MAX, DEFAULT_INTERVAL) == (100, 10.0)
    assert (rl.daily_remaining, rl.daily_limit, rl.daily_reset_at) == (None, None, None)
    assert rl.waited == 0.0
    assert rl.window == pytest.approx(10.0 * 1.02 + 0.05)
    assert (WINDOW_MARGIN, FIXED_SLACK, MAX_WAIT) == (0.02, 0.05, 3600.0)
    told = RateLimiter.until_told()
    assert (told.max_requests, told.interval) == (1 << 30, 10.0)


def run_briefly(target: Callable[[], object]) -> threading.Thread:
    """Run ``target`` in a daemon thread and give it a few seconds (a liveness bound, never a
    timing assertion): a thread still alive afterwards is stuck."""
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=5.0)
    return thread


def assert_held_until_answered(rl: RateLimiter, answer: Callable[[], None]) -> None:
    """A second request waits while the first is unanswered (a short look, never a timing
    assertion) and goes once ``answer`` is called."""
    second = threading.Thread(target=rl.acquire, daemon=True)
    second.start()
    second.join(timeout=0.2)
    assert second.is_alive()
    answer()
    second.join(timeout=5.0)
    assert not second.is_alive()


def test_the_first_request_goes_alone_by_default_and_an_answer_releases_the_others() -> None:
    clock = FakeClock()
    rl = RateLimiter(clock=clock, sleep=clock.sleep)
    rl.acquire()
    assert_held_until_answered(rl, lambda: rl.observe({}))


def test_until_told_also_sends_the_first_request_alone() -> None:
    clock = FakeClock()
    rl = RateLimiter.until_told()
    rl._clock, rl._sleep = clock, clock.sleep
    rl.acquire()
    assert_held_until_answered(rl, rl.abandon)


def test_an_abandoned_request_releases_the_first_alone_rule_for_good() -> None:
    clock = FakeClock()
    rl = RateLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    rl.acquire()
    rl.abandon()
    rl.acquire()
    assert not run_briefly(rl.acquire).is_alive()  # two in flight: no longer alone
    assert clock.sleeps == []


def test_a_refused_header_counts_as_an_answer() -> None:
    clock = FakeClock()
    rl = RateLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
    rl.acquire()
    with pytest.raises(RateLimitHeaderError):
        rl.observe({"x-ratelimit-max": "inf"})
    rl.acquire()
    assert not run_briefly(rl.acquire).is_alive()
    assert rl.max_requests == 10  # nothing learnt from that answer


def assert_six_of_ten_used(rl: RateLimiter, clock: FakeClock) -> None:
    """After an answer that makes 6 of 10 used (log and padding): 4 more go, the 5th waits."""
    for _ in range(4):
        rl.acquire()
    assert clock.sleeps == []
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(1.0)])


@pytest.mark.parametrize("spurious", ["abandon", "answer"])
def test_a_spurious_abandon_or_answer_does_not_make_in_flight_negative(spurious: str) -> None:
    rl, clock = limiter(10, 1.0)
    if spurious == "abandon":
        rl.abandon()  # nothing in flight
    else:
        rl.observe({})
    rl.acquire()
    rl.acquire()
    rl.observe({"x-ratelimit-remaining": "5"})  # one still in flight: 10 - 5 + 1 = 6 used
    assert_six_of_ten_used(rl, clock)


def test_padding_never_exceeds_the_limit() -> None:
    rl, clock = limiter(10, 1.0)
    for _ in range(4):
        rl.acquire()
    clock.now += 5.0  # all four left the window, three still in flight after this answer
    rl.observe({"x-ratelimit-max": "2", "x-ratelimit-remaining": "0"})
    rl.observe({"x-ratelimit-max": "6"})  # the log holds 2 (not 2 + 3): 4 more may go
    for _ in range(4):
        rl.acquire()
    assert clock.sleeps == []


def test_an_entry_leaves_the_window_exactly_at_its_end() -> None:
    rl, clock = limiter(1, 1.0)
    rl.acquire()
    rl.acquire()
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(1.0), window(1.0)])
    assert rl.waited == pytest.approx(2 * window(1.0))


def test_a_block_that_ends_now_does_not_wait() -> None:
    rl, clock = limiter(10, 1.0)
    rl.block_for(0.0)
    assert rl.blocked_for() == 0.0
    rl.acquire()
    assert clock.sleeps == []


def test_blocked_for_counts_down_to_zero() -> None:
    rl, clock = limiter(10, 1.0)
    assert rl.blocked_for() == 0.0
    rl.block_for(3.0)
    rl.block_for(1.0)  # a shorter block does not shorten the longer one
    assert rl.blocked_for() == 3.0
    clock.now += 2.0
    assert rl.blocked_for() == 1.0
    clock.now += 2.0
    assert rl.blocked_for() == 0.0


def test_throttled_with_retry_after_blocks_that_long_and_keeps_a_longer_block() -> None:
    rl, _ = limiter(10, 1.0)
    rl.observe({"retry-after": "4"}, throttled=True)
    assert rl.blocked_for() == 4.0
    rl.observe({"retry-after": "1"}, throttled=True)
    assert rl.blocked_for() == 4.0
    rl.observe({"retry-after": "9"})  # not a 429: Retry-After is not read
    assert rl.blocked_for() == 4.0
    rl.observe({}, throttled=True)
    assert rl.blocked_for() == 4.0  # a window (1.07 s) is shorter


def test_daily_budget_without_a_reset_fails_without_a_time() -> None:
    rl, _ = limiter(10, 1.0)
    rl.observe({"x-ratelimit-daily-remaining": "1"})
    rl.acquire()  # one left
    rl.observe({"x-ratelimit-daily-remaining": "0"})
    with pytest.raises(DailyBudgetSpent) as caught:
        rl.acquire()
    assert caught.value.seconds is None
    assert rl.daily_left() == 0
    assert rl.daily_reset_in() is None


def test_daily_answers_out_of_order_keep_the_smallest() -> None:
    rl, _ = limiter(10, 1.0)
    rl.observe({"x-ratelimit-daily-remaining": "50"})
    rl.observe({"x-ratelimit-daily-remaining": "70"})
    assert rl.daily_remaining == 50
    assert rl.daily_left() == 50
    rl.observe({"x-ratelimit-daily-remaining": "40", "x-ratelimit-limit-daily": "200000"})
    assert (rl.daily_remaining, rl.daily_limit) == (40, 200000)
    rl.observe({})
    assert (rl.daily_remaining, rl.daily_limit) == (40, 200000)


def test_the_daily_reset_returns_the_whole_budget_at_its_time() -> None:
    rl, clock = limiter(10, 1.0)
    assert rl.daily_left() is None
    assert rl.daily_reset_in() is None
    rl.observe(
        {
            "x-ratelimit-daily-remaining": "0",
            "x-ratelimit-daily-reset": "90000",
            "x-ratelimit-limit-daily": "200000",
        }
    )
    assert rl.daily_reset_at == 1090.0
    assert rl.daily_left() == 0
    assert rl.daily_reset_in() == 90.0
    clock.now += 30.0
    with pytest.raises(DailyBudgetSpent) as caught:
        rl.acquire()
    assert caught.value.seconds == 60.0
    assert rl.daily_reset_in() == 60.0
    clock.now += 60.0  # exactly at the reset
    assert rl.daily_reset_in() == 0.0
    assert rl.daily_left() == 200000
    rl.acquire()
    assert rl.daily_remaining is None
    assert rl.daily_reset_at is None
    assert rl.daily_left() is None
    clock.now += 10.0
    assert rl.daily_reset_in() is None


def test_daily_left_after_the_reset_without_a_reported_limit_is_unknown() -> None:
    rl, clock = limiter(10, 1.0)
    rl.observe({"x-ratelimit-daily-remaining": "3", "x-ratelimit-daily-reset": "1000"})
    assert rl.daily_left() == 3
    clock.now += 1.0
    assert rl.daily_left() is None
    assert rl.daily_reset_in() == 0.0
    clock.now += 1.0
    assert rl.daily_reset_in() == 0.0


def test_a_daily_reset_alone_does_not_stop_requests() -> None:
    rl, clock = limiter(10, 1.0)
    rl.observe({"x-ratelimit-daily-reset": "1000"})
    rl.acquire()
    rl.observe({"x-ratelimit-daily-remaining": "5"})
    rl.acquire()
    assert clock.sleeps == []


def test_the_request_held_behind_the_first_is_recorded_once_released() -> None:
    clock = FakeClock()
    rl = RateLimiter(2, 1.0, clock=clock, sleep=clock.sleep)
    rl.acquire()
    assert_held_until_answered(rl, lambda: rl.observe({}))
    rl.acquire()  # the log holds the first two: the third waits a window
    assert clock.sleeps == pytest.approx([window(1.0)])


def test_a_clock_starting_at_zero_does_not_wait() -> None:
    clock = FakeClock()
    clock.now = 0.0
    rl = RateLimiter(5, 1.0, clock=clock, sleep=clock.sleep, first_alone=False)
    rl.acquire()
    assert clock.sleeps == []


def test_a_wait_shorter_than_a_second_is_still_waited() -> None:
    rl, clock = limiter(1, 0.5)
    rl.acquire()
    rl.acquire()
    assert clock.sleeps == pytest.approx([window(0.5)])


def test_abandon_counts_one_request_out_of_flight() -> None:
    rl, clock = limiter(10, 1.0)
    for _ in range(3):
        rl.acquire()
    rl.abandon()  # two still in flight
    rl.observe({"x-ratelimit-remaining": "5"})  # one still in flight: 10 - 5 + 1 = 6 used
    assert_six_of_ten_used(rl, clock)


def test_retry_after_is_only_read_on_a_429() -> None:
    rl, _ = limiter(10, 1.0)
    rl.observe({"retry-after": "soon"})  # not a 429: not read, so not refused either
    assert rl.blocked_for() == 0.0
