"""Rate limits (``X-RateLimit-*`` headers, 429 + ``Retry-After``), request counters and latency,
in-process and over real HTTP; the ``sandbox serve`` options that set them."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ghlops.cli.main import cli
from ghlops.sandbox import RateLimit, Sandbox, SandboxHTTPServer
from ghlops.sandbox.middleware import RateLimiter, RequestKey, parse_duration, parse_rate_limit
from tests.helpers.sandbox import BASE_URL, LOC, OTHER_LOC, VERSION, serve_cli

TAGS = f"/locations/{LOC}/tags"
LIST_TAGS = "GET /locations/{locationId}/tags"
RATE_HEADERS = (
    "X-RateLimit-Max",
    "X-RateLimit-Remaining",
    "X-RateLimit-Interval-Milliseconds",
    "X-RateLimit-Limit-Daily",
    "X-RateLimit-Daily-Remaining",
    "X-RateLimit-Daily-Reset",
)
COMPANY = "tDtDnQdgm2LXpyiqYvZ6"
CLIENT_ID = "6578278e879ad2646715ba9c-lq4sb5tt"
CLIENT_SECRET = "s3cr3t-value"


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_for(sb: Sandbox | None, token: str | None, base_url: str = BASE_URL) -> httpx.Client:
    """A plain client (no spec hook: 429s are in no spec)."""
    headers = {"Version": VERSION}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    transport = sb.transport() if sb is not None else None
    return httpx.Client(transport=transport, base_url=base_url, headers=headers)


def limits(response: httpx.Response) -> dict[str, int]:
    """The rate-limit headers of an answer, as numbers (all must be present)."""
    return {name: int(response.headers[name]) for name in RATE_HEADERS}


# -- headers -------------------------------------------------------------------------------------


def test_rate_limits_are_off_by_default(sb: Sandbox, token: str) -> None:
    assert sb.rate_limit is None
    with client_for(sb, token) as client:
        for _ in range(120):
            response = client.get(TAGS)
            assert response.status_code == 200
    assert not any(name in response.headers for name in RATE_HEADERS)
    assert sb.request_count(LOC) == 120
    assert sb.throttled_count() == 0


def test_every_answer_carries_the_headers_with_the_counts(
    sb: Sandbox, token: str, clock: FakeClock
) -> None:
    sb.rate_limit = RateLimit(5, 1.0, daily_limit=20, day_seconds=100.0, clock=clock)
    with client_for(sb, token) as client:
        ok = client.get(TAGS)
        clock.advance(0.25)
        created = client.post(TAGS, json={"name": "vip"})
        missing = client.get(f"{TAGS}/nosuchtag0000000000")
        invalid = client.post(TAGS, json={"name": 7})
        no_version = client.get(TAGS, headers={"Version": ""})
    assert [r.status_code for r in (ok, created, missing, invalid, no_version)] == [
        200,
        200,
        404,
        422,
        400,
    ]
    assert limits(ok) == {
        "X-RateLimit-Max": 5,
        "X-RateLimit-Remaining": 4,
        "X-RateLimit-Interval-Milliseconds": 1000,
        "X-RateLimit-Limit-Daily": 20,
        "X-RateLimit-Daily-Remaining": 19,
        "X-RateLimit-Daily-Reset": 100_000,
    }
    assert [
        limits(r)["X-RateLimit-Remaining"] for r in (created, missing, invalid, no_version)
    ] == [
        3,
        2,
        1,
        0,
    ]
    assert [limits(r)["X-RateLimit-Daily-Remaining"] for r in (created, no_version)] == [18, 15]
    assert limits(created)["X-RateLimit-Daily-Reset"] == 99_750  # ms until the day resets


def test_without_a_daily_limit_the_daily_headers_are_left_out(
    sb: Sandbox, token: str, clock: FakeClock
) -> None:
    sb.rate_limit = RateLimit(5, 1.0, daily_limit=None, clock=clock)
    with client_for(sb, token) as client:
        response = client.get(TAGS)
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert "X-RateLimit-Limit-Daily" not in response.headers
    assert "X-RateLimit-Daily-Reset" not in response.headers


# -- the burst window ----------------------------------------------------------------------------


def test_the_101st_request_in_a_window_is_429_and_changes_nothing(
    sb: Sandbox, token: str, clock: FakeClock
) -> None:
    sb.rate_limit = RateLimit(clock=clock)  # GHL's documented limits
    with client_for(sb, token) as client:
        for i in range(100):
            response = client.get(TAGS)
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Remaining"] == str(99 - i)
        clock.advance(2.5)
        refused = client.post(TAGS, json={"name": "must-not-exist"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["statusCode"] == 429
    assert body["message"].startswith("Too many requests")
    assert "burst limit of 100 requests per 10 s" in body["message"]
    assert body["error"] == "Too Many Requests"
    assert refused.headers["Retry-After"] == "8"  # ceil(10 - 2.5)
    assert limits(refused)["X-RateLimit-Remaining"] == 0
    assert limits(refused)["X-RateLimit-Daily-Remaining"] == 199_900
    assert sb.objects(LOC, "tags") == []
    assert sb.request_count(LOC) == 101
    assert sb.throttled_count() == sb.throttled_count(LOC) == 1
    assert sb.throttled_count(route="POST /locations/{locationId}/tags") == 1
    assert sb.throttled_count(route=LIST_TAGS) == 0


def test_the_window_slides(sb: Sandbox, token: str, clock: FakeClock) -> None:
    sb.rate_limit = RateLimit(5, 1.0, clock=clock)
    with client_for(sb, token) as client:
        statuses = [client.get(TAGS).status_code for _ in range(3)]
        clock.advance(0.5)
        statuses += [client.get(TAGS).status_code for _ in range(2)]
        refused = client.get(TAGS)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"  # the first three leave at +1.0 s
        clock.advance(0.5)  # t = 1.0: the first three have left, the two at 0.5 remain
        again = client.get(TAGS)
        assert again.status_code == 200
        assert again.headers["X-RateLimit-Remaining"] == "2"
        clock.advance(0.2)  # t = 1.2
        statuses += [client.get(TAGS).status_code for _ in range(2)]
        last = client.get(TAGS)
    assert statuses == [200] * 7
    assert last.status_code == 429
    assert last.headers["Retry-After"] == "1"  # ceil(0.5 + 1.0 - 1.2 = 0.3)
    assert sb.throttled_count(LOC) == 2


def test_a_client_that_waits_as_told_always_gets_through(
    sb: Sandbox, token: str, clock: FakeClock
) -> None:
    sb.rate_limit = RateLimit(3, 2.0, clock=clock)
    served = 0
    with client_for(sb, token) as client:
        for _ in range(20):
            response = client.get(TAGS)
            if response.status_code == 429:
                clock.advance(int(response.headers["Retry-After"]))
                response = client.get(TAGS)
            assert response.status_code == 200
            served += 1
    assert served == 20


def test_the_daily_limit(sb: Sandbox, token: str, clock: FakeClock) -> None:
    sb.rate_limit = RateLimit(100, 1.0, daily_limit=3, day_seconds=60.0, clock=clock)
    with client_for(sb, token) as client:
        for _ in range(3):
            assert client.get(TAGS).status_code == 200
            clock.advance(5.0)
        refused = client.get(TAGS)  # t = 15 s
        assert refused.status_code == 429
        assert "daily limit of 3 requests" in refused.json()["message"]
        assert refused.headers["Retry-After"] == "45"
        assert limits(refused)["X-RateLimit-Daily-Remaining"] == 0
        assert limits(refused)["X-RateLimit-Daily-Reset"] == 45_000
        assert limits(refused)["X-RateLimit-Remaining"] == 100  # the burst window is empty
        clock.advance(44.5)
        assert client.get(TAGS).status_code == 429
        clock.advance(0.5)  # t = 60 s: a new day
        renewed = client.get(TAGS)
    assert renewed.status_code == 200
    assert limits(renewed)["X-RateLimit-Daily-Remaining"] == 2
    assert limits(renewed)["X-RateLimit-Daily-Reset"] == 60_000


# -- buckets -------------------------------------------------------------------------------------


def test_buckets_are_per_token_and_per_location(sb: Sandbox, clock: FakeClock) -> None:
    first = sb.provision_location(LOC)
    second = sb.provision_location(LOC, token="pit-second-token-of-main")
    other = sb.provision_location(OTHER_LOC)
    sb.rate_limit = RateLimit(2, 10.0, clock=clock)
    with client_for(sb, first) as a, client_for(sb, second) as b, client_for(sb, other) as c:
        assert [a.get(TAGS).status_code for _ in range(3)] == [200, 200, 429]
        # the same location through another token (another "app"): its own bucket
        assert [b.get(TAGS).status_code for _ in range(3)] == [200, 200, 429]
        # the same token about another location: its own bucket (and a 403, not a 429)
        foreign = a.get(f"/locations/{OTHER_LOC}/tags")
        assert foreign.status_code == 403
        assert foreign.headers["X-RateLimit-Remaining"] == "1"
        assert [c.get(f"/locations/{OTHER_LOC}/tags").status_code for _ in range(2)] == [200, 200]
    assert sb.request_count(LOC) == 6
    assert sb.throttled_count(LOC) == 2
    assert sb.request_count(OTHER_LOC) == 3
    assert sb.throttled_count(OTHER_LOC) == 0


def test_oauth_tokens_of_one_app_share_a_bucket(sb: Sandbox, clock: FakeClock) -> None:
    sb.provision_location(LOC, company_id=COMPANY)
    sb.register_oauth_client(CLIENT_ID, CLIENT_SECRET)
    refresh_token = sb.issue_refresh_token(CLIENT_ID, COMPANY)
    tokens = []
    with client_for(sb, None) as anonymous:
        for _ in range(2):
            form = {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
            answer = anonymous.post("/oauth/token", data=form)
            assert answer.status_code == 200, answer.text
            tokens.append(answer.json()["access_token"])
            refresh_token = answer.json()["refresh_token"]
    assert tokens[0] != tokens[1]
    sb.rate_limit = RateLimit(2, 10.0, clock=clock)
    with client_for(sb, tokens[0]) as one, client_for(sb, tokens[1]) as two:
        answers = [one.get(TAGS), two.get(TAGS), two.get(TAGS)]
    # whatever the token class earns (the location tags want a location token), the bucket is
    # the app's for this location: the third request of the app is over the limit
    assert [r.headers["X-RateLimit-Remaining"] for r in answers[:2]] == ["1", "0"]
    assert answers[2].status_code == 429


def test_requests_without_a_token_are_limited_per_resource(sb: Sandbox, clock: FakeClock) -> None:
    sb.rate_limit = RateLimit(1, 10.0, clock=clock)
    with client_for(sb, None) as client:
        assert client.get(TAGS).status_code == 401
        assert client.get(TAGS).status_code == 429
        assert client.get(f"/locations/{OTHER_LOC}/tags").status_code == 401


def test_a_new_rate_limit_starts_afresh(sb: Sandbox, token: str, clock: FakeClock) -> None:
    sb.rate_limit = RateLimit(1, 10.0, clock=clock)
    with client_for(sb, token) as client:
        assert [client.get(TAGS).status_code for _ in range(2)] == [200, 429]
        sb.rate_limit = RateLimit(1, 10.0, clock=clock)
        assert client.get(TAGS).status_code == 200
        sb.rate_limit = None
        assert [client.get(TAGS).status_code for _ in range(3)] == [200, 200, 200]


def test_the_limiter_can_be_placed_by_hand(sb: Sandbox, token: str, clock: FakeClock) -> None:
    limiter = RateLimiter(RateLimit(1, 10.0, clock=clock), sb.describer.describe, sb.stats)
    sb.middleware.append(limiter)
    with client_for(sb, token) as client:
        assert [client.get(TAGS).status_code for _ in range(2)] == [200, 429]
    assert sb.throttled_count(LOC) == 1
    limiter.reset()
    with client_for(sb, token) as client:
        assert client.get(TAGS).status_code == 200


# -- counters ------------------------------------------------------------------------------------


def test_counters_per_resource_and_route(sb: Sandbox, token: str) -> None:
    other = sb.provision_location(OTHER_LOC)
    with client_for(sb, token) as a, client_for(sb, other) as b:
        for _ in range(3):
            a.get(TAGS)
        a.post(TAGS, json={"name": "x"})
        b.get(f"/locations/{OTHER_LOC}/tags")
        a.get("/no/such/route")
    assert sb.request_count() == 6
    assert sb.request_count(LOC) == 5
    assert sb.request_count(OTHER_LOC) == 1
    assert sb.request_count(route=LIST_TAGS) == 4
    assert sb.request_count(LOC, route=LIST_TAGS) == 3
    assert sb.request_count(route="GET (unknown route)") == 1
    snapshot = sb.stats.snapshot()
    assert snapshot["requests"] == 6
    assert snapshot["by_resource"][OTHER_LOC] == {"requests": 1, "throttled": 0}
    assert snapshot["by_route"][LIST_TAGS] == {"requests": 4, "throttled": 0}
    assert snapshot["by_outcome"]["404"] == 1
    sb.stats.reset()
    assert sb.request_count() == 0


def test_counters_are_thread_safe(sb: Sandbox, token: str, clock: FakeClock) -> None:
    sb.rate_limit = RateLimit(150, 10.0, clock=clock)

    def burst(_: int) -> list[int]:
        with client_for(sb, token) as client:
            return [client.get(TAGS).status_code for _ in range(25)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(burst, range(8)) for s in batch]
    assert statuses.count(200) == 150
    assert statuses.count(429) == 50
    assert sb.request_count(LOC) == 200
    assert sb.throttled_count(LOC) == 50
    assert sb.stats.outcomes() == {"200": 150, "429": 50}


def test_the_request_key(sb: Sandbox, token: str) -> None:
    from ghlops.sandbox import SandboxRequest

    def key(
        target: str, method: str = "GET", body: bytes = b"", bearer: str | None = token
    ) -> RequestKey:
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        return sb.describer.describe(SandboxRequest(method, target, headers, body))

    assert key(TAGS) == sb.describer.describe(
        SandboxRequest("GET", TAGS, {"authorization": f"Bearer {token}"})
    )
    assert key(TAGS).app == token
    assert key(TAGS).route == LIST_TAGS
    assert key("/products/?locationId=L2").resource == "L2"
    assert key("/products/?altId=L3&altType=location").resource == "L3"
    assert key("/products/", "POST", b'{"locationId": "L4", "name": "x"}').resource == "L4"
    assert key("/products/").resource == LOC  # the token's own location
    assert key(TAGS, bearer=None).app is None
    assert key("/nowhere").route == "GET (unknown route)"


# -- over real HTTP ------------------------------------------------------------------------------


def test_429_and_headers_over_http(
    sb: Sandbox, token: str, clock: FakeClock, http_url: str
) -> None:
    sb.rate_limit = RateLimit(3, 10.0, daily_limit=1000, clock=clock)
    with client_for(None, token, http_url) as web:
        answers = [web.get(TAGS) for _ in range(3)]
        clock.advance(4.2)
        refused = web.post(TAGS, json={"name": "nope"})
    assert [limits(a)["X-RateLimit-Remaining"] for a in answers] == [2, 1, 0]
    assert all(
        limits(a)["X-RateLimit-Daily-Remaining"] == 1000 - i - 1 for i, a in enumerate(answers)
    )
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.headers["Retry-After"] == "6"
    assert limits(refused) == {
        "X-RateLimit-Max": 3,
        "X-RateLimit-Remaining": 0,
        "X-RateLimit-Interval-Milliseconds": 10_000,
        "X-RateLimit-Limit-Daily": 1000,
        "X-RateLimit-Daily-Remaining": 997,
        "X-RateLimit-Daily-Reset": 86_395_800,
    }
    assert refused.json()["statusCode"] == 429
    assert sb.objects(LOC, "tags") == []


# -- latency -------------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for ``time.sleep``: records each wait instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_latency_in_process(token: str, sb: Sandbox) -> None:
    sb.latency = 0.15
    slept = SleepRecorder()
    headers = {"Version": VERSION, "Authorization": f"Bearer {token}"}
    with httpx.Client(transport=sb.transport(slept), base_url=BASE_URL, headers=headers) as c:
        response = c.get(TAGS)
    assert response.status_code == 200
    assert slept.waits == [0.15]


def test_latency_over_http(token: str, sb: Sandbox, http_server: SandboxHTTPServer) -> None:
    sb.latency = 0.15
    slept = SleepRecorder()
    http_server.sleep = slept
    host, port = http_server.server_address[:2]
    with client_for(None, token, f"http://{host!s}:{port}") as web:
        first, second = web.get(TAGS), web.get(TAGS)
    assert (first.status_code, second.status_code) == (200, 200)
    assert slept.waits == [0.15, 0.15]


def test_latency_applies_to_429s(sb: Sandbox, token: str, clock: FakeClock) -> None:
    sb.rate_limit = RateLimit(1, 10.0, clock=clock)
    sb.latency = 0.1
    slept = SleepRecorder()
    headers = {"Version": VERSION, "Authorization": f"Bearer {token}"}
    with httpx.Client(transport=sb.transport(slept), base_url=BASE_URL, headers=headers) as c:
        assert c.get(TAGS).status_code == 200
        assert c.get(TAGS).status_code == 429
    assert slept.waits == [0.1, 0.1]


class MeetingSleep:
    """A ``sleep`` that returns only once ``parties`` requests are waiting out their latency at
    the same time: if the sandbox served them one after another (say, under its lock), the
    meeting would never happen and the barrier breaks after ``timeout`` seconds."""

    def __init__(self, parties: int, timeout: float = 20.0) -> None:
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.barrier.wait()


@pytest.mark.parametrize("over", ["in-process", "http"])
def test_latency_overlaps_across_concurrent_requests(
    over: str, token: str, sb: Sandbox, request: pytest.FixtureRequest
) -> None:
    sb.latency = 0.2
    meeting = MeetingSleep(4)
    if over == "http":
        server: SandboxHTTPServer = request.getfixturevalue("http_server")
        server.sleep = meeting
        host, port = server.server_address[:2]

    def one(_: int) -> int:
        if over == "http":
            with client_for(None, token, f"http://{host!s}:{port}") as client:
                return client.get(TAGS).status_code
        headers = {"Version": VERSION, "Authorization": f"Bearer {token}"}
        transport = sb.transport(meeting)
        with httpx.Client(transport=transport, base_url=BASE_URL, headers=headers) as client:
            return client.get(TAGS).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(one, range(4)))
    assert statuses == [200] * 4
    assert meeting.waits == [0.2] * 4  # all four waited at once: no broken barrier


def test_latency_overlaps_in_the_async_transport(token: str, sb: Sandbox) -> None:
    sb.latency = 0.2
    waits: list[float] = []

    async def main() -> list[int]:
        barrier = asyncio.Barrier(4)

        async def meeting(seconds: float) -> None:
            waits.append(seconds)
            await asyncio.wait_for(barrier.wait(), timeout=20)

        headers = {"Authorization": f"Bearer {token}", "Version": VERSION}
        async with httpx.AsyncClient(
            transport=sb.async_transport(meeting), base_url=BASE_URL, headers=headers
        ) as client:
            answers = await asyncio.gather(*(client.get(TAGS) for _ in range(4)))
            return [a.status_code for a in answers]

    assert asyncio.run(main()) == [200] * 4
    assert waits == [0.2] * 4


def test_latency_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="latency"):
        Sandbox(latency=-1)


# -- settings and parsing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/10s", (100, 10.0)),
        ("100/10000ms", (100, 10.0)),
        (" 5 / 1.5s ", (5, 1.5)),
        ("5/s", (5, 1.0)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_parse_rate_limit(text: str, expected: tuple[int, float] | None) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["100", "100/10", "x/10s", "0/10s", "10/0s", "-1/10s", "10/1h"])
def test_parse_rate_limit_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate_limit(text)


def test_parse_duration() -> None:
    assert parse_duration("50ms") == pytest.approx(0.05)
    assert parse_duration("1.5s") == 1.5
    assert parse_duration("0") == 0.0
    for bad in ("5", "-5ms", "fast", "5 minutes", "ms"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_rate_limit_settings_are_checked() -> None:
    assert RateLimit().describe() == "100 requests per 10 s, 200000 per day"
    assert RateLimit(5, 0.5, daily_limit=None).describe() == "5 requests per 500 ms, no daily limit"
    for bad in (
        {"max_requests": 0},
        {"window_seconds": 0},
        {"daily_limit": 0},
        {"day_seconds": -1},
    ):
        with pytest.raises(ValueError):
            RateLimit(**bad)  # type: ignore[arg-type]


# -- the CLI -------------------------------------------------------------------------------------


def test_serve_help_lists_the_options() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0
    for option in ("--rate-limit", "--daily-limit", "--latency", "--faults", "--fault-seed"):
        assert option in result.output
    assert "[default: 100/10s]" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "fast"], "Invalid value for '--rate-limit'"),
        (["--rate-limit", "0/10s"], "Invalid value for '--rate-limit'"),
        (["--daily-limit", "lots"], "Invalid value for '--daily-limit'"),
        (["--daily-limit", "0"], "Invalid value for '--daily-limit'"),
        (["--latency", "50"], "Invalid value for '--latency'"),
        (["--latency", "-5ms"], "Invalid value for '--latency'"),
        (["--rate-limit", "off", "--daily-limit", "10"], "--daily-limit needs --rate-limit"),
    ],
)
def test_serve_refuses_bad_values(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "sandbox", "serve", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "listening" not in result.output


def test_serve_enforces_the_limits_it_prints(tmp_path: Path) -> None:
    options = ["--location", f"{LOC}=pit-cli-limits", "--rate-limit", "2/10000ms"]
    options += ["--daily-limit", "50", "--latency", "20ms"]
    with serve_cli(tmp_path, *options) as (url, lines):
        assert (
            "rate limits: 2 requests per 10 s, 50 per day, per app and location/company\n" in lines
        )
        assert "latency: 20 ms\n" in lines
        assert "faults: off\n" in lines
        with client_for(None, "pit-cli-limits", url) as web:
            answers = [web.get(TAGS) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].headers["Retry-After"] == "10"
        assert answers[2].headers["X-RateLimit-Daily-Remaining"] == "48"
