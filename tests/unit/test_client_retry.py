"""The client's retries, their budget and how it classifies failures, with scripted answers.

Reads and idempotent writes are retried on 5xx, 502 HTML pages, timeouts, resets and unreadable
answers; a POST only when it certainly did not reach the server (connection never made, 429). A
failed POST that may have been applied says so (``maybe_applied``) and is never sent again here.
"""

from __future__ import annotations

import inspect
import logging
import random
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ghlops.client import Connection
from ghlops.client.client import (
    DEFAULT_BASE_URL,
    GhlClient,
    RetryPolicy,
    masked_headers,
    timeout_from_env,
)
from ghlops.client.errors import (
    ApiError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UnprocessableError,
)
from ghlops.client.paging import MAX_LIST_ITEMS
from ghlops.client.ratelimit import RateLimiter
from ghlops.errors import ConfigError

TOKEN = "pit-unit-test-token-0123456789"
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"

Step = httpx.Response | Exception


class Script:
    """An httpx transport answering each request with the next step of a script."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def ok(body: Any = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {"ok": True})


def status(
    code: int, body: bytes | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = body if body is not None else b'{"statusCode": %d, "message": "boom"}' % code
    return httpx.Response(code, content=content, headers=headers)


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client(
    script: Callable[[httpx.Request], httpx.Response],
    policy: RetryPolicy | None = None,
    time: FakeTime | None = None,
    **kwargs: Any,
) -> GhlClient:
    fake = time or FakeTime()
    return GhlClient(
        TOKEN,
        transport=httpx.MockTransport(script),
        retry=policy or RetryPolicy(),
        limiter=RateLimiter(clock=fake.clock, sleep=fake.sleep),
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(7),
        **kwargs,
    )


def get(c: GhlClient) -> Any:
    return c.request("GET", "/locations/x/tags", version="2021-07-28")


# -- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        status(502, HTML_502, {"Content-Type": "text/html"}),
        status(503),
        status(504),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.Response(200, content=b"<html>not json</html>"),
        httpx.Response(200, content=b'{"tags": [{"id": "a", "na'),
    ],
    ids=[
        "500",
        "502-html",
        "503",
        "504",
        "timeout",
        "reset",
        "closed",
        "refused",
        "malformed",
        "truncated",
    ],
)
def test_a_read_is_retried_until_it_succeeds(failure: Step) -> None:
    script = Script(failure, failure, ok({"tags": []}))
    time = FakeTime()
    with client(script, time=time) as c:
        assert get(c) == {"tags": []}
        assert c.calls == 3 and c.retries == 2
    assert len(time.sleeps) == 2


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    policy = RetryPolicy(attempts=7, base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for retry, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0], start=1):
        delays = {policy.delay(retry, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_attempts_are_bounded_and_the_error_says_so() -> None:
    script = Script(*[status(503)] * 5)
    time = FakeTime()
    with client(script, RetryPolicy(attempts=5), time) as c, pytest.raises(ServerError) as info:
        get(c)
    assert c.calls == 5 and len(time.sleeps) == 4
    assert "after 5 tries" in str(info.value)
    assert not info.value.maybe_applied  # a read changes nothing


def test_the_time_budget_stops_retries_before_the_attempts_do() -> None:
    script = Script(*[status(500)] * 5)
    policy = RetryPolicy(attempts=5, base_delay=2.0, budget=2.5)
    with client(script, policy) as c, pytest.raises(ServerError):
        get(c)
    # the 1st retry waits 1-2 s (within 2.5 s), the 2nd 2-4 s more: over the budget
    assert c.calls == 2


def test_client_errors_are_not_retried() -> None:
    script = Script(status(422, b'{"statusCode":422,"message":["name must be a string"]}'))
    with client(script) as c, pytest.raises(UnprocessableError) as info:
        get(c)
    assert c.calls == 1
    assert "name must be a string" in str(info.value)


def test_429_waits_the_window_or_retry_after_for_any_method() -> None:
    script = Script(status(429, None, {"Retry-After": "30"}), ok({"tag": {"id": "t1"}}, 201))
    time = FakeTime()
    with client(script, time=time) as c:
        body = c.request("POST", "/locations/x/tags", version="v", json={"name": "vip"})
    assert body == {"tag": {"id": "t1"}}
    assert c.throttled == 1 and c.calls == 2
    assert sum(time.sleeps) == pytest.approx(30.0)


def test_429_is_bounded_too() -> None:
    script = Script(*[status(429, None, {"Retry-After": "1"})] * 3)
    policy = RetryPolicy(throttled_attempts=2)
    with client(script, policy) as c, pytest.raises(RateLimitError) as info:
        get(c)
    assert c.calls == 3
    assert "still throttled after 3 tries" in str(info.value)


# -- writes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        status(502, HTML_502),
        status(503),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(201, content=b'{"tag": {"id": "t'),
    ],
    ids=["500", "502-html", "503", "timeout", "reset-after-send", "closed", "truncated-2xx"],
)
def test_a_post_that_may_have_been_applied_is_never_sent_again(failure: Step) -> None:
    script = Script(failure, ok({"tag": {"id": "t2"}}, 201))
    with client(script) as c, pytest.raises(ApiError) as info:
        c.request("POST", "/locations/x/tags", version="v", json={"name": "vip"})
    assert c.calls == 1
    assert info.value.maybe_applied


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("[Errno 111] Connection refused"), httpx.ConnectTimeout("timed out")],
    ids=["refused", "connect-timeout"],
)
def test_a_post_whose_connection_was_never_made_is_sent_again(failure: Exception) -> None:
    script = Script(failure, ok({"tag": {"id": "t3"}}, 201))
    with client(script) as c:
        assert c.request("POST", "/locations/x/tags", version="v", json={}) == {"tag": {"id": "t3"}}
    assert c.calls == 2


def test_a_post_refused_by_the_api_is_not_ambiguous() -> None:
    script = Script(status(400, b'{"statusCode":400,"message":"bad"}'))
    with client(script) as c, pytest.raises(ApiError) as info:
        c.request("POST", "/locations/x/tags", version="v", json={})
    assert not info.value.maybe_applied


@pytest.mark.parametrize(
    "failure",
    [status(500), httpx.ReadTimeout("timed out"), httpx.ReadError("reset")],
    ids=["500", "timeout", "reset"],
)
def test_put_is_idempotent_and_retried(failure: Step) -> None:
    script = Script(failure, ok({"tag": {"id": "t"}}))
    with client(script) as c:
        c.request("PUT", "/locations/x/tags/t", version="v", json={"name": "vip"})
    assert c.calls == 2
    assert [r.method for r in script.requests] == ["PUT", "PUT"]


def test_a_delete_answering_404_after_an_uncertain_try_is_done() -> None:
    script = Script(httpx.ReadError("reset after the server deleted it"), status(404))
    with client(script) as c:
        assert c.request("DELETE", "/locations/x/tags/t", version="v") == {}
    assert c.calls == 2


def test_a_delete_answering_404_at_once_is_an_error() -> None:
    script = Script(status(404, b'{"statusCode":404,"message":"Tag not found"}'))
    with client(script) as c, pytest.raises(NotFoundError):
        c.request("DELETE", "/locations/x/tags/t", version="v")


def test_the_retry_policy_checks_its_values() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(budget=float("nan"))


# -- pagination ------------------------------------------------------------------------------


def test_paging_that_ignores_the_offset_is_an_error_not_a_loop() -> None:
    page = [{"_id": f"p{i}"} for i in range(100)]

    def same_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"products": page})

    with (
        client(same_page) as c,
        pytest.raises(InvalidResponseError, match="the same page came back"),
    ):
        c.paginate("/products/", version="v", items="products")


def test_a_page_larger_than_asked_is_read_and_paging_goes_on() -> None:
    items = [{"_id": f"p{i}"} for i in range(250)]

    def pages(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"products": items[offset:]})  # ignores the limit

    with client(pages) as c:
        assert c.paginate("/products/", version="v", items="products") == items
        assert c.calls == 2


def test_an_endless_list_is_cut_short_with_an_error() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(
            200, json={"products": [{"_id": f"p{offset + i}"} for i in range(100)]}
        )

    with (
        client(endless) as c,
        pytest.raises(InvalidResponseError, match=f"more than {MAX_LIST_ITEMS} items"),
    ):
        c.paginate("/products/", version="v", items="products")


# -- timeouts, TLS, secrets ------------------------------------------------------------------


def test_timeout_comes_from_ghlops_timeout() -> None:
    assert timeout_from_env({}) == 30.0
    assert timeout_from_env({"GHLOPS_TIMEOUT": "2.5"}) == 2.5
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(ConfigError, match="GHLOPS_TIMEOUT"):
            timeout_from_env({"GHLOPS_TIMEOUT": bad})


def test_the_timeout_reaches_httpx_with_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    monkeypatch.setenv("GHLOPS_TIMEOUT", "1.5")
    with GhlClient(TOKEN, transport=httpx.MockTransport(answer)) as c:
        c.request("GET", "/x", version=None)
    # on a shared pool too: the pool's own default is not the client's
    shared = Connection(DEFAULT_BASE_URL, transport=httpx.MockTransport(answer), timeout=99)
    with GhlClient(TOKEN, connection=shared, timeout=0.2) as c:
        c.request("GET", "/x", version=None)
    shared.close()
    assert [t["read"] for t in sent] == [1.5, 0.2]
    assert [t["connect"] for t in sent] == [1.5, 0.2]
    assert [t["pool"] for t in sent] == [1.5, 0.2]


def test_tls_verification_is_always_on() -> None:
    with GhlClient(TOKEN, base_url="https://services.leadconnectorhq.com") as c:
        transport: Any = c.connection.http._transport
        context: ssl.SSLContext = transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    # there is no way to ask for anything else
    assert "verify" not in inspect.signature(GhlClient).parameters


def test_plain_http_is_refused_for_other_hosts() -> None:
    for url in ("http://services.leadconnectorhq.com", "http://10.0.0.8:8787", "ftp://x"):
        with pytest.raises(ConfigError):
            GhlClient(TOKEN, base_url=url)
    GhlClient(TOKEN, base_url="http://127.0.0.1:8787").close()
    GhlClient(TOKEN, base_url="http://[::1]:8787").close()


@pytest.mark.parametrize("bad", [f"{TOKEN}\n", f"{TOKEN} x", f"{TOKEN}é", ""])
def test_a_token_that_cannot_be_a_header_is_refused_without_showing_it(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        GhlClient(bad)
    assert TOKEN not in str(info.value)


def test_an_api_echoing_the_token_does_not_leak_it() -> None:
    body = b'{"statusCode":401,"message":"Invalid token: ' + TOKEN.encode() + b'"}'
    script = Script(status(401, body))
    with client(script) as c, pytest.raises(ApiError) as info:
        get(c)
    assert TOKEN not in str(info.value)
    assert "Invalid token: ***" in str(info.value)


def test_a_transport_error_quoting_the_token_does_not_leak_it() -> None:
    script = Script(*[httpx.ReadError(f"boom near 'Bearer {TOKEN}'")] * 5)
    with client(script) as c, pytest.raises(TransportError) as info:
        get(c)
    assert TOKEN not in str(info.value)


def test_debug_log_shows_each_call_with_the_token_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = Script(status(503), ok())
    with caplog.at_level(logging.DEBUG, logger="ghlops.http"), client(script) as c:
        get(c)
    text = caplog.text
    assert TOKEN not in text
    lines = [r.getMessage() for r in caplog.records]
    first = lines[0]
    assert first.startswith("GET https://services.leadconnectorhq.com/locations/x/tags -> 503 (")
    assert " ms) [" in first
    assert "Authorization: Bearer ***" in first and "Version: 2021-07-28" in first
    assert any("trying again in" in line and "(try 2 of 5)" in line for line in lines)
    assert lines[-1].startswith("GET https://services.leadconnectorhq.com/locations/x/tags -> 200")


def test_masked_headers() -> None:
    shown = masked_headers(
        {"Authorization": f"Bearer {TOKEN}", "Cookie": "s=1", "X-Api-Key": "k", "Version": "v"}
    )
    assert shown == "Authorization: Bearer ***, Cookie: ***, X-Api-Key: ***, Version: v"
