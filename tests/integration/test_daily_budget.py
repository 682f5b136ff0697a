"""Apply's daily-budget check: what the plan saw of ``X-RateLimit-Daily-Remaining`` refuses an
apply that would run out of it, until the ``X-RateLimit-Daily-Reset`` the server sent has passed.
On a fake clock shared by the sandbox's rate limiter and the run's pacers: no wall clock."""

from __future__ import annotations

from pathlib import Path

from ghlops.cli.common import Selection, load_states
from ghlops.client import DEFAULT_BASE_URL, GhlClient
from ghlops.client.ratelimit import RateLimiter
from ghlops.engine import Session, Target
from ghlops.manifest.loader import DesiredState
from ghlops.manifest.project import load_project
from ghlops.sandbox import RateLimit, Sandbox
from tests.helpers.clock import FakeClock

LOC = "DailyBudgetL0cat10n1"
TOKEN = "pit-daily-budget-0001"
DAY = 3600.0  # the sandbox's "day", shortened


def session(tmp_path: Path, sb: Sandbox, clock: FakeClock) -> tuple[Session, list[DesiredState]]:
    root = tmp_path / "project"
    (root / "bundles").mkdir(parents=True)
    (root / "bundles" / "tags.yaml").write_text("tags: [{name: a}, {name: b}, {name: c}]\n")
    (root / "ghlops.yaml").write_text(
        "version: 1\ndefaults: {bundles: [bundles]}\n"
        f"locations:\n  - {{name: clinic, id: {LOC}, tokenEnv: GHL_TOKEN_CLINIC}}\n"
    )
    project = load_project(root)
    target = Target(
        DEFAULT_BASE_URL,
        lambda _loc: TOKEN,
        lambda _agency: "",
        transport=sb.transport(sleep=clock.sleep),
    )
    states, _agency = load_states(project, Selection(kinds=("tags",)))
    run = Session(
        project,
        target,
        kinds=["tags"],
        parallelism=1,
        limiter=lambda: RateLimiter(clock=clock, sleep=clock.sleep),
    )
    return run, list(states)


def test_the_budget_check_waits_for_the_daily_reset_the_server_sent(tmp_path: Path) -> None:
    clock = FakeClock()
    sb = Sandbox(None, rate_limit=RateLimit(daily_limit=20, day_seconds=DAY, clock=clock))
    sb.provision_location(LOC, token=TOKEN)
    # another process spent 18 of today's 20 calls
    with GhlClient(TOKEN, transport=sb.transport(sleep=clock.sleep)) as other:
        for _ in range(18):
            other.request("GET", f"/locations/{LOC}/tags", version="2021-07-28")
    run, states = session(tmp_path, sb, clock)

    plan = run.plan(states)
    assert len(plan.locations[0].changes) == 3  # 3 creates need up to 5 calls; 1 is left
    assert run.budget_problems(plan) == [
        "clinic: the apply needs up to 5 API calls but only 1 of today's are left "
        "(X-RateLimit-Daily-Remaining); the budget returns in 1 h 0 min"
    ]
    clock.sleep(DAY / 2)
    assert run.budget_problems(plan)[0].endswith("the budget returns in 30 min")
    clock.sleep(DAY / 2)  # the reset the server announced has passed: the whole 20 are back
    assert run.budget_problems(plan) == []

    results = run.apply(plan)
    assert not results[0].error and len(results[0].outcomes) == 3
    assert sorted(t["name"] for t in sb.objects(LOC, "tags")) == ["a", "b", "c"]
    run.target.close()


def test_without_a_reset_header_the_last_remaining_count_holds(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.observe({"x-ratelimit-daily-remaining": "1", "x-ratelimit-limit-daily": "20"})
    assert (limiter.daily_left(), limiter.daily_reset_in()) == (1, None)
    clock.sleep(10 * DAY)
    assert limiter.daily_left() == 1  # nothing says the day turned
    limiter.acquire()
    limiter.observe({"x-ratelimit-daily-remaining": "0", "x-ratelimit-daily-reset": "90000"})
    assert (limiter.daily_left(), limiter.daily_reset_in()) == (0, 90.0)
    clock.sleep(90)
    assert (limiter.daily_left(), limiter.daily_reset_in()) == (20, 0.0)
